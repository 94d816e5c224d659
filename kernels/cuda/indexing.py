"""CUDA indexing kernels: gather, scatter (copy, add, amax, amin) and an index bounds check, on device arrays.

The canonical form is that of kernels/cpu/indexing.py: an iteration shape S and, for each operand, a 1-d buffer,
a base offset and element strides over S (0 where the operand does not vary); the index operand (any integer
dtype) adds ``wrap(idx[...]) * mul`` to the data operand's offset, ``wrap`` adding ``size`` to negative values
(``size == 0``: the index holds final offsets, used as they are). ``gather_nd``, ``scatter_nd`` and
``scatter_reduce_nd`` take the CPU kernels' arguments (``meta``: a host int64 array of S and the strides); the
named entry points (``gather``, ``scatter``, ``scatter_add``, ``scatter_reduce``, ``index_select``,
``index_add``, ``take``, ``embedding``) build that form from N-d device arrays of any (non-negative) strides.
One thread per element of S, grid-stride; every rank and layout runs the same compiled kernel per dtype.

Index checks, without a host sync unless asked: gathers never read through an index outside ``[low, size)``;
they record the first such flat position of S in an optional ``bad`` flag (``new_flag()``, an int64 (1,)
array, through an atomic min). Scatters write into existing memory, so the caller checks first:
``check_into(idx, low, size, flag)`` records the first bad C-order position of an index array on the device,
``first_bad(idx, low, size)`` returns the bad value itself (or None) and syncs.

Repeated indices: ``scatter`` writes one of the values (which one depends on timing, as in PyTorch on CUDA);
the reductions use atomics, so repeated positions accumulate. Atomics (numba-cuda 0.30: add, max, min on int32,
int64, uint32, uint64, float32, float64; the simulator runs them under a lock, for any dtype, with Python's
``max``/``min``) serve add, amax and amin. NaN propagates as in torch: amax/amin skip NaN sources, and a second
kernel then stores them plainly (numba-cuda's float atomic max/min never replace a stored NaN, but a plain store
racing their compare-and-swap loop can be lost). There is no atomic multiply: 'prod' is a compare-and-swap
loop on the element's bits (floats through libdevice's float_as_int / double_as_longlong). Reductions need one of
the atomic dtypes: the
caller accumulates bool, int8/16, uint8 and float16 in int64 / float32 as the CPU kernels do.
"""

from __future__ import annotations

import functools

import numpy as np

from ..cpu import codegen
from . import arrays, copy
from .launch import SIMULATOR, configure, cuda, grid_1d

__all__ = [
    "new_flag", "read_flag", "check_into", "first_bad", "gather_nd", "scatter_nd", "scatter_reduce_nd", "gather",
    "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "take", "embedding", "ADD", "AMAX",
    "AMIN", "ATOMIC_DTYPES",
]

ADD, MUL, AMAX, AMIN = 0, 1, 2, 3  # the CPU kernels' op codes
ATOMIC_DTYPES = tuple(np.dtype(t) for t in (np.int32, np.int64, np.uint32, np.uint64, np.float32, np.float64))
_NONE = np.iinfo(np.int64).max  # a flag holding no bad position


@cuda.jit(device=True)
def _offsets(i, shape, st_a, st_b, st_c):
    """Offsets of the C-order position i of shape in three strided operands."""
    a = 0
    b = 0
    c = 0
    for d in range(shape.shape[0] - 1, -1, -1):
        n = shape[d]
        k = i % n
        i //= n
        a += k * st_a[d]
        b += k * st_b[d]
        c += k * st_c[d]
    return a, b, c


