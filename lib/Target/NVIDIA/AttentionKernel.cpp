//===- AttentionKernel.cpp - Fused attention for NVIDIA tensor cores ------===//
//
// Builds the 1-pass (online softmax) attention cascade as gpu.func kernels
// from upstream ops: nvgpu.device_async_copy (cp.async) for K/V tiles,
// nvgpu.ldmatrix for the fragments, nvvm.mma.sync m16n8k16 for Q*K^T and
// P*V (nvgpu.mma.sync has no bf16 form in MLIR 22, so the NVVM op is used
// directly), gpu.shuffle for the row reductions, math.exp2.
//
// Layout. A CTA owns BM = 16 * warps rows; warp w owns rows 16w..16w+15.
// Rows pack the G = Hq/Hkv query heads that share a key/value head: CTA row
// R of the (b, kv head) problem is query position R / G of head
// kvh * G + R % G, so a K/V tile in shared memory serves every head of its
// group (for G = 1 this is the plain [Sq] row order). Per key tile of BN
// keys:
//   S = Q K^T            (Q fragments stay in registers for the whole loop)
//   online softmax       (running max m and sum l per row, in the exp2
//                         domain; alpha = exp2(m_old - m_new) rescales l, O)
//   O += P V             (P re-used from the S accumulators as A fragments)
// while the next K tile and the current V tile stream in with cp.async
// (one buffer each, FlashAttention-2's overlap). Shared tiles are swizzled
// (16-byte chunk c of row r is stored at chunk c ^ (r & 7)) so ldmatrix is
// free of bank conflicts.
//
// mma.m16n8k16 fragments (per lane, g = lane / 4, t = lane % 4):
//   A 16x16: a0 (g, 2t..2t+1), a1 (g+8, 2t..), a2 (g, 2t+8..), a3 (g+8, 2t+8..)
//   B 16x8:  b0 (k = 2t..2t+1, n = g), b1 (k = 2t+8.., n = g)
//   C 16x8:  c0 c1 (g, 2t..2t+1), c2 c3 (g+8, 2t..2t+1)
//
// Three kernels per attention function:
//   <name>_fwd      BM = 64 (4 warps): writes the output directly;
//   <name>_split    BM = 16 (1 warp): the keys are split across CTAs (the
//                   partition rewrite's split-KV); each CTA writes its
//                   unnormalised O, running max and sum to a workspace;
//   <name>_combine  the partition's combine: rescale each split by
//                   exp2(m_s - max m), sum, normalise.
// The launcher runs _split + _combine when a CTA's G * Sq rows fit one warp
// (decode), _fwd otherwise.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace einfuse::nvidia {
namespace {

// The math and arith float ops whose NVVM lowering calls libdevice
// (math.exp2 -> __nv_exp2f, arith.maxnumf -> __nv_fmaxf) would make the PTX
// depend on finding the CUDA toolkit's libdevice at compile time (and
// convert-gpu-to-nvvm refuses llvm.intr.exp2). These call the NVVM
// intrinsic ex2.approx.f32 and LLVM's maxnum (max.f32) directly; no NaN
// reaches them (masked scores are -inf).
Value fastExp2(ImplicitLocOpBuilder &b, Value x) {
  return LLVM::CallIntrinsicOp::create(
             b, x.getType(), b.getStringAttr("llvm.nvvm.ex2.approx.f32"),
             ValueRange{x})
      .getResult(0);
}
Value fastMax(ImplicitLocOpBuilder &b, Value x, Value y) {
  return LLVM::MaxNumOp::create(b, x.getType(), x, y);
}

/// Block shapes of one kernel variant.
struct Shape {
  int64_t warps; ///< BM = 16 * warps
  int64_t blockN;
  bool split;    ///< write partial results for the combine kernel
  /// sm_90a: warpgroup MMA (wgmma) from shared memory instead of mma.sync;
  /// the tiles use the 128-byte swizzle layout wgmma reads.
  bool wgmma = false;
  int64_t blockM() const { return 16 * warps; }
  int64_t threads() const { return 32 * warps; }
};

/// Emits one attention kernel. Member functions build pieces of IR at the
/// builder's insertion point.
class AttentionBuilder {
public:
  AttentionBuilder(ImplicitLocOpBuilder &b, const gpu::AttentionSpec &spec,
                   Shape shape)
      : b(b), spec(spec), shape(shape), T(spec.elementType),
        D(spec.headDim), G(spec.numQueryHeads / spec.numKVHeads) {}

