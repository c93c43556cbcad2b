//===- Partition.cpp - Split an iteration across workers, then combine -----===//
//
// The running state of an online cascade is a monoid: two states of
// disjoint ranges combine into the state of their union. Splitting the
// iterated rank into P chunks, iterating them independently and combining
// the P states is split-K / Flash-Decoding. The split is one iteration with
// `workers = P` (one parallel loop on the CPU, CTAs on a GPU), whose
// results hold every chunk's state along a new rank; the combine is a
// reduction over that rank, generated from the iteration's `combine` kinds,
// not written per kernel. Nothing is copied per worker, so compile time
// does not depend on P.
//
//===----------------------------------------------------------------------===//
#include "Ein/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace einfuse::ein {
#define GEN_PASS_DEF_EINPARTITION
#include "Ein/Transforms/Passes.h.inc"
} // namespace einfuse::ein

using namespace mlir;
using namespace einfuse::ein;

StringRef einfuse::ein::describe(PartitionRefusal reason) {
  switch (reason) {
  case PartitionRefusal::NoCombine:
    return "the iteration does not say how its states combine";
  case PartitionRefusal::StateNotEinsum:
    return "a state value is not the result of an Einsum, so its ranks are "
           "unknown";
  case PartitionRefusal::RescaledLacksRank:
    return "a rescaled sum (or Welford mean or M2) lacks a rank of the state "
           "its merge reads";
  case PartitionRefusal::AlreadySplit:
    return "the iteration is already split across workers";
  }
  llvm_unreachable("unknown refusal");
}

FailureOr<SmallVector<Value>>
einfuse::ein::partitionIteration(RewriterBase &rewriter, IterateOp it,
                                 int64_t workers, PartitionRefusal *why) {
  auto refuse = [&](PartitionRefusal r) {
    if (why)
      *why = r;
    return failure();
  };
  if (it.getWorkers())
    return refuse(PartitionRefusal::AlreadySplit);
  if (!it.getCombine())
    return refuse(PartitionRefusal::NoCombine);
  // The merge below (IterateOp::mergeReductions) needs every state's ranks,
  // and each rescaled sum indexed by the ranks of the state it refers to.
  SmallVector<SmallVector<StringRef>> ranks;
  for (unsigned i = 0; i < it.getInits().size(); ++i) {
    FailureOr<SmallVector<StringRef>> r = it.getStateRanks(i);
    if (failed(r))
      return refuse(PartitionRefusal::StateNotEinsum);
    ranks.push_back(*r);
  }
  if (!combineReadsOwnRanks(it))
    return refuse(PartitionRefusal::RescaledLacksRank);

  // One iteration over every chunk, its results along a leading dim (the
  // partials of PartialReductionOpInterface, all chunks in one op), then
  // their merge.
  Location loc = it.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(it);
  SmallVector<Type> resultTypes;
  for (unsigned i = 0; i < it.getInits().size(); ++i)
    resultTypes.push_back(
        IterateOp::getResultType(it.getStateType(i), workers));
  auto split = IterateOp::create(
      rewriter, loc, resultTypes, it.getTiles(), it.getInits(),
      it.getRangeOffset(), it.getRangeSize(), it.getRankAttr(),
      it.getTileRankAttr(), it.getTileSizeAttr(), it.getTileDimsAttr(),
      it.getTileDivisorsAttr(), it.getCombineAttr(),
      rewriter.getI64IntegerAttr(workers));
  rewriter.inlineRegionBefore(it.getBody(), split.getBody(),
                              split.getBody().end());
  SetVector<unsigned> iterated;
  iterated.insert(0);
  FailureOr<MergeResult> merged =
      split.mergeReductions(rewriter, loc, split.getResults(), iterated);
  if (failed(merged)) // the checks above rule this out
    return split.emitOpError("could not merge the workers' states");
  rewriter.replaceOp(it, merged->replacements);
  return merged->replacements;
}

FailureOr<CascadeOp>
einfuse::ein::separateSplitIteration(RewriterBase &rewriter, IterateOp it) {
  auto cascade = dyn_cast<CascadeOp>(it->getParentOp());
  if (!cascade || !it.getWorkers() || it.getRangeOffset())
    return failure();
  // The workers' rank, as the readers of the results name it.
  std::string workersRank;
  for (Value r : it.getResults())
    for (OpOperand &use : r.getUses()) {
      auto e = dyn_cast<EinsumOp>(use.getOwner());
      if (!e || e->getParentOp() != cascade.getOperation())
        return failure();
      auto d = dyn_cast<AffineDimExpr>(
          e.getInputMap(use.getOperandNumber()).getResult(0));
      if (!d)
        return failure();
      StringRef name = e.getRankNames()[d.getPosition()];
      if (!workersRank.empty() && workersRank != name)
        return failure();
      workersRank = name.str();
    }
  if (workersRank.empty())
    return failure();
  SmallVector<SmallVector<StringRef>> stateRanks;
  for (unsigned i = 0; i < it.getInits().size(); ++i) {
    FailureOr<SmallVector<StringRef>> ranks = it.getStateRanks(i);
    if (failed(ranks) || llvm::is_contained(*ranks, workersRank))
      return failure();
    stateRanks.push_back(*ranks);
  }

  // What the iteration reads from the cascade's body (sizes, initial
  // states), in order.
  Block &body = cascade.getBodyBlock();
  BackwardSliceOptions options;
  options.inclusive = true;
  options.omitUsesFromAbove = false;
  options.filter = [&](Operation *op) { return op->getBlock() == &body; };
  SetVector<Operation *> slice;
  if (failed(getBackwardSlice(it.getOperation(), &slice, options)))
    return failure();
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });

  Location loc = it.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(cascade);
  auto part = CascadeOp::create(
      rewriter, loc, it.getResultTypes(), cascade.getTileOffsets(),
      cascade.getTileExtents(), cascade.getRanksAttr(),
      cascade.getExtentsAttr(), cascade.getTiledRanksAttr());
  rewriter.createBlock(&part.getBody());
  IRMapping mapping;
  for (Operation *op : ordered)
    rewriter.clone(*op, mapping);
  SmallVector<StringRef> names(llvm::map_range(
      cascade.getRanks().getAsRange<StringAttr>(),
      [](StringAttr a) { return a.getValue(); }));
  SmallVector<Value> copies;
  for (auto [i, r] : llvm::enumerate(it.getResults())) {
    SmallVector<StringRef> ranks = {workersRank};
    llvm::append_range(ranks, stateRanks[i]);
    SmallVector<AffineExpr> dims = llvm::map_to_vector(ranks, [&](StringRef n) {
      return getAffineDimExpr(llvm::find(names, n) - names.begin(),
                              rewriter.getContext());
    });
    copies.push_back(buildEinsum(rewriter, loc,
                                 cast<RankedTensorType>(r.getType()),
                                 {mapping.lookup(r)}, names, {dims}, dims,
                                 MapKind::copy, ReduceKind::none));
  }
  YieldOp::create(rewriter, loc, copies);

  rewriter.replaceAllUsesWith(it.getResults(), part.getResults());
  // The iteration, and what only it read.
  for (Operation *op : llvm::reverse(ordered))
    if (op->use_empty())
      rewriter.eraseOp(op);
  return part;
}

