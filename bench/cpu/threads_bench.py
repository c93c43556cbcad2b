"""Threads and workers on the CPU: does threads=true help the online and
partitioned forms? Decode attention (one query row per head, L keys) and a
split-K matvec, each compiled serial and with threads=true (plain, and
split across P workers), timed in one run on 1 and on 2 OpenMP threads
(OMP_NUM_THREADS is read when libomp starts, so each thread count runs in
its own process), with NumPy (OpenBLAS, same thread count) timed in the
same run as the anchor. Prints milliseconds and the speed-up of 2 threads
over our serial kernel.

    usage: .venv/bin/python bench/cpu/threads_bench.py [--keys 32768] [--reps 20]
                                                       [--heads H] [--kv-heads G]

--kv-heads makes the decode attention grouped-query (H query heads over G
key/value heads, H a multiple of G).

Needs the einfuse package (scripts/python-test.sh installs it in .venv, or
set EINFUSE_LIBRARY and PYTHONPATH=python). Results: docs/performance.md.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def measure(args):
    import numpy as np
    import einfuse

    rng = np.random.default_rng(0)
    L, H, D = args.keys, args.heads, 128
    G = args.kv_heads or H
    q = rng.standard_normal((1, H, 1, D)).astype(np.float32)
    k = rng.standard_normal((1, G, L, D)).astype(np.float32)
    v = rng.standard_normal((1, G, L, D)).astype(np.float32)
    attention = einfuse.ops.attention(batch=1, heads=H, kv_heads=G, head_dim=D, seq_q=1,
                                      dtype="f32")
    K = args.keys * 8
    x = rng.standard_normal((1, K)).astype(np.float32)
    w = rng.standard_normal((K, 64)).astype(np.float32)
    matvec = """
func.func @matvec(%x: tensor<1x?xf32>, %w: tensor<?x64xf32>) -> tensor<1x64xf32> {
  %r = ein.cascade [m, k, n] -> (tensor<1x64xf32>) {
    %y = ein.einsum mul(%x[m, k], %w[k, n]) -> [m, n] sum[k] : (tensor<1x?xf32>, tensor<?x64xf32>) -> tensor<1x64xf32>
    ein.yield %y : tensor<1x64xf32>
  }
  return %r : tensor<1x64xf32>
}
"""
    rows = {}

    def best_of(f):
        f()
        best = float("inf")
        for _ in range(args.reps):
            t = time.perf_counter()
            f()
            best = min(best, time.perf_counter() - t)
        return best * 1e3

    # Anchors, in the same process and thread count: NumPy (OpenBLAS) for
    # the same decode attention and matvec.
    def numpy_attention():
        # Grouped heads: query head h reads key/value head h // (H / G).
        kk = np.repeat(k, H // G, axis=1) if G != H else k
        vv = np.repeat(v, H // G, axis=1) if G != H else v
        s = np.matmul(q, np.swapaxes(kk, -1, -2)) * np.float32(1 / np.sqrt(D))
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        return np.matmul(p, vv)

    rows["attention decode | numpy (anchor)"] = best_of(numpy_attention)
    rows["matvec split-K | numpy (anchor)"] = best_of(lambda: x @ w)
    for label, source, fn, call, options, ref in [
        ("attention decode", attention, "attention", (q, k, v), args.attention_options,
         numpy_attention()),
        ("matvec split-K", matvec, "matvec", (x, w), args.matvec_options, x @ w),
    ]:
        for opts in options:
            kernel = getattr(einfuse.compile(source, options=opts), fn)
            # Checked against NumPy before it is timed.
            err = float(np.abs(np.asarray(kernel(*call)) - ref).max() / np.abs(ref).max())
            if not err < 1e-4:
                sys.exit(f"{label} ({opts or 'serial'}): wrong result, relative error {err:.2e}")
            best = float("inf")
            for _ in range(args.reps):
                t = time.perf_counter()
                kernel(*call)
                best = min(best, time.perf_counter() - t)
            rows[f"{label} | {opts or '(serial)'}"] = best * 1e3
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keys", type=int, default=32768)
    p.add_argument("--heads", type=int, default=1)
    p.add_argument("--kv-heads", type=int, default=0)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--child", action="store_true")
    args = p.parse_args()
    if args.kv_heads and (args.kv_heads < 0 or args.heads % args.kv_heads):
        p.error("--kv-heads must divide --heads")
    args.attention_options = ["", "threads=true", "workers=2 threads=true",
                              "workers=8 threads=true"]
    args.matvec_options = ["", "threads=true", "split-rank=k workers=2 threads=true",
                           "split-rank=k workers=8 threads=true"]
    if args.child:
        print(json.dumps(measure(args)))
        return
    runs = {}
    for threads in (1, 2):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads),
                   OPENBLAS_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, __file__, "--child", "--keys", str(args.keys),
                              "--heads", str(args.heads), "--kv-heads", str(args.kv_heads),
                              "--reps", str(args.reps)],
                             env=env, check=True, capture_output=True, text=True).stdout
        runs[threads] = json.loads(out.strip().splitlines()[-1])
    print(f"keys={args.keys} heads={args.heads} kv_heads={args.kv_heads or args.heads} "
          f"reps={args.reps} (best of reps, ms)")
    print(f"{'kernel | options':58} {'1 thread':>10} {'2 threads':>10} {'serial/2T':>10}")
    serial = {}
    for name in runs[1]:
        label = name.split(" | ")[0]
        if name.endswith("(serial)"):
            serial[label] = runs[1][name]
    for name in runs[1]:
        base = serial[name.split(" | ")[0]]
        print(f"{name:58} {runs[1][name]:10.3f} {runs[2][name]:10.3f} "
              f"{base / runs[2][name]:9.2f}x")


if __name__ == "__main__":
    main()
