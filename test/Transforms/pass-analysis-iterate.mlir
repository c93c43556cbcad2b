// RUN: einfuse-opt %s --ein-online-normalize --ein-pass-analysis --split-input-file 2>&1 | FileCheck %s

// After the online rewrite of attention over m, the running output O[p, f]
// keeps f without iterating it: a projection over f reads it as it streams,
// 1 pass over f (it was reported as 2). The running max and sum do not
// involve f at all.
// CHECK: remark: 1 pass over rank 'm'
// CHECK: remark: 1 pass over rank 'f'
func.func @attention_proj(%qk: tensor<4x?xf32>, %v: tensor<?x16xf32>, %w: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %o = ein.cascade [p, m, f, j] -> (tensor<4x8xf32>) {
    %gm = ein.einsum copy(%qk[p, m]) -> [p] max[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %sn = ein.einsum custom(%qk[p, m], %gm[p]) -> [p, m] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %e = math.exp %d : f32
      ein.yield %e : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %sd = ein.einsum copy(%sn[p, m]) -> [p] sum[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %nv = ein.einsum mul(%sn[p, m], %v[m, f]) -> [p, f] sum[m] : (tensor<4x?xf32>, tensor<?x16xf32>) -> tensor<4x16xf32>
    %a = ein.einsum div(%nv[p, f], %sd[p]) -> [p, f] : (tensor<4x16xf32>, tensor<4xf32>) -> tensor<4x16xf32>
    %y = ein.einsum mul(%a[p, f], %w[f, j]) -> [p, j] sum[f] : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %o : tensor<4x8xf32>
}

// -----

// A norm over f of the same output needs its sum over f before dividing:
// still 2 passes over f.
// CHECK: remark: 1 pass over rank 'm'
// CHECK: remark: 2 passes over rank 'f'
func.func @attention_rms(%qk: tensor<4x?xf32>, %v: tensor<?x16xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %o = ein.cascade [p, m, f, j] -> (tensor<4x16xf32>) {
    %gm = ein.einsum copy(%qk[p, m]) -> [p] max[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %sn = ein.einsum custom(%qk[p, m], %gm[p]) -> [p, m] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %e = math.exp %d : f32
      ein.yield %e : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %sd = ein.einsum copy(%sn[p, m]) -> [p] sum[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %nv = ein.einsum mul(%sn[p, m], %v[m, f]) -> [p, f] sum[m] : (tensor<4x?xf32>, tensor<?x16xf32>) -> tensor<4x16xf32>
    %a = ein.einsum div(%nv[p, f], %sd[p]) -> [p, f] : (tensor<4x16xf32>, tensor<4xf32>) -> tensor<4x16xf32>
    %q = ein.einsum mul(%a[p, f], %a[p, f]) -> [p] sum[f] : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4xf32>
    %y = ein.einsum div(%a[p, f], %q[p]) -> [p, f] : (tensor<4x16xf32>, tensor<4xf32>) -> tensor<4x16xf32>
    ein.yield %y : tensor<4x16xf32>
  }
  return %o : tensor<4x16xf32>
}
