// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// bf16 inputs: products and softmax in f32 (arith.extf in the contractions),
// and a final cast back to bf16.
// CHECK-LABEL: func @bf16
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x8x16xbf16>, %[[K:.*]]: tensor<1x2x8x16xbf16>, %[[V:.*]]: tensor<1x2x8x16xbf16>)
// CHECK: ein.cascade [b, h, p, m, e, f] -> (tensor<1x2x8x16xbf16>)
// CHECK: ein.einsum custom(%[[Q]][b, h, p, e], %[[K]][b, h, m, e]) -> [b, h, p, m] sum[e] {
// CHECK-NEXT: ^bb0(%[[A:.*]]: bf16, %[[B:.*]]: bf16):
// CHECK-NEXT: %[[A32:.*]] = arith.extf %[[A]] : bf16 to f32
// CHECK-NEXT: %[[B32:.*]] = arith.extf %[[B]] : bf16 to f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A32]], %[[B32]] : f32
// CHECK-NEXT: ein.yield %[[P]] : f32
// CHECK-NEXT: } : (tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>) -> tensor<1x2x8x8xf32>
// CHECK: max[m] : (tensor<1x2x8x8xf32>) -> tensor<1x2x8xf32>
// CHECK: math.exp
// CHECK: sum[m] : (tensor<1x2x8x8xf32>) -> tensor<1x2x8xf32>
// CHECK: ein.einsum div
// CHECK: %[[AV:.*]] = ein.einsum custom(%{{.*}}[b, h, p, m], %[[V]][b, h, m, f]) -> [b, h, p, f] sum[m] {
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: } : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xf32>
// CHECK: %[[OUT:.*]] = ein.einsum cast(%[[AV]][b, h, p, f]) -> [b, h, p, f] : (tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xbf16>
// CHECK: ein.yield %[[OUT]] : tensor<1x2x8x16xbf16>
func.func @bf16(%q: tensor<1x2x8x16xbf16>, %k: tensor<1x2x8x16xbf16>, %v: tensor<1x2x8x16xbf16>) -> tensor<1x2x8x16xbf16> {
  %o = ein.attention %q, %k, %v : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}

// A bf16 bias is extended before it is added.
// CHECK-LABEL: func @bf16_bias
// CHECK: ^bb0(%{{.*}}: f32, %[[X:.*]]: bf16):
// CHECK: %[[X32:.*]] = arith.extf %[[X]] : bf16 to f32
// CHECK: arith.addf %{{.*}}, %[[X32]] : f32
func.func @bf16_bias(%q: tensor<1x2x8x16xbf16>, %k: tensor<1x2x8x16xbf16>, %v: tensor<1x2x8x16xbf16>, %m: tensor<1x2x8x8xbf16>) -> tensor<1x2x8x16xbf16> {
  %o = ein.attention %q, %k, %v mask(%m : tensor<1x2x8x8xbf16>) : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
  return %o : tensor<1x2x8x16xbf16>
}
