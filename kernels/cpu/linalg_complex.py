"""CPU kernels of the dense factorizations for complex128 batches (B, m, n) (complex64 inputs are computed in
complex128 and rounded once, as the real kernels do with float32).

Unblocked, one matrix per task (kernels/cpu/batch.py); the same algorithms as ntorch.kernels.cpu.linalg with the
conjugations complex arithmetic needs and LAPACK's complex conventions. LU (lu_factor, lu_det, lu_solve, lu_inv),
triangular solves, Cholesky, geqrf and LDL^T are linalg's own unblocked kernels compiled for complex128 through
its dtype-generic helpers (LU pivots on |re| + |im|, izamax's cabs1; Cholesky A = L L^H with a real positive
diagonal; Householder reflectors H = I - tau v v^H with a complex tau and a real beta, zlarfg's R diagonal real).
Here: lu_slogdet, qr (geqrf then zung2r), Hermitian eigh through a real symmetric tridiagonal matrix (complex
Householder reduction, then a diagonal phase scaling), SVD by one-sided Jacobi with complex rotations.
``info`` as LAPACK: 0, or the 1-based index of the first zero pivot / non positive-definite minor.
"""

import math

import numpy as np
from numba import njit

from .batch import over_batch
from .linalg import _cholesky_batch as cholesky
from .linalg import _geqrf1, ldl_factor, ldl_solve, lu_det
from .linalg import _geqrf_batch as geqrf
from .linalg import _lu_factor_batch as lu_factor
from .linalg import _lu_solve_batch as lu_solve
from .linalg import _tri_solve_batch as tri_solve

__all__ = ["lu_factor", "lu_det", "lu_slogdet", "lu_solve", "lu_inv", "tri_solve", "cholesky", "qr", "geqrf",
           "hermitian_tridiagonal", "batched_matmul", "svd_jacobi", "gram", "complete_columns",
           "ldl_factor", "ldl_solve"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")


def lu_inv(lu, piv, x) -> None:
    """x (B, n, n) <- A^-1 from lu_factor's output (x's contents are overwritten): unblocked, a solve against I."""
    x[...] = 0.0
    for i in range(x.shape[1]):
        x[:, i, i] = 1.0
    lu_solve(lu, piv, x)


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
def _orgqr1(a, tau, q, w):
    """q (m, mc) <- the first mc columns of Q = H_0 ... H_(k-1) from geqrf's a, tau (zung2r, backwards); w (mc,)
    workspace (allocation-free: the CUDA kernels compile this for the device)."""
    m = a.shape[0]
    mc = q.shape[1]
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


@njit(**_JIT)
def _qr_range(a, q, lo, hi):
    """a (B, m, n) <- R (upper; rows past n zero), q (B, m, mc) <- the first mc columns of Q."""
    m, n = a.shape[1], a.shape[2]
    k = min(m, n)
    for b in range(lo, hi):
        tau = np.zeros(k, a.dtype)
        _geqrf1(a[b], tau)
        _orgqr1(a[b], tau, q[b], np.empty(q.shape[2], a.dtype))
        for i in range(m):
            for j in range(min(i, n)):
                a[b, i, j] = 0.0


def qr(a, q) -> None:
    over_batch(_qr_range, a.shape[0], a[0].size if a.shape[0] else 0, a, q)


@njit(**_JIT)
def _hetrd1(a, d, e, q, v, p):
    """Hermitian a (full, both triangles) -> Q^H a Q = T tridiagonal, then a diagonal unitary D making T's
    off-diagonal real non-negative: d, e (e[i] = T[i+1, i]) real, q <- Q D (so a = q tri(d, e) q^H). v, p (n,)
    complex workspace (allocation-free: the CUDA kernels compile this for the device)."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            q[i, j] = 1.0 if i == j else 0.0
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


@njit(**_JIT)
def _hermitian_tridiagonal_range(a, d, e, q, lo, hi):
    """Batched _hetrd1: a (B, n, n) Hermitian (both triangles filled), d (B, n), e (B, n - 1) real, q (B, n, n)."""
    for b in range(lo, hi):
        n = a.shape[1]
        _hetrd1(a[b], d[b], e[b], q[b], np.empty(n, a.dtype), np.empty(n, a.dtype))


def hermitian_tridiagonal(a, d, e, q) -> None:
    over_batch(_hermitian_tridiagonal_range, a.shape[0], a[0].size if a.shape[0] else 0, a, d, e, q)


@njit(**_JIT)
def _batched_matmul_range(q, z, out, lo, hi):
    """out[b] <- q[b] z[b] (B, m, p) @ (B, p, n), complex (the eigh back-transform, the SVD's starting
    rotation): rows of z streamed in the inner loop."""
    m, p, n = q.shape[1], q.shape[2], z.shape[2]
    for b in range(lo, hi):
        for i in range(m):
            for j in range(n):
                out[b, i, j] = 0.0
            for k in range(p):
                f = q[b, i, k]
                for j in range(n):
                    out[b, i, j] += f * z[b, k, j]


def batched_matmul(q, z, out) -> None:
    over_batch(_batched_matmul_range, q.shape[0], q[0].size if q.shape[0] else 0, q, z, out)


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


@njit(**_JIT)
def _svd_jacobi_range(x, v, s, start, lo, hi):
    """Batched _jacobi1: x (B, m, n) with m >= n, v (B, n, n), s (B, n) real (unsorted); start: v holds each
    x's starting rotation (already applied to x)."""
    for b in range(lo, hi):
        _jacobi1(x[b], v[b], s[b], start)


def svd_jacobi(x, v, s, start) -> None:
    over_batch(_svd_jacobi_range, x.shape[0], x[0].size if x.shape[0] else 0, x, v, s, start)


@njit(**_JIT)
def _gram_range(x, g, lo, hi):
    """g[b] <- x[b]^H x[b] (B, n, n) for x (B, m, n)."""
    m, n = x.shape[1], x.shape[2]
    for b in range(lo, hi):
        for i in range(n):
            for j in range(i, n):
                t = 0.0j
                for r in range(m):
                    t += x[b, r, i].conjugate() * x[b, r, j]
                g[b, i, j] = t
                g[b, j, i] = t.conjugate()


def gram(x, g) -> None:
    over_batch(_gram_range, x.shape[0], x[0].size if x.shape[0] else 0, x, g)


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


@njit(**_JIT)
def _complete_columns_range(u, nvalid, lo, hi):
    """Make the columns of each u[b] (m, r) orthonormal: the first nvalid[b] ones are kept (re-orthogonalised),
    the others (and any that lost over half its norm) replaced by unit vectors e_i orthogonalised against them
    (some e_i keeps over 1/sqrt(2m) of its norm, so the search ends). (kernels/cuda/linalg_complex.py's svd
    repeats this loop around the device-compiled _orthonormalize.)"""
    m, r = u.shape[1], u.shape[2]
    thresh = 1.0 / math.sqrt(2.0 * m) if m else 0.0
    for b in range(lo, hi):
        nxt = 0
        for j in range(r):
            ok = j < nvalid[b] and _orthonormalize(u[b], j) > 0.5
            while not ok and nxt < m:
                for t in range(m):
                    u[b, t, j] = 0.0
                u[b, nxt, j] = 1.0
                nxt += 1
                ok = _orthonormalize(u[b], j) > thresh



def complete_columns(u, nvalid) -> None:
    over_batch(_complete_columns_range, u.shape[0], u[0].size if u.shape[0] else 0, u, nvalid)
