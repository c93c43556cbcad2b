//===- Passes.h - Ein dialect passes ----------------------------*- C++ -*-===//
#ifndef EINFUSE_DIALECTS_EIN_TRANSFORMS_PASSES_H
#define EINFUSE_DIALECTS_EIN_TRANSFORMS_PASSES_H

#include "Ein/IR/EinDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
class RewriterBase;
} // namespace mlir

namespace einfuse::ein {

#define GEN_PASS_DECL
#include "Ein/Transforms/Passes.h.inc"

/// Patterns that rewrite `ein.attention` and `ein.qmatmul` into cascades.
void populateEinDecomposePatterns(mlir::RewritePatternSet &patterns);

/// Patterns that move a normalising factor past sum reductions
/// (`--ein-deferred-normalize`).
void populateEinDeferredNormalizePatterns(mlir::RewritePatternSet &patterns);

/// Why an iteration is not split across workers.
enum class PartitionRefusal {
  NoCombine,         ///< no `combine`: how states merge is unknown
  StateNotEinsum,    ///< a state is not an Einsum's result: ranks unknown
  RescaledLacksRank, ///< a rescaled sum lacks a rank of its max
  AlreadySplit,      ///< the iteration already has `workers`
};
llvm::StringRef describe(PartitionRefusal reason);

/// Splits `it` into `workers` chunks iterated independently (one iteration
/// with `workers`) and replaces its results with the combine of the
/// chunks' states, a reduction over a new rank of the cascade. Returns the
/// combined states, or fails (IR unchanged) with the reason in `why`.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
partitionIteration(mlir::RewriterBase &rewriter, IterateOp it, int64_t workers,
                   PartitionRefusal *why = nullptr);

#define GEN_PASS_REGISTRATION
#include "Ein/Transforms/Passes.h.inc"

} // namespace einfuse::ein

#endif
