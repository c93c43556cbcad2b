//===- OnlineNormalize.cpp - 2-pass cascades into the 1-pass online form ---===//
//
// A 2-pass cascade over rank r has a max barrier G = max_r X in pass 0 and,
// in pass 1, Einsums that see G only through a factor exp(Y - G) and end in
// sums over r. Tile r; carry the running max RM and the running sums; when
// the max grows from RM to RM', rescale the sums by exp(RM - RM'). This is
// FuseMax's 1-pass cascade (FlashAttention), derived from the cascade rather
// than written by hand: nothing here knows about attention.
//
//===----------------------------------------------------------------------===//
#include "Ein/Analysis/PassCount.h"
#include "Ein/Transforms/MapAlgebra.h"
#include "Ein/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

#include <limits>

namespace einfuse::ein {
#define GEN_PASS_DEF_EINONLINENORMALIZE
#include "Ein/Transforms/Passes.h.inc"
} // namespace einfuse::ein

using namespace mlir;
using namespace einfuse::ein;

namespace {

bool hasRank(EinsumOp e, StringRef rank) {
  return llvm::is_contained(e.getRankNames(), rank);
}

bool reducesOnly(EinsumOp e, StringRef rank) {
  SmallVector<unsigned> reduced = e.getReducedRankPositions();
  return reduced.size() == 1 && e.getRankNames()[reduced[0]] == rank;
}

/// Whether block argument `g` of a custom map enters only as exp(y - g)
/// on a multiplicative path to the yield.
bool entersAsExpOfDifference(EinsumOp e, unsigned operand) {
  if (e.getMap() != MapKind::custom)
    return false;
  Block &body = e.getBody().front();
  BlockArgument g = body.getArgument(operand);
  if (!g.hasOneUse())
    return false;
  OpOperand &use = *g.getUses().begin();
  auto sub = dyn_cast<arith::SubFOp>(use.getOwner());
  if (!sub || use.getOperandNumber() != 1 || !sub->getResult(0).hasOneUse())
    return false;
  auto exp = dyn_cast<math::ExpOp>(*sub->getResult(0).getUsers().begin());
  if (!exp)
    return false;
  // From exp to the yield: only multiplicative steps.
  return reachesYieldMultiplicatively(exp.getResult(),
                                      cast<YieldOp>(body.getTerminator()));
}

/// Whether `op` is an Einsum `x == -inf ? c : x` (identity where finite).
bool isInfGuard(Operation *op) {
  auto e = dyn_cast<EinsumOp>(op);
  if (!e || e.getMap() != MapKind::custom || e.getInputs().size() != 1)
    return false;
  Block &body = e.getBody().front();
  Value x = body.getArgument(0);
  auto yield = cast<YieldOp>(body.getTerminator());
  auto sel = yield.getValues().front().getDefiningOp<arith::SelectOp>();
  if (!sel || sel.getFalseValue() != x)
    return false;
  auto cmp = sel.getCondition().getDefiningOp<arith::CmpFOp>();
  if (!cmp || cmp.getPredicate() != arith::CmpFPredicate::OEQ ||
      cmp.getLhs() != x)
    return false;
  FloatAttr inf;
  return matchPattern(cmp.getRhs(), m_Constant(&inf)) &&
         inf.getValue().isInfinity() && inf.getValue().isNegative();
}

/// What the rewrite found in a cascade, for one rank.
struct Plan {
  EinsumOp barrier;                    ///< G = max over r of X
  SmallVector<EinsumOp> iterating;     ///< every Einsum over r, block order
  llvm::SetVector<Operation *> guards; ///< r-free Einsums between G and pass 1
  Value g;                             ///< the value pass 1 sees for G
  SmallVector<EinsumOp> sums;          ///< sums over r: the running state
  SmallVector<bool> scaled;            ///< per sum: rescaled by exp(-G)
  llvm::MapVector<Value, int64_t> tiled; ///< outside values over r -> dim
};

/// A sum barrier and a variance about a value derived from it:
///   S = sum_r X;  M = f(S) (r-free);  D = X - M;  V = sum_r D * D.
/// Welford's running (count, mean, M2) over tiles of r replaces S and V
/// (S = mean * count, V = M2 + count * (mean - M)^2, exact in real
/// arithmetic for any M), removing the pass that computes V.
struct WelfordPlan {
  EinsumOp sum, diff, var;
  Value x, m;
  int64_t xDim = -1;
};

/// `mul(D, D)` with one index map, or `custom(D) { yield d * d }`; an
/// `init` (a float constant) is allowed.
bool isSquare(EinsumOp e) {
  if (e.getInitAttr() && !isa<FloatAttr>(e.getInitAttr()))
    return false;
  if (e.getMap() == MapKind::mul)
    return e.getInputs().size() == 2 && e.getInputs()[0] == e.getInputs()[1] &&
           e.getInputMap(0) == e.getInputMap(1);
  if (e.getMap() != MapKind::custom || e.getInputs().size() != 1)
    return false;
  Block &body = e.getBody().front();
  auto mul = cast<YieldOp>(body.getTerminator())
                 .getValues()
                 .front()
                 .getDefiningOp<arith::MulFOp>();
  return mul && mul.getLhs() == body.getArgument(0) &&
         mul.getRhs() == body.getArgument(0);
}

/// The rank names an Einsum's input `i` (or, with i < 0, its output) is
/// indexed by, when every index is a plain rank.
std::optional<SmallVector<StringRef>> namesOf(EinsumOp e, int i) {
  AffineMap map = i < 0 ? e.getOutputMap() : e.getInputMap(i);
  SmallVector<StringRef> names;
  for (AffineExpr x : map.getResults()) {
    auto d = dyn_cast<AffineDimExpr>(x);
    if (!d)
      return std::nullopt;
    names.push_back(e.getRankNames()[d.getPosition()]);
  }
  return names;
}

class OnlineRewriter {
public:
  OnlineRewriter(CascadeOp cascade, StringRef rank, int64_t tileSize)
      : cascade(cascade), rank(rank), tileSize(tileSize) {}

