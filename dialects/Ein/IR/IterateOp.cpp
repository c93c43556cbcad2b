//===- IterateOp.cpp - ein.iterate: parsing, printing, verification --------===//
#include "Ein/IR/EinDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace einfuse::ein;

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
      parser.parseKeyword(&tileRank) || parser.parseKeyword("tiles"))
    return failure();
  SmallVector<OpAsmParser::UnresolvedOperand> tiles, inits;
  SmallVector<Type> tileTypes, initTypes;
  SmallVector<int64_t> dims;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            OpAsmParser::UnresolvedOperand operand;
            int64_t dim;
            Type type;
            if (parser.parseOperand(operand) || parser.parseKeyword("dim") ||
                parser.parseInteger(dim) || parser.parseColonType(type))
              return failure();
            tiles.push_back(operand);
            dims.push_back(dim);
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
              std::string kind;
              if (parser.parseString(&kind))
                return failure();
              kinds.push_back(b.getStringAttr(kind));
              return success();
            }))
      return failure();
    result.addAttribute("combine", b.getArrayAttr(kinds));
  }
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  llvm::SMLoc loc = parser.getCurrentLocation();
  if (parser.resolveOperands(tiles, tileTypes, loc, result.operands) ||
      parser.resolveOperands(inits, initTypes, loc, result.operands))
    return failure();
  result.addAttribute("rank", b.getStringAttr(rank));
  result.addAttribute("tile_rank", b.getStringAttr(tileRank));
  result.addAttribute("tile_size", b.getI64IntegerAttr(tileSize));
  result.addAttribute("tile_dims", b.getDenseI64ArrayAttr(dims));
  result.addAttribute("operandSegmentSizes",
                      b.getDenseI32ArrayAttr({static_cast<int32_t>(tiles.size()),
                                              static_cast<int32_t>(inits.size())}));
  result.addTypes(initTypes);
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, /*arguments=*/{}))
    return failure();
  return success();
}

void IterateOp::print(OpAsmPrinter &p) {
  p << " " << getRank() << " tile " << getTileSize() << " as " << getTileRank()
    << " tiles(";
  llvm::interleaveComma(llvm::zip(getTiles(), getTileDims()), p, [&](auto it) {
    p << std::get<0>(it) << " dim " << std::get<1>(it) << " : "
      << std::get<0>(it).getType();
  });
  p << ") init(";
  llvm::interleaveComma(getInits(), p, [&](Value v) {
    p << v << " : " << v.getType();
  });
  p << ")";
  if (auto combine = getCombine()) {
    p << " combine [";
    llvm::interleaveComma(*combine, p, [&](Attribute a) {
      p << "\"" << cast<StringAttr>(a).getValue() << "\"";
    });
    p << "]";
  }
  p.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(), {"rank", "tile_rank", "tile_size", "tile_dims",
                            "combine", "operandSegmentSizes"});
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
  CascadeOp cascade = (*this)->getParentOfType<CascadeOp>();
  for (StringRef r : {getRank(), getTileRank()})
    if (cascade.lookupRank(r) < 0)
      return emitOpError("uses rank '")
             << r << "', which the enclosing cascade does not declare";
  int64_t extent = ShapedType::kDynamic;
  for (auto [i, tiled, dim] :
       llvm::enumerate(getTiles(), getTileDims())) {
    auto type = cast<RankedTensorType>(tiled.getType());
    if (dim < 0 || dim >= type.getRank())
      return emitOpError("tile dim ")
             << dim << " of tiled operand #" << i << " is out of range";
    int64_t size = type.getDimSize(dim);
    if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(extent) &&
        size != extent)
      return emitOpError("tiled operands have different extents (")
             << extent << " and " << size << ") along rank '" << getRank()
             << "'";
    if (!ShapedType::isDynamic(size))
      extent = size;
  }
  if (auto partition = getPartition()) {
    if (partition->size() != 2 || (*partition)[1] <= 0 ||
        (*partition)[0] < 0 || (*partition)[0] >= (*partition)[1])
      return emitOpError("partition must be [w, P] with 0 <= w < P");
  }
  if (getResultTypes() != getInits().getTypes())
    return emitOpError("results must have the types of the initial state");
  if (auto combine = getCombine()) {
    if (combine->size() != getInits().size())
      return emitOpError("needs one combine kind per state value");
    for (auto [i, a] : llvm::enumerate(*combine)) {
      StringRef kind = cast<StringAttr>(a).getValue();
      if (kind == "max" || kind == "sum")
        continue;
      auto kindOf = [&](StringRef ref, unsigned &at) {
        if (ref.getAsInteger(10, at) || at >= combine->size())
          return StringRef();
        return cast<StringAttr>((*combine)[at]).getValue();
      };
      unsigned ref, ref2;
      if (kind.consume_front("rescaled_sum:") && kindOf(kind, ref) == "max")
        continue;
      if (kind.consume_front("welford_mean:") && kindOf(kind, ref) == "sum")
        continue;
      if (kind.consume_front("welford_m2:")) {
        auto [n, m] = kind.split(',');
        if (kindOf(n, ref) == "sum" &&
            kindOf(m, ref2).starts_with("welford_mean:") &&
            kindOf(m, ref2) == ("welford_mean:" + n).str())
          continue;
      }
      return emitOpError("combine kind #")
             << i << " must be 'max', 'sum', 'rescaled_sum:<i>' with state "
             << "#<i> a 'max', 'welford_mean:<n>' with state #<n> a 'sum', "
             << "or 'welford_m2:<n>,<m>' with state #<m> 'welford_mean:<n>', "
             << "got '" << cast<StringAttr>(a).getValue() << "'";
    }
  }
  return success();
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
