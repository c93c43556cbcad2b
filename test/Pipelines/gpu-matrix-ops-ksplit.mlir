// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32}))" | FileCheck %s
// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32}),func.func(einfuse-gpu-map-tiles{threads=128 lanes=32}))" | FileCheck %s --check-prefix=LAUNCH

// K split over the subgroups of a block (#ein.gpu_config k_split = 4, the
// kernel's configuration): each warp walks K from 16 * its index in steps
// of 64, the first starts from the fill's value and the others from 0; the
// partial sums meet in a workgroup buffer of one row per thread, after a
// barrier the first warp adds the other three and stores. The tile loop
// says its points take 128 threads; einfuse-gpu-map-tiles gives a block
// per point and makes the buffer a workgroup attribution.

// CHECK-LABEL: func.func @matmul_split(
// CHECK:         scf.forall
// CHECK:           %[[TID:.*]] = gpu.thread_id  x
// CHECK:           %[[WARP:.*]] = arith.divui %[[TID]], %c32
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[WARP]], %c0
// CHECK:           %[[INIT:.*]] = arith.select %[[FIRST]], %{{.*}}, %{{.*}} : f32
// CHECK:           %[[START:.*]] = arith.muli %[[WARP]], %c16
// CHECK:           %[[ACC:.*]]:8 = scf.for %{{.*}} = %[[START]] to %c64 step %c64{{.*}} iter_args(%{{.*}} = %[[INIT]],
// CHECK:             nvvm.mma.sync
// CHECK:           %[[PART:.*]] = memref.alloc() : memref<128x8xf32, #gpu.address_space<workgroup>>
// CHECK:           memref.store %[[ACC]]#0, %[[PART]][%{{.*}}, %c0{{.*}}]
// CHECK:           memref.store %[[ACC]]#7, %[[PART]]
// CHECK:           gpu.barrier
// CHECK:           scf.if %[[FIRST]] {
// CHECK:             memref.load %[[PART]]
// CHECK:             arith.addf
// CHECK:             memref.store
// CHECK:         } {ein.gpu_point_lanes = 128 : index, mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}

// LAUNCH-LABEL: func.func @matmul_split(
// One point per block of 128 threads.
// LAUNCH:         gpu.launch blocks({{.*}}) in ({{.*}}) threads({{.*}}) in ({{.*}} = %c128{{.*}}) workgroup(%[[WG:.*]] : memref<128x8xf32, #gpu.address_space<workgroup>>)
// LAUNCH-NOT:     memref.alloc()
// LAUNCH:         memref.store %{{.*}}, %[[WG]]
// LAUNCH:         gpu.barrier
func.func @matmul_split(%x: memref<?x64xbf16>, %w: memref<64x32xbf16>, %y: memref<?x32xf32>)
    attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4>} {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %dim = memref.dim %x, %c0 : memref<?x64xbf16>
  scf.forall (%i, %j) = (0, 0) to (%dim, 32) step (16, 16) {
    %0 = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%dim]
    %1 = affine.min affine_map<(d0) -> (-d0 + 32, 16)>(%j)
    %xt = memref.subview %x[%i, 0] [%0, 64] [1, 1] : memref<?x64xbf16> to memref<?x64xbf16, strided<[64, 1], offset: ?>>
    %wt = memref.subview %w[0, %j] [64, %1] [1, 1] : memref<64x32xbf16> to memref<64x?xbf16, strided<[32, 1], offset: ?>>
    %yt = memref.subview %y[%i, %j] [%0, %1] [1, 1] : memref<?x32xf32> to memref<?x?xf32, strided<[32, 1], offset: ?>>
    linalg.fill ins(%cst : f32) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%xt, %wt : memref<?x64xbf16, strided<[64, 1], offset: ?>>, memref<64x?xbf16, strided<[32, 1], offset: ?>>) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>) {
    ^bb0(%in: bf16, %in_2: bf16, %out: f32):
      %2 = arith.extf %in : bf16 to f32
      %3 = arith.extf %in_2 : bf16 to f32
      %4 = arith.mulf %2, %3 : f32
      %5 = arith.addf %out, %4 fastmath<reassoc> : f32
      linalg.yield %5 : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
  return
}

// -----

// A tile point that holds more than the product (a row scale computed by
// the lanes before it) keeps one subgroup per point: no split, no barrier.

// CHECK-LABEL: func.func @scaled_rows(
// CHECK-NOT:     gpu.barrier
// CHECK:         nvvm.mma.sync
// CHECK-NOT:     gpu.barrier
// CHECK:         } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
// LAUNCH-LABEL: func.func @scaled_rows(
// LAUNCH-NOT:     workgroup(
// LAUNCH:         return
func.func @scaled_rows(%x: memref<?x64xbf16>, %w: memref<64x32xbf16>, %r: memref<?xf32>, %y: memref<?x32xf32>)
    attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4>} {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %dim = memref.dim %x, %c0 : memref<?x64xbf16>
  scf.forall (%i, %j) = (0, 0) to (%dim, 32) step (16, 16) {
    %0 = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%dim]
    %1 = affine.min affine_map<(d0) -> (-d0 + 32, 16)>(%j)
    %xt = memref.subview %x[%i, 0] [%0, 64] [1, 1] : memref<?x64xbf16> to memref<?x64xbf16, strided<[64, 1], offset: ?>>
    %wt = memref.subview %w[0, %j] [64, %1] [1, 1] : memref<64x32xbf16> to memref<64x?xbf16, strided<[32, 1], offset: ?>>
    %rt = memref.subview %r[%i] [%0] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
    %yt = memref.subview %y[%i, %j] [%0, %1] [1, 1] : memref<?x32xf32> to memref<?x?xf32, strided<[32, 1], offset: ?>>
    %s = memref.alloca() : memref<16xf32>
    %st = memref.subview %s[0] [%0] [1] : memref<16xf32> to memref<?xf32, strided<[1]>>
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%rt : memref<?xf32, strided<[1], offset: ?>>) outs(%st : memref<?xf32, strided<[1]>>) {
    ^bb0(%in: f32, %out: f32):
      %m = arith.mulf %in, %in : f32
      linalg.yield %m : f32
    }
    linalg.fill ins(%cst : f32) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%xt, %wt : memref<?x64xbf16, strided<[64, 1], offset: ?>>, memref<64x?xbf16, strided<[32, 1], offset: ?>>) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>) {
    ^bb0(%in: bf16, %in_2: bf16, %out: f32):
      %2 = arith.extf %in : bf16 to f32
      %3 = arith.extf %in_2 : bf16 to f32
      %4 = arith.mulf %2, %3 : f32
      %5 = arith.addf %out, %4 fastmath<reassoc> : f32
      linalg.yield %5 : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
  return
}
