// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles))" -verify-diagnostics
// RUN: not einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=2048}))" 2>&1 | FileCheck %s --check-prefix=THREADS

// RUN: not einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{vector-bytes=12}))" 2>&1 | FileCheck %s --check-prefix=VECTOR

// THREADS: error: einfuse-gpu-map-tiles: threads must be in [1, 1024], got 2048
// VECTOR: error: einfuse-gpu-map-tiles: vector-bytes must be 0 or a power of two up to 64, got 12
// RUN: not einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=96 lanes=96 subgroup=64}))" 2>&1 | FileCheck %s --check-prefix=SUBGROUP
// SUBGROUP: error: einfuse-gpu-map-tiles: 96 lanes per point are not whole subgroups of 64
// RUN: not einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{subgroup=128}))" 2>&1 | FileCheck %s --check-prefix=SUBGROUP-RANGE
// SUBGROUP-RANGE: error: einfuse-gpu-map-tiles: subgroup must be in [1, 64] (0: the lanes), got 128

// A buffer of the host function is a slice of the launcher's workspace,
// which holds row-major buffers only.
func.func @strided_workspace(%x: memref<?xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  // expected-error @+1 {{unsupported on GPU: a buffer of the host function that is not a plain row-major allocation (the launcher's workspace holds those only)}}
  %t = memref.alloc(%n) : memref<?xf32, strided<[2]>>
  memref.copy %x, %t : memref<?xf32> to memref<?xf32, strided<[2]>>
  memref.copy %t, %y : memref<?xf32, strided<[2]>> to memref<?xf32>
  return
}

// -----

// A thread's buffer whose size is only known at run time (a row, not a
// tile) and that is not an output rewritten in place.
func.func @row(%x: memref<?x?xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %m = memref.dim %x, %c1 : memref<?x?xf32>
  scf.forall (%i) in (%n) {
    // expected-error @+1 {{unsupported on GPU: a temporary of run-time size 'memref<?xf32>' inside a kernel (a rank that is neither tiled across threads nor split into tiles by ein-online-normalize)}}
    %t = memref.alloc(%m) : memref<?xf32>
    %s = memref.subview %x[%i, 0] [1, %m] [1, 1] : memref<?x?xf32> to memref<?xf32, strided<[1], offset: ?>>
    memref.copy %s, %t : memref<?xf32, strided<[1], offset: ?>> to memref<?xf32>
    %a = memref.load %t[%c0] : memref<?xf32>
    %b = memref.load %t[%c1] : memref<?xf32>
    %c = arith.addf %a, %b : f32
    memref.store %c, %y[%i] : memref<?xf32>
  } {ein.gpu_tile_ranks = ["n"], mapping = [#gpu.thread<linear_dim_0>]}
  return
}
