//===- TestPartialReduction.cpp - Drive PartialReductionOpInterface -------===//
//
// A test driver for `ein.iterate`'s PartialReductionOpInterface, shaped like
// upstream's PartialReductionOuterParallel tiling (initial partials, one
// partial reduction per chunk inserted at its partial position, merge) but
// unrolled over a static number of chunks and written in Ein IR, since a
// cascade holds no scf loops. The production split is --ein-partition.
//
//===----------------------------------------------------------------------===//
#include "Ein/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace einfuse::ein {
#define GEN_PASS_DEF_TESTEINPARTIALREDUCTION
#include "Ein/Transforms/Passes.h.inc"
} // namespace einfuse::ein

using namespace mlir;
using namespace einfuse::ein;

namespace {

constexpr int64_t kMaxTestChunks = 64;

SmallVector<AffineExpr> allDims(unsigned n, MLIRContext *ctx) {
  SmallVector<AffineExpr> dims;
  for (unsigned i = 0; i < n; ++i)
    dims.push_back(getAffineDimExpr(i, ctx));
  return dims;
}

LogicalResult splitByChunks(IRRewriter &rewriter, IterateOp it,
                            int64_t chunks) {
  MLIRContext *ctx = it.getContext();
  Location loc = it.getLoc();
  rewriter.setInsertionPoint(it);
  SetVector<unsigned> iterated;
  iterated.insert(0);
  auto strategy = ReductionTilingStrategy::PartialReductionOuterParallel;

  Range domain = it.getIterationDomain(rewriter).front();
  std::optional<int64_t> extent = getConstantIntValue(domain.size);
  if (!extent)
    return it.emitOpError("test-ein-partial-reduction: the iterated rank '")
           << it.getRank() << "' needs a static extent";
  // Chunks of whole tiles (so each starts at a multiple of every divisor).
  int64_t tile = it.getTileSize();
  int64_t chunk =
      std::max<int64_t>(tile, llvm::divideCeil(llvm::divideCeil(*extent, chunks),
                                               tile) *
                                  tile);
  FailureOr<SmallVector<Value>> partials =
      it.generateInitialTensorForPartialReduction(
          rewriter, loc, {rewriter.getIndexAttr(chunk)}, iterated);
  if (failed(partials))
    return failure();
  auto partialType = cast<RankedTensorType>(partials->front().getType());
  int64_t parts = partialType.getDimSize(0);
  unsigned numStates = partials->size();

  // Each chunk: its initial state read from the partials, the partial
  // reduction over its range, and where its state goes.
  SmallVector<SmallVector<StringRef>> ranks;
  for (unsigned i = 0; i < numStates; ++i)
    ranks.push_back(*it.getStateRanks(i));
  SmallVector<SmallVector<Value>> states(numStates);
  SmallVector<int64_t> positions;
  for (int64_t q = 0; q < parts; ++q) {
    SmallVector<Value> init;
    for (unsigned i = 0; i < numStates; ++i) {
      SmallVector<AffineExpr> own = allDims(ranks[i].size(), ctx);
      SmallVector<AffineExpr> at = {getAffineConstantExpr(q, ctx)};
      llvm::append_range(at, own);
      init.push_back(buildEinsum(rewriter, loc, it.getStateType(i),
                                 {(*partials)[i]}, ranks[i], {at}, own,
                                 MapKind::copy, ReduceKind::none)
                         .getResult());
    }
    OpFoldResult offset = rewriter.getIndexAttr(q * chunk);
    if (std::optional<int64_t> lo = getConstantIntValue(domain.offset))
      offset = rewriter.getIndexAttr(*lo + q * chunk);
    else
      offset = arith::AddIOp::create(
                   rewriter, loc, cast<Value>(domain.offset),
                   arith::ConstantIndexOp::create(rewriter, loc, q * chunk))
                   .getResult();
    OpFoldResult size =
        rewriter.getIndexAttr(std::min(chunk, *extent - q * chunk));
    OpFoldResult iv = rewriter.getIndexAttr(q);
    FailureOr<TilingResult> tiled = it.tileToPartialReduction(
        rewriter, loc, strategy, init, {offset}, {size}, iterated, {iv});
    if (failed(tiled))
      return failure();
    SmallVector<OpFoldResult> resultOffsets, resultSizes;
    if (failed(it.getPartialResultTilePosition(
            rewriter, 0, strategy, {offset}, {size}, iterated, {iv},
            resultOffsets, resultSizes)))
      return it.emitOpError("has no partial result position");
    std::optional<int64_t> pos = getConstantIntValue(resultOffsets[0]);
    if (!pos || *pos < 0 || *pos >= parts)
      return it.emitOpError("partial result position out of range");
    positions.push_back(*pos);
    for (unsigned i = 0; i < numStates; ++i)
      states[i].push_back(tiled->tiledValues[i]);
  }

  // Every chunk's state at its position of the partials.
  SmallVector<Value> stitched;
  for (unsigned i = 0; i < numStates; ++i) {
    auto def = (*partials)[i].getDefiningOp<EinsumOp>();
    StringRef w = def.getRankNames()[cast<AffineDimExpr>(
                                         def.getOutputMap().getResult(0))
                                         .getPosition()];
    SmallVector<StringRef> names = {w};
    llvm::append_range(names, ranks[i]);
    SmallVector<AffineExpr> all = allDims(names.size(), ctx);
    SmallVector<AffineExpr> own(all.begin() + 1, all.end());
    SmallVector<SmallVector<AffineExpr>> exprs(parts, own);
    stitched.push_back(
        buildEinsum(rewriter, loc,
                    cast<RankedTensorType>((*partials)[i].getType()), states[i], names, exprs, all, MapKind::custom,
                    ReduceKind::none,
                    [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                      Value p = IndexOp::create(b, l, b.getIndexType(), w);
                      Value v = a.back();
                      for (int64_t q = parts - 2; q >= 0; --q) {
                        Value here = arith::CmpIOp::create(
                            b, l, arith::CmpIPredicate::eq, p,
                            arith::ConstantIndexOp::create(b, l,
                                                           positions[q]));
                        v = arith::SelectOp::create(b, l, here, a[q], v);
                      }
                      return v;
                    })
            .getResult());
  }
  FailureOr<MergeResult> merged =
      it.mergeReductions(rewriter, loc, stitched, iterated);
  if (failed(merged))
    return it.emitOpError("test-ein-partial-reduction: the merge failed");
  rewriter.replaceOp(it, merged->replacements);
  return success();
}

struct TestEinPartialReductionPass
    : public einfuse::ein::impl::TestEinPartialReductionBase<
          TestEinPartialReductionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (chunks < 1 || chunks > kMaxTestChunks) {
      emitError(getOperation()->getLoc(),
                "test-ein-partial-reduction: chunks must be in [1, ")
          << kMaxTestChunks << "], got " << static_cast<int64_t>(chunks);
      return signalPassFailure();
    }
    SmallVector<IterateOp> its;
    getOperation()->walk([&](IterateOp it) {
      if (it.getCombine() && !it.getWorkers())
        its.push_back(it);
    });
    IRRewriter rewriter(&getContext());
    for (IterateOp it : its)
      if (failed(splitByChunks(rewriter, it, chunks)))
        return signalPassFailure();
  }
};

} // namespace
