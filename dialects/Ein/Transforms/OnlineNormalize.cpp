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
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <limits>
#include <map>
#include <numeric>

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

bool reducesRank(EinsumOp e, StringRef rank) {
  return llvm::any_of(e.getReducedRankPositions(), [&](unsigned p) {
    return e.getRankNames()[p] == rank;
  });
}

/// The canonical form of how block argument `operand` of a custom map
/// enters it: exp(c * g + y), y free of g, followed by a path that only
/// scales (so the mapped value is proportional to exp(c * g)). The chain
/// from g to the exp may add or subtract terms (either side: `x - g` and
/// `g - x` alike), negate, and multiply or divide by constants (a
/// temperature); exp2 is exp of ln 2 times its operand. Returns c, or
/// nothing when g enters otherwise.
std::optional<double> expCoefficient(EinsumOp e, unsigned operand) {
  if (e.getMap() != MapKind::custom)
    return std::nullopt;
  Block &body = e.getBody().front();
  auto yield = cast<YieldOp>(body.getTerminator());
  Value v = body.getArgument(operand);
  double c = 1.0;
  while (true) {
    if (!v.hasOneUse())
      return std::nullopt;
    OpOperand &use = *v.getUses().begin();
    Operation *user = use.getOwner();
    unsigned idx = use.getOperandNumber();
    FloatAttr k;
    auto constantOther = [&] {
      return matchPattern(user->getOperand(1 - idx), m_Constant(&k));
    };
    if (isa<arith::AddFOp>(user)) {
    } else if (isa<arith::SubFOp>(user)) {
      if (idx == 1)
        c = -c;
    } else if (isa<arith::NegFOp>(user)) {
      c = -c;
    } else if (isa<arith::MulFOp>(user) && constantOther()) {
      c *= k.getValueAsDouble();
    } else if (isa<arith::DivFOp>(user) && idx == 0 && constantOther()) {
      c /= k.getValueAsDouble();
    } else if (isa<math::ExpOp, math::Exp2Op>(user)) {
      if (isa<math::Exp2Op>(user))
        c *= std::log(2.0);
      if (c == 0.0 || !std::isfinite(c) ||
          !reachesYieldMultiplicatively(user->getResult(0), yield))
        return std::nullopt;
      return c;
    } else {
      return std::nullopt;
    }
    v = user->getResult(0);
  }
}

/// Whether `op` is an Einsum that is the identity except at e, the
/// identity of the barrier (-inf for a max, +inf for a min): `x == e ? c :
/// x`, or written the other way round, `x != e ? x : c`.
bool isInfGuard(Operation *op, double identity) {
  auto e = dyn_cast<EinsumOp>(op);
  if (!e || e.getMap() != MapKind::custom || e.getInputs().size() != 1)
    return false;
  Block &body = e.getBody().front();
  Value x = body.getArgument(0);
  auto yield = cast<YieldOp>(body.getTerminator());
  auto sel = yield.getValues().front().getDefiningOp<arith::SelectOp>();
  if (!sel)
    return false;
  auto cmp = sel.getCondition().getDefiningOp<arith::CmpFOp>();
  if (!cmp || cmp.getLhs() != x)
    return false;
  bool equal = cmp.getPredicate() == arith::CmpFPredicate::OEQ ||
               cmp.getPredicate() == arith::CmpFPredicate::UEQ;
  bool differs = cmp.getPredicate() == arith::CmpFPredicate::ONE ||
                 cmp.getPredicate() == arith::CmpFPredicate::UNE;
  if (!(equal && sel.getFalseValue() == x) &&
      !(differs && sel.getTrueValue() == x))
    return false;
  FloatAttr inf;
  return matchPattern(cmp.getRhs(), m_Constant(&inf)) &&
         inf.getValueAsDouble() == identity;
}

/// A refusal: the reason, what it is about, and the op it concerns.
struct Refusal : OnlineRefusalInfo {
  explicit operator bool() const { return reason != OnlineRefusal::None; }
};

Refusal refuse(OnlineRefusal reason, Operation *at = nullptr,
               std::string detail = "") {
  Refusal r;
  r.reason = reason;
  r.detail = std::move(detail);
  r.at = at;
  return r;
}

