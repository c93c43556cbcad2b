"""General cascades (hand-written Ein), given as files: softmax and a
matrix-vector product, against NumPy."""

import pathlib

import numpy as np
import pytest

import einfuse

import helpers

SOFTMAX = """\
// softmax over the last rank, dynamic sizes
func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [p, m] -> (tensor<?x?xf32>) {
    %gm = ein.einsum copy(%x[p, m]) -> [p] max[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%x[p, m], %gm[p]) -> [p, m] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %sn = ein.einsum exp(%d[p, m]) -> [p, m] : (tensor<?x?xf32>) -> tensor<?x?xf32>
    %sd = ein.einsum copy(%sn[p, m]) -> [p] sum[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    %a = ein.einsum div(%sn[p, m], %sd[p]) -> [p, m] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %a : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}
"""

MATVEC = """\
// y[n] = sum over c of x[n, c] * w[c]; c ties x's columns to w
func.func @matvec(%x: tensor<?x?xf32>, %w: tensor<?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?xf32>) {
    %y = ein.einsum mul(%x[n, c], %w[c]) -> [n] sum[c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?xf32>
    ein.yield %y : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}
"""


@pytest.fixture(scope="module")
def softmax(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "softmax.mlir"
    path.write_text(SOFTMAX)
    return einfuse.compile(str(path))  # a str path that ends in .mlir


@pytest.fixture(scope="module")
def matvec(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "matrix-vector.mlir"
    path.write_text(MATVEC)
    return einfuse.compile(pathlib.Path(path))  # an os.PathLike


def softmax_ref(x, dtype):
    x = x.astype(dtype)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("shape", [(3, 37), (1, 1), (16, 65), (7, 1000)])
def test_softmax(softmax, shape):
    rng = np.random.default_rng(shape[1])
    x = rng.uniform(-8, 8, size=shape).astype(np.float32)
    out = softmax.softmax(x, out=helpers.poisoned(shape))
    helpers.check(out, softmax_ref(x, np.float64), softmax_ref(x, np.float32), 1e-6, str(shape))


def test_module_named_after_file(softmax, matvec):
    assert softmax.name == "softmax"
    assert "softmax.o" in softmax.artifacts
    assert matvec.name == "matrix_vector"  # the file stem, as a C identifier
    assert list(matvec.kernels) == ["matvec"]


def test_matvec(matvec):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 33), dtype=np.float32)
    w = rng.standard_normal(33, dtype=np.float32)
    y = matvec.matvec(x, w)
    assert y.shape == (5,)
    helpers.check(y, x.astype(np.float64) @ w.astype(np.float64), x @ w, 1e-5)
    # Plain Python data is converted to the kernel's dtype.
    np.testing.assert_array_equal(matvec.matvec(x.tolist(), w.tolist()), y)


def test_matvec_size_group(matvec):
    x = np.ones((5, 33), np.float32)
    w = np.ones(32, np.float32)
    with pytest.raises(einfuse.ShapeError, match=r"matvec: .*x dim 1 = 33.*w dim 0 = 32"):
        matvec.matvec(x, w)
    out = helpers.poisoned(4)
    with pytest.raises(einfuse.ShapeError, match=r"x dim 0 = 5.*dim 0 = 4"):
        matvec.matvec(x, np.ones(33, np.float32), out=out)
    assert np.isnan(out).all()  # nothing ran


STATS = """\
func.func @stats(%x: tensor<?x?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %a, %b = ein.cascade [p, m] -> (tensor<?xf32>, tensor<?xf32>) {
    %mx = ein.einsum copy(%x[p, m]) -> [p] max[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    %s = ein.einsum copy(%x[p, m]) -> [p] sum[m] : (tensor<?x?xf32>) -> tensor<?xf32>
    ein.yield %mx, %s : tensor<?xf32>, tensor<?xf32>
  }
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}
"""


def test_two_outputs():
    mod = einfuse.compile(STATS)  # MLIR text
    assert mod.name == "kernels" and mod.stats.outputs == ["out0", "out1"]
    x = np.random.default_rng(0).uniform(-4, 4, size=(6, 45)).astype(np.float32)
    row_max, row_sum = mod.stats(x)
    np.testing.assert_array_equal(row_max, x.max(axis=1))
    helpers.check(row_sum, x.astype(np.float64).sum(axis=1), x.sum(axis=1), 1e-5)
    outs = (helpers.poisoned(6), helpers.poisoned(6))
    result = mod.stats(x, out=outs)
    assert result[0] is outs[0] and result[1] is outs[1]
    np.testing.assert_array_equal(outs[0], row_max)
    with pytest.raises(TypeError, match="out= needs 2"):
        mod.stats(x, out=outs[0])
