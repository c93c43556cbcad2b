"""Property test of the cascade rewrites (issue 10): random cascades
(cascadegen.py) compiled with the rewrites (--ein-deferred-normalize,
--ein-online-normalize, --ein-partition) on and off, run on random inputs
with their outputs poisoned (NaN), every result checked against the float64
NumPy reference under the numerics contract (helpers.check: per element
|out - ref64| <= 2 * max |naive f32 - ref64| + floor, the floor FLOOR times
the output's largest |ref64|; elements whose reference is not finite,
possible where a reduced rank is empty, are not compared, as
docs/design.md says).

Which kernels are compiled: every case with its batch's option set of
ON_SETS (one per batch, in turn); and, for the cases whose IR those
rewrites change, with the rewrites off (OFF) too. einfuse-opt tells which
cases the rewrites change (it runs the same passes as the pipeline, up to
the rewrites); for the other cases the rewrites-on kernel is the
rewrites-off kernel. Without einfuse-opt, every case is compiled both ways.
With OPTIONS "rotate", cases with a grouped input (`k floordiv d`) or a
split rank (`k * B + k0`) whose IR a split-rank set of ON_SETS changes run
with that set too, whatever their batch's. Each batch of cases is one
module (one compile), in a pool of JOBS processes that also run the
kernels, so that a crash of the compiler or of a kernel fails the cases
concerned (found by bisection), not the run.

Environment:
  EINFUSE_PROPERTY_CASES    number of cases (default 1000)
  EINFUSE_PROPERTY_SEED     first seed (default 1); case i has seed SEED + i
  EINFUSE_PROPERTY_ONLY     comma-separated seeds to replay (overrides the two
                            above; every option set then, unless OPTIONS says)
  EINFUSE_PROPERTY_OPTIONS  "rotate" (the default), "all" (every option set of
                            ON_SETS on every case), or option sets separated by
                            ';' (each on every case)
  EINFUSE_PROPERTY_ENABLE   comma-separated KNOWN_BUGS features to generate
                            anyway (or "all"), to check a fix
  EINFUSE_PROPERTY_BATCH    cascades per module (default 40)
  EINFUSE_PROPERTY_JOBS     worker processes (default 2)
  EINFUSE_PROPERTY_TARGET   target (default cpu:x86-64)
  EINFUSE_PROPERTY_DUMP     folder for failing cases (<seed>.mlir, <seed>.npz of
                            the inputs); default: pytest's temporary folder
  EINFUSE_OPT               einfuse-opt (default build/bin/einfuse-opt if it
                            exists); it must come from the same build as the
                            library (EINFUSE_LIBRARY)

A seed gives the same case as long as KNOWN_BUGS (or ENABLE) is the same.
Replay one case: EINFUSE_PROPERTY_ONLY=<seed> pytest python/tests/test_property.py
The summary (test_summary) says how many cases ran, how many the rewrites
changed, and which structures the cascades had.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import multiprocessing
import os
import pathlib
import re
import subprocess
import sys
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
}

OFF = "deferred-normalize=false online-normalize=false"
DEFAULT = ""
# Option sets with the rewrites on. "rotate" gives each batch one of them
# (each then runs on about len(cases) / len(ON_SETS) cases), "all" every one.
ON_SETS = [
    DEFAULT,
    "tile-size=7 workers=3",
    "tile-size=1 workers=2",
    "online-normalize=false",
    "tile-size=5 workers=2 contractions=false",
    "tile-size=13 workers=64",
    "tile-size=2 parallel-rank=none",
    "tile-size=16 workers=4 threads=true",
    # split-K of the sums over a rank no iteration carries (cases without
    # that rank take DEFAULT instead)
    "split-rank=c workers=3 tile-size=5",
    "split-rank=k workers=2 tile-size=1",
]

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
# Baseline x86-64 compiles about a quarter faster than the default
# x86-64-v3, and the ISA is not what this test is about.
TARGET = os.environ.get("EINFUSE_PROPERTY_TARGET", "cpu:x86-64")
JOB_TIMEOUT = 300


def seeds() -> List[int]:
    if ONLY:
        return [int(s) for s in re.split(r"[,\s]+", ONLY) if s]
    return list(range(SEED, SEED + CASES))


def batches() -> List[List[int]]:
    s = seeds()
    return [s[i:i + BATCH] for i in range(0, len(s), BATCH)]


def option_sets(batch: int) -> List[str]:
    """The option sets with the rewrites on for `batch`."""
    mode = OPTIONS_MODE or ("all" if ONLY else "rotate")
    if mode == "rotate":
        return [ON_SETS[batch % len(ON_SETS)]]
    if mode == "all":
        return list(ON_SETS)
    return [o.strip() for o in mode.split(";")]


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
        split = f" rank={o['split-rank']}" if "split-rank" in o else ""
        passes.append(f"--ein-partition=workers={o['workers']} tile-size={o.get('tile-size', '64')}"
                      + split)
    return passes


# ---------------------------------------------------------------------------
# Compiling in worker processes
# ---------------------------------------------------------------------------

FUNC = re.compile(r"^ *func\.func @(\w+)\(", re.M)


def split_funcs(text: str) -> Dict[str, str]:
    """name -> text of each func.func of a module's text."""
    starts = [(m.start(), m.group(1)) for m in FUNC.finditer(text)]
    return {name: text[s:(starts[i + 1][0] if i + 1 < len(starts) else len(text))]
            for i, (s, name) in enumerate(starts)}


