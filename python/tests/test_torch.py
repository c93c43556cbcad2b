"""einfuse.torch with a CPU kernel (skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import einfuse  # noqa: E402
import einfuse.torch  # noqa: E402

import helpers  # noqa: E402
from kernels import KERNELS  # noqa: E402


@pytest.fixture(scope="module")
def cpu_attention(build_module):
    source, kw = KERNELS["cpu_attention"]
    return build_module("cpu_attention", source, **kw)


def inputs(b=2, s=37):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(b, 4, s, 32, generator=g), torch.randn(b, 2, s, 32, generator=g),
            torch.randn(b, 2, s, 32, generator=g))


def test_cpu_tensors_through_numpy(cpu_attention):
    q, k, v = inputs()
    out = cpu_attention.gqa_f32(q, k, v)  # torch CPU tensors are read through NumPy
    assert isinstance(out, np.ndarray)
    ref = helpers.attention(q.numpy(), k.numpy(), v.numpy(), causal=True)
    naive = helpers.attention(q.numpy(), k.numpy(), v.numpy(), causal=True, dtype=np.float32)
    helpers.check(out, ref, naive, 1e-6)


def test_register_cpu(cpu_attention):
    op = einfuse.torch.register(cpu_attention.gqa_f32)
    assert einfuse.torch.register(cpu_attention.gqa_f32) is op  # idempotent
    q, k, v = inputs()
    out = op(q, k, v)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 4, 37, 32)
    np.testing.assert_array_equal(out.numpy(), cpu_attention.gqa_f32(q.numpy(), k.numpy(), v.numpy()))
    assert torch.ops.einfuse.gqa_f32 is not None

    @torch.compile(fullgraph=True)
    def f(q, k, v):
        return op(q, k, v) * 2

    torch.testing.assert_close(f(q, k, v), out * 2, rtol=0, atol=0)
    q2, k2, v2 = inputs(1, 5)
    torch.testing.assert_close(f(q2, k2, v2), op(q2, k2, v2) * 2, rtol=0, atol=0)


def test_register_rejects_other_objects():
    with pytest.raises(TypeError):
        einfuse.torch.register(lambda x: x)
