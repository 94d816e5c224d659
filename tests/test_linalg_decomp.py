"""The factorizations (LU, Cholesky, triangular solves, QR, eigh, SVD) and what is built on them, against
NumPy's LAPACK results and the defining invariants, with PyTorch's shapes, conventions and errors, and their
gradients by finite differences (float64)."""

import re

import numpy as np
import pytest
from conftest import layouts

import ntorch as nt
from ntorch.autograd import gradcheck, gradgradcheck

FLOATS = [nt.float32, nt.float64]
TOL = {nt.float32: 2e-4, nt.float64: 1e-10}
SHAPES = [(4, 4), (3, 5, 5), (2, 3, 3, 3), (1, 1), (0, 0), (0, 3, 3), (2, 0, 0)]


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _close(got, ref, dt, scale=1.0):
    assert got.dtype is dt
    ref = np.asarray(ref)
    assert tuple(got.shape) == ref.shape, (tuple(got.shape), ref.shape)
    np.testing.assert_allclose(got.numpy().astype(np.float64), ref, rtol=TOL[dt], atol=TOL[dt] * scale)


def _wellcond(rng, shape, dt):
    """Random matrices with a dominant diagonal (condition numbers near 1)."""
    n = shape[-1]
    a = rng.standard_normal(shape) + 2 * n ** 0.5 * np.eye(n)
    return a.astype(dt.np)


def _spd(rng, shape, dt):
    a = rng.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dt.np)


def _t(a):
    return nt.from_numpy(np.ascontiguousarray(a))


# ---- det, slogdet, logdet, inv, solve ----

@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_det_slogdet_inv(dt, shape, rng):
    a = _wellcond(rng, shape, dt)
    a64 = a.astype(np.float64)
    ref_det = np.linalg.det(a64) if a.size else np.ones(shape[:-2])
    for _lay, ta, _ in layouts(a):
        _close(nt.linalg.det(ta), ref_det, dt, np.abs(ref_det).max(initial=1))
        _close(nt.det(ta), ref_det, dt, np.abs(ref_det).max(initial=1))
        s, la = nt.linalg.slogdet(ta)
        rs, rla = np.linalg.slogdet(a64) if a.size else (np.ones(shape[:-2]), np.zeros(shape[:-2]))
        _close(s, rs, dt)
        _close(la, rla, dt, 10)
        _close(nt.slogdet(ta).logabsdet, rla, dt, 10)
        ref_inv = np.linalg.inv(a64) if a.size else a64
        _close(nt.linalg.inv(ta), ref_inv, dt)
        _close(nt.inverse(ta), ref_inv, dt)
        inv, info = nt.linalg.inv_ex(ta)
        _close(inv, ref_inv, dt)
        assert info.dtype is nt.int32 and not info.numpy().any() and tuple(info.shape) == shape[:-2]


def test_det_singular_and_sign(rng):
    s = np.array([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])
    assert nt.linalg.det(_t(s)).item() == 0.0
    sign, la = nt.linalg.slogdet(_t(s))
    assert sign.item() == 0.0 and la.item() == -np.inf
    assert np.isnan(nt.logdet(_t(-np.eye(3))).item())
    assert nt.logdet(_t(np.zeros((2, 2)))).item() == -np.inf
    a = _spd(rng, (3, 4, 4), nt.float64)
    np.testing.assert_allclose(nt.logdet(_t(a)).numpy(), np.linalg.slogdet(a)[1], rtol=1e-12)
    perm = np.eye(4)[[1, 0, 2, 3]] * 3  # one row swap: det = -81
    assert nt.linalg.det(_t(perm)).item() == pytest.approx(-81.0)
    assert nt.linalg.slogdet(_t(perm)).sign.item() == -1.0


def test_ill_conditioned():
    n = 8
    hilbert = 1.0 / (np.arange(n)[:, None] + np.arange(n)[None, :] + 1.0)
    got = nt.linalg.inv(_t(hilbert)).numpy()
    ref = np.linalg.inv(hilbert)
    np.testing.assert_allclose(got, ref, rtol=1e-4)  # cond ~ 1.5e10: agreement to about eps * cond
    b = np.ones(n)
    np.testing.assert_allclose(nt.linalg.solve(_t(hilbert), _t(b)).numpy(), np.linalg.solve(hilbert, b), rtol=1e-4)


def test_singular_errors():
    s = np.array([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])
    msg = ("linalg.inv: The diagonal element 3 is zero, the inversion could not be completed because the input "
           "matrix is singular.")
    _raises(nt.linalg.LinAlgError, msg, nt.linalg.inv, _t(s))
    _raises(RuntimeError, msg, nt.inverse, _t(s))
    batch = _t(np.stack([np.eye(3), s]))
    _raises(nt.linalg.LinAlgError, "linalg.inv: (Batch element 1): The diagonal element 3 is zero, the inversion "
            "could not be completed because the input matrix is singular.", nt.linalg.inv, batch)
    _raises(nt.linalg.LinAlgError, "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
            "because the input matrix is singular.", nt.linalg.inv, nt.zeros(3, 3))
    inv, info = nt.linalg.inv_ex(batch)
    assert info.tolist() == [0, 3]
    np.testing.assert_array_equal(inv.numpy()[0], np.eye(3))
    assert not np.isfinite(inv.numpy()[1]).all()
    _raises(nt.linalg.LinAlgError, "torch.linalg.solve: The solver failed because the input matrix is singular.",
            nt.linalg.solve, _t(s), nt.ones(3, dtype=nt.float64))
    _raises(nt.linalg.LinAlgError, "torch.linalg.solve: (Batch element 1): The solver failed because the input "
            "matrix is singular.", nt.linalg.solve, batch, nt.ones(3, dtype=nt.float64))
    assert nt.linalg.solve_ex(_t(s), nt.ones(3, dtype=nt.float64)).info.item() == 3
    _raises(nt.linalg.LinAlgError, "linalg.inv: The diagonal element 3 is zero, the inversion could not be completed "
            "because the input matrix is singular.", nt.linalg.matrix_power, _t(s), -1)


