// RUN: einfuse-opt %s | einfuse-opt | FileCheck %s
// RUN: einfuse-opt %s --mlir-print-op-generic | einfuse-opt | FileCheck %s

// CHECK-LABEL: func @plain
func.func @plain(%q: tensor<2x8x?x64xf32>, %k: tensor<2x8x?x64xf32>, %v: tensor<2x8x?x64xf32>) -> tensor<2x8x?x64xf32> {
  // CHECK: ein.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32> -> tensor<2x8x?x64xf32>
  %o = ein.attention %q, %k, %v : tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32> -> tensor<2x8x?x64xf32>
  return %o : tensor<2x8x?x64xf32>
}

// CHECK-LABEL: func @all_attributes
func.func @all_attributes(%q: tensor<?x8x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x32xbf16>, %m: tensor<?x?xi1>) -> tensor<?x8x?x32xbf16> {
  // CHECK: ein.attention %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<?x?xi1>)
  // CHECK-SAME: align = #ein.align<bottom_right>
  // CHECK-SAME: causal
  // CHECK-SAME: scale = 1.250000e-01 : f64
  // CHECK-SAME: softcap = 3.000000e+01 : f64
  // CHECK-SAME: window = array<i64: 16, 0>
  // CHECK-SAME: : tensor<?x8x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x32xbf16> -> tensor<?x8x?x32xbf16>
  %o = ein.attention %q, %k, %v mask(%m : tensor<?x?xi1>) {causal, window = array<i64: 16, 0>, align = #ein.align<bottom_right>, softcap = 30.0 : f64, scale = 0.125 : f64} : tensor<?x8x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x32xbf16> -> tensor<?x8x?x32xbf16>
  return %o : tensor<?x8x?x32xbf16>
}

// The default alignment is not printed.
// CHECK-LABEL: func @top_left
func.func @top_left(%q: tensor<1x4x16x32xf16>, %k: tensor<1x4x32x32xf16>, %v: tensor<1x4x32x32xf16>) -> tensor<1x4x16x32xf16> {
  // CHECK: ein.attention %{{.*}}, %{{.*}}, %{{.*}} {causal} :
  %o = ein.attention %q, %k, %v {causal, align = #ein.align<top_left>} : tensor<1x4x16x32xf16>, tensor<1x4x32x32xf16>, tensor<1x4x32x32xf16> -> tensor<1x4x16x32xf16>
  return %o : tensor<1x4x16x32xf16>
}

// CHECK-LABEL: func @bias
func.func @bias(%q: tensor<2x8x16x64xf32>, %k: tensor<2x1x32x64xf32>, %v: tensor<2x1x32x64xf32>, %b: tensor<2x8x16x32xf32>) -> tensor<2x8x16x64xf32> {
  // CHECK: ein.attention %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<2x8x16x32xf32>) {window = array<i64: -1, 4>} :
  %o = ein.attention %q, %k, %v mask(%b : tensor<2x8x16x32xf32>) {window = array<i64: -1, 4>} : tensor<2x8x16x64xf32>, tensor<2x1x32x64xf32>, tensor<2x1x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}
