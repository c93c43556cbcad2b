// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @duplicate_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op lists rank 'n' twice}}
    %y = "ein.einsum"(%x) <{indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1)>], map = #ein.map<copy>, ranks = ["n", "n"], reduce = #ein.reduce<none>}> ({
    }) : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @undeclared_rank(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op uses rank 'c', which the enclosing cascade does not declare}}
    %y = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @map_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op expects 2 indexing maps (one per operand and one for the result), got 1}}
    %y = "ein.einsum"(%x) <{indexing_maps = [affine_map<(d0) -> (d0)>], map = #ein.map<copy>, ranks = ["n"], reduce = #ein.reduce<none>}> ({
    }) : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @map_dims(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op indexing map of operand #0 must range over the 1 ranks of the einsum and no symbols}}
    %y = "ein.einsum"(%x) <{indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0) -> (d0)>], map = #ein.map<copy>, ranks = ["n"], reduce = #ein.reduce<none>}> ({
    }) : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @map_symbols(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op indexing map of the result must range over the 1 ranks of the einsum and no symbols}}
    %y = "ein.einsum"(%x) <{indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0)[s0] -> (d0)>], map = #ein.map<copy>, ranks = ["n"], reduce = #ein.reduce<none>}> ({
    }) : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @operand_rank(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op operand #0 has rank 2 but is indexed by 1 rank expressions}}
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @result_rank(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op the result has rank 1 but is indexed by 2 rank expressions}}
    %y = ein.einsum copy(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @compound_result(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [m1] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op result must be indexed by plain ranks, got 'm1 + 1'}}
    %y = ein.einsum copy(%x[m1]) -> [m1 + 1] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @constant_result(%x: tensor<4xf32>) -> tensor<1xf32> {
  %r = ein.cascade [n] -> (tensor<1xf32>) {
    // expected-error @+1 {{'ein.einsum' op result must be indexed by plain ranks, got '0'}}
    %y = ein.einsum copy(%x[n]) -> [0] sum[n] : (tensor<4xf32>) -> tensor<1xf32>
    ein.yield %y : tensor<1xf32>
  }
  return %r : tensor<1xf32>
}

// -----

func.func @result_twice(%x: tensor<4xf32>) -> tensor<4x4xf32> {
  %r = ein.cascade [n] -> (tensor<4x4xf32>) {
    // expected-error @+1 {{'ein.einsum' op result is indexed twice by rank 'n'}}
    %y = ein.einsum copy(%x[n]) -> [n, n] : (tensor<4xf32>) -> tensor<4x4xf32>
    ein.yield %y : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}

// -----

func.func @reduce_unused_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, z] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op reduces over rank 'z', which no operand has}}
    %y = ein.einsum copy(%x[n]) -> [n] sum[z] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @dropped_without_reduce(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op drops rank 'c' from the result but has no reduce action over it}}
    %y = ein.einsum copy(%x[n, c]) -> [n] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @reduce_nothing(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op has reduce action 'max' but no rank to reduce over}}
    %y = ein.einsum copy(%x[n]) -> [n] max[] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
