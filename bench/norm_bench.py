"""ntorch vs PyTorch (CPU) normalisations: layer_norm, group_norm, batch_norm (training), forward and forward +
backward, float32.

    .venv/bin/python bench/norm_bench.py [--threads 1] [--rounds 7] [--clock cpu] [--only SUBSTRING] [--composed]

Prints one Markdown row per case: median times of ntorch and torch and the ratio torch / ntorch (> 1: ntorch
faster). --composed adds, for group_norm, a row timing ntorch's composed (generic-op) path in the same run: the
"before" of the fused kernels. Each case runs once untimed first (compilation, caches). `--clock cpu` times
with the process's CPU time (steady on a shared machine with --threads 1).
"""

from __future__ import annotations

import argparse

from threads import pin_threads_from_argv
from timing import fmt, median_time, use_clock

pin_threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ntorch  # noqa: E402
from ntorch.nn import normalization  # noqa: E402

# (label, input shape, function name, positional arguments after the input, parameter shape)
CASES = [
    ("layer_norm (4096, 1024)", (4096, 1024), "layer_norm", ((1024,),), (1024,)),
    ("layer_norm (32, 256, 28, 28) over (28, 28)", (32, 256, 28, 28), "layer_norm", ((28, 28),), (28, 28)),
    ("group_norm (32, 256, 28, 28) 32 groups", (32, 256, 28, 28), "group_norm", (32,), (256,)),
    ("group_norm (8, 64, 56, 56) 8 groups", (8, 64, 56, 56), "group_norm", (8,), (64,)),
    ("batch_norm (32, 256, 28, 28) training", (32, 256, 28, 28), "batch_norm", (), (256,)),
    ("batch_norm (4096, 1024) training", (4096, 1024), "batch_norm", (), (1024,)),
]


def _call(lib, name, x, args, w, b, c):
    F = lib.nn.functional
    if name == "batch_norm":
        return F.batch_norm(x, lib.zeros(c), lib.ones(c), w, b, training=True)
    return getattr(F, name)(x, *args, w, b)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--only", default="")
    ap.add_argument("--composed", action="store_true")
    args = ap.parse_args()
    use_clock(args.clock)
    if args.threads:
        torch.set_num_threads(args.threads)
        ntorch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print("| case | pass | ntorch | torch | torch/ntorch |\n| --- | --- | --- | --- | --- |")
    for label, shape, name, fargs, pshape in CASES:
        if args.only not in label:
            continue
        a = (rng.standard_normal(shape) * 2 + 0.5).astype(np.float32)
        wa = rng.standard_normal(pshape).astype(np.float32)
        ba = rng.standard_normal(pshape).astype(np.float32)
        ga = rng.standard_normal(shape).astype(np.float32)
        c = shape[1]
        variants = [(ntorch, ""), (torch, "")]
        if args.composed and name == "group_norm":
            variants.append((ntorch, "composed"))
        for pss in ("fwd", "bwd"):
            times = []
            for lib, variant in variants:
                grad = pss == "bwd"
                x = lib.tensor(a, requires_grad=grad)
                w = lib.tensor(wa, requires_grad=grad)
                b = lib.tensor(ba, requires_grad=grad)
                g = lib.tensor(ga)

                def fn(lib=lib, x=x, w=w, b=b, g=g, grad=grad, name=name, fargs=fargs, c=c):
                    y = _call(lib, name, x, fargs, w, b, c)
                    if grad:
                        y.backward(g)
                        x.grad = w.grad = b.grad = None

                if variant == "composed":  # the generic-op path group_norm takes for CUDA tensors
                    fused = normalization._group_norm_cpu
                    normalization._group_norm_cpu = normalization._group_norm_composed
                    try:
                        times.append(median_time(fn, args.rounds))
                    finally:
                        normalization._group_norm_cpu = fused
                else:
                    times.append(median_time(fn, args.rounds))
            t_nt, t_th = times[:2]
            print(f"| {label} | {pss} | {fmt(t_nt)} | {fmt(t_th)} | {t_th / t_nt:.2f}x |", flush=True)
            if len(times) > 2:
                print(f"| {label} (composed, before) | {pss} | {fmt(times[2])} | {fmt(t_th)} | "
                      f"{t_th / times[2]:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
