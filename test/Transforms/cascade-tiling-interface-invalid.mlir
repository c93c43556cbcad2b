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
