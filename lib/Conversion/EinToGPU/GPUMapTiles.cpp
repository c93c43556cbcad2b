//===- GPUMapTiles.cpp - Tile loops to GPU launches -----------------------===//
//
// `--einfuse-gpu-map-tiles`, after bufferization: each tile loop of
// convert-ein-to-gpu (a forall mapped to #gpu.thread) becomes a gpu.launch
// whose grid is computed in the IR from the loop bounds, one thread or one
// subgroup of lanes per point; the lanes share a point's reductions
// (gpu.subgroup_reduce) and its output writes. Upstream
// gpu-kernel-outlining then makes the kernels. Work outside any tile loop
// runs in a one-thread launch. What no GPU can run (a buffer of run-time
// size inside a kernel, a buffer shared by tiles) is refused with a
// located error. Nothing here depends on the chip.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Conversion/Passes.h"

#include "einfuse/Conversion/Bounds.h"
#include "einfuse/Conversion/GPUTiles.h"

#include "Ein/IR/EinDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEGPUMAPTILES
#include "einfuse/Conversion/Passes.h.inc"
} // namespace einfuse

using namespace mlir;
using namespace einfuse;

/// A constant upper bound of the index `v`, when its producers show one:
/// the size of a key tile, min(tile, extent - start), is at most `tile`.
std::optional<int64_t> einfuse::constantUpperBound(Value v, int depth) {
  if (depth > 16)
    return std::nullopt;
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return c.getSExtValue();
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt;
  if (isa<arith::MinSIOp, arith::MinUIOp>(op)) {
    std::optional<int64_t> a = constantUpperBound(op->getOperand(0), depth + 1);
    std::optional<int64_t> b = constantUpperBound(op->getOperand(1), depth + 1);
    if (a && b)
      return std::min(*a, *b);
    return a ? a : b;
  }
  if (isa<arith::MaxSIOp, arith::MaxUIOp, arith::AddIOp, arith::MulIOp>(op)) {
    std::optional<int64_t> a = constantUpperBound(op->getOperand(0), depth + 1);
    std::optional<int64_t> b = constantUpperBound(op->getOperand(1), depth + 1);
    if (!a || !b || *a < 0 || *b < 0)
      return std::nullopt;
    if (isa<arith::AddIOp>(op))
      return *a + *b;
    if (isa<arith::MulIOp>(op))
      return *a * *b;
    return std::max(*a, *b);
  }
  if (auto select = dyn_cast<arith::SelectOp>(op)) {
    std::optional<int64_t> a =
        constantUpperBound(select.getTrueValue(), depth + 1);
    std::optional<int64_t> b =
        constantUpperBound(select.getFalseValue(), depth + 1);
    if (!a || !b)
      return std::nullopt;
    return std::max(*a, *b);
  }
  // The size of a tile of a tensor (a slice of a key tile).
  if (auto dim = dyn_cast<tensor::DimOp>(op)) {
    std::optional<int64_t> index = dim.getConstantIndex();
    auto slice = dim.getSource().getDefiningOp<tensor::ExtractSliceOp>();
    if (!index || !slice ||
        slice.getSourceType().getRank() != slice.getResultType().getRank())
      return std::nullopt;
    OpFoldResult size = slice.getMixedSizes()[*index];
    if (std::optional<int64_t> c = getConstantIntValue(size))
      return c;
    return constantUpperBound(cast<Value>(size), depth + 1);
  }
  // The size of a buffer: a subview's, an allocation's.
  if (auto dim = dyn_cast<memref::DimOp>(op)) {
    std::optional<int64_t> index = dim.getConstantIndex();
    Value source = dim.getSource();
    while (auto cast = source.getDefiningOp<memref::CastOp>())
      source = cast.getSource();
    auto type = cast<MemRefType>(source.getType());
    if (!index || *index >= type.getRank())
      return std::nullopt;
    if (!type.isDynamicDim(*index))
      return type.getDimSize(*index);
    Operation *def = source.getDefiningOp();
    if (auto sub = dyn_cast_or_null<memref::SubViewOp>(def);
        sub && sub.getSourceType().getRank() == type.getRank()) {
      OpFoldResult size = sub.getMixedSizes()[*index];
      if (std::optional<int64_t> c = getConstantIntValue(size))
        return c;
      return constantUpperBound(cast<Value>(size), depth + 1);
    }
    if (isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(def))
      return constantUpperBound(
          def->getOperand(type.getDynamicDimIndex(*index)), depth + 1);
    return std::nullopt;
  }
  if (auto min = dyn_cast<affine::AffineMinOp>(op)) {
    std::optional<int64_t> best;
    for (AffineExpr e : min.getAffineMap().getResults())
      if (auto k = dyn_cast<AffineConstantExpr>(e))
        best = best ? std::min(*best, k.getValue()) : k.getValue();
    return best;
  }
  return std::nullopt;
}

namespace {

/// Whether `op` may stay in the host function: index arithmetic and shape
/// queries, which gpu-kernel-outlining recomputes or passes to kernels,
/// and allocations.
static bool isHostSide(Operation *op) {
  // (An allocation is a slice of the launcher's workspace.)
  if (isa<func::ReturnOp, gpu::LaunchOp, memref::AllocOp>(op))
    return true;
  if (isa<memref::DimOp, memref::CastOp, memref::ReinterpretCastOp,
          memref::ExpandShapeOp, memref::CollapseShapeOp, memref::SubViewOp>(
          op))
    return true;
  return isMemoryEffectFree(op) && op->getNumRegions() == 0;
}

/// Gives a buffer of run-time size inside a kernel a static one: a flat
/// private buffer of the sizes' upper bounds, viewed (reinterpret_cast,
/// same type) at the run-time sizes. That is what a partial key tile
/// needs: its size is min(tile, keys left), at most the tile. Fails when
/// a size has no constant bound.
static LogicalResult boundAllocation(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.getLayout().isIdentity())
    return failure();
  int64_t elements = 1;
  SmallVector<OpFoldResult> sizes;
  OpBuilder b(alloc);
  Location loc = alloc.getLoc();
  unsigned next = 0;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      elements *= type.getDimSize(d);
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
      continue;
    }
    Value size = alloc.getDynamicSizes()[next++];
    std::optional<int64_t> bound = einfuse::constantUpperBound(size);
    if (!bound || *bound < 0 || *bound > (int64_t(1) << 20))
      return failure();
    elements *= *bound;
    sizes.push_back(size);
  }
  if (elements > (int64_t(1) << 20))
    return failure();
  auto flatType = MemRefType::get({elements}, type.getElementType());
  Value flat = memref::AllocaOp::create(b, loc, flatType);
  // Row-major strides of the run-time sizes: constants as long as the
  // sizes inside are (the view's type says so, and subviews of it check).
  SmallVector<OpFoldResult> strides(type.getRank());
  OpFoldResult stride = b.getIndexAttr(1);
  for (int64_t d = type.getRank() - 1; d >= 0; --d) {
    strides[d] = stride;
    std::optional<int64_t> s = getConstantIntValue(stride);
    std::optional<int64_t> n = getConstantIntValue(sizes[d]);
    if (s && n) {
      stride = b.getIndexAttr(*s * *n);
      continue;
    }
    stride = arith::MulIOp::create(
                 b, loc, getValueOrCreateConstantIndexOp(b, loc, stride),
                 getValueOrCreateConstantIndexOp(b, loc, sizes[d]))
                 .getResult();
  }
  auto view = memref::ReinterpretCastOp::create(b, loc, type, flat,
                                                b.getIndexAttr(0), sizes,
                                                strides);
  alloc.replaceAllUsesWith(view.getResult());
  alloc.erase();
  return success();
}

