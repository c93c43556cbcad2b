#!/usr/bin/env python3
"""Memory-bound cascades on the GPU: Einfuse's shared GPU lowering
(softmax, layer norm and RMS norm of python/tests/gpu_cases.py, bf16) over
[16384, 8192] against PyTorch eager and torch.compile (Inductor), with the
copy bandwidth measured in the same run as the ceiling. Each of our results
is checked against PyTorch before it is timed.

  EINFUSE_TEST_PREBUILT=DIR PYTHONPATH=python python3 bench/gpu/cascade_bench.py

DIR holds the modules built by test/gpu/build-artifacts.sh
(build/gpu/cascades-sm_90a). Times are medians of triton.testing.do_bench
(CUDA events, after warm-up); bandwidth counts the input read once and the
output written once (the weights are negligible)."""
import os
import sys

import torch
import torch.nn.functional as F
from triton.testing import do_bench

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import einfuse  # noqa: E402

ROWS, COLS = 16384, 8192


def bench(fn):
    return do_bench(fn, warmup=25, rep=200, return_mode="median") * 1e-3


def main():
    base = os.environ["EINFUSE_TEST_PREBUILT"]
    torch.manual_seed(0)
    x = torch.randn(ROWS, COLS, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(COLS, device="cuda", dtype=torch.bfloat16)
    bias = torch.randn(COLS, device="cuda", dtype=torch.bfloat16)
    out = torch.empty_like(x)
    nbytes = 2 * x.numel() * x.element_size()
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    copy_bw = 2 * src.numel() / bench(lambda: dst.copy_(src))
    print(f"copy bandwidth: {copy_bw / 1e12:.2f} TB/s (read + write)")
    eps = 1e-5
    works = {
        "softmax": ("gpu_softmax_bf16", lambda m: m.softmax_bf16(x, out=out),
                    lambda: torch.softmax(x.float(), -1).bfloat16()),
        "layer norm": ("gpu_layer_norm_bf16",
                       lambda m: m.layer_norm_bf16(x, w, bias, out=out),
                       lambda: F.layer_norm(x.float(), (COLS,), w.float(), bias.float(), eps).bfloat16()),
        "rms norm": ("gpu_rms_norm_bf16", lambda m: m.rms_norm_bf16(x, w, out=out),
                     lambda: (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + eps)
                              * w.float()).bfloat16()),
    }
    rows = []
    for label, (key, ours, ref) in works.items():
        try:
            module = einfuse.load(os.path.join(base, key))
            ours(module)
            torch.cuda.synchronize()
            expect = ref()
            err = (out.float() - expect.float()).abs().max().item()
            t = bench(lambda: ours(module))
        except Exception as e:  # report, keep timing the others
            print(f"{label}: ours failed: {e}")
            err, t = float("nan"), float("nan")
        t_eager = bench(ref)
        compiled = torch.compile(ref)
        compiled()
        t_inductor = bench(compiled)
        rows.append((label, t, err, t_eager, t_inductor))
    print(f"\n[{ROWS}, {COLS}] bf16; bandwidth = (input + output bytes) / time")
    print(f"{'cascade':12} {'ours ms':>8} {'% copy':>7} {'eager ms':>9} {'inductor ms':>12} "
          f"{'eager/ours':>10} {'inductor/ours':>14} {'max err':>8}")
    for label, t, err, te, ti in rows:
        print(f"{label:12} {t * 1e3:8.3f} {100 * nbytes / t / copy_bw:6.1f}% {te * 1e3:9.3f} "
              f"{ti * 1e3:12.3f} {te / t:10.3f} {ti / t:14.3f} {err:8.1e}")


if __name__ == "__main__":
    main()
