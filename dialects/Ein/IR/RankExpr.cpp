//===- RankExpr.cpp - Rank expressions over named ranks -------------------===//
#include "Ein/IR/RankExpr.h"

#include "mlir/IR/AffineExprVisitor.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;

namespace einfuse::ein {

namespace {
/// Precedence: 0 = sum, 1 = product/div/mod, 2 = atom.
int precedence(AffineExpr e) {
  switch (e.getKind()) {
  case AffineExprKind::Add:
    return 0;
  case AffineExprKind::Mul:
  case AffineExprKind::FloorDiv:
  case AffineExprKind::CeilDiv:
  case AffineExprKind::Mod:
    return 1;
  default:
    return 2;
  }
}

void print(llvm::raw_ostream &os, AffineExpr e, ArrayRef<StringRef> names,
           int minPrec) {
  bool paren = precedence(e) < minPrec;
  if (paren)
    os << "(";
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    if (d.getPosition() < names.size())
      os << names[d.getPosition()];
    else
      os << "d" << d.getPosition();
  } else if (auto c = dyn_cast<AffineConstantExpr>(e)) {
    os << c.getValue();
  } else if (auto s = dyn_cast<AffineSymbolExpr>(e)) {
    os << "s" << s.getPosition();
  } else {
    auto b = cast<AffineBinaryOpExpr>(e);
    AffineExpr lhs = b.getLHS(), rhs = b.getRHS();
    switch (e.getKind()) {
    case AffineExprKind::Add: {
      print(os, lhs, names, 0);
      // Print `a + (-c)` as `a - c` and `a + b * -1` as `a - b`.
      // INT64_MIN has no positive counterpart: it stays `a + -9223...`.
      if (auto rc = dyn_cast<AffineConstantExpr>(rhs);
          rc && rc.getValue() < 0 &&
          rc.getValue() != std::numeric_limits<int64_t>::min()) {
        os << " - " << -rc.getValue();
        break;
      }
      if (auto rm = dyn_cast<AffineBinaryOpExpr>(rhs);
          rm && rm.getKind() == AffineExprKind::Mul) {
        if (auto c = dyn_cast<AffineConstantExpr>(rm.getRHS());
            c && c.getValue() == -1) {
          os << " - ";
          print(os, rm.getLHS(), names, 1);
          break;
        }
      }
      os << " + ";
      print(os, rhs, names, 1);
      break;
    }
    case AffineExprKind::Mul:
      print(os, lhs, names, 1);
      os << " * ";
      print(os, rhs, names, 2);
      break;
    case AffineExprKind::FloorDiv:
      print(os, lhs, names, 1);
      os << " floordiv ";
      print(os, rhs, names, 2);
      break;
    case AffineExprKind::CeilDiv:
      print(os, lhs, names, 1);
      os << " ceildiv ";
      print(os, rhs, names, 2);
      break;
    case AffineExprKind::Mod:
      print(os, lhs, names, 1);
      os << " mod ";
      print(os, rhs, names, 2);
      break;
    default:
      llvm_unreachable("not a binary affine expression");
    }
  }
  if (paren)
    os << ")";
}

bool isReservedWord(StringRef kw) {
  return kw == "floordiv" || kw == "ceildiv" || kw == "mod" || kw == "true" ||
         kw == "false";
}

/// Parentheses nest at most this deep: the parser recurses once per level,
/// and input must not be able to exhaust the stack.
constexpr unsigned kMaxNesting = 256;

/// Coefficients and constants of a rank expression stay below this bound
/// in magnitude, so that MLIR's folding of affine expressions (which does
/// not check for overflow) and every extent computed from them stay in
/// int64_t.
constexpr int64_t kMaxMagnitude = int64_t(1) << 40;

/// An upper bound on the absolute values a rank expression's coefficients
/// and constants can reach when it is folded, saturating at INT64_MAX.
int64_t magnitude(AffineExpr e) {
  constexpr int64_t max = std::numeric_limits<int64_t>::max();
  if (isa<AffineDimExpr, AffineSymbolExpr>(e))
    return 1;
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue() == std::numeric_limits<int64_t>::min()
               ? max
               : std::abs(c.getValue());
  auto b = cast<AffineBinaryOpExpr>(e);
  int64_t l = magnitude(b.getLHS()), r = magnitude(b.getRHS()), out;
  bool overflow = e.getKind() == AffineExprKind::Mul
                      ? llvm::MulOverflow(l, r, out)
                      : llvm::AddOverflow(l, r, out);
  return overflow ? max : out;
}

ParseResult checkMagnitude(OpAsmParser &parser, llvm::SMLoc loc,
                           AffineExpr lhs, AffineExpr rhs, bool product) {
  int64_t l = magnitude(lhs), r = magnitude(rhs), out;
  bool overflow = product ? llvm::MulOverflow(l, r, out)
                          : llvm::AddOverflow(l, r, out);
  if (overflow || out > kMaxMagnitude)
    return parser.emitError(loc, "rank expression constants are too large "
                                 "(each coefficient and constant must stay "
                                 "within +-2^40)");
  return success();
}

ParseResult parseSum(OpAsmParser &parser, SmallVectorImpl<std::string> &names,
                     AffineExpr &result, unsigned depth);

ParseResult parseAtom(OpAsmParser &parser, SmallVectorImpl<std::string> &names,
                      AffineExpr &result, unsigned depth) {
  MLIRContext *ctx = parser.getContext();
  llvm::SMLoc parenLoc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalLParen())) {
    if (depth >= kMaxNesting)
      return parser.emitError(parenLoc, "rank expression nests parentheses "
                                        "more than ")
             << kMaxNesting << " deep";
    if (parseSum(parser, names, result, depth + 1) || parser.parseRParen())
      return failure();
    return success();
  }
  // The parser reads `true`/`false` as integers: reject them as rank names
  // before they get there.
  llvm::SMLoc kwLoc = parser.getCurrentLocation();
  StringRef kw;
  if (succeeded(parser.parseOptionalKeyword(&kw, {"true", "false"})))
    return parser.emitError(kwLoc, "'") << kw << "' cannot be a rank name";
  int64_t value;
  OptionalParseResult intResult = parser.parseOptionalInteger(value);
  if (intResult.has_value()) {
    if (failed(*intResult))
      return failure();
    if (value > kMaxMagnitude || value < -kMaxMagnitude)
      return parser.emitError(kwLoc, "rank expression constant ")
             << value << " is out of range (at most 2^40 in magnitude)";
    result = getAffineConstantExpr(value, ctx);
    return success();
  }
  llvm::SMLoc loc = parser.getCurrentLocation();
  StringRef name;
  if (failed(parser.parseOptionalKeyword(&name)))
    return parser.emitError(loc, "expected a rank name or an integer");
  if (isReservedWord(name))
    return parser.emitError(loc, "'") << name << "' cannot be a rank name";
  auto *it = llvm::find(names, name.str());
  unsigned pos = it - names.begin();
  if (it == names.end())
    names.push_back(name.str());
  result = getAffineDimExpr(pos, ctx);
  return success();
}

