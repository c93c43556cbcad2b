//===- Passes.td - Einfuse pipeline passes ----------------*- tablegen -*-===//
#ifndef EINFUSE_PASSES_TD
#define EINFUSE_PASSES_TD

include "mlir/Pass/PassBase.td"

def EinfuseKernelABI : Pass<"einfuse-kernel-abi", "::mlir::ModuleOp"> {
  let summary = "Give public tensor functions the kernel calling convention";
  let description = [{
    Every public `func.func` on tensors becomes a kernel that takes one
    memref per input followed by one memref per result, writes its results
    into those memrefs and returns nothing. The kernel has
    `llvm.emit_c_interface`, so it is called as `_mlir_ciface_<name>` with
    pointers to memref descriptors; the launchers `einfuse-compile` writes
    hide that. The tensor body is kept as a private function and inlined.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::func::FuncDialect"];
}

def EinfuseOuterParallel : Pass<"einfuse-outer-parallel"> {
  let summary = "Keep only the outermost scf.parallel loops parallel";
  let description = [{
    Rewrites every `scf.parallel` nested in another `scf.parallel` (and
    without reductions) into a nest of `scf.for`, so that threading happens
    once, over the outer ranks (batch, heads, queries), and the inner loops
    stay plain loops that LLVM can vectorise. Upstream's
    `scf-parallel-for-to-nested-fors` converts every parallel loop, outer
    ones included, which is why this pass exists.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def EinfuseExpandCopies : Pass<"einfuse-expand-copies"> {
  let summary = "Turn memref.copy into linalg.copy, so that it becomes loops";
  let description = [{
    memref.copy between non-contiguous memrefs (such as the subviews a
    tiled lowering writes into) lowers to a call to `memrefCopy`, a
    function of MLIR's C runner utilities that ahead-of-time kernels do not
    link. As linalg.copy it lowers to plain loops like every other linalg
    op.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def EinfuseHalfMemoryAsIntegers : Pass<"einfuse-half-memory-as-integers"> {
  let summary = "Load and store bf16 as i16 in the LLVM dialect";
  let description = [{
    The last step of the CPU pipeline: every `llvm.load` and `llvm.store`
    of `bf16` (or of a vector of it) becomes one of `i16`, with
    `llvm.bitcast` around it. LLVM's x86 back end legalizes bfloat vectors
    it cannot keep in registers (a `<2 x bfloat>` copy the loop vectorizer
    makes of a bf16 result) through f32, with calls to `__truncsfbf2`, a
    compiler-rt builtin that ahead-of-time kernels do not link; copies of
    integers need no conversion. The arithmetic on bf16 is already integer
    code (`arith-expand{include-bf16}`), so the bitcasts fold away.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def EinfuseApproximateMath : Pass<"einfuse-approximate-math"> {
  let summary = "Polynomial exp, so that the CPU kernels vectorise it";
  let description = [{
    `math.exp` on f32 otherwise lowers to calls of libm's
    scalar `expf`, which LLVM does not vectorise, and an attention or
    softmax loop then runs at the speed of one exp call per element. This
    pass applies upstream MLIR's polynomial approximation of exp (range
    reduction to [-ln2/2, ln2/2], a polynomial, and a 2^n built from the
    exponent bits; error within 2 ulp in our tests): plain arith and math
    ops that vectorise with the loop around them. Other functions keep
    their libm calls.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def EinfuseCPUContractions : Pass<"einfuse-cpu-contractions"> {
  let summary = "Register-blocked vector loop nests for f32 contractions";
  let description = [{
    Rewrites every `linalg.generic` on buffers that computes
    `C[.., i, j] += A[.., i, k] * B[.., k, j]` (C f32 and contiguous along
    its last rank j; A and B f32, or bf16/f16 widened by `arith.extf` in
    the body, as bf16 attention multiplies; one reduction rank) into loops
    over the batch ranks
    and blocks of rows, where an R x NV block of C (NV vectors of
    `vector-width` lanes along j) is kept in registers while k runs: each
    k step loads NV vectors of B and adds the broadcast scalars of A with
    `vector.fma`. Rows and columns at the edges are handled by a one-row
    block and masked loads and stores, so dynamic tiles keep the fast
    path. When B has k rather than j as its contiguous rank (K in
    attention's Q.K^T), each batch's B is first packed k-major (16 x 16
    vector transposes when `vector-width` is 16). Other generics are left
    to convert-linalg-to-loops.

    This is where the CPU kernels get their register blocking; LLVM's loop
    vectoriser alone keeps the accumulator in memory or sums each output
    element horizontally. Runs after bufferization and before
    convert-linalg-to-loops; needs convert-vector-to-llvm afterwards.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector: 16 (AVX-512), 8 (AVX2) or 4">,
    Option<"registers", "registers", "int64_t", /*default=*/"32",
           "Vector registers the blocking may plan for (32 with AVX-512, "
           "16 with AVX2), 8 to 64">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def EinfuseDynamicSchedule : Pass<"einfuse-dynamic-schedule"> {
  let summary = "Give OpenMP worksharing loops without a schedule a dynamic one";
  let description = [{
    `convert-scf-to-openmp` emits `omp.wsloop` without a schedule, which
    runtimes treat as static: each thread gets one contiguous block of
    iterations. The iterations of our parallel loops are tiles whose cost
    can differ widely (with causal attention a query tile near the end
    visits every key tile, one near the start only the first), so this
    pass sets `schedule(dynamic)` on the loops whose iterations are loop
    nests (tiles): a thread takes the next tile when it is done with one.
    Loops over single elements keep the static schedule.
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect"];
}

def EinfuseGPUTargetHooks : Pass<"einfuse-gpu-target-hooks", "::mlir::ModuleOp"> {
  let summary = "Give outlined GPU kernels their target: target attribute "
                "and math instructions";
  let description = [{
    The step of `--einfuse-gpu-pipeline` where the target comes in, through
    its GPUTargetInfo (include/einfuse/Target/GPU.h). Every `gpu.module`
    gets the target's attribute (`#nvvm.target`, `#rocdl.target`). In the
    kernels, `math.exp`, `math.exp2`, `math.log`, `math.log2`, `math.sqrt`
    and `math.rsqrt` on f32 (f16/bf16 through f32) become the target's
    instructions (NVIDIA ex2.approx/lg2.approx/sqrt.rn/rsqrt.approx, AMD
    v_exp/v_log/v_sqrt/v_rsq); every other math function becomes upstream
    MLIR's polynomial approximation; float min/max become LLVM's
    minnum/maxnum/minimum/maximum. So no kernel calls a vendor math
    library (libdevice, ocml), and compiling needs none. A division inside
    a loop by a divisor the loop does not change (a row's sum) becomes a
    product with its reciprocal, computed once before the loop (within
    about an ulp of the quotient, like the approximate instructions).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"nvidia:sm_90a\"",
           "The GPU: nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or amd:gfx90a">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect"];
}

def EinfuseGPUMatrixOps : Pass<"einfuse-gpu-matrix-ops", "::mlir::func::FuncOp"> {
  let summary = "Compute the contractions of tile points with the target's "
                "matrix instruction";
  let description = [{
    Runs between bufferization and `--einfuse-gpu-map-tiles`, when a whole
    subgroup takes each tile point (`lanes` equal to the target's subgroup
    size; otherwise it does nothing). A kernel function's `ein.gpu_config`
    gives `lanes` and `columns` (its `matrix_tile`; 1: the pass does
    nothing) in place of the options. In a tile loop of
    `--convert-ein-to-gpu`, a `linalg.generic` whose body is
    `out + x * y` (x and y any pure computation of the operands: a cast, a
    dequantisation, a normalisation; one reduced dim both read, one free
    dim each) becomes loops over the subgroup's matrix-instruction tiles
    (GPUTargetInfo::getMatrixInstruction: mma.sync m16n8k16 on NVIDIA,
    v_mfma_f32_16x16x16 on AMD). Each lane evaluates x and y at the A and
    B elements it holds, masked at the edges, and stores its C elements,
    through the elementwise ops that read the product into the kernel's
    outputs when there are such (they are folded into the store).

    x and y must be exact in the instruction's operand type (f16, bf16,
    or a narrower float or small integer); else one may be rounded to it
    when the other is exact and every result is stored in that type (the
    dequantized weights of a W-A16 product; attention's probabilities, the
    output state being written out in it). A contraction that does not
    qualify keeps the lanes' scalar lowering.

    A point of several products (attention's key tile, 16 query rows): a
    point buffer that other ops read whole (the scores) or that a
    product's epilogue updates in place (the output state) moves to
    workgroup memory (rows of 32-bit elements padded by 16 bytes), as do
    copies of the kernel-argument tiles the products read (Q once before
    the key loop, K, V), within 48 KiB; the tile loop gets
    `ein.gpu_block_threads` (a block is one point) and a `gpu.barrier`
    before and after each op that writes workgroup memory. Such products
    loop to the constant bounds of their run-time sizes, all of C's
    columns at once, with a version without edge masks for whole tiles.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"nvidia:sm_90a\"",
           "The GPU: nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or amd:gfx90a">,
    Option<"lanes", "lanes", "int64_t", /*default=*/"32",
           "Threads per tile point (the pass acts when it is the subgroup "
           "size)">,
    Option<"columns", "columns", "int64_t", /*default=*/"16",
           "Columns of the product a subgroup computes per step (instruction "
           "tiles sharing one A fragment), 1 to 256; 1: no matrix "
           "instructions">
  ];
  // The target's instruction dialects come from its GPUTargetInfo
  // (getDependentDialects in GPUMatrixOps.cpp).
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def EinfuseGPUSpecializeTiles
    : Pass<"einfuse-gpu-specialize-tiles", "::mlir::func::FuncOp"> {
  let summary = "Version a tile point's work on whole tiles, at constant "
                "sizes";
  let description = [{
    Runs between `--einfuse-gpu-matrix-ops` and `--einfuse-gpu-map-tiles`.
    In a tile loop of `--convert-ein-to-gpu`, a size that is a minimum
    with a constant (a point's rows, `min(16, rows left)`; a key tile's
    keys, `min(128, keys left)`), defined in the point's body or in the
    body of a loop there (the key loop), equals that constant for every
    tile but the last. The ops that follow it in its block are versioned:
    `scf.if (size == bound)` runs a copy of them with the size replaced by
    the constant, the original ops run otherwise. Canonicalization then
    gives the copy static buffers, views and loop bounds, so that a
    thread's state is a buffer of static size that LLVM promotes to
    registers and the loops over it unroll. Workgroup buffers stay outside
    the versions (both use them). At most two sizes per tile loop are
    versioned, the later (inner) first, so that at most four copies of a
    key tile's body exist. The result is the same in every version (the
    copy computes what the original does at that size).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def EinfuseGPUConfig : Pass<"einfuse-gpu-config", "::mlir::ModuleOp"> {
  let summary = "Choose each kernel function's GPU configuration "
                "(ein.gpu_config)";
  let description = [{
    The first step of `--einfuse-gpu-pipeline`: every public function with
    a body that has no `ein.gpu_config` gets one (`#ein.gpu_config<threads,
    lanes, tile_size, matrix_tile>`), from the target's defaults
    (GPUTargetInfo::getDefaultConfig), the options (0: the default) and the
    kernel's shape: without a contraction of two tensors (softmax, norms)
    a block of the target's row threads takes each row (`lanes = threads`,
    256: a row's passes then read it from the caches) with tiles of 8192,
    unless `threads` or `lanes` is given or the rows are known to be short
    (a subgroup per row and tiles of 1024 then: the tiles hold no values,
    and long ones amortise the lanes' combines); with a contraction the
    target's tile (64: a lane keeps a tile of scores), or 128 for
    attention-shaped work of f16/bf16 operands with matrix tiles (its key
    tiles run on the matrix instruction, where a tile's fixed costs favour
    long ones); matrix tiles need lanes equal to the subgroup size. Every later step reads its parameters
    from the attribute, so the configuration is in the IR, and a function
    that already has one keeps it (a user can pin a kernel's
    configuration). Errors: a function's own configuration asks for matrix
    tiles with lanes other than the target's subgroup size, or for more
    lanes than a subgroup that are not whole subgroups.

    With matrix tiles, `small_m` (the target's, 8) sends a product whose M
    or N extent is at most that to the lanes (a subgroup per output
    element), the GEMV shape where a matrix tile is mostly padding;
    `--convert-ein-to-gpu` decides it, at run time for a run-time extent.
    `split` (none by default) splits every iteration with a combine across
    that many workers (`--ein-partition`), a kernel of its own.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"nvidia:sm_90a\"",
           "The GPU: nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or amd:gfx90a">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads per block (0: the target's default)">,
    Option<"lanes", "lanes", "int64_t", /*default=*/"0",
           "Threads per tile point (0: by the kernel's shape: the subgroup "
           "size, or a block per row for row-wise cascades)">,
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"0",
           "Tile of the iterated rank (0: by the kernel's shape)">,
    Option<"matrixTile", "matrix-tile", "int64_t", /*default=*/"0",
           "Matrix-instruction tile (0: the target's default, 1: none)">,
    Option<"smallM", "small-m", "int64_t", /*default=*/"-1",
           "Largest free extent of a matrix product that runs on the lanes "
           "instead of the matrix instruction (-1: the target's default, "
           "0: never)">,
    Option<"split", "split", "int64_t", /*default=*/"-1",
           "Workers of each iteration with a combine: split-KV at decode, "
           "two kernels (-1: the target's default, 0 or 1: none), up to "
           "1024">
  ];
  let dependentDialects = ["::einfuse::ein::EinDialect"];
}

#endif
