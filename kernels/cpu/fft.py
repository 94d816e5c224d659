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
threads with prange when the batch is large enough; a single long row parallelises inside each stage instead.

r2c of an even n packs the real row as n/2 complex values (a free view), runs an n/2-point c2c and untangles the
halves, row by row into a scratch row; c2r does the reverse. Odd n goes through the full complex transform.

Preconditions (the wrappers below check dtypes and shapes; the njit kernels never check bounds): arrays are
C-contiguous and writable where written.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)
_MAX_RADIX = 61  # larger prime factors go through Bluestein
PAR_MIN = 1 << 15  # elements: below this, one thread
STAGE_PAR_MIN = 1 << 18  # a single row at least this long splits each stage over threads

_COMPLEX = {np.dtype(np.complex64): np.complex64, np.dtype(np.complex128): np.complex128}
_REAL_OF = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}
_COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


# ---------------------------------------------------------------------------------------------
# Stockham stages. A stage of radix r on a current length nc = r * m with stride s reads src[q + s*(p + j*m)]
# (j < r) and writes the r-point DFT, times the twiddles w_nc^(p*k), to dst[q + s*(r*p + k)].

@numba.njit(inline="always")
def _radix2_pq(src, dst, tw, m, s, p, q):
    a = src[q + s * p]
    b = src[q + s * (p + m)]
    base = q + s * 2 * p
    dst[base] = a + b
    dst[base + s] = (a - b) * tw[p]


@numba.njit(inline="always")
def _radix4_pq(src, dst, tw, rot, m, s, p, q):
    """rot = w_4 (-i forward, +i inverse)."""
    a0 = src[q + s * p]
    a1 = src[q + s * (p + m)]
    a2 = src[q + s * (p + 2 * m)]
    a3 = src[q + s * (p + 3 * m)]
    t0 = a0 + a2
    t1 = a0 - a2
    t2 = a1 + a3
    t3 = (a1 - a3) * rot
    base = q + s * 4 * p
    dst[base] = t0 + t2
    dst[base + s] = (t1 + t3) * tw[3 * p]
    dst[base + 2 * s] = (t0 - t2) * tw[3 * p + 1]
    dst[base + 3 * s] = (t1 - t3) * tw[3 * p + 2]


@numba.njit(inline="always")
def _radix8_pq(src, dst, tw, w1, w2, w3, m, s, p, q):
    """w1, w2, w3 = w_8, w_8^2 (= w_4), w_8^3: two 4-point DFTs (even, odd inputs) combined by w_8^k."""
    a0 = src[q + s * p]
    a1 = src[q + s * (p + m)]
    a2 = src[q + s * (p + 2 * m)]
    a3 = src[q + s * (p + 3 * m)]
    a4 = src[q + s * (p + 4 * m)]
    a5 = src[q + s * (p + 5 * m)]
    a6 = src[q + s * (p + 6 * m)]
    a7 = src[q + s * (p + 7 * m)]
    t0 = a0 + a4
    t1 = a0 - a4
    t2 = a2 + a6
    t3 = (a2 - a6) * w2
    e0 = t0 + t2
    e1 = t1 + t3
    e2 = t0 - t2
    e3 = t1 - t3
    u0 = a1 + a5
    u1 = a1 - a5
    u2 = a3 + a7
    u3 = (a3 - a7) * w2
    o0 = u0 + u2
    o1 = (u1 + u3) * w1
    o2 = (u0 - u2) * w2
    o3 = (u1 - u3) * w3
    base = q + s * 8 * p
    t = 7 * p
    dst[base] = e0 + o0
    dst[base + s] = (e1 + o1) * tw[t]
    dst[base + 2 * s] = (e2 + o2) * tw[t + 1]
    dst[base + 3 * s] = (e3 + o3) * tw[t + 2]
    dst[base + 4 * s] = (e0 - o0) * tw[t + 3]
    dst[base + 5 * s] = (e1 - o1) * tw[t + 4]
    dst[base + 6 * s] = (e2 - o2) * tw[t + 5]
    dst[base + 7 * s] = (e3 - o3) * tw[t + 6]


