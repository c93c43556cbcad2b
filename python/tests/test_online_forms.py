"""The online forms derived by algebra (issue 10) compute what the cascade
computes, for every tile size and split: softmax and log-softmax through
the 2-pass online normaliser, softmin over a min barrier (exp(min - x)), a
softmax with a temperature written with exp2, two chained softmaxes (one
iteration each), and a max-pool-and-subtract the rewrite refuses. Each runs
with the rewrites off, on, with small tiles and split across workers, and
is checked against float64 NumPy under the numerics contract."""

import numpy as np
import pytest

import einfuse

from helpers import check

OPTIONS = ["online-normalize=false deferred-normalize=false", "", "tile-size=7",
           "tile-size=1 workers=3", "tile-size=5 workers=64"]


def unary(name, body, out_type="tensor<4x?xf32>"):
    return f"""
func.func @{name}(%x: tensor<4x?xf32>, %v: tensor<4x?xf32>) -> {out_type} {{
  %r = ein.cascade [n, c] -> ({out_type}) {{
{body}
  }}
  return %r : {out_type}
}}
"""


EXP_SUB = """
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>"""

SOFTMAX = unary("f", """
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {""" + EXP_SUB + """
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %y = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    ein.yield %y : tensor<4x?xf32>""")

LOG_SOFTMAX = unary("f", """
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {""" + EXP_SUB + """
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %y = ein.einsum custom(%x[n, c], %m[n], %s[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %l = math.log %c : f32
      %d = arith.subf %a, %b : f32
      %r = arith.subf %d, %l : f32
      ein.yield %r : f32
    } : (tensor<4x?xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    ein.yield %y : tensor<4x?xf32>""")

SOFTMIN = unary("f", """
    %m = ein.einsum copy(%x[n, c]) -> [n] min[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %b, %a : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] init(0.25 : f32) : (tensor<4x?xf32>) -> tensor<4xf32>
    %w = ein.einsum mul(%e[n, c], %v[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    %o = ein.einsum div(%w[n], %s[n]) -> [n] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %o : tensor<4xf32>""", "tensor<4xf32>")

TEMPERATURE = unary("f", """
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %nb = arith.negf %b : f32
      %d = arith.addf %nb, %a : f32
      %t = arith.constant 0.7 : f32
      %q = arith.divf %d, %t : f32
      %y = math.exp2 %q : f32
      ein.yield %y : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %w = ein.einsum mul(%e[n, c], %v[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    %o = ein.einsum div(%w[n], %s[n]) -> [n] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ein.yield %o : tensor<4xf32>""", "tensor<4xf32>")

TWO_SOFTMAXES = unary("f", """
    %m1 = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e1 = ein.einsum custom(%x[n, c], %m1[n]) -> [n, c] {""" + EXP_SUB + """
    %s1 = ein.einsum copy(%e1[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %y1 = ein.einsum custom(%e1[n, c], %s1[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %q = arith.divf %a, %b : f32
      %k = arith.constant 5.0 : f32
      %r = arith.mulf %q, %k : f32
      ein.yield %r : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %m2 = ein.einsum copy(%y1[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e2 = ein.einsum custom(%y1[n, c], %m2[n]) -> [n, c] {""" + EXP_SUB + """
    %s2 = ein.einsum copy(%e2[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %y2 = ein.einsum div(%e2[n, c], %s2[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    ein.yield %y2 : tensor<4x?xf32>""")

MAX_SUBTRACT = unary("f", """
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %y = ein.einsum sub(%x[n, c], %m[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    ein.yield %y : tensor<4x?xf32>""")


def softmax(x, dtype):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True, dtype=dtype)


def ref_softmax(x, v, dtype):
    return softmax(x, dtype)


def ref_log_softmax(x, v, dtype):
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True, dtype=dtype))


def ref_softmin(x, v, dtype):
    e = np.exp(x.min(1, keepdims=True) - x)
    return (e * v).sum(1, dtype=dtype) / (e.sum(1, dtype=dtype) + dtype(0.25))


