// NOTE: The mlir blocks of docs/guide-writing-cascades.md, in order, each a
// NOTE: complete module. The first RUN lines check that they are exactly the
// NOTE: blocks below (so the guide and this test cannot drift apart) and that
// NOTE: each parses; the others parse, print, re-parse, decompose and lower.
//
// RUN: awk '/^```mlir$/ {if (n++) print "// -" "----"; f=1; next} /^```$/ {f=0} f' %einfuse_src/docs/guide-writing-cascades.md > %t.guide.mlir
// RUN: einfuse-opt --split-input-file %t.guide.mlir > /dev/null
// RUN: grep -v -E '^// ([A-Z][A-Z-]*:|-----|expected-)|^//$|^$' %t.guide.mlir > %t.guide.stripped
// RUN: grep -v -E '^// ([A-Z][A-Z-]*:|-----|expected-)|^//$|^$' %s > %t.test.stripped
// RUN: diff %t.guide.stripped %t.test.stripped
//
// RUN: einfuse-opt --split-input-file %s | FileCheck %s
// RUN: einfuse-opt --split-input-file %s | einfuse-opt --split-input-file | FileCheck %s
// RUN: einfuse-opt --split-input-file --ein-decompose %s | FileCheck %s --check-prefix=DECOMPOSE
// RUN: einfuse-opt --split-input-file --einfuse-cpu-pipeline -verify-diagnostics %s | FileCheck %s --check-prefix=CPU

