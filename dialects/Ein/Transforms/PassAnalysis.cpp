//===- PassAnalysis.cpp - Report passes and footprint as remarks -----------===//
#include "Ein/Analysis/PassCount.h"
#include "Ein/Transforms/Passes.h"

#include "llvm/ADT/StringExtras.h"

namespace einfuse::ein {
#define GEN_PASS_DEF_EINPASSANALYSIS
#include "Ein/Transforms/Passes.h.inc"
} // namespace einfuse::ein

using namespace mlir;
using namespace einfuse::ein;

namespace {
struct EinPassAnalysisPass
    : public einfuse::ein::impl::EinPassAnalysisBase<EinPassAnalysisPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::StringMap<int64_t> sizes;
    for (StringRef pair : llvm::split(tileSizes, ',')) {
      pair = pair.trim();
      if (pair.empty())
        continue;
      auto [name, value] = pair.split('=');
      int64_t v;
      if (value.trim().getAsInteger(10, v) || name.trim().empty()) {
        getOperation()->emitError("ein-pass-analysis: bad tile-sizes entry '")
            << pair << "' (expected symbol=integer)";
        return signalPassFailure();
      }
      sizes[name.trim()] = v;
    }
    getOperation()->walk([&](CascadeOp cascade) {
      CascadePassAnalysis analysis(cascade);
      if (analysis.getReducedRanks().empty()) {
        cascade.emitRemark("no reduction: 1 pass");
        return;
      }
      for (const std::string &rank : analysis.getReducedRanks()) {
        const RankPasses &rp = analysis.getPasses(rank);
        InFlightDiagnostic d = cascade.emitRemark()
                               << rp.passes << " pass"
                               << (rp.passes == 1 ? "" : "es")
                               << " over rank '" << rank
                               << "'; footprint " << rp.footprint.str();
        if (!sizes.empty())
          d << " = " << static_cast<int64_t>(rp.footprint.evaluate(sizes))
            << " elements";
      }
    });
  }
};
} // namespace
