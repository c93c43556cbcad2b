// RUN: einfuse-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

func.func @extent_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op has 2 ranks but 1 extents}}
  %r = "ein.cascade"() <{ranks = ["n", "c"], extents = array<i64: -9223372036854775808>}> ({
    "ein.yield"(%x) : (tensor<4xf32>) -> ()
  }) : () -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @empty_rank_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op has an invalid rank name ''}}
  %r = "ein.cascade"() <{ranks = [""], extents = array<i64: -9223372036854775808>}> ({
    "ein.yield"(%x) : (tensor<4xf32>) -> ()
  }) : () -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @reserved_rank_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op has an invalid rank name 'ceildiv'}}
  %r = "ein.cascade"() <{ranks = ["ceildiv"], extents = array<i64: -9223372036854775808>}> ({
    "ein.yield"(%x) : (tensor<4xf32>) -> ()
  }) : () -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @duplicate_rank(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op declares rank 'n' twice}}
  %r = ein.cascade [n, c, n] -> (tensor<4xf32>) {
    ein.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @zero_extent(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op rank 'm0' has non-positive extent 0}}
  %r = ein.cascade [n, m0 = 0] -> (tensor<4xf32>) {
    ein.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @negative_extent(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op rank 'm0' has non-positive extent -4}}
  %r = ein.cascade [n, m0 = -4] -> (tensor<4xf32>) {
    ein.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @block_argument(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op body takes no arguments}}
  %r = "ein.cascade"() <{ranks = ["n"], extents = array<i64: -9223372036854775808>}> ({
  ^bb0(%a: index):
    "ein.yield"(%x) : (tensor<4xf32>) -> ()
  }) : () -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @no_yield(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op body must end with 'ein.yield'}}
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    "test.terminator"(%x) : (tensor<4xf32>) -> ()
  }
  return %r : tensor<4xf32>
}

// -----

func.func @yield_types(%x: tensor<4xf32>) -> tensor<4xf16> {
  %r = ein.cascade [n] -> (tensor<4xf16>) {
    // expected-error @+1 {{'ein.yield' op yields types that differ from the results of the enclosing cascade}}
    ein.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf16>
}

// -----

func.func @yield_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.yield' op yields types that differ from the results of the enclosing cascade}}
    ein.yield %x, %x : tensor<4xf32>, tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @extents_across_einsums(%x: tensor<4x8xf32>, %y: tensor<6xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %a = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x8xf32>) -> tensor<4xf32>
    // expected-error @+1 {{'ein.einsum' op rank 'n' has extent 6 in operand #0 but extent 4 elsewhere in the cascade}}
    %b = ein.einsum copy(%y[n]) -> [n] : (tensor<6xf32>) -> tensor<6xf32>
    ein.yield %a : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @extent_in_result(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x3xf32>) {
    // expected-error @+1 {{'ein.einsum' op rank 'c' has extent 3 in the result but extent 8 elsewhere in the cascade}}
    %a = ein.einsum neg(%x[n, c]) -> [n, c] : (tensor<4x8xf32>) -> tensor<4x3xf32>
    ein.yield %a : tensor<4x3xf32>
  }
  return %r : tensor<4x3xf32>
}

// -----

func.func @extent_vs_declared(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c = 16] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op rank 'c' has extent 8 in operand #0 but extent 16 elsewhere in the cascade}}
    %a = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %a : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @einsum_outside_cascade(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.einsum' op expects parent op to be one of 'ein.cascade, ein.iterate'}}
  %a = ein.einsum copy(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

func.func @yield_outside(%x: tensor<4xf32>) {
  // expected-error @+1 {{'ein.yield' op expects parent op to be one of 'ein.cascade, ein.einsum, ein.iterate'}}
  ein.yield %x : tensor<4xf32>
}

// -----

// An op other than Ein ops, constants, splats and empty tensors directly in
// a cascade is refused (the pass analysis does not see it, and the lowering
// used to fail late with "op was not bufferized").
func.func @foreign_op(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    // expected-error @below {{'arith.addf' op is not allowed directly inside 'ein.cascade'}}
    %y = arith.addf %x, %x : tensor<4x8xf32>
    %s = ein.einsum copy(%y[n, c]) -> [n] sum[c] : (tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A tile of a rank the cascade does not declare.
func.func @tile_unknown_rank(%x: tensor<?x8xf32>, %o: index, %n: index) -> tensor<?xf32> {
  // expected-error @below {{'ein.cascade' op is a tile of rank 'q', which it does not declare}}
  %r = ein.cascade [n, c] tile(q = %o of %n) -> (tensor<?xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<?x8xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

// A tile of the same rank twice.
func.func @tile_twice(%x: tensor<?x8xf32>, %o: index, %n: index) -> tensor<?xf32> {
  // expected-error @below {{'ein.cascade' op is a tile of rank 'n' twice}}
  %r = ein.cascade [n, c] tile(n = %o of %n, n = %o of %n) -> (tensor<?xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<?x8xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

// The generic form needs one offset and one extent per tiled rank.
func.func @tile_counts(%x: tensor<?x8xf32>, %o: index) -> tensor<?xf32> {
  // expected-error @below {{'ein.cascade' op needs one offset and one extent per tiled rank}}
  %r = "ein.cascade"(%o) <{ranks = ["n", "c"], extents = array<i64: -9223372036854775808, -9223372036854775808>, tiled_ranks = ["n"], operandSegmentSizes = array<i32: 1, 0>}> ({
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<?x8xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }) : (index) -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// An iteration runs over all of its rank: not inside a tile of it.
func.func @tile_of_iterated(%x: tensor<4x?xf32>, %i: tensor<4xf32>, %o: index, %n: index) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] tile(m = %o of %n) -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op iterates over rank 'm', of which the enclosing cascade is a tile}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
