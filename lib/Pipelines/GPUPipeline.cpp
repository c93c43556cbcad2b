//===- GPUPipeline.cpp - The shared GPU lowering as a pipeline ------------===//
//
// `--einfuse-gpu-pipeline`: every GPU kernel that is not one of the
// remaining hand-written attention/qmatmul kernels comes out of this
// pipeline, from its cascade. Target-independent steps first (the same
// decomposition, online rewrite and TilingInterface tiling as the CPU),
// then the target's hooks (GPUTargetInfo) and its lowering.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "Ein/IR/EinDialect.h"
#include "Ein/Transforms/Passes.h"
#include "einfuse/Conversion/Passes.h"
#include "einfuse/Target/AMD.h"
#include "einfuse/Target/GPU.h"
#include "einfuse/Target/NVIDIA.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/MathExtras.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEGPUTARGETHOOKS
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace einfuse {

std::unique_ptr<gpu::GPUTargetInfo> getGPUTargetInfo(StringRef target,
                                                     std::string &error) {
  auto [vendor, chip] = target.split(':');
  if (vendor == "nvidia" && (chip == "sm_80" || chip == "sm_90a"))
    return nvidia::createTargetInfo(chip);
  if (vendor == "amd" && (chip == "gfx942" || chip == "gfx90a"))
    return amd::createTargetInfo(chip);
  error = ("unknown GPU target '" + target +
           "' (expected nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or "
           "amd:gfx90a)")
              .str();
  return nullptr;
}

namespace {
/// A math op on floats, through f32 when narrower, to `build` (a target
/// hook, or an LLVM intrinsic by name: convert-gpu-to-nvvm and -rocdl
/// would call libdevice/ocml for the math op, and refuse some of the LLVM
/// dialect's own intrinsic ops, such as floor and ceil).
template <typename Op>
struct ToTarget : OpRewritePattern<Op> {
  using Build = std::function<Value(OpBuilder &, Location, ValueRange)>;
  ToTarget(MLIRContext *ctx, Build build)
      : OpRewritePattern<Op>(ctx), build(std::move(build)) {}
  ToTarget(MLIRContext *ctx, StringRef intrinsic)
      : ToTarget(ctx, [name = intrinsic.str()](OpBuilder &b, Location loc,
                                                ValueRange args) -> Value {
          return LLVM::CallIntrinsicOp::create(b, loc, b.getF32Type(),
                                               b.getStringAttr(name), args)
              .getResult(0);
        }) {}
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rewriter) const override {
    auto type = dyn_cast<FloatType>(op.getType());
    if (!type || type.getWidth() > 32)
      return rewriter.notifyMatchFailure(op, "f64 or a vector");
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    SmallVector<Value> args;
    for (Value x : op->getOperands())
      args.push_back(type == f32 ? x
                                 : arith::ExtFOp::create(rewriter, loc, f32, x));
    Value y = build(rewriter, loc, args);
    if (type != f32)
      y = arith::TruncFOp::create(rewriter, loc, type, y);
    rewriter.replaceOp(op, y);
    return success();
  }
  Build build;
};

/// Integer abs as a select (NVVM has no lowering of math.absi).
struct AbsIToSelect : OpRewritePattern<math::AbsIOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::AbsIOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getOperand();
    Value zero = arith::ConstantOp::create(
        rewriter, loc, rewriter.getZeroAttr(x.getType()));
    Value negative = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::slt, x, zero);
    Value negated = arith::SubIOp::create(rewriter, loc, zero, x);
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, negative, negated, x);
    return success();
  }
};

/// Float min/max as LLVM's intrinsics, which every GPU back end has (the
/// GPU conversions would call libdevice/ocml for some of them).
template <typename Op, typename LLVMOp>
struct MinMaxToLLVM : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rewriter) const override {
    if (!isa<FloatType>(op.getType()))
      return failure();
    rewriter.replaceOpWithNewOp<LLVMOp>(op, op.getType(), op.getLhs(),
                                        op.getRhs());
    return success();
  }
};