@cuda.jit(cache=True)
def _check(idx, shape, st, low, size, total, bad):
    i = cuda.grid(1)
    while i < total:
        o, _, _ = _offsets(i, shape, st, st, st)
        v = np.int64(idx[o])
        if v < low or v >= size:
            cuda.atomic.min(bad, 0, i)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _gather(out, src, idx, shape, ost, sst, ist, sbase, ibase, mul, low, size, total, bad):
    i = cuda.grid(1)
    while i < total:
        o, s, j = _offsets(i, shape, ost, sst, ist)
        v = np.int64(idx[ibase + j])  # int32/uint64 indices: int64 arithmetic
        ok = True
        if size > 0:
            if v < low or v >= size:
                cuda.atomic.min(bad, 0, i)
                ok = False
            elif v < 0:
                v += size
        if ok:
            out[o] = src[sbase + s + v * mul]
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _scatter_copy(dst, idx, src, shape, dst_st, ist, sst, dbase, ibase, sbase, mul, size, total):
    i = cuda.grid(1)
    while i < total:
        d, j, s = _offsets(i, shape, dst_st, ist, sst)
        v = np.int64(idx[ibase + j])  # int32/uint64 indices: int64 arithmetic
        if v < 0:
            v += size
        dst[dbase + d + v * mul] = src[sbase + s]
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _scatter_add(dst, idx, src, shape, dst_st, ist, sst, dbase, ibase, sbase, mul, size, total):
    i = cuda.grid(1)
    while i < total:
        d, j, s = _offsets(i, shape, dst_st, ist, sst)
        v = np.int64(idx[ibase + j])  # int32/uint64 indices: int64 arithmetic
        if v < 0:
            v += size
        cuda.atomic.add(dst, dbase + d + v * mul, src[sbase + s])
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _scatter_max(dst, idx, src, shape, dst_st, ist, sst, dbase, ibase, sbase, mul, size, total):
    i = cuda.grid(1)
    while i < total:
        d, j, s = _offsets(i, shape, dst_st, ist, sst)
        v = np.int64(idx[ibase + j])  # int32/uint64 indices: int64 arithmetic
        if v < 0:
            v += size
        p = dbase + d + v * mul
        val = src[sbase + s]
        if val == val:  # NaN sources are written by _scatter_nan, launched after this kernel
            cuda.atomic.max(dst, p, val)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _scatter_min(dst, idx, src, shape, dst_st, ist, sst, dbase, ibase, sbase, mul, size, total):
    i = cuda.grid(1)
    while i < total:
        d, j, s = _offsets(i, shape, dst_st, ist, sst)
        v = np.int64(idx[ibase + j])  # int32/uint64 indices: int64 arithmetic
        if v < 0:
            v += size
        p = dbase + d + v * mul
        val = src[sbase + s]
        if val == val:  # NaN sources are written by _scatter_nan, launched after this kernel
            cuda.atomic.min(dst, p, val)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _scatter_nan(dst, idx, src, shape, dst_st, ist, sst, dbase, ibase, sbase, mul, size, total):
    i = cuda.grid(1)
    while i < total:
        d, j, s = _offsets(i, shape, dst_st, ist, sst)
        val = src[sbase + s]
        if val != val:
            v = np.int64(idx[ibase + j])
            if v < 0:
                v += size
            dst[dbase + d + v * mul] = val
        i += cuda.gridsize(1)


# Multiply has no atomic: a compare-and-swap loop on the element's bits (floats through libdevice's bit casts),
# generated per width because cuda.atomic.cas takes integer arrays only.
_MUL_SOURCE = """\
# Generated by ntorch.kernels.cuda.indexing: do not edit. simulator: {sim}
import numpy as np
from numba import cuda
from numba.cuda import libdevice

from ntorch.kernels.cuda.indexing import _offsets


@cuda.jit(device=True)
def _value(bits):
    return {from_bits}


@cuda.jit(device=True)
def _bits(value):
    return {to_bits}


@cuda.jit(cache=True)
def scatter_mul(dst, idx, src, shape, dst_st, ist, sst, dbase, ibase, sbase, mul, size, total):
    # dst: the destination's bits, as integers of the same width
    i = cuda.grid(1)
    while i < total:
        d, j, s = _offsets(i, shape, dst_st, ist, sst)
        v = np.int64(idx[ibase + j])
        if v < 0:
            v += size
        p = dbase + d + v * mul
        val = src[sbase + s]
        old = dst[p]
        while True:
            prev = cuda.atomic.cas(dst, p, old, _bits(_value(old) * val))
            if prev == old:
                break
            old = prev
        i += cuda.gridsize(1)
"""
_MUL_KINDS = {  # dst dtype -> (bits dtype, bits -> value, value -> bits); the simulator's libdevice functions
    # are stubs, so simulated kernels cast through NumPy views instead (only a GPU runs the libdevice casts)
    np.dtype(np.float32): (np.int32, "libdevice.int_as_float(bits)", "libdevice.float_as_int(value)")
    if not SIMULATOR else (np.int32, "np.array(bits, np.int32).view(np.float32)[()]",
                           "np.array(value, np.float32).view(np.int32)[()]"),
    np.dtype(np.float64): (np.int64, "libdevice.longlong_as_double(bits)", "libdevice.double_as_longlong(value)")
    if not SIMULATOR else (np.int64, "np.array(bits, np.int64).view(np.float64)[()]",
                           "np.array(value, np.float64).view(np.int64)[()]"),
}