  void build(mlir::gpu::GPUModuleOp module, StringRef name);

private:
  // Constants.
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32(double v) {
    return arith::ConstantFloatOp::create(b, b.getF32Type(),
                                          APFloat(static_cast<float>(v)));
  }
  Value negInf() {
    return f32(-std::numeric_limits<double>::infinity());
  }
  Value i32(int64_t v) { return arith::ConstantIntOp::create(b, v, 32); }
  // Index arithmetic.
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value div(Value x, int64_t y) { return arith::DivUIOp::create(b, x, idx(y)); }
  Value rem(Value x, int64_t y) { return arith::RemUIOp::create(b, x, idx(y)); }
  Value minS(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
  Value maxS(Value x, Value y) { return arith::MaxSIOp::create(b, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, c, x, y);
  }
  // Float arithmetic.
  Value fadd(Value x, Value y) { return arith::AddFOp::create(b, x, y); }
  Value fmul(Value x, Value y) { return arith::MulFOp::create(b, x, y); }
  Value fmax(Value x, Value y) { return fastMax(b, x, y); }
  Value exp2(Value x) { return fastExp2(b, x); }
  Value shuffleXor(Value v, int64_t offset) {
    return mlir::gpu::ShuffleOp::create(b, v, offset, 32,
                                        mlir::gpu::ShuffleMode::XOR)
        .getShuffleResult();
  }
  /// Reduces over the 4 lanes of a quad (the lanes holding one row).
  Value quadMax(Value v) {
    v = fmax(v, shuffleXor(v, 1));
    return fmax(v, shuffleXor(v, 2));
  }
  Value quadSum(Value v) {
    v = fadd(v, shuffleXor(v, 1));
    return fadd(v, shuffleXor(v, 2));
  }

  /// Swizzled column (in elements) of 16-byte chunk `chunk` of row `row`.
  Value swizzle(Value row, Value chunk) {
    Value x = arith::XOrIOp::create(b, chunk, rem(row, 8));
    return mul(x, idx(8));
  }

  /// Indices of 16-byte chunk `chunk` of row `row` in a shared tile.
  /// mma.sync tiles are [rows, D] with the chunk swizzled within its row.
  /// wgmma tiles use the 128-byte swizzle: [D / 64][rows][64], 128-byte rows
  /// (8 chunks) whose chunk c is stored at c ^ (row % 8), 8-row atoms of
  /// 1024 bytes (the tile base is 1024-byte aligned).
  SmallVector<Value> tileIndex(Value row, Value chunk) {
    if (!shape.wgmma)
      return {row, swizzle(row, chunk)};
    return {div(chunk, 8), row, swizzle(row, rem(chunk, 8))};
  }

  /// wgmma descriptor of a 128B-swizzled operand at shared byte address
  /// `addr` (i64): start >> 4 in bits 0-13, leading byte offset >> 4 in
  /// 16-29, stride byte offset >> 4 in 32-45, swizzle mode 1 (128B) in
  /// 62-63.
  Value descriptor(Value addr, int64_t leading, int64_t stride) {
    auto c64 = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(b, v, 64);
    };
    Value start = arith::ShRUIOp::create(
        b, arith::AndIOp::create(b, addr, c64(0x3FFFF)), c64(4));
    int64_t fixed = ((leading >> 4) << 16) | ((stride >> 4) << 32) |
                    (int64_t(1) << 62);
    return arith::OrIOp::create(b, start, c64(fixed));
  }
  /// The descriptor `desc` moved by `bytes` (a multiple of 16).
  Value advance(Value desc, int64_t bytes) {
    if (bytes == 0)
      return desc;
    return arith::AddIOp::create(
        b, desc, arith::ConstantIntOp::create(b, bytes >> 4, 64));
  }
  /// One wgmma.mma_async m64nNk16 with f32 accumulators `acc` (an LLVM
  /// struct of N / 2 f32; null: start from zero). A is K-major; B is
  /// K-major, or N-major with `transB`.
  Value wgmma(Value acc, Value descA, Value descB, int64_t n, bool transB) {
    MLIRContext *ctx = b.getContext();
    Type accType = LLVM::LLVMStructType::getLiteral(
        ctx, SmallVector<Type>(n / 2, b.getF32Type()));
    bool zero = !acc;
    if (zero)
      acc = LLVM::PoisonOp::create(b, accType);
    auto type = T.isF16() ? NVVM::WGMMATypes::f16 : NVVM::WGMMATypes::bf16;
    return NVVM::WgmmaMmaAsyncOp::create(
        b, accType, acc, descA, descB,
        NVVM::MMAShapeAttr::get(ctx, 64, n, 16), type, type,
        NVVM::WGMMATypes::f32,
        zero ? NVVM::WGMMAScaleOut::zero : NVVM::WGMMAScaleOut::one,
        NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
        NVVM::MMALayout::row,
        transB ? NVVM::MMALayout::row : NVVM::MMALayout::col,
        /*satfinite=*/nullptr);
  }
  /// Orders generic-proxy shared writes (stores, cp.async) before the
  /// async-proxy reads of wgmma; each writing thread runs it before the
  /// barrier.
  void fenceAsyncShared() {
    NVVM::FenceProxyOp::create(
        b, NVVM::ProxyKind::async_shared,
        NVVM::SharedSpaceAttr::get(b.getContext(),
                                   NVVM::SharedSpace::shared_cta));
  }
  SmallVector<Value> unpack(Value acc, int64_t count) {
    SmallVector<Value> out;
    for (int64_t i = 0; i < count; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, acc, i));
    return out;
  }
  Value packStruct(ArrayRef<Value> values) {
    Type type = LLVM::LLVMStructType::getLiteral(
        b.getContext(), SmallVector<Type>(values.size(), b.getF32Type()));
    Value acc = LLVM::PoisonOp::create(b, type);
    for (auto [i, v] : llvm::enumerate(values))
      acc = LLVM::InsertValueOp::create(b, acc, v, int64_t(i));
    return acc;
  }

