"""Convolution kernels: im2col (unfold), col2im (fold), bias add; the fused unfold + GEMM convolutions, the
stride-1 shifted GEMM and the direct (depthwise) convolution (sections below).

A convolution is unfold + the packed GEMM of kernels/cpu/matmul.py: the front end unfolds a block
of images into columns (C*kh*kw, L) and multiplies the weight (Cout, C*kh*kw) by them, which gives
PyTorch's (Cout, OH*OW) output layout directly. The transposed convolution is the GEMM followed by
col2im. im2col only moves data: it runs on same-width unsigned views of the input, so one compile
serves every dtype of that width.

Preconditions (the front end validates; kernels never check bounds): x C-contiguous (N, C, H, W),
cols C-contiguous (N, R, oh*ow) with R >= C*kh*kw (conv2d puts a row of ones past the unfolded rows,
so that the bias rides along in the GEMM), sizes consistent with the geometry arguments.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from .matmul import MR, _micro_kernel, _next_item, _nr

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)
_KC_BLOCK = 256  # the GEMM's K block (matmul's KC for 4- and 8-byte types)...
_NC_BLOCK = 128  # ...and column block


@numba.njit(inline="always")
def _valid_range(n_out, start, step, size):
    """The [lo, hi) range of output positions o < n_out whose input index start + o*step is in [0, size)."""
    lo = 0
    if start < 0:
        lo = (-start + step - 1) // step
    hi = 0
    if start < size:
        hi = (size - 1 - start) // step + 1
    if hi > n_out:
        hi = n_out
    if lo > hi:
        lo = hi
    return lo, hi


@numba.njit(**_OPTS)
def _im2col_image(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """cols[(c*kh + i)*kw + j, oy*ow + ox] = x[c, oy*sh - ph + i*dh, ox*sw - pw + j*dw] (0 outside).
    Rows of cols past C*kh*kw are left alone.

    Works on flat views with one slice per copied row segment (loops from 0 over slices vectorize;
    rows with padding are zeroed first), about 3x faster than indexing 2-d views per row."""
    c_in, h, w = x.shape
    zero = cols.dtype.type(0)
    length = oh * ow
    xf = x.reshape(-1)
    cf = cols.reshape(-1)
    for c in range(c_in):
        for i in range(kh):
            ylo, yhi = _valid_range(oh, i * dh - ph, sh, h)
            for j in range(kw):
                base = ((c * kh + i) * kw + j) * length
                x0 = j * dw - pw
                xlo, xhi = _valid_range(ow, x0, sw, w)
                if ylo > 0 or yhi < oh or xlo > 0 or xhi < ow:
                    row = cf[base : base + length]
                    for k in range(length):
                        row[k] = zero
                nx = xhi - xlo
                for oy in range(ylo, yhi):
                    d0 = base + oy * ow + xlo
                    s0 = (c * h + oy * sh - ph + i * dh) * w + x0 + xlo * sw
                    d = cf[d0 : d0 + nx]
                    if sw == 1:
                        src = xf[s0 : s0 + nx]
                        for k in range(nx):
                            d[k] = src[k]
                    else:
                        for k in range(nx):
                            d[k] = xf[s0 + k * sw]


@numba.njit(**_OPTS)
def im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """cols[n] = im2col of x[n] for every image n."""
    for n in range(x.shape[0]):
        _im2col_image(x[n], cols[n], kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)


@numba.njit(parallel=True, **_OPTS)
def im2col_parallel(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """im2col with the images shared among threads."""
    for n in prange(x.shape[0]):
        _im2col_image(x[n], cols[n], kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)


@numba.njit(**_OPTS)
def col2im(cols, out, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """out[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw] += cols[n, (c*kh + i)*kw + j, oy*ow + ox] for the
    positions inside out (the adjoint of im2col). out must hold zeros (or what to add to) on entry."""
    nb, c_in, h, w = out.shape
    for n in range(nb):
        for c in range(c_in):
            plane = out[n, c]
            for i in range(kh):
                ylo, yhi = _valid_range(oh, i * dh - ph, sh, h)
                for j in range(kw):
                    src = cols[n, (c * kh + i) * kw + j]
                    x0 = j * dw - pw
                    xlo, xhi = _valid_range(ow, x0, sw, w)
                    nx = xhi - xlo
                    for oy in range(ylo, yhi):
                        row = plane[oy * sh - ph + i * dh]
                        s = src[oy * ow + xlo : oy * ow + xhi]
                        if sw == 1:  # contiguous on both sides: vectorizes
                            d = row[x0 + xlo : x0 + xhi]
                            for k in range(nx):
                                d[k] += s[k]
                        else:
                            for k in range(nx):
                                row[x0 + (xlo + k) * sw] += s[k]


@numba.njit(**_OPTS)
def add_bias(out, bias):
    """out[n, c, :] += bias[c] for out of shape (N, C, L)."""
    for n in range(out.shape[0]):
        for c in range(out.shape[1]):
            b = bias[c]
            row = out[n, c]
            for k in range(out.shape[2]):
                row[k] += b


def unsigned_view(a: np.ndarray) -> np.ndarray:
    """A C-contiguous array seen as unsigned integers of its width (data movement compiles once per width)."""
    return a.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])


def num_threads() -> int:
    return numba.get_num_threads()


# ---------------------------------------------------------------------------------------------
# Fused convolutions (float32 / float64): per work item (one image, or a chunk of its output rows), im2col of
# the chunk into a per-thread buffer that stays in L2, then the micro-kernel GEMM of kernels/cpu/matmul.py on it.
# Work items go to threads through a shared counter (a thread slowed by other processes takes fewer). Geometry is
# always 3-d (conv1d / conv2d have depth 1): geo = (kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, od, oh, ow),
# the kernel, stride, padding (front), dilation and the size of the "block" grid (the convolution's output; for
# the transposed convolution, its input). A "row" is one (z, y) position of that grid: r = z*oh + y.
# ---------------------------------------------------------------------------------------------


@numba.njit(inline="always")
def _im2col_rows(xf, c_in, d, h, w, cf, lc, geo, r0, r1):
    """cf[((c*kd + a)*kh + i)*kw + j, (r - r0)*ow + ox] = x[c, z*sd - pd + a*dd, y*sh - ph + i*dh, ox*sw - pw + j*dw]
    for grid rows r = z*oh + y in [r0, r1) (0 outside x); cf is flat with row stride lc, xf the flat image.
    Segments are often short (16-56 elements): slices with loops from 0 (they vectorize), no divisions."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, od, oh, ow = geo
    zero = cf.dtype.type(0)
    z_first = r0 // oh
    for c in range(c_in):
        for a in range(kd):
            for i in range(kh):
                for j in range(kw):
                    base = (((c * kd + a) * kh + i) * kw + j) * lc
                    x0 = j * dw - pw
                    xlo, xhi = _valid_range(ow, x0, sw, w)
                    nx = xhi - xlo
                    z = z_first
                    y = r0 - z * oh
                    for r in range(r1 - r0):
                        iz = z * sd - pd + a * dd
                        iy = y * sh - ph + i * dh
                        y += 1
                        if y == oh:
                            y = 0
                            z += 1
                        seg = cf[base + r * ow: base + (r + 1) * ow]
                        if iz < 0 or iz >= d or iy < 0 or iy >= h:
                            for k in range(ow):
                                seg[k] = zero
                            continue
                        for k in range(xlo):
                            seg[k] = zero
                        for k in range(xhi, ow):
                            seg[k] = zero
                        s0 = ((c * d + iz) * h + iy) * w + x0 + xlo * sw
                        dst = seg[xlo:xhi]
                        if sw == 1:
                            src = xf[s0: s0 + nx]
                            for k in range(nx):
                                dst[k] = src[k]
                        else:
                            for k in range(nx):
                                dst[k] = xf[s0 + k * sw]


