// RUN: einfuse-opt %s --einfuse-cpu-pipeline="threads=true workers=2" | FileCheck %s

// A 0-d input (a scalar tensor read at no rank) next to the ranks a
// parallel tiling asks about: the analysis of a rank must not read a rank
// expression the input does not have (this crashed while the analysis of
// split iterations' workers was being written). The rows are spread over
// threads.
// CHECK-LABEL: llvm.func @scaled_row_sums
// CHECK:         omp.parallel
func.func @scaled_row_sums(%x: tensor<?x?xf32>, %s: tensor<f32>) -> tensor<?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?xf32>) {
    %y = ein.einsum mul(%s[], %x[n, c]) -> [n] sum[c] : (tensor<f32>, tensor<?x?xf32>) -> tensor<?xf32>
    ein.yield %y : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}
