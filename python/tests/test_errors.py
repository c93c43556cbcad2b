"""Errors: compile errors with located diagnostics, and shape / dtype errors
raised before a kernel runs."""

import re

import numpy as np
import pytest

import einfuse
from einfuse import ops

import helpers

TYPO = """\
func.func @attention(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ein.attention %q, %k, %v {casual} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
"""


def test_typo_attribute():
    with pytest.raises(einfuse.CompileError) as info:
        einfuse.compile(TYPO)
    e = info.value
    assert e.diagnostics, "no diagnostics"
    assert any(re.search(r":2:\d+: error:", d) for d in e.diagnostics), e.diagnostics
    assert any("causal" in d for d in e.diagnostics), e.diagnostics  # did you mean 'causal'?
    for d in e.diagnostics:
        assert d in str(e)


def test_error_names_the_file(tmp_path):
    path = tmp_path / "broken.mlir"
    path.write_text(TYPO)
    with pytest.raises(einfuse.CompileError) as info:
        einfuse.compile(path)
    assert any(d.startswith(f"{path}:2:") and ": error:" in d for d in info.value.diagnostics), \
        info.value.diagnostics


def test_syntax_error():
    with pytest.raises(einfuse.CompileError) as info:
        einfuse.compile("func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n  return %y : tensor<4xf32>\n}\n")
    assert any(re.search(r":\d+:\d+: error:", d) for d in info.value.diagnostics)


def test_gpu_shared_lowering():
    # f32 attention is not one of the hand-written GPU kernels: it comes out
    # of the shared GPU lowering, as one kernel derived from its cascade.
    module = einfuse.compile(ops.attention(heads=2, head_dim=64), target="nvidia:sm_90a",
                             emit="assembly")
    ptx = next(v for k, v in module.artifacts.items() if k.endswith(".ptx")).decode()
    assert ".visible .entry attention_kernel(" in ptx
    assert "ex2.approx.f32" in ptx


@pytest.mark.parametrize("target,options", [("tpu", ""), ("cpu", "no-such-option=1")])
def test_bad_target_or_options(target, options):
    with pytest.raises(einfuse.CompileError):
        einfuse.compile(ops.attention(heads=2, head_dim=16), target=target, options=options)


def test_bad_arguments_to_compile():
    with pytest.raises(TypeError):
        einfuse.compile(42)
    with pytest.raises(ValueError):
        einfuse.compile(TYPO, name="not an identifier")
    with pytest.raises(ValueError):
        einfuse.compile(TYPO, emit="everything")


@pytest.mark.parametrize("kwargs,message", [
    (dict(heads=6, kv_heads=4, head_dim=64), "multiple of kv_heads"),
    (dict(heads=0, head_dim=64), "heads must be >= 1"),
    (dict(heads=2, head_dim=None), "head_dim is required"),
    (dict(heads=2, head_dim=64, dtype="f64"), "dtype must be one of"),
    (dict(heads=2, head_dim=64, window=(1,)), "window must be a pair"),
    (dict(heads=2, head_dim=64, window=(-2, 0)), "window left bound"),
    (dict(heads=2, head_dim=64, align="middle"), "align must be one of"),
    (dict(heads=2, head_dim=64, mask="float"), "mask must be"),
    (dict(heads=2, head_dim=64, softcap=-1.0), "softcap must be > 0"),
    (dict(heads=2, head_dim=64, scale=float("nan")), "scale must be finite"),
    (dict(heads=2, head_dim=64, batch=2.5), "batch must be"),
])
def test_attention_builder_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.attention(**kwargs)


@pytest.mark.parametrize("kwargs,message", [
    (dict(n=8, k=100, group_size=64), "must divide k"),
    (dict(n=8, k=63, group_size=21, kind="int4"), "must be even"),
    (dict(n=8, k=64, group_size=32, kind="int3"), "kind must be one of"),
    (dict(n=8, k=64, group_size=32, scale_dtype="i8"), "scale_dtype must be one of"),
    (dict(n=8, k=64, group_size=32, zero_point="yes"), "zero_point must be"),
])
def test_qmatmul_builder_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.qmatmul(**kwargs)


def test_builder_name():
    with pytest.raises(ValueError, match="C identifier"):
        ops.attention("my-kernel", heads=2, head_dim=16)


