// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

// `ein.name` names a kernel parameter in the generated C header; a name C
// cannot take, or a misspelled `ein.` attribute, is an error.

// expected-error @+1 {{'ein.name' of argument #0 is 'a b', which cannot name a C parameter}}
func.func @space(%x: tensor<4xf32> {ein.name = "a b"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'ein.name' of argument #1 is 'stream', which cannot name a C parameter}}
func.func @reserved(%x: tensor<4xf32>, %y: tensor<4xf32> {ein.name = "stream"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'ein.name' of result #0 is 'int', which cannot name a C parameter}}
func.func @keyword(%x: tensor<4xf32>) -> (tensor<4xf32> {ein.name = "int"}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'ein.name' of argument #0 must be a string}}
func.func @not_string(%x: tensor<4xf32> {ein.name = 3 : i64}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{unknown attribute 'ein.nmae' on argument #0 (the Ein dialect defines 'ein.name')}}
func.func @typo(%x: tensor<4xf32> {ein.nmae = "x"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'ein.name' of argument #0 is 'einfuse_x', which cannot name a C parameter}}
func.func @prefix(%x: tensor<4xf32> {ein.name = "einfuse_x"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