  /// Why the cascade has no online form over the rank, or "" if it has one.
  std::string analyse(Plan &plan);
  void rewrite(Plan &plan);
  /// The same for a mean and a variance about it (Welford's update).
  std::string analyseWelford(WelfordPlan &plan);
  void rewriteWelford(WelfordPlan &plan);

private:
  bool inCascade(Value v) {
    Operation *def = v.getDefiningOp();
    return def && def->getBlock() == &cascade.getBodyBlock();
  }
  EinsumOp cloneOverTile(OpBuilder &b, EinsumOp e, IRMapping &mapping,
                         StringRef tileRank);
  /// Adds a fresh tile rank for `rank` to the cascade and returns it.
  std::string addTileRank();
  /// A tensor shaped like `like`'s result (with `elementType` if given),
  /// filled with `value`.
  Value splatLike(OpBuilder &b, Location loc, EinsumOp like, double value,
                  Type elementType = {});

  CascadeOp cascade;
  std::string rank;
  int64_t tileSize;
};

std::string OnlineRewriter::analyse(Plan &plan) {
  CascadePassAnalysis analysis(cascade);
  const RankPasses &passes = analysis.getPasses(rank);
  if (passes.passes < 2)
    return "already 1 pass";
  if (passes.passes > 2)
    return std::to_string(passes.passes) +
           " passes: the online form removes one max barrier; run "
           "--ein-deferred-normalize first";

  llvm::DenseSet<Value> pass1Values, sumValues;
  for (Operation &op : cascade.getBodyBlock()) {
    auto e = dyn_cast<EinsumOp>(op);
    if (!e) {
      if (isa<IterateOp>(op))
        return "the cascade already iterates a rank";
      continue;
    }
    if (!hasRank(e, rank))
      continue;
    plan.iterating.push_back(e);
    int64_t pass = passes.opPass.lookup(e);
    bool reduces = !llvm::is_contained(
        llvm::map_to_vector(e.getOutputMap().getResults(),
                            [&](AffineExpr x) {
                              return e.getRankNames()[cast<AffineDimExpr>(x)
                                                          .getPosition()];
                            }),
        StringRef(rank));
    if (reduces && !reducesOnly(e, rank))
      return "an Einsum reduces over '" + rank + "' and other ranks at once";
    if (reduces && e.getReduce() == ReduceKind::max && pass == 0) {
      if (plan.barrier)
        return "more than one max barrier over '" + rank + "'";
      plan.barrier = e;
      continue;
    }
    if (reduces && e.getReduce() == ReduceKind::sum) {
      plan.sums.push_back(e);
      sumValues.insert(e.getResult());
      continue;
    }
    if (reduces)
      return "no correction exists for a '" +
             stringifyReduceKind(e.getReduce()).str() + "' barrier";
    if (pass == 1)
      pass1Values.insert(e.getResult());
  }
  if (!plan.barrier)
    return "no max barrier over '" + rank + "'";

  // Values derived from G without iterating r: recomputed from the running
  // max inside the iteration.
  llvm::DenseSet<Value> fromG = {plan.barrier.getResult()};
  for (Operation &op : cascade.getBodyBlock()) {
    auto e = dyn_cast<EinsumOp>(op);
    if (!e || hasRank(e, rank))
      continue;
    if (llvm::any_of(e.getInputs(), [&](Value v) { return fromG.count(v); }))
      fromG.insert(e.getResult());
  }

  // Pass-1 Einsums: G enters once as exp(y - g); everything else scales.
  llvm::DenseSet<Value> scaledValues;
  for (EinsumOp e : plan.iterating) {
    if (e == plan.barrier || passes.opPass.lookup(e) != 1)
      continue;
    int scaledOperands = 0;
    for (auto [i, in] : llvm::enumerate(e.getInputs())) {
      if (sumValues.count(in))
        return "a sum over '" + rank + "' is read again along '" + rank +
               "' (a sum barrier)";
      if (fromG.count(in)) {
        if (!entersAsExpOfDifference(e, i))
          return "the max over '" + rank +
                 "' is used other than through exp(y - max)";
        if (plan.g && plan.g != in)
          return "pass 1 reads the max through two different values";
        plan.g = in;
        ++scaledOperands;
      } else if (scaledValues.count(in)) {
        if (!isMultiplicativeIn(e, i))
          return "a value scaled by exp(-max) enters a map that is not "
                 "multiplicative in it";
        ++scaledOperands;
      }
    }
    if (scaledOperands > 1)
      return "an Einsum multiplies two values scaled by exp(-max)";
    if (scaledOperands == 1)
      scaledValues.insert(e.getResult());
  }
  for (EinsumOp s : plan.sums)
    plan.scaled.push_back(scaledValues.count(s.getResult()));

  // Streamed values of pass 1 live only inside the iteration.
  for (EinsumOp e : plan.iterating) {
    if (e == plan.barrier || llvm::is_contained(plan.sums, e))
      continue;
    for (Operation *user : e.getResult().getUsers()) {
      auto ue = dyn_cast<EinsumOp>(user);
      if (!ue || !hasRank(ue, rank))
        return "a value streamed along '" + rank +
               "' is needed after the last pass";
    }
  }
  // Guards: the r-free chain from G to the value pass 1 reads.
  if (plan.g && plan.g != plan.barrier.getResult()) {
    SmallVector<Value> work = {plan.g};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (v == plan.barrier.getResult())
        continue;
      Operation *def = v.getDefiningOp();
      if (!fromG.count(v) || !def)
        continue;
      if (plan.guards.insert(def))
        for (Value in : def->getOperands())
          work.push_back(in);
    }
  }
  // G's ranks must index every rescaled sum, so the correction applies.
  SmallVector<StringRef> gNames = plan.barrier.getRankNames();
  for (auto [s, scaled] : llvm::zip(plan.sums, plan.scaled)) {
    if (!scaled)
      continue;
    for (AffineExpr x : plan.barrier.getOutputMap().getResults())
      if (!hasRank(s, gNames[cast<AffineDimExpr>(x).getPosition()]))
        return "a rescaled sum lacks a rank of the max";
  }
  // The running state is shaped like the max and the sums: each dynamic
  // dim needs a tensor from outside the cascade to take its size from.
  SmallVector<EinsumOp> stateOps = {plan.barrier};
  llvm::append_range(stateOps, plan.sums);
  for (EinsumOp e : stateOps) {
    SmallVector<StringRef> names = e.getRankNames();
    for (auto [i, x] : llvm::enumerate(e.getOutputMap().getResults()))
      if (e.getResult().getType().isDynamicDim(i) &&
          !findOutsideExtent(cascade,
                             names[cast<AffineDimExpr>(x).getPosition()]))
        return "cannot size the running state: no input gives the extent of "
               "rank '" +
               names[cast<AffineDimExpr>(x).getPosition()].str() + "'";
  }
  // Inputs along r: tiled along the one dim r indexes plainly.
  for (EinsumOp e : plan.iterating) {
    SmallVector<StringRef> names = e.getRankNames();
    unsigned r = llvm::find(names, rank) - names.begin();
    for (auto [i, in] : llvm::enumerate(e.getInputs())) {
      AffineMap map = e.getInputMap(i);
      if (!map.isFunctionOfDim(r))
        continue;
      if (inCascade(in))
        continue; // produced along r inside the cascade: recomputed per tile
      int64_t dim = -1;
      for (auto [d, x] : llvm::enumerate(map.getResults())) {
        if (auto de = dyn_cast<AffineDimExpr>(x); de && de.getPosition() == r)
          dim = dim < 0 ? static_cast<int64_t>(d) : -2;
        else if (x.isFunctionOfDim(r))
          dim = -2;
      }
      if (dim < 0)
        return "an input is indexed by '" + rank +
               "' other than as one plain dimension";
      auto [it, inserted] = plan.tiled.try_emplace(in, dim);
      if (!inserted && it->second != dim)
        return "an input is indexed by '" + rank + "' in two dimensions";
    }
  }
  return "";
}

