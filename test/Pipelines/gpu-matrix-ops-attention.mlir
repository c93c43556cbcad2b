// RUN: einfuse-opt %s --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32 columns=16}))" | FileCheck %s
// RUN: sed 's/lanes = 32/lanes = 64/' %s | einfuse-opt --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=amd:gfx942 lanes=64 columns=16}))" | FileCheck %s --check-prefix=AMD

// Attention's key tile, 16 query rows per point (convert-ein-to-gpu with
// matrix_tile 16; the IR as the GPU pipeline hands it to this pass, f16,
// D = 32). Both products of a tile go to the matrix instruction:
// - the scores S = Q K^T stay in the lanes' registers (a private buffer of
//   8 tiles of 16 x 8 x 4 elements per lane, at constant indices): the row
//   max and the row sum reduce each lane's own elements, then the 4 lanes
//   of a row (xor shuffles, masks 1 and 2); P V reads its A fragments from
//   the same registers (on mma.sync a lane's A elements are its C elements);
// - the row state (the running max and sum, the tile's row max and sum,
//   the new max) is kept by the lanes that hold its rows: 2 slots per
//   lane, rows lane / 4 and lane / 4 + 8 of the C layout. The row
//   reductions end in the slots, the online update runs on them, and the
//   exponentials, the rescale and the normalisation read the slot of their
//   C element: no idx shuffle;
// - the output state that P V's epilogue (the online rescale) updates in
//   place stays in the lanes' registers too, in P V's C layout (4 tiles of
//   16 x 8, 4 elements a lane): the fill before the key loop writes them,
//   the epilogue reads and writes them, and the normalisation after the
//   loop runs on each lane's elements, masked at the run-time sizes,
//   storing into the output;
// - a block is four points (128 threads: the configuration's threads over
//   its lanes), the 64 query rows of the same heads, which share the staged
//   key and value tiles (GPUShareTiles.cpp): the rows' extent is padded to
//   whole blocks (a point past the end does nothing), the block runs the
//   union of its points' key tiles, each point works on its own (under
//   scf.if) and every thread reaches every copy and barrier; a point's rows
//   are 16 where the whole block is inside the extent (a condition the
//   block shares, for einfuse-gpu-specialize-tiles), its own otherwise;
// - the kernel-argument tiles the products read (Q, K, V) are copied into
//   workgroup memory, in rows padded by 16 bytes (against ldmatrix's bank
//   conflicts), 16-byte chunks over the whole tile (lane j takes chunks j,
//   j + 32, ...; K's and V's, which the block's points share, thread j of
//   the block j, j + 128, ...) where the source's rows are 16-byte aligned,
//   the copy as it was otherwise; Q, which the key loop
//   does not change, once before it; V into K's buffer, which only Q K^T
//   reads; on NVIDIA the whole tiles' fragments load from there with
//   ldmatrix (the target's fragment load);
// - a barrier separates every write of workgroup memory from what other
//   lanes read before and after it;
// - a whole tile (16 rows, 64 keys) takes the products and reductions at
//   constant sizes without edge masks, a partial one the masked ones.

