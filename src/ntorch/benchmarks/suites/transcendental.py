"""Transcendental unary ops: exp, tanh, sigmoid, gelu (polynomial kernels vs libm / SVML / MKL)."""

from __future__ import annotations

import numpy as np

import ntorch
import ntorch.nn.functional as F

from ..case import Case, Ctx, sizes

DESCRIPTION = "exp / tanh / sigmoid / gelu over 1-d arrays"

_NUMPY = {"exp": np.exp, "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "gelu": None}


def _unary(op: str):
    def build(ctx: Ctx) -> dict:
        a = ctx.randn(ctx.param)
        ta = ctx.nt(a)
        nt_fn = F.gelu if op == "gelu" else getattr(ntorch, op)
        fns = {"ntorch": lambda: nt_fn(ta)}
        np_fn = _NUMPY[op]
        if np_fn is not None:
            fns["numpy"] = lambda: np_fn(a)
        if ctx.torch is not None:
            pa = ctx.tc(a)
            t_fn = ctx.torch.nn.functional.gelu if op == "gelu" else getattr(ctx.torch, op)
            fns["torch"] = lambda: t_fn(pa)
        return fns

    return build


CASES = [
    Case("transcendental", f"{op} {{}}", _unary(op), sizes(10**4, 10**6, 10**7), lambda n, s: 2.0 * n * s,
         dtypes=("float32", "float64"))
    for op in ("exp", "tanh", "sigmoid", "gelu")
]
