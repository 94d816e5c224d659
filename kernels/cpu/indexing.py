"""Indexing kernels: gather, scatter (copy and reduce), masked compaction and expansion, index bounds.

Every gather-like op (advanced getitem, index_select, gather, take, take_along_dim) and every scatter-like
op (setitem, index_put_, scatter*, index_add/copy/fill, put_) arrives in one canonical form: an iteration
shape and, for each operand, a flat 1-D C-contiguous buffer, a base offset and element strides over the
iteration dims (0 where the operand does not vary). Shape and strides travel as the rows of one int64 array
``meta`` (nd >= 2 columns; the caller pads with size-1 dims), which keeps the call cheap. The index operand
``idx`` (int64) adds ``wrap(idx[...]) * mul`` to the data operand's offset, where ``wrap`` adds ``size`` to
negative values (``size == 0``: the index holds precomputed offsets, used as they are).

So one compiled kernel serves every rank and layout; data movement runs on same-width unsigned integer
views of the data (one compile per item size), reductions per compute dtype (int64, float32, float64).
Loops index with unsigned positions (``_u``) or over row slices from 0, so that LLVM vectorizes them.

Only gathers check bounds themselves (before reading each row, and before anything reaches the caller);
scatters rely on the caller having checked the index range with ``minmax`` first, since they write into
existing memory.
"""

import numpy as np
from numba import njit

_OPTS = dict(cache=True, error_model="numpy", nogil=True, boundscheck=False)

_BLOCK = 1024  # gathers along a long contiguous index row: elements checked, then gathered, per block

ADD, MUL, AMAX, AMIN = 0, 1, 2, 3


@njit(inline="always")
def _u(i):
    """An array position as uint64: Numba then skips the negative-index wraparound, which blocks vectorization."""
    return np.uint64(i)


@njit(inline="always")
def _step2(ctr, shape, st_a, st_b, a, b):
    """Advance a row-major counter over the dims before the last two, moving two offsets with it."""
    d = shape.shape[0] - 3
    while d >= 0:
        ctr[d] += 1
        a += st_a[d]
        b += st_b[d]
        if ctr[d] < shape[d]:
            break
        a -= st_a[d] * shape[d]
        b -= st_b[d] * shape[d]
        ctr[d] = 0
        d -= 1
    return a, b


@njit(inline="always")
def _step3(ctr, shape, st_a, st_b, st_c, a, b, c):
    d = shape.shape[0] - 3
    while d >= 0:
        ctr[d] += 1
        a += st_a[d]
        b += st_b[d]
        c += st_c[d]
        if ctr[d] < shape[d]:
            break
        a -= st_a[d] * shape[d]
        b -= st_b[d] * shape[d]
        c -= st_c[d] * shape[d]
        ctr[d] = 0
        d -= 1
    return a, b, c


@njit(inline="always")
def _wrap(v, size):
    """v + size for negative v (size 0: unchanged), without a branch."""
    return v + (size & (v >> 63))


@njit(inline="always")
def _lohi(idx, start, step, n):
    lo = idx[_u(start)]
    hi = lo
    for j in range(n):
        v = idx[_u(start + j * step)]
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


