//===- EinToGPU.cpp - The GPU lowering every target shares ----------------===//
//
// `--convert-ein-to-gpu`, the first step of `--einfuse-gpu-pipeline` and
// one that knows nothing of any chip: it tiles each cascade over its
// parallel ranks through the cascade's TilingInterface (upstream
// scf::tileUsingSCF), one point per GPU thread or subgroup, and lowers each
// tile to linalg (the CPU's lowering). What a thread computes is read from
// the cascade, never from a named op: masks, biases, score regions,
// dequantisation are map Einsums and reach the kernel as they are. After
// bufferization, `--einfuse-gpu-map-tiles` (GPUMapTiles.cpp) makes the
// launches.
//
// What differs per chip (math instructions, the NVVM/ROCDL conversion, the
// serialiser) is behind einfuse::gpu::GPUTargetInfo (lib/Target/NVIDIA,
// lib/Target/AMD).
//
//===----------------------------------------------------------------------===//
#include "einfuse/Conversion/Passes.h"

#include "einfuse/Conversion/Bounds.h"

#include "Ein/IR/EinDialect.h"
#include "Ein/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallBitVector.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace einfuse {
#define GEN_PASS_DEF_CONVERTEINTOGPU
#include "einfuse/Conversion/Passes.h.inc"
} // namespace einfuse

using namespace mlir;
using namespace einfuse;
using namespace einfuse::ein;

/// The attribute convert-ein-to-gpu leaves on each tile loop: the ranks it
/// runs over, one GPU thread per point (for the reader; what
/// einfuse-gpu-map-tiles maps is a forall whose dims all map to
/// #gpu.thread).
static constexpr StringLiteral kTileRanksAttr = "ein.gpu_tile_ranks";

/// The parallel ranks of `cascade` a GPU thread takes one point of: those
/// that every reducing Einsum indexes. A rank some reduction lacks (the
/// value dim of attention, the feature dim of a norm) stays whole in each
/// thread, so that no reduction is computed twice.
/// A contraction of two operands whose result reaches the cascade's
/// results through maps only: a matrix product, a quantized matmul, the
/// matmul after a norm. A subgroup computes tiles of it with the target's
/// matrix instruction (einfuse-gpu-matrix-ops). Attention's scores feed a
/// reduction (the row max) and are not one.
static bool isContraction(EinsumOp e) {
  if (e.getInputs().size() != 2)
    return false;
  for (unsigned r : e.getReducedRankPositions())
    if (e.getInputMap(0).isFunctionOfDim(r) &&
        e.getInputMap(1).isFunctionOfDim(r))
      return true;
  return false;
}

static EinsumOp findTerminalContraction(CascadeOp cascade) {
  EinsumOp found;
  cascade.walk([&](EinsumOp e) {
    if (found || e->getParentOp() != cascade.getOperation() ||
        !isContraction(e))
      return;
    // Operands made by another contraction (sigmoid attention's scores)
    // are a tile of values the lanes hold, not what the instruction's
    // operand loads compute.
    SmallVector<Value> operands(e.getInputs());
    while (!operands.empty()) {
      auto def = operands.pop_back_val().getDefiningOp<EinsumOp>();
      if (!def)
        continue;
      if (isContraction(def))
        return;
      llvm::append_range(operands, def.getInputs());
    }
    SmallVector<Value> work{e.getResult()};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      for (Operation *user : v.getUsers()) {
        if (isa<YieldOp>(user))
          continue;
        auto map = dyn_cast<EinsumOp>(user);
        if (!map || !map.getReducedRankPositions().empty() ||
            map->getParentOp() != cascade.getOperation())
          return;
        work.push_back(map.getResult());
      }
    }
    found = e;
  });
  return found;
}

/// The contractions in the body of an `ein.iterate` of `cascade` (the
/// 1-pass form of attention: S = Q K^T of a key tile, then P V), when each
/// has an operand of f16 or bf16 (what the matrix instruction can take
/// exactly: a tile of keys or values). A point of the tile loop then takes
/// `matrix_tile` rows of the rank only one side of each indexes (the query
/// rows): the subgroup computes both products of a key tile with the
/// matrix instruction, its scores in workgroup memory between them
/// (einfuse-gpu-matrix-ops). Empty when an iteration has none, or one
/// without such an operand.
static SmallVector<EinsumOp> findIteratedContractions(CascadeOp cascade) {
  SmallVector<EinsumOp> found;
  for (auto it : cascade.getBodyBlock().getOps<IterateOp>()) {
    SmallVector<EinsumOp> mine;
    bool ok = true;
    it.getBodyBlock().walk([&](EinsumOp e) {
      if (!isContraction(e))
        return;
      bool half = llvm::any_of(e.getInputs(), [](Value v) {
        Type t = getElementTypeOrSelf(v.getType());
        return t.isF16() || t.isBF16();
      });
      ok &= half;
      mine.push_back(e);
    });
    if (ok)
      llvm::append_range(found, mine);
  }
  return found;
}

