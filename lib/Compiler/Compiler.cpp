//===- Compiler.cpp - Ahead-of-time kernel compilation ---------------------===//
#include "einfuse/Compiler.h"

#include "einfuse/Pipelines.h"
#include "einfuse/Target/AMD.h"
#include "einfuse/Target/CPU.h"
#include "einfuse/Target/GPU.h"
#include "einfuse/Target/NVIDIA.h"

#include "Ein/IR/EinDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/EquivalenceClasses.h"
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

namespace {
/// Which dims of a kernel's tensors must have the same size. A node is a
/// (tensor value, dim) pair or a (cascade, rank) pair; the ops of the body
/// join them: a cascade's Einsums join the dims they index by a plain rank
/// with that rank, its yield joins what it yields with its results, and
/// the named ops join the dims that play the same role. Ops it does not
/// know join nothing, so the result is what the body guarantees, never
/// more.
class SizeAgreement {
public:
  using Node = std::pair<const void *, int64_t>;

  explicit SizeAgreement(func::FuncOp fn) {
    fn.walk([&](Operation *op) {
      if (auto einsum = dyn_cast<ein::EinsumOp>(op))
        visitEinsum(einsum);
      else if (auto cascade = dyn_cast<ein::CascadeOp>(op))
        visitCascade(cascade);
      else if (auto attention = dyn_cast<ein::AttentionOp>(op))
        visitAttention(attention);
      else if (auto qmatmul = dyn_cast<ein::QMatmulOp>(op))
        unite(qmatmul.getInput(), 0, qmatmul.getOutput(), 0);
    });
    // Key the static extents by the final leaders.
    for (auto [n, extent] : pending)
      extents.try_emplace(classes.getOrInsertLeaderValue(n), extent);
  }

  static Node node(Value v, int64_t d) { return {v.getAsOpaquePointer(), d}; }

  /// The representative of `n`'s class.
  Node leader(Node n) { return classes.getOrInsertLeaderValue(n); }

  /// The static size of `n`'s class, or kDynamic.
  int64_t getExtent(Node n) {
    auto it = extents.find(leader(n));
    return it == extents.end() ? ShapedType::kDynamic : it->second;
  }

private:
  void add(Node n, int64_t extent) {
    classes.insert(n);
    if (!ShapedType::isDynamic(extent))
      pending.push_back({n, extent});
  }
  void add(Value v, int64_t d) {
    add(node(v, d), cast<ShapedType>(v.getType()).getDimSize(d));
  }
  void unite(Node a, Node b) { classes.unionSets(a, b); }
  void unite(Value a, int64_t da, Value b, int64_t db) {
    add(a, da);
    add(b, db);
    unite(node(a, da), node(b, db));
  }
  Node rankNode(ein::CascadeOp cascade, StringRef rank) {
    Node n{cascade.getOperation(), -1 - cascade.lookupRank(rank)};
    add(n, cascade.getDeclaredExtent(rank));
    return n;
  }

  void visitEinsum(ein::EinsumOp einsum) {
    // Einsums inside an iteration index tiles, not the cascade's tensors.
    auto cascade = dyn_cast<ein::CascadeOp>(einsum->getParentOp());
    if (!cascade)
      return;
    SmallVector<StringRef> names = einsum.getRankNames();
    auto visit = [&](Value v, AffineMap map) {
      for (auto [d, e] : llvm::enumerate(map.getResults()))
        if (auto dim = dyn_cast<AffineDimExpr>(e)) {
          add(v, d);
          unite(node(v, d), rankNode(cascade, names[dim.getPosition()]));
        }
    };
    for (auto [i, in] : llvm::enumerate(einsum.getInputs()))
      visit(in, einsum.getInputMap(i));
    visit(einsum.getResult(), einsum.getOutputMap());
  }

  void visitCascade(ein::CascadeOp cascade) {
    Operation *yield = cascade.getBodyBlock().getTerminator();
    for (auto [value, result] :
         llvm::zip(yield->getOperands(), cascade.getResults()))
      for (int64_t d = 0, e = cast<ShapedType>(result.getType()).getRank();
           d < e; ++d)
        unite(value, d, result, d);
  }

