// RUN: einfuse-opt %s --ein-deferred-normalize --ein-online-normalize="tile-size=7" --ein-partition="workers=3" --convert-ein-to-linalg | FileCheck %s

// An online iteration split across workers whose states have a static
// extent 0 (f): each worker's state goes into the shared result with the
// offset of that dim as a value (upstream rejects a static offset 0 in a
// dim of size 0; found by the property test).
// CHECK-LABEL: func @k
// CHECK: scf.forall (%[[W:.*]]) in (3)
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[W]], 0, %{{.*}}] [1, 4, 0] [1, 1, 1] : tensor<4x0xf32> into tensor<3x4x0xf32>
func.func @k(%x: tensor<4x0x?xf32>, %v: tensor<?xf32>) -> tensor<4x0xf32> {
  %r = ein.cascade [n, f, h] -> (tensor<4x0xf32>) {
    %m = ein.einsum copy(%x[n, f, h]) -> [n, f] max[h] : (tensor<4x0x?xf32>) -> tensor<4x0xf32>
    %e = ein.einsum custom(%x[n, f, h], %m[n, f]) -> [n, f, h] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<4x0x?xf32>, tensor<4x0xf32>) -> tensor<4x0x?xf32>
    %s = ein.einsum copy(%e[n, f, h]) -> [n, f] sum[h] : (tensor<4x0x?xf32>) -> tensor<4x0xf32>
    %o = ein.einsum mul(%e[n, f, h], %v[h]) -> [n, f] sum[h] : (tensor<4x0x?xf32>, tensor<?xf32>) -> tensor<4x0xf32>
    %y = ein.einsum div(%o[n, f], %s[n, f]) -> [n, f] : (tensor<4x0xf32>, tensor<4x0xf32>) -> tensor<4x0xf32>
    ein.yield %y : tensor<4x0xf32>
  }
  return %r : tensor<4x0xf32>
}
