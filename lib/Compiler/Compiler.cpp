//===- Compiler.cpp - Ahead-of-time kernel compilation ---------------------===//
#include "einfuse/Compiler.h"

#include "einfuse/Pipelines.h"
#include "einfuse/Target/AMD.h"
#include "einfuse/Target/CPU.h"
#include "einfuse/Target/GPU.h"
#include "einfuse/Target/NVIDIA.h"

#include "Ein/IR/EinDialect.h"

#include "einfuse/Target/CPU.h"
#include "einfuse/Version.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/AsmParser/AsmParserState.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;

namespace einfuse {

static constexpr StringLiteral nvidiaChips[] = {"sm_80", "sm_90a"};
static constexpr StringLiteral amdChips[] = {"gfx942", "gfx90a"};

StringRef getTargetList() {
  return "cpu, cpu:<arch> (native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, "
         "aarch64, or an LLVM CPU name), nvidia:<chips> (sm_80, sm_90a), "
         "amd:<chips> (gfx942, gfx90a); several chips separated by commas";
}

std::string TargetSpec::str() const {
  switch (kind) {
  case TargetKind::CPU:
    return "cpu:" + cpu;
  case TargetKind::NVIDIA:
    return "nvidia:" + llvm::join(chips, ",");
  case TargetKind::AMD:
    return "amd:" + llvm::join(chips, ",");
  }
  return "";
}

/// The closest of `candidates` to `name` (edit distance at most 2), or "".
static StringRef closest(StringRef name, ArrayRef<StringRef> candidates) {
  StringRef best;
  unsigned bestDistance = 3;
  for (StringRef c : candidates) {
    unsigned d = name.edit_distance(c, /*AllowReplacements=*/true, 3);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/// Why `chip` is not a chip of `vendor`, with a hint.
static std::string unknownChip(StringRef vendor, StringRef chip,
                               StringRef spec) {
  std::string msg = ("unsupported " + vendor + " chip '" + chip +
                     "' in target '" + spec + "'")
                        .str();
  SmallVector<StringRef> known;
  for (StringLiteral c : vendor == "nvidia" ? ArrayRef(nvidiaChips)
                                            : ArrayRef(amdChips))
    known.push_back(c);
  int cc = 0;
  bool nvidiaNumber = vendor == "nvidia" && chip.starts_with("sm_") &&
                      !chip.drop_front(3).rtrim('a').getAsInteger(10, cc);
  if (vendor == "nvidia" && chip == "sm_90")
    msg += "; did you mean 'sm_90a'? (the Hopper kernels use wgmma, which "
           "needs the architecture-specific sm_90a)";
  else if (nvidiaNumber && cc > 80 && cc < 90)
    msg += "; use 'sm_80': its binary runs on every sm_8x GPU (A100, A10, "
           "RTX 30xx, L4, L40, RTX 40xx)";
  else if (nvidiaNumber && cc < 80)
    msg += "; the NVIDIA kernels need sm_80 (Ampere) or newer";
  else if (nvidiaNumber && cc > 90)
    msg += "; use 'sm_80' (or 'sm_80,sm_90a'): the artifact carries sm_80's "
           "PTX, which the driver compiles for newer GPUs";
  else if (StringRef c = closest(chip, known); !c.empty())
    msg += ("; did you mean '" + c + "'?").str();
  return msg + " (available: " + getTargetList().str() + ")";
}

FailureOr<TargetSpec> parseTarget(StringRef spec, std::string &error) {
  auto [vendor, rest] = spec.split(':');
  if (vendor == "cpu") {
    TargetSpec out(TargetKind::CPU);
    StringRef arch = spec.contains(':') ? rest : StringRef(kDefaultCPU);
    if (arch.empty()) {
      error = ("empty CPU in target '" + spec + "' (available: " +
               getTargetList() + ")")
                  .str();
      return failure();
    }
    if (failed(cpu::resolveCPU(arch, out, error))) {
      error = "in target '" + spec.str() + "': " + error;
      return failure();
    }
    return out;
  }
  if (vendor == "nvidia" || vendor == "amd") {
    TargetSpec out(vendor == "nvidia" ? TargetKind::NVIDIA : TargetKind::AMD);
    ArrayRef<StringLiteral> known =
        vendor == "nvidia" ? ArrayRef(nvidiaChips) : ArrayRef(amdChips);
    SmallVector<StringRef> chips;
    rest.split(chips, ',');
    for (StringRef chip : chips) {
      chip = chip.trim();
      if (!llvm::is_contained(known, chip)) {
        error = unknownChip(vendor, chip, spec);
        return failure();
      }
      if (llvm::is_contained(out.chips, chip)) {
        error = ("chip '" + chip + "' is given twice in target '" + spec + "'")
                    .str();
        return failure();
      }
      out.chips.push_back(chip.str());
    }
    return out;
  }
  error = ("unknown target '" + spec + "'").str();
  if (StringRef c = closest(vendor, {"cpu", "nvidia", "amd"}); !c.empty())
    error += ("; did you mean '" + c +
              (c != "cpu" && spec.contains(':') ? ":" + rest : "") + "'?")
                 .str();
  error += " (available: " + getTargetList().str() + ")";
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
  if (name.empty() || isdigit(static_cast<unsigned char>(name[0])))
    return false;
  if (!llvm::all_of(name, [](char c) {
        return isalnum(static_cast<unsigned char>(c)) || c == '_';
      }))
    return false;
  return !ein::isCKeyword(name);
}

using ein::isUsableParameterName;

/// The C names a kernel parameter `name` of `type` brings: the buffer and
/// its dynamic sizes.
static SmallVector<std::string> getParameterNames(StringRef name,
                                                  RankedTensorType type) {
  SmallVector<std::string> out = {name.str()};
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      out.push_back((name + "_dim" + Twine(d)).str());
  return out;
}

/// Names the public parameters of `sig` (KernelArg::publicName) from the
/// kParameterNameAttr of `fn`'s arguments and results. An attribute that is
/// not a usable, unique C name is an error; without one, the parameter is
/// `in<i>`, `out<i>` (or `out` for a single result), made unique.
static LogicalResult nameParameters(func::FuncOp fn, KernelSignature &sig) {
  std::set<std::string> taken;
  unsigned numInputs = fn.getNumArguments();
  auto claim = [&](StringRef name, RankedTensorType type) {
    for (const std::string &n : getParameterNames(name, type))
      if (taken.count(n))
        return false;
    for (const std::string &n : getParameterNames(name, type))
      taken.insert(n);
    return true;
  };
  // Named parameters first, so that the fallbacks go around them.
  for (auto [i, arg] : llvm::enumerate(sig.args)) {
    StringAttr attr =
        arg.isOutput
            ? fn.getResultAttrOfType<StringAttr>(i - numInputs,
                                                 kParameterNameAttr)
            : fn.getArgAttrOfType<StringAttr>(i, kParameterNameAttr);
    if (!attr)
      continue;
    StringRef name = attr.getValue();
    std::string what = arg.isOutput
                           ? "result #" + std::to_string(i - numInputs)
                           : "argument #" + std::to_string(i);
    if (!isUsableParameterName(name)) // the dialect's verifier says why
      return fn.emitError("'") << kParameterNameAttr << "' of " << what
                               << " cannot name a C parameter";
    if (!claim(name, arg.type))
      return fn.emitError("'")
             << kParameterNameAttr << "' of " << what << " is '" << name
             << "', which collides with another parameter of kernel '"
             << sig.name << "' (a buffer '<n>' also declares '<n>_dim<d>' "
             << "for its dynamic sizes)";
    arg.publicName = name.str();
  }
  unsigned numOutputs = sig.args.size() - numInputs;
  for (auto [i, arg] : llvm::enumerate(sig.args)) {
    if (!arg.publicName.empty())
      continue;
    std::string base = arg.isOutput && numOutputs == 1 ? "out" : arg.name;
    std::string name = base;
    while (!claim(name, arg.type))
      name += "_";
    arg.publicName = name;
  }
  return success();
}

/// What `fn`'s buffers hold where their element type does not say it all:
/// quantized weights, scales and zero points, masks.
static void describeRoles(func::FuncOp fn, KernelSignature &sig) {
  auto note = [&](Value v, const std::string &text) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner()->getParentOp() != fn)
      return;
    std::string &n = sig.args[arg.getArgNumber()].note;
    if (n.empty())
      n = text;
  };
  fn.walk([&](Operation *op) {
    if (auto q = dyn_cast<ein::QMatmulOp>(op)) {
      ein::QuantFormatAttr format = q.getFormat();
      std::string group = std::to_string(format.getGroupSize());
      switch (format.getKind()) {
      case ein::QuantKind::int4:
      case ein::QuantKind::uint4:
        note(q.getWeight(),
             std::string("quantized weights [N, K], packed: two ") +
                 (format.getKind() == ein::QuantKind::int4 ? "signed"
                                                           : "unsigned") +
                 " 4-bit values per byte along K, low nibble first "
                 "(K/2 bytes per row)");
        break;
      case ein::QuantKind::int8:
        note(q.getWeight(), "quantized weights [N, K], int8");
        break;
      case ein::QuantKind::fp8_e4m3:
        note(q.getWeight(), "quantized weights [N, K], fp8 e4m3 (fn) bytes");
        break;
      }
      note(q.getScales(), "dequantization scales [N, K/" + group +
                              "]: one per group of " + group + " along K");
      if (Value z = q.getZeroPoints())
        note(z, "zero points [N, K/" + group + "]: w = (q - zero) * scale");
    } else if (auto a = dyn_cast<ein::AttentionOp>(op)) {
      if (Value m = a.getMask())
        note(m, cast<ShapedType>(m.getType()).getElementType().isInteger(1)
                    ? "mask: a nonzero byte keeps a (query, key) pair"
                    : "additive bias on the scores");
    }
  });
  for (KernelArg &a : sig.args)
    if (a.note.empty() && a.type.getElementType().isInteger(1))
      a.note = "one byte per element, 0 or 1";
}

OwningOpRef<ModuleOp> parseKernelSource(llvm::SourceMgr &sourceMgr,
                                        MLIRContext *context) {
  AsmParserState state;
  Block block;
  ParserConfig config(context);
  LocationAttr fileLoc;
  if (failed(parseAsmSourceFile(sourceMgr, &block, config, &state)))
    return nullptr;
  if (const llvm::MemoryBuffer *buffer =
          sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID()))
    fileLoc = FileLineColLoc::get(context, buffer->getBufferIdentifier(), 0, 0);
  else
    fileLoc = UnknownLoc::get(context);
  OwningOpRef<ModuleOp> module =
      detail::constructContainerOpForParserIfNecessary<ModuleOp>(&block, context,
                                                                 fileLoc);
  if (!module)
    return nullptr;
  // The SSA names of the public functions' arguments become their
  // parameter names where they are usable in C and do not collide.
  for (const AsmParserState::BlockDefinition &def : state.getBlockDefs()) {
    auto fn = dyn_cast_or_null<func::FuncOp>(def.block->getParentOp());
    if (!fn || fn.isPrivate() || def.block != &fn.getBody().front())
      continue;
    std::set<std::string> taken;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, kParameterNameAttr))
        taken.insert(name.str());
    for (auto [i, argDef] : llvm::enumerate(def.arguments)) {
      if (i >= fn.getNumArguments() ||
          fn.getArgAttr(i, kParameterNameAttr))
        continue;
      const char *start = argDef.loc.Start.getPointer();
      const char *end = argDef.loc.End.getPointer();
      if (!start || end <= start || *start != '%')
        continue;
      StringRef name(start + 1, end - start - 1);
      auto type = dyn_cast<RankedTensorType>(fn.getArgumentTypes()[i]);
      if (!type || !isUsableParameterName(name))
        continue;
      SmallVector<std::string> names = getParameterNames(name, type);
      if (llvm::any_of(names, [&](const std::string &n) {
            return taken.count(n) > 0;
          }))
        continue;
      taken.insert(names.begin(), names.end());
      fn.setArgAttr(i, kParameterNameAttr, StringAttr::get(context, name));
    }
  }
  return module;
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