def test_input_errors():
    for fn, op in ((nt.linalg.det, "linalg.det"), (nt.linalg.inv, "linalg.inv"), (nt.linalg.slogdet, "linalg.slogdet"),
                   (nt.linalg.cholesky, "linalg.cholesky"), (nt.linalg.eigh, "linalg.eigh")):
        _raises(RuntimeError, f"{op}: Expected a floating point or complex tensor as input. Got Long", fn,
                nt.ones(3, 3, dtype=nt.int64))
        _raises(RuntimeError, f"{op}: A must be batches of square matrices, but they are 3 by 2 matrices", fn,
                nt.ones(3, 2))
        _raises(RuntimeError, f"{op}: The input tensor A must have at least 2 dimensions.", fn, nt.ones(3))
    _raises(RuntimeError, "linalg.inv: Low precision dtypes not supported. Got Half", nt.linalg.inv,
            nt.ones(3, 3, dtype=nt.float16))


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_solve_shapes(dt, rng):
    cases = [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3)), ((4, 3, 3), (4, 3, 2)),
             ((4, 3, 3), (5, 1, 3, 2)), ((1, 3, 3), (2, 3, 1)), ((0, 3, 3), (0, 3, 2)), ((3, 3), (3, 0))]
    for sa, sb in cases:
        a = _wellcond(rng, sa, dt)
        b = rng.standard_normal(sb).astype(dt.np)
        vector = len(sb) == 1 or (len(sb) == len(sa) - 1 and sb == sa[:-1])
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        ref = np.linalg.solve(a64, b64[..., None])[..., 0] if vector else np.linalg.solve(a64, b64)
        for _lay, ta, _ in layouts(a):
            _close(nt.linalg.solve(ta, nt.from_numpy(b)), ref, dt, 10)
        # XA = B: X = (A^-T B^T)^T, B given as (..., k, n) (or a vector)
        at = np.swapaxes(a64, -1, -2)
        if vector:
            ref_r = np.linalg.solve(at, b64[..., None])[..., 0]
            b_r = b
        else:
            b_r = np.ascontiguousarray(np.swapaxes(b, -1, -2))
            ref_r = np.swapaxes(np.linalg.solve(at, b64), -1, -2)
        _close(nt.linalg.solve(nt.from_numpy(a), nt.from_numpy(b_r), left=False), ref_r, dt, 10)


def test_solve_errors():
    _raises(RuntimeError, "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x3)",
            nt.linalg.solve, nt.ones(3, 3), nt.ones(2, 3))
    _raises(RuntimeError, "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x1)",
            nt.linalg.solve, nt.ones(3, 3), nt.ones(2))
    _raises(RuntimeError, "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of "
            "type Double instead", nt.linalg.solve, nt.ones(3, 3), nt.ones(3, dtype=nt.float64))


# ---- LU ----

@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (2, 3, 5), (0, 0), (0, 2, 2)], ids=str)
def test_lu(dt, shape, rng):
    a = rng.standard_normal(shape).astype(dt.np)
    for _lay, ta, _ in layouts(a):
        P, L, U = nt.linalg.lu(ta)
        k = min(shape[-2:])
        assert tuple(P.shape) == shape[:-2] + (shape[-2], shape[-2])
        assert tuple(L.shape) == shape[:-2] + (shape[-2], k) and tuple(U.shape) == shape[:-2] + (k, shape[-1])
        _close(P @ L @ U, a.astype(np.float64), dt, 10)
        ln, un = L.numpy(), U.numpy()
        np.testing.assert_array_equal(np.triu(ln, 1), 0)
        np.testing.assert_array_equal(np.tril(un, -1), 0)
        if k:
            np.testing.assert_array_equal(np.diagonal(ln, axis1=-2, axis2=-1), 1)
            assert (np.abs(ln) <= 1 + 1e-6).all()  # partial pivoting: multipliers at most 1
        LU, piv = nt.linalg.lu_factor(ta)
        assert piv.dtype is nt.int32 and tuple(piv.shape) == shape[:-2] + (k,)
        lu_np = LU.numpy()
        np.testing.assert_allclose(np.tril(lu_np[..., :, :k], -1), np.tril(ln, -1), rtol=1e-6, atol=1e-6)


def test_lu_factor_pivots_as_lapack():
    a = np.array([[1.0, 2, 0], [4, 1, 1], [2, 8, 3]])
    LU, piv = nt.linalg.lu_factor(_t(a))
    # step 1 takes row 2 (value 4), step 2 compares |2 - 0.25 * 1| with |8 - 0.5 * 1| and takes row 3
    assert piv.tolist() == [2, 3, 3]
    assert nt.linalg.lu_factor_ex(nt.zeros(3, 3)).info.item() == 1
    assert nt.linalg.lu_factor_ex(nt.zeros(3, 3)).pivots.tolist() == [1, 2, 3]
    _raises(RuntimeError, "torch.linalg.lu_factor: U[1,1] is zero and using it on lu_solve would result in a division "
            "by zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
            "linalg.lu_factor_ex(A, pivot)", nt.linalg.lu_factor, nt.zeros(3, 3))


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_lu_solve(dt, rng):
    a = _wellcond(rng, (3, 4, 4), dt)
    b = rng.standard_normal((3, 4, 2)).astype(dt.np)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    LU, piv = nt.linalg.lu_factor(_t(a))
    _close(nt.linalg.lu_solve(LU, piv, _t(b)), np.linalg.solve(a64, b64), dt, 10)
    _close(nt.linalg.lu_solve(LU, piv, _t(b), adjoint=True), np.linalg.solve(np.swapaxes(a64, 1, 2), b64), dt, 10)
    bt = np.ascontiguousarray(np.swapaxes(b, 1, 2))
    _close(nt.linalg.lu_solve(LU, piv, _t(bt), left=False),
           np.swapaxes(np.linalg.solve(np.swapaxes(a64, 1, 2), b64), 1, 2), dt, 10)


# ---- triangular solves ----

