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

    With `parallel-rank=p parallel-tile=T`, a cascade that never reduces
    `p` and has it as a dynamic plain dim everywhere is lowered inside an
    `scf.forall` over tiles of `p`: each tile lowers the cascade on slices
    of its inputs (its intermediates then hold T along `p`) and inserts its
    slice of the results; `ein.index` and `ein.extent` of `p` still refer
    to the whole rank. Other cascades are lowered whole. With
    `parallel-rank=auto`, the forall has one dimension per rank of the
    first result before its last: the second-to-last (rows, queries) in
    tiles of `parallel-tile`, the ones before it (batch, heads) in tiles of
    1, each only where it qualifies (a static rank such as a fixed head
    count stays whole); when none does, the last rank alone.
  }];
  let options = [
    Option<"parallelRank", "parallel-rank", "std::string", /*default=*/"\"\"",
           "Parallel rank to tile into an scf.forall (none by default; "
           "auto: the result's ranks before its last, see above); a rank "
           "no cascade declares is an error">,
    Option<"parallelTile", "parallel-tile", "int64_t", /*default=*/"64",
           "Tile size along the parallel rank, 1 to 2^31">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

#endif
