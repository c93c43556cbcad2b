"""Kernel families of the GPU test suite (test_gpu_cascades.py).

Each :class:`Family` is one kernel function: its MLIR (hand-written
`ein.cascade`s, or `ein.attention` / `ein.qmatmul`), a float64 reference,
a naive same-dtype reference, a generator of awkward shapes, an input
generator and an error floor (docs/numerics.md). Every family is compiled
as a module of its own (key ``gpu_<family>``), so a kernel the GPU lowering
cannot compile fails only its own cases.

The references are written in torch from the op definitions (EinOps.td),
independently of the compiler, and run on the device the inputs are on:

* ``ref``: float64 throughout;
* ``naive``: the "same loops" of docs/numerics.md in the kernel's result
  dtype: every intermediate (scores, probabilities, means, dequantized
  weights, output) rounded to that dtype, sums accumulated in f32 one
  element at a time (not BLAS-blocked).

Compile and save every module for a GPU machine without the compiler:

    python python/tests/gpu_cases.py DIR [TARGET]     # TARGET: nvidia:sm_90a

then run the tests there with EINFUSE_TEST_PREBUILT=DIR (conftest's
build_module loads DIR/<key>). ``modules(target)`` gives {key: (source,
compile arguments)} in the form of kernels.KERNELS, for other scripts.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helpers  # noqa: E402

try:
    import torch
except ImportError:  # the MLIR and `modules()` do not need torch
    torch = None

DEFAULT_GPU_TARGET = "nvidia:sm_90a"
HALF = ("bf16", "f16")
EPS = 1e-5  # layer / RMS norm epsilon (an f32 constant in the kernels)

# ---------------------------------------------------------------------------
# MLIR text helpers
# ---------------------------------------------------------------------------


def T(dims, elem: str) -> str:
    """A tensor type; None is a dynamic dim."""
    return "tensor<" + "".join(("?" if d is None else str(d)) + "x" for d in dims) + elem + ">"


def region(args: Sequence[Tuple[str, str]], body: Sequence[str], result: str,
           out: str = "f32") -> str:
    """A custom map region computing in f32: block arguments `args` ((name,
    element type), one per operand); a half-float argument is extended to
    f32 under its name, others are used as they are; `body` lines compute
    `%result` (f32 unless `out` is an integer type), truncated to `out` when
    that is a half type."""
    decl = ", ".join(f"%{n}{'_h' if t in HALF else ''}: {t}" for n, t in args)
    lines = [f"^bb0({decl}):"]
    for n, t in args:
        if t in HALF:
            lines.append(f"  %{n} = arith.extf %{n}_h : {t} to f32")
    lines += ["  " + line for line in body]
    if out in HALF:
        lines.append(f"  %res_t = arith.truncf %{result} : f32 to {out}")
        result = "res_t"
    lines.append(f"  ein.yield %{result} : {out}")
    return "{\n" + "\n".join("    " + line for line in lines) + "\n    }"


def einsum(res: str, kind: str, operands: Sequence[Tuple[str, str, str]], out_ranks: str,
           result_type: str, reduce: str = "", init: str = "", body: str = "") -> str:
    """`%res = ein.einsum kind(%v[idx], ...) -> [out] reduce init {body} : (...) -> result`;
    operands are (ssa name, rank expressions, tensor type)."""
    ops = ", ".join(f"%{v}[{idx}]" for v, idx, _ in operands)
    types = ", ".join(t for _, _, t in operands)
    text = f"    %{res} = ein.einsum {kind}({ops}) -> [{out_ranks}]"
    if reduce:
        text += f" {reduce}"
    if init:
        text += f" init({init})"
    if body:
        text += f" {body}"
    return text + f"\n        : ({types}) -> {result_type}"


def cascade_func(name: str, args: Sequence[Tuple[str, str]], ranks: str, result_type: str,
                 lines: Sequence[str], result: str) -> str:
    params = ", ".join(f"%{n}: {t}" for n, t in args)
    return (f"func.func @{name}({params}) -> {result_type} {{\n"
            f"  %r = ein.cascade [{ranks}] -> ({result_type}) {{\n"
            + "\n".join(lines) + "\n"
            f"    ein.yield %{result} : {result_type}\n"
            f"  }}\n"
            f"  return %r : {result_type}\n"
            f"}}\n")


def _f32_literal(x: float) -> str:
    """An MLIR f32 literal of `x` rounded to f32 (exact hex)."""
    bits = int(np.array(x, dtype=np.float32).view(np.uint32))
    return f"0x{bits:08X}"


def f32(x: float) -> float:
    """`x` rounded to f32, as the kernels' constants hold it."""
    return float(np.float32(x))


def _extent_f32(rank: str, var: str) -> List[str]:
    return [f"%{var}_i = ein.extent \"{rank}\" : index",
            f"%{var}_l = arith.index_cast %{var}_i : index to i64",
            f"%{var} = arith.sitofp %{var}_l : i64 to f32"]


# ---------------------------------------------------------------------------
# Hand-written cascades
# ---------------------------------------------------------------------------


def softmax_src(name: str, dt: str) -> str:
    x_t, o_t = T((None, None), dt), T((None, None), dt)
    if dt == "f32":  # named maps only
        row, mat = T((None,), "f32"), T((None, None), "f32")
        lines = [
            einsum("gm", "copy", [("x", "n, c", x_t)], "n", row, "max[c]"),
            einsum("d", "sub", [("x", "n, c", x_t), ("gm", "n", row)], "n, c", mat),
            einsum("e", "exp", [("d", "n, c", mat)], "n, c", mat),
            einsum("s", "copy", [("e", "n, c", mat)], "n", row, "sum[c]"),
            einsum("o", "div", [("e", "n, c", mat), ("s", "n", row)], "n, c", mat),
        ]
        return cascade_func(name, [("x", x_t)], "n, c", o_t, lines, "o")
    row, mat = T((None,), "f32"), T((None, None), "f32")
    lines = [
        einsum("gm", "custom", [("x", "n, c", x_t)], "n", row, "max[c]",
               body=region([("xa", dt)], [], "xa")),
        einsum("e", "custom", [("x", "n, c", x_t), ("gm", "n", row)], "n, c", mat,
               body=region([("xa", dt), ("ma", "f32")],
                           ["%da = arith.subf %xa, %ma : f32", "%ea = math.exp %da : f32"], "ea")),
        einsum("s", "copy", [("e", "n, c", mat)], "n", row, "sum[c]"),
        einsum("o", "custom", [("e", "n, c", mat), ("s", "n", row)], "n, c", o_t,
               body=region([("ea", "f32"), ("sa", "f32")], ["%qa = arith.divf %ea, %sa : f32"],
                           "qa", dt)),
    ]
    return cascade_func(name, [("x", x_t)], "n, c", o_t, lines, "o")


def log_softmax_src(name: str, dt: str) -> str:
    x_t = T((None, None), dt)
    row = T((None,), "f32")
    lines = [
        einsum("gm", "custom", [("x", "n, c", x_t)], "n", row, "max[c]",
               body=region([("xa", dt)], [], "xa")),
        einsum("s", "custom", [("x", "n, c", x_t), ("gm", "n", row)], "n", row, "sum[c]",
               body=region([("xa", dt), ("ma", "f32")],
                           ["%da = arith.subf %xa, %ma : f32", "%ea = math.exp %da : f32"], "ea")),
        einsum("o", "custom", [("x", "n, c", x_t), ("gm", "n", row), ("s", "n", row)], "n, c", x_t,
               body=region([("xa", dt), ("ma", "f32"), ("sa", "f32")],
                           ["%da = arith.subf %xa, %ma : f32", "%la = math.log %sa : f32",
                            "%ya = arith.subf %da, %la : f32"], "ya", dt)),
    ]
    return cascade_func(name, [("x", x_t)], "n, c", x_t, lines, "o")


