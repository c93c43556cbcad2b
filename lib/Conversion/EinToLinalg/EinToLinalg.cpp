//===- EinToLinalg.cpp - Ein cascades to linalg.generic --------------------===//
//
// One linalg.generic per Einsum: linalg already has exactly the iteration
// model of an extended Einsum (loops over ranks, affine operand maps,
// parallel/reduction loops, a scalar body), so we lower to it rather than to
// loops of our own. What linalg lacks is the Ein-specific scalar semantics
// (map/reduce actions, fp8 decoding, rank extents), which lives here.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Conversion/Passes.h"

#include "Ein/IR/EinDialect.h"
#include "Ein/IR/RankExpr.h"
#include "Ein/Analysis/MaskedTiles.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

#include <limits>
#include <optional>

namespace einfuse {
#define GEN_PASS_DEF_CONVERTEINTOLINALG
#include "einfuse/Conversion/Passes.h.inc"
} // namespace einfuse

using namespace mlir;
using namespace einfuse;
using namespace einfuse::ein;

namespace {

/// Decodes an f8E4M3FN scalar to f32 with integer ops. Upstream arith has
/// no lowering of extf from this type to LLVM (LLVM has no fp8 type), so we
/// spell it out: sign | exponent (bias 7) | 3-bit mantissa, subnormals at
/// exponent 0, NaN at S.1111.111, no infinities.
Value decodeF8E4M3FN(OpBuilder &b, Location loc, Value v) {
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
  auto c = [&](int64_t x) { return arith::ConstantIntOp::create(b, loc, i32, x); };
  Value bits = arith::BitcastOp::create(b, loc, i8, v);
  Value u = arith::ExtUIOp::create(b, loc, i32, bits);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, u, c(0x80)), c(24));
  Value exp = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, u, c(3)), c(0xF));
  Value man = arith::AndIOp::create(b, loc, u, c(0x7));
  // Normal: exponent rebiased from 7 to 127, mantissa moved to the top.
  Value normalBits = arith::OrIOp::create(
      b, loc,
      arith::ShLIOp::create(b, loc, arith::AddIOp::create(b, loc, exp, c(120)),
                            c(23)),
      arith::ShLIOp::create(b, loc, man, c(20)));
  Value normal = arith::BitcastOp::create(b, loc, f32, normalBits);
  // Subnormal: man * 2^-9.
  Value sub = arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, f32, man),
      arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f / 512.0f)));
  Value isSub = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, exp, c(0));
  Value mag = arith::SelectOp::create(b, loc, isSub, sub, normal);
  Value isNan = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      arith::AndIOp::create(b, loc, u, c(0x7F)), c(0x7F));
  Value nan = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN()));
  mag = arith::SelectOp::create(b, loc, isNan, nan, mag);
  Value magBits = arith::BitcastOp::create(b, loc, i32, mag);
  return arith::BitcastOp::create(b, loc, f32,
                                  arith::OrIOp::create(b, loc, magBits, sign));
}

/// Scalar conversion for the `cast` map action. Integers are signed, except
/// i1, which converts as 0/1.
FailureOr<Value> castScalar(OpBuilder &b, Location loc, Value v, Type to,
                            Operation *op) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (isa<Float8E4M3FNType>(from)) {
    v = decodeF8E4M3FN(b, loc, v);
    from = v.getType();
    if (from == to)
      return v;
  }
  if (isa<Float8E4M3FNType>(to))
    return op->emitOpError("unsupported: casting to f8E4M3FN is not lowered");
  auto fFrom = dyn_cast<FloatType>(from), fTo = dyn_cast<FloatType>(to);
  auto iFrom = dyn_cast<IntegerType>(from), iTo = dyn_cast<IntegerType>(to);
  if (fFrom && fTo) {
    if (fFrom.getWidth() < fTo.getWidth())
      return Value(arith::ExtFOp::create(b, loc, to, v));
    if (fFrom.getWidth() > fTo.getWidth())
      return Value(arith::TruncFOp::create(b, loc, to, v));
    // f16 <-> bf16: through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return Value(arith::TruncFOp::create(b, loc, to, wide));
  }
  if (iFrom && fTo) {
    if (iFrom.getWidth() == 1)
      return Value(arith::UIToFPOp::create(b, loc, to, v));
    return Value(arith::SIToFPOp::create(b, loc, to, v));
  }
  if (fFrom && iTo)
    return Value(arith::FPToSIOp::create(b, loc, to, v));
  if (iFrom && iTo) {
    if (iFrom.getWidth() < iTo.getWidth())
      return iFrom.getWidth() == 1
                 ? Value(arith::ExtUIOp::create(b, loc, to, v))
                 : Value(arith::ExtSIOp::create(b, loc, to, v));
    return Value(arith::TruncIOp::create(b, loc, to, v));
  }
  return op->emitOpError("unsupported cast from ") << from << " to " << to;
}

