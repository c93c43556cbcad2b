// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func @copy_f32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: return %[[G]]
func.func @copy_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum copy(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @copy_i1
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xi1>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xi1>) outs(%[[E]] : tensor<4x8xi1>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i1, %{{.*}}: i1):
// CHECK-NEXT: linalg.yield %[[IN]] : i1
// CHECK: return %[[G]]
func.func @copy_i1(%x: tensor<4x8xi1>) -> tensor<4x8xi1> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi1>) {
    %y = ein.einsum copy(%x[n, c]) -> [n, c] : (tensor<4x8xi1>) -> tensor<4x8xi1>
    ein.yield %y : tensor<4x8xi1>
  }
  return %r : tensor<4x8xi1>
}
