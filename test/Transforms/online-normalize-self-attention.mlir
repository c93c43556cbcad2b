// RUN: einfuse-opt %s --ein-decompose --ein-deferred-normalize --ein-online-normalize | FileCheck %s
// RUN: einfuse-opt %s --ein-decompose --ein-deferred-normalize --ein-online-normalize --convert-ein-to-linalg="parallel-rank=auto parallel-tile=16" | FileCheck %s --check-prefix=TILES

// Self-attention with Q = K = V (one tensor): the iteration tiles it for
// the keys and values, and the queries still read all of it (they read the
// key tile before: wrong results, and reads past the tile).
// CHECK-LABEL: func @self_attention
// CHECK: ein.iterate m tile 64 as m0 tiles(%[[X:.*]] dim 2 : tensor<?x2x?x8xf32>)
// CHECK-NEXT: ^bb0(%[[T:.*]]: tensor<?x2x?x8xf32>,
// CHECK-NEXT: ein.einsum mul(%[[X]][b, h, p, e], %[[T]][b, h, m0, e])
//
// Row tiles cannot cut the queries (the same tensor is read whole along
// the keys): only the batch is tiled, and every read of the tensor is a
// slice along the batch alone.
// TILES-LABEL: func @self_attention
// TILES: scf.forall (%[[B:.*]]) in (%{{.*}})
// TILES: tensor.extract_slice %arg0[%[[B]], 0, 0, 0] [%{{.*}}, 2, %{{.*}}, 8]
// TILES-NOT: tensor.extract_slice %arg0
func.func @self_attention(%x: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = ein.attention %x, %x, %x : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
