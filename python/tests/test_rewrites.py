"""The rewrites keep results within the numerics contract, on and off
(issue 10's defects, each with the cascade that showed it):
- a sum with an `init` under --ein-online-normalize (the init used to be
  added once per tile), for every tile size and with --ein-partition;
- an empty reduced rank under --ein-deferred-normalize (the result used to
  turn from 0 into NaN)."""

import numpy as np
import pytest

import einfuse

from helpers import check

WEIGHTED_INIT = """
func.func @wsum(%x: tensor<4x?xf32>, %v: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] init(1.0 : f32) : (tensor<4x?xf32>) -> tensor<4xf32>
    %p = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %t = ein.einsum mul(%p[n, c], %v[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %t : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
"""

OPTIONS = ["", "online-normalize=false", "deferred-normalize=false online-normalize=false",
           "tile-size=7", "tile-size=1", "workers=3", "tile-size=5 workers=2"]


def weighted_init(x, v, dtype):
    x, v = x.astype(dtype), v.astype(dtype)
    if x.shape[1] == 0:
        return np.zeros(x.shape[0], dtype)
    e = np.exp(x - x.max(1, keepdims=True))
    return ((e / (e.sum(1, keepdims=True) + dtype(1.0))) * v).sum(1)


_compiled = {}


def compiled(source, options):
    key = (source, options)
    if key not in _compiled:
        _compiled[key] = einfuse.compile(source, options=options)
    return _compiled[key]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("size", [0, 1, 7, 128, 131])
def test_sum_init_joins_once(options, size):
    kernel = compiled(WEIGHTED_INIT, options).wsum
    rng = np.random.default_rng(size)
    x = rng.standard_normal((4, size)).astype(np.float32) * 3
    v = rng.standard_normal((4, size)).astype(np.float32)
    out = np.full(4, np.nan, np.float32)
    kernel(x, v, out=out)
    check(out, weighted_init(x, v, np.float64), weighted_init(x, v, np.float32), floor=1e-6)


# Normalised weighted sum without inits, and with an init on the weighted
# sum itself (which the deferred normalisation must not divide).
def weighted(init):
    attr = f" init({init} : f32)" if init is not None else ""
    return f"""
func.func @wsum(%x: tensor<4x?xf32>, %v: tensor<4x?xf32>) -> tensor<4xf32> {{
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {{
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {{
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    }} : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %p = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %t = ein.einsum mul(%p[n, c], %v[n, c]) -> [n] sum[c]{attr} : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %t : tensor<4xf32>
  }}
  return %r : tensor<4xf32>
}}
"""


def weighted_ref(x, v, init, dtype):
    x, v = x.astype(dtype), v.astype(dtype)
    base = dtype(init or 0.0)
    if x.shape[1] == 0:
        return np.full(x.shape[0], base, dtype)
    e = np.exp(x - x.max(1, keepdims=True))
    return base + ((e / e.sum(1, keepdims=True)) * v).sum(1)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("init", [None, 0.5])
@pytest.mark.parametrize("size", [0, 1, 9, 130])
def test_deferred_normalize_empty_rank_and_init(options, init, size):
    kernel = compiled(weighted(init), options).wsum
    rng = np.random.default_rng(size)
    x = rng.standard_normal((4, size)).astype(np.float32) * 3
    v = rng.standard_normal((4, size)).astype(np.float32)
    out = np.full(4, np.nan, np.float32)
    kernel(x, v, out=out)
    check(out, weighted_ref(x, v, init, np.float64), weighted_ref(x, v, init, np.float32),
          floor=1e-6)