/// A buffer of run-time size that only holds values an elementwise op
/// then maps into an output of the same shape (a matmul row rescaled by a
/// deferred normalisation) is that output: the producers write the output
/// and the elementwise op updates it in place, each element read before it
/// is written. Fails when the buffer has other uses.
static LogicalResult reuseOutput(memref::AllocOp alloc) {
  Value a = alloc.getResult();
  linalg::LinalgOp reader;
  for (Operation *user : a.getUsers()) {
    auto op = dyn_cast<linalg::LinalgOp>(user);
    if (!op || op->getBlock() != alloc->getBlock())
      return failure();
    bool input = llvm::any_of(op.getDpsInputOperands(),
                              [&](OpOperand *o) { return o->get() == a; });
    if (!input)
      continue;
    if (reader)
      return failure();
    reader = op;
  }
  if (!reader || reader.getNumDpsInits() != 1 ||
      reader.getNumReductionLoops() != 0)
    return failure();
  OpOperand *init = reader.getDpsInitOperand(0);
  Value out = init->get();
  auto outType = dyn_cast<MemRefType>(out.getType());
  if (!outType || outType.getShape() != alloc.getType().getShape() ||
      outType.getElementType() != alloc.getType().getElementType() ||
      !out.hasOneUse())
    return failure();
  AffineMap outMap = reader.getMatchingIndexingMap(init);
  for (OpOperand *in : reader.getDpsInputOperands())
    if (in->get() == a && reader.getMatchingIndexingMap(in) != outMap)
      return failure();
  // Every writer of the buffer comes before its reader.
  for (Operation *user : a.getUsers())
    if (user != reader.getOperation() &&
        !user->isBeforeInBlock(reader.getOperation()))
      return failure();
  if (Operation *def = out.getDefiningOp();
      def && def->getBlock() == alloc->getBlock() &&
      !def->isBeforeInBlock(alloc))
    def->moveBefore(alloc);
  else if (def && def->getBlock() != alloc->getBlock() &&
           !def->isProperAncestor(alloc) &&
           !def->getBlock()->findAncestorOpInBlock(*alloc))
    return failure();
  a.replaceAllUsesWith(out);
  alloc.erase();
  return success();
}

/// The buffer `buffer` is a view of (through subviews, casts and
/// reshapes): a kernel argument or an allocation.
static Value rootOf(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (!isa<memref::SubViewOp, memref::CastOp, memref::ReinterpretCastOp,
             memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
      break;
    buffer = def->getOperand(0);
  }
  return buffer;
}

/// Whether `buffer` is the thread's own memory (a view of an alloca or
/// alloc inside the kernel) rather than one of the kernel's arguments.
static bool isPrivate(Value buffer, Operation *kernel) {
  Operation *def = rootOf(buffer).getDefiningOp();
  return def && isa<memref::AllocaOp, memref::AllocOp>(def) &&
         kernel->isProperAncestor(def);
}

/// Whether the elements of `type` are whole bytes in number a power of two
/// (what a vector access of them needs: i1 is a bit in a vector, a byte in
/// a memref).
static std::optional<int64_t> elementBytes(MemRefType type) {
  Type t = type.getElementType();
  if (!t.isIntOrFloat())
    return std::nullopt;
  unsigned bits = t.getIntOrFloatBitWidth();
  if (bits % 8 != 0 || !llvm::isPowerOf2_32(bits / 8))
    return std::nullopt;
  return bits / 8;
}

