"""geqrf (and orgqr / householder_product / ormqr built on it), linalg.ldl_factor(_ex) and ldl_solve on CUDA
tensors (kernels/cuda/linalg_extra.py: the CPU's per-matrix geqr2 / sytf2 / sytrs code, one thread per matrix)
against the same ops on CPU tensors (tests/test_linalg_extra2.py tests those against LAPACK and torch) and against
NumPy invariants: Q R = A, A X = B. float32 / float64 / complex64 / complex128, batches, 1x1, empty batches,
non-contiguous input, singular input, torch's CUDA refusals. Shapes stay tiny (the simulator runs every GPU thread
as a Python thread).
"""

from __future__ import annotations

import numpy as np
import pytest
from cuda_util import cast_pair as _pair
from cuda_util import random_matrix as _arr

import ntorch as nt
from ntorch.ops.decomp import LinAlgError

DTYPES = [nt.float32, nt.float64, nt.complex64, nt.complex128]
TOL = {nt.float32: 1e-4, nt.complex64: 1e-4, nt.float64: 1e-10, nt.complex128: 1e-10}


def _close(got, want, msg=""):
    assert got.is_cuda, msg
    assert got.dtype is want.dtype, (msg, got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape), (msg, tuple(got.shape), tuple(want.shape))
    tol = TOL.get(want.dtype, 0)
    np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=tol, atol=tol, err_msg=msg)


# ---- geqrf, orgqr, ormqr ----

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(2, 4, 3), (3, 4), (1, 1)])
def test_geqrf_matches_the_cpu_and_rebuilds(dt, shape):
    c, d = _pair(_arr(shape, dt, seed=len(shape)), dt)
    (ac, tc), (ad, td) = nt.geqrf(c), nt.geqrf(d)
    _close(ad, ac, "a")
    _close(td, tc, "tau")
    m, n = shape[-2:]
    k = min(m, n)
    Q = nt.linalg.householder_product(ad[..., :k], td)  # orgqr on the device: Q's first min(m, n) columns
    _close(Q, nt.linalg.householder_product(ac[..., :k], tc), "orgqr")
    R = np.triu(ad.cpu().numpy())[..., :k, :]
    np.testing.assert_allclose(Q.cpu().numpy() @ R, c.numpy(), rtol=10 * TOL[dt], atol=10 * TOL[dt])
    other = nt.from_numpy(_arr(shape[:-2] + (m, 2), dt, seed=9)).to(dt)
    for left, transpose in [(True, False), (True, True)]:
        _close(nt.ormqr(ad, td, other.cuda(), left, transpose), nt.ormqr(ac, tc, other, left, transpose),
               f"ormqr {left} {transpose}")


def test_geqrf_empty_non_contiguous_out_and_errors():
    for shape in [(0, 3, 3), (2, 0, 3), (3, 0)]:
        a, tau = nt.geqrf(nt.zeros(shape, device="cuda"))
        assert a.is_cuda and tuple(a.shape) == shape and tuple(tau.shape) == shape[:-2] + (min(shape[-2:]),)
    c, d = _pair(_arr((2, 3, 3), nt.float64, seed=4), nt.float64)
    assert not d.mT.is_contiguous()
    (ac, tc), (ad, td) = nt.geqrf(c.mT), nt.geqrf(d.mT)
    _close(ad, ac)
    _close(td, tc)
    oa, ot = nt.empty(0, device="cuda", dtype=nt.float64), nt.empty(0, device="cuda", dtype=nt.float64)
    res = nt.geqrf(d, out=(oa, ot))
    assert res[0] is oa and res[1] is ot
    _close(oa, nt.geqrf(c)[0])
    with pytest.raises(NotImplementedError, match="^\"geqrf_cuda\" not implemented for 'Long'$"):
        nt.geqrf(nt.ones(3, 3, dtype=nt.int64, device="cuda"))


# ---- LDL^T ----

