// RUN: einfuse-opt %s -split-input-file -verify-diagnostics --ein-deferred-normalize=remarks=true | FileCheck %s

// The reasons --ein-deferred-normalize=remarks=true gives for keeping a
// normalisation before a sum that deferred-normalize-remarks.mlir does not
// cover. (Its reason "the normalising Einsum does not keep all its ranks" is
// never given: the remark walk skips such Einsums before asking, and an
// Einsum that reduces nothing keeps all its ranks anyway.)

// The factor's element type differs from the sum's: an f16 softmax-style
// normalisation x / sum_c x, widened to f32 for an f32 matmul with v. The
// division is in f16, so it cannot move past the f32 sum.
// CHECK-LABEL: func @factor_type_differs
// CHECK: arith.divf %{{.*}}, %{{.*}} : f16
// CHECK: ein.einsum mul(%{{.*}}[n, c], %arg1[c, f]) -> [n, f] sum[c]
func.func @factor_type_differs(%x: tensor<4x?xf16>, %v: tensor<?x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c, f] -> (tensor<4x8xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf16>) -> tensor<4xf16>
    // expected-remark @below {{the factor's element type differs from the sum's}}
    %p = ein.einsum custom(%x[n, c], %s[n]) -> [n, c] {
    ^bb0(%a: f16, %b: f16):
      %q = arith.divf %a, %b : f16
      %w = arith.extf %q : f16 to f32
      ein.yield %w : f32
    } : (tensor<4x?xf16>, tensor<4xf16>) -> tensor<4x?xf32>
    %o = ein.einsum mul(%p[n, c], %v[c, f]) -> [n, f] sum[c] : (tensor<4x?xf32>, tensor<?x8xf32>) -> tensor<4x8xf32>
    ein.yield %o : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}
