#!/usr/bin/env python3
"""Decode kernels (LIB's decode_d128: batch 8, 32 query heads over 8 KV
heads, D = 128, one query, L keys), for a profiler or a quick timing:
    ncu -k regex:decode_d128 python3 bench/gpu/profile_decode.py LIB [L]
    python3 bench/gpu/profile_decode.py --time LIB... [--length L]
The timing checks each result against float64 first and prints TB/s
(K and V bytes read once over the median time)."""
import ctypes, sys
import torch
from checked_timing import check_and_time


def inputs(length):
    g = torch.Generator(device="cuda").manual_seed(0)
    q = torch.randn(8, 32, 1, 128, device="cuda", dtype=torch.bfloat16, generator=g)
    k, v = (torch.randn(8, 8, length, 128, device="cuda", dtype=torch.bfloat16, generator=g)
            for _ in range(2))
    return q, k, v, torch.empty_like(q)


def call(lib, q, k, v, out):
    fn = ctypes.CDLL(lib).decode_d128
    args = []
    for t in (q, k, v, out):
        args += [ctypes.c_void_p(t.data_ptr()), ctypes.c_int64(t.shape[0]), ctypes.c_int64(t.shape[2])]
    return lambda: fn(*args, ctypes.c_void_p(0))


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == "--time":
        length = 32768
        if "--length" in argv:
            at = argv.index("--length")
            length = int(argv[at + 1])
            del argv[at:at + 2]
        q, k, v, out = inputs(length)
        kk, vv = (t.double().repeat_interleave(4, dim=1) for t in (k, v))
        ref = torch.softmax(q.double() @ kk.transpose(-1, -2) / 128 ** 0.5, -1) @ vv
        for lib in argv[1:]:
            err, ms = check_and_time(call(lib, q, k, v, out), out, ref)
            print(f"{lib}: {ms:.3f} ms, {2 * k.numel() * 2 / ms / 1e9:.3f} TB/s, max err {err:.1e}")
        return
    lib, length = argv[0], int(argv[1]) if len(argv) > 1 else 32768
    q, k, v, out = inputs(length)
    assert call(lib, q, k, v, out)() == 0
    torch.cuda.synchronize()


main()
