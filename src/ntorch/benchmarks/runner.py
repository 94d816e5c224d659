"""The timing method: every library runs interleaved in one process, so machine drift hits all alike.

Per case: build the inputs once; call each library once (its first call: compile or cache load, reported
apart); check ntorch's result against each competitor's (a competitor that disagrees is reported and not
timed) and each reference's (a library that only checks, not timed: NumPy on the host for a cuda case);
calibrate how many calls make one sample last at least `min_sample_s`; then `repeat` rounds, each taking one
sample of every library, in alternating order, each sample after one untimed call. The figure is the median
sample; the spread is the interquartile range over the median (the full range when there are fewer than 4
rounds).

On cuda, kernels run asynchronously: each library's own synchronize (ntorch.cuda's, torch.cuda's) ends its first
call and every timed sample before the clock stops, so a sample counts the device work it queued and no library's
queued work spills into another's sample.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .case import UNITS, Case, Ctx, Impls
from .check import allclose

MAX_CALLS = 1_000_000


@dataclass
class Task:
    """One case at one problem size and dtype: a row of the results."""

    case: Case
    size: str
    param: Any
    dtype: str
    device: str = "cpu"

    @property
    def name(self) -> str:
        return self.case.title(self.param)

    @property
    def key(self) -> str:
        """Identifies the problem across runs (a fixed-size case has the same key at every --size)."""
        return f"{self.case.suite}:{self.name}:{self.dtype}:{self.device}"


def plan(cases: list[Case], size: str, dtypes: list[str] | None, device: str) -> list[Task]:
    """The tasks for the given size; each case runs in the requested dtypes it supports (default: its first)."""
    tasks = []
    for case in cases:
        if device not in case.devices:
            continue
        wanted = [case.dtypes[0]] if not dtypes else [d for d in dtypes if d in case.dtypes]
        for dtype in wanted:
            tasks.extend(Task(case, size, p, dtype, device) for p in case.sizes[size])
    return tasks


def build(task: Task, torch_mod: Any = None) -> Impls:
    """The task's inputs and callables (torch's only when `torch_mod` is given)."""
    built = task.case.build(Ctx(task.param, np.dtype(task.dtype), task.device, torch_mod))
    return built if isinstance(built, Impls) else Impls(built)


DEVICE_LIBS = ("ntorch", "torch")  # libraries whose work runs on the case's device (NumPy's stays on the host)


def _no_sync() -> None:
    pass


def sync_for(lib: str, device: str, torch_mod: Any = None) -> Callable[[], None]:
    """What waits for `lib`'s queued device work: nothing on the CPU or for a host library."""
    if device == "cpu" or lib not in DEVICE_LIBS:
        return _no_sync
    if lib == "ntorch":
        import ntorch.cuda

        return ntorch.cuda.synchronize
    return torch_mod.cuda.synchronize


def _sample(fn: Callable[[], Any], calls: int, sync: Callable[[], None]) -> float:
    """Seconds per call over `calls` back-to-back calls, after one untimed call: the library's worker threads
    are awake and its caches warm again after the other libraries ran (steady state, not the switch)."""
    fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    sync()
    return (time.perf_counter() - t0) / calls


def _calibrate(fn: Callable[[], Any], min_sample_s: float, sync: Callable[[], None]) -> int:
    """How many calls one sample needs to last `min_sample_s` (also the warm-up)."""
    calls = 1
    while True:
        per_call = _sample(fn, calls, sync)
        if per_call * calls >= min_sample_s or calls >= MAX_CALLS:
            return calls
        calls = min(MAX_CALLS, max(2 * calls, math.ceil(1.2 * min_sample_s / max(per_call, 1e-9))))


def summarize(samples: list[float]) -> dict:
    med = statistics.median(samples)
    if len(samples) >= 4:
        q1, q3 = np.percentile(samples, [25, 75])
        spread = float(q3 - q1)
    else:
        spread = max(samples) - min(samples)
    return {"median_s": med, "spread": spread / med if med > 0 else 0.0, "samples_s": samples}


