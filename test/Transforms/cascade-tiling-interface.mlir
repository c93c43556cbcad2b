// RUN: einfuse-opt %s --transform-interpreter --split-input-file | FileCheck %s
// RUN: einfuse-opt %s --transform-interpreter --split-input-file --mlir-print-local-scope | einfuse-opt --split-input-file | FileCheck %s --check-prefix=ROUNDTRIP

// ein.cascade implements upstream's TilingInterface over its parallel ranks:
// upstream's driver (transform.structured.tile_using_forall) tiles it. Each
// tile reads slices of the cascade's inputs and is a cascade that knows
// which tile it is, so ein.index keeps giving positions in the whole rank.
// Causal attention over (batch, queries): the domain is [b, p] (the heads
// and head dims are static, the keys reduced); queries in tiles of 16.
// CHECK-LABEL: func @attention
// CHECK: scf.forall (%[[B:.*]], %[[I:.*]]) in (%{{.*}}, %{{.*}}) shared_outs(%[[O:.*]] = %{{.*}})
// CHECK: %[[P:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: %[[N:.*]] = affine.min
// CHECK: %[[Q:.*]] = tensor.extract_slice %arg0[%[[B]], 0, %[[P]], 0] [%{{.*}}, 2, %[[N]], 8]
// CHECK: %[[K:.*]] = tensor.extract_slice %arg1[%[[B]], 0, 0, 0]
// CHECK: %[[SQ:.*]] = tensor.dim %arg0, %c2
// CHECK: ein.cascade [b, h, p, m, e, f] tile(b = %[[B]] of %{{.*}}, p = %[[P]] of %[[SQ]])
// CHECK: ein.einsum mul(%[[Q]][b, h, p, e], %[[K]][b, h, m, e])
// CHECK: ein.index "p"
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[O]][%[[B]], 0, %[[P]], 0] [%{{.*}}, 2, %[[N]], 8]
// ROUNDTRIP: ein.cascade [b, h, p, m, e, f] tile(b = %{{.*}} of %{{.*}}, p = %{{.*}} of %{{.*}})
func.func @attention(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = ein.attention %q, %k, %v {causal} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["ein.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %c = transform.structured.decompose_interface %a : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %c tile_sizes [1, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Tiling a tile composes the offsets: rows of 8, then of 2 inside.
// CHECK-LABEL: func @rows
// CHECK: %[[ROWS:.*]] = tensor.dim %arg0, %c0
// CHECK: scf.forall (%[[I1:.*]]) in
// CHECK: %[[O1:.*]] = affine.apply #{{.*}}(%[[I1]])
// CHECK: %[[WHOLE:.*]] = tensor.dim %arg0, %c0
// CHECK: scf.forall (%[[I2:.*]]) in
// CHECK: %[[O2:.*]] = affine.apply #{{.*}}(%[[I2]])
// CHECK: %[[SUM:.*]] = arith.addi %[[O1]], %[[O2]] : index
// CHECK: ein.cascade [n, c] tile(n = %[[SUM]] of %[[WHOLE]])
// CHECK: ein.index "n"
func.func @rows(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %y = ein.cascade [n, c] -> (tensor<?xf32>) {
    %s = ein.einsum custom(%x[n, c]) -> [n] sum[c] {
    ^bb0(%a: f32):
      %i = ein.index "n" : index
      %ii = arith.index_cast %i : index to i64
      %f = arith.sitofp %ii : i64 to f32
      %r = arith.mulf %a, %f : f32
      ein.yield %r : f32
    } : (tensor<?x?xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %y : tensor<?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %c = transform.structured.match ops{["ein.cascade"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %c tile_sizes [8] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %t2, %l2 = transform.structured.tile_using_forall %t tile_sizes [2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The same tiles mapped to GPU blocks (what a GPU lowering maps to the
// grid): the forall carries the mapping, the tile is unchanged.
// CHECK-LABEL: func @blocks
// CHECK: scf.forall (%{{.*}}) in (%{{.*}})
// CHECK: ein.cascade [n, c] tile(n = %{{.*}} of %{{.*}})
// CHECK: } {mapping = [#gpu.block<x>]}
func.func @blocks(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %y = ein.cascade [n, c] -> (tensor<?xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %y : tensor<?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %c = transform.structured.match ops{["ein.cascade"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %c tile_sizes [1] (mapping = [#gpu.block<x>]) : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// A key head shared by 4 query heads (`h floordiv 4`, GQA): query heads in
// tiles of 2 (a divisor of 4, so a tile lies within one group) read one key
// head, at h floordiv 4.
// CHECK-LABEL: func @grouped_heads
// CHECK: scf.forall (%[[B:.*]], %[[I:.*]]) in
// CHECK: %[[H:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: %[[N:.*]] = affine.min #{{.*}}(%[[H]])
// CHECK: %[[Q:.*]] = tensor.extract_slice %arg0[%[[B]], %[[H]], 0, 0] [%{{.*}}, %[[N]], %{{.*}}, 8]
// CHECK: %[[KV:.*]] = arith.divui %[[H]], %c4
// CHECK: %[[K:.*]] = tensor.extract_slice %arg1[%[[B]], %[[KV]], 0, 0] [%{{.*}}, %c1{{(_[0-9]+)?}}, %{{.*}}, 8]
// CHECK: ein.einsum mul(%[[Q]][b, h, p, e], %[[K]][b, h floordiv 4, m, e])
func.func @grouped_heads(%q: tensor<?x?x?x8xf32>, %k: tensor<?x?x?x8xf32>) -> tensor<?x?x?xf32> {
  %y = ein.cascade [b, h, p, m, e] -> (tensor<?x?x?xf32>) {
    %s = ein.einsum mul(%q[b, h, p, e], %k[b, h floordiv 4, m, e]) -> [b, h, p] sum[m, e] : (tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>) -> tensor<?x?x?xf32>
    ein.yield %s : tensor<?x?x?xf32>
  }
  return %y : tensor<?x?x?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %c = transform.structured.match ops{["ein.cascade"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %c tile_sizes [1, 2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The workers of a split iteration (--ein-partition), yielded through
// copies as convert-ein-to-gpu separates them, tile like any parallel
// rank: the domain is [k_w, n]. A tile of one worker runs that worker's
// chunk of c: a range of whole tiles, ceil(ceil(C / 4) / 4) * 4 long,
// with `workers 1`, and its results have a worker dim of 1.
// CHECK-LABEL: func @workers
// CHECK: scf.forall (%[[W:.*]], %[[N:.*]]) in (4, %{{.*}}) shared_outs(%[[O:.*]] = %{{.*}})
// CHECK: %[[C:.*]] = tensor.dim %arg0, %c1
// CHECK: ein.cascade [n, c, c0, k_w = 1] tile(k_w = %[[W]] of %c4{{.*}}, n = %[[N]] of %{{.*}}) -> (tensor<1x?xf32>)
// CHECK: %[[Q:.*]] = arith.ceildivui %[[C]], %c4
// CHECK: %[[T:.*]] = arith.ceildivui %[[Q]], %c4
// CHECK: %[[CHUNK:.*]] = arith.muli %[[T]], %c4
// CHECK: %[[AT:.*]] = arith.muli %[[W]], %[[CHUNK]]
// CHECK: %[[LEN:.*]] = arith.muli %c1{{.*}}, %[[CHUNK]]
// CHECK: ein.iterate c tile 4 as c0 range(%[[AT]], %[[LEN]]) {{.*}} combine [sum] workers 1
// CHECK: ein.einsum copy(%{{.*}}[k_w, n]) -> [k_w, n] : (tensor<1x?xf32>) -> tensor<1x?xf32>
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[O]][%[[W]], %[[N]]] [1, %{{.*}}]
func.func @workers(%x: tensor<?x?xf32>) -> tensor<4x?xf32> {
  %r = ein.cascade [n, c, c0, k_w = 4] -> (tensor<4x?xf32>) {
    %z = arith.constant 0.0 : f32
    %c0 = arith.constant 0 : index
    %rows = tensor.dim %x, %c0 : tensor<?x?xf32>
    %i0 = tensor.splat %z[%rows] : tensor<?xf32>
    %s = ein.iterate c tile 4 as c0 tiles(%x dim 1 : tensor<?x?xf32>) init(%i0 : tensor<?xf32>) combine [sum] workers 4 {
    ^bb0(%xt: tensor<?x?xf32>, %acc: tensor<?xf32>):
      %p = ein.einsum copy(%xt[n, c0]) -> [n] sum[c0] : (tensor<?x?xf32>) -> tensor<?xf32>
      %a = ein.einsum add(%acc[n], %p[n]) -> [n] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
      ein.yield %a : tensor<?xf32>
    }
    %y = ein.einsum copy(%s[k_w, n]) -> [k_w, n] : (tensor<4x?xf32>) -> tensor<4x?xf32>
    ein.yield %y : tensor<4x?xf32>
  }
  return %r : tensor<4x?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %c = transform.structured.match ops{["ein.cascade"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %c tile_sizes [1, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
