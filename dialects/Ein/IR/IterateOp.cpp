//===- IterateOp.cpp - ein.iterate: parsing, printing, verification --------===//
#include "Ein/IR/EinDialect.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace einfuse::ein;

RankedTensorType IterateOp::getResultType(RankedTensorType state,
                                          int64_t workers) {
  if (workers <= 0)
    return state;
  SmallVector<int64_t> shape = {workers};
  llvm::append_range(shape, state.getShape());
  return RankedTensorType::get(shape, state.getElementType());
}

RankedTensorType IterateOp::getTileType(RankedTensorType tiled, int64_t dim) {
  SmallVector<int64_t> shape(tiled.getShape());
  shape[dim] = ShapedType::kDynamic;
  return RankedTensorType::get(shape, tiled.getElementType());
}

ParseResult IterateOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &b = parser.getBuilder();
  StringRef rank, tileRank;
  int64_t tileSize;
  if (parser.parseKeyword(&rank) || parser.parseKeyword("tile") ||
      parser.parseInteger(tileSize) || parser.parseKeyword("as") ||
      parser.parseKeyword(&tileRank))
    return failure();
  SmallVector<OpAsmParser::UnresolvedOperand> range;
  if (succeeded(parser.parseOptionalKeyword("range"))) {
    range.resize(2);
    if (parser.parseLParen() || parser.parseOperand(range[0]) ||
        parser.parseComma() || parser.parseOperand(range[1]) ||
        parser.parseRParen())
      return failure();
  }
  if (parser.parseKeyword("tiles"))
    return failure();
  SmallVector<OpAsmParser::UnresolvedOperand> tiles, inits;
  SmallVector<Type> tileTypes, initTypes;
  SmallVector<int64_t> dims, divisors;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            OpAsmParser::UnresolvedOperand operand;
            int64_t dim, divisor = 1;
            Type type;
            if (parser.parseOperand(operand) || parser.parseKeyword("dim") ||
                parser.parseInteger(dim))
              return failure();
            if (succeeded(parser.parseOptionalSlash()) &&
                parser.parseInteger(divisor))
              return failure();
            if (parser.parseColonType(type))
              return failure();
            tiles.push_back(operand);
            dims.push_back(dim);
            divisors.push_back(divisor);
            tileTypes.push_back(type);
            return success();
          }))
    return failure();
  if (parser.parseKeyword("init") ||
      parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            OpAsmParser::UnresolvedOperand operand;
            Type type;
            if (parser.parseOperand(operand) || parser.parseColonType(type))
              return failure();
            inits.push_back(operand);
            initTypes.push_back(type);
            return success();
          }))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("combine"))) {
    SmallVector<Attribute> kinds;
    if (parser.parseCommaSeparatedList(
            OpAsmParser::Delimiter::Square, [&]() -> ParseResult {
              CombineAttr kind = CombineAttr::parseBody(parser);
              if (!kind)
                return failure();
              kinds.push_back(kind);
              return success();
            }))
      return failure();
    result.addAttribute("combine", b.getArrayAttr(kinds));
  }
  int64_t workers = 0;
  if (succeeded(parser.parseOptionalKeyword("workers"))) {
    if (parser.parseInteger(workers))
      return failure();
    result.addAttribute("workers", b.getI64IntegerAttr(workers));
  }
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  llvm::SMLoc loc = parser.getCurrentLocation();
  if (parser.resolveOperands(tiles, tileTypes, loc, result.operands) ||
      parser.resolveOperands(inits, initTypes, loc, result.operands) ||
      parser.resolveOperands(range, b.getIndexType(), result.operands))
    return failure();
  result.addAttribute("rank", b.getStringAttr(rank));
  result.addAttribute("tile_rank", b.getStringAttr(tileRank));
  result.addAttribute("tile_size", b.getI64IntegerAttr(tileSize));
  result.addAttribute("tile_dims", b.getDenseI64ArrayAttr(dims));
  if (llvm::any_of(divisors, [](int64_t d) { return d != 1; }))
    result.addAttribute("tile_divisors", b.getDenseI64ArrayAttr(divisors));
  result.addAttribute("operandSegmentSizes",
                      b.getDenseI32ArrayAttr({static_cast<int32_t>(tiles.size()),
                                              static_cast<int32_t>(inits.size()),
                                              range.empty() ? 0 : 1,
                                              range.empty() ? 0 : 1}));
  for (Type t : initTypes)
    result.addTypes(getResultType(cast<RankedTensorType>(t), workers));
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, /*arguments=*/{}))
    return failure();
  return success();
}

