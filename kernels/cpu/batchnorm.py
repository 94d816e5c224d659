"""CPU kernels for batch_norm over a C-contiguous (N, C, S) view of an (N, C, *spatial) input.

One pass per stage instead of the ~10 elementwise / reduction ops a composed batch norm runs:
``batch_norm_stats`` gives each channel's mean and biased variance (float64 sums, the variance as a second pass
about the mean so it does not cancel), ``batch_norm_apply`` writes ``x * scale + shift`` with the per-channel
scale ``rstd * weight`` and shift ``bias - mean * scale``, and ``batch_norm_backward`` reads x and the output
gradient once for the two channel sums the weight / bias / input gradients need, then writes the input gradient.
The ``*_p`` entry points split the channels under ``prange`` (large inputs; the caller decides).
"""

from numba import njit, prange

__all__ = ["batch_norm_stats", "batch_norm_stats_p", "batch_norm_apply", "batch_norm_apply_p",
           "batch_norm_backward", "batch_norm_backward_p"]

_FM = {"reassoc", "contract"}
_JIT = dict(cache=True, error_model="numpy", fastmath=_FM, nogil=True)


@njit(**_JIT)
def _stats_channel(x, ch, mean, var):
    n, _, s = x.shape
    t = 0.0
    for i in range(n):
        for j in range(s):
            t += x[i, ch, j]
    mu = t / (n * s)
    t2 = 0.0
    for i in range(n):
        for j in range(s):
            d = x[i, ch, j] - mu
            t2 += d * d
    mean[ch] = mu
    var[ch] = t2 / (n * s)


@njit(**_JIT)
def batch_norm_stats(x, mean, var):
    """mean[c], var[c] (float64, biased) of x[:, c, :] for a non-empty x."""
    for ch in range(x.shape[1]):
        _stats_channel(x, ch, mean, var)


@njit(parallel=True, **_JIT)
def batch_norm_stats_p(x, mean, var):
    for ch in prange(x.shape[1]):
        _stats_channel(x, ch, mean, var)


@njit(**_JIT)
def _apply_channel(x, ch, mean, rstd, w, b, has_w, has_b, out):
    scale = rstd[ch] * w[ch] if has_w else rstd[ch]
    shift = -mean[ch] * scale
    if has_b:
        shift += b[ch]
    for i in range(x.shape[0]):
        for j in range(x.shape[2]):
            out[i, ch, j] = x[i, ch, j] * scale + shift


@njit(**_JIT)
def batch_norm_apply(x, mean, rstd, w, b, has_w, has_b, out):
    """out = (x - mean[c]) * rstd[c] * w[c] + b[c] (w / b unused when has_w / has_b is False)."""
    for ch in range(x.shape[1]):
        _apply_channel(x, ch, mean, rstd, w, b, has_w, has_b, out)


@njit(parallel=True, **_JIT)
def batch_norm_apply_p(x, mean, rstd, w, b, has_w, has_b, out):
    for ch in prange(x.shape[1]):
        _apply_channel(x, ch, mean, rstd, w, b, has_w, has_b, out)


@njit(**_JIT)
def _backward_channel(x, g, ch, mean, rstd, w, has_w, training, gx, need_x, dw, db):
    n, _, s = x.shape
    mu = mean[ch]
    sg = 0.0
    sgx = 0.0
    for i in range(n):
        for j in range(s):
            gv = g[i, ch, j]
            sg += gv
            sgx += gv * (x[i, ch, j] - mu)
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
                for j in range(s):
                    gx[i, ch, j] = k * (g[i, ch, j] - a - (x[i, ch, j] - mu) * c2)
        else:
            for i in range(n):
                for j in range(s):
                    gx[i, ch, j] = k * g[i, ch, j]


@njit(**_JIT)
def batch_norm_backward(x, g, mean, rstd, w, has_w, training, gx, need_x, dw, db):
    """The gradients of batch_norm_apply's output g: db[c] = sum g, dw[c] = sum g * xhat (float64) and, when
    need_x, gx (training: through the batch statistics too; eval: g * rstd * w)."""
    for ch in range(x.shape[1]):
        _backward_channel(x, g, ch, mean, rstd, w, has_w, training, gx, need_x, dw, db)


@njit(parallel=True, **_JIT)
def batch_norm_backward_p(x, g, mean, rstd, w, has_w, training, gx, need_x, dw, db):
    for ch in prange(x.shape[1]):
        _backward_channel(x, g, ch, mean, rstd, w, has_w, training, gx, need_x, dw, db)
