"""Data-movement kernels: strided copies (flip, cat, ...), padding gathers, triangle zeroing.

Every kernel works on flat 1-D buffers plus element offsets and strides, so one compiled version serves
every layout and, through same-width unsigned views (`arr.view(np.uint32)` for float32 and int32, ...),
every dtype of one width: four specialisations per kernel at most (uint8, uint16, uint32, uint64).

Preconditions (the front end validates; nothing here checks bounds): offsets, strides and shapes address
only elements inside the buffers, and a destination does not overlap its source.
"""

from __future__ import annotations

import numba

_OPTS = dict(cache=True, error_model="numpy", boundscheck=False, nogil=True)


@numba.njit(inline="always")
def _copy_segment(src, so, s3, dst, do, j0, j1):
    """dst[do + j] = src[so + j * s3] for j0 <= j < j1, with the inner loop picked by the source stride."""
    # unsigned indices: Numba adds no negative-index wraparound, so the loops vectorize
    if s3 == 1:
        ud, us = numba.uint64(do + j0), numba.uint64(so + j0)
        for j in range(numba.uint64(j1 - j0)):
            dst[ud + j] = src[us + j]
    elif s3 == -1:
        ud, us = numba.uint64(do + j0), numba.uint64(so - j0)
        for j in range(numba.uint64(j1 - j0)):
            dst[ud + j] = src[us - j]
    else:
        for j in range(j0, j1):
            dst[do + j] = src[so + j * s3]


@numba.njit(**_OPTS)
def copy4(src, sbase, shape, sstr, dst, dbase, dstr):
    """dst[dbase + i.dstr] = src[sbase + i.sstr] over the 4-d index space `shape`; dst's last stride is 1.

    The last source stride picks the inner loop: 1 (memcpy-like), -1 (reversed, as in flip) or any.
    """
    n0, n1, n2, n3 = shape[0], shape[1], shape[2], shape[3]
    s0, s1, s2, s3 = sstr[0], sstr[1], sstr[2], sstr[3]  # locals: not reloaded after each store
    d0, d1, d2 = dstr[0], dstr[1], dstr[2]
    for i0 in range(n0):
        for i1 in range(n1):
            for i2 in range(n2):
                _copy_segment(src, sbase + i0 * s0 + i1 * s1 + i2 * s2, s3, dst, dbase + i0 * d0 + i1 * d1 + i2 * d2,
                              0, n3)


PAR_CHUNK = 1 << 14  # elements per parallel task of copy4_par: long runs, yet rows split when there are few


