// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// Rows with every key masked give 0: the exp Einsum replaces a max of -inf
// by 0, and the division yields 0 where the denominator is 0.
// CHECK-LABEL: func @guards
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: ^bb0(%[[S:.*]]: f32, %[[GM:.*]]: f32):
// CHECK-NEXT: %[[EMPTY:.*]] = arith.cmpf oeq, %[[GM]], %[[NINF]] : f32
// CHECK-NEXT: %[[MAX:.*]] = arith.select %[[EMPTY]], %[[ZERO]], %[[GM]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[S]], %[[MAX]] : f32
// CHECK-NEXT: math.exp %[[D]] : f32
// CHECK: ^bb0(%[[SN:.*]]: f32, %[[SD:.*]]: f32):
// CHECK-NEXT: %[[Z:.*]] = arith.cmpf oeq, %[[SD]], %[[ZERO]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[SN]], %[[SD]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.select %[[Z]], %[[ZERO]], %[[Q]] : f32
// CHECK-NEXT: ein.yield %[[R]] : f32
func.func @guards(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>, %m: tensor<8x8xi1>) -> tensor<1x1x8x16xf32> {
  %o = ein.attention %q, %k, %v mask(%m : tensor<8x8xi1>) : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
  return %o : tensor<1x1x8x16xf32>
}
