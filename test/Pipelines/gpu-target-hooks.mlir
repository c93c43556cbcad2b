// RUN: einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-target-hooks{target=nvidia:sm_90a})" | FileCheck %s

// einfuse-gpu-target-hooks on an outlined kernel: the target attribute,
// exp as ex2.approx, and divisions inside a loop by a divisor the loop does
// not change (the row's sum, read from the thread's own state, which the
// loop does not write) as products with its reciprocal, computed once
// before the loop. A divisor the loop changes, and f16 divisions (two
// roundings in f16 would cost more than an ulp), stay divisions.

// CHECK:       gpu.module @k [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">]
// CHECK-LABEL: gpu.func @rows
// CHECK:         %[[SUM:.*]] = memref.load %[[STATE:.*]][%{{.*}}] : memref<1xf32>
// CHECK:         %[[R:.*]] = arith.divf %{{.*}}, %[[SUM]] : f32
// CHECK:         scf.for
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// CHECK:           %[[Q:.*]] = arith.mulf %{{.*}}, %[[R]] : f32
// CHECK:           memref.store %[[Q]], %{{.*}} : memref<?xf32>
// CHECK:         scf.for
// CHECK:           %[[V:.*]] = memref.load %[[STATE]]
// CHECK:           arith.divf %{{.*}}, %[[V]] : f32
// CHECK:           memref.store %{{.*}}, %[[STATE]]
// CHECK:         scf.for
// CHECK:           arith.divf %{{.*}}, %{{.*}} : f16
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @rows(%x: memref<?xf32>, %y: memref<?xf32>, %h: memref<?xf16>, %d: f16) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %one = arith.constant 1.0 : f32
      %n = memref.dim %x, %c0 : memref<?xf32>
      %state = memref.alloca() : memref<1xf32>
      memref.store %one, %state[%c0] : memref<1xf32>
      scf.for %i = %c0 to %n step %c1 {
        %v = memref.load %x[%i] : memref<?xf32>
        %e = math.exp %v : f32
        %s = memref.load %state[%c0] : memref<1xf32>
        %q = arith.divf %e, %s : f32
        memref.store %q, %y[%i] : memref<?xf32>
      }
      scf.for %i = %c0 to %n step %c1 {
        %v = memref.load %x[%i] : memref<?xf32>
        %s = memref.load %state[%c0] : memref<1xf32>
        %q = arith.divf %v, %s : f32
        memref.store %q, %state[%c0] : memref<1xf32>
      }
      scf.for %i = %c0 to %n step %c1 {
        %v = memref.load %h[%i] : memref<?xf16>
        %q = arith.divf %v, %d : f16
        memref.store %q, %h[%i] : memref<?xf16>
      }
      gpu.return
    }
  }
}
