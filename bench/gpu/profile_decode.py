#!/usr/bin/env python3
"""One call of a decode kernel (LIB's decode_d128: batch 8, 32 query heads
over 8 KV heads, D = 128, one query, L keys), for a profiler:
    ncu -k regex:decode_d128 python3 bench/gpu/profile_decode.py LIB [L]"""
import ctypes, sys
import torch
lib, length = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 32768
q = torch.randn(8, 32, 1, 128, device="cuda", dtype=torch.bfloat16)
k, v = (torch.randn(8, 8, length, 128, device="cuda", dtype=torch.bfloat16) for _ in range(2))
out = torch.empty_like(q)
fn = ctypes.CDLL(lib).decode_d128
args = []
for t in (q, k, v, out):
    args += [ctypes.c_void_p(t.data_ptr()), ctypes.c_int64(t.shape[0]), ctypes.c_int64(t.shape[2])]
assert fn(*args, ctypes.c_void_p(0)) == 0
torch.cuda.synchronize()
