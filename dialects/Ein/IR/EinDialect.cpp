//===- EinDialect.cpp - The Ein dialect ------------------------------------===//
#include "Ein/IR/EinDialect.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/TypeSwitch.h"

#include <charconv>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace einfuse::ein;

#include "Ein/IR/EinDialect.cpp.inc"
#include "Ein/IR/EinEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Ein/IR/EinAttrs.cpp.inc"

void EinDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Ein/IR/EinAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Ein/IR/EinOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// ein.name
//===----------------------------------------------------------------------===//

static const char *const cKeywords[] = {
    "auto",     "break",    "case",     "char",   "const",    "continue",
    "default",  "do",       "double",   "else",   "enum",     "extern",
    "float",    "for",      "goto",     "if",     "inline",   "int",
    "long",     "register", "restrict", "return", "short",    "signed",
    "sizeof",   "static",   "struct",   "switch", "typedef",  "union",
    "unsigned", "void",     "volatile", "while",  "_Bool",    "bool",
    "true",     "false",    "main",     "NULL",   "alignas",  "alignof",
    "nullptr",  "this",     "new",      "delete", "class",    "template"};

bool einfuse::ein::isCKeyword(StringRef name) {
  return llvm::is_contained(cKeywords, name);
}

bool einfuse::ein::isUsableParameterName(StringRef name) {
  if (name.empty() || isdigit(static_cast<unsigned char>(name[0])) ||
      name.starts_with("_") || name.starts_with_insensitive("einfuse") ||
      name.ends_with("_t"))
    return false;
  if (!llvm::all_of(name, [](char c) {
        return isalnum(static_cast<unsigned char>(c)) || c == '_';
      }))
    return false;
  return !isCKeyword(name) &&
         !llvm::is_contained({"stream", "workspace", "workspace_bytes", "bytes"},
                             name);
}

/// Checks an `ein.name` attribute of an argument or result.
static LogicalResult verifyNameAttr(Operation *op, NamedAttribute attr,
                                    StringRef what, unsigned index) {
  if (attr.getName() != kNameAttr)
    return op->emitError("unknown attribute '")
           << attr.getName().getValue() << "' on " << what << " #" << index
           << " (the Ein dialect defines '" << kNameAttr << "')";
  auto name = dyn_cast<StringAttr>(attr.getValue());
  if (!name)
    return op->emitError("'") << kNameAttr << "' of " << what << " #"
                              << index << " must be a string";
  if (!isUsableParameterName(name.getValue()))
    return op->emitError("'")
           << kNameAttr << "' of " << what << " #" << index << " is '"
           << name.getValue()
           << "', which cannot name a C parameter (expected an identifier "
              "that is not a C keyword, does not start with '_' or "
              "'einfuse', does not end with '_t', and is not 'stream', "
              "'workspace', 'workspace_bytes' or 'bytes')";
  return success();
}

LogicalResult EinDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                   unsigned argIndex,
                                                   NamedAttribute attr) {
  return verifyNameAttr(op, attr, "argument", argIndex);
}

LogicalResult EinDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                      unsigned resultIndex,
                                                      NamedAttribute attr) {
  return verifyNameAttr(op, attr, "result", resultIndex);
}

//===----------------------------------------------------------------------===//
// GPUConfigAttr
//===----------------------------------------------------------------------===//

LogicalResult
GPUConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      int64_t threads, int64_t lanes, int64_t tileSize,
                      int64_t matrixTile, int64_t kSplit, int64_t smallM,
                      int64_t split) {
  if (threads < 1 || threads > 1024)
    return emitError() << "threads must be in [1, 1024], got " << threads;
  if (lanes < 1 || lanes > 1024 || threads % lanes)
    return emitError() << "lanes must be in [1, 1024] and divide threads ("
                       << threads << "), got " << lanes;
  if (tileSize < 1 || tileSize > kMaxTileSize)
    return emitError() << "tile_size must be in [1, 2^31], got " << tileSize;
  if (matrixTile < 1 || matrixTile > 256)
    return emitError() << "matrix_tile must be in [1, 256], got "
                       << matrixTile;
  if (kSplit != 1 && kSplit != threads / lanes)
    return emitError() << "k_split must be 1 or threads / lanes ("
                       << threads / lanes << "), got " << kSplit;
  if (smallM < 0 || smallM > kMaxTileSize)
    return emitError() << "small_m must be in [0, 2^31], got " << smallM;
  if (split < 0 || split > kMaxWorkers)
    return emitError() << "split must be in [0, " << kMaxWorkers << "], got "
                       << split;
  return success();
}

GPUConfigAttr GPUConfigAttr::lookup(Operation *op) {
  for (; op; op = op->getParentOp())
    if (auto config = op->getAttrOfType<GPUConfigAttr>(getAttrName()))
      return config;
  return {};
}

