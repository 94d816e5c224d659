"""Time ntorch.distributions against torch.distributions (and NumPy's samplers where they exist), same process.

    .venv/bin/python bench/distributions_bench.py [--n 1000000] [--repeat 7] [--threads 1]

Each case runs once untimed (compiles, allocator) and then --repeat interleaved rounds per library; the median is
printed with the ratio ntorch/other (below 1: ntorch is faster). float32 parameters unless a case says otherwise.
"""

from __future__ import annotations

import argparse
import statistics
import time

from threads import pin_threads_from_argv  # bench/threads.py, beside this script

pin_threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ntorch  # noqa: E402


def cases(n: int) -> dict:
    """name -> {library: zero-argument callable}."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    pos = np.abs(x) + 0.1
    tx, nx = torch.from_numpy(x), ntorch.from_numpy(x)
    tp, npos = torch.from_numpy(pos), ntorch.from_numpy(pos)
    alpha = np.full(n, 2.5, np.float32)
    ta, na = torch.from_numpy(alpha), ntorch.from_numpy(alpha)
    gen = np.random.default_rng(1)
    k = 10
    logits = rng.standard_normal((n // k, k)).astype(np.float32)
    tl, nl = torch.from_numpy(logits), ntorch.from_numpy(logits)
    return {
        "Normal.log_prob": {"ntorch": lambda: ntorch.distributions.Normal(0.5, 2.0).log_prob(nx),
                            "torch": lambda: torch.distributions.Normal(0.5, 2.0).log_prob(tx)},
        "Normal.rsample": {"ntorch": lambda: ntorch.distributions.Normal(nx, 2.0).rsample(),
                           "torch": lambda: torch.distributions.Normal(tx, 2.0).rsample(),
                           "numpy": lambda: x + 2.0 * gen.standard_normal(n, dtype=np.float32)},
        "Gamma.log_prob": {"ntorch": lambda: ntorch.distributions.Gamma(na, 1.5).log_prob(npos),
                           "torch": lambda: torch.distributions.Gamma(ta, 1.5).log_prob(tp)},
        "Gamma.sample a=2.5": {"ntorch": lambda: ntorch.distributions.Gamma(na, 1.0).sample(),
                               "torch": lambda: torch.distributions.Gamma(ta, 1.0).sample(),
                               "numpy": lambda: gen.standard_gamma(2.5, n, dtype=np.float32)},
        "Gamma.rsample+backward": {"ntorch": lambda: _backward(ntorch, na), "torch": lambda: _backward(torch, ta)},
        "Categorical.sample (k=10)": {"ntorch": lambda: ntorch.distributions.Categorical(logits=nl).sample((k,)),
                                      "torch": lambda: torch.distributions.Categorical(logits=tl).sample((k,))},
    }


def _backward(lib, alpha):
    a = alpha.clone().requires_grad_()
    lib.distributions.Gamma(a, 1.0).rsample().sum().backward()
    return a.grad


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    print(f"n={args.n} threads={torch.get_num_threads()} (torch) / numba default")
    for name, libs in cases(args.n).items():
        times = {lib: [] for lib in libs}
        for fn in libs.values():
            fn()
        for _ in range(args.repeat):
            for lib, fn in libs.items():
                t0 = time.perf_counter()
                fn()
                times[lib].append(time.perf_counter() - t0)
        med = {lib: statistics.median(ts) for lib, ts in times.items()}
        ratios = "  ".join(f"ntorch/{lib} {med['ntorch'] / med[lib]:.2f}" for lib in med if lib != "ntorch")
        cells = "  ".join(f"{lib} {med[lib] * 1e3:8.2f} ms" for lib in med)
        print(f"{name:28s} {cells}   {ratios}")


if __name__ == "__main__":
    main()
