//===- Compiler.cpp - Ahead-of-time kernel compilation ---------------------===//
#include "einfuse/Compiler.h"

#include "einfuse/Pipelines.h"
#include "einfuse/Target/AMD.h"
#include "einfuse/Target/CPU.h"
#include "einfuse/Target/GPU.h"
#include "einfuse/Target/NVIDIA.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace einfuse {

static constexpr StringLiteral nvidiaChips[] = {"sm_80", "sm_90a"};
static constexpr StringLiteral amdChips[] = {"gfx942", "gfx90a"};

StringRef getTargetList() {
  return "cpu, nvidia:sm_80, nvidia:sm_90a, amd:gfx942, amd:gfx90a";
}

std::string TargetSpec::str() const {
  switch (kind) {
  case TargetKind::CPU:
    return "cpu";
  case TargetKind::NVIDIA:
    return "nvidia:" + chip;
  case TargetKind::AMD:
    return "amd:" + chip;
  }
  return "";
}

FailureOr<TargetSpec> parseTarget(StringRef spec, std::string &error) {
  if (spec == "cpu")
    return TargetSpec(TargetKind::CPU);
  auto [vendor, chip] = spec.split(':');
  if (vendor == "nvidia" && llvm::is_contained(nvidiaChips, chip))
    return TargetSpec(TargetKind::NVIDIA, chip.str());
  if (vendor == "amd" && llvm::is_contained(amdChips, chip))
    return TargetSpec(TargetKind::AMD, chip.str());
  if (vendor == "nvidia" || vendor == "amd")
    error = ("unsupported " + vendor + " chip '" + chip + "' in target '" +
             spec + "' (available: " + getTargetList() + ")")
                .str();
  else
    error = ("unknown target '" + spec + "' (available: " + getTargetList() +
             ")")
                .str();
  return failure();
}

/// Whether getCElementType has a C type for `type`.
static bool hasCElementType(Type type) {
  if (type.isF16() || type.isBF16() || type.isF32() || type.isF64() ||
      isa<Float8E4M3FNType>(type))
    return true;
  auto it = dyn_cast<IntegerType>(type);
  return it && it.isSignless() &&
         llvm::is_contained({1u, 4u, 8u, 16u, 32u, 64u}, it.getWidth());
}

/// Whether `name` can name a C function: an identifier, not a keyword.
static bool isValidCIdentifier(StringRef name) {
  static const char *keywords[] = {
      "auto",     "break",    "case",     "char",   "const",    "continue",
      "default",  "do",       "double",   "else",   "enum",     "extern",
      "float",    "for",      "goto",     "if",     "inline",   "int",
      "long",     "register", "restrict", "return", "short",    "signed",
      "sizeof",   "static",   "struct",   "switch", "typedef",  "union",
      "unsigned", "void",     "volatile", "while",  "_Bool",    "bool",
      "true",     "false",    "main"};
  if (name.empty() || isdigit(static_cast<unsigned char>(name[0])))
    return false;
  if (!llvm::all_of(name, [](char c) {
        return isalnum(static_cast<unsigned char>(c)) || c == '_';
      }))
    return false;
  return !llvm::is_contained(keywords, name);
}

FailureOr<std::vector<KernelSignature>> collectKernels(ModuleOp module) {
  std::vector<KernelSignature> kernels;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isPrivate() || fn.isExternal())
      continue;
    KernelSignature sig;
    sig.name = fn.getName().str();
    if (!isValidCIdentifier(sig.name))
      return fn.emitError("kernel name '")
             << sig.name << "' is not a valid C identifier (the header "
             << "declares a C function of that name)";
    FunctionType type = fn.getFunctionType();
    auto add = [&](Type t, bool isOutput, unsigned i) -> LogicalResult {
      auto tt = dyn_cast<RankedTensorType>(t);
      if (!tt)
        return fn.emitError("unsupported kernel signature: ")
               << (isOutput ? "result #" : "argument #") << i
               << " is not a ranked tensor";
      if (!hasCElementType(tt.getElementType()))
        return fn.emitError("unsupported kernel signature: ")
               << (isOutput ? "result #" : "argument #") << i
               << " has element type " << tt.getElementType()
               << ", which has no C type (expected f16, bf16, f32, f64, "
                  "f8E4M3FN or a signless i1, i4, i8, i16, i32 or i64)";
      sig.args.push_back({(isOutput ? "out" : "in") + std::to_string(i), tt,
                          isOutput});
      return success();
    };
    for (auto [i, t] : llvm::enumerate(type.getInputs()))
      if (failed(add(t, false, i)))
        return failure();
    for (auto [i, t] : llvm::enumerate(type.getResults()))
      if (failed(add(t, true, i)))
        return failure();
    if (type.getNumResults() == 0)
      return fn.emitError("unsupported kernel signature: a kernel must "
                          "return at least one tensor");
    kernels.push_back(std::move(sig));
  }
  if (kernels.empty()) {
    // The parser puts an implicit module at line 0 of its file; point at the
    // start of the file instead.
    Location loc = module.getLoc();
    if (auto file = dyn_cast<FileLineColLoc>(loc); file && file.getLine() == 0)
      loc = FileLineColLoc::get(file.getFilename(), 1, 1);
    return emitError(loc, "no kernel to compile: the input has no public "
                          "function");
  }
  return kernels;
}