@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_solve_triangular(dt, upper, unit, rng):
    a = _wellcond(rng, (2, 4, 4), dt)
    b = rng.standard_normal((2, 4, 3)).astype(dt.np)
    tri = np.triu(a) if upper else np.tril(a)
    if unit:
        tri = tri - np.diagonal(tri, axis1=1, axis2=2)[:, :, None] * np.eye(4) + np.eye(4)
    tri64, b64 = tri.astype(np.float64), b.astype(np.float64)
    for _lay, ta, _ in layouts(a):  # only the triangle is read (and not the diagonal when unit)
        got = nt.linalg.solve_triangular(ta, _t(b), upper=upper, unitriangular=unit)
        _close(got, np.linalg.solve(tri64, b64), dt, 10)
    bt = np.ascontiguousarray(np.swapaxes(b, 1, 2))
    got = nt.linalg.solve_triangular(_t(a), _t(bt), upper=upper, left=False, unitriangular=unit)
    _close(got, np.swapaxes(np.linalg.solve(np.swapaxes(tri64, 1, 2), b64), 1, 2), dt, 10)
    sol, coeff = nt.triangular_solve(_t(b), _t(a), upper=upper, unitriangular=unit)
    _close(sol, np.linalg.solve(tri64, b64), dt, 10)
    np.testing.assert_array_equal(coeff.numpy(), a)
    sol = nt.triangular_solve(_t(b), _t(a), upper=upper, transpose=True, unitriangular=unit).solution
    _close(sol, np.linalg.solve(np.swapaxes(tri64, 1, 2), b64), dt, 10)


def test_solve_triangular_errors():
    _raises(RuntimeError, "linalg.solve_triangular: Incompatible shapes of A and B for the equation XA = B (3x3 and "
            "3x2)", nt.linalg.solve_triangular, nt.ones(3, 3), nt.ones(3, 2), upper=True, left=False)
    with pytest.raises(TypeError):
        nt.linalg.solve_triangular(nt.ones(3, 3), nt.ones(3, 2))
    got = nt.linalg.solve_triangular(nt.zeros(3, 3), nt.ones(3, 2), upper=True)  # a zero pivot: inf / nan, no error
    assert not np.isfinite(got.numpy()).all()


# ---- Cholesky ----

@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 5), (0, 0), (0, 3, 3)], ids=str)
def test_cholesky(dt, shape, rng):
    a = _spd(rng, shape, dt)
    ref = np.linalg.cholesky(a.astype(np.float64)) if a.size else a.astype(np.float64)
    for _lay, ta, _ in layouts(a):
        _close(nt.linalg.cholesky(ta), ref, dt, 10)
        _close(nt.cholesky(ta), ref, dt, 10)
        _close(nt.linalg.cholesky(ta, upper=True), np.swapaxes(ref, -1, -2), dt, 10)
        _close(nt.cholesky(ta, upper=True), np.swapaxes(ref, -1, -2), dt, 10)
        L, info = nt.linalg.cholesky_ex(ta)
        _close(L, ref, dt, 10)
        assert not info.numpy().any()
    if not a.size:
        return
    # only the lower triangle is read
    junk = np.triu(rng.standard_normal(shape), 1).astype(dt.np)
    _close(nt.linalg.cholesky(_t(np.tril(a) + junk)), ref, dt, 10)
    b = rng.standard_normal(shape[:-1] + (2,)).astype(dt.np)
    a64 = a.astype(np.float64)
    _close(nt.cholesky_solve(_t(b), _t(ref.astype(dt.np))), np.linalg.solve(a64, b), dt, 10)
    _close(nt.cholesky_solve(_t(b), _t(np.swapaxes(ref, -1, -2).astype(dt.np)), upper=True),
           np.linalg.solve(a64, b), dt, 10)
    _close(nt.cholesky_inverse(_t(ref.astype(dt.np))), np.linalg.inv(a64), dt, 10)


def test_cholesky_errors():
    msg = ("The factorization could not be completed because the input is not positive-definite (the leading minor "
           "of order {} is not positive-definite).")
    _raises(nt.linalg.LinAlgError, "linalg.cholesky: " + msg.format(1), nt.linalg.cholesky, -nt.eye(3))
    _raises(nt.linalg.LinAlgError, "cholesky: " + msg.format(1), nt.cholesky, -nt.eye(3))
    batch = nt.stack([nt.eye(3), nt.diag(nt.tensor([1.0, -1, 1]))])
    _raises(nt.linalg.LinAlgError, "linalg.cholesky: (Batch element 1): " + msg.format(2), nt.linalg.cholesky, batch)
    L, info = nt.linalg.cholesky_ex(batch)
    assert info.tolist() == [0, 2]
    _raises(nt.linalg.LinAlgError, "cholesky_inverse: The diagonal element 1 is zero, the inversion could not be "
            "completed because the input matrix is singular.", nt.cholesky_inverse, nt.zeros(3, 3))


# ---- QR, eigh, SVD ----

@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4), (1, 6, 2), (0, 3), (3, 0), (0, 2, 2)], ids=str)
def test_qr(dt, shape, rng):
    a = rng.standard_normal(shape).astype(dt.np)
    a64 = a.astype(np.float64)
    m, n = shape[-2:]
    for _lay, ta, _ in layouts(a):
        for mode in ("reduced", "complete"):
            Q, R = nt.linalg.qr(ta, mode)
            q, r = np.linalg.qr(a64, mode)
            # same Householder convention as LAPACK's geqrf: equal factors, not only equal products
            _close(Q, q, dt, 10)
            _close(R, r, dt, 10)
            qn = Q.numpy().astype(np.float64)
            np.testing.assert_allclose(np.swapaxes(qn, -1, -2) @ qn, np.broadcast_to(np.eye(qn.shape[-1]),
                                       qn.shape[:-2] + (qn.shape[-1],) * 2), atol=TOL[dt] * 10)
            np.testing.assert_allclose(qn @ R.numpy(), a64, atol=TOL[dt] * 10)
            np.testing.assert_array_equal(np.tril(R.numpy(), -1), 0)
        Q, R = nt.linalg.qr(ta, "r")
        assert Q.numel() == 0
        _close(R, np.linalg.qr(a64, "r"), dt, 10)


def test_torch_qr():
    a = np.random.default_rng(0).standard_normal((4, 3))
    for some, mode in ((True, "reduced"), (False, "complete")):
        Q, R = nt.qr(_t(a), some=some)
        q, r = np.linalg.qr(a, mode)
        np.testing.assert_allclose(Q.numpy(), q, atol=1e-12)
        np.testing.assert_allclose(R.numpy(), r, atol=1e-12)