/// The scalar of a named map action.
FailureOr<Value> buildNamedMap(OpBuilder &b, Location loc, EinsumOp op,
                               ValueRange a, Type resultElt) {
  bool isFloat = isa<FloatType>(resultElt);
  switch (op.getMap()) {
  case MapKind::copy:
    return a[0];
  case MapKind::cast:
    return castScalar(b, loc, a[0], resultElt, op);
  case MapKind::neg:
    if (isFloat)
      return Value(arith::NegFOp::create(b, loc, a[0]));
    return Value(arith::SubIOp::create(
        b, loc, arith::ConstantIntOp::create(b, loc, resultElt, 0), a[0]));
  case MapKind::abs:
    if (isFloat)
      return Value(math::AbsFOp::create(b, loc, a[0]));
    return Value(math::AbsIOp::create(b, loc, a[0]));
  case MapKind::exp:
    return Value(math::ExpOp::create(b, loc, a[0]));
  case MapKind::exp2:
    return Value(math::Exp2Op::create(b, loc, a[0]));
  case MapKind::log:
    return Value(math::LogOp::create(b, loc, a[0]));
  case MapKind::sqrt:
    return Value(math::SqrtOp::create(b, loc, a[0]));
  case MapKind::rsqrt:
    return Value(math::RsqrtOp::create(b, loc, a[0]));
  case MapKind::tanh:
    return Value(math::TanhOp::create(b, loc, a[0]));
  case MapKind::add:
    return isFloat ? Value(arith::AddFOp::create(b, loc, a[0], a[1]))
                   : Value(arith::AddIOp::create(b, loc, a[0], a[1]));
  case MapKind::sub:
    return isFloat ? Value(arith::SubFOp::create(b, loc, a[0], a[1]))
                   : Value(arith::SubIOp::create(b, loc, a[0], a[1]));
  case MapKind::mul:
    return isFloat ? Value(arith::MulFOp::create(b, loc, a[0], a[1]))
                   : Value(arith::MulIOp::create(b, loc, a[0], a[1]));
  case MapKind::div:
    return isFloat ? Value(arith::DivFOp::create(b, loc, a[0], a[1]))
                   : Value(arith::DivSIOp::create(b, loc, a[0], a[1]));
  case MapKind::max:
    return isFloat ? Value(arith::MaximumFOp::create(b, loc, a[0], a[1]))
                   : Value(arith::MaxSIOp::create(b, loc, a[0], a[1]));
  case MapKind::min:
    return isFloat ? Value(arith::MinimumFOp::create(b, loc, a[0], a[1]))
                   : Value(arith::MinSIOp::create(b, loc, a[0], a[1]));
  case MapKind::select:
    return Value(arith::SelectOp::create(b, loc, a[0], a[1], a[2]));
  case MapKind::custom:
    break;
  }
  llvm_unreachable("custom maps are cloned, not built");
}

/// Identity of a reduce action, or the Einsum's explicit initial value.
TypedAttr reduceInit(EinsumOp op, Type elt) {
  if (auto init = op.getInitAttr())
    return init;
  Builder b(op.getContext());
  if (auto ft = dyn_cast<FloatType>(elt)) {
    const llvm::fltSemantics &sem = ft.getFloatSemantics();
    switch (op.getReduce()) {
    case ReduceKind::max:
      return FloatAttr::get(elt, APFloat::getInf(sem, /*Negative=*/true));
    case ReduceKind::min:
      return FloatAttr::get(elt, APFloat::getInf(sem, /*Negative=*/false));
    default:
      return FloatAttr::get(elt, APFloat::getZero(sem));
    }
  }
  unsigned w = elt.getIntOrFloatBitWidth();
  switch (op.getReduce()) {
  case ReduceKind::max:
    return IntegerAttr::get(elt, APInt::getSignedMinValue(w));
  case ReduceKind::min:
    return IntegerAttr::get(elt, APInt::getSignedMaxValue(w));
  default:
    return IntegerAttr::get(elt, 0);
  }
}

Value combine(OpBuilder &b, Location loc, ReduceKind kind, Value acc, Value v) {
  bool isFloat = isa<FloatType>(v.getType());
  switch (kind) {
  case ReduceKind::sum:
    // A reduction's order is not part of its meaning: let LLVM reassociate
    // it (and so vectorise it).
    return isFloat ? Value(arith::AddFOp::create(
                         b, loc, acc, v, arith::FastMathFlags::reassoc))
                   : Value(arith::AddIOp::create(b, loc, acc, v));
  case ReduceKind::max:
    return isFloat ? Value(arith::MaximumFOp::create(b, loc, acc, v))
                   : Value(arith::MaxSIOp::create(b, loc, acc, v));
  case ReduceKind::min:
    return isFloat ? Value(arith::MinimumFOp::create(b, loc, acc, v))
                   : Value(arith::MinSIOp::create(b, loc, acc, v));
  case ReduceKind::none:
    return v;
  }
  llvm_unreachable("unknown reduce kind");
}

