// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func @neg_f32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.negf %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: return %[[G]]
func.func @neg_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum neg(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @neg_i32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xi32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xi32>) outs(%[[E]] : tensor<4x8xi32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[R:.*]] = arith.subi %[[Z]], %[[IN]] : i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
// CHECK: return %[[G]]
func.func @neg_i32(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    %y = ein.einsum neg(%x[n, c]) -> [n, c] : (tensor<4x8xi32>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}
