// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-map-tiles{threads=128 lanes=32},canonicalize,cse))" | FileCheck %s

// A reduction into a private buffer whose output dim is the contiguous dim
// of what it reads (P V at decode: o[f] = sum over k of p[k] * v[k, f]):
// the lanes own output elements (lane j computes f = j, j + 32, ...,
// reading v's rows coalesced) instead of each reading its own rows of v
// and combining every element across the lanes; then every lane gets each
// element from its owner (one shuffle per element), so each lane's copy
// of the result is whole again, as the point's other ops expect.

// CHECK-LABEL: func.func @pv
// CHECK:         %[[LANE:.*]] = arith.remui %arg6, %c32
// Each lane's element takes its whole reduction as the inner loop (a
// register across it), unrolled by 4.
// CHECK:         scf.for %[[F:.*]] = %[[LANE]] to %c128 step %c32 {
// CHECK:           scf.for %[[K:.*]] = %c0 to %c16 step %c4 {
// CHECK:             memref.load %arg1[%[[K]], %[[F]]] : memref<16x128xbf16>
// CHECK-NOT:     gpu.subgroup_reduce
// CHECK:         scf.for %[[E:.*]] = %c0 to %c128 step %c1 {
// CHECK:           %[[V:.*]] = memref.load %[[O:.*]][%[[E]]] : memref<128xf32>
// CHECK:           %[[OWNER:.*]] = arith.remui %[[E]], %c32
// CHECK:           %[[SRC:.*]] = arith.index_castui %[[OWNER]] : index to i32
// CHECK:           %[[ALL:.*]], %{{.*}} = gpu.shuffle idx %[[V]], %[[SRC]], %c32_i32 : f32
// CHECK:           memref.store %[[ALL]], %[[O]][%[[E]]]
func.func @pv(%p: memref<?x16xf32>, %v: memref<16x128xbf16>, %y: memref<?x128xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %p, %c0 : memref<?x16xf32>
  scf.forall (%i) in (%n) {
    %o = memref.alloca() : memref<128xf32>
    linalg.fill ins(%zero : f32) outs(%o : memref<128xf32>)
    %row = memref.subview %p[%i, 0] [1, 16] [1, 1] : memref<?x16xf32> to memref<16xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(k, f) -> (k)>, affine_map<(k, f) -> (k, f)>, affine_map<(k, f) -> (f)>], iterator_types = ["reduction", "parallel"]}
        ins(%row, %v : memref<16xf32, strided<[1], offset: ?>>, memref<16x128xbf16>) outs(%o : memref<128xf32>) {
    ^bb0(%a: f32, %b: bf16, %acc: f32):
      %e = arith.extf %b : bf16 to f32
      %m = arith.mulf %a, %e : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    %out = memref.subview %y[%i, 0] [1, 128] [1, 1] : memref<?x128xf32> to memref<128xf32, strided<[1], offset: ?>>
    memref.copy %o, %out : memref<128xf32> to memref<128xf32, strided<[1], offset: ?>>
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// The contiguous dim of the read is the reduced one (attention's scores:
// s[k] = sum over d of q[d] * kk[k, d]): the lanes split the reduction and
// combine each element across the lanes, as before.

// CHECK-LABEL: func.func @scores
// CHECK:         gpu.subgroup_reduce add
// CHECK-NOT:     gpu.shuffle idx
func.func @scores(%q: memref<?x128xbf16>, %kk: memref<16x128xbf16>, %y: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %q, %c0 : memref<?x128xbf16>
  scf.forall (%i) in (%n) {
    %s = memref.alloca() : memref<16xf32>
    linalg.fill ins(%zero : f32) outs(%s : memref<16xf32>)
    %row = memref.subview %q[%i, 0] [1, 128] [1, 1] : memref<?x128xbf16> to memref<128xbf16, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(k, d) -> (d)>, affine_map<(k, d) -> (k, d)>, affine_map<(k, d) -> (k)>], iterator_types = ["parallel", "reduction"]}
        ins(%row, %kk : memref<128xbf16, strided<[1], offset: ?>>, memref<16x128xbf16>) outs(%s : memref<16xf32>) {
    ^bb0(%a: bf16, %b: bf16, %acc: f32):
      %ea = arith.extf %a : bf16 to f32
      %eb = arith.extf %b : bf16 to f32
      %m = arith.mulf %ea, %eb : f32
      %r = arith.addf %acc, %m : f32
      linalg.yield %r : f32
    }
    %out = memref.subview %y[%i, 0] [1, 16] [1, 1] : memref<?x16xf32> to memref<16xf32, strided<[1], offset: ?>>
    memref.copy %s, %out : memref<16xf32> to memref<16xf32, strided<[1], offset: ?>>
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// A point's state of static size (16 rows, each lane its copy), updated
// row by row: the loop over the rows unrolls, so every access to the state
// has a constant index (LLVM then keeps it in registers); the lanes' loop
// over a row (its trip count depends on the lane) stays a loop.

// CHECK-LABEL: func.func @rows
// CHECK:         memref.alloca() : memref<16xf32>
// CHECK-NOT:     scf.for %{{.*}} = %c0 to %c16 step %c1
// CHECK:         memref.store %{{.*}}, %{{.*}}[%c0] : memref<16xf32>
// CHECK:         memref.store %{{.*}}, %{{.*}}[%c15] : memref<16xf32>
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c256 {
// CHECK:           vector.load
// CHECK:           memref.load %{{.*}}[%c0] : memref<16xf32>
// CHECK:         gpu.subgroup_reduce maximumf
// CHECK:         memref.load %{{.*}}[%c15] : memref<16xf32>
func.func @rows(%s: memref<?x16x128xf32>, %y: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %n = memref.dim %s, %c0 : memref<?x16x128xf32>
  scf.forall (%i) in (%n) {
    %m = memref.alloca() : memref<16xf32>
    linalg.fill ins(%ninf : f32) outs(%m : memref<16xf32>)
    %tile = memref.subview %s[%i, 0, 0] [1, 16, 128] [1, 1, 1] : memref<?x16x128xf32> to memref<16x128xf32, strided<[128, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>], iterator_types = ["parallel", "reduction"]}
        ins(%tile : memref<16x128xf32, strided<[128, 1], offset: ?>>) outs(%m : memref<16xf32>) {
    ^bb0(%x: f32, %a: f32):
      %r = arith.maximumf %a, %x : f32
      linalg.yield %r : f32
    }
    %out = memref.subview %y[%i, 0] [1, 16] [1, 1] : memref<?x16xf32> to memref<16xf32, strided<[1], offset: ?>>
    linalg.copy ins(%m : memref<16xf32>) outs(%out : memref<16xf32, strided<[1], offset: ?>>)
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// A point's state read at a run-time index (a lane's row of a matrix tile,
// lane / 4, as einfuse-gpu-matrix-ops's operand code reads it): the load
// becomes a choice among the 16 elements at constant indices (a tree of
// selects on the index's bits), so that no access keeps the state out of
// registers.

// CHECK-LABEL: func.func @lane_row
// CHECK:         %[[STATE:.*]] = memref.alloca() : memref<16xf32>
// CHECK:         %[[LANE:.*]] = gpu.lane_id
// CHECK-NOT:     memref.load %[[STATE]][%{{[0-9]+}}]
// CHECK:         memref.load %[[STATE]][%c0] : memref<16xf32>
// CHECK:         memref.load %[[STATE]][%c15] : memref<16xf32>
// CHECK-COUNT-15: arith.select
// CHECK-NOT:     memref.load %[[STATE]][%{{[0-9]+}}]
// CHECK:         memref.store
func.func @lane_row(%s: memref<?x16xf32>, %y: memref<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %n = memref.dim %s, %c0 : memref<?x16xf32>
  scf.forall (%i) in (%n) {
    %state = memref.alloca() : memref<16xf32>
    scf.for %r = %c0 to %c16 step %c1 {
      %v = memref.load %s[%i, %r] : memref<?x16xf32>
      memref.store %v, %state[%r] : memref<16xf32>
    }
    %lane = gpu.lane_id
    %row = arith.divui %lane, %c4 : index
    %x = memref.load %state[%row] : memref<16xf32>
    memref.store %x, %y[%i, %lane] : memref<?x32xf32>
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}
