// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// softcap: c * tanh(s / c), applied after the scale.
// CHECK-LABEL: func @softcap
// CHECK-DAG: %[[CAP:.*]] = arith.constant 3.000000e+01 : f32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: ^bb0(%[[X:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.mulf %[[X]], %[[SCALE]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.divf %[[S]], %[[CAP]] : f32
// CHECK-NEXT: %[[T:.*]] = math.tanh %[[D]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[T]], %[[CAP]] : f32
// CHECK-NEXT: ein.yield %[[R]] : f32
func.func @softcap(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v {softcap = 30.0 : f64, scale = 0.5 : f64} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// With scale 1 the softcap is the first action.
// CHECK-LABEL: func @softcap_unit_scale
// CHECK: ^bb0(%[[X:.*]]: f32):
// CHECK-NEXT: arith.divf %[[X]]
// CHECK-NEXT: math.tanh
func.func @softcap_unit_scale(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v {softcap = 30.0 : f64, scale = 1.0 : f64} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
