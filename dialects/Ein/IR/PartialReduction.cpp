//===- PartialReduction.cpp - ein.iterate as a partial reduction ----------===//
//
// Upstream's TilingInterface / PartialReductionOpInterface on `ein.iterate`.
// The iteration domain is the iterated rank (its range, if it has one), a
// reduction. The running state is a monoid (`combine`), so the rank splits
// into chunks whose partial states are computed independently and merged:
// the PartialReductionOuterParallel strategy.
//
// Everything these methods build is Ein IR (Einsums, iterations, scalar and
// size ops), so they run inside an `ein.cascade`. Upstream's own drivers
// (scf::tileUsingSCF) wrap the op in scf.forall/tensor slices, which a
// cascade does not hold; --ein-partition drives the merge after a split
// across workers, and --test-ein-partial-reduction drives all four methods
// chunk by chunk.
//
//===----------------------------------------------------------------------===//
#include "Ein/IR/EinDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace einfuse::ein;

namespace {

Value constFloat(OpBuilder &b, Location loc, Type t, double v) {
  return arith::ConstantOp::create(b, loc, FloatAttr::get(t, v));
}

/// The combine kind and ranks of every state, or failure without a combine
/// or with a state whose ranks are unknown.
struct StateInfo {
  CombineAttr kind;
  SmallVector<StringRef> ranks;
};
FailureOr<SmallVector<StateInfo>> stateInfos(IterateOp it) {
  if (!it.getCombine())
    return failure();
  SmallVector<StateInfo> infos;
  for (unsigned i = 0; i < it.getInits().size(); ++i) {
    FailureOr<SmallVector<StringRef>> ranks = it.getStateRanks(i);
    if (failed(ranks))
      return failure();
    infos.push_back({it.getCombineKind(i), *ranks});
  }
  return infos;
}

/// Affine dims of `ranks` over the rank list `over`.
SmallVector<AffineExpr> dimsOf(ArrayRef<StringRef> ranks,
                               ArrayRef<StringRef> over, MLIRContext *ctx) {
  return llvm::map_to_vector(ranks, [&](StringRef r) {
    return getAffineDimExpr(llvm::find(over, r) - over.begin(), ctx);
  });
}

bool isOuterParallel(ReductionTilingStrategy s,
                     const SetVector<unsigned> &reductionDims) {
  return s == ReductionTilingStrategy::PartialReductionOuterParallel &&
         reductionDims.size() == 1 && reductionDims.front() == 0;
}

/// Static size of the iteration domain, if known.
std::optional<int64_t> staticDomainSize(IterateOp it) {
  if (Value size = it.getRangeSize())
    return getConstantIntValue(size);
  for (auto [i, tiled, dim] : llvm::enumerate(it.getTiles(), it.getTileDims()))
    if (it.getTileDivisor(i) == 1) {
      int64_t n = cast<RankedTensorType>(tiled.getType()).getDimSize(dim);
      if (!ShapedType::isDynamic(n))
        return n;
    }
  return std::nullopt;
}

} // namespace

bool einfuse::ein::combineReadsOwnRanks(IterateOp it) {
  FailureOr<SmallVector<StateInfo>> infos = stateInfos(it);
  if (failed(infos))
    return false;
  for (const StateInfo &info : *infos) {
    SmallVector<int64_t> refs;
    switch (info.kind.getKind()) {
    case CombineKind::rescaled_sum:
    case CombineKind::welford_mean:
      refs = {info.kind.getRef()};
      break;
    case CombineKind::welford_m2:
      refs = {info.kind.getRef(), info.kind.getRef2()};
      break;
    default:
      break;
    }
    for (int64_t j : refs)
      for (StringRef r : (*infos)[j].ranks)
        if (!llvm::is_contained(info.ranks, r))
          return false;
  }
  return true;
}

SmallVector<utils::IteratorType> IterateOp::getLoopIteratorTypes() {
  return {utils::IteratorType::reduction};
}

