//===- CPUTarget.cpp - Host CPU code generation and launcher ---------------===//
#include "einfuse/Target/CPU.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <set>

using namespace llvm;

extern "C" {
void LLVMInitializeX86TargetInfo();
void LLVMInitializeX86Target();
void LLVMInitializeX86TargetMC();
void LLVMInitializeX86AsmPrinter();
void LLVMInitializeAArch64TargetInfo();
void LLVMInitializeAArch64Target();
void LLVMInitializeAArch64TargetMC();
void LLVMInitializeAArch64AsmPrinter();
}

namespace einfuse::cpu {

static void initializeTargets() {
  static bool once = [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64Target();
    LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64AsmPrinter();
    return true;
  }();
  (void)once;
}

/// The triple a CPU family compiles for: the build machine's when it is of
/// that family, else Linux.
static std::string tripleFor(Triple::ArchType arch) {
  Triple host(sys::getProcessTriple());
  if (host.getArch() == arch)
    return host.str();
  return arch == Triple::x86_64 ? "x86_64-unknown-linux-gnu"
                                : "aarch64-unknown-linux-gnu";
}

/// Subtarget info of `cpu` on `triple`, or null.
static std::unique_ptr<MCSubtargetInfo> getSubtarget(StringRef triple,
                                                     StringRef cpu) {
  std::string error;
  Triple t(triple);
  const Target *target = TargetRegistry::lookupTarget(t, error);
  if (!target)
    return nullptr;
  return std::unique_ptr<MCSubtargetInfo>(
      target->createMCSubtargetInfo(t, cpu, ""));
}

LogicalResult resolveCPU(StringRef arch, TargetSpec &spec, std::string &error) {
  initializeTargets();
  if (arch == "native" || arch == "host") {
    spec.cpu = "native";
    spec.triple.clear();
    return success();
  }
  // `aarch64` / `arm64`: the baseline Armv8-A with NEON.
  if (arch == "aarch64" || arch == "arm64") {
    spec.cpu = "generic";
    spec.triple = tripleFor(Triple::aarch64);
    return success();
  }
  for (Triple::ArchType family : {Triple::x86_64, Triple::aarch64}) {
    std::string triple = tripleFor(family);
    std::unique_ptr<MCSubtargetInfo> sti = getSubtarget(triple, "generic");
    if (sti && sti->isCPUStringValid(arch)) {
      spec.cpu = arch.str();
      spec.triple = triple;
      return success();
    }
  }
  // Suggest the closest CPU name of either backend.
  StringRef best;
  unsigned bestDistance = 3;
  std::vector<std::string> names = {"native", "aarch64"};
  for (Triple::ArchType family : {Triple::x86_64, Triple::aarch64})
    if (auto sti = getSubtarget(tripleFor(family), "generic"))
      for (const SubtargetSubTypeKV &kv : sti->getAllProcessorDescriptions())
        names.push_back(kv.Key);
  for (const std::string &n : names) {
    unsigned d = arch.edit_distance(n, true, 3);
    if (d < bestDistance) {
      bestDistance = d;
      best = n;
    }
  }
  error = ("unknown CPU '" + arch + "'").str();
  if (!best.empty())
    error += ("; did you mean '" + best + "'?").str();
  error += " (expected native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, "
           "aarch64, or a CPU name of LLVM's x86 or AArch64 backend)";
  return failure();
}

/// A target machine for `target`'s CPU.
static std::unique_ptr<TargetMachine>
createMachine(const TargetSpec &target, std::string &error) {
  initializeTargets();
  bool native = target.cpu == "native";
  Triple triple(native || target.triple.empty() ? sys::getProcessTriple()
                                                : target.triple);
  const Target *llvmTarget = TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return nullptr;
  SubtargetFeatures features;
  if (native)
    for (auto &f : sys::getHostCPUFeatures())
      features.AddFeature(f.first(), f.second);
  TargetOptions options;
  StringRef cpu = native ? StringRef(sys::getHostCPUName())
                         : StringRef(target.cpu);
  auto create = [&] {
    return std::unique_ptr<TargetMachine>(llvmTarget->createTargetMachine(
        triple, cpu, features.getString(), options, Reloc::PIC_, std::nullopt,
        CodeGenOptLevel::Aggressive));
  };
  std::unique_ptr<TargetMachine> tm = create();
  // The contractions are written 16 lanes wide where AVX-512 exists
  // (getVectorWidth); CPUs tuned to prefer 256-bit vectors (x86-64-v4,
  // skylake-avx512, ...) would split them in two. Keep them whole (native
  // builds keep the host CPU's own tuning, as benchmarked).
  if (tm && !native && triple.isX86() &&
      tm->getMCSubtargetInfo()->checkFeatures("+avx512f")) {
    features.AddFeature("prefer-256-bit", false);
    tm = create();
  }
  if (!tm)
    error = "cannot create a target machine for " + target.str();
  return tm;
}

/// Whether `target`'s CPU has `feature` ("avx512f", ...).
static bool hasFeature(const TargetSpec &target, StringRef feature) {
  if (target.cpu == "native")
    return sys::getHostCPUFeatures().lookup(feature);
  std::string error;
  std::unique_ptr<TargetMachine> tm = createMachine(target, error);
  return tm && tm->getMCSubtargetInfo()->checkFeatures(("+" + feature).str());
}

int64_t getVectorWidth(const TargetSpec &target) {
  Triple triple(target.cpu == "native" || target.triple.empty()
                    ? sys::getProcessTriple()
                    : target.triple);
  if (!triple.isX86())
    return 4;
  return hasFeature(target, "avx512f") ? 16 : 8;
}

/// The x86 features the launcher checks at run time (names that GCC's and
/// Clang's __builtin_cpu_supports take) which `target`'s CPU has.
static std::vector<std::string> getRuntimeChecks(const TargetSpec &target) {
  if (target.cpu == "native" || !Triple(target.triple).isX86())
    return {};
  std::vector<std::string> out;
  for (StringRef f : {"sse4.2", "popcnt", "avx", "avx2", "fma", "bmi2",
                      "avx512f", "avx512bw", "avx512dq", "avx512vl",
                      "avx512cd"})
    if (hasFeature(target, f))
      out.push_back(f.str());
  return out;
}

FailureOr<std::string> emitObject(Module &module, const TargetSpec &target,
                                  std::string &error) {
  std::unique_ptr<TargetMachine> tm = createMachine(target, error);
  if (!tm)
    return failure();
  module.setDataLayout(tm->createDataLayout());
  module.setTargetTriple(tm->getTargetTriple());
  auto transformer = mlir::makeOptimizingTransformer(3, 0, tm.get());
  if (Error err = transformer(&module)) {
    error = toString(std::move(err));
    return failure();
  }
  SmallString<0> buffer;
  raw_svector_ostream os(buffer);
  legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr, CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  pm.run(module);
  return std::string(buffer.str());
}

std::string emitLauncher(ArrayRef<KernelSignature> kernels,
                         StringRef baseName, const TargetSpec &target) {
  std::string out;
  raw_string_ostream os(out);
  os << "/* Generated by einfuse-compile --target=" << target.str()
     << ". Do not edit. */\n"
     << "#include \"" << baseName << ".h\"\n\n";
  std::vector<std::string> features = getRuntimeChecks(target);
  if (!features.empty()) {
    os << "/* The object uses these instructions: refuse to run without "
          "them. */\n"
       << "#if defined(__x86_64__) && (defined(__GNUC__) || "
          "defined(__clang__))\n"
       << "static int einfuse_cpu_supported(void) {\n"
       << "  __builtin_cpu_init();\n  return";
    for (auto [i, f] : llvm::enumerate(features))
      os << (i ? " &&\n        " : " ") << "__builtin_cpu_supports(\"" << f
         << "\")";
    os << ";\n}\n#else\n"
       << "static int einfuse_cpu_supported(void) { return 1; }\n"
       << "#endif\n\n";
  }
  os << "/* Ranked memref descriptors, as MLIR lowers them to LLVM. */\n";
  std::set<int64_t> ranks;
  for (const KernelSignature &k : kernels)
    for (const KernelArg &a : k.args)
      ranks.insert(a.type.getRank());
  for (int64_t r : ranks) {
    os << "typedef struct { void *allocated; void *aligned; int64_t offset;";
    if (r > 0)
      os << " int64_t sizes[" << r << "]; int64_t strides[" << r << "];";
    os << " } einfuse_memref_" << r << ";\n";
  }
  os << "\n";
  for (const KernelSignature &k : kernels) {
    os << "extern void _mlir_ciface_" << k.name << "(";
    llvm::interleaveComma(k.args, os, [&](const KernelArg &a) {
      os << "einfuse_memref_" << a.type.getRank() << " *";
    });
    os << ");\n\n";
    std::vector<std::string> body;
    if (!features.empty())
      body.push_back("if (!einfuse_cpu_supported()) return " +
                     std::to_string(kLauncherUnsupportedCPU) + ";");
    for (const std::string &check : getArgumentChecks(k))
      body.push_back(check);
    for (const KernelArg &a : k.args) {
      int64_t r = a.type.getRank();
      std::string line = "einfuse_memref_" + std::to_string(r) + " " + a.name +
                         "_desc = {(void *)" + a.name + ", (void *)" + a.name +
                         ", 0";
      if (r > 0) {
        line += ", {";
        for (int64_t d = 0; d < r; ++d)
          line += (d ? ", " : "") + getSizeExpr(a, d);
        line += "}, {0}";
      }
      body.push_back(line + "};");
      if (r > 0) {
        body.push_back(a.name + "_desc.strides[" + std::to_string(r - 1) +
                       "] = 1;");
        for (int64_t d = r - 2; d >= 0; --d)
          body.push_back(a.name + "_desc.strides[" + std::to_string(d) +
                         "] = " + a.name + "_desc.strides[" +
                         std::to_string(d + 1) + "] * " + a.name +
                         "_desc.sizes[" + std::to_string(d + 1) + "];");
      }
    }
    std::string call = "_mlir_ciface_" + k.name + "(";
    for (auto [i, a] : llvm::enumerate(k.args))
      call += (i ? ", &" : "&") + a.name + "_desc";
    body.push_back(call + ");");
    body.push_back("return 0;");
    os << emitForwardedFunction(k, "einfuse_run_" + k.name, body);
  }
  return out;
}

} // namespace einfuse::cpu
