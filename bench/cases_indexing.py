"""Benchmark cases: gather / index_select / scatter_add / advanced indexing. Appended to bench/cases.py's CASES.

All on 1e6 float32 elements with int64 indices (random, so the accesses are scattered).
"""

from __future__ import annotations

import numpy as np
from casekit import Case, _f32, torch

import ntorch


def _rng():
    return np.random.default_rng(0)


def _gather():
    """gather along dim 1 of (1000, 1000); NumPy: take_along_axis."""
    x, idx = _f32(1000, 1000), _rng().integers(0, 1000, (1000, 1000))
    tx, ti = ntorch.from_numpy(x), ntorch.from_numpy(idx)
    fns = {"ntorch": lambda: ntorch.gather(tx, 1, ti), "numpy": lambda: np.take_along_axis(x, idx, 1)}
    if torch is not None:
        px, pi = torch.from_numpy(x), torch.from_numpy(idx)
        fns["torch"] = lambda: torch.gather(px, 1, pi)
    return fns


def _index_select():
    """4096 random rows of a (4096, 256) matrix; NumPy: take."""
    x, idx = _f32(4096, 256), _rng().integers(0, 4096, 4096)
    tx, ti = ntorch.from_numpy(x), ntorch.from_numpy(idx)
    fns = {"ntorch": lambda: ntorch.index_select(tx, 0, ti), "numpy": lambda: np.take(x, idx, 0)}
    if torch is not None:
        px, pi = torch.from_numpy(x), torch.from_numpy(idx)
        fns["torch"] = lambda: torch.index_select(px, 0, pi)
    return fns


def _scatter_add():
    """scatter_add along dim 1 of (1000, 1000) (out of place); NumPy: bincount over flat positions."""
    x, z, idx = _f32(1000, 1000), np.zeros((1000, 1000), np.float32), _rng().integers(0, 1000, (1000, 1000))
    tx, tz, ti = ntorch.from_numpy(x), ntorch.from_numpy(z), ntorch.from_numpy(idx)
    flat = (idx + 1000 * np.arange(1000)[:, None]).reshape(-1)

    def numpy_fn():
        return (z.reshape(-1) + np.bincount(flat, x.reshape(-1), z.size)).astype(np.float32).reshape(z.shape)

    fns = {"ntorch": lambda: tz.scatter_add(1, ti, tx), "numpy": numpy_fn}
    if torch is not None:
        px, pz, pi = torch.from_numpy(x), torch.from_numpy(z), torch.from_numpy(idx)
        fns["torch"] = lambda: pz.scatter_add(1, pi, px)
    return fns


def _take_index():
    """x[idx]: 1e6 random positions of a 1e6 vector."""
    x, idx = _f32(10**6), _rng().integers(0, 10**6, 10**6)
    tx, ti = ntorch.from_numpy(x), ntorch.from_numpy(idx)
    fns = {"ntorch": lambda: tx[ti], "numpy": lambda: x[idx]}
    if torch is not None:
        px, pi = torch.from_numpy(x), torch.from_numpy(idx)
        fns["torch"] = lambda: px[pi]
    return fns


def _mask():
    """x[mask]: a random half of a 1e6 vector."""
    x, mask = _f32(10**6), _rng().random(10**6) > 0.5
    tx, tm = ntorch.from_numpy(x), ntorch.from_numpy(mask)
    fns = {"ntorch": lambda: tx[tm], "numpy": lambda: x[mask]}
    if torch is not None:
        px, pm = torch.from_numpy(x), torch.from_numpy(mask)
        fns["torch"] = lambda: px[pm]
    return fns


CASES: list[Case] = [
    Case("indexing", "gather dim 1, (1000,1000)", _gather, 16e6),
    Case("indexing", "index_select 4096 rows of (4096,256)", _index_select, 16e6),
    Case("indexing", "scatter_add dim 1, (1000,1000)", _scatter_add, 20e6),
    Case("indexing", "x[idx] 1e6", _take_index, 16e6),
    Case("indexing", "x[mask] 1e6", _mask, 5.5e6),
]
