//===- HalfMemoryAsIntegers.cpp - bf16 loads and stores as i16 ------------===//
//
// `--einfuse-half-memory-as-integers` (see Passes.td): LLVM's x86 back end
// turns a bfloat vector it has to split into f32 conversions that call
// compiler-rt's __truncsfbf2; moving the same bits as i16 needs none.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEHALFMEMORYASINTEGERS
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {
/// `type` with bf16 replaced by i16 (scalar or vector), or null when it
/// holds no bf16.
static Type asIntegers(Type type) {
  Builder b(type.getContext());
  if (type.isBF16())
    return b.getI16Type();
  if (auto vec = dyn_cast<VectorType>(type); vec && vec.getElementType().isBF16())
    return vec.clone(b.getI16Type());
  return {};
}

struct HalfMemoryAsIntegersPass
    : public einfuse::impl::EinfuseHalfMemoryAsIntegersBase<
          HalfMemoryAsIntegersPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<LLVM::LoadOp, LLVM::StoreOp, LLVM::MaskedLoadOp,
              LLVM::MaskedStoreOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      if (isa<LLVM::LoadOp, LLVM::MaskedLoadOp>(op)) {
        // The load of the bits, then a bitcast for its users.
        Type type = op->getResult(0).getType();
        Type ints = asIntegers(type);
        if (!ints)
          continue;
        Operation *wide = b.clone(*op);
        wide->getResult(0).setType(ints);
        if (auto masked = dyn_cast<LLVM::MaskedLoadOp>(wide)) {
          b.setInsertionPoint(masked);
          for (OpOperand &passThru : masked.getPassThruMutable())
            passThru.set(LLVM::BitcastOp::create(b, op->getLoc(), ints,
                                                 passThru.get()));
        }
        b.setInsertionPointAfter(wide);
        Value back = LLVM::BitcastOp::create(b, op->getLoc(), type,
                                             wide->getResult(0));
        op->getResult(0).replaceAllUsesWith(back);
        op->erase();
        continue;
      }
      OpOperand &value = isa<LLVM::StoreOp>(op)
                             ? cast<LLVM::StoreOp>(op).getValueMutable()
                             : cast<LLVM::MaskedStoreOp>(op).getValueMutable();
      Type ints = asIntegers(value.get().getType());
      if (!ints)
        continue;
      value.set(LLVM::BitcastOp::create(b, op->getLoc(), ints, value.get()));
    }
  }
};
} // namespace