void IterateOp::print(OpAsmPrinter &p) {
  p << " " << getRank() << " tile " << getTileSize() << " as " << getTileRank();
  if (getRangeOffset())
    p << " range(" << getRangeOffset() << ", " << getRangeSize() << ")";
  p << " tiles(";
  llvm::interleaveComma(llvm::enumerate(getTiles(), getTileDims()), p,
                        [&](auto it) {
    auto [i, tiled, dim] = it;
    p << tiled << " dim " << dim;
    if (int64_t d = getTileDivisor(i); d != 1)
      p << " / " << d;
    p << " : " << tiled.getType();
  });
  p << ") init(";
  llvm::interleaveComma(getInits(), p, [&](Value v) {
    p << v << " : " << v.getType();
  });
  p << ")";
  if (auto combine = getCombine()) {
    p << " combine [";
    llvm::interleaveComma(*combine, p, [&](Attribute a) {
      cast<CombineAttr>(a).printBody(p);
    });
    p << "]";
  }
  if (auto workers = getWorkers())
    p << " workers " << *workers;
  p.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(), {"rank", "tile_rank", "tile_size", "tile_dims",
                            "tile_divisors", "combine", "workers", "operandSegmentSizes"});
  p << " ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/true,
                /*printBlockTerminators=*/true);
}

LogicalResult IterateOp::verify() {
  if (failed(verifyKnownAttributes(*this)))
    return failure();
  if (getTileSize() <= 0)
    return emitOpError("tile size must be positive, got ") << getTileSize();
  if (getTiles().empty())
    return emitOpError("needs at least one tiled operand");
  if (getTileDims().size() != getTiles().size())
    return emitOpError("needs one tile dim per tiled operand");
  if (getRank() == getTileRank())
    return emitOpError("the tile rank must differ from the iterated rank");
  if (!getRangeOffset() != !getRangeSize())
    return emitOpError("a range needs both an offset and a size");
  if (getRangeOffset()) {
    std::optional<int64_t> offset = getConstantIntValue(getRangeOffset());
    std::optional<int64_t> size = getConstantIntValue(getRangeSize());
    if ((offset && *offset < 0) || (size && *size < 0))
      return emitOpError("range offset and size must not be negative");
    if (offset)
      for (unsigned i = 0; i < getTiles().size(); ++i)
        if (*offset % getTileDivisor(i) != 0)
          return emitOpError("range offset ")
                 << *offset << " must be a multiple of tile divisor "
                 << getTileDivisor(i) << " of tiled operand #" << i
                 << " (the first tile starts there)";
  }
  CascadeOp cascade = (*this)->getParentOfType<CascadeOp>();
  for (StringRef r : {getRank(), getTileRank()})
    if (cascade.lookupRank(r) < 0)
      return emitOpError("uses rank '")
             << r << "', which the enclosing cascade does not declare";
  if (auto divisors = getTileDivisors()) {
    if (divisors->size() != getTiles().size())
      return emitOpError("needs one tile divisor per tiled operand");
    for (auto [i, d] : llvm::enumerate(*divisors))
      if (d < 1 || getTileSize() % d != 0)
        return emitOpError("tile divisor ")
               << d << " of tiled operand #" << i
               << " must be positive and divide the tile size "
               << getTileSize() << " (every tile starts at a multiple of it)";
    if (llvm::none_of(*divisors, [](int64_t d) { return d == 1; }))
      return emitOpError("needs an operand tiled plainly (divisor 1): the "
                         "extent of rank '")
             << getRank() << "' comes from it";
  }
  int64_t extent = ShapedType::kDynamic;
  for (auto [i, tiled, dim] :
       llvm::enumerate(getTiles(), getTileDims())) {
    auto type = cast<RankedTensorType>(tiled.getType());
    if (dim < 0 || dim >= type.getRank())
      return emitOpError("tile dim ")
             << dim << " of tiled operand #" << i << " is out of range";
    if (getTileDivisor(i) != 1)
      continue; // holds ceil(extent / d) or more along that dim
    int64_t size = type.getDimSize(dim);
    if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(extent) &&
        size != extent)
      return emitOpError("tiled operands have different extents (")
             << extent << " and " << size << ") along rank '" << getRank()
             << "'";
    if (!ShapedType::isDynamic(size))
      extent = size;
  }
  int64_t workers = getWorkers().value_or(0);
  if (getWorkers() && (workers < 1 || workers > kMaxWorkers))
    return emitOpError("workers must be in [1, ")
           << kMaxWorkers << "], got " << workers;
  if (getWorkers() && !getCombine())
    return emitOpError("workers need 'combine': the chunks after the first "
                       "start from the identity of their combine kinds");
  if (getResults().size() != getInits().size())
    return emitOpError("needs one result per state value");
  for (auto [i, init, result] :
       llvm::enumerate(getInits().getTypes(), getResultTypes()))
    if (result != getResultType(cast<RankedTensorType>(init), workers))
      return emitOpError("result #")
             << i << " must have type "
             << getResultType(cast<RankedTensorType>(init), workers)
             << (workers ? " (the initial state's with a leading dim of "
                           "'workers')"
                         : " (the initial state's)")
             << ", got " << result;
  if (auto combine = getCombine()) {
    if (combine->size() != getInits().size())
      return emitOpError("needs one combine kind per state value");
    auto kindAt = [&](int64_t i) {
      return cast<CombineAttr>((*combine)[i]).getKind();
    };
    for (auto [i, a] : llvm::enumerate(*combine)) {
      auto kind = cast<CombineAttr>(a);
      int64_t n = combine->size();
      unsigned index = i;
      auto bad = [&]() {
        return emitOpError("combine kind #") << index << " ";
      };
      if (kind.getRef() >= n || kind.getRef2() >= n ||
          kind.getRef() == static_cast<int64_t>(i) ||
          kind.getRef2() == static_cast<int64_t>(i))
        return bad() << "refers to a state out of range or to itself";
      switch (kind.getKind()) {
      case CombineKind::rescaled_sum: {
        CombineKind of = kindAt(kind.getRef());
        if (of != CombineKind::max && of != CombineKind::min)
          return bad() << "'rescaled_sum' must refer to a 'max' or 'min' "
                          "state";
        if ((of == CombineKind::max) != (kind.getWeightValue() < 0))
          return bad() << "'rescaled_sum' over a '"
                       << stringifyCombineKind(of) << "' needs a "
                       << (of == CombineKind::max ? "negative" : "positive")
                       << " weight, so that rescaling never grows a term";
        break;
      }
      case CombineKind::welford_mean:
        if (kindAt(kind.getRef()) != CombineKind::sum)
          return bad() << "'welford_mean' must refer to a 'sum' (count) "
                          "state";
        break;
      case CombineKind::welford_m2: {
        auto mean = cast<CombineAttr>((*combine)[kind.getRef2()]);
        if (kindAt(kind.getRef()) != CombineKind::sum ||
            mean.getKind() != CombineKind::welford_mean ||
            mean.getRef() != kind.getRef())
          return bad() << "'welford_m2(n, m)' must refer to a 'sum' count "
                          "n and a 'welford_mean(n)' state m";
        break;
      }
      default:
        break;
      }
      if (!isa<FloatType>(getStateType(i).getElementType()))
        return bad() << "combines a state of non-float type "
                     << getStateType(i).getElementType();
    }
  }
  return success();
}

