// CPU attention benchmark kernel: bf16 inputs and output (computed in f32),
// H = 8 heads, head dim 128, dynamic batch and sequence length, non-causal,
// default scale 1/sqrt(128). bench/cpu/run.sh compiles it with
//   einfuse-compile bench/cpu/attention_d128_bf16.mlir --target=cpu -o OUT --name=attention_d128_bf16
// and bench/cpu/attention_bench.c times it against the OpenBLAS baseline on
// the same inputs converted to f32.
func.func @attn_d128_bf16(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x8x?x128xbf16>,
                 %v: tensor<?x8x?x128xbf16>) -> tensor<?x8x?x128xbf16> {
  %o = ein.attention %q, %k, %v
      : tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x8x?x128xbf16>
  return %o : tensor<?x8x?x128xbf16>
}