/// Finds the size of each rank of a cascade as an index value, from the
/// tensors it indexes as a plain rank (or its declared extent). Sources are
/// collected before lowering starts, since lowering replaces the Einsums.
class ExtentTable {
public:
  /// Sizes for the Einsums of `block` (the cascade body, or the body of an
  /// iteration, with `parent` the table of the enclosing block).
  ExtentTable(CascadeOp cascade, Block &block, ExtentTable *parent = nullptr)
      : cascade(cascade), parent(parent) {
    if (parent) {
      fullExtents = parent->fullExtents;
      indexOffsets = parent->indexOffsets;
    }
    // A value from outside the cascade, or an argument of this block, sizes
    // a rank anywhere in the block (an Einsum the online rewrite moved
    // before the iteration that reads it first, say); a value made in the
    // block, only after its op.
    auto availableFrom = [&](Value v, unsigned at) -> unsigned {
      if (auto arg = dyn_cast<BlockArgument>(v))
        if (arg.getOwner() == &block)
          return 0;
      Operation *def = v.getDefiningOp();
      Region *region = def ? def->getParentRegion() : v.getParentRegion();
      if (!cascade->isAncestor(region->getParentOp()))
        return 0;
      return at;
    };
    unsigned pos = 0;
    for (Operation &op : block) {
      index[&op] = pos++;
      if (auto it = dyn_cast<IterateOp>(op)) {
        // The iterated rank has the extent of the dims tiled plainly.
        for (auto [i, v, d] :
             llvm::enumerate(it.getTiles(), it.getTileDims())) {
          if (it.getTileDivisor(i) != 1)
            continue;
          auto type = cast<ShapedType>(v.getType());
          if (!type.isDynamicDim(d))
            staticSizes.try_emplace(it.getRank(), type.getDimSize(d));
          else
            sources[it.getRank()].push_back(
                {v, static_cast<unsigned>(d), availableFrom(v, pos - 1)});
        }
        continue;
      }
      auto e = dyn_cast<EinsumOp>(op);
      if (!e)
        continue;
      SmallVector<StringRef> names = e.getRankNames();
      auto add = [&](Value v, AffineMap map, unsigned availableAt) {
        auto type = cast<ShapedType>(v.getType());
        for (auto [i, expr] : llvm::enumerate(map.getResults())) {
          auto d = dyn_cast<AffineDimExpr>(expr);
          if (!d)
            continue;
          StringRef rank = names[d.getPosition()];
          if (!type.isDynamicDim(i))
            staticSizes.try_emplace(rank, type.getDimSize(i));
          else
            sources[rank].push_back(
                {v, static_cast<unsigned>(i), availableFrom(v, availableAt)});
        }
      };
      for (auto [i, in] : llvm::enumerate(e.getInputs()))
        add(in, e.getInputMap(i), pos - 1);
      add(e.getResult(), e.getOutputMap(), pos);
    }
  }

  /// Static size of `rank`, or ShapedType::kDynamic.
  int64_t getStatic(StringRef rank) {
    int64_t declared = cascade.getDeclaredExtent(rank);
    if (!ShapedType::isDynamic(declared))
      return declared;
    auto it = staticSizes.find(rank);
    if (it != staticSizes.end())
      return it->second;
    return parent ? parent->getStatic(rank) : ShapedType::kDynamic;
  }

  /// Size of `rank`, materialised at the builder's insertion point, which is
  /// where Einsum `at` is being lowered.
  FailureOr<Value> get(OpBuilder &b, Location loc, StringRef rank,
                       Operation *at) {
    int64_t declared = cascade.getDeclaredExtent(rank);
    if (!ShapedType::isDynamic(declared))
      return Value(arith::ConstantIndexOp::create(b, loc, declared));
    auto st = staticSizes.find(rank);
    if (st != staticSizes.end())
      return Value(arith::ConstantIndexOp::create(b, loc, st->second));
    // Inside an iteration, the tile rank has the size of the current tile
    // (defined at the top of the loop body), whatever indexes it.
    if (tileExtent && rank == tileRank)
      return tileExtent;
    unsigned pos = index.lookup(at);
    for (const Source &src : sources.lookup(rank)) {
      if (src.availableAt > pos)
        continue;
      Value v = mapping.lookupOrDefault(src.value);
      return Value(tensor::DimOp::create(b, loc, v, src.dim));
    }
    if (parent && parentAt) {
      int64_t st = parent->getStatic(rank);
      if (!ShapedType::isDynamic(st))
        return Value(arith::ConstantIndexOp::create(b, loc, st));
      return parent->get(b, loc, rank, parentAt);
    }
    return at->emitOpError("cannot infer the extent of rank '")
           << rank << "': no tensor before it in the cascade is indexed by "
           << "it as a plain rank and the cascade declares no extent for it";
  }

  /// Einsum results already lowered to their replacements.
  IRMapping mapping;
  /// For the body of an iteration: the op it replaces in the parent block,
  /// the iterated rank, its tile rank and the offset of the current tile.
  Operation *parentAt = nullptr;
  std::string iteratedRank, tileRank;
  Value tileOffset, tileExtent;
  /// For a cascade lowered on a tile of a parallel rank: the extent of the
  /// whole rank (what ein.extent means) and the offset of the tile (added
  /// to ein.index).
  llvm::StringMap<Value> fullExtents, indexOffsets;

private:
  struct Source {
    Value value;
    unsigned dim;
    unsigned availableAt;
  };
  CascadeOp cascade;
  ExtentTable *parent;
  llvm::DenseMap<Operation *, unsigned> index;
  llvm::StringMap<int64_t> staticSizes;
  llvm::StringMap<SmallVector<Source>> sources;
};

