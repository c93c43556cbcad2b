//===- CPUContractions.cpp - Register-blocked contractions for the CPU ----===//
//
// A linalg.generic that is a contraction C[.., i, j] += A[.., i, k] * B[.., k, j]
// (one reduction rank k, f32, buffers) becomes a register-blocked loop nest of
// vector ops: an R x NV block of C (R rows, NV vectors of W lanes along the
// contiguous rank j) stays in registers while k runs, each step loading NV
// vectors of B and broadcasting R scalars of A into fused multiply-adds.
// When B is stored with k contiguous (attention's K in Q.K^T), the B slice
// of the batch is first packed into a k-major buffer, transposed 16 x 16 at a
// time.
//
// Why our own lowering: convert-linalg-to-loops leaves one loop nest that
// LLVM vectorises along one rank at a time, with the accumulator in memory
// (Q.K^T became dot products with a horizontal sum per element). Upstream's
// linalg vectorizer with vector.contract lowering gets register blocking only
// after tiling to static sizes (our tiles are dynamic at the edges), and
// reads a k-contiguous B with gathers. This pass picks the blocking and emits
// upstream vector ops (load, masked load/store, broadcast, fma, transpose);
// their lowering is convert-vector-to-llvm's.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSECPUCONTRACTIONS
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {

/// A generic recognised as C[batch.., i, j] += A[.., i, k] * B[.., k, j].
struct Contraction {
  linalg::GenericOp op;
  unsigned i, j, k; // loop positions
  OpOperand *a, *b, *c;
  bool packB; // B has k, not j, as its contiguous dim
};

bool hasDim(AffineMap map, unsigned d) {
  return map.getResultPosition(getAffineDimExpr(d, map.getContext()))
      .has_value();
}

bool lastDimContiguous(Value v) {
  auto type = cast<MemRefType>(v.getType());
  return type.getRank() > 0 && type.areTrailingDimsContiguous(1);
}

/// The body is `yield out + x * y` over the two inputs (any operand order),
/// each input either f32 or widened to f32 by an arith.extf (bf16 and f16
/// attention multiply their inputs that way).
bool isMulAdd(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value prod = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if ((add.getLhs() == acc) == (add.getRhs() == acc))
    return false;
  auto mul = prod.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  unsigned widened = 0;
  auto input = [&](Value v) -> Value {
    if (auto ext = v.getDefiningOp<arith::ExtFOp>()) {
      ++widened;
      return ext.getIn();
    }
    return v;
  };
  Value x = body.getArgument(0), y = body.getArgument(1);
  Value lhs = input(mul.getLhs()), rhs = input(mul.getRhs());
  if (body.getOperations().size() != 3 + widened)
    return false;
  return (lhs == x && rhs == y) || (lhs == y && rhs == x);
}

/// Whether `t` is an element type the kernel reads (and widens to f32).
bool isReadable(Type t) { return t.isF32() || t.isBF16() || t.isF16(); }

std::optional<Contraction> match(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  for (OpOperand &o : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(o.get().getType());
    if (!type || !(op.isDpsInit(&o) ? type.getElementType().isF32()
                                     : isReadable(type.getElementType())))
      return std::nullopt;
  }
  if (!isMulAdd(op))
    return std::nullopt;
  SmallVector<unsigned> reductions;
  op.getReductionDims(reductions);
  if (reductions.size() != 1)
    return std::nullopt;
  for (AffineMap m : op.getIndexingMapsArray())
    if (!m.isProjectedPermutation())
      return std::nullopt;
  Contraction c{op, 0, 0, reductions[0], nullptr, nullptr,
                op.getDpsInitOperand(0), false};
  AffineMap out = op.getMatchingIndexingMap(c.c);
  if (out.getNumResults() < 2 || out.getNumResults() + 1 != op.getNumLoops())
    return std::nullopt;
  c.j = out.getDimPosition(out.getNumResults() - 1);
  c.i = out.getDimPosition(out.getNumResults() - 2);
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    if (!hasDim(m, c.k))
      return std::nullopt;
    if (hasDim(m, c.i) && !hasDim(m, c.j))
      c.a = in;
    else if (hasDim(m, c.j) && !hasDim(m, c.i))
      c.b = in;
  }
  if (!c.a || !c.b || c.a == c.b || !lastDimContiguous(c.c->get()))
    return std::nullopt;
  AffineMap bm = op.getMatchingIndexingMap(c.b);
  unsigned bLast = bm.getDimPosition(bm.getNumResults() - 1);
  if (bLast == c.j && lastDimContiguous(c.b->get()))
    c.packB = false;
  else if (bLast == c.k)
    c.packB = true;
  else
    return std::nullopt;
  return c;
}

