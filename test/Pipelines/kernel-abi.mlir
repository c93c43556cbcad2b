// RUN: einfuse-opt %s --einfuse-kernel-abi --split-input-file --verify-diagnostics | FileCheck %s

// A public function on tensors becomes a kernel taking memrefs for its
// inputs, then for its results, writing the results in place; the tensor
// body stays as a private function.
// CHECK-LABEL: func.func @k(
// CHECK-SAME: %[[X:.*]]: memref<?x4xf32>, %[[Y:.*]]: memref<?x4xf32>, %[[O:.*]]: memref<?x4xf32>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[TX:.*]] = bufferization.to_tensor %[[X]] restrict : memref<?x4xf32> to tensor<?x4xf32>
// CHECK: %[[TY:.*]] = bufferization.to_tensor %[[Y]] restrict : memref<?x4xf32> to tensor<?x4xf32>
// CHECK: %[[R:.*]] = call @k__tensor_body(%[[TX]], %[[TY]])
// CHECK: bufferization.materialize_in_destination %[[R]] in restrict writable %[[O]]
// CHECK: return
// CHECK: func.func private @k__tensor_body(
func.func @k(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %z = arith.addf %x, %y : tensor<?x4xf32>
  return %z : tensor<?x4xf32>
}

// -----

// Private functions and functions not on tensors are left alone.
// CHECK-LABEL: func.func private @helper(%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
// CHECK-LABEL: func.func @scalar(%{{.*}}: f32) -> f32
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @scalar(%x: f32) -> f32 {
  return %x : f32
}

// -----

// expected-error @+1 {{unsupported kernel signature: every argument and result of a public function must be a ranked tensor}}
func.func @mixed(%x: tensor<4xf32>, %s: f32) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
