// einfuse-compile --target=amd:{gfx942,gfx90a} on ein.qmatmul, through the
// shared GPU lowering (--einfuse-gpu-matrix-ops): int4 weights with zero
// points and f16 activations, int8 weights with bf16 activations, uint4
// weights with f32 scales. The weights are dequantized in the MFMA operand
// loads; no scratch.
//
// RUN: rm -rf %t.942 %t.90a
// RUN: einfuse-compile %s --target=amd:gfx942 -o %t.942
// RUN: FileCheck %s --check-prefixes=ISA,ISA942 < %t.942/qmatmul.s
// RUN: llvm-readobj --file-headers --notes %t.942/qmatmul.hsaco | FileCheck %s --check-prefixes=ELF,ELF942
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t.942/qmatmul.c
// RUN: einfuse-compile %s --target=amd:gfx90a -o %t.90a
// RUN: FileCheck %s --check-prefixes=ISA,ISA90A < %t.90a/qmatmul.s
// RUN: llvm-readobj --file-headers --notes %t.90a/qmatmul.hsaco | FileCheck %s --check-prefixes=ELF,ELF90A
// RUN: %if hip-headers %{ %cc -std=c99 -Wall -Wextra -Werror -fsyntax-only -I%t.942 %t.942/qmatmul.c %}
// RUN: %if hip-headers %{ %cc -std=c99 -Wall -Wextra -Werror -fsyntax-only -I%t.90a %t.90a/qmatmul.c %}

// Each kernel with a run-time M is two: the lanes' (M <= small_m = 8, a
// wave per output element, no MFMA) and the matrix one (_0).
// ISA-LABEL: qm_int4_kernel:
// ISA-NOT:   v_mfma
// ISA-LABEL: qm_int4_kernel_0:
// ISA942:    v_mfma_f32_16x16x16_f16
// ISA90A:    v_mfma_f32_16x16x16f16
// ISA-LABEL: qm_int8_kernel:
// ISA-NOT:   v_mfma
// ISA-LABEL: qm_int8_kernel_0:
// ISA942:    v_mfma_f32_16x16x16_bf16
// ISA90A:    v_mfma_f32_16x16x16bf16_1k
// ISA-LABEL: qm_int8_f32_kernel:
// ISA-NOT:   v_mfma
// ISA-LABEL: qm_int8_f32_kernel_0:
// ISA-NOT:   v_mfma
// ISA-LABEL: qm_uint4_kernel:
// ISA942:    v_mfma_f32_16x16x16_f16
// ISA90A:    v_mfma_f32_16x16x16f16
// ISA-LABEL: qm_small_m_kernel:
// ISA-NOT:   v_mfma
// ISA:       .name: qm_int4_kernel
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0
// ISA:       .group_segment_fixed_size: 4096
// ISA:       .name: qm_int4_kernel_0
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0
// ISA:       .name: qm_int8_kernel
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0
// ISA:       .name: qm_int8_kernel_0
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0
// ISA:       .name: qm_int8_f32_kernel
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0
// ISA:       .name: qm_int8_f32_kernel_0
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0
// ISA:       .name: qm_uint4_kernel
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0
// ISA:       .name: qm_small_m_kernel
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0

// ELF:       Type: SharedObject
// ELF-NEXT:  Machine: EM_AMDGPU
// ELF942:    EF_AMDGPU_MACH_AMDGCN_GFX942
// ELF90A:    EF_AMDGPU_MACH_AMDGCN_GFX90A
// ELF:       .name: qm_int4_kernel
// ELF:       .name: qm_int4_kernel_0
// ELF:       .name: qm_int8_kernel
// ELF:       .name: qm_uint4_kernel

