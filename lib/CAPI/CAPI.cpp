//===- CAPI.cpp - Einfuse C API --------------------------------------------===//
#include "einfuse-c/Einfuse.h"

#include "Ein/IR/EinDialect.h"
#include "einfuse/Compiler.h"
#include "einfuse/InitAll.h"
#include "einfuse/InputCheck.h"
#include "einfuse/Pipelines.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Pass.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Ein, ein, einfuse::ein::EinDialect)

void einfuseRegisterAllDialects(MlirDialectRegistry registry) {
  einfuse::registerAllDialects(*unwrap(registry));
}

void einfuseRegisterAllPasses(void) { einfuse::registerAllPasses(); }

void einfuseBuildCPUPipeline(MlirOpPassManager pm) {
  einfuse::buildCPUPipeline(*unwrap(pm));
}

MlirLogicalResult einfuseCompileModule(MlirModule module, MlirStringRef target,
                                       MlirStringRef baseName,
                                       MlirStringCallback callback,
                                       void *userData) {
  std::string error;
  mlir::ModuleOp m = unwrap(module);
  llvm::FailureOr<einfuse::TargetSpec> kind =
      einfuse::parseTarget(unwrap(target), error);
  if (llvm::failed(kind)) {
    m.emitError(error);
    return mlirLogicalResultFailure();
  }
  auto artifacts = einfuse::compileModule(m, *kind, unwrap(baseName));
  if (llvm::failed(artifacts))
    return mlirLogicalResultFailure();
  auto emit = [&](llvm::StringRef what, const std::string &data) {
    callback(mlirStringRefCreate(what.data(), what.size()), userData);
    callback(mlirStringRefCreate(data.data(), data.size()), userData);
  };
  emit("object", artifacts->object);
  emit("header", artifacts->header);
  emit("launcher", artifacts->launcher);
  return mlirLogicalResultSuccess();
}

intptr_t einfuseFindParserHazard(MlirStringRef source,
                                 MlirStringCallback message, void *userData) {
  auto hazard = einfuse::findParserHazard(unwrap(source));
  if (!hazard)
    return -1;
  if (message)
    message(mlirStringRefCreate(hazard->second.data(), hazard->second.size()),
            userData);
  return static_cast<intptr_t>(hazard->first);
}