def cross_entropy_src(name: str, dt: str, target_ty: str) -> str:
    """loss[n] = logsumexp_c x[n, c] - x[n, t[n]], t an index tensor."""
    x_t, t_t = T((None, None), dt), T((None,), target_ty)
    row = T((None,), "f32")
    lines = [
        einsum("gm", "custom", [("x", "n, c", x_t)], "n", row, "max[c]",
               body=region([("xa", dt)], [], "xa")),
        einsum("se", "custom", [("x", "n, c", x_t), ("gm", "n", row)], "n", row, "sum[c]",
               body=region([("xa", dt), ("ma", "f32")],
                           ["%da = arith.subf %xa, %ma : f32", "%ea = math.exp %da : f32"], "ea")),
        einsum("tl", "custom", [("x", "n, c", x_t), ("t", "n", t_t)], "n", row, "sum[c]",
               body=region([("xa", dt), ("ta", target_ty)],
                           ["%ci = ein.index \"c\" : index",
                            f"%ti = arith.index_cast %ta : {target_ty} to index",
                            "%hit = arith.cmpi eq, %ci, %ti : index",
                            "%zero = arith.constant 0.0 : f32",
                            "%pick = arith.select %hit, %xa, %zero : f32"], "pick")),
        einsum("ce", "custom", [("gm", "n", row), ("se", "n", row), ("tl", "n", row)], "n", row,
               body=region([("ma", "f32"), ("sa", "f32"), ("la", "f32")],
                           ["%lse = math.log %sa : f32", "%lm = arith.addf %lse, %ma : f32",
                            "%lo = arith.subf %lm, %la : f32"], "lo")),
    ]
    return cascade_func(name, [("x", x_t), ("t", t_t)], "n, c", row, lines, "ce")


def layer_norm_src(name: str, dt: str) -> str:
    x_t, v_t = T((None, None), dt), T((None,), dt)
    row, mat = T((None,), "f32"), T((None, None), "f32")
    lines = [
        einsum("sum", "custom", [("x", "n, c", x_t)], "n", row, "sum[c]",
               body=region([("xa", dt)], [], "xa")),
        einsum("mu", "custom", [("sum", "n", row)], "n", row,
               body=region([("sa", "f32")], _extent_f32("c", "cf") + ["%ma = arith.divf %sa, %cf : f32"],
                           "ma")),
        einsum("d", "custom", [("x", "n, c", x_t), ("mu", "n", row)], "n, c", mat,
               body=region([("xa", dt), ("ma", "f32")], ["%da = arith.subf %xa, %ma : f32"], "da")),
        einsum("ss", "custom", [("d", "n, c", mat)], "n", row, "sum[c]",
               body=region([("da", "f32")], ["%qa = arith.mulf %da, %da : f32"], "qa")),
        einsum("rs", "custom", [("ss", "n", row)], "n", row,
               body=region([("sa", "f32")], _extent_f32("c", "cf") + [
                   "%va = arith.divf %sa, %cf : f32",
                   f"%eps = arith.constant {_f32_literal(EPS)} : f32",
                   "%ve = arith.addf %va, %eps : f32",
                   "%ia = math.rsqrt %ve : f32"], "ia")),
        einsum("y", "custom", [("d", "n, c", mat), ("rs", "n", row), ("g", "c", v_t), ("b", "c", v_t)],
               "n, c", x_t,
               body=region([("da", "f32"), ("ia", "f32"), ("ga", dt), ("ba", dt)],
                           ["%ta = arith.mulf %da, %ia : f32", "%ua = arith.mulf %ta, %ga : f32",
                            "%oa = arith.addf %ua, %ba : f32"], "oa", dt)),
    ]
    return cascade_func(name, [("x", x_t), ("g", v_t), ("b", v_t)], "n, c", x_t, lines, "y")


def _rms_lines(dt: str, x_t: str, red: str) -> List[str]:
    row = T((None,), "f32")
    return [
        einsum("ss", "custom", [("x", f"n, {red}", x_t)], "n", row, f"sum[{red}]",
               body=region([("xa", dt)], ["%qa = arith.mulf %xa, %xa : f32"], "qa")),
        einsum("rs", "custom", [("ss", "n", row)], "n", row,
               body=region([("sa", "f32")], _extent_f32(red, "cf") + [
                   "%va = arith.divf %sa, %cf : f32",
                   f"%eps = arith.constant {_f32_literal(EPS)} : f32",
                   "%ve = arith.addf %va, %eps : f32",
                   "%ia = math.rsqrt %ve : f32"], "ia")),
    ]


def rms_norm_src(name: str, dt: str) -> str:
    x_t, v_t = T((None, None), dt), T((None,), dt)
    row = T((None,), "f32")
    lines = _rms_lines(dt, x_t, "c") + [
        einsum("y", "custom", [("x", "n, c", x_t), ("rs", "n", row), ("g", "c", v_t)], "n, c", x_t,
               body=region([("xa", dt), ("ia", "f32"), ("ga", dt)],
                           ["%ta = arith.mulf %xa, %ia : f32", "%ua = arith.mulf %ta, %ga : f32"],
                           "ua", dt)),
    ]
    return cascade_func(name, [("x", x_t), ("g", v_t)], "n, c", x_t, lines, "y")


def rms_matmul_src(name: str, dt: str, k: Optional[int]) -> str:
    """out[n, k] = sum over d of (x[n, d] * rsqrt(mean_d x^2 + eps) * g[d]) * w[d, k]."""
    x_t, g_t, w_t = T((None, None), dt), T((None,), dt), T((None, k), dt)
    o_t = T((None, k), dt)
    row, mat, acc = T((None,), "f32"), T((None, None), "f32"), T((None, k), "f32")
    lines = _rms_lines(dt, x_t, "d") + [
        einsum("xn", "custom", [("x", "n, d", x_t), ("rs", "n", row), ("g", "d", g_t)], "n, d", mat,
               body=region([("xa", dt), ("ia", "f32"), ("ga", dt)],
                           ["%ta = arith.mulf %xa, %ia : f32", "%ua = arith.mulf %ta, %ga : f32"],
                           "ua")),
    ]
    if dt == "f32":
        lines.append(einsum("o", "mul", [("xn", "n, d", mat), ("w", "d, k", w_t)], "n, k", o_t,
                            "sum[d]"))
    else:
        lines.append(einsum("acc", "custom", [("xn", "n, d", mat), ("w", "d, k", w_t)], "n, k", acc,
                            "sum[d]",
                            body=region([("na", "f32"), ("wa", dt)],
                                        ["%pa = arith.mulf %na, %wa : f32"], "pa")))
        lines.append(einsum("o", "cast", [("acc", "n, k", acc)], "n, k", o_t))
    return cascade_func(name, [("x", x_t), ("g", g_t), ("w", w_t)], "n, d, k", o_t, lines, "o")


def matmul_epilogue_src(name: str, dt: str, alpha: float) -> str:
    """out[m, n] = alpha * sum over k of x[m, k] w[n, k] + bias[n]: the
    weights stored [N, K] (as nn.Linear), every size dynamic, the scale and
    bias an epilogue map on the f32 sum."""
    x_t, w_t, b_t, o_t = T((None, None), dt), T((None, None), dt), T((None,), dt), T((None, None), dt)
    acc = T((None, None), "f32")
    lines = [
        einsum("acc", "custom", [("x", "m, k", x_t), ("w", "n, k", w_t)], "m, n", acc, "sum[k]",
               body=region([("xa", dt), ("wa", dt)], ["%pa = arith.mulf %xa, %wa : f32"], "pa")),
        einsum("o", "custom", [("acc", "m, n", acc), ("bias", "n", b_t)], "m, n", o_t,
               body=region([("aa", "f32"), ("ba", dt)],
                           [f"%al = arith.constant {_f32_literal(alpha)} : f32",
                            "%sa = arith.mulf %aa, %al : f32", "%ya = arith.addf %sa, %ba : f32"],
                           "ya", out=dt)),
    ]
    return cascade_func(name, [("x", x_t), ("w", w_t), ("bias", b_t)], "m, n, k", o_t, lines, "o")


