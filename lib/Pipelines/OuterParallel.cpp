//===- OuterParallel.cpp - Only outermost parallel loops stay parallel -----===//
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEOUTERPARALLEL
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {
struct OuterParallelPass
    : public einfuse::impl::EinfuseOuterParallelBase<OuterParallelPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> inner;
    getOperation()->walk([&](scf::ParallelOp op) {
      if (op->getParentOfType<scf::ParallelOp>() && op.getNumResults() == 0)
        inner.push_back(op);
    });
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
