// RUN: einfuse-opt %s --einfuse-half-memory-as-integers | FileCheck %s --check-prefix=PASS

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
