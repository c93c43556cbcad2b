//===- einfuse-compile.cpp - Ahead-of-time kernel compiler -----------------===//
//
//   einfuse-compile kernel.mlir --target=<target> -o outdir [--name=base]
//
// writes the kernels (outdir/base.o for cpu, base.cubin and base.ptx for
// nvidia:*, base.hsaco and base.s for amd:*; base.<chip>.* for each chip of
// a multi-chip target), outdir/base.h (one typed C function per kernel),
// outdir/base.c (the launcher implementing them) and outdir/base.json (the
// signature, for bindings).
// Files are written only once everything has compiled, so a failure leaves
// none.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Compiler.h"
#include "einfuse/InitAll.h"
#include "einfuse/InputCheck.h"
#include "einfuse/Version.h"
#include "llvm/Config/llvm-config.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/AsmState.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/Format.h"
#include <chrono>

using namespace llvm;

static cl::OptionCategory category("einfuse-compile options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input .mlir>"),
                                          cl::Required, cl::cat(category));
static cl::opt<std::string> targetSpec(
    "target",
    cl::desc("Target: cpu (= cpu:x86-64-v3, portable), cpu:<arch> (native, "
             "x86-64, x86-64-v2, x86-64-v3, x86-64-v4, aarch64, or an LLVM "
             "CPU name), nvidia:<chips> (sm_80, sm_90a) or amd:<chips> "
             "(gfx942, gfx90a); several chips separated by commas give one "
             "launcher that picks the chip at run time"),
    cl::init("cpu"), cl::cat(category));
static cl::opt<std::string> outputDir("o", cl::desc("Output directory"),
                                      cl::value_desc("dir"), cl::Required,
                                      cl::cat(category));
