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

The _par variants split the same iteration into one task per thread (compiled on first use): gathers by
rows, or by column ranges when there are fewer rows than tasks; scatter reductions only along a dim other
than the scattered one, so that tasks write disjoint elements and repeated indices accumulate serially within
their task.

Only gathers check bounds themselves (before reading each row, and before anything reaches the caller);
scatters rely on the caller having checked the index range with ``minmax`` first, since they write into
existing memory.
"""

import numba
import numpy as np
from numba import njit, prange

_OPTS = dict(cache=True, error_model="numpy", nogil=True, boundscheck=False)

# parallel=True without the array-expression passes, which these loops do not use: compiles faster
_PRANGE_ONLY = dict(comprehension=False, prange=True, reduction=False, setitem=False, inplace_binop=False,
                    numpy=False, stencil=False, fusion=False)

PAR_MIN = 1 << 18  # elements moved from which the callers pick the parallel (_par) kernels (read at call time)

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


@njit(inline="always")
def _row_start(ctr, shape, st_a, st_b, a, b, r):
    """Set the counter to row r (of all dims but the last) and return the two offsets there."""
    for d in range(shape.shape[0] - 2, -1, -1):
        c = r % shape[d]
        r //= shape[d]
        ctr[d] = c
        a += c * st_a[d]
        b += c * st_b[d]
    return a, b


@njit(inline="always")
def _task_range(t, ntasks, n):
    """[lo, hi) of task t when n items are split into ntasks near-equal ranges."""
    return t * n // ntasks, (t + 1) * n // ntasks


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
def _gather_task(src, src_base, idx, idx_base, mul, low, size, out, shape, src_st, idx_st, r0, r1, c0, c1):
    """Rows [r0, r1) (of all dims but the last), columns [c0, c1) of gather_nd: one parallel task, in a function
    of its own (the parallel kernel stays small and quick to compile). The row body is gather_nd's, over a
    column range: written out here, since an inlined helper returning the bad index ran 50% slower on short
    rows."""
    nd = shape.shape[0]
    n, m2 = shape[nd - 1], shape[nd - 2]
    ss, js = src_st[nd - 1], idx_st[nd - 1]
    ss2, js2 = src_st[nd - 2], idx_st[nd - 2]
    ctr = np.zeros(nd, np.int64)
    so, io = _row_start(ctr, shape, src_st, idx_st, src_base, idx_base, r0)
    k0 = ctr[nd - 2]  # the rows of the last two dims go by plain increments, as in gather_nd
    so -= k0 * ss2
    io -= k0 * js2
    o = r0 * n
    r = r0
    while r < r1:
        k1 = min(m2, k0 + r1 - r)
        for k in range(k0, k1):
            sr = so + k * ss2
            ir = io + k * js2
            if js == 0:  # one index per row: copy a (strided) run of src
                v = idx[_u(ir)]
                if size > 0:
                    if v < low or v >= size:
                        return 1, v
                    v = _wrap(v, size)
                p = sr + v * mul
                if ss == 1:
                    orow = out[o + c0:o + c1]
                    srow = src[p + c0:p + c1]
                    for j in range(c1 - c0):
                        orow[j] = srow[j]
                else:
                    for j in range(c0, c1):
                        out[_u(o + j)] = src[_u(p + j * ss)]
            else:
                for b0 in range(c0, c1, _BLOCK):
                    m = min(_BLOCK, c1 - b0)
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
        r += k1 - k0
        k0 = 0
        so, io = _step2(ctr, shape, src_st, idx_st, so, io)
    return 0, 0


@njit(parallel=_PRANGE_ONLY, **_OPTS)
def gather_nd_par(src, src_base, idx, idx_base, mul, low, size, out, meta, ntasks):
    """gather_nd in ntasks parallel tasks (rows, or column ranges when there are fewer rows than tasks); the
    same result, and the same first bad index (the lowest task's). out must not be empty."""
    shape, src_st, idx_st = meta[0], meta[1], meta[2]
    n = shape[shape.shape[0] - 1]
    nrows = out.shape[0] // n
    pieces = (ntasks + nrows - 1) // nrows  # column ranges per row
    count = ntasks if pieces == 1 else nrows * pieces
    bad = np.zeros((count, 2), np.int64)
    for tt in prange(count):
        t = np.int64(tt)  # a prange index may be unsigned
        if pieces == 1:
            r0, r1 = _task_range(t, count, nrows)
            c0, c1 = np.int64(0), n
        else:
            r0 = t // pieces
            r1 = r0 + 1
            c0, c1 = _task_range(t % pieces, pieces, n)
        flag, v = _gather_task(src, src_base, idx, idx_base, mul, low, size, out, shape, src_st, idx_st, r0, r1, c0,
                               c1)
        bad[t, 0] = flag
        bad[t, 1] = v
    for t in range(count):
        if bad[t, 0]:
            return 1, bad[t, 1]
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


@njit(inline="always")
def _reduce_row(dst, dr, ds, idx, ir, js, src, sr, ss, mul, size, op, c0, c1):
    """Columns [c0, c1) of one row: dst[dr + j * ds + wrap(idx[ir + j * js]) * mul] op= src[sr + j * ss]
    (scatter_reduce_nd's row loop over a column range, for the parallel tasks)."""
    if js == 0:
        p = dr + _wrap(idx[_u(ir)], size) * mul
        if op == ADD and ds == 1 and ss == 1:  # index_add of rows: a contiguous, vectorized add
            drow = dst[p + c0:p + c1]
            srow = src[sr + c0:sr + c1]
            for j in range(c1 - c0):
                drow[j] += srow[j]
        else:
            for j in range(c0, c1):
                k = _u(p + j * ds)
                dst[k] = _combine(op, dst[k], src[_u(sr + j * ss)])
    elif op == ADD and js == 1 and ss == 1 and ds == 0 and mul > 0:  # scatter_add along a contiguous row
        drow = dst[dr:]
        irow = idx[ir + c0:ir + c1]
        srow = src[sr + c0:sr + c1]
        if mul == 1 and size == 0:
            _add_at_unrolled(drow, irow, srow, c1 - c0)
        else:
            for j in range(c1 - c0):
                drow[_u(_wrap(irow[j], size) * mul)] += srow[j]
    else:
        for j in range(c0, c1):
            v = _wrap(idx[_u(ir + j * js)], size)
            k = _u(dr + j * ds + v * mul)
            dst[k] = _combine(op, dst[k], src[_u(sr + j * ss)])


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
def _reduce_task(dst, dst_base, idx, idx_base, mul, size, src, src_base, shape, dst_st, idx_st, src_st, op, r0, r1,
                 c0, c1):
    """Rows [r0, r1), columns [c0, c1) of scatter_reduce_nd: one parallel task."""
    nd = shape.shape[0]
    m2 = shape[nd - 2]
    ds, js, ss = dst_st[nd - 1], idx_st[nd - 1], src_st[nd - 1]
    ds2, js2, ss2 = dst_st[nd - 2], idx_st[nd - 2], src_st[nd - 2]
    ctr = np.zeros(nd, np.int64)
    do, io = _row_start(ctr, shape, dst_st, idx_st, dst_base, idx_base, r0)
    so = src_base
    for d in range(nd - 1):
        so += ctr[d] * src_st[d]
    k0 = ctr[nd - 2]  # the rows of the last two dims go by plain increments, as in scatter_reduce_nd
    do -= k0 * ds2
    io -= k0 * js2
    so -= k0 * ss2
    r = r0
    while r < r1:
        k1 = min(m2, k0 + r1 - r)
        for k in range(k0, k1):
            _reduce_row(dst, do + k * ds2, ds, idx, io + k * js2, js, src, so + k * ss2, ss, mul, size, op, c0, c1)
        r += k1 - k0
        k0 = 0
        do, io, so = _step3(ctr, shape, dst_st, idx_st, src_st, do, io, so)


@njit(parallel=_PRANGE_ONLY, **_OPTS)
def scatter_reduce_nd_par(dst, dst_base, idx, idx_base, mul, size, src, src_base, meta, op, ntasks, by_rows):
    """scatter_reduce_nd in ntasks parallel tasks, which must write disjoint elements of dst: by_rows (the
    scattered dim is the last one, and dst's rows are disjoint) splits the rows, else (the scattered dim is not
    the last, dst's columns are disjoint) the columns. Repeated indices accumulate in order within a task."""
    shape, dst_st, idx_st, src_st = meta[0], meta[1], meta[2], meta[3]
    nd = shape.shape[0]
    n = shape[nd - 1]
    nrows = 1
    for d in range(nd - 1):
        nrows *= shape[d]
    if nrows * n == 0:
        return
    count = min(ntasks, nrows if by_rows else n)
    for tt in prange(count):
        t = np.int64(tt)  # a prange index may be unsigned
        if by_rows:
            r0, r1 = _task_range(t, count, nrows)
            c0, c1 = np.int64(0), n
        else:
            r0, r1 = np.int64(0), nrows
            c0, c1 = _task_range(t, count, n)
        _reduce_task(dst, dst_base, idx, idx_base, mul, size, src, src_base, shape, dst_st, idx_st, src_st, op, r0,
                     r1, c0, c1)


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


@njit(parallel=_PRANGE_ONLY, **_OPTS)
def minmax_par(idx, ntasks):
    """minmax in ntasks parallel parts (idx non-empty; a part may be empty: it then reads idx[start] < n)."""
    n = idx.shape[0]
    part = np.empty((ntasks, 2), np.int64)
    for tt in prange(ntasks):
        t = np.int64(tt)  # a prange index may be unsigned
        i0, i1 = _task_range(t, ntasks, n)
        lo, hi = _lohi(idx, i0, 1, i1 - i0)
        part[t, 0] = lo
        part[t, 1] = hi
    lo, hi = part[0, 0], part[0, 1]
    for t in range(ntasks):
        lo = min(lo, part[t, 0])
        hi = max(hi, part[t, 1])
    return lo, hi


@njit(parallel=_PRANGE_ONLY, **_OPTS)
def copy_par(dst, src):
    """dst[:] = src[:] (flat, C-contiguous, same length): a plain prange, one vectorized range per thread."""
    for i in prange(dst.shape[0]):
        dst[i] = src[i]


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


def num_threads() -> int:
    return numba.get_num_threads()
