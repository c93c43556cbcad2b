// RUN: einfuse-opt %s --einfuse-cpu-pipeline | FileCheck %s

// A 4-bit quantized matmul reaches the LLVM dialect.
// CHECK-NOT: ein.
// CHECK: llvm.func @qmatmul_int4({{.*}}) attributes {llvm.emit_c_interface}
// CHECK: llvm.func @_mlir_ciface_qmatmul_int4(
// CHECK: llvm.func @qmatmul_int4__tensor_body(
// CHECK: llvm.lshr
// CHECK-NOT: ein.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
func.func @qmatmul_int4(%x: tensor<4x128xf32>, %w: tensor<32x64xi8>, %s: tensor<32x2xf32>, %z: tensor<32x2xf32>) -> tensor<4x32xf32> {
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z) format(#ein.qformat<kind = int4, group_size = 64, zero_point = true>) : tensor<4x128xf32>, tensor<32x64xi8>, tensor<32x2xf32>, tensor<32x2xf32> -> tensor<4x32xf32>
  return %o : tensor<4x32xf32>
}
