"""Divide-and-conquer eigensolver for a symmetric tridiagonal matrix (Cuppen's method as LAPACK's dstedc / dlaed0-4
write it), so that most of the work of linalg.eigh runs in matrix products instead of QL's row rotations.

The matrix is split in halves (recursively, down to LEAF rows solved by implicit QL): T = diag(T1, T2) + rho v v^T,
with |e| taken off the two diagonal entries beside the cut. Merging the halves' eigendecompositions is a rank-one
update D + rho z z^T of a diagonal: components of z that are negligible, and pairs of nearly equal entries of D
(after a rotation that zeroes one of their z components), deflate, keeping their eigenpairs. The other eigenvalues
are the roots of the secular equation 1/rho + sum z_j^2 / (d_j - lam) = 0, each found from the nearer pole with
a safeguarded rational (two-pole, "middle way") iteration as dlaed4 does, returning every d_j - lam accurately.
From those differences z is recomputed (Gu and Eisenstat: the z for which the computed roots are exact), so the
eigenvectors z_j / (d_j - lam) come out orthogonal to working accuracy; they multiply the halves' eigenvector
matrices in two products (the rows of the upper half touch only its columns, as LAPACK's column types do).

Eigenvectors are kept as the ROWS of w (w = Q^T, so that the rotations and gathers run along contiguous rows).
Implicit QL (_tql2) lives here too: the leaves use it, linalg.py's small-matrix path and the CUDA kernels too.
Numba's on-disk cache of linalg.py's kernels does not notice edits to this file (it keys on the caller's own
source): after changing a function here, touch linalg.py (or clear its cache) before timing or testing.
"""

import math

import numpy as np
from numba import njit

from .matmul import _direct

