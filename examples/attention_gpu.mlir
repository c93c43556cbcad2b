// A GPU example: causal grouped-query attention in bf16, 8 query heads over
// 2 key/value heads, head dim 128, dynamic batch and sequence lengths.
//   einfuse-compile examples/attention_gpu.mlir --target=nvidia:sm_90a -o out
// writes out/attention_gpu.{cubin,ptx,h,c}; examples/attention_cuda.c calls it.
func.func @attention_gpu(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>,
                         %v: tensor<?x2x?x128xbf16>) -> tensor<?x8x?x128xbf16> {
  %o = ein.attention %q, %k, %v {causal}
      : tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16>
      -> tensor<?x8x?x128xbf16>
  return %o : tensor<?x8x?x128xbf16>
}
