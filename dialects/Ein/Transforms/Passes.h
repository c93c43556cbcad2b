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

/// Why a cascade has no online form over a rank (`--ein-online-normalize`).
enum class OnlineRefusal {
  None,
  AlreadyOnePass,        ///< nothing to remove
  IterationCarriesRank,  ///< an earlier iteration's state has the rank
  IterationStateUnknown, ///< an earlier iteration's state has unknown ranks
  NoBarrier,             ///< no max or min over the rank read again along it
                         ///< (internal: buildOnlineIteration then tries
                         ///< Welford and reports NoBarrierNoVariance)
  SeveralBarriers,       ///< two extrema over the rank are read along it
  MaxNotThroughExp,      ///< the extremum enters other than exp(w * G + y)
  ExpOfWrongSign,        ///< exp(w * G) with w of the sign that overflows
  TwoReadsOfMax,         ///< pass 1 reads the extremum through two values
  GuardChangesRanks,     ///< what pass 1 reads for it has other ranks
  TwoScaledOperands,     ///< a map multiplies two values scaled by exp(w*G)
  ScaledNotMultiplicative, ///< a scaled value enters a non-multiplicative map
  NoRescaledSum,         ///< no sum carries exp(w * G): nothing to gain
  RescaledLacksRank,     ///< a rescaled sum lacks a rank of the extremum
  CannotSizeState,       ///< no input gives a dynamic extent of a state
  InputIndexedNotPlain,  ///< an input is indexed by the rank in an
                         ///< expression other than `r floordiv d`
  InputIndexedTwice,     ///< an input is indexed by the rank in two dims
  InputNotPlain,         ///< an input is indexed by an expression of ranks
  NoPlainInput,          ///< no input indexed plainly gives the extent
  // Welford's update (a sum and a variance about a value derived from it):
  NoBarrierNoVariance,        ///< neither an extremum nor a variance
  VarianceNotOfDifference,    ///< the sum of squares is not of x - m
  VarianceAboutOtherValue,    ///< the variance is of another value than x
  SummedValueComputed,        ///< x is computed in the cascade
  VarianceIndexedDifferently, ///< the mean and variance index differently
  WelfordNotF32,              ///< Welford's update is built for f32
  VarianceNotAboutSum,        ///< m is not derived from the sum
  SumReadAlongRank,           ///< the sum is read again along the rank
  // A plain iteration (split-K of sums):
  NotOnePass,      ///< the rank needs several passes: an online form first
  AlreadyIterated, ///< an iteration already runs over the rank
  NoReduction,     ///< nothing reduces the rank
};

/// The refusal `why`, of rank `rank`, in words; `detail` names the rank or
/// iteration a reason concerns.
std::string describe(OnlineRefusal why, llvm::StringRef rank,
                     llvm::StringRef detail = "");

/// A refusal with the op it concerns (null: the cascade).
struct OnlineRefusalInfo {
  OnlineRefusal reason = OnlineRefusal::None;
  std::string detail;
  mlir::Operation *at = nullptr;
};

/// Rewrites `cascade` into its online form over `rank`: one `ein.iterate`
/// over tiles of `tileSize` carrying the running states (a running max or
/// min and the sums it rescales, or Welford's count, mean and M2). Einsums
/// along `rank` that need the final state stay after the iteration (the
/// 2-pass online normaliser of softmax). Returns the iteration, or fails
/// with the IR unchanged and the reason in `why`.
mlir::FailureOr<IterateOp>
buildOnlineIteration(mlir::RewriterBase &rewriter, CascadeOp cascade,
                     llvm::StringRef rank, int64_t tileSize,
                     OnlineRefusalInfo *why = nullptr);

