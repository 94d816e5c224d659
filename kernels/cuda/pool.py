"""CUDA pooling over planes, with the contract of kernels/cpu/pool.py on device arrays of any non-negative
strides: x (P, H, W), out and indices (P, OH, OW), window geometry as PyTorch's (window oy covers input rows
oy*sh - ph + i*dh inside [0, H); adaptive windows [floor(o*H/OH), ceil((o+1)*H/OH))).

Forward kernels: one thread per output element. Max keeps the first largest value and a NaN wins (the last NaN
of the window, torch's `val > max || isnan(val)`), indices are flat within the plane (iy*W + ix); an all-lowest
window reports its first position. Averages accumulate in float64 (int64 for int64 input, truncating toward
zero). Backward kernels: the averages' adjoints are gathers (one thread per input element summing the windows
that contain it, no atomics); the scatter of max-pool gradients through the saved indices uses atomic adds
(float32 / float64 only: float16 is computed in float32 by the front end).
"""

from __future__ import annotations

from .launch import configure, cuda, grid_1d

__all__ = ["max_pool_into", "avg_pool_into", "avg_pool_int_into", "avg_pool_backward_into", "adaptive_avg_into",
           "adaptive_avg_backward_into", "adaptive_max_into", "scatter_add_planes", "gather_planes",
           "max_unpool_into"]


@cuda.jit(device=True)
def _unravel(i, oh, ow):
    ox = i % ow
    t = i // ow
    return t // oh, t % oh, ox


@cuda.jit(device=True)
def _window(o, s, p, size, k):
    """The window [start, end) of output o clipped to the padded input, the unclipped count, then [start, end)
    clipped to the input (avg_pool's geometry)."""
    lo = o * s - p
    hi = min(lo + k, size + p)
    pool = hi - lo
    return max(lo, 0), min(hi, size), pool


@cuda.jit(device=True)
def _divisor(ys, ye, xs, xe, pool, count_include_pad, has_divisor, divisor):
    if has_divisor:
        return divisor
    if count_include_pad:
        return pool
    return (ye - ys) * (xe - xs)


@cuda.jit(device=True)
def _start(o, insize, outsize):
    return (o * insize) // outsize


@cuda.jit(device=True)
def _end(o, insize, outsize):
    return ((o + 1) * insize + outsize - 1) // outsize


@cuda.jit(cache=True)
def _max_pool(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices):
    h, w = x.shape[1], x.shape[2]
    np_, oh, ow = out.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        p, oy, ox = _unravel(i, oh, ow)
        y0 = oy * sh - ph
        while y0 < 0:
            y0 += dh
        x0 = ox * sw - pw
        while x0 < 0:
            x0 += dw
        yend = min(oy * sh - ph + (kh - 1) * dh + 1, h)
        xend = min(ox * sw - pw + (kw - 1) * dw + 1, w)
        best = lowest
        arg = y0 * w + x0
        y = y0
        while y < yend:
            xx = x0
            while xx < xend:
                v = x[p, y, xx]
                if v > best or v != v:
                    best = v
                    arg = y * w + xx
                xx += dw
            y += dh
        out[p, oy, ox] = best
        if with_indices:
            ind[p, oy, ox] = arg
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _avg_pool(x, out, acc_zero, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor):
    h, w = x.shape[1], x.shape[2]
    np_, oh, ow = out.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        p, oy, ox = _unravel(i, oh, ow)
        ys, ye, ny = _window(oy, sh, ph, h, kh)
        xs, xe, nx = _window(ox, sw, pw, w, kw)
        s = acc_zero
        for y in range(ys, ye):
            for xx in range(xs, xe):
                s += x[p, y, xx]
        out[p, oy, ox] = s / _divisor(ys, ye, xs, xe, ny * nx, count_include_pad, has_divisor, divisor)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _avg_pool_int(x, out, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor):
    h, w = x.shape[1], x.shape[2]
    np_, oh, ow = out.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        p, oy, ox = _unravel(i, oh, ow)
        ys, ye, ny = _window(oy, sh, ph, h, kh)
        xs, xe, nx = _window(ox, sw, pw, w, kw)
        s = 0
        for y in range(ys, ye):
            for xx in range(xs, xe):
                s += x[p, y, xx]
        div = _divisor(ys, ye, xs, xe, ny * nx, count_include_pad, has_divisor, divisor)
        q = abs(s) // abs(div)
        out[p, oy, ox] = q if (s >= 0) == (div > 0) else -q
        i += cuda.gridsize(1)


