//===- EinDialect.cpp - The Ein dialect ------------------------------------===//
#include "Ein/IR/EinDialect.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

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