def _job(funcs: Dict[str, str], options: str, name: str, calls):
    """Runs in a worker: compiles the funcs as one module (a module that
    does not compile is compiled again func by func: the funcs that fail
    are reported, the rest compiled together), then runs each kernel on
    `calls[func] = (inputs, output shapes)`, its outputs poisoned with NaN
    first. Returns {func: ("ok", outputs) | ("compile error", text) |
    ("run error", text)}."""
    results = {}

    def build(names):
        return einfuse.compile("".join(funcs[n] for n in names), target=TARGET, options=options,
                               name=name)

    names = list(funcs)
    try:
        module = build(names)
    except einfuse.CompileError:
        good = []
        for n in names:
            try:
                build([n])
                good.append(n)
            except einfuse.CompileError as e:
                results[n] = ("compile error", str(e))
        module = build(good) if good else None
    for n in names:
        if n in results or n not in calls:
            continue
        inputs, shapes = calls[n]
        outs = tuple(np.full(shape, np.nan, np.float32) for shape in shapes)
        try:
            module[n](*inputs, out=outs if len(outs) > 1 else outs[0])
            results[n] = ("ok", list(outs))
        except Exception as e:  # noqa: BLE001 - reported with the case
            results[n] = ("run error", f"{type(e).__name__}: {e}")
    return results


def _alone_main(conn, funcs, options, name, calls):
    conn.send(_job(funcs, options, name, calls))
    conn.close()


class Job:
    def __init__(self, funcs, options, name, calls):
        self.funcs, self.options, self.name, self.calls = funcs, options, name, calls
        self.future = None
        self.pool = None
        self.suspect = False


