//===- EinOps.cpp - Ein ops: parsing, printing, verification ---------------===//
#include "Ein/IR/EinDialect.h"
#include "Ein/IR/RankExpr.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace einfuse::ein;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

bool einfuse::ein::isSupportedElementType(Type type) {
  if (type.isF16() || type.isBF16() || type.isF32() || type.isF64() ||
      isa<Float8E4M3FNType>(type))
    return true;
  if (auto it = dyn_cast<IntegerType>(type))
    return it.isSignless() && llvm::is_contained({1u, 4u, 8u, 16u, 32u, 64u},
                                                 it.getWidth());
  return false;
}

unsigned einfuse::ein::getMapArity(MapKind kind) {
  switch (kind) {
  case MapKind::copy:
  case MapKind::cast:
  case MapKind::neg:
  case MapKind::abs:
  case MapKind::exp:
  case MapKind::exp2:
  case MapKind::log:
  case MapKind::sqrt:
  case MapKind::rsqrt:
  case MapKind::tanh:
    return 1;
  case MapKind::add:
  case MapKind::sub:
  case MapKind::mul:
  case MapKind::div:
  case MapKind::max:
  case MapKind::min:
    return 2;
  case MapKind::select:
    return 3;
  case MapKind::custom:
    return 0;
  }
  llvm_unreachable("unknown map kind");
}

static bool isFloatOnlyMap(MapKind kind) {
  return llvm::is_contained({MapKind::exp, MapKind::exp2, MapKind::log,
                             MapKind::sqrt, MapKind::rsqrt, MapKind::tanh},
                            kind);
}

/// Rejects attributes `op` does not define. A misspelled attribute
/// (`casual` for `causal`) would otherwise be kept as a discardable
/// attribute and silently ignored. Attributes with a dialect prefix
/// (`foo.bar`) are discardable by convention and kept.
LogicalResult einfuse::ein::verifyKnownAttributes(Operation *op) {
  // Internal attributes (operandSegmentSizes) are never written by hand.
  auto writable = llvm::make_filter_range(
      op->getName().getAttributeNames(),
      [](StringAttr k) { return !k.getValue().contains("Segment"); });
  for (NamedAttribute attr : op->getDiscardableAttrs()) {
    StringRef name = attr.getName().getValue();
    if (name.contains('.'))
      continue;
    InFlightDiagnostic diag = op->emitOpError("has unknown attribute '")
                              << name << "'";
    StringRef best;
    unsigned bestDistance = 0;
    for (StringAttr k : writable) {
      unsigned d = name.edit_distance(k.getValue(), /*AllowReplacements=*/true,
                                      /*MaxEditDistance=*/4);
      // Two neighbouring letters swapped (`inti`) count as one edit.
      if (name.size() == k.getValue().size())
        for (size_t i = 0; i + 1 < name.size(); ++i)
          if (name[i] != name[i + 1] && name[i] == k.getValue()[i + 1] &&
              name[i + 1] == k.getValue()[i] &&
              name.take_front(i) == k.getValue().take_front(i) &&
              name.drop_front(i + 2) == k.getValue().drop_front(i + 2))
            d = 1;
      size_t len = k.getValue().size();
      if (d <= std::max<size_t>(2, len / 3) && 2 * d < len &&
          (best.empty() || d < bestDistance)) {
        best = k.getValue();
        bestDistance = d;
      }
    }
    if (!best.empty()) {
      diag << "; did you mean '" << best << "'?";
    } else if (writable.empty()) {
      diag << " (it takes none)";
    } else {
      diag << " (it takes ";
      llvm::interleaveComma(writable, diag, [&](StringAttr k) {
        diag << "'" << k.getValue() << "'";
      });
      diag << ")";
    }
    return diag;
  }
  return success();
}

static bool isReservedRankName(StringRef name) {
  // `true` and `false` would parse as the integers 1 and 0 in an index.
  return name == "floordiv" || name == "ceildiv" || name == "mod" ||
         name == "true" || name == "false";
}

/// Records that `rank` has static extent `size` (if static) and reports a
/// conflict with an extent recorded before.
static LogicalResult recordExtent(Operation *op, llvm::StringMap<int64_t> &seen,
                                  StringRef rank, int64_t size,
                                  StringRef where) {
  if (ShapedType::isDynamic(size))
    return success();
  auto [it, inserted] = seen.try_emplace(rank, size);
  if (!inserted && it->second != size)
    return op->emitOpError("rank '")
           << rank << "' has extent " << size << " in " << where
           << " but extent " << it->second << " elsewhere in the cascade";
  return success();
}

/// Dims in order of first appearance in `groups`: the canonical loop order
/// of an Einsum (output ranks first), shared by its parser and builder.
static SmallVector<unsigned>
firstAppearanceOrder(ArrayRef<ArrayRef<AffineExpr>> groups) {
  SmallVector<unsigned> order;
  for (ArrayRef<AffineExpr> exprs : groups)
    for (AffineExpr e : exprs)
      e.walk([&](AffineExpr sub) {
        if (auto d = dyn_cast<AffineDimExpr>(sub))
          if (!llvm::is_contained(order, d.getPosition()))
            order.push_back(d.getPosition());
      });
  return order;
}

//===----------------------------------------------------------------------===//
// CascadeOp
//===----------------------------------------------------------------------===//

int64_t CascadeOp::lookupRank(StringRef rank) {
  for (auto [i, r] : llvm::enumerate(getRanks()))
    if (cast<StringAttr>(r).getValue() == rank)
      return i;
  return -1;
}

int64_t CascadeOp::getDeclaredExtent(StringRef rank) {
  int64_t i = lookupRank(rank);
  if (i < 0)
    return ShapedType::kDynamic;
  return getExtents()[i];
}

