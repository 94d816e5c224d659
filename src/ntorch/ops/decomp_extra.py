"""geqrf / orgqr / ormqr (LAPACK's compact Householder QR and the products with its Q), linalg.ldl_factor(_ex) /
ldl_solve (Bunch-Kaufman LDL^T, sytrf / sytrs) and lobpcg (a few extreme eigenpairs of a symmetric matrix).

geqrf and the LDL^T pair run kernels of ntorch.kernels.cpu.linalg on float64 / complex128 copies (float32 /
complex64 results rounded once), like the other factorizations; on CUDA the same per-matrix code runs one thread per
matrix (ntorch.kernels.cuda.linalg_extra) on device copies. As in torch they have no derivative. ormqr is a
composite of ntorch ops (one reflector at a time), so it is differentiable and runs on either device, as torch's;
orgqr is linalg.householder_product."""

from __future__ import annotations

import numpy as np

from .. import _arrays, dtypes
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import linalg as K
from ..kernels.cpu import linalg_complex as KZ
from ..tensor import Tensor
from .decomp import LinAlgError, _host, _int_zeros, _legacy, _return_type, _same_device, _to_host, _work, _wrap

geqrf_result = _return_type("geqrf", ["a", "tau"])
ldl_factor_result = _return_type("linalg_ldl_factor", ["LD", "pivots"])
ldl_factor_ex_result = _return_type("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


def _cpu_float(A: Tensor, kernel: str, complex_ok: bool = False) -> None:
    """torch's dispatch error for a dtype its LAPACK (cuSOLVER) kernel lacks (complex too unless complex_ok)."""
    ok = (dtypes.float32, dtypes.float64) + ((dtypes.complex64, dtypes.complex128) if complex_ok else ())
    if A.dtype not in ok:
        raise NotImplementedError(f"\"{kernel}_{A.device.type}\" not implemented for '{_legacy(A)}'")


def _cuda_kernel(name: str):
    """The CUDA kernel of ntorch.kernels.cuda.linalg_extra, taking CudaArrays (passed on as device arrays)."""
    from ..kernels.cuda import linalg_extra as KX

    fn = getattr(KX, name)
    return lambda *args: fn(*[_arrays.kernel_arg(a) for a in args])


def _outs(results: tuple, out) -> tuple:
    if out is None:
        return results
    for o, r in zip(out, results):
        o.resize_(r.shape).copy_(r)
    return tuple(out)


# ---- geqrf, orgqr, ormqr ----

def geqrf(input: Tensor, *, out=None):
    """torch.geqrf: (a, tau), LAPACK's compact QR: R on and above a's diagonal, the Householder vectors
    (unit first entry implied) below it, tau their scales (H_i = I - tau_i v_i v_i^T, Q = H_1 ... H_k)."""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _cpu_float(input, "geqrf", complex_ok=True)
    a = _host(input, "geqrf")
    nb, m, n = a.shape
    if input.is_cuda:
        tau = _work((nb, min(m, n)), a, a.dtype)
        _cuda_kernel("geqrf")(a, tau, _work((nb, n), a, a.dtype))
    else:
        tau = np.zeros((nb, min(m, n)), a.dtype)
        if a.size:
            (KZ if a.dtype == np.complex128 else K).geqrf(a, tau)
    batch = tuple(input.shape[:-2])
    return geqrf_result(*_outs((_wrap(a, tuple(input.shape), input.dtype),
                                _wrap(tau, batch + (min(m, n),), input.dtype)), out))


def orgqr(input: Tensor, tau: Tensor, *, out=None) -> Tensor:
    """torch.orgqr: alias of linalg.householder_product (the first n columns of Q from geqrf's output)."""
    from ..linalg import householder_product

    return householder_product(input, tau, out=out)


def _ormqr_checks(input: Tensor, tau: Tensor, other: Tensor, left: bool) -> None:
    """torch's checks, in its order."""
    op = "torch.ormqr"
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{op}: other must have at least 2 dimensions.")
    cond = -2 if left else -1
    if other.shape[cond] != input.shape[-2]:
        raise RuntimeError(f"{op}: other.shape[{cond}] must be equal to input.shape[-2]")
    if tau.ndim == 0 or min(other.shape[cond], input.shape[-1]) != tau.shape[-1]:
        raise RuntimeError(f"{op}: tau.shape[-1] must be equal to min(other.shape[{cond}], input.shape[-1])")
    if input.ndim - tau.ndim != 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {input.ndim}")
    if input.ndim != other.ndim:
        raise RuntimeError(f"{op}: Expected other to have the same number of dimensions as input, but got other.ndim "
                           f"equal to {other.ndim} and input.ndim is equal to {input.ndim}")
    batch = tuple(input.shape[:-2])
    if tuple(tau.shape[:-1]) != batch:
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    if tuple(other.shape[:-2]) != batch:
        raise RuntimeError(f"{op}: Expected batch dimensions of other to be equal to input.shape[:-2], but got "
                           f"{list(other.shape[:-2])}")
    for name, t in (("tau", tau), ("other", other)):
        if t.dtype is not input.dtype:
            raise RuntimeError(f"{op}: Expected input and {name} to have the same dtype, but input has dtype"
                               f"{_legacy(input)} and {name} has dtype {_legacy(t)}")
    for name, t in (("tau", tau), ("other", other)):
        if t.device != input.device:
            raise RuntimeError(f"{op}: Expected {name} and input tensors to be on the same device, but got {name} on "
                               f"{t.device} and input on {input.device}")
    if input.dtype not in (dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128):
        raise NotImplementedError(f"\"ormqr_{input.device.type}\" not implemented for '{_legacy(input)}'")


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True, transpose: bool = False, *,
          out=None) -> Tensor:
    """torch.ormqr: Q other (left) or other Q, with Q^H when transpose, Q = H_1 ... H_k given by geqrf's
    (input, tau). Each reflector is applied as C - tau v (v^H C) (conj(tau) for H^H): differentiable in all three
    tensors."""
    from .creation import arange

    _ormqr_checks(input, tau, other, left)
    m = input.shape[-2]
    rows = arange(m, device=input.device)
    c = other
    order = range(tau.shape[-1])
    if left != transpose:  # Q C and C Q^T apply H_k first
        order = reversed(order)
    for i in order:
        v = input[..., :, i].masked_fill(rows < i, 0.0).masked_fill(rows == i, 1.0)  # (*, m)
        t = tau[..., i, None, None]
        vh = v.unsqueeze(-2)
        if v.dtype.is_complex:  # H = I - tau v v^H, H^H = I - conj(tau) v v^H
            vh = vh.conj()
            t = t.conj() if transpose else t
        if left:  # H C = C - tau v (v^H C)
            c = c - (v.unsqueeze(-1) * t).matmul(vh.matmul(c))
        else:  # C H = C - tau (C v) v^H
            c = c - c.matmul(v.unsqueeze(-1)).matmul(vh * t)
    if c is other:
        c = other.clone()
    return c if out is None else out.resize_(c.shape).copy_(c)