@functools.cache
def _mul_kernel(dt: np.dtype):
    bits_dt, from_bits, to_bits = _MUL_KINDS.get(dt, (dt, "bits", f"np.{dt.name}(value)"))  # integers: as they are
    src = _MUL_SOURCE.format(sim=SIMULATOR, from_bits=from_bits, to_bits=to_bits)
    return codegen.load_source(f"cuscatter_mul_{np.dtype(bits_dt).name}_{dt.name}", src).scatter_mul


_MUL_BY_DTYPE = "multiply (a kernel per dtype)"  # _REDUCERS' entry for MUL: _scatter_launch picks _mul_kernel
_REDUCERS = {ADD: _scatter_add, MUL: _MUL_BY_DTYPE, AMAX: _scatter_max, AMIN: _scatter_min}
_REDUCE_NAMES = {"sum": ADD, "add": ADD, "prod": MUL, "mul": MUL, "amax": AMAX, "amin": AMIN}


# ---------------------------------------------------------------------------------------------------------
# Flags and bounds checks
# ---------------------------------------------------------------------------------------------------------
def new_flag():
    """An int64 (1,) device array holding 'no bad position' (kernels lower it with an atomic min)."""
    flag = arrays.empty((1,), np.int64)
    copy.fill(flag, _NONE)
    return flag


def read_flag(flag) -> int | None:
    """The position a flag holds, or None (copies 8 bytes to the host: a sync)."""
    v = int(flag.copy_to_host()[0])
    return None if v == _NONE else v


@functools.cache
def _dummy_flag():
    return new_flag()


def _c_strides(shape) -> tuple[int, ...]:
    st, acc = [], 1
    for n in reversed(tuple(shape)):
        st.append(acc)
        acc *= n
    return tuple(reversed(st))


def _pad(shape, *strides) -> tuple:
    """At least one dim (a 0-d operand iterates over one element)."""
    if len(shape) == 0:
        return ((1,),) + tuple((0,) for _ in strides)
    return (tuple(shape),) + tuple(tuple(s) for s in strides)


def check_into(idx, low: int, size: int, flag) -> None:
    """Record in flag the first C-order position of integer device array idx (any shape and strides) whose value
    lies outside [low, size); no sync."""
    if np.dtype(idx.dtype).kind not in "iu":
        raise TypeError(f"index check: expected an integer index array, got {idx.dtype}")
    n = idx.size
    if n == 0:
        return
    shape, st = _pad(idx.shape, arrays.elem_strides(idx))
    grid, block = grid_1d(n)
    configure(_check, grid, block)(arrays.span(idx), arrays.i64(shape), arrays.i64(st), int(low), int(size), n, flag)


def first_bad(idx, low: int, size: int):
    """The first value of idx (C order) outside [low, size), or None: a check kernel, then a read of the flag and
    of that one value (a sync)."""
    flag = new_flag()
    check_into(idx, low, size, flag)
    pos = read_flag(flag)
    if pos is None:
        return None
    off = 0
    for n, s in zip(reversed(idx.shape), reversed(arrays.elem_strides(idx))):
        off += (pos % n) * s
        pos //= n
    return int(arrays.view(idx, (1,), (1,), offset=off).copy_to_host()[0])


# ---------------------------------------------------------------------------------------------------------
# The canonical form (the CPU kernels' arguments)
# ---------------------------------------------------------------------------------------------------------
def _check_index_dtype(idx) -> None:
    if np.dtype(idx.dtype).kind not in "iu":
        raise TypeError(f"indexing: expected an integer index array, got {idx.dtype}")


