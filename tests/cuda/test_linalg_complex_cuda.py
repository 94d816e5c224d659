"""Complex (complex64 / complex128) linear algebra on CUDA tensors against the same ops on CPU tensors (the CPU's
complex path is tested against torch in tests/test_linalg_complex.py), against the factorizations' invariants
(P L U = A, L L^H = A, Q R = A with Q^H Q = I, A V = V diag(w), U S V^H = A), and the gradients against the CPU's.

Shapes stay tiny: the simulator runs every GPU thread as a Python thread.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import ntorch as nt

DTYPES = [nt.complex64, nt.complex128]
TOL = {nt.complex64: 2e-4, nt.float32: 2e-4, nt.complex128: 1e-10, nt.float64: 1e-10}


def _crand(shape, seed=0, diag=0.0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    if diag:
        a = a + diag * np.eye(shape[-1])
    return a


def _np(t):
    return t.detach().cpu().numpy().astype(np.complex128)


def _close(got, want, tol, msg=""):
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=msg)


def _check(got, want, msg=""):
    """got: a CUDA tensor equal to the CPU tensor want (dtype, shape, values)."""
    assert got.is_cuda, msg
    assert got.dtype is want.dtype, (msg, got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape), (msg, tuple(got.shape), tuple(want.shape))
    _close(_np(got), _np(want), TOL.get(want.dtype, 0), msg)


def _loss(outs, seed=7):
    """sum Re(out * w) over the float / complex outputs, w fixed (the same on both devices)."""
    total = None
    for k, o in enumerate(outs):
        if not (o.dtype.is_floating_point or o.dtype.is_complex):
            continue
        w = _crand(tuple(o.shape), seed + k)
        w = nt.tensor(w if o.dtype.is_complex else w.real, dtype=o.dtype, device=o.device)
        term = (o * w).sum()
        term = term.real if term.dtype.is_complex else term
        total = term if total is None else total + term
    return total


def _compare(fn, arrays, dt, grad=True, msg="", loss=_loss):
    """fn on CPU and CUDA tensors of the same values (each output), then the inputs' gradients of loss(outputs)."""
    cpu = [nt.tensor(a, dtype=dt).requires_grad_(grad) for a in arrays]
    dev = [nt.tensor(a, dtype=dt).cuda().requires_grad_(grad) for a in arrays]
    outs_c, outs_d = fn(*cpu), fn(*dev)
    outs_c = tuple(outs_c) if isinstance(outs_c, tuple) else (outs_c,)
    outs_d = tuple(outs_d) if isinstance(outs_d, tuple) else (outs_d,)
    for k, (c, d) in enumerate(zip(outs_c, outs_d)):
        _check(d, c, f"{msg} output {k}")
    if not grad:
        return
    loss(outs_c).backward()
    loss(outs_d).backward()
    for i, (c, d) in enumerate(zip(cpu, dev)):
        assert c.grad is not None and d.grad is not None, (msg, i)
        _check(d.grad, c.grad, f"{msg} grad {i}")


def _herm(a):
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def _hpd(shape, seed):
    r = _crand(shape, seed)
    return r @ np.conj(np.swapaxes(r, -1, -2)) + shape[-1] * np.eye(shape[-1])


def _cuda(a, dt):
    return nt.tensor(a, dtype=dt).cuda()


# ---- LU, inverse, determinants, solves ----

@pytest.mark.parametrize("dt", DTYPES)
def test_lu_family(dt):
    a = _crand((2, 3, 3), 1, diag=2.0)
    b = _crand((2, 3, 2), 2)
    _compare(nt.linalg.det, [a], dt, msg="det")
    _compare(nt.linalg.slogdet, [a], dt, msg="slogdet")
    _compare(nt.logdet, [a], dt, grad=False, msg="logdet")
    _compare(nt.linalg.inv, [a], dt, msg="inv")
    _compare(nt.linalg.solve, [a, b], dt, msg="solve")
    _compare(nt.linalg.solve, [a, b[:, :, 0]], dt, msg="solve vector")
    _compare(lambda x, y: nt.linalg.solve(x, y.mT, left=False), [a, b], dt, msg="solve right")
    _compare(lambda x: nt.linalg.matrix_power(x, -2), [a], dt, msg="matrix_power -2")
    _compare(nt.linalg.lu_factor, [a], dt, grad=False, msg="lu_factor")
    _compare(lambda x: tuple(nt.linalg.lu(x)), [a], dt, msg="lu")
    _compare(nt.linalg.matrix_exp, [a * 0.3], dt, msg="matrix_exp")
    x = _cuda(a, dt)
    inv, info = nt.linalg.inv_ex(x)
    assert info.is_cuda and info.dtype is nt.int32 and info.cpu().tolist() == [0, 0]
    _close(_np(x @ inv), np.broadcast_to(np.eye(3), (2, 3, 3)), TOL[dt])
    _close(_np(nt.linalg.det(x)), np.linalg.det(a), TOL[dt] * 10)  # an independent oracle too
    sign, logabs = nt.linalg.slogdet(x)
    assert sign.dtype is dt and logabs.dtype is dt.to_real()
    _close(_np(sign * logabs.exp()), np.linalg.det(a), TOL[dt] * 10)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 3)], ids=str)
