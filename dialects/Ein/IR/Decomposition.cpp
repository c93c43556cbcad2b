//===- Decomposition.cpp - Named Ein ops as cascades of Einsums ------------===//
//
// `ein.attention` becomes the 3-pass cascade of docs/design.md; `ein.qmatmul`
// becomes unpack/dequantize and contract Einsums: their
// AggregatedOpInterface::decomposeOperation, which --ein-decompose (and any
// upstream decomposition driver) calls. The later analyses and rewrites then
// see only cascades, whatever the variant.
//
//===----------------------------------------------------------------------===//
#include "Ein/IR/EinDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace einfuse::ein;

namespace {

/// Rank names of a cascade under construction, with their static extents.
struct RankTable {
  SmallVector<StringRef> names;
  SmallVector<int64_t> extents;
  MLIRContext *ctx;

  explicit RankTable(MLIRContext *ctx) : ctx(ctx) {}
  void add(StringRef name, int64_t extent) {
    names.push_back(name);
    extents.push_back(extent);
  }
  unsigned pos(StringRef name) const {
    auto *it = llvm::find(names, name);
    assert(it != names.end() && "unknown rank");
    return it - names.begin();
  }
  AffineExpr operator()(StringRef name) const {
    return getAffineDimExpr(pos(name), ctx);
  }
  SmallVector<AffineExpr> exprs(ArrayRef<StringRef> ranks) const {
    return llvm::map_to_vector(ranks, [&](StringRef r) { return (*this)(r); });
  }
  RankedTensorType type(ArrayRef<StringRef> ranks, Type elt) const {
    SmallVector<int64_t> shape = llvm::map_to_vector(
        ranks, [&](StringRef r) { return extents[pos(r)]; });
    return RankedTensorType::get(shape, elt);
  }
  /// Creates the cascade op (without its body); extents are not declared:
  /// they all come from operand shapes.
  CascadeOp createCascade(OpBuilder &b, Location loc, TypeRange results) {
    Builder builder(ctx);
    SmallVector<int64_t> undeclared(names.size(), ShapedType::kDynamic);
    auto op = CascadeOp::create(b, loc, results, builder.getStrArrayAttr(names),
                                builder.getDenseI64ArrayAttr(undeclared));
    b.createBlock(&op.getBody());
    return op;
  }
};

/// Merges two sizes of one rank: a static size wins over a dynamic one.
int64_t merge(int64_t a, int64_t b) { return ShapedType::isDynamic(a) ? b : a; }

Value f32Const(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// Extends a float scalar to f32 (no-op for f32).
Value toF32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

} // namespace

FailureOr<SmallVector<Value>> AttentionOp::decomposeOperation(OpBuilder &rewriter) {
  AttentionOp op = *this;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto qT = cast<RankedTensorType>(op.getQuery().getType());
    auto kT = cast<RankedTensorType>(op.getKey().getType());
    auto vT = cast<RankedTensorType>(op.getValue().getType());
    Type elt = qT.getElementType();
    Type f32 = rewriter.getF32Type();
    int64_t hq = qT.getDimSize(1), hkv = kT.getDimSize(1);
    int64_t group = hq / hkv;
    int64_t headDim = qT.getDimSize(3);

    RankTable R(ctx);
    R.add("b", merge(merge(qT.getDimSize(0), kT.getDimSize(0)),
                     vT.getDimSize(0)));
    R.add("h", hq);
    R.add("p", qT.getDimSize(2));
    R.add("m", merge(kT.getDimSize(2), vT.getDimSize(2)));
    R.add("e", headDim);
    R.add("f", vT.getDimSize(3));
    // Key/value heads of query head h (GQA/MQA): h floordiv G.
    AffineExpr kvHead = group == 1 ? R("h") : R("h").floorDiv(group);

    auto outType = cast<RankedTensorType>(op.getOutput().getType());
    auto cascade = R.createCascade(rewriter, loc, {outType});
    SmallVector<StringRef> bhpm = {"b", "h", "p", "m"};
    SmallVector<StringRef> bhp = {"b", "h", "p"};

    // QK[b,h,p,m] = sum over e of Q[b,h,p,e] * K[b,h/G,m,e]
    SmallVector<AffineExpr> qIdx = R.exprs({"b", "h", "p", "e"});
    SmallVector<AffineExpr> kIdx = {R("b"), kvHead, R("m"), R("e")};
    auto mulF32 = [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return arith::MulFOp::create(b, l, toF32(b, l, a[0]), toF32(b, l, a[1]));
    };
    bool isF32 = elt.isF32();
    Value qk = buildEinsum(rewriter, loc, R.type(bhpm, f32),
                           {op.getQuery(), op.getKey()}, R.names, {qIdx, kIdx},
                           R.exprs(bhpm), isF32 ? MapKind::mul : MapKind::custom,
                           ReduceKind::sum, mulF32);

    // S[b,h,p,m] = mask(softcap(scale * QK)) (+ bias)
    double scale = op.getScaleAttr() ? op.getScaleAttr().getValueAsDouble()
                                 : 1.0 / std::sqrt(static_cast<double>(headDim));
    std::optional<double> softcap;
    if (op.getSoftcapAttr())
      softcap = op.getSoftcapAttr().getValueAsDouble();
    Value mask = op.getMask();
    bool positional = op.getCausal() || op.getWindow();
    Value s = qk;
    if (scale != 1.0 || softcap || mask || positional) {
      SmallVector<Value> ins = {qk};
      SmallVector<SmallVector<AffineExpr>> idx = {R.exprs(bhpm)};
      bool boolMask = false;
      if (mask) {
        auto mT = cast<RankedTensorType>(mask.getType());
        boolMask = mT.getElementType().isInteger(1);
        ins.push_back(mask);
        idx.push_back(mT.getRank() == 2 ? R.exprs({"p", "m"}) : R.exprs(bhpm));
      }
      int64_t left = -1, right = -1;
      if (auto w = op.getWindow()) {
        left = (*w)[0];
        right = (*w)[1];
      }
      if (op.getCausal())
        right = right < 0 ? 0 : std::min<int64_t>(right, 0);
      bool bottomRight = op.getAlign() == MaskAlign::bottom_right;
      auto body = [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value v = a[0];
        if (scale != 1.0)
          v = arith::MulFOp::create(b, l, v, f32Const(b, l, scale));
        if (softcap) {
          Value c = f32Const(b, l, *softcap);
          v = arith::DivFOp::create(b, l, v, c);
          v = math::TanhOp::create(b, l, v);
          v = arith::MulFOp::create(b, l, v, c);
        }
        Value minusInf =
            f32Const(b, l, -std::numeric_limits<double>::infinity());
        if (mask && !boolMask)
          v = arith::AddFOp::create(b, l, v, toF32(b, l, a[1]));
        Value keep;
        auto andKeep = [&](Value cond) {
          keep = keep ? arith::AndIOp::create(b, l, keep, cond).getResult()
                      : cond;
        };
        if (mask && boolMask)
          andKeep(a[1]);
        if (positional) {
          // d = m - (p + off), off = Sk - Sq for bottom-right alignment.
          Value p = IndexOp::create(b, l, b.getIndexType(), "p");
          Value m = IndexOp::create(b, l, b.getIndexType(), "m");
          Value d = arith::SubIOp::create(b, l, m, p);
          if (bottomRight) {
            Value sk = ExtentOp::create(b, l, b.getIndexType(), "m");
            Value sq = ExtentOp::create(b, l, b.getIndexType(), "p");
            Value off = arith::SubIOp::create(b, l, sk, sq);
            d = arith::SubIOp::create(b, l, d, off);
          }
          auto cmp = [&](arith::CmpIPredicate pred, int64_t bound) {
            Value c = arith::ConstantIndexOp::create(b, l, bound);
            andKeep(arith::CmpIOp::create(b, l, pred, d, c));
          };
          if (right >= 0)
            cmp(arith::CmpIPredicate::sle, right);
          if (left >= 0)
            cmp(arith::CmpIPredicate::sge, -left);
        }
        if (keep)
          v = arith::SelectOp::create(b, l, keep, v, minusInf);
        return v;
      };
      s = buildEinsum(rewriter, loc, R.type(bhpm, f32), ins, R.names, idx,
                      R.exprs(bhpm), MapKind::custom, ReduceKind::none, body);
    }

    // GM[b,h,p] = max over m of S
    Value gm = buildEinsum(rewriter, loc, R.type(bhp, f32), {s}, R.names,
                           {R.exprs(bhpm)}, R.exprs(bhp), MapKind::copy,
                           ReduceKind::max);

    // A row with every key masked has GM = -inf; it takes 0 in its place so
    // that SN is 0 rather than NaN. The guard is an Einsum of its own so that
    // SN keeps the plain form exp(S - max) the rewrites look for.
    Value gms = buildEinsum(
        rewriter, loc, R.type(bhp, f32), {gm}, R.names, {R.exprs(bhp)},
        R.exprs(bhp), MapKind::custom, ReduceKind::none,
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value minusInf =
              f32Const(b, l, -std::numeric_limits<double>::infinity());
          Value isEmpty = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::OEQ, a[0], minusInf);
          return arith::SelectOp::create(b, l, isEmpty, f32Const(b, l, 0.0),
                                         a[0]);
        });

    // SN[b,h,p,m] = exp(S - GM)
    Value sn = buildEinsum(
        rewriter, loc, R.type(bhpm, f32), {s, gms}, R.names,
        {R.exprs(bhpm), R.exprs(bhp)}, R.exprs(bhpm), MapKind::custom,
        ReduceKind::none, [](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value diff = arith::SubFOp::create(b, l, a[0], a[1]);
          return math::ExpOp::create(b, l, diff);
        });

    // SD[b,h,p] = sum over m of SN; a fully masked row has SD = 0 and SN = 0,
    // and divides by 1 instead so that A is 0.
    Value sd = buildEinsum(rewriter, loc, R.type(bhp, f32), {sn}, R.names,
                           {R.exprs(bhpm)}, R.exprs(bhp), MapKind::copy,
                           ReduceKind::sum);
    Value sds = buildEinsum(
        rewriter, loc, R.type(bhp, f32), {sd}, R.names, {R.exprs(bhp)},
        R.exprs(bhp), MapKind::custom, ReduceKind::none,
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value zero = f32Const(b, l, 0.0);
          Value isEmpty = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::OEQ, a[0], zero);
          return arith::SelectOp::create(b, l, isEmpty, f32Const(b, l, 1.0),
                                         a[0]);
        });

    // A[b,h,p,m] = SN / SD
    Value a = buildEinsum(rewriter, loc, R.type(bhpm, f32), {sn, sds}, R.names,
                          {R.exprs(bhpm), R.exprs(bhp)}, R.exprs(bhpm),
                          MapKind::div, ReduceKind::none);

    // AV[b,h,p,f] = sum over m of A * V[b,h/G,m,f]
    SmallVector<StringRef> bhpf = {"b", "h", "p", "f"};
    SmallVector<AffineExpr> vIdx = {R("b"), kvHead, R("m"), R("f")};
    Value av = buildEinsum(rewriter, loc, R.type(bhpf, f32), {a, op.getValue()},
                           R.names, {R.exprs(bhpm), vIdx}, R.exprs(bhpf),
                           isF32 ? MapKind::mul : MapKind::custom,
                           ReduceKind::sum, mulF32);
    Value out = av;
    if (!isF32 || av.getType() != outType)
      out = buildEinsum(rewriter, loc, outType, {av}, R.names,
                        {R.exprs(bhpf)}, R.exprs(bhpf),
                        isF32 ? MapKind::copy : MapKind::cast, ReduceKind::none);
    YieldOp::create(rewriter, loc, out);
    return SmallVector<Value>(cascade.getResults());
  }
}

