//===- Pipelines.h - Einfuse pass pipelines ---------------------*- C++ -*-===//
//
// Pipeline builders an embedder can add to its own pass manager, and the
// passes of lib/Pipelines.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_PIPELINES_H
#define EINFUSE_PIPELINES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <memory>

namespace mlir::gpu {
class GPUModuleOp;
} // namespace mlir::gpu
namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace einfuse {

struct KernelSignature;
namespace gpu {
class GPUTargetInfo;
struct LaunchPlan;
} // namespace gpu

#define GEN_PASS_DECL
#include "einfuse/Passes.h.inc"

/// Options of the CPU pipeline.
struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> kernelABI{
      *this, "kernel-abi",
      llvm::cl::desc("Rewrite public tensor functions to the kernel calling "
                     "convention (memref inputs, then memref outputs)"),
      llvm::cl::init(true)};
  Option<bool> deferredNormalize{
      *this, "deferred-normalize",
      llvm::cl::desc("Apply --ein-deferred-normalize to the cascades"),
      llvm::cl::init(true)};
  Option<bool> onlineNormalize{
      *this, "online-normalize",
      llvm::cl::desc("Apply --ein-online-normalize (after the deferral): "
                     "1-pass cascades with a running state"),
      llvm::cl::init(true)};
  Option<int64_t> workers{
      *this, "workers",
      llvm::cl::desc("Split each online iteration across this many workers "
                     "and combine their states (--ein-partition); 1: no "
                     "split; at most 1024. The workers are one parallel loop "
                     "(on threads with threads=true)"),
      llvm::cl::init(1)};
  Option<std::string> splitRank{
      *this, "split-rank",
      llvm::cl::desc("With workers > 1, also split the sums over this rank "
                     "that no online iteration carries (split-K of a "
                     "matmul, a qmatmul's K, sums at decode)"),
      llvm::cl::init("")};
  Option<bool> threads{
      *this, "threads",
      llvm::cl::desc("Run the parallel loops (batch, heads, queries, ...) on "
                     "OpenMP threads (static parallel ranks are made dynamic "
                     "first, --ein-dynamic-ranks, so that they tile); the "
                     "kernels then need libomp (-lomp)"),
      llvm::cl::init(false)};
  Option<std::string> parallelRank{
      *this, "parallel-rank",
      llvm::cl::desc("Lower cascades tile by tile along this parallel rank "
                     "(scf.forall; e.g. p, the queries of attention); auto "
                     "(default): the result's ranks before its last (batch, "
                     "queries; --convert-ein-to-linalg); "
                     "none: no tiles"),
      llvm::cl::init("auto")};
  Option<int64_t> parallelTile{
      *this, "parallel-tile",
      llvm::cl::desc("Tile size along parallel-rank"), llvm::cl::init(64)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Polynomial exp (--einfuse-approximate-math), which "
                     "vectorises; false: libm's expf"),
      llvm::cl::init(true)};
  Option<bool> contractions{
      *this, "contractions",
      llvm::cl::desc("Register-blocked vector loops for the contractions "
                     "(--einfuse-cpu-contractions)"),
      llvm::cl::init(true)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector for --einfuse-cpu-contractions: "
                     "16 (AVX-512), 8 (AVX2) or 4; 0: 16 when the host has "
                     "AVX-512, else 8"),
      llvm::cl::init(0)};
  Option<int64_t> tileSize{
      *this, "tile-size",
      llvm::cl::desc("Tile size of the online form's iterated rank"),
      llvm::cl::init(64)};
};

/// Ein (named ops or cascades) -> linalg on tensors: decomposition and
/// conversion. `--einfuse-linalg-pipeline`.
void buildEinToLinalgPipeline(mlir::OpPassManager &pm);

/// Ein -> LLVM dialect for the host CPU, unfused: decomposition, kernel ABI,
/// linalg, bufferization, loops, LLVM. `--einfuse-cpu-pipeline`.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options = {});

/// Checks `options` (ranges, names); on failure `error` says which option
/// is wrong and why. buildCPUPipeline expects valid options; the
/// registered `--einfuse-cpu-pipeline` and einfuse::compileModule check.
llvm::LogicalResult validateCPUPipelineOptions(const CPUPipelineOptions &options,
                                               std::string &error);