static SmallVector<std::pair<std::string, int64_t>>
chooseThreadRanks(CascadeOp cascade, int64_t matrixTile) {
  SmallVector<std::pair<std::string, int64_t>> chosen;
  SmallVector<EinsumOp> reductions;
  cascade.walk([&](EinsumOp e) {
    if (!e.getReducedRankPositions().empty())
      reductions.push_back(e);
  });
  for (StringRef rank : cascade.getParallelRanks()) {
    bool everywhere = llvm::all_of(reductions, [&](EinsumOp e) {
      return llvm::is_contained(e.getRankNames(), rank);
    });
    // The workers of a split iteration: a point per chunk.
    auto isWorkers = [&] {
      std::optional<RankSlices> slices = analyseTiledRank(cascade, rank);
      return slices && slices->workers;
    };
    if (everywhere || isWorkers())
      chosen.push_back({rank.str(), 1});
  }
  // A terminal contraction's two free ranks (the last rank only one of its
  // operands indexes, for each operand) take tiles of `matrixTile`: the
  // rows and columns of one subgroup's matrix-instruction tiles.
  EinsumOp contraction = matrixTile > 1 ? findTerminalContraction(cascade)
                                        : EinsumOp();
  SmallVector<EinsumOp> contractions;
  if (contraction)
    contractions.push_back(contraction);
  else if (matrixTile > 1)
    contractions = findIteratedContractions(cascade);
  for (EinsumOp e : contractions) {
    SmallVector<StringRef> names = e.getRankNames();
    for (unsigned side = 0; side < 2; ++side) {
      AffineMap mine = e.getInputMap(side);
      AffineMap other = e.getInputMap(1 - side);
      for (int64_t r = names.size() - 1; r >= 0; --r) {
        if (e.isReducedRank(r) || !mine.isFunctionOfDim(r) ||
            other.isFunctionOfDim(r))
          continue;
        for (auto &[rank, tile] : chosen)
          if (rank == names[r])
            tile = matrixTile;
        break;
      }
    }
  }
  return chosen;
}

/// Makes each tensor a loop carries (the running state of an ein.iterate)
/// live in one buffer: the value yielded is copied into the iteration's
/// own argument at the end of the body. One-shot bufferization then keeps
/// the state in the buffer of its initial value, allocated once before the
/// loop, instead of allocating a new buffer per iteration and returning it
/// from the loop (which a GPU thread could only do with a heap). The body
/// reads the argument before the copy writes it, so the copy is in place;
/// it costs one pass over the state per iteration.
static void carryStateInPlace(Operation *root) {
  root->walk([](scf::ForOp loop) {
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    OpBuilder b(yield);
    for (auto [arg, operand] :
         llvm::zip(loop.getRegionIterArgs(), yield->getOpOperands())) {
      if (!isa<RankedTensorType>(arg.getType()) || operand.get() == arg)
        continue;
      auto copy = linalg::CopyOp::create(b, yield.getLoc(),
                                         ValueRange{operand.get()},
                                         ValueRange{arg});
      operand.set(copy.getResult(0));
    }
  });
}

namespace {
/// A slice of the result of a reduction-free linalg op (a map Einsum: a
/// cast, an exp, a masked score) becomes that op computed on the slice
/// only, through its TilingInterface (upstream generateResultTileValue,
/// the primitive of producer fusion). A thread then recomputes a key
/// tile's maps inside the key loop instead of keeping the whole row of
/// them: the row has run-time size, the tile a bounded one. Recomputing
/// maps is cheap next to the memory a row would take.
struct RecomputeMapsOnSlices : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ExtractSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto producer = slice.getSource().getDefiningOp<linalg::LinalgOp>();
    if (!producer || !producer.hasPureTensorSemantics() ||
        producer.getNumReductionLoops() != 0 ||
        slice.getSourceType().getRank() != slice.getResultType().getRank() ||
        !slice.hasUnitStride())
      return rewriter.notifyMatchFailure(slice, "not a map's plain slice");
    auto tileable = cast<TilingInterface>(producer.getOperation());
    unsigned result = cast<OpResult>(slice.getSource()).getResultNumber();
    FailureOr<TilingResult> tiled = tileable.generateResultTileValue(
        rewriter, result, slice.getMixedOffsets(), slice.getMixedSizes());
    if (failed(tiled))
      return failure();
    Value value = tiled->tiledValues.front();
    if (value.getType() != slice.getType())
      value = tensor::CastOp::create(rewriter, slice.getLoc(), slice.getType(),
                                     value);
    rewriter.replaceOp(slice, value);
    return success();
  }
};
} // namespace

