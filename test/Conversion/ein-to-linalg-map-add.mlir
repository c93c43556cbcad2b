// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func @add_f32
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @add_f32(%x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum add(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @add_i32
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<4x8xi32>, tensor<8xi32>) outs(%{{.*}} : tensor<4x8xi32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: %[[R:.*]] = arith.addi %[[A]], %[[B]] : i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
func.func @add_i32(%x: tensor<4x8xi32>, %z: tensor<8xi32>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    %y = ein.einsum add(%x[n, c], %z[c]) -> [n, c] : (tensor<4x8xi32>, tensor<8xi32>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}
