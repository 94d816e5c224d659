"""CPU kernels for batch_norm over a C-contiguous (N, C, S) view of an (N, C, *spatial) input.

One pass per stage instead of the ~10 elementwise / reduction ops a composed batch norm runs:
``batch_norm_stats`` gives each channel's mean and biased variance (float64 sums, the variance as a second pass
about the mean so it does not cancel), ``batch_norm_apply`` writes ``x * scale + shift`` with the per-channel
scale ``rstd * weight`` and shift ``bias - mean * scale``, and ``batch_norm_backward`` reads x and the output
gradient once for the two channel sums the weight / bias / input gradients need, then writes the input gradient.
The ``*_p`` entry points split the work under ``prange`` (large inputs; the caller decides).

Two layouts of the loops: a large S walks each channel's N runs of S contiguous values (one channel at a time);
a small S (below ``FLAT_S``, e.g. BatchNorm1d's (N, C) with S = 1) walks each sample's row of C*S values with
per-column accumulators and per-column expanded parameters, so the inner loop is unit-stride and vectorizes
(a channel at a time would jump C*S elements between its few values).
"""

import numpy as np
from numba import njit, prange

__all__ = ["batch_norm_stats", "batch_norm_stats_p", "batch_norm_apply", "batch_norm_apply_p",
           "batch_norm_backward", "batch_norm_backward_p"]

_FM = {"reassoc", "contract"}
_JIT = dict(cache=True, error_model="numpy", fastmath=_FM, nogil=True)
FLAT_S = 128  # spatial sizes below this take the row-wise (flat) loops
_FLAT_COLS = 4096  # columns per block of the flat loops (the float64 accumulators stay in L1 / L2)


# ---------------------------------------------------------------------------------------------------------
# Per-channel loops (large S)

@njit(**_JIT)
def _stats_channel(x, ch, mean, var):
    n, _, s = x.shape
    t = 0.0
    for i in range(n):
        row = x[i, ch]
        for j in range(s):
            t += row[j]
    mu = t / (n * s)
    t2 = 0.0
    for i in range(n):
        row = x[i, ch]
        for j in range(s):
            d = row[j] - mu
            t2 += d * d
    mean[ch] = mu
    var[ch] = t2 / (n * s)


@njit(**_JIT)
def _apply_channel(x, ch, mean, rstd, w, b, has_w, has_b, out):
    scale = rstd[ch] * w[ch] if has_w else rstd[ch]
    shift = -mean[ch] * scale
    if has_b:
        shift += b[ch]
    for i in range(x.shape[0]):
        row = x[i, ch]
        orow = out[i, ch]
        for j in range(x.shape[2]):
            orow[j] = row[j] * scale + shift


@njit(**_JIT)
def _backward_channel(x, g, ch, mean, rstd, w, has_w, training, gx, need_x, dw, db):
    n, _, s = x.shape
    mu = mean[ch]
    sg = 0.0
    sgx = 0.0
    for i in range(n):
        xr = x[i, ch]
        gr = g[i, ch]
        for j in range(s):
            gv = gr[j]
            sg += gv
            sgx += gv * (xr[j] - mu)
    r = rstd[ch]
    db[ch] = sg
    dw[ch] = sgx * r
    if need_x:
        k = r * w[ch] if has_w else r
        if training:  # the batch statistics depend on x: subtract the mean gradient and its projection on xhat
            cnt = n * s
            a = sg / cnt
            c2 = sgx * r * r / cnt
            for i in range(n):
                xr = x[i, ch]
                gr = g[i, ch]
                gxr = gx[i, ch]
                for j in range(s):
                    gxr[j] = k * (gr[j] - a - (xr[j] - mu) * c2)
        else:
            for i in range(n):
                gr = g[i, ch]
                gxr = gx[i, ch]
                for j in range(s):
                    gxr[j] = k * gr[j]


# ---------------------------------------------------------------------------------------------------------
# Row-wise loops (small S) over channels [c0, c1): columns c0*s .. c1*s of the (N, C*S) view

