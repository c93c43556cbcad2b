// RUN: einfuse-opt %s --split-input-file --verify-diagnostics --ein-online-normalize=tile-size=8 --test-ein-partial-reduction=chunks=2 -o /dev/null
// RUN: not einfuse-opt %s --test-ein-partial-reduction=chunks=0 2>&1 | FileCheck %s --check-prefix=CHUNKS

// CHUNKS: test-ein-partial-reduction: chunks must be in [1, 64], got 0

// A dynamic extent gives no static number of partial states.
func.func @dynamic(%x: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{test-ein-partial-reduction: the iterated rank 'c' needs a static extent}}
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
