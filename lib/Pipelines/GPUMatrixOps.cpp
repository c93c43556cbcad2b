//===- GPUMatrixOps.cpp - Matrix products on the subgroup's instruction ---===//
//
// `--einfuse-gpu-matrix-ops`, between bufferization and
// einfuse-gpu-map-tiles: in the tile loops whose points a whole subgroup
// runs, a contraction (a linalg.generic whose body is acc + x * y, with x
// and y computed from the operands: a cast, a dequantisation, a
// normalisation) becomes a loop over the subgroup's matrix-instruction
// tiles. Each lane evaluates the body's x and y at the elements of the A
// and B fragments it holds (so dequantisation happens in the operand load,
// whatever the format), the target's instruction accumulates, and each
// lane stores its elements of C, through the maps that consume the
// product (a cast to the output type) when there are any. Where an element
// sits in which lane is the target's (GPUTargetInfo::getMatrixInstruction:
// mma.sync on NVIDIA, MFMA on AMD); the rest is shared. Upstream's
// vector-to-gpu conversion maps vector.contract on whole tiles, which this
// body (a dequantisation per element, edge masks, a consumer map) is not,
// hence this pass.
//
// Numerics: x and y reach the instruction exactly when they are values of
// its operand type (f16, bf16) or of a narrower one (f8, small integers).
// Otherwise one of them may be rounded to the operand type only when the
// other is exact and every result is stored in that type: the rounding of
// dequantized weights to the activations' type, as the contract's naive
// reference and every W-A16 kernel do. Anything else stays on the lanes'
// scalar path.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "einfuse/Conversion/Passes.h"

#include "einfuse/Conversion/Bounds.h"
#include "einfuse/Conversion/GPUTiles.h"
#include "GPUShareTiles.h"
#include "einfuse/Target/GPU.h"

#include "Ein/IR/EinDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallBitVector.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEGPUMATRIXOPS
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;
using namespace einfuse;

namespace {

/// The buffer `buffer` views (through subviews and casts): an allocation
/// or a kernel argument.
static Value rootOf(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (isa<memref::AllocaOp, memref::AllocOp>(def) ||
        !isa<ViewLikeOpInterface>(def))
      break;
    buffer = def->getOperand(0);
  }
  return buffer;
}

/// Whether `buffer` is private memory of the tile point (allocated inside
/// `tile`, each lane its own) rather than one of the kernel's buffers or
/// the point's workgroup memory.
static bool isPointMemory(Value buffer, Operation *tile) {
  Operation *def = rootOf(buffer).getDefiningOp();
  return def && isa<memref::AllocaOp, memref::AllocOp>(def) &&
         tile->isProperAncestor(def) && !isWorkgroupBuffer(buffer);
}

/// The buffers `op` (and what it holds) writes, by their roots; nullopt
/// when an effect is on no known buffer.
static std::optional<SmallVector<Value>> writtenRoots(Operation *op) {
  SmallVector<Value> roots;
  bool unknown = false;
  op->walk([&](Operation *inner) {
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(inner)) {
      for (Value init : dps.getDpsInits())
        if (isa<MemRefType>(init.getType()))
          roots.push_back(rootOf(init));
      return;
    }
    if (auto store = dyn_cast<memref::StoreOp>(inner)) {
      roots.push_back(rootOf(store.getMemRef()));
      return;
    }
    if (auto copy = dyn_cast<memref::CopyOp>(inner)) {
      roots.push_back(rootOf(copy.getTarget()));
      return;
    }
    auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
    if (!effects) {
      if (!inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
          inner->getNumRegions() == 0 && !isMemoryEffectFree(inner))
        unknown = true;
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (auto &e : list)
      if (isa<MemoryEffects::Write>(e.getEffect()) &&
          !isa<memref::AllocaOp, memref::AllocOp>(inner))
        unknown = true;
  });
  if (unknown)
    return std::nullopt;
  return roots;
}

/// The one type (f16 or bf16) in which the values of the point buffer
/// `root` reach the kernel's outputs: through the ops of `tile` that read
/// it, and the point buffers those write (an iteration's state, written
/// out once normalised). Null when they reach them in several types or
/// another one.
static Type storedTypeThrough(Value root, Operation *tile, int depth = 0) {
  Type found;
  bool mixed = false;
  if (depth > 4)
    return Type();
  tile->walk([&](linalg::LinalgOp op) {
    bool reads = llvm::any_of(op.getDpsInputs(), [&](Value v) {
      return rootOf(v) == root;
    });
    if (!reads)
      return;
    for (Value init : op.getDpsInits()) {
      Value r = rootOf(init);
      if (r == root)
        continue;
      Type t;
      if (isPointMemory(init, tile) || isWorkgroupBuffer(init))
        t = storedTypeThrough(r, tile, depth + 1);
      else
        t = getElementTypeOrSelf(init.getType());
      if (!t || (found && found != t))
        mixed = true;
      found = t;
    }
  });
  if (mixed || !found || !(found.isF16() || found.isBF16()))
    return Type();
  return found;
}

/// The interval of values an integer of the body can take, when its
/// producers bound it (an unpacked int4 nibble, an i8 widened).
static std::optional<std::pair<int64_t, int64_t>> intRange(Value v,
                                                           int depth = 0) {
  if (depth > 12)
    return std::nullopt;
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return std::make_pair(c.getSExtValue(), c.getSExtValue());
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  auto width = [](Value x) {
    return int64_t(getElementTypeOrSelf(x.getType()).getIntOrFloatBitWidth());
  };
  if (isa<arith::ExtSIOp>(def) && width(def->getOperand(0)) <= 16) {
    int64_t w = width(def->getOperand(0));
    return std::make_pair(-(int64_t(1) << (w - 1)), (int64_t(1) << (w - 1)) - 1);
  }
  if (isa<arith::ExtUIOp>(def) && width(def->getOperand(0)) <= 16)
    return std::make_pair(int64_t(0),
                          (int64_t(1) << width(def->getOperand(0))) - 1);
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(def))
    return intRange(def->getOperand(0), depth + 1);
  auto lhs = [&] { return intRange(def->getOperand(0), depth + 1); };
  auto rhs = [&] { return intRange(def->getOperand(1), depth + 1); };
  if (isa<arith::AndIOp>(def)) {
    // x & m with m in [0, hi]: in [0, hi].
    for (auto r : {lhs(), rhs()})
      if (r && r->first >= 0)
        return std::make_pair(int64_t(0), r->second);
    return std::nullopt;
  }
  if (isa<arith::RemUIOp>(def)) {
    auto r = rhs();
    if (r && r->first > 0)
      return std::make_pair(int64_t(0), r->second - 1);
    return std::nullopt;
  }
  auto a = lhs(), b = rhs();
  if (!a || !b)
    return std::nullopt;
  if (isa<arith::AddIOp>(def))
    return std::make_pair(a->first + b->first, a->second + b->second);
  if (isa<arith::SubIOp>(def))
    return std::make_pair(a->first - b->second, a->second - b->first);
  if (isa<arith::XOrIOp, arith::OrIOp>(def) && a->first >= 0 &&
      b->first >= 0) {
    int64_t hi = std::max(a->second, b->second);
    return std::make_pair(int64_t(0),
                          int64_t(llvm::NextPowerOf2(uint64_t(hi))) - 1);
  }
  if (isa<arith::ShRUIOp>(def) && a->first >= 0)
    return std::make_pair(int64_t(0), a->second);
  return std::nullopt;
}

/// Whether every value `v` (of a linalg body) takes is exactly
/// representable in `type` (f16 or bf16).
static bool isExactIn(Value v, Type type, int depth = 0) {
  Type t = v.getType();
  if (t == type || isa<Float8E4M3FNType, Float8E5M2Type>(t))
    return true;
  if (depth > 12)
    return false;
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (auto ext = dyn_cast<arith::ExtFOp>(def))
    return isExactIn(ext.getIn(), type, depth + 1);
  if (isa<arith::SIToFPOp, arith::UIToFPOp>(def)) {
    // Integers of magnitude up to 256 take at most 8 significant bits.
    std::optional<std::pair<int64_t, int64_t>> r =
        intRange(def->getOperand(0));
    return r && r->first >= -256 && r->second <= 256 &&
           (isa<arith::SIToFPOp>(def) || r->first >= 0);
  }
  FloatAttr c;
  if (matchPattern(v, m_Constant(&c))) {
    APFloat f = c.getValue();
    bool lost = false;
    f.convert(cast<FloatType>(type).getFloatSemantics(),
              APFloat::rmNearestTiesToEven, &lost);
    return !lost;
  }
  return false;
}

/// A contraction of a tile point and how the matrix instruction takes it.
struct Contraction {
  linalg::GenericOp op;
  unsigned m = 0, n = 0, k = 0;
  Value x, y;                     ///< the factors: x is A (m, k), y is B (k, n)
  SmallVector<Operation *> xSlice, ySlice;
  einfuse::gpu::MatrixInstruction instruction;
  Value acc;                      ///< the output buffer
  Value init;                     ///< its initial value (a fill's), if known
  linalg::FillOp fill;
  SmallVector<linalg::GenericOp> epilogue;
};

/// The loop dims `v` (in the body of `op`) depends on, and the body ops it
/// is computed by; fails when it reads the accumulator or an op with
/// effects or regions.
static LogicalResult collectFactor(linalg::GenericOp op, Value v,
                                   llvm::SmallBitVector &dims,
                                   llvm::SetVector<Operation *> &slice) {
  Block *body = op.getBody();
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getOwner() != body)
      return success();
    if (arg.getArgNumber() >= op.getNumDpsInputs())
      return failure();
    AffineMap map = op.getMatchingIndexingMap(op.getDpsInputOperand(arg.getArgNumber()));
    for (AffineExpr e : map.getResults())
      e.walk([&](AffineExpr s) {
        if (auto d = dyn_cast<AffineDimExpr>(s))
          dims.set(d.getPosition());
      });
    return success();
  }
  Operation *def = v.getDefiningOp();
  if (def->getBlock() != body)
    return success();
  if (slice.contains(def))
    return success();
  if (def->getNumRegions() || !isMemoryEffectFree(def))
    return failure();
  if (auto index = dyn_cast<linalg::IndexOp>(def))
    dims.set(index.getDim());
  for (Value operand : def->getOperands())
    if (failed(collectFactor(op, operand, dims, slice)))
      return failure();
  slice.insert(def);
  return success();
}

/// Values `op` reads that are defined after `before` in its block, moved
/// before it when they are pure (subviews, index arithmetic); fails when
/// one is not.
static LogicalResult hoistOperands(Operation *op, Operation *before,
                                   bool apply) {
  SmallVector<Operation *> work;
  op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (Operation *def = v.getDefiningOp();
          def && def->getBlock() == before->getBlock() &&
          before->isBeforeInBlock(def))
        work.push_back(def);
  });
  llvm::SetVector<Operation *> moved;
  while (!work.empty()) {
    Operation *def = work.pop_back_val();
    if (def == op || moved.contains(def))
      continue;
    if (def->getNumRegions() || !isMemoryEffectFree(def))
      return failure();
    moved.insert(def);
    for (Value v : def->getOperands())
      if (Operation *d = v.getDefiningOp();
          d && d->getBlock() == before->getBlock() &&
          before->isBeforeInBlock(d))
        work.push_back(d);
  }
  if (!apply)
    return success();
  SmallVector<Operation *> order(moved.begin(), moved.end());
  llvm::sort(order, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  for (Operation *def : order)
    def->moveBefore(before);
  return success();
}

/// Matches `op` (inside the tile loop `tile`) as a contraction the
/// target's matrix instruction can compute. With `promote`, a private
/// point buffer that stands in the way (the product's, when ops other than
/// elementwise maps read it whole: attention's scores; an epilogue's, the
/// running state it updates) is added to `promote` instead of failing the
/// match: in workgroup memory, the lanes' elements of it meet. A product
/// whose buffer is in `registers` keeps its C in the lanes' registers
/// (FragmentTile): its readers are rewritten with it.
static FailureOr<Contraction>
match(linalg::GenericOp op, Operation *tile,
      const einfuse::gpu::GPUTargetInfo &target,
      SmallVectorImpl<Value> *promote = nullptr,
      const llvm::DenseSet<Value> *registers = nullptr) {
  Contraction c;
  c.op = op;
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1)
    return failure();
  // The body: yield(out + x * y), out read once.
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  BlockArgument out = op.getRegionOutputArgs().front();
  if (!out.getType().isF32() || !out.hasOneUse())
    return failure();
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || !add->hasOneUse())
    return failure();
  Value product = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if (add.getLhs() != out && add.getRhs() != out)
    return failure();
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul || !mul->hasOneUse() || mul->getBlock() != body)
    return failure();
  unsigned loops = op.getNumLoops();
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  llvm::SmallBitVector dims0(loops), dims1(loops);
  llvm::SetVector<Operation *> slice0, slice1;
  if (failed(collectFactor(op, mul.getLhs(), dims0, slice0)) ||
      failed(collectFactor(op, mul.getRhs(), dims1, slice1)))
    return failure();
  // One reduced dim both factors read, one free dim each.
  std::optional<unsigned> k, free0, free1;
  for (unsigned d = 0; d < loops; ++d) {
    if (kinds[d] == utils::IteratorType::reduction) {
      if (!dims0[d] || !dims1[d])
        return failure();
      k = d;
    } else if (dims0[d] != dims1[d]) {
      std::optional<unsigned> &side = dims0[d] ? free0 : free1;
      if (side)
        return failure();
      side = d;
    }
  }
  if (!k || !free0 || !free1)
    return failure();
  // One output element (a point of the lanes' tile loop, small_m): a
  // matrix tile would be padding but for one element; the lanes' reduction
  // over K is the GEMV kernel.
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  if (extents[*free0] == 1 && extents[*free1] == 1)
    return failure();
  c.k = *k;
  c.m = *free0;
  c.n = *free1;
  c.x = mul.getLhs();
  c.y = mul.getRhs();
  c.xSlice.assign(slice0.begin(), slice0.end());
  c.ySlice.assign(slice1.begin(), slice1.end());
  // Each element of C is one element of the output: every parallel dim
  // indexes the output (else lanes would write one place).
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isProjectedPermutation())
    return failure();
  for (unsigned d = 0; d < loops; ++d)
    if (kinds[d] == utils::IteratorType::parallel && !outMap.isFunctionOfDim(d))
      return failure();
  c.acc = op.getDpsInits().front();
  bool pointMemory = isPointMemory(c.acc, tile);
  // The point's workgroup buffer: every lane may read any element of it
  // once a barrier separates the stores (einfuse-gpu-matrix-ops puts them).
  bool shared = isWorkgroupBuffer(c.acc) &&
                tile->isAncestor(rootOf(c.acc).getDefiningOp());
  // Promotion to workgroup memory is for points of a matrix tile in both
  // free dims: a point of one row (decode, small_m) keeps the lanes'
  // scalar path.
  bool mayPromote = promote && extents[*free0] != 1 && extents[*free1] != 1;
  // A point's buffer holds, after this, only each lane's own elements: no
  // other view of it may read the rest.
  if (pointMemory)
    for (Value v = c.acc; Operation *def = v.getDefiningOp();
         v = def->getOperand(0)) {
      if (v != c.acc && !v.hasOneUse())
        return failure();
      if (isa<memref::AllocOp, memref::AllocaOp>(def))
        break;
    }
  // Who else touches the output: a fill before (the initial value), maps
  // after that read it into the kernel's outputs (the epilogue).
  bool promoteAcc = false;
  SmallVector<Value> promoteInits;
  for (Operation *user : c.acc.getUsers()) {
    if (user == op.getOperation())
      continue;
    if (auto fill = dyn_cast<linalg::FillOp>(user);
        fill && user->getBlock() == op->getBlock() &&
        fill->isBeforeInBlock(op) && !c.fill) {
      c.fill = fill;
      continue;
    }
    // Workgroup memory: any op may read it, after a barrier. Registers:
    // its readers take the lanes' elements (planRegisters).
    if (shared || (registers && registers->contains(c.acc)))
      continue;
    auto reader = dyn_cast<linalg::GenericOp>(user);
    bool elementwise =
        user->getBlock() == op->getBlock() && pointMemory && reader &&
        op->isBeforeInBlock(reader) && reader.getNumReductionLoops() == 0 &&
        !llvm::is_contained(reader.getDpsInits(), c.acc) &&
        llvm::all_of(reader.getDpsInputOperands(), [&](OpOperand *in) {
          return in->get() != c.acc ||
                 reader.getMatchingIndexingMap(in).isPermutation();
        }) &&
        succeeded(hoistOperands(reader, op, /*apply=*/false));
    // Nothing between the product and the map may write what the map
    // reads or writes: the map moves up to the product's stores.
    if (elementwise)
      for (Operation *between = op->getNextNode(); between != reader;
           between = between->getNextNode()) {
        std::optional<SmallVector<Value>> written = writtenRoots(between);
        if (!written ||
            llvm::any_of(reader->getOperands(), [&](Value v) {
              return isa<MemRefType>(v.getType()) &&
                     llvm::is_contained(*written, rootOf(v));
            })) {
          elementwise = false;
          break;
        }
      }
    if (!elementwise) {
      if (!mayPromote || !pointMemory)
        return failure();
      promoteAcc = true;
      continue;
    }
    for (Value init : reader.getDpsInits()) {
      if (isPointMemory(init, tile)) {
        // An output state in the lanes' registers (FragmentState).
        if (registers && registers->contains(rootOf(init)))
          continue;
        if (!mayPromote)
          return failure();
        promoteInits.push_back(init);
        continue;
      }
      // (The point's workgroup buffer, or an output this map alone writes.)
      if (!isWorkgroupBuffer(init) && !init.hasOneUse())
        return failure();
    }
    c.epilogue.push_back(reader);
  }
  if (promoteAcc) {
    promote->push_back(c.acc);
    c.epilogue.clear();
    shared = true;
  } else if (promote) {
    llvm::append_range(*promote, promoteInits);
  }
  if (c.fill)
    c.init = c.fill.getInputs().front();
  else if (!pointMemory && !shared)
    // The kernel's output, written before by lanes that own other
    // elements: reading it would race.
    return failure();
  // The operand type: one both factors are exact in, else the stored
  // type when one factor is exact in it and the other is computed.
  MLIRContext *ctx = op.getContext();
  Type f16 = Float16Type::get(ctx), bf16 = BFloat16Type::get(ctx);
  Type stored;
  if (!c.epilogue.empty()) {
    for (linalg::GenericOp e : c.epilogue)
      for (Value init : e.getDpsInits()) {
        // A point buffer (the running state) reaches the outputs later.
        Type t = isPointMemory(init, tile) || isWorkgroupBuffer(init)
                     ? storedTypeThrough(rootOf(init), tile)
                     : getElementTypeOrSelf(init.getType());
        if (stored && stored != t)
          stored = Type();
        else if (!stored)
          stored = t;
      }
    if (stored != f16 && stored != bf16)
      stored = Type();
  }
  // Prefer the type the operands come in.
  SmallVector<Type> order;
  for (Operation *s : llvm::concat<Operation *>(c.xSlice, c.ySlice))
    for (Value v : s->getOperands())
      if (Type t = v.getType(); (t == f16 || t == bf16) &&
                                !llvm::is_contained(order, t))
        order.push_back(t);
  for (Type t : {stored, f16, bf16})
    if (t && !llvm::is_contained(order, t))
      order.push_back(t);
  Type chosen;
  for (Type t : order)
    if (isExactIn(c.x, t) && isExactIn(c.y, t)) {
      chosen = t;
      break;
    }
  if (!chosen && stored) {
    bool xComputed = c.x.getDefiningOp() != nullptr;
    bool yComputed = c.y.getDefiningOp() != nullptr;
    if ((isExactIn(c.x, stored) && yComputed) ||
        (isExactIn(c.y, stored) && xComputed))
      chosen = stored;
  }
  if (!chosen)
    return failure();
  std::optional<einfuse::gpu::MatrixInstruction> instruction =
      target.getMatrixInstruction(ctx, chosen);
  if (!instruction)
    return failure();
  c.instruction = std::move(*instruction);
  return c;
}

