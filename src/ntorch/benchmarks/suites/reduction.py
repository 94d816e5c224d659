"""Reductions: full sum / mean / max, and sums along either axis of a matrix."""

from __future__ import annotations

import numpy as np

import ntorch

from ..case import Case, Ctx, sizes

DESCRIPTION = "sum / mean / max over a vector and along an axis of a matrix"

_NT = {"sum": ntorch.sum, "mean": ntorch.mean, "max": ntorch.amax}
_NP = {"sum": np.sum, "mean": np.mean, "max": np.max}


def _reduce(op: str, dim: int | None):
    def build(ctx: Ctx) -> dict:
        shape = ctx.param if isinstance(ctx.param, tuple) else (ctx.param,)
        a = ctx.randn(*shape)
        ta = ctx.nt(a)
        nt_fn, np_fn = _NT[op], _NP[op]
        if dim is None:
            fns = {"ntorch": lambda: nt_fn(ta), "numpy": lambda: np_fn(a)}
        else:
            fns = {"ntorch": lambda: nt_fn(ta, dim), "numpy": lambda: np_fn(a, axis=dim)}
        if ctx.torch is not None:
            pa, t_fn = ctx.tc(a), getattr(ctx.torch, "amax" if op == "max" else op)
            fns["torch"] = (lambda: t_fn(pa)) if dim is None else (lambda: t_fn(pa, dim))
        return fns

    return build


def _read_once(param, itemsize):
    return float(np.prod(param)) * itemsize


_VEC = sizes(10**5, 10**7, 10**8)
_MAT = sizes((256, 256), (4096, 4096), (8192, 8192))
_DTYPES = ("float32", "float64")

CASES = [
    *[Case("reduction", f"{op} {{}}", _reduce(op, None), _VEC, _read_once, dtypes=_DTYPES)
      for op in ("sum", "mean", "max")],
    Case("reduction", "sum {} dim 0", _reduce("sum", 0), _MAT, _read_once, dtypes=_DTYPES),
    Case("reduction", "sum {} dim 1", _reduce("sum", 1), _MAT, _read_once, dtypes=_DTYPES),
    Case("reduction", "max {} dim 1", _reduce("max", 1), _MAT, _read_once, dtypes=_DTYPES),
]
