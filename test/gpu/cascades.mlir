// Kernels that only the shared GPU lowering compiles (the hand-written
// attention kernels do not take them): hand-written cascades, attention
// variants and quantized matmuls. Compiled for every GPU chip by
// test/Target/GPU/cascades.test; run on the H200 by
// python/tests/test_gpu_cascades.py (its own copies, with references).

// Softmax over the last dim, bf16 in and out, f32 inside.
func.func @softmax_bf16(%x: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %r = ein.cascade [n, c] -> (tensor<?x?xbf16>) {
    %xf = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<?x?xbf16>) -> tensor<?x?xf32>
    %m = ein.einsum copy(%xf[n, c]) -> [n] max[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%xf[n, c], %m[n]) -> [n, c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %e = ein.einsum exp(%d[n, c]) -> [n, c] : (tensor<?x?xf32>) -> tensor<?x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %o = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %ob = ein.einsum cast(%o[n, c]) -> [n, c] : (tensor<?x?xf32>) -> tensor<?x?xbf16>
    ein.yield %ob : tensor<?x?xbf16>
  }
  return %r : tensor<?x?xbf16>
}

// RMS norm with a weight: y = x * rsqrt(mean(x^2) + eps) * w.
func.func @rms_norm(%x: tensor<?x?xf32>, %w: tensor<?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [n, d] -> (tensor<?x?xf32>) {
    %sq = ein.einsum mul(%x[n, d], %x[n, d]) -> [n, d] : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
    %ss = ein.einsum copy(%sq[n, d]) -> [n] sum[d] : (tensor<?x?xf32>) -> tensor<?xf32>
    %inv = ein.einsum custom(%ss[n]) -> [n] {
    ^bb0(%a: f32):
      %nd = ein.extent "d" : index
      %ni = arith.index_cast %nd : index to i64
      %nf = arith.sitofp %ni : i64 to f32
      %mean = arith.divf %a, %nf : f32
      %eps = arith.constant 1.0e-6 : f32
      %t = arith.addf %mean, %eps : f32
      %y = math.rsqrt %t : f32
      ein.yield %y : f32
    } : (tensor<?xf32>) -> tensor<?xf32>
    %y = ein.einsum custom(%x[n, d], %inv[n], %w[d]) -> [n, d] {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %t = arith.mulf %a, %b : f32
      %u = arith.mulf %t, %c : f32
      ein.yield %u : f32
    } : (tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %y : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// Sigmoid attention: no barrier at all.
func.func @sigmoid_attention(%q: tensor<?x?x64xf16>, %k: tensor<?x?x64xf16>, %v: tensor<?x?x64xf16>) -> tensor<?x?x64xf32> {
  %r = ein.cascade [b, p, m, e, f] -> (tensor<?x?x64xf32>) {
    %s = ein.einsum custom(%q[b, p, e], %k[b, m, e]) -> [b, p, m] sum[e] {
    ^bb0(%a: f16, %c: f16):
      %x = arith.extf %a : f16 to f32
      %y = arith.extf %c : f16 to f32
      %z = arith.mulf %x, %y : f32
      ein.yield %z : f32
    } : (tensor<?x?x64xf16>, tensor<?x?x64xf16>) -> tensor<?x?x?xf32>
    %g = ein.einsum custom(%s[b, p, m]) -> [b, p, m] {
    ^bb0(%a: f32):
      %c = arith.constant 0.125 : f32
      %t = arith.mulf %a, %c : f32
      %n = arith.negf %t : f32
      %e = math.exp %n : f32
      %one = arith.constant 1.0 : f32
      %d = arith.addf %one, %e : f32
      %y = arith.divf %one, %d : f32
      ein.yield %y : f32
    } : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
    %o = ein.einsum custom(%g[b, p, m], %v[b, m, f]) -> [b, p, f] sum[m] {
    ^bb0(%a: f32, %c: f16):
      %y = arith.extf %c : f16 to f32
      %z = arith.mulf %a, %y : f32
      ein.yield %z : f32
    } : (tensor<?x?x?xf32>, tensor<?x?x64xf16>) -> tensor<?x?x64xf32>
    ein.yield %o : tensor<?x?x64xf32>
  }
  return %r : tensor<?x?x64xf32>
}

// Attention with an additive bias per (batch, head, query, key), softcap
// and a value head dim other than the query's.
func.func @attention_bias_softcap(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x128xbf16>, %bias: tensor<?x4x?x?xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = ein.attention %q, %k, %v mask(%bias : tensor<?x4x?x?xbf16>) {softcap = 50.0 : f64}
      : tensor<?x4x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// Attention with an i1 mask over (query, key), f16, head dim 256.
func.func @attention_mask_d256(%q: tensor<?x2x?x256xf16>, %k: tensor<?x2x?x256xf16>, %v: tensor<?x2x?x256xf16>, %m: tensor<?x?xi1>) -> tensor<?x2x?x256xf16> {
  %o = ein.attention %q, %k, %v mask(%m : tensor<?x?xi1>)
      : tensor<?x2x?x256xf16>, tensor<?x2x?x256xf16>, tensor<?x2x?x256xf16> -> tensor<?x2x?x256xf16>
  return %o : tensor<?x2x?x256xf16>
}

// W4A16 with zero points, and W8A8.
func.func @qmatmul_int4(%x: tensor<?x256xbf16>, %w: tensor<64x128xi8>,
                        %s: tensor<64x2xbf16>, %z: tensor<64x2xbf16>) -> tensor<?x64xbf16> {
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z)
      format(#ein.qformat<kind = int4, group_size = 128, zero_point = true>)
      : tensor<?x256xbf16>, tensor<64x128xi8>, tensor<64x2xbf16>, tensor<64x2xbf16> -> tensor<?x64xbf16>
  return %o : tensor<?x64xbf16>
}

func.func @qmatmul_int8(%x: tensor<?x128xi8>, %w: tensor<32x128xi8>, %s: tensor<32x1xf32>) -> tensor<?x32xf32> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 128>)
      : tensor<?x128xi8>, tensor<32x128xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}

// f16 tanh (computed in f32 through the polynomial; no back end has a
// tanh instruction or libcall) and integer abs (no NVVM lowering of
// math.absi).
func.func @tanh_f16(%x: tensor<?x8xf16>) -> tensor<?x8xf16> {
  %r = ein.cascade [n, c] -> (tensor<?x8xf16>) {
    %y = ein.einsum tanh(%x[n, c]) -> [n, c] : (tensor<?x8xf16>) -> tensor<?x8xf16>
    ein.yield %y : tensor<?x8xf16>
  }
  return %r : tensor<?x8xf16>
}

func.func @abs_i64(%x: tensor<?x8xi64>) -> tensor<?x8xi64> {
  %r = ein.cascade [n, c] -> (tensor<?x8xi64>) {
    %y = ein.einsum abs(%x[n, c]) -> [n, c] : (tensor<?x8xi64>) -> tensor<?x8xi64>
    ein.yield %y : tensor<?x8xi64>
  }
  return %r : tensor<?x8xi64>
}