@njit(inline="always")
def _expand(vals, c0, c1, s):
    """Per-column float64 copy of per-channel values[c0:c1], each repeated s times."""
    out = np.empty((c1 - c0) * s)
    for ch in range(c0, c1):
        v = vals[ch - c0]
        seg = out[(ch - c0) * s: (ch - c0 + 1) * s]
        for j in range(s):
            seg[j] = v
    return out


@njit(inline="always")
def _channel_sums(acc, c0, c1, s, dest):
    """dest[ch] = the sum of acc's s columns of channel ch, for ch in [c0, c1)."""
    for ch in range(c0, c1):
        seg = acc[(ch - c0) * s: (ch - c0 + 1) * s]
        t = 0.0
        for j in range(s):
            t += seg[j]
        dest[ch] = t


@njit(**_JIT)
def _stats_flat(x2, s, mean, var, c0, c1):
    n = x2.shape[0]
    k0 = c0 * s
    k1 = c1 * s
    acc = np.zeros(k1 - k0)
    for i in range(n):
        row = x2[i][k0:k1]
        for k in range(row.size):
            acc[k] += row[k]
    _channel_sums(acc, c0, c1, s, mean)
    for ch in range(c0, c1):
        mean[ch] = mean[ch] / (n * s)
    muf = _expand(mean[c0:c1], c0, c1, s)
    for k in range(acc.size):
        acc[k] = 0.0
    for i in range(n):
        row = x2[i][k0:k1]
        for k in range(row.size):
            d = row[k] - muf[k]
            acc[k] += d * d
    _channel_sums(acc, c0, c1, s, var)
    for ch in range(c0, c1):
        var[ch] = var[ch] / (n * s)


@njit(**_JIT)
def _apply_flat(x2, s, mean, rstd, w, b, has_w, has_b, out2, c0, c1):
    scale = np.empty(c1 - c0)
    shift = np.empty(c1 - c0)
    for ch in range(c0, c1):
        sc = rstd[ch] * w[ch] if has_w else rstd[ch]
        sh = -mean[ch] * sc
        if has_b:
            sh += b[ch]
        scale[ch - c0] = sc
        shift[ch - c0] = sh
    sf = _expand(scale, c0, c1, s)
    hf = _expand(shift, c0, c1, s)
    k0 = c0 * s
    k1 = c1 * s
    for i in range(x2.shape[0]):
        row = x2[i][k0:k1]
        orow = out2[i][k0:k1]
        for k in range(row.size):
            orow[k] = row[k] * sf[k] + hf[k]


@njit(**_JIT)
def _backward_flat(x2, g2, s, mean, rstd, w, has_w, training, gx2, need_x, dw, db, c0, c1):
    n = x2.shape[0]
    k0 = c0 * s
    k1 = c1 * s
    muf = _expand(mean[c0:c1], c0, c1, s)
    sg = np.zeros(k1 - k0)
    sgx = np.zeros(k1 - k0)
    for i in range(n):
        xr = x2[i][k0:k1]
        gr = g2[i][k0:k1]
        for k in range(xr.size):
            gv = gr[k]
            sg[k] += gv
            sgx[k] += gv * (xr[k] - muf[k])
    _channel_sums(sg, c0, c1, s, db)
    _channel_sums(sgx, c0, c1, s, dw)
    kc = np.empty(c1 - c0)
    ac = np.empty(c1 - c0)
    c2c = np.empty(c1 - c0)
    cnt = n * s
    for ch in range(c0, c1):
        r = rstd[ch]
        sgx_ch = dw[ch]
        dw[ch] = sgx_ch * r
        kc[ch - c0] = r * w[ch] if has_w else r
        ac[ch - c0] = db[ch] / cnt
        c2c[ch - c0] = sgx_ch * r * r / cnt
    if not need_x:
        return
    kf = _expand(kc, c0, c1, s)
    if training:
        af = _expand(ac, c0, c1, s)
        c2f = _expand(c2c, c0, c1, s)
        for i in range(n):
            xr = x2[i][k0:k1]
            gr = g2[i][k0:k1]
            gxr = gx2[i][k0:k1]
            for k in range(xr.size):
                gxr[k] = kf[k] * (gr[k] - af[k] - (xr[k] - muf[k]) * c2f[k])
    else:
        for i in range(n):
            gr = g2[i][k0:k1]
            gxr = gx2[i][k0:k1]
            for k in range(gr.size):
                gxr[k] = kf[k] * gr[k]