static std::optional<SmallVector<int64_t>> boundedShape(Value root);

/// How a lane's elements of one instruction tile of C fall in rows (from
/// the target's layout, `MatrixInstruction::c`): elements of one row share
/// a slot; the lanes holding a row differ only in the bits `bits` (xor
/// masks); `source[r]` is a lane and slot that hold row r.
struct RowLayout {
  SmallVector<unsigned> slotOf;
  unsigned slots = 0;
  SmallVector<int64_t> bits;
  SmallVector<std::pair<int64_t, unsigned>> source;
};

/// The RowLayout of `mi`'s C on a subgroup of `subgroup` lanes; nullopt
/// when its rows are not shared that way.
static std::optional<RowLayout>
rowLayout(const einfuse::gpu::MatrixInstruction &mi, int64_t subgroup) {
  if (subgroup < 1 || !llvm::isPowerOf2_64(subgroup) || mi.c.empty())
    return std::nullopt;
  auto row = [&](size_t e, int64_t lane) {
    return mi.c[e].compose(ArrayRef<int64_t>{lane})[0];
  };
  RowLayout l;
  SmallVector<size_t> first;
  for (size_t e = 0; e < mi.c.size(); ++e) {
    unsigned slot = first.size();
    for (auto [s, f] : llvm::enumerate(first)) {
      bool same = true;
      for (int64_t lane = 0; lane < subgroup && same; ++lane)
        same = row(e, lane) == row(f, lane);
      if (same) {
        slot = s;
        break;
      }
    }
    if (slot == first.size())
      first.push_back(e);
    l.slotOf.push_back(slot);
  }
  l.slots = first.size();
  int64_t mask = 0;
  for (int64_t bit = 1; bit < subgroup; bit <<= 1) {
    bool invariant = true;
    for (int64_t lane = 0; lane < subgroup && invariant; ++lane)
      for (size_t e = 0; e < mi.c.size() && invariant; ++e)
        invariant = row(e, lane) == row(e, lane ^ bit);
    if (invariant) {
      l.bits.push_back(bit);
      mask |= bit;
    }
  }
  // Each row is held in one slot by exactly the lanes of one coset of the
  // bits: the xor shuffles over them combine the whole row.
  for (int64_t r = 0; r < mi.m; ++r) {
    std::optional<std::pair<int64_t, unsigned>> src;
    int64_t holders = 0;
    for (int64_t lane = 0; lane < subgroup; ++lane)
      for (unsigned s = 0; s < l.slots; ++s) {
        if (row(first[s], lane) != r)
          continue;
        if (!src)
          src = {lane, s};
        else if (src->second != s || ((lane ^ src->first) & ~mask))
          return std::nullopt;
        ++holders;
      }
    if (!src || holders != (int64_t(1) << l.bits.size()))
      return std::nullopt;
    l.source.push_back(*src);
  }
  return l;
}

/// For each element of an A tile of `a` (m x k): the C tile (h, of the k /
/// n tiles of `c` side by side along k) and the element of `c` that the
/// same lane holds at the same (row, col). A's tile is then C's registers
/// (P from the scores, on NVIDIA's mma.sync); nullopt when it is not (the
/// lanes would have to exchange elements: MFMA's A runs across C's).
static std::optional<SmallVector<std::pair<int64_t, size_t>>>
operandFromAccumulator(const einfuse::gpu::MatrixInstruction &a,
                       const einfuse::gpu::MatrixInstruction &c,
                       int64_t subgroup) {
  if (a.m != c.m || c.n < 1 || a.k % c.n != 0)
    return std::nullopt;
  SmallVector<std::pair<int64_t, size_t>> where;
  for (AffineMap am : a.a) {
    std::optional<std::pair<int64_t, size_t>> found;
    for (int64_t h = 0; h < a.k / c.n && !found; ++h)
      for (size_t e = 0; e < c.c.size() && !found; ++e) {
        bool all = true;
        for (int64_t lane = 0; lane < subgroup && all; ++lane) {
          SmallVector<int64_t> ra = am.compose(ArrayRef<int64_t>{lane});
          SmallVector<int64_t> rc = c.c[e].compose(ArrayRef<int64_t>{lane});
          all = ra[0] == rc[0] && ra[1] == rc[1] + c.n * h;
        }
        if (all)
          found = {h, e};
      }
    if (!found)
      return std::nullopt;
    where.push_back(*found);
  }
  return where;
}

/// A product's C tile kept in its lanes' registers: `buffer`, private to
/// each lane, holds [tile][element] of the (rows / m) x (cols / n)
/// instruction tiles, row-major, at constant indices once the loops are
/// unrolled. Its readers (a row's reduction, a product reading it as A)
/// read the lane's own elements: no workgroup memory, no barrier, and the
/// elementwise maps of the readers of one element (exp(s - max) of the row
/// sum and of P V) are the same values, computed once.
struct FragmentTile {
  Value acc;    ///< the point buffer the product had
  Value buffer; ///< memref<tiles x elements x f32>
  einfuse::gpu::MatrixInstruction instruction;
  RowLayout layout;
  int64_t rows = 0, cols = 0;
  unsigned rowPos = 0, colPos = 0; ///< the row and col indices of `acc`
  /// The row reductions reading it: each with its (row, col) loop dims.
  SmallVector<std::pair<linalg::GenericOp, std::pair<unsigned, unsigned>>>
      reductions;
};

/// The dims of `op` when it reduces the point buffer `acc` over its
/// `colPos` index into another point buffer by its `rowPos` index (a row
/// max, a row sum of scores): {row dim, col dim}; nullopt otherwise.
static std::optional<std::pair<unsigned, unsigned>>
rowReduction(linalg::GenericOp op, Value acc, unsigned rowPos,
             unsigned colPos, Operation *tile) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 || !einfuse::matchCombiner(op) ||
      llvm::is_contained(op.getDpsInits(), acc))
    return std::nullopt;
  Value out = op.getDpsInits().front();
  if (!isPointMemory(out, tile) || llvm::is_contained(op.getDpsInputs(), out))
    return std::nullopt;
  OpOperand *read = nullptr;
  for (OpOperand *in : op.getDpsInputOperands())
    if (in->get() == acc) {
      if (read)
        return std::nullopt;
      read = in;
    }
  if (!read)
    return std::nullopt;
  AffineMap map = op.getMatchingIndexingMap(read);
  auto dimAt = [&](unsigned pos) -> std::optional<unsigned> {
    if (pos >= map.getNumResults())
      return std::nullopt;
    if (auto d = dyn_cast<AffineDimExpr>(map.getResult(pos)))
      return d.getPosition();
    return std::nullopt;
  };
  std::optional<unsigned> row = dimAt(rowPos), col = dimAt(colPos);
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!row || !col || *row == *col ||
      kinds[*col] != utils::IteratorType::reduction ||
      kinds[*row] != utils::IteratorType::parallel)
    return std::nullopt;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (d != *row && d != *col && ranges[d] != 1)
      return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isProjectedPermutation() || !outMap.isFunctionOfDim(*row))
    return std::nullopt;
  return std::make_pair(*row, *col);
}

/// Whether the product `c` may keep its C in registers (FragmentTile): a
/// point buffer of bounded shape (whole instruction tiles, at most 128
/// elements per lane) that, after the product, only row reductions and
/// products reading it as their A (at their m and k) read; nullopt
/// otherwise. The reductions are recorded; `registers` is the set of the
/// buffers already planned, to which the products' matching defers.
static std::optional<FragmentTile>
planRegisters(Contraction &c, Operation *tile,
              const einfuse::gpu::GPUTargetInfo &target,
              const llvm::DenseSet<Value> &registers) {
  int64_t subgroup = target.getSubgroupSize();
  linalg::GenericOp op = c.op;
  if (!isPointMemory(c.acc, tile) || rootOf(c.acc) != c.acc || !c.fill ||
      !c.epilogue.empty())
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  std::optional<unsigned> rowPos =
      outMap.getResultPosition(getAffineDimExpr(c.m, op.getContext()));
  std::optional<unsigned> colPos =
      outMap.getResultPosition(getAffineDimExpr(c.n, op.getContext()));
  std::optional<SmallVector<int64_t>> shape = boundedShape(c.acc);
  const einfuse::gpu::MatrixInstruction &mi = c.instruction;
  if (!rowPos || !colPos || !shape)
    return std::nullopt;
  for (auto [d, n] : llvm::enumerate(*shape))
    if (d != *rowPos && d != *colPos && n != 1)
      return std::nullopt;
  FragmentTile t;
  t.acc = c.acc;
  t.rows = (*shape)[*rowPos];
  t.cols = (*shape)[*colPos];
  t.rowPos = *rowPos;
  t.colPos = *colPos;
  if (t.rows % mi.m || t.cols % mi.n ||
      (t.rows / mi.m) * (t.cols / mi.n) * int64_t(mi.c.size()) > 128)
    return std::nullopt;
  std::optional<RowLayout> layout = rowLayout(mi, subgroup);
  if (!layout)
    return std::nullopt;
  t.layout = *layout;
  t.instruction = mi;
  llvm::DenseSet<Value> with(registers);
  with.insert(c.acc);
  bool products = false;
  for (Operation *user : c.acc.getUsers()) {
    if (user == op.getOperation() || user == c.fill.getOperation())
      continue;
    auto reader = dyn_cast<linalg::GenericOp>(user);
    if (!reader || reader->getBlock() != op->getBlock() ||
        !op->isBeforeInBlock(reader))
      return std::nullopt;
    if (std::optional<std::pair<unsigned, unsigned>> dims =
            rowReduction(reader, c.acc, t.rowPos, t.colPos, tile)) {
      t.reductions.push_back({reader, *dims});
      continue;
    }
    // A product reading it as A, at its m and k.
    SmallVector<Value> scratch;
    FailureOr<Contraction> p = match(reader, tile, target, &scratch, &with);
    if (failed(p) || p->acc == c.acc)
      return std::nullopt;
    OpOperand *read = nullptr;
    for (OpOperand *in : reader.getDpsInputOperands())
      if (in->get() == c.acc) {
        if (read)
          return std::nullopt;
        read = in;
      }
    if (!read)
      return std::nullopt;
    BlockArgument arg = reader.getBody()->getArgument(read->getOperandNumber());
    auto readsArg = [&](Operation *s) {
      return llvm::is_contained(s->getOperands(), Value(arg));
    };
    if (p->y == arg || llvm::any_of(p->ySlice, readsArg) ||
        (p->x != arg && llvm::none_of(p->xSlice, readsArg)))
      return std::nullopt;
    AffineMap map = reader.getMatchingIndexingMap(read);
    SmallVector<int64_t> ranges = reader.getStaticLoopRanges();
    for (auto [pos, e] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d)
        return std::nullopt;
      unsigned want = pos == t.rowPos   ? p->m
                      : pos == t.colPos ? p->k
                                        : ~0u;
      if (want == ~0u ? ranges[d.getPosition()] != 1
                      : d.getPosition() != want)
        return std::nullopt;
    }
    if (!operandFromAccumulator(p->instruction, mi, subgroup))
      return std::nullopt;
    products = true;
  }
  if (!products && t.reductions.empty())
    return std::nullopt;
  return t;
}

/// The indices `map` gives at the iteration `point`.
static SmallVector<Value> indicesAt(OpBuilder &b, Location loc, AffineMap map,
                                    ArrayRef<Value> point) {
  SmallVector<Value> indices;
  for (unsigned r = 0; r < map.getNumResults(); ++r)
    indices.push_back(
        affine::AffineApplyOp::create(b, loc, map.getSubMap({r}), point));
  return indices;
}

