// valid.mlir cut off in the middle of a type.
func.func @rowmax(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x8xf32>) -> tensor<4x