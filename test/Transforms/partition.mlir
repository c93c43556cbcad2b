// RUN: einfuse-opt %s --ein-partition="workers=3" --split-input-file --verify-diagnostics | FileCheck %s --check-prefix=LINEAR
// RUN: einfuse-opt %s --ein-partition="workers=4 grouping=tree" --split-input-file --verify-diagnostics | FileCheck %s --check-prefix=TREE

// A running max and a sum rescaled by it, split into chunks; the first
// worker starts from the initial state, the others from the identity.
// LINEAR-LABEL: func @online
// LINEAR: %[[W0:.*]]:2 = ein.iterate m tile 8 as m0 {{.*}} init(%arg1 : tensor<4xf32>, %arg2 : tensor<4xf32>) combine ["max", "rescaled_sum:0"] attributes {partition = array<i64: 0, 3>}
// LINEAR: %[[NINF:.*]] = tensor.splat %{{.*}} : tensor<4xf32>
// LINEAR: %[[ZERO:.*]] = tensor.splat %{{.*}} : tensor<4xf32>
// LINEAR: %[[W1:.*]]:2 = ein.iterate m tile 8 as m0 {{.*}} init(%[[NINF]] : tensor<4xf32>, %[[ZERO]] : tensor<4xf32>) {{.*}} attributes {partition = array<i64: 1, 3>}
// LINEAR: %[[W2:.*]]:2 = ein.iterate {{.*}} attributes {partition = array<i64: 2, 3>}
// LINEAR: %[[M01:.*]] = ein.einsum max(%[[W0]]#0[p], %[[W1]]#0[p]) -> [p]
// LINEAR: %[[S01:.*]] = ein.einsum custom(%[[W0]]#1[p], %[[W0]]#0[p], %[[W1]]#1[p], %[[W1]]#0[p], %[[M01]][p]) -> [p]
// LINEAR: arith.cmpf oeq
// LINEAR: math.exp
// LINEAR: %[[M:.*]] = ein.einsum max(%[[M01]][p], %[[W2]]#0[p]) -> [p]
// LINEAR: %[[S:.*]] = ein.einsum custom(%[[S01]][p], %[[M01]][p], %[[W2]]#1[p], %[[W2]]#0[p], %[[M]][p]) -> [p]
// LINEAR: ein.yield %[[M]], %[[S]]
// TREE-LABEL: func @online
// TREE-COUNT-4: ein.iterate
// TREE: %[[M01:.*]] = ein.einsum max(%[[A:.*]]#0[p], %[[B:.*]]#0[p]) -> [p]
// TREE: %[[M23:.*]] = ein.einsum max(%[[C:.*]]#0[p], %[[D:.*]]#0[p]) -> [p]
// TREE: ein.einsum max(%[[M01]][p], %[[M23]][p]) -> [p]
func.func @online(%x: tensor<4x?xf32>, %m0: tensor<4xf32>, %s0: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = ein.cascade [p, m, m0] -> (tensor<4xf32>, tensor<4xf32>) {
    %s:2 = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%m0 : tensor<4xf32>, %s0 : tensor<4xf32>) combine ["max", "rescaled_sum:0"] {
    ^bb0(%t: tensor<4x?xf32>, %rm: tensor<4xf32>, %rs: tensor<4xf32>):
      %lm = ein.einsum copy(%t[p, m0]) -> [p] max[m0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %nm = ein.einsum max(%rm[p], %lm[p]) -> [p] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      %e = ein.einsum custom(%t[p, m0], %nm[p]) -> [p, m0] {
      ^bb0(%a: f32, %b: f32):
        %d = arith.subf %a, %b : f32
        %x2 = math.exp %d : f32
        ein.yield %x2 : f32
      } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
      %ts = ein.einsum copy(%e[p, m0]) -> [p] sum[m0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %c = ein.einsum custom(%rm[p], %nm[p], %rs[p], %ts[p]) -> [p] {
      ^bb0(%a: f32, %b: f32, %u: f32, %v: f32):
        %d = arith.subf %a, %b : f32
        %f = math.exp %d : f32
        %g = arith.mulf %u, %f : f32
        %h = arith.addf %g, %v : f32
        ein.yield %h : f32
      } : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm, %c : tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#0, %s#1 : tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Without combine kinds the iteration is left alone.
// LINEAR-LABEL: func @no_combine
// LINEAR-COUNT-1: ein.iterate
// LINEAR-NOT: ein.iterate
func.func @no_combine(%x: tensor<4x?xf32>, %m0: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-remark @below {{not partitioned: the iteration does not say how its states combine}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%m0 : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %rm: tensor<4xf32>):
      %lm = ein.einsum copy(%t[p, m0]) -> [p] max[m0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %nm = ein.einsum max(%rm[p], %lm[p]) -> [p] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Welford's state (count, mean, M2): counts add, means and M2 merge by
// Chan's formula from both sides' counts and means, 0 where both counts
// are 0.
// LINEAR-LABEL: func @welford
// LINEAR: %[[A:.*]]:3 = ein.iterate c tile 4 as c0 {{.*}}partition = array<i64: 0, 3>
// LINEAR: %[[B:.*]]:3 = ein.iterate c tile 4 as c0 {{.*}}partition = array<i64: 1, 3>
// LINEAR: ein.iterate c tile 4 as c0 {{.*}}partition = array<i64: 2, 3>
// LINEAR: %[[N:.*]] = ein.einsum add(%[[A]]#0[n], %[[B]]#0[n]) -> [n]
// LINEAR: ein.einsum custom(%[[A]]#1[n], %[[B]]#1[n], %[[A]]#0[n], %[[B]]#0[n]) -> [n]
// LINEAR: arith.select
// LINEAR: ein.einsum custom(%[[A]]#2[n], %[[B]]#2[n], %[[A]]#0[n], %[[B]]#0[n], %[[A]]#1[n], %[[B]]#1[n]) -> [n]
// LINEAR: arith.select
func.func @welford(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c, c0] -> (tensor<8xf32>) {
    %z = arith.constant 0.0 : f32
    %i0 = tensor.splat %z : tensor<8xf32>
    %s:3 = ein.iterate c tile 4 as c0 tiles(%x dim 1 : tensor<8x?xf32>) init(%i0 : tensor<8xf32>, %i0 : tensor<8xf32>, %i0 : tensor<8xf32>) combine ["sum", "welford_mean:0", "welford_m2:0,1"] {
    ^bb0(%xt: tensor<8x?xf32>, %cnt: tensor<8xf32>, %mean: tensor<8xf32>, %m2: tensor<8xf32>):
      %n1 = ein.einsum custom(%xt[n, c0]) -> [n] sum[c0] {
      ^bb0(%a: f32):
        %one = arith.constant 1.0 : f32
        ein.yield %one : f32
      } : (tensor<8x?xf32>) -> tensor<8xf32>
      %cnt1 = ein.einsum add(%cnt[n], %n1[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
      %mean1 = ein.einsum add(%mean[n], %n1[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
      %m21 = ein.einsum add(%m2[n], %n1[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
      ein.yield %cnt1, %mean1, %m21 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
    }
    ein.yield %s#2 : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
