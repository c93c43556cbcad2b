// RUN: einfuse-opt %s --einfuse-cpu-pipeline | FileCheck %s

// bf16 attention with GQA, a window and softcap reaches the LLVM dialect;
// exp and tanh become LLVM intrinsics.
// CHECK-NOT: ein.
// CHECK: llvm.func @attention_bf16(
// CHECK: llvm.func @_mlir_ciface_attention_bf16(
// CHECK: llvm.func @attention_bf16__tensor_body(
// CHECK: llvm.intr.tanh
// The exp of the softmax is a polynomial (einfuse-approximate-math).
// CHECK-NOT: llvm.intr.exp
// CHECK: llvm.intr.fma
// CHECK-NOT: ein.
// CHECK-NOT: linalg.
func.func @attention_bf16(%q: tensor<1x4x8x16xbf16>, %k: tensor<1x2x8x16xbf16>, %v: tensor<1x2x8x16xbf16>) -> tensor<1x4x8x16xbf16> {
  %o = ein.attention %q, %k, %v {window = array<i64: 2, 0>, softcap = 20.0 : f64} : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x4x8x16xbf16>
  return %o : tensor<1x4x8x16xbf16>
}
