//===- Passes.h - Einfuse conversion passes ---------------------*- C++ -*-===//
#ifndef EINFUSE_CONVERSION_PASSES_H
#define EINFUSE_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewriterBase;
} // namespace mlir

namespace einfuse {

/// The attribute einfuse-gpu-matrix-ops puts on a tile loop whose points
/// several subgroups share (K split over them): the threads of one point,
/// which einfuse-gpu-map-tiles gives each point.
inline constexpr llvm::StringLiteral kGPUPointLanesAttr = "ein.gpu_point_lanes";

/// The attribute einfuse-gpu-matrix-ops puts on a tile loop whose points
/// keep buffers in workgroup memory (the scores of a key tile between two
/// products): the threads of a block, which einfuse-gpu-map-tiles uses
/// for that loop's launch instead of the kernel's, so that a block is one
/// point and its barriers are the point's.
inline constexpr llvm::StringLiteral kGPUBlockThreadsAttr =
    "ein.gpu_block_threads";

/// The attribute einfuse-gpu-matrix-ops puts on a copy into workgroup
/// memory that the points of a block share (a key or value tile several
/// points read, GPUShareTiles.cpp): einfuse-gpu-map-tiles spreads it over
/// the block's threads, not the point's lanes.
inline constexpr llvm::StringLiteral kGPUBlockCopyAttr = "ein.gpu_block_copy";

/// The attribute einfuse-gpu-matrix-ops puts on a size that differs between
/// the points of a block that share workgroup tiles (a point's rows):
/// einfuse-gpu-specialize-tiles never versions on it, since a version's
/// barriers must be reached by every point of the block alike.
inline constexpr llvm::StringLiteral kGPUDivergentSizeAttr =
    "ein.gpu_divergent_size";

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

/// Lowers `cascade` tile by tile along the parallel rank `rank` (tiles of
/// `tile`): upstream's scf::tileUsingSCF over the cascade's TilingInterface
/// (an scf.forall over the tiles, each a cascade on slices of the inputs
/// that inserts its slice of the results), then each tile lowered. Returns
/// false (and does nothing) when the rank is not one of the cascade's
/// parallel ranks (CascadeOp::getParallelRanks: reduced, iterated, indexed
/// inside a compound expression, static, or absent from a result).
llvm::FailureOr<bool> lowerCascadeTiled(mlir::RewriterBase &rewriter,
                                        ein::CascadeOp cascade,
                                        llvm::StringRef rank, int64_t tile);

/// The same over several ranks at once (rank, tile size): an scf.forall
/// with one dimension per rank that qualifies; the others stay whole.
/// Returns false when none qualifies.
llvm::FailureOr<bool>
lowerCascadeTiled(mlir::RewriterBase &rewriter, ein::CascadeOp cascade,
                  llvm::ArrayRef<std::pair<std::string, int64_t>> ranks);

#define GEN_PASS_REGISTRATION
#include "einfuse/Conversion/Passes.h.inc"

} // namespace einfuse

#endif
