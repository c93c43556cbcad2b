"""Kernels of the torch and GPU tests, by key: (source, compile arguments).

`python prebuild.py DIR` compiles and saves them under DIR/<key>, for a GPU
machine without the compiler: run the tests there with
EINFUSE_TEST_PREBUILT=DIR (conftest.build_module loads them)."""

from einfuse import ops

KERNELS = {
    # bf16 causal GQA attention, head dim 128, dynamic batch and sequence.
    "gpu_attention": (ops.attention("gqa_bf16", heads=8, kv_heads=2, head_dim=128,
                                    dtype="bf16", causal=True),
                      dict(target="nvidia:sm_90a")),
    # The same shape of kernel in f32 for the CPU (torch.library on CPU tensors).
    "cpu_attention": (ops.attention("gqa_f32", heads=4, kv_heads=2, head_dim=32, causal=True),
                      dict(target="cpu")),
}
