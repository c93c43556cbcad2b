// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// Causal, top-left aligned: keep m - p <= 0.
// CHECK-LABEL: func @causal
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: ein.einsum custom(%{{.*}}[b, h, p, m]) -> [b, h, p, m] {
// CHECK: %[[S:.*]] = arith.mulf
// CHECK: %[[P:.*]] = ein.index "p" : index
// CHECK: %[[M:.*]] = ein.index "m" : index
// CHECK: %[[D:.*]] = arith.subi %[[M]], %[[P]] : index
// CHECK-NOT: ein.extent
// CHECK: %[[KEEP:.*]] = arith.cmpi sle, %[[D]], %[[ZERO]] : index
// CHECK: %[[R:.*]] = arith.select %[[KEEP]], %[[S]], %[[NINF]] : f32
// CHECK: ein.yield %[[R]] : f32
// CHECK: ein.einsum copy(%{{.*}}) -> [b, h, p] max[m]
func.func @causal(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32> {
  %o = ein.attention %q, %k, %v {causal} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32> -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
