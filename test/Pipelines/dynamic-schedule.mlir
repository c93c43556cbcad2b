// RUN: einfuse-opt %s --einfuse-dynamic-schedule | FileCheck %s

// A worksharing loop over tiles (each iteration a loop nest) is scheduled
// dynamically; a loop over elements, or one that has a schedule, is not.
// CHECK-LABEL: func @loops
// CHECK: omp.wsloop schedule(dynamic) {
// CHECK: omp.wsloop {
// CHECK: omp.wsloop schedule(static) {
func.func @loops(%n: index, %m: index, %buf: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        scf.for %j = %c0 to %m step %c1 {
          memref.store %f, %buf[%j] : memref<?xf32>
        }
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %f, %buf[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.wsloop schedule(static) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        scf.for %j = %c0 to %m step %c1 {
          memref.store %f, %buf[%j] : memref<?xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