ParseResult CascadeOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &b = parser.getBuilder();
  SmallVector<Attribute> ranks;
  SmallVector<int64_t> extents;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Square, [&]() -> ParseResult {
            StringRef name;
            llvm::SMLoc loc = parser.getCurrentLocation();
            if (parser.parseKeyword(&name))
              return failure();
            if (isReservedRankName(name))
              return parser.emitError(loc, "'")
                     << name << "' cannot be a rank name";
            int64_t extent = ShapedType::kDynamic;
            if (succeeded(parser.parseOptionalEqual()) &&
                parser.parseInteger(extent))
              return failure();
            ranks.push_back(b.getStringAttr(name));
            extents.push_back(extent);
            return success();
          }))
    return failure();
  result.addAttribute("ranks", b.getArrayAttr(ranks));
  result.addAttribute("extents", b.getDenseI64ArrayAttr(extents));
  // tile(p = %offset of %extent, ...)
  SmallVector<Attribute> tiled;
  SmallVector<OpAsmParser::UnresolvedOperand> offsets, wholes;
  if (succeeded(parser.parseOptionalKeyword("tile")) &&
      parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            StringRef name;
            OpAsmParser::UnresolvedOperand offset, whole;
            if (parser.parseKeyword(&name) || parser.parseEqual() ||
                parser.parseOperand(offset) || parser.parseKeyword("of") ||
                parser.parseOperand(whole))
              return failure();
            tiled.push_back(b.getStringAttr(name));
            offsets.push_back(offset);
            wholes.push_back(whole);
            return success();
          }))
    return failure();
  if (!tiled.empty())
    result.addAttribute("tiled_ranks", b.getArrayAttr(tiled));
  if (parser.resolveOperands(offsets, b.getIndexType(), result.operands) ||
      parser.resolveOperands(wholes, b.getIndexType(), result.operands))
    return failure();
  result.addAttribute("operandSegmentSizes",
                      b.getDenseI32ArrayAttr(
                          {static_cast<int32_t>(offsets.size()),
                           static_cast<int32_t>(wholes.size())}));
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  SmallVector<Type> types;
  if (parser.parseArrowTypeList(types))
    return failure();
  result.addTypes(types);
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, /*arguments=*/{}))
    return failure();
  if (body->empty())
    body->emplaceBlock();
  return success();
}

void CascadeOp::print(OpAsmPrinter &p) {
  p << " [";
  llvm::interleaveComma(llvm::zip(getRanks(), getExtents()), p, [&](auto it) {
    p << cast<StringAttr>(std::get<0>(it)).getValue();
    if (!ShapedType::isDynamic(std::get<1>(it)))
      p << " = " << std::get<1>(it);
  });
  p << "]";
  if (!getTiledRanks().empty()) {
    p << " tile(";
    llvm::interleaveComma(
        llvm::zip(getTiledRanks(), getTileOffsets(), getTileExtents()), p,
        [&](auto it) {
          auto [rank, offset, whole] = it;
          p << cast<StringAttr>(rank).getValue() << " = " << offset << " of "
            << whole;
        });
    p << ")";
  }
  p.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(),
      {"ranks", "extents", "tiled_ranks", "operandSegmentSizes"});
  p << " -> (";
  llvm::interleaveComma(getResultTypes(), p);
  p << ") ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                /*printBlockTerminators=*/true);
}

LogicalResult CascadeOp::verify() {
  if (failed(verifyKnownAttributes(*this)))
    return failure();
  if (getExtents().size() != getRanks().size())
    return emitOpError("has ") << getRanks().size() << " ranks but "
                               << getExtents().size() << " extents";
  llvm::StringSet<> names;
  for (auto [r, extent] : llvm::zip(getRanks(), getExtents())) {
    StringRef name = cast<StringAttr>(r).getValue();
    if (name.empty() || isReservedRankName(name))
      return emitOpError("has an invalid rank name '") << name << "'";
    if (!names.insert(name).second)
      return emitOpError("declares rank '") << name << "' twice";
    if (!ShapedType::isDynamic(extent) && extent <= 0)
      return emitOpError("rank '") << name << "' has non-positive extent "
                                   << extent;
  }
  if (getTileOffsets().size() != getTiledRanks().size() ||
      getTileExtents().size() != getTiledRanks().size())
    return emitOpError("needs one offset and one extent per tiled rank");
  llvm::StringSet<> tiled;
  for (Attribute r : getTiledRanks()) {
    StringRef name = cast<StringAttr>(r).getValue();
    if (!names.contains(name))
      return emitOpError("is a tile of rank '")
             << name << "', which it does not declare";
    if (!tiled.insert(name).second)
      return emitOpError("is a tile of rank '") << name << "' twice";
  }
  return success();
}


std::pair<Value, Value> CascadeOp::getTileOf(StringRef rank) {
  for (auto [r, offset, whole] :
       llvm::zip(getTiledRanks(), getTileOffsets(), getTileExtents()))
    if (cast<StringAttr>(r).getValue() == rank)
      return {offset, whole};
  return {};
}

