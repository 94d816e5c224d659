"""Interpolation kernels over (P, H, W) planes: nearest gather and bilinear blend, and their adjoints
(the backward: scatter-add into the source pixels).

The source indices and weights per output row / column are computed by the front end (with
PyTorch's float arithmetic), so these kernels only gather and blend. Inputs are validated by
the front end: every index is inside the plane.
"""

from __future__ import annotations

import numba

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)


@numba.njit(**_OPTS)
def nearest(x, iy, ix, out):
    """out[p, oy, ox] = x[p, iy[oy], ix[ox]]. Pure data movement: x and out are unsigned views."""
    oh, ow = out.shape[1], out.shape[2]
    for p in range(x.shape[0]):
        plane = x[p]
        o = out[p]
        for oy in range(oh):
            row = plane[iy[oy]]
            orow = o[oy]
            for ox in range(ow):
                orow[ox] = row[ix[ox]]


@numba.njit(**_OPTS)
def bilinear(x, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out):
    """out[p, oy, ox] = hy0*(wx0*a + wx1*b) + hy1*(wx0*c + wx1*d) with a, b = x[p, y0[oy], x0/x1[ox]] and
    c, d = x[p, y1[oy], x0/x1[ox]] (the weights in the compute dtype, torch's order of operations)."""
    oh, ow = out.shape[1], out.shape[2]
    for p in range(x.shape[0]):
        plane = x[p]
        o = out[p]
        for oy in range(oh):
            r0 = plane[y0[oy]]
            r1 = plane[y1[oy]]
            h0 = hy0[oy]
            h1 = hy1[oy]
            orow = o[oy]
            for ox in range(ow):
                a = x0[ox]
                b = x1[ox]
                w0 = wx0[ox]
                w1 = wx1[ox]
                orow[ox] = (r0[a] * w0 + r0[b] * w1) * h0 + (r1[a] * w0 + r1[b] * w1) * h1


@numba.njit(**_OPTS)
def nearest_backward(g, iy, ix, out):
    """out[p, iy[oy], ix[ox]] += g[p, oy, ox]: the adjoint of `nearest` (out zeroed by the caller)."""
    oh, ow = g.shape[1], g.shape[2]
    for p in range(g.shape[0]):
        plane = out[p]
        gp = g[p]
        for oy in range(oh):
            row = plane[iy[oy]]
            grow = gp[oy]
            for ox in range(ow):
                row[ix[ox]] += grow[ox]


@numba.njit(**_OPTS)
def bilinear_backward(g, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out):
    """The adjoint of `bilinear`: each g[p, oy, ox] accumulated into its four source pixels with the forward's
    weights (out zeroed by the caller)."""
    oh, ow = g.shape[1], g.shape[2]
    for p in range(g.shape[0]):
        plane = out[p]
        gp = g[p]
        for oy in range(oh):
            r0 = plane[y0[oy]]
            r1 = plane[y1[oy]]
            h0 = hy0[oy]
            h1 = hy1[oy]
            grow = gp[oy]
            for ox in range(ow):
                a = x0[ox]
                b = x1[ox]
                v0 = grow[ox] * h0
                v1 = grow[ox] * h1
                r0[a] += v0 * wx0[ox]
                r0[b] += v0 * wx1[ox]
                r1[a] += v1 * wx0[ox]
                r1[b] += v1 * wx1[ox]
