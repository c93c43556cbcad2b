// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// GQA: query head h reads key/value head h floordiv G (G = Hq / Hkv).
// CHECK-LABEL: func @gqa
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x16x32xf32>, %[[K:.*]]: tensor<1x2x16x32xf32>, %[[V:.*]]: tensor<1x2x16x32xf32>)
// CHECK: ein.einsum mul(%[[Q]][b, h, p, e], %[[K]][b, h floordiv 4, m, e]) -> [b, h, p, m] sum[e]
// CHECK: ein.einsum mul(%{{.*}}[b, h, p, m], %[[V]][b, h floordiv 4, m, f]) -> [b, h, p, f] sum[m]
func.func @gqa(%q: tensor<1x8x16x32xf32>, %k: tensor<1x2x16x32xf32>, %v: tensor<1x2x16x32xf32>) -> tensor<1x8x16x32xf32> {
  %o = ein.attention %q, %k, %v : tensor<1x8x16x32xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32> -> tensor<1x8x16x32xf32>
  return %o : tensor<1x8x16x32xf32>
}

// MQA: one key/value head for all query heads.
// CHECK-LABEL: func @mqa
// CHECK: ein.einsum mul(%{{.*}}[b, h, p, e], %{{.*}}[b, h floordiv 8, m, e]) -> [b, h, p, m] sum[e]
func.func @mqa(%q: tensor<1x8x16x32xf32>, %k: tensor<1x1x16x32xf32>, %v: tensor<1x1x16x32xf32>) -> tensor<1x8x16x32xf32> {
  %o = ein.attention %q, %k, %v : tensor<1x8x16x32xf32>, tensor<1x1x16x32xf32>, tensor<1x1x16x32xf32> -> tensor<1x8x16x32xf32>
  return %o : tensor<1x8x16x32xf32>
}
