"""Sorting, selection and scans: radix sort, top-k, unique, cumulative sums."""

from __future__ import annotations

import numpy as np

import ntorch

from ..case import Case, Ctx, Impls, sizes
from ..check import allclose, to_arrays

DESCRIPTION = "sort / argsort / topk / unique / cumsum"


def _values_check(a: np.ndarray, has_values: bool, axis: int = -1):
    """Ties may be ordered differently: compare the values, and check ntorch's indices point at them."""

    def check(ours, theirs) -> str | None:
        ours, theirs = to_arrays(ours), to_arrays(theirs)
        idx = ours[-1].astype(np.int64)
        picked = np.take_along_axis(a, idx, axis)
        ref = theirs[0] if has_values else np.take_along_axis(a, theirs[-1].astype(np.int64), axis)
        if has_values and (msg := allclose(ours[0], ref)):
            return f"values: {msg}"
        if msg := allclose(picked, ref):
            return f"indices: {msg}"
        return None

    return check


def _topk_np(k: int):
    def fn(a):
        part = np.argpartition(-a, k)[:k]
        idx = part[np.argsort(-a[part], kind="stable")]
        return a[idx], idx

    return fn


def _case(nt_fn, np_fn, torch_fn, check=None):
    """A build calling nt_fn(ntorch_tensor), np_fn(array), torch_fn(torch, torch_tensor) on one input.

    `check(a)` makes the result check from the input array (None: plain allclose).
    """

    def build(ctx: Ctx) -> Impls:
        shape = ctx.param if isinstance(ctx.param, tuple) else (ctx.param,)
        if ctx.dtype.kind in "iu":
            a = np.random.default_rng(0).integers(0, max(shape[-1] // 10, 2), shape).astype(ctx.dtype)
        else:
            a = ctx.randn(*shape)
        ta = ctx.nt(a)
        fns = {"ntorch": lambda: nt_fn(ta), "numpy": lambda: np_fn(a)}
        if ctx.torch is not None:
            pa = ctx.tc(a)
            fns["torch"] = lambda: torch_fn(ctx.torch, pa)
        return Impls(fns, None if check is None else check(a))

    return build


_VEC = sizes(10**4, 10**6, 10**7)
_SQ = sizes((100, 100), (1000, 1000), (4000, 4000))
_BIG = sizes((256, 256), (4096, 4096), (8192, 8192))
_F = ("float32", "float64")


def _rw(k):
    return lambda p, s: k * float(np.prod(p)) * s


CASES = [
    Case("sort", "sort {} (values, indices)", _case(ntorch.sort, lambda a: (np.sort(a), np.argsort(a)),
                                                   lambda t, x: t.sort(x), lambda a: _values_check(a, True)),
         _VEC, lambda n, s: n * (2 * s + 8), dtypes=_F),
    Case("sort", "argsort {}", _case(ntorch.argsort, lambda a: np.argsort(a, kind="stable"), lambda t, x: t.argsort(x),
                                     lambda a: _values_check(a, False)),
         _VEC, lambda n, s: n * (s + 8), dtypes=_F),
    *[Case("sort", f"topk {{}} k={k}", _case(lambda t, k=k: ntorch.topk(t, k), _topk_np(k),
                                             lambda t, x, k=k: t.topk(x, k), lambda a: _values_check(a, True)),
           _VEC, lambda n, s: n * s, dtypes=_F) for k in (100, 1000)],
    Case("sort", "sort {} dim -1", _case(ntorch.sort, lambda a: np.sort(a, -1), lambda t, x: t.sort(x),
                                         lambda a: _values_check(a, True)),
         _SQ, _rw(2), dtypes=_F, label=lambda p: f"({p[0]},{p[1]})"),
    Case("sort", "cumsum {}", _case(lambda t: ntorch.cumsum(t, 0), np.cumsum, lambda t, x: t.cumsum(x, 0)),
         sizes(10**5, 10**7, 10**8), _rw(2), dtypes=_F, tol=10.0,
         notes="sequential float32 prefix sums differ from blocked ones in the last digits"),
    Case("sort", "cumsum {} dim 0", _case(lambda t: ntorch.cumsum(t, 0), lambda a: np.cumsum(a, 0),
                                          lambda t, x: t.cumsum(x, 0)), _BIG, _rw(2), dtypes=_F, tol=10.0),
    Case("sort", "cumsum {} dim 1", _case(lambda t: ntorch.cumsum(t, 1), lambda a: np.cumsum(a, 1),
                                          lambda t, x: t.cumsum(x, 1)), _BIG, _rw(2), dtypes=_F, tol=10.0),
    Case("sort", "unique {}", _case(ntorch.unique, np.unique, lambda t, x: t.unique(x)), _VEC, lambda n, s: n * s,
         dtypes=("int64", "int32")),
]
