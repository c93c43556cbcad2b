"""Shared by the profile_*.py scripts: a launcher call checked against a
float64 reference on NaN-poisoned outputs, then timed."""
import statistics
import torch


def check_and_time(run, out, ref, calls=20, warmup=5):
    """Max error of `run`'s result (into `out`) against `ref`, and the
    median time in ms of `calls` calls after `warmup`."""
    out.fill_(float("nan"))
    assert run() == 0
    torch.cuda.synchronize()
    err = (out.double() - ref).abs().max().item()
    times = []
    for _ in range(calls):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); run(); b.record(); torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    return err, statistics.median(times[warmup:])