ParseResult parseProduct(OpAsmParser &parser,
                         SmallVectorImpl<std::string> &names,
                         AffineExpr &result, unsigned depth) {
  if (parseAtom(parser, names, result, depth))
    return failure();
  while (true) {
    llvm::SMLoc loc = parser.getCurrentLocation();
    enum { None, Mul, FloorDiv, CeilDiv, Mod } op = None;
    if (succeeded(parser.parseOptionalStar()))
      op = Mul;
    else if (succeeded(parser.parseOptionalKeyword("floordiv")))
      op = FloorDiv;
    else if (succeeded(parser.parseOptionalKeyword("ceildiv")))
      op = CeilDiv;
    else if (succeeded(parser.parseOptionalKeyword("mod")))
      op = Mod;
    if (op == None)
      return success();
    AffineExpr rhs;
    if (parseAtom(parser, names, rhs, depth))
      return failure();
    auto c = dyn_cast<AffineConstantExpr>(rhs);
    if (op != Mul && !c)
      return parser.emitError(loc, "the right side of floordiv, ceildiv and "
                                   "mod must be an integer");
    if (op != Mul && c.getValue() <= 0)
      return parser.emitError(loc, "divisor must be positive");
    if (op == Mul && !c && !isa<AffineConstantExpr>(result))
      return parser.emitError(loc, "rank expressions must be affine: one side "
                                   "of '*' must be an integer");
    if (checkMagnitude(parser, loc, result, rhs, /*product=*/op == Mul))
      return failure();
    switch (op) {
    case Mul:
      result = result * rhs;
      break;
    case FloorDiv:
      result = result.floorDiv(c);
      break;
    case CeilDiv:
      result = result.ceilDiv(c);
      break;
    case Mod:
      result = result % c;
      break;
    case None:
      break;
    }
  }
}

