//===- GPUTiles.h - What the GPU lowering's passes ask of tiles -*- C++ -*-===//
//
// Shared by einfuse-gpu-matrix-ops, einfuse-gpu-specialize-tiles and
// einfuse-gpu-map-tiles: which loops are convert-ein-to-gpu's tile loops,
// and which buffers are workgroup memory.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_CONVERSION_GPUTILES_H
#define EINFUSE_CONVERSION_GPUTILES_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

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

/// Whether `buffer` is a memref in workgroup memory.
inline bool isWorkgroupBuffer(mlir::Value buffer) {
  auto type = llvm::dyn_cast<mlir::MemRefType>(buffer.getType());
  auto space = type ? llvm::dyn_cast_or_null<mlir::gpu::AddressSpaceAttr>(
                          type.getMemorySpace())
                    : nullptr;
  return space && space.getValue() == mlir::gpu::AddressSpace::Workgroup;
}
} // namespace einfuse

#endif
