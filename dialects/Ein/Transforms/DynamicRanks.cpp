//===- DynamicRanks.cpp - Static extents of parallel ranks made dynamic ----===//
//
// The parallel tiling of --convert-ein-to-linalg slices a cascade's inputs
// along a rank and lowers one clone of the cascade per tile, so the rank's
// dims must be dynamic: the slice of a static dim has another type. This
// pass gives the chosen ranks dynamic dims inside each cascade (casts of the
// inputs before it, of the results after it), so that decode attention
// ([1, 8, 1, D]: static heads, one query) runs its heads on the threads.
//
//===----------------------------------------------------------------------===//
#include "Ein/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace einfuse::ein {
#define GEN_PASS_DEF_EINDYNAMICRANKS
#include "Ein/Transforms/Passes.h.inc"
} // namespace einfuse::ein

using namespace mlir;
using namespace einfuse::ein;

namespace {

/// `type` with the dims in `dims` dynamic.
RankedTensorType withDynamic(RankedTensorType type,
                             const llvm::SmallDenseSet<int64_t> &dims) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t d : dims)
    shape[d] = ShapedType::kDynamic;
  return type.clone(shape);
}

/// The dims of operand `i` of `e` (i < 0: its result) that a rank of
/// `ranks` indexes.
llvm::SmallDenseSet<int64_t> dimsOf(EinsumOp e, int i,
                                    const llvm::StringSet<> &ranks) {
  AffineMap map = i < 0 ? e.getOutputMap() : e.getInputMap(i);
  SmallVector<StringRef> names = e.getRankNames();
  llvm::SmallDenseSet<int64_t> dims;
  for (auto [d, x] : llvm::enumerate(map.getResults())) {
    if (auto de = dyn_cast<AffineDimExpr>(x);
        de && ranks.contains(names[de.getPosition()]))
      dims.insert(d);
    // `rank floordiv G` (a head shared by G query heads) is sliced too.
    for (auto [r, name] : llvm::enumerate(names))
      if (ranks.contains(name) && getRankGroup(x, r))
        dims.insert(d);
  }
  return dims;
}

/// The ranks of `cascade` to make dynamic: `asked`, or with "auto" every
/// rank of the first result but the last (the only one of a 1-D result),
/// with "all" every rank of the first result;
/// those that qualify (not declared, never reduced, never inside a compound
/// expression but `rank floordiv G`). Empty when the body holds anything but
/// Einsums.
llvm::StringSet<> chooseRanks(CascadeOp cascade, ArrayRef<std::string> asked) {
  llvm::StringSet<> ranks;
  Block &block = cascade.getBodyBlock();
  for (Operation &op : block.without_terminator())
    if (!isa<EinsumOp>(op))
      return ranks;
  SmallVector<std::string> candidates;
  bool all = asked.size() == 1 && asked.front() == "all";
  if (all || (asked.size() == 1 && asked.front() == "auto")) {
    auto yield = cast<YieldOp>(block.getTerminator());
    auto first = yield.getValues().empty()
                     ? EinsumOp()
                     : yield.getValues().front().getDefiningOp<EinsumOp>();
    if (!first)
      return ranks;
    SmallVector<StringRef> names = first.getRankNames();
    SmallVector<std::string> dims;
    for (AffineExpr x : first.getOutputMap().getResults())
      dims.push_back(names[cast<AffineDimExpr>(x).getPosition()].str());
    candidates.assign(dims.begin(),
                      dims.size() > 1 && !all ? dims.end() - 1 : dims.end());
  } else {
    candidates.assign(asked.begin(), asked.end());
  }
  for (const std::string &r : candidates) {
    if (cascade.lookupRank(r) < 0 ||
        !ShapedType::isDynamic(cascade.getDeclaredExtent(r)))
      continue;
    bool ok = true;
    for (EinsumOp e : block.getOps<EinsumOp>()) {
      SmallVector<StringRef> names = e.getRankNames();
      auto at = llvm::find(names, r);
      if (at == names.end())
        continue;
      unsigned pos = at - names.begin();
      if (e.isReducedRank(pos))
        ok = false;
      for (Attribute m : e.getIndexingMaps())
        for (AffineExpr x : cast<AffineMapAttr>(m).getValue().getResults())
          if (!isa<AffineDimExpr>(x) && x.isFunctionOfDim(pos) &&
              !getRankGroup(x, pos))
            ok = false;
    }
    if (ok)
      ranks.insert(r);
  }
  // Every value made inside the cascade must be read with the chosen ranks
  // at the dims its producer indexes by them (a transposed read, p[m, h] of
  // p = [h, m], would see a dynamic dim where it expects a static one).
  for (EinsumOp e : block.getOps<EinsumOp>())
    for (auto [i, in] : llvm::enumerate(e.getInputs()))
      if (auto producer = in.getDefiningOp<EinsumOp>();
          producer && producer->getBlock() == &block &&
          dimsOf(producer, -1, ranks) != dimsOf(e, i, ranks))
        return {};
  return ranks;
}

