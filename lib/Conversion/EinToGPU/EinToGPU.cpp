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

#include "Ein/IR/EinDialect.h"

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
    if (everywhere)
      chosen.push_back({rank.str(), 1});
  }
  // A terminal contraction's two free ranks (the last rank only one of its
  // operands indexes, for each operand) take tiles of `matrixTile`: the
  // rows and columns of one subgroup's matrix-instruction tiles.
  EinsumOp contraction = matrixTile > 1 ? findTerminalContraction(cascade)
                                        : EinsumOp();
  if (!contraction)
    return chosen;
  SmallVector<StringRef> names = contraction.getRankNames();
  for (unsigned side = 0; side < 2; ++side) {
    AffineMap mine = contraction.getInputMap(side);
    AffineMap other = contraction.getInputMap(1 - side);
    for (int64_t r = names.size() - 1; r >= 0; --r) {
      if (contraction.isReducedRank(r) || !mine.isFunctionOfDim(r) ||
          other.isFunctionOfDim(r))
        continue;
      for (auto &[rank, tile] : chosen)
        if (rank == names[r])
          tile = matrixTile;
      break;
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
                ShapedType::isDynamic(ranges[d]);
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
                  ShapedType::isDynamic(ranges[d])
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
    for (CascadeOp cascade : cascades) {
      GPUConfigAttr config = GPUConfigAttr::lookup(cascade);
      SmallVector<std::pair<std::string, int64_t>> ranks = chooseThreadRanks(
          cascade, config ? config.getMatrixTile() : int64_t(matrixTile));
      Location loc = cascade.getLoc();
      Operation *before = cascade->getPrevNode();
      Block *block = cascade->getBlock();
      FailureOr<bool> tiled =
          ranks.empty() ? FailureOr<bool>(false)
                        : lowerCascadeTiled(rewriter, cascade, ranks);
      if (failed(tiled))
        return signalPassFailure();
      if (!*tiled) {
        // No rank to spread over threads: the cascade runs whole, on one
        // thread (einfuse-gpu-map-tiles). Say so: it is correct, not fast.
        emitRemark(loc) << "no parallel rank of this cascade can be spread "
                           "over GPU threads; it runs on one thread";
        if (failed(lowerCascadeToLinalg(rewriter, cascade)))
          return signalPassFailure();
        continue;
      }
      // Mark the tile loop lowerCascadeTiled made (the forall it inserted
      // where the cascade was): its dims map to GPU threads (the mapping is
      // part of the op, so canonicalization keeps it), and the ranks they
      // run over are noted for the reader.
      auto it = before ? std::next(before->getIterator()) : block->begin();
      for (; it != block->end(); ++it)
        if (auto forall = dyn_cast<scf::ForallOp>(&*it)) {
          SmallVector<Attribute> names, mapping;
          for (auto &[rank, tile] : ranks)
            names.push_back(rewriter.getStringAttr(rank));
          for (unsigned d = 0; d < forall.getRank(); ++d)
            mapping.push_back(gpu::GPUThreadMappingAttr::get(
                &getContext(),
                static_cast<gpu::MappingId>(
                    static_cast<unsigned>(gpu::MappingId::LinearDim0) + d)));
          forall->setAttr(kTileRanksAttr, rewriter.getArrayAttr(names));
          forall.setMappingAttr(rewriter.getArrayAttr(mapping));
          break;
        }
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
