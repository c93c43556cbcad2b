// RUN: einfuse-opt %s --einfuse-cpu-pipeline | FileCheck %s

// Attention reaches the LLVM dialect, with a C interface wrapper.
// CHECK-NOT: ein.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK: llvm.func @malloc
// CHECK: llvm.func @attention({{.*}}) attributes {llvm.emit_c_interface}
// CHECK: llvm.func @_mlir_ciface_attention(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.func @attention__tensor_body(
// The exp of the softmax is a polynomial (einfuse-approximate-math).
// CHECK-NOT: llvm.intr.exp
// CHECK: llvm.intr.fma
// CHECK: llvm.fdiv
// CHECK-NOT: ein.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
func.func @attention(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v {causal} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
