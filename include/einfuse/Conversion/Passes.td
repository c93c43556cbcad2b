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

def ConvertEinToGPU : Pass<"convert-ein-to-gpu"> {
  let summary = "Tile Ein cascades into one point per GPU thread and lower "
                "the tiles to linalg";
  let description = [{
    The first, target-independent step of the GPU lowering
    (`--einfuse-gpu-pipeline`). Each cascade is tiled through its
    TilingInterface (upstream `scf::tileUsingSCF`) over the parallel ranks
    that every reducing Einsum indexes, in tiles of 1: one GPU thread per
    point (a query row of attention, a row of softmax or a norm, an output
    element of a matrix product). Ranks some reduction lacks (attention's
    value dim, a norm's feature dim) stay whole in each thread so that no
    reduction is computed twice. Each tile is lowered to linalg on tensors
    as on the CPU; the tile loop (`scf.forall`) maps its dims to
    `#gpu.thread<linear_dim_i>` (what `--einfuse-gpu-map-tiles` maps) and
    names its ranks in `ein.gpu_tile_ranks`. With `matrix-tile=T`, a
    contraction of two operands whose result reaches the cascade's results
    through maps only (a matmul, a quantized matmul) tiles its two free
    ranks by T instead of 1: one point is then a T x T tile of the product,
    for `--einfuse-gpu-matrix-ops` to compute with the target's matrix
    instruction. A kernel function's `#ein.gpu_config` (its `tile_size`
    and `matrix_tile`) takes precedence over both options. A cascade with no
    such rank is lowered whole, with a remark: it runs on one thread.

    Inside a thread: maps fuse into every consumer (duplicated when they
    have several), and are recomputed on the slices the key loop reads; a
    reduction over a run-time-sized rank that reads another reduction's
    values (sigmoid attention's keys) is split into tiles of `tile-size`
    with its producers fused into the tile loop (upstream
    tileConsumerAndFuseProducersUsingSCF); the tensors a loop carries are
    written back into the loop's own argument, so that they bufferize to
    one buffer. A thread then holds tiles and state of bounded size only.

    Nothing here reads a named op: run `--ein-decompose` (and, for one pass
    over the keys, `--ein-online-normalize`) first.
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"64",
           "Tile of the reductions split inside a thread, 1 to 2^31">,
    Option<"matrixTile", "matrix-tile", "int64_t", /*default=*/"0",
           "Tile of the two free ranks of a contraction whose result only "
           "maps reach (a matmul): a subgroup's matrix-instruction tile, "
           "0 or 1 for none, at most 256">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def EinfuseGPUMapTiles : Pass<"einfuse-gpu-map-tiles", "::mlir::func::FuncOp"> {
  let summary = "Turn the tile loops of a bufferized kernel into GPU launches";
  let description = [{
    Runs after bufferization on kernel functions (memref arguments). Each
    `scf.forall` whose dims all map to `#gpu.thread` (the tile loops of
    `--convert-ein-to-gpu`) becomes a `gpu.launch`:
    one thread per point of the loop, `threads` per block, a 1-D grid of
    ceil(points / threads) blocks computed in the IR from the loop bounds
    (so from the kernel's argument sizes); the thread's linear index is
    delinearized into the loop's induction variables and threads past the
    last point do nothing. With `lanes=L` (the subgroup size), L threads
    take one point: a reduction into the point's private state runs its
    reduced loop cyclically over the lanes (adjacent lanes read adjacent
    elements: a row is read coalesced) and combines the lanes' partial
    results with `gpu.subgroup_reduce`; ops writing the kernel's outputs
    spread their last output loop over the lanes. Where such a loop walks
    rows of the kernel's arguments contiguously, a lane takes
    `vector-bytes` at a time (one vector load or store per argument, lane j
    the j-th chunk) when every row it touches is aligned for it, checked
    at run time; otherwise, and for the last partial chunk, element by
    element as above. The rest runs on every
    lane alike, each with its own copy of the state. A run of other ops with effects (a cascade no
    rank of which could be tiled) becomes a one-thread launch. Upstream
    `gpu-kernel-outlining` then outlines the launches into a `gpu.module`.

    A kernel function's `#ein.gpu_config` (its `threads` and `lanes`)
    takes precedence over the options.

    Errors, located at the op: a buffer allocated in the host function (an
    intermediate shared by tiles), a buffer of run-time size inside a
    kernel (a rank neither tiled across threads nor split into tiles).
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"128",
           "Threads per block, 1 to 1024">,
    Option<"lanes", "lanes", "int64_t", /*default=*/"1",
           "Threads per point of a tile loop (1, or the subgroup size: the "
           "point's reductions run across the lanes of a subgroup)">,
    Option<"subgroup", "subgroup", "int64_t", /*default=*/"0",
           "The target's subgroup size, when a point takes more lanes than "
           "a subgroup (a block per row: subgroups combine through "
           "workgroup memory); 0: the lanes, up to 64"> ,
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"16",
           "Bytes a lane loads or stores at once along a row in the lanes' "
           "loops, where the row is aligned for it at run time (0 or the "
           "element size: element by element)">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif
