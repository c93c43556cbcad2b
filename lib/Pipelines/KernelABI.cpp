//===- KernelABI.cpp - Kernel calling convention ---------------------------===//
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEKERNELABI
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {
struct KernelABIPass
    : public einfuse::impl::EinfuseKernelABIBase<KernelABIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isPrivate() || fn.isExternal())
        continue;
      FunctionType type = fn.getFunctionType();
      bool anyTensor = false, allRanked = true;
      for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
        if (auto tt = dyn_cast<TensorType>(t)) {
          anyTensor = true;
          allRanked &= isa<RankedTensorType>(tt);
        } else {
          allRanked = false;
        }
      }
      if (!anyTensor)
        continue;
      if (!allRanked) {
        fn.emitError("unsupported kernel signature: every argument and result "
                     "of a public function must be a ranked tensor");
        return signalPassFailure();
      }
      kernels.push_back(fn);
    }

    OpBuilder b(&getContext());
    for (func::FuncOp fn : kernels) {
      FunctionType type = fn.getFunctionType();
      std::string name = fn.getName().str();
      fn.setName(name + "__tensor_body");
      fn.setPrivate();

      auto toMemref = [](Type t) -> Type {
        auto tt = cast<RankedTensorType>(t);
        return MemRefType::get(tt.getShape(), tt.getElementType());
      };
      SmallVector<Type> args;
      for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults()))
        args.push_back(toMemref(t));
      b.setInsertionPoint(fn);
      auto kernel = func::FuncOp::create(b, fn.getLoc(), name,
                                         b.getFunctionType(args, {}));
      kernel->setAttr("llvm.emit_c_interface", b.getUnitAttr());
      // The kernel keeps the function's Ein attributes (its GPU
      // configuration, ein.gpu_config): the body is inlined into it.
      for (NamedAttribute attr : fn->getDiscardableAttrs())
        if (attr.getName().getValue().starts_with("ein."))
          kernel->setAttr(attr.getName(), attr.getValue());
      Block *entry = kernel.addEntryBlock();
      b.setInsertionPointToStart(entry);
      SmallVector<Value> ins;
      for (auto [i, t] : llvm::enumerate(type.getInputs()))
        ins.push_back(bufferization::ToTensorOp::create(
            b, fn.getLoc(), t, entry->getArgument(i), b.getUnitAttr()));
      auto call = func::CallOp::create(b, fn.getLoc(), fn, ins);
      for (auto [i, r] : llvm::enumerate(call.getResults()))
        bufferization::MaterializeInDestinationOp::create(
            b, fn.getLoc(), Type(), r,
            entry->getArgument(type.getNumInputs() + i), /*restrict=*/true,
            /*writable=*/true);
      func::ReturnOp::create(b, fn.getLoc());
    }
  }
};
} // namespace
