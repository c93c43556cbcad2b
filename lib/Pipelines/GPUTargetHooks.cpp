//===- GPUTargetHooks.cpp - Where the target comes into GPU kernels -------===//
//
// `--einfuse-gpu-target-hooks`: the outlined kernels of the shared GPU
// lowering get their target through its GPUTargetInfo: the gpu.module's
// target attribute, the target's math instructions, LLVM intrinsics for
// what every GPU has, upstream polynomial approximations for the rest, and
// subgroup reductions as shuffle butterflies; workgroup buffers aligned to
// 16 bytes. No kernel calls a vendor math library.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "einfuse/Conversion/GPUTiles.h"
#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/Support/MathExtras.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEGPUTARGETHOOKS
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;
using namespace einfuse;

namespace {
/// Divisions inside a loop by a divisor the loop does not change (a row's
/// sum, a norm) become products with its reciprocal, computed once before
/// the outermost such loop: one division per row instead of one per
/// element (an IEEE f32 division is a dozen instructions on a GPU). The
/// result differs from the quotient by at most about an ulp, as the
/// targets' approximate exp/log/rsqrt instructions do; a divisor below
/// 2^-126 in magnitude (whose reciprocal overflows) is the one case where
/// it differs more.
static void hoistReciprocals(Operation *root) {
  // First what does not change in a loop moves out of it, innermost loops
  // first: pure ops, and reads of a thread's own buffers (allocas) that the
  // loop does not write (the state a row's loops read: its sum, its max).
  root->walk<WalkOrder::PostOrder>([&](scf::ForOp loop) {
    auto privateRoot = [](Value m) -> Operation * {
      while (Operation *def = m.getDefiningOp()) {
        if (isa<memref::AllocaOp>(def))
          return def;
        if (!isa<memref::SubViewOp, memref::CastOp, memref::ReinterpretCastOp>(
                def))
          return nullptr;
        m = def->getOperand(0);
      }
      return nullptr;
    };
    llvm::SmallPtrSet<Operation *, 8> written;
    bool unknown = false;
    loop.getBody()->walk([&](Operation *op) {
      if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        return;
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effects) {
        unknown = true;
        return;
      }
      SmallVector<MemoryEffects::EffectInstance> all;
      effects.getEffects(all);
      for (const MemoryEffects::EffectInstance &e : all) {
        if (!isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()))
          continue;
        Value m = e.getValue();
        if (!m) {
          unknown = true; // a write to memory it does not name
          return;
        }
        // Kernel arguments never alias a thread's allocas.
        if (Operation *r = privateRoot(m))
          written.insert(r);
      }
    });
    if (unknown)
      return;
    for (Operation &op : llvm::make_early_inc_range(*loop.getBody())) {
      auto load = dyn_cast<memref::LoadOp>(op);
      if (!load)
        continue;
      Operation *r = privateRoot(load.getMemRef());
      if (r && !written.contains(r) &&
          llvm::all_of(load->getOperands(),
                       [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
        load->moveBefore(loop);
    }
    moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
  });
  SmallVector<arith::DivFOp> divisions;
  root->walk([&](arith::DivFOp div) {
    // f32 and wider only: in f16/bf16 the two roundings would cost more
    // than the ulp the contract's tolerances allow for.
    auto type = dyn_cast<FloatType>(div.getType());
    if (type && type.getWidth() >= 32 && div->getParentOfType<scf::ForOp>())
      divisions.push_back(div);
  });
  DenseMap<std::pair<Value, Operation *>, Value> reciprocals;
  for (arith::DivFOp div : divisions) {
    Value d = div.getRhs();
    scf::ForOp outermost;
    for (auto loop = div->getParentOfType<scf::ForOp>(); loop;
         loop = loop->getParentOfType<scf::ForOp>()) {
      if (!loop.isDefinedOutsideOfLoop(d))
        break;
      outermost = loop;
    }
    if (!outermost)
      continue;
    Value &r = reciprocals[{d, outermost.getOperation()}];
    if (!r) {
      OpBuilder b(outermost);
      Value one = arith::ConstantOp::create(b, div.getLoc(),
                                            b.getFloatAttr(div.getType(), 1.0));
      r = arith::DivFOp::create(b, div.getLoc(), one, d);
    }
    OpBuilder b(div);
    Value product = arith::MulFOp::create(b, div.getLoc(), div.getLhs(), r,
                                          div.getFastmathAttr());
    div.replaceAllUsesWith(product);
    div.erase();
  }
}

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

/// The staging copies' chunks (a vector load from a kernel argument whose
/// only use is a vector store into workgroup memory, what
/// einfuse-gpu-map-tiles makes of a staging copy) become the target's
/// asynchronous copies where it has them (`buildAsyncCopy`: cp.async), so
/// that all of a lane's chunks are in flight at once instead of one
/// register round trip each; before the first op after them that may read
/// workgroup memory (the barrier after the copy), the lane waits for them
/// (`buildAsyncWait`).
/// Whether `buffer` views an argument of its kernel (global memory), not a
/// private or workgroup buffer.
static bool isKernelArgument(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  auto arg = dyn_cast<BlockArgument>(buffer);
  auto kernel = arg ? dyn_cast<mlir::gpu::GPUFuncOp>(
                          arg.getOwner()->getParentOp())
                    : nullptr;
  return kernel && arg.getOwner()->isEntryBlock() &&
         arg.getArgNumber() < kernel.getNumArguments();
}

static void asyncStagingCopies(Operation *root,
                               const einfuse::gpu::GPUTargetInfo &t) {
  llvm::DenseSet<Operation *> async;
  SmallVector<vector::StoreOp> stores;
  root->walk([&](vector::StoreOp st) { stores.push_back(st); });
  for (vector::StoreOp st : stores) {
    auto ld = st.getValueToStore().getDefiningOp<vector::LoadOp>();
    if (!ld || !ld->hasOneUse() || ld->getBlock() != st->getBlock() ||
        !isWorkgroupBuffer(st.getBase()) || !isKernelArgument(ld.getBase()) ||
        ld.getVectorType().getRank() != 1 ||
        ld.getVectorType() != st.getVectorType())
      continue;
    OpBuilder b(st);
    Operation *before = st->getPrevNode();
    if (!t.buildAsyncCopy(b, st.getLoc(), ld.getBase(), ld.getIndices(),
                          st.getBase(), st.getIndices(),
                          ld.getVectorType().getNumElements()))
      continue; // No such copy of this size (or none at all): as it was.
    for (Operation *op = before ? before->getNextNode()
                                : &st->getBlock()->front();
         op != st.getOperation(); op = op->getNextNode())
      async.insert(op);
    st->erase();
    ld->erase();
  }
  if (async.empty())
    return;
  // What may run between a copy and the wait: pure ops, reads of other
  // memory, other copies.
  auto safe = [&](Operation *op) {
    return !op->walk([&](Operation *inner) {
                if (async.contains(inner) || isMemoryEffectFree(inner) ||
                    inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
                  return WalkResult::advance();
                if (auto l = dyn_cast<vector::LoadOp>(inner))
                  return isWorkgroupBuffer(l.getBase()) ? WalkResult::interrupt()
                                                       : WalkResult::advance();
                if (auto l = dyn_cast<memref::LoadOp>(inner))
                  return isWorkgroupBuffer(l.getMemRef())
                             ? WalkResult::interrupt()
                             : WalkResult::advance();
                return WalkResult::interrupt();
              }).wasInterrupted();
  };
  // The first op after `copy` that is not safe, through the end of its
  // blocks (a loop's next iteration runs its body's start again).
  auto waitPoint = [&](Operation *copy) -> Operation * {
    Operation *op = copy;
    while (true) {
      for (Operation *n = op->getNextNode(); n; n = n->getNextNode())
        if (!safe(n))
          return n;
      Block *block = op->getBlock();
      Operation *parent = block->getParentOp();
      if (isa<scf::ForOp>(parent))
        for (Operation &n : *block) {
          if (&n == op)
            break;
          if (!safe(&n))
            return block->getTerminator();
        }
      if (!isa<scf::ForOp, scf::IfOp>(parent))
        return block->getTerminator();
      op = parent;
    }
  };
  llvm::SetVector<Operation *> points;
  for (Operation *op : async)
    points.insert(waitPoint(op));
  for (Operation *at : points) {
    OpBuilder b(at);
    t.buildAsyncWait(b, at->getLoc());
  }
}

struct GPUTargetHooksPass
    : public einfuse::impl::EinfuseGPUTargetHooksBase<GPUTargetHooksPass> {
  using Base::Base;
  void runOnOperation() override {
    std::unique_ptr<einfuse::gpu::GPUTargetInfo> info =
        getGPUTargetInfo(target, getOperation(), getArgument());
    if (!info)
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    info->loadDialects(ctx);
    const einfuse::gpu::GPUTargetInfo &t = *info;
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
      // Every workgroup buffer starts 16-byte aligned: a lane's vector
      // chunk of a staged tile and a fragment load (ldmatrix's rows) need
      // it, and the lowering aligns a buffer to its element otherwise.
      for (auto kernel : module.getOps<mlir::gpu::GPUFuncOp>())
        for (unsigned i = 0; i < kernel.getNumWorkgroupAttributions(); ++i)
          if (!kernel.getWorkgroupAttributionAttr(
                  i, LLVM::LLVMDialect::getAlignAttrName()))
            kernel.setWorkgroupAttributionAttr(
                i, LLVM::LLVMDialect::getAlignAttrName(),
                IntegerAttr::get(IntegerType::get(ctx, 64), 16));
      hoistReciprocals(module);
      asyncStagingCopies(module, t);
      if (failed(applyPatternsGreedily(module, frozen)))
        return signalPassFailure();
    }
  }
};
} // namespace