def ref_temperature(x, v, dtype):
    e = np.exp2((x - x.max(1, keepdims=True)) / dtype(0.7))
    return (e * v).sum(1, dtype=dtype) / e.sum(1, dtype=dtype)


def ref_two_softmaxes(x, v, dtype):
    return softmax(softmax(x, dtype) * dtype(5.0), dtype)


def ref_max_subtract(x, v, dtype):
    return x - x.max(1, keepdims=True)


CASES = {
    "softmax": (SOFTMAX, ref_softmax),
    "log_softmax": (LOG_SOFTMAX, ref_log_softmax),
    "softmin": (SOFTMIN, ref_softmin),
    "temperature": (TEMPERATURE, ref_temperature),
    "two_softmaxes": (TWO_SOFTMAXES, ref_two_softmaxes),
    "max_subtract": (MAX_SUBTRACT, ref_max_subtract),
}

_compiled = {}


def compiled(source, options):
    key = (source, options)
    if key not in _compiled:
        _compiled[key] = einfuse.compile(source, options=options)
    return _compiled[key]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("size", [1, 7, 130])
def test_online_form(case, options, size):
    source, ref = CASES[case]
    kernel = compiled(source, options).f
    rng = np.random.default_rng(size)
    x = (rng.standard_normal((4, size)) * 3).astype(np.float32)
    v = rng.standard_normal((4, size)).astype(np.float32)
    expected = ref(x.astype(np.float64), v.astype(np.float64), np.float64)
    out = np.full(expected.shape, np.nan, np.float32)
    kernel(x, v, out=out)
    check(out, expected, ref(x, v, np.float32), floor=1e-6, what=f"{case} {options}")


def test_rewrites_fire():
    """The forms above are what the compiler builds, not a silent no-op:
    the pass analysis of the CPU pipeline's input says so through the
    remarks of einfuse-opt (checked in lit); here, the partitioned and the
    plain compile of softmax give the same kernels' signatures."""
    a = compiled(SOFTMAX, "").f
    b = compiled(SOFTMAX, "tile-size=5 workers=64").f
    x = np.random.default_rng(0).standard_normal((4, 300)).astype(np.float32)
    np.testing.assert_allclose(a(x, x), b(x, x), rtol=1e-5, atol=1e-6)


# Split-K (split-rank): the sums over k of a 1-pass cascade become a plain
# iteration split across workers; the init joins once.
MATVEC = """
func.func @f(%x: tensor<3x?xf32>, %w: tensor<?x16xf32>) -> tensor<3x16xf32> {
  %r = ein.cascade [m, k, n] -> (tensor<3x16xf32>) {
    %y = ein.einsum mul(%x[m, k], %w[k, n]) -> [m, n] sum[k] init(0.5 : f32) : (tensor<3x?xf32>, tensor<?x16xf32>) -> tensor<3x16xf32>
    ein.yield %y : tensor<3x16xf32>
  }
  return %r : tensor<3x16xf32>
}
"""

SIGMOID_ATTENTION = """
func.func @f(%s: tensor<1x?xf32>, %v: tensor<?x16xf32>) -> tensor<1x16xf32> {
  %r = ein.cascade [p, k, f] -> (tensor<1x16xf32>) {
    %g = ein.einsum custom(%s[p, k]) -> [p, k] {
    ^bb0(%a: f32):
      %n = arith.negf %a : f32
      %e = math.exp %n : f32
      %one = arith.constant 1.0 : f32
      %d = arith.addf %one, %e : f32
      %y = arith.divf %one, %d : f32
      ein.yield %y : f32
    } : (tensor<1x?xf32>) -> tensor<1x?xf32>
    %o = ein.einsum mul(%g[p, k], %v[k, f]) -> [p, f] sum[k] : (tensor<1x?xf32>, tensor<?x16xf32>) -> tensor<1x16xf32>
    ein.yield %o : tensor<1x16xf32>
  }
  return %r : tensor<1x16xf32>
}
"""

