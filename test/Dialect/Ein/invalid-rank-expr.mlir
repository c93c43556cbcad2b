// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @not_a_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{expected a rank name or an integer}}
    %y = ein.einsum copy(%x[*]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @reserved_in_expr(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'floordiv' cannot be a rank name}}
    %y = ein.einsum copy(%x[floordiv]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// `true` used to parse as the integer -1 here.
func.func @bool_in_expr(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'false' cannot be a rank name}}
    %y = ein.einsum copy(%x[false]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @divide_by_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, g] -> (tensor<4xf32>) {
    // expected-error @+1 {{the right side of floordiv, ceildiv and mod must be an integer}}
    %y = ein.einsum copy(%x[n floordiv g]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @mod_by_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, g] -> (tensor<4xf32>) {
    // expected-error @+1 {{the right side of floordiv, ceildiv and mod must be an integer}}
    %y = ein.einsum copy(%x[n mod g]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @zero_divisor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{divisor must be positive}}
    %y = ein.einsum copy(%x[n ceildiv 0]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @negative_divisor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{divisor must be positive}}
    %y = ein.einsum copy(%x[n floordiv -2]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @not_affine(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @+1 {{rank expressions must be affine: one side of '*' must be an integer}}
    %y = ein.einsum copy(%x[n * c]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