def test_tensorinv_tensorsolve(rng):
    a = _wellcond(rng, (24, 24), nt.float64).reshape(4, 6, 8, 3)
    got = nt.linalg.tensorinv(_t(a), ind=2)
    np.testing.assert_allclose(got.numpy(), np.linalg.tensorinv(a, ind=2), rtol=1e-10, atol=1e-12)
    b = _wellcond(rng, (6, 6), nt.float64).reshape(2, 3, 6)
    rhs = rng.standard_normal((2, 3))
    np.testing.assert_allclose(nt.linalg.tensorsolve(_t(b), _t(rhs)).numpy(), np.linalg.tensorsolve(b, rhs),
                               rtol=1e-10, atol=1e-12)
    c = np.moveaxis(b, 2, 0)  # (6, 2, 3): dims=(0,) moves the solved-for dim back to the end
    np.testing.assert_allclose(nt.linalg.tensorsolve(_t(c), _t(rhs), dims=(0,)).numpy(),
                               np.linalg.tensorsolve(c, rhs, axes=(0,)), rtol=1e-10, atol=1e-12)
    _raises(RuntimeError, "Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), "
            "but got 32 != 24", nt.linalg.tensorinv, nt.ones(4, 6, 8, 4), ind=2)
    _raises(RuntimeError, "Expected a strictly positive integer for 'ind', but got 0", nt.linalg.tensorinv,
            nt.ones(4, 6), ind=0)
    _raises(RuntimeError, "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            "prod(self.shape[:other.ndim]), but got 5 != 6", nt.linalg.tensorsolve, nt.ones(2, 3, 5), nt.ones(2, 3))


def test_qr_mode_error():
    _raises(RuntimeError, "qr received unrecognized mode 'full' but expected one of 'reduced' (default), 'r', or "
            "'complete'", nt.linalg.qr, nt.ones(3, 3), "full")


@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("shape", [(5, 5), (3, 4, 4), (1, 1), (0, 0), (0, 3, 3)], ids=str)
def test_eigh(dt, shape, rng):
    a = rng.standard_normal(shape)
    sym = (a + np.swapaxes(a, -1, -2)).astype(dt.np)
    for uplo in ("L", "U"):
        junk = (np.triu if uplo == "L" else np.tril)(rng.standard_normal(shape), 1 if uplo == "L" else -1)
        inp = ((np.tril(sym) if uplo == "L" else np.triu(sym)) + junk).astype(dt.np)  # one triangle read
        for _lay, ta, _ in layouts(inp):
            L, V = nt.linalg.eigh(ta, UPLO=uplo)
            ref = np.linalg.eigvalsh(sym.astype(np.float64)) if sym.size else np.zeros(shape[:-1])
            _close(L, ref, dt, 10)
            _close(nt.linalg.eigvalsh(ta, UPLO=uplo), ref, dt, 10)
            ln = L.numpy()
            assert (np.diff(ln, axis=-1) >= 0).all()  # ascending
            vn = V.numpy().astype(np.float64)
            eye = np.broadcast_to(np.eye(shape[-1]), shape)
            np.testing.assert_allclose(np.swapaxes(vn, -1, -2) @ vn, eye, atol=TOL[dt] * 10)
            np.testing.assert_allclose((vn * ln[..., None, :]) @ np.swapaxes(vn, -1, -2), sym, atol=TOL[dt] * 50)


def test_eigh_repeated_and_diagonal():
    d = np.diag([3.0, 1.0, 1.0, -2.0])
    L, V = nt.linalg.eigh(_t(d))
    np.testing.assert_allclose(L.numpy(), [-2.0, 1.0, 1.0, 3.0])
    np.testing.assert_allclose(np.abs(V.numpy()).sum(0), 1.0)  # still unit axis vectors
    _raises(RuntimeError, "Expected UPLO argument to be 'L' or 'U', but got X", nt.linalg.eigh, nt.eye(2), "X")


@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4), (1, 6, 2), (0, 3), (3, 0), (0, 2, 2)], ids=str)
def test_svd(dt, shape, rng):
    a = rng.standard_normal(shape).astype(dt.np)
    a64 = a.astype(np.float64)
    m, n = shape[-2:]
    k = min(m, n)
    ref_s = np.linalg.svd(a64, compute_uv=False) if a.size else np.zeros(shape[:-2] + (k,))
    for _lay, ta, _ in layouts(a):
        for full in (True, False):
            U, S, Vh = nt.linalg.svd(ta, full_matrices=full)
            r, c = (m, n) if full else (k, k)
            assert tuple(U.shape) == shape[:-2] + (m, r) and tuple(Vh.shape) == shape[:-2] + (c, n)
            _close(S, ref_s, dt, 10)
            un, vn = U.numpy().astype(np.float64), Vh.numpy().astype(np.float64)
            np.testing.assert_allclose(np.swapaxes(un, -1, -2) @ un,
                                       np.broadcast_to(np.eye(r), shape[:-2] + (r, r)), atol=TOL[dt] * 10)
            np.testing.assert_allclose(vn @ np.swapaxes(vn, -1, -2),
                                       np.broadcast_to(np.eye(c), shape[:-2] + (c, c)), atol=TOL[dt] * 10)
            np.testing.assert_allclose((un[..., :, :k] * S.numpy()[..., None, :]) @ vn[..., :k, :], a64,
                                       atol=TOL[dt] * 10)
        _close(nt.linalg.svdvals(ta), ref_s, dt, 10)
        U, S, V = nt.svd(ta)
        assert tuple(V.shape) == shape[:-2] + (n, k)
        np.testing.assert_allclose((U.numpy() * S.numpy()[..., None, :]) @ np.swapaxes(V.numpy(), -1, -2), a64,
                                   atol=TOL[dt] * 10)
        U, S, V = nt.svd(ta, some=False)
        assert tuple(U.shape) == shape[:-2] + (m, m) and tuple(V.shape) == shape[:-2] + (n, n)


