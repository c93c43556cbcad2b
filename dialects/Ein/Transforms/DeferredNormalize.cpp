//===- DeferredNormalize.cpp - Move normalisation past sum reductions ------===//
//
//   A = g(X, D)  (D invariant along R)      O' = sum_R f(g'(X), ...)
//   O = sum_R f(A, ...)              ==>    O  = O' / D   (or O' * D)
//
// f multiplicative in A, g divides (or multiplies) by D on a multiplicative
// path. Normalising after the reduction removes the barrier between the
// reduction that produced D and the reduction over R.
//
//===----------------------------------------------------------------------===//
#include "Ein/Transforms/MapAlgebra.h"
#include "Ein/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace einfuse::ein {
#define GEN_PASS_DEF_EINDEFERREDNORMALIZE
#include "Ein/Transforms/Passes.h.inc"
} // namespace einfuse::ein

using namespace mlir;
using namespace einfuse::ein;

namespace {

/// How operand `j` of `a` (the factor D) enters its map.
struct Factor {
  unsigned operand;
  bool divides;             ///< A = X / D (else A = X * D)
  Operation *use = nullptr; ///< the divf/mulf in a custom region
  /// `D == 0 ? 0 : ...` around the division (a guard written inline):
  /// the select and its compare, dropped with the factor.
  Operation *guard = nullptr, *guardCmp = nullptr;
};

/// Whether `v` reaches `stop` (or, with `stop` null, the yield) through
/// single-use multiplicative steps (see reachesYieldMultiplicatively),
/// entering `stop` as its false value.
bool reachesMultiplicatively(Value v, Operation *stop, YieldOp yield) {
  while (true) {
    if (!v.hasOneUse())
      return false;
    OpOperand &use = *v.getUses().begin();
    Operation *user = use.getOwner();
    if (stop && user == stop)
      return use.getOperandNumber() == 2;
    if (!stop && user == yield)
      return true;
    bool ok = isa<arith::MulFOp, arith::NegFOp, arith::ExtFOp>(user) ||
              (isa<arith::DivFOp>(user) && use.getOperandNumber() == 0);
    if (!ok)
      return false;
    v = user->getResult(0);
  }
}

/// `select(D == 0, 0, T)` from a use of `d` (a compare with 0 feeding the
/// select's condition, the true value the constant 0).
std::pair<arith::SelectOp, arith::CmpFOp> zeroGuard(Operation *user, Value d) {
  auto cmp = dyn_cast<arith::CmpFOp>(user);
  if (!cmp || cmp.getPredicate() != arith::CmpFPredicate::OEQ ||
      cmp.getLhs() != d || !cmp->hasOneUse())
    return {};
  FloatAttr zero;
  if (!matchPattern(cmp.getRhs(), m_Constant(&zero)) ||
      !zero.getValue().isZero())
    return {};
  auto sel = dyn_cast<arith::SelectOp>(*cmp->getUsers().begin());
  FloatAttr zero2;
  if (!sel || sel.getCondition() != cmp.getResult() ||
      !matchPattern(sel.getTrueValue(), m_Constant(&zero2)) ||
      !zero2.getValue().isZero())
    return {};
  return {sel, cmp};
}

std::optional<Factor> findFactor(EinsumOp a, unsigned j) {
  if (a.getMap() == MapKind::div && j == 1)
    return Factor{j, true};
  if (a.getMap() == MapKind::mul && a.getInputs().size() == 2)
    return Factor{j, false};
  if (a.getMap() != MapKind::custom)
    return std::nullopt;
  Block &body = a.getBody().front();
  auto yield = cast<YieldOp>(body.getTerminator());
  BlockArgument arg = body.getArgument(j);
  // One use (the divf/mulf), or two: a division and a zero guard.
  SmallVector<OpOperand *> uses =
      llvm::map_to_vector(arg.getUses(), [](OpOperand &u) { return &u; });
  if (uses.empty() || uses.size() > 2)
    return std::nullopt;
  Factor f{j, false};
  OpOperand *use = uses.front();
  if (uses.size() == 2) {
    for (int k : {0, 1}) {
      auto [sel, cmp] = zeroGuard(uses[k]->getOwner(), arg);
      if (sel) {
        f.guard = sel;
        f.guardCmp = cmp;
        use = uses[1 - k];
      }
    }
    if (!f.guard)
      return std::nullopt;
  }
  Operation *user = use->getOwner();
  f.divides = isa<arith::DivFOp>(user) && use->getOperandNumber() == 1;
  if (!f.divides && (!isa<arith::MulFOp>(user) || f.guard))
    return std::nullopt;
  if (user->getOperand(1 - use->getOperandNumber()) == arg)
    return std::nullopt; // D * D
  f.use = user;
  if (f.guard)
    return reachesMultiplicatively(user->getResult(0), f.guard, yield) &&
                   reachesYieldMultiplicatively(f.guard->getResult(0), yield)
               ? std::optional<Factor>(f)
               : std::nullopt;
  if (!reachesYieldMultiplicatively(user->getResult(0), yield))
    return std::nullopt;
  return f;
}

/// Expressions of `map` (over the ranks of `a`) rewritten over the ranks of
/// the consumer, given how the consumer indexes `a`'s result.
SmallVector<AffineExpr> composeThrough(EinsumOp a, AffineMap map,
                                       AffineMap consumerIndexOfA) {
  SmallVector<AffineExpr> dims(a.getRanks().size());
  for (auto [pos, e] : llvm::enumerate(a.getOutputMap().getResults()))
    dims[cast<AffineDimExpr>(e).getPosition()] =
        consumerIndexOfA.getResult(pos);
  return llvm::map_to_vector(map.getResults(), [&](AffineExpr e) {
    return e.replaceDims(dims);
  });
}

struct DeferNormalization : OpRewritePattern<EinsumOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(EinsumOp red,
                                PatternRewriter &rewriter) const override {
    if (red.getReduce() != ReduceKind::sum)
      return failure();
    SmallVector<unsigned> reduced = red.getReducedRankPositions();
    Type resultElt = red.getResult().getType().getElementType();
    if (!isa<FloatType>(resultElt))
      return failure();
    for (auto [i, in] : llvm::enumerate(red.getInputs())) {
      auto a = in.getDefiningOp<EinsumOp>();
      if (!a || a->getBlock() != red->getBlock() ||
          a.getReduce() != ReduceKind::none || !isMultiplicativeIn(red, i))
        continue;
      // Every rank of `a` must be kept in its result to compose indices.
      if (a.getOutputMap().getNumResults() != a.getRanks().size())
        continue;
      for (unsigned j = 0; j < a.getInputs().size(); ++j) {
        std::optional<Factor> factor = findFactor(a, j);
        if (!factor)
          continue;
        Value d = a.getInputs()[j];
        auto dType = cast<RankedTensorType>(d.getType());
        if (dType.getElementType() != resultElt)
          continue;
        SmallVector<AffineExpr> dExprs =
            composeThrough(a, a.getInputMap(j), red.getInputMap(i));
        bool invariant = llvm::none_of(dExprs, [&](AffineExpr e) {
          return llvm::any_of(reduced,
                              [&](unsigned r) { return e.isFunctionOfDim(r); });
        });
        if (!invariant)
          continue;
        rewrite(rewriter, red, i, a, *factor, dExprs);
        return success();
      }
    }
    return failure();
  }