// CHECK-LABEL: func.func @attention
// CHECK:       %[[BLOCKS:.*]] = arith.ceildivui %[[SQ:.*]], %c64
// CHECK:       %[[PADDED:.*]] = arith.muli %[[BLOCKS]], %c64
// CHECK:       scf.forall ({{.*}}, %[[ROW:.*]]) = (0, 0, 0) to (%{{.*}}, 2, %[[PADDED]]) step (1, 1, 16) {
// CHECK:         %[[S:.*]] = memref.alloca() : memref<8x4xf32>
// CHECK-COUNT-5: memref.alloca() : memref<1x2xf32>
// CHECK:         %[[O:.*]] = memref.alloca() : memref<4x4xf32>
// CHECK-DAG:     memref.alloc() : memref<1x1x64x40xf16, #gpu.address_space<workgroup>>
// CHECK-DAG:     memref.alloc() : memref<4x1x16x40xf16, #gpu.address_space<workgroup>>
// K's tile and V's share one buffer (V's copy comes after Q K^T); the
// scores and the output state have none.
// CHECK-NOT:     memref.alloc() : memref<1x1x64x40xf16
// CHECK-NOT:     xf32, #gpu.address_space<workgroup>>
// The point's place in its block, whether it is inside the extent, whether
// the whole block is, and its rows.
// CHECK:         %[[INDEX:.*]] = arith.divui %[[ROW]], %c16
// CHECK:         %[[SLOT:.*]] = arith.remui %[[INDEX]], %c4
// CHECK:         %[[ACTIVE:.*]] = arith.cmpi ult, %[[ROW]], %[[SQ]]
// CHECK:         %[[WHOLE:.*]] = arith.cmpi ule, %{{.*}}, %[[SQ]]
// CHECK:         %[[OWN:.*]] = affine.min #{{.*}}(%[[ROW]])[%[[SQ]]] {ein.gpu_divergent_size}
// CHECK:         %[[CLAMPED:.*]] = arith.maxsi %[[OWN]], %c0
// CHECK:         %[[ROWS:.*]] = arith.select %[[WHOLE]], %c16{{.*}}, %[[CLAMPED]]
// CHECK:         memref.subview %arg0[%{{.*}}, %{{.*}}, %[[ROW]], 0] [1, 1, %[[ROWS]], 32]
// The output state starts at 0: each lane's 16 elements.
// CHECK-COUNT-16: memref.store %cst{{.*}}, %[[O]][%{{.*}}, %{{.*}}] : memref<4x4xf32>
// Q, once, into the point's own buffer, by an active point.
// CHECK:         gpu.barrier
// CHECK-NEXT:    scf.if %[[ACTIVE]] {
// CHECK:           scf.if %{{.*}} {
// CHECK-NEXT:        %[[LANE0:.*]] = gpu.lane_id
// CHECK:             scf.for %{{.*}} = %[[LANE0]] to %{{.*}} step %c32
// CHECK:               %[[QC:.*]] = vector.load %{{.*}} {alignment = 16 : i64} : memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>, vector<8xf16>
// CHECK-NEXT:          vector.store %[[QC]], %{{.*}} {alignment = 16 : i64} : memref<1x1x?x32xf16, strided<[640, 640, 40, 1], offset: ?>, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK:           } else {
// CHECK-NEXT:        linalg.copy ins(%{{.*}} : memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>) outs(%{{.*}} : memref<1x1x?x32xf16, strided<[640, 640, 40, 1], offset: ?>, #gpu.address_space<workgroup>>)
// CHECK:         gpu.barrier
// CHECK:         scf.for %[[KEY:.*]] = %{{.*}} to %{{.*}} step %c1 {
// CHECK:           %[[MINE:.*]] = arith.andi %[[ACTIVE]], %{{.*}} : i1
// K's tile, by the block's threads together.
// CHECK:           gpu.barrier
// CHECK:           scf.if %{{.*}} {
// CHECK-NEXT:        %[[TID:.*]] = gpu.thread_id x
// CHECK:             scf.for %{{.*}} = %[[TID]] to %{{.*}} step %c128
// CHECK:               vector.load %{{.*}} : memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>, vector<8xf16>
// CHECK-NEXT:          vector.store %{{.*}} : memref<1x1x?x32xf16, strided<[2560, 2560, 40, 1]>, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK:           } else {
// CHECK-NEXT:        linalg.copy {ein.gpu_block_copy}
// CHECK-NEXT:      }
// CHECK-NEXT:      gpu.barrier
// CHECK:           scf.if %[[MINE]] {
// S = Q K^T: a whole tile without masks, 4 column fragments of 8 keys x
// 2 steps of 16 of D, into the registers.
// CHECK:           scf.if %{{.*}} {
// Q's and K's fragments come from workgroup memory by ldmatrix (x4: A, or
// two B fragments; K's rows run along D, so it is not transposed).
// CHECK:             nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<1x1x?x32xf16, strided<[640, 640, 40, 1], offset: ?>, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK:             nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<1x1x?x32xf16, strided<[2560, 2560, 40, 1]>, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK-COUNT-8:     nvvm.mma.sync
// CHECK-NOT:         arith.select
// CHECK-COUNT-32:    memref.store %{{.*}}, %[[S]][%{{.*}}, %{{.*}}] : memref<8x4xf32>
// CHECK:           } else {
// CHECK:             arith.select
// CHECK:             nvvm.mma.sync
// CHECK:             memref.store %{{.*}}, %[[S]]
// CHECK:           }
// The row max, over each lane's 32 elements (constant indices), then the
// row's 4 lanes, into the lane's 2 slots.
// CHECK-NOT:       gpu.barrier
// CHECK:           scf.if %{{.*}} {
// CHECK-COUNT-32:    memref.load %[[S]][%c{{[0-9_]+}}, %c{{[0-9_]+}}] : memref<8x4xf32>
// CHECK:             gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32{{.*}} : f32
// CHECK:             gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32{{.*}} : f32
// CHECK-NOT:         gpu.shuffle  idx
// CHECK:             memref.store %{{.*}}, %[[MAX:.*]][%{{.*}}, %{{.*}}] : memref<1x2xf32>
// CHECK:             memref.load %[[MAX]]
// CHECK:             memref.store %{{.*}}, %[[MAX]][%{{.*}}, %{{.*}}] : memref<1x2xf32>
// CHECK:           } else {
// The new max, slot by slot.
// CHECK:           memref.load %[[MAX]]
// CHECK:           arith.maximumf
// CHECK:           memref.store %{{.*}} : memref<1x2xf32>
// The row sum, the same way.
// CHECK:           scf.if %{{.*}} {
// CHECK:             math.exp
// CHECK:             gpu.shuffle  xor
// CHECK:           } else {
// V's tile, then P V with the rescale of the output state as its epilogue:
// A from the registers.
// CHECK:           gpu.barrier
// CHECK:           gpu.thread_id x
// CHECK:           linalg.copy {ein.gpu_block_copy}
// CHECK-NEXT:      }
// CHECK-NEXT:      gpu.barrier
// CHECK-NEXT:      scf.if %[[MINE]] {
// CHECK:           scf.if %{{.*}} {
// CHECK:             memref.load %[[S]]
// CHECK:             math.exp
// V's rows run along the output's columns: ldmatrix .trans.
// CHECK:             nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK:             nvvm.mma.sync
// The epilogue: O = O * exp(m - m_new) + P V, in the lane's registers.
// CHECK:             memref.load %[[O]]
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK:             memref.store %{{.*}}, %[[O]]
// CHECK-NOT:         gpu.shuffle  idx
// CHECK-NOT:       gpu.barrier
// CHECK:         }
// The normalised output from each lane's elements (row and column from
// the C layout, inside the run-time sizes), the row sum from their slots.
// CHECK-NOT:     gpu.shuffle
// CHECK:         scf.if %[[ACTIVE]] {
// CHECK:         %[[LANE:.*]] = gpu.lane_id
// CHECK:         scf.if %{{.*}} {
// CHECK:           memref.load %[[O]]
// CHECK:           memref.load %{{.*}} : memref<1x2xf32>
// CHECK:           arith.divf
// CHECK:           arith.truncf
// CHECK:           memref.store %{{.*}} : memref<1x1x?x32xf16, strided<[?, ?, 32, 1], offset: ?>>
// CHECK-COUNT-15: scf.if
// CHECK-NOT:     linalg.generic
// CHECK:       } {ein.gpu_block_threads = 128 : index

// The same on AMD's MFMA, a block of one 64-lane wave. A lane's A
// elements of MFMA are not its C elements: the scores go to workgroup
// memory, where the row reductions and P V read them.
// AMD-LABEL: func.func @attention
// AMD-NOT:     memref.alloca() : memref<{{.*}}x4xf32>
// AMD:         memref.alloc() : memref<1x1x16x68xf32, #gpu.address_space<workgroup>>
// AMD-NOT:     nvgpu.ldmatrix
// AMD:         amdgpu.mfma
// AMD-NOT:     gpu.shuffle
// AMD:       } {ein.gpu_block_threads = 64 : index
func.func @attention(%arg0: memref<?x2x?x32xf16>, %arg1: memref<?x2x?x32xf16>, %arg2: memref<?x2x?x32xf16>, %arg3: memref<?x2x?x32xf16>) attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16>, llvm.emit_c_interface} {
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
    %1 = arith.ceildivui %dim_4, %c64 : index
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

