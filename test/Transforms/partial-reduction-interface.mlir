// RUN: einfuse-opt %s --ein-online-normalize=tile-size=8 --test-ein-partial-reduction=chunks=2 | FileCheck %s
// RUN: einfuse-opt %s --ein-online-normalize=tile-size=8 --test-ein-partial-reduction=chunks=2 --ein-pass-analysis 2>&1 | FileCheck %s --check-prefix=PASSES

// ein.iterate's PartialReductionOpInterface, driven chunk by chunk (the
// production split is --ein-partition with workers). Softmax over 20
// columns in tiles of 8: chunks of 16 and 4 columns.
//
// generateInitialTensorForPartialReduction: one partial state per chunk;
// chunk 0 holds the initial state, the other the identity of its combine
// kind (-inf for the max, 0 for the rescaled sum).
// CHECK-LABEL: func @softmax
// CHECK: ein.cascade [n, c, c0, c_p = 2, c_w = 2]
// CHECK: %[[P0:.*]] = ein.einsum custom(%{{.*}}[n]) -> [c_p, n] {
// CHECK: ein.index "c_p"
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: } : (tensor<4xf32>) -> tensor<2x4xf32>
// CHECK: %[[P1:.*]] = ein.einsum custom(%{{.*}}[n]) -> [c_p, n] {
// CHECK: } : (tensor<4xf32>) -> tensor<2x4xf32>
// tileToPartialReduction: chunk 0 over [0, 16) from its partial ...
// CHECK: %[[I0:.*]] = ein.einsum copy(%[[P0]][0, n]) -> [n]
// CHECK: %[[J0:.*]] = ein.einsum copy(%[[P1]][0, n]) -> [n]
// CHECK: %[[O0:.*]] = arith.constant 0 : index
// CHECK: %[[N0:.*]] = arith.constant 16 : index
// CHECK: %[[C0:.*]]:2 = ein.iterate c tile 8 as c0 range(%[[O0]], %[[N0]]) tiles(%{{.*}} dim 1 : tensor<4x20xf32>) init(%[[I0]] : tensor<4xf32>, %[[J0]] : tensor<4xf32>) combine [max, rescaled_sum(0, -1.0)] {
// ... and chunk 1 over [16, 20).
// CHECK: %[[I1:.*]] = ein.einsum copy(%[[P0]][1, n]) -> [n]
// CHECK: %[[J1:.*]] = ein.einsum copy(%[[P1]][1, n]) -> [n]
// CHECK: %[[O1:.*]] = arith.constant 16 : index
// CHECK: %[[N1:.*]] = arith.constant 4 : index
// CHECK: %[[C1:.*]]:2 = ein.iterate c tile 8 as c0 range(%[[O1]], %[[N1]]) tiles(%{{.*}}) init(%[[I1]] : tensor<4xf32>, %[[J1]] : tensor<4xf32>)
// getPartialResultTilePosition: chunk k's state at [k, 0].
// CHECK: %[[S0:.*]] = ein.einsum custom(%[[C0]]#0[n], %[[C1]]#0[n]) -> [c_p, n]
// CHECK: %[[S1:.*]] = ein.einsum custom(%[[C0]]#1[n], %[[C1]]#1[n]) -> [c_p, n]
// mergeReductions: the combine over the chunks, max first, then the sum
// rescaled to the merged max.
// CHECK: %[[M:.*]] = ein.einsum copy(%[[S0]][c_w, n]) -> [n] max[c_w]
// CHECK: %[[D:.*]] = ein.einsum custom(%[[S1]][c_w, n], %[[S0]][c_w, n], %[[M]][n]) -> [n] sum[c_w]
// CHECK: math.exp
// The write pass reads the merged states.
// CHECK: ein.einsum custom(%{{.*}}[n, c], %[[M]][n]) -> [n, c]
// CHECK: ein.einsum div(%{{.*}}[n, c], %[[D]][n]) -> [n, c]
// Still 2 passes over c: the chunks read disjoint ranges.
// PASSES: remark: 2 passes over rank 'c';
func.func @softmax(%x: tensor<4x20xf32>) -> tensor<4x20xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x20xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x20xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<4x20xf32>, tensor<4xf32>) -> tensor<4x20xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x20xf32>) -> tensor<4xf32>
    %y = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<4x20xf32>, tensor<4xf32>) -> tensor<4x20xf32>
    ein.yield %y : tensor<4x20xf32>
  }
  return %r : tensor<4x20xf32>
}
