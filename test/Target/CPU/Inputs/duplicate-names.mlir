func.func @dup(%p: tensor<4xf32> {ein.name = "a"}, %q: tensor<4xf32> {ein.name = "a"}) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %s = ein.einsum add(%p[n], %q[n]) -> [n] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
