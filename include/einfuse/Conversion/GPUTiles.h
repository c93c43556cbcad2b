//===- GPUTiles.h - What the GPU lowering's passes ask of tiles -*- C++ -*-===//
//
// Shared by einfuse-gpu-matrix-ops, einfuse-gpu-specialize-tiles and
// einfuse-gpu-map-tiles: which loops are convert-ein-to-gpu's tile loops,
// which buffers are workgroup memory, and how a reduction's lanes combine.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_CONVERSION_GPUTILES_H
#define EINFUSE_CONVERSION_GPUTILES_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <optional>
#include <utility>

namespace einfuse {
/// Whether `forall` is a tile loop of convert-ein-to-gpu: every dim mapped
/// to GPU threads.
inline bool isGPUTileLoop(mlir::scf::ForallOp forall) {
  std::optional<mlir::ArrayAttr> mapping = forall.getMapping();
  return mapping && !mapping->empty() &&
         llvm::all_of(*mapping, [](mlir::Attribute a) {
           return llvm::isa<mlir::gpu::GPUThreadMappingAttr>(a);
         });
}

/// The largest operand tile einfuse-gpu-matrix-ops stages in workgroup
/// memory (a key or value tile); einfuse-gpu-config sizes key tiles by it.
constexpr int64_t kMaxStagedTileBytes = 16 * 1024;

/// Whether `buffer` is a memref in workgroup memory.
inline bool isWorkgroupBuffer(mlir::Value buffer) {
  auto type = llvm::dyn_cast<mlir::MemRefType>(buffer.getType());
  auto space = type ? llvm::dyn_cast_or_null<mlir::gpu::AddressSpaceAttr>(
                          type.getMemorySpace())
                    : nullptr;
  return space && space.getValue() == mlir::gpu::AddressSpace::Workgroup;
}

/// The combiner of a single-result reduction's body (`out = op(out, x)`,
/// out read once) as a subgroup reduction, with its neutral element;
/// nullopt otherwise (GPUMapTiles.cpp).
std::optional<std::pair<mlir::gpu::AllReduceOperation, mlir::TypedAttr>>
matchCombiner(mlir::linalg::LinalgOp op);
} // namespace einfuse

#endif
