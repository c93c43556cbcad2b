//===- Partition.cpp - Split an iteration across workers, then combine -----===//
//
// The running state of an online cascade is a monoid: two states of
// disjoint ranges combine into the state of their union. Splitting the
// iterated rank into P chunks and combining the P states is split-K /
// Flash-Decoding; the combine is generated from the iteration's `combine`
// kinds, not written per kernel.
//
//===----------------------------------------------------------------------===//
#include "Ein/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

namespace einfuse::ein {
#define GEN_PASS_DEF_EINPARTITION
#include "Ein/Transforms/Passes.h.inc"
} // namespace einfuse::ein

using namespace mlir;
using namespace einfuse::ein;

namespace {

/// A state value and the ranks that index it (from the Einsum yielding it).
struct StateInfo {
  StringRef kind;
  SmallVector<StringRef> ranks;
};

Value constFloat(OpBuilder &b, Location loc, Type t, double v) {
  return arith::ConstantOp::create(b, loc, FloatAttr::get(t, v));
}

/// The identity state of `kind` shaped like `like`.
Value identity(OpBuilder &b, Location loc, StringRef kind, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dyn.push_back(tensor::DimOp::create(b, loc, like, i));
  double v = kind == "max" ? -std::numeric_limits<double>::infinity() : 0.0;
  return tensor::SplatOp::create(
      b, loc, type, constFloat(b, loc, type.getElementType(), v), dyn);
}

/// Chan et al.'s merge of a Welford mean (`welford_mean:<n>`) or sum of
/// squared deviations (`welford_m2:<n>,<m>`) of two disjoint ranges, from
/// the counts (state n) and means (state m) of both; 0 where both counts
/// are 0 (empty chunks).
Value combineWelford(OpBuilder &b, Location loc, ArrayRef<StateInfo> infos,
                     unsigned i, ValueRange lhs, ValueRange rhs) {
  StringRef kind = infos[i].kind;
  bool isMean = kind.consume_front("welford_mean:");
  if (!isMean)
    kind.consume_front("welford_m2:");
  auto [nRef, mRef] = kind.split(',');
  unsigned n = 0, m = 0;
  nRef.getAsInteger(10, n);
  if (!isMean)
    mRef.getAsInteger(10, m);
  ArrayRef<StringRef> ranks = infos[i].ranks;
  auto over = [&](unsigned s) {
    return llvm::map_to_vector(infos[s].ranks, [&](StringRef r) {
      return getAffineDimExpr(llvm::find(ranks, r) - ranks.begin(),
                              b.getContext());
    });
  };
  SmallVector<AffineExpr> e = over(i), ne = over(n), me = over(isMean ? i : m);
  // Operands: own a, own b, counts a, b, means a, b (the means are the
  // operands themselves for welford_mean).
  SmallVector<Value> ins = {lhs[i], rhs[i], lhs[n], rhs[n]};
  SmallVector<SmallVector<AffineExpr>> exprs = {e, e, ne, ne};
  if (!isMean) {
    ins.append({lhs[m], rhs[m]});
    exprs.append({me, me});
  }
  return buildEinsum(
      b, loc, cast<RankedTensorType>(lhs[i].getType()), ins, ranks, exprs, e,
      MapKind::custom, ReduceKind::none,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Type t = a[0].getType();
        Value zero = constFloat(bb, l, t, 0.0);
        Value total = arith::AddFOp::create(bb, l, a[2], a[3]);
        Value empty =
            arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OEQ, total, zero);
        Value merged;
        if (isMean) {
          Value delta = arith::SubFOp::create(bb, l, a[1], a[0]);
          Value w = arith::DivFOp::create(bb, l, a[3], total);
          merged = arith::AddFOp::create(
              bb, l, a[0], arith::MulFOp::create(bb, l, delta, w));
        } else {
          Value delta = arith::SubFOp::create(bb, l, a[5], a[4]);
          Value w = arith::DivFOp::create(
              bb, l, arith::MulFOp::create(bb, l, a[2], a[3]), total);
          Value corr = arith::MulFOp::create(
              bb, l, arith::MulFOp::create(bb, l, delta, delta), w);
          merged = arith::AddFOp::create(
              bb, l, arith::AddFOp::create(bb, l, a[0], a[1]), corr);
        }
        return arith::SelectOp::create(bb, l, empty, zero, merged);
      });
}

