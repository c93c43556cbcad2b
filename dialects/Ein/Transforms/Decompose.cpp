//===- Decompose.cpp - Named Ein ops into cascades -------------------------===//
//
// A thin driver over AggregatedOpInterface::decomposeOperation, which
// `ein.attention` and `ein.qmatmul` implement (Ein/IR/Decomposition.cpp):
// each named Ein op becomes its cascade.
//
//===----------------------------------------------------------------------===//
#include "Ein/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"


namespace einfuse::ein {
#define GEN_PASS_DEF_EINDECOMPOSE
#include "Ein/Transforms/Passes.h.inc"
} // namespace einfuse::ein

using namespace mlir;
using namespace einfuse::ein;

namespace {

/// Replaces an Ein op that decomposes (AggregatedOpInterface) by its
/// decomposition. Ops of other dialects are left to their own drivers.
struct DecomposeAggregated
    : public OpInterfaceRewritePattern<linalg::AggregatedOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::AggregatedOpInterface op,
                                PatternRewriter &rewriter) const override {
    if (!isa<EinDialect>(op->getDialect()))
      return rewriter.notifyMatchFailure(op, "not an Ein op");
    FailureOr<SmallVector<Value>> values = op.decomposeOperation(rewriter);
    if (failed(values))
      return rewriter.notifyMatchFailure(op, "does not decompose");
    rewriter.replaceOp(op, *values);
    return success();
  }
};

struct EinDecomposePass
    : public einfuse::ein::impl::EinDecomposeBase<EinDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEinDecomposePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void einfuse::ein::populateEinDecomposePatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeAggregated>(patterns.getContext());
}
