"""linalg.eig / eigvals against numpy.linalg.eig (eigenvalues compared as sorted multisets: the order is the
Schur form's, see the README), the defining residual A V = V diag(L), geev's normalisation, torch's errors and
gradients against float64 central finite differences of gauge-invariant losses."""

import numpy as np
import pytest

import ntorch

RNG = np.random.default_rng(1234)


def _eig(a):
    L, V = ntorch.linalg.eig(ntorch.tensor(a))
    return L.numpy(), V.numpy()


def _match(got, want, tol):
    """Every eigenvalue of want paired greedily with the nearest unused one of got."""
    got = list(got)
    for w in want:
        k = int(np.argmin([abs(g - w) for g in got]))
        assert abs(got[k] - w) <= tol * max(1.0, abs(w)), (got, want)
        got.pop(k)


def _check(a, L, V, tol=1e-12, normal=True):
    n = a.shape[-1]
    assert L.shape == a.shape[:-1] and V.shape == a.shape
    for idx in np.ndindex(a.shape[:-2]):
        A, l, v = a[idx], L[idx], V[idx]
        scale = max(np.abs(A).max(), 1.0)
        assert np.abs(A @ v - v * l).max() <= tol * scale * n
        assert np.allclose(np.linalg.norm(v, axis=0), 1.0, atol=tol * 10)
        if normal:  # one of the largest-magnitude components (ties allowed) is real
            mag = np.abs(v)
            for j in range(n):
                top = mag[:, j] >= mag[:, j].max() * (1 - 1e-9)
                assert np.abs(v[top, j].imag).min() <= tol * 10
        _match(l, np.linalg.eigvals(A), max(tol, 1e-9) * 100)


@pytest.mark.parametrize("n", [2, 3, 5, 8, 17, 40])
def test_random_real_float64(n):
    a = RNG.standard_normal((n, n))
    L, V = _eig(a)
    assert L.dtype == np.complex128 and V.dtype == np.complex128
    _check(a, L, V)


@pytest.mark.parametrize("n", [2, 5, 16])
def test_random_complex128(n):
    a = RNG.standard_normal((n, n)) + 1j * RNG.standard_normal((n, n))
    L, V = _eig(a)
    _check(a, L, V)
    big = np.argmax(np.abs(V), axis=0)
    assert (V[big, np.arange(n)].real > 0).all()  # zgeev: the largest component real and positive


def test_conjugate_pairs_adjacent_positive_imaginary_first():
    a = RNG.standard_normal((9, 9))
    L, V = _eig(a)
    _check(a, L, V)
    i = 0
    while i < 9:
        if L[i].imag != 0:
            assert L[i].imag > 0 and L[i + 1] == np.conj(L[i])
            assert np.array_equal(V[:, i + 1], np.conj(V[:, i]))
            i += 2
        else:
            assert np.abs(V[:, i].imag).max() == 0
            i += 1
    rot = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    L, V = _eig(rot)
    np.testing.assert_allclose(L, [1j, -1j, 2.0], atol=1e-15)  # torch: tensor([0.+1.j, 0.-1.j, 2.+0.j])
    _check(rot, L, V)


def test_symmetric_real_spectrum():
    b = RNG.standard_normal((6, 6))
    a = b + b.T
    L, V = _eig(a)
    assert np.abs(L.imag).max() == 0
    np.testing.assert_allclose(np.sort(L.real), np.linalg.eigvalsh(a), atol=1e-12)
    _check(a, L, V)
    assert np.abs(V.conj().T @ V - np.eye(6)).max() < 1e-12


def test_defective_jordan_block():
    a = np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]])
    L, V = _eig(a)
    np.testing.assert_allclose(L, [2, 2, 2], atol=1e-14)
    assert np.abs(a @ V - V * L).max() < 1e-12
    np.testing.assert_allclose(np.abs(V[0]), 1, atol=1e-12)  # every vector is (nearly) e_1, as geev's
    a = np.array([[2.0, 1.0], [0.0, 2.0]])
    L, V = _eig(a)  # torch: [2, 2], V = [[1, -1], [0, 4.4e-16]]
    np.testing.assert_allclose(L, [2, 2])
    np.testing.assert_allclose(np.abs(V), [[1, 1], [0, 0]], atol=1e-14)


def test_repeated_and_triangular():
    a = np.diag([3.0, 1.0, 3.0, -2.0])
    L, V = _eig(a)
    np.testing.assert_array_equal(L, [3, 1, 3, -2])  # a diagonal matrix: its diagonal, in order, and e_k
    np.testing.assert_array_equal(V, np.eye(4))
    t = np.triu(RNG.standard_normal((5, 5)))
    L, V = _eig(t)
    np.testing.assert_allclose(L, np.diag(t), atol=1e-14)
    _check(t, L, V)
    q, _ = np.linalg.qr(RNG.standard_normal((5, 5)))
    a = q @ np.diag([1.0, 1.0, 2.0, 2.0, 5.0]) @ q.T
    L, V = _eig(a)
    _check(a, L, V, tol=1e-11)