def gather_nd(src, src_base: int, idx, idx_base: int, mul: int, low: int, size: int, out, meta, bad=None) -> None:
    """out (1-d, C order over S) = src[src_base + src_off + wrap(idx[idx_base + idx_off]) * mul]; meta rows: S,
    src strides, idx strides. An index outside [low, size) (size > 0) is not read through: its first position
    goes to bad (a flag) if given."""
    meta = np.asarray(meta, np.int64)
    S = tuple(meta[0])
    total = int(np.prod(S)) if S else 1
    if out.shape != (total,):
        raise ValueError(f"gather_nd: out must be 1-d of {total} elements, got shape {tuple(out.shape)}")
    _gather_launch(out, _c_strides(S), src, src_base, tuple(meta[1]), idx, idx_base, tuple(meta[2]), S, mul, low,
                   size, bad)


def _gather_launch(out, ost, src, sbase, sst, idx, ibase, ist, S, mul, low, size, bad) -> None:
    _check_index_dtype(idx)
    total = int(np.prod(S)) if len(S) else 1
    if total == 0:
        return
    if out.dtype != src.dtype:
        raise TypeError(f"gather: out ({out.dtype}) and src ({src.dtype}) must have the same dtype")
    S, ost, sst, ist = _pad(S, ost, sst, ist)
    grid, block = grid_1d(total)
    configure(_gather, grid, block)(arrays.span(out), src, idx,
                         arrays.i64(S), arrays.i64(ost), arrays.i64(sst), arrays.i64(ist), int(sbase), int(ibase),
                         int(mul), int(low), int(size), total, _dummy_flag() if bad is None else bad)


def _scatter_launch(kernel, dst, dbase, dst_st, idx, ibase, ist, src, sbase, sst, S, mul, size) -> None:
    _check_index_dtype(idx)
    total = int(np.prod(S)) if len(S) else 1
    if total == 0:
        return
    if kernel is _MUL_BY_DTYPE:
        dt = np.dtype(dst.dtype)
        kernel, dst = _mul_kernel(dt), (arrays.bits(dst) if dt.kind == "f" else dst)
    S, dst_st, ist, sst = _pad(S, dst_st, ist, sst)
    grid, block = grid_1d(total)
    args = (dst, idx, src, arrays.i64(S), arrays.i64(dst_st), arrays.i64(ist), arrays.i64(sst), int(dbase),
            int(ibase), int(sbase), int(mul), int(size), total)
    configure(kernel, grid, block)(*args)
    if (kernel is _scatter_max or kernel is _scatter_min) and np.dtype(dst.dtype).kind == "f":
        # NaN wins amax/amin (as in torch): stored after every atomic finished (kernels on one stream run in
        # order), since a plain store racing an atomic compare-and-swap loop could be overwritten
        configure(_scatter_nan, grid, block)(*args)


def scatter_nd(dst, dst_base: int, idx, idx_base: int, mul: int, size: int, src, src_base: int, meta) -> None:
    """dst[dst_base + dst_off + wrap(idx[...]) * mul] = src[src_base + src_off]; meta rows: S, dst, idx, src
    strides. The caller has checked the indices."""
    meta = np.asarray(meta, np.int64)
    if dst.dtype != src.dtype:
        raise TypeError(f"scatter: dst ({dst.dtype}) and src ({src.dtype}) must have the same dtype")
    _scatter_launch(_scatter_copy, dst, dst_base, tuple(meta[1]), idx, idx_base, tuple(meta[2]), src, src_base,
                    tuple(meta[3]), tuple(meta[0]), mul, size)


def _reducer(op, dst, src):
    code = _REDUCE_NAMES.get(op, op) if isinstance(op, str) else op
    if code not in _REDUCERS:
        raise NotImplementedError(f"scatter reduction {op!r}: CUDA has sum (ADD), prod (MUL), amax (AMAX) and amin "
                                  "(AMIN)")
    if np.dtype(dst.dtype) not in ATOMIC_DTYPES:
        raise TypeError(f"scatter reduction: no atomics for {dst.dtype}; accumulate in int64/float32/float64")
    if dst.dtype != src.dtype:
        raise TypeError(f"scatter reduction: dst ({dst.dtype}) and src ({src.dtype}) must have the same dtype")
    return _REDUCERS[code]


