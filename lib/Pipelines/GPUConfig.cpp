//===- GPUConfig.cpp - Each GPU kernel's configuration, in the IR ---------===//
//
// `--einfuse-gpu-config`, the first step of `--einfuse-gpu-pipeline`: every
// kernel function gets its `#ein.gpu_config` (threads, lanes, tile, matrix
// tile, K split), from the target's defaults (GPUTargetInfo), the options
// and the kernel's shape, unless it has one. The later steps read it.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "Ein/IR/EinDialect.h"
#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEGPUCONFIG
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace einfuse {
namespace {

/// Whether a kernel function's work contracts two tensors (attention's
/// scores, a matmul): an Einsum that reduces a rank of two of its inputs.
/// Its key tile then sizes a lane's private score tile, so it stays small;
/// a row-wise cascade (softmax, norms) keeps no tile of values and takes
/// long tiles, which amortise the lanes' combines.
static bool hasContraction(func::FuncOp fn) {
  bool found = false;
  fn.walk([&](Operation *op) {
    if (isa<ein::AttentionOp, ein::QMatmulOp>(op))
      found = true;
    auto e = dyn_cast<ein::EinsumOp>(op);
    if (!e || e.getInputs().size() < 2)
      return;
    for (unsigned r : e.getReducedRankPositions()) {
      unsigned readers = 0;
      for (unsigned i = 0; i < e.getInputs().size(); ++i)
        readers += e.getInputMap(i).isFunctionOfDim(r);
      found |= readers >= 2;
    }
  });
  return found;
}

struct GPUConfigPass : public impl::EinfuseGPUConfigBase<GPUConfigPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::unique_ptr<gpu::GPUTargetInfo> info =
        getGPUTargetInfo(target, module, getArgument());
    if (!info)
      return signalPassFailure();
    gpu::GPUConfig base = info->getDefaultConfig();
    if (threads)
      base.threads = threads;
    if (lanes)
      base.lanes = lanes;
    if (matrixTile)
      base.matrixTile = matrixTile;
    int64_t subgroup = info->getSubgroupSize();
    if (base.lanes != subgroup)
      base.matrixTile = 1;
    // Subgroups share a matrix tile only when a block is one tile.
    if (base.matrixTile == 1 || base.kSplit != base.threads / base.lanes)
      base.kSplit = 1;
    MLIRContext *ctx = &getContext();
    StringRef name = ein::GPUConfigAttr::getAttrName();
    for (func::FuncOp fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal() || fn.isPrivate())
        continue;
      if (auto given = fn->getAttrOfType<ein::GPUConfigAttr>(name)) {
        if (given.getMatrixTile() > 1 && given.getLanes() != subgroup) {
          fn.emitError("ein.gpu_config: matrix_tile ")
              << given.getMatrixTile() << " needs lanes = the subgroup size of "
              << info->getName() << " (" << subgroup << "), got "
              << given.getLanes();
          return signalPassFailure();
        }
        continue;
      }
      int64_t tile = tileSize ? int64_t(tileSize)
                     : hasContraction(fn) ? base.tileSize
                                          : 1024;
      fn->setAttr(name,
                  ein::GPUConfigAttr::get(ctx, base.threads, base.lanes, tile,
                                          base.matrixTile, base.kSplit));
    }
  }
};
} // namespace
} // namespace einfuse
