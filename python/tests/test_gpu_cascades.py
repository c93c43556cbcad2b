"""The shared GPU lowering on every kind of cascade: row-wise cascades
(softmax, log-softmax, cross-entropy, layer / RMS norm, RMS norm + matmul),
sigmoid and hand-written GQA attention, `ein.attention` variants and
`ein.qmatmul` formats (the families of gpu_cases.py), each on at least 110
cases of awkward shapes per group.

Every case: outputs poisoned with NaN, the kernel run twice (the two results
bitwise equal), each output checked per element against a float64 reference
with the numerics contract (|out - ref64| <= 2 max|naive - ref64| + floor;
NaN/Inf where the reference is finite fails); bit-exact cases (qmatmul on
small integers, power-of-two scales) must equal the exact result rounded
once to the output dtype; fully masked attention rows must be exactly 0.

Target: EINFUSE_TEST_GPU_TARGET (default nvidia:sm_90a when torch sees a
CUDA device; the tests are skipped otherwise). With
EINFUSE_TEST_GPU_TARGET=cpu the same kernels and references run on CPU
tensors (target="cpu"). On a GPU machine without the compiler:
`python python/tests/gpu_cases.py DIR nvidia:sm_90a` here, then
EINFUSE_TEST_PREBUILT=DIR there. EINFUSE_TEST_GPU_REPORT=FILE appends one
JSON line per checked output (family, case, max error, bound)."""

import json
import os

import pytest

torch = pytest.importorskip("torch")

import gpu_cases as gc  # noqa: E402

TARGET = gc.gpu_target()
if TARGET is None:
    pytest.skip("no CUDA device (set EINFUSE_TEST_GPU_TARGET=cpu to run on the host)",
                allow_module_level=True)
DEVICE = "cpu" if TARGET.startswith("cpu") else "cuda"
if DEVICE == "cuda":
    if not torch.cuda.is_available():
        pytest.skip(f"target {TARGET} needs a GPU that torch sees", allow_module_level=True)
    if "sm_90a" in TARGET and torch.version.cuda and torch.cuda.get_device_capability() < (9, 0):
        pytest.skip(f"the kernels are compiled for {TARGET}", allow_module_level=True)

LARGE = DEVICE != "cpu"  # the GPU also gets sizes past the larger tiles
CASCADES = gc.cases("cascade", LARGE)
ATTENTION = gc.cases("attention", LARGE)
QMATMUL = gc.cases("qmatmul", LARGE)
MIN_CASES = 110


@pytest.fixture(scope="module")
def kernels(build_module):
    """family -> its compiled kernel; each module is compiled (or loaded)
    once, and a compile error is reported by every case of its family."""
    built = {}

    def get(family):
        if family.key not in built:
            try:
                built[family.key] = build_module(family.key, family.source, target=TARGET,
                                                 name=family.key)
            except Exception as e:  # noqa: BLE001 (pytest's skip is not an Exception)
                built[family.key] = e
        module = built[family.key]
        if isinstance(module, Exception):
            text = str(module)
            pytest.fail(f"{family.key} ({family.notes or family.group}) did not compile for "
                        f"{TARGET}: {type(module).__name__}: {text[:4000]}", pytrace=False)
        return module[family.name]

    return get


def _report(family, case, i, err, bound):
    path = os.environ.get("EINFUSE_TEST_GPU_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(dict(target=TARGET, family=family.name, group=family.group,
                                    case=case.id, output=i, err=err, bound=bound,
                                    exact=case.exact)) + "\n")


def run_case(kernels, family, case):
    kernel = kernels(family)
    inputs = family.make_inputs(case, DEVICE)
    first = gc.run(kernel, inputs, family.outputs(case), DEVICE)
    second = gc.run(kernel, inputs, family.outputs(case), DEVICE)
    for i, (a, b) in enumerate(zip(first, second)):
        assert torch.equal(gc.bits(a), gc.bits(b)), \
            f"{case.id}: output {i} differs between two runs ({int((gc.bits(a) != gc.bits(b)).sum())} elements)"
    refs = family.reference(inputs, case)
    naives = None if case.exact else family.naive(inputs, case)
    zeros = family.zero_rows(inputs, case) if family.zero_rows else [None] * len(first)
    for i, (out, ref) in enumerate(zip(first, refs)):
        what = f"{case.id} output {i}"
        if case.exact:
            expected = ref.to(out.dtype)  # exact in f64 and f32: one rounding
            bad = out.double() != expected.double()
            assert not bad.any(), (
                f"{what}: not bit-exact: {int(bad.sum())} of {out.numel()} elements differ, first "
                f"at {tuple(bad.nonzero()[0].tolist())}: out "
                f"{float(out[tuple(bad.nonzero()[0].tolist())])}, expected "
                f"{float(expected[tuple(bad.nonzero()[0].tolist())])}")
            _report(family, case, i, 0.0, 0.0)
        else:
            err, bound = gc.check(out, ref, naives[i], family.floor, what)
            _report(family, case, i, err, bound)
        if zeros[i] is not None and zeros[i].any():
            dead = out[zeros[i]]
            assert torch.equal(dead.double(), torch.zeros_like(dead, dtype=torch.float64)), \
                f"{what}: fully masked rows are not 0"


def _ids(cases):
    return [c.id for _, c in cases]


@pytest.mark.parametrize("family,case", CASCADES, ids=_ids(CASCADES))
def test_cascade(kernels, family, case):
    run_case(kernels, family, case)


@pytest.mark.parametrize("family,case", ATTENTION, ids=_ids(ATTENTION))
def test_attention(kernels, family, case):
    run_case(kernels, family, case)


@pytest.mark.parametrize("family,case", QMATMUL, ids=_ids(QMATMUL))
def test_qmatmul(kernels, family, case):
    run_case(kernels, family, case)


def test_case_counts():
    """At least 110 cases per group, with the awkward shapes the contract asks for."""
    for name, group in (("cascade", CASCADES), ("attention", ATTENTION), ("qmatmul", QMATMUL)):
        assert len(group) >= MIN_CASES, (name, len(group))
    dims = [c.dims for _, c in CASCADES + ATTENTION]
    seen = {v for d in dims for v in d.values()}
    assert {1, 63, 64, 65, 127, 129}.issubset(seen) and {2, 3, 5, 7, 13, 17, 31} & seen
    assert any(d.get("sq") != d.get("sk") for d in dims if "sq" in d)
    names = {f.name for f, _ in QMATMUL}
    assert names == {f.name for f, c in QMATMUL if c.dims["m"] == 1}
    assert sum(c.exact for _, c in QMATMUL) >= 50
