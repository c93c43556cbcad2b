//===- NVIDIATargetInfo.cpp - The NVIDIA hooks of the shared GPU lowering -===//
//
// What the shared GPU lowering (lib/Conversion/EinToGPU, docs/gpu.md) asks
// of an NVIDIA chip: the NVVM target, PTX's math instructions, the
// lowering to NVVM, and ptxas.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Target/NVIDIA.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
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

static void prepareContext(MLIRContext *ctx) {
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, mlir::gpu::GPUDialect,
                  LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  nvgpu::NVGPUDialect, NVVM::NVVMDialect, scf::SCFDialect,
                  vector::VectorDialect>();
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadAllAvailableDialects();
}

/// The CUDA toolkit's bin folder: $CUDA_PATH/bin, else /usr/local/cuda/bin.
static std::vector<std::string> cudaBinHints() {
  std::vector<std::string> hints;
  if (std::optional<std::string> env = llvm::sys::Process::GetEnv("CUDA_PATH"))
    hints.push_back(*env + "/bin");
  hints.push_back("/usr/local/cuda/bin");
  return hints;
}

/// Assembles `ptx` for `chip` with ptxas.
static FailureOr<std::string> assemblePTX(StringRef ptx, StringRef chip,
                                          std::string &error) {
  return gpu::runToolOnFile("ptxas", cudaBinHints(), ptx,
                            {"-O3", "-arch=" + chip.str(), "{in}", "-o",
                             "{out}"},
                            error);
}

} // namespace einfuse::nvidia

