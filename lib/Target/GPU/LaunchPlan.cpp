//===- LaunchPlan.cpp - Launch plans read from the IR ---------------------===//
//
// The shared GPU lowering leaves, per kernel function, a host function of
// index arithmetic and gpu.launch_func ops. Its launch plan (what the C
// launcher runs) is read from that IR: grid sizes and index operands are
// translated to C over the launcher's size names, memref operands are the
// function's arguments or slices of the workspace (host allocations).
//
//===----------------------------------------------------------------------===//
#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;

namespace einfuse::gpu {

GPUTargetInfo::~GPUTargetInfo() = default;

Value GPUTargetInfo::callIntrinsic(OpBuilder &b, Location loc, StringRef name,
                                   Value x) {
  return LLVM::CallIntrinsicOp::create(b, loc, x.getType(),
                                       b.getStringAttr(name), ValueRange{x})
      .getResult(0);
}

namespace {
/// Translates index SSA values of a host function into C expressions.
class CExpr {
public:
  CExpr(func::FuncOp host, const KernelSignature &sig) : host(host), sig(sig) {}

  FailureOr<std::string> get(Value v) {
    if (auto it = memo.find(v); it != memo.end())
      return it->second;
    FailureOr<std::string> e = translate(v);
    if (succeeded(e))
      memo[v] = *e;
    return e;
  }

private:
  FailureOr<std::string> binary(Operation *op, StringRef fmt) {
    FailureOr<std::string> a = get(op->getOperand(0));
    FailureOr<std::string> b = get(op->getOperand(1));
    if (failed(a) || failed(b))
      return failure();
    std::string out = fmt.str();
    auto put = [&](StringRef key, const std::string &val) {
      for (size_t at; (at = out.find(key.str())) != std::string::npos;)
        out.replace(at, key.size(), val);
    };
    put("$a", *a);
    put("$b", *b);
    return "(" + out + ")";
  }

  FailureOr<std::string> translate(Value v) {
    Operation *op = v.getDefiningOp();
    if (!op)
      return emitError(v.getLoc(), "internal error: a launch size from a "
                                   "block argument");
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
        if (i.getType().isInteger(1))
          return std::string(i.getValue().isZero() ? "0" : "1");
        return "((int64_t)" + std::to_string(i.getInt()) + "LL)";
      }
    }
    if (auto dim = dyn_cast<memref::DimOp>(op)) {
      auto arg = dyn_cast<BlockArgument>(dim.getSource());
      std::optional<int64_t> d = dim.getConstantIndex();
      if (arg && arg.getOwner()->getParentOp() == host.getOperation() && d &&
          arg.getArgNumber() < sig.args.size())
        return "((int64_t)" + getSizeExpr(sig.args[arg.getArgNumber()], *d) +
               ")";
    }
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
            arith::ExtUIOp, arith::TruncIOp>(op))
      return get(op->getOperand(0));
    if (isa<arith::AddIOp>(op))
      return binary(op, "$a + $b");
    if (isa<arith::SubIOp>(op))
      return binary(op, "$a - $b");
    if (isa<arith::MulIOp>(op))
      return binary(op, "$a * $b");
    if (isa<arith::DivSIOp, arith::DivUIOp>(op))
      return binary(op, "$a / $b");
    if (isa<arith::RemSIOp, arith::RemUIOp>(op))
      return binary(op, "$a % $b");
    if (isa<arith::CeilDivSIOp, arith::CeilDivUIOp>(op))
      return binary(op, "($a + $b - 1) / $b");
    if (isa<arith::FloorDivSIOp>(op))
      return binary(op, "$a / $b - (($a % $b != 0) && (($a < 0) != ($b < 0)))");
    if (isa<arith::MinSIOp, arith::MinUIOp>(op))
      return binary(op, "$a < $b ? $a : $b");
    if (isa<arith::MaxSIOp, arith::MaxUIOp>(op))
      return binary(op, "$a > $b ? $a : $b");
    // The run-time choice between two tile loops (small_m): a comparison
    // of sizes and a select of bounds. Sizes are non-negative, so the
    // unsigned predicates compare as the signed ones.
    if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
      using P = arith::CmpIPredicate;
      switch (cmp.getPredicate()) {
      case P::eq:
        return binary(op, "$a == $b");
      case P::ne:
        return binary(op, "$a != $b");
      case P::slt:
      case P::ult:
        return binary(op, "$a < $b");
      case P::sle:
      case P::ule:
        return binary(op, "$a <= $b");
      case P::sgt:
      case P::ugt:
        return binary(op, "$a > $b");
      case P::sge:
      case P::uge:
        return binary(op, "$a >= $b");
      }
    }
    if (isa<arith::OrIOp>(op) && op->getResult(0).getType().isInteger(1))
      return binary(op, "$a || $b");
    if (isa<arith::AndIOp>(op) && op->getResult(0).getType().isInteger(1))
      return binary(op, "$a && $b");
    if (auto select = dyn_cast<arith::SelectOp>(op)) {
      FailureOr<std::string> c = get(select.getCondition());
      FailureOr<std::string> a = get(select.getTrueValue());
      FailureOr<std::string> b = get(select.getFalseValue());
      if (failed(c) || failed(a) || failed(b))
        return failure();
      return "(" + *c + " ? " + *a + " : " + *b + ")";
    }
    return op->emitError("internal error: the launcher cannot compute ")
           << op->getName() << " on the host";
  }

  func::FuncOp host;
  const KernelSignature &sig;
  llvm::DenseMap<Value, std::string> memo;
};
} // namespace