/// Whether loop `d` of `op` has a run-time extent with a constant bound
/// (a key tile of ein.iterate: min(tile, keys left)): it is a tile already,
/// and its producers' values (a tile of scores) are computed once, for
/// every consumer, where tiling it again would fuse a copy of them into
/// each consumer.
static bool isTileSized(linalg::LinalgOp op, unsigned d) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [p, e] : llvm::enumerate(map.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (!dim || dim.getPosition() != d)
        continue;
      if (!type.isDynamicDim(p))
        return true;
      // The size of dim p: a slice's, an empty tensor's, or (through the
      // results of destination-style ops: a fill, a contraction) its init's.
      Value tensor = operand.get();
      std::optional<int64_t> bound;
      for (int depth = 0; depth < 8 && tensor && !bound; ++depth) {
        if (auto slice = tensor.getDefiningOp<tensor::ExtractSliceOp>()) {
          if (slice.getSourceType().getRank() != type.getRank())
            break;
          OpFoldResult size = slice.getMixedSizes()[p];
          bound = getConstantIntValue(size);
          if (!bound)
            bound = einfuse::constantUpperBound(cast<Value>(size));
          break;
        }
        if (auto empty = tensor.getDefiningOp<tensor::EmptyOp>()) {
          bound = einfuse::constantUpperBound(empty.getDynamicSize(p));
          break;
        }
        auto result = dyn_cast<OpResult>(tensor);
        auto dps =
            result ? dyn_cast<DestinationStyleOpInterface>(result.getOwner())
                   : DestinationStyleOpInterface();
        tensor = dps ? dps.getTiedOpOperand(result)->get() : Value();
      }
      if (bound)
        return true;
    }
  }
  return false;
}

/// Splits the run-time-sized reduction loops of a thread's linalg ops
/// whose reduced operand another reduction produces (sigmoid attention:
/// O = sum over keys of f(sum over e of Q K) V, with no barrier for the
/// online rewrite to split) into tiles of `tile`, fusing the producers
/// into the tile loop: upstream scf::tileConsumerAndFuseProducersUsingSCF.
/// A thread then holds a tile of the producer's values, not a row.
static LogicalResult tileRowReductions(RewriterBase &rewriter, Operation *root,
                                       int64_t defaultTile) {
  SmallVector<linalg::LinalgOp> candidates;
  root->walk([&](linalg::LinalgOp op) {
    if (!op.hasPureTensorSemantics() || op.getNumReductionLoops() == 0)
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    llvm::SmallBitVector dims(ranges.size());
    for (unsigned d = 0; d < ranges.size(); ++d)
      dims[d] = kinds[d] == utils::IteratorType::reduction &&
                ShapedType::isDynamic(ranges[d]) && !isTileSized(op, d);
    bool fed = false;
    for (OpOperand *in : op.getDpsInputOperands()) {
      auto producer = in->get().getDefiningOp<linalg::LinalgOp>();
      if (!producer || producer.getNumReductionLoops() == 0)
        continue;
      for (AffineExpr e : op.getMatchingIndexingMap(in).getResults())
        if (auto d = dyn_cast<AffineDimExpr>(e); d && dims[d.getPosition()])
          fed = true;
    }
    if (fed)
      candidates.push_back(op);
  });
  for (linalg::LinalgOp op : llvm::reverse(candidates)) {
    GPUConfigAttr config = GPUConfigAttr::lookup(op);
    int64_t tile = config ? config.getTileSize() : defaultTile;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    SmallVector<OpFoldResult> sizes;
    for (unsigned d = 0; d < ranges.size(); ++d)
      sizes.push_back(rewriter.getIndexAttr(
          kinds[d] == utils::IteratorType::reduction &&
                  ShapedType::isDynamic(ranges[d]) && !isTileSized(op, d)
              ? tile
              : 0));
    scf::SCFTileAndFuseOptions options;
    options.tilingOptions.setTileSizes(sizes);
    options.tilingOptions.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    // The accumulator's initial value (a fill) stays before the loop:
    // fused into it, it would reset the sum at every tile.
    options.setFusionControlFn(
        [](tensor::ExtractSliceOp, OpResult, bool isDestination)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (isDestination)
            return std::nullopt;
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        });
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTileAndFuseResult> tiled =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op.emitOpError("could not be split into tiles of its reduced "
                            "rank for a GPU thread");
    for (OpResult r : op->getResults())
      if (Value v = tiled->replacements.lookup(r))
        rewriter.replaceAllUsesWith(r, v);
    if (op->use_empty())
      rewriter.eraseOp(op);
  }
  return success();
}

