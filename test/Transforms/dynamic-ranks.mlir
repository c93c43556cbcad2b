// RUN: einfuse-opt %s --split-input-file --ein-dynamic-ranks | FileCheck %s
// RUN: einfuse-opt %s --ein-dynamic-ranks="ranks=n" | FileCheck %s --check-prefix=NAMED
// RUN: not einfuse-opt %s --ein-dynamic-ranks="ranks=nn" 2>&1 | FileCheck %s --check-prefix=TYPO
// RUN: not einfuse-opt %s --ein-dynamic-ranks="ranks=auto,n" 2>&1 | FileCheck %s --check-prefix=MIXED
// RUN: einfuse-opt %s --split-input-file --einfuse-cpu-pipeline="threads=true parallel-tile=2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=THREADS --allow-empty

// TYPO: error: ein-dynamic-ranks: rank 'nn' is not a rank of any cascade
// MIXED: error: ein-dynamic-ranks: 'auto' and 'all' cannot be combined with rank names
// The CPU pipeline with threads compiles these (no error, no remark that
// the heads run on one thread).
// THREADS-NOT: error
// THREADS-NOT: run on one thread

// Decode-style softmax rows: static rows (n = 8) become dynamic inside the
// cascade so that threads=true can tile them; the inputs are cast before,
// the result after. What is computed is unchanged.
// CHECK-LABEL: func @rows
// CHECK: %[[X:.*]] = tensor.cast %arg0 : tensor<8x?xf32> to tensor<?x?xf32>
// CHECK: %[[R:.*]] = ein.cascade [n, c] -> (tensor<?x?xf32>)
// CHECK: ein.einsum copy(%[[X]][n, c]) -> [n] max[c] : (tensor<?x?xf32>) -> tensor<?xf32>
// CHECK: ein.yield %{{.*}} : tensor<?x?xf32>
// CHECK: %[[B:.*]] = tensor.cast %[[R]] : tensor<?x?xf32> to tensor<8x?xf32>
// CHECK: return %[[B]]
// NAMED-LABEL: func @rows
// NAMED: tensor.cast %arg0 : tensor<8x?xf32> to tensor<?x?xf32>
func.func @rows(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %r = ein.cascade [n, c] -> (tensor<8x?xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<8x?xf32>) -> tensor<8xf32>
    %p = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<8x?xf32>, tensor<8xf32>) -> tensor<8x?xf32>
    ein.yield %p : tensor<8x?xf32>
  }
  return %r : tensor<8x?xf32>
}

// -----

// A rank with a declared extent, or one a compound expression uses, stays.
// CHECK-LABEL: func @declared
// CHECK-NOT: tensor.cast
// CHECK: ein.cascade [n = 4, c] -> (tensor<4xf32>)
func.func @declared(%x: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n = 4, c] -> (tensor<4xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A transposed read of a value made inside (p[m, h] of p = [h, m]) would
// see a dynamic dim where it expects a static one: the cascade stays.
// CHECK-LABEL: func @transposed
// CHECK-NOT: tensor.cast
func.func @transposed(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = ein.cascade [h, m] -> (tensor<4x4xf32>) {
    %p = ein.einsum exp(%x[h, m]) -> [h, m] : (tensor<4x4xf32>) -> tensor<4x4xf32>
    %t = ein.einsum add(%p[h, m], %p[m, h]) -> [h, m] : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    ein.yield %t : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}
