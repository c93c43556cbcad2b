//===- CascadeTiling.cpp - ein.cascade as a TilingInterface op ------------===//
//
// A cascade tiles along its parallel ranks: a tile reads slices of the
// tensors the cascade reads (along the tiled ranks) and is itself a cascade
// that knows which tile it is (`tile(p = %offset of %extent)`), so
// `ein.index` and the masked-tile analysis keep meaning positions in the
// whole rank. Upstream's scf::tileUsingSCF builds the loop around it (an
// scf.forall on the CPU; the grid on GPUs); the Ein lowering then lowers
// each tile.
//
//===----------------------------------------------------------------------===//
#include "Ein/IR/EinDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace einfuse::ein;

std::optional<int64_t> einfuse::ein::getRankGroup(AffineExpr x, unsigned dim) {
  auto div = dyn_cast<AffineBinaryOpExpr>(x);
  if (!div || div.getKind() != AffineExprKind::FloorDiv)
    return std::nullopt;
  auto lhs = dyn_cast<AffineDimExpr>(div.getLHS());
  auto rhs = dyn_cast<AffineConstantExpr>(div.getRHS());
  if (!lhs || lhs.getPosition() != dim || !rhs || rhs.getValue() <= 0)
    return std::nullopt;
  return rhs.getValue();
}

namespace {

/// Whether `v` is a tensor.splat of the identity of `kind`.
bool isIdentitySplat(Value v, CombineAttr kind) {
  auto splat = v.getDefiningOp<tensor::SplatOp>();
  FloatAttr c;
  if (!splat || !matchPattern(splat.getInput(), m_Constant(&c)))
    return false;
  return c.getValueAsDouble() == kind.getIdentity();
}

/// The split iteration whose workers `rank` counts, when every Einsum that
/// indexes `rank` copies results of it (read at `rank` in dim 0, the rank
/// in the result) straight to the cascade's results, the iteration has no
/// range (its chunks become ranges) and every worker starts from the
/// combine's identity (so any chunk may come first). Null otherwise.
IterateOp findWorkersIteration(CascadeOp cascade, StringRef rank) {
  IterateOp found;
  bool ok = true;
  cascade.walk([&](EinsumOp e) {
    SmallVector<StringRef> names = e.getRankNames();
    auto *at = llvm::find(names, rank);
    if (at == names.end())
      return;
    unsigned r = at - names.begin();
    auto it = e.getInputs().size() == 1
                  ? e.getInputs()[0].getDefiningOp<IterateOp>()
                  : IterateOp();
    AffineDimExpr d = nullptr;
    if (it && e.getInputMap(0).getNumResults())
      d = dyn_cast<AffineDimExpr>(e.getInputMap(0).getResult(0));
    if (!it || !it.getWorkers() || e.getMap() != MapKind::copy ||
        e.isReducedRank(r) || !d || d.getPosition() != r ||
        llvm::any_of(e.getInputMap(0).getResults().drop_front(),
                     [&](AffineExpr x) { return x.isFunctionOfDim(r); }) ||
        (found && found != it) ||
        !llvm::all_of(e->getUsers(), llvm::IsaPred<YieldOp>) ||
        e->getParentOp() != cascade.getOperation()) {
      ok = false;
      return;
    }
    found = it;
  });
  if (!ok || !found || found->getParentOp() != cascade.getOperation() ||
      found.getRangeOffset() || !found.getCombine())
    return IterateOp();
  for (auto [i, init] : llvm::enumerate(found.getInits()))
    if (!isIdentitySplat(init, found.getCombineKind(i)))
      return IterateOp();
  return found;
}

} // namespace

