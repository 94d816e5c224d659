"""CPU kernels for group_norm over a C-contiguous (N*G, D) view of an (N, C, *spatial) input, D = C/G * HW.

Each row is one (sample, group) block: one contiguous run of C/G channels of HW values, small enough to stay in
cache while the forward reads it two or three times (float64 sums: for float32 the sum and sum of squares about
the row's first value in one pass, for float64 the sum then the squared deviations from the mean; then
``(x - mean) * scale[c] + bias[c]`` with the per-channel scale ``rstd * weight[c]``)
instead of the ~10 whole-tensor passes a composed group norm makes. The backward reads each block twice: per
channel the float64 sums of dy and dy * (x - mean) (the weight / bias gradients' per-sample parts and the
group's two sums), then writes dx = rstd * w[c] * dy + c2 * (x - mean) + c3 (torch's formula, centred).
The ``*_p`` entry points split the blocks under ``prange`` (large inputs; the caller decides).
"""

import numpy as np
from numba import njit, prange

__all__ = ["group_norm_forward", "group_norm_forward_p", "group_norm_backward", "group_norm_backward_p"]

_FM = {"reassoc", "contract"}
_JIT = dict(cache=True, error_model="numpy", fastmath=_FM, nogil=True)


@njit(**_JIT)
def _forward_block(x2, i, hw, cpg, groups, w, b, has_w, has_b, eps, out2, mean, rstd):
    """Row i = (n, g) of x2: its mean and rstd (float64), then the normalised, affine row of out2."""
    row = x2[i]
    orow = out2[i]
    d = row.size
    if x2.itemsize == 4:  # float32: one pass of float64 sums about row[0] (float64 has ~29 bits to cancel)
        sh = np.float64(row[0])
        t = 0.0
        t2 = 0.0
        for k in range(d):
            dv = row[k] - sh
            t += dv
            t2 += dv * dv
        tm = t / d
        mu = sh + tm
        var = max(t2 / d - tm * tm, 0.0)
    else:  # float64: two passes (sum, then squared deviations from the mean) so nothing cancels
        t = 0.0
        for k in range(d):
            t += row[k]
        mu = t / d
        t2 = 0.0
        for k in range(d):
            dv = row[k] - mu
            t2 += dv * dv
        var = t2 / d
    r = 1.0 / np.sqrt(var + eps)
    mean[i] = mu
    rstd[i] = r
    c0 = (i % groups) * cpg
    # scale, shift and mean in x's dtype: the inner loop stays float32 for float32. (x - mean) * scale + shift
    # rather than torch's x * scale + (bias - mean * scale): no float32 cancellation when |mean| >> std
    coef = np.empty(3, x2.dtype)
    coef[2] = mu
    muf = coef[2]
    for j in range(cpg):
        s = r * w[c0 + j] if has_w else r
        coef[0] = s
        coef[1] = (b[c0 + j] if has_b else 0.0) + (muf - mu) * s  # the shift also carries mean's rounding
        s1 = coef[0]
        h1 = coef[1]
        seg = row[j * hw:(j + 1) * hw]
        oseg = orow[j * hw:(j + 1) * hw]
        for k in range(hw):
            oseg[k] = (seg[k] - muf) * s1 + h1


@njit(**_JIT)
def group_norm_forward(x2, hw, cpg, groups, w, b, has_w, has_b, eps, out2, mean, rstd):
    """out2 = group_norm of the (N*G, D) rows of x2 (cpg channels of hw values each; row i's j-th channel is
    (i % groups) * cpg + j); mean / rstd (float64, N*G) get each row's statistics. w / b (C,) are read only
    when has_w / has_b."""
    for i in range(x2.shape[0]):
        _forward_block(x2, i, hw, cpg, groups, w, b, has_w, has_b, eps, out2, mean, rstd)


@njit(parallel=True, **_JIT)
def group_norm_forward_p(x2, hw, cpg, groups, w, b, has_w, has_b, eps, out2, mean, rstd):
    for i in prange(x2.shape[0]):
        _forward_block(x2, i, hw, cpg, groups, w, b, has_w, has_b, eps, out2, mean, rstd)


@njit(**_JIT)
def _backward_block(x2, g2, i, hw, cpg, groups, w, has_w, mean, rstd, dx2, need_x, dsn, dbn):
    """Row i = (n, g): dsn / dbn[n, c] = sum over the channel's hw values of dy * (x - mean) * rstd and of dy;
    then, when need_x, the row's input gradient."""
    row = x2[i]
    grow = g2[i]
    n = i // groups
    c0 = (i % groups) * cpg
    mu = mean[i]
    r = rstd[i]
    # k, c2, c3 and the mean in x's dtype: the inner loops stay float32 for float32 (float64 sums)
    coef = np.empty(4, x2.dtype)
    coef[3] = mu
    muf = coef[3]
    a = 0.0  # sum of w * dy over the group
    bsum = 0.0  # sum of w * dy * (x - mean) over the group
    for j in range(cpg):
        seg = row[j * hw:(j + 1) * hw]
        gseg = grow[j * hw:(j + 1) * hw]
        sg = 0.0
        sgx = 0.0
        for k in range(hw):
            gv = gseg[k]
            sg += gv
            sgx += gv * (seg[k] - muf)
        sgx += (muf - mu) * sg  # about the float64 mean
        dsn[n, c0 + j] = sgx * r
        dbn[n, c0 + j] = sg
        wc = w[c0 + j] if has_w else 1.0
        a += wc * sg
        bsum += wc * sgx
    if not need_x:
        return
    d = row.size
    drow = dx2[i]
    c2d = -r * r * r * bsum / d
    coef[1] = c2d
    coef[2] = -r * a / d + (muf - mu) * c2d  # c3 also carries the mean's rounding to x's dtype
    c2 = coef[1]
    c3 = coef[2]
    for j in range(cpg):
        coef[0] = r * w[c0 + j] if has_w else r
        kf = coef[0]
        seg = row[j * hw:(j + 1) * hw]
        gseg = grow[j * hw:(j + 1) * hw]
        dseg = drow[j * hw:(j + 1) * hw]
        for k in range(hw):
            dseg[k] = gseg[k] * kf + (seg[k] - muf) * c2 + c3


@njit(**_JIT)
def group_norm_backward(x2, g2, hw, cpg, groups, w, has_w, mean, rstd, dx2, need_x, dsn, dbn):
    """The gradients of group_norm_forward's output g2: dsn / dbn (float64, (N, C)) the per-sample parts of the
    weight / bias gradients (sum them over N), and dx2 when need_x (dx2 unused otherwise)."""
    for i in range(x2.shape[0]):
        _backward_block(x2, g2, i, hw, cpg, groups, w, has_w, mean, rstd, dx2, need_x, dsn, dbn)


@njit(parallel=True, **_JIT)
def group_norm_backward_p(x2, g2, hw, cpg, groups, w, has_w, mean, rstd, dx2, need_x, dsn, dbn):
    for i in prange(x2.shape[0]):
        _backward_block(x2, g2, i, hw, cpg, groups, w, has_w, mean, rstd, dx2, need_x, dsn, dbn)