@numba.njit(parallel=True, **_OPTS)
def copy4_par(src, sbase, shape, sstr, dst, dbase, dstr):
    """copy4 across threads: the tasks are (row, chunk of PAR_CHUNK along the row), so a copy of few long rows
    (cat of whole blocks, a contiguous copy) splits as well as one of many short rows."""
    n0, n1, n2, n3 = shape[0], shape[1], shape[2], shape[3]
    s0, s1, s2, s3 = sstr[0], sstr[1], sstr[2], sstr[3]
    d0, d1, d2 = dstr[0], dstr[1], dstr[2]
    chunks = (n3 + PAR_CHUNK - 1) // PAR_CHUNK
    for t in numba.prange(n0 * n1 * n2 * chunks):
        u = numba.int64(t)
        r, c = u // chunks, u % chunks
        i2, i1, i0 = r % n2, (r // n2) % n1, r // (n2 * n1)
        j0 = c * PAR_CHUNK
        j1 = min(j0 + PAR_CHUNK, n3)
        _copy_segment(src, sbase + i0 * s0 + i1 * s1 + i2 * s2, s3, dst, dbase + i0 * d0 + i1 * d1 + i2 * d2, j0, j1)


@numba.njit(inline="always")
def _pad_plane(src, sbase, sstr, dst, dshape, m1, m2, offs, rows, lo, hi, left, b, i):
    """The n2 padded rows of output plane (b, i) of pad_gather."""
    n1, n2, n3 = dshape[1], dshape[2], dshape[3]
    width = numba.uint64(hi - lo)
    right = n3 - hi
    plane = sbase + b * sstr[0] + m1[i] * sstr[1]
    o = numba.uint64((b * n1 + i) * n2 * n3)
    for j in range(n2):
        row = plane + rows[j]  # >= 0: unsigned indices below (no wraparound checks)
        ud, us = o + numba.uint64(lo), numba.uint64(row + lo - left)
        for k in range(width):
            dst[ud + k] = src[us + k]
        for k in range(lo):
            dst[o + numba.uint64(k)] = src[numba.uint64(row + offs[k])]
        for k in range(right):
            dst[o + numba.uint64(hi + k)] = src[numba.uint64(row + offs[hi + k])]
        o += numba.uint64(n3)


@numba.njit(**_OPTS)
def pad_gather(src, sbase, sstr, dst, dshape, m1, m2, m3, lo, hi, left):
    """Non-constant padding as a gather: dst[b, i, j, k] = src[b, m1[i], m2[j], m3[k]] (dst C-contiguous).

    Along the last dim the outputs lo..hi-1 read the source straight (m3[k] == k - left there), so the
    middle of each row is a plain copy and only the pads go through the index map. The source's last
    stride must be 1.
    """
    # maps in locals: Numba gives LLVM no aliasing information, so values read from arrays inside the loops
    # would be reloaded after every store to dst
    offs = m3 * sstr[3]  # source offset of each output position within its row
    rows = m2 * sstr[2]
    for b in range(dshape[0]):
        for i in range(dshape[1]):
            _pad_plane(src, sbase, sstr, dst, dshape, m1, m2, offs, rows, lo, hi, left, b, i)


@numba.njit(parallel=True, **_OPTS)
def pad_gather_par(src, sbase, sstr, dst, dshape, m1, m2, m3, lo, hi, left):
    """pad_gather across threads, one output plane (b, i) per task."""
    offs = m3 * sstr[3]
    rows = m2 * sstr[2]
    n1 = dshape[1]
    for t in numba.prange(dshape[0] * n1):
        u = numba.int64(t)
        _pad_plane(src, sbase, sstr, dst, dshape, m1, m2, offs, rows, lo, hi, left, u // n1, u % n1)


@numba.njit(**_OPTS)
def tri_zero(buf, base, nb, m, n, sb, sm, sn, k, lower):
    """Zero the elements outside the triangle of each (m, n) matrix, in place.

    lower (tril): keep j - i <= k, zero j > i + k; upper (triu): keep j - i >= k, zero j < i + k.
    """
    for b in range(nb):
        for i in range(m):
            row = base + b * sb + i * sm
            if lower:
                start = i + k + 1
                if start < 0:
                    start = 0
                for j in range(start, n):
                    buf[row + j * sn] = 0
            else:
                stop = i + k
                if stop > n:
                    stop = n
                for j in range(stop):
                    buf[row + j * sn] = 0


@numba.njit(inline="always")
def _copy_row(src, dst, col):
    n = numba.uint64(src.shape[0])
    c = numba.uint64(col)
    for j in range(n):
        dst[c + j] = src[j]


@numba.njit(inline="always")
def _cat_row4(a, b, c, d, out, col0, r):
    row = out[r]
    wa, wb, wc = a.shape[1], b.shape[1], c.shape[1]
    _copy_row(a[r], row, col0)
    _copy_row(b[r], row, col0 + wa)
    _copy_row(c[r], row, col0 + wa + wb)
    _copy_row(d[r], row, col0 + wa + wb + wc)


@numba.njit(**_OPTS)
def cat_rows4(a, b, c, d, out, col0):
    """out[r, col0:col0 + wa + wb + wc + wd] = a[r], b[r], c[r], d[r], for every row r of the 2-d inputs.

    cat along an inner dim of contiguous inputs: the output is written row by row in memory order (four
    inputs per call; callers pad a group with zero-width arrays).
    """
    for r in range(out.shape[0]):
        _cat_row4(a, b, c, d, out, col0, r)


@numba.njit(parallel=True, **_OPTS)
def cat_rows4_par(a, b, c, d, out, col0):
    """cat_rows4 across threads, by rows."""
    for r in numba.prange(out.shape[0]):
        _cat_row4(a, b, c, d, out, col0, r)


@numba.njit(**_OPTS)
def pad_accumulate(src, sbase, shape, sstr, dst, m1, m2, m3, lo, hi, left):
    """The transpose of pad_gather: dst[b, m1[i], m2[j], m3[k]] += src[sbase + (b, i, j, k) . sstr].

    src is a flat buffer read through any element strides (transposed, stepped, expanded with stride 0) over
    the 4-d index space `shape`; dst is 4-d and C-contiguous. As in pad_gather, the outputs lo..hi-1 of each
    row read the input straight (m3[k] == k - left), so the middle of a row is a plain add and only the pads
    go through the index map. Serial, so positions read by several outputs (the borders) sum without races.
    """
    nb, n1, n2, n3 = shape[0], shape[1], shape[2], shape[3]
    s0, s1, s2, s3 = sstr[0], sstr[1], sstr[2], sstr[3]
    for b in range(nb):
        for i in range(n1):
            for j in range(n2):
                row = dst[b, m1[i], m2[j]]
                so = sbase + b * s0 + i * s1 + j * s2
                if s3 == 1:
                    for k in range(lo, hi):
                        row[k - left] += src[so + k]
                else:
                    for k in range(lo, hi):
                        row[k - left] += src[so + k * s3]
                for k in range(lo):
                    row[m3[k]] += src[so + k * s3]
                for k in range(hi, n3):
                    row[m3[k]] += src[so + k * s3]


@numba.njit(**_OPTS)
def float32_to_bfloat16_bits(src, dst) -> None:
    """dst[i] = the bfloat16 bits of float32 src[i], rounded to nearest even (NaN: the quiet NaN of its sign),
    as ml_dtypes' cast, about 4x faster: src a flat float32 array, dst a flat uint16 view of the same length."""
    bits = src.view(numba.uint32)
    for i in range(bits.size):
        b = bits[i]
        if (b & numba.uint32(0x7FFFFFFF)) > numba.uint32(0x7F800000):
            dst[i] = numba.uint16(((b >> numba.uint32(16)) & numba.uint32(0x8000)) | numba.uint32(0x7FC0))
        else:
            dst[i] = numba.uint16((b + numba.uint32(0x7FFF) + ((b >> numba.uint32(16)) & numba.uint32(1)))
                                  >> numba.uint32(16))
