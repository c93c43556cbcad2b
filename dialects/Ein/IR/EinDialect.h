//===- EinDialect.h - The Ein dialect ---------------------------*- C++ -*-===//
#ifndef EINFUSE_DIALECTS_EIN_IR_EINDIALECT_H
#define EINFUSE_DIALECTS_EIN_IR_EINDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/MapVector.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "Ein/IR/EinDialect.h.inc"
#include "Ein/IR/EinEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Ein/IR/EinAttrs.h.inc"

namespace einfuse::ein {
class CascadeOp;
// Upstream interface methods declared on Ein ops (AggregatedOpInterface,
// TilingInterface, PartialReductionOpInterface) name these unqualified.
using mlir::Location;
using mlir::OpBuilder;
using mlir::MergeResult;
using mlir::ReductionTilingStrategy;
using mlir::ReifiedRankedShapedTypeDims;
using mlir::TilingResult;
using mlir::ValueRange;
using mlir::Value;
using llvm::FailureOr;
using llvm::SmallVector;
} // namespace einfuse::ein

#define GET_OP_CLASSES
#include "Ein/IR/EinOps.h.inc"

namespace einfuse::ein {
/// Whether `type` is an element type Ein tensors may hold.
bool isSupportedElementType(mlir::Type type);
/// Largest tile size the passes take (`--ein-online-normalize`, the
/// parallel tiles of the lowering): tile arithmetic stays far from int64_t
/// limits.
constexpr int64_t kMaxTileSize = int64_t(1) << 31;
/// Most workers an iteration splits across (`workers` of `ein.iterate`,
/// `--ein-partition`). The split is one parallel loop, so compile time does
/// not grow with it; the bound keeps the partial states' memory sane.
constexpr int64_t kMaxWorkers = 1024;

/// Fails with an error at `root` (without a dump of the IR) unless some
/// `ein.cascade` under `root` declares `rank`; `what` names the option.
mlir::LogicalResult checkRankOption(mlir::Operation *root,
                                    llvm::StringRef rank,
                                    llvm::StringRef what);

/// Fails with an error at `einsum` when a compound rank expression of an
/// operand leaves that operand's static size, the extent of each of the
/// Einsum's ranks (in its rank order) being `rankExtents` (kDynamic where
/// unknown). Shared by the cascade verifier and the lowering, which may know
/// more extents.
mlir::LogicalResult checkOperandBounds(EinsumOp einsum,
                                       llvm::ArrayRef<int64_t> rankExtents);

/// `ein.name`: the argument and result attribute that names a kernel
/// parameter in the generated C header.
constexpr llvm::StringLiteral kNameAttr = "ein.name";

/// Whether `name` is a C or C++ keyword (or `main`, `NULL`), which no
/// generated C function or parameter may be called.
bool isCKeyword(llvm::StringRef name);

/// Whether `name` can name a parameter of a generated C function: an
/// identifier that is not a C/C++ keyword, does not start with `_` or
/// `einfuse` (any case), does not end with `_t`, and is not `stream`,
/// `workspace`, `workspace_bytes` or `bytes` (what the generated functions
/// declare themselves).
bool isUsableParameterName(llvm::StringRef name);

/// Fails, naming the attribute and the nearest known one, when `op` carries
/// an attribute it does not define and that has no dialect prefix.
mlir::LogicalResult verifyKnownAttributes(mlir::Operation *op);
/// Number of operands a named map action takes (0 for `custom`: any).
unsigned getMapArity(MapKind kind);

/// Builds the scalar body of a custom map region from the operand scalars.
using MapBodyBuilder = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A tensor defined outside `cascade` that some Einsum of it (at any
/// depth) indexes by plain rank `rank`, and the dim it does so at.
std::optional<std::pair<mlir::Value, unsigned>>
findOutsideExtent(CascadeOp cascade, llvm::StringRef rank);

/// `tensor.dim` of the tensor findOutsideExtent finds, or null if none.
/// Valid anywhere the cascade's operands dominate.
mlir::Value buildOutsideExtent(mlir::OpBuilder &b, mlir::Location loc,
                               CascadeOp cascade, llvm::StringRef rank);

/// The tensor an Einsum input `in` reads: the operand of the iteration
/// when `in` is one of its tiles (with that tile's dim in `tileDim`), else
/// `in` itself (`tileDim` -1).
mlir::Value tiledSource(mlir::Value in, int64_t &tileDim);

/// What tiling `cascade` along a rank slices: each tensor defined outside
/// the cascade that the rank indexes (and the dim it indexes), and the dim
/// of each result the rank indexes.
struct RankSlices {
  llvm::MapVector<mlir::Value, int64_t> sliced;
  /// The G of values read at `rank floordiv G` along their sliced dim (a
  /// key/value head shared by G query heads); 1 (absent) for `rank`.
  llvm::DenseMap<mlir::Value, int64_t> groups;
  llvm::SmallVector<int64_t> resultDims;
  /// For the rank of the workers of a split iteration (the leading dim of
  /// its results, which the cascade yields through copies): that
  /// iteration. A tile of it runs the tile's chunks of the iterated rank
  /// (a range) and slices nothing.
  IterateOp workers;
};

/// The G of `x` when it is `dim floordiv G` (G a positive constant).
std::optional<int64_t> getRankGroup(mlir::AffineExpr x, unsigned dim);

/// The slices of tiling `cascade` along `rank`, or nullopt when it cannot
/// be tiled along it. A workers rank (see RankSlices::workers) tiles when
/// only the copies of the iteration's results index it, the iteration has
/// no range and starts from the identity of its combine. Any other rank
/// cannot be tiled when an Einsum reduces it, an iteration runs over it, it
/// is indexed inside a compound expression (other than `rank floordiv G`,
/// GQA's read of a shared head, whose tiles must then lie within a group)
/// or as a static dim, a result lacks it, or it indexes nothing outside
/// the cascade.
std::optional<RankSlices> analyseTiledRank(CascadeOp cascade,
                                           llvm::StringRef rank);

/// Whether every state of `it` that its combine kind rescales or merges by
/// other states (rescaled_sum, welford_mean, welford_m2) is indexed by all
/// the ranks of those states: the merge reads them per element. False
/// without `combine` or when a state's ranks are unknown.
bool combineReadsOwnRanks(IterateOp it);

/// Declares a fresh rank in `cascade` (`base`, or `base` with '_'s appended
/// until no rank has that name) with extent `extent` (kDynamic: taken from
/// the tensors it indexes) and returns its name.
std::string addCascadeRank(CascadeOp cascade, llvm::StringRef base,
                           int64_t extent);

/// Creates an `ein.einsum` whose rank expressions are written over the dims
/// of `cascadeRanks`. Only the ranks used are kept, output ranks first, so
/// the Einsum is in the form its parser produces. `body` is required for
/// MapKind::custom and ignored otherwise.
EinsumOp buildEinsum(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::RankedTensorType resultType, mlir::ValueRange inputs,
                     llvm::ArrayRef<llvm::StringRef> cascadeRanks,
                     llvm::ArrayRef<llvm::SmallVector<mlir::AffineExpr>> inputExprs,
                     llvm::ArrayRef<mlir::AffineExpr> outputExprs, MapKind map,
                     ReduceKind reduce, MapBodyBuilder body = nullptr,
                     mlir::TypedAttr init = {});
} // namespace einfuse::ein

#endif
