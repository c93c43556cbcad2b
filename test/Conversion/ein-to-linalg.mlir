// RUN: einfuse-opt %s --convert-ein-to-linalg --split-input-file --mlir-print-local-scope | FileCheck %s

// A contraction: one linalg.generic, reduced rank last, dynamic sizes from
// tensor.dim of the operands, the accumulator filled with 0.
// CHECK-LABEL: func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<?x16xf32>, %[[B:.*]]: tensor<16x?xf32>)
// CHECK-NOT: ein.
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[I:.*]] = tensor.dim %[[A]], %[[C0]] : tensor<?x16xf32>
// CHECK-DAG: %[[J:.*]] = tensor.dim %[[B]], %[[C1]] : tensor<16x?xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[I]], %[[J]]) : tensor<?x?xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<?x?xf32>)
// The loop order puts innermost the rank that is the contiguous dim of the
// most operands (here j, of B and of the result), not the reduced k.
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x16xf32>, tensor<16x?xf32>) outs(%[[F]] : tensor<?x?xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] fastmath<reassoc> : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: return %[[G]]
func.func @matmul(%a: tensor<?x16xf32>, %b: tensor<16x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [i, j, k] -> (tensor<?x?xf32>) {
    %y = ein.einsum mul(%a[i, k], %b[k, j]) -> [i, j] sum[k] : (tensor<?x16xf32>, tensor<16x?xf32>) -> tensor<?x?xf32>
    ein.yield %y : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// -----

// A dynamic extent of a later Einsum comes from an earlier result.
// CHECK-LABEL: func @chain
// CHECK: %[[G1:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[DIM:.*]] = tensor.dim %{{.*}}, %[[C0]] : tensor<?x?xf32>
// CHECK: %[[DIM2:.*]] = tensor.dim
// CHECK: tensor.empty(%[[DIM]], %[[DIM2]]) : tensor<?x?xf32>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}}, %[[G1]] : tensor<?x?xf32>, tensor<?xf32>)
// CHECK: arith.subf
func.func @chain(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [p, m] -> (tensor<?x?xf32>) {
    %gm = ein.einsum copy(%x[p, m]) -> [p] max[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%x[p, m], %gm[p]) -> [p, m] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %d : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// -----

// Rank expressions become affine maps; a split rank with a declared extent.
// CHECK-LABEL: func @rank_exprs
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0 * 64 + d1)>, affine_map<(d0, d1) -> (d0 floordiv 4, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
func.func @rank_exprs(%x: tensor<256xf32>, %z: tensor<1x64xf32>) -> tensor<4x64xf32> {
  %r = ein.cascade [m1, m0 = 64] -> (tensor<4x64xf32>) {
    %y = ein.einsum add(%x[m1 * 64 + m0], %z[m1 floordiv 4, m0]) -> [m1, m0] : (tensor<256xf32>, tensor<1x64xf32>) -> tensor<4x64xf32>
    ein.yield %y : tensor<4x64xf32>
  }
  return %r : tensor<4x64xf32>
}

// -----

// ein.index becomes linalg.index of the rank's loop position; ein.extent is
// computed before the loop (tensor.dim for a dynamic extent).
// CHECK-LABEL: func @index_extent
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// CHECK: tensor.empty
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[SK:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<?x?xf32>
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[P:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[M:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[D:.*]] = arith.subi %[[M]], %[[P]] : index
// CHECK-NEXT: %[[K:.*]] = arith.cmpi sle, %[[D]], %[[SK]] : index
// CHECK: %[[R:.*]] = arith.select %[[K]], %[[A]], %{{.*}} : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @index_extent(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [p, m] -> (tensor<?x?xf32>) {
    %y = ein.einsum custom(%x[p, m]) -> [p, m] {
    ^bb0(%a: f32):
      %p = ein.index "p" : index
      %m = ein.index "m" : index
      %sk = ein.extent "m" : index
      %d = arith.subi %m, %p : index
      %keep = arith.cmpi sle, %d, %sk : index
      %z = arith.constant 0.0 : f32
      %s = arith.select %keep, %a, %z : f32
      ein.yield %s : f32
    } : (tensor<?x?xf32>) -> tensor<?x?xf32>
    ein.yield %y : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// -----

// A static or declared extent becomes a constant.
// CHECK-LABEL: func @static_extent
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: linalg.generic
// CHECK: arith.addi %{{.*}}, %[[C8]]
// CHECK: arith.addi %{{.*}}, %[[C16]]
func.func @static_extent(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c = 16] -> (tensor<8xf32>) {
    %y = ein.einsum custom(%x[n, c]) -> [n] max[c] {
    ^bb0(%a: f32):
      %e = ein.extent "n" : index
      %f = ein.extent "c" : index
      %i = ein.index "n" : index
      %s = arith.addi %i, %e : index
      %t = arith.addi %s, %f : index
      %c = arith.index_cast %t : index to i32
      %g = arith.sitofp %c : i32 to f32
      %r = arith.addf %a, %g : f32
      ein.yield %r : f32
    } : (tensor<8x?xf32>) -> tensor<8xf32>
    ein.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// A rank only in the output broadcasts; its extent comes from the result type.
// CHECK-LABEL: func @broadcast
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
func.func @broadcast(%x: tensor<8xf32>) -> tensor<3x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<3x8xf32>) {
    %y = ein.einsum copy(%x[c]) -> [n, c] : (tensor<8xf32>) -> tensor<3x8xf32>
    ein.yield %y : tensor<3x8xf32>
  }
  return %r : tensor<3x8xf32>
}
