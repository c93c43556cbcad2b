// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @add_f32
func.func @add_f32(%x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum add(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum add(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @sub_f32
func.func @sub_f32(%x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum sub(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum sub(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @mul_f32
func.func @mul_f32(%x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum mul(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum mul(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @div_f32
func.func @div_f32(%x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum div(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum div(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @max_f32
func.func @max_f32(%x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum max(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum max(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @min_f32
func.func @min_f32(%x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    // CHECK: ein.einsum min(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %y = ein.einsum min(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @add_i32
func.func @add_i32(%x: tensor<4x8xi32>, %z: tensor<8xi32>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    // CHECK: ein.einsum add(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xi32>, tensor<8xi32>) -> tensor<4x8xi32>
    %y = ein.einsum add(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xi32>, tensor<8xi32>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}

// CHECK-LABEL: func @mul_i32
func.func @mul_i32(%x: tensor<4x8xi32>, %z: tensor<8xi32>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    // CHECK: ein.einsum mul(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xi32>, tensor<8xi32>) -> tensor<4x8xi32>
    %y = ein.einsum mul(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xi32>, tensor<8xi32>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}

// CHECK-LABEL: func @max_i32
func.func @max_i32(%x: tensor<4x8xi32>, %z: tensor<8xi32>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    // CHECK: ein.einsum max(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xi32>, tensor<8xi32>) -> tensor<4x8xi32>
    %y = ein.einsum max(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xi32>, tensor<8xi32>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}

// CHECK-LABEL: func @div_f64
func.func @div_f64(%x: tensor<4x8xf64>, %z: tensor<8xf64>) -> tensor<4x8xf64> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf64>) {
    // CHECK: ein.einsum div(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] : (tensor<4x8xf64>, tensor<8xf64>) -> tensor<4x8xf64>
    %y = ein.einsum div(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xf64>, tensor<8xf64>) -> tensor<4x8xf64>
    ein.yield %y : tensor<4x8xf64>
  }
  return %r : tensor<4x8xf64>
}
