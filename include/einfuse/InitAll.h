//===- InitAll.h - Register everything Einfuse provides ---------*- C++ -*-===//
#ifndef EINFUSE_INITALL_H
#define EINFUSE_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace einfuse {

/// Adds the Ein dialect and every upstream dialect (and interface
/// implementation) the Einfuse pipelines produce to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers Ein passes, Einfuse conversions and pipelines.
void registerAllPasses();

} // namespace einfuse

#endif
