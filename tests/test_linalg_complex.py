"""torch.linalg on complex64 / complex128 (CPU): values against numpy.linalg, decompositions by reconstruction and
unitarity, result dtypes as torch's, and complex128 gradients by gradcheck (finite differences)."""

import numpy as np
import pytest

import ntorch as nt
from ntorch.autograd import gradcheck

CDTYPES = [nt.complex64, nt.complex128]
TOL = {nt.complex64: 2e-4, nt.complex128: 1e-10}


def _c(rng, *shape, dt=nt.complex128) -> np.ndarray:
    x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return x.astype(dt.np)


def _t(x: np.ndarray, grad: bool = False) -> nt.Tensor:
    return nt.tensor(x, requires_grad=grad)


def _close(got, want, dt, scale: float = 1.0) -> None:
    got = got.numpy() if isinstance(got, nt.Tensor) else got
    np.testing.assert_allclose(got, want, rtol=TOL[dt] * scale, atol=TOL[dt] * scale)


def _mh(x: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(x, -1, -2))


def _noncontig(x: np.ndarray) -> nt.Tensor:
    """x as a transposed view of a contiguous tensor (not contiguous itself)."""
    return nt.tensor(np.ascontiguousarray(np.swapaxes(x, -1, -2))).mT


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ---- vecdot ----

def test_vecdot_conjugates_first(rng):
    x, y = _c(rng, 2, 5), _c(rng, 5)
    got = nt.linalg.vecdot(_t(x), _t(y))
    np.testing.assert_allclose(got.numpy(), np.sum(np.conj(x) * y, -1), rtol=1e-12)
    got0 = nt.linalg.vecdot(_t(x), _t(x), dim=0)
    np.testing.assert_allclose(got0.numpy(), np.sum(np.conj(x) * x, 0), rtol=1e-12)
    assert gradcheck(lambda a, b: nt.linalg.vecdot(a, b), (_t(x, True), _t(y, True)))


# ---- LU family ----

@pytest.mark.parametrize("dt", CDTYPES)
def test_det_slogdet_logdet(dt, rng):
    a = _c(rng, 3, 4, 4, dt=dt)
    A = _t(a)
    d = nt.linalg.det(A)
    assert d.dtype is dt
    _close(d, np.linalg.det(a.astype(np.complex128)), dt, 10)
    s, la = nt.linalg.slogdet(A)
    assert s.dtype is dt and la.dtype is dt.to_real()
    s0, la0 = np.linalg.slogdet(a.astype(np.complex128))
    _close(s, s0, dt, 10)
    _close(la, la0, dt, 10)
    np.testing.assert_allclose(np.abs(s.numpy()), 1, rtol=1e-5)
    _close(nt.logdet(A), np.log(np.linalg.det(a.astype(np.complex128))), dt, 10)


def test_det_singular_and_empty():
    z = np.zeros((2, 3, 3), np.complex128)
    z[1] = np.eye(3) * 1j
    s, la = nt.linalg.slogdet(_t(z))
    np.testing.assert_array_equal(s.numpy(), [0, -1j])
    assert la.numpy()[0] == -np.inf and la.numpy()[1] == 0
    np.testing.assert_array_equal(nt.linalg.det(_t(z)).numpy(), [0, -1j])
    e = nt.linalg.det(nt.zeros(0, 0, dtype=nt.complex64))
    assert e.dtype is nt.complex64 and e.item() == 1
    one = nt.linalg.inv(nt.tensor([[2j]]))
    np.testing.assert_allclose(one.numpy(), [[-0.5j]])