ArrayRef<LauncherStatusInfo> getLauncherStatuses() {
  static const LauncherStatusInfo statuses[] = {
      {kLauncherOk, "EINFUSE_OK", "success"},
      {kLauncherNegativeSize, "EINFUSE_ERROR_NEGATIVE_SIZE",
       "a dynamic size is negative"},
      {kLauncherSizeMismatch, "EINFUSE_ERROR_SIZE_MISMATCH",
       "sizes that must agree (between buffers, or with the kernel's static "
       "sizes) do not, or a size is beyond what the kernel takes"},
      {kLauncherLoadFailed, "EINFUSE_ERROR_LOAD_FAILED",
       "the device code cannot be loaded: no CUDA/HIP context, or no binary "
       "or PTX in the artifact runs on this device"},
      {kLauncherLaunchFailed, "EINFUSE_ERROR_LAUNCH_FAILED",
       "a kernel launch or a workspace allocation failed"},
      {kLauncherMisaligned, "EINFUSE_ERROR_MISALIGNED",
       "a device buffer is not 16-byte aligned"},
      {kLauncherNullPointer, "EINFUSE_ERROR_NULL_POINTER",
       "a buffer holding elements is NULL"},
      {kLauncherTooLarge, "EINFUSE_ERROR_TOO_LARGE",
       "a buffer's byte size overflows int64_t"},
      {kLauncherUnsupportedCPU, "EINFUSE_ERROR_UNSUPPORTED_CPU",
       "this CPU lacks instructions the kernels were compiled for (see the "
       "header's target)"},
      {kLauncherWorkspaceTooSmall, "EINFUSE_ERROR_WORKSPACE_TOO_SMALL",
       "the workspace given is smaller than <kernel>_workspace_size says"},
  };
  return statuses;
}