  void rewrite(PatternRewriter &rewriter, EinsumOp red, unsigned i, EinsumOp a,
               const Factor &factor, ArrayRef<AffineExpr> dExprs) const {
    Location loc = red.getLoc();
    SmallVector<StringRef> redNames = red.getRankNames();
    SmallVector<Value> inputs(red.getInputs());
    SmallVector<SmallVector<AffineExpr>> maps;
    for (unsigned k = 0; k < inputs.size(); ++k)
      maps.push_back(llvm::to_vector(red.getInputMap(k).getResults()));

    // A without its factor.
    if (a.getMap() != MapKind::custom) {
      unsigned x = 1 - factor.operand;
      inputs[i] = a.getInputs()[x];
      maps[i] = composeThrough(a, a.getInputMap(x), red.getInputMap(i));
    } else {
      SmallVector<Value> aInputs;
      SmallVector<SmallVector<AffineExpr>> aMaps;
      for (unsigned k = 0; k < a.getInputs().size(); ++k) {
        if (k == factor.operand)
          continue;
        aInputs.push_back(a.getInputs()[k]);
        aMaps.push_back(llvm::to_vector(a.getInputMap(k).getResults()));
      }
      Block &body = a.getBody().front();
      Value other = factor.use->getOperand(
          factor.use->getOperand(0) == body.getArgument(factor.operand) ? 1 : 0);
      SmallVector<StringRef> aNames = a.getRankNames();
      EinsumOp stripped = buildEinsum(
          rewriter, a.getLoc(), a.getResult().getType(), aInputs, aNames,
          aMaps, llvm::to_vector(a.getOutputMap().getResults()),
          MapKind::custom, ReduceKind::none,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            IRMapping mapping;
            unsigned next = 0;
            for (unsigned k = 0; k < body.getNumArguments(); ++k)
              if (k != factor.operand)
                mapping.map(body.getArgument(k), args[next++]);
            for (Operation &op : body.without_terminator()) {
              if (&op == factor.use) {
                mapping.map(op.getResult(0), mapping.lookupOrDefault(other));
                continue;
              }
              if (&op == factor.guardCmp)
                continue; // reads D; only the guard used it
              if (&op == factor.guard) {
                mapping.map(op.getResult(0),
                            mapping.lookupOrDefault(op.getOperand(2)));
                continue;
              }
              b.clone(op, mapping);
            }
            return mapping.lookup(
                cast<YieldOp>(body.getTerminator()).getValues().front());
          });
      inputs[i] = stripped.getResult();
    }