/// Rewrites a lane loop over a row (`loop`, already lane-cyclic: lane j
/// takes lb + j, lb + j + lanes, ... of [lb, ub)) so that a lane takes
/// about `vectorBytes` of the row at a time: lane j the chunks j,
/// j + lanes, ... of V elements, each access of the body to a kernel
/// argument along the row becoming one vector load (before the chunk's V
/// copies of the body) or one vector store (after them); the last partial
/// chunk runs element by element over the lanes. An access at the row's
/// index divided by a constant D (packed sub-byte weights: D = 2 for int4;
/// a scale per group: D = the group size) reads V / D elements, or one
/// element the whole chunk shares when D is a multiple of V. V makes the
/// access with the fewest bytes per element of the row (element bytes / D)
/// move `vectorBytes` per chunk, at most 32 elements: so a grouped scale
/// alone takes V to 32; a row of known length takes at most length /
/// lanes (a power of two), so that every lane has a chunk. Vector
/// accesses need the row's chunks aligned, which only the run-time
/// addresses show, so the loop is versioned: the chunked loop when every
/// such access starts aligned (and the row starts at a multiple of V where
/// the index is divided), the lane-cyclic one otherwise. Upstream's
/// vectorizers work on linalg ops or whole loops of one thread; what is new
/// here is the chunk-per-lane split of a loop that subgroup lanes share,
/// and the alignment versioning of a memref of run-time strides. Returns
/// the chunked loop, or null where nothing is to be gained or the body's
/// accesses do not allow it (a store the chunk could not defer, a read of
/// what it stores through another view).
static scf::ForOp vectorizeLaneLoop(RewriterBase &rewriter, Operation *kernel,
                                    scf::ForOp loop, Value lb, Value ub,
                                    Value lane, int64_t lanes,
                                    int64_t vectorBytes) {
  if (vectorBytes < 2 || loop.getNumRegionIterArgs() != 0)
    return nullptr;
  // The lowering to loops computes every index in the innermost body:
  // those of the outer dims move out, identities of the row's index fold.
  moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
  Block *body = loop.getBody();
  Value iv = loop.getInductionVar();
  auto rowIndex = [&](Value v) {
    auto apply = v.getDefiningOp<affine::AffineApplyOp>();
    if (apply && apply.getAffineMap().isIdentity() &&
        apply.getMapOperands().size() == 1)
      return apply.getMapOperands().front();
    return v;
  };
  // The D of an index `iv floordiv D` (1 for `iv`), if it is one.
  auto groupOf = [&](Value v) -> std::optional<int64_t> {
    if (rowIndex(v) == iv)
      return 1;
    auto apply = v.getDefiningOp<affine::AffineApplyOp>();
    if (!apply || apply.getMapOperands().size() != 1 ||
        apply.getMapOperands().front() != iv ||
        apply.getAffineMap().getNumResults() != 1)
      return std::nullopt;
    auto div = dyn_cast<AffineBinaryOpExpr>(apply.getAffineMap().getResult(0));
    if (!div || div.getKind() != AffineExprKind::FloorDiv ||
        !isa<AffineDimExpr, AffineSymbolExpr>(div.getLHS()))
      return std::nullopt;
    auto d = dyn_cast<AffineConstantExpr>(div.getRHS());
    if (!d || d.getValue() < 2)
      return std::nullopt;
    return d.getValue();
  };
  struct Access {
    Operation *op;
    Value memref;
    SmallVector<Value> outer; // the indices but the last (the row's)
    int64_t bytes;
    int64_t group;    // the row's index divided by this
    int64_t elements; // per chunk (1: one element the chunk shares)
  };
  SmallVector<Access> loads, stores;
  SmallVector<Operation *> otherLoads;
  bool blocked = false;
  body->walk([&](Operation *op) {
    if (op == body->getTerminator() ||
        op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return;
    auto load = dyn_cast<memref::LoadOp>(op);
    auto store = dyn_cast<memref::StoreOp>(op);
    if (!load && !store) {
      if (!isMemoryEffectFree(op))
        blocked = true;
      return;
    }
    Value m = load ? load.getMemRef() : store.getMemRef();
    if (isPrivate(m, kernel))
      return; // the thread's own state: its accesses stay in order
    ValueRange idx = load ? load.getIndices() : store.getIndices();
    auto type = cast<MemRefType>(m.getType());
    std::optional<int64_t> bytes = elementBytes(type);
    std::optional<int64_t> group =
        idx.empty() ? std::nullopt : groupOf(idx.back());
    SmallVector<int64_t> strides;
    int64_t offset;
    bool ok =
        op->getBlock() == body && bytes && group && (load || *group == 1) &&
        succeeded(type.getStridesAndOffset(strides, offset)) &&
        (strides.back() == 1 || ShapedType::isDynamic(strides.back())) &&
        llvm::all_of(idx.drop_back(),
                     [&](Value v) { return loop.isDefinedOutsideOfLoop(v); });
    if (!ok) {
      if (store)
        blocked = true; // a store the chunk could not defer
      else
        otherLoads.push_back(op);
      return;
    }
    Access a{op, m, llvm::map_to_vector(idx.drop_back(), rowIndex), *bytes,
             *group, /*elements=*/0};
    (load ? loads : stores).push_back(std::move(a));
  });
  if (blocked || (loads.empty() && stores.empty()))
    return nullptr;
  // The chunk reads before it writes. That is the body's order for each
  // element when a buffer it stores is read only at the same element
  // through the same view; anything else might read a stored element.
  for (const Access &s : stores) {
    Value root = rootOf(s.memref);
    for (Operation *o : otherLoads)
      if (rootOf(cast<memref::LoadOp>(o).getMemRef()) == root)
        return nullptr;
    for (const Access &l : loads)
      if (rootOf(l.memref) == root &&
          (l.memref != s.memref || l.group != 1 ||
           !llvm::all_of(llvm::zip(l.outer, s.outer), [](auto p) {
             auto [x, y] = p;
             return x == y ||
                    (getConstantIntValue(x) &&
                     getConstantIntValue(x) == getConstantIntValue(y));
           })))
        return nullptr;
  }
  // V: the access with the fewest bytes per row element (bytes / D) moves
  // vectorBytes per chunk; at most 32 elements (the chunk's body is copied
  // V times).
  int64_t width = 1;
  for (const Access &a : llvm::concat<const Access>(loads, stores))
    if (a.group == 1 || a.bytes <= vectorBytes)
      width = std::max(width, vectorBytes * a.group / a.bytes);
  width = std::min<int64_t>(width, 32);
  // A short row of known length (a head dim of 64: 2 elements a lane)
  // gives every lane a chunk rather than a few lanes 16 bytes each.
  if (std::optional<int64_t> extent = constantUpperBound(ub);
      extent && getConstantIntValue(lb) == 0)
    while (width > 1 && width * lanes > *extent)
      width /= 2;
  if (width < 2 || !llvm::isPowerOf2_64(width))
    return nullptr;
  // An access divided by D reads V / D elements per chunk, or one when D
  // is a multiple of V; other divisors stay element by element.
  bool grouped = false;
  for (Access &a : llvm::concat<Access>(loads, stores)) {
    if (a.group <= width && width % a.group == 0)
      a.elements = width / a.group;
    else if (a.group % width == 0)
      a.elements = 1;
    grouped |= a.group > 1;
  }
  for (auto *list : {&loads, &stores})
    for (auto it = list->begin(); it != list->end();) {
      if (it->elements > 0) {
        ++it;
        continue;
      }
      otherLoads.push_back(it->op);
      it = list->erase(it);
    }
  if (loads.empty() && stores.empty())
    return nullptr;

  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
  };
  // Aligned when each vector access's first chunk is (its address at lb)
  // and its row is contiguous (a stride of 1, which bufferization's views
  // may leave to run time); a divided index also needs the row to start at
  // a multiple of V, so that a chunk starts a group.
  Value aligned;
  auto both = [&](Value ok) {
    aligned = aligned ? arith::AndIOp::create(rewriter, loc, aligned, ok) : ok;
  };
  if (grouped &&
      !(getConstantIntValue(lb) && *getConstantIntValue(lb) % width == 0))
    both(arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq,
        arith::RemUIOp::create(rewriter, loc, lb, cst(width)), cst(0)));
  for (const Access &a : llvm::concat<const Access>(loads, stores)) {
    if (a.elements < 2)
      continue;
    int64_t align = std::min(vectorBytes, a.elements * a.bytes);
    auto meta =
        memref::ExtractStridedMetadataOp::create(rewriter, loc, a.memref);
    Value element = meta.getOffset();
    for (auto [i, v] : llvm::enumerate(a.outer))
      element = arith::AddIOp::create(
          rewriter, loc, element,
          arith::MulIOp::create(rewriter, loc, v, meta.getStrides()[i]));
    Value first = a.group == 1
                      ? lb
                      : arith::DivUIOp::create(rewriter, loc, lb, cst(a.group))
                            .getResult();
    element = arith::AddIOp::create(rewriter, loc, element, first);
    Value base =
        memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, a.memref);
    Value address = arith::AddIOp::create(
        rewriter, loc, base,
        arith::MulIOp::create(rewriter, loc, element, cst(a.bytes)));
    Value rem = arith::RemUIOp::create(rewriter, loc, address, cst(align));
    both(arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, rem,
                               cst(0)));
    both(arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                               meta.getStrides().back(), cst(1)));
  }
  if (!aligned)
    aligned = arith::ConstantIntOp::create(rewriter, loc, 1, 1);
  // Whole chunks cover [lb, tail); the rest runs element by element.
  Value span = arith::MaxSIOp::create(
      rewriter, loc, arith::SubIOp::create(rewriter, loc, ub, lb), cst(0));
  Value whole = arith::MulIOp::create(
      rewriter, loc, arith::DivUIOp::create(rewriter, loc, span, cst(width)),
      cst(width));
  Value tail = arith::AddIOp::create(rewriter, loc, lb, whole);
  auto version = scf::IfOp::create(rewriter, loc, aligned, /*withElse=*/true);
  rewriter.moveOpBefore(loop, version.elseBlock()->getTerminator());

  rewriter.setInsertionPoint(version.thenBlock()->getTerminator());
  Value first = arith::AddIOp::create(
      rewriter, loc, lb,
      arith::MulIOp::create(rewriter, loc, lane, cst(width)));
  auto chunks =
      scf::ForOp::create(rewriter, loc, first, tail, cst(lanes * width));
  Value restStart = arith::AddIOp::create(rewriter, loc, tail, lane);
  auto rest = cast<scf::ForOp>(rewriter.clone(*loop));
  rest.getLowerBoundMutable().assign(restStart);

  rewriter.setInsertionPoint(chunks.getBody()->getTerminator());
  Value c = chunks.getInductionVar();
  auto lastIndex = [&](const Access &a) {
    return a.group == 1 ? c
                        : arith::DivUIOp::create(rewriter, loc, c, cst(a.group))
                              .getResult();
  };
  DenseMap<Operation *, std::pair<Value, int64_t>> values; // value, group
  for (const Access &a : loads) {
    SmallVector<Value> idx(a.outer);
    idx.push_back(lastIndex(a));
    Type element = cast<MemRefType>(a.memref.getType()).getElementType();
    Value v;
    if (a.elements == 1)
      v = memref::LoadOp::create(rewriter, loc, a.memref, idx);
    else
      v = vector::LoadOp::create(
          rewriter, loc, VectorType::get({a.elements}, element), a.memref, idx,
          /*nontemporal=*/false,
          llvm::MaybeAlign(std::min(vectorBytes, a.elements * a.bytes)));
    values[a.op] = {v, a.elements == 1 ? 0 : a.group};
  }
  DenseMap<Operation *, SmallVector<Value>> stored;
  for (int64_t v = 0; v < width; ++v) {
    IRMapping map;
    map.map(iv,
            v == 0
                ? c
                : arith::AddIOp::create(rewriter, loc, c, cst(v)).getResult());
    for (Operation &op : body->without_terminator()) {
      if (auto it = values.find(&op); it != values.end()) {
        auto [value, group] = it->second;
        map.map(op.getResult(0),
                group == 0
                    ? value
                    : vector::ExtractOp::create(rewriter, loc, value, v / group)
                          .getResult());
        continue;
      }
      if (auto store = dyn_cast<memref::StoreOp>(op);
          store &&
          llvm::any_of(stores, [&](const Access &a) { return a.op == &op; })) {
        stored[&op].push_back(map.lookupOrDefault(store.getValueToStore()));
        continue;
      }
      rewriter.clone(op, map);
    }
  }
  for (const Access &a : stores) {
    SmallVector<Value> idx(a.outer);
    idx.push_back(c);
    auto type = VectorType::get(
        {width}, cast<MemRefType>(a.memref.getType()).getElementType());
    Value all =
        vector::FromElementsOp::create(rewriter, loc, type, stored[a.op]);
    vector::StoreOp::create(
        rewriter, loc, all, a.memref, idx,
        /*nontemporal=*/false,
        llvm::MaybeAlign(std::min(vectorBytes, width * a.bytes)));
  }
  return chunks;
}

} // namespace

