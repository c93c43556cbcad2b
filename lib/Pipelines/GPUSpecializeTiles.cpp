//===- GPUSpecializeTiles.cpp - Whole tiles at constant sizes
//--------------===//
//
// `--einfuse-gpu-specialize-tiles`, between einfuse-gpu-matrix-ops and
// einfuse-gpu-map-tiles: inside a tile loop of convert-ein-to-gpu, a size
// that is a minimum with a constant (a point's rows, min(16, rows left); a
// key tile's keys, min(128, keys left)) is that constant for every tile
// but the last. The ops after such a size, up to the end of its block,
// are versioned: `scf.if (size == bound)` runs a copy of them in which the
// size is the constant, the original runs otherwise. Canonicalization then
// gives the copy's buffers, views and loops static shapes and trip counts,
// so that a thread's state (a row's max and sum, its accumulators) is a
// buffer of static size that LLVM keeps in registers, and the loops over
// it unroll, where at run-time sizes they stay loops over local memory.
//
// Upstream's scf-for-loop-specialization versions a loop whose bound is an
// affine.min; here the size is a value of the loop's body (a buffer's
// size, a view's, an inner loop's bound), of a forall's point or a key
// loop's step, which it does not see. Workgroup buffers stay outside the
// versions (both read the same ones), so versioning costs no workgroup
// memory. At most `kMaxVersions` sizes per tile loop are versioned (each
// doubles what follows it).
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "einfuse/Conversion/Bounds.h"
#include "einfuse/Conversion/GPUTiles.h"
#include "einfuse/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEGPUSPECIALIZETILES
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {

/// Sizes versioned per tile loop: 2 give a point's rows and its key tile
/// each a version (4 copies of a key tile's body).
constexpr int kMaxVersions = 2;

/// Whether `op` is a workgroup buffer (shared by the block's lanes: it
/// stays outside the versions).
static bool isWorkgroupAlloc(Operation *op) {
  auto alloc = dyn_cast<memref::AllocOp>(op);
  return alloc && einfuse::isWorkgroupBuffer(alloc.getResult());
}

/// The size `op` computes and its constant bound, when it is a minimum
/// with a constant that is not itself constant.
static std::optional<int64_t> boundedSize(Operation *op) {
  // (A size that differs between the points of a block sharing workgroup
  // tiles is not versioned: both versions hold barriers, which every point
  // of the block must reach alike. Such a tile's uniform size is a select,
  // below.)
  if (op->hasAttr(einfuse::kGPUDivergentSizeAttr))
    return std::nullopt;
  if (auto select = dyn_cast<arith::SelectOp>(op)) {
    std::optional<int64_t> whole = getConstantIntValue(select.getTrueValue());
    if (!select.getType().isIndex() || !whole || *whole < 1 ||
        einfuse::constantUpperBound(select.getResult()) != whole)
      return std::nullopt;
    return whole;
  }
  if (!isa<affine::AffineMinOp, arith::MinSIOp, arith::MinUIOp>(op) ||
      op->getNumResults() != 1 || !op->getResult(0).getType().isIndex())
    return std::nullopt;
  Value size = op->getResult(0);
  if (matchPattern(size, m_Constant()))
    return std::nullopt;
  std::optional<int64_t> bound = einfuse::constantUpperBound(size);
  if (!bound || *bound < 1)
    return std::nullopt;
  return bound;
}

/// Versions the ops after `size`'s definition to the end of its block on
/// size == bound (see the file comment). Values the versioned ops define
/// and the block's terminator uses become the scf.if's results.
static void version(Value size, int64_t bound) {
  Operation *def = size.getDefiningOp();
  Block *block = def->getBlock();
  SmallVector<Operation *> range;
  for (Operation *op = def->getNextNode(); op && op != block->getTerminator();
       op = op->getNextNode())
    if (!isWorkgroupAlloc(op))
      range.push_back(op);
  if (range.empty())
    return;
  // Workgroup buffers move before the versions, which both use them.
  for (Operation *op = def->getNextNode();
       op && op != block->getTerminator();) {
    Operation *next = op->getNextNode();
    if (isWorkgroupAlloc(op))
      op->moveBefore(def);
    op = next;
  }
  llvm::SmallPtrSet<Operation *, 32> inRange(range.begin(), range.end());
  SmallVector<Value> escaping;
  for (Operation *op : range)
    for (Value r : op->getResults())
      if (llvm::any_of(r.getUsers(), [&](Operation *user) {
            Operation *at = block->findAncestorOpInBlock(*user);
            return !at || !inRange.contains(at);
          }))
        escaping.push_back(r);
  Location loc = def->getLoc();
  OpBuilder b(range.front());
  Value constant = arith::ConstantIndexOp::create(b, loc, bound);
  // select(c, bound, x): c says the size is the bound (a uniform condition
  // of the points of a block).
  Value whole;
  if (auto select = size.getDefiningOp<arith::SelectOp>())
    whole = select.getCondition();
  else
    whole = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size,
                                  constant);
  auto ifOp = scf::IfOp::create(b, loc, ValueRange(escaping).getTypes(), whole,
                                /*withElseRegion=*/true);
  // The whole tile: a copy at the constant size.
  IRMapping map;
  map.map(size, constant);
  b.setInsertionPointToStart(ifOp.thenBlock());
  if (Operation *t = ifOp.thenBlock()->getTerminator(); t && !escaping.empty())
    t->erase();
  if (!ifOp.thenBlock()->empty())
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  for (Operation *op : range)
    b.clone(*op, map);
  SmallVector<Value> mapped;
  for (Value v : escaping)
    mapped.push_back(map.lookup(v));
  if (!escaping.empty())
    scf::YieldOp::create(b, loc, mapped);
  // The last tile: the original ops.
  for (auto [v, r] : llvm::zip(escaping, ifOp.getResults()))
    v.replaceUsesWithIf(r, [&](OpOperand &use) {
      Operation *at = block->findAncestorOpInBlock(*use.getOwner());
      return !at || !inRange.contains(at);
    });
  Block *elseBlock = ifOp.elseBlock();
  if (escaping.empty()) {
    for (Operation *op : range)
      op->moveBefore(elseBlock->getTerminator());
  } else {
    for (Operation *op : range)
      op->moveBefore(elseBlock, elseBlock->end());
    b.setInsertionPointToEnd(elseBlock);
    scf::YieldOp::create(b, loc, escaping);
  }
}

struct GPUSpecializeTilesPass
    : public einfuse::impl::EinfuseGPUSpecializeTilesBase<
          GPUSpecializeTilesPass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> tiles;
    getOperation()->walk([&](scf::ForallOp forall) {
      if (einfuse::isGPUTileLoop(forall))
        tiles.push_back(forall);
    });
    for (scf::ForallOp tile : tiles) {
      // The sizes in the tile's body and in the bodies of its loops (a
      // key loop), outermost first; the innermost are versioned first, so
      // that an outer version copies the inner ones.
      SmallVector<std::pair<Value, int64_t>> sizes;
      auto add = [&](Operation &op) {
        std::optional<int64_t> bound = boundedSize(&op);
        if (bound && !op.getResult(0).use_empty() &&
            int64_t(sizes.size()) < kMaxVersions)
          sizes.push_back({op.getResult(0), *bound});
      };
      for (Operation &op : *tile.getBody()) {
        add(op);
        if (auto loop = dyn_cast<scf::ForOp>(op))
          for (Operation &inner : *loop.getBody())
            add(inner);
      }
      for (auto [size, bound] : llvm::reverse(sizes))
        version(size, bound);
    }
  }
};
} // namespace
