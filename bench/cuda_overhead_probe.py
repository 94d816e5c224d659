"""Per-op host overhead of ntorch on a real GPU, against PyTorch on the same GPU, and where ntorch's time goes.

Run on a GPU machine: python bench/cuda_overhead_probe.py [--profile]. Prints microseconds per call (median
of several timed loops, each ending in a synchronize) for a few tiny ops, and with --profile the functions that
take the time in 3,000 calls of `a + b`. NTORCH_CUDA_LAUNCH=dispatcher measures numba-cuda's own launch path.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import time


def per_call(fn, sync, n: int = 2000, rounds: int = 5) -> float:
    for _ in range(20):
        fn()
    sync()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / n)
    return statistics.median(times) * 1e6


def main() -> None:
    import numpy as np
    import torch

    import ntorch

    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    na, nb = ntorch.tensor(x, device="cuda"), ntorch.tensor(w, device="cuda")
    ta, tb = torch.tensor(x, device="cuda"), torch.tensor(w, device="cuda")
    nsync, tsync = ntorch.cuda.synchronize, torch.cuda.synchronize
    cases = {
        "a + b": (lambda: na + nb, lambda: ta + tb),
        "a.sum()": (lambda: na.sum(), lambda: ta.sum()),
        "a.sum(1)": (lambda: na.sum(1), lambda: ta.sum(1)),
        "a @ b": (lambda: na @ nb, lambda: ta @ tb),
        "relu(a)": (lambda: ntorch.relu(na), lambda: torch.relu(ta)),
        "a.t().contiguous()": (lambda: na.t().contiguous(), lambda: ta.t().contiguous()),
        "softmax(a, 1)": (lambda: ntorch.softmax(na, 1), lambda: torch.softmax(ta, 1)),
        "a[1]": (lambda: na[1], lambda: ta[1]),
        "empty(3, 3)": (lambda: ntorch.empty(3, 3, device="cuda"), lambda: torch.empty(3, 3, device="cuda")),
    }
    mode = os.environ.get("NTORCH_CUDA_LAUNCH", "fast")
    print(f"launch path: {mode}; GPU: {torch.cuda.get_device_name()}")
    print(f"{'op':22s} {'ntorch us':>10s} {'torch us':>10s} {'ntorch/torch':>12s}")
    for name, (nf, tf) in cases.items():
        tn, tt = per_call(nf, nsync), per_call(tf, tsync)
        print(f"{name:22s} {tn:10.1f} {tt:10.1f} {tn / tt:12.2f}")
    if "--profile" in sys.argv:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(3000):
            na + nb
        nsync()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
