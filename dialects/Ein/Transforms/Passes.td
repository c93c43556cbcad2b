//===- Passes.td - Ein dialect passes ---------------------*- tablegen -*-===//
#ifndef EIN_TRANSFORMS_PASSES_TD
#define EIN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def EinDecompose : Pass<"ein-decompose"> {
  let summary = "Decompose named Ein ops into cascades of Einsums";
  let description = [{
    Rewrites `ein.attention` into the 3-pass cascade of DESIGN.md
    (QK, score, max, exp(S - max), sum, divide, multiply by V) and
    `ein.qmatmul` into unpack, dequantize and contract Einsums. The result
    uses only `ein.cascade`, `ein.einsum` and scalar ops in custom map
    regions, so every later analysis and lowering sees one form.

    Masking follows PyTorch SDPA: rows whose keys are all masked produce 0.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif
