"""linalg.eig / eigvals on CUDA tensors (kernels/cuda/linalg_extra.py: the CPU's per-matrix dgeev / zgeev code,
one thread per matrix) against the same ops on CPU tensors (tests/test_linalg_eig.py tests those against torch)
and against the defining invariant A V = V diag(L) in NumPy: float32 / float64 / complex64 / complex128, batches,
1x1, empty batches, non-contiguous and non-finite input, the scaling of huge and tiny matrices, and gradients of
phase-invariant losses. Shapes stay tiny: the simulator runs every GPU thread as a Python thread.
"""

from __future__ import annotations

import numpy as np
import pytest
from cuda_util import cast_pair as _pair
from cuda_util import random_matrix as _arr

import ntorch as nt

DTYPES = [nt.float32, nt.float64, nt.complex64, nt.complex128]
TOL = {nt.complex64: 1e-4, nt.complex128: 1e-10}


def _close(got, want, tol, msg=""):
    assert got.is_cuda, msg
    assert got.dtype is want.dtype, (msg, got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape), (msg, tuple(got.shape), tuple(want.shape))
    np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=tol, atol=tol, err_msg=msg)


@pytest.mark.parametrize("dt", DTYPES)
def test_eig_matches_the_cpu_and_solves_the_eigenproblem(dt):
    a = _arr((3, 3, 3), dt)
    c, d = _pair(a, dt)
    Lc, Vc = nt.linalg.eig(c)
    Ld, Vd = nt.linalg.eig(d)
    tol = TOL[Lc.dtype]
    _close(Ld, Lc, tol, "eigenvalues")
    _close(Vd, Vc, tol, "eigenvectors")
    A, L, V = c.numpy().astype(np.complex128), Ld.cpu().numpy(), Vd.cpu().numpy()
    np.testing.assert_allclose(A @ V, V * L[..., None, :], atol=10 * tol)
    np.testing.assert_allclose(np.linalg.norm(V, axis=-2), 1.0, atol=tol)  # unit columns, as geev's
    _close(nt.linalg.eigvals(d), Lc, tol, "eigvals")


def test_eig_real_special_structures_match_the_cpu():
    """Complex pairs (conjugate eigenvectors, positive imaginary part first), eigenvalues balancing isolates
    (triangular, permuted), a defective block, the zero matrix, 1x1 and 2x2."""
    mats = [np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]),
            np.array([[1.0, 2.0, 3.0], [0.0, 4.0, 5.0], [0.0, 0.0, 6.0]]),
            np.array([[0.0, 0.0, 1.0], [3.0, 0.0, 0.0], [0.0, 2.0, 0.0]]),
            np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]]),
            np.zeros((3, 3))]
    c, d = _pair(np.stack(mats), nt.float64)
    for (lc, vc), (ld, vd) in ((nt.linalg.eig(c), nt.linalg.eig(d)),
                               (nt.linalg.eig(c[:1, :1, :1]), nt.linalg.eig(d[:1, :1, :1])),
                               (nt.linalg.eig(c[:, 1:, 1:]), nt.linalg.eig(d[:, 1:, 1:]))):
        _close(ld, lc, 1e-10, "eigenvalues")
        _close(vd, vc, 1e-10, "eigenvectors")
    w = nt.linalg.eigvals(d[0]).cpu().numpy()
    k = int(np.flatnonzero(w.imag > 0)[0])  # a complex pair: positive imaginary part first, then its conjugate
    assert w[k + 1] == np.conj(w[k])


@pytest.mark.parametrize("dt", [nt.float64, nt.complex128])
def test_eig_shapes_empty_and_non_contiguous(dt):
    a = _arr((2, 3, 3), dt, seed=3)
    c, d = _pair(a, dt)
    ct = nt.complex128
    for shape in [(0, 3, 3), (2, 0, 0), (0, 0)]:
        L, V = nt.linalg.eig(nt.zeros(shape, dtype=dt, device="cuda"))
        assert L.is_cuda and L.dtype is ct and tuple(L.shape) == shape[:-1]
        assert V.is_cuda and V.dtype is ct and tuple(V.shape) == shape
        assert tuple(nt.linalg.eigvals(nt.zeros(shape, dtype=dt, device="cuda")).shape) == shape[:-1]
    dt_view = d.mT  # a transposed view: not C-contiguous
    assert not dt_view.is_contiguous()
    Lc, Vc = nt.linalg.eig(c.mT)
    Ld, Vd = nt.linalg.eig(dt_view)
    _close(Ld, Lc, 1e-10)
    _close(Vd, Vc, 1e-10)
    _close(nt.linalg.eigvals(d[:, ::2, ::2]), nt.linalg.eigvals(c[:, ::2, ::2]), 1e-10, "stepped view")