struct Emitter {
  Emitter(RewriterBase &rw, Location loc, Contraction &c, unsigned width)
      : rw(rw), loc(loc), c(c), width(width) {}
  RewriterBase &rw;
  Location loc;
  Contraction &c;
  unsigned width;
  unsigned numVectors = 0, rows = 0;
  bool masked = false;
  VectorType vecType, maskType;
  Value zeroVec;
  Value packed; // k x Jp, when c.packB
  llvm::DenseMap<unsigned, Value> iv; // loop position -> index

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(rw, loc, v); }

  /// Reads of A and B, widened to f32.
  Value widen(OpBuilder &b, Value v) {
    Type f32 = b.getF32Type();
    Type t = isa<VectorType>(v.getType()) ? Type(vecType) : f32;
    return getElementTypeOrSelf(v) == f32
               ? v
               : arith::ExtFOp::create(b, loc, t, v).getResult();
  }
  Value loadScalar(OpBuilder &b, OpOperand *o) {
    return widen(b, memref::LoadOp::create(b, loc, o->get(), indices(o)));
  }
  Value loadVector(OpBuilder &b, OpOperand *o, Value mask) {
    Type elt = getElementTypeOrSelf(o->get());
    auto type = VectorType::get({int64_t(width)}, elt);
    if (!mask)
      return widen(b, vector::LoadOp::create(b, loc, type, o->get(), indices(o)));
    Value pass = arith::ConstantOp::create(b, loc, type, b.getZeroAttr(type));
    return widen(b, vector::MaskedLoadOp::create(b, loc, type, o->get(),
                                                 indices(o), mask, pass));
  }

  SmallVector<Value> indices(OpOperand *o) {
    SmallVector<Value> r;
    for (AffineExpr e : c.op.getMatchingIndexingMap(o).getResults())
      r.push_back(iv.lookup(cast<AffineDimExpr>(e).getPosition()));
    return r;
  }

  /// for x in [x0, x1) step sx: for y in [y0, y1) step sy: body(b, x, y).
  void loop2(Value x0, Value x1, Value sx, Value y0, Value y1, Value sy,
             function_ref<void(OpBuilder &, Value, Value)> body) {
    scf::ForOp::create(
        rw, loc, x0, x1, sx, ValueRange{},
        [&](OpBuilder &b, Location l, Value x, ValueRange) {
          scf::ForOp::create(b, l, y0, y1, sy, ValueRange{},
                             [&](OpBuilder &b2, Location l2, Value y,
                                 ValueRange) {
                               body(b2, x, y);
                               scf::YieldOp::create(b2, l2);
                             });
          scf::YieldOp::create(b, l);
        });
  }

  /// B^T of the current batch into `packed`: full 16 x 16 blocks by vector
  /// transposes (when B's rows are contiguous), the rest element by
  /// element, the padding columns zero.
  void pack(Value J, Value K, Value Jp) {
    Value c0 = idx(0), c1 = idx(1);
    auto scalarCopy = [&](Value j0, Value j1, Value k0, Value k1) {
      loop2(j0, j1, c1, k0, k1, c1, [&](OpBuilder &b, Value jj, Value kk) {
        iv[c.j] = jj;
        iv[c.k] = kk;
        memref::StoreOp::create(b, loc, loadScalar(b, c.b), packed,
                                ValueRange{kk, jj});
      });
    };
    Value kFull = K, jFull = c0;
    // Rows of B are read as vectors: k must be its contiguous dim.
    if (width == 16 && lastDimContiguous(c.b->get())) {
      Value c16 = idx(16);
      jFull = arith::SubIOp::create(rw, loc, J,
                                    arith::RemUIOp::create(rw, loc, J, c16));
      kFull = arith::SubIOp::create(rw, loc, K,
                                    arith::RemUIOp::create(rw, loc, K, c16));
      auto tileType = VectorType::get({16, 16}, rw.getF32Type());
      loop2(c0, jFull, c16, c0, kFull, c16,
            [&](OpBuilder &b, Value j0, Value k0) {
              auto at = [&](Value base, int64_t r) {
                return arith::AddIOp::create(
                    b, loc, base, arith::ConstantIndexOp::create(b, loc, r));
              };
              Value tile = arith::ConstantOp::create(b, loc, tileType,
                                                     b.getZeroAttr(tileType));
              for (int64_t r = 0; r < 16; ++r) {
                iv[c.j] = at(j0, r);
                iv[c.k] = k0;
                tile = vector::InsertOp::create(
                    b, loc, loadVector(b, c.b, Value()), tile, r);
              }
              Value t = vector::TransposeOp::create(b, loc, tile,
                                                    ArrayRef<int64_t>{1, 0});
              for (int64_t r = 0; r < 16; ++r)
                vector::StoreOp::create(b, loc,
                                        vector::ExtractOp::create(b, loc, t, r),
                                        packed, ValueRange{at(k0, r), j0});
            });
      scalarCopy(c0, jFull, kFull, K);
    }
    scalarCopy(jFull, J, c0, K);
    // Padding columns: the kernel reads them (its stores are masked).
    Value zero = arith::ConstantOp::create(rw, loc, rw.getF32FloatAttr(0));
    loop2(c0, K, c1, J, Jp, c1, [&](OpBuilder &b, Value kk, Value jj) {
      memref::StoreOp::create(b, loc, zero, packed, ValueRange{kk, jj});
    });
  }

  /// Rows [i0, i0 + nRows) of C, all columns.
  void block(OpBuilder &b, unsigned nRows, Value i0, Value J, Value K) {
    Value c0 = idx(0), c1 = idx(1);
    Value step = idx(int64_t(width) * numVectors);
    scf::ForOp::create(
        b, loc, c0, J, step, ValueRange{},
        [&](OpBuilder &b1, Location l, Value j0, ValueRange) {
          SmallVector<Value> cols, masks;
          for (unsigned v = 0; v < numVectors; ++v) {
            Value col = arith::AddIOp::create(
                b1, l, j0, arith::ConstantIndexOp::create(b1, l, v * width));
            cols.push_back(col);
            masks.push_back(
                masked ? vector::CreateMaskOp::create(
                             b1, l, maskType,
                             ValueRange{arith::SubIOp::create(b1, l, J, col)})
                             .getResult()
                       : Value());
          }
          auto rowIndex = [&](OpBuilder &bb, unsigned r) {
            return arith::AddIOp::create(
                bb, l, i0, arith::ConstantIndexOp::create(bb, l, r));
          };
          SmallVector<Value> acc;
          for (unsigned r = 0; r < nRows; ++r)
            for (unsigned v = 0; v < numVectors; ++v) {
              iv[c.i] = rowIndex(b1, r);
              iv[c.j] = cols[v];
              SmallVector<Value> at = indices(c.c);
              acc.push_back(masked ? vector::MaskedLoadOp::create(
                                         b1, l, vecType, c.c->get(), at,
                                         masks[v], zeroVec)
                                         .getResult()
                                   : vector::LoadOp::create(b1, l, vecType,
                                                            c.c->get(), at)
                                         .getResult());
            }
          auto loop = scf::ForOp::create(
              b1, l, c0, K, c1, acc,
              [&](OpBuilder &b2, Location l2, Value kk, ValueRange args) {
                SmallVector<Value> bv;
                iv[c.k] = kk;
                for (unsigned v = 0; v < numVectors; ++v) {
                  if (c.packB) {
                    bv.push_back(vector::LoadOp::create(
                        b2, l2, vecType, packed, ValueRange{kk, cols[v]}));
                    continue;
                  }
                  iv[c.j] = cols[v];
                  bv.push_back(loadVector(b2, c.b, masked ? masks[v] : Value()));
                }
                SmallVector<Value> next;
                for (unsigned r = 0; r < nRows; ++r) {
                  iv[c.i] = rowIndex(b2, r);
                  Value s = loadScalar(b2, c.a);
                  Value bc = vector::BroadcastOp::create(b2, l2, vecType, s);
                  for (unsigned v = 0; v < numVectors; ++v)
                    next.push_back(vector::FMAOp::create(
                        b2, l2, bc, bv[v], args[r * numVectors + v]));
                }
                scf::YieldOp::create(b2, l2, next);
              });
          for (unsigned r = 0; r < nRows; ++r)
            for (unsigned v = 0; v < numVectors; ++v) {
              iv[c.i] = rowIndex(b1, r);
              iv[c.j] = cols[v];
              SmallVector<Value> at = indices(c.c);
              Value x = loop.getResult(r * numVectors + v);
              if (masked)
                vector::MaskedStoreOp::create(b1, l, c.c->get(), at, masks[v],
                                              x);
              else
                vector::StoreOp::create(b1, l, x, c.c->get(), at);
            }
          scf::YieldOp::create(b1, l);
        });
  }

  void emit(unsigned registers) {
    linalg::GenericOp op = c.op;
    rw.setInsertionPoint(op);
    vecType = VectorType::get({int64_t(width)}, rw.getF32Type());
    maskType = VectorType::get({int64_t(width)}, rw.getI1Type());
    zeroVec = arith::ConstantOp::create(rw, loc, vecType,
                                        rw.getZeroAttr(vecType));
    SmallVector<int64_t> staticSizes = op.getStaticLoopRanges();
    SmallVector<Range> ranges =
        cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rw, loc);
    auto size = [&](unsigned d) {
      return getValueOrCreateConstantIndexOp(rw, loc, ranges[d].size);
    };
    Value I = size(c.i), J = size(c.j), K = size(c.k);
    int64_t staticJ = staticSizes[c.j];
    // Vectors per row: the whole of a short static row, at most 4.
    numVectors = 2;
    if (!ShapedType::isDynamic(staticJ))
      numVectors = std::clamp<int64_t>(llvm::divideCeil(staticJ, width), 1, 4);
    rows = std::clamp<int64_t>((int64_t(registers) - numVectors - 1) /
                                   numVectors,
                               1, 8);
    int64_t blockCols = int64_t(width) * numVectors;
    masked = ShapedType::isDynamic(staticJ) || staticJ % blockCols != 0;
    Value c0 = idx(0), c1 = idx(1);
    Value Jp;
    if (c.packB) {
      Value bc = idx(blockCols);
      Jp = arith::MulIOp::create(
          rw, loc, arith::CeilDivUIOp::create(rw, loc, J, bc), bc);
      int64_t staticK = staticSizes[c.k];
      auto type = MemRefType::get({staticK, ShapedType::kDynamic},
                                  rw.getF32Type());
      SmallVector<Value> dynSizes;
      if (ShapedType::isDynamic(staticK))
        dynSizes.push_back(K);
      dynSizes.push_back(Jp);
      packed = memref::AllocOp::create(rw, loc, type, dynSizes,
                                       rw.getI64IntegerAttr(64));
    }
    // Batch loops: the output ranks other than i and j, outermost first.
    AffineMap out = op.getMatchingIndexingMap(c.c);
    SmallVector<unsigned> batch;
    for (unsigned r = 0; r + 2 < out.getNumResults(); ++r)
      batch.push_back(out.getDimPosition(r));
    OpBuilder::InsertionGuard guard(rw);
    for (unsigned d : batch) {
      auto loop = scf::ForOp::create(rw, loc, c0, size(d), c1);
      iv[d] = loop.getInductionVar();
      rw.setInsertionPoint(loop.getBody()->getTerminator());
    }
    if (c.packB)
      pack(J, K, Jp);
    // Blocks of `rows` rows, then the remaining rows by blocks of 4, 2 and
    // 1 (a p tile of 64 with 6-row blocks ends with one 4-row block).
    Value from = c0;
    SmallVector<unsigned> blockRows = {rows};
    for (unsigned n : {4u, 2u, 1u})
      if (n < rows)
        blockRows.push_back(n);
    for (unsigned n : blockRows) {
      Value step = idx(n);
      Value count = arith::DivUIOp::create(
          rw, loc, arith::SubIOp::create(rw, loc, I, from), step);
      Value to = arith::AddIOp::create(
          rw, loc, from, arith::MulIOp::create(rw, loc, count, step));
      scf::ForOp::create(rw, loc, from, to, step, ValueRange{},
                         [&](OpBuilder &b, Location, Value i0, ValueRange) {
                           block(b, n, i0, J, K);
                           scf::YieldOp::create(b, loc);
                         });
      from = to;
    }
    if (c.packB) {
      rw.setInsertionPointAfter(op);
      memref::DeallocOp::create(rw, loc, packed);
    }
  }
};

struct CPUContractionsPass
    : public einfuse::impl::EinfuseCPUContractionsBase<CPUContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (vectorWidth != 4 && vectorWidth != 8 && vectorWidth != 16) {
      emitError(getOperation()->getLoc(), "einfuse-cpu-contractions: "
                                          "vector-width must be 4, 8 or 16, "
                                          "not ")
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    if (registers < 8 || registers > 64) {
      emitError(getOperation()->getLoc(), "einfuse-cpu-contractions: "
                                          "registers must be in [8, 64], not ")
          << static_cast<int64_t>(registers);
      return signalPassFailure();
    }
    SmallVector<Contraction> found;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (auto c = match(op))
        found.push_back(*c);
    });
    IRRewriter rw(&getContext());
    for (Contraction &c : found) {
      Emitter e(rw, c.op.getLoc(), c, static_cast<unsigned>(vectorWidth));
      e.emit(registers);
      rw.eraseOp(c.op);
    }
  }
};
} // namespace
