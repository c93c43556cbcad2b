// RUN: einfuse-opt %s --einfuse-cpu-pipeline="threads=true" | FileCheck %s
// RUN: einfuse-opt %s --einfuse-cpu-pipeline | FileCheck %s --check-prefix=SERIAL

// With threads=true the parallel loops of the kernel become OpenMP
// worksharing loops; without, there are none.
// CHECK-LABEL: llvm.func @softmax
// CHECK: omp.parallel
// CHECK: omp.wsloop
// SERIAL-LABEL: llvm.func @softmax
// SERIAL-NOT: omp.
func.func @softmax(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %y = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %r = math.exp %d : f32
      ein.yield %r : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %y = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    ein.yield %y : tensor<8x?xf32>
  }
  return %y : tensor<8x?xf32>
}