namespace einfuse::nvidia {
namespace {
/// NVIDIA chips: the math instructions of PTX (ex2.approx, lg2.approx,
/// sqrt.rn, rsqrt.approx) through their NVVM intrinsics, and
/// convert-gpu-to-nvvm. Approximate ex2/lg2 are what FlashAttention uses;
/// their error (2 ulp of f32) is far inside the bf16/f16 contract.
class NVIDIATargetInfo final : public gpu::GPUTargetInfo {
public:
  explicit NVIDIATargetInfo(StringRef chip) : chip(chip.str()) {}
  StringRef getChip() const override { return chip; }
  std::string getName() const override { return "nvidia:" + chip; }
  gpu::Runtime getRuntime() const override { return gpu::Runtime::CUDA; }
  unsigned getSubgroupSize() const override { return 32; }
  gpu::GPUConfig getDefaultConfig() const override {
    // small_m: H200, W4A16 N = K = 8192: the lanes' kernel is 5x faster
    // than mma.sync at M = 1 and 15% slower at M = 16 (docs/performance.md).
    return {128, 64, 32, 16, 4, 256, 8};
  }
  void loadDialects(MLIRContext *ctx) const override { prepareContext(ctx); }
  // cp.async (sm_80 and later): 16-byte copies bypass L1 (.cg), as
  // FlashAttention's and CUTLASS's tile loads do.
  bool buildAsyncCopy(OpBuilder &b, Location loc, Value src,
                      ValueRange srcIndices, Value dst, ValueRange dstIndices,
                      int64_t elements) const override {
    Type element = cast<MemRefType>(dst.getType()).getElementType();
    int64_t bits = elements * element.getIntOrFloatBitWidth();
    if (bits != 32 && bits != 64 && bits != 128)
      return false;
    nvgpu::DeviceAsyncCopyOp::create(
        b, loc, dst, dstIndices, src, srcIndices,
        b.getIndexAttr(elements), /*srcElements=*/Value(),
        bits == 128 ? b.getUnitAttr() : UnitAttr());
    return true;
  }
  void buildAsyncWait(OpBuilder &b, Location loc) const override {
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect, NVVM::NVVMDialect, nvgpu::NVGPUDialect,
                    vector::VectorDialect>();
  }
  Attribute getTargetAttr(MLIRContext *ctx) const override {
    // PTX 8.0 is the first with sm_90a; ptxas of CUDA 12 and later reads it.
    return NVVM::NVVMTargetAttr::get(ctx, /*optLevel=*/3,
                                     "nvptx64-nvidia-cuda", chip, "+ptx80");
  }
  Value buildExp2(OpBuilder &b, Location loc, Value x) const override {
    return callIntrinsic(b, loc, "llvm.nvvm.ex2.approx.f32", x);
  }
  Value buildLog2(OpBuilder &b, Location loc, Value x) const override {
    return callIntrinsic(b, loc, "llvm.nvvm.lg2.approx.f", x);
  }
  Value buildSqrt(OpBuilder &b, Location loc, Value x) const override {
    return callIntrinsic(b, loc, "llvm.nvvm.sqrt.rn.f", x);
  }
  Value buildRsqrt(OpBuilder &b, Location loc, Value x) const override {
    return callIntrinsic(b, loc, "llvm.nvvm.rsqrt.approx.f", x);
  }
  /// mma.sync.m16n8k16 (sm_80 and later) with f32 accumulators. Lane l,
  /// g = l / 4, t = l % 4 holds (PTX ISA, "Matrix fragments for
  /// mma.m16n8k16"): A elements (g + 8 (r % 2), 2t + h + 8 (r / 2)) for
  /// register r < 4 and half h; B elements (k = 2t + h + 8 r, n = g) for
  /// r < 2; C elements (g + 8 (e / 2), 2t + e % 2).
  std::optional<gpu::MatrixInstruction>
  getMatrixInstruction(MLIRContext *ctx, Type type) const override {
    if (!type.isF16() && !type.isBF16())
      return std::nullopt;
    gpu::MatrixInstruction mma;
    mma.m = 16;
    mma.n = 8;
    mma.k = 16;
    mma.operandType = type;
    AffineExpr lane = getAffineDimExpr(0, ctx);
    AffineExpr g = lane.floorDiv(4), t = lane % 4;
    auto at = [&](AffineExpr row, AffineExpr col) {
      return AffineMap::get(1, 0, {row, col}, ctx);
    };
    for (int64_t e = 0; e < 8; ++e)
      mma.a.push_back(at(g + 8 * (e / 2 % 2), t * 2 + e % 2 + 8 * (e / 4)));
    for (int64_t e = 0; e < 4; ++e)
      mma.b.push_back(at(t * 2 + e % 2 + 8 * (e / 2), g));
    for (int64_t e = 0; e < 4; ++e)
      mma.c.push_back(at(g + 8 * (e / 2), t * 2 + e % 2));
    mma.build = [type](OpBuilder &b, Location loc, ArrayRef<Value> a,
                       ArrayRef<Value> bs, ArrayRef<Value> c) {
      // Registers of two elements; bf16 ones travel as i32.
      auto registers = [&](ArrayRef<Value> elements) {
        SmallVector<Value> regs;
        for (size_t i = 0; i + 1 < elements.size(); i += 2) {
          Value r = vector::FromElementsOp::create(
              b, loc, VectorType::get({2}, type),
              ValueRange{elements[i], elements[i + 1]});
          if (type.isBF16())
            r = LLVM::BitcastOp::create(b, loc, b.getI32Type(), r);
          regs.push_back(r);
        }
        return regs;
      };
      NVVM::MMATypes ptx =
          type.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
      Type f32 = b.getF32Type();
      auto result = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                     {f32, f32, f32, f32});
      Value d = NVVM::MmaOp::create(
          b, loc, result, registers(a), registers(bs), c,
          ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
          std::array<NVVM::MMATypes, 2>{ptx, ptx},
          std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                         NVVM::MMALayout::col});
      SmallVector<Value> out;
      for (int64_t i = 0; i < 4; ++i)
        out.push_back(LLVM::ExtractValueOp::create(b, loc, d, i));
      return out;
    };
    // ldmatrix (.x4 for A or two B fragments, .x2 for one; .trans when
    // the buffer runs along m or n): lane l gives the address of row l % 8
    // of 8 x 8 matrix l / 8 (the other lanes' addresses of an .x2 are
    // read but unused, so they stay in bounds), and holds, of matrix j,
    // the elements (l / 4, 2 (l % 4) + h) of its rows as stored (.trans:
    // transposed), which are register j of the mma fragment: A's matrix j
    // covers rows 8 (j % 2), cols 8 (j / 2); B's, k from 8 (j % 2) and n
    // from 8 (j / 2).
    mma.loadFragments =
        [type](OpBuilder &b, Location loc, Value lane, Value buffer, bool isA,
               bool kContiguous, int64_t fragments,
               function_ref<SmallVector<Value>(Value, Value)> at) {
          int64_t matrices = isA ? 4 : 2 * fragments;
          auto index = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(b, loc, v);
          };
          Value j = arith::DivUIOp::create(b, loc, lane, index(8));
          if (matrices == 2)
            j = arith::RemUIOp::create(b, loc, j, index(2));
          Value r = arith::RemUIOp::create(b, loc, lane, index(8));
          Value low = arith::MulIOp::create(
              b, loc, arith::RemUIOp::create(b, loc, j, index(2)), index(8));
          Value high = arith::MulIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, j, index(2)), index(8));
          // A (m, k): matrix j at m = low, k = high; B (k, n): at k = low,
          // n = high. The lane's row r is along the dim that is not stored
          // contiguously: m or n when k is, else k.
          Value row = low, col = high;
          bool alongRow = isA == kContiguous;
          Value &moved = alongRow ? row : col;
          moved = arith::AddIOp::create(b, loc, moved, r);
          bool transpose = !kContiguous;
          Value frag = nvgpu::LdMatrixOp::create(
              b, loc, VectorType::get({matrices, 2}, type), buffer,
              at(row, col), transpose, matrices);
          SmallVector<Value> elements;
          for (int64_t m = 0; m < matrices; ++m)
            for (int64_t h = 0; h < 2; ++h)
              elements.push_back(vector::ExtractOp::create(
                  b, loc, frag, ArrayRef<int64_t>{m, h}));
          return elements;
        };
    return mma;
  }
  void addLowering(OpPassManager &kernels) const override {
    kernels.addPass(createConvertNVGPUToNVVMPass());
    kernels.addPass(memref::createExpandStridedMetadataPass());
    kernels.addPass(createLowerAffinePass());
    kernels.addPass(createSCFToControlFlowPass());
    // convert-gpu-to-nvvm lowers the vector ops too, with the workgroup
    // address space mapped (convert-vector-to-llvm alone cannot map it).
    kernels.addPass(createConvertGpuOpsToNVVMOps());
    // NVVM ops that have no LLVM intrinsic (wgmma) become inline PTX.
    kernels.addPass(createConvertNVVMToLLVMPass());
    kernels.addPass(createReconcileUnrealizedCastsPass());
  }
  FailureOr<std::string> assemble(StringRef ptx,
                                  std::string &error) const override {
    return assemblePTX(ptx, chip, error);
  }

private:
  std::string chip;
};
} // namespace

std::unique_ptr<gpu::GPUTargetInfo> createTargetInfo(StringRef chip) {
  return std::make_unique<NVIDIATargetInfo>(chip);
}

} // namespace einfuse::nvidia