/// The online rewrite of one cascade (what `--ein-online-normalize` does
/// to each): over `rank`, or every rank that takes more than one pass when
/// `rank` is empty, one iteration per barrier, in sequence. Returns the
/// number of iterations built; `refusals` gets, per rank rewritten not at
/// all, why.
int64_t normalizeOnline(
    mlir::RewriterBase &rewriter, CascadeOp cascade, llvm::StringRef rank,
    int64_t tileSize,
    llvm::SmallVectorImpl<std::pair<std::string, OnlineRefusalInfo>>
        *refusals = nullptr);

/// A pattern on `ein.cascade` doing normalizeOnline with `options` (the
/// pass's); it fails, saying why, when it builds no iteration, so a greedy
/// driver reaches a fixpoint. `options.remarks` also emits each refusal as
/// a remark (the pass drives it with one walk).
void populateEinOnlineNormalizePatterns(
    mlir::RewritePatternSet &patterns,
    const EinOnlineNormalizeOptions &options);

/// Rewrites the reductions over `rank` (sums, maxes, mins; other reduced
/// ranks are reduced whole in each tile) of a
/// cascade that takes 1 pass over it into one `ein.iterate` whose states
/// are those reductions, combined by `sum`/`max`/`min`, so that
/// partitionIteration can split them (split-K of a matmul or a sum at
/// decode). Fails with the reason, IR unchanged.
mlir::FailureOr<IterateOp>
buildPlainIteration(mlir::RewriterBase &rewriter, CascadeOp cascade,
                    llvm::StringRef rank, int64_t tileSize,
                    OnlineRefusalInfo *why = nullptr);

/// Why an iteration is not split across workers.
enum class PartitionRefusal {
  NoCombine,         ///< no `combine`: how states merge is unknown
  StateNotEinsum,    ///< a state is not an Einsum's result: ranks unknown
  RescaledLacksRank, ///< a rescaled sum (Welford mean, M2) lacks a rank of
                     ///< the state its merge reads (its max, its count)
  AlreadySplit,      ///< the iteration already has `workers` (from the
                     ///< API: the pass and pattern skip such iterations)
};
llvm::StringRef describe(PartitionRefusal reason);

/// Splits `it` into `workers` chunks iterated independently (one iteration
/// with `workers`) and replaces its results with the combine of the
/// chunks' states, a reduction over a new rank of the cascade. Returns the
/// combined states, or fails (IR unchanged) with the reason in `why`.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
partitionIteration(mlir::RewriterBase &rewriter, IterateOp it, int64_t workers,
                   PartitionRefusal *why = nullptr);

/// Moves the split iteration `it` (with `workers`, a direct child of its
/// cascade, its results read by Einsums at the workers' rank in dim 0, as
/// the partition's merge reads them) into a cascade of its own, inserted
/// before: the iteration, the ops of the cascade it reads, and a copy of
/// each result, yielded. The old cascade reads the new one's results. The
/// workers' rank is then a result rank of the new cascade, so its
/// TilingInterface tiles the workers like any parallel rank: split-KV and
/// split-K as separate kernels (one per tile of workers, then the merge),
/// where the old cascade ran every chunk in each of its tiles. Fails (IR
/// unchanged) where `it` is not such an iteration.
mlir::FailureOr<CascadeOp> separateSplitIteration(mlir::RewriterBase &rewriter,
                                                  IterateOp it);

/// A pattern on `ein.cascade` that, when `options.workers` > 1 and
/// `options.rank` is set, turns the plain sums over that rank into an
/// iteration (buildPlainIteration) for the partition patterns to split.
void populateEinSplitKPatterns(mlir::RewritePatternSet &patterns,
                               const EinPartitionOptions &options);

/// A pattern on `ein.iterate` without `workers` that splits it across
/// `options.workers` (partitionIteration); it fails, saying why, where it
/// does not apply. With `options.remarks` the refusal is also a remark.
void populateEinPartitionPatterns(mlir::RewritePatternSet &patterns,
                                  const EinPartitionOptions &options);

#define GEN_PASS_REGISTRATION
#include "Ein/Transforms/Passes.h.inc"

} // namespace einfuse::ein

#endif
