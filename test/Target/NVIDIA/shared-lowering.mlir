// What the hand-written NVIDIA attention kernels do not take (masks,
// softcap, f32, other head dims, Dv != D, cascades) goes through the shared
// GPU lowering: the kernel is `<function>_kernel`, derived from the
// cascade, with the target's math instructions. Each function is compiled
// alone (split-input-file).
//
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in mask softcap f32 dim96 dv cascade dim256; do einfuse-compile %t/$f.mlir --target=nvidia:sm_80 --emit=assembly -o %t/out-$f || exit 1; cat %t/out-$f/$f.ptx; done | FileCheck %s
// RUN: not einfuse-compile %t/f32.mlir --target=nvidia:sm_80 --pipeline-options=warps=3 -o %t/out-opt 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not einfuse-compile %t/f32.mlir --target=amd:gfx942 --pipeline-options=warps=4 -o %t/out-opt 2>&1 | FileCheck %s --check-prefix=AMDOPT
// RUN: not einfuse-compile %t/f32.mlir --target=nvidia:sm_80 --pipeline-options="split=4 tile-sise=32" -o %t/out-opt 2>&1 | FileCheck %s --check-prefix=TYPO
// RUN: not einfuse-compile %t/f32.mlir --target=amd:gfx942 --pipeline-options=split=2000 -o %t/out-opt 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not ls %t/out-opt

// Seven kernels, each from its cascade; the attention ones use ex2.approx.
// CHECK-COUNT-7: .visible .entry f_kernel(
// CHECK-NOT: .entry f_fwd
// OPT: error: invalid NVIDIA target option 'warps=3' (expected warps=4|8, block-n=32|64|128, wgmma=true|false)
// AMDOPT: error: 'warps=4' is an option of the hand-written NVIDIA attention kernels; the amd:gfx942 target does not take it
// TYPO: error: invalid GPU pipeline option 'tile-sise=32' (expected lanes=, matrix-tile=, small-m=, split=, threads= or tile-size= for the shared GPU lowering, or warps=, block-n=, wgmma= for the hand-written NVIDIA attention kernels)
// RANGE: f32.mlir:{{[0-9]+}}:{{[0-9]+}}: error: einfuse-gpu-pipeline: split must be in [0, 1024] (-1: the target's default), got 2000

//--- mask.mlir
func.func @f(%q: tensor<1x2x8x64xf16>, %k: tensor<1x2x8x64xf16>, %v: tensor<1x2x8x64xf16>, %m: tensor<8x8xi1>) -> tensor<1x2x8x64xf16> {
  %o = ein.attention %q, %k, %v mask(%m : tensor<8x8xi1>)
      : tensor<1x2x8x64xf16>, tensor<1x2x8x64xf16>, tensor<1x2x8x64xf16> -> tensor<1x2x8x64xf16>
  return %o : tensor<1x2x8x64xf16>
}
//--- softcap.mlir
func.func @f(%q: tensor<1x2x8x64xf16>, %k: tensor<1x2x8x64xf16>, %v: tensor<1x2x8x64xf16>) -> tensor<1x2x8x64xf16> {
  %o = ein.attention %q, %k, %v {softcap = 30.0 : f64} : tensor<1x2x8x64xf16>, tensor<1x2x8x64xf16>, tensor<1x2x8x64xf16> -> tensor<1x2x8x64xf16>
  return %o : tensor<1x2x8x64xf16>
}
//--- f32.mlir
func.func @f(%q: tensor<1x2x8x64xf32>, %k: tensor<1x2x8x64xf32>, %v: tensor<1x2x8x64xf32>) -> tensor<1x2x8x64xf32> {
  %o = ein.attention %q, %k, %v : tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32> -> tensor<1x2x8x64xf32>
  return %o : tensor<1x2x8x64xf32>
}
//--- dim96.mlir
func.func @f(%q: tensor<1x2x8x96xf16>, %k: tensor<1x2x8x96xf16>, %v: tensor<1x2x8x96xf16>) -> tensor<1x2x8x96xf16> {
  %o = ein.attention %q, %k, %v : tensor<1x2x8x96xf16>, tensor<1x2x8x96xf16>, tensor<1x2x8x96xf16> -> tensor<1x2x8x96xf16>
  return %o : tensor<1x2x8x96xf16>
}
//--- dv.mlir
func.func @f(%q: tensor<1x2x8x64xf16>, %k: tensor<1x2x8x64xf16>, %v: tensor<1x2x8x128xf16>) -> tensor<1x2x8x128xf16> {
  %o = ein.attention %q, %k, %v : tensor<1x2x8x64xf16>, tensor<1x2x8x64xf16>, tensor<1x2x8x128xf16> -> tensor<1x2x8x128xf16>
  return %o : tensor<1x2x8x128xf16>
}
//--- cascade.mlir
func.func @f(%x: tensor<4x8xf16>) -> tensor<4xf16> {
  %r = ein.cascade [p, m] -> (tensor<4xf16>) {
    %s = ein.einsum copy(%x[p, m]) -> [p] sum[m] : (tensor<4x8xf16>) -> tensor<4xf16>
    ein.yield %s : tensor<4xf16>
  }
  return %r : tensor<4xf16>
}
//--- dim256.mlir
func.func @f(%q: tensor<1x2x8x256xf16>, %k: tensor<1x2x8x256xf16>, %v: tensor<1x2x8x256xf16>) -> tensor<1x2x8x256xf16> {
  %o = ein.attention %q, %k, %v : tensor<1x2x8x256xf16>, tensor<1x2x8x256xf16>, tensor<1x2x8x256xf16> -> tensor<1x2x8x256xf16>
  return %o : tensor<1x2x8x256xf16>
}
