"""Times every case interleaved against numpy and torch and writes ratios (bench/RESULTS.md section).

Usage: python bench/run.py --threads 1 [--suite matmul] [--repeat 15]
Thread counts are set before numpy/torch are imported (BLAS reads them at load time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def _set_threads(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(n)
    # slow-path settings that older OpenBLAS builds need here would misrepresent numpy
    os.environ.pop("OPENBLAS_CORETYPE", None)
    os.environ.pop("OPENBLAS_L2_SIZE", None)


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _loop_time(fn, budget: float = 0.02) -> float:
    """Per-call time of a fast callable, from a loop that runs for about `budget` seconds."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt > budget:
            return dt / n
        n *= 4


def run_cases(suite: str | None, repeat: int) -> list[dict]:
    import torch  # noqa: F401  (imported first so its thread setting applies)
    from cases import CASES
    from cases import torch as torch_mod

    if torch_mod is not None:
        torch_mod.set_num_threads(int(os.environ["NUMBA_NUM_THREADS"]))
    rows = []
    for case in CASES:
        if suite and case.suite != suite:
            continue
        fns = case.setup()
        for fn in fns.values():  # warm-up: compile, page in
            fn()
            fn()
        samples = {k: [] for k in fns}
        for _ in range(repeat):  # interleaved so drift hits everyone alike
            for k, fn in fns.items():
                samples[k].append(_loop_time(fn) if case.unit == "-" else min(_time(fn, 3)))
        med = {k: statistics.median(v) for k, v in samples.items()}
        rows.append({"suite": case.suite, "case": case.name, "unit": case.unit, "work": case.work, **{
            f"{k}_s": v for k, v in med.items()}})
        print(_fmt(rows[-1]), flush=True)
    return rows


def _fmt(row: dict) -> str:
    t = row["ntorch_s"]
    parts = [f"{row['case']:28s} ntorch {t * 1e6:10.1f} us"]
    if row["work"]:
        scale = 1e9
        parts.append(f"{row['work'] / t / scale:7.1f} {row['unit']}")
    for k in ("numpy", "torch"):
        if f"{k}_s" in row:
            parts.append(f"{k} {row[f'{k}_s'] * 1e6:10.1f} us ({row[f'{k}_s'] / t:5.2f}x)")
    return "  ".join(parts)


def startup_figures() -> dict:
    """import ntorch, and the first a + b in a fresh process with a warm kernel cache."""
    code = ("import time; t0 = time.perf_counter(); import ntorch; t1 = time.perf_counter(); "
            "a = ntorch.ones(3, 3); b = ntorch.ones(3, 3); t2 = time.perf_counter(); c = a + b; "
            "t3 = time.perf_counter(); print(t1 - t0, t3 - t2)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warms the cache
    runs = [subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
            for _ in range(5)]
    return {"import_s": statistics.median(float(r[0]) for r in runs),
            "first_add_s": statistics.median(float(r[1]) for r in runs)}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--suite")
    p.add_argument("--repeat", type=int, default=11)
    p.add_argument("--startup", action="store_true", help="also measure import and first-op time")
    args = p.parse_args()
    _set_threads(args.threads)
    sys.path.insert(0, os.path.dirname(__file__))
    print(f"# threads={args.threads}")
    run_cases(args.suite, args.repeat)
    if args.startup:
        s = startup_figures()
        print(f"import ntorch {s['import_s'] * 1e3:.0f} ms; first a + b (warm cache) {s['first_add_s'] * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