def _sym(n, dt, batch=(), weak_diag=False, seed=0):
    """Symmetric (complex symmetric: A = A^T) matrices; weak_diag forces 2x2 pivots and interchanges."""
    a = _arr(batch + (n, n), dt, seed)
    a = a + np.swapaxes(a, -1, -2)
    if weak_diag:
        i = np.arange(n)
        a[..., i, i] *= 0.01
    return a


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("weak_diag", [False, True])
def test_ldl_factor_and_solve_match_the_cpu_and_solve(dt, weak_diag):
    a = _sym(4, dt, (2,), weak_diag, seed=3 + weak_diag)
    c, d = _pair(a, dt)
    LDc, pc, ic = nt.linalg.ldl_factor_ex(c)
    LDd, pd, idd = nt.linalg.ldl_factor_ex(d)
    _close(LDd, LDc, "LD")
    assert pd.is_cuda and pd.dtype is nt.int32 and idd.is_cuda and idd.dtype is nt.int32
    np.testing.assert_array_equal(pd.cpu().numpy(), pc.numpy())
    np.testing.assert_array_equal(idd.cpu().numpy(), ic.numpy())
    if weak_diag:
        assert (pd.cpu().numpy() < 0).any()  # the 2x2 pivot path ran
    b = _arr((2, 4, 3), dt, seed=8)
    B = nt.from_numpy(b).to(dt)
    Xd = nt.linalg.ldl_solve(LDd, pd, B.cuda())
    _close(Xd, nt.linalg.ldl_solve(LDc, pc, B), "ldl_solve")
    np.testing.assert_allclose(c.numpy() @ Xd.cpu().numpy(), B.numpy(), rtol=100 * TOL[dt], atol=100 * TOL[dt])


def test_ldl_real_hermitian_1x1_broadcast_non_contiguous_and_empty():
    a = _sym(3, nt.float64, (2,), True, seed=6)
    c, d = _pair(a, nt.float64)
    for herm in (False, True):  # a real input's hermitian=True is the same factorization
        _close(nt.linalg.ldl_factor(d, hermitian=herm).LD, nt.linalg.ldl_factor(c, hermitian=herm).LD)
    LD, piv = nt.linalg.ldl_factor(d[0])
    B = nt.from_numpy(_arr((3, 3, 2), nt.float64, seed=2))
    X = nt.linalg.ldl_solve(LD, piv.long(), B.cuda())  # B's batch broadcasts against one factorization
    _close(X, nt.linalg.ldl_solve(*nt.linalg.ldl_factor(c[0]), B))
    np.testing.assert_allclose(a[0] @ X.cpu().numpy(), B.numpy(), atol=1e-9)
    nc = d.mT[:, ::2, ::2]  # a transposed, stepped view
    _close(nt.linalg.ldl_factor(nc).LD, nt.linalg.ldl_factor(c.mT[:, ::2, ::2]).LD, "non-contiguous")
    _close(nt.linalg.ldl_factor(d[:, :1, :1]).LD, nt.linalg.ldl_factor(c[:, :1, :1]).LD, "1x1")
    LD, piv = nt.linalg.ldl_factor(nt.zeros(2, 0, 0, device="cuda"))
    assert LD.is_cuda and tuple(LD.shape) == (2, 0, 0) and tuple(piv.shape) == (2, 0)
    LD, piv, info = nt.linalg.ldl_factor_ex(nt.zeros(0, 3, 3, device="cuda"))
    assert tuple(LD.shape) == (0, 3, 3) and tuple(info.shape) == (0,)
    X = nt.linalg.ldl_solve(LD, piv, nt.zeros(0, 3, 2, device="cuda"))
    assert X.is_cuda and tuple(X.shape) == (0, 3, 2)


