//===- GPUConfig.cpp - Each GPU kernel's configuration, in the IR ---------===//
//
// `--einfuse-gpu-config`, the first step of `--einfuse-gpu-pipeline`: every
// kernel function gets its `#ein.gpu_config` (threads, lanes, tile, matrix
// tile, K split), from the target's defaults (GPUTargetInfo), the options
// and the kernel's shape, unless it has one. The later steps read it.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "Ein/IR/EinDialect.h"
#include "einfuse/Conversion/GPUTiles.h"
#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEGPUCONFIG
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace einfuse {
namespace {

/// Whether a kernel function's work contracts two tensors (attention's
/// scores, a matmul): an Einsum that reduces a rank of two of its inputs.
/// Its key tile then sizes a lane's private score tile, so it stays small;
/// a row-wise cascade (softmax, norms) keeps no tile of values and takes
/// long tiles, which amortise the lanes' combines.
static bool hasContraction(func::FuncOp fn) {
  bool found = false;
  fn.walk([&](Operation *op) {
    if (isa<ein::AttentionOp, ein::QMatmulOp>(op))
      found = true;
    auto e = dyn_cast<ein::EinsumOp>(op);
    if (!e || e.getInputs().size() < 2)
      return;
    for (unsigned r : e.getReducedRankPositions()) {
      unsigned readers = 0;
      for (unsigned i = 0; i < e.getInputs().size(); ++i)
        readers += e.getInputMap(i).isFunctionOfDim(r);
      found |= readers >= 2;
    }
  });
  return found;
}

/// Whether a kernel function is attention-shaped with 16-bit operands: an
/// `ein.attention` of f16/bf16, or a contraction of an f16/bf16 tensor
/// whose result a reduction reads (scores feeding a row max). Its key
/// tiles then run on the matrix instruction, 16 query rows per subgroup
/// (einfuse-gpu-matrix-ops), where a tile's fixed costs (barriers, the row
/// reductions' shuffles, the copies) favour long key tiles. Returns the
/// bytes of one key of the key operand (the head dim's elements; 0 when
/// its extent is dynamic), nullopt when not attention-shaped.
static std::optional<int64_t> matrixKeyBytes(func::FuncOp fn) {
  auto half = [](Value v) {
    Type t = getElementTypeOrSelf(v.getType());
    return t.isF16() || t.isBF16();
  };
  std::optional<int64_t> found;
  // The static extent of `map`'s rank `r` in `v`, times its element size.
  auto bytesAt = [](Value v, AffineMap map, unsigned r) -> int64_t {
    auto type = dyn_cast<ShapedType>(v.getType());
    if (!type || !type.hasRank())
      return 0;
    for (auto [p, expr] : llvm::enumerate(map.getResults()))
      if (auto d = dyn_cast<AffineDimExpr>(expr);
          d && d.getPosition() == r && p < unsigned(type.getRank()) &&
          !type.isDynamicDim(p))
        return type.getDimSize(p) * 2;
    return 0;
  };
  fn.walk([&](Operation *op) {
    if (auto a = dyn_cast<ein::AttentionOp>(op)) {
      if (!llvm::all_of(a->getOperands().take_front(2), half))
        return;
      auto k = cast<ShapedType>(a->getOperand(1).getType());
      found = k.hasRank() && !k.isDynamicDim(k.getRank() - 1)
                  ? k.getDimSize(k.getRank() - 1) * 2
                  : 0;
      return;
    }
    auto e = dyn_cast<ein::EinsumOp>(op);
    if (!e || e.getInputs().size() != 2 || !llvm::any_of(e.getInputs(), half))
      return;
    std::optional<unsigned> contracted;
    for (unsigned r : e.getReducedRankPositions())
      if (e.getInputMap(0).isFunctionOfDim(r) &&
          e.getInputMap(1).isFunctionOfDim(r))
        contracted = r;
    SmallVector<Value> work{e.getResult()};
    for (int depth = 0; contracted && !work.empty() && depth < 16; ++depth) {
      Value v = work.pop_back_val();
      for (Operation *user : v.getUsers())
        if (auto r = dyn_cast<ein::EinsumOp>(user)) {
          if (!r.getReducedRankPositions().empty() &&
              r.getInputs().size() == 1) {
            int64_t bytes = 0;
            for (unsigned i = 0; i < 2 && !bytes; ++i)
              if (half(e.getInputs()[i]))
                bytes = bytesAt(e.getInputs()[i], e.getInputMap(i),
                                *contracted);
            found = bytes;
          } else if (r.getReducedRankPositions().empty()) {
            work.push_back(r.getResult());
          }
        }
    }
  });
  return found;
}

/// Whether every rank a kernel function's Einsums reduce has a static
/// extent, and the largest product of them is small (at most `limit`):
/// rows too short for a block of threads.
static bool hasShortRows(func::FuncOp fn, int64_t limit) {
  bool shortRows = true;
  fn.walk([&](ein::EinsumOp e) {
    int64_t row = 1;
    for (unsigned r : e.getReducedRankPositions()) {
      int64_t extent = ShapedType::kDynamic;
      for (unsigned i = 0;
           i < e.getInputs().size() && ShapedType::isDynamic(extent); ++i) {
        auto type = dyn_cast<ShapedType>(e.getInputs()[i].getType());
        if (!type || !type.hasRank())
          continue;
        AffineMap map = e.getInputMap(i);
        for (auto [p, expr] : llvm::enumerate(map.getResults()))
          if (auto d = dyn_cast<AffineDimExpr>(expr);
              d && d.getPosition() == r && p < unsigned(type.getRank()) &&
              !type.isDynamicDim(p))
            extent = type.getDimSize(p);
      }
      if (ShapedType::isDynamic(extent)) {
        shortRows = false;
        return WalkResult::interrupt();
      }
      row *= extent;
    }
    if (row > limit)
      shortRows = false;
    return shortRows ? WalkResult::advance() : WalkResult::interrupt();
  });
  return shortRows;
}

struct GPUConfigPass : public impl::EinfuseGPUConfigBase<GPUConfigPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::unique_ptr<gpu::GPUTargetInfo> info =
        getGPUTargetInfo(target, module, getArgument());
    if (!info)
      return signalPassFailure();
    if (smallM < -1 || smallM > ein::kMaxTileSize) {
      emitError(module.getLoc(), "einfuse-gpu-config: small-m must be in "
                                 "[0, 2^31] (-1: the target's default), got ")
          << int64_t(smallM);
      return signalPassFailure();
    }
    if (split < -1 || split > ein::kMaxWorkers) {
      emitError(module.getLoc(), "einfuse-gpu-config: split must be in [0, ")
          << ein::kMaxWorkers << "] (-1: the target's default), got "
          << int64_t(split);
      return signalPassFailure();
    }
    gpu::GPUConfig base = info->getDefaultConfig();
    if (split >= 0)
      base.split = split;
    if (threads)
      base.threads = threads;
    if (lanes)
      base.lanes = lanes;
    if (matrixTile)
      base.matrixTile = matrixTile;
    int64_t subgroup = info->getSubgroupSize();
    if (base.lanes != subgroup)
      base.matrixTile = 1;
    // Subgroups share a matrix tile only when a block is one tile.
    if (base.matrixTile == 1 || base.kSplit != base.threads / base.lanes)
      base.kSplit = 1;
    if (smallM >= 0)
      base.smallM = smallM;
    if (base.matrixTile == 1)
      base.smallM = 0;
    MLIRContext *ctx = &getContext();
    StringRef name = ein::GPUConfigAttr::getAttrName();
    for (func::FuncOp fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal() || fn.isPrivate())
        continue;
      if (auto given = fn->getAttrOfType<ein::GPUConfigAttr>(name)) {
        if (given.getMatrixTile() > 1 && given.getLanes() != subgroup) {
          fn.emitError("ein.gpu_config: matrix_tile ")
              << given.getMatrixTile() << " needs lanes = the subgroup size of "
              << info->getName() << " (" << subgroup << "), got "
              << given.getLanes();
          return signalPassFailure();
        }
        if (given.getLanes() > subgroup && given.getLanes() % subgroup) {
          fn.emitError("ein.gpu_config: lanes ")
              << given.getLanes() << " above a subgroup must be whole "
              << "subgroups of " << info->getName() << " (" << subgroup << ")";
          return signalPassFailure();
        }
        continue;
      }
      gpu::GPUConfig config = base;
      if (hasContraction(fn)) {
        config.tileSize = tileSize ? int64_t(tileSize) : base.tileSize;
        // Key tiles of 128 on the matrix instruction: 1.2-1.6x over 64 on
        // the H200, and 64 over 32 as much (docs/performance.md); but a
        // key tile whose keys einfuse-gpu-matrix-ops can stage in
        // workgroup memory (at most kMaxStagedTileBytes: 64 keys of head
        // dim 128) beats a longer one read from global memory, 1.3x at
        // head dim 128.
        if (std::optional<int64_t> keyBytes = matrixKeyBytes(fn);
            !tileSize && config.matrixTile > 1 && keyBytes) {
          int64_t tile = 128;
          if (*keyBytes > 0 && 128 * *keyBytes > kMaxStagedTileBytes &&
              64 * *keyBytes <= kMaxStagedTileBytes)
            tile = 64;
          config.tileSize = std::max<int64_t>(config.tileSize, tile);
        }
      } else {
        // A row-wise cascade keeps no tile of values: long tiles amortise
        // the lanes' combines. A block takes a row (of the target's
        // rowThreads, or of the given threads; not when lanes are given or
        // the rows are short): the few rows in flight stay in the caches
        // between a row's passes, which a subgroup per row (many rows in
        // flight) reads from memory again.
        config.tileSize = tileSize ? int64_t(tileSize) : 1024;
        if (base.rowThreads && !lanes &&
            !hasShortRows(fn, 8 * base.rowThreads)) {
          config.threads = threads ? int64_t(threads) : base.rowThreads;
          config.lanes = config.threads;
          config.matrixTile = 1;
          config.kSplit = 1;
          config.smallM = 0;
          if (!tileSize)
            config.tileSize = 8192;
        }
      }
      fn->setAttr(name, ein::GPUConfigAttr::get(
                            ctx, config.threads, config.lanes, config.tileSize,
                            config.matrixTile, config.kSplit, config.smallM,
                            config.split));
    }
  }
};
} // namespace
} // namespace einfuse
