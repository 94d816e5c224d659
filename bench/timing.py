"""The timing loop the standalone bench scripts share (beside threads.py): median seconds per call, each call
repeated until a round lasts about min_s, on the wall clock or (`--clock cpu`) the process's CPU time, which
with --threads 1 is the library's own work and steady on a machine shared with other jobs."""

from __future__ import annotations

import statistics
import time

_clock = time.perf_counter


def use_clock(name: str) -> None:
    """'cpu' (or 'process'): time.process_time for every later median_time; anything else: the wall clock."""
    global _clock
    _clock = time.process_time if name in ("cpu", "process") else time.perf_counter


def median_time(fn, rounds: int = 7, min_s: float = 0.05) -> float:
    """Median seconds per fn() over rounds, after one untimed call (compilation, caches)."""
    fn()
    t0 = _clock()
    fn()
    once = _clock() - t0
    reps = max(1, int(min_s / max(once, 1e-9)))
    times = []
    for _ in range(rounds):
        t0 = _clock()
        for _ in range(reps):
            fn()
        times.append((_clock() - t0) / reps)
    return statistics.median(times)


def fmt(s: float) -> str:
    """A time in us below a millisecond, else in ms."""
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms"