@njit(**_OPTS)
def gather_nd(src, src_base, idx, idx_base, mul, low, size, out, meta):
    """out (flat, C order over shape) = src[src_off + wrap(idx[idx_off]) * mul].

    meta (int64, 3 x nd, nd >= 2: the caller pads): the iteration shape, src strides, idx strides. Returns
    (0, 0), or (1, bad index value) when an index lies outside [low, size) (low is -size or 0; size 0: the
    indices are offsets, unchecked); nothing is read through a bad index."""
    shape, src_st, idx_st = meta[0], meta[1], meta[2]
    nd = shape.shape[0]
    n = shape[nd - 1]
    m2 = shape[nd - 2]
    total = out.shape[0]
    if total == 0:
        return 0, 0
    ss, js = src_st[nd - 1], idx_st[nd - 1]
    ss2, js2 = src_st[nd - 2], idx_st[nd - 2]
    ctr = np.zeros(nd, np.int64)
    so = src_base
    io = idx_base
    o = 0
    for _ in range(total // (n * m2)):
        for r in range(m2):  # the rows of the last two dims: plain increments (a counter here costs 2x)
            sr = so + r * ss2
            ir = io + r * js2
            if js == 0:  # one index per row: copy a (strided) run of src
                v = idx[_u(ir)]
                if size > 0:
                    if v < low or v >= size:
                        return 1, v
                    v = _wrap(v, size)
                p = sr + v * mul
                if ss == 1:
                    orow = out[o:o + n]
                    srow = src[p:p + n]
                    for j in range(n):
                        orow[j] = srow[j]
                else:
                    for j in range(n):
                        out[_u(o + j)] = src[_u(p + j * ss)]
            else:
                for b0 in range(0, n, _BLOCK):
                    m = min(_BLOCK, n - b0)
                    ib = ir + b0 * js
                    wrap = 0
                    if size > 0:  # check the block's indices before reading through them
                        lo, hi = _lohi(idx, ib, js, m)
                        if lo < low or hi >= size:
                            for j in range(m):
                                v = idx[_u(ib + j * js)]
                                if v < low or v >= size:
                                    return 1, v
                        if lo < 0:
                            wrap = size
                    ob = o + b0
                    sb = sr + b0 * ss
                    if js == 1 and ss == 0 and mul > 0:  # the common gather: contiguous index, src fixed on the row
                        orow = out[ob:ob + m]
                        irow = idx[ib:ib + m]
                        srow = src[sb:]
                        if wrap:
                            for j in range(m):
                                orow[j] = srow[_u(_wrap(irow[j], wrap) * mul)]
                        else:
                            for j in range(m):
                                orow[j] = srow[_u(irow[j] * mul)]
                    else:
                        for j in range(m):
                            v = _wrap(idx[_u(ib + j * js)], wrap)
                            out[_u(ob + j)] = src[_u(sb + j * ss + v * mul)]
            o += n
        so, io = _step2(ctr, shape, src_st, idx_st, so, io)
    return 0, 0


@njit(**_OPTS)
def scatter_nd(dst, dst_base, idx, idx_base, mul, size, src, src_base, meta):
    """dst[dst_off + wrap(idx[idx_off]) * mul] = src[src_off] in row-major order over shape (the last
    write to a repeated position wins). meta (int64, 4 x nd, nd >= 2): the iteration shape, dst, idx and src
    strides. The caller has checked the index range."""
    shape, dst_st, idx_st, src_st = meta[0], meta[1], meta[2], meta[3]
    nd = shape.shape[0]
    n = shape[nd - 1]
    m2 = shape[nd - 2]
    total = 1
    for d in range(nd):
        total *= shape[d]
    if total == 0:
        return
    ds, js, ss = dst_st[nd - 1], idx_st[nd - 1], src_st[nd - 1]
    ds2, js2, ss2 = dst_st[nd - 2], idx_st[nd - 2], src_st[nd - 2]
    ctr = np.zeros(nd, np.int64)
    do = dst_base
    io = idx_base
    so = src_base
    for _ in range(total // (n * m2)):
        for r in range(m2):
            dr = do + r * ds2
            ir = io + r * js2
            sr = so + r * ss2
            if js == 0:
                p = dr + _wrap(idx[_u(ir)], size) * mul
                if ds == 1 and ss == 1:
                    drow = dst[p:p + n]
                    srow = src[sr:sr + n]
                    for j in range(n):
                        drow[j] = srow[j]
                else:
                    for j in range(n):
                        dst[_u(p + j * ds)] = src[_u(sr + j * ss)]
            else:
                for j in range(n):
                    v = _wrap(idx[_u(ir + j * js)], size)
                    dst[_u(dr + j * ds + v * mul)] = src[_u(sr + j * ss)]
        do, io, so = _step3(ctr, shape, dst_st, idx_st, src_st, do, io, so)


@njit(inline="always")
def _combine(op, a, b):
    if op == ADD:
        return a + b
    if op == MUL:
        return a * b
    if op == AMAX:
        return b if (b > a or b != b) else a  # NaN propagates, as in torch
    return b if (b < a or b != b) else a


@njit(inline="always")
def _add_at_unrolled(drow, irow, srow, n):
    """drow[irow[j]] += srow[j] for j < n, four at a time (25% faster than the plain loop; the statements stay
    in order, so repeated indices still accumulate)."""
    j = 0
    while j + 4 <= n:
        a0, a1, a2, a3 = irow[j], irow[j + 1], irow[j + 2], irow[j + 3]
        drow[_u(a0)] += srow[j]
        drow[_u(a1)] += srow[j + 1]
        drow[_u(a2)] += srow[j + 2]
        drow[_u(a3)] += srow[j + 3]
        j += 4
    while j < n:
        drow[_u(irow[j])] += srow[j]
        j += 1


@njit(**_OPTS)
def scatter_reduce_nd(dst, dst_base, idx, idx_base, mul, size, src, src_base, meta, op):
    """dst[dst_off + wrap(idx[idx_off]) * mul] op= src[src_off], serially (repeated positions accumulate).

    meta as for scatter_nd; op: ADD, MUL, AMAX, AMIN. dst and src share the compute dtype. The caller has
    checked the index range."""
    shape, dst_st, idx_st, src_st = meta[0], meta[1], meta[2], meta[3]
    nd = shape.shape[0]
    n = shape[nd - 1]
    m2 = shape[nd - 2]
    total = 1
    for d in range(nd):
        total *= shape[d]
    if total == 0:
        return
    ds, js, ss = dst_st[nd - 1], idx_st[nd - 1], src_st[nd - 1]
    ds2, js2, ss2 = dst_st[nd - 2], idx_st[nd - 2], src_st[nd - 2]
    ctr = np.zeros(nd, np.int64)
    do = dst_base
    io = idx_base
    so = src_base
    for _ in range(total // (n * m2)):
        for r in range(m2):
            dr = do + r * ds2
            ir = io + r * js2
            sr = so + r * ss2
            if js == 0:
                p = dr + _wrap(idx[_u(ir)], size) * mul
                if op == ADD and ds == 1 and ss == 1:  # index_add of rows: a contiguous, vectorized add
                    drow = dst[p:p + n]
                    srow = src[sr:sr + n]
                    for j in range(n):
                        drow[j] += srow[j]
                else:
                    for j in range(n):
                        k = _u(p + j * ds)
                        dst[k] = _combine(op, dst[k], src[_u(sr + j * ss)])
            elif op == ADD and js == 1 and ss == 1 and ds == 0 and mul > 0:  # scatter_add along a contiguous row
                drow = dst[dr:]
                irow = idx[ir:ir + n]
                srow = src[sr:sr + n]
                if mul == 1 and size == 0:
                    _add_at_unrolled(drow, irow, srow, n)
                else:
                    for j in range(n):
                        drow[_u(_wrap(irow[j], size) * mul)] += srow[j]
            else:
                for j in range(n):
                    v = _wrap(idx[_u(ir + j * js)], size)
                    k = _u(dr + j * ds + v * mul)
                    dst[k] = _combine(op, dst[k], src[_u(sr + j * ss)])
        do, io, so = _step3(ctr, shape, dst_st, idx_st, src_st, do, io, so)


@njit(**_OPTS)
def minmax(idx):
    """(min, max) of a non-empty 1-D C-contiguous int64 array, in one vectorized pass."""
    lo = idx[0]
    hi = lo
    for i in range(idx.shape[0]):
        v = idx[_u(i)]
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


@njit(**_OPTS)
def compact(src, mask, out):
    """out[:count] = src[mask] for flat C-contiguous src and mask (uint8 0/1); out has count + 1 slots, so
    the branch-free store after the last kept element stays in bounds."""
    k = 0
    for i in range(src.shape[0]):
        out[k] = src[i]
        k += mask[i]
    return k


@njit(**_OPTS)
def expand_masked(dst, mask, src):
    """dst[mask] = src[:count] in order, for flat C-contiguous dst and mask (uint8) and flat src."""
    k = 0
    for i in range(dst.shape[0]):
        if mask[i]:
            dst[i] = src[k]
            k += 1
