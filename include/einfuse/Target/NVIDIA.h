//===- NVIDIA.h - The NVIDIA GPU target -------------------------*- C++ -*-===//
#ifndef EINFUSE_TARGET_NVIDIA_H
#define EINFUSE_TARGET_NVIDIA_H

#include "einfuse/Target/GPU.h"

namespace einfuse::nvidia {

/// The NVIDIA implementation of the shared GPU lowering's per-target
/// interface, for `chip`.
std::unique_ptr<gpu::GPUTargetInfo> createTargetInfo(llvm::StringRef chip);

/// Builds the device kernels of every kernel function of `module` for
/// `chip` (sm_80 or sm_90a) through nvgpu/nvvm, emits PTX with LLVM's NVPTX
/// back end and assembles it with ptxas. Errors (unsupported kernels, a
/// missing ptxas) are emitted on `module` before anything is returned.
/// With `assemblyOnly`, stops at the assembly (no ptxas needed) and leaves
/// the binary empty. Kernel functions the hand-written kernels do not
/// take are built by `fromCascade` (the shared GPU lowering). `options` tunes the kernels, for benchmarking:
/// "warps=<4|8> block-n=<32|64|128> wgmma=<true|false>" (rows per CTA =
/// 16 * warps; keys per tile; warpgroup MMA, the sm_90a default). The
/// defaults are what the benchmark chose (docs/performance.md).
llvm::FailureOr<gpu::GPUModule>
compileModule(mlir::ModuleOp module, llvm::StringRef chip,
              gpu::KernelPlanBuilder fromCascade, bool assemblyOnly = false,
              llvm::StringRef options = "");

} // namespace einfuse::nvidia

#endif