/// Options of the GPU pipeline (`--einfuse-gpu-pipeline`).
struct GPUPipelineOptions
    : public mlir::PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("The GPU: nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or "
                     "amd:gfx90a"),
      llvm::cl::init("nvidia:sm_90a")};
  Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads per block (0: the target's default)"),
      llvm::cl::init(0)};
  Option<int64_t> tileSize{
      *this, "tile-size",
      llvm::cl::desc("Tile of the online form's iterated rank (0: by the "
                     "kernel's shape: 1024 for row-wise cascades, 128 for "
                     "attention of 16-bit operands on the matrix "
                     "instruction, else the target's default); a kernel's "
                     "own ein.gpu_config takes precedence over every option"),
      llvm::cl::init(0)};
  Option<int64_t> lanes{
      *this, "lanes",
      llvm::cl::desc("Threads per tile point: 1 (a thread per row), the "
                     "subgroup size (reductions across its lanes), or whole "
                     "subgroups up to the block (a block per row; 0: by the "
                     "kernel's shape)"),
      llvm::cl::init(0)};
  Option<int64_t> matrixTile{
      *this, "matrix-tile",
      llvm::cl::desc("Rows and columns of a matrix product's tile that one "
                     "subgroup computes with the matrix instruction (0: the "
                     "target's default; 1: no matrix instructions)"),
      llvm::cl::init(0)};
  Option<int64_t> smallM{
      *this, "small-m",
      llvm::cl::desc("Largest M (or N) of a matrix product that runs on the "
                     "lanes, a subgroup per output element, instead of the "
                     "matrix instruction; tested at run time for a run-time "
                     "extent (-1: the target's default, 0: never)"),
      llvm::cl::init(-1)};
  Option<int64_t> split{
      *this, "split",
      llvm::cl::desc("Workers of each iteration with a combine (split-KV at "
                     "decode: the chunks' states, then their merge, two "
                     "kernels; -1: the target's default, 0 or 1: none), up "
                     "to 1024"),
      llvm::cl::init(-1)};
  Option<bool> lowerKernels{
      *this, "lower-kernels",
      llvm::cl::desc("Lower the outlined kernels to the LLVM dialect "
                     "(NVVM/ROCDL); false stops after the target hooks"),
      llvm::cl::init(true)};
};

/// The GPU target info of `target` (`nvidia:sm_90a`, `amd:gfx942`, ...),
/// or null with `error` naming the chips there are.
std::unique_ptr<gpu::GPUTargetInfo> getGPUTargetInfo(llvm::StringRef target,
                                                     std::string &error);

/// The same for a pass's `target` option: on failure, emits
/// "<pass>: <error>" at `at` and returns null.
std::unique_ptr<gpu::GPUTargetInfo>
getGPUTargetInfo(llvm::StringRef target, mlir::Operation *at,
                 llvm::StringRef pass);

/// Ein -> GPU kernels, the shared GPU lowering (docs/gpu.md): decompose,
/// dynamic ranks, online form, kernel ABI, convert-ein-to-gpu (tiles,
/// one point per thread), linalg fusion, bufferization, buffers to
/// registers, einfuse-gpu-map-tiles, loops, gpu-kernel-outlining, the
/// target's hooks and lowering. The kernel functions are left as host
/// functions of gpu.launch_func ops. Expects valid options.
void buildGPUPipeline(mlir::OpPassManager &pm,
                      const GPUPipelineOptions &options);

/// Checks `options`; on failure `error` says what is wrong.
llvm::LogicalResult validateGPUPipelineOptions(const GPUPipelineOptions &options,
                                               std::string &error);

/// einfuse-compile's builder of the kernels of one function through the
/// shared GPU lowering: runs the GPU pipeline (lower-kernels=false) on a
/// copy of `fn`, moves its kernels into `kernels` and reads the launch
/// plan from the host function (gpu::planLaunches). `options` are options
/// of the GPU pipeline other than `target` and `lower-kernels` (e.g.
/// "split=16"), checked as `--einfuse-gpu-pipeline` checks them.
llvm::FailureOr<gpu::LaunchPlan>
buildCascadeKernels(mlir::gpu::GPUModuleOp kernels, mlir::func::FuncOp fn,
                    const KernelSignature &sig, llvm::StringRef target,
                    llvm::StringRef options = "");

/// Registers the passes of lib/Pipelines and the pipelines above.
void registerPipelines();

#define GEN_PASS_REGISTRATION
#include "einfuse/Passes.h.inc"

} // namespace einfuse

#endif