  /// Registers of 2 elements (one 32-bit register of a fragment).
  VectorType regType() { return VectorType::get({2}, T); }
  /// ldmatrix x4 at (row, chunk) of `tile`: 4 registers.
  SmallVector<Value, 4> ldmatrix(Value tile, Value row, Value chunk,
                                 bool transpose) {
    Value frag = nvgpu::LdMatrixOp::create(
        b, VectorType::get({4, 2}, T), tile,
        tileIndex(row, chunk), transpose, 4);
    SmallVector<Value, 4> regs;
    for (int64_t i = 0; i < 4; ++i)
      regs.push_back(vector::ExtractOp::create(b, frag, i));
    return regs;
  }
  /// One mma.sync m16n8k16 with f32 accumulators: c += a * b.
  void mma(ArrayRef<Value> a, ArrayRef<Value> bregs,
           MutableArrayRef<Value> c) {
    auto operand = [&](Value r) -> Value {
      if (T.isF16())
        return r;
      // bf16 fragments travel as packed 32-bit registers.
      return LLVM::BitcastOp::create(b, b.getI32Type(), r);
    };
    SmallVector<Value> A, B;
    for (Value r : a)
      A.push_back(operand(r));
    for (Value r : bregs)
      B.push_back(operand(r));
    NVVM::MMATypes ptxType = T.isF16() ? NVVM::MMATypes::f16
                                       : NVVM::MMATypes::bf16;
    Type f32Ty = b.getF32Type();
    auto result = LLVM::LLVMStructType::getLiteral(
        b.getContext(), {f32Ty, f32Ty, f32Ty, f32Ty});
    Value d = NVVM::MmaOp::create(
        b, result, A, B, SmallVector<Value>(c.begin(), c.end()),
        ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
        std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    for (int64_t i = 0; i < 4; ++i)
      c[i] = LLVM::ExtractValueOp::create(b, d, i);
  }
  /// A register of two elements from two f32 values.
  Value pack(Value x, Value y) {
    Value v = vector::FromElementsOp::create(
        b, VectorType::get({2}, b.getF32Type()), ValueRange{x, y});
    return arith::TruncFOp::create(b, regType(), v);
  }

  /// Per-row addressing of the packed (position, head) rows. Returns the
  /// element offset of row `R` (< G * Sq) in a [B, Hq, Sq, D] buffer.
  Value rowOffset(Value R) {
    Value pos = div(R, G), head = add(mul(kvHead, idx(G)), rem(R, G));
    Value bh = add(mul(batch, idx(spec.numQueryHeads)), head);
    return mul(add(mul(bh, seqQ), pos), idx(D));
  }

  /// Starts the async copy of `rows` rows of a [*, D] global buffer into
  /// shared `tile` (swizzled). Rows at or past `limit` are zero-filled;
  /// `rowOf(r)` gives the element offset of in-range row `r` of the tile.
  /// With `contiguous` (rowOf(r) = rowOf(0) + r * D), a tile wholly in
  /// range takes a fast path with one add per 16-byte chunk.
  Value copyTile(Value tile, Value src, int64_t rows, Value first,
                 Value limit, function_ref<Value(Value)> rowOf,
                 bool contiguous = false) {
    Type tokenType = nvgpu::DeviceAsyncTokenType::get(b.getContext());
    if (!contiguous)
      return copyTileChecked(tile, src, rows, first, limit, rowOf);
    Value full = cmp(arith::CmpIPredicate::sle, add(first, idx(rows)), limit);
    auto branch = scf::IfOp::create(
        b, full,
        [&](OpBuilder &, Location) {
          int64_t perThread = rows * (D / 8) / shape.threads();
          // Chunk c of the tile is at element c * 8 from its first row.
          Value base = add(rowOf(first), mul(tid, idx(8)));
          SmallVector<Value> tokens;
          for (int64_t i = 0; i < perThread; ++i) {
            Value c = add(tid, idx(i * shape.threads()));
            Value row = div(c, D / 8), chunk = rem(c, D / 8);
            tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
                b, tokenType, tile, tileIndex(row, chunk), src,
                ValueRange{add(base, idx(i * shape.threads() * 8))},
                b.getIndexAttr(8), Value(), b.getUnitAttr()));
          }
          scf::YieldOp::create(
              b, ValueRange{nvgpu::DeviceAsyncCreateGroupOp::create(
                     b, tokenType, tokens)});
        },
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(
              b, copyTileChecked(tile, src, rows, first, limit, rowOf));
        });
    return branch.getResult(0);
  }
  Value copyTileChecked(Value tile, Value src, int64_t rows, Value first,
                        Value limit, function_ref<Value(Value)> rowOf) {
    int64_t chunksPerRow = D / 8;
    int64_t perThread = rows * chunksPerRow / shape.threads();
    SmallVector<Value> tokens;
    for (int64_t i = 0; i < perThread; ++i) {
      Value c = add(tid, idx(i * shape.threads()));
      Value row = div(c, chunksPerRow), chunk = rem(c, chunksPerRow);
      Value global = add(first, row);
      Value inRange = cmp(arith::CmpIPredicate::slt, global, limit);
      // Out-of-range rows read nothing (src-size 0) from a valid address.
      Value safe = select(inRange, global, first);
      safe = minS(safe, maxS(sub(limit, idx(1)), idx(0)));
      Value offset = add(rowOf(safe), mul(chunk, idx(8)));
      Value count = select(inRange, idx(8), idx(0));
      tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
          b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tile,
          tileIndex(row, chunk), src, ValueRange{offset},
          b.getIndexAttr(8), count, b.getUnitAttr()));
    }
    return nvgpu::DeviceAsyncCreateGroupOp::create(
        b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tokens);
  }
  void waitGroups(Value token, int32_t pending) {
    nvgpu::DeviceAsyncWaitOp::create(b, token, b.getI32IntegerAttr(pending));
  }

  /// Whether key `m` is visible from query position `p` (index values).
  Value visible(Value m, Value p) {
    Value ok = cmp(arith::CmpIPredicate::slt, m, seqK);
    Value diag = add(p, offset);
    auto both = [&](Value c) { ok = arith::AndIOp::create(b, ok, c); };
    if (spec.causal)
      both(cmp(arith::CmpIPredicate::sle, m, diag));
    if (spec.windowLeft >= 0)
      both(cmp(arith::CmpIPredicate::sge, m,
               sub(diag, idx(spec.windowLeft))));
    if (spec.windowRight >= 0)
      both(cmp(arith::CmpIPredicate::sle, m,
               add(diag, idx(spec.windowRight))));
    return ok;
  }

  ImplicitLocOpBuilder &b;
  const gpu::AttentionSpec &spec;
  Shape shape;
  Type T;
  int64_t D, G;
  // Values of the kernel being built.
  Value tid, lane, warp, batch, kvHead, seqQ, seqK, offset;
};

