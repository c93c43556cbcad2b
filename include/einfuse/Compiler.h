//===- Compiler.h - Ahead-of-time kernel compilation ------------*- C++ -*-===//
//
// What einfuse-compile does, as a library: a module of kernels in, a
// binary, a C header and a C launcher out. Nothing is written to disk here.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_COMPILER_H
#define EINFUSE_COMPILER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/LogicalResult.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class SourceMgr;
} // namespace llvm

namespace mlir {
class PassManager;
} // namespace mlir

namespace einfuse {

/// One argument of a kernel: an input or an output buffer.
struct KernelArg {
  /// The launcher's internal C name: `in<i>` or `out<i>`. Generated code
  /// (size checks, launch plans) refers to buffers by this name only.
  std::string name;
  mlir::RankedTensorType type;
  bool isOutput = false;
  /// The public parameter name the header shows (see collectKernels): the
  /// source's, or `name` when the source has none usable in C.
  std::string publicName;
  /// What the buffer holds when that is not plain elements of its type
  /// (packed 4-bit weights, quantization scales, masks); empty otherwise.
  std::string note;
};

/// Dims of a kernel's buffers that must have the same size: the same rank
/// of a cascade, or the same role of a named op (the batch of attention's
/// query and key, ...).
struct SizeGroup {
  /// (argument index, dim) pairs.
  std::vector<std::pair<unsigned, int64_t>> dims;
  /// The size they must all have when the IR fixes it, else kDynamic.
  int64_t extent = mlir::ShapedType::kDynamic;
};

/// The C-level signature of one kernel (a public function of the input).
struct KernelSignature {
  std::string name;
  std::vector<KernelArg> args;
  /// Sizes that must agree, derived from the kernel's body (see
  /// collectKernels); the launchers check them before any work.
  std::vector<SizeGroup> sizeGroups;
};

/// Status codes every generated launcher returns (CPU and GPU alike); the
/// headers define them as the enum `einfuse_status`.
enum LauncherStatus {
  kLauncherOk = 0,
  kLauncherNegativeSize = -1,
  kLauncherSizeMismatch = -2,
  kLauncherLoadFailed = -3,
  kLauncherLaunchFailed = -4,
  kLauncherMisaligned = -5,
  kLauncherNullPointer = -6,
  kLauncherTooLarge = -7,
  kLauncherUnsupportedCPU = -8,
  kLauncherWorkspaceTooSmall = -9,
};

/// Every status code with its C enumerator name and message.
struct LauncherStatusInfo {
  int code;
  const char *enumerator; ///< `EINFUSE_ERROR_SIZE_MISMATCH`
  const char *message;
};
llvm::ArrayRef<LauncherStatusInfo> getLauncherStatuses();

/// What every generated header shares (guarded, so that headers of several
/// kernel modules can be included together): the element typedefs, the
/// `einfuse_status` enum, `einfuse_status_message` and the ABI version.
std::string getStatusCodeDefinitions();

/// C statements that check a kernel's arguments before any work, in this
/// order: no dynamic size is negative (-1), sizes that must agree do (-2),
/// no buffer's byte size overflows int64_t (-7), and (with `nullChecks`)
/// no buffer holding elements is NULL (-6). Each statement returns its code
/// on failure. They name buffers by KernelArg::name.
std::vector<std::string> getArgumentChecks(const KernelSignature &kernel,
                                           bool nullChecks = true);

/// C type of one element of a kernel buffer: f16/bf16 travel as 16-bit
/// patterns (`einfuse_f16` / `einfuse_bf16`, typedefs of uint16_t), fp8 as
/// `einfuse_f8e4m3` (uint8_t), i1 as one uint8_t each, i4 as int8_t.
inline std::string getCElementType(mlir::Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isF16())
    return "einfuse_f16";
  if (type.isBF16())
    return "einfuse_bf16";
  if (llvm::isa<mlir::Float8E4M3FNType>(type))
    return "einfuse_f8e4m3";
  if (type.isInteger(1))
    return "uint8_t";
  unsigned w = type.getIntOrFloatBitWidth();
  return "int" + std::to_string(w <= 8 ? 8 : w) + "_t";
}

/// The C expression of dim `d` of `arg` in a launcher: `in0_dim2` for a
/// dynamic size, the number for a static one.
inline std::string getSizeExpr(const KernelArg &arg, int64_t d) {
  if (arg.type.isDynamicDim(d))
    return arg.name + "_dim" + std::to_string(d);
  return std::to_string(arg.type.getDimSize(d));
}

/// The C parameters of `kernel` as (type, name) pairs: each buffer, then
/// its dynamic sizes as `<buffer>_dim<d>`. With `publicNames`, buffers are
/// named by KernelArg::publicName (the header), else by KernelArg::name
/// (the launcher's internals).
std::vector<std::pair<std::string, std::string>>
getCParameters(const KernelSignature &kernel, bool publicNames);

