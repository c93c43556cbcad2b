// RUN: einfuse-opt %s --split-input-file --ein-deferred-normalize --ein-online-normalize="tile-size=16" | FileCheck %s
// RUN: einfuse-opt %s --split-input-file --ein-deferred-normalize --ein-online-normalize="tile-size=16" --ein-pass-analysis -o /dev/null 2>&1 | FileCheck %s --check-prefix=PASSES

// Reductions over two ranks at once get an online form: the iteration runs
// over one rank, the other is reduced whole inside each tile. (Numerics:
// python/tests/test_online_forms.py::test_two_ranks.)

// A softmax over (c, d) weighting v: the running max and both sums reduce
// (c0, d) in each tile; 1 pass over c and over d.
// CHECK-LABEL: func @softmax_2d
// CHECK: ein.iterate c tile 16 as c0 tiles(%arg0 dim 1 : tensor<4x?x3xf32>, %arg1 dim 0 : tensor<?x3x5xf32>)
// CHECK-SAME: combine [max, rescaled_sum(0, -1.0), rescaled_sum(0, -1.0)]
// CHECK: ein.einsum copy(%{{.*}}[n, c0, d]) -> [n] max[c0, d]
// CHECK: ein.einsum copy(%{{.*}}[n, c0, d]) -> [n] sum[c0, d]
// CHECK: ein.einsum mul(%{{.*}}[n, c0, d], %{{.*}}[c0, d, j]) -> [n, j] sum[c0, d]
// PASSES: remark: 1 pass over rank 'c'
// PASSES: remark: 1 pass over rank 'd'
func.func @softmax_2d(%x: tensor<4x?x3xf32>, %v: tensor<?x3x5xf32>) -> tensor<4x5xf32> {
  %r = ein.cascade [n, c, d, j] -> (tensor<4x5xf32>) {
    %m = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] : (tensor<4x?x3xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c, d], %m[n]) -> [n, c, d] {
    ^bb0(%a: f32, %b: f32):
      %s = arith.subf %a, %b : f32
      %y = math.exp %s : f32
      ein.yield %y : f32
    } : (tensor<4x?x3xf32>, tensor<4xf32>) -> tensor<4x?x3xf32>
    %s = ein.einsum copy(%e[n, c, d]) -> [n] sum[c, d] : (tensor<4x?x3xf32>) -> tensor<4xf32>
    %p = ein.einsum div(%e[n, c, d], %s[n]) -> [n, c, d] : (tensor<4x?x3xf32>, tensor<4xf32>) -> tensor<4x?x3xf32>
    %o = ein.einsum mul(%p[n, c, d], %v[c, d, j]) -> [n, j] sum[c, d] : (tensor<4x?x3xf32>, tensor<?x3x5xf32>) -> tensor<4x5xf32>
    ein.yield %o : tensor<4x5xf32>
  }
  return %r : tensor<4x5xf32>
}

// -----

// A group norm: the mean and variance over (c, d) get Welford's update,
// each tile's statistics over (c0, d); 2 passes over c and d (the
// normalisation reads x again).
// CHECK-LABEL: func @group_norm
// CHECK: ein.iterate c tile 16 as c0 tiles(%arg0 dim 1 : tensor<4x?x3xf32>)
// CHECK-SAME: combine [sum, welford_mean(0), welford_m2(0, 1)]
// CHECK: ein.einsum custom(%{{.*}}[n, c0, d]) -> [n] sum[c0, d]
// PASSES: remark: 2 passes over rank 'c'
// PASSES: remark: 2 passes over rank 'd'
func.func @group_norm(%x: tensor<4x?x3xf32>) -> tensor<4x?x3xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4x?x3xf32>) {
    %s = ein.einsum copy(%x[n, c, d]) -> [n] sum[c, d] : (tensor<4x?x3xf32>) -> tensor<4xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %ec = ein.extent "c" : index
      %ed = ein.extent "d" : index
      %e = arith.muli %ec, %ed : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    %dx = ein.einsum sub(%x[n, c, d], %mu[n]) -> [n, c, d] : (tensor<4x?x3xf32>, tensor<4xf32>) -> tensor<4x?x3xf32>
    %v = ein.einsum mul(%dx[n, c, d], %dx[n, c, d]) -> [n] sum[c, d] : (tensor<4x?x3xf32>, tensor<4x?x3xf32>) -> tensor<4xf32>
    %rs = ein.einsum custom(%v[n]) -> [n] {
    ^bb0(%a: f32):
      %ec = ein.extent "c" : index
      %ed = ein.extent "d" : index
      %e = arith.muli %ec, %ed : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      %eps = arith.constant 1.0e-5 : f32
      %qe = arith.addf %q, %eps : f32
      %y = math.rsqrt %qe : f32
      ein.yield %y : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    %y = ein.einsum mul(%dx[n, c, d], %rs[n]) -> [n, c, d] : (tensor<4x?x3xf32>, tensor<4xf32>) -> tensor<4x?x3xf32>
    ein.yield %y : tensor<4x?x3xf32>
  }
  return %r : tensor<4x?x3xf32>
}

