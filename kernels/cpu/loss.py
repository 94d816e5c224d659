"""CPU loss kernels: fused cross-entropy rows, NLL gather, probability-target cross-entropy, and the pointwise
losses (mse / l1, binary cross-entropy, binary cross-entropy with logits).

Conventions: inputs are C-contiguous and validated by the op, except the class targets and the BCE value
ranges, which the kernels check as they go (they only read inside the arrays and write only into the fresh
outputs the op allocated, then report the first bad position so that the op raises PyTorch's error).
Every kernel writes the per-element losses (for reduction='none' and for a later backward) and returns
float64 totals for the 'sum' / 'mean' reductions.

Class-index kernels return ``(bad, sum_loss, sum_smooth, sum_weight)``: ``bad`` is the flat position of the
first target that is neither ``ignore_index`` nor in ``[0, C)``, or -1; ``sum_weight`` sums the weights of
the targets that are not ignored (the divisor of a weighted mean); ``sum_smooth`` sums the label-smoothing
term ``-sum_c weight[c] * log_softmax(x)[c]`` of those targets.

Caching caveat: the row helpers come from softmax.py and are compiled into these kernels; Numba only
invalidates this file's cache when this file changes, so clear ``__pycache__`` after editing softmax.py.
"""

import math

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from .fastmath import log1p_f32
from .reduce import _to
from .softmax import exp_, log_, row_logsumexp, row_max

__all__ = [
    "cross_entropy_rows",
    "cross_entropy_rows_backward",
    "nll_3d",
    "prob_cross_entropy_3d",
    "mse_l1",
    "bce",
    "bce_logits",
]

_FM = {"reassoc", "contract"}
_JIT = dict(cache=True, error_model="numpy", fastmath=_FM, nogil=True)
_HJIT = dict(error_model="numpy", fastmath=_FM, nogil=True)
_BLOCK = 4096  # pointwise losses: elements summed in the input type before adding to a float64 total
PAR_MIN = 1 << 18  # elements from which cross_entropy_rows runs in parallel (read at call time)


def log1p_(v):
    return math.log1p(v)


@overload(log1p_)
def _log1p_ol(v):
    if v == types.float32:
        return lambda v: log1p_f32(v)
    return lambda v: math.log1p(v)


# ---------------------------------------------------------------------------------------------------------
# Cross-entropy with class indices over (N, C) rows: log-softmax, gather and reduction in one pass per row.
# ---------------------------------------------------------------------------------------------------------
@njit(**_HJIT)
def _ce_range(x, target, weight, ignore_index, smooth, loss, sm, lse, r0, r1):
    c = x.shape[1]
    tl = 0.0
    ts = 0.0
    tw = 0.0
    for r in range(r0, r1):
        t = target[r]
        if t == ignore_index:
            loss[r] = 0.0
            sm[r] = 0.0
            lse[r] = 0.0
            continue
        if t < 0 or t >= c:
            return r, tl, ts, tw
        m = row_max(x, r)
        lg = row_logsumexp(x, r, m)  # log(sum(exp(x[r] - m))), float64
        lse[r] = _to(m + lg, m)
        wt = weight[t]
        v = _to(wt * (lg - (x[r, t] - m)), m)
        loss[r] = v
        tl += v
        tw += wt
        if smooth:
            # -sum_c w_c * (x_c - m - lg) = lg * sum(w) - sum_c w_c * (x_c - m)
            sw = _to(0.0, m)
            ws = _to(0.0, m)
            for k in range(c):
                sw += weight[k] * (x[r, k] - m)
                ws += weight[k]
            s = _to(lg * ws - sw, m)
            sm[r] = s
            ts += s
    return -1, tl, ts, tw


@njit(**_JIT)
def _ce_s(x, target, weight, ignore_index, smooth, loss, sm, lse):
    return _ce_range(x, target, weight, ignore_index, smooth, loss, sm, lse, 0, x.shape[0])


