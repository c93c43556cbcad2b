// RUN: einfuse-opt %s --einfuse-linalg-pipeline --split-input-file | FileCheck %s

// Named ops are decomposed and lowered to linalg on tensors.
// CHECK-LABEL: func @attention
// CHECK-SAME: -> tensor<1x2x8x16xf32>
// CHECK-NOT: ein.
// CHECK-COUNT-9: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return %{{.*}} : tensor<1x2x8x16xf32>
func.func @attention(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v {causal} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// int8 qmatmul: cast, dequantize, contract.
// CHECK-LABEL: func @qmatmul
// CHECK-NOT: ein.
// CHECK: linalg.generic
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @qmatmul(%x: tensor<4x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 32>) : tensor<4x64xf32>, tensor<16x64xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}