std::optional<RankSlices> einfuse::ein::analyseTiledRank(CascadeOp cascade,
                                                         StringRef rank) {
  if (cascade.lookupRank(rank) < 0)
    return std::nullopt;
  RankSlices out;
  if (IterateOp it = findWorkersIteration(cascade, rank)) {
    auto yield = cast<YieldOp>(cascade.getBodyBlock().getTerminator());
    for (Value v : yield.getValues()) {
      auto e = v.getDefiningOp<EinsumOp>();
      int64_t dim = -1;
      if (e && e.getInputs().size() == 1 &&
          e.getInputs()[0].getDefiningOp() == it.getOperation()) {
        SmallVector<StringRef> names = e.getRankNames();
        for (auto [i, x] : llvm::enumerate(e.getOutputMap().getResults()))
          if (names[cast<AffineDimExpr>(x).getPosition()] == rank)
            dim = i;
      }
      if (dim < 0)
        return std::nullopt;
      out.resultDims.push_back(dim);
    }
    out.workers = it;
    return out;
  }
  auto definedInside = [&](Value v) {
    return v.getParentRegion() == &cascade.getBody() ||
           cascade->isProperAncestor(v.getParentRegion()->getParentOp());
  };
  // Which outside values to slice, and along which dim; refuse what the
  // tiling cannot express (the rank reduced, indexed by a compound
  // expression, or static along the rank).
  bool ok = true;
  // An iteration over the rank needs all of it (the 2-pass online
  // normaliser leaves Einsums along the rank after one).
  cascade.walk([&](IterateOp it) {
    if (it.getRank() == rank)
      ok = false;
  });
  cascade.walk([&](EinsumOp e) {
    SmallVector<StringRef> names = e.getRankNames();
    auto *it = llvm::find(names, rank);
    if (it == names.end())
      return;
    unsigned r = it - names.begin();
    if (e.isReducedRank(r))
      ok = false;
    for (auto [i, x] : llvm::enumerate(e.getOutputMap().getResults()))
      if (cast<AffineDimExpr>(x).getPosition() == r &&
          !e.getResult().getType().isDynamicDim(i))
        ok = false;
    for (auto [k, in] : llvm::enumerate(e.getInputs())) {
      AffineMap map = e.getInputMap(k);
      if (!map.isFunctionOfDim(r))
        continue;
      int64_t dim = -1, group = 1;
      for (auto [d, x] : llvm::enumerate(map.getResults())) {
        auto de = dyn_cast<AffineDimExpr>(x);
        std::optional<int64_t> g = getRankGroup(x, r);
        if ((de && de.getPosition() == r) || g) {
          dim = dim < 0 ? static_cast<int64_t>(d) : -2;
          group = g.value_or(1);
        } else if (x.isFunctionOfDim(r)) {
          dim = -2;
        }
      }
      if (dim < 0) {
        ok = false;
        continue;
      }
      // A tile of an iteration stands for the iteration's operand.
      int64_t tileDim;
      Value v = tiledSource(in, tileDim);
      if (definedInside(v))
        continue;
      if (!cast<ShapedType>(v.getType()).isDynamicDim(dim))
        ok = false;
      auto [entry, inserted] = out.sliced.try_emplace(v, dim);
      if (!inserted && entry->second != dim)
        ok = false;
      auto [known, fresh] = out.groups.try_emplace(v, group);
      if (!fresh && known->second != group)
        ok = false;
    }
  });
  // Initial states read from outside the cascade are sliced like inputs
  // (along the dim the rank indexes in the state).
  cascade.walk([&](IterateOp it) {
    for (auto [i, init] : llvm::enumerate(it.getInits())) {
      if (definedInside(init))
        continue;
      FailureOr<SmallVector<StringRef>> ranks = it.getStateRanks(i);
      if (failed(ranks)) {
        ok = false;
        continue;
      }
      auto *at = llvm::find(*ranks, rank);
      if (at == ranks->end())
        continue;
      int64_t dim = at - ranks->begin();
      if (!cast<ShapedType>(init.getType()).isDynamicDim(dim))
        ok = false;
      auto [entry, inserted] = out.sliced.try_emplace(init, dim);
      if (!inserted && entry->second != dim)
        ok = false;
    }
  });
  // A sliced tensor must be read along that dim by this rank only: every
  // other read (another rank there, as the self-attention Q = K does, or an
  // iteration over that dim, or an initial state it does not index) would
  // see the slice instead of the whole tensor.
  auto slicedDim = [&](Value v) -> int64_t {
    auto found = out.sliced.find(v);
    return found == out.sliced.end() ? -1 : found->second;
  };
  cascade.walk([&](EinsumOp e) {
    SmallVector<StringRef> names = e.getRankNames();
    for (auto [k, in] : llvm::enumerate(e.getInputs())) {
      int64_t tileDim;
      Value v = tiledSource(in, tileDim);
      int64_t dim = slicedDim(v);
      if (dim < 0)
        continue;
      AffineExpr x = e.getInputMap(k).getResult(dim);
      auto de = dyn_cast<AffineDimExpr>(x);
      int64_t group = out.groups.lookup(v);
      std::optional<int64_t> g;
      for (unsigned r = 0; r < names.size() && !g; ++r)
        if (names[r] == rank)
          g = getRankGroup(x, r);
      bool plain = de && names[de.getPosition()] == rank && group <= 1;
      bool grouped = g && *g == group;
      if (dim == tileDim || (!plain && !grouped))
        ok = false;
    }
  });
  cascade.walk([&](IterateOp it) {
    for (auto [v, d] : llvm::zip(it.getTiles(), it.getTileDims()))
      if (slicedDim(v) == d)
        ok = false;
    for (auto [i, init] : llvm::enumerate(it.getInits())) {
      int64_t dim = slicedDim(init);
      if (dim < 0)
        continue;
      FailureOr<SmallVector<StringRef>> ranks = it.getStateRanks(i);
      if (failed(ranks) || (*ranks)[dim] != rank)
        ok = false;
    }
  });
  auto yield = cast<YieldOp>(cascade.getBodyBlock().getTerminator());
  for (Value v : yield.getValues()) {
    auto e = v.getDefiningOp<EinsumOp>();
    int64_t dim = -1;
    if (e && e->getBlock() == &cascade.getBodyBlock()) {
      SmallVector<StringRef> names = e.getRankNames();
      for (auto [i, x] : llvm::enumerate(e.getOutputMap().getResults()))
        if (names[cast<AffineDimExpr>(x).getPosition()] == rank)
          dim = i;
    }
    if (dim < 0)
      ok = false;
    out.resultDims.push_back(dim);
  }
  // A static extent 0 leaves nothing to compute, and a slice of it (offset
  // 0 in a dim of size 0) does not verify upstream: no tiles then.
  auto hasZero = [](Type t) {
    return llvm::is_contained(cast<ShapedType>(t).getShape(), 0);
  };
  for (auto &[v, dim] : out.sliced)
    if (hasZero(v.getType()))
      ok = false;
  for (Type t : cascade.getResultTypes())
    if (hasZero(t))
      ok = false;
  if (!ok || out.sliced.empty())
    return std::nullopt;
  return out;
}

