// RUN: einfuse-opt %s --einfuse-cpu-pipeline -o /dev/null
// RUN: einfuse-opt %s --einfuse-cpu-pipeline="workers=2 tile-size=1" -o /dev/null

// The online iteration tiles a tensor with a static extent 0 (the head dim
// of k): the tile's slice keeps offset 0 in that dim as a value, since the
// upstream verifier rejects a static offset 0 in a dim of size 0 (it failed
// to compile: "offset 1 is out-of-bounds"; found by the property test).
func.func @attn(%q: tensor<4x0xf32>, %k: tensor<?x0xf32>, %v: tensor<?x5xf32>) -> tensor<4x5xf32> {
  %r = ein.cascade [p, m, e, f] -> (tensor<4x5xf32>) {
    %s = ein.einsum mul(%q[p, e], %k[m, e]) -> [p, m] sum[e] : (tensor<4x0xf32>, tensor<?x0xf32>) -> tensor<4x?xf32>
    %g = ein.einsum copy(%s[p, m]) -> [p] max[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %x = ein.einsum custom(%s[p, m], %g[p]) -> [p, m] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %sum = ein.einsum copy(%x[p, m]) -> [p] sum[m] : (tensor<4x?xf32>) -> tensor<4xf32>
    %nv = ein.einsum mul(%x[p, m], %v[m, f]) -> [p, f] sum[m] : (tensor<4x?xf32>, tensor<?x5xf32>) -> tensor<4x5xf32>
    %o = ein.einsum div(%nv[p, f], %sum[p]) -> [p, f] : (tensor<4x5xf32>, tensor<4xf32>) -> tensor<4x5xf32>
    ein.yield %o : tensor<4x5xf32>
  }
  return %r : tensor<4x5xf32>
}