/// The body of `op` (but its yield) cloned at the iteration `point`: an
/// operand's block argument takes `given(operand)` when that is not null,
/// else the operand's element at `point` (a load); linalg.index is the
/// point. Returns the mapping, through which the yield's values are found.
static IRMapping cloneBodyAt(OpBuilder &b, Location loc, linalg::GenericOp op,
                             ArrayRef<Value> point,
                             function_ref<Value(OpOperand &)> given) {
  IRMapping map;
  Block *body = op.getBody();
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = body->getArgument(operand.getOperandNumber());
    if (arg.use_empty())
      continue;
    if (Value v = given(operand)) {
      map.map(arg, v);
      continue;
    }
    map.map(arg, memref::LoadOp::create(
                     b, loc, operand.get(),
                     indicesAt(b, loc, op.getMatchingIndexingMap(&operand),
                               point)));
  }
  for (Operation &s : body->without_terminator()) {
    if (auto idx = dyn_cast<linalg::IndexOp>(&s)) {
      map.map(idx.getResult(), point[idx.getDim()]);
      continue;
    }
    b.clone(s, map);
  }
  return map;
}

/// The (row, col) of the element `map` (one of MatrixInstruction::c) that
/// `lane` holds in the instruction tile at (row0, col0).
static std::pair<Value, Value> elementAt(OpBuilder &b, Location loc,
                                         AffineMap map, Value lane,
                                         int64_t row0, int64_t col0) {
  auto at = [&](unsigned i, int64_t base) -> Value {
    return arith::AddIOp::create(
        b, loc,
        affine::AffineApplyOp::create(b, loc, map.getSubMap({i}),
                                      ValueRange{lane}),
        arith::ConstantIndexOp::create(b, loc, base));
  };
  return {at(0, row0), at(1, col0)};
}

/// A point's row state held by the lanes that hold its rows. A private
/// point buffer with one dim of the FragmentTiles' rows (a row max, a row
/// sum, the rescale factor of the online update) would be kept whole by
/// every lane (einfuse-gpu-map-tiles runs a point's private ops on each
/// lane alike), and read at the lane's rows by the code of the C
/// fragments. Instead, lane l keeps `slots`: [rows / m][layout.slots], the
/// slot s of instruction tile t being row t * m + row(l, s) (the C layout
/// of the target's matrix instruction, RowLayout). Then:
///   - a row reduction of a FragmentTile ends with the lanes' combined
///     partials, which are exactly the slots (no shuffle to every lane);
///   - an elementwise op over such buffers (m_new = max(m, rowmax), the
///     rescaled sum) runs on a lane's slots only;
///   - a product's epilogue or a row reduction reads a row's value from
///     the slot of the C element it computes (no select among rows);
///   - any other reader (the final normalisation, which the lanes spread
///     by output element) gets the whole buffer rebuilt just before it,
///     each row from a lane holding it (one shuffle per row).
/// Upstream's vector distribution does this for vector values; these are
/// bufferized point buffers read by the linalg ops of a tile point, hence
/// this.
struct RowSlots {
  int64_t rows = 0, m = 0;
  RowLayout layout;
  struct Buffer {
    Value slots;     ///< memref<(rows / m) x slots x T>, private
    unsigned rowPos; ///< the dim of the original buffer that is the row
  };
  llvm::DenseMap<Value, Buffer> buffers; ///< by the original's root
  /// Operands whose row a lane reads at the row of a C element it holds.
  llvm::DenseSet<OpOperand *> slotReads;
  /// Ops that become element-by-element code over the slots.
  SmallVector<linalg::LinalgOp> elementwise;
  /// Ops before which the whole buffers they read are rebuilt.
  llvm::MapVector<Operation *, llvm::SetVector<Value>> rebuild;

  const Buffer *lookup(Value buffer) const {
    auto it = buffers.find(rootOf(buffer));
    return it == buffers.end() ? nullptr : &it->second;
  }
  /// The lane's value of `operand` at slot `slot` of the instruction tile
  /// `tile` (an index); null when the operand is not read from its slots.
  Value load(OpBuilder &b, Location loc, OpOperand &operand, Value tile,
             unsigned slot) const {
    const Buffer *s = slotReads.contains(&operand) ? lookup(operand.get())
                                                   : nullptr;
    if (!s)
      return Value();
    return memref::LoadOp::create(
        b, loc, s->slots,
        ValueRange{tile, arith::ConstantIndexOp::create(b, loc, slot)});
  }
};

/// The ops that use `root`, through casts; nullopt when another view of it
/// is taken.
static std::optional<SmallVector<Operation *>> usersThroughCasts(Value root) {
  SmallVector<Operation *> users;
  SmallVector<Value> work{root};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (Operation *u : v.getUsers()) {
      if (auto cast = dyn_cast<memref::CastOp>(u)) {
        work.push_back(cast.getResult());
        continue;
      }
      if (isa<ViewLikeOpInterface>(u))
        return std::nullopt;
      users.push_back(u);
    }
  }
  return users;
}

/// Whether the result of `map` at `pos` is the dim `dim`.
static bool isDimAt(AffineMap map, unsigned pos, unsigned dim) {
  if (pos >= map.getNumResults())
    return false;
  auto d = dyn_cast<AffineDimExpr>(map.getResult(pos));
  return d && d.getPosition() == dim;
}

/// Chooses the point buffers of `tile` that RowSlots holds: after the
/// plans (the FragmentTiles, whose reductions write row buffers) and the
/// products `matched` (whose epilogues read them) are known, before any is
/// rewritten. Every op that writes such a buffer must be one of its row
/// reductions or an elementwise op over such buffers; the rest read.
static void planRowSlots(scf::ForallOp tile, ArrayRef<FragmentTile> plans,
                         MutableArrayRef<Contraction> matched,
                         int64_t subgroup,
                         const llvm::DenseMap<Operation *, unsigned> &readerRow,
                         RowSlots &s) {
  if (plans.empty())
    return;
  const FragmentTile &first = plans.front();
  for (const FragmentTile &t : plans)
    if (t.rows != first.rows || t.instruction.m != first.instruction.m ||
        t.layout.slotOf != first.layout.slotOf ||
        t.layout.source != first.layout.source)
      return;
  s.rows = first.rows;
  s.m = first.instruction.m;
  s.layout = first.layout;
  // The row reductions, by op: {row dim, col dim}.
  llvm::DenseMap<Operation *, unsigned> reductionRow;
  for (const FragmentTile &t : plans)
    for (auto [op, dims] : t.reductions)
      reductionRow[op.getOperation()] = dims.first;
  // The epilogues of products whose C rows are the slots' (the same
  // layout, at most `rows` rows): the epilogue's dim of C's row.
  llvm::DenseMap<Operation *, std::pair<Contraction *, unsigned>>
      epilogueRow;
  // Every epilogue's code is emitted at its product: a rebuild for it goes
  // there.
  llvm::DenseMap<Operation *, Operation *> productOf;
  for (Contraction &c : matched)
    for (linalg::GenericOp ep : c.epilogue)
      productOf[ep.getOperation()] = c.op.getOperation();
  for (Contraction &c : matched) {
    std::optional<RowLayout> l = rowLayout(c.instruction, subgroup);
    if (!l || c.instruction.m != s.m || l->slotOf != s.layout.slotOf ||
        l->source != s.layout.source)
      continue;
    AffineMap outMap = c.op.getMatchingIndexingMap(c.op.getDpsInitOperand(0));
    std::optional<unsigned> rowPos =
        outMap.getResultPosition(getAffineDimExpr(c.m, c.op.getContext()));
    std::optional<SmallVector<int64_t>> shape = boundedShape(rootOf(c.acc));
    if (!rowPos || !shape || (*shape)[*rowPos] > s.rows)
      continue;
    for (linalg::GenericOp ep : c.epilogue)
      for (OpOperand *in : ep.getDpsInputOperands())
        if (in->get() == c.acc)
          if (auto d = dyn_cast<AffineDimExpr>(
                  ep.getMatchingIndexingMap(in).getResult(*rowPos)))
            epilogueRow[ep.getOperation()] = {&c, d.getPosition()};
  }
  // Products whose A is a FragmentTile's C (P V): their A elements are C
  // elements of the plans' layout, so what A's computation reads of a row
  // (the row max of exp(s - max)) comes from the slot of that element.
  llvm::DenseMap<Operation *, Contraction *> fromRegisters;
  for (Contraction &c : matched)
    for (const FragmentTile &t : plans)
      if (llvm::is_contained(c.op.getDpsInputs(), t.acc))
        fromRegisters[c.op.getOperation()] = &c;
  // Candidates: private buffers of one dim of `rows` (the others 1) of a
  // type a shuffle moves.
  llvm::MapVector<Value, std::pair<unsigned, SmallVector<Operation *>>> cand;
  tile.getBody()->walk([&](Operation *op) {
    if (!isa<memref::AllocOp, memref::AllocaOp>(op))
      return;
    Value root = op->getResult(0);
    Type element = cast<MemRefType>(root.getType()).getElementType();
    if (!isPointMemory(root, tile) || !(element.isF32() || element.isF64() ||
                                        element.isInteger(32) ||
                                        element.isInteger(64)))
      return;
    std::optional<SmallVector<int64_t>> shape = boundedShape(root);
    if (!shape)
      return;
    std::optional<unsigned> rowPos;
    for (auto [d, n] : llvm::enumerate(*shape)) {
      if (n == 1)
        continue;
      if (n != s.rows || rowPos)
        return;
      rowPos = d;
    }
    std::optional<SmallVector<Operation *>> users = usersThroughCasts(root);
    if (rowPos && users)
      cand[root] = {*rowPos, std::move(*users)};
  });
  auto rowPosOf = [&](Value buffer) -> std::optional<unsigned> {
    auto it = cand.find(rootOf(buffer));
    if (it == cand.end())
      return std::nullopt;
    return it->second.first;
  };
  // An op over candidates only, element by element along their rows.
  auto elementwise = [&](Operation *op) {
    auto l = dyn_cast<linalg::LinalgOp>(op);
    if (!l || !l.hasPureBufferSemantics() || l.getNumDpsInits() == 0 ||
        l.getNumParallelLoops() != l.getNumLoops() ||
        !l.getBlock()->getOps<linalg::IndexOp>().empty() ||
        llvm::any_of(l.getBlock()->without_terminator(),
                     [](Operation &b) { return !isMemoryEffectFree(&b); }))
      return false;
    std::optional<unsigned> dim;
    for (OpOperand &o : op->getOpOperands()) {
      if (!isa<MemRefType>(o.get().getType()))
        continue;
      std::optional<unsigned> pos = rowPosOf(o.get());
      AffineMap map = l.getMatchingIndexingMap(&o);
      if (!pos || *pos >= map.getNumResults())
        return false;
      auto d = dyn_cast<AffineDimExpr>(map.getResult(*pos));
      if (!d || (dim && *dim != d.getPosition()))
        return false;
      dim = d.getPosition();
      for (AffineExpr e : map.getResults())
        if (!isa<AffineDimExpr, AffineConstantExpr>(e))
          return false;
    }
    return dim.has_value();
  };
  // Whether `op` may write the candidate `root`.
  auto writerFits = [&](Operation *op, Value root) {
    auto it = reductionRow.find(op);
    if (it != reductionRow.end()) {
      auto g = cast<linalg::GenericOp>(op);
      OpOperand *init = g.getDpsInitOperand(0);
      return rootOf(init->get()) == root &&
             isDimAt(g.getMatchingIndexingMap(init), cand[root].first,
                     it->second);
    }
    return elementwise(op);
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = cand.begin(); it != cand.end(); ++it) {
      Value root = it->first;
      bool fits = true;
      for (Operation *u : it->second.second) {
        if (isa<memref::DimOp, memref::DeallocOp>(u))
          continue;
        std::optional<SmallVector<Value>> written = writtenRoots(u);
        if (!written || (llvm::is_contained(*written, root) &&
                         !writerFits(u, root))) {
          fits = false;
          break;
        }
      }
      if (!fits) {
        cand.erase(it);
        changed = true;
        break;
      }
    }
  }
  if (cand.empty())
    return;
  // The slots, and how each user takes them.
  OpBuilder b = OpBuilder::atBlockBegin(tile.getBody());
  for (auto &[root, entry] : cand) {
    Type element = cast<MemRefType>(root.getType()).getElementType();
    s.buffers[root] = {
        memref::AllocaOp::create(
            b, root.getLoc(),
            MemRefType::get({s.rows / s.m, int64_t(s.layout.slots)}, element)),
        entry.first};
  }
  llvm::SetVector<Operation *> users;
  for (auto &[root, entry] : cand)
    users.insert(entry.second.begin(), entry.second.end());
  for (Operation *u : users) {
    if (isa<memref::DimOp, memref::DeallocOp>(u))
      continue;
    if (elementwise(u)) {
      s.elementwise.push_back(cast<linalg::LinalgOp>(u));
      continue;
    }
    // A reader: from the slots where it reads at the row of a C element,
    // else from the buffer rebuilt before it (before the product, for an
    // epilogue).
    Operation *at = productOf.lookup(u) ? productOf.lookup(u) : u;
    std::optional<unsigned> row;
    if (auto it = reductionRow.find(u); it != reductionRow.end())
      row = it->second;
    if (auto it = readerRow.find(u); it != readerRow.end())
      row = it->second;
    if (auto it = epilogueRow.find(u); it != epilogueRow.end()) {
      row = it->second.second;
      at = it->second.first->op;
    }
    Contraction *product = fromRegisters.lookup(u);
    if (product)
      row = product->m;
    auto l = dyn_cast<linalg::LinalgOp>(u);
    for (OpOperand &o : u->getOpOperands()) {
      std::optional<unsigned> pos = rowPosOf(o.get());
      if (!pos)
        continue;
      // A product reads it in A's computation only.
      bool inA = true;
      if (product) {
        BlockArgument arg = product->op.getMatchingBlockArgument(&o);
        for (Operation *user : arg.getUsers())
          inA &= llvm::is_contained(product->xSlice, user);
      }
      if (l && row && inA && !l.isDpsInit(&o) &&
          isDimAt(l.getMatchingIndexingMap(&o), *pos, *row)) {
        s.slotReads.insert(&o);
        continue;
      }
      if (!l || !l.isDpsInit(&o))
        s.rebuild[at].insert(rootOf(o.get()));
    }
  }
}

/// The ops RowSlots turns element-by-element over the slots, and the whole
/// buffers rebuilt before their other readers (before the products and
/// reductions are rewritten: those read and write the slots themselves,
/// and a rebuild before one stays before its code).
static void emitRowSlots(RowSlots &s, int64_t subgroup) {
  for (linalg::LinalgOp op : s.elementwise) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Block *body = op.getBlock();
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    for (int64_t t = 0; t < s.rows / s.m; ++t)
      for (unsigned slot = 0; slot < s.layout.slots; ++slot) {
        Value tIndex = arith::ConstantIndexOp::create(b, loc, t);
        Value sIndex = arith::ConstantIndexOp::create(b, loc, slot);
        IRMapping map;
        for (OpOperand &o : op->getOpOperands()) {
          BlockArgument arg = op.getMatchingBlockArgument(&o);
          if (!arg || arg.use_empty())
            continue;
          if (const RowSlots::Buffer *slots = s.lookup(o.get()))
            map.map(arg, memref::LoadOp::create(b, loc, slots->slots,
                                                ValueRange{tIndex, sIndex}));
          else
            map.map(arg, o.get());
        }
        for (Operation &inner : body->without_terminator())
          b.clone(inner, map);
        for (auto [v, init] :
             llvm::zip(yield.getOperands(), op.getDpsInitsMutable()))
          memref::StoreOp::create(b, loc, map.lookupOrDefault(v),
                                  s.lookup(init.get())->slots,
                                  ValueRange{tIndex, sIndex});
      }
    op->erase();
  }
  s.elementwise.clear();
  for (auto &[at, roots] : s.rebuild) {
    OpBuilder b(at);
    Location loc = at->getLoc();
    Type i32 = b.getI32Type();
    Value width = arith::ConstantIntOp::create(b, loc, i32, subgroup);
    for (Value root : roots) {
      const RowSlots::Buffer &slots = s.buffers.find(root)->second;
      auto type = cast<MemRefType>(root.getType());
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value extent;
      if (type.isDynamicDim(slots.rowPos))
        extent = memref::DimOp::create(b, loc, root, slots.rowPos);
      for (int64_t r = 0; r < s.rows; ++r) {
        auto [lane, slot] = s.layout.source[r % s.m];
        Value own = memref::LoadOp::create(
            b, loc, slots.slots,
            ValueRange{arith::ConstantIndexOp::create(b, loc, r / s.m),
                       arith::ConstantIndexOp::create(b, loc, slot)});
        Value v = mlir::gpu::ShuffleOp::create(
                      b, loc, own,
                      arith::ConstantIntOp::create(b, loc, i32, lane), width,
                      mlir::gpu::ShuffleMode::IDX)
                      .getShuffleResult();
        SmallVector<Value> indices(type.getRank(), zero);
        indices[slots.rowPos] = arith::ConstantIndexOp::create(b, loc, r);
        OpBuilder::InsertionGuard guard(b);
        if (extent) {
          auto inside = scf::IfOp::create(
              b, loc,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                    indices[slots.rowPos], extent),
              false);
          b.setInsertionPointToStart(inside.thenBlock());
        }
        memref::StoreOp::create(b, loc, v, root, indices);
      }
    }
  }
}

