// Attention variants that only nvidia:sm_90a builds (head dim 256 needs
// wgmma); test/gpu/attention_test.py's VARIANTS table mirrors them.
func.func @bf16_d256_gqa_causal(%q: tensor<?x4x?x256xbf16>, %k: tensor<?x2x?x256xbf16>, %v: tensor<?x2x?x256xbf16>) -> tensor<?x4x?x256xbf16> {
  %o = ein.attention %q, %k, %v {causal} : tensor<?x4x?x256xbf16>, tensor<?x2x?x256xbf16>, tensor<?x2x?x256xbf16> -> tensor<?x4x?x256xbf16>
  return %o : tensor<?x4x?x256xbf16>
}
func.func @f16_d256_window(%q: tensor<?x2x?x256xf16>, %k: tensor<?x2x?x256xf16>, %v: tensor<?x2x?x256xf16>) -> tensor<?x2x?x256xf16> {
  %o = ein.attention %q, %k, %v {window = array<i64: 40, 8>, align = #ein.align<bottom_right>} : tensor<?x2x?x256xf16>, tensor<?x2x?x256xf16>, tensor<?x2x?x256xf16> -> tensor<?x2x?x256xf16>
  return %o : tensor<?x2x?x256xf16>
}
func.func @bf16_d256_decode(%q: tensor<?x8x?x256xbf16>, %k: tensor<?x2x?x256xbf16>, %v: tensor<?x2x?x256xbf16>) -> tensor<?x8x?x256xbf16> {
  %o = ein.attention %q, %k, %v : tensor<?x8x?x256xbf16>, tensor<?x2x?x256xbf16>, tensor<?x2x?x256xbf16> -> tensor<?x8x?x256xbf16>
  return %o : tensor<?x8x?x256xbf16>
}
