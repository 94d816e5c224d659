"""pytest-benchmark view of the `ntorch bench` cases (one source of truth: ntorch.benchmarks).

    pytest bench --benchmark-only                      # medium sizes, every case's default dtype
    NTORCH_BENCH_SIZE=small pytest bench --benchmark-only

Self-timed cases (process start-up, backward alone) time themselves and are left to `ntorch bench`.
"""

import os

import pytest

from ntorch.benchmarks import cases
from ntorch.benchmarks.runner import build, plan

try:
    import torch
except ImportError:  # the comparison is optional
    torch = None

SIZE = os.environ.get("NTORCH_BENCH_SIZE", "medium")
TASKS = [t for t in plan(cases(), SIZE, None, "cpu") if not t.case.self_timed]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.key)
@pytest.mark.parametrize("impl", ["ntorch", "numpy", "torch"])
def test_case(benchmark, task, impl):
    impls = build(task, torch)
    try:
        if impl not in impls.fns:
            pytest.skip(f"{impl} has no implementation of this case here")
        fn = impls.fns[impl]
        fn()
        benchmark.group = task.key
        benchmark(fn)
    finally:
        if impls.cleanup is not None:
            impls.cleanup()
