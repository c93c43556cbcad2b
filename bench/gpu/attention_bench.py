#!/usr/bin/env python3
"""GPU attention benchmark: Einfuse's kernels (bench/gpu/kernels.mlir) against
PyTorch SDPA's flash (FlashAttention-2) and cuDNN backends and FlexAttention
(torch.compile), all timed in this run, with the copy bandwidth and bf16 GEMM
rate measured here as ceilings.

  attention_bench.py LIB [--variant LABEL=LIB]... [--quick]

LIB is the launcher library built by test/gpu/run.sh; --variant adds the
same kernels compiled with other block shapes (timed, not in the ratios). Times are medians of
triton.testing.do_bench (CUDA events, after warm-up). Prefill: bf16,
batch x seq = 16384, heads x dim = 2048. Decode: batch 8, 32 query heads
over 8 KV heads, dim 128, one query token; reported in TB/s of the bytes
that must move (K, V, Q, out) against the measured copy bandwidth.
Each of our results is checked against SDPA before it is timed.
"""
import argparse
import ctypes
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from triton.testing import do_bench


def bench(fn):
    return do_bench(fn, warmup=50, rep=300, return_mode="median") * 1e-3  # s


class Ours:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)

    def call(self, name, q, k, v, out):
        fn = getattr(self.lib, name)
        args = []
        for t in (q, k, v, out):
            args += [ctypes.c_void_p(t.data_ptr()), ctypes.c_int64(t.shape[0]),
                     ctypes.c_int64(t.shape[2])]
        args.append(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        return lambda: fn(*args)


def check(name, ours, ref, fatal=True):
    err = ((ours.float() - ref.float()).norm() / ref.float().norm()).item()
    if not err < 2e-2:
        print(f"{name}: WRONG RESULT, relative error {err:.3e}")
        if fatal:
            sys.exit(1)
    return err


def time_variants(variants, name, q, k, v, out, ref, t):
    """Times each variant's kernel `name` into t[label], after checking its
    result (a wrong one is reported and not timed)."""
    for label, lib in variants.items():
        run = lib.call(name, q, k, v, out)
        out.fill_(float("nan"))
        rc = run()
        torch.cuda.synchronize()
        if rc != 0 or not check(f"{name} ({label})", out, ref, fatal=False) < 2e-2:
            print(f"{name} ({label}): status {rc}, not timed")
            continue
        t[label] = bench(run)


def sdpa(backend, q, k, v, causal, gqa=False):
    def run():
        with sdpa_kernel(backend):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal,
                                                  enable_gqa=gqa)
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    ours = Ours(args.lib)
    variants = {label: Ours(path) for label, path in
                (v.split("=", 1) for v in args.variant)}
    torch._dynamo.config.recompile_limit = 64
    torch._dynamo.config.cache_size_limit = 64
    dev = "cuda"
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")

    x = torch.empty(1 << 30, dtype=torch.uint8, device=dev)
    y = torch.empty_like(x)
    copy_bw = 2 * x.numel() / bench(lambda: y.copy_(x))
    a = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
    gemm = 2 * 8192**3 / bench(lambda: a @ a)
    del x, y, a
    print(f"ceilings: copy {copy_bw / 1e12:.2f} TB/s, bf16 gemm "
          f"{gemm / 1e12:.0f} TFLOP/s")

    try:
        from torch.nn.attention.flex_attention import (create_block_mask,
                                                       flex_attention)
        flex = torch.compile(flex_attention)
    except Exception as e:  # pragma: no cover
        flex = None
        print(f"flex unavailable: {e}")

    rows = []
    seqs = [1024, 4096] if args.quick else [1024, 4096, 16384]
    for d, h in [(64, 32), (128, 16)]:
        for s in seqs:
            bsz = 16384 // s
            for causal in (False, True):
                q, k, v = (torch.randn(bsz, h, s, d, device=dev,
                                       dtype=torch.bfloat16) for _ in range(3))
                out = torch.empty_like(q)
                name = f"prefill_d{d}" + ("_causal" if causal else "")
                run = ours.call(name, q, k, v, out)
                rc = run()
                torch.cuda.synchronize()
                assert rc == 0, f"{name} returned {rc}"
                ref = sdpa(SDPBackend.FLASH_ATTENTION, q, k, v, causal)()
                err = check(name, out, ref)
                flops = 4 * bsz * h * s * s * d * (0.5 if causal else 1.0)
                t = {"ours": bench(run)}
                time_variants(variants, name, q, k, v, out, ref, t)
                for label, backend in [("flash", SDPBackend.FLASH_ATTENTION),
                                       ("cudnn", SDPBackend.CUDNN_ATTENTION)]:
                    try:
                        t[label] = bench(sdpa(backend, q, k, v, causal))
                    except Exception as e:
                        print(f"{label} failed: {e}")
                if flex is not None:
                    try:
                        mask = None
                        if causal:
                            mask = create_block_mask(
                                lambda b, h_, qi, ki: qi >= ki, None, None, s,
                                s, device=dev)
                        flex(q, k, v, block_mask=mask)
                        t["flex"] = bench(lambda: flex(q, k, v, block_mask=mask))
                    except Exception as e:
                        print(f"flex failed: {e}")
                tf = {kk: flops / vv / 1e12 for kk, vv in t.items()}
                rows.append((f"B{bsz} H{h} S{s} D{d} causal={int(causal)}",
                             tf, err))
                del q, k, v, out
    print()
    extra = "".join(f" {label:>9}" for label in variants)
    print(f"{'prefill (TFLOP/s)':34} {'ours':>7} {'flash':>7} {'cudnn':>7} "
          f"{'flex':>7} {'/flash':>7} {'/cudnn':>7} {'/flex':>7}{extra}")
    for label, tf, err in rows:
        r = lambda k: f"{tf['ours'] / tf[k]:7.2f}" if k in tf else "      -"
        v = lambda k: f"{tf[k]:7.1f}" if k in tf else "      -"
        more = "".join(f" {tf[k]:9.1f}" if k in tf else "         -"
                       for k in variants)
        print(f"{label:34} {v('ours')} {v('flash')} {v('cudnn')} {v('flex')} "
              f"{r('flash')} {r('cudnn')} {r('flex')}{more}")

    print()
    print(f"{'decode (TB/s)':34} {'ours':>7} {'flash':>7} {'cudnn':>7} "
          f"{'%copy':>7}{extra}")
    for length in [4096, 32768]:
        bsz, hq, hkv, d = 8, 32, 8, 128
        q = torch.randn(bsz, hq, 1, d, device=dev, dtype=torch.bfloat16)
        k, v = (torch.randn(bsz, hkv, length, d, device=dev,
                            dtype=torch.bfloat16) for _ in range(2))
        out = torch.empty_like(q)
        run = ours.call("decode_d128", q, k, v, out)
        assert run() == 0
        torch.cuda.synchronize()
        ref = sdpa(SDPBackend.FLASH_ATTENTION, q, k, v, False, gqa=True)()
        check("decode", out, ref)
        nbytes = 2 * (k.numel() + v.numel() + q.numel() + out.numel())
        tb = {"ours": nbytes / bench(run) / 1e12}
        tv = {}
        time_variants(variants, "decode_d128", q, k, v, out, ref, tv)
        tb.update({kk: nbytes / vv / 1e12 for kk, vv in tv.items()})
        for label, backend in [("flash", SDPBackend.FLASH_ATTENTION),
                               ("cudnn", SDPBackend.CUDNN_ATTENTION)]:
            try:
                tb[label] = nbytes / bench(sdpa(backend, q, k, v, False,
                                                gqa=True)) / 1e12
            except Exception as e:
                print(f"{label} failed: {e}")
        v_ = lambda kk: f"{tb[kk]:7.2f}" if kk in tb else "      -"
        print(f"{'B8 Hq32 Hkv8 D128 L' + str(length):34} {v_('ours')} "
              f"{v_('flash')} {v_('cudnn')} "
              f"{100 * tb['ours'] * 1e12 / copy_bw:6.1f}%"
              + "".join(f" {tb[kk]:9.3f}" if kk in tb else "         -"
                        for kk in variants))


if __name__ == "__main__":
    main()
