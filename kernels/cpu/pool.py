"""Pooling kernels over planes: max (with or without indices), average, adaptive average / max, and
the backward kernels (scatter of max-pool gradients through the saved indices, adjoints of the averages).

Every kernel takes x as (P, H, W) C-contiguous planes (P = N*C) and writes a preallocated
(P, OH, OW) output. Window geometry follows PyTorch: window oy covers input rows
oy*sh - ph + i*dh for i < kh that fall inside [0, H) (adaptive windows: [floor(o*H/OH),
ceil((o+1)*H/OH))). Max keeps the first largest value, and a NaN wins over everything (the last
NaN of the window, as torch's `val > max || isnan(val)`); indices are flat within the plane,
iy*W + ix. Inputs are validated by the front end; kernels do no bounds checks.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)


@numba.njit(inline="always")
def _first_valid(o, s, p, d):
    """The first window offset i with o*s - p + i*d >= 0, and that input index."""
    start = o * s - p
    i = 0
    while start + i * d < 0:
        i += 1
    return i, start + i * d


@numba.njit(**_OPTS)
def _max_pool_windows(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices, p0, p1):
    """One window at a time (with indices, for planes of 2**31 values or more)."""
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    for p in range(p0, p1):
        plane = x[p]
        for oy in range(oh):
            i0, y0 = _first_valid(oy, sh, ph, dh)
            for ox in range(ow):
                j0, x0 = _first_valid(ox, sw, pw, dw)
                best = lowest
                arg = y0 * w + x0
                y = y0
                for _ in range(i0, kh):
                    if y >= h:
                        break
                    row = plane[y]
                    xx = x0
                    for _ in range(j0, kw):
                        if xx >= w:
                            break
                        v = row[xx]
                        if v > best or v != v:
                            best = v
                            arg = y * w + xx
                        xx += dw
                    y += dh
                out[p, oy, ox] = best
                if with_indices:
                    ind[p, oy, ox] = arg


@numba.njit(**_OPTS)
def _max_rows(row, best, lo, hi, x0, sw):
    """best[o] takes row[x0 + o*sw] for o in [lo, hi) when it is larger or NaN: one window column of one window
    row for a run of outputs. A function of its own, slices from 0 and the strides 1 and 2 written out, so that
    the loop vectorizes (a select per element)."""
    n = hi - lo
    b = best[lo:hi]
    s0 = x0 + lo * sw
    if sw == 1:
        src = row[s0: s0 + n]
        for k in range(n):
            v = src[k]
            if v > b[k] or v != v:
                b[k] = v
    elif sw == 2:
        src = row[s0: s0 + 2 * n]
        for k in range(n):
            v = src[2 * k]
            if v > b[k] or v != v:
                b[k] = v
    else:
        for k in range(n):
            v = row[s0 + k * sw]
            if v > b[k] or v != v:
                b[k] = v


@numba.njit(**_OPTS)
def _max_rows_ind(row, best, arg, lo, hi, x0, sw, base):
    """_max_rows that also records the flat index (base + input column) of each new maximum in arg."""
    n = hi - lo
    b = best[lo:hi]
    a = arg[lo:hi]
    s0 = x0 + lo * sw
    i0 = base + s0
    if sw == 1:
        src = row[s0: s0 + n]
        for k in range(n):
            v = src[k]
            if v > b[k] or v != v:
                b[k] = v
                a[k] = i0 + k
    elif sw == 2:
        src = row[s0: s0 + 2 * n]
        for k in range(n):
            v = src[2 * k]
            if v > b[k] or v != v:
                b[k] = v
                a[k] = i0 + 2 * k
    else:
        for k in range(n):
            v = row[s0 + k * sw]
            if v > b[k] or v != v:
                b[k] = v
                a[k] = i0 + k * sw


@numba.njit(**_OPTS)
def _max_pool_planes_ind(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, p0, p1):
    """_max_pool_planes with indices, row by row (_max_rows_ind): each index starts at the window's first
    position inside the input (where a window of lowest values leaves it, as _max_pool_windows). The indices of
    a row are tracked as int32 (planes under 2**31 values), the values' width for float32: LLVM then vectorizes
    the select of value and index together (2.5x faster than int64 indices)."""
    h, w = x.shape[1], x.shape[2]
    oh = out.shape[1]
    ow = out.shape[2]
    arg = np.empty(ow, np.int32)
    for p in range(p0, p1):
        plane = x[p]
        for oy in range(oh):
            i0, y0 = _first_valid(oy, sh, ph, dh)
            best = out[p, oy]
            for ox in range(ow):
                best[ox] = lowest
                j0, x0 = _first_valid(ox, sw, pw, dw)
                arg[ox] = y0 * w + x0
            y = y0
            for _ in range(i0, kh):
                if y >= h:
                    break
                row = plane[y]
                for j in range(kw):
                    lo, hi = _valid_range_pool(ow, j * dw - pw, sw, w)
                    if lo < hi:
                        _max_rows_ind(row, best, arg, lo, hi, j * dw - pw, sw, y * w)
                y += dh
            irow = ind[p, oy]
            for ox in range(ow):
                irow[ox] = arg[ox]


@numba.njit(**_OPTS)
def _phase_update(best, arg, src, idx, with_indices):
    """best[f], arg[f] take src[f], idx[f] where src[f] is larger or NaN (unit-stride runs: vectorizes)."""
    if with_indices:
        for f in range(best.size):
            v = src[f]
            if v > best[f] or v != v:
                best[f] = v
                arg[f] = idx[f]
    else:
        for f in range(best.size):
            v = src[f]
            if v > best[f] or v != v:
                best[f] = v


@numba.njit(**_OPTS)
def _max_pool_phases(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices, p0, p1):
    """Max pool over stride phases: the plane is copied into sh*sw phase planes P[a, b][r, c] = x[r*sh + a - ph,
    c*sw + b - pw] (lowest outside the input), each R x C with C = OW + the window's reach in columns. Window cell
    (i, j) of output (oy, ox) is then P[(i*dh) % sh, (j*dw) % sw] at (oy + i*dh // sh, ox + j*dw // sw): for each
    cell one unit-stride run over all the outputs (rows C apart; the extra columns are dropped at the end), which
    vectorizes whatever OW is. The same comparisons per output in the window's order as _max_pool_windows; the
    flat input index of every phase cell is the same for all planes (computed once, int32)."""
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    ncol = ow + ((kw - 1) * dw) // sw
    nrow = oh + ((kh - 1) * dh) // sh + 1  # one spare row: the last runs read up to C - 1 cells past the reach
    size = nrow * ncol
    phases = np.empty((sh * sw, size), x.dtype)
    pidx = np.empty((sh * sw, size), np.int32)
    best = np.empty(oh * ncol, x.dtype)
    arg = np.empty(oh * ncol, np.int32)
    first = np.empty(oh * ncol, np.int32)
    for a in range(sh):
        for b in range(sw):
            q = pidx[a * sw + b]
            for r in range(nrow):
                y = r * sh + a - ph
                for c in range(ncol):
                    xx = c * sw + b - pw
                    q[r * ncol + c] = y * w + xx if 0 <= y < h and 0 <= xx < w else -1
    for oy in range(oh):
        i0, y0 = _first_valid(oy, sh, ph, dh)
        for c in range(ncol):
            j0, x0 = _first_valid(c, sw, pw, dw)
            first[oy * ncol + c] = y0 * w + x0
    for p in range(p0, p1):
        plane = x[p]
        for a in range(sh):
            for b in range(sw):
                dst = phases[a * sw + b]
                for r in range(nrow):
                    y = r * sh + a - ph
                    drow = dst[r * ncol: (r + 1) * ncol]
                    if 0 <= y < h:
                        row = plane[y]
                        for c in range(ncol):
                            xx = c * sw + b - pw
                            drow[c] = row[xx] if 0 <= xx < w else lowest
                    else:
                        for c in range(ncol):
                            drow[c] = lowest
        for f in range(best.size):
            best[f] = lowest
            arg[f] = first[f]
        for i in range(kh):
            a = (i * dh) % sh
            ri = (i * dh) // sh
            for j in range(kw):
                b = (j * dw) % sw
                start = ri * ncol + (j * dw) // sw
                src = phases[a * sw + b][start: start + best.size]
                idx = pidx[a * sw + b][start: start + best.size]
                _phase_update(best, arg, src, idx, with_indices)
        for oy in range(oh):
            orow = out[p, oy]
            brow = best[oy * ncol: oy * ncol + ow]
            for ox in range(ow):
                orow[ox] = brow[ox]
            if with_indices:
                irow = ind[p, oy]
                arow = arg[oy * ncol: oy * ncol + ow]
                for ox in range(ow):
                    irow[ox] = arow[ox]


@numba.njit(**_OPTS)
def _max_pool_planes(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices, p0, p1):
    """Without indices, row by row: each output row starts at lowest and takes the window's input rows and
    columns in the window's order, each as a run over the outputs (_max_rows): the same comparisons per output as
    a window at a time, so the same maxima and NaNs. With indices, _max_pool_planes_ind. Strides within the
    window's reach (every phase plane used): _max_pool_phases (the runs over the outputs of one row are too short
    for LLVM's vector loops at CNN sizes; over the whole plane they are not)."""
    if x.shape[1] * x.shape[2] < 2 ** 31 and sh <= (kh - 1) * dh + 1 and sw <= (kw - 1) * dw + 1:
        _max_pool_phases(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices, p0, p1)
        return
    if with_indices:
        if x.shape[1] * x.shape[2] < 2 ** 31:
            _max_pool_planes_ind(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, p0, p1)
        else:
            _max_pool_windows(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, True, p0, p1)
        return
    h, w = x.shape[1], x.shape[2]
    oh = out.shape[1]
    ow = out.shape[2]
    for p in range(p0, p1):
        plane = x[p]
        for oy in range(oh):
            i0, y0 = _first_valid(oy, sh, ph, dh)
            best = out[p, oy]
            for ox in range(ow):
                best[ox] = lowest
            y = y0
            for _ in range(i0, kh):
                if y >= h:
                    break
                row = plane[y]
                for j in range(kw):
                    lo, hi = _valid_range_pool(ow, j * dw - pw, sw, w)
                    if lo < hi:
                        _max_rows(row, best, lo, hi, j * dw - pw, sw)
                y += dh


@numba.njit(inline="always")
def _valid_range_pool(n_out, start, step, size):
    """The [lo, hi) range of outputs o < n_out whose input index start + o*step is in [0, size)."""
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
def _max_pool_2x2(x, out, p0, p1):
    """The common kernel 2, stride 2, no padding or dilation, without indices."""
    for p in range(p0, p1):
        plane = x[p]
        o = out[p]
        for oy in range(o.shape[0]):
            r0 = plane[2 * oy]
            r1 = plane[2 * oy + 1]
            orow = o[oy]
            for ox in range(o.shape[1]):
                a = r0[2 * ox]
                b = r0[2 * ox + 1]
                c = r1[2 * ox]
                d = r1[2 * ox + 1]
                m = a
                if b > m or b != b:
                    m = b
                if c > m or c != c:
                    m = c
                if d > m or d != d:
                    m = d
                orow[ox] = m


@numba.njit(**_OPTS)
def _max_pool_2x2_indices(x, out, ind, p0, p1):
    """_max_pool_2x2 that also writes the flat index of each maximum (the first of ties; a NaN wins, the
    last NaN of the window, as the general kernel)."""
    w = x.shape[2]
    for p in range(p0, p1):
        plane = x[p]
        o = out[p]
        io = ind[p]
        for oy in range(o.shape[0]):
            r0 = plane[2 * oy]
            r1 = plane[2 * oy + 1]
            orow = o[oy]
            irow = io[oy]
            base = 2 * oy * w
            for ox in range(o.shape[1]):
                a = r0[2 * ox]
                b = r0[2 * ox + 1]
                c = r1[2 * ox]
                d = r1[2 * ox + 1]
                m = a
                k = 0
                if b > m or b != b:
                    m = b
                    k = 1
                if c > m or c != c:
                    m = c
                    k = w
                if d > m or d != d:
                    m = d
                    k = w + 1
                orow[ox] = m
                irow[ox] = base + 2 * ox + k


@numba.njit(inline="always")
def _is_2x2(x, out, kh, kw, sh, sw, ph, pw, dh, dw, with_indices):
    """Kernel 2, stride 2, no padding or dilation, and no ceil-mode window past the input."""
    return (kh == 2 and kw == 2 and sh == 2 and sw == 2 and ph == 0 and pw == 0 and dh == 1
            and dw == 1 and 2 * out.shape[1] <= x.shape[1] and 2 * out.shape[2] <= x.shape[2])


@numba.njit(**_OPTS)
def max_pool(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices):
    if _is_2x2(x, out, kh, kw, sh, sw, ph, pw, dh, dw, with_indices):
        if with_indices:
            _max_pool_2x2_indices(x, out, ind, 0, x.shape[0])
        else:
            _max_pool_2x2(x, out, 0, x.shape[0])
    else:
        _max_pool_planes(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices, 0, x.shape[0])


@numba.njit(parallel=True, **_OPTS)
def max_pool_parallel(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices, nt):
    """max_pool with the planes cut into nt ranges (one per thread)."""
    n = x.shape[0]
    for t in prange(nt):
        p0 = t * n // nt
        p1 = (t + 1) * n // nt
        if _is_2x2(x, out, kh, kw, sh, sw, ph, pw, dh, dw, with_indices):
            if with_indices:
                _max_pool_2x2_indices(x, out, ind, p0, p1)
            else:
                _max_pool_2x2(x, out, p0, p1)
        else:
            _max_pool_planes(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices, p0, p1)


@numba.njit(**_OPTS)
def _max_vec_ind(src, best, arg, pos):
    """best[c], arg[c] take src[c], pos where src[c] is larger or NaN: one window position for every channel."""
    for c in range(src.size):
        v = src[c]
        if v > best[c] or v != v:
            best[c] = v
            arg[c] = pos


@numba.njit(**_OPTS)
def max_pool_nhwc(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices):
    """max_pool of channels-last input: x (N, H, W, C) C-contiguous, out / ind (N, OH, OW, C). Each window
    position is a run over the channels (contiguous: the select of value and int32 index vectorizes); per
    channel the same scan as _max_pool_windows (first maximum, last NaN; indices iy*W + ix). Planes of fewer
    than 2**31 values (the caller checks)."""
    h, w, nc = x.shape[1], x.shape[2], x.shape[3]
    oh, ow = out.shape[1], out.shape[2]
    arg = np.empty(nc, np.int32)
    for b in range(x.shape[0]):
        for oy in range(oh):
            i0, y0 = _first_valid(oy, sh, ph, dh)
            for ox in range(ow):
                j0, x0 = _first_valid(ox, sw, pw, dw)
                best = out[b, oy, ox]
                first = y0 * w + x0
                for c in range(nc):
                    best[c] = lowest
                    arg[c] = first
                y = y0
                for _ in range(i0, kh):
                    if y >= h:
                        break
                    xx = x0
                    for _ in range(j0, kw):
                        if xx >= w:
                            break
                        _max_vec_ind(x[b, y, xx], best, arg, y * w + xx)
                        xx += dw
                    y += dh
                if with_indices:
                    irow = ind[b, oy, ox]
                    for c in range(nc):
                        irow[c] = arg[c]


@numba.njit(**_OPTS)
def _sum_rows(row, acc, lo, hi, x0, sw):
    """acc[o] += row[x0 + o*sw] for o in [lo, hi): one window column of one window row for a run of outputs
    (slices from 0, strides 1 and 2 written out: the loop vectorizes)."""
    n = hi - lo
    a = acc[lo:hi]
    s0 = x0 + lo * sw
    if sw == 1:
        src = row[s0: s0 + n]
        for k in range(n):
            a[k] += src[k]
    elif sw == 2:
        src = row[s0: s0 + 2 * n]
        for k in range(n):
            a[k] += src[2 * k]
    else:
        for k in range(n):
            a[k] += row[s0 + k * sw]


@numba.njit(**_OPTS)
def avg_pool(x, out, acc_zero, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor):
    """Average over each window (divisor overrides the count when has_divisor). The window is clipped to
    the padded input [-p, size + p) for the count_include_pad size, then to the input for the sum and the other count.
    acc_zero is the accumulator's zero (float64 for floats, int64 for int64: integer results truncate
    toward zero, as C++ division). Row by row: the window's rows and columns each a run over the output row
    (_sum_rows), the same additions per output in the same order as a window at a time."""
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    acc = np.empty(ow, np.asarray(acc_zero).dtype)
    for p in range(x.shape[0]):
        plane = x[p]
        for oy in range(oh):
            ys = oy * sh - ph
            ye = min(ys + kh, h + ph)
            ny_pad = ye - ys
            ys = max(ys, 0)
            ye = min(ye, h)
            for ox in range(ow):
                acc[ox] = acc_zero
            for y in range(ys, ye):
                row = plane[y]
                for j in range(kw):
                    lo, hi = _valid_range_pool(ow, j - pw, sw, w)
                    if lo < hi:
                        _sum_rows(row, acc, lo, hi, j - pw, sw)
            orow = out[p, oy]
            for ox in range(ow):
                xs = ox * sw - pw
                xe = min(xs + kw, w + pw)
                pool = ny_pad * (xe - xs)
                xs = max(xs, 0)
                xe = min(xe, w)
                if has_divisor:
                    div = divisor
                elif count_include_pad:
                    div = pool
                else:
                    div = (ye - ys) * (xe - xs)
                orow[ox] = _divide(acc[ox], div)


@numba.njit(inline="always")
def _divide(s, div):
    return s / div


@numba.njit(**_OPTS)
def avg_pool_int(x, out, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor):
    """avg_pool for int64: the int64 sum divided with truncation toward zero."""
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    for p in range(x.shape[0]):
        plane = x[p]
        for oy in range(oh):
            ys = oy * sh - ph
            ye = min(ys + kh, h + ph)
            ny_pad = ye - ys
            ys = max(ys, 0)
            ye = min(ye, h)
            for ox in range(ow):
                xs = ox * sw - pw
                xe = min(xs + kw, w + pw)
                pool = ny_pad * (xe - xs)
                xs = max(xs, 0)
                xe = min(xe, w)
                s = 0
                for y in range(ys, ye):
                    row = plane[y]
                    for xx in range(xs, xe):
                        s += row[xx]
                if has_divisor:
                    div = divisor
                elif count_include_pad:
                    div = pool
                else:
                    div = (ye - ys) * (xe - xs)
                q = abs(s) // abs(div)
                out[p, oy, ox] = q if (s >= 0) == (div > 0) else -q


@numba.njit(**_OPTS)
def avg_pool_2x2(x, out, quarter):
    """avg_pool for kernel 2, stride 2, no padding and every window inside the input: the four values
    summed in the input's precision (quarter: 0.25 in that dtype)."""
    for p in range(x.shape[0]):
        plane = x[p]
        o = out[p]
        for oy in range(o.shape[0]):
            r0 = plane[2 * oy]
            r1 = plane[2 * oy + 1]
            orow = o[oy]
            for ox in range(o.shape[1]):
                orow[ox] = (r0[2 * ox] + r0[2 * ox + 1] + r1[2 * ox] + r1[2 * ox + 1]) * quarter


@numba.njit(inline="always")
def _adaptive_start(o, insize, outsize):
    return (o * insize) // outsize


@numba.njit(inline="always")
def _adaptive_end(o, insize, outsize):
    return ((o + 1) * insize + outsize - 1) // outsize


@numba.njit(**_OPTS)
def adaptive_avg_pool(x, out, acc_zero):
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    for p in range(x.shape[0]):
        plane = x[p]
        for oy in range(oh):
            ys = _adaptive_start(oy, h, oh)
            ye = _adaptive_end(oy, h, oh)
            for ox in range(ow):
                xs = _adaptive_start(ox, w, ow)
                xe = _adaptive_end(ox, w, ow)
                s = acc_zero
                for y in range(ys, ye):
                    row = plane[y]
                    for xx in range(xs, xe):
                        s += row[xx]
                out[p, oy, ox] = s / ((ye - ys) * (xe - xs))


@numba.njit(**_OPTS)
def adaptive_avg_pool_tiled(x, out, acc_zero):
    """adaptive_avg_pool for windows that tile the plane (kh = H/OH, kw = W/OW): the same float64 sums in the
    same raster order as adaptive_avg_pool, without its per-window bounds; kernel widths 1 and 2 written out."""
    oh, ow = out.shape[1], out.shape[2]
    kh, kw = x.shape[1] // oh, x.shape[2] // ow
    acc = np.empty(ow, np.asarray(acc_zero).dtype)
    count = kh * kw
    for p in range(x.shape[0]):
        plane = x[p]
        for oy in range(oh):
            for ox in range(ow):
                acc[ox] = acc_zero
            for i in range(kh):
                row = plane[oy * kh + i]
                if kw == 2:
                    for ox in range(ow):
                        acc[ox] = acc[ox] + row[2 * ox] + row[2 * ox + 1]
                elif kw == 1:
                    for ox in range(ow):
                        acc[ox] += row[ox]
                else:
                    for ox in range(ow):
                        s = acc[ox]
                        seg = row[ox * kw: ox * kw + kw]
                        for j in range(kw):
                            s += seg[j]
                        acc[ox] = s
            orow = out[p, oy]
            for ox in range(ow):
                orow[ox] = acc[ox] / count


@numba.njit(fastmath={"reassoc"}, inline="always", error_model="numpy")
def _row_mean(row, zero, count):
    s = zero
    for k in range(row.shape[0]):
        s += row[k]
    return s / count


@numba.njit(fastmath={"reassoc"}, **_OPTS)
def plane_sum(x2, out, zero, count):
    """out[p] = sum of x2[p] (P, HW) / count: the (1, 1) adaptive average (count HW), vectorized by reassociation
    (NaN and inf still propagate)."""
    for p in range(x2.shape[0]):
        out[p] = _row_mean(x2[p], zero, count)


@numba.njit(fastmath={"reassoc"}, parallel=True, **_OPTS)
def plane_sum_par(x2, out, zero, count):
    """plane_sum across threads, by planes."""
    for p in prange(x2.shape[0]):
        out[p] = _row_mean(x2[p], zero, count)


@numba.njit(**_OPTS)
def adaptive_max_pool(x, out, ind, lowest, with_indices):
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    for p in range(x.shape[0]):
        plane = x[p]
        for oy in range(oh):
            ys = _adaptive_start(oy, h, oh)
            ye = _adaptive_end(oy, h, oh)
            for ox in range(ow):
                xs = _adaptive_start(ox, w, ow)
                xe = _adaptive_end(ox, w, ow)
                best = lowest
                arg = ys * w + xs
                for y in range(ys, ye):
                    row = plane[y]
                    for xx in range(xs, xe):
                        v = row[xx]
                        if v > best or v != v:
                            best = v
                            arg = y * w + xx
                out[p, oy, ox] = best
                if with_indices:
                    ind[p, oy, ox] = arg


@numba.njit(**_OPTS)
def _first_argmax(v, lanes, where):
    """The index of torch's maximum of the C-contiguous 1-d v: the last NaN if there is one, else the first
    largest value. 16 lanes keep the running maximum and its block over blocks of 16 (an elementwise select of
    value and int32 block that vectorizes; a NaN sticks and the last one stays), the lanes reduce to the first
    of the largest (or the last NaN), then the tail past the blocks continues the scan."""
    n = v.size
    nl = lanes.size
    nb = n // nl
    blocks = v[:nb * nl].reshape(nb, nl)
    m = v[0]
    k = 0
    if nb > 0:
        for j in range(nl):
            lanes[j] = blocks[0, j]
            where[j] = 0
        for b in range(1, nb):
            blk = blocks[b]
            for j in range(nl):
                e = blk[j]
                if e > lanes[j] or e != e:
                    lanes[j] = e
                    where[j] = b
        m = lanes[0]
        k = where[0] * nl
        for j in range(1, nl):
            e = lanes[j]
            i = where[j] * nl + j
            if m != m:  # a NaN found: the lane's last NaN if it is later
                if e != e and i > k:
                    k = i
            elif e != e or e > m or (e == m and i < k):
                m = e
                k = i
    for i in range(max(nb * nl, 1), n):
        e = v[i]
        if e > m or e != e:
            m = e
            k = i
    return k


@numba.njit(**_OPTS)
def global_max_pool(x2, out, ind, with_indices):
    """out[p], ind[p] = the maximum of x2[p] (P, L) and its flat index: the (1, 1) adaptive max pool (the
    first largest value; the last NaN when there is one, as a window scan with `v > best or isnan(v)`)."""
    lanes = np.empty(16, x2.dtype)
    where = np.empty(16, np.int32)
    for p in range(x2.shape[0]):
        row = x2[p]
        k = _first_argmax(row, lanes, where)
        out[p] = row[k]
        if with_indices:
            ind[p] = k


@numba.njit(**_OPTS)
def avg_pool_backward_disjoint(g, out):
    """The adjoint of an average over windows that tile the input exactly (kernel = stride = H/OH, W/OW, no
    padding: the divisible adaptive average): every input gets its window's g / (kh*kw); out (P, H, W) is
    written whole (no zeroing needed)."""
    oh, ow = g.shape[1], g.shape[2]
    kh, kw = out.shape[1] // oh, out.shape[2] // ow
    v = np.empty(ow, g.dtype)
    for p in range(g.shape[0]):
        for oy in range(oh):
            grow = g[p, oy]
            for ox in range(ow):
                v[ox] = grow[ox] / (kh * kw)
            for i in range(kh):
                row = out[p, oy * kh + i]
                for j in range(kw):
                    dst = row[j:]
                    for ox in range(ow):
                        dst[ox * kw] = v[ox]


@numba.njit(**_OPTS)
def max_unpool(x, ind, out):
    """out[p].flat[ind[p, k]] = x[p, k] (indices validated by the front end; out zeroed)."""
    for p in range(x.shape[0]):
        o = out[p]
        for k in range(x.shape[1]):
            o[ind[p, k]] = x[p, k]


def lowest(np_dtype) -> np.generic:
    """The start value of a max: -inf for floats, the minimum for integers."""
    dt = np.dtype(np_dtype)
    return dt.type(-np.inf) if dt.kind == "f" else np.iinfo(dt).min


def num_threads() -> int:
    return numba.get_num_threads()



# ---------------------------------------------------------------------------------------------
# Backward kernels (the adjoints of the forward ones; float32 / float64 planes)
# ---------------------------------------------------------------------------------------------


@numba.njit(**_OPTS)
def scatter_add_planes(g, ind, out):
    """out[p, ind[p, k]] += g[p, k]: max-pool backward (g and ind (P, L), out (P, H*W), each plane zeroed here
    just before its scatter, while it is in cache; the indices come from the forward, so they are inside the
    plane)."""
    for p in range(g.shape[0]):
        o = out[p]
        for k in range(o.size):
            o[k] = 0
        gp = g[p]
        ip = ind[p]
        for k in range(g.shape[1]):
            o[ip[k]] += gp[k]


@numba.njit(**_OPTS)
def scatter_add_nhwc(g, ind, out):
    """out[n, ind[n, l, c], c] += g[n, l, c]: max-pool backward of channels-last planes (g and ind (N, L, C),
    out (N, H*W, C), each image zeroed here just before its scatter)."""
    for n in range(g.shape[0]):
        o = out[n]
        o[:] = 0
        for k in range(g.shape[1]):
            gk = g[n, k]
            ik = ind[n, k]
            for c in range(g.shape[2]):
                o[ik[c], c] += gk[c]


@numba.njit(**_OPTS)
def gather_nhwc(x, ind, out):
    """out[n, l, c] = x[n, ind[n, l, c], c]: the adjoint of scatter_add_nhwc (x (N, H*W, C))."""
    for n in range(out.shape[0]):
        xn = x[n]
        for k in range(out.shape[1]):
            ok = out[n, k]
            ik = ind[n, k]
            for c in range(out.shape[2]):
                ok[c] = xn[ik[c], c]


@numba.njit(**_OPTS)
def gather_planes(x, ind, out):
    """out[p, k] = x[p, ind[p, k]]: the adjoint of scatter_add_planes (max_unpool2d's backward)."""
    for p in range(out.shape[0]):
        xp = x[p]
        op = out[p]
        ip = ind[p]
        for k in range(out.shape[1]):
            op[k] = xp[ip[k]]


@numba.njit(**_OPTS)
def avg_pool_backward(g, out, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor):
    """The adjoint of avg_pool: g[p, oy, ox] / divisor added to every input of its window (out (P, H, W)
    zeroed by the caller; windows and divisors exactly as the forward's)."""
    h, w = out.shape[1], out.shape[2]
    oh, ow = g.shape[1], g.shape[2]
    for p in range(g.shape[0]):
        plane = out[p]
        for oy in range(oh):
            ys = oy * sh - ph
            ye = min(ys + kh, h + ph)
            ny_pad = ye - ys
            ys = max(ys, 0)
            ye = min(ye, h)
            for ox in range(ow):
                xs = ox * sw - pw
                xe = min(xs + kw, w + pw)
                pool = ny_pad * (xe - xs)
                xs = max(xs, 0)
                xe = min(xe, w)
                if has_divisor:
                    div = divisor
                elif count_include_pad:
                    div = pool
                else:
                    div = (ye - ys) * (xe - xs)
                v = g[p, oy, ox] / div
                for y in range(ys, ye):
                    row = plane[y]
                    for xx in range(xs, xe):
                        row[xx] += v


@numba.njit(**_OPTS)
def adaptive_avg_pool_backward(g, out):
    """The adjoint of adaptive_avg_pool (out (P, H, W) zeroed by the caller)."""
    h, w = out.shape[1], out.shape[2]
    oh, ow = g.shape[1], g.shape[2]
    for p in range(g.shape[0]):
        plane = out[p]
        for oy in range(oh):
            ys = _adaptive_start(oy, h, oh)
            ye = _adaptive_end(oy, h, oh)
            for ox in range(ow):
                xs = _adaptive_start(ox, w, ow)
                xe = _adaptive_end(ox, w, ow)
                v = g[p, oy, ox] / ((ye - ys) * (xe - xs))
                for y in range(ys, ye):
                    row = plane[y]
                    for xx in range(xs, xe):
                        row[xx] += v