@cuda.jit(device=True)
def _covering(pos, s, p, k, n_out):
    """The outputs [lo, hi) whose avg_pool window (before clipping) may contain input position pos."""
    t = pos + p - k + 1  # o*s >= t
    lo = 0 if t <= 0 else (t + s - 1) // s
    hi = min((pos + p) // s + 1, n_out)
    return lo, hi


@cuda.jit(cache=True)
def _avg_pool_backward(g, out, zero, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor):
    h, w = out.shape[1], out.shape[2]
    oh, ow = g.shape[1], g.shape[2]
    total = out.shape[0] * h * w
    i = cuda.grid(1)
    while i < total:
        p, y, xx = _unravel(i, h, w)
        oy0, oy1 = _covering(y, sh, ph, kh, oh)
        ox0, ox1 = _covering(xx, sw, pw, kw, ow)
        s = zero
        for oy in range(oy0, oy1):
            ys, ye, ny = _window(oy, sh, ph, h, kh)
            if y < ys or y >= ye:
                continue
            for ox in range(ox0, ox1):
                xs, xe, nx = _window(ox, sw, pw, w, kw)
                if xx < xs or xx >= xe:
                    continue
                s += g[p, oy, ox] / _divisor(ys, ye, xs, xe, ny * nx, count_include_pad, has_divisor, divisor)
        out[p, y, xx] = s
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _adaptive_avg(x, out, acc_zero):
    h, w = x.shape[1], x.shape[2]
    np_, oh, ow = out.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        p, oy, ox = _unravel(i, oh, ow)
        ys, ye = _start(oy, h, oh), _end(oy, h, oh)
        xs, xe = _start(ox, w, ow), _end(ox, w, ow)
        s = acc_zero
        for y in range(ys, ye):
            for xx in range(xs, xe):
                s += x[p, y, xx]
        out[p, oy, ox] = s / ((ye - ys) * (xe - xs))
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _adaptive_avg_backward(g, out, zero):
    h, w = out.shape[1], out.shape[2]
    oh, ow = g.shape[1], g.shape[2]
    total = out.shape[0] * h * w
    i = cuda.grid(1)
    while i < total:
        p, y, xx = _unravel(i, h, w)
        s = zero
        # the outputs whose window [start, end) holds y: from floor(y*OH/H) to ceil((y+1)*OH/H) - 1
        for oy in range((y * oh) // h, min(((y + 1) * oh + h - 1) // h, oh)):
            ys, ye = _start(oy, h, oh), _end(oy, h, oh)
            if y < ys or y >= ye:
                continue
            for ox in range((xx * ow) // w, min(((xx + 1) * ow + w - 1) // w, ow)):
                xs, xe = _start(ox, w, ow), _end(ox, w, ow)
                if xx < xs or xx >= xe:
                    continue
                s += g[p, oy, ox] / ((ye - ys) * (xe - xs))
        out[p, y, xx] = s
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _adaptive_max(x, out, ind, lowest, with_indices):
    h, w = x.shape[1], x.shape[2]
    np_, oh, ow = out.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        p, oy, ox = _unravel(i, oh, ow)
        ys, ye = _start(oy, h, oh), _end(oy, h, oh)
        xs, xe = _start(ox, w, ow), _end(ox, w, ow)
        best = lowest
        arg = ys * w + xs
        for y in range(ys, ye):
            for xx in range(xs, xe):
                v = x[p, y, xx]
                if v > best or v != v:
                    best = v
                    arg = y * w + xx
        out[p, oy, ox] = best
        if with_indices:
            ind[p, oy, ox] = arg
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _scatter_add(g, ind, out):
    n, k = g.shape
    total = n * k
    i = cuda.grid(1)
    while i < total:
        p = i // k
        j = i % k
        cuda.atomic.add(out, (p, ind[p, j]), g[p, j])
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _gather(x, ind, out):
    n, k = out.shape
    total = n * k
    i = cuda.grid(1)
    while i < total:
        p = i // k
        j = i % k
        out[p, j] = x[p, ind[p, j]]
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _unpool(x, ind, out):
    n, k = x.shape
    total = n * k
    i = cuda.grid(1)
    while i < total:
        p = i // k
        j = i % k
        out[p, ind[p, j]] = x[p, j]
        i += cuda.gridsize(1)


def _launch(kernel, n: int, *args) -> None:
    if n:
        configure(kernel, *grid_1d(n))(*args)


def max_pool_into(x, out, ind, lowest, kh, kw, sh, sw, ph, pw, dh, dw, with_indices: bool) -> None:
    """out (and ind when with_indices) = the max of each window of x; lowest: the start value in x's dtype."""
    _launch(_max_pool, out.size, x, out, ind if with_indices else out, lowest, kh, kw, sh, sw, ph, pw, dh, dw,
            with_indices)


def avg_pool_into(x, out, acc_zero, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor) -> None:
    """Float averages (acc_zero: the accumulator's zero, float64)."""
    _launch(_avg_pool, out.size, x, out, acc_zero, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor)


def avg_pool_int_into(x, out, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor) -> None:
    """int64 averages: the int64 sum divided with truncation toward zero."""
    _launch(_avg_pool_int, out.size, x, out, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor)


def avg_pool_backward_into(g, out, kh, kw, sh, sw, ph, pw, count_include_pad, has_divisor, divisor) -> None:
    """out (P, H, W) = the adjoint of avg_pool applied to g (P, OH, OW) (out overwritten)."""
    _launch(_avg_pool_backward, out.size, g, out, out.dtype.type(0), kh, kw, sh, sw, ph, pw, count_include_pad,
            has_divisor, divisor)


def adaptive_avg_into(x, out, acc_zero) -> None:
    _launch(_adaptive_avg, out.size, x, out, acc_zero)


def adaptive_avg_backward_into(g, out) -> None:
    """out (P, H, W) = the adjoint of adaptive_avg_pool applied to g (out overwritten)."""
    _launch(_adaptive_avg_backward, out.size, g, out, out.dtype.type(0))


def adaptive_max_into(x, out, ind, lowest, with_indices: bool) -> None:
    _launch(_adaptive_max, out.size, x, out, ind if with_indices else out, lowest, with_indices)


def scatter_add_planes(g, ind, out) -> None:
    """out[p, ind[p, k]] += g[p, k] with atomics (g, ind (P, L); out (P, H*W) float32/float64, zeroed)."""
    _launch(_scatter_add, g.size, g, ind, out)


def gather_planes(x, ind, out) -> None:
    """out[p, k] = x[p, ind[p, k]]."""
    _launch(_gather, out.size, x, ind, out)


def max_unpool_into(x, ind, out) -> None:
    """out[p, ind[p, k]] = x[p, k] (indices validated; out zeroed; a repeated index keeps one of its values)."""
    _launch(_unpool, x.size, x, ind, out)