LogicalResult CascadeOp::verifyRegions() {
  Block &block = getBodyBlock();
  if (block.getNumArguments() != 0)
    return emitOpError("body takes no arguments");
  // An iteration runs over all of its rank: it cannot be in a tile of it.
  for (auto it : block.getOps<IterateOp>())
    if (getTileOf(it.getRank()).first)
      return it.emitOpError("iterates over rank '")
             << it.getRank() << "', of which the enclosing cascade is a tile";
  auto yield = dyn_cast_or_null<YieldOp>(
      block.empty() ? nullptr : &block.back());
  if (!yield)
    return emitOpError("body must end with 'ein.yield'");
  if (yield.getValues().getTypes() != getResultTypes())
    return yield.emitOpError("yields types that differ from the results of "
                             "the enclosing cascade");

  // What a cascade holds: Ein ops, and what they read that is not a tensor
  // computation: pure scalar ops (constants, index arithmetic), sizes
  // (tensor.dim) and tensors made from scalars (tensor.splat, tensor.empty);
  // the rewrites materialise those. An op computing on tensors would be
  // invisible to the pass analysis and fail late in the lowering.
  auto isShaped = [](Type t) { return isa<ShapedType>(t); };
  for (Operation &op : block) {
    if (isa<EinDialect>(op.getDialect()) ||
        isa<tensor::DimOp, tensor::SplatOp, tensor::EmptyOp>(op))
      continue;
    if (op.getNumRegions() == 0 && isPure(&op) &&
        llvm::none_of(op.getOperandTypes(), isShaped) &&
        llvm::none_of(op.getResultTypes(), isShaped))
      continue;
    return op.emitOpError("is not allowed directly inside 'ein.cascade': a "
                          "cascade computes on tensors through Ein ops only "
                          "(next to scalar ops, tensor.dim, tensor.splat and "
                          "tensor.empty); compute it outside the cascade, or "
                          "as an Einsum (a custom map region takes any scalar "
                          "op)");
  }

  // Rank extents must agree across every Einsum of the cascade.
  llvm::StringMap<int64_t> seen;
  for (auto [r, extent] : llvm::zip(getRanks(), getExtents()))
    if (!ShapedType::isDynamic(extent))
      seen[cast<StringAttr>(r).getValue()] = extent;
  for (auto einsum : block.getOps<EinsumOp>()) {
    SmallVector<StringRef> names = einsum.getRankNames();
    auto check = [&](AffineMap map, ShapedType type,
                     StringRef where) -> LogicalResult {
      for (auto [i, e] : llvm::enumerate(map.getResults()))
        if (auto d = dyn_cast<AffineDimExpr>(e))
          if (failed(recordExtent(einsum, seen, names[d.getPosition()],
                                  type.getDimSize(i), where)))
            return failure();
      return success();
    };
    for (auto [i, in] : llvm::enumerate(einsum.getInputs()))
      if (failed(check(einsum.getInputMap(i), cast<ShapedType>(in.getType()),
                       ("operand #" + Twine(i)).str())))
        return failure();
    if (failed(check(einsum.getOutputMap(), einsum.getResult().getType(),
                     "the result")))
      return failure();
  }
  // A result dim left dynamic for a rank whose extent is static is almost
  // always a typo (ranks listed in the wrong order): the kernel would take
  // the buffer's size on trust. Ask for the size instead.
  for (auto einsum : block.getOps<EinsumOp>()) {
    SmallVector<StringRef> names = einsum.getRankNames();
    RankedTensorType type = einsum.getResult().getType();
    for (auto [i, e] : llvm::enumerate(einsum.getOutputMap().getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d || !type.isDynamicDim(i))
        continue;
      auto it = seen.find(names[d.getPosition()]);
      if (it != seen.end())
        return einsum.emitOpError("result dimension #")
               << i << " is indexed by rank '" << names[d.getPosition()]
               << "', whose extent is " << it->second
               << ", but its type leaves it dynamic ('?'); write "
               << it->second << " (are the result's ranks in the order of "
               << "its type?)";
    }
    SmallVector<int64_t> rankExtents = llvm::map_to_vector(
        names, [&](StringRef rank) {
          auto it = seen.find(rank);
          return it == seen.end() ? ShapedType::kDynamic : it->second;
        });
    if (failed(checkOperandBounds(einsum, rankExtents)))
      return failure();
  }
  return success();
}