def test_svd_rank_deficient():
    a = np.outer([1.0, 2, 3, 4], [1.0, -1, 2])  # rank 1
    U, S, Vh = nt.linalg.svd(_t(a))
    s = S.numpy()
    assert s[0] == pytest.approx(np.linalg.norm(a, 2)) and np.abs(s[1:]).max() < 1e-12
    assert (np.diff(s) <= 0).all()  # descending
    un, vn = U.numpy(), Vh.numpy()
    np.testing.assert_allclose(un.T @ un, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(vn @ vn.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose((un[:, :3] * s) @ vn, a, atol=1e-12)


def _with_singular_values(rng, m, n, svals):
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.zeros((m, n))
    s[range(min(m, n)), range(min(m, n))] = svals
    return u @ s @ v.T


@pytest.mark.parametrize("kind", ["random", "tall", "wide", "batched", "ill-conditioned", "graded", "rank-deficient",
                                  "repeated", "ones", "huge", "tiny"])
def test_svd_of_matrices_large_enough_to_be_preconditioned(kind, rng):
    """k >= SVD_PRECONDITION_MIN: the sweeps start from the Gram matrix's eigenvectors; the result must be as
    accurate as LAPACK's (NumPy) in singular values (relative to the largest), orthonormality and reconstruction,
    with small singular values keeping their own singular vectors, and entries near the float64 range's ends
    neither overflowing nor underflowing."""
    a = {"random": lambda: rng.standard_normal((70, 70)),
         "tall": lambda: rng.standard_normal((150, 40)),
         "wide": lambda: rng.standard_normal((36, 90)),
         "batched": lambda: rng.standard_normal((2, 40, 33)),
         "ill-conditioned": lambda: _with_singular_values(rng, 60, 60, np.logspace(0, -14, 60)),
         "graded": lambda: rng.standard_normal((48, 48)) * np.logspace(0, 12, 48),
         "rank-deficient": lambda: _with_singular_values(rng, 50, 40, np.r_[np.ones(15), np.zeros(25)]),
         "repeated": lambda: _with_singular_values(rng, 40, 40, np.r_[np.full(20, 3.0), np.full(20, 1.0)]),
         "ones": lambda: np.ones((45, 40)),
         "huge": lambda: rng.standard_normal((40, 40)) * 1e200,
         "tiny": lambda: rng.standard_normal((40, 40)) * 1e-200}[kind]()
    U, S, Vh = (t.numpy() for t in nt.linalg.svd(_t(a), full_matrices=False))
    ref = np.linalg.svd(a, compute_uv=False)
    top = ref.max(axis=-1, keepdims=True)
    assert np.abs(S - ref).max() <= 1e-13 * top.max()
    k = S.shape[-1]
    np.testing.assert_allclose(np.swapaxes(U, -1, -2) @ U, np.broadcast_to(np.eye(k), U.shape[:-2] + (k, k)),
                               atol=1e-13)
    np.testing.assert_allclose(Vh @ np.swapaxes(Vh, -1, -2), np.broadcast_to(np.eye(k), U.shape[:-2] + (k, k)),
                               atol=1e-13)
    assert np.abs((U * S[..., None, :]) @ Vh - a).max() <= 1e-14 * top.max() * max(a.shape[-2:])
    np.testing.assert_allclose(nt.linalg.svdvals(_t(a)).numpy(), S, rtol=0, atol=1e-13 * top.max())


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_svd_of_a_non_finite_matrix_raises_as_torch_on_the_cpu(bad):
    a = np.ones((3, 40, 35))
    a[1, 3, 5] = bad
    message = ("linalg.svd: (Batch element 1): The algorithm failed to converge because the input matrix contained "
               "non-finite values.")
    for fn in (nt.linalg.svd, nt.linalg.svdvals, nt.linalg.pinv, nt.linalg.matrix_rank, nt.svd):
        _raises(nt.linalg.LinAlgError, message, fn, _t(a))
    _raises(nt.linalg.LinAlgError, message.replace("(Batch element 1): ", ""), nt.linalg.svdvals, _t(a[1]))


# ---- built on the SVD ----

@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_pinv_rank_cond_norms(dt, rng):
    a = rng.standard_normal((2, 5, 3)).astype(dt.np)
    a64 = a.astype(np.float64)
    _close(nt.linalg.pinv(_t(a)), np.linalg.pinv(a64), dt, 10)
    _close(nt.pinverse(_t(a)), np.linalg.pinv(a64), dt, 10)
    s = _spd(rng, (4, 4), dt)
    _close(nt.linalg.pinv(_t(s), hermitian=True), np.linalg.pinv(s.astype(np.float64), hermitian=True), dt, 10)
    low = (rng.standard_normal((3, 6, 2)) @ rng.standard_normal((3, 2, 5))).astype(dt.np)  # rank 2
    got = nt.linalg.matrix_rank(_t(low))
    assert got.dtype is nt.int64 and got.tolist() == np.linalg.matrix_rank(low).tolist() == [2] * 3
    assert nt.linalg.matrix_rank(_t(a)).tolist() == [3, 3]
    assert nt.linalg.matrix_rank(_t(a), atol=1e6).tolist() == [0, 0]
    sq = _wellcond(rng, (2, 4, 4), dt)
    assert nt.linalg.matrix_rank(_t(sq @ np.swapaxes(sq, 1, 2)), hermitian=True).tolist() == [4, 4]
    for ord_ in (2, -2, "nuc"):
        _close(nt.linalg.matrix_norm(_t(a), ord_), np.linalg.norm(a64, ord_, axis=(-2, -1)), dt, 10)
        _close(nt.linalg.norm(_t(a[0]), ord_), np.linalg.norm(a64[0], ord_), dt, 10)
        _close(nt.linalg.matrix_norm(_t(a), ord_, dim=(0, 2), keepdim=True),
               np.linalg.norm(a64, ord_, axis=(0, 2), keepdims=True), dt, 10)
    for p in (None, 2, -2, "fro", "nuc", np.inf, 1):
        _close(nt.linalg.cond(_t(sq), p), np.linalg.cond(sq.astype(np.float64), p), dt, 10)


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_lstsq(dt, rng):
    a = rng.standard_normal((2, 6, 3)).astype(dt.np)
    b = rng.standard_normal((2, 6, 2)).astype(dt.np)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    refs = [np.linalg.lstsq(a64[i], b64[i], rcond=None) for i in range(2)]
    for driver in (None, "gelsy", "gelsd", "gelss", "gels"):
        res = nt.linalg.lstsq(_t(a), _t(b), driver=driver)
        _close(res.solution, np.stack([r[0] for r in refs]), dt, 10)
        if driver in ("gelsd", "gelss", "gels"):
            _close(res.residuals, np.stack([r[1] for r in refs]), dt, 10)
        else:
            assert res.residuals.numel() == 0
        if driver == "gels":
            assert res.rank.numel() == 0
        else:
            assert res.rank.tolist() == [3, 3]
        if driver in ("gelsd", "gelss"):
            _close(res.singular_values, np.stack([r[3] for r in refs]), dt, 10)
        else:
            assert res.singular_values.numel() == 0
    vec = nt.linalg.lstsq(_t(a), _t(b[..., 0]), driver="gelsd")  # B (..., m): a batch of vectors
    _close(vec.solution, np.stack([r[0][:, 0] for r in refs]), dt, 10)
    _close(vec.residuals, np.stack([r[1][:1] for r in refs]), dt, 10)
    # rank-deficient: the minimum-norm solution
    low = np.outer(np.arange(1.0, 5), [1.0, 2, -1])
    rhs = np.arange(4.0)
    got = nt.linalg.lstsq(_t(low), _t(rhs[:, None])).solution.numpy()[:, 0]
    np.testing.assert_allclose(got, np.linalg.lstsq(low, rhs, rcond=None)[0], atol=1e-12)
    _raises(RuntimeError, "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)",
            nt.linalg.lstsq, _t(a), _t(b), driver="foo")


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_matrix_exp(dt, rng):
    def ref_expm(m):
        """Taylor series on m / 2^s, then squaring (an independent reference)."""
        s = max(0, int(np.ceil(np.log2(max(np.abs(m).sum(-2).max(), 1e-300)))) + 1)
        x = m / 2.0 ** s
        out, term = np.eye(m.shape[-1]), np.eye(m.shape[-1])
        for k in range(1, 30):
            term = term @ x / k
            out = out + term
        for _ in range(s):
            out = out @ out
        return out

    for scale in (0.1, 1.0, 6.0):
        a = (rng.standard_normal((2, 4, 4)) * scale).astype(dt.np)
        ref = np.stack([ref_expm(a[i].astype(np.float64)) for i in range(2)])
        _close(nt.linalg.matrix_exp(_t(a)), ref, dt, np.abs(ref).max())
    _close(nt.linalg.matrix_exp(nt.zeros(3, 3, dtype=dt)), np.eye(3), dt)


# ---- gradients ----

def _x(*shape):
    return nt.randn(*shape, dtype=nt.float64, requires_grad=True)


def _sym(a):
    return a + a.mT


def _spd_of(a):
    return a @ a.mT + nt.eye(a.shape[-1], dtype=nt.float64)


def _wc(a):
    return a + 3 * nt.eye(a.shape[-1], dtype=nt.float64)


GRADS = [
    ("det", lambda a: nt.linalg.det(_wc(a)), [(2, 3, 3)]),
    ("slogdet", lambda a: nt.linalg.slogdet(_wc(a)), [(3, 3)]),
    ("logdet", lambda a: nt.logdet(_spd_of(a)), [(3, 3)]),
    ("inv", lambda a: nt.linalg.inv(_wc(a)), [(2, 3, 3)]),
    ("solve", lambda a, b: nt.linalg.solve(_wc(a), b), [(2, 3, 3), (3, 2)]),
    ("solve_vec", lambda a, b: nt.linalg.solve(_wc(a), b), [(3, 3), (3,)]),
    ("solve_left_false", lambda a, b: nt.linalg.solve(_wc(a), b, left=False), [(3, 3), (2, 3)]),
    ("solve_triangular", lambda a, b: nt.linalg.solve_triangular(_wc(a), b, upper=True), [(3, 3), (3, 2)]),
    ("solve_triangular_right_unit",
     lambda a, b: nt.linalg.solve_triangular(a, b, upper=False, left=False, unitriangular=True), [(3, 3), (2, 3)]),
    ("cholesky", lambda a: nt.linalg.cholesky(_spd_of(a)), [(2, 3, 3)]),
    ("cholesky_upper", lambda a: nt.linalg.cholesky(_spd_of(a), upper=True), [(3, 3)]),
    ("cholesky_solve", lambda a, b: nt.cholesky_solve(b, nt.linalg.cholesky(_spd_of(a))), [(3, 3), (3, 2)]),
    ("lu_solve", lambda b: nt.linalg.lu_solve(*nt.linalg.lu_factor(_wc(nt.ones(3, 3, dtype=nt.float64))), b),
     [(3, 2)]),
    ("lu_square", nt.linalg.lu, [(2, 3, 3)]),
    ("lu_wide", nt.linalg.lu, [(3, 5)]),
    ("lu_tall", nt.linalg.lu, [(5, 3)]),
    ("lu_factor", nt.linalg.lu_factor, [(3, 3)]),
    ("qr_tall", nt.linalg.qr, [(4, 3)]),
    ("qr_wide", nt.linalg.qr, [(3, 4)]),
    ("qr_complete_wide", lambda a: nt.linalg.qr(a, "complete"), [(2, 4)]),
    ("eigh", lambda a: nt.linalg.eigh(_sym(a)), [(2, 4, 4)]),
    ("eigh_upper", lambda a: nt.linalg.eigh(_sym(a), UPLO="U"), [(3, 3)]),
    ("eigvalsh", lambda a: nt.linalg.eigvalsh(_sym(a)), [(4, 4)]),
    ("svd_tall", lambda a: nt.linalg.svd(a, full_matrices=False), [(4, 3)]),
    ("svd_wide", lambda a: nt.linalg.svd(a, full_matrices=False), [(2, 3, 4)]),
    ("svdvals", nt.linalg.svdvals, [(3, 4)]),
    ("torch_svd", lambda a: nt.svd(a), [(4, 3)]),
    ("pinv", nt.linalg.pinv, [(4, 3)]),
    ("matrix_norm_2", lambda a: nt.linalg.matrix_norm(a, 2), [(3, 4)]),
    ("matrix_norm_nuc", lambda a: nt.linalg.matrix_norm(a, "nuc"), [(3, 4)]),
    ("matrix_exp", nt.linalg.matrix_exp, [(3, 3)]),
    ("matrix_power_neg", lambda a: nt.linalg.matrix_power(_wc(a), -2), [(3, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", GRADS, ids=[g[0] for g in GRADS])
def test_gradients(name, fn, shapes):
    nt.manual_seed(3)
    args = tuple(_x(*s) for s in shapes)
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def test_det_gradient_at_singular_matrices():
    """The cofactor matrix (through the SVD) where det A = 0; det is a polynomial, so finite differences hold."""
    a = nt.tensor([[1.0, 2, 3], [2, 4, 6], [1, -1, 2]], dtype=nt.float64, requires_grad=True)
    assert gradcheck(nt.linalg.det, (a,))
    nt.linalg.det(a).backward()
    an = a.detach().numpy()
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(an, i, 0), j, 1)) for j in range(3)]
                    for i in range(3)])
    np.testing.assert_allclose(a.grad.numpy(), cof, atol=1e-10)
    z = nt.zeros(2, 3, 3, dtype=nt.float64, requires_grad=True)  # rank 0: every cofactor 0
    nt.linalg.det(z).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 0.0, atol=1e-12)


