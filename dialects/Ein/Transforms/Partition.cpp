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
    return "a rescaled sum lacks a rank of the state it is rescaled by";
  case PartitionRefusal::AlreadySplit:
    return "the iteration is already split across workers";
  }
  llvm_unreachable("unknown refusal");
}

namespace {

/// A state value, its combine kind and the ranks that index it (from the
/// Einsum yielding it).
struct StateInfo {
  CombineAttr kind;
  SmallVector<StringRef> ranks;
};

Value constFloat(OpBuilder &b, Location loc, Type t, double v) {
  return arith::ConstantOp::create(b, loc, FloatAttr::get(t, v));
}

} // namespace

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
  auto yield = cast<YieldOp>(it.getBodyBlock().getTerminator());
  SmallVector<StateInfo> infos;
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    auto e = v.getDefiningOp<EinsumOp>();
    if (!e)
      return refuse(PartitionRefusal::StateNotEinsum);
    SmallVector<StringRef> names = e.getRankNames();
    StateInfo info{it.getCombineKind(i), {}};
    for (AffineExpr x : e.getOutputMap().getResults())
      info.ranks.push_back(names[cast<AffineDimExpr>(x).getPosition()]);
    infos.push_back(info);
  }
  for (const StateInfo &info : infos)
    if (info.kind.getKind() == CombineKind::rescaled_sum)
      for (StringRef r : infos[info.kind.getRef()].ranks)
        if (!llvm::is_contained(info.ranks, r))
          return refuse(PartitionRefusal::RescaledLacksRank);

  MLIRContext *ctx = it.getContext();
  Location loc = it.getLoc();
  CascadeOp cascade = it->getParentOfType<CascadeOp>();
  std::string w = addCascadeRank(cascade, it.getRank().str() + "_w", workers);

  // One iteration over every chunk, its results along the new rank.
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(it);
  SmallVector<Type> resultTypes;
  for (unsigned i = 0; i < it.getInits().size(); ++i)
    resultTypes.push_back(
        IterateOp::getResultType(it.getStateType(i), workers));
  auto split = IterateOp::create(
      rewriter, loc, resultTypes, it.getTiles(), it.getInits(),
      it.getRankAttr(), it.getTileRankAttr(), it.getTileSizeAttr(),
      it.getTileDimsAttr(), it.getTileDivisorsAttr(), it.getCombineAttr(),
      rewriter.getI64IntegerAttr(workers));
  rewriter.inlineRegionBefore(it.getBody(), split.getBody(),
                              split.getBody().end());

  // The combine: a reduction over the workers' rank per state, in an order
  // where the states a kind reads come first.
  SmallVector<Value> out(infos.size());
  auto dims = [&](ArrayRef<StringRef> ranks, ArrayRef<StringRef> over) {
    return llvm::map_to_vector(ranks, [&](StringRef r) {
      return getAffineDimExpr(llvm::find(over, r) - over.begin(), ctx);
    });
  };
  auto build = [&](unsigned i) {
    const StateInfo &info = infos[i];
    SmallVector<StringRef> names = {w};
    llvm::append_range(names, info.ranks);
    SmallVector<AffineExpr> own = dims(info.ranks, names);
    SmallVector<AffineExpr> perWorker = dims(names, names);
    auto alongW = [&](unsigned j) { // state j of every worker
      SmallVector<StringRef> ranks = {w};
      llvm::append_range(ranks, infos[j].ranks);
      return dims(ranks, names);
    };
    RankedTensorType type = it.getStateType(i);
    Value mine = split.getResult(i);
    CombineAttr kind = info.kind;
    switch (kind.getKind()) {
    case CombineKind::max:
    case CombineKind::min:
    case CombineKind::sum: {
      ReduceKind r = kind.getKind() == CombineKind::max   ? ReduceKind::max
                     : kind.getKind() == CombineKind::min ? ReduceKind::min
                                                          : ReduceKind::sum;
      return buildEinsum(rewriter, loc, type, {mine}, names, {perWorker}, own,
                         MapKind::copy, r)
          .getResult();
    }
    case CombineKind::rescaled_sum: {
      // sum over workers of S_w * exp(weight * (G - G_w)); 0 for an empty
      // worker (G_w the identity), whose exp could be inf * 0.
      unsigned j = kind.getRef();
      double identity = infos[j].kind.getIdentity(), weight = kind.getWeightValue();
      return buildEinsum(
                 rewriter, loc, type, {mine, split.getResult(j), out[j]},
                 names, {perWorker, alongW(j), dims(infos[j].ranks, names)},
                 own, MapKind::custom, ReduceKind::sum,
                 [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                   Type t = a[0].getType();
                   Value empty = arith::CmpFOp::create(
                       b, l, arith::CmpFPredicate::OEQ, a[1],
                       constFloat(b, l, t, identity));
                   Value f = math::ExpOp::create(
                       b, l,
                       arith::MulFOp::create(
                           b, l, constFloat(b, l, t, weight),
                           arith::SubFOp::create(b, l, a[2], a[1])));
                   return arith::SelectOp::create(
                       b, l, empty, constFloat(b, l, t, 0.0),
                       arith::MulFOp::create(b, l, a[0], f));
                 })
          .getResult();
    }
    case CombineKind::welford_mean: {
      // sum over workers of mean_w * n_w / N; 0 where N is 0.
      unsigned n = kind.getRef();
      return buildEinsum(
                 rewriter, loc, type, {mine, split.getResult(n), out[n]},
                 names, {perWorker, alongW(n), dims(infos[n].ranks, names)},
                 own, MapKind::custom, ReduceKind::sum,
                 [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                   Type t = a[0].getType();
                   Value zero = constFloat(b, l, t, 0.0);
                   Value empty = arith::CmpFOp::create(
                       b, l, arith::CmpFPredicate::OEQ, a[2], zero);
                   Value v = arith::DivFOp::create(
                       b, l, arith::MulFOp::create(b, l, a[0], a[1]), a[2]);
                   return arith::SelectOp::create(b, l, empty, zero, v);
                 })
          .getResult();
    }
    case CombineKind::welford_m2: {
      // Chan et al. over P parts: sum over workers of
      // M2_w + n_w * (mean_w - mean)^2 (an empty worker adds 0).
      unsigned n = kind.getRef(), m = kind.getRef2();
      return buildEinsum(
                 rewriter, loc, type,
                 {mine, split.getResult(n), split.getResult(m), out[m]}, names,
                 {perWorker, alongW(n), alongW(m),
                  dims(infos[m].ranks, names)},
                 own, MapKind::custom, ReduceKind::sum,
                 [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                   Value d = arith::SubFOp::create(b, l, a[2], a[3]);
                   Value c = arith::MulFOp::create(
                       b, l, a[1], arith::MulFOp::create(b, l, d, d));
                   return arith::AddFOp::create(b, l, a[0], c).getResult();
                 })
          .getResult();
    }
    }
    llvm_unreachable("unknown combine kind");
  };
  auto rankOf = [](CombineKind k) {
    switch (k) {
    case CombineKind::welford_m2:
      return 2;
    case CombineKind::rescaled_sum:
    case CombineKind::welford_mean:
      return 1;
    default:
      return 0;
    }
  };
  for (int level = 0; level < 3; ++level)
    for (unsigned i = 0; i < infos.size(); ++i)
      if (rankOf(infos[i].kind.getKind()) == level)
        out[i] = build(i);
  rewriter.replaceOp(it, out);
  return out;
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
    // One worker is the iteration itself.
    if (options.workers <= 1 || it.getWorkers())
      return rewriter.notifyMatchFailure(it, "nothing to split");
    PartitionRefusal why;
    if (succeeded(partitionIteration(rewriter, it, options.workers, &why)))
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
