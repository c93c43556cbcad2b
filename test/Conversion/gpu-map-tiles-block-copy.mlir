// RUN: einfuse-opt %s --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=128 lanes=32},canonicalize,cse))" | FileCheck %s

// Four points to a block (einfuse-gpu-matrix-ops' ein.gpu_block_threads,
// 128 threads of 32 lanes a point) sharing a staged tile: the copy marked
// ein.gpu_block_copy is spread over the block's 128 threads (16-byte
// chunks, 1024 elements a round of the block), a point's own copy over its
// 32 lanes (256 elements a round).

// CHECK-LABEL: func.func @shared_by_block
// CHECK:         gpu.launch
// CHECK-SAME:      threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128
// CHECK:           %[[LANE:.*]] = arith.remui %[[TX]], %c32
// CHECK:           %[[START:.*]] = arith.muli %[[TX]], %c8
// CHECK:           scf.for %{{.*}} = %[[START]] to %{{.*}} step %c2048
// CHECK:             vector.load %{{.*}} : memref<2048xbf16, strided<[1]>>, vector<8xbf16>
// CHECK:             arith.addi %{{.*}}, %c1024
// CHECK:           gpu.barrier
// CHECK:           %[[MINE:.*]] = arith.muli %[[LANE]], %c8
// CHECK:           scf.for %{{.*}} = %[[MINE]] to %{{.*}} step %c512
// CHECK:             vector.load %{{.*}} : memref<512xbf16, strided<[1], offset: ?>>, vector<8xbf16>
// CHECK:             arith.addi %{{.*}}, %c256
func.func @shared_by_block(%k: memref<?xbf16>, %q: memref<?xbf16>, %y: memref<?xf32>) {
  %c5 = arith.constant 5 : index
  %c0 = arith.constant 0 : index
  %n = memref.dim %y, %c0 : memref<?xf32>
  scf.forall (%i) in (%n) {
    %tile = memref.alloc() : memref<2048xbf16, #gpu.address_space<workgroup>>
    %mine = memref.alloc() : memref<512xbf16, #gpu.address_space<workgroup>>
    %ks = memref.subview %k[0] [2048] [1] : memref<?xbf16> to memref<2048xbf16, strided<[1]>>
    %off = arith.muli %i, %c5 : index
    %qs = memref.subview %q[%off] [512] [1] : memref<?xbf16> to memref<512xbf16, strided<[1], offset: ?>>
    gpu.barrier
    linalg.copy {ein.gpu_block_copy} ins(%ks : memref<2048xbf16, strided<[1]>>) outs(%tile : memref<2048xbf16, #gpu.address_space<workgroup>>)
    gpu.barrier
    linalg.copy ins(%qs : memref<512xbf16, strided<[1], offset: ?>>) outs(%mine : memref<512xbf16, #gpu.address_space<workgroup>>)
    gpu.barrier
    %a = memref.load %tile[%c5] : memref<2048xbf16, #gpu.address_space<workgroup>>
    %b = memref.load %mine[%c5] : memref<512xbf16, #gpu.address_space<workgroup>>
    %s = arith.addf %a, %b : bf16
    %f = arith.extf %s : bf16 to f32
    memref.store %f, %y[%i] : memref<?xf32>
  } {ein.gpu_block_threads = 128 : index, mapping = [#gpu.thread<linear_dim_0>]}
  return
}