__all__ = ["tridiag_eig", "LEAF", "_tql2"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_FJIT = dict(_JIT, fastmath={"reassoc", "contract"})

EPS = 2.220446049250313e-16
LEAF = 32  # subproblems of at most this order are solved by implicit QL


@njit(**_FJIT)
def _tql2(vt, d, e):
    """Implicit QL on the tridiagonal (d, e), rotating the rows of vt (the transposed eigenvector matrix, so
    each rotation runs along contiguous rows) (EISPACK tql2). A vt with no columns (n x 0) skips the rotations:
    eigenvalues only, O(n^2). (The CUDA kernels compile this function's Python source as a device function.)"""
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
                    r = math.sqrt(p * p + e[i] * e[i])  # twice as fast as hypot; hypot where p^2 + e^2 under/overflows
                    if not (r > 1e-150 and r < 1e150):
                        r = math.hypot(p, e[i])
                    e[i + 1] = s * r
                    s = e[i] / r
                    c = p / r
                    p = c * d[i] - s * g
                    d[i + 1] = h + s * (c * g + s * d[i])
                    for k in range(vt.shape[1]):
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
def _secular(i, dl, z, rho, base, delta):
    """Root i (ascending) of 1/rho + sum_j z_j^2 / (dl_j - lam) = 0 (dl strictly ascending, z_j != 0, rho > 0,
    at least two poles); delta <- dl_j - lam for every j, computed from the pole nearer the root so the small ones
    are accurate; returns lam. base is workspace."""
    k = dl.shape[0]
    rhoinv = 1.0 / rho
    if i < k - 1:
        half = 0.5 * (dl[i + 1] - dl[i])
        fm = rhoinv
        for j in range(k):
            fm += z[j] * z[j] / ((dl[j] - dl[i]) - half)
        if fm >= 0.0:  # the root lies in the lower half: measure from dl[i]
            org, lo, hi = i, 0.0, half
        else:
            org, lo, hi = i + 1, -half, 0.0
        p = i
    else:
        ss = 0.0
        for j in range(k):
            ss += z[j] * z[j]
        org, lo, hi = k - 1, 0.0, rho * ss
        p = k - 2
    for j in range(k):
        base[j] = dl[j] - dl[org]
    tau = 0.5 * (lo + hi)
    for _it in range(200):
        psi = 0.0
        dpsi = 0.0
        phi = 0.0
        dphi = 0.0
        tot = 0.0
        for j in range(p + 1):
            t = z[j] / (base[j] - tau)
            psi += z[j] * t
            dpsi += t * t
            tot += abs(z[j] * t)
        for j in range(p + 1, k):
            t = z[j] / (base[j] - tau)
            phi += z[j] * t
            dphi += t * t
            tot += abs(z[j] * t)
        f = rhoinv + psi + phi
        df = dpsi + dphi
        if abs(f) <= EPS * (8.0 * tot + 2.0 * rhoinv + abs(tau) * df):
            break
        if f < 0.0:
            lo = tau
        else:
            hi = tau
        # Model: f ~ c + b1 / (base_p - x) + b2 / (base_{p+1} - x), matching psi, phi and their slopes at tau;
        # its root x = tau + eta solves c eta^2 - a eta + b = 0.
        d1 = base[p] - tau
        d2 = base[p + 1] - tau
        c = f - d1 * dpsi - d2 * dphi
        a = (d1 + d2) * f - d1 * d2 * df
        b = d1 * d2 * f
        eta = 0.0
        ok = False
        disc = math.sqrt(abs(a * a - 4.0 * b * c))
        q = 0.5 * (a + disc) if a >= 0.0 else 0.5 * (a - disc)
        for r in range(2):
            if r == 0:
                cand = q / c if c != 0.0 else math.nan
            else:
                cand = b / q if q != 0.0 else math.nan
            if i < k - 1:
                inside = d1 < cand < d2
            else:
                inside = cand > d2
            if inside and (not ok or abs(cand) < abs(eta)):
                eta = cand
                ok = True
        if not ok or f * eta >= 0.0:
            eta = -f / df  # Newton
        new = tau + eta
        if not (lo < new < hi):
            new = 0.5 * (lo + hi)
        if new == tau:
            break
        tau = new
    for j in range(k):
        delta[j] = base[j] - tau
    return dl[org] + tau


@njit(**_FJIT)
def _rank_one_vectors(dl, z, rho, lam, ut, base, delta):
    """Eigenvalues lam and eigenvectors (rows of ut, k x k) of diag(dl) + rho z z^T for the non-deflated part.
    ut's rows first hold the differences dl_i - lam_j (row j), then the normalised vectors."""
    k = dl.shape[0]
    if k == 1:
        lam[0] = dl[0] + rho * z[0] * z[0]
        ut[0, 0] = 1.0
        return
    for j in range(k):
        lam[j] = _secular(j, dl, z, rho, base, delta)
        ut[j, :] = delta
    # Gu-Eisenstat: zhat_i^2 = -prod_j (dl_i - lam_j) / prod_{j != i} (dl_i - dl_j) (times 1/rho, which the
    # normalisation below removes).
    w = np.empty(k)
    for i in range(k):
        w[i] = ut[i, i]
    for j in range(k):
        row = ut[j]
        dj = dl[j]
        for i in range(k):
            if i != j:
                w[i] *= row[i] / (dl[i] - dj)
    for i in range(k):
        w[i] = math.copysign(math.sqrt(max(-w[i], 0.0)), z[i])
    for j in range(k):
        row = ut[j]
        s = 0.0
        for i in range(k):
            row[i] = w[i] / row[i]
            s += row[i] * row[i]
        s = 1.0 / math.sqrt(s)
        for i in range(k):
            row[i] *= s


@njit(**_JIT)
def _merge(d, e, w, s, m, t):
    """Merge the solved halves [s, m) and [m, t) of the tridiagonal: d[s:t] <- the eigenvalues (any order),
    w[s:t, s:t] <- the eigenvectors as rows (on entry: the halves' eigenvectors, block diagonal)."""
    nn = t - s
    n1 = m - s
    beta = e[m]
    old = w[s:t, s:t].copy()
    z = np.empty(nn)
    sgn = 1.0 if beta >= 0.0 else -1.0
    r2 = 1.0 / math.sqrt(2.0)
    for i in range(n1):
        z[i] = old[i, n1 - 1] * r2
    for i in range(n1, nn):
        z[i] = sgn * old[i, n1] * r2
    rho = 2.0 * abs(beta)
    # Sort the poles; rows of old follow through the index array.
    dv = d[s:t].copy()
    order = np.argsort(dv, kind="mergesort")
    ds = dv[order]
    zs = z[order]
    typ = np.empty(nn, np.int64)  # 1: row nonzero in the upper columns only, 3: lower only, 2: both
    for r in range(nn):
        typ[r] = 1 if order[r] < n1 else 3
    dmax = 0.0
    zmax = 0.0
    for r in range(nn):
        dmax = max(dmax, abs(ds[r]))
        zmax = max(zmax, abs(zs[r]))
    tol = 8.0 * EPS * max(dmax, zmax)
    # Deflation: tiny z_r, or a pair of close poles whose rotation leaves one z zero.
    keep = np.empty(nn, np.int64)  # positions (into ds / order) of the non-deflated poles, ascending
    gone = np.empty(nn, np.int64)
    nk = 0
    ng = 0
    pj = -1
    for j in range(nn):
        if rho * abs(zs[j]) <= tol:
            gone[ng] = j
            ng += 1
            continue
        if pj < 0:
            pj = j
            continue
        sv = zs[pj]
        cv = zs[j]
        tau = math.hypot(cv, sv)
        tt = ds[j] - ds[pj]
        cv /= tau
        sv = -sv / tau
        if abs(tt * cv * sv) <= tol:
            zs[j] = tau
            zs[pj] = 0.0
            x = old[order[pj]]
            y = old[order[j]]
            for c in range(nn):
                xc = x[c]
                yc = y[c]
                x[c] = cv * xc + sv * yc
                y[c] = cv * yc - sv * xc
            if typ[pj] != typ[j]:
                typ[pj] = 2
                typ[j] = 2
            t1 = ds[pj] * cv * cv + ds[j] * sv * sv
            ds[j] = ds[pj] * sv * sv + ds[j] * cv * cv
            ds[pj] = t1
            gone[ng] = pj
            ng += 1
        else:
            keep[nk] = pj
            nk += 1
        pj = j
    if pj >= 0:
        keep[nk] = pj
        nk += 1
    # Non-deflated part: secular equation, then the products with the halves' eigenvectors.
    out = w[s:t, s:t]
    if nk > 0:
        dl = np.empty(nk)
        zk = np.empty(nk)
        for r in range(nk):
            dl[r] = ds[keep[r]]
            zk[r] = zs[keep[r]]
        lam = np.empty(nk)
        ut = np.empty((nk, nk))
        _rank_one_vectors(dl, zk, rho, lam, ut, np.empty(nk), np.empty(nk))
        n2 = nn - n1
        for half in range(2):
            c0 = 0 if half == 0 else n1
            nc = n1 if half == 0 else n2
            skip = 3 if half == 0 else 1
            cnt = 0
            for r in range(nk):
                if typ[keep[r]] != skip:
                    cnt += 1
            if cnt == 0:
                for j in range(nk):
                    out[j, c0:c0 + nc] = 0.0
                continue
            a = np.empty((nk, cnt))
            b = np.empty((cnt, nc))
            q = 0
            for r in range(nk):
                if typ[keep[r]] != skip:
                    a[:, q] = ut[:, r]
                    b[q, :] = old[order[keep[r]], c0:c0 + nc]
                    q += 1
            prod = np.empty((nk, nc))
            _direct(a, b, prod)
            for j in range(nk):
                out[j, c0:c0 + nc] = prod[j]
        for j in range(nk):
            d[s + j] = lam[j]
    for g in range(ng):
        r = gone[g]
        out[nk + g, :] = old[order[r]]
        d[s + nk + g] = ds[r]


@njit(**_JIT)
def tridiag_eig(d, e, w):
    """Eigen-decomposition of the symmetric tridiagonal (d, e) (e[i]: the entry between rows i - 1 and i;
    e[0] unused; both are scaled and restored): d <- the eigenvalues (unordered), w (n x n) <- the eigenvectors
    as rows, in d's order."""
    n = d.shape[0]
    w[:, :] = 0.0
    if n == 0:
        return
    big = 0.0
    for i in range(n):
        big = max(big, abs(d[i]))
    for i in range(1, n):
        big = max(big, abs(e[i]))
    ex = 0
    if big > 0.0 and math.isfinite(big):  # scale by a power of two to unit size (exact), as dstedc scales
        ex = math.frexp(big)[1]
        for i in range(n):
            d[i] = math.ldexp(d[i], -ex)
            e[i] = math.ldexp(e[i], -ex)
    # Subproblem bounds, level by level: halve every piece until all have at most LEAF rows.
    levels = 0
    while (n >> levels) > LEAF:
        levels += 1
    cnt = 1 << levels
    bounds = np.empty((levels + 1, cnt + 1), np.int64)
    bounds[0, 0] = 0
    bounds[0, 1] = n
    for lv in range(levels):
        parts = 1 << lv
        for p in range(parts):
            a = bounds[lv, p]
            b = bounds[lv, p + 1]
            bounds[lv + 1, 2 * p] = a
            bounds[lv + 1, 2 * p + 1] = a + (b - a) // 2
        bounds[lv + 1, 2 * parts] = n
    # The rank-one tears: take |e| off the diagonal entries on both sides of every cut.
    for p in range(1, cnt):
        m = bounds[levels, p]
        if m > 0 and m < n:
            d[m - 1] -= abs(e[m])
            d[m] -= abs(e[m])
    # Leaves by implicit QL.
    for p in range(cnt):
        a = bounds[levels, p]
        b = bounds[levels, p + 1]
        nl = b - a
        if nl == 0:
            continue
        dl = d[a:b].copy()
        el = np.zeros(nl)
        for i in range(1, nl):
            el[i] = e[a + i]
        vt = np.eye(nl)
        _tql2(vt, dl, el)
        d[a:b] = dl
        w[a:b, a:b] = vt
    for lv in range(levels - 1, -1, -1):
        for p in range(1 << lv):
            a = bounds[lv, p]
            b = bounds[lv, p + 1]
            m = bounds[lv + 1, 2 * p + 1]
            if m > a and m < b:
                _merge(d, e, w, a, m, b)
    if ex != 0:
        for i in range(n):
            d[i] = math.ldexp(d[i], ex)
            e[i] = math.ldexp(e[i], ex)
