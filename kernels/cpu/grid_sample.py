"""grid_sample kernels: every mode is a set of taps per output point (a flat spatial offset and a weight), so one
gather, one scatter-add and one grid-gradient kernel serve bilinear, nearest and bicubic, 4-d and 5-d input alike.

`point_taps` computes one output point's taps with PyTorch's coordinate arithmetic (unnormalize, clip / reflect
with their derivative multipliers, safe_downgrade_to_int_range), in float64: K = 4 (bilinear 2-d), 8 (trilinear
3-d), 1 (nearest) or 16 (bicubic 2-d). Taps outside the input have offset -1 and add nothing. With want_grad it also
writes each weight's derivative with respect to the point's grid coordinates (zero for nearest).

Arrays: x (N, C, S) with S = D*H*W the flattened spatial volume (D = 1 for 4-d input), grid rows (N, P, dims),
taps idx / w (N, K, P), dw (N, K, P, dims), out (N, C, P). The scalar helpers are plain @njit functions so the
CUDA kernels (kernels/cuda/grid_sample.py) call the same code.
"""

from __future__ import annotations

import math

import numba
from numba import prange

ZEROS, BORDER, REFLECTION = 0, 1, 2  # torch's GridSamplerPadding
BILINEAR, NEAREST, BICUBIC = 0, 1, 2  # torch's GridSamplerInterpolation
CUBIC_A = -0.75

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)


def tap_count(mode: int, dims: int) -> int:
    """Taps per output point."""
    if mode == NEAREST:
        return 1
    if mode == BICUBIC:
        return 16
    return 1 << dims


@numba.njit(cache=True)
def _clip(x, size):
    """clip_coordinates_set_grad: x clipped to [0, size - 1], and its derivative."""
    if x <= 0.0:
        return 0.0, 0.0
    hi = size - 1.0
    if x >= hi:
        return hi, 0.0
    return x, 1.0


@numba.njit(cache=True)
def _reflect(x, twice_low, twice_high):
    """reflect_coordinates_set_grad: x reflected at the borders until it lies in [low, high], and its derivative."""
    if twice_low == twice_high:
        return 0.0, 0.0
    lo = twice_low / 2.0
    span = (twice_high - twice_low) / 2.0
    x = x - lo
    sign = 1.0
    if x < 0.0:
        sign = -1.0
        x = -x
    extra = x % span  # x >= 0: fmod
    flips = math.floor(x / span)
    if flips % 2 == 0:
        return extra + lo, sign
    return span - extra + lo, -sign


@numba.njit(cache=True)
def _safe(x):
    """safe_downgrade_to_int_range: a coordinate that is not finite or beyond int32 becomes -100 (outside)."""
    if not math.isfinite(x) or x > 2147483646.0 or x < -2147483648.0:
        return -100.0
    return x


@numba.njit(cache=True)
def _unnormalize(coord, size, align):
    """grid_sampler_unnormalize_set_grad: [-1, 1] -> pixel coordinate, and its derivative."""
    if align:
        return (coord + 1.0) / 2.0 * (size - 1), (size - 1) / 2.0
    return ((coord + 1.0) * size - 1.0) / 2.0, size / 2.0


@numba.njit(cache=True)
def _pad(x, size, padding, align):
    """compute_coordinates_set_grad: the padding mode applied to pixel coordinate x, and its derivative."""
    g = 1.0
    if padding == BORDER:
        x, g = _clip(x, size)
    elif padding == REFLECTION:
        if align:
            x, g = _reflect(x, 0.0, 2.0 * (size - 1))
        else:
            x, g = _reflect(x, -1.0, 2.0 * size - 1.0)
        x, g2 = _clip(x, size)
        g = g * g2
    return _safe(x), g


@numba.njit(cache=True)
def _source(coord, size, padding, align):
    """grid_sampler_compute_source_index_set_grad: pixel coordinate of a grid value, and its derivative."""
    x, mult = _unnormalize(coord, size, align)
    x, g = _pad(x, size, padding, align)
    return x, mult * g


