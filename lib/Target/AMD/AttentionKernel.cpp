//===- AttentionKernel.cpp - Attention forward on MFMA --------------------===//
//
// One kernel, one pass over the keys (FlashAttention): a workgroup of 4
// waves owns 64 queries of one (batch, query head); each wave owns 16 of
// them. For every tile of keys (64 for D = 64, 32 for D = 128, so that
// the LDS tiles stay near 17 KiB) the workgroup stages K and V^T in LDS,
// then each wave computes, with v_mfma_f32_16x16x16 (see Kernels.h for the
// register layout):
//
//   S^T[key][q] = sum over d of K[key][d] * Q[q][d]     (A = K from LDS,
//                                                         B = Q^T, in VGPRs)
//   online softmax on the columns of S^T (one query per lane column)
//   O^T[d][q]  += sum over key of V^T[d][key] * P^T[key][q]
//                                                        (A = V^T from LDS,
//                                                         B = P^T, in VGPRs)
//
// Computing the transposed products is what keeps everything in registers:
// the accumulator of S^T for 16 keys (lane 16g+c: query c, keys 4g..4g+3)
// is, after exp2 and a conversion to f16/bf16, exactly the B fragment of
// the P^T operand of the second product (k = those 4 keys, column = query
// c). And every lane with the same c holds the same query in both
// accumulators, so the softmax statistics of query c live in lanes
// c, c+16, c+32, c+48: the row max is reduced with two xor-shuffles (16,
// 32); the running sum stays per lane (each lane sums its own keys, all
// rescaled by the same factor) and is reduced once at the end.
//
// Scores are taken in the log2 domain: s2 = s * scale * log2(e), p =
// exp2(s2 - max) with rocdl.exp2 (v_exp_f32; math.exp2 would need ROCm's
// device libraries). Masked scores are -inf; while every key of a query is
// masked its max is -inf and 0 is used in its place, so p = 0 and no NaN
// appears; a query without any unmasked key ends with sum 0 and writes 0.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace einfuse::amd {

namespace {
constexpr int64_t kWaves = 4;
constexpr int64_t kThreads = kWaves * kWaveSize;
/// Queries per workgroup (16 per wave).
constexpr int64_t kBlockQ = 16 * kWaves;
/// Elements of padding after each LDS row, so that the 16 lanes reading 16
/// rows do not all hit one bank. 4 keeps rows 8-byte aligned for the
/// vector<4xT> accesses.
constexpr int64_t kPad = 4;
} // namespace