def test_qr_backward_errors():
    a = _x(3, 3)
    _, r = nt.linalg.qr(a, "r")
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()
    q, r = nt.linalg.qr(_x(4, 3), "complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        (q.sum() + r.sum()).backward()


def test_out_arguments():
    a = nt.tensor([[2.0, 1], [1, 3]], dtype=nt.float64)
    o = nt.empty(2, 2, dtype=nt.float64)
    assert nt.linalg.inv(a, out=o) is o
    np.testing.assert_allclose(o.numpy(), np.linalg.inv(a.numpy()))
    o = nt.empty(2, dtype=nt.float64)
    nt.linalg.svdvals(a, out=o)
    np.testing.assert_allclose(o.numpy(), np.linalg.svd(a.numpy(), compute_uv=False))
    with pytest.raises(NotImplementedError, match="out="):
        nt.linalg.svd(a, out=(o, o, o))


def test_no_graph_for_constants():
    a = nt.eye(3, dtype=nt.float64)
    assert nt.linalg.inv(a).grad_fn is None and nt.linalg.det(a).grad_fn is None
    with nt.no_grad():
        assert nt.linalg.svd(_x(3, 3)).S.grad_fn is None


# ---- the blocked paths for large matrices (kernels.cpu.linalg: BLOCKED_MIN, LEAF, BLOCK) ----

def _ref_getrf(a):
    """A reference partial-pivoting LU (LAPACK getrf's packed form and 1-based pivots), one column at a time."""
    a = np.array(a, dtype=np.float64)
    m, n = a.shape
    piv = np.zeros(min(m, n), np.int64)
    for k in range(min(m, n)):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        piv[k] = p + 1
        a[[k, p]] = a[[p, k]]
        if a[k, k] != 0:
            a[k + 1:, k] /= a[k, k]
            a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return a, piv


@pytest.mark.parametrize("shape", [(95, 95), (96, 96), (131, 131), (2, 200, 200), (150, 230), (230, 150), (800, 800)],
                         ids=str)
def test_blocked_lu_matches_reference(shape, rng):
    a = rng.standard_normal(shape)
    LU, piv = nt.linalg.lu_factor(_t(a))
    for b in np.ndindex(shape[:-2]):
        ref, rpiv = _ref_getrf(a[b])
        np.testing.assert_array_equal(piv.numpy()[b], rpiv)  # same pivot rows, so the same factors
        np.testing.assert_allclose(LU.numpy()[b], ref, rtol=1e-9, atol=1e-9 * shape[-1])


@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("n", [97, 160, 300])
def test_blocked_det_inv_solve(dt, n, rng):
    a = rng.standard_normal((2, n, n)).astype(dt.np)
    a64 = a.astype(np.float64)
    s, la = nt.linalg.slogdet(_t(a))
    rs, rla = np.linalg.slogdet(a64)
    np.testing.assert_array_equal(s.numpy(), rs)
    _close(la, rla, dt, 10 * n)
    c = np.exp(-rla[:, None, None] / n)  # scaled to |det| = 1, finite in float32
    d = nt.linalg.det(_t((a64 * c).astype(dt.np)))
    rd = np.linalg.det((a64 * c).astype(dt.np).astype(np.float64))
    np.testing.assert_allclose(d.numpy(), rd, rtol=1e-8 if dt is nt.float64 else 1e-3)
    inv = nt.linalg.inv(_t(a)).numpy().astype(np.float64)
    eye = np.broadcast_to(np.eye(n), a.shape)
    res = np.abs(a64 @ inv - eye).max()
    assert res < (1e-9 if dt is nt.float64 else 1e-2) * np.linalg.cond(a64).max() ** 0.5, res
    b = rng.standard_normal((2, n, 3)).astype(dt.np)
    x = nt.linalg.solve(_t(a), _t(b)).numpy().astype(np.float64)
    _close(nt.linalg.solve(_t(a), _t(b)), np.linalg.solve(a64, b.astype(np.float64)), dt,
           100 * np.abs(x).max())
    xv = nt.linalg.solve(_t(a[0]), _t(b[0, :, 0]))  # a vector right-hand side
    _close(xv, np.linalg.solve(a64[0], b[0, :, 0].astype(np.float64)), dt, 100 * np.abs(x).max())


def test_blocked_ill_conditioned(rng):
    """cond ~ 1e12: the backward error of solve stays at rounding level (partial pivoting is stable)."""
    n = 200
    q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (q1 * np.logspace(0, -12, n)) @ q2
    b = rng.standard_normal((n, 2))
    x = nt.linalg.solve(_t(a), _t(b)).numpy()
    backward = np.abs(a @ x - b).max() / (np.abs(a).max() * np.abs(x).max() * n)
    assert backward < 1e-15, backward
    ref = np.linalg.solve(a, b)
    assert np.abs(x - ref).max() / np.abs(ref).max() < 1e-2  # forward error ~ cond * eps


@pytest.mark.parametrize("k", [5, 40, 64, 150])
def test_blocked_singular_info(k, rng):
    """A zero column k: the first zero pivot is at step k (info k + 1), in any leaf or block."""
    n = 180
    a = rng.standard_normal((n, n))
    a[:, k] = 0.0
    out = nt.linalg.lu_factor_ex(_t(a))
    assert out.info.item() == k + 1
    assert nt.linalg.inv_ex(_t(a)).info.item() == k + 1
    assert nt.linalg.det(_t(a)).item() == 0.0
    with pytest.raises(nt.linalg.LinAlgError):
        nt.linalg.solve(_t(a), nt.ones(n, dtype=nt.float64))


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("unit", [True, False])
@pytest.mark.parametrize("n", [100, 270])
def test_blocked_solve_triangular(upper, unit, n, rng):
    a = rng.standard_normal((2, n, n)) / n ** 0.5 + 2 * np.eye(n)
    tri = np.triu(a) if upper else np.tril(a)
    if unit:
        tri = tri - np.diagonal(tri, axis1=1, axis2=2)[:, :, None] * np.eye(n) + np.eye(n)
    for k in (1, 7, n):
        b = rng.standard_normal((2, n, k))
        got = nt.linalg.solve_triangular(_t(a), _t(b), upper=upper, unitriangular=unit)
        _close(got, np.linalg.solve(tri, b), nt.float64, 10)


@pytest.mark.parametrize("dt", FLOATS, ids=str)
@pytest.mark.parametrize("shape", [(96, 96), (2, 130, 130), (333, 333), (800, 800)], ids=str)
def test_blocked_cholesky(dt, shape, rng):
    a = _spd(rng, shape, dt)
    junk = np.triu(rng.standard_normal(shape), 1).astype(dt.np)  # only the lower triangle is read
    ref = np.linalg.cholesky(a.astype(np.float64))
    _close(nt.linalg.cholesky(_t(np.tril(a) + junk)), ref, dt, 10 * shape[-1] ** 0.5)


@pytest.mark.parametrize("j", [3, 64, 100, 200])
def test_blocked_cholesky_not_pd(j, rng):
    """Leading minors of order <= j positive-definite, the one of order j + 1 not: info j + 1."""
    a = _spd(rng, (220, 220), nt.float64)
    a[j, j] = -1.0
    assert nt.linalg.cholesky_ex(_t(a)).info.item() == j + 1


@pytest.mark.parametrize("shape", [(96, 96), (130, 97), (97, 130), (2, 300, 300), (800, 200)], ids=str)
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_blocked_qr(shape, mode, rng):
    """Compact-WY blocked Householder QR: LAPACK geqrf's signs, so Q and R match NumPy's."""
    a = rng.standard_normal(shape)
    Q, R = nt.linalg.qr(_t(a), mode=mode)
    rq, rr = np.linalg.qr(a, mode=mode)
    _close(R, rr, nt.float64, 10)
    _close(Q, rq, nt.float64, 10)
    q = Q.numpy()
    eye = np.eye(q.shape[-1])
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(eye, q.shape[:-2] + eye.shape), atol=1e-12)
    np.testing.assert_array_equal(np.tril(R.numpy(), -1), 0)


