// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// The accumulator starts from the identity of the reduce action.

// CHECK-LABEL: func @sum_f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[I:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : f32) outs(%[[E]] : tensor<4xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xf32>) outs(%[[F]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[ACC]], %[[X]] fastmath<reassoc> : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @sum_f32(%x: tensor<4x8x2xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf32>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] sum[c, d] : (tensor<4x8x2xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @sum_i32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xi32>
// CHECK: %[[I:.*]] = arith.constant 0 : i32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : i32) outs(%[[E]] : tensor<4xi32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xi32>) outs(%[[F]] : tensor<4xi32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[R:.*]] = arith.addi %[[ACC]], %[[X]] : i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
func.func @sum_i32(%x: tensor<4x8x2xi32>) -> tensor<4xi32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xi32>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] sum[c, d] : (tensor<4x8x2xi32>) -> tensor<4xi32>
    ein.yield %y : tensor<4xi32>
  }
  return %r : tensor<4xi32>
}

// CHECK-LABEL: func @sum_bf16
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xbf16>
// CHECK: %[[I:.*]] = arith.constant 0.000000e+00 : bf16
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : bf16) outs(%[[E]] : tensor<4xbf16>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xbf16>) outs(%[[F]] : tensor<4xbf16>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: bf16, %[[ACC:.*]]: bf16):
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[ACC]], %[[X]] fastmath<reassoc> : bf16
// CHECK-NEXT: linalg.yield %[[R]] : bf16
func.func @sum_bf16(%x: tensor<4x8x2xbf16>) -> tensor<4xbf16> {
  %r = ein.cascade [n, c, d] -> (tensor<4xbf16>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] sum[c, d] : (tensor<4x8x2xbf16>) -> tensor<4xbf16>
    ein.yield %y : tensor<4xbf16>
  }
  return %r : tensor<4xbf16>
}