std::string getStatusCodeDefinitions() {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "#ifndef EINFUSE_STATUS_CODES\n"
     << "#define EINFUSE_STATUS_CODES\n"
     << "/* Version of the calling convention of generated kernels. */\n"
     << "#define EINFUSE_ABI_VERSION 1\n\n"
     << "/* Element types without a C type: bit patterns of IEEE binary16,\n"
     << " * bfloat16 (the top half of a float) and OCP fp8 e4m3 (fn). */\n"
     << "typedef uint16_t einfuse_f16;\n"
     << "typedef uint16_t einfuse_bf16;\n"
     << "typedef uint8_t einfuse_f8e4m3;\n\n"
     << "/* What every generated kernel function returns. The argument\n"
     << " * checks run before any work: on an error other than\n"
     << " * EINFUSE_ERROR_LAUNCH_FAILED nothing has been written. */\n"
     << "typedef enum einfuse_status {\n";
  for (const LauncherStatusInfo &s : getLauncherStatuses())
    os << "  " << s.enumerator << " = " << s.code << ",\n";
  os << "} einfuse_status;\n\n"
     << "/* A sentence saying what `status` means. */\n"
     << "#if defined(__GNUC__) || defined(__clang__)\n"
     << "__attribute__((unused))\n"
     << "#endif\n"
     << "static inline const char *einfuse_status_message(int status) {\n"
     << "  switch (status) {\n";
  for (const LauncherStatusInfo &s : getLauncherStatuses())
    os << "  case " << s.enumerator << ": return \"" << s.message << "\";\n";
  os << "  default: return \"unknown einfuse status\";\n  }\n}\n"
     << "#endif\n";
  return out;
}

