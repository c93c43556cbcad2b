#!/usr/bin/env python3
"""GPU correctness test of the attention kernels of test/gpu/kernels.mlir and
test/gpu/kernels-sm90a.mlir (the variants a library has are run).

Runs on the GPU machine (test/gpu/run.sh): loads the launcher library built
from einfuse-compile's output, draws random cases (awkward shapes, every
variant), and checks each against a float64 reference under the numerics
contract of docs/design.md:
  max |out - ref64| <= 2 * max |naive same-dtype - ref64| + floor, per element,
  NaN/Inf fails, outputs poisoned (NaN) before every run,
and that two runs of the same case are bitwise equal (a race check).

  attention_test.py LIB [--cases N] [--seed S] [--only NAME] [--quick]
"""
import argparse
import ctypes
import math
import random
import sys

import torch

# name -> (dtype, D, Hq, Hkv, causal, window (L, R) or None, bottom_right,
#          scale or None); mirrors test/gpu/kernels.mlir.
VARIANTS = {
    "bf16_d128_gqa_causal": (torch.bfloat16, 128, 8, 2, True, None, False, None),
    "bf16_d64_mha": (torch.bfloat16, 64, 4, 4, False, None, False, None),
    "f16_d128_mqa": (torch.float16, 128, 4, 1, False, None, False, None),
    "f16_d64_gqa_causal_br": (torch.float16, 64, 6, 3, True, None, True, None),
    "bf16_d128_window_left": (torch.bfloat16, 128, 4, 2, False, (32, 0), False, None),
    "bf16_d64_window_br": (torch.bfloat16, 64, 2, 1, False, (16, 16), True, None),
    "f16_d128_mha_causal": (torch.float16, 128, 8, 8, True, None, False, None),
    "bf16_d128_decode": (torch.bfloat16, 128, 32, 8, False, None, False, None),
    "f16_d64_scale_causal": (torch.float16, 64, 4, 2, True, None, False, 0.3),
    # test/gpu/kernels-sm90a.mlir
    "bf16_d256_gqa_causal": (torch.bfloat16, 256, 4, 2, True, None, False, None),
    "f16_d256_window": (torch.float16, 256, 2, 2, False, (40, 8), True, None),
    "bf16_d256_decode": (torch.bfloat16, 256, 8, 2, False, None, False, None),
}

# 1, primes, tile +- 1, and non-multiples of every tile (16, 64).
SEQ = [1, 2, 3, 7, 13, 15, 16, 17, 31, 63, 64, 65, 97, 127, 128, 129, 191,
       255, 256, 257, 300, 383, 509, 640, 1031]
DECODE_SEQ = [1, 2, 3, 4]


def visible(sq, sk, causal, window, bottom_right, device):
    """[Sq, Sk] bool: key m visible from query p (ein.attention's rule)."""
    p = torch.arange(sq, device=device).view(-1, 1)
    m = torch.arange(sk, device=device).view(1, -1)
    diag = p + (sk - sq if bottom_right else 0)
    keep = torch.ones(sq, sk, dtype=torch.bool, device=device)
    if causal:
        keep &= m <= diag
    if window is not None:
        left, right = window
        if left >= 0:
            keep &= m >= diag - left
        if right >= 0:
            keep &= m <= diag + right
    return keep


def attention(q, k, v, keep, scale, dtype):
    """Attention in `dtype` arithmetic; fully masked rows give 0."""
    g = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(g, dim=1).to(dtype)
    v = v.repeat_interleave(g, dim=1).to(dtype)
    s = (q.to(dtype) @ k.transpose(-1, -2)) * scale
    s = s.masked_fill(~keep, float("-inf"))
    p = torch.softmax(s, dim=-1)
    p = torch.nan_to_num(p, nan=0.0)
    return p @ v


class Library:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)

    def run(self, name, q, k, v, out, ptrs=None, sizes=None):
        """Launches `name` on q, k, v, out; `ptrs` and `sizes` (one
        (batch, sequence) pair per buffer) override what is passed."""
        fn = getattr(self.lib, name)
        fn.restype = ctypes.c_int
        args = []
        for i, t in enumerate((q, k, v, out)):
            ptr = t.data_ptr() if ptrs is None else ptrs[i]
            b, s = (t.shape[0], t.shape[2]) if sizes is None else sizes[i]
            args += [ctypes.c_void_p(ptr), ctypes.c_int64(b), ctypes.c_int64(s)]
        stream = torch.cuda.current_stream().cuda_stream
        rc = fn(*args, ctypes.c_void_p(stream))
        torch.cuda.synchronize()
        return rc


