// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func @max_f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[I:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : f32) outs(%[[E]] : tensor<4xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xf32>) outs(%[[F]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @max_f32(%x: tensor<4x8x2xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf32>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] : (tensor<4x8x2xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @max_i32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xi32>
// CHECK: %[[I:.*]] = arith.constant -2147483648 : i32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : i32) outs(%[[E]] : tensor<4xi32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xi32>) outs(%[[F]] : tensor<4xi32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[R:.*]] = arith.maxsi %[[ACC]], %[[X]] : i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
func.func @max_i32(%x: tensor<4x8x2xi32>) -> tensor<4xi32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xi32>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] : (tensor<4x8x2xi32>) -> tensor<4xi32>
    ein.yield %y : tensor<4xi32>
  }
  return %r : tensor<4xi32>
}

// CHECK-LABEL: func @max_f16
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf16>
// CHECK: %[[I:.*]] = arith.constant 0xFC00 : f16
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : f16) outs(%[[E]] : tensor<4xf16>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xf16>) outs(%[[F]] : tensor<4xf16>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f16, %[[ACC:.*]]: f16):
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[ACC]], %[[X]] : f16
// CHECK-NEXT: linalg.yield %[[R]] : f16
func.func @max_f16(%x: tensor<4x8x2xf16>) -> tensor<4xf16> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf16>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] : (tensor<4x8x2xf16>) -> tensor<4xf16>
    ein.yield %y : tensor<4xf16>
  }
  return %r : tensor<4xf16>
}

// CHECK-LABEL: func @max_i8
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xi8>
// CHECK: %[[I:.*]] = arith.constant -128 : i8
// CHECK: %[[F:.*]] = linalg.fill ins(%[[I]] : i8) outs(%[[E]] : tensor<4xi8>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x8x2xi8>) outs(%[[F]] : tensor<4xi8>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: i8, %[[ACC:.*]]: i8):
// CHECK-NEXT: %[[R:.*]] = arith.maxsi %[[ACC]], %[[X]] : i8
// CHECK-NEXT: linalg.yield %[[R]] : i8
func.func @max_i8(%x: tensor<4x8x2xi8>) -> tensor<4xi8> {
  %r = ein.cascade [n, c, d] -> (tensor<4xi8>) {
    %y = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] : (tensor<4x8x2xi8>) -> tensor<4xi8>
    ein.yield %y : tensor<4xi8>
  }
  return %r : tensor<4xi8>
}
