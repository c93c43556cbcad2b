//===- ExpandCopies.cpp - memref.copy as linalg.copy -----------------------===//
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEEXPANDCOPIES
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {
struct ExpandCopiesPass
    : public einfuse::impl::EinfuseExpandCopiesBase<ExpandCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp op : copies) {
      OpBuilder b(op);
      linalg::CopyOp::create(b, op.getLoc(), op.getSource(), op.getTarget());
      op.erase();
    }
  }
};
} // namespace
