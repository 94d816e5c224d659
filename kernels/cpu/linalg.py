"""CPU kernels of the dense factorizations (no LAPACK: Numba's np.linalg needs SciPy's).

Every kernel takes C-contiguous batches (B, m, n) and works in place: small matrices one per task (a serial range
kernel split across threads by kernels/cpu/batch.py), large ones one after the other through the blocked drivers
at the end of this file. The front end (ntorch.ops.decomp) hands float64 copies (float32 inputs are computed in
float64 and rounded once at the end: cheap here, and more accurate than float32 pivots and rotations). Row-major
loops keep the inner loop on contiguous rows. ``info`` follows LAPACK: 0, or the 1-based index of the first zero
pivot / the order of the first minor that is not positive-definite.
"""

import cmath
import math

import numpy as np
from numba import njit, types
from numba.extending import overload, register_jitable

from .batch import over_batch
from .matmul import _direct, matmul_into
from .scalar import cdiv
from .tridiag_dc import _tql2, tridiag_eig

__all__ = ["lu_factor", "lu_det", "lu_slogdet", "lu_solve", "lu_inv", "tri_solve", "cholesky", "qr", "eigh", "eigvalsh",
           "svd", "geqrf", "ldl_factor", "ldl_solve"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")
# Reductions (dot products, norms) may be reordered so that they vectorize; no flag assumes finite values.
_FJIT = dict(_JIT, fastmath={"reassoc", "contract"})

# ---- dtype-generic scalar steps: the unblocked LU, Cholesky and triangular-solve loops below serve float64 and
# (through linalg_complex) complex128; each helper is chosen by the argument's Numba type at compile time ----


def _abs(z):
    return abs(z)


@register_jitable
def _cabs1(z):
    """|re| + |im|, LAPACK's cabs1 (the complex pivot magnitude; the eig code's too)."""
    return abs(z.real) + abs(z.imag)


def _pivot_mag(z):
    """A pivot candidate's magnitude: |z| for reals, |re| + |im| for complex values (LAPACK's izamax cabs1)."""
    return _cabs1(z) if isinstance(z, complex) else abs(z)


@overload(_pivot_mag, jit_options=dict(error_model="numpy"))
def _ov_pivot_mag(z):
    return _cabs1 if isinstance(z, types.Complex) else _abs


def _true_div(x, d):
    return x / d


def _complex_div(x, d):
    return cdiv(x, d)


def _div(x, d):
    """x / d, inf / nan for a zero d as LAPACK (Numba's complex / raises there, so complex values go by cdiv)."""
    return cdiv(x, d) if isinstance(d, complex) else x / d


@overload(_div, jit_options=dict(error_model="numpy"))
def _ov_div(x, d):
    return _complex_div if isinstance(d, types.Complex) else _true_div


def _row_times_inverse(x, i, d):
    inv = 1.0 / d
    for j in range(x.shape[1]):
        x[i, j] *= inv


def _row_complex_div(x, i, d):
    for j in range(x.shape[1]):
        x[i, j] = cdiv(x[i, j], d)


def _div_row(x, i, d):
    """x[i, :] <- x[i, :] / d: times 1 / d for reals (one division), each by cdiv for complex values."""
    for j in range(x.shape[1]):
        x[i, j] = _div(x[i, j], d)


@overload(_div_row, jit_options=dict(error_model="numpy"))
def _ov_div_row(x, i, d):
    return _row_complex_div if isinstance(d, types.Complex) else _row_times_inverse


@njit(**_JIT)
def _lu1(a, piv, info):
    """Partial pivoting, right-looking (getrf / zgetf2: pivots on _pivot_mag); a zero pivot is recorded in info and
    its column left unscaled."""
    m, n = a.shape
    for k in range(min(m, n)):
        p = k
        best = _pivot_mag(a[k, k])
        for i in range(k + 1, m):
            v = _pivot_mag(a[i, k])
            if v > best:
                best, p = v, i
        piv[k] = p + 1
        if p != k:
            for j in range(n):
                a[k, j], a[p, j] = a[p, j], a[k, j]
        d = a[k, k]
        if d == 0.0:
            if info[0] == 0:
                info[0] = k + 1
            continue
        inv = 1.0 / d
        ak = a[k, k + 1:]
        for i in range(k + 1, m):
            a[i, k] *= inv
            lik = a[i, k]
            if lik != 0.0:
                ai = a[i, k + 1:]
                for j in range(ak.size):  # from 0: Numba drops the negative-index check, so the loop vectorizes
                    ai[j] -= lik * ak[j]


@njit(**_JIT)
def _lu_factor_range(a, piv, info, lo, hi):
    for b in range(lo, hi):
        _lu1(a[b], piv[b], info[b:b + 1])


def _lu_factor_batch(a, piv, info) -> None:
    over_batch(_lu_factor_range, a.shape[0], a[0].size if a.shape[0] else 0, a, piv, info)


@njit(**_JIT)
def lu_det(lu, piv, out):
    """out[b] <- det of the matrix whose getrf factors are lu[b], piv[b]: U's diagonal product, negated per row
    swap (one pass, no temporaries: for small matrices the NumPy post-processing cost more than the LU). d is
    typed complex128 for a complex lu (Numba unifies it with the products)."""
    for b in range(lu.shape[0]):
        d = 1.0
        for i in range(min(lu.shape[1], lu.shape[2])):
            d *= lu[b, i, i]
            if piv[b, i] != i + 1:
                d = -d
        out[b] = d


@njit(**_JIT)
def lu_slogdet(lu, piv, sign, logabs):
    """sign[b], logabs[b] <- the sign and log |det| of the matrix whose getrf factors are lu[b], piv[b]: torch's
    sign is the product of the pivots' signs, (0 < u) - (u < 0), so a zero or NaN pivot gives sign 0 (log|det|
    then -inf or NaN)."""
    for b in range(lu.shape[0]):
        sg = 1.0
        perm = 1.0
        la = 0.0
        for i in range(min(lu.shape[1], lu.shape[2])):
            u = lu[b, i, i]
            sg *= 1.0 if u > 0.0 else (-1.0 if u < 0.0 else 0.0)
            if piv[b, i] != i + 1:
                perm = -perm
            la += math.log(abs(u))
        sign[b] = sg * perm  # (the permutation's sign last, as torch: a zero sign may come out -0.0)
        logabs[b] = la


@njit(**_JIT)
def _lu_solve1(lu, piv, x):
    n = lu.shape[0]
    k = x.shape[1]
    for i in range(n):  # the row interchanges, in order
        p = piv[i] - 1
        if p != i:
            for j in range(k):
                x[i, j], x[p, j] = x[p, j], x[i, j]
    for i in range(n):  # L y = P b (unit diagonal)
        for t in range(i):
            lit = lu[i, t]
            if lit != 0.0:
                for j in range(k):
                    x[i, j] -= lit * x[t, j]
    for i in range(n - 1, -1, -1):  # U x = y
        for t in range(i + 1, n):
            uit = lu[i, t]
            if uit != 0.0:
                for j in range(k):
                    x[i, j] -= uit * x[t, j]
        _div_row(x, i, lu[i, i])


@njit(**_JIT)
def _lu_solve_range(lu, piv, x, lo, hi):
    """x <- A^-1 x for A = P L U as lu_factor left it."""
    for b in range(lo, hi):
        _lu_solve1(lu[b], piv[b], x[b])


def _lu_solve_batch(lu, piv, x) -> None:
    over_batch(_lu_solve_range, x.shape[0], x[0].size if x.shape[0] else 0, lu, piv, x)


@njit(**_JIT)
def _tri_solve1(a, x, upper, unit):
    n = a.shape[0]
    k = x.shape[1]
    for s in range(n):
        i = n - 1 - s if upper else s
        lo, hi = (i + 1, n) if upper else (0, i)
        for t in range(lo, hi):
            ait = a[i, t]
            if ait != 0.0:
                for j in range(k):
                    x[i, j] -= ait * x[t, j]
        if not unit:
            d = a[i, i]
            for j in range(k):
                x[i, j] = _div(x[i, j], d)


@njit(**_JIT)
def _tri_solve_range(a, x, upper, unit, lo, hi):
    """x <- T^-1 x, T the upper or lower triangle of a (its diagonal taken as ones when unit)."""
    for b in range(lo, hi):
        _tri_solve1(a[b], x[b], upper, unit)


def _tri_solve_batch(a, x, upper, unit) -> None:
    over_batch(_tri_solve_range, x.shape[0], x[0].size if x.shape[0] else 0, a, x, upper, unit)


@njit(**_JIT)
def _chol1(a, info):
    """potrf / zpotrf (lower), A = L L^H: only the lower triangle and the diagonal's real part are read
    (conjugate() and .real are the identity on reals)."""
    n = a.shape[0]
    for j in range(n):
        s = a[j, j].real
        for t in range(j):
            z = a[j, t]
            s -= (z * z.conjugate()).real
        if not s > 0.0:  # also NaN
            info[0] = j + 1
            break
        d = math.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, n):
            z = a[i, j]
            for t in range(j):
                z -= a[i, t] * a[j, t].conjugate()
            a[i, j] = z / d
    for i in range(n):
        for j in range(i + 1, n):
            a[i, j] = 0.0


@njit(**_JIT)
def _cholesky_range(a, info, lo, hi):
    """a <- L with a = L L^H, from the lower triangle of a (the upper one zeroed)."""
    for b in range(lo, hi):
        _chol1(a[b], info[b:b + 1])


def _cholesky_batch(a, info) -> None:
    over_batch(_cholesky_range, a.shape[0], a[0].size if a.shape[0] else 0, a, info)


@njit(**_JIT)
def _qr1(a, q, v):
    """Householder QR as LAPACK's geqrf (R[k, k] = -sign(x0) |x|; no reflection when the column is already
    zero below the diagonal), then Q = H_0 ... H_(K-1) applied to the first q.shape[1] columns of I."""
    m, n = a.shape
    kk = min(m, n)
    w = np.empty(n)
    for k in range(kk):
        sig = 0.0
        for i in range(k + 1, m):
            sig += a[i, k] * a[i, k]
        v[k, k] = 0.0
        if sig == 0.0:
            continue
        x0 = a[k, k]
        nrm = math.sqrt(x0 * x0 + sig)
        beta = -nrm if x0 >= 0.0 else nrm
        v[k, k] = x0 - beta
        for i in range(k + 1, m):
            v[i, k] = a[i, k]
        vn = math.sqrt(v[k, k] * v[k, k] + sig)
        for i in range(k, m):
            v[i, k] /= vn
        for j in range(k, n):  # a <- (I - 2 v v^T) a on rows k.., columns k..
            w[j] = 0.0
        for i in range(k, m):
            vi = v[i, k]
            for j in range(k, n):
                w[j] += vi * a[i, j]
        for i in range(k, m):
            vi = 2.0 * v[i, k]
            for j in range(k, n):
                a[i, j] -= vi * w[j]
        a[k, k] = beta
        for i in range(k + 1, m):
            a[i, k] = 0.0
    mc = q.shape[1]
    wq = np.empty(mc)
    for i in range(m):
        for j in range(mc):
            q[i, j] = 1.0 if i == j else 0.0
    for k in range(kk - 1, -1, -1):
        if v[k, k] == 0.0:
            skip = True
            for i in range(k + 1, m):
                if v[i, k] != 0.0:
                    skip = False
            if skip:
                continue
        for j in range(mc):
            wq[j] = 0.0
        for i in range(k, m):
            vi = v[i, k]
            for j in range(mc):
                wq[j] += vi * q[i, j]
        for i in range(k, m):
            vi = 2.0 * v[i, k]
            for j in range(mc):
                q[i, j] -= vi * wq[j]


@njit(**_JIT)
def _qr_range(a, q, lo, hi):
    """a (B, m, n) <- R (its upper part; rows past n are zero), q (B, m, mc) <- the first mc columns of Q."""
    m, n = a.shape[1], a.shape[2]
    for b in range(lo, hi):
        v = np.zeros((m, min(m, n)))
        _qr1(a[b], q[b], v)


def _qr_batch(a, q) -> None:
    over_batch(_qr_range, a.shape[0], a[0].size if a.shape[0] else 0, a, q)


REFLECTOR_BLOCK = 32  # reflectors applied together (compact WY) by _apply_reflectors


