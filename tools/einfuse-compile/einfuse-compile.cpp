//===- einfuse-compile.cpp - Ahead-of-time kernel compiler -----------------===//
//
//   einfuse-compile kernel.mlir --target=<target> -o outdir [--name=base]
//
// writes the kernels (outdir/base.o for cpu, base.cubin and base.ptx for
// nvidia:*, base.hsaco and base.s for amd:*), outdir/base.h (one typed C
// function per kernel) and outdir/base.c (the launcher implementing them).
// Files are written only once everything has compiled, so a failure leaves
// none.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Compiler.h"
#include "einfuse/InitAll.h"
#include "einfuse/InputCheck.h"

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

using namespace llvm;

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input .mlir>"),
                                          cl::Required);
static cl::opt<std::string> targetSpec(
    "target",
    cl::desc("Target: cpu, nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or "
             "amd:gfx90a"),
    cl::init("cpu"));
static cl::opt<std::string> outputDir("o", cl::desc("Output directory"),
                                      cl::value_desc("dir"), cl::Required);
static cl::opt<std::string> pipelineOptions(
    "pipeline-options",
    cl::desc("Options of the target pipeline, as for einfuse-opt's "
             "--einfuse-cpu-pipeline (e.g. \"threads=true tile-size=32\"); "
             "with threads=true, link the kernels with -lomp"),
    cl::init(""));
static cl::opt<std::string> emit(
    "emit",
    cl::desc("What to write: all (default) or assembly (GPU targets: only "
             "the .ptx or .s and the header; needs no ptxas or ld.lld)"),
    cl::init("all"));
static cl::opt<std::string>
    baseName("name", cl::desc("Base name of the output files (default: the "
                              "input file's stem)"));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Einfuse ahead-of-time compiler\n");

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
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  FailureOr<einfuse::CompiledArtifacts> artifacts =
      einfuse::compileModule(*module, *target, base, pipelineOptions,
                             emit == "assembly");
  if (failed(artifacts))
    return 1;

  bool dirExisted = sys::fs::is_directory(outputDir);
  if (std::error_code ec = sys::fs::create_directories(outputDir)) {
    errs() << "einfuse-compile: error: cannot create '" << outputDir
           << "': " << ec.message() << "\n";
    return 1;
  }
  SmallVector<std::unique_ptr<ToolOutputFile>> outputs;
  auto write = [&](StringRef ext, StringRef contents) -> bool {
    SmallString<256> path(outputDir);
    sys::path::append(path, base + ext);
    auto out = mlir::openOutputFile(path, &error);
    if (!out) {
      errs() << "einfuse-compile: error: " << error << "\n";
      return false;
    }
    out->os() << contents;
    outputs.push_back(std::move(out));
    return true;
  };
  if ((!artifacts->object.empty() &&
       !write(artifacts->objectExtension, artifacts->object)) ||
      (!artifacts->assembly.empty() &&
       !write(artifacts->assemblyExtension, artifacts->assembly)) ||
      !write(".h", artifacts->header) ||
      (!artifacts->launcher.empty() && !write(".c", artifacts->launcher))) {
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