@numba.njit(inline="always")
def _col2im_rows(cf, lc, of, c_out, d, h, w, geo, r0, r1):
    """The adjoint of _im2col_rows: of (flat image (c_out, d, h, w)) += the columns of grid rows [r0, r1)."""
    kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, od, oh, ow = geo
    z_first = r0 // oh
    for c in range(c_out):
        for a in range(kd):
            for i in range(kh):
                for j in range(kw):
                    base = (((c * kd + a) * kh + i) * kw + j) * lc
                    x0 = j * dw - pw
                    xlo, xhi = _valid_range(ow, x0, sw, w)
                    nx = xhi - xlo
                    z = z_first
                    y = r0 - z * oh
                    for r in range(r1 - r0):
                        iz = z * sd - pd + a * dd
                        iy = y * sh - ph + i * dh
                        y += 1
                        if y == oh:
                            y = 0
                            z += 1
                        if iz < 0 or iz >= d or iy < 0 or iy >= h:
                            continue
                        src = cf[base + r * ow + xlo: base + r * ow + xhi]
                        d0 = ((c * d + iz) * h + iy) * w + x0 + xlo * sw
                        if sw == 1:  # contiguous on both sides: vectorizes
                            dst = of[d0: d0 + nx]
                            for k in range(nx):
                                dst[k] += src[k]
                        else:
                            for k in range(nx):
                                of[d0 + k * sw] += src[k]


