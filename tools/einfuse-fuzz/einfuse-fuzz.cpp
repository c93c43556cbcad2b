//===- einfuse-fuzz.cpp - libFuzzer target over every public entry --------===//
//
// One input is an action byte, an option byte and MLIR text. The text goes
// through our parser pre-check, the parser and the verifiers; if it parses,
// the action byte picks what runs on it (the share of the byte's values is
// in brackets: the cheap front end gets the most runs, code generation,
// which takes seconds, the fewest):
//
//   print it (custom and generic form) and parse the output again  [64]
//   --ein-pass-analysis                                            [32]
//   --ein-decompose, -deferred-normalize, -online-normalize,
//     -partition                                                   [48]
//   --einfuse-linalg-pipeline                                      [40]
//   --einfuse-cpu-pipeline (to the LLVM dialect), options from a
//     table                                                        [40]
//   einfuse-compile --target=cpu (native object, header, launcher)  [8]
//   einfuse-compile --emit=assembly --target=nvidia:sm_80, sm_90a,
//     amd:gfx942, amd:gfx90a                                    [6 each]
//
// The option byte picks pipeline options, valid and invalid ones, so that
// option handling is fuzzed too. Diagnostics are discarded: an error is a
// fine outcome, a crash, a sanitizer report or a hang (libFuzzer's
// -timeout) is not. Built by -DEINFUSE_ENABLE_FUZZER=ON with clang; run by
// scripts/fuzz.sh (docs/reliability.md).
//
//===----------------------------------------------------------------------===//
#include "einfuse/Compiler.h"
#include "einfuse/InitAll.h"
#include "einfuse/InputCheck.h"
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

using namespace mlir;

namespace {
enum class Action { Print, Analysis, Rewrites, Linalg, CPUPipeline, Compile };

/// The action of action byte `b` and, for Compile, the target index.
std::pair<Action, unsigned> decodeAction(uint8_t b) {
  if (b < 64)
    return {Action::Print, 0};
  if (b < 96)
    return {Action::Analysis, 0};
  if (b < 144)
    return {Action::Rewrites, 0};
  if (b < 184)
    return {Action::Linalg, 0};
  if (b < 224)
    return {Action::CPUPipeline, 0};
  if (b < 232)
    return {Action::Compile, 0};
  return {Action::Compile, 1 + (b - 232) / 6};
}

/// Pipeline options: what users write, the edges, and nonsense.
const char *const kOptions[] = {
    "",
    "deferred-normalize=false",
    "online-normalize=false",
    "workers=2",
    "workers=3 tile-size=2",
    "tile-size=1",
    "tile-size=7 parallel-tile=3",
    "parallel-rank=none",
    "parallel-rank=p parallel-tile=1",
    "threads=true",
    "contractions=false approximate-math=false",
    "vector-width=4",
    "workers=0",
    "workers=1000000",
    "workers=2147483648",
    "tile-size=1000000",
    "tile-size=-1",
    "parallel-tile=0",
    "parallel-rank=zz",
    "workers=0 tile-size=0",
    "vector-width=0",
    "vector-width=7",
    "bogus-option=1",
};
constexpr unsigned kNumOptions = sizeof(kOptions) / sizeof(kOptions[0]);

DialectRegistry &getRegistry() {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    einfuse::registerAllDialects(*r);
    einfuse::registerAllPasses();
    return r;
  }();
  return *registry;
}

void runPipeline(ModuleOp module, llvm::StringRef pipeline) {
  PassManager pm(module->getName());
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(pipeline, pm, os)))
    return;
  (void)pm.run(module);
}

void roundTrip(ModuleOp module, MLIRContext &context) {
  for (bool generic : {false, true}) {
    std::string text;
    llvm::raw_string_ostream os(text);
    OpPrintingFlags flags;
    if (generic)
      flags.printGenericOpForm();
    module.print(os, flags);
    ParserConfig config(&context);
    (void)parseSourceString<ModuleOp>(text, config);
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  auto [action, target] = decodeAction(data[0]);
  const char *options = kOptions[data[1] % kNumOptions];
  std::string text(reinterpret_cast<const char *>(data + 2), size - 2);
  if (einfuse::findParserHazard(text))
    return 0;

  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  ParserConfig config(&context);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, config);
  if (!module)
    return 0;

  std::string opts = options;
  switch (action) {
  case Action::Print:
    roundTrip(*module, context);
    break;
  case Action::Analysis:
    runPipeline(*module, "builtin.module(ein-pass-analysis)");
    break;
  case Action::Rewrites:
    runPipeline(*module, "builtin.module(ein-decompose,ein-deferred-normalize,"
                         "ein-online-normalize{tile-size=3},"
                         "ein-partition{workers=3})");
    break;
  case Action::Linalg:
    runPipeline(*module, "builtin.module(einfuse-linalg-pipeline)");
    break;
  case Action::CPUPipeline:
    runPipeline(*module, "builtin.module(einfuse-cpu-pipeline{" + opts + "})");
    break;
  case Action::Compile: {
    static const char *targets[] = {"cpu", "nvidia:sm_80", "nvidia:sm_90a",
                                    "amd:gfx942", "amd:gfx90a"};
    std::string error;
    auto spec = einfuse::parseTarget(targets[target], error);
    bool cpu = target == 0;
    // Native code takes seconds: the options that split stay at the MLIR
    // level.
    if (cpu && opts.find("workers") != std::string::npos)
      opts = "";
    // An f32 attention kernel takes ~3 s of LLVM code generation (~8 s in
    // this instrumented build), a GPU attention kernel of head dim 256
    // ~20 s of the GPU lowering (about 5x that here): compile the first
    // kernel of the input only, for every target, so that an input of
    // several stays inside the hang limit (the others still go through
    // every MLIR-level action). (test/Pipelines/gpu-config.mlir, 31
    // kernels, took 153 s here for sm_80.)
    {
      SmallVector<func::FuncOp> rest;
      for (auto fn : module->getOps<func::FuncOp>())
        if (!fn.isPrivate() && !fn.isExternal())
          rest.push_back(fn);
      if (!rest.empty())
        rest.erase(rest.begin());
      for (func::FuncOp fn : rest) {
        if (!SymbolTable::symbolKnownUseEmpty(fn, module->getOperation()))
          return 0;
        fn.erase();
      }
    }
    (void)einfuse::compileModule(*module, *spec, "fuzz", cpu ? opts : "",
                                 /*assemblyOnly=*/!cpu);
    break;
  }
  }
  return 0;
}
