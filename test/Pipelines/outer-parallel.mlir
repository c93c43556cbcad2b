// RUN: einfuse-opt %s --einfuse-outer-parallel | FileCheck %s

// The nested parallel loop becomes plain loops; the outer one stays.
// CHECK-LABEL: func @nest
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.for %[[K:.*]] =
// CHECK-NOT: scf.parallel
// CHECK: scf.for %[[J:.*]] =
// CHECK: scf.for %[[L:.*]] =
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]], %[[L]]]
func.func @nest(%m: memref<4x8x2xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %k = %c0 to %c2 step %c1 {
      scf.parallel (%j, %l) = (%c0, %c0) to (%c8, %c2) step (%c1, %c1) {
        memref.store %v, %m[%i, %j, %l] : memref<4x8x2xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// Three levels: both inner ones become loops (inside out), the outer stays.
// CHECK-LABEL: func @three_levels
// CHECK: scf.parallel (%[[A:.*]]) =
// CHECK-NOT: scf.parallel
// CHECK: scf.for %[[B:.*]] =
// CHECK: scf.for %[[C:.*]] =
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[A]], %[[B]], %[[C]]]
func.func @three_levels(%m: memref<4x8x2xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
      scf.parallel (%l) = (%c0) to (%c2) step (%c1) {
        memref.store %v, %m[%i, %j, %l] : memref<4x8x2xf32>
        scf.reduce
      }
      scf.reduce
    }
    scf.reduce
  }
  return
}
