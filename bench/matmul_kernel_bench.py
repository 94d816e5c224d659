"""Benchmark ntorch.kernels.cpu.matmul against NumPy (and PyTorch when importable).

Usage: python bench/matmul_kernel_bench.py [--threads 1] [--dtype float32] [--sizes 64 256 ...]
       [--bmm] [--rounds 21] [--target-ms 2] [--no-torch] [--spin]

Square M = N = K products, C-contiguous inputs, preallocated outputs. The three libraries are timed
interleaved in one process, round after round (rotating who goes first); each round times a batch
of calls sized to last about --target-ms (at least one call). Reported: the median per-call time
over the rounds, GFLOP/s from it, and ratio = their time / ours, the median over rounds of the
ratio within each round (> 1: ours is faster). Thread counts for Numba, OpenBLAS (via
OPENBLAS_NUM_THREADS, set before NumPy loads) and PyTorch are all set from --threads; with more
than one thread, idle worker threads are made to sleep rather than spin (see --spin). The
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE overrides, which can slow OpenBLAS, are removed from this
process's environment. Run it with a Python that has torch (and numba) installed; ntorch need not
be installed there, the kernel file is then loaded from this checkout.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time


def _args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--sizes", type=int, nargs="+", default=[3, 16, 64, 256, 512, 1024, 2048])
    p.add_argument("--rounds", type=int, default=21)
    p.add_argument("--target-ms", type=float, default=2.0, help="time per batch of calls")
    p.add_argument("--bmm", action="store_true", help="also time batched products")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--spin", action="store_true", help="keep the libraries' default spin-waiting of idle threads")
    return p.parse_args()


ARGS = _args()
for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(var, None)
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
if ARGS.threads > 1 and not ARGS.spin:
    # Idle worker threads sleep at once instead of spinning (OpenBLAS spins ~2^28 cycles by default,
    # OpenMP a while too): interleaved, one library's spinning workers would hold the cores that the
    # next library's workers need, and every call would wait a scheduler time slice.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numba  # noqa: E402
import numpy as np  # noqa: E402
from timing import calls_for  # noqa: E402  (bench/timing.py, beside this script)


def _load_kernels():
    try:
        from ntorch.kernels.cpu import matmul
    except ImportError:  # not installed in this environment: load the file directly
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernels", "cpu", "matmul.py")
        spec = importlib.util.spec_from_file_location("ntorch_matmul_kernel", path)
        matmul = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = matmul
        spec.loader.exec_module(matmul)
    return matmul


mm = _load_kernels()
torch = None
if not ARGS.no_torch:
    try:
        import torch

        torch.set_num_threads(ARGS.threads)
    except ImportError:
        torch = None


def _bench(cases, rounds, target_s):
    """cases: {name: fn}, "ntorch" first. Times batches of calls interleaved, round after round.
    Returns {name: (median seconds per call, median over rounds of this round's time / ntorch's)}:
    ratios paired within a round follow the machine's load changes better than a ratio of medians."""
    counts = {name: calls_for(fn, target_s) for name, fn in cases.items()}
    samples = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate who goes first
            fn, n = cases[name], counts[name]
            t = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t) / n)
    ours = samples["ntorch"]
    return {
        name: (statistics.median(v), statistics.median(x / y for x, y in zip(v, ours))) for name, v in samples.items()
    }


def _fmt_time(s):
    return f"{s * 1e6:9.1f} us" if s < 1e-3 else f"{s * 1e3:9.2f} ms"


def _report(label, flops, res):
    """One line: per library the median time per call, GFLOP/s from it, and ratio = their time /
    ours (median of the per-round ratios; > 1 means ours is faster)."""
    ours = res["ntorch"][0]
    parts = [f"{label:>14}", f"ntorch {_fmt_time(ours)} {flops / ours / 1e9:6.1f} GF/s"]
    for other in ("numpy", "torch"):
        if other in res:
            t, ratio = res[other]
            parts.append(f"{other} {_fmt_time(t)} {flops / t / 1e9:6.1f} GF/s ratio {ratio:5.2f}")
    print(" | ".join(parts), flush=True)


def main():
    numba.set_num_threads(ARGS.threads)
    dt = np.dtype(ARGS.dtype)
    rng = np.random.default_rng(0)
    versions = f"numba {numba.__version__}, numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    print(f"dtype {dt}, threads {ARGS.threads}, {versions}", flush=True)

    def make(shape):
        if dt.kind == "f":
            return rng.standard_normal(shape).astype(dt)
        return rng.integers(-3, 4, shape).astype(dt)

    for s in ARGS.sizes:
        a, b = make((s, s)), make((s, s))
        out, out_np = np.empty((s, s), dt), np.empty((s, s), dt)
        mm.matmul_into(a, b, out)  # compile / load from cache
        cases = {"ntorch": lambda a=a, b=b, out=out: mm.matmul_into(a, b, out)}
        cases["numpy"] = lambda a=a, b=b, o=out_np: np.matmul(a, b, out=o)
        if torch is not None:
            ta, tb, to = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(np.empty((s, s), dt))
            cases["torch"] = lambda ta=ta, tb=tb, to=to: torch.matmul(ta, tb, out=to)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        err = np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30)
        if err > 1e-4 * max(1.0, s**0.5) and dt.kind == "f":
            print(f"WARNING: relative error {err:.2e} at size {s}")
        _report(f"{s}^3", 2.0 * s**3, _bench(cases, ARGS.rounds, ARGS.target_ms / 1e3))

    if ARGS.bmm:
        for nb, s in ((256, 8), (64, 32), (32, 64), (8, 256)):
            a, b = make((nb, s, s)), make((nb, s, s))
            out, out_np = np.empty((nb, s, s), dt), np.empty((nb, s, s), dt)
            mm.bmm_into(a, b, out)
            cases = {"ntorch": lambda a=a, b=b, out=out: mm.bmm_into(a, b, out)}
            cases["numpy"] = lambda a=a, b=b, o=out_np: np.matmul(a, b, out=o)
            if torch is not None:
                ta, tb = torch.from_numpy(a), torch.from_numpy(b)
                to = torch.from_numpy(np.empty((nb, s, s), dt))
                cases["torch"] = lambda ta=ta, tb=tb, to=to: torch.bmm(ta, tb, out=to)
            _report(f"bmm {nb}x{s}^3", 2.0 * nb * s**3, _bench(cases, ARGS.rounds, ARGS.target_ms / 1e3))


if __name__ == "__main__":
    main()
