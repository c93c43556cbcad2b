// RUN: einfuse-opt %s --einfuse-cpu-pipeline | FileCheck %s

// A hand-written cascade with dynamic sizes (softmax) reaches LLVM.
// CHECK-NOT: ein.
// CHECK: llvm.func @softmax(
// CHECK: llvm.func @_mlir_ciface_softmax(
// CHECK-NOT: ein.
// CHECK-NOT: linalg.
func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [p, m] -> (tensor<?x?xf32>) {
    %gm = ein.einsum copy(%x[p, m]) -> [p] max[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%x[p, m], %gm[p]) -> [p, m] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %sn = ein.einsum exp(%d[p, m]) -> [p, m] : (tensor<?x?xf32>) -> tensor<?x?xf32>
    %sd = ein.einsum copy(%sn[p, m]) -> [p] sum[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    %a = ein.einsum div(%sn[p, m], %sd[p]) -> [p, m] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %a : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}