LogicalResult einfuse::ein::checkOperandBounds(EinsumOp einsum,
                                               ArrayRef<int64_t> rankExtents) {
  if (llvm::is_contained(rankExtents, 0))
    return success(); // nothing is read
  SmallVector<StringRef> names = einsum.getRankNames();
  for (auto [i, in] : llvm::enumerate(einsum.getInputs())) {
    auto type = cast<ShapedType>(in.getType());
    for (auto [d, e] : llvm::enumerate(einsum.getInputMap(i).getResults())) {
      if (isa<AffineDimExpr>(e) || type.isDynamicDim(d))
        continue;
      auto range = getRankExprRange(e, rankExtents);
      if (!range || (range->first >= 0 && range->second < type.getDimSize(d)))
        continue;
      std::string expr;
      llvm::raw_string_ostream os(expr);
      printRankExpr(os, e, names);
      return einsum.emitOpError("operand #")
             << i << " is indexed out of bounds: '" << expr
             << "' ranges over [" << range->first << ", " << range->second
             << "] but dimension #" << d << " has size " << type.getDimSize(d);
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// EinsumOp
//===----------------------------------------------------------------------===//

SmallVector<StringRef> EinsumOp::getRankNames() {
  return llvm::map_to_vector(getRanks(), [](Attribute a) {
    return cast<StringAttr>(a).getValue();
  });
}

bool EinsumOp::isReducedRank(unsigned pos) {
  return !getOutputMap().isFunctionOfDim(pos);
}

SmallVector<unsigned> EinsumOp::getReducedRankPositions() {
  SmallVector<unsigned> out;
  for (unsigned i = 0, e = getRanks().size(); i < e; ++i)
    if (isReducedRank(i))
      out.push_back(i);
  return out;
}

ParseResult EinsumOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &b = parser.getBuilder();
  MLIRContext *ctx = parser.getContext();

  // Map action.
  StringRef mapName;
  llvm::SMLoc mapLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&mapName))
    return failure();
  std::optional<MapKind> mapKind = symbolizeMapKind(mapName);
  if (!mapKind)
    return parser.emitError(mapLoc, "unknown map action '") << mapName << "'";

  // Operands with their index expressions. Dims are numbered in order of
  // first appearance while parsing and renumbered below.
  SmallVector<std::string> names;
  SmallVector<OpAsmParser::UnresolvedOperand> operands;
  SmallVector<SmallVector<AffineExpr>> operandExprs;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            OpAsmParser::UnresolvedOperand operand;
            SmallVector<AffineExpr> exprs;
            if (parser.parseOperand(operand) ||
                parseRankExprList(parser, names, exprs))
              return failure();
            operands.push_back(operand);
            operandExprs.push_back(std::move(exprs));
            return success();
          }))
    return failure();

  // Output ranks.
  SmallVector<AffineExpr> outExprs;
  if (parser.parseArrow() || parseRankExprList(parser, names, outExprs))
    return failure();

  // Reduce action.
  ReduceKind reduceKind = ReduceKind::none;
  SmallVector<AffineExpr> reduceExprs;
  for (ReduceKind k : {ReduceKind::sum, ReduceKind::max, ReduceKind::min}) {
    if (succeeded(parser.parseOptionalKeyword(stringifyReduceKind(k)))) {
      reduceKind = k;
      llvm::SMLoc loc = parser.getCurrentLocation();
      if (parseRankExprList(parser, names, reduceExprs))
        return failure();
      for (AffineExpr e : reduceExprs)
        if (!isa<AffineDimExpr>(e))
          return parser.emitError(loc, "a reduce action lists plain ranks");
      break;
    }
  }

  if (succeeded(parser.parseOptionalKeyword("init"))) {
    Attribute init;
    if (parser.parseLParen() || parser.parseAttribute(init) ||
        parser.parseRParen())
      return failure();
    result.addAttribute("init", init);
  }

  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();

  Region *body = result.addRegion();
  OptionalParseResult regionResult =
      parser.parseOptionalRegion(*body, /*arguments=*/{});
  if (regionResult.has_value() && failed(*regionResult))
    return failure();

  // Types.
  FunctionType fnType;
  llvm::SMLoc typeLoc = parser.getCurrentLocation();
  if (parser.parseColonType(fnType))
    return failure();
  if (fnType.getNumResults() != 1)
    return parser.emitError(typeLoc, "expected one result type");
  if (parser.resolveOperands(operands, fnType.getInputs(), typeLoc,
                             result.operands))
    return failure();
  result.addTypes(fnType.getResults());

  // Loop order: output ranks, then the reduced ranks as listed, then any
  // other rank (which the verifier rejects as neither kept nor reduced).
  SmallVector<ArrayRef<AffineExpr>> groups = {outExprs, reduceExprs};
  for (auto &exprs : operandExprs)
    groups.push_back(exprs);
  SmallVector<unsigned> order = firstAppearanceOrder(groups);
  SmallVector<AffineExpr> renumber(names.size());
  SmallVector<Attribute> rankAttrs;
  for (auto [newPos, oldPos] : llvm::enumerate(order)) {
    renumber[oldPos] = getAffineDimExpr(newPos, ctx);
    rankAttrs.push_back(b.getStringAttr(names[oldPos]));
  }
  unsigned numDims = order.size();
  SmallVector<Attribute> maps;
  auto makeMap = [&](ArrayRef<AffineExpr> exprs) {
    SmallVector<AffineExpr> newExprs = llvm::map_to_vector(
        exprs, [&](AffineExpr e) { return e.replaceDims(renumber); });
    maps.push_back(AffineMapAttr::get(AffineMap::get(numDims, 0, newExprs, ctx)));
  };
  for (auto &exprs : operandExprs)
    makeMap(exprs);
  makeMap(outExprs);

  // A listed reduce rank that is also an output rank is reported here: after
  // renumbering it cannot be told apart.
  for (AffineExpr e : reduceExprs)
    if (llvm::any_of(outExprs, [&](AffineExpr o) { return o == e; }))
      return parser.emitError(typeLoc, "rank '")
             << names[cast<AffineDimExpr>(e).getPosition()]
             << "' is both kept in the output and reduced";

  // The reduce action lists exactly the dropped ranks. Without one, a
  // dropped rank is left to the verifier, which reports it.
  if (reduceKind != ReduceKind::none) {
    for (unsigned oldPos : order) {
      AffineExpr d = getAffineDimExpr(oldPos, ctx);
      if (!llvm::is_contained(outExprs, d) &&
          !llvm::is_contained(reduceExprs, d))
        return parser.emitError(typeLoc, "rank '")
               << names[oldPos]
               << "' is dropped from the result but the reduce action does "
                  "not list it";
    }
  }

  result.addAttribute("ranks", b.getArrayAttr(rankAttrs));
  result.addAttribute("indexing_maps", b.getArrayAttr(maps));
  result.addAttribute("map", MapKindAttr::get(ctx, *mapKind));
  result.addAttribute("reduce", ReduceKindAttr::get(ctx, reduceKind));
  return success();
}

void EinsumOp::print(OpAsmPrinter &p) {
  SmallVector<StringRef> names = getRankNames();
  auto printExprs = [&](AffineMap map) {
    p << "[";
    llvm::interleaveComma(map.getResults(), p, [&](AffineExpr e) {
      printRankExpr(p.getStream(), e, names);
    });
    p << "]";
  };
  p << " " << stringifyMapKind(getMap()) << "(";
  llvm::interleaveComma(llvm::enumerate(getInputs()), p, [&](auto it) {
    p << it.value();
    printExprs(getInputMap(it.index()));
  });
  p << ") -> ";
  printExprs(getOutputMap());
  if (getReduce() != ReduceKind::none) {
    p << " " << stringifyReduceKind(getReduce()) << "[";
    llvm::interleaveComma(getReducedRankPositions(), p,
                          [&](unsigned pos) { p << names[pos]; });
    p << "]";
  }
  if (auto init = getInitAttr()) {
    p << " init(";
    p.printAttribute(init);
    p << ")";
  }
  p.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(), {"ranks", "indexing_maps", "map", "reduce", "init"});
  if (!getBody().empty()) {
    p << " ";
    p.printRegion(getBody(), /*printEntryBlockArgs=*/true,
                  /*printBlockTerminators=*/true);
  }
  p << " : ";
  p.printFunctionalType(getInputs().getTypes(), getOperation()->getResultTypes());
}