def naive_matmul(a, b):
    """The same-dtype result summed in order (the contract's naive code;
    NumPy's matmul blocks its sums and is more accurate than that)."""
    acc = np.zeros((a.shape[0], b.shape[1]), a.dtype)
    for j in range(a.shape[1]):
        acc += a[:, j, None] * b[j]
    return acc


SPLIT_OPTIONS = ["", "split-rank=k workers=2", "split-rank=k workers=7 tile-size=3",
                 "split-rank=k workers=64 tile-size=1"]


@pytest.mark.parametrize("options", SPLIT_OPTIONS)
@pytest.mark.parametrize("size", [1, 5, 300])
def test_split_k(options, size):
    rng = np.random.default_rng(size)
    x = rng.standard_normal((3, size)).astype(np.float32)
    w = rng.standard_normal((size, 16)).astype(np.float32)
    out = np.full((3, 16), np.nan, np.float32)
    compiled(MATVEC, options).f(x, w, out=out)
    ref = np.matmul(x.astype(np.float64), w.astype(np.float64)) + 0.5
    check(out, ref, naive_matmul(x, w) + np.float32(0.5), floor=1e-6, what=options)

    s = rng.standard_normal((1, size)).astype(np.float32) * 2
    v = rng.standard_normal((size, 16)).astype(np.float32)
    out = np.full((1, 16), np.nan, np.float32)
    compiled(SIGMOID_ATTENTION, options).f(s, v, out=out)
    g64 = 1 / (1 + np.exp(-s.astype(np.float64)))
    g32 = (1 / (1 + np.exp(-s))).astype(np.float32)
    check(out, g64 @ v.astype(np.float64), naive_matmul(g32, v), floor=1e-6, what=options)


# Welford's update for the variance in the forms users write: (x - mu)^2 in
# one region, mu - x, with a beta after the normalisation; rows with a mean
# large against their spread (the contract must hold there too).
def variance_source(form):
    if form == "region":
        var = """
    %v = ein.einsum custom(%x[n, c], %mu[n]) -> [n] sum[c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %q = arith.mulf %d, %d : f32
      ein.yield %q : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4xf32>"""
    else:
        var = """
    %df = ein.einsum sub(%mu[n], %x[n, c]) -> [n, c] : (tensor<4xf32>, tensor<4x?xf32>) -> tensor<4x?xf32>
    %v = ein.einsum mul(%df[n, c], %df[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>"""
    return """
func.func @f(%x: tensor<4x?xf32>, %beta: tensor<?xf32>) -> tensor<4x?xf32> {
  %r = ein.cascade [n, c] -> (tensor<4x?xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<4xf32>) -> tensor<4xf32>""" + var + """
    %y = ein.einsum custom(%x[n, c], %mu[n], %v[n], %beta[c]) -> [n, c] {
    ^bb0(%a: f32, %m: f32, %w: f32, %b: f32):
      %e = ein.extent "c" : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %var = arith.divf %w, %f : f32
      %eps = arith.constant 1.0e-5 : f32
      %ve = arith.addf %var, %eps : f32
      %rs = math.rsqrt %ve : f32
      %dx = arith.subf %a, %m : f32
      %t = arith.mulf %dx, %rs : f32
      %o = arith.addf %t, %b : f32
      ein.yield %o : f32
    } : (tensor<4x?xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?xf32>) -> tensor<4x?xf32>
    ein.yield %y : tensor<4x?xf32>
  }
  return %r : tensor<4x?xf32>
}
"""


def layer_norm_beta(x, beta, dtype):
    x, beta = x.astype(dtype), beta.astype(dtype)
    mu = x.sum(1, keepdims=True, dtype=dtype) / dtype(x.shape[1])
    var = ((x - mu) ** 2).sum(1, keepdims=True, dtype=dtype) / dtype(x.shape[1])
    return (x - mu) / np.sqrt(var + dtype(1e-5)) + beta


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("form", ["region", "mu_minus_x"])
@pytest.mark.parametrize("mean", [0.0, 1000.0])
def test_variance_forms(form, options, mean):
    rng = np.random.default_rng(7)
    x = (mean + rng.uniform(-2, 2, (4, 200))).astype(np.float32)
    beta = rng.standard_normal(200).astype(np.float32)
    out = np.full(x.shape, np.nan, np.float32)
    compiled(variance_source(form), options).f(x, beta, out=out)
    check(out, layer_norm_beta(x, beta, np.float64), layer_norm_beta(x, beta, np.float32),
          floor=1e-5, what=f"{form} {options}")


