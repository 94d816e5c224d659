"""CUDA grid_sample, with the contract of kernels/cpu/grid_sample.py on C-contiguous device arrays: a taps kernel
(one thread per output point running the CPU module's `point_taps` as a device function; numba-cuda compiles the
@njit scalar helpers it calls for the device), then a gather (one thread per output element), the adjoint scatter
with atomic adds (the input gradient) and the grid gradient (one thread per output point, looping over the
channels). float32 / float64; float16 runs in float32.
"""

from __future__ import annotations

from ..cpu import grid_sample as _cpu
from .launch import configure, cuda, grid_1d

__all__ = ["taps_into", "gather_into", "scatter_into", "grid_grad_into"]

point_taps = cuda.jit(device=True)(_cpu.point_taps.py_func)  # its scalar helpers are @njit: compiled for the device


@cuda.jit(cache=True)
def _taps(grid, wsize, hsize, dsize, mode, padding, align, idx, w, dw, want_grad):
    n_, p_ = grid.shape[0], grid.shape[1]
    i = cuda.grid(1)
    while i < n_ * p_:
        point_taps(grid, i // p_, i % p_, wsize, hsize, dsize, mode, padding, align, idx, w, dw, want_grad)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _gather(x, idx, w, out, zero):
    n_, c_, p_ = out.shape
    k_ = idx.shape[1]
    i = cuda.grid(1)
    while i < n_ * c_ * p_:
        p = i % p_
        c = (i // p_) % c_
        n = i // (p_ * c_)
        acc = zero  # the compute dtype (float32 sums stay float32 on the device)
        for k in range(k_):
            j = idx[n, k, p]
            if j >= 0:
                acc += w[n, k, p] * x[n, c, j]
        out[n, c, p] = acc
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _scatter(g, idx, w, out):
    n_, c_, p_ = g.shape
    k_ = idx.shape[1]
    i = cuda.grid(1)
    while i < n_ * c_ * p_:
        p = i % p_
        c = (i // p_) % c_
        n = i // (p_ * c_)
        gv = g[n, c, p]
        for k in range(k_):
            j = idx[n, k, p]
            if j >= 0:
                cuda.atomic.add(out, (n, c, j), w[n, k, p] * gv)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _grid_grad(x, g, idx, dw, out):
    n_, c_, p_ = g.shape
    k_ = idx.shape[1]
    dims = out.shape[2]
    i = cuda.grid(1)
    while i < n_ * p_:
        p = i % p_
        n = i // p_
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        for c in range(c_):
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            for k in range(k_):
                j = idx[n, k, p]
                if j >= 0:
                    v = x[n, c, j]
                    s0 += v * dw[n, k, p, 0]
                    s1 += v * dw[n, k, p, 1]
                    if dims == 3:
                        s2 += v * dw[n, k, p, 2]
            gv = g[n, c, p]
            a0 += gv * s0
            a1 += gv * s1
            a2 += gv * s2
        out[n, p, 0] = a0
        out[n, p, 1] = a1
        if dims == 3:
            out[n, p, 2] = a2
        i += cuda.gridsize(1)


def _launch(kernel, n: int, *args) -> None:
    if n:
        configure(kernel, *grid_1d(n))(*args)


def taps_into(grid, wsize: int, hsize: int, dsize: int, mode: int, padding: int, align: bool, idx, w, dw,
              want_grad: bool) -> None:
    """idx / w (N, K, P) (and dw (N, K, P, dims) with want_grad) of the points of grid (N, P, dims)."""
    _launch(_taps, grid.shape[0] * grid.shape[1], grid, wsize, hsize, dsize, mode, padding, align, idx, w, dw,
            want_grad)


def gather_into(x, idx, w, out) -> None:
    """out (N, C, P) = the taps' weighted sums of x (N, C, S)."""
    _launch(_gather, out.size, x, idx, w, out, out.dtype.type(0))


def scatter_into(g, idx, w, out) -> None:
    """out (N, C, S), zeroed, += the adjoint of gather applied to g (N, C, P) (atomic adds)."""
    _launch(_scatter, g.size, g, idx, w, out)


def grid_grad_into(x, g, idx, dw, out) -> None:
    """out (N, P, dims) = the gradient for the grid (float64 accumulators)."""
    _launch(_grid_grad, out.shape[0] * out.shape[1], x, g, idx, dw, out)
