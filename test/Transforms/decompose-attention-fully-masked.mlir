// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// Rows with every key masked give 0: a guard Einsum replaces a row max of
// -inf by 0 (so exp(S - max) is 0, not NaN), and another replaces a row sum
// of 0 by 1 (so the division gives 0, not 0/0).
// CHECK-LABEL: func @guards
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[GM:.*]] = ein.einsum copy({{.*}}) -> [b, h, p] max[m]
// CHECK: ein.einsum custom(%[[GM]][b, h, p]) -> [b, h, p] {
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32):
// CHECK-NEXT: %[[EMPTY:.*]] = arith.cmpf oeq, %[[G]], %[[NINF]] : f32
// CHECK-NEXT: %[[MAX:.*]] = arith.select %[[EMPTY]], %[[ZERO]], %[[G]] : f32
// CHECK-NEXT: ein.yield %[[MAX]] : f32
// CHECK: ^bb0(%[[S:.*]]: f32, %[[M:.*]]: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[S]], %[[M]] : f32
// CHECK-NEXT: math.exp %[[D]] : f32
// CHECK: %[[SD:.*]] = ein.einsum copy({{.*}}) -> [b, h, p] sum[m]
// CHECK: ein.einsum custom(%[[SD]][b, h, p]) -> [b, h, p] {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32):
// CHECK-NEXT: %[[Z:.*]] = arith.cmpf oeq, %[[X]], %[[ZERO]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.select %[[Z]], %[[ONE]], %[[X]] : f32
// CHECK-NEXT: ein.yield %[[R]] : f32
// CHECK: ein.einsum div
func.func @guards(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>, %m: tensor<8x8xi1>) -> tensor<1x1x8x16xf32> {
  %o = ein.attention %q, %k, %v mask(%m : tensor<8x8xi1>) : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
  return %o : tensor<1x1x8x16xf32>
}
