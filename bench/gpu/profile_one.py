#!/usr/bin/env python3
"""One launch of ours (LIB, kernel NAME) and of SDPA flash on the same
inputs, for a profiler (bench/gpu/profile.sh): B x S = 16384, bf16."""
import ctypes, sys
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
lib, name, d, h, s, causal = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
b = 16384 // s
q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
out = torch.empty_like(q)
fn = getattr(ctypes.CDLL(lib), name)
args = []
for t in (q, k, v, out):
    args += [ctypes.c_void_p(t.data_ptr()), ctypes.c_int64(t.shape[0]), ctypes.c_int64(t.shape[2])]
for _ in range(2):
    assert fn(*args, ctypes.c_void_p(0)) == 0
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal))
torch.cuda.synchronize()
