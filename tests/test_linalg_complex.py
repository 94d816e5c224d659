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
