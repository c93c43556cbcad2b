//===- Kernels.h - AMD kernel builders (internal) ---------------*- C++ -*-===//
//
// The AMD target builds its device kernels by hand from gpu, arith, scf,
// vector, memref, amdgpu (MFMA) and rocdl ops. This header is shared by the
// kernel builders of lib/Target/AMD only.
//
// Every kernel relies on one MFMA shape, v_mfma_f32_16x16x16{f16,bf16_1k}
// (a wave of 64 lanes computes D[16x16] += A[16x16] * B[16x16], f32
// accumulation). Its register layout, from the CDNA2/CDNA3 ISA documents,
// with lane l = 16 * g + c (c = l % 16, g = l / 16, g in 0..3):
//
//   A (vector<4xT>): lane l holds A[i = c][k = 4g .. 4g+3]   (a row of A)
//   B (vector<4xT>): lane l holds B[k = 4g .. 4g+3][j = c]   (a column of B)
//   C, D (vector<4xf32>): lane l holds D[i = 4g .. 4g+3][j = c]
//
// Both inputs hold 4 consecutive k; the accumulator holds 4 consecutive
// rows of one column. So the C/D fragment of a product X^T (lane: column c,
// rows 4g..4g+3) has exactly the layout of a B fragment with k = those
// rows: an accumulator can feed the next MFMA as its B operand without
// moving data between lanes. The attention kernel is built on this.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_LIB_TARGET_AMD_KERNELS_H
#define EINFUSE_LIB_TARGET_AMD_KERNELS_H

#include "einfuse/Target/GPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace einfuse::amd {

/// Lanes of a wave on CDNA.
constexpr int64_t kWaveSize = 64;

/// Adds the device kernel for the attention kernel `sig` (read into `spec`)
/// to `module` and returns how the host function launches it.
llvm::FailureOr<gpu::LaunchPlan>
buildAttentionKernel(mlir::gpu::GPUModuleOp module,
                     const gpu::AttentionSpec &spec,
                     const KernelSignature &sig);

//===----------------------------------------------------------------------===//
// Small building blocks the kernel builders share.
//===----------------------------------------------------------------------===//

/// `arith.constant <v> : index`.
mlir::Value cIndex(mlir::ImplicitLocOpBuilder &b, int64_t v);
/// `arith.constant <v> : f32`.
mlir::Value cF32(mlir::ImplicitLocOpBuilder &b, double v);
/// A splat `arith.constant` of `type` (a vector type) holding `v`.
mlir::Value cSplat(mlir::ImplicitLocOpBuilder &b, mlir::VectorType type,
                   double v);

/// `D = A * B + C` on v_mfma_f32_16x16x16 (f16, or bf16_1k for bf16):
/// `a`, `bv` are vector<4xT>, `c` is vector<4xf32>.
mlir::Value mfma16x16x16(mlir::ImplicitLocOpBuilder &b, mlir::Value a,
                         mlir::Value bv, mlir::Value c);

/// `vector.load` of `type` from `base[index]` with the given byte
/// alignment (so that the back end emits one wide access).
mlir::Value loadVector(mlir::ImplicitLocOpBuilder &b, mlir::VectorType type,
                       mlir::Value base, mlir::Value index, unsigned align);
void storeVector(mlir::ImplicitLocOpBuilder &b, mlir::Value value,
                 mlir::Value base, mlir::Value index, unsigned align);

/// A `gpu.func` kernel named `name` in `module`, with the workgroup
/// (LDS) buffers `workgroup` and a known block size of `threads` lanes.
/// The builder is left at the start of its body.
mlir::gpu::GPUFuncOp createKernel(mlir::ImplicitLocOpBuilder &b,
                                  mlir::gpu::GPUModuleOp module,
                                  llvm::StringRef name, mlir::TypeRange args,
                                  mlir::TypeRange workgroup, int64_t threads);

/// A 1-D workgroup-memory (LDS) buffer of `size` elements of `type`.
mlir::MemRefType getWorkgroupBuffer(mlir::Type type, int64_t size);

/// The host-side C expression `(x + d - 1) / d`.
std::string ceilDivExpr(const std::string &x, int64_t d);

/// The product of the sizes of `arg`, as a C expression (for buffer
/// counts).
std::string countExpr(const KernelArg &arg);

} // namespace einfuse::amd

#endif
