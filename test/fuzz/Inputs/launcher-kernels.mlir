// Kernels whose launchers test/fuzz/launcher-fuzz.c calls with random sizes.
func.func @attn(%q: tensor<?x2x?x8xf32>, %k: tensor<?x1x?x8xf32>, %v: tensor<?x1x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %o = ein.attention %q, %k, %v {causal} : tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

func.func @rows(%x: tensor<?x?xf32>, %w: tensor<?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?xf32>) {
    %s = ein.einsum mul(%x[n, c], %w[c]) -> [n] sum[c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}