# The divide guard written inline in the normalising region: deferred, and
# the result keeps the guard's 0 where the denominator is 0 (empty rows).
INLINE_GUARD = """
func.func @f(%x: tensor<4x?xf32>, %v: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {""" + EXP_SUB + """
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %p = ein.einsum custom(%e[n, c], %s[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %zero = arith.constant 0.0 : f32
      %z = arith.cmpf oeq, %b, %zero : f32
      %q = arith.divf %a, %b : f32
      %g = arith.select %z, %zero, %q : f32
      ein.yield %g : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %t = ein.einsum mul(%p[n, c], %v[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %t : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
"""


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("size", [0, 1, 130])
def test_inline_guard(options, size):
    rng = np.random.default_rng(size)
    x = (rng.standard_normal((4, size)) * 3).astype(np.float32)
    v = rng.standard_normal((4, size)).astype(np.float32)

    def ref(dtype):
        if size == 0:
            return np.zeros(4, dtype)
        e = np.exp(x.astype(dtype) - x.max(1, keepdims=True))
        return ((e / e.sum(1, keepdims=True, dtype=dtype)) * v).sum(1, dtype=dtype)

    out = np.full(4, np.nan, np.float32)
    compiled(INLINE_GUARD, options).f(x, v, out=out)
    check(out, ref(np.float64), ref(np.float32), floor=1e-6, what=options)


# Reductions over two ranks at once: the iteration runs over one of them,
# the other is reduced whole inside each tile. A softmax over (c, d)
# weighting v[c, d, j]; a group norm (mean and variance over (c, d),
# Welford's update); a sum over (k, g) split along k.
SOFTMAX_2D = """
func.func @f(%x: tensor<4x?x3xf32>, %v: tensor<?x3x5xf32>) -> tensor<4x5xf32> {
  %r = ein.cascade [n, c, d, j] -> (tensor<4x5xf32>) {
    %m = ein.einsum copy(%x[n, c, d]) -> [n] max[c, d] : (tensor<4x?x3xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c, d], %m[n]) -> [n, c, d] {
    ^bb0(%a: f32, %b: f32):
      %s = arith.subf %a, %b : f32
      %y = math.exp %s : f32
      ein.yield %y : f32
    } : (tensor<4x?x3xf32>, tensor<4xf32>) -> tensor<4x?x3xf32>
    %s = ein.einsum copy(%e[n, c, d]) -> [n] sum[c, d] : (tensor<4x?x3xf32>) -> tensor<4xf32>
    %p = ein.einsum div(%e[n, c, d], %s[n]) -> [n, c, d] : (tensor<4x?x3xf32>, tensor<4xf32>) -> tensor<4x?x3xf32>
    %o = ein.einsum mul(%p[n, c, d], %v[c, d, j]) -> [n, j] sum[c, d] : (tensor<4x?x3xf32>, tensor<?x3x5xf32>) -> tensor<4x5xf32>
    ein.yield %o : tensor<4x5xf32>
  }
  return %r : tensor<4x5xf32>
}
"""

