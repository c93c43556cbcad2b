//===- Runner.cpp - einfuse-e2e: the JIT test runner -----------------------===//
//
//   einfuse-e2e --suite=attention|qmatmul|softmax|layernorm|rmsnorm-matmul|
//                       cross-entropy|checker
//               [--cases=N] [--seed=S] [--verbose]
//
// Each case is an MLIR module with one kernel, compiled by the same CPU
// pipeline einfuse-compile uses, JIT-compiled and run in this process on
// random inputs, with its output poisoned first, and checked against the
// float64 reference under the numerics contract of docs/design.md.
//
//===----------------------------------------------------------------------===//
#include "E2E.h"

#include "einfuse/Compiler.h"
#include "einfuse/InitAll.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace e2e;
using namespace llvm;

static cl::opt<std::string> suite("suite", cl::desc("Case family"), cl::Required);
static cl::opt<int> numCases("cases", cl::desc("Number of cases"), cl::init(20));
static cl::opt<uint64_t> seed("seed", cl::desc("Random seed"), cl::init(1));
static cl::opt<bool> verbose("verbose", cl::desc("Print every case"));
static cl::opt<std::string> pipelineOptions(
    "pipeline-options",
    cl::desc("Options of the CPU pipeline, e.g. deferred-normalize=false"),
    cl::init(""));

namespace {

/// A memref descriptor for a dense row-major buffer, as MLIR lays it out:
/// allocated, aligned, offset, sizes[rank], strides[rank].
std::vector<int64_t> descriptor(Tensor &t) {
  size_t r = t.shape.size();
  std::vector<int64_t> d(3 + 2 * r);
  d[0] = d[1] = reinterpret_cast<int64_t>(t.bytes.data());
  d[2] = 0;
  int64_t stride = 1;
  for (size_t i = r; i-- > 0;) {
    d[3 + i] = t.shape[i];
    d[3 + r + i] = stride;
    stride *= t.shape[i];
  }
  return d;
}

class Jit {
public:
  Jit() : context(makeRegistry()) {
    context.loadAllAvailableDialects();
  }

  /// Compiles `mlir` and runs @kernel on `inputs` into `output`.
  bool run(const std::string &mlir, std::vector<Tensor> &inputs,
           Tensor &output, std::string &error) {
    std::string diag;
    llvm::raw_string_ostream diagOs(diag);
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagOs << d.getLocation() << ": " << d << "\n";
      return mlir::success();
    });
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(mlir, &context);
    if (!module) {
      error = "parse failed: " + diag;
      return false;
    }
    if (failed(einfuse::lowerToLLVMDialect(*module, einfuse::TargetKind::CPU,
                                               pipelineOptions))) {
      error = "lowering failed: " + diag;
      return false;
    }
    mlir::ExecutionEngineOptions options;
    // `transformer` is a function_ref: keep the function alive.
    std::function<llvm::Error(llvm::Module *)> optimize =
        mlir::makeOptimizingTransformer(2, 0, nullptr);
    options.transformer = optimize;
#ifdef EINFUSE_LIBOMP_PATH
    // Kernels compiled with threads=true call the OpenMP runtime.
    SmallVector<StringRef> libs = {EINFUSE_LIBOMP_PATH};
    options.sharedLibPaths = libs;
#endif
    auto engine = mlir::ExecutionEngine::create(*module, options);
    if (!engine) {
      error = "JIT failed: " + toString(engine.takeError()) + "\n" + diag;
      return false;
    }
    std::vector<std::vector<int64_t>> descs;
    for (Tensor &t : inputs)
      descs.push_back(descriptor(t));
    descs.push_back(descriptor(output));
    std::vector<void *> ptrs, args;
    for (auto &d : descs)
      ptrs.push_back(d.data());
    for (void *&p : ptrs)
      args.push_back(&p);
    if (Error err = (*engine)->invokePacked("_mlir_ciface_kernel", args)) {
      error = "invocation failed: " + toString(std::move(err));
      return false;
    }
    return true;
  }

private:
  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    einfuse::registerAllDialects(registry);
    mlir::registerBuiltinDialectTranslation(registry);
    mlir::registerLLVMDialectTranslation(registry);
    mlir::registerOpenMPDialectTranslation(registry);
    return registry;
  }
  mlir::MLIRContext context;
};

