"""The package's API: versions, the artifacts and the signature, save/load,
the cache, GPU artifacts compiled without a GPU."""

import json
import os
import shutil

import numpy as np
import pytest

import einfuse
from einfuse import ops

import helpers

ATTENTION = ops.attention("attn", heads=4, kv_heads=2, head_dim=32, causal=True)


@pytest.fixture(scope="module")
def attn():
    return einfuse.compile(ATTENTION, options="threads=true")


def test_versions():
    assert einfuse.api_version() == 1
    assert einfuse.compiler_version() == einfuse.__version__ == "0.1.0"


def test_artifacts(attn):
    assert set(attn.artifacts) == {"attn.o", "attn.h", "attn.c", "attn.json"}
    assert all(isinstance(v, bytes) and v for v in attn.artifacts.values())
    assert attn.artifacts["attn.o"][:4] == b"\x7fELF"
    assert attn.header == attn.artifacts["attn.h"].decode()
    assert "attn(const float *q, int64_t q_dim0" in attn.header
    assert '#include "attn.h"' in attn.artifacts["attn.c"].decode()
    assert attn.target.startswith("cpu")
    assert json.loads(attn.artifacts["attn.json"]) == attn.signature


def test_signature(attn):
    sig = attn.signature
    assert sig["format"] == "einfuse-signature" and sig["version"] == 1
    assert sig["name"] == "attn" and sig["runtime"] == "host"
    assert sig["einfuse_version"] == einfuse.__version__
    assert "0" in sig["status_codes"] and "-2" in sig["status_codes"]
    (kernel,) = sig["kernels"]
    assert kernel["name"] == "attn"
    args = kernel["args"]
    assert [a["role"] for a in args] == ["input", "input", "input", "output"]
    assert [a["name"] for a in args[:3]] == ["q", "k", "v"]
    assert args[0]["shape"] == [None, 4, None, 32]
    assert args[1]["shape"] == [None, 2, None, 32]
    assert all(a["dtype"] == "f32" and a["c_type"] == "float" and a["element_bytes"] == 4 for a in args)
    params = kernel["params"]
    assert params[0] == {"kind": "buffer", "arg": 0, "name": "q"}
    assert {"kind": "size", "arg": 0, "dim": 0, "name": "q_dim0"} in params
    assert not any(p["kind"] == "stream" for p in params)
    groups = [sorted(map(tuple, g["dims"])) for g in kernel["size_groups"]]
    assert [(0, 0), (1, 0), (2, 0), (3, 0)] in groups  # the batch
    assert [(1, 2), (2, 2)] in groups  # S_k
    assert attn.attn.inputs == ["q", "k", "v"]
    assert "attn(q: f32[?, 4, ?, 32]" in repr(attn.attn)


def test_threads_and_cache(attn):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((3, 4, 70, 32), dtype=np.float32)
    k = rng.standard_normal((3, 2, 70, 32), dtype=np.float32)
    v = rng.standard_normal((3, 2, 70, 32), dtype=np.float32)
    out = attn.attn(q, k, v, out=helpers.poisoned((3, 4, 70, 32)))
    helpers.check(out, helpers.attention(q, k, v, causal=True),
                  helpers.attention(q, k, v, causal=True, dtype=np.float32), 1e-6)
    path = attn.library_path
    assert path.name == "libattn.so"
    assert path.parent.parent == __import__("pathlib").Path(os.environ["EINFUSE_CACHE_DIR"])
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        ["attn.o", "attn.h", "attn.c", "attn.json", "libattn.so"])


def test_save_and_load(attn, tmp_path):
    saved = attn.save(tmp_path / "saved")
    assert sorted(os.listdir(saved)) == sorted(attn.artifacts)
    again = einfuse.load(saved, options="threads=true")
    assert again.artifacts == attn.artifacts and again.signature == attn.signature
    rng = np.random.default_rng(1)
    q = rng.standard_normal((1, 4, 9, 32), dtype=np.float32)
    k = rng.standard_normal((1, 2, 9, 32), dtype=np.float32)
    np.testing.assert_array_equal(again.attn(q, k, k), attn.attn(q, k, k))
    assert again.library_path == attn.library_path  # same artifacts: same cache entry