@pytest.mark.parametrize("dt", CDTYPES)
def test_inv_solve(dt, rng):
    a, b = _c(rng, 2, 4, 4, dt=dt), _c(rng, 2, 4, 3, dt=dt)
    ac, bc = a.astype(np.complex128), b.astype(np.complex128)
    _close(nt.linalg.inv(_noncontig(a)), np.linalg.inv(ac), dt, 10)
    _close(nt.linalg.inv_ex(_t(a)).inverse, np.linalg.inv(ac), dt, 10)
    _close(nt.linalg.solve(_t(a), _t(b)), np.linalg.solve(ac, bc), dt, 10)
    xr = nt.linalg.solve(_t(a), _t(_mh(b)), left=False)  # X A = B^H
    _close(xr.numpy() @ ac, _mh(bc), dt, 10)
    _close(nt.linalg.solve(_t(a), _t(b[..., 0])), np.linalg.solve(ac, bc[..., :1])[..., 0], dt, 10)
    _close(nt.linalg.matrix_power(_t(a), -2), np.linalg.matrix_power(ac, -2), dt, 100)
    t4 = a[0].reshape(4, 2, 2)
    _close(nt.linalg.tensorinv(_t(t4), ind=1), np.linalg.tensorinv(t4.astype(np.complex128), ind=1), dt, 10)


def test_inv_singular_error():
    z = np.zeros((2, 2), np.complex128)
    with pytest.raises(RuntimeError, match="linalg.inv: The diagonal element 1 is zero"):
        nt.linalg.inv(_t(z))
    msg = "torch.linalg.solve: The solver failed because the input matrix is singular"
    with pytest.raises(RuntimeError, match=msg):
        nt.linalg.solve(_t(z), _t(np.ones((2, 1), complex)))


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5), (5, 3), (1, 1), (0, 0)])
def test_lu_reconstruction(dt, shape, rng):
    a = _c(rng, *shape, dt=dt)
    P, L, U = nt.linalg.lu(_t(a))
    assert L.dtype is dt and U.dtype is dt and P.dtype is dt
    _close((P @ L @ U).numpy(), a, dt, 10)
    if a.size:
        assert np.all(np.abs(L.numpy()) <= np.sqrt(2) + 1e-6)  # pivots on |re| + |im|: |l| <= sqrt(2)
    LU, piv = nt.linalg.lu_factor(_t(a))
    assert piv.dtype is nt.int32


def test_lu_pivots_on_cabs1():
    # LAPACK pivots on |re| + |im|: row 0 (2 + 2j: 4) over row 2 (3.5j: 3.5), though the modulus would pick row 2
    # (3.5 > |2 + 2j| = 2.83).
    a = np.array([[2 + 2j, 1, 0], [3, 1j, 1], [3.5j, 0, 1]], np.complex128)
    _, piv = nt.linalg.lu_factor(_t(a))
    assert piv.numpy()[0] == 1


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve(left, adjoint, rng):
    a, b = _c(rng, 2, 4, 4), _c(rng, 2, 4, 3)
    B = b if left else np.swapaxes(b, -1, -2)
    LU, piv = nt.linalg.lu_factor(_t(a))
    x = nt.linalg.lu_solve(LU, piv, _t(B), left=left, adjoint=adjoint).numpy()
    op = _mh(a) if adjoint else a
    np.testing.assert_allclose(op @ x if left else x @ op, B, atol=1e-12)


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("upper", [True, False])
def test_solve_triangular(dt, upper, rng):
    a, b = _c(rng, 2, 4, 4, dt=dt), _c(rng, 2, 4, 3, dt=dt)
    a = a + 4 * np.eye(4, dtype=dt.np)
    T = (np.triu(a) if upper else np.tril(a)).astype(np.complex128)
    x = nt.linalg.solve_triangular(_noncontig(a), _t(b), upper=upper)
    _close(T @ x.numpy(), b, dt, 10)
    xl = nt.linalg.solve_triangular(_t(a), _t(_mh(b)), upper=upper, left=False)
    _close(xl.numpy() @ T, _mh(b), dt, 10)