def bmm_src(name: str, dt: str, out: str) -> str:
    """out[b, m, n] = sum over k of x[b, m, k] y[b, k, n] (both operands in
    their row-major layouts), the f32 sum stored as `out`."""
    x_t, y_t, o_t = T((None, None, None), dt), T((None, None, None), dt), T((None, None, None), out)
    if out == "f32":
        lines = [einsum("o", "custom", [("x", "b, m, k", x_t), ("y", "b, k, n", y_t)], "b, m, n",
                        o_t, "sum[k]",
                        body=region([("xa", dt), ("ya", dt)], ["%pa = arith.mulf %xa, %ya : f32"],
                                    "pa"))]
    else:
        acc = T((None, None, None), "f32")
        lines = [einsum("acc", "custom", [("x", "b, m, k", x_t), ("y", "b, k, n", y_t)], "b, m, n",
                        acc, "sum[k]",
                        body=region([("xa", dt), ("ya", dt)], ["%pa = arith.mulf %xa, %ya : f32"],
                                    "pa")),
                 einsum("o", "cast", [("acc", "b, m, n", acc)], "b, m, n", o_t)]
    return cascade_func(name, [("x", x_t), ("y", y_t)], "b, m, n, k", o_t, lines, "o")


def sigmoid_attention_src(name: str, dt: str, heads: int, d: int, scale: float) -> str:
    """out[b,h,p,f] = sum over m of sigmoid(scale * q.k) * v: no barrier."""
    q_t = T((None, heads, None, d), dt)
    k_t = T((None, heads, None, d), dt)
    s_t = T((None, heads, None, None), "f32")
    a_t = T((None, heads, None, d), "f32")
    lines = [
        einsum("s", "custom", [("q", "b, h, p, e", q_t), ("k", "b, h, m, e", k_t)], "b, h, p, m", s_t,
               "sum[e]", body=region([("qa", dt), ("ka", dt)], ["%pa = arith.mulf %qa, %ka : f32"], "pa")),
        einsum("acc", "custom", [("s", "b, h, p, m", s_t), ("v", "b, h, m, f", k_t)], "b, h, p, f",
               a_t, "sum[m]",
               body=region([("sa", "f32"), ("va", dt)], [
                   f"%sc = arith.constant {_f32_literal(scale)} : f32",
                   "%za = arith.mulf %sa, %sc : f32",
                   "%na = arith.negf %za : f32",
                   "%ea = math.exp %na : f32",
                   "%one = arith.constant 1.0 : f32",
                   "%da = arith.addf %ea, %one : f32",
                   "%ga = arith.divf %one, %da : f32",
                   "%wa = arith.mulf %ga, %va : f32"], "wa")),
    ]
    if dt == "f32":
        out = "acc"
    else:
        lines.append(einsum("o", "cast", [("acc", "b, h, p, f", a_t)], "b, h, p, f", q_t))
        out = "o"
    return cascade_func(name, [("q", q_t), ("k", k_t), ("v", k_t)], "b, h, p, m, e, f", q_t, lines,
                        out)


def gqa_attention_src(name: str, dt: str, hq: int, hkv: int, d: int, scale: float,
                      causal: bool) -> str:
    """Softmax attention with query head h reading key/value head h floordiv G."""
    g = hq // hkv
    q_t, k_t = T((None, hq, None, d), dt), T((None, hkv, None, d), dt)
    s_t = T((None, hq, None, None), "f32")
    r_t = T((None, hq, None), "f32")
    a_t = T((None, hq, None, d), "f32")
    body = [f"%sc = arith.constant {_f32_literal(scale)} : f32", "%za = arith.mulf %sa, %sc : f32"]
    if causal:
        body += ["%pi = ein.index \"p\" : index", "%mi = ein.index \"m\" : index",
                 "%keep = arith.cmpi ule, %mi, %pi : index",
                 "%ninf = arith.constant 0xFF800000 : f32",
                 "%ya = arith.select %keep, %za, %ninf : f32"]
        res = "ya"
    else:
        res = "za"
    lines = [
        einsum("qk", "custom", [("q", "b, h, p, e", q_t), ("k", f"b, h floordiv {g}, m, e", k_t)],
               "b, h, p, m", s_t, "sum[e]",
               body=region([("qa", dt), ("ka", dt)], ["%pa = arith.mulf %qa, %ka : f32"], "pa")),
        einsum("s", "custom", [("qk", "b, h, p, m", s_t)], "b, h, p, m", s_t,
               body=region([("sa", "f32")], body, res)),
        einsum("gm", "copy", [("s", "b, h, p, m", s_t)], "b, h, p", r_t, "max[m]"),
        einsum("sn", "custom", [("s", "b, h, p, m", s_t), ("gm", "b, h, p", r_t)], "b, h, p, m", s_t,
               body=region([("sa", "f32"), ("ma", "f32")],
                           ["%da = arith.subf %sa, %ma : f32", "%ea = math.exp %da : f32"], "ea")),
        einsum("sd", "copy", [("sn", "b, h, p, m", s_t)], "b, h, p", r_t, "sum[m]"),
        einsum("a", "div", [("sn", "b, h, p, m", s_t), ("sd", "b, h, p", r_t)], "b, h, p, m", s_t),
        einsum("av", "custom", [("a", "b, h, p, m", s_t), ("v", f"b, h floordiv {g}, m, f", k_t)],
               "b, h, p, f", a_t if dt != "f32" else q_t, "sum[m]",
               body=region([("pa", "f32"), ("va", dt)], ["%wa = arith.mulf %pa, %va : f32"], "wa")),
    ]
    out = "av"
    if dt != "f32":
        lines.append(einsum("o", "cast", [("av", "b, h, p, f", a_t)], "b, h, p, f", q_t))
        out = "o"
    return cascade_func(name, [("q", q_t), ("k", k_t), ("v", k_t)], "b, h, p, m, e, f", q_t, lines,
                        out)


# ---------------------------------------------------------------------------
# Named ops
# ---------------------------------------------------------------------------


def attention_src(name: str, *, dt: str, hq: int, hkv: int, d: int, dv: Optional[int] = None,
                  causal=False, window=None, align=None, scale=None, softcap=None,
                  mask=None, mask_per_head=False) -> str:
    from einfuse import ops  # the builder writes the same ein.attention text
    return ops.attention(name, heads=hq, kv_heads=hkv, head_dim=d, value_head_dim=dv, dtype=dt,
                         causal=causal, window=window, align=align, scale=scale, softcap=softcap,
                         mask=mask, mask_per_head=mask_per_head).text


