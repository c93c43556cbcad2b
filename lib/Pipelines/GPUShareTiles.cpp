//===- GPUShareTiles.cpp - Points of a block sharing staged tiles ---------===//
//
// Part of einfuse-gpu-matrix-ops. A tile point of attention-shaped work
// (16 query rows on one subgroup) stages each key and value tile of its key
// loop in workgroup memory for its own rows, so a block of one point reads
// every key tile once per 16 rows from L2. The points of the same heads
// next to each other along the rows read the same key tiles; with several
// of them in one block, one copy serves them all, and the L2 traffic per
// row drops by the points per block (FlashAttention's several warps per
// block of query rows). The key loop's bounds may differ between them (a
// causal mask ends each point's keys at its own rows), so the block runs
// the union of its points' key tiles and each point works only on its own;
// every thread reaches every copy and barrier. The rewrite is on the
// bufferized tile point, where the staging copies, the barriers and the
// loop are explicit; nothing here reads what the point computes.
//
//===----------------------------------------------------------------------===//
#include "GPUShareTiles.h"

#include "einfuse/Conversion/Bounds.h"
#include "einfuse/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace einfuse {

bool BlockSlot::dependsOnRows(Value v) {
  if (v == rows)
    return true;
  if (auto it = memo.find(v); it != memo.end())
    return it->second;
  Operation *tile = rows.getParentBlock()->getParentOp();
  Operation *def = v.getDefiningOp();
  bool result = false;
  if (def && tile->isProperAncestor(def)) {
    // (An op with regions may read the rows inside them: it counts as
    // depending on them.)
    result = def->getNumRegions() != 0 ||
             llvm::any_of(def->getOperands(),
                          [&](Value o) { return dependsOnRows(o); });
  }
  memo[v] = result;
  return result;
}

std::optional<BlockSlot> makeBlockSlot(scf::ForallOp tile, int64_t groups) {
  if (groups < 2)
    return std::nullopt;
  unsigned last = tile.getRank() - 1;
  std::optional<int64_t> step = getConstantIntValue(tile.getMixedStep()[last]);
  std::optional<int64_t> lb =
      getConstantIntValue(tile.getMixedLowerBound()[last]);
  if (!step || *step < 1 || !lb || *lb != 0)
    return std::nullopt;
  BlockSlot s;
  s.groups = groups;
  s.rows = tile.getInductionVars()[last];
  OpBuilder b = OpBuilder::atBlockBegin(tile.getBody());
  Location loc = tile.getLoc();
  Value index = arith::DivUIOp::create(
      b, loc, s.rows, arith::ConstantIndexOp::create(b, loc, *step));
  s.slot = arith::RemUIOp::create(
      b, loc, index, arith::ConstantIndexOp::create(b, loc, groups));
  return s;
}

