"""Per-node autograd overhead: a 10,000-op elementwise chain on a 10-element tensor, forward and backward
timed separately, for ntorch and PyTorch in the same process. Usage: python bench/autograd_overhead.py"""

from __future__ import annotations

import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import ntorch  # noqa: E402

try:
    import torch  # noqa: E402

    torch.set_num_threads(1)
except ImportError:
    torch = None

N_OPS = 10_000


def chain(lib, x):
    t0 = time.perf_counter()
    z = x
    for _ in range(N_OPS):
        z = z * 1.0001
    t1 = time.perf_counter()
    z.sum().backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def best(lib, make, repeat=5):
    runs = [chain(lib, make()) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    rows = [("ntorch", best(ntorch, lambda: ntorch.randn(10, requires_grad=True)))]
    if torch is not None:
        rows.append(("torch", best(torch, lambda: torch.randn(10, requires_grad=True))))
    for name, (fwd, bwd) in rows:
        print(f"{name:7s} forward {fwd / N_OPS * 1e6:6.2f} us/op  backward {bwd / N_OPS * 1e6:6.2f} us/node  "
              f"backward/forward {bwd / fwd:.2f}")


if __name__ == "__main__":
    main()