def test_lu_family_gradcheck(rng):
    a, b = _t(_c(rng, 3, 3), True), _t(_c(rng, 3, 2), True)
    assert gradcheck(nt.linalg.det, (a,))
    singular = np.zeros((3, 3), np.complex128)
    singular[0, 0], singular[1, 1] = 1 + 1j, 2j  # det exactly 0: the SVD form of the cofactors
    assert gradcheck(nt.linalg.det, (_t(singular, True),))
    assert gradcheck(lambda x: tuple(nt.linalg.slogdet(x)), (a,))
    assert gradcheck(nt.logdet, (a,))
    assert gradcheck(nt.linalg.inv, (a,))
    assert gradcheck(nt.linalg.solve, (a, b))
    assert gradcheck(lambda x, y: nt.linalg.solve(x, y.mT, left=False), (a, b))
    assert gradcheck(lambda x: nt.linalg.lu(x)[1:], (a,))
    assert gradcheck(lambda x: nt.linalg.lu(x)[1:], (_t(_c(rng, 2, 4), True),))
    assert gradcheck(lambda x: nt.linalg.lu(x)[1:], (_t(_c(rng, 4, 2), True),))
    assert gradcheck(lambda x, y: nt.linalg.solve_triangular(x, y, upper=False), (a, b))
    assert gradcheck(lambda x, y: nt.linalg.lu_solve(*nt.linalg.lu_factor(x), y, adjoint=True), (a, b))


# ---- Cholesky ----

def _hpd(rng, *shape, dt=nt.complex128) -> np.ndarray:
    x = _c(rng, *shape).astype(np.complex128)
    return (x @ _mh(x) + shape[-1] * np.eye(shape[-1])).astype(dt.np)


@pytest.mark.parametrize("dt", CDTYPES)
def test_cholesky_family(dt, rng):
    a = _hpd(rng, 2, 4, 4, dt=dt)
    ac = a.astype(np.complex128)
    L = nt.linalg.cholesky(_noncontig(a))
    assert L.dtype is dt
    _close(L, np.linalg.cholesky(ac), dt, 10)
    assert np.all(np.diagonal(L.numpy(), 0, -2, -1).imag == 0)
    U = nt.linalg.cholesky(_t(a), upper=True)
    _close(_mh(U.numpy()) @ U.numpy(), ac, dt, 10)
    _close(nt.linalg.cholesky_ex(_t(a)).L, np.linalg.cholesky(ac), dt, 10)
    _close(nt.cholesky(_t(a)), np.linalg.cholesky(ac), dt, 10)
    _close(nt.cholesky_inverse(L), np.linalg.inv(ac), dt, 10)
    _close(nt.cholesky_inverse(U, upper=True), np.linalg.inv(ac), dt, 10)
    b = _c(rng, 2, 4, 3, dt=dt)
    _close(nt.cholesky_solve(_t(b), L), np.linalg.solve(ac, b), dt, 10)
    _close(nt.cholesky_solve(_t(b), U, upper=True), np.linalg.solve(ac, b), dt, 10)
    e = nt.linalg.cholesky(nt.zeros(0, 0, dtype=dt))
    assert e.shape == (0, 0) and e.dtype is dt


def test_cholesky_not_positive_definite():
    a = np.array([[1, 2j], [-2j, 1]], np.complex128)  # Hermitian, eigenvalues -1 and 3
    with pytest.raises(RuntimeError, match="linalg.cholesky: The factorization could not be completed because the "
                       "input is not positive-definite \\(the leading minor of order 2 is not positive-definite\\)."):
        nt.linalg.cholesky(_t(a))
    assert nt.linalg.cholesky_ex(_t(a)).info.item() == 2


def test_cholesky_gradcheck(rng):
    x = _t(_c(rng, 3, 3), True)

    def hpd(y):
        return y @ y.mH + 3 * nt.eye(3, dtype=nt.complex128)

    assert gradcheck(lambda y: nt.linalg.cholesky(hpd(y)), (x,))
    assert gradcheck(lambda y: nt.linalg.cholesky(hpd(y), upper=True), (x,))
    b = _t(_c(rng, 3, 2), True)
    assert gradcheck(lambda y, z: nt.cholesky_solve(z, nt.linalg.cholesky(hpd(y))), (x, b))


# ---- QR, geqrf, householder_product, ormqr ----

