// RUN: einfuse-opt %s --ein-deferred-normalize --split-input-file | FileCheck %s
// RUN: einfuse-opt %s --ein-deferred-normalize --ein-pass-analysis --split-input-file 2>&1 | FileCheck %s --check-prefix=PASSES

// Attention: AV = sum_m (SN / SD) * V becomes (sum_m SN * V) / SD, 3 -> 2
// passes over m.
// CHECK-LABEL: func @attention
// CHECK: %[[SN:.*]] = ein.einsum custom
// CHECK: %[[SD:.*]] = ein.einsum copy(%[[SN]][p, m]) -> [p] sum[m]
// CHECK-NOT: ein.einsum div(%[[SN]]
// CHECK: %[[NV:.*]] = ein.einsum mul(%[[SN]][p, m], %{{.*}}[m, f]) -> [p, f] sum[m]
// 0 / D is 0, so that an empty m keeps its result (0), not NaN.
// CHECK: %[[O:.*]] = ein.einsum custom(%[[NV]][p, f], %[[SD]][p]) -> [p, f] {
// CHECK-NEXT: ^bb0(%[[N:.*]]: f32, %[[D:.*]]: f32):
// CHECK: %[[E:.*]] = arith.cmpf oeq, %[[N]], %{{.*}} : f32
// CHECK: %[[Q:.*]] = arith.divf %[[N]], %[[D]] : f32
// CHECK: %[[R:.*]] = arith.select %[[E]], %[[N]], %[[Q]] : f32
// CHECK: ein.yield %[[R]]
// CHECK: ein.yield %[[O]]
// PASSES: remark: 2 passes over rank 'm'
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
    %a = ein.einsum div(%sn[p, m], %sd[p]) -> [p, m] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %av = ein.einsum mul(%a[p, m], %v[m, f]) -> [p, f] sum[m] : (tensor<4x?xf32>, tensor<?x16xf32>) -> tensor<4x16xf32>
    ein.yield %av : tensor<4x16xf32>
  }
  return %o : tensor<4x16xf32>
}

// -----

// RMS norm feeding a matmul: the row scale r enters y = x * r * g through a
// mulf, so it moves past the contraction: 2 -> 1 pass over c.
// CHECK-LABEL: func @rms_norm_matmul
// CHECK: %[[R:.*]] = ein.einsum rsqrt
// CHECK: %[[Y:.*]] = ein.einsum custom(%{{.*}}[n, c], %{{.*}}[c]) -> [n, c] {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[G:.*]]: f32):
// CHECK-NEXT: %[[U:.*]] = arith.mulf %[[X]], %[[G]] : f32
// CHECK-NEXT: ein.yield %[[U]] : f32
// CHECK: %[[P:.*]] = ein.einsum mul(%[[Y]][n, c], %{{.*}}[c, j]) -> [n, j] sum[c]
// The product keeps O' where O' is 0 (an empty c with a reciprocal factor
// 1 / 0 stays 0, not 0 * inf = NaN; found by the property test).
// CHECK: %[[O:.*]] = ein.einsum custom(%[[P]][n, j], %[[R]][n]) -> [n, j]
// CHECK: arith.cmpf oeq
// CHECK: arith.mulf
// CHECK: arith.select
// CHECK: ein.yield %[[O]]
// PASSES: remark: 1 pass over rank 'c'
func.func @rms_norm_matmul(%x: tensor<8x?xf32>, %g: tensor<?xf32>, %w: tensor<?x16xf32>) -> tensor<8x16xf32> {
  %o = ein.cascade [n, c, j] -> (tensor<8x16xf32>) {
    %ss = ein.einsum mul(%x[n, c], %x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>, tensor<8x?xf32>) -> tensor<8xf32>
    %r = ein.einsum rsqrt(%ss[n]) -> [n] : (tensor<8xf32>) -> tensor<8xf32>
    %y = ein.einsum custom(%x[n, c], %r[n], %g[c]) -> [n, c] {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %t = arith.mulf %a, %b : f32
      %u = arith.mulf %t, %c : f32
      ein.yield %u : f32
    } : (tensor<8x?xf32>, tensor<8xf32>, tensor<?xf32>) -> tensor<8x?xf32>
    %o = ein.einsum mul(%y[n, c], %w[c, j]) -> [n, j] sum[c] : (tensor<8x?xf32>, tensor<?x16xf32>) -> tensor<8x16xf32>
    ein.yield %o : tensor<8x16xf32>
  }
  return %o : tensor<8x16xf32>
}

// -----

// Softmax has no reduction after its division: nothing to defer.
// CHECK-LABEL: func @softmax
// CHECK: %[[Y:.*]] = ein.einsum div
// CHECK-NEXT: ein.yield %[[Y]]
// PASSES: remark: 3 passes over rank 'c'
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

