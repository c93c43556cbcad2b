// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @copy_f32
func.func @copy_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum copy(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @neg_f32
func.func @neg_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum neg(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum neg(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @abs_f32
func.func @abs_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum abs(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum abs(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @exp_f32
func.func @exp_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum exp(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum exp(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @exp2_f32
func.func @exp2_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum exp2(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum exp2(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @log_f32
func.func @log_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum log(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum log(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @sqrt_f32
func.func @sqrt_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum sqrt(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum sqrt(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @rsqrt_f32
func.func @rsqrt_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum rsqrt(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum rsqrt(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @tanh_f32
func.func @tanh_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum tanh(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum tanh(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @copy_i8
func.func @copy_i8(%x: tensor<4x8xi8>) -> tensor<4x8xi8> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi8>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xi8>) -> tensor<4x8xi8>
    %y = ein.einsum copy(%x[n, c]) -> [n, c] : (tensor<4x8xi8>) -> tensor<4x8xi8>
    ein.yield %y : tensor<4x8xi8>
  }
  return %r : tensor<4x8xi8>
}

// CHECK-LABEL: func @neg_i32
func.func @neg_i32(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    // CHECK: ein.einsum neg(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xi32>) -> tensor<4x8xi32>
    %y = ein.einsum neg(%x[n, c]) -> [n, c] : (tensor<4x8xi32>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}

// CHECK-LABEL: func @abs_i64
func.func @abs_i64(%x: tensor<4x8xi64>) -> tensor<4x8xi64> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi64>) {
    // CHECK: ein.einsum abs(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xi64>) -> tensor<4x8xi64>
    %y = ein.einsum abs(%x[n, c]) -> [n, c] : (tensor<4x8xi64>) -> tensor<4x8xi64>
    ein.yield %y : tensor<4x8xi64>
  }
  return %r : tensor<4x8xi64>
}

// CHECK-LABEL: func @exp_bf16
func.func @exp_bf16(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xbf16>) {
    // CHECK: ein.einsum exp(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
    %y = ein.einsum exp(%x[n, c]) -> [n, c] : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
    ein.yield %y : tensor<4x8xbf16>
  }
  return %r : tensor<4x8xbf16>
}

// CHECK-LABEL: func @tanh_f16
func.func @tanh_f16(%x: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf16>) {
    // CHECK: ein.einsum tanh(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf16>) -> tensor<4x8xf16>
    %y = ein.einsum tanh(%x[n, c]) -> [n, c] : (tensor<4x8xf16>) -> tensor<4x8xf16>
    ein.yield %y : tensor<4x8xf16>
  }
  return %r : tensor<4x8xf16>
}