LogicalResult lowerEinsum(RewriterBase &rewriter, EinsumOp op,
                          ExtentTable &extents) {
  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  SmallVector<StringRef> names = op.getRankNames();
  unsigned numRanks = names.size();

  // linalg infers loop bounds from operand dims indexed by a plain loop; a
  // rank that only appears inside compound expressions (a split rank,
  // `x[m1 * 64 + m0]`) has none. Such a rank gets a shape-only operand
  // below: an unread tensor of its extent, indexed by it plainly.
  SmallVector<unsigned> compoundOnly;
  for (unsigned r = 0; r < numRanks; ++r) {
    bool plain = false;
    for (Attribute m : op.getIndexingMaps())
      for (AffineExpr e : cast<AffineMapAttr>(m).getValue().getResults())
        if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == r)
          plain = true;
    if (!plain)
      compoundOnly.push_back(r);
  }

  // An operand indexed out of its static bounds would make linalg.generic
  // invalid (and read out of bounds at run time).
  SmallVector<int64_t> rankExtents = llvm::map_to_vector(
      names, [&](StringRef rank) { return extents.getStatic(rank); });
  bool empty = llvm::is_contained(rankExtents, 0);
  if (failed(checkOperandBounds(op, rankExtents)))
    return failure();

  RankedTensorType resultType = op.getResult().getType();
  Type elt = resultType.getElementType();
  // LLVM has no fp8 type: only decoding (cast), copies and selects of fp8
  // values are lowered, not arithmetic on them.
  if (isa<Float8E4M3FNType>(elt) &&
      (op.getReduce() != ReduceKind::none ||
       !llvm::is_contained({MapKind::copy, MapKind::cast, MapKind::select,
                            MapKind::custom},
                           op.getMap())))
    return op.emitOpError("unsupported: arithmetic on f8E4M3FN values is not "
                          "lowered; cast the operands to f32 first");
  SmallVector<Value> dynSizes;
  for (auto [i, e] : llvm::enumerate(op.getOutputMap().getResults())) {
    if (!resultType.isDynamicDim(i))
      continue;
    StringRef rank = names[cast<AffineDimExpr>(e).getPosition()];
    FailureOr<Value> size = extents.get(rewriter, loc, rank, op);
    if (failed(size))
      return failure();
    dynSizes.push_back(*size);
  }
  Value init = tensor::EmptyOp::create(rewriter, loc, resultType, dynSizes);
  if (op.getReduce() != ReduceKind::none) {
    Value cst = arith::ConstantOp::create(rewriter, loc, reduceInit(op, elt));
    init = linalg::FillOp::create(rewriter, loc, cst, init).getResult(0);
  }
  // A rank of extent 0 leaves nothing to compute; linalg would also reject
  // compound index expressions over it (it checks them at index -1).
  if (empty) {
    extents.mapping.map(op.getResult(), init);
    rewriter.replaceAllUsesWith(op.getResult(), init);
    return success();
  }

  // ein.extent in a custom body reads sizes computed here, outside the loop.
  llvm::StringMap<Value> extentValues;
  if (op.getMap() == MapKind::custom) {
    WalkResult walk = op.getBody().walk([&](ExtentOp ex) {
      if (extentValues.count(ex.getRank()))
        return WalkResult::advance();
      if (Value full = extents.fullExtents.lookup(ex.getRank())) {
        extentValues[ex.getRank()] = full;
        return WalkResult::advance();
      }
      FailureOr<Value> size = extents.get(rewriter, loc, ex.getRank(), op);
      if (failed(size))
        return WalkResult::interrupt();
      extentValues[ex.getRank()] = *size;
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
  }

  // Loop order: the Einsum's, except that the innermost loop is the rank
  // that is the last (contiguous) dim of the most operands, so that the
  // inner loop streams through memory and vectorises (QK: the head dim;
  // AV: the value dim, not the reduced keys).
  SmallVector<AffineMap> einsumMaps = llvm::map_to_vector(
      op.getIndexingMaps(),
      [](Attribute a) { return cast<AffineMapAttr>(a).getValue(); });
  SmallVector<unsigned> loopOf(numRanks); // rank -> loop position
  {
    SmallVector<int> score(numRanks, 0);
    for (AffineMap m : einsumMaps)
      if (m.getNumResults() > 0)
        if (auto d = dyn_cast<AffineDimExpr>(m.getResults().back()))
          ++score[d.getPosition()];
    unsigned inner = numRanks ? numRanks - 1 : 0;
    for (unsigned r = 0; r < numRanks; ++r)
      if (score[r] > score[inner])
        inner = r;
    unsigned next = 0;
    for (unsigned r = 0; r < numRanks; ++r)
      if (r != inner)
        loopOf[r] = next++;
    if (numRanks)
      loopOf[inner] = numRanks - 1;
  }
  SmallVector<AffineExpr> toLoop = llvm::map_to_vector(
      loopOf, [&](unsigned l) { return rewriter.getAffineDimExpr(l); });
  SmallVector<utils::IteratorType> iterators(numRanks);
  for (unsigned r = 0; r < numRanks; ++r)
    iterators[loopOf[r]] = op.isReducedRank(r) ? utils::IteratorType::reduction
                                               : utils::IteratorType::parallel;
  SmallVector<AffineMap> maps = llvm::map_to_vector(einsumMaps, [&](AffineMap m) {
    return m.replaceDimsAndSymbols(toLoop, {}, numRanks, 0);
  });
  SmallVector<Value> inputs(op.getInputs());
  // Shape-only operands for the ranks only compound expressions index
  // (not read by the body; linalg takes the loop bound from them).
  for (unsigned r : compoundOnly) {
    OpFoldResult size;
    if (int64_t st = extents.getStatic(names[r]); !ShapedType::isDynamic(st)) {
      size = rewriter.getIndexAttr(st);
    } else {
      FailureOr<Value> dyn = extents.get(rewriter, loc, names[r], op);
      if (failed(dyn))
        return failure();
      size = *dyn;
    }
    inputs.push_back(tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{size}, rewriter.getI8Type()));
    maps.insert(maps.end() - 1, AffineMap::get(numRanks, 0, toLoop[r]));
  }
  unsigned numIns = op.getInputs().size();

  LogicalResult bodyResult = success();
  auto generic = linalg::GenericOp::create(
      rewriter, loc, resultType, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        ValueRange ins = args.take_front(numIns);
        Value acc = args.back();
        Value mapped;
        if (op.getMap() == MapKind::custom) {
          IRMapping map;
          Block &body = op.getBody().front();
          map.map(body.getArguments(), ins);
          for (Operation &inner : body.without_terminator())
            b.clone(inner, map);
          // The yielded value may be defined above the Einsum.
          mapped = map.lookupOrDefault(
              cast<YieldOp>(body.getTerminator()).getValues().front());
          // ein.index and ein.extent may also sit in regions nested in the
          // body, but linalg.index must be a direct child of the generic:
          // replace every clone by a value defined in the body itself.
          Block *genericBody = b.getInsertionBlock();
          genericBody->walk([&](Operation *inner) {
            Value v;
            if (auto idx = dyn_cast<IndexOp>(inner)) {
              OpBuilder::InsertionGuard g(b);
              b.setInsertionPoint(genericBody->findAncestorOpInBlock(*inner));
              StringRef r = idx.getRank();
              bool global = !llvm::is_contained(names, r) &&
                            r == extents.iteratedRank;
              if (global)
                r = extents.tileRank;
              unsigned pos = loopOf[llvm::find(names, r) - names.begin()];
              v = linalg::IndexOp::create(b, l, pos);
              // Inside an iteration, the position along the whole rank.
              if (global)
                v = arith::AddIOp::create(b, l, v, extents.tileOffset);
              else if (Value off = extents.indexOffsets.lookup(r))
                v = arith::AddIOp::create(b, l, v, off);
            } else if (auto ex = dyn_cast<ExtentOp>(inner)) {
              v = extentValues[ex.getRank()];
            } else {
              return;
            }
            inner->getResult(0).replaceAllUsesWith(v);
            inner->erase();
          });
        } else {
          FailureOr<Value> v = buildNamedMap(b, l, op, ins, elt);
          if (failed(v)) {
            bodyResult = failure();
            mapped = acc;
          } else {
            mapped = *v;
          }
        }
        linalg::YieldOp::create(b, l, combine(b, l, op.getReduce(), acc, mapped));
      });
  if (failed(bodyResult)) {
    rewriter.eraseOp(generic);
    return failure();
  }
  // The Einsum stays (dead) until the whole cascade is lowered, so that the
  // extent table can still refer to its values.
  extents.mapping.map(op.getResult(), generic.getResult(0));
  rewriter.replaceAllUsesWith(op.getResult(), generic.getResult(0));
  return success();
}

} // namespace