@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (2, 3, 5), (1, 1), (0, 0), (3, 0)])
def test_qr(dt, shape, rng):
    a = _c(rng, *shape, dt=dt)
    k = min(shape[-2:])
    for mode in ("reduced", "complete"):
        Q, R = nt.linalg.qr(_noncontig(a) if a.ndim == 2 else _t(a), mode=mode)
        assert Q.dtype is dt and R.dtype is dt
        q, r = Q.numpy(), R.numpy()
        _close(q @ r, a, dt, 10)
        _close(_mh(q) @ q, np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2), dt, 10)
        _close(np.triu(r), r, dt)
        assert np.all(np.diagonal(r, 0, -2, -1).imag == 0)  # zgeqrf: R's diagonal real
        if a.size and mode == "reduced":  # R is unique up to the signs of its (real) diagonal rows
            _close(np.abs(r), np.abs(np.linalg.qr(a.astype(np.complex128))[1]), dt, 10)
    assert nt.linalg.qr(_t(a), mode="r").R.shape == tuple(shape[:-2]) + (k, shape[-1])


@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (3, 5)])
def test_geqrf_matches_lapack(shape, rng):
    a = _c(rng, *shape)
    g, tau = nt.geqrf(_t(a))
    h0, tau0 = np.linalg.qr(a, mode="raw")  # LAPACK zgeqrf (h transposed)
    np.testing.assert_allclose(g.numpy(), h0.T, atol=1e-12)
    np.testing.assert_allclose(tau.numpy(), tau0, atol=1e-12)
    Qc = nt.linalg.qr(_t(a), mode="complete").Q.numpy()
    if shape[0] >= shape[1]:
        np.testing.assert_allclose(nt.linalg.householder_product(g, tau).numpy(), Qc[:, :shape[1]], atol=1e-12)
    c = _c(rng, shape[0], 2)
    for left in (True, False):
        for tr in (False, True):
            cm = c if left else c.T
            q = _mh(Qc) if tr else Qc
            got = nt.ormqr(g, tau, _t(cm), left=left, transpose=tr).numpy()
            np.testing.assert_allclose(got, q @ cm if left else cm @ q, atol=1e-12)


def test_qr_gradcheck(rng):
    for shape in [(4, 3), (3, 3), (3, 5)]:
        assert gradcheck(lambda y: tuple(nt.linalg.qr(y)), (_t(_c(rng, *shape), True),))
    g, tau = nt.geqrf(_t(_c(rng, 4, 3)))
    assert gradcheck(nt.linalg.householder_product, (g.requires_grad_(), tau.requires_grad_()))
    c = _t(_c(rng, 4, 2), True)
    assert gradcheck(lambda x, t, y: nt.ormqr(x, t, y, transpose=True), (g, tau, c))


# ---- eigh, eigvalsh ----

@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 40])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(dt, n, uplo, rng):
    a = _c(rng, 2, n, n, dt=dt)  # not Hermitian: only the UPLO triangle (and the diagonal's real part) is read
    w0 = np.linalg.eigvalsh(a.astype(np.complex128), UPLO=uplo)
    tri = np.tril(a, -1) if uplo == "L" else _mh(np.triu(a, 1))
    h = (tri + _mh(tri)).astype(np.complex128) + np.real(np.diagonal(a, 0, -2, -1))[..., None] * np.eye(n)
    L, V = nt.linalg.eigh(_t(a) if n != 5 else _noncontig(a), UPLO=uplo)
    assert L.dtype is dt.to_real() and V.dtype is dt
    _close(L, w0, dt, 100)
    v = V.numpy().astype(np.complex128)
    _close(v @ (L.numpy()[..., None] * _mh(v)), h, dt, 100)
    _close(_mh(v) @ v, np.broadcast_to(np.eye(n), v.shape), dt, 100)
    ev = nt.linalg.eigvalsh(_t(a), UPLO=uplo)
    assert ev.dtype is dt.to_real()
    _close(ev, w0, dt, 100)


def test_eigh_gradcheck(rng):
    x = _t(_c(rng, 3, 3), True)

    def f(y):  # eigenvalues and the first eigenvector's projector: invariant under the eigenvectors' phases
        L, V = nt.linalg.eigh(y + y.mH)
        return L, V[:, :1] @ V[:, :1].mH

    assert gradcheck(f, (x,))
    assert gradcheck(lambda y: nt.linalg.eigvalsh(y + y.mH), (x,))


# ---- svd, svdvals and what is built on them ----

