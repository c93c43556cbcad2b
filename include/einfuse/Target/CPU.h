//===- CPU.h - The CPU target -----------------------------------*- C++ -*-===//
//
// Code generation for a CPU chosen by the user (`--target=cpu:<arch>`): the
// build machine's (`native`), an x86-64 level, or any CPU LLVM's x86 or
// AArch64 backend knows, and the C launcher of the kernels.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_TARGET_CPU_H
#define EINFUSE_TARGET_CPU_H

#include "einfuse/Compiler.h"

namespace einfuse::cpu {

/// Fills `spec.cpu` and `spec.triple` for `arch` (`native`, `x86-64-v3`,
/// `aarch64`, `neoverse-v2`, ...). Fails with a "did you mean" in `error`
/// for a name no backend knows.
llvm::LogicalResult resolveCPU(llvm::StringRef arch, TargetSpec &spec,
                               std::string &error);

/// The vector width (f32 lanes) the contractions use on `target`'s CPU:
/// 16 with AVX-512, 8 on other x86-64, 4 on AArch64.
int64_t getVectorWidth(const TargetSpec &target);

/// Optimises `module` at O3 for `target`'s CPU and returns an ELF object.
llvm::FailureOr<std::string> emitObject(llvm::Module &module,
                                        const TargetSpec &target,
                                        std::string &error);

/// C source implementing the header's functions by calling the
/// `_mlir_ciface_` entry points of the object with memref descriptors.
/// For an x86-64 target other than `native`, every function first checks
/// that the CPU it runs on has the target's instructions.
std::string emitLauncher(llvm::ArrayRef<KernelSignature> kernels,
                         llvm::StringRef baseName, const TargetSpec &target);

} // namespace einfuse::cpu

#endif
