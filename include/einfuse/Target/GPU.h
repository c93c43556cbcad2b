//===- GPU.h - What the GPU targets share -----------------------*- C++ -*-===//
//
// The NVIDIA and AMD targets each build their kernels in their own room
// (lib/Target/NVIDIA, lib/Target/AMD). What they share lives here:
//  - the reading of a kernel function into a spec the kernel builders take
//    (AttentionSpec), with the errors for what no GPU target supports;
//  - the launch plan: which device kernels a host function launches, with
//    which grid, block, shared memory and parameters, written as C
//    expressions over the host function's arguments;
//  - the launcher: C source that embeds the device binary and implements
//    the generated header through the CUDA driver API or the HIP module API.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_TARGET_GPU_H
#define EINFUSE_TARGET_GPU_H

#include "einfuse/Compiler.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/IR/AffineMap.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace einfuse::gpu {

/// The longest query or key sequence the GPU attention launchers take
/// (2^29): mask arithmetic on positions and window bounds then stays in
/// 32 bits.
constexpr int64_t kMaxGPUSequence = int64_t(1) << 29;

/// A kernel function whose body is one `ein.attention` on its arguments,
/// read into what the GPU kernel builders need.
struct AttentionSpec {
  mlir::Type elementType;    ///< f16 or bf16
  int64_t numQueryHeads = 0; ///< Hq
  int64_t numKVHeads = 0;    ///< Hkv
  int64_t headDim = 0;       ///< D (= Dv)
  double scale = 0;          ///< the score scale
  bool causal = false;
  bool bottomRight = false;  ///< causal/window alignment Sk - Sq
  int64_t windowLeft = -1;   ///< -1: unbounded
  int64_t windowRight = -1;  ///< -1: unbounded
  /// Static batch / sequence sizes (-1 when dynamic).
  int64_t batch = -1, querySeq = -1, keySeq = -1;
};

/// Reads `fn` as one attention kernel. Emits an error naming `targetName`
/// and fails for what the GPU kernels do not take (masks, softcap, f32,
/// head dims other than `supportedHeadDims`, differing Dv, ...).
llvm::FailureOr<AttentionSpec>
readAttentionKernel(mlir::func::FuncOp fn, llvm::StringRef targetName,
                    llvm::ArrayRef<int64_t> supportedHeadDims);

/// readAttentionKernel without its errors: nullopt when the hand-written
/// kernels do not take `fn` (it then goes to the shared GPU lowering).
std::optional<AttentionSpec>
tryReadAttentionKernel(mlir::func::FuncOp fn, llvm::StringRef targetName,
                       llvm::ArrayRef<int64_t> supportedHeadDims);

/// One parameter of a device kernel, as the launcher passes it.
struct LaunchParam {
  enum class Kind {
    /// A 1-D memref in MLIR's default calling convention: the launcher
    /// passes (pointer, pointer, 0, count, 1). `value` is the C pointer
    /// expression, `count` the C element count expression.
    Buffer,
    Int32, ///< `value` is a C expression of type int32_t
    Float, ///< `value` is a C expression of type float
    /// A ranked memref in MLIR's default calling convention: (pointer,
    /// pointer, 0, sizes..., row-major strides...). `value` is the C
    /// pointer expression, `sizes` the C size expressions.
    MemRef,
    Int64, ///< `value` is a C expression of type int64_t (an index)
  };
  Kind kind;
  std::string value;
  std::string count;
  std::vector<std::string> sizes = {};
};

/// One kernel launch. Grid sizes are C expressions over the host function's
/// arguments (`in0_dim0`, ...) and the locals of the plan's preamble.
struct Launch {
  std::string symbol; ///< kernel name in the device binary
  std::string grid[3];
  unsigned block[3] = {1, 1, 1};
  unsigned dynamicSharedBytes = 0;
  std::vector<LaunchParam> params;
};

