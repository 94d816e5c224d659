"""Benchmark cases: sort / topk / unique / scans. Appended to bench/cases.py's CASES."""

from __future__ import annotations

import numpy as np
from casekit import Case, _f32, torch

import ntorch


def _case(nt_fn, np_fn, t_fn, make):
    """A setup calling nt_fn / np_fn / t_fn (either may be None) on the array made by make()."""

    def setup():
        a = make()
        ta = ntorch.from_numpy(a)
        fns = {"ntorch": lambda: nt_fn(ta)}
        if np_fn is not None:
            fns["numpy"] = lambda: np_fn(a)
        if torch is not None and t_fn is not None:
            pa = torch.from_numpy(a)
            fns["torch"] = lambda: t_fn(pa)
        return fns

    return setup


def _ints(n):
    return lambda: np.random.default_rng(0).integers(0, n // 10, n)


def _topk_np(k):
    def fn(a):
        part = np.argpartition(-a, k)[:k]
        return part[np.argsort(-a[part], kind="stable")]

    return fn


_N = 10**6
CASES: list[Case] = [
    Case("sort", "sort 1e6 (values, indices)", _case(ntorch.sort, lambda a: (np.sort(a), np.argsort(a)), torch.sort
                                                      if torch else None, lambda: _f32(_N)), 8e6),
    Case("sort", "argsort 1e6", _case(ntorch.argsort, lambda a: np.argsort(a, kind="stable"),
                                      torch.argsort if torch else None, lambda: _f32(_N)), 4e6),
    Case("sort", "topk 1e6 k=100", _case(lambda t: ntorch.topk(t, 100), _topk_np(100),
                                         (lambda t: torch.topk(t, 100)) if torch else None, lambda: _f32(_N)), 4e6),
    Case("sort", "topk 1e6 k=1000", _case(lambda t: ntorch.topk(t, 1000), _topk_np(1000),
                                          (lambda t: torch.topk(t, 1000)) if torch else None, lambda: _f32(_N)), 4e6),
    Case("sort", "sort (1000,1000) dim -1", _case(ntorch.sort, lambda a: np.sort(a, -1), torch.sort if torch else None,
                                                  lambda: _f32(1000, 1000)), 8e6),
    Case("sort", "cumsum 1e7", _case(lambda t: ntorch.cumsum(t, 0), lambda a: np.cumsum(a),
                                     (lambda t: torch.cumsum(t, 0)) if torch else None, lambda: _f32(10**7)), 8e7),
    Case("sort", "cumsum (4096,4096) dim 0", _case(lambda t: ntorch.cumsum(t, 0), lambda a: np.cumsum(a, 0),
                                                   (lambda t: torch.cumsum(t, 0)) if torch else None,
                                                   lambda: _f32(4096, 4096)), 8 * 4096 * 4096),
    Case("sort", "cumsum (4096,4096) dim 1", _case(lambda t: ntorch.cumsum(t, 1), lambda a: np.cumsum(a, 1),
                                                   (lambda t: torch.cumsum(t, 1)) if torch else None,
                                                   lambda: _f32(4096, 4096)), 8 * 4096 * 4096),
    Case("sort", "unique 1e6 int64", _case(ntorch.unique, np.unique, torch.unique if torch else None, _ints(_N)),
         8e6),
]