SmallVector<Range> IterateOp::getIterationDomain(OpBuilder &b) {
  Location loc = getLoc();
  OpFoldResult one = b.getIndexAttr(1);
  if (getRangeOffset())
    return {Range{getAsOpFoldResult(getRangeOffset()),
                  getAsOpFoldResult(getRangeSize()), one}};
  // A plainly tiled operand, one with a static extent if there is one.
  unsigned plain = 0;
  while (getTileDivisor(plain) != 1)
    ++plain;
  for (auto [i, tiled, dim] : llvm::enumerate(getTiles(), getTileDims()))
    if (getTileDivisor(i) == 1 &&
        !cast<RankedTensorType>(tiled.getType()).isDynamicDim(dim)) {
      plain = i;
      break;
    }
  return {Range{b.getIndexAttr(0),
                tensor::getMixedSize(b, loc, getTiles()[plain],
                                     getTileDims()[plain]),
                one}};
}

/// Tiling the reduction itself (FullReduction) needs the running state
/// threaded from tile to tile, which this op does internally; a tile of the
/// domain on its own is a partial reduction (tileToPartialReduction).
FailureOr<TilingResult>
IterateOp::getTiledImplementation(OpBuilder &, ArrayRef<OpFoldResult>,
                                  ArrayRef<OpFoldResult>) {
  return emitOpError("is tiled along its iterated rank as a partial "
                     "reduction only (PartialReductionOuterParallel)");
}

LogicalResult IterateOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult>,
    ArrayRef<OpFoldResult>, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  // The iterated rank indexes no result: a tile's result is all of it.
  Value r = getResult(resultNumber);
  auto type = cast<RankedTensorType>(r.getType());
  resultOffsets.assign(type.getRank(), b.getIndexAttr(0));
  resultSizes = tensor::getMixedSizes(b, getLoc(), r);
  return success();
}

FailureOr<SmallVector<Value>>
IterateOp::generateInitialTensorForPartialReduction(
    OpBuilder &b, Location loc, ArrayRef<OpFoldResult> tileSizes,
    const SetVector<unsigned> &reductionDims) {
  if (getWorkers() || tileSizes.size() != 1 ||
      !llvm::equal(reductionDims, ArrayRef<unsigned>{0}))
    return emitOpError("partial reductions split the iterated rank (dim 0) "
                       "of an iteration not already split across workers");
  FailureOr<SmallVector<StateInfo>> infos = stateInfos(*this);
  if (failed(infos))
    return emitOpError("needs 'combine' and states yielded by Einsums to be "
                       "split into partial reductions");
  std::optional<int64_t> chunk = getConstantIntValue(tileSizes[0]);
  std::optional<int64_t> size = staticDomainSize(*this);
  if (!chunk || *chunk <= 0 || !size)
    return emitOpError("unsupported: the number of partial states must be "
                       "static (a static chunk size and extent)");
  for (unsigned i = 0; i < getTiles().size(); ++i)
    if (*chunk % getTileDivisor(i) != 0)
      return emitOpError("chunk size ")
             << *chunk << " must be a multiple of tile divisor "
             << getTileDivisor(i) << " (every chunk starts at a multiple of "
             << "it)";
  int64_t parts = std::max<int64_t>(1, llvm::divideCeil(*size, *chunk));
  if (parts > kMaxWorkers)
    return emitOpError("unsupported: ")
           << parts << " partial states, more than " << kMaxWorkers;

  // Partial p starts from the initial state for p = 0 and from the
  // identity of its combine kind otherwise, so the merge needs no extra
  // term for the initial state (as with `workers`).
  CascadeOp cascade = (*this)->getParentOfType<CascadeOp>();
  std::string w = addCascadeRank(cascade, getRank().str() + "_p", parts);
  SmallVector<Value> partials;
  for (auto [i, info] : llvm::enumerate(*infos)) {
    SmallVector<StringRef> names = {w};
    llvm::append_range(names, info.ranks);
    RankedTensorType state = getStateType(i);
    double identity = info.kind.getIdentity();
    StringRef wName = names.front();
    partials.push_back(
        buildEinsum(b, loc, getResultType(state, parts), {getInits()[i]},
                    names, {dimsOf(info.ranks, names, getContext())},
                    dimsOf(names, names, getContext()), MapKind::custom,
                    ReduceKind::none,
                    [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
                      Value p = IndexOp::create(bb, l, bb.getIndexType(),
                                                wName);
                      Value first = arith::CmpIOp::create(
                          bb, l, arith::CmpIPredicate::eq, p,
                          arith::ConstantIndexOp::create(bb, l, 0));
                      return arith::SelectOp::create(
                          bb, l, first, a[0],
                          constFloat(bb, l, a[0].getType(), identity));
                    })
            .getResult());
  }
  return partials;
}