EinsumOp OnlineRewriter::cloneOverTile(OpBuilder &b, EinsumOp e,
                                       IRMapping &mapping, StringRef tileRank) {
  SmallVector<Attribute> names;
  for (StringRef n : e.getRankNames())
    names.push_back(b.getStringAttr(n == rank ? tileRank : n));
  RankedTensorType type = e.getResult().getType();
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<StringRef> old = e.getRankNames();
  for (auto [i, x] : llvm::enumerate(e.getOutputMap().getResults()))
    if (old[cast<AffineDimExpr>(x).getPosition()] == rank)
      shape[i] = ShapedType::kDynamic;
  SmallVector<Value> inputs = llvm::map_to_vector(
      e.getInputs(), [&](Value v) { return mapping.lookupOrDefault(v); });
  auto clone = EinsumOp::create(
      b, e.getLoc(), RankedTensorType::get(shape, type.getElementType()),
      inputs, b.getArrayAttr(names), e.getIndexingMaps(), e.getMapAttr(),
      e.getReduceAttr(), e.getInitAttr());
  e.getBody().cloneInto(&clone.getBody(), mapping);
  mapping.map(e.getResult(), clone.getResult());
  return clone;
}

std::string OnlineRewriter::addTileRank() {
  Builder b(cascade.getContext());
  std::string tileRank = rank + "0";
  while (cascade.lookupRank(tileRank) >= 0)
    tileRank += "_";
  SmallVector<Attribute> ranks(cascade.getRanks().getValue());
  ranks.push_back(b.getStringAttr(tileRank));
  SmallVector<int64_t> extents(cascade.getExtents());
  extents.push_back(ShapedType::kDynamic);
  cascade.setRanksAttr(b.getArrayAttr(ranks));
  cascade.setExtents(extents);
  return tileRank;
}

