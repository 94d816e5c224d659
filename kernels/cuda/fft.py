"""CUDA FFT kernels: the complex-to-complex transform of kernels/cpu/fft.py on device arrays, C-contiguous
(batch, n) complex64/complex128 in and out, unnormalised.

The same Stockham stages and the same plans (twiddles, roots and Bluestein chirps from kernels/cpu/fft.py's host
code, copied to the device once per (n, dtype, direction)): one launch per stage, one thread per butterfly
(row, p, q) in a grid-stride loop. Radix 2 and 4 have their butterflies; other radices compute their r outputs as
r-term sums over the roots table (O(r^2) per butterfly, fine for the small factors the plans produce). A length
with a large prime factor goes through Bluestein: chirp-multiply and zero-pad, c2c of length M, multiply by the
chirp's transform, inverse c2c, chirp-multiply. A simple first kernel: no shared-memory tiling.
"""

from __future__ import annotations

import numpy as np

from ..cpu import fft as host_fft
from . import arrays
from .copy import copy_cast
from .launch import configure, cuda, grid_1d


@cuda.jit(cache=True)
def _stage(src, dst, tw, roots, r, m, s, total):
    """One Stockham stage over every row: item (row, p, q) reads src[row, q + s (p + j m)] (j < r) and writes the
    r-point DFT times the twiddles w^(p k) to dst[row, q + s (r p + k)]."""
    i = cuda.grid(1)
    stride = cuda.gridsize(1)
    ms = m * s
    while i < total:
        row = i // ms
        rem = i - row * ms
        p = rem // s
        q = rem - p * s
        a = src[row]
        o = dst[row]
        base = q + s * r * p
        if r == 2:
            x0 = a[q + s * p]
            x1 = a[q + s * (p + m)]
            o[base] = x0 + x1
            o[base + s] = (x0 - x1) * tw[p]
        elif r == 4:
            x0 = a[q + s * p]
            x1 = a[q + s * (p + m)]
            x2 = a[q + s * (p + 2 * m)]
            x3 = a[q + s * (p + 3 * m)]
            t0 = x0 + x2
            t1 = x0 - x2
            t2 = x1 + x3
            t3 = (x1 - x3) * roots[1]
            o[base] = t0 + t2
            o[base + s] = (t1 + t3) * tw[3 * p]
            o[base + 2 * s] = (t0 - t2) * tw[3 * p + 1]
            o[base + 3 * s] = (t1 - t3) * tw[3 * p + 2]
        else:
            for k in range(r):
                acc = a[q + s * p]
                for j in range(1, r):
                    acc += a[q + s * (p + j * m)] * roots[(j * k) % r]
                if k > 0:
                    acc = acc * tw[p * (r - 1) + k - 1]
                o[base + k * s] = acc
        i += stride


@cuda.jit(cache=True)
def _chirp_in(x, a, chirp, n, mm, total):
    """a[row, j] = x[row, j] chirp[j] for j < n, zero up to mm."""
    i = cuda.grid(1)
    stride = cuda.gridsize(1)
    while i < total:
        row = i // mm
        j = i - row * mm
        if j < n:
            a[row, j] = x[row, j] * chirp[j]
        else:
            a[row, j] = 0
        i += stride


@cuda.jit(cache=True)
def _pointwise(a, b, mm, total):
    """a[row, j] *= b[j]."""
    i = cuda.grid(1)
    stride = cuda.gridsize(1)
    while i < total:
        row = i // mm
        j = i - row * mm
        a[row, j] = a[row, j] * b[j]
        i += stride


@cuda.jit(cache=True)
def _chirp_out(a, out, chirp, n, total):
    """out[row, k] = a[row, k] chirp[k] for k < n."""
    i = cuda.grid(1)
    stride = cuda.gridsize(1)
    while i < total:
        row = i // n
        k = i - row * n
        out[row, k] = a[row, k] * chirp[k]
        i += stride


_DEVICE_PLANS: dict = {}


def _device_plan(n: int, dtype, inverse: bool):
    key = (n, np.dtype(dtype).char, inverse)
    p = _DEVICE_PLANS.get(key)
    if p is None:
        hp = host_fft.plan(n, dtype, inverse)
        if hp[0] == "direct":
            p = ("direct", _direct_on_device(hp[1]))
        else:
            _, chirp, bfft, fwd, inv = hp
            p = ("blue", cuda.to_device(chirp), cuda.to_device(bfft), _direct_on_device(fwd), _direct_on_device(inv))
        _DEVICE_PLANS[key] = p
    return p


def _direct_on_device(arrs: tuple):
    radices, tw, tw_off, roots, ro_off = arrs
    stages = []
    for i, r in enumerate(radices):
        stages.append((int(r), cuda.to_device(tw[tw_off[i]:tw_off[i + 1]].copy()),
                       cuda.to_device(roots[ro_off[i]:ro_off[i + 1]].copy())))
    return stages


def _run_direct(x, out, stages, rows: int, n: int) -> None:
    """The stages src -> out, alternating between out and one scratch array so that the last writes out."""
    if not stages:
        copy_cast(out, x)  # n == 1 (a DeviceView has no copy_to_device)
        return
    tmp = arrays.empty((rows, n), out.dtype) if len(stages) > 1 else None
    nc, s, src = n, 1, x
    k = len(stages)
    for i, (r, tw, roots) in enumerate(stages):
        m = nc // r
        dst = out if (k - 1 - i) % 2 == 0 else tmp
        total = rows * m * s
        blocks, threads = grid_1d(total)
        configure(_stage, blocks, threads)(src, dst, tw, roots, r, m, s, total)
        src, nc, s = dst, m, s * r


def c2c(x, inverse: bool = False, out=None):
    """Unnormalised FFT of each row of a C-contiguous (batch, n) complex64/complex128 device array (a new device
    array, or `out`)."""
    rows, n = x.shape
    dt = np.dtype(x.dtype)
    if dt not in (np.dtype(np.complex64), np.dtype(np.complex128)):
        raise TypeError(f"fft kernels take complex64/complex128, got {dt}")
    if out is None:
        out = arrays.empty((rows, n), dt)
    if rows == 0 or n == 0:
        return out
    p = _device_plan(n, dt, inverse)
    if p[0] == "direct":
        _run_direct(x, out, p[1], rows, n)
        return out
    _, chirp, bfft, fwd, inv = p
    mm = bfft.shape[0]
    a = arrays.empty((rows, mm), dt)
    fa = arrays.empty((rows, mm), dt)
    blocks, threads = grid_1d(rows * mm)
    configure(_chirp_in, blocks, threads)(x, a, chirp, n, mm, rows * mm)
    _run_direct(a, fa, fwd, rows, mm)
    configure(_pointwise, blocks, threads)(fa, bfft, mm, rows * mm)
    _run_direct(fa, a, inv, rows, mm)
    blocks, threads = grid_1d(rows * n)
    configure(_chirp_out, blocks, threads)(a, out, chirp, n, rows * n)
    return out
