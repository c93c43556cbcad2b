// RUN: einfuse-opt %s --einfuse-expand-copies | FileCheck %s

// memref.copy into a strided subview becomes linalg.copy (which lowers to
// loops, not to a call to the memrefCopy runtime function).
// CHECK-LABEL: func @copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<2x4xf32>) outs(%{{.*}} : memref<2x4xf32, strided<[8, 1], offset: ?>>)
func.func @copy(%src: memref<2x4xf32>, %dst: memref<6x8xf32>, %off: index) {
  %v = memref.subview %dst[%off, 0] [2, 4] [1, 1] : memref<6x8xf32> to memref<2x4xf32, strided<[8, 1], offset: ?>>
  memref.copy %src, %v : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: ?>>
  return
}