Value OnlineRewriter::splatLike(OpBuilder &b, Location loc, EinsumOp like,
                                double value, Type elementType) {
  RankedTensorType type = like.getResult().getType();
  if (elementType)
    type = type.clone(elementType);
  SmallVector<StringRef> names = like.getRankNames();
  SmallVector<Value> dynSizes;
  for (auto [i, x] : llvm::enumerate(like.getOutputMap().getResults())) {
    if (!type.isDynamicDim(i))
      continue;
    StringRef r = names[cast<AffineDimExpr>(x).getPosition()];
    // The analyses checked that an input gives this size.
    dynSizes.push_back(buildOutsideExtent(b, loc, cascade, r));
  }
  Value cst = arith::ConstantOp::create(
      b, loc, FloatAttr::get(type.getElementType(), value));
  return tensor::SplatOp::create(b, loc, type, cst, dynSizes);
}

void OnlineRewriter::rewrite(Plan &plan) {
  MLIRContext *ctx = cascade.getContext();
  Location loc = plan.barrier.getLoc();
  Block &block = cascade.getBodyBlock();
  OpBuilder b(ctx);

  std::string tileRank = addTileRank();

  // Initial state: -inf for the running max, 0 for the sums, shaped from
  // the inputs that carry the same ranks.
  auto yield = cast<YieldOp>(block.getTerminator());
  b.setInsertionPoint(yield);
  auto splat = [&](EinsumOp like, double value) {
    return splatLike(b, loc, like, value);
  };
  SmallVector<Value> inits = {
      splat(plan.barrier, -std::numeric_limits<double>::infinity())};
  for (EinsumOp s : plan.sums)
    inits.push_back(splat(s, 0.0));

  SmallVector<Value> tiles;
  SmallVector<int64_t> tileDims;
  for (auto [v, d] : plan.tiled) {
    tiles.push_back(v);
    tileDims.push_back(d);
  }
  // How partial states combine; only stated when pass 1 sees the max
  // unchanged where it is finite (guards that only replace -inf), so that
  // rescaling by exp(Ma - M) is exact.
  ArrayAttr combineAttr;
  if (llvm::all_of(plan.guards, [](Operation *g) { return isInfGuard(g); })) {
    MLIRContext *c = b.getContext();
    SmallVector<Attribute> combine = {CombineAttr::get(c, CombineKind::max)};
    for (bool scaled : plan.scaled)
      combine.push_back(
          scaled ? CombineAttr::get(c, CombineKind::rescaled_sum, 0, -1, -1.0)
                 : CombineAttr::get(c, CombineKind::sum));
    combineAttr = b.getArrayAttr(combine);
  }
  auto iterate = IterateOp::create(
      b, loc, TypeRange(ValueRange(inits)), tiles, inits, b.getStringAttr(rank),
      b.getStringAttr(tileRank), b.getI64IntegerAttr(tileSize),
      b.getDenseI64ArrayAttr(tileDims), combineAttr, /*workers=*/nullptr);
  SmallVector<Type> argTypes;
  for (auto [v, d] : plan.tiled)
    argTypes.push_back(
        IterateOp::getTileType(cast<RankedTensorType>(v.getType()), d));
  for (Value v : inits)
    argTypes.push_back(v.getType());
  Block *body = b.createBlock(&iterate.getBody(), {}, argTypes,
                              SmallVector<Location>(argTypes.size(), loc));
  unsigned numTiles = tiles.size();
  Value rmOld = body->getArgument(numTiles);

  // The tile: every Einsum over r, on tiles, in block order; pass 1 reads
  // the running max through the guards.
  IRMapping mapping, oldMapping;
  for (auto [i, v] : llvm::enumerate(tiles))
    mapping.map(v, body->getArgument(i));
  SmallVector<StringRef> gNames = plan.barrier.getRankNames();
  SmallVector<AffineExpr> gExprs = llvm::to_vector(
      plan.barrier.getOutputMap().getResults());
  SmallVector<SmallVector<AffineExpr>> twoG = {gExprs, gExprs};
  Value gNew, gOld;
  SmallVector<Value> partials;
  for (EinsumOp e : plan.iterating) {
    EinsumOp c = cloneOverTile(b, e, mapping, tileRank);
    if (e != plan.barrier) {
      if (llvm::is_contained(plan.sums, e)) {
        // A sum's `init` joins once, after the iteration (below), not once
        // per tile. (A max's init may repeat: max is idempotent.)
        c.removeInitAttr();
        partials.push_back(c.getResult());
      }
      continue;
    }
    // RM' = max(RM, max over the tile); then the guards at RM and RM'.
    Value rmNew = buildEinsum(b, loc, e.getResult().getType(),
                              {rmOld, c.getResult()}, gNames, twoG, gExprs,
                              MapKind::max, ReduceKind::none);
    mapping.map(e.getResult(), rmNew);
    oldMapping.map(e.getResult(), rmOld);
    for (Operation *guard : plan.guards) {
      b.clone(*guard, mapping);
      b.clone(*guard, oldMapping);
    }
    Value g = plan.g ? plan.g : e.getResult();
    gNew = mapping.lookup(g);
    gOld = oldMapping.lookup(g);
  }
  // PRM = exp(G(RM) - G(RM')), and 0 while the state is still empty
  // (RM = -inf): the sums are 0 then, and a guard may have mapped -inf to a
  // value whose difference overflows exp.
  SmallVector<SmallVector<AffineExpr>> threeG = {gExprs, gExprs, gExprs};
  Value prm = buildEinsum(
      b, loc, cast<RankedTensorType>(gNew.getType()), {rmOld, gOld, gNew},
      gNames, threeG, gExprs, MapKind::custom, ReduceKind::none,
      [](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Type t = a[0].getType();
        Value minusInf = arith::ConstantOp::create(
            bb, l,
            FloatAttr::get(t, -std::numeric_limits<double>::infinity()));
        Value zero = arith::ConstantOp::create(bb, l, FloatAttr::get(t, 0.0));
        Value empty = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ,
                                            a[0], minusInf);
        Value factor = math::ExpOp::create(
            bb, l, arith::SubFOp::create(bb, l, a[1], a[2]));
        return arith::SelectOp::create(bb, l, empty, zero, factor);
      });
  SmallVector<Value> next = {mapping.lookup(plan.barrier.getResult())};
  for (auto [j, s] : llvm::enumerate(plan.sums)) {
    Value state = body->getArgument(numTiles + 1 + j);
    SmallVector<StringRef> sNames = s.getRankNames();
    SmallVector<AffineExpr> sExprs = llvm::to_vector(s.getOutputMap().getResults());
    if (!plan.scaled[j]) {
      next.push_back(buildEinsum(b, loc, s.getResult().getType(),
                                 {state, partials[j]}, sNames, {sExprs, sExprs},
                                 sExprs, MapKind::add, ReduceKind::none));
      continue;
    }
    // S' = S * PRM + tile sum, PRM indexed by the max's ranks.
    SmallVector<AffineExpr> pExprs;
    for (AffineExpr x : gExprs) {
      StringRef n = gNames[cast<AffineDimExpr>(x).getPosition()];
      pExprs.push_back(getAffineDimExpr(llvm::find(sNames, n) - sNames.begin(), ctx));
    }
    next.push_back(buildEinsum(
        b, loc, s.getResult().getType(), {state, prm, partials[j]}, sNames,
        {sExprs, pExprs, sExprs}, sExprs, MapKind::custom, ReduceKind::none,
        [](OpBuilder &bb, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(bb, l,
                                       arith::MulFOp::create(bb, l, a[0], a[1]),
                                       a[2]);
        }));
  }
  YieldOp::create(b, loc, next);

  // Results replace the barrier and the sums; the rest over r goes away.
  // A sum with an init gets it added once to the iteration's total.
  llvm::DenseSet<Value> after(iterate.getResults().begin(),
                              iterate.getResults().end());
  plan.barrier.getResult().replaceAllUsesWith(iterate.getResult(0));
  b.setInsertionPointAfter(iterate);
  for (auto [j, s] : llvm::enumerate(plan.sums)) {
    Value total = iterate.getResult(1 + j);
    if (auto init = dyn_cast_or_null<FloatAttr>(s.getInitAttr())) {
      SmallVector<StringRef> sNames = s.getRankNames();
      SmallVector<AffineExpr> sExprs =
          llvm::to_vector(s.getOutputMap().getResults());
      // Only the ranks of the result: the reduced one is gone.
      SmallVector<StringRef> outNames;
      SmallVector<AffineExpr> outExprs;
      for (auto [i, x] : llvm::enumerate(sExprs)) {
        outNames.push_back(sNames[cast<AffineDimExpr>(x).getPosition()]);
        outExprs.push_back(getAffineDimExpr(i, ctx));
      }
      total = buildEinsum(
          b, loc, s.getResult().getType(), {total}, outNames, {outExprs},
          outExprs, MapKind::custom, ReduceKind::none,
          [init](OpBuilder &bb, Location l, ValueRange a) -> Value {
            return arith::AddFOp::create(
                bb, l, a[0], arith::ConstantOp::create(bb, l, init));
          });
      after.insert(total);
    }
    s.getResult().replaceAllUsesWith(total);
  }
  for (EinsumOp e : llvm::reverse(plan.iterating))
    e.erase();
  // Ops that now read the iteration's results move after it.
  SmallVector<Operation *> toMove;
  for (Operation &op : block) {
    if (&op == iterate || op.isBeforeInBlock(iterate) == false)
      break;
    if (llvm::any_of(op.getOperands(), [&](Value v) { return after.count(v); })) {
      toMove.push_back(&op);
      after.insert(op.getResults().begin(), op.getResults().end());
    }
  }
  for (Operation *op : toMove)
    op->moveBefore(yield);
}