/// Erases the buffers RowSlots replaced that nothing reads whole any more
/// (after the products and reductions were rewritten).
static void eraseDeadView(Operation *op) {
  for (Operation *u : llvm::make_early_inc_range(op->getUsers()))
    if (isa<memref::CastOp, memref::DeallocOp>(u))
      eraseDeadView(u);
  if (op->use_empty())
    op->erase();
}

static void finishRowSlots(const RowSlots &s) {
  for (auto &[root, slots] : s.buffers) {
    std::optional<SmallVector<Operation *>> users = usersThroughCasts(root);
    if (users && llvm::all_of(*users, [](Operation *u) {
          return isa<memref::DeallocOp>(u);
        }))
      eraseDeadView(root.getDefiningOp());
  }
}
/// A point buffer of [rows][cols] (the others 1) that lives in the lanes'
/// registers across the key loop, in the C layout of the products that
/// update it: attention's output state, which P V's epilogue rescales and
/// accumulates (O = O * alpha + P V) element by element. Without this it
/// goes to workgroup memory (every lane's elements meet there for the
/// normalisation), with a load, a store and two barriers per key tile.
/// Here a lane keeps its elements ([tile][element], as FragmentTile), the
/// fills before the loop write them, the epilogue reads and writes them,
/// and each elementwise op reading the state afterwards (the
/// normalisation into the kernel's output) runs on the lane's elements,
/// masked at the run-time sizes.
struct FragmentState {
  Value root;
  Value buffer; ///< memref<tiles x elements x f32>
  unsigned rowPos = 0, colPos = 0;
  int64_t rows = 0, cols = 0;
  einfuse::gpu::MatrixInstruction instruction;
  SmallVector<linalg::LinalgOp> fills;
  /// Elementwise readers after the loop, with their {row dim, col dim}.
  SmallVector<std::pair<linalg::LinalgOp, std::pair<unsigned, unsigned>>>
      readers;
};

/// Whether `a` and `b` place C's elements alike (lane by lane).
static bool sameLayout(const einfuse::gpu::MatrixInstruction &a,
                       const einfuse::gpu::MatrixInstruction &b) {
  return a.m == b.m && a.n == b.n && a.c == b.c;
}

/// The dims of `map` at `rowPos` and `colPos`; nullopt unless both are
/// dims.
static std::optional<std::pair<unsigned, unsigned>>
dimsAt(AffineMap map, unsigned rowPos, unsigned colPos) {
  if (rowPos >= map.getNumResults() || colPos >= map.getNumResults())
    return std::nullopt;
  auto r = dyn_cast<AffineDimExpr>(map.getResult(rowPos));
  auto c = dyn_cast<AffineDimExpr>(map.getResult(colPos));
  if (!r || !c)
    return std::nullopt;
  return std::make_pair(r.getPosition(), c.getPosition());
}

/// An elementwise LinalgOp: all loops parallel, no linalg.index, a pure
/// body.
static bool isElementwiseLinalg(linalg::LinalgOp l) {
  return l && l.hasPureBufferSemantics() && l.getNumDpsInits() > 0 &&
         l.getNumParallelLoops() == l.getNumLoops() &&
         l.getBlock()->getOps<linalg::IndexOp>().empty() &&
         llvm::all_of(l.getBlock()->without_terminator(),
                      [](Operation &b) { return isMemoryEffectFree(&b); });
}

/// The output states of `tile` that stay in registers (FragmentState),
/// where the FragmentTiles `plans` give the layout (the scores are in
/// registers: P V's A). Their roots join `inRegisters`, so that matching
/// no longer promotes them to workgroup memory.
static SmallVector<FragmentState, 1>
planStates(scf::ForallOp tile, ArrayRef<linalg::GenericOp> ops,
           ArrayRef<FragmentTile> plans,
           const einfuse::gpu::GPUTargetInfo &target,
           llvm::DenseSet<Value> &inRegisters) {
  SmallVector<FragmentState, 1> states;
  if (plans.empty())
    return states;
  const einfuse::gpu::MatrixInstruction &mi = plans.front().instruction;
  int64_t rows = plans.front().rows;
  for (linalg::GenericOp op : ops) {
    SmallVector<Value> scratch;
    FailureOr<Contraction> c = match(op, tile, target, &scratch, &inRegisters);
    if (failed(c) || !sameLayout(c->instruction, mi))
      continue;
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    std::optional<unsigned> accRow =
        outMap.getResultPosition(getAffineDimExpr(c->m, op.getContext()));
    std::optional<unsigned> accCol =
        outMap.getResultPosition(getAffineDimExpr(c->n, op.getContext()));
    if (!accRow || !accCol)
      continue;
    for (linalg::GenericOp ep : c->epilogue) {
      AffineMap accMap;
      for (OpOperand *in : ep.getDpsInputOperands())
        if (in->get() == c->acc)
          accMap = ep.getMatchingIndexingMap(in);
      std::optional<std::pair<unsigned, unsigned>> epDims =
          accMap ? dimsAt(accMap, *accRow, *accCol) : std::nullopt;
      if (!epDims)
        continue;
      for (OpOperand &init : ep.getDpsInitsMutable()) {
        Value root = rootOf(init.get());
        std::optional<SmallVector<int64_t>> shape =
            isPointMemory(root, tile) ? boundedShape(root) : std::nullopt;
        if (!shape || !cast<MemRefType>(root.getType()).getElementType().isF32())
          continue;
        FragmentState s;
        s.root = root;
        s.instruction = mi;
        s.rows = rows;
        std::optional<unsigned> rowPos, colPos;
        bool ok = true;
        for (auto [d, n] : llvm::enumerate(*shape)) {
          if (n == 1)
            continue;
          if (!rowPos && n == rows)
            rowPos = d;
          else if (!colPos)
            colPos = d;
          else
            ok = false;
        }
        if (!ok || !rowPos || !colPos)
          continue;
        s.rowPos = *rowPos;
        s.colPos = *colPos;
        s.cols = (*shape)[*colPos];
        if (s.cols % mi.n ||
            (rows / mi.m) * (s.cols / mi.n) * int64_t(mi.c.size()) > 64)
          continue;
        // The epilogue writes and reads it at C's element.
        if (dimsAt(ep.getMatchingIndexingMap(&init), s.rowPos, s.colPos) !=
            epDims)
          continue;
        std::optional<SmallVector<Operation *>> users = usersThroughCasts(root);
        if (!users)
          continue;
        for (Operation *u : *users) {
          if (u == ep.getOperation()) {
            for (OpOperand *in : ep.getDpsInputOperands())
              if (rootOf(in->get()) == root &&
                  dimsAt(ep.getMatchingIndexingMap(in), s.rowPos, s.colPos) !=
                      epDims)
                ok = false;
            continue;
          }
          auto l = dyn_cast<linalg::LinalgOp>(u);
          if (!isElementwiseLinalg(l) ||
              (!isa<linalg::GenericOp>(u) &&
               !llvm::any_of(l.getDpsInits(),
                             [&](Value v) { return rootOf(v) == root; }))) {
            ok = false;
            break;
          }
          bool writes = llvm::any_of(l.getDpsInits(), [&](Value v) {
            return rootOf(v) == root;
          });
          if (writes) {
            // A fill: nothing read, only this written.
            if (l.getNumDpsInputs() != 0 || l.getNumDpsInits() != 1)
              ok = false;
            else
              s.fills.push_back(l);
            continue;
          }
          // A reader into the kernel's buffers (not the point's).
          std::optional<std::pair<unsigned, unsigned>> dims;
          for (OpOperand &o : u->getOpOperands()) {
            if (!isa<MemRefType>(o.get().getType()))
              continue;
            if (l.isDpsInit(&o) &&
                (isPointMemory(o.get(), tile) || isWorkgroupBuffer(o.get())))
              ok = false;
            if (rootOf(o.get()) != root)
              continue;
            auto d = dimsAt(l.getMatchingIndexingMap(&o), s.rowPos, s.colPos);
            if (!d || (dims && dims != d))
              ok = false;
            dims = d;
          }
          if (!ok || !dims)
            break;
          s.readers.push_back({l, *dims});
        }
        if (!ok || s.fills.empty() ||
            llvm::any_of(states, [&](const FragmentState &o) {
              return o.root == root;
            }))
          continue;
        inRegisters.insert(root);
        states.push_back(std::move(s));
      }
    }
  }
  return states;
}

/// The FragmentState of `buffer`'s root, if any.
static const FragmentState *stateOf(ArrayRef<FragmentState> states,
                                    Value buffer) {
  Value root = rootOf(buffer);
  for (const FragmentState &s : states)
    if (s.root == root)
      return &s;
  return nullptr;
}

/// The fills of the states, each lane's elements; then (after the row
/// state's plan, whose slots the readers read) their readers, element by
/// element of each lane, masked at the run-time sizes.
static void emitStateFills(ArrayRef<FragmentState> states) {
  for (const FragmentState &s : states)
    for (linalg::LinalgOp fill : s.fills) {
      OpBuilder b(fill);
      Location loc = fill.getLoc();
      auto yield = cast<linalg::YieldOp>(fill.getBlock()->getTerminator());
      int64_t tiles = (s.rows / s.instruction.m) * (s.cols / s.instruction.n);
      for (int64_t t = 0; t < tiles; ++t)
        for (size_t e = 0; e < s.instruction.c.size(); ++e) {
          IRMapping map;
          for (Operation &inner : fill.getBlock()->without_terminator())
            b.clone(inner, map);
          memref::StoreOp::create(
              b, loc, map.lookupOrDefault(yield.getOperand(0)), s.buffer,
              ValueRange{arith::ConstantIndexOp::create(b, loc, t),
                         arith::ConstantIndexOp::create(b, loc, e)});
        }
      fill->erase();
    }
}

static void emitStateReaders(ArrayRef<FragmentState> states,
                             const RowSlots &slots) {
  for (const FragmentState &s : states)
    for (auto [reader, dims] : s.readers) {
      OpBuilder b(reader);
      Location loc = reader.getLoc();
      const einfuse::gpu::MatrixInstruction &mi = s.instruction;
      SmallVector<Value> sizes;
      for (Range r : reader.createLoopRanges(b, loc))
        sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value lane = mlir::gpu::LaneIdOp::create(b, loc, nullptr);
      auto yield = cast<linalg::YieldOp>(reader.getBlock()->getTerminator());
      int64_t perRow = s.cols / mi.n;
      for (int64_t mt = 0; mt < s.rows / mi.m; ++mt)
        for (int64_t nt = 0; nt < perRow; ++nt)
          for (auto [e, cmap] : llvm::enumerate(mi.c)) {
            auto [r, col] =
                elementAt(b, loc, cmap, lane, mt * mi.m, nt * mi.n);
            Value inside = arith::AndIOp::create(
                b, loc,
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, r,
                                      sizes[dims.first]),
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col,
                                      sizes[dims.second]));
            OpBuilder::InsertionGuard guard(b);
            auto guarded = scf::IfOp::create(b, loc, inside, false);
            b.setInsertionPointToStart(guarded.thenBlock());
            SmallVector<Value> point(reader.getNumLoops(), zero);
            point[dims.first] = r;
            point[dims.second] = col;
            Value tIndex =
                arith::ConstantIndexOp::create(b, loc, mt * perRow + nt);
            unsigned slot = slots.layout.slotOf.empty()
                                ? 0
                                : slots.layout.slotOf[e];
            Value mtIndex = arith::ConstantIndexOp::create(b, loc, mt);
            size_t element = e;
            IRMapping map = cloneBodyAt(
                b, loc, cast<linalg::GenericOp>(reader.getOperation()), point,
                [&](OpOperand &o) -> Value {
                  if (stateOf(states, o.get()) == &s)
                    return memref::LoadOp::create(
                        b, loc, s.buffer,
                        ValueRange{tIndex, arith::ConstantIndexOp::create(
                                               b, loc, element)});
                  if (!slots.layout.slotOf.empty())
                    return slots.load(b, loc, o, mtIndex, slot);
                  return Value();
                });
            for (auto [v, init] :
                 llvm::zip(yield.getOperands(), reader.getDpsInitsMutable()))
              memref::StoreOp::create(
                  b, loc, map.lookupOrDefault(v), init.get(),
                  indicesAt(b, loc, reader.getMatchingIndexingMap(&init),
                            point));
          }
      reader->erase();
    }
}

