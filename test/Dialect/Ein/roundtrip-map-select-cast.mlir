// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @cast_f32_to_bf16
func.func @cast_f32_to_bf16(%x: tensor<4x8xf32>) -> tensor<4x8xbf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xbf16>) {
    // CHECK: ein.einsum cast(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xbf16>
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xbf16>
    ein.yield %y : tensor<4x8xbf16>
  }
  return %r : tensor<4x8xbf16>
}

// CHECK-LABEL: func @cast_i8_to_f32
func.func @cast_i8_to_f32(%x: tensor<4x8xi8>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum cast(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xi8>) -> tensor<4x8xf32>
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xi8>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @cast_f8E4M3FN_to_f32
func.func @cast_f8E4M3FN_to_f32(%x: tensor<4x8xf8E4M3FN>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum cast(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf8E4M3FN>) -> tensor<4x8xf32>
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf8E4M3FN>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @cast_i1_to_f16
func.func @cast_i1_to_f16(%x: tensor<4x8xi1>) -> tensor<4x8xf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf16>) {
    // CHECK: ein.einsum cast(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xi1>) -> tensor<4x8xf16>
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xi1>) -> tensor<4x8xf16>
    ein.yield %y : tensor<4x8xf16>
  }
  return %r : tensor<4x8xf16>
}

// CHECK-LABEL: func @cast_f32_to_i32
func.func @cast_f32_to_i32(%x: tensor<4x8xf32>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    // CHECK: ein.einsum cast(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xi32>
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}

// CHECK-LABEL: func @cast_i4_to_i16
func.func @cast_i4_to_i16(%x: tensor<4x8xi4>) -> tensor<4x8xi16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi16>) {
    // CHECK: ein.einsum cast(%{{.*}}[n, c]) -> [n, c] : (tensor<4x8xi4>) -> tensor<4x8xi16>
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xi4>) -> tensor<4x8xi16>
    ein.yield %y : tensor<4x8xi16>
  }
  return %r : tensor<4x8xi16>
}

// CHECK-LABEL: func @select
func.func @select(%c: tensor<4x8xi1>, %x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum select(%{{.*}}[n, c], %{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum select(%c[n, c], %x[n, c], %z[c]) -> [n, c] : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @select_i1
func.func @select_i1(%c: tensor<4xi1>, %x: tensor<4xi1>) -> tensor<4xi1> {
  %r = ein.cascade [n] -> (tensor<4xi1>) {
    // CHECK: ein.einsum select(%{{.*}}[n], %{{.*}}[n], %{{.*}}[n]) -> [n] : (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
    %y = ein.einsum select(%c[n], %x[n], %c[n]) -> [n] : (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
    ein.yield %y : tensor<4xi1>
  }
  return %r : tensor<4xi1>
}
