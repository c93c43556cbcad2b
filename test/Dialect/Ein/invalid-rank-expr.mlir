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

// -----

// Constants that fold to INT64_MIN crashed the printer (its negation
// overflowed); constants now stay within +-2^40, so folding never overflows.
func.func @int64_min(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{rank expression constant 9223372036854775807 is out of range (at most 2^40 in magnitude)}}
    %y = ein.einsum copy(%x[n - 9223372036854775807 - 1]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @product_too_large(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{rank expression constants are too large (each coefficient and constant must stay within +-2^40)}}
    %y = ein.einsum copy(%x[n * 1048576 * 1048576 * 2]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @sum_too_large(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{rank expression constants are too large}}
    %y = ein.einsum copy(%x[n * 1099511627776 + n * 1099511627776]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