namespace {

/// The ops of a block that run on every point of a block sharing tiles
/// (the shared copies, barriers, the loops around the copies,
/// allocations); the rest runs in runs of ops under the point's own
/// condition.
struct Runs {
  /// Each run: the pure ops whose values later ops use (moved before the
  /// run), then the ops that run under the condition.
  SmallVector<std::pair<SmallVector<Operation *>, SmallVector<Operation *>>>
      runs;
};

/// Splits `block` into runs between the ops of `keep`; fails when a run
/// holds a barrier or defines a value that later ops use and is not pure.
FailureOr<Runs> planRuns(Block &block,
                         const llvm::SmallPtrSetImpl<Operation *> &keep) {
  Runs plan;
  SmallVector<Operation *> run;
  auto close = [&]() -> LogicalResult {
    if (run.empty())
      return success();
    llvm::SmallPtrSet<Operation *, 32> inRun(run.begin(), run.end());
    llvm::SetVector<Operation *> hoist;
    SmallVector<Operation *> work;
    for (Operation *op : run)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(), [&](Operation *user) {
              Operation *at = block.findAncestorOpInBlock(*user);
              return !at || !inRun.contains(at);
            }))
          work.push_back(op);
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      if (!hoist.insert(op))
        continue;
      if (!isMemoryEffectFree(op) || op->getNumRegions() != 0)
        return failure();
      for (Value o : op->getOperands())
        if (Operation *def = o.getDefiningOp();
            def && def->getBlock() == &block && inRun.contains(def))
          work.push_back(def);
    }
    SmallVector<Operation *> moved, guarded;
    for (Operation *op : run) {
      if (hoist.contains(op)) {
        moved.push_back(op);
        continue;
      }
      if (op->walk([](mlir::gpu::BarrierOp) { return WalkResult::interrupt(); })
              .wasInterrupted())
        return failure();
      guarded.push_back(op);
    }
    plan.runs.push_back({std::move(moved), std::move(guarded)});
    run.clear();
    return success();
  };
  for (Operation &op : block) {
    if (keep.contains(&op) || op.hasTrait<OpTrait::IsTerminator>() ||
        isa<mlir::gpu::BarrierOp, memref::AllocOp, memref::AllocaOp>(op)) {
      if (failed(close()))
        return failure();
      continue;
    }
    run.push_back(&op);
  }
  if (failed(close()))
    return failure();
  return plan;
}

/// Moves each run's pure values before it and its other ops under
/// `condition`.
void applyRuns(const Runs &plan, Value condition) {
  for (auto &[moved, guarded] : plan.runs) {
    Operation *first = nullptr;
    for (Operation *op : guarded)
      if (!first || op->isBeforeInBlock(first))
        first = op;
    if (first)
      for (Operation *op : moved)
        if (first->isBeforeInBlock(op))
          op->moveBefore(first);
    // (Pure ops alone need no guard; they fold away if unused.)
    if (llvm::all_of(guarded, [](Operation *op) {
          return isMemoryEffectFree(op) && op->getNumRegions() == 0;
        }))
      continue;
    OpBuilder b(first);
    auto guard = scf::IfOp::create(b, first->getLoc(), TypeRange{}, condition,
                                   /*withElseRegion=*/false);
    Operation *yield = guard.thenBlock()->getTerminator();
    for (Operation *op : guarded)
      op->moveBefore(yield);
  }
}

/// Whether `v` can be evaluated at another point's rows: it does not
/// depend on them, or it is computed from them by pure ops without
/// regions.
bool canEvaluate(Value v, BlockSlot &slot) {
  if (!slot.dependsOnRows(v) || v == slot.rows)
    return true;
  Operation *def = v.getDefiningOp();
  return def && isMemoryEffectFree(def) && def->getNumRegions() == 0 &&
         llvm::all_of(def->getOperands(),
                      [&](Value o) { return canEvaluate(o, slot); });
}

/// `v` at the rows `rows` instead of the point's: the ops computing it
/// from them, cloned at `b`.
Value evaluateAt(OpBuilder &b, Value v, Value rows, BlockSlot &slot,
                 IRMapping &map) {
  if (v == slot.rows)
    return rows;
  if (!slot.dependsOnRows(v))
    return v;
  if (Value known = map.lookupOrNull(v))
    return known;
  Operation *def = v.getDefiningOp();
  for (Value o : def->getOperands())
    map.map(o, evaluateAt(b, o, rows, slot, map));
  Operation *clone = b.clone(*def, map);
  return clone->getResult(cast<OpResult>(v).getResultNumber());
}

/// Whether `op` computes a size of the point from its rows that is at most
/// `step` (a minimum with it): the rows of the point, short at the end.
bool isRowsSize(Operation *op, BlockSlot &slot, int64_t step) {
  return isa<affine::AffineMinOp, arith::MinSIOp, arith::MinUIOp>(op) &&
         op->getNumResults() == 1 && op->getResult(0).getType().isIndex() &&
         slot.dependsOnRows(op->getResult(0)) &&
         constantUpperBound(op->getResult(0)) == step;
}

} // namespace

