"""Gather / index_select / scatter_add and advanced indexing, with random (scattered) int64 indices."""

from __future__ import annotations

import numpy as np

import ntorch

from ..case import Case, Ctx, sizes

DESCRIPTION = "gather, index_select, scatter_add, x[idx], x[mask]"


def _rng():
    return np.random.default_rng(0)


def _gather(ctx: Ctx) -> dict:
    """gather along dim 1 of (n, n); NumPy: take_along_axis."""
    n = ctx.param
    x, idx = ctx.randn(n, n), _rng().integers(0, n, (n, n))
    tx, ti = ctx.nt(x), ctx.nt(idx)
    fns = {"ntorch": lambda: ntorch.gather(tx, 1, ti), "numpy": lambda: np.take_along_axis(x, idx, 1)}
    if ctx.torch is not None:
        px, pi = ctx.tc(x), ctx.tc(idx)
        fns["torch"] = lambda: ctx.torch.gather(px, 1, pi)
    return fns


def _index_select(ctx: Ctx) -> dict:
    """`rows` random rows of a (rows, cols) matrix; NumPy: take."""
    rows, cols = ctx.param
    x, idx = ctx.randn(rows, cols), _rng().integers(0, rows, rows)
    tx, ti = ctx.nt(x), ctx.nt(idx)
    fns = {"ntorch": lambda: ntorch.index_select(tx, 0, ti), "numpy": lambda: np.take(x, idx, 0)}
    if ctx.torch is not None:
        px, pi = ctx.tc(x), ctx.tc(idx)
        fns["torch"] = lambda: ctx.torch.index_select(px, 0, pi)
    return fns


def _scatter_add(ctx: Ctx) -> dict:
    """scatter_add along dim 1 of (n, n), out of place; NumPy: bincount over flat positions."""
    n = ctx.param
    x, z, idx = ctx.randn(n, n), np.zeros((n, n), ctx.dtype), _rng().integers(0, n, (n, n))
    tx, tz, ti = ctx.nt(x), ctx.nt(z), ctx.nt(idx)
    flat = (idx + n * np.arange(n)[:, None]).reshape(-1)

    def numpy_fn():
        return (z.reshape(-1) + np.bincount(flat, x.reshape(-1), z.size)).astype(ctx.dtype).reshape(z.shape)

    fns = {"ntorch": lambda: tz.scatter_add(1, ti, tx), "numpy": numpy_fn}
    if ctx.torch is not None:
        px, pz, pi = ctx.tc(x), ctx.tc(z), ctx.tc(idx)
        fns["torch"] = lambda: pz.scatter_add(1, pi, px)
    return fns


def _take(ctx: Ctx) -> dict:
    """x[idx]: n random positions of an n-vector."""
    n = ctx.param
    x, idx = ctx.randn(n), _rng().integers(0, n, n)
    tx, ti = ctx.nt(x), ctx.nt(idx)
    fns = {"ntorch": lambda: tx[ti], "numpy": lambda: x[idx]}
    if ctx.torch is not None:
        px, pi = ctx.tc(x), ctx.tc(idx)
        fns["torch"] = lambda: px[pi]
    return fns


def _mask(ctx: Ctx) -> dict:
    """x[mask]: a random half of an n-vector."""
    n = ctx.param
    x, mask = ctx.randn(n), _rng().random(n) > 0.5
    tx, tm = ctx.nt(x), ctx.nt(mask)
    fns = {"ntorch": lambda: tx[tm], "numpy": lambda: x[mask]}
    if ctx.torch is not None:
        px, pm = ctx.tc(x), ctx.tc(mask)
        fns["torch"] = lambda: px[pm]
    return fns


def _sq(n):
    return f"({n},{n})"


_DTYPES = ("float32", "float64")

CASES = [
    # bytes: the values read and written plus the 8-byte indices
    Case("indexing", "gather dim 1, {}", _gather, sizes(100, 1000, 4000), lambda n, s: n * n * (2 * s + 8),
         dtypes=_DTYPES, label=_sq),
    Case("indexing", "index_select {}", _index_select, sizes((256, 64), (4096, 256), (16384, 512)),
         lambda p, s: 2.0 * p[0] * p[1] * s + 8 * p[0], dtypes=_DTYPES,
         label=lambda p: f"{p[0]} rows of ({p[0]},{p[1]})"),
    Case("indexing", "scatter_add dim 1, {}", _scatter_add, sizes(100, 1000, 4000), lambda n, s: n * n * (3 * s + 8),
         dtypes=_DTYPES, label=_sq),
    Case("indexing", "x[idx] {}", _take, sizes(10**4, 10**6, 10**7), lambda n, s: n * (2 * s + 8), dtypes=_DTYPES),
    Case("indexing", "x[mask] {}", _mask, sizes(10**4, 10**6, 10**7), lambda n, s: n * (1.5 * s + 1),
         dtypes=_DTYPES),
]
