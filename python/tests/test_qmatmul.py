"""Quantized matmul on the CPU against NumPy dequantize + matmul: bit exact
on integer inputs with power-of-two scales, within the numerics contract
(floor 1e-5) on random ones."""

import numpy as np
import pytest

import einfuse
from einfuse import ops

import helpers

FLOOR = 1e-5  # f32 qmatmul (docs/numerics.md)


@pytest.fixture(scope="module")
def int8():
    return einfuse.compile(ops.qmatmul("qmm_int8", n=24, k=64, kind="int8", group_size=32))


@pytest.fixture(scope="module")
def int4():
    return einfuse.compile(ops.qmatmul("qmm_int4", n=16, k=128, kind="int4", group_size=32,
                                       zero_point=True))


def exact_inputs(rng, m, n, k, groups, lo, hi):
    x = rng.integers(-4, 5, size=(m, k)).astype(np.float32)
    q = rng.integers(lo, hi + 1, size=(n, k))
    scales = (2.0 ** rng.integers(-1, 2, size=(n, groups))).astype(np.float32)
    return x, q, scales


@pytest.mark.parametrize("m", [1, 7, 33])
def test_int8_exact(int8, m):
    rng = np.random.default_rng(m)
    x, q, scales = exact_inputs(rng, m, 24, 64, 2, -128, 127)
    out = int8.qmm_int8(x, q.astype(np.int8), scales, out=helpers.poisoned((m, 24)))
    expected = x.astype(np.float64) @ helpers.dequantize(q, scales).T
    np.testing.assert_array_equal(out, expected)


def test_int8_random(int8):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 64), dtype=np.float32)
    q = rng.integers(-128, 128, size=(24, 64))
    scales = rng.uniform(0.001, 0.02, size=(24, 2)).astype(np.float32)
    out = int8.qmm_int8(x, q.astype(np.int8), scales)
    ref = x.astype(np.float64) @ helpers.dequantize(q, scales).T
    naive = x @ helpers.dequantize(q, scales, dtype=np.float32).T
    helpers.check(out, ref, naive, FLOOR)


def test_int4_exact_with_zero_points(int4):
    rng = np.random.default_rng(2)
    x, q, scales = exact_inputs(rng, 9, 16, 128, 4, -8, 7)
    zeros = rng.integers(-2, 3, size=(16, 4)).astype(np.float32)
    packed = helpers.pack_int4(q)
    assert packed.shape == (16, 64) and packed.dtype == np.int8
    out = int4.qmm_int4(x, packed, scales, zeros, out=helpers.poisoned((9, 16)))
    expected = x.astype(np.float64) @ helpers.dequantize(q, scales, zeros).T
    np.testing.assert_array_equal(out, expected)


def test_int4_random(int4):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((13, 128), dtype=np.float32)
    q = rng.integers(-8, 8, size=(16, 128))
    scales = rng.uniform(0.01, 0.1, size=(16, 4)).astype(np.float32)
    zeros = rng.uniform(-1, 1, size=(16, 4)).astype(np.float32)
    # Packed bytes given as uint8 (i8 is signless): the same bits.
    packed = helpers.pack_int4(q).view(np.uint8)
    out = int4.qmm_int4(x, packed, scales, zeros)
    ref = x.astype(np.float64) @ helpers.dequantize(q, scales, zeros).T
    naive = x @ helpers.dequantize(q, scales, zeros, dtype=np.float32).T
    helpers.check(out, ref, naive, FLOOR)


def test_signature_shapes(int4):
    args = {a["name"]: a for a in int4.signature["kernels"][0]["args"]}
    assert args["w"]["dtype"] == "i8" and args["w"]["shape"] == [16, 64]
    assert args["scales"]["shape"] == [16, 4]
    assert args["x"]["shape"] == [None, 128]


# Split-K of ein.qmatmul (split-rank=k): the packed weights (k floordiv 2)
# and the group scales and zeros (k floordiv group) are tiled with every
# tile and worker chunk starting at a multiple of each divisor (the tile
# size rounded up to their lcm). Small M with a long K, as at decode.
SPLITS = ["", "split-rank=k workers=4", "split-rank=k workers=3 tile-size=10",
          "split-rank=k workers=64 tile-size=1", "split-rank=k workers=7 threads=true"]


@pytest.mark.parametrize("options", SPLITS)
@pytest.mark.parametrize("kind,group,zero", [("int4", 32, True), ("uint4", 128, False),
                                             ("int8", 64, False)])
@pytest.mark.parametrize("m", [1, 3])
def test_split_k(options, kind, group, zero, m):
    n, k = 8, 1024
    src = ops.qmatmul("qmm", n=n, k=k, kind=kind, group_size=group, zero_point=zero)
    kernel = _split_compiled(src, options)
    rng = np.random.default_rng(m + group)
    lo, hi = {"int4": (-8, 7), "uint4": (0, 15), "int8": (-128, 127)}[kind]
    x = rng.standard_normal((m, k), dtype=np.float32)
    q = rng.integers(lo, hi + 1, size=(n, k))
    scales = rng.uniform(0.01, 0.1, size=(n, k // group)).astype(np.float32)
    args = [x, helpers.pack_int4(q) if kind != "int8" else q.astype(np.int8), scales]
    zeros = None
    if zero:
        zeros = rng.uniform(-1, 1, size=(n, k // group)).astype(np.float32)
        args.append(zeros)
    out = kernel(*args, out=helpers.poisoned((m, n)))
    ref = x.astype(np.float64) @ helpers.dequantize(q, scales, zeros).T
    # The contract's naive code sums in order (BLAS blocks its sums).
    w32 = helpers.dequantize(q, scales, zeros, dtype=np.float32)
    naive = np.zeros((m, n), np.float32)
    for j in range(k):
        naive += x[:, j, None] * w32[None, :, j]
    helpers.check(out, ref, naive, FLOOR, what=f"{kind} {options}")


_split_cache = {}


def _split_compiled(src, options):
    key = (str(src), options)
    if key not in _split_cache:
        _split_cache[key] = einfuse.compile(src, options=options).qmm
    return _split_cache[key]