ParseResult parseSum(OpAsmParser &parser, SmallVectorImpl<std::string> &names,
                     AffineExpr &result, unsigned depth) {
  if (parseProduct(parser, names, result, depth))
    return failure();
  while (true) {
    llvm::SMLoc loc = parser.getCurrentLocation();
    bool minus = false;
    if (succeeded(parser.parseOptionalPlus()))
      minus = false;
    else if (succeeded(parser.parseOptionalMinus()))
      minus = true;
    else
      return success();
    AffineExpr rhs;
    if (parseProduct(parser, names, rhs, depth) ||
        checkMagnitude(parser, loc, result, rhs, /*product=*/false))
      return failure();
    result = minus ? result - rhs : result + rhs;
  }
}
} // namespace

/// Smallest and largest value of `e` when each rank d ranges over
/// [0, extents[d]), or nullopt when an extent is unknown or a bound overflows.
std::optional<std::pair<int64_t, int64_t>>
getRankExprRange(AffineExpr e, ArrayRef<int64_t> extents) {
  using Range = std::pair<int64_t, int64_t>;
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    int64_t n = extents[d.getPosition()];
    if (ShapedType::isDynamic(n))
      return std::nullopt;
    return Range{0, n - 1};
  }
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return Range{c.getValue(), c.getValue()};
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  auto lhs = getRankExprRange(bin.getLHS(), extents);
  auto rhs = getRankExprRange(bin.getRHS(), extents);
  if (!lhs || !rhs)
    return std::nullopt;
  auto [a, b] = *lhs;
  auto [c, d] = *rhs;
  switch (e.getKind()) {
  case AffineExprKind::Add: {
    int64_t lo, hi;
    if (llvm::AddOverflow(a, c, lo) || llvm::AddOverflow(b, d, hi))
      return std::nullopt;
    return Range{lo, hi};
  }
  case AffineExprKind::Mul: {
    // Rank expressions are affine: one side is a constant.
    int64_t x, y;
    if (c != d || llvm::MulOverflow(a, c, x) || llvm::MulOverflow(b, c, y))
      return std::nullopt;
    return Range{std::min(x, y), std::max(x, y)};
  }
  case AffineExprKind::FloorDiv:
    if (c != d || c <= 0)
      return std::nullopt;
    return Range{llvm::divideFloorSigned(a, c), llvm::divideFloorSigned(b, c)};
  case AffineExprKind::CeilDiv:
    if (c != d || c <= 0)
      return std::nullopt;
    return Range{llvm::divideCeilSigned(a, c), llvm::divideCeilSigned(b, c)};
  case AffineExprKind::Mod:
    if (c != d || c <= 0)
      return std::nullopt;
    if (a >= 0 && b < c)
      return Range{a, b};
    return Range{0, c - 1};
  default:
    return std::nullopt;
  }
}

void printRankExpr(llvm::raw_ostream &os, AffineExpr expr,
                   ArrayRef<StringRef> names) {
  print(os, expr, names, 0);
}

ParseResult parseRankExpr(OpAsmParser &parser,
                          SmallVectorImpl<std::string> &names,
                          AffineExpr &result) {
  return parseSum(parser, names, result, /*depth=*/0);
}

ParseResult parseRankExprList(OpAsmParser &parser,
                              SmallVectorImpl<std::string> &names,
                              SmallVectorImpl<AffineExpr> &exprs) {
  return parser.parseCommaSeparatedList(
      OpAsmParser::Delimiter::Square, [&]() -> ParseResult {
        AffineExpr e;
        if (parseRankExpr(parser, names, e))
          return failure();
        exprs.push_back(e);
        return success();
      });
}

} // namespace einfuse::ein
