//===- QMatmulKernel.cpp - Quantized-weight matmul on MFMA ----------------===//
//
// out[m, n] = sum_k x[m, k] * (q[n, k] - zero[n, k / G]) * scale[n, k / G]
//
// with f16/bf16 activations x and int8/int4/uint4 weights q (the semantics
// of `#ein.qformat`, as the CPU path's ein-decompose spells them out). The
// kernel computes the transposed product C^T = W X^T with
// v_mfma_f32_16x16x16 (layout in Kernels.h):
//
//   A = W[16 n][16 k]: lane (g, c) holds row n = c, k = 4g..4g+3: 4 bytes of
//       an int8 row or 2 bytes of an int4 row, dequantized in registers to
//       f32 ((q - zero) * scale, one scale per fragment because the group
//       size is a multiple of 4) and rounded to the activation type;
//   B = X^T[16 k][16 m]: lane (g, c) holds x[m = c][4g..4g+3], one 8-byte
//       load;
//   C^T: lane (g, c) holds out[m = c][n = 4g..4g+3]: one vector store per
//       fragment, in the output row.
//
// A workgroup of 4 waves owns a 64 (n) x 64 (m) tile of the output; each
// wave a 32 x 32 quarter (2 x 2 MFMA blocks), walking K 16 at a time.
// Operands come straight from global memory (the caches serve the reuse
// between waves); there is no LDS.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "Ein/IR/EinDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace einfuse::amd {

namespace {
constexpr int64_t kWaves = 4;
constexpr int64_t kThreads = kWaves * kWaveSize;
/// Output tile of a workgroup (n x m) and of a wave.
constexpr int64_t kTile = 64;
constexpr int64_t kWaveTile = 32;
} // namespace

FailureOr<QMatmulSpec> readQMatmulKernel(func::FuncOp fn,
                                         StringRef targetName) {
  auto unsupported = [&](Operation *at) {
    return at->emitError("unsupported on ") << targetName << ": ";
  };
  Block &body = fn.getBody().front();
  auto ops = body.without_terminator();
  auto op = ops.empty() ? nullptr : dyn_cast<ein::QMatmulOp>(*ops.begin());
  if (!op || std::next(ops.begin()) != ops.end())
    return unsupported(fn) << "a qmatmul kernel must be one ein.qmatmul on "
                              "the function's arguments whose result it "
                              "returns";
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() != 1 || ret.getOperand(0) != op.getResult())
    return unsupported(fn) << "the kernel must return the qmatmul result";
  SmallVector<Value> operands = {op.getInput(), op.getWeight(), op.getScales()};
  if (Value z = op.getZeroPoints())
    operands.push_back(z);
  if (fn.getNumArguments() != operands.size())
    return unsupported(fn) << "the kernel must take exactly the qmatmul's "
                              "operands";
  for (auto [i, operand] : llvm::enumerate(operands))
    if (operand != fn.getArgument(i))
      return unsupported(op) << "input, weight, scales (and zero points) "
                                "must be the kernel's arguments, in that "
                                "order";

  auto xT = cast<RankedTensorType>(op.getInput().getType());
  auto wT = cast<RankedTensorType>(op.getWeight().getType());
  auto sT = cast<RankedTensorType>(op.getScales().getType());
  auto oT = cast<RankedTensorType>(op.getOutput().getType());
  ein::QuantFormatAttr format = op.getFormat();
  QMatmulSpec spec;
  spec.inputType = xT.getElementType();
  if (!spec.inputType.isF16() && !spec.inputType.isBF16())
    return unsupported(op) << "input element type " << spec.inputType
                           << " (the MFMA qmatmul takes f16 and bf16)";
  switch (format.getKind()) {
  case ein::QuantKind::int8:
    spec.kind = QMatmulSpec::Kind::Int8;
    break;
  case ein::QuantKind::int4:
    spec.kind = QMatmulSpec::Kind::Int4;
    break;
  case ein::QuantKind::uint4:
    spec.kind = QMatmulSpec::Kind::UInt4;
    break;
  default:
    return unsupported(op) << "weight format '"
                           << ein::stringifyQuantKind(format.getKind())
                           << "' (the MFMA qmatmul takes int8, int4 and "
                              "uint4)";
  }
  spec.scaleType = sT.getElementType();
  spec.outputType = oT.getElementType();
  spec.zeroPoints = static_cast<bool>(op.getZeroPoints());
  spec.m = xT.getDimSize(0);
  spec.n = wT.getDimSize(0);
  spec.k = xT.getDimSize(1);
  spec.groupSize = format.getGroupSize();
  if (spec.k % 16 != 0)
    return unsupported(op) << "K = " << spec.k
                           << " (the MFMA qmatmul needs a multiple of 16)";
  if (spec.groupSize % 4 != 0)
    return unsupported(op) << "group_size " << spec.groupSize
                           << " (the MFMA qmatmul needs a multiple of 4)";
  if (spec.n % 4 != 0)
    return unsupported(op) << "N = " << spec.n
                           << " (the MFMA qmatmul needs a multiple of 4)";
  return spec;
}

