//===- MapAlgebra.cpp - Algebraic facts about map actions ------------------===//
#include "Ein/Transforms/MapAlgebra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

namespace einfuse::ein {

bool reachesYieldMultiplicatively(Value v, YieldOp yield) {
  while (true) {
    if (!v.hasOneUse())
      return false;
    OpOperand &use = *v.getUses().begin();
    Operation *user = use.getOwner();
    if (user == yield)
      return true;
    bool ok = isa<arith::MulFOp, arith::NegFOp, arith::ExtFOp>(user) ||
              (isa<arith::DivFOp>(user) && use.getOperandNumber() == 0);
    if (!ok)
      return false;
    v = user->getResult(0);
  }
}

bool isMultiplicativeIn(EinsumOp op, unsigned i) {
  switch (op.getMap()) {
  case MapKind::mul:
  case MapKind::copy:
    return true;
  case MapKind::div:
    return i == 0;
  case MapKind::custom: {
    Block &body = op.getBody().front();
    return reachesYieldMultiplicatively(body.getArgument(i),
                                        cast<YieldOp>(body.getTerminator()));
  }
  default:
    return false;
  }
}

} // namespace einfuse::ein
