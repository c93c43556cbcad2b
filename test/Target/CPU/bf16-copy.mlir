// A bf16 result the CPU kernel copies into the caller's buffer (a batched
// matmul whose tiles bufferize into a temporary): LLVM's loop vectorizer
// makes the copy of <2 x bfloat> and masked loads of <8 x bfloat>, which
// x86 legalizes through f32 with calls to compiler-rt's __truncsfbf2 (not
// linked into ahead-of-time kernels: an undefined symbol at load time).
// einfuse-half-memory-as-integers moves bf16 memory as i16 instead
// (test/Pipelines/half-memory-as-integers.mlir tests the pass itself).
//
// RUN: rm -rf %t && einfuse-compile %s --target=cpu -o %t
// RUN: llvm-nm %t/bf16-copy.o | FileCheck %s

// CHECK-NOT: __truncsfbf2
// CHECK-NOT: __extendbfsf2
// CHECK:     T _mlir_ciface_bmm
// CHECK-NOT: __truncsfbf2

func.func @bmm(%x: tensor<?x?x?xbf16>, %y: tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16> {
  %r = ein.cascade [b, m, n, k] -> (tensor<?x?x?xbf16>) {
    %acc = ein.einsum custom(%x[b, m, k], %y[b, k, n]) -> [b, m, n] sum[k] {
    ^bb0(%xa_h: bf16, %ya_h: bf16):
      %xa = arith.extf %xa_h : bf16 to f32
      %ya = arith.extf %ya_h : bf16 to f32
      %pa = arith.mulf %xa, %ya : f32
      ein.yield %pa : f32
    }
        : (tensor<?x?x?xbf16>, tensor<?x?x?xbf16>) -> tensor<?x?x?xf32>
    %o = ein.einsum cast(%acc[b, m, n]) -> [b, m, n]
        : (tensor<?x?x?xf32>) -> tensor<?x?x?xbf16>
    ein.yield %o : tensor<?x?x?xbf16>
  }
  return %r : tensor<?x?x?xbf16>
}
