// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @custom_index_extent
func.func @custom_index_extent(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [p, m] -> (tensor<?x?xf32>) {
    // CHECK: ein.einsum custom(%{{.*}}[p, m]) -> [p, m] {
    // CHECK-NEXT: ^bb0(%[[A:.*]]: f32):
    // CHECK-DAG: %[[P:.*]] = ein.index "p" : index
    // CHECK-DAG: %[[M:.*]] = ein.index "m" : index
    // CHECK-DAG: %[[SK:.*]] = ein.extent "m" : index
    // CHECK-DAG: %[[SQ:.*]] = ein.extent "p" : index
    // CHECK: arith.cmpi sle
    // CHECK: %[[S:.*]] = arith.select %{{.*}}, %[[A]], %{{.*}} : f32
    // CHECK: ein.yield %[[S]] : f32
    // CHECK-NEXT: } : (tensor<?x?xf32>) -> tensor<?x?xf32>
    %y = ein.einsum custom(%x[p, m]) -> [p, m] {
    ^bb0(%a: f32):
      %p = ein.index "p" : index
      %m = ein.index "m" : index
      %sk = ein.extent "m" : index
      %sq = ein.extent "p" : index
      %off = arith.subi %sk, %sq : index
      %d0 = arith.subi %m, %p : index
      %d = arith.subi %d0, %off : index
      %c0 = arith.constant 0 : index
      %keep = arith.cmpi sle, %d, %c0 : index
      %ninf = arith.constant 0xFF800000 : f32
      %s = arith.select %keep, %a, %ninf : f32
      ein.yield %s : f32
    } : (tensor<?x?xf32>) -> tensor<?x?xf32>
    ein.yield %y : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// CHECK-LABEL: func @custom_two_operands_reduce
func.func @custom_two_operands_reduce(%x: tensor<4x8xbf16>, %w: tensor<8xbf16>) -> tensor<4xf32> {
  %r = ein.cascade [n, k] -> (tensor<4xf32>) {
    // CHECK: ein.einsum custom(%{{.*}}[n, k], %{{.*}}[k]) -> [n] sum[k] {
    // CHECK-NEXT: ^bb0(%{{.*}}: bf16, %{{.*}}: bf16):
    // CHECK: } : (tensor<4x8xbf16>, tensor<8xbf16>) -> tensor<4xf32>
    %y = ein.einsum custom(%x[n, k], %w[k]) -> [n] sum[k] {
    ^bb0(%a: bf16, %b: bf16):
      %a32 = arith.extf %a : bf16 to f32
      %b32 = arith.extf %b : bf16 to f32
      %m = arith.mulf %a32, %b32 : f32
      ein.yield %m : f32
    } : (tensor<4x8xbf16>, tensor<8xbf16>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func @custom_no_operands
func.func @custom_no_operands() -> tensor<8xf32> {
  %r = ein.cascade [n] -> (tensor<8xf32>) {
    // CHECK: ein.einsum custom() -> [n] {
    // CHECK: ein.index "n" : index
    %y = ein.einsum custom() -> [n] {
      %i = ein.index "n" : index
      %c = arith.index_cast %i : index to i32
      %f = arith.sitofp %c : i32 to f32
      ein.yield %f : f32
    } : () -> tensor<8xf32>
    ein.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
