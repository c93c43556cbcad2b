// RUN: einfuse-opt %s --ein-decompose --split-input-file | FileCheck %s

// Plain attention becomes the 3-pass cascade: QK, score, max, exp(S - max),
// sum, divide, multiply by V. The guards for fully masked rows (max -inf ->
// 0, sum 0 -> 1) are Einsums of their own over [b, h, p].
// CHECK-LABEL: func @attention
// CHECK-SAME: (%[[Q:.*]]: tensor<2x8x?x64xf32>, %[[K:.*]]: tensor<2x8x?x64xf32>, %[[V:.*]]: tensor<2x8x?x32xf32>)
// CHECK-NOT: ein.attention
// CHECK: %[[R:.*]] = ein.cascade [b, h, p, m, e, f] -> (tensor<2x8x?x32xf32>)
// CHECK: %[[QK:.*]] = ein.einsum mul(%[[Q]][b, h, p, e], %[[K]][b, h, m, e]) -> [b, h, p, m] sum[e]
// CHECK: %[[S:.*]] = ein.einsum custom(%[[QK]][b, h, p, m]) -> [b, h, p, m] {
// CHECK:   arith.mulf
// CHECK: }
// CHECK: %[[GM:.*]] = ein.einsum copy(%[[S]][b, h, p, m]) -> [b, h, p] max[m]
// CHECK: %[[GMS:.*]] = ein.einsum custom(%[[GM]][b, h, p]) -> [b, h, p] {
// CHECK:   arith.cmpf oeq
// CHECK:   arith.select
// CHECK: }
// CHECK: %[[SN:.*]] = ein.einsum custom(%[[S]][b, h, p, m], %[[GMS]][b, h, p]) -> [b, h, p, m] {
// CHECK:   %[[D:.*]] = arith.subf
// CHECK:   %[[E:.*]] = math.exp %[[D]] : f32
// CHECK:   ein.yield %[[E]] : f32
// CHECK: }
// CHECK: %[[SD:.*]] = ein.einsum copy(%[[SN]][b, h, p, m]) -> [b, h, p] sum[m]
// CHECK: %[[SDS:.*]] = ein.einsum custom(%[[SD]][b, h, p]) -> [b, h, p] {
// CHECK:   arith.cmpf oeq
// CHECK:   arith.select
// CHECK: }
// CHECK: %[[A:.*]] = ein.einsum div(%[[SN]][b, h, p, m], %[[SDS]][b, h, p]) -> [b, h, p, m]
// CHECK: %[[AV:.*]] = ein.einsum mul(%[[A]][b, h, p, m], %[[V]][b, h, m, f]) -> [b, h, p, f] sum[m]
// CHECK-SAME: -> tensor<2x8x?x32xf32>
// CHECK: ein.yield %[[AV]] : tensor<2x8x?x32xf32>
// CHECK: return %[[R]]
func.func @attention(%q: tensor<2x8x?x64xf32>, %k: tensor<2x8x?x64xf32>, %v: tensor<2x8x?x32xf32>) -> tensor<2x8x?x32xf32> {
  %o = ein.attention %q, %k, %v : tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32>, tensor<2x8x?x32xf32> -> tensor<2x8x?x32xf32>
  return %o : tensor<2x8x?x32xf32>
}

// -----

// The default scale is 1/sqrt(D).
// CHECK-LABEL: func @default_scale
// CHECK-DAG: %[[C:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: ein.einsum custom(%{{.*}}[b, h, p, m]) -> [b, h, p, m] {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32):
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[X]], %[[C]] : f32
// CHECK-NEXT: ein.yield %[[Y]] : f32
func.func @default_scale(%q: tensor<1x1x4x64xf32>, %k: tensor<1x1x4x64xf32>, %v: tensor<1x1x4x64xf32>) -> tensor<1x1x4x64xf32> {
  %o = ein.attention %q, %k, %v : tensor<1x1x4x64xf32>, tensor<1x1x4x64xf32>, tensor<1x1x4x64xf32> -> tensor<1x1x4x64xf32>
  return %o : tensor<1x1x4x64xf32>
}

// -----

// With scale 1 and nothing else to apply, there is no score Einsum: max
// reads QK directly.
// CHECK-LABEL: func @unit_scale
// CHECK: %[[QK:.*]] = ein.einsum mul
// CHECK-NEXT: ein.einsum copy(%[[QK]][b, h, p, m]) -> [b, h, p] max[m]
func.func @unit_scale(%q: tensor<1x1x4x16xf32>, %k: tensor<1x1x4x16xf32>, %v: tensor<1x1x4x16xf32>) -> tensor<1x1x4x16xf32> {
  %o = ein.attention %q, %k, %v {scale = 1.0 : f64} : tensor<1x1x4x16xf32>, tensor<1x1x4x16xf32>, tensor<1x1x4x16xf32> -> tensor<1x1x4x16xf32>
  return %o : tensor<1x1x4x16xf32>
}

// -----

// Cascades and other ops are left alone.
// CHECK-LABEL: func @cascade_untouched
// CHECK: ein.cascade [n, c] -> (tensor<4xf32>)
// CHECK-NEXT: ein.einsum copy(%{{.*}}[n, c]) -> [n] max[c]
func.func @cascade_untouched(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %m : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
