"""Attention on the CPU against the float64 reference (numerics contract of
docs/design.md: |out - ref64| <= 2 max|naive f32 - ref64| + 1e-6 per element;
outputs poisoned with NaN)."""

import numpy as np
import pytest

import einfuse
from einfuse import ops

import helpers

FLOOR = 1e-6  # f32 attention (docs/numerics.md)


@pytest.fixture(scope="module")
def gqa():
    """Causal GQA (8 query heads over 2 KV heads), head dim 64, dynamic
    batch and sequence lengths."""
    return einfuse.compile(ops.attention(heads=8, kv_heads=2, head_dim=64, causal=True))


@pytest.fixture(scope="module")
def variants():
    """MQA with awkward static sizes, Dv != D, a custom scale, softcap and a
    bottom-right aligned causal window."""
    return einfuse.compile(ops.attention(
        "variants", batch=1, heads=3, kv_heads=1, seq_q=13, seq_k=29, head_dim=17,
        value_head_dim=9, causal=True, window=(5, -1), align="bottom_right", scale=0.3,
        softcap=4.0))


@pytest.fixture(scope="module")
def masked():
    """A boolean [Sq, Sk] mask (dynamic sequence lengths)."""
    return einfuse.compile(ops.attention("masked", batch=1, heads=2, head_dim=16, mask="bool"))


def inputs(rng, b, hq, hkv, sq, sk, d, dv=None):
    dv = d if dv is None else dv
    q = rng.standard_normal((b, hq, sq, d), dtype=np.float32)
    k = rng.standard_normal((b, hkv, sk, d), dtype=np.float32)
    v = rng.standard_normal((b, hkv, sk, dv), dtype=np.float32)
    return q, k, v


@pytest.mark.parametrize("b,sq,sk", [(2, 37, 37), (1, 1, 1), (3, 5, 64), (1, 65, 17), (2, 16, 16)])
def test_causal_gqa_dynamic(gqa, b, sq, sk):
    rng = np.random.default_rng(b * 1000 + sq * 10 + sk)
    q, k, v = inputs(rng, b, 8, 2, sq, sk, 64)
    out = helpers.poisoned((b, 8, sq, 64))
    result = gqa.attention(q, k, v, out=out)
    assert result is out
    ref = helpers.attention(q, k, v, causal=True)
    naive = helpers.attention(q, k, v, causal=True, dtype=np.float32)
    helpers.check(out, ref, naive, FLOOR, f"B={b} Sq={sq} Sk={sk}")


def test_allocated_output(gqa):
    rng = np.random.default_rng(7)
    q, k, v = inputs(rng, 2, 8, 2, 37, 37, 64)
    out = gqa.attention(q, k, v)
    assert out.shape == (2, 8, 37, 64) and out.dtype == np.float32
    assert gqa["attention"] is gqa.attention is gqa.kernels["attention"]
    ref = helpers.attention(q, k, v, causal=True)
    naive = helpers.attention(q, k, v, causal=True, dtype=np.float32)
    helpers.check(out, ref, naive, FLOOR)
    # By name, and the same result again.
    again = gqa.attention(q=q, k=k, v=v)
    np.testing.assert_array_equal(again, out)


def test_non_contiguous_inputs(gqa):
    rng = np.random.default_rng(11)
    q, k, v = inputs(rng, 1, 8, 2, 19, 19, 64)
    # The same values, laid out [B, S, H, D] and viewed as [B, H, S, D].
    qt = np.ascontiguousarray(q.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
    assert not qt.flags.c_contiguous
    np.testing.assert_array_equal(gqa.attention(qt, k, v), gqa.attention(q, k, v))


def test_variants(variants):
    rng = np.random.default_rng(3)
    q, k, v = inputs(rng, 1, 3, 1, 13, 29, 17, 9)
    out = variants.variants(q, k, v, out=helpers.poisoned((1, 3, 13, 9)))
    kw = dict(causal=True, window=(5, -1), bottom_right=True, scale=0.3, softcap=4.0)
    ref = helpers.attention(q, k, v, **kw)
    naive = helpers.attention(q, k, v, dtype=np.float32, **kw)
    helpers.check(out, ref, naive, FLOOR)


def test_bool_mask_and_fully_masked_rows(masked):
    rng = np.random.default_rng(5)
    q, k, v = inputs(rng, 1, 2, 2, 9, 23, 16)
    keep = rng.random((9, 23)) < 0.5
    keep[4, :] = False  # a row with every key masked gives 0
    out = masked.masked(q, k, v, keep, out=helpers.poisoned((1, 2, 9, 16)))
    ref = helpers.attention(q, k, v, keep=keep)
    naive = helpers.attention(q, k, v, keep=keep, dtype=np.float32)
    helpers.check(out, ref, naive, FLOOR)
    assert np.all(out[:, :, 4, :] == 0)
    # uint8 0/1 is accepted for i1 too.
    np.testing.assert_array_equal(masked.masked(q, k, v, keep.astype(np.uint8)), out)


@pytest.fixture(scope="module")
def half():
    return einfuse.compile(ops.attention("half", batch=1, heads=2, head_dim=16, dtype="f16",
                                         causal=True))


def test_f16(half):
    rng = np.random.default_rng(9)
    q, k, v = (x.astype(np.float16) for x in inputs(rng, 1, 2, 2, 21, 21, 16))
    out = half.half(q, k, v, out=np.full((1, 2, 21, 16), np.nan, np.float16))
    assert out.dtype == np.float16
    ref = helpers.attention(q, k, v, causal=True)
    naive = helpers.attention(q, k, v, causal=True, dtype=np.float16)
    helpers.check(out, ref, naive, 1e-3)  # floor for f16 attention (docs/numerics.md)
    # The same bits as uint16 give the same bits back.
    bits = half.half(q.view(np.uint16), k.view(np.uint16), v.view(np.uint16))
    assert bits.dtype == np.uint16
    np.testing.assert_array_equal(bits, out.view(np.uint16))
