"""ntorch vs PyTorch (CPU) convolutions: forward and forward + backward, 1 and 2 threads.

    .venv/bin/python bench/conv_bench.py [--threads 1 2] [--rounds 7] [--only SUBSTRING] [--pass fwd bwd]

Prints one Markdown row per case: the median times of ntorch and torch and the ratio torch / ntorch (> 1: ntorch
faster). "bwd" times forward + backward of `out.backward(g)` with input, weight and bias all requiring grad.
Both libraries get the same float32 data; each case is run once untimed first (compilation, caches).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from timing import fmt, median_time  # bench/timing.py, beside this script

import ntorch
import ntorch.nn.functional as F

# (label, nd, input shape, weight shape, keyword arguments)
CASES = [
    ("conv2d 64x3x32x32 3x3 3->16 p1", 2, (64, 3, 32, 32), (16, 3, 3, 3), dict(padding=1)),
    ("conv2d 32x64x32x32 3x3 64->64 p1", 2, (32, 64, 32, 32), (64, 64, 3, 3), dict(padding=1)),
    ("conv2d 1x64x56x56 3x3 64->64 p1", 2, (1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
    ("conv2d 16x64x56x56 3x3 64->64 p1", 2, (16, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
    ("conv2d 1x3x56x56 3x3 3->16 p1", 2, (1, 3, 56, 56), (16, 3, 3, 3), dict(padding=1)),
    ("conv2d 1x3x224x224 7x7 s2 3->64 p3", 2, (1, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
    ("conv2d 8x64x56x56 1x1 64->256", 2, (8, 64, 56, 56), (256, 64, 1, 1), {}),
    ("conv2d 8x128x28x28 3x3 s2 128->256 p1", 2, (8, 128, 28, 28), (256, 128, 3, 3), dict(stride=2, padding=1)),
    ("conv2d 8x256x14x14 3x3 256->256 p1", 2, (8, 256, 14, 14), (256, 256, 3, 3), dict(padding=1)),
    ("conv2d 8x32x56x56 3x3 dw32 p1", 2, (8, 32, 56, 56), (32, 1, 3, 3), dict(padding=1, groups=32)),
    ("conv2d 8x64x56x56 3x3 s2 dw64 p1", 2, (8, 64, 56, 56), (64, 1, 3, 3), dict(stride=2, padding=1, groups=64)),
    ("conv1d 32x64x256 k5 64->64 p2", 1, (32, 64, 256), (64, 64, 5), dict(padding=2)),
    ("conv3d 8x16x16^3 3^3 16->16 p1", 3, (8, 16, 16, 16, 16), (16, 16, 3, 3, 3), dict(padding=1)),
    ("conv3d 2x3x16x64x64 3^3 3->32 p1", 3, (2, 3, 16, 64, 64), (32, 3, 3, 3, 3), dict(padding=1)),
]


def _fns(nd: int, xs, ws, kw: dict, backward: bool):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs, dtype=np.float32)
    w = (rng.standard_normal(ws, dtype=np.float32) * 0.1).astype(np.float32)
    b = rng.standard_normal(ws[0], dtype=np.float32)
    nt_conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    tc_conv = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[nd]
    if not backward:
        nx, nw, nb = ntorch.tensor(x), ntorch.tensor(w), ntorch.tensor(b)
        px, pw, pb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        return (lambda: nt_conv(nx, nw, nb, **kw)), (lambda: tc_conv(px, pw, pb, **kw))
    nx, nw, nb = (ntorch.tensor(a, requires_grad=True) for a in (x, w, b))
    px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    g = np.ones(tc_conv(px, pw, pb, **kw).shape, np.float32)
    ng, pg = ntorch.tensor(g), torch.from_numpy(g)

    def nt():
        nx.grad = nw.grad = nb.grad = None
        nt_conv(nx, nw, nb, **kw).backward(ng)

    def tc():
        px.grad = pw.grad = pb.grad = None
        tc_conv(px, pw, pb, **kw).backward(pg)

    return nt, tc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", default="")
    ap.add_argument("--pass", dest="passes", nargs="+", default=["fwd", "bwd"], choices=["fwd", "bwd"])
    args = ap.parse_args()
    print("| case | pass | threads | ntorch | torch | torch/ntorch |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, nd, xs, ws, kw in CASES:
        if args.only not in label:
            continue
        for pas in args.passes:
            nt, tc = _fns(nd, xs, ws, kw, pas == "bwd")
            for th in args.threads:
                ntorch.set_num_threads(th)
                torch.set_num_threads(th)
                t_nt = median_time(nt, args.rounds)
                t_tc = median_time(tc, args.rounds)
                print(f"| {label} | {pas} | {th} | {fmt(t_nt)} | {fmt(t_tc)} | {t_tc / t_nt:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
