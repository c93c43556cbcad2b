// RUN: einfuse-opt %s --convert-ein-to-linalg="parallel-rank=h parallel-tile=2" | FileCheck %s --check-prefix=TWO
// RUN: einfuse-opt %s --convert-ein-to-linalg="parallel-rank=h parallel-tile=3" | FileCheck %s --check-prefix=THREE

// Query heads h over key heads read as `h floordiv 4` (GQA). Tiles of 2
// heads lie within a group of 4: each tile reads one key head, sliced at
// h floordiv 4. Tiles of 3 would span two key heads: the rank is left
// whole, as for any rank that does not qualify, and nothing is sliced.

// TWO-LABEL: func @grouped
// TWO:         scf.forall (%[[H:.*]]) = (0) to (%{{.*}}) step (2)
// TWO:           %[[KV:.*]] = arith.divui %[[H]], %c4
// TWO:           tensor.extract_slice %arg1[%[[KV]], 0, 0] [%c1{{(_[0-9]+)?}}, %{{.*}}, 8]
// THREE-LABEL: func @grouped
// THREE-NOT:     scf.forall
// THREE-NOT:     tensor.extract_slice
// THREE:         return
func.func @grouped(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>) -> tensor<?x?xf32> {
  %y = ein.cascade [h, p, m, e] -> (tensor<?x?xf32>) {
    %s = ein.einsum mul(%q[h, p, e], %k[h floordiv 4, m, e]) -> [h, p] sum[m, e] : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?xf32>
    ein.yield %s : tensor<?x?xf32>
  }
  return %y : tensor<?x?xf32>
}
