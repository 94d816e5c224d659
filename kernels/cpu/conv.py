"""Convolution kernels: im2col (unfold), col2im (fold), bias add.

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

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)


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
