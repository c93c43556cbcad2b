#!/usr/bin/env python3
"""Memory-bound cascades on the GPU: Einfuse's shared GPU lowering
(softmax, layer norm and RMS norm of python/tests/gpu_cases.py, bf16) over
[16384, 8192] against PyTorch eager and torch.compile (Inductor), with the
copy bandwidth measured in the same run as the ceiling. Each of our results
is checked against PyTorch before it is timed.

  EINFUSE_TEST_PREBUILT=DIR PYTHONPATH=python python3 bench/gpu/cascade_bench.py

DIR holds the modules built by test/gpu/build-artifacts.sh
(build/gpu/cascades-sm_90a), which also runs, on the development machine,

  PYTHONPATH=python EINFUSE_LIBRARY=build/lib/libEinfuse.so \\
      python bench/gpu/cascade_bench.py --build DIR [TARGET]

to add the same cascades with pinned configurations (VARIANTS), timed
beside the target's default. Times are medians of triton.testing.do_bench
(CUDA events, after warm-up); bandwidth counts the input read once and the
output written once (the weights are negligible)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

ROWS, COLS = 16384, 8192

# Configurations timed beside the target's default: (label, #ein.gpu_config
# parameters pinned on the kernel function).
VARIANTS = [("warp", "threads = 128, lanes = 32, tile_size = 1024"),
            ("b128", "threads = 128, lanes = 128, tile_size = 8192"),
            ("b512", "threads = 512, lanes = 512, tile_size = 8192"),
            ("b1024", "threads = 1024, lanes = 1024, tile_size = 8192"),
            ("b256_t2048", "threads = 256, lanes = 256, tile_size = 2048")]
KEYS = ["gpu_softmax_bf16", "gpu_layer_norm_bf16", "gpu_rms_norm_bf16"]


def build(directory: str, target: str) -> None:
    """The benchmark's cascades (python/tests/gpu_cases.py) with each
    pinned configuration, as DIR/<key>_<label>."""
    import einfuse
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python", "tests"))
    import gpu_cases
    sources = {"gpu_softmax_bf16": gpu_cases.softmax_src,
               "gpu_layer_norm_bf16": gpu_cases.layer_norm_src,
               "gpu_rms_norm_bf16": gpu_cases.rms_norm_src}
    for key, make in sources.items():
        for label, config in VARIANTS:
            name = key[len("gpu_"):]
            text = make(name, "bf16").replace(
                ") -> tensor<?x?xbf16> {",
                f") -> tensor<?x?xbf16> attributes {{ein.gpu_config = "
                f"#ein.gpu_config<{config}>}} {{", 1)
            module = einfuse.compile(text, target=target, name=f"{key}_{label}")
            print(module.save(os.path.join(directory, f"{key}_{label}")))


def bench(fn):
    from triton.testing import do_bench
    return do_bench(fn, warmup=25, rep=200, return_mode="median") * 1e-3


def main():
    import torch
    import torch.nn.functional as F
    import einfuse
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
    def time_ours(label, key, ours, expect):
        try:
            module = einfuse.load(os.path.join(base, key))
            out.fill_(float("nan"))
            ours(module)
            torch.cuda.synchronize()
            err = (out.float() - expect.float()).abs().max().item()
            return err, bench(lambda: ours(module))
        except Exception as e:  # report, keep timing the others
            print(f"{label} ({key}): ours failed: {e}")
            return float("nan"), float("nan")

    rows, pinned = [], []
    for label, (key, ours, ref) in works.items():
        expect = ref()
        err, t = time_ours(label, key, ours, expect)
        for variant, _ in VARIANTS:
            if os.path.isdir(os.path.join(base, f"{key}_{variant}")):
                pinned.append((label, variant) + time_ours(label, f"{key}_{variant}", ours, expect))
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
    if pinned:
        print("\npinned configurations (bench/gpu/cascade_bench.py VARIANTS):")
        configs = dict(VARIANTS)
        for label, variant, err, t in pinned:
            print(f"{label:12} {variant:12} {t * 1e3:8.3f} ms {100 * nbytes / t / copy_bw:6.1f}% "
                  f"max err {err:8.1e}  ({configs[variant]})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--build":
        if len(sys.argv) not in (3, 4):
            sys.exit("usage: cascade_bench.py --build DIR [TARGET]")
        build(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else "nvidia:sm_90a")
    else:
        main()
