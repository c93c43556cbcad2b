// RUN: einfuse-opt %s --convert-ein-to-linalg --split-input-file | FileCheck %s

// A rank that only compound expressions index (m0 in m1 * 64 + m0) gets a
// shape-only operand of its extent, indexed by it plainly and never read:
// linalg takes the loop bound from it. (Numerics:
// python/tests/test_split_ranks.py.)
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2 * 64 + d1)>
// CHECK-DAG: #[[M0:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @blocked_max
// CHECK: %[[SHAPE:.*]] = tensor.empty() : tensor<64xi8>
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[M0]], #{{.*}}], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%arg0, %[[SHAPE]] : tensor<8x256xf32>, tensor<64xi8>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i8, %[[OUT:.*]]: f32):
// CHECK-NEXT: arith.maximumf %[[OUT]], %[[IN]]
func.func @blocked_max(%x: tensor<8x256xf32>) -> tensor<8x4xf32> {
  %r = ein.cascade [n, m1, m0 = 64] -> (tensor<8x4xf32>) {
    %y = ein.einsum copy(%x[n, m1 * 64 + m0]) -> [n, m1] max[m0] : (tensor<8x256xf32>) -> tensor<8x4xf32>
    ein.yield %y : tensor<8x4xf32>
  }
  return %r : tensor<8x4xf32>
}

// -----

// The extent may also come from a tensor an earlier Einsum indexes by the
// rank plainly (here a dynamic one).
// CHECK-LABEL: func @sized_by_input
// CHECK: linalg.generic
// CHECK: %[[D:.*]] = tensor.dim %arg1, %{{.*}} : tensor<?xf32>
// CHECK-NEXT: %[[SHAPE:.*]] = tensor.empty(%[[D]]) : tensor<?xi8>
// CHECK-NEXT: linalg.generic {{.*}} ins(%arg0, %[[SHAPE]] : tensor<8x?xf32>, tensor<?xi8>)
func.func @sized_by_input(%x: tensor<8x?xf32>, %w: tensor<?xf32>) -> tensor<8x2xf32> {
  %r = ein.cascade [n, m1, m0] -> (tensor<8x2xf32>) {
    %c = ein.einsum copy(%w[m0]) -> [m0] : (tensor<?xf32>) -> tensor<?xf32>
    %y = ein.einsum copy(%x[n, m1 * 4 + m0]) -> [n, m1] sum[m0] : (tensor<8x?xf32>) -> tensor<8x2xf32>
    ein.yield %y : tensor<8x2xf32>
  }
  return %r : tensor<8x2xf32>
}