def qmatmul_src(name: str, *, x_ty: str, kind: str, n: int, k: int, group: int, zp: bool,
                scale_ty: str, out_ty: str) -> str:
    """ein.qmatmul with M dynamic (written by hand: ops.qmatmul has no i8 or
    fp8 activations)."""
    w_t = T((n, k // 2), "i8") if kind in ("int4", "uint4") else (
        T((n, k), "i8") if kind == "int8" else T((n, k), "f8E4M3FN"))
    x_t, s_t, o_t = T((None, k), x_ty), T((n, k // group), scale_ty), T((None, n), out_ty)
    args = [("x", x_t), ("w", w_t), ("scales", s_t)] + ([("zero_points", s_t)] if zp else [])
    params = ", ".join(f"%{a}: {t}" for a, t in args)
    fmt = f"#ein.qformat<kind = {kind}, group_size = {group}" + (", zero_point = true>" if zp else ">")
    types = ", ".join(t for _, t in args)
    return (f"func.func @{name}({params}) -> {o_t} {{\n"
            f"  %out = ein.qmatmul %x, %w scales(%scales)"
            + (" zero_points(%zero_points)" if zp else "")
            + f" format({fmt}) : {types} -> {o_t}\n"
            f"  return %out : {o_t}\n}}\n")


# ---------------------------------------------------------------------------
# Numerics helpers (torch)
# ---------------------------------------------------------------------------

TORCH_DT = {"f32": "float32", "bf16": "bfloat16", "f16": "float16", "f64": "float64"}


def tdt(name: str):
    return getattr(torch, TORCH_DT[name])


def seqsum(x, dim: int, dt):
    """Sum along `dim`, accumulated in f32 one element at a time (float64:
    torch's sum), rounded to `dt`."""
    if dt == torch.float64:
        return x.double().sum(dim)
    x = x.float()
    acc = torch.zeros_like(x.select(dim, 0)) if x.shape[dim] else x.sum(dim)
    for j in range(x.shape[dim]):
        acc = acc + x.select(dim, j)
    return acc.to(dt)


def mm(a, b, dt):
    """a[..., p, k] @ b[..., k, n]: float64 with torch, else the products
    summed in f32 over k in order, rounded to `dt`."""
    if dt == torch.float64:
        return torch.matmul(a.double(), b.double())
    a, b = a.float(), b.float()
    shape = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    acc = torch.zeros(shape, dtype=torch.float32, device=a.device)
    for j in range(a.shape[-1]):
        acc = acc + a[..., :, j:j + 1] * b[..., j:j + 1, :]
    return acc.to(dt)


def rnd(x, dt):
    """An intermediate rounded to the naive dtype (float64: unchanged)."""
    return x.to(dt)


def check(out, ref, naive, floor: float, what: str = "") -> Tuple[float, float]:
    """The numerics contract, per element: |out - ref64| <= 2 max|naive -
    ref64| + floor; NaN/Inf where the reference is finite fails. Returns
    (max error, bound)."""
    out, ref, naive = out.double(), ref.double(), naive.double()
    assert tuple(out.shape) == tuple(ref.shape), (what, tuple(out.shape), tuple(ref.shape))
    assert torch.isfinite(ref).all(), f"{what}: the reference itself is not finite"
    bad = ~torch.isfinite(out)
    assert not bad.any(), (f"{what}: {int(bad.sum())} non-finite element(s) where the reference "
                           f"is finite, first at {tuple(bad.nonzero()[0].tolist())}")
    if ref.numel() == 0:
        return 0.0, floor
    naive_err = float((naive - ref).abs().max())
    diff = (out - ref).abs()
    err = float(diff.max())
    bound = 2 * naive_err + floor
    if not err <= bound:
        where = tuple(int(i) for i in np.unravel_index(int(diff.argmax()), tuple(diff.shape)))
        raise AssertionError(
            f"{what}: max error {err:.3e} > bound {bound:.3e} (naive {naive_err:.3e}, floor "
            f"{floor:g}) at {where}: out {float(out[where]):.6g}, ref {float(ref[where]):.6g}; "
            f"{int((diff > bound).sum())} of {diff.numel()} elements over")
    return err, bound


# ---------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------


@dataclass
class Case:
    family: str
    index: int
    dims: Dict[str, int]
    seed: int
    exact: bool = False

    @property
    def id(self) -> str:
        tag = "-".join(f"{k}{v}" for k, v in self.dims.items())
        return f"{self.family}-{self.index:02d}-{tag}" + ("-exact" if self.exact else "")


@dataclass
class Family:
    name: str                      # kernel function name; module key gpu_<name>
    group: str                     # "cascade", "attention" or "qmatmul"
    source: str                    # MLIR of the kernel function
    shapes: Callable               # (rng, index, large) -> (dims, exact)
    inputs: Callable               # (case, generator) -> list of CPU tensors
    outputs: Callable              # (case) -> list of (shape, torch dtype)
    ref: Callable                  # (inputs, case, dt) -> list of tensors in dt
    out_dt: str                    # naive dtype: the kernel's result dtype
    floor: float
    cases: int = 8
    # (inputs, case) -> [bool tensor per output of elements that must be 0
    # exactly] (fully masked attention rows), or None.
    zero_rows: Optional[Callable] = None
    notes: str = ""
    # The dtype float32 tensors of `inputs` are rounded to (the kernel's
    # float inputs); None: `inputs` gives the kernel's dtypes already.
    in_dt: Optional[str] = None

    @property
    def key(self) -> str:
        return "gpu_" + self.name

    def make_cases(self, large: bool) -> List[Case]:
        rng = np.random.default_rng(_stable_seed(self.name))
        out = []
        for i in range(self.cases):
            dims, exact = self.shapes(rng, i, large)
            out.append(Case(self.name, i, dims, _stable_seed(self.name) * 1000 + i, exact))
        return out

    def make_inputs(self, case, device="cpu"):
        """The inputs of `case` (from its seed), in the kernel's dtypes."""
        gen = torch.Generator().manual_seed(case.seed)
        tensors = self.inputs(case, gen)
        if self.in_dt is not None:
            tensors = [t.to(tdt(self.in_dt)) if t.dtype == torch.float32 else t for t in tensors]
        return [t.to(device) for t in tensors]

    def naive(self, inputs, case):
        return self.ref(inputs, case, tdt(self.out_dt))

    def reference(self, inputs, case):
        return self.ref(inputs, case, torch.float64)


def _stable_seed(text: str) -> int:
    h = 0
    for ch in text:
        h = (h * 131 + ord(ch)) % 1_000_003
    return h


# Size pools: 1, primes, tile sizes +- 1, S_q != S_k; `large` (GPU) adds
# sizes past the larger tiles.
SIZES = [1, 2, 3, 5, 7, 13, 17, 31, 63, 64, 65, 127, 128, 129]
SIZES_LARGE = [255, 257, 509, 1031]
COLS = [1, 2, 3, 7, 17, 63, 64, 65, 127, 128, 129, 255, 257, 1000]
COLS_LARGE = [2048, 4099]
# Long rows of row-wise cascades: past their block (256 lanes x 8) and
# their tile of 8192 (several tiles, a partial last one).
ROW_COLS_LARGE = COLS_LARGE + [8192, 20011]
ROWS = [1, 2, 3, 5, 7, 13, 31, 63, 64, 65, 127, 129]
ROWS_LARGE = [255, 1024, 4097]


def _pick(rng, pool, large_pool, large, p_large=0.25):
    if large and rng.random() < p_large:
        return int(rng.choice(large_pool))
    return int(rng.choice(pool))


def _randn(gen, shape, scale=1.0):
    return torch.randn(*shape, generator=gen) * scale


# -- row-wise cascades --------------------------------------------------------

ROW_EDGES = [(1, 1), (1, 129), (63, 64), (65, 127), (2, 257), (7, 65)]


def _rows_shapes(rng, i, large):
    if i < len(ROW_EDGES):
        n, c = ROW_EDGES[i]
    elif large and i == len(ROW_EDGES):  # long rows (many tiles) on the GPU
        n, c = _pick(rng, ROWS, ROWS_LARGE, large), int(rng.choice(ROW_COLS_LARGE))
    else:
        n, c = _pick(rng, ROWS, ROWS_LARGE, large), _pick(rng, COLS, ROW_COLS_LARGE, large)
    if c > 4099:
        n = min(n, 65)  # keeps the float64 reference small
    return {"n": n, "c": c}, False


def _softmax_ref(inputs, case, dt):
    x = inputs[0]
    m = x.to(dt).amax(-1, keepdim=True)
    e = rnd(torch.exp(rnd(x.to(dt) - m, dt)), dt)
    s = seqsum(e, -1, dt).unsqueeze(-1)
    return [rnd(e / s, dt)]


def _log_softmax_ref(inputs, case, dt):
    x = inputs[0].to(dt)
    m = x.amax(-1, keepdim=True)
    d = rnd(x - m, dt)
    s = seqsum(rnd(torch.exp(d), dt), -1, dt).unsqueeze(-1)
    return [rnd(d - rnd(torch.log(s), dt), dt)]


def _ce_ref(inputs, case, dt):
    x, t = inputs[0].to(dt), inputs[1].long()
    m = x.amax(-1)
    s = seqsum(rnd(torch.exp(rnd(x - m[:, None], dt)), dt), -1, dt)
    picked = x.gather(1, t[:, None])[:, 0]
    return [rnd(rnd(rnd(torch.log(s), dt) + m, dt) - picked, dt)]


def _layer_norm_ref(inputs, case, dt):
    x, g, b = (t.to(dt) for t in inputs)
    c = x.shape[-1]
    mu = rnd(seqsum(x, -1, dt) / c, dt)[:, None]
    d = rnd(x - mu, dt)
    var = rnd(seqsum(rnd(d * d, dt), -1, dt) / c, dt)[:, None]
    r = rnd(torch.rsqrt(rnd(var + f32(EPS), dt)), dt)
    return [rnd(rnd(rnd(d * r, dt) * g, dt) + b, dt)]


def _rms(x, dt):
    c = x.shape[-1]
    ms = rnd(seqsum(rnd(x * x, dt), -1, dt) / c, dt)[:, None]
    return rnd(torch.rsqrt(rnd(ms + f32(EPS), dt)), dt)


def _rms_norm_ref(inputs, case, dt):
    x, g = (t.to(dt) for t in inputs)
    return [rnd(rnd(x * _rms(x, dt), dt) * g, dt)]


def _rms_matmul_ref(inputs, case, dt):
    x, g, w = (t.to(dt) for t in inputs)
    xn = rnd(rnd(x * _rms(x, dt), dt) * g, dt)
    return [mm(xn, w, dt)]


def _row_inputs(scale=2.0):
    def make(case, gen):
        return [_randn(gen, (case.dims["n"], case.dims["c"]), scale)]
    return make


def _ce_inputs(case, gen, target_dtype):
    n, c = case.dims["n"], case.dims["c"]
    x = _randn(gen, (n, c), 3.0)
    t = torch.randint(0, c, (n,), generator=gen).to(target_dtype)
    return [x, t]


def _norm_inputs(with_bias):
    def make(case, gen):
        n, c = case.dims["n"], case.dims["c"]
        # Rows with a large mean against their spread (the Welford form's
        # hard case) and ordinary ones.
        x = _randn(gen, (n, c), 2.0) + _randn(gen, (n, 1), 8.0)
        out = [x, 1.0 + _randn(gen, (c,), 0.5)]
        if with_bias:
            out.append(_randn(gen, (c,), 0.5))
        return out
    return make


MATMUL_EDGES = [(1, 1, 1), (1, 64, 65), (63, 127, 129), (2, 129, 1), (65, 17, 64), (13, 255, 31)]


def _rms_matmul_shapes(k_static):
    def shapes(rng, i, large):
        if i < len(MATMUL_EDGES):
            n, d, k = MATMUL_EDGES[i]
        elif large and i == len(MATMUL_EDGES):
            n, d, k = int(rng.choice(ROWS_LARGE)), int(rng.choice(COLS_LARGE)), 257
        else:
            n = _pick(rng, ROWS, ROWS_LARGE, large)
            d = _pick(rng, COLS, COLS_LARGE, large)
            k = _pick(rng, SIZES, SIZES_LARGE, large)
        if k_static is not None:
            k = k_static
        return {"n": n, "d": d, "k": k}, False
    return shapes


def _rms_matmul_inputs(case, gen):
    n, d, k = case.dims["n"], case.dims["d"], case.dims["k"]
    return [_randn(gen, (n, d), 2.0), 1.0 + _randn(gen, (d,), 0.5),
            _randn(gen, (d, k), 1.0 / math.sqrt(max(d, 1)))]


# (m, n, k): ones, tile edges (16 +/- 1), K not a multiple of the
# instruction's 16, N not a multiple of its 8; M or N at small_m (8: the
# lanes' kernel) and just above it (9: the matrix one).
MM_EDGES = [(1, 1, 1), (1, 17, 7), (16, 16, 16), (17, 15, 33), (33, 65, 100), (64, 8, 1),
            (5, 129, 64), (8, 40, 24), (9, 40, 24), (40, 8, 24)]


def _mm_shapes(batched: bool):
    def shapes(rng, i, large):
        if i < len(MM_EDGES):
            m, n, k = MM_EDGES[i]
        else:
            m, n, k = (_pick(rng, SIZES, SIZES_LARGE, large) for _ in range(3))
        dims = {"m": m, "n": n, "k": k}
        if batched:
            dims["b"] = int(rng.choice([1, 2, 3]))
        # Every third case on small integers: the f32 sums are exact.
        return dims, i % 3 == 2
    return shapes


def _mm_inputs(batched: bool, bias: bool):
    def make(case, gen):
        m, n, k = case.dims["m"], case.dims["n"], case.dims["k"]
        b = (case.dims["b"],) if batched else ()
        if case.exact:
            rand = lambda *shape: torch.randint(-3, 4, shape, generator=gen).float()  # noqa: E731
        else:
            rand = lambda *shape: _randn(gen, shape, 1.0 / math.sqrt(max(k, 1)) ** 0.5)  # noqa: E731
        out = [rand(*b, m, k), rand(*b, k, n) if batched else rand(n, k)]
        if bias:
            out.append(rand(n))
        return out
    return make


def _mm_epilogue_ref(alpha):
    def ref(inputs, case, dt):
        x, w, bias = (t.to(dt) for t in inputs)
        acc = mm(x, w.t(), dt)
        return [rnd(rnd(acc * alpha, dt) + bias, dt)]
    return ref


def _bmm_ref(inputs, case, dt):
    x, y = inputs
    return [mm(x, y, dt)]


# -- attention-like cascades and ein.attention --------------------------------

ATTN_EDGES = [(1, 1, 1), (2, 65, 63), (1, 127, 129), (3, 13, 64), (1, 129, 17), (1, 64, 64)]


def _attn_shapes(budget):
    """(b, sq, sk); `budget` bounds b * sq * sk on the CPU."""
    def shapes(rng, i, large):
        if i < len(ATTN_EDGES):
            b, sq, sk = ATTN_EDGES[i]
        elif large and i == len(ATTN_EDGES):  # many key tiles on the GPU
            b, sq, sk = 2, _pick(rng, SIZES, SIZES_LARGE, large), int(rng.choice(SIZES_LARGE))
        else:
            while True:
                b = int(rng.choice([1, 2, 3]))
                sq = _pick(rng, SIZES, SIZES_LARGE, large)
                sk = _pick(rng, SIZES, SIZES_LARGE, large)
                if large or b * sq * sk <= budget:
                    break
        return {"b": b, "sq": sq, "sk": sk}, False
    return shapes


def visible(sq, sk, causal=False, window=None, bottom_right=False, device="cpu"):
    """[Sq, Sk] bool on `device`: key m visible from query p (ein.attention's
    rule, helpers.visible)."""
    return torch.from_numpy(helpers.visible(sq, sk, causal, window, bottom_right)).to(device)


def attention_math(q, k, v, dt, *, scale, causal=False, window=None, bottom_right=False,
                   softcap=None, keep=None, bias=None):
    """Softmax attention with every intermediate in `dt` (float64: the
    reference); fully masked rows give 0."""
    hq, hkv = q.shape[1], k.shape[1]
    k = k.repeat_interleave(hq // hkv, dim=1)
    v = v.repeat_interleave(hq // hkv, dim=1)
    s = mm(q, k.transpose(-1, -2), dt)
    s = rnd(s * scale, dt)
    if softcap is not None:
        s = rnd(softcap * rnd(torch.tanh(rnd(s / softcap, dt)), dt), dt)
    if bias is not None:
        s = rnd(s + bias.to(dt), dt)
    mask = visible(q.shape[2], k.shape[2], causal, window, bottom_right, q.device)
    if keep is not None:
        mask = mask & keep
    s = s.masked_fill(~mask, float("-inf"))
    row_max = s.amax(-1, keepdim=True)
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))
    p = rnd(torch.exp(rnd(s - row_max, dt)), dt)
    total = seqsum(p, -1, dt).unsqueeze(-1)
    p = rnd(p / torch.where(total == 0, torch.ones_like(total), total), dt)
    return mm(p, v, dt)


def _qkv_inputs(hq, hkv, d, dv):
    def make(case, gen):
        b, sq, sk = case.dims["b"], case.dims["sq"], case.dims["sk"]
        return [_randn(gen, (b, hq, sq, d)), _randn(gen, (b, hkv, sk, d)),
                _randn(gen, (b, hkv, sk, dv))]
    return make


def _sigmoid_ref(scale):
    def ref(inputs, case, dt):
        q, k, v = inputs
        s = rnd(mm(q, k.transpose(-1, -2), dt) * scale, dt)
        g = rnd(torch.sigmoid(s), dt)
        return [mm(g, v, dt)]
    return ref


ATTN_FLOOR = 1e-3     # f16/bf16 attention (docs/numerics.md)
F32_ATTN_FLOOR = 1e-6  # f32 attention / softmax
NORM_FLOOR = 1e-5     # f32 layer norm, RMS norm (+ matmul), qmatmul, cross-entropy
HALF_OUT_FLOOR = 1e-3  # bf16 outputs of row-wise cascades (softmax, norms)
HALF_MM_FLOOR = 1e-2   # f16/bf16 matmul-like outputs (qmatmul, RMS norm + matmul)


def _cascade_families() -> List[Family]:
    fams = []

    def same_shape(dt):
        return lambda case: [((case.dims["n"], case.dims["c"]), tdt(dt))]

    for dt, floor in (("f32", F32_ATTN_FLOOR), ("bf16", HALF_OUT_FLOOR)):
        fams.append(Family(f"softmax_{dt}", "cascade", softmax_src(f"softmax_{dt}", dt),
                           _rows_shapes, _row_inputs(4.0), same_shape(dt), _softmax_ref, dt,
                           floor, in_dt=dt))
        fams.append(Family(f"log_softmax_{dt}", "cascade", log_softmax_src(f"log_softmax_{dt}", dt),
                           _rows_shapes, _row_inputs(4.0), same_shape(dt), _log_softmax_ref, dt,
                           NORM_FLOOR if dt == "f32" else HALF_OUT_FLOOR, in_dt=dt))
    for dt, tty, torch_t in (("f32", "i64", "int64"), ("bf16", "i32", "int32")):
        fams.append(Family(
            f"cross_entropy_{dt}", "cascade", cross_entropy_src(f"cross_entropy_{dt}", dt, tty),
            _rows_shapes, lambda case, gen, _t=torch_t: _ce_inputs(case, gen, getattr(torch, _t)),
            lambda case: [((case.dims["n"],), torch.float32)], _ce_ref, "f32", NORM_FLOOR,
            notes=f"targets: an {tty} index tensor; f32 loss", in_dt=dt))
    for dt in ("f32", "bf16"):
        floor = NORM_FLOOR if dt == "f32" else HALF_OUT_FLOOR
        fams.append(Family(f"layer_norm_{dt}", "cascade", layer_norm_src(f"layer_norm_{dt}", dt),
                           _rows_shapes, _norm_inputs(True), same_shape(dt), _layer_norm_ref, dt,
                           floor, in_dt=dt))
        fams.append(Family(f"rms_norm_{dt}", "cascade", rms_norm_src(f"rms_norm_{dt}", dt),
                           _rows_shapes, _norm_inputs(False), same_shape(dt), _rms_norm_ref, dt,
                           floor, in_dt=dt))
    # RMS norm + matmul: f32 with d and k dynamic, bf16 with k = 96 static.
    for dt, k in (("f32", None), ("bf16", 96)):
        fams.append(Family(
            f"rms_matmul_{dt}", "cascade", rms_matmul_src(f"rms_matmul_{dt}", dt, k),
            _rms_matmul_shapes(k), _rms_matmul_inputs,
            lambda case, _dt=dt: [((case.dims["n"], case.dims["k"]), tdt(_dt))],
            _rms_matmul_ref, dt, NORM_FLOOR if dt == "f32" else HALF_MM_FLOOR, in_dt=dt))
    # Matrix products on the matrix instructions (einfuse-gpu-matrix-ops):
    # an epilogue with a bias, every size dynamic; batched, with the f32 sum
    # cast or stored as it is.
    for dt, alpha in (("bf16", 0.5), ("f16", 1.25)):
        fams.append(Family(
            f"matmul_bias_{dt}", "cascade", matmul_epilogue_src(f"matmul_bias_{dt}", dt, alpha),
            _mm_shapes(False), _mm_inputs(False, True),
            lambda case, _dt=dt: [((case.dims["m"], case.dims["n"]), tdt(_dt))],
            _mm_epilogue_ref(alpha), dt, HALF_MM_FLOOR, cases=12, in_dt=dt,
            notes="w [N, K], alpha * x w^T + bias"))
    for dt, out in (("bf16", "bf16"), ("f16", "f32")):
        fams.append(Family(
            f"bmm_{dt}_{out}", "cascade", bmm_src(f"bmm_{dt}_{out}", dt, out),
            _mm_shapes(True), _mm_inputs(True, False),
            lambda case, _o=out: [((case.dims["b"], case.dims["m"], case.dims["n"]), tdt(_o))],
            _bmm_ref, out, HALF_MM_FLOOR if out != "f32" else NORM_FLOOR, cases=12, in_dt=dt,
            notes=f"x [B, M, K] y [B, K, N], {out} result"))
    # Sigmoid attention (no barrier).
    for dt, h, d, scale in (("f32", 3, 32, 0.25), ("bf16", 4, 64, 0.125)):
        fams.append(Family(
            f"sigmoid_attn_{dt}", "cascade", sigmoid_attention_src(f"sigmoid_attn_{dt}", dt, h, d, scale),
            _attn_shapes(20000), _qkv_inputs(h, h, d, d),
            lambda case, _h=h, _d=d, _dt=dt: [((case.dims["b"], _h, case.dims["sq"], _d), tdt(_dt))],
            _sigmoid_ref(scale), dt, NORM_FLOOR if dt == "f32" else ATTN_FLOOR, in_dt=dt))
    # Hand-written GQA softmax attention (h floordiv G).
    for dt, hq, hkv, d, scale, causal in (("f32", 6, 2, 32, 0.25, False),
                                          ("bf16", 8, 2, 128, 0.0625, True)):
        def ref(inputs, case, ndt, _s=scale, _c=causal):
            q, k, v = inputs
            return [attention_math(q, k, v, ndt, scale=_s, causal=_c)]
        fams.append(Family(
            f"gqa_attn_{dt}", "cascade", gqa_attention_src(f"gqa_attn_{dt}", dt, hq, hkv, d, scale, causal),
            _attn_shapes(20000), _qkv_inputs(hq, hkv, d, d),
            lambda case, _h=hq, _d=d, _dt=dt: [((case.dims["b"], _h, case.dims["sq"], _d), tdt(_dt))],
            ref, dt, F32_ATTN_FLOOR if dt == "f32" else ATTN_FLOOR,
            notes=f"G = {hq // hkv}" + (", causal (top-left) by ein.index" if causal else ""),
            in_dt=dt))
    return fams


# -- ein.attention variants ----------------------------------------------------

ATTENTION_VARIANTS = [
    # name, dtype, Hq, Hkv, D, Dv, options
    ("attn_causal_tl_bf16_d128", "bf16", 8, 2, 128, None, dict(causal=True)),
    ("attn_causal_br_bf16_d64", "bf16", 4, 4, 64, None, dict(causal=True, align="bottom_right")),
    ("attn_causal_br_f16_d128", "f16", 4, 2, 128, None, dict(causal=True, align="bottom_right")),
    ("attn_window_bf16_d64", "bf16", 4, 4, 64, None, dict(window=(16, 0))),
    ("attn_window_br_f16_d64", "f16", 2, 1, 64, None, dict(window=(5, 7), align="bottom_right")),
    ("attn_mqa_f16_d128", "f16", 8, 1, 128, None, {}),
    ("attn_gqa_bf16_d64", "bf16", 6, 2, 64, None, {}),
    ("attn_mask_bool_bf16_d64", "bf16", 2, 2, 64, None, dict(mask="bool")),
    ("attn_mask_bool_bhsk_f16_d64", "f16", 4, 2, 64, None, dict(mask="bool", mask_per_head=True)),
    ("attn_bias_bf16_d64", "bf16", 2, 1, 64, None, dict(mask="bias")),
    ("attn_bias_bhsk_bf16_d128", "bf16", 4, 2, 128, None, dict(mask="bias", mask_per_head=True)),
    ("attn_softcap_bf16_d128", "bf16", 4, 2, 128, None, dict(softcap=5.0, scale=0.25)),
    ("attn_scale_f16_d64", "f16", 3, 3, 64, None, dict(scale=0.3)),
    ("attn_dv64_bf16_d128", "bf16", 4, 2, 128, 64, dict(causal=True)),
    ("attn_d256_bf16", "bf16", 2, 1, 256, None, dict(causal=True)),
    ("attn_combo_f16_d128", "f16", 8, 2, 128, None,
     dict(causal=True, align="bottom_right", window=(33, -1), softcap=8.0)),
    # Split-KV (`split` of ein.gpu_config): the key loop's chunks are a
    # kernel of their own, merged by a second; fewer keys than workers x
    # tile leave workers empty. The first would go to the hand-written
    # kernel without its pinned configuration.
    ("attn_split4_causal_br_bf16_d128", "bf16", 8, 2, 128, None,
     dict(causal=True, align="bottom_right", split=4)),
    ("attn_split3_bias_f16_d64", "f16", 4, 2, 64, None,
     dict(mask="bias", mask_per_head=True, split=3, tile=16)),
]

# The pinned configuration of the split variants (the shared lowering's
# defaults on NVIDIA, with the variant's split and key tile).
SPLIT_CONFIG = ("#ein.gpu_config<threads = 128, lanes = 32, tile_size = {tile}, "
                "matrix_tile = 16, k_split = 4, small_m = 8, split = {split}>")


def with_config(src: str, name: str, config: str) -> str:
    """`src` with `ein.gpu_config = config` on function @name."""
    head = src.index(f"func.func @{name}(")
    brace = src.index(" {\n", head)
    return src[:brace] + f" attributes {{ein.gpu_config = {config}}}" + src[brace:]


def _attention_family(name, dt, hq, hkv, d, dv, opts) -> Family:
    dv = d if dv is None else dv
    mask = opts.get("mask")
    per_head = opts.get("mask_per_head", False)
    scale = opts.get("scale", 1.0 / math.sqrt(d))
    causal, window = opts.get("causal", False), opts.get("window")
    bottom_right = opts.get("align") == "bottom_right"
    softcap = opts.get("softcap")
    budget = 20000 if d * hq <= 512 else 8000
    src = attention_src(name, dt=dt, hq=hq, hkv=hkv, d=d, dv=dv, causal=causal, window=window,
                        align=opts.get("align"), scale=opts.get("scale"), softcap=softcap,
                        mask=mask, mask_per_head=per_head)
    if "split" in opts:
        src = with_config(src, name, SPLIT_CONFIG.format(split=opts["split"],
                                                         tile=opts.get("tile", 64)))

    def inputs(case, gen):
        b, sq, sk = case.dims["b"], case.dims["sq"], case.dims["sk"]
        out = _qkv_inputs(hq, hkv, d, dv)(case, gen)
        shape = (b, hq, sq, sk) if per_head else (sq, sk)
        if mask == "bool":
            keep = torch.rand(*shape, generator=gen) > 0.3
            # Some fully masked rows (they give 0).
            rows = torch.rand(*shape[:-1], generator=gen) < 0.15
            keep &= ~rows[..., None]
            out.append(keep)
        elif mask == "bias":
            out.append(_randn(gen, shape, 2.0))
        return out

    def ref(inputs, case, ndt):
        q, k, v = inputs[:3]
        extra = inputs[3] if len(inputs) > 3 else None
        return [attention_math(q, k, v, ndt, scale=scale, causal=causal, window=window,
                               bottom_right=bottom_right, softcap=softcap,
                               keep=extra if mask == "bool" else None,
                               bias=extra if mask == "bias" else None)]

    def zero_rows(inputs, case):
        sq, sk = case.dims["sq"], case.dims["sk"]
        keep = visible(sq, sk, causal, window, bottom_right, inputs[0].device)
        if mask == "bool":
            keep = keep & inputs[3]
        dead = ~keep.any(-1)  # [Sq] or [B, Hq, Sq]
        b = case.dims["b"]
        dead = dead.expand(b, hq, sq) if dead.dim() == 1 else dead
        return [dead[..., None].expand(b, hq, sq, dv)]

    notes = ", ".join(f"{k}={v}" for k, v in opts.items())
    return Family(name, "attention", src, _attn_shapes(budget), inputs,
                  lambda case: [((case.dims["b"], hq, case.dims["sq"], dv), tdt(dt))],
                  ref, dt, ATTN_FLOOR, zero_rows=zero_rows, in_dt=dt,
                  notes=f"{dt} Hq={hq} Hkv={hkv} D={d} Dv={dv} {notes}")


# -- ein.qmatmul formats --------------------------------------------------------

QMATMUL_VARIANTS = [
    # name, x dtype, kind, N, K, group, zero points, scale dtype, out dtype
    ("qmm_int4_bf16_g32_zp", "bf16", "int4", 65, 256, 32, True, "bf16", "bf16"),
    ("qmm_int4_bf16_g64", "bf16", "int4", 96, 192, 64, False, "bf16", "bf16"),
    ("qmm_int4_f16_g128_zp", "f16", "int4", 127, 384, 128, True, "f16", "f16"),
    ("qmm_uint4_bf16_g128_zp", "bf16", "uint4", 64, 256, 128, True, "bf16", "bf16"),
    ("qmm_uint4_f16_g32", "f16", "uint4", 200, 128, 32, False, "f16", "f16"),
    ("qmm_uint4_bf16_g64_f32s", "bf16", "uint4", 96, 256, 64, True, "f32", "bf16"),
    ("qmm_int8_bf16_g64", "bf16", "int8", 96, 256, 64, False, "bf16", "bf16"),
    ("qmm_w8a8_f32_perchannel", "i8", "int8", 80, 256, 256, False, "f32", "f32"),
    ("qmm_w8a8_bf16_g128", "i8", "int8", 64, 384, 128, False, "bf16", "bf16"),
    ("qmm_fp8_f32_perchannel", "f8E4M3FN", "fp8_e4m3", 96, 128, 128, False, "f32", "f32"),
    ("qmm_fp8_bf16_g128", "f8E4M3FN", "fp8_e4m3", 72, 256, 128, False, "f32", "bf16"),
    ("qmm_fp8w_bf16x_perchannel", "bf16", "fp8_e4m3", 64, 192, 192, False, "bf16", "bf16"),
]

# 8 and 9 bracket small_m (the lanes' kernel up to 8, the matrix one above).
M_SIZES = [1, 2, 3, 5, 7, 8, 9, 13, 17, 31, 63, 64, 65, 127, 129]
M_LARGE = [255, 256, 257, 1000, 2049]
Q_RANGE = {"int4": (-8, 7), "uint4": (0, 15), "int8": (-128, 127)}


def pack_int4(q):
    """[N, K] ints in [-8, 7] (or [0, 15]) -> [N, K/2] int8, low nibble first."""
    v = q.to(torch.int64) & 0xF
    packed = v[:, 0::2] | (v[:, 1::2] << 4)
    return packed.to(torch.uint8).view(torch.int8)


def unpack_int4(packed, signed: bool):
    b = packed.view(torch.uint8).to(torch.int64)
    lo, hi = b & 0xF, b >> 4
    q = torch.stack([lo, hi], dim=-1).reshape(packed.shape[0], -1)
    return torch.where(q >= 8, q - 16, q) if signed else q


def _qmatmul_family(name, x_ty, kind, n, k, group, zp, s_ty, o_ty) -> Family:
    src = qmatmul_src(name, x_ty=x_ty, kind=kind, n=n, k=k, group=group, zp=zp, scale_ty=s_ty,
                      out_ty=o_ty)

    def shapes(rng, i, large):
        # M = 1 random and exact, then awkward M (larger ones on the GPU);
        # every other case bit-exact.
        m = 1 if i < 2 else (int(rng.choice(M_LARGE)) if large and i % 4 >= 2
                             else int(rng.choice(M_SIZES)))
        return {"m": m}, i % 2 == 1

    def stored_q(w):
        if kind in ("int4", "uint4"):
            return unpack_int4(w, kind == "int4").double()
        if kind == "int8":
            return w.double()
        return w.to(torch.float64)  # fp8 decodes exactly

    def inputs(case, gen):
        m, groups = case.dims["m"], k // group
        scale_t = tdt(s_ty)
        if case.exact:
            # Small integers, integer zero points, power-of-two scales: the
            # f32 sums are exact, so the result is the exact value rounded
            # once to the output dtype.
            if x_ty == "i8":
                x = torch.randint(-128, 128, (m, k), generator=gen).to(torch.int8)
            else:
                x = torch.randint(-4, 5, (m, k), generator=gen).float()
            scales = 2.0 ** torch.randint(-1, 1 if o_ty == "f16" else 2, (n, groups), generator=gen).float()
            if kind == "fp8_e4m3":
                q = torch.randint(-8, 9, (n, k), generator=gen).float()
            else:
                lo, hi = Q_RANGE[kind]
                q = torch.randint(lo, hi + 1, (n, k), generator=gen)
            zeros = torch.randint(-2, 3, (n, groups), generator=gen).float() if zp else None
            if kind == "uint4" and zp:
                zeros = zeros + 8
        else:
            if x_ty == "i8":
                x = torch.randint(-128, 128, (m, k), generator=gen).to(torch.int8)
            else:
                x = _randn(gen, (m, k), 2.0 if x_ty == "f8E4M3FN" else 1.0)
            if kind == "fp8_e4m3":
                q = _randn(gen, (n, k), 4.0)
            else:
                lo, hi = Q_RANGE[kind]
                q = torch.randint(lo, hi + 1, (n, k), generator=gen)
            base = 1.0 / math.sqrt(k) / (8.0 if kind in ("int4", "uint4", "fp8_e4m3") else 64.0)
            if x_ty == "i8":
                base /= 64.0
            scales = base * (0.5 + torch.rand(n, groups, generator=gen))
            zeros = None
            if zp:
                zeros = torch.rand(n, groups, generator=gen) * 2 - 1
                if kind == "uint4":
                    zeros = zeros + 7.5
        # Stored forms.
        if x_ty == "i8":
            x_s = x.to(torch.int8)
        elif x_ty == "f8E4M3FN":
            x_s = x.to(torch.float8_e4m3fn)
        else:
            x_s = x.to(tdt(x_ty))
        if kind in ("int4", "uint4"):
            w_s = pack_int4(q)
        elif kind == "int8":
            w_s = q.to(torch.int8)
        else:
            w_s = q.to(torch.float8_e4m3fn)
        out = [x_s, w_s, scales.to(scale_t)]
        if zp:
            out.append(zeros.to(scale_t))
        return out

    def ref(inputs, case, ndt):
        x, w, scales = inputs[:3]
        zeros = inputs[3] if zp else None
        q = stored_q(w)
        s = scales.double().repeat_interleave(group, dim=1)
        z = zeros.double().repeat_interleave(group, dim=1) if zp else 0.0
        wd = rnd((q - z) * s, ndt)                  # dequantized weights [N, K]
        xd = x.to(torch.float64) if x.dtype in (torch.int8, torch.float8_e4m3fn) else x
        return [mm(rnd(xd, ndt), wd.t(), ndt)]

    return Family(name, "qmatmul", src, shapes, inputs,
                  lambda case: [((case.dims["m"], n), tdt(o_ty))], ref, o_ty,
                  NORM_FLOOR if o_ty == "f32" else HALF_MM_FLOOR, cases=10,
                  notes=f"x {x_ty}, {kind} g{group}{' zp' if zp else ''}, scales {s_ty}, "
                        f"out {o_ty}, N={n} K={k}")


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------

_FAMILIES: Optional[List[Family]] = None


def families() -> List[Family]:
    global _FAMILIES
    if _FAMILIES is None:
        fams = _cascade_families()
        fams += [_attention_family(*v) for v in ATTENTION_VARIANTS]
        fams += [_qmatmul_family(*v) for v in QMATMUL_VARIANTS]
        names = [f.name for f in fams]
        assert len(set(names)) == len(names), names
        _FAMILIES = fams
    return _FAMILIES


def modules(target: str = DEFAULT_GPU_TARGET) -> Dict[str, Tuple[str, dict]]:
    """{module key: (MLIR source, compile arguments)}, one module per family."""
    return {f.key: (f.source, dict(target=target, name=f.key)) for f in families()}


def cases(group: str, large: bool) -> List[Tuple[Family, Case]]:
    return [(f, c) for f in families() if f.group == group for c in f.make_cases(large)]


def gpu_target() -> Optional[str]:
    """EINFUSE_TEST_GPU_TARGET, else nvidia:sm_90a when torch sees a CUDA
    device, else None."""
    env = os.environ.get("EINFUSE_TEST_GPU_TARGET")
    if env:
        return env
    if torch is not None and torch.cuda.is_available() and torch.version.cuda:
        return DEFAULT_GPU_TARGET
    return None


# ---------------------------------------------------------------------------
# Running a kernel on torch tensors (GPU), or on CPU tensors through NumPy
# ---------------------------------------------------------------------------


def _numpy_view(t):
    """A NumPy array sharing `t`'s memory, with a dtype the host kernels take."""
    if t.dtype in (torch.bfloat16, torch.float16):
        a = t.view(torch.int16).numpy().view(np.uint16)
        return a.view(np.float16) if t.dtype == torch.float16 else a
    if t.dtype == torch.float8_e4m3fn:
        return t.view(torch.uint8).numpy()
    return t.numpy()


def poisoned(shape, dtype, device):
    return torch.full(shape, float("nan"), dtype=dtype, device=device)


def run(kernel, inputs, outputs, device):
    """Runs `kernel` on `inputs` into NaN-poisoned outputs; returns them."""
    outs = [poisoned(shape, dt, device) for shape, dt in outputs]
    if device == "cpu":
        kernel(*[_numpy_view(t.contiguous()) for t in inputs], out=[_numpy_view(o) for o in outs])
    else:
        result = kernel(*inputs, out=outs)
        results = list(result) if isinstance(result, tuple) else [result]
        assert all(r is o for r, o in zip(results, outs))
        torch.cuda.synchronize()
    return outs


def bits(t):
    """`t`'s bit patterns (for bitwise comparison, NaN included)."""
    ints = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
    return t.view(ints[t.element_size()])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or len(argv) > 2:
        sys.exit("usage: python python/tests/gpu_cases.py DIR [TARGET]  (TARGET: "
                 f"{DEFAULT_GPU_TARGET})")
    import einfuse
    directory = argv[0]
    target = argv[1] if len(argv) > 1 else DEFAULT_GPU_TARGET
    failed = []
    for key, (source, kw) in modules(target).items():
        try:
            module = einfuse.compile(source, **kw)
        except Exception as e:  # keep going: report every kernel
            failed.append(key)
            print(f"{key}: FAILED: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
            continue
        path = module.save(os.path.join(directory, key))
        print(f"{key}: {', '.join(sorted(module.artifacts))} -> {path}")
    if failed:
        sys.exit(f"{len(failed)} module(s) failed to compile: {', '.join(failed)}")


if __name__ == "__main__":
    main()
