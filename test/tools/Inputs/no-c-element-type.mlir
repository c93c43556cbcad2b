// A kernel on index elements, which have no C type.
func.func @f(%x: tensor<4xindex>) -> tensor<4xindex> {
  return %x : tensor<4xindex>
}