//===----------------------------------------------------------------------===//
// QuantFormatAttr
//===----------------------------------------------------------------------===//

LogicalResult
QuantFormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        QuantKind kind, int64_t groupSize, bool zeroPoint) {
  if (groupSize <= 0)
    return emitError() << "group_size must be positive, got " << groupSize;
  return success();
}

unsigned QuantFormatAttr::getBitWidth() const {
  switch (getKind()) {
  case QuantKind::int4:
  case QuantKind::uint4:
    return 4;
  case QuantKind::int8:
  case QuantKind::fp8_e4m3:
    return 8;
  }
  llvm_unreachable("unknown quant kind");
}

Type QuantFormatAttr::getStorageType() const {
  MLIRContext *ctx = getContext();
  if (getKind() == QuantKind::fp8_e4m3)
    return Float8E4M3FNType::get(ctx);
  return IntegerType::get(ctx, 8);
}

//===----------------------------------------------------------------------===//
// CombineAttr
//===----------------------------------------------------------------------===//

LogicalResult
CombineAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                    CombineKind kind, int64_t ref, int64_t ref2,
                    APFloat weightValue) {
  double weight = weightValue.convertToDouble();
  bool needsRef = kind == CombineKind::rescaled_sum ||
                  kind == CombineKind::welford_mean ||
                  kind == CombineKind::welford_m2;
  if (needsRef != (ref >= 0))
    return emitError() << "combine kind '" << stringifyCombineKind(kind)
                       << "' " << (needsRef ? "needs" : "takes no")
                       << " state reference";
  if ((kind == CombineKind::welford_m2) != (ref2 >= 0))
    return emitError() << "combine kind '" << stringifyCombineKind(kind)
                       << "' "
                       << (kind == CombineKind::welford_m2 ? "needs" : "takes no")
                       << " second state reference";
  if (kind == CombineKind::rescaled_sum
          ? (weight == 0.0 || !std::isfinite(weight))
          : weight != 0.0)
    return emitError() << "combine kind '" << stringifyCombineKind(kind)
                       << "' "
                       << (kind == CombineKind::rescaled_sum
                               ? "needs a finite nonzero weight"
                               : "takes no weight");
  return success();
}

double CombineAttr::getIdentity() const {
  switch (getKind()) {
  case CombineKind::max:
    return -std::numeric_limits<double>::infinity();
  case CombineKind::min:
    return std::numeric_limits<double>::infinity();
  default:
    return 0.0;
  }
}

void CombineAttr::printBody(llvm::raw_ostream &os) const {
  os << stringifyCombineKind(getKind());
  switch (getKind()) {
  case CombineKind::rescaled_sum: {
    // The shortest text that reads back as the same double, always with a
    // '.' or an exponent so that it parses as a float.
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), getWeightValue());
    std::string text(buf, ec == std::errc() ? end : buf);
    if (text.find_first_of(".e") == std::string::npos)
      text += ".0";
    os << "(" << getRef() << ", " << text << ")";
    break;
  }
  case CombineKind::welford_mean:
    os << "(" << getRef() << ")";
    break;
  case CombineKind::welford_m2:
    os << "(" << getRef() << ", " << getRef2() << ")";
    break;
  default:
    break;
  }
}

void CombineAttr::printBody(AsmPrinter &p) const { printBody(p.getStream()); }

void CombineAttr::print(AsmPrinter &p) const {
  p << "<";
  printBody(p);
  p << ">";
}

CombineAttr CombineAttr::parseBody(AsmParser &parser) {
  llvm::SMLoc loc = parser.getCurrentLocation();
  StringRef word;
  if (parser.parseKeyword(&word))
    return {};
  std::optional<CombineKind> kind = symbolizeCombineKind(word);
  if (!kind) {
    parser.emitError(loc, "unknown combine kind '")
        << word << "' (expected max, min, sum, rescaled_sum(i, w), "
        << "welford_mean(n) or welford_m2(n, m))";
    return {};
  }
  int64_t ref = -1, ref2 = -1;
  double weight = 0.0;
  if (*kind == CombineKind::rescaled_sum || *kind == CombineKind::welford_mean ||
      *kind == CombineKind::welford_m2) {
    if (parser.parseLParen() || parser.parseInteger(ref))
      return {};
    if (*kind == CombineKind::rescaled_sum &&
        (parser.parseComma() || parser.parseFloat(weight)))
      return {};
    if (*kind == CombineKind::welford_m2 &&
        (parser.parseComma() || parser.parseInteger(ref2)))
      return {};
    if (parser.parseRParen())
      return {};
  }
  return CombineAttr::getChecked(
      [&] { return parser.emitError(loc); }, parser.getContext(), *kind, ref,
      ref2, APFloat(weight));
}

Attribute CombineAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  CombineAttr attr = parseBody(parser);
  if (!attr || parser.parseGreater())
    return {};
  return attr;
}