/// `(const float *in0, int64_t in0_dim0, ..., <extra>)`: the parameter
/// list of `kernel` (public or internal names, see getCParameters) with
/// `extra` parameters ("CUstream stream") appended.
std::string getCParameterList(const KernelSignature &kernel, bool publicNames,
                              llvm::ArrayRef<std::string> extra = {});

/// `q, q_dim0, ...`: the names of getCParameters, comma-separated, for a
/// call that forwards them.
std::string getCArgumentList(const KernelSignature &kernel, bool publicNames);

/// `einfuse_status name(const float *q, int64_t q_dim0, ..., float *out)`:
/// the prototype (without `;`) the header declares for `kernel`, with
/// `extra` parameters ("CUstream stream") appended.
std::string getCPrototype(const KernelSignature &kernel,
                          llvm::ArrayRef<std::string> extra = {});

/// A launcher's implementation of the public function: a static function
/// `implName` over the internal names (`in0`, ...), whose `body` lines run
/// the kernel, and the public function of getCPrototype forwarding to it.
std::string emitForwardedFunction(const KernelSignature &kernel,
                                  llvm::StringRef implName,
                                  llvm::ArrayRef<std::string> body);

/// `f32[?, 8, ?, 64]`: how the generated headers describe a buffer.
inline std::string describeBuffer(mlir::RankedTensorType type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type.getElementType() << "[";
  for (int64_t d = 0; d < type.getRank(); ++d) {
    os << (d ? ", " : "");
    if (type.isDynamicDim(d))
      os << "?";
    else
      os << type.getDimSize(d);
  }
  os << "]";
  return s;
}

/// The comment block describing `kernel`'s buffers in a header: one line
/// per buffer with its public name, direction, shape and note.
std::string describeKernelBuffers(const KernelSignature &kernel);

/// The include guard of the header named after `baseName`.
inline std::string getHeaderGuard(llvm::StringRef baseName) {
  std::string guard = "EINFUSE_KERNEL_" + baseName.upper() + "_H";
  for (char &c : guard)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return guard;
}

/// Targets einfuse-compile knows.
enum class TargetKind { CPU, NVIDIA, AMD };

/// A target: the CPU with an ISA, or a GPU vendor with one or more chips.
struct TargetSpec {
  TargetKind kind = TargetKind::CPU;
  /// GPU chips (`sm_80`, `sm_90a`, `gfx942`, ...), in the order given.
  std::vector<std::string> chips;
  /// CPU: the LLVM CPU name (`x86-64-v3`, `neoverse-v2`, ...), or "native"
  /// for the build machine's CPU and features.
  std::string cpu = "native";
  /// CPU: the target triple; empty for the build machine's.
  std::string triple;
  TargetSpec() = default;
  TargetSpec(TargetKind kind, std::string chip = "") : kind(kind) {
    if (!chip.empty())
      chips.push_back(std::move(chip));
  }
  /// The first (or only) chip; empty for the CPU.
  llvm::StringRef chip() const {
    return chips.empty() ? llvm::StringRef() : llvm::StringRef(chips.front());
  }
  /// As einfuse-compile spells it: `cpu:x86-64-v3`, `nvidia:sm_80,sm_90a`.
  std::string str() const;
};

/// The CPU ISA `--target=cpu` builds for when none is given: portable
/// across the x86-64 servers of the last decade (AVX2 and FMA).
constexpr llvm::StringLiteral kDefaultCPU = "x86-64-v3";

/// The target names parseTarget takes, for messages and --help.
llvm::StringRef getTargetList();

/// Parses `cpu`, `cpu:<arch>` (`native`, `x86-64`, `x86-64-v2`,
/// `x86-64-v3`, `x86-64-v4`, `aarch64`, or any CPU name LLVM's x86 or
/// AArch64 backend knows), `nvidia:<chips>` (`sm_80`, `sm_90a`) and
/// `amd:<chips>` (`gfx942`, `gfx90a`), where `<chips>` is one chip or
/// several separated by commas. Unknown names get a "did you mean".
llvm::FailureOr<TargetSpec> parseTarget(llvm::StringRef spec,
                                        std::string &error);

/// The argument (and result) attribute that names a kernel parameter in
/// the generated header: `%x: tensor<...> {ein.name = "x"}`.
constexpr llvm::StringLiteral kParameterNameAttr = "ein.name"; // ein::kNameAttr

/// Parses MLIR text like mlir::parseSourceFile and records the SSA names of
/// the public functions' arguments (`%q` -> "q") as kParameterNameAttr
/// where the argument has none, so that the header names parameters as
/// the source does. Diagnostics go to the context's handler.
mlir::OwningOpRef<mlir::ModuleOp> parseKernelSource(llvm::SourceMgr &sourceMgr,
                                                    mlir::MLIRContext *context);

