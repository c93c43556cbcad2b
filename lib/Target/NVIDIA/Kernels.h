//===- Kernels.h - NVIDIA kernel builders (internal) ------------*- C++ -*-===//
#ifndef EINFUSE_LIB_TARGET_NVIDIA_KERNELS_H
#define EINFUSE_LIB_TARGET_NVIDIA_KERNELS_H

#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace einfuse::nvidia {

/// Block shape of the prefill attention kernel; 0 picks the default for the
/// head dim (measured on an H100, docs/performance.md): 4 warps and 64-key
/// tiles for D = 64, 8 warps and 128-key tiles for D = 128.
struct AttentionTiling {
  int64_t warps = 0;  ///< 16 query rows each
  int64_t blockN = 0; ///< keys per tile
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