std::vector<std::pair<std::string, std::string>>
getCParameters(const KernelSignature &kernel, bool publicNames) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const KernelArg &a : kernel.args) {
    const std::string &name = publicNames ? a.publicName : a.name;
    out.push_back({(a.isOutput ? "" : "const ") +
                       getCElementType(a.type.getElementType()) + " *",
                   name});
    for (int64_t d = 0; d < a.type.getRank(); ++d)
      if (a.type.isDynamicDim(d))
        out.push_back({"int64_t ", name + "_dim" + std::to_string(d)});
  }
  return out;
}

std::string getCParameterList(const KernelSignature &kernel, bool publicNames,
                              ArrayRef<std::string> extra) {
  SmallVector<std::string> parts;
  for (auto &[type, name] : getCParameters(kernel, publicNames))
    parts.push_back(type + name);
  parts.append(extra.begin(), extra.end());
  return "(" + llvm::join(parts, ", ") + ")";
}

std::string getCArgumentList(const KernelSignature &kernel, bool publicNames) {
  SmallVector<std::string> names;
  for (auto &[type, name] : getCParameters(kernel, publicNames))
    names.push_back(name);
  return llvm::join(names, ", ");
}

std::string getCPrototype(const KernelSignature &kernel,
                          ArrayRef<std::string> extra) {
  return "einfuse_status " + kernel.name +
         getCParameterList(kernel, /*publicNames=*/true, extra);
}