Case makeCase(const std::string &family, Rng &rng, int i) {
  if (family == "attention")
    return makeAttentionCase(rng, i);
  if (family == "qmatmul")
    return makeQMatmulCase(rng, i);
  if (family == "softmax")
    return makeSoftmaxCase(rng, i);
  if (family == "layernorm")
    return makeLayerNormCase(rng, i);
  if (family == "cross-entropy")
    return makeCrossEntropyCase(rng, i);
  return makeRMSNormMatmulCase(rng, i);
}

/// The test of the checker: a correct output passes, the same output with
/// one element perturbed just past the bound fails, and an output with one
/// element left unwritten (poisoned) fails.
int runCheckerSuite(Jit &jit, Rng &rng) {
  int failures = 0;
  for (int i = 0; i < numCases; ++i) {
    Case c = makeAttentionCase(rng, i);
    c.output.poison();
    std::string error;
    if (!jit.run(c.mlir, c.inputs, c.output, error)) {
      outs() << "FAIL checker case " << i << ": " << error << "\n";
      ++failures;
      continue;
    }
    Verdict good = check(c.output, c.expected, c.floor);
    int64_t n = c.output.numel();
    int64_t victim = std::uniform_int_distribution<int64_t>(0, n - 1)(rng);
    Tensor perturbed = c.output;
    double delta = std::max(2 * good.bound, 1e-2) + std::fabs(c.output.get(victim)) * 0.01;
    perturbed.set(victim, c.output.get(victim) + delta);
    Verdict bad = check(perturbed, c.expected, c.floor);
    Tensor unwritten = c.output;
    unwritten.set(victim, NAN);
    Verdict poisoned = check(unwritten, c.expected, c.floor);
    bool ok = good.pass && !bad.pass && !poisoned.pass;
    outs() << (ok ? "PASS" : "FAIL") << " checker case " << i << " (" << c.desc
           << "): correct output " << (good.pass ? "passes" : "FAILS")
           << "; element " << victim << " perturbed by " << delta << " "
           << (bad.pass ? "NOT caught" : "caught: " + bad.why)
           << "; element left poisoned "
           << (poisoned.pass ? "NOT caught" : "caught") << "\n";
    failures += !ok;
  }
  outs() << numCases - failures << " passed, " << failures << " failed\n";
  return failures ? 1 : 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Einfuse end-to-end numeric tests\n");
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  static const char *families[] = {"attention", "qmatmul", "softmax",
                                   "layernorm", "rmsnorm-matmul",
                                   "cross-entropy", "checker"};
  if (!llvm::is_contained(families, StringRef(suite))) {
    errs() << "einfuse-e2e: error: unknown suite '" << suite << "'\n";
    return 2;
  }
  Jit jit;
  Rng rng(seed);
  if (suite == "checker")
    return runCheckerSuite(jit, rng);

  int failures = 0;
  double worstRatio = 0;
  for (int i = 0; i < numCases; ++i) {
    Case c = makeCase(suite, rng, i);
    c.output.poison();
    std::string error;
    if (!jit.run(c.mlir, c.inputs, c.output, error)) {
      outs() << "FAIL case " << i << " (" << c.desc << "): " << error << "\n"
             << c.mlir;
      ++failures;
      continue;
    }
    Verdict v = check(c.output, c.expected, c.floor);
    if (v.bound > 0)
      worstRatio = std::max(worstRatio, v.maxErr / v.bound);
    if (!v.pass || verbose) {
      outs() << (v.pass ? "PASS" : "FAIL") << " case " << i << " (" << c.desc
             << "): max error " << v.maxErr << ", naive " << v.naiveErr
             << ", bound " << v.bound;
      if (!v.pass)
        outs() << ": " << v.why << "\n" << c.mlir;
      outs() << "\n";
    }
    failures += !v.pass;
  }
  outs() << "suite " << suite << " seed " << seed << ": worst error/bound "
         << worstRatio << "\n";
  outs() << numCases - failures << " passed, " << failures << " failed\n";
  return failures ? 1 : 0;
}