void AttentionBuilder::build(mlir::gpu::GPUModuleOp module, StringRef name) {
  MLIRContext *ctx = b.getContext();
  auto wg = mlir::gpu::AddressSpaceAttr::get(
      ctx, mlir::gpu::AddressSpace::Workgroup);
  Type buf = MemRefType::get({ShapedType::kDynamic}, T);
  Type f32Buf = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
  // (q, k, v, out | o_part, ml_part, sq, sk, splits)
  SmallVector<Type> args = {buf, buf, buf, shape.split ? f32Buf : buf};
  if (shape.split)
    args.push_back(f32Buf);
  args.append({b.getI32Type(), b.getI32Type()});
  if (shape.split)
    args.push_back(b.getI32Type());
  b.setInsertionPointToEnd(module.getBody());
  auto fn = mlir::gpu::GPUFuncOp::create(b, name, b.getFunctionType(args, {}));
  fn->setAttr(mlir::gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  fn.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({int32_t(shape.threads()), 1, 1}));
  b.setInsertionPointToStart(&fn.getBody().front());
  Block &entry = fn.getBody().front();
  Value q = entry.getArgument(0), k = entry.getArgument(1),
        v = entry.getArgument(2), out = entry.getArgument(3);
  unsigned next = 4;
  Value mlPart = shape.split ? entry.getArgument(next++) : Value();
  auto asIndex = [&](Value x) {
    return arith::IndexCastOp::create(b, b.getIndexType(), x).getResult();
  };
  seqQ = asIndex(entry.getArgument(next++));
  seqK = asIndex(entry.getArgument(next++));
  Value splits = shape.split ? asIndex(entry.getArgument(next++)) : idx(1);

  int64_t BM = shape.blockM(), BN = shape.blockN;
  tid = mlir::gpu::ThreadIdOp::create(b, mlir::gpu::Dimension::x);
  lane = rem(tid, 32);
  warp = div(tid, 32);
  Value tileM = mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::x);
  if (spec.causal)
    // The last query tiles see the most keys: start them first so that the
    // short ones fill the tail of the launch.
    tileM = sub(sub(mlir::gpu::GridDimOp::create(b, mlir::gpu::Dimension::x),
                    idx(1)),
                tileM);
  kvHead = mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::y);
  Value bz = mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::z);
  batch = arith::DivUIOp::create(b, bz, splits);
  Value split = arith::RemUIOp::create(b, bz, splits);
  offset = spec.bottomRight ? sub(seqK, seqQ) : idx(0);
  Value rows = mul(seqQ, idx(G)); // packed rows of this (b, kv head)
  Value rowStart = mul(tileM, idx(BM));
  Value kvBase = mul(add(mul(batch, idx(spec.numKVHeads)), kvHead),
                     mul(seqK, idx(D)));

  // Shared memory: Q [BM, D], K [BN, D], V [BN, D] (and P [BM, BN] for
  // wgmma, which reads P from shared memory). wgmma's swizzle is on
  // absolute address bits: its tiles start at a 1024-byte boundary.
  Value smem = mlir::gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), nullptr, wg));
  int64_t eb = T.getIntOrFloatBitWidth() / 8;
  Value smemAddr, alignShift = idx(0);
  if (shape.wgmma) {
    smemAddr = memref::ExtractAlignedPointerAsIndexOp::create(b, smem);
    alignShift = rem(sub(idx(1024), rem(smemAddr, 1024)), 1024);
  }
  auto view = [&](int64_t byteOffset, int64_t rowsOfTile,
                  int64_t cols) -> Value {
    Type type = shape.wgmma
                    ? MemRefType::get({cols / 64, rowsOfTile, 64}, T, nullptr, wg)
                    : MemRefType::get({rowsOfTile, cols}, T, nullptr, wg);
    return memref::ViewOp::create(b, type, smem,
                                  add(alignShift, idx(byteOffset)),
                                  ValueRange{});
  };
  int64_t qOff = 0, kOff = BM * D * eb, vOff = (BM + BN) * D * eb,
          pOff = (BM + 2 * BN) * D * eb;
  Value qs = view(qOff, BM, D), ks = view(kOff, BN, D),
        vs = view(vOff, BN, D);
  Value ps = shape.wgmma ? view(pOff, BM, BN) : Value();
  // Shared byte address of a tile, as i64 (wgmma descriptors).
  auto tileAddr = [&](int64_t byteOffset) -> Value {
    return arith::IndexCastOp::create(
        b, b.getI64Type(),
        add(add(smemAddr, alignShift), idx(byteOffset)));
  };

  // Key range of this CTA: its positions [posLo, posHi] see keys
  // [lo, hi) (causal / window), intersected with its split.
  Value posLo = div(rowStart, G);
  Value posHi = div(add(rowStart, idx(BM - 1)), G);
  Value lo = idx(0), hi = seqK;
  if (spec.windowLeft >= 0)
    lo = maxS(lo, sub(add(posLo, offset), idx(spec.windowLeft)));
  if (spec.causal)
    hi = minS(hi, add(add(posHi, offset), idx(1)));
  if (spec.windowRight >= 0)
    hi = minS(hi, add(add(posHi, offset), idx(spec.windowRight + 1)));
  Value firstTile = arith::DivSIOp::create(b, lo, idx(BN));
  Value endTile = maxS(firstTile, arith::CeilDivSIOp::create(b, hi, idx(BN)));
  if (shape.split) {
    // Split s takes tiles [s * per, (s + 1) * per) of the CTA's range.
    Value count = sub(endTile, firstTile);
    Value per = arith::CeilDivSIOp::create(b, count, splits);
    Value start = add(firstTile, mul(split, per));
    firstTile = minS(start, endTile);
    endTile = minS(add(start, per), endTile);
  }

  // Prologue: Q and the first K tile.
  auto qRowOf = [&](Value r) { return rowOffset(r); };
  auto kvRowOf = [&](Value r) { return add(kvBase, mul(r, idx(D))); };
  Value token = copyTile(qs, q, BM, rowStart, rows, qRowOf);
  Value lastTile = maxS(sub(endTile, idx(1)), firstTile);
  token = copyTile(ks, k, BN, mul(firstTile, idx(BN)), seqK, kvRowOf);
  waitGroups(token, 0);
  if (shape.wgmma)
    fenceAsyncShared();
  mlir::gpu::BarrierOp::create(b);

  // Q fragments, kept in registers.
  Value warpRow = mul(warp, idx(16));
  SmallVector<SmallVector<Value, 4>> qFrag;
  if (!shape.wgmma)
    for (int64_t kk = 0; kk < D / 16; ++kk)
      qFrag.push_back(ldmatrix(qs, add(warpRow, rem(lane, 16)),
                               add(idx(2 * kk), div(lane, 16)), false));
  // wgmma operands: this warpgroup's 64 rows of Q and P, all of K and V.
  Value descQ, descK, descP, descV;
  if (shape.wgmma) {
    Value groupRows = mul(div(warp, 4), idx(64 * 128));
    auto at = [&](int64_t off, Value extra) {
      return add(arith::IndexCastOp::create(b, b.getI64Type(), extra)
                     .getResult(),
                 tileAddr(off));
    };
    // K-major operands: stride 1024 between 8-row atoms (leading offset
    // unused with swizzling). V is N-major: leading offset = the next 64
    // columns of D (a BN x 64 block), stride = the next 8 keys.
    descQ = descriptor(at(qOff, groupRows), 16, 1024);
    descP = descriptor(at(pOff, groupRows), 16, 1024);
    descK = descriptor(tileAddr(kOff), 16, 1024);
    descV = descriptor(tileAddr(vOff), BN * 128, 1024);
  }

  // This lane's two rows (g and g + 8 of its warp) and their positions.
  Value g = div(lane, 4), t4 = rem(lane, 4);
  Value rowOfLane[2], posOfLane[2];
  for (int64_t r = 0; r < 2; ++r) {
    rowOfLane[r] = add(add(rowStart, warpRow), add(g, idx(8 * r)));
    posOfLane[r] = div(rowOfLane[r], G);
  }

  // Loop over key tiles: carried m[2], l[2], O[D/8][4].
  int64_t nBlocks = BN / 8, dBlocks = D / 8;
  SmallVector<Value> init = {negInf(), negInf(), f32(0), f32(0)};
  for (int64_t i = 0; i < dBlocks * 4; ++i)
    init.push_back(f32(0));
  double scaleLog2 = spec.scale * M_LOG2E;
  auto loop = scf::ForOp::create(b, firstTile, endTile, idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value j = loop.getInductionVar();
    ValueRange carried = loop.getRegionIterArgs();
    Value m[2] = {carried[0], carried[1]}, l[2] = {carried[2], carried[3]};
    SmallVector<Value> o(carried.begin() + 4, carried.end());
    Value keyStart = mul(j, idx(BN));

    // V_j streams in while S = Q K_j^T is computed.
    Value vToken = copyTile(vs, v, BN, keyStart, seqK, kvRowOf, true);
    SmallVector<Value> s(nBlocks * 4, f32(0));
    if (shape.wgmma) {
      // S = Q K^T: one m64nBNk16 per 16 columns of D; 64-column blocks of
      // Q and K are BM x 128 and BN x 128 bytes apart, 16 columns 32 bytes.
      NVVM::WgmmaFenceAlignedOp::create(b);
      Value acc;
      for (int64_t ks = 0; ks < D / 16; ++ks) {
        int64_t cb = ks / 4, in = (ks % 4) * 32;
        acc = wgmma(acc, advance(descQ, cb * BM * 128 + in),
                    advance(descK, cb * BN * 128 + in), BN,
                    /*transB=*/false);
      }
      NVVM::WgmmaGroupSyncAlignedOp::create(b);
      NVVM::WgmmaWaitGroupSyncOp::create(b, b.getI64IntegerAttr(0));
      s = unpack(acc, BN / 2);
    }
    for (int64_t kk = 0; kk < (shape.wgmma ? 0 : D / 16); ++kk)
      for (int64_t np = 0; np < BN / 16; ++np) {
        Value row = add(idx(np * 16),
                        add(mul(div(lane, 16), idx(8)), rem(lane, 8)));
        Value chunk = add(idx(2 * kk), rem(div(lane, 8), 2));
        SmallVector<Value, 4> f = ldmatrix(ks, row, chunk, false);
        mma(qFrag[kk], {f[0], f[1]},
            MutableArrayRef<Value>(s).slice(8 * np, 4));
        mma(qFrag[kk], {f[2], f[3]},
            MutableArrayRef<Value>(s).slice(8 * np + 4, 4));
      }
    mlir::gpu::BarrierOp::create(b);
    // K_{j+1} streams in during the softmax and P V (the last iteration
    // re-reads its own tile rather than branch around the copy).
    Value nextTile = minS(add(j, idx(1)), lastTile);
    Value kToken =
        copyTile(ks, k, BN, mul(nextTile, idx(BN)), seqK, kvRowOf, true);

    // The exp2-domain scale c = scale * log2(e) folds into one FMA per
    // element, exp2(s * c - m), when c > 0 (then max(s) c = max(s c));
    // otherwise scale first. Mask only tiles that cross a boundary.
    bool folded = scaleLog2 > 0;
    if (!folded)
      for (Value &x : s)
        x = fmul(x, f32(scaleLog2));
    Value keyEnd = add(keyStart, idx(BN - 1));
    Value tilePosLo = div(rowStart, G);
    Value tilePosHi = div(add(rowStart, idx(BM - 1)), G);
    Value needMask = cmp(arith::CmpIPredicate::sge, keyEnd, seqK);
    auto orMask = [&](Value c) {
      needMask = arith::OrIOp::create(b, needMask, c);
    };
    if (spec.causal)
      orMask(cmp(arith::CmpIPredicate::sgt, keyEnd, add(tilePosLo, offset)));
    if (spec.windowLeft >= 0)
      orMask(cmp(arith::CmpIPredicate::slt, keyStart,
                 sub(add(tilePosHi, offset), idx(spec.windowLeft))));
    if (spec.windowRight >= 0)
      orMask(cmp(arith::CmpIPredicate::sgt, keyEnd,
                 add(add(tilePosLo, offset), idx(spec.windowRight))));
    auto masked = scf::IfOp::create(
        b, needMask,
        [&](OpBuilder &, Location) {
          SmallVector<Value> r;
          for (int64_t nb = 0; nb < nBlocks; ++nb)
            for (int64_t e = 0; e < 4; ++e) {
              Value key = add(keyStart, add(idx(nb * 8 + e % 2),
                                            mul(t4, idx(2))));
              r.push_back(select(visible(key, posOfLane[e / 2]),
                                 s[nb * 4 + e], negInf()));
            }
          scf::YieldOp::create(b, r);
        },
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, s); });
    s.assign(masked.getResults().begin(), masked.getResults().end());

    // Online softmax, one row at a time (elements e / 2 == r).
    Value newM[2], newL[2];
    for (int64_t r = 0; r < 2; ++r) {
      Value mx = negInf();
      for (int64_t nb = 0; nb < nBlocks; ++nb)
        for (int64_t e = 0; e < 2; ++e)
          mx = fmax(mx, s[nb * 4 + 2 * r + e]);
      mx = quadMax(mx);
      newM[r] = fmax(m[r], folded ? fmul(mx, f32(scaleLog2)) : mx);
      // A row with nothing visible yet keeps m = -inf; subtract 0 then.
      Value isEmpty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ,
                                            newM[r], negInf());
      Value base = select(isEmpty, f32(0), newM[r]);
      Value alpha = exp2(arith::SubFOp::create(b, m[r], base));
      Value negBase = arith::NegFOp::create(b, base);
      Value sum = f32(0);
      for (int64_t nb = 0; nb < nBlocks; ++nb)
        for (int64_t e = 0; e < 2; ++e) {
          Value &x = s[nb * 4 + 2 * r + e];
          // mul + add marked contractable: one fma.rn in PTX (math.fma
          // would call libdevice's __nv_fmaf).
          auto contract = arith::FastMathFlags::contract;
          Value y = folded ? arith::MulFOp::create(b, x, f32(scaleLog2),
                                                   contract)
                                 .getResult()
                           : x;
          x = exp2(arith::AddFOp::create(b, y, negBase, contract));
          sum = fadd(sum, x);
        }
      // l is a per-lane partial sum; the quad reduces it at the end.
      newL[r] = fadd(fmul(l[r], alpha), sum);
      for (int64_t db = 0; db < dBlocks; ++db)
        for (int64_t e = 0; e < 2; ++e)
          o[db * 4 + 2 * r + e] = fmul(o[db * 4 + 2 * r + e], alpha);
    }

    if (shape.wgmma) {
      // P goes to shared memory (K-major, swizzled) for wgmma to read.
      for (int64_t nb = 0; nb < nBlocks; ++nb)
        for (int64_t r = 0; r < 2; ++r) {
          Value row = add(warpRow, add(g, idx(8 * r)));
          SmallVector<Value> at = tileIndex(row, idx(nb));
          at[2] = add(at[2], mul(t4, idx(2)));
          vector::StoreOp::create(b, pack(s[nb * 4 + 2 * r],
                                          s[nb * 4 + 2 * r + 1]),
                                  ps, at, /*nontemporal=*/false,
                                  llvm::MaybeAlign(4));
        }
      fenceAsyncShared();
    }
    waitGroups(vToken, 1);
    if (shape.wgmma)
      fenceAsyncShared();
    mlir::gpu::BarrierOp::create(b);
    if (shape.wgmma) {
      // O += P V: one m64nDk16 per 16 keys (2 atoms of 8 keys of V).
      NVVM::WgmmaFenceAlignedOp::create(b);
      Value acc = packStruct(o);
      for (int64_t ks = 0; ks < BN / 16; ++ks) {
        int64_t cb = ks / 4, in = (ks % 4) * 32;
        acc = wgmma(acc, advance(descP, cb * BM * 128 + in),
                    advance(descV, ks * 16 * 128), D, /*transB=*/true);
      }
      NVVM::WgmmaGroupSyncAlignedOp::create(b);
      NVVM::WgmmaWaitGroupSyncOp::create(b, b.getI64IntegerAttr(0));
      o = unpack(acc, D / 2);
    }
    for (int64_t kk = 0; kk < (shape.wgmma ? 0 : BN / 16); ++kk) {
      Value pFrag[4] = {pack(s[8 * kk + 0], s[8 * kk + 1]),
                        pack(s[8 * kk + 2], s[8 * kk + 3]),
                        pack(s[8 * kk + 4], s[8 * kk + 5]),
                        pack(s[8 * kk + 6], s[8 * kk + 7])};
      for (int64_t dp = 0; dp < D / 16; ++dp) {
        Value row = add(idx(kk * 16),
                        add(mul(rem(div(lane, 8), 2), idx(8)), rem(lane, 8)));
        Value chunk = add(idx(2 * dp), div(lane, 16));
        SmallVector<Value, 4> f = ldmatrix(vs, row, chunk, true);
        mma(pFrag, {f[0], f[1]}, MutableArrayRef<Value>(o).slice(8 * dp, 4));
        mma(pFrag, {f[2], f[3]},
            MutableArrayRef<Value>(o).slice(8 * dp + 4, 4));
      }
    }
    waitGroups(kToken, 0);
    if (shape.wgmma)
      fenceAsyncShared();
    mlir::gpu::BarrierOp::create(b);
    SmallVector<Value> yield = {newM[0], newM[1], newL[0], newL[1]};
    yield.append(o);
    scf::YieldOp::create(b, yield);
  }

  // Epilogue.
  ValueRange res = loop.getResults();
  for (int64_t r = 0; r < 2; ++r) {
    Value R = rowOfLane[r];
    Value inRange = cmp(arith::CmpIPredicate::slt, R, rows);
    Value lSum = quadSum(res[2 + r]);
    auto ifRow = scf::IfOp::create(b, inRange, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifRow.thenBlock());
    if (!shape.split) {
      // out = O / l, 0 for rows that saw no key.
      Value isZero = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, lSum,
                                           f32(0));
      Value inv = select(isZero, f32(0),
                         arith::DivFOp::create(b, f32(1), lSum));
      Value base = add(rowOffset(R), mul(t4, idx(2)));
      for (int64_t db = 0; db < dBlocks; ++db) {
        Value val = pack(fmul(res[4 + db * 4 + 2 * r], inv),
                         fmul(res[4 + db * 4 + 2 * r + 1], inv));
        vector::StoreOp::create(b, val, out,
                                ValueRange{add(base, idx(db * 8))},
                                /*nontemporal=*/false, llvm::MaybeAlign(4));
      }
      continue;
    }
    // Partials: o_part[split][b][kvh][R][D] (f32, unnormalised) and
    // ml_part[split][b][kvh][R][2] = (m, l); B = gridDim.z / splits.
    Value numBatch = arith::DivUIOp::create(
        b, mlir::gpu::GridDimOp::create(b, mlir::gpu::Dimension::z), splits);
    Value total = mul(mul(numBatch, idx(spec.numKVHeads)), rows);
    Value rowIndex =
        add(mul(split, total),
            add(mul(add(mul(batch, idx(spec.numKVHeads)), kvHead), rows), R));
    Value base = add(mul(rowIndex, idx(D)), mul(t4, idx(2)));
    for (int64_t db = 0; db < dBlocks; ++db) {
      Value val = vector::FromElementsOp::create(
          b, VectorType::get({2}, b.getF32Type()),
          ValueRange{res[4 + db * 4 + 2 * r], res[4 + db * 4 + 2 * r + 1]});
      vector::StoreOp::create(b, val, out, ValueRange{add(base, idx(db * 8))},
                              /*nontemporal=*/false, llvm::MaybeAlign(8));
    }
    Value isLead = cmp(arith::CmpIPredicate::eq, t4, idx(0));
    auto ifLead = scf::IfOp::create(b, isLead, /*withElse=*/false);
    b.setInsertionPointToStart(ifLead.thenBlock());
    Value ml = vector::FromElementsOp::create(
        b, VectorType::get({2}, b.getF32Type()), ValueRange{res[r], lSum});
    vector::StoreOp::create(b, ml, mlPart, ValueRange{mul(rowIndex, idx(2))},
                            /*nontemporal=*/false, llvm::MaybeAlign(8));
  }
  mlir::gpu::ReturnOp::create(b);
}