// The lanes' launch: 4 waves a block, one per output element, over
// M * N points when M <= 8 and none otherwise; the matrix launch: one block
// of 4 waves per 16 x 16 tile of the output (K split over the waves,
// k_split = 4), ceil(M / 16) * ceil(N / 16) blocks when M > 8 and none
// otherwise. The launcher skips a grid of no blocks. The f32 result on the
// scalar path keeps 4 tiles a block.
// LAUNCHER:      static int einfuse_chip0_qm_int4(
// LAUNCHER:        int64_t gx = (((((((int64_t)in0_dim0) <= ((int64_t)8LL)) ? ((int64_t)in0_dim0) : ((int64_t)0LL)) * ((int64_t)128LL)) + ((int64_t)4LL) - 1) / ((int64_t)4LL)),
// LAUNCHER:        if (gx > 0 && gy > 0 && gz > 0 &&
// LAUNCHER:        int64_t gx = (((((((int64_t)in0_dim0) <= ((int64_t)8LL)) ? ((int64_t)0LL) : ((int64_t)in0_dim0)) + ((int64_t)16LL) - 1) / ((int64_t)16LL)) * ((int64_t)8LL)),
// LAUNCHER:        if (gx > 0 && gy > 0 && gz > 0 &&
// LAUNCHER:      static int einfuse_run_qm_int4(
// LAUNCHER:        if (out0_dim0 != in0_dim0) return -2;
// LAUNCHER:      static int einfuse_chip0_qm_int8(
// LAUNCHER:        int64_t gx = {{.*}}in0_dim0{{.*}}8LL{{.*}}in0_dim0{{.*}}0LL{{.*}}96LL{{.*}}4LL
// LAUNCHER:        int64_t gx = {{.*}}in0_dim0{{.*}}8LL{{.*}}0LL{{.*}}in0_dim0{{.*}}16LL{{.*}}6LL
// LAUNCHER:      static int einfuse_chip0_qm_int8_f32(
// LAUNCHER:        int64_t gx = {{.*}}in0_dim0{{.*}}8LL{{.*}}in0_dim0{{.*}}0LL{{.*}}96LL{{.*}}4LL
// LAUNCHER:        int64_t gx = {{.*}}in0_dim0{{.*}}8LL{{.*}}0LL{{.*}}in0_dim0{{.*}}16LL{{.*}}6LL{{.*}}4LL
// LAUNCHER:      static int einfuse_chip0_qm_uint4(
// LAUNCHER:        int64_t gx = ((int64_t)4LL)
// LAUNCHER:      static int einfuse_chip0_qm_small_m(
// LAUNCHER:        int64_t gx = ((int64_t)35LL)

func.func @qm_int4(%x: tensor<?x256xf16>, %w: tensor<128x128xi8>,
                   %s: tensor<128x2xf16>, %z: tensor<128x2xf16>)
    -> tensor<?x128xf16> {
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z)
      format(#ein.qformat<kind = int4, group_size = 128, zero_point = true>)
      : tensor<?x256xf16>, tensor<128x128xi8>, tensor<128x2xf16>,
        tensor<128x2xf16> -> tensor<?x128xf16>
  return %o : tensor<?x128xf16>
}

func.func @qm_int8(%x: tensor<?x256xbf16>, %w: tensor<96x256xi8>,
                   %s: tensor<96x8xf32>) -> tensor<?x96xbf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 32>)
      : tensor<?x256xbf16>, tensor<96x256xi8>, tensor<96x8xf32>
      -> tensor<?x96xbf16>
  return %o : tensor<?x96xbf16>
}

// An f32 result: rounding the dequantized weights to bf16 for the MFMA
// would change it beyond the contract, so the lanes' scalar path computes
// it (correct, slower).
func.func @qm_int8_f32(%x: tensor<?x256xbf16>, %w: tensor<96x256xi8>,
                       %s: tensor<96x8xf32>) -> tensor<?x96xf32> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 32>)
      : tensor<?x256xbf16>, tensor<96x256xi8>, tensor<96x8xf32>
      -> tensor<?x96xf32>
  return %o : tensor<?x96xf32>
}

func.func @qm_uint4(%x: tensor<17x64xf16>, %w: tensor<20x32xi8>,
                    %s: tensor<20x16xf32>) -> tensor<17x20xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = uint4, group_size = 4>)
      : tensor<17x64xf16>, tensor<20x32xi8>, tensor<20x16xf32>
      -> tensor<17x20xf16>
  return %o : tensor<17x20xf16>
}

// A static M of at most small_m: the lanes' kernel alone, 7 * 20 waves.
func.func @qm_small_m(%x: tensor<7x64xf16>, %w: tensor<20x32xi8>,
                      %s: tensor<20x16xf32>) -> tensor<7x20xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = uint4, group_size = 4>)
      : tensor<7x64xf16>, tensor<20x32xi8>, tensor<20x16xf32>
      -> tensor<7x20xf16>
  return %o : tensor<7x20xf16>
}
