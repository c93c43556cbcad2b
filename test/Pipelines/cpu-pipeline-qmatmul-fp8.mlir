// RUN: einfuse-opt %s --einfuse-cpu-pipeline | FileCheck %s

// fp8 weights are decoded with integer ops, so no fp8 type reaches LLVM.
// CHECK-NOT: f8E4M3FN
// CHECK: llvm.func @qmatmul_fp8(
// CHECK: llvm.func @_mlir_ciface_qmatmul_fp8(
// CHECK-NOT: f8E4M3FN
// CHECK-NOT: ein.
func.func @qmatmul_fp8(%x: tensor<4x64xf16>, %w: tensor<16x64xf8E4M3FN>, %s: tensor<16x2xf16>) -> tensor<4x16xf16> {
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = fp8_e4m3, group_size = 32>) : tensor<4x64xf16>, tensor<16x64xf8E4M3FN>, tensor<16x2xf16> -> tensor<4x16xf16>
  return %o : tensor<4x16xf16>
}
