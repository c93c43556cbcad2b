"""Split ranks (a rank only compound expressions index, `x[n, m1 * 64 +
m0]`) lower and compute what they say, with the rewrites on and off and
with threads: a two-level sum, a blocked max-then-softmax over the blocks,
and a blocked sum whose inner extent comes from another input."""

import numpy as np
import pytest

import einfuse

from helpers import check, poisoned

TWO_LEVEL = """
func.func @f(%x: tensor<?x256xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, m1, m0 = 64] -> (tensor<?xf32>) {
    %t = ein.einsum copy(%x[n, m1 * 64 + m0]) -> [n, m1] sum[m0] : (tensor<?x256xf32>) -> tensor<?x4xf32>
    %s = ein.einsum copy(%t[n, m1]) -> [n] sum[m1] : (tensor<?x4xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}
"""

# The max of each block of 8, then a softmax over the blocks (B of them,
# declared: x's length alone does not say how many blocks it holds).
BLOCK_SOFTMAX = """
func.func @f(%x: tensor<3x?xf32>) -> tensor<3x?xf32> {
  %r = ein.cascade [n, b = B, i = 8] -> (tensor<3x?xf32>) {
    %bm = ein.einsum copy(%x[n, b * 8 + i]) -> [n, b] max[i] : (tensor<3x?xf32>) -> tensor<3x?xf32>
    %m = ein.einsum copy(%bm[n, b]) -> [n] max[b] : (tensor<3x?xf32>) -> tensor<3xf32>
    %e = ein.einsum custom(%bm[n, b], %m[n]) -> [n, b] {
    ^bb0(%a: f32, %c: f32):
      %d = arith.subf %a, %c : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<3x?xf32>, tensor<3xf32>) -> tensor<3x?xf32>
    %s = ein.einsum copy(%e[n, b]) -> [n] sum[b] : (tensor<3x?xf32>) -> tensor<3xf32>
    %p = ein.einsum div(%e[n, b], %s[n]) -> [n, b] : (tensor<3x?xf32>, tensor<3xf32>) -> tensor<3x?xf32>
    ein.yield %p : tensor<3x?xf32>
  }
  return %r : tensor<3x?xf32>
}
"""

# Blocks of a dynamic length: the inner extent is w's.
SIZED_BY_INPUT = """
func.func @f(%x: tensor<2x?xf32>, %w: tensor<?xf32>) -> tensor<2x5xf32> {
  %r = ein.cascade [n, m1, m0] -> (tensor<2x5xf32>) {
    %y = ein.einsum mul(%x[n, m1 * 4 + m0], %w[m0]) -> [n, m1] sum[m0] : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x5xf32>
    ein.yield %y : tensor<2x5xf32>
  }
  return %r : tensor<2x5xf32>
}
"""

OPTIONS = ["", "online-normalize=false deferred-normalize=false", "threads=true",
           "tile-size=3"]


@pytest.mark.parametrize("options", OPTIONS)
def test_two_level_sum(options):
    x = np.random.default_rng(0).standard_normal((5, 256)).astype(np.float32)
    out = einfuse.compile(TWO_LEVEL, options=options).f(x, out=poisoned(5))
    naive = np.zeros(5, np.float32)
    for j in range(256):
        naive += x[:, j]
    check(out, x.astype(np.float64).sum(1), naive, floor=1e-6)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("blocks", [1, 5, 40])
def test_block_softmax(options, blocks):
    x = (np.random.default_rng(blocks).standard_normal((3, blocks * 8)) * 3).astype(np.float32)

    def ref(dt):
        bm = x.astype(dt).reshape(3, blocks, 8).max(2)
        e = np.exp(bm - bm.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True, dtype=dt)

    src = (BLOCK_SOFTMAX.replace("b = B", f"b = {blocks}")
           .replace("%x: tensor<3x?xf32>", f"%x: tensor<3x{8 * blocks}xf32>")
           .replace("(tensor<3x?xf32>) -> tensor<3x?xf32>", f"(tensor<3x{8 * blocks}xf32>) -> tensor<3x?xf32>", 1)
           .replace("3x?x", f"3x{blocks}x"))
    out = einfuse.compile(src, options=options).f(x, out=poisoned((3, blocks)))
    check(out, ref(np.float64), ref(np.float32), floor=1e-6)


@pytest.mark.parametrize("options", OPTIONS)
def test_sized_by_input(options):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 20)).astype(np.float32)
    w = rng.standard_normal(4).astype(np.float32)
    out = einfuse.compile(SIZED_BY_INPUT, options=options).f(x, w, out=poisoned((2, 5)))
    ref = (x.astype(np.float64).reshape(2, 5, 4) * w.astype(np.float64)).sum(2)
    naive = np.zeros((2, 5), np.float32)
    for j in range(4):
        naive += x.reshape(2, 5, 4)[:, :, j] * w[j]
    check(out, ref, naive, floor=1e-6)
