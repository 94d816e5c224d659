"""Dense linear algebra on CUDA tensors against the same ops on CPU tensors (the CPU path is tested against NumPy
in tests/test_linalg_decomp.py and tests/test_products.py): the product composites, the LU / Cholesky /
triangular-solve, QR, eigh and SVD kernels (one thread per matrix) and what is built on them, with gradients.

Shapes stay tiny: the simulator runs every GPU thread as a Python thread.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import ntorch as nt

TOL = {nt.float32: 1e-4, nt.float64: 1e-10}


def _arr(shape, seed=0, diag=0.0, dt=np.float64):
    a = np.random.default_rng(seed).standard_normal(shape)
    if diag:
        a = a + diag * np.eye(shape[-1])
    return a.astype(dt)


def _check(got, want, msg=""):
    assert got.is_cuda, msg
    assert got.dtype is want.dtype, (msg, got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape), (msg, tuple(got.shape), tuple(want.shape))
    tol = TOL.get(want.dtype, 0)
    np.testing.assert_allclose(got.detach().cpu().numpy().astype(np.float64),
                               want.detach().numpy().astype(np.float64), rtol=tol, atol=tol, err_msg=msg)


def _compare(fn, arrays, grad=True, msg=""):
    """fn on CPU and CUDA tensors of the same values (each output), then the input gradients of sum(out * w)."""
    cpu = [nt.from_numpy(a.copy()).requires_grad_(grad) for a in arrays]
    dev = [nt.from_numpy(a.copy()).cuda().requires_grad_(grad) for a in arrays]
    outs_c, outs_d = fn(*cpu), fn(*dev)
    outs_c = outs_c if isinstance(outs_c, tuple) else (outs_c,)
    outs_d = outs_d if isinstance(outs_d, tuple) else (outs_d,)
    for k, (c, d) in enumerate(zip(outs_c, outs_d)):
        _check(d, c, f"{msg} output {k}")
    if not grad:
        return
    ws = [nt.from_numpy(_arr(tuple(o.shape), 7 + k)).to(o.dtype) for k, o in enumerate(outs_c)]
    sum(((o * w).sum() for o, w in zip(outs_c, ws) if o.dtype.is_floating_point), nt.tensor(0.0)).backward()
    sum(((o * w.cuda()).sum() for o, w in zip(outs_d, ws) if o.dtype.is_floating_point),
        nt.tensor(0.0).cuda()).backward()
    for i, (c, d) in enumerate(zip(cpu, dev)):
        _check(d.grad, c.grad, f"{msg} grad {i}")


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_products(dt):
    a, b = _arr((2, 3), 1, dt=dt), _arr((2, 3), 2, dt=dt)
    _compare(lambda x, y: nt.linalg.cross(x, y), [a, b], msg="cross")
    _compare(lambda x, y: nt.cross(x, y, dim=1), [a, b], msg="cross")
    _compare(lambda x, y: nt.tensordot(x, y, ([1], [1])), [a, b], msg="tensordot")
    _compare(nt.inner, [a, b], msg="inner")
    _compare(nt.linalg.vecdot, [a, b], msg="vecdot")
    _compare(nt.vdot, [a[0], b[0]], msg="vdot")
    m = _arr((3, 3), 3, dt=dt)
    _compare(lambda x, y, z: nt.linalg.multi_dot([x, y, z]), [a, m, b.T.copy()], msg="multi_dot")
    _compare(lambda x, y, z: nt.addr(x, y, z, beta=0.5), [m, a[0], b[1]], msg="addr")
    _compare(lambda x, y, z: nt.addbmm(x, y, z), [m[:2, :2].copy(), _arr((2, 2, 3), 4, dt=dt),
                                                 _arr((2, 3, 2), 5, dt=dt)], msg="addbmm")
    _compare(lambda x: nt.linalg.matrix_power(x, 3), [m], msg="matrix_power")


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_lu_family(dt):
    a = _arr((2, 3, 3), 1, diag=3.0, dt=dt)
    b = _arr((2, 3, 2), 2, dt=dt)
    _compare(nt.linalg.det, [a], msg="det")
    _compare(nt.linalg.slogdet, [a], msg="slogdet")
    _compare(nt.linalg.inv, [a], msg="inv")
    _compare(nt.linalg.solve, [a, b], msg="solve")
    _compare(nt.linalg.solve, [a, b[:, :, 0].copy()], msg="solve vector")
    _compare(lambda x: nt.linalg.matrix_power(x, -2), [a], msg="matrix_power -2")
    _compare(lambda x, y: nt.linalg.solve_triangular(x, y, upper=True), [a, b], msg="solve_triangular")
    _compare(lambda x, y: nt.linalg.solve_triangular(x, y.mT, upper=False, left=False, unitriangular=True), [a, b],
             msg="solve_triangular right")
    _compare(lambda x: nt.linalg.lu_factor(x), [a], grad=False, msg="lu_factor")
    inv, info = nt.linalg.inv_ex(nt.from_numpy(a).cuda())
    assert info.is_cuda and info.dtype is nt.int32 and info.cpu().tolist() == [0, 0]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_cholesky_family(dt):
    r = _arr((2, 3, 3), 1, dt=dt)
    spd = (r @ np.swapaxes(r, 1, 2) + 3 * np.eye(3)).astype(dt)
    b = _arr((2, 3, 2), 2, dt=dt)
    _compare(lambda x: nt.linalg.cholesky((x + x.mT) * 0.5), [spd], msg="cholesky")
    _compare(lambda x: nt.linalg.cholesky(x, upper=True), [spd], grad=False, msg="cholesky upper")
    low = np.linalg.cholesky(spd.astype(np.float64)).astype(dt)
    _compare(lambda x, y: nt.cholesky_solve(y, x), [low, b], msg="cholesky_solve")
    _compare(nt.cholesky_inverse, [low], msg="cholesky_inverse")


def test_errors():
    s = nt.tensor([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]]).cuda()
    msg = ("linalg.inv: The diagonal element 3 is zero, the inversion could not be completed because the input "
           "matrix is singular.")
    with pytest.raises(nt.linalg.LinAlgError, match=re.escape(msg)):
        nt.linalg.inv(s)
    with pytest.raises(nt.linalg.LinAlgError, match=re.escape("(Batch element 1): The factorization could not be "
                                                              "completed because the input is not positive-definite")):
        nt.linalg.cholesky(nt.stack([nt.eye(2), -nt.eye(2)]).cuda())
    assert nt.linalg.det(s).cpu().item() == 0.0
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        nt.linalg.solve(nt.eye(2).cuda(), nt.ones(2))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        LU, piv = nt.linalg.lu_factor(nt.eye(2).cuda())
        nt.linalg.lu_solve(LU, piv.cpu(), nt.ones(2, 1).cuda())


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)], ids=str)
def test_qr(shape):
    a = _arr(shape, 11)
    for mode in ("reduced", "complete", "r"):
        grad = mode == "reduced" or (mode == "complete" and shape[-2] <= shape[-1])
        _compare(lambda x, mode=mode: tuple(nt.linalg.qr(x, mode)) if mode != "r" else nt.linalg.qr(x, mode)[1], [a],
                 grad=grad, msg=f"qr {mode}")
    q, r = nt.linalg.qr(nt.from_numpy(a).cuda(), "r")
    assert q.is_cuda and q.numel() == 0


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_eigh(dt):
    a = _arr((2, 4, 4), 12, dt=dt)
    for uplo in ("L", "U"):
        _compare(lambda x, uplo=uplo: tuple(nt.linalg.eigh(x, uplo)), [a], msg=f"eigh {uplo}")
        _compare(lambda x, uplo=uplo: nt.linalg.eigvalsh(x, uplo), [a], msg=f"eigvalsh {uplo}")


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3), (1, 4)], ids=str)
def test_svd(shape):
    a = _arr(shape, 13)
    _compare(lambda x: tuple(nt.linalg.svd(x, full_matrices=False)), [a], msg="svd reduced")
    _compare(lambda x: nt.linalg.svdvals(x), [a], msg="svdvals")
    u, s, vh = nt.linalg.svd(nt.from_numpy(a).cuda(), full_matrices=True)
    m, n = shape[-2:]
    assert tuple(u.shape[-2:]) == (m, m) and tuple(vh.shape[-2:]) == (n, n)
    k = min(m, n)
    rebuilt = (u[..., :, :k] * s.unsqueeze(-2)) @ vh[..., :k, :]
    np.testing.assert_allclose(rebuilt.cpu().numpy(), a, atol=1e-10)
    for q in (u, vh.mT):
        eye = q.mT @ q
        np.testing.assert_allclose(eye.cpu().numpy(), np.broadcast_to(np.eye(q.shape[-1]), eye.shape), atol=1e-10)


def test_svd_of_a_rank_deficient_matrix_completes_u():
    a = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])  # rank 1, 3x2
    u, s, vh = nt.linalg.svd(nt.from_numpy(a).cuda())
    uc, sc, vhc = nt.linalg.svd(nt.from_numpy(a))
    np.testing.assert_allclose(s.cpu().numpy(), sc.numpy(), atol=1e-12)
    np.testing.assert_allclose((u.mT @ u).cpu().numpy(), np.eye(3), atol=1e-10)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_svd_scales_huge_and_tiny_matrices_as_the_cpu(scale):
    """Unscaled, the Jacobi sweeps' squared norms overflow (1e200: NaN) or underflow (1e-200: wrong values); the
    kernel scales each matrix by a power of two first, as the CPU path does."""
    a = _arr((2, 4, 3), 16) * scale
    a[1] *= 1e-3  # each matrix of the batch has its own scale
    u, s, vh = nt.linalg.svd(nt.from_numpy(a).cuda(), full_matrices=False)
    sc = nt.linalg.svd(nt.from_numpy(a), full_matrices=False)[1]
    want = np.linalg.svd(a, compute_uv=False)
    np.testing.assert_allclose(s.cpu().numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(s.cpu().numpy(), sc.numpy(), rtol=1e-12)
    rebuilt = (u * s.unsqueeze(-2)) @ vh
    np.testing.assert_allclose(rebuilt.cpu().numpy() / scale, a / scale, atol=1e-12)
    np.testing.assert_allclose(nt.linalg.svdvals(nt.from_numpy(a).cuda()).cpu().numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_svd_of_a_non_finite_matrix_raises_as_the_cpu(bad):
    a = np.ones((3, 4, 3))
    a[1, 2, 0] = bad
    message = ("linalg.svd: (Batch element 1): The algorithm failed to converge because the input matrix contained "
               "non-finite values.")
    for fn in (nt.linalg.svd, nt.linalg.svdvals, nt.linalg.pinv, nt.svd):
        with pytest.raises(nt.linalg.LinAlgError, match=re.escape(message)):
            fn(nt.from_numpy(a).cuda())
    with pytest.raises(nt.linalg.LinAlgError, match=re.escape(message.replace("(Batch element 1): ", ""))):
        nt.linalg.svdvals(nt.from_numpy(a[1]).cuda())


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)], ids=str)
def test_lu_and_lu_solve(shape):
    a = _arr(shape, 14, diag=0.5 if shape[-1] == shape[-2] else 0.0)
    _compare(lambda x: tuple(nt.linalg.lu(x)), [a], msg="lu")
    P, L, U = nt.linalg.lu(nt.from_numpy(a).cuda())
    np.testing.assert_allclose((P @ L @ U).cpu().numpy(), a, atol=1e-12)
    if shape[-1] == shape[-2]:
        b = _arr(shape[:-1] + (2,), 15)
        for left, adjoint in ((True, False), (True, True), (False, False)):
            bb = b if left else np.swapaxes(b, -1, -2).copy()

            def solve(x, y, left=left, adjoint=adjoint):
                LU, piv = nt.linalg.lu_factor(x)
                return nt.linalg.lu_solve(LU, piv, y, left=left, adjoint=adjoint)

            _compare(solve, [a, bb], msg=f"lu_solve left={left} adjoint={adjoint}")


def test_what_builds_on_the_factorizations():
    """pinv, matrix_rank, cond, the 2- and nuclear norms, lstsq (driver 'gels', the only one torch has on CUDA)."""
    a = _arr((3, 3), 16)
    for name, fn in (("pinv", nt.linalg.pinv), ("cond", nt.linalg.cond),
                     ("norm2", lambda x: nt.linalg.matrix_norm(x, 2)),
                     ("nuc", lambda x: nt.linalg.matrix_norm(x, "nuc"))):
        _compare(fn, [a], msg=name)
    _compare(nt.linalg.matrix_rank, [a], grad=False, msg="matrix_rank")
    b = _arr((3, 2), 17)
    _compare(lambda x, y: nt.linalg.lstsq(x, y).solution, [a, b], msg="lstsq")
    with pytest.raises(RuntimeError, match="other than `gels` is not supported on CUDA"):
        nt.linalg.lstsq(nt.from_numpy(a).cuda(), nt.from_numpy(b).cuda(), driver="gelsd")


def test_out_dtype_on_cuda_float16_to_float32():
    """mm-family out_dtype: CUDA's float16 -> float32 overload (the CPU raises torch's missing-kernel error)."""
    a = nt.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=nt.float16, device="cuda")
    r = nt.mm(a, a, out_dtype=nt.float32)
    assert r.dtype is nt.float32
    np.testing.assert_array_equal(r.cpu().numpy(), [[7, 10], [15, 22]])
    np.testing.assert_array_equal(nt.addmm(a, a, a, beta=2, out_dtype=nt.float32).cpu().numpy(), [[9, 14], [21, 30]])
    assert nt.mm(a, a, out_dtype=nt.float16).dtype is nt.float16
    with pytest.raises(RuntimeError, match="out_dtype must be the same as input dtype or fp32 for fp16/bf16 inputs"):
        nt.mm(a, a, out_dtype=nt.float64)
    out = nt.empty(0, device="cuda")
    assert nt.bmm(a[None], a[None], out_dtype=nt.float32, out=out) is out and tuple(out.shape) == (1, 2, 2)
