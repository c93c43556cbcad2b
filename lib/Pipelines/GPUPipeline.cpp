//===- GPUPipeline.cpp - The shared GPU lowering as a pipeline ------------===//
//
// `--einfuse-gpu-pipeline` (its target step, --einfuse-gpu-target-hooks, is
// GPUTargetHooks.cpp): every GPU kernel that is not one of the
// remaining hand-written attention/qmatmul kernels comes out of this
// pipeline, from its cascade. Target-independent steps first (the same
// decomposition, online rewrite and TilingInterface tiling as the CPU),
// then the target's hooks (GPUTargetInfo) and its lowering.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "Ein/IR/EinDialect.h"
#include "Ein/Transforms/Passes.h"
#include "einfuse/Conversion/Passes.h"
#include "einfuse/Target/AMD.h"
#include "einfuse/Target/GPU.h"
#include "einfuse/Target/NVIDIA.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"



using namespace mlir;

namespace einfuse {

std::unique_ptr<gpu::GPUTargetInfo> getGPUTargetInfo(StringRef target,
                                                     std::string &error) {
  auto [vendor, chip] = target.split(':');
  if (vendor == "nvidia" && (chip == "sm_80" || chip == "sm_90a"))
    return nvidia::createTargetInfo(chip);
  if (vendor == "amd" && (chip == "gfx942" || chip == "gfx90a"))
    return amd::createTargetInfo(chip);
  error = ("unknown GPU target '" + target +
           "' (expected nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or "
           "amd:gfx90a)")
              .str();
  return nullptr;
}

std::unique_ptr<gpu::GPUTargetInfo>
getGPUTargetInfo(StringRef target, Operation *at, StringRef pass) {
  std::string error;
  std::unique_ptr<gpu::GPUTargetInfo> info = getGPUTargetInfo(target, error);
  if (!info)
    emitError(at->getLoc(), pass) << ": " << error;
  return info;
}

LogicalResult validateGPUPipelineOptions(const GPUPipelineOptions &options,
                                         std::string &error) {
  auto fail = [&](const Twine &message) {
    error = ("einfuse-gpu-pipeline: " + message).str();
    return failure();
  };
  std::string why;
  if (!getGPUTargetInfo(options.target, why))
    return fail(why);
  if (options.threads < 0 || options.threads > 1024)
    return fail("threads must be in [1, 1024] (0: the target's default), "
                "got " + Twine(int64_t(options.threads)));
  int64_t threads = options.threads ? int64_t(options.threads)
                                    : getGPUTargetInfo(options.target, why)
                                          ->getDefaultConfig()
                                          .threads;
  int64_t subgroup =
      getGPUTargetInfo(options.target, why)->getSubgroupSize();
  if (options.lanes < 0 || options.lanes > 1024 ||
      (options.lanes && threads % options.lanes) ||
      (options.lanes > subgroup && options.lanes % subgroup))
    return fail("lanes must be in [1, 1024], divide the threads per block (" +
                Twine(threads) + ") and be whole subgroups (" +
                Twine(subgroup) + ") when above one (0: the target's "
                "choice), got " + Twine(int64_t(options.lanes)));
  if (options.matrixTile < 0 || options.matrixTile > 256)
    return fail("matrix-tile must be in [1, 256] (0: the target's default), "
                "got " + Twine(int64_t(options.matrixTile)));
  if (options.smallM < -1 || options.smallM > ein::kMaxTileSize)
    return fail("small-m must be in [0, 2^31] (-1: the target's default), "
                "got " +
                Twine(int64_t(options.smallM)));
  if (options.split < -1 || options.split > ein::kMaxWorkers)
    return fail("split must be in [0, " + Twine(ein::kMaxWorkers) +
                "] (-1: the target's default), got " +
                Twine(int64_t(options.split)));
  if (options.tileSize < 0 || options.tileSize > ein::kMaxTileSize)
    return fail("tile-size must be in [1, 2^31] (0: the target's default), "
                "got " + Twine(int64_t(options.tileSize)));
  return success();
}

void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options) {
  std::string error;
  std::unique_ptr<gpu::GPUTargetInfo> info =
      getGPUTargetInfo(options.target, error);
  if (!info)
    llvm::report_fatal_error("einfuse: invalid GPU pipeline options");
  gpu::GPUConfig config = info->getDefaultConfig();
  if (options.threads)
    config.threads = options.threads;
  if (options.tileSize)
    config.tileSize = options.tileSize;
  if (options.lanes)
    config.lanes = options.lanes;
  if (options.matrixTile)
    config.matrixTile = options.matrixTile;
  // Matrix instructions take a whole subgroup per tile point.
  if (config.lanes != int64_t(info->getSubgroupSize()))
    config.matrixTile = 1;
  static bool registered =
      (mlir::registerAllPasses(), registerEinfusePasses(),
       registerEinfuseConversionPasses(), true);
  (void)registered;

  // Each kernel's configuration, in the IR (ein.gpu_config): the later
  // steps read it; the options below are their fallbacks.
  EinfuseGPUConfigOptions configOptions;
  configOptions.target = options.target;
  configOptions.threads = options.threads;
  configOptions.lanes = options.lanes;
  configOptions.tileSize = options.tileSize;
  configOptions.matrixTile = options.matrixTile;
  configOptions.smallM = options.smallM;
  configOptions.split = options.split;
  pm.addPass(createEinfuseGPUConfig(configOptions));
  // Target-independent: the cascade, in its fewest passes, tiled.
  pm.addPass(ein::createEinDecompose());
  ein::EinDynamicRanksOptions dynamic;
  dynamic.ranks = "all";
  pm.addPass(ein::createEinDynamicRanks(dynamic));
  pm.addPass(ein::createEinDeferredNormalize());
  ein::EinOnlineNormalizeOptions online;
  online.tileSize = config.tileSize;
  online.remarks = false;
  pm.addPass(ein::createEinOnlineNormalize(online));
  // Each kernel's `split` (ein.gpu_config) over the option's 1.
  ein::EinPartitionOptions partition;
  partition.workers = 1;
  partition.remarks = false;
  pm.addPass(ein::createEinPartition(partition));
  ConvertEinToGPUOptions toGPU;
  toGPU.tileSize = config.tileSize;
  toGPU.matrixTile = config.matrixTile;
  pm.addPass(createConvertEinToGPU(toGPU));
  pm.addPass(createConvertEinToLinalg());
  pm.addPass(createEinfuseKernelABI());
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  std::string tail =
      "canonicalize,cse,"
      // A thread's intermediates fuse into their consumers, so that what
      // stays is the iteration state and tiles of static size.
      "linalg-fuse-elementwise-ops,canonicalize,cse,"
      // Each tile writes its results in place, into the kernel's outputs.
      "eliminate-empty-tensors,"
      "one-shot-bufferize{bufferize-function-boundaries=true "
      "function-boundary-type-conversion=identity-layout-map},"
      "canonicalize,"
      "func.func(buffer-loop-hoisting,"
      "promote-buffers-to-stack{max-alloc-size-in-bytes=65536 "
      "max-rank-of-allocated-memref=4}),"
      "convert-bufferization-to-memref,"
      "einfuse-expand-copies,cse,canonicalize,"
      "func.func(einfuse-gpu-matrix-ops{target=" +
      options.target.getValue() + " lanes=" + std::to_string(config.lanes) +
      " columns=" + std::to_string(config.matrixTile) +
      "}),"
      // Whole tiles at constant sizes: a thread's state in registers.
      "func.func(einfuse-gpu-specialize-tiles),canonicalize,cse,"
      "func.func(einfuse-gpu-map-tiles{threads=" +
      std::to_string(config.threads) +
      " lanes=" + std::to_string(config.lanes) +
      " subgroup=" + std::to_string(info->getSubgroupSize()) +
      "}),"
      "func.func(convert-linalg-to-loops),"
      "affine-expand-index-ops,lower-affine,canonicalize,cse,"
      "gpu-launch-sink-index-computations,gpu-kernel-outlining,"
      "einfuse-gpu-target-hooks{target=" +
      options.target.getValue() + "}";
  if (failed(parsePassPipeline(tail, pm)))
    llvm::report_fatal_error("einfuse: the built-in GPU pipeline does not parse");
  if (options.lowerKernels)
    info->addLowering(pm.nest<mlir::gpu::GPUModuleOp>());
}

} // namespace einfuse

