// An op the Ein dialect does not define.
func.func @k(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.frobnicate %x : tensor<4x8xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}
