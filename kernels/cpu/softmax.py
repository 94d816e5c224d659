"""CPU softmax / log-softmax kernels.

Every call arrives as a C-contiguous 3-D view ``x`` of shape ``(outer, n, inner)`` normalised over axis 1,
written into a C-contiguous ``out`` of the same shape. Entry point: ``softmax_into(x, out, log)``.

* rows mode (``inner == 1``, the softmax dim is the last one): each row is reduced in three passes that
  stay in L1 for rows up to a few thousand elements: max (``llvm.maximum`` lanes, NaN propagates), then
  ``exp(x - max)`` (softmax) or ``x - max`` (log_softmax) written while ``exp(x - max)`` is summed, then a
  scale by ``1/sum`` or a subtraction of ``log(sum)`` (taken for a group of short rows at once).
* inner mode (``inner > 1``): the same three passes run over whole rows of ``inner`` elements at once, a
  vector of running maxima / sums per output column, so every loop is contiguous and vectorises across
  ``inner``; rows are read in memory order (strided tiles were 3-7x slower here).

float32 uses the vectorizable ``exp_f32``/``log_f32`` (1 ulp); float64 uses ``math.exp``/``math.log``.
Sums accumulate in blocks of the input type (rows) and in float64 totals. Semantics follow IEEE: a row with
a NaN or +inf gives NaN, a row of all -inf gives NaN (x - max = -inf - -inf), as PyTorch does.

The ``*_p`` kernels run the same loops under ``prange`` over row (rows mode) or ``(outer, tile)`` (inner
mode) tasks; ``softmax_into`` picks them from ``PAR_MIN`` elements on when numba has more than one thread.
"""

import math

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from .fastmath import exp_f32, log_f32
from .reduce import _to, _vmax

__all__ = ["softmax_into", "softmax_rows_into", "softmax_backward_into", "exp_", "log_", "row_max", "row_logsumexp"]

_FM = {"reassoc", "contract"}  # no nnan/ninf: -inf and NaN rows must behave as IEEE says
_JIT = dict(cache=True, error_model="numpy", fastmath=_FM, nogil=True)
_HJIT = dict(error_model="numpy", fastmath=_FM, nogil=True)
_BLOCK = 2048  # rows mode: elements summed in the input type before adding to a float64 total
_TILE = 8192  # inner mode: columns handled together (scratch of two vectors of this length)
PAR_MIN = 1 << 18  # elements from which the parallel kernels are used (read at call time)


def exp_(v):
    """exp in the precision of v: the vectorizable polynomial for float32, libm for float64."""
    return math.exp(v)


@overload(exp_)
def _exp_ol(v):
    if v == types.float32:
        return lambda v: exp_f32(v)
    return lambda v: math.exp(v)


def log_(v):
    return math.log(v)


@overload(log_)
def _log_ol(v):
    if v == types.float32:
        return lambda v: log_f32(v)
    return lambda v: math.log(v)


@njit(**_HJIT)
def row_max(x, r):
    """Max of the non-empty row r of a 2-D array; NaN if it holds one. (2-D indexing rather than a row slice:
    slices cost more than a short row's work.)"""
    m = x[r, 0]
    for i in range(x.shape[1]):
        m = _vmax(m, x[r, i])
    return m


@njit(**_HJIT)
def row_logsumexp(x, r, m):
    """log(sum(exp(x[r] - m))) in m's type (float64 sums), m = row_max(x, r)."""
    n = x.shape[1]
    tot = 0.0
    for b0 in range(0, n, _BLOCK):  # unsigned indices: no wraparound check, which would stop vectorization
        s = _to(0.0, m)
        for i in range(np.uint64(b0), np.uint64(min(n, b0 + _BLOCK))):
            s += exp_(x[r, i] - m)
        tot += s
    return log_(_to(tot, m))


