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

#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace einfuse {

/// One argument of a kernel: an input or an output buffer.
struct KernelArg {
  std::string name;
  mlir::RankedTensorType type;
  bool isOutput = false;
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
/// headers define them as EINFUSE_* macros.
enum LauncherStatus {
  kLauncherOk = 0,
  kLauncherNegativeSize = -1,
  kLauncherSizeMismatch = -2,
  kLauncherLoadFailed = -3,
  kLauncherLaunchFailed = -4,
  kLauncherMisaligned = -5,
  kLauncherNullPointer = -6,
  kLauncherTooLarge = -7,
};

/// The C definitions of the status codes (guarded, so that headers of
/// several kernel modules can be included together).
std::string getStatusCodeDefinitions();

/// C statements that check a kernel's arguments before any work, in this
/// order: no dynamic size is negative (-1), sizes that must agree do (-2),
/// no buffer's byte size overflows int64_t (-7), and no buffer holding
/// elements is NULL (-6). Each statement returns its code on failure.
std::vector<std::string> getArgumentChecks(const KernelSignature &kernel);

/// C type of one element of a kernel buffer: f16/bf16 travel as uint16_t
/// bits, fp8 and i1 as one uint8_t each.
inline std::string getCElementType(mlir::Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isF16() || type.isBF16())
    return "uint16_t";
  if (llvm::isa<mlir::Float8E4M3FNType>(type) || type.isInteger(1))
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

/// `int name(const float *in0, int64_t in0_dim0, ..., float *out0, ...)`:
/// the C prototype (without `;`) the header declares and the launcher
/// defines for `kernel`.
inline std::string getCPrototype(const KernelSignature &kernel) {
  std::string out = "int " + kernel.name + "(";
  bool first = true;
  for (const KernelArg &a : kernel.args) {
    if (!first)
      out += ", ";
    first = false;
    out += (a.isOutput ? "" : "const ") +
           getCElementType(a.type.getElementType()) + " *" + a.name;
    for (int64_t d = 0; d < a.type.getRank(); ++d)
      if (a.type.isDynamicDim(d))
        out += ", int64_t " + a.name + "_dim" + std::to_string(d);
  }
  return out + ")";
}

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

/// A target and, for GPUs, its chip (`sm_80`, `sm_90a`, `gfx942`, ...).
struct TargetSpec {
  TargetKind kind = TargetKind::CPU;
  std::string chip;
  TargetSpec() = default;
  TargetSpec(TargetKind kind, std::string chip = "")
      : kind(kind), chip(std::move(chip)) {}
  /// As einfuse-compile spells it: `cpu`, `nvidia:sm_80`, `amd:gfx942`.
  std::string str() const;
};

/// The target names parseTarget takes, for messages and --help.
llvm::StringRef getTargetList();

/// Parses `cpu`, `nvidia:sm_80`, `nvidia:sm_90a`, `amd:gfx942` or
/// `amd:gfx90a`.
llvm::FailureOr<TargetSpec> parseTarget(llvm::StringRef spec,
                                        std::string &error);

/// Reads the kernels of `module`: every public function on ranked tensors,
/// with the sizes of their buffers that must agree (through the ranks of
/// `ein.cascade` and the roles of `ein.attention` and `ein.qmatmul`
/// operands). Emits an error at the module and fails when there is none.
llvm::FailureOr<std::vector<KernelSignature>>
collectKernels(mlir::ModuleOp module);

/// Most workers (pipeline option `workers`) compiled to native code.
constexpr int64_t kMaxCompiledWorkers = 8;

/// Runs the CPU pipeline on `module`, leaving it in the LLVM dialect.
/// `options` (a pipeline option string such as "deferred-normalize=false")
/// tunes the pipeline.
llvm::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module, TargetKind target,
                                       llvm::StringRef options = "");

/// Translates a module in the LLVM dialect to LLVM IR.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &ctx);

/// The files of a compiled kernel module.
struct CompiledArtifacts {
  std::string object;   ///< native object (CPU), cubin or hsaco (GPUs)
  std::string objectExtension; ///< ".o", ".cubin" or ".hsaco"
  std::string assembly; ///< PTX or AMDGCN assembly (GPUs; empty for CPU)
  std::string assemblyExtension; ///< ".ptx" or ".s"
  std::string header;   ///< C header: one typed function per kernel
  std::string launcher; ///< C source implementing the header
};

/// Compiles `module` for `target`. `baseName` names the header guard and
/// the header the launcher includes.
/// `pipelineOptions` tunes the CPU pipeline (see lowerToLLVMDialect).
/// With `assemblyOnly` (GPU targets), stops at the PTX or AMDGCN assembly:
/// no ptxas or ld.lld is needed, and `object` and the launcher stay empty.
llvm::FailureOr<CompiledArtifacts>
compileModule(mlir::ModuleOp module, const TargetSpec &target,
              llvm::StringRef baseName, llvm::StringRef pipelineOptions = "",
              bool assemblyOnly = false);

/// The C header for `kernels`.
std::string emitCHeader(llvm::ArrayRef<KernelSignature> kernels,
                        llvm::StringRef baseName);

} // namespace einfuse

#endif