std::optional<std::pair<gpu::AllReduceOperation, TypedAttr>>
einfuse::matchCombiner(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op->getNumRegions() != 1)
    return std::nullopt;
  Block &body = op->getRegion(0).front();
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  BlockArgument out = op.getRegionOutputArgs().front();
  if (!yield || yield.getNumOperands() != 1)
    return std::nullopt;
  Operation *c = yield.getOperand(0).getDefiningOp();
  if (!c || c->getNumOperands() != 2 || !c->hasOneUse() ||
      !llvm::is_contained(c->getOperands(), Value(out)) ||
      llvm::count(c->getOperands(), Value(out)) != 1 ||
      !llvm::all_of(out.getUsers(), [&](Operation *u) { return u == c; }))
    return std::nullopt;
  Type t = out.getType();
  Builder b(op.getContext());
  auto f = dyn_cast<FloatType>(t);
  auto i = dyn_cast<IntegerType>(t);
  using K = gpu::AllReduceOperation;
  if (f && f.getWidth() == 32) {
    const llvm::fltSemantics &sem = f.getFloatSemantics();
    auto inf = [&](bool negative) {
      return b.getFloatAttr(f, llvm::APFloat::getInf(sem, negative));
    };
    if (isa<arith::AddFOp>(c))
      return std::make_pair(K::ADD, TypedAttr(b.getFloatAttr(f, 0.0)));
    if (isa<arith::MulFOp>(c))
      return std::make_pair(K::MUL, TypedAttr(b.getFloatAttr(f, 1.0)));
    if (isa<arith::MaximumFOp>(c))
      return std::make_pair(K::MAXIMUMF, TypedAttr(inf(true)));
    if (isa<arith::MaxNumFOp>(c))
      return std::make_pair(K::MAXNUMF, TypedAttr(inf(true)));
    if (isa<arith::MinimumFOp>(c))
      return std::make_pair(K::MINIMUMF, TypedAttr(inf(false)));
    if (isa<arith::MinNumFOp>(c))
      return std::make_pair(K::MINNUMF, TypedAttr(inf(false)));
  }
  if (i && i.getWidth() == 32) {
    if (isa<arith::AddIOp>(c))
      return std::make_pair(K::ADD, TypedAttr(b.getIntegerAttr(i, 0)));
    if (isa<arith::MaxSIOp>(c))
      return std::make_pair(
          K::MAXSI, TypedAttr(b.getIntegerAttr(i, APInt::getSignedMinValue(32))));
    if (isa<arith::MinSIOp>(c))
      return std::make_pair(
          K::MINSI, TypedAttr(b.getIntegerAttr(i, APInt::getSignedMaxValue(32))));
  }
  return std::nullopt;
}

namespace {

/// A loop dim of `op` to spread over the lanes, among those `pick` allows:
/// the last with a run-time extent, else the last with the largest static
/// extent above 1; -1 for none.
static int64_t chooseLaneDim(linalg::LinalgOp op,
                             function_ref<bool(unsigned)> pick) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t best = -1;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (!pick(d))
      continue;
    if (ShapedType::isDynamic(ranges[d]))
      best = d;
  }
  if (best >= 0)
    return best;
  int64_t extent = 1;
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (pick(d) && ranges[d] > extent) {
      extent = ranges[d];
      best = d;
    }
  return best;
}

/// A parallel loop dim of `op` (a reduction into a private buffer) whose
/// lanes should each compute whole output elements: a dim the output has,
/// of a static extent of at least `lanes`, that indexes the contiguous
/// (last) dim of a kernel argument the op reads. Spread over the lanes it
/// reads that argument coalesced (adjacent
/// lanes, adjacent elements), where spreading the reduced dim would have
/// each lane read its own row (P V at decode: a key per lane, 2 bytes of
/// each 32-byte sector) and combine every output element across the lanes.
/// -1 for none.
static int64_t chooseOwnedDim(linalg::LinalgOp op, Operation *kernel,
                              int64_t lanes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  int64_t best = -1;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (!isa<MemRefType>(in->get().getType()) || isPrivate(in->get(), kernel))
      continue;
    AffineMap map = op.getMatchingIndexingMap(in);
    if (map.getNumResults() == 0)
      continue;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!last)
      continue;
    unsigned d = last.getPosition();
    if (kinds[d] == utils::IteratorType::parallel &&
        !ShapedType::isDynamic(ranges[d]) && ranges[d] >= lanes &&
        out.getResultPosition(last))
      best = d;
  }
  return best;
}

