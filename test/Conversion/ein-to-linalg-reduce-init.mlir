// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// init(...) replaces the identity.

// CHECK-LABEL: func @init_sum
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[I:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : f32) outs(%[[E]] : tensor<4xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xf32>) outs(%[[F]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[ACC]], %[[X]] fastmath<reassoc> : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @init_sum(%x: tensor<4x8x2xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf32>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] sum[c, d] init(1.0 : f32) : (tensor<4x8x2xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @init_max
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xi32>
// CHECK: %[[I:.*]] = arith.constant 7 : i32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : i32) outs(%[[E]] : tensor<4xi32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xi32>) outs(%[[F]] : tensor<4xi32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[R:.*]] = arith.maxsi %[[ACC]], %[[X]] : i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
func.func @init_max(%x: tensor<4x8x2xi32>) -> tensor<4xi32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xi32>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] init(7 : i32) : (tensor<4x8x2xi32>) -> tensor<4xi32>
    ein.yield %y : tensor<4xi32>
  }
  return %r : tensor<4xi32>
}

// CHECK-LABEL: func @init_min
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[I:.*]] = arith.constant -2.500000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : f32) outs(%[[E]] : tensor<4xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xf32>) outs(%[[F]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.minimumf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @init_min(%x: tensor<4x8x2xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf32>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] min[c, d] init(-2.5 : f32) : (tensor<4x8x2xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