/// The combine of the split-KV partition: one thread per output element.
/// out[b,h,p,d] = sum_s exp2(m_s - M) O_s[d] / sum_s exp2(m_s - M) l_s with
/// M = max_s m_s (0 where every split saw nothing).
void buildCombine(ImplicitLocOpBuilder &b, mlir::gpu::GPUModuleOp module,
                  StringRef name, const gpu::AttentionSpec &spec) {
  Type T = spec.elementType;
  int64_t D = spec.headDim, G = spec.numQueryHeads / spec.numKVHeads;
  Type f32 = b.getF32Type();
  Type buf = MemRefType::get({ShapedType::kDynamic}, T);
  Type f32Buf = MemRefType::get({ShapedType::kDynamic}, f32);
  Type i32 = b.getI32Type();
  // (o_part, ml_part, out, total rows = B * Hkv * G * Sq, sq, splits)
  b.setInsertionPointToEnd(module.getBody());
  auto fn = mlir::gpu::GPUFuncOp::create(
      b, name, b.getFunctionType({f32Buf, f32Buf, buf, i32, i32, i32}, {}));
  fn->setAttr(mlir::gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  fn.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({256, 1, 1}));
  Block &entry = fn.getBody().front();
  b.setInsertionPointToStart(&entry);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, v);
  };
  auto asIndex = [&](Value x) -> Value {
    return arith::IndexCastOp::create(b, b.getIndexType(), x);
  };
  Value oPart = entry.getArgument(0), mlPart = entry.getArgument(1),
        out = entry.getArgument(2);
  Value total = asIndex(entry.getArgument(3));
  Value seqQ = asIndex(entry.getArgument(4));
  Value splits = asIndex(entry.getArgument(5));
  Value tid = mlir::gpu::ThreadIdOp::create(b, mlir::gpu::Dimension::x);
  Value bid = mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::x);
  Value e = arith::AddIOp::create(
      b, arith::MulIOp::create(b, bid, idx(256)), tid);
  Value row = arith::DivUIOp::create(b, e, idx(D));
  Value d = arith::RemUIOp::create(b, e, idx(D));
  auto inRange = scf::IfOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, total),
      false);
  b.setInsertionPointToStart(inRange.thenBlock());
  Value stride = total; // rows per split
  Value negInf = arith::ConstantFloatOp::create(
      b, b.getF32Type(), APFloat(-std::numeric_limits<float>::infinity()));
  Value zero = arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat(0.0f));
  // Pass 1: the largest m.
  auto maxLoop = scf::ForOp::create(b, idx(0), splits, idx(1),
                                    ValueRange{negInf});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(maxLoop.getBody());
    Value r = arith::AddIOp::create(
        b, arith::MulIOp::create(b, maxLoop.getInductionVar(), stride), row);
    Value mS = memref::LoadOp::create(
        b, mlPart, ValueRange{arith::MulIOp::create(b, r, idx(2))});
    scf::YieldOp::create(
        b, ValueRange{fastMax(b, maxLoop.getRegionIterArgs()[0], mS)});
  }
  Value M = maxLoop.getResult(0);
  Value isEmpty =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, M, negInf);
  M = arith::SelectOp::create(b, isEmpty, zero, M);
  // Pass 2: rescaled sums.
  auto sumLoop = scf::ForOp::create(b, idx(0), splits, idx(1),
                                    ValueRange{zero, zero});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(sumLoop.getBody());
    Value r = arith::AddIOp::create(
        b, arith::MulIOp::create(b, sumLoop.getInductionVar(), stride), row);
    Value r2 = arith::MulIOp::create(b, r, idx(2));
    Value mS = memref::LoadOp::create(b, mlPart, ValueRange{r2});
    Value lS = memref::LoadOp::create(
        b, mlPart, ValueRange{arith::AddIOp::create(b, r2, idx(1))});
    Value oS = memref::LoadOp::create(
        b, oPart,
        ValueRange{arith::AddIOp::create(
            b, arith::MulIOp::create(b, r, idx(D)), d)});
    Value w = fastExp2(b, arith::SubFOp::create(b, mS, M));
    ValueRange acc = sumLoop.getRegionIterArgs();
    scf::YieldOp::create(
        b, ValueRange{arith::AddFOp::create(b, acc[0],
                                            arith::MulFOp::create(b, w, oS)),
                      arith::AddFOp::create(b, acc[1],
                                            arith::MulFOp::create(b, w, lS))});
  }
  Value num = sumLoop.getResult(0), den = sumLoop.getResult(1);
  Value denZero =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, den, zero);
  Value value = arith::SelectOp::create(
      b, denZero, zero, arith::DivFOp::create(b, num, den));
  // Row = ((b * Hkv + kvh) * G * Sq + R), R = pos * G + g.
  Value rowsPerHead = arith::MulIOp::create(b, seqQ, idx(G));
  Value bk = arith::DivUIOp::create(b, row, rowsPerHead);
  Value R = arith::RemUIOp::create(b, row, rowsPerHead);
  Value batch = arith::DivUIOp::create(b, bk, idx(spec.numKVHeads));
  Value kvh = arith::RemUIOp::create(b, bk, idx(spec.numKVHeads));
  Value head = arith::AddIOp::create(b, arith::MulIOp::create(b, kvh, idx(G)),
                                     arith::RemUIOp::create(b, R, idx(G)));
  Value pos = arith::DivUIOp::create(b, R, idx(G));
  Value bh = arith::AddIOp::create(
      b, arith::MulIOp::create(b, batch, idx(spec.numQueryHeads)), head);
  Value offset = arith::AddIOp::create(
      b,
      arith::MulIOp::create(
          b, arith::AddIOp::create(b, arith::MulIOp::create(b, bh, seqQ), pos),
          idx(D)),
      d);
  memref::StoreOp::create(b, arith::TruncFOp::create(b, T, value), out,
                          ValueRange{offset});
  b.setInsertionPointToEnd(&entry);
  mlir::gpu::ReturnOp::create(b);
}

} // namespace

