"""The fused gate arithmetic of one LSTM / GRU time step (the front end: src/ntorch/nn/modules/rnn_cells.py).

Speed: error_model="numpy" (no zero-division checks) and fast-math without nnan/ninf (NaN and inf still propagate)
let LLVM vectorise the loops. float32 uses a rational tanh (Eigen's, |error| < 3e-7) and sigmoid(x) =
(1 + tanh(x / 2)) / 2, which vectorise without a vector exp; float64 keeps exp-based forms accurate to ~1 ulp.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_FM = {"afn", "contract", "arcp"}
_JIT = {"cache": True, "fastmath": _FM, "error_model": "numpy"}


@njit(inline="always", **_JIT)
def _tanh(x, fast):
    if fast:  # float32: rational approximation on [-7.9, 7.9], saturated outside
        c = np.float32(7.90531110763549805)
        x = c if x > c else (-c if x < -c else x)
        x2 = x * x
        p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
        p = x2 * p + np.float32(-8.60467152213735e-11)
        p = x2 * p + np.float32(5.12229709037114e-08)
        p = x2 * p + np.float32(1.48572235717979e-05)
        p = x2 * p + np.float32(6.37261928875436e-04)
        p = x2 * p + np.float32(4.89352455891786e-03)
        q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
        q = x2 * q + np.float32(2.26843463243900e-03)
        q = x2 * q + np.float32(4.89352518554385e-03)
        return x * p / q
    return 1.0 - 2.0 / (math.exp(2.0 * x) + 1.0)


@njit(inline="always", **_JIT)
def _sigmoid(x, fast):
    if fast:
        return np.float32(0.5) + np.float32(0.5) * _tanh(np.float32(0.5) * x, fast)
    return 1.0 / (1.0 + math.exp(-x))


@njit(inline="always", **_JIT)
def _lstm_fwd(xp, hh, c_prev, act, c, tanh_c, h, fast):  # pragma: no cover - compiled
    """act = (sigmoid i, sigmoid f, tanh g, sigmoid o) of xp + hh; c = f c_prev + i g; h = o tanh(c)."""
    rows, n = c_prev.shape
    for b in range(rows):
        x, y, a = xp[b], hh[b], act[b]
        for j in range(2 * n):
            a[j] = _sigmoid(x[j] + y[j], fast)
        for j in range(2 * n, 3 * n):
            a[j] = _tanh(x[j] + y[j], fast)
        for j in range(3 * n, 4 * n):
            a[j] = _sigmoid(x[j] + y[j], fast)
        cp, cr, tr, hr = c_prev[b], c[b], tanh_c[b], h[b]
        for j in range(n):
            cv = a[n + j] * cp[j] + a[j] * a[2 * n + j]
            t = _tanh(cv, fast)
            cr[j] = cv
            tr[j] = t
            hr[j] = a[3 * n + j] * t


@njit(**_JIT)
def _lstm_bwd(dh, dc, act, c_prev, tanh_c, dgates, dc_prev):  # pragma: no cover - compiled
    rows, n = c_prev.shape
    for b in range(rows):
        a, d, tr, dcr, dhr, cp, dcp = act[b], dgates[b], tanh_c[b], dc[b], dh[b], c_prev[b], dc_prev[b]
        for j in range(n):
            i, f, g, o = a[j], a[n + j], a[2 * n + j], a[3 * n + j]
            t = tr[j]
            dct = dcr[j] + dhr[j] * o * (1 - t * t)
            d[j] = dct * g * i * (1 - i)
            d[n + j] = dct * cp[j] * f * (1 - f)
            d[2 * n + j] = dct * i * (1 - g * g)
            d[3 * n + j] = dhr[j] * t * o * (1 - o)
            dcp[j] = dct * f


@njit(inline="always", **_JIT)
def _gru_fwd(xp, hh, bias, h_prev, act, ghn, h, fast):  # pragma: no cover - compiled
    """act = (r, z, n); ghn = hh_n + b_hn (kept for the backward); h = n + z (h_prev - n)."""
    rows, n = h_prev.shape
    for b in range(rows):
        x, y, a = xp[b], hh[b], act[b]
        for j in range(2 * n):
            a[j] = _sigmoid(x[j] + y[j] + bias[j], fast)
        gr, hr, hp = ghn[b], h[b], h_prev[b]
        for j in range(n):
            g = y[2 * n + j] + bias[2 * n + j]
            cand = _tanh(x[2 * n + j] + a[j] * g, fast)
            a[2 * n + j] = cand
            gr[j] = g
            hr[j] = cand + a[n + j] * (hp[j] - cand)


# `fast` must be a compile-time constant for LLVM to vectorise: one entry point per dtype family


@njit(**_JIT)
def _lstm_fwd_f32(xp, hh, c_prev, act, c, tanh_c, h):  # pragma: no cover - compiled
    _lstm_fwd(xp, hh, c_prev, act, c, tanh_c, h, True)


@njit(**_JIT)
def _lstm_fwd_f64(xp, hh, c_prev, act, c, tanh_c, h):  # pragma: no cover - compiled
    _lstm_fwd(xp, hh, c_prev, act, c, tanh_c, h, False)


@njit(**_JIT)
def _gru_fwd_f32(xp, hh, bias, h_prev, act, ghn, h):  # pragma: no cover - compiled
    _gru_fwd(xp, hh, bias, h_prev, act, ghn, h, True)


@njit(**_JIT)
def _gru_fwd_f64(xp, hh, bias, h_prev, act, ghn, h):  # pragma: no cover - compiled
    _gru_fwd(xp, hh, bias, h_prev, act, ghn, h, False)


@njit(**_JIT)
def _gru_bwd(dh, act, ghn, h_prev, dxp, dgh, dh_prev):  # pragma: no cover - compiled
    rows, n = h_prev.shape
    for b in range(rows):
        a, dhr, gr, hp, dx, dg, dhp = act[b], dh[b], ghn[b], h_prev[b], dxp[b], dgh[b], dh_prev[b]
        for j in range(n):
            r, z, cand = a[j], a[n + j], a[2 * n + j]
            g = dhr[j]
            dn = g * (1 - z) * (1 - cand * cand)
            dr = dn * gr[j] * r * (1 - r)
            dz = g * (hp[j] - cand) * z * (1 - z)
            dx[j] = dg[j] = dr
            dx[n + j] = dg[n + j] = dz
            dx[2 * n + j] = dn
            dg[2 * n + j] = dn * r
            dhp[j] = g * z
