"""Complex reductions over an (outer, r, inner) view (the reduction contract of reduce.py): sums and products
accumulate in complex128 for both complex dtypes, one row of `inner` accumulators at a time so the reduced axis is
walked in memory order."""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = dict(cache=True, error_model="numpy", nogil=True)


@njit(**_JIT)
def _reduce(x, out, product):
    outer, r, inner = x.shape
    acc = np.empty(inner, np.complex128)
    for o in range(outer):
        acc[:] = 1 if product else 0
        for k in range(r):
            for j in range(inner):
                if product:
                    acc[j] *= x[o, k, j]
                else:
                    acc[j] += x[o, k, j]
        for j in range(inner):
            out[o, j] = acc[j]


def sum_into(x, out):
    """out[o, j] = sum_k x[o, k, j]."""
    _reduce(x, out, False)
    return out


def prod_into(x, out):
    """out[o, j] = prod_k x[o, k, j]."""
    _reduce(x, out, True)
    return out