FailureOr<gpu::LaunchPlan> buildAttentionKernel(mlir::gpu::GPUModuleOp module,
                                                const gpu::AttentionSpec &spec,
                                                const KernelSignature &sig) {
  MLIRContext *ctx = module.getContext();
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  const int64_t D = spec.headDim;
  // Keys per LDS tile: the K and V^T tiles take about 17 KiB, so that three
  // workgroups fit in the 64 KiB of LDS of a CU.
  const int64_t kBlockK = D >= 128 ? 32 : 64;
  const int64_t dBlocks = D / 16;
  const int64_t kBlocks = kBlockK / 16;
  const int64_t group = spec.numQueryHeads / spec.numKVHeads;
  Type T = spec.elementType;
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto v4T = VectorType::get({4}, T);
  auto v4f32 = VectorType::get({4}, f32);
  auto buffer = MemRefType::get({ShapedType::kDynamic}, T);

  // LDS: K as [key][d] (rows of D + kPad), V transposed as [d][key] (rows of
  // kBlockK + kPad): both MFMA A operands then read 4 consecutive elements.
  const int64_t kStride = D + kPad, vtStride = kBlockK + kPad;
  std::string name = sig.name + "_attention";
  mlir::gpu::GPUFuncOp fn = createKernel(
      b, module, name, {buffer, buffer, buffer, buffer, i32, i32, i32},
      {getWorkgroupBuffer(T, kBlockK * kStride),
       getWorkgroupBuffer(T, D * vtStride)},
      kThreads);
  Value qBuf = fn.getArgument(0), kBuf = fn.getArgument(1),
        vBuf = fn.getArgument(2), oBuf = fn.getArgument(3);
  Value kLds = fn.getWorkgroupAttributions()[0];
  Value vtLds = fn.getWorkgroupAttributions()[1];

  Type idx = b.getIndexType();
  auto c = [&](int64_t v) { return cIndex(b, v); };
  auto ci32 = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, i32, v);
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, x, y);
  };
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulIOp::create(b, x, y);
  };
  auto toIndex = [&](Value v) -> Value {
    return arith::IndexCastOp::create(b, idx, v);
  };
  auto toI32 = [&](Value v) -> Value {
    return arith::IndexCastOp::create(b, i32, v);
  };

  Value seqQ = toIndex(fn.getArgument(5));
  Value seqK = toIndex(fn.getArgument(6));
  Value tid = mlir::gpu::ThreadIdOp::create(b, mlir::gpu::Dimension::x);
  Value lane = arith::RemUIOp::create(b, tid, c(kWaveSize));
  Value wave = arith::DivUIOp::create(b, tid, c(kWaveSize));
  Value col = arith::RemUIOp::create(b, lane, c(16)); // c of the layout
  Value grp = arith::DivUIOp::create(b, lane, c(16)); // g of the layout
  Value grp4 = mul(grp, c(4));
  Value qTile = mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::x);
  Value bh = mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::y);

  // Buffers are [B, H, S, D] row-major; q/out of (batch, head) = bh start at
  // bh * Sq * D, k/v of its kv head at (batch * Hkv + head / group) * Sk * D.
  Value batch = arith::DivUIOp::create(b, bh, c(spec.numQueryHeads));
  Value head = arith::RemUIOp::create(b, bh, c(spec.numQueryHeads));
  Value kvHead = arith::DivUIOp::create(b, head, c(group));
  Value qBase = mul(mul(bh, seqQ), c(D));
  Value kvBase =
      mul(mul(add(mul(batch, c(spec.numKVHeads)), kvHead), seqK), c(D));

  // This lane's query. Lanes past Sq compute on a clamped row (the grid
  // is only launched when Sq > 0) and store nothing.
  Value q0 = mul(qTile, c(kBlockQ));
  Value query = add(add(q0, mul(wave, c(16))), col);
  Value queryClamped =
      arith::MinUIOp::create(b, query, arith::SubIOp::create(b, seqQ, c(1)));

  // Q^T as B fragments, one per 16 head dims: lane (g, c) holds
  // Q[query c][16 db + 4g .. +3].
  SmallVector<Value> qFrag;
  Value qRow = add(add(qBase, mul(queryClamped, c(D))), grp4);
  for (int64_t db = 0; db < dBlocks; ++db)
    qFrag.push_back(loadVector(b, v4T, qBuf, add(qRow, c(16 * db)), 8));

  // Masks: key m of query p is kept iff m < Sk and, with d = m - (p + off),
  // -left <= d <= right (bounds of -1 are absent; causal caps right at 0).
  int64_t right = spec.windowRight, left = spec.windowLeft;
  if (spec.causal)
    right = right < 0 ? 0 : std::min<int64_t>(right, 0);
  Value off = spec.bottomRight
                  ? arith::SubIOp::create(b, seqK, seqQ).getResult()
                  : c(0);

  // The key tiles that hold any key a query of this workgroup keeps.
  Value keyLo = c(0), keyHi = seqK;
  if (left >= 0)
    keyLo = arith::MaxSIOp::create(
        b, c(0), arith::SubIOp::create(b, add(q0, off), c(left)));
  if (right >= 0)
    keyHi = arith::MinSIOp::create(
        b, seqK, add(add(q0, off), c(kBlockQ - 1 + right + 1)));
  keyHi = arith::MaxSIOp::create(b, keyHi, c(0));
  Value tileLo = arith::DivUIOp::create(b, keyLo, c(kBlockK));
  Value tileHi =
      arith::DivUIOp::create(b, add(keyHi, c(kBlockK - 1)), c(kBlockK));

  Value minusInf = cF32(b, -std::numeric_limits<double>::infinity());
  Value zeroF = cF32(b, 0.0);
  SmallVector<Value> init = {minusInf, zeroF};
  for (int64_t db = 0; db < dBlocks; ++db)
    init.push_back(cSplat(b, v4f32, 0.0));

  // Loop-invariant parts of the mask arithmetic, in i32.
  Value queryOff = toI32(add(query, off));
  Value seqK32 = toI32(seqK);
  Value scoreScale = cF32(b, spec.scale / std::log(2.0));
  Value zeroT = cSplat(b, v4T, 0.0);

  auto loop = scf::ForOp::create(b, tileLo, tileHi, c(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value tile = loop.getInductionVar();
    Value runMax = loop.getRegionIterArgs()[0];
    Value runSum = loop.getRegionIterArgs()[1];
    SmallVector<Value> acc(loop.getRegionIterArgs().drop_front(2));
    Value key0 = mul(tile, c(kBlockK));

    // Stage the tile: each thread moves D/16 chunks of 4 elements of K and
    // of V. Keys past Sk read a clamped row (Sk > 0 inside the loop) and
    // are zeroed, so that masked products never meet a NaN or Inf.
    mlir::gpu::BarrierOp::create(b);
    const int64_t chunksPerRow = D / 4;
    for (int64_t i = 0; i < kBlockK * chunksPerRow / kThreads; ++i) {
      Value chunk = add(tid, c(i * kThreads));
      Value key = arith::DivUIOp::create(b, chunk, c(chunksPerRow));
      Value d = mul(arith::RemUIOp::create(b, chunk, c(chunksPerRow)), c(4));
      Value row = add(key0, key);
      Value inRange =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, seqK);
      Value rowClamped =
          arith::MinUIOp::create(b, row, arith::SubIOp::create(b, seqK, c(1)));
      Value at = add(add(kvBase, mul(rowClamped, c(D))), d);
      Value kv = arith::SelectOp::create(
          b, inRange, loadVector(b, v4T, kBuf, at, 8), zeroT);
      Value vv = arith::SelectOp::create(
          b, inRange, loadVector(b, v4T, vBuf, at, 8), zeroT);
      storeVector(b, kv, kLds, add(mul(key, c(kStride)), d), 8);
      for (int64_t j = 0; j < 4; ++j)
        memref::StoreOp::create(
            b, vector::ExtractOp::create(b, vv, ArrayRef<int64_t>{j}), vtLds,
            ValueRange{add(mul(add(d, c(j)), c(vtStride)), key)});
    }
    mlir::gpu::BarrierOp::create(b);

    // S^T for kBlocks blocks of 16 keys: A = K[16 keys][16 dims] (lane
    // (g, c): key c, dims 4g..4g+3), B = the Q^T fragments.
    Value kLane = add(mul(col, c(kStride)), grp4);
    SmallVector<Value> scores; // scores[16 kb + r]: key 16 kb + 4g + r
    for (int64_t kb = 0; kb < kBlocks; ++kb) {
      Value s = cSplat(b, v4f32, 0.0);
      for (int64_t db = 0; db < dBlocks; ++db) {
        Value a = loadVector(b, v4T, kLds,
                             add(kLane, c(16 * kb * kStride + 16 * db)), 8);
        s = mfma16x16x16(b, a, qFrag[db], s);
      }
      for (int64_t r = 0; r < 4; ++r)
        scores.push_back(vector::ExtractOp::create(b, s, ArrayRef<int64_t>{r}));
    }

    // Scale into the log2 domain and mask. Element e = 16 kb + r is key
    // key0 + 4g + e: with base = key0 + 4g and delta = base - (p + off), it
    // is kept iff e < Sk - base, delta + e <= right, delta + e >= -left.
    Value base32 = toI32(add(key0, grp4));
    Value room = arith::SubIOp::create(b, seqK32, base32);
    Value delta = arith::SubIOp::create(b, base32, queryOff);
    Value tileMax = minusInf;
    for (int64_t kb = 0; kb < kBlocks; ++kb)
      for (int64_t r = 0; r < 4; ++r) {
        int64_t e = 16 * kb + r;
        Value keep =
            arith::CmpIOp::create(b, arith::CmpIPredicate::sgt, room, ci32(e));
        if (right >= 0)
          keep = arith::AndIOp::create(
              b, keep,
              arith::CmpIOp::create(b, arith::CmpIPredicate::sle, delta,
                                    ci32(right - e)));
        if (left >= 0)
          keep = arith::AndIOp::create(
              b, keep,
              arith::CmpIOp::create(b, arith::CmpIPredicate::sge, delta,
                                    ci32(-left - e)));
        Value &s = scores[4 * kb + r];
        s = arith::SelectOp::create(
            b, keep, arith::MulFOp::create(b, s, scoreScale), minusInf);
        tileMax = arith::MaxNumFOp::create(b, tileMax, s);
      }
    // The other three lanes of this query hold the other keys.
    for (int32_t offset : {16, 32}) {
      Value other = mlir::gpu::ShuffleOp::create(b, tileMax, offset, kWaveSize,
                                                 mlir::gpu::ShuffleMode::XOR)
                        .getShuffleResult();
      tileMax = arith::MaxNumFOp::create(b, tileMax, other);
    }
    Value newMax = arith::MaxNumFOp::create(b, runMax, tileMax);
    Value noKey =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, newMax, minusInf);
    Value usedMax = arith::SelectOp::create(b, noKey, zeroF, newMax);
    auto exp2 = [&](Value x) -> Value {
      return ROCDL::ROCDLExp2::create(b, f32, x);
    };
    Value alpha = exp2(arith::SubFOp::create(b, runMax, usedMax));

    // P^T = exp2(S^T - max) as B fragments; this lane's part of the sum.
    Value sum = arith::MulFOp::create(b, runSum, alpha);
    SmallVector<Value> pFrag;
    for (int64_t kb = 0; kb < kBlocks; ++kb) {
      SmallVector<Value> p;
      for (int64_t r = 0; r < 4; ++r) {
        p.push_back(
            exp2(arith::SubFOp::create(b, scores[4 * kb + r], usedMax)));
        sum = arith::AddFOp::create(b, sum, p.back());
      }
      Value pv = vector::FromElementsOp::create(b, v4f32, p);
      pFrag.push_back(arith::TruncFOp::create(b, v4T, pv));
    }

    // O^T = O^T * alpha + V^T P^T: A = V^T[16 dims][16 keys] (lane (g, c):
    // dim c, keys 4g..4g+3).
    Value alphaV = vector::BroadcastOp::create(b, v4f32, alpha);
    Value vLane = add(mul(col, c(vtStride)), grp4);
    for (int64_t db = 0; db < dBlocks; ++db) {
      acc[db] = arith::MulFOp::create(b, acc[db], alphaV);
      for (int64_t kb = 0; kb < kBlocks; ++kb) {
        Value a = loadVector(b, v4T, vtLds,
                             add(vLane, c(16 * db * vtStride + 16 * kb)), 8);
        acc[db] = mfma16x16x16(b, a, pFrag[kb], acc[db]);
      }
    }
    SmallVector<Value> yields = {newMax, sum};
    yields.append(acc);
    scf::YieldOp::create(b, yields);
  }

  // Sum the four lanes' parts; a query that kept no key has sum 0 and
  // writes 0.
  Value sum = loop.getResult(1);
  for (int32_t offset : {16, 32})
    sum = arith::AddFOp::create(
        b, sum,
        mlir::gpu::ShuffleOp::create(b, sum, offset, kWaveSize,
                                     mlir::gpu::ShuffleMode::XOR)
            .getShuffleResult());
  Value positive =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, sum, zeroF);
  Value inv = arith::SelectOp::create(
      b, positive, arith::DivFOp::create(b, cF32(b, 1.0), sum), zeroF);
  Value invV = vector::BroadcastOp::create(b, v4f32, inv);

  // Lane (g, c) holds O^T[16 db + 4g .. +3][query c]: 4 consecutive
  // elements of the output row of its query.
  Value inRange =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, query, seqQ);
  auto store = scf::IfOp::create(b, inRange, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(store.thenBlock());
    Value oRow = add(add(qBase, mul(query, c(D))), grp4);
    for (int64_t db = 0; db < dBlocks; ++db) {
      Value o = arith::MulFOp::create(b, loop.getResult(2 + db), invV);
      storeVector(b, arith::TruncFOp::create(b, v4T, o), oBuf,
                  add(oRow, c(16 * db)), 8);
    }
  }
  mlir::gpu::ReturnOp::create(b);

  // The plan: (ceil(Sq / 64), B * Hq) workgroups of 256 lanes; the
  // arguments are in0 = q, in1 = k, in2 = v, out0.
  gpu::LaunchPlan plan;
  plan.signature = sig;
  const std::vector<KernelArg> &args = sig.args;
  // Sizes that must agree are checked by every launcher (getArgumentChecks);
  // positions travel as i32 and the mask arithmetic needs headroom.
  std::string maxSeq = std::to_string(gpu::kMaxGPUSequence);
  plan.preamble.push_back("if (" + getSizeExpr(args[0], 2) + " > " + maxSeq +
                          " || " + getSizeExpr(args[1], 2) + " > " + maxSeq +
                          " || " + getSizeExpr(args[0], 0) + " * " +
                          std::to_string(spec.numQueryHeads) +
                          " > INT32_MAX) return -2;");
  gpu::Launch launch;
  launch.symbol = name;
  std::string batchExpr = getSizeExpr(args[0], 0);
  launch.grid[0] = ceilDivExpr(getSizeExpr(args[0], 2), kBlockQ);
  launch.grid[1] =
      "(" + batchExpr + ") * " + std::to_string(spec.numQueryHeads);
  launch.grid[2] = "1";
  launch.block[0] = kThreads;
  using Kind = gpu::LaunchParam::Kind;
  for (unsigned i = 0; i < 4; ++i)
    launch.params.push_back({Kind::Buffer, args[i].name, countExpr(args[i])});
  launch.params.push_back({Kind::Int32, batchExpr, ""});
  launch.params.push_back({Kind::Int32, getSizeExpr(args[0], 2), ""});
  launch.params.push_back({Kind::Int32, getSizeExpr(args[1], 2), ""});
  plan.launches.push_back(std::move(launch));
  return plan;
}

} // namespace einfuse::amd