/// How one host function (a kernel of the header) runs on the device.
struct LaunchPlan {
  KernelSignature signature;
  /// C statements run first: size checks (`if (...) return -1;`) and locals.
  std::vector<std::string> preamble;
  /// C expression for the bytes of device scratch the launches share
  /// (`ws` in their parameters); empty for none.
  std::string workspaceBytes;
  std::vector<Launch> launches;
};

/// A compiled GPU module: the device binary, its assembly and the plans.
struct GPUModule {
  std::string binary;   ///< cubin or hsaco
  std::string assembly; ///< PTX or AMDGCN assembly, for inspection
  std::vector<LaunchPlan> plans;
};

enum class Runtime { CUDA, HIP };

/// The device module of one chip of a (possibly multi-chip) target.
struct ChipModule {
  std::string chip; ///< `sm_80`, `sm_90a`, `gfx942`, ...
  GPUModule module;
};

/// The C header of a GPU module: per kernel, the CPU header's prototype
/// plus a trailing stream argument (CUstream / hipStream_t), a
/// `<kernel>_workspace_size` query and a `<kernel>_with_workspace` variant
/// taking caller-provided device scratch. Buffers are device pointers.
std::string emitGPUHeader(llvm::ArrayRef<KernelSignature> kernels,
                          llvm::ArrayRef<ChipModule> chips,
                          llvm::StringRef baseName, const TargetSpec &target,
                          Runtime runtime);

/// The C launcher: every chip's binary embedded as bytes (and, for NVIDIA
/// chips that are not architecture-specific, its PTX for newer GPUs). At
/// the first call in each CUDA context (HIP device) it picks the image that
/// runs there and loads it; loaded modules are kept per context, under a
/// mutex, and a failed load is retried at the next call.
std::string emitGPULauncher(llvm::ArrayRef<KernelSignature> kernels,
                            llvm::ArrayRef<ChipModule> chips,
                            llvm::StringRef baseName, Runtime runtime);

/// The configuration of the shared GPU lowering for one kernel: chosen per
/// target (GPUTargetInfo::getDefaultConfig), overridable by the pipeline's
/// options, and recorded in the IR as the `ein.gpu_config` attribute of
/// each kernel function.
struct GPUConfig {
  int64_t threads = 128;  ///< threads per block
  int64_t tileSize = 64;  ///< key/K tile of ein-online-normalize
  int64_t lanes = 1;      ///< threads per tile point (the subgroup size)
  /// Rows and columns of the tile of a matrix product one subgroup
  /// computes with the matrix instruction (1: no matrix tiles).
  int64_t matrixTile = 1;
  /// Subgroups sharing a matrix tile, each over a part of K (1: none).
  int64_t kSplit = 1;
  /// Threads per block of a row-wise cascade (softmax, norms: no
  /// contraction), where a block takes a row: its reads stay in the L1/L2
  /// between a row's passes (0: a subgroup per row, as for the rest).
  int64_t rowThreads = 0;
  /// A matrix product with a free rank (M or N) of at most this extent
  /// runs on the lanes, a subgroup per output element, instead of the
  /// matrix instruction (decided at run time for a run-time extent; 0:
  /// never). See `small_m` of `#ein.gpu_config`.
  int64_t smallM = 0;
  /// Workers of each iteration with a combine (split-KV, split-K; 0 or 1:
  /// none). See `split` of `#ein.gpu_config`.
  int64_t split = 0;
};

