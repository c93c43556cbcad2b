//===- DeviceModule.cpp - The driver both GPU targets share ---------------===//
#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

namespace einfuse::gpu {

FailureOr<GPUModule> buildDeviceModule(ModuleOp module, Attribute targetAttr,
                                       StringRef target,
                                       KernelPlanBuilder buildPlan,
                                       function_ref<void(OpPassManager &)>
                                           addLowering,
                                       Assembler assemble, bool assemblyOnly) {
  MLIRContext *ctx = module.getContext();
  FailureOr<std::vector<KernelSignature>> sigs = collectKernels(module);
  if (failed(sigs))
    return failure();
  Location loc = module.getLoc();
  OwningOpRef<ModuleOp> device = ModuleOp::create(loc);
  (*device)->setAttr(mlir::gpu::GPUDialect::getContainerModuleAttrName(),
                     UnitAttr::get(ctx));
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(device->getBody());
  auto gpuModule = mlir::gpu::GPUModuleOp::create(
      b, loc, "einfuse_kernels", b.getArrayAttr({targetAttr}));

  GPUModule out;
  unsigned index = 0;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isPrivate() || fn.isExternal())
      continue;
    FailureOr<LaunchPlan> plan = buildPlan(gpuModule, fn, (*sigs)[index++]);
    if (failed(plan))
      return failure();
    out.plans.push_back(std::move(*plan));
  }
  if (failed(mlir::verify(*device)))
    return module.emitError("internal error: invalid kernels for ") << target;

  PassManager pm(ctx);
  addLowering(pm.nest<mlir::gpu::GPUModuleOp>());
  GpuModuleToBinaryPassOptions toBinary;
  toBinary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(toBinary));
  if (failed(pm.run(*device)))
    return module.emitError("cannot lower the kernels for ") << target;
  auto binary = *device->getOps<mlir::gpu::BinaryOp>().begin();
  auto object = cast<mlir::gpu::ObjectAttr>(binary.getObjects()[0]);
  out.assembly = object.getObject().getValue().str();
  if (assemblyOnly)
    return out;
  std::string error;
  FailureOr<std::string> bin = assemble(out.assembly, error);
  if (failed(bin))
    return module.emitError("cannot assemble the kernels for ")
           << target << ": " << error;
  out.binary = std::move(*bin);
  return out;
}

} // namespace einfuse::gpu
