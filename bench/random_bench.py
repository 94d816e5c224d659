"""Time ntorch's CPU random samplers against torch's (and NumPy's), same process.

    .venv/bin/python bench/random_bench.py [--n 1000000] [--repeat 7] [--threads 1]

Each case runs once untimed (compiles) and then --repeat interleaved rounds per library; the minimum is
printed (robust on a shared machine) with the ratio ntorch/other (below 1: ntorch is faster). Both libraries draw
torch's mt19937 stream; NumPy's column is its own MT19937 Generator (a different transform), as a floor for the
engine. To time another checkout's ntorch (say the one before a change), run this file with
PYTHONPATH=<checkout>/src.
"""

from __future__ import annotations

import argparse
import time

from threads import pin_threads_from_argv  # bench/threads.py, beside this script

pin_threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ntorch  # noqa: E402
import ntorch.nn.functional as NF  # noqa: E402


def cases(n: int) -> dict:
    """name -> {library: zero-argument callable}."""
    npg = np.random.Generator(np.random.MT19937(0))
    ones_t, ones_n = torch.ones(n), ntorch.ones(n)
    return {
        "rand(n)": {"ntorch": lambda: ntorch.rand(n), "torch": lambda: torch.rand(n),
                    "numpy": lambda: npg.random(n, dtype=np.float32)},
        "rand(n) float64": {"ntorch": lambda: ntorch.rand(n, dtype=ntorch.float64),
                            "torch": lambda: torch.rand(n, dtype=torch.float64), "numpy": lambda: npg.random(n)},
        "randn(n)": {"ntorch": lambda: ntorch.randn(n), "torch": lambda: torch.randn(n),
                     "numpy": lambda: npg.standard_normal(n, dtype=np.float32)},
        "randn(n) float64": {"ntorch": lambda: ntorch.randn(n, dtype=ntorch.float64),
                             "torch": lambda: torch.randn(n, dtype=torch.float64),
                             "numpy": lambda: npg.standard_normal(n)},
        "randperm(n)": {"ntorch": lambda: ntorch.randperm(n), "torch": lambda: torch.randperm(n),
                        "numpy": lambda: npg.permutation(n)},
        "randint(0, 10, n)": {"ntorch": lambda: ntorch.randint(0, 10, (n,)),
                              "torch": lambda: torch.randint(0, 10, (n,)), "numpy": lambda: npg.integers(0, 10, n)},
        "bernoulli_(0.3)": {"ntorch": lambda: ntorch.empty(n).bernoulli_(0.3),
                            "torch": lambda: torch.empty(n).bernoulli_(0.3)},
        "dropout(p=0.5)": {"ntorch": lambda: NF.dropout(ones_n, 0.5), "torch": lambda: torch.nn.functional.dropout(
            ones_t, 0.5)},
        "exponential_": {"ntorch": lambda: ntorch.empty(n).exponential_(),
                         "torch": lambda: torch.empty(n).exponential_(),
                         "numpy": lambda: npg.standard_exponential(n, dtype=np.float32)},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"n={args.n}, min of {args.repeat} (ms); ratio = ntorch / other")
    for name, libs in cases(args.n).items():
        times: dict[str, list[float]] = {lib: [] for lib in libs}
        for fn in libs.values():
            fn()
        for _ in range(args.repeat):
            for lib, fn in libs.items():
                t0 = time.perf_counter()
                fn()
                times[lib].append(time.perf_counter() - t0)
        med = {lib: min(ts) * 1e3 for lib, ts in times.items()}
        cols = "  ".join(f"{lib} {ms:7.2f}" for lib, ms in med.items())
        ratios = "  ".join(f"/{lib} {med['ntorch'] / ms:5.2f}" for lib, ms in med.items() if lib != "ntorch")
        print(f"{name:<20} {cols}   {ratios}")


if __name__ == "__main__":
    main()
