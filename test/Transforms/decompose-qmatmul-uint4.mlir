// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// uint4: the same unpacking without the sign extension; zero points are
// subtracted before scaling.
// CHECK-LABEL: func @uint4
// CHECK-SAME: (%[[X:.*]]: tensor<4x128xf32>, %[[W:.*]]: tensor<32x64xi8>, %[[S:.*]]: tensor<32x4xf32>, %[[Z:.*]]: tensor<32x4xf32>)
// CHECK: %[[WQ:.*]] = ein.einsum custom(%[[W]][n, k floordiv 2]) -> [n, k] {
// CHECK: ein.index "k"
// CHECK: %[[NIB:.*]] = arith.andi
// CHECK-NOT: arith.xori
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[NIB]] : i32 to f32
// CHECK-NEXT: ein.yield %[[F]] : f32
// CHECK: %[[WD:.*]] = ein.einsum custom(%[[WQ]][n, k], %[[S]][n, k floordiv 32], %[[Z]][n, k floordiv 32]) -> [n, k] {
// CHECK-NEXT: ^bb0(%[[Q:.*]]: f32, %[[SC:.*]]: f32, %[[ZP:.*]]: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[Q]], %[[ZP]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[D]], %[[SC]] : f32
// CHECK-NEXT: ein.yield %[[R]] : f32
// CHECK: ein.einsum mul(%[[X]][i, k], %[[WD]][n, k]) -> [i, n] sum[k]
func.func @uint4(%x: tensor<4x128xf32>, %w: tensor<32x64xi8>, %s: tensor<32x4xf32>, %z: tensor<32x4xf32>) -> tensor<4x32xf32> {
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z) format(#ein.qformat<kind = uint4, group_size = 32, zero_point = true>) : tensor<4x128xf32>, tensor<32x64xi8>, tensor<32x4xf32>, tensor<32x4xf32> -> tensor<4x32xf32>
  return %o : tensor<4x32xf32>
}
