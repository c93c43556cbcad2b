// RUN: einfuse-opt %s --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32 columns=16}))" | FileCheck %s
// RUN: sed 's/threads = 128/threads = 32/' %s | einfuse-opt --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32 columns=16}))" | FileCheck %s --check-prefix=ALONE

// Several points to a block sharing the staged key tiles
// (GPUShareTiles.cpp), on attention whose key loop ends at each point's
// rows (a causal mask: the key tiles up to ceil((rows + 16) / 64)). The
// configuration's 128 threads over its 32 lanes make blocks of 4 points,
// 64 rows of the same heads. The block runs the union of its points' key
// tiles: the loop's bound is evaluated at each point's rows (the first
// point's, then a maximum with each later point inside the extent), and a
// point works only on the key tiles below its own bound; the copies of K's
// and V's tiles and the barriers run on every point.

// CHECK-LABEL: func.func @causal
// CHECK:       scf.forall ({{.*}}, %[[ROW:.*]]) = (0, 0, 0) to (%{{.*}}, 2, %{{.*}}) step (1, 1, 16) {
// CHECK:         %[[SLOT:.*]] = arith.remui %{{.*}}, %c4
// CHECK:         %[[FIRST:.*]] = arith.subi %[[ROW]], %{{.*}}
// CHECK:         %[[R0:.*]] = arith.addi %[[FIRST]], %c0
// CHECK:         %[[R1:.*]] = arith.addi %[[FIRST]], %c16
// CHECK:         %[[IN1:.*]] = arith.cmpi ult, %[[R1]], %[[SQ:.*]] : index
// CHECK:         %[[ACTIVE:.*]] = arith.cmpi ult, %[[ROW]], %[[SQ]]
// CHECK:         %[[OWNROWS:.*]] = affine.min #{{.*}}(%[[ROW]])[%[[SQ]]] {ein.gpu_divergent_size}
// CHECK:         %[[ROWS:.*]] = arith.select %{{.*}}, %c16{{.*}}, %{{.*}}
// The point's own bound, from its rows.
// CHECK:         %[[OWNEND:.*]] = arith.addi %[[ROW]], %[[ROWS]]
// CHECK:         %[[OWNLAST:.*]] = arith.ceildivui %[[OWNEND]], %c64
// CHECK:         %[[OWNUB:.*]] = arith.minsi %{{.*}}, %[[OWNLAST]]
// The bound at the block's first point, then at the second (its rows
// computed again, never versioned), kept where that point is inside.
// CHECK:         affine.min #{{.*}}(%[[R0]])[%[[SQ]]] {ein.gpu_divergent_size}
// CHECK:         %[[UB0:.*]] = arith.minsi
// CHECK:         affine.min #{{.*}}(%[[R1]])[%[[SQ]]] {ein.gpu_divergent_size}
// CHECK:         %[[UB1:.*]] = arith.minsi
// CHECK:         %[[MAX1:.*]] = arith.maxsi %[[UB0]], %[[UB1]]
// CHECK:         %[[HI1:.*]] = arith.select %[[IN1]], %[[MAX1]], %[[UB0]]
// CHECK:         scf.for %[[KEY:.*]] = %{{.*}} to %{{.*}} step %c1 {
// CHECK:           %[[FROM:.*]] = arith.cmpi sge, %[[KEY]], %c0
// CHECK:           %[[TO:.*]] = arith.cmpi slt, %[[KEY]], %[[OWNUB]]
// CHECK:           %[[IN:.*]] = arith.andi %[[FROM]], %[[TO]]
// CHECK:           %[[MINE:.*]] = arith.andi %[[ACTIVE]], %[[IN]]
// CHECK:           gpu.barrier
// CHECK:           gpu.thread_id x
// CHECK:           linalg.copy {ein.gpu_block_copy}
// CHECK-NEXT:      }
// CHECK-NEXT:      gpu.barrier
// CHECK:           scf.if %[[MINE]] {
// CHECK:             nvvm.mma.sync
// CHECK-NOT:         gpu.barrier
// CHECK:           gpu.barrier
// CHECK:           gpu.thread_id x
// CHECK:           linalg.copy {ein.gpu_block_copy}
// CHECK-NEXT:      }
// CHECK-NEXT:      gpu.barrier
// CHECK-NEXT:      scf.if %[[MINE]] {
// CHECK:             nvvm.mma.sync
// CHECK-NOT:         gpu.barrier
// CHECK:         scf.if %[[ACTIVE]] {
// CHECK:       } {ein.gpu_block_threads = 128 : index