def scatter_reduce_nd(dst, dst_base: int, idx, idx_base: int, mul: int, size: int, src, src_base: int, meta,
                      op) -> None:
    """dst[...] op= src[...] with atomics (op: ADD, MUL, AMAX, AMIN or 'sum', 'prod', 'amax', 'amin'); as
    scatter_nd."""
    meta = np.asarray(meta, np.int64)
    _scatter_launch(_reducer(op, dst, src), dst, dst_base, tuple(meta[1]), idx, idx_base, tuple(meta[2]), src,
                    src_base, tuple(meta[3]), tuple(meta[0]), mul, size)


# ---------------------------------------------------------------------------------------------------------
# Named entry points on N-d device arrays
# ---------------------------------------------------------------------------------------------------------
def _same_ndim(name: str, *arrs) -> int:
    nd = len(arrs[0].shape)
    if any(len(a.shape) != nd for a in arrs):
        raise ValueError(f"{name}: arrays must have the same number of dims, got shapes "
                         f"{[tuple(a.shape) for a in arrs]}")
    return nd


def _dim(name: str, dim: int, nd: int) -> int:
    if not -max(nd, 1) <= dim < max(nd, 1):
        raise IndexError(f"{name}: dim {dim} out of range for {nd} dims")
    return dim % max(nd, 1)


def _along(x, d: int):
    """(strides of x with dim d zeroed, the stride of dim d, the size of dim d)."""
    st = list(arrays.elem_strides(x))
    mul = st[d]
    st[d] = 0
    return st, mul, x.shape[d]


def gather(x, dim: int, index, out, bad=None):
    """out[p] = x[p with p[dim] = index[p]] over index's shape (torch.gather; index values in [0, x.shape[dim]),
    others not read, their first position in bad). x, index, out: N-d, any strides; out has index's shape."""
    nd = _same_ndim("gather", x, index, out)
    d = _dim("gather", dim, nd)
    if tuple(out.shape) != tuple(index.shape):
        raise ValueError(f"gather: out of shape {tuple(out.shape)}, expected the index's {tuple(index.shape)}")
    if nd == 0:
        x, index, out = (arrays.view(a, (1,), (1,)) for a in (x, index, out))
        nd = 1
    if any(index.shape[k] > x.shape[k] for k in range(nd) if k != d):
        raise ValueError(f"gather: index {tuple(index.shape)} larger than input {tuple(x.shape)} off dim {d}")
    st, mul, size = _along(x, d)
    _gather_launch(out, arrays.elem_strides(out), arrays.span(x), 0, st, arrays.span(index), 0,
                   arrays.elem_strides(index), tuple(index.shape), mul, 0, size, bad)
    return out


def _scatter_args(name: str, x, dim: int, index, src):
    nd = _same_ndim(name, x, index, src)
    d = _dim(name, dim, nd)
    if nd == 0:
        x, index, src = (arrays.view(a, (1,), (1,)) for a in (x, index, src))
        nd = 1
    if any(index.shape[k] > src.shape[k] or (k != d and index.shape[k] > x.shape[k]) for k in range(nd)):
        raise ValueError(f"{name}: index {tuple(index.shape)} larger than src {tuple(src.shape)} or than self "
                         f"{tuple(x.shape)} off dim {d}")
    st, mul, size = _along(x, d)
    return (arrays.span(x), 0, st, arrays.span(index), 0, arrays.elem_strides(index), arrays.span(src), 0,
            arrays.elem_strides(src), tuple(index.shape), mul, size)


def scatter(x, dim: int, index, src):
    """x[p with p[dim] = index[p]] = src[p] over index's shape, in place (torch.Tensor.scatter_); indices checked
    by the caller; src may be a stride-0 view of a scalar. Returns x."""
    if x.dtype != src.dtype:
        raise TypeError(f"scatter: self ({x.dtype}) and src ({src.dtype}) must have the same dtype")
    _scatter_launch(_scatter_copy, *_scatter_args("scatter", x, dim, index, src))
    return x


