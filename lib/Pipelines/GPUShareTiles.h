//===- GPUShareTiles.h - Points of a block sharing staged tiles -*- C++ -*-===//
//
// Part of einfuse-gpu-matrix-ops (GPUShareTiles.cpp): several tile points
// in one block, sharing the operand tiles they stage in workgroup memory.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_PIPELINES_GPUSHARETILES_H
#define EINFUSE_PIPELINES_GPUSHARETILES_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/DenseMap.h"

namespace einfuse {

/// Where a point of a tile loop sits among the `groups` points of its
/// block (consecutive along the loop's last dim, `rows`, of constant step):
/// `slot` = (rows / step) mod groups, made at the start of the point. A
/// buffer of one point (its query rows) is then one of `groups` in
/// workgroup memory; a buffer that does not depend on `rows` (a key tile)
/// is one the block's points share.
struct BlockSlot {
  int64_t groups = 1;
  mlir::Value rows;
  mlir::Value slot;
  /// Whether `v` depends on `rows` (through the ops of the point).
  bool dependsOnRows(mlir::Value v);
  llvm::DenseMap<mlir::Value, bool> memo;
};

/// The slot of the points of `tile` in blocks of `groups`, when its last
/// dim has a constant step and starts at 0; nullopt otherwise.
std::optional<BlockSlot> makeBlockSlot(mlir::scf::ForallOp tile,
                                       int64_t groups);

/// Makes the points of `tile` share, `slot.groups` to a block, the
/// workgroup tiles that `copies` (linalg.copy ops into workgroup memory
/// whose sources do not depend on the point's rows) fill:
///   - the last dim's extent is padded to whole blocks, so that a block's
///     points read the same tiles; a point past the end is inactive;
///   - each loop around a shared copy runs the union of its points' trips
///     (its bounds evaluated at each point of the block), and the point's
///     own work in it runs under its own bounds; every op but the shared
///     copies, the barriers and those loops runs only in an active point,
///     so that every thread of the block reaches every barrier and copy;
///   - a size of the point that is a minimum with the step (its rows, the
///     last tile short) becomes uniform: the step where the whole block is
///     inside the extent (einfuse-gpu-specialize-tiles versions on that),
///     the point's own size otherwise;
///   - the copies are marked for einfuse-gpu-map-tiles to spread over the
///     block, and the loop gets `ein.gpu_block_threads` =
///     groups * `pointLanes`.
/// Returns false without changing anything when the structure is not this
/// (a copy under a conditional, a loop bound computed by ops with effects):
/// the block is then one point, as without sharing. Fails (with an internal
/// error) only when the rewrite it planned could not be completed.
mlir::FailureOr<bool>
shareStagedTiles(mlir::scf::ForallOp tile, BlockSlot &slot,
                 llvm::ArrayRef<mlir::Operation *> copies, int64_t pointLanes);

} // namespace einfuse

#endif