FailureOr<TilingResult> IterateOp::tileToPartialReduction(
    OpBuilder &b, Location loc, ReductionTilingStrategy strategy,
    ValueRange init, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, const SetVector<unsigned> &reductionDims,
    ArrayRef<OpFoldResult>) {
  if (!isOuterParallel(strategy, reductionDims) || offsets.size() != 1 ||
      sizes.size() != 1)
    return emitOpError("unsupported: partial reductions split the iterated "
                       "rank into chunks (PartialReductionOuterParallel), "
                       "not positions within a tile");
  if (getWorkers())
    return emitOpError("is already split across workers");
  if (init.getTypes() != getInits().getTypes())
    return emitOpError("a chunk starts from one state value per state, with "
                       "the types of the initial state");
  if (std::optional<int64_t> offset = getConstantIntValue(offsets[0]))
    for (unsigned i = 0; i < getTiles().size(); ++i)
      if (*offset % getTileDivisor(i) != 0)
        return emitOpError("chunk offset ")
               << *offset << " is not a multiple of tile divisor "
               << getTileDivisor(i);
  // The chunk: this iteration over [offset, offset + size), from `init`.
  Value offset = getValueOrCreateConstantIndexOp(b, loc, offsets[0]);
  Value size = getValueOrCreateConstantIndexOp(b, loc, sizes[0]);
  auto chunk = IterateOp::create(
      b, loc, getResultTypes(), getTiles(), init, offset, size, getRankAttr(),
      getTileRankAttr(), getTileSizeAttr(), getTileDimsAttr(),
      getTileDivisorsAttr(), getCombineAttr(), /*workers=*/nullptr);
  IRMapping mapping;
  getBody().cloneInto(&chunk.getBody(), mapping);
  return TilingResult{{chunk.getOperation()},
                      SmallVector<Value>(chunk.getResults()),
                      /*generatedSlices=*/{}};
}

LogicalResult IterateOp::getPartialResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ReductionTilingStrategy strategy,
    ArrayRef<OpFoldResult>, ArrayRef<OpFoldResult>,
    const SetVector<unsigned> &reductionDims,
    ArrayRef<OpFoldResult> splitReductionIvs,
    SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  if (!isOuterParallel(strategy, reductionDims) ||
      splitReductionIvs.size() != 1)
    return failure();
  // Chunk c's state is [c, 0, ...] of the partials, one along the chunks.
  resultOffsets = {splitReductionIvs[0]};
  resultSizes = {b.getIndexAttr(1)};
  Value init = getInits()[resultNumber];
  for (int64_t d = 0; d < getStateType(resultNumber).getRank(); ++d) {
    resultOffsets.push_back(b.getIndexAttr(0));
    resultSizes.push_back(tensor::getMixedSize(b, getLoc(), init, d));
  }
  return success();
}