namespace {

/// Split-K: the plain sums over `rank` of a 1-pass cascade become an
/// iteration, for PartitionIteration to split.
struct PlainIterationOverRank : public OpRewritePattern<CascadeOp> {
  PlainIterationOverRank(MLIRContext *ctx, EinPartitionOptions options)
      : OpRewritePattern(ctx), options(std::move(options)) {}

  LogicalResult matchAndRewrite(CascadeOp cascade,
                                PatternRewriter &rewriter) const override {
    if (options.workers <= 1 || options.rank.empty() ||
        cascade.lookupRank(options.rank) < 0)
      return rewriter.notifyMatchFailure(cascade, "no split-K asked here");
    OnlineRefusalInfo why;
    if (succeeded(buildPlainIteration(rewriter, cascade, options.rank,
                                      options.tileSize, &why)))
      return success();
    std::string text = describe(why.reason, options.rank, why.detail);
    if (options.remarks && why.reason != OnlineRefusal::AlreadyIterated)
      (why.at ? why.at : cascade.getOperation())
              ->emitRemark("no split over rank '")
          << options.rank << "': " << text;
    return rewriter.notifyMatchFailure(cascade, text);
  }

  EinPartitionOptions options;
};

/// One iteration split across `workers`, its states combined.
struct PartitionIteration : public OpRewritePattern<IterateOp> {
  PartitionIteration(MLIRContext *ctx, EinPartitionOptions options)
      : OpRewritePattern(ctx), options(std::move(options)) {}

  LogicalResult matchAndRewrite(IterateOp it,
                                PatternRewriter &rewriter) const override {
    // A kernel function's configuration decides where it sets `split`.
    int64_t workers = options.workers;
    if (auto config = GPUConfigAttr::lookup(it); config && config.getSplit())
      workers = config.getSplit();
    // One worker is the iteration itself.
    if (workers <= 1 || it.getWorkers())
      return rewriter.notifyMatchFailure(it, "nothing to split");
    PartitionRefusal why;
    if (succeeded(partitionIteration(rewriter, it, workers, &why)))
      return success();
    if (options.remarks)
      it.emitRemark("not partitioned: ") << describe(why);
    return rewriter.notifyMatchFailure(it, describe(why));
  }

  EinPartitionOptions options;
};

struct EinPartitionPass
    : public einfuse::ein::impl::EinPartitionBase<EinPartitionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (workers <= 0 || workers > kMaxWorkers) {
      emitError(getOperation()->getLoc(), "ein-partition: workers must be in "
                                          "[1, ")
          << kMaxWorkers << "], got " << static_cast<int64_t>(workers);
      return signalPassFailure();
    }
    if (tileSize <= 0 || tileSize > kMaxTileSize) {
      emitError(getOperation()->getLoc(),
                "ein-partition: tile-size must be in [1, 2^31], got ")
          << static_cast<int64_t>(tileSize);
      return signalPassFailure();
    }
    if (!rank.empty() &&
        failed(checkRankOption(getOperation(), rank, "ein-partition: rank")))
      return signalPassFailure();
    EinPartitionOptions options{workers, rank, tileSize, remarks};
    // Two walks: the split-K iterations are built inside cascades, which a
    // (post-order) walk visits after their iterations.
    RewritePatternSet splitK(&getContext());
    populateEinSplitKPatterns(splitK, options);
    walkAndApplyPatterns(getOperation(), std::move(splitK));
    RewritePatternSet split(&getContext());
    populateEinPartitionPatterns(split, options);
    walkAndApplyPatterns(getOperation(), std::move(split));
  }
};

} // namespace

void einfuse::ein::populateEinSplitKPatterns(
    RewritePatternSet &patterns, const EinPartitionOptions &options) {
  patterns.add<PlainIterationOverRank>(patterns.getContext(), options);
}

void einfuse::ein::populateEinPartitionPatterns(
    RewritePatternSet &patterns, const EinPartitionOptions &options) {
  patterns.add<PartitionIteration>(patterns.getContext(), options);
}
