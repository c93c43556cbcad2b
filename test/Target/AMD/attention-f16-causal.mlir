// einfuse-compile --target=amd:{gfx942,gfx90a} on a causal f16 attention
// with head dim 128 and dynamic batch and sequence sizes: MFMA in the
// assembly, no scratch, an AMDGPU hsaco, a HIP launcher that compiles.
//
// RUN: rm -rf %t.942 %t.90a
// RUN: einfuse-compile %s --target=amd:gfx942 -o %t.942
// RUN: FileCheck %s --check-prefixes=ISA,ISA942 < %t.942/attention-f16-causal.s
// RUN: llvm-readobj --file-headers --notes %t.942/attention-f16-causal.hsaco | FileCheck %s --check-prefixes=ELF,ELF942
// RUN: FileCheck %s --check-prefix=HEADER < %t.942/attention-f16-causal.h
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t.942/attention-f16-causal.c
// RUN: einfuse-compile %s --target=amd:gfx90a -o %t.90a
// RUN: FileCheck %s --check-prefixes=ISA,ISA90A < %t.90a/attention-f16-causal.s
// RUN: llvm-readobj --file-headers --notes %t.90a/attention-f16-causal.hsaco | FileCheck %s --check-prefixes=ELF,ELF90A
// RUN: %if hip-headers %{ %cc -std=c99 -Wall -Wextra -Werror -fsyntax-only -I%t.942 %t.942/attention-f16-causal.c %}
// RUN: %if hip-headers %{ %cc -std=c99 -Wall -Wextra -Werror -fsyntax-only -I%t.90a %t.90a/attention-f16-causal.c %}

// ISA942:    .amdgcn_target "amdgcn-amd-amdhsa--gfx942
// ISA90A:    .amdgcn_target "amdgcn-amd-amdhsa--gfx90a
// ISA-LABEL: causal_attention:
// ISA942:    v_mfma_f32_16x16x16_f16
// ISA90A:    v_mfma_f32_16x16x16f16
// ISA:       v_exp_f32
// ISA:       s_endpgm
// ISA:       .amdhsa_kernel causal_attention
// ISA-NEXT:  .amdhsa_group_segment_fixed_size
// ISA-NEXT:  .amdhsa_private_segment_fixed_size 0
// ISA:       .name: causal_attention
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .sgpr_spill_count: 0
// ISA:       .vgpr_spill_count: 0

// ELF:       Type: SharedObject
// ELF-NEXT:  Machine: EM_AMDGPU
// ELF942:    EF_AMDGPU_MACH_AMDGCN_GFX942
// ELF90A:    EF_AMDGPU_MACH_AMDGCN_GFX90A
// ELF:       Type: NT_AMDGPU_METADATA
// ELF:       .name: causal_attention
// ELF-NEXT:  .private_segment_fixed_size: 0
// ELF942:    amdhsa.target: amdgcn-amd-amdhsa--gfx942
// ELF90A:    amdhsa.target: amdgcn-amd-amdhsa--gfx90a

// HEADER:      #include <hip/hip_runtime_api.h>
// HEADER:      einfuse_status causal(const einfuse_f16 *q, int64_t q_dim0, int64_t q_dim2, const einfuse_f16 *k, int64_t k_dim0, int64_t k_dim2, const einfuse_f16 *v, int64_t v_dim0, int64_t v_dim2, einfuse_f16 *out, int64_t out_dim0, int64_t out_dim2, hipStream_t stream);
// HEADER-NEXT: einfuse_status causal_workspace_size(const einfuse_f16 *q, int64_t q_dim0, int64_t q_dim2, const einfuse_f16 *k, int64_t k_dim0, int64_t k_dim2, const einfuse_f16 *v, int64_t v_dim0, int64_t v_dim2, einfuse_f16 *out, int64_t out_dim0, int64_t out_dim2, size_t *bytes);
// HEADER-NEXT: einfuse_status causal_with_workspace(const einfuse_f16 *q, int64_t q_dim0, int64_t q_dim2, const einfuse_f16 *k, int64_t k_dim0, int64_t k_dim2, const einfuse_f16 *v, int64_t v_dim0, int64_t v_dim2, einfuse_f16 *out, int64_t out_dim0, int64_t out_dim2, void *workspace, size_t workspace_bytes, hipStream_t stream);

// Sizes that must agree are checked; the grid is (ceil(Sq / 64), B * Hq) of
// 256 lanes; the kernel takes q, k, v, out as memrefs, then B, Sq, Sk.
// LAUNCHER:      static int einfuse_chip0_causal(
// LAUNCHER:        int64_t gx = ((in0_dim2) + 63) / 64, gy = (in0_dim0) * 8, gz = 1;
// LAUNCHER:        int32_t p4 = (int32_t)(in0_dim0);
// LAUNCHER-NEXT:   int32_t p5 = (int32_t)(in0_dim2);
// LAUNCHER-NEXT:   int32_t p6 = (int32_t)(in1_dim2);
// LAUNCHER:        hipModuleLaunchKernel(einfuse_fns[0], (unsigned)gx, (unsigned)gy, (unsigned)gz, 256, 1, 1, 0, stream, params, NULL)
// LAUNCHER:      static int einfuse_run_causal(
// LAUNCHER:        if (in1_dim0 != in0_dim0) return -2;
// LAUNCHER:        if (out0_dim2 != in0_dim2) return -2;
// LAUNCHER:        if (in2_dim2 != in1_dim2) return -2;
// LAUNCHER:        if (hipGetDevice(&dev) != hipSuccess) return -3;
// LAUNCHER:      einfuse_status causal(const einfuse_f16 *q,

func.func @causal(%q: tensor<?x8x?x128xf16>, %k: tensor<?x8x?x128xf16>,
                  %v: tensor<?x8x?x128xf16>) -> tensor<?x8x?x128xf16> {
  %o = ein.attention %q, %k, %v {causal}
      : tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>
      -> tensor<?x8x?x128xf16>
  return %o : tensor<?x8x?x128xf16>
}