std::string OnlineRewriter::analyseWelford(WelfordPlan &plan) {
  // S = sum_r X and V = sum_r D * D, each reducing r alone.
  for (Operation &op : cascade.getBodyBlock()) {
    auto e = dyn_cast<EinsumOp>(op);
    if (!e || !hasRank(e, rank) || !reducesOnly(e, rank) ||
        e.getReduce() != ReduceKind::sum)
      continue;
    if (e.getMap() == MapKind::copy && e.getInputs().size() == 1 &&
        !e.getInitAttr() && !plan.sum) {
      plan.sum = e;
      continue;
    }
    if (!plan.var && isSquare(e))
      plan.var = e;
  }
  if (!plan.sum || !plan.var)
    return "no sum over '" + rank + "' and sum of squares about it";
  plan.diff = plan.var.getInputs()[0].getDefiningOp<EinsumOp>();
  if (!plan.diff || plan.diff->getBlock() != &cascade.getBodyBlock() ||
      plan.diff.getMap() != MapKind::sub)
    return "the sum of squares over '" + rank + "' is not of a difference";
  plan.x = plan.sum.getInputs()[0];
  plan.m = plan.diff.getInputs()[1];
  if (plan.diff.getInputs()[0] != plan.x)
    return "the variance is about a value other than the summed one";
  if (cascade->isAncestor(plan.x.getParentRegion()->getParentOp()))
    return "the summed value is computed in the cascade (Welford's update "
           "reads it from an input)";
  auto xSum = namesOf(plan.sum, 0), xDiff = namesOf(plan.diff, 0);
  auto sOut = namesOf(plan.sum, -1), vOut = namesOf(plan.var, -1),
       mIn = namesOf(plan.diff, 1), dOut = namesOf(plan.diff, -1),
       vIn = namesOf(plan.var, 0);
  if (!xSum || !xDiff || !sOut || !vOut || !mIn || !dOut || !vIn ||
      *xSum != *xDiff || *sOut != *vOut || *sOut != *mIn || *dOut != *vIn)
    return "the mean and the variance are not indexed alike";
  plan.xDim = llvm::find(*xSum, rank) - xSum->begin();
  if (llvm::count(*xSum, StringRef(rank)) != 1)
    return "the summed input is indexed by '" + rank + "' more than once";
  auto type = cast<RankedTensorType>(plan.x.getType());
  if (!type.getElementType().isF32() ||
      !plan.sum.getResult().getType().getElementType().isF32() ||
      !plan.var.getResult().getType().getElementType().isF32())
    return "Welford's update is built for f32";
  // M is r-free and derived from S; S feeds only r-free Einsums.
  // (The identity holds for any r-free M; M must come after S so that
  // the new variance can read it where the old one was.)
  auto mDef = plan.m.getDefiningOp<EinsumOp>();
  if (!mDef || (mDef != plan.sum &&
                (mDef->getBlock() != &cascade.getBodyBlock() ||
                 hasRank(mDef, rank) || !plan.sum->isBeforeInBlock(mDef))))
    return "the variance is not about a value derived from the sum";
  for (Operation *user : plan.sum.getResult().getUsers())
    if (auto ue = dyn_cast<EinsumOp>(user);
        !ue || (hasRank(ue, rank) && ue != plan.diff))
      return "the sum over '" + rank + "' is read again along '" + rank + "'";
  for (Value v : {plan.sum.getResult(), plan.var.getResult()}) {
    EinsumOp e = v.getDefiningOp<EinsumOp>();
    SmallVector<StringRef> names = e.getRankNames();
    for (auto [i, x] : llvm::enumerate(e.getOutputMap().getResults()))
      if (e.getResult().getType().isDynamicDim(i) &&
          !findOutsideExtent(cascade,
                             names[cast<AffineDimExpr>(x).getPosition()]))
        return "cannot size the running state";
  }
  return "";
}

