// RUN: einfuse-opt %s --einfuse-approximate-math | FileCheck %s
// RUN: einfuse-opt %s --einfuse-cpu-pipeline | FileCheck %s --check-prefix=CPU
// RUN: einfuse-opt %s --einfuse-cpu-pipeline=approximate-math=false | FileCheck %s --check-prefix=LIBM

// exp on f32 becomes polynomial arithmetic (which vectorises);
// other functions keep their LLVM intrinsics (libm calls in the end). The
// CPU pipeline applies it unless approximate-math=false.
// CHECK-LABEL: func.func @f
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK: arith.bitcast
// CHECK: math.log
// CPU-NOT: llvm.intr.exp
// CPU: llvm.intr.log
// LIBM: llvm.intr.exp
func.func @f(%x: f32, %v: vector<8xf32>) -> (f32, vector<8xf32>, f32) {
  %a = math.exp %x : f32
  %c = math.exp %v : vector<8xf32>
  %d = math.log %x : f32
  return %a, %c, %d : f32, vector<8xf32>, f32
}