def test_badly_scaled_and_zero():
    d = np.diag([1e-6, 1.0, 1e6])
    b = RNG.standard_normal((3, 3))
    a = d @ b @ np.linalg.inv(d)  # balancing recovers b's spectrum accurately
    L, V = _eig(a)
    _match(L, np.linalg.eigvals(b), 1e-9)
    L, V = _eig(np.zeros((3, 3)))
    np.testing.assert_array_equal(L, 0)
    np.testing.assert_array_equal(V, np.eye(3))


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e200, 1e300])
def test_extreme_scales(scale):
    b = RNG.standard_normal((6, 6))
    for a in (b * scale, (b + 1j * b.T) * scale):  # no overflow / underflow inside (scaled first, as geev)
        L, V = _eig(a)
        assert np.abs(a @ V - V * L).max() <= 1e-14 * np.abs(a).max()
        _match(L / scale, np.linalg.eigvals(a / scale), 1e-12)


def test_structured_matrices():
    n = 12
    cyclic = np.roll(np.eye(n), 1, axis=0)  # eigenvalues: the n-th roots of unity (a classic QR stall)
    L, V = _eig(cyclic)
    _match(L, np.exp(2j * np.pi * np.arange(n) / n), 1e-12)
    _check(cyclic, L, V)
    comp = np.zeros((10, 10))
    comp[1:, :-1] = np.eye(9)
    comp[:, -1] = RNG.standard_normal(10)
    _check(comp, *_eig(comp), tol=1e-11)
    skew = RNG.standard_normal((9, 9))
    skew = skew - skew.T
    L, V = _eig(skew)
    assert np.abs(L.real).max() < 1e-13
    _check(skew, L, V)


def test_empty_and_one_by_one():
    L, V = ntorch.linalg.eig(ntorch.zeros(0, 0))
    assert tuple(L.shape) == (0,) and tuple(V.shape) == (0, 0) and L.dtype == ntorch.complex64
    L, V = ntorch.linalg.eig(ntorch.tensor([[-3.0]]))
    assert L.tolist() == [-3 + 0j] and V.tolist() == [[1 + 0j]] and V.dtype == ntorch.complex64
    L, V = ntorch.linalg.eig(ntorch.zeros(2, 0, 0, dtype=ntorch.float64))
    assert tuple(L.shape) == (2, 0) and tuple(V.shape) == (2, 0, 0)


def test_batched_and_non_contiguous():
    a = RNG.standard_normal((2, 3, 4, 4))
    L, V = _eig(a)
    _check(a, L, V)
    t = ntorch.tensor(RNG.standard_normal((5, 5))).mT  # a transposed view
    L, V = ntorch.linalg.eig(t)
    _check(t.numpy(), L.numpy(), V.numpy())
    s = ntorch.tensor(RNG.standard_normal((6, 6)))[::2, ::2]
    L2 = ntorch.linalg.eigvals(s)
    _match(L2.numpy(), np.linalg.eigvals(s.numpy()), 1e-12)


def test_float32_and_complex64():
    a = RNG.standard_normal((6, 6)).astype(np.float32)
    L, V = ntorch.linalg.eig(ntorch.tensor(a))
    assert L.dtype == ntorch.complex64 and V.dtype == ntorch.complex64
    _check(a.astype(np.float64), L.numpy().astype(np.complex128), V.numpy().astype(np.complex128), tol=1e-6)
    c = (RNG.standard_normal((5, 5)) + 1j * RNG.standard_normal((5, 5))).astype(np.complex64)
    L, V = ntorch.linalg.eig(ntorch.tensor(c))
    assert L.dtype == ntorch.complex64
    _check(c.astype(np.complex128), L.numpy().astype(np.complex128), V.numpy().astype(np.complex128), tol=1e-6)


def test_eigvals_matches_eig():
    a = RNG.standard_normal((3, 7, 7))
    w = ntorch.linalg.eigvals(ntorch.tensor(a))
    L, _ = ntorch.linalg.eig(ntorch.tensor(a))
    assert w.dtype == ntorch.complex128
    np.testing.assert_allclose(w.numpy(), L.numpy(), atol=1e-13)
    out = ntorch.empty(0, dtype=ntorch.complex128)
    assert ntorch.linalg.eigvals(ntorch.tensor(a), out=out) is out
    np.testing.assert_allclose(out.numpy(), L.numpy(), atol=1e-13)