/// Rewrites the row reduction `op` of the FragmentTile `t` (its `row` and
/// `col` loop dims) in place: each lane reduces its own elements of each
/// row it holds (a slot), the lanes holding a row combine theirs (xor
/// shuffles), and every lane then takes each row's result from a lane
/// holding it, so that each lane's copy of the row buffer is whole, as
/// einfuse-gpu-map-tiles keeps private buffers. A partial tile (the run-time
/// sizes below the bounds) masks the elements outside it.
static void rewriteRowReduction(linalg::GenericOp op, const FragmentTile &t,
                                unsigned rowDim, unsigned colDim,
                                int64_t subgroup, const RowSlots &slots) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto combiner = *einfuse::matchCombiner(op);
  vector::CombiningKind kind = mlir::gpu::convertReductionKind(combiner.first);
  const einfuse::gpu::MatrixInstruction &mi = t.instruction;
  SmallVector<Value> sizes;
  for (Range r : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value lane = mlir::gpu::LaneIdOp::create(b, loc, /*upper_bound=*/nullptr);
  Type i32 = b.getI32Type();
  Value width = arith::ConstantIntOp::create(b, loc, i32, subgroup);
  Value lastRow = arith::SubIOp::create(b, loc, sizes[rowDim], one);
  Value lastCol = arith::SubIOp::create(b, loc, sizes[colDim], one);
  OpOperand *outOperand = op.getDpsInitOperand(0);
  Value out = outOperand->get();
  AffineMap outMap = op.getMatchingIndexingMap(outOperand);
  int64_t tilesPerRow = t.cols / mi.n;
  auto emit = [&](bool masked) {
    Value neutral = arith::ConstantOp::create(b, loc, combiner.second);
    SmallVector<SmallVector<Value>> partial(
        t.rows / mi.m, SmallVector<Value>(t.layout.slots, neutral));
    for (int64_t mt = 0; mt < t.rows / mi.m; ++mt)
      for (int64_t nt = 0; nt < tilesPerRow; ++nt)
        for (auto [e, map] : llvm::enumerate(mi.c)) {
          auto [r, col] = elementAt(b, loc, map, lane, mt * mi.m, nt * mi.n);
          SmallVector<Value> point(op.getNumLoops(), zero);
          point[rowDim] = masked ? Value(arith::MinUIOp::create(b, loc, r, lastRow)) : r;
          point[colDim] = masked ? Value(arith::MinUIOp::create(b, loc, col, lastCol)) : col;
          Value value = memref::LoadOp::create(
              b, loc, t.buffer,
              ValueRange{arith::ConstantIndexOp::create(b, loc, mt * tilesPerRow + nt),
                         arith::ConstantIndexOp::create(b, loc, e)});
          Value &acc = partial[mt][t.layout.slotOf[e]];
          Value tileIndex = arith::ConstantIndexOp::create(b, loc, mt);
          unsigned slot = t.layout.slotOf[e];
          IRMapping mapping =
              cloneBodyAt(b, loc, op, point, [&](OpOperand &operand) {
                if (&operand == outOperand)
                  return acc;
                if (operand.get() == t.acc)
                  return value;
                return slots.load(b, loc, operand, tileIndex, slot);
              });
          Value next = mapping.lookupOrDefault(
              op.getBody()->getTerminator()->getOperand(0));
          if (masked) {
            Value inside = arith::AndIOp::create(
                b, loc,
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, r,
                                      sizes[rowDim]),
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col,
                                      sizes[colDim]));
            next = arith::SelectOp::create(b, loc, inside, next, acc);
          }
          acc = next;
        }
    // The lanes holding a row combine their parts, then every lane takes
    // each row's from one of them.
    for (SmallVector<Value> &slots : partial)
      for (Value &v : slots)
        for (int64_t bit : t.layout.bits) {
          Value other =
              mlir::gpu::ShuffleOp::create(
                  b, loc, v, arith::ConstantIntOp::create(b, loc, i32, bit),
                  width, mlir::gpu::ShuffleMode::XOR)
                  .getShuffleResult();
          v = vector::makeArithReduction(b, loc, kind, v, other);
        }
    // Row state in slots: the lanes' combined parts are its slots.
    if (const RowSlots::Buffer *own = slots.lookup(out)) {
      for (auto [mt, parts] : llvm::enumerate(partial))
        for (auto [slot, v] : llvm::enumerate(parts)) {
          SmallVector<Value> at{arith::ConstantIndexOp::create(b, loc, mt),
                                arith::ConstantIndexOp::create(b, loc, slot)};
          Value old = memref::LoadOp::create(b, loc, own->slots, at);
          memref::StoreOp::create(
              b, loc, vector::makeArithReduction(b, loc, kind, old, v),
              own->slots, at);
        }
      return;
    }
    for (int64_t r = 0; r < t.rows; ++r) {
      auto [src, slot] = t.layout.source[r % mi.m];
      Value v = mlir::gpu::ShuffleOp::create(
                    b, loc, partial[r / mi.m][slot],
                    arith::ConstantIntOp::create(b, loc, i32, src), width,
                    mlir::gpu::ShuffleMode::IDX)
                    .getShuffleResult();
      SmallVector<Value> point(op.getNumLoops(), zero);
      point[rowDim] = arith::ConstantIndexOp::create(b, loc, r);
      OpBuilder::InsertionGuard guard(b);
      if (masked) {
        Value inside = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::ult, point[rowDim], sizes[rowDim]);
        auto guarded = scf::IfOp::create(b, loc, inside, false);
        b.setInsertionPointToStart(guarded.thenBlock());
      }
      SmallVector<Value> at = indicesAt(b, loc, outMap, point);
      Value old = memref::LoadOp::create(b, loc, out, at);
      memref::StoreOp::create(
          b, loc, vector::makeArithReduction(b, loc, kind, old, v), out, at);
    }
  };
  // A whole tile (the run-time sizes at the bounds) needs no masks.
  Value full;
  for (auto [d, bound] : {std::make_pair(rowDim, t.rows),
                          std::make_pair(colDim, t.cols)}) {
    if (getConstantIntValue(sizes[d]) == bound)
      continue;
    Value at = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                     sizes[d], arith::ConstantIndexOp::create(b, loc, bound));
    full = full ? arith::AndIOp::create(b, loc, full, at) : at;
  }
  if (!full) {
    emit(/*masked=*/false);
  } else {
    auto version = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(version.thenBlock());
    emit(/*masked=*/false);
    b.setInsertionPointToStart(version.elseBlock());
    emit(/*masked=*/true);
  }
  op.erase();
}

/// A factor of a contraction that is an element of a workgroup buffer as
/// it is stored (widened at most: extf), of the instruction's operand
/// type, at indices that are the loop dims themselves, its innermost dim
/// of stride 1 being K or the factor's free dim and its rows 16-byte
/// aligned: what a fragment load (ldmatrix) reads.
struct DirectOperand {
  Value buffer;
  AffineMap map;
  bool kContiguous;
};
/// Whether the offset of the view `v` (in elements) is a multiple of
/// `align` whatever its run-time offsets: a static one that is, or a
/// subview of such a view whose offsets each fall on a dim of a stride
/// `align` divides (a point's own buffer of several, GPUShareTiles.cpp) or
/// are constants that keep it.
static bool offsetAligned(Value v, int64_t align) {
  auto type = cast<MemRefType>(v.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  if (!ShapedType::isDynamic(offset))
    return offset % align == 0;
  if (auto cast = v.getDefiningOp<memref::CastOp>())
    return offsetAligned(cast.getSource(), align);
  auto sub = v.getDefiningOp<memref::SubViewOp>();
  SmallVector<int64_t> sourceStrides;
  int64_t sourceOffset;
  if (!sub || failed(sub.getSourceType().getStridesAndOffset(sourceStrides,
                                                             sourceOffset)) ||
      !offsetAligned(sub.getSource(), align))
    return false;
  for (auto [at, stride] :
       llvm::zip(sub.getMixedOffsets(), sourceStrides)) {
    if (ShapedType::isDynamic(stride))
      return false;
    std::optional<int64_t> c = getConstantIntValue(at);
    if (c ? (*c * stride) % align != 0 : stride % align != 0)
      return false;
  }
  return true;
}

/// A staging copy into a padded workgroup buffer (its rows no longer one
/// contiguous run, so einfuse-gpu-map-tiles would spread it over one row at
/// a time: 2 elements a lane at a head dim of 64) as 16-byte chunks over
/// the whole tile: chunk f of the rows x (row / chunk) is row f / cpr's
/// (f mod cpr)-th, and `lanes` threads (the point's lanes, or the block's
/// threads for a copy its points share: `block`) take f = j, j + lanes, ...
/// Each chunk is a vector load and store (an asynchronous copy after
/// einfuse-gpu-target-hooks). The source's rows must start 16-byte
/// aligned, which only its run-time addresses show: otherwise the copy
/// stays as it was.
static void chunkStagedCopy(linalg::CopyOp copy, int64_t lanes, bool block) {
  Value src = copy.getInputs()[0], dst = copy.getOutputs()[0];
  auto from = dyn_cast<MemRefType>(src.getType());
  auto to = dyn_cast<MemRefType>(dst.getType());
  if (!from || !to || from.getRank() < 2 || to.getRank() != from.getRank() ||
      !isWorkgroupBuffer(dst) || !from.getElementType().isIntOrFloat())
    return;
  int64_t rank = from.getRank();
  unsigned bits = from.getElementType().getIntOrFloatBitWidth();
  if (bits % 8 != 0 || 16 % (bits / 8) != 0)
    return;
  int64_t bytes = bits / 8, width = 16 / bytes;
  int64_t row = from.getDimSize(rank - 1);
  SmallVector<int64_t> strides;
  int64_t offset;
  if (ShapedType::isDynamic(row) || row % width != 0 ||
      to.getDimSize(rank - 1) != row ||
      failed(to.getStridesAndOffset(strides, offset)) || strides.back() != 1 ||
      !offsetAligned(dst, width))
    return;
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (ShapedType::isDynamic(strides[d]) || strides[d] % width != 0)
      return;
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  // The source's rows start 16-byte aligned and its row is contiguous.
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, src);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, src);
  Value start = arith::AddIOp::create(
      b, loc, base, arith::MulIOp::create(b, loc, meta.getOffset(), cst(bytes)));
  auto isZero = [&](Value v) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, v, cst(0))
        .getResult();
  };
  Value aligned = isZero(arith::RemUIOp::create(b, loc, start, cst(16)));
  aligned = arith::AndIOp::create(
      b, loc, aligned,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                            meta.getStrides().back(), cst(1)));
  for (int64_t d = 0; d + 1 < rank; ++d)
    aligned = arith::AndIOp::create(
        b, loc, aligned,
        isZero(arith::RemUIOp::create(
            b, loc,
            arith::MulIOp::create(b, loc, meta.getStrides()[d], cst(bytes)),
            cst(16))));
  auto version = scf::IfOp::create(b, loc, aligned, /*withElseRegion=*/true);
  copy->moveBefore(version.elseBlock()->getTerminator());
  b.setInsertionPoint(version.thenBlock()->getTerminator());
  Value lane = block ? mlir::gpu::ThreadIdOp::create(b, loc,
                                                     mlir::gpu::Dimension::x)
                           .getResult()
                     : mlir::gpu::LaneIdOp::create(b, loc, nullptr).getResult();
  SmallVector<Value> basis;
  Value total = cst(row / width);
  for (int64_t d = 0; d + 1 < rank; ++d) {
    Value size = memref::DimOp::create(b, loc, src, d);
    basis.push_back(size);
    total = arith::MulIOp::create(b, loc, total, size);
  }
  basis.push_back(cst(row / width));
  auto loop = scf::ForOp::create(b, loc, lane, total, cst(lanes));
  b.setInsertionPoint(loop.getBody()->getTerminator());
  auto at = affine::AffineDelinearizeIndexOp::create(
      b, loc, loop.getInductionVar(), basis, /*hasOuterBound=*/true);
  SmallVector<Value> indices(at.getResults().begin(), at.getResults().end());
  indices.back() = arith::MulIOp::create(b, loc, indices.back(), cst(width));
  auto type = VectorType::get({width}, from.getElementType());
  Value chunk = vector::LoadOp::create(b, loc, type, src, indices,
                                       /*nontemporal=*/false,
                                       llvm::MaybeAlign(16));
  vector::StoreOp::create(b, loc, chunk, dst, indices, /*nontemporal=*/false,
                          llvm::MaybeAlign(16));
}

static std::optional<DirectOperand>
directOperand(linalg::GenericOp op, Value factor, ArrayRef<Operation *> slice,
              Type type, unsigned k, unsigned free) {
  Value root = factor;
  while (auto ext = root.getDefiningOp<arith::ExtFOp>())
    root = ext.getIn();
  auto arg = dyn_cast<BlockArgument>(root);
  if (!arg || arg.getOwner() != op.getBody() || arg.getType() != type ||
      type.getIntOrFloatBitWidth() != 16 ||
      !llvm::all_of(slice, [](Operation *s) { return isa<arith::ExtFOp>(s); }))
    return std::nullopt;
  OpOperand &in = op->getOpOperand(arg.getArgNumber());
  if (!op.isDpsInput(&in) || !isWorkgroupBuffer(in.get()))
    return std::nullopt;
  auto memref = cast<MemRefType>(in.get().getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (memref.getRank() < 2 ||
      failed(memref.getStridesAndOffset(strides, offset)) ||
      !offsetAligned(in.get(), 8))
    return std::nullopt;
  AffineMap map = op.getMatchingIndexingMap(&in);
  int64_t last = memref.getRank() - 1;
  std::optional<int64_t> kAt, freeAt;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d)
      return std::nullopt;
    if (d.getPosition() == k)
      kAt = i;
    else if (d.getPosition() == free)
      freeAt = i;
  }
  if (!kAt || !freeAt || strides[last] != 1 ||
      (*kAt != last && *freeAt != last))
    return std::nullopt;
  // Every row of 8 elements starts 16-byte aligned.
  for (int64_t i = 0; i < last; ++i)
    if (ShapedType::isDynamic(strides[i]) || strides[i] % 8 != 0)
      return std::nullopt;
  return DirectOperand{in.get(), map, *kAt == last};
}

