"""Softmax family, cross-entropy and layer_norm: fused row-wise kernels vs composed NumPy expressions."""

from __future__ import annotations

import numpy as np

import ntorch
import ntorch.nn.functional as F

from ..case import Case, Ctx, sizes

DESCRIPTION = "softmax / log_softmax / cross_entropy / layer_norm over (rows, classes)"


def _np_softmax(a, axis, log):
    m = a.max(axis=axis, keepdims=True)
    e = np.exp(a - m)
    s = e.sum(axis=axis, keepdims=True)
    return a - m - np.log(s) if log else e / s


def _softmax(op: str, dim: int):
    log = op == "log_softmax"

    def build(ctx: Ctx) -> dict:
        a = ctx.randn(*ctx.param)
        ta, nt_fn = ctx.nt(a), getattr(ntorch, op)
        fns = {"ntorch": lambda: nt_fn(ta, dim), "numpy": lambda: _np_softmax(a, dim, log)}
        if ctx.torch is not None:
            pa, t_fn = ctx.tc(a), getattr(ctx.torch, op)
            fns["torch"] = lambda: t_fn(pa, dim)
        return fns

    return build


def _cross_entropy(ctx: Ctx) -> dict:
    n, c = ctx.param
    a = ctx.randn(n, c)
    t = np.random.default_rng(1).integers(0, c, n)
    ta, tt = ctx.nt(a), ctx.nt(t)

    def np_ce():
        m = a.max(axis=1, keepdims=True)
        lse = np.log(np.exp(a - m).sum(axis=1)) + m[:, 0]
        return (lse - a[np.arange(n), t]).mean()

    fns = {"ntorch": lambda: F.cross_entropy(ta, tt), "numpy": np_ce}
    if ctx.torch is not None:
        pa, pt = ctx.tc(a), ctx.tc(t)
        fns["torch"] = lambda: ctx.torch.nn.functional.cross_entropy(pa, pt)
    return fns


def _layer_norm(ctx: Ctx) -> dict:
    n, c = ctx.param
    a, w, b = ctx.randn(n, c), ctx.randn(c, seed=1), ctx.randn(c, seed=2)
    ta, tw, tb = ctx.nt(a), ctx.nt(w), ctx.nt(b)

    def np_ln():
        m = a.mean(axis=1, keepdims=True)
        v = a.var(axis=1, keepdims=True)
        return (a - m) / np.sqrt(v + 1e-5) * w + b

    fns = {"ntorch": lambda: F.layer_norm(ta, (c,), tw, tb), "numpy": np_ln}
    if ctx.torch is not None:
        pa, pw, pb = ctx.tc(a), ctx.tc(w), ctx.tc(b)
        fns["torch"] = lambda: ctx.torch.nn.functional.layer_norm(pa, (c,), pw, pb)
    return fns


def _label(p):
    return f"({p[0]},{p[1]})"


def _read_write(p, s):
    return 2.0 * p[0] * p[1] * s


_ROWS = sizes((64, 128), (4096, 1024), (16384, 1024))
_CLASSES = sizes((64, 100), (4096, 1000), (16384, 1000))
_DTYPES = ("float32", "float64")

CASES = [
    Case("softmax", "softmax {} dim -1", _softmax("softmax", -1), _ROWS, _read_write, dtypes=_DTYPES, label=_label),
    Case("softmax", "log_softmax {} dim -1", _softmax("log_softmax", -1), _ROWS, _read_write, dtypes=_DTYPES,
         label=_label),
    Case("softmax", "softmax {} dim 0", _softmax("softmax", 0), _ROWS, _read_write, dtypes=_DTYPES, label=_label),
    Case("softmax", "cross_entropy {} mean", _cross_entropy, _CLASSES, lambda p, s: 1.0 * p[0] * p[1] * s,
         dtypes=_DTYPES, label=_label),
    Case("softmax", "layer_norm {}", _layer_norm, _ROWS, _read_write, dtypes=_DTYPES, label=_label),
]
