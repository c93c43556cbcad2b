"""Builders that write the MLIR of one named Ein op as a kernel function.

Each builder checks its arguments in Python (a ``ValueError`` that names the
argument) and returns a :class:`KernelSource`: MLIR text of one
``func.func`` that returns one ``ein.attention`` or ``ein.qmatmul`` of its
arguments. Pass it to :func:`einfuse.compile`, or read its ``.text``.

A size given as ``None`` is dynamic (``?`` in the tensor type): the kernel
takes it at run time.
"""

from __future__ import annotations

import math
import re
from typing import Optional, Sequence, Tuple

__all__ = ["KernelSource", "attention", "qmatmul"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Spellings accepted for an element type, and the MLIR type each means.
_DTYPE_ALIASES = {
    "f32": "f32", "float32": "f32", "float": "f32",
    "f16": "f16", "float16": "f16", "half": "f16",
    "bf16": "bf16", "bfloat16": "bf16",
}


class KernelSource:
    """MLIR text of a kernel function, with the name of that function.

    ``str(source)`` and ``source.text`` give the text; ``source.name`` is the
    function's name, which :func:`einfuse.compile` also uses as the base name
    of the artifacts unless it is given another one.
    """

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"KernelSource(name={self.name!r})"


def _check_name(name) -> str:
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(
            f"name must be a C identifier (letters, digits, '_', not starting "
            f"with a digit), got {name!r}")
    return name


def _dtype(value, what: str, allowed: Sequence[str]) -> str:
    text = str(value)
    for prefix in ("torch.", "numpy.", "<class 'numpy.", "dtype('"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = text.rstrip("'>)")
    key = _DTYPE_ALIASES.get(text.lower(), text)
    if key not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
    return key


def _size(value, what: str, dynamic_ok: bool) -> Optional[int]:
    if value is None:
        if dynamic_ok:
            return None
        raise ValueError(f"{what} is required (a positive integer)")
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            import numbers
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise TypeError
            value = int(value)
        except TypeError:
            kind = "a positive integer or None (dynamic)" if dynamic_ok else "a positive integer"
            raise ValueError(f"{what} must be {kind}, got {value!r}") from None
    if value < 1:
        raise ValueError(f"{what} must be >= 1, got {value}")
    return value


def _float(value, what: str, positive: bool) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {value!r}")
    if positive and x <= 0:
        raise ValueError(f"{what} must be > 0, got {value!r}")
    return x


def _mlir_float(x: float) -> str:
    """A decimal literal MLIR reads back as exactly `x` (it needs a '.')."""
    text = repr(float(x))
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + (("e" + exponent) if e else "")


def _tensor(dims, element: str) -> str:
    return "tensor<" + "".join(("?" if d is None else str(d)) + "x" for d in dims) + element + ">"


def _function(name: str, args: Sequence[Tuple[str, str]], result: str, op: str) -> str:
    params = ", ".join(f"%{n}: {t}" for n, t in args)
    return (f"func.func @{name}({params}) -> {result} {{\n"
            f"  %out = {op}\n"
            f"  return %out : {result}\n"
            f"}}\n")


_MASKS = ("bool", "bias")
_ALIGNS = ("top_left", "bottom_right")


def attention(name: str = "attention", *, batch: Optional[int] = None, heads: int,
              kv_heads: Optional[int] = None, seq_q: Optional[int] = None,
              seq_k: Optional[int] = None, head_dim: int,
              value_head_dim: Optional[int] = None, dtype="f32", causal: bool = False,
              scale: Optional[float] = None, softcap: Optional[float] = None,
              window: Optional[Tuple[int, int]] = None, align: Optional[str] = None,
              mask: Optional[str] = None, mask_per_head: bool = False) -> KernelSource:
    """Scaled dot-product attention, ``ein.attention``.

    The function takes ``q [batch, heads, seq_q, head_dim]``,
    ``k [batch, kv_heads, seq_k, head_dim]``,
    ``v [batch, kv_heads, seq_k, value_head_dim]`` (and ``mask`` when asked
    for) and returns ``[batch, heads, seq_q, value_head_dim]``.

    * ``batch``, ``seq_q``, ``seq_k``: ``None`` (the default) for a size the
      kernel takes at run time. Head counts and head dims are static.
    * ``kv_heads``: defaults to ``heads``; ``heads`` must be a multiple of it
      (grouped-query / multi-query attention).
    * ``dtype``: ``"f32"``, ``"f16"`` or ``"bf16"`` (the GPU targets take
      f16 and bf16).
    * ``scale``: multiplies the scores (default ``1/sqrt(head_dim)``);
      ``softcap``: ``c * tanh(s / c)`` after the scale.
    * ``causal``: key ``m`` is visible from query ``p`` if ``m <= p + off``;
      ``window=(L, R)``: if ``p + off - L <= m <= p + off + R`` (``-1`` for
      unbounded); ``off`` is 0 with ``align="top_left"`` (the default) and
      ``seq_k - seq_q`` with ``"bottom_right"``.
    * ``mask``: ``"bool"`` adds a boolean argument (true keeps the position),
      ``"bias"`` an additive one of ``dtype``; ``[seq_q, seq_k]``, or
      ``[batch, heads, seq_q, seq_k]`` with ``mask_per_head=True``.

    Rows whose keys are all masked give 0, as PyTorch's SDPA.
    """
    _check_name(name)
    batch = _size(batch, "batch", True)
    heads = _size(heads, "heads", False)
    kv_heads = heads if kv_heads is None else _size(kv_heads, "kv_heads", False)
    if heads % kv_heads:
        raise ValueError(f"heads ({heads}) must be a multiple of kv_heads ({kv_heads})")
    seq_q = _size(seq_q, "seq_q", True)
    seq_k = _size(seq_k, "seq_k", True)
    head_dim = _size(head_dim, "head_dim", False)
    value_head_dim = head_dim if value_head_dim is None else _size(
        value_head_dim, "value_head_dim", False)
    element = _dtype(dtype, "dtype", ("f32", "f16", "bf16"))
    if not isinstance(causal, bool):
        raise ValueError(f"causal must be True or False, got {causal!r}")

    attrs = []
    if causal:
        attrs.append("causal")
    if scale is not None:
        attrs.append(f"scale = {_mlir_float(_float(scale, 'scale', False))} : f64")
    if softcap is not None:
        attrs.append(f"softcap = {_mlir_float(_float(softcap, 'softcap', True))} : f64")
    if window is not None:
        try:
            left, right = window
        except (TypeError, ValueError):
            raise ValueError(f"window must be a pair (left, right), got {window!r}") from None
        for side, value in (("left", left), ("right", right)):
            if isinstance(value, bool) or not isinstance(value, int) or value < -1:
                raise ValueError(
                    f"window {side} bound must be an integer >= -1 (-1: unbounded), got {value!r}")
        attrs.append(f"window = array<i64: {left}, {right}>")
    if align is not None:
        if align not in _ALIGNS:
            raise ValueError(f"align must be one of {', '.join(_ALIGNS)}, got {align!r}")
        attrs.append(f"align = #ein.align<{align}>")
    if mask is not None and mask not in _MASKS:
        raise ValueError(f"mask must be None, 'bool' or 'bias', got {mask!r}")
    if mask_per_head and mask is None:
        raise ValueError("mask_per_head=True needs mask='bool' or mask='bias'")

    q_t = _tensor((batch, heads, seq_q, head_dim), element)
    k_t = _tensor((batch, kv_heads, seq_k, head_dim), element)
    v_t = _tensor((batch, kv_heads, seq_k, value_head_dim), element)
    o_t = _tensor((batch, heads, seq_q, value_head_dim), element)
    args = [("q", q_t), ("k", k_t), ("v", v_t)]
    op = "ein.attention %q, %k, %v"
    if mask is not None:
        dims = (batch, heads, seq_q, seq_k) if mask_per_head else (seq_q, seq_k)
        m_t = _tensor(dims, "i1" if mask == "bool" else element)
        args.append(("mask", m_t))
        op += f" mask(%mask : {m_t})"
    if attrs:
        op += " {" + ", ".join(attrs) + "}"
    op += f" : {q_t}, {k_t}, {v_t} -> {o_t}"
    return KernelSource(name, _function(name, args, o_t, op))


_QKINDS = ("int4", "uint4", "int8", "fp8_e4m3")


def qmatmul(name: str = "qmatmul", *, m: Optional[int] = None, n: int, k: int,
            kind: str = "int4", group_size: int, zero_point: bool = False,
            dtype="f32", scale_dtype=None) -> KernelSource:
    """A matmul with quantized weights, ``ein.qmatmul``:
    ``out[m, n] = sum over k of x[m, k] * w[n, k]``.

    The function takes ``x [m, k]`` of ``dtype``, the stored weights ``w``,
    ``scales [n, k / group_size]`` of ``scale_dtype`` (default ``dtype``)
    and, with ``zero_point=True``, ``zero_points`` shaped like ``scales``; it
    returns ``[m, n]`` of ``dtype``. Products accumulate in f32. ``m=None``
    (the default) is dynamic.

    Weights by ``kind``: ``"int4"``/``"uint4"``: ``i8 [n, k/2]``, two values
    per byte along K, low nibble first; ``"int8"``: ``i8 [n, k]``;
    ``"fp8_e4m3"``: ``f8E4M3FN [n, k]``. Dequantization is
    ``w = (q - zero) * scale``, the scale (and zero) shared by ``group_size``
    consecutive elements along K.
    """
    _check_name(name)
    m = _size(m, "m", True)
    n = _size(n, "n", False)
    k = _size(k, "k", False)
    if kind not in _QKINDS:
        raise ValueError(f"kind must be one of {', '.join(_QKINDS)}, got {kind!r}")
    group_size = _size(group_size, "group_size", False)
    if k % group_size:
        raise ValueError(f"group_size ({group_size}) must divide k ({k})")
    if kind in ("int4", "uint4") and k % 2:
        raise ValueError(f"k ({k}) must be even for {kind} (two values per byte)")
    if not isinstance(zero_point, bool):
        raise ValueError(f"zero_point must be True or False, got {zero_point!r}")
    element = _dtype(dtype, "dtype", ("f32", "f16", "bf16"))
    scale_element = element if scale_dtype is None else _dtype(
        scale_dtype, "scale_dtype", ("f32", "f16", "bf16"))

    if kind in ("int4", "uint4"):
        w_t = _tensor((n, k // 2), "i8")
    elif kind == "int8":
        w_t = _tensor((n, k), "i8")
    else:
        w_t = _tensor((n, k), "f8E4M3FN")
    x_t = _tensor((m, k), element)
    s_t = _tensor((n, k // group_size), scale_element)
    o_t = _tensor((m, n), element)
    args = [("x", x_t), ("w", w_t), ("scales", s_t)]
    operands = f"{x_t}, {w_t}, {s_t}"
    op = "ein.qmatmul %x, %w scales(%scales)"
    if zero_point:
        args.append(("zero_points", s_t))
        operands += f", {s_t}"
        op += " zero_points(%zero_points)"
    fmt = (f"#ein.qformat<kind = {kind}, group_size = {group_size}"
           + (", zero_point = true>" if zero_point else ">"))
    op += f" format({fmt}) : {operands} -> {o_t}"
    return KernelSource(name, _function(name, args, o_t, op))
