"""Elementwise binary ops: bandwidth-bound loops, a fresh output each call, and the tiny-op dispatch cost."""

from __future__ import annotations

import numpy as np

import ntorch

from ..case import Case, Ctx, same_size, sizes

DESCRIPTION = "add / mul over 1-d arrays, a + b on 3x3 (call overhead)"


def _binary(op: str):
    def build(ctx: Ctx) -> dict:
        a, b = ctx.randn(ctx.param), ctx.randn(ctx.param, seed=1)
        ta, tb = ctx.nt(a), ctx.nt(b)
        nt_fn, np_fn = getattr(ntorch, op), getattr(np, op)
        fns = {"ntorch": lambda: nt_fn(ta, tb), "numpy": lambda: np_fn(a, b)}
        if ctx.torch is not None:
            pa, pb, t_fn = ctx.tc(a), ctx.tc(b), getattr(ctx.torch, op)
            fns["torch"] = lambda: t_fn(pa, pb)
        return fns

    return build


def _tiny_add(ctx: Ctx) -> dict:
    a, b = ctx.randn(*ctx.param), ctx.randn(*ctx.param, seed=1)
    ta, tb = ctx.nt(a), ctx.nt(b)
    fns = {"ntorch": lambda: ta + tb, "numpy": lambda: a + b}
    if ctx.torch is not None:
        pa, pb = ctx.tc(a), ctx.tc(b)
        fns["torch"] = lambda: pa + pb
    return fns


def _three_arrays(n, itemsize):
    return 3.0 * n * itemsize  # read a and b, write the result


_DTYPES = ("float32", "float64", "int64")

CASES = [
    Case("elementwise", "add {}", _binary("add"), sizes(10**4, 10**6, 10**7), _three_arrays, dtypes=_DTYPES),
    Case("elementwise", "mul {}", _binary("multiply"), sizes(10**4, 10**6, 10**7), _three_arrays, dtypes=_DTYPES),
    Case("elementwise", "add {} (fresh output)", _binary("add"), sizes(10**5, 10**7, 5 * 10**7), _three_arrays,
         dtypes=_DTYPES, notes="large enough that allocating and first-touching the output dominates"),
    Case("elementwise", "a + b {}", _tiny_add, same_size((3, 3)), None, "", dtypes=_DTYPES,
         notes="per-call overhead: the Python dispatch path, not the loop"),
]
