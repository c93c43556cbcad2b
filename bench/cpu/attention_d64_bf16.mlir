// CPU attention benchmark kernel: bf16 inputs and output (computed in f32),
// H = 8 heads, head dim 64, dynamic batch and sequence length, non-causal,
// default scale 1/sqrt(64). bench/cpu/run.sh compiles it with
//   einfuse-compile bench/cpu/attention_d64_bf16.mlir --target=cpu -o OUT --name=attention_d64_bf16
// and bench/cpu/attention_bench.c times it against the OpenBLAS baseline on
// the same inputs converted to f32.
func.func @attn_d64_bf16(%q: tensor<?x8x?x64xbf16>, %k: tensor<?x8x?x64xbf16>,
                 %v: tensor<?x8x?x64xbf16>) -> tensor<?x8x?x64xbf16> {
  %o = ein.attention %q, %k, %v
      : tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>
      -> tensor<?x8x?x64xbf16>
  return %o : tensor<?x8x?x64xbf16>
}
