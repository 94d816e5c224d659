"""Complex64 cases of the wt_complex work, ntorch against NumPy and PyTorch interleaved in one process: a * b and
exp(a) on 1e6 elements (the generated elementwise loops, complex arithmetic in Numba), a.abs(), sum (the real sum
kernel over the interleaved parts), and a 256x256 matmul (four real products through the real kernels).

Usage: python bench/complex_bench.py [--threads N] [--rounds 11] [--only mul exp abs sum matmul]
Ratios are the other library's time / ntorch's (> 1: ntorch faster); median over rounds, each the best of 3 calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from threads import pin_threads_from_argv  # noqa: E402

pin_threads_from_argv()

import numpy as np  # noqa: E402

import ntorch  # noqa: E402


def _crand(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def _cases(torch):
    rng = np.random.default_rng(0)
    a, b = _crand(rng, 1_000_000), _crand(rng, 1_000_000)
    m, n = _crand(rng, 256, 256), _crand(rng, 256, 256)
    ta, tb, tm, tn = (ntorch.from_numpy(v) for v in (a, b, m, n))
    cases = [
        ("mul", "a * b 1e6", {"ntorch": lambda: ta * tb, "numpy": lambda: a * b}, lambda p: p[0] * p[1]),
        ("exp", "exp(a) 1e6", {"ntorch": lambda: ta.exp(), "numpy": lambda: np.exp(a)}, lambda p: p[0].exp()),
        ("abs", "abs(a) 1e6", {"ntorch": lambda: ta.abs(), "numpy": lambda: np.abs(a)}, lambda p: p[0].abs()),
        ("sum", "a.sum() 1e6", {"ntorch": lambda: ta.sum(), "numpy": lambda: a.sum()}, lambda p: p[0].sum()),
        ("matmul", "matmul 256", {"ntorch": lambda: tm @ tn, "numpy": lambda: m @ n}, lambda p: p[2] @ p[3]),
    ]
    out = []
    for key, label, fns, torch_fn in cases:
        if torch is not None:
            pt = tuple(torch.from_numpy(v) for v in (a, b, m, n))
            fns["torch"] = lambda f=torch_fn, pt=pt: f(pt)
        out.append((key, label, fns))
    return out


def _best_of(fn, k=3):
    best = float("inf")
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
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
    for key, label, fns in _cases(torch):
        if args.only and key not in args.only:
            continue
        for fn in fns.values():
            fn()
        times = {k: [] for k in fns}
        for _ in range(args.rounds):
            for k, fn in fns.items():
                times[k].append(_best_of(fn))
        med = {k: statistics.median(v) for k, v in times.items()}
        ours = med["ntorch"]
        parts = [f"ntorch {ours * 1e6:8.1f} us"]
        parts += [f"{k} {v * 1e6:8.1f} us ({v / ours:.2f}x)" for k, v in med.items() if k != "ntorch"]
        print(f"{label:22s} " + "  ".join(parts))


if __name__ == "__main__":
    main()
