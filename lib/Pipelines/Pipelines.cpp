//===- Pipelines.cpp - Einfuse pass pipelines ------------------------------===//
#include "einfuse/Pipelines.h"

#include "Ein/Transforms/Passes.h"
#include "einfuse/Conversion/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace einfuse {

void buildEinToLinalgPipeline(OpPassManager &pm) {
  pm.addPass(ein::createEinDecompose());
  pm.addPass(createConvertEinToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// The upstream tail of the CPU pipeline, from linalg on tensors to the LLVM
/// dialect. Written as a pipeline string so that it reads like the
/// mlir-opt invocation it is. With `threads`, the parallel loops of every
/// linalg op (batch, heads, queries, ...) become OpenMP worksharing loops;
/// memrefs are lowered before scf so that the OpenMP regions keep one
/// block.
static std::string cpuTail(const CPUPipelineOptions &options) {
  bool threads = options.threads;
  std::string tail =
      "one-shot-bufferize{bufferize-function-boundaries=true "
      "function-boundary-type-conversion=identity-layout-map "
      "allow-return-allocs-from-loops=true},"
      "canonicalize,"
      "buffer-deallocation-pipeline,"
      // A clone the deallocation inserts (e.g. a kernel body that returns
      // its argument) becomes an allocation and a copy.
      "convert-bufferization-to-memref,"
      "einfuse-expand-copies,";
  if (options.contractions) {
    // The kernels are compiled for the host (lib/Target/CPU), so the
    // default vector width is the host's.
    int64_t width = options.vectorWidth;
    if (width == 0)
      width = llvm::sys::getHostCPUFeatures().lookup("avx512f") ? 16 : 8;
    tail += "einfuse-cpu-contractions{vector-width=" + std::to_string(width) +
            " registers=" + std::to_string(width == 16 ? 32 : 16) + "},";
  }
  // Tiles of a parallel rank (scf.forall) run on the threads, or one by one.
  tail += threads ? "scf-forall-to-parallel," : "scf-forall-to-for,";
  if (threads)
    tail += "func.func(convert-linalg-to-parallel-loops),"
            "einfuse-outer-parallel,"
            "convert-scf-to-openmp,"
            "einfuse-dynamic-schedule,"
            "expand-strided-metadata,"
            "lower-affine,"
            "convert-vector-to-llvm{vector-transpose-lowering=shuffle16x16},"
            "finalize-memref-to-llvm,"
            "convert-scf-to-cf,";
  else
    tail += "func.func(convert-linalg-to-loops),"
            "expand-strided-metadata,"
            "lower-affine,"
            "convert-scf-to-cf,";
  if (options.approximateMath)
    tail += "einfuse-approximate-math,";
  if (!threads)
    tail += "convert-vector-to-llvm{vector-transpose-lowering=shuffle16x16},";
  tail += "arith-expand{include-bf16=true},"
          "convert-math-to-llvm,"
          "convert-math-to-libm,"
          "finalize-memref-to-llvm,"
          "convert-arith-to-llvm,"
          "convert-index-to-llvm,";
  if (threads)
    tail += "convert-openmp-to-llvm,";
  tail += "convert-func-to-llvm,"
          "convert-cf-to-llvm,"
          "reconcile-unrealized-casts,"
          "einfuse-half-memory-as-integers";
  return tail;
}

void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  pm.addPass(ein::createEinDecompose());
  // Threads tile the leading parallel ranks (or the one asked for), which
  // needs their dims dynamic: static heads of decode attention too.
  if (options.threads && options.parallelRank != "none") {
    ein::EinDynamicRanksOptions dynamic;
    dynamic.ranks = options.parallelRank;
    pm.addPass(ein::createEinDynamicRanks(dynamic));
  }
  if (options.deferredNormalize)
    pm.addPass(ein::createEinDeferredNormalize());
  if (options.onlineNormalize) {
    ein::EinOnlineNormalizeOptions online;
    online.tileSize = options.tileSize;
    online.remarks = false; // cascades without an online form stay as they are
    pm.addPass(ein::createEinOnlineNormalize(online));
  }
  if (options.workers != 1) {
    ein::EinPartitionOptions partition;
    partition.workers = options.workers;
    partition.rank = options.splitRank;
    partition.tileSize = options.tileSize;
    pm.addPass(ein::createEinPartition(partition));
  }
  if (options.kernelABI) {
    pm.addPass(createEinfuseKernelABI());
    pm.addPass(createInlinerPass());
    pm.addPass(createSymbolDCEPass());
  }
  ConvertEinToLinalgOptions toLinalg;
  toLinalg.parallelRank = options.parallelRank;
  toLinalg.parallelTile = options.parallelTile;
  pm.addPass(createConvertEinToLinalg(toLinalg));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // The tail is parsed by pass name, so the upstream passes must be
  // registered even when an embedder did not register them.
  static bool registered =
      (mlir::registerAllPasses(), registerEinfusePasses(), true);
  (void)registered;
  if (failed(parsePassPipeline(cpuTail(options), pm)))
    llvm::report_fatal_error("einfuse: the built-in CPU pipeline does not parse");
}

LogicalResult validateCPUPipelineOptions(const CPUPipelineOptions &options,
                                        std::string &error) {
  auto fail = [&](const Twine &message) {
    error = ("einfuse-cpu-pipeline: " + message).str();
    return failure();
  };
  if (options.workers < 1 || options.workers > ein::kMaxWorkers)
    return fail("workers must be in [1, " + Twine(ein::kMaxWorkers) +
                "], got " + Twine(int64_t(options.workers)));
  if (options.tileSize < 1 || options.tileSize > ein::kMaxTileSize)
    return fail("tile-size must be in [1, 2^31], got " +
                Twine(int64_t(options.tileSize)));
  if (options.parallelTile < 1 || options.parallelTile > ein::kMaxTileSize)
    return fail("parallel-tile must be in [1, 2^31], got " +
                Twine(int64_t(options.parallelTile)));
  if (!options.splitRank.empty() && options.workers == 1)
    return fail("split-rank '" + options.splitRank +
                "' needs workers > 1 (the chunks to split it into)");
  if (options.parallelRank.empty())
    return fail("parallel-rank must be auto, none or a rank name");
  if (!llvm::is_contained({0, 4, 8, 16}, int64_t(options.vectorWidth)))
    return fail("vector-width must be 0 (the host's), 4, 8 or 16, got " +
                Twine(int64_t(options.vectorWidth)));
  return success();
}

void registerPipelines() {
  registerEinfusePasses();
  PassPipelineRegistration<>(
      "einfuse-linalg-pipeline",
      "Decompose Ein named ops and lower cascades to linalg on tensors",
      [](OpPassManager &pm) { buildEinToLinalgPipeline(pm); });
  // As PassPipelineRegistration, but options out of range are an error
  // here, when the pipeline is built, rather than a hang or a silent no-op.
  registerPassPipeline(
      "einfuse-cpu-pipeline",
      "Lower Ein to the LLVM dialect for the host CPU (unfused kernels)",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        CPUPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        std::string error;
        if (failed(validateCPUPipelineOptions(options, error)))
          return errorHandler(error);
        buildCPUPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(CPUPipelineOptions());
      });
  registerPassPipeline(
      "einfuse-gpu-pipeline",
      "Lower Ein to GPU kernels through the shared GPU lowering (every "
      "cascade, every GPU target)",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        GPUPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        std::string error;
        if (failed(validateGPUPipelineOptions(options, error)))
          return errorHandler(error);
        buildGPUPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(GPUPipelineOptions());
      });
}

} // namespace einfuse
