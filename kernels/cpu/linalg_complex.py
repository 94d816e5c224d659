"""CPU kernels of the dense factorizations for complex128 batches (B, m, n) (complex64 inputs are computed in
complex128 and rounded once, as the real kernels do with float32).

Unblocked, one matrix per ``prange`` task; the same algorithms as ntorch.kernels.cpu.linalg with the
conjugations complex arithmetic needs and LAPACK's complex conventions: LU pivots on |re| + |im| (izamax's
cabs1), Cholesky A = L L^H with a real positive diagonal, Householder reflectors H = I - tau v v^H with a complex
tau and a real beta (zlarfg: R's diagonal real), Hermitian eigh through a real symmetric tridiagonal matrix
(complex Householder reduction, then a diagonal phase scaling), SVD by one-sided Jacobi with complex rotations.
``info`` as LAPACK: 0, or the 1-based index of the first zero pivot / non positive-definite minor.
"""

import math

import numpy as np
from numba import njit, prange

from .scalar import cdiv

__all__ = ["lu_factor", "lu_det", "lu_slogdet", "lu_solve", "lu_inv", "tri_solve", "cholesky", "qr", "geqrf",
           "hermitian_tridiagonal", "batched_matmul", "svd_jacobi", "gram", "complete_columns",
           "ldl_factor", "ldl_solve"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_PJIT = dict(cache=True, nogil=True, parallel=True, error_model="numpy")


@njit(**_JIT)
def _cabs1(z):
    return abs(z.real) + abs(z.imag)


@njit(**_JIT)
def _lu1(a, piv, info):
    """zgetf2: partial pivoting on |re| + |im|; a zero pivot is recorded in info and its column left unscaled."""
    m, n = a.shape
    for k in range(min(m, n)):
        p = k
        best = _cabs1(a[k, k])
        for i in range(k + 1, m):
            v = _cabs1(a[i, k])
            if v > best:
                best, p = v, i
        piv[k] = p + 1
        if p != k:
            for j in range(n):
                a[k, j], a[p, j] = a[p, j], a[k, j]
        d = a[k, k]
        if d == 0:
            if info[0] == 0:
                info[0] = k + 1
            continue
        inv = 1.0 / d
        for i in range(k + 1, m):
            a[i, k] *= inv
            lik = a[i, k]
            if lik != 0:
                for j in range(k + 1, n):
                    a[i, j] -= lik * a[k, j]


@njit(**_PJIT)
def lu_factor(a, piv, info):
    """a (B, m, n) <- getrf's packed L U; piv (B, k) 1-based int32; info (B,)."""
    for b in prange(a.shape[0]):
        _lu1(a[b], piv[b], info[b:b + 1])


@njit(**_JIT)
def lu_det(lu, piv, out):
    """out[b] <- U's diagonal product, negated per row swap."""
    for b in range(lu.shape[0]):
        d = 1.0 + 0.0j
        for i in range(min(lu.shape[1], lu.shape[2])):
            d *= lu[b, i, i]
            if piv[b, i] != i + 1:
                d = -d
        out[b] = d


@njit(**_JIT)
def lu_slogdet(lu, piv, sign, logabs):
    """sign[b] <- prod u / |u| (0 for a zero pivot), negated per row swap; logabs[b] <- sum log |u|."""
    for b in range(lu.shape[0]):
        sg = 1.0 + 0.0j
        perm = 1.0
        la = 0.0
        for i in range(min(lu.shape[1], lu.shape[2])):
            u = lu[b, i, i]
            au = abs(u)
            sg *= u / au if au != 0.0 else 0.0
            if piv[b, i] != i + 1:
                perm = -perm
            la += math.log(au)
        sign[b] = sg * perm
        logabs[b] = la


@njit(**_JIT)
def _lu_solve1(lu, piv, x):
    n = lu.shape[0]
    k = x.shape[1]
    for i in range(n):
        p = piv[i] - 1
        if p != i:
            for j in range(k):
                x[i, j], x[p, j] = x[p, j], x[i, j]
    for i in range(n):
        for t in range(i):
            lit = lu[i, t]
            if lit != 0:
                for j in range(k):
                    x[i, j] -= lit * x[t, j]
    for i in range(n - 1, -1, -1):
        for t in range(i + 1, n):
            uit = lu[i, t]
            if uit != 0:
                for j in range(k):
                    x[i, j] -= uit * x[t, j]
        d = lu[i, i]
        for j in range(k):
            x[i, j] = cdiv(x[i, j], d)  # a zero pivot gives inf / nan as LAPACK (Numba's / would raise)


@njit(**_PJIT)
def lu_solve(lu, piv, x):
    """x <- A^-1 x for A = P L U as lu_factor left it."""
    for b in prange(x.shape[0]):
        _lu_solve1(lu[b], piv[b], x[b])


@njit(**_PJIT)
def lu_inv(lu, piv, x):
    """x (B, n, n) <- A^-1 from lu_factor's output (x's contents are overwritten)."""
    n = lu.shape[1]
    for b in prange(x.shape[0]):
        for i in range(n):
            for j in range(n):
                x[b, i, j] = 1.0 if i == j else 0.0
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
            if ait != 0:
                for j in range(k):
                    x[i, j] -= ait * x[t, j]
        if not unit:
            d = a[i, i]
            for j in range(k):
                x[i, j] = cdiv(x[i, j], d)


@njit(**_PJIT)
def tri_solve(a, x, upper, unit):
    """x <- T^-1 x, T the upper or lower triangle of a (unit diagonal when unit)."""
    for b in prange(x.shape[0]):
        _tri_solve1(a[b], x[b], upper, unit)


@njit(**_JIT)
def _chol1(a, info):
    """zpotrf (lower): only the lower triangle and the diagonal's real part are read."""
    n = a.shape[0]
    for j in range(n):
        s = a[j, j].real
        for t in range(j):
            z = a[j, t]
            s -= z.real * z.real + z.imag * z.imag
        if not s > 0.0:
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


@njit(**_PJIT)
def cholesky(a, info):
    """a <- L with a = L L^H, from the lower triangle of a (the upper one zeroed)."""
    for b in prange(a.shape[0]):
        _chol1(a[b], info[b:b + 1])


@njit(**_JIT)
def _geqrf1(a, tau):
    """zgeqr2: a <- R on and above the diagonal (real diagonal), v below it (v[i] = 1 implied); tau as zlarfg:
    H = I - tau v v^H, tau = (beta - alpha) / beta, 0 when alpha is real and the rest of the column zero."""
    m, n = a.shape
    w = np.empty(n, a.dtype)
    for i in range(tau.shape[0]):
        sig = 0.0
        for r in range(i + 1, m):
            z = a[r, i]
            sig += z.real * z.real + z.imag * z.imag
        alpha = a[i, i]
        if sig == 0.0 and alpha.imag == 0.0:
            tau[i] = 0.0
            continue
        beta = -math.copysign(math.sqrt(alpha.real * alpha.real + alpha.imag * alpha.imag + sig), alpha.real)
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


@njit(**_PJIT)
def geqrf(a, tau):
    """a (B, m, n), tau (B, min(m, n)) <- zgeqrf's compact QR."""
    for b in prange(a.shape[0]):
        _geqrf1(a[b], tau[b])


@njit(**_JIT)
def _orgqr1(a, tau, q):
    """q (m, mc) <- the first mc columns of Q = H_0 ... H_(k-1) from geqrf's a, tau (zung2r, backwards)."""
    m = a.shape[0]
    mc = q.shape[1]
    w = np.empty(mc, a.dtype)
    for i in range(m):
        for j in range(mc):
            q[i, j] = 1.0 if i == j else 0.0
    for k in range(tau.shape[0] - 1, -1, -1):
        t = tau[k]
        if t == 0:
            continue
        for j in range(mc):  # q <- (I - t v v^H) q, v = (1, a[k+1:, k])
            w[j] = q[k, j]
        for r in range(k + 1, m):
            vr = a[r, k].conjugate()
            for j in range(mc):
                w[j] += vr * q[r, j]
        for j in range(mc):
            q[k, j] -= t * w[j]
        for r in range(k + 1, m):
            f = t * a[r, k]
            for j in range(mc):
                q[r, j] -= f * w[j]


@njit(**_PJIT)
def qr(a, q):
    """a (B, m, n) <- R (upper; rows past n zero), q (B, m, mc) <- the first mc columns of Q."""
    m, n = a.shape[1], a.shape[2]
    k = min(m, n)
    for b in prange(a.shape[0]):
        tau = np.zeros(k, a.dtype)
        _geqrf1(a[b], tau)
        _orgqr1(a[b], tau, q[b])
        for i in range(m):
            for j in range(min(i, n)):
                a[b, i, j] = 0.0


@njit(**_JIT)
def _hetrd1(a, d, e, q):
    """Hermitian a (full, both triangles) -> Q^H a Q = T tridiagonal, then a diagonal unitary D making T's
    off-diagonal real non-negative: d, e (e[i] = T[i+1, i]) real, q <- Q D (so a = q tri(d, e) q^H)."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            q[i, j] = 1.0 if i == j else 0.0
    v = np.empty(n, a.dtype)
    p = np.empty(n, a.dtype)
    for k in range(n - 2):
        sig = 0.0
        for r in range(k + 2, n):
            z = a[r, k]
            sig += z.real * z.real + z.imag * z.imag
        alpha = a[k + 1, k]
        if sig == 0.0:
            continue
        beta = -math.copysign(math.sqrt(alpha.real * alpha.real + alpha.imag * alpha.imag + sig), alpha.real)
        tau = (beta - alpha) / beta
        scale = 1.0 / (alpha - beta)
        v[k + 1] = 1.0
        for r in range(k + 2, n):
            v[r] = a[r, k] * scale
        # a <- H^H a H on rows / cols k+1.., H = I - tau v v^H: p = tau a v, w = p - (tau/2)(v^H p) v,
        # a <- a - v w^H - w v^H (as zhetd2)
        for r in range(k + 1, n):
            s = 0.0j
            for c in range(k + 1, n):
                s += a[r, c] * v[c]
            p[r] = tau * s
        vp = 0.0j
        for r in range(k + 1, n):
            vp += v[r].conjugate() * p[r]
        alph = -0.5 * tau.conjugate() * vp
        for r in range(k + 1, n):
            p[r] += alph * v[r]
        for r in range(k + 1, n):
            for c in range(k + 1, n):
                a[r, c] -= v[r] * p[c].conjugate() + p[r] * v[c].conjugate()
        a[k + 1, k] = beta
        a[k, k + 1] = beta
        for r in range(k + 2, n):
            a[r, k] = 0.0
            a[k, r] = 0.0
        for r in range(n):  # q <- q H: q - (q v) tau v^H
            s = 0.0j
            for c in range(k + 1, n):
                s += q[r, c] * v[c]
            s *= tau
            for c in range(k + 1, n):
                q[r, c] -= s * v[c].conjugate()
    for i in range(n):
        d[i] = a[i, i].real
    ph = 1.0 + 0.0j
    for i in range(n - 1):  # D = diag(ph_i): (D^H T D)[i+1, i] = conj(ph_(i+1)) T[i+1, i] ph_i made |T[i+1, i]|
        z = a[i + 1, i] * ph
        az = abs(z)
        e[i] = az
        ph_next = z / az if az != 0.0 else 1.0 + 0.0j
        for r in range(n):
            q[r, i + 1] *= ph_next
        ph = ph_next


@njit(**_PJIT)
def hermitian_tridiagonal(a, d, e, q):
    """Batched _hetrd1: a (B, n, n) Hermitian (both triangles filled), d (B, n), e (B, n - 1) real, q (B, n, n)."""
    for b in prange(a.shape[0]):
        _hetrd1(a[b], d[b], e[b], q[b])


@njit(**_PJIT)
def batched_matmul(q, z, out):
    """out[b] <- q[b] z[b] (B, m, p) @ (B, p, n), complex (the eigh back-transform, the SVD's starting
    rotation): rows of z streamed in the inner loop."""
    m, p, n = q.shape[1], q.shape[2], z.shape[2]
    for b in prange(q.shape[0]):
        for i in range(m):
            for j in range(n):
                out[b, i, j] = 0.0
            for k in range(p):
                f = q[b, i, k]
                for j in range(n):
                    out[b, i, j] += f * z[b, k, j]


@njit(**_JIT)
def _jacobi1(x, v, s, start):
    """One-sided Jacobi on the columns of x (m, n), m >= n: x <- x V with orthogonal columns, v <- v V (v from
    the identity unless start: then v holds the rotation x was already multiplied by), s <- the column norms.
    Each pair is made real by a phase on column q, then rotated."""
    m, n = x.shape
    if not start:
        for i in range(n):
            for j in range(n):
                v[i, j] = 1.0 if i == j else 0.0
    eps = 2.220446049250313e-16
    for _sweep in range(80):
        rotated = False
        for p in range(n - 1):
            for qq in range(p + 1, n):
                al = 0.0
                be = 0.0
                g = 0.0j
                for r in range(m):
                    xp = x[r, p]
                    xq = x[r, qq]
                    al += xp.real * xp.real + xp.imag * xp.imag
                    be += xq.real * xq.real + xq.imag * xq.imag
                    g += xp.conjugate() * xq
                ag = abs(g)
                if ag == 0.0 or ag <= eps * math.sqrt(al * be):
                    continue
                rotated = True
                ph = g.conjugate() / ag  # x_q * ph has a real positive inner product with x_p
                zeta = (be - al) / (2.0 * ag)
                t = (1.0 if zeta >= 0.0 else -1.0) / (abs(zeta) + math.sqrt(1.0 + zeta * zeta))
                c = 1.0 / math.sqrt(1.0 + t * t)
                sn = c * t
                for r in range(m):
                    xp = x[r, p]
                    xq = x[r, qq] * ph
                    x[r, p] = c * xp - sn * xq
                    x[r, qq] = sn * xp + c * xq
                for r in range(n):
                    vp = v[r, p]
                    vq = v[r, qq] * ph
                    v[r, p] = c * vp - sn * vq
                    v[r, qq] = sn * vp + c * vq
        if not rotated:
            break
    for j in range(n):
        t2 = 0.0
        for r in range(m):
            z = x[r, j]
            t2 += z.real * z.real + z.imag * z.imag
        s[j] = math.sqrt(t2)


@njit(**_PJIT)
def svd_jacobi(x, v, s, start):
    """Batched _jacobi1: x (B, m, n) with m >= n, v (B, n, n), s (B, n) real (unsorted); start: v holds each
    x's starting rotation (already applied to x)."""
    for b in prange(x.shape[0]):
        _jacobi1(x[b], v[b], s[b], start)


@njit(**_PJIT)
def gram(x, g):
    """g[b] <- x[b]^H x[b] (B, n, n) for x (B, m, n)."""
    m, n = x.shape[1], x.shape[2]
    for b in prange(x.shape[0]):
        for i in range(n):
            for j in range(i, n):
                t = 0.0j
                for r in range(m):
                    t += x[b, r, i].conjugate() * x[b, r, j]
                g[b, i, j] = t
                g[b, j, i] = t.conjugate()


@njit(**_JIT)
def _orthonormalize(u, j):
    """u[:, j] <- its part orthogonal to u[:, :j] (two Gram-Schmidt passes), normalised; returns the kept
    fraction of its norm (0 for a zero column)."""
    m = u.shape[0]
    n0 = 0.0
    for r in range(m):
        z = u[r, j]
        n0 += z.real * z.real + z.imag * z.imag
    n0 = math.sqrt(n0)
    if n0 == 0.0:
        return 0.0
    for _ in range(2):
        for i in range(j):
            c = 0.0j
            for r in range(m):
                c += u[r, i].conjugate() * u[r, j]
            for r in range(m):
                u[r, j] -= c * u[r, i]
    n1 = 0.0
    for r in range(m):
        z = u[r, j]
        n1 += z.real * z.real + z.imag * z.imag
    n1 = math.sqrt(n1)
    if n1 > 0.0:
        for r in range(m):
            u[r, j] /= n1
    return n1 / n0


@njit(**_PJIT)
def complete_columns(u, nvalid):
    """Make the columns of each u[b] (m, r) orthonormal: the first nvalid[b] ones are kept (re-orthogonalised),
    the others (and any that lost over half its norm) replaced by unit vectors e_i orthogonalised against them
    (some e_i keeps over 1/sqrt(2m) of its norm, so the search ends)."""
    m, r = u.shape[1], u.shape[2]
    thresh = 1.0 / math.sqrt(2.0 * m) if m else 0.0
    for b in prange(u.shape[0]):
        nxt = 0
        for j in range(r):
            ok = j < nvalid[b] and _orthonormalize(u[b], j) > 0.5
            while not ok and nxt < m:
                for t in range(m):
                    u[b, t, j] = 0.0
                u[b, nxt, j] = 1.0
                nxt += 1
                ok = _orthonormalize(u[b], j) > thresh


# ---- LDL^T of a complex symmetric matrix (zsytf2 / zsytrs) or a Hermitian one (zhetf2 / zhetrs), uplo 'L' ----

@njit(**_JIT)
def _swap_sym_lower(a, kk, kp, herm):
    """Interchange rows and columns kk < kp of the trailing lower triangle (zhetf2's swap conjugates the
    entries that cross the diagonal and keeps the diagonal real)."""
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
    return abs(z.real) if herm else _cabs1(z)


@njit(**_JIT)
def _ldl1(a, piv, info, herm):
    """Bunch-Kaufman (uplo 'L') with |re| + |im| magnitudes: A = L D L^T (zsytf2) or, when herm, A = L D L^H
    with a real diagonal (zhetf2); the real kernel's storage (1-based piv, -p on both rows of a 2x2 block,
    strict upper triangle zeroed)."""
    n = a.shape[0]
    alpha = (1.0 + math.sqrt(17.0)) / 8.0
    w1 = np.empty(n, a.dtype)
    w2 = np.empty(n, a.dtype)
    info[0] = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = _dmag(a[k, k], herm)
        imax = k
        colmax = 0.0
        for i in range(k + 1, n):
            if _cabs1(a[i, k]) > colmax:
                colmax = _cabs1(a[i, k])
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
                    rowmax = max(rowmax, _cabs1(a[imax, j]))
                for j in range(imax + 1, n):
                    rowmax = max(rowmax, _cabs1(a[j, imax]))
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
                d11 = cdiv(1.0 + 0.0j, a[k, k])
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
                d11 = cdiv(a[k + 1, k + 1], d21)
                d22 = cdiv(a[k, k], d21)
                t = cdiv(1.0 + 0.0j, d11 * d22 - 1.0)
                d21 = cdiv(t, d21)
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


@njit(**_PJIT)
def ldl_factor(a, piv, info, herm):
    """a (B, n, n) <- LD, piv (B, n) <- zsytrf's (zhetrf's when herm) pivots, info (B,) <- LAPACK's info."""
    for b in prange(a.shape[0]):
        _ldl1(a[b], piv[b], info[b:b + 1], herm)


@njit(**_JIT)
def _swap_rows2(x, i, j):
    for c in range(x.shape[1]):
        x[i, c], x[j, c] = x[j, c], x[i, c]


@njit(**_JIT)
def _ldl_solve1(a, piv, x, herm):
    """zsytrs / zhetrs (herm) (uplo 'L'): x <- A^-1 x from the LD and pivots of _ldl1."""
    n, nr = x.shape
    k = 0
    while k < n:  # L D y = P b
        if piv[k] > 0:
            kp = piv[k] - 1
            if kp != k:
                _swap_rows2(x, k, kp)
            for i in range(k + 1, n):
                f = a[i, k]
                for c in range(nr):
                    x[i, c] -= f * x[k, c]
            d = a[k, k]
            for c in range(nr):
                x[k, c] = cdiv(x[k, c], d)
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
            akm1 = cdiv(a[k, k], up)
            ak = cdiv(a[k + 1, k + 1], akm1k)
            denom = akm1 * ak - 1.0
            for c in range(nr):
                bkm1 = cdiv(x[k, c], up)
                bk = cdiv(x[k + 1, c], akm1k)
                x[k, c] = cdiv(ak * bkm1 - bk, denom)
                x[k + 1, c] = cdiv(akm1 * bk - bkm1, denom)
            k += 2
    k = n - 1
    while k >= 0:  # L^T P^T x = y (L^H when herm)
        if piv[k] > 0:
            for i in range(k + 1, n):
                f = a[i, k].conjugate() if herm else a[i, k]
                for c in range(nr):
                    x[k, c] -= f * x[i, c]
            kp = piv[k] - 1
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


@njit(**_PJIT)
def ldl_solve(a, piv, x, herm):
    """x (B, n, k) <- A^-1 x for each LD a (B, n, n) and pivots piv (B, n) (Hermitian factors when herm)."""
    for b in prange(a.shape[0]):
        _ldl_solve1(a[b], piv[b], x[b], herm)