static LogicalResult lowerBlock(RewriterBase &rewriter, Block &block,
                                ExtentTable &extents);

/// An iteration becomes an scf.for over the tiles, carrying the state; the
/// body's Einsums are lowered inside it.
static LogicalResult lowerIterate(RewriterBase &rewriter, IterateOp it,
                                  ExtentTable &parent) {
  Location loc = it.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(it);
  // The extent of the rank: from an operand tiled plainly (the verifier
  // ensures one).
  unsigned plain = 0;
  while (it.getTileDivisor(plain) != 1)
    ++plain;
  Value first = it.getTiles()[plain];
  int64_t dim0 = it.getTileDims()[plain];
  auto firstType = cast<RankedTensorType>(first.getType());
  Value extent =
      firstType.isDynamicDim(dim0)
          ? Value(tensor::DimOp::create(rewriter, loc, first, dim0))
          : Value(arith::ConstantIndexOp::create(rewriter, loc,
                                                 firstType.getDimSize(dim0)));
  Value tile = arith::ConstantIndexOp::create(rewriter, loc, it.getTileSize());
  Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
  // The range of the rank this iteration covers: all of it, or, split
  // across workers, worker w's chunk. The workers are one scf.forall whose
  // shared outputs hold every worker's state along a leading dim; worker 0
  // starts from the initial state, the others from the combine's identity.
  // A range clips that to [offset, offset + size).
  Value begin = c0, end = extent;
  if (Value offset = it.getRangeOffset()) {
    begin = arith::MinSIOp::create(
        rewriter, loc, arith::MaxSIOp::create(rewriter, loc, offset, c0),
        extent);
    // begin + min(size, extent - begin): no overflow for a huge size.
    Value size = arith::MaxSIOp::create(rewriter, loc, it.getRangeSize(), c0);
    end = arith::AddIOp::create(
        rewriter, loc, begin,
        arith::MinSIOp::create(
            rewriter, loc, size,
            arith::SubIOp::create(rewriter, loc, extent, begin)));
  }
  SmallVector<Value> inits(it.getInits());
  scf::ForallOp workers;
  if (auto numWorkers = it.getWorkers()) {
    SmallVector<Value> outs;
    for (auto [i, init] : llvm::enumerate(it.getInits())) {
      RankedTensorType stateType = it.getStateType(i);
      SmallVector<Value> dyn;
      for (int64_t d = 0; d < stateType.getRank(); ++d)
        if (stateType.isDynamicDim(d))
          dyn.push_back(tensor::DimOp::create(rewriter, loc, init, d));
      outs.push_back(tensor::EmptyOp::create(
          rewriter, loc, cast<RankedTensorType>(it.getResult(i).getType()),
          dyn));
    }
    workers = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(*numWorkers)},
        outs, std::nullopt);
    rewriter.setInsertionPointToStart(workers.getBody());
    Value w = workers.getInductionVars().front();
    Value first = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                        w, c0);
    for (auto [i, init] : llvm::enumerate(it.getInits())) {
      RankedTensorType stateType = it.getStateType(i);
      SmallVector<Value> dyn;
      for (int64_t d = 0; d < stateType.getRank(); ++d)
        if (stateType.isDynamicDim(d))
          dyn.push_back(tensor::DimOp::create(rewriter, loc, init, d));
      Value identity = tensor::SplatOp::create(
          rewriter, loc, stateType,
          arith::ConstantOp::create(
              rewriter, loc,
              FloatAttr::get(stateType.getElementType(),
                             it.getCombineKind(i).getIdentity())),
          dyn);
      inits[i] = arith::SelectOp::create(rewriter, loc, first, init, identity);
    }
    // Chunks of whole tiles, so that every tile starts at a multiple of
    // the tile size (and of each tile divisor).
    Value p = arith::ConstantIndexOp::create(rewriter, loc, *numWorkers);
    Value length = arith::SubIOp::create(rewriter, loc, end, begin);
    Value chunk = arith::MulIOp::create(
        rewriter, loc,
        arith::CeilDivUIOp::create(
            rewriter, loc, arith::CeilDivUIOp::create(rewriter, loc, length, p),
            tile),
        tile);
    Value rangeEnd = end;
    begin = arith::MinSIOp::create(
        rewriter, loc,
        arith::AddIOp::create(rewriter, loc, begin,
                              arith::MulIOp::create(rewriter, loc, w, chunk)),
        rangeEnd);
    end = arith::MinSIOp::create(
        rewriter, loc, arith::AddIOp::create(rewriter, loc, begin, chunk),
        rangeEnd);
  }
  Value numTiles = arith::CeilDivUIOp::create(
      rewriter, loc, arith::SubIOp::create(rewriter, loc, end, begin), tile);
  // Tiles the mask hides from every q of this lowering (causal attention:
  // keys after the last query of a query tile) are skipped.
  Value firstTile = c0, lastTile = numTiles;
  for (const PositionBound &bound : findMaskedTiles(it)) {
    Value localQ = tensor::DimOp::create(
        rewriter, loc, parent.mapping.lookupOrDefault(it.getInits().front()),
        bound.stateDim);
    Value qLo = parent.indexOffsets.lookup(bound.q);
    if (!qLo)
      qLo = c0;
    Value c = arith::ConstantIndexOp::create(rewriter, loc, bound.c);
    if (bound.byExtents) {
      Value fullQ = parent.fullExtents.lookup(bound.q);
      if (!fullQ)
        fullQ = localQ;
      c = arith::AddIOp::create(
          rewriter, loc, c,
          arith::SubIOp::create(rewriter, loc, extent, fullQ));
    }
    if (bound.upper) {
      // Some m <= q_hi + c: tiles up to the one holding q_hi + c.
      Value qHi = arith::SubIOp::create(
          rewriter, loc, arith::AddIOp::create(rewriter, loc, qLo, localQ),
          c1);
      Value lim = arith::SubIOp::create(
          rewriter, loc, arith::AddIOp::create(rewriter, loc, qHi, c), begin);
      Value n = arith::AddIOp::create(
          rewriter, loc, arith::FloorDivSIOp::create(rewriter, loc, lim, tile),
          c1);
      lastTile = arith::MinSIOp::create(rewriter, loc, lastTile,
                                        arith::MaxSIOp::create(rewriter, loc,
                                                               n, c0));
    } else {
      // Some m >= q_lo + c: tiles from the one holding q_lo + c.
      Value lim = arith::SubIOp::create(
          rewriter, loc, arith::AddIOp::create(rewriter, loc, qLo, c), begin);
      Value n = arith::FloorDivSIOp::create(rewriter, loc, lim, tile);
      firstTile = arith::MaxSIOp::create(rewriter, loc, firstTile, n);
    }
  }

  SmallVector<Value> slices;
  Value offset, tileExtent;
  Operation *placeholder = nullptr;
  auto forOp = scf::ForOp::create(
      rewriter, loc, firstTile, lastTile, c1, inits,
      [&](OpBuilder &b, Location l, Value iv, ValueRange iterArgs) {
        offset = arith::AddIOp::create(b, l, begin,
                                       arith::MulIOp::create(b, l, iv, tile));
        Value rest = arith::SubIOp::create(b, l, end, offset);
        Value size = arith::MinSIOp::create(b, l, tile, rest);
        tileExtent = size;
        for (auto [t, v, d] :
             llvm::enumerate(it.getTiles(), it.getTileDims())) {
          auto type = cast<RankedTensorType>(v.getType());
          SmallVector<OpFoldResult> offsets, sizes, strides;
          for (int64_t i = 0; i < type.getRank(); ++i) {
            strides.push_back(b.getIndexAttr(1));
            if (i == d && it.getTileDivisor(t) != 1) {
              // Indexed by `rank floordiv div`: the tile starts at a
              // multiple of div, so it holds [offset / div, that +
              // ceil(size / div)), clamped to the operand.
              Value div =
                  arith::ConstantIndexOp::create(b, l, it.getTileDivisor(t));
              Value dimSize = tensor::DimOp::create(b, l, v, i);
              Value lo = arith::MinSIOp::create(
                  b, l, arith::DivUIOp::create(b, l, offset, div), dimSize);
              Value n = arith::CeilDivUIOp::create(b, l, size, div);
              Value avail = arith::SubIOp::create(b, l, dimSize, lo);
              offsets.push_back(lo);
              sizes.push_back(arith::MaxSIOp::create(
                                  b, l,
                                  arith::MinSIOp::create(b, l, n, avail),
                                  arith::ConstantIndexOp::create(b, l, 0))
                                  .getResult());
            } else if (i == d) {
              offsets.push_back(offset);
              sizes.push_back(size);
            } else {
              // A static extent 0 takes its offset as a value: upstream's
              // verifier rejects a static offset 0 in a dim of size 0.
              offsets.push_back(type.getDimSize(i) == 0
                                    ? OpFoldResult(arith::ConstantIndexOp::create(
                                                       b, l, 0)
                                                       .getResult())
                                    : OpFoldResult(b.getIndexAttr(0)));
              sizes.push_back(type.isDynamicDim(i)
                                  ? OpFoldResult(tensor::DimOp::create(b, l, v, i)
                                                     .getResult())
                                  : OpFoldResult(b.getIndexAttr(type.getDimSize(i))));
            }
          }
          slices.push_back(tensor::ExtractSliceOp::create(
              b, l, IterateOp::getTileType(type, d), v, offsets, sizes,
              strides));
        }
        placeholder = scf::YieldOp::create(b, l, iterArgs);
      });
  SmallVector<Value> args(slices);
  llvm::append_range(args, forOp.getRegionIterArgs());
  Block &body = it.getBodyBlock();
  auto yield = cast<YieldOp>(body.getTerminator());
  placeholder->setOperands(yield.getValues());
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&body, placeholder, args);

  ExtentTable child(it->getParentOfType<CascadeOp>(), *forOp.getBody(),
                    &parent);
  child.parentAt = it;
  child.iteratedRank = it.getRank().str();
  child.tileRank = it.getTileRank().str();
  child.tileOffset = offset;
  child.tileExtent = tileExtent;
  if (failed(lowerBlock(rewriter, *forOp.getBody(), child)))
    return failure();
  SmallVector<Value> results(forOp.getResults());
  if (workers) {
    // Worker w's state goes to [w, 0, ...] of the shared outputs.
    Value w = workers.getInductionVars().front();
    for (auto [i, state] : llvm::enumerate(forOp.getResults())) {
      RankedTensorType stateType = it.getStateType(i);
      SmallVector<OpFoldResult> offsets = {w}, sizes = {rewriter.getIndexAttr(1)},
                                strides(stateType.getRank() + 1,
                                        rewriter.getIndexAttr(1));
      // Sizes before the terminator: its region takes only the inserts.
      rewriter.setInsertionPoint(workers.getTerminator());
      for (int64_t d = 0; d < stateType.getRank(); ++d) {
        // A static extent 0 takes its offset as a value (upstream rejects a
        // static offset 0 in a dim of size 0), as for the tiles.
        offsets.push_back(stateType.getDimSize(d) == 0
                              ? OpFoldResult(arith::ConstantIndexOp::create(
                                                 rewriter, loc, 0)
                                                 .getResult())
                              : OpFoldResult(rewriter.getIndexAttr(0)));
        sizes.push_back(tensor::getMixedSize(rewriter, loc, state, d));
      }
      rewriter.setInsertionPointToEnd(workers.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(rewriter, loc, state,
                                            workers.getRegionIterArgs()[i],
                                            offsets, sizes, strides);
    }
    results.assign(workers.getResults().begin(), workers.getResults().end());
  }
  for (auto [from, to] : llvm::zip(it.getResults(), results))
    parent.mapping.map(from, to);
  rewriter.replaceAllUsesWith(it.getResults(), results);
  return success();
}

