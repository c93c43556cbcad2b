// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func @abs_f16
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf16>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf16>) outs(%[[E]] : tensor<4x8xf16>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT: %[[R:.*]] = math.absf %[[IN]] : f16
// CHECK-NEXT: linalg.yield %[[R]] : f16
// CHECK: return %[[G]]
func.func @abs_f16(%x: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf16>) {
    %y = ein.einsum abs(%x[n, c]) -> [n, c] : (tensor<4x8xf16>) -> tensor<4x8xf16>
    ein.yield %y : tensor<4x8xf16>
  }
  return %r : tensor<4x8xf16>
}

// CHECK-LABEL: func @abs_i8
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xi8>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xi8>) outs(%[[E]] : tensor<4x8xi8>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: %[[R:.*]] = math.absi %[[IN]] : i8
// CHECK-NEXT: linalg.yield %[[R]] : i8
// CHECK: return %[[G]]
func.func @abs_i8(%x: tensor<4x8xi8>) -> tensor<4x8xi8> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi8>) {
    %y = ein.einsum abs(%x[n, c]) -> [n, c] : (tensor<4x8xi8>) -> tensor<4x8xi8>
    ein.yield %y : tensor<4x8xi8>
  }
  return %r : tensor<4x8xi8>
}
