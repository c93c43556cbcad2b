// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-specialize-tiles,canonicalize,cse))" | FileCheck %s

// A point of 16 rows (min(16, rows left)) with a key loop of tiles of 64
// (min(64, keys left)): the key tile's body is versioned on 64 keys, then
// the point's body (with its versioned key loop) on 16 rows. In the
// copies, the sizes are constants, so the thread's buffers and the views
// are static; the workgroup buffer stays before the versions, one for
// both.

// CHECK-LABEL: func.func @point
// CHECK:       scf.forall
// CHECK-NEXT:    %[[WG:.*]] = memref.alloc() : memref<16x64xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT:    %[[ROWS:.*]] = affine.min
// CHECK-NEXT:    %[[WHOLE:.*]] = arith.cmpi eq, %[[ROWS]], %c16
// CHECK-NEXT:    scf.if %[[WHOLE]] {
// CHECK-NEXT:      %[[ACC:.*]] = memref.alloc() {{.*}} : memref<16xf32>
// CHECK:           scf.for
// CHECK:             %[[KEYS:.*]] = arith.minsi
// CHECK-NEXT:        %[[FULL:.*]] = arith.cmpi eq, %[[KEYS]], %c64
// CHECK-NEXT:        scf.if %[[FULL]] {
// CHECK:               linalg.copy ins(%{{.*}} : memref<16x64xf32, strided<[?, 1], offset: ?>>) outs(%[[WG]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK-NEXT:          linalg.generic {{.*}} ins(%[[WG]] : memref<16x64xf32, #gpu.address_space<workgroup>>) outs(%[[ACC]] : memref<16xf32>)
// CHECK:             } else {
// CHECK:               memref.subview %[[WG]][0, 0] [16, %[[KEYS]]] [1, 1]
// CHECK:               linalg.generic {{.*}} outs(%[[ACC]] : memref<16xf32>)
// CHECK:             }
// CHECK:           linalg.copy ins(%[[ACC]] : memref<16xf32>)
// CHECK:         } else {
// CHECK-NEXT:      %[[ACC2:.*]] = memref.alloc(%[[ROWS]]) {{.*}} : memref<?xf32>
// CHECK:           scf.for
// CHECK:             %[[KEYS2:.*]] = arith.minsi
// CHECK-NEXT:        %[[FULL2:.*]] = arith.cmpi eq, %[[KEYS2]], %c64
// CHECK-NEXT:        scf.if %[[FULL2]] {
// CHECK:               memref.subview %[[WG]][0, 0] [%[[ROWS]], 64] [1, 1]
// CHECK:               linalg.generic {{.*}} outs(%[[ACC2]] : memref<?xf32>)
// CHECK:             } else {
// CHECK:               memref.subview %[[WG]][0, 0] [%[[ROWS]], %[[KEYS2]]] [1, 1]
// CHECK:               linalg.generic {{.*}} outs(%[[ACC2]] : memref<?xf32>)
// CHECK:             }
// CHECK:         }
// CHECK:       } {mapping = [#gpu.thread<linear_dim_0>]}
func.func @point(%s: memref<?x?xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %s, %c0 : memref<?x?xf32>
  %keys = memref.dim %s, %c1 : memref<?x?xf32>
  scf.forall (%i) = (0) to (%rows) step (16) {
    %wg = memref.alloc() : memref<16x64xf32, #gpu.address_space<workgroup>>
    %n = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%rows]
    %acc = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
    linalg.fill ins(%zero : f32) outs(%acc : memref<?xf32>)
    %tiles = arith.ceildivui %keys, %c64 : index
    scf.for %t = %c0 to %tiles step %c1 {
      %start = arith.muli %t, %c64 : index
      %left = arith.subi %keys, %start : index
      %k = arith.minsi %left, %c64 : index
      %tile = memref.subview %s[%i, %start] [%n, %k] [1, 1] : memref<?x?xf32> to memref<?x?xf32, strided<[?, 1], offset: ?>>
      %shared = memref.subview %wg[0, 0] [%n, %k] [1, 1] : memref<16x64xf32, #gpu.address_space<workgroup>> to memref<?x?xf32, strided<[64, 1]>, #gpu.address_space<workgroup>>
      linalg.copy ins(%tile : memref<?x?xf32, strided<[?, 1], offset: ?>>) outs(%shared : memref<?x?xf32, strided<[64, 1]>, #gpu.address_space<workgroup>>)
      linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r)>], iterator_types = ["parallel", "reduction"]}
          ins(%shared : memref<?x?xf32, strided<[64, 1]>, #gpu.address_space<workgroup>>) outs(%acc : memref<?xf32>) {
      ^bb0(%x: f32, %a: f32):
        %sum = arith.addf %a, %x : f32
        linalg.yield %sum : f32
      }
    }
    %out = memref.subview %y[%i] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
    linalg.copy ins(%acc : memref<?xf32>) outs(%out : memref<?xf32, strided<[1], offset: ?>>)
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// A loop that is not a tile loop of convert-ein-to-gpu (no mapping to GPU
// threads), and a size that is a constant: nothing is versioned.

// CHECK-LABEL: func.func @untouched
// CHECK-NOT:   scf.if
func.func @untouched(%y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %y, %c0 : memref<?xf32>
  scf.forall (%i) = (0) to (%rows) step (16) {
    %n = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%rows]
    %out = memref.subview %y[%i] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%out : memref<?xf32, strided<[1], offset: ?>>)
  }
  scf.forall (%i) in (%rows) {
    %n = arith.minsi %c16, %c16 : index
    %out = memref.subview %y[%i] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%out : memref<?xf32, strided<[1], offset: ?>>)
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Points of a block sharing workgroup tiles (einfuse-gpu-matrix-ops,
// GPUShareTiles.cpp): a point's own rows (min(16, rows left)) differ
// between the points of a block, so they are never versioned (marked
// ein.gpu_divergent_size); the size the points use is a select of 16 on a
// condition the block shares (the whole block is inside the rows), on
// which the version is made: every point of a block takes the same one.

// CHECK-LABEL: func.func @shared_rows
// CHECK:       scf.forall
// CHECK:         %[[OWN:.*]] = affine.min {{.*}} {ein.gpu_divergent_size}
// CHECK-NOT:     arith.cmpi eq, %[[OWN]]
// CHECK:         scf.if %[[WHOLE:.*]] {
// CHECK-NEXT:      %[[OUT:.*]] = memref.subview %{{.*}}[%{{.*}}] [16] [1]
// CHECK-NEXT:      linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]] : memref<16xf32, strided<[1], offset: ?>>)
// CHECK-NEXT:    } else {
// CHECK:         }
func.func @shared_rows(%y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %y, %c0 : memref<?xf32>
  scf.forall (%i) = (0) to (%rows) step (16) {
    %first = arith.remui %i, %c64 : index
    %start = arith.subi %i, %first : index
    %end = arith.addi %start, %c64 : index
    %whole = arith.cmpi ule, %end, %rows : index
    %own = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%rows] {ein.gpu_divergent_size}
    %clamped = arith.maxsi %own, %c0 : index
    %n = arith.select %whole, %c16, %clamped : index
    %out = memref.subview %y[%i] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%out : memref<?xf32, strided<[1], offset: ?>>)
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}
