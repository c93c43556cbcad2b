// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// Sliding window [L, R]: keep -L <= m - p <= R.
// CHECK-LABEL: func @window
// CHECK-DAG: %[[R:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[L:.*]] = arith.constant -16 : index
// CHECK: %[[D:.*]] = arith.subi
// CHECK: %[[LE:.*]] = arith.cmpi sle, %[[D]], %[[R]] : index
// CHECK: %[[GE:.*]] = arith.cmpi sge, %[[D]], %[[L]] : index
// CHECK: %[[KEEP:.*]] = arith.andi %[[LE]], %[[GE]] : i1
// CHECK: arith.select %[[KEEP]]
func.func @window(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ein.attention %q, %k, %v {window = array<i64: 16, 4>} : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// A left-unbounded window with causal masking keeps only the right bound 0.
// CHECK-LABEL: func @window_causal
// CHECK: arith.cmpi sle
// CHECK-NOT: arith.cmpi sge
// CHECK: ein.yield
func.func @window_causal(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ein.attention %q, %k, %v {causal, window = array<i64: -1, 8>} : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// Causal with a sliding window, bottom-right aligned (as FlashAttention's
// local attention).
// CHECK-LABEL: func @window_bottom_right
// CHECK: ein.extent "m"
// CHECK: ein.extent "p"
// CHECK: arith.cmpi sle
// CHECK: arith.cmpi sge
func.func @window_bottom_right(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32> {
  %o = ein.attention %q, %k, %v {causal, window = array<i64: 16, 0>, align = #ein.align<bottom_right>} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32> -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
