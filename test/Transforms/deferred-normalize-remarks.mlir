// RUN: einfuse-opt %s --ein-deferred-normalize=remarks=true --split-input-file --verify-diagnostics | FileCheck %s

// Layer norm with a beta feeding a matmul: the factor rstd enters an add
// (the beta), so (x - mu) * rstd * g + b is not proportional to rstd and the
// normalisation stays before the sum over c; asked, the pass says so.
// CHECK-LABEL: func @layer_norm_beta_matmul
// CHECK: ein.einsum mul(%{{.*}}[n, c], %arg3[c, h]) -> [n, h] sum[c]
func.func @layer_norm_beta_matmul(%x: tensor<4x?xf32>, %g: tensor<?xf32>, %b: tensor<?xf32>, %w: tensor<?x8xf32>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c, h] -> (tensor<4x8xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    %d = ein.einsum sub(%x[n, c], %mu[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %ss = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    %rs = ein.einsum rsqrt(%ss[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    // expected-remark @below {{the factor enters the normalising map other than through one divf or mulf that scales its value (an added term such as a beta, or a non-linear function of it)}}
    %y = ein.einsum custom(%d[n, c], %rs[n], %g[c], %b[c]) -> [n, c] {
    ^bb0(%a: f32, %k: f32, %gg: f32, %bb: f32):
      %t = arith.mulf %a, %k : f32
      %u = arith.mulf %t, %gg : f32
      %o = arith.addf %u, %bb : f32
      ein.yield %o : f32
    } : (tensor<4x?xf32>, tensor<4xf32>, tensor<?xf32>, tensor<?xf32>) -> tensor<4x?xf32>
    %z = ein.einsum mul(%y[n, c], %w[c, h]) -> [n, h] sum[c] : (tensor<4x?xf32>, tensor<?x8xf32>) -> tensor<4x8xf32>
    ein.yield %z : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// -----

// The factor squared (a non-linear use) cannot move past the sum either.
func.func @squared_factor(%x: tensor<4x?xf32>, %v: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    // expected-remark @below {{the factor enters the normalising map other than through one divf or mulf that scales its value}}
    %p = ein.einsum custom(%x[n, c], %s[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %b2 = arith.mulf %b, %b : f32
      %q = arith.divf %a, %b2 : f32
      ein.yield %q : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %t = ein.einsum mul(%p[n, c], %v[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %t : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A sum that is not proportional to the normalised value (exp of it).
func.func @not_proportional(%x: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    // expected-remark @below {{the sum is not proportional to the normalised value}}
    %p = ein.einsum div(%x[n, c], %s[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %t = ein.einsum exp(%p[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %t : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
