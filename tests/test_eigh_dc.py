"""linalg.eigh / eigvalsh through the divide-and-conquer tridiagonal solver (kernels/cpu/tridiag_dc.py, orders from
EIGH_DC_MIN on) and the QL path below it, on matrices that stress deflation and the secular equation: LAPACK's
accuracy measures ||A V - V L|| / (n eps ||A||) and ||V^T V - I|| / (n eps) must stay O(1), the eigenvalues must
match NumPy's (LAPACK) to n eps ||A||, and each eigenvector's largest component is positive."""

import numpy as np
import pytest
from ntorch.kernels.cpu import linalg as K
from ntorch.kernels.cpu import tridiag_dc as T

import ntorch as nt

EPS = np.finfo(np.float64).eps
BOUND = 10.0  # LAPACK's tests accept ratios below 30; these run near or below 1


def _check(a, w, v, bound=BOUND):
    """The residual, orthogonality and eigenvalue ratios of (w, v) for the symmetric a, and the sign rule."""
    n = a.shape[0]
    nrm = np.abs(a).max()
    scale = nrm if nrm > 0 else 1.0
    # Ratios on a scaled copy, so that 1e300 matrices do not overflow the check itself (exact power-of-two scale).
    s = 2.0 ** -np.frexp(scale)[1]
    res = np.abs((a * s) @ v - v * (w * s)).max() / (n * EPS * scale * s)
    orth = np.abs(v.T @ v - np.eye(n)).max() / (n * EPS)
    ref = np.linalg.eigvalsh(a * s) / s
    ev = np.abs(w - ref).max() / (n * EPS * scale)
    assert res < bound and orth < bound and ev < bound, (res, orth, ev)
    assert (np.diff(w) >= 0).all()
    big = np.abs(v).argmax(axis=0)
    assert (v[big, np.arange(n)] > 0).all()


def _eigh(a):
    w, v = nt.linalg.eigh(nt.tensor(a))
    assert w.dtype is nt.float64 and v.dtype is nt.float64
    return w.numpy(), v.numpy()


def _sym(rng, n):
    x = rng.standard_normal((n, n))
    return (x + x.T) / 2


def _with_spectrum(rng, lam):
    """Q diag(lam) Q^T for a random orthogonal Q."""
    q, _ = np.linalg.qr(rng.standard_normal((lam.size, lam.size)))
    a = (q * lam) @ q.T
    return (a + a.T) / 2


def _wilkinson(m):
    """W_{2m+1}^+: diagonal |m - i|, off-diagonal ones (pairs of eigenvalues agreeing to many digits)."""
    n = 2 * m + 1
    return np.diag(np.abs(np.arange(n) - m).astype(float)) + np.eye(n, k=1) + np.eye(n, k=-1)