LogicalResult lowerToLLVMDialect(ModuleOp module, TargetKind target,
                                 StringRef options) {
  PassManager pm(module.getContext());
  switch (target) {
  case TargetKind::NVIDIA:
  case TargetKind::AMD:
    return module.emitError("GPU targets are not lowered to the LLVM dialect "
                            "alone; use compileModule");
  case TargetKind::CPU: {
    std::unique_ptr<CPUPipelineOptions> parsed =
        CPUPipelineOptions::createFromString(options);
    if (!parsed)
      return module.emitError("invalid CPU pipeline options '")
             << options << "'";
    buildCPUPipeline(pm, *parsed);
    break;
  }
  }
  return pm.run(module);
}

std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module,
                                                llvm::LLVMContext &ctx) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);
  return mlir::translateModuleToLLVMIR(module, ctx);
}

std::string emitCHeader(ArrayRef<KernelSignature> kernels, StringRef baseName) {
  std::string guard = getHeaderGuard(baseName);
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "/* Generated by einfuse-compile. Do not edit. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const KernelSignature &k : kernels) {
    os << "/* " << k.name << ": dense row-major buffers.\n";
    for (const KernelArg &a : k.args)
      os << " *   " << a.name << (a.isOutput ? " (out) " : " (in)  ")
         << describeBuffer(a.type) << "\n";
    os << " * Dynamic sizes follow each buffer as <name>_dim<d>. f16/bf16 are\n"
       << " * passed as uint16_t bits, i1 as one uint8_t per element.\n"
       << " * Returns 0, or -1 for a negative size. */\n";
    os << getCPrototype(k) << ";\n\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return out;
}

/// Compiles `module` for a GPU target: the target's own room builds and
/// serialises the device code; the header and launcher are shared.
static FailureOr<CompiledArtifacts> compileForGPU(ModuleOp module,
                                                  const TargetSpec &target,
                                                  StringRef baseName,
                                                  StringRef pipelineOptions,
                                                  bool assemblyOnly) {
  bool nv = target.kind == TargetKind::NVIDIA;
  if (!nv && !pipelineOptions.empty())
    return module.emitError("--pipeline-options tunes the CPU pipeline and "
                            "the NVIDIA kernels; the ")
           << target.str() << " target takes none";
  FailureOr<gpu::GPUModule> compiled =
      nv ? nvidia::compileModule(module, target.chip, assemblyOnly,
                                 pipelineOptions)
         : amd::compileModule(module, target.chip, assemblyOnly);
  if (failed(compiled))
    return failure();
  gpu::Runtime runtime = nv ? gpu::Runtime::CUDA : gpu::Runtime::HIP;
  CompiledArtifacts out;
  out.object = compiled->binary;
  out.objectExtension = nv ? ".cubin" : ".hsaco";
  out.assembly = compiled->assembly;
  out.assemblyExtension = nv ? ".ptx" : ".s";
  out.header = gpu::emitGPUHeader(compiled->plans, baseName, runtime);
  if (!assemblyOnly)
    out.launcher = gpu::emitGPULauncher(*compiled, baseName, runtime);
  return out;
}

FailureOr<CompiledArtifacts> compileModule(ModuleOp module,
                                           const TargetSpec &target,
                                           StringRef baseName,
                                           StringRef pipelineOptions,
                                           bool assemblyOnly) {
  FailureOr<std::vector<KernelSignature>> kernels = collectKernels(module);
  if (failed(kernels))
    return failure();
  if (target.kind != TargetKind::CPU)
    return compileForGPU(module, target, baseName, pipelineOptions,
                         assemblyOnly);
  if (assemblyOnly)
    return module.emitError("--emit=assembly is for the GPU targets");
  if (failed(lowerToLLVMDialect(module, target.kind, pipelineOptions)))
    return failure();
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> llvmModule = translateToLLVMIR(module, llvmCtx);
  if (!llvmModule)
    return module.emitError("cannot translate the lowered module to LLVM IR");
  // The launcher defines the C function `<kernel>`, which is also the name
  // of the lowered kernel body; keep every definition but the
  // `_mlir_ciface_` entry points local so that the object links with its
  // launcher, and with the objects of other kernels.
  for (llvm::Function &fn : *llvmModule)
    if (!fn.isDeclaration() && !fn.getName().starts_with("_mlir_ciface_"))
      fn.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable &global : llvmModule->globals())
    if (!global.isDeclaration())
      global.setLinkage(llvm::GlobalValue::InternalLinkage);
  CompiledArtifacts out;
  std::string error;
  FailureOr<std::string> object = cpu::emitHostObject(*llvmModule, error);
  if (failed(object))
    return module.emitError("code generation failed: ") << error;
  out.object = std::move(*object);
  out.objectExtension = ".o";
  out.header = emitCHeader(*kernels, baseName);
  out.launcher = cpu::emitLauncher(*kernels, baseName);
  return out;
}

} // namespace einfuse
