"""Dense linear algebra on CUDA tensors against the same ops on CPU tensors (the CPU path is tested against NumPy
in tests/test_linalg_decomp.py and tests/test_products.py): the product composites, the LU / Cholesky /
triangular-solve kernels (one thread per matrix) and what is built on them, with gradients; QR, eigh and SVD
have no CUDA kernel and say so.

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
    for fn in (nt.linalg.qr, nt.linalg.eigh, nt.linalg.svd, nt.linalg.lu):
        with pytest.raises(NotImplementedError, match="CUDA"):
            fn(nt.eye(2).cuda())
