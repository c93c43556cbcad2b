// RUN: einfuse-opt %s --split-input-file --ein-decompose --ein-dynamic-ranks=ranks=all --ein-deferred-normalize --ein-online-normalize=remarks=false --convert-ein-to-gpu -verify-diagnostics | FileCheck %s

// convert-ein-to-gpu reads the cascade: it spreads over threads the
// parallel ranks every reduction indexes, one point per thread, and lowers
// each tile to linalg. Softmax written with sub and exp as their own
// Einsums (no online form: the max is not read as exp(x - max)): one
// thread per row, three passes over it; the maps (sub, exp) are fused into
// each of their consumers, so the thread keeps no row of values.

// CHECK-LABEL: func.func @softmax
// CHECK:       scf.forall (%[[N:.*]]) in (%{{.*}}) shared_outs
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%{{.*}}, %[[MAX]] :
// CHECK:           math.exp
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%{{.*}}, %[[MAX]], %[[SUM]] :
// CHECK:           math.exp
// CHECK:           arith.divf
// CHECK:         tensor.parallel_insert_slice {{.*}}[%[[N]], 0] [%{{.*}}, %{{.*}}]
// CHECK:       } {ein.gpu_tile_ranks = ["n"], mapping = [#gpu.thread<linear_dim_0>]}
// CHECK-NOT:   ein.
func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?x?xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%x[n, c], %m[n]) -> [n, c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %e = ein.einsum exp(%d[n, c]) -> [n, c] : (tensor<?x?xf32>) -> tensor<?x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %o = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %o : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// -----

// GQA attention in one pass: batch, query heads and queries go to
// threads; a thread reads the key/value head of its query head, sliced at
// `h floordiv 2` (a tile of one head lies within a group). The value dim
// (which the scores lack) stays whole in each thread, so no score is
// computed twice. The key loop
// carries the running max, sum and numerator, each written back into the
// loop's own argument (one buffer each once bufferized). A key tile is
// not split again (its extent, min(64, keys left), is a tile already): the
// scores of the tile are computed once, by one contraction, and the max,
// the sum and the numerator read them.

// CHECK-LABEL: func.func @gqa
// CHECK:       scf.forall (%[[B:.*]], %[[H:.*]], %[[P:.*]]) in
// CHECK:         %[[KV:.*]] = arith.divui %[[H]], %c2
// CHECK:         tensor.extract_slice %{{.*}}[%[[B]], %[[KV]], 0, 0] [%c1, %c1,
// CHECK:         scf.for {{.*}} iter_args(%[[M:[^ ]*]] = %{{.*}}, %[[L:[^ ]*]] = %{{.*}}, %[[O:[^ ]*]] = %{{.*}})
// CHECK-NOT:       scf.for
// CHECK:           %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-NOT:       scf.for
// CHECK-NOT:       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK:           linalg.generic {{.*}} ins(%[[S]],
// CHECK-NOT:       scf.for
// CHECK:           %[[M2:.*]] = linalg.copy ins(%{{.*}}) outs(%[[M]] :
// CHECK:           %[[L2:.*]] = linalg.copy ins(%{{.*}}) outs(%[[L]] :
// CHECK:           %[[O2:.*]] = linalg.copy ins(%{{.*}}) outs(%[[O]] :
// CHECK:           scf.yield %[[M2]], %[[L2]], %[[O2]]
// CHECK:       } {ein.gpu_tile_ranks = ["b", "h", "p"], mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_2>]}
func.func @gqa(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = ein.attention %q, %k, %v {causal} : tensor<?x4x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}

// -----

// Sigmoid attention has no barrier for the online form to split; the
// thread's reduction over the keys is split into tiles of 64 with the
// scores' Einsum fused into the tile loop (the scores of a tile, not of a
// row). The accumulator is filled once, before the loop.

// CHECK-LABEL: func.func @sigmoid_attention
// CHECK:       scf.forall
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c64{{.*}} iter_args(%{{.*}} = %[[ACC]])
// CHECK:           affine.min
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK:       } {ein.gpu_tile_ranks = ["b", "p"], mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
func.func @sigmoid_attention(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %r = ein.cascade [b, p, m, e, f] -> (tensor<?x?x16xf32>) {
    %s = ein.einsum mul(%q[b, p, e], %k[b, m, e]) -> [b, p, m] sum[e] : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
    %g = ein.einsum custom(%s[b, p, m]) -> [b, p, m] {
    ^bb0(%a: f32):
      %n = arith.negf %a : f32
      %e = math.exp %n : f32
      %one = arith.constant 1.0 : f32
      %d = arith.addf %one, %e : f32
      %y = arith.divf %one, %d : f32
      ein.yield %y : f32
    } : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
    %o = ein.einsum mul(%g[b, p, m], %v[b, m, f]) -> [b, p, f] sum[m] : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    ein.yield %o : tensor<?x?x16xf32>
  }
  return %r : tensor<?x?x16xf32>
}

// -----

// A full reduction has no rank to spread: it runs on one thread, and the
// pass says so.

// CHECK-LABEL: func.func @total
// CHECK-NOT:   scf.forall
// CHECK:       linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
func.func @total(%x: tensor<?x?xf32>) -> tensor<f32> {
  // expected-remark @+1 {{no parallel rank of this cascade can be spread over GPU threads; it runs on one thread}}
  %r = ein.cascade [n, c] -> (tensor<f32>) {
    %s = ein.einsum copy(%x[n, c]) -> [] sum[n, c] : (tensor<?x?xf32>) -> tensor<f32>
    ein.yield %s : tensor<f32>
  }
  return %r : tensor<f32>
}