namespace {

/// The rank that indexes dim `d` of result `k` (null if unknown).
StringRef resultRank(CascadeOp cascade, unsigned k, unsigned d) {
  auto yield = cast<YieldOp>(cascade.getBodyBlock().getTerminator());
  auto e = yield.getValues()[k].getDefiningOp<EinsumOp>();
  if (!e)
    return {};
  return e.getRankNames()[cast<AffineDimExpr>(e.getOutputMap().getResult(d))
                              .getPosition()];
}

/// The extent of `rank` as seen outside the cascade: static (declared, or a
/// static dim of a result it indexes), or a tensor.dim of a tensor the
/// cascade reads; null when neither.
OpFoldResult outsideExtent(OpBuilder &b, Location loc, CascadeOp cascade,
                           StringRef rank) {
  int64_t declared = cascade.getDeclaredExtent(rank);
  if (!ShapedType::isDynamic(declared))
    return b.getIndexAttr(declared);
  for (auto [k, type] : llvm::enumerate(cascade.getResultTypes())) {
    auto shaped = cast<RankedTensorType>(type);
    for (int64_t d = 0; d < shaped.getRank(); ++d)
      if (!shaped.isDynamicDim(d) && resultRank(cascade, k, d) == rank)
        return b.getIndexAttr(shaped.getDimSize(d));
  }
  if (Value v = buildOutsideExtent(b, loc, cascade, rank))
    return v;
  return {};
}

/// Whether `size` is the whole extent of `rank` as getIterationDomain
/// gives it.
bool isWholeExtent(CascadeOp cascade, StringRef rank, OpFoldResult size) {
  if (std::optional<int64_t> n = getConstantIntValue(size)) {
    int64_t declared = cascade.getDeclaredExtent(rank);
    if (declared == *n)
      return true;
    for (auto [k, type] : llvm::enumerate(cascade.getResultTypes())) {
      auto shaped = cast<RankedTensorType>(type);
      for (int64_t d = 0; d < shaped.getRank(); ++d)
        if (!shaped.isDynamicDim(d) && resultRank(cascade, k, d) == rank)
          return shaped.getDimSize(d) == *n;
    }
    return false;
  }
  auto dim = cast<Value>(size).getDefiningOp<tensor::DimOp>();
  auto found = findOutsideExtent(cascade, rank);
  std::optional<int64_t> index =
      dim ? getConstantIntValue(dim.getDimension()) : std::nullopt;
  return dim && found && index && dim.getSource() == found->first &&
         *index == found->second;
}

/// Makes `tile` (a clone of a cascade tiled along the workers rank `rank`
/// of the split iteration `it`) compute the workers [offset, offset + size)
/// only: `it` runs their chunks, a range of the iterated rank, with `size`
/// workers, and the workers' extent becomes `size` in every type. Chunks
/// are those of the whole iteration (whole tiles, ceil(ceil(n / P) / T) *
/// T long, as its lowering splits them), so tiles of one worker compute
/// exactly the untiled workers' states.
LogicalResult restrictWorkers(OpBuilder &b, CascadeOp tile, StringRef rank,
                              IterateOp it, OpFoldResult offset,
                              OpFoldResult size) {
  std::optional<int64_t> count = getConstantIntValue(size);
  if (!count || *count < 1)
    return it.emitOpError("its workers can only be tiled in tiles of a "
                          "constant size");
  Location loc = it.getLoc();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(it);
  int64_t parts = *it.getWorkers();
  Value n = getValueOrCreateConstantIndexOp(b, loc,
                                            it.getIterationDomain(b)[0].size);
  Value p = arith::ConstantIndexOp::create(b, loc, parts);
  Value t = arith::ConstantIndexOp::create(b, loc, it.getTileSize());
  Value chunk = arith::MulIOp::create(
      b, loc,
      arith::CeilDivUIOp::create(
          b, loc, arith::CeilDivUIOp::create(b, loc, n, p), t),
      t);
  Value first = getValueOrCreateConstantIndexOp(b, loc, offset);
  it.getRangeOffsetMutable().assign(
      arith::MulIOp::create(b, loc, first, chunk).getResult());
  it.getRangeSizeMutable().assign(
      arith::MulIOp::create(b, loc,
                            arith::ConstantIndexOp::create(b, loc, *count),
                            chunk)
          .getResult());
  it.setWorkers(*count);
  auto resize = [&](Value v, unsigned dim) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] = *count;
    v.setType(type.clone(shape));
  };
  for (Value r : it.getResults())
    resize(r, 0);
  // The copies of the results (all the Einsums indexing the rank) and the
  // cascade's results.
  tile.walk([&](EinsumOp e) {
    SmallVector<StringRef> names = e.getRankNames();
    for (auto [i, x] : llvm::enumerate(e.getOutputMap().getResults()))
      if (names[cast<AffineDimExpr>(x).getPosition()] == rank)
        resize(e.getResult(), i);
  });
  auto yield = cast<YieldOp>(tile.getBodyBlock().getTerminator());
  for (auto [r, v] : llvm::zip(tile.getResults(), yield.getValues()))
    r.setType(v.getType());
  SmallVector<int64_t> extents(tile.getExtents());
  extents[tile.lookupRank(rank)] = *count;
  tile.setExtents(extents);
  return success();
}

} // namespace

