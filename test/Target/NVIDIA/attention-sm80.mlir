// einfuse-compile --target=nvidia:sm_80 on causal GQA attention in bf16 with
// head dim 128 and dynamic batch and sequence sizes: the PTX uses the sm_80
// tensor-core path (cp.async, ldmatrix, mma.sync m16n8k16), three kernels
// (direct, split-KV, combine), and a header with a typed launch function.
//
// RUN: rm -rf %t
// RUN: einfuse-compile %s --target=nvidia:sm_80 -o %t --emit=assembly
// RUN: FileCheck %s --check-prefix=PTX < %t/attention-sm80.ptx
// RUN: FileCheck %s --check-prefix=HEADER < %t/attention-sm80.h
// RUN: not test -e %t/attention-sm80.cubin

// PTX: .target sm_80
// PTX-LABEL: .entry gqa_causal_fwd(
// PTX-DAG: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: ex2.approx.f32
// PTX-DAG: fma.rn.f32
// PTX-LABEL: .entry gqa_causal_split(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-LABEL: .entry gqa_causal_combine(
// No libdevice calls: the PTX needs nothing but ptxas.
// PTX-NOT: __nv_

// HEADER: #include <cuda.h>
// HEADER: einfuse_status gqa_causal(const einfuse_bf16 *q, int64_t q_dim0, int64_t q_dim2, const einfuse_bf16 *k, int64_t k_dim0, int64_t k_dim2, const einfuse_bf16 *v, int64_t v_dim0, int64_t v_dim2, einfuse_bf16 *out, int64_t out_dim0, int64_t out_dim2, CUstream stream);

func.func @gqa_causal(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>,
                      %v: tensor<?x2x?x128xbf16>) -> tensor<?x8x?x128xbf16> {
  %o = ein.attention %q, %k, %v {causal}
      : tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16>
      -> tensor<?x8x?x128xbf16>
  return %o : tensor<?x8x?x128xbf16>
}
