// RUN: einfuse-opt %s --convert-ein-to-linalg --mlir-print-local-scope | FileCheck %s
// f8E4M3FN is decoded with integer ops (no fp8 type in LLVM).

// CHECK-LABEL: func @cast_f8_to_f32
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf8E4M3FN>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f8E4M3FN, %{{.*}}: f32):
// CHECK-NEXT: %[[BITS:.*]] = arith.bitcast %[[IN]] : f8E4M3FN to i8
// CHECK-NEXT: %[[U:.*]] = arith.extui %[[BITS]] : i8 to i32
// CHECK: arith.shrui %[[U]]
// CHECK: %[[NORMAL:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[SUB:.*]] = arith.mulf
// CHECK: arith.select %{{.*}}, %[[SUB]], %[[NORMAL]] : f32
// CHECK: %[[R:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: return %[[G]]
func.func @cast_f8_to_f32(%x: tensor<4x8xf8E4M3FN>) -> tensor<4x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x8xf32>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf8E4M3FN>) -> tensor<4x8xf32>
    ein.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func @cast_f8_to_bf16
// CHECK-NOT: ein.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xbf16>
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf8E4M3FN>) outs(%[[E]] : tensor<4x8xbf16>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f8E4M3FN, %{{.*}}: bf16):
// CHECK-NEXT: arith.bitcast %[[IN]] : f8E4M3FN to i8
// CHECK: arith.constant 0x7FC00000 : f32
// CHECK: %[[F:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: %[[R:.*]] = arith.truncf %[[F]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[R]] : bf16
// CHECK: return %[[G]]
func.func @cast_f8_to_bf16(%x: tensor<4x8xf8E4M3FN>) -> tensor<4x8xbf16> {
  %r = ein.cascade [n, c] -> (tensor<4x8xbf16>) {
    %y = ein.einsum cast(%x[n, c]) -> [n, c] : (tensor<4x8xf8E4M3FN>) -> tensor<4x8xbf16>
    ein.yield %y : tensor<4x8xbf16>
  }
  return %r : tensor<4x8xbf16>
}
