// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// fp8_e4m3: the stored value is cast (decoded) to f32, then scaled.
// CHECK-LABEL: func @fp8
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<16x64xf8E4M3FN>, %[[S:.*]]: tensor<16x2xf32>)
// CHECK: %[[WQ:.*]] = ein.einsum cast(%[[W]][n, k]) -> [n, k] : (tensor<16x64xf8E4M3FN>) -> tensor<16x64xf32>
// CHECK: %[[WD:.*]] = ein.einsum custom(%[[WQ]][n, k], %[[S]][n, k floordiv 32]) -> [n, k]
// CHECK: arith.mulf
// CHECK: ein.einsum mul(%[[X]][i, k], %[[WD]][n, k]) -> [i, n] sum[k] : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
func.func @fp8(%x: tensor<?x64xf32>, %w: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf32>) -> tensor<?x16xf32> {
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = fp8_e4m3, group_size = 32>) : tensor<?x64xf32>, tensor<16x64xf8E4M3FN>, tensor<16x2xf32> -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

// An fp8 input too.
// CHECK-LABEL: func @fp8_input
// CHECK: ein.einsum cast(%{{.*}}[i, k]) -> [i, k] : (tensor<4x64xf8E4M3FN>) -> tensor<4x64xf32>
func.func @fp8_input(%x: tensor<4x64xf8E4M3FN>, %w: tensor<16x64xf8E4M3FN>, %s: tensor<16x1xf32>) -> tensor<4x16xf32> {
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = fp8_e4m3, group_size = 64>) : tensor<4x64xf8E4M3FN>, tensor<16x64xf8E4M3FN>, tensor<16x1xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}
