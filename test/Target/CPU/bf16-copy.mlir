// A bf16 result the CPU kernel copies into the caller's buffer (a batched
// matmul whose tiles bufferize into a temporary): LLVM's loop vectorizer
// makes the copy of <2 x bfloat> and masked loads of <8 x bfloat>, which
// x86 legalizes through f32 with calls to compiler-rt's __truncsfbf2 (not
// linked into ahead-of-time kernels: an undefined symbol at load time).
// einfuse-half-memory-as-integers moves bf16 memory as i16 instead.
//
// RUN: rm -rf %t && einfuse-compile %s --target=cpu -o %t
// RUN: llvm-nm %t/bf16-copy.o | FileCheck %s
// RUN: einfuse-opt %s --split-input-file --einfuse-half-memory-as-integers | FileCheck %s --check-prefix=PASS

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

// -----

// The pass itself, on the LLVM dialect: loads, stores and masked loads and
// stores of bf16 (scalars and vectors) become i16 ones with bitcasts; other
// types are left alone.
// PASS-LABEL: llvm.func @moves(
// PASS:         %[[L:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i16
// PASS:         %[[LB:.*]] = llvm.bitcast %[[L]] : i16 to bf16
// PASS:         %[[S:.*]] = llvm.bitcast %[[LB]] : bf16 to i16
// PASS:         llvm.store %[[S]], %{{.*}} : i16, !llvm.ptr
// PASS:         %[[P:.*]] = llvm.bitcast %{{.*}} : vector<8xbf16> to vector<8xi16>
// PASS:         %[[M:.*]] = llvm.intr.masked.load %{{.*}}, %{{.*}}, %[[P]] {{.*}} -> vector<8xi16>
// PASS:         %[[MB:.*]] = llvm.bitcast %[[M]] : vector<8xi16> to vector<8xbf16>
// PASS:         %[[MS:.*]] = llvm.bitcast %[[MB]] : vector<8xbf16> to vector<8xi16>
// PASS:         llvm.intr.masked.store %[[MS]], %{{.*}}, %{{.*}} {{.*}} : vector<8xi16>, vector<8xi1> into !llvm.ptr
// PASS:         llvm.load %{{.*}} : !llvm.ptr -> f32
// PASS-NOT:     llvm.bitcast
// PASS:         llvm.return
llvm.func @moves(%p: !llvm.ptr, %q: !llvm.ptr, %mask: vector<8xi1>, %zero: vector<8xbf16>) -> f32 {
  %a = llvm.load %p : !llvm.ptr -> bf16
  llvm.store %a, %q : bf16, !llvm.ptr
  %v = llvm.intr.masked.load %p, %mask, %zero {alignment = 2 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xbf16>) -> vector<8xbf16>
  llvm.intr.masked.store %v, %q, %mask {alignment = 2 : i32} : vector<8xbf16>, vector<8xi1> into !llvm.ptr
  %f = llvm.load %p : !llvm.ptr -> f32
  llvm.return %f : f32
}
