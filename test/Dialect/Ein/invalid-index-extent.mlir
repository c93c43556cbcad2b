// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @index_outside() -> index {
  // expected-error @+1 {{'ein.index' op must be inside the map region of an 'ein.einsum'}}
  %i = ein.index "n" : index
  return %i : index
}

// -----

func.func @index_unknown_rank(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, z] -> (tensor<4xf32>) {
    %y = ein.einsum custom(%x[n, c]) -> [n] sum[c] {
    ^bb0(%a: f32):
      // expected-error @+1 {{'ein.index' op rank 'z' is not a rank of the enclosing einsum}}
      %i = ein.index "z" : index
      ein.yield %a : f32
    } : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @extent_outside() -> index {
  // expected-error @+1 {{'ein.extent' op must be inside an 'ein.cascade'}}
  %e = ein.extent "n" : index
  return %e : index
}

// -----

func.func @extent_unknown_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      // expected-error @+1 {{'ein.extent' op rank 'm' is not declared by the enclosing cascade}}
      %e = ein.extent "m" : index
      ein.yield %a : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @index_not_index(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      // expected-error @+1 {{invalid kind of type specified: expected builtin.index, but found 'i32'}}
      %i = ein.index "n" : i32
      ein.yield %a : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