@njit(**_JIT)
def _apply_reflectors(v, hh, r):
    """r <- P_{n-1} ... P_2 P_1 r for the reflectors _tred2(v, d, e, hh) leaves (P_1 applied first),
    REFLECTOR_BLOCK at a time in compact WY form: P_{a+b-1} ... P_a = I - Y T^T Y^T (T upper triangular, as
    LAPACK's dlarft forward), so each block costs two matrix products on the leading rows of r."""
    n = r.shape[0]
    nc = r.shape[1]
    for a in range(1, n, REFLECTOR_BLOCK):
        b = min(REFLECTOR_BLOCK, n - a)
        rows = a + b - 1
        yt = np.zeros((b, rows))
        tau = np.zeros(b)
        for jj in range(b):
            i = a + jj
            yt[jj, :i] = v[i, :i]
            if hh[i] != 0.0:
                tau[jj] = 1.0 / hh[i]
        tt = np.zeros((b, b))  # T^T, lower triangular
        for j in range(b):
            tt[j, j] = tau[j]
            if j == 0 or tau[j] == 0.0:
                continue
            wv = np.zeros(j)
            yj = yt[j]
            for q in range(j):
                yq = yt[q]
                s = 0.0
                for k in range(a + q):  # y_q is zero past a + q
                    s += yq[k] * yj[k]
                wv[q] = s
            for q in range(j):  # T[q, j] = -tau_j (T[:j, :j] w)[q] = -tau_j sum_p T[q, p] w[p], p >= q
                s = 0.0
                for p in range(q, j):
                    s += tt[p, q] * wv[p]
                tt[j, q] = -tau[j] * s
        lead = r[:rows]
        wm = np.empty((b, nc))
        _direct(yt, lead, wm)  # Y^T r
        w2 = np.empty((b, nc))
        _direct(tt, wm, w2)  # T^T Y^T r
        y = np.ascontiguousarray(yt.T)
        upd = np.empty((rows, nc))
        _direct(y, w2, upd)
        for i in range(rows):
            ri = lead[i]
            ui = upd[i]
            for k in range(nc):
                ri[k] -= ui[k]


@njit(**_FJIT)
def _tred2(v, d, e, hh=None):
    """Householder reduction of the symmetric v to tridiagonal form (d: diagonal, e: subdiagonal in e[1:]),
    v <- the TRANSPOSE of the accumulated orthogonal transformation (EISPACK tred2, as JAMA writes it, with
    every v[i, j] read as v[j, i]: the input is symmetric, and JAMA's column walks become contiguous rows).
    Given hh (n,), the reduction alone (no accumulation): row i of v <- the Householder vector u_i in v[i, :i]
    of the reflector P_i = I - u_i u_i^T / hh[i] (hh[i] = 0: none), A = Z T Z^T for Z = P_{n-1} ... P_1, as
    _apply_reflectors applies it. Whether hh is None is settled at compile time (Numba prunes the other
    branches), so the CUDA kernels compile this source with its three arguments."""
    n = v.shape[0]
    for j in range(n):
        d[j] = v[j, n - 1]
    for i in range(n - 1, 0, -1):
        scale = 0.0
        h = 0.0
        for k in range(i):
            scale += abs(d[k])
        if scale == 0.0:
            e[i] = d[i - 1]
            for j in range(i):
                d[j] = v[j, i - 1]
                v[j, i] = 0.0
                v[i, j] = 0.0
        else:
            for k in range(i):
                d[k] /= scale
                h += d[k] * d[k]
            f = d[i - 1]
            g = math.sqrt(h)
            if f > 0:
                g = -g
            e[i] = scale * g
            h = h - f * g
            d[i - 1] = f - g
            for j in range(i):
                e[j] = 0.0
            for j in range(i):
                f = d[j]
                v[i, j] = f
                g = e[j] + v[j, j] * f
                vj = v[j, j + 1:i]  # slices, so the loops index from 0 and vectorize (see _lu1)
                dj = d[j + 1:i]
                ej = e[j + 1:i]
                for k in range(vj.size):
                    g += vj[k] * dj[k]
                    ej[k] += vj[k] * f
                e[j] = g
            f = 0.0
            for j in range(i):
                e[j] /= h
                f += e[j] * d[j]
            hf = f / (h + h)
            for j in range(i):
                e[j] -= hf * d[j]
            for j in range(i):
                f = d[j]
                g = e[j]
                vj = v[j, j:i]
                ej = e[j:i]
                dj = d[j:i]
                for k in range(vj.size):
                    vj[k] -= f * ej[k] + g * dj[k]
                d[j] = v[j, i - 1]
                v[j, i] = 0.0
        d[i] = h
        if hh is not None:
            hh[i] = h
    if hh is not None:
        for j in range(n):
            d[j] = v[j, j]
        e[0] = 0.0
        hh[0] = 0.0
        return
    for i in range(n - 1):
        v[i, n - 1] = v[i, i]
        v[i, i] = 1.0
        h = d[i + 1]
        if h != 0.0:
            for k in range(i + 1):
                d[k] = v[i + 1, k] / h
            for j in range(i + 1):
                g = 0.0
                for k in range(i + 1):
                    g += v[i + 1, k] * v[j, k]
                for k in range(i + 1):
                    v[j, k] -= g * d[k]
        for k in range(i + 1):
            v[i + 1, k] = 0.0
    for j in range(n):
        d[j] = v[j, n - 1]
        v[j, n - 1] = 0.0
    v[n - 1, n - 1] = 1.0
    e[0] = 0.0


