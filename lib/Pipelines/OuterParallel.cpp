//===- OuterParallel.cpp - Only outermost parallel loops stay parallel -----===//
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEOUTERPARALLEL
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {
struct OuterParallelPass
    : public einfuse::impl::EinfuseOuterParallelBase<OuterParallelPass> {
  void runOnOperation() override {
    // Parallel loops inside another parallel loop, or inside a sequential
    // loop (an iteration's loop over tiles), run in sequence: a thread team
    // per tile costs more than the tile (decode attention ran 4x slower on
    // 2 threads than on 1). Such a sequential loop gets a remark, once,
    // saying where the threads went.
    SmallVector<scf::ParallelOp> inner;
    llvm::SetVector<Operation *> sequential;
    getOperation()->walk([&](scf::ParallelOp op) {
      if (op.getNumResults() != 0)
        return;
      Operation *outer = op->getParentOp();
      while (outer && !isa<scf::ParallelOp, scf::ForOp, scf::WhileOp>(outer) &&
             !outer->hasTrait<OpTrait::IsIsolatedFromAbove>())
        outer = outer->getParentOp();
      if (!outer || outer->hasTrait<OpTrait::IsIsolatedFromAbove>())
        return;
      inner.push_back(op);
      if (!isa<scf::ParallelOp>(outer)) {
        // The outermost sequential loop not itself inside a parallel one.
        Operation *top = outer;
        for (Operation *p = outer->getParentOp(); p; p = p->getParentOp()) {
          if (isa<scf::ParallelOp>(p))
            return;
          if (isa<scf::ForOp, scf::WhileOp>(p))
            top = p;
        }
        sequential.insert(top);
      }
    });
    for (Operation *loop : sequential)
      loop->emitRemark("threads: the loops inside this sequential loop run "
                       "on one thread (the tiles of an iteration follow one "
                       "another; workers=P splits an iteration across "
                       "threads)");
    // The walk is post-order: innermost first, so that a nest is rewritten
    // from the inside out and no collected op is erased by its parent's
    // rewrite.
    for (scf::ParallelOp op : inner) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      SmallVector<Value> ivs;
      for (auto [lb, ub, step] :
           llvm::zip(op.getLowerBound(), op.getUpperBound(), op.getStep())) {
        auto loop = scf::ForOp::create(b, loc, lb, ub, step);
        ivs.push_back(loop.getInductionVar());
        b.setInsertionPointToStart(loop.getBody());
      }
      IRMapping mapping;
      mapping.map(op.getInductionVars(), ivs);
      for (Operation &nested : op.getBody()->without_terminator())
        b.clone(nested, mapping);
      op.erase();
    }
  }
};
} // namespace
