// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @int4
func.func @int4(%x: tensor<?x128xf16>, %w: tensor<32x64xi8>, %s: tensor<32x1xf16>) -> tensor<?x32xf16> {
  // CHECK: ein.qmatmul %{{.*}}, %{{.*}} scales(%{{.*}}) format(<kind = int4, group_size = 128>) : tensor<?x128xf16>, tensor<32x64xi8>, tensor<32x1xf16> -> tensor<?x32xf16>
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int4, group_size = 128>) : tensor<?x128xf16>, tensor<32x64xi8>, tensor<32x1xf16> -> tensor<?x32xf16>
  return %o : tensor<?x32xf16>
}

// CHECK-LABEL: func @uint4_zero_points
func.func @uint4_zero_points(%x: tensor<4x128xf32>, %w: tensor<32x64xi8>, %s: tensor<32x4xf32>, %z: tensor<32x4xf32>) -> tensor<4x32xf32> {
  // CHECK: ein.qmatmul %{{.*}}, %{{.*}} scales(%{{.*}}) zero_points(%{{.*}}) format(<kind = uint4, group_size = 32, zero_point = true>) : tensor<4x128xf32>, tensor<32x64xi8>, tensor<32x4xf32>, tensor<32x4xf32> -> tensor<4x32xf32>
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z) format(#ein.qformat<kind = uint4, group_size = 32, zero_point = true>) : tensor<4x128xf32>, tensor<32x64xi8>, tensor<32x4xf32>, tensor<32x4xf32> -> tensor<4x32xf32>
  return %o : tensor<4x32xf32>
}

// CHECK-LABEL: func @int8
func.func @int8(%x: tensor<4x64xi8>, %w: tensor<16x64xi8>, %s: tensor<16x2xbf16>) -> tensor<4x16xbf16> {
  // CHECK: ein.qmatmul %{{.*}}, %{{.*}} scales(%{{.*}}) format(<kind = int8, group_size = 32>) : tensor<4x64xi8>, tensor<16x64xi8>, tensor<16x2xbf16> -> tensor<4x16xbf16>
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 32>) : tensor<4x64xi8>, tensor<16x64xi8>, tensor<16x2xbf16> -> tensor<4x16xbf16>
  return %o : tensor<4x16xbf16>
}

// CHECK-LABEL: func @int8_zero_points
func.func @int8_zero_points(%x: tensor<4x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x1xf32>, %z: tensor<16x1xf32>) -> tensor<4x16xf32> {
  // CHECK: zero_points(%{{.*}}) format(<kind = int8, group_size = 64, zero_point = true>)
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z) format(#ein.qformat<kind = int8, group_size = 64, zero_point = true>) : tensor<4x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>, tensor<16x1xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// CHECK-LABEL: func @fp8_e4m3
func.func @fp8_e4m3(%x: tensor<?x64xf8E4M3FN>, %w: tensor<16x64xf8E4M3FN>, %s: tensor<16x64xf32>) -> tensor<?x16xf32> {
  // CHECK: ein.qmatmul %{{.*}}, %{{.*}} scales(%{{.*}}) format(<kind = fp8_e4m3, group_size = 1>) : tensor<?x64xf8E4M3FN>, tensor<16x64xf8E4M3FN>, tensor<16x64xf32> -> tensor<?x16xf32>
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = fp8_e4m3, group_size = 1>) : tensor<?x64xf8E4M3FN>, tensor<16x64xf8E4M3FN>, tensor<16x64xf32> -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

// The format prints without its #ein.qformat prefix (ODS elides it for a
// known attribute type). An explicit zero_point = false is the default and is not printed.
// CHECK-LABEL: func @explicit_false
func.func @explicit_false(%x: tensor<4x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x1xf32>) -> tensor<4x16xf32> {
  // CHECK: format(<kind = int8, group_size = 64>)
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64, zero_point = false>) : tensor<4x64xf32>, tensor<16x64xi8>, tensor<16x1xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}
