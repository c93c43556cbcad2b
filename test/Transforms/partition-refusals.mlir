// RUN: einfuse-opt %s -split-input-file -verify-diagnostics --ein-online-normalize --ein-partition="workers=2 rank=k" | FileCheck %s

// Every reason --ein-partition gives for leaving an iteration alone
// (PartitionRefusal, Passes.h), and the reasons of its split-K step
// (OnlineRefusal, through buildPlainIteration) not covered in
// partition-split-k.mlir, each checked at the op concerned. Every case
// iterates (or sums over) rank k, the rank asked for; the online form runs
// first, as in the CPU pipeline. AlreadySplit and AlreadyIterated are never
// said: the pass skips such iterations silently (checked below).

// NoCombine: a softmax denominator whose max is clamped from below
// (max(G, -1e30), a guard against fully masked rows that is not an
// identity guard) gets its online form, but the iteration cannot say how
// partial states combine: rescaling by exp(G_a - G) is exact only where
// pass 1 sees G unchanged. The iteration is built at the max, where the
// remark points. (Split-K finds the iteration over k and stays silent.)
// CHECK-LABEL: func @no_combine
// CHECK: ein.iterate k tile 64 as k0
// CHECK-NOT: combine
// CHECK-NOT: workers
// CHECK: ein.yield
func.func @no_combine(%x: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, k] -> (tensor<4xf32>) {
    // expected-remark @below {{not partitioned: the iteration does not say how its states combine}}
    %mx = ein.einsum copy(%x[n, k]) -> [n] max[k] : (tensor<4x?xf32>) -> tensor<4xf32>
    %g = ein.einsum custom(%mx[n]) -> [n] {
    ^bb0(%a: f32):
      %lo = arith.constant -1.0e30 : f32
      %y = arith.maximumf %a, %lo : f32
      ein.yield %y : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, k], %g[n]) -> [n, k] {
    ^bb0(%a: f32, %m: f32):
      %d = arith.subf %a, %m : f32
      %q = math.exp %d : f32
      ein.yield %q : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, k]) -> [n] sum[k] : (tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// StateNotEinsum: a hand-written iteration that carries a second state
// through unchanged (a value it only hands on), yielding its own argument:
// no Einsum says which ranks index it.
// CHECK-LABEL: func @state_not_einsum
// CHECK: ein.iterate k tile 8 as k0 {{.*}} combine [max, max] {
func.func @state_not_einsum(%x: tensor<4x?xf32>, %m0: tensor<4xf32>, %b0: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = ein.cascade [p, k, k0] -> (tensor<4xf32>, tensor<4xf32>) {
    // expected-remark @below {{not partitioned: a state value is not the result of an Einsum, so its ranks are unknown}}
    %s:2 = ein.iterate k tile 8 as k0 tiles(%x dim 1 : tensor<4x?xf32>) init(%m0 : tensor<4xf32>, %b0 : tensor<4xf32>) combine [max, max] {
    ^bb0(%t: tensor<4x?xf32>, %rm: tensor<4xf32>, %kept: tensor<4xf32>):
      %lm = ein.einsum copy(%t[p, k0]) -> [p] max[k0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %nm = ein.einsum max(%rm[p], %lm[p]) -> [p] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm, %kept : tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#0, %s#1 : tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// RescaledLacksRank: a hand-written online softmax that keeps the running
// max of both heads h but the running denominator of head 0 only (its
// rescaled_sum is [p], the max [p, h]). The combine of the workers'
// denominators would need each worker's max per h.
// CHECK-LABEL: func @rescaled_lacks_rank
// CHECK: ein.iterate k tile 8 as k0 {{.*}} combine [max, rescaled_sum(0, -1.0)] {
func.func @rescaled_lacks_rank(%x: tensor<4x2x?xf32>, %m0: tensor<4x2xf32>, %s0: tensor<4xf32>) -> (tensor<4x2xf32>, tensor<4xf32>) {
  %r:2 = ein.cascade [p, h, k, k0] -> (tensor<4x2xf32>, tensor<4xf32>) {
    // expected-remark @below {{not partitioned: a rescaled sum (or Welford mean or M2) lacks a rank of the state its merge reads}}
    %s:2 = ein.iterate k tile 8 as k0 tiles(%x dim 2 : tensor<4x2x?xf32>) init(%m0 : tensor<4x2xf32>, %s0 : tensor<4xf32>) combine [max, rescaled_sum(0, -1.0)] {
    ^bb0(%t: tensor<4x2x?xf32>, %rm: tensor<4x2xf32>, %rs: tensor<4xf32>):
      %lm = ein.einsum copy(%t[p, h, k0]) -> [p, h] max[k0] : (tensor<4x2x?xf32>) -> tensor<4x2xf32>
      %nm = ein.einsum max(%rm[p, h], %lm[p, h]) -> [p, h] : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
      %e = ein.einsum custom(%t[p, 0, k0], %nm[p, 0]) -> [p, k0] {
      ^bb0(%a: f32, %b: f32):
        %d = arith.subf %a, %b : f32
        %y = math.exp %d : f32
        ein.yield %y : f32
      } : (tensor<4x2x?xf32>, tensor<4x2xf32>) -> tensor<4x?xf32>
      %ts = ein.einsum copy(%e[p, k0]) -> [p] sum[k0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %c = ein.einsum custom(%rm[p, 0], %nm[p, 0], %rs[p], %ts[p]) -> [p] {
      ^bb0(%a: f32, %b: f32, %u: f32, %v: f32):
        %d = arith.subf %a, %b : f32
        %f = math.exp %d : f32
        %g = arith.mulf %u, %f : f32
        %y = arith.addf %g, %v : f32
        ein.yield %y : f32
      } : (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm, %c : tensor<4x2xf32>, tensor<4xf32>
    }
    ein.yield %s#0, %s#1 : tensor<4x2xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4x2xf32>, tensor<4xf32>
}

// -----

// AlreadySplit: an iteration that already has workers is not split again,
// and nothing is said (the pass does not ask partitionIteration about it).
// AlreadyIterated: split-K over k finds the iteration over k and, silently,
// builds no second one.
// CHECK-LABEL: func @already_split
// CHECK-COUNT-1: ein.iterate
// CHECK-NOT: ein.iterate
// CHECK-NOT: k_w_
func.func @already_split(%x: tensor<4x?xf32>, %m0: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, k, k0, k_w = 2] -> (tensor<4xf32>) {
    %s = ein.iterate k tile 8 as k0 tiles(%x dim 1 : tensor<4x?xf32>) init(%m0 : tensor<4xf32>) combine [max] workers 2 {
    ^bb0(%t: tensor<4x?xf32>, %rm: tensor<4xf32>):
      %lm = ein.einsum copy(%t[p, k0]) -> [p] max[k0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %nm = ein.einsum max(%rm[p], %lm[p]) -> [p] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm : tensor<4xf32>
    }
    %c = ein.einsum copy(%s[k_w, p]) -> [p] max[k_w] : (tensor<2x4xf32>) -> tensor<4xf32>
    ein.yield %c : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// AlreadyIterated, with a split: an online softmax denominator written as
// an iteration over k (combine given, no workers). Split-K over k says
// nothing and leaves it to the partition, which splits it into 2 workers.
// CHECK-LABEL: func @already_iterated
// CHECK-COUNT-1: ein.iterate
// CHECK-SAME: workers 2
// CHECK-NOT: ein.iterate
func.func @already_iterated(%x: tensor<4x?xf32>, %m0: tensor<4xf32>, %s0: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = ein.cascade [p, k, k0] -> (tensor<4xf32>, tensor<4xf32>) {
    %s:2 = ein.iterate k tile 8 as k0 tiles(%x dim 1 : tensor<4x?xf32>) init(%m0 : tensor<4xf32>, %s0 : tensor<4xf32>) combine [max, rescaled_sum(0, -1.0)] {
    ^bb0(%t: tensor<4x?xf32>, %rm: tensor<4xf32>, %rs: tensor<4xf32>):
      %lm = ein.einsum copy(%t[p, k0]) -> [p] max[k0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %nm = ein.einsum max(%rm[p], %lm[p]) -> [p] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      %e = ein.einsum custom(%t[p, k0], %nm[p]) -> [p, k0] {
      ^bb0(%a: f32, %b: f32):
        %d = arith.subf %a, %b : f32
        %y = math.exp %d : f32
        ein.yield %y : f32
      } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
      %ts = ein.einsum copy(%e[p, k0]) -> [p] sum[k0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %c = ein.einsum custom(%rm[p], %nm[p], %rs[p], %ts[p]) -> [p] {
      ^bb0(%a: f32, %b: f32, %u: f32, %v: f32):
        %d = arith.subf %a, %b : f32
        %f = math.exp %d : f32
        %g = arith.mulf %u, %f : f32
        %y = arith.addf %g, %v : f32
        ein.yield %y : f32
      } : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm, %c : tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#0, %s#1 : tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// InputIndexedTwice (split-K): the diagonal of a square matrix's square,
// t[n] = sum_k a[n, k] * a[k, n]. A tile of k would slice a along both
// dims.
// CHECK-LABEL: func @split_k_input_indexed_twice
// CHECK-NOT: ein.iterate
func.func @split_k_input_indexed_twice(%a: tensor<?x?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, k] -> (tensor<?xf32>) {
    // expected-remark @below {{no split over rank 'k': an input of this Einsum is indexed by 'k' in two dimensions}}
    %t = ein.einsum mul(%a[n, k], %a[k, n]) -> [n] sum[k] : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?xf32>
    ein.yield %t : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

// CannotSizeState (split-K): a matmul whose rows are viewed as blocks of 4,
// x[m1 * 4 + m0, k]. The partial product is [m1, 4, 8] with m1 dynamic, and
// no input is indexed by m1 alone to size it.
// CHECK-LABEL: func @split_k_cannot_size_state
// CHECK-NOT: ein.iterate
func.func @split_k_cannot_size_state(%x: tensor<?x?xf32>, %w: tensor<?x8xf32>) -> tensor<?x4x8xf32> {
  %r = ein.cascade [m1, m0 = 4, k, n] -> (tensor<?x4x8xf32>) {
    // expected-remark @below {{no split over rank 'k': cannot size the running state: no input gives the extent of rank 'm1'}}
    %y = ein.einsum mul(%x[m1 * 4 + m0, k], %w[k, n]) -> [m1, m0, n] sum[k] : (tensor<?x?xf32>, tensor<?x8xf32>) -> tensor<?x4x8xf32>
    ein.yield %y : tensor<?x4x8xf32>
  }
  return %r : tensor<?x4x8xf32>
}