@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (3, 0), (4, 4), (6, 3), (3, 6), (2, 5, 4), (40, 30), (2, 34, 40)])
def test_svd(dt, shape, rng):
    a = _c(rng, *shape, dt=dt)
    k = min(shape[-2:])
    s0 = np.linalg.svd(a.astype(np.complex128), compute_uv=False) if a.size else np.zeros(shape[:-2] + (k,))
    for full in (False, True):
        U, S, Vh = nt.linalg.svd(_t(a) if a.ndim > 2 else _noncontig(a), full_matrices=full)
        assert S.dtype is dt.to_real() and U.dtype is dt and Vh.dtype is dt
        assert U.shape == shape[:-1] + (shape[-2] if full else k,)
        assert Vh.shape == shape[:-2] + (shape[-1] if full else k, shape[-1])
        u, s, vh = (x.numpy().astype(np.complex128) for x in (U, S, Vh))
        _close(s.real, s0, dt, 100)
        _close((u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], a, dt, 100)
        _close(_mh(u) @ u, np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] + (u.shape[-1],) * 2), dt, 100)
        _close(vh @ _mh(vh), np.broadcast_to(np.eye(vh.shape[-2]), vh.shape[:-1] + (vh.shape[-2],)), dt, 100)
    sv = nt.linalg.svdvals(_t(a))
    assert sv.dtype is dt.to_real()
    _close(sv, s0, dt, 100)


def test_torch_svd_returns_v(rng):
    a = _c(rng, 4, 3)
    U, S, V = nt.svd(_t(a))  # torch.svd: A = U diag(S) V^H
    np.testing.assert_allclose((U.numpy() * S.numpy()) @ _mh(V.numpy()), a, atol=1e-12)


def test_svd_rank_deficient(rng):
    a = _c(rng, 5, 2) @ _c(rng, 2, 4)
    U, S, Vh = nt.linalg.svd(_t(a))
    u = U.numpy()
    np.testing.assert_allclose(_mh(u) @ u, np.eye(5), atol=1e-12)
    np.testing.assert_allclose((u[:, :4] * S.numpy()) @ Vh.numpy(), a, atol=1e-12)
    assert nt.linalg.matrix_rank(_t(a)).item() == 2
    h = a @ _mh(a)
    assert nt.linalg.matrix_rank(_t(h), hermitian=True).item() == 2
    np.testing.assert_allclose(nt.linalg.pinv(_t(a)).numpy(), np.linalg.pinv(a), atol=1e-12)
    np.testing.assert_allclose(nt.linalg.pinv(_t(h), hermitian=True).numpy(), np.linalg.pinv(h), atol=1e-10)


def test_svd_non_finite():
    a = np.array([[1, np.nan], [0, 1j]], np.complex128)
    with pytest.raises(RuntimeError, match="linalg.svd: The algorithm failed to converge because the input matrix "
                       "contained non-finite values."):
        nt.linalg.svd(_t(a))


@pytest.mark.parametrize("dt", CDTYPES)
def test_svd_derived(dt, rng):
    m = _c(rng, 2, 4, 4, dt=dt)
    mc = m.astype(np.complex128)
    _close(nt.linalg.cond(_t(m)), np.linalg.cond(mc), dt, 1000)
    _close(nt.linalg.cond(_t(m), "fro"), np.linalg.cond(mc, "fro"), dt, 1000)
    for o in ("nuc", 2, -2, "fro", 1, -1, np.inf):
        got = nt.linalg.matrix_norm(_t(m), o)
        assert got.dtype is dt.to_real()
        _close(got, np.linalg.norm(mc, o, axis=(-2, -1)), dt, 100)
    a, b = _c(rng, 6, 3, dt=dt), _c(rng, 6, 2, dt=dt)
    x0, res0, _, sv0 = np.linalg.lstsq(a.astype(np.complex128), b.astype(np.complex128), rcond=None)
    for drv in ("gels", "gelsy", "gelsd", "gelss"):
        r = nt.linalg.lstsq(_t(a), _t(b), driver=drv)
        _close(r.solution, x0, dt, 100)
        assert r.residuals.dtype is dt.to_real() and r.singular_values.dtype is dt.to_real()
        if drv in ("gels", "gelsd", "gelss"):
            _close(r.residuals, res0, dt, 100)
        if drv in ("gelsd", "gelss"):
            _close(r.singular_values, sv0, dt, 100)