/// Builds the subgroup's loops over its matrix-instruction tiles in place
/// of `c.op`, `columns` columns of C at a time.
/// With `whole`, the contraction is one of a point's several products
/// (attention's key tile, its buffers in workgroup memory): its loops run
/// to the constant bounds of run-time sizes (a key tile is at most the
/// tile; masks keep the run-time sizes), C's columns are all in registers
/// at once (so each A element is computed once: a probability of P V is
/// an exp) and the K loop is unrolled, so that the compiler keeps the
/// fragments in registers and hoists loads that do not change from tile
/// to tile (Q's).
/// With `out`, C stays in the lanes' registers (its FragmentTile's
/// buffer); a factor read from a buffer of `registers` reads the lane's
/// own elements of it.
static void
rewrite(Contraction &c, int64_t columns, int64_t kSplit, int64_t subgroup,
        bool whole, FragmentTile *out = nullptr,
        const llvm::DenseMap<Value, FragmentTile *> *registers = nullptr,
        const RowSlots *slots = nullptr,
        ArrayRef<FragmentState> states = {}) {
  linalg::GenericOp op = c.op;
  const einfuse::gpu::MatrixInstruction &mi = c.instruction;
  // A (the only factor planRegisters lets read one) from a FragmentTile.
  FragmentTile *fromTile = nullptr;
  BlockArgument fromArg;
  SmallVector<std::pair<int64_t, size_t>> fromC;
  if (registers)
    for (OpOperand *in : op.getDpsInputOperands())
      if (FragmentTile *t = registers->lookup(in->get())) {
        fromTile = t;
        fromArg = op.getBody()->getArgument(in->getOperandNumber());
        fromC = *operandFromAccumulator(mi, t->instruction, subgroup);
      }
  for (linalg::GenericOp e : c.epilogue)
    (void)hoistOperands(e, op, /*apply=*/true);
  OpBuilder b(op);
  Location loc = op.getLoc();
  Type type = mi.operandType;
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value zero = index(0), one = index(1);
  Value lane = mlir::gpu::LaneIdOp::create(b, loc, /*upper_bound=*/nullptr);
  SmallVector<Value> sizes;
  for (Range r : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  // The loops' bounds.
  SmallVector<Value> bounds(sizes);
  Value nonEmpty;
  if (whole)
    for (unsigned d : {c.m, c.n, c.k}) {
      if (getConstantIntValue(sizes[d]))
        continue;
      std::optional<int64_t> bound = einfuse::constantUpperBound(sizes[d]);
      if (!bound || *bound < 1)
        continue;
      bounds[d] = index(*bound);
      Value some = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                         sizes[d], zero);
      nonEmpty = nonEmpty ? arith::AndIOp::create(b, loc, nonEmpty, some)
                          : some;
    }
  int64_t fragments = std::max<int64_t>(1, columns / mi.n);
  if (std::optional<int64_t> n = getConstantIntValue(bounds[c.n]);
      whole && n)
    fragments = std::clamp<int64_t>(llvm::divideCeil(*n, mi.n), 1, 16);
  // Whether the bounds are whole instruction tiles: a product at them
  // needs no edge masks.
  auto multiple = [&](unsigned d, int64_t of) {
    std::optional<int64_t> n = getConstantIntValue(bounds[d]);
    return n && *n % of == 0;
  };
  bool aligned = multiple(c.m, mi.m) && multiple(c.n, mi.n * fragments) &&
                 multiple(c.k, mi.k * kSplit);
  // The product, at `sizes` (the run-time sizes, or the bounds).
  auto emit = [&](SmallVector<Value> sizes, bool masked) {
  Value lastM = arith::SubIOp::create(b, loc, sizes[c.m], one);
  Value lastN = arith::SubIOp::create(b, loc, sizes[c.n], one);
  Value lastK = arith::SubIOp::create(b, loc, sizes[c.k], one);
  // A lane's coordinates in each fragment: functions of the lane only.
  auto coordinates = [&](ArrayRef<AffineMap> maps) {
    SmallVector<std::pair<Value, Value>> at;
    for (AffineMap map : maps)
      at.push_back({affine::AffineApplyOp::create(b, loc, map.getSubMap({0}),
                                                  ValueRange{lane}),
                    affine::AffineApplyOp::create(b, loc, map.getSubMap({1}),
                                                  ValueRange{lane})});
    return at;
  };
  auto aAt = coordinates(mi.a), bAt = coordinates(mi.b), cAt = coordinates(mi.c);
  Value zeroT = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0));

  // Loops over the dims the instruction does not cover (a batch).
  SmallVector<Value> ivs(op.getNumLoops(), zero);
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (d == c.m || d == c.n || d == c.k)
      continue;
    auto loop = scf::ForOp::create(b, loc, zero, sizes[d], one);
    b.setInsertionPointToStart(loop.getBody());
    ivs[d] = loop.getInductionVar();
  }
  auto mLoop = scf::ForOp::create(b, loc, zero, bounds[c.m], index(mi.m));
  b.setInsertionPointToStart(mLoop.getBody());
  Value m0 = mLoop.getInductionVar();
  auto nLoop =
      scf::ForOp::create(b, loc, zero, bounds[c.n], index(mi.n * fragments));
  b.setInsertionPointToStart(nLoop.getBody());
  Value n0 = nLoop.getInductionVar();

  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, loc, x, y);
  };
  auto less = [&](Value x, Value y) -> Value {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  };
  auto both = [&](Value x, Value y) -> Value {
    return arith::AndIOp::create(b, loc, x, y);
  };
  auto clamp = [&](Value x, Value last) -> Value {
    return arith::MinUIOp::create(b, loc, x, last);
  };
  // The body's factor `v` (its slice cloned) at the iteration `point`.
  // `given`: block arguments whose values are known (registers).
  auto evaluate = [&](Value v, ArrayRef<Operation *> slice,
                      ArrayRef<Value> point,
                      ArrayRef<std::pair<Value, Value>> given = {}) -> Value {
    IRMapping map;
    Block *body = op.getBody();
    for (auto [arg, value] : given)
      map.map(arg, value);
    for (OpOperand *in : op.getDpsInputOperands()) {
      BlockArgument arg = body->getArgument(in->getOperandNumber());
      bool used = arg == v || llvm::any_of(slice, [&](Operation *s) {
                    return llvm::is_contained(s->getOperands(), Value(arg));
                  });
      if (!used || map.contains(arg))
        continue;
      map.map(arg, memref::LoadOp::create(
                       b, loc, in->get(),
                       indicesAt(b, loc, op.getMatchingIndexingMap(in), point)));
    }
    for (Operation *s : slice) {
      if (auto idx = dyn_cast<linalg::IndexOp>(s)) {
        map.map(idx.getResult(), point[idx.getDim()]);
        continue;
      }
      b.clone(*s, map);
    }
    Value r = map.lookupOrDefault(v);
    if (r.getType() != type)
      r = cast<FloatType>(r.getType()).getWidth() >
                  cast<FloatType>(type).getWidth()
              ? Value(arith::TruncFOp::create(b, loc, type, r))
              : Value(arith::ExtFOp::create(b, loc, type, r));
    return r;
  };
  llvm::sort(c.xSlice, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  llvm::sort(c.ySlice, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto outIndices = [&](ArrayRef<Value> point) {
    return indicesAt(b, loc, outMap, point);
  };

  // With K split over the subgroups of the point (a block): this
  // subgroup's index; it walks K from its own step.
  Value warp, firstWarp;
  if (kSplit > 1) {
    Value tid = mlir::gpu::ThreadIdOp::create(b, loc, mlir::gpu::Dimension::x);
    warp = arith::DivUIOp::create(b, loc, tid, index(subgroup));
    firstWarp = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, warp,
                                      zero);
  }
  Value zeroF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  // The accumulators: the fill's value, or the point's buffer (the first
  // subgroup's; the others start from 0).
  SmallVector<Value> init;
  for (int64_t f = 0; f < fragments; ++f)
    for (auto [row, col] : cAt) {
      if (c.init) {
        init.push_back(firstWarp ? Value(arith::SelectOp::create(
                                       b, loc, firstWarp, c.init, zeroF))
                                 : c.init);
        continue;
      }
      SmallVector<Value> point(ivs);
      point[c.m] = clamp(add(m0, row), lastM);
      point[c.n] = clamp(add(add(n0, index(f * mi.n)), col), lastN);
      Value v = memref::LoadOp::create(b, loc, c.acc, outIndices(point));
      init.push_back(firstWarp ? Value(arith::SelectOp::create(
                                     b, loc, firstWarp, v, zeroF))
                               : v);
    }
  Value kStart = warp ? Value(arith::MulIOp::create(b, loc, warp, index(mi.k)))
                      : zero;
  auto kLoop = scf::ForOp::create(b, loc, kStart, bounds[c.k],
                                  index(mi.k * kSplit), init);
  b.setInsertionPointToStart(kLoop.getBody());
  Value k0 = kLoop.getInductionVar();
  // A factor at (free index `free` of dim `freeDim`, K index `kk`): read at
  // clamped indices (always in bounds), 0 outside the tile.
  auto operand = [&](Value factor, ArrayRef<Operation *> slice,
                     unsigned freeDim, Value free, Value last, Value kk,
                     ArrayRef<std::pair<Value, Value>> given = {}) {
    SmallVector<Value> point(ivs);
    point[freeDim] = clamp(free, last);
    point[c.k] = clamp(kk, lastK);
    if (!masked) {
      point[freeDim] = free;
      point[c.k] = kk;
      return evaluate(factor, slice, point, given);
    }
    Value v = evaluate(factor, slice, point, given);
    Value inside = both(less(free, sizes[freeDim]), less(kk, sizes[c.k]));
    return Value(arith::SelectOp::create(b, loc, inside, v, zeroT));
  };
  // A factor read as it is stored, in a workgroup buffer of the operand
  // type (a staged tile), takes the target's fragment load when it has
  // one; the rest, element by element.
  auto fragmentLoad = [&](Value factor, ArrayRef<Operation *> slice,
                          unsigned freeDim, bool isA, Value free0,
                          int64_t count) -> SmallVector<Value> {
    std::optional<DirectOperand> d =
        directOperand(op, factor, slice, type, c.k, freeDim);
    if (masked || !mi.loadFragments || !d)
      return {};
    auto at = [&](Value row, Value col) {
      SmallVector<Value> point(ivs);
      point[freeDim] = add(free0, isA ? row : col);
      point[c.k] = add(k0, isA ? col : row);
      return indicesAt(b, loc, d->map, point);
    };
    return mi.loadFragments(b, loc, lane, d->buffer, isA, d->kContiguous, count,
                            at);
  };
  // The instruction tile of a FragmentTile's buffer at (row r0, col c0).
  auto tileOf = [&](const FragmentTile &t, Value r0, Value c0) -> Value {
    const einfuse::gpu::MatrixInstruction &ti = t.instruction;
    Value row = arith::DivUIOp::create(b, loc, r0, index(ti.m));
    Value col = arith::DivUIOp::create(b, loc, c0, index(ti.n));
    return add(arith::MulIOp::create(b, loc, row, index(t.cols / ti.n)),
               col);
  };
  SmallVector<Value> a = fragmentLoad(c.x, c.xSlice, c.m, true, m0, 1);
  if (a.empty())
    for (auto [i, at] : llvm::enumerate(aAt)) {
      SmallVector<std::pair<Value, Value>> given;
      if (fromTile) {
        // The lane's own element of C at A's (row, col).
        auto [h, e] = fromC[i];
        Value t = add(tileOf(*fromTile, m0, k0), index(h));
        given.push_back({fromArg, memref::LoadOp::create(
                                      b, loc, fromTile->buffer,
                                      ValueRange{t, index(e)})});
        // Row state in slots: the slot of that C element's row.
        for (OpOperand *in : op.getDpsInputOperands())
          if (slots && slots->slotReads.contains(in))
            given.push_back(
                {op.getMatchingBlockArgument(in),
                 slots->load(b, loc, *in,
                             arith::DivUIOp::create(b, loc, m0, index(mi.m)),
                             slots->layout.slotOf[e])});
      }
      a.push_back(operand(c.x, c.xSlice, c.m, add(m0, at.first), lastM,
                          add(k0, at.second), given));
    }
  SmallVector<Value> results, pair;
  for (int64_t f = 0; f < fragments; ++f) {
    // B's fragments two at a time where they can be.
    if (f % 2 == 0)
      pair = fragmentLoad(c.y, c.ySlice, c.n, false, add(n0, index(f * mi.n)),
                          f + 1 < fragments ? 2 : 1);
    SmallVector<Value> bs;
    if (!pair.empty()) {
      size_t per = mi.b.size();
      size_t at = pair.size() == per ? 0 : (f % 2) * per;
      bs.assign(pair.begin() + at, pair.begin() + at + per);
    }
    if (bs.empty())
      for (auto [row, col] : bAt)
        bs.push_back(operand(c.y, c.ySlice, c.n,
                             add(add(n0, index(f * mi.n)), col), lastN,
                             add(k0, row)));
    SmallVector<Value> acc;
    for (size_t e = 0; e < mi.c.size(); ++e)
      acc.push_back(kLoop.getRegionIterArgs()[f * mi.c.size() + e]);
    llvm::append_range(results, mi.build(b, loc, a, bs, acc));
  }
  scf::YieldOp::create(b, loc, results);

  // Each lane stores its elements of C, through the epilogue's maps.
  b.setInsertionPointAfter(kLoop);
  SmallVector<Value> sums(kLoop.getResults());
  if (kSplit > 1) {
    // The subgroups' partial sums meet in workgroup memory: every thread
    // writes its own, then the first subgroup adds the others' (the same
    // lane of each) and stores; the block is this one tile, so the barrier
    // is reached by all of it.
    int64_t count = int64_t(sums.size());
    auto space = mlir::gpu::AddressSpaceAttr::get(
        b.getContext(), mlir::gpu::AddressSpace::Workgroup);
    auto type = MemRefType::get({kSplit * subgroup, count}, b.getF32Type(),
                                MemRefLayoutAttrInterface{}, space);
    Value partial = memref::AllocOp::create(b, loc, type);
    Value tid = mlir::gpu::ThreadIdOp::create(b, loc, mlir::gpu::Dimension::x);
    for (int64_t e = 0; e < count; ++e)
      memref::StoreOp::create(b, loc, sums[e], partial,
                              ValueRange{tid, index(e)});
    mlir::gpu::BarrierOp::create(b, loc);
    auto first = scf::IfOp::create(b, loc, firstWarp, false);
    b.setInsertionPointToStart(first.thenBlock());
    for (int64_t e = 0; e < count; ++e)
      for (int64_t w = 1; w < kSplit; ++w) {
        Value other = add(tid, index(w * subgroup));
        Value v = memref::LoadOp::create(b, loc, partial,
                                         ValueRange{other, index(e)});
        sums[e] = arith::AddFOp::create(b, loc, sums[e], v);
      }
  }
  // C in registers: each lane's elements, whatever the tile's sizes (a
  // reader masks what is outside).
  if (out)
    for (int64_t f = 0; f < fragments; ++f) {
      Value t = add(tileOf(*out, m0, n0), index(f));
      for (size_t e = 0; e < cAt.size(); ++e)
        memref::StoreOp::create(b, loc, sums[f * mi.c.size() + e],
                                out->buffer, ValueRange{t, index(e)});
    }
  for (int64_t f = 0; f < fragments && !out; ++f)
    for (auto [e, at] : llvm::enumerate(cAt)) {
      Value mm = add(m0, at.first);
      Value nn = add(add(n0, index(f * mi.n)), at.second);
      Value isInside = both(less(mm, sizes[c.m]), less(nn, sizes[c.n]));
      // The epilogue reads at clamped indices (always in bounds) outside
      // the edge test, only the stores are under it: lanes' elements of
      // one row then share what they read of the row (a rescale factor).
      SmallVector<Value> point(ivs), clamped(ivs);
      point[c.m] = mm;
      point[c.n] = nn;
      clamped[c.m] = clamp(mm, lastM);
      clamped[c.n] = clamp(nn, lastN);
      SmallVector<Value> where = outIndices(point);
      SmallVector<Value> readAt = outIndices(clamped);
      Value value = sums[f * mi.c.size() + e];
      size_t element = e;
      SmallVector<std::tuple<Value, Value, SmallVector<Value>>> stores;
      if (c.epilogue.empty())
        stores.push_back({value, c.acc, where});
      for (linalg::GenericOp ep : c.epilogue) {
        // The epilogue's iteration: its map of the accumulator inverted.
        AffineMap accMap;
        for (OpOperand *in : ep.getDpsInputOperands())
          if (in->get() == c.acc)
            accMap = ep.getMatchingIndexingMap(in);
        SmallVector<Value> epPoint(ep.getNumLoops()), epAt(ep.getNumLoops());
        for (auto [r, expr] : llvm::enumerate(accMap.getResults())) {
          epPoint[cast<AffineDimExpr>(expr).getPosition()] = readAt[r];
          epAt[cast<AffineDimExpr>(expr).getPosition()] = where[r];
        }
        // An output state in registers: this lane's element of it.
        auto stateAt = [&](Value buffer) -> Value {
          const FragmentState *s = stateOf(states, buffer);
          if (!s)
            return Value();
          Value row = arith::DivUIOp::create(b, loc, m0, index(mi.m));
          Value col = arith::DivUIOp::create(
              b, loc, add(n0, index(f * mi.n)), index(mi.n));
          return add(arith::MulIOp::create(b, loc, row,
                                           index(s->cols / mi.n)),
                     col);
        };
        IRMapping map = cloneBodyAt(b, loc, ep, epPoint, [&](OpOperand &o) {
          if (o.get() == c.acc)
            return value;
          if (Value t = stateAt(o.get()))
            return Value(memref::LoadOp::create(
                b, loc, stateOf(states, o.get())->buffer,
                ValueRange{t, index(element)}));
          // Row state in slots: the slot of this C element's row.
          if (slots && slots->slotReads.contains(&o))
            return slots->load(
                b, loc, o, arith::DivUIOp::create(b, loc, m0, index(mi.m)),
                slots->layout.slotOf[element]);
          return Value();
        });
        auto yield = cast<linalg::YieldOp>(ep.getBody()->getTerminator());
        for (auto [v, init] : llvm::zip(yield.getOperands(),
                                        ep.getDpsInitsMutable())) {
          if (Value t = stateAt(init.get())) {
            stores.push_back({map.lookupOrDefault(v),
                              stateOf(states, init.get())->buffer,
                              SmallVector<Value>{t, index(element)}});
            continue;
          }
          stores.push_back(
              {map.lookupOrDefault(v), init.get(),
               indicesAt(b, loc, ep.getMatchingIndexingMap(&init), epAt)});
        }
      }
      OpBuilder::InsertionGuard guard(b);
      if (masked) {
        auto inside = scf::IfOp::create(b, loc, isInside, false);
        b.setInsertionPointToStart(inside.thenBlock());
      }
      for (auto &[v, buffer, indices] : stores)
        memref::StoreOp::create(b, loc, v, buffer, indices);
    }
  // The K loop of static trip count, unrolled (D / 16 steps of Q K^T).
  if (whole) {
    std::optional<int64_t> lb = getConstantIntValue(kLoop.getLowerBound());
    std::optional<int64_t> ub = getConstantIntValue(kLoop.getUpperBound());
    std::optional<int64_t> st = getConstantIntValue(kLoop.getStep());
    if (lb && ub && st && *st > 0) {
      int64_t trips = llvm::divideCeil(*ub - *lb, *st);
      if (trips > 1 && trips <= 16)
        (void)loopUnrollByFactor(kLoop, trips);
    }
  }
  // With registers, the loops over the tiles too: their indices become
  // constants.
  if (out || fromTile)
    for (scf::ForOp loop : {nLoop, mLoop}) {
      std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
      std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
      std::optional<int64_t> st = getConstantIntValue(loop.getStep());
      if (!lb || !ub || !st || *st < 1)
        continue;
      int64_t trips = llvm::divideCeil(*ub - *lb, *st);
      if (trips > 1 && trips <= 16)
        (void)loopUnrollByFactor(loop, trips);
    }
  };
  if (!nonEmpty) {
    emit(sizes, /*masked=*/true);
  } else {
    // A whole tile (the run-time sizes at their bounds: every key tile but
    // the last, every 16 rows but the last) takes the product at constant
    // sizes, where the edge masks and clamps fold away; a partial one, the
    // masked product (under a test that it is not empty: a loop to a bound
    // would load from an empty buffer).
    Value full;
    for (unsigned d : {c.m, c.n, c.k}) {
      if (bounds[d] == sizes[d])
        continue;
      Value at = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                       sizes[d], bounds[d]);
      full = full ? arith::AndIOp::create(b, loc, full, at) : at;
    }
    auto version = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(version.thenBlock());
    emit(bounds, /*masked=*/!aligned);
    b.setInsertionPointToStart(version.elseBlock());
    auto some = scf::IfOp::create(b, loc, nonEmpty, false);
    b.setInsertionPointToStart(some.thenBlock());
    emit(sizes, /*masked=*/true);
  }
  for (linalg::GenericOp ep : c.epilogue)
    ep.erase();
  if (c.fill)
    c.fill.erase();
  op.erase();
  // A point's buffer that only the epilogue read is gone.
  if (Operation *def = c.acc.getDefiningOp();
      def && isa<memref::AllocOp, memref::AllocaOp>(def) && c.acc.use_empty())
    def->erase();
}