SmallVector<StringRef> CascadeOp::getParallelRanks() {
  auto yield = cast<YieldOp>(getBodyBlock().getTerminator());
  SmallVector<StringRef> ranks;
  if (yield.getValues().empty())
    return ranks;
  auto first = cast<RankedTensorType>(yield.getValues()[0].getType());
  for (int64_t d = 0; d < first.getRank(); ++d) {
    StringRef rank = resultRank(*this, 0, d);
    if (rank.empty())
      break;
    bool everywhere = true;
    for (unsigned k = 1; k < getNumResults(); ++k) {
      auto type = cast<RankedTensorType>(getResult(k).getType());
      bool has = false;
      for (int64_t e = 0; e < type.getRank(); ++e)
        has |= resultRank(*this, k, e) == rank;
      everywhere &= has;
    }
    // Tileable: its tiles are independent and typed like the whole, and
    // its extent comes from a tensor read outside the cascade.
    // (A workers rank has its declared extent.)
    std::optional<RankSlices> slices =
        everywhere ? analyseTiledRank(*this, rank) : std::nullopt;
    if (slices && (slices->workers || findOutsideExtent(*this, rank)))
      ranks.push_back(rank);
  }
  return ranks;
}

bool CascadeOp::hasKnownResultSizes() {
  for (auto [k, type] : llvm::enumerate(getResultTypes())) {
    auto shaped = cast<RankedTensorType>(type);
    for (int64_t d = 0; d < shaped.getRank(); ++d) {
      if (!shaped.isDynamicDim(d))
        continue;
      StringRef rank = resultRank(*this, k, d);
      if (rank.empty() ||
          (ShapedType::isDynamic(getDeclaredExtent(rank)) &&
           !findOutsideExtent(*this, rank)))
        return false;
    }
  }
  return true;
}