  void visitAttention(ein::AttentionOp op) {
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue(),
          o = op.getOutput(), mask = op.getMask();
    for (Value x : {k, v, o})
      unite(q, 0, x, 0); // batch
    unite(q, 1, o, 1);   // query heads
    unite(k, 1, v, 1);   // key/value heads
    unite(q, 2, o, 2);   // query length
    unite(k, 2, v, 2);   // key length
    unite(q, 3, k, 3);   // head dim
    unite(v, 3, o, 3);   // value head dim
    if (!mask)
      return;
    int64_t r = cast<ShapedType>(mask.getType()).getRank();
    if (r == 4) {
      unite(mask, 0, q, 0);
      unite(mask, 1, q, 1);
    }
    if (r >= 2) {
      unite(mask, r - 2, q, 2);
      unite(mask, r - 1, k, 2);
    }
  }

  llvm::EquivalenceClasses<Node> classes;
  SmallVector<std::pair<Node, int64_t>> pending;
  llvm::DenseMap<Node, int64_t> extents;
};
} // namespace

/// Fills `sig.sizeGroups` from `fn`'s body.
static void collectSizeGroups(func::FuncOp fn, KernelSignature &sig) {
  SizeAgreement agreement(fn);
  SmallVector<Value> values(fn.getArguments());
  func::ReturnOp ret;
  if (!fn.getBody().empty())
    ret = dyn_cast<func::ReturnOp>(fn.getBody().back().getTerminator());
  if (!ret || ret.getNumOperands() != fn.getNumResults())
    return;
  llvm::append_range(values, ret.getOperands());
  // Group (argument, dim) pairs by class, keeping the first-seen order.
  llvm::DenseMap<SizeAgreement::Node, unsigned> groupOf;
  for (auto [i, v] : llvm::enumerate(values)) {
    for (int64_t d = 0, e = sig.args[i].type.getRank(); d < e; ++d) {
      SizeAgreement::Node n = agreement.leader(SizeAgreement::node(v, d));
      auto [it, inserted] = groupOf.try_emplace(n, sig.sizeGroups.size());
      if (inserted)
        sig.sizeGroups.push_back({{}, agreement.getExtent(n)});
      sig.sizeGroups[it->second].dims.push_back({unsigned(i), d});
    }
  }
  // Only groups with a dynamic size need a check.
  llvm::erase_if(sig.sizeGroups, [&](const SizeGroup &g) {
    bool anyDynamic = llvm::any_of(g.dims, [&](auto p) {
      return sig.args[p.first].type.isDynamicDim(p.second);
    });
    return !anyDynamic ||
           (g.dims.size() < 2 && ShapedType::isDynamic(g.extent));
  });
}

std::string getStatusCodeDefinitions() {
  return "#ifndef EINFUSE_STATUS_CODES\n"
         "#define EINFUSE_STATUS_CODES\n"
         "/* What every generated kernel function returns. The argument checks\n"
         " * (-1, -2, -5, -6, -7) run before any work: nothing is written. */\n"
         "#define EINFUSE_OK 0\n"
         "#define EINFUSE_ERROR_NEGATIVE_SIZE (-1)  /* a dynamic size < 0 */\n"
         "#define EINFUSE_ERROR_SIZE_MISMATCH (-2)  /* sizes that must agree "
         "do not, or are out of the kernel's range */\n"
         "#define EINFUSE_ERROR_LOAD_FAILED (-3)    /* GPU: the device module "
         "cannot be loaded */\n"
         "#define EINFUSE_ERROR_LAUNCH_FAILED (-4)  /* GPU: a launch or an "
         "allocation failed */\n"
         "#define EINFUSE_ERROR_MISALIGNED (-5)     /* GPU: a buffer is not "
         "16-byte aligned */\n"
         "#define EINFUSE_ERROR_NULL_POINTER (-6)   /* a buffer with elements "
         "is NULL */\n"
         "#define EINFUSE_ERROR_TOO_LARGE (-7)      /* a buffer's byte size "
         "overflows int64_t */\n"
         "#endif\n";
}

/// The element size times every static size of `type` (every non-zero one
/// with `skipZeros`), or -1 when that overflows int64_t.
static int64_t getStaticByteSize(RankedTensorType type,
                                 bool skipZeros = false) {
  int64_t bytes =
      std::max<int64_t>(1, type.getElementType().getIntOrFloatBitWidth() / 8);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t size = type.getDimSize(d);
    if (type.isDynamicDim(d) || (skipZeros && size == 0))
      continue;
    if (llvm::MulOverflow(bytes, size, bytes))
      return -1;
  }
  return bytes;
}