def _error(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run_task(task: Task, competitors: list[str], torch_mod: Any, repeat: int, min_sample_s: float,
             references: tuple[str, ...] | list[str] = ()) -> dict:
    """Time one task; never raises for a failing case (the error goes into the result). `references` are
    libraries whose results check ntorch's but which are not timed (NumPy on a cuda case)."""
    case = task.case
    row = {"key": task.key, "suite": case.suite, "name": task.name, "size": task.size, "dtype": task.dtype,
           "device": task.device, "unit": case.unit, "work": case.work_for(task.param, task.dtype),
           "times": {}, "checks": {}, "ratios": {}, "throughput": None, "error": None}
    try:
        impls = build(task, torch_mod if "torch" in competitors else None)
    except Exception as exc:  # a case that cannot even build its inputs
        row["error"] = f"setup: {_error(exc)}"
        return row
    try:
        libs = [lib for lib in ("ntorch", *competitors, *references) if lib in impls.fns]
        if case.self_timed:
            return _run_self_timed(row, case, impls, [lib for lib in libs if lib not in references], repeat)
        syncs = {lib: sync_for(lib, task.device, torch_mod) for lib in libs}
        first, outputs = {}, {}
        for lib in libs:
            t0 = time.perf_counter()
            try:
                outputs[lib] = impls.fns[lib]()
                syncs[lib]()
            except Exception as exc:
                if lib == "ntorch":
                    row["error"] = _error(exc)
                    return row
                row["checks"][lib] = f"error: {_error(exc)}"
                continue
            first[lib] = time.perf_counter() - t0
        check = impls.check or (lambda ours, theirs: allclose(ours, theirs, case.tol))
        for lib in [lib for lib in libs if lib != "ntorch" and lib in outputs]:
            msg = check(outputs["ntorch"], outputs[lib])
            row["checks"][lib] = "ok" if msg is None else f"mismatch: {msg}"
        outputs.clear()
        timed = [lib for lib in libs if lib == "ntorch" or (lib not in references and row["checks"].get(lib) == "ok")]
        calls = {lib: _calibrate(impls.fns[lib], min_sample_s, syncs[lib]) for lib in timed}
        samples: dict[str, list[float]] = {lib: [] for lib in timed}
        for r in range(repeat):
            for lib in timed if r % 2 == 0 else timed[::-1]:
                samples[lib].append(_sample(impls.fns[lib], calls[lib], syncs[lib]))
        for lib in timed:
            row["times"][lib] = {**summarize(samples[lib]), "first_call_s": first[lib], "calls_per_sample": calls[lib]}
    except Exception as exc:
        row["error"] = _error(exc)
        return row
    finally:
        if impls.cleanup is not None:
            impls.cleanup()
    return _finish(row)


def _run_self_timed(row: dict, case: Case, impls: Impls, libs: list[str], repeat: int) -> dict:
    """Cases whose calls return the seconds they measured (subprocess start-up, backward alone)."""
    if case.warmup:
        for lib in libs:
            impls.fns[lib]()
    samples: dict[str, list[float]] = {lib: [] for lib in libs}
    for r in range(repeat):
        for lib in libs if r % 2 == 0 else libs[::-1]:
            samples[lib].append(float(impls.fns[lib]()))
    for lib in libs:
        row["times"][lib] = {**summarize(samples[lib]), "first_call_s": None, "calls_per_sample": 1}
    return _finish(row)


def _finish(row: dict) -> dict:
    """Ratios (competitor time / ntorch time: above 1 means ntorch is faster) and throughput."""
    ours = row["times"]["ntorch"]["median_s"]
    for lib, t in row["times"].items():
        if lib != "ntorch":
            row["ratios"][lib] = t["median_s"] / ours if ours > 0 else None
    if row["work"] and row["unit"] and ours > 0:
        row["throughput"] = UNITS[row["unit"]](row["work"], ours)
    return row


def run_tasks(tasks: list[Task], competitors: list[str], torch_mod: Any, repeat: int, min_sample_s: float,
              progress: Callable[[int, int, str], None] | None = None,
              on_suite_done: Callable[[list[dict]], None] | None = None,
              references: tuple[str, ...] | list[str] = ()) -> list[dict]:
    """Run every task in order; `on_suite_done` receives each suite's rows as soon as the suite finishes."""
    rows: list[dict] = []
    suite_rows: list[dict] = []
    for i, task in enumerate(tasks):
        if progress is not None:
            progress(i, len(tasks), f"{task.case.suite}: {task.name}")
        row = run_task(task, competitors, torch_mod, repeat, min_sample_s, references)
        gc.collect()  # free the inputs before the next case allocates its own
        rows.append(row)
        suite_rows.append(row)
        last_of_suite = i + 1 == len(tasks) or tasks[i + 1].case.suite != task.case.suite
        if last_of_suite and on_suite_done is not None:
            on_suite_done(suite_rows)
        if last_of_suite:
            suite_rows = []
    if progress is not None:
        progress(len(tasks), len(tasks), "done")
    return rows
