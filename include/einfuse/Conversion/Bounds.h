//===- Bounds.h - Constant bounds of sizes inside a GPU tile ----*- C++ -*-===//
//
// Shared by convert-ein-to-gpu, einfuse-gpu-matrix-ops and
// einfuse-gpu-map-tiles: the sizes of a
// key tile are run-time values (min(tile, keys left)) with a constant
// bound, which decides a thread's buffer sizes and whether a rank is
// already a tile. Upstream's ValueBoundsConstraintSet would need the
// tensor and memref interfaces registered in every embedder; the patterns
// here are the few the lowering produces.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_CONVERSION_BOUNDS_H
#define EINFUSE_CONVERSION_BOUNDS_H

#include "mlir/IR/Value.h"

#include <optional>

namespace einfuse {
/// A constant upper bound of the index `v`, when its producers show one
/// (constants, min/max/add/mul, affine.min, the size of a tensor slice).
std::optional<int64_t> constantUpperBound(mlir::Value v, int depth = 0);
} // namespace einfuse

#endif
