"""CPU kernels of the dense factorizations (no LAPACK: Numba's np.linalg needs SciPy's).

Every kernel takes C-contiguous batches (B, m, n), one matrix per ``prange`` task, and works in place. The
front end (ntorch.ops.decomp) hands float64 copies (float32 inputs are computed in float64 and rounded once
at the end: cheap here, and more accurate than float32 pivots and rotations). Row-major loops keep the inner
loop on contiguous rows. ``info`` follows LAPACK: 0, or the 1-based index of the first zero pivot / the
order of the first minor that is not positive-definite.
"""

import math

import numpy as np
from numba import njit, prange

__all__ = ["lu_factor", "lu_solve", "tri_solve", "cholesky", "qr", "eigh", "svd"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_PJIT = dict(cache=True, nogil=True, parallel=True, error_model="numpy")


@njit(**_JIT)
def _lu1(a, piv, info):
    """Partial pivoting, right-looking (getrf); a zero pivot is recorded in info and its column left unscaled."""
    m, n = a.shape
    for k in range(min(m, n)):
        p = k
        best = abs(a[k, k])
        for i in range(k + 1, m):
            v = abs(a[i, k])
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
        for i in range(k + 1, m):
            a[i, k] *= inv
            lik = a[i, k]
            if lik != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= lik * a[k, j]


@njit(**_PJIT)
def lu_factor(a, piv, info):
    for b in prange(a.shape[0]):
        _lu1(a[b], piv[b], info[b:b + 1])


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
        inv = 1.0 / lu[i, i]
        for j in range(k):
            x[i, j] *= inv


@njit(**_PJIT)
def lu_solve(lu, piv, x):
    """x <- A^-1 x for A = P L U as lu_factor left it."""
    for b in prange(x.shape[0]):
        _lu_solve1(lu[b], piv[b], x[b])


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
                x[i, j] /= d


@njit(**_PJIT)
def tri_solve(a, x, upper, unit):
    """x <- T^-1 x, T the upper or lower triangle of a (its diagonal taken as ones when unit)."""
    for b in prange(x.shape[0]):
        _tri_solve1(a[b], x[b], upper, unit)


@njit(**_JIT)
def _chol1(a, info):
    n = a.shape[0]
    for j in range(n):
        s = a[j, j]
        for t in range(j):
            s -= a[j, t] * a[j, t]
        if not s > 0.0:  # also NaN
            info[0] = j + 1
            break
        d = math.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, n):
            s = a[i, j]
            for t in range(j):
                s -= a[i, t] * a[j, t]
            a[i, j] = s / d
    for i in range(n):
        for j in range(i + 1, n):
            a[i, j] = 0.0


@njit(**_PJIT)
def cholesky(a, info):
    """a <- L with a = L L^T, from the lower triangle of a (the upper one zeroed)."""
    for b in prange(a.shape[0]):
        _chol1(a[b], info[b:b + 1])


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


@njit(**_PJIT)
def qr(a, q):
    """a (B, m, n) <- R (its upper part; rows past n are zero), q (B, m, mc) <- the first mc columns of Q."""
    m, n = a.shape[1], a.shape[2]
    for b in prange(a.shape[0]):
        v = np.zeros((m, min(m, n)))
        _qr1(a[b], q[b], v)


@njit(**_JIT)
def _tred2(v, d, e):
    """Householder reduction of the symmetric v to tridiagonal form (d: diagonal, e: subdiagonal in e[1:]),
    v <- the accumulated orthogonal transformation (EISPACK tred2, as JAMA writes it)."""
    n = v.shape[0]
    for j in range(n):
        d[j] = v[n - 1, j]
    for i in range(n - 1, 0, -1):
        scale = 0.0
        h = 0.0
        for k in range(i):
            scale += abs(d[k])
        if scale == 0.0:
            e[i] = d[i - 1]
            for j in range(i):
                d[j] = v[i - 1, j]
                v[i, j] = 0.0
                v[j, i] = 0.0
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
                v[j, i] = f
                g = e[j] + v[j, j] * f
                for k in range(j + 1, i):
                    g += v[k, j] * d[k]
                    e[k] += v[k, j] * f
                e[j] = g
            f = 0.0
            for j in range(i):
                e[j] /= h
                f += e[j] * d[j]
            hh = f / (h + h)
            for j in range(i):
                e[j] -= hh * d[j]
            for j in range(i):
                f = d[j]
                g = e[j]
                for k in range(j, i):
                    v[k, j] -= f * e[k] + g * d[k]
                d[j] = v[i - 1, j]
                v[i, j] = 0.0
        d[i] = h
    for i in range(n - 1):
        v[n - 1, i] = v[i, i]
        v[i, i] = 1.0
        h = d[i + 1]
        if h != 0.0:
            for k in range(i + 1):
                d[k] = v[k, i + 1] / h
            for j in range(i + 1):
                g = 0.0
                for k in range(i + 1):
                    g += v[k, i + 1] * v[k, j]
                for k in range(i + 1):
                    v[k, j] -= g * d[k]
        for k in range(i + 1):
            v[k, i + 1] = 0.0
    for j in range(n):
        d[j] = v[n - 1, j]
        v[n - 1, j] = 0.0
    v[n - 1, n - 1] = 1.0
    e[0] = 0.0


