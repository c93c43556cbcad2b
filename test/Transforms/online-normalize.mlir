// RUN: einfuse-opt %s --ein-online-normalize="tile-size=32" --split-input-file --verify-diagnostics | FileCheck %s
// RUN: einfuse-opt %s --ein-online-normalize --ein-pass-analysis --split-input-file 2>&1 | FileCheck %s --check-prefix=PASSES

// 2-pass attention (normalisation deferred) becomes one iteration over
// tiles of m carrying the running max, the running sum and the running
// numerator, each sum rescaled by exp(old max - new max): FlashAttention.
// CHECK-LABEL: func @attention
// CHECK: ein.cascade [p, m, f, m0]
// CHECK-DAG: %[[NINF:.*]] = tensor.splat %{{.*}} : tensor<4xf32>
// CHECK-DAG: %[[Z1:.*]] = tensor.splat %{{.*}} : tensor<4xf32>
// CHECK-DAG: %[[Z2:.*]] = tensor.splat %{{.*}} : tensor<4x16xf32>
// CHECK: %[[IT:.*]]:3 = ein.iterate m tile 32 as m0 tiles(%[[QK:.*]] dim 1 : tensor<4x?xf32>, %[[V:.*]] dim 0 : tensor<?x16xf32>) init(%[[NINF]] : tensor<4xf32>, %[[Z1]] : tensor<4xf32>, %[[Z2]] : tensor<4x16xf32>) combine [max, rescaled_sum(0, -1.0), rescaled_sum(0, -1.0)] {
// CHECK-NEXT: ^bb0(%[[QKT:.*]]: tensor<4x?xf32>, %[[VT:.*]]: tensor<?x16xf32>, %[[RM:.*]]: tensor<4xf32>, %[[RD:.*]]: tensor<4xf32>, %[[RNV:.*]]: tensor<4x16xf32>):
// CHECK-NEXT: %[[LM:.*]] = ein.einsum copy(%[[QKT]][p, m0]) -> [p] max[m0]
// CHECK-NEXT: %[[RM2:.*]] = ein.einsum max(%[[RM]][p], %[[LM]][p]) -> [p]
// CHECK-NEXT: %[[SN:.*]] = ein.einsum custom(%[[QKT]][p, m0], %[[RM2]][p]) -> [p, m0]
// CHECK: math.exp
// CHECK: %[[SD:.*]] = ein.einsum copy(%[[SN]][p, m0]) -> [p] sum[m0]
// CHECK-NEXT: %[[SNV:.*]] = ein.einsum mul(%[[SN]][p, m0], %[[VT]][m0, f]) -> [p, f] sum[m0]
// CHECK-NEXT: %[[PRM:.*]] = ein.einsum custom(%[[RM]][p], %[[RM]][p], %[[RM2]][p]) -> [p]
// CHECK: arith.cmpf oeq
// CHECK: math.exp
// CHECK: %[[RD2:.*]] = ein.einsum custom(%[[RD]][p], %[[PRM]][p], %[[SD]][p]) -> [p]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[RNV2:.*]] = ein.einsum custom(%[[RNV]][p, f], %[[PRM]][p], %[[SNV]][p, f]) -> [p, f]
// CHECK: ein.yield %[[RM2]], %[[RD2]], %[[RNV2]]
// CHECK: %[[O:.*]] = ein.einsum div(%[[IT]]#2[p, f], %[[IT]]#1[p]) -> [p, f]
// CHECK: ein.yield %[[O]]
// PASSES: remark: 1 pass over rank 'm'; footprint 3*T_f*T_p + T_m*T_p + 5*T_p
func.func @attention(%qk: tensor<4x?xf32>, %v: tensor<?x16xf32>) -> tensor<4x16xf32> {
  %o = ein.cascade [p, m, f] -> (tensor<4x16xf32>) {
    %gm = ein.einsum copy(%qk[p, m]) -> [p] max[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %sn = ein.einsum custom(%qk[p, m], %gm[p]) -> [p, m] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %e = math.exp %d : f32
      ein.yield %e : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %sd = ein.einsum copy(%sn[p, m]) -> [p] sum[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %nv = ein.einsum mul(%sn[p, m], %v[m, f]) -> [p, f] sum[m] : (tensor<4x?xf32>, tensor<?x16xf32>) -> tensor<4x16xf32>
    %o = ein.einsum div(%nv[p, f], %sd[p]) -> [p, f] : (tensor<4x16xf32>, tensor<4xf32>) -> tensor<4x16xf32>
    ein.yield %o : tensor<4x16xf32>
  }
  return %o : tensor<4x16xf32>
}

// -----

// Cross-entropy: the same rewrite, nothing attention-specific. The picked
// logit sum does not depend on the max and is carried as a plain sum; the
// log-sum-exp epilogue reads the final state.
// CHECK-LABEL: func @cross_entropy
// CHECK: %[[IT:.*]]:3 = ein.iterate c tile 32 as c0 tiles(%{{.*}} dim 1 : tensor<8x?xf32>, %{{.*}} dim 1 : tensor<8x?xf32>) init({{.*}}) combine [max, rescaled_sum(0, -1.0), sum]
// CHECK: ein.einsum add
// CHECK: ein.yield
// CHECK: ein.einsum custom(%[[IT]]#1[n], %[[IT]]#0[n]) -> [n]
// CHECK: math.log
// CHECK: ein.einsum sub(%{{.*}}[n], %[[IT]]#2[n]) -> [n]
// PASSES: remark: 1 pass over rank 'c'
func.func @cross_entropy(%x: tensor<8x?xf32>, %onehot: tensor<8x?xf32>) -> tensor<8xf32> {
  %l = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %r = math.exp %d : f32
      ein.yield %r : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %picked = ein.einsum mul(%x[n, c], %onehot[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    %lse = ein.einsum custom(%s[n], %mx[n]) -> [n] {
    ^bb0(%a: f32, %b: f32):
      %lg = math.log %a : f32
      %r = arith.addf %lg, %b : f32
      ein.yield %r : f32
    } : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %loss = ein.einsum sub(%lse[n], %picked[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ein.yield %loss : tensor<8xf32>
  }
  return %l : tensor<8xf32>
}

// -----

// Softmax writes a result along c that needs the final max and sum: 3
// passes, and the online form only removes the max barrier.
// CHECK-LABEL: func @softmax
// CHECK-NOT: ein.iterate
func.func @softmax(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  // expected-remark @below {{no online form over rank 'c': 3 passes: the online form removes one max barrier; run --ein-deferred-normalize first}}
  %y = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %r = math.exp %d : f32
      ein.yield %r : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %y = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    ein.yield %y : tensor<8x?xf32>
  }
  return %y : tensor<8x?xf32>
}

// -----

// A max used other than through exp(y - max) has no correction.
// CHECK-LABEL: func @max_not_in_exp
// CHECK-NOT: ein.iterate
func.func @max_not_in_exp(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  // expected-remark @below {{no online form over rank 'c': the max over 'c' is used other than through exp(y - max)}}
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c], %mx[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// A variance about the mean (a sum barrier read again along c): Welford's
// running (count, mean, M2), combined tile by tile by Chan's formula;
// afterwards sum = mean * count and the sum of squares about M is
// M2 + count * (mean - M)^2. The normalisation reads x again: 3 -> 2 passes.
// CHECK-LABEL: func @layer_norm
// CHECK: ein.cascade [n, c, c0]
// CHECK: %[[IT:.*]]:3 = ein.iterate c tile 32 as c0 tiles(%arg0 dim 1 : tensor<8x?xf32>) init(
// The per-row states are f64 (accuracy for large means); the tile sums f32.
// CHECK: ^bb0(%[[XT:.*]]: tensor<8x?xf32>, %[[CNT:.*]]: tensor<8xf64>, %[[MEAN:.*]]: tensor<8xf64>, %[[M2:.*]]: tensor<8xf64>):
// CHECK: %[[ST:.*]] = ein.einsum copy(%[[XT]][n, c0]) -> [n] sum[c0]
// CHECK: %[[NT:.*]] = ein.einsum custom(%[[XT]][n, c0]) -> [n] sum[c0]
// CHECK: arith.constant 1.0
// CHECK: %[[MT:.*]] = ein.einsum custom(%[[ST]][n], %[[NT]][n]) -> [n]
// CHECK: arith.divf
// CHECK: %[[DT:.*]] = ein.einsum sub(%[[XT]][n, c0], %[[MT]][n]) -> [n, c0]
// CHECK: %[[QT:.*]] = ein.einsum mul(%[[DT]][n, c0], %[[DT]][n, c0]) -> [n] sum[c0]
// CHECK: %[[N1:.*]] = ein.einsum custom(%[[CNT]][n], %[[NT]][n]) -> [n]
// CHECK: %[[MEAN1:.*]] = ein.einsum custom(%[[MEAN]][n], %[[MT]][n], %[[NT]][n], %[[N1]][n]) -> [n]
// CHECK: %[[M21:.*]] = ein.einsum custom(%[[M2]][n], %[[QT]][n], %[[MEAN]][n], %[[MT]][n], %[[CNT]][n], %[[NT]][n], %[[N1]][n]) -> [n]
// CHECK: ein.yield %[[N1]], %[[MEAN1]], %[[M21]]
// CHECK: %[[SUM:.*]] = ein.einsum custom(%[[IT]]#1[n], %[[IT]]#0[n]) -> [n]
// CHECK: arith.truncf
// CHECK: %[[MU:.*]] = ein.einsum custom(%[[SUM]][n]) -> [n]
// CHECK: %[[D:.*]] = ein.einsum sub(%arg0[n, c], %[[MU]][n]) -> [n, c]
// CHECK: %[[VAR:.*]] = ein.einsum custom(%[[IT]]#2[n], %[[IT]]#0[n], %[[IT]]#1[n], %[[MU]][n]) -> [n]
// CHECK-NOT: sum[c]
// CHECK: ein.einsum custom(%[[D]][n, c],

// PASSES: online-normalize.mlir:{{[0-9]+}}:{{[0-9]+}}: remark: 2 passes over rank 'c'
func.func @layer_norm(%x: tensor<8x?xf32>, %g: tensor<?xf32>) -> tensor<8x?xf32> {
  %y = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    %sum = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %mean = ein.einsum custom(%sum[n]) -> [n] {
    ^bb0(%s: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %r = arith.divf %s, %f : f32
      ein.yield %r : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c], %mean[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %var = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    %r = ein.einsum rsqrt(%var[n]) -> [n] : (tensor<8xf32>) -> tensor<8xf32>
    %y = ein.einsum custom(%d[n, c], %r[n], %g[c]) -> [n, c] {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %t = arith.mulf %a, %b : f32
      %u = arith.mulf %t, %c : f32
      ein.yield %u : f32
    } : (tensor<8x?xf32>, tensor<8xf32>, tensor<?xf32>) -> tensor<8x?xf32>
    ein.yield %y : tensor<8x?xf32>
  }
  return %y : tensor<8x?xf32>
}

// -----

// A plain variance about the sum itself (not divided): the same update,
// and the difference is gone once the variance no longer needs it (1 pass).
// CHECK-LABEL: func @variance
// CHECK: ein.iterate c tile 32 as c0
// CHECK-NOT: ein.einsum sub(%arg0

// PASSES: remark: 1 pass over rank 'c'
func.func @variance(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mu = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c], %mu[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// A sum of cubes about the mean is no variance: refused.
// CHECK-LABEL: func @not_a_variance
// CHECK-NOT: ein.iterate
func.func @not_a_variance(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  // expected-remark @below {{no online form over rank 'c': no max barrier over 'c', and no mean and variance for Welford's update: no sum over 'c' and sum of squares about it}}
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mu = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c], %mu[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %v = ein.einsum custom(%d[n, c]) -> [n] sum[c] {
    ^bb0(%a: f32):
      %s = arith.mulf %a, %a : f32
      %t = arith.mulf %s, %a : f32
      ein.yield %t : f32
    } : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// A min barrier has no correction.
// CHECK-LABEL: func @min_barrier
// CHECK-NOT: ein.iterate
func.func @min_barrier(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  // expected-remark @below {{no online form over rank 'c': no correction exists for a 'min' barrier}}
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mn = ein.einsum copy(%x[n, c]) -> [n] min[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c], %mn[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