def test_lu_reconstructs_and_lu_solve(shape):
    dt = nt.complex128
    a = _crand(shape, 14)
    _compare(lambda x: tuple(nt.linalg.lu(x)), [a], dt, msg="lu")
    P, L, U = nt.linalg.lu(_cuda(a, dt))
    _close(_np(P @ L @ U), a, 1e-12)
    if shape[-1] == shape[-2]:
        b = _crand(shape[:-1] + (2,), 15)
        for left, adjoint in ((True, False), (True, True), (False, False), (False, True)):
            rhs = b if left else np.swapaxes(b, -1, -2)

            def fn(x, y, left=left, adjoint=adjoint):
                LU, piv = nt.linalg.lu_factor(x)
                return nt.linalg.lu_solve(LU, piv, y, left=left, adjoint=adjoint)

            _compare(fn, [a, rhs], dt, grad=False, msg=f"lu_solve {left} {adjoint}")


@pytest.mark.parametrize("dt", DTYPES)
def test_triangular_solves(dt):
    a = _crand((2, 3, 3), 3, diag=2.0)
    b = _crand((2, 3, 2), 4)
    for upper in (True, False):
        _compare(lambda x, y, upper=upper: nt.linalg.solve_triangular(x, y, upper=upper), [a, b], dt,
                 msg=f"solve_triangular {upper}")
    _compare(lambda x, y: nt.linalg.solve_triangular(x, y.mT, upper=False, left=False, unitriangular=True), [a, b], dt,
             msg="solve_triangular right unit")
    _compare(lambda x, y: tuple(nt.triangular_solve(y, x, upper=False, transpose=True)), [a, b], dt,
             msg="triangular_solve")
    x, y = _cuda(a, dt), _cuda(b, dt)
    t = nt.triu(x)
    _close(_np(t @ nt.linalg.solve_triangular(x, y, upper=True)), b, TOL[dt] * 10)


@pytest.mark.parametrize("dt", DTYPES)
def test_cholesky_family(dt):
    spd = _hpd((2, 3, 3), 1)
    b = _crand((2, 3, 2), 2)
    _compare(lambda x: nt.linalg.cholesky((x + x.mH) * 0.5), [spd], dt, msg="cholesky")
    _compare(lambda x: nt.linalg.cholesky(x, upper=True), [spd], dt, grad=False, msg="cholesky upper")
    _compare(lambda x: tuple(nt.linalg.cholesky_ex(x)), [spd], dt, grad=False, msg="cholesky_ex")
    _compare(lambda x: nt.cholesky(x), [spd], dt, grad=False, msg="torch.cholesky")
    low = np.linalg.cholesky(spd)
    _compare(lambda x, y: nt.cholesky_solve(y, x), [low, b], dt, msg="cholesky_solve")
    _compare(lambda x, y: nt.cholesky_solve(y, x.mH, upper=True), [low, b], dt, grad=False,
             msg="cholesky_solve upper")
    _compare(nt.cholesky_inverse, [low], dt, msg="cholesky_inverse")
    L = nt.linalg.cholesky(_cuda(spd, dt))
    _close(_np(L @ L.mH), spd, TOL[dt] * 10)
    d = _np(L)[:, range(3), range(3)]
    assert np.all(d.imag == 0) and np.all(d.real > 0)  # zpotrf's real positive diagonal
    _close(_np(L), low, TOL[dt] * 10)


# ---- QR ----

