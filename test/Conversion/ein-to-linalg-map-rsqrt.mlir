// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func @rsqrt_f32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.rsqrt %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: return %[[G]]
func.func @rsqrt_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum rsqrt(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @rsqrt_bf16
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xbf16>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xbf16>) outs(%[[E]] : tensor<4x8xbf16>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: %[[R:.*]] = math.rsqrt %[[IN]] : bf16
// CHECK-NEXT: linalg.yield %[[R]] : bf16
// CHECK: return %[[G]]
func.func @rsqrt_bf16(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xbf16>) {
    %y = ein.einsum rsqrt(%x[n, c]) -> [n, c] : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
    ein.yield %y : tensor<4x8xbf16>
  }
  return %r : tensor<4x8xbf16>
}