FailureOr<MergeResult>
IterateOp::mergeReductions(OpBuilder &b, Location loc, ValueRange partials,
                           const SetVector<unsigned> &reductionDims) {
  FailureOr<SmallVector<StateInfo>> found = stateInfos(*this);
  if (failed(found) || partials.size() != getInits().size() ||
      !llvm::equal(reductionDims, ArrayRef<unsigned>{0}))
    return failure();
  SmallVector<StateInfo> &infos = *found;
  int64_t parts = ShapedType::kDynamic;
  for (auto [i, p] : llvm::enumerate(partials)) {
    auto type = dyn_cast<RankedTensorType>(p.getType());
    if (!type || type.getRank() < 1 ||
        type != getResultType(getStateType(i), type.getDimSize(0)) ||
        type.isDynamicDim(0) ||
        (!ShapedType::isDynamic(parts) && parts != type.getDimSize(0)))
      return failure();
    parts = type.getDimSize(0);
  }
  // A state's merge reads the states its kind refers to per element, so
  // they must be indexed by (a subset of) its ranks.
  if (!combineReadsOwnRanks(*this))
    return failure();

  MLIRContext *ctx = getContext();
  CascadeOp cascade = (*this)->getParentOfType<CascadeOp>();
  std::string w = addCascadeRank(cascade, getRank().str() + "_w", parts);
  // One reduction over the partials' rank per state, in an order where the
  // states a kind reads come first.
  SmallVector<Value> out(infos.size());
  MergeResult result;
  auto build = [&](unsigned i) -> Value {
    const StateInfo &info = infos[i];
    SmallVector<StringRef> names = {w};
    llvm::append_range(names, info.ranks);
    SmallVector<AffineExpr> own = dimsOf(info.ranks, names, ctx);
    SmallVector<AffineExpr> perPart = dimsOf(names, names, ctx);
    auto alongW = [&](unsigned j) { // state j of every partial
      SmallVector<StringRef> ranks = {w};
      llvm::append_range(ranks, infos[j].ranks);
      return dimsOf(ranks, names, ctx);
    };
    RankedTensorType type = getStateType(i);
    Value mine = partials[i];
    CombineAttr kind = info.kind;
    EinsumOp e;
    switch (kind.getKind()) {
    case CombineKind::max:
    case CombineKind::min:
    case CombineKind::sum: {
      ReduceKind r = kind.getKind() == CombineKind::max   ? ReduceKind::max
                     : kind.getKind() == CombineKind::min ? ReduceKind::min
                                                          : ReduceKind::sum;
      e = buildEinsum(b, loc, type, {mine}, names, {perPart}, own,
                      MapKind::copy, r);
      break;
    }
    case CombineKind::rescaled_sum: {
      // sum over partials of S_w * exp(weight * (G - G_w)); 0 for an empty
      // partial (G_w the identity), whose exp could be inf * 0.
      unsigned j = kind.getRef();
      double identity = infos[j].kind.getIdentity(),
             weight = kind.getWeightValue();
      e = buildEinsum(
          b, loc, type, {mine, partials[j], out[j]}, names,
          {perPart, alongW(j), dimsOf(infos[j].ranks, names, ctx)}, own,
          MapKind::custom, ReduceKind::sum,
          [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
            Type t = a[0].getType();
            Value empty =
                arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ, a[1],
                                      constFloat(bb, l, t, identity));
            Value f = math::ExpOp::create(
                bb, l,
                arith::MulFOp::create(bb, l, constFloat(bb, l, t, weight),
                                      arith::SubFOp::create(bb, l, a[2],
                                                            a[1])));
            return arith::SelectOp::create(
                bb, l, empty, constFloat(bb, l, t, 0.0),
                arith::MulFOp::create(bb, l, a[0], f));
          });
      break;
    }
    case CombineKind::welford_mean: {
      // sum over partials of mean_w * n_w / N; 0 where N is 0.
      unsigned n = kind.getRef();
      e = buildEinsum(
          b, loc, type, {mine, partials[n], out[n]}, names,
          {perPart, alongW(n), dimsOf(infos[n].ranks, names, ctx)}, own,
          MapKind::custom, ReduceKind::sum,
          [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
            Type t = a[0].getType();
            Value zero = constFloat(bb, l, t, 0.0);
            Value empty = arith::CmpFOp::create(
                bb, l, arith::CmpFPredicate::OEQ, a[2], zero);
            Value v = arith::DivFOp::create(
                bb, l, arith::MulFOp::create(bb, l, a[0], a[1]), a[2]);
            return arith::SelectOp::create(bb, l, empty, zero, v);
          });
      break;
    }
    case CombineKind::welford_m2: {
      // Chan et al. over P parts: sum over partials of
      // M2_w + n_w * (mean_w - mean)^2 (an empty partial adds 0).
      unsigned n = kind.getRef(), m = kind.getRef2();
      e = buildEinsum(
          b, loc, type, {mine, partials[n], partials[m], out[m]}, names,
          {perPart, alongW(n), alongW(m), dimsOf(infos[m].ranks, names, ctx)},
          own, MapKind::custom, ReduceKind::sum,
          [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
            Value d = arith::SubFOp::create(bb, l, a[2], a[3]);
            Value c = arith::MulFOp::create(
                bb, l, a[1], arith::MulFOp::create(bb, l, d, d));
            return arith::AddFOp::create(bb, l, a[0], c).getResult();
          });
      break;
    }
    }
    result.mergeOps.push_back(e);
    return e.getResult();
  };
  auto levelOf = [](CombineKind k) {
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
      if (levelOf(infos[i].kind.getKind()) == level)
        out[i] = build(i);
  result.replacements = out;
  return result;
}
