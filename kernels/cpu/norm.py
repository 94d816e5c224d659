"""CPU kernels for layer_norm (fused over contiguous rows) and one_hot.

layer_norm: each row of a C-contiguous (M, N) array is normalised in two passes: the sums of ``x - x[0]``
and of its square (blocked sums in the input type, float64 totals; an exact second pass about the mean when
the shift makes the variance cancel), then ``(x - mean) * rstd * weight + bias`` written out. The row's
mean and 1/std are written too (what a backward needs). ``*_p`` runs row chunks under ``prange`` from
``PAR_MIN`` elements on.
"""

import math

import numba
import numpy as np
from numba import njit, prange

from .reduce import _to

__all__ = ["layer_norm_into", "layer_norm_backward_into", "l2_normalize_into", "index_range", "one_hot_into"]

_FM = {"reassoc", "contract"}
_JIT = dict(cache=True, error_model="numpy", fastmath=_FM, nogil=True)
_HJIT = dict(error_model="numpy", fastmath=_FM, nogil=True)
_BLOCK = 2048
_TILE = 8192  # l2_normalize inner mode: columns handled together
PAR_MIN = 1 << 18


@njit(**_HJIT)
def _ln_rows(x, w, b, has_w, has_b, eps, out, mean, rstd, r0, r1):
    """Rows r0 .. r1, loops written out with 2-D indexing (a helper call or a slice per row costs more than
    a short row's work); unsigned block indices keep Numba's wraparound check out of the loops."""
    n = x.shape[1]
    for r in range(r0, r1):
        k = x[r, 0]
        t1 = 0.0
        t2 = 0.0
        for b0 in range(0, n, _BLOCK):
            s1 = _to(0.0, k)
            s2 = _to(0.0, k)
            for i in range(np.uint64(b0), np.uint64(min(n, b0 + _BLOCK))):
                d = x[r, i] - k
                s1 += d
                s2 += d * d
            t1 += s1
            t2 += s2
        m1 = t1 / n
        var = t2 / n - m1 * m1
        mu = k + m1
        if m1 * m1 > 16.0 * var:  # the shift x[r, 0] is far from the mean: redo the variance about the mean
            mf = _to(mu, k)
            t2 = 0.0
            for b0 in range(0, n, _BLOCK):
                s2 = _to(0.0, k)
                for i in range(np.uint64(b0), np.uint64(min(n, b0 + _BLOCK))):
                    d = x[r, i] - mf
                    s2 += d * d
                t2 += s2
            var = t2 / n
        rs = 1.0 / math.sqrt(max(var, 0.0) + eps)
        mean[r] = mu
        rstd[r] = rs
        m = _to(mu, k)
        q = _to(rs, k)
        if has_w and has_b:
            for i in range(n):
                out[r, i] = (x[r, i] - m) * q * w[i] + b[i]
        elif has_w:
            for i in range(n):
                out[r, i] = (x[r, i] - m) * q * w[i]
        elif has_b:
            for i in range(n):
                out[r, i] = (x[r, i] - m) * q + b[i]
        else:
            for i in range(n):
                out[r, i] = (x[r, i] - m) * q


@njit(**_JIT)
def _ln_s(x, w, b, has_w, has_b, eps, out, mean, rstd):
    _ln_rows(x, w, b, has_w, has_b, eps, out, mean, rstd, 0, x.shape[0])