static cl::opt<std::string> pipelineOptions(
    "pipeline-options",
    cl::desc("Options of the target pipeline: for the CPU as for "
             "einfuse-opt's --einfuse-cpu-pipeline (e.g. \"threads=true "
             "tile-size=32\"; with threads=true, link the kernels with "
             "-lomp); for GPUs those of --einfuse-gpu-pipeline (threads, "
             "lanes, tile-size, matrix-tile, small-m, split: e.g. "
             "\"split=16\") and, on NVIDIA, warps, block-n and wgmma of "
             "the hand-written attention kernels"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> emit(
    "emit",
    cl::desc("What to write: all (default) or assembly (GPU targets: only "
             "the .ptx or .s, the header and the signature; needs no ptxas "
             "or ld.lld)"),
    cl::init("all"), cl::cat(category));
static cl::opt<std::string>
    baseName("name",
             cl::desc("Base name of the output files (default: the "
                      "input file's stem)"),
             cl::cat(category));
static cl::opt<bool> verbose("v",
                             cl::desc("Print the stages and their times, and "
                                      "the files written"),
                             cl::cat(category));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // MLIR's standard options: --mlir-timing, --mlir-print-ir-after-all,
  // --mlir-print-ir-before=..., --mlir-elide-elementsattrs-if-larger, ...
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  // --help shows ours and MLIR's; LLVM's codegen flags stay behind
  // --help-hidden.
  static cl::OptionCategory mlirCategory("MLIR options (IR printing, timing)");
  for (auto &[name, option] : cl::getRegisteredOptions())
    if (name.starts_with("mlir-"))
      option->addCategory(mlirCategory);
  cl::HideUnrelatedOptions({&category, &mlirCategory});
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "einfuse-compile (Einfuse " EINFUSE_VERSION_STRING ", LLVM "
       << LLVM_VERSION_STRING << ")\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "Einfuse ahead-of-time compiler: kernels from an MLIR file to a binary, "
      "a C header, a C launcher and a JSON signature\n");

  std::string error;
  FailureOr<einfuse::TargetSpec> target =
      einfuse::parseTarget(targetSpec, error);
  if (failed(target)) {
    errs() << "einfuse-compile: error: " << error << "\n";
    return 1;
  }
  if (emit != "all" && emit != "assembly") {
    errs() << "einfuse-compile: error: unknown --emit value '" << emit
           << "' (expected all or assembly)\n";
    return 1;
  }
  std::unique_ptr<MemoryBuffer> file = mlir::openInputFile(inputFilename, &error);
  if (!file) {
    errs() << "einfuse-compile: error: " << error << "\n";
    return 1;
  }
  if (file->getBuffer().trim().empty()) {
    errs() << inputFilename << ":1:1: error: input is empty\n";
    return 1;
  }
  if (einfuse::reportParserHazard(*file))
    return 1;
  std::string base = baseName.empty()
                         ? sys::path::stem(inputFilename).str()
                         : baseName.getValue();
  // The base name names files inside the output directory (and the
  // header guard): no path, nothing a C preprocessor cannot carry.
  if (base.empty() || base == "." || base == ".." ||
      StringRef(base).find_first_of("/\\\"<>") != StringRef::npos) {
    errs() << "einfuse-compile: error: invalid --name '" << base
           << "': a file name without a directory is expected\n";
    return 1;
  }

  mlir::DialectRegistry registry;
  einfuse::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  // Errors point at the kernel source; a generic dump of the failing op
  // (what mlir-opt adds by default) is noise to a user of this tool.
  context.printOpOnDiagnostic(false);
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  // -v: each stage with its wall time.
  using Clock = std::chrono::steady_clock;
  std::string currentStage;
  Clock::time_point stageStart;
  auto stage = [&](StringRef name) {
    if (!verbose)
      return;
    if (!currentStage.empty())
      errs() << format("  %8.3f s  ",
                       std::chrono::duration<double>(Clock::now() - stageStart)
                           .count())
             << currentStage << "\n";
    currentStage = name.str();
    stageStart = Clock::now();
  };
  if (verbose)
    errs() << "einfuse-compile: " << inputFilename << " for "
           << target->str() << "\n";
  stage("parse");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      einfuse::parseKernelSource(sourceMgr, &context);
  if (!module)
    return 1;
  einfuse::CompileOptions options;
  options.pipelineOptions = pipelineOptions;
  options.assemblyOnly = emit == "assembly";
  options.onStage = stage;
  // --mlir-timing: one report (at exit) over every pass manager.
  mlir::DefaultTimingManager tm;
  mlir::applyDefaultTimingManagerCLOptions(tm);
  mlir::TimingScope rootTiming = tm.getRootScope();
  options.configurePassManager = [&](mlir::PassManager &pm) {
    (void)mlir::applyPassManagerCLOptions(pm);
    if (tm.isEnabled())
      pm.enableTiming(rootTiming);
  };
  FailureOr<einfuse::CompiledArtifacts> artifacts =
      einfuse::compileModule(*module, *target, base, options);
  stage("");
  if (failed(artifacts))
    return 1;

  bool dirExisted = sys::fs::is_directory(outputDir);
  if (std::error_code ec = sys::fs::create_directories(outputDir)) {
    errs() << "einfuse-compile: error: cannot create '" << outputDir
           << "': " << ec.message() << "\n";
    return 1;
  }
  SmallVector<std::unique_ptr<ToolOutputFile>> outputs;
  auto write = [&](StringRef suffix, StringRef contents) -> bool {
    SmallString<256> path(outputDir);
    sys::path::append(path, base + suffix);
    auto out = mlir::openOutputFile(path, &error);
    if (!out) {
      errs() << "einfuse-compile: error: " << error << "\n";
      return false;
    }
    out->os() << contents;
    if (verbose)
      errs() << "  wrote " << path << " (" << contents.size() << " bytes)\n";
    outputs.push_back(std::move(out));
    return true;
  };
  for (const einfuse::ArtifactFile &file : artifacts->files) {
    if (write(file.suffix, file.contents))
      continue;
    // ToolOutputFile removes what was written; leave no new directory.
    outputs.clear();
    if (!dirExisted)
      sys::fs::remove(outputDir);
    return 1;
  }
  for (auto &out : outputs)
    out->keep();
  return 0;
}
