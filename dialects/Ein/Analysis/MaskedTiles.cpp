//===- MaskedTiles.cpp - Tiles of an iteration a positional mask hides ----===//
#include "Ein/Analysis/MaskedTiles.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace einfuse::ein;

/// The conditions of `keep` (an and-tree of comparisons) that bound
/// `m - q [- (extent(m) - extent(q))]` by a constant; other conjuncts are
/// ignored, which is sound: a tile where one conjunct fails is masked.
static void collectPositionBounds(Value keep, StringRef m,
                           SmallVectorImpl<PositionBound> &bounds) {
  if (auto a = keep.getDefiningOp<arith::AndIOp>()) {
    collectPositionBounds(a.getLhs(), m, bounds);
    collectPositionBounds(a.getRhs(), m, bounds);
    return;
  }
  auto cmp = keep.getDefiningOp<arith::CmpIOp>();
  if (!cmp)
    return;
  IntegerAttr cAttr;
  if (!matchPattern(cmp.getRhs(), m_Constant(&cAttr)))
    return;
  int64_t c = cAttr.getInt();
  PositionBound bound;
  switch (cmp.getPredicate()) {
  case arith::CmpIPredicate::sle:
    bound.upper = true;
    break;
  case arith::CmpIPredicate::slt:
    bound.upper = true;
    c -= 1;
    break;
  case arith::CmpIPredicate::sge:
    bound.upper = false;
    break;
  case arith::CmpIPredicate::sgt:
    bound.upper = false;
    c += 1;
    break;
  default:
    return;
  }
  bound.c = c;
  // d = m - q, or (m - q) - (extent(m) - extent(q)).
  auto sub = cmp.getLhs().getDefiningOp<arith::SubIOp>();
  if (!sub)
    return;
  bound.byExtents = false;
  auto inner = sub.getLhs().getDefiningOp<arith::SubIOp>();
  auto offset = sub.getRhs().getDefiningOp<arith::SubIOp>();
  auto idx = [](Value v) { return v.getDefiningOp<IndexOp>(); };
  auto ext = [](Value v) { return v.getDefiningOp<ExtentOp>(); };
  if (inner && offset) {
    auto em = ext(offset.getLhs()), eq = ext(offset.getRhs());
    if (!em || !eq)
      return;
    sub = inner;
    bound.byExtents = true;
    auto im = idx(sub.getLhs()), iq = idx(sub.getRhs());
    if (!im || !iq || em.getRank() != im.getRank() ||
        eq.getRank() != iq.getRank())
      return;
  }
  auto im = idx(sub.getLhs()), iq = idx(sub.getRhs());
  if (!im || !iq || im.getRank() != m || iq.getRank() == m)
    return;
  bound.q = iq.getRank().str();
  bounds.push_back(bound);
}

/// For an iteration in the online softmax form (combine: a running max and
/// sums rescaled by it) whose max is over a value X that a positional mask
/// sets to -inf, and which every other Einsum sees only as exp(X - g): the
/// mask's bounds. A tile where X is -inf throughout contributes max -inf and
/// sums of exp(-inf) = 0, the identity of the combine, so it can be skipped.
SmallVector<PositionBound> einfuse::ein::findMaskedTiles(IterateOp it) {
  auto combine = it.getCombine();
  if (!combine || combine->empty())
    return {};
  for (auto [i, a] : llvm::enumerate(*combine)) {
    auto kind = cast<CombineAttr>(a);
    if (i == 0 ? kind.getKind() != CombineKind::max
               : kind.getKind() != CombineKind::rescaled_sum)
      return {};
  }
  Block &body = it.getBodyBlock();
  auto yield = cast<YieldOp>(body.getTerminator());
  auto update = yield.getValues().front().getDefiningOp<EinsumOp>();
  if (!update)
    return {};
  // The tile's max: max over the tile rank of X, read by the update.
  EinsumOp tileMax;
  for (Value in : update.getInputs())
    if (auto e = in.getDefiningOp<EinsumOp>();
        e && e.getReduce() == ReduceKind::max && e.getMap() == MapKind::copy)
      tileMax = e;
  if (!tileMax)
    return {};
  Value x = tileMax.getInputs()[0];
  auto masked = x.getDefiningOp<EinsumOp>();
  if (!masked || masked.getMap() != MapKind::custom)
    return {};
  auto sel = cast<YieldOp>(masked.getBody().front().getTerminator())
                 .getValues()
                 .front()
                 .getDefiningOp<arith::SelectOp>();
  FloatAttr inf;
  if (!sel || !matchPattern(sel.getFalseValue(), m_Constant(&inf)) ||
      !inf.getValue().isInfinity() || !inf.getValue().isNegative())
    return {};
  // Every other reader of X sees it only as exp(X - g).
  for (OpOperand &use : x.getUses()) {
    auto e = dyn_cast<EinsumOp>(use.getOwner());
    if (e == tileMax)
      continue;
    if (!e || e.getMap() != MapKind::custom)
      return {};
    BlockArgument arg = e.getBody().front().getArgument(use.getOperandNumber());
    if (!arg.hasOneUse())
      return {};
    auto s = dyn_cast<arith::SubFOp>(*arg.getUsers().begin());
    if (!s || s.getLhs() != arg || !s->hasOneUse() ||
        !isa<math::ExpOp>(*s->getUsers().begin()))
      return {};
  }
  SmallVector<PositionBound> bounds, found;
  collectPositionBounds(sel.getCondition(), it.getRank(), found);
  // q's extent here is read off the running max, which q must index.
  SmallVector<StringRef> names = update.getRankNames();
  for (PositionBound &b : found)
    for (auto [i, x] : llvm::enumerate(update.getOutputMap().getResults()))
      if (auto d = dyn_cast<AffineDimExpr>(x);
          d && names[d.getPosition()] == b.q) {
        b.stateDim = i;
        bounds.push_back(b);
      }
  return bounds;
}

