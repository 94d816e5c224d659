"""Complex reductions over an (outer, r, inner) view (the reduction contract of reduce.py). A sum whose inner axis is
unit-stride (or of size 1) is the real sum kernel's over the interleaved (real, imaginary) parts, with its accuracy
and speed; other sums and products accumulate in complex128, one row of `inner` accumulators at a time so the
reduced axis is walked in memory order."""

from __future__ import annotations

import numpy as np
from numba import njit

from . import reduce as real_reduce

_JIT = dict(cache=True, error_model="numpy", nogil=True)


@njit(**_JIT)
def _sum(x, out):
    outer, r, inner = x.shape
    if inner == 1:  # one running total in registers
        for o in range(outer):
            acc = 0j
            for k in range(r):
                acc += x[o, k, 0]
            out[o, 0] = acc
        return
    acc = np.empty(inner, np.complex128)
    for o in range(outer):
        acc[:] = 0
        for k in range(r):
            for j in range(inner):
                acc[j] += x[o, k, j]
        for j in range(inner):
            out[o, j] = acc[j]


@njit(**_JIT)
def _prod(x, out):
    outer, r, inner = x.shape
    acc = np.empty(inner, np.complex128)
    for o in range(outer):
        acc[:] = 1
        for k in range(r):
            for j in range(inner):
                acc[j] *= x[o, k, j]
        for j in range(inner):
            out[o, j] = acc[j]


def sum_into(x, out):
    """out[o, j] = sum_k x[o, k, j]."""
    outer, r, inner = x.shape
    if inner == 1 or x.strides[2] == x.itemsize:  # (outer, r, 2 * inner) real parts, a view
        parts = np.lib.stride_tricks.as_strided(x.real, (outer, r, inner, 2), (*x.strides, x.itemsize // 2))
        totals = np.empty((outer, 2 * inner), x.real.dtype)
        real_reduce.sum_into(parts.reshape(outer, r, 2 * inner), totals)
        out[...] = totals.view(out.dtype)
    else:
        _sum(x, out)
    return out


def prod_into(x, out):
    """out[o, j] = prod_k x[o, k, j]."""
    _prod(x, out)
    return out
