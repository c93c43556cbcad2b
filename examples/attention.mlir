// The bundled example: causal grouped-query attention, f32, with dynamic
// batch and sequence length. 8 query heads share 2 key/value heads; head
// dim 64. `scripts/bootstrap.sh` compiles it with
//   einfuse-compile examples/attention.mlir --target=cpu -o build/example
// and runs examples/attention_main.c against it.
func.func @attention(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>,
                     %v: tensor<?x2x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %o = ein.attention %q, %k, %v {causal}
      : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>
      -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
