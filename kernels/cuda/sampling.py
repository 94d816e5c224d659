"""CUDA interpolation over (P, H, W) planes of any non-negative strides, with the contract of
kernels/cpu/sampling.py: the front end computes the source indices and weights per output row and column (with
PyTorch's float arithmetic) and copies them to the device; the kernels gather and blend, one thread per output
element. The backward kernels are the adjoints: each output gradient added into its source pixels with atomic
adds (float32 / float64; float16 is computed in float32 by the front end).
"""

from __future__ import annotations

from .launch import configure, cuda, grid_1d

__all__ = ["nearest_into", "bilinear_into", "nearest_backward_into", "bilinear_backward_into"]


@cuda.jit(cache=True)
def _nearest(x, iy, ix, out):
    np_, oh, ow = out.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        ox = i % ow
        t = i // ow
        oy = t % oh
        p = t // oh
        out[p, oy, ox] = x[p, iy[oy], ix[ox]]
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _bilinear(x, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out):
    np_, oh, ow = out.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        ox = i % ow
        t = i // ow
        oy = t % oh
        p = t // oh
        a = x0[ox]
        b = x1[ox]
        w0 = wx0[ox]
        w1 = wx1[ox]
        r0 = y0[oy]
        r1 = y1[oy]
        out[p, oy, ox] = ((x[p, r0, a] * w0 + x[p, r0, b] * w1) * hy0[oy]
                          + (x[p, r1, a] * w0 + x[p, r1, b] * w1) * hy1[oy])
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _nearest_backward(g, iy, ix, out):
    np_, oh, ow = g.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        ox = i % ow
        t = i // ow
        oy = t % oh
        p = t // oh
        cuda.atomic.add(out, (p, iy[oy], ix[ox]), g[p, oy, ox])
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _bilinear_backward(g, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out):
    np_, oh, ow = g.shape
    total = np_ * oh * ow
    i = cuda.grid(1)
    while i < total:
        ox = i % ow
        t = i // ow
        oy = t % oh
        p = t // oh
        a = x0[ox]
        b = x1[ox]
        v0 = g[p, oy, ox] * hy0[oy]
        v1 = g[p, oy, ox] * hy1[oy]
        cuda.atomic.add(out, (p, y0[oy], a), v0 * wx0[ox])
        cuda.atomic.add(out, (p, y0[oy], b), v0 * wx1[ox])
        cuda.atomic.add(out, (p, y1[oy], a), v1 * wx0[ox])
        cuda.atomic.add(out, (p, y1[oy], b), v1 * wx1[ox])
        i += cuda.gridsize(1)


def _launch(kernel, n: int, *args) -> None:
    if n:
        configure(kernel, *grid_1d(n))(*args)


def nearest_into(x, iy, ix, out) -> None:
    """out[p, oy, ox] = x[p, iy[oy], ix[ox]]."""
    _launch(_nearest, out.size, x, iy, ix, out)


def bilinear_into(x, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out) -> None:
    """out = hy0*(wx0*a + wx1*b) + hy1*(wx0*c + wx1*d) of the four source pixels (torch's order of operations)."""
    _launch(_bilinear, out.size, x, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out)


def nearest_backward_into(g, iy, ix, out) -> None:
    """out[p, iy[oy], ix[ox]] += g[p, oy, ox] (out zeroed by the caller)."""
    _launch(_nearest_backward, g.size, g, iy, ix, out)


def bilinear_backward_into(g, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out) -> None:
    """The adjoint of bilinear_into (out zeroed by the caller)."""
    _launch(_bilinear_backward, g.size, g, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out)