    // The reduction without the factor (and without its init, which the
    // factor does not scale), then one normalising Einsum:
    //   O = O' / D  (O' * D),  plus the init if there is one.
    // An empty R makes O' = 0 where O was its init (or 0); D, often a sum
    // over the same R, may then be 0: 0 / D is taken as 0, so the result
    // stays what it was (not NaN). A nonzero O' is divided as before.
    EinsumOp newRed = buildEinsum(
        rewriter, loc, red.getResult().getType(), inputs, redNames, maps,
        llvm::to_vector(red.getOutputMap().getResults()), red.getMap(),
        red.getReduce(), nullptr, TypedAttr());
    if (red.getMap() == MapKind::custom) {
      IRMapping mapping;
      red.getBody().cloneInto(&newRed.getBody(), mapping);
    }
    SmallVector<AffineExpr> outExprs =
        llvm::to_vector(red.getOutputMap().getResults());
    auto init = dyn_cast_or_null<FloatAttr>(red.getInitAttr());
    bool divides = factor.divides, guarded = factor.guard != nullptr;
    Value norm;
    {
      norm = buildEinsum(
          rewriter, loc, red.getResult().getType(),
          {newRed.getResult(), a.getInputs()[factor.operand]}, redNames,
          {outExprs, llvm::to_vector(dExprs)}, outExprs, MapKind::custom,
          ReduceKind::none,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            Value o = args[0], d = args[1];
            Value r;
            if (divides) {
              Value zero = arith::ConstantOp::create(
                  b, l, b.getFloatAttr(o.getType(), 0.0));
              // Guarded (D == 0 ? 0 : X / D): every term was 0 where D is 0.
              Value empty = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, guarded ? d : o, zero);
              r = arith::SelectOp::create(
                  b, l, empty, guarded ? zero : o,
                  arith::DivFOp::create(b, l, o, d));
            } else {
              // O' * D, and O' where O' is 0: an empty R with D = 1 / 0
              // (a reciprocal factor) stays 0 instead of 0 * inf = NaN.
              Value zero = arith::ConstantOp::create(
                  b, l, b.getFloatAttr(o.getType(), 0.0));
              Value empty = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, o, zero);
              r = arith::SelectOp::create(b, l, empty, o,
                                          arith::MulFOp::create(b, l, o, d));
            }
            if (init)
              r = arith::AddFOp::create(b, l, r,
                                        arith::ConstantOp::create(b, l, init));
            return r;
          });
    }
    rewriter.replaceOp(red, norm);
    if (a.use_empty())
      rewriter.eraseOp(a);
  }
};

