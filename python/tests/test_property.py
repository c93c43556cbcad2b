"""Property test of the cascade rewrites (issue 10): random cascades
(cascadegen.py) compiled with the rewrites off and on, run on random inputs
(outputs poisoned with NaN), every result checked against the float64
NumPy reference under the numerics contract (helpers.check: per element
|out - ref64| <= 2 * max |naive f32 - ref64| + floor; elements whose
reference is not finite, possible where a reduced rank is empty, are not
compared, as docs/design.md says).

Environment:
  EINFUSE_PROPERTY_CASES    number of cases (default 1000)
  EINFUSE_PROPERTY_SEED     first seed (default 1); case i has seed SEED + i
  EINFUSE_PROPERTY_ONLY     comma-separated seeds to replay (overrides the two above)
  EINFUSE_PROPERTY_OPTIONS  "rotate" (default: every case off, default and one
                            more option set of ROTATION, by batch), "all" (every
                            option set on every case), or option sets separated
                            by ';' (each run on every case, besides OFF)
  EINFUSE_PROPERTY_BATCH    cascades per compiled module (default 40)
  EINFUSE_PROPERTY_JOBS     compiler processes (default 2)
  EINFUSE_PROPERTY_DUMP     folder for failing cases (<seed>.mlir, <seed>.npz);
                            default: pytest's temporary folder
  EINFUSE_OPT               einfuse-opt, to count which rewrites fired (default:
                            build/bin/einfuse-opt when it exists; the counts are
                            skipped without one)

Compiles run in a pool of processes, a module of BATCH kernels per compile,
so that a crash of the compiler fails the cases of that module (found by
bisection) instead of the test run.

Replay one case: EINFUSE_PROPERTY_ONLY=<seed> pytest python/tests/test_property.py
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import multiprocessing
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

import einfuse

import cascadegen
from helpers import check

# Features of the generator (cascadegen.FEATURES) left out while the
# compiler has a known bug with them: name -> the bug, and its reproducer.
# Remove an entry to re-enable the feature once the bug is fixed.
KNOWN_BUGS: Dict[str, str] = {
    "static-empty-rank": "convert-ein-to-linalg: a static 0 dim of a tensor tiled along another "
                         "rank -> 'offset 1 is out-of-bounds: 0 >= 0' on tensor.extract_slice, "
                         "rewrites on or off (/tmp/property-bugs/static-zero-extent)",
}

OFF = "deferred-normalize=false online-normalize=false"
DEFAULT = ""
# Option sets of the rewrites on, besides the default; "rotate" gives each
# batch one of them (so each runs on len(cases) / len(ROTATION) cases).
ROTATION = [
    "tile-size=7 workers=3",
    "tile-size=1 workers=2",
    "online-normalize=false",
    "tile-size=5 workers=2 contractions=false",
    "tile-size=13 workers=64",
    "tile-size=2 parallel-rank=none",
    "tile-size=16 workers=4 threads=true",
]
# Pipeline options that choose the rewrites (the rest choose the lowering).
REWRITE_OPTIONS = {"deferred-normalize", "online-normalize", "tile-size", "workers"}

# The floor of the contract, relative to the largest |reference| of an
# output (at least 1): the cascades chain several reductions, so their
# outputs range far wider than a softmax's.
FLOOR = 1e-5

CASES = int(os.environ.get("EINFUSE_PROPERTY_CASES", "1000"))
SEED = int(os.environ.get("EINFUSE_PROPERTY_SEED", "1"))
ONLY = os.environ.get("EINFUSE_PROPERTY_ONLY", "").strip()
OPTIONS_MODE = os.environ.get("EINFUSE_PROPERTY_OPTIONS", "").strip()
BATCH = int(os.environ.get("EINFUSE_PROPERTY_BATCH", "40"))
JOBS = int(os.environ.get("EINFUSE_PROPERTY_JOBS", "2"))
COMPILE_TIMEOUT = 600


def seeds() -> List[int]:
    if ONLY:
        return [int(s) for s in re.split(r"[,\s]+", ONLY) if s]
    return list(range(SEED, SEED + CASES))


def batches() -> List[List[int]]:
    s = seeds()
    return [s[i:i + BATCH] for i in range(0, len(s), BATCH)]


def option_sets(batch: int) -> List[str]:
    """OFF first, then the option sets with the rewrites on for `batch`."""
    mode = OPTIONS_MODE or ("all" if ONLY else "rotate")
    if mode == "rotate":
        return [OFF, DEFAULT, ROTATION[batch % len(ROTATION)]]
    if mode == "all":
        return [OFF, DEFAULT] + ROTATION
    return [OFF] + [o.strip() for o in mode.split(";")]


def parse_options(options: str) -> Dict[str, str]:
    return dict(item.split("=", 1) for item in options.split())


def rewrite_passes(options: str) -> List[str]:
    """The einfuse-opt passes the CPU pipeline runs, with `options`, up to
    the rewrites (lib/Pipelines/Pipelines.cpp, buildCPUPipeline)."""
    o = parse_options(options)
    passes = ["--ein-decompose"]
    if o.get("deferred-normalize", "true") == "true":
        passes.append("--ein-deferred-normalize")
    if o.get("online-normalize", "true") == "true":
        passes.append(f"--ein-online-normalize=tile-size={o.get('tile-size', '64')} remarks=false")
        if o.get("workers", "1") != "1":
            passes.append(f"--ein-partition=workers={o['workers']}")
    elif o.get("workers", "1") != "1":
        passes.append(f"--ein-partition=workers={o['workers']}")
    return passes


# ---------------------------------------------------------------------------
# Compiling in worker processes
# ---------------------------------------------------------------------------

FUNC = re.compile(r"^ *func\.func @(\w+)\(", re.M)


def split_funcs(text: str) -> Dict[str, str]:
    """name -> text of each func.func of a module written by join_funcs."""
    starts = [(m.start(), m.group(1)) for m in FUNC.finditer(text)]
    return {name: text[s:(starts[i + 1][0] if i + 1 < len(starts) else len(text))]
            for i, (s, name) in enumerate(starts)}


def _compile_job(funcs: Dict[str, str], options: str, name: str):
    """Runs in a worker: compiles the funcs as one module and links it.
    A module that does not compile is compiled again func by func: the
    funcs that fail are reported with their diagnostics, the rest compiled
    together. Returns (artifacts, signature, header, {func: error})."""
    errors: Dict[str, str] = {}

    def build(names):
        m = einfuse.compile("".join(funcs[n] for n in names), options=options, name=name)
        m.load_library()  # links into the shared cache: the parent finds it there
        return m

    names = list(funcs)
    try:
        m = build(names)
    except einfuse.CompileError:
        good = []
        for n in names:
            try:
                einfuse.compile(funcs[n], options=options, name=name)
                good.append(n)
            except einfuse.CompileError as e:
                errors[n] = str(e)
        if not good:
            return None, None, None, errors
        m = build(good)
    return m.artifacts, m.signature, m.header, errors


class Compiler:
    """A pool of compiler processes that survives crashes: a job whose
    worker died is run again in a process of its own, its funcs bisected
    down to the ones that crash the compiler."""

    def __init__(self, jobs: int):
        self.ctx = multiprocessing.get_context("spawn")
        self.jobs = jobs
        self.pool = self._new_pool()

    def _new_pool(self):
        return cf.ProcessPoolExecutor(self.jobs, mp_context=self.ctx)

    def submit(self, funcs: Dict[str, str], options: str, name: str):
        return (self.pool.submit(_compile_job, funcs, options, name), funcs, options, name)

    def result(self, job):
        future, funcs, options, name = job
        try:
            return future.result(timeout=COMPILE_TIMEOUT)
        except cf.process.BrokenProcessPool:
            if self.pool._broken:  # a new pool for the jobs still queued
                self.pool = self._new_pool()
            return self._isolated(funcs, options, name)
        except cf.TimeoutError:
            return None, None, None, {n: f"compile did not finish in {COMPILE_TIMEOUT} s"
                                      for n in funcs}

    def _isolated(self, funcs, options, name):
        """The job in a process of its own; a crash bisects the funcs."""
        with cf.ProcessPoolExecutor(1, mp_context=self.ctx) as one:
            try:
                return one.submit(_compile_job, funcs, options, name).result(COMPILE_TIMEOUT)
            except cf.process.BrokenProcessPool:
                pass
        names = list(funcs)
        if len(names) == 1:
            return None, None, None, {names[0]: "the compiler crashed (its process died)"}
        half = len(names) // 2
        parts = [self._isolated({n: funcs[n] for n in part}, options, name)
                 for part in (names[:half], names[half:])]
        # Two modules: keep the first one's artifacts; the second half's funcs
        # are compiled once more with it in one module below.
        errors = {**parts[0][3], **parts[1][3]}
        good = {n: funcs[n] for n in names if n not in errors}
        if not good:
            return None, None, None, errors
        artifacts, signature, header, more = self._isolated(good, options, name)
        errors.update(more)
        return artifacts, signature, header, errors

    def shutdown(self):
        self.pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------
# Which rewrites fired (einfuse-opt, optional)
# ---------------------------------------------------------------------------

def find_opt() -> Optional[str]:
    env = os.environ.get("EINFUSE_OPT")
    if env:
        return env if os.path.isfile(env) else None
    repo = pathlib.Path(__file__).resolve().parents[2]
    path = repo / "build" / "bin" / "einfuse-opt"
    return str(path) if path.is_file() else None


def rewritten(opt: str, text: str, passes: Sequence[str]) -> Optional[Dict[str, str]]:
    """func -> its text after `passes` (einfuse-opt), or None if that fails."""
    try:
        p = subprocess.run([opt, *passes, "-"], input=text, capture_output=True, text=True,
                           timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return split_funcs(p.stdout) if p.returncode == 0 else None


# ---------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------

class Run:
    """Everything of one test session: the cases, the compile jobs (all
    submitted at the start, so that the compiler processes stay busy while
    earlier batches run), statistics.

    With einfuse-opt, an option set with the rewrites on is compiled only
    for the cases its rewrites change (the IR after them differs from the
    IR after --ein-decompose alone): for the others the kernel is the
    rewrites-off kernel (or differs from it in the lowering options only),
    which OFF already checks."""

    def __init__(self):
        self.start = time.time()
        self.exclude = sorted(KNOWN_BUGS)
        self.batches = batches()
        self.opt = find_opt()
        self.compiler = Compiler(JOBS)
        self.cases: List[List[cascadegen.Case]] = []
        self.jobs: List[List[Tuple[str, object]]] = []
        self.fired: List[Dict[str, Dict[str, int]]] = []  # batch -> case -> counts
        self.stats = collections.Counter()
        for i, batch in enumerate(self.batches):
            cases = [cascadegen.generate(s, exclude=self.exclude) for s in batch]
            self.cases.append(cases)
            funcs = {c.name: c.text for c in cases}
            sets = option_sets(i)
            jobs = [(OFF, self.compiler.submit(funcs, OFF, f"prop{i}_0"))]
            changed, fired = self.changed_by_rewrites(funcs, sets[1:])
            self.fired.append(fired)
            for j, options in enumerate(sets[1:], 1):
                todo = {n: t for n, t in funcs.items() if changed is None or n in changed[options]}
                self.stats["skipped_unchanged"] += len(funcs) - len(todo)
                if todo:
                    jobs.append((options, self.compiler.submit(todo, options, f"prop{i}_{j}")))
            self.jobs.append(jobs)
        self.structures = collections.Counter()
        self.failures: List[str] = []

    def changed_by_rewrites(self, funcs: Dict[str, str], sets: Sequence[str]):
        """({options: funcs its rewrites change}, {func: counts of what fired}),
        or (None, {}) without einfuse-opt."""
        if not self.opt:
            return None, {}
        text = "".join(funcs.values())
        base = rewritten(self.opt, text, ["--ein-decompose"])
        deferred = rewritten(self.opt, text, rewrite_passes("online-normalize=false"))
        if base is None or deferred is None:
            self.stats["opt_failed"] += 1
            return None, {}
        fired = {n: {"deferred": deferred.get(n) != base.get(n)} for n in funcs}
        changed = {}
        for options in sets:
            after = rewritten(self.opt, text, rewrite_passes(options))
            if after is None:
                self.stats["opt_failed"] += 1
                return None, {}
            changed[options] = {n for n in funcs if after.get(n) != base.get(n)}
            if options == DEFAULT:
                for n in funcs:
                    fired[n]["iterate"] = after.get(n, "").count("ein.iterate ")
        return changed, fired

    def summary(self) -> str:
        s = self.stats
        lines = [f"property test: {s['cases']} cascades, {s['runs']} kernel runs checked "
                 f"({len(self.batches)} modules of up to {BATCH}, options "
                 f"{OPTIONS_MODE or ('all' if ONLY else 'rotate')!r}) in "
                 f"{time.time() - self.start:.0f} s; {s['failed_cases']} cases failed"]
        if self.exclude:
            lines.append(f"  known bugs left out: {', '.join(self.exclude)}")
        if s["counted"]:
            lines.append(f"  rewrites with the default options (einfuse-opt): deferred "
                         f"normalisation in {s['deferred']} cases, an online iteration in "
                         f"{s['online']} ({s['iterates']} ein.iterate in all); runs with the "
                         f"rewrites on left out as unchanged: {s['skipped_unchanged']}")
        else:
            lines.append("  (no einfuse-opt: every option set compiled on every case)")
        lines.append(f"  kernels with the rewrites on whose results differ (bitwise) from the "
                     f"rewrites-off kernel: {s['differs']} of {s['on_runs']}")
        top = ", ".join(f"{k} {v}" for k, v in self.structures.most_common())
        lines.append(f"  structures: {top}")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def run():
    r = Run()
    yield r
    r.compiler.shutdown()


def _dump_dir(tmp_path_factory) -> pathlib.Path:
    env = os.environ.get("EINFUSE_PROPERTY_DUMP")
    path = pathlib.Path(env) if env else tmp_path_factory.getbasetemp() / "property-failures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_outputs(outs: Sequence[np.ndarray], ref, naive, what: str):
    """The contract on every output, on the elements whose reference is
    finite; the floor scales with the output's largest |reference|."""
    for i, (out, r64, n32) in enumerate(zip(outs, ref, naive)):
        finite = np.isfinite(r64)
        scale = float(np.max(np.abs(r64[finite]))) if finite.any() else 0.0
        check(out[finite], r64[finite], n32[finite], FLOOR * max(1.0, scale),
              f"{what} output #{i}")


