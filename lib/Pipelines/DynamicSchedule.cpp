//===- DynamicSchedule.cpp - OpenMP loops hand out iterations on demand ----===//
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEDYNAMICSCHEDULE
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {
struct DynamicSchedulePass
    : public einfuse::impl::EinfuseDynamicScheduleBase<DynamicSchedulePass> {
  void runOnOperation() override {
    getOperation()->walk([&](omp::WsloopOp loop) {
      // Only loops whose iterations are loop nests themselves (tiles): a
      // loop over elements keeps the static schedule, where one dispatch
      // per element would cost more than the element.
      bool tiles = loop.getRegion()
                       .walk([](Operation *op) {
                         return isa<scf::ForOp, scf::WhileOp>(op)
                                    ? WalkResult::interrupt()
                                    : WalkResult::advance();
                       })
                       .wasInterrupted();
      if (tiles && !loop.getScheduleKind())
        loop.setScheduleKind(omp::ClauseScheduleKind::Dynamic);
    });
  }
};
} // namespace