LogicalResult EinsumOp::verify() {
  if (failed(verifyKnownAttributes(*this)))
    return failure();
  SmallVector<StringRef> names = getRankNames();
  unsigned numRanks = names.size();
  unsigned numInputs = getInputs().size();

  // Ranks: unique, declared by the cascade.
  CascadeOp cascade = getCascade();
  llvm::StringSet<> unique;
  for (StringRef name : names) {
    if (!unique.insert(name).second)
      return emitOpError("lists rank '") << name << "' twice";
    if (cascade.lookupRank(name) < 0)
      return emitOpError("uses rank '")
             << name << "', which the enclosing cascade does not declare";
  }

  // Index maps.
  if (getIndexingMaps().size() != numInputs + 1)
    return emitOpError("expects ")
           << numInputs + 1 << " indexing maps (one per operand and one for "
           << "the result), got " << getIndexingMaps().size();
  auto checkMap = [&](AffineMap map, ShapedType type,
                      const Twine &what) -> LogicalResult {
    if (map.getNumDims() != numRanks || map.getNumSymbols() != 0)
      return emitOpError("indexing map of ")
             << what << " must range over the " << numRanks
             << " ranks of the einsum and no symbols";
    if (map.getNumResults() != static_cast<unsigned>(type.getRank()))
      return emitOpError() << what << " has rank " << type.getRank()
                           << " but is indexed by " << map.getNumResults()
                           << " rank expressions";
    return success();
  };
  for (auto [i, in] : llvm::enumerate(getInputs()))
    if (failed(checkMap(getInputMap(i), cast<ShapedType>(in.getType()),
                        "operand #" + Twine(i))))
      return failure();
  if (failed(checkMap(getOutputMap(), getResult().getType(), "the result")))
    return failure();

  // The output is indexed by distinct plain ranks.
  llvm::SmallBitVector inOutput(numRanks);
  for (AffineExpr e : getOutputMap().getResults()) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d) {
      std::string s;
      llvm::raw_string_ostream os(s);
      printRankExpr(os, e, names);
      return emitOpError("result must be indexed by plain ranks, got '")
             << s << "'";
    }
    if (inOutput.test(d.getPosition()))
      return emitOpError("result is indexed twice by rank '")
             << names[d.getPosition()] << "'";
    inOutput.set(d.getPosition());
  }

  // Every rank the output lacks is reduced, and it must index an operand.
  for (unsigned r = 0; r < numRanks; ++r) {
    if (inOutput.test(r))
      continue;
    bool used = llvm::any_of(llvm::seq(0u, numInputs), [&](unsigned i) {
      return getInputMap(i).isFunctionOfDim(r);
    });
    if (!used)
      return emitOpError("reduces over rank '")
             << names[r] << "', which no operand has";
    if (getReduce() == ReduceKind::none)
      return emitOpError("drops rank '")
             << names[r]
             << "' from the result but has no reduce action over it";
  }
  if (getReduce() != ReduceKind::none && inOutput.all())
    return emitOpError("has reduce action '")
           << stringifyReduceKind(getReduce())
           << "' but no rank to reduce over";

  // Element types.
  Type resultElt = getResult().getType().getElementType();
  for (Type t : getOperandTypes()) {
    Type elt = cast<ShapedType>(t).getElementType();
    if (!isSupportedElementType(elt))
      return emitOpError("unsupported element type ") << elt;
  }
  if (!isSupportedElementType(resultElt))
    return emitOpError("unsupported element type ") << resultElt;

  // Map action: arity and types.
  MapKind kind = getMap();
  StringRef kindName = stringifyMapKind(kind);
  if (kind == MapKind::custom) {
    if (getBody().empty())
      return emitOpError("map action 'custom' needs a region");
  } else {
    if (!getBody().empty())
      return emitOpError("only a 'custom' map action has a region");
    unsigned arity = getMapArity(kind);
    if (numInputs != arity)
      return emitOpError("map action '")
             << kindName << "' takes " << arity << " operand"
             << (arity == 1 ? "" : "s") << ", got " << numInputs;
    auto elt = [&](unsigned i) {
      return cast<ShapedType>(getInputs()[i].getType()).getElementType();
    };
    if (kind == MapKind::select) {
      if (!elt(0).isInteger(1))
        return emitOpError("map action 'select' needs an i1 condition, got ")
               << elt(0);
      if (elt(1) != resultElt || elt(2) != resultElt)
        return emitOpError("map action 'select' needs both choices of the "
                           "result element type ")
               << resultElt;
    } else if (kind != MapKind::cast) {
      for (unsigned i = 0; i < numInputs; ++i)
        if (elt(i) != resultElt)
          return emitOpError("map action '")
                 << kindName << "' needs operands of the result element type "
                 << resultElt << ", got " << elt(i) << " for operand #" << i;
      if (isFloatOnlyMap(kind) && !isa<FloatType>(resultElt))
        return emitOpError("map action '")
               << kindName << "' needs a float element type, got "
               << resultElt;
    }
  }
  if (getReduce() != ReduceKind::none && resultElt.isInteger(1))
    return emitOpError("cannot reduce over i1 values");

  // Initial value.
  if (auto init = getInitAttr()) {
    if (getReduce() == ReduceKind::none)
      return emitOpError("has an initial value but no reduce action");
    if (init.getType() != resultElt)
      return emitOpError("initial value has type ")
             << init.getType() << " but the result element type is "
             << resultElt;
  }
  return success();
}