@njit(parallel=True, **_JIT)
def _ln_p(x, w, b, has_w, has_b, eps, out, mean, rstd, ntasks):
    rows = x.shape[0]
    for t in prange(ntasks):
        _ln_rows(x, w, b, has_w, has_b, eps, out, mean, rstd, t * rows // ntasks, (t + 1) * rows // ntasks)


def layer_norm_into(x, w, b, has_w, has_b, eps, out, mean, rstd):
    """x, out: C-contiguous (M, N), N >= 1; w, b: (N,) of x's dtype (ignored unless has_w / has_b); mean,
    rstd: (M,) float64 outputs."""
    nthr = numba.get_num_threads() if x.size >= PAR_MIN else 1
    eps = float(eps)
    if nthr > 1 and x.shape[0] > 1:
        _ln_p(x, w, b, bool(has_w), bool(has_b), eps, out, mean, rstd, min(x.shape[0], 4 * nthr))
    else:
        _ln_s(x, w, b, bool(has_w), bool(has_b), eps, out, mean, rstd)


@njit(**_HJIT)
def _clamp_eps(v, eps):
    """max(v, eps) that keeps NaN, as torch's clamp_min does."""
    return eps if v < eps else v


@njit(**_JIT)
def _l2_rows(x, out, eps):
    n = x.shape[1]
    for r in range(x.shape[0]):
        tot = 0.0
        for b0 in range(0, n, _BLOCK):
            s = _to(0.0, x[r, 0])
            for i in range(np.uint64(b0), np.uint64(min(n, b0 + _BLOCK))):
                v = x[r, i]
                s += v * v
            tot += s
        d = _to(_clamp_eps(math.sqrt(tot), eps), x[r, 0])
        for i in range(n):
            out[r, i] = x[r, i] / d


@njit(**_JIT)
def _l2_inner(x, out, eps):
    outer, n, inner = x.shape
    tile = min(inner, _TILE)
    s = np.empty(tile, np.float64)
    d = np.empty(tile, x.dtype)
    for o in range(outer):
        for j0 in range(0, inner, tile):
            a = np.uint64(j0)
            b = np.uint64(min(inner, j0 + tile))
            for j in range(a, b):
                s[j - a] = 0.0
            for k in range(n):
                for j in range(a, b):
                    v = x[o, k, j]
                    s[j - a] += v * v
            for j in range(a, b):
                d[j - a] = _to(_clamp_eps(math.sqrt(s[j - a]), eps), d[0])
            for k in range(n):
                for j in range(a, b):
                    out[o, k, j] = x[o, k, j] / d[j - a]


def l2_normalize_into(x, out, eps):
    """out = x / max(||x||_2 over axis 1, eps) for C-contiguous (outer, n, inner) float32/float64 x, n >= 1
    (the common F.normalize; norms accumulate in float64)."""
    outer, n, inner = x.shape
    if inner == 1:
        _l2_rows(x.reshape(outer, n), out.reshape(outer, n), float(eps))
    else:
        _l2_inner(x, out, float(eps))


@njit(**_JIT)
def index_range(idx):
    """(min, max) of a non-empty int64 array (read only: the op checks them before one_hot_into writes)."""
    lo = idx[0]
    hi = idx[0]
    for i in range(idx.size):
        v = idx[i]
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


@njit(**_JIT)
def one_hot_into(idx, out):
    """out[i, idx[i]] = 1 for a zeroed (n, C) int64 out; every idx[i] already checked to be in [0, C)."""
    for i in range(idx.size):
        out[i, idx[i]] = 1


# ---------------------------------------------------------------------------------------------------------
# layer_norm backward over C-contiguous (M, N) rows: with xhat = (x - mean) * rstd and gy = g * w,
# dx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)); dw = sum_rows(g * xhat), db = sum_rows(g).
# ---------------------------------------------------------------------------------------------------------
@njit(**_JIT)
def _ln_bwd(x, g, w, mean, rstd, dx, need_x, dw, db, need_wb):
    """One pass per row for the sums (and the dw / db accumulation), one writing dx."""
    n = x.shape[1]
    for r in range(x.shape[0]):
        m = _to(mean[r], x[r, 0])
        q = _to(rstd[r], x[r, 0])
        t1 = 0.0
        t2 = 0.0
        for b0 in range(0, n, _BLOCK):
            s1 = _to(0.0, q)
            s2 = _to(0.0, q)
            a = np.uint64(b0)
            b = np.uint64(min(n, b0 + _BLOCK))
            if need_wb:
                for i in range(a, b):
                    gi = g[r, i]
                    xh = (x[r, i] - m) * q
                    dw[i] += gi * xh
                    db[i] += gi
                    gy = gi * w[i]
                    s1 += gy
                    s2 += gy * xh
            else:
                for i in range(a, b):
                    gy = g[r, i] * w[i]
                    s1 += gy
                    s2 += gy * ((x[r, i] - m) * q)
            t1 += s1
            t2 += s2
        if need_x:
            c1 = _to(t1 / n, q)
            c2 = _to(t2 / n, q) * q
            for i in range(n):
                dx[r, i] = q * (g[r, i] * w[i] - c1 - (x[r, i] - m) * c2)


def layer_norm_backward_into(x, g, w, mean, rstd, dx, need_x, dw, db, need_wb):
    """x, g, dx: C-contiguous (M, N) of one float dtype; w (N,) of it (ones without a weight); mean, rstd: the
    forward's (M,) float64; dw, db: zeroed (N,) float64 accumulators (written when need_wb)."""
    _ln_bwd(x, g, w, mean, rstd, dx, bool(need_x), dw, db, bool(need_wb))