std::string emitForwardedFunction(const KernelSignature &kernel,
                                  StringRef implName,
                                  ArrayRef<std::string> body) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "static int " << implName
     << getCParameterList(kernel, /*publicNames=*/false) << " {\n";
  for (const std::string &line : body)
    os << "  " << line << "\n";
  os << "}\n\n" << getCPrototype(kernel) << " {\n"
     << "  return (einfuse_status)" << implName << "("
     << getCArgumentList(kernel, /*publicNames=*/true) << ");\n}\n\n";
  return out;
}

std::string describeKernelBuffers(const KernelSignature &kernel) {
  std::string out;
  llvm::raw_string_ostream os(out);
  size_t width = 0;
  for (const KernelArg &a : kernel.args)
    width = std::max(width, a.publicName.size());
  for (const KernelArg &a : kernel.args) {
    os << " *   " << a.publicName << std::string(width - a.publicName.size(), ' ')
       << (a.isOutput ? " (out) " : " (in)  ") << describeBuffer(a.type);
    if (!a.note.empty())
      os << "\n *   " << std::string(width, ' ') << "       " << a.note;
    os << "\n";
  }
  return out;
}

std::string getHeaderVersionMacros(StringRef baseName,
                                   const TargetSpec &target) {
  std::string prefix = getHeaderGuard(baseName);
  prefix.resize(prefix.size() - 2); // "_H"
  prefix = prefix.substr(strlen("EINFUSE_KERNEL_"));
  return "/* The Einfuse that generated these kernels, and their target. */\n"
         "#define " + prefix + "_EINFUSE_VERSION \"" EINFUSE_VERSION_STRING
         "\"\n#define " + prefix + "_EINFUSE_TARGET \"" + target.str() + "\"\n";
}