@njit(**_HJIT)
def _rows(x, out, log, r0, r1):
    """Rows r0 .. r1. The row loops are written out here: behind a helper call per row (not inlined) or a
    log branch inside the row loop, rows of 16 elements ran 1.7x slower."""
    n = x.shape[1]
    if log:
        # rows in groups whose logs are taken together (one vectorized loop; a scalar log per row costs as
        # much as a short row's other work); the group stays in cache for the final subtraction
        g = max(1, min(64, 1024 // max(n, 1)))
        lse = np.empty(g, x.dtype)
        for ga in range(r0, r1, g):
            gn = min(g, r1 - ga)
            for k in range(gn):
                r = ga + k
                m = row_max(x, r)
                tot = 0.0
                for b0 in range(0, n, _BLOCK):
                    s = _to(0.0, m)
                    for i in range(np.uint64(b0), np.uint64(min(n, b0 + _BLOCK))):
                        d = x[r, i] - m
                        out[r, i] = d
                        s += exp_(d)
                    tot += s
                lse[k] = _to(tot, m)
            for k in range(gn):
                lse[k] = log_(lse[k])
            for k in range(gn):
                r = ga + k
                lk = lse[k]
                for i in range(n):
                    out[r, i] -= lk
        return
    for r in range(r0, r1):
        m = row_max(x, r)
        tot = 0.0
        for b0 in range(0, n, _BLOCK):
            s = _to(0.0, m)
            for i in range(np.uint64(b0), np.uint64(min(n, b0 + _BLOCK))):
                e = exp_(x[r, i] - m)
                out[r, i] = e
                s += e
            tot += s
        inv = _to(1.0 / tot, m)
        for i in range(n):
            out[r, i] *= inv


@njit(**_HJIT)
def _inner(x, out, log, o, j0, w, m, s):
    """Columns j0 .. j0+w of x[o] (n, inner), with scratch vectors m (x's type) and s (float64). 3-D indexing
    with unsigned column indices: no slice per row (costly for narrow inner dims) and no wraparound check."""
    n = x.shape[1]
    a = np.uint64(j0)
    b = np.uint64(j0 + w)
    for j in range(a, b):
        m[j - a] = x[o, 0, j]
    for k in range(1, n):
        for j in range(a, b):
            m[j - a] = _vmax(m[j - a], x[o, k, j])
    for j in range(a, b):
        s[j - a] = 0.0
    if log:
        for k in range(n):
            for j in range(a, b):
                d = x[o, k, j] - m[j - a]
                out[o, k, j] = d
                s[j - a] += exp_(d)
        for j in range(a, b):
            m[j - a] = log_(_to(s[j - a], m[j - a]))  # vectorized (a libm log per column is slow)
        for k in range(n):
            for j in range(a, b):
                out[o, k, j] -= m[j - a]
    else:
        for k in range(n):
            for j in range(a, b):
                e = exp_(x[o, k, j] - m[j - a])
                out[o, k, j] = e
                s[j - a] += e
        for j in range(a, b):
            m[j - a] = _to(1.0 / s[j - a], m[j - a])
        for k in range(n):
            for j in range(a, b):
                out[o, k, j] *= m[j - a]


@njit(**_JIT)
def _rows_s(x, out, log):
    _rows(x, out, log, 0, x.shape[0])


@njit(parallel=True, **_JIT)
def _rows_p(x, out, log, ntasks):
    rows = x.shape[0]
    for t in prange(ntasks):
        _rows(x, out, log, t * rows // ntasks, (t + 1) * rows // ntasks)


@njit(**_JIT)
def _inner_s(x, out, log):
    outer, inner = x.shape[0], x.shape[2]
    tile = min(inner, _TILE)
    m = np.empty(tile, x.dtype)
    s = np.empty(tile, np.float64)
    for o in range(outer):
        for j0 in range(0, inner, tile):
            _inner(x, out, log, o, j0, min(tile, inner - j0), m, s)


@njit(parallel=True, **_JIT)
def _inner_p(x, out, log, tile):
    outer, inner = x.shape[0], x.shape[2]
    nt = (inner + tile - 1) // tile
    for t in prange(outer * nt):
        o = t // nt
        j0 = (t - o * nt) * tile
        m = np.empty(tile, x.dtype)
        s = np.empty(tile, np.float64)
        _inner(x, out, log, o, j0, min(tile, inner - j0), m, s)


softmax_rows_into = _rows_s
"""softmax_rows_into(x2, out2, log): the rows of C-contiguous (outer, n) x2 on the calling thread; what softmax_into
runs for inner == 1 below PAR_MIN (ops/softmax.py calls it directly for small inputs)."""


def softmax_into(x, out, log):
    """Softmax (log=False) or log-softmax (log=True) of C-contiguous (outer, n, inner) x over axis 1 into out
    (same shape, C-contiguous, same float32/float64 dtype); n >= 1."""
    outer, n, inner = x.shape
    nthr = numba.get_num_threads() if x.size >= PAR_MIN else 1
    log = bool(log)
    if inner == 1:
        x2 = x.reshape(outer, n)
        o2 = out.reshape(outer, n)
        if nthr > 1 and outer > 1:
            _rows_p(x2, o2, log, min(outer, 4 * nthr))
        else:
            _rows_s(x2, o2, log)
        return
    if nthr > 1:
        # at least ~4 tasks per thread, tiles no narrower than 64 columns
        tile = min(inner, _TILE)
        while outer * (-(-inner // tile)) < 4 * nthr and tile > 64:
            tile = max(64, tile // 2)
        if outer * (-(-inner // tile)) > 1:
            _inner_p(x, out, log, tile)
            return
    _inner_s(x, out, log)


# ---------------------------------------------------------------------------------------------------------
# Backward: softmax  dx = y * (g - sum(g * y)),  log_softmax  dx = g - exp(y) * sum(g), over axis 1 of
# C-contiguous (outer, n, inner) y, g, out (float32/float64). Sums accumulate in float64 totals.
# ---------------------------------------------------------------------------------------------------------
@njit(**_HJIT)
def _bwd_rows(y, g, out, log, r0, r1):
    n = y.shape[1]
    for r in range(r0, r1):
        tot = 0.0
        for b0 in range(0, n, _BLOCK):
            s = _to(0.0, y[r, 0])
            for i in range(np.uint64(b0), np.uint64(min(n, b0 + _BLOCK))):
                s += g[r, i] if log else g[r, i] * y[r, i]
            tot += s
        t = _to(tot, y[r, 0])
        if log:
            for i in range(n):
                out[r, i] = g[r, i] - exp_(y[r, i]) * t
        else:
            for i in range(n):
                out[r, i] = y[r, i] * (g[r, i] - t)


@njit(**_JIT)
def _bwd_rows_s(y, g, out, log):
    _bwd_rows(y, g, out, log, 0, y.shape[0])


@njit(parallel=True, **_JIT)
def _bwd_rows_p(y, g, out, log, ntasks):
    rows = y.shape[0]
    for t in prange(ntasks):
        _bwd_rows(y, g, out, log, t * rows // ntasks, (t + 1) * rows // ntasks)


@njit(**_JIT)
def _bwd_inner(y, g, out, log):
    outer, n, inner = y.shape
    tile = min(inner, _TILE)
    s = np.empty(tile, np.float64)
    t = np.empty(tile, y.dtype)
    for o in range(outer):
        for j0 in range(0, inner, tile):
            a = np.uint64(j0)
            b = np.uint64(min(inner, j0 + tile))
            for j in range(a, b):
                s[j - a] = 0.0
            for k in range(n):
                for j in range(a, b):
                    s[j - a] += g[o, k, j] if log else g[o, k, j] * y[o, k, j]
            for j in range(a, b):
                t[j - a] = _to(s[j - a], t[0])
            for k in range(n):
                if log:
                    for j in range(a, b):
                        out[o, k, j] = g[o, k, j] - exp_(y[o, k, j]) * t[j - a]
                else:
                    for j in range(a, b):
                        out[o, k, j] = y[o, k, j] * (g[o, k, j] - t[j - a])


def softmax_backward_into(y, g, out, log):
    """Gradient of softmax (log=False) or log_softmax (log=True) w.r.t. its input, from the forward output y
    and the output gradient g; all C-contiguous (outer, n, inner) of one float32/float64 dtype, n >= 1."""
    outer, n, inner = y.shape
    log = bool(log)
    if inner == 1:
        y2, g2, o2 = y.reshape(outer, n), g.reshape(outer, n), out.reshape(outer, n)
        nthr = numba.get_num_threads() if y.size >= PAR_MIN else 1
        if nthr > 1 and outer > 1:
            _bwd_rows_p(y2, g2, o2, log, min(outer, 4 * nthr))
        else:
            _bwd_rows_s(y2, g2, o2, log)
        return
    _bwd_inner(y, g, out, log)