@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("dt", DTYPES)
def test_qr(shape, dt):
    a = _crand(shape, 11)
    m, n = shape[-2:]
    for mode in ("reduced", "complete", "r"):
        grad = mode == "reduced" or (mode == "complete" and m <= n)
        _compare(lambda x, mode=mode: tuple(nt.linalg.qr(x, mode)) if mode != "r" else nt.linalg.qr(x, mode)[1],
                 [a], dt, grad=grad, msg=f"qr {mode}")
    for mode in ("reduced", "complete"):
        q, r = nt.linalg.qr(_cuda(a, dt), mode)
        _close(_np(q @ r), a, TOL[dt] * 10)
        qq = _np(q.mH @ q)
        _close(qq, np.broadcast_to(np.eye(qq.shape[-1]), qq.shape), TOL[dt] * 10)
        k = min(m, n)
        assert np.all(_np(r)[..., range(k), range(k)].imag == 0)  # zgeqrf's real R diagonal
    q, r = nt.linalg.qr(_cuda(a, dt), "r")
    assert q.is_cuda and q.numel() == 0


# ---- eigh ----

def _phase_free_loss(outs, seed=7):
    """sum(w * L) + sum(W * |V|^2) over (L, V) or (U, S, Vh): invariant under each vector's phase."""
    total = None
    for k, o in enumerate(outs):
        x = (o * o.conj()).real if o.dtype.is_complex else o
        w = nt.tensor(_crand(tuple(o.shape), seed + k).real, dtype=x.dtype, device=o.device)
        term = (x * w).sum()
        total = term if total is None else total + term
    return total


@pytest.mark.parametrize("dt", DTYPES)
def test_eigh(dt):
    a = _crand((2, 4, 4), 12)
    for uplo in ("L", "U"):
        _compare(lambda x, uplo=uplo: tuple(nt.linalg.eigh(x, uplo)), [a], dt, msg=f"eigh {uplo}",
                 loss=_phase_free_loss)
        _compare(lambda x, uplo=uplo: nt.linalg.eigvalsh(x, uplo), [a], dt, msg=f"eigvalsh {uplo}")
    h = _herm(a)
    w, v = nt.linalg.eigh(_cuda(h, dt))
    assert w.dtype is dt.to_real() and v.dtype is dt
    wn, vn = _np(w).real, _np(v)
    _close(wn, np.linalg.eigvalsh(h), TOL[dt] * 10)
    _close(h @ vn, vn * wn[:, None, :], TOL[dt] * 10)
    _close(np.conj(np.swapaxes(vn, -1, -2)) @ vn, np.broadcast_to(np.eye(4), (2, 4, 4)), TOL[dt] * 10)


def test_eigh_backward_refuses_a_phase_dependent_loss_as_the_cpu():
    for h in (nt.tensor(_herm(_crand((3, 3), 5))), _cuda(_herm(_crand((3, 3), 5)), nt.complex128)):
        _, v = nt.linalg.eigh(h.requires_grad_())
        with pytest.raises(RuntimeError, match="The eigenvectors in the complex case are specified up to "
                                               "multiplication"):
            v[2, 1].real.backward()


# ---- SVD and what is built on it ----

def _same_up_to_phases(U, Vh, Uc, Vhc, tol):
    """U = Uc diag(p), Vh = diag(conj p) Vhc for unit phases p (the first k columns / rows)."""
    k = min(U.shape[-1], Vh.shape[-2])
    p = np.sum(np.conj(Uc[..., :, :k]) * U[..., :, :k], axis=-2)
    _close(np.abs(p), np.ones_like(np.abs(p)), tol)
    _close(U[..., :, :k], Uc[..., :, :k] * p[..., None, :], tol)
    _close(Vh[..., :k, :], np.conj(p)[..., :, None] * Vhc[..., :k, :], tol)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2), (1, 3)], ids=str)
