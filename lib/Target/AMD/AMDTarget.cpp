//===- AMDTarget.cpp - The AMD GPU target ---------------------------------===//
//
// Kernel functions -> gpu.module of gpu.func kernels built from amdgpu
// (MFMA), rocdl, gpu, vector and scf ops (AttentionKernel.cpp; every other
// kernel comes from the shared GPU lowering) -> ROCDL (upstream convert-amdgpu-to-rocdl,
// convert-gpu-to-rocdl) -> AMDGCN assembly (upstream gpu-module-to-binary
// with format=isa, LLVM's AMDGPU back end) -> code object (llvm-mc) ->
// hsaco (ld.lld -shared).
//
// The last two steps run LLVM's own tools rather than gpu-module-to-binary's
// format=bin, which looks for ld.lld in a ROCm installation. Nothing here
// needs ROCm: the kernels avoid every op that lowers to a call into ROCm's
// device libraries (ocml), e.g. math.exp2 (rocdl.exp2 is used instead).
//
//===----------------------------------------------------------------------===//
#include "einfuse/Target/AMD.h"

#include "Kernels.h"

#include "Ein/IR/EinDialect.h"

#include "mlir/Conversion/AMDGPUToROCDL/AMDGPUToROCDL.h"
#include "mlir/Conversion/GPUToROCDL/GPUToROCDLPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/ROCDL/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/ROCDL/ROCDLToLLVMIRTranslation.h"

using namespace mlir;

namespace einfuse::amd {

/// Builds the kernels of one kernel function: the hand-written attention
/// kernel where it takes it (while it is faster than the shared lowering),
/// else the kernels of its cascade (every qmatmul among them).
static FailureOr<gpu::LaunchPlan> buildKernel(mlir::gpu::GPUModuleOp gpuModule,
                                              func::FuncOp fn,
                                              const KernelSignature &sig,
                                              StringRef target,
                                              gpu::KernelPlanBuilder fromCascade) {
  if (std::optional<gpu::AttentionSpec> spec =
          gpu::tryReadAttentionKernel(fn, target, {64, 128}))
    return buildAttentionKernel(gpuModule, *spec, sig);
  return fromCascade(gpuModule, fn, sig);
}

FailureOr<gpu::GPUModule> compileModule(ModuleOp module, StringRef chip,
                                        gpu::KernelPlanBuilder fromCascade,
                                        bool assemblyOnly) {
  MLIRContext *ctx = module.getContext();
  std::unique_ptr<gpu::GPUTargetInfo> info = createTargetInfo(chip);
  info->loadDialects(ctx);
  std::string target = ("amd:" + chip).str();
  Attribute rocdlTarget = info->getTargetAttr(ctx);
  auto buildPlan = [&](mlir::gpu::GPUModuleOp gpuModule, func::FuncOp fn,
                       const KernelSignature &sig) {
    return buildKernel(gpuModule, fn, sig, target, fromCascade);
  };
  auto lowering = [&](OpPassManager &kernels) { info->addLowering(kernels); };

  auto toBinary = [&](StringRef assembly, std::string &error) {
    return info->assemble(assembly, error);
  };
  return gpu::buildDeviceModule(module, rocdlTarget, target, buildPlan, lowering,
                                toBinary, assemblyOnly);
}

} // namespace einfuse::amd
