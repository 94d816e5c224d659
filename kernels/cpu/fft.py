"""FFT kernels: complex-to-complex along the last axis of a C-contiguous (batch, n) complex64/complex128 array,
plus the real-input forward (r2c, n//2 + 1 outputs) and its Hermitian inverse (c2r). All transforms are
unnormalised (the front end scales).

The c2c transform is a Stockham auto-sort FFT (decimation in frequency, ping-pong between the output row and one
scratch row, so no bit reversal): n = r1 * r2 * ... with radix-8 stages first, then a 4 or a 2, then odd radices
(3 and 5 have their own butterflies; others a butterfly that pairs j and r - j, half the multiplies of a plain
r-point DFT). A length with a prime factor above
_MAX_RADIX goes through Bluestein: a chirp-z convolution done with FFTs of a length M >= 2n - 1 that has factors 2,
3 and 5 only.

Twiddles and chirps are computed once per (n, dtype, direction) in float64 from integer-reduced phases, rounded to
the working dtype and cached in _PLANS; complex64 therefore computes in float32 (as torch does). Rows are spread over
threads (kernels/cpu/batch.run_split) when the batch is large enough; a single long row parallelises inside each
stage instead (prange). An outer axis (c2c_cols: (batch, n, c), c >= SMALL_S) is transformed by blocks of up to 64
columns copied into an (n, cb) buffer: the same stages with an initial stride cb, no transposes.

r2c of an even n packs the real row as n/2 complex values (a free view), runs an n/2-point c2c and untangles the
halves, row by row into a scratch row; c2r does the reverse. Odd n goes through the full complex transform.

Preconditions (the wrappers below check dtypes and shapes; the njit kernels never check bounds): arrays are
C-contiguous and writable where written.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from .batch import run_split

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)
_MAX_RADIX = 61  # larger prime factors go through Bluestein
PAR_MIN = 1 << 15  # elements: below this, one thread
STAGE_PAR_MIN = 1 << 18  # a single row at least this long splits each stage over threads

_COMPLEX = {np.dtype(np.complex64): np.complex64, np.dtype(np.complex128): np.complex128}
_REAL_OF = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}
_COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


# ---------------------------------------------------------------------------------------------
# Stockham stages. A stage of radix r on a current length nc = r * m with stride s reads src[q + s*(p + j*m)]
# (j < r) and writes the r-point DFT, times the twiddles w_nc^(p*k), to dst[q + s*(r*p + k)]. The CPU plans
# (cpu_plan) keep each stage's twiddles k-major, tw[(k - 1)*m + p], repeated s times when s < SMALL_S (the plan()
# tables, shared with the CUDA kernels, are p-major).
#
# The loops are written so that LLVM vectorizes them (Numba's own p, q loops stayed scalar): a stage runs over
# blocks of at most _PBLOCK elements whose r input runs are unit-stride: per p, a block of the q range (s >=
# SMALL_S), or whole q ranges of consecutive p (s < SMALL_S, the runs (p, q) being contiguous there). The block's
# butterflies go to a small k-major buffer (_k2 ... _k8), then the twiddle products to dst: r runs of the block
# (s >= SMALL_S), or runs of s interleaved with stride r*s (s < SMALL_S; a scalar copy when s = 1).

_PBLOCK = 64  # elements per block of the stage loops
SMALL_S = 16  # stages with a smaller stride s run over blocks of whole (p, q) runs; their twiddles are expanded


@numba.njit(inline="always")
def _bf2(a0, a1):
    return a0 + a1, a0 - a1


@numba.njit(inline="always")
def _bf4(a0, a1, a2, a3, rot):
    """rot = w_4 (-i forward, +i inverse)."""
    t0 = a0 + a2
    t1 = a0 - a2
    t2 = a1 + a3
    t3 = (a1 - a3) * rot
    return t0 + t2, t1 + t3, t0 - t2, t1 - t3


@numba.njit(inline="always")
def _bf3(a0, u, v, c, si):
    """c = Re(w_3); si = i * Im(w_3) (a complex)."""
    sp = u + v
    sm = (u - v) * si
    re = a0 + sp * c
    return a0 + sp, re + sm, re - sm


@numba.njit(inline="always")
def _bf5(a0, a1, a2, a3, a4, c1, c2, s1, s2):
    """c_j = Re(w_5^j), s_j = i * Im(w_5^j) (complex); pairs (1, 4) and (2, 3) share sums and differences."""
    u1 = a1 + a4
    v1 = a1 - a4
    u2 = a2 + a3
    v2 = a2 - a3
    r1 = a0 + u1 * c1 + u2 * c2
    r2 = a0 + u1 * c2 + u2 * c1
    i1 = v1 * s1 + v2 * s2
    i2 = v1 * s2 - v2 * s1
    return a0 + u1 + u2, r1 + i1, r2 + i2, r2 - i2, r1 - i1


# Block kernels: y_k (k < r) of the r-point DFTs of inputs src[i0 + j*sm + i] (j < r, i < nb <= _PBLOCK), before
# twiddles, into buf[k*_PBLOCK + i]; then the twiddle products go to dst in small loops of their own. Written so
# that LLVM vectorizes them: each kernel is a function of its own (inside a bigger function these loops stayed
# scalar), indices are unsigned (no negative-index wraparound select), the inputs are indexed from src itself and
# the outputs sit at constant distances in buf (slices would give LLVM one overlap check per pair of slices, more
# than it allows).

@numba.njit(**_OPTS)
def _k2(src, i0, sm, nb, roots, buf):
    """Radix 2: buf[k*_PBLOCK + i] = y_k of inputs src[i0 + j*sm + i] (no twiddles)."""
    a0 = src[i0: i0 + nb]
    a1 = src[i0 + sm: i0 + sm + nb]
    o1 = _PBLOCK
    for i in range(nb):
        y0, y1 = _bf2(a0[i], a1[i])
        buf[i] = y0
        buf[o1 + i] = y1


@numba.njit(**_OPTS)
def _k3(src, i0, sm, nb, roots, buf):
    """Radix 3: buf[k*_PBLOCK + i] = y_k of inputs src[i0 + j*sm + i] (no twiddles)."""
    c = roots[1].real
    si = roots[4]
    a0 = src[i0: i0 + nb]
    a1 = src[i0 + sm: i0 + sm + nb]
    a2 = src[i0 + 2 * sm: i0 + 2 * sm + nb]
    o1 = _PBLOCK
    o2 = 2 * _PBLOCK
    for i in range(nb):
        y0, y1, y2 = _bf3(a0[i], a1[i], a2[i], c, si)
        buf[i] = y0
        buf[o1 + i] = y1
        buf[o2 + i] = y2


@numba.njit(**_OPTS)
def _k4(src, i0, sm, nb, roots, buf):
    """Radix 4: buf[k*_PBLOCK + i] = y_k of inputs src[i0 + j*sm + i] (no twiddles)."""
    rot = roots[1]
    a0 = src[i0: i0 + nb]
    a1 = src[i0 + sm: i0 + sm + nb]
    a2 = src[i0 + 2 * sm: i0 + 2 * sm + nb]
    a3 = src[i0 + 3 * sm: i0 + 3 * sm + nb]
    o1 = _PBLOCK
    o2 = 2 * _PBLOCK
    o3 = 3 * _PBLOCK
    for i in range(nb):
        y0, y1, y2, y3 = _bf4(a0[i], a1[i], a2[i], a3[i], rot)
        buf[i] = y0
        buf[o1 + i] = y1
        buf[o2 + i] = y2
        buf[o3 + i] = y3


@numba.njit(**_OPTS)
def _k5(src, i0, sm, nb, roots, buf):
    """Radix 5: buf[k*_PBLOCK + i] = y_k of inputs src[i0 + j*sm + i] (no twiddles)."""
    c1 = roots[1].real
    c2 = roots[2].real
    s1 = roots[6]
    s2 = roots[7]
    a0 = src[i0: i0 + nb]
    a1 = src[i0 + sm: i0 + sm + nb]
    a2 = src[i0 + 2 * sm: i0 + 2 * sm + nb]
    a3 = src[i0 + 3 * sm: i0 + 3 * sm + nb]
    a4 = src[i0 + 4 * sm: i0 + 4 * sm + nb]
    o1 = _PBLOCK
    o2 = 2 * _PBLOCK
    o3 = 3 * _PBLOCK
    o4 = 4 * _PBLOCK
    for i in range(nb):
        y0, y1, y2, y3, y4 = _bf5(a0[i], a1[i], a2[i], a3[i], a4[i], c1, c2, s1, s2)
        buf[i] = y0
        buf[o1 + i] = y1
        buf[o2 + i] = y2
        buf[o3 + i] = y3
        buf[o4 + i] = y4


@numba.njit(**_OPTS)
def _k8(src, i0, sm, nb, roots, buf):
    """Radix 8: buf[k*_PBLOCK + i] = y_k of inputs src[i0 + j*sm + i] (no twiddles). Two loops, the even outputs
    then the odd ones (_bf8's operations split in two: 8 loads and 8 stores in one loop need more runtime
    assumptions than LLVM makes, and it left the loop scalar)."""
    w1 = roots[1]
    w2 = roots[2]
    w3 = roots[3]
    a0 = src[i0: i0 + nb]
    a1 = src[i0 + sm: i0 + sm + nb]
    a2 = src[i0 + 2 * sm: i0 + 2 * sm + nb]
    a3 = src[i0 + 3 * sm: i0 + 3 * sm + nb]
    a4 = src[i0 + 4 * sm: i0 + 4 * sm + nb]
    a5 = src[i0 + 5 * sm: i0 + 5 * sm + nb]
    a6 = src[i0 + 6 * sm: i0 + 6 * sm + nb]
    a7 = src[i0 + 7 * sm: i0 + 7 * sm + nb]
    for i in range(nb):
        t0 = a0[i] + a4[i]
        t2 = a2[i] + a6[i]
        u0 = a1[i] + a5[i]
        u2 = a3[i] + a7[i]
        e0 = t0 + t2
        e2 = t0 - t2
        o0 = u0 + u2
        o2 = (u0 - u2) * w2
        buf[i] = e0 + o0
        buf[2 * _PBLOCK + i] = e2 + o2
        buf[4 * _PBLOCK + i] = e0 - o0
        buf[6 * _PBLOCK + i] = e2 - o2
    for i in range(nb):
        t1 = a0[i] - a4[i]
        t3 = (a2[i] - a6[i]) * w2
        u1 = a1[i] - a5[i]
        u3 = (a3[i] - a7[i]) * w2
        e1 = t1 + t3
        e3 = t1 - t3
        o1 = (u1 + u3) * w1
        o3 = (u1 - u3) * w3
        buf[_PBLOCK + i] = e1 + o1
        buf[3 * _PBLOCK + i] = e3 + o3
        buf[5 * _PBLOCK + i] = e1 - o1
        buf[7 * _PBLOCK + i] = e3 - o3


@numba.njit(inline="always")
def _butterflies(src, i0, sm, nb, roots, buf, r):
    if r == 8:
        _k8(src, i0, sm, nb, roots, buf)
    elif r == 4:
        _k4(src, i0, sm, nb, roots, buf)
    elif r == 2:
        _k2(src, i0, sm, nb, roots, buf)
    elif r == 3:
        _k3(src, i0, sm, nb, roots, buf)
    else:
        _k5(src, i0, sm, nb, roots, buf)


@numba.njit(inline="always")
def _tw_step(s):
    """Index step of one (k, p) twiddle in a stage's table: stages with s < SMALL_S keep each twiddle repeated s
    times (tw[(k - 1)*m*s + s*p + q]), others once (tw[(k - 1)*m + p])."""
    return s if s < SMALL_S else 1


@numba.njit(**_OPTS)
def _twiddle_out(buf, dst, tw, r, m, p, o, s, nb):
    """dst[o + k*s + i] = buf[k*_PBLOCK + i] * twiddle(k, p) (k = 0: no twiddle), for k < r, i < nb."""
    ts = _tw_step(s)
    d = dst[o: o + nb]
    for i in range(nb):
        d[i] = buf[i]
    for k in range(1, r):
        t = tw[((k - 1) * m + p) * ts]
        d = dst[o + k * s: o + k * s + nb]
        b = buf[k * _PBLOCK: k * _PBLOCK + nb]
        for i in range(nb):
            d[i] = b[i] * t


@numba.njit(**_OPTS)
def _interleave8(buf, d, nb):
    """d[8*i + k] = buf[k*_PBLOCK + i] for i < nb, k < 8, written out (LLVM vectorizes a constant interleave)."""
    for i in range(nb):
        d[8 * i] = buf[i]
        d[8 * i + 1] = buf[_PBLOCK + i]
        d[8 * i + 2] = buf[2 * _PBLOCK + i]
        d[8 * i + 3] = buf[3 * _PBLOCK + i]
        d[8 * i + 4] = buf[4 * _PBLOCK + i]
        d[8 * i + 5] = buf[5 * _PBLOCK + i]
        d[8 * i + 6] = buf[6 * _PBLOCK + i]
        d[8 * i + 7] = buf[7 * _PBLOCK + i]


@numba.njit(**_OPTS)
def _twiddle_interleave(buf, dst, tw, r, m, s, pb, nb):
    """For the block of elements e = s*(p - pb) + q < nb (whole p runs): dst[s*(r*p + k) + q] = buf[k*_PBLOCK + e]
    times the expanded twiddle tw[(k - 1)*m*s + s*pb + e] (k = 0: none). The products in place (vectorized), then
    the runs of s copied into the stride-r*s layout."""
    ms = m * s
    for k in range(1, r):
        b = buf[k * _PBLOCK: k * _PBLOCK + nb]
        t = tw[(k - 1) * ms + s * pb: (k - 1) * ms + s * pb + nb]
        for i in range(nb):
            b[i] = b[i] * t[i]
    if s == 1 and r == 8:
        _interleave8(buf, dst[8 * pb: 8 * (pb + nb)], nb)
    elif s == 1:
        for i in range(nb):
            d = dst[r * (pb + i): r * (pb + i) + r]
            for k in range(r):
                d[k] = buf[k * _PBLOCK + i]
    else:
        for e0 in range(0, nb, s):
            o = r * (s * pb + e0)
            for k in range(r):
                d = dst[o + k * s: o + (k + 1) * s]
                b = buf[k * _PBLOCK + e0: k * _PBLOCK + e0 + s]
                for q in range(s):
                    d[q] = b[q]


@numba.njit(**_OPTS)
def _stage_q(src, dst, tw, roots, r, m, s, p0, p1, q0, q1, buf):
    """Radix 2, 3, 4, 5 or 8: per p, blocks of the q range (unit-stride runs, twiddles constant)."""
    for p in range(p0, p1):
        for qb in range(q0, q1, _PBLOCK):
            nb = min(_PBLOCK, q1 - qb)
            _butterflies(src, qb + s * p, s * m, nb, roots, buf, r)
            _twiddle_out(buf, dst, tw, r, m, p, qb + s * r * p, s, nb)


@numba.njit(**_OPTS)
def _stage_p(src, dst, tw, roots, r, m, s, p0, p1, buf):
    """Radix 2, 3, 4, 5 or 8 for s < SMALL_S, whole q ranges: blocks of _PBLOCK // s values of p, whose inputs
    (and expanded twiddles) are unit-stride runs of the (p, q) elements."""
    per = max(1, _PBLOCK // s)
    for pb in range(p0, p1, per):
        nb = (min(pb + per, p1) - pb) * s
        _butterflies(src, s * pb, s * m, nb, roots, buf, r)
        _twiddle_interleave(buf, dst, tw, r, m, s, pb, nb)


@numba.njit(**_OPTS)
def _radix_odd(src, dst, tw, roots, r, m, s, p0, p1, q0, q1):
    """Odd radix r: roots[j] = w_r^j, roots[r + j] = i * Im(w_r^j). Outputs k and r - k share the sums u + v and
    differences u - v of the input pairs (j, r - j)."""
    h = (r - 1) // 2
    ts = _tw_step(s)
    sp = np.empty(h + 1, src.dtype)
    sm = np.empty(h + 1, src.dtype)
    for p in range(p0, p1):
        for q in range(q0, q1):
            a0 = src[q + s * p]
            acc = a0
            for j in range(1, h + 1):
                u = src[q + s * (p + j * m)]
                v = src[q + s * (p + (r - j) * m)]
                sp[j] = u + v
                sm[j] = u - v
                acc += sp[j]
            base = q + s * r * p
            dst[base] = acc
            for k in range(1, h + 1):
                re = a0
                im = a0 - a0
                jk = 0
                for j in range(1, h + 1):
                    jk += k  # (j * k) mod r, without the division
                    if jk >= r:
                        jk -= r
                    re += sp[j] * roots[jk].real
                    im += sm[j] * roots[r + jk]
                dst[base + k * s] = (re + im) * tw[((k - 1) * m + p) * ts]
                dst[base + (r - k) * s] = (re - im) * tw[((r - k - 1) * m + p) * ts]


@numba.njit(**_OPTS)
def _stage(src, dst, tw, roots, r, m, s, p0, p1, q0, q1):
    """The part p0 <= p < p1, q0 <= q < q1 of one stage (see the section comment)."""
    if r != 2 and r != 3 and r != 4 and r != 5 and r != 8:
        _radix_odd(src, dst, tw, roots, r, m, s, p0, p1, q0, q1)
    elif s < SMALL_S and q0 == 0 and q1 == s:
        _stage_p(src, dst, tw, roots, r, m, s, p0, p1, np.empty(r * _PBLOCK, src.dtype))
    else:
        _stage_q(src, dst, tw, roots, r, m, s, p0, p1, q0, q1, np.empty(r * _PBLOCK, src.dtype))


@numba.njit(**_OPTS)
def _row(src, dst, tmp, radices, tw, tw_off, roots, ro_off, s0=1):
    """One n-point transform src -> dst (tmp: scratch of n; src is only read). The stages alternate between dst
    and tmp so that the last one writes dst. With s0 > 1: s0 interleaved transforms, element i of transform q at
    src[i*s0 + q] (a block of s0 columns of a row-major (n, s0) array): the stages' stride starts at s0 (the plan's
    twiddles expanded only where s0 * s < SMALL_S; cols_plan: s0 >= SMALL_S, none)."""
    k = radices.size
    if k == 0:
        for i in range(src.size):
            dst[i] = src[i]
        return
    nc = src.size // s0
    s = s0
    inp = src
    for i in range(k):
        r = radices[i]
        out = dst if (k - 1 - i) % 2 == 0 else tmp
        m = nc // r
        _stage(inp, out, tw[tw_off[i]:tw_off[i + 1]], roots[ro_off[i]:ro_off[i + 1]], r, m, s, 0, m, 0, s)
        inp = out
        nc = m
        s *= r


@numba.njit(parallel=True, **_OPTS)
def _row_par(src, dst, tmp, radices, tw, tw_off, roots, ro_off, nblocks):
    """_row for one long row: each stage is cut into nblocks blocks of p (early stages, many p) or of q (late
    stages, long stride s) spread over threads."""
    k = radices.size
    nc = src.size
    s = 1
    inp = src
    for i in range(k):
        r = radices[i]
        m = nc // r
        out = dst if (k - 1 - i) % 2 == 0 else tmp
        twi = tw[tw_off[i]:tw_off[i + 1]]
        roi = roots[ro_off[i]:ro_off[i + 1]]
        if m >= s:
            for b in prange(nblocks):
                _stage(inp, out, twi, roi, r, m, s, b * m // nblocks, (b + 1) * m // nblocks, 0, s)
        else:
            for b in prange(nblocks):
                _stage(inp, out, twi, roi, r, m, s, 0, m, b * s // nblocks, (b + 1) * s // nblocks)
        inp = out
        nc = m
        s *= r


@numba.njit(inline="always")
def _rows_direct(x, out, radices, tw, tw_off, roots, ro_off, b0, b1):
    tmp = np.empty(x.shape[1], x.dtype)
    for b in range(b0, b1):
        _row(x[b], out[b], tmp, radices, tw, tw_off, roots, ro_off)


@numba.njit(**_OPTS)
def c2c_direct(x, out, radices, tw, tw_off, roots, ro_off, b0, b1):
    _rows_direct(x, out, radices, tw, tw_off, roots, ro_off, b0, b1)



@numba.njit(inline="always")
def _col_blocks(x, out, radices, tw, tw_off, roots, ro_off, cb, t0, t1):
    """Blocks t0 <= t < t1 of cb columns of x (batch, n, c) -> out: a block is copied into an (n, cb) buffer (the
    last, narrower one of a batch padded), transformed as cb interleaved columns (_row with s0 = cb) and copied
    back."""
    n, c = x.shape[1], x.shape[2]
    per = (c + cb - 1) // cb
    buf = np.zeros(n * cb, x.dtype)
    res = np.empty(n * cb, x.dtype)
    tmp = np.empty(n * cb, x.dtype)
    for t in range(t0, t1):
        b = t // per
        c0 = (t - b * per) * cb
        w = min(cb, c - c0)
        for i in range(n):
            src = x[b, i, c0:c0 + w]
            dst = buf[i * cb:i * cb + w]
            for j in range(w):
                dst[j] = src[j]
        _row(buf, res, tmp, radices, tw, tw_off, roots, ro_off, cb)
        for i in range(n):
            src = res[i * cb:i * cb + w]
            dst = out[b, i, c0:c0 + w]
            for j in range(w):
                dst[j] = src[j]


@numba.njit(**_OPTS)
def c2c_cols_direct(x, out, radices, tw, tw_off, roots, ro_off, cb, t0, t1):
    _col_blocks(x, out, radices, tw, tw_off, roots, ro_off, cb, t0, t1)



# ---------------------------------------------------------------------------------------------
# Bluestein: X_k = c_k * sum_j (x_j c_j) conj(c_(k-j)) with the chirp c_j = w_n^(j^2 / 2), a circular convolution
# of length M (the smallest 2^a 3^b 5^c >= 2n - 1) done as ifft_M(fft_M(x c) * bfft) where
# bfft = fft_M(conj(c) wrapped) / M.

@numba.njit(inline="always")
def _rows_blue(x, out, chirp, bfft, fr, ft, fto, fro, froo, ir, it, ito, iro, iroo, b0, b1):
    n = x.shape[1]
    mm = bfft.size
    a = np.empty(mm, x.dtype)
    fa = np.empty(mm, x.dtype)
    tmp = np.empty(mm, x.dtype)
    for b in range(b0, b1):
        row = x[b]
        for j in range(n):
            a[j] = row[j] * chirp[j]
        for j in range(n, mm):
            a[j] = 0
        _row(a, fa, tmp, fr, ft, fto, fro, froo)
        for j in range(mm):
            fa[j] = fa[j] * bfft[j]
        _row(fa, a, tmp, ir, it, ito, iro, iroo)
        o = out[b]
        for j in range(n):
            o[j] = a[j] * chirp[j]


@numba.njit(**_OPTS)
def c2c_blue(x, out, chirp, bfft, fr, ft, fto, fro, froo, ir, it, ito, iro, iroo, b0, b1):
    _rows_blue(x, out, chirp, bfft, fr, ft, fto, fro, froo, ir, it, ito, iro, iroo, b0, b1)



# ---------------------------------------------------------------------------------------------
# Real transforms of an even n = 2h (fused per row with the half-length c2c when that is a direct plan).
# r2c: z = x[0::2] + i x[1::2] (a view), Z = fft_h(z), then
# X_k = (Z_k + conj Z_(h-k)) / 2 + w_n^k (Z_k - conj Z_(h-k)) / (2i) for k <= h (Z_h = Z_0); rtw[k] = -i w_n^k / 2.
# c2r: Z_k = (X_k + conj X_(h-k)) + i w_n^-k (X_k - conj X_(h-k)) (itw[k] = i w_n^-k), z = ifft_h(Z) is the
# unnormalised real output seen as complex pairs.

@numba.njit(**_OPTS)
def _r2c_post_row(zr, o, rtw, half):
    """A function of its own, bins 1 .. h-1 as slices from 0 and the mirrored bin by an unsigned index (no
    negative-index check): the loop vectorizes."""
    h = zr.size
    z0 = zr[0]  # bins 0 and h are the sum and the difference of z0's parts, real exactly (as pocketfft's)
    o[0] = z0.real + z0.imag
    o[h] = z0.real - z0.imag
    a = zr[1:h]
    ok = o[1:h]
    t = rtw[1:h]
    top = np.uint64(max(h - 2, 0))  # bin h - k for k = 1 + i is a[h - 2 - i]
    for i in range(np.uint64(h - 1)):
        zk = a[i]
        zc = a[top - i].conjugate()
        ok[i] = (zk + zc) * half + (zk - zc) * t[i]


@numba.njit(**_OPTS)
def _c2r_pre_row(xr, zr, itw, half):
    """xr: h + 1 bins; the imaginary parts of bins 0 and h are dropped (x - (x - conj x) / 2 = Re x). Written as
    _r2c_post_row (vectorizes)."""
    h = zr.size
    x0 = xr[0]
    x0 = x0 - (x0 - x0.conjugate()) * half
    xh = xr[h]
    xh = xh - (xh - xh.conjugate()) * half
    zr[0] = (x0 + xh) + (x0 - xh) * itw[0]
    a = xr[1:h]
    zk = zr[1:h]
    t = itw[1:h]
    top = np.uint64(max(h - 2, 0))
    for i in range(np.uint64(h - 1)):
        xk = a[i]
        xc = a[top - i].conjugate()
        zk[i] = (xk + xc) + (xk - xc) * t[i]


@numba.njit(**_OPTS)
def r2c_post(z, out, rtw, half):
    for b in range(z.shape[0]):
        _r2c_post_row(z[b], out[b], rtw, half)


@numba.njit(**_OPTS)
def c2r_pre(x, z, itw, half):
    for b in range(x.shape[0]):
        _c2r_pre_row(x[b], z[b], itw, half)


@numba.njit(inline="always")
def _r2c_rows(z, out, rtw, half, radices, tw, tw_off, roots, ro_off, b0, b1):
    """Fused r2c of rows b0..b1: the half-length c2c of each packed row into a scratch row, untangled into out."""
    h = z.shape[1]
    zf = np.empty(h, z.dtype)
    tmp = np.empty(h, z.dtype)
    for b in range(b0, b1):
        _row(z[b], zf, tmp, radices, tw, tw_off, roots, ro_off)
        _r2c_post_row(zf, out[b], rtw, half)


@numba.njit(**_OPTS)
def r2c_direct(z, out, rtw, half, radices, tw, tw_off, roots, ro_off, b0, b1):
    _r2c_rows(z, out, rtw, half, radices, tw, tw_off, roots, ro_off, b0, b1)



@numba.njit(inline="always")
def _c2r_rows(x, out, itw, half, radices, tw, tw_off, roots, ro_off, b0, b1):
    """Fused c2r of rows b0..b1: each row's packed half-length spectrum into a scratch row, inverse c2c into out."""
    h = out.shape[1]
    zf = np.empty(h, out.dtype)
    tmp = np.empty(h, out.dtype)
    for b in range(b0, b1):
        _c2r_pre_row(x[b], zf, itw, half)
        _row(zf, out[b], tmp, radices, tw, tw_off, roots, ro_off)


