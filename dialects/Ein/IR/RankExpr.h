//===- RankExpr.h - Rank expressions over named ranks -----------*- C++ -*-===//
//
// Operands of an Einsum are indexed by rank expressions (`m`, `m1 * 64 + m0`,
// `m1 + 1`, `h floordiv 4`). They are stored as affine expressions whose dims
// are the Einsum's ranks; these helpers print and parse them with names.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_DIALECTS_EIN_IR_RANKEXPR_H
#define EINFUSE_DIALECTS_EIN_IR_RANKEXPR_H

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <utility>

namespace einfuse::ein {

/// Smallest and largest value of `e` when each rank d ranges over
/// [0, extents[d]), or nullopt when an extent is unknown or a bound
/// overflows.
std::optional<std::pair<int64_t, int64_t>>
getRankExprRange(mlir::AffineExpr e, llvm::ArrayRef<int64_t> extents);

/// Prints `expr` using `names[i]` for dim i.
void printRankExpr(llvm::raw_ostream &os, mlir::AffineExpr expr,
                   llvm::ArrayRef<llvm::StringRef> names);

/// Parses a rank expression. Unknown rank names are appended to `names`
/// (their dim position is their index there).
mlir::ParseResult parseRankExpr(mlir::OpAsmParser &parser,
                                llvm::SmallVectorImpl<std::string> &names,
                                mlir::AffineExpr &result);

/// Parses `[e0, e1, ...]` (possibly empty) into `exprs`.
mlir::ParseResult parseRankExprList(mlir::OpAsmParser &parser,
                                    llvm::SmallVectorImpl<std::string> &names,
                                    llvm::SmallVectorImpl<mlir::AffineExpr> &exprs);

} // namespace einfuse::ein

#endif