@pytest.mark.parametrize("dt", [nt.float32, nt.complex128])
def test_eigvals_of_a_non_finite_matrix_is_nan_and_eig_raises(dt):
    a = _arr((3, 2, 2), dt, seed=5)
    a[1, 0, 1] = np.nan
    a[2, 1, 1] = np.inf
    c, d = _pair(a, dt)
    want, got = nt.linalg.eigvals(c), nt.linalg.eigvals(d)
    assert np.isnan(want.numpy()[1:]).all()
    _close(got, want, TOL[want.dtype])  # NaN where the CPU has NaN (assert_allclose: NaNs must coincide)
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.eig: input tensor should not contain infs or NaNs\.$"):
        nt.linalg.eig(d)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_eig_scales_huge_and_tiny_matrices_as_the_cpu(scale):
    a = _arr((2, 3, 3), nt.float64, seed=7) * scale
    c, d = _pair(a, nt.float64)
    (Lc, Vc), (Ld, Vd) = nt.linalg.eig(c), nt.linalg.eig(d)
    assert np.isfinite(Lc.numpy()).all() and np.abs(Lc.numpy()).max() > 0
    np.testing.assert_allclose(Ld.cpu().numpy(), Lc.numpy(), rtol=1e-10)
    _close(Vd, Vc, 1e-10)


def test_eig_out_and_errors_on_cuda():
    c, d = _pair(_arr((2, 2), nt.float64, seed=2), nt.float64)
    L = nt.empty(0, dtype=nt.complex128, device="cuda")
    V = nt.empty(0, dtype=nt.complex128, device="cuda")
    res = nt.linalg.eig(d, out=(L, V))
    assert res.eigenvalues is L and res.eigenvectors is V
    _close(L, nt.linalg.eig(c).eigenvalues, 1e-10)
    with pytest.raises(RuntimeError, match=r"^Unknown Complex ScalarType for Long$"):
        nt.linalg.eig(nt.ones(2, 2, dtype=nt.int64, device="cuda"))
    with pytest.raises(NotImplementedError, match="^\"linalg_eig_out_cuda\" not implemented for 'Half'$"):
        nt.linalg.eigvals(nt.ones(2, 2, dtype=nt.float16, device="cuda"))
    with pytest.raises(RuntimeError, match=r"^linalg.eig: A must be batches of square matrices"):
        nt.linalg.eig(nt.ones(2, 3, device="cuda"))


def _phase_free_loss(L, V, w):
    """Depends on V only through |V| (invariant under each eigenvector's phase, as torch's backward requires)."""
    return (L * L).real.sum() + L.abs().sum() + (V.abs() ** 2 * w).sum()


@pytest.mark.parametrize("dt", [nt.float64, nt.complex128])
def test_eig_gradients_match_the_cpu(dt):
    a = _arr((2, 3, 3), dt, seed=11)
    w = nt.from_numpy(np.arange(9.0).reshape(3, 3))
    grads = []
    for dev in ("cpu", "cuda"):
        x = nt.from_numpy(a).to(dt).to(dev).requires_grad_(True)
        L, V = nt.linalg.eig(x)
        _phase_free_loss(L, V, w.to(dev)).backward()
        assert x.grad.device == x.device and x.grad.dtype is dt
        grads.append(x.grad.cpu().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-9)
    # the CPU gradient against central differences of the same loss (float64)
    x0 = a[0]
    eps = 1e-6

    def loss(m):
        L, V = nt.linalg.eig(nt.from_numpy(m).to(dt))
        return float(_phase_free_loss(L, V, w).item())

    for idx in [(0, 0), (1, 2), (2, 1)]:
        e = np.zeros_like(x0)
        e[idx] = eps
        fd = (loss(x0 + e) - loss(x0 - e)) / (2 * eps)
        if dt.is_complex:  # the gradient's real part is d/d(re), its imaginary part d/d(im)
            e[idx] = 1j * eps
            fd = fd + 1j * (loss(x0 + e) - loss(x0 - e)) / (2 * eps)
        np.testing.assert_allclose(grads[1][(0,) + idx], fd, rtol=1e-5, atol=1e-6)


def test_eigvals_gradient_and_phase_dependent_loss_on_cuda():
    a = _arr((3, 3), nt.float64, seed=13)
    xs = [nt.from_numpy(a).requires_grad_(True), nt.from_numpy(a).cuda().requires_grad_(True)]
    for x in xs:
        nt.linalg.eigvals(x).abs().sum().backward()
    np.testing.assert_allclose(xs[1].grad.cpu().numpy(), xs[0].grad.numpy(), rtol=1e-10, atol=1e-10)
    x = nt.from_numpy(_arr((3, 3), nt.complex128, seed=1)).cuda().requires_grad_(True)
    with pytest.raises(RuntimeError, match=r"^linalg_eig_backward: The eigenvectors in the complex case"):
        nt.linalg.eig(x).eigenvectors.imag.sum().backward()


def test_cuda_eig_runs_no_cpu_kernel(monkeypatch):
    """The CUDA path is the device kernels', not a host computation."""
    from ntorch.ops import eig as E

    def host_path(*args):
        raise AssertionError("the CPU eig path ran for a CUDA tensor")

    c, d = _pair(_arr((2, 3, 3), nt.complex128, seed=4), nt.complex128)
    want, want_real = nt.linalg.eigvals(c), nt.linalg.eig(c.real).eigenvalues
    monkeypatch.setattr(E, "_eig_cpu", host_path)
    _close(nt.linalg.eigvals(d), want, 1e-10)
    _close(nt.linalg.eig(d.real).eigenvalues, want_real, 1e-10)
