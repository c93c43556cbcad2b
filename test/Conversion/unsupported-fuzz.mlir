// RUN: einfuse-opt %s --convert-ein-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Regressions from fuzzing --convert-ein-to-linalg: verifier-valid cascades
// that crashed the lowering or made it produce invalid linalg.

// A custom map may yield a value defined above the Einsum (it used to
// assert in IRMapping::lookup).
// CHECK-LABEL: func @yield_from_above
// CHECK: %[[C:.*]] = arith.constant 1.0
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0
// CHECK-NEXT: linalg.yield %[[C]] : f32
func.func @yield_from_above(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant 1.0 : f32
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      ein.yield %c : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// ein.index and ein.extent in a region nested in the custom map (they used
// to be cloned as they were, leaving ein ops inside linalg.generic).
// CHECK-LABEL: func @nested_index_extent
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK-NEXT: scf.if
// CHECK-NEXT: arith.addi %[[I]], %{{.*}} : index
// CHECK-NOT: ein.
func.func @nested_index_extent(%x: tensor<4xf32>, %t: i1) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      %v = scf.if %t -> f32 {
        %i = ein.index "n" : index
        %e = ein.extent "n" : index
        %s = arith.addi %i, %e : index
        %c = arith.index_cast %s : index to i32
        %f = arith.sitofp %c : i32 to f32
        scf.yield %f : f32
      } else {
        scf.yield %a : f32
      }
      ein.yield %v : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Out-of-bounds compound index expressions are reported by the lowering
// (linalg.generic used to fail to verify).
func.func @out_of_bounds_high(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op operand #0 is indexed out of bounds: 'n + 1' ranges over [1, 4] but dimension #0 has size 4}}
    %y = ein.einsum copy(%x[n + 1]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @out_of_bounds_negative(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = ein.cascade [p, m] -> (tensor<4x4xf32>) {
    // expected-error @+1 {{'ein.einsum' op operand #0 is indexed out of bounds: 'p - 1' ranges over [-1, 2] but dimension #0 has size 4}}
    %y = ein.einsum copy(%x[p - 1, m]) -> [p, m] : (tensor<4x4xf32>) -> tensor<4x4xf32>
    ein.yield %y : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}

// -----

func.func @out_of_bounds_ceildiv(%x: tensor<4x3xf32>) -> tensor<8xf32> {
  %r = ein.cascade [k] -> (tensor<8xf32>) {
    // expected-error @+1 {{'ein.einsum' op operand #0 is indexed out of bounds: 'k ceildiv 3' ranges over [0, 3] but dimension #1 has size 3}}
    %y = ein.einsum copy(%x[k mod 4, k ceildiv 3]) -> [k] : (tensor<4x3xf32>) -> tensor<8xf32>
    ein.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// In bounds: strided and iterated ranks.
// CHECK-LABEL: func @in_bounds
// CHECK: linalg.generic
func.func @in_bounds(%x: tensor<8xf32>, %rm0: tensor<5xf32>) -> tensor<4xf32> {
  %r = ein.cascade [m1] -> (tensor<4xf32>) {
    %y = ein.einsum add(%rm0[m1 + 1], %x[m1 * 2]) -> [m1] : (tensor<5xf32>, tensor<8xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A rank of extent 0 leaves nothing to compute: the result is the empty
// tensor, or the reduction's initial value (linalg.generic used to fail to
// verify, checking `n + 1` at n = -1).
// CHECK-LABEL: func @zero_extent
// CHECK-NOT: linalg.generic
// CHECK: %[[E:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: return %[[E]]
func.func @zero_extent(%x: tensor<1xf32>, %y: tensor<0xf32>) -> tensor<0xf32> {
  %r = ein.cascade [n] -> (tensor<0xf32>) {
    %z = ein.einsum add(%x[n + 1], %y[n]) -> [n] : (tensor<1xf32>, tensor<0xf32>) -> tensor<0xf32>
    ein.yield %z : tensor<0xf32>
  }
  return %r : tensor<0xf32>
}

// -----

// CHECK-LABEL: func @zero_extent_reduce
// CHECK-NOT: linalg.generic
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: return %[[F]]
func.func @zero_extent_reduce(%x: tensor<4x1xf32>, %y: tensor<0xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, k] -> (tensor<4xf32>) {
    %z = ein.einsum mul(%x[n, k + 1], %y[k]) -> [n] sum[k] : (tensor<4x1xf32>, tensor<0xf32>) -> tensor<4xf32>
    ein.yield %z : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Arithmetic on fp8 reached LLVM translation as an unrealized cast (and a
// max reduction started from NaN, f8E4M3FN having no infinity).
func.func @fp8_add(%x: tensor<4xf8E4M3FN>, %y: tensor<4xf8E4M3FN>) -> tensor<4xf8E4M3FN> {
  %r = ein.cascade [n] -> (tensor<4xf8E4M3FN>) {
    // expected-error @+1 {{'ein.einsum' op unsupported: arithmetic on f8E4M3FN values is not lowered; cast the operands to f32 first}}
    %m = ein.einsum add(%x[n], %y[n]) -> [n] : (tensor<4xf8E4M3FN>, tensor<4xf8E4M3FN>) -> tensor<4xf8E4M3FN>
    ein.yield %m : tensor<4xf8E4M3FN>
  }
  return %r : tensor<4xf8E4M3FN>
}

// -----

func.func @fp8_max_reduce(%x: tensor<4x8xf8E4M3FN>) -> tensor<4xf8E4M3FN> {
  %r = ein.cascade [n, c] -> (tensor<4xf8E4M3FN>) {
    // expected-error @+1 {{'ein.einsum' op unsupported: arithmetic on f8E4M3FN values is not lowered; cast the operands to f32 first}}
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x8xf8E4M3FN>) -> tensor<4xf8E4M3FN>
    ein.yield %m : tensor<4xf8E4M3FN>
  }
  return %r : tensor<4xf8E4M3FN>
}