def scatter_reduce(x, dim: int, index, src, op):
    """x[p with p[dim] = index[p]] op= src[p] (op 'sum', 'prod', 'amax', 'amin'), in place, with atomics (prod: a
    compare-and-swap loop). Returns x."""
    _scatter_launch(_reducer(op, x, src), *_scatter_args("scatter_reduce", x, dim, index, src))
    return x


def scatter_add(x, dim: int, index, src):
    """torch.Tensor.scatter_add_: scatter_reduce with 'sum'. Returns x."""
    return scatter_reduce(x, dim, index, src, ADD)


def _check_rows(name: str, x, index, y, ylabel: str) -> None:
    if len(x.shape) != 3 or len(y.shape) != 3 or len(index.shape) != 1:
        raise ValueError(f"{name}: expected 3-d (outer, n, inner) arrays and a 1-d index, got shapes "
                         f"{tuple(x.shape)}, {tuple(index.shape)}, {tuple(y.shape)}")
    want = (x.shape[0], index.shape[0], x.shape[2])
    if tuple(y.shape) != want:
        raise ValueError(f"{name}: {ylabel} of shape {tuple(y.shape)}, expected {want}")


def index_select(x, index, out, bad=None):
    """out[o, i, j] = x[o, index[i], j]: x (outer, n, inner), index (k,), out (outer, k, inner), any strides.
    Indices outside [0, n) are not read (their first position goes to bad), as torch takes no negatives here."""
    _check_rows("index_select", x, index, out, "out")
    st, mul, size = _along(x, 1)
    ist = (0, arrays.elem_strides(index)[0], 0)
    _gather_launch(out, arrays.elem_strides(out), arrays.span(x), 0, st, arrays.span(index), 0, ist,
                   tuple(out.shape), mul, 0, size, bad)
    return out


def embedding(weight, index, out, bad=None):
    """out[k, :] = weight[index[k], :]: weight (V, D), index (K,), out (K, D) (an embedding lookup)."""
    if len(weight.shape) != 2 or len(out.shape) != 2:
        raise ValueError(f"embedding: expected a 2-d weight and output, got {tuple(weight.shape)}, "
                         f"{tuple(out.shape)}")
    w3 = arrays.view(weight, (1, *weight.shape), (0, *arrays.elem_strides(weight)))
    o3 = arrays.view(out, (1, *out.shape), (0, *arrays.elem_strides(out)))
    index_select(w3, index, o3, bad)
    return out


def index_add(x, index, src):
    """x[o, index[i], j] += src[o, i, j] in place with atomics: x (outer, n, inner), index (k,), src (outer, k,
    inner); indices checked by the caller (negative ones count from the end). For torch's alpha the caller
    scales src first. Returns x."""
    _check_rows("index_add", x, index, src, "src")
    kernel = _reducer(ADD, x, src)
    st, mul, size = _along(x, 1)
    ist = (0, arrays.elem_strides(index)[0], 0)
    _scatter_launch(kernel, arrays.span(x), 0, st, arrays.span(index), 0, ist, arrays.span(src), 0,
                    arrays.elem_strides(src), tuple(src.shape), mul, size)
    return x


def take(x, index, out, bad=None):
    """out[p] = x.flatten()[index[p]] (torch.take): x any shape and strides (copied to a contiguous temporary
    when its elements are not at one stride in C order), index and out of one shape. Negative indices count
    from the end; indices outside [-x.size, x.size) are not read (first position in bad)."""
    if tuple(out.shape) != tuple(index.shape):
        raise ValueError(f"take: out of shape {tuple(out.shape)}, expected the index's {tuple(index.shape)}")
    from ..cpu.elementwise import collapse

    n = x.size
    if n == 0:  # every index is out of range: flagged, nothing read
        if bad is not None:
            check_into(index, 0, 0, bad)
        return out
    shape, (st,) = collapse(tuple(x.shape), [arrays.elem_strides(x)])
    if len(shape) > 1:
        tmp = arrays.empty(tuple(x.shape), x.dtype)
        copy.copy_cast(tmp, x)
        x, st = tmp, [1]
    _gather_launch(out, arrays.elem_strides(out), arrays.span(x), 0, (0,) * len(index.shape), arrays.span(index), 0,
                   arrays.elem_strides(index), tuple(index.shape), st[0], -n, n, bad)
    return out
