// RUN: einfuse-opt %s --split-input-file --verify-diagnostics

func.func @tile_size(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op tile size must be positive, got 0}}
    %s = ein.iterate m tile 0 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @undeclared(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op uses rank 'm0', which the enclosing cascade does not declare}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @same_rank(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op the tile rank must differ from the iterated rank}}
    %s = ein.iterate m tile 8 as m tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @dim_range(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op tile dim 2 of tiled operand #0 is out of range}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 2 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @extents(%x: tensor<4x8xf32>, %y: tensor<9x4xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op tiled operands have different extents (8 and 9) along rank 'm'}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x8xf32>, %y dim 0 : tensor<9x4xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %u: tensor<?x4xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @combine_kind(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op combine kind #0 refers to a state out of range or to itself}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) combine [rescaled_sum(0, -1.0)] {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// welford_m2 must name a count (sum) and the welford_mean over that count.
func.func @combine_welford(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op combine kind #2 'welford_m2(n, m)' must refer to a 'sum' count n and a 'welford_mean(n)' state m}}
    %s:3 = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>, %i : tensor<4xf32>, %i : tensor<4xf32>) combine [sum, welford_mean(0), welford_m2(1, 0)] {
    ^bb0(%t: tensor<4x?xf32>, %a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<4xf32>):
      ein.yield %a, %b, %c : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#2 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @combine_count(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op needs one combine kind per state value}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) combine [max, sum] {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @tile_arg_type(%x: tensor<4x8xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op tile argument #0 must have type 'tensor<4x?xf32>' (the tile dim is dynamic), got 'tensor<4x8xf32>'}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x8xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x8xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @arg_count(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op body must take one argument per tile and per state value (2), got 1}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>):
      ein.yield %i : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @state_type(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op state argument #0 must have the type of its initial value 'tensor<4xf32>'}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf16>):
      ein.yield %i : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @yield_types(%x: tensor<4x?xf32>, %i: tensor<4xf32>, %j: tensor<3xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      // expected-error @+1 {{'ein.yield' op must yield the next state, with the types of the initial state}}
      ein.yield %j : tensor<3xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @index_outside(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0, q] -> (tensor<4xf32>) {
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      %w = ein.einsum custom(%st[p]) -> [p] {
      ^bb0(%a: f32):
        // expected-error @+1 {{'ein.index' op rank 'm' is not a rank of the enclosing einsum}}
        %k = ein.index "m" : index
        ein.yield %a : f32
      } : (tensor<4xf32>) -> tensor<4xf32>
      ein.yield %w : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @no_tiles(%i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op needs at least one tiled operand}}
    %s = ein.iterate m tile 8 as m0 tiles() init(%i : tensor<4xf32>) {
    ^bb0(%st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @generic_forms(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf16> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf16>) {
    // expected-error @+1 {{'ein.iterate' op result #0 must have type 'tensor<4xf32>' (the initial state's), got 'tensor<4xf16>'}}
    %s = "ein.iterate"(%x, %i) <{rank = "m", tile_rank = "m0", tile_size = 8 : i64, tile_dims = array<i64: 1>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }) : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4xf16>
    ein.yield %s : tensor<4xf16>
  }
  return %r : tensor<4xf16>
}

// -----

func.func @dims_count(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op needs one tile dim per tiled operand}}
    %s = "ein.iterate"(%x, %i) <{rank = "m", tile_rank = "m0", tile_size = 8 : i64, tile_dims = array<i64: 1, 0>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }) : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @rescaled_sign(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op combine kind #1 'rescaled_sum' over a 'max' needs a negative weight, so that rescaling never grows a term}}
    %s:2 = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>, %i : tensor<4xf32>) combine [max, rescaled_sum(0, 1.0)] {
    ^bb0(%t: tensor<4x?xf32>, %a: tensor<4xf32>, %b: tensor<4xf32>):
      ein.yield %a, %b : tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#1 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @rescaled_of_sum(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op combine kind #1 'rescaled_sum' must refer to a 'max' or 'min' state}}
    %s:2 = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>, %i : tensor<4xf32>) combine [sum, rescaled_sum(0, -1.0)] {
    ^bb0(%t: tensor<4x?xf32>, %a: tensor<4xf32>, %b: tensor<4xf32>):
      ein.yield %a, %b : tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#1 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @combine_typo(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{unknown combine kind 'maxx' (expected max, min, sum, rescaled_sum(i, w), welford_mean(n) or welford_m2(n, m))}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) combine [maxx] {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @combine_zero_weight(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{combine kind 'rescaled_sum' needs a finite nonzero weight}}
    %s:2 = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>, %i : tensor<4xf32>) combine [max, rescaled_sum(0, 0.0)] {
    ^bb0(%t: tensor<4x?xf32>, %a: tensor<4xf32>, %b: tensor<4xf32>):
      ein.yield %a, %b : tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#1 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @combine_attr_ref(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{expected '('}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) attributes {combine = [#ein.combine<sum>], extra = #ein.combine<welford_mean>} {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @workers_without_combine(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<3x4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<3x4xf32>) {
    // expected-error @+1 {{'ein.iterate' op workers need 'combine': the chunks after the first start from the identity of their combine kinds}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) workers 3 {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

func.func @workers_range(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op workers must be in [1, 1024], got 0}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) combine [sum] workers 0 {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @workers_result(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op result #0 must have type 'tensor<3x4xf32>' (the initial state's with a leading dim of 'workers'), got 'tensor<4xf32>'}}
    %s = "ein.iterate"(%x, %i) <{rank = "m", tile_rank = "m0", tile_size = 8 : i64, tile_dims = array<i64: 1>, combine = [#ein.combine<sum>], workers = 3 : i64, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }) : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @divisor_not_dividing(%x: tensor<2x?xf32>, %w: tensor<4x?xi8>, %i: tensor<2xf32>) -> tensor<2xf32> {
  %r = ein.cascade [m, k, n, k0] -> (tensor<2xf32>) {
    // expected-error @+1 {{'ein.iterate' op tile divisor 3 of tiled operand #1 must be positive and divide the tile size 16 (every tile starts at a multiple of it)}}
    %y = ein.iterate k tile 16 as k0 tiles(%x dim 1 : tensor<2x?xf32>, %w dim 1 / 3 : tensor<4x?xi8>) init(%i : tensor<2xf32>) {
    ^bb0(%xt: tensor<2x?xf32>, %wt: tensor<4x?xi8>, %acc: tensor<2xf32>):
      ein.yield %acc : tensor<2xf32>
    }
    ein.yield %y : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

func.func @no_plain_operand(%w: tensor<4x?xi8>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [k, n, k0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op needs an operand tiled plainly (divisor 1): the extent of rank 'k' comes from it}}
    %y = ein.iterate k tile 16 as k0 tiles(%w dim 1 / 2 : tensor<4x?xi8>) init(%i : tensor<4xf32>) {
    ^bb0(%wt: tensor<4x?xi8>, %acc: tensor<4xf32>):
      ein.yield %acc : tensor<4xf32>
    }
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @divisor_count(%x: tensor<2x?xf32>, %i: tensor<2xf32>) -> tensor<2xf32> {
  %r = ein.cascade [m, k, k0] -> (tensor<2xf32>) {
    // expected-error @+1 {{'ein.iterate' op needs one tile divisor per tiled operand}}
    %y = "ein.iterate"(%x, %i) <{rank = "k", tile_rank = "k0", tile_size = 8 : i64, tile_dims = array<i64: 1>, tile_divisors = array<i64: 1, 2>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
    ^bb0(%xt: tensor<2x?xf32>, %acc: tensor<2xf32>):
      ein.yield %acc : tensor<2xf32>
    }) : (tensor<2x?xf32>, tensor<2xf32>) -> tensor<2xf32>
    ein.yield %y : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

func.func @half_range(%x: tensor<4x?xf32>, %i: tensor<4xf32>, %o: index) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.iterate' op a range needs both an offset and a size}}
    %s = "ein.iterate"(%x, %i, %o) <{rank = "m", tile_rank = "m0", tile_size = 8 : i64, tile_dims = array<i64: 1>, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }) : (tensor<4x?xf32>, tensor<4xf32>, index) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @negative_range(%x: tensor<4x?xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    %o = arith.constant -1 : index
    %n = arith.constant 8 : index
    // expected-error @+1 {{'ein.iterate' op range offset and size must not be negative}}
    %s = ein.iterate m tile 8 as m0 range(%o, %n) tiles(%x dim 1 : tensor<4x?xf32>) init(%i : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %st: tensor<4xf32>):
      ein.yield %st : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @range_divisor(%x: tensor<2x?xf32>, %w: tensor<4x?xi8>, %i: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = ein.cascade [m, k, n, k0] -> (tensor<2x4xf32>) {
    %o = arith.constant 3 : index
    %n = arith.constant 16 : index
    // expected-error @+1 {{'ein.iterate' op range offset 3 must be a multiple of tile divisor 2 of tiled operand #1 (the first tile starts there)}}
    %y = ein.iterate k tile 16 as k0 range(%o, %n) tiles(%x dim 1 : tensor<2x?xf32>, %w dim 1 / 2 : tensor<4x?xi8>) init(%i : tensor<2x4xf32>) {
    ^bb0(%xt: tensor<2x?xf32>, %wt: tensor<4x?xi8>, %acc: tensor<2x4xf32>):
      ein.yield %acc : tensor<2x4xf32>
    }
    ein.yield %y : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}