def run_case(kernel, case: cascadegen.Case) -> List[np.ndarray]:
    outs = tuple(np.full(shape, np.nan, np.float32) for shape in case.output_shapes)
    kernel(*case.inputs, out=outs if len(outs) > 1 else outs[0])
    return list(outs)


@pytest.mark.parametrize("batch", range(len(batches())))
def test_rewrites_agree(run, batch, tmp_path_factory):
    """Every case of the batch, with the rewrites off and on, meets the
    numerics contract against the float64 reference."""
    cases = run.cases[batch]
    refs = {c.name: c.evaluate(c.inputs, np.float64) for c in cases}
    naives = {c.name: c.evaluate(c.inputs, np.float32) for c in cases}
    failures: Dict[str, List[str]] = collections.defaultdict(list)
    results: Dict[str, Dict[str, List[np.ndarray]]] = collections.defaultdict(dict)
    for options, job in run.jobs[batch]:
        artifacts, signature, header, errors = run.compiler.result(job)
        module = einfuse.Module(artifacts, signature, header, options) if artifacts else None
        names = set(job[1])
        for case in cases:
            if case.name not in names:
                continue
            what = f"options {options!r}"
            if case.name in errors or module is None:
                failures[case.name].append(f"{what}: compile error: "
                                           f"{errors.get(case.name, 'no module')}")
                continue
            run.stats["runs"] += 1
            try:
                outs = run_case(module[case.name], case)
                results[case.name][options] = outs
                check_outputs(outs, refs[case.name], naives[case.name], what)
            except Exception as e:  # noqa: BLE001 - every failure is reported with its seed
                failures[case.name].append(f"{what}: {type(e).__name__}: {e}")
            if options != OFF and OFF in results[case.name] and options in results[case.name]:
                run.stats["on_runs"] += 1
                a, b = results[case.name][OFF], results[case.name][options]
                if any(not np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b)):
                    run.stats["differs"] += 1
    fired = run.fired[batch]
    for case in cases:
        run.stats["cases"] += 1
        for s in case.structures:
            run.structures[s.split("+")[0]] += 1
        if case.name in fired:
            run.stats["counted"] += 1
            run.stats["deferred"] += fired[case.name]["deferred"]
            run.stats["online"] += fired[case.name].get("iterate", 0) > 0
            run.stats["iterates"] += fired[case.name].get("iterate", 0)
    if failures:
        dump = _dump_dir(tmp_path_factory)
        lines = []
        for case in cases:
            if case.name not in failures:
                continue
            run.stats["failed_cases"] += 1
            (dump / f"{case.seed}.mlir").write_text(case.text)
            np.savez(dump / f"{case.seed}.npz",
                     **{n: a for n, a in zip(case.input_names, case.inputs)})
            off_ok = not any(f.startswith(f"options {OFF!r}") for f in failures[case.name])
            lines.append(f"{case.describe()}: {'rewrites off pass' if off_ok else 'FAILS WITH THE REWRITES OFF TOO'}"
                         f"; replay: EINFUSE_PROPERTY_ONLY={case.seed}; {dump}/{case.seed}.mlir")
            lines += ["    " + f for f in failures[case.name]]
        run.failures += lines
        pytest.fail("\n".join(lines), pytrace=False)


def test_summary(run, capsys):
    """Says how many cascades ran and which rewrites fired."""
    with capsys.disabled():
        print("\n" + run.summary())