LogicalResult
CascadeOp::reifyResultShapes(OpBuilder &b,
                             ReifiedRankedShapedTypeDims &reified) {
  for (auto [k, type] : llvm::enumerate(getResultTypes())) {
    auto shaped = cast<RankedTensorType>(type);
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < shaped.getRank(); ++d) {
      if (!shaped.isDynamicDim(d)) {
        sizes.push_back(b.getIndexAttr(shaped.getDimSize(d)));
        continue;
      }
      StringRef rank = resultRank(*this, k, d);
      OpFoldResult size =
          rank.empty() ? OpFoldResult() : outsideExtent(b, getLoc(), *this, rank);
      if (!size)
        return failure();
      sizes.push_back(size);
    }
    reified.push_back(sizes);
  }
  return success();
}

SmallVector<utils::IteratorType> CascadeOp::getLoopIteratorTypes() {
  return SmallVector<utils::IteratorType>(getParallelRanks().size(),
                                          utils::IteratorType::parallel);
}

SmallVector<Range> CascadeOp::getIterationDomain(OpBuilder &b) {
  SmallVector<Range> domain;
  for (StringRef rank : getParallelRanks())
    domain.push_back(Range{b.getIndexAttr(0),
                           outsideExtent(b, getLoc(), *this, rank),
                           b.getIndexAttr(1)});
  return domain;
}