@numba.njit(**_OPTS)
def c2r_direct(x, out, itw, half, radices, tw, tw_off, roots, ro_off, b0, b1):
    _c2r_rows(x, out, itw, half, radices, tw, tw_off, roots, ro_off, b0, b1)



@numba.njit(inline="always")
def _frames_rows(x, hop, w, out, rtw, half, radices, tw, tw_off, roots, ro_off, i0, i1):
    """stft's frames fused with their r2c: row i of out (b = i // T, t = i % T) is the one-sided FFT of
    x[b, t hop : t hop + n] * w, the windowed frame packed as n/2 complex values in a scratch row."""
    nt = out.shape[1]
    n = w.size
    h = n // 2
    buf = np.empty(n, x.dtype)
    z = buf.view(out.dtype)
    zf = np.empty(h, out.dtype)
    tmp = np.empty(h, out.dtype)
    for i in range(i0, i1):
        b = i // nt
        t = i - b * nt
        row = x[b]
        seg = row[t * hop: t * hop + n]
        for j in range(n):
            buf[j] = seg[j] * w[j]
        _row(z, zf, tmp, radices, tw, tw_off, roots, ro_off)
        _r2c_post_row(zf, out[b, t], rtw, half)


@numba.njit(**_OPTS)
def r2c_frames_direct(x, hop, w, out, rtw, half, radices, tw, tw_off, roots, ro_off, i0, i1):
    _frames_rows(x, hop, w, out, rtw, half, radices, tw, tw_off, roots, ro_off, i0, i1)