def test_ldl_singular_input_reports_info_as_the_cpu():
    a = np.stack([np.array([[1.0, 2.0], [2.0, 4.0]]), np.eye(2)])
    c, d = _pair(a, nt.float64)
    LDd, pd, idd = nt.linalg.ldl_factor_ex(d)
    np.testing.assert_array_equal(idd.cpu().numpy(), [2, 0])  # torch's values (tests/test_linalg_extra2.py)
    np.testing.assert_array_equal(pd.cpu().numpy(), nt.linalg.ldl_factor_ex(c)[1].numpy())
    _close(LDd, nt.linalg.ldl_factor_ex(c)[0])
    with pytest.raises(LinAlgError, match=r"^torch\.linalg\.ldl_factor: \(Batch element 0\): The factorization could "
                                          r"not be completed because the input is singular: D\[1, 1\] is exactly zero"):
        nt.linalg.ldl_factor(d)
    with pytest.raises(LinAlgError, match=r"^torch\.linalg\.ldl_factor_ex: \(Batch element 0\)"):
        nt.linalg.ldl_factor_ex(d, check_errors=True)


def test_ldl_cuda_refusals_and_validation():
    z = nt.from_numpy(_sym(2, nt.complex128)).cuda()
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_factor: complex tensors with hermitian=True flag are "
                                           r"not supported with cuSOLVER backend\."):
        nt.linalg.ldl_factor(z, hermitian=True)
    LD, piv = nt.linalg.ldl_factor(z)
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_solve: complex tensors with hermitian=True flag are "
                                           r"not supported on CUDA\.$"):
        nt.linalg.ldl_solve(LD, piv, z, hermitian=True)
    d = nt.from_numpy(_sym(3, nt.float64)).cuda()
    LD, piv = nt.linalg.ldl_factor(d)
    B = nt.ones(3, 1, dtype=nt.float64, device="cuda")
    for bad in ([0, 1, 1], [1, 4, 1], [-4, -4, 1]):
        with pytest.raises(RuntimeError, match=r"^torch\.linalg\.ldl_solve: pivots must be in \[-3, -1\] or \[1, 3\]"):
            nt.linalg.ldl_solve(LD, nt.tensor(bad, dtype=nt.int32, device="cuda"), B)
    for odd in ([1, 1, -3], [-1, 2, 3]):  # in range, but no sytrf pairing: in bounds all the same, as the CPU's
        p = nt.tensor(odd, dtype=nt.int32)
        want = nt.linalg.ldl_solve(LD.cpu(), p, B.cpu()).numpy()
        np.testing.assert_allclose(nt.linalg.ldl_solve(LD, p.cuda(), B).cpu().numpy(), want, rtol=1e-10, atol=1e-10)
    with pytest.raises(RuntimeError, match=r"^Expected all tensors to be on the same device"):
        nt.linalg.ldl_solve(LD, piv, B.cpu())
    with pytest.raises(NotImplementedError, match="^\"ldl_factor_kernel_cuda\" not implemented for 'Half'$"):
        nt.linalg.ldl_factor(nt.ones(2, 2, dtype=nt.float16, device="cuda"))


def test_cuda_paths_run_no_cpu_kernel(monkeypatch):
    """geqrf and the LDL^T pair on CUDA run the device kernels, not the CPU ones on a host copy."""
    from ntorch.ops import decomp_extra as DX

    a = _sym(3, nt.complex128, (2,), seed=5)
    c, d = _pair(a, nt.complex128)
    want_qr, want_ld = nt.geqrf(c), nt.linalg.ldl_factor(c)
    want_x = nt.linalg.ldl_solve(*want_ld, c)

    host = DX._host

    def host_copy(t, op):
        work = host(t, op)
        if isinstance(work, np.ndarray):
            raise AssertionError("a host copy was made for a CUDA tensor")
        return work

    monkeypatch.setattr(DX, "K", None)
    monkeypatch.setattr(DX, "KZ", None)
    monkeypatch.setattr(DX, "_host", host_copy)
    _close(nt.geqrf(d)[0], want_qr[0])
    LD, piv = nt.linalg.ldl_factor(d)
    _close(LD, want_ld[0])
    _close(nt.linalg.ldl_solve(LD, piv, d), want_x)
