// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func @select
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
// CHECK-NEXT: ^bb0(%[[C:.*]]: i1, %[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.select %[[C]], %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @select(%c: tensor<4x8xi1>, %x: tensor<4x8xf32>, %z: tensor<8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum select(%c[n, c], %x[n, c], %z[c]) -> [n, c] : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}