FailureOr<LaunchPlan> planLaunches(func::FuncOp host,
                                   const KernelSignature &sig) {
  LaunchPlan plan;
  plan.signature = sig;
  CExpr c(host, sig);
  // Buffers the host function allocates (an intermediate that one kernel
  // writes and a later one reads: the workers' states of a split-KV or
  // split-K iteration) are slices of the launcher's workspace, each at a
  // 256-byte aligned offset, row-major.
  struct Placed {
    std::string offset;
    std::vector<std::string> sizes;
  };
  llvm::DenseMap<Value, Placed> placed;
  std::string end = "0";
  for (auto alloc : host.getOps<memref::AllocOp>()) {
    MemRefType type = alloc.getType();
    if (!type.getLayout().isIdentity() || type.getMemorySpace() ||
        !type.getElementType().isIntOrFloat())
      return alloc.emitError("internal error: a host buffer of type ")
             << type << " the launcher cannot place in its workspace";
    Placed p;
    unsigned next = 0;
    std::string bytes = "((int64_t)" +
                        std::to_string((type.getElementTypeBitWidth() + 7) / 8) +
                        "LL)";
    for (int64_t d = 0; d < type.getRank(); ++d) {
      std::string size;
      if (type.isDynamicDim(d)) {
        FailureOr<std::string> e = c.get(alloc.getDynamicSizes()[next++]);
        if (failed(e))
          return failure();
        size = *e;
      } else {
        size = "((int64_t)" + std::to_string(type.getDimSize(d)) + "LL)";
      }
      p.sizes.push_back(size);
      bytes += " * " + size;
    }
    unsigned i = placed.size();
    p.offset = "ws_at" + std::to_string(i);
    plan.preamble.push_back("int64_t " + p.offset + " = (" + end +
                            " + 255) / 256 * 256;");
    end = "(" + p.offset + " + " + bytes + ")";
    placed[alloc.getResult()] = std::move(p);
  }
  if (!placed.empty()) {
    plan.preamble.push_back("int64_t ws_end = " + end + ";");
    plan.workspaceBytes = "ws_end";
  }
  for (auto launch : host.getOps<mlir::gpu::LaunchFuncOp>()) {
    Launch l;
    l.symbol = launch.getKernelName().str();
    Value grid[3] = {launch.getGridSizeX(), launch.getGridSizeY(),
                     launch.getGridSizeZ()};
    Value block[3] = {launch.getBlockSizeX(), launch.getBlockSizeY(),
                      launch.getBlockSizeZ()};
    for (int i = 0; i < 3; ++i) {
      FailureOr<std::string> g = c.get(grid[i]);
      if (failed(g))
        return failure();
      l.grid[i] = *g;
      APInt size;
      if (!matchPattern(block[i], m_ConstantInt(&size)))
        return launch.emitError("internal error: a block size the launcher "
                                "does not know at compile time");
      l.block[i] = size.getZExtValue();
    }
    if (launch.getDynamicSharedMemorySize())
      return launch.emitError("internal error: dynamic shared memory in a "
                              "launch of the shared GPU lowering");
    for (Value operand : launch.getKernelOperands()) {
      if (isa<MemRefType>(operand.getType())) {
        if (auto at = placed.find(operand); at != placed.end()) {
          LaunchParam p{LaunchParam::Kind::MemRef, "ws + " + at->second.offset,
                        ""};
          p.sizes = at->second.sizes;
          l.params.push_back(std::move(p));
          continue;
        }
        auto arg = dyn_cast<BlockArgument>(operand);
        if (!arg || arg.getOwner()->getParentOp() != host.getOperation() ||
            arg.getArgNumber() >= sig.args.size())
          return launch.emitError("unsupported on GPU: a kernel reads a "
                                  "buffer that is not an argument of the "
                                  "kernel function");
        const KernelArg &a = sig.args[arg.getArgNumber()];
        LaunchParam p{LaunchParam::Kind::MemRef, a.name, ""};
        for (int64_t d = 0; d < a.type.getRank(); ++d)
          p.sizes.push_back(getSizeExpr(a, d));
        l.params.push_back(std::move(p));
        continue;
      }
      if (operand.getType().isIndex() || operand.getType().isInteger(64)) {
        FailureOr<std::string> e = c.get(operand);
        if (failed(e))
          return failure();
        l.params.push_back({LaunchParam::Kind::Int64, *e, ""});
        continue;
      }
      if (operand.getType().isInteger(32)) {
        FailureOr<std::string> e = c.get(operand);
        if (failed(e))
          return failure();
        l.params.push_back({LaunchParam::Kind::Int32, *e, ""});
        continue;
      }
      return launch.emitError("internal error: a kernel operand of type ")
             << operand.getType() << " the launcher cannot pass";
    }
    plan.launches.push_back(std::move(l));
  }
  return plan;
}

} // namespace einfuse::gpu
