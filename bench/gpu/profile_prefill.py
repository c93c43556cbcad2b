#!/usr/bin/env python3
"""Prefill kernels of LIB (bench/gpu/kernels.mlir's prefill_d64 /
prefill_d128 and their _causal forms: batch 4, 32 heads at D 64 or 16 at
D 128, S query and key rows), for a profiler or a quick timing:
    ncu -k regex:prefill python3 bench/gpu/profile_prefill.py LIB [NAME] [S]
    python3 bench/gpu/profile_prefill.py --time LIB... [--name NAME] [--length S]
The timing checks each result against float64 first, then prints the
median time and TFLOP/s (4 S^2 D flops per head, halved when causal)."""
import ctypes, sys
import torch
from checked_timing import check_and_time


def inputs(name, s):
    d = 128 if "d128" in name else 64
    h = 16 if d == 128 else 32
    g = torch.Generator(device="cuda").manual_seed(0)
    q, k, v = (torch.randn(4, h, s, d, device="cuda", dtype=torch.bfloat16,
                           generator=g) for _ in range(3))
    return q, k, v, torch.empty_like(q)


def call(lib, name, q, k, v, out):
    fn = getattr(ctypes.CDLL(lib), name)
    args = []
    for t in (q, k, v, out):
        args += [ctypes.c_void_p(t.data_ptr()), ctypes.c_int64(t.shape[0]),
                 ctypes.c_int64(t.shape[2])]
    return lambda: fn(*args, ctypes.c_void_p(0))


def option(argv, key, default):
    if key in argv:
        at = argv.index(key)
        value = argv[at + 1]
        del argv[at:at + 2]
        return value
    return default


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == "--time":
        name = option(argv, "--name", "prefill_d64")
        s = int(option(argv, "--length", "1024"))
        q, k, v, out = inputs(name, s)
        causal = "causal" in name
        ref = torch.nn.functional.scaled_dot_product_attention(
            q.double(), k.double(), v.double(), is_causal=causal)
        flops = 4 * q.shape[0] * q.shape[1] * s * s * q.shape[3] / (2 if causal else 1)
        for lib in argv[1:]:
            err, ms = check_and_time(call(lib, name, q, k, v, out), out, ref,
                                     calls=15, warmup=3)
            print(f"{lib} {name} S={s}: {ms:.3f} ms, {flops / ms / 1e9:.1f} TFLOP/s, max err {err:.1e}")
        return
    lib = argv[0]
    name = argv[1] if len(argv) > 1 else "prefill_d64"
    s = int(argv[2]) if len(argv) > 2 else 4096
    q, k, v, out = inputs(name, s)
    assert call(lib, name, q, k, v, out)() == 0
    torch.cuda.synchronize()
    print(name, "ok")


main()
