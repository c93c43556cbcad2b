//===- AMDTargetInfo.cpp - The AMD hooks of the shared GPU lowering -------===//
//
// What the shared GPU lowering (lib/Conversion/EinToGPU, docs/gpu.md) asks
// of an AMD chip: the ROCDL target, the AMDGPU math instructions, the
// lowering to ROCDL (with the stack in address space 5), and llvm-mc +
// ld.lld. Nothing here needs ROCm.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Target/AMD.h"

#include "mlir/Conversion/AMDGPUToROCDL/AMDGPUToROCDL.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUToROCDL/GPUToROCDLPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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
static FailureOr<std::string> assembleISA(StringRef isa, StringRef chip,
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

namespace {
/// Moves the kernels' stack buffers (llvm.alloca, which the shared lowering
/// makes in the generic address space) to AMDGPU's private address space 5,
/// cast back to generic pointers: the AMDGPU back end selects frame
/// indices in address space 5 only, and LLVM's address-space inference
/// turns the accesses back into private ones (scratch or registers).
struct PrivateAllocasPass
    : PassWrapper<PrivateAllocasPass, OperationPass<mlir::gpu::GPUModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PrivateAllocasPass)
  StringRef getArgument() const override { return "einfuse-amdgpu-private-allocas"; }
  void runOnOperation() override {
    SmallVector<LLVM::AllocaOp> allocas;
    getOperation().walk([&](LLVM::AllocaOp a) {
      if (cast<LLVM::LLVMPointerType>(a.getType()).getAddressSpace() == 0)
        allocas.push_back(a);
    });
    for (LLVM::AllocaOp a : allocas) {
      OpBuilder b(a);
      auto priv = LLVM::LLVMPointerType::get(a.getContext(), 5);
      auto alloca = LLVM::AllocaOp::create(b, a.getLoc(), priv, a.getElemType(),
                                           a.getArraySize(),
                                           a.getAlignment().value_or(0));
      Value flat =
          LLVM::AddrSpaceCastOp::create(b, a.getLoc(), a.getType(), alloca);
      a.replaceAllUsesWith(flat);
      a.erase();
    }
  }
};

/// AMD chips (CDNA, wave64): the AMDGPU math intrinsics (v_exp_f32,
/// v_log_f32, v_rsq_f32; LLVM's sqrt) and convert-gpu-to-rocdl. No ROCm
/// device library is linked: every math function is one of these or an
/// upstream polynomial approximation.
class AMDTargetInfo final : public gpu::GPUTargetInfo {
public:
  explicit AMDTargetInfo(StringRef chip) : chip(chip.str()) {}
  StringRef getChip() const override { return chip; }
  std::string getName() const override { return "amd:" + chip; }
  gpu::Runtime getRuntime() const override { return gpu::Runtime::HIP; }
  unsigned getSubgroupSize() const override { return 64; }
  gpu::GPUConfig getDefaultConfig() const override {
    // small_m as NVIDIA's (not measured on AMD).
    return {256, 64, 64, 16, 4, 256, 8};
  }
  void loadDialects(MLIRContext *ctx) const override { prepareContext(ctx); }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<amdgpu::AMDGPUDialect, vector::VectorDialect>();
  }
  Attribute getTargetAttr(MLIRContext *ctx) const override {
    // Code object v5, the one ROCm 6's loaders all read (LLVM 22 defaults
    // to v6 for the ROCDL target).
    return ROCDL::ROCDLTargetAttr::get(ctx, /*optLevel=*/3,
                                       "amdgcn-amd-amdhsa", chip,
                                       /*features=*/"", /*abiVersion=*/"500");
  }
  Value buildExp2(OpBuilder &b, Location loc, Value x) const override {
    return callIntrinsic(b, loc, "llvm.amdgcn.exp2.f32", x);
  }
  Value buildLog2(OpBuilder &b, Location loc, Value x) const override {
    return callIntrinsic(b, loc, "llvm.amdgcn.log.f32", x);
  }
  Value buildSqrt(OpBuilder &b, Location loc, Value x) const override {
    return callIntrinsic(b, loc, "llvm.sqrt.f32", x);
  }
  Value buildRsqrt(OpBuilder &b, Location loc, Value x) const override {
    return callIntrinsic(b, loc, "llvm.amdgcn.rsq.f32", x);
  }
  /// v_mfma_f32_16x16x16{f16,bf16_1k} (CDNA2, CDNA3) through amdgpu.mfma.
  /// Lane l, c = l % 16, g = l / 16 holds (CDNA3 ISA, "Dependency and
  /// layout of MFMA operands"): A elements (c, 4g + e), B elements
  /// (k = 4g + e, n = c), C elements (4g + e, c), for e < 4.
  std::optional<gpu::MatrixInstruction>
  getMatrixInstruction(MLIRContext *ctx, Type type) const override {
    if (!type.isF16() && !type.isBF16())
      return std::nullopt;
    gpu::MatrixInstruction mfma;
    mfma.m = mfma.n = mfma.k = 16;
    mfma.operandType = type;
    AffineExpr lane = getAffineDimExpr(0, ctx);
    AffineExpr c = lane % 16, g = lane.floorDiv(16);
    for (int64_t e = 0; e < 4; ++e) {
      mfma.a.push_back(AffineMap::get(1, 0, {c, g * 4 + e}, ctx));
      mfma.b.push_back(AffineMap::get(1, 0, {g * 4 + e, c}, ctx));
      mfma.c.push_back(AffineMap::get(1, 0, {g * 4 + e, c}, ctx));
    }
    mfma.build = [type](OpBuilder &b, Location loc, ArrayRef<Value> a,
                        ArrayRef<Value> bs, ArrayRef<Value> c) {
      auto vec = [&](ArrayRef<Value> elements, Type t) -> Value {
        return vector::FromElementsOp::create(
            b, loc, VectorType::get({int64_t(elements.size())}, t), elements);
      };
      Value acc = vec(c, b.getF32Type());
      Value d = amdgpu::MFMAOp::create(b, loc, acc.getType(), /*m=*/16,
                                       /*n=*/16, /*k=*/16, /*blocks=*/1,
                                       vec(a, type), vec(bs, type), acc);
      SmallVector<Value> out;
      for (int64_t i = 0; i < 4; ++i)
        out.push_back(vector::ExtractOp::create(b, loc, d, i));
      return out;
    };
    return mfma;
  }
  void addLowering(OpPassManager &kernels) const override {
    kernels.addPass(createConvertAMDGPUToROCDLPass({chip}));
    kernels.addPass(memref::createExpandStridedMetadataPass());
    kernels.addPass(createLowerAffinePass());
    kernels.addPass(createSCFToControlFlowPass());
    ConvertGpuOpsToROCDLOpsOptions toROCDL;
    toROCDL.chipset = chip;
    kernels.addPass(createConvertGpuOpsToROCDLOps(toROCDL));
    kernels.addPass(createReconcileUnrealizedCastsPass());
    kernels.addPass(std::make_unique<PrivateAllocasPass>());
  }
  FailureOr<std::string> assemble(StringRef isa,
                                  std::string &error) const override {
    return assembleISA(isa, chip, error);
  }

private:
  std::string chip;
};
} // namespace

std::unique_ptr<gpu::GPUTargetInfo> createTargetInfo(StringRef chip) {
  return std::make_unique<AMDTargetInfo>(chip);
}

} // namespace einfuse::amd
