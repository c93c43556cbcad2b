//===- Passes.td - Ein dialect passes ---------------------*- tablegen -*-===//
#ifndef EIN_TRANSFORMS_PASSES_TD
#define EIN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def EinDecompose : Pass<"ein-decompose"> {
  let summary = "Decompose named Ein ops into cascades of Einsums";
  let description = [{
    Rewrites `ein.attention` into the 3-pass cascade of docs/design.md
    (QK, score, max, exp(S - max), sum, divide, multiply by V) and
    `ein.qmatmul` into unpack, dequantize and contract Einsums. The result
    uses only `ein.cascade`, `ein.einsum` and scalar ops in custom map
    regions, so every later analysis and lowering sees one form.

    Masking follows PyTorch SDPA: rows whose keys are all masked produce 0.

    Both ops implement upstream's `AggregatedOpInterface`
    (`decomposeOperation`, in Ein/IR/Decomposition.cpp); this pass is a thin
    driver over it (`populateEinDecomposePatterns`), and a driver written
    for that interface decomposes them too.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def EinPassAnalysis : Pass<"ein-pass-analysis"> {
  let summary = "Report the passes over each reduced rank and the on-chip footprint of cascades";
  let description = [{
    For every `ein.cascade` and every rank some Einsum reduces, emits a
    remark with the number of passes over the fibres of that rank (1 + the
    most barrier edges on any path: a reduction removing the rank followed
    by a consumer iterating it again) and the on-chip footprint as a
    polynomial in tile sizes `T_x`: every intermediate tiled along every
    rank, except that a value streamed along the rank in one pass and read
    in a later pass is held whole (`M_x`, the extent of the rank).

    The same results are available to other passes through
    `CascadePassAnalysis` (Ein/Analysis/PassCount.h). The IR is unchanged.
  }];
  let options = [
    Option<"tileSizes", "tile-sizes", "std::string", /*default=*/"\"\"",
           "Comma-separated `symbol=value` pairs (e.g. `T_p=64,T_m=64,M_m=4096`; "
           "other symbols count as 1) at which the footprint is also evaluated">
  ];
}

def EinDynamicRanks : Pass<"ein-dynamic-ranks"> {
  let summary = "Make the static extents of parallel ranks dynamic, so they "
                "can be tiled across threads";
  let description = [{
    `--convert-ein-to-linalg` tiles a parallel rank across threads by
    slicing the cascade's inputs along it, which needs the rank's dims to be
    dynamic (a slice of a static dim has another type). With static heads
    and one query row (decode attention: `[1, 8, 1, D]`), no rank qualifies
    and every head runs on one thread. This pass makes the extents of the
    chosen ranks dynamic inside each cascade: the inputs they index are
    cast (`tensor.cast`) to types with those dims dynamic before the
    cascade, the Einsums' result types follow, and the results are cast
    back to their static types after it. What is computed is unchanged.

    `ranks=auto` (the default) takes the ranks `--convert-ein-to-linalg`
    tiles with `parallel-rank=auto`: every rank of the first result but the
    last (or the only one); `ranks=all` takes every rank of the first
    result (the GPU pipeline spreads them all over threads). A rank with a declared extent, one that a
    compound index expression other than `rank floordiv G` uses (the dims
    such a grouped read indexes become dynamic too), one an Einsum reduces,
    or a cascade
    that holds anything but Einsums (an `ein.iterate` already built) is
    left as it is. The CPU pipeline runs it with `threads=true`.
  }];
  let options = [
    Option<"ranks", "ranks", "std::string", /*default=*/"\"auto\"",
           "`auto`, `all`, or a comma-separated list of rank names (each a "
           "rank of some cascade)">
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def EinDeferredNormalize : Pass<"ein-deferred-normalize"> {
  let summary = "Defer normalisation past sum reductions (one pass fewer)";
  let description = [{
    Rewrites `O = sum over R of f(A, ...)` where `A = g(X, D)` divides or
    multiplies by a factor `D` that does not depend on the reduced ranks
    `R`, and `f` is multiplicative in `A`, into
    `O' = sum over R of f(g'(X), ...)` followed by `O = O' / D` (or `* D`).
    `g` may be a named `div`/`mul` or a custom map in which `D` enters
    through one `divf`/`mulf` on a multiplicative path to the yield.

    When `D` comes from a reduction over `R` (softmax's denominator, RMS
    norm's scale), this removes a barrier: attention goes from 3 passes to
    2, and RMS norm feeding a matmul from 2 to 1. The function computed is
    unchanged up to rounding: the reduction's own `init` is added after the
    normalisation (it was never scaled by `D`), and `0 / D` is taken as 0,
    so that an empty `R` keeps its result (the init, or 0) where `D`, a sum
    over the same `R`, is 0 too. A guard written inline,
    `D == 0 ? 0 : X / D`, is recognised and kept on the normalisation.

    With `remarks=true`, each normalisation that reads a factor computed by
    a reduction, invariant along a sum that reads it, and that stays (an
    added beta, a non-linear use of the factor) gets a remark saying why.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Say with a remark why a normalisation stays before a sum">
  ];
}

def EinOnlineNormalize : Pass<"ein-online-normalize"> {
  let summary = "Rewrite 2-pass cascades into the 1-pass online form";
  let description = [{
    For a rank `r` whose cascade needs several passes because of a max
    (or min) barrier `G` over `r` whose consumers read it only through a
    factor `exp(w * G + y)` (w < 0 for a max, w > 0 for a min; a
    subtraction in either order, a negation, a constant scale or `exp2`
    all count), builds an `ein.iterate` over tiles of `r` carrying the
    running barrier and the sums it rescales, with correction factors
    `exp(w * (G_new - G_old))`: FlashAttention, derived from the algebra of
    the map regions. Sums over `r` that do not depend on `G` are carried as
    plain running sums; a sum's `init` is added once, to the total. r-free
    Einsums between `G` and its consumers (the guard for fully masked rows,
    inline or separate) are recomputed inside the iteration. Einsums along
    `r` that need the final state stay after the iteration: the 2-pass
    online normaliser of softmax and log-softmax. Each barrier gets its own
    iteration, in sequence (two chained softmaxes), and every rank that
    needs several passes gets its own (attention, a projection and an RMS
    norm: 1 pass over each reduced rank). A reduction over `r` and other
    ranks at once (a softmax over two ranks, a group norm) is carried the
    same way: the other ranks are reduced whole inside each tile of `r`.

    A sum barrier with a variance about it (`S = sum over r of X`,
    `M` derived from `S`, `V = sum over r of (X - M)^2`, written with a
    separate difference or in one region, `X - M` or `M - X`, as in layer
    norm) gets Welford's update instead: an `ein.iterate` carrying the
    running count, mean and M2, each tile's statistics merged by Chan et
    al.'s formula, all in f64 (a mean large against the spread loses
    nothing to rounding); afterwards `S = mean * count` and
    `V = M2 + count * (mean - M)^2`. That removes the pass that computes
    `V` (layer norm: 3 -> 2 passes; the normalisation still reads `X`).
    Its `combine` kinds (`sum`, `welford_mean(0)`, `welford_m2(0, 1)`) let
    `--ein-partition` split it across workers with Chan's merge.

    Where no correction exists the cascade is left unchanged, with a remark
    at the Einsum concerned that says why (`remarks=false` silences them).
    The rewrite is `normalizeOnline` / `buildOnlineIteration`
    (Ein/Transforms/Passes.h) on a `RewriterBase`, and a pattern
    (`populateEinOnlineNormalizePatterns`).
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"64",
           "Tile size along the iterated rank, 1 to 2^31 (a kernel "
           "function's #ein.gpu_config tile_size takes precedence)">,
    Option<"rank", "rank", "std::string", /*default=*/"\"\"",
           "Rank to iterate (default: every rank that needs several "
           "passes); a rank no cascade declares is an error">,
    Option<"remarks", "remarks", "bool", /*default=*/"true",
           "Say with a remark why a cascade has no online form">
  ];
}

def EinPartition : Pass<"ein-partition"> {
  let summary = "Split iterations across workers and combine their states";
  let description = [{
    Splits every `ein.iterate` that says how its states combine (`combine`)
    into `workers` contiguous chunks of its rank (split-K, Flash-Decoding):
    one iteration with `workers = P`, whose chunks run independently (a
    parallel loop on the CPU, on threads with `threads=true`), and whose
    results hold every chunk's state along a new rank `<rank>_w`. The
    combine is a reduction over that rank per state, generated from the
    combine kinds: `max`/`min` reduce, `sum` adds, `rescaled_sum(i, w)`
    adds `S_k * exp(w * (G - G_k))` over the chunks (a chunk whose G is the
    identity counts 0), `welford_mean`/`welford_m2` are Chan et al.'s merge
    over P parts. Compile time does not depend on P.

    An iteration without `combine`, or whose state values are not results
    of Einsums (so their ranks are unknown), is left unchanged with a
    remark that says why. The same rewrite is available as
    `partitionIteration` (Ein/Transforms/Passes.h) on a `RewriterBase`, and
    as patterns (`populateEinSplitKPatterns`, `populateEinPartitionPatterns`).
    The merge is `ein.iterate`'s `PartialReductionOpInterface::mergeReductions`.

    `rank=k` also splits a rank that no iteration runs over, in a cascade
    that takes 1 pass over it (split-K of a matmul or a quantized matmul
    with a long K, the sums of sigmoid attention at decode): its sums (and
    maxes and mins) over `k` first become a plain iteration in tiles
    of `tile-size` (`buildPlainIteration`), which is then split. A cascade
    that cannot (several passes over `k` with no online form, nothing
    reducing `k`) gets a remark that says why.
  }];
  let options = [
    Option<"workers", "workers", "int64_t", /*default=*/"2",
           "Number of workers (chunks of the iterated rank), 1 to 1024 (a "
           "kernel function's #ein.gpu_config split, when set, takes "
           "precedence)">,
    Option<"rank", "rank", "std::string", /*default=*/"\"\"",
           "Also split the sums over this rank that no iteration carries "
           "(split-K); a rank no cascade declares is an error">,
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"64",
           "Tile size of the iteration built for `rank`, 1 to 2^31">,
    Option<"remarks", "remarks", "bool", /*default=*/"true",
           "Explain, in a remark, why an iteration is not split or a rank "
           "gets no split-K iteration">
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::math::MathDialect"];
}

def TestEinPartialReduction : Pass<"test-ein-partial-reduction"> {
  let summary = "Split iterations chunk by chunk through PartialReductionOpInterface (a test driver)";
  let description = [{
    Drives the four `PartialReductionOpInterface` methods of every
    `ein.iterate` that has `combine` and no workers, the way upstream's
    `PartialReductionOuterParallel` tiling does, but in Ein IR: the initial
    partials (`generateInitialTensorForPartialReduction`), one iteration
    per chunk over the chunk's range (`tileToPartialReduction`), placed at
    `getPartialResultTilePosition` of a tensor of partials, and their merge
    (`mergeReductions`). The rank is split into `chunks` chunks of whole
    tiles; it must have a static extent. Compile time grows with `chunks`;
    `--ein-partition` is the production split (one iteration with
    `workers`). An iteration the methods refuse fails the pass with their
    error.
  }];
  let options = [
    Option<"chunks", "chunks", "int64_t", /*default=*/"2",
           "Number of chunks of the iterated rank, 1 to 64">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

#endif