/// `v` combined over the `lanes` lanes of a point (every lane gets the
/// result): a subgroup reduction (shuffles) when the point is one subgroup;
/// when it is several (a block per row), each subgroup's result goes
/// through a workgroup buffer of one element per subgroup, between two
/// barriers (the first keeps a buffer reused in a loop from being
/// overwritten while it is read), and every lane combines the elements in
/// the same order, so all get the same bits.
static Value combineLanes(OpBuilder &b, Location loc, gpu::LaunchOp kernel,
                          Value v, gpu::AllReduceOperation kind, Value lane,
                          int64_t lanes, int64_t subgroup,
                          DenseMap<Type, Value> &buffers) {
  int64_t width = std::min(lanes, subgroup);
  Value part = gpu::SubgroupReduceOp::create(b, loc, v, kind, /*uniform=*/true,
                                             static_cast<uint32_t>(width));
  if (lanes <= subgroup)
    return part;
  int64_t groups = lanes / subgroup;
  auto space =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get({groups}, v.getType(),
                              MemRefLayoutAttrInterface(), space);
  // One buffer of a type serves every combine of the kernel: the barrier
  // before the stores keeps the previous combine's loads from being
  // overtaken.
  Value &buffer = buffers[type];
  if (!buffer)
    buffer = kernel.addWorkgroupAttribution(type, loc);
  Value size = arith::ConstantIndexOp::create(b, loc, subgroup);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  gpu::BarrierOp::create(b, loc);
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                            arith::RemUIOp::create(b, loc, lane, size), zero);
  auto leader = scf::IfOp::create(b, loc, first, /*withElse=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(leader.thenBlock());
    memref::StoreOp::create(
        b, loc, part, buffer,
        ValueRange{arith::DivUIOp::create(b, loc, lane, size)});
  }
  gpu::BarrierOp::create(b, loc);
  vector::CombiningKind combining = gpu::convertReductionKind(kind);
  Value all;
  for (int64_t g = 0; g < groups; ++g) {
    Value e = memref::LoadOp::create(
        b, loc, buffer, ValueRange{arith::ConstantIndexOp::create(b, loc, g)});
    all = all ? vector::makeArithReduction(b, loc, combining, all, e) : e;
  }
  return all;
}

/// Rewrites every element of the private buffer `out` (loops over all its
/// dims, at the rewriter's insertion point) with `update(value, indices)`;
/// returns the outermost loop (or the store, for a rank-0 buffer).
static Operation *
updateEachElement(RewriterBase &rewriter, Location loc, Value out,
                  function_ref<Value(Value, ArrayRef<Value>)> update) {
  auto type = cast<MemRefType>(out.getType());
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value> ivs;
  Operation *outermost = nullptr;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    Value n = memref::DimOp::create(rewriter, loc, out, d);
    auto each = scf::ForOp::create(rewriter, loc, zero, n, one);
    if (!outermost)
      outermost = each;
    rewriter.setInsertionPointToStart(each.getBody());
    ivs.push_back(each.getInductionVar());
  }
  Value v = memref::LoadOp::create(rewriter, loc, out, ivs);
  auto store =
      memref::StoreOp::create(rewriter, loc, update(v, ivs), out, ivs);
  return outermost ? outermost : store.getOperation();
}

/// Lowers the linalg ops of one tile point's body, which `lanes` lanes of a
/// subgroup run together (each with its own private buffers), to loops
/// that share the work: a reduction into the point's private state runs
/// its reduced loop cyclically over the lanes (lane j takes j, j + lanes,
/// ...; adjacent lanes read adjacent elements of a row), then combines the
/// lanes' partial results with gpu.subgroup_reduce, so every lane holds
/// the whole result; an op writing the kernel's outputs spreads its last
/// output loop over the lanes. Everything else (maps into private buffers,
/// the online update) runs on every lane alike, which keeps each lane's
/// copy of the state whole.
static LogicalResult distributeOverLanes(RewriterBase &rewriter,
                                         gpu::LaunchOp kernel, Region &body,
                                         Value lane, int64_t lanes,
                                         int64_t subgroup,
                                         int64_t vectorBytes) {
  SmallVector<linalg::LinalgOp> ops;
  body.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  DenseMap<Type, Value> combineBuffers;
  // How many ops touch each kernel argument: an output that one op alone
  // writes and no other reads may take whole chunks per lane (another op
  // on it must give each lane the same elements, and its own loop may not
  // be chunked).
  DenseMap<Value, int64_t> argumentOps;
  for (linalg::LinalgOp op : ops) {
    llvm::SmallDenseSet<Value> roots;
    for (Value v : op->getOperands())
      if (isa<MemRefType>(v.getType()) && !isPrivate(v, kernel))
        roots.insert(rootOf(v));
    for (Value r : roots)
      ++argumentOps[r];
  }
  // A copy the points of a block share (einfuse-gpu-matrix-ops: a staged
  // key or value tile) is spread over the block's threads.
  Value blockLane = kernel.getThreadIds().x;
  std::optional<int64_t> blockThreads =
      getConstantIntValue(kernel.getBlockSizeX());
  Value pointLane = lane;
  int64_t pointLanes = lanes;
  for (linalg::LinalgOp op : ops) {
    Location loc = op.getLoc();
    lane = pointLane;
    lanes = pointLanes;
    if (op->hasAttr(einfuse::kGPUBlockCopyAttr)) {
      if (!blockThreads || !isa<linalg::CopyOp>(op.getOperation()))
        return op.emitOpError("internal error: a copy shared by a block "
                              "without a static block size");
      lane = blockLane;
      lanes = *blockThreads;
    }
    bool toOutputs = llvm::any_of(op.getDpsInits(), [&](Value v) {
      return !isPrivate(v, kernel);
    });
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    int64_t dim = -1;
    // Lanes own whole elements of a private result (chooseOwnedDim): each
    // reduces its own, then every lane gets every element from its owner.
    bool owned = false;
    std::optional<std::pair<gpu::AllReduceOperation, TypedAttr>> combiner;
    if (toOutputs) {
      // Lanes own distinct output elements (never a reduced loop: partial
      // results would race on the output), chosen by the output's last
      // dim of extent other than 1, so that every op on an output gives a
      // lane the same elements (no lane reads what another wrote).
      if (op.getNumDpsInits() == 1) {
        AffineMap map = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
        SmallVector<int64_t> ranges = op.getStaticLoopRanges();
        for (AffineExpr e : llvm::reverse(map.getResults())) {
          auto d = dyn_cast<AffineDimExpr>(e);
          if (!d)
            break;
          if (ranges[d.getPosition()] == 1)
            continue;
          if (kinds[d.getPosition()] == utils::IteratorType::parallel)
            dim = d.getPosition();
          break;
        }
      }
    } else if (op.getNumReductionLoops() > 0 && (combiner = matchCombiner(op))) {
      Value out = op.getDpsInits().front();
      bool readsOut = llvm::any_of(op.getDpsInputs(), [&](Value v) {
        return v == out;
      });
      if (!readsOut && lanes <= subgroup &&
          (dim = chooseOwnedDim(op, kernel, lanes)) >= 0)
        owned = true;
      else if (!readsOut)
        dim = chooseLaneDim(op, [&](unsigned d) {
          return kinds[d] == utils::IteratorType::reduction;
        });
      if (dim < 0 || owned)
        combiner.reset();
    }
    // A reduction into a few elements of an output that no lane can own
    // alone (a matmul's output element): it accumulates in a private copy
    // that the lanes share the reduction of, copied back after.
    Value global;
    if (toOutputs && dim < 0 && op.getNumReductionLoops() > 0 &&
        (combiner = matchCombiner(op))) {
      Value out = op.getDpsInits().front();
      auto type = cast<MemRefType>(out.getType());
      if (type.hasStaticShape() && type.getNumElements() <= 256 &&
          !llvm::is_contained(op.getDpsInputs(), out)) {
        rewriter.setInsertionPoint(op);
        Value acc = memref::AllocaOp::create(
            rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
        linalg::CopyOp::create(rewriter, loc, out, acc);
        rewriter.modifyOpInPlace(
            op, [&] { op.getDpsInitOperand(0)->set(acc); });
        global = out;
        dim = chooseLaneDim(op, [&](unsigned d) {
          return kinds[d] == utils::IteratorType::reduction;
        });
      }
      if (dim < 0)
        combiner.reset();
    }
    // A lane's owned elements each take their whole reduction as an inner
    // loop (parallel loops outside, reductions inside): the running sum of
    // an element stays in a register across it, where the reduction
    // outside would carry every element through memory from trip to trip.
    if (owned)
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation())) {
        SmallVector<unsigned> perm;
        for (auto parallel : {true, false})
          for (unsigned d = 0; d < kinds.size(); ++d)
            if ((kinds[d] == utils::IteratorType::parallel) == parallel)
              perm.push_back(d);
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::GenericOp> moved =
            linalg::interchangeGenericOp(rewriter, generic, perm);
        if (succeeded(moved)) {
          dim = llvm::find(perm, unsigned(dim)) - perm.begin();
          op = *moved;
          kinds = op.getIteratorTypesArray();
        }
      }
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::LinalgLoops> loops = linalg::linalgOpToLoops(rewriter, op);
    if (failed(loops))
      return op.emitOpError("cannot be lowered to loops for the GPU");
    // The last op of the lowering: the loops, then the lanes' combine.
    Operation *last = loops->empty() ? nullptr : loops->front();
    scf::ForOp laneLoop;
    Value rowStart, rowEnd, laneStep;
    bool unitStep = false;
    if (dim >= 0 && loops->size() == kinds.size()) {
      auto loop = cast<scf::ForOp>((*loops)[dim]);
      auto outer = cast<scf::ForOp>(loops->front());
      rowStart = loop.getLowerBound();
      rowEnd = loop.getUpperBound();
      laneStep = loop.getStep();
      unitStep = getConstantIntValue(loop.getStep()) == int64_t(1);
      if (combiner) {
        // Lanes but the first start from the neutral element, so that the
        // combined result counts the initial value once.
        rewriter.setInsertionPoint(outer);
        Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
        Value notFirst = arith::CmpIOp::create(
            rewriter, loc, arith::CmpIPredicate::ne, lane, zero);
        auto reset = scf::IfOp::create(rewriter, loc, notFirst, false);
        rewriter.setInsertionPointToStart(reset.thenBlock());
        Value neutral =
            arith::ConstantOp::create(rewriter, loc, combiner->second);
        linalg::FillOp::create(rewriter, loc, neutral,
                               op.getDpsInits().front());
      }
      rewriter.setInsertionPoint(loop);
      Value start = arith::AddIOp::create(
          rewriter, loc, loop.getLowerBound(),
          arith::MulIOp::create(rewriter, loc, lane, loop.getStep()));
      Value step = arith::MulIOp::create(
          rewriter, loc, loop.getStep(),
          arith::ConstantIndexOp::create(rewriter, loc, lanes));
      loop.getLowerBoundMutable().assign(start);
      loop.getStepMutable().assign(step);
      laneLoop = loop;
      if (combiner) {
        // Every element of the private result: combined over the lanes.
        rewriter.setInsertionPointAfter(outer);
        last = updateEachElement(
            rewriter, loc, op.getDpsInits().front(),
            [&](Value v, ArrayRef<Value>) {
              return combineLanes(rewriter, loc, kernel, v, combiner->first,
                                  lane, lanes, subgroup, combineBuffers);
            });
      }
    }
    if (owned && laneLoop) {
      // The innermost reduction, unrolled: several loads in flight.
      auto inner = cast<scf::ForOp>(loops->back());
      if (inner != laneLoop)
        (void)loopUnrollByFactor(inner, 4);
      // Element i of the owned dim was computed by lane (i - lb) / step mod
      // lanes; a shuffle gives it to every lane, so that each lane's copy
      // of the private result is whole again.
      rewriter.setInsertionPointAfter(last);
      AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
      unsigned pos = *outMap.getResultPosition(
          getAffineDimExpr(dim, rewriter.getContext()));
      last = updateEachElement(
          rewriter, loc, op.getDpsInits().front(),
          [&](Value v, ArrayRef<Value> ivs) {
            Value owner = arith::RemUIOp::create(
                rewriter, loc,
                arith::DivUIOp::create(
                    rewriter, loc,
                    arith::SubIOp::create(rewriter, loc, ivs[pos], rowStart),
                    laneStep),
                arith::ConstantIndexOp::create(rewriter, loc, lanes));
            Type i32 = rewriter.getI32Type();
            Value src = arith::IndexCastUIOp::create(rewriter, loc, i32, owner);
            Value width =
                arith::ConstantIntOp::create(rewriter, loc, i32, lanes);
            return gpu::ShuffleOp::create(rewriter, loc, v, src, width,
                                          gpu::ShuffleMode::IDX)
                .getShuffleResult();
          });
    }
    if (global) {
      // Every lane holds the same result; each writes it (the same bits).
      rewriter.setInsertionPointAfter(last ? last : op.getOperation());
      Value acc = op.getDpsInits().front();
      auto copy = linalg::CopyOp::create(rewriter, loc, acc, global);
      FailureOr<linalg::LinalgLoops> back =
          linalg::linalgOpToLoops(rewriter, copy);
      if (failed(back))
        return copy.emitOpError("cannot be lowered to loops for the GPU");
      rewriter.eraseOp(copy);
    }
    // A lane's innermost loop over a row, unrolled (its remainder loop
    // right after it, before the combine): several independent loads in
    // flight instead of one per trip.
    if (laneLoop &&
        !laneLoop.getBody()
             ->walk([](scf::ForOp) { return WalkResult::interrupt(); })
             .wasInterrupted()) {
      // (A workgroup buffer is shared by its ops through barriers, never
      // by which lane wrote which element: einfuse-gpu-matrix-ops puts a
      // barrier around every op writing one, as K's and V's copies into
      // one staged buffer.)
      bool ownOutputs = llvm::all_of(op.getDpsInits(), [&](Value v) {
        return isPrivate(v, kernel) || isWorkgroupBuffer(v) ||
               argumentOps.lookup(rootOf(v)) <= 1;
      });
      scf::ForOp chunks;
      // (Owned elements stay lane-cyclic: the broadcast reads them so.)
      if (unitStep && ownOutputs && !owned)
        chunks = vectorizeLaneLoop(rewriter, kernel, laneLoop, rowStart, rowEnd,
                                   lane, lanes, vectorBytes);
      (void)loopUnrollByFactor(laneLoop, 4);
      if (chunks)
        (void)loopUnrollByFactor(chunks, 2);
    }
    rewriter.eraseOp(op);
  }
  return success();
}

/// Whether `a` and `b` sit in different regions of one scf.if, so that
/// never both run. (The caller then gives both one launch attribution,
/// which dominates every use.)
static bool exclusive(memref::AllocOp a, memref::AllocOp b) {
  for (Operation *p = a->getParentOp(); p; p = p->getParentOp()) {
    if (!p->isProperAncestor(b))
      continue;
    auto ifOp = dyn_cast<scf::IfOp>(p);
    if (!ifOp)
      return false;
    Region *ra = a->getParentRegion(), *rb = b->getParentRegion();
    while (ra->getParentOp() != p)
      ra = ra->getParentOp()->getParentRegion();
    while (rb->getParentOp() != p)
      rb = rb->getParentOp()->getParentRegion();
    return ra != rb;
  }
  return false;
}

/// Unrolls fully, innermost first, the loops of `launch` with a constant
/// trip count of at most 16 whose induction variable indexes a thread's
/// private buffers (the rows of a point's state), while the copies stay
/// within a few thousand ops: every access to such a buffer then has constant
/// indices, so that LLVM keeps its elements in registers. A loop at run-time
/// indices keeps the buffer in local memory (LLVM's own full unrolling
/// stops at bodies this size).
static void unrollPrivateLoops(gpu::LaunchOp launch) {
  // A constant, or the static size of a buffer behind casts (the loops of
  // a linalg op on a cast of a static buffer, not yet canonicalized).
  auto exact = [](Value v) -> std::optional<int64_t> {
    if (std::optional<int64_t> c = getConstantIntValue(v))
      return c;
    auto dim = v.getDefiningOp<memref::DimOp>();
    std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
    if (!index)
      return std::nullopt;
    Value source = dim.getSource();
    while (auto cast = source.getDefiningOp<memref::CastOp>())
      source = cast.getSource();
    auto type = cast<MemRefType>(source.getType());
    if (*index >= type.getRank() || type.isDynamicDim(*index))
      return std::nullopt;
    return type.getDimSize(*index);
  };
  SmallVector<scf::ForOp> loops;
  launch.getBody().walk([&](scf::ForOp loop) { loops.push_back(loop); });
  for (scf::ForOp loop : loops) {
    std::optional<int64_t> lb = exact(loop.getLowerBound());
    std::optional<int64_t> ub = exact(loop.getUpperBound());
    std::optional<int64_t> step = exact(loop.getStep());
    if (!lb || !ub || !step || *step <= 0 || *ub <= *lb)
      continue;
    int64_t trips = llvm::divideCeil(*ub - *lb, *step);
    if (trips < 2 || trips > 16)
      continue;
    // The values the induction variable's index arithmetic reaches.
    llvm::SmallPtrSet<Value, 16> derived;
    SmallVector<Value> work{loop.getInductionVar()};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (!derived.insert(v).second)
        continue;
      for (Operation *user : v.getUsers())
        if (isa<affine::AffineApplyOp, arith::AddIOp, arith::SubIOp,
                arith::MulIOp, arith::DivUIOp, arith::RemUIOp, arith::MinUIOp,
                arith::MinSIOp, arith::IndexCastOp, arith::IndexCastUIOp>(user))
          work.push_back(user->getResult(0));
    }
    int64_t ops = 0;
    bool indexesPrivate = false;
    loop.getBody()->walk([&](Operation *op) {
      ++ops;
      Value buffer;
      ValueRange indices;
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        buffer = load.getMemRef();
        indices = load.getIndices();
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        buffer = store.getMemRef();
        indices = store.getIndices();
      }
      if (buffer && isPrivate(buffer, launch) && !isWorkgroupBuffer(buffer) &&
          llvm::any_of(indices, [&](Value i) { return derived.contains(i); }))
        indexesPrivate = true;
    });
    if (!indexesPrivate || trips * ops > 4096)
      continue;
    OpBuilder b(loop);
    // (loopUnrollFull needs the bounds as constants.)
    loop.getLowerBoundMutable().assign(
        arith::ConstantIndexOp::create(b, loop.getLoc(), *lb));
    loop.getUpperBoundMutable().assign(
        arith::ConstantIndexOp::create(b, loop.getLoc(), *ub));
    loop.getStepMutable().assign(
        arith::ConstantIndexOp::create(b, loop.getLoc(), *step));
    (void)loopUnrollFull(loop);
  }
}

/// Loads from a small private buffer (at most 32 elements: a point's row
/// state) at run-time indices (a lane's row of a matrix tile, lane / 4 on
/// NVIDIA, read by einfuse-gpu-matrix-ops's operand and epilogue code),
/// rewritten as a choice among the buffer's elements at constant indices:
/// a tree of selects on the bits of the linear index. With every access at
/// constant indices LLVM keeps the buffer in registers, where a single
/// load at a run-time index would put all of it in local memory (and keep
/// the loads' users, an exp of the row's maximum, from being shared).
static void gatherPrivateLoads(gpu::LaunchOp launch) {
  SmallVector<memref::LoadOp> loads;
  launch.getBody().walk([&](memref::LoadOp load) {
    if (!llvm::all_of(load.getIndices(), [](Value i) {
          return getConstantIntValue(i).has_value();
        }))
      loads.push_back(load);
  });
  for (memref::LoadOp load : loads) {
    Value view = load.getMemRef();
    while (auto cast = view.getDefiningOp<memref::CastOp>())
      view = cast.getSource();
    auto type = cast<MemRefType>(view.getType());
    OpBuilder b(load);
    Location loc = load.getLoc();
    // The view's offset and strides in its root's elements.
    SmallVector<OpFoldResult> strides;
    OpFoldResult offset = b.getIndexAttr(0);
    Value root = view;
    if (auto rc = view.getDefiningOp<memref::ReinterpretCastOp>()) {
      strides = rc.getMixedStrides();
      offset = rc.getMixedOffsets().front();
      root = rc.getSource();
      while (auto cast = root.getDefiningOp<memref::CastOp>())
        root = cast.getSource();
    } else {
      if (!type.getLayout().isIdentity() || !type.hasStaticShape())
        continue;
      int64_t stride = 1;
      strides.assign(type.getRank(), b.getIndexAttr(1));
      for (int64_t d = type.getRank() - 1; d >= 0; --d) {
        strides[d] = b.getIndexAttr(stride);
        stride *= type.getDimSize(d);
      }
    }
    auto alloca = root.getDefiningOp<memref::AllocaOp>();
    if (!alloca || !launch->isAncestor(alloca))
      continue;
    MemRefType rootType = alloca.getType();
    if (!rootType.hasStaticShape() || !rootType.getLayout().isIdentity() ||
        rootType.getMemorySpace() || rootType.getNumElements() > 32 ||
        strides.size() != load.getIndices().size())
      continue;
    Value linear = getValueOrCreateConstantIndexOp(b, loc, offset);
    for (auto [i, stride] : llvm::zip(load.getIndices(), strides))
      linear = arith::AddIOp::create(
          b, loc, linear,
          arith::MulIOp::create(
              b, loc, i, getValueOrCreateConstantIndexOp(b, loc, stride)));
    SmallVector<Value> leaves;
    for (int64_t e = 0; e < rootType.getNumElements(); ++e) {
      SmallVector<Value> at;
      int64_t rest = e;
      for (int64_t d = rootType.getRank() - 1; d >= 0; --d) {
        at.push_back(
            arith::ConstantIndexOp::create(b, loc, rest % rootType.getDimSize(d)));
        rest /= rootType.getDimSize(d);
      }
      std::reverse(at.begin(), at.end());
      leaves.push_back(memref::LoadOp::create(b, loc, root, at));
    }
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    for (int64_t bit = 1; leaves.size() > 1; bit <<= 1) {
      Value set = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ne,
          arith::AndIOp::create(b, loc, linear,
                                arith::ConstantIndexOp::create(b, loc, bit)),
          zero);
      SmallVector<Value> next;
      for (size_t j = 0; j < leaves.size(); j += 2)
        next.push_back(j + 1 < leaves.size()
                           ? Value(arith::SelectOp::create(b, loc, set,
                                                           leaves[j + 1],
                                                           leaves[j]))
                           : leaves[j]);
      leaves = std::move(next);
    }
    load.replaceAllUsesWith(leaves.front());
    load.erase();
  }
}

struct GPUMapTilesPass
    : public einfuse::impl::EinfuseGPUMapTilesBase<GPUMapTilesPass> {
  using Base::Base;

  /// `gpu.launch` with a 1-D grid of ceil(count / threads) blocks of
  /// `threads`; the body gets the global thread index and runs `fill`
  /// under `index < count`.
  /// `gpu.launch` with a 1-D grid of blocks of `blockThreads`, `lanes`
  /// threads per point of `count` (ceil(count * lanes / blockThreads)
  /// blocks); the body gets the point and the lane and runs `fill` under
  /// `point < count` (uniform across a point's lanes).
  gpu::LaunchOp buildLaunch(OpBuilder &b, Location loc, Value count,
                            int64_t blockThreads, int64_t lanes,
                            function_ref<void(OpBuilder &, Value, Value)> fill) {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value t = arith::ConstantIndexOp::create(b, loc, blockThreads);
    Value perBlock = arith::ConstantIndexOp::create(b, loc, blockThreads / lanes);
    Value blocks = arith::CeilDivUIOp::create(b, loc, count, perBlock);
    auto launch = gpu::LaunchOp::create(b, loc, blocks, one, one, t, one, one);
    OpBuilder inner = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value base =
        arith::MulIOp::create(inner, loc, launch.getBlockIds().x, perBlock);
    Value tid = launch.getThreadIds().x;
    Value l = arith::ConstantIndexOp::create(inner, loc, lanes);
    Value index = arith::AddIOp::create(
        inner, loc, base, arith::DivUIOp::create(inner, loc, tid, l));
    Value lane = arith::RemUIOp::create(inner, loc, tid, l);
    Value inRange = arith::CmpIOp::create(
        inner, loc, arith::CmpIPredicate::ult, index, count);
    auto guard = scf::IfOp::create(inner, loc, inRange, false);
    OpBuilder then = guard.getThenBodyBuilder();
    fill(then, index, lane);
    gpu::TerminatorOp::create(inner, loc);
    return launch;
  }

  /// Threads per block and per point of this kernel.
  int64_t blockThreads = 0, pointLanes = 0, subgroupSize = 0;
  Value laneValue;
  /// Launches whose points several lanes share, with their lane index;
  /// their linalg ops are spread over the lanes once every buffer has its
  /// final form.
  SmallVector<std::tuple<gpu::LaunchOp, Value, int64_t>> shared;

  LogicalResult mapForall(scf::ForallOp forall) {
    if (!forall.getOutputs().empty())
      return forall.emitOpError("internal error: a tile loop with results "
                                "reached einfuse-gpu-map-tiles (bufferize "
                                "first)");
    Location loc = forall.getLoc();
    OpBuilder b(forall);
    // Points of the loop: the product of its trip counts.
    SmallVector<Value> trips;
    for (auto [lb, ub, step] :
         llvm::zip(forall.getMixedLowerBound(), forall.getMixedUpperBound(),
                   forall.getMixedStep())) {
      Value l = getValueOrCreateConstantIndexOp(b, loc, lb);
      Value u = getValueOrCreateConstantIndexOp(b, loc, ub);
      Value s = getValueOrCreateConstantIndexOp(b, loc, step);
      Value span = arith::SubIOp::create(b, loc, u, l);
      trips.push_back(arith::CeilDivUIOp::create(b, loc, span, s));
    }
    Value count = trips.front();
    for (Value t : ArrayRef(trips).drop_front())
      count = arith::MulIOp::create(b, loc, count, t);
    // A tile loop whose points take several subgroups (a matrix product
    // with K split over them, einfuse-gpu-matrix-ops) says how many threads.
    int64_t perPoint = pointLanes;
    if (auto given = forall->getAttrOfType<IntegerAttr>(kGPUPointLanesAttr))
      perPoint = given.getInt();
    // A tile loop whose points keep workgroup buffers takes a block each.
    int64_t threadsHere = blockThreads;
    if (auto given = forall->getAttrOfType<IntegerAttr>(kGPUBlockThreadsAttr))
      threadsHere = given.getInt();
    if (perPoint < 1 || threadsHere < 1 || threadsHere % perPoint != 0)
      return forall.emitOpError("internal error: ")
             << perPoint << " threads per tile point do not divide the "
             << threadsHere << " of a block";
    gpu::LaunchOp launch = buildLaunch(
        b, loc, count, threadsHere, perPoint,
        [&](OpBuilder &then, Value index, Value lane) {
      SmallVector<Value> ivs;
      if (trips.size() == 1) {
        ivs.push_back(index);
      } else {
        auto split = affine::AffineDelinearizeIndexOp::create(
            then, loc, index, trips, /*hasOuterBound=*/true);
        ivs.assign(split.getResults().begin(), split.getResults().end());
      }
      IRMapping map;
      for (auto [iv, point, lb, step] :
           llvm::zip(forall.getInductionVars(), ivs,
                     forall.getMixedLowerBound(), forall.getMixedStep())) {
        Value l = getValueOrCreateConstantIndexOp(then, loc, lb);
        Value s = getValueOrCreateConstantIndexOp(then, loc, step);
        Value scaled = arith::MulIOp::create(then, loc, point, s);
        map.map(iv, arith::AddIOp::create(then, loc, scaled, l));
      }
      for (Operation &op : forall.getBody()->without_terminator())
        then.clone(op, map);
      laneValue = lane;
    });
    forall.erase();
    // Workgroup buffers of the point become the launch's workgroup
    // attributions (gpu-kernel-outlining makes them the kernel's).
    SmallVector<memref::AllocOp> workgroup;
    launch.getBody().walk([&](memref::AllocOp alloc) {
      if (isWorkgroupBuffer(alloc.getResult()))
        workgroup.push_back(alloc);
    });
    // Buffers of the two sides of a conditional (the versions of
    // einfuse-gpu-specialize-tiles) are never live together: one of a
    // type serves both.
    // (A buffer joins a group only when it excludes every member: two of
    // one side may be live together.)
    SmallVector<SmallVector<memref::AllocOp, 2>> groups;
    for (memref::AllocOp alloc : workgroup) {
      auto group = llvm::find_if(groups, [&](auto &members) {
        return members.front().getType() == alloc.getType() &&
               llvm::all_of(members, [&](memref::AllocOp other) {
                 return exclusive(other, alloc);
               });
      });
      if (group == groups.end())
        groups.push_back({alloc});
      else
        group->push_back(alloc);
    }
    workgroup.clear();
    for (auto &members : groups) {
      for (memref::AllocOp other : llvm::drop_begin(members)) {
        other.replaceAllUsesWith(members.front().getResult());
        other.erase();
      }
      workgroup.push_back(members.front());
    }
    for (memref::AllocOp alloc : workgroup) {
      if (!alloc.getType().hasStaticShape())
        return alloc.emitOpError("internal error: a workgroup buffer of "
                                 "run-time size");
      BlockArgument arg =
          launch.addWorkgroupAttribution(alloc.getType(), alloc.getLoc());
      alloc.replaceAllUsesWith(arg);
      alloc.erase();
    }
    if (perPoint > 1)
      shared.push_back({launch, laneValue, perPoint});
    return success();
  }

  /// Runs `ops` (a run of consecutive host-function ops with effects that
  /// no tile loop holds) on one GPU thread.
  void mapSerial(ArrayRef<Operation *> ops) {
    // At the last op of the run: every value the run reads is defined by
    // then (index arithmetic may sit between its ops).
    Location loc = ops.front()->getLoc();
    OpBuilder b(ops.back());
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    IRMapping map;
    buildLaunch(b, loc, one, 1, 1, [&](OpBuilder &then, Value, Value) {
      for (Operation *op : ops)
        then.clone(*op, map);
    });
    for (Operation *op : llvm::reverse(ops))
      op->erase();
  }

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    if (threads < 1 || threads > 1024) {
      fn.emitError("einfuse-gpu-map-tiles: threads must be in [1, 1024], got ")
          << int64_t(threads);
      return signalPassFailure();
    }
    if (lanes < 1 || lanes > 1024 || threads % lanes != 0) {
      fn.emitError("einfuse-gpu-map-tiles: lanes must be in [1, 1024] and "
                   "divide threads (")
          << int64_t(threads) << "), got " << int64_t(lanes);
      return signalPassFailure();
    }
    if (subgroup < 0 || subgroup > 64) {
      fn.emitError("einfuse-gpu-map-tiles: subgroup must be in [1, 64] (0: "
                   "the lanes), got ")
          << int64_t(subgroup);
      return signalPassFailure();
    }
    if (vectorBytes < 0 || vectorBytes > 64 ||
        (vectorBytes > 0 && !llvm::isPowerOf2_64(vectorBytes))) {
      fn.emitError("einfuse-gpu-map-tiles: vector-bytes must be 0 or a "
                   "power of two up to 64, got ")
          << int64_t(vectorBytes);
      return signalPassFailure();
    }
    // The kernel's own configuration, when it has one, over the options.
    blockThreads = threads;
    pointLanes = lanes;
    if (auto config = ein::GPUConfigAttr::lookup(fn)) {
      blockThreads = config.getThreads();
      pointLanes = config.getLanes();
    }
    // A point of more lanes than a subgroup takes whole subgroups.
    subgroupSize =
        subgroup ? int64_t(subgroup) : std::min<int64_t>(pointLanes, 64);
    if (pointLanes > subgroupSize && pointLanes % subgroupSize != 0) {
      fn.emitError("einfuse-gpu-map-tiles: ")
          << pointLanes << " lanes per point are not whole subgroups of "
          << subgroupSize;
      return signalPassFailure();
    }
    if (fn.getBody().getBlocks().size() != 1) {
      fn.emitError("unsupported on GPU: a kernel body of more than one block");
      return signalPassFailure();
    }
    Block &body = fn.getBody().front();
    // Buffers allocated in the host function are intermediates one kernel
    // writes and a later one reads (the workers' states of a split
    // iteration): the launcher places them in its workspace. (A small one
    // promote-buffers-to-stack made a host alloca becomes an allocation
    // again: the host's stack is no device memory.)
    for (auto alloca : llvm::make_early_inc_range(body.getOps<memref::AllocaOp>())) {
      OpBuilder b(alloca);
      auto alloc = memref::AllocOp::create(
          b, alloca.getLoc(), alloca.getType(), alloca.getDynamicSizes(),
          alloca.getAlignmentAttr());
      alloca.replaceAllUsesWith(alloc.getResult());
      alloca.erase();
    }
    for (Operation &op : body)
      if (isa<memref::AllocOp>(op) &&
          !cast<memref::AllocOp>(op).getType().getLayout().isIdentity()) {
        op.emitError("unsupported on GPU: a buffer of the host function "
                     "that is not a plain row-major allocation (the "
                     "launcher's workspace holds those only)");
        return signalPassFailure();
      }
    SmallVector<Operation *> ops;
    for (Operation &op : body)
      ops.push_back(&op);
    SmallVector<Operation *> serial;
    auto flush = [&] {
      if (!serial.empty())
        mapSerial(serial);
      serial.clear();
    };
    for (Operation *op : ops) {
      if (auto forall = dyn_cast<scf::ForallOp>(op);
          forall && isGPUTileLoop(forall)) {
        flush();
        if (failed(mapForall(forall)))
          return signalPassFailure();
        continue;
      }
      if (isHostSide(op)) {
        // Index arithmetic a serial run also uses is cloned into it.
        continue;
      }
      serial.push_back(op);
    }
    flush();
    // Every buffer inside a kernel must be private memory of static size.
    WalkResult r = fn.walk([&](memref::AllocOp alloc) {
      if (!alloc->getParentOfType<gpu::LaunchOp>() ||
          succeeded(boundAllocation(alloc)) || succeeded(reuseOutput(alloc)))
        return WalkResult::advance();
      alloc.emitError("unsupported on GPU: a temporary of run-time size ")
          << alloc.getType()
          << " inside a kernel (a rank that is neither tiled across "
             "threads nor split into tiles by ein-online-normalize)";
      return WalkResult::interrupt();
    });
    if (r.wasInterrupted())
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (auto [launch, lane, perPoint] : shared)
      if (failed(distributeOverLanes(rewriter, launch, launch.getBody(), lane,
                                     perPoint, subgroupSize, vectorBytes)))
        return signalPassFailure();
    fn.walk([&](gpu::LaunchOp launch) {
      unrollPrivateLoops(launch);
      gatherPrivateLoads(launch);
    });
    // A thread's buffers (static allocas: its iteration state and tiles)
    // move to the kernel's entry block. Back ends that cannot allocate
    // stack at run time (AMDGPU) need that, and LLVM promotes entry-block
    // allocas to registers. It is sound because no buffer outlives the
    // loop iteration that allocates it: loop-carried state lives in a
    // buffer allocated before the loop (see carryStateInPlace).
    fn.walk([&](gpu::LaunchOp launch) {
      Block &entry = launch.getBody().front();
      launch.getBody().walk([&](memref::AllocaOp alloca) {
        if (alloca->getBlock() != &entry && alloca.getType().hasStaticShape() &&
            alloca.getOperands().empty())
          alloca->moveBefore(&entry, entry.begin());
      });
    });
  }
};
} // namespace
