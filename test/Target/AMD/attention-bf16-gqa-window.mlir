// einfuse-compile --target=amd:{gfx942,gfx90a} on a bf16 attention with
// head dim 64, grouped-query heads (8 query heads on 2 kv heads), a
// bottom-right aligned sliding window and a static batch: bf16 MFMA
// (bf16_1k on gfx90a), no scratch, an AMDGPU hsaco, a HIP launcher.
//
// RUN: rm -rf %t.942 %t.90a
// RUN: einfuse-compile %s --target=amd:gfx942 -o %t.942
// RUN: FileCheck %s --check-prefixes=ISA,ISA942 < %t.942/attention-bf16-gqa-window.s
// RUN: llvm-readobj --file-headers --notes %t.942/attention-bf16-gqa-window.hsaco | FileCheck %s --check-prefixes=ELF,ELF942
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t.942/attention-bf16-gqa-window.c
// RUN: einfuse-compile %s --target=amd:gfx90a -o %t.90a
// RUN: FileCheck %s --check-prefixes=ISA,ISA90A < %t.90a/attention-bf16-gqa-window.s
// RUN: llvm-readobj --file-headers --notes %t.90a/attention-bf16-gqa-window.hsaco | FileCheck %s --check-prefixes=ELF,ELF90A
// RUN: %if hip-headers %{ %cc -std=c99 -Wall -Wextra -Werror -fsyntax-only -I%t.942 %t.942/attention-bf16-gqa-window.c %}
// RUN: %if hip-headers %{ %cc -std=c99 -Wall -Wextra -Werror -fsyntax-only -I%t.90a %t.90a/attention-bf16-gqa-window.c %}

// ISA-LABEL: gqa_window_attention:
// ISA942:    v_mfma_f32_16x16x16_bf16
// ISA90A:    v_mfma_f32_16x16x16bf16_1k
// ISA:       s_endpgm
// ISA:       .amdhsa_kernel gqa_window_attention
// ISA-NEXT:  .amdhsa_group_segment_fixed_size
// ISA-NEXT:  .amdhsa_private_segment_fixed_size 0
// ISA:       .name: gqa_window_attention
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .sgpr_spill_count: 0
// ISA:       .vgpr_spill_count: 0

// ELF:       Type: SharedObject
// ELF-NEXT:  Machine: EM_AMDGPU
// ELF942:    EF_AMDGPU_MACH_AMDGCN_GFX942
// ELF90A:    EF_AMDGPU_MACH_AMDGCN_GFX90A
// ELF:       .name: gqa_window_attention
// ELF-NEXT:  .private_segment_fixed_size: 0

// The static batch (2) and the query heads (8) size the grid.
// LAUNCHER:      static int einfuse_chip0_gqa_window(
// LAUNCHER:        int64_t gx = ((in0_dim2) + 63) / 64, gy = (2) * 8, gz = 1;
// LAUNCHER:        int32_t p4 = (int32_t)(2);

func.func @gqa_window(%q: tensor<2x8x?x64xbf16>, %k: tensor<2x2x?x64xbf16>,
                      %v: tensor<2x2x?x64xbf16>) -> tensor<2x8x?x64xbf16> {
  %o = ein.attention %q, %k, %v {window = array<i64: 128, 0>,
                                 align = #ein.align<bottom_right>,
                                 scale = 0.125 : f64}
      : tensor<2x8x?x64xbf16>, tensor<2x2x?x64xbf16>, tensor<2x2x?x64xbf16>
      -> tensor<2x8x?x64xbf16>
  return %o : tensor<2x8x?x64xbf16>
}
