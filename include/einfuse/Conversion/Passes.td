//===- Passes.td - Einfuse conversion passes --------------*- tablegen -*-===//
#ifndef EINFUSE_CONVERSION_PASSES_TD
#define EINFUSE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertEinToLinalg : Pass<"convert-ein-to-linalg"> {
  let summary = "Lower Ein cascades to linalg.generic on tensors";
  let description = [{
    Each `ein.einsum` becomes one `linalg.generic`: its ranks are the loops,
    ranks absent from the result are reductions, the map action is the body
    and the reduce action combines into an output filled with the initial
    value. `ein.index` becomes `linalg.index`; `ein.extent` becomes the
    rank's size, taken from the tensors it indexes. Cascades are inlined.
    Named ops must be decomposed first (`--ein-decompose`); this pass
    reports any it finds.

    The kernels are unfused: every Einsum result is materialised. Tiling
    and fusion come later in the pipeline.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

#endif
