// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @init_sum
func.func @init_sum(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c]) -> [n] sum[c] init(1.000000e+00 : f32) :
    %y = ein.einsum copy(%x[n, c]) -> [n] sum[c] init(1.0 : f32) : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @init_max_int
func.func @init_max_int(%x: tensor<4x8xi32>) -> tensor<4xi32> {
  %r = ein.cascade [n, c] -> (tensor<4xi32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c]) -> [n] max[c] init(0 : i32) :
    %y = ein.einsum copy(%x[n, c]) -> [n] max[c] init(0 : i32) : (tensor<4x8xi32>) -> tensor<4xi32>
    ein.yield %y : tensor<4xi32>
  }
  return %r : tensor<4xi32>
}

// CHECK-LABEL: func @init_min_neg_inf
func.func @init_min_neg_inf(%x: tensor<4x8xf16>) -> tensor<4xf16> {
  %r = ein.cascade [n, c] -> (tensor<4xf16>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c]) -> [n] min[c] init(0xFC00 : f16) :
    %y = ein.einsum copy(%x[n, c]) -> [n] min[c] init(0xFC00 : f16) : (tensor<4x8xf16>) -> tensor<4xf16>
    ein.yield %y : tensor<4xf16>
  }
  return %r : tensor<4xf16>
}

// CHECK-LABEL: func @init_custom
func.func @init_custom(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // CHECK: ein.einsum custom(%{{.*}}[n, c]) -> [n] sum[c] init(2.500000e-01 : f32) attributes {test.tag} {
    %y = ein.einsum custom(%x[n, c]) -> [n] sum[c] init(0.25 : f32) attributes {test.tag} {
    ^bb0(%a: f32):
      %s = arith.mulf %a, %a : f32
      ein.yield %s : f32
    } : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
