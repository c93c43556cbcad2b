// RUN: einfuse-opt %s --transform-interpreter --split-input-file | FileCheck %s

// ein.attention and ein.qmatmul implement upstream's AggregatedOpInterface:
// upstream's own driver (transform.structured.decompose_interface) turns
// them into the same cascades as --ein-decompose.

// CHECK-LABEL: func @attention
// CHECK-NOT: ein.attention
// CHECK: ein.cascade [b, h, p, m, e, f]
// CHECK: ein.einsum mul(%arg0[b, h, p, e], %arg1[b, h, m, e]) -> [b, h, p, m] sum[e]
// CHECK: max[m]
// CHECK: math.exp
// CHECK: sum[m]
// CHECK: -> [b, h, p, f] sum[m]
func.func @attention(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x4x8xf32> {
  %o = ein.attention %q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["ein.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %a : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK-LABEL: func @int8
// CHECK-NOT: ein.qmatmul
// CHECK: ein.cascade [i, n, k]
// CHECK: ein.einsum mul(%arg0[i, k], %{{.*}}[n, k]) -> [i, n] sum[k]
func.func @int8(%x: tensor<?x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x2xf32>) -> tensor<?x16xf32> {
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 32>) : tensor<?x64xf32>, tensor<16x64xi8>, tensor<16x2xf32> -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["ein.qmatmul"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %a : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
