"""ntorch vs PyTorch (CPU) pooling on a CNN's training path: max pooling with indices (what a forward records
when the input requires grad) and its backward, adaptive max / average pooling, and one small CNN training step.

    .venv/bin/python bench/pool_bench.py [--threads 1] [--rounds 7] [--clock cpu] [--only SUBSTRING] [--dtype float64]

Prints one Markdown row per case and pass: median times of ntorch and torch and the ratio torch / ntorch (> 1:
ntorch faster). Passes: "fwd" without grad (return_indices where the op has indices), "fwd (grad)" with the input
requiring grad (the forward records the indices), "fwd+bwd" adds `y.backward(g)`. Each case runs once untimed
first (compilation, caches). `--clock cpu` times with the process's CPU time (steady on a shared machine).
"""

from __future__ import annotations

import argparse
import time

from threads import pin_threads_from_argv

pin_threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ntorch  # noqa: E402

_CLOCK = time.perf_counter

# (label, input shape, functional name, keyword arguments, channels_last)
CASES = [
    ("max_pool2d (32, 64, 56, 56) k3 s2 p1", (32, 64, 56, 56), "max_pool2d",
     dict(kernel_size=3, stride=2, padding=1), False),
    ("max_pool2d (64, 32, 28, 28) k2 s2", (64, 32, 28, 28), "max_pool2d", dict(kernel_size=2, stride=2), False),
    ("max_pool2d (32, 64, 56, 56) k3 s2 p1 channels_last", (32, 64, 56, 56), "max_pool2d",
     dict(kernel_size=3, stride=2, padding=1), True),
    ("max_pool1d (32, 64, 1024) k3 s2 p1", (32, 64, 1024), "max_pool1d", dict(kernel_size=3, stride=2, padding=1),
     False),
    ("max_pool3d (4, 32, 16, 28, 28) k3 s2 p1", (4, 32, 16, 28, 28), "max_pool3d",
     dict(kernel_size=3, stride=2, padding=1), False),
    ("adaptive_max_pool2d (16, 128, 14, 14) -> (1, 1)", (16, 128, 14, 14), "adaptive_max_pool2d",
     dict(output_size=1), False),
    ("adaptive_max_pool2d (16, 128, 14, 14) -> (7, 7)", (16, 128, 14, 14), "adaptive_max_pool2d",
     dict(output_size=7), False),
    ("adaptive_avg_pool2d (16, 128, 14, 14) -> (1, 1)", (16, 128, 14, 14), "adaptive_avg_pool2d",
     dict(output_size=1), False),
    ("adaptive_avg_pool2d (16, 128, 14, 14) -> (7, 7)", (16, 128, 14, 14), "adaptive_avg_pool2d",
     dict(output_size=7), False),
    ("adaptive_avg_pool2d (16, 128, 14, 14) -> (5, 5)", (16, 128, 14, 14), "adaptive_avg_pool2d",
     dict(output_size=5), False),
]


def _median_time(fn, rounds: int, min_s: float = 0.05) -> float:
    fn()
    t0 = _CLOCK()
    fn()
    once = _CLOCK() - t0
    reps = max(1, int(min_s / max(once, 1e-9)))
    times = []
    for _ in range(rounds):
        t0 = _CLOCK()
        for _ in range(reps):
            fn()
        times.append((_CLOCK() - t0) / reps)
    return float(np.median(times))


def _fmt(s: float) -> str:
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def _cnn(lib):
    """conv-relu-maxpool-conv-relu-adaptiveavgpool-linear on (32, 3, 32, 32)."""
    nn = lib.nn
    lib.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def _cnn_step_times(rounds: int) -> None:
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    ya = rng.integers(0, 10, 32)
    times = []
    for lib in (ntorch, torch):
        m = _cnn(lib)
        opt = lib.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
        x, y = lib.tensor(xa), lib.tensor(ya)

        def step(lib=lib, m=m, opt=opt, x=x, y=y):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(m(x), y).backward()
            opt.step()

        times.append(_median_time(step, rounds))
    print(f"| CNN training step (32, 3, 32, 32) | step | {_fmt(times[0])} | {_fmt(times[1])} | "
          f"{times[1] / times[0]:.2f}x |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--only", default="")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--passes", default="fwd,fwd (grad),fwd+bwd")
    args = ap.parse_args()
    global _CLOCK
    _CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.threads:
        torch.set_num_threads(args.threads)
        ntorch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"{args.dtype}\n\n| case | pass | ntorch | torch | torch/ntorch |\n| --- | --- | --- | --- | --- |")
    for label, shape, name, kw, cl in CASES:
        if args.only not in label:
            continue
        a = rng.standard_normal(shape).astype(args.dtype)
        with_ind = "max" in name
        for pss in args.passes.split(","):
            times = []
            for lib in (ntorch, torch):
                grad = pss != "fwd"
                x = lib.tensor(a)
                if cl:
                    x = x.contiguous(memory_format=lib.channels_last)
                x.requires_grad_(grad)
                fn_ = getattr(lib.nn.functional, name)
                kw2 = dict(kw, return_indices=True) if with_ind and not grad else kw
                g = None
                if pss == "fwd+bwd":
                    g = lib.tensor(rng.standard_normal(tuple(fn_(x.detach(), **kw).shape)).astype(args.dtype))

                def fn(lib=lib, x=x, g=g, fn_=fn_, kw2=kw2, pss=pss):
                    y = fn_(x, **kw2)
                    if pss == "fwd+bwd":
                        y.backward(g)
                        x.grad = None

                times.append(_median_time(fn, args.rounds))
            t_nt, t_th = times
            print(f"| {label} | {pss} | {_fmt(t_nt)} | {_fmt(t_th)} | {t_th / t_nt:.2f}x |", flush=True)
    if args.only in "CNN training step":
        _cnn_step_times(args.rounds)


if __name__ == "__main__":
    main()