FailureOr<TilingResult>
CascadeOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                                  ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  SmallVector<StringRef> ranks = getParallelRanks();
  if (offsets.size() != ranks.size() || sizes.size() != ranks.size())
    return emitOpError("expects one offset and size per parallel rank (")
           << ranks.size() << ")";
  // The ranks actually tiled, with the values to slice along them.
  struct Cut {
    StringRef rank;
    OpFoldResult offset, size;
    RankSlices slices;
  };
  SmallVector<Cut> cuts;
  for (auto [rank, offset, size] : llvm::zip(ranks, offsets, sizes)) {
    if (isConstantIntValue(offset, 0) && isWholeExtent(*this, rank, size))
      continue;
    std::optional<RankSlices> slices = analyseTiledRank(*this, rank);
    if (!slices)
      return emitOpError("cannot be tiled along rank '")
             << rank << "': an Einsum reduces it, an iteration runs over it, "
             << "or it is not indexed plainly as a dynamic dim everywhere";
    cuts.push_back({rank, offset, size, std::move(*slices)});
  }

  // Each outside value sliced along the dims of every tiled rank that
  // indexes it, whole elsewhere.
  llvm::MapVector<Value, SmallVector<std::pair<int64_t, Cut *>>> byValue;
  for (Cut &c : cuts)
    for (auto &[v, dim] : c.slices.sliced) {
      byValue[v].push_back({dim, &c});
      // A value read at `rank floordiv G`: a tile within one group of G
      // reads one index of it (tiles of T dividing G start at multiples
      // of T, so a tile, partial or not, never spans two groups).
      int64_t group = c.slices.groups.lookup(v);
      if (group > 1) {
        // The tile size, or the bound of a partial one (affine.min(T, ...),
        // what the tiling drivers build); their offsets are multiples of T.
        std::optional<int64_t> t = getConstantIntValue(c.size);
        if (auto min = dyn_cast_if_present<affine::AffineMinOp>(
                dyn_cast<Value>(c.size) ? cast<Value>(c.size).getDefiningOp()
                                        : nullptr))
          for (AffineExpr x : min.getAffineMap().getResults())
            if (auto k = dyn_cast<AffineConstantExpr>(x))
              t = t ? std::min(*t, k.getValue()) : k.getValue();
        std::optional<int64_t> start = getConstantIntValue(c.offset);
        if (!t || *t > group || group % *t != 0 || (start && *start % *t != 0))
          return emitOpError("cannot be tiled along rank '")
                 << c.rank << "' in tiles other than divisors of " << group
                 << ": an input is read at " << c.rank << " floordiv " << group;
      }
    }
  IRMapping mapping;
  SmallVector<Operation *> slices;
  for (auto &[v, dims] : byValue) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<OpFoldResult> offs, szs, strides(type.getRank(),
                                                 b.getIndexAttr(1));
    for (int64_t i = 0; i < type.getRank(); ++i) {
      auto cut = llvm::find_if(dims, [&](auto &d) { return d.first == i; });
      if (cut != dims.end()) {
        // As values: the slice keeps the operand's type (dynamic along the
        // rank), which the cascade's Einsums are typed with.
        Value offset =
            getValueOrCreateConstantIndexOp(b, loc, cut->second->offset);
        Value size = getValueOrCreateConstantIndexOp(b, loc, cut->second->size);
        if (int64_t group = cut->second->slices.groups.lookup(v); group > 1) {
          // The group of the tile: index offset floordiv G, one of them.
          offset = arith::DivUIOp::create(
              b, loc, offset, arith::ConstantIndexOp::create(b, loc, group));
          size = arith::ConstantIndexOp::create(b, loc, 1);
        }
        offs.push_back(offset);
        szs.push_back(size);
        continue;
      }
      offs.push_back(b.getIndexAttr(0));
      szs.push_back(tensor::getMixedSize(b, loc, v, i));
    }
    auto slice =
        tensor::ExtractSliceOp::create(b, loc, type, v, offs, szs, strides);
    slices.push_back(slice);
    mapping.map(v, slice.getResult());
  }
  // Which tile it is (values built before the tile): offsets compose with
  // a tile's own.
  SmallVector<Attribute> tiled(getTiledRanks().getValue());
  SmallVector<Value> tileOffsets(getTileOffsets()), tileExtents(getTileExtents());
  for (Cut &c : cuts) {
    Value offset = getValueOrCreateConstantIndexOp(b, loc, c.offset);
    auto [outer, whole] = getTileOf(c.rank);
    if (outer) {
      unsigned i = llvm::find(tiled, b.getStringAttr(c.rank)) - tiled.begin();
      tileOffsets[i] = arith::AddIOp::create(b, loc, outer, offset);
      continue;
    }
    OpFoldResult extent = outsideExtent(b, loc, *this, c.rank);
    tiled.push_back(b.getStringAttr(c.rank));
    tileOffsets.push_back(offset);
    tileExtents.push_back(getValueOrCreateConstantIndexOp(b, loc, extent));
  }
  auto tile = cast<CascadeOp>(b.clone(*getOperation(), mapping));
  for (Cut &c : cuts)
    if (c.slices.workers &&
        failed(restrictWorkers(b, tile, c.rank,
                               cast<IterateOp>(mapping.lookup(
                                   c.slices.workers.getOperation())),
                               c.offset, c.size)))
      return failure();
  tile.setTiledRanksAttr(b.getArrayAttr(tiled));
  tile.getTileOffsetsMutable().assign(tileOffsets);
  tile.getTileExtentsMutable().assign(tileExtents);
  // The initial states of the iterations (splats the online rewrite sized
  // from the inputs) take the tile's size along each tiled rank: a
  // canonicalisation may have folded their sizes to the whole extents,
  // which the mapping above does not reach.
  tile.walk([&](IterateOp it) {
    auto yield = cast<YieldOp>(it.getBodyBlock().getTerminator());
    for (auto [init, next] : llvm::zip(it.getInits(), yield.getValues())) {
      auto splat = init.getDefiningOp<tensor::SplatOp>();
      auto e = next.getDefiningOp<EinsumOp>();
      if (!splat || !e || splat->getParentOp() != tile.getOperation())
        continue;
      SmallVector<StringRef> names = e.getRankNames();
      RankedTensorType type = splat.getType();
      SmallVector<Value> dyn(splat.getDynamicSizes());
      unsigned k = 0;
      for (auto [d, x] : llvm::enumerate(e.getOutputMap().getResults())) {
        if (!type.isDynamicDim(d))
          continue;
        StringRef r = names[cast<AffineDimExpr>(x).getPosition()];
        for (Cut &c : cuts)
          if (c.rank == r) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(tile);
            dyn[k] = getValueOrCreateConstantIndexOp(b, loc, c.size);
          }
        ++k;
      }
      splat.getDynamicSizesMutable().assign(dyn);
    }
  });
  return TilingResult{{tile.getOperation()},
                      SmallVector<Value>(tile.getResults()), slices};
}

LogicalResult CascadeOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  SmallVector<StringRef> ranks = getParallelRanks();
  auto type = cast<RankedTensorType>(getResult(resultNumber).getType());
  for (int64_t d = 0; d < type.getRank(); ++d) {
    StringRef rank = resultRank(*this, resultNumber, d);
    auto *at = llvm::find(ranks, rank);
    if (!rank.empty() && at != ranks.end()) {
      // A dynamic dim of the tile's type takes its size as a value.
      OpFoldResult size = sizes[at - ranks.begin()];
      resultOffsets.push_back(offsets[at - ranks.begin()]);
      resultSizes.push_back(
          type.isDynamicDim(d)
              ? OpFoldResult(getValueOrCreateConstantIndexOp(b, getLoc(), size))
              : size);
      continue;
    }
    OpFoldResult size =
        type.isDynamicDim(d)
            ? (rank.empty() ? OpFoldResult()
                            : outsideExtent(b, getLoc(), *this, rank))
            : OpFoldResult(b.getIndexAttr(type.getDimSize(d)));
    if (!size)
      return failure();
    resultOffsets.push_back(b.getIndexAttr(0));
    resultSizes.push_back(size);
  }
  return success();
}
