// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @custom_without_region(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op map action 'custom' needs a region}}
    %y = ein.einsum custom(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @named_with_region(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op only a 'custom' map action has a region}}
    %y = ein.einsum exp(%x[n]) -> [n] {
    ^bb0(%a: f32):
      ein.yield %a : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @binary_arity(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op map action 'mul' takes 2 operands, got 1}}
    %y = ein.einsum mul(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @unary_arity(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op map action 'exp' takes 1 operand, got 2}}
    %y = ein.einsum exp(%x[n], %x[n]) -> [n] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @select_arity(%c: tensor<4xi1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op map action 'select' takes 3 operands, got 2}}
    %y = ein.einsum select(%c[n], %x[n]) -> [n] : (tensor<4xi1>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @select_condition(%c: tensor<4xi8>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op map action 'select' needs an i1 condition, got 'i8'}}
    %y = ein.einsum select(%c[n], %x[n], %x[n]) -> [n] : (tensor<4xi8>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @select_choices(%c: tensor<4xi1>, %x: tensor<4xf32>, %z: tensor<4xf16>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op map action 'select' needs both choices of the result element type 'f32'}}
    %y = ein.einsum select(%c[n], %x[n], %z[n]) -> [n] : (tensor<4xi1>, tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @map_type_mismatch(%x: tensor<4xf32>, %z: tensor<4xf16>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op map action 'add' needs operands of the result element type 'f32', got 'f16' for operand #1}}
    %y = ein.einsum add(%x[n], %z[n]) -> [n] : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @copy_changes_type(%x: tensor<4xf32>) -> tensor<4xbf16> {
  %r = ein.cascade [n] -> (tensor<4xbf16>) {
    // expected-error @+1 {{'ein.einsum' op map action 'copy' needs operands of the result element type 'bf16', got 'f32' for operand #0}}
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xbf16>
    ein.yield %y : tensor<4xbf16>
  }
  return %r : tensor<4xbf16>
}

// -----

func.func @exp_of_integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  %r = ein.cascade [n] -> (tensor<4xi32>) {
    // expected-error @+1 {{'ein.einsum' op map action 'exp' needs a float element type, got 'i32'}}
    %y = ein.einsum exp(%x[n]) -> [n] : (tensor<4xi32>) -> tensor<4xi32>
    ein.yield %y : tensor<4xi32>
  }
  return %r : tensor<4xi32>
}

// -----

func.func @rsqrt_of_integer(%x: tensor<4xi8>) -> tensor<4xi8> {
  %r = ein.cascade [n] -> (tensor<4xi8>) {
    // expected-error @+1 {{'ein.einsum' op map action 'rsqrt' needs a float element type, got 'i8'}}
    %y = ein.einsum rsqrt(%x[n]) -> [n] : (tensor<4xi8>) -> tensor<4xi8>
    ein.yield %y : tensor<4xi8>
  }
  return %r : tensor<4xi8>
}
