// RUN: einfuse-opt %s --ein-decompose | FileCheck %s

// int4: two values per byte along K, low nibble first; the nibble is
// picked by ein.index k and sign-extended.
// CHECK-LABEL: func @int4
// CHECK-SAME: (%[[X:.*]]: tensor<?x128xf32>, %[[W:.*]]: tensor<32x64xi8>, %[[S:.*]]: tensor<32x2xf32>)
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4 : i32
// CHECK-DAG: %[[MASK:.*]] = arith.constant 15 : i32
// CHECK-DAG: %[[EIGHT:.*]] = arith.constant 8 : i32
// CHECK: ein.cascade [i, n, k] -> (tensor<?x32xf32>)
// CHECK: %[[WQ:.*]] = ein.einsum custom(%[[W]][n, k floordiv 2]) -> [n, k] {
// CHECK-NEXT: ^bb0(%[[B:.*]]: i8):
// CHECK-NEXT: %[[BYTE:.*]] = arith.extui %[[B]] : i8 to i32
// CHECK-NEXT: %[[K:.*]] = ein.index "k" : index
// CHECK-NEXT: %[[ODD:.*]] = arith.remui %[[K]], %[[TWO]] : index
// CHECK-NEXT: %[[ODD32:.*]] = arith.index_cast %[[ODD]] : index to i32
// CHECK-NEXT: %[[SH:.*]] = arith.muli %[[ODD32]], %[[FOUR]] : i32
// CHECK-NEXT: %[[V:.*]] = arith.shrui %[[BYTE]], %[[SH]] : i32
// CHECK-NEXT: %[[NIB:.*]] = arith.andi %[[V]], %[[MASK]] : i32
// CHECK-NEXT: %[[XOR:.*]] = arith.xori %[[NIB]], %[[EIGHT]] : i32
// CHECK-NEXT: %[[SGN:.*]] = arith.subi %[[XOR]], %[[EIGHT]] : i32
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[SGN]] : i32 to f32
// CHECK-NEXT: ein.yield %[[F]] : f32
// CHECK-NEXT: } : (tensor<32x64xi8>) -> tensor<32x128xf32>
// CHECK: %[[WD:.*]] = ein.einsum custom(%[[WQ]][n, k], %[[S]][n, k floordiv 64]) -> [n, k] {
// CHECK: arith.mulf
// CHECK: %[[O:.*]] = ein.einsum mul(%[[X]][i, k], %[[WD]][n, k]) -> [i, n] sum[k]
// CHECK: ein.yield %[[O]] : tensor<?x32xf32>
func.func @int4(%x: tensor<?x128xf32>, %w: tensor<32x64xi8>, %s: tensor<32x2xf32>) -> tensor<?x32xf32> {
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int4, group_size = 64>) : tensor<?x128xf32>, tensor<32x64xi8>, tensor<32x2xf32> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}