@numba.njit(inline="always")
def _radix3_pq(src, dst, tw, c, si, m, s, p, q):
    """c = Re(w_3); si = i * Im(w_3) (a complex)."""
    a0 = src[q + s * p]
    u = src[q + s * (p + m)]
    v = src[q + s * (p + 2 * m)]
    sp = u + v
    sm = (u - v) * si
    re = a0 + sp * c
    base = q + s * 3 * p
    dst[base] = a0 + sp
    dst[base + s] = (re + sm) * tw[2 * p]
    dst[base + 2 * s] = (re - sm) * tw[2 * p + 1]



@numba.njit(inline="always")
def _radix5_pq(src, dst, tw, c1, c2, s1, s2, m, s, p, q):
    """c_j = Re(w_5^j), s_j = i * Im(w_5^j) (complex); pairs (1, 4) and (2, 3) share sums and differences."""
    a0 = src[q + s * p]
    a1 = src[q + s * (p + m)]
    a2 = src[q + s * (p + 2 * m)]
    a3 = src[q + s * (p + 3 * m)]
    a4 = src[q + s * (p + 4 * m)]
    u1 = a1 + a4
    v1 = a1 - a4
    u2 = a2 + a3
    v2 = a2 - a3
    r1 = a0 + u1 * c1 + u2 * c2
    r2 = a0 + u1 * c2 + u2 * c1
    i1 = v1 * s1 + v2 * s2
    i2 = v1 * s2 - v2 * s1
    base = q + s * 5 * p
    t = 4 * p
    dst[base] = a0 + u1 + u2
    dst[base + s] = (r1 + i1) * tw[t]
    dst[base + 2 * s] = (r2 + i2) * tw[t + 1]
    dst[base + 3 * s] = (r2 - i2) * tw[t + 2]
    dst[base + 4 * s] = (r1 - i1) * tw[t + 3]


@numba.njit(**_OPTS)
def _radix_odd(src, dst, tw, roots, r, m, s, p0, p1, q0, q1):
    """Odd radix r: roots[j] = w_r^j, roots[r + j] = i * Im(w_r^j). Outputs k and r - k share the sums u + v and
    differences u - v of the input pairs (j, r - j)."""
    h = (r - 1) // 2
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
                dst[base + k * s] = (re + im) * tw[p * (r - 1) + k - 1]
                dst[base + (r - k) * s] = (re - im) * tw[p * (r - 1) + r - k - 1]


@numba.njit(**_OPTS)
def _stage(src, dst, tw, roots, r, m, s, p0, p1, q0, q1):
    """The part p0 <= p < p1, q0 <= q < q1 of one stage (see the section comment)."""
    if r == 4:
        rot = roots[1]
        for p in range(p0, p1):
            for q in range(q0, q1):
                _radix4_pq(src, dst, tw, rot, m, s, p, q)
    elif r == 8:
        w1 = roots[1]
        w2 = roots[2]
        w3 = roots[3]
        for p in range(p0, p1):
            for q in range(q0, q1):
                _radix8_pq(src, dst, tw, w1, w2, w3, m, s, p, q)
    elif r == 2:
        for p in range(p0, p1):
            for q in range(q0, q1):
                _radix2_pq(src, dst, tw, m, s, p, q)
    elif r == 3:
        c = roots[1].real
        si = roots[4]
        for p in range(p0, p1):
            for q in range(q0, q1):
                _radix3_pq(src, dst, tw, c, si, m, s, p, q)
    elif r == 5:
        c1 = roots[1].real
        c2 = roots[2].real
        s1 = roots[6]
        s2 = roots[7]
        for p in range(p0, p1):
            for q in range(q0, q1):
                _radix5_pq(src, dst, tw, c1, c2, s1, s2, m, s, p, q)
    else:
        _radix_odd(src, dst, tw, roots, r, m, s, p0, p1, q0, q1)