# ---- LDL^T ----

def _check_square(A: Tensor, op: str) -> None:
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {_legacy(A)}")


def _ldl_kernel(a: np.ndarray, name: str, hermitian: bool):
    """The real kernel, or the complex one (zsytrf / zsytrs, or zhetrf / zhetrs when hermitian)."""
    if a.dtype == np.complex128:
        fn = getattr(KZ, name)
        return lambda *args: fn(*args, hermitian)
    return getattr(K, name)


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False, out=None):
    """torch.linalg.ldl_factor_ex: (LD, pivots, info) of LAPACK's sytrf (Bunch-Kaufman, lower triangle read;
    strict upper triangle of LD zero). For real input hermitian=True is the same factorization; complex input:
    zsytrf (A = L D L^T) or, when hermitian, zhetrf (A = L D L^H)."""
    op = "torch.linalg.ldl_factor_ex"
    _check_square(A, op)
    _cpu_float(A, "ldl_factor_kernel", complex_ok=True)
    if A.is_cuda and A.is_complex() and hermitian:  # torch's cuSOLVER path (sytrf) has no zhetrf
        raise RuntimeError("torch.linalg.ldl_factor: complex tensors with hermitian=True flag are not supported with "
                           "cuSOLVER backend. Currently preferred backend is at::LinalgBackend::Default, please set "
                           "'default' or 'magma' backend with torch.backends.cuda.preferred_linalg_library")
    a = _host(A, op)
    nb, n = a.shape[0], a.shape[1]
    piv, info = _int_zeros((nb, n), a), _int_zeros((nb,), a)
    if A.is_cuda:
        _cuda_kernel("ldl_factor")(a, piv, info, False, _work((nb, n), a, a.dtype), _work((nb, n), a, a.dtype))
    elif a.size:
        _ldl_kernel(a, "ldl_factor", bool(hermitian))(a, piv, info)
    batch = tuple(A.shape[:-2])
    if check_errors:
        _ldl_singular(A, _to_host(info), op)
    return ldl_factor_ex_result(*_outs((_wrap(a, tuple(A.shape), A.dtype), Tensor._wrap(piv.reshape(batch + (n,))),
                                        Tensor._wrap(info.reshape(batch))), out))


