// RUN: einfuse-opt %s --convert-ein-to-linalg="parallel-rank=p parallel-tile=16" --split-input-file | FileCheck %s
// RUN: einfuse-opt %s --convert-ein-to-linalg="parallel-rank=p parallel-tile=16" --split-input-file --verify-diagnostics -o /dev/null

// Tiles of p: an scf.forall whose body slices the inputs indexed by p,
// lowers the cascade on the slices, and inserts its slice of the result.
// ein.index p is offset by the tile's start.
// CHECK-LABEL: func @rows
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[P:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x8xf32>
// CHECK: %[[OUT:.*]] = tensor.empty(%[[P]]) : tensor<?xf32>
// CHECK: scf.forall (%[[OFF:.*]]) = (0) to (%{{.*}}) step (16) shared_outs(%[[O:.*]] = %[[OUT]]) -> (tensor<?xf32>)
// CHECK: %[[S:.*]] = tensor.extract_slice %[[X]][%[[OFF]], 0]
// CHECK: linalg.generic
// CHECK: %[[L:.*]] = linalg.index 0 : index
// CHECK: arith.addi %[[L]], %[[OFF]] : index
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[O]][%[[OFF]]]
func.func @rows(%x: tensor<?x8xf32>) -> tensor<?xf32> {
  %r = ein.cascade [p, c] -> (tensor<?xf32>) {
    %w = ein.einsum custom(%x[p, c]) -> [p, c] {
    ^bb0(%a: f32):
      %i = ein.index "p" : index
      %ii = arith.index_cast %i : index to i64
      %f = arith.sitofp %ii : i64 to f32
      %r = arith.mulf %a, %f : f32
      ein.yield %r : f32
    } : (tensor<?x8xf32>) -> tensor<?x8xf32>
    %s = ein.einsum copy(%w[p, c]) -> [p] sum[c] : (tensor<?x8xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

// A cascade that reduces p, or has it static, is lowered whole, and a
// remark says why.
// CHECK-LABEL: func @reduces_p
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
func.func @reduces_p(%x: tensor<?x8xf32>) -> tensor<8xf32> {
  // expected-remark @below {{parallel-rank 'p' does not tile this cascade: an Einsum reduces the rank, an iteration runs over it, a result lacks it, a tensor is read along it in another way (a static dim, a compound index, another rank), or a static extent 0 leaves nothing to compute; it is lowered whole}}
  %r = ein.cascade [p, c] -> (tensor<8xf32>) {
    %s = ein.einsum copy(%x[p, c]) -> [c] sum[p] : (tensor<?x8xf32>) -> tensor<8xf32>
    ein.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// A static extent 0 in a tensor the tiles would slice: nothing to compute,
// and upstream rejects a slice at offset 0 of a 0-sized dim, so the cascade
// is not tiled (it used to fail to compile: "offset 1 is out-of-bounds").
// CHECK-LABEL: func @static_zero
// CHECK-NOT: scf.forall
func.func @static_zero(%x: tensor<?x0xf32>) -> tensor<?x0xf32> {
  // expected-remark @below {{parallel-rank 'p' does not tile this cascade}}
  %r = ein.cascade [p, j] -> (tensor<?x0xf32>) {
    %m = ein.einsum copy(%x[p, j]) -> [p, j] : (tensor<?x0xf32>) -> tensor<?x0xf32>
    ein.yield %m : tensor<?x0xf32>
  }
  return %r : tensor<?x0xf32>
}
