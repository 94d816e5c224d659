"""CPU scan kernels: cumulative sum / product / max / min and logcumsumexp.

Every scan arrives as a C-contiguous 3-D array ``x`` of shape ``(outer, n, inner)`` scanned along axis 1 into
a C-contiguous ``out`` of the same shape. With ``inner == 1`` each row is contiguous and scanned on its own;
otherwise a row of ``inner`` running values is carried down axis 1, so the inner loop is contiguous and
vectorizes. Float32 sums and products accumulate in float64 (``acc`` is a float64 zero / one, or an int64 one
for integers), so float32 results are the correctly rounded running sums.

Long contiguous rows of a sum are cut into 8 chunks scanned side by side (8 independent dependency chains
instead of one), and each chunk's offset is added afterwards. ``cumsum_into_p`` spreads rows (or blocks of
``_COLS`` columns) over threads when ``cumsum_parallel`` says the work is large enough.
"""

import cmath
import math

import numba
import numpy as np
from numba import njit, prange

_CHUNKED_MIN = 4096
PAR_MIN = 1 << 18  # elements: below this, one thread
_COLS = 1024  # columns per parallel task when scanning a non-last dim


@njit(cache=True, error_model="numpy")
def _add_offset(o, off):
    for j in range(o.size):
        o[j] = o[j] + off


@njit(cache=True, error_model="numpy")
def _cumsum_row(x, out, acc0):
    n = x.size
    if n < _CHUNKED_MIN:
        acc = acc0
        for i in range(n):
            acc += x[i]
            out[i] = acc
        return
    m = n // 8
    r = (m * x.itemsize) % 4096
    if r < 256 or r > 3840:  # chunks 4 KiB apart would all map to the same L1 sets: skew them
        m -= 448 // x.itemsize
    # one slice per chunk: indices from 0 let LLVM drop the negative-index checks
    x0, x1, x2, x3 = x[0:m], x[m:2 * m], x[2 * m:3 * m], x[3 * m:4 * m]
    x4, x5, x6, x7 = x[4 * m:5 * m], x[5 * m:6 * m], x[6 * m:7 * m], x[7 * m:8 * m]
    o0, o1, o2, o3 = out[0:m], out[m:2 * m], out[2 * m:3 * m], out[3 * m:4 * m]
    o4, o5, o6, o7 = out[4 * m:5 * m], out[5 * m:6 * m], out[6 * m:7 * m], out[7 * m:8 * m]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = acc0
    for j in range(m):
        a0 += x0[j]
        o0[j] = a0
        a1 += x1[j]
        o1[j] = a1
        a2 += x2[j]
        o2[j] = a2
        a3 += x3[j]
        o3[j] = a3
        a4 += x4[j]
        o4[j] = a4
        a5 += x5[j]
        o5[j] = a5
        a6 += x6[j]
        o6[j] = a6
        a7 += x7[j]
        o7[j] = a7
    off = a0
    _add_offset(o1, off)
    off += a1
    _add_offset(o2, off)
    off += a2
    _add_offset(o3, off)
    off += a3
    _add_offset(o4, off)
    off += a4
    _add_offset(o5, off)
    off += a5
    _add_offset(o6, off)
    off += a6
    _add_offset(o7, off)
    acc = off + a7
    for i in range(8 * m, n):
        acc += x[i]
        out[i] = acc


@njit(cache=True, error_model="numpy")
def cumsum_into(x, out, acc0):
    outer, n, inner = x.shape
    if inner == 1:
        x2 = x.reshape(outer, n)
        o2 = out.reshape(outer, n)
        for o in range(outer):
            _cumsum_row(x2[o], o2[o], acc0)
        return
    acc = np.full(inner, acc0)
    for o in range(outer):
        acc[:] = acc0
        for i in range(n):
            xr = x[o, i]
            orow = out[o, i]
            for j in range(inner):
                a = acc[j] + xr[j]
                acc[j] = a
                orow[j] = a


