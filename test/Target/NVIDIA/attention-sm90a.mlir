// einfuse-compile --target=nvidia:sm_90a on f16 attention with a sliding
// window, head dim 64: the prefill kernel uses warpgroup MMA (wgmma) on
// 128-byte-swizzled shared tiles, with proxy fences between the cp.async
// writes and wgmma reads; the split-KV (decode) kernel stays on mma.sync.
// wgmma=false selects the mma.sync kernel on sm_90a too.
//
// RUN: rm -rf %t
// RUN: einfuse-compile %s --target=nvidia:sm_90a -o %t/wg --emit=assembly
// RUN: FileCheck %s < %t/wg/attention-sm90a.ptx
// RUN: einfuse-compile %s --target=nvidia:sm_90a -o %t/mma --emit=assembly --pipeline-options=wgmma=false
// RUN: FileCheck %s --check-prefix=MMA < %t/mma/attention-sm90a.ptx
// RUN: not einfuse-compile %s --target=nvidia:sm_80 -o %t/bad --pipeline-options=wgmma=true 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not einfuse-compile %s --target=nvidia:sm_90a -o %t/bad --pipeline-options=block-n=32 2>&1 | FileCheck %s --check-prefix=BAD32

// CHECK: .version 8.0
// CHECK: .target sm_90a
// CHECK-LABEL: .entry window_fwd(
// CHECK-DAG: cp.async.cg.shared.global
// CHECK-DAG: fence.proxy.async.shared::cta
// CHECK-DAG: wgmma.fence.sync.aligned
// Q K^T: K-major B (imm-trans-b 0); P V: N-major V (imm-trans-b 1).
// CHECK-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{.*}}, 1, 1, 0, 0;
// CHECK-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {{.*}}, 1, 1, 0, 1;
// CHECK-DAG: wgmma.commit_group.sync.aligned
// CHECK-DAG: wgmma.wait_group.sync.aligned 0
// CHECK-LABEL: .entry window_split(
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// CHECK-LABEL: .entry window_combine(

// MMA-LABEL: .entry window_fwd(
// MMA-NOT: wgmma
// MMA: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

// BAD: error: wgmma=true needs nvidia:sm_90a (wgmma is a Hopper instruction); the target is nvidia:sm_80
// BAD32: error: wgmma=true needs block-n=64 or block-n=128

func.func @window(%q: tensor<2x4x?x64xf16>, %k: tensor<2x4x?x64xf16>,
                  %v: tensor<2x4x?x64xf16>) -> tensor<2x4x?x64xf16> {
  %o = ein.attention %q, %k, %v {window = array<i64: 128, 0>, align = #ein.align<bottom_right>}
      : tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16>
      -> tensor<2x4x?x64xf16>
  return %o : tensor<2x4x?x64xf16>
}