/// Lowers the Einsums and iterations of `block` in order. They stay (dead)
/// until the whole block is lowered so the extent table can refer to them.
static LogicalResult lowerBlock(RewriterBase &rewriter, Block &block,
                                ExtentTable &extents) {
  SmallVector<Operation *> lowered;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (auto e = dyn_cast<EinsumOp>(op)) {
      if (failed(lowerEinsum(rewriter, e, extents)))
        return failure();
      lowered.push_back(e);
    } else if (auto it = dyn_cast<IterateOp>(op)) {
      if (failed(lowerIterate(rewriter, it, extents)))
        return failure();
      lowered.push_back(it);
    }
  }
  for (Operation *op : llvm::reverse(lowered))
    rewriter.eraseOp(op);
  return success();
}

static LogicalResult
lowerCascadeWith(RewriterBase &rewriter, CascadeOp cascade,
                 const llvm::StringMap<Value> &fullExtents,
                 const llvm::StringMap<Value> &indexOffsets) {
  Block &body = cascade.getBodyBlock();
  ExtentTable extents(cascade, body);
  extents.fullExtents = fullExtents;
  extents.indexOffsets = indexOffsets;
  if (failed(lowerBlock(rewriter, body, extents)))
    return failure();
  auto yield = cast<YieldOp>(body.getTerminator());
  SmallVector<Value> results(yield.getValues());
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&body, cascade);
  rewriter.replaceOp(cascade, results);
  return success();
}

