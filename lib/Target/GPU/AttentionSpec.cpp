//===- AttentionSpec.cpp - Read an attention kernel for the GPU builders --===//
#include "einfuse/Target/GPU.h"

#include "Ein/IR/EinDialect.h"

#include <cmath>

using namespace mlir;

namespace einfuse::gpu {

FailureOr<AttentionSpec> readAttentionKernel(func::FuncOp fn,
                                             StringRef targetName,
                                             ArrayRef<int64_t> headDims) {
  auto unsupported = [&](Operation *at) {
    return at->emitError("unsupported on ") << targetName << ": ";
  };
  // The body must be exactly `%o = ein.attention(args); return %o`.
  Block &body = fn.getBody().front();
  auto ops = body.without_terminator();
  auto attn = ops.empty() ? nullptr
                          : dyn_cast<ein::AttentionOp>(*ops.begin());
  if (!attn || std::next(ops.begin()) != ops.end())
    return unsupported(fn)
           << "a GPU kernel must be one ein.attention on the function's "
              "arguments whose result it returns (cascades of ein.einsum are "
              "compiled for the CPU only)";
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() != 1 || ret.getOperand(0) != attn.getResult())
    return unsupported(fn) << "the kernel must return the attention result";
  if (attn.getMask())
    return unsupported(attn) << "attention masks and biases (use causal or "
                                "window)";
  if (attn.getSoftcap())
    return unsupported(attn) << "softcap";
  Value q = attn.getQuery(), k = attn.getKey(), v = attn.getValue();
  if (fn.getNumArguments() != 3)
    return unsupported(fn) << "the kernel must take exactly query, key and "
                              "value";
  for (auto [i, operand] : llvm::enumerate(ValueRange{q, k, v}))
    if (operand != fn.getArgument(i))
      return unsupported(attn)
             << "query, key and value must be the kernel's arguments 0, 1 "
                "and 2, in that order";

  auto qt = cast<RankedTensorType>(q.getType());
  auto kt = cast<RankedTensorType>(k.getType());
  auto vt = cast<RankedTensorType>(v.getType());
  AttentionSpec spec;
  spec.elementType = qt.getElementType();
  if (!spec.elementType.isF16() && !spec.elementType.isBF16())
    return unsupported(attn) << "element type " << spec.elementType
                             << " (the GPU kernels take f16 and bf16)";
  spec.numQueryHeads = qt.getDimSize(1);
  spec.numKVHeads = kt.getDimSize(1);
  spec.headDim = qt.getDimSize(3);
  if (vt.getDimSize(3) != spec.headDim)
    return unsupported(attn) << "a value head dim (" << vt.getDimSize(3)
                             << ") other than the query head dim ("
                             << spec.headDim << ")";
  if (!llvm::is_contained(headDims, spec.headDim)) {
    InFlightDiagnostic diag = unsupported(attn);
    diag << "head dim " << spec.headDim << " (supported:";
    for (int64_t d : headDims)
      diag << " " << d;
    return diag << ")";
  }
  spec.scale = attn.getScale() ? attn.getScale()->convertToDouble()
                               : 1.0 / std::sqrt(double(spec.headDim));
  spec.causal = attn.getCausal();
  spec.bottomRight = attn.getAlign() == ein::MaskAlign::bottom_right;
  if (auto window = attn.getWindow()) {
    // The launchers refuse sequences longer than kMaxGPUSequence, so a
    // bound at least that large keeps every key: it is unbounded. That
    // keeps the kernels' 32-bit mask arithmetic exact and in range.
    auto clamp = [](int64_t bound) {
      return bound >= kMaxGPUSequence ? -1 : bound;
    };
    spec.windowLeft = clamp((*window)[0]);
    spec.windowRight = clamp((*window)[1]);
  }
  spec.batch = qt.getDimSize(0);
  spec.querySeq = qt.getDimSize(2);
  spec.keySeq = kt.getDimSize(2);
  return spec;
}

std::optional<AttentionSpec> tryReadAttentionKernel(func::FuncOp fn,
                                                    StringRef targetName,
                                                    ArrayRef<int64_t> headDims) {
  // A kernel whose GPU configuration is written out asks for the shared
  // lowering, which that configuration is for.
  if (fn->hasAttr(ein::GPUConfigAttr::getAttrName()))
    return std::nullopt;
  // What the hand-written kernels refuse goes to the shared lowering, so
  // their errors are not the user's.
  ScopedDiagnosticHandler quiet(fn.getContext(),
                                [](Diagnostic &) { return success(); });
  FailureOr<AttentionSpec> spec = readAttentionKernel(fn, targetName, headDims);
  if (failed(spec))
    return std::nullopt;
  return *spec;
}

} // namespace einfuse::gpu