@njit(inline="always")
def _flat2(a):
    return a.reshape(a.shape[0], a.shape[1] * a.shape[2])


# ---------------------------------------------------------------------------------------------------------
# Entry points

@njit(**_JIT)
def batch_norm_stats(x, mean, var):
    """mean[c], var[c] (float64, biased) of x[:, c, :] for a non-empty x."""
    c, s = x.shape[1], x.shape[2]
    if s < FLAT_S:
        per = max(1, _FLAT_COLS // s)
        for c0 in range(0, c, per):
            _stats_flat(_flat2(x), s, mean, var, c0, min(c, c0 + per))
    else:
        for ch in range(c):
            _stats_channel(x, ch, mean, var)


@njit(parallel=True, **_JIT)
def batch_norm_stats_p(x, mean, var):
    c, s = x.shape[1], x.shape[2]
    if s < FLAT_S:
        per = max(1, _FLAT_COLS // s)
        for blk in prange((c + per - 1) // per):
            c0 = blk * per
            _stats_flat(_flat2(x), s, mean, var, c0, min(c, c0 + per))
    else:
        for ch in prange(c):
            _stats_channel(x, ch, mean, var)


@njit(**_JIT)
def batch_norm_apply(x, mean, rstd, w, b, has_w, has_b, out):
    """out = (x - mean[c]) * rstd[c] * w[c] + b[c] (w / b unused when has_w / has_b is False)."""
    c, s = x.shape[1], x.shape[2]
    if s < FLAT_S:
        per = max(1, _FLAT_COLS // s)
        for c0 in range(0, c, per):
            _apply_flat(_flat2(x), s, mean, rstd, w, b, has_w, has_b, _flat2(out), c0, min(c, c0 + per))
    else:
        for ch in range(c):
            _apply_channel(x, ch, mean, rstd, w, b, has_w, has_b, out)


@njit(parallel=True, **_JIT)
def batch_norm_apply_p(x, mean, rstd, w, b, has_w, has_b, out):
    c, s = x.shape[1], x.shape[2]
    if s < FLAT_S:
        per = max(1, _FLAT_COLS // s)
        for blk in prange((c + per - 1) // per):
            c0 = blk * per
            _apply_flat(_flat2(x), s, mean, rstd, w, b, has_w, has_b, _flat2(out), c0, min(c, c0 + per))
    else:
        for ch in prange(c):
            _apply_channel(x, ch, mean, rstd, w, b, has_w, has_b, out)


@njit(**_JIT)
def batch_norm_backward(x, g, mean, rstd, w, has_w, training, gx, need_x, dw, db):
    """The gradients of batch_norm_apply's output g: db[c] = sum g, dw[c] = sum g * xhat (float64) and, when
    need_x, gx (training: through the batch statistics too; eval: g * rstd * w)."""
    c, s = x.shape[1], x.shape[2]
    if s < FLAT_S:
        per = max(1, _FLAT_COLS // s)
        gx2 = _flat2(gx)
        for c0 in range(0, c, per):
            _backward_flat(_flat2(x), _flat2(g), s, mean, rstd, w, has_w, training, gx2, need_x, dw, db, c0,
                           min(c, c0 + per))
    else:
        for ch in range(c):
            _backward_channel(x, g, ch, mean, rstd, w, has_w, training, gx, need_x, dw, db)


@njit(parallel=True, **_JIT)
def batch_norm_backward_p(x, g, mean, rstd, w, has_w, training, gx, need_x, dw, db):
    c, s = x.shape[1], x.shape[2]
    if s < FLAT_S:
        per = max(1, _FLAT_COLS // s)
        gx2 = _flat2(gx)
        for blk in prange((c + per - 1) // per):
            c0 = blk * per
            _backward_flat(_flat2(x), _flat2(g), s, mean, rstd, w, has_w, training, gx2, need_x, dw, db, c0,
                           min(c, c0 + per))
    else:
        for ch in prange(c):
            _backward_channel(x, g, ch, mean, rstd, w, has_w, training, gx, need_x, dw, db)