void OnlineRewriter::rewriteWelford(WelfordPlan &plan) {
  Location loc = plan.sum.getLoc();
  MLIRContext *ctx = cascade.getContext();
  OpBuilder b(ctx);
  std::string tileRank = addTileRank();
  b.setInsertionPoint(plan.sum);
  // Count, mean and M2 all start at 0. They are carried in f64: the mean
  // of rows whose mean is large against their spread (1000 +- 2) would
  // otherwise take one f32 rounding of its magnitude per tile, which for
  // small tiles is many times the error of the two-pass code it replaces.
  // Only these per-row states are f64; the tiles' sums stay f32.
  Type f64 = b.getF64Type();
  Value zero = splatLike(b, loc, plan.sum, 0.0, f64);
  SmallVector<Value> inits = {zero, zero, zero};
  auto xType = cast<RankedTensorType>(plan.x.getType());
  auto iterate = IterateOp::create(
      b, loc, TypeRange(ValueRange(inits)), ValueRange{plan.x}, inits,
      b.getStringAttr(rank), b.getStringAttr(tileRank),
      b.getI64IntegerAttr(tileSize), b.getDenseI64ArrayAttr({plan.xDim}),
      b.getArrayAttr(
          {CombineAttr::get(ctx, CombineKind::sum),
           CombineAttr::get(ctx, CombineKind::welford_mean, 0, -1, 0.0),
           CombineAttr::get(ctx, CombineKind::welford_m2, 0, 1, 0.0)}),
      /*workers=*/nullptr);
  RankedTensorType tileType = IterateOp::getTileType(xType, plan.xDim);
  SmallVector<Type> argTypes = {tileType};
  for (Value v : inits)
    argTypes.push_back(v.getType());
  Block *body = b.createBlock(&iterate.getBody(), {}, argTypes,
                              SmallVector<Location>(argTypes.size(), loc));
  Value xt = body->getArgument(0), cnt = body->getArgument(1),
        mean = body->getArgument(2), m2 = body->getArgument(3);

  // Names and index expressions over the sum's ranks, r renamed to the tile.
  SmallVector<StringRef> sNames = plan.sum.getRankNames();
  SmallVector<std::string> tNamesStore;
  for (StringRef n : sNames)
    tNamesStore.push_back(n == rank ? tileRank : n.str());
  SmallVector<StringRef> tNames(tNamesStore.begin(), tNamesStore.end());
  SmallVector<AffineExpr> xExprs =
      llvm::to_vector(plan.sum.getInputMap(0).getResults());
  SmallVector<AffineExpr> oExprs =
      llvm::to_vector(plan.sum.getOutputMap().getResults());
  RankedTensorType stateType = plan.sum.getResult().getType();
  RankedTensorType wideType = stateType.clone(f64);
  auto rowWise = [&](RankedTensorType type, ValueRange ins,
                     MapBodyBuilder fn) {
    SmallVector<SmallVector<AffineExpr>> exprs(ins.size(), oExprs);
    return buildEinsum(b, loc, type, ins, tNames, exprs, oExprs,
                       MapKind::custom, ReduceKind::none, fn)
        .getResult();
  };
  auto f32 = [](OpBuilder &bb, Location l, double v) -> Value {
    return arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(v));
  };
  // Scalars of a custom region, widened to f64.
  auto wide = [](OpBuilder &bb, Location l, ValueRange a) {
    return llvm::map_to_vector(a, [&](Value v) -> Value {
      if (v.getType().isF64())
        return v;
      return arith::ExtFOp::create(bb, l, bb.getF64Type(), v);
    });
  };
  // The tile's count, mean and sum of squares about its own mean (f32).
  Value st = buildEinsum(b, loc, stateType, {xt}, tNames, {xExprs}, oExprs,
                         MapKind::copy, ReduceKind::sum)
                 .getResult();
  Value nt = buildEinsum(b, loc, stateType, {xt}, tNames, {xExprs}, oExprs,
                         MapKind::custom, ReduceKind::sum,
                         [&](OpBuilder &bb, Location l, ValueRange) {
                           return f32(bb, l, 1.0);
                         })
                 .getResult();
  Value mt = rowWise(stateType, {st, nt},
                     [](OpBuilder &bb, Location l, ValueRange a) {
                       return arith::DivFOp::create(bb, l, a[0], a[1])
                           .getResult();
                     });
  Value dt = buildEinsum(b, loc, tileType, {xt, mt}, tNames, {xExprs, oExprs},
                         xExprs, MapKind::sub, ReduceKind::none)
                 .getResult();
  Value qt = buildEinsum(b, loc, stateType, {dt, dt}, tNames,
                         {xExprs, xExprs}, oExprs, MapKind::mul,
                         ReduceKind::sum)
                 .getResult();
  // Chan et al.'s combine of (count, mean, M2) with the tile's, in f64.
  Value n1 = rowWise(wideType, {cnt, nt},
                     [&](OpBuilder &bb, Location l, ValueRange in) {
                       auto a = wide(bb, l, in);
                       return arith::AddFOp::create(bb, l, a[0], a[1])
                           .getResult();
                     });
  Value mean1 = rowWise(
      wideType, {mean, mt, nt, n1},
      [&](OpBuilder &bb, Location l, ValueRange in) {
        auto a = wide(bb, l, in);
        Value delta = arith::SubFOp::create(bb, l, a[1], a[0]);
        Value w = arith::DivFOp::create(bb, l, a[2], a[3]);
        return arith::AddFOp::create(bb, l, a[0],
                                     arith::MulFOp::create(bb, l, delta, w))
            .getResult();
      });
  Value m21 = rowWise(
      wideType, {m2, qt, mean, mt, cnt, nt, n1},
      [&](OpBuilder &bb, Location l, ValueRange in) {
        auto a = wide(bb, l, in);
        Value delta = arith::SubFOp::create(bb, l, a[3], a[2]);
        Value w = arith::DivFOp::create(
            bb, l, arith::MulFOp::create(bb, l, a[4], a[5]), a[6]);
        Value corr = arith::MulFOp::create(
            bb, l, arith::MulFOp::create(bb, l, delta, delta), w);
        return arith::AddFOp::create(
                   bb, l, arith::AddFOp::create(bb, l, a[0], a[1]), corr)
            .getResult();
      });
  YieldOp::create(b, loc, ValueRange{n1, mean1, m21});

  // S = mean * count, where S was (rounded to f32 once).
  b.setInsertionPointAfter(iterate);
  SmallVector<SmallVector<AffineExpr>> two(2, oExprs);
  Value sNew =
      buildEinsum(b, loc, stateType,
                  {iterate.getResult(1), iterate.getResult(0)}, sNames, two,
                  oExprs, MapKind::custom, ReduceKind::none,
                  [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
                    return arith::TruncFOp::create(
                        bb, l, bb.getF32Type(),
                        arith::MulFOp::create(bb, l, a[0], a[1]));
                  })
          .getResult();
  if (plan.m == plan.sum.getResult())
    plan.m = sNew;
  plan.sum.getResult().replaceAllUsesWith(sNew);
  plan.sum.erase();
  // V = init + M2 + count * (mean - M)^2, where V was (M is defined by
  // then).
  b.setInsertionPoint(plan.var);
  SmallVector<StringRef> vNames = plan.var.getRankNames();
  SmallVector<AffineExpr> vExprs =
      llvm::to_vector(plan.var.getOutputMap().getResults());
  SmallVector<SmallVector<AffineExpr>> four(4, vExprs);
  auto init = dyn_cast_or_null<FloatAttr>(plan.var.getInitAttr());
  Value vNew =
      buildEinsum(b, loc, plan.var.getResult().getType(),
                  {iterate.getResult(2), iterate.getResult(0),
                   iterate.getResult(1), plan.m},
                  vNames, four, vExprs, MapKind::custom, ReduceKind::none,
                  [&](OpBuilder &bb, Location l, ValueRange in) -> Value {
                    auto a = wide(bb, l, in);
                    Value d = arith::SubFOp::create(bb, l, a[2], a[3]);
                    Value t = arith::MulFOp::create(
                        bb, l, a[1], arith::MulFOp::create(bb, l, d, d));
                    Value v = arith::AddFOp::create(bb, l, a[0], t);
                    v = arith::TruncFOp::create(bb, l, bb.getF32Type(), v);
                    if (init)
                      v = arith::AddFOp::create(
                          bb, l, v, arith::ConstantOp::create(bb, l, init));
                    return v;
                  })
          .getResult();
  plan.var.getResult().replaceAllUsesWith(vNew);
  plan.var.erase();
  if (plan.diff.getResult().use_empty())
    plan.diff.erase();
}