class Workers:
    """A pool of processes that compile and run the kernels, and survives
    crashes: when a process dies (the compiler or a kernel crashed), the
    jobs that were running (the first ones the pool had not finished) run
    again in processes of their own, their funcs bisected down to the ones
    that crash, each then said to crash the compiler or its kernel; the
    jobs that were waiting go to a new pool."""

    def __init__(self, jobs: int):
        self.ctx = multiprocessing.get_context("spawn")
        self.size = jobs
        self.pool = self._new_pool()
        self.pending: List[Job] = []

    def _new_pool(self):
        return cf.ProcessPoolExecutor(self.size, mp_context=self.ctx)

    def _start(self, job: Job):
        job.pool = self.pool
        job.future = self.pool.submit(_job, job.funcs, job.options, job.name, job.calls)

    def submit(self, funcs: Dict[str, str], options: str, name: str, calls) -> Job:
        job = Job(funcs, options, name, calls)
        self._start(job)
        self.pending.append(job)
        return job

    def result(self, job: Job):
        while True:
            if job.suspect:
                r = self._isolated(job.funcs, job.options, job.name, job.calls)
                break
            try:
                r = job.future.result(timeout=JOB_TIMEOUT)
                break
            except cf.process.BrokenProcessPool:
                self._renew(job.pool)
            except cf.TimeoutError:
                r = {n: ("run error", f"the job did not finish in {JOB_TIMEOUT} s")
                     for n in job.funcs}
                break
        self.pending.remove(job)
        return r

    def _renew(self, broken):
        """After `broken` lost a process: its running jobs are suspects, the
        others go to a new pool."""
        if broken is self.pool:
            self.pool = self._new_pool()
        victims = [j for j in self.pending if j.pool is broken and not j.suspect]
        cf.wait([j.future for j in victims])  # a broken pool fails every job it holds
        lost = [j for j in victims if isinstance(j.future.exception(), cf.process.BrokenProcessPool)]
        for i, j in enumerate(lost):
            if i < self.size:
                j.suspect = True
            else:
                self._start(j)
        broken.shutdown(wait=False)

    def _alone(self, funcs, options, name, calls):
        """_job in a process of its own: its result, None if the process
        died, "timeout" if it did not finish."""
        parent, child = self.ctx.Pipe(duplex=False)
        p = self.ctx.Process(target=_alone_main, args=(child, funcs, options, name, calls))
        p.start()
        child.close()
        try:
            if not parent.poll(JOB_TIMEOUT):
                return "timeout"
            return parent.recv()
        except EOFError:
            return None
        finally:
            if p.is_alive():
                p.kill()
            p.join()
            parent.close()

    def _isolated(self, funcs, options, name, calls):
        r = self._alone(funcs, options, name, calls)
        if r == "timeout":
            return {n: ("run error", f"the job did not finish in {JOB_TIMEOUT} s") for n in funcs}
        if r is not None:
            return r
        names = list(funcs)
        if len(names) == 1:
            if self._alone(funcs, options, name, {}) is None:
                return {names[0]: ("compile error", "the compiler crashed (its process died)")}
            return {names[0]: ("run error", "the kernel crashed (its process died)")}
        half = len(names) // 2
        r = {}
        for part in (names[:half], names[half:]):
            r.update(self._isolated({n: funcs[n] for n in part}, options, name,
                                    {n: calls[n] for n in part if n in calls}))
        return r

    def shutdown(self):
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.kill()


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


OPT_ERRORS: List[str] = []