def _ldl_singular(A: Tensor, info: np.ndarray, op: str) -> None:
    """torch reports a zero pivot of D through an internal assert ('Unknown error code'); ntorch raises
    LinAlgError (a RuntimeError) saying which pivot is zero."""
    info = np.asarray(info).reshape(-1)
    bad = np.flatnonzero(info)
    if bad.size:
        b = int(bad[0])
        prefix = f"(Batch element {b}): " if A.ndim > 2 else ""
        k = int(info[b])
        raise LinAlgError(f"{op}: {prefix}The factorization could not be completed because the input is singular: "
                          f"D[{k - 1}, {k - 1}] is exactly zero.")


def ldl_factor(A: Tensor, *, hermitian: bool = False, out=None):
    """torch.linalg.ldl_factor: ldl_factor_ex that raises on a singular input."""
    LD, pivots, info = ldl_factor_ex(A, hermitian=hermitian)
    _ldl_singular(A, info.cpu().numpy(), "torch.linalg.ldl_factor")
    return ldl_factor_result(*_outs((LD, pivots), out))


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False, out=None) -> Tensor:
    """torch.linalg.ldl_solve: A^-1 B from ldl_factor's (LD, pivots) (LAPACK sytrs); batch dims broadcast."""
    from ._util import broadcast_shapes

    op = "torch.linalg.ldl_solve"
    _check_square(LD, op)
    if B.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(B.ndim, 1)}, "
                         f"{max(B.ndim, 1) - 1}], but got -2)")
    if B.dtype is not LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_legacy(B)} and A of type "
                           f"{_legacy(LD)} instead.")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {op}: each A matrix is {n} by {n} but each b matrix is "
                           f"{B.shape[-2]} by {B.shape[-1]}")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{op}: Expected LD.shape[:-1] and pivots.shape to be the same, but got pivots with shape "
                           f"{list(pivots.shape)} instead")
    if pivots.dtype.is_floating_point or pivots.dtype is dtypes.bool:
        raise RuntimeError(f"{op}: Expected pivots to be integers. Got {_legacy(pivots)}")
    _cpu_float(LD, "ldl_solve", complex_ok=True)
    if LD.is_cuda and LD.is_complex() and hermitian:  # torch's cuSOLVER sytrs has no Hermitian form
        raise RuntimeError("torch.linalg.ldl_solve: complex tensors with hermitian=True flag are not supported on "
                           "CUDA.")
    _same_device(LD, B)
    _same_device(LD, pivots)
    batch = tuple(broadcast_shapes(tuple(LD.shape[:-2]), tuple(B.shape[:-2])))
    ld = _host(LD.expand(*batch, n, n), op)
    x = _host(B.expand(*batch, n, B.shape[-1]), op)
    piv_t = pivots.expand(*batch, n).to(dtypes.int64).reshape(ld.shape[0], n)
    if piv_t.numel() and bool(((piv_t == 0) | (piv_t.abs() > n)).any()):  # (one flag read back on CUDA)
        # LAPACK would index out of bounds: validate before the kernel
        raise RuntimeError(f"{op}: pivots must be in [-{n}, -1] or [1, {n}], as linalg.ldl_factor returns them")
    if LD.is_cuda:
        _cuda_kernel("ldl_solve")(ld, piv_t.contiguous()._data, x, False)
    elif x.size:
        piv = np.ascontiguousarray(piv_t.numpy(), dtype=np.int64)
        _ldl_kernel(ld, "ldl_solve", bool(hermitian))(ld, piv, x)
    res = _wrap(x, batch + (n, B.shape[-1]), LD.dtype)
    return res if out is None else out.resize_(res.shape).copy_(res)


# ---- lobpcg ----