// With as many threads as lanes, a block is one point: nothing is shared
// and nothing padded.
// ALONE-LABEL: func.func @causal
// ALONE:       scf.forall ({{.*}}) = (0, 0, 0) to (%{{.*}}, 2, %dim_3) step (1, 1, 16) {
// ALONE-DAG:     memref.alloc() : memref<1x1x16x40xf16, #gpu.address_space<workgroup>>
// ALONE-NOT:     ein.gpu_block_copy
// ALONE-NOT:     ein.gpu_divergent_size
// ALONE:       } {ein.gpu_block_threads = 32 : index
func.func @causal(%arg0: memref<?x2x?x32xf16>, %arg1: memref<?x2x?x32xf16>, %arg2: memref<?x2x?x32xf16>, %arg3: memref<?x2x?x32xf16>) attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16>, llvm.emit_c_interface} {
  %cst = arith.constant 0.176776692 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %cst_2 = arith.constant 1.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %dim = memref.dim %arg0, %c0 : memref<?x2x?x32xf16>
  %dim_3 = memref.dim %arg0, %c2 : memref<?x2x?x32xf16>
  scf.forall (%arg4, %arg5, %arg6) = (0, 0, 0) to (%dim, 2, %dim_3) step (1, 1, 16) {
    %0 = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%arg6)[%dim_3]
    %subview = memref.subview %arg0[%arg4, %arg5, %arg6, 0] [1, 1, %0, 32] [1, 1, 1, 1] : memref<?x2x?x32xf16> to memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>
    %dim_4 = memref.dim %arg1, %c2 : memref<?x2x?x32xf16>
    %subview_5 = memref.subview %arg1[%arg4, %arg5, 0, 0] [1, 1, %dim_4, 32] [1, 1, 1, 1] : memref<?x2x?x32xf16> to memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>
    %dim_6 = memref.dim %arg2, %c2 : memref<?x2x?x32xf16>
    %subview_7 = memref.subview %arg2[%arg4, %arg5, 0, 0] [1, 1, %dim_6, 32] [1, 1, 1, 1] : memref<?x2x?x32xf16> to memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>
    %alloc = memref.alloc(%0) {alignment = 64 : i64} : memref<1x1x?xf32>
    %cast = memref.cast %alloc : memref<1x1x?xf32> to memref<?x?x?xf32>
    linalg.map outs(%cast : memref<?x?x?xf32>)
      (%init: f32) {
        linalg.yield %cst_0 : f32
      }
    %alloc_8 = memref.alloc(%0) {alignment = 64 : i64} : memref<1x1x?xf32>
    %cast_9 = memref.cast %alloc_8 : memref<1x1x?xf32> to memref<?x?x?xf32>
    linalg.map outs(%cast_9 : memref<?x?x?xf32>)
      (%init: f32) {
        linalg.yield %cst_1 : f32
      }
    %alloc_10 = memref.alloc(%0) {alignment = 64 : i64} : memref<1x1x?x32xf32>
    %cast_11 = memref.cast %alloc_10 : memref<1x1x?x32xf32> to memref<?x?x?x?xf32>
    linalg.map outs(%cast_11 : memref<?x?x?x?xf32>)
      (%init: f32) {
        linalg.yield %cst_1 : f32
      }
    %keys = arith.ceildivui %dim_4, %c64 : index
    %end = arith.addi %arg6, %0 : index
    %last = arith.ceildivui %end, %c64 : index
    %1 = arith.minsi %keys, %last : index
    %alloc_12 = memref.alloc(%0) {alignment = 64 : i64} : memref<1x1x?xf32>
    %alloc_13 = memref.alloc(%0) {alignment = 64 : i64} : memref<1x1x?xf32>
    %alloc_14 = memref.alloc(%0) {alignment = 64 : i64} : memref<1x1x?xf32>
    %alloc_15 = memref.alloc(%0) {alignment = 64 : i64} : memref<1x1x?x32xf32>
    scf.for %arg7 = %c0 to %1 step %c1 {
      %2 = arith.muli %arg7, %c64 : index
      %3 = arith.subi %dim_4, %2 : index
      %4 = arith.minsi %3, %c64 : index
      %subview_17 = memref.subview %subview_5[0, 0, %2, 0] [1, 1, %4, 32] [1, 1, 1, 1] : memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>> to memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>
      %subview_18 = memref.subview %subview_7[0, 0, %2, 0] [1, 1, %4, 32] [1, 1, 1, 1] : memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>> to memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>
      %alloc_19 = memref.alloc(%0, %4) {alignment = 64 : i64} : memref<1x1x?x?xf32>
      linalg.fill ins(%cst_1 : f32) outs(%alloc_19 : memref<1x1x?x?xf32>)
      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%subview, %subview_17 : memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>, memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>) outs(%alloc_19 : memref<1x1x?x?xf32>) {
      ^bb0(%in: f16, %in_20: f16, %out: f32):
        %5 = arith.extf %in : f16 to f32
        %6 = arith.extf %in_20 : f16 to f32
        %7 = arith.mulf %5, %6 : f32
        %8 = arith.addf %out, %7 fastmath<reassoc> : f32
        linalg.yield %8 : f32
      }
      linalg.fill ins(%cst_0 : f32) outs(%alloc_13 : memref<1x1x?xf32>)
      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%alloc_19 : memref<1x1x?x?xf32>) outs(%alloc_13 : memref<1x1x?xf32>) {
      ^bb0(%in: f32, %out: f32):
        %5 = arith.mulf %in, %cst : f32
        %6 = arith.maximumf %out, %5 : f32
        linalg.yield %6 : f32
      }
      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc, %alloc_13 : memref<1x1x?xf32>, memref<1x1x?xf32>) outs(%alloc_14 : memref<1x1x?xf32>) {
      ^bb0(%in: f32, %in_20: f32, %out: f32):
        %5 = arith.maximumf %in, %in_20 : f32
        linalg.yield %5 : f32
      }
      linalg.fill ins(%cst_1 : f32) outs(%alloc_12 : memref<1x1x?xf32>)
      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%alloc_19, %alloc, %alloc_13 : memref<1x1x?x?xf32>, memref<1x1x?xf32>, memref<1x1x?xf32>) outs(%alloc_12 : memref<1x1x?xf32>) {
      ^bb0(%in: f32, %in_20: f32, %in_21: f32, %out: f32):
        %5 = arith.maximumf %in_20, %in_21 : f32
        %6 = arith.cmpf oeq, %5, %cst_0 : f32
        %7 = arith.select %6, %cst_1, %5 : f32
        %8 = arith.mulf %in, %cst : f32
        %9 = arith.subf %8, %7 : f32
        %10 = math.exp %9 : f32
        %11 = arith.addf %out, %10 fastmath<reassoc> : f32
        linalg.yield %11 : f32
      }
      linalg.fill ins(%cst_1 : f32) outs(%alloc_15 : memref<1x1x?x32xf32>)
      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%alloc_19, %alloc, %alloc_13, %subview_18 : memref<1x1x?x?xf32>, memref<1x1x?xf32>, memref<1x1x?xf32>, memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>) outs(%alloc_15 : memref<1x1x?x32xf32>) {
      ^bb0(%in: f32, %in_20: f32, %in_21: f32, %in_22: f16, %out: f32):
        %5 = arith.maximumf %in_20, %in_21 : f32
        %6 = arith.cmpf oeq, %5, %cst_0 : f32
        %7 = arith.select %6, %cst_1, %5 : f32
        %8 = arith.mulf %in, %cst : f32
        %9 = arith.subf %8, %7 : f32
        %10 = math.exp %9 : f32
        %11 = arith.extf %in_22 : f16 to f32
        %12 = arith.mulf %10, %11 : f32
        %13 = arith.addf %out, %12 fastmath<reassoc> : f32
        linalg.yield %13 : f32
      }
      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%alloc_8, %alloc, %alloc_13, %alloc_12 : memref<1x1x?xf32>, memref<1x1x?xf32>, memref<1x1x?xf32>, memref<1x1x?xf32>) outs(%alloc_8 : memref<1x1x?xf32>) {
      ^bb0(%in: f32, %in_20: f32, %in_21: f32, %in_22: f32, %out: f32):
        %5 = arith.maximumf %in_20, %in_21 : f32
        %6 = arith.cmpf oeq, %5, %cst_0 : f32
        %7 = arith.select %6, %cst_1, %5 : f32
        %8 = arith.cmpf oeq, %in_20, %cst_0 : f32
        %9 = arith.select %8, %cst_1, %in_20 : f32
        %10 = arith.subf %9, %7 : f32
        %11 = math.exp %10 : f32
        %12 = arith.select %8, %cst_1, %11 : f32
        %13 = arith.mulf %in, %12 : f32
        %14 = arith.addf %13, %in_22 : f32
        linalg.yield %14 : f32
      }
      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%alloc_10, %alloc, %alloc_13, %alloc_15 : memref<1x1x?x32xf32>, memref<1x1x?xf32>, memref<1x1x?xf32>, memref<1x1x?x32xf32>) outs(%alloc_10 : memref<1x1x?x32xf32>) {
      ^bb0(%in: f32, %in_20: f32, %in_21: f32, %in_22: f32, %out: f32):
        %5 = arith.maximumf %in_20, %in_21 : f32
        %6 = arith.cmpf oeq, %5, %cst_0 : f32
        %7 = arith.select %6, %cst_1, %5 : f32
        %8 = arith.cmpf oeq, %in_20, %cst_0 : f32
        %9 = arith.select %8, %cst_1, %in_20 : f32
        %10 = arith.subf %9, %7 : f32
        %11 = math.exp %10 : f32
        %12 = arith.select %8, %cst_1, %11 : f32
        %13 = arith.mulf %in, %12 : f32
        %14 = arith.addf %13, %in_22 : f32
        linalg.yield %14 : f32
      }
      linalg.copy ins(%alloc_14 : memref<1x1x?xf32>) outs(%alloc : memref<1x1x?xf32>)
    }
    %subview_16 = memref.subview %arg3[%arg4, %arg5, %arg6, 0] [1, 1, %0, 32] [1, 1, 1, 1] : memref<?x2x?x32xf16> to memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%alloc_10, %alloc_8 : memref<1x1x?x32xf32>, memref<1x1x?xf32>) outs(%subview_16 : memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>) {
    ^bb0(%in: f32, %in_17: f32, %out: f16):
      %2 = arith.cmpf oeq, %in_17, %cst_1 : f32
      %3 = arith.select %2, %cst_2, %in_17 : f32
      %4 = arith.cmpf oeq, %in, %cst_1 : f32
      %5 = arith.divf %in, %3 : f32
      %6 = arith.select %4, %in, %5 : f32
      %7 = arith.truncf %6 : f32 to f16
      linalg.yield %7 : f16
    }
  } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_2>]}
  return
}

