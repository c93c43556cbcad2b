//===- MaskedTiles.h - Tiles of an iteration a positional mask hides -*- C++ -*-===//
//
// Causal and sliding-window attention mask keys by position: `m - q <= c`.
// In the online form, a key tile that the mask hides from every query of a
// query tile contributes the identity of the combine (max -inf, sums of
// exp(-inf) = 0), so a lowering may skip it. This analysis finds those
// bounds on the IR of an `ein.iterate`; every target's lowering reads them
// (the CPU lowering in EinToLinalg today), none re-derives them from a
// named op's attributes.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_DIALECTS_EIN_ANALYSIS_MASKEDTILES_H
#define EINFUSE_DIALECTS_EIN_ANALYSIS_MASKEDTILES_H

#include "Ein/IR/EinDialect.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace einfuse::ein {

/// A positional condition `m - q - off <= c` (upper) or `>= c` (lower) on
/// the iterated rank m and another rank q, with off = 0 or, when
/// `byExtents`, extent(m) - extent(q) (bottom-right alignment).
struct PositionBound {
  std::string q;
  bool upper;
  int64_t c;
  bool byExtents;
  unsigned stateDim; ///< q's dim in the running max
};

/// For an iteration in the online softmax form (combine: a running max and
/// sums rescaled by it) whose max is over a value X that a positional mask
/// sets to -inf, and which every other Einsum sees only as exp(X - g): the
/// mask's bounds, each with the dim of the running max q indexes. A tile
/// where X is -inf throughout contributes the combine's identity, so it can
/// be skipped. Empty when the iteration has no such form.
llvm::SmallVector<PositionBound> findMaskedTiles(IterateOp it);

} // namespace einfuse::ein

#endif
