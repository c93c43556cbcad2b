// RUN: einfuse-opt %s --ein-online-normalize --convert-ein-to-linalg | FileCheck %s
// RUN: einfuse-opt %s --ein-online-normalize --convert-ein-to-linalg="parallel-rank=c" | FileCheck %s

// Softmax's 2-pass online form: an iteration over c, then the output
// written along c from its final state. c cannot be tiled in parallel (the
// iteration needs all of it; tiling it gave each tile its own max and sum),
// and n is static: no parallel tiles, one loop over the tiles of c.
// CHECK-LABEL: func @softmax
// CHECK-NOT: scf.forall
// CHECK: scf.for
// CHECK-NOT: scf.forall
func.func @softmax(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %y = ein.cascade [n, c] -> (tensor<4x?xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %r = math.exp %d : f32
      ein.yield %r : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %y = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    ein.yield %y : tensor<4x?xf32>
  }
  return %y : tensor<4x?xf32>
}