FailureOr<gpu::LaunchPlan>
buildAttentionKernels(mlir::gpu::GPUModuleOp module,
                      const gpu::AttentionSpec &spec,
                      const KernelSignature &sig, StringRef chip,
                      AttentionTiling tiling) {
  ImplicitLocOpBuilder b(module.getLoc(), module.getContext());
  std::string name = sig.name;
  bool wgmma = tiling.wgmma.value_or(chip == "sm_90a");
  bool big = spec.headDim >= 128;
  int64_t warps = wgmma ? 4 : (big ? 8 : 4);
  int64_t blockN = wgmma ? (big ? 64 : 128) : (big ? 128 : 64);
  Shape wide{tiling.warps ? tiling.warps : warps,
             tiling.blockN ? tiling.blockN : blockN, /*split=*/false, wgmma};
  // Decode: one warp; 32-key tiles at D = 256 keep its registers in bounds.
  Shape narrow{/*warps=*/1, /*blockN=*/spec.headDim >= 256 ? 32 : 64,
               /*split=*/true};
  AttentionBuilder(b, spec, wide).build(module, name + "_fwd");
  AttentionBuilder(b, spec, narrow).build(module, name + "_split");
  buildCombine(b, module, name + "_combine", spec);

  int64_t D = spec.headDim, G = spec.numQueryHeads / spec.numKVHeads;
  int64_t eb = spec.elementType.getIntOrFloatBitWidth() / 8;
  const KernelArg &qa = sig.args[0], &ka = sig.args[1], &va = sig.args[2],
                  &oa = sig.args[3];
  gpu::LaunchPlan plan;
  plan.signature = sig;
  // Sizes that must agree are checked by every launcher (getArgumentChecks).
  std::string B = getSizeExpr(qa, 0), Sq = getSizeExpr(qa, 2),
              Sk = getSizeExpr(ka, 2);
  std::string Hq = std::to_string(spec.numQueryHeads),
              Hkv = std::to_string(spec.numKVHeads), Gs = std::to_string(G),
              Ds = std::to_string(D);
  // cp.async moves 16-byte chunks: every buffer must be 16-byte aligned.
  plan.preamble.push_back("if (((uintptr_t)in0 | (uintptr_t)in1 | "
                          "(uintptr_t)in2 | (uintptr_t)out0) % 16) return -5;");
  plan.preamble.push_back("if (" + Sq + " > INT32_MAX / " + Gs + " || " + Sq +
                          " > " + std::to_string(gpu::kMaxGPUSequence) +
                          " || " + Sk + " > " +
                          std::to_string(gpu::kMaxGPUSequence) +
                          ") return -2;");
  plan.preamble.push_back("int64_t rows = " + Sq + " * " + Gs + ";");
  // Split-KV when one warp holds a CTA's rows: enough splits to give the
  // GPU ~1000 CTAs, at least 256 keys each.
  plan.preamble.push_back("int decode = rows <= 16;");
  plan.preamble.push_back(
      "int64_t base = (int64_t)" + B + " * " + Hkv + ";");
  plan.preamble.push_back(
      "int64_t splits = base > 0 ? (1056 + base - 1) / base : 1;");
  plan.preamble.push_back("int64_t most = (" + Sk + " + 255) / 256;");
  plan.preamble.push_back("if (splits > most) splits = most;");
  // The batch (times the splits) is the grid's z, at most 65535.
  plan.preamble.push_back("if (" + B + " > 65535) return -2;");
  plan.preamble.push_back("if (splits > 65535 / (" + B +
                          " > 0 ? " + B + " : 1)) splits = 65535 / (" + B +
                          " > 0 ? " + B + " : 1);");
  plan.preamble.push_back("if (splits < 1) splits = 1;");
  plan.preamble.push_back("if (!decode) splits = 0;");
  std::string partRows = "(splits * base * rows)";
  plan.workspaceBytes = "decode ? " + partRows + " * (" + Ds + " + 2) * 4 : 0";

  auto count = [&](const KernelArg &a) {
    std::string c = "(int64_t)1";
    for (int64_t d = 0; d < a.type.getRank(); ++d)
      c += " * " + getSizeExpr(a, d);
    return c;
  };
  using K = gpu::LaunchParam::Kind;
  gpu::Launch fwd;
  fwd.symbol = name + "_fwd";
  std::string bm = std::to_string(wide.blockM());
  fwd.grid[0] = "decode ? 0 : (rows + " + bm + " - 1) / " + bm;
  fwd.grid[1] = Hkv;
  fwd.grid[2] = B;
  fwd.block[0] = wide.threads();
  fwd.dynamicSharedBytes = (wide.blockM() + 2 * wide.blockN) * D * eb;
  if (wide.wgmma) // P, and room to align the tiles to 1024 bytes
    fwd.dynamicSharedBytes += wide.blockM() * wide.blockN * eb + 1024;
  fwd.params = {{K::Buffer, "in0", count(qa)},
                {K::Buffer, "in1", count(ka)},
                {K::Buffer, "in2", count(va)},
                {K::Buffer, "out0", count(oa)},
                {K::Int32, Sq, ""},
                {K::Int32, Sk, ""}};
  gpu::Launch splitL;
  splitL.symbol = name + "_split";
  splitL.grid[0] = "decode ? 1 : 0";
  splitL.grid[1] = Hkv;
  splitL.grid[2] = "(int64_t)" + B + " * splits";
  splitL.block[0] = narrow.threads();
  splitL.dynamicSharedBytes = (narrow.blockM() + 2 * narrow.blockN) * D * eb;
  std::string oBytes = partRows + " * " + Ds + " * 4";
  splitL.params = {{K::Buffer, "in0", count(qa)},
                   {K::Buffer, "in1", count(ka)},
                   {K::Buffer, "in2", count(va)},
                   {K::Buffer, "ws", partRows + " * " + Ds},
                   {K::Buffer, "ws + " + oBytes, partRows + " * 2"},
                   {K::Int32, Sq, ""},
                   {K::Int32, Sk, ""},
                   {K::Int32, "splits", ""}};
  gpu::Launch combine;
  combine.symbol = name + "_combine";
  combine.grid[0] = "decode ? (base * rows * " + Ds + " + 255) / 256 : 0";
  combine.grid[1] = "1";
  combine.grid[2] = "1";
  combine.block[0] = 256;
  combine.params = {{K::Buffer, "ws", partRows + " * " + Ds},
                    {K::Buffer, "ws + " + oBytes, partRows + " * 2"},
                    {K::Buffer, "out0", count(oa)},
                    {K::Int32, "base * rows", ""},
                    {K::Int32, Sq, ""},
                    {K::Int32, "splits", ""}};
  plan.launches = {fwd, splitL, combine};
  return plan;
}

} // namespace einfuse::nvidia
