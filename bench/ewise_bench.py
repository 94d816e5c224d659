"""Elementwise cases of the wt_ewise work, ntorch against NumPy and PyTorch interleaved in one process:
x.t() + x (a transposed operand: the tiled loop; also its kernel alone and the row-by-row loop it replaced, into a
preallocated output, serial) and gelu (erf and tanh forms), float32.

Usage: python bench/ewise_bench.py [--threads N] [--rounds 11] [--only add_t gelu gelu_tanh]
Ratios are the other library's time / ntorch's (> 1: ntorch faster); median over rounds, each the best of 3 calls.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from threads import pin_threads_from_argv  # noqa: E402
from timing import interleaved_main  # noqa: E402

pin_threads_from_argv()

import numpy as np  # noqa: E402

import ntorch  # noqa: E402
import ntorch.nn.functional as F  # noqa: E402


def _cases(torch):
    rng = np.random.default_rng(0)
    out = []
    for n in (1000, 2048):
        a = rng.standard_normal((n, n)).astype(np.float32)
        ta = ntorch.tensor(a)
        fns = {"ntorch": lambda ta=ta: ta.t() + ta, "numpy": lambda a=a: a.T + a}
        if torch is not None:
            pa = torch.from_numpy(a)
            fns["torch"] = lambda pa=pa: pa.t() + pa
        fns.update(_kernel_only(a))
        out.append(("add_t", f"x.t() + x {n}x{n}", fns))
    x = (rng.standard_normal(1_000_000) * 3).astype(np.float32)
    tx = ntorch.tensor(x)
    for name, approx in (("gelu", "none"), ("gelu_tanh", "tanh")):
        fns = {"ntorch": lambda approx=approx: F.gelu(tx, approximate=approx)}
        if torch is not None:
            px = torch.from_numpy(x)
            fns["torch"] = lambda approx=approx, px=px: torch.nn.functional.gelu(px, approximate=approx)
        out.append((name, f"{name} 1e6", fns))
    return out


def _kernel_only(a: np.ndarray) -> dict:
    """The tiled loop and the row-by-row strided loop it replaces, called directly into one preallocated output."""
    from ntorch.kernels.cpu.elementwise import TILE_COLS, TILE_ROWS, _flat

    from ntorch import dispatch
    n = a.shape[0]
    m = dispatch.lookup("add", "cpu", ntorch.float32).module
    out = np.empty(n * n, np.float32)
    shape = np.array([n, n], np.int64)
    s0, s1 = np.array([1, n], np.int64), np.array([n, 1], np.int64)
    x0, x1 = _flat(a.T, [1, n]), _flat(a, [n, 1])
    ntiles = -(-n // TILE_ROWS) * -(-n // TILE_COLS)
    return {"tiled loop": lambda: m.tiled_aa(out, ntiles, shape, x0, x1, s0, s1),
            "row loop": lambda: m.strided_aa(out, shape, x0, x1, s0, s1)}


def main() -> None:
    interleaved_main(_cases)


if __name__ == "__main__":
    main()