FailureOr<bool> shareStagedTiles(scf::ForallOp tile, BlockSlot &slot,
                                 ArrayRef<Operation *> copies,
                                 int64_t pointLanes) {
  if (copies.empty() || slot.groups < 2)
    return false;
  unsigned last = tile.getRank() - 1;
  int64_t step = *getConstantIntValue(tile.getMixedStep()[last]);
  int64_t groups = slot.groups;
  Location loc = tile.getLoc();
  // The loops around the copies, outermost first: plain loops of unit
  // step, which every point of the block runs alike.
  llvm::SetVector<scf::ForOp> loops;
  llvm::SmallPtrSet<Operation *, 8> keep(copies.begin(), copies.end());
  for (Operation *copy : copies) {
    SmallVector<scf::ForOp> chain;
    for (Operation *p = copy->getParentOp(); p != tile.getOperation();
         p = p->getParentOp()) {
      auto loop = dyn_cast_or_null<scf::ForOp>(p);
      if (!loop || loop.getNumResults() != 0 ||
          getConstantIntValue(loop.getStep()) != int64_t(1) ||
          !canEvaluate(loop.getLowerBound(), slot) ||
          !canEvaluate(loop.getUpperBound(), slot))
        return false;
      chain.push_back(loop);
    }
    for (scf::ForOp loop : llvm::reverse(chain))
      loops.insert(loop);
  }
  for (scf::ForOp loop : loops)
    keep.insert(loop.getOperation());
  // The point's sizes from its rows, before anything changes.
  SmallVector<Operation *> sizes;
  for (Operation &op : *tile.getBody())
    if (isRowsSize(&op, slot, step))
      sizes.push_back(&op);
  // The runs of every block involved, planned before anything changes.
  if (failed(planRuns(*tile.getBody(), keep)))
    return false;
  for (scf::ForOp loop : loops)
    if (failed(planRuns(*loop.getBody(), keep)))
      return false;

  // The extent padded to whole blocks: a block's points are then the same
  // heads' (the last dim varies fastest within a block).
  OpBuilder outside(tile);
  SmallVector<OpFoldResult> ubs = tile.getMixedUpperBound();
  Value extent = getValueOrCreateConstantIndexOp(outside, loc, ubs[last]);
  Value blockRows = arith::ConstantIndexOp::create(outside, loc, step * groups);
  ubs[last] = arith::MulIOp::create(
                  outside, loc,
                  arith::CeilDivUIOp::create(outside, loc, extent, blockRows),
                  blockRows)
                  .getResult();
  SmallVector<int64_t> staticUbs;
  SmallVector<Value> dynamicUbs;
  dispatchIndexOpFoldResults(ubs, dynamicUbs, staticUbs);
  tile.setStaticUpperBound(staticUbs);
  tile.getDynamicUpperBoundMutable().assign(dynamicUbs);

  // The block's first rows, which points of it are inside the extent.
  OpBuilder b = OpBuilder::atBlockBegin(tile.getBody());
  b.setInsertionPointAfter(slot.slot.getDefiningOp());
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value first = arith::SubIOp::create(
      b, loc, slot.rows, arith::MulIOp::create(b, loc, slot.slot, cst(step)));
  SmallVector<Value> rowsOf, inside;
  for (int64_t g = 0; g < groups; ++g) {
    Value r = arith::AddIOp::create(b, loc, first, cst(g * step));
    rowsOf.push_back(r);
    inside.push_back(
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, r, extent));
  }
  auto active = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                      slot.rows, extent);
  // (The conditions run on every point, outside the runs they guard.)
  keep.insert(active.getOperation());
  Value blockWhole = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ule,
      arith::AddIOp::create(b, loc, first, cst(step * groups)), extent);

  // Each loop runs the union of its points' trips; the point's own are
  // those of its original bounds.
  DenseMap<Operation *, Value> own;
  for (scf::ForOp loop : loops) {
    Value lb = loop.getLowerBound(), ub = loop.getUpperBound();
    OpBuilder at(loop);
    Value lo, hi;
    for (int64_t g = 0; g < groups; ++g) {
      IRMapping map;
      Value l = evaluateAt(at, lb, rowsOf[g], slot, map);
      Value u = evaluateAt(at, ub, rowsOf[g], slot, map);
      if (g == 0) {
        // (The first point of a block is always inside the extent.)
        lo = l;
        hi = u;
        continue;
      }
      lo = arith::SelectOp::create(at, loc, inside[g],
                                   arith::MinSIOp::create(at, loc, lo, l), lo);
      hi = arith::SelectOp::create(at, loc, inside[g],
                                   arith::MaxSIOp::create(at, loc, hi, u), hi);
    }
    loop.getLowerBoundMutable().assign(lo);
    loop.getUpperBoundMutable().assign(hi);
    OpBuilder in = OpBuilder::atBlockBegin(loop.getBody());
    Value iv = loop.getInductionVar();
    Value parent = active;
    if (auto outer = loop->getParentOfType<scf::ForOp>();
        outer && own.count(outer.getOperation()))
      parent = own[outer.getOperation()];
    auto from = arith::CmpIOp::create(in, loc, arith::CmpIPredicate::sge, iv, lb);
    auto to = arith::CmpIOp::create(in, loc, arith::CmpIPredicate::slt, iv, ub);
    auto mine = arith::AndIOp::create(in, loc, from, to);
    auto both = arith::AndIOp::create(in, loc, parent, mine);
    for (Operation *op : {from.getOperation(), to.getOperation(),
                          mine.getOperation(), both.getOperation()})
      keep.insert(op);
    own[loop.getOperation()] = both;
  }

  // A point's rows (min(step, extent - rows)): the step in a whole block,
  // which einfuse-gpu-specialize-tiles versions on; the point's own
  // (none past the extent) otherwise. A size from the rows inside is never
  // versioned: it differs between the points.
  for (Operation *op : sizes) {
    OpBuilder after(op->getContext());
    after.setInsertionPointAfter(op);
    Value size = op->getResult(0);
    Value zero = arith::ConstantIndexOp::create(after, loc, 0);
    auto clamped = arith::MaxSIOp::create(after, loc, size, zero);
    // (The condition is defined at the start of the point.)
    Value uniform = arith::SelectOp::create(
        after, loc, blockWhole,
        arith::ConstantIndexOp::create(after, loc, step), clamped);
    size.replaceAllUsesExcept(uniform, clamped.getOperation());
  }

  tile.getBody()->walk([&](Operation *op) {
    if (isRowsSize(op, slot, step))
      op->setAttr(kGPUDivergentSizeAttr, UnitAttr::get(op->getContext()));
  });
  // Every op but the shared ones under the point's condition. (Planned
  // again: the ops above are pure.)
  FailureOr<Runs> top = planRuns(*tile.getBody(), keep);
  if (failed(top)) {
    tile.emitOpError("internal error: the tile's points share staged tiles "
                     "but its ops could not be guarded");
    return failure();
  }
  applyRuns(*top, active);
  for (scf::ForOp loop : loops) {
    FailureOr<Runs> inner = planRuns(*loop.getBody(), keep);
    if (failed(inner)) {
      loop.emitOpError("internal error: the loop's points share staged "
                       "tiles but its ops could not be guarded");
      return failure();
    }
    applyRuns(*inner, own[loop.getOperation()]);
  }
  for (Operation *copy : copies)
    copy->setAttr(kGPUBlockCopyAttr, UnitAttr::get(copy->getContext()));
  tile->setAttr(kGPUBlockThreadsAttr,
                IntegerAttr::get(IndexType::get(tile.getContext()),
                                 groups * pointLanes));
  return true;
}

} // namespace einfuse