@numba.njit(inline="always")
def _gemm(kdim, a, aoff, sai, sap, m, b, boff, sbp, n, c, ci, cj, accumulate):
    """c[ci + i, cj + j] (+)= sum_p a.flat[aoff + i*sai + p*sap] * b.flat[boff + p*sbp + j] for i < m, j < n, with
    the micro-kernel over unpacked operands (blocked as matmul's direct path); accumulate: add to c."""
    nr, kcb, ncb = _nr(c.itemsize), _KC_BLOCK, _NC_BLOCK
    for k0 in range(0, kdim, kcb):
        kc = min(kcb, kdim - k0)
        acc = accumulate or k0 > 0
        for j0 in range(0, n, ncb):
            j1 = min(j0 + ncb, n)
            for i0 in range(0, m, MR):
                for jj in range(j0, j1, nr):
                    _micro_kernel(kc, a, aoff + i0 * sai + k0 * sap, sai, sap, min(MR, m - i0), b,
                                  boff + k0 * sbp + jj, sbp, min(nr, n - jj), c, ci + i0, cj + jj, acc)


@numba.njit(parallel=True, **_OPTS)
def conv_forward(x, w, bias, out, geo, groups, chunk, buf):
    """out[n, :, rows] = conv of x (N, C, D, H, W) with w (Cout, C/groups*kd*kh*kw), + bias when bias.size > 0;
    out (N, Cout, od*oh*ow). Items: (image, chunk of `chunk` grid rows); buf (threads, C*kd*kh*kw*chunk*ow)."""
    nb, c_in, d, h, wd = x.shape
    cout, kg = w.shape
    coutg = cout // groups
    od, oh, ow = geo[12], geo[13], geo[14]
    rows = od * oh
    nch = (rows + chunk - 1) // chunk
    lc = chunk * ow
    counter = np.zeros(1, np.int64)
    for t in prange(buf.shape[0]):
        cols = buf[t]
        item = _next_item(counter)
        while item < nb * nch:
            n = item // nch
            r0 = (item - n * nch) * chunk
            r1 = min(rows, r0 + chunk)
            _im2col_rows(x[n].reshape(-1), c_in, d, h, wd, cols, lc, geo, r0, r1)
            o = out[n]
            nl = (r1 - r0) * ow
            for g in range(groups):
                _gemm(kg, w, g * coutg * kg, kg, 1, coutg, cols, g * kg * lc, lc, nl, o, g * coutg, r0 * ow, False)
            if bias.size:
                for co in range(cout):
                    bv = bias[co]
                    seg = o[co, r0 * ow: r0 * ow + nl]
                    for k in range(nl):
                        seg[k] += bv
            item = _next_item(counter)


@numba.njit(parallel=True, **_OPTS)
def conv_transpose(x, w, out, geo, groups, chunk, parity, buf):
    """out (N, Cout, D, H, W) += the transposed conv of x (N, Cin, bd*bh*bw) with w (Cin, Cout/groups*kd*kh*kw):
    per chunk of grid rows, cols = W_g^T x_g (one GEMM per group) into buf[thread], then col2im. parity < 0: items
    are whole images (no two threads write one image); else items are the chunks of that parity of every image
    (chunks of one parity never write the same output rows: the caller checks)."""
    nb, cin, lin = x.shape
    c_out, d, h, wd = out.shape[1:]
    cing = cin // groups
    ktg = w.shape[1]
    bd, bh, bw = geo[12], geo[13], geo[14]
    rows = bd * bh
    nch = (rows + chunk - 1) // chunk
    lc = chunk * bw
    per = (nch - parity + 1) // 2  # chunks of that parity per image
    total = nb if parity < 0 else nb * per
    counter = np.zeros(1, np.int64)
    for t in prange(buf.shape[0]):
        cols = buf[t]
        cols2 = cols.reshape(-1, lc)
        item = _next_item(counter)
        while item < total:
            if parity < 0:
                n, q0, q1 = item, 0, nch
            else:
                n = item // per
                q0 = parity + 2 * (item - n * per)
                q1 = q0 + 1
            xn = x[n]
            of = out[n].reshape(-1)
            for q in range(q0, q1):
                r0 = q * chunk
                r1 = min(rows, r0 + chunk)
                nl = (r1 - r0) * bw
                for g in range(groups):
                    _gemm(cing, w, g * cing * ktg, 1, ktg, ktg, xn, g * cing * lin + r0 * bw, lin, nl, cols2,
                          g * ktg, 0, False)
                _col2im_rows(cols, lc, of, c_out, d, h, wd, geo, r0, r1)
            item = _next_item(counter)


