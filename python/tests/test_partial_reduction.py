"""ein.iterate's PartialReductionOpInterface (issue 10), end to end: the online
forms split chunk by chunk through the interface's four methods
(einfuse-opt --test-ein-partial-reduction: initial partials, one iteration
per chunk over its range, partial positions, merge), then compiled by the
CPU pipeline, agree with float64 NumPy under the numerics contract. Every
combine kind is covered: max + rescaled_sum (softmax, log-softmax), min +
a positively weighted rescaled_sum and a sum with an init (softmin), and
sum / welford_mean / welford_m2 (layer norm, rows of 1000 +- 2)."""

import pathlib
import os
import subprocess

import numpy as np
import pytest

import einfuse

from helpers import check
from test_online_forms import ref_log_softmax as log_softmax
from test_online_forms import ref_softmax as softmax
from test_online_forms import ref_softmin as softmin


def find_opt():
    env = os.environ.get("EINFUSE_OPT")
    if env:
        return env
    return str(pathlib.Path(__file__).resolve().parents[2] / "build" / "bin" / "einfuse-opt")


OPT = find_opt()
pytestmark = pytest.mark.skipif(not os.path.isfile(OPT),
                                reason=f"needs einfuse-opt ({OPT}) from the same build")

C = 37  # not a multiple of any tile size or chunk count below


def unary(body, out_type):
    return f"""
func.func @f(%x: tensor<4x{C}xf32>, %v: tensor<4x{C}xf32>) -> {out_type} {{
  %r = ein.cascade [n, c] -> ({out_type}) {{
{body}
  }}
  return %r : {out_type}
}}
"""


ROWS = f"tensor<4x{C}xf32>"
EXP_SUB = f"""
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    }} : ({ROWS}, tensor<4xf32>) -> {ROWS}"""

SOFTMAX = unary(f"""
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : ({ROWS}) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {{""" + EXP_SUB + f"""
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : ({ROWS}) -> tensor<4xf32>
    %y = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : ({ROWS}, tensor<4xf32>) -> {ROWS}
    ein.yield %y : {ROWS}""", ROWS)

LOG_SOFTMAX = unary(f"""
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : ({ROWS}) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {{""" + EXP_SUB + f"""
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : ({ROWS}) -> tensor<4xf32>
    %y = ein.einsum custom(%x[n, c], %m[n], %s[n]) -> [n, c] {{
    ^bb0(%a: f32, %b: f32, %t: f32):
      %l = math.log %t : f32
      %d = arith.subf %a, %b : f32
      %r = arith.subf %d, %l : f32
      ein.yield %r : f32
    }} : ({ROWS}, tensor<4xf32>, tensor<4xf32>) -> {ROWS}
    ein.yield %y : {ROWS}""", ROWS)

SOFTMIN = unary(f"""
    %m = ein.einsum copy(%x[n, c]) -> [n] min[c] : ({ROWS}) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {{
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %b, %a : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    }} : ({ROWS}, tensor<4xf32>) -> {ROWS}
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] init(0.25 : f32) : ({ROWS}) -> tensor<4xf32>
    %w = ein.einsum mul(%e[n, c], %v[n, c]) -> [n] sum[c] : ({ROWS}, {ROWS}) -> tensor<4xf32>
    %o = ein.einsum div(%w[n], %s[n]) -> [n] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %o : tensor<4xf32>""", "tensor<4xf32>")

LAYER_NORM = unary(f"""
    %sum = ein.einsum copy(%x[n, c]) -> [n] sum[c] : ({ROWS}) -> tensor<4xf32>
    %mean = ein.einsum custom(%sum[n]) -> [n] {{
    ^bb0(%s: f32):
      %cc = arith.constant {C}.0 : f32
      %r = arith.divf %s, %cc : f32
      ein.yield %r : f32
    }} : (tensor<4xf32>) -> tensor<4xf32>
    %d = ein.einsum sub(%x[n, c], %mean[n]) -> [n, c] : ({ROWS}, tensor<4xf32>) -> {ROWS}
    %ss = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : ({ROWS}, {ROWS}) -> tensor<4xf32>
    %rstd = ein.einsum custom(%ss[n]) -> [n] {{
    ^bb0(%s: f32):
      %cc = arith.constant {C}.0 : f32
      %var = arith.divf %s, %cc : f32
      %eps = arith.constant 1.0e-5 : f32
      %ve = arith.addf %var, %eps : f32
      %r = math.rsqrt %ve : f32
      ein.yield %r : f32
    }} : (tensor<4xf32>) -> tensor<4xf32>
    %y = ein.einsum mul(%d[n, c], %rstd[n]) -> [n, c] : ({ROWS}, tensor<4xf32>) -> {ROWS}
    ein.yield %y : {ROWS}""", ROWS)


def layer_norm(x, v, dt):
    d = x - x.sum(1, keepdims=True, dtype=dt) / dt(x.shape[1])
    var = (d * d).sum(1, keepdims=True, dtype=dt) / dt(x.shape[1])
    return d / np.sqrt(var + dt(1e-5))


CASES = {
    "softmax": (SOFTMAX, softmax, lambda r: r.standard_normal((4, C)) * 3),
    "log_softmax": (LOG_SOFTMAX, log_softmax, lambda r: r.standard_normal((4, C)) * 3),
    "softmin": (SOFTMIN, softmin, lambda r: r.standard_normal((4, C)) * 3),
    "layer_norm": (LAYER_NORM, layer_norm, lambda r: 1000 + r.uniform(-2, 2, (4, C))),
}


def split(source, tile, chunks):
    passes = [f"--ein-online-normalize=tile-size={tile}",
              f"--test-ein-partial-reduction=chunks={chunks}"]
    done = subprocess.run([OPT, *passes, "-"], input=source, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("options", ["", "workers=3"])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("tile,chunks", [(4, 1), (4, 3), (1, 5), (7, 2), (5, 64)])
def test_split_through_interface(case, tile, chunks, options):
    """With workers=3 the CPU pipeline also splits each chunk's ranged
    iteration across workers (ranges and workers compose)."""
    source, ref, make = CASES[case]
    text = split(source, tile, chunks)
    # The interface did split: one iteration per chunk, each over a range.
    chunk = max(tile, -(-(-(-C // chunks)) // tile) * tile)  # whole tiles
    assert text.count(" range(") == -(-C // chunk), text
    kernel = einfuse.compile(text, options=options).f
    rng = np.random.default_rng(tile * 100 + chunks)
    x = make(rng).astype(np.float32)
    v = rng.standard_normal((4, C)).astype(np.float32)
    want = ref(x.astype(np.float64), v.astype(np.float64), np.float64)
    out = np.full(want.shape, np.nan, np.float32)
    kernel(x, v, out=out)
    check(out, want, ref(x, v, np.float32), floor=1e-5 if case == "layer_norm" else 1e-6,
          what=f"{case} tile={tile} chunks={chunks} {options}")


def test_dynamic_extent_is_refused():
    """A dynamic iterated rank has no static number of partials: the
    interface says so, located, and the driver fails."""
    source = SOFTMAX.replace(f"4x{C}xf32", "4x?xf32")
    done = subprocess.run([OPT, "--ein-online-normalize=tile-size=4",
                           "--test-ein-partial-reduction=chunks=2", "-"],
                          input=source, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "needs a static extent" in done.stderr, done.stderr
