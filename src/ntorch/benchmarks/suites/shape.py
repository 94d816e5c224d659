"""Joins and rearranging copies: cat, stack, flip, roll, reflect padding, repeat_interleave."""

from __future__ import annotations

import numpy as np

import ntorch

from ..case import Case, Ctx, sizes

DESCRIPTION = "cat / stack / flip / roll / F.pad reflect / repeat_interleave"


def _case(n_inputs: int, fn, np_fn):
    """A build applying `fn(lib, *tensors)` (lib: ntorch or torch, same API) and `np_fn` to `n_inputs` arrays."""

    def build(ctx: Ctx) -> dict:
        shape = ctx.param
        arrays = [ctx.randn(*shape, seed=i) for i in range(n_inputs)]
        tensors = [ctx.nt(a) for a in arrays]
        fns = {"ntorch": lambda: fn(ntorch, *tensors), "numpy": lambda: np_fn(*arrays)}
        if ctx.torch is not None:
            pts = [ctx.tc(a) for a in arrays]
            fns["torch"] = lambda: fn(ctx.torch, *pts)
        return fns

    return build


def _pad(lib, t):
    return lib.nn.functional.pad(t, (1, 1, 1, 1), "reflect")


def _np_pad(x):
    return np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")


def _sq(n):
    return sizes((n[0], n[0]), (n[1], n[1]), (n[2], n[2]))


_M = _sq((64, 1024, 4096))
_IMG = sizes((2, 4, 8, 8), (32, 64, 32, 32), (64, 128, 64, 64))
_DTYPES = ("float32", "float64")


def _copy(k):
    return lambda p, s: 2.0 * k * p[0] * p[1] * s  # read + write k matrices


def _label(p):
    return "(" + ",".join(map(str, p)) + ")"


def _label4(p):
    return f"4x{_label(p)}"


CASES = [
    Case("shape", "cat {} dim 0", _case(4, lambda lib, *t: lib.cat(t, 0), lambda *a: np.concatenate(a, 0)),
         _M, _copy(4), dtypes=_DTYPES, label=_label4),
    Case("shape", "cat {} dim 1", _case(4, lambda lib, *t: lib.cat(t, 1), lambda *a: np.concatenate(a, 1)),
         _M, _copy(4), dtypes=_DTYPES, label=_label4),
    Case("shape", "stack {} dim 0", _case(4, lambda lib, *t: lib.stack(t, 0), lambda *a: np.stack(a, 0)),
         _M, _copy(4), dtypes=_DTYPES, label=_label4),
    Case("shape", "flip {} dim 1", _case(1, lambda lib, t: lib.flip(t, (1,)), lambda a: np.flip(a, 1).copy()),
         _M, _copy(1), dtypes=_DTYPES, label=_label),
    Case("shape", "flip {} dims (0,1)", _case(1, lambda lib, t: lib.flip(t, (0, 1)),
                                              lambda a: np.flip(a, (0, 1)).copy()),
         _M, _copy(1), dtypes=_DTYPES, label=_label),
    Case("shape", "roll {} (5,7) dims (0,1)", _case(1, lambda lib, t: lib.roll(t, (5, 7), (0, 1)),
                                                    lambda a: np.roll(a, (5, 7), (0, 1))),
         _M, _copy(1), dtypes=_DTYPES, label=_label),
    Case("shape", "F.pad reflect {} by 1", _case(1, _pad, _np_pad), _IMG,
         lambda p, s: p[0] * p[1] * (p[2] * p[3] + (p[2] + 2) * (p[3] + 2)) * s, dtypes=_DTYPES, label=_label),
    Case("shape", "repeat_interleave {} x2 dim 0", _case(1, lambda lib, t: lib.repeat_interleave(t, 2, 0),
                                                         lambda a: np.repeat(a, 2, 0)),
         _M, lambda p, s: 3.0 * p[0] * p[1] * s, dtypes=_DTYPES, label=_label),
    Case("shape", "repeat_interleave {} x2 dim 1", _case(1, lambda lib, t: lib.repeat_interleave(t, 2, 1),
                                                         lambda a: np.repeat(a, 2, 1)),
         _M, lambda p, s: 3.0 * p[0] * p[1] * s, dtypes=_DTYPES, label=_label),
]
