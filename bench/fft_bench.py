"""ntorch.fft vs numpy.fft vs torch.fft (CPU), forward only, through each library's public API.

    .venv/bin/python bench/fft_bench.py [--threads N] [--rounds 7] [--clock cpu]

Prints one Markdown row per case: median times and the ratios other / ntorch (> 1: ntorch faster). NumPy's
pocketfft is single-threaded; torch uses its own threads (MKL or pocketfft); ntorch's kernels use Numba's threads
over rows (a single long row splits each FFT stage). `--clock cpu` times with the process's CPU time instead of
the wall clock: with --threads 1 that is each library's own work, steady on a machine shared with other jobs.
"""

from __future__ import annotations

import argparse
import functools

from threads import pin_threads_from_argv
from timing import fmt, median_time, use_clock

pin_threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ntorch  # noqa: E402

# (label, shape, dtype, function name)
CASES = [
    ("fft 2^20 complex64", (1 << 20,), np.complex64, "fft"),
    ("rfft (1024, 4096) float32", (1024, 4096), np.float32, "rfft"),
    ("fft 4099 (prime) complex64", (4099,), np.complex64, "fft"),
    ("fft (64, 4099) complex64", (64, 4099), np.complex64, "fft"),
    ("irfft (1024, 2049) complex64", (1024, 2049), np.complex64, "irfft"),
    ("fft2 (512, 512) complex128", (512, 512), np.complex128, "fft2"),
    ("fft (4096, 1000) complex64", (4096, 1000), np.complex64, "fft"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = ap.parse_args()
    use_clock(args.clock)
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print("| case | ntorch | vs NumPy | vs PyTorch |\n| --- | --- | --- | --- |")
    for label, shape, dt, name in CASES:
        a = rng.standard_normal(shape)
        if np.dtype(dt).kind == "c":
            a = a + 1j * rng.standard_normal(shape)
        a = a.astype(dt)
        nx, tx = ntorch.from_numpy(a), torch.from_numpy(a)
        nf, npf, tf = getattr(ntorch.fft, name), getattr(np.fft, name), getattr(torch.fft, name)
        t_nt = median_time(functools.partial(nf, nx), args.rounds)
        t_np = median_time(functools.partial(npf, a), args.rounds)
        t_th = median_time(functools.partial(tf, tx), args.rounds)
        print(f"| {label} | {fmt(t_nt)} | {t_np / t_nt:.2f}x | {t_th / t_nt:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