// The divisor varies along the reduced rank: it cannot move out of the sum.
// CHECK-LABEL: func @varying_divisor
// CHECK: %[[A:.*]] = ein.einsum div
// CHECK: ein.einsum mul(%[[A]][p, m], %{{.*}}[m, f]) -> [p, f] sum[m]
func.func @varying_divisor(%x: tensor<4x8xf32>, %d: tensor<8xf32>, %v: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %o = ein.cascade [p, m, f] -> (tensor<4x2xf32>) {
    %a = ein.einsum div(%x[p, m], %d[m]) -> [p, m] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %av = ein.einsum mul(%a[p, m], %v[m, f]) -> [p, f] sum[m] : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
    ein.yield %av : tensor<4x2xf32>
  }
  return %o : tensor<4x2xf32>
}

// -----

// A non-multiplicative consumer (a max) is left alone, and so is a factor
// behind a select.
// CHECK-LABEL: func @not_linear
// CHECK: %[[A:.*]] = ein.einsum div
// CHECK: ein.einsum copy(%[[A]][p, m]) -> [p] max[m]
// CHECK: %[[B:.*]] = ein.einsum custom
// CHECK: arith.select
// CHECK: ein.einsum mul(%[[B]][p, m], %{{.*}}) -> [p] sum[m]
func.func @not_linear(%x: tensor<4x8xf32>, %d: tensor<4xf32>, %c: tensor<4x8xi1>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = ein.cascade [p, m] -> (tensor<4xf32>, tensor<4xf32>) {
    %a = ein.einsum div(%x[p, m], %d[p]) -> [p, m] : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
    %mx = ein.einsum copy(%a[p, m]) -> [p] max[m] : (tensor<4x8xf32>) -> tensor<4xf32>
    %b = ein.einsum custom(%x[p, m], %d[p], %c[p, m]) -> [p, m] {
    ^bb0(%u: f32, %w: f32, %k: i1):
      %q = arith.divf %u, %w : f32
      %z = arith.constant 0.0 : f32
      %s = arith.select %k, %q, %z : f32
      ein.yield %s : f32
    } : (tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xi1>) -> tensor<4x8xf32>
    %t = ein.einsum mul(%b[p, m], %x[p, m]) -> [p] sum[m] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4xf32>
    ein.yield %mx, %t : tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// The deferred reduction's own init is not scaled by the factor: it joins
// after the division (was: init / D).
// CHECK-LABEL: func @deferred_init
// CHECK: %[[C:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[T:.*]] = ein.einsum mul(%{{.*}}[p, m], %{{.*}}[m, f]) -> [p, f] sum[m] :
// CHECK: ein.einsum custom(%[[T]][p, f], %{{.*}}[p]) -> [p, f] {
// CHECK: arith.divf
// CHECK: arith.select
// CHECK: arith.addf %{{.*}}, %[[C]] : f32
func.func @deferred_init(%s: tensor<4x?xf32>, %v: tensor<?x16xf32>) -> tensor<4x16xf32> {
  %r = ein.cascade [p, m, f] -> (tensor<4x16xf32>) {
    %d = ein.einsum copy(%s[p, m]) -> [p] sum[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %a = ein.einsum div(%s[p, m], %d[p]) -> [p, m] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %o = ein.einsum mul(%a[p, m], %v[m, f]) -> [p, f] sum[m] init(0.5 : f32) : (tensor<4x?xf32>, tensor<?x16xf32>) -> tensor<4x16xf32>
    ein.yield %o : tensor<4x16xf32>
  }
  return %r : tensor<4x16xf32>
}

// -----

// The divide guard written inline (D == 0 ? 0 : X / D): the same deferral,
// and the normalisation keeps the guard (every term was 0 where D is 0).
// CHECK-LABEL: func @inline_guard
// CHECK: %[[O:.*]] = ein.einsum mul(%{{.*}}[n, c], %arg1[n, c]) -> [n] sum[c]
// CHECK: ein.einsum custom(%[[O]][n], %{{.*}}[n]) -> [n]
// CHECK: %[[Z:.*]] = arith.cmpf oeq, %{{.*}}, %{{.*}} : f32
// CHECK: arith.divf
// CHECK: arith.select %[[Z]]
func.func @inline_guard(%x: tensor<4x?xf32>, %v: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %e = ein.einsum exp(%x[n, c]) -> [n, c] : (tensor<4x?xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %p = ein.einsum custom(%e[n, c], %s[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %zero = arith.constant 0.0 : f32
      %z = arith.cmpf oeq, %b, %zero : f32
      %q = arith.divf %a, %b : f32
      %g = arith.select %z, %zero, %q : f32
      ein.yield %g : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %t = ein.einsum mul(%p[n, c], %v[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %t : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