def rewritten(opt: str, text: str, passes: Sequence[str]) -> Optional[Dict[str, str]]:
    """func -> its text after `passes` (einfuse-opt), or None if that fails
    (the error joins OPT_ERRORS)."""
    try:
        p = subprocess.run([opt, *passes, "-"], input=text, capture_output=True, text=True,
                           timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        OPT_ERRORS.append(f"{' '.join(passes)}: {e}")
        return None
    if p.returncode != 0:
        OPT_ERRORS.append(f"{' '.join(passes)}: {p.stderr[:2000]}")
        return None
    return split_funcs(p.stdout)


# ---------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------

class Run:
    """Everything of one test session: the cases, the compile jobs (all
    submitted at the start, so that the worker processes stay busy while
    earlier batches are checked), statistics.

    Every case is compiled with the batch's first option set (DEFAULT for
    a case that lacks the set's split-rank). Where einfuse-opt is at hand,
    the other sets and OFF are compiled only for the cases whose IR the
    rewrites change (the IR after them differs from the IR after
    --ein-decompose alone): for the other cases they give the same kernel
    (up to lowering options), already run. Without einfuse-opt, every set
    and OFF run on every case."""

    def __init__(self):
        self.start = time.time()
        enable = {f.strip() for f in os.environ.get("EINFUSE_PROPERTY_ENABLE", "").split(",")}
        self.exclude = [] if "all" in enable else sorted(set(KNOWN_BUGS) - enable)
        self.batches = batches()
        self.opt = find_opt()
        self.workers = Workers(JOBS)
        self.cases: List[List[cascadegen.Case]] = []
        self.jobs: List[List[Tuple[str, Job]]] = []
        self.fired: List[Dict[str, Dict[str, int]]] = []  # batch -> case -> counts
        self.stats = collections.Counter()
        for i, batch in enumerate(self.batches):
            cases = [cascadegen.generate(s, exclude=self.exclude) for s in batch]
            self.cases.append(cases)
            self.jobs.append(self.plan(i, cases))
        self.structures = collections.Counter()

    def plan(self, i: int, cases: Sequence[cascadegen.Case]) -> List[Tuple[str, Job]]:
        funcs = {c.name: c.text for c in cases}
        calls = {c.name: (c.inputs, c.output_shapes) for c in cases}
        # the ranks each cascade declares (the case may have more)
        ranks = {c.name: {r for op in c.ops for r in op.loop_ranks()} for c in cases}

        def applies(options, n):
            rank = parse_options(options).get("split-rank")
            return rank is None or rank in ranks[n]

        def submit(options, names, j):
            return (options, self.workers.submit({n: funcs[n] for n in names}, options,
                                                 f"prop{i}_{j}", {n: calls[n] for n in names}))
        sets = option_sets(i)
        # Cases with a grouped input or a split rank (an input indexed by
        # `k floordiv d` or `k * B + k0`) over a rank that a split-rank set of
        # ON_SETS splits run with that set too, whatever the batch's sets
        # (where the set changes them): split-K tiles such inputs.
        split_cases = {c.name for c in cases
                       if any(s.startswith(("grouped-input", "split-rank")) for s in c.structures)}
        rotate = (OPTIONS_MODE or ("all" if ONLY else "rotate")) == "rotate"
        extra = {o: [n for n in funcs if n in split_cases and applies(o, n)]
                 for o in ON_SETS if rotate and "split-rank" in parse_options(o) and o not in sets}
        extra = {o: names for o, names in extra.items() if names}
        # Every case with the first set (or DEFAULT), first, so that the workers start.
        first = {n: sets[0] if applies(sets[0], n) else DEFAULT for n in funcs}
        jobs = [submit(o, [n for n in funcs if first[n] == o], j)
                for j, o in enumerate(dict.fromkeys(first.values()), 1)]
        wanted = {o: [n for n in funcs if applies(o, n)] for o in dict.fromkeys(sets + [DEFAULT])}
        wanted.update(extra)
        changed, fired = self.changed_by_rewrites(funcs, wanted)
        self.fired.append(fired)
        for j, options in enumerate(sets[1:] + list(extra), len(jobs) + 1):
            todo = [n for n in wanted[options] if changed is None or n in changed[options]]
            if todo:
                jobs.append(submit(options, todo, j))
                if options in extra:
                    self.stats["split_extra"] += len(todo)
        if changed is None:
            off = list(funcs)
        else:
            off = [n for n in funcs if n in changed[first[n]]
                   or any(n in changed[o] for o in sets[1:] + list(extra))]
            self.stats["changed"] += len(off)
        if off:
            jobs.insert(0, submit(OFF, off, 0))
        return jobs

    def changed_by_rewrites(self, funcs: Dict[str, str], wanted: Dict[str, List[str]]):
        """({options: funcs its rewrites change, of wanted[options]},
        {func: counts of what fired}), or (None, {}) without einfuse-opt."""
        if not self.opt:
            return None, {}
        text = "".join(funcs.values())
        base = rewritten(self.opt, text, ["--ein-decompose"])
        deferred = rewritten(self.opt, text, rewrite_passes("online-normalize=false"))
        default = rewritten(self.opt, text, rewrite_passes(DEFAULT))
        if base is None or deferred is None or default is None:
            return None, {}
        fired = {n: {"deferred": deferred.get(n) != base.get(n),
                     "iterate": default.get(n, "").count("ein.iterate ")} for n in funcs}
        changed = {}
        for options, names in wanted.items():
            if not names:
                changed[options] = set()
                continue
            after = default if options == DEFAULT else \
                rewritten(self.opt, "".join(funcs[n] for n in names), rewrite_passes(options))
            if after is None:
                return None, {}
            changed[options] = {n for n in names if after.get(n) != base.get(n)}
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
                         f"{s['online']} ({s['iterates']} ein.iterate in all); {s['changed']} "
                         f"cases changed by the rewrites of their option sets, run with them "
                         f"on and off")
        else:
            lines.append("  (no einfuse-opt: every case compiled with every option set and off)")
        if OPT_ERRORS:
            lines.append(f"  einfuse-opt failed {len(OPT_ERRORS)} times (those batches ran every "
                         f"case on and off); the first:\n    {OPT_ERRORS[0][:1500]}")
        if s["split_extra"]:
            lines.append(f"  cases with a grouped input or a split rank also run with a split-rank "
                         f"set that changes their IR: {s['split_extra']}")
        lines.append(f"  kernels with the rewrites on whose results differ (bitwise) from the "
                     f"rewrites-off kernel: {s['differs']} of {s['on_runs']}")
        top = ", ".join(f"{k} {v}" for k, v in self.structures.most_common())
        lines.append(f"  structures: {top}")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def run():
    r = Run()
    yield r
    r.workers.shutdown()


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
        got = run.workers.result(job)
        what = f"options {options!r}"
        for case in cases:
            if case.name not in job.funcs:
                continue
            status, value = got[case.name]
            if status != "ok":
                failures[case.name].append(f"{what}: {status}: {value}")
                continue
            run.stats["runs"] += 1
            results[case.name][options] = value
            try:
                check_outputs(value, refs[case.name], naives[case.name], what)
            except AssertionError as e:
                failures[case.name].append(str(e))
            if options != OFF and OFF in results[case.name]:
                run.stats["on_runs"] += 1
                a = results[case.name][OFF]
                if any(not np.array_equal(x, y, equal_nan=True) for x, y in zip(a, value)):
                    run.stats["differs"] += 1
    fired = run.fired[batch]
    for case in cases:
        run.stats["cases"] += 1
        for s in case.structures:
            run.structures[s.split("+")[0]] += 1
        if case.name in fired:
            run.stats["counted"] += 1
            run.stats["deferred"] += fired[case.name]["deferred"]
            run.stats["online"] += fired[case.name]["iterate"] > 0
            run.stats["iterates"] += fired[case.name]["iterate"]
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
            if OFF not in {o for o, job in run.jobs[batch] if case.name in job.funcs}:
                verdict = "the rewrites leave it unchanged (a lowering or reference problem)"
            elif any(f.startswith(f"options {OFF!r}") for f in failures[case.name]):
                verdict = "FAILS WITH THE REWRITES OFF TOO"
            else:
                verdict = "rewrites off pass"
            lines.append(f"{case.describe()}: {verdict}; replay: EINFUSE_PROPERTY_ONLY={case.seed}"
                         f"; {dump}/{case.seed}.mlir")
            lines += ["    " + f for f in failures[case.name]]
        pytest.fail("\n".join(lines), pytrace=False)


def test_summary(run, capsys):
    """Says how many cascades ran and which rewrites fired."""
    with capsys.disabled():
        print("\n" + run.summary())
