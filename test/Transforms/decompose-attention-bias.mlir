// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// A float mask is an additive bias, added after scaling.
// CHECK-LABEL: func @bias
// CHECK-SAME: %[[B:[^:]*]]: tensor<8x8xf32>
// CHECK: ein.einsum custom(%{{.*}}[b, h, p, m], %[[B]][p, m]) -> [b, h, p, m] {
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %[[X:.*]]: f32):
// CHECK-NEXT: %[[SC:.*]] = arith.mulf %[[S]]
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[SC]], %[[X]] : f32
// CHECK-NEXT: ein.yield %[[R]] : f32
func.func @bias(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<8x8xf32>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v mask(%b : tensor<8x8xf32>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// A 4-d bias is indexed by every rank of the scores.
// CHECK-LABEL: func @bias_4d
// CHECK: ein.einsum custom(%{{.*}}[b, h, p, m], %{{.*}}[b, h, p, m]) -> [b, h, p, m]
// CHECK: arith.addf
func.func @bias_4d(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<1x2x8x8xf32>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v mask(%b : tensor<1x2x8x8xf32>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