LogicalResult einfuse::lowerCascadeToLinalg(RewriterBase &rewriter,
                                            CascadeOp cascade) {
  // A tile of its ranks (`tile(...)`): ein.index adds the tile's offset and
  // ein.extent is the whole extent.
  llvm::StringMap<Value> full, offsets;
  for (auto [rank, offset, whole] :
       llvm::zip(cascade.getTiledRanks(), cascade.getTileOffsets(),
                 cascade.getTileExtents())) {
    StringRef name = cast<StringAttr>(rank).getValue();
    full[name] = whole;
    offsets[name] = offset;
  }
  return lowerCascadeWith(rewriter, cascade, full, offsets);
}

FailureOr<bool> einfuse::lowerCascadeTiled(RewriterBase &rewriter,
                                           CascadeOp cascade, StringRef rank,
                                           int64_t tile) {
  return lowerCascadeTiled(rewriter, cascade, {{rank.str(), tile}});
}

FailureOr<bool> einfuse::lowerCascadeTiled(
    RewriterBase &rewriter, CascadeOp cascade,
    ArrayRef<std::pair<std::string, int64_t>> ranks) {
  // The cascade's TilingInterface, through upstream's tiling driver: tile
  // sizes for the ranks asked for that qualify, the others left whole.
  SmallVector<StringRef> domain = cascade.getParallelRanks();
  SmallVector<OpFoldResult> tileSizes(domain.size(), rewriter.getIndexAttr(0));
  bool any = false;
  for (auto &[rank, tile] : ranks) {
    auto *at = llvm::find(domain, rank);
    std::optional<RankSlices> slices =
        at == domain.end() ? std::nullopt : analyseTiledRank(cascade, rank);
    if (tile <= 0 || !slices)
      continue;
    // A rank read as `rank floordiv G` (GQA) tiles only within a group.
    if (llvm::any_of(slices->groups, [&](auto &g) {
          return g.second > 1 && g.second % tile != 0;
        }))
      continue;
    tileSizes[at - domain.begin()] = rewriter.getIndexAttr(tile);
    any = true;
  }
  // The whole results must be sized outside the cascade (their tiles are
  // inserted into them); when they cannot be, the cascade is lowered whole.
  if (!any || !cascade.hasKnownResultSizes())
    return false;
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(tileSizes);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(cascade);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(cascade.getOperation()), options);
  if (failed(tiled))
    return cascade.emitOpError("could not be tiled along its parallel ranks");
  rewriter.replaceOp(cascade, tiled->replacements);
  if (failed(lowerCascadeToLinalg(rewriter,
                                  cast<CascadeOp>(tiled->tiledOps.back()))))
    return failure();
  return true;
}

