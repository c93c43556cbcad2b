//===- ApproximateMath.cpp - Polynomial exp for the CPU --------------------===//
#include "einfuse/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace einfuse {
#define GEN_PASS_DEF_EINFUSEAPPROXIMATEMATH
#include "einfuse/Passes.h.inc"
} // namespace einfuse

using namespace mlir;

namespace {
struct ApproximateMathPass
    : public einfuse::impl::EinfuseApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    auto isExp = [](StringRef name) {
      return name == math::ExpOp::getOperationName();
    };
    populateMathPolynomialApproximationPatterns(patterns, isExp);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