@njit(**_JIT)
def _tql2(vt, d, e):
    """Implicit QL on the tridiagonal (d, e), rotating the rows of vt (the transposed eigenvector matrix, so
    each rotation runs along contiguous rows) (EISPACK tql2)."""
    n = d.shape[0]
    for i in range(1, n):
        e[i - 1] = e[i]
    e[n - 1] = 0.0
    f = 0.0
    tst1 = 0.0
    eps = 2.220446049250313e-16
    for l in range(n):
        tst1 = max(tst1, abs(d[l]) + abs(e[l]))
        m = l
        while m < n - 1 and abs(e[m]) > eps * tst1:
            m += 1
        if m > l:
            for _it in range(60):
                g = d[l]
                p = (d[l + 1] - g) / (2.0 * e[l])
                r = math.hypot(p, 1.0)
                if p < 0:
                    r = -r
                d[l] = e[l] / (p + r)
                d[l + 1] = e[l] * (p + r)
                dl1 = d[l + 1]
                h = g - d[l]
                for i in range(l + 2, n):
                    d[i] -= h
                f += h
                p = d[m]
                c = 1.0
                c2 = c
                c3 = c
                el1 = e[l + 1]
                s = 0.0
                s2 = 0.0
                for i in range(m - 1, l - 1, -1):
                    c3 = c2
                    c2 = c
                    s2 = s
                    g = c * e[i]
                    h = c * p
                    r = math.hypot(p, e[i])
                    e[i + 1] = s * r
                    s = e[i] / r
                    c = p / r
                    p = c * d[i] - s * g
                    d[i + 1] = h + s * (c * g + s * d[i])
                    for k in range(n):
                        h = vt[i + 1, k]
                        vt[i + 1, k] = s * vt[i, k] + c * h
                        vt[i, k] = c * vt[i, k] - s * h
                p = -s * s2 * c3 * el1 * e[l] / dl1
                e[l] = s * p
                d[l] = c * p
                if not abs(e[l]) > eps * tst1:
                    break
        d[l] = d[l] + f
        e[l] = 0.0


@njit(**_JIT)
def _eigh1(a, vec, w):
    """Symmetric eigendecomposition of a (both triangles set; destroyed): tridiagonal reduction and implicit
    QL. w <- eigenvalues ascending, vec <- the eigenvectors as columns (each one's largest component positive,
    a deterministic convention)."""
    n = a.shape[0]
    if n == 0:
        return
    e = np.zeros(n)
    _tred2(a, w, e)
    vt = a.T.copy()
    _tql2(vt, w, e)
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


@njit(**_PJIT)
def eigh(a, vec, w):
    for b in prange(a.shape[0]):
        _eigh1(a[b], vec[b], w[b])


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


@njit(**_JIT)
def _svd1(at, ut, vt, s):
    """One-sided Jacobi on the rows of at (n, m), m >= n, the columns of A: rotate pairs of rows until they
    are orthogonal, vt (n, n) collecting the rotations. Then s <- the row norms descending, ut (r, m) <- the
    normalised rows (completed to r orthonormal rows), vt <- V^T rows in the same order."""
    n, m = at.shape
    v = np.zeros((n, n))
    for i in range(n):
        v[i, i] = 1.0
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
    tol = norms[order[0]] * 1e-14 * max(m, n) if n > 0 else 0.0
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


@njit(**_PJIT)
def svd(at, ut, vt, s):
    """at (B, n, m) with m >= n: A^T. ut (B, r, m) <- U^T (r = n or m), vt (B, n, n) <- V^T, s (B, n)."""
    for b in prange(at.shape[0]):
        _svd1(at[b], ut[b], vt[b], s[b])
