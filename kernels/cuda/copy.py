"""Strided copy with a dtype cast, and fill, on device arrays of any strides (never negative).

`copy_cast(dst, src)` serves .contiguous(), .to(dtype) and setitem with broadcasting (src may have stride 0;
dst must not overlap src, the caller checks). Casts follow NumPy's `astype` for values that fit (float ->
bool is `!= 0`, NaN included; float -> int truncates); complex -> real keeps the real part and complex -> bool is
`!= 0`, as torch's casts.
"""

from __future__ import annotations

import numpy as np

from . import arrays
from .launch import configure, cuda, grid_1d

__all__ = ["copy_cast", "fill"]


@cuda.jit(cache=True)
def _copy_contig(dst, src):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < dst.shape[0]:
        dst[i] = src[i]
        i += step


@cuda.jit(cache=True)
def _copy_strided(dst, src, shape, sd, ss, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    nd = shape.shape[0]
    while i < n:
        rest = i
        bd = 0
        bs = 0
        for d in range(nd - 1, -1, -1):
            c = rest % shape[d]
            rest //= shape[d]
            bd += c * sd[d]
            bs += c * ss[d]
        dst[bd] = src[bs]
        i += step


@cuda.jit(cache=True)
def _copy_complex_strided(dst, src, shape, sd, ss, n, to_bool):
    """A complex source into a real or bool destination (Numba has no implicit complex -> real cast)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    nd = shape.shape[0]
    while i < n:
        rest = i
        bd = 0
        bs = 0
        for d in range(nd - 1, -1, -1):
            c = rest % shape[d]
            rest //= shape[d]
            bd += c * sd[d]
            bs += c * ss[d]
        v = src[bs]
        if to_bool:
            dst[bd] = v.real != 0 or v.imag != 0
        else:
            dst[bd] = v.real
        i += step


@cuda.jit(cache=True)
def _fill_contig(dst, value):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < dst.shape[0]:
        dst[i] = value
        i += step


@cuda.jit(cache=True)
def _fill_strided(dst, shape, sd, n, value):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    nd = shape.shape[0]
    while i < n:
        rest = i
        bd = 0
        for d in range(nd - 1, -1, -1):
            c = rest % shape[d]
            rest //= shape[d]
            bd += c * sd[d]
        dst[bd] = value
        i += step


def _staged(src, dtype):
    """src cast to `dtype` in a fresh device array: the first step of a two-step cast."""
    out = arrays.empty(tuple(src.shape), dtype)
    copy_cast(out, src)
    return out


def copy_cast(dst, src) -> None:
    """dst[...] = src converted to dst's dtype; same shape, any strides on both sides."""
    if tuple(dst.shape) != tuple(src.shape):
        raise ValueError(f"copy_cast: shapes differ: dst {tuple(dst.shape)}, src {tuple(src.shape)}")
    n = dst.size
    if n == 0:
        return
    sdt, ddt = np.dtype(src.dtype), np.dtype(dst.dtype)
    if sdt == np.float16 and ddt.kind in "bciu":
        # float16 goes through float32 (exact) to bool, complex and integers: NVVM rejects numba-cuda's direct
        # float16 -> bool conversion (ERROR_INVALID_IR), and its float16 -> integer cast rounds to nearest
        # (cvt.rni) where a cast truncates (both seen on an H200)
        src = _staged(src, np.float32)
    elif sdt.kind == "f" and ddt.kind == "u":
        # torch casts floats to unsigned through int64 (-1.0 -> 255); the GPU's float -> uint8 saturates (-> 0)
        src = _staged(src, np.int64)
    sdst, ssrc = arrays.elem_strides(dst), arrays.elem_strides(src)
    shape, (cd, cs) = arrays.collapsed(tuple(dst.shape), sdst, ssrc)
    d, s = arrays.span(dst, sdst), arrays.span(src, ssrc)
    grid, block = grid_1d(n)
    if np.dtype(src.dtype).kind == "c" and ddt.kind != "c":
        i64 = arrays._i64
        configure(_copy_complex_strided, grid, block)(d, s, i64(shape), i64(cd), i64(cs), n,
                                                      np.dtype(dst.dtype) == np.bool_)
    elif n == 1 or (len(shape) == 1 and cd[0] == 1 and cs[0] == 1):
        configure(_copy_contig, grid, block)(d, s)
    else:
        i64 = arrays._i64  # (collapsed's values are ints already)
        configure(_copy_strided, grid, block)(d, s, i64(shape), i64(cd), i64(cs), n)


def fill(dst, value) -> None:
    """Every element of dst (any strides) = value, converted to dst's dtype on the host."""
    n = dst.size
    if n == 0:
        return
    v = np.asarray(value).astype(dst.dtype)[()]
    sdst = arrays.elem_strides(dst)
    shape, (cd,) = arrays.collapsed(tuple(dst.shape), sdst)
    d = arrays.span(dst, sdst)
    grid, block = grid_1d(n)
    if n == 1 or (len(shape) == 1 and cd[0] == 1):
        configure(_fill_contig, grid, block)(d, v)
    else:
        configure(_fill_strided, grid, block)(d, arrays._i64(shape), arrays._i64(cd), n, v)
