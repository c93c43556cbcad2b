"""Row tiling (ein.cascade's TilingInterface, used by the CPU lowering for
parallel-rank and threads) never changes a result: a tensor read along the
tiled rank and also along another rank (self-attention with Q = K = V) is
not sliced, and an iteration's initial state read from outside the cascade
is sliced with the rows (both gave wrong results before: the first tiled
the queries and cut the keys too, the second started every tile from the
first rows' state)."""

import numpy as np
import pytest

import einfuse

from helpers import attention, check

OPTIONS = ["", "parallel-rank=p parallel-tile=4",
           "threads=true", "online-normalize=false parallel-tile=1"]

SELF_PRODUCTS = """
func.func @f(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %y = ein.cascade [p, m, e, f] -> (tensor<?x16xf32>) {
    %s = ein.einsum mul(%x[p, e], %x[m, e]) -> [p, m] sum[e] : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x?xf32>
    %o = ein.einsum mul(%s[p, m], %x[m, f]) -> [p, f] sum[m] : (tensor<?x?xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
    ein.yield %o : tensor<?x16xf32>
  }
  return %y : tensor<?x16xf32>
}
"""

SELF_ATTENTION = """
func.func @f(%x: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = ein.attention %x, %x, %x {CAUSAL} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
"""

OUTSIDE_INIT = """
func.func @f(%x: tensor<?x?xf32>, %m0: tensor<?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, c, c0] -> (tensor<?xf32>) {
    %m = ein.iterate c tile 4 as c0 tiles(%x dim 1 : tensor<?x?xf32>) init(%m0 : tensor<?xf32>) combine [max] {
    ^bb0(%t: tensor<?x?xf32>, %s: tensor<?xf32>):
      %tm = ein.einsum copy(%t[n, c0]) -> [n] max[c0] : (tensor<?x?xf32>) -> tensor<?xf32>
      %nm = ein.einsum max(%s[n], %tm[n]) -> [n] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
      ein.yield %nm : tensor<?xf32>
    }
    ein.yield %m : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}
"""


def compile_or_skip_rank(source, options):
    return einfuse.compile(source, options=options).f


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("rows", [1, 10, 17])
def test_self_products(options, rows):
    kernel = compile_or_skip_rank(SELF_PRODUCTS, options)
    x = np.random.default_rng(rows).standard_normal((rows, 16)).astype(np.float32)
    x64 = x.astype(np.float64)
    out = np.full((rows, 16), np.nan, np.float32)
    kernel(x, out=out)
    check(out, (x64 @ x64.T) @ x64, (x @ x.T) @ x, floor=1e-4, what=options)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("seq", [1, 9, 70])
def test_self_attention(options, causal, seq):
    source = SELF_ATTENTION.replace("{CAUSAL}", "{causal}" if causal else "")
    kernel = compile_or_skip_rank(source, options)
    x = np.random.default_rng(seq).standard_normal((2, 2, seq, 8)).astype(np.float32)
    out = np.full(x.shape, np.nan, np.float32)
    kernel(x, out=out)
    check(out, attention(x, x, x, causal=causal),
          attention(x, x, x, dtype=np.float32, causal=causal), floor=1e-6,
          what=f"{options} causal={causal}")


@pytest.mark.parametrize("options", ["", "parallel-rank=n parallel-tile=3", "threads=true",
                                     "parallel-rank=n parallel-tile=1 workers=2"])
@pytest.mark.parametrize("rows,cols", [(1, 5), (7, 9), (10, 1)])
def test_outside_initial_state(options, rows, cols):
    kernel = compile_or_skip_rank(OUTSIDE_INIT, options)
    rng = np.random.default_rng(rows * 10 + cols)
    x = rng.standard_normal((rows, cols)).astype(np.float32)
    m0 = rng.standard_normal(rows).astype(np.float32)
    out = np.full(rows, np.nan, np.float32)
    kernel(x, m0, out=out)
    np.testing.assert_array_equal(out, np.maximum(m0, x.max(1)))
