//===- NVIDIATarget.cpp - The NVIDIA GPU target ---------------------------===//
//
// Kernel functions -> gpu.module of gpu.func kernels built from nvgpu ops
// (AttentionKernel.cpp) -> NVVM (upstream convert-nvgpu-to-nvvm,
// convert-gpu-to-nvvm) -> PTX (upstream gpu-module-to-binary, LLVM's NVPTX
// back end) -> cubin (ptxas from the CUDA toolkit).
//
//===----------------------------------------------------------------------===//
#include "einfuse/Target/NVIDIA.h"

#include "Kernels.h"

#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/Support/Process.h"

using namespace mlir;

namespace einfuse::nvidia {

/// Parses "warps=4 block-n=64 wgmma=true".
static FailureOr<AttentionTiling> parseOptions(ModuleOp module, StringRef chip,
                                               StringRef options) {
  AttentionTiling tiling;
  SmallVector<StringRef> items;
  options.split(items, ' ', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    auto [key, value] = item.split('=');
    int64_t n = 0;
    bool bad = value.getAsInteger(10, n);
    if (key == "warps" && !bad && (n == 4 || n == 8))
      tiling.warps = n;
    else if (key == "block-n" && !bad && (n == 32 || n == 64 || n == 128))
      tiling.blockN = n;
    else if (key == "wgmma" && (value == "true" || value == "false"))
      tiling.wgmma = value == "true";
    else
      return module.emitError("invalid NVIDIA target option '")
             << item
             << "' (expected warps=4|8, block-n=32|64|128, wgmma=true|false)";
  }
  if (tiling.wgmma.value_or(false) && chip != "sm_90a")
    return module.emitError("wgmma=true needs nvidia:sm_90a (wgmma is a "
                            "Hopper instruction); the target is nvidia:")
           << chip;
  if (tiling.wgmma.value_or(chip == "sm_90a") && tiling.blockN == 32)
    return module.emitError("wgmma=true needs block-n=64 or block-n=128 "
                            "(wgmma is the sm_90a default; add wgmma=false)");
  return tiling;
}

FailureOr<gpu::GPUModule> compileModule(ModuleOp module, StringRef chip,
                                        gpu::KernelPlanBuilder fromCascade,
                                        bool assemblyOnly, StringRef options) {
  MLIRContext *ctx = module.getContext();
  std::unique_ptr<gpu::GPUTargetInfo> info = createTargetInfo(chip);
  info->loadDialects(ctx);
  std::string target = ("nvidia:" + chip).str();
  FailureOr<AttentionTiling> tiling = parseOptions(module, chip, options);
  if (failed(tiling))
    return failure();
  Attribute nvvmTarget = info->getTargetAttr(ctx);
  // Head dim 256 needs wgmma: with mma.sync its accumulators and Q
  // fragments do not fit the registers.
  SmallVector<int64_t> headDims = {64, 128};
  if (tiling->wgmma.value_or(chip == "sm_90a"))
    headDims.push_back(256);
  auto buildPlan = [&](mlir::gpu::GPUModuleOp gpuModule, func::FuncOp fn,
                       const KernelSignature &sig)
      -> FailureOr<gpu::LaunchPlan> {
    // The hand-written attention kernels, while they are faster than the
    // shared lowering; every other kernel comes from its cascade.
    std::optional<gpu::AttentionSpec> spec =
        gpu::tryReadAttentionKernel(fn, target, headDims);
    if (!spec)
      return fromCascade(gpuModule, fn, sig);
    return buildAttentionKernels(gpuModule, *spec, sig, chip, *tiling);
  };
  auto lowering = [&](OpPassManager &kernels) { info->addLowering(kernels); };
  auto toBinary = [&](StringRef assembly, std::string &error) {
    return info->assemble(assembly, error);
  };
  return gpu::buildDeviceModule(module, nvvmTarget, target, buildPlan, lowering,
                                toBinary, assemblyOnly);
}

} // namespace einfuse::nvidia
