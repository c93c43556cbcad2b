// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// An i1 mask keeps the positions that are true: select, not add.
// CHECK-LABEL: func @bool_mask
// CHECK-SAME: %[[MASK:[^:]*]]: tensor<8x8xi1>
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: ein.einsum custom(%{{.*}}[b, h, p, m], %[[MASK]][p, m]) -> [b, h, p, m] {
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %[[K:.*]]: i1):
// CHECK-NEXT: %[[SC:.*]] = arith.mulf %[[S]]
// CHECK-NOT: arith.addf
// CHECK-NEXT: %[[R:.*]] = arith.select %[[K]], %[[SC]], %[[NINF]] : f32
// CHECK-NEXT: ein.yield %[[R]] : f32
func.func @bool_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<8x8xi1>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v mask(%m : tensor<8x8xi1>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// A boolean mask and causal masking combine with and.
// CHECK-LABEL: func @bool_mask_causal
// CHECK: ^bb0(%{{.*}}: f32, %[[K:.*]]: i1):
// CHECK: %[[C:.*]] = arith.cmpi sle
// CHECK: %[[KEEP:.*]] = arith.andi %[[K]], %[[C]] : i1
// CHECK: arith.select %[[KEEP]]
func.func @bool_mask_causal(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<1x2x8x8xi1>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v mask(%m : tensor<1x2x8x8xi1>) {causal} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
