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
  bool divides;            ///< A = X / D (else A = X * D)
  Operation *use = nullptr; ///< the divf/mulf in a custom region
};

std::optional<Factor> findFactor(EinsumOp a, unsigned j) {
  if (a.getMap() == MapKind::div && j == 1)
    return Factor{j, true};
  if (a.getMap() == MapKind::mul && a.getInputs().size() == 2)
    return Factor{j, false};
  if (a.getMap() != MapKind::custom)
    return std::nullopt;
  Block &body = a.getBody().front();
  BlockArgument arg = body.getArgument(j);
  if (!arg.hasOneUse())
    return std::nullopt;
  OpOperand &use = *arg.getUses().begin();
  Operation *user = use.getOwner();
  bool divides = isa<arith::DivFOp>(user) && use.getOperandNumber() == 1;
  if (!divides && !isa<arith::MulFOp>(user))
    return std::nullopt;
  if (user->getOperand(1 - use.getOperandNumber()) == arg)
    return std::nullopt; // D * D
  if (!reachesYieldMultiplicatively(user->getResult(0),
                                    cast<YieldOp>(body.getTerminator())))
    return std::nullopt;
  return Factor{j, divides, user};
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
    bool divides = factor.divides;
    Value norm;
    if (!divides && !init) {
      norm = buildEinsum(rewriter, loc, red.getResult().getType(),
                         {newRed.getResult(), a.getInputs()[factor.operand]},
                         redNames, {outExprs, llvm::to_vector(dExprs)},
                         outExprs, MapKind::mul, ReduceKind::none);
    } else {
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
              Value empty = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, o, zero);
              r = arith::SelectOp::create(
                  b, l, empty, o, arith::DivFOp::create(b, l, o, d));
            } else {
              r = arith::MulFOp::create(b, l, o, d);
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

struct EinDeferredNormalizePass
    : public einfuse::ein::impl::EinDeferredNormalizeBase<
          EinDeferredNormalizePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEinDeferredNormalizePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void einfuse::ein::populateEinDeferredNormalizePatterns(
    RewritePatternSet &patterns) {
  patterns.add<DeferNormalization>(patterns.getContext());
}
