// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// CHECK-LABEL: func @f16
// CHECK: ^bb0(%{{.*}}: f16, %{{.*}}: f16):
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: ein.einsum cast(%{{.*}}[b, h, p, f]) -> [b, h, p, f] : (tensor<2x4x?x32xf32>) -> tensor<2x4x?x32xf16>
func.func @f16(%q: tensor<2x4x?x64xf16>, %k: tensor<2x4x?x64xf16>, %v: tensor<2x4x?x32xf16>) -> tensor<2x4x?x32xf16> {
  %o = ein.attention %q, %k, %v : tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16>, tensor<2x4x?x32xf16> -> tensor<2x4x?x32xf16>
  return %o : tensor<2x4x?x32xf16>
}