/// Tiles `cascade` over `ranks` for GPU threads and lowers the tile to
/// linalg (lowerCascadeTiled); returns the tile loop, marked for
/// einfuse-gpu-map-tiles (its dims map to GPU threads: the mapping is part
/// of the op, so canonicalization and bufferization keep it) and, for the
/// reader, with the ranks it runs over. Null when no rank could be tiled
/// (the cascade is then left as it was).
static FailureOr<scf::ForallOp>
tileOverThreads(RewriterBase &rewriter, CascadeOp cascade,
                ArrayRef<std::pair<std::string, int64_t>> ranks) {
  Operation *before = cascade->getPrevNode();
  Block *block = cascade->getBlock();
  FailureOr<bool> tiled = lowerCascadeTiled(rewriter, cascade, ranks);
  if (failed(tiled))
    return failure();
  if (!*tiled)
    return scf::ForallOp();
  // The forall lowerCascadeTiled inserted where the cascade was.
  auto it = before ? std::next(before->getIterator()) : block->begin();
  for (; it != block->end(); ++it)
    if (auto forall = dyn_cast<scf::ForallOp>(&*it)) {
      SmallVector<Attribute> names, mapping;
      for (auto &[rank, tile] : ranks)
        names.push_back(rewriter.getStringAttr(rank));
      for (unsigned d = 0; d < forall.getRank(); ++d)
        mapping.push_back(gpu::GPUThreadMappingAttr::get(
            rewriter.getContext(),
            static_cast<gpu::MappingId>(
                static_cast<unsigned>(gpu::MappingId::LinearDim0) + d)));
      forall->setAttr(kTileRanksAttr, rewriter.getArrayAttr(names));
      forall.setMappingAttr(rewriter.getArrayAttr(mapping));
      return forall;
    }
  return scf::ForallOp();
}

/// How the extents of a product's matrix-tiled ranks compare with
/// `small_m`: one is static and small (no matrix tiles), none is small
/// but one is known at run time only (both loops), or all are static and
/// large.
enum class Extents { Small, RunTime, Large };

static Extents classifyExtents(RewriterBase &rewriter, CascadeOp cascade,
                               ArrayRef<std::pair<std::string, int64_t>> ranks,
                               ArrayRef<unsigned> matrixDims, int64_t smallM,
                               SmallVectorImpl<unsigned> &runTimeDims) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(cascade);
  SmallVector<Range> domain = cast<TilingInterface>(cascade.getOperation())
                                  .getIterationDomain(rewriter);
  SmallVector<StringRef> names = cascade.getParallelRanks();
  for (unsigned i : matrixDims) {
    auto *at = llvm::find(names, ranks[i].first);
    if (at == names.end())
      continue;
    OpFoldResult size = domain[at - names.begin()].size;
    std::optional<int64_t> extent = getConstantIntValue(size);
    // The extent of a static dim of an operand (ein-dynamic-ranks casts
    // static operands to dynamic shapes, for the tiling).
    if (auto dim = dyn_cast_if_present<tensor::DimOp>(
            dyn_cast<Value>(size) ? cast<Value>(size).getDefiningOp()
                                  : nullptr)) {
      std::optional<int64_t> index = dim.getConstantIndex();
      Value source = dim.getSource();
      while (auto c = source.getDefiningOp<tensor::CastOp>())
        source = c.getSource();
      auto type = cast<ShapedType>(source.getType());
      if (index && *index < type.getRank() && !type.isDynamicDim(*index))
        extent = type.getDimSize(*index);
    }
    if (extent && *extent <= smallM)
      return Extents::Small;
    if (!extent)
      runTimeDims.push_back(i);
  }
  return runTimeDims.empty() ? Extents::Large : Extents::RunTime;
}

