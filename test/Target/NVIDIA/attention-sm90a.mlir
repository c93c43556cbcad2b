// einfuse-compile --target=nvidia:sm_90a on f16 attention with a sliding
// window, head dim 64. On sm_90a the kernels use the same mma.sync path as
// sm_80 (wgmma is not emitted yet: docs/target-nvidia.md).
//
// RUN: rm -rf %t
// RUN: einfuse-compile %s --target=nvidia:sm_90a -o %t --emit=assembly
// RUN: FileCheck %s < %t/attention-sm90a.ptx

// CHECK: .version 8.0
// CHECK: .target sm_90a
// CHECK-LABEL: .entry window_fwd(
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// CHECK-LABEL: .entry window_split(
// CHECK-LABEL: .entry window_combine(

func.func @window(%q: tensor<2x4x?x64xf16>, %k: tensor<2x4x?x64xf16>,
                  %v: tensor<2x4x?x64xf16>) -> tensor<2x4x?x64xf16> {
  %o = ein.attention %q, %k, %v {window = array<i64: 128, 0>, align = #ein.align<bottom_right>}
      : tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16>
      -> tensor<2x4x?x64xf16>
  return %o : tensor<2x4x?x64xf16>
}
