"""Time one optimizer step over an MLP's parameters: ntorch's fused kernels, ntorch op by op, and torch.

    .venv/bin/python bench/optim_bench.py [--layers 784,512,256,10] [--dtype float32] [--repeat 50] [--warmup 10]
                                          [--threads 1] [--device cpu|cuda] [--cases Adam,...]
    .venv/bin/python bench/optim_bench.py --shape 1000000 --cases Rprop,ASGD,Adafactor   # one 1e6-element vector

Each case steps the same parameters and gradients in every library, timed in interleaved rounds after --warmup
steps of each (compiles, state creation and the allocator's first large blocks excluded), and prints the median
(or --stat min) step time and the ratios other/fused (above 1: the fused step is faster). "op by op" is ntorch
with the fused path switched off (ntorch.optim.optimizer.FUSED = False); "torch" is torch's single-tensor path
(foreach=False, its CPU default), "torch foreach" its multi-tensor path. Rprop, ASGD and Adafactor have no fused
step (they run op by op): their "fused" column is ntorch's step and "op by op" is not run. --shape replaces the
MLP by one parameter of that shape (1000,1000 gives Adafactor's factored path, 1000000 its vector path).
With --device cuda, torch's columns run on the same GPU when the installed torch has CUDA (NaN otherwise).
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
from ntorch.optim import optimizer as nt_optimizer  # noqa: E402

CASES = {
    "SGD momentum": ("SGD", dict(lr=0.01, momentum=0.9)),
    "SGD nesterov wd": ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    "Adam": ("Adam", dict(lr=1e-3)),
    "AdamW amsgrad": ("AdamW", dict(lr=1e-3, amsgrad=True)),
    "RMSprop centered": ("RMSprop", dict(lr=1e-3, centered=True, momentum=0.9)),
    "Adagrad": ("Adagrad", dict(lr=1e-2)),
    "Rprop": ("Rprop", dict(lr=1e-2)),
    "ASGD": ("ASGD", dict(lr=1e-2, t0=5)),  # past t0 within the warmup: the averaging branch
    "Adafactor": ("Adafactor", dict(lr=1e-2, weight_decay=1e-2)),
}
UNFUSED = {"Rprop", "ASGD", "Adafactor"}


def _shapes(layers: list[int]) -> list[tuple]:
    out = []
    for a, b in zip(layers, layers[1:]):
        out += [(b, a), (b,)]
    return out


def _sync(device: str) -> None:
    if device == "cuda":
        from ntorch.kernels.cuda.launch import cuda

        cuda.synchronize()
        if torch.cuda.is_available():
            torch.cuda.synchronize()


def _torch_runs(device: str) -> bool:
    """Whether torch can run on `device` here (a CPU-only torch leaves the CUDA run without its columns)."""
    return device == "cpu" or torch.cuda.is_available()


def _interleaved_times(steps: list, repeat: int, warmup: int, device: str, clock, stat) -> list[float]:
    """`stat` (median or min) of each step function's times, timed in interleaved rounds after `warmup` calls of
    each (the first steps pay for state creation, compiles and the allocator's first large blocks: page faults
    dominate them on a loaded machine)."""
    for step in steps:
        for _ in range(warmup):
            step()
    _sync(device)
    times: list[list[float]] = [[] for _ in steps]
    for _ in range(repeat):
        for step, out in zip(steps, times):
            t0 = clock()
            step()
            _sync(device)
            out.append(clock() - t0)
    return [stat(t) for t in times]


def _ntorch_opt(name, hp, arrays, grads, dt, device):
    params = [ntorch.tensor(a, dtype=dt, device=device, requires_grad=True) for a in arrays]
    for p, g in zip(params, grads):
        p.grad = ntorch.tensor(g, dtype=dt, device=device)
    return getattr(ntorch.optim, name)(params, **hp)


def _torch_opt(name, hp, arrays, grads, dt, device, **flags):
    params = [torch.tensor(a, dtype=dt, device=device, requires_grad=True) for a in arrays]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g, dtype=dt, device=device)
    return getattr(torch.optim, name)(params, **hp, **flags)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", default="784,512,256,10")
    ap.add_argument("--shape", default=None, help="one parameter of this shape (e.g. 1000000) instead of --layers")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--clock", choices=("wall", "thread"), default="wall",
                    help="thread: this thread's CPU time (CPU only; steadier on a loaded machine, where waiting "
                         "for a core would dominate the wall time)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="min: the fastest round (what each step costs without interference)")
    ap.add_argument("--cases", default=",".join(CASES))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clock = time.thread_time if args.clock == "thread" else time.perf_counter
    stat = statistics.median if args.stat == "median" else min
    rng = np.random.default_rng(0)
    if args.shape:
        shapes = [tuple(int(n) for n in args.shape.split(","))]
    else:
        shapes = _shapes([int(n) for n in args.layers.split(",")])
    arrays = [rng.standard_normal(s).astype(args.dtype) for s in shapes]
    grads = [rng.standard_normal(s).astype(args.dtype) for s in shapes]
    nt_dt, t_dt = getattr(ntorch, args.dtype), getattr(torch, args.dtype)
    n = sum(a.size for a in arrays)
    print(f"{len(shapes)} parameters, {n} elements, {args.dtype}, {args.device}, threads={args.threads}, "
          f"{args.stat} of {args.repeat} steps, {args.clock} clock")
    print(f"{'case':<20}{'fused':>11}{'op by op':>11}{'torch':>11}{'torch foreach':>15}"
          f"{'op/fused':>10}{'torch/fused':>13}{'foreach/fused':>15}")
    for label in args.cases.split(","):
        name, hp = CASES[label]
        fused = _ntorch_opt(name, hp, arrays, grads, nt_dt, args.device)
        plain = _ntorch_opt(name, hp, arrays, grads, nt_dt, args.device)
        with_torch = _torch_runs(args.device)
        if with_torch:
            t_default = _torch_opt(name, hp, arrays, grads, t_dt, args.device, foreach=False)
            t_foreach = _torch_opt(name, hp, arrays, grads, t_dt, args.device, foreach=True)

        def plain_step(opt=plain):
            nt_optimizer.FUSED = False
            try:
                opt.step()
            finally:
                nt_optimizer.FUSED = True

        unfused = name in UNFUSED
        steps = [fused.step] if unfused else [fused.step, plain_step]
        if with_torch:
            steps += [t_default.step, t_foreach.step]
        times = _interleaved_times(steps, args.repeat, args.warmup, args.device, clock, stat)
        if unfused:
            times.insert(1, float("nan"))
        t_fused, t_plain, t_torch, t_each = (times + [float("nan")] * 2)[:4]
        print(f"{label:<20}{t_fused * 1e6:>9.0f}us{t_plain * 1e6:>9.0f}us{t_torch * 1e6:>9.0f}us"
              f"{t_each * 1e6:>13.0f}us{t_plain / t_fused:>9.2f}x{t_torch / t_fused:>12.2f}x{t_each / t_fused:>14.2f}x")


if __name__ == "__main__":
    main()
