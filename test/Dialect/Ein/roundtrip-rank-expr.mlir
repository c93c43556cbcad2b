// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @split_rank
func.func @split_rank(%x: tensor<256xf32>) -> tensor<4x64xf32> {
  // CHECK: ein.cascade [m1, m0 = 64] -> (tensor<4x64xf32>)
  %r = ein.cascade [m1, m0 = 64] -> (tensor<4x64xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[m1 * 64 + m0]) -> [m1, m0]
    %y = ein.einsum copy(%x[m1 * 64 + m0]) -> [m1, m0] : (tensor<256xf32>) -> tensor<4x64xf32>
    ein.yield %y : tensor<4x64xf32>
  }
  return %r : tensor<4x64xf32>
}

// CHECK-LABEL: func @iterated_rank
func.func @iterated_rank(%x: tensor<9xf32>) -> tensor<8xf32> {
  %r = ein.cascade [m1] -> (tensor<8xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[m1 + 1]) -> [m1]
    %y = ein.einsum copy(%x[m1 + 1]) -> [m1] : (tensor<9xf32>) -> tensor<8xf32>
    ein.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func @minus
func.func @minus(%x: tensor<16xf32>, %z: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = ein.cascade [p, m] -> (tensor<8x8xf32>) {
    // CHECK: ein.einsum add(%{{.*}}[p - m + 8], %{{.*}}[p, m]) -> [p, m]
    %y = ein.einsum add(%x[p - m + 8], %z[p, m]) -> [p, m] : (tensor<16xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
    ein.yield %y : tensor<8x8xf32>
  }
  return %r : tensor<8x8xf32>
}

// CHECK-LABEL: func @grouped_rank
func.func @grouped_rank(%x: tensor<2x16xf32>) -> tensor<8x16xf32> {
  %r = ein.cascade [h, d] -> (tensor<8x16xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[h floordiv 4, d]) -> [h, d]
    %y = ein.einsum copy(%x[h floordiv 4, d]) -> [h, d] : (tensor<2x16xf32>) -> tensor<8x16xf32>
    ein.yield %y : tensor<8x16xf32>
  }
  return %r : tensor<8x16xf32>
}

// CHECK-LABEL: func @mod_ceildiv
func.func @mod_ceildiv(%x: tensor<4x4xf32>) -> tensor<8xf32> {
  %r = ein.cascade [k] -> (tensor<8xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[k mod 4, k ceildiv 3]) -> [k]
    %y = ein.einsum copy(%x[k mod 4, k ceildiv 3]) -> [k] : (tensor<4x4xf32>) -> tensor<8xf32>
    ein.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func @parenthesised
func.func @parenthesised(%x: tensor<5xf32>) -> tensor<8xf32> {
  %r = ein.cascade [k] -> (tensor<8xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[(k + 1) floordiv 2]) -> [k]
    %y = ein.einsum copy(%x[(k + 1) floordiv 2]) -> [k] : (tensor<5xf32>) -> tensor<8xf32>
    ein.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func @constant_index
func.func @constant_index(%x: tensor<3x8xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n] -> (tensor<8xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[2, n]) -> [n]
    %y = ein.einsum copy(%x[2, n]) -> [n] : (tensor<3x8xf32>) -> tensor<8xf32>
    ein.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
