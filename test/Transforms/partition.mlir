// RUN: einfuse-opt %s --ein-partition="workers=3" --split-input-file --verify-diagnostics | FileCheck %s
// RUN: einfuse-opt %s --ein-partition="workers=1024" --split-input-file --verify-diagnostics | FileCheck %s --check-prefix=MANY

// A running max and a sum rescaled by it, split into chunks: one
// iteration with `workers`, its results along a new rank m_w, combined by
// reductions over m_w (the first worker starts from the initial state, the
// others from the identity, in the lowering). Nothing is copied per worker.
// CHECK-LABEL: func @online
// CHECK: ein.cascade [p, m, m0, m_w = 3]
// CHECK: %[[W:.*]]:2 = ein.iterate m tile 8 as m0 {{.*}} init(%arg1 : tensor<4xf32>, %arg2 : tensor<4xf32>) combine [max, rescaled_sum(0, -1.0)] workers 3 {
// CHECK: %[[M:.*]] = ein.einsum copy(%[[W]]#0[m_w, p]) -> [p] max[m_w] : (tensor<3x4xf32>) -> tensor<4xf32>
// CHECK: %[[S:.*]] = ein.einsum custom(%[[W]]#1[m_w, p], %[[W]]#0[m_w, p], %[[M]][p]) -> [p] sum[m_w]
// CHECK: arith.cmpf oeq
// CHECK: math.exp
// CHECK: arith.select
// CHECK: ein.yield %[[M]], %[[S]]
// MANY-LABEL: func @online
// MANY-COUNT-1: ein.iterate
// MANY-NOT: ein.iterate
// MANY: max[m_w] : (tensor<1024x4xf32>) -> tensor<4xf32>
func.func @online(%x: tensor<4x?xf32>, %m0: tensor<4xf32>, %s0: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = ein.cascade [p, m, m0] -> (tensor<4xf32>, tensor<4xf32>) {
    %s:2 = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%m0 : tensor<4xf32>, %s0 : tensor<4xf32>) combine [max, rescaled_sum(0, -1.0)] {
    ^bb0(%t: tensor<4x?xf32>, %rm: tensor<4xf32>, %rs: tensor<4xf32>):
      %lm = ein.einsum copy(%t[p, m0]) -> [p] max[m0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %nm = ein.einsum max(%rm[p], %lm[p]) -> [p] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      %e = ein.einsum custom(%t[p, m0], %nm[p]) -> [p, m0] {
      ^bb0(%a: f32, %b: f32):
        %d = arith.subf %a, %b : f32
        %x2 = math.exp %d : f32
        ein.yield %x2 : f32
      } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
      %ts = ein.einsum copy(%e[p, m0]) -> [p] sum[m0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %c = ein.einsum custom(%rm[p], %nm[p], %rs[p], %ts[p]) -> [p] {
      ^bb0(%a: f32, %b: f32, %u: f32, %v: f32):
        %d = arith.subf %a, %b : f32
        %f = math.exp %d : f32
        %g = arith.mulf %u, %f : f32
        %h = arith.addf %g, %v : f32
        ein.yield %h : f32
      } : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm, %c : tensor<4xf32>, tensor<4xf32>
    }
    ein.yield %s#0, %s#1 : tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Without combine kinds the iteration is left alone.
// CHECK-LABEL: func @no_combine
// CHECK-COUNT-1: ein.iterate
// CHECK-NOT: ein.iterate
func.func @no_combine(%x: tensor<4x?xf32>, %m0: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [p, m, m0] -> (tensor<4xf32>) {
    // expected-remark @below {{not partitioned: the iteration does not say how its states combine}}
    %s = ein.iterate m tile 8 as m0 tiles(%x dim 1 : tensor<4x?xf32>) init(%m0 : tensor<4xf32>) {
    ^bb0(%t: tensor<4x?xf32>, %rm: tensor<4xf32>):
      %lm = ein.einsum copy(%t[p, m0]) -> [p] max[m0] : (tensor<4x?xf32>) -> tensor<4xf32>
      %nm = ein.einsum max(%rm[p], %lm[p]) -> [p] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      ein.yield %nm : tensor<4xf32>
    }
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Welford's state (count, mean, M2) over P parts: counts add, the mean is
// the count-weighted mean (0 where the total count is 0), and M2 is
// Chan's merge: the parts' M2 plus count * (part mean - mean)^2.
// CHECK-LABEL: func @welford
// CHECK: %[[W:.*]]:3 = ein.iterate c tile 4 as c0 {{.*}} combine [sum, welford_mean(0), welford_m2(0, 1)] workers 3 {
// CHECK: %[[N:.*]] = ein.einsum copy(%[[W]]#0[c_w, n]) -> [n] sum[c_w]
// CHECK: %[[MEAN:.*]] = ein.einsum custom(%[[W]]#1[c_w, n], %[[W]]#0[c_w, n], %[[N]][n]) -> [n] sum[c_w]
// CHECK: arith.select
// CHECK: %[[M2:.*]] = ein.einsum custom(%[[W]]#2[c_w, n], %[[W]]#0[c_w, n], %[[W]]#1[c_w, n], %[[MEAN]][n]) -> [n] sum[c_w]
// CHECK: ein.yield %[[M2]]
func.func @welford(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = ein.cascade [n, c, c0] -> (tensor<8xf32>) {
    %z = arith.constant 0.0 : f32
    %i0 = tensor.splat %z : tensor<8xf32>
    %s:3 = ein.iterate c tile 4 as c0 tiles(%x dim 1 : tensor<8x?xf32>) init(%i0 : tensor<8xf32>, %i0 : tensor<8xf32>, %i0 : tensor<8xf32>) combine [sum, welford_mean(0), welford_m2(0, 1)] {
    ^bb0(%xt: tensor<8x?xf32>, %cnt: tensor<8xf32>, %mean: tensor<8xf32>, %m2: tensor<8xf32>):
      %n1 = ein.einsum custom(%xt[n, c0]) -> [n] sum[c0] {
      ^bb0(%a: f32):
        %one = arith.constant 1.0 : f32
        ein.yield %one : f32
      } : (tensor<8x?xf32>) -> tensor<8xf32>
      %cnt1 = ein.einsum add(%cnt[n], %n1[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
      %mean1 = ein.einsum add(%mean[n], %n1[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
      %m21 = ein.einsum add(%m2[n], %n1[n]) -> [n] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
      ein.yield %cnt1, %mean1, %m21 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
    }
    ein.yield %s#2 : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
