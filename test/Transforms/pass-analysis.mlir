// RUN: einfuse-opt %s --ein-pass-analysis --split-input-file --verify-diagnostics
// RUN: einfuse-opt %s --ein-decompose --ein-pass-analysis --split-input-file 2>&1 | FileCheck %s --check-prefix=DECOMPOSED
// RUN: einfuse-opt %s --ein-decompose --ein-deferred-normalize --ein-pass-analysis --split-input-file 2>&1 | FileCheck %s --check-prefix=DEFERRED
// RUN: einfuse-opt %s --ein-pass-analysis="tile-sizes=T_n=8,T_c=64,M_c=4096" --split-input-file 2>&1 | FileCheck %s --check-prefix=SIZES

// Attention decomposes to the 3-pass cascade over m; deferring the
// normalisation gives 2 passes.
// DECOMPOSED: remark: 3 passes over rank 'm'; footprint 2*M_m*T_b*T_h*T_p
// DEFERRED: remark: 2 passes over rank 'm'; footprint M_m*T_b*T_h*T_p
func.func @attention(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Softmax: max, then exp(x - max) and its sum, then the division: 3 passes
// over c. exp(x - max) is streamed in pass 1 and read again in pass 2, so
// it is held whole (M_c); the input x is re-read instead.
// SIZES: remark: 3 passes over rank 'c'; footprint M_c*T_n + T_c*T_n + 2*T_n = 33296 elements
func.func @softmax(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  // expected-remark @below {{3 passes over rank 'c'; footprint M_c*T_n + T_c*T_n + 2*T_n}}
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

// Log-sum-exp and cross-entropy: lse = log(sum exp(x - max)) + max, and
// loss = lse - x[label]: 2 passes over the classes c.
func.func @cross_entropy(%x: tensor<8x?xf32>, %onehot: tensor<8x?xf32>) -> tensor<8xf32> {
  // expected-remark @below {{2 passes over rank 'c'; footprint T_c*T_n + 5*T_n}}
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

// Layer norm: the mean, then the variance of x - mean, then the
// normalisation: 3 passes over c.
func.func @layer_norm(%x: tensor<8x?xf32>, %g: tensor<?xf32>) -> tensor<8x?xf32> {
  // expected-remark @below {{3 passes over rank 'c'; footprint M_c*T_n + T_c*T_n + 3*T_n}}
  %y = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    %sum = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %d = ein.einsum sub(%x[n, c], %sum[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
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

// RMS norm feeding a matmul: sum of squares, then scale and contract: 2
// passes over c (1 pass over j, which nothing reduces, is not reported).
func.func @rms_norm_matmul(%x: tensor<8x?xf32>, %g: tensor<?xf32>, %w: tensor<?x16xf32>) -> tensor<8x16xf32> {
  // expected-remark @below {{2 passes over rank 'c'; footprint T_c*T_n + T_j*T_n + 2*T_n}}
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

// Without a reduction there is one pass.
func.func @elementwise(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-remark @below {{no reduction: 1 pass}}
  %y = ein.cascade [n] -> (tensor<8xf32>) {
    %e = ein.einsum exp(%x[n]) -> [n] : (tensor<8xf32>) -> tensor<8xf32>
    ein.yield %e : tensor<8xf32>
  }
  return %y : tensor<8xf32>
}