def test_errors():
    with pytest.raises(RuntimeError, match=r"^linalg.eig: A must be batches of square matrices, but they are 2 by 3 "
                                           r"matrices$"):
        ntorch.linalg.eig(ntorch.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"^linalg.eigvals: A must be batches of square matrices, but they are 2 "
                                           r"by 3 matrices$"):
        ntorch.linalg.eigvals(ntorch.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"^linalg.eig: The input tensor A must have at least 2 dimensions.$"):
        ntorch.linalg.eig(ntorch.ones(3))
    for dt, name in ((ntorch.int64, "Long"), (ntorch.int32, "Int"), (ntorch.bool, "Bool")):
        with pytest.raises(RuntimeError, match=rf"^Unknown Complex ScalarType for {name}$"):
            ntorch.linalg.eig(ntorch.ones(2, 3, dtype=dt))  # torch checks the dtype first
        with pytest.raises(RuntimeError, match=rf"^Unknown Complex ScalarType for {name}$"):
            ntorch.linalg.eigvals(ntorch.ones(2, 2, dtype=dt))
    for dt, name in ((ntorch.float16, "Half"), (ntorch.bfloat16, "BFloat16")):
        with pytest.raises(NotImplementedError, match=rf"^\"linalg_eig_out_cpu\" not implemented for '{name}'$"):
            ntorch.linalg.eig(ntorch.ones(2, 2, dtype=dt))
    with pytest.raises(RuntimeError, match=r"^torch.linalg.eig: input tensor should not contain infs or NaNs.$"):
        ntorch.linalg.eig(ntorch.tensor([[1.0, float("nan")], [0.0, 1.0]]))
    a = ntorch.ones(2, 2, dtype=ntorch.float64)
    with pytest.raises(RuntimeError, match=r"^torch.linalg.eig: Expected eigenvalues to be safely castable from "
                                           r"ComplexDouble dtype, but got eigenvalues with dtype Double$"):
        ntorch.linalg.eig(a, out=(ntorch.empty(0, dtype=ntorch.float64), ntorch.empty(0, dtype=ntorch.complex128)))
    with pytest.raises(RuntimeError, match=r"^torch.linalg.eigvals: Expected eigenvalues to be safely castable"):
        ntorch.linalg.eigvals(a, out=ntorch.empty(0, dtype=ntorch.float64))


def test_out():
    a = ntorch.tensor(RNG.standard_normal((3, 3)))
    Lo, Vo = ntorch.empty(0, dtype=ntorch.complex128), ntorch.empty(0, dtype=ntorch.complex64)
    res = ntorch.linalg.eig(a, out=(Lo, Vo))
    assert res[0] is Lo and res[1] is Vo and tuple(Vo.shape) == (3, 3) and Vo.dtype == ntorch.complex64
    L, V = ntorch.linalg.eig(a)
    np.testing.assert_array_equal(Lo.numpy(), L.numpy())
    np.testing.assert_allclose(Vo.numpy(), V.numpy(), atol=1e-7)


def test_eigvals_non_finite_gives_nan():
    a = np.stack([np.array([[1.0, np.inf], [0.0, 1.0]]), np.eye(2)])
    w = ntorch.linalg.eigvals(ntorch.tensor(a)).numpy()  # torch: tensor([nan+nanj, nan+nanj]) for the first
    assert np.isnan(w[0]).all()
    np.testing.assert_array_equal(w[1], [1, 1])


# ---- autograd ----

def _fd_grad(f, a, h=1e-6):
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += h
        am[idx] -= h
        g[idx] = (f(ap) - f(am)) / (2 * h)
    return g


def _fd_grad_complex(f, a, h=1e-6):
    """torch's convention: dL/d(real part) + i dL/d(imaginary part)."""
    return (_fd_grad(lambda r: f(r + 1j * a.imag), a.real.copy(), h)
            + 1j * _fd_grad(lambda i: f(a.real + 1j * i), a.imag.copy(), h))


def _loss_values(L):
    return (L.real ** 2 + 3 * L.imag).sum()


def _loss_vectors(V):
    return (abs(V) ** 3).sum()  # |v_ij| is invariant under each column's phase


def test_grad_eigenvalues_real_input():
    a = RNG.standard_normal((5, 5))
    t = ntorch.tensor(a, requires_grad=True)
    L = ntorch.linalg.eigvals(t)
    assert L.grad_fn.name() == "LinalgEigBackward0"
    _loss_values(L).backward()
    assert t.grad.dtype == ntorch.float64  # torch: the real part for a real input
    want = _fd_grad(lambda x: _loss_values(np.linalg.eigvals(x)), a)
    np.testing.assert_allclose(t.grad.numpy(), want, atol=1e-6)


def test_grad_eigenvectors_real_input():
    a = RNG.standard_normal((4, 4))
    t = ntorch.tensor(a, requires_grad=True)
    L, V = ntorch.linalg.eig(t)
    (_loss_vectors(V) + (L.abs() ** 2).sum()).backward()
    want = _fd_grad(lambda x: _loss_vectors(np.linalg.eig(x)[1]) + (abs(np.linalg.eigvals(x)) ** 2).sum(), a)
    np.testing.assert_allclose(t.grad.numpy(), want, atol=1e-6)


