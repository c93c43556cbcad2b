//===- Passes.h - Einfuse conversion passes ---------------------*- C++ -*-===//
#ifndef EINFUSE_CONVERSION_PASSES_H
#define EINFUSE_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewriterBase;
} // namespace mlir

namespace einfuse {
namespace ein {
class CascadeOp;
} // namespace ein

#define GEN_PASS_DECL
#include "einfuse/Conversion/Passes.h.inc"

/// Lowers one cascade to linalg.generic ops inlined before it, and erases
/// it. Reports (and fails) when an Einsum cannot be expressed as a
/// linalg.generic.
llvm::LogicalResult lowerCascadeToLinalg(mlir::RewriterBase &rewriter,
                                         ein::CascadeOp cascade);

#define GEN_PASS_REGISTRATION
#include "einfuse/Conversion/Passes.h.inc"

} // namespace einfuse

#endif