// CHECK-LABEL: func.func @causal_mask
// CHECK:         ein.cascade [p, m] -> (tensor<?x?xf32>)
// CHECK:         ein.einsum custom(%{{.*}}[p, m]) -> [p, m] {
// CHECK:           ein.index "p" : index
// CHECK:           ein.index "m" : index
// CPU-LABEL:     llvm.func @_mlir_ciface_causal_mask(
// S[p, m] = QK[p, m] if m <= p (causal), -inf otherwise.
func.func @causal_mask(%qk: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [p, m] -> (tensor<?x?xf32>) {
    %s = ein.einsum custom(%qk[p, m]) -> [p, m] {
    ^bb0(%x: f32):
      %pi = ein.index "p" : index
      %mi = ein.index "m" : index
      %keep = arith.cmpi ule, %mi, %pi : index
      %ninf = arith.constant 0xFF800000 : f32
      %y = arith.select %keep, %x, %ninf : f32
      ein.yield %y : f32
    } : (tensor<?x?xf32>) -> tensor<?x?xf32>
    ein.yield %s : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @attention
// CHECK:         ein.cascade [p, m, e, f] -> (tensor<?x64xf32>)
// CHECK:         ein.einsum mul(%{{.*}}[p, e], %{{.*}}[m, e]) -> [p, m] sum[e]
// CHECK:         ein.einsum copy(%{{.*}}[p, m]) -> [p] max[m]
// CHECK:         math.exp
// CHECK:         ein.einsum copy(%{{.*}}[p, m]) -> [p] sum[m]
// CHECK:         ein.einsum div(%{{.*}}[p, m], %{{.*}}[p]) -> [p, m]
// CHECK:         ein.einsum mul(%{{.*}}[p, m], %{{.*}}[m, f]) -> [p, f] sum[m]
// CPU-LABEL:     llvm.func @_mlir_ciface_attention(
func.func @attention(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>,
                     %v: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %out = ein.cascade [p, m, e, f] -> (tensor<?x64xf32>) {
    // QK[p,m] = sum over e of Q[p,e] * K[m,e]
    %qk = ein.einsum mul(%q[p, e], %k[m, e]) -> [p, m] sum[e]
        : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x?xf32>
    // S[p,m] = QK[p,m] / sqrt(64)
    %s = ein.einsum custom(%qk[p, m]) -> [p, m] {
    ^bb0(%x: f32):
      %c = arith.constant 0.125 : f32
      %y = arith.mulf %x, %c : f32
      ein.yield %y : f32
    } : (tensor<?x?xf32>) -> tensor<?x?xf32>
    // GM[p] = max over m of S[p,m]                      (pass 1 over m)
    %gm = ein.einsum copy(%s[p, m]) -> [p] max[m]
        : (tensor<?x?xf32>) -> tensor<?xf32>
    // SN[p,m] = exp(S[p,m] - GM[p])
    %sn = ein.einsum custom(%s[p, m], %gm[p]) -> [p, m] {
    ^bb0(%x: f32, %mx: f32):
      %d = arith.subf %x, %mx : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    // SD[p] = sum over m of SN[p,m]                     (pass 2 over m)
    %sd = ein.einsum copy(%sn[p, m]) -> [p] sum[m]
        : (tensor<?x?xf32>) -> tensor<?xf32>
    // A[p,m] = SN[p,m] / SD[p]
    %a = ein.einsum div(%sn[p, m], %sd[p]) -> [p, m]
        : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    // AV[p,f] = sum over m of A[p,m] * V[m,f]           (pass 3 over m)
    %av = ein.einsum mul(%a[p, m], %v[m, f]) -> [p, f] sum[m]
        : (tensor<?x?xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    ein.yield %av : tensor<?x64xf32>
  }
  return %out : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @gqa_scores
// CHECK:         ein.einsum mul(%{{.*}}[h, p, e], %{{.*}}[h floordiv 4, m, e]) -> [h, p, m] sum[e]
// CPU-LABEL:     llvm.func @_mlir_ciface_gqa_scores(
func.func @gqa_scores(%q: tensor<8x?x64xf32>, %k: tensor<2x?x64xf32>)
    -> tensor<8x?x?xf32> {
  %r = ein.cascade [h, p, m, e] -> (tensor<8x?x?xf32>) {
    %qk = ein.einsum mul(%q[h, p, e], %k[h floordiv 4, m, e]) -> [h, p, m] sum[e]
        : (tensor<8x?x64xf32>, tensor<2x?x64xf32>) -> tensor<8x?x?xf32>
    ein.yield %qk : tensor<8x?x?xf32>
  }
  return %r : tensor<8x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @named
// CHECK:         ein.attention %{{.*}}, %{{.*}}, %{{.*}} {causal}
// DECOMPOSE-LABEL: func.func @named
// DECOMPOSE-NOT:   ein.attention
// DECOMPOSE:       ein.cascade [b, h, p, m, e, f]
// DECOMPOSE:       ein.einsum mul(%{{.*}}[b, h, p, e], %{{.*}}[b, h floordiv 4, m, e]) -> [b, h, p, m] sum[e]
// DECOMPOSE:       ein.index "m"
// DECOMPOSE:       max[m]
// DECOMPOSE:       sum[m]
// DECOMPOSE:       sum[m]
// DECOMPOSE-NOT:   ein.attention
// CPU-LABEL:     llvm.func @_mlir_ciface_named(
func.func @named(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x?x64xf32>,
                 %v: tensor<1x2x?x64xf32>) -> tensor<1x8x?x64xf32> {
  %o = ein.attention %q, %k, %v {causal}
      : tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
      -> tensor<1x8x?x64xf32>
  return %o : tensor<1x8x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm
// CHECK:         ein.cascade [n, c] -> (tensor<?x768xf32>)
// CHECK:         ein.extent "c" : index
// CHECK:         ein.einsum sub(%{{.*}}[n, c], %{{.*}}[n]) -> [n, c]
// CHECK:         ein.einsum custom(%{{.*}}[n, c]) -> [n] sum[c] init(7.680000e-03 : f32) {
// CHECK:         math.rsqrt
// CHECK:         ein.einsum custom(%{{.*}}[n, c], %{{.*}}[n], %{{.*}}[c], %{{.*}}[c]) -> [n, c] {
// CPU-LABEL:     llvm.func @_mlir_ciface_layer_norm(
func.func @layer_norm(%x: tensor<?x768xf32>, %gamma: tensor<768xf32>,
                      %beta: tensor<768xf32>) -> tensor<?x768xf32> {
  %y = ein.cascade [n, c] -> (tensor<?x768xf32>) {
    // MU[n] = (sum over c of X[n,c]) / C                (pass 1 over c)
    %sum = ein.einsum copy(%x[n, c]) -> [n] sum[c]
        : (tensor<?x768xf32>) -> tensor<?xf32>
    %mu = ein.einsum custom(%sum[n]) -> [n] {
    ^bb0(%s: f32):
      %c = ein.extent "c" : index
      %ci = arith.index_cast %c : index to i64
      %cf = arith.sitofp %ci : i64 to f32
      %m = arith.divf %s, %cf : f32
      ein.yield %m : f32
    } : (tensor<?xf32>) -> tensor<?xf32>
    // D[n,c] = X[n,c] - MU[n]
    %d = ein.einsum sub(%x[n, c], %mu[n]) -> [n, c]
        : (tensor<?x768xf32>, tensor<?xf32>) -> tensor<?x768xf32>
    // SS[n] = C * eps + sum over c of D[n,c]^2          (pass 2 over c)
    %ss = ein.einsum custom(%d[n, c]) -> [n] sum[c] init(7.680000e-03 : f32) {
    ^bb0(%e: f32):
      %sq = arith.mulf %e, %e : f32
      ein.yield %sq : f32
    } : (tensor<?x768xf32>) -> tensor<?xf32>
    // R[n] = 1 / sqrt(SS[n] / C)
    %r = ein.einsum custom(%ss[n]) -> [n] {
    ^bb0(%s: f32):
      %c = ein.extent "c" : index
      %ci = arith.index_cast %c : index to i64
      %cf = arith.sitofp %ci : i64 to f32
      %var = arith.divf %s, %cf : f32
      %inv = math.rsqrt %var : f32
      ein.yield %inv : f32
    } : (tensor<?xf32>) -> tensor<?xf32>
    // Y[n,c] = D[n,c] * R[n] * GAMMA[c] + BETA[c]       (pass 3 over c)
    %out = ein.einsum custom(%d[n, c], %r[n], %gamma[c], %beta[c]) -> [n, c] {
    ^bb0(%e: f32, %inv: f32, %g: f32, %b: f32):
      %t = arith.mulf %e, %inv : f32
      %u = arith.mulf %t, %g : f32
      %o = arith.addf %u, %b : f32
      ein.yield %o : f32
    } : (tensor<?x768xf32>, tensor<?xf32>, tensor<768xf32>, tensor<768xf32>)
      -> tensor<?x768xf32>
    ein.yield %out : tensor<?x768xf32>
  }
  return %y : tensor<?x768xf32>
}

// -----

// CHECK-LABEL: func.func @two_level_sum
// CHECK:         ein.cascade [n, m1, m0 = 64] -> (tensor<?xf32>)
// CHECK:         ein.einsum copy(%{{.*}}[n, m1 * 64 + m0]) -> [n, m1] sum[m0]
// CPU-LABEL:     llvm.func @_mlir_ciface_two_level_sum(
func.func @two_level_sum(%x: tensor<?x256xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, m1, m0 = 64] -> (tensor<?xf32>) {
    %t = ein.einsum copy(%x[n, m1 * 64 + m0]) -> [n, m1] sum[m0]
        : (tensor<?x256xf32>) -> tensor<?x4xf32>
    %s = ein.einsum copy(%t[n, m1]) -> [n] sum[m1]
        : (tensor<?x4xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}