namespace {
struct ConvertEinToLinalgPass
    : public einfuse::impl::ConvertEinToLinalgBase<ConvertEinToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    if (parallelTile <= 0 || parallelTile > kMaxTileSize) {
      emitError(getOperation()->getLoc(), "convert-ein-to-linalg: "
                                          "parallel-tile must be in [1, 2^31], "
                                          "got ")
          << static_cast<int64_t>(parallelTile);
      return signalPassFailure();
    }
    if (!parallelRank.empty() && parallelRank != "auto" &&
        parallelRank != "none" &&
        failed(checkRankOption(getOperation(), parallelRank,
                               "convert-ein-to-linalg: parallel-rank")))
      return signalPassFailure();
    SmallVector<Operation *> named;
    getOperation()->walk([&](Operation *op) {
      if (isa<AttentionOp, QMatmulOp>(op))
        named.push_back(op);
    });
    for (Operation *op : named) {
      op->emitOpError("must be decomposed into a cascade first "
                      "(run --ein-decompose)");
      return signalPassFailure();
    }
    SmallVector<CascadeOp> cascades;
    getOperation()->walk([&](CascadeOp c) { cascades.push_back(c); });
    IRRewriter rewriter(&getContext());
    for (CascadeOp c : cascades) {
      // The ranks to tile: the one asked for, or with `auto` the second-to-
      // last rank of the first result (rows, queries) in tiles of
      // `parallel-tile` and every rank before it (batch, heads) in tiles
      // of 1; a rank that does not qualify (static, reduced) stays whole.
      // When none does, the last rank alone (a 1-D result).
      bool done = false;
      if (parallelRank == "auto") {
        auto yield = cast<YieldOp>(c.getBodyBlock().getTerminator());
        auto e = yield.getValues().empty()
                     ? EinsumOp()
                     : yield.getValues().front().getDefiningOp<EinsumOp>();
        SmallVector<std::string> dims;
        if (e) {
          SmallVector<StringRef> names = e.getRankNames();
          for (AffineExpr x : e.getOutputMap().getResults())
            dims.push_back(
                names[cast<AffineDimExpr>(x).getPosition()].str());
        }
        SmallVector<std::pair<std::string, int64_t>> ranks;
        for (size_t i = 0; i + 1 < dims.size(); ++i)
          ranks.push_back(
              {dims[i], i + 2 == dims.size() ? int64_t(parallelTile) : 1});
        SmallVector<SmallVector<std::pair<std::string, int64_t>>> attempts = {
            ranks};
        if (!dims.empty())
          attempts.push_back({{dims.back(), int64_t(parallelTile)}});
        for (auto &attempt : attempts) {
          if (attempt.empty())
            continue;
          FailureOr<bool> tiled = lowerCascadeTiled(rewriter, c, attempt);
          if (failed(tiled))
            return signalPassFailure();
          if ((done = *tiled))
            break;
        }
      } else if (!parallelRank.empty() && parallelRank != "none") {
        FailureOr<bool> tiled =
            lowerCascadeTiled(rewriter, c, parallelRank, parallelTile);
        if (failed(tiled))
          return signalPassFailure();
        done = *tiled;
        // The rank asked for cannot tile this cascade: say so, and why.
        if (!done && c.lookupRank(parallelRank) >= 0)
          c.emitRemark("parallel-rank '")
              << parallelRank.getValue() << "' does not tile this cascade: "
              << (llvm::is_contained(c.getParallelRanks(),
                                     StringRef(parallelRank))
                      ? "the extents of its results are not known outside "
                        "it"
                      : "an Einsum reduces the rank, an iteration runs over "
                        "it, a result lacks it, a tensor is read along it in "
                        "another way (a static dim, a compound index, another "
                        "rank), or a static extent 0 leaves nothing to "
                        "compute")
              << "; it is lowered whole";
      }
      if (done)
        continue;
      if (failed(lowerCascadeToLinalg(rewriter, c)))
        return signalPassFailure();
    }
  }
};
} // namespace