@pytest.mark.parametrize("dt", CDTYPES)
def test_matrix_exp(dt, rng):
    m = _c(rng, 2, 3, 3, dt=dt) * 2
    w, v = np.linalg.eig(m.astype(np.complex128))  # a random matrix is diagonalizable
    want = (v * np.exp(w)[..., None, :]) @ np.linalg.inv(v)
    got = nt.linalg.matrix_exp(_t(m))
    assert got.dtype is dt
    _close(got, want, dt, 1000)


def test_svd_family_gradcheck(rng):
    for shape in [(3, 3), (4, 3), (3, 4)]:
        x = _t(_c(rng, *shape), True)

        def f(y):  # S and u_1 v_1^H: invariant under the singular vectors' phases
            U, S, Vh = nt.linalg.svd(y, full_matrices=False)
            return S, U[:, :1] @ Vh[:1, :]

        assert gradcheck(f, (x,))
        assert gradcheck(nt.linalg.svdvals, (x,))
        assert gradcheck(nt.linalg.pinv, (x,))
    x = _t(_c(rng, 3, 3), True)
    assert gradcheck(lambda y: nt.linalg.matrix_norm(y, "nuc"), (x,))
    assert gradcheck(nt.linalg.cond, (x,))
    assert gradcheck(nt.linalg.matrix_exp, (x,))


# ---- ldl_factor / ldl_solve (complex symmetric: zsytrf / zsytrs; Hermitian: zhetrf / zhetrs) ----

@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("n", [1, 2, 5, 8])
@pytest.mark.parametrize("hermitian", [False, True])
def test_ldl_complex(dt, n, hermitian, rng):
    x = _c(rng, 3, n, n).astype(np.complex128)
    a = x + (_mh(x) if hermitian else np.swapaxes(x, -1, -2))
    idx = np.arange(n)
    a[:, idx, idx] = 1e-3  # a small diagonal: Bunch-Kaufman takes 2x2 pivots
    a = a.astype(dt.np)
    LD, piv = nt.linalg.ldl_factor(_t(a), hermitian=hermitian)
    assert LD.dtype is dt and piv.dtype is nt.int32
    ld = LD.numpy()
    np.testing.assert_array_equal(np.triu(ld, 1), 0)
    if hermitian:  # zhetrf: D's diagonal real
        np.testing.assert_array_equal(np.diagonal(ld, 0, -2, -1).imag, 0)
    b = _c(rng, 3, n, 2, dt=dt)
    xs = nt.linalg.ldl_solve(LD, piv, _t(b), hermitian=hermitian).numpy().astype(np.complex128)
    _close(a.astype(np.complex128) @ xs, b, dt, 1000)
    if n > 1:
        assert (piv.numpy() < 0).any()  # the 2x2 blocks were exercised


def test_ldl_complex_singular():
    z = np.zeros((2, 2), np.complex128)
    assert nt.linalg.ldl_factor_ex(_t(z)).info.item() == 1
    assert nt.linalg.ldl_factor_ex(_t(z), hermitian=True).info.item() == 1


def test_phase_dependent_losses_raise(rng):
    """torch refuses the gradient of a loss that depends on the arbitrary phases of complex eigen / singular
    vectors."""
    x = _t(_c(rng, 3, 3), True)
    _, V = nt.linalg.eigh(x + x.mH)
    with pytest.raises(RuntimeError, match=r"^linalg_eigh_backward: The eigenvectors in the complex case are specified "
                       r"up to multiplication by e\^\{i phi\}"):
        V[0, 0].imag.backward()
    U, S, Vh = nt.linalg.svd(x)
    with pytest.raises(RuntimeError, match=r"^svd_backward: The singular vectors in the complex case are specified up "
                       r"to multiplication by e\^\{i phi\}"):
        U[0, 0].imag.backward()
