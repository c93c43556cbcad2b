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

// -----

// Attention, an output projection over f, and an RMS norm over the
// projection's rank j feeding the next projection (a transformer block):
// after --ein-deferred-normalize (the norm's 1/rms moves past the sum over
// j) and --ein-online-normalize (attention over m), every reduced rank
// takes 1 pass: m, e (the scores, computed here from q and k), f and j.
// RUN: einfuse-opt %s --split-input-file --ein-deferred-normalize --ein-online-normalize --ein-pass-analysis -o /dev/null 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK-DAG: pass-analysis-iterate.mlir:[[@LINE+5]]:8: remark: 1 pass over rank 'm'
// BLOCK-DAG: pass-analysis-iterate.mlir:[[@LINE+4]]:8: remark: 1 pass over rank 'e'
// BLOCK-DAG: pass-analysis-iterate.mlir:[[@LINE+3]]:8: remark: 1 pass over rank 'f'
// BLOCK-DAG: pass-analysis-iterate.mlir:[[@LINE+2]]:8: remark: 1 pass over rank 'j'
func.func @attention_proj_rms_proj(%q: tensor<4x32xf32>, %k: tensor<?x32xf32>, %v: tensor<?x16xf32>, %wo: tensor<16x24xf32>, %w2: tensor<24x8xf32>) -> tensor<4x8xf32> {
  %o = ein.cascade [p, m, e, f, j, h] -> (tensor<4x8xf32>) {
    %s = ein.einsum mul(%q[p, e], %k[m, e]) -> [p, m] sum[e] : (tensor<4x32xf32>, tensor<?x32xf32>) -> tensor<4x?xf32>
    %gm = ein.einsum copy(%s[p, m]) -> [p] max[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %sn = ein.einsum custom(%s[p, m], %gm[p]) -> [p, m] {
    ^bb0(%t: f32, %u: f32):
      %d = arith.subf %t, %u : f32
      %x = math.exp %d : f32
      ein.yield %x : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %sd = ein.einsum copy(%sn[p, m]) -> [p] sum[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %pr = ein.einsum div(%sn[p, m], %sd[p]) -> [p, m] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %a = ein.einsum mul(%pr[p, m], %v[m, f]) -> [p, f] sum[m] : (tensor<4x?xf32>, tensor<?x16xf32>) -> tensor<4x16xf32>
    %y = ein.einsum mul(%a[p, f], %wo[f, j]) -> [p, j] sum[f] : (tensor<4x16xf32>, tensor<16x24xf32>) -> tensor<4x24xf32>
    %ss = ein.einsum mul(%y[p, j], %y[p, j]) -> [p] sum[j] : (tensor<4x24xf32>, tensor<4x24xf32>) -> tensor<4xf32>
    %rs = ein.einsum custom(%ss[p]) -> [p] {
    ^bb0(%t: f32):
      %n = arith.constant 24.0 : f32
      %eps = arith.constant 1.0e-6 : f32
      %m = arith.divf %t, %n : f32
      %me = arith.addf %m, %eps : f32
      %r = math.sqrt %me : f32
      ein.yield %r : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    %yn = ein.einsum div(%y[p, j], %rs[p]) -> [p, j] : (tensor<4x24xf32>, tensor<4xf32>) -> tensor<4x24xf32>
    %z = ein.einsum mul(%yn[p, j], %w2[j, h]) -> [p, h] sum[j] : (tensor<4x24xf32>, tensor<24x8xf32>) -> tensor<4x8xf32>
    ein.yield %z : tensor<4x8xf32>
  }
  return %o : tensor<4x8xf32>
}