def _cases(rng, n):
    x = rng.standard_normal(n)
    graded = _sym(rng, n) * np.outer(10.0 ** -np.linspace(0, 12, n), 10.0 ** -np.linspace(0, 12, n))
    return {
        "random": _sym(rng, n),
        "graded": graded,
        "clustered": _with_spectrum(rng, np.repeat([1.0, 2.0, 3.0], [n // 2, n // 4, n - n // 2 - n // 4])),
        "near_equal": _with_spectrum(rng, 1.0 + 1e-13 * rng.standard_normal(n)),
        "geometric": _with_spectrum(rng, 10.0 ** -np.linspace(0, 15, n)),
        "identity": np.eye(n),
        "zero": np.zeros((n, n)),
        "diagonal": np.diag(rng.standard_normal(n)),
        "rank1": np.outer(x, x),
        "tiny": _sym(rng, n) * 1e-300,
        "huge": _sym(rng, n) * 1e300,
        "tridiagonal": np.diag(rng.standard_normal(n)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1),
    }


@pytest.mark.parametrize("n", [K.EIGH_DC_MIN - 1, K.EIGH_DC_MIN, 75, 200])
@pytest.mark.parametrize("kind", ["random", "graded", "clustered", "near_equal", "geometric", "identity", "zero",
                                  "diagonal", "rank1", "tiny", "huge", "tridiagonal"])
def test_eigh_accuracy(kind, n):
    rng = np.random.default_rng(n)
    a = _cases(rng, n)[kind]
    w, v = _eigh(a)
    _check(a, w, v)


@pytest.mark.parametrize("m", [10, 30, 60])
def test_eigh_wilkinson(m):
    a = _wilkinson(m)
    w, v = _eigh(a)
    _check(a, w, v)


@pytest.mark.parametrize("n", [1, 2])
def test_eigh_tiny_orders(n, rng):
    for a in (_sym(rng, n), np.eye(n), np.zeros((n, n)), np.array([[1.0, 1e-200], [1e-200, 1.0]])[:n, :n]):
        w, v = _eigh(a)
        _check(a, w, v)


def test_eigh_batch_mixes_paths(rng):
    """A batch of orders above EIGH_DC_MIN runs through the prange kernel, one matrix per task."""
    a = np.stack([_sym(rng, 71), _wilkinson(35) * 1e-3, np.eye(71)])
    w, v = nt.linalg.eigh(nt.tensor(a))
    for b in range(3):
        _check(a[b], w.numpy()[b], v.numpy()[b])


def test_eigh_float32_goes_through_float64(rng):
    """float32 input: float64 kernel, results rounded once (so within float32 rounding of the float64 ones)."""
    a = _sym(rng, 80).astype(np.float32)
    w, v = nt.linalg.eigh(nt.tensor(a))
    assert w.dtype is nt.float32 and v.dtype is nt.float32
    w64, v64 = _eigh(a.astype(np.float64))
    np.testing.assert_array_equal(w.numpy(), w64.astype(np.float32))
    np.testing.assert_array_equal(v.numpy(), v64.astype(np.float32))
    np.testing.assert_allclose(nt.linalg.eigvalsh(nt.tensor(a)).numpy(), w64.astype(np.float32), rtol=0,
                               atol=1e-5 * np.abs(w64).max())


@pytest.mark.parametrize("n", [40, 150])
def test_eigvalsh_values_path(n, rng):
    """eigvalsh without a graph takes the values-only path; its values agree with LAPACK's to n eps ||A||."""
    for a in _cases(rng, n).values():
        w = nt.linalg.eigvalsh(nt.tensor(a)).numpy()
        nrm = np.abs(a).max()
        s = 2.0 ** -np.frexp(nrm if nrm > 0 else 1.0)[1]
        ref = np.linalg.eigvalsh(a * s) / s
        assert np.abs(w - ref).max() <= BOUND * n * EPS * max(nrm, 1e-300)


def test_eigvalsh_with_graph_still_differentiates(rng):
    a = nt.tensor(_sym(rng, 40), requires_grad=True)
    w = nt.linalg.eigvalsh(a)
    w.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(40), atol=1e-10)  # d(trace)/dA


@pytest.mark.parametrize("n", [40, 129])
def test_tridiag_eig_direct(n, rng):
    """The tridiagonal solver alone: rows of w are the eigenvectors, in d's (unsorted) order; d and e come back."""
    d = rng.standard_normal(n)
    e = np.r_[0.0, rng.standard_normal(n - 1)]
    t = np.diag(d) + np.diag(e[1:], 1) + np.diag(e[1:], -1)
    lam, ee, w = d.copy(), e.copy(), np.empty((n, n))
    T.tridiag_eig(lam, ee, w)
    np.testing.assert_array_equal(ee, e)
    assert np.abs(t @ w.T - w.T * lam).max() < BOUND * n * EPS * np.abs(t).max()
    assert np.abs(w @ w.T - np.eye(n)).max() < BOUND * n * EPS
    np.testing.assert_allclose(np.sort(lam), np.linalg.eigvalsh(t), atol=BOUND * n * EPS * np.abs(t).max())



def test_eigh_gradient_through_divide_and_conquer():
    """Finite differences (float64) against linalg_eig_backward at an order on the divide-and-conquer path;
    V * V is invariant under the eigenvectors' signs."""
    from ntorch.autograd import gradcheck

    n = K.EIGH_DC_MIN
    rng = np.random.default_rng(5)
    base = nt.tensor(_sym(rng, n))
    dirs = nt.tensor(np.stack([_sym(rng, n) for _ in range(3)]))  # A(t) = base + sum_k t_k dirs_k: 3 inputs
    t = nt.tensor(rng.standard_normal(3), requires_grad=True)
    r = nt.tensor(rng.standard_normal(n))

    def fn(x):
        w, v = nt.linalg.eigh(base + (x[:, None, None] * dirs).sum(0))
        return w, (v * v) @ r

    assert gradcheck(fn, (t,))
