//===- InitAll.cpp - Register everything Einfuse provides ------------------===//
#include "einfuse/InitAll.h"

#include "Ein/IR/EinDialect.h"
#include "Ein/Transforms/Passes.h"
#include "einfuse/Conversion/Passes.h"
#include "einfuse/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void einfuse::registerAllDialects(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<ein::EinDialect>();
}

void einfuse::registerAllPasses() {
  mlir::registerAllPasses();
  ein::registerEinPasses();
  registerEinfuseConversionPasses();
  registerPipelines();
}