struct EinOnlineNormalizePass
    : public einfuse::ein::impl::EinOnlineNormalizeBase<EinOnlineNormalizePass> {
  using Base::Base;
  void runOnOperation() override {
    if (tileSize <= 0 || tileSize > kMaxTileSize) {
      emitError(getOperation()->getLoc(),
                "ein-online-normalize: tile-size must be in [1, 2^31], got ")
          << static_cast<int64_t>(tileSize);
      return signalPassFailure();
    }
    if (!rank.empty() &&
        failed(checkRankOption(getOperation(), rank,
                               "ein-online-normalize: rank")))
      return signalPassFailure();
    SmallVector<CascadeOp> cascades;
    getOperation()->walk([&](CascadeOp c) { cascades.push_back(c); });
    for (CascadeOp cascade : cascades) {
      SmallVector<std::string> ranks;
      if (!rank.empty()) {
        ranks.push_back(rank);
      } else {
        // Every rank that needs more than one pass.
        CascadePassAnalysis analysis(cascade);
        for (const std::string &r : analysis.getReducedRanks())
          if (analysis.getPasses(r).passes > 1)
            ranks.push_back(r);
      }
      for (const std::string &r : ranks) {
        OnlineRewriter rewriter(cascade, r, tileSize);
        Plan plan;
        std::string why = rewriter.analyse(plan);
        if (why == "already 1 pass")
          continue;
        if (!why.empty() && !plan.barrier) {
          // No max barrier: a mean and a variance have Welford's update.
          WelfordPlan welford;
          std::string whyNot = rewriter.analyseWelford(welford);
          if (whyNot.empty()) {
            rewriter.rewriteWelford(welford);
            continue;
          }
          if (StringRef(why).starts_with("no max barrier"))
            why = "no max barrier over '" + r +
                  "', and no mean and variance for Welford's update: " +
                  whyNot;
        }
        if (!why.empty()) {
          if (remarks)
            cascade.emitRemark("no online form over rank '")
                << r << "': " << why;
          continue;
        }
        rewriter.rewrite(plan);
      }
    }
  }
};

} // namespace