/// What the rewrite found in a cascade, for one rank.
struct Plan {
  EinsumOp barrier;                    ///< G = max (or min) over r of X
  CombineKind barrierKind = CombineKind::max;
  /// The Einsums over r computed in the iteration, block order: the
  /// barrier, the running states and what they read along r.
  SmallVector<EinsumOp> inside;
  llvm::SetVector<Operation *> guards; ///< r-free Einsums between G and pass 1
  Value g;                             ///< the value pass 1 sees for G
  /// The running states after the barrier: sums over r (with the weight of
  /// their exp(w * G) factor, 0 for a plain sum) and other maxes and mins
  /// over r that nothing reads along r.
  SmallVector<EinsumOp> states;
  SmallVector<double> weights;
  llvm::MapVector<Value, int64_t> tiled; ///< outside values over r -> dim
  /// Values indexed by `r floordiv d` along that dim (packed or grouped
  /// inputs) -> d; absent: plain.
  llvm::DenseMap<Value, int64_t> divisors;
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

/// `custom(X, M) { d = a - b (or b - a); yield d * d }`: a squared
/// difference in one region (the variance written without a separate
/// difference); a float `init` is allowed.
bool isSquaredDifference(EinsumOp e) {
  if (e.getMap() != MapKind::custom || e.getInputs().size() != 2 ||
      (e.getInitAttr() && !isa<FloatAttr>(e.getInitAttr())))
    return false;
  Block &body = e.getBody().front();
  auto mul = cast<YieldOp>(body.getTerminator())
                 .getValues()
                 .front()
                 .getDefiningOp<arith::MulFOp>();
  if (!mul || mul.getLhs() != mul.getRhs())
    return false;
  auto sub = mul.getLhs().getDefiningOp<arith::SubFOp>();
  if (!sub)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (sub.getLhs() == a && sub.getRhs() == b) ||
         (sub.getLhs() == b && sub.getRhs() == a);
}

/// d when `x` is dim `r` (d = 1) or `r floordiv d` with a constant d > 0;
/// 0 otherwise.
int64_t floorDivisorOf(AffineExpr x, unsigned r) {
  if (auto d = dyn_cast<AffineDimExpr>(x))
    return d.getPosition() == r ? 1 : 0;
  auto bin = dyn_cast<AffineBinaryOpExpr>(x);
  if (!bin || bin.getKind() != AffineExprKind::FloorDiv)
    return 0;
  auto lhs = dyn_cast<AffineDimExpr>(bin.getLHS());
  auto rhs = dyn_cast<AffineConstantExpr>(bin.getRHS());
  if (!lhs || lhs.getPosition() != r || !rhs || rhs.getValue() <= 0)
    return 0;
  return rhs.getValue();
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

  /// Why the cascade has no online form over the rank, or no refusal.
  Refusal analyse(Plan &plan);
  void rewrite(RewriterBase &b, Plan &plan);
  /// A plain iteration of the sums (maxes, mins) over the rank of a 1-pass
  /// cascade, so that --ein-partition can split them (split-K).
  Refusal analysePlain(Plan &plan);
  /// The same for a mean and a variance about it (Welford's update).
  Refusal analyseWelford(WelfordPlan &plan);
  void rewriteWelford(RewriterBase &b, WelfordPlan &plan);

private:
  /// The checks on what the iteration computes (plan.inside, closed under
  /// the Einsums along the rank the states read unless `closed`): state
  /// shapes and tiled inputs.
  Refusal analyseInside(Plan &plan, ArrayRef<EinsumOp> overR,
                        bool closed = false);
  bool inCascade(Value v) {
    Operation *def = v.getDefiningOp();
    return def && def->getBlock() == &cascade.getBodyBlock();
  }
  EinsumOp cloneOverTile(OpBuilder &b, EinsumOp e, IRMapping &mapping,
                         StringRef tileRank);
  /// A tensor shaped like `like`'s result (with `elementType` if given),
  /// filled with `value`.
  Value splatLike(OpBuilder &b, Location loc, EinsumOp like, double value,
                  Type elementType = {});

  CascadeOp cascade;
  std::string rank;
  int64_t tileSize;
};

Refusal OnlineRewriter::analyse(Plan &plan) {
  CascadePassAnalysis analysis(cascade);
  const RankPasses &passes = analysis.getPasses(rank);
  if (passes.passes < 2)
    return refuse(OnlineRefusal::AlreadyOnePass);
  Block &block = cascade.getBodyBlock();

  // An earlier iteration may run before this one, if its states do not
  // carry the rank (they are then values like any r-free input).
  for (IterateOp it : block.getOps<IterateOp>())
    for (auto [i, v] : llvm::enumerate(
             cast<YieldOp>(it.getBodyBlock().getTerminator()).getValues())) {
      // A state passed through unchanged has the ranks of its init.
      Value def = v;
      if (def == it.getStateArgs()[i])
        def = it.getInits()[i];
      auto e = def.getDefiningOp<EinsumOp>();
      std::optional<SmallVector<StringRef>> names;
      if (e)
        names = namesOf(e, -1);
      if (!names)
        return refuse(OnlineRefusal::IterationStateUnknown, it,
                      it.getRank().str());
      if (llvm::is_contained(*names, StringRef(rank)))
        return refuse(OnlineRefusal::IterationCarriesRank, it,
                      it.getRank().str());
    }

  // The barrier: a max or min over r (and maybe other ranks, reduced
  // whole inside each tile of r), in some pass k, that an
  // Einsum over r reads (through r-free Einsums) in pass k + 1; the
  // earliest one (the next rewrite takes the next).
  SmallVector<EinsumOp> overR;
  for (EinsumOp e : block.getOps<EinsumOp>())
    if (hasRank(e, rank))
      overR.push_back(e);
  // r-free values derived from each reduction over r.
  llvm::DenseMap<Value, llvm::SmallPtrSet<Operation *, 2>> derivedFrom;
  for (Operation &op : block) {
    auto e = dyn_cast<EinsumOp>(op);
    if (!e)
      continue;
    if (hasRank(e, rank)) {
      if (reducesRank(e, rank))
        derivedFrom[e.getResult()].insert(e);
      continue;
    }
    for (Value in : e.getInputs())
      if (auto it = derivedFrom.find(in); it != derivedFrom.end()) {
        auto from = it->second; // copy: the map may grow
        derivedFrom[e.getResult()].insert(from.begin(), from.end());
      }
  }
  auto readersAlongR = [&](EinsumOp red) {
    SmallVector<EinsumOp> readers;
    for (EinsumOp u : overR)
      if (llvm::any_of(u.getInputs(), [&](Value in) {
            auto it = derivedFrom.find(in);
            return it != derivedFrom.end() && it->second.contains(red);
          }))
        readers.push_back(u);
    return readers;
  };
  for (EinsumOp e : overR) {
    if (!reducesRank(e, rank) ||
        (e.getReduce() != ReduceKind::max && e.getReduce() != ReduceKind::min))
      continue;
    int64_t k = passes.opPass.lookup(e);
    bool read = llvm::any_of(readersAlongR(e), [&](EinsumOp u) {
      return passes.opPass.lookup(u) == k + 1;
    });
    if (read && (!plan.barrier || k < passes.opPass.lookup(plan.barrier)))
      plan.barrier = e;
  }
  if (!plan.barrier)
    return refuse(OnlineRefusal::NoBarrier);
  int64_t k = passes.opPass.lookup(plan.barrier);
  plan.barrierKind = plan.barrier.getReduce() == ReduceKind::max
                         ? CombineKind::max
                         : CombineKind::min;

  // The running states: the barrier and the other reductions over r in
  // passes k and k + 1 (other ranks they reduce are reduced whole in each
  // tile of r).
  llvm::DenseSet<Operation *> states = {plan.barrier};
  for (EinsumOp e : overR) {
    int64_t pass = passes.opPass.lookup(e);
    if (e == plan.barrier || !reducesRank(e, rank) || pass < k || pass > k + 1)
      continue;
    plan.states.push_back(e);
    states.insert(e);
  }

  // Inside: the states and the Einsums over r they read, transitively.
  llvm::DenseSet<Operation *> inside(states.begin(), states.end());
  SmallVector<Operation *> work(states.begin(), states.end());
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    for (Value in : op->getOperands()) {
      auto def = in.getDefiningOp<EinsumOp>();
      if (def && def->getBlock() == &block && hasRank(def, rank) &&
          inside.insert(def).second)
        work.push_back(def);
    }
  }
  for (EinsumOp e : overR)
    if (inside.count(e))
      plan.inside.push_back(e);
  // Inside, nothing may read a state other than the barrier: that would be
  // a second barrier in the same sweep.
  for (EinsumOp e : plan.inside)
    for (Value in : e.getInputs())
      if (auto it = derivedFrom.find(in); it != derivedFrom.end())
        for (Operation *from : it->second)
          if (from != plan.barrier && states.count(from))
            return refuse(cast<EinsumOp>(from).getReduce() == ReduceKind::sum
                              ? OnlineRefusal::SumReadAlongRank
                              : OnlineRefusal::SeveralBarriers,
                          e);

  // Values derived from G without iterating r: recomputed from the running
  // state inside the iteration.
  llvm::DenseSet<Value> fromG = {plan.barrier.getResult()};
  for (EinsumOp e : block.getOps<EinsumOp>()) {
    if (hasRank(e, rank))
      continue;
    if (llvm::any_of(e.getInputs(), [&](Value v) { return fromG.count(v); }))
      fromG.insert(e.getResult());
  }

