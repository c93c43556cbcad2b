// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// Causal, bottom-right aligned: keep m - p - (Sk - Sq) <= 0, with the
// sequence lengths read by ein.extent.
// CHECK-LABEL: func @causal_bottom_right
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: ein.einsum custom(%{{.*}}[b, h, p, m]) -> [b, h, p, m] {
// CHECK: %[[P:.*]] = ein.index "p" : index
// CHECK: %[[M:.*]] = ein.index "m" : index
// CHECK: %[[D:.*]] = arith.subi %[[M]], %[[P]] : index
// CHECK: %[[SK:.*]] = ein.extent "m" : index
// CHECK: %[[SQ:.*]] = ein.extent "p" : index
// CHECK: %[[OFF:.*]] = arith.subi %[[SK]], %[[SQ]] : index
// CHECK: %[[DD:.*]] = arith.subi %[[D]], %[[OFF]] : index
// CHECK: %[[KEEP:.*]] = arith.cmpi sle, %[[DD]], %[[ZERO]] : index
// CHECK: arith.select %[[KEEP]]
func.func @causal_bottom_right(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32> {
  %o = ein.attention %q, %k, %v {causal, align = #ein.align<bottom_right>} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32> -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