@njit(**_JIT)
def _to_unit(a):
    """Scale a in place by the power of two (exact) that brings its largest magnitude into [0.5, 1), so that no
    step of the reduction or of QL works in subnormals (1e-300 matrices) or overflows; returns the exponent to
    scale the eigenvalues back by (0 for a zero or non-finite a, left as it is)."""
    big = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            big = max(big, abs(a[i, j]))
    if not (big > 0.0 and math.isfinite(big)):
        return 0
    ex = math.frexp(big)[1]
    f = math.ldexp(1.0, -ex)
    if ex < -1000:  # 2^-ex itself would overflow: scale in two steps
        f = math.ldexp(1.0, -ex // 2)
        a *= f
        f = math.ldexp(1.0, -ex - (-ex // 2))
    a *= f
    return ex


@njit(**_JIT)
def _from_unit(w, ex):
    """w <- w * 2^ex (undoing _to_unit; ldexp per element, so nothing overflows on the way)."""
    if ex != 0:
        for i in range(w.shape[0]):
            w[i] = math.ldexp(w[i], ex)


@njit(**_JIT)
def _sort_columns(r, w, vec):
    """w <- w ascending, vec[:, i] <- the column of r (the eigenvectors as columns) that goes with w[i], signed
    so that its largest component (the first such) is positive: _eigh1's convention, by row passes."""
    n = w.shape[0]
    order = np.argsort(w, kind="mergesort")
    ws = w[order].copy()
    w[:] = ws
    big = np.zeros(n)
    val = np.zeros(n)
    for k in range(n):
        rk = r[k]
        for c in range(n):
            x = abs(rk[c])
            if x > big[c]:
                big[c] = x
                val[c] = rk[c]
    sgn = np.empty(n)
    for i in range(n):
        sgn[i] = -1.0 if val[order[i]] < 0.0 else 1.0
    for k in range(n):
        rk = r[k]
        vk = vec[k]
        for i in range(n):
            vk[i] = sgn[i] * rk[order[i]]


EIGH_DC_MIN = 48  # order from which the tridiagonal step goes by divide and conquer (QL is faster up to ~40)


@njit(**_JIT)
def _eigh1(a, vec, w):
    """Symmetric eigendecomposition of a (both triangles set; destroyed): tridiagonal reduction, then divide
    and conquer (tridiag_dc) with one product back through the reduction, or implicit QL rotating the reduction
    itself for small orders. w <- eigenvalues ascending, vec <- the eigenvectors as columns (each one's largest
    component positive, a deterministic convention)."""
    n = a.shape[0]
    if n == 0:
        return
    e = np.zeros(n)
    ex = _to_unit(a)
    if n >= EIGH_DC_MIN:
        hh = np.empty(n)
        _tred2(a, w, e, hh)
        q = np.empty((n, n))
        tridiag_eig(w, e, q)
        r = np.ascontiguousarray(q.T)  # columns: T's eigenvectors...
        _apply_reflectors(a, hh, r)  # ...taken back through the reduction: A's
        _sort_columns(r, w, vec)
        _from_unit(w, ex)
        return
    _tred2(a, w, e)
    vt = a
    _tql2(vt, w, e)
    _from_unit(w, ex)
    order = np.argsort(w, kind="mergesort")
    ws = w[order].copy()
    for i in range(n):
        w[i] = ws[i]
        src = order[i]
        big = 0
        for k in range(n):
            if abs(vt[src, k]) > abs(vt[src, big]):
                big = k
        sgn = -1.0 if vt[src, big] < 0.0 else 1.0
        for k in range(n):
            vec[k, i] = sgn * vt[src, k]


@njit(**_JIT)
def _eigh_range(a, vec, w, lo, hi):
    for b in range(lo, hi):
        _eigh1(a[b], vec[b], w[b])


def eigh(a, vec, w) -> None:
    over_batch(_eigh_range, a.shape[0], a[0].size if a.shape[0] else 0, a, vec, w)


@njit(**_JIT)
def _eigvalsh1(a, w):
    """Eigenvalues only (ascending) of the symmetric a (destroyed): the reduction without its accumulation, then
    QL without rotating any vectors."""
    n = a.shape[0]
    if n == 0:
        return
    e = np.zeros(n)
    ex = _to_unit(a)
    _tred2(a, w, e, np.empty(n))
    _tql2(np.empty((n, 0)), w, e)
    w.sort()
    _from_unit(w, ex)


@njit(**_JIT)
def _eigvalsh_range(a, w, lo, hi):
    for b in range(lo, hi):
        _eigvalsh1(a[b], w[b])


def eigvalsh(a, w) -> None:
    over_batch(_eigvalsh_range, a.shape[0], a[0].size if a.shape[0] else 0, a, w)


@njit(**_JIT)
def _complete_rows(u, k0):
    """Rows k0.. of u (r, m), zero on entry, <- an orthonormal completion of rows 0..k0-1 (Gram-Schmidt on
    the unit vectors, twice for stability)."""
    r, m = u.shape
    row = k0
    e = 0
    while row < r and e < m:
        x = np.zeros(m)
        x[e] = 1.0
        for _rep in range(2):
            for t in range(row):
                d = 0.0
                for j in range(m):
                    d += u[t, j] * x[j]
                for j in range(m):
                    x[j] -= d * u[t, j]
        nrm = 0.0
        for j in range(m):
            nrm += x[j] * x[j]
        nrm = math.sqrt(nrm)
        if nrm > 1e-8:
            for j in range(m):
                u[row, j] = x[j] / nrm
            row += 1
        e += 1


@njit(**_FJIT)
def _svd1(at, v, ut, vt, s, vectors):
    """One-sided Jacobi on the rows of at (n, m), m >= n, the columns of A: rotate pairs of rows until they
    are orthogonal, v (n, n) collecting the rotations (it enters as the rotation already applied to at: the
    identity, or a preconditioner's). Then s <- the row norms descending and, with vectors, ut (r, m) <- the
    normalised rows (completed to r orthonormal rows), vt <- V^T rows in the same order (without: v, ut and vt
    are left alone, which saves the rotations of v)."""
    n, m = at.shape
    sq = np.empty(n)  # squared row norms, refreshed each sweep and updated by each rotation
    for _sweep in range(100):
        for i in range(n):
            d = 0.0
            for k in range(m):
                d += at[i, k] * at[i, k]
            sq[i] = d
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                alpha = sq[p]
                beta = sq[q]
                gamma = 0.0
                for k in range(m):
                    gamma += at[p, k] * at[q, k]
                if gamma == 0.0 or abs(gamma) <= 1e-15 * math.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                t = 1.0 / (abs(zeta) + math.sqrt(1.0 + zeta * zeta))
                if zeta < 0.0:
                    t = -t
                c = 1.0 / math.sqrt(1.0 + t * t)
                sn = c * t
                for k in range(m):
                    x, y = at[p, k], at[q, k]
                    at[p, k] = c * x - sn * y
                    at[q, k] = sn * x + c * y
                if vectors:
                    for k in range(n):
                        x, y = v[p, k], v[q, k]
                        v[p, k] = c * x - sn * y
                        v[q, k] = sn * x + c * y
                sq[p] = alpha - t * gamma
                sq[q] = beta + t * gamma
        if not rotated:
            break
    norms = np.empty(n)
    for i in range(n):
        d = 0.0
        for k in range(m):
            d += at[i, k] * at[i, k]
        norms[i] = math.sqrt(d)
    order = np.argsort(-norms, kind="mergesort")
    if not vectors:
        for i in range(n):
            s[i] = norms[order[i]]
        return
    tol = norms[order[0]] * 2.220446049250313e-16 if n > 0 else 0.0  # below: numerically zero, completed
    rank = 0
    for i in range(n):
        src = order[i]
        s[i] = norms[src]
        for k in range(n):
            vt[i, k] = v[src, k]
        if norms[src] > tol and norms[src] > 0.0:
            for k in range(m):
                ut[i, k] = at[src, k] / norms[src]
            rank = i + 1
    for i in range(rank, ut.shape[0]):
        for k in range(m):
            ut[i, k] = 0.0
    _complete_rows(ut, rank)


@njit(**_JIT)
def _svd_range(at, v, ut, vt, s, vectors, lo, hi):
    """at (B, n, m) with m >= n: A^T, already rotated by v (B, n, n; the identity when not preconditioned).
    s (B, n) <- the singular values; with vectors, ut (B, r, m) <- U^T (r = n or m), vt (B, n, n) <- V^T
    (without, ut and vt may be empty). at and v are overwritten."""
    for b in range(lo, hi):
        _svd1(at[b], v[b], ut[b], vt[b], s[b], vectors)


def svd(at, v, ut, vt, s, vectors) -> None:
    over_batch(_svd_range, at.shape[0], at[0].size if at.shape[0] else 0, at, v, ut, vt, s, vectors)


# ---------------------------------------------------------------------------------------------
# Blocked factorizations (matrices of order BLOCKED_MIN and up). Most flops go through the packed matmul
# kernel (threaded there from its PARALLEL_WORK on): LU recursively splits its columns in halves (Toledo),
# narrow leaves factored left-looking; Cholesky is right-looking by panels; triangular solves go by diagonal
# blocks plus one product each; QR applies each panel's reflectors in compact WY form (two products and a
# small one). Panels and diagonal blocks work on transposed copies or row slices so their inner loops run
# along contiguous rows. The drivers are Python: tens of calls per matrix, small against the products from
# BLOCKED_MIN on. Smaller matrices (and batches of them) keep the unblocked loops, one task each.
# ---------------------------------------------------------------------------------------------

BLOCK = 64  # panel width
LEAF = 32  # panel width at the leaves of the recursive LU
BLOCKED_MIN = 96  # order (min(m, n)) from which the blocked drivers run


def _block(n: int) -> int:
    """Panel width: wider panels make the trailing products more efficient on big matrices."""
    return BLOCK if n < 768 else 2 * BLOCK


def _gemm_sub(c, a, b) -> None:
    """c -= a @ b through the packed matmul kernel (c, a, b: float64 views of any strides)."""
    if c.shape[0] == 0 or c.shape[1] == 0 or a.shape[1] == 0:
        return
    tmp = np.empty((a.shape[0], b.shape[1]))
    matmul_into(a, b, tmp)
    with np.errstate(all="ignore"):  # inf / nan inputs: no warnings, as the loops give none
        c -= tmp


@njit(**_JIT)
def _axpy4(y, lo, hi, x0, x1, x2, x3, f0, f1, f2, f3):
    """y[lo:hi] -= f0 x0 + f1 x1 + f2 x2 + f3 x3: four updates per load and store of y (on slices indexed from
    0, so that Numba drops its negative-index checks and the loop vectorizes)."""
    ys, a0, a1, a2, a3 = y[lo:hi], x0[lo:hi], x1[lo:hi], x2[lo:hi], x3[lo:hi]
    for i in range(ys.size):
        ys[i] -= f0 * a0[i] + f1 * a1[i] + f2 * a2[i] + f3 * a3[i]


@njit(**_JIT)
def _rows_update(y, rows, f, lo, hi):
    """y[lo:hi] -= sum over t of f[t] rows[t, lo:hi] (row t of rows skipped where f[t] is 0)."""
    kt = f.shape[0]
    t = 0
    while t + 4 <= kt:
        _axpy4(y, lo, hi, rows[t], rows[t + 1], rows[t + 2], rows[t + 3], f[t], f[t + 1], f[t + 2], f[t + 3])
        t += 4
    while t < kt:
        ft = f[t]
        if ft != 0.0:
            ys, r = y[lo:hi], rows[t, lo:hi]
            for i in range(ys.size):
                ys[i] -= ft * r[i]
        t += 1


@njit(**_JIT)
def _lu_panel(a, k0, bw, n_end, piv, info):
    """Factor columns k0..k0+bw of a (rows k0..) with partial pivoting, swap the same rows in the other
    columns, and replace the block row a[k0:k0+bw, k0+bw:n_end] with U12 = L11^-1 A12. The panel is factored
    left-looking in a transposed copy: each column, held in L1, takes the updates of all earlier ones
    four at a time along contiguous rows."""
    m, n = a.shape
    mp = m - k0
    pt = np.empty((bw, mp))
    for i in range(mp):
        for j in range(bw):
            pt[j, i] = a[k0 + i, k0 + j]
    for k in range(bw):
        col = pt[k]
        for t in range(k):  # U[0:k, k] = L11^-1 col[0:k]
            f = col[t]
            if f != 0.0:
                r = pt[t]
                for i in range(t + 1, k):
                    col[i] -= f * r[i]
        _rows_update(col, pt, col[:k].copy(), k, mp)
        p = k
        best = abs(col[k])
        for i in range(k + 1, mp):
            v = abs(col[i])
            if v > best:
                best, p = v, i
        piv[k0 + k] = k0 + p + 1
        if p != k:
            for j in range(bw):
                pt[j, k], pt[j, p] = pt[j, p], pt[j, k]
        d = col[k]
        if d == 0.0:
            if info[0] == 0:
                info[0] = k0 + k + 1
            continue
        inv = 1.0 / d
        for i in range(k + 1, mp):
            col[i] *= inv
    for i in range(mp):
        for j in range(bw):
            a[k0 + i, k0 + j] = pt[j, i]
    for k in range(k0, k0 + bw):  # the interchanges, in order, on the columns outside the panel
        p = piv[k] - 1
        if p != k:
            for j in range(k0):
                a[k, j], a[p, j] = a[p, j], a[k, j]
            for j in range(k0 + bw, n):
                a[k, j], a[p, j] = a[p, j], a[k, j]
    k1 = k0 + bw
    if k1 < n_end:  # U12 = L11^-1 A12, row by row
        blk = a[k0:k1, k0:k1]
        u = a[k0:k1]
        for i in range(1, bw):
            _rows_update(u[i], u, blk[i, :i].copy(), k1, n_end)


@njit(**_JIT)
def _unit_lower_solve(a, r0, r1, c0, c1):
    """a[r0:r1, c0:c1] <- L^-1 a[r0:r1, c0:c1], L the unit lower triangle of a[r0:r1, r0:r1]; row by row,
    on a itself (row slices of a C-contiguous array keep their inner loops vectorized)."""
    rows = a[r0:r1]
    for i in range(r0 + 1, r1):
        _rows_update(a[i], rows, a[i, r0:i].copy(), c0, c1)


def _unit_lower_blocked(a, r0, r1, c0, c1) -> None:
    """_unit_lower_solve by blocks of LEAF rows, each block's effect on the rows below as one product."""
    for i0 in range(r0, r1, LEAF):
        i1 = min(i0 + LEAF, r1)
        _unit_lower_solve(a, i0, i1, c0, c1)
        _gemm_sub(a[i1:r1, c0:c1], a[i1:r1, i0:i1], a[i0:i1, c0:c1])


def _lu_rec(a, k0, k1, piv, info, leaf) -> None:
    """Factor columns k0..k1 of a (rows k0..; the row interchanges applied to every column): the left half
    recursively, its U12 by a blocked triangular solve, the right half's rows below by one product, then
    the right half recursively. Most flops land in large products, as in Toledo's recursive LU."""
    w = k1 - k0
    if w <= leaf:
        _lu_panel(a, k0, w, k1, piv, info)
        return
    h = max(8, (w // 2) // 8 * 8)
    km = k0 + h
    _lu_rec(a, k0, km, piv, info, leaf)
    _unit_lower_blocked(a, k0, km, km, k1)
    _gemm_sub(a[km:, km:k1], a[km:, k0:km], a[k0:km, km:k1])
    _lu_rec(a, km, k1, piv, info, leaf)


def _lu_blocked(a, piv, info) -> None:
    m, n = a.shape
    kk = min(m, n)
    _lu_rec(a, 0, kk, piv, info, LEAF)
    if n > m:  # the columns right of the square part: U = L^-1 A
        _unit_lower_blocked(a, 0, m, m, n)


def lu_factor(a, piv, info) -> None:
    """a (B, m, n) <- P L U packed as LAPACK's getrf, piv (B, min(m, n)) <- 1-based pivots, info (B,)."""
    if min(a.shape[1], a.shape[2]) < BLOCKED_MIN:
        _lu_factor_batch(a, piv, info)
        return
    for b in range(a.shape[0]):
        _lu_blocked(a[b], piv[b], info[b:b + 1])


@njit(**_JIT)
def _swap_rows(x, piv):
    for i in range(piv.shape[0]):
        p = piv[i] - 1
        if p != i:
            for j in range(x.shape[1]):
                x[i, j], x[p, j] = x[p, j], x[i, j]


def _tri_blocked(t, x, upper: bool, unit: bool, lower_rhs: bool = False) -> None:
    """x <- T^-1 x, T the upper or lower triangle of t: diagonal blocks by the unblocked loop, the rest of
    x updated by one product per block. lower_rhs (T lower): x is lower triangular (the identity), so a
    block of rows i0..i1 has no entries right of column i1 and the products skip them (n^3/3 flops)."""
    n = t.shape[0]
    nb = _block(n)
    starts = list(range(0, n, nb))
    for i0 in reversed(starts) if upper else starts:
        i1 = min(i0 + nb, n)
        _tri_solve1(t[i0:i1, i0:i1], x[i0:i1], upper, unit)
        if upper:
            _gemm_sub(x[:i0], t[:i0, i0:i1], x[i0:i1])
        elif lower_rhs:
            _gemm_sub(x[i1:, :i1], t[i1:, i0:i1], x[i0:i1, :i1])
        else:
            _gemm_sub(x[i1:], t[i1:, i0:i1], x[i0:i1])


@njit(**_JIT)
def _swap_cols_back(x, piv):
    """x <- x S with S the interchanges of piv applied in order (columns swapped from the last one back)."""
    for i in range(piv.shape[0] - 1, -1, -1):
        p = piv[i] - 1
        if p != i:
            for r in range(x.shape[0]):
                x[r, i], x[r, p] = x[r, p], x[r, i]


def lu_inv(lu, piv, x) -> None:
    """x <- A^-1 for A = P L U as lu_factor left it (x's contents are overwritten): U^-1 L^-1 computed with
    L^-1's triangular shape, then the interchanges applied to its columns, as LAPACK's getri (2 n^3 flops
    with the factorization)."""
    x[...] = 0.0
    for i in range(x.shape[1]):
        x[:, i, i] = 1.0
    if lu.shape[1] < BLOCKED_MIN:
        _lu_solve_batch(lu, piv, x)
        return
    for b in range(x.shape[0]):
        _tri_blocked(lu[b], x[b], False, True, True)
        _tri_blocked(lu[b], x[b], True, False)
        _swap_cols_back(x[b], piv[b])


def lu_solve(lu, piv, x) -> None:
    """x <- A^-1 x for A = P L U as lu_factor left it."""
    if lu.shape[1] < BLOCKED_MIN:
        _lu_solve_batch(lu, piv, x)
        return
    for b in range(x.shape[0]):
        _swap_rows(x[b], piv[b])
        _tri_blocked(lu[b], x[b], False, True)
        _tri_blocked(lu[b], x[b], True, False)


def tri_solve(a, x, upper, unit) -> None:
    """x <- T^-1 x, T the upper or lower triangle of a (its diagonal taken as ones when unit)."""
    if a.shape[1] < BLOCKED_MIN:
        _tri_solve_batch(a, x, upper, unit)
        return
    for b in range(x.shape[0]):
        _tri_blocked(a[b], x[b], bool(upper), bool(unit))


@njit(**_JIT)
def _chol_panel(a, k0, bw, info):
    """Cholesky of the diagonal block a[k0:k1, k0:k1] (already updated), then L21 = A21 L11^-T below it.
    Returns False (info set) when the block is not positive-definite."""
    n = a.shape[0]
    k1 = k0 + bw
    for j in range(k0, k1):
        s = a[j, j]
        for t in range(k0, j):
            s -= a[j, t] * a[j, t]
        if not s > 0.0:
            info[0] = j + 1
            return False
        d = math.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, k1):
            s = a[i, j]
            for t in range(k0, j):
                s -= a[i, t] * a[j, t]
            a[i, j] = s / d
    m2 = n - k1
    if m2 > 0:  # L21 = A21 L11^-T, solved on its transpose: row j of L21^T takes the rows before it
        xt = np.empty((bw, m2))
        for i in range(m2):
            for j in range(bw):
                xt[j, i] = a[k1 + i, k0 + j]
        for j in range(bw):
            row = xt[j]
            _rows_update(row, xt, a[k0 + j, k0:k0 + j].copy(), 0, m2)
            inv = 1.0 / a[k0 + j, k0 + j]
            for i in range(m2):
                row[i] *= inv
        for i in range(m2):
            for j in range(bw):
                a[k1 + i, k0 + j] = xt[j, i]
    return True


@njit(**_JIT)
def _zero_upper(a):
    n = a.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            a[i, j] = 0.0


def _chol_blocked(a, info) -> None:
    n = a.shape[0]
    nb = _block(n)
    chunk = max(nb, 256)  # rows per product of the trailing update (only blocks on or below the diagonal)
    for k0 in range(0, n, nb):
        k1 = min(k0 + nb, n)
        if not _chol_panel(a, k0, k1 - k0, info):
            break
        l21 = a[k1:, k0:k1]
        for r0 in range(0, n - k1, chunk):
            r1 = min(r0 + chunk, n - k1)
            _gemm_sub(a[k1 + r0:k1 + r1, k1:k1 + r1], l21[r0:r1], l21[:r1].T)
    _zero_upper(a)


def cholesky(a, info) -> None:
    """a <- L with a = L L^T, from the lower triangle of a (the upper one zeroed)."""
    if a.shape[1] < BLOCKED_MIN:
        _cholesky_batch(a, info)
        return
    for b in range(a.shape[0]):
        _chol_blocked(a[b], info[b:b + 1])


@njit(fastmath={"reassoc", "contract"}, **_JIT)
def _dot_from(x, y, lo):
    """sum over i >= lo of x[i] y[i], in vectorized partial sums (reassociation only)."""
    s = 0.0
    for i in range(lo, x.shape[0]):
        s += x[i] * y[i]
    return s


@njit(**_JIT)
def _qr_panel(a, k0, bw, vt, tm):
    """Householder QR of the panel a[k0:, k0:k0+bw] as _qr1 does it (R written back, zeros below), in a
    transposed copy so each reflection runs along contiguous rows. vt (bw, m - k0) <- the unit vectors v_j
    (zero before j), tm (bw, bw) <- T of the compact WY form H_0 ... H_(bw-1) = I - V T V^T (LAPACK larft)."""
    m = a.shape[0]
    mp = m - k0
    pt = np.empty((bw, mp))
    for i in range(mp):
        for j in range(bw):
            pt[j, i] = a[k0 + i, k0 + j]
    vt[:, :] = 0.0
    tm[:, :] = 0.0
    for k in range(bw):
        x = pt[k]
        sig = _dot_from(x, x, k + 1)
        if sig == 0.0:
            continue
        x0 = x[k]
        nrm = math.sqrt(x0 * x0 + sig)
        beta = -nrm if x0 >= 0.0 else nrm
        v = vt[k]
        v[k] = x0 - beta
        for i in range(k + 1, mp):
            v[i] = x[i]
        vn = math.sqrt(v[k] * v[k] + sig)
        for i in range(k, mp):
            v[i] /= vn
        for j in range(k + 1, bw):  # the later panel columns <- (I - 2 v v^T) column
            y = pt[j]
            f = 2.0 * _dot_from(v, y, k)
            for i in range(k, mp):
                y[i] -= f * v[i]
        x[k] = beta
        for i in range(k + 1, mp):
            x[i] = 0.0
        tm[k, k] = 2.0
        for i in range(k):  # T[0:k, k] = -2 T[0:k, 0:k] (V[:, 0:k]^T v_k)
            tm[i, k] = _dot_from(vt[i], v, k)
        for i in range(k):
            s = 0.0
            for t in range(i, k):
                s += tm[i, t] * tm[t, k]
            tm[i, k] = s
        for i in range(k):
            tm[i, k] *= -2.0
    for i in range(mp):
        for j in range(bw):
            a[k0 + i, k0 + j] = pt[j, i]


def _wy_apply(c, v, tm, trans: bool) -> None:
    """c <- (I - V T V^T) c, or with T^T when trans: three products."""
    if c.shape[1] == 0:
        return
    w = np.empty((v.shape[1], c.shape[1]))
    matmul_into(v.T, c, w)
    w2 = np.empty_like(w)
    matmul_into(tm.T if trans else tm, w, w2)
    _gemm_sub(c, v, w2)


def _qr_blocked(a, q) -> None:
    m, n = a.shape
    kk = min(m, n)
    nb = _block(kk) // 2
    panels = []
    for k0 in range(0, kk, nb):
        bw = min(nb, kk - k0)
        vt = np.empty((bw, m - k0))
        tm = np.empty((bw, bw))
        _qr_panel(a, k0, bw, vt, tm)
        v = vt.T  # (m - k0, bw)
        _wy_apply(a[k0:, k0 + bw:], v, tm, True)
        panels.append((k0, v, tm))
    mc = q.shape[1]
    q[:, :] = 0.0
    np.fill_diagonal(q, 1.0)
    for k0, v, tm in reversed(panels):
        if k0 < mc:
            _wy_apply(q[k0:, k0:], v, tm, False)


def qr(a, q) -> None:
    """a (B, m, n) <- R (its upper part; rows past n are zero), q (B, m, mc) <- the first mc columns of Q."""
    if min(a.shape[1], a.shape[2]) < BLOCKED_MIN:
        _qr_batch(a, q)
        return
    for b in range(a.shape[0]):
        _qr_blocked(a[b], q[b])


# -- geqrf (compact Householder QR) and the Bunch-Kaufman LDL^T of a symmetric matrix (sytrf / sytrs) ----------
@njit(**_JIT)
def _geqrf1(a, tau):
    """_geqrf_ws with its workspace allocated."""
    _geqrf_ws(a, tau, np.empty(a.shape[1], a.dtype))


@njit(**_JIT)
def _geqrf_ws(a, tau, w):
    """LAPACK geqr2 / zgeqr2: a <- R on and above the diagonal (a real diagonal), the reflectors' v (v[i] = 1
    implied) below it; H = I - tau v v^H with tau[i] = (beta - alpha) / beta, 0 when alpha is real and the rest
    of the column zero (dlarfg / zlarfg). conjugate(), .real and .imag make the complex steps the real ones on
    float64 (no cost there). w (n,) is workspace (allocation-free: the CUDA kernel compiles this function)."""
    m, n = a.shape
    for i in range(tau.shape[0]):
        sig = 0.0
        for r in range(i + 1, m):
            z = a[r, i]
            sig += (z * z.conjugate()).real
        alpha = a[i, i]
        if sig == 0.0 and alpha.imag == 0.0:
            tau[i] = 0.0
            continue
        beta = -math.copysign(math.sqrt((alpha * alpha.conjugate()).real + sig), alpha.real)
        t = (beta - alpha) / beta
        tau[i] = t
        scale = 1.0 / (alpha - beta)
        for r in range(i + 1, m):
            a[r, i] *= scale
        a[i, i] = beta
        tc = t.conjugate()  # a[i:, i+1:] <- H^H a[i:, i+1:] = a - conj(tau) v (v^H a)
        for j in range(i + 1, n):
            w[j] = a[i, j]
        for r in range(i + 1, m):
            vr = a[r, i].conjugate()
            for j in range(i + 1, n):
                w[j] += vr * a[r, j]
        for j in range(i + 1, n):
            a[i, j] -= tc * w[j]
        for r in range(i + 1, m):
            f = tc * a[r, i]
            for j in range(i + 1, n):
                a[r, j] -= f * w[j]


@njit(**_JIT)
def _geqrf_range(a, tau, lo, hi):
    for b in range(lo, hi):
        _geqrf1(a[b], tau[b])


def _geqrf_batch(a, tau) -> None:
    over_batch(_geqrf_range, a.shape[0], a[0].size if a.shape[0] else 0, a, tau)


@njit(**_JIT)
def _store_reflectors(a, k0, vt, tau):
    """Write a panel's unit reflectors v_j (I - 2 v v^T) in LAPACK's form below the diagonal: v / v[j] (first
    entry 1, implied) and tau = 2 v[j]^2 (= (beta - alpha) / beta); a zero v (no reflection) gives tau 0."""
    for j in range(vt.shape[0]):
        v = vt[j]
        vj = v[j]
        tau[k0 + j] = 2.0 * vj * vj
        if vj != 0.0:
            for i in range(j + 1, v.shape[0]):
                a[k0 + i, k0 + j] = v[i] / vj


def _geqrf_blocked(a, tau) -> None:
    """geqrf by the compact-WY panels of _qr_blocked (the same reflections), then LAPACK's storage."""
    m, n = a.shape
    kk = min(m, n)
    nb = _block(kk) // 2
    for k0 in range(0, kk, nb):
        bw = min(nb, kk - k0)
        vt = np.empty((bw, m - k0))
        tm = np.empty((bw, bw))
        _qr_panel(a, k0, bw, vt, tm)
        _wy_apply(a[k0:, k0 + bw:], vt.T, tm, True)
        _store_reflectors(a, k0, vt, tau)


def geqrf(a, tau) -> None:
    """a (B, m, n) <- geqrf's compact form, tau (B, min(m, n)) <- the reflectors' scales."""
    if min(a.shape[1], a.shape[2]) < BLOCKED_MIN:
        if a.shape[0] == 1:  # one matrix: no parallel region to start (its wake-up costs more than the work)
            _geqrf1(a[0], tau[0])
        else:
            _geqrf_batch(a, tau)
        return
    for b in range(a.shape[0]):
        _geqrf_blocked(a[b], tau[b])


@njit(**_JIT)
def _swap_sym_lower(a, kk, kp, herm):
    """Interchange rows and columns kk < kp of the trailing lower triangle (dsytf2's swap; zhetf2's, when herm,
    conjugates the entries that cross the diagonal and keeps the diagonal real)."""
    n = a.shape[0]
    for i in range(kp + 1, n):
        a[i, kk], a[i, kp] = a[i, kp], a[i, kk]
    if herm:
        for j in range(kk + 1, kp):
            a[j, kk], a[kp, j] = a[kp, j].conjugate(), a[j, kk].conjugate()
        a[kp, kk] = a[kp, kk].conjugate()
        a[kk, kk], a[kp, kp] = a[kp, kp].real, a[kk, kk].real
    else:
        for j in range(kk + 1, kp):
            a[j, kk], a[kp, j] = a[kp, j], a[j, kk]
        a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]


@njit(**_JIT)
def _dmag(z, herm):
    """The diagonal's magnitude for the pivot tests: |re| (Hermitian: the diagonal is real) or |re| + |im|."""
    return abs(z.real) if herm else _pivot_mag(z)


@njit(**_JIT)
def _ldl1(a, piv, info, herm):
    """_ldl_ws with its workspace allocated."""
    _ldl_ws(a, piv, info, herm, np.empty(a.shape[0], a.dtype), np.empty(a.shape[0], a.dtype))


@njit(**_JIT)
def _ldl_ws(a, piv, info, herm, w1, w2):
    """LAPACK dsytf2 / zsytf2 (uplo 'L'): Bunch-Kaufman A = L D L^T in place of a's lower triangle, pivoting on
    _pivot_mag (|re| + |im| for complex values), or, when herm (complex a), A = L D L^H with a real diagonal
    (zhetf2). piv is 1-based; a 2x2 block at k, k+1 stores -p in both entries; the strict upper triangle is
    zeroed. info[0] <- the first k (1-based) with a zero pivot. w1, w2 (n,) are workspace."""
    n = a.shape[0]
    alpha = (1.0 + math.sqrt(17.0)) / 8.0
    info[0] = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = _dmag(a[k, k], herm)
        imax = k
        colmax = 0.0
        for i in range(k + 1, n):
            if _pivot_mag(a[i, k]) > colmax:
                colmax = _pivot_mag(a[i, k])
                imax = i
        if max(absakk, colmax) == 0.0 or absakk != absakk:
            if info[0] == 0:
                info[0] = k + 1
            kp = k
            if herm:
                a[k, k] = a[k, k].real
        else:
            if absakk >= alpha * colmax:
                kp = k
            else:
                rowmax = 0.0
                for j in range(k, imax):
                    rowmax = max(rowmax, _pivot_mag(a[imax, j]))
                for j in range(imax + 1, n):
                    rowmax = max(rowmax, _pivot_mag(a[j, imax]))
                if absakk >= alpha * colmax * (colmax / rowmax):
                    kp = k
                elif _dmag(a[imax, imax], herm) >= alpha * rowmax:
                    kp = imax
                else:
                    kp = imax
                    kstep = 2
            kk = k + kstep - 1
            if kp != kk:
                _swap_sym_lower(a, kk, kp, herm)
                if kstep == 2:
                    if herm:
                        a[k, k] = a[k, k].real
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            elif herm:
                a[k, k] = a[k, k].real
                if kstep == 2:
                    a[k + 1, k + 1] = a[k + 1, k + 1].real
            if herm and kstep == 1:  # A <- A - r1 x x^H (zher), L's column = r1 x
                r1 = 1.0 / a[k, k].real
                for i in range(k + 1, n):
                    f = a[i, k] * r1
                    for j in range(k + 1, i + 1):
                        a[i, j] -= f * a[j, k].conjugate()
                    a[i, i] = a[i, i].real
                for i in range(k + 1, n):
                    a[i, k] *= r1
            elif herm:
                if k < n - 2:
                    z = a[k + 1, k]
                    d = abs(z)
                    d11 = a[k + 1, k + 1].real / d
                    d22 = a[k, k].real / d
                    tt = 1.0 / (d11 * d22 - 1.0)
                    d21 = z / d
                    d = tt / d
                    for j in range(k + 2, n):
                        w1[j] = d * (d11 * a[j, k] - d21 * a[j, k + 1])
                        w2[j] = d * (d22 * a[j, k + 1] - d21.conjugate() * a[j, k])
                    for i in range(k + 2, n):
                        f1, f2 = a[i, k], a[i, k + 1]
                        for j in range(k + 2, i + 1):
                            a[i, j] -= f1 * w1[j].conjugate() + f2 * w2[j].conjugate()
                        a[i, i] = a[i, i].real
                    for j in range(k + 2, n):
                        a[j, k] = w1[j]
                        a[j, k + 1] = w2[j]
            elif kstep == 1:
                d11 = _div(1.0, a[k, k])
                for j in range(k + 1, n):
                    w1[j] = d11 * a[j, k]
                for i in range(k + 1, n):
                    f = a[i, k]
                    for j in range(k + 1, i + 1):
                        a[i, j] -= f * w1[j]
                for i in range(k + 1, n):
                    a[i, k] = w1[i]
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11 = _div(a[k + 1, k + 1], d21)
                d22 = _div(a[k, k], d21)
                t = _div(1.0, d11 * d22 - 1.0)
                d21 = _div(t, d21)
                for j in range(k + 2, n):
                    w1[j] = d21 * (d11 * a[j, k] - a[j, k + 1])
                    w2[j] = d21 * (d22 * a[j, k + 1] - a[j, k])
                for i in range(k + 2, n):
                    f1, f2 = a[i, k], a[i, k + 1]
                    for j in range(k + 2, i + 1):
                        a[i, j] -= f1 * w1[j] + f2 * w2[j]
                for j in range(k + 2, n):
                    a[j, k] = w1[j]
                    a[j, k + 1] = w2[j]
        if kstep == 1:
            piv[k] = kp + 1
        else:
            piv[k] = -(kp + 1)
            piv[k + 1] = -(kp + 1)
        k += kstep
    for i in range(n):
        for j in range(i + 1, n):
            a[i, j] = 0.0


@njit(**_JIT)
def _ldl_factor_range(a, piv, info, herm, lo, hi):
    for b in range(lo, hi):
        _ldl1(a[b], piv[b], info[b:b + 1], herm)


def _ldl_factor_batch(a, piv, info, herm) -> None:
    over_batch(_ldl_factor_range, a.shape[0], a[0].size if a.shape[0] else 0, a, piv, info, herm)


def ldl_factor(a, piv, info, herm: bool = False) -> None:
    """a (B, n, n) <- LD (compact L and D), piv (B, n) <- sytrf's pivots (zhetrf's for a complex a when herm),
    info (B,) <- LAPACK's info."""
    if a.shape[0] == 1:
        _ldl1(a[0], piv[0], info, herm)
    else:
        _ldl_factor_batch(a, piv, info, herm)


@njit(**_JIT)
def _swap_rows2(x, i, j):
    for c in range(x.shape[1]):
        x[i, c], x[j, c] = x[j, c], x[i, c]


@njit(**_JIT)
def _ldl_solve1(a, piv, x, herm):
    """dsytrs / zsytrs / zhetrs (herm) (uplo 'L'): x <- A^-1 x from the LD and pivots of _ldl1. Pivots in
    [-n, -1] U [1, n] (the front end checks) that do not pair up as sytrf's (a lone negative one at an end) are read
    as 1x1 blocks there, so that no index leaves the matrix."""
    n, nr = x.shape
    k = 0
    while k < n:  # L D y = P b
        if piv[k] > 0 or k + 1 == n:
            kp = abs(piv[k]) - 1
            if kp != k:
                _swap_rows2(x, k, kp)
            for i in range(k + 1, n):
                f = a[i, k]
                for c in range(nr):
                    x[i, c] -= f * x[k, c]
            d = a[k, k]
            for c in range(nr):
                x[k, c] = _div(x[k, c], d)
            k += 1
        else:
            kp = -piv[k] - 1
            if kp != k + 1:
                _swap_rows2(x, k + 1, kp)
            for i in range(k + 2, n):
                f0, f1 = a[i, k], a[i, k + 1]
                for c in range(nr):
                    x[i, c] -= f0 * x[k, c] + f1 * x[k + 1, c]
            akm1k = a[k + 1, k]
            up = akm1k.conjugate() if herm else akm1k  # D's entry above the diagonal
            akm1 = _div(a[k, k], up)
            ak = _div(a[k + 1, k + 1], akm1k)
            denom = akm1 * ak - 1.0
            for c in range(nr):
                bkm1 = _div(x[k, c], up)
                bk = _div(x[k + 1, c], akm1k)
                x[k, c] = _div(ak * bkm1 - bk, denom)
                x[k + 1, c] = _div(akm1 * bk - bkm1, denom)
            k += 2
    k = n - 1
    while k >= 0:  # L^T P^T x = y (L^H when herm)
        if piv[k] > 0 or k == 0:
            for i in range(k + 1, n):
                f = a[i, k].conjugate() if herm else a[i, k]
                for c in range(nr):
                    x[k, c] -= f * x[i, c]
            kp = abs(piv[k]) - 1
            if kp != k:
                _swap_rows2(x, k, kp)
            k -= 1
        else:
            for i in range(k + 1, n):
                f0, f1 = a[i, k], a[i, k - 1]
                if herm:
                    f0, f1 = f0.conjugate(), f1.conjugate()
                for c in range(nr):
                    x[k, c] -= f0 * x[i, c]
                    x[k - 1, c] -= f1 * x[i, c]
            kp = -piv[k] - 1
            if kp != k:
                _swap_rows2(x, k, kp)
            k -= 2


@njit(**_JIT)
def _ldl_solve_range(a, piv, x, herm, lo, hi):
    for b in range(lo, hi):
        _ldl_solve1(a[b], piv[b], x[b], herm)


def _ldl_solve_batch(a, piv, x, herm) -> None:
    over_batch(_ldl_solve_range, a.shape[0], a[0].size if a.shape[0] else 0, a, piv, x, herm)


def ldl_solve(a, piv, x, herm: bool = False) -> None:
    """x (B, n, k) <- A^-1 x for each LD a (B, n, n) and pivots piv (B, n) (Hermitian factors when herm)."""
    if a.shape[0] == 1:
        _ldl_solve1(a[0], piv[0], x[0], herm)
    else:
        _ldl_solve_batch(a, piv, x, herm)


# ---- eig: general (non-symmetric) eigenproblem ----
# Real input follows LAPACK's dgeev step by step, so that the eigenvalues come in its order: dgebal (permute and
# scale), Householder reduction to upper Hessenberg form (dgehrd; EISPACK orthes / ortran), dlahqr's Francis
# double-shift QR to the standardized real Schur form, then back-substitution for the eigenvectors (EISPACK
# hqr2's second half, signs as dtrevc's) and dgebak. Complex input: zgebal (the same _gebal), complex Householder
# reflectors, single-shift QR by Givens rotations (Wilkinson shift, zlahqr's deflation test and exceptional
# shifts) to the complex Schur form, back-substitution on the triangle (ztrevc style) and zgebak. The Schur
# vectors are kept transposed (row k = vector k) so that their updates run along rows.

_EIG_MAX_ITER = 40  # QR sweeps allowed per eigenvalue before reporting non-convergence (LAPACK allows 30 / 40)


@njit(**_JIT)
def _orthes(h, vt, ort, vectors, lo, hi, fv):
    """h <- Q^T h Q upper Hessenberg (Householder reflectors on the block [lo, hi] left by _gebal, as LAPACK's
    dgehrd); vt <- Q^T (rows: the columns of Q) when `vectors` (else the identity). fv (n,) is workspace."""
    n = h.shape[0]
    for m in range(lo + 1, hi):
        scale = 0.0
        for i in range(m + 1, hi + 1):
            scale += abs(h[i, m - 1])
        if scale == 0.0:  # nothing to annihilate: the identity (dlarfg's tau = 0)
            ort[m] = 0.0
            continue
        scale += abs(h[m, m - 1])
        hh = 0.0
        for i in range(hi, m - 1, -1):
            ort[i] = h[i, m - 1] / scale
            hh += ort[i] * ort[i]
        g = math.sqrt(hh)
        if ort[m] > 0:
            g = -g
        hh -= ort[m] * g
        ort[m] -= g
        for j in range(m, n):  # h <- (I - u u^T / hh) h, along rows: f = u^T h / hh first
            fv[j] = 0.0
        for i in range(m, hi + 1):
            oi = ort[i]
            for j in range(m, n):
                fv[j] += oi * h[i, j]
        for j in range(m, n):
            fv[j] /= hh
        for i in range(m, hi + 1):
            oi = ort[i]
            for j in range(m, n):
                h[i, j] -= fv[j] * oi
        for i in range(hi + 1):  # h <- h (I - u u^T / hh)
            f = 0.0
            for j in range(m, hi + 1):
                f += ort[j] * h[i, j]
            f /= hh
            for j in range(m, hi + 1):
                h[i, j] -= f * ort[j]
        ort[m] *= scale
        h[m, m - 1] = scale * g
    for i in range(n):
        for j in range(n):
            vt[i, j] = 1.0 if i == j else 0.0
    for m in range(hi - 1 if vectors else 0, lo, -1):  # accumulate Q = H_1 ... H_k, backwards (ortran)
        if ort[m] != 0.0 and h[m, m - 1] != 0.0:  # (ort[m] = 0: step m was the identity)
            for i in range(m + 1, hi + 1):
                ort[i] = h[i, m - 1]
            for j in range(m, hi + 1):  # column j of Q is row j of vt
                g = 0.0
                for i in range(m, hi + 1):
                    g += ort[i] * vt[j, i]
                g = (g / ort[m]) / h[m, m - 1]  # two divisions: no underflow
                for i in range(m, hi + 1):
                    vt[j, i] += g * ort[i]
    for i in range(n):
        for j in range(i - 1):
            h[i, j] = 0.0


@njit(**_JIT)
def _cdiv(xr, xi, yr, yi):
    """(xr + i xi) / (yr + i yi) without overflow (Smith's algorithm)."""
    if abs(yr) > abs(yi):
        r = yi / yr
        d = yr + r * yi
        return (xr + r * xi) / d, (xi - r * xr) / d
    r = yr / yi
    d = yi + r * yr
    return (r * xr + xi) / d, (r * xi - xr) / d


@njit(**_JIT)
def _gebal(a, scale):
    """LAPACK dgebal('B') (zgebal for a complex a) on a in place: permute rows and columns that isolate
    eigenvalues to the ends, then scale the remaining block [lo, hi] by powers of two (2-norms of its rows and
    columns) for accuracy. scale[i] holds the permutation index (outside the block) or the scale factor
    (inside), as LAPACK. Returns (lo, hi)."""
    n = a.shape[0]
    k = 0
    ll = n - 1
    noconv = True
    while noconv:  # rows isolating an eigenvalue go to the bottom
        noconv = False
        i = ll
        while i >= 0:
            canswap = True
            for j in range(ll + 1):
                if i != j and a[i, j] != 0.0:
                    canswap = False
                    break
            if canswap:
                scale[ll] = i
                if i != ll:
                    for r in range(ll + 1):
                        a[r, i], a[r, ll] = a[r, ll], a[r, i]
                    for c in range(k, n):
                        a[i, c], a[ll, c] = a[ll, c], a[i, c]
                noconv = True
                if ll == 0:
                    return 0, 0
                ll -= 1
            i -= 1
    noconv = True
    while noconv:  # columns isolating an eigenvalue go to the left
        noconv = False
        j = k
        while j <= ll:
            canswap = True
            for i in range(k, ll + 1):
                if i != j and a[i, j] != 0.0:
                    canswap = False
                    break
            if canswap:
                scale[k] = j
                if j != k:
                    for r in range(ll + 1):
                        a[r, j], a[r, k] = a[r, k], a[r, j]
                    for c in range(k, n):
                        a[j, c], a[k, c] = a[k, c], a[j, c]
                noconv = True
                k += 1
            j += 1
    for i in range(k, ll + 1):
        scale[i] = 1.0
    sfmin1 = 2.2250738585072014e-308 / 2.0 ** -52
    sfmax1 = 1.0 / sfmin1
    sfmin2 = sfmin1 * 2.0
    sfmax2 = 1.0 / sfmin2
    noconv = True
    while noconv:
        noconv = False
        for i in range(k, ll + 1):
            c = 0.0
            r = 0.0
            for j in range(k, ll + 1):
                c += abs(a[j, i]) * abs(a[j, i])  # (exactly a * a for real input)
                r += abs(a[i, j]) * abs(a[i, j])
            c = math.sqrt(c)
            r = math.sqrt(r)
            ca = 0.0
            for j in range(ll + 1):
                ca = max(ca, abs(a[j, i]))
            ra = 0.0
            for j in range(k, n):
                ra = max(ra, abs(a[i, j]))
            if c == 0.0 or r == 0.0:
                continue
            g = r / 2.0
            f = 1.0
            s = c + r
            while not (c >= g or max(f, c, ca) >= sfmax2 or min(r, g, ra) <= sfmin2):
                f *= 2.0
                c *= 2.0
                ca *= 2.0
                r /= 2.0
                g /= 2.0
                ra /= 2.0
            g = c / 2.0
            while not (g < r or max(r, ra) >= sfmax2 or min(f, c, g, ca) <= sfmin2):
                f /= 2.0
                c /= 2.0
                g /= 2.0
                ca /= 2.0
                r *= 2.0
                ra *= 2.0
            if c + r >= 0.95 * s:
                continue
            if f < 1.0 and scale[i] < 1.0 and f * scale[i] <= sfmin1:
                continue
            if f > 1.0 and scale[i] > 1.0 and scale[i] >= sfmax1 / f:
                continue
            g = 1.0 / f
            scale[i] *= f
            noconv = True
            for j in range(k, n):
                a[i, j] *= g
            for j in range(ll + 1):
                a[j, i] *= f
    return k, ll


@njit(**_JIT)
def _gebak(v, scale, lo, hi):
    """LAPACK dgebak('B', 'R'): undo _gebal on the rows of the eigenvectors v."""
    n = v.shape[0]
    for i in range(lo, hi + 1 if hi > lo else lo):  # (a fully permuted matrix has no scaling)
        for j in range(v.shape[1]):
            v[i, j] *= scale[i]
    for ii in range(n):
        i = ii
        if lo <= i <= hi:
            continue
        if i < lo:
            i = lo - 1 - ii
        kk = int(scale[i])
        if kk != i:
            for j in range(v.shape[1]):
                v[i, j], v[kk, j] = v[kk, j], v[i, j]


@njit(**_JIT)
def _lanv2(a, b, c, d):
    """LAPACK dlanv2: the Schur factorization of the real 2x2 [[a, b], [c, d]]; returns the standardized
    (a, b, c, d) (c = 0 for real eigenvalues, else a = d and b c < 0) and the rotation (cs, sn)."""
    eps = 2.0 ** -52
    if c == 0.0:
        cs, sn = 1.0, 0.0
    elif b == 0.0:
        cs, sn = 0.0, 1.0
        a, d = d, a
        b = -c
        c = 0.0
    elif a - d == 0.0 and math.copysign(1.0, b) != math.copysign(1.0, c):
        cs, sn = 1.0, 0.0
    else:
        temp = a - d
        p = 0.5 * temp
        bcmax = max(abs(b), abs(c))
        bcmis = min(abs(b), abs(c)) * math.copysign(1.0, b) * math.copysign(1.0, c)
        scale = max(abs(p), bcmax)
        z = (p / scale) * p + (bcmax / scale) * bcmis
        if z >= 4.0 * eps:  # real eigenvalues
            z = p + math.copysign(math.sqrt(scale) * math.sqrt(z), p)
            a = d + z
            d = d - (bcmax / z) * bcmis
            tau = math.hypot(c, z)
            cs = z / tau
            sn = c / tau
            b = b - c
            c = 0.0
        else:  # complex or nearly equal real eigenvalues: make the diagonal equal
            sigma = b + c
            for _ in range(20):
                sc = max(abs(temp), abs(sigma))
                if sc >= 2.0 ** 511:
                    sigma *= 2.0 ** -511
                    temp *= 2.0 ** -511
                elif sc <= 2.0 ** -511:
                    sigma *= 2.0 ** 511
                    temp *= 2.0 ** 511
                else:
                    break
            p = 0.5 * temp
            tau = math.hypot(sigma, temp)
            cs = math.sqrt(0.5 * (1.0 + abs(sigma) / tau))
            sn = -(p / (tau * cs)) * math.copysign(1.0, sigma)
            aa = a * cs + b * sn
            bb = -a * sn + b * cs
            cc = c * cs + d * sn
            dd = -c * sn + d * cs
            a = aa * cs + cc * sn
            b = bb * cs + dd * sn
            c = -aa * sn + cc * cs
            d = -bb * sn + dd * cs
            temp = 0.5 * (a + d)
            a = temp
            d = temp
            if c != 0.0:
                if b != 0.0:
                    if math.copysign(1.0, b) == math.copysign(1.0, c):  # real: reduce to upper triangular
                        sab = math.sqrt(abs(b))
                        sac = math.sqrt(abs(c))
                        p = math.copysign(sab * sac, c)
                        tau = 1.0 / math.sqrt(abs(b + c))
                        a = temp + p
                        d = temp - p
                        b = b - c
                        c = 0.0
                        cs1 = sab * tau
                        sn1 = sac * tau
                        temp = cs * cs1 - sn * sn1
                        sn = cs * sn1 + sn * cs1
                        cs = temp
                else:
                    b = -c
                    c = 0.0
                    temp = cs
                    cs = -sn
                    sn = temp
    return a, b, c, d, cs, sn


@njit(**_JIT)
def _lahqr(h, vt, wr, wi, lo, hi, vectors, v):
    """LAPACK dlahqr: the real Schur form of the Hessenberg h (active block [lo, hi]) by Francis double-shift QR
    with Ahues-Kressner deflation, accumulating into vt (row k: Schur vector k) and standardizing 2x2 blocks
    (dlanv2). `vectors`: the whole of h is transformed (wantt, wantz), else only the active block. Eigenvalues into
    (wr, wi), a complex pair positive imaginary part first. v (3,) is workspace. Returns 0 or the 1-based index of
    a failure."""
    n = h.shape[0]
    for i in range(lo):
        wr[i] = h[i, i]
        wi[i] = 0.0
    for i in range(hi + 1, n):
        wr[i] = h[i, i]
        wi[i] = 0.0
    if lo == hi:
        wr[lo] = h[lo, lo]
        wi[lo] = 0.0
        return 0
    for j in range(lo, hi - 2):
        h[j + 2, j] = 0.0
        h[j + 3, j] = 0.0
    if lo <= hi - 2:
        h[hi, hi - 2] = 0.0
    nh = hi - lo + 1
    safmin = 2.2250738585072014e-308
    ulp = 2.0 ** -52
    smlnum = safmin * (nh / ulp)
    i1 = 0
    i2 = n - 1
    itmax = 30 * max(10, nh)
    kdefl = 0
    i = hi
    while i >= lo:
        ll = lo
        converged = False
        for _its in range(itmax + 1):
            k = i
            while k > ll:  # a single small subdiagonal element
                if abs(h[k, k - 1]) <= smlnum:
                    break
                tst = abs(h[k - 1, k - 1]) + abs(h[k, k])
                if tst == 0.0:
                    if k - 2 >= lo:
                        tst += abs(h[k - 1, k - 2])
                    if k + 1 <= hi:
                        tst += abs(h[k + 1, k])
                if abs(h[k, k - 1]) <= ulp * tst:
                    ab = max(abs(h[k, k - 1]), abs(h[k - 1, k]))
                    ba = min(abs(h[k, k - 1]), abs(h[k - 1, k]))
                    aa = max(abs(h[k, k]), abs(h[k - 1, k - 1] - h[k, k]))
                    bb = min(abs(h[k, k]), abs(h[k - 1, k - 1] - h[k, k]))
                    s = aa + ab
                    if ba * (ab / s) <= max(smlnum, ulp * (bb * (aa / s))):
                        break
                k -= 1
            ll = k
            if ll > lo:
                h[ll, ll - 1] = 0.0
            if ll >= i - 1:
                converged = True
                break
            kdefl += 1
            if not vectors:
                i1 = ll
                i2 = i
            if kdefl % 20 == 0:  # exceptional shifts
                s = abs(h[i, i - 1]) + abs(h[i - 1, i - 2])
                h11 = 0.75 * s + h[i, i]
                h12 = -0.4375 * s
                h21 = s
                h22 = h11
            elif kdefl % 10 == 0:
                s = abs(h[ll + 1, ll]) + abs(h[ll + 2, ll + 1])
                h11 = 0.75 * s + h[ll, ll]
                h12 = -0.4375 * s
                h21 = s
                h22 = h11
            else:  # Francis' double shift
                h11 = h[i - 1, i - 1]
                h21 = h[i, i - 1]
                h12 = h[i - 1, i]
                h22 = h[i, i]
            s = abs(h11) + abs(h12) + abs(h21) + abs(h22)
            if s == 0.0:
                rt1r = rt1i = rt2r = rt2i = 0.0
            else:
                h11 /= s
                h21 /= s
                h12 /= s
                h22 /= s
                tr = (h11 + h22) / 2.0
                det = (h11 - tr) * (h22 - tr) - h12 * h21
                rtdisc = math.sqrt(abs(det))
                if det >= 0.0:  # complex conjugate shifts
                    rt1r = tr * s
                    rt2r = rt1r
                    rt1i = rtdisc * s
                    rt2i = -rt1i
                else:  # real shifts: the one nearer h22, twice
                    rt1r = tr + rtdisc
                    rt2r = tr - rtdisc
                    if abs(rt1r - h22) <= abs(rt2r - h22):
                        rt1r *= s
                        rt2r = rt1r
                    else:
                        rt2r *= s
                        rt1r = rt2r
                    rt1i = rt2i = 0.0
            m = i - 2
            while True:  # two consecutive small subdiagonal elements
                h21s = h[m + 1, m]
                s = abs(h[m, m] - rt2r) + abs(rt2i) + abs(h21s)
                h21s = h[m + 1, m] / s
                v[0] = h21s * h[m, m + 1] + (h[m, m] - rt1r) * ((h[m, m] - rt2r) / s) - rt1i * (rt2i / s)
                v[1] = h21s * (h[m, m] + h[m + 1, m + 1] - rt1r - rt2r)
                v[2] = h21s * h[m + 2, m + 1]
                s = abs(v[0]) + abs(v[1]) + abs(v[2])
                v[0] /= s
                v[1] /= s
                v[2] /= s
                if m == ll:
                    break
                h00 = abs(h[m, m - 1]) * (abs(v[1]) + abs(v[2]))
                h01 = ulp * abs(v[0]) * (abs(h[m - 1, m - 1]) + abs(h[m, m]) + abs(h[m + 1, m + 1]))
                if h00 <= h01:
                    break
                m -= 1
            for k in range(m, i):  # the double-shift QR step: chase the bulge
                nr = min(3, i - k + 1)
                if k > m:
                    for q in range(nr):
                        v[q] = h[k + q, k - 1]
                # dlarfg: the reflector I - t1 (1, v2, v3)^T (1, v2, v3) mapping v to (beta, 0, 0)
                alpha = v[0]
                xnorm = math.sqrt(v[1] * v[1] + (v[2] * v[2] if nr == 3 else 0.0))
                if xnorm == 0.0:
                    t1 = 0.0
                else:
                    beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
                    t1 = (beta - alpha) / beta
                    sc = 1.0 / (alpha - beta)
                    v[1] *= sc
                    if nr == 3:
                        v[2] *= sc
                    v[0] = beta
                if k > m:
                    h[k, k - 1] = v[0]
                    h[k + 1, k - 1] = 0.0
                    if k < i - 1:
                        h[k + 2, k - 1] = 0.0
                elif m > ll:
                    h[k, k - 1] *= 1.0 - t1
                v2 = v[1]
                t2 = t1 * v2
                if nr == 3:
                    v3 = v[2]
                    t3 = t1 * v3
                    for j in range(k, i2 + 1):
                        sm = h[k, j] + v2 * h[k + 1, j] + v3 * h[k + 2, j]
                        h[k, j] -= sm * t1
                        h[k + 1, j] -= sm * t2
                        h[k + 2, j] -= sm * t3
                    for j in range(i1, min(k + 3, i) + 1):
                        sm = h[j, k] + v2 * h[j, k + 1] + v3 * h[j, k + 2]
                        h[j, k] -= sm * t1
                        h[j, k + 1] -= sm * t2
                        h[j, k + 2] -= sm * t3
                    if vectors:
                        for j in range(n):
                            sm = vt[k, j] + v2 * vt[k + 1, j] + v3 * vt[k + 2, j]
                            vt[k, j] -= sm * t1
                            vt[k + 1, j] -= sm * t2
                            vt[k + 2, j] -= sm * t3
                elif nr == 2:
                    for j in range(k, i2 + 1):
                        sm = h[k, j] + v2 * h[k + 1, j]
                        h[k, j] -= sm * t1
                        h[k + 1, j] -= sm * t2
                    for j in range(i1, i + 1):
                        sm = h[j, k] + v2 * h[j, k + 1]
                        h[j, k] -= sm * t1
                        h[j, k + 1] -= sm * t2
                    if vectors:
                        for j in range(n):
                            sm = vt[k, j] + v2 * vt[k + 1, j]
                            vt[k, j] -= sm * t1
                            vt[k + 1, j] -= sm * t2
        if not converged:
            return i + 1
        if ll == i:  # one eigenvalue
            wr[i] = h[i, i]
            wi[i] = 0.0
        elif ll == i - 1:  # a pair: standardize the 2x2 block
            a, b, c, d, cs, sn = _lanv2(h[i - 1, i - 1], h[i - 1, i], h[i, i - 1], h[i, i])
            h[i - 1, i - 1] = a
            h[i - 1, i] = b
            h[i, i - 1] = c
            h[i, i] = d
            wr[i - 1] = a
            wr[i] = d
            if c == 0.0:
                wi[i - 1] = 0.0
                wi[i] = 0.0
            else:
                wi[i - 1] = math.sqrt(abs(b)) * math.sqrt(abs(c))
                wi[i] = -wi[i - 1]
            if vectors:
                for j in range(i + 1, n):  # the rest of rows i-1, i and of columns i-1, i
                    x = h[i - 1, j]
                    y = h[i, j]
                    h[i - 1, j] = cs * x + sn * y
                    h[i, j] = cs * y - sn * x
                for j in range(i - 1):
                    x = h[j, i - 1]
                    y = h[j, i]
                    h[j, i - 1] = cs * x + sn * y
                    h[j, i] = cs * y - sn * x
                for j in range(n):
                    x = vt[i - 1, j]
                    y = vt[i, j]
                    vt[i - 1, j] = cs * x + sn * y
                    vt[i, j] = cs * y - sn * x
        kdefl = 0
        i = ll - 1
    return 0


@njit(**_JIT)
def _hqr2_vectors(h, wr, wi, norm):
    """Back-substitution on the real Schur form h (eigenvalues wr + i wi): h's upper triangle becomes the
    eigenvectors of the Schur form (hqr2's second half)."""
    nn = h.shape[0]
    eps = 2.0 ** -52
    z = s = r = 0.0
    for n in range(nn - 1, -1, -1):
        p = wr[n]
        q = wi[n]
        if q == 0:  # a real vector
            lo = n
            h[n, n] = 1.0
            for i in range(n - 1, -1, -1):
                w = h[i, i] - p
                r = 0.0
                for j in range(lo, n + 1):
                    r += h[i, j] * h[j, n]
                if wi[i] < 0.0:
                    z = w
                    s = r
                else:
                    lo = i
                    if wi[i] == 0.0:
                        h[i, n] = -r / w if w != 0.0 else -r / (eps * norm)
                    else:  # solve the real 2x2 system
                        x = h[i, i + 1]
                        y = h[i + 1, i]
                        q = (wr[i] - p) * (wr[i] - p) + wi[i] * wi[i]
                        t = (x * s - z * r) / q
                        h[i, n] = t
                        if abs(x) > abs(z):
                            h[i + 1, n] = (-r - w * t) / x
                        else:
                            h[i + 1, n] = (-s - y * t) / z
                    t = abs(h[i, n])
                    if (eps * t) * t > 1:  # overflow control
                        for j in range(i, n + 1):
                            h[j, n] /= t
        elif q < 0:  # the complex vector of the pair (n - 1, n): real part in column n - 1, imaginary in n
            lo = n - 1
            if abs(h[n, n - 1]) > abs(h[n - 1, n]):
                h[n - 1, n - 1] = q / h[n, n - 1]
                h[n - 1, n] = -(h[n, n] - p) / h[n, n - 1]
            else:
                h[n - 1, n - 1], h[n - 1, n] = _cdiv(0.0, -h[n - 1, n], h[n - 1, n - 1] - p, q)
            h[n, n - 1] = 0.0
            h[n, n] = 1.0
            for i in range(n - 2, -1, -1):
                ra = 0.0
                sa = 0.0
                for j in range(lo, n + 1):
                    ra += h[i, j] * h[j, n - 1]
                    sa += h[i, j] * h[j, n]
                w = h[i, i] - p
                if wi[i] < 0.0:
                    z = w
                    r = ra
                    s = sa
                else:
                    lo = i
                    if wi[i] == 0:
                        h[i, n - 1], h[i, n] = _cdiv(-ra, -sa, w, q)
                    else:  # solve the complex 2x2 system
                        x = h[i, i + 1]
                        y = h[i + 1, i]
                        vr = (wr[i] - p) * (wr[i] - p) + wi[i] * wi[i] - q * q
                        vi = (wr[i] - p) * 2.0 * q
                        if vr == 0.0 and vi == 0.0:
                            vr = eps * norm * (abs(w) + abs(q) + abs(x) + abs(y) + abs(z))
                        h[i, n - 1], h[i, n] = _cdiv(x * r - z * ra + q * sa, x * s - z * sa - q * ra, vr, vi)
                        if abs(x) > abs(z) + abs(q):
                            h[i + 1, n - 1] = (-ra - w * h[i, n - 1] + q * h[i, n]) / x
                            h[i + 1, n] = (-sa - w * h[i, n] - q * h[i, n - 1]) / x
                        else:
                            h[i + 1, n - 1], h[i + 1, n] = _cdiv(-r - y * h[i, n - 1], -s - y * h[i, n], z, q)
                    t = max(abs(h[i, n - 1]), abs(h[i, n]))
                    if (eps * t) * t > 1:
                        for j in range(i, n + 1):
                            h[j, n - 1] /= t
                            h[j, n] /= t


@njit(**_JIT)
def _eig_real1(a, vr, vi, wr, wi, vectors):
    """_eig_real_ws with its workspace allocated."""
    n = a.shape[0]
    return _eig_real_ws(a, vr, vi, wr, wi, vectors, np.empty((3, n, n)), np.empty((5, max(n, 3))))


@njit(**_JIT)
def _eig_real_ws(a, vr, vi, wr, wi, vectors, mats, wk):
    """Eigen-decomposition of the real a (n, n), destroyed, as LAPACK's dgeev (dgebal, dgehrd, dlahqr, back-
    substitution, dgebak): eigenvalues wr + i wi; with `vectors`, the eigenvectors (unit 2-norm; a complex
    pair's vector vr + i vi with its largest-magnitude component real; its conjugate is the next column).
    Workspace (allocation-free: the CUDA kernel compiles this function): mats (3, n, n), wk (5, max(n, 3)).
    Returns dlahqr's info."""
    n = a.shape[0]
    vt, ur, ui = mats[0], mats[1], mats[2]
    scale, ort, fv, flip, v3 = wk[0], wk[1], wk[2], wk[3], wk[4]
    for i in range(n):
        ort[i] = 0.0
        flip[i] = 0.0
    lo, hi = _gebal(a, scale)
    _orthes(a, vt, ort, vectors, lo, hi, fv)
    info = _lahqr(a, vt, wr, wi, lo, hi, vectors, v3)
    if info != 0 or not vectors:
        return info
    norm = 0.0
    for i in range(n):
        for j in range(max(i - 1, 0), n):
            norm += abs(a[i, j])
    for j in range(n - 1):  # hqr2's pair vector is b / w times dtrevc's when |b| >= |c|: keep dtrevc's sign
        if wi[j] > 0.0 and abs(a[j + 1, j]) <= abs(a[j, j + 1]) and a[j, j + 1] < 0.0:
            flip[j] = 1.0
    if norm == 0.0:  # the zero matrix: the Schur form's eigenvectors are the e_k
        for i in range(n):
            a[i, i] = 1.0
    else:
        _hqr2_vectors(a, wr, wi, norm)
    for i in range(n):  # the eigenvectors as rows: ur[j] = sum_k a[k, j] vt[k] (real, or real part)
        for j in range(n):
            ur[i, j] = 0.0
            ui[i, j] = 0.0
    for j in range(n):  # eigenvectors of a: Q (Schur vectors) times those of the Schur form
        if wi[j] == 0.0:
            for k in range(j + 1):
                f = a[k, j]
                for i in range(n):
                    ur[j, i] += vt[k, i] * f
        elif wi[j] > 0.0:
            for k in range(j + 2):
                f = a[k, j]
                g = a[k, j + 1]
                for i in range(n):
                    ur[j, i] += vt[k, i] * f
                    ui[j, i] += vt[k, i] * g
    for i in range(n):
        for j in range(n):
            sg = -1.0 if flip[j] != 0.0 else 1.0
            vr[i, j] = sg * ur[j, i]
            vi[i, j] = sg * ui[j, i]
    _gebak(vr, scale, lo, hi)
    _gebak(vi, scale, lo, hi)
    for j in range(n):  # dgeev's normalization
        if wi[j] == 0.0:
            nrm = 0.0
            for i in range(n):
                nrm += vr[i, j] * vr[i, j]
            nrm = math.sqrt(nrm)
            for i in range(n):
                vr[i, j] /= nrm
        elif wi[j] > 0.0:
            nrm = 0.0
            big = -1.0
            kb = 0
            for i in range(n):
                m2 = vr[i, j] * vr[i, j] + vi[i, j] * vi[i, j]
                nrm += m2
                if m2 > big:
                    big = m2
                    kb = i
            nrm = math.sqrt(nrm)
            # rotate (dlartg, as in the LAPACK torch's CPU build links: MKL) so that component kb becomes real r,
            # r = -|z| when |f| > |g| and f < 0, r = g when f = 0, else r = |z| (z = f + i g)
            f = vr[kb, j]
            g = vi[kb, j]
            d = math.sqrt(f * f + g * g)
            if f == 0.0:
                cs = 0.0
                sn = 1.0
            else:
                cs = f / d
                sn = g / d
                if abs(f) > abs(g) and cs < 0.0:
                    cs = -cs
                    sn = -sn
            for i in range(n):
                xr = vr[i, j]
                xi = vi[i, j]
                vr[i, j] = (cs * xr + sn * xi) / nrm
                vi[i, j] = (cs * xi - sn * xr) / nrm
            vi[kb, j] = 0.0
            for i in range(n):
                vr[i, j + 1] = vr[i, j]
                vi[i, j + 1] = -vi[i, j]
    return 0


@njit(**_JIT)
def _eig_real_range(a, vr, vi, wr, wi, info, vectors, lo, hi):
    """Each real a[b] (B, n, n, destroyed): eigenvalues wr + i wi (B, n), eigenvectors vr + i vi (B, n, n)
    when `vectors`; info[b] = 0 or the 1-based index of an eigenvalue that did not converge."""
    for b in range(lo, hi):
        info[b] = _eig_real1(a[b], vr[b], vi[b], wr[b], wi[b], vectors)


def eig_real(a, vr, vi, wr, wi, info, vectors) -> None:
    over_batch(_eig_real_range, a.shape[0], a[0].size if a.shape[0] else 0, a, vr, vi, wr, wi, info, vectors)


@njit(**_JIT)
def _zhessenberg(h, zt, u, vectors, lo, hi, fv):
    """h <- Q^H h Q upper Hessenberg by complex Householder reflectors on the block [lo, hi] left by _gebal;
    zt <- Q^T (row k: column k of Q). fv (n,) complex workspace."""
    n = h.shape[0]
    for i in range(n):
        for j in range(n):
            zt[i, j] = 1.0 if i == j else 0.0
    for m in range(lo + 1, hi):
        scale = 0.0
        for i in range(m, hi + 1):
            scale += _cabs1(h[i, m - 1])
        if scale == 0.0:
            continue
        nrm2 = 0.0
        for i in range(m, hi + 1):
            u[i] = h[i, m - 1] / scale
            nrm2 += u[i].real * u[i].real + u[i].imag * u[i].imag
        if nrm2 - abs(u[m]) ** 2 == 0.0 and u[m].imag == 0.0:
            continue  # already reduced
        nrm = math.sqrt(nrm2)
        am = abs(u[m])
        phase = u[m] / am if am != 0.0 else 1.0 + 0.0j
        alpha = -phase * nrm  # reflect x onto alpha e_1
        u[m] -= alpha
        vv = 0.0
        for i in range(m, hi + 1):
            vv += u[i].real * u[i].real + u[i].imag * u[i].imag
        beta = 2.0 / vv  # P = I - beta u u^H
        for j in range(m - 1, n):  # h <- P h, along rows: fv = beta u^H h first
            fv[j] = 0.0
        for i in range(m, hi + 1):
            ui = u[i].conjugate()
            for j in range(m - 1, n):
                fv[j] += ui * h[i, j]
        for i in range(m, hi + 1):
            ui = u[i] * beta
            for j in range(m - 1, n):
                h[i, j] -= fv[j] * ui
        for i in range(hi + 1):  # h <- h P
            f = 0.0j
            for j in range(m, hi + 1):
                f += h[i, j] * u[j]
            f *= beta
            for j in range(m, hi + 1):
                h[i, j] -= f * u[j].conjugate()
        if vectors:  # Q <- Q P, i.e. zt <- P^T zt (row k of Q is column k of zt), along zt's rows
            for k in range(n):
                fv[k] = 0.0
            for j in range(m, hi + 1):
                uj = u[j]
                for k in range(n):
                    fv[k] += zt[j, k] * uj
            for j in range(m, hi + 1):
                uj = u[j].conjugate() * beta
                for k in range(n):
                    zt[j, k] -= fv[k] * uj
        for i in range(m + 1, hi + 1):
            h[i, m - 1] = 0.0
        h[m, m - 1] = alpha * scale


@njit(**_JIT)
def _zrot_rows(h, k, c, s, j0, j1):
    """Rows (k, k+1) of h, columns j0..j1-1, <- [[c, s], [-conj(s), c]] times them."""
    for j in range(j0, j1):
        x = h[k, j]
        y = h[k + 1, j]
        h[k, j] = c * x + s * y
        h[k + 1, j] = c * y - s.conjugate() * x


@njit(**_JIT)
def _zschur(h, zt, cs, sn, vectors):
    """Complex Schur form of the Hessenberg h by single-shift QR (Wilkinson shift, explicit RQ sweep by Givens
    rotations), accumulating the rotations into zt (row k: Schur vector k). Returns 0 or the 1-based index of
    an eigenvalue that did not converge."""
    n = h.shape[0]
    eps = 2.0 ** -52
    norm = 0.0
    for i in range(n):
        for j in range(max(i - 1, 0), n):
            norm += _cabs1(h[i, j])
    smlnum = 2.2250738585072014e-308 * (n / eps)
    hi = n - 1
    it = 0
    while hi > 0:
        lo = hi
        while lo > 0:  # zlahqr's deflation test (Ahues & Kressner)
            sub = _cabs1(h[lo, lo - 1])
            if sub <= smlnum:
                break
            tst = _cabs1(h[lo - 1, lo - 1]) + _cabs1(h[lo, lo])
            if tst == 0.0:
                tst = norm
            if sub <= eps * tst:
                ab = max(sub, _cabs1(h[lo - 1, lo]))
                ba = min(sub, _cabs1(h[lo - 1, lo]))
                aa = max(_cabs1(h[lo, lo]), _cabs1(h[lo - 1, lo - 1] - h[lo, lo]))
                bb = min(_cabs1(h[lo, lo]), _cabs1(h[lo - 1, lo - 1] - h[lo, lo]))
                s = aa + ab
                if ba * (ab / s) <= max(smlnum, eps * (bb * (aa / s))):
                    break
            lo -= 1
        if lo > 0:
            h[lo, lo - 1] = 0.0
        if lo == hi:
            hi -= 1
            it = 0
            continue
        it += 1
        if it > _EIG_MAX_ITER:
            return hi + 1
        a = h[hi - 1, hi - 1]
        b = h[hi - 1, hi]
        c = h[hi, hi - 1]
        d = h[hi, hi]
        if it % 20 == 0:  # exceptional shifts (zlahqr's)
            mu = d + 0.75 * abs(c.real)
        elif it % 10 == 0:
            mu = h[lo, lo] + 0.75 * abs(h[lo + 1, lo].real)
        else:  # the eigenvalue of the trailing 2x2 block nearer to d
            half = (a - d) / 2.0
            disc = cmath.sqrt(half * half + b * c)
            m1 = d + half + disc
            m2 = d + half - disc
            mu = m1 if abs(m1 - d) <= abs(m2 - d) else m2
        for k in range(lo, hi + 1):
            h[k, k] -= mu
        for k in range(lo, hi):  # h - mu I = Q R: rotations zeroing the subdiagonal
            x = h[k, k]
            y = h[k + 1, k]
            ax = abs(x)
            ay = abs(y)
            r = math.hypot(ax, ay)
            if r == 0.0:
                cs[k] = 1.0
                sn[k] = 0.0j
            elif ax == 0.0:
                cs[k] = 0.0
                sn[k] = y.conjugate() / ay
            else:
                cs[k] = ax / r
                sn[k] = (x / ax) * y.conjugate() / r
            _zrot_rows(h, k, cs[k], sn[k], k, n)
            h[k + 1, k] = 0.0
        for k in range(lo, hi):  # R Q + mu I: the rotations' adjoints on the columns
            c0 = cs[k]
            s0 = sn[k]
            for i in range(min(k + 2, hi + 1)):
                x = h[i, k]
                y = h[i, k + 1]
                h[i, k] = c0 * x + s0.conjugate() * y
                h[i, k + 1] = c0 * y - s0 * x
            _zrot_rows(zt, k, c0, s0.conjugate(), 0, n if vectors else 0)
        for k in range(lo, hi + 1):
            h[k, k] += mu
    return 0


@njit(**_JIT)
def _eig_complex1(a, v, w, vectors):
    """_eig_complex_ws with its workspace allocated."""
    n = a.shape[0]
    return _eig_complex_ws(a, v, w, vectors, np.empty((n, n), np.complex128), np.empty((2, n)),
                           np.empty((5, n), np.complex128))


@njit(**_JIT)
def _eig_complex_ws(a, v, w, vectors, zt, rw, cw):
    """Eigen-decomposition of the complex a (n, n), destroyed: eigenvalues w; with `vectors`, eigenvectors
    v as LAPACK's zgeev (unit 2-norm, largest-magnitude component real and positive). Workspace (allocation-free:
    the CUDA kernel compiles this function): zt (n, n) complex, rw (2, n) real, cw (5, n) complex. Returns info."""
    n = a.shape[0]
    scale, cs = rw[0], rw[1]
    u, sn, x, y, fv = cw[0], cw[1], cw[2], cw[3], cw[4]
    for i in range(n):
        u[i] = 0.0
        cs[i] = 0.0
        sn[i] = 0.0
        x[i] = 0.0
        y[i] = 0.0
    lo, hi = _gebal(a, scale)
    _zhessenberg(a, zt, u, vectors, lo, hi, fv)
    info = _zschur(a, zt, cs, sn, vectors)
    for i in range(n):
        w[i] = a[i, i]
    if info != 0 or not vectors:
        return info
    eps = 2.0 ** -52
    for k in range(n - 1, -1, -1):  # T x = w_k x by back-substitution, x_k = 1
        smin = max(eps * _cabs1(a[k, k]), 1e-300)
        x[k] = 1.0
        for i in range(k - 1, -1, -1):
            acc = 0.0j
            for j in range(i + 1, k + 1):
                acc += a[i, j] * x[j]
            d = a[i, i] - a[k, k]
            if _cabs1(d) < smin:
                d = smin
            x[i] = -acc / d
            t = _cabs1(x[i])
            if t > 1e150:  # overflow control
                for j in range(i, k + 1):
                    x[j] /= t
        for i in range(n):
            y[i] = 0.0
        for j in range(k + 1):  # y = Q x along zt's rows
            xj = x[j]
            for i in range(n):
                y[i] += zt[j, i] * xj
        for i in range(n):
            v[i, k] = y[i]
    _gebak(v, scale, lo, hi)
    for k in range(n):
        nrm = 0.0
        big = -1.0
        kb = 0
        for i in range(n):
            m2 = v[i, k].real * v[i, k].real + v[i, k].imag * v[i, k].imag
            nrm += m2
            if m2 > big:
                big = m2
                kb = i
        ph = v[kb, k].conjugate() / (math.sqrt(big) * math.sqrt(nrm))
        for i in range(n):
            v[i, k] *= ph
        v[kb, k] = v[kb, k].real
    return 0


@njit(**_JIT)
def _eig_complex_range(a, v, w, info, vectors, lo, hi):
    """Each complex a[b] (B, n, n, destroyed): eigenvalues w (B, n), eigenvectors v (B, n, n) when `vectors`;
    info[b] = 0 or the 1-based index of an eigenvalue that did not converge."""
    for b in range(lo, hi):
        info[b] = _eig_complex1(a[b], v[b], w[b], vectors)



def eig_complex(a, v, w, info, vectors) -> None:
    over_batch(_eig_complex_range, a.shape[0], a[0].size if a.shape[0] else 0, a, v, w, info, vectors)