@pytest.mark.parametrize("dt", DTYPES)
def test_svd(shape, dt):
    a = _crand(shape, 13)
    m, n = shape[-2:]
    k = min(m, n)
    tol = TOL[dt] * 10
    for full in (False, True):
        U, S, Vh = nt.linalg.svd(_cuda(a, dt), full_matrices=full)
        Uc, Sc, Vhc = nt.linalg.svd(nt.tensor(a, dtype=dt), full_matrices=full)
        assert U.is_cuda and U.dtype is dt and S.dtype is dt.to_real() and Vh.dtype is dt
        assert tuple(U.shape) == tuple(Uc.shape) and tuple(Vh.shape) == tuple(Vhc.shape)
        _check(S, Sc, "S")
        _close(_np(S).real, np.linalg.svd(a, compute_uv=False), tol)
        u, s, vh = _np(U), _np(S).real, _np(Vh)
        _same_up_to_phases(u, vh, _np(Uc), _np(Vhc), tol)
        _close((u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], a, tol)
        for q in (u, np.conj(np.swapaxes(vh, -1, -2))):
            eye = np.conj(np.swapaxes(q, -1, -2)) @ q
            _close(eye, np.broadcast_to(np.eye(q.shape[-1]), eye.shape), tol)
    _compare(nt.linalg.svdvals, [a], dt, msg="svdvals")
    _compare(lambda x: tuple(nt.linalg.svd(x, full_matrices=False)), [a], dt, msg="svd grads", loss=_phase_free_loss)


@pytest.mark.parametrize("dt", DTYPES)
def test_svd_of_a_rank_deficient_matrix_completes_u(dt):
    a = np.outer([1.0, 2.0j, 3.0], [1.0, -1.0j])  # rank 1, 3x2
    U, S, Vh = nt.linalg.svd(_cuda(a, dt))
    Sc = nt.linalg.svd(nt.tensor(a, dtype=dt))[1]
    _check(S, Sc, "S")
    u = _np(U)
    _close(np.conj(u.T) @ u, np.eye(3), TOL[dt] * 10)
    _close((u[:, :2] * _np(S).real) @ _np(Vh), a, TOL[dt] * 10)


@pytest.mark.parametrize("dt", DTYPES)
def test_composites_of_the_svd_and_eigh(dt):
    a = _crand((2, 3, 2), 21)
    b = _crand((2, 3, 2), 22)
    _compare(nt.linalg.pinv, [a], dt, msg="pinv")
    _compare(lambda x: nt.linalg.pinv(x @ x.mH, hermitian=True), [a], dt, grad=False, msg="pinv hermitian")
    _compare(lambda x: nt.linalg.matrix_rank(x @ x.mH), [a], dt, grad=False, msg="matrix_rank")
    _compare(lambda x: nt.linalg.matrix_rank(x @ x.mH, hermitian=True), [a], dt, grad=False, msg="matrix_rank herm")
    _compare(lambda x, y: nt.linalg.lstsq(x, y)[0], [a, b], dt, msg="lstsq")
    _compare(nt.linalg.cond, [a[:, :2, :]], dt, grad=False, msg="cond")
    for ord in ("nuc", 2, -2):
        _compare(lambda x, ord=ord: nt.linalg.matrix_norm(x, ord), [a], dt, msg=f"matrix_norm {ord}")
    x = _cuda(a, dt)
    _close(_np(nt.linalg.pinv(x)), np.linalg.pinv(a), TOL[dt] * 10)


# ---- shapes: empty batches, 1x1, non-contiguous ----

@pytest.mark.parametrize("dt", DTYPES)
def test_empty_batch_and_1x1(dt):
    e = np.zeros((0, 2, 2), np.complex128)
    for fn in (nt.linalg.det, nt.linalg.inv, nt.linalg.cholesky, lambda x: nt.linalg.qr(x)[1],
               lambda x: nt.linalg.eigh(x)[1], lambda x: nt.linalg.svd(x)[0], nt.linalg.svdvals):
        _compare(fn, [e], dt, grad=False, msg="empty")
    one = np.array([[2.0 - 1.0j]])
    _compare(nt.linalg.det, [one], dt, msg="det 1x1")
    _compare(nt.linalg.inv, [one], dt, msg="inv 1x1")
    _compare(lambda x: tuple(nt.linalg.qr(x)), [one], dt, msg="qr 1x1")
    _compare(lambda x: nt.linalg.cholesky(x * x.conj()), [one], dt, msg="cholesky 1x1")
    _compare(nt.linalg.eigvalsh, [one], dt, msg="eigvalsh 1x1")
    _compare(nt.linalg.svdvals, [one], dt, msg="svdvals 1x1")


