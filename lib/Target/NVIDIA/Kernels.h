//===- Kernels.h - NVIDIA kernel builders (internal) ------------*- C++ -*-===//
#ifndef EINFUSE_LIB_TARGET_NVIDIA_KERNELS_H
#define EINFUSE_LIB_TARGET_NVIDIA_KERNELS_H

#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <optional>

namespace einfuse::nvidia {

/// Block shape of the prefill attention kernel; unset fields take the
/// defaults measured on an H100 (docs/performance.md): on sm_90a wgmma with
/// one warpgroup (4 warps) and 128-key tiles for D = 64, 64-key tiles for
/// D = 128; with mma.sync (sm_80) 4 warps x 64 keys for D = 64 and
/// 8 warps x 128 keys for D = 128.
struct AttentionTiling {
  int64_t warps = 0;  ///< 16 query rows each
  int64_t blockN = 0; ///< keys per tile
  std::optional<bool> wgmma; ///< sm_90a warpgroup MMA (blockN >= 64)
};

/// Adds the device kernels for the attention kernel `sig` (read into `spec`)
/// to `module` and returns how the host function launches them.
llvm::FailureOr<gpu::LaunchPlan>
buildAttentionKernels(mlir::gpu::GPUModuleOp module,
                      const gpu::AttentionSpec &spec,
                      const KernelSignature &sig, llvm::StringRef chip,
                      AttentionTiling tiling);

} // namespace einfuse::nvidia

#endif