struct GPUTargetHooksPass
    : public einfuse::impl::EinfuseGPUTargetHooksBase<GPUTargetHooksPass> {
  using Base::Base;
  void runOnOperation() override {
    std::string error;
    std::unique_ptr<gpu::GPUTargetInfo> info = getGPUTargetInfo(target, error);
    if (!info) {
      emitError(getOperation().getLoc(), "einfuse-gpu-target-hooks: ") << error;
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    info->loadDialects(ctx);
    const gpu::GPUTargetInfo &t = *info;
    double log2e = llvm::numbers::log2e, ln2 = llvm::numbers::ln2;
    auto scaled = [](double k, auto f) {
      return [k, f](OpBuilder &b, Location loc, ValueRange x) {
        Value c = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(k));
        return f(b, loc, x[0], c);
      };
    };
    auto unary = [](auto f) {
      return [f](OpBuilder &b, Location loc, ValueRange x) {
        return f(b, loc, x[0]);
      };
    };
    RewritePatternSet patterns(ctx);
    patterns.add<ToTarget<math::Exp2Op>>(ctx, unary([&](OpBuilder &b, Location l, Value x) {
      return t.buildExp2(b, l, x);
    }));
    patterns.add<ToTarget<math::ExpOp>>(
        ctx, scaled(log2e, [&](OpBuilder &b, Location l, Value x, Value c) {
          return t.buildExp2(b, l, arith::MulFOp::create(b, l, x, c));
        }));
    patterns.add<ToTarget<math::Log2Op>>(ctx, unary([&](OpBuilder &b, Location l, Value x) {
      return t.buildLog2(b, l, x);
    }));
    patterns.add<ToTarget<math::LogOp>>(
        ctx, scaled(ln2, [&](OpBuilder &b, Location l, Value x, Value c) {
          return Value(arith::MulFOp::create(b, l, t.buildLog2(b, l, x), c));
        }));
    patterns.add<ToTarget<math::SqrtOp>>(ctx, unary([&](OpBuilder &b, Location l, Value x) {
      return t.buildSqrt(b, l, x);
    }));
    patterns.add<ToTarget<math::RsqrtOp>>(ctx, unary([&](OpBuilder &b, Location l, Value x) {
      return t.buildRsqrt(b, l, x);
    }));
    patterns.add<AbsIToSelect>(ctx);
    patterns.add<ToTarget<math::AbsFOp>>(ctx, "llvm.fabs.f32");
    patterns.add<ToTarget<math::FloorOp>>(ctx, "llvm.floor.f32");
    patterns.add<ToTarget<math::CeilOp>>(ctx, "llvm.ceil.f32");
    patterns.add<ToTarget<math::TruncOp>>(ctx, "llvm.trunc.f32");
    patterns.add<ToTarget<math::RoundEvenOp>>(ctx, "llvm.roundeven.f32");
    patterns.add<ToTarget<math::RoundOp>>(ctx, "llvm.round.f32");
    patterns.add<ToTarget<math::FmaOp>>(ctx, "llvm.fma.f32");
    patterns.add<ToTarget<math::CopySignOp>>(ctx, "llvm.copysign.f32");
    patterns.add<MinMaxToLLVM<arith::MaxNumFOp, LLVM::MaxNumOp>,
                 MinMaxToLLVM<arith::MinNumFOp, LLVM::MinNumOp>,
                 MinMaxToLLVM<arith::MaximumFOp, LLVM::MaximumOp>,
                 MinMaxToLLVM<arith::MinimumFOp, LLVM::MinimumOp>>(ctx);
    // Every other math function: upstream's polynomials, in arith (and the
    // functions above, which the patterns then turn into instructions).
    auto approximate = [](StringRef name) {
      return name != math::ExpOp::getOperationName() &&
             name != math::Exp2Op::getOperationName() &&
             name != math::LogOp::getOperationName() &&
             name != math::Log2Op::getOperationName() &&
             name != math::SqrtOp::getOperationName() &&
             name != math::RsqrtOp::getOperationName() &&
             name != math::AbsFOp::getOperationName() &&
             name != math::FmaOp::getOperationName();
    };
    populateMathPolynomialApproximationPatterns(patterns, approximate);
    // f16/bf16 math computes in f32 (the approximations and most
    // instructions are f32), and functions without an approximation
    // (sinh, powf, ...) are expanded into ones with one.
    populateMathF32ExpansionPatterns(patterns, [](StringRef) { return true; });
    math::populateExpansionPatterns(patterns);
    // Reductions across a subgroup's lanes: butterflies of gpu.shuffle
    // (shfl.sync on NVIDIA, ds_bpermute/DPP on AMD).
    mlir::populateGpuLowerSubgroupReduceToShufflePatterns(
        patterns, t.getSubgroupSize());
    mlir::populateGpuLowerClusteredSubgroupReduceToShufflePatterns(
        patterns, t.getSubgroupSize());
    FrozenRewritePatternSet frozen(std::move(patterns));
    Attribute targetAttr = t.getTargetAttr(ctx);
    for (auto module : getOperation().getOps<mlir::gpu::GPUModuleOp>()) {
      module.setTargetsAttr(ArrayAttr::get(ctx, {targetAttr}));
      if (failed(applyPatternsGreedily(module, frozen)))
        return signalPassFailure();
    }
  }
};
} // namespace

