// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @reserved_cascade_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mod' cannot be a rank name}}
  %r = ein.cascade [n, mod] -> (tensor<4xf32>) {
    ein.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @true_cascade_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'true' cannot be a rank name}}
  %r = ein.cascade [true] -> (tensor<4xf32>) {
    ein.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @unknown_map(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{unknown map action 'square'}}
    %y = ein.einsum square(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @reduce_compound(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{a reduce action lists plain ranks}}
    %y = ein.einsum copy(%x[n, c]) -> [n] sum[c + 1] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @two_results(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{expected one result type}}
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @kept_and_reduced(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{rank 'n' is both kept in the output and reduced}}
    %y = ein.einsum copy(%x[n, c]) -> [n] sum[n, c] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @bad_init(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{expected attribute value}}
    %y = ein.einsum copy(%x[n, c]) -> [n] sum[c] init() : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @reduce_misses_rank(%x: tensor<4x8x2xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4xf32>) {
    // expected-error @+1 {{rank 'd' is dropped from the result but the reduce action does not list it}}
    %y = ein.einsum copy(%x[n, c, d]) -> [n] sum[c] : (tensor<4x8x2xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