std::vector<std::string> getArgumentChecks(const KernelSignature &kernel) {
  std::vector<std::string> out;
  auto ret = [](int code) { return " return " + std::to_string(code) + ";"; };
  for (const KernelArg &a : kernel.args)
    for (int64_t d = 0; d < a.type.getRank(); ++d)
      if (a.type.isDynamicDim(d))
        out.push_back("if (" + getSizeExpr(a, d) + " < 0)" +
                      ret(kLauncherNegativeSize));
  for (const SizeGroup &g : kernel.sizeGroups) {
    std::string first =
        ShapedType::isDynamic(g.extent)
            ? getSizeExpr(kernel.args[g.dims[0].first], g.dims[0].second)
            : std::to_string(g.extent);
    for (auto [arg, d] : g.dims) {
      std::string other = getSizeExpr(kernel.args[arg], d);
      if (other != first)
        out.push_back("if (" + other + " != " + first + ")" +
                      ret(kLauncherSizeMismatch));
    }
  }
  // The span (the byte size with zero sizes counted as 1, which bounds
  // every stride and every loop) fits in int64_t, even for an empty
  // buffer; a NULL buffer is only allowed when it holds no element.
  for (const KernelArg &a : kernel.args) {
    std::string n = a.name + "_bytes", span = a.name + "_span";
    std::string decl =
        "int64_t " + n + " = " + std::to_string(getStaticByteSize(a.type));
    if (!a.type.hasStaticShape())
      decl += ", " + span + " = " +
              std::to_string(getStaticByteSize(a.type, /*skipZeros=*/true));
    out.push_back(decl + ";");
    for (int64_t d = 0; d < a.type.getRank(); ++d) {
      if (!a.type.isDynamicDim(d))
        continue;
      std::string s = getSizeExpr(a, d);
      out.push_back("if (__builtin_mul_overflow(" + span + ", " + s + " ? " +
                    s + " : 1, &" + span + "))" + ret(kLauncherTooLarge));
      out.push_back(n + " *= " + s + ";");
    }
    out.push_back("if (" + n + " && !" + a.name + ")" +
                  ret(kLauncherNullPointer));
  }
  return out;
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
      if (getStaticByteSize(tt, /*skipZeros=*/true) < 0)
        return fn.emitError("unsupported kernel signature: ")
               << (isOutput ? "result #" : "argument #") << i
               << " has a byte size that overflows int64_t";
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
    collectSizeGroups(fn, sig);
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
    std::string error;
    if (failed(validateCPUPipelineOptions(*parsed, error)))
      return emitError(module.getLoc(), error);
    // Each worker is a copy of the iteration's loop nest in one function,
    // and LLVM's loop passes take time quadratic in that: 2 workers compile
    // in ~6 s, 8 in ~100 s on a 2-core machine. Past 8 it is minutes.
    if (parsed->workers > kMaxCompiledWorkers)
      return emitError(module.getLoc(), "einfuse-compile: workers must be at "
                                        "most ")
             << kMaxCompiledWorkers << " for native code (got "
             << int64_t(parsed->workers)
             << "; every worker is a copy of the loop nest, and code "
                "generation time grows with its square)";
    buildCPUPipeline(pm, *parsed);
    break;
  }
  }
  if (failed(pm.run(module)))
    return failure();
  // Anything left outside the LLVM dialect would fail late in translation
  // at an unhelpful place: name it here.
  WalkResult leftover = module.walk([](Operation *op) {
    StringRef ns = op->getDialect() ? op->getDialect()->getNamespace() : "";
    // OpenMP ops are translated to LLVM IR as they are.
    if (isa<ModuleOp>(op) || ns == "llvm" || ns == "omp")
      return WalkResult::advance();
    op->emitError("internal error: '")
        << op->getName() << "' was not lowered to the LLVM dialect";
    return WalkResult::interrupt();
  });
  return failure(leftover.wasInterrupted());
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
     << "#include <stdint.h>\n\n" << getStatusCodeDefinitions()
     << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const KernelSignature &k : kernels) {
    os << "/* " << k.name << ": dense row-major buffers.\n";
    for (const KernelArg &a : k.args)
      os << " *   " << a.name << (a.isOutput ? " (out) " : " (in)  ")
         << describeBuffer(a.type) << "\n";
    os << " * Dynamic sizes follow each buffer as <name>_dim<d>. f16/bf16 are\n"
       << " * passed as uint16_t bits, i1 as one uint8_t per element.\n"
       << " * Returns EINFUSE_OK (0), or before any work\n"
       << " * EINFUSE_ERROR_NEGATIVE_SIZE, _SIZE_MISMATCH (sizes that must\n"
       << " * agree, between buffers or with the static sizes above, do not),\n"
       << " * _TOO_LARGE or _NULL_POINTER. */\n";
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
