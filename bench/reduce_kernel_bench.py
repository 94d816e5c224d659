"""Benchmark of ntorch.kernels.cpu.reduce against PyTorch and NumPy (float32).

Run with an interpreter that has torch, numba and this package, e.g.

    /tmp/v/bin/python bench/reduce_kernel_bench.py [--reps 31] [--threads 1,2] [--cases "sum 1e7,axis 0"]
        [--libs torch,numpy] [--passive]

Cases: sum, mean (sum then scale), max of 1e7 contiguous values, and the same over axis 0 and axis 1 of a
4096x4096 matrix. Implementations are interleaved in one process (each repetition runs every
implementation once, in rotating order) and medians are reported, since the machine is shared and noisy.
Ratios are other / ntorch, so > 1 means ntorch is faster. NumPy reductions are single-threaded.

--passive sets OMP_WAIT_POLICY=PASSIVE before numba and torch load their OpenMP runtimes. On a machine with
two vCPUs the worker threads of the two runtimes otherwise spin after each parallel region and starve each
other when calls are interleaved (every 2-thread call then takes milliseconds, for both libraries).
"""

import argparse
import os
import sys
import time

if __name__ == "__main__" and "--passive" in sys.argv:  # before any OpenMP runtime is loaded
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

import numba  # noqa: E402
import numpy as np  # noqa: E402
from ntorch.kernels.cpu import reduce as R  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover - the benchmark still compares with NumPy
    torch = None


def _ours(kind, x3):
    o, _, i = x3.shape
    n = x3.shape[1]
    if kind == "sum":
        return lambda: R.sum_into(x3, np.empty((o, i), np.float32))
    if kind == "mean":

        def mean():
            out = R.sum_into(x3, np.empty((o, i), np.float32))
            out *= np.float32(1.0 / n)
            return out

        return mean
    if kind == "max":
        return lambda: R.max_into(x3, np.empty((o, i), np.float32))
    raise ValueError(kind)


def _cases(a1, a2):
    """(name, kind, ntorch 3-D view, numpy array, axis)."""
    yield "sum 1e7", "sum", a1.reshape(1, -1, 1), a1, None
    yield "mean 1e7", "mean", a1.reshape(1, -1, 1), a1, None
    yield "max 1e7", "max", a1.reshape(1, -1, 1), a1, None
    for axis in (0, 1):
        x3 = a2.reshape(1, 4096, 4096) if axis == 0 else a2.reshape(4096, 4096, 1)
        for kind in ("sum", "mean", "max"):
            yield f"{kind} 4096^2 axis {axis}", kind, x3, a2, axis


def _other(kind, lib, arr, axis):
    if lib == "numpy":
        f = {"sum": np.sum, "mean": np.mean, "max": np.max}[kind]
        return (lambda: f(arr)) if axis is None else (lambda: f(arr, axis=axis))
    t = arr
    if kind == "max":
        return (lambda: torch.max(t)) if axis is None else (lambda: torch.amax(t, dim=axis))
    f = {"sum": torch.sum, "mean": torch.mean}[kind]
    return (lambda: f(t)) if axis is None else (lambda: f(t, dim=axis))


def _time_interleaved(fns, reps):
    names = list(fns)
    times = {k: [] for k in names}
    for k in names:  # warm up (compilation, page faults, thread wake-up)
        fns[k]()
        fns[k]()
    for rep in range(reps):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for k in order:
            t0 = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=31)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--cases", default="", help="comma-separated substrings of case names to run")
    ap.add_argument("--libs", default="torch,numpy", help="what to compare with: torch, numpy or both")
    ap.add_argument("--passive", action="store_true", help="OMP_WAIT_POLICY=PASSIVE (see the module doc)")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    a1 = rng.standard_normal(10**7, dtype=np.float32)
    a2 = rng.standard_normal((4096, 4096), dtype=np.float32)
    t1 = torch.from_numpy(a1) if torch is not None else None
    t2 = torch.from_numpy(a2) if torch is not None else None
    want = [c for c in args.cases.split(",") if c]
    print(f"numba {numba.__version__}, numpy {np.__version__}, torch {torch.__version__ if torch else '-'}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    for nthr in [int(t) for t in args.threads.split(",")]:
        numba.set_num_threads(nthr)
        if torch is not None:
            torch.set_num_threads(nthr)
        print(f"\n== {nthr} thread(s); times are medians in us; ratio = other / ntorch (> 1: ntorch faster)")
        print(f"{'case':24s} {'ntorch':>9s} {'torch':>9s} {'numpy':>9s} {'t/n':>6s} {'np/n':>6s}")
        for name, kind, x3, arr, axis in _cases(a1, a2):
            if want and not any(w in name for w in want):
                continue
            fns = {"ntorch": _ours(kind, x3)}
            if "numpy" in args.libs:
                fns["numpy"] = _other(kind, "numpy", arr, axis)
            if torch is not None and "torch" in args.libs:
                fns["torch"] = _other(kind, "torch", t1 if arr is a1 else t2, axis)
            ref = np.asarray(_other(kind, "numpy", arr, axis)(), np.float64)
            got = np.asarray(fns["ntorch"](), np.float64).reshape(ref.shape)
            assert np.allclose(got, ref, rtol=1e-4, atol=1e-3), name
            tm = _time_interleaved(fns, args.reps)
            n = tm["ntorch"]
            tt = tm.get("torch", float("nan"))
            tn = tm.get("numpy", float("nan"))
            print(f"{name:24s} {n * 1e6:9.0f} {tt * 1e6:9.0f} {tn * 1e6:9.0f} {tt / n:6.2f} {tn / n:6.2f}")


if __name__ == "__main__":
    main()