def test_blocked_qr_rank_deficient(rng):
    """Zero columns (no reflection there) and a rank-deficient block still give A = QR with orthonormal Q."""
    a = rng.standard_normal((150, 120))
    a[:, 40] = 0.0
    a[:, 70:90] = a[:, 0:20] @ rng.standard_normal((20, 20))
    Q, R = nt.linalg.qr(_t(a))
    q = Q.numpy()
    np.testing.assert_allclose(q @ R.numpy(), a, atol=1e-12)
    np.testing.assert_allclose(q.T @ q, np.eye(120), atol=1e-12)


@pytest.mark.parametrize("shape", [(150, 150), (2, 97, 97)], ids=str)
def test_eigh_larger(shape, rng):
    """The row-oriented tridiagonal reduction: eigenvalues as LAPACK's, A V = V diag(w), V orthogonal."""
    a = rng.standard_normal(shape)
    a = a + np.swapaxes(a, -1, -2)
    w, V = nt.linalg.eigh(_t(a))
    _close(w, np.linalg.eigvalsh(a), nt.float64, 10 * shape[-1])
    v = V.numpy()
    np.testing.assert_allclose(a @ v, v * w.numpy()[..., None, :], atol=1e-10 * shape[-1])
    np.testing.assert_allclose(np.swapaxes(v, -1, -2) @ v, np.broadcast_to(np.eye(shape[-1]), a.shape), atol=1e-12)