/// A matrix instruction of one subgroup: D[m x n] = A[m x k] B[k x n] + C,
/// A and B of `operandType` (f16, bf16), C and D f32. Each lane holds some
/// elements of each operand; `a[e]` maps the lane (d0) to the (row, col)
/// in A of the lane's element e, `b[e]` to (k, n) in B, `c[e]` to (row,
/// col) in C and D. The shared lowering (einfuse-gpu-matrix-ops) loads and
/// stores those elements; only `build`, the instruction, is the target's.
struct MatrixInstruction {
  int64_t m = 0, n = 0, k = 0;
  mlir::Type operandType;
  llvm::SmallVector<mlir::AffineMap> a, b, c;
  /// D's elements (f32) from a lane's elements of A, B (operandType) and C.
  std::function<llvm::SmallVector<mlir::Value>(
      mlir::OpBuilder &, mlir::Location, llvm::ArrayRef<mlir::Value> a,
      llvm::ArrayRef<mlir::Value> b, llvm::ArrayRef<mlir::Value> c)>
      build;
  /// Optional (empty: the lowering loads each element): a lane's elements
  /// of A (`isA`, one m x k tile) or of B (`fragments` k x n tiles side by
  /// side along n, 1 or 2), in the order of `a` / `b` (fragment after
  /// fragment), loaded in one instruction from a workgroup buffer of
  /// operandType elements (ldmatrix on NVIDIA). `at(row, col)` gives the
  /// buffer's indices of the tile's element (row, col) (A: m, k; B: k, n);
  /// `kContiguous` says whether the buffer's consecutive elements run
  /// along k (else along m or n). The caller guarantees 16-byte aligned
  /// rows of 8 elements.
  std::function<llvm::SmallVector<mlir::Value>(
      mlir::OpBuilder &, mlir::Location, mlir::Value lane, mlir::Value buffer,
      bool isA, bool kContiguous, int64_t fragments,
      llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value row,
                                                        mlir::Value col)>
          at)>
      loadFragments;
};

/// What differs per GPU chip, behind one interface (the role of Triton's
/// TargetInfoBase): the shared lowering (lib/Conversion/EinToGPU) asks it
/// for instructions and configuration; a new chip is a new implementation
/// in its vendor's folder (lib/Target/NVIDIA, lib/Target/AMD) plus its
/// serialiser. See docs/gpu.md.
class GPUTargetInfo {
public:
  virtual ~GPUTargetInfo();
  /// `sm_90a`, `gfx942`.
  virtual llvm::StringRef getChip() const = 0;
  /// `nvidia:sm_90a`: how errors name the target.
  virtual std::string getName() const = 0;
  virtual Runtime getRuntime() const = 0;
  /// Lanes of a warp (32) or wavefront (64).
  virtual unsigned getSubgroupSize() const = 0;
  virtual GPUConfig getDefaultConfig() const = 0;
  /// Loads the dialects the hooks and the lowering create.
  virtual void loadDialects(mlir::MLIRContext *ctx) const = 0;
  /// Adds the dialects of the ops the hooks create inside kernels (the
  /// matrix instruction's), for a pass's getDependentDialects: passes that
  /// run on functions in parallel cannot load dialects themselves.
  virtual void getDependentDialects(mlir::DialectRegistry &registry) const = 0;
  /// The `gpu.module` target attribute (#nvvm.target, #rocdl.target).
  virtual mlir::Attribute getTargetAttr(mlir::MLIRContext *ctx) const = 0;
  /// Math instructions, on f32 values: 2^x, log2 x, sqrt x, 1/sqrt x. The
  /// shared lowering rewrites math.exp/log/sqrt/rsqrt through these, and
  /// every other math function through upstream polynomial approximations,
  /// so that no kernel calls a vendor math library.
  virtual mlir::Value buildExp2(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value x) const = 0;
  virtual mlir::Value buildLog2(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value x) const = 0;
  virtual mlir::Value buildSqrt(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value x) const = 0;
  virtual mlir::Value buildRsqrt(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value x) const = 0;
  /// The subgroup's matrix instruction on operands of `operandType` (f16,
  /// bf16) with f32 accumulators, if the chip has one.
  virtual std::optional<MatrixInstruction>
  getMatrixInstruction(mlir::MLIRContext *ctx,
                       mlir::Type operandType) const = 0;
  /// Optional (false: the target has none): a lane's copy of `elements`
  /// elements (4, 8 or 16 bytes, aligned) from `src` (a kernel argument,
  /// global memory) at `srcIndices` to the workgroup buffer `dst` at
  /// `dstIndices`, issued without waiting for it and without passing
  /// through registers (cp.async on NVIDIA). The shared lowering turns a
  /// staging copy's chunks into these and calls `buildAsyncWait` before
  /// anything may read what they wrote (the barrier after the copy).
  virtual bool buildAsyncCopy(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value src, mlir::ValueRange srcIndices,
                              mlir::Value dst, mlir::ValueRange dstIndices,
                              int64_t elements) const {
    return false;
  }
  /// Waits for every asynchronous copy the lane issued.
  virtual void buildAsyncWait(mlir::OpBuilder &b, mlir::Location loc) const {}
  /// The passes (nested on a gpu.module) from gpu/scf/memref/vector and the
  /// vendor dialects to the LLVM dialect with NVVM/ROCDL intrinsics.
  virtual void addLowering(mlir::OpPassManager &kernels) const = 0;
  /// Assembly (PTX, AMDGCN) to the loadable binary (cubin, hsaco).
  virtual llvm::FailureOr<std::string> assemble(llvm::StringRef assembly,
                                                std::string &error) const = 0;

protected:
  /// `name`(x): an LLVM intrinsic of one operand, by name (what most math
  /// hooks are).
  static mlir::Value callIntrinsic(mlir::OpBuilder &b, mlir::Location loc,
                                   llvm::StringRef name, mlir::Value x);
};