//===----------------------------------------------------------------------===//
// Quantized matmul
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<Value>> QMatmulOp::decomposeOperation(OpBuilder &rewriter) {
  QMatmulOp op = *this;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto xT = cast<RankedTensorType>(op.getInput().getType());
    auto wT = cast<RankedTensorType>(op.getWeight().getType());
    auto outT = cast<RankedTensorType>(op.getOutput().getType());
    QuantFormatAttr format = op.getFormat();
    Type f32 = rewriter.getF32Type();
    int64_t kDim = xT.getDimSize(1);
    int64_t groupSize = format.getGroupSize();

    RankTable R(ctx);
    R.add("i", merge(xT.getDimSize(0), outT.getDimSize(0)));
    R.add("n", wT.getDimSize(0));
    R.add("k", kDim);
    auto cascade = R.createCascade(rewriter, loc, {outT});
    SmallVector<StringRef> nk = {"n", "k"};

    // WQ[n,k]: the quantized value as f32 (unpacking 4-bit values).
    Value wq;
    QuantKind kind = format.getKind();
    if (kind == QuantKind::int4 || kind == QuantKind::uint4) {
      bool isSigned = kind == QuantKind::int4;
      SmallVector<AffineExpr> packed = {R("n"), R("k").floorDiv(2)};
      auto unpack = [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Type i32 = b.getI32Type();
        // Low nibble holds the even k, high nibble the odd k.
        Value byte = arith::ExtUIOp::create(b, l, i32, a[0]);
        Value k = IndexOp::create(b, l, b.getIndexType(), "k");
        Value two = arith::ConstantIndexOp::create(b, l, 2);
        Value odd = arith::RemUIOp::create(b, l, k, two);
        Value oddI32 = arith::IndexCastOp::create(b, l, i32, odd);
        Value shift = arith::MulIOp::create(
            b, l, oddI32, arith::ConstantIntOp::create(b, l, i32, 4));
        Value nib = arith::AndIOp::create(
            b, l, arith::ShRUIOp::create(b, l, byte, shift),
            arith::ConstantIntOp::create(b, l, i32, 15));
        if (isSigned) {
          // Sign-extend the nibble: (nib ^ 8) - 8.
          Value eight = arith::ConstantIntOp::create(b, l, i32, 8);
          nib = arith::SubIOp::create(
              b, l, arith::XOrIOp::create(b, l, nib, eight), eight);
        }
        return arith::SIToFPOp::create(b, l, b.getF32Type(), nib);
      };
      wq = buildEinsum(rewriter, loc, R.type(nk, f32), {op.getWeight()},
                       R.names, {packed}, R.exprs(nk), MapKind::custom,
                       ReduceKind::none, unpack);
    } else {
      wq = buildEinsum(rewriter, loc, R.type(nk, f32), {op.getWeight()},
                       R.names, {R.exprs(nk)}, R.exprs(nk), MapKind::cast,
                       ReduceKind::none);
    }

    // WD[n,k] = (WQ - Z[n, k/g]) * S[n, k/g]
    SmallVector<AffineExpr> grouped = {R("n"), R("k").floorDiv(groupSize)};
    SmallVector<Value> ins = {wq, op.getScales()};
    SmallVector<SmallVector<AffineExpr>> idx = {R.exprs(nk), grouped};
    if (Value z = op.getZeroPoints()) {
      ins.push_back(z);
      idx.push_back(grouped);
    }
    Value wd = buildEinsum(
        rewriter, loc, R.type(nk, f32), ins, R.names, idx, R.exprs(nk),
        MapKind::custom, ReduceKind::none,
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value q = a[0];
          if (a.size() == 3)
            q = arith::SubFOp::create(b, l, q, toF32(b, l, a[2]));
          return arith::MulFOp::create(b, l, q, toF32(b, l, a[1]));
        });

    // X as f32.
    SmallVector<StringRef> ik = {"i", "k"};
    Value x = op.getInput();
    if (!xT.getElementType().isF32())
      x = buildEinsum(rewriter, loc, R.type(ik, f32), {x}, R.names,
                      {R.exprs(ik)}, R.exprs(ik), MapKind::cast,
                      ReduceKind::none);

    // O[i,n] = sum over k of X[i,k] * WD[n,k]
    SmallVector<StringRef> in = {"i", "n"};
    Value o = buildEinsum(rewriter, loc, R.type(in, f32), {x, wd}, R.names,
                          {R.exprs(ik), R.exprs(nk)}, R.exprs(in), MapKind::mul,
                          ReduceKind::sum);
    if (o.getType() != outT)
      o = buildEinsum(rewriter, loc, outT, {o}, R.names, {R.exprs(in)},
                      R.exprs(in),
                      outT.getElementType().isF32() ? MapKind::copy
                                                    : MapKind::cast,
                      ReduceKind::none);
    YieldOp::create(rewriter, loc, o);
    return SmallVector<Value>(cascade.getResults());
  }
}

