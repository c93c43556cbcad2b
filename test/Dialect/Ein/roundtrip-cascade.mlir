// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// The online-softmax state of FuseMax: the key rank m is split into tiles
// m1 x m0 and a running max RM is carried along the iterated rank m1.
// CHECK-LABEL: func @running_max
func.func @running_max(%qk: tensor<?x256xf32>, %rm0: tensor<?x5xf32>) -> (tensor<?x4xf32>, tensor<?x5xf32>) {
  // CHECK: ein.cascade [p, m1, m0 = 64] -> (tensor<?x4xf32>, tensor<?x5xf32>)
  %r:2 = ein.cascade [p, m1, m0 = 64] -> (tensor<?x4xf32>, tensor<?x5xf32>) {
    // CHECK: %[[LM:.*]] = ein.einsum copy(%{{.*}}[p, m1 * 64 + m0]) -> [p, m1] max[m0]
    %lm = ein.einsum copy(%qk[p, m1 * 64 + m0]) -> [p, m1] max[m0] : (tensor<?x256xf32>) -> tensor<?x4xf32>
    // CHECK: ein.einsum max(%{{.*}}[p, m1 + 1], %[[LM]][p, m1]) -> [p, m1]
    %rm = ein.einsum max(%rm0[p, m1 + 1], %lm[p, m1]) -> [p, m1] : (tensor<?x5xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    // CHECK: ein.yield %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?x5xf32>
    ein.yield %lm, %rm0 : tensor<?x4xf32>, tensor<?x5xf32>
  }
  return %r#0, %r#1 : tensor<?x4xf32>, tensor<?x5xf32>
}

// CHECK-LABEL: func @three_pass_softmax
func.func @three_pass_softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // CHECK: ein.cascade [p, m] -> (tensor<?x?xf32>)
  %r = ein.cascade [p, m] -> (tensor<?x?xf32>) {
    // CHECK: %[[GM:.*]] = ein.einsum copy(%{{.*}}[p, m]) -> [p] max[m]
    %gm = ein.einsum copy(%x[p, m]) -> [p] max[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    // CHECK: %[[D:.*]] = ein.einsum sub(%{{.*}}[p, m], %[[GM]][p]) -> [p, m]
    %d = ein.einsum sub(%x[p, m], %gm[p]) -> [p, m] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    // CHECK: %[[SN:.*]] = ein.einsum exp(%[[D]][p, m]) -> [p, m]
    %sn = ein.einsum exp(%d[p, m]) -> [p, m] : (tensor<?x?xf32>) -> tensor<?x?xf32>
    // CHECK: %[[SD:.*]] = ein.einsum copy(%[[SN]][p, m]) -> [p] sum[m]
    %sd = ein.einsum copy(%sn[p, m]) -> [p] sum[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    // CHECK: %[[A:.*]] = ein.einsum div(%[[SN]][p, m], %[[SD]][p]) -> [p, m]
    %a = ein.einsum div(%sn[p, m], %sd[p]) -> [p, m] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    // CHECK: ein.yield %[[A]] : tensor<?x?xf32>
    ein.yield %a : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// Loop order is output ranks, then the reduced ranks as listed.
// CHECK-LABEL: func @output_order
func.func @output_order(%x: tensor<2x3x4xf32>) -> tensor<4x2xf32> {
  %r = ein.cascade [a, b, c] -> (tensor<4x2xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[a, b, c]) -> [c, a] sum[b]
    %y = ein.einsum copy(%x[a, b, c]) -> [c, a] sum[b] : (tensor<2x3x4xf32>) -> tensor<4x2xf32>
    ein.yield %y : tensor<4x2xf32>
  }
  return %r : tensor<4x2xf32>
}

// Attributes other than the inherent ones survive.
// CHECK-LABEL: func @extra_attrs
func.func @extra_attrs(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: ein.cascade [n] attributes {test.tag = "c"} -> (tensor<4xf32>)
  %r = ein.cascade [n] attributes {test.tag = "c"} -> (tensor<4xf32>) {
    // CHECK: ein.einsum copy(%{{.*}}[n]) -> [n] attributes {test.tag = "e"} :
    %y = ein.einsum copy(%x[n]) -> [n] attributes {test.tag = "e"} : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @empty_result
func.func @empty_result() {
  // CHECK: ein.cascade [n] -> ()
  ein.cascade [n] -> () {
    ein.yield
  }
  return
}
