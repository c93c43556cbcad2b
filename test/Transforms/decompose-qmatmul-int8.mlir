// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// int8: no unpacking; the stored value is cast to f32.
// CHECK-LABEL: func @int8
// CHECK-SAME: (%[[X:.*]]: tensor<4x64xf32>, %[[W:.*]]: tensor<16x64xi8>, %[[S:.*]]: tensor<16x2xf32>)
// CHECK-NOT: ein.index
// CHECK: %[[WQ:.*]] = ein.einsum cast(%[[W]][n, k]) -> [n, k] : (tensor<16x64xi8>) -> tensor<16x64xf32>
// CHECK: %[[WD:.*]] = ein.einsum custom(%[[WQ]][n, k], %[[S]][n, k floordiv 32]) -> [n, k] {
// CHECK-NEXT: ^bb0(%[[Q:.*]]: f32, %[[SC:.*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[Q]], %[[SC]] : f32
// CHECK-NEXT: ein.yield %[[R]] : f32
// CHECK: ein.einsum mul(%[[X]][i, k], %[[WD]][n, k]) -> [i, n] sum[k] : (tensor<4x64xf32>, tensor<16x64xf32>) -> tensor<4x16xf32>
func.func @int8(%x: tensor<4x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 32>) : tensor<4x64xf32>, tensor<16x64xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// An i8 input is cast to f32 as well (W8A8).
// CHECK-LABEL: func @int8_input
// CHECK: %[[XF:.*]] = ein.einsum cast(%{{.*}}[i, k]) -> [i, k] : (tensor<4x64xi8>) -> tensor<4x64xf32>
// CHECK: ein.einsum mul(%[[XF]][i, k], %{{.*}}[n, k]) -> [i, n] sum[k]
func.func @int8_input(%x: tensor<4x64xi8>, %w: tensor<16x64xi8>, %s: tensor<16x1xf32>) -> tensor<4x16xf32> {
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x64xi8>, tensor<16x64xi8>, tensor<16x1xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}
