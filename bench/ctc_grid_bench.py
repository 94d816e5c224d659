"""Time ntorch's ctc_loss and grid_sample against torch (CPU; throwaway-quality, kept for re-runs).

    .venv/bin/python bench/ctc_grid_bench.py [--repeat 7] [--threads 1] [--cases ctc,grid]

Prints the median time of each library per case (forward, and forward + backward) and torch/ntorch (above 1:
ntorch faster). Each case runs both libraries interleaved after warm-up calls. To time another checkout of ntorch
(the compositions before the kernels, say), put its package first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from threads import pin_threads_from_argv  # bench/threads.py, beside this script

pin_threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import ntorch  # noqa: E402
import ntorch.nn.functional as NF  # noqa: E402


def _ctc_case(t_: int, n: int, c: int, s: int, backward: bool):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((t_, n, c)).astype(np.float32)
    targets = rng.integers(1, c, (n, s))
    il = np.full(n, t_)
    tl = rng.integers(s // 2, s + 1, n)

    def run(lib, F):
        x = lib.tensor(logits, requires_grad=backward)
        tg, a, b = lib.tensor(targets), lib.tensor(il), lib.tensor(tl)

        def call():
            loss = F.ctc_loss(F.log_softmax(x, 2), tg, a, b)
            if backward:
                loss.backward()
        return call
    return run(ntorch, NF), run(torch, TF)


def _grid_case(shape: tuple, mode: str, backward: bool):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    n, spatial = shape[0], shape[2:]
    grid = (rng.random((n,) + spatial + (len(spatial),)) * 2.2 - 1.1).astype(np.float32)

    def run(lib, F):
        a = lib.tensor(x, requires_grad=backward)
        g = lib.tensor(grid, requires_grad=backward)

        def call():
            out = F.grid_sample(a, g, mode=mode, padding_mode="zeros", align_corners=False)
            if backward:
                out.sum().backward()
        return call
    return run(ntorch, NF), run(torch, TF)


CASES = {
    "ctc": [(f"ctc_loss T50 N16 C20 S10{' fwd+bwd' if bw else ''}", lambda bw=bw: _ctc_case(50, 16, 20, 10, bw))
            for bw in (False, True)]
    + [("ctc_loss T200 N32 C50 S40 fwd+bwd", lambda: _ctc_case(200, 32, 50, 40, True))],
    "grid": [(f"grid_sample {mode} (8,64,32,32){' fwd+bwd' if bw else ''}",
              lambda mode=mode, bw=bw: _grid_case((8, 64, 32, 32), mode, bw))
             for mode in ("bilinear", "nearest") for bw in (False, True)]
    + [("grid_sample bicubic (8,64,32,32)", lambda: _grid_case((8, 64, 32, 32), "bicubic", False)),
       ("grid_sample bilinear 5-d (2,16,16,16,16) fwd+bwd", lambda: _grid_case((2, 16, 16, 16, 16), "bilinear", True))],
}


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--cases", default="ctc,grid")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"ntorch from {os.path.dirname(ntorch.__file__)}")
    print("| case | ntorch | torch | torch/ntorch |")
    print("| --- | --- | --- | --- |")
    for group in args.cases.split(","):
        for name, make in CASES[group]:
            try:
                nt_call, th_call = make()
                for _ in range(2):
                    nt_call()
                    th_call()
                nt_t, th_t = [], []
                for _ in range(3):  # interleaved rounds
                    nt_t.append(_time(nt_call, args.repeat))
                    th_t.append(_time(th_call, args.repeat))
                a, b = min(nt_t), min(th_t)
                print(f"| {name} | {a * 1e3:.3f} ms | {b * 1e3:.3f} ms | {b / a:.2f}x |", flush=True)
            except Exception as exc:  # an older checkout may lack a mode
                print(f"| {name} | {type(exc).__name__}: {str(exc)[:60]} | | |", flush=True)


if __name__ == "__main__":
    main()