FailureOr<SmallVector<StringRef>> IterateOp::getStateRanks(unsigned i) {
  auto yield = cast<YieldOp>(getBodyBlock().getTerminator());
  auto e = yield.getValues()[i].getDefiningOp<EinsumOp>();
  if (!e)
    return failure();
  SmallVector<StringRef> names = e.getRankNames(), ranks;
  for (AffineExpr x : e.getOutputMap().getResults())
    ranks.push_back(names[cast<AffineDimExpr>(x).getPosition()]);
  return ranks;
}

LogicalResult IterateOp::verifyRegions() {
  Block &block = getBodyBlock();
  unsigned numTiles = getTiles().size();
  if (block.getNumArguments() != numTiles + getInits().size())
    return emitOpError("body must take one argument per tile and per state "
                       "value (")
           << numTiles + getInits().size() << "), got "
           << block.getNumArguments();
  for (auto [i, tiled, dim] : llvm::enumerate(getTiles(), getTileDims())) {
    Type expected =
        getTileType(cast<RankedTensorType>(tiled.getType()), dim);
    if (block.getArgument(i).getType() != expected)
      return emitOpError("tile argument #")
             << i << " must have type " << expected << " (the tile dim is "
             << "dynamic), got " << block.getArgument(i).getType();
  }
  for (auto [i, init] : llvm::enumerate(getInits()))
    if (block.getArgument(numTiles + i).getType() != init.getType())
      return emitOpError("state argument #")
             << i << " must have the type of its initial value "
             << init.getType();
  auto yield = dyn_cast_or_null<YieldOp>(block.empty() ? nullptr
                                                       : &block.back());
  if (!yield)
    return emitOpError("body must end with 'ein.yield'");
  if (yield.getValues().getTypes() != getInits().getTypes())
    return yield.emitOpError("must yield the next state, with the types of "
                             "the initial state");
  return success();
}
