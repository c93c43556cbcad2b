// RUN: einfuse-opt %s | FileCheck %s
// CHECK-LABEL: func @f
func.func @f(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // CHECK: ein.cascade [n, c]
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n, c]) -> [n] max[c]
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %m : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
