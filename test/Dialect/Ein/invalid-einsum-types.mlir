// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @complex_operand(%x: tensor<4xcomplex<f32>>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op unsupported element type 'complex<f32>'}}
    %y = ein.einsum cast(%x[n]) -> [n] : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @index_result(%x: tensor<4xi32>) -> tensor<4xindex> {
  %r = ein.cascade [n] -> (tensor<4xindex>) {
    // expected-error @+1 {{'ein.einsum' op unsupported element type 'index'}}
    %y = ein.einsum cast(%x[n]) -> [n] : (tensor<4xi32>) -> tensor<4xindex>
    ein.yield %y : tensor<4xindex>
  }
  return %r : tensor<4xindex>
}

// -----

func.func @odd_integer(%x: tensor<4xi3>) -> tensor<4xi3> {
  %r = ein.cascade [n] -> (tensor<4xi3>) {
    // expected-error @+1 {{'ein.einsum' op unsupported element type 'i3'}}
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4xi3>) -> tensor<4xi3>
    ein.yield %y : tensor<4xi3>
  }
  return %r : tensor<4xi3>
}

// -----

func.func @unsigned_integer(%x: tensor<4xui8>) -> tensor<4xui8> {
  %r = ein.cascade [n] -> (tensor<4xui8>) {
    // expected-error @+1 {{'ein.einsum' op unsupported element type 'ui8'}}
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4xui8>) -> tensor<4xui8>
    ein.yield %y : tensor<4xui8>
  }
  return %r : tensor<4xui8>
}

// -----

func.func @reduce_i1(%x: tensor<4x8xi1>) -> tensor<4xi1> {
  %r = ein.cascade [n, c] -> (tensor<4xi1>) {
    // expected-error @+1 {{'ein.einsum' op cannot reduce over i1 values}}
    %y = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x8xi1>) -> tensor<4xi1>
    ein.yield %y : tensor<4xi1>
  }
  return %r : tensor<4xi1>
}

// -----

func.func @init_without_reduce(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op has an initial value but no reduce action}}
    %y = ein.einsum copy(%x[n]) -> [n] init(1.0 : f32) : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @init_type(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op initial value has type 'f16' but the result element type is 'f32'}}
    %y = ein.einsum copy(%x[n, c]) -> [n] sum[c] init(1.0 : f16) : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @init_integer_for_float(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op initial value has type 'i32' but the result element type is 'f32'}}
    %y = ein.einsum copy(%x[n, c]) -> [n] max[c] init(0 : i32) : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