/// Casts, retypes and casts back; returns whether anything changed.
bool makeDynamic(RewriterBase &rewriter, CascadeOp cascade,
                 const llvm::StringSet<> &ranks) {
  Block &block = cascade.getBodyBlock();
  Location loc = cascade.getLoc();
  bool changed = false;
  // Inputs from outside the cascade: one cast per value and type.
  llvm::DenseMap<std::pair<Value, Type>, Value> casts;
  OpBuilder::InsertionGuard guard(rewriter);
  for (EinsumOp e : llvm::make_early_inc_range(block.getOps<EinsumOp>())) {
    for (auto [i, in] : llvm::enumerate(e.getInputs())) {
      if (cascade->isAncestor(in.getParentRegion()->getParentOp()))
        continue;
      auto type = cast<RankedTensorType>(in.getType());
      RankedTensorType wanted = withDynamic(type, dimsOf(e, i, ranks));
      if (wanted == type)
        continue;
      Value &c = casts[{in, wanted}];
      if (!c) {
        rewriter.setInsertionPoint(cascade);
        c = tensor::CastOp::create(rewriter, loc, wanted, in);
      }
      rewriter.modifyOpInPlace(e, [&] { e->setOperand(i, c); });
      changed = true;
    }
    auto type = e.getResult().getType();
    RankedTensorType wanted = withDynamic(type, dimsOf(e, -1, ranks));
    if (wanted != type) {
      rewriter.modifyOpInPlace(e, [&] { e.getResult().setType(wanted); });
      changed = true;
    }
  }
  if (!changed)
    return false;
  // The cascade's results take the yielded types; casts restore the ones
  // its users expect.
  auto yield = cast<YieldOp>(block.getTerminator());
  rewriter.setInsertionPointAfter(cascade);
  for (auto [result, yielded] :
       llvm::zip(cascade.getResults(), yield.getValues())) {
    Type old = result.getType();
    if (old == yielded.getType())
      continue;
    rewriter.modifyOpInPlace(cascade, [&] { result.setType(yielded.getType()); });
    auto back = tensor::CastOp::create(rewriter, loc, old, result);
    rewriter.replaceAllUsesExcept(result, back.getResult(), back);
  }
  return true;
}

struct EinDynamicRanksPass
    : public einfuse::ein::impl::EinDynamicRanksBase<EinDynamicRanksPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<std::string> asked;
    for (StringRef r : llvm::split(StringRef(ranks), ',')) {
      r = r.trim();
      if (r.empty())
        continue;
      if (r != "auto" && r != "all" &&
          failed(checkRankOption(getOperation(), r, "ein-dynamic-ranks: rank")))
        return signalPassFailure();
      asked.push_back(r.str());
    }
    if (asked.empty()) {
      emitError(getOperation()->getLoc(),
                "ein-dynamic-ranks: ranks must be 'auto', 'all' or rank "
                "names");
      return signalPassFailure();
    }
    if (asked.size() > 1 && (llvm::is_contained(asked, "auto") ||
                             llvm::is_contained(asked, "all"))) {
      emitError(getOperation()->getLoc(),
                "ein-dynamic-ranks: 'auto' and 'all' cannot be combined "
                "with rank names");
      return signalPassFailure();
    }
    SmallVector<CascadeOp> cascades;
    getOperation()->walk([&](CascadeOp c) { cascades.push_back(c); });
    IRRewriter rewriter(&getContext());
    for (CascadeOp c : cascades) {
      llvm::StringSet<> chosen = chooseRanks(c, asked);
      if (!chosen.empty())
        makeDynamic(rewriter, c, chosen);
    }
  }
};

} // namespace
