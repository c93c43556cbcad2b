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

#endif
