"""bfloat16 on the CPU, ntorch against PyTorch (bfloat16) and NumPy (ml_dtypes bfloat16 arrays, whose ufuncs also
compute in float32), interleaved in one process; ntorch float32 is listed as "ntorch_f32" to show what the
float32 round trip of bfloat16 costs.

Usage: python bench/bfloat16_bench.py [--threads N] [--rounds 7] [--only add matmul ...]
Ratios are the other library's time / ntorch's (> 1: ntorch faster); median over rounds, each the best of 3 calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from threads import pin_threads_from_argv  # noqa: E402
from timing import best_of  # noqa: E402

pin_threads_from_argv()

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402

import ntorch  # noqa: E402
import ntorch.nn.functional as F  # noqa: E402

BF = ntorch.bfloat16


def _cases(torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 1000)).astype(np.float32)
    w = rng.standard_normal((512, 512)).astype(np.float32)
    nx, nw = ntorch.tensor(x).to(BF), ntorch.tensor(w).to(BF)
    fx, fw = ntorch.tensor(x), ntorch.tensor(w)
    bx, bw = x.astype(ml_dtypes.bfloat16), w.astype(ml_dtypes.bfloat16)
    px = pw = None
    if torch is not None:
        px, pw = torch.from_numpy(x).to(torch.bfloat16), torch.from_numpy(w).to(torch.bfloat16)
    tf = torch.nn.functional if torch is not None else None
    table = {
        "add": ("x + x 1000x1000", lambda a: a + a, lambda a: a + a),
        "mul_scalar": ("x * 0.5 1000x1000", lambda a: a * 0.5, lambda a: a * 0.5),
        "exp": ("exp 1000x1000", ntorch.exp, np.exp),
        "sum": ("sum(dim=1) 1000x1000", lambda a: a.sum(1), lambda a: a.sum(1)),
        "softmax": ("softmax(dim=1) 1000x1000", lambda a: a.softmax(1), None),
        "layer_norm": ("layer_norm 1000x1000", lambda a: F.layer_norm(a, (1000,)), None),
    }
    out = []
    for name, (label, fn, npfn) in table.items():
        fns = {"ntorch": lambda fn=fn: fn(nx), "ntorch_f32": lambda fn=fn: fn(fx)}
        if npfn is not None:
            fns["numpy"] = lambda npfn=npfn: npfn(bx)
        if torch is not None:
            tfn = {"exp": torch.exp, "layer_norm": lambda a: tf.layer_norm(a, (1000,))}.get(name, fn)
            fns["torch"] = lambda tfn=tfn: tfn(px)
        out.append((name, label, fns))
    fns = {"ntorch": lambda: nw @ nw, "ntorch_f32": lambda: fw @ fw, "numpy": lambda: bw @ bw}
    if torch is not None:
        fns["torch"] = lambda: pw @ pw
    out.append(("matmul", "matmul 512x512", fns))
    lx, lfx = nx[:64, :512].contiguous(), fx[:64, :512].contiguous()
    fns = {"ntorch": lambda: F.linear(lx, nw, nw[0]), "ntorch_f32": lambda: F.linear(lfx, fw, fw[0])}
    if torch is not None:
        plx = px[:64, :512].contiguous()
        fns["torch"] = lambda: tf.linear(plx, pw, pw[0])
    out.append(("linear", "linear (64, 512) x (512, 512) + bias", fns))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    for name, label, fns in _cases(torch):
        if args.only and name not in args.only:
            continue
        for fn in fns.values():  # compile and warm up
            fn()
        times = {k: [] for k in fns}
        for _ in range(args.rounds):
            for k, fn in fns.items():
                times[k].append(best_of(fn))
        med = {k: statistics.median(v) for k, v in times.items()}
        ratios = ", ".join(f"{k} {med[k] / med['ntorch']:.2f}x" for k in med if k != "ntorch")
        print(f"{label:40s} ntorch {med['ntorch'] * 1e3:8.3f} ms   ({ratios})")


if __name__ == "__main__":
    main()