@njit(parallel=True, **_JIT)
def _ce_p(x, target, weight, ignore_index, smooth, loss, sm, lse, part):
    ntasks = part.shape[0]
    rows = x.shape[0]
    for t in prange(ntasks):
        bad, tl, ts, tw = _ce_range(x, target, weight, ignore_index, smooth, loss, sm, lse,
                                    t * rows // ntasks, (t + 1) * rows // ntasks)
        part[t, 0] = bad
        part[t, 1] = tl
        part[t, 2] = ts
        part[t, 3] = tw


def cross_entropy_rows(x, target, weight, ignore_index, smooth, loss, sm, lse):
    """x (N, C) float32/float64, target (N,) int64, weight (C,) x's dtype; writes loss, sm (smoothing term,
    only when smooth) and lse (logsumexp of each row, for a backward) of shape (N,). Returns the totals
    described in the module docstring."""
    nthr = numba.get_num_threads() if x.size >= PAR_MIN else 1
    if nthr > 1 and x.shape[0] > 1:
        part = np.empty((min(x.shape[0], 4 * nthr), 4))
        _ce_p(x, target, weight, ignore_index, smooth, loss, sm, lse, part)
        for t in range(part.shape[0]):
            if part[t, 0] >= 0:
                return int(part[t, 0]), 0.0, 0.0, 0.0
        return -1, float(part[:, 1].sum()), float(part[:, 2].sum()), float(part[:, 3].sum())
    return _ce_s(x, target, weight, ignore_index, smooth, loss, sm, lse)


# ---------------------------------------------------------------------------------------------------------
# NLL over (N, C, D) log-probabilities with (N, D) class targets (D = 1 for the (N, C) case).
# ---------------------------------------------------------------------------------------------------------
@njit(**_JIT)
def nll_3d(logp, target, weight, ignore_index, smooth, loss, sm):
    """loss[n, d] = -weight[t] * logp[n, t, d] (0 where t == ignore_index); sm[n, d] = -sum_c weight[c] *
    logp[n, c, d] when smooth. Returns the totals described in the module docstring."""
    n_, c, d_ = logp.shape
    tl = 0.0
    ts = 0.0
    tw = 0.0
    for n in range(n_):
        for d in range(d_):
            t = target[n, d]
            if t == ignore_index:
                loss[n, d] = 0.0
                if smooth:
                    sm[n, d] = 0.0
                continue
            if t < 0 or t >= c:
                return n * d_ + d, tl, ts, tw
            wt = weight[t]
            v = -wt * logp[n, t, d]
            loss[n, d] = v
            tl += v
            tw += wt
            if smooth:
                s = 0.0
                for k in range(c):
                    s += weight[k] * logp[n, k, d]
                sm[n, d] = -s
                ts -= s
    return -1, tl, ts, tw


@njit(**_JIT)
def prob_cross_entropy_3d(logp, target, weight, label_smoothing, loss):
    """loss[n, d] = -sum_c weight[c] * logp[n, c, d] * t'[n, c, d], t' = t * (1 - ls) + ls / C. Returns the
    float64 total."""
    n_, c, d_ = logp.shape
    keep = 1.0 - label_smoothing
    add = label_smoothing / c if c else 0.0
    tot = 0.0
    for n in range(n_):
        for d in range(d_):
            s = 0.0
            for k in range(c):
                s += weight[k] * logp[n, k, d] * (target[n, k, d] * keep + add)
            loss[n, d] = -s
            tot -= s
    return tot


# ---------------------------------------------------------------------------------------------------------
# Pointwise losses over flat, equally long, contiguous arrays.
# ---------------------------------------------------------------------------------------------------------
@njit(**_JIT)
def mse_l1(a, b, w, has_w, out, square, reduce):
    """w * (a - b)**2 (square) or w * |a - b| per element into out (unless reduce); returns the float64 sums
    of the losses and of the weights."""
    n = a.size
    tot = 0.0
    wtot = 0.0
    for b0 in range(0, n, _BLOCK):
        b1 = min(n, b0 + _BLOCK)
        s = _to(0.0, a[0])
        ws = _to(0.0, a[0])
        for i in range(b0, b1):
            d = a[i] - b[i]
            v = d * d if square else abs(d)
            if has_w:
                v = v * w[i]
                ws += w[i]
            if not reduce:
                out[i] = v
            s += v
        tot += s
        wtot += ws
    return tot, wtot


@njit(**_JIT)
def bce(x, t, w, has_w, out, reduce):
    """-w * (t * max(log x, -100) + (1 - t) * max(log(1 - x), -100)). Returns (status, float64 sum): status 1
    when an input is outside [0, 1] (or NaN), 2 when a target is, else 0 (and nothing is computed)."""
    n = x.size
    for i in range(n):
        if not (x[i] >= 0 and x[i] <= 1):
            return 1, 0.0
    for i in range(n):
        if not (t[i] >= 0 and t[i] <= 1):
            return 2, 0.0
    tot = 0.0
    one = _to(1.0, x[0]) if n else 1.0
    lo = _to(-100.0, one)
    for b0 in range(0, n, _BLOCK):
        b1 = min(n, b0 + _BLOCK)
        s = _to(0.0, one)
        for i in range(b0, b1):
            lx = max(log_(x[i]), lo)
            l1x = max(log_(one - x[i]), lo)
            v = -(t[i] * lx + (one - t[i]) * l1x)
            if has_w:
                v = v * w[i]
            if not reduce:
                out[i] = v
            s += v
        tot += s
    return 0, tot


@njit(**_JIT)
def bce_logits(x, t, w, has_w, pw, has_pw, out, reduce):
    """(1 - t) * x - lw * log_sigmoid(x), lw = (pw - 1) * t + 1, times w; log_sigmoid(x) = min(x, 0) -
    log1p(exp(-|x|)) (PyTorch's formula, stable for large |x|). Returns the float64 sum."""
    n = x.size
    tot = 0.0
    for b0 in range(0, n, _BLOCK):
        b1 = min(n, b0 + _BLOCK)
        s = _to(0.0, x[0])
        one = _to(1.0, x[0])
        zero = _to(0.0, x[0])
        for i in range(b0, b1):
            xi = x[i]
            ls = (xi if xi < zero else zero) - log1p_(exp_(-abs(xi)))
            if has_pw:
                ls = ls * ((pw[i] - one) * t[i] + one)
            v = (one - t[i]) * xi - ls
            if has_w:
                v = v * w[i]
            if not reduce:
                out[i] = v
            s += v
        tot += s
    return tot


# ---------------------------------------------------------------------------------------------------------
# Backward of cross_entropy_rows: dx[r] = (softmax(x[r]) * Q_r - q_r) * gs[r], q_r = keep * w[t] * onehot(t) +
# add * w (the smoothed, weighted target), Q_r = sum(q_r); softmax from the saved row logsumexp.
# ---------------------------------------------------------------------------------------------------------
@njit(**_HJIT)
def _ce_bwd_range(x, target, weight, ignore_index, lse, keep, add, sum_w, gs, out, r0, r1):
    c = x.shape[1]
    for r in range(r0, r1):
        t = target[r]
        if t == ignore_index:
            for k in range(c):
                out[r, k] = 0.0
            continue
        gr = gs[r]
        wt = keep * weight[t]
        big_q = _to((wt + add * sum_w) * gr, gr)
        lr = lse[r]
        for k in range(c):
            out[r, k] = exp_(x[r, k] - lr) * big_q
        if add != 0.0:
            a = _to(add * gr, gr)
            for k in range(c):
                out[r, k] -= a * weight[k]
        out[r, t] -= _to(wt * gr, gr)


@njit(**_JIT)
def _ce_bwd_s(x, target, weight, ignore_index, lse, keep, add, sum_w, gs, out):
    _ce_bwd_range(x, target, weight, ignore_index, lse, keep, add, sum_w, gs, out, 0, x.shape[0])


@njit(parallel=True, **_JIT)
def _ce_bwd_p(x, target, weight, ignore_index, lse, keep, add, sum_w, gs, out, ntasks):
    rows = x.shape[0]
    for t in prange(ntasks):
        _ce_bwd_range(x, target, weight, ignore_index, lse, keep, add, sum_w, gs, out,
                      t * rows // ntasks, (t + 1) * rows // ntasks)


def cross_entropy_rows_backward(x, target, weight, ignore_index, lse, keep, add, gs, out):
    """Input gradient of cross_entropy_rows: x, out (N, C); target (N,) int64 (already checked by the
    forward); weight (C,), lse (N,) and gs (N,) (each row's loss gradient over the mean's divisor) of x's
    dtype; keep = 1 - label_smoothing, add = label_smoothing / C."""
    nthr = numba.get_num_threads() if x.size >= PAR_MIN else 1
    args = (x, target, weight, int(ignore_index), lse, float(keep), float(add), float(weight.sum()) if add else 0.0,
            gs, out)
    if nthr > 1 and x.shape[0] > 1:
        _ce_bwd_p(*args, min(x.shape[0], 4 * nthr))
    else:
        _ce_bwd_s(*args)