def run_case(lib, name, b, sq, sk, gen, verbose):
    dtype, d, hq, hkv, causal, window, br, scale = VARIANTS[name]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    dev = "cuda"
    q = torch.randn(b, hq, sq, d, generator=gen, device=dev).to(dtype)
    k = torch.randn(b, hkv, sk, d, generator=gen, device=dev).to(dtype)
    v = torch.randn(b, hkv, sk, d, generator=gen, device=dev).to(dtype)
    keep = visible(sq, sk, causal, window, br, dev)
    ref = attention(q.double(), k.double(), v.double(), keep, scale,
                    torch.float64)
    naive = attention(q, k, v, keep, scale, dtype).double()
    naive_err = (naive - ref).abs().max().item() if ref.numel() else 0.0
    floor = 1e-3
    bound = 2 * naive_err + floor
    results = []
    for _ in range(2):
        out = torch.full((b, hq, sq, d), float("nan"), device=dev, dtype=dtype)
        rc = lib.run(name, q, k, v, out)
        if rc != 0:
            return False, f"launcher returned {rc}"
        results.append(out)
    out = results[0].double()
    if not torch.isfinite(out).all():
        bad = (~torch.isfinite(out)).nonzero()[0].tolist()
        return False, f"non-finite output at {bad} (unwritten or NaN)"
    err = (out - ref).abs().max().item() if ref.numel() else 0.0
    same = torch.equal(results[0].view(torch.int16), results[1].view(torch.int16))
    ok = err <= bound and same
    why = f"max error {err:.3e}, naive {naive_err:.3e}, bound {bound:.3e}"
    if not same:
        why += ", two runs differ bitwise (race?)"
    return ok, why


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("--cases", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default=None)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--expect-image", default=None,
                    help="the image the launcher must have loaded "
                         "(kernels_loaded_image(): 'sm_90a', 'sm_80 ptx')")
    args = ap.parse_args()
    lib = Library(args.lib)
    rnd = random.Random(args.seed)
    gen = torch.Generator(device="cuda")
    gen.manual_seed(args.seed)
    names = [args.only] if args.only else [
        n for n in VARIANTS if hasattr(lib.lib, n)]
    # Bad sizes are refused, not run: mismatched batch, negative size.
    dtype, d, hq, hkv, *_ = VARIANTS[names[0]]
    q = torch.zeros(1, hq, 4, d, device="cuda", dtype=dtype)
    kv = torch.zeros(2, hkv, 4, d, device="cuda", dtype=dtype)
    rc = lib.run(names[0], q, kv, kv, q)
    assert rc == -2, f"mismatched batch not refused (rc {rc})"
    flat = torch.zeros(q.numel() + 1, device="cuda", dtype=dtype)
    shifted = flat[1:].view(q.shape)  # 2 bytes past a 16-byte boundary
    rc = lib.run(names[0], shifted, kv[:1], kv[:1], q)
    assert rc == -5, f"misaligned buffer not refused (rc {rc})"
    # The checks every launcher shares (docs/reliability.md): sizes the
    # kernel ties together, NULL buffers, overflowing sizes; a refused call
    # writes nothing.
    k1 = kv[:1]
    out = torch.full_like(q, float("nan"))
    shapes = [(1, 4)] * 4
    rc = lib.run(names[0], q, k1, k1, out, sizes=shapes[:3] + [(1, 3)])
    assert rc == -2, f"short output not refused (rc {rc})"
    rc = lib.run(names[0], q, k1, k1, out, sizes=[(1, 4), (1, 4), (1, 3), (1, 4)])
    assert rc == -2, f"short value not refused (rc {rc})"
    rc = lib.run(names[0], q, k1, k1, out,
                 ptrs=[0, k1.data_ptr(), k1.data_ptr(), out.data_ptr()])
    assert rc == -6, f"NULL query not refused (rc {rc})"
    huge = 1 << 58
    rc = lib.run(names[0], q, k1, k1, out,
                 sizes=[(1, huge), (1, 4), (1, 4), (1, huge)])
    assert rc == -7, f"overflowing sizes not refused (rc {rc})"
    assert out.isnan().all(), "a refused call wrote its output"
    rc = lib.run(names[0], q, k1, k1, out)
    assert rc == 0 and not out.isnan().any(), f"valid call failed (rc {rc})"
    print("launcher checks: -2 -2 -6 -7 refused, nothing written; valid call ok")
    failures, worst = 0, 0.0
    for i in range(args.cases):
        name = names[i % len(names)]
        decode = name.endswith("decode") or rnd.random() < 0.15
        b = rnd.choice([1, 2, 3])
        sq = rnd.choice(DECODE_SEQ if decode else SEQ)
        sk = rnd.choice(SEQ + [2048, 4100] if decode else SEQ)
        ok, why = run_case(lib, name, b, sq, sk, gen, args.verbose)
        failures += not ok
        if not ok or args.verbose:
            print(f"{'PASS' if ok else 'FAIL'} case {i} {name} B={b} Sq={sq} "
                  f"Sk={sk}: {why}", flush=True)
    print(f"{args.cases - failures} passed, {failures} failed "
          f"({len(names)} variants, seed {args.seed})")
    query = getattr(lib.lib, "kernels_loaded_image", None)
    if query is not None:
        query.restype = ctypes.c_char_p
        image = query()
        image = image.decode() if image else None
        print(f"image loaded in this context: {image}")
        if args.expect_image and image != args.expect_image:
            print(f"FAIL: expected image {args.expect_image}")
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
