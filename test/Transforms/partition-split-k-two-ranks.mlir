// RUN: einfuse-opt %s --ein-partition="workers=4 rank=k tile-size=8" | FileCheck %s --check-prefix=SPLIT

// Split-K of a sum over (k, g): the iteration runs over k, g whole per tile.
// SPLIT-LABEL: func @split_k_2d
// SPLIT: ein.iterate k tile 8 as k0 tiles(%arg0 dim 1 : tensor<2x?x3xf32>, %arg1 dim 0 : tensor<?x3x4xf32>)
// SPLIT-SAME: combine [sum] workers 4
// SPLIT: ein.einsum mul(%{{.*}}[m, k0, g], %{{.*}}[k0, g, n]) -> [m, n] sum[k0, g]
func.func @split_k_2d(%x: tensor<2x?x3xf32>, %w: tensor<?x3x4xf32>) -> tensor<2x4xf32> {
  %r = ein.cascade [m, k, g, n] -> (tensor<2x4xf32>) {
    %y = ein.einsum mul(%x[m, k, g], %w[k, g, n]) -> [m, n] sum[k, g] : (tensor<2x?x3xf32>, tensor<?x3x4xf32>) -> tensor<2x4xf32>
    ein.yield %y : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}