# ---------------------------------------------------------------------------------------------
# Plans (host side, cached) and the array-level entry points.

_PLANS: dict = {}
_MAX_PLANS = 256  # distinct (n, dtype, direction) tables kept; past that the cache starts over


def _store(key, value):
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = value
    return value


def _factor(n: int) -> list[int] | None:
    """Radices of n (8s, a 4 or a 2, then odd primes ascending), or None when a prime factor exceeds
    _MAX_RADIX."""
    out = []
    while n % 8 == 0:
        out.append(8)
        n //= 8
    if n % 4 == 0:
        out.append(4)
        n //= 4
    if n % 2 == 0:
        out.append(2)
        n //= 2
    f = 3
    while f * f <= n:
        while n % f == 0:
            out.append(f)
            n //= f
        f += 2
    if n > 1:
        out.append(n)
    if out and max(out) > _MAX_RADIX:
        return None
    return out


def _smooth_at_least(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n (Bluestein's convolution length: the radix-4/2/3/5 stages)."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _unit(num: np.ndarray, den: int, sign: int) -> np.ndarray:
    """exp(sign * 2 pi i num / den) in complex128, num reduced mod den in integers first (exact phase)."""
    ang = (2.0 * np.pi / den) * (np.asarray(num, dtype=np.int64) % den)
    return np.cos(ang) + 1j * sign * np.sin(ang)


def _direct_plan(n: int, radices: list[int], sign: int, ctype) -> tuple:
    tws, roots = [], []
    nc = n
    for r in radices:
        m = nc // r
        p = np.arange(m)[:, None]
        k = np.arange(1, r)[None, :]
        tws.append(_unit(p * k, nc, sign).ravel())
        w = _unit(np.arange(r), r, sign)
        roots.append(np.concatenate([w, 1j * w.imag]))
        nc = m
    tw_off = np.cumsum([0] + [t.size for t in tws]).astype(np.int64)
    ro_off = np.cumsum([0] + [t.size for t in roots]).astype(np.int64)
    tw = np.concatenate(tws).astype(ctype) if tws else np.zeros(1, ctype)
    ro = np.concatenate(roots).astype(ctype) if roots else np.zeros(1, ctype)
    return (np.asarray(radices, dtype=np.int64), tw, tw_off, ro, ro_off)


def _kmajor(arrs: tuple, s0: int = 1) -> tuple:
    """A direct plan with each stage's twiddles k-major, tw[(k - 1)*m + p], each repeated s times in the stages with
    s < SMALL_S (plan() keeps them p-major and once, the layout the CUDA kernels read): the CPU stages' unit-stride
    twiddle runs. s0: the first stage's stride (_row's s0)."""
    radices, tw, tw_off, ro, ro_off = arrs
    blocks = []
    s = s0
    for i, r in enumerate(radices):
        blk = tw[tw_off[i]:tw_off[i + 1]].reshape(-1, r - 1).T
        blocks.append(np.repeat(blk.ravel(), s) if s < SMALL_S else blk.ravel())
        s *= int(r)
    if not blocks:
        return arrs
    off = np.cumsum([0] + [b.size for b in blocks]).astype(np.int64)
    return radices, np.concatenate(blocks), off, ro, ro_off


def cpu_plan(n: int, ctype, inverse: bool) -> tuple:
    """plan() with k-major twiddles (_kmajor) in its direct plans: what the CPU kernels take."""
    ctype = np.dtype(ctype)
    key = ("cpu", n, ctype.char, inverse)
    p = _PLANS.get(key)
    if p is not None:
        return p
    p = plan(n, ctype, inverse)
    if p[0] == "direct":
        p = ("direct", _kmajor(p[1]))
    else:
        p = (*p[:3], _kmajor(p[3]), _kmajor(p[4]))
    return _store(key, p)


def cols_plan(n: int, ctype, inverse: bool) -> tuple | None:
    """The direct plan's arrays for column blocks (_row with s0 >= SMALL_S: twiddles k-major, never expanded), or
    None when n goes through Bluestein."""
    ctype = np.dtype(ctype)
    key = ("cols", n, ctype.char, inverse)
    if key in _PLANS:
        return _PLANS[key]
    p = plan(n, ctype, inverse)
    return _store(key, _kmajor(p[1], SMALL_S) if p[0] == "direct" else None)


def plan(n: int, ctype, inverse: bool) -> tuple:
    """("direct", arrays) or ("blue", chirp, bfft, forward M plan, inverse M plan) for an n-point c2c."""
    ctype = np.dtype(ctype)
    key = (n, ctype.char, inverse)
    p = _PLANS.get(key)
    if p is not None:
        return p
    sign = 1 if inverse else -1
    radices = _factor(n)
    if radices is not None:
        p = ("direct", _direct_plan(n, radices, sign, ctype))
    else:
        mm = _smooth_at_least(2 * n - 1)
        j = np.arange(n, dtype=np.int64)
        c = _unit(j * j, 2 * n, sign)  # exp(sign * i pi j^2 / n)
        b = np.zeros(mm, np.complex128)
        b[:n] = c.conj()
        b[mm - n + 1:] = c[1:][::-1].conj()
        bfft = c2c(b[None, :], inverse=False)[0] / mm
        fwd = plan(mm, ctype, False)[1]
        inv = plan(mm, ctype, True)[1]
        p = ("blue", c.astype(ctype), bfft.astype(ctype), fwd, inv)
    return _store(key, p)


def _parallel(rows: int, n: int) -> bool:
    """Whether the rows are worth spreading over threads (kernels/cpu/batch.run_split: serial range kernels, which
    compile several times faster than prange loops around the fused row transforms)."""
    return rows >= 2 and rows * n >= PAR_MIN


def _one_long_row(rows: int, n: int) -> bool:
    """A single row long enough to split its stages over threads (_row_par)."""
    return rows == 1 and n >= STAGE_PAR_MIN and numba.get_num_threads() > 1


def _check(x: np.ndarray, kinds) -> np.ndarray:
    if x.ndim != 2 or x.dtype not in kinds:
        raise TypeError(f"fft kernels take a 2-D array of {sorted(str(k) for k in kinds)}, got {x.dtype} {x.shape}")
    return np.require(x, requirements=["C", "W"])


def c2c(x: np.ndarray, inverse: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """Unnormalised FFT (inverse: sign +1) of each row of a (batch, n) complex64/complex128 array, n >= 1."""
    x = _check(x, _COMPLEX)
    rows, n = x.shape
    if out is None:
        out = np.empty_like(x)
    if rows == 0 or n == 0:
        return out
    p = cpu_plan(n, x.dtype, inverse)
    parallel = _parallel(rows, n)
    if p[0] == "direct":
        arrs = p[1]
        if _one_long_row(rows, n):
            tmp = np.empty(n, x.dtype)
            _row_par(x[0], out[0], tmp, *arrs, 4 * numba.get_num_threads())
        else:
            run_split(c2c_direct, rows, parallel, x, out, *arrs)
    else:
        _, chirp, bfft, fwd, inv = p
        run_split(c2c_blue, rows, parallel, x, out, chirp, bfft, *fwd, *inv)
    return out


COLS_BYTES = 1 << 18  # a column block's (n, cb) buffer: about this many bytes (three of them: in L2)


def c2c_cols(x: np.ndarray, inverse: bool = False) -> np.ndarray | None:
    """Unnormalised FFT along axis 1 of a (batch, n, c) complex64/complex128 array, c >= SMALL_S: blocks of up to 64
    columns transformed together, no transposes; the result is C-contiguous. None when n needs Bluestein (the
    caller transforms rows of a transposed copy instead)."""
    if x.ndim != 3 or x.dtype not in _COMPLEX or x.shape[2] < SMALL_S:
        raise TypeError(f"c2c_cols takes a (batch, n, c >= {SMALL_S}) complex array, got {x.dtype} {x.shape}")
    x = np.require(x, requirements=["C"])
    rows, n, c = x.shape
    arrs = cols_plan(n, x.dtype, inverse)
    if arrs is None:
        return None
    out = np.empty_like(x)
    if rows == 0 or n == 0:
        return out
    cb = SMALL_S
    while cb < 64 and 2 * cb <= c and 2 * cb * n * x.itemsize <= COLS_BYTES:
        cb *= 2
    nblk = rows * ((c + cb - 1) // cb)
    run_split(c2c_cols_direct, nblk, _parallel(rows * c, n), x, out, *arrs, cb)
    return out


def _real_plan(n: int, ctype, inverse: bool) -> np.ndarray:
    key = ("real", n, np.dtype(ctype).char, inverse)
    t = _PLANS.get(key)
    if t is None:
        h = n // 2
        if inverse:
            t = (1j * _unit(np.arange(h), n, 1)).astype(ctype)
        else:
            t = (-0.5j * _unit(np.arange(h + 1), n, -1)).astype(ctype)
        _store(key, t)
    return t


def r2c(x: np.ndarray) -> np.ndarray:
    """Unnormalised one-sided FFT (n // 2 + 1 bins) of each row of a (batch, n) float32/float64 array."""
    x = _check(x, _COMPLEX_OF)
    rows, n = x.shape
    ctype = _COMPLEX_OF[x.dtype]
    if n % 2 or rows == 0:
        if rows == 0 or n == 0:
            return np.empty((rows, n // 2 + 1), ctype)
        return c2c(x.astype(ctype))[:, :n // 2 + 1].copy()
    h = n // 2
    out = np.empty((rows, h + 1), ctype)
    rtw = _real_plan(n, ctype, False)
    half = _REAL_OF[np.dtype(ctype)](0.5)
    p = cpu_plan(h, ctype, False)
    if p[0] == "direct" and not _one_long_row(rows, h):
        run_split(r2c_direct, rows, _parallel(rows, n), x.view(ctype), out, rtw, half, *p[1])
        return out
    r2c_post(c2c(x.view(ctype)), out, rtw, half)
    return out


def c2r(x: np.ndarray, n: int) -> np.ndarray:
    """Unnormalised real inverse of one-sided spectra: x (batch, n // 2 + 1) complex -> (batch, n) real. The
    imaginary parts of bin 0 and (even n) bin n/2 are ignored, as by a Hermitian transform."""
    x = _check(x, _COMPLEX)
    rows = x.shape[0]
    h = n // 2
    if x.shape[1] != h + 1:
        raise ValueError(f"c2r of n={n} takes {h + 1} bins, got {x.shape[1]}")
    rtype = _REAL_OF[x.dtype]
    if rows == 0:
        return np.empty((0, n), rtype)
    if n % 2:
        full = np.empty((rows, n), x.dtype)
        full[:, :h + 1] = x
        full[:, h + 1:] = x[:, 1:][:, ::-1].conj()
        full[:, 0] = full[:, 0].real
        return np.ascontiguousarray(c2c(full, inverse=True).real)
    itw = _real_plan(n, x.dtype, True)
    half = rtype(0.5)
    out = np.empty((rows, n), rtype)
    p = cpu_plan(h, x.dtype, True)
    if p[0] == "direct" and not _one_long_row(rows, h):
        run_split(c2r_direct, rows, _parallel(rows, n), x, out.view(x.dtype), itw, half, *p[1])
        return out
    z = np.empty((rows, h), x.dtype)
    c2r_pre(x, z, itw, half)
    c2c(z, inverse=True, out=out.view(x.dtype))
    return out


def r2c_frames(x: np.ndarray, hop: int, w: np.ndarray, n_frames: int) -> np.ndarray:
    """stft's spectra without materialising the frames: (batch, n_frames, n // 2 + 1), frame t of row b being the
    unnormalised r2c of x[b, t hop : t hop + n] * w (n = w.size; x (batch, length) and w of one float dtype, with
    (n_frames - 1) hop + n <= length). Even n with a direct half-length plan run fused; others frame and call r2c."""
    x = _check(x, _COMPLEX_OF)
    w = np.ascontiguousarray(w, dtype=x.dtype)
    rows, n = x.shape[0], w.size
    if (n_frames - 1) * hop + n > x.shape[1] or n < 1:
        raise ValueError(f"r2c_frames: {n_frames} frames of {n} every {hop} do not fit in {x.shape[1]} samples")
    ctype = _COMPLEX_OF[x.dtype]
    h = n // 2
    p = cpu_plan(h, ctype, False) if n % 2 == 0 and rows * n_frames else None
    if p is None or p[0] != "direct":
        frames = np.lib.stride_tricks.sliding_window_view(x, n, axis=1)[:, ::hop][:, :n_frames] * w
        return r2c(frames.reshape(-1, n)).reshape(rows, n_frames, h + 1)
    out = np.empty((rows, n_frames, h + 1), ctype)
    rtw = _real_plan(n, ctype, False)
    half = _REAL_OF[np.dtype(ctype)](0.5)
    run_split(r2c_frames_direct, rows * n_frames, _parallel(rows * n_frames, n), x, hop, w, out, rtw, half, *p[1])
    return out
