// RUN: einfuse-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

func.func @two_blocks(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op custom map region must have one block}}
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      "test.br"()[^bb1] : () -> ()
    ^bb1:
      ein.yield %a : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @arg_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op custom map region must take one scalar per operand (1), got 2}}
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32, %b: f32):
      ein.yield %a : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @arg_type(%x: tensor<4xf32>, %z: tensor<4xf16>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op custom map region argument #1 has type 'f32' but the operand's element type is 'f16'}}
    %y = ein.einsum custom(%x[n], %z[n]) -> [n] {
    ^bb0(%a: f32, %b: f32):
      ein.yield %a : f32
    } : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @no_yield(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op custom map region must end with 'ein.yield'}}
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      "test.terminator"(%a) : (f32) -> ()
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @yield_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      %t = arith.truncf %a : f32 to f16
      // expected-error @+1 {{'ein.yield' op must yield one value of the result element type 'f32'}}
      ein.yield %t : f16
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @yield_two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      // expected-error @+1 {{'ein.yield' op must yield one value of the result element type 'f32'}}
      ein.yield %a, %a : f32, f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