def test_grad_complex_input_batched():
    a = RNG.standard_normal((2, 3, 3)) + 1j * RNG.standard_normal((2, 3, 3))
    t = ntorch.tensor(a, requires_grad=True)
    L, V = ntorch.linalg.eig(t)
    (_loss_values(L) + _loss_vectors(V)).backward()
    assert t.grad.dtype == ntorch.complex128
    want = _fd_grad_complex(lambda x: _loss_values(np.linalg.eigvals(x)) + _loss_vectors(np.linalg.eig(x)[1]), a)
    np.testing.assert_allclose(t.grad.numpy(), want, atol=1e-6)


def test_gauge_dependent_loss_raises():
    t = ntorch.tensor([[0.0, 1.0, 0.5], [-1.0, 0.3, 0.0], [0.2, 0.0, 2.0]], requires_grad=True)
    _, V = ntorch.linalg.eig(t)  # a complex pair: torch raises for this loss too
    with pytest.raises(RuntimeError, match=r"^linalg_eig_backward: The eigenvectors in the complex case are "
                                           r"specified up to multiplication by e\^\{i phi\}"):
        V.real.sum().backward()


def test_lapack_order_and_normalisation_as_torch():
    """Real input follows dgeev's steps, so the order (and here the eigenvectors) are torch's (MKL) values."""
    a = np.array([[0.03, 1.36, 1.22, -0.51, -0.3], [-0.53, 0.57, -0.06, 0.75, -1.85], [1.57, -0.1, 0.68, -0.14, -0.38],
                  [0.46, 0.82, -0.2, -0.15, 0.69], [-0.87, -1.51, 0.39, -0.67, -1.92]])
    L, V = _eig(a)
    # torch.linalg.eig(torch.tensor(a)) (torch 2.13, CPU)
    np.testing.assert_allclose(L, [1.7414879986314735 + 0.39292644319464787j, 1.7414879986314735 - 0.39292644319464787j,
                                   -1.8749945971515263 + 0.4787500360296254j, -1.8749945971515263 - 0.4787500360296254j,
                                   -0.5229868029598919], atol=1e-13)
    v0 = [0.48877378552309214 + 0.16815423213231434j, -0.0949260789755011 + 0.35133752441908855j, 0.7380867938869976,
          0.01532254150068994 + 0.11576643225741959j, -0.02302099552821218 - 0.20355980842413923j]
    v2 = [-0.4233308094589716 - 0.2713878705588907j, 0.4337248270097438 + 0.03047382153102768j,
          0.3046190002638508 + 0.22524055747569993j, -0.289128973492413 + 0.00375507948302073j, 0.5752895463369501]
    v4 = [-0.3768229130353709, -0.12930704064092302, 0.6337588614952546, 0.6105689669943598, 0.25853321541322904]
    np.testing.assert_allclose(V, np.stack([v0, np.conj(v0), v2, np.conj(v2), v4], 1), atol=1e-13)
    # torch: tensor([0.+1.j, 0.-1.j, 2.+0.j]), V[:, 0] = [0.7071, 0.7071j, 0]
    L, V = _eig(np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]))
    np.testing.assert_allclose(V[:, 0], [2 ** -0.5, 1j * 2 ** -0.5, 0], atol=1e-15)
    # a reducible matrix (dgebal's permutations): torch's order
    b = np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 0.0], [4.0, 5.0, 6.0]])
    L, V = _eig(b)
    np.testing.assert_allclose(L, [6, 1, 3], atol=1e-14)  # torch: tensor([6.+0.j, 1.+0.j, 3.+0.j])
    np.testing.assert_allclose(V.real, [[0, 0.7808688094430304, 0.30151134457776363], [0, 0, 0.30151134457776363],
                                        [1, -0.6246950475544243, -0.9045340337332909]], atol=1e-12)
    _check(b, L, V)


def test_double_backward():
    """The backward is made of differentiable ntorch ops: the gradient of |grad|^2 against finite differences
    of the (first-order, tested above) gradient."""
    def grad_of(x, create_graph=False):
        t = ntorch.tensor(x, requires_grad=True)
        L, V = ntorch.linalg.eig(t)
        g, = ntorch.autograd.grad(_loss_values(L) + _loss_vectors(V), t, create_graph=create_graph)
        return t, g

    a = RNG.standard_normal((3, 3))
    t, g = grad_of(a, True)
    (g ** 2).sum().backward()
    want = _fd_grad(lambda x: float((grad_of(x)[1].numpy() ** 2).sum()), a, h=1e-5)
    np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-5, atol=1e-5)