  // Inside Einsums of pass 1: G enters once as exp(w * G + y); what it
  // scales flows multiplicatively into sums, each then carrying exp(w * G).
  llvm::DenseMap<Value, double> scaled;
  for (EinsumOp e : plan.inside) {
    if (states.count(e) && !llvm::is_contained(plan.states, e))
      continue; // the barrier
    std::optional<double> weight;
    for (auto [i, in] : llvm::enumerate(e.getInputs())) {
      if (fromG.count(in)) {
        std::optional<double> c = expCoefficient(e, i);
        std::string kind = stringifyReduceKind(plan.barrier.getReduce()).str();
        if (!c)
          return refuse(OnlineRefusal::MaxNotThroughExp, e, kind);
        if ((plan.barrierKind == CombineKind::max) != (*c < 0))
          return refuse(OnlineRefusal::ExpOfWrongSign, e, kind);
        if (plan.g && plan.g != in)
          return refuse(OnlineRefusal::TwoReadsOfMax, e);
        plan.g = in;
        if (weight)
          return refuse(OnlineRefusal::TwoScaledOperands, e);
        weight = *c;
      } else if (auto it = scaled.find(in); it != scaled.end()) {
        if (!isMultiplicativeIn(e, i))
          return refuse(OnlineRefusal::ScaledNotMultiplicative, e);
        if (weight)
          return refuse(OnlineRefusal::TwoScaledOperands, e);
        weight = it->second;
      }
    }
    if (weight) {
      if (reducesRank(e, rank) && e.getReduce() != ReduceKind::sum)
        return refuse(OnlineRefusal::ScaledNotMultiplicative, e);
      scaled[e.getResult()] = *weight;
    }
  }
  bool anyScaled = false;
  for (EinsumOp s : plan.states) {
    auto it = scaled.find(s.getResult());
    plan.weights.push_back(it == scaled.end() ? 0.0 : it->second);
    anyScaled |= it != scaled.end();
  }
  // Without a sum that G rescales, iterating gains no pass (a max-pool and
  // subtract writes along r from the final max anyway).
  if (!anyScaled)
    return refuse(OnlineRefusal::NoRescaledSum, plan.barrier);

  // Guards: the r-free chain from G to the value pass 1 reads.
  if (plan.g && plan.g != plan.barrier.getResult()) {
    SmallVector<Value> chain = {plan.g};
    while (!chain.empty()) {
      Value v = chain.pop_back_val();
      if (v == plan.barrier.getResult())
        continue;
      Operation *def = v.getDefiningOp();
      if (!fromG.count(v) || !def)
        continue;
      if (plan.guards.insert(def))
        for (Value in : def->getOperands())
          chain.push_back(in);
    }
  }
  // What pass 1 reads for G keeps G's ranks (in any order).
  if (plan.g && plan.g != plan.barrier.getResult()) {
    auto ge = plan.g.getDefiningOp<EinsumOp>();
    std::optional<SmallVector<StringRef>> gOut =
        ge ? namesOf(ge, -1) : std::nullopt;
    SmallVector<StringRef> bOut = *namesOf(plan.barrier, -1);
    if (!gOut || gOut->size() != bOut.size() ||
        !llvm::all_of(*gOut, [&](StringRef n) {
          return llvm::is_contained(bOut, n);
        }))
      return refuse(OnlineRefusal::GuardChangesRanks,
                    ge ? ge.getOperation() : plan.barrier.getOperation());
  }
  // G's ranks must index every rescaled sum, so the correction applies.
  SmallVector<StringRef> gNames = *namesOf(plan.barrier, -1);
  for (auto [s, w] : llvm::zip(plan.states, plan.weights))
    if (w != 0.0)
      for (StringRef n : gNames)
        if (!hasRank(s, n))
          return refuse(OnlineRefusal::RescaledLacksRank, s, n.str());
  return analyseInside(plan, overR, /*closed=*/true);
  return {};
}

Refusal OnlineRewriter::analyseInside(Plan &plan, ArrayRef<EinsumOp> overR,
                                      bool closed) {
  Block &block = cascade.getBodyBlock();
  if (!closed) {
    // Inside: the states and the Einsums over r they read, transitively.
    llvm::DenseSet<Operation *> inside;
    SmallVector<Operation *> work;
    for (EinsumOp e : plan.states)
      if (inside.insert(e).second)
        work.push_back(e);
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      for (Value in : op->getOperands()) {
        auto def = in.getDefiningOp<EinsumOp>();
        if (def && def->getBlock() == &block && hasRank(def, rank) &&
            inside.insert(def).second)
          work.push_back(def);
      }
    }
    for (EinsumOp e : overR)
      if (inside.count(e))
        plan.inside.push_back(e);
  }
  // The running state is shaped like the states: each dynamic dim needs a
  // tensor from outside the cascade to take its size from.
  SmallVector<EinsumOp> stateOps;
  if (plan.barrier)
    stateOps.push_back(plan.barrier);
  llvm::append_range(stateOps, plan.states);
  for (EinsumOp e : stateOps) {
    SmallVector<StringRef> names = *namesOf(e, -1);
    for (auto [i, n] : llvm::enumerate(names))
      if (e.getResult().getType().isDynamicDim(i) &&
          !findOutsideExtent(cascade, n))
        return refuse(OnlineRefusal::CannotSizeState, e, n.str());
  }
  // Inputs along r: tiled along the one dim r indexes, plainly or as
  // `r floordiv d` (a packed int4 weight, a group scale: each tile starts
  // at a multiple of d, so the tile of the input is a slice too).
  for (EinsumOp e : plan.inside) {
    SmallVector<StringRef> names = e.getRankNames();
    unsigned r = llvm::find(names, rank) - names.begin();
    for (auto [i, in] : llvm::enumerate(e.getInputs())) {
      AffineMap map = e.getInputMap(i);
      if (!map.isFunctionOfDim(r))
        continue;
      if (inCascade(in))
        continue; // produced along r inside the cascade: recomputed per tile
      int64_t dim = -1, divisor = 1;
      for (auto [d, x] : llvm::enumerate(map.getResults())) {
        if (!x.isFunctionOfDim(r))
          continue;
        int64_t by = floorDivisorOf(x, r);
        dim = dim == -1 && by > 0 ? static_cast<int64_t>(d) : -2;
        divisor = by;
      }
      if (dim < 0)
        return refuse(OnlineRefusal::InputIndexedNotPlain, e);
      auto [it, inserted] = plan.tiled.try_emplace(in, dim);
      auto [dt, dInserted] = plan.divisors.try_emplace(in, divisor);
      if ((!inserted && it->second != dim) ||
          (!dInserted && dt->second != divisor))
        return refuse(OnlineRefusal::InputIndexedTwice, e);
    }
  }
  // The extent of r comes from an input tiled plainly.
  if (!plan.tiled.empty() &&
      llvm::none_of(plan.divisors, [](auto &kv) { return kv.second == 1; }))
    return refuse(OnlineRefusal::NoPlainInput);
  return {};
}

