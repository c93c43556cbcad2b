// RUN: einfuse-opt %s -split-input-file -verify-diagnostics --ein-online-normalize | FileCheck %s
// RUN: einfuse-opt %s -split-input-file -verify-diagnostics --ein-online-normalize=rank=c | FileCheck %s

// Every reason --ein-online-normalize gives for leaving a cascade alone
// (OnlineRefusal, Passes.h), each on a small cascade that hits it, with the
// remark checked at the Einsum (or iteration) it names. Each case takes
// several passes over 'c' and over no other rank, so the second RUN line
// (the rank asked for) gives the same remarks as the first (every rank that
// needs several passes). Reasons covered elsewhere: MaxNotThroughExp,
// ExpOfWrongSign, NoRescaledSum, NoBarrierNoVariance in
// online-normalize.mlir; NotOnePass, NoReduction, InputIndexedNotPlain (of a
// plain iteration) in partition-split-k.mlir; AlreadyIterated in
// partition-refusals.mlir. NoBarrier is never reported: without a max or
// min barrier the rewrite tries Welford's update, whose reason is given
// (NoBarrierNoVariance). Reductions over several ranks at once are carried
// (online-normalize-two-ranks.mlir).

// AlreadyOnePass: a plain row sum takes 1 pass over c; there is nothing to
// remove, and asking for the rank (second RUN line) says nothing either: the
// pass keeps this reason to itself.
// CHECK-LABEL: func @already_one_pass
// CHECK-NOT: ein.iterate
func.func @already_one_pass(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// IterationCarriesRank: a split-K matmul written as an iteration over k,
// then a softmax denominator over its columns c. The iteration's state (the
// partial product [n, c]) has c: the online form over c would have to nest
// inside it.
// CHECK-LABEL: func @iteration_carries_rank
// CHECK-COUNT-1: ein.iterate
// CHECK-NOT: ein.iterate
func.func @iteration_carries_rank(%x: tensor<4x?xf32>, %w: tensor<?x16xf32>, %y0: tensor<4x16xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, k, c, k0] -> (tensor<4xf32>) {
    // expected-remark @below {{no online form over rank 'c': an iteration over 'k' carries 'c' in its state (nested iterations are not derived)}}
    %y = ein.iterate k tile 64 as k0 tiles(%x dim 1 : tensor<4x?xf32>, %w dim 0 : tensor<?x16xf32>) init(%y0 : tensor<4x16xf32>) combine [sum] {
    ^bb0(%xt: tensor<4x?xf32>, %wt: tensor<?x16xf32>, %acc: tensor<4x16xf32>):
      %p = ein.einsum mul(%xt[n, k0], %wt[k0, c]) -> [n, c] sum[k0] : (tensor<4x?xf32>, tensor<?x16xf32>) -> tensor<4x16xf32>
      %a = ein.einsum add(%acc[n, c], %p[n, c]) -> [n, c] : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
      ein.yield %a : tensor<4x16xf32>
    }
    %mx = ein.einsum copy(%y[n, c]) -> [n] max[c] : (tensor<4x16xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%y[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %m: f32):
      %d = arith.subf %a, %m : f32
      %z = math.exp %d : f32
      ein.yield %z : f32
    } : (tensor<4x16xf32>, tensor<4xf32>) -> tensor<4x16xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x16xf32>) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// SeveralBarriers: the normaliser of a joint softmax of two score rows,
// sum_c exp(x - max x) * exp(y - max y). Both maxes are read along c; one
// running state corrects one barrier.
// CHECK-LABEL: func @several_barriers
// CHECK-NOT: ein.iterate
func.func @several_barriers(%x: tensor<8x?xf32>, %y: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %my = ein.einsum copy(%y[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': two maxes or mins over 'c' are read again along 'c' (one running state corrects one barrier)}}
    %e = ein.einsum custom(%x[n, c], %mx[n], %y[n, c], %my[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32, %u: f32, %v: f32):
      %d = arith.subf %a, %b : f32
      %ea = math.exp %d : f32
      %d2 = arith.subf %u, %v : f32
      %eb = math.exp %d2 : f32
      %p = arith.mulf %ea, %eb : f32
      ein.yield %p : f32
    } : (tensor<8x?xf32>, tensor<8xf32>, tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// SumReadAlongRank (a sum next to the barrier): a softmax whose temperature
// is the row's L1 norm, exp((x - max) / sum_c |x|). The sum is a running
// state of the same sweep, and the exp reads it along c.
// CHECK-LABEL: func @sum_read_along_rank
// CHECK-NOT: ein.iterate
func.func @sum_read_along_rank(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %t = ein.einsum abs(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': this Einsum reads the sum over 'c' again along 'c'}}
    %e = ein.einsum custom(%x[n, c], %mx[n], %t[n]) -> [n, c] {
    ^bb0(%a: f32, %m: f32, %tt: f32):
      %d = arith.subf %a, %m : f32
      %q = arith.divf %d, %tt : f32
      %y = math.exp %q : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// TwoReadsOfMax: the guard for fully masked rows (max = -inf -> 0) written
// in the numerator but not in the denominator: pass 1 reads the max both
// raw and guarded, and the iteration can carry only one of them.
// CHECK-LABEL: func @two_reads_of_max
// CHECK-NOT: ein.iterate
func.func @two_reads_of_max(%x: tensor<8x?xf32>, %v: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %g = ein.einsum custom(%mx[n]) -> [n] {
    ^bb0(%a: f32):
      %ninf = arith.constant 0xFF800000 : f32
      %z = arith.constant 0.0 : f32
      %isinf = arith.cmpf oeq, %a, %ninf : f32
      %s = arith.select %isinf, %z, %a : f32
      ein.yield %s : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %g[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    // expected-remark @below {{no online form over rank 'c': pass 1 reads the barrier over 'c' through two different values}}
    %e2 = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e2[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %w = ein.einsum mul(%e[n, c], %v[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    %o = ein.einsum div(%w[n], %s[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ein.yield %o : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// GuardChangesRanks: one score row shared by 4 heads, each with its own
// inverse temperature t[h], stabilised by t[h] * max: exp(t[h] * x -
// t[h] * max). What pass 1 reads for the max has ranks [n, h], the max [n].
// CHECK-LABEL: func @guard_changes_ranks
// CHECK-NOT: ein.iterate
func.func @guard_changes_ranks(%x: tensor<8x?xf32>, %t: tensor<4xf32>) -> tensor<8x4xf32> {
  %r = ein.cascade [n, h, c] -> (tensor<8x4xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': pass 1 reads the barrier over 'c' through this Einsum, which does not keep the barrier's ranks}}
    %st = ein.einsum mul(%mx[n], %t[h]) -> [n, h] : (tensor<8xf32>, tensor<4xf32>) -> tensor<8x4xf32>
    %e = ein.einsum custom(%x[n, c], %t[h], %st[n, h]) -> [n, h, c] {
    ^bb0(%a: f32, %tt: f32, %m: f32):
      %s = arith.mulf %a, %tt : f32
      %d = arith.subf %s, %m : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<4xf32>, tensor<8x4xf32>) -> tensor<8x4x?xf32>
    %s = ein.einsum copy(%e[n, h, c]) -> [n, h] sum[c] : (tensor<8x4x?xf32>) -> tensor<8x4xf32>
    ein.yield %s : tensor<8x4xf32>
  }
  return %r : tensor<8x4xf32>
}

// -----

// TwoScaledOperands: the collision probability sum_c p^2 of a softmax,
// written sum_c e * e / (sum_c e)^2 with e = exp(x - max). The product of
// two scaled values carries exp(-2 * max), which no single weight rescales.
// CHECK-LABEL: func @two_scaled_operands
// CHECK-NOT: ein.iterate
func.func @two_scaled_operands(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': this Einsum multiplies two values scaled by the barrier over 'c'}}
    %q = ein.einsum mul(%e[n, c], %e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    %o = ein.einsum custom(%q[n], %s[n]) -> [n] {
    ^bb0(%a: f32, %b: f32):
      %b2 = arith.mulf %b, %b : f32
      %y = arith.divf %a, %b2 : f32
      ein.yield %y : f32
    } : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ein.yield %o : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// ScaledNotMultiplicative (an added term): a smoothed denominator
// sum_c (exp(x - max) + eps). The eps is not scaled by exp(-max), so the
// sum cannot be rescaled when the max moves.
// CHECK-LABEL: func @scaled_plus_eps
// CHECK-NOT: ein.iterate
func.func @scaled_plus_eps(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    // expected-remark @below {{no online form over rank 'c': a value scaled by exp(w * barrier) enters this Einsum other than multiplicatively (or a max or min reduces it)}}
    %s = ein.einsum custom(%e[n, c]) -> [n] sum[c] {
    ^bb0(%a: f32):
      %eps = arith.constant 1.0e-6 : f32
      %y = arith.addf %a, %eps : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// ScaledNotMultiplicative (a max of a scaled value): the largest softmax
// probability, max_c e / sum_c e. A running max of e is not corrected by
// rescaling.
// CHECK-LABEL: func @max_of_scaled
// CHECK-NOT: ein.iterate
func.func @max_of_scaled(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': a value scaled by exp(w * barrier) enters this Einsum other than multiplicatively (or a max or min reduces it)}}
    %m = ein.einsum copy(%e[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %o = ein.einsum div(%m[n], %s[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ein.yield %o : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// RescaledLacksRank: the max over c of every head b, but the softmax
// denominator of head 0 only (read as [n, 0]). The sum has no rank b, so
// the correction exp(old max - new max), per [n, b], has nothing to scale.
// CHECK-LABEL: func @rescaled_lacks_rank
// CHECK-NOT: ein.iterate
func.func @rescaled_lacks_rank(%x: tensor<8x4x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, b, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, b, c]) -> [n, b] max[c] : (tensor<8x4x?xf32>) -> tensor<8x4xf32>
    %e = ein.einsum custom(%x[n, 0, c], %mx[n, 0]) -> [n, c] {
    ^bb0(%a: f32, %m: f32):
      %d = arith.subf %a, %m : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x4x?xf32>, tensor<8x4xf32>) -> tensor<8x?xf32>
    // expected-remark @below {{no online form over rank 'c': this rescaled sum lacks rank 'b' of the barrier}}
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// CannotSizeState (running max): rows viewed as blocks of 4, x[n1 * 4 + n0,
// c]. The running max is [n1, 4] with n1 dynamic, and no input is indexed
// by n1 alone to take its size from.
// CHECK-LABEL: func @cannot_size_state
// CHECK-NOT: ein.iterate
func.func @cannot_size_state(%x: tensor<?x?xf32>) -> tensor<?x4xf32> {
  %r = ein.cascade [n1, n0 = 4, c] -> (tensor<?x4xf32>) {
    // expected-remark @below {{no online form over rank 'c': cannot size the running state: no input gives the extent of rank 'n1'}}
    %mx = ein.einsum copy(%x[n1 * 4 + n0, c]) -> [n1, n0] max[c] : (tensor<?x?xf32>) -> tensor<?x4xf32>
    %e = ein.einsum custom(%x[n1 * 4 + n0, c], %mx[n1, n0]) -> [n1, n0, c] {
    ^bb0(%a: f32, %m: f32):
      %d = arith.subf %a, %m : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<?x?xf32>, tensor<?x4xf32>) -> tensor<?x4x?xf32>
    %s = ein.einsum copy(%e[n1, n0, c]) -> [n1, n0] sum[c] : (tensor<?x4x?xf32>) -> tensor<?x4xf32>
    ein.yield %s : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}

// -----

// InputIndexedNotPlain (online form): a softmax over every other score,
// read as x[n, c * 2]. A tile of c is no slice of x.
// CHECK-LABEL: func @input_indexed_not_plain
// CHECK-NOT: ein.iterate
func.func @input_indexed_not_plain(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    // expected-remark @below {{no online form over rank 'c': an input of this Einsum is indexed by 'c' other than as one plain dimension}}
    %mx = ein.einsum copy(%x[n, c * 2]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c * 2], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %m: f32):
      %d = arith.subf %a, %m : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// NoPlainInput (online form): a softmax over scores upsampled 2x along c,
// read as x[n, c floordiv 2] only. Such an input tiles (every tile starts
// at an even c), but no input gives the extent of c.
// CHECK-LABEL: func @no_plain_input
// CHECK-NOT: ein.iterate
func.func @no_plain_input(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  // expected-remark @below {{no online form over rank 'c': no input is indexed by 'c' as a plain dimension, so none gives its extent}}
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c floordiv 2]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c floordiv 2], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %m: f32):
      %d = arith.subf %a, %m : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// InputIndexedTwice (online form): self-attention of a square score matrix
// onto its own transpose, sum_c softmax(a)[n, c] * a[c, n]. The iteration
// would tile a along dim 1 for the softmax and along dim 0 for the product.
// CHECK-LABEL: func @input_indexed_twice
// CHECK-NOT: ein.iterate
func.func @input_indexed_twice(%a: tensor<?x?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?xf32>) {
    %mx = ein.einsum copy(%a[n, c]) -> [n] max[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %e = ein.einsum custom(%a[n, c], %mx[n]) -> [n, c] {
    ^bb0(%x: f32, %m: f32):
      %d = arith.subf %x, %m : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    // expected-remark @below {{no online form over rank 'c': an input of this Einsum is indexed by 'c' in two dimensions}}
    %w = ein.einsum mul(%e[n, c], %a[c, n]) -> [n] sum[c] : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?xf32>
    %o = ein.einsum div(%w[n], %s[n]) -> [n] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
    ein.yield %o : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

// From here on, no max or min: a sum and a sum of squares, refused for
// Welford's update.

// VarianceNotOfDifference: layer norm's centring written as a custom region
// (x - mu) instead of a named sub, then squared by a mul.
// CHECK-LABEL: func @variance_not_of_difference
// CHECK-NOT: ein.iterate
func.func @variance_not_of_difference(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    %d = ein.einsum custom(%x[n, c], %mu[n]) -> [n, c] {
    ^bb0(%a: f32, %m: f32):
      %q = arith.subf %a, %m : f32
      ein.yield %q : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    // expected-remark @below {{no online form over rank 'c': this sum of squares over 'c' is not of a difference}}
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// VarianceAboutOtherValue: the squared error of targets y about the mean of
// the predictions x. The difference is of y, the sum is of x.
// CHECK-LABEL: func @variance_about_other_value
// CHECK-NOT: ein.iterate
func.func @variance_about_other_value(%x: tensor<8x?xf32>, %y: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': this difference is of a value other than the summed one}}
    %d = ein.einsum sub(%y[n, c], %mu[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// SummedValueComputed: the variance of a residual sum h = x + res (pre-norm
// layer norm). h is computed in the cascade; Welford's update tiles an input.
// CHECK-LABEL: func @summed_value_computed
// CHECK-NOT: ein.iterate
func.func @summed_value_computed(%x: tensor<8x?xf32>, %res: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %h = ein.einsum add(%x[n, c], %res[n, c]) -> [n, c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8x?xf32>
    // expected-remark @below {{no online form over rank 'c': this sum's value is computed in the cascade (Welford's update reads it from an input)}}
    %s = ein.einsum copy(%h[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%h[n, c], %mu[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// VarianceIndexedDifferently: per-(row, group) statistics whose variance is
// written transposed, [b, n] against the mean's [n, b].
// CHECK-LABEL: func @variance_indexed_differently
// CHECK-NOT: ein.iterate
func.func @variance_indexed_differently(%x: tensor<8x4x?xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, b, c] -> (tensor<4x8xf32>) {
    %s = ein.einsum copy(%x[n, b, c]) -> [n, b] sum[c] : (tensor<8x4x?xf32>) -> tensor<8x4xf32>
    %mu = ein.einsum custom(%s[n, b]) -> [n, b] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<8x4xf32>) -> tensor<8x4xf32>
    %d = ein.einsum sub(%x[n, b, c], %mu[n, b]) -> [n, b, c] : (tensor<8x4x?xf32>, tensor<8x4xf32>) -> tensor<8x4x?xf32>
    // expected-remark @below {{no online form over rank 'c': the mean and the variance are not indexed alike}}
    %v = ein.einsum mul(%d[n, b, c], %d[n, b, c]) -> [b, n] sum[c] : (tensor<8x4x?xf32>, tensor<8x4x?xf32>) -> tensor<4x8xf32>
    ein.yield %v : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// -----

// InputIndexedTwice (Welford's update): mean and variance of the diagonal
// of each matrix, x[n, c, c].
// CHECK-LABEL: func @welford_input_indexed_twice
// CHECK-NOT: ein.iterate
func.func @welford_input_indexed_twice(%x: tensor<8x?x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    // expected-remark @below {{no online form over rank 'c': an input of this Einsum is indexed by 'c' in two dimensions}}
    %s = ein.einsum copy(%x[n, c, c]) -> [n] sum[c] : (tensor<8x?x?xf32>) -> tensor<8xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c, c], %mu[n]) -> [n, c] : (tensor<8x?x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// WelfordNotF32: layer norm's statistics in f16.
// CHECK-LABEL: func @welford_not_f32
// CHECK-NOT: ein.iterate
func.func @welford_not_f32(%x: tensor<8x?xf16>) -> tensor<8xf16> {
  %r = ein.cascade [n, c] -> (tensor<8xf16>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf16>) -> tensor<8xf16>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f16):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f16
      %q = arith.divf %a, %f : f16
      ein.yield %q : f16
    } : (tensor<8xf16>) -> tensor<8xf16>
    %d = ein.einsum sub(%x[n, c], %mu[n]) -> [n, c] : (tensor<8x?xf16>, tensor<8xf16>) -> tensor<8x?xf16>
    // expected-remark @below {{no online form over rank 'c': Welford's update is built for f32}}
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf16>, tensor<8x?xf16>) -> tensor<8xf16>
    ein.yield %v : tensor<8xf16>
  }
  return %r : tensor<8xf16>
}

// -----

// VarianceNotAboutSum: a row normalised by its sum (x / sum_c x, the second
// pass over c), and the spread of x about a given running mean m (an
// input, as in batch norm's inference statistics), not about the sum.
// CHECK-LABEL: func @variance_not_about_sum
// CHECK-NOT: ein.iterate
func.func @variance_not_about_sum(%x: tensor<8x?xf32>, %m: tensor<8xf32>) -> (tensor<8x?xf32>, tensor<8xf32>) {
  %r:2 = ein.cascade [n, c] -> (tensor<8x?xf32>, tensor<8xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %p = ein.einsum div(%x[n, c], %s[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    // expected-remark @below {{no online form over rank 'c': this difference is not about a value derived from the sum}}
    %d = ein.einsum sub(%x[n, c], %m[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %p, %v : tensor<8x?xf32>, tensor<8xf32>
  }
  return %r#0, %r#1 : tensor<8x?xf32>, tensor<8xf32>
}

// -----

// SumReadAlongRank (Welford's update): layer norm whose normalisation
// recomputes the mean from the sum inline, (x - sum / C) * rsqrt(var / C).
// The rewrite wants the sum read only by r-free Einsums (such as mu); this
// one reads it along c.
// CHECK-LABEL: func @welford_sum_read_along_rank
// CHECK-NOT: ein.iterate
func.func @welford_sum_read_along_rank(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %r = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c], %mu[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': this Einsum reads the sum over 'c' again along 'c'}}
    %y = ein.einsum custom(%x[n, c], %s[n], %v[n]) -> [n, c] {
    ^bb0(%a: f32, %sum: f32, %var: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %m = arith.divf %sum, %f : f32
      %dd = arith.subf %a, %m : f32
      %vv = arith.divf %var, %f : f32
      %rs = math.rsqrt %vv : f32
      %o = arith.mulf %dd, %rs : f32
      ein.yield %o : f32
    } : (tensor<8x?xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    ein.yield %y : tensor<8x?xf32>
  }
  return %r : tensor<8x?xf32>
}

// -----

// CannotSizeState (Welford's update): the statistics of one vector x[c],
// broadcast over rows n that no input has. The running count, mean and M2
// are [n] with n dynamic, and no input gives n's extent.
// CHECK-LABEL: func @welford_cannot_size_state
// CHECK-NOT: ein.iterate
func.func @welford_cannot_size_state(%x: tensor<?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?xf32>) {
    // expected-remark @below {{no online form over rank 'c': cannot size the running state: no input gives the extent of rank 'n'}}
    %s = ein.einsum copy(%x[c]) -> [n] sum[c] : (tensor<?xf32>) -> tensor<?xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%x[c], %mu[n]) -> [n, c] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?xf32>
    ein.yield %v : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

// InputIndexedNotPlain (Welford): a mean and variance of an input read as
// x[n, c floordiv 2] (upsampled along c): the sum, the difference and the
// variance index it alike, but a tile of c is no slice of x.
// CHECK-LABEL: func @upsampled_ln
// CHECK-NOT: ein.iterate
func.func @upsampled_ln(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    // expected-remark @below {{no online form over rank 'c': an input of this Einsum is indexed by 'c' other than as one plain dimension}}
    %s = ein.einsum copy(%x[n, c floordiv 2]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c floordiv 2], %mu[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// InputNotPlain (Welford): rows viewed as blocks, x[n1 * 4 + n0, c]; c is
// plain but the Welford state is sliced along plain dimensions only.
// CHECK-LABEL: func @blocks_ln
// CHECK-NOT: ein.iterate
func.func @blocks_ln(%x: tensor<?x?xf32>) -> tensor<?x4xf32> {
  %r = ein.cascade [n1, n0 = 4, c] -> (tensor<?x4xf32>) {
    // expected-remark @below {{no online form over rank 'c': an input of this Einsum is indexed by an expression of ranks (Welford's update slices plain dimensions)}}
    %s = ein.einsum copy(%x[n1 * 4 + n0, c]) -> [n1, n0] sum[c] : (tensor<?x?xf32>) -> tensor<?x4xf32>
    %d = ein.einsum sub(%x[n1 * 4 + n0, c], %s[n1, n0]) -> [n1, n0, c] : (tensor<?x?xf32>, tensor<?x4xf32>) -> tensor<?x4x?xf32>
    %v = ein.einsum mul(%d[n1, n0, c], %d[n1, n0, c]) -> [n1, n0] sum[c] : (tensor<?x4x?xf32>, tensor<?x4x?xf32>) -> tensor<?x4xf32>
    ein.yield %v : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}

// -----

// IterationStateUnknown: an earlier iteration over k yields a state passed
// through unchanged from a function argument, whose ranks are unknown, so
// whether an iteration over c may follow it is not decided.
// CHECK-LABEL: func @passthrough
// CHECK-COUNT-1: ein.iterate
// CHECK-NOT: ein.iterate
func.func @passthrough(%x: tensor<4x?xf32>, %w: tensor<?xf32>, %y0: tensor<4xf32>, %z: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, k, c, k0] -> (tensor<4xf32>) {
    // expected-remark @below {{no online form over rank 'c': an iteration over 'k' yields a state that is not an Einsum's result, so whether it carries 'c' is unknown}}
    %y:2 = ein.iterate k tile 64 as k0 tiles(%x dim 1 : tensor<4x?xf32>, %w dim 0 : tensor<?xf32>) init(%y0 : tensor<4xf32>, %y0 : tensor<4xf32>) {
    ^bb0(%xt: tensor<4x?xf32>, %wt: tensor<?xf32>, %acc: tensor<4xf32>, %keep: tensor<4xf32>):
      %p = ein.einsum mul(%xt[n, k0], %wt[k0]) -> [n] sum[k0] : (tensor<4x?xf32>, tensor<?xf32>) -> tensor<4xf32>
      %a = ein.einsum add(%acc[n], %p[n]) -> [n] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %a, %keep : tensor<4xf32>, tensor<4xf32>
    }
    %mx = ein.einsum copy(%z[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%z[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %m: f32):
      %d = arith.subf %a, %m : f32
      %q = math.exp %d : f32
      ein.yield %q : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %o = ein.einsum add(%s[n], %y#0[n]) -> [n] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %o : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
