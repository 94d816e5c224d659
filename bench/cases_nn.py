"""Benchmark cases: softmax, log_softmax, cross_entropy, layer_norm, losses. Appended to bench/cases.py."""

from __future__ import annotations

import numpy as np
from casekit import Case, _f32, torch

import ntorch
import ntorch.nn.functional as F


def _np_softmax(a, axis, log):
    m = a.max(axis=axis, keepdims=True)
    e = np.exp(a - m)
    s = e.sum(axis=axis, keepdims=True)
    return a - m - np.log(s) if log else e / s


def _softmax(op: str, shape: tuple, dim: int):
    log = op == "log_softmax"

    def setup():
        a = _f32(*shape)
        ta = ntorch.from_numpy(a)
        nt_fn = getattr(ntorch, op)
        fns = {"ntorch": lambda: nt_fn(ta, dim), "numpy": lambda: _np_softmax(a, dim, log)}
        if torch is not None:
            pa = torch.from_numpy(a)
            t_fn = getattr(torch, op)
            fns["torch"] = lambda: t_fn(pa, dim)
        return fns
    return setup


def _cross_entropy(n: int, c: int):
    def setup():
        a = _f32(n, c)
        t = np.random.default_rng(1).integers(0, c, n)
        ta, tt = ntorch.from_numpy(a), ntorch.from_numpy(t)

        def np_ce():
            m = a.max(axis=1, keepdims=True)
            lse = np.log(np.exp(a - m).sum(axis=1)) + m[:, 0]
            return (lse - a[np.arange(n), t]).mean()

        fns = {"ntorch": lambda: F.cross_entropy(ta, tt), "numpy": np_ce}
        if torch is not None:
            pa, pt = torch.from_numpy(a), torch.from_numpy(t)
            fns["torch"] = lambda: torch.nn.functional.cross_entropy(pa, pt)
        return fns
    return setup


def _layer_norm(n: int, c: int):
    def setup():
        a = _f32(n, c)
        w, b = _f32(c, seed=1), _f32(c, seed=2)
        ta, tw, tb = ntorch.from_numpy(a), ntorch.from_numpy(w), ntorch.from_numpy(b)

        def np_ln():
            m = a.mean(axis=1, keepdims=True)
            v = a.var(axis=1, keepdims=True)
            return (a - m) / np.sqrt(v + 1e-5) * w + b

        fns = {"ntorch": lambda: F.layer_norm(ta, (c,), tw, tb), "numpy": np_ln}
        if torch is not None:
            pa, pw, pb = torch.from_numpy(a), torch.from_numpy(w), torch.from_numpy(b)
            fns["torch"] = lambda: torch.nn.functional.layer_norm(pa, (c,), pw, pb)
        return fns
    return setup


_SM_BYTES = 2 * 4 * 4096 * 1024  # read the input, write the output

CASES: list[Case] = [
    Case("nn", "softmax (4096,1024) dim -1", _softmax("softmax", (4096, 1024), -1), _SM_BYTES),
    Case("nn", "log_softmax (4096,1024) dim -1", _softmax("log_softmax", (4096, 1024), -1), _SM_BYTES),
    Case("nn", "softmax (4096,1024) dim 0", _softmax("softmax", (4096, 1024), 0), _SM_BYTES),
    Case("nn", "cross_entropy (4096,1000) mean", _cross_entropy(4096, 1000), 4 * 4096 * 1000),
    Case("nn", "layer_norm (4096,1024)", _layer_norm(4096, 1024), _SM_BYTES),
]
