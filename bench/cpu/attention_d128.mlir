// CPU attention benchmark kernel: H = 8 heads (no GQA), head dim 128, f32,
// dynamic batch and sequence length, non-causal,
// default scale 1/sqrt(128). bench/cpu/run.sh compiles it with
//   einfuse-compile bench/cpu/attention_d128.mlir --target=cpu -o OUT --name=attention_d128
// and bench/cpu/attention_bench.c times it against an unfused OpenBLAS baseline.
func.func @attn_d128(%q: tensor<?x8x?x128xf32>, %k: tensor<?x8x?x128xf32>,
                 %v: tensor<?x8x?x128xf32>) -> tensor<?x8x?x128xf32> {
  %o = ein.attention %q, %k, %v
      : tensor<?x8x?x128xf32>, tensor<?x8x?x128xf32>, tensor<?x8x?x128xf32>
      -> tensor<?x8x?x128xf32>
  return %o : tensor<?x8x?x128xf32>
}
