// RUN: einfuse-opt %s --transform-interpreter --split-input-file --verify-diagnostics

// A key head shared by 4 query heads (`h floordiv 4`): tiles of 3 query
// heads would span two key heads, which one slice cannot hold.
func.func @grouped_heads(%q: tensor<?x?x?x8xf32>, %k: tensor<?x?x?x8xf32>) -> tensor<?x?x?xf32> {
  // expected-error @below {{cannot be tiled along rank 'h' in tiles other than divisors of 4: an input is read at h floordiv 4}}
  // expected-error @below {{faild to tile operation}}
  // expected-error @below {{failed to generate tiling loops}}
  // expected-note @below {{when applied to this op}}
  %y = ein.cascade [b, h, p, m, e] -> (tensor<?x?x?xf32>) {
    %s = ein.einsum mul(%q[b, h, p, e], %k[b, h floordiv 4, m, e]) -> [b, h, p] sum[m, e] : (tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>) -> tensor<?x?x?xf32>
    ein.yield %s : tensor<?x?x?xf32>
  }
  return %y : tensor<?x?x?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %c = transform.structured.match ops{["ein.cascade"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{failed to apply}}
    %t, %l = transform.structured.tile_using_forall %c tile_sizes [1, 3] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Workers of a split iteration tile in tiles of a constant size: tiles of
// 3 out of 4 workers leave a partial tile of run-time size.
func.func @workers(%x: tensor<?x?xf32>) -> tensor<4x?xf32> {
  // expected-error @below {{faild to tile operation}}
  // expected-error @below {{failed to generate tiling loops}}
  // expected-note @below {{when applied to this op}}
  %r = ein.cascade [n, c, c0, k_w = 4] -> (tensor<4x?xf32>) {
    %z = arith.constant 0.0 : f32
    %c0 = arith.constant 0 : index
    %rows = tensor.dim %x, %c0 : tensor<?x?xf32>
    %i0 = tensor.splat %z[%rows] : tensor<?xf32>
    // expected-error @below {{its workers can only be tiled in tiles of a constant size}}
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
    // expected-error @below {{failed to apply}}
    %t, %l = transform.structured.tile_using_forall %c tile_sizes [3, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
