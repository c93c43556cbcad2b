"""References (float64, and the naive same-dtype result) and the numerics
check of docs/design.md: per element, |out - ref64| <= 2 * max|naive - ref64| +
floor; NaN/Inf where the reference is finite fails."""

import numpy as np


def visible(sq, sk, causal=False, window=None, bottom_right=False):
    """[Sq, Sk] bool: key m visible from query p (ein.attention's rule)."""
    off = sk - sq if bottom_right else 0
    p = np.arange(sq)[:, None] + off
    m = np.arange(sk)[None, :]
    keep = np.ones((sq, sk), dtype=bool)
    if causal:
        keep &= m <= p
    if window is not None:
        left, right = window
        if left >= 0:
            keep &= m >= p - left
        if right >= 0:
            keep &= m <= p + right
    return keep


def attention(q, k, v, *, dtype=np.float64, causal=False, scale=None, softcap=None,
              window=None, bottom_right=False, keep=None, bias=None):
    """Attention computed in `dtype` throughout (float64: the reference;
    float32: the naive same-dtype result)."""
    q, k, v = (np.asarray(x, dtype=dtype) for x in (q, k, v))
    _, hq, sq, d = q.shape
    hkv, sk = k.shape[1], k.shape[2]
    group = hq // hkv
    k = np.repeat(k, group, axis=1)
    v = np.repeat(v, group, axis=1)
    scale = 1.0 / np.sqrt(d) if scale is None else scale
    s = np.einsum("bhpe,bhme->bhpm", q, k).astype(dtype) * dtype(scale)
    if softcap is not None:
        s = dtype(softcap) * np.tanh(s / dtype(softcap))
    if bias is not None:
        s = s + np.asarray(bias, dtype=dtype)
    mask = visible(sq, sk, causal, window, bottom_right)
    if keep is not None:
        mask = mask & keep
    s = np.where(mask, s, -np.inf)
    row_max = s.max(axis=-1, keepdims=True) if sk else np.zeros(s.shape[:-1] + (1,), dtype)
    row_max = np.where(np.isfinite(row_max), row_max, 0).astype(dtype)
    p = np.exp(s - row_max).astype(dtype)
    total = p.sum(axis=-1, keepdims=True)
    p = p / np.where(total == 0, 1, total)
    return np.einsum("bhpm,bhmf->bhpf", p, v).astype(dtype)


def check(out, ref, naive, floor, what=""):
    """The numerics contract; returns (max error, bound)."""
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    naive = np.asarray(naive, dtype=np.float64)
    assert out.shape == ref.shape, (what, out.shape, ref.shape)
    bad = ~np.isfinite(out) & np.isfinite(ref)
    assert not bad.any(), f"{what}: {int(bad.sum())} non-finite element(s) where the reference is finite"
    naive_err = float(np.max(np.abs(naive - ref))) if ref.size else 0.0
    err = float(np.max(np.abs(out - ref))) if ref.size else 0.0
    bound = 2 * naive_err + floor
    assert err <= bound, f"{what}: max error {err:.3e} > bound {bound:.3e} (naive {naive_err:.3e})"
    return err, bound


def poisoned(shape, dtype=np.float32):
    return np.full(shape, np.nan, dtype=dtype)


def pack_int4(values):
    """[N, K] ints in [-8, 7] (or [0, 15]) -> [N, K/2] int8, low nibble first."""
    v = np.asarray(values).astype(np.int64) & 0xF
    packed = v[:, 0::2] | (v[:, 1::2] << 4)
    return packed.astype(np.uint8).view(np.int8)


def dequantize(q, scales, zeros=None, dtype=np.float64):
    """w[n, k] = (q[n, k] - zero[n, k // G]) * scale[n, k // G]."""
    group = q.shape[1] // scales.shape[1]
    s = np.repeat(np.asarray(scales, dtype=dtype), group, axis=1)
    z = 0 if zeros is None else np.repeat(np.asarray(zeros, dtype=dtype), group, axis=1)
    return ((np.asarray(q, dtype=dtype) - z) * s).astype(dtype)