/// Whether every use of `buffer` (through casts and subviews) is one a
/// buffer in workgroup memory can take: linalg ops, loads, stores, dims,
/// copies.
static bool mayMoveToWorkgroup(Value buffer) {
  for (Operation *user : buffer.getUsers()) {
    if (isa<memref::CastOp>(user) ||
        (isa<memref::SubViewOp>(user) && user->getOperand(0) == buffer)) {
      if (!mayMoveToWorkgroup(user->getResult(0)))
        return false;
      continue;
    }
    if (!isa<linalg::LinalgOp, memref::LoadOp, memref::StoreOp, memref::DimOp,
             memref::CopyOp>(user))
      return false;
  }
  return true;
}

/// The static shape of the point buffer `root` (an allocation in the
/// point): its sizes' constant bounds (a key tile is at most the tile).
static std::optional<SmallVector<int64_t>> boundedShape(Value root) {
  auto type = cast<MemRefType>(root.getType());
  auto alloc = root.getDefiningOp();
  if (!type.getLayout().isIdentity() || type.getMemorySpace())
    return std::nullopt;
  SmallVector<int64_t> shape;
  unsigned next = 0;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      shape.push_back(type.getDimSize(d));
      continue;
    }
    std::optional<int64_t> bound =
        einfuse::constantUpperBound(alloc->getOperand(next++));
    if (!bound || *bound < 1 || *bound > (int64_t(1) << 16))
      return std::nullopt;
    shape.push_back(*bound);
  }
  return shape;
}

/// Points the uses of `from` (a point buffer or a view of it) at `to`, the
/// same elements in workgroup memory: its subviews are made again on `to`,
/// its casts dropped (their users take any layout), the rest take `to`.
static void retarget(Value from, Value to) {
  for (OpOperand &use : llvm::make_early_inc_range(from.getUses())) {
    Operation *user = use.getOwner();
    if (auto castOp = dyn_cast<memref::CastOp>(user)) {
      retarget(castOp.getResult(), to);
      castOp.erase();
      continue;
    }
    if (auto sub = dyn_cast<memref::SubViewOp>(user);
        sub && use.getOperandNumber() == 0) {
      OpBuilder b(sub);
      MemRefType type = memref::SubViewOp::inferRankReducedResultType(
          sub.getType().getShape(), cast<MemRefType>(to.getType()),
          sub.getMixedOffsets(), sub.getMixedSizes(), sub.getMixedStrides());
      Value made = memref::SubViewOp::create(
          b, sub.getLoc(), type, to, sub.getMixedOffsets(),
          sub.getMixedSizes(), sub.getMixedStrides());
      retarget(sub.getResult(), made);
      sub.erase();
      continue;
    }
    use.set(to);
  }
}

/// The shape of a workgroup buffer of `shape`: rows (the last dim) padded
/// by 16 bytes when that dim is at least 16 elements. The lanes of a
/// matrix fragment read or write a column of rows at once (8 rows, 4
/// elements apart), which in rows of a multiple of 128 bytes all fall in
/// the same memory bank; 16 bytes more per row spreads them over the
/// banks, and keeps rows 16-byte aligned.
static SmallVector<int64_t> paddedShape(ArrayRef<int64_t> shape,
                                        Type element) {
  SmallVector<int64_t> padded(shape);
  // (A padded tile of 16-bit keys or values is no longer one contiguous
  // row: its copy goes chunk by chunk over the rows, chunkStagedCopy.)
  int64_t bytes = element.getIntOrFloatBitWidth() / 8;
  if (!padded.empty() && padded.back() >= 16 && bytes > 0 && 16 % bytes == 0)
    padded.back() += 16 / bytes;
  return padded;
}

/// The bytes of `shape` elements of `element`, unpadded.
static int64_t rawBytes(ArrayRef<int64_t> shape, Type element) {
  int64_t n = element.getIntOrFloatBitWidth() / 8;
  for (int64_t e : shape)
    n *= e;
  return n;
}

/// The bytes of a workgroup buffer of `shape` (padded).
static int64_t workgroupBytes(ArrayRef<int64_t> shape, Type element) {
  int64_t n = element.getIntOrFloatBitWidth() / 8;
  for (int64_t e : paddedShape(shape, element))
    n *= e;
  return n;
}

/// `buffer` viewed as `shape` (padded) of `element`, row-major, then at
/// `shape`: a workgroup buffer of at least as many elements (another
/// operand's staging buffer, reused).
static Value viewWorkgroup(OpBuilder &b, Location loc, Value buffer,
                           ArrayRef<int64_t> shape, Type element) {
  SmallVector<int64_t> padded = paddedShape(shape, element);
  auto type = cast<MemRefType>(buffer.getType());
  if (type.getShape() != ArrayRef<int64_t>(padded)) {
    SmallVector<int64_t> strides(padded.size(), 1);
    for (int64_t d = int64_t(padded.size()) - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * padded[d + 1];
    auto viewType = MemRefType::get(
        padded, element, StridedLayoutAttr::get(b.getContext(), 0, strides),
        type.getMemorySpace());
    SmallVector<OpFoldResult> sizes, steps;
    for (auto [n, st] : llvm::zip(padded, strides)) {
      sizes.push_back(b.getIndexAttr(n));
      steps.push_back(b.getIndexAttr(st));
    }
    buffer = memref::ReinterpretCastOp::create(b, loc, viewType, buffer,
                                               b.getIndexAttr(0), sizes, steps);
  }
  if (padded == SmallVector<int64_t>(shape))
    return buffer;
  SmallVector<OpFoldResult> zeros(shape.size(), b.getIndexAttr(0)),
      ones(shape.size(), b.getIndexAttr(1)), sizes;
  for (int64_t n : shape)
    sizes.push_back(b.getIndexAttr(n));
  return memref::SubViewOp::create(b, loc, buffer, zeros, sizes, ones);
}

/// A workgroup buffer of `shape` (padded) at the builder's point, viewed
/// at `shape`.
static Value allocateWorkgroup(OpBuilder &b, Location loc,
                               ArrayRef<int64_t> shape, Type element) {
  auto space = mlir::gpu::AddressSpaceAttr::get(
      b.getContext(), mlir::gpu::AddressSpace::Workgroup);
  Value buffer = memref::AllocOp::create(
      b, loc,
      MemRefType::get(paddedShape(shape, element), element,
                      MemRefLayoutAttrInterface{}, space));
  return viewWorkgroup(b, loc, buffer, shape, element);
}

/// Moves the point buffer `root` of `tile` to workgroup memory: a buffer
/// of its bounded shape allocated at the start of the point (the launch's
/// workgroup memory, einfuse-gpu-map-tiles), viewed at the run-time sizes
/// where the buffer was allocated.
static void moveToWorkgroup(Value root, scf::ForallOp tile,
                            ArrayRef<int64_t> shape) {
  Operation *alloc = root.getDefiningOp();
  auto type = cast<MemRefType>(root.getType());
  Location loc = alloc->getLoc();
  OpBuilder b = OpBuilder::atBlockBegin(tile.getBody());
  Value buffer = allocateWorkgroup(b, loc, shape, type.getElementType());
  Value view = buffer;
  if (!type.hasStaticShape()) {
    OpBuilder at(alloc);
    SmallVector<OpFoldResult> offsets(type.getRank(), at.getIndexAttr(0)),
        strides(type.getRank(), at.getIndexAttr(1)), sizes;
    unsigned next = 0;
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(type.isDynamicDim(d)
                          ? OpFoldResult(alloc->getOperand(next++))
                          : OpFoldResult(at.getIndexAttr(type.getDimSize(d))));
    view = memref::SubViewOp::create(at, loc, buffer, offsets, sizes, strides);
  }
  retarget(root, view);
  alloc->erase();
}

/// Puts a barrier before and after each op of `block` (and of the loops
/// and conditionals in it, which a point runs uniformly) that writes a
/// workgroup buffer, so that no lane reads what another has not finished
/// writing, nor overwrites what another still reads. `writes` adds the
/// buffers a contraction's epilogue will store with it; `moved` are those
/// epilogues, no longer where they stand.
static void insertBarriers(Block &block,
                           const DenseMap<Operation *, SmallVector<Value>> &writes,
                           const llvm::DenseSet<Operation *> &moved) {
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (moved.contains(&op))
      continue;
    if (isa<scf::ForOp, scf::IfOp, scf::WhileOp>(op)) {
      for (Region &r : op.getRegions())
        for (Block &b : r)
          insertBarriers(b, writes, moved);
      continue;
    }
    std::optional<SmallVector<Value>> written = writtenRoots(&op);
    bool shared = written && llvm::any_of(*written, isWorkgroupBuffer);
    if (auto it = writes.find(&op); it != writes.end())
      shared |= llvm::any_of(it->second, isWorkgroupBuffer);
    if (!shared)
      continue;
    OpBuilder b(&op);
    mlir::gpu::BarrierOp::create(b, op.getLoc());
    b.setInsertionPointAfter(&op);
    mlir::gpu::BarrierOp::create(b, op.getLoc());
  }
}

/// `v` as a 1-D view when its elements are contiguous (its unit dims
/// dropped, each stride the product of the sizes after it), so that a copy
/// of it is one row the lanes split into vector chunks; `v` otherwise.
static Value flatten(OpBuilder &b, Location loc, Value v) {
  auto type = cast<MemRefType>(v.getType());
  if (type.getRank() < 2)
    return v;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return v;
  SmallVector<int64_t> keep;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.getDimSize(d) != 1)
      keep.push_back(d);
  if (keep.empty())
    return v;
  // Contiguous: the last kept stride is 1, each other one the next's
  // times the next's size (all static).
  for (size_t i = 0; i < keep.size(); ++i) {
    int64_t d = keep[i];
    int64_t expect = 1;
    if (i + 1 < keep.size()) {
      int64_t next = keep[i + 1];
      if (ShapedType::isDynamic(strides[next]) ||
          type.isDynamicDim(next))
        return v;
      expect = strides[next] * type.getDimSize(next);
    }
    if (strides[d] != expect)
      return v;
  }
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
      ones(type.getRank(), b.getIndexAttr(1)), sizes;
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    OpFoldResult size =
        type.isDynamicDim(d)
            ? OpFoldResult(memref::DimOp::create(b, loc, v, d).getResult())
            : OpFoldResult(b.getIndexAttr(type.getDimSize(d)));
    sizes.push_back(size);
    if (type.getDimSize(d) != 1)
      shape.push_back(type.getDimSize(d));
  }
  Value reduced = v;
  if (int64_t(keep.size()) != type.getRank()) {
    MemRefType t = memref::SubViewOp::inferRankReducedResultType(
        shape, type, offsets, sizes, ones);
    reduced = memref::SubViewOp::create(b, loc, t, v, offsets, sizes, ones);
  }
  if (keep.size() == 1)
    return reduced;
  SmallVector<ReassociationIndices> all(1);
  for (size_t i = 0; i < keep.size(); ++i)
    all[0].push_back(i);
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(
          cast<MemRefType>(reduced.getType()), all))
    return v;
  return memref::CollapseShapeOp::create(b, loc, reduced, all);
}

/// A workgroup buffer holding an operand tile: its allocation, bytes, and
/// the op (a product, or the loop around it) that reads it, the last of
/// the ops it was staged for (only the copy and that op use a staged
/// view).
struct StagedTile {
  Value alloc;
  int64_t bytes;
  Operation *reader;
  /// One buffer per point of the block (never another operand's).
  bool perPoint = false;
};

/// Stages the kernel-argument operands of the contraction `c` (a tile of
/// keys or values, the point's query rows) in workgroup memory: the lanes
/// copy each whole (einfuse-gpu-map-tiles splits the copy into vector
/// chunks), then the fragments load from there, instead of each lane
/// loading its own fragment elements from global memory, two bytes at a
/// time, all of them in flight at once (in registers). An operand that does
/// not change in the loops around the product (Q in the key loop) is
/// copied once, before them. `budget` is what is left of the workgroup
/// memory, in bytes.
/// With `slot` (several points to a block, GPUShareTiles.cpp): an operand
/// that depends on the point's rows (Q) takes one of `slot->groups`
/// buffers, the point's; one that does not (a key tile) is shared, its copy
/// added to `shared`. With `probe`, nothing changes: returns whether an
/// operand would be shared.
static bool stageOperands(Contraction &c, scf::ForallOp tile, int64_t &budget,
                          SmallVector<StagedTile> &staged,
                          einfuse::BlockSlot *slot = nullptr,
                          SmallVector<Operation *> *shared = nullptr,
                          bool probe = false,
                          SmallVector<Operation *> *copies = nullptr) {
  linalg::GenericOp op = c.op;
  Block *body = op.getBody();
  for (OpOperand *in : op.getDpsInputOperands()) {
    Value v = in->get();
    BlockArgument arg = body->getArgument(in->getOperandNumber());
    bool used = arg == c.x || arg == c.y ||
                llvm::any_of(llvm::concat<Operation *>(c.xSlice, c.ySlice),
                             [&](Operation *s) {
                               return llvm::is_contained(s->getOperands(),
                                                         Value(arg));
                             });
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!used || !type || !isa<BlockArgument>(rootOf(v)) ||
        isWorkgroupBuffer(v) || type.getElementTypeBitWidth() % 8 != 0)
      continue;
    bool perPoint = slot && slot->dependsOnRows(v);
    if (probe && perPoint)
      continue;
    // Outside the loops of the point it does not change in.
    Operation *at = op;
    while (auto loop = dyn_cast<scf::ForOp>(at->getParentOp())) {
      if (loop == tile.getOperation() || loop->isAncestor(v.getParentBlock()->getParentOp()))
        break;
      at = loop;
    }
    OpBuilder b(at);
    Location loc = op.getLoc();
    SmallVector<int64_t> shape;
    SmallVector<OpFoldResult> sizes;
    bool bounded = true;
    for (int64_t d = 0; d < type.getRank() && bounded; ++d) {
      if (!type.isDynamicDim(d)) {
        shape.push_back(type.getDimSize(d));
        sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
        continue;
      }
      Value dim = memref::DimOp::create(b, loc, v, d);
      std::optional<int64_t> bound = einfuse::constantUpperBound(dim);
      bounded = bound && *bound > 0 && *bound <= 4096;
      if (bounded) {
        shape.push_back(*bound);
        sizes.push_back(dim);
      }
    }
    if (probe) {
      for (OpFoldResult size : sizes)
        if (auto dim = dyn_cast<Value>(size))
          dim.getDefiningOp()->erase();
      if (bounded && rawBytes(shape, type.getElementType()) <=
                         einfuse::kMaxStagedTileBytes)
        return true;
      continue;
    }
    if (!bounded)
      continue;
    // (The cap is on the tile's own bytes; the budget counts the padding.)
    if (rawBytes(shape, type.getElementType()) > einfuse::kMaxStagedTileBytes)
      continue;
    int64_t bytes = workgroupBytes(shape, type.getElementType());
    // A point's own operand: one buffer per point of the block, side by
    // side along the first dim.
    int64_t first = shape.front();
    if (perPoint) {
      shape.front() *= slot->groups;
      bytes = workgroupBytes(shape, type.getElementType());
    }
    // A tile that only an earlier product of this block reads (K's, when
    // this is V's: the barrier before this copy separates its reads from
    // this copy's writes, the one before the next K copy this product's
    // reads from them) holds this one: one buffer for both.
    StagedTile *reuse = nullptr;
    for (StagedTile &t : staged)
      if (!perPoint && !t.perPoint && t.bytes >= bytes &&
          t.reader->getBlock() == at->getBlock() &&
          t.reader->isBeforeInBlock(at))
        reuse = &t;
    if (!reuse && bytes > budget)
      continue;
    OpBuilder start = OpBuilder::atBlockBegin(tile.getBody());
    Value buffer;
    if (reuse) {
      start.setInsertionPointAfter(reuse->alloc.getDefiningOp());
      buffer =
          viewWorkgroup(start, loc, reuse->alloc, shape, type.getElementType());
      reuse->reader = at;
    } else {
      budget -= bytes;
      buffer = allocateWorkgroup(start, loc, shape, type.getElementType());
      staged.push_back({rootOf(buffer), bytes, at, perPoint});
    }
    SmallVector<OpFoldResult> zeros(type.getRank(), b.getIndexAttr(0)),
        ones(type.getRank(), b.getIndexAttr(1));
    if (perPoint) {
      zeros.front() = arith::MulIOp::create(
                          b, loc, slot->slot,
                          arith::ConstantIndexOp::create(b, loc, first))
                          .getResult();
      shape.front() = first;
    }
    Value view = memref::SubViewOp::create(b, loc, buffer, zeros, sizes, ones);
    // One row of contiguous elements when both are (a padded buffer's
    // rows are not: chunkStagedCopy then copies it chunk by chunk).
    Value from = flatten(b, loc, v), to = flatten(b, loc, view);
    if (cast<MemRefType>(from.getType()).getRank() !=
        cast<MemRefType>(to.getType()).getRank()) {
      from = v;
      to = view;
    }
    auto copy = linalg::CopyOp::create(b, loc, from, to);
    if (slot && !perPoint && shared)
      shared->push_back(copy);
    if (copies)
      copies->push_back(copy);
    in->set(view);
  }
  return false;
}