/// The dtype name a binding uses for `type`: its MLIR spelling.
static std::string getDTypeName(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

std::string emitSignatureJSON(ArrayRef<KernelSignature> kernels,
                              StringRef baseName, const TargetSpec &target,
                              StringRef runtime, bool hasWorkspace) {
  llvm::json::Object statuses;
  for (const LauncherStatusInfo &s : getLauncherStatuses())
    statuses[std::to_string(s.code)] = s.message;
  llvm::json::Array kernelList;
  for (const KernelSignature &k : kernels) {
    llvm::json::Array args, params, groups;
    for (auto [i, a] : llvm::enumerate(k.args)) {
      llvm::json::Array shape;
      for (int64_t d = 0; d < a.type.getRank(); ++d)
        shape.push_back(a.type.isDynamicDim(d)
                            ? llvm::json::Value(nullptr)
                            : llvm::json::Value(a.type.getDimSize(d)));
      Type et = a.type.getElementType();
      llvm::json::Object arg{
          {"name", a.publicName},
          {"role", a.isOutput ? "output" : "input"},
          {"dtype", getDTypeName(et)},
          {"c_type", getCElementType(et)},
          {"element_bytes", std::max<int64_t>(1, et.getIntOrFloatBitWidth() / 8)},
          {"shape", std::move(shape)}};
      if (!a.note.empty())
        arg["note"] = a.note;
      args.push_back(std::move(arg));
      params.push_back(llvm::json::Object{
          {"kind", "buffer"}, {"arg", int64_t(i)}, {"name", a.publicName}});
      for (int64_t d = 0; d < a.type.getRank(); ++d)
        if (a.type.isDynamicDim(d))
          params.push_back(llvm::json::Object{
              {"kind", "size"},
              {"arg", int64_t(i)},
              {"dim", d},
              {"name", a.publicName + "_dim" + std::to_string(d)}});
    }
    if (runtime != "host")
      params.push_back(llvm::json::Object{{"kind", "stream"}, {"name", "stream"}});
    for (const SizeGroup &g : k.sizeGroups) {
      llvm::json::Array dims;
      for (auto [arg, d] : g.dims)
        dims.push_back(llvm::json::Array{int64_t(arg), d});
      groups.push_back(llvm::json::Object{
          {"dims", std::move(dims)},
          {"extent", ShapedType::isDynamic(g.extent)
                         ? llvm::json::Value(nullptr)
                         : llvm::json::Value(g.extent)}});
    }
    kernelList.push_back(llvm::json::Object{
        {"name", k.name},
        {"args", std::move(args)},
        {"params", std::move(params)},
        {"size_groups", std::move(groups)},
        {"workspace", hasWorkspace}});
  }
  llvm::json::Array chips;
  for (const std::string &c : target.chips)
    chips.push_back(c);
  llvm::json::Object root{{"format", "einfuse-signature"},
                          {"version", 1},
                          {"einfuse_version", EINFUSE_VERSION_STRING},
                          {"abi_version", 1},
                          {"name", baseName},
                          {"target", target.str()},
                          {"runtime", runtime},
                          {"chips", std::move(chips)},
                          {"status_codes", std::move(statuses)},
                          {"kernels", std::move(kernelList)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return out;
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

std::vector<std::string> getArgumentChecks(const KernelSignature &kernel,
                                           bool nullChecks) {
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
    if (nullChecks)
      out.push_back("if (" + n + " && !" + a.name + ")" +
                    ret(kLauncherNullPointer));
    else
      out.push_back("(void)" + n + ";");
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
                          isOutput, "", ""});
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
    if (failed(nameParameters(fn, sig)))
      return failure();
    describeRoles(fn, sig);
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

LogicalResult lowerToLLVMDialect(ModuleOp module, const TargetSpec &target,
                                 StringRef options,
                                 function_ref<void(PassManager &)> configure) {
  PassManager pm(module.getContext());
  switch (target.kind) {
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
    // The contractions' vector width follows the target's ISA unless given.
    if (parsed->vectorWidth == 0)
      parsed->vectorWidth = cpu::getVectorWidth(target);
    buildCPUPipeline(pm, *parsed);
    break;
  }
  }
  if (configure)
    configure(pm);
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

std::string emitCHeader(ArrayRef<KernelSignature> kernels, StringRef baseName,
                        const TargetSpec &target, bool allocates) {
  std::string guard = getHeaderGuard(baseName);
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "/* Generated by einfuse-compile " EINFUSE_VERSION_STRING
        " for " << target.str() << ". Do not edit. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n" << getStatusCodeDefinitions() << "\n"
     << getHeaderVersionMacros(baseName, target)
     << "\n/* Calling the kernels: buffers are dense, row-major host memory;\n"
     << " * each is followed by its dynamic sizes as <name>_dim<d>. The\n"
     << " * functions are thread-safe and reentrant (no global state); they\n"
     << (allocates ? " * allocate scratch memory with malloc and free it before "
                     "returning.\n"
                   : " * allocate no memory.\n")
     << " * Built for " << target.str();
  if (target.cpu != "native" && llvm::Triple(target.triple).isX86())
    os << "; on a CPU without its instructions\n * every function returns "
          "EINFUSE_ERROR_UNSUPPORTED_CPU";
  os << ". */\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const KernelSignature &k : kernels) {
    os << "/* " << k.name << ":\n" << describeKernelBuffers(k)
       << " * Returns EINFUSE_OK, or an error before any work (see\n"
       << " * einfuse_status_message). */\n";
    os << getCPrototype(k) << ";\n\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return out;
}

/// The keys of the shared GPU lowering's options (GPUPipelineOptions, as
/// it prints itself: `{key=value ...}`), but `target` and
/// `lower-kernels`, which einfuse-compile sets.
static SmallVector<std::string> sharedLoweringKeys() {
  GPUPipelineOptions defaults;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  defaults.print(os);
  SmallVector<StringRef> items;
  StringRef(printed).trim("{} ").split(items, ' ', -1, /*KeepEmpty=*/false);
  SmallVector<std::string> keys;
  for (StringRef item : items)
    if (StringRef key = item.split('=').first;
        key != "target" && key != "lower-kernels")
      keys.push_back(key.str());
  return keys;
}

/// Compiles `module` for a GPU target, one device binary per chip: the
/// target's own room builds and serialises the device code; the header and
/// launcher are shared.
static FailureOr<CompiledArtifacts>
compileForGPU(ModuleOp module, ArrayRef<KernelSignature> kernels,
              const TargetSpec &target, StringRef baseName,
              const CompileOptions &options) {
  bool nv = target.kind == TargetKind::NVIDIA;
  // The options of the shared GPU lowering (every kernel it compiles) and
  // of the hand-written NVIDIA attention kernels.
  std::string shared, handWritten;
  SmallVector<std::string> sharedKeys = sharedLoweringKeys();
  SmallVector<StringRef> items;
  StringRef(options.pipelineOptions).split(items, ' ', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    StringRef key = item.split('=').first;
    if (llvm::is_contained({"warps", "block-n", "wgmma"}, key)) {
      if (!nv)
        return module.emitError("'")
               << item << "' is an option of the hand-written NVIDIA "
               << "attention kernels; the " << target.str()
               << " target does not take it";
      handWritten += item.str() + " ";
    } else if (llvm::is_contained(sharedKeys, key.str())) {
      shared += item.str() + " ";
    } else {
      std::string expected;
      for (auto [i, k] : llvm::enumerate(sharedKeys))
        expected += (i == 0 ? "" : i + 1 == sharedKeys.size() ? " or " : ", ") +
                    k + "=";
      return module.emitError("invalid GPU pipeline option '")
             << item << "' (expected " << expected
             << " for the shared GPU lowering"
             << (nv ? ", or warps=, block-n=, wgmma= for the hand-written "
                      "NVIDIA attention kernels"
                    : "")
             << ")";
    }
  }
  std::vector<gpu::ChipModule> chips;
  for (const std::string &chip : target.chips) {
    if (options.onStage)
      options.onStage("device code for " + chip);
    std::string name = (nv ? "nvidia:" : "amd:") + chip;
    auto fromCascade = [&](mlir::gpu::GPUModuleOp kernels, func::FuncOp fn,
                           const KernelSignature &sig) {
      return buildCascadeKernels(kernels, fn, sig, name, shared);
    };
    FailureOr<gpu::GPUModule> compiled =
        nv ? nvidia::compileModule(module, chip, fromCascade,
                                   options.assemblyOnly, handWritten)
           : amd::compileModule(module, chip, fromCascade,
                                options.assemblyOnly);
    if (failed(compiled))
      return failure();
    chips.push_back({chip, std::move(*compiled)});
  }
  if (options.onStage)
    options.onStage("header and launcher");
  gpu::Runtime runtime = nv ? gpu::Runtime::CUDA : gpu::Runtime::HIP;
  CompiledArtifacts out;
  out.object = chips.front().module.binary;
  out.objectExtension = nv ? ".cubin" : ".hsaco";
  out.assembly = chips.front().module.assembly;
  out.assemblyExtension = nv ? ".ptx" : ".s";
  out.header = gpu::emitGPUHeader(kernels, chips, baseName, target, runtime);
  if (!options.assemblyOnly)
    out.launcher = gpu::emitGPULauncher(kernels, chips, baseName, runtime);
  bool workspace = llvm::any_of(chips, [](const gpu::ChipModule &c) {
    return llvm::any_of(c.module.plans, [](const gpu::LaunchPlan &p) {
      return !p.workspaceBytes.empty();
    });
  });
  out.signature = emitSignatureJSON(kernels, baseName, target,
                                    nv ? "cuda" : "hip", workspace);
  using Kind = ArtifactFile::Kind;
  bool single = chips.size() == 1;
  for (const gpu::ChipModule &c : chips) {
    std::string infix = single ? "" : "." + c.chip;
    if (!c.module.binary.empty())
      out.files.push_back(
          {Kind::Binary, infix + out.objectExtension, c.module.binary});
    out.files.push_back(
        {Kind::Assembly, infix + out.assemblyExtension, c.module.assembly});
  }
  out.files.push_back({Kind::Header, ".h", out.header});
  if (!out.launcher.empty())
    out.files.push_back({Kind::Launcher, ".c", out.launcher});
  out.files.push_back({Kind::Signature, ".json", out.signature});
  if (options.onStage)
    options.onStage("");
  return out;
}

FailureOr<CompiledArtifacts> compileModule(ModuleOp module,
                                           const TargetSpec &target,
                                           StringRef baseName,
                                           StringRef pipelineOptions,
                                           bool assemblyOnly) {
  CompileOptions options;
  options.pipelineOptions = pipelineOptions.str();
  options.assemblyOnly = assemblyOnly;
  return compileModule(module, target, baseName, options);
}

FailureOr<CompiledArtifacts> compileModule(ModuleOp module,
                                           const TargetSpec &target,
                                           StringRef baseName,
                                           const CompileOptions &options) {
  if (target.kind != TargetKind::CPU && target.chips.empty())
    return module.emitError("no chip given for target ") << target.str();
  FailureOr<std::vector<KernelSignature>> kernels = collectKernels(module);
  if (failed(kernels))
    return failure();
  if (target.kind != TargetKind::CPU)
    return compileForGPU(module, *kernels, target, baseName, options);
  if (options.assemblyOnly)
    return module.emitError("--emit=assembly is for the GPU targets");
  auto stage = [&](StringRef name) {
    if (options.onStage)
      options.onStage(name);
  };
  stage("lower to the LLVM dialect");
  if (failed(lowerToLLVMDialect(
          module, target, options.pipelineOptions,
          [&](PassManager &pm) {
            if (options.configurePassManager)
              options.configurePassManager(pm);
          })))
    return failure();
  stage("translate to LLVM IR");
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
  bool allocates = llvm::any_of(*llvmModule, [](llvm::Function &fn) {
    return fn.isDeclaration() && !fn.use_empty() &&
           llvm::is_contained({"malloc", "aligned_alloc", "calloc",
                               "posix_memalign"},
                              fn.getName());
  });
  stage("optimize and generate code for " + target.str());
  CompiledArtifacts out;
  std::string error;
  FailureOr<std::string> object = cpu::emitObject(*llvmModule, target, error);
  if (failed(object))
    return module.emitError("code generation failed: ") << error;
  stage("header, launcher and signature");
  out.object = std::move(*object);
  out.objectExtension = ".o";
  out.header = emitCHeader(*kernels, baseName, target, allocates);
  out.launcher = cpu::emitLauncher(*kernels, baseName, target);
  out.signature = emitSignatureJSON(*kernels, baseName, target, "host");
  using Kind = ArtifactFile::Kind;
  out.files = {{Kind::Binary, ".o", out.object},
               {Kind::Header, ".h", out.header},
               {Kind::Launcher, ".c", out.launcher},
               {Kind::Signature, ".json", out.signature}};
  stage("");
  return out;
}

} // namespace einfuse
