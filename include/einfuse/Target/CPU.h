//===- CPU.h - The host CPU target ------------------------------*- C++ -*-===//
#ifndef EINFUSE_TARGET_CPU_H
#define EINFUSE_TARGET_CPU_H

#include "einfuse/Compiler.h"

namespace einfuse::cpu {

/// Optimises `module` at O3 for the host CPU and returns an ELF object.
llvm::FailureOr<std::string> emitHostObject(llvm::Module &module,
                                            std::string &error);

/// Optimises `module` at O3 for the host CPU (also used by the JIT).
llvm::LogicalResult optimizeForHost(llvm::Module &module, std::string &error);

/// C source implementing the header's functions by calling the
/// `_mlir_ciface_` entry points of the object with memref descriptors.
std::string emitLauncher(llvm::ArrayRef<KernelSignature> kernels,
                         llvm::StringRef baseName);

} // namespace einfuse::cpu

#endif