GROUP_NORM = """
func.func @f(%x: tensor<4x?x3xf32>) -> tensor<4x?x3xf32> {
  %r = ein.cascade [n, c, d] -> (tensor<4x?x3xf32>) {
    %s = ein.einsum copy(%x[n, c, d]) -> [n] sum[c, d] : (tensor<4x?x3xf32>) -> tensor<4xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %ec = ein.extent "c" : index
      %ed = ein.extent "d" : index
      %e = arith.muli %ec, %ed : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      ein.yield %q : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    %dx = ein.einsum sub(%x[n, c, d], %mu[n]) -> [n, c, d] : (tensor<4x?x3xf32>, tensor<4xf32>) -> tensor<4x?x3xf32>
    %v = ein.einsum mul(%dx[n, c, d], %dx[n, c, d]) -> [n] sum[c, d] : (tensor<4x?x3xf32>, tensor<4x?x3xf32>) -> tensor<4xf32>
    %rs = ein.einsum custom(%v[n]) -> [n] {
    ^bb0(%a: f32):
      %ec = ein.extent "c" : index
      %ed = ein.extent "d" : index
      %e = arith.muli %ec, %ed : index
      %i = arith.index_cast %e : index to i64
      %f = arith.sitofp %i : i64 to f32
      %q = arith.divf %a, %f : f32
      %eps = arith.constant 1.0e-5 : f32
      %qe = arith.addf %q, %eps : f32
      %y = math.rsqrt %qe : f32
      ein.yield %y : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    %y = ein.einsum mul(%dx[n, c, d], %rs[n]) -> [n, c, d] : (tensor<4x?x3xf32>, tensor<4xf32>) -> tensor<4x?x3xf32>
    ein.yield %y : tensor<4x?x3xf32>
  }
  return %r : tensor<4x?x3xf32>
}
"""

SUM_2D = """
func.func @f(%x: tensor<2x?x3xf32>, %w: tensor<?x3x4xf32>) -> tensor<2x4xf32> {
  %r = ein.cascade [m, k, g, n] -> (tensor<2x4xf32>) {
    %y = ein.einsum mul(%x[m, k, g], %w[k, g, n]) -> [m, n] sum[k, g] : (tensor<2x?x3xf32>, tensor<?x3x4xf32>) -> tensor<2x4xf32>
    ein.yield %y : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}
"""


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("size", [0, 1, 7, 130])
def test_two_ranks(options, size):
    rng = np.random.default_rng(size + 11)
    x = (rng.standard_normal((4, size, 3)) * 3).astype(np.float32)
    v = rng.standard_normal((size, 3, 5)).astype(np.float32)

    def softmax_2d(dt):
        xx, vv = x.astype(dt), v.astype(dt)
        if size == 0:
            return np.zeros((4, 5), dt)
        e = np.exp(xx - xx.max(axis=(1, 2), keepdims=True))
        p = e / e.sum(axis=(1, 2), keepdims=True, dtype=dt)
        return np.einsum("ncd,cdj->nj", p, vv).astype(dt)

    out = np.full((4, 5), np.nan, np.float32)
    compiled(SOFTMAX_2D, options).f(x, v, out=out)
    check(out, softmax_2d(np.float64), softmax_2d(np.float32), floor=1e-6,
          what=f"softmax over (c, d) {options}")

    if size == 0:
        return  # a group norm of no elements divides 0 by 0 either way
    xm = (x + 1000).astype(np.float32)

    def group_norm(dt):
        xx = xm.astype(dt)
        d = xx - xx.sum(axis=(1, 2), keepdims=True, dtype=dt) / dt(3 * size)
        var = (d * d).sum(axis=(1, 2), keepdims=True, dtype=dt) / dt(3 * size)
        return d / np.sqrt(var + dt(1e-5))

    out = np.full(xm.shape, np.nan, np.float32)
    compiled(GROUP_NORM, options).f(xm, out=out)
    check(out, group_norm(np.float64), group_norm(np.float32), floor=1e-5,
          what=f"group norm {options}")


@pytest.mark.parametrize("options", SPLIT_OPTIONS)
@pytest.mark.parametrize("size", [1, 5, 300])
def test_split_k_two_ranks(options, size):
    rng = np.random.default_rng(size)
    x = rng.standard_normal((2, size, 3)).astype(np.float32)
    w = rng.standard_normal((size, 3, 4)).astype(np.float32)
    out = np.full((2, 4), np.nan, np.float32)
    compiled(SUM_2D, options).f(x, w, out=out)
    ref = np.einsum("mkg,kgn->mn", x.astype(np.float64), w.astype(np.float64))
    check(out, ref, naive_matmul(x.reshape(2, -1), w.reshape(-1, 4)), floor=1e-6, what=options)