@numba.njit(parallel=True, **_OPTS)
def conv_weight_grad(x, gy, acc, geo, groups, chunk, buf, gbuf):
    """acc[t, g] (C/groups*kd*kh*kw, Cout/groups) += the weight gradient (transposed) from the items thread t took:
    per (image, chunk), the chunk's columns (rows of one group) times the chunk of gy (N, Cout, L) transposed
    (into gbuf[t], (chunk*ow, Cout)). acc must hold zeros on entry; the caller sums it over t."""
    nb, c_in, d, h, wd = x.shape
    cout = gy.shape[1]
    kg = acc.shape[2]
    coutg = cout // groups
    od, oh, ow = geo[12], geo[13], geo[14]
    rows = od * oh
    nch = (rows + chunk - 1) // chunk
    lc = chunk * ow
    counter = np.zeros(1, np.int64)
    for t in prange(buf.shape[0]):
        cols = buf[t]
        gt = gbuf[t]
        item = _next_item(counter)
        while item < nb * nch:
            n = item // nch
            r0 = (item - n * nch) * chunk
            r1 = min(rows, r0 + chunk)
            nl = (r1 - r0) * ow
            _im2col_rows(x[n].reshape(-1), c_in, d, h, wd, cols, lc, geo, r0, r1)
            gn = gy[n]
            for p0 in range(0, nl, 16):  # transpose the chunk of gy, 16 positions at a time
                p1 = min(nl, p0 + 16)
                for co in range(cout):
                    src = gn[co]
                    for p in range(p0, p1):
                        gt[p * cout + co] = src[r0 * ow + p]
            for g in range(groups):
                _gemm(nl, cols, g * kg * lc, lc, 1, kg, gt, g * coutg, cout, coutg, acc[t, g], 0, 0, True)
            item = _next_item(counter)


# ---------------------------------------------------------------------------------------------
# Stride-1 convolutions without im2col ("shifted GEMM"). The input is first copied into a zero-padded window xp
# (N, C, Dp, Hp, Wp) with Dp = od + dd*(kd - 1) (same for H, W). Output positions are computed "wide", at flat
# index y*Wp + x of a depth plane (the columns x >= ow are thrown away when the result is copied out), so that for
# every kernel tap (a, i, j) the input the output positions read is one contiguous run of xp per channel, at offset
# (z + a*dd)*Hp*Wp + i*dh*Wp + j*dw: each tap is a GEMM (Cout x C) x (C x positions) straight on xp, accumulated.
# The transposed convolution with stride 1 is such a convolution too (flipped kernel), so this serves the input
# gradient as well. Work items: (image, output depth z, chunk of output rows), shared through a counter.
# ---------------------------------------------------------------------------------------------


@numba.njit(parallel=True, **_OPTS)
def window_copy(x, xp, fd, fh, fw):
    """xp[n, c, z, y, v] = x[n, c, z - fd, y - fh, v - fw] inside x, else 0 (fd, fh, fw may be negative: crop)."""
    nb, c_in, d, h, w = x.shape
    dp, hp, wp = xp.shape[2], xp.shape[3], xp.shape[4]
    zero = xp.dtype.type(0)
    for nc in prange(nb * c_in):
        n = nc // c_in
        c = nc - n * c_in
        src = x[n, c]
        dst = xp[n, c]
        vlo, vhi = _valid_range(wp, -fw, 1, w)
        for z in range(dp):
            iz = z - fd
            for y in range(hp):
                iy = y - fh
                row = dst[z, y]
                if iz < 0 or iz >= d or iy < 0 or iy >= h:
                    for v in range(wp):
                        row[v] = zero
                    continue
                for v in range(vlo):
                    row[v] = zero
                for v in range(vhi, wp):
                    row[v] = zero
                s = src[iz, iy, vlo - fw: vhi - fw]
                seg = row[vlo:vhi]
                for v in range(vhi - vlo):
                    seg[v] = s[v]