def test_module_access(attn):
    assert attn["attn"] is attn.attn
    assert list(attn) == [attn.attn] and len(attn) == 1
    with pytest.raises(AttributeError, match="no kernel 'nope'"):
        attn.nope
    with pytest.raises(KeyError):
        attn["nope"]


def test_nvidia_assembly_without_a_gpu():
    mod = einfuse.compile(ops.attention("gpu_attn", heads=8, kv_heads=2, head_dim=128,
                                        dtype="bf16", causal=True),
                          target="nvidia:sm_90a", emit="assembly")
    names = set(mod.artifacts)
    assert {"gpu_attn.h", "gpu_attn.json"} <= names
    assert any(n.endswith(".ptx") for n in names), names
    assert not any(n.endswith(".cubin") for n in names), names
    assert mod.signature["runtime"] == "cuda"
    (kernel,) = mod.signature["kernels"]
    assert kernel["params"][-1]["kind"] == "stream"
    assert all(a["dtype"] == "bf16" and a["element_bytes"] == 2 for a in kernel["args"])
    assert "CUstream" in mod.header


@pytest.mark.skipif(not os.path.exists(os.path.join(os.environ.get("CUDA_PATH", "/usr/local/cuda"),
                                                    "bin", "ptxas")), reason="no ptxas")
def test_nvidia_binaries_for_two_chips():
    mod = einfuse.compile(ops.attention("two", heads=4, head_dim=64, dtype="f16"),
                          target="nvidia:sm_80,sm_90a")
    names = set(mod.artifacts)
    assert {"two.sm_80.cubin", "two.sm_90a.cubin", "two.c", "two.h", "two.json"} <= names, names
    assert mod.artifacts["two.sm_90a.cubin"][:4] == b"\x7fELF"


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None
                    and shutil.which("clang-22") is None, reason="no C compiler")
def test_link_error_is_reported(attn, monkeypatch):
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    mod = einfuse.Module(attn.artifacts, attn.signature)
    with pytest.raises(einfuse.LinkError, match="failed"):
        mod.attn(np.zeros((1, 4, 1, 32), np.float32), np.zeros((1, 2, 1, 32), np.float32),
                 np.zeros((1, 2, 1, 32), np.float32))


def test_bf16_bits_helpers():
    x = np.array([1.0, -2.5, 3.140625, 1e-3, np.inf], np.float32)
    bits = einfuse.to_bf16_bits(x)
    assert bits.dtype == np.uint16
    back = einfuse.from_bf16_bits(bits)
    np.testing.assert_array_equal(back[:3], x[:3])
    assert abs(back[3] - 1e-3) < 1e-5 and np.isinf(back[4])


def test_underivable_output(attn):
    assert attn.attn.spec.underivable() == []
    assert attn.attn.output_shapes((2, 4, 5, 32), (2, 2, 9, 32), (2, 2, 9, 32)) == [(2, 4, 5, 32)]
    with pytest.raises(einfuse.ShapeError):
        attn.attn.output_shapes((2, 4, 5, 32), (3, 2, 9, 32), (3, 2, 9, 32))


def test_api_version_mismatch_is_an_import_error(tmp_path):
    import subprocess
    import sys

    from einfuse import _build

    fake = tmp_path / "fake.c"
    fake.write_text("int einfuseGetAPIVersion(void) { return 999; }\n")
    lib = tmp_path / "libEinfuse.so"
    subprocess.run(_build.c_compiler() + ["-shared", "-fPIC", "-o", str(lib), str(fake)], check=True)
    env = dict(os.environ, EINFUSE_LIBRARY=str(lib),
               PYTHONPATH=os.path.dirname(os.path.dirname(einfuse.__file__)))
    done = subprocess.run([sys.executable, "-c", "import einfuse"], env=env,
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "ImportError" in done.stderr and "C API version 999" in done.stderr, done.stderr
