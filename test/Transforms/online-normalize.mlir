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

// Softmax writes a result along c that needs the final max and sum: the
// 2-pass online normaliser. The running max and sum are one iteration (pass
// 0); the output is written in pass 1 from the final state (3 -> 2 passes).
// CHECK-LABEL: func @softmax
// CHECK: %[[IT:.*]]:2 = ein.iterate c tile 32 as c0 tiles(%arg0 dim 1 : tensor<8x?xf32>) init({{.*}}) combine [max, rescaled_sum(0, -1.0)] {
// CHECK: ein.yield
// CHECK: %[[E:.*]] = ein.einsum custom(%arg0[n, c], %[[IT]]#0[n]) -> [n, c]
// CHECK: math.exp
// CHECK: %[[Y:.*]] = ein.einsum div(%[[E]][n, c], %[[IT]]#1[n]) -> [n, c]
// CHECK: ein.yield %[[Y]]
// PASSES: remark: 2 passes over rank 'c'
func.func @softmax(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
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
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': this Einsum reads the max over 'c' other than as a factor exp(w * max + y), so no correction exists when the max moves}}
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
// The per-row states and each tile's statistics are f64 (accuracy for
// large means: the tile's mean enters Chan's merge to first order).
// CHECK: ^bb0(%[[XT:.*]]: tensor<8x?xf32>, %[[CNT:.*]]: tensor<8xf64>, %[[MEAN:.*]]: tensor<8xf64>, %[[M2:.*]]: tensor<8xf64>):
// CHECK: %[[ST:.*]] = ein.einsum custom(%[[XT]][n, c0]) -> [n] sum[c0]
// CHECK: arith.extf
// CHECK: -> tensor<8xf64>
// CHECK: %[[NT:.*]] = ein.einsum custom(%[[XT]][n, c0]) -> [n] sum[c0]
// CHECK: arith.constant 1.0{{.*}} : f64
// CHECK: %[[MT:.*]] = ein.einsum custom(%[[ST]][n], %[[NT]][n]) -> [n]
// CHECK: arith.divf
// CHECK: %[[QT:.*]] = ein.einsum custom(%[[XT]][n, c0], %[[MT]][n]) -> [n] sum[c0]
// CHECK: arith.extf
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: -> tensor<8xf64>
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
  // expected-remark @below {{no online form over rank 'c': no max or min over 'c' is read again along it, and no sum over it has a sum of squares about it (Welford's update)}}
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

// A min barrier read other than through exp has no correction.
// CHECK-LABEL: func @min_barrier
// CHECK-NOT: ein.iterate
func.func @min_barrier(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mn = ein.einsum copy(%x[n, c]) -> [n] min[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': this Einsum reads the min over 'c' other than as a factor exp(w * min + y), so no correction exists when the min moves}}
    %d = ein.einsum sub(%x[n, c], %mn[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// Softmin-weighted sum over a min barrier, written mu - x: exp(mu - x) has
// the correction of a max's exp(x - mu), with the signs turned. The running
// min starts at +inf and the sums carry weight +1.
// CHECK-LABEL: func @softmin
// CHECK: %[[IT:.*]]:3 = ein.iterate c tile 32 as c0 {{.*}} combine [min, rescaled_sum(0, 1.0), rescaled_sum(0, 1.0)] {
// CHECK: ein.einsum min(%{{.*}}[n], %{{.*}}[n]) -> [n]
// CHECK: ein.einsum custom(%[[IT]]#2[n], %[[IT]]#1[n]) -> [n]
// PASSES: remark: 1 pass over rank 'c'
func.func @softmin(%x: tensor<8x?xf32>, %v: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mn = ein.einsum copy(%x[n, c]) -> [n] min[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mn[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %b, %a : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %w = ein.einsum mul(%e[n, c], %v[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    %o = ein.einsum custom(%w[n], %s[n]) -> [n] {
    ^bb0(%a: f32, %b: f32):
      %q = arith.divf %a, %b : f32
      ein.yield %q : f32
    } : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ein.yield %o : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// exp(min - x) over a max (or exp(x - max) over a min) grows as the barrier
// moves: refused, with the reason.
// CHECK-LABEL: func @wrong_sign
// CHECK-NOT: ein.iterate
func.func @wrong_sign(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    // expected-remark @below {{no online form over rank 'c': this Einsum reads the max over 'c' as exp(+max), which grows as the max moves: the rescaled terms would overflow}}
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %b, %a : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// Softmax with a temperature, exp2 and the max subtracted on the left:
// exp2((x - max) / T) is exp(w * max + y) with w = -ln 2 / T.
// CHECK-LABEL: func @temperature
// CHECK: ein.iterate c tile 32 as c0 {{.*}} combine [max, rescaled_sum(0, -0.17328679513998632)]
// PASSES: remark: 1 pass over rank 'c'
func.func @temperature(%x: tensor<8x?xf32>, %v: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %nb = arith.negf %b : f32
      %d = arith.addf %nb, %a : f32
      %t = arith.constant 4.0 : f32
      %q = arith.divf %d, %t : f32
      %y = math.exp2 %q : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// Log-softmax: the running max and sum, then x - max - log(sum) written
// along c from the final state: 2 passes (it used to ask for
// --ein-deferred-normalize, which has nothing to do here).
// CHECK-LABEL: func @log_softmax
// CHECK: %[[IT:.*]]:2 = ein.iterate c tile 32 as c0
// CHECK: ein.yield
// CHECK: ein.einsum custom(%arg0[n, c], %[[IT]]#0[n], %[[IT]]#1[n]) -> [n, c]
// PASSES: remark: 2 passes over rank 'c'
func.func @log_softmax(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %y = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %r = math.exp %d : f32
      ein.yield %r : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %y = ein.einsum custom(%x[n, c], %mx[n], %s[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %l = math.log %c : f32
      %d = arith.subf %a, %b : f32
      %r = arith.subf %d, %l : f32
      ein.yield %r : f32
    } : (tensor<8x?xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    ein.yield %y : tensor<8x?xf32>
  }
  return %y : tensor<8x?xf32>
}

// -----

// Two chained softmaxes over the same rank: one iteration per barrier, in
// sequence; the second reads the first's final state (5 -> 3 passes).
// CHECK-LABEL: func @two_softmaxes
// CHECK: %[[A:.*]]:2 = ein.iterate c tile 32 as c0
// CHECK: %[[B:.*]]:2 = ein.iterate c tile 32 as c0_
// CHECK-NOT: ein.iterate
// PASSES: remark: 3 passes over rank 'c'
func.func @two_softmaxes(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %y = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    %m1 = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e1 = ein.einsum custom(%x[n, c], %m1[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %r = math.exp %d : f32
      ein.yield %r : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s1 = ein.einsum copy(%e1[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %y1 = ein.einsum div(%e1[n, c], %s1[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %m2 = ein.einsum copy(%y1[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e2 = ein.einsum custom(%y1[n, c], %m2[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %r = math.exp %d : f32
      ein.yield %r : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s2 = ein.einsum copy(%e2[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %y2 = ein.einsum div(%e2[n, c], %s2[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    ein.yield %y2 : tensor<8x?xf32>
  }
  return %y : tensor<8x?xf32>
}

// -----

// A max-pool-and-subtract writes along c from the final max: iterating it
// would remove no pass, and the remark says so at the max.
// CHECK-LABEL: func @max_subtract
// CHECK-NOT: ein.iterate
func.func @max_subtract(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %y = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    // expected-remark @below {{no online form over rank 'c': no sum over 'c' is scaled by exp of this barrier: iterating it removes no pass}}
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %y = ein.einsum sub(%x[n, c], %mx[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    ein.yield %y : tensor<8x?xf32>
  }
  return %y : tensor<8x?xf32>
}

// -----

// The variance written (x - mu)^2 in one region, and mu - x as a named
// difference: the same Welford update as x - mu squared by a mul.
// CHECK-LABEL: func @variance_in_region
// CHECK: ein.iterate c tile 32 as c0 {{.*}} combine [sum, welford_mean(0), welford_m2(0, 1)]
// CHECK-NOT: sum[c]
func.func @variance_in_region(%x: tensor<8x?xf32>) -> tensor<8xf32> {
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
    %v = ein.einsum custom(%x[n, c], %mu[n]) -> [n] sum[c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %q = arith.mulf %d, %d : f32
      ein.yield %q : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// CHECK-LABEL: func @variance_mu_minus_x
// CHECK: ein.iterate c tile 32 as c0 {{.*}} combine [sum, welford_mean(0), welford_m2(0, 1)]
// CHECK-NOT: sum[c]
func.func @variance_mu_minus_x(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c] -> (tensor<8xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%s[n], %x[n, c]) -> [n, c] : (tensor<8xf32>, tensor<8x?xf32>) -> tensor<8x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// SDPA's guard written `m != -inf ? m : 0` and stored transposed ([j, h]
// where the max is [h, j]): the correction factor reads the recomputed
// guards by their own ranks (it used to read them as [h, j], out of
// bounds; found by the property test), and the guard only replaces -inf,
// so the states say how they combine.
// CHECK-LABEL: func @guard_transposed
// CHECK: ein.iterate s tile 32 as s0 {{.*}} combine [max, rescaled_sum(0, -1.0), rescaled_sum(0, -1.0)] {
// CHECK: %[[GN:.*]] = ein.einsum custom(%{{.*}}[h, j]) -> [j, h]
// CHECK: %[[GO:.*]] = ein.einsum custom(%{{.*}}[h, j]) -> [j, h]
// CHECK: ein.einsum custom(%{{.*}}[h, j], %[[GO]][j, h], %[[GN]][j, h]) -> [h, j]
func.func @guard_transposed(%x: tensor<?x3x?xf32>, %v: tensor<?x3x?xf32>) -> tensor<3x?xf32> {
  %r = ein.cascade [s, h, j] -> (tensor<3x?xf32>) {
    %m = ein.einsum copy(%x[s, h, j]) -> [h, j] max[s] : (tensor<?x3x?xf32>) -> tensor<3x?xf32>
    %g = ein.einsum custom(%m[h, j]) -> [j, h] {
    ^bb0(%a: f32):
      %ninf = arith.constant 0xFF800000 : f32
      %finite = arith.cmpf one, %a, %ninf : f32
      %zero = arith.constant 0.0 : f32
      %y = arith.select %finite, %a, %zero : f32
      ein.yield %y : f32
    } : (tensor<3x?xf32>) -> tensor<?x3xf32>
    %e = ein.einsum custom(%x[s, h, j], %g[j, h]) -> [s, h, j] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<?x3x?xf32>, tensor<?x3xf32>) -> tensor<?x3x?xf32>
    %sum = ein.einsum copy(%e[s, h, j]) -> [h, j] sum[s] : (tensor<?x3x?xf32>) -> tensor<3x?xf32>
    %nv = ein.einsum mul(%e[s, h, j], %v[s, h, j]) -> [h, j] sum[s] : (tensor<?x3x?xf32>, tensor<?x3x?xf32>) -> tensor<3x?xf32>
    %o = ein.einsum div(%nv[h, j], %sum[h, j]) -> [h, j] : (tensor<3x?xf32>, tensor<3x?xf32>) -> tensor<3x?xf32>
    ein.yield %o : tensor<3x?xf32>
  }
  return %r : tensor<3x?xf32>
}

// -----

// A max with an init next to a softmax over the same rank is carried as a
// plain max state that starts from its init (over an empty c it is the
// init, as without the rewrite; it was -inf; found by the property test).
// CHECK-LABEL: func @max_state_init
// CHECK: %[[FIVE:.*]] = arith.constant 5.000000e+00 : f32
// CHECK: %[[START:.*]] = tensor.splat %[[FIVE]] : tensor<8xf32>
// CHECK: ein.iterate c tile 32 as c0 {{.*}} init(%{{.*}} : tensor<8xf32>, %{{.*}} : tensor<8xf32>, %[[START]] : tensor<8xf32>) combine [max, rescaled_sum(0, -1.0), max]
func.func @max_state_init(%x: tensor<8x?xf32>, %y: tensor<8x?xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %r:2 = ein.cascade [n, c] -> (tensor<8xf32>, tensor<8xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %q = math.exp %d : f32
      ein.yield %q : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %other = ein.einsum copy(%y[n, c]) -> [n] max[c] init(5.0 : f32) : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %s, %other : tensor<8xf32>, tensor<8xf32>
  }
  return %r#0, %r#1 : tensor<8xf32>, tensor<8xf32>
}

// -----

// Two ranks, each with its barrier, in sequence: the iteration over n takes
// %nv (streamed along n) into its body, then the one over k moves %e, which
// %nv reads, after itself; the n iteration moves with it (it failed to
// verify: operand does not dominate; found by the property test).
// CHECK-LABEL: func @two_iterations
// CHECK: ein.iterate k tile 32 as k0
// CHECK: ein.iterate n tile 32 as n0
func.func @two_iterations(%x: tensor<?xf32>, %v: tensor<?x?xf32>) -> tensor<f32> {
  %r = ein.cascade [n, k] -> (tensor<f32>) {
    %m = ein.einsum copy(%x[k]) -> [] max[k] : (tensor<?xf32>) -> tensor<f32>
    %e = ein.einsum custom(%x[k], %m[]) -> [k] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<?xf32>, tensor<f32>) -> tensor<?xf32>
    %s = ein.einsum copy(%e[k]) -> [] sum[k] : (tensor<?xf32>) -> tensor<f32>
    %nv = ein.einsum mul(%e[k], %v[k, n]) -> [n] sum[k] : (tensor<?xf32>, tensor<?x?xf32>) -> tensor<?xf32>
    %o = ein.einsum div(%nv[n], %s[]) -> [n] : (tensor<?xf32>, tensor<f32>) -> tensor<?xf32>
    %m2 = ein.einsum copy(%o[n]) -> [] max[n] : (tensor<?xf32>) -> tensor<f32>
    %e2 = ein.einsum custom(%o[n], %m2[]) -> [n] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<?xf32>, tensor<f32>) -> tensor<?xf32>
    %s2 = ein.einsum copy(%e2[n]) -> [] sum[n] : (tensor<?xf32>) -> tensor<f32>
    %lse = ein.einsum custom(%s2[], %m2[]) -> [] {
    ^bb0(%a: f32, %b: f32):
      %l = math.log %a : f32
      %y = arith.addf %l, %b : f32
      ein.yield %y : f32
    } : (tensor<f32>, tensor<f32>) -> tensor<f32>
    ein.yield %lse : tensor<f32>
  }
  return %r : tensor<f32>
}
