//===- AMD.h - The AMD GPU target -------------------------------*- C++ -*-===//
#ifndef EINFUSE_TARGET_AMD_H
#define EINFUSE_TARGET_AMD_H

#include "einfuse/Target/GPU.h"

namespace einfuse::amd {

/// The AMD implementation of the shared GPU lowering's per-target
/// interface, for `chip`.
std::unique_ptr<gpu::GPUTargetInfo> createTargetInfo(llvm::StringRef chip);

/// Builds the device kernels of every kernel function of `module` for
/// `chip` (gfx942 or gfx90a) through amdgpu/rocdl (MFMA), emits a code
/// object with LLVM's AMDGPU back end and links it to hsaco with ld.lld. No
/// ROCm installation is needed. Errors are emitted on `module`.
/// With `assemblyOnly`, stops at the assembly (no ld.lld needed) and leaves
/// the binary empty. Kernel functions the hand-written kernels do not
/// take are built by `fromCascade` (the shared GPU lowering).
llvm::FailureOr<gpu::GPUModule>
compileModule(mlir::ModuleOp module, llvm::StringRef chip,
              gpu::KernelPlanBuilder fromCascade, bool assemblyOnly = false);

} // namespace einfuse::amd

#endif