def test_matrix_exp_dtypes():
    """Integer inputs are torch's error; float16 computes (through float32 here) and stays float16."""
    for dt, name in ((nt.uint8, "Byte"), (nt.int64, "Long")):
        with pytest.raises(RuntimeError, match=f"Expected a floating point or complex tensor as input. Got {name}"):
            nt.linalg.matrix_exp(nt.eye(2, dtype=dt))
    d = np.array([[0.5, 0.0], [0.0, -1.0]])
    r = nt.linalg.matrix_exp(nt.tensor(d, dtype=nt.float16))
    assert r.dtype == nt.float16
    np.testing.assert_allclose(r.float().numpy(), np.diag(np.exp([0.5, -1.0])), rtol=2e-3, atol=1e-3)


def test_slogdet_sign_is_a_differentiable_output_without_a_gradient():
    """torch: sign and logabsdet share one LinalgSlogdetBackward0 node (sign requires grad, output_nr 0); sign's
    gradient is undefined: grad of sign alone raises the unused-tensor error, with materialize_grads it is zeros."""
    a = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.5, 0.0, -1.0]])
    A = nt.tensor(a, requires_grad=True)
    s, la = nt.linalg.slogdet(A)
    assert s.requires_grad and s.grad_fn is la.grad_fn and s.grad_fn.name() == "LinalgSlogdetBackward0"
    assert (s.output_nr, la.output_nr) == (0, 1)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        nt.autograd.grad(s, A, retain_graph=True)
    (g0,) = nt.autograd.grad(s, A, retain_graph=True, materialize_grads=True)
    np.testing.assert_array_equal(g0.numpy(), np.zeros((3, 3)))
    (g,) = nt.autograd.grad(s * 2 + la, A)
    np.testing.assert_allclose(g.numpy(), np.linalg.inv(a).T, rtol=1e-12)  # d log|det A| / dA = A^-T
