"""Broadcast and strided operands: a row added to every row, and a transposed (non-contiguous) operand."""

from __future__ import annotations

from ..case import Case, Ctx, sizes

DESCRIPTION = "broadcast (n,n) + (n,) and strided x.t() + x"


def _row(ctx: Ctx) -> dict:
    n = ctx.param
    a, b = ctx.randn(n, n), ctx.randn(n, seed=1)
    ta, tb = ctx.nt(a), ctx.nt(b)
    fns = {"ntorch": lambda: ta + tb, "numpy": lambda: a + b}
    if ctx.torch is not None:
        pa, pb = ctx.tc(a), ctx.tc(b)
        fns["torch"] = lambda: pa + pb
    return fns


def _transposed(ctx: Ctx) -> dict:
    a = ctx.randn(ctx.param, ctx.param)
    ta = ctx.nt(a)
    fns = {"ntorch": lambda: ta.t() + ta, "numpy": lambda: a.T + a}
    if ctx.torch is not None:
        pa = ctx.tc(a)
        fns["torch"] = lambda: pa.t() + pa
    return fns


_N = sizes(100, 1000, 4000)
_DTYPES = ("float32", "float64")

CASES = [
    Case("broadcast", "{}", _row, _N, lambda n, s: 2.0 * n * n * s, dtypes=_DTYPES,
         label=lambda n: f"({n},{n}) + ({n},)"),
    Case("broadcast", "x.t() + x, {}", _transposed, _N, lambda n, s: 3.0 * n * n * s, dtypes=_DTYPES,
         label=lambda n: f"{n}x{n}"),
]