@numba.njit(cache=True)
def _cubic(t, i):
    """get_cubic_upsample_coefficients: the weight of tap i (of 4) at fraction t."""
    a = CUBIC_A
    if i == 0:
        x = t + 1.0
        return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    if i == 1:
        return ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
    if i == 2:
        x = 1.0 - t
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    x = 2.0 - t
    return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a


@numba.njit(cache=True)
def _cubic_slope(t, i):
    """d _cubic(t, i) / dt (torch's get_cubic_coefficients_grad, negated)."""
    a = CUBIC_A
    if i == 0:
        x = -1.0 - t
        return -((-3.0 * a * x - 10.0 * a) * x - 8.0 * a)
    if i == 1:
        x = -t
        return -((-3.0 * (a + 2.0) * x - 2.0 * (a + 3.0)) * x)
    if i == 2:
        x = 1.0 - t
        return -((3.0 * (a + 2.0) * x - 2.0 * (a + 3.0)) * x)
    x = 2.0 - t
    return -((3.0 * a * x - 10.0 * a) * x + 8.0 * a)


@numba.njit(cache=True)
def _bounded(i, size, padding, align):
    """get_value_bounded's index: integer coordinate i through the padding mode, -1 when outside."""
    x, _ = _pad(float(i), size, padding, align)
    j = int(x)
    return j if 0 <= j < size else -1


@numba.njit(cache=True)
def point_taps(grid, n, p, wsize, hsize, dsize, mode, padding, align, idx, w, dw, want_grad):
    """The taps of output point p of sample n (grid[n, p] = (x, y[, z]) in [-1, 1]) into idx / w [n, :, p] and,
    with want_grad, d w / d grid into dw[n, :, p, :]."""
    dims = grid.shape[2]
    if mode == BICUBIC:
        ix, mx = _unnormalize(float(grid[n, p, 0]), wsize, align)
        iy, my = _unnormalize(float(grid[n, p, 1]), hsize, align)
        x0 = math.floor(_safe(ix))
        y0 = math.floor(_safe(iy))
        tx = ix - x0
        ty = iy - y0
        k = 0
        for j in range(4):
            cy = _cubic(ty, j)
            yi = _bounded(y0 - 1 + j, hsize, padding, align)
            for i in range(4):
                cx = _cubic(tx, i)
                xi = _bounded(x0 - 1 + i, wsize, padding, align)
                idx[n, k, p] = yi * wsize + xi if xi >= 0 and yi >= 0 else -1
                w[n, k, p] = cx * cy
                if want_grad:
                    dw[n, k, p, 0] = _cubic_slope(tx, i) * cy * mx
                    dw[n, k, p, 1] = cx * _cubic_slope(ty, j) * my
                k += 1
        return
    ix, mx = _source(float(grid[n, p, 0]), wsize, padding, align)
    iy, my = _source(float(grid[n, p, 1]), hsize, padding, align)
    iz, mz = 0.0, 0.0
    if dims == 3:
        iz, mz = _source(float(grid[n, p, 2]), dsize, padding, align)
    if mode == NEAREST:
        xi, yi, zi = round(ix), round(iy), round(iz)  # nearbyint: half to even
        inside = 0 <= xi < wsize and 0 <= yi < hsize and 0 <= zi < dsize
        idx[n, 0, p] = (zi * hsize + yi) * wsize + xi if inside else -1
        w[n, 0, p] = 1.0
        if want_grad:
            for a in range(dims):
                dw[n, 0, p, a] = 0.0
        return
    x0, y0, z0 = math.floor(ix), math.floor(iy), math.floor(iz)
    k = 0
    for dz in range(2 if dims == 3 else 1):
        zz = z0 + dz
        wz, sz = 1.0, 0.0
        if dims == 3:
            wz, sz = ((z0 + 1 - iz), -mz) if dz == 0 else ((iz - z0), mz)
        for dy in range(2):
            yy = y0 + dy
            wy, sy = ((y0 + 1 - iy), -my) if dy == 0 else ((iy - y0), my)
            for dx in range(2):
                xx = x0 + dx
                wx, sx = ((x0 + 1 - ix), -mx) if dx == 0 else ((ix - x0), mx)
                inside = 0 <= xx < wsize and 0 <= yy < hsize and 0 <= zz < dsize
                idx[n, k, p] = (zz * hsize + yy) * wsize + xx if inside else -1
                w[n, k, p] = wx * wy * wz
                if want_grad:
                    dw[n, k, p, 0] = sx * wy * wz
                    dw[n, k, p, 1] = wx * sy * wz
                    if dims == 3:
                        dw[n, k, p, 2] = wx * wy * sz
                k += 1