Refusal OnlineRewriter::analysePlain(Plan &plan) {
  CascadePassAnalysis analysis(cascade);
  const RankPasses &passes = analysis.getPasses(rank);
  if (passes.passes > 1)
    return refuse(OnlineRefusal::NotOnePass, nullptr,
                  std::to_string(passes.passes));
  Block &block = cascade.getBodyBlock();
  for (IterateOp it : block.getOps<IterateOp>())
    if (it.getRank() == rank)
      return refuse(OnlineRefusal::AlreadyIterated, it);
  SmallVector<EinsumOp> overR;
  for (EinsumOp e : block.getOps<EinsumOp>())
    if (hasRank(e, rank)) {
      overR.push_back(e);
      if (reducesRank(e, rank)) {
        plan.states.push_back(e);
        plan.weights.push_back(0.0);
      }
    }
  if (plan.states.empty())
    return refuse(OnlineRefusal::NoReduction);
  return analyseInside(plan, overR);
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
  // Inputs read along the rank take their tiles; a tensor tiled for one
  // read but read here along other ranks only (self-attention's Q = K, read
  // along the queries) stays whole.
  auto *at = llvm::find(old, rank);
  SmallVector<Value> inputs;
  for (auto [k, v] : llvm::enumerate(e.getInputs())) {
    Value m = mapping.lookupOrDefault(v);
    auto arg = dyn_cast<BlockArgument>(m);
    auto it = arg ? dyn_cast<IterateOp>(arg.getOwner()->getParentOp())
                  : IterateOp();
    if (it && arg.getArgNumber() < it.getTiles().size() &&
        (at == old.end() ||
         !e.getInputMap(k).isFunctionOfDim(at - old.begin())))
      m = v;
    inputs.push_back(m);
  }
  auto clone = EinsumOp::create(
      b, e.getLoc(), RankedTensorType::get(shape, type.getElementType()),
      inputs, b.getArrayAttr(names), e.getIndexingMaps(), e.getMapAttr(),
      e.getReduceAttr(), e.getInitAttr());
  e.getBody().cloneInto(&clone.getBody(), mapping);
  mapping.map(e.getResult(), clone.getResult());
  return clone;
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

void OnlineRewriter::rewrite(RewriterBase &b, Plan &plan) {
  MLIRContext *ctx = cascade.getContext();
  OpBuilder::InsertionGuard guard(b);
  // Without a barrier (a plain iteration of sums, for split-K), the states
  // are the sums alone.
  bool barrier = static_cast<bool>(plan.barrier);
  unsigned first = barrier ? 1 : 0; // index of plan.states[0] in the state
  Location loc = barrier ? plan.barrier.getLoc() : plan.states.front().getLoc();
  Block &block = cascade.getBodyBlock();

  std::string tileRank = addCascadeRank(cascade, rank + "0", ShapedType::kDynamic);

  // Initial state: the identity of each state (-inf for a running max,
  // +inf for a min, 0 for a sum), shaped from the inputs that carry the
  // same ranks.
  auto yield = cast<YieldOp>(block.getTerminator());
  b.setInsertionPoint(yield);
  auto identityOf = [](EinsumOp e) {
    switch (e.getReduce()) {
    case ReduceKind::max:
      return CombineKind::max;
    case ReduceKind::min:
      return CombineKind::min;
    default:
      return CombineKind::sum;
    }
  };
  SmallVector<EinsumOp> stateOps;
  if (barrier)
    stateOps.push_back(plan.barrier);
  llvm::append_range(stateOps, plan.states);
  // A max or min with an init starts from it (they are idempotent, so it
  // may also stay on each tile's reduction); a sum's init joins once, after.
  SmallVector<Value> inits;
  for (EinsumOp s : stateOps) {
    double start = CombineAttr::get(ctx, identityOf(s)).getIdentity();
    if (auto init = dyn_cast_or_null<FloatAttr>(s.getInitAttr());
        init && s.getReduce() != ReduceKind::sum)
      start = init.getValueAsDouble();
    inits.push_back(splatLike(b, loc, s, start));
  }
  double gIdentity = CombineAttr::get(ctx, plan.barrierKind).getIdentity();

  SmallVector<Value> tiles;
  SmallVector<int64_t> tileDims, tileDivisors;
  int64_t lcm = 1;
  for (auto [v, d] : plan.tiled) {
    tiles.push_back(v);
    tileDims.push_back(d);
    tileDivisors.push_back(plan.divisors.lookup(v));
    lcm = std::lcm(lcm, tileDivisors.back());
  }
  // Every tile starts at a multiple of each divisor: the tile size is
  // rounded up to a multiple of their lcm.
  int64_t size = llvm::divideCeil(tileSize, lcm) * lcm;
  DenseI64ArrayAttr divisorsAttr;
  if (lcm != 1)
    divisorsAttr = b.getDenseI64ArrayAttr(tileDivisors);
  // How partial states combine; only stated when pass 1 sees the max
  // unchanged where it is finite (guards that only replace the identity),
  // so that rescaling by exp(w * (G - Ga)) is exact.
  ArrayAttr combineAttr;
  if (llvm::all_of(plan.guards,
                   [&](Operation *g) { return isInfGuard(g, gIdentity); })) {
    SmallVector<Attribute> combine;
    if (barrier)
      combine.push_back(CombineAttr::get(ctx, plan.barrierKind));
    for (auto [s, w] : llvm::zip(plan.states, plan.weights))
      combine.push_back(w != 0.0 ? CombineAttr::get(
                                       ctx, CombineKind::rescaled_sum, 0, -1, w)
                                 : CombineAttr::get(ctx, identityOf(s)));
    combineAttr = b.getArrayAttr(combine);
  }
  auto iterate = IterateOp::create(
      b, loc, TypeRange(ValueRange(inits)), tiles, inits,
      /*range_offset=*/Value(), /*range_size=*/Value(), b.getStringAttr(rank),
      b.getStringAttr(tileRank), b.getI64IntegerAttr(size),
      b.getDenseI64ArrayAttr(tileDims), divisorsAttr, combineAttr,
      /*workers=*/nullptr);
  SmallVector<Type> argTypes;
  for (auto [v, d] : plan.tiled)
    argTypes.push_back(
        IterateOp::getTileType(cast<RankedTensorType>(v.getType()), d));
  for (Value v : inits)
    argTypes.push_back(v.getType());
  Block *body = b.createBlock(&iterate.getBody(), {}, argTypes,
                              SmallVector<Location>(argTypes.size(), loc));
  unsigned numTiles = tiles.size();
  Value rmOld = barrier ? body->getArgument(numTiles) : Value();

  // The tile: every inside Einsum, on tiles, in block order; pass 1 reads
  // the running max through the guards.
  IRMapping mapping, oldMapping;
  for (auto [i, v] : llvm::enumerate(tiles))
    mapping.map(v, body->getArgument(i));
  SmallVector<StringRef> gNames =
      barrier ? plan.barrier.getRankNames() : SmallVector<StringRef>();
  SmallVector<AffineExpr> gExprs =
      barrier ? llvm::to_vector(plan.barrier.getOutputMap().getResults())
              : SmallVector<AffineExpr>();
  SmallVector<SmallVector<AffineExpr>> twoG = {gExprs, gExprs};
  Value gNew, gOld;
  llvm::DenseMap<Operation *, Value> partials;
  for (EinsumOp e : plan.inside) {
    EinsumOp c = cloneOverTile(b, e, mapping, tileRank);
    if (e != plan.barrier) {
      if (llvm::is_contained(plan.states, e)) {
        // A sum's `init` joins once, after the iteration (below), not once
        // per tile. (An extremum's init may repeat: it is idempotent.)
        if (e.getReduce() == ReduceKind::sum)
          c.removeInitAttr();
        partials[e] = c.getResult();
      }
      continue;
    }
    // RM' = max(RM, max over the tile); then the guards at RM and RM'.
    Value rmNew = buildEinsum(b, loc, e.getResult().getType(),
                              {rmOld, c.getResult()}, gNames, twoG, gExprs,
                              plan.barrierKind == CombineKind::max
                                  ? MapKind::max
                                  : MapKind::min,
                              ReduceKind::none);
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
  // Per weight w: PRM = exp(w * (G(RM') - G(RM))), and 0 while the state
  // is still empty (RM the identity): the sums are 0 then, and a guard may
  // have mapped the identity to a value whose difference overflows exp.
  // The guarded value may keep the max's ranks in another order (a guard
  // written transposed): read it by its own output ranks.
  SmallVector<AffineExpr> guardExprs = gExprs;
  if (barrier && plan.g && plan.g != plan.barrier.getResult())
    if (auto ge = plan.g.getDefiningOp<EinsumOp>()) {
      guardExprs.clear();
      // Keep the optional alive: a range-for over `*namesOf(...)` would
      // iterate a destroyed temporary (its lifetime ends before C++23).
      auto guardNames = namesOf(ge, -1);
      for (StringRef n : *guardNames)
        guardExprs.push_back(getAffineDimExpr(
            llvm::find(gNames, n) - gNames.begin(), ctx));
    }
  SmallVector<SmallVector<AffineExpr>> threeG = {gExprs, guardExprs,
                                                 guardExprs};
  std::map<double, Value> factors;
  auto factor = [&](double w) {
    Value &f = factors[w];
    if (f)
      return f;
    f = buildEinsum(
        b, loc, plan.barrier.getResult().getType(), {rmOld, gOld, gNew},
        gNames, threeG, gExprs, MapKind::custom, ReduceKind::none,
        [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
          Type t = a[0].getType();
          Value identity =
              arith::ConstantOp::create(bb, l, FloatAttr::get(t, gIdentity));
          Value zero = arith::ConstantOp::create(bb, l, FloatAttr::get(t, 0.0));
          Value empty = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ,
                                              a[0], identity);
          // exp(G(RM) - G(RM')) for the usual weight -1, without a multiply.
          Value diff = w == -1.0 ? Value(arith::SubFOp::create(bb, l, a[1], a[2]))
                                 : Value(arith::MulFOp::create(
                                       bb, l,
                                       arith::ConstantOp::create(
                                           bb, l, FloatAttr::get(t, w)),
                                       arith::SubFOp::create(bb, l, a[2], a[1])));
          Value e = math::ExpOp::create(bb, l, diff);
          return arith::SelectOp::create(bb, l, empty, zero, e);
        });
    return f;
  };
  SmallVector<Value> next;
  if (barrier)
    next.push_back(mapping.lookup(plan.barrier.getResult()));
  for (auto [j, s] : llvm::enumerate(plan.states)) {
    Value state = body->getArgument(numTiles + first + j);
    Value partial = partials.lookup(s);
    SmallVector<StringRef> sNames = s.getRankNames();
    SmallVector<AffineExpr> sExprs = llvm::to_vector(s.getOutputMap().getResults());
    if (plan.weights[j] == 0.0) {
      MapKind merge = s.getReduce() == ReduceKind::max   ? MapKind::max
                      : s.getReduce() == ReduceKind::min ? MapKind::min
                                                         : MapKind::add;
      next.push_back(buildEinsum(b, loc, s.getResult().getType(),
                                 {state, partial}, sNames, {sExprs, sExprs},
                                 sExprs, merge, ReduceKind::none));
      continue;
    }
    // S' = S * PRM + tile sum, PRM indexed by the max's ranks.
    SmallVector<AffineExpr> pExprs;
    for (AffineExpr x : gExprs) {
      StringRef n = gNames[cast<AffineDimExpr>(x).getPosition()];
      pExprs.push_back(getAffineDimExpr(llvm::find(sNames, n) - sNames.begin(), ctx));
    }
    next.push_back(buildEinsum(
        b, loc, s.getResult().getType(), {state, factor(plan.weights[j]), partial},
        sNames, {sExprs, pExprs, sExprs}, sExprs, MapKind::custom,
        ReduceKind::none,
        [](OpBuilder &bb, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(bb, l,
                                       arith::MulFOp::create(bb, l, a[0], a[1]),
                                       a[2]);
        }));
  }
  YieldOp::create(b, loc, next);

  // Results replace the states. A sum with an init gets it added once to
  // the iteration's total.
  llvm::DenseSet<Value> after(iterate.getResults().begin(),
                              iterate.getResults().end());
  b.setInsertionPointAfter(iterate);
  if (barrier)
    b.replaceAllUsesWith(plan.barrier.getResult(), iterate.getResult(0));
  for (auto [j, s] : llvm::enumerate(plan.states)) {
    Value total = iterate.getResult(first + j);
    if (auto init = dyn_cast_or_null<FloatAttr>(s.getInitAttr());
        init && s.getReduce() == ReduceKind::sum) {
      SmallVector<StringRef> outNames = *namesOf(s, -1);
      SmallVector<AffineExpr> outExprs;
      for (unsigned i = 0; i < outNames.size(); ++i)
        outExprs.push_back(getAffineDimExpr(i, ctx));
      total = buildEinsum(
          b, loc, s.getResult().getType(), {total}, outNames, {outExprs},
          outExprs, MapKind::custom, ReduceKind::none,
          [init](OpBuilder &bb, Location l, ValueRange a) -> Value {
            return arith::AddFOp::create(
                bb, l, a[0], arith::ConstantOp::create(bb, l, init));
          });
      after.insert(total);
    }
    b.replaceAllUsesWith(s.getResult(), total);
  }
  // Inside Einsums that nothing else reads go; the others (read by the
  // Einsums after the iteration, such as softmax's exp(x - max) that the
  // normalised output divides) stay, now reading the final state.
  for (EinsumOp e : llvm::reverse(plan.inside))
    if (e.getResult().use_empty())
      b.eraseOp(e);
  // Ops that now read the iteration's results move after it.
  SmallVector<Operation *> toMove;
  for (Operation &op : block) {
    if (&op == iterate || op.isBeforeInBlock(iterate) == false)
      break;
    // Operands, and values an earlier iteration's body captures.
    bool reads = false;
    op.walk([&](Operation *inner) {
      reads |= llvm::any_of(inner->getOperands(),
                            [&](Value v) { return after.count(v); });
    });
    if (reads) {
      toMove.push_back(&op);
      after.insert(op.getResults().begin(), op.getResults().end());
    }
  }
  for (Operation *op : toMove)
    b.moveOpBefore(op, yield);
}

Refusal OnlineRewriter::analyseWelford(WelfordPlan &plan) {
  // S = sum_r X and V = sum_r D * D (with any other reduced ranks, whole
  // in each tile).
  for (Operation &op : cascade.getBodyBlock()) {
    auto e = dyn_cast<EinsumOp>(op);
    if (!e || !hasRank(e, rank) || !reducesRank(e, rank) ||
        e.getReduce() != ReduceKind::sum)
      continue;
    if (e.getMap() == MapKind::copy && e.getInputs().size() == 1 &&
        !e.getInitAttr() && !plan.sum) {
      plan.sum = e;
      continue;
    }
    if (!plan.var && (isSquare(e) || isSquaredDifference(e)))
      plan.var = e;
  }
  if (!plan.sum || !plan.var)
    return refuse(OnlineRefusal::NoBarrierNoVariance);
  plan.x = plan.sum.getInputs()[0];
  // The difference: a named `sub` (either order: the square does not care)
  // squared by the variance, or (x - m)^2 in the variance's own region.
  int xAt = -1; // operand of the difference (or of the variance) that is x
  EinsumOp holder; // the Einsum whose operands are x and m
  if (isSquaredDifference(plan.var)) {
    holder = plan.var;
  } else {
    plan.diff = plan.var.getInputs()[0].getDefiningOp<EinsumOp>();
    if (!plan.diff || plan.diff->getBlock() != &cascade.getBodyBlock() ||
        plan.diff.getMap() != MapKind::sub)
      return refuse(OnlineRefusal::VarianceNotOfDifference, plan.var);
    holder = plan.diff;
  }
  for (int i : {0, 1})
    if (holder.getInputs()[i] == plan.x && xAt < 0)
      xAt = i;
  if (xAt < 0)
    return refuse(OnlineRefusal::VarianceAboutOtherValue, holder);
  plan.m = holder.getInputs()[1 - xAt];
  if (cascade->isAncestor(plan.x.getParentRegion()->getParentOp()))
    return refuse(OnlineRefusal::SummedValueComputed, plan.sum);
  auto xSum = namesOf(plan.sum, 0), xDiff = namesOf(holder, xAt);
  auto sOut = namesOf(plan.sum, -1), vOut = namesOf(plan.var, -1),
       mIn = namesOf(holder, 1 - xAt);
  // The tiles are slices of x along one plain dim per rank.
  if (!xSum || !xDiff || !mIn) {
    EinsumOp at = !xSum ? plan.sum : holder;
    int in = !xSum ? 0 : !xDiff ? xAt : 1 - xAt;
    AffineMap map = at.getInputMap(in);
    SmallVector<StringRef> names = at.getRankNames();
    unsigned r = llvm::find(names, rank) - names.begin();
    bool overR = llvm::any_of(map.getResults(), [&](AffineExpr x) {
      return !isa<AffineDimExpr>(x) && x.isFunctionOfDim(r);
    });
    return refuse(overR ? OnlineRefusal::InputIndexedNotPlain
                        : OnlineRefusal::InputNotPlain,
                  at);
  }
  bool alike = xSum && xDiff && sOut && vOut && mIn && *xSum == *xDiff &&
               *sOut == *vOut && *sOut == *mIn;
  if (alike && plan.diff) {
    auto dOut = namesOf(plan.diff, -1), vIn = namesOf(plan.var, 0);
    alike = dOut && vIn && *dOut == *vIn;
  }
  if (!alike)
    return refuse(OnlineRefusal::VarianceIndexedDifferently, plan.var);
  plan.xDim = llvm::find(*xSum, rank) - xSum->begin();
  if (llvm::count(*xSum, StringRef(rank)) != 1)
    return refuse(OnlineRefusal::InputIndexedTwice, plan.sum);
  auto type = cast<RankedTensorType>(plan.x.getType());
  if (!type.getElementType().isF32() ||
      !plan.sum.getResult().getType().getElementType().isF32() ||
      !plan.var.getResult().getType().getElementType().isF32())
    return refuse(OnlineRefusal::WelfordNotF32, plan.var);
  // M is r-free and derived from S; S feeds only r-free Einsums.
  // (The identity holds for any r-free M; M must come after S so that
  // the new variance can read it where the old one was.)
  auto mDef = plan.m.getDefiningOp<EinsumOp>();
  if (!mDef || (mDef != plan.sum &&
                (mDef->getBlock() != &cascade.getBodyBlock() ||
                 hasRank(mDef, rank) || !plan.sum->isBeforeInBlock(mDef))))
    return refuse(OnlineRefusal::VarianceNotAboutSum, holder);
  for (Operation *user : plan.sum.getResult().getUsers())
    if (auto ue = dyn_cast<EinsumOp>(user);
        !ue || (hasRank(ue, rank) && ue != holder))
      return refuse(OnlineRefusal::SumReadAlongRank, user);
  for (Value v : {plan.sum.getResult(), plan.var.getResult()}) {
    EinsumOp e = v.getDefiningOp<EinsumOp>();
    SmallVector<StringRef> names = e.getRankNames();
    for (auto [i, x] : llvm::enumerate(e.getOutputMap().getResults()))
      if (e.getResult().getType().isDynamicDim(i) &&
          !findOutsideExtent(cascade,
                             names[cast<AffineDimExpr>(x).getPosition()]))
        return refuse(OnlineRefusal::CannotSizeState, e,
                      names[cast<AffineDimExpr>(x).getPosition()].str());
  }
  return {};
}

void OnlineRewriter::rewriteWelford(RewriterBase &b, WelfordPlan &plan) {
  Location loc = plan.sum.getLoc();
  MLIRContext *ctx = cascade.getContext();
  OpBuilder::InsertionGuard guard(b);
  std::string tileRank =
      addCascadeRank(cascade, rank + "0", ShapedType::kDynamic);
  b.setInsertionPoint(plan.sum);
  // Count, mean and M2 all start at 0. They are carried in f64: the mean
  // of rows whose mean is large against their spread (1000 +- 2) would
  // otherwise take one f32 rounding of its magnitude per tile, which for
  // small tiles is many times the error of the two-pass code it replaces.
  // Each tile's statistics are f64 as well (below).
  Type f64 = b.getF64Type();
  Value zero = splatLike(b, loc, plan.sum, 0.0, f64);
  SmallVector<Value> inits = {zero, zero, zero};
  auto xType = cast<RankedTensorType>(plan.x.getType());
  auto iterate = IterateOp::create(
      b, loc, TypeRange(ValueRange(inits)), ValueRange{plan.x}, inits,
      /*range_offset=*/Value(), /*range_size=*/Value(), b.getStringAttr(rank),
      b.getStringAttr(tileRank),
      b.getI64IntegerAttr(tileSize), b.getDenseI64ArrayAttr({plan.xDim}),
      /*tile_divisors=*/nullptr,
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
  // Scalars of a custom region, widened to f64.
  auto wide = [](OpBuilder &bb, Location l, ValueRange a) {
    return llvm::map_to_vector(a, [&](Value v) -> Value {
      if (v.getType().isF64())
        return v;
      return arith::ExtFOp::create(bb, l, bb.getF64Type(), v);
    });
  };
  // The tile's count, mean and sum of squares about its own mean, in f64
  // too: in f32 the tile's mean of values near 1000 is rounded by ~6e-5,
  // and Chan's merge below adds (mean_t - mean)^2 * n n_t / n', to which
  // that rounding contributes to first order (190x the two-pass error on
  // rows of 1000 +- 2 with tiles of 16). Widening the tile makes every term
  // exact to f64 rounding, at the cost of f64 arithmetic on the tile.
  Value st = buildEinsum(b, loc, wideType, {xt}, tNames, {xExprs}, oExprs,
                         MapKind::custom, ReduceKind::sum,
                         [&](OpBuilder &bb, Location l, ValueRange a) {
                           return wide(bb, l, a)[0];
                         })
                 .getResult();
  Value nt = buildEinsum(b, loc, wideType, {xt}, tNames, {xExprs}, oExprs,
                         MapKind::custom, ReduceKind::sum,
                         [&](OpBuilder &bb, Location l, ValueRange) -> Value {
                           return arith::ConstantOp::create(
                               bb, l, bb.getF64FloatAttr(1.0));
                         })
                 .getResult();
  Value mt = rowWise(wideType, {st, nt},
                     [](OpBuilder &bb, Location l, ValueRange a) {
                       return arith::DivFOp::create(bb, l, a[0], a[1])
                           .getResult();
                     });
  Value qt = buildEinsum(b, loc, wideType, {xt, mt}, tNames, {xExprs, oExprs},
                         oExprs, MapKind::custom, ReduceKind::sum,
                         [&](OpBuilder &bb, Location l, ValueRange in) {
                           auto a = wide(bb, l, in);
                           Value d = arith::SubFOp::create(bb, l, a[0], a[1]);
                           return arith::MulFOp::create(bb, l, d, d)
                               .getResult();
                         })
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
  b.replaceAllUsesWith(plan.sum.getResult(), sNew);
  b.eraseOp(plan.sum);
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
  b.replaceAllUsesWith(plan.var.getResult(), vNew);
  b.eraseOp(plan.var);
  if (plan.diff && plan.diff.getResult().use_empty())
    b.eraseOp(plan.diff);
}

/// The online rewrite of a cascade as a pattern: every rank that takes
/// more than one pass (or the option's rank), one iteration per barrier.
/// Fails, with the refusals, when it builds none; with `remarks`, each
/// refusal is also a remark at the Einsum concerned (meant for one walk:
/// a greedy driver would repeat them).
struct OnlineNormalizeCascade : public OpRewritePattern<CascadeOp> {
  OnlineNormalizeCascade(MLIRContext *ctx, EinOnlineNormalizeOptions options)
      : OpRewritePattern(ctx), options(std::move(options)) {}

  LogicalResult matchAndRewrite(CascadeOp cascade,
                                PatternRewriter &rewriter) const override {
    SmallVector<std::pair<std::string, OnlineRefusalInfo>> refusals;
    // A kernel's GPU configuration sets its tile.
    int64_t tile = options.tileSize;
    if (GPUConfigAttr config = GPUConfigAttr::lookup(cascade))
      tile = config.getTileSize();
    int64_t built =
        normalizeOnline(rewriter, cascade, options.rank, tile, &refusals);
    if (options.remarks)
      for (auto &[r, why] : refusals)
        (why.at ? why.at : cascade.getOperation())
                ->emitRemark("no online form over rank '")
            << r << "': " << describe(why.reason, r, why.detail);
    if (built > 0)
      return success();
    return rewriter.notifyMatchFailure(cascade, [&](Diagnostic &d) {
      d << "no online form";
      for (auto &[r, why] : refusals)
        d << "; over '" << r << "': " << describe(why.reason, r, why.detail);
    });
  }

  EinOnlineNormalizeOptions options;
};

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
    RewritePatternSet patterns(&getContext());
    populateEinOnlineNormalizePatterns(
        patterns, EinOnlineNormalizeOptions{tileSize, rank, remarks});
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace


int64_t einfuse::ein::normalizeOnline(
    RewriterBase &rewriter, CascadeOp cascade, StringRef rank,
    int64_t tileSize,
    SmallVectorImpl<std::pair<std::string, OnlineRefusalInfo>> *refusals) {
  SmallVector<std::string> ranks;
  if (!rank.empty()) {
    if (cascade.lookupRank(rank) >= 0)
      ranks.push_back(rank.str());
  } else {
    // Every rank that needs more than one pass.
    CascadePassAnalysis analysis(cascade);
    for (const std::string &r : analysis.getReducedRanks())
      if (analysis.getPasses(r).passes > 1)
        ranks.push_back(r);
  }
  int64_t built = 0;
  for (const std::string &r : ranks) {
    // One iteration per barrier along r, in sequence (two chained
    // softmaxes get two); the bound only guards against a cycle.
    for (int step = 0; step < 16; ++step) {
      OnlineRefusalInfo why;
      if (succeeded(buildOnlineIteration(rewriter, cascade, r, tileSize, &why))) {
        ++built;
        continue;
      }
      // After a first iteration, what is left is said by the pass
      // analysis; a refusal is news only when nothing was rewritten.
      if (refusals && step == 0 && why.reason != OnlineRefusal::AlreadyOnePass)
        refusals->emplace_back(r, why);
      break;
    }
  }
  return built;
}

void einfuse::ein::populateEinOnlineNormalizePatterns(
    RewritePatternSet &patterns, const EinOnlineNormalizeOptions &options) {
  patterns.add<OnlineNormalizeCascade>(patterns.getContext(), options);
}

FailureOr<IterateOp>
einfuse::ein::buildOnlineIteration(RewriterBase &rewriter, CascadeOp cascade,
                                   StringRef rank, int64_t tileSize,
                                   OnlineRefusalInfo *why) {
  OnlineRewriter online(cascade, rank, tileSize);
  auto fail = [&](const Refusal &r) {
    if (why)
      *why = r;
    return failure();
  };
  auto created = [&]() -> FailureOr<IterateOp> {
    // The iteration is the last one in the block (both forms create it
    // there or at the sum, before the Einsums that read it).
    IterateOp last;
    for (IterateOp it : cascade.getBodyBlock().getOps<IterateOp>())
      if (!last || last->isBeforeInBlock(it))
        last = it;
    return last;
  };
  Plan plan;
  Refusal refusal = online.analyse(plan);
  if (!refusal) {
    online.rewrite(rewriter, plan);
    return created();
  }
  if (refusal.reason != OnlineRefusal::NoBarrier)
    return fail(refusal);
  // No extremum barrier: a mean and a variance have Welford's update.
  WelfordPlan welford;
  Refusal whyNot = online.analyseWelford(welford);
  if (whyNot)
    return fail(whyNot);
  online.rewriteWelford(rewriter, welford);
  return created();
}

std::string einfuse::ein::describe(OnlineRefusal why, StringRef rankRef,
                                   StringRef detail) {
  std::string r = rankRef.str(), d = detail.str();
  switch (why) {
  case OnlineRefusal::None:
    return "no refusal";
  case OnlineRefusal::AlreadyOnePass:
    return "already 1 pass";
  case OnlineRefusal::IterationCarriesRank:
    return "an iteration over '" + d + "' carries '" + r +
           "' in its state (nested iterations are not derived)";
  case OnlineRefusal::IterationStateUnknown:
    return "an iteration over '" + d +
           "' yields a state that is not an Einsum's result, so whether it "
           "carries '" + r + "' is unknown";
  case OnlineRefusal::NoBarrier:
    return "no max or min over '" + r + "' is read again along '" + r + "'";
  case OnlineRefusal::SeveralBarriers:
    return "two maxes or mins over '" + r + "' are read again along '" + r +
           "' (one running state corrects one barrier)";
  case OnlineRefusal::MaxNotThroughExp:
    return "this Einsum reads the " + d + " over '" + r +
           "' other than as a factor exp(w * " + d +
           " + y), so no correction exists when the " + d + " moves";
  case OnlineRefusal::ExpOfWrongSign:
    return "this Einsum reads the " + d + " over '" + r + "' as exp(" +
           (d == "max" ? "+" : "-") + d + "), which grows as the " + d +
           " moves: the rescaled terms would overflow";
  case OnlineRefusal::GuardChangesRanks:
    return "pass 1 reads the barrier over '" + r +
           "' through this Einsum, which does not keep the barrier's ranks";
  case OnlineRefusal::TwoReadsOfMax:
    return "pass 1 reads the barrier over '" + r +
           "' through two different values";
  case OnlineRefusal::TwoScaledOperands:
    return "this Einsum multiplies two values scaled by the barrier over '" +
           r + "'";
  case OnlineRefusal::ScaledNotMultiplicative:
    return "a value scaled by exp(w * barrier) enters this Einsum other than "
           "multiplicatively (or a max or min reduces it)";
  case OnlineRefusal::NoRescaledSum:
    return "no sum over '" + r +
           "' is scaled by exp of this barrier: iterating it removes no pass";
  case OnlineRefusal::RescaledLacksRank:
    return "this rescaled sum lacks rank '" + d + "' of the barrier";
  case OnlineRefusal::CannotSizeState:
    return "cannot size the running state: no input gives the extent of "
           "rank '" + d + "'";
  case OnlineRefusal::InputIndexedNotPlain:
    return "an input of this Einsum is indexed by '" + r +
           "' other than as one plain dimension (or one '" + r +
           " floordiv d')";
  case OnlineRefusal::InputNotPlain:
    return "an input of this Einsum is indexed by an expression of ranks "
           "(Welford's update slices plain dimensions)";
  case OnlineRefusal::NoPlainInput:
    return "no input is indexed by '" + r +
           "' as a plain dimension, so none gives its extent";
  case OnlineRefusal::InputIndexedTwice:
    return "an input of this Einsum is indexed by '" + r +
           "' in two dimensions";
  case OnlineRefusal::NoBarrierNoVariance:
    return "no max or min over '" + r +
           "' is read again along it, and no sum over it has a sum of "
           "squares about it (Welford's update)";
  case OnlineRefusal::VarianceNotOfDifference:
    return "this sum of squares over '" + r + "' is not of a difference";
  case OnlineRefusal::VarianceAboutOtherValue:
    return "this difference is of a value other than the summed one";
  case OnlineRefusal::SummedValueComputed:
    return "this sum's value is computed in the cascade (Welford's update "
           "reads it from an input)";
  case OnlineRefusal::VarianceIndexedDifferently:
    return "the mean and the variance are not indexed alike";
  case OnlineRefusal::WelfordNotF32:
    return "Welford's update is built for f32";
  case OnlineRefusal::VarianceNotAboutSum:
    return "this difference is not about a value derived from the sum";
  case OnlineRefusal::NotOnePass:
    return "the cascade takes " + d + " passes over '" + r +
           "': split-K needs its online form (--ein-online-normalize) "
           "first";
  case OnlineRefusal::AlreadyIterated:
    return "an iteration already runs over '" + r + "'";
  case OnlineRefusal::NoReduction:
    return "no Einsum reduces '" + r + "'";
  case OnlineRefusal::SumReadAlongRank:
    return "this Einsum reads the sum over '" + r + "' again along '" + r +
           "'";
  }
  llvm_unreachable("unknown refusal");
}

FailureOr<IterateOp>
einfuse::ein::buildPlainIteration(RewriterBase &rewriter, CascadeOp cascade,
                                  StringRef rank, int64_t tileSize,
                                  OnlineRefusalInfo *why) {
  OnlineRewriter online(cascade, rank, tileSize);
  Plan plan;
  Refusal refusal = online.analysePlain(plan);
  if (refusal) {
    if (why)
      *why = refusal;
    return failure();
  }
  online.rewrite(rewriter, plan);
  IterateOp last;
  for (IterateOp it : cascade.getBodyBlock().getOps<IterateOp>())
    if (it.getRank() == rank)
      last = it;
  return last;
}
