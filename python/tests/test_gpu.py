"""GPU tests (skipped unless torch sees a CUDA device): bf16 causal GQA
attention, head dim 128, nvidia:sm_90a, on torch tensors against a float64
reference (numerics contract, floor 1e-3 for bf16), and the same kernel
through einfuse.torch.register under torch.compile(fullgraph=True).

On a GPU machine without the compiler: `python python/tests/prebuild.py DIR`
here, then EINFUSE_TEST_PREBUILT=DIR pytest python/tests/test_gpu.py there."""

import math

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available() or torch.version.cuda is None:
    pytest.skip("no CUDA device", allow_module_level=True)
if torch.cuda.get_device_capability() < (9, 0):
    pytest.skip("the kernel is compiled for sm_90a", allow_module_level=True)

import einfuse  # noqa: E402
import einfuse.torch  # noqa: E402

from kernels import KERNELS  # noqa: E402

HQ, HKV, D = 8, 2, 128
FLOOR = 1e-3  # bf16 attention (docs/numerics.md)


@pytest.fixture(scope="module")
def gqa(build_module):
    source, kw = KERNELS["gpu_attention"]
    return build_module("gpu_attention", source, **kw)


def make(b, sq, sk, seed=0, dtype=torch.bfloat16):
    g = torch.Generator(device="cuda").manual_seed(seed)
    q = torch.randn(b, HQ, sq, D, generator=g, device="cuda").to(dtype)
    k = torch.randn(b, HKV, sk, D, generator=g, device="cuda").to(dtype)
    v = torch.randn(b, HKV, sk, D, generator=g, device="cuda").to(dtype)
    return q, k, v


def attention(q, k, v, dtype):
    """Causal (top-left) GQA attention in `dtype` arithmetic."""
    group = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(group, dim=1).to(dtype)
    v = v.repeat_interleave(group, dim=1).to(dtype)
    s = (q.to(dtype) @ k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    sq, sk = s.shape[-2:]
    keep = torch.arange(sk, device=q.device)[None, :] <= torch.arange(sq, device=q.device)[:, None]
    s = s.masked_fill(~keep, float("-inf"))
    p = torch.nan_to_num(torch.softmax(s, dim=-1), nan=0.0)
    return p @ v


def check(out, q, k, v):
    ref = attention(q, k, v, torch.float64)
    naive = attention(q, k, v, torch.bfloat16).double()
    o = out.double()
    assert torch.isfinite(o).all()
    err = (o - ref).abs().max().item()
    bound = 2 * (naive - ref).abs().max().item() + FLOOR
    assert err <= bound, f"max error {err:.3e} > bound {bound:.3e}"


@pytest.mark.parametrize("b,sq,sk", [(2, 257, 257), (1, 1, 1), (3, 64, 129), (1, 1031, 1031), (2, 4, 300)])
def test_attention(gqa, b, sq, sk):
    q, k, v = make(b, sq, sk, seed=sq)
    out = torch.full((b, HQ, sq, D), float("nan"), dtype=torch.bfloat16, device="cuda")
    assert gqa.gqa_bf16(q, k, v, out=out) is out
    torch.cuda.synchronize()
    check(out, q, k, v)
    again = gqa.gqa_bf16(q, k, v)
    torch.cuda.synchronize()
    assert torch.equal(again, out)  # allocated output, same bits


def test_checks(gqa):
    q, k, v = make(1, 16, 16)
    with pytest.raises(einfuse.DTypeError, match="expected bf16"):
        gqa.gqa_bf16(q.float(), k, v)
    with pytest.raises(ValueError, match="GPU tensors"):
        gqa.gqa_bf16(q.cpu(), k, v)
    with pytest.raises(einfuse.ShapeError, match=r"k dim 2 = 16, v dim 2 = 15|v dim 2 = 15"):
        gqa.gqa_bf16(q, k, v[:, :, :15])
    # A non-contiguous view is copied, with the same result.
    qt = q.transpose(1, 2).contiguous().transpose(1, 2)
    assert not qt.is_contiguous()
    assert torch.equal(gqa.gqa_bf16(qt, k, v), gqa.gqa_bf16(q, k, v))


def test_current_stream(gqa):
    q, k, v = make(2, 100, 100)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        out = gqa.gqa_bf16(q, k, v)
    side.synchronize()
    check(out, q, k, v)


def test_torch_compile(gqa):
    op = einfuse.torch.register(gqa.gqa_bf16)
    q, k, v = make(2, 77, 77, seed=1)
    eager = gqa.gqa_bf16(q, k, v)

    @torch.compile(fullgraph=True)
    def block(q, k, v):
        return op(q, k, v).float() * 2.0

    out = block(q, k, v)
    torch.cuda.synchronize()
    assert out.shape == (2, HQ, 77, D) and out.dtype == torch.float32
    assert torch.equal(out, eager.float() * 2.0)
    q2, k2, v2 = make(1, 130, 130, seed=2)  # another size: the fake derives the output shape
    assert torch.equal(block(q2, k2, v2), gqa.gqa_bf16(q2, k2, v2).float() * 2.0)
