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


def best_of(fn, k: int = 3) -> float:
    """The fastest of k wall-clock timed calls."""
    best = float("inf")
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def interleaved_main(cases) -> None:
    """main() of the scripts whose cases time named variants interleaved ([--threads N] [--rounds 11] [--only KEY
    ...]): cases(torch or None) gives (key, label, {name: fn}) with an "ntorch" entry; one line per case, each
    variant's median over rounds of best_of, the others' ratio to ntorch's (> 1: ntorch faster)."""
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--rounds", type=int, default=11)
    p.add_argument("--only", nargs="+", default=None)
    args = p.parse_args()
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    import numba
    print(f"threads: numba {numba.get_num_threads()}, torch {torch.get_num_threads() if torch else '-'}")
    for key, label, fns in cases(torch):
        if args.only and key not in args.only:
            continue
        for fn in fns.values():
            fn()
        times = {k: [] for k in fns}
        for _ in range(args.rounds):
            for k, fn in fns.items():
                times[k].append(best_of(fn))
        med = {k: statistics.median(v) for k, v in times.items()}
        ours = med["ntorch"]
        parts = [f"ntorch {ours * 1e6:8.1f} us"]
        parts += [f"{k} {v * 1e6:8.1f} us ({v / ours:.2f}x)" for k, v in med.items() if k != "ntorch"]
        print(f"{label:22s} " + "  ".join(parts))


def calls_for(fn, target_s: float) -> int:
    """How many fn() calls take about target_s (batches grown fourfold until one lasts target_s / 4)."""
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt >= target_s / 4 or n >= 1 << 20:
            return max(1, int(n * target_s / max(dt, 1e-9)))
        n *= 4