FailureOr<gpu::LaunchPlan> buildQMatmulKernel(mlir::gpu::GPUModuleOp module,
                                              const QMatmulSpec &spec,
                                              const KernelSignature &sig) {
  MLIRContext *ctx = module.getContext();
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  Type T = spec.inputType, S = spec.scaleType, O = spec.outputType;
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i8 = b.getI8Type();
  auto dyn = [](Type t) { return MemRefType::get({ShapedType::kDynamic}, t); };
  auto v4T = VectorType::get({4}, T);
  auto v4f32 = VectorType::get({4}, f32);
  auto v4i32 = VectorType::get({4}, i32);
  const bool packed = spec.kind != QMatmulSpec::Kind::Int8;
  const int64_t K = spec.k, N = spec.n, groups = spec.k / spec.groupSize;

  SmallVector<Type> args = {dyn(T), dyn(i8), dyn(S)};
  if (spec.zeroPoints)
    args.push_back(dyn(S));
  args.push_back(dyn(O));
  args.push_back(i32);
  std::string name = sig.name + "_qmatmul";
  mlir::gpu::GPUFuncOp fn = createKernel(b, module, name, args, {}, kThreads);
  Value xBuf = fn.getArgument(0), wBuf = fn.getArgument(1),
        sBuf = fn.getArgument(2);
  Value zBuf = spec.zeroPoints ? fn.getArgument(3) : Value();
  Value oBuf = fn.getArgument(args.size() - 2);
  Value rows = arith::IndexCastOp::create(b, b.getIndexType(),
                                          fn.getArgument(args.size() - 1));

  auto c = [&](int64_t v) { return cIndex(b, v); };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, x, y);
  };
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulIOp::create(b, x, y);
  };
  auto toF32 = [&](Value v) -> Value {
    return v.getType() == f32 ? v : arith::ExtFOp::create(b, f32, v);
  };

  Value tid = mlir::gpu::ThreadIdOp::create(b, mlir::gpu::Dimension::x);
  Value lane = arith::RemUIOp::create(b, tid, c(kWaveSize));
  Value wave = arith::DivUIOp::create(b, tid, c(kWaveSize));
  Value col = arith::RemUIOp::create(b, lane, c(16));
  Value grp4 = mul(arith::DivUIOp::create(b, lane, c(16)), c(4));
  // Waves 0..3 own the quarters (n, m) = (0, 0), (32, 0), (0, 32), (32, 32).
  Value nWave = add(
      mul(mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::x), c(kTile)),
      mul(arith::RemUIOp::create(b, wave, c(2)), c(kWaveTile)));
  Value mWave = add(
      mul(mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::y), c(kTile)),
      mul(arith::DivUIOp::create(b, wave, c(2)), c(kWaveTile)));

  // Per MFMA block: the weight row (A, row c) and the input row (B,
  // column c) of this lane, clamped into range (the grid is only launched
  // when M > 0); out-of-range rows are computed and never stored.
  constexpr int64_t kBlocks = kWaveTile / 16;
  SmallVector<Value> wRow, xRow;
  for (int64_t i = 0; i < kBlocks; ++i) {
    wRow.push_back(
        arith::MinUIOp::create(b, add(nWave, add(col, c(16 * i))), c(N - 1)));
    xRow.push_back(
        arith::MinUIOp::create(b, add(mWave, add(col, c(16 * i))),
                               arith::SubIOp::create(b, rows, c(1))));
  }

  // Dequantizes the A fragment of weight row `n` at k .. k+3 to T.
  auto weightFragment = [&](Value n, Value k) -> Value {
    Value q;
    if (!packed) {
      auto v4i8 = VectorType::get({4}, i8);
      q = arith::SIToFPOp::create(
          b, v4f32, loadVector(b, v4i8, wBuf, add(mul(n, c(K)), k), 4));
    } else {
      // Two bytes hold k .. k+3, low nibble first: value j of the 16-bit
      // word is bits 4j .. 4j+3.
      auto v2i8 = VectorType::get({2}, i8);
      Value bytes = loadVector(
          b, v2i8, wBuf,
          add(mul(n, c(K / 2)), arith::DivUIOp::create(b, k, c(2))), 2);
      Value word = vector::ExtractOp::create(
          b,
          vector::BitCastOp::create(b, VectorType::get({1}, b.getI16Type()),
                                    bytes),
          ArrayRef<int64_t>{0});
      Value wide = vector::BroadcastOp::create(
          b, v4i32, arith::ExtUIOp::create(b, i32, word));
      Value shifts = arith::ConstantOp::create(
          b, DenseElementsAttr::get(v4i32, ArrayRef<int32_t>{0, 4, 8, 12}));
      Value nib = arith::AndIOp::create(
          b, arith::ShRUIOp::create(b, wide, shifts), cSplat(b, v4i32, 15));
      if (spec.kind == QMatmulSpec::Kind::Int4) {
        // Sign-extend the nibble: (nib ^ 8) - 8.
        Value eight = cSplat(b, v4i32, 8);
        nib = arith::SubIOp::create(b, arith::XOrIOp::create(b, nib, eight),
                                    eight);
      }
      q = arith::SIToFPOp::create(b, v4f32, nib);
    }
    // The four values share one group (the group size is a multiple of 4
    // and k is).
    Value at =
        add(mul(n, c(groups)), arith::DivUIOp::create(b, k, c(spec.groupSize)));
    if (zBuf) {
      Value z = toF32(memref::LoadOp::create(b, zBuf, ValueRange{at}));
      q = arith::SubFOp::create(b, q, vector::BroadcastOp::create(b, v4f32, z));
    }
    Value s = toF32(memref::LoadOp::create(b, sBuf, ValueRange{at}));
    Value w =
        arith::MulFOp::create(b, q, vector::BroadcastOp::create(b, v4f32, s));
    return arith::TruncFOp::create(b, v4T, w);
  };

  SmallVector<Value> init(kBlocks * kBlocks, cSplat(b, v4f32, 0.0));
  auto loop = scf::ForOp::create(b, c(0), c(K), c(16), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k = add(loop.getInductionVar(), grp4);
    SmallVector<Value> wFrag, xFrag, acc(loop.getRegionIterArgs());
    for (int64_t i = 0; i < kBlocks; ++i) {
      wFrag.push_back(weightFragment(wRow[i], k));
      xFrag.push_back(loadVector(b, v4T, xBuf, add(mul(xRow[i], c(K)), k), 8));
    }
    for (int64_t i = 0; i < kBlocks; ++i)
      for (int64_t j = 0; j < kBlocks; ++j)
        acc[i * kBlocks + j] =
            mfma16x16x16(b, wFrag[i], xFrag[j], acc[i * kBlocks + j]);
    scf::YieldOp::create(b, acc);
  }

  // acc[i][j], lane (g, c): out[m = mWave + 16 j + c][n = nWave + 16 i +
  // 4g .. +3]; N is a multiple of 4, so the 4 are in range together.
  auto vO = VectorType::get({4}, O);
  unsigned storeAlign = 4 * O.getIntOrFloatBitWidth() / 8;
  for (int64_t j = 0; j < kBlocks; ++j) {
    Value m = add(mWave, add(col, c(16 * j)));
    for (int64_t i = 0; i < kBlocks; ++i) {
      Value n = add(nWave, add(grp4, c(16 * i)));
      Value inRange = arith::AndIOp::create(
          b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, m, rows),
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, n, c(N)));
      auto store = scf::IfOp::create(b, inRange, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(store.thenBlock());
      Value o = loop.getResult(i * kBlocks + j);
      if (O != f32)
        o = arith::TruncFOp::create(b, vO, o);
      storeVector(b, o, oBuf, add(mul(m, c(N)), n), storeAlign);
    }
  }
  mlir::gpu::ReturnOp::create(b);

  // The plan: (ceil(N / 64), ceil(M / 64)) workgroups of 256 lanes.
  gpu::LaunchPlan plan;
  plan.signature = sig;
  // Sizes that must agree are checked by every launcher (getArgumentChecks).
  gpu::Launch launch;
  launch.symbol = name;
  std::string mExpr = getSizeExpr(sig.args[0], 0);
  // M travels as i32.
  plan.preamble.push_back("if (" + mExpr + " > INT32_MAX) return -2;");
  launch.grid[0] = std::to_string((N + kTile - 1) / kTile);
  launch.grid[1] = ceilDivExpr(mExpr, kTile);
  launch.grid[2] = "1";
  launch.block[0] = kThreads;
  using Kind = gpu::LaunchParam::Kind;
  for (const KernelArg &a : sig.args)
    launch.params.push_back({Kind::Buffer, a.name, countExpr(a)});
  launch.params.push_back({Kind::Int32, mExpr, ""});
  plan.launches.push_back(std::move(launch));
  return plan;
}

} // namespace einfuse::amd
