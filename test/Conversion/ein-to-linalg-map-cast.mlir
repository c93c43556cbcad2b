// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: func @cast_f32_to_bf16
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xbf16>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xbf16>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: bf16):
// CHECK-NEXT: %[[R:.*]] = arith.truncf %[[IN]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[R]] : bf16
// CHECK: return %[[G]]
func.func @cast_f32_to_bf16(%x: tensor<4x8xf32>) -> tensor<4x8xbf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xbf16>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xbf16>
    ein.yield %y : tensor<4x8xbf16>
  }
  return %r : tensor<4x8xbf16>
}

// CHECK-LABEL: func @cast_f16_to_f32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf16>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f16, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: return %[[G]]
func.func @cast_f16_to_f32(%x: tensor<4x8xf16>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf16>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @cast_f16_to_bf16
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xbf16>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf16>) outs(%[[E]] : tensor<4x8xbf16>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f16, %{{.*}}: bf16):
// CHECK-NEXT: %[[W:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK-NEXT: %[[R:.*]] = arith.truncf %[[W]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[R]] : bf16
// CHECK: return %[[G]]
func.func @cast_f16_to_bf16(%x: tensor<4x8xf16>) -> tensor<4x8xbf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xbf16>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf16>) -> tensor<4x8xbf16>
    ein.yield %y : tensor<4x8xbf16>
  }
  return %r : tensor<4x8xbf16>
}

// CHECK-LABEL: func @cast_i8_to_f32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xi8>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i8, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.sitofp %[[IN]] : i8 to f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: return %[[G]]
func.func @cast_i8_to_f32(%x: tensor<4x8xi8>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xi8>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @cast_i1_to_f16
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf16>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xi1>) outs(%[[E]] : tensor<4x8xf16>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i1, %{{.*}}: f16):
// CHECK-NEXT: %[[R:.*]] = arith.uitofp %[[IN]] : i1 to f16
// CHECK-NEXT: linalg.yield %[[R]] : f16
// CHECK: return %[[G]]
func.func @cast_i1_to_f16(%x: tensor<4x8xi1>) -> tensor<4x8xf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf16>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xi1>) -> tensor<4x8xf16>
    ein.yield %y : tensor<4x8xf16>
  }
  return %r : tensor<4x8xf16>
}

// CHECK-LABEL: func @cast_f32_to_i32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xi32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xi32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i32):
// CHECK-NEXT: %[[R:.*]] = arith.fptosi %[[IN]] : f32 to i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
// CHECK: return %[[G]]
func.func @cast_f32_to_i32(%x: tensor<4x8xf32>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}

// CHECK-LABEL: func @cast_i8_to_i32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xi32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xi8>) outs(%[[E]] : tensor<4x8xi32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i8, %{{.*}}: i32):
// CHECK-NEXT: %[[R:.*]] = arith.extsi %[[IN]] : i8 to i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
// CHECK: return %[[G]]
func.func @cast_i8_to_i32(%x: tensor<4x8xi8>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xi8>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}

// CHECK-LABEL: func @cast_i1_to_i32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xi32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xi1>) outs(%[[E]] : tensor<4x8xi32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i1, %{{.*}}: i32):
// CHECK-NEXT: %[[R:.*]] = arith.extui %[[IN]] : i1 to i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
// CHECK: return %[[G]]
func.func @cast_i1_to_i32(%x: tensor<4x8xi1>) -> tensor<4x8xi32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi32>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xi1>) -> tensor<4x8xi32>
    ein.yield %y : tensor<4x8xi32>
  }
  return %r : tensor<4x8xi32>
}

// CHECK-LABEL: func @cast_i32_to_i8
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xi8>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xi32>) outs(%[[E]] : tensor<4x8xi8>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i32, %{{.*}}: i8):
// CHECK-NEXT: %[[R:.*]] = arith.trunci %[[IN]] : i32 to i8
// CHECK-NEXT: linalg.yield %[[R]] : i8
// CHECK: return %[[G]]
func.func @cast_i32_to_i8(%x: tensor<4x8xi32>) -> tensor<4x8xi8> {
  %r = ein.cascade [n, c] -> (tensor<4x8xi8>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xi32>) -> tensor<4x8xi8>
    ein.yield %y : tensor<4x8xi8>
  }
  return %r : tensor<4x8xi8>
}

// CHECK-LABEL: func @cast_f32_to_f32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: return %[[G]]
func.func @cast_f32_to_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}