LogicalResult EinsumOp::verifyRegions() {
  if (getBody().empty())
    return success();
  if (!getBody().hasOneBlock())
    return emitOpError("custom map region must have one block");
  Block &block = getBody().front();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError("custom map region must take one scalar per operand (")
           << getInputs().size() << "), got " << block.getNumArguments();
  for (auto [arg, in] : llvm::zip(block.getArguments(), getInputs())) {
    Type elt = cast<ShapedType>(in.getType()).getElementType();
    if (arg.getType() != elt)
      return emitOpError("custom map region argument #")
             << arg.getArgNumber() << " has type " << arg.getType()
             << " but the operand's element type is " << elt;
  }
  auto yield = dyn_cast_or_null<YieldOp>(block.empty() ? nullptr
                                                        : &block.back());
  if (!yield)
    return emitOpError("custom map region must end with 'ein.yield'");
  Type resultElt = getResult().getType().getElementType();
  if (yield.getValues().size() != 1 ||
      yield.getValues().front().getType() != resultElt)
    return yield.emitOpError("must yield one value of the result element "
                             "type ")
           << resultElt;
  return success();
}

EinsumOp einfuse::ein::buildEinsum(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
    ArrayRef<StringRef> cascadeRanks,
    ArrayRef<SmallVector<AffineExpr>> inputExprs,
    ArrayRef<AffineExpr> outputExprs, MapKind map, ReduceKind reduce,
    MapBodyBuilder body, TypedAttr init) {
  MLIRContext *ctx = b.getContext();
  SmallVector<ArrayRef<AffineExpr>> groups = {outputExprs};
  for (auto &exprs : inputExprs)
    groups.push_back(exprs);
  SmallVector<unsigned> order = firstAppearanceOrder(groups);
  SmallVector<AffineExpr> renumber(cascadeRanks.size(),
                                   getAffineConstantExpr(0, ctx));
  SmallVector<Attribute> rankAttrs;
  for (auto [newPos, oldPos] : llvm::enumerate(order)) {
    renumber[oldPos] = getAffineDimExpr(newPos, ctx);
    rankAttrs.push_back(b.getStringAttr(cascadeRanks[oldPos]));
  }
  SmallVector<Attribute> maps;
  auto addMap = [&](ArrayRef<AffineExpr> exprs) {
    SmallVector<AffineExpr> newExprs = llvm::map_to_vector(
        exprs, [&](AffineExpr e) { return e.replaceDims(renumber); });
    maps.push_back(
        AffineMapAttr::get(AffineMap::get(order.size(), 0, newExprs, ctx)));
  };
  for (auto &exprs : inputExprs)
    addMap(exprs);
  addMap(outputExprs);
  auto op = EinsumOp::create(b, loc, resultType, inputs,
                             b.getArrayAttr(rankAttrs), b.getArrayAttr(maps),
                             MapKindAttr::get(ctx, map),
                             ReduceKindAttr::get(ctx, reduce), init);
  if (map == MapKind::custom && body) {
    OpBuilder::InsertionGuard guard(b);
    SmallVector<Type> argTypes = llvm::map_to_vector(inputs, [](Value v) {
      return cast<ShapedType>(v.getType()).getElementType();
    });
    SmallVector<Location> locs(inputs.size(), loc);
    Block *block = b.createBlock(&op.getBody(), {}, argTypes, locs);
    Value result = body(b, loc, block->getArguments());
    YieldOp::create(b, loc, result);
  }
  return op;
}

Value einfuse::ein::tiledSource(Value in, int64_t &tileDim) {
  tileDim = -1;
  if (auto arg = dyn_cast<BlockArgument>(in))
    if (auto it = dyn_cast<IterateOp>(arg.getOwner()->getParentOp()))
      if (arg.getArgNumber() < it.getTiles().size()) {
        tileDim = it.getTileDims()[arg.getArgNumber()];
        return it.getTiles()[arg.getArgNumber()];
      }
  return in;
}

std::optional<std::pair<Value, unsigned>>
einfuse::ein::findOutsideExtent(CascadeOp cascade, StringRef rank) {
  std::optional<std::pair<Value, unsigned>> found;
  cascade.walk([&](EinsumOp e) {
    if (found)
      return;
    SmallVector<StringRef> names = e.getRankNames();
    for (auto [k, in] : llvm::enumerate(e.getInputs())) {
      // A tile of an iteration stands for the iteration's operand, except
      // along the tile dim.
      int64_t tileDim;
      Value v = tiledSource(in, tileDim);
      Region *region = v.getParentRegion();
      if (region == &cascade.getBody() ||
          cascade->isProperAncestor(region->getParentOp()))
        continue;
      for (auto [d, x] : llvm::enumerate(e.getInputMap(k).getResults()))
        if (auto de = dyn_cast<AffineDimExpr>(x);
            de && names[de.getPosition()] == rank && !found &&
            static_cast<int64_t>(d) != tileDim)
          found = {v, static_cast<unsigned>(d)};
    }
  });
  // An iteration over the rank reads all of it along the tile dims of its
  // plainly tiled operands.
  if (!found)
    cascade.walk([&](IterateOp it) {
      if (found || it.getRank() != rank)
        return;
      for (auto [i, v, d] : llvm::enumerate(it.getTiles(), it.getTileDims())) {
        Region *region = v.getParentRegion();
        if (it.getTileDivisor(i) == 1 && !found &&
            region != &cascade.getBody() &&
            !cascade->isProperAncestor(region->getParentOp()))
          found = {v, static_cast<unsigned>(d)};
      }
    });
  return found;
}

