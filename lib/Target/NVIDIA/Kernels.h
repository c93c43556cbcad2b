//===- Kernels.h - NVIDIA kernel builders (internal) ------------*- C++ -*-===//
#ifndef EINFUSE_LIB_TARGET_NVIDIA_KERNELS_H
#define EINFUSE_LIB_TARGET_NVIDIA_KERNELS_H

#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace einfuse::nvidia {

/// Adds the device kernels for the attention kernel `sig` (read into `spec`)
/// to `module` and returns how the host function launches them.
llvm::FailureOr<gpu::LaunchPlan>
buildAttentionKernels(mlir::gpu::GPUModuleOp module,
                      const gpu::AttentionSpec &spec,
                      const KernelSignature &sig, llvm::StringRef chip);

} // namespace einfuse::nvidia

#endif
