// RUN: einfuse-opt %s --ein-deferred-normalize --ein-online-normalize="tile-size=4" --convert-ein-to-linalg | FileCheck %s

// The online rewrite moves the split-rank sum (t) before the iteration
// over f, whose tiles take x, the only other tensor indexed by f. A value
// from outside the cascade sizes a rank anywhere in the cascade, so f's
// extent still comes from x (found by the property test; before, lowering
// said "cannot infer the extent of rank 'f'").
// CHECK-LABEL: func @k
// CHECK: %[[F:.*]] = tensor.dim %arg0, %{{.*}} : tensor<4x?xf32>
// CHECK: tensor.empty(%[[F]]) : tensor<?xf32>
// CHECK: linalg.generic
// CHECK: scf.for
func.func @k(%x: tensor<4x?xf32>, %v: tensor<?xf32>, %z: tensor<?xf32>) -> (tensor<4xf32>, tensor<?xf32>) {
  %r0, %r1 = ein.cascade [n, f, f_lo = 8, g] -> (tensor<4xf32>, tensor<?xf32>) {
    %m = ein.einsum copy(%x[n, f]) -> [n] max[f] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, f], %m[n]) -> [n, f] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, f]) -> [n] sum[f] : (tensor<4x?xf32>) -> tensor<4xf32>
    %o = ein.einsum mul(%e[n, f], %v[f]) -> [n] sum[f] : (tensor<4x?xf32>, tensor<?xf32>) -> tensor<4xf32>
    %y = ein.einsum div(%o[n], %s[n]) -> [n] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %t = ein.einsum copy(%z[f * 8 + f_lo]) -> [f] sum[f_lo] : (tensor<?xf32>) -> tensor<?xf32>
    ein.yield %y, %t : tensor<4xf32>, tensor<?xf32>
  }
  return %r0, %r1 : tensor<4xf32>, tensor<?xf32>
}