@numba.njit(**_OPTS)
def _row(src, dst, tmp, radices, tw, tw_off, roots, ro_off):
    """One n-point transform src -> dst (tmp: scratch of n; src is only read). The stages alternate between dst
    and tmp so that the last one writes dst."""
    k = radices.size
    if k == 0:
        dst[0] = src[0]
        return
    nc = src.size
    s = 1
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
def c2c_direct(x, out, radices, tw, tw_off, roots, ro_off):
    _rows_direct(x, out, radices, tw, tw_off, roots, ro_off, 0, x.shape[0])


@numba.njit(parallel=True, **_OPTS)
def c2c_direct_par(x, out, radices, tw, tw_off, roots, ro_off, nchunks):
    nb = x.shape[0]
    for c in prange(nchunks):
        _rows_direct(x, out, radices, tw, tw_off, roots, ro_off, c * nb // nchunks, (c + 1) * nb // nchunks)


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
def c2c_blue(x, out, chirp, bfft, fr, ft, fto, fro, froo, ir, it, ito, iro, iroo):
    _rows_blue(x, out, chirp, bfft, fr, ft, fto, fro, froo, ir, it, ito, iro, iroo, 0, x.shape[0])


@numba.njit(parallel=True, **_OPTS)
def c2c_blue_par(x, out, chirp, bfft, fr, ft, fto, fro, froo, ir, it, ito, iro, iroo, nchunks):
    nb = x.shape[0]
    for c in prange(nchunks):
        _rows_blue(x, out, chirp, bfft, fr, ft, fto, fro, froo, ir, it, ito, iro, iroo,
                   c * nb // nchunks, (c + 1) * nb // nchunks)


# ---------------------------------------------------------------------------------------------
# Real transforms of an even n = 2h (fused per row with the half-length c2c when that is a direct plan).
# r2c: z = x[0::2] + i x[1::2] (a view), Z = fft_h(z), then
# X_k = (Z_k + conj Z_(h-k)) / 2 + w_n^k (Z_k - conj Z_(h-k)) / (2i) for k <= h (Z_h = Z_0); rtw[k] = -i w_n^k / 2.
# c2r: Z_k = (X_k + conj X_(h-k)) + i w_n^-k (X_k - conj X_(h-k)) (itw[k] = i w_n^-k), z = ifft_h(Z) is the
# unnormalised real output seen as complex pairs.

@numba.njit(inline="always")
def _r2c_post_row(zr, o, rtw, half):
    h = zr.size
    z0 = zr[0]
    zc = z0.conjugate()
    o[0] = (z0 + zc) * half + (z0 - zc) * rtw[0]
    o[h] = (z0 + zc) * half + (z0 - zc) * rtw[h]
    for k in range(1, h):
        zk = zr[k]
        zc = zr[h - k].conjugate()
        o[k] = (zk + zc) * half + (zk - zc) * rtw[k]


@numba.njit(inline="always")
def _c2r_pre_row(xr, zr, itw, half):
    """xr: h + 1 bins; the imaginary parts of bins 0 and h are dropped (x - (x - conj x) / 2 = Re x)."""
    h = zr.size
    x0 = xr[0]
    x0 = x0 - (x0 - x0.conjugate()) * half
    xh = xr[h]
    xh = xh - (xh - xh.conjugate()) * half
    zr[0] = (x0 + xh) + (x0 - xh) * itw[0]
    for k in range(1, h):
        xk = xr[k]
        xc = xr[h - k].conjugate()
        zr[k] = (xk + xc) + (xk - xc) * itw[k]


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
def r2c_direct(z, out, rtw, half, radices, tw, tw_off, roots, ro_off):
    _r2c_rows(z, out, rtw, half, radices, tw, tw_off, roots, ro_off, 0, z.shape[0])


@numba.njit(parallel=True, **_OPTS)
def r2c_direct_par(z, out, rtw, half, radices, tw, tw_off, roots, ro_off, nchunks):
    nb = z.shape[0]
    for c in prange(nchunks):
        _r2c_rows(z, out, rtw, half, radices, tw, tw_off, roots, ro_off, c * nb // nchunks, (c + 1) * nb // nchunks)


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
def c2r_direct(x, out, itw, half, radices, tw, tw_off, roots, ro_off):
    _c2r_rows(x, out, itw, half, radices, tw, tw_off, roots, ro_off, 0, x.shape[0])


@numba.njit(parallel=True, **_OPTS)
def c2r_direct_par(x, out, itw, half, radices, tw, tw_off, roots, ro_off, nchunks):
    nb = x.shape[0]
    for c in prange(nchunks):
        _c2r_rows(x, out, itw, half, radices, tw, tw_off, roots, ro_off, c * nb // nchunks, (c + 1) * nb // nchunks)


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
        s0 = t * hop
        for j in range(n):
            buf[j] = row[s0 + j] * w[j]
        _row(z, zf, tmp, radices, tw, tw_off, roots, ro_off)
        _r2c_post_row(zf, out[b, t], rtw, half)


@numba.njit(**_OPTS)
def r2c_frames_direct(x, hop, w, out, rtw, half, radices, tw, tw_off, roots, ro_off):
    _frames_rows(x, hop, w, out, rtw, half, radices, tw, tw_off, roots, ro_off, 0, out.shape[0] * out.shape[1])


@numba.njit(parallel=True, **_OPTS)
def r2c_frames_direct_par(x, hop, w, out, rtw, half, radices, tw, tw_off, roots, ro_off, nchunks):
    nr = out.shape[0] * out.shape[1]
    for c in prange(nchunks):
        _frames_rows(x, hop, w, out, rtw, half, radices, tw, tw_off, roots, ro_off, c * nr // nchunks,
                     (c + 1) * nr // nchunks)


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


def _chunks(rows: int, n: int) -> int:
    """How many row chunks to spread over threads (1: run serially)."""
    if rows < 2 or rows * n < PAR_MIN:
        return 1
    return min(rows, 4 * numba.get_num_threads())


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
    p = plan(n, x.dtype, inverse)
    chunks = _chunks(rows, n)
    if p[0] == "direct":
        arrs = p[1]
        if _one_long_row(rows, n):
            tmp = np.empty(n, x.dtype)
            _row_par(x[0], out[0], tmp, *arrs, 4 * numba.get_num_threads())
        elif chunks == 1:
            c2c_direct(x, out, *arrs)
        else:
            c2c_direct_par(x, out, *arrs, chunks)
    else:
        _, chirp, bfft, fwd, inv = p
        if chunks == 1:
            c2c_blue(x, out, chirp, bfft, *fwd, *inv)
        else:
            c2c_blue_par(x, out, chirp, bfft, *fwd, *inv, chunks)
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
    p = plan(h, ctype, False)
    if p[0] == "direct" and not _one_long_row(rows, h):
        chunks = _chunks(rows, n)
        if chunks == 1:
            r2c_direct(x.view(ctype), out, rtw, half, *p[1])
        else:
            r2c_direct_par(x.view(ctype), out, rtw, half, *p[1], chunks)
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
    p = plan(h, x.dtype, True)
    if p[0] == "direct" and not _one_long_row(rows, h):
        chunks = _chunks(rows, n)
        if chunks == 1:
            c2r_direct(x, out.view(x.dtype), itw, half, *p[1])
        else:
            c2r_direct_par(x, out.view(x.dtype), itw, half, *p[1], chunks)
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
    p = plan(h, ctype, False) if n % 2 == 0 and rows * n_frames else None
    if p is None or p[0] != "direct":
        frames = np.lib.stride_tricks.sliding_window_view(x, n, axis=1)[:, ::hop][:, :n_frames] * w
        return r2c(frames.reshape(-1, n)).reshape(rows, n_frames, h + 1)
    out = np.empty((rows, n_frames, h + 1), ctype)
    rtw = _real_plan(n, ctype, False)
    half = _REAL_OF[np.dtype(ctype)](0.5)
    chunks = _chunks(rows * n_frames, n)
    if chunks == 1:
        r2c_frames_direct(x, hop, w, out, rtw, half, *p[1])
    else:
        r2c_frames_direct_par(x, hop, w, out, rtw, half, *p[1], chunks)
    return out
