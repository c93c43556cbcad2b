// A well-formed kernel: row max of a 4x8 matrix.
func.func @rowmax(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %m : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
