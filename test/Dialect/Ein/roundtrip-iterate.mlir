// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// A running max over tiles of m, with the position along the whole rank
// (ein.index m) inside the tile.
// CHECK-LABEL: func @running_max
// CHECK: ein.iterate m tile 16 as m0 tiles(%{{.*}} dim 1 : tensor<4x?xf32>) init(%{{.*}} : tensor<4xf32>) combine [max] {
// CHECK-NEXT: ^bb0(%[[T:.*]]: tensor<4x?xf32>, %[[S:.*]]: tensor<4xf32>):
// CHECK: ein.index "m" : index
// CHECK: ein.yield %{{.*}} : tensor<4xf32>
func.func @running_max(%x: tensor<4x?xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    %s = ein.iterate m tile 16 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%init : tensor<4xf32>) combine [max] {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      %w = ein.einsum custom(%t[p, m0]) -> [p, m0] {
      ^bb0(%a: f32):
        %i = ein.index "m" : index
        %ii = arith.index_cast %i : index to i64
        %f = arith.sitofp %ii : i64 to f32
        %r = arith.mulf %a, %f : f32
        ein.yield %r : f32
      } : (tensor<4x?xf32>) -> tensor<4x?xf32>
      %lm = ein.einsum copy(%w[p, m0]) -> [p] max[m0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %nm = ein.einsum max(%st[p], %lm[p]) -> [p] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// Every combine kind, a rescaled sum with a temperature's weight and one
// over a min (softmin), split across 3 workers: each result holds every
// worker's state along a leading dim.
// CHECK-LABEL: func @workers
// CHECK: ein.iterate m tile 4 as m0 tiles(%{{.*}} dim 1 : tensor<4x?xf32>) init({{.*}}) combine [max, rescaled_sum(0, -0.5), min, rescaled_sum(2, 1.0), sum, welford_mean(4), welford_m2(4, 5)] workers 3 {
// CHECK: ein.yield %{{.*}}#6 : tensor<3x4xf32>
func.func @workers(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<3x4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<3x4xf32>) {
    %s:7 = ein.iterate m tile 4 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>, %i : tensor<4xf32>, %i : tensor<4xf32>, %i : tensor<4xf32>, %i : tensor<4xf32>, %i : tensor<4xf32>, %i : tensor<4xf32>) combine [max, rescaled_sum(0, -0.5), min, rescaled_sum(2, 1.0), sum, welford_mean(4), welford_m2(4, 5)] workers 3 {
    ^bb0(%t: tensor<4x?xf32>, %a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<4xf32>, %d: tensor<4xf32>, %e: tensor<4xf32>, %f: tensor<4xf32>, %g: tensor<4xf32>):
      ein.yield %a, %b, %c, %d, %e, %f, %g : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#6 : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// A packed operand (two values per byte along k) and a group scale (one
// per 8 k), tiled with divisors: their tiles start at k / 2 and k / 8.
// CHECK-LABEL: func @divisors
// CHECK: ein.iterate k tile 16 as k0 tiles(%{{.*}} dim 1 : tensor<2x?xf32>, %{{.*}} dim 1 / 2 : tensor<4x?xi8>, %{{.*}} dim 1 / 8 : tensor<4x?xf32>) init(
func.func @divisors(%x: tensor<2x?xf32>, %w: tensor<4x?xi8>, %s: tensor<4x?xf32>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = ein.cascade [m, k, n, k0] -> (tensor<2x4xf32>) {
    %y = ein.iterate k tile 16 as k0 tiles(%x dim 1 : tensor<2x?xf32>, %w dim 1 / 2 : tensor<4x?xi8>, %s dim 1 / 8 : tensor<4x?xf32>) init(%i : tensor<2x4xf32>) combine [sum] {
    ^bb0(%xt: tensor<2x?xf32>, %wt: tensor<4x?xi8>, %st: tensor<4x?xf32>, %acc: tensor<2x4xf32>):
      %p = ein.einsum custom(%xt[m, k0], %wt[n, k0 floordiv 2], %st[n, k0 floordiv 8]) -> [m, n] sum[k0] {
      ^bb0(%a: f32, %b: i8, %c: f32):
        %f = arith.sitofp %b : i8 to f32
        %q = arith.mulf %f, %c : f32
        %t = arith.mulf %a, %q : f32
        ein.yield %t : f32
      } : (tensor<2x?xf32>, tensor<4x?xi8>, tensor<4x?xf32>) -> tensor<2x4xf32>
      %a = ein.einsum add(%acc[m, n], %p[m, n]) -> [m, n] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
      ein.yield %a : tensor<2x4xf32>
    }
    ein.yield %y : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// A range: only positions [%o, %o + %n) of m, split across 2 workers.
// CHECK-LABEL: func @range
// CHECK: ein.iterate m tile 4 as m0 range(%{{.*}}, %{{.*}}) tiles(%{{.*}} dim 1 : tensor<4x?xf32>) init(%{{.*}} : tensor<4xf32>) combine [sum] workers 2 {
func.func @range(%x: tensor<4x?xf32>, %i: tensor<4xf32>, %o: index, %n: index) -> tensor<2x4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<2x4xf32>) {
    %s = ein.iterate m tile 4 as m0 range(%o, %n) tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) combine [sum] workers 2 {
    ^bb0(%t: tensor<4x?xf32>, %a: tensor<4xf32>):
      ein.yield %a : tensor<4xf32>
    }
    ein.yield %s : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}
