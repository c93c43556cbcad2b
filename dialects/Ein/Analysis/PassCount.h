//===- PassCount.h - Passes over a rank and on-chip footprint ---*- C++ -*-===//
//
// FuseMax's pass counting. A reduction that removes rank r, followed by a
// consumer that iterates r again, is a barrier: the consumer needs one more
// pass over the r-fibres of the inputs (or an on-chip buffer that grows with
// the extent of r). The number of passes over r is 1 + the most barrier
// edges on any path of the cascade.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_DIALECTS_EIN_ANALYSIS_PASSCOUNT_H
#define EINFUSE_DIALECTS_EIN_ANALYSIS_PASSCOUNT_H

#include "Ein/IR/EinDialect.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <string>

namespace einfuse::ein {

/// The footprint as a polynomial in tile sizes `T_x` and full extents
/// `M_x`: each term is a coefficient times a product of symbols.
struct Footprint {
  /// Sorted symbol list ("M_m", "T_p", ...) -> number of elements.
  std::map<std::vector<std::string>, int64_t> terms;
  void add(std::vector<std::string> symbols, int64_t coefficient);
  /// Elements for given tile sizes and extents; a missing symbol is 1.
  double evaluate(const llvm::StringMap<int64_t> &sizes) const;
  std::string str() const;
};

/// Pass counts of one cascade.
struct RankPasses {
  std::string rank;
  /// Passes over the r-fibres of the inputs (0 when nothing iterates r).
  int64_t passes = 0;
  /// Pass (0-based) in which each op of the cascade body runs; ops that do
  /// not iterate r run when their operands are complete.
  llvm::DenseMap<mlir::Operation *, int64_t> opPass;
  /// On-chip elements when every rank is tiled (`T_x`), except that a value
  /// of rank r that crosses a barrier is held whole (`M_r`).
  Footprint footprint;
};

class CascadePassAnalysis {
public:
  explicit CascadePassAnalysis(CascadeOp cascade);

  /// The ranks reduced by some Einsum of the cascade, in declaration order.
  llvm::ArrayRef<std::string> getReducedRanks() const { return reducedRanks; }
  /// Passes over `rank` (computed on demand for any declared rank).
  const RankPasses &getPasses(llvm::StringRef rank);
  /// The most passes over any reduced rank (1 for a cascade without
  /// reductions).
  int64_t getMaxPasses();

private:
  CascadeOp cascade;
  std::vector<std::string> reducedRanks;
  std::map<std::string, RankPasses> cache;
};

} // namespace einfuse::ein

#endif