std::string einfuse::ein::addCascadeRank(CascadeOp cascade, StringRef base,
                                         int64_t extent) {
  Builder b(cascade.getContext());
  std::string name = base.str();
  while (cascade.lookupRank(name) >= 0)
    name += "_";
  SmallVector<Attribute> ranks(cascade.getRanks().getValue());
  ranks.push_back(b.getStringAttr(name));
  SmallVector<int64_t> extents(cascade.getExtents());
  extents.push_back(extent);
  cascade.setRanksAttr(b.getArrayAttr(ranks));
  cascade.setExtents(extents);
  return name;
}

Value einfuse::ein::buildOutsideExtent(OpBuilder &b, Location loc,
                                       CascadeOp cascade, StringRef rank) {
  auto found = findOutsideExtent(cascade, rank);
  if (!found)
    return {};
  return tensor::DimOp::create(b, loc, found->first, found->second);
}

//===----------------------------------------------------------------------===//
// IndexOp, ExtentOp
//===----------------------------------------------------------------------===//

LogicalResult IndexOp::verify() {
  if (failed(verifyKnownAttributes(*this)))
    return failure();
  auto einsum = (*this)->getParentOfType<EinsumOp>();
  if (!einsum)
    return emitOpError("must be inside the map region of an 'ein.einsum'");
  if (llvm::is_contained(einsum.getRankNames(), getRank()))
    return success();
  // Inside an iteration over `getRank()`, an Einsum over its tile rank may
  // ask for the position along the whole rank.
  if (auto iterate = einsum->getParentOfType<IterateOp>())
    if (iterate.getRank() == getRank() &&
        llvm::is_contained(einsum.getRankNames(), iterate.getTileRank()))
      return success();
  return emitOpError("rank '")
         << getRank() << "' is not a rank of the enclosing einsum";
}