/// Drops a barrier that follows another with nothing but pure ops between.
static void dropRepeatedBarriers(Operation *root) {
  SmallVector<mlir::gpu::BarrierOp> barriers;
  root->walk([&](mlir::gpu::BarrierOp b) { barriers.push_back(b); });
  for (mlir::gpu::BarrierOp barrier : barriers) {
    Operation *prev = barrier->getPrevNode();
    while (prev && !isa<mlir::gpu::BarrierOp>(prev) &&
           isMemoryEffectFree(prev) && prev->getNumRegions() == 0)
      prev = prev->getPrevNode();
    if (prev && isa<mlir::gpu::BarrierOp>(prev))
      barrier.erase();
  }
}

struct GPUMatrixOpsPass
    : public einfuse::impl::EinfuseGPUMatrixOpsBase<GPUMatrixOpsPass> {
  using Base::Base;
  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    std::string error;
    if (auto info = getGPUTargetInfo(target, error))
      info->getDependentDialects(registry);
  }
  void runOnOperation() override {
    std::unique_ptr<einfuse::gpu::GPUTargetInfo> info =
        getGPUTargetInfo(target, getOperation(), getArgument());
    if (!info)
      return signalPassFailure();
    if (columns < 1 || columns > 256) {
      emitError(getOperation().getLoc(),
                "einfuse-gpu-matrix-ops: columns must be in [1, 256], got ")
          << int64_t(columns);
      return signalPassFailure();
    }
    // The kernel's own configuration, when it has one, over the options.
    int64_t pointLanes = lanes, matrixColumns = columns, kSplit = 1,
            groups = 1;
    if (auto config = ein::GPUConfigAttr::lookup(getOperation())) {
      pointLanes = config.getLanes();
      matrixColumns = config.getMatrixTile();
      kSplit = config.getKSplit();
      groups = config.getThreads() / std::max<int64_t>(pointLanes, 1);
    }
    // The instruction needs the whole subgroup on one point; a matrix tile
    // of 1 asks for none.
    if (pointLanes != int64_t(info->getSubgroupSize()) || matrixColumns <= 1)
      return;
    // The candidates of each tile loop, in order.
    llvm::MapVector<Operation *, SmallVector<linalg::GenericOp>> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
        if (auto forall = dyn_cast<scf::ForallOp>(p);
            forall && isGPUTileLoop(forall)) {
          candidates[forall].push_back(op);
          return;
        }
    });
    for (auto &[tile, ops] : candidates)
      runOnTile(cast<scf::ForallOp>(tile), ops, *info, pointLanes,
                matrixColumns, kSplit, groups);
  }

  /// The contractions `ops` of `tile`: point buffers that other ops read
  /// whole move to workgroup memory (a block is then one point, with
  /// barriers between the lanes' stores and loads), then each becomes the
  /// subgroup's matrix instructions.
  void runOnTile(scf::ForallOp tile, ArrayRef<linalg::GenericOp> ops,
                 const einfuse::gpu::GPUTargetInfo &target, int64_t pointLanes,
                 int64_t matrixColumns, int64_t kSplit, int64_t groups) {
    // Products whose C stays in the lanes' registers (their readers take
    // the lanes' own elements), in order: each plan may count on the
    // earlier ones.
    SmallVector<FragmentTile, 1> plans;
    llvm::DenseSet<Value> inRegisters;
    for (linalg::GenericOp op : ops) {
      SmallVector<Value> scratch;
      FailureOr<Contraction> c =
          match(op, tile, target, &scratch, &inRegisters);
      if (failed(c))
        continue;
      if (std::optional<FragmentTile> t =
              planRegisters(*c, tile, target, inRegisters)) {
        inRegisters.insert(c->acc);
        plans.push_back(std::move(*t));
      }
    }
    // Output states that stay in registers too.
    SmallVector<FragmentState, 1> states =
        planStates(tile, ops, plans, target, inRegisters);
    // Which point buffers the products need in workgroup memory.
    SmallVector<Value> promote;
    SmallVector<std::pair<Value, SmallVector<int64_t>>> moves;
    int64_t bytes = 0;
    bool promoted = false;
    auto choose = [&] {
      promote.clear();
      moves.clear();
      bytes = 0;
      for (linalg::GenericOp op : ops)
        (void)match(op, tile, target, &promote, &inRegisters);
      llvm::SetVector<Value> roots;
      for (Value v : promote)
        roots.insert(rootOf(v));
      for (Value root : roots) {
        std::optional<SmallVector<int64_t>> shape = boundedShape(root);
        if (!shape || !mayMoveToWorkgroup(root)) {
          moves.clear();
          break;
        }
        bytes += workgroupBytes(
            *shape, cast<MemRefType>(root.getType()).getElementType());
        moves.push_back({root, *shape});
      }
      // Within the 48 KiB of static workgroup memory every target has.
      promoted = !moves.empty() && bytes <= 48 * 1024;
    };
    choose();
    // The readers of registers need the rest of their point promoted (P V
    // its output state): otherwise no registers.
    if (!plans.empty() && !promote.empty() && !promoted) {
      plans.clear();
      states.clear();
      inRegisters.clear();
      choose();
    }
    // A point of whole-tile products: one subgroup per block, loops to the
    // tiles' bounds.
    bool whole = promoted || !plans.empty();
    if (promoted) {
      for (auto &[root, shape] : moves)
        moveToWorkgroup(root, tile, shape);
    }
    if (whole)
      tile->setAttr(kGPUBlockThreadsAttr,
                    IntegerAttr::get(IndexType::get(&getContext()), pointLanes));
    // The products' operand tiles, in workgroup memory too. Where the
    // point keeps nothing else there (its C in registers), the block's
    // subgroups take several points that share their key tiles.
    std::optional<einfuse::BlockSlot> slot;
    SmallVector<Operation *> sharedCopies, stagingCopies;
    if (whole && !promoted && !plans.empty() && groups > 1) {
      int64_t probeBudget = 48 * 1024;
      SmallVector<StagedTile> probeStaged;
      bool any = false;
      std::optional<einfuse::BlockSlot> probe =
          einfuse::makeBlockSlot(tile, groups);
      for (linalg::GenericOp op : ops)
        if (FailureOr<Contraction> c =
                match(op, tile, target, nullptr, &inRegisters);
            probe && succeeded(c))
          any |= stageOperands(*c, tile, probeBudget, probeStaged, &*probe,
                               nullptr, /*probe=*/true);
      if (probe) {
        Operation *index = probe->slot.getDefiningOp()->getOperand(0)
                               .getDefiningOp();
        probe->slot.getDefiningOp()->erase();
        index->erase();
      }
      if (any)
        slot = einfuse::makeBlockSlot(tile, groups);
    }
    if (whole) {
      int64_t budget = 48 * 1024 - bytes;
      SmallVector<StagedTile> staged;
      for (linalg::GenericOp op : ops)
        if (FailureOr<Contraction> c =
                match(op, tile, target, nullptr, &inRegisters);
            succeeded(c))
          stageOperands(*c, tile, budget, staged, slot ? &*slot : nullptr,
                        &sharedCopies, /*probe=*/false, &stagingCopies);
    }
    // A rewrite erases its epilogue, which may be a later candidate.
    llvm::DenseSet<Operation *> erased;
    SmallVector<Contraction, 2> matched;
    llvm::DenseMap<Value, FragmentTile *> registers;
    for (linalg::GenericOp op : ops) {
      if (erased.contains(op.getOperation()))
        continue;
      FailureOr<Contraction> c = match(op, tile, target, nullptr, &inRegisters);
      if (failed(c))
        continue;
      for (linalg::GenericOp e : c->epilogue)
        erased.insert(e.getOperation());
      matched.push_back(std::move(*c));
    }
    if (whole) {
      DenseMap<Operation *, SmallVector<Value>> writes;
      for (Contraction &c : matched)
        for (linalg::GenericOp e : c.epilogue)
          for (Value init : e.getDpsInits())
            writes[c.op].push_back(init);
      insertBarriers(*tile.getBody(), writes, erased);
    }
    // The output states' elements, filled; the row state in the lanes that
    // hold its rows; the states' readers.
    llvm::DenseMap<Operation *, unsigned> readerRow;
    for (FragmentState &s : states) {
      OpBuilder b = OpBuilder::atBlockBegin(tile.getBody());
      const einfuse::gpu::MatrixInstruction &mi = s.instruction;
      s.buffer = memref::AllocaOp::create(
          b, s.root.getLoc(),
          MemRefType::get({(s.rows / mi.m) * (s.cols / mi.n),
                           int64_t(mi.c.size())},
                          b.getF32Type()));
      for (auto [reader, dims] : s.readers)
        readerRow[reader.getOperation()] = dims.first;
    }
    emitStateFills(states);
    RowSlots slots;
    if (whole) {
      planRowSlots(tile, plans, matched, pointLanes, readerRow, slots);
      emitRowSlots(slots, pointLanes);
    }
    emitStateReaders(states, slots);
    for (Contraction &match : matched) {
      Contraction *c = &match;
      // K is split over several subgroups only where the tile point is this
      // product alone: every other op of a point is the lanes' of one
      // subgroup.
      int64_t split = whole ? 1 : kSplit;
      if (split > 1) {
        auto forall = cast<scf::ForallOp>(tile);
        WalkResult other = forall.getBody()->walk([&](Operation *inner) {
          if (inner == c->op.getOperation() ||
              inner == c->fill.getOperation() ||
              llvm::is_contained(c->epilogue, inner) ||
              inner->getParentOp() == c->op.getOperation() ||
              llvm::any_of(c->epilogue, [&](linalg::GenericOp e) {
                return e->isProperAncestor(inner);
              }))
            return WalkResult::advance();
          if (isa<linalg::LinalgOp>(inner) ||
              (!isMemoryEffectFree(inner) &&
               !isa<memref::AllocOp, memref::AllocaOp, scf::InParallelOp>(
                   inner)))
            return WalkResult::interrupt();
          return WalkResult::advance();
        });
        if (other.wasInterrupted())
          split = 1;
        else
          forall->setAttr(kGPUPointLanesAttr,
                          IntegerAttr::get(IndexType::get(&getContext()),
                                           split * pointLanes));
      }
      FragmentTile *out = nullptr;
      for (FragmentTile &t : plans)
        if (t.acc == c->acc)
          out = &t;
      if (out) {
        // The lane's elements of C: a private buffer, whose constant
        // indices keep it in registers.
        OpBuilder b = OpBuilder::atBlockBegin(tile.getBody());
        const einfuse::gpu::MatrixInstruction &mi = out->instruction;
        int64_t tiles = (out->rows / mi.m) * (out->cols / mi.n);
        out->buffer = memref::AllocaOp::create(
            b, c->op.getLoc(),
            MemRefType::get({tiles, int64_t(mi.c.size())}, b.getF32Type()));
      }
      rewrite(*c, matrixColumns, split, pointLanes, whole, out, &registers,
              &slots, states);
      if (out) {
        registers[out->acc] = out;
        for (auto &[reduction, dims] : out->reductions)
          rewriteRowReduction(reduction, *out, dims.first, dims.second,
                              pointLanes, slots);
      }
    }
    finishRowSlots(slots);
    for (FragmentState &s : states) {
      std::optional<SmallVector<Operation *>> users = usersThroughCasts(s.root);
      if (!users || !users->empty()) {
        (users && !users->empty() ? users->front() : s.root.getDefiningOp())
            ->emitOpError("internal error: einfuse-gpu-matrix-ops kept this "
                          "output state in registers but could not rewrite "
                          "this user");
        return signalPassFailure();
      }
      eraseDeadView(s.root.getDefiningOp());
    }
    // The buffers now in registers, with their fills. A reader left over
    // would read what no one wrote: refused, not miscompiled.
    for (FragmentTile &t : plans) {
      Operation *def = t.acc.getDefiningOp();
      if (!def || !t.buffer)
        continue;
      for (Operation *u : llvm::make_early_inc_range(t.acc.getUsers()))
        if (isa<linalg::FillOp>(u))
          u->erase();
      if (!t.acc.use_empty()) {
        (*t.acc.getUsers().begin())->emitOpError(
            "internal error: einfuse-gpu-matrix-ops kept this product's "
            "operand in registers but could not rewrite this reader");
        return signalPassFailure();
      }
      def->erase();
    }
    if (whole)
      dropRepeatedBarriers(tile);
    // Several points to a block, sharing the staged key tiles; when their
    // structure does not allow it, a block stays one point (each point's
    // own buffers are then used by one point of the block).
    if (slot && !sharedCopies.empty() &&
        failed(einfuse::shareStagedTiles(tile, *slot, sharedCopies,
                                         pointLanes)))
      return signalPassFailure();
    // The copies into padded buffers, chunk by chunk over the rows.
    auto blockThreads = tile->getAttrOfType<IntegerAttr>(kGPUBlockThreadsAttr);
    for (Operation *copy : stagingCopies) {
      bool block = copy->hasAttr(einfuse::kGPUBlockCopyAttr);
      chunkStagedCopy(cast<linalg::CopyOp>(copy),
                      block && blockThreads ? blockThreads.getInt()
                                            : pointLanes,
                      block);
    }
  }
};
} // namespace