/// Whether `v` comes from a reduction of the cascade (through Einsums that
/// reduce nothing): a normalising factor such as softmax's sum.
bool fromReduction(Value v) {
  for (int depth = 0; depth < 16; ++depth) {
    auto e = v.getDefiningOp<EinsumOp>();
    if (!e)
      return false;
    if (e.getReduce() != ReduceKind::none)
      return true;
    if (e.getInputs().size() != 1)
      return llvm::any_of(e.getInputs(), [](Value in) {
        auto d = in.getDefiningOp<EinsumOp>();
        return d && d.getReduce() != ReduceKind::none;
      });
    v = e.getInputs()[0];
  }
  return false;
}

/// Whether operand `j` of `a` is used as a scale (a named div's divisor,
/// a named mul, or a divf's divisor / a mulf operand in a custom map): a
/// normalisation, as opposed to a shift such as x - mean.
bool scalesBy(EinsumOp a, unsigned j) {
  if (a.getMap() == MapKind::div)
    return j == 1;
  if (a.getMap() == MapKind::mul)
    return true;
  if (a.getMap() != MapKind::custom)
    return false;
  return llvm::any_of(a.getBody().front().getArgument(j).getUses(),
                      [](OpOperand &u) {
                        return isa<arith::MulFOp>(u.getOwner()) ||
                               (isa<arith::DivFOp>(u.getOwner()) &&
                                u.getOperandNumber() == 1);
                      });
}

/// Why a normalisation that reads a reduced factor stays before the sum
/// `red` reads it through operand `i` (after the patterns ran, every one
/// left is one that did not apply), or "".
std::string whyNotDeferred(EinsumOp red, unsigned i, EinsumOp a, unsigned j) {
  if (!isMultiplicativeIn(red, i))
    return "the sum is not proportional to the normalised value";
  if (a.getOutputMap().getNumResults() != a.getRanks().size())
    return "the normalising Einsum does not keep all its ranks";
  if (!findFactor(a, j))
    return "the factor enters the normalising map other than through one "
           "divf or mulf that scales its value (an added term such as a "
           "beta, or a non-linear function of it)";
  if (cast<RankedTensorType>(a.getInputs()[j].getType()).getElementType() !=
      red.getResult().getType().getElementType())
    return "the factor's element type differs from the sum's";
  return "";
}

struct EinDeferredNormalizePass
    : public einfuse::ein::impl::EinDeferredNormalizeBase<
          EinDeferredNormalizePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEinDeferredNormalizePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!remarks)
      return;
    // Say why each normalisation a sum reads (a map that reads a factor
    // computed by a reduction, invariant along the sum's ranks) stayed.
    getOperation()->walk([&](EinsumOp red) {
      if (red.getReduce() != ReduceKind::sum ||
          !isa<FloatType>(red.getResult().getType().getElementType()))
        return;
      SmallVector<unsigned> reduced = red.getReducedRankPositions();
      for (auto [i, in] : llvm::enumerate(red.getInputs())) {
        auto a = in.getDefiningOp<EinsumOp>();
        if (!a || a->getBlock() != red->getBlock() ||
            a.getReduce() != ReduceKind::none ||
            a.getOutputMap().getNumResults() != a.getRanks().size())
          continue;
        for (unsigned j = 0; j < a.getInputs().size(); ++j) {
          if (!fromReduction(a.getInputs()[j]) || !scalesBy(a, j))
            continue;
          SmallVector<AffineExpr> dExprs =
              composeThrough(a, a.getInputMap(j), red.getInputMap(i));
          if (llvm::any_of(dExprs, [&](AffineExpr e) {
                return llvm::any_of(reduced, [&](unsigned r) {
                  return e.isFunctionOfDim(r);
                });
              }))
            continue;
          std::string why = whyNotDeferred(red, i, a, j);
          if (!why.empty())
            a.emitRemark("normalisation not deferred past the sum at ")
                << red.getLoc() << ": " << why;
        }
      }
    });
  }
};

} // namespace

void einfuse::ein::populateEinDeferredNormalizePatterns(
    RewritePatternSet &patterns) {
  patterns.add<DeferNormalization>(patterns.getContext());
}
