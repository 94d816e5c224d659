"""CUDA im2col / col2im for the convolutions (the GEMMs are matmul.bmm_into), the bias add, and an in-place add.

Contract of kernels/cpu/conv.py on device arrays of any non-negative strides: x (N, C, H, W), columns
(N, C*kh*kw, OH*OW) with row (c*kh + i)*kw + j and column oy*OW + ox. One thread per output element and no
atomics: im2col writes each column element once (zero where the window reads padding); col2im gives each
input position its own thread, which sums the column entries that read it (the transpose of im2col), so its
results do not depend on scheduling.
"""

from __future__ import annotations

import numpy as np

from .launch import configure, cuda, grid_1d

__all__ = ["im2col_into", "col2im_into", "add_bias_into", "add_into"]


@cuda.jit(cache=True)
def _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, ow):
    nb, rows, ncol = cols.shape
    h, w = x.shape[2], x.shape[3]
    total = nb * rows * ncol
    i = cuda.grid(1)
    while i < total:
        col = i % ncol
        t = i // ncol
        r = t % rows
        n = t // rows
        kx = r % kw
        t = r // kw
        ky = t % kh
        c = t // kh
        y = (col // ow) * sh - ph + ky * dh
        xx = (col % ow) * sw - pw + kx * dw
        if y >= 0 and y < h and xx >= 0 and xx < w:
            cols[n, r, col] = x[n, c, y, xx]
        else:
            cols[n, r, col] = 0
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _col2im(cols, out, zero, kh, kw, sh, sw, ph, pw, dh, dw, bh, bw):
    nb, c_in, h, w = out.shape
    total = nb * c_in * h * w
    i = cuda.grid(1)
    while i < total:
        xx = i % w
        t = i // w
        y = t % h
        t //= h
        c = t % c_in
        n = t // c_in
        s = zero
        for ky in range(kh):
            ty = y + ph - ky * dh
            if ty >= 0 and ty % sh == 0 and ty // sh < bh:
                oy = ty // sh
                for kx in range(kw):
                    tx = xx + pw - kx * dw
                    if tx >= 0 and tx % sw == 0 and tx // sw < bw:
                        s += cols[n, (c * kh + ky) * kw + kx, oy * bw + tx // sw]
        out[n, c, y, xx] = s
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _add_bias(out, bias):
    nb, c_out, ncol = out.shape
    total = nb * c_out * ncol
    i = cuda.grid(1)
    while i < total:
        col = i % ncol
        t = i // ncol
        c = t % c_out
        n = t // c_out
        out[n, c, col] += bias[c]
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _add(dst, src):
    i = cuda.grid(1)
    while i < dst.shape[0]:
        dst[i] += src[i]
        i += cuda.gridsize(1)


def im2col_into(x, cols, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, dh: int, dw: int, ow: int) -> None:
    """cols[n] = im2col of x[n] (x (N, C, H, W), cols (N, C*kh*kw, OH*OW), same dtype, any strides)."""
    if cols.size == 0:
        return
    configure(_im2col, *grid_1d(cols.size))(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, ow)


def col2im_into(cols, out, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, dh: int, dw: int, bh: int,
                bw: int) -> None:
    """out[n, c, y, x] = the sum of the column entries that im2col reads from (y, x) (out overwritten; the
    columns (N, C*kh*kw, bh*bw), out (N, C, H, W), any strides)."""
    if out.size == 0:
        return
    zero = np.zeros((), out.dtype if out.dtype.kind == "f" else np.int64)[()]
    configure(_col2im, *grid_1d(out.size))(cols, out, zero, kh, kw, sh, sw, ph, pw, dh, dw, bh, bw)


def add_bias_into(out, bias) -> None:
    """out[n, c, :] += bias[c] for out (N, C, L)."""
    if out.size == 0:
        return
    configure(_add_bias, *grid_1d(out.size))(out, bias)


def add_into(dst, src) -> None:
    """dst += src for 1-d arrays of one length."""
    if dst.size == 0:
        return
    configure(_add, *grid_1d(dst.size))(dst, src)