@numba.njit(parallel=True, **_OPTS)
def taps(grid, wsize, hsize, dsize, mode, padding, align, idx, w, dw, want_grad):
    """point_taps for every point of grid (N, P, dims)."""
    n_, p_ = grid.shape[0], grid.shape[1]
    for r in prange(n_ * p_):
        point_taps(grid, r // p_, r % p_, wsize, hsize, dsize, mode, padding, align, idx, w, dw, want_grad)


@numba.njit(parallel=True, **_OPTS)
def gather(x, idx, w, out):
    """out[n, c, p] = the sum over the taps inside of w[n, k, p] * x[n, c, idx[n, k, p]], in out's dtype and torch's
    tap order; one tap at a time over all points (the loop over p vectorizes)."""
    n_, c_, p_ = out.shape
    k_ = idx.shape[1]
    for nc in prange(n_ * c_):
        n = nc // c_
        plane = x[n, nc % c_]
        o = out[n, nc % c_]
        for p in range(p_):
            o[p] = 0.0
        for k in range(k_):
            ii = idx[n, k]
            ww = w[n, k]
            for p in range(p_):
                j = ii[p]
                if j >= 0:
                    o[p] += ww[p] * plane[j]


@numba.njit(parallel=True, **_OPTS)
def scatter(g, idx, w, out):
    """The adjoint of gather (the input gradient): out[n, c, idx[n, k, p]] += w[n, k, p] * g[n, c, p]; out zeroed.
    Each (n, c) plane belongs to one thread."""
    n_, c_, p_ = g.shape
    k_ = idx.shape[1]
    for nc in prange(n_ * c_):
        n = nc // c_
        plane = out[n, nc % c_]
        gp = g[n, nc % c_]
        for k in range(k_):
            ii = idx[n, k]
            ww = w[n, k]
            for p in range(p_):
                j = ii[p]
                if j >= 0:
                    plane[j] += ww[p] * gp[p]


_BLOCK = 256  # output points per grid-gradient task


@numba.njit(parallel=True, **_OPTS)
def grid_grad(x, g, idx, dw, out):
    """out[n, p, a] = sum over c and the taps inside of g[n, c, p] * x[n, c, idx[n, k, p]] * dw[n, k, p, a]
    (out float64, zeroed); tasks are blocks of points of one sample."""
    n_, c_, p_ = g.shape
    k_ = idx.shape[1]
    dims = out.shape[2]
    blocks = (p_ + _BLOCK - 1) // _BLOCK
    for task in prange(n_ * blocks):
        n = task // blocks
        start = (task % blocks) * _BLOCK
        stop = min(start + _BLOCK, p_)
        acc = out[n]
        for c in range(c_):
            plane = x[n, c]
            gp = g[n, c]
            for k in range(k_):
                ii = idx[n, k]
                dd = dw[n, k]
                for p in range(start, stop):
                    j = ii[p]
                    if j >= 0:
                        v = gp[p] * plane[j]
                        for a in range(dims):
                            acc[p, a] += v * dd[p, a]