LogicalResult validateGPUPipelineOptions(const GPUPipelineOptions &options,
                                         std::string &error) {
  auto fail = [&](const Twine &message) {
    error = ("einfuse-gpu-pipeline: " + message).str();
    return failure();
  };
  std::string why;
  if (!getGPUTargetInfo(options.target, why))
    return fail(why);
  if (options.threads < 0 || options.threads > 1024)
    return fail("threads must be in [1, 1024] (0: the target's default), "
                "got " + Twine(int64_t(options.threads)));
  int64_t threads = options.threads ? int64_t(options.threads)
                                    : getGPUTargetInfo(options.target, why)
                                          ->getDefaultConfig()
                                          .threads;
  if (options.lanes < 0 || options.lanes > 64 ||
      (options.lanes && threads % options.lanes))
    return fail("lanes must be in [1, 64] and divide the threads per block (" +
                Twine(threads) + ") (0: the target's subgroup), got " +
                Twine(int64_t(options.lanes)));
  if (options.tileSize < 0 || options.tileSize > ein::kMaxTileSize)
    return fail("tile-size must be in [1, 2^31] (0: the target's default), "
                "got " + Twine(int64_t(options.tileSize)));
  return success();
}

void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options) {
  std::string error;
  std::unique_ptr<gpu::GPUTargetInfo> info =
      getGPUTargetInfo(options.target, error);
  if (!info)
    llvm::report_fatal_error("einfuse: invalid GPU pipeline options");
  gpu::GPUConfig config = info->getDefaultConfig();
  if (options.threads)
    config.threads = options.threads;
  if (options.tileSize)
    config.tileSize = options.tileSize;
  if (options.lanes)
    config.lanes = options.lanes;
  static bool registered =
      (mlir::registerAllPasses(), registerEinfusePasses(),
       registerEinfuseConversionPasses(), true);
  (void)registered;

  // Target-independent: the cascade, in its fewest passes, tiled.
  pm.addPass(ein::createEinDecompose());
  ein::EinDynamicRanksOptions dynamic;
  dynamic.ranks = "all";
  pm.addPass(ein::createEinDynamicRanks(dynamic));
  pm.addPass(ein::createEinDeferredNormalize());
  ein::EinOnlineNormalizeOptions online;
  online.tileSize = config.tileSize;
  online.remarks = false;
  pm.addPass(ein::createEinOnlineNormalize(online));
  ConvertEinToGPUOptions toGPU;
  toGPU.tileSize = config.tileSize;
  pm.addPass(createConvertEinToGPU(toGPU));
  pm.addPass(createConvertEinToLinalg());
  pm.addPass(createEinfuseKernelABI());
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  std::string tail =
      "canonicalize,cse,"
      // A thread's intermediates fuse into their consumers, so that what
      // stays is the iteration state and tiles of static size.
      "linalg-fuse-elementwise-ops,canonicalize,cse,"
      // Each tile writes its results in place, into the kernel's outputs.
      "eliminate-empty-tensors,"
      "one-shot-bufferize{bufferize-function-boundaries=true "
      "function-boundary-type-conversion=identity-layout-map},"
      "canonicalize,"
      "func.func(buffer-loop-hoisting,"
      "promote-buffers-to-stack{max-alloc-size-in-bytes=65536 "
      "max-rank-of-allocated-memref=4}),"
      "convert-bufferization-to-memref,"
      "einfuse-expand-copies,cse,canonicalize,"
      "func.func(einfuse-gpu-map-tiles{threads=" +
      std::to_string(config.threads) + " lanes=" +
      std::to_string(config.lanes) + "}),"
      "func.func(convert-linalg-to-loops),"
      "affine-expand-index-ops,lower-affine,canonicalize,cse,"
      "gpu-launch-sink-index-computations,gpu-kernel-outlining,"
      "einfuse-gpu-target-hooks{target=" +
      options.target.getValue() + "}";
  if (failed(parsePassPipeline(tail, pm)))
    llvm::report_fatal_error("einfuse: the built-in GPU pipeline does not parse");
  if (options.lowerKernels)
    info->addLowering(pm.nest<mlir::gpu::GPUModuleOp>());
}

} // namespace einfuse