@pytest.fixture(scope="module")
def small():
    """Static sizes except the batch: [?, 4, 8, 16] over [?, 2, 12, 16]."""
    return einfuse.compile(ops.attention("small", heads=4, kv_heads=2, seq_q=8, seq_k=12,
                                         head_dim=16))


def qkv(b=2, sq=8, sk=12, hq=4, hkv=2, dtype=np.float32):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((b, hq, sq, 16)).astype(dtype),
            rng.standard_normal((b, hkv, sk, 16)).astype(dtype),
            rng.standard_normal((b, hkv, sk, 16)).astype(dtype))


def test_runs(small):
    q, k, v = qkv()
    out = small.small(q, k, v, out=helpers.poisoned((2, 4, 8, 16)))
    ref = helpers.attention(q, k, v)
    helpers.check(out, ref, helpers.attention(q, k, v, dtype=np.float32), 1e-6)


@pytest.mark.parametrize("change,pattern", [
    (lambda q, k, v: (q[:1], k, v), r"small: sizes that must be equal differ: q dim 0 = 1, k dim 0 = 2"),
    (lambda q, k, v: (q[:, :, :7], k, v), r"small: argument 'q' \(input\) dim 2 is 7, expected 8"),
    (lambda q, k, v: (q, k[:, :1], v), r"argument 'k' \(input\) dim 1 is 1, expected 2"),
    (lambda q, k, v: (q[0], k, v), r"argument 'q' \(input\) has rank 3"),
])
def test_shape_errors_before_the_call(small, change, pattern):
    out = helpers.poisoned((2, 4, 8, 16))
    with pytest.raises(einfuse.ShapeError, match=pattern):
        small.small(*change(*qkv()), out=out)
    assert np.isnan(out).all()  # nothing was written


def test_out_shape_checked(small):
    out = helpers.poisoned((3, 4, 8, 16))
    with pytest.raises(einfuse.ShapeError, match=r"q dim 0 = 2, .*dim 0 = 3"):
        small.small(*qkv(), out=out)
    assert np.isnan(out).all()


def test_dtype_errors(small):
    q, k, v = qkv()
    out = helpers.poisoned((2, 4, 8, 16))
    with pytest.raises(einfuse.DTypeError, match=r"small: input 'k' has dtype float64, expected f32"):
        small.small(q, k.astype(np.float64), v, out=out)
    with pytest.raises(einfuse.DTypeError, match=r"output '.*' has dtype float16, expected f32"):
        small.small(q, k, v, out=np.empty((2, 4, 8, 16), np.float16))
    assert issubclass(einfuse.DTypeError, TypeError) and issubclass(einfuse.ShapeError, ValueError)
    assert np.isnan(out).all()


def test_out_handling(small):
    q, k, v = qkv()
    with pytest.raises(TypeError, match="out= needs 1"):
        small.small(q, k, v, out=(helpers.poisoned((2, 4, 8, 16)),) * 2)
    with pytest.raises(ValueError, match="C-contiguous"):
        small.small(q, k, v, out=helpers.poisoned((2, 4, 16, 8)).transpose(0, 1, 3, 2))
    out = helpers.poisoned((2, 4, 8, 16))
    assert small.small(q, k, v, out=(out,)) is out  # a tuple of one works too
    assert not np.isnan(out).any()


def test_argument_binding(small):
    q, k, v = qkv()
    with pytest.raises(TypeError, match="missing input"):
        small.small(q, k)
    with pytest.raises(TypeError, match="unexpected argument"):
        small.small(q, k, v, w=v)
    with pytest.raises(TypeError, match="takes 3 inputs"):
        small.small(q, k, v, v)


def test_kernel_status(small):
    # The launcher's own checks: sizes that disagree give status -2, raised
    # as KernelError with the signature's message (the Python checks are
    # bypassed here on purpose).
    q, k, v = qkv()
    out = helpers.poisoned((2, 4, 8, 16))
    kernel = small.small
    buffers = {0: q.ctypes.data, 1: k.ctypes.data, 2: v.ctypes.data, 3: out.ctypes.data}
    shapes = {0: (2, 4, 8, 16), 1: (3, 2, 12, 16), 2: (2, 2, 12, 16), 3: (2, 4, 8, 16)}
    with pytest.raises(einfuse.KernelError) as info:
        kernel._run(buffers, shapes)
    assert info.value.code == -2
    assert small.signature["status_codes"]["-2"] in str(info.value)
    assert np.isnan(out).all()


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no-such-kernel.mlir"):
        einfuse.compile("no-such-kernel.mlir")
