// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @sum_f32
func.func @sum_f32(%x: tensor<4x8x2xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c, d]) -> [n] sum[c, d] :
    %y = ein.einsum copy(%x[n, c, d]) -> [n] sum[c, d] : (tensor<4x8x2xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @max_f32
func.func @max_f32(%x: tensor<4x8x2xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c, d]) -> [n] max[c, d] :
    %y = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] : (tensor<4x8x2xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @min_f32
func.func @min_f32(%x: tensor<4x8x2xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c, d]) -> [n] min[c, d] :
    %y = ein.einsum copy(%x[n, c, d]) -> [n] min[c, d] : (tensor<4x8x2xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @sum_i32
func.func @sum_i32(%x: tensor<4x8x2xi32>) -> tensor<4xi32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xi32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c, d]) -> [n] sum[c, d] :
    %y = ein.einsum copy(%x[n, c, d]) -> [n] sum[c, d] : (tensor<4x8x2xi32>) -> tensor<4xi32>
    ein.yield %y : tensor<4xi32>
  }
  return %r : tensor<4xi32>
}

// CHECK-LABEL: func @max_i8
func.func @max_i8(%x: tensor<4x8x2xi8>) -> tensor<4xi8> {
  %r = ein.cascade [n, c, d] -> (tensor<4xi8>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c, d]) -> [n] max[c, d] :
    %y = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] : (tensor<4x8x2xi8>) -> tensor<4xi8>
    ein.yield %y : tensor<4xi8>
  }
  return %r : tensor<4xi8>
}

// CHECK-LABEL: func @min_bf16
func.func @min_bf16(%x: tensor<4x8x2xbf16>) -> tensor<4xbf16> {
  %r = ein.cascade [n, c, d] -> (tensor<4xbf16>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c, d]) -> [n] min[c, d] :
    %y = ein.einsum copy(%x[n, c, d]) -> [n] min[c, d] : (tensor<4x8x2xbf16>) -> tensor<4xbf16>
    ein.yield %y : tensor<4xbf16>
  }
  return %r : tensor<4xbf16>
}

// A contraction: the reduce rank appears in both operands.
// CHECK-LABEL: func @matmul
func.func @matmul(%a: tensor<?x16xf32>, %b: tensor<16x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [i, j, k] -> (tensor<?x?xf32>) {
    // CHECK: ein.einsum mul(%{{.*}}[i, k], %{{.*}}[k, j]) -> [i, j] sum[k] : (tensor<?x16xf32>, tensor<16x?xf32>) -> tensor<?x?xf32>
    %y = ein.einsum mul(%a[i, k], %b[k, j]) -> [i, j] sum[k] : (tensor<?x16xf32>, tensor<16x?xf32>) -> tensor<?x?xf32>
    ein.yield %y : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// A full reduction to a rank-0 tensor.
// CHECK-LABEL: func @to_scalar
func.func @to_scalar(%x: tensor<4x8xf32>) -> tensor<f32> {
  %r = ein.cascade [n, c] -> (tensor<f32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c]) -> [] max[n, c] : (tensor<4x8xf32>) -> tensor<f32>
    %y = ein.einsum copy(%x[n, c]) -> [] max[n, c] : (tensor<4x8xf32>) -> tensor<f32>
    ein.yield %y : tensor<f32>
  }
  return %r : tensor<f32>
}