namespace einfuse {

FailureOr<gpu::LaunchPlan> buildCascadeKernels(mlir::gpu::GPUModuleOp kernels,
                                               func::FuncOp fn,
                                               const KernelSignature &sig,
                                               StringRef target,
                                               StringRef pipelineOptions) {
  // The pipeline runs on a module of `fn` and the private functions it may
  // call, so that the caller's module is left as it was.
  auto parent = fn->getParentOfType<ModuleOp>();
  OwningOpRef<ModuleOp> copy = ModuleOp::create(parent.getLoc());
  OpBuilder b = OpBuilder::atBlockEnd(copy->getBody());
  for (auto f : parent.getOps<func::FuncOp>())
    if (f == fn || f.isPrivate())
      b.clone(*f.getOperation());
  PassManager pm(fn.getContext());
  GPUPipelineOptions options;
  std::string parseErrors;
  llvm::raw_string_ostream errs(parseErrors);
  if (failed(options.parseFromString(pipelineOptions, errs)))
    return fn.emitError("invalid GPU pipeline options '")
           << pipelineOptions.trim() << "'" << (parseErrors.empty() ? "" : ": ")
           << StringRef(parseErrors).trim();
  options.target = target.str();
  options.lowerKernels = false;
  std::string invalid;
  if (failed(validateGPUPipelineOptions(options, invalid)))
    return fn.emitError(invalid);
  // The configuration for this kernel's shape of work is chosen by the
  // pipeline's first step (einfuse-gpu-config, docs/gpu.md).
  buildGPUPipeline(pm, options);
  if (failed(pm.run(*copy)))
    return failure();
  auto host = copy->lookupSymbol<func::FuncOp>(fn.getName());
  if (!host)
    return fn.emitError("internal error: the GPU pipeline lost the kernel");
  // Outlining names each kernel's module <fn>_kernel[_N] and the kernel in
  // it <fn>_kernel: the kernel takes its module's name, so that a
  // function's several kernels stay distinct in one device module.
  for (auto module : copy->getOps<mlir::gpu::GPUModuleOp>())
    for (auto kernel : module.getOps<mlir::gpu::GPUFuncOp>())
      if (kernel.isKernel() && kernel.getName() != module.getName()) {
        StringAttr oldName = kernel.getNameAttr();
        kernel.setName(module.getName());
        host.walk([&](mlir::gpu::LaunchFuncOp launch) {
          if (launch.getKernelModuleName() == module.getNameAttr() &&
              launch.getKernelName() == oldName)
            launch.setKernelAttr(SymbolRefAttr::get(
                module.getNameAttr(),
                {FlatSymbolRefAttr::get(module.getNameAttr())}));
        });
      }
  FailureOr<gpu::LaunchPlan> plan = gpu::planLaunches(host, sig);
  if (failed(plan))
    return failure();
  // The kernels join the device module (their names, <fn>_kernel[_N], are
  // unique because kernel functions' names are).
  Block &into = kernels.getBodyRegion().front();
  for (auto module :
       llvm::make_early_inc_range(copy->getOps<mlir::gpu::GPUModuleOp>())) {
    for (Operation &op :
         llvm::make_early_inc_range(module.getBodyRegion().front()))
      op.moveBefore(&into, into.end());
    module.erase();
  }
  return plan;
}


} // namespace einfuse
