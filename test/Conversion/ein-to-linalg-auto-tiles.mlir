// RUN: einfuse-opt %s --ein-decompose --convert-ein-to-linalg="parallel-rank=auto parallel-tile=32" --split-input-file | FileCheck %s

// parallel-rank=auto: the result's second-to-last rank in tiles of
// parallel-tile, every rank before it in tiles of 1, static ranks (the
// heads here) whole: attention runs over (batch, query tiles).
// CHECK-LABEL: func @attention
// CHECK: scf.forall (%[[IB:.*]], %[[IP:.*]]) = (0, 0) to (%{{.*}}, %{{.*}}) step (1, 32)
// CHECK: %[[NP:.*]] = affine.min
// CHECK: tensor.extract_slice %arg0[%[[IB]], 0, %[[IP]], 0] [%{{.*}}, 4, %[[NP]], 16]
// CHECK: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[IB]], 0, %[[IP]], 0] [%{{.*}}, 4, %[[NP]], 16]
func.func @attention(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = ein.attention %q, %k, %v
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// A row-wise softmax: rows in tiles (c is reduced, so it stays whole).
// CHECK-LABEL: func @softmax
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (32)
// CHECK: tensor.extract_slice %arg0[%{{.*}}, 0] [%{{.*}}, %{{.*}}]
func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = ein.cascade [n, c] -> (tensor<?x?xf32>) {
    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%x[n, c], %mx[n]) -> [n, c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %d : tensor<?x?xf32>
  }
  return %y : tensor<?x?xf32>
}

// -----

// A 1-D result: its only rank.
// CHECK-LABEL: func @row_sums
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (32)
func.func @row_sums(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %y = ein.cascade [n, c] -> (tensor<?xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %y : tensor<?xf32>
}
