// Parses, but fails the verifier: rank c is dropped without a reduce action.
func.func @k(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %m = ein.einsum exp(%x[n, c]) -> [n] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %m : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