LAYER_NORM = """
func.func @ln(%x: tensor<?x200xf32>) -> tensor<?x200xf32> {
  %y = ein.cascade [n, c] -> (tensor<?x200xf32>) {
    %sum = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<?x200xf32>) -> tensor<?xf32>
    %mean = ein.einsum custom(%sum[n]) -> [n] {
    ^bb0(%s: f32):
      %cc = arith.constant 200.0 : f32
      %r = arith.divf %s, %cc : f32
      ein.yield %r : f32
    } : (tensor<?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%x[n, c], %mean[n]) -> [n, c] : (tensor<?x200xf32>, tensor<?xf32>) -> tensor<?x200xf32>
    %ss = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<?x200xf32>, tensor<?x200xf32>) -> tensor<?xf32>
    %rstd = ein.einsum custom(%ss[n]) -> [n] {
    ^bb0(%s: f32):
      %cc = arith.constant 200.0 : f32
      %var = arith.divf %s, %cc : f32
      %eps = arith.constant 1.0e-5 : f32
      %ve = arith.addf %var, %eps : f32
      %r = math.rsqrt %ve : f32
      ein.yield %r : f32
    } : (tensor<?xf32>) -> tensor<?xf32>
    %y = ein.einsum mul(%d[n, c], %rstd[n]) -> [n, c] : (tensor<?x200xf32>, tensor<?xf32>) -> tensor<?x200xf32>
    ein.yield %y : tensor<?x200xf32>
  }
  return %y : tensor<?x200xf32>
}
"""


def layer_norm_ref(x, dtype):
    x = x.astype(dtype)
    d = x - x.sum(1, keepdims=True, dtype=dtype) / dtype(x.shape[1])
    var = (d * d).sum(1, keepdims=True, dtype=dtype) / dtype(x.shape[1])
    return d / np.sqrt(var + dtype(1e-5))


@pytest.mark.parametrize("options", OPTIONS)
def test_welford_large_mean(options):
    """Rows of 1000 +- 2: the online form (Welford/Chan, its per-row state
    in f64) stays within twice the error of NumPy's pairwise float32
    two-pass code (with f32 states and 1-element tiles it was 1.8e-4
    against a bound of 1.1e-4)."""
    x = (1000 + np.random.default_rng(1).uniform(-2, 2, (8, 200))).astype(np.float32)
    out = compiled(LAYER_NORM, options).ln(x)
    check(out, layer_norm_ref(x, np.float64), layer_norm_ref(x, np.float32), floor=1e-5)


SQUARED_DEVIATIONS = """
func.func @var(%x: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n, c] -> (tensor<4xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>
    %mu = ein.einsum custom(%s[n]) -> [n] {
    ^bb0(%a: f32):
      %e = ein.extent "c" : index
      %ei = arith.index_cast %e : index to i64
      %ef = arith.sitofp %ei : i64 to f32
      %m = arith.divf %a, %ef : f32
      ein.yield %m : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    %d = ein.einsum sub(%x[n, c], %mu[n]) -> [n, c] : (tensor<4x?xf32>, tensor<4xf32>) -> tensor<4x?xf32>
    %v = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4xf32>
    ein.yield %v : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
"""


@pytest.mark.parametrize("options", OPTIONS + ["tile-size=2", "tile-size=16 workers=4 threads=true"])
@pytest.mark.parametrize("c", [7, 200, 1000])
def test_welford_large_mean_variance(options, c):
    """The sum of squared deviations itself, as a result, over rows of
    1000 +- 2: each tile's mean used to be f32, and Chan's merge took its
    rounding to first order (tile-size=2, 7 elements: 1.97e-4 against a
    bound of 1.02e-4; tiles of 16 over 200 elements: 190x the naive
    error). The contract's absolute floor, 1e-5, not a relative one."""
    x = (1000 + np.random.default_rng(c).uniform(-2, 2, (4, c))).astype(np.float32)

    def var(dt):
        y = x.astype(dt)
        d = y - y.sum(1, keepdims=True, dtype=dt) / dt(c)
        return (d * d).sum(1, dtype=dt)

    out = compiled(SQUARED_DEVIATIONS, options).var(x, out=np.full(4, np.nan, np.float32))
    check(out, var(np.float64), var(np.float32), floor=1e-5)
