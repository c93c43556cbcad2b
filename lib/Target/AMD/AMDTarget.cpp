//===- AMDTarget.cpp - The AMD GPU target ---------------------------------===//
//
// Kernel functions -> gpu.module of gpu.func kernels built from amdgpu
// (MFMA), rocdl, gpu, vector and scf ops (AttentionKernel.cpp,
// QMatmulKernel.cpp) -> ROCDL (upstream convert-amdgpu-to-rocdl,
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
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
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

static void prepareContext(MLIRContext *ctx) {
  DialectRegistry registry;
  registry
      .insert<amdgpu::AMDGPUDialect, arith::ArithDialect, mlir::gpu::GPUDialect,
              LLVM::LLVMDialect, memref::MemRefDialect, ROCDL::ROCDLDialect,
              scf::SCFDialect, vector::VectorDialect>();
  ROCDL::registerROCDLTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerROCDLDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadAllAvailableDialects();
}

/// Where LLVM's tools are looked for first: the LLVM this is built with
/// (Debian's LLVM 22), then the PATH.
static std::vector<std::string> llvmBinHints() {
  return {EINFUSE_LLVM_TOOLS_DIR, "/usr/lib/llvm-22/bin"};
}

/// Assembles `isa` for `chip` (llvm-mc) and links the code object into a
/// loadable hsaco (ld.lld -shared).
static FailureOr<std::string> assemble(StringRef isa, StringRef chip,
                                       std::string &error) {
  FailureOr<std::string> object = gpu::runToolOnFile(
      "llvm-mc", llvmBinHints(), isa,
      {"-triple=amdgcn-amd-amdhsa", "-mcpu=" + chip.str(), "-filetype=obj",
       "{in}", "-o", "{out}"},
      error);
  if (failed(object))
    return failure();
  return gpu::runToolOnFile("ld.lld", llvmBinHints(), *object,
                            {"-shared", "{in}", "-o", "{out}"}, error);
}

/// Builds the kernel of one kernel function: attention or qmatmul.
static FailureOr<gpu::LaunchPlan> buildKernel(mlir::gpu::GPUModuleOp gpuModule,
                                              func::FuncOp fn,
                                              const KernelSignature &sig,
                                              StringRef target) {
  Block &body = fn.getBody().front();
  Operation *first = body.empty() ? nullptr : &body.front();
  if (isa_and_nonnull<ein::QMatmulOp>(first)) {
    FailureOr<QMatmulSpec> spec = readQMatmulKernel(fn, target);
    if (failed(spec))
      return failure();
    return buildQMatmulKernel(gpuModule, *spec, sig);
  }
  if (!isa_and_nonnull<ein::AttentionOp>(first))
    return fn.emitError("unsupported on ")
           << target
           << ": a kernel for this target must be one ein.attention or one "
              "ein.qmatmul on the function's arguments (cascades of "
              "ein.einsum are compiled for the CPU only)";
  FailureOr<gpu::AttentionSpec> spec =
      gpu::readAttentionKernel(fn, target, {64, 128});
  if (failed(spec))
    return failure();
  return buildAttentionKernel(gpuModule, *spec, sig);
}

FailureOr<gpu::GPUModule> compileModule(ModuleOp module, StringRef chip,
                                        bool assemblyOnly) {
  MLIRContext *ctx = module.getContext();
  prepareContext(ctx);
  std::string target = ("amd:" + chip).str();
  // Code object v5, the one ROCm 6's loaders all read (LLVM 22 defaults to
  // v6 for the ROCDL target).
  auto rocdlTarget = ROCDL::ROCDLTargetAttr::get(
      ctx, /*optLevel=*/3, "amdgcn-amd-amdhsa", chip, /*features=*/"",
      /*abiVersion=*/"500");
  auto buildPlan = [&](mlir::gpu::GPUModuleOp gpuModule, func::FuncOp fn,
                       const KernelSignature &sig) {
    return buildKernel(gpuModule, fn, sig, target);
  };
  auto lowering = [&](OpPassManager &kernels) {
    kernels.addPass(createConvertAMDGPUToROCDLPass({chip.str()}));
    kernels.addPass(createSCFToControlFlowPass());
    ConvertGpuOpsToROCDLOpsOptions toROCDL;
    toROCDL.chipset = chip.str();
    kernels.addPass(createConvertGpuOpsToROCDLOps(toROCDL));
    kernels.addPass(createReconcileUnrealizedCastsPass());
  };
  auto toBinary = [&](StringRef assembly, std::string &error) {
    return assemble(assembly, chip, error);
  };
  return gpu::buildDeviceModule(module, rocdlTarget, target, buildPlan, lowering,
                                toBinary, assemblyOnly);
}

} // namespace einfuse::amd
