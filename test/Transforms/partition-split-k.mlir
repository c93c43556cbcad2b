// RUN: einfuse-opt %s --ein-partition="workers=4 rank=k tile-size=16" --split-input-file --verify-diagnostics | FileCheck %s
// RUN: not einfuse-opt %s --ein-partition="workers=4 rank=kk" 2>&1 | FileCheck %s --check-prefix=TYPO
// RUN: not einfuse-opt %s --ein-partition="workers=4 rank=k tile-size=0" 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not einfuse-opt %s --einfuse-cpu-pipeline="split-rank=k" 2>&1 | FileCheck %s --check-prefix=ONE
// TYPO: error: ein-partition: rank 'kk' is not a rank of any cascade
// TILE: error: ein-partition: tile-size must be in [1, 2^31], got 0
// ONE: error: einfuse-cpu-pipeline: split-rank 'k' needs workers > 1 (the chunks to split it into)

// Split-K of a matmul: the sum over k becomes a plain iteration (state: the
// partial product, combine sum), split across 4 workers and summed over the
// workers' rank; the init joins once, at the end.
// CHECK-LABEL: func @matvec
// CHECK: ein.cascade [m, k, n, k0, k_w = 4]
// CHECK: %[[IT:.*]] = ein.iterate k tile 16 as k0 tiles(%arg0 dim 1 : tensor<2x?xf32>, %arg1 dim 0 : tensor<?x16xf32>) init(%{{.*}} : tensor<2x16xf32>) combine [sum] workers 4 {
// CHECK: ein.einsum mul(%{{.*}}[m, k0], %{{.*}}[k0, n]) -> [m, n] sum[k0]
// CHECK-NOT: init(
// CHECK: ein.yield
// CHECK: %[[S:.*]] = ein.einsum copy(%[[IT]][k_w, m, n]) -> [m, n] sum[k_w] : (tensor<4x2x16xf32>) -> tensor<2x16xf32>
// CHECK: ein.einsum custom(%[[S]][m, n]) -> [m, n]
// CHECK: arith.constant 5.000000e-01
func.func @matvec(%x: tensor<2x?xf32>, %w: tensor<?x16xf32>) -> tensor<2x16xf32> {
  %r = ein.cascade [m, k, n] -> (tensor<2x16xf32>) {
    %y = ein.einsum mul(%x[m, k], %w[k, n]) -> [m, n] sum[k] init(0.5 : f32) : (tensor<2x?xf32>, tensor<?x16xf32>) -> tensor<2x16xf32>
    ein.yield %y : tensor<2x16xf32>
  }
  return %r : tensor<2x16xf32>
}

// -----

// Sigmoid attention at decode: no barrier, two sums over k (the keys); both
// are carried and split.
// CHECK-LABEL: func @sigmoid_attention
// CHECK: ein.iterate k tile 16 as k0 {{.*}} combine [sum] workers 4
// CHECK: sum[k_w]
func.func @sigmoid_attention(%s: tensor<1x?xf32>, %v: tensor<?x8xf32>) -> tensor<1x8xf32> {
  %r = ein.cascade [p, k, f] -> (tensor<1x8xf32>) {
    %g = ein.einsum custom(%s[p, k]) -> [p, k] {
    ^bb0(%a: f32):
      %n = arith.negf %a : f32
      %e = math.exp %n : f32
      %one = arith.constant 1.0 : f32
      %d = arith.addf %one, %e : f32
      %y = arith.divf %one, %d : f32
      ein.yield %y : f32
    } : (tensor<1x?xf32>) -> tensor<1x?xf32>
    %o = ein.einsum mul(%g[p, k], %v[k, f]) -> [p, f] sum[k] : (tensor<1x?xf32>, tensor<?x8xf32>) -> tensor<1x8xf32>
    ein.yield %o : tensor<1x8xf32>
  }
  return %r : tensor<1x8xf32>
}

// -----

// Softmax over k still takes 3 passes without its online form: no plain
// split, and the remark says what to run first.
// CHECK-LABEL: func @softmax
// CHECK-NOT: ein.iterate
func.func @softmax(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  // expected-remark @below {{no split over rank 'k': the cascade takes 3 passes over 'k': split-K needs its online form (--ein-online-normalize) first}}
  %y = ein.cascade [n, k] -> (tensor<4x?xf32>) {
    %mx = ein.einsum copy(%x[n, k]) -> [n] max[k] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum sub(%x[n, k], %mx[n]) -> [n, k] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, k]) -> [n] sum[k] : (tensor<4x?xf32>) -> tensor<4xf32>
    %y = ein.einsum div(%e[n, k], %s[n]) -> [n, k] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    ein.yield %y : tensor<4x?xf32>
  }
  return %y : tensor<4x?xf32>
}

// -----

// k only indexes the output: nothing to split, said out loud.
// CHECK-LABEL: func @no_sum
func.func @no_sum(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  // expected-remark @below {{no split over rank 'k': no Einsum reduces 'k'}}
  %y = ein.cascade [n, k] -> (tensor<4x?xf32>) {
    %e = ein.einsum exp(%x[n, k]) -> [n, k] : (tensor<4x?xf32>) -> tensor<4x?xf32>
    ein.yield %e : tensor<4x?xf32>
  }
  return %y : tensor<4x?xf32>
}

// -----

// A packed int4 weight indexes k as k floordiv 2: every tile (tile size
// 16) and every worker's chunk starts at an even k, so its tile is the
// slice [k / 2, ...) of w, read as k0 floordiv 2 inside.
// CHECK-LABEL: func @packed
// CHECK: ein.iterate k tile 16 as k0 tiles(%arg0 dim 1 : tensor<2x?xf32>, %arg1 dim 1 / 2 : tensor<4x?xi8>)
// CHECK-SAME: combine [sum] workers 4
// CHECK: ein.einsum custom(%{{.*}}[m, k0], %{{.*}}[n, k0 floordiv 2]) -> [m, n] sum[k0]
func.func @packed(%x: tensor<2x?xf32>, %w: tensor<4x?xi8>) -> tensor<2x4xf32> {
  %r = ein.cascade [m, k, n] -> (tensor<2x4xf32>) {
    %y = ein.einsum custom(%x[m, k], %w[n, k floordiv 2]) -> [m, n] sum[k] {
    ^bb0(%a: f32, %b: i8):
      %f = arith.sitofp %b : i8 to f32
      %p = arith.mulf %a, %f : f32
      ein.yield %p : f32
    } : (tensor<2x?xf32>, tensor<4x?xi8>) -> tensor<2x4xf32>
    ein.yield %y : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// -----

// A weight read at every other k, w[n, k * 2]: a tile of k is no slice of
// it, and the remark names the Einsum.
func.func @strided(%x: tensor<2x?xf32>, %w: tensor<4x?xi8>) -> tensor<2x4xf32> {
  %r = ein.cascade [m, k, n] -> (tensor<2x4xf32>) {
    // expected-remark @below {{no split over rank 'k': an input of this Einsum is indexed by 'k' other than as one plain dimension}}
    %y = ein.einsum custom(%x[m, k], %w[n, k * 2]) -> [m, n] sum[k] {
    ^bb0(%a: f32, %b: i8):
      %f = arith.sitofp %b : i8 to f32
      %p = arith.mulf %a, %f : f32
      ein.yield %p : f32
    } : (tensor<2x?xf32>, tensor<4x?xi8>) -> tensor<2x4xf32>
    ein.yield %y : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}