@numba.njit(parallel=True, **_OPTS)
def conv_shifted(xp, w, bias, out, geo, groups, chunk, cbuf):
    """out (N, Cout, od*oh*ow) = the stride-1 conv of the padded window xp with w (kd*kh*kw, Cout, C/groups) (each
    tap's slice contiguous), + bias when bias.size > 0. cbuf (threads, Cout, chunk*Wp): the wide result of one item."""
    nb, c_in, dp, hp, wp = xp.shape
    cout = w.shape[1]
    kd, kh, kw, dd, dh, dw = geo[0], geo[1], geo[2], geo[9], geo[10], geo[11]
    od, oh, ow = geo[12], geo[13], geo[14]
    taps = kd * kh * kw
    cg, coutg = c_in // groups, cout // groups
    plane = dp * hp * wp
    nr = _nr(out.itemsize)
    nch = (oh + chunk - 1) // chunk
    total = nb * od * nch
    counter = np.zeros(1, np.int64)
    for t in prange(cbuf.shape[0]):
        cb = cbuf[t]
        item = _next_item(counter)
        while item < total:
            n = item // (od * nch)
            rest = item - n * od * nch
            z = rest // nch
            y0 = (rest - z * nch) * chunk
            y1 = min(oh, y0 + chunk)
            nq = (y1 - y0 - 1) * wp + ow
            xn = xp[n]
            base = z * hp * wp + y0 * wp
            for j0 in range(0, nq, _NC_BLOCK):
                j1 = min(nq, j0 + _NC_BLOCK)
                for g in range(groups):
                    for tap in range(taps):
                        a = tap // (kh * kw)
                        i = (tap // kw) % kh
                        j = tap % kw
                        off = g * cg * plane + base + (a * dd * hp + i * dh) * wp + j * dw
                        for i0 in range(0, coutg, MR):
                            for jj in range(j0, j1, nr):
                                _micro_kernel(cg, w, (tap * cout + g * coutg + i0) * cg, cg, 1, min(MR, coutg - i0),
                                              xn, off + jj, plane, min(nr, j1 - jj), cb, g * coutg + i0, jj, tap > 0)
            o = out[n]
            for co in range(cout):
                bv = bias[co] if bias.size else out.dtype.type(0)
                src = cb[co]
                for y in range(y0, y1):
                    seg = src[(y - y0) * wp: (y - y0) * wp + ow]
                    dst = o[co, (z * oh + y) * ow: (z * oh + y + 1) * ow]
                    for v in range(ow):
                        dst[v] = seg[v] + bv
            item = _next_item(counter)


@numba.njit(parallel=True, **_OPTS)
def conv_shifted_weight_grad(xp, gy, acc, geo, groups, chunk, gbuf):
    """acc[t] (groups*kd*kh*kw*C/groups, Cout/groups) += the stride-1 weight gradient (transposed, rows ordered
    (group, tap, channel)) from the items thread t took: per tap, the xp run of the item's wide positions times gy
    transposed into gbuf[t] ((chunk*Wp, Cout), zero at the thrown-away columns). acc holds zeros on entry."""
    nb, c_in, dp, hp, wp = xp.shape
    cout = gy.shape[1]
    kd, kh, kw, dd, dh, dw = geo[0], geo[1], geo[2], geo[9], geo[10], geo[11]
    od, oh, ow = geo[12], geo[13], geo[14]
    taps = kd * kh * kw
    cg, coutg = c_in // groups, cout // groups
    plane = dp * hp * wp
    nr = _nr(acc.itemsize)
    zero = acc.dtype.type(0)
    nch = (oh + chunk - 1) // chunk
    total = nb * od * nch
    counter = np.zeros(1, np.int64)
    for t in prange(gbuf.shape[0]):
        gt = gbuf[t]
        at = acc[t]
        item = _next_item(counter)
        while item < total:
            n = item // (od * nch)
            rest = item - n * od * nch
            z = rest // nch
            y0 = (rest - z * nch) * chunk
            y1 = min(oh, y0 + chunk)
            nq = (y1 - y0 - 1) * wp + ow
            gn = gy[n]
            for y in range(y0, y1):
                r = (y - y0) * wp
                for co in range(cout):
                    src = gn[co, (z * oh + y) * ow: (z * oh + y + 1) * ow]
                    for v in range(ow):
                        gt[(r + v) * cout + co] = src[v]
                if y < y1 - 1:
                    seg = gt[(r + ow) * cout: (r + wp) * cout]
                    for v in range((wp - ow) * cout):
                        seg[v] = zero
            xn = xp[n]
            base = z * hp * wp + y0 * wp
            for k0 in range(0, nq, _KC_BLOCK):
                kc = min(_KC_BLOCK, nq - k0)
                for g in range(groups):
                    for tap in range(taps):
                        a = tap // (kh * kw)
                        i = (tap // kw) % kh
                        j = tap % kw
                        off = g * cg * plane + base + (a * dd * hp + i * dh) * wp + j * dw + k0
                        row = (g * taps + tap) * cg
                        for i0 in range(0, cg, MR):
                            for jj in range(0, coutg, nr):
                                _micro_kernel(kc, xn, off + i0 * plane, plane, 1, min(MR, cg - i0), gt,
                                              k0 * cout + g * coutg + jj, cout, min(nr, coutg - jj), at, row + i0, jj,
                                              True)
            item = _next_item(counter)


# ---------------------------------------------------------------------------------------------
# Direct convolutions for few channels per group (depthwise: one): no GEMM, each output row is the sum over input
# channels and taps of weight x one contiguous run of input. Strides are handled by splitting each input channel
# into its stride "phases" (buf[pz, py, px, qz, qy, qx] = x[qz*sd + pz - pd, qy*sh + py - ph, qx*sw + px - pw], 0
# outside): tap (a, i, j) of output (z, y, x) reads phase ((a*dd) % sd, ...) at (z + (a*dd) // sd, ...), so every
# tap of every output row is a contiguous run whatever the stride. The input gradient is the adjoint: runs added
# into a zeroed phase buffer, which is then scattered back. Items: (image, group), through a shared counter.
# ---------------------------------------------------------------------------------------------


@numba.njit(inline="always")
def _phase_dims(geo):
    """(qd, qh, qw): the size of one phase of the buffer per dim: o - 1 + (d*(k - 1)) // s + 1."""
    qd = geo[12] + (geo[9] * (geo[0] - 1)) // geo[3]
    qh = geo[13] + (geo[10] * (geo[1] - 1)) // geo[4]
    qw = geo[14] + (geo[11] * (geo[2] - 1)) // geo[5]
    return qd, qh, qw


@numba.njit(inline="always")
def _tap_offset(geo, tap, qh, qw, pvol):
    """Flat offset in one channel's phase buffer of tap `tap`'s run for output (0, 0, 0)."""
    kh, kw, sd, sh, sw, dd, dh, dw = geo[1], geo[2], geo[3], geo[4], geo[5], geo[9], geo[10], geo[11]
    a = tap // (kh * kw)
    i = (tap // kw) % kh
    j = tap % kw
    phase = (((a * dd) % sd) * sh + (i * dh) % sh) * sw + (j * dw) % sw
    return phase * pvol + (((a * dd) // sd) * qh + (i * dh) // sh) * qw + (j * dw) // sw


@numba.njit(**_OPTS)
def _phase_fill(x, bf, geo, qd, qh, qw):
    """bf (one channel's phase buffer) = the phases of x (D, H, W) (0 outside)."""
    sd, sh, sw, pd, ph, pw = geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
    d, h, w = x.shape
    zero = bf.dtype.type(0)
    k = 0
    for pz in range(sd):
        for py in range(sh):
            for px in range(sw):
                vlo, vhi = _valid_range(qw, px - pw, sw, w)
                for qz in range(qd):
                    iz = qz * sd + pz - pd
                    for qy in range(qh):
                        iy = qy * sh + py - ph
                        row = bf[k: k + qw]
                        k += qw
                        if iz < 0 or iz >= d or iy < 0 or iy >= h:
                            for v in range(qw):
                                row[v] = zero
                            continue
                        for v in range(vlo):
                            row[v] = zero
                        for v in range(vhi, qw):
                            row[v] = zero
                        src = x[iz, iy]
                        x0 = px - pw
                        if sw == 1:
                            s = src[vlo + x0: vhi + x0]
                            seg = row[vlo:vhi]
                            for v in range(vhi - vlo):
                                seg[v] = s[v]
                        else:
                            for v in range(vlo, vhi):
                                row[v] = src[v * sw + x0]


@numba.njit(**_OPTS)
def _phase_fill2(x, bf, geo, qd, qh, qw, tmp):
    """_phase_fill for width stride 2: each input row is copied zero-padded into tmp (2*qw), then split into its
    two width phases in one loop (an interleaved pair of loads that vectorizes; a single stride-2 gather does not)."""
    sd, sh, pd, ph, pw = geo[3], geo[4], geo[6], geo[7], geo[8]
    d, h, w = x.shape
    zero = bf.dtype.type(0)
    pvol = qd * qh * qw
    jlo, jhi = _valid_range(2 * qw, -pw, 1, w)
    for k in range(jlo):
        tmp[k] = zero
    for k in range(jhi, 2 * qw):
        tmp[k] = zero
    mid = tmp[jlo:jhi]
    for pz in range(sd):
        for py in range(sh):
            for qz in range(qd):
                iz = qz * sd + pz - pd
                for qy in range(qh):
                    iy = qy * sh + py - ph
                    k0 = (pz * sh + py) * 2 * pvol + (qz * qh + qy) * qw
                    r0 = bf[k0: k0 + qw]
                    r1 = bf[k0 + pvol: k0 + pvol + qw]
                    if iz < 0 or iz >= d or iy < 0 or iy >= h:
                        for v in range(qw):
                            r0[v] = zero
                            r1[v] = zero
                        continue
                    src = x[iz, iy, jlo - pw: jhi - pw]
                    for v in range(jhi - jlo):
                        mid[v] = src[v]
                    for v in range(qw):
                        r0[v] = tmp[2 * v]
                        r1[v] = tmp[2 * v + 1]


@numba.njit(**_OPTS)
def _phase_scatter(bf, x, geo, qd, qh, qw):
    """x (D, H, W) = the phase buffer bf put back (the adjoint of _phase_fill for positions it covers; x must hold
    zeros at the positions no phase covers)."""
    sd, sh, sw, pd, ph, pw = geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
    d, h, w = x.shape
    k = 0
    for pz in range(sd):
        for py in range(sh):
            for px in range(sw):
                vlo, vhi = _valid_range(qw, px - pw, sw, w)
                for qz in range(qd):
                    iz = qz * sd + pz - pd
                    for qy in range(qh):
                        iy = qy * sh + py - ph
                        row = bf[k: k + qw]
                        k += qw
                        if iz < 0 or iz >= d or iy < 0 or iy >= h:
                            continue
                        dst = x[iz, iy]
                        x0 = px - pw
                        if sw == 1:
                            d1 = dst[vlo + x0: vhi + x0]
                            seg = row[vlo:vhi]
                            for v in range(vhi - vlo):
                                d1[v] = seg[v]
                        else:
                            for v in range(vlo, vhi):
                                dst[v * sw + x0] = row[v]


@numba.njit(inline="always")
def _direct_setup(geo):
    """(qd, qh, qw, one channel's phase-buffer size, wide run length nq, tap run offsets): output (z, y, x) is at
    wide index (z*qh + y)*qw + x, and tap t's input run for it starts at offsets[t] + that index."""
    qd, qh, qw = _phase_dims(geo)
    pvol = qd * qh * qw
    taps = geo[0] * geo[1] * geo[2]
    offsets = np.empty(taps, np.int64)
    for tap in range(taps):
        offsets[tap] = _tap_offset(geo, tap, qh, qw, pvol)
    nq = ((geo[12] - 1) * qh + geo[13] - 1) * qw + geo[14]
    return qd, qh, qw, geo[3] * geo[4] * geo[5] * pvol, nq, offsets


@numba.njit(**_OPTS)
def _widen(plane, wide, geo, qh, qw):
    """wide[(z*qh + y)*qw + x] = plane[(z*oh + y)*ow + x], 0 at the other wide positions."""
    od, oh, ow = geo[12], geo[13], geo[14]
    zero = wide.dtype.type(0)
    for k in range(wide.size):
        wide[k] = zero
    for z in range(od):
        for y in range(oh):
            src = plane[(z * oh + y) * ow: (z * oh + y + 1) * ow]
            dst = wide[(z * qh + y) * qw: (z * qh + y) * qw + ow]
            for v in range(ow):
                dst[v] = src[v]


@numba.njit(**_OPTS)
def _phase_scatter2(bf, x, geo, qd, qh, qw, tmp):
    """_phase_scatter for width stride 2: the two width phases of a row interleaved into tmp in one loop, then
    copied to x's row."""
    sd, sh, pd, ph, pw = geo[3], geo[4], geo[6], geo[7], geo[8]
    d, h, w = x.shape
    pvol = qd * qh * qw
    jlo, jhi = _valid_range(2 * qw, -pw, 1, w)
    mid = tmp[jlo:jhi]
    for pz in range(sd):
        for py in range(sh):
            for qz in range(qd):
                iz = qz * sd + pz - pd
                for qy in range(qh):
                    iy = qy * sh + py - ph
                    if iz < 0 or iz >= d or iy < 0 or iy >= h:
                        continue
                    k0 = (pz * sh + py) * 2 * pvol + (qz * qh + qy) * qw
                    r0 = bf[k0: k0 + qw]
                    r1 = bf[k0 + pvol: k0 + pvol + qw]
                    for v in range(qw):
                        tmp[2 * v] = r0[v]
                        tmp[2 * v + 1] = r1[v]
                    dst = x[iz, iy, jlo - pw: jhi - pw]
                    for v in range(jhi - jlo):
                        dst[v] = mid[v]


@numba.njit(inline="always")
def _tap_run(bf, offsets, size, idx, nq):
    """The run of term idx = ci*taps + tap: bf[ci*size + offsets[tap]:][:nq]."""
    taps = offsets.size
    ci = idx // taps
    s0 = ci * size + offsets[idx - ci * taps]
    return bf[s0: s0 + nq]


@numba.njit(fastmath={"reassoc", "contract"}, **_OPTS)
def _taps_forward(wr, bf, offsets, cg, size, wb):
    """wb = sum over channels ci < cg and taps of wr[ci*taps + tap] * bf's run at ci*size + offsets[tap] (one output
    channel's wide plane). A function of its own (inlined into direct_conv's prange body the loops stayed scalar),
    three terms per pass over wb (a pass per term was bound by wb's loads and stores)."""
    nq = wb.size
    nt = cg * offsets.size
    k = nt % 3
    if k == 0:
        s0 = _tap_run(bf, offsets, size, 0, nq)
        s1 = _tap_run(bf, offsets, size, 1, nq)
        s2 = _tap_run(bf, offsets, size, 2, nq)
        w0, w1, w2 = wr[0], wr[1], wr[2]
        for q in range(nq):
            wb[q] = w0 * s0[q] + w1 * s1[q] + w2 * s2[q]
        k = 3
    elif k == 1:
        s0 = _tap_run(bf, offsets, size, 0, nq)
        w0 = wr[0]
        for q in range(nq):
            wb[q] = w0 * s0[q]
    else:
        s0 = _tap_run(bf, offsets, size, 0, nq)
        s1 = _tap_run(bf, offsets, size, 1, nq)
        w0, w1 = wr[0], wr[1]
        for q in range(nq):
            wb[q] = w0 * s0[q] + w1 * s1[q]
    for idx in range(k, nt, 3):
        s0 = _tap_run(bf, offsets, size, idx, nq)
        s1 = _tap_run(bf, offsets, size, idx + 1, nq)
        s2 = _tap_run(bf, offsets, size, idx + 2, nq)
        w0, w1, w2 = wr[idx], wr[idx + 1], wr[idx + 2]
        for q in range(nq):
            wb[q] += w0 * s0[q] + w1 * s1[q] + w2 * s2[q]


@numba.njit(parallel=True, fastmath={"reassoc", "contract"}, **_OPTS)
def direct_conv(mode, x, y, w, bias, acc, geo, groups, buf, wbuf):
    """One kernel for the three directions (one compile):
    mode 0: y (N, Cout, od*oh*ow) = conv of x (N, C, D, H, W) with w (Cout, C/groups*kd*kh*kw) (+ bias when
            bias.size > 0);
    mode 1: x, zero on entry, = the input gradient for the output gradient y (equally: the transposed conv of y);
    mode 2: acc[t] (Cout, C/groups*kd*kh*kw) += the weight gradient from the items thread t took (acc zero on entry),
            dot products of y's wide plane with each tap's run (reassociated, so they vectorize).
    buf (threads, C/groups * phase-buffer size), wbuf (threads, nq): one output channel's wide plane."""
    nb, c_in = x.shape[:2]
    cout = y.shape[1]
    od, oh, ow = geo[12], geo[13], geo[14]
    taps = geo[0] * geo[1] * geo[2]
    cg, coutg = c_in // groups, cout // groups
    qd, qh, qw, size, nq, offsets = _direct_setup(geo)
    zero = buf.dtype.type(0)
    stride2 = geo[5] == 2
    counter = np.zeros(1, np.int64)
    for t in prange(buf.shape[0]):
        bf = buf[t]
        wb = wbuf[t]
        at = acc[t]
        tmp = np.empty(2 * qw, buf.dtype)
        item = _next_item(counter)
        while item < nb * groups:
            n = item // groups
            g = item - n * groups
            if mode == 1:
                used = bf[: cg * size]
                for k in range(cg * size):
                    used[k] = zero
            else:
                for ci in range(cg):
                    if stride2:
                        _phase_fill2(x[n, g * cg + ci], bf[ci * size: (ci + 1) * size], geo, qd, qh, qw, tmp)
                    else:
                        _phase_fill(x[n, g * cg + ci], bf[ci * size: (ci + 1) * size], geo, qd, qh, qw)
            for o in range(coutg):
                co = g * coutg + o
                if mode == 0:
                    _taps_forward(w[co], bf, offsets, cg, size, wb[:nq])
                    bv = bias[co] if bias.size else zero
                    plane = y[n, co]
                    for z in range(od):
                        for yy in range(oh):
                            src = wb[(z * qh + yy) * qw: (z * qh + yy) * qw + ow]
                            dst = plane[(z * oh + yy) * ow: (z * oh + yy + 1) * ow]
                            for v in range(ow):
                                dst[v] = src[v] + bv
                else:
                    _widen(y[n, co], wb, geo, qh, qw)
                    for ci in range(cg):
                        for tap in range(taps):
                            s0 = ci * size + offsets[tap]
                            seg = bf[s0: s0 + nq]
                            if mode == 1:
                                wv = w[co, ci * taps + tap]
                                for q in range(nq):
                                    seg[q] += wv * wb[q]
                            else:
                                s = zero
                                for q in range(nq):
                                    s += wb[q] * seg[q]
                                at[co, ci * taps + tap] += s
            if mode == 1:
                for ci in range(cg):
                    if stride2:
                        _phase_scatter2(bf[ci * size: (ci + 1) * size], x[n, g * cg + ci], geo, qd, qh, qw, tmp)
                    else:
                        _phase_scatter(bf[ci * size: (ci + 1) * size], x[n, g * cg + ci], geo, qd, qh, qw)
            item = _next_item(counter)