/// Reads the kernels of `module`: every public function on ranked tensors,
/// with the sizes of their buffers that must agree (through the ranks of
/// `ein.cascade` and the roles of `ein.attention` and `ein.qmatmul`
/// operands). Parameters are named by kParameterNameAttr when it is a
/// usable C name (else `in<i>` / `out<i>`, and `out` for a single result).
/// Emits an error at the module and fails when there is no kernel.
llvm::FailureOr<std::vector<KernelSignature>>
collectKernels(mlir::ModuleOp module);

/// Runs the CPU pipeline on `module`, leaving it in the LLVM dialect.
/// `options` (a pipeline option string such as "deferred-normalize=false")
/// tunes the pipeline; the vector width, unless given, follows `target`'s
/// ISA. `configure` (optional) sees the pass manager before it runs (to add
/// instrumentation such as --mlir-timing).
llvm::LogicalResult
lowerToLLVMDialect(mlir::ModuleOp module, const TargetSpec &target,
                   llvm::StringRef options = "",
                   llvm::function_ref<void(mlir::PassManager &)> configure = {});

/// The same for the build machine's CPU (what a JIT runs on).
inline llvm::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                              TargetKind target,
                                              llvm::StringRef options = "") {
  return lowerToLLVMDialect(module, TargetSpec(target), options);
}

/// Translates a module in the LLVM dialect to LLVM IR.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &ctx);

/// One file of a compiled kernel module.
struct ArtifactFile {
  enum class Kind { Binary, Assembly, Header, Launcher, Signature };
  Kind kind;
  std::string suffix;   ///< appended to the base name: ".o", ".sm_90a.cubin"
  std::string contents;
};

/// The files of a compiled kernel module.
struct CompiledArtifacts {
  std::string object;   ///< native object (CPU), cubin or hsaco (GPUs; the first chip's)
  std::string objectExtension; ///< ".o", ".cubin" or ".hsaco"
  std::string assembly; ///< PTX or AMDGCN assembly (GPUs, first chip; empty for CPU)
  std::string assemblyExtension; ///< ".ptx" or ".s"
  std::string header;   ///< C header: one typed function per kernel
  std::string launcher; ///< C source implementing the header
  std::string signature; ///< JSON: the kernels, their parameters and sizes
  /// Every file to write, in order (for several GPU chips, one binary and
  /// one assembly file per chip, named `<base>.<chip>.<ext>`).
  std::vector<ArtifactFile> files;
};

/// Hooks and settings of compileModule beyond the target.
struct CompileOptions {
  /// A pipeline option string tuning the CPU pipeline or the NVIDIA kernels.
  std::string pipelineOptions;
  /// GPU targets: stop at the PTX or AMDGCN assembly (no ptxas or ld.lld;
  /// no binary and no launcher).
  bool assemblyOnly = false;
  /// Sees every MLIR pass manager before it runs (IR printing, timing).
  std::function<void(mlir::PassManager &)> configurePassManager;
  /// Called at the start of each stage ("lower", "translate", "codegen",
  /// "assemble", ...) and with "" at the end, for -v timing.
  std::function<void(llvm::StringRef stage)> onStage;
};

/// Compiles `module` for `target`. `baseName` names the header guard, the
/// files and the header the launcher includes.
llvm::FailureOr<CompiledArtifacts>
compileModule(mlir::ModuleOp module, const TargetSpec &target,
              llvm::StringRef baseName, const CompileOptions &options);

/// The same with a pipeline option string only. With `assemblyOnly` (GPU
/// targets), stops at the PTX or AMDGCN assembly: no ptxas or ld.lld is
/// needed, and `object` and the launcher stay empty.
llvm::FailureOr<CompiledArtifacts>
compileModule(mlir::ModuleOp module, const TargetSpec &target,
              llvm::StringRef baseName, llvm::StringRef pipelineOptions = "",
              bool assemblyOnly = false);

/// The JSON signature of `kernels` (see docs/python.md for its schema):
/// what a binding needs to call them without parsing C.
/// `runtime` is "host", "cuda" or "hip".
std::string emitSignatureJSON(llvm::ArrayRef<KernelSignature> kernels,
                              llvm::StringRef baseName,
                              const TargetSpec &target, llvm::StringRef runtime,
                              bool hasWorkspace = false);

/// The version and target macros of a generated header:
/// `<BASE>_EINFUSE_VERSION` and `<BASE>_EINFUSE_TARGET`.
std::string getHeaderVersionMacros(llvm::StringRef baseName,
                                   const TargetSpec &target);

/// The C header for `kernels`, built for `target`; `allocates` says
/// whether the kernels allocate scratch memory (malloc/free).
std::string emitCHeader(llvm::ArrayRef<KernelSignature> kernels,
                        llvm::StringRef baseName, const TargetSpec &target,
                        bool allocates);

} // namespace einfuse

#endif