/// Combines two states of disjoint ranges.
SmallVector<Value> combine(OpBuilder &b, Location loc,
                           ArrayRef<StateInfo> infos, ValueRange lhs,
                           ValueRange rhs) {
  SmallVector<Value> out(lhs.size());
  auto exprs = [&](ArrayRef<StringRef> ranks, ArrayRef<StringRef> over) {
    return llvm::map_to_vector(ranks, [&](StringRef r) {
      return getAffineDimExpr(llvm::find(over, r) - over.begin(),
                              b.getContext());
    });
  };
  // Maxes first: the rescaled sums need the combined max.
  for (auto [i, info] : llvm::enumerate(infos)) {
    if (info.kind != "max")
      continue;
    SmallVector<AffineExpr> e = exprs(info.ranks, info.ranks);
    out[i] = buildEinsum(b, loc, cast<RankedTensorType>(lhs[i].getType()),
                         {lhs[i], rhs[i]}, info.ranks, {e, e}, e, MapKind::max,
                         ReduceKind::none);
  }
  for (auto [i, info] : llvm::enumerate(infos)) {
    if (info.kind == "max")
      continue;
    SmallVector<AffineExpr> e = exprs(info.ranks, info.ranks);
    if (info.kind == "sum") {
      out[i] = buildEinsum(b, loc, cast<RankedTensorType>(lhs[i].getType()),
                           {lhs[i], rhs[i]}, info.ranks, {e, e}, e,
                           MapKind::add, ReduceKind::none);
      continue;
    }
    if (info.kind.starts_with("welford_")) {
      out[i] = combineWelford(b, loc, infos, i, lhs, rhs);
      continue;
    }
    unsigned j;
    info.kind.drop_front(strlen("rescaled_sum:")).getAsInteger(10, j);
    SmallVector<AffineExpr> m = exprs(infos[j].ranks, info.ranks);
    out[i] = buildEinsum(
        b, loc, cast<RankedTensorType>(lhs[i].getType()),
        {lhs[i], lhs[j], rhs[i], rhs[j], out[j]}, info.ranks, {e, m, e, m, m},
        e, MapKind::custom, ReduceKind::none,
        [](OpBuilder &bb, Location l, ValueRange a) -> Value {
          Type t = a[0].getType();
          Value minusInf =
              constFloat(bb, l, t, -std::numeric_limits<double>::infinity());
          Value zero = constFloat(bb, l, t, 0.0);
          // side * exp(side max - max), or 0 for an empty side.
          auto term = [&](Value s, Value mx) -> Value {
            Value empty = arith::CmpFOp::create(
                bb, l, arith::CmpFPredicate::OEQ, mx, minusInf);
            Value f = math::ExpOp::create(
                bb, l, arith::SubFOp::create(bb, l, mx, a[4]));
            Value scaled = arith::MulFOp::create(bb, l, s, f);
            return arith::SelectOp::create(bb, l, empty, zero, scaled);
          };
          return arith::AddFOp::create(bb, l, term(a[0], a[1]),
                                       term(a[2], a[3]));
        });
  }
  return out;
}

struct EinPartitionPass
    : public einfuse::ein::impl::EinPartitionBase<EinPartitionPass> {
  using Base::Base;

  void runOnOperation() override {
    // Each worker is a copy of the iteration (until partitions become one
    // parallel loop), so the count is bounded to keep compile time so.
    if (workers <= 0 || workers > kMaxWorkers) {
      emitError(getOperation()->getLoc(), "ein-partition: workers must be in "
                                          "[1, ")
          << kMaxWorkers << "], got " << static_cast<int64_t>(workers);
      return signalPassFailure();
    }
    if (grouping != "linear" && grouping != "tree") {
      emitError(getOperation()->getLoc(),
                "ein-partition: grouping must be 'linear' or 'tree', got '")
          << grouping << "'";
      return signalPassFailure();
    }
    SmallVector<IterateOp> iterates;
    getOperation()->walk([&](IterateOp it) {
      if (!it.getPartition())
        iterates.push_back(it);
    });
    for (IterateOp it : iterates)
      partition(it);
  }

  void partition(IterateOp it) {
    auto combineKinds = it.getCombine();
    if (!combineKinds) {
      it.emitRemark("not partitioned: the iteration does not say how its "
                    "states combine");
      return;
    }
    auto yield = cast<YieldOp>(it.getBodyBlock().getTerminator());
    SmallVector<StateInfo> infos;
    for (auto [kind, v] : llvm::zip(*combineKinds, yield.getValues())) {
      auto e = v.getDefiningOp<EinsumOp>();
      if (!e) {
        it.emitRemark("not partitioned: a state value is not the result of "
                      "an Einsum, so its ranks are unknown");
        return;
      }
      SmallVector<StringRef> names = e.getRankNames();
      StateInfo info{cast<StringAttr>(kind).getValue(), {}};
      for (AffineExpr x : e.getOutputMap().getResults())
        info.ranks.push_back(names[cast<AffineDimExpr>(x).getPosition()]);
      infos.push_back(info);
    }
    if (workers == 1)
      return;

    OpBuilder b(it);
    Location loc = it.getLoc();
    SmallVector<SmallVector<Value>> states;
    for (int64_t w = 0; w < workers; ++w) {
      SmallVector<Value> inits;
      for (auto [i, init] : llvm::enumerate(it.getInits())) {
        Value v = init;
        if (w != 0)
          v = identity(b, loc, infos[i].kind, init);
        inits.push_back(v);
      }
      IRMapping mapping;
      auto worker = cast<IterateOp>(b.clone(*it, mapping));
      worker.getInitsMutable().assign(inits);
      worker.setPartition(ArrayRef<int64_t>{w, workers});
      states.push_back(SmallVector<Value>(worker.getResults()));
    }
    SmallVector<Value> result;
    if (grouping == "linear") {
      result = states[0];
      for (int64_t w = 1; w < workers; ++w)
        result = combine(b, loc, infos, result, states[w]);
    } else {
      while (states.size() > 1) {
        SmallVector<SmallVector<Value>> next;
        for (size_t i = 0; i + 1 < states.size(); i += 2)
          next.push_back(combine(b, loc, infos, states[i], states[i + 1]));
        if (states.size() % 2)
          next.push_back(states.back());
        states = std::move(next);
      }
      result = states[0];
    }
    it.replaceAllUsesWith(result);
    it.erase();
  }
};

} // namespace