/// Sets the upper bound of dim `d` of `forall`, a run-time value.
static void setUpperBound(scf::ForallOp forall, unsigned d, Value bound) {
  ArrayRef<int64_t> bounds = forall.getStaticUpperBound();
  unsigned operand = 0;
  for (unsigned i = 0; i < d; ++i)
    operand += ShapedType::isDynamic(bounds[i]);
  forall.getDynamicUpperBoundMutable()[operand].assign(bound);
}

/// Makes the lanes' tile loop and the matrix one (the same cascade over
/// the same `numRanks` ranks, the lanes' loop first) a choice at run time:
/// the lanes' loop takes every point when one of the run-time extents of
/// the matrix-tiled dims `runTimeDims` is at most `smallM`, the matrix
/// loop otherwise; the other one's bound is 0, so it has no points and its
/// launch is skipped. The matrix loop writes into the lanes loop's
/// results, so both bufferize into the kernel's outputs.
static void chooseAtRunTime(RewriterBase &rewriter, scf::ForallOp lanes,
                            scf::ForallOp matrix, unsigned numRanks,
                            ArrayRef<unsigned> runTimeDims, int64_t smallM) {
  Location loc = matrix.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(lanes);
  SmallVector<OpFoldResult> lanesBounds = lanes.getMixedUpperBound();
  Value small;
  std::optional<unsigned> runTimeDim;
  Value limit = arith::ConstantIndexOp::create(rewriter, loc, smallM);
  for (unsigned d : runTimeDims) {
    if (d >= lanesBounds.size() || lanes.getRank() != numRanks ||
        !ShapedType::isDynamic(lanes.getStaticUpperBound()[d]))
      continue;
    runTimeDim = d;
    Value extent =
        getValueOrCreateConstantIndexOp(rewriter, loc, lanesBounds[d]);
    Value isSmall = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::ule, extent, limit);
    small =
        small ? arith::OrIOp::create(rewriter, loc, small, isSmall) : isSmall;
  }
  if (!runTimeDim || matrix.getRank() != numRanks ||
      lanes.getRank() != numRanks ||
      !ShapedType::isDynamic(matrix.getStaticUpperBound()[*runTimeDim])) {
    // The two loops do not have the layout the choice needs: keep the
    // matrix loop alone.
    rewriter.eraseOp(lanes);
    return;
  }
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value lanesBound =
      getValueOrCreateConstantIndexOp(rewriter, loc, lanesBounds[*runTimeDim]);
  rewriter.modifyOpInPlace(lanes, [&] {
    setUpperBound(
        lanes, *runTimeDim,
        arith::SelectOp::create(rewriter, loc, small, lanesBound, zero));
  });
  rewriter.setInsertionPoint(matrix);
  Value matrixBound = getValueOrCreateConstantIndexOp(
      rewriter, loc, matrix.getMixedUpperBound()[*runTimeDim]);
  Value bound =
      arith::SelectOp::create(rewriter, loc, small, zero, matrixBound);
  rewriter.modifyOpInPlace(matrix, [&] {
    setUpperBound(matrix, *runTimeDim, bound);
    for (auto [out, result] :
         llvm::zip(matrix.getOutputsMutable(), lanes.getResults())) {
      Value v = result;
      if (v.getType() != out.get().getType())
        v = tensor::CastOp::create(rewriter, loc, out.get().getType(), v);
      out.assign(v);
    }
  });
}