def _b_orthonormal(S: Tensor, BS: Tensor, tol: float):
    """SVQB: S' = S D V L^-1/2 with D V L V^T D the eigendecomposition of S^T B S scaled to a unit diagonal;
    directions whose eigenvalue is below tol * the largest are dropped. Returns (S', BS')."""
    from ..linalg import eigh

    G = S.mT.matmul(BS)
    d = G.diagonal().clamp_min(1e-300).rsqrt()
    evals, V = eigh(G * d.unsqueeze(0) * d.unsqueeze(1))
    keep = evals > tol * evals.abs().max()
    V, evals = V[:, keep], evals[keep]
    T = (d.unsqueeze(1) * V) * evals.rsqrt().unsqueeze(0)
    return S.matmul(T), BS.matmul(T)


def _lobpcg1(A: Tensor, B: Tensor | None, X: Tensor, iK: Tensor | None, k: int, niter: int, tol: float,
             largest: bool):
    """LOBPCG (Knyazev) on float64: the Rayleigh-Ritz step over [X, W, P] (W the preconditioned residuals, P
    the previous update), the basis B-orthonormalized by SVQB, until the first k residuals
    |r_j| / (|x_j| (|A| + |E_j| |B|)) are below tol (torch's criterion) or niter steps."""
    from ..linalg import eigh, matrix_norm, vector_norm
    from .joins import cat

    nx = X.shape[-1]

    def bmul(Y: Tensor) -> Tensor:
        return Y if B is None else B.matmul(Y)

    def ritz(S: Tensor, BS: Tensor):
        evals, C = eigh(S.mT.matmul(A.matmul(S)))
        idx = list(range(evals.shape[0]))
        idx = idx[::-1] if largest else idx
        return evals[idx[:nx]], C[:, idx[:nx]]

    a_norm = matrix_norm(A, 2).item()
    b_norm = 1.0 if B is None else matrix_norm(B, 2).item()
    X, BX = _b_orthonormal(X, bmul(X), 1e-14)
    E, C = ritz(X, BX)
    X, BX = X.matmul(C), BX.matmul(C)
    P = BP = None
    for _ in range(niter):
        R = A.matmul(X) - BX * E.unsqueeze(0)
        rerr = vector_norm(R, 2, 0) / (vector_norm(X, 2, 0) * (a_norm + E.abs() * b_norm))
        if bool((rerr[:k] < tol).all()):
            break
        W = R if iK is None else iK.matmul(R)
        parts, bparts = [X, W], [BX, bmul(W)]
        if P is not None:
            parts.append(P)
            bparts.append(BP)
        S, BS = _b_orthonormal(cat(parts, 1), cat(bparts, 1), 1e-14)
        E, C = ritz(S, BS)
        Xn, BXn = S.matmul(C), BS.matmul(C)
        # P: the new X's component outside the old X (B-orthogonal to it), as LOBPCG's search direction
        coef = X.mT.matmul(BXn)
        P, BP = Xn - X.matmul(coef), BXn - BX.matmul(coef)
        X, BX = Xn, BXn
    return E[:k], X[:, :k]