@njit(cache=True, error_model="numpy", parallel=True)
def cumsum_into_p(x, out, acc0):
    """cumsum_into with tasks (rows, or blocks of _COLS columns) spread over threads."""
    outer, n, inner = x.shape
    if inner == 1:
        x2 = x.reshape(outer, n)
        o2 = out.reshape(outer, n)
        for o in prange(outer):
            _cumsum_row(x2[o], o2[o], acc0)
        return
    nblk = (inner + _COLS - 1) // _COLS
    for t in prange(outer * nblk):
        o = t // nblk
        j0 = (t % nblk) * _COLS
        j1 = min(inner, j0 + _COLS)
        acc = np.full(j1 - j0, acc0)
        for i in range(n):
            xr = x[o, i]
            orow = out[o, i]
            for j in range(j1 - j0):
                a = acc[j] + xr[j0 + j]
                acc[j] = a
                orow[j0 + j] = a


def cumsum_parallel(x) -> bool:
    """Whether cumsum_into_p pays off for this (outer, n, inner) input."""
    outer, _, inner = x.shape
    tasks = outer if inner == 1 else outer * ((inner + _COLS - 1) // _COLS)
    return x.size >= PAR_MIN and tasks > 1 and numba.get_num_threads() > 1


@njit(cache=True, error_model="numpy")
def cumprod_into(x, out, acc0):
    outer, n, inner = x.shape
    if inner == 1:
        for o in range(outer):
            acc = acc0
            for i in range(n):
                acc *= x[o, i, 0]
                out[o, i, 0] = acc
        return
    acc = np.full(inner, acc0)
    for o in range(outer):
        acc[:] = acc0
        for i in range(n):
            xr = x[o, i]
            orow = out[o, i]
            for j in range(inner):
                a = acc[j] * xr[j]
                acc[j] = a
                orow[j] = a


@njit(cache=True, error_model="numpy", inline="always")
def _takes(v, best, is_max):
    """cummax/cummin step: a new NaN always wins (and a NaN best keeps winning only against non-NaN values);
    ties go to the later element, as torch."""
    if v != v:
        return True
    if best != best:
        return False
    return v >= best if is_max else v <= best


@njit(cache=True, error_model="numpy")
def cumext_into(x, out, idx, is_max):
    """cummax (is_max) / cummin: running extreme values and the index where each was reached."""
    outer, n, inner = x.shape
    for o in range(outer):
        if n == 0:
            continue
        for j in range(inner):
            out[o, 0, j] = x[o, 0, j]
            idx[o, 0, j] = 0
        for i in range(1, n):
            for j in range(inner):
                v = x[o, i, j]
                best = out[o, i - 1, j]
                if _takes(v, best, is_max):
                    out[o, i, j] = v
                    idx[o, i, j] = i
                else:
                    out[o, i, j] = best
                    idx[o, i, j] = idx[o, i - 1, j]


@njit(cache=True, error_model="numpy", inline="always")
def _logaddexp(a, b):
    if a != a or b != b:
        return a + b
    mn = min(a, b)
    mx = max(a, b)
    if mn != mx or math.isfinite(mn):
        return math.log1p(math.exp(mn - mx)) + mx
    return a


@njit(cache=True, error_model="numpy")
def logcumsumexp_into(x, out):
    """Running log(sum(exp)) accumulated in float64, one logaddexp per step (stable for any magnitudes)."""
    outer, n, inner = x.shape
    acc = np.empty(inner, np.float64)
    for o in range(outer):
        acc[:] = -np.inf
        for i in range(n):
            for j in range(inner):
                a = _logaddexp(acc[j], np.float64(x[o, i, j]))
                acc[j] = a
                out[o, i, j] = a


@njit(cache=True, error_model="numpy", inline="always")
def _clog(u):
    """log(u) with |u| near 1 accurate (log1p of |u|^2 - 1, as glibc's clog), else log|u| + i arg(u)."""
    a = u.real
    b = u.imag
    if abs(a - 1.0) < 0.5 and abs(b) < 0.5:
        return complex(0.5 * math.log1p((a - 1.0) * (a + 1.0) + b * b), math.atan2(b, a))
    return complex(math.log(math.hypot(a, b)), math.atan2(b, a))


@njit(cache=True, error_model="numpy", inline="always")
def _cdiv(a, b, c, d):
    """c10::complex (a + bi) / (c + di): NumPy's scaled division, whose overflows torch's results keep."""
    if abs(c) >= abs(d):
        if c == 0 and d == 0:
            return complex(a / abs(c), b / abs(d))
        rat = d / c
        scl = 1.0 / (c + d * rat)
        return complex((a + b * rat) * scl, (b - a * rat) * scl)
    rat = c / d
    scl = 1.0 / (d + c * rat)
    return complex((a * rat + b) * scl, (b * rat - a) * scl)


@njit(cache=True, error_model="numpy", inline="always")
def _cmul(p, q):
    return complex(p.real * q.real - p.imag * q.imag, p.real * q.imag + p.imag * q.real)


@njit(cache=True, error_model="numpy", inline="always")
def _clog1p(z):
    """c10::complex log1p on x86 CPUs (Kahan's: log(u) * z / (u - 1) with u = 1 + z), nan where torch's is."""
    u = complex(1.0 + z.real, z.imag)
    if u.real == 1.0 and u.imag == 0.0:
        return z
    log_u = _clog(u)
    um1 = complex(u.real - 1.0, u.imag)
    if um1.real == z.real and um1.imag == z.imag:
        return log_u
    return _cmul(log_u, _cdiv(z.real, z.imag, um1.real, um1.imag))


@njit(cache=True, error_model="numpy", inline="always")
def _clogaddexp(x, acc):
    """PyTorch's complex _log_add_exp_helper(x, acc): nan wins, the max by real part (acc on ties), an equal
    infinite real part returns min (-inf) or log(exp(min) + exp(max)) (+inf), else log1p(exp(min - max)) + max.
    cmath's exp / log (Numba's np.exp / np.log of a complex are the same code) so that numba-cuda compiles it too
    (kernels/cuda/scan.py calls it on the device)."""
    if acc.real != acc.real or acc.imag != acc.imag or x.real != x.real or x.imag != x.imag:
        return complex(np.nan, np.nan)
    if x.real < acc.real:
        mn, mx = x, acc
    else:
        mn, mx = acc, x
    if not math.isfinite(mn.real) and mn.real == mx.real:
        if mn.real < 0:
            return mn
        return cmath.log(cmath.exp(mn) + cmath.exp(mx))
    return _clog1p(cmath.exp(mn - mx)) + mx


@njit(cache=True, error_model="numpy")
def logcumsumexp_complex_into(x, out):
    """Complex running log(sum(exp)) accumulated in complex128, PyTorch's step (_clogaddexp) per element."""
    outer, n, inner = x.shape
    acc = np.empty(inner, np.complex128)
    for o in range(outer):
        acc[:] = complex(-np.inf, 0.0)
        for i in range(n):
            for j in range(inner):
                a = _clogaddexp(np.complex128(x[o, i, j]), acc[j])
                acc[j] = a
                out[o, i, j] = a


@njit(cache=True, error_model="numpy")
def cumprod_backward_into(x, out, g, gx):
    """Gradient of out = cumprod(x) along axis 1 for inputs with zeros, in O(n) (PyTorch's case analysis).

    With z the first zero of a column: before z, gx[k] = sum_{i=k}^{z-1} g[i] out[i] / x[k] (a reverse sum);
    at z, gx[z] = sum_{i>=z} g[i] prod_{j<=i, j!=z} x[j] (running until the next zero); after z, 0."""
    outer, n, inner = x.shape
    for o in range(outer):
        for j in range(inner):
            z = n
            for i in range(n):
                if x[o, i, j] == 0:
                    z = i
                    break
            acc = 0.0
            for i in range(z - 1, -1, -1):
                acc += g[o, i, j] * out[o, i, j]
                gx[o, i, j] = acc / x[o, i, j]
            if z == n:
                continue
            p = out[o, z - 1, j] if z > 0 else 1.0
            s = g[o, z, j] * p
            for i in range(z + 1, n):
                if x[o, i, j] == 0:
                    break
                p *= x[o, i, j]
                s += g[o, i, j] * p
            gx[o, z, j] = s
            for i in range(z + 1, n):
                gx[o, i, j] = 0.0
