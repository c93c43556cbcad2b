// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// f16 activations and scales: the input is cast to f32, the scales and zero
// points are extended in the dequantize body, and the f32 product is cast
// back to f16.
// CHECK-LABEL: func @f16
// CHECK: ein.einsum custom(%{{.*}}[n, k], %{{.*}}[n, k floordiv 128], %{{.*}}[n, k floordiv 128]) -> [n, k] {
// CHECK-NEXT: ^bb0(%[[Q:.*]]: f32, %[[SC:.*]]: f16, %[[ZP:.*]]: f16):
// CHECK-NEXT: %[[Z32:.*]] = arith.extf %[[ZP]] : f16 to f32
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[Q]], %[[Z32]] : f32
// CHECK-NEXT: %[[S32:.*]] = arith.extf %[[SC]] : f16 to f32
// CHECK-NEXT: arith.mulf %[[D]], %[[S32]] : f32
// CHECK: %[[XF:.*]] = ein.einsum cast(%{{.*}}[i, k]) -> [i, k] : (tensor<?x128xf16>) -> tensor<?x128xf32>
// CHECK: %[[O:.*]] = ein.einsum mul(%[[XF]][i, k], %{{.*}}[n, k]) -> [i, n] sum[k] : (tensor<?x128xf32>, tensor<32x128xf32>) -> tensor<?x32xf32>
// CHECK: %[[OUT:.*]] = ein.einsum cast(%[[O]][i, n]) -> [i, n] : (tensor<?x32xf32>) -> tensor<?x32xf16>
// CHECK: ein.yield %[[OUT]] : tensor<?x32xf16>
func.func @f16(%x: tensor<?x128xf16>, %w: tensor<32x64xi8>, %s: tensor<32x1xf16>, %z: tensor<32x1xf16>) -> tensor<?x32xf16> {
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z) format(#ein.qformat<kind = int4, group_size = 128, zero_point = true>) : tensor<?x128xf16>, tensor<32x64xi8>, tensor<32x1xf16>, tensor<32x1xf16> -> tensor<?x32xf16>
  return %o : tensor<?x32xf16>
}