namespace einfuse {

/// Whether a kernel function's work contracts two tensors (attention's
/// scores, a matmul): an Einsum that reduces a rank of two of its inputs.
/// Its key tile then sizes a lane's private score tile, so it stays small;
/// a row-wise cascade (softmax, norms) keeps no tile of values and takes
/// long tiles, which amortise the lanes' combines.
static bool hasContraction(func::FuncOp fn) {
  bool found = false;
  fn.walk([&](Operation *op) {
    if (isa<ein::AttentionOp, ein::QMatmulOp>(op))
      found = true;
    auto e = dyn_cast<ein::EinsumOp>(op);
    if (!e || e.getInputs().size() < 2)
      return;
    for (unsigned r : e.getReducedRankPositions()) {
      unsigned readers = 0;
      for (unsigned i = 0; i < e.getInputs().size(); ++i)
        readers += e.getInputMap(i).isFunctionOfDim(r);
      found |= readers >= 2;
    }
  });
  return found;
}

FailureOr<gpu::LaunchPlan> buildCascadeKernels(mlir::gpu::GPUModuleOp kernels,
                                               func::FuncOp fn,
                                               const KernelSignature &sig,
                                               StringRef target) {
  // The pipeline runs on a module of `fn` and the private functions it may
  // call, so that the caller's module is left as it was.
  auto parent = fn->getParentOfType<ModuleOp>();
  OwningOpRef<ModuleOp> copy = ModuleOp::create(parent.getLoc());
  OpBuilder b = OpBuilder::atBlockEnd(copy->getBody());
  for (auto f : parent.getOps<func::FuncOp>())
    if (f == fn || f.isPrivate())
      b.clone(*f.getOperation());
  PassManager pm(fn.getContext());
  GPUPipelineOptions options;
  options.target = target.str();
  options.lowerKernels = false;
  // The configuration for this kernel's shape of work (docs/gpu.md).
  if (!hasContraction(fn))
    options.tileSize = 1024;
  buildGPUPipeline(pm, options);
  if (failed(pm.run(*copy)))
    return failure();
  auto host = copy->lookupSymbol<func::FuncOp>(fn.getName());
  if (!host)
    return fn.emitError("internal error: the GPU pipeline lost the kernel");
  FailureOr<gpu::LaunchPlan> plan = gpu::planLaunches(host, sig);
  if (failed(plan))
    return failure();
  // The kernels join the device module (their names, <fn>_kernel[_N], are
  // unique because kernel functions' names are).
  Block &into = kernels.getBodyRegion().front();
  for (auto module :
       llvm::make_early_inc_range(copy->getOps<mlir::gpu::GPUModuleOp>())) {
    for (Operation &op :
         llvm::make_early_inc_range(module.getBodyRegion().front()))
      op.moveBefore(&into, into.end());
    module.erase();
  }
  return plan;
}

} // namespace einfuse
