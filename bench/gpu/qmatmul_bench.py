#!/usr/bin/env python3
"""Quantized matmul on the GPU: Einfuse's ein.qmatmul through the shared
GPU lowering (W4A16: bf16 activations, int4 weights, groups of 128 with
bf16 scales and zero points) at M in {1, 4, 8, 9, 16, 128, 1024}, N = K = 8192,
against bf16 torch.matmul (cuBLAS) on the dequantized weights and
torch._weight_int4pack_mm (tinygemm), timed in the same run. Each of our
results is checked against the dequantized float reference first.

Build on the development machine (the GPU machine has no LLVM):

  PYTHONPATH=python EINFUSE_LIBRARY=build/lib/libEinfuse.so \\
      python bench/gpu/qmatmul_bench.py --build DIR [TARGET]

then on the GPU machine:

  EINFUSE_TEST_PREBUILT=DIR PYTHONPATH=python python3 bench/gpu/qmatmul_bench.py

Times are medians of triton.testing.do_bench (CUDA events, after warm-up).
Bandwidth counts the packed weights, scales, zero points, activations and
output once: at M = 1 the kernel is bound by reading the weights."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

N = K = 8192
GROUP = 128
# 4, 8 and 9 bracket small_m (8): the lanes' kernel up to 8, mma.sync above.
MS = [1, 4, 8, 9, 16, 128, 1024]
KEY = "bench_qmm_w4a16"


# Configurations timed beside the target's default: (label, #ein.gpu_config
# parameters pinned on the kernel function).
VARIANTS = [# The default before small_m: mma.sync at every M.
            ("mma_only", "threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4"),
            ("mt8", "threads = 128, lanes = 32, tile_size = 64, matrix_tile = 8"),
            ("mt16_t32", "threads = 32, lanes = 32, tile_size = 64, matrix_tile = 16"),
            # No matrix instruction: a warp per output element, its lanes
            # over K (the GEMV shape, 16-byte weight loads per lane).
            ("lanes", "threads = 128, lanes = 32, tile_size = 64, matrix_tile = 1"),
            ("lanes_t256", "threads = 256, lanes = 32, tile_size = 64, matrix_tile = 1")]


def source(config: str = "") -> str:
    t = lambda shape, e: "tensor<" + "x".join(shape) + "x" + e + ">"  # noqa: E731
    x, w = t(["?", str(K)], "bf16"), t([str(N), str(K // 2)], "i8")
    s, o = t([str(N), str(K // GROUP)], "bf16"), t(["?", str(N)], "bf16")
    attrs = f" attributes {{ein.gpu_config = #ein.gpu_config<{config}>}}" if config else ""
    return (f"func.func @qmm(%x: {x}, %w: {w}, %s: {s}, %z: {s}) -> {o}{attrs} {{\n"
            f"  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z)\n"
            f"      format(#ein.qformat<kind = int4, group_size = {GROUP}, zero_point = true>)\n"
            f"      : {x}, {w}, {s}, {s} -> {o}\n"
            f"  return %o : {o}\n}}\n")


def build(directory: str, target: str) -> None:
    import einfuse
    for key, config in [(KEY, "")] + [(f"{KEY}_{label}", c) for label, c in VARIANTS]:
        module = einfuse.compile(source(config), target=target, name=key)
        print(module.save(os.path.join(directory, key)))


def main() -> None:
    import torch
    from triton.testing import do_bench
    import einfuse

    def bench(fn):
        return do_bench(fn, warmup=25, rep=200, return_mode="median") * 1e-3

    base = os.environ["EINFUSE_TEST_PREBUILT"]
    module = einfuse.load(os.path.join(base, KEY))
    variants = [(label, einfuse.load(os.path.join(base, f"{KEY}_{label}")))
                for label, _ in VARIANTS if os.path.exists(os.path.join(base, f"{KEY}_{label}"))]
    gen = torch.Generator().manual_seed(0)
    q = torch.randint(-8, 8, (N, K), generator=gen)
    packed = ((q[:, 0::2] & 0xF) | ((q[:, 1::2] & 0xF) << 4)).to(torch.uint8).view(torch.int8)
    scales = (0.01 * (0.5 + torch.rand(N, K // GROUP, generator=gen))).bfloat16()
    zeros = (torch.rand(N, K // GROUP, generator=gen) - 0.5).bfloat16()
    # The format's dequantization: (q - zero) * scale, per group of K.
    deq = ((q.float() - zeros.float().repeat_interleave(GROUP, 1))
           * scales.float().repeat_interleave(GROUP, 1))
    w_bf16 = deq.bfloat16().cuda()
    packed, scales, zeros = packed.cuda(), scales.cuda(), zeros.cuda()
    deq = deq.cuda()

    # tinygemm: uint4 (q + 8) with its own scale/zero layout; the same work.
    tiny = None
    try:
        u = (q + 8).to(torch.int32).cuda()
        wpack = torch._convert_weight_to_int4pack(
            ((u[:, 0::2] << 4) | u[:, 1::2]).to(torch.uint8), 8)
        # tinygemm: (u - 8) * scale + zero; ours: (u - 8 - z) * scale.
        sz = torch.stack([scales.float(), -zeros.float() * scales.float()], -1)
        sz = sz.transpose(0, 1).contiguous().bfloat16()
        tiny = lambda x: torch._weight_int4pack_mm(x, wpack, GROUP, sz)  # noqa: E731
        tiny(torch.randn(1, K, device="cuda", dtype=torch.bfloat16))
    except Exception as e:  # report, time the rest
        print(f"tinygemm unavailable: {type(e).__name__}: {str(e).splitlines()[0]}")
        tiny = None

    rows = []
    for m in MS:
        x = torch.randn(m, K, device="cuda", dtype=torch.bfloat16)
        out = torch.empty(m, N, device="cuda", dtype=torch.bfloat16)
        module.qmm(x, packed, scales, zeros, out=out)
        torch.cuda.synchronize()
        ref = x.double() @ deq.double().t()
        err = ((out.double() - ref).abs().max() / ref.abs().max()).item()
        t = bench(lambda: module.qmm(x, packed, scales, zeros, out=out))
        t_cublas = bench(lambda: torch.matmul(x, w_bf16.t()))
        t_tiny = bench(lambda: tiny(x)) if tiny else float("nan")
        nbytes = N * K // 2 + 4 * N * (K // GROUP) + 2 * m * (K + N)
        others = []
        for label, other in variants:
            other.qmm(x, packed, scales, zeros, out=out)
            torch.cuda.synchronize()
            verr = ((out.double() - ref).abs().max() / ref.abs().max()).item()
            others.append((label, bench(lambda: other.qmm(x, packed, scales, zeros, out=out)), verr))
        rows.append((m, t, err, t_cublas, t_tiny, nbytes, others))
    print(f"\nW4A16 qmatmul, N = K = {N}, group {GROUP}, bf16 (relative max error vs float64)")
    print(f"{'M':>5} {'ours ms':>9} {'GB/s':>7} {'TFLOP/s':>8} {'cuBLAS ms':>10} {'tinygemm ms':>12} "
          f"{'cuBLAS/ours':>12} {'tinygemm/ours':>14} {'rel err':>8}")
    for m, t, err, tc, tt, nbytes, _ in rows:
        print(f"{m:5d} {t * 1e3:9.3f} {nbytes / t / 1e9:7.0f} {2 * m * N * K / t / 1e12:8.2f} "
              f"{tc * 1e3:10.3f} {tt * 1e3:12.3f} {tc / t:12.3f} {tt / t:14.3f} {err:8.1e}")
    if variants:
        print("\nOther configurations (ms, relative error):")
        for m, *_, others in rows:
            print(f"{m:5d} " + "  ".join(f"{label}: {vt * 1e3:.3f} ({ve:.1e})"
                                         for label, vt, ve in others))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--build":
        if len(sys.argv) not in (3, 4):
            sys.exit("usage: qmatmul_bench.py --build DIR [TARGET]")
        build(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else "nvidia:sm_90a")
    else:
        main()
