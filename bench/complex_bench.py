"""Complex64 cases of the wt_complex work, ntorch against NumPy and PyTorch interleaved in one process: a * b and
exp(a) on 1e6 elements (the generated elementwise loops, complex arithmetic in Numba), a.abs(), sum (the real sum
kernel over the interleaved parts), a 256x256 matmul (four real products through the real kernels), a complex Adam
step and complex conv2d forward on a small and a medium shape (wt_cplx).

Usage: python bench/complex_bench.py [--threads N] [--rounds 11]
       [--only mul exp abs sum matmul adam conv_small conv_medium]
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


def _crand(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def _cases(torch):
    rng = np.random.default_rng(0)
    a, b = _crand(rng, 1_000_000), _crand(rng, 1_000_000)
    m, n = _crand(rng, 256, 256), _crand(rng, 256, 256)
    ta, tb, tm, tn = (ntorch.from_numpy(v) for v in (a, b, m, n))
    cases = [
        ("mul", "a * b 1e6", {"ntorch": lambda: ta * tb, "numpy": lambda: a * b}, lambda p: p[0] * p[1]),
        ("exp", "exp(a) 1e6", {"ntorch": lambda: ta.exp(), "numpy": lambda: np.exp(a)}, lambda p: p[0].exp()),
        ("abs", "abs(a) 1e6", {"ntorch": lambda: ta.abs(), "numpy": lambda: np.abs(a)}, lambda p: p[0].abs()),
        ("sum", "a.sum() 1e6", {"ntorch": lambda: ta.sum(), "numpy": lambda: a.sum()}, lambda p: p[0].sum()),
        ("matmul", "matmul 256", {"ntorch": lambda: tm @ tn, "numpy": lambda: m @ n}, lambda p: p[2] @ p[3]),
    ]
    out = []
    for key, label, fns, torch_fn in cases:
        if torch is not None:
            pt = tuple(torch.from_numpy(v) for v in (a, b, m, n))
            fns["torch"] = lambda f=torch_fn, pt=pt: f(pt)
        out.append((key, label, fns))
    return out + _optim_conv_cases(torch, rng)


def _optim_conv_cases(torch, rng):
    """A complex Adam step (view_as_real of the parameter, gradient and state: ntorch's fused kernel on the real
    view; "ntorch real" is the same step on the float (n, 2) parameter) and complex conv2d forward (Gauss's
    three real products as one real convolution with 3x the groups; torch runs them as three convolutions)."""
    n = 1_000_000
    p0, g0 = _crand(rng, n), _crand(rng, n)
    z = ntorch.from_numpy(p0.copy()).requires_grad_()
    z.grad = ntorch.from_numpy(g0)
    r = ntorch.view_as_real(ntorch.from_numpy(p0.copy())).clone().requires_grad_()
    r.grad = ntorch.view_as_real(ntorch.from_numpy(g0)).clone()
    opt_z, opt_r = ntorch.optim.Adam([z], lr=1e-3), ntorch.optim.Adam([r], lr=1e-3)
    adam = {"ntorch": opt_z.step, "ntorch real": opt_r.step}
    if torch is not None:
        tz = torch.from_numpy(p0.copy()).requires_grad_()
        tz.grad = torch.from_numpy(g0)
        adam["torch"] = torch.optim.Adam([tz], lr=1e-3, foreach=False).step
    out = [("adam", "Adam step 1e6 c64", adam)]
    for key, xs, ws in (("conv_small", (2, 4, 16, 16), (8, 4, 3, 3)), ("conv_medium", (8, 32, 32, 32), (64, 32, 3, 3))):
        x, w = _crand(rng, *xs), _crand(rng, *ws)
        nx, nw = ntorch.from_numpy(x), ntorch.from_numpy(w)
        fns = {"ntorch": lambda nx=nx, nw=nw: ntorch.nn.functional.conv2d(nx, nw, padding=1)}
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            fns["torch"] = lambda tx=tx, tw=tw: torch.nn.functional.conv2d(tx, tw, padding=1)
        out.append((key, f"conv2d {xs}x{ws[0]}", fns))
    return out


def main() -> None:
    interleaved_main(_cases)


if __name__ == "__main__":
    main()