def lobpcg(A: Tensor, k: int | None = None, B: Tensor | None = None, X: Tensor | None = None, n: int | None = None,
           iK: Tensor | None = None, niter: int | None = None, tol: float | None = None, largest: bool | None = None,
           method: str | None = None, tracker=None, ortho_iparams=None, ortho_fparams=None, ortho_bparams=None):
    """torch.lobpcg: the k largest (or smallest) eigenpairs of the symmetric A (generalized: A x = l B x),
    E (*, k) and X (*, m, k), from a random (or the given) start X of n columns. One algorithm serves both
    methods ('ortho' and 'basic' differ in torch only in how the basis is kept orthonormal); the result is the
    converged eigenpairs, not torch's iterates. Differentiable in A as torch's (through (A + A^T) / 2; B: no)."""
    from ..random import FUNCTIONS as R

    if A.shape[-2] != A.shape[-1]:
        raise AssertionError(f"A must be square, got shape {A.shape}")
    if B is not None and tuple(A.shape) != tuple(B.shape):
        raise AssertionError(f"A and B must have same shape, got {A.shape} vs {B.shape}")
    dtype = A.dtype if A.dtype in (dtypes.float32, dtypes.float64) else dtypes.float32
    if tol is None:
        tol = {dtypes.float32: 1.2e-07, dtypes.float64: 2.23e-16}[dtype] ** 0.5
    m = A.shape[-1]
    k = (1 if X is None else X.shape[-1]) if k is None else k
    n = (k if n is None else n) if X is None else X.shape[-1]
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m}) is smaller than 3 x "
                         f"the number of requested eigenpairs (={n})")
    niter = 1000 if niter is None else niter
    largest = True if largest is None else largest
    f64 = dtypes.float64
    A_in, B_in = A, B
    batch = tuple(A.shape[:-2])
    nb = int(np.prod(batch, dtype=np.int64))
    grad = needs_graph(A, B)
    if grad:  # as torch: a differentiable call runs on the symmetric parts (so the gradient is symmetric)
        A = (A.detach() + A.detach().mT) * 0.5
        B = None if B is None else (B.detach() + B.detach().mT) * 0.5
    bA = A.detach().reshape(nb, m, m)
    bB = None if B is None else B.detach().reshape(nb, m, m)
    bX = None if X is None else X.detach().reshape(nb, *X.shape[-2:])
    Es, Xs = [], []
    for i in range(nb):
        x0 = R["randn"](m, n, dtype=dtype, device=A.device) if bX is None else bX[i]
        if tuple(x0.shape) != (m, n):
            raise AssertionError(f"X shape mismatch: got {x0.shape}, expected {(m, n)}")
        E, V = _lobpcg1(bA[i].to(f64), None if bB is None else bB[i].to(f64), x0.to(f64),
                        None if iK is None else iK.detach().to(f64), k, niter, tol, largest)
        Es.append(E.to(dtype))
        Xs.append(V.to(dtype))
    if batch:
        from .joins import FUNCTIONS as J

        kk = Es[0].shape[-1]
        E, V = J["stack"](Es).reshape(*batch, kk), J["stack"](Xs).reshape(*batch, m, kk)
    else:
        E, V = Es[0], Xs[0]
    if grad:  # torch: gradients through (A + A^T) / 2; none for B
        inputs = (A_in,) if B_in is None or not B_in.requires_grad else (A_in, B_in)
        record("LOBPCGAutogradFunctionBackward", _lobpcg_backward, inputs, (E, V), (A, E, V))
    return E, V


def _lobpcg_backward(c, gE, gU):
    """The exact gradient of k eigenpairs (E, U) of the symmetric A, symmetrized as torch's lobpcg:
    G = U diag(gE) U^T + U K U^T - Y U^T, K[j, i] = u_j^T gU_i / (E_i - E_j) (j != i) for the pairs inside
    U's span, and y_i = (A - E_i)^+ P gU_i (P = I - U U^T) for the rest of the spectrum, each solved with
    c U U^T added so that the system is regular on U's span; then gA = (G + G^T) / 2."""
    from ..linalg import solve
    from .creation import eye

    if len(c.next_functions) > 1:
        raise ValueError("lobpcg.backward does not support backward with B != I yet.")
    A, E, U = c.saved_tensors
    m, k = U.shape[-2], U.shape[-1]
    Ut = U.mT
    G = (U * gE.unsqueeze(-2)).matmul(Ut)
    UtG = Ut.matmul(gU)  # [j, i] = u_j^T gU_i
    ik = eye(k, dtype=U.dtype, device=U.device)
    denom = E.unsqueeze(-2) - E.unsqueeze(-1) + ik  # [j, i] = E_i - E_j (1 on the diagonal, masked below)
    G = G + U.matmul((UtG / denom) * (1 - ik)).matmul(Ut)
    PgU = gU - U.matmul(UtG)
    shift = 2.0 * float(E.abs().max().item()) + 1.0
    im = eye(m, dtype=U.dtype, device=U.device)
    M = (A.unsqueeze(-3) - E.unsqueeze(-1).unsqueeze(-1) * im + shift * U.matmul(Ut).unsqueeze(-3))  # (*, k, m, m)
    Y = solve(M, PgU.mT.unsqueeze(-1)).squeeze(-1).mT  # (*, m, k)
    Y = Y - U.matmul(Ut.matmul(Y))
    G = G - Y.matmul(Ut)
    return ((G + G.mT) * 0.5,)


FUNCTIONS = {"geqrf": geqrf, "orgqr": orgqr, "ormqr": ormqr, "lobpcg": lobpcg}
METHODS = {"geqrf": geqrf, "orgqr": orgqr, "ormqr": ormqr}
LINALG = {"ldl_factor": ldl_factor, "ldl_factor_ex": ldl_factor_ex, "ldl_solve": ldl_solve}
