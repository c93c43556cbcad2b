//===- Passes.h - Ein dialect passes ----------------------------*- C++ -*-===//
#ifndef EINFUSE_DIALECTS_EIN_TRANSFORMS_PASSES_H
#define EINFUSE_DIALECTS_EIN_TRANSFORMS_PASSES_H

#include "Ein/IR/EinDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace einfuse::ein {

#define GEN_PASS_DECL
#include "Ein/Transforms/Passes.h.inc"

/// Most workers `--ein-partition` splits an iteration across.
constexpr int64_t kMaxWorkers = 64;

/// Patterns that rewrite `ein.attention` and `ein.qmatmul` into cascades.
void populateEinDecomposePatterns(mlir::RewritePatternSet &patterns);

/// Patterns that move a normalising factor past sum reductions
/// (`--ein-deferred-normalize`).
void populateEinDeferredNormalizePatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "Ein/Transforms/Passes.h.inc"

} // namespace einfuse::ein

#endif