namespace {
struct ConvertEinToGPUPass
    : public einfuse::impl::ConvertEinToGPUBase<ConvertEinToGPUPass> {
  using Base::Base;
  void runOnOperation() override {
    if (matrixTile < 0 || matrixTile > 256) {
      emitError(getOperation()->getLoc(),
                "convert-ein-to-gpu: matrix-tile must be in [0, 256], got ")
          << int64_t(matrixTile);
      return signalPassFailure();
    }
    if (tileSize < 1 || tileSize > kMaxTileSize) {
      emitError(getOperation()->getLoc(),
                "convert-ein-to-gpu: tile-size must be in [1, 2^31], got ")
          << int64_t(tileSize);
      return signalPassFailure();
    }
    SmallVector<CascadeOp> cascades;
    getOperation()->walk([&](CascadeOp c) {
      if (!c->getParentOfType<CascadeOp>())
        cascades.push_back(c);
    });
    IRRewriter rewriter(&getContext());
    // A split iteration (split-KV, split-K: --ein-partition) becomes a
    // cascade of its own, whose tiles are (points x workers), before the
    // cascade that merges the workers' states: two kernels.
    SmallVector<CascadeOp> all;
    for (CascadeOp cascade : cascades) {
      SmallVector<IterateOp> split;
      for (auto it : cascade.getBodyBlock().getOps<IterateOp>())
        if (it.getWorkers())
          split.push_back(it);
      for (IterateOp it : split) {
        FailureOr<CascadeOp> part = separateSplitIteration(rewriter, it);
        if (succeeded(part))
          all.push_back(*part);
      }
      all.push_back(cascade);
    }
    cascades = std::move(all);
    for (CascadeOp cascade : cascades) {
      GPUConfigAttr config = GPUConfigAttr::lookup(cascade);
      SmallVector<std::pair<std::string, int64_t>> ranks = chooseThreadRanks(
          cascade, config ? config.getMatrixTile() : int64_t(matrixTile));
      // Small products (small_m): a matrix tile of mostly padding loses to
      // the lanes. A static small extent drops the matrix tiles; a run-time
      // extent gets a second tile loop, of the lanes, before the matrix one.
      SmallVector<unsigned> matrixDims;
      for (auto [i, rankTile] : llvm::enumerate(ranks))
        if (rankTile.second > 1)
          matrixDims.push_back(i);
      int64_t smallM = config ? config.getSmallM() : 0;
      bool version = false;
      SmallVector<unsigned> runTimeDims;
      if (!matrixDims.empty() && smallM > 0) {
        switch (classifyExtents(rewriter, cascade, ranks, matrixDims, smallM,
                                runTimeDims)) {
        case Extents::Small:
          for (auto &rankTile : ranks)
            rankTile.second = 1;
          break;
        case Extents::RunTime:
          version = true;
          break;
        case Extents::Large:
          break;
        }
      }
      scf::ForallOp lanesLoop;
      if (version) {
        rewriter.setInsertionPoint(cascade);
        auto clone = cast<CascadeOp>(rewriter.clone(*cascade));
        SmallVector<std::pair<std::string, int64_t>> laneRanks = ranks;
        for (auto &rankTile : laneRanks)
          rankTile.second = 1;
        FailureOr<scf::ForallOp> l =
            tileOverThreads(rewriter, clone, laneRanks);
        if (failed(l))
          return signalPassFailure();
        if (*l)
          lanesLoop = *l;
        else
          rewriter.eraseOp(clone);
      }
      Location loc = cascade.getLoc();
      FailureOr<scf::ForallOp> tiled =
          ranks.empty() ? FailureOr<scf::ForallOp>(scf::ForallOp())
                        : tileOverThreads(rewriter, cascade, ranks);
      if (failed(tiled))
        return signalPassFailure();
      if (!*tiled) {
        if (lanesLoop)
          rewriter.eraseOp(lanesLoop);
        // No rank to spread over threads: the cascade runs whole, on one
        // thread (einfuse-gpu-map-tiles). Say so: it is correct, not fast.
        emitRemark(loc) << "no parallel rank of this cascade can be spread "
                           "over GPU threads; it runs on one thread";
        if (failed(lowerCascadeToLinalg(rewriter, cascade)))
          return signalPassFailure();
        continue;
      }
      if (lanesLoop)
        chooseAtRunTime(rewriter, lanesLoop, *tiled, ranks.size(), runTimeDims,
                        smallM);
    }
    // Maps fuse into every consumer (upstream elementwise fusion, with a
    // control that duplicates a map with several consumers: the default
    // fuses single-use producers only), so that a thread keeps no row of
    // a map's values.
    RewritePatternSet patterns(&getContext());
    patterns.add<RecomputeMapsOnSlices>(&getContext());
    // Sizes read off a row-sized value come from its shape instead, so the
    // row dies once its consumers read tiles.
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    // A tile of an empty row is an empty tile.
    tensor::populateFoldTensorEmptyPatterns(patterns);
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          auto producer = operand->get().getDefiningOp<linalg::LinalgOp>();
          return producer && producer.getNumReductionLoops() == 0;
        });
    FrozenRewritePatternSet frozen(std::move(patterns));
    if (failed(applyPatternsGreedily(getOperation(), frozen)))
      return signalPassFailure();
    if (failed(tileRowReductions(rewriter, getOperation(), tileSize)))
      return signalPassFailure();
    if (failed(applyPatternsGreedily(getOperation(), frozen)))
      return signalPassFailure();
    carryStateInPlace(getOperation());
  }
};
} // namespace
