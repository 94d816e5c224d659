"""geqrf / orgqr / ormqr, linalg.ldl_factor(_ex) / ldl_solve and lobpcg. Oracles: NumPy's LAPACK (qr 'raw' is
geqrf itself; 'complete' Q is the product of all reflectors), numpy.linalg.solve / eigvalsh, a NumPy rebuild of
A from sytrf's documented LD / pivot form, float64 finite differences (gradcheck) and, for a few small matrices,
the values torch 2.13 returns (written out)."""

import numpy as np
import pytest

import ntorch
from ntorch.autograd import gradcheck

RNG = np.random.default_rng(0)


def _t(a, dt=ntorch.float64, **kw):
    return ntorch.tensor(np.asarray(a), dtype=dt, **kw)


# ---- geqrf ----
# (130, 100) and (100, 130): the blocked (compact-WY) driver

@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (1, 1), (2, 6, 4), (3, 1, 2), (130, 100), (100, 130)])
def test_geqrf_matches_lapack(shape):
    A = RNG.standard_normal(shape)
    a, tau = ntorch.geqrf(_t(A))
    k = min(shape[-2:])
    assert a.shape == shape and tau.shape == shape[:-2] + (k,) and a.dtype is ntorch.float64
    flat_a, flat_t = a.numpy().reshape(-1, *shape[-2:]), tau.numpy().reshape(-1, k)
    for i, M in enumerate(A.reshape(-1, *shape[-2:])):
        h, t = np.linalg.qr(M, mode="raw")  # LAPACK dgeqrf, column-major: h is a transposed
        np.testing.assert_allclose(flat_a[i], h.T, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(flat_t[i], t, rtol=1e-10, atol=1e-12)


def test_geqrf_float32_method_out_and_empty():
    A = RNG.standard_normal((6, 3))
    a, tau = _t(A, ntorch.float32).geqrf()
    h, t = np.linalg.qr(A, mode="raw")
    assert a.dtype is ntorch.float32 and tau.dtype is ntorch.float32
    np.testing.assert_allclose(a.numpy(), h.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tau.numpy(), t, rtol=1e-5, atol=1e-5)
    oa, ot = ntorch.empty(0, dtype=ntorch.float64), ntorch.empty(0, dtype=ntorch.float64)
    res = ntorch.geqrf(_t(A), out=(oa, ot))
    assert res[0] is oa and res[1] is ot
    np.testing.assert_allclose(oa.numpy(), h.T, rtol=1e-12, atol=1e-12)
    a, tau = ntorch.geqrf(ntorch.ones(0, 3))
    assert a.shape == (0, 3) and tau.shape == (0,)
    # a zero column below the diagonal: no reflection (tau = 0), R keeps the entry's sign as LAPACK
    a, tau = ntorch.geqrf(_t([[-2.0, 1.0], [0.0, 3.0]]))
    np.testing.assert_array_equal(tau.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(a.numpy(), [[-2.0, 1.0], [0.0, 3.0]])


def test_geqrf_errors():
    with pytest.raises(RuntimeError, match=r"^torch\.geqrf: input must have at least 2 dimensions\.$"):
        ntorch.geqrf(ntorch.ones(3))
    with pytest.raises(NotImplementedError, match="^\"geqrf_cpu\" not implemented for 'Long'$"):
        ntorch.geqrf(ntorch.ones(3, 3, dtype=ntorch.int64))
    with pytest.raises(NotImplementedError, match="^\"geqrf_cpu\" not implemented for 'Half'$"):
        ntorch.geqrf(ntorch.ones(3, 3, dtype=ntorch.float16))


# ---- orgqr / ormqr ----

def test_orgqr_is_lapack_q():
    A = RNG.standard_normal((2, 5, 3))
    a, tau = ntorch.geqrf(_t(A))
    Q = ntorch.orgqr(a, tau)
    assert Q.shape == (2, 5, 3)
    for i in range(2):
        np.testing.assert_allclose(Q.numpy()[i], np.linalg.qr(A[i])[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.orgqr(tau).numpy(), Q.numpy(), rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (2, 5, 2)])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_ormqr_applies_full_q(shape, left, transpose):
    A = RNG.standard_normal(shape)
    m = shape[-2]
    C = RNG.standard_normal(shape[:-2] + ((m, 3) if left else (3, m)))
    a, tau = ntorch.geqrf(_t(A))
    got = ntorch.ormqr(a, tau, _t(C), left, transpose)
    for i, M in enumerate(A.reshape(-1, *shape[-2:])):
        Q = np.linalg.qr(M, mode="complete")[0]  # m x m, H_1 ... H_k
        Q = Q.T if transpose else Q
        c = C.reshape(-1, *C.shape[-2:])[i]
        want = Q @ c if left else c @ Q
        np.testing.assert_allclose(got.numpy().reshape(-1, *C.shape[-2:])[i], want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.ormqr(tau, _t(C), left, transpose).numpy(), got.numpy(), rtol=0, atol=0)


def test_ormqr_gradients():
    a = _t(RNG.standard_normal((4, 2)), requires_grad=True)
    tau = _t(RNG.uniform(0.5, 1.5, 2), requires_grad=True)
    c = _t(RNG.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x, t, y: ntorch.ormqr(x, t, y), (a, tau, c))
    c2 = _t(RNG.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x, t, y: ntorch.ormqr(x, t, y, left=False, transpose=True), (a, tau, c2))


def test_ormqr_errors():
    f64 = ntorch.float64
    A = ntorch.ones(4, 3, dtype=f64)
    with pytest.raises(RuntimeError, match=r"^torch\.ormqr: other must have at least 2 dimensions\.$"):
        ntorch.ormqr(A, ntorch.ones(3, dtype=f64), ntorch.ones(4, dtype=f64))
    with pytest.raises(RuntimeError, match=r"^torch\.ormqr: other\.shape\[-2\] must be equal to input\.shape\[-2\]$"):
        ntorch.ormqr(A, ntorch.ones(3, dtype=f64), ntorch.ones(3, 4, dtype=f64))
    with pytest.raises(RuntimeError, match=r"^torch\.ormqr: other\.shape\[-1\] must be equal to input\.shape\[-2\]$"):
        ntorch.ormqr(A, ntorch.ones(3, dtype=f64), ntorch.ones(4, 2, dtype=f64), left=False)
    with pytest.raises(RuntimeError, match=r"^torch\.ormqr: tau\.shape\[-1\] must be equal to min\(other\.shape\[-2\], "
                                           r"input\.shape\[-1\]\)$"):
        ntorch.ormqr(A, ntorch.ones(2, dtype=f64), ntorch.ones(4, 2, dtype=f64))
    with pytest.raises(RuntimeError, match=r"^torch\.ormqr: Expected batch dimensions of tau to be equal to "
                                           r"input\.shape\[:-2\], but got \[3\]$"):
        ntorch.ormqr(ntorch.ones(2, 4, 3, dtype=f64), ntorch.ones(3, 3, dtype=f64), ntorch.ones(2, 4, 4, dtype=f64))
    with pytest.raises(RuntimeError, match=r"^torch\.ormqr: Expected input and tau to have the same dtype, but input "
                                           r"has dtypeDouble and tau has dtype Float$"):
        ntorch.ormqr(A, ntorch.ones(3), ntorch.ones(4, 2, dtype=f64))
    with pytest.raises(RuntimeError, match=r"^torch\.ormqr: Expected input and other to have the same dtype"):
        ntorch.ormqr(A, ntorch.ones(3, dtype=f64), ntorch.ones(4, 2))
    with pytest.raises(NotImplementedError, match="^\"ormqr_cpu\" not implemented for 'Long'$"):
        i64 = ntorch.int64
        ntorch.ormqr(ntorch.ones(4, 3, dtype=i64), ntorch.ones(3, dtype=i64), ntorch.ones(4, 2, dtype=i64))


# ---- LDL^T ----

def _rebuild(LD: np.ndarray, piv: np.ndarray) -> np.ndarray:
    """A = L D L^T from sytrf's lower form: L = P(1) L(1) P(2) L(2) ..., each block k (1x1 when piv[k] > 0,
    2x2 when piv[k] = piv[k+1] < 0) swapping row/column k (or k+1) with |piv[k]| - 1, L(k) holding the block's
    multipliers below it, D its diagonal block."""
    n = LD.shape[0]
    L, D = np.eye(n), np.zeros((n, n))
    k = 0
    while k < n:
        s = 1 if piv[k] > 0 else 2
        p = abs(piv[k]) - 1
        P = np.eye(n)
        P[[k + s - 1, p]] = P[[p, k + s - 1]]
        Lk = np.eye(n)
        Lk[k + s:, k:k + s] = LD[k + s:, k:k + s]
        D[k:k + s, k:k + s] = LD[k:k + s, k:k + s]
        if s == 2:
            D[k, k + 1] = D[k + 1, k]
        L = L @ P @ Lk
        k += s
    return L @ D @ L.T


def _sym(n, weak_diag=False):
    M = RNG.standard_normal((n, n))
    M = M + M.T
    if weak_diag:  # forces 2x2 pivots and interchanges
        np.fill_diagonal(M, 0.01 * RNG.standard_normal(n))
    return M


@pytest.mark.parametrize("n", [1, 3, 6, 20, 70])
@pytest.mark.parametrize("weak_diag", [False, True])
def test_ldl_factor_rebuilds_and_solves(n, weak_diag):
    A = _sym(n, weak_diag)
    LD, piv = ntorch.linalg.ldl_factor(_t(A))
    assert LD.dtype is ntorch.float64 and piv.dtype is ntorch.int32 and piv.shape == (n,)
    assert np.all(np.triu(LD.numpy(), 1) == 0)
    np.testing.assert_allclose(_rebuild(LD.numpy(), piv.numpy()), A, rtol=1e-10, atol=1e-10)
    B = RNG.standard_normal((n, 3))
    X = ntorch.linalg.ldl_solve(LD, piv, _t(B))
    np.testing.assert_allclose(X.numpy(), np.linalg.solve(A, B), rtol=1e-8, atol=1e-8)


def test_ldl_reads_the_lower_triangle_and_matches_torch_values():
    # torch 2.13 on these inputs (LAPACK sytrf): values, 1-based pivots (negative for a 2x2 block), info
    LD, piv, info = ntorch.linalg.ldl_factor_ex(_t([[0.0, 1.0], [1.0, 0.0]]))
    np.testing.assert_array_equal(LD.numpy(), [[0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(piv.numpy(), [-2, -2])
    assert info.item() == 0 and info.dtype is ntorch.int32
    LD, piv, info = ntorch.linalg.ldl_factor_ex(_t([[1.0, 2.0], [2.0, 4.0]]))
    np.testing.assert_array_equal(LD.numpy(), [[4.0, 0.0], [0.5, 0.0]])
    np.testing.assert_array_equal(piv.numpy(), [2, 2])
    assert info.item() == 2
    LD, piv = ntorch.linalg.ldl_factor(_t([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]]))
    np.testing.assert_allclose(LD.numpy(), [[6.0, 0, 0], [5 / 6, -0.5, 0], [0.5, 1.0, 1 / 3]], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(piv.numpy(), [3, 3, 3])
    LD, piv = ntorch.linalg.ldl_factor(_t([[1.0, 2.0], [3.0, 4.0]]))  # the upper 2 is never read
    np.testing.assert_allclose(LD.numpy(), [[4.0, 0.0], [0.75, -1.25]], rtol=1e-12)
    np.testing.assert_array_equal(piv.numpy(), [2, 2])


def test_ldl_batches_float32_broadcast_and_empty():
    A = np.stack([_sym(5, True), _sym(5)])
    LD, piv, info = ntorch.linalg.ldl_factor_ex(_t(A, ntorch.float32), hermitian=True)
    assert LD.dtype is ntorch.float32 and info.shape == (2,) and piv.shape == (2, 5)
    for i in range(2):
        np.testing.assert_allclose(_rebuild(LD.numpy()[i].astype(np.float64), piv.numpy()[i]), A[i], rtol=1e-4,
                                   atol=1e-4)
    LD, piv = ntorch.linalg.ldl_factor(_t(A[0]))
    B = RNG.standard_normal((3, 5, 2))  # B's batch broadcasts against a single factorization
    X = ntorch.linalg.ldl_solve(LD, piv.long(), _t(B))
    np.testing.assert_allclose(X.numpy(), np.linalg.solve(A[0], B), rtol=1e-8, atol=1e-8)
    LD, piv = ntorch.linalg.ldl_factor(ntorch.zeros(2, 0, 0))
    assert LD.shape == (2, 0, 0) and piv.shape == (2, 0)
    assert ntorch.linalg.ldl_solve(*ntorch.linalg.ldl_factor(ntorch.zeros(0, 0)), ntorch.zeros(0, 3)).shape == (0, 3)


def test_ldl_errors():
    f64 = ntorch.float64
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_factor_ex: A must be batches of square matrices, but "
                                           r"they are 3 by 2 matrices$"):
        ntorch.linalg.ldl_factor(ntorch.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_factor_ex: The input tensor A must have at least 2 "
                                           r"dimensions\.$"):
        ntorch.linalg.ldl_factor(ntorch.ones(3))
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_factor_ex: Expected a floating point or complex "
                                           r"tensor as input\. Got Long$"):
        ntorch.linalg.ldl_factor(ntorch.ones(3, 3, dtype=ntorch.int64))
    with pytest.raises(NotImplementedError, match="^\"ldl_factor_kernel_cpu\" not implemented for 'Half'$"):
        ntorch.linalg.ldl_factor(ntorch.ones(3, 3, dtype=ntorch.float16))
    with pytest.raises(ntorch.linalg.LinAlgError, match=r"^torch\.linalg\.ldl_factor: .*D\[1, 1\] is exactly zero"):
        ntorch.linalg.ldl_factor(_t([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(ntorch.linalg.LinAlgError, match=r"\(Batch element 1\): "):
        ntorch.linalg.ldl_factor_ex(_t([np.eye(2), np.zeros((2, 2))]), check_errors=True)
    LD, piv = ntorch.linalg.ldl_factor(_t(_sym(4)))
    with pytest.raises(RuntimeError, match=r"^Incompatible matrix sizes for torch\.linalg\.ldl_solve: each A matrix is "
                                           r"4 by 4 but each b matrix is 3 by 2$"):
        ntorch.linalg.ldl_solve(LD, piv, ntorch.ones(3, 2, dtype=f64))
    with pytest.raises(RuntimeError, match=r"^Expected b and A to have the same dtype, but found b of type Float and A "
                                           r"of type Double instead\.$"):
        ntorch.linalg.ldl_solve(LD, piv, ntorch.ones(4, 2))
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_solve: Expected LD\.shape\[:-1\] and pivots\.shape to "
                                           r"be the same, but got pivots with shape \[3\] instead$"):
        ntorch.linalg.ldl_solve(LD, piv[:3], ntorch.ones(4, 2, dtype=f64))
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_solve: Expected pivots to be integers\. Got Float$"):
        ntorch.linalg.ldl_solve(LD, piv.float(), ntorch.ones(4, 2, dtype=f64))
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_solve: A must be batches of square matrices"):
        ntorch.linalg.ldl_solve(LD[:, :3], piv, ntorch.ones(4, 2, dtype=f64))
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of \[-1, 0\], but got "
                                         r"-2\)$"):
        ntorch.linalg.ldl_solve(LD, piv, ntorch.ones(4, dtype=f64))
    with pytest.raises(RuntimeError, match="pivots must be in"):  # checked before the kernel indexes with them
        ntorch.linalg.ldl_solve(LD, ntorch.tensor([1, 2, 9, 4], dtype=ntorch.int32), ntorch.ones(4, 2, dtype=f64))


# ---- lobpcg ----

def _spd(n, shift=0.0):
    M = RNG.standard_normal((n, n))
    return M @ M.T + shift * np.eye(n)


def _check_pairs(A, E, X, want, B=None):
    np.testing.assert_allclose(E, want, rtol=1e-6)
    Bm = np.eye(A.shape[0]) if B is None else B
    np.testing.assert_allclose(A @ X, Bm @ X * E, atol=1e-5 * np.abs(want).max())
    np.testing.assert_allclose(X.T @ Bm @ X, np.eye(X.shape[1]), atol=1e-8)


def test_lobpcg_largest_and_smallest():
    A = _spd(15, 0.1)
    w = np.linalg.eigvalsh(A)
    E, X = ntorch.lobpcg(_t(A), k=2)
    assert E.shape == (2,) and X.shape == (15, 2) and E.dtype is ntorch.float64
    _check_pairs(A, E.numpy(), X.numpy(), w[::-1][:2])  # descending, as torch
    E, X = ntorch.lobpcg(_t(A), k=3, largest=False)
    _check_pairs(A, E.numpy(), X.numpy(), w[:3])
    E, X = ntorch.lobpcg(_t(A), X=_t(RNG.standard_normal((15, 2))), method="basic")
    _check_pairs(A, E.numpy(), X.numpy(), w[::-1][:2])


def test_lobpcg_generalized_batched_float32():
    A, B = _spd(12), _spd(12, 12.0)
    Li = np.linalg.inv(np.linalg.cholesky(B))
    w = np.linalg.eigvalsh(Li @ A @ Li.T)  # A x = l B x
    E, X = ntorch.lobpcg(_t(A), k=1, B=_t(B))
    _check_pairs(A, E.numpy(), X.numpy(), w[-1:], B)
    As = np.stack([_spd(12), _spd(12)])
    E, X = ntorch.lobpcg(_t(As), k=1, n=2)
    assert E.shape == (2, 1) and X.shape == (2, 12, 1)
    for i in range(2):
        _check_pairs(As[i], E.numpy()[i], X.numpy()[i], np.linalg.eigvalsh(As[i])[-1:])
    E, X = ntorch.lobpcg(_t(A, ntorch.float32), k=1)
    assert E.dtype is ntorch.float32 and X.dtype is ntorch.float32
    np.testing.assert_allclose(E.numpy(), np.linalg.eigvalsh(A)[-1:], rtol=1e-5)


def test_lobpcg_errors():
    A = _t(_spd(12))
    with pytest.raises(ValueError, match=r"^LOBPCG algorithm is not applicable when the number of A rows \(=12\) is "
                                         r"smaller than 3 x the number of requested eigenpairs \(=5\)$"):
        ntorch.lobpcg(A, k=5)
    with pytest.raises(AssertionError, match="^A must be square, got shape"):
        ntorch.lobpcg(A[:, :5], k=1)
    with pytest.raises(AssertionError, match="^A and B must have same shape"):
        ntorch.lobpcg(A, B=A[:5], k=1)


def _loss_np(A, w1, W2, k, largest):
    """The oracle loss: NumPy eigh of (A + A^T) / 2, the k extreme pairs; sign-free in the eigenvectors."""
    e, v = np.linalg.eigh((A + A.T) / 2)
    idx = np.argsort(e)[::-1][:k] if largest else np.argsort(e)[:k]
    U = v[:, idx]
    return (w1 * e[idx]).sum() + (W2 * (U @ U.T)).sum()


@pytest.mark.parametrize("largest", [True, False])
def test_lobpcg_gradient_matches_finite_differences(largest):
    m, k = 10, 2
    A0 = _spd(m) + 0.2 * RNG.standard_normal((m, m))  # not symmetric: torch differentiates (A + A^T) / 2
    w1, W2 = RNG.standard_normal(k), RNG.standard_normal((m, m))
    A = _t(A0, requires_grad=True)
    E, U = ntorch.lobpcg(A, k=k, largest=largest, tol=1e-12)
    ((_t(w1) * E).sum() + (_t(W2) * U.matmul(U.mT)).sum()).backward()
    want, h = np.zeros((m, m)), 1e-6
    for i in range(m):
        for j in range(m):
            Ap, Am = A0.copy(), A0.copy()
            Ap[i, j] += h
            Am[i, j] -= h
            want[i, j] = (_loss_np(Ap, w1, W2, k, largest) - _loss_np(Am, w1, W2, k, largest)) / (2 * h)
    np.testing.assert_allclose(A.grad.numpy(), want, atol=1e-6)
    np.testing.assert_allclose(E.detach().numpy(), np.sort(np.linalg.eigvalsh((A0 + A0.T) / 2))[::-1][:k]
                               if largest else np.linalg.eigvalsh((A0 + A0.T) / 2)[:k], rtol=1e-9)


def test_lobpcg_backward_refuses_b():
    A = _t(_spd(9), requires_grad=True)
    B = _t(_spd(9, 9.0), requires_grad=True)
    E, _ = ntorch.lobpcg(A, k=1, B=B)
    with pytest.raises(ValueError, match=r"^lobpcg\.backward does not support backward with B != I yet\.$"):
        E.sum().backward()