/// How one host function of the GPU pipeline's output launches its
/// kernels: its `gpu.launch_func` ops, with grid sizes and index operands
/// translated to C over the launcher's names (`in0_dim1`, ...) and memref
/// operands that are the function's arguments. Fails, with an error on
/// the op, for what a launcher cannot pass.
llvm::FailureOr<LaunchPlan> planLaunches(mlir::func::FuncOp host,
                                         const KernelSignature &sig);

/// Builds the kernels of one kernel function into the device module and
/// returns how its host function launches them.
using KernelPlanBuilder = llvm::function_ref<llvm::FailureOr<LaunchPlan>(
    mlir::gpu::GPUModuleOp, mlir::func::FuncOp, const KernelSignature &)>;

/// Assembles the target's assembly text into its binary (ptxas, or llvm-mc
/// + ld.lld), or fails with `error`.
using Assembler = llvm::function_ref<llvm::FailureOr<std::string>(
    llvm::StringRef assembly, std::string &error)>;

/// What both GPU targets do around their own kernel builders: a device
/// module `gpu.module @einfuse_kernels [targetAttr]`, `buildPlan` for every
/// public function of `module` (in collectKernels order), the target's
/// lowering (`addLowering`, nested on the gpu.module), gpu-module-to-binary
/// to assembly, then `assemble` (skipped with `assemblyOnly`). Errors name
/// `target`.
llvm::FailureOr<GPUModule>
buildDeviceModule(mlir::ModuleOp module, mlir::Attribute targetAttr,
                  llvm::StringRef target, KernelPlanBuilder buildPlan,
                  llvm::function_ref<void(mlir::OpPassManager &)> addLowering,
                  Assembler assemble, bool assemblyOnly);

/// Runs an external tool (ptxas, ld.lld); its output goes to `error` on
/// failure. `program` is looked up on the PATH and in `hints`.
llvm::LogicalResult runTool(llvm::StringRef program,
                            llvm::ArrayRef<std::string> hints,
                            llvm::ArrayRef<std::string> args,
                            std::string &error);

/// Writes `input` to a temporary file and runs `program` (see runTool) with
/// `args`, where "{in}" names that file and "{out}" another one; returns
/// what the tool wrote to "{out}". Both files are removed.
llvm::FailureOr<std::string> runToolOnFile(llvm::StringRef program,
                                           llvm::ArrayRef<std::string> hints,
                                           llvm::StringRef input,
                                           llvm::ArrayRef<std::string> args,
                                           std::string &error);

/// Finds `program` in `hints` (directories) or on the PATH; empty if absent.
std::string findTool(llvm::StringRef program, llvm::ArrayRef<std::string> hints);

} // namespace einfuse::gpu

#endif
