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
