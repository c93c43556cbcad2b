// RUN: einfuse-opt %s --ein-decompose --ein-deferred-normalize --ein-online-normalize="tile-size=16" --convert-ein-to-linalg="parallel-rank=p parallel-tile=32" --canonicalize --split-input-file | FileCheck %s

// Causal attention, tiled over queries: a query tile [p0, p0 + n) needs the
// key tiles up to the one holding key p0 + n - 1; the iteration over keys
// stops there (tiles after it are -inf throughout: max -inf, exp 0, the
// identity of the running state).
// CHECK-LABEL: func @causal
// CHECK: scf.forall (%[[P0:.*]]) = (0) to (%{{.*}}) step (32)
// CHECK: %[[NT:.*]] = arith.ceildivui %{{.*}}, %c16
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %c2 : tensor<1x4x?xf32>
// CHECK: %[[E:.*]] = arith.addi %[[P0]], %[[N]]
// CHECK: %[[L:.*]] = arith.subi %[[E]], %c1
// CHECK: %[[D:.*]] = arith.floordivsi %[[L]], %c16
// CHECK: %[[D1:.*]] = arith.addi %[[D]], %c1
// CHECK: %[[D2:.*]] = arith.maxsi %[[D1]], %c0
// CHECK: %[[LAST:.*]] = arith.minsi %[[NT]], %[[D2]]
// CHECK: scf.for %{{.*}} = %c0 to %[[LAST]] step %c1
func.func @causal(%q: tensor<1x4x?x32xf32>, %k: tensor<1x4x?x32xf32>, %v: tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32> {
  %o = ein.attention %q, %k, %v {causal}
      : tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32> -> tensor<1x4x?x32xf32>
  return %o : tensor<1x4x?x32xf32>
}

// -----

// A sliding window (keys within 8 before the query, and causal): the first
// key tile is the one holding key p0 - 8; the last as for causal.
// CHECK-LABEL: func @window
// CHECK: scf.forall (%[[P0:.*]]) = (0) to (%{{.*}}) step (32)
// CHECK: arith.floordivsi
// CHECK: arith.minsi
// CHECK: %[[W:.*]] = arith.addi %[[P0]], %c-8
// CHECK: %[[F:.*]] = arith.floordivsi %[[W]], %c16
// CHECK: %[[FIRST:.*]] = arith.maxsi %[[F]], %c0
// CHECK: scf.for %{{.*}} = %[[FIRST]] to %{{.*}} step %c1
func.func @window(%q: tensor<1x4x?x32xf32>, %k: tensor<1x4x?x32xf32>, %v: tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32> {
  %o = ein.attention %q, %k, %v {causal, window = array<i64: 8, 0>}
      : tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32> -> tensor<1x4x?x32xf32>
  return %o : tensor<1x4x?x32xf32>
}

// -----

// Without a mask every key tile is visited.
// CHECK-LABEL: func @unmasked
// CHECK-NOT: arith.floordivsi
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
func.func @unmasked(%q: tensor<1x4x?x32xf32>, %k: tensor<1x4x?x32xf32>, %v: tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32> {
  %o = ein.attention %q, %k, %v
      : tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32> -> tensor<1x4x?x32xf32>
  return %o : tensor<1x4x?x32xf32>
}