@pytest.mark.parametrize("dt", DTYPES)
def test_non_contiguous_inputs(dt):
    a = _crand((2, 3, 3), 31, diag=2.0)
    b = _crand((2, 3, 2), 32)
    _compare(lambda x: nt.linalg.inv(x.mT), [a], dt, msg="inv transposed")
    _compare(lambda x, y: nt.linalg.solve(x.mH, y), [a, b], dt, msg="solve adjoint view")
    _compare(lambda x: nt.linalg.det(x[:, ::2, ::2]), [a], dt, msg="det strided")
    _compare(lambda x: tuple(nt.linalg.qr(x.mT)), [a], dt, msg="qr transposed")
    _compare(lambda x: nt.linalg.svdvals(x.mT[:, :, :2]), [a], dt, msg="svdvals view")
    _compare(lambda x: nt.linalg.eigvalsh(x.mT, "U"), [a], dt, msg="eigvalsh transposed")


# ---- errors: as the CPU's ----

def _same_error(fn, a, dt, exc=nt.linalg.LinAlgError):
    """fn raises the same exception type and text on the CPU and on CUDA."""
    with pytest.raises(exc) as cpu:
        fn(nt.tensor(a, dtype=dt))
    with pytest.raises(exc, match=re.escape(str(cpu.value))):
        fn(_cuda(a, dt))
    return str(cpu.value)


@pytest.mark.parametrize("dt", DTYPES)
def test_errors_as_the_cpu(dt):
    sing = np.array([[1.0, 2j, 3], [2, 4j, 6], [1j, 1, 1]])
    batch = np.stack([np.eye(3, dtype=np.complex128), sing])
    text = _same_error(nt.linalg.inv, batch, dt)
    assert text.startswith("linalg.inv: (Batch element 1): The diagonal element 3 is zero")
    _same_error(lambda x: nt.linalg.solve(x, x), batch, dt)
    _same_error(nt.linalg.lu_factor, batch, dt)
    _same_error(lambda x: nt.linalg.inv_ex(x, check_errors=True), batch, dt)
    notpd = np.stack([np.eye(2), -np.eye(2)]).astype(np.complex128)
    text = _same_error(nt.linalg.cholesky, notpd, dt)
    assert "(Batch element 1): The factorization could not be completed because the input is not positive" in text
    _same_error(nt.cholesky, notpd, dt)
    _same_error(nt.cholesky_inverse, np.diag([1.0, 0.0]).astype(np.complex128), dt)
    bad = np.ones((2, 3, 2), np.complex128)
    bad[1, 0, 1] = complex(1.0, np.nan)
    for fn in (nt.linalg.svd, nt.linalg.svdvals, nt.linalg.pinv):
        text = _same_error(fn, bad, dt)
    assert "The algorithm failed to converge because the input matrix contained non-finite values." in text
    L, info = nt.linalg.cholesky_ex(_cuda(notpd, dt))
    assert info.is_cuda and info.cpu().tolist() == [0, 1]
    inv, info = nt.linalg.inv_ex(_cuda(batch, dt))
    assert info.cpu().tolist() == [0, 3]
    assert nt.linalg.det(_cuda(sing, dt)).cpu().item() == 0
    s, la = nt.linalg.slogdet(_cuda(sing, dt))
    assert s.cpu().item() == 0 and la.cpu().item() == -np.inf


# ---- gradients ----

@pytest.mark.parametrize("dt", DTYPES)
def test_gradients_match_the_cpu(dt):
    """A few backward passes against the CPU's (which tests/test_linalg_complex.py checks by gradcheck)."""
    a = _crand((2, 3, 3), 41, diag=2.0)
    b = _crand((2, 3, 1), 42)
    _compare(lambda x: nt.linalg.det(x), [a], dt, msg="det grad")
    _compare(lambda x, y: nt.linalg.solve(x, y), [a, b], dt, msg="solve grad")
    _compare(nt.linalg.inv, [a], dt, msg="inv grad")
    _compare(lambda x: nt.linalg.cholesky(x @ x.mH + nt.eye(3, dtype=dt, device=x.device)), [a], dt,
             msg="cholesky grad")
    _compare(lambda x: nt.linalg.eigh(x @ x.mH), [a], dt, msg="eigh grad", loss=_phase_free_loss)
    _compare(nt.linalg.svdvals, [a], dt, msg="svdvals grad")
    _compare(lambda x: nt.linalg.slogdet(x)[1], [a], dt, msg="logabsdet grad")

