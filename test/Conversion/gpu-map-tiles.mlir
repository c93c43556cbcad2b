// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=64}))" | FileCheck %s
// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=128 lanes=32}))" | FileCheck %s --check-prefix=LANES

// A tile loop of convert-ein-to-gpu becomes a launch: one thread per point,
// 64 per block, ceil(points / 64) blocks; the linear thread index is split
// into the loop's indices, threads past the last point do nothing. The
// thread's private buffers move to the kernel's entry.

// CHECK-LABEL: func.func @rows
// CHECK-SAME:    (%[[X:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// CHECK-DAG:     %[[B:.*]] = memref.dim %[[X]], %c0
// CHECK-DAG:     %[[R:.*]] = memref.dim %[[X]], %c1
// CHECK:         %[[SPAN:.*]] = arith.muli
// CHECK:         %[[GRID:.*]] = arith.ceildivui %[[SPAN]], %c64
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[GRID]], {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c64{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
// CHECK-NEXT:      memref.alloca() : memref<4xf32>
// CHECK:           %[[ID:.*]] = arith.addi
// CHECK:           %[[IN:.*]] = arith.cmpi ult, %[[ID]], %[[SPAN]]
// CHECK:           scf.if %[[IN]] {
// CHECK:             affine.delinearize_index %[[ID]] into
// CHECK:             linalg.generic
// CHECK:           gpu.terminator
// CHECK-NOT:     scf.forall
func.func @rows(%x: memref<?x?xf32>, %y: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = memref.dim %x, %c0 : memref<?x?xf32>
  %r = memref.dim %x, %c1 : memref<?x?xf32>
  scf.forall (%i, %j) in (%b, %r) {
    %t = memref.alloca() : memref<4xf32>
    %s = memref.subview %x[%i, %j] [1, 1] [1, 1] : memref<?x?xf32> to memref<1x1xf32, strided<[?, 1], offset: ?>>
    %d = memref.subview %y[%i, %j] [1, 1] [1, 1] : memref<?x?xf32> to memref<1x1xf32, strided<[?, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]}
        ins(%s : memref<1x1xf32, strided<[?, 1], offset: ?>>) outs(%d : memref<1x1xf32, strided<[?, 1], offset: ?>>) {
    ^bb0(%a: f32, %o: f32):
      %e = math.exp %a : f32
      linalg.yield %e : f32
    }
  } {ein.gpu_tile_ranks = ["b", "r"], mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
  return
}

// -----

// A partial key tile has run-time size min(64, keys left): its buffer
// becomes a private buffer of the bound, viewed at the run-time size.

// CHECK-LABEL: func.func @partial_tile
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[FLAT:.*]] = memref.alloca() : memref<64xf32>
// CHECK:           %[[N:.*]] = arith.minsi
// CHECK:           memref.reinterpret_cast %[[FLAT]] to offset: [0], sizes: [%[[N]]], strides: [1] : memref<64xf32> to memref<?xf32>
// CHECK-NOT:     memref.alloc(
func.func @partial_tile(%x: memref<?xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  scf.forall (%i) in (%n) {
    %left = arith.subi %n, %i : index
    %size = arith.minsi %left, %c64 : index
    %t = memref.alloc(%size) : memref<?xf32>
    %s = memref.subview %x[%i] [%size] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
    memref.copy %s, %t : memref<?xf32, strided<[1], offset: ?>> to memref<?xf32>
    %v = memref.load %t[%c0] : memref<?xf32>
    memref.store %v, %y[%i] : memref<?xf32>
  } {ein.gpu_tile_ranks = ["n"], mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Work outside any tile loop (a cascade no rank of which could be tiled)
// runs on one thread.

// CHECK-LABEL: func.func @serial
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %{{.*}}, {{.*}})
// CHECK:           linalg.fill
// CHECK:           linalg.generic
// CHECK:           gpu.terminator
func.func @serial(%x: memref<?xf32>, %y: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<f32>)
  linalg.generic {indexing_maps = [affine_map<(a) -> (a)>, affine_map<(a) -> ()>], iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%y : memref<f32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// With lanes=32 a subgroup takes one point: the row sum into the point's
// private state runs cyclically over the lanes (lane l reads l, l + 32,
// ..., four per trip) and the lanes' partial sums combine with a subgroup
// reduction; lanes but the first start from 0 so the initial value counts
// once. The write to the output is spread over the lanes by element.

// LANES-LABEL: func.func @row_sums
// LANES:         arith.ceildivui %{{.*}}, %c4
// LANES:         gpu.launch
// LANES:           %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// LANES:           %[[OTHER:.*]] = arith.cmpi ne, %[[LANE]], %c0
// LANES:           scf.if %[[OTHER]] {
// LANES:             linalg.fill
// LANES:           scf.for
// LANES-COUNT-4:     arith.addf
// LANES:           scf.for
// LANES:           gpu.subgroup_reduce add %{{.*}} uniform cluster(size = 32) : (f32) -> f32
// LANES:           scf.for
// LANES:             arith.divf
// LANES:             memref.store
func.func @row_sums(%x: memref<?x?xf32>, %y: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %m = memref.dim %x, %c1 : memref<?x?xf32>
  scf.forall (%i) in (%n) {
    %acc = memref.alloca() : memref<1xf32>
    linalg.fill ins(%zero : f32) outs(%acc : memref<1xf32>)
    %row = memref.subview %x[%i, 0] [1, %m] [1, 1] : memref<?x?xf32> to memref<1x?xf32, strided<[?, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a)>], iterator_types = ["parallel", "reduction"]}
        ins(%row : memref<1x?xf32, strided<[?, 1], offset: ?>>) outs(%acc : memref<1xf32>) {
    ^bb0(%a: f32, %o: f32):
      %s = arith.addf %o, %a : f32
      linalg.yield %s : f32
    }
    %out = memref.subview %y[%i, 0] [1, %m] [1, 1] : memref<?x?xf32> to memref<1x?xf32, strided<[?, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]}
        ins(%row, %acc : memref<1x?xf32, strided<[?, 1], offset: ?>>, memref<1xf32>) outs(%out : memref<1x?xf32, strided<[?, 1], offset: ?>>) {
    ^bb0(%a: f32, %s: f32, %o: f32):
      %d = arith.divf %a, %s : f32
      linalg.yield %d : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Workgroup buffers of the two sides of a conditional (the versions of
// einfuse-gpu-specialize-tiles) are never live together: the else side's
// buffer takes the then side's first one of its type; the then side's
// second, live with its first, keeps its own. Every use reads a launch
// attribution. (The block size is the tile loop's ein.gpu_block_threads.)

// CHECK-LABEL: func.func @versions
// CHECK:         gpu.launch
// CHECK-SAME:      threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c32
// CHECK-SAME:      workgroup(%[[A:.*]] : memref<32xf32, #gpu.address_space<workgroup>>, %[[B:.*]] : memref<32xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:     memref.alloc()
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}, %[[A]]
// CHECK:             memref.store %{{.*}}, %[[B]]
// CHECK:           } else {
// CHECK:             memref.store %{{.*}}, %[[A]]
// LANES-LABEL: func.func @versions
func.func @versions(%y: memref<?xf32>, %flag: i1) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %n = memref.dim %y, %c0 : memref<?xf32>
  scf.forall (%i) in (%n) {
    scf.if %flag {
      %a = memref.alloc() : memref<32xf32, #gpu.address_space<workgroup>>
      %b = memref.alloc() : memref<32xf32, #gpu.address_space<workgroup>>
      memref.store %one, %a[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
      memref.store %one, %b[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
      %v = memref.load %a[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
      %w = memref.load %b[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
      %s = arith.addf %v, %w : f32
      memref.store %s, %y[%i] : memref<?xf32>
    } else {
      %c = memref.alloc() : memref<32xf32, #gpu.address_space<workgroup>>
      memref.store %one, %c[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
      %v = memref.load %c[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
      memref.store %v, %y[%i] : memref<?xf32>
    }
  } {ein.gpu_block_threads = 32 : index, mapping = [#gpu.thread<linear_dim_0>]}
  return
}
