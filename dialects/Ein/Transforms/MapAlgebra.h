//===- MapAlgebra.h - Algebraic facts about map actions ---------*- C++ -*-===//
//
// What the rewrites need to know about the scalar code of a map action:
// whether scaling an operand scales the result. Shared by the deferred
// normalisation and the online form.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_DIALECTS_EIN_TRANSFORMS_MAPALGEBRA_H
#define EINFUSE_DIALECTS_EIN_TRANSFORMS_MAPALGEBRA_H

#include "Ein/IR/EinDialect.h"

namespace einfuse::ein {

/// Whether `v` reaches `yield` only through ops that keep the result
/// proportional to `v` (mulf on either side, divf as the numerator, negf,
/// extf), each value on the way having one use.
bool reachesYieldMultiplicatively(mlir::Value v, YieldOp yield);

/// Whether scaling operand `i` of `op` scales its mapped value by the same
/// factor (named mul/copy, div's numerator, or a custom map through
/// reachesYieldMultiplicatively).
bool isMultiplicativeIn(EinsumOp op, unsigned i);

} // namespace einfuse::ein

#endif