LogicalResult ExtentOp::verify() {
  if (failed(verifyKnownAttributes(*this)))
    return failure();
  auto cascade = (*this)->getParentOfType<CascadeOp>();
  if (!cascade)
    return emitOpError("must be inside an 'ein.cascade'");
  // Extents are materialised where an Einsum is lowered; the cascade body
  // itself disappears in lowering.
  auto einsum = (*this)->getParentOfType<EinsumOp>();
  if (!einsum || einsum->getParentOfType<CascadeOp>() != cascade)
    return emitOpError("must be inside the map region of an 'ein.einsum'");
  if (cascade.lookupRank(getRank()) < 0)
    return emitOpError("rank '")
           << getRank() << "' is not declared by the enclosing cascade";
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

/// Whether two dims may be equal: dynamic sizes match anything.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyKnownAttributes(*this)))
    return failure();
  auto q = cast<RankedTensorType>(getQuery().getType());
  auto k = cast<RankedTensorType>(getKey().getType());
  auto v = cast<RankedTensorType>(getValue().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  const char *names[] = {"query", "key", "value", "result"};
  RankedTensorType types[] = {q, k, v, out};
  for (auto [name, t] : llvm::zip(names, types)) {
    if (t.getRank() != 4)
      return emitOpError() << name << " must have rank 4 [batch, heads, "
                           << "sequence, head_dim], got rank " << t.getRank();
    Type elt = t.getElementType();
    if (!(elt.isF32() || elt.isF16() || elt.isBF16()))
      return emitOpError("unsupported element type ")
             << elt << " for " << name << " (expected f32, f16 or bf16)";
    if (elt != q.getElementType())
      return emitOpError() << name << " has element type " << elt
                           << " but query has " << q.getElementType();
    for (unsigned d : {1u, 3u}) {
      if (ShapedType::isDynamic(t.getDimSize(d)))
        return emitOpError() << name << " must have static "
                             << (d == 1 ? "head count" : "head dim");
      // The default scale is 1/sqrt(head dim).
      if (d == 3 && t.getDimSize(d) == 0)
        return emitOpError() << name << " head dim must be positive";
    }
  }
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
  if (v.getDimSize(1) != hkv)
    return emitOpError("key has ")
           << hkv << " heads but value has " << v.getDimSize(1);
  // hkv may be 0 (an empty static dim): do not divide by it.
  if (hkv == 0 || hq % hkv != 0)
    return emitOpError("query heads (")
           << hq << ") must be a multiple of key/value heads (" << hkv
           << ")";
  if (q.getDimSize(3) != k.getDimSize(3))
    return emitOpError("query head dim (")
           << q.getDimSize(3) << ") differs from key head dim ("
           << k.getDimSize(3) << ")";
  if (!compatible(q.getDimSize(0), k.getDimSize(0)) ||
      !compatible(q.getDimSize(0), v.getDimSize(0)) ||
      !compatible(q.getDimSize(0), out.getDimSize(0)))
    return emitOpError("batch sizes of query, key, value and result differ");
  if (!compatible(k.getDimSize(2), v.getDimSize(2)))
    return emitOpError("key and value sequence lengths differ");
  if (out.getDimSize(1) != hq || !compatible(out.getDimSize(2), q.getDimSize(2)) ||
      out.getDimSize(3) != v.getDimSize(3))
    return emitOpError("result must be [batch, query heads, query length, "
                       "value head dim]");
  // A result size left dynamic where the operands fix it would be taken on
  // trust from the caller's buffer.
  int64_t batch = q.getDimSize(0);
  for (RankedTensorType t : {k, v})
    if (ShapedType::isDynamic(batch))
      batch = t.getDimSize(0);
  for (auto [d, fixed] : {std::pair<int64_t, int64_t>{0, batch},
                          {2, q.getDimSize(2)}}) {
    if (out.isDynamicDim(d) && !ShapedType::isDynamic(fixed))
      return emitOpError("result dimension #")
             << d << " is dynamic ('?') but the operands fix it to " << fixed
             << "; write " << fixed;
  }

  if (Value mask = getMask()) {
    auto m = cast<RankedTensorType>(mask.getType());
    Type elt = m.getElementType();
    if (!elt.isInteger(1) && elt != q.getElementType())
      return emitOpError("mask must be i1 (a boolean mask) or ")
             << q.getElementType() << " (an additive bias), got " << elt;
    if (m.getRank() != 2 && m.getRank() != 4)
      return emitOpError("mask must be [Sq, Sk] or [B, Hq, Sq, Sk], got rank ")
             << m.getRank();
    int64_t off = m.getRank() - 2;
    if (!compatible(m.getDimSize(off), q.getDimSize(2)) ||
        !compatible(m.getDimSize(off + 1), k.getDimSize(2)) ||
        (off && (!compatible(m.getDimSize(0), q.getDimSize(0)) ||
                 m.getDimSize(1) != hq)))
      return emitOpError("mask shape does not match [Sq, Sk] or "
                         "[B, Hq, Sq, Sk]");
  }
  if (auto scaleAttr = getScaleAttr()) {
    double scale = scaleAttr.getValueAsDouble();
    if (!std::isfinite(scale) || scale == 0.0)
      return emitOpError("scale must be finite and non-zero");
  }
  if (auto capAttr = getSoftcapAttr()) {
    double cap = capAttr.getValueAsDouble();
    if (!std::isfinite(cap) || cap <= 0.0)
      return emitOpError("softcap must be finite and positive");
  }
  if (auto window = getWindow()) {
    if (window->size() != 2)
      return emitOpError("window must be [left, right], got ")
             << window->size() << " values";
    for (int64_t w : *window)
      if (w < -1)
        return emitOpError("window sizes must be >= 0, or -1 for unbounded");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// QMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult QMatmulOp::verify() {
  if (failed(verifyKnownAttributes(*this)))
    return failure();
  auto x = cast<RankedTensorType>(getInput().getType());
  auto w = cast<RankedTensorType>(getWeight().getType());
  auto s = cast<RankedTensorType>(getScales().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  QuantFormatAttr format = getFormat();

  if (x.getRank() != 2 || w.getRank() != 2 || s.getRank() != 2 ||
      out.getRank() != 2)
    return emitOpError("input, weight, scales and result must have rank 2");
  Type xe = x.getElementType();
  if (!(xe.isF32() || xe.isF16() || xe.isBF16() || xe.isInteger(8) ||
        isa<Float8E4M3FNType>(xe)))
    return emitOpError("unsupported input element type ")
           << xe << " (expected f32, f16, bf16, i8 or f8E4M3FN)";
  if (w.getElementType() != format.getStorageType())
    return emitOpError("weight format '")
           << stringifyQuantKind(format.getKind()) << "' is stored as "
           << format.getStorageType() << ", got " << w.getElementType();
  Type se = s.getElementType();
  if (!(se.isF32() || se.isF16() || se.isBF16()))
    return emitOpError("unsupported scale element type ") << se;
  Type oe = out.getElementType();
  if (!(oe.isF32() || oe.isF16() || oe.isBF16()))
    return emitOpError("unsupported result element type ") << oe;

  int64_t kDim = x.getDimSize(1), n = w.getDimSize(0);
  if (ShapedType::isDynamic(kDim) || !w.hasStaticShape() ||
      !s.hasStaticShape())
    return emitOpError("K, the weight and the scales must be static");
  unsigned per = format.getValuesPerStorageElement();
  if (kDim % per != 0)
    return emitOpError("K (") << kDim << ") must be even for 4-bit weights";
  if (w.getDimSize(1) * per != kDim)
    return emitOpError("weight holds ")
           << w.getDimSize(1) * per << " values along K but the input has K = "
           << kDim;
  int64_t g = format.getGroupSize();
  if (kDim % g != 0)
    return emitOpError("group_size ")
           << g << " does not divide K = " << kDim;
  if (s.getDimSize(0) != n || s.getDimSize(1) != kDim / g)
    return emitOpError("scales must be [N, K / group_size] = [")
           << n << ", " << kDim / g << "]";
  if (Value z = getZeroPoints()) {
    if (!format.getZeroPoint())
      return emitOpError("has zero points but its format says zero_point = "
                         "false");
    if (z.getType() != getScales().getType())
      return emitOpError("zero points must have the type of the scales");
  } else if (format.getZeroPoint()) {
    return emitOpError("format says zero_point = true but no zero points "
                       "are given");
  }
  if (out.isDynamicDim(0) && !x.isDynamicDim(0))
    return emitOpError("result dimension #0 is dynamic ('?') but the input "
                       "fixes it to ")
           << x.getDimSize(0) << "; write " << x.getDimSize(0);
  if (!compatible(out.getDimSize(0), x.getDimSize(0)) ||
      out.getDimSize(1) != n)
    return emitOpError("result must be [M, N] = [")
           << x.getDimSize(0) << ", " << n << "]";
  return success();
}

#define GET_OP_CLASSES
#include "Ein/IR/EinOps.cpp.inc"

//===----------------------------------------------------------------------===//
// YieldOp
//===----------------------------------------------------------------------===//

LogicalResult YieldOp::verify() { return verifyKnownAttributes(*this); }

LogicalResult einfuse::ein::checkRankOption(Operation *root, StringRef rank,
                                            StringRef what) {
  bool found = false;
  root->walk([&](CascadeOp c) {
    found |= c.lookupRank(rank) >= 0;
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (found)
    return success();
  return emitError(root->getLoc())
         << what << " '" << rank
         << "' is not a rank of any cascade (named ops decompose into "
            "cascades with ranks b, h, p, m, e, f for attention and m, n, k "
            "for qmatmul)";
}
