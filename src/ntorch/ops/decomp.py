"""The factorizations behind torch.linalg (LU, Cholesky, triangular solves, QR, eigh, SVD) and what is built
on them, with their backward formulas written in ntorch ops (so double backward works).

Each primitive (_det, _slogdet, _inv, _solve, _tri, _chol, _qr, _eigh, _svd) runs a kernel of
ntorch.kernels.cpu.linalg on a float64 copy of its operands (batch dims folded; complex input: a complex128 copy
and ntorch.kernels.cpu.linalg_complex), rounds the results to the input dtype and records its node.
Broadcasting, vector right-hand sides and `left=False` are handled around the primitives with ntorch ops, whose
own nodes carry the gradient through. CUDA tensors run the one-thread-per-matrix kernels of
ntorch.kernels.cuda.linalg (the same algorithms, float64 on the device) and, for complex tensors,
ntorch.kernels.cuda.linalg_complex (the CPU's complex per-matrix functions compiled for the device, complex128).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import dtypes
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import linalg as K
from ..kernels.cpu import linalg_complex as KZ
from ..kernels.cpu.matmul import matmul_into
from ..tensor import Tensor
from ._util import broadcast_shapes, check_tensor, takes_out


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a factorization or solve met a singular or not positive-definite input."""


def _return_type(name: str, fields: list[str]):
    """A torch.return_types named tuple, printed as torch prints it."""
    base = namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"ntorch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


slogdet_result = _return_type("linalg_slogdet", ["sign", "logabsdet"])
inv_ex_result = _return_type("linalg_inv_ex", ["inverse", "info"])
solve_ex_result = _return_type("linalg_solve_ex", ["result", "info"])
lu_factor_result = _return_type("linalg_lu_factor", ["LU", "pivots"])
lu_factor_ex_result = _return_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
lu_result = _return_type("linalg_lu", ["P", "L", "U"])
cholesky_ex_result = _return_type("linalg_cholesky_ex", ["L", "info"])
triangular_solve_result = _return_type("triangular_solve", ["solution", "cloned_coefficient"])
qr_result = _return_type("linalg_qr", ["Q", "R"])
eigh_result = _return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
svd_result = _return_type("linalg_svd", ["U", "S", "Vh"])
torch_svd_result = _return_type("svd", ["U", "S", "V"])
torch_qr_result = _return_type("qr", ["Q", "R"])
slogdet_torch_result = _return_type("slogdet", ["sign", "logabsdet"])


# ---- checks and host copies ----

def _check_float(A: Tensor, op: str) -> None:
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {_legacy(A)}")
    if A.dtype not in (dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128):
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got {_legacy(A)}")


def _legacy(t: Tensor) -> str:
    from .linalg import _legacy as legacy

    return legacy(t)


def _check_matrix(A: Tensor, op: str, name: str = "A", square: bool = True) -> None:
    check_tensor(A, op, name)
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    _check_float(A, op)
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _host(t: Tensor, op: str):
    """A C-contiguous float64 (B, m, n) copy of t (the kernels work in place on it; complex128 for a complex t):
    a NumPy array, or a device array for a CUDA tensor (copied on the device)."""
    nb = int(np.prod(t.shape[:-2], dtype=np.int64))
    if t.is_cuda:
        wide = dtypes.complex128 if t.is_complex() else dtypes.float64
        work = t.detach().to(wide).reshape(nb, *t.shape[-2:])
        return work.clone().contiguous()._data
    a = t._data
    wide = np.complex128 if t.dtype.is_complex else np.float64
    return np.array(a.reshape((nb,) + a.shape[-2:]), dtype=wide, order="C", copy=True)


def _wrap(arr, shape: tuple, dt: dtypes.dtype) -> Tensor:
    if type(arr) is np.ndarray:
        return Tensor._wrap(arr.reshape(shape).astype(dt.np, order="C", copy=False))
    return Tensor._wrap(arr).reshape(shape).to(dt)


def _int_zeros(shape: tuple, like):
    """int32 zeros on like's device (pivots, info)."""
    if type(like) is np.ndarray:
        return np.zeros(shape, np.int32)
    from .creation import zeros

    return zeros(shape, dtype=dtypes.int32, device=f"cuda:{like.device}")._data


def _kernel(name: str, like):
    """The CPU kernel (the complex one for a complex128 work array), or the CUDA one taking device arrays (the
    complex one for a complex128 one)."""
    if type(like) is np.ndarray:
        return getattr(_mod(like), name)
    from ..kernels.cuda import linalg as KC
    from ..kernels.cuda import linalg_complex as KCZ

    fn = getattr(KCZ if like.dtype == np.complex128 else KC, name)
    return lambda *args: fn(*[a.device_array() if hasattr(a, "device_array") else a for a in args])


def _mod(a: np.ndarray):
    """The CPU kernel module for a host work array: linalg_complex for complex128, linalg otherwise."""
    return KZ if a.dtype == np.complex128 else K


def _work(shape: tuple, like, dtype=np.float64):
    """Uninitialised workspace or output on like's device (the CUDA kernels do not allocate)."""
    from .. import _arrays

    return _arrays.empty(shape, dtype, like)


def _to_host(info) -> np.ndarray:
    return info if type(info) is np.ndarray else info.copy_to_host()


def _band(x: Tensor, k: int, lower: bool) -> Tensor:
    """tril(x, k) (lower) or triu(x, k) as x times a 0/1 mask made on x's device from two aranges (the CUDA
    back end has no tril / triu / diagonal yet); differentiable."""
    from .creation import arange

    rows = arange(x.shape[-2], device=x.device).unsqueeze(-1)
    cols = arange(x.shape[-1], device=x.device)
    keep = (cols - rows <= k) if lower else (cols - rows >= k)
    return x * keep.to(x.dtype)


def _diag(x: Tensor) -> Tensor:
    """The main diagonal of each matrix of x (..., n, n) -> (..., n)."""
    return (x * _eye_like(x.shape[-1], x)).sum(-1)


def _same_device(A: Tensor, B: Tensor) -> None:
    if A.device != B.device:
        from .. import _arrays

        raise _arrays.mixed_devices(_arrays.device_name(A._data), _arrays.device_name(B._data))


def _batch_prefix(A: Tensor, b: int) -> str:
    return f"(Batch element {b}): " if A.ndim > 2 else ""


def _lu(A: Tensor, op: str):
    """(LU (B, m, n) float64, pivots (B, k) int32, info (B,) int32) of A's batch, on A's device."""
    a = _host(A, op)
    piv = _int_zeros((a.shape[0], min(a.shape[1], a.shape[2])), a)
    info = _int_zeros((a.shape[0],), a)
    _kernel("lu_factor", a)(a, piv, info)
    return a, piv, info


def _singular_check(A: Tensor, info, op: str, text) -> None:
    """torch's LinAlgError for the first matrix whose info is not 0 (reading a CUDA info is a sync, as in
    torch)."""
    info = _to_host(info).reshape(-1)
    bad = np.flatnonzero(info)
    if bad.size:
        b = int(bad[0])
        raise LinAlgError(f"{op}: {_batch_prefix(A, b)}{text(int(info[b]))}")


def _inv_text(k: int) -> str:
    return (f"The diagonal element {k} is zero, the inversion could not be completed because the input matrix is "
            "singular.")


# ---- det, slogdet ----

def _lu_diag_sign(A: Tensor, op: str):
    """U's diagonal (B, n) float64 (complex128 for a complex A) and the permutation's sign (B,) (+-1.0) of A's
    LU: NumPy arrays for a CPU tensor, tensors on A's device otherwise."""
    from .creation import arange

    a, piv, _ = _lu(A, op)
    n = a.shape[-1]
    if type(a) is np.ndarray:  # the CPU: NumPy arrays (cheaper than four tensor ops)
        odd = np.count_nonzero(piv != np.arange(1, n + 1, dtype=np.int32), axis=1) % 2
        return np.diagonal(a, axis1=1, axis2=2), 1.0 - 2.0 * odd
    d = _diag(Tensor._wrap(a))
    steps = arange(1, n + 1, dtype=dtypes.int32, device=A.device)
    swaps = (Tensor._wrap(piv) != steps).sum(-1)
    return d, 1.0 - 2.0 * (swaps % 2).to(dtypes.float64)


def det(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.linalg.det: the product of the LU pivots (0 for a singular matrix)."""
    _check_matrix(A, "linalg.det")
    shape = tuple(A.shape[:-2])
    if not A.is_cuda:  # one kernel pass over the factors; past the dtype's range is +-inf, silently as in torch
        a, piv, _ = _lu(A, "linalg.det")
        dets = np.empty(a.shape[0], a.dtype)
        _mod(a).lu_det(a, piv, dets)
        with np.errstate(over="ignore"):
            res = Tensor._wrap(dets.reshape(shape).astype(A.dtype.np))
    else:
        d, sign = _lu_diag_sign(A, "linalg.det")
        res = (d.prod(-1) * sign).reshape(shape).to(A.dtype)
    if needs_graph(A):
        record("LinalgDetBackward0", _det_backward, (A,), (res,), (A, res))
    return _finish(res, out, "linalg.det")


def _det_backward(c, g):
    """d det = tr(adj(A) dA): gA = g cof(A), the cofactor matrix; det A^-T when no det is 0, else from the
    SVD A = U S Vh: cof(A) = det(U) det(Vh) U diag(prod_(j != i) s_j) Vh (valid for singular A too)."""
    from .joins import cat
    from .linalg import matmul
    from .rearrange import flip
    from .scan import cumprod

    A, d = c.saved_tensors
    gd = g.unsqueeze(-1).unsqueeze(-1)
    if A.is_cuda or not bool((d == 0).any().item()):
        return (gd * d.conj().unsqueeze(-1).unsqueeze(-1) * inv(A).mH,)
    U, S, Vh = svd(A)
    ones = S[..., :1] * 0 + 1
    before = cumprod(cat([ones, S[..., :-1]], -1), -1)  # prod_(j < i) s_j
    after = flip(cumprod(flip(cat([S[..., 1:], ones], -1), (-1,)), -1), (-1,))  # prod_(j > i) s_j
    signs = (det(U.detach()) * det(Vh.detach())).conj().unsqueeze(-1).unsqueeze(-1)  # complex: conj(cof(A))
    return (gd * signs * matmul(U * (before * after).unsqueeze(-2), Vh),)


def slogdet(A: Tensor, *, out=None):
    """torch.linalg.slogdet: (sign, log|det|); sign is 0 and log|det| -inf for a singular matrix."""
    _no_out(out, "linalg.slogdet")
    _check_matrix(A, "linalg.slogdet")
    shape = tuple(A.shape[:-2])
    if not A.is_cuda:  # one kernel pass over the LU factors
        a, piv, _ = _lu(A, "linalg.slogdet")
        sign, logabs = np.empty(a.shape[0], a.dtype), np.empty(a.shape[0])
        _mod(a).lu_slogdet(a, piv, sign, logabs)
        with np.errstate(over="ignore"):
            s = Tensor._wrap(sign.reshape(shape).astype(A.dtype.np))
            la = Tensor._wrap(logabs.reshape(shape).astype(A.dtype.to_real().np))
    else:
        d, perm_sign = _lu_diag_sign(A, "linalg.slogdet")  # complex: sign = prod u / |u| (0 for a zero pivot)
        s = ((d.sgn() if d.is_complex() else d.sign()).prod(-1) * perm_sign).reshape(shape).to(A.dtype)
        la = d.abs().log().sum(-1).reshape(shape).to(A.dtype.to_real())
    if needs_graph(A):  # torch: sign is an output of the node too (requires grad) whose gradient is undefined
        node = record("LinalgSlogdetBackward0", _slogdet_backward, (A,), (s, la), (A, s))
        node._materialize_grads = False
    return slogdet_result(s, la)


def _slogdet_backward(c, g_sign, g):
    """gA = g A^-H. Complex A: log det = logabsdet + i arg, so a sign gradient adds i Im(g_sign conj(sign))
    to g (torch's formula)."""
    A, sign = c.saved_tensors
    if A.dtype.is_complex and g_sign is not None:
        from .complex import complex as mkcomplex

        turn = (g_sign * sign.conj()).imag
        g = mkcomplex(g if g is not None else turn * 0, turn)
    if g is None:  # only sign was differentiated: no gradient reaches A (torch's undefined grad)
        return (None,)
    return (g.unsqueeze(-1).unsqueeze(-1) * inv(A).mH,)


@takes_out("slogdet")
def torch_slogdet(input: Tensor):
    """torch.slogdet: linalg.slogdet under the name torch.return_types.slogdet."""
    s, la = slogdet(input)
    return slogdet_torch_result(s, la)


def logdet(input: Tensor) -> Tensor:
    """torch.logdet: log|det| + log(sign): nan for a negative determinant, -inf for a singular matrix."""
    from .elementwise import apply

    _check_matrix(input, "linalg.slogdet")
    s, la = slogdet(input)
    return apply("add", la, apply("log", s))


# ---- inverse and solve ----

def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """torch.linalg.inv_ex: (inverse, info); a singular matrix gives info > 0 (and non-finite values)."""
    _no_out(out, "linalg.inv_ex")
    _check_matrix(A, "linalg.inv")
    res, info = _inv(A)
    if check_errors:
        _singular_check(A, info, "linalg.inv", _inv_text)
    return inv_ex_result(res, Tensor._wrap(info.reshape(tuple(A.shape[:-2]))))


def inv(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.linalg.inv, with torch's LinAlgError for a singular matrix."""
    _check_matrix(A, "linalg.inv")
    res, info = _inv(A)
    _singular_check(A, info, "linalg.inv", _inv_text)
    return _finish(res, out, "linalg.inv")


def inverse(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return inv(input, out=out)


def _inv(A: Tensor):
    from .creation import eye

    a, piv, info = _lu(A, "linalg.inv")
    nb, n = a.shape[0], a.shape[-1]
    with np.errstate(all="ignore"):
        if type(a) is np.ndarray:  # A^-1 by getri's flop count, not a solve against the identity
            x = np.empty((nb, n, n), a.dtype)
            _mod(a).lu_inv(a, piv, x)
        else:
            x = _host(eye(n, dtype=A.dtype, device=A.device).expand(nb, n, n), "linalg.inv")
            _kernel("lu_solve", a)(a, piv, x)
    res = _wrap(x, tuple(A.shape), A.dtype)
    if needs_graph(A):
        record("LinalgInvExBackward0", _inv_backward, (A,), (res,), (res,))
    return res, info


def _inv_backward(c, g):
    """d A^-1 = -A^-1 dA A^-1: gA = -A^-T g A^-T."""
    (ai,) = c.saved_tensors
    from .linalg import matmul

    return (-matmul(ai.mH, matmul(g, ai.mH)),)


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """torch's rule: B is a vector when it is 1-D, or has A's shape without its last dim."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _solve_shapes(A: Tensor, B: Tensor, op: str, left: bool, what: str):
    """B as a matrix (vector case: a column / row) and the broadcast batch shape, with torch's errors."""
    _check_matrix(A, op)
    check_tensor(B, op, "B")
    if B.dtype is not A.dtype:
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of type {_legacy(A)} and "
                           f"B of type {_legacy(B)} instead")
    _same_device(A, B)
    vector = _is_vector_rhs(A, B)
    B2 = (B.unsqueeze(-1) if left else B.unsqueeze(-2)) if vector else B
    n = A.shape[-1]
    eq = "AX = B" if left else "XA = B"
    fits = B2.ndim >= 2 and (B2.shape[-2] == n if left else B2.shape[-1] == n)
    if not fits:
        rows, cols = (B2.shape[-2], B2.shape[-1]) if B2.ndim >= 2 else (B2.shape[0], 1)
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} ({A.shape[-2]}x{n} and "
                           f"{rows}x{cols})")
    batch = tuple(broadcast_shapes(tuple(A.shape[:-2]), tuple(B2.shape[:-2])))
    return B2, vector, batch


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None):
    """torch.linalg.solve_ex: (X, info) with AX = B (XA = B when left is False), batches broadcast."""
    _no_out(out, "linalg.solve_ex")
    x, info, batch = _solve_any(A, B, left, check_errors)
    return solve_ex_result(x, Tensor._wrap(info.reshape(batch)))


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Tensor | None = None) -> Tensor:
    """torch.linalg.solve: X with AX = B (XA = B when left is False); B a vector or a batch of matrices."""
    return _finish(_solve_any(A, B, left, True)[0], out, "linalg.solve")


def _solve_any(A: Tensor, B: Tensor, left: bool, check: bool):
    B2, vector, batch = _solve_shapes(A, B, "linalg.solve", left, "solve")
    Ab = A.expand(*batch, *A.shape[-2:])
    Bb = B2.expand(*batch, *B2.shape[-2:])
    if not left:  # XA = B  <=>  A^T X^T = B^T
        Ab, Bb = Ab.mT, Bb.mT
    x, info = _solve(Ab, Bb)
    if check:
        _singular_check(Ab, info, "torch.linalg.solve",
                        lambda k: "The solver failed because the input matrix is singular.")
    if not left:
        x = x.mT
    if vector:
        x = x.squeeze(-1) if left else x.squeeze(-2)
    return x, info, batch


def _solve(A: Tensor, B: Tensor):
    """A (..., n, n), B (..., n, k) with equal batch shapes."""
    a, piv, info = _lu(A, "linalg.solve")
    x = _host(B, "linalg.solve")
    with np.errstate(all="ignore"):
        _kernel("lu_solve", a)(a, piv, x)
    res = _wrap(x, tuple(B.shape), A.dtype)
    if needs_graph(A, B):
        record("LinalgSolveExBackward0", _solve_backward, (A, B), (res,), (A, res))
    return res, info


def _solve_backward(c, g):
    """X = A^-1 B: gB = A^-T g, gA = -gB X^T."""
    from .linalg import matmul

    A, x = c.saved_tensors
    gb = _solve(A.mH, g)[0]
    ga = -matmul(gb, x.mH) if c.needs_input_grad[0] else None
    return ga, gb if c.needs_input_grad[1] else None


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None):
    """torch.linalg.lu_factor_ex: (LU, pivots, info), LAPACK's packed form with 1-based int32 pivots."""
    _no_out(out, "linalg.lu_factor_ex")
    _check_matrix(A, "torch.linalg.lu_factor_ex", square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    a, piv, info = _lu(A, "linalg.lu_factor")
    if check_errors:
        _singular_check(A, info, "torch.linalg.lu_factor_ex", _lu_text)
    batch = tuple(A.shape[:-2])
    LU = _wrap(a, tuple(A.shape), A.dtype)
    if needs_graph(A):  # differentiable through linalg.lu: LU = (L - I) + U
        _, L, U = lu(A)
        if A.shape[-2] >= A.shape[-1]:
            LU = L - _eye_like(L.shape[-2], L)[..., :, :L.shape[-1]] + _pad_rows(U, A.shape[-2])
        else:
            LU = _pad_cols(L, A.shape[-1]) - _eye_like(U.shape[-1], U)[..., :U.shape[-2], :] + U
    return lu_factor_ex_result(LU, Tensor._wrap(piv.reshape(batch + piv.shape[1:])),
                               Tensor._wrap(info.reshape(batch)))


def _pad_rows(x: Tensor, m: int) -> Tensor:
    """x (..., k, n) with zero rows appended to m rows."""
    from .joins import cat

    if x.shape[-2] == m:
        return x
    return cat([x, x.new_zeros((*x.shape[:-2], m - x.shape[-2], x.shape[-1]))], -2)


def _pad_cols(x: Tensor, n: int) -> Tensor:
    return _pad_rows(x.mT, n).mT


def _lu_text(k: int) -> str:
    return (f"U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. If you still want to "
            "perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A: Tensor, *, pivot: bool = True, out=None):
    """torch.linalg.lu_factor: lu_factor_ex that raises on a zero pivot."""
    _no_out(out, "linalg.lu_factor")
    _check_matrix(A, "torch.linalg.lu_factor", square=False)
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    _singular_check(A, info._data, "torch.linalg.lu_factor", _lu_text)
    return lu_factor_result(LU, piv)


def _perm_matrix(piv, m: int):
    """(B, m, m) float64 P with A = P L U from lu_factor's (B, k) int32 pivots, on their device."""
    if type(piv) is not np.ndarray:
        P = _work((piv.shape[0], m, m), piv)
        _kernel("perm_matrix", piv)(piv, P)
        return P
    nb = piv.shape[0]
    P = np.zeros((nb, m, m))
    P[np.arange(nb)[:, None], _perm_from_pivots(piv, m), np.arange(m)[None, :]] = 1.0
    return P


def _perm_from_pivots(piv: np.ndarray, m: int) -> np.ndarray:
    """(B, m) row order: perm[i] is the row of A that row i of L U came from."""
    perm = np.tile(np.arange(m), (piv.shape[0], 1))
    rows = np.arange(piv.shape[0])
    for i in range(piv.shape[1]):
        p = piv[:, i] - 1
        a, b = perm[rows, i].copy(), perm[rows, p].copy()
        perm[rows, i], perm[rows, p] = b, a
    return perm


def lu(A: Tensor, *, pivot: bool = True, out=None):
    """torch.linalg.lu: A = P L U, L unit lower (m, k), U upper (k, n), k = min(m, n)."""
    _no_out(out, "linalg.lu")
    _check_matrix(A, "linalg.lu", square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    a, piv, _ = _lu(A, "linalg.lu")
    nb, m, n = a.shape
    k = min(m, n)
    if type(a) is np.ndarray:
        lower = np.tril(a[:, :, :k], -1)
        lower[:, np.arange(k), np.arange(k)] = 1.0
        upper = np.triu(a[:, :k, :])
    else:
        from .rearrange import tril, triu

        packed = Tensor._wrap(a)
        lower = (tril(packed[..., :k], -1) + _eye_like(m, packed)[:, :k])._data
        upper = triu(packed[..., :k, :])._data
    P = _perm_matrix(piv, m)
    batch = tuple(A.shape[:-2])
    res = lu_result(_wrap(P, batch + (m, m), A.dtype), _wrap(lower, batch + (m, k), A.dtype),
                    _wrap(upper, batch + (k, n), A.dtype))
    if needs_graph(A):
        record("LinalgLuBackward0", _lu_backward, (A,), tuple(res), tuple(res))
    return res


def _lu_backward(c, gP, gL, gU):
    """torch's linalg_lu_backward. Square: gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T. Wide (m < n,
    U = [U1 | U2], U2 = L^-1 P^T A2): gA2 = P L^-T gU2 and the square formula on U1 with gL - L^-T gU2 U2^T.
    Tall (m > n, L = [L1; L2], L2 = (P^T A)2 U^-1): gA2 = P (gL2 U^-T), the square formula with
    gU - L2^T gL2 U^-T."""
    from .joins import cat
    from .linalg import matmul

    P, L, U = c.saved_tensors
    m, n = L.shape[-2], U.shape[-1]

    def square(gl, gu, lo, up):
        phi = _band(matmul(lo.mH, gl), -1, True) + _band(matmul(gu, up.mH), 0, False)
        x = _tri(lo.mH, phi, True, True)  # L^-T phi
        return _tri(up, x.mH, True, False).mH  # (L^-T phi) U^-T

    if m == n:
        return (matmul(P, square(gL, gU, L, U)),)
    if m < n:  # A = P L [U1 | U2], U2 = L^-1 P^T A2
        U1, U2, gU1, gU2 = U[..., :, :m], U[..., :, m:], gU[..., :, :m], gU[..., :, m:]
        linv_gu2 = _tri(L.mH, gU2, True, True)
        g1 = square(gL - matmul(linv_gu2, U2.mH), gU1, L, U1)
        return (matmul(P, cat([g1, linv_gu2], -1)),)
    # m > n: P^T A = [L1; L2] U, L2 = A2' U^-1
    L1, L2, gL1, gL2 = L[..., :n, :], L[..., n:, :], gL[..., :n, :], gL[..., n:, :]
    gl2_uinv = _tri(U, gL2.mH, True, False).mH  # gL2 U^-T
    g1 = square(gL1, gU - matmul(L2.mH, gl2_uinv), L1, U)
    return (matmul(P, cat([g1, gl2_uinv], -2)),)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False,
             out=None) -> Tensor:
    """torch.linalg.lu_solve: X with A X = B from lu_factor's (LU, pivots) (A^T when adjoint, XA = B when not
    left); not differentiable here."""
    _check_matrix(LU, "linalg.lu_solve", "LU")
    check_tensor(B, "linalg.lu_solve", "B")
    _same_device(LU, pivots)
    if B.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    P, L, U = _unpack(LU, pivots)
    # A = P L U; solve with the triangular primitives (differentiable through L, U and B)
    A_t = not left  # XA = B  <=>  A^T X^T = B^T
    Bm = B.mH if A_t else B
    adj = adjoint != A_t
    batch = tuple(broadcast_shapes(tuple(LU.shape[:-2]), tuple(Bm.shape[:-2])))
    Bm = Bm.expand(*batch, *Bm.shape[-2:])
    L, U, P = (t.expand(*batch, n, n) for t in (L, U, P))
    from .linalg import matmul

    if not adj:  # A^-1 B = U^-1 L^-1 P^T B
        y = _tri(L, matmul(P.mH, Bm), False, True)
        x = _tri(U, y, True, False)
    else:  # A^-T B = P L^-T U^-T B
        y = _tri(U.mH, Bm, False, False)
        x = matmul(P, _tri(L.mH, y, True, True))
    return _finish(x.mH if A_t else x, out, "linalg.lu_solve")


def _unpack(LU: Tensor, pivots: Tensor):
    from .rearrange import tril, triu

    n = LU.shape[-1]
    piv = pivots.to(dtypes.int32).reshape(-1, pivots.shape[-1]).contiguous()._data
    Pt = _wrap(_perm_matrix(piv, n), tuple(pivots.shape[:-1]) + (n, n), LU.dtype)
    return Pt, tril(LU, -1), triu(LU)


# ---- triangular solves ----

def _tri(A: Tensor, B: Tensor, upper: bool, unit: bool) -> Tensor:
    """X with T X = B, T the upper or lower triangle of A; equal batch shapes."""
    a = _host(A, "linalg.solve_triangular")
    x = _host(B, "linalg.solve_triangular")
    with np.errstate(all="ignore"):
        _kernel("tri_solve", a)(a, x, upper, unit)
    res = _wrap(x, tuple(B.shape), B.dtype)
    if needs_graph(A, B):
        node = record("LinalgSolveTriangularBackward0", _tri_backward, (A, B), (res,), (A, res))
        node.upper, node.unit = upper, unit
    return res


def _tri_backward(c, g):
    """X = T^-1 B: gB = T^-T g, gA = -gB X^T restricted to the triangle that was read."""
    from .linalg import matmul
    A, x = c.saved_tensors
    gb = _tri(A.mH, g, not c.upper, c.unit)
    ga = None
    if c.needs_input_grad[0]:
        full = -matmul(gb, x.mH)
        k = 1 if c.unit else 0
        ga = _band(full, k, False) if c.upper else _band(full, -k, True)
    return ga, gb if c.needs_input_grad[1] else None


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False,
                     out: Tensor | None = None) -> Tensor:
    """torch.linalg.solve_triangular: X with AX = B (XA = B when not left), A triangular; batches broadcast.
    A zero on the diagonal gives inf / nan, as LAPACK's trtrs."""
    op = "linalg.solve_triangular"
    _check_matrix(A, op)
    check_tensor(B, op, "B")
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    if B.dtype is not A.dtype:
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of type {_legacy(A)} and "
                           f"B of type {_legacy(B)} instead")
    _same_device(A, B)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    batch = tuple(broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2])))
    Ab, Bb = A.expand(*batch, n, n), B.expand(*batch, *B.shape[-2:])
    if left:
        return _finish(_tri(Ab, Bb, upper, unitriangular), out, op)
    return _finish(_tri(Ab.mT, Bb.mT, not upper, unitriangular).mT, out, op)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out=None):
    """torch.triangular_solve (deprecated): (solution of op(A) X = b, a copy of A)."""
    _no_out(out, "triangular_solve")
    Ause = A.mT if transpose else A
    x = solve_triangular(Ause, b, upper=upper != transpose, unitriangular=unitriangular)
    batch = tuple(x.shape[:-2])
    return triangular_solve_result(x, A.expand(*batch, *A.shape[-2:]).clone())


# ---- Cholesky ----

def _chol_text(k: int) -> str:
    return (f"The factorization could not be completed because the input is not positive-definite (the leading "
            f"minor of order {k} is not positive-definite).")


def _chol(A: Tensor, op: str):
    a = _host(A, op)
    info = _int_zeros((a.shape[0],), a)
    _kernel("cholesky", a)(a, info)
    res = _wrap(a, tuple(A.shape), A.dtype)
    if needs_graph(A):
        record("LinalgCholeskyExBackward0", _chol_backward, (A,), (res,), (res,))
    return res, info


def _chol_backward(c, g):
    """torch's cholesky_backward: gA = L^-H Phi(L^H gL) L^-1 with Phi the lower triangle, diagonal halved,
    symmetrised."""
    from .linalg import matmul
    (L,) = c.saved_tensors
    gA = _band(matmul(L.mH, g), 0, True)
    gA = (gA + _band(gA, -1, True).mH) * 0.5
    gA = _tri(L.mH, gA, True, False)
    gA = _tri(L.mH, gA.mH, True, False).mH  # X L = gA  <=>  L^T X^T = gA^T
    return (gA,)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    """torch.linalg.cholesky_ex: (L, info), L from A's lower triangle (U = L^T when upper)."""
    _no_out(out, "linalg.cholesky_ex")
    _check_matrix(A, "linalg.cholesky")
    L, info = _chol(A, "linalg.cholesky")
    if check_errors:
        _singular_check(A, info, "linalg.cholesky", _chol_text)
    return cholesky_ex_result(L.mH if upper else L, Tensor._wrap(info.reshape(tuple(A.shape[:-2]))))


def linalg_cholesky(A: Tensor, *, upper: bool = False, out: Tensor | None = None) -> Tensor:
    """torch.linalg.cholesky, with torch's LinAlgError for a matrix that is not positive-definite."""
    _check_matrix(A, "linalg.cholesky")
    L, info = _chol(A, "linalg.cholesky")
    _singular_check(A, info, "linalg.cholesky", _chol_text)
    return _finish(L.mH if upper else L, out, "linalg.cholesky")


def cholesky(input: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """torch.cholesky (deprecated): linalg.cholesky with its own error prefix."""
    _check_matrix(input, "cholesky")
    L, info = _chol(input, "cholesky")
    _singular_check(input, info, "cholesky", _chol_text)
    return _finish(L.mH if upper else L, out, "cholesky")


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """torch.cholesky_solve: X with (L L^T) X = B (U^T U when upper); batches broadcast. torch's names: input is
    B, input2 is L."""
    B, L = input, input2
    _check_matrix(L, "cholesky_solve", "input2")
    check_tensor(B, "cholesky_solve")
    if B.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {B.ndim} dimensions instead")
    if B.dtype is not L.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_legacy(B)} and A of type "
                           f"{_legacy(L)} instead.")
    low = L.mH if upper else L
    y = solve_triangular(low, B, upper=False)
    return _finish(solve_triangular(low.mH, y, upper=True), out, "cholesky_solve")


def cholesky_inverse(L: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """torch.cholesky_inverse: (L L^T)^-1 from its Cholesky factor."""
    from .creation import eye

    _check_matrix(L, "cholesky_inverse", "input")
    zero = (_diag(L.detach()) == 0).reshape(-1, L.shape[-1])
    if zero.numel() and zero.any().item():  # a sync on CUDA, as torch's check
        z = zero.cpu().numpy()
        b = int(np.flatnonzero(z.any(axis=1))[0])
        k = int(np.flatnonzero(z[b])[0]) + 1
        raise LinAlgError(f"cholesky_inverse: {_batch_prefix(L, b)}{_inv_text(k)}")
    n = L.shape[-1]
    ident = eye(n, dtype=L.dtype, device=L.device).expand(*L.shape)
    return _finish(cholesky_solve(ident, L, upper), out, "cholesky_inverse")


# ---- QR, eigh, SVD ----

def qr(A: Tensor, mode: str = "reduced", *, out=None):
    """torch.linalg.qr by Householder reflections (R's diagonal signs as LAPACK's geqrf); mode 'reduced',
    'complete' or 'r' (Q empty)."""
    _no_out(out, "linalg.qr")
    _check_matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    a = _host(A, "linalg.qr")
    nb, m, n = a.shape
    k = min(m, n)
    mc = m if mode == "complete" else k
    if type(a) is np.ndarray:
        q = np.zeros((nb, m, mc), a.dtype)
        _mod(a).qr(a, q)
    elif a.dtype == np.complex128:  # zgeqr2 + zung2r: tau (B, k) rather than the real kernel's v (B, m, k)
        q = _work((nb, m, mc), a, a.dtype)
        _kernel("qr", a)(a, q, _work((nb, k), a, a.dtype), _work((nb, n), a, a.dtype), _work((nb, mc), a, a.dtype))
    else:
        q = _work((nb, m, mc), a)
        _kernel("qr", a)(a, q, _work((nb, m, k), a), _work((nb, n), a), _work((nb, mc), a))
    batch = tuple(A.shape[:-2])
    rows = m if mode == "complete" else k
    R = _wrap(a[:, :rows, :], batch + (rows, n), A.dtype)
    Q = _wrap(q, batch + (m, mc), A.dtype) if mode != "r" else _wrap(_work((0,), a, A.dtype.np), (0,), A.dtype)
    if needs_graph(A):
        node = record("LinalgQrBackward0", _qr_backward, (A,), (Q, R), (A, Q, R))
        node.mode = mode
    return qr_result(Q, R)


def _qr_backward(c, gQ, gR):
    """torch's linalg_qr_backward: m >= n: gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q;
    m < n: the square formula on the first m columns, plus Q gR on the rest."""
    from .linalg import matmul
    from .rearrange import tril

    A, Q, R = c.saved_tensors
    if c.mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                           "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
    m, n = A.shape[-2], A.shape[-1]
    if c.mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")

    def square(gq, gr, q, r):
        M = matmul(r, gr.mH) - matmul(gq.mH, q)
        low = tril(M, -1)
        dg = tril(M) - tril(M, -1)
        if dg.dtype.is_complex:  # torch: X + X^H - Re(diag X) (R's diagonal is real)
            dg = (dg + dg.conj()) * 0.5
        sym = low + low.mH + dg  # copy the lower triangle up
        b = gq + matmul(q, sym)
        return _tri(r, b.mH, True, False).mH  # b R^-T: R X^T = b^T... as R^T is lower: solve X R^T = b

    if m >= n:
        return (square(gQ, gR, Q, R),)
    from .joins import cat

    X_r, _Y_r = R[..., :, :m], R[..., :, m:]
    gX_r, gY_r = gR[..., :, :m], gR[..., :, m:]
    Y = A[..., :, m:]
    gx = square(gQ + matmul(Y, gY_r.mH), gX_r, Q, X_r)
    return (cat([gx, matmul(Q, gY_r)], -1),)


def _check_eigh(A: Tensor, UPLO: str) -> None:
    """torch's checks for eigh and eigvalsh (both name linalg.eigh, as torch's shared kernel does)."""
    _check_matrix(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def _symmetrized(a: np.ndarray, UPLO: str) -> np.ndarray:
    """The symmetric matrices (B, n, n) that the UPLO triangle of a's defines (the kernels read both)."""
    low = np.tril(a) if UPLO == "L" else np.triu(a).transpose(0, 2, 1)
    return np.ascontiguousarray(low + np.tril(low, -1).transpose(0, 2, 1))


def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """torch.linalg.eigh by Householder tridiagonal reduction, then divide and conquer (implicit QL below
    order 48 and on CUDA): eigenvalues ascending, eigenvectors as columns (each one's largest component
    positive); only the UPLO triangle of A is read."""
    _no_out(out, "linalg.eigh")
    _check_eigh(A, UPLO)
    a = _host(A, "linalg.eigh")
    nb, n, _ = a.shape
    if a.dtype == np.complex128:
        w, vec = _eigh_complex(a, UPLO)
    elif type(a) is np.ndarray:
        a = _symmetrized(a, UPLO)
        vec = np.empty_like(a)
        w = np.empty((nb, n))
        K.eigh(a, vec, w)
    else:  # the kernel mirrors the UPLO triangle itself
        vec, w = _work((nb, n, n), a), _work((nb, n), a)
        _kernel("eigh", a)(a, vec, w, _work((nb, n), a), UPLO == "L")
    batch = tuple(A.shape[:-2])
    L, V = _wrap(w, batch + (n,), A.dtype.to_real()), _wrap(vec, tuple(A.shape), A.dtype)
    if needs_graph(A):
        record("LinalgEighBackward0", _eigh_backward, (A,), (L, V), (L, V))
    return eigh_result(L, V)


def _eigh_complex(a, uplo: str):
    """Eigenvalues (B, n) and eigenvectors (B, n, n) of the Hermitian matrices whose UPLO triangle is in a
    (complex128; the diagonal's imaginary part ignored, as LAPACK): a unitary reduction to a real symmetric
    tridiagonal T (KZ.hermitian_tridiagonal), T's eigenpairs by the real eigh kernel, then back to a's basis.
    A device array a: the same three steps on the device (its kernel mirrors the triangle itself)."""
    nb, n, _ = a.shape
    if type(a) is not np.ndarray:
        from .linalg import matmul

        t, q = _work((nb, n, n), a), _work((nb, n, n), a, a.dtype)
        _kernel("hermitian_tridiagonal", a)(a, t, q, _work((nb, n), a), _work((nb, n), a), _work((nb, n), a, a.dtype),
                                            _work((nb, n), a, a.dtype), uplo == "L")
        z, w = _work((nb, n, n), t), _work((nb, n), t)
        _kernel("eigh", t)(t, z, w, _work((nb, n), t), True)
        return w, matmul(Tensor._wrap(q), Tensor._wrap(z).to(dtypes.complex128))._data
    low = np.tril(a, -1) if uplo == "L" else np.conj(np.triu(a, 1)).transpose(0, 2, 1)
    full = low + np.conj(low).transpose(0, 2, 1)
    idx = np.arange(n)
    full[:, idx, idx] = a[:, idx, idx].real
    d, e = np.empty((nb, n)), np.empty((nb, max(n - 1, 0)))
    q = np.empty_like(full)
    if full.size:
        KZ.hermitian_tridiagonal(full, d, e, q)
    t = np.zeros((nb, n, n))
    t[:, idx, idx] = d
    t[:, idx[1:], idx[:-1]] = e
    t[:, idx[:-1], idx[1:]] = e
    z, w = np.empty_like(t), np.empty((nb, n))
    K.eigh(t, z, w)
    vec = np.empty_like(full)
    KZ.batched_matmul(q, z.astype(np.complex128), vec)
    return w, vec


def _eigh_backward(c, gL, gV):
    """torch's linalg_eig_backward for Hermitian A: gA = V (diag(gL) + (V^H gV) / E) V^H, E_ij = L_j - L_i
    (complex: torch's check that the loss does not depend on the eigenvectors' phases)."""
    from .linalg import matmul
    from .rearrange import diag_embed

    L, V = c.saved_tensors
    n = L.shape[-1]
    E = L.unsqueeze(-2) - L.unsqueeze(-1)
    eye = _eye_like(n, L)
    VhgV = matmul(V.mH, gV)
    if VhgV.dtype.is_complex:
        _phase_check(_diag(VhgV).imag, "linalg_eigh_backward: The eigenvectors in the complex case are specified up "
                     "to multiplication by e^{i phi}. The specified loss function depends on this quantity, so it is "
                     "ill-defined.")
    inner = VhgV / (E + eye) * (1 - eye) + diag_embed(gL)
    return (matmul(V, matmul(inner, V.mH)),)


def _phase_check(im: Tensor, message: str) -> None:
    """torch's gauge check of the complex eigh / svd backward: the loss may not depend on the vectors' phases,
    i.e. im (the imaginary parts that measure that dependence) allclose to 0 with rtol = atol = 1e-2."""
    v = np.abs(im.detach().cpu().numpy())
    if v.size and float(v.max()) > 1e-2:
        raise RuntimeError(message)


def _eye_like(n: int, t: Tensor) -> Tensor:
    from .creation import eye

    return eye(n, dtype=t.dtype, device=t.device)


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    """torch.linalg.eigvalsh: eigh's eigenvalues. On the CPU without a graph no eigenvectors are formed: the
    tridiagonal reduction without its accumulation, then QL on the values alone (O(n^2) after the reduction)."""
    _check_eigh(A, UPLO)
    if needs_graph(A) or A.is_cuda or A.is_complex():
        return _finish(eigh(A, UPLO).eigenvalues, out, "linalg.eigvalsh")
    a = _symmetrized(_host(A, "linalg.eigh"), UPLO)
    w = np.empty(a.shape[:2])
    K.eigvalsh(a, w)
    return _finish(_wrap(w, tuple(A.shape[:-1]), A.dtype), out, "linalg.eigvalsh")


def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """torch.linalg.svd by one-sided Jacobi: A = U diag(S) Vh, S descending; U / Vh completed to square
    orthogonal matrices when full_matrices."""
    _no_out(out, "linalg.svd")
    _check_matrix(A, "linalg.svd", square=False)
    U, S, Vh = _svd(A, full_matrices, "linalg.svd")
    return svd_result(U, S, Vh)


def _svd(A: Tensor, full: bool, op: str, vectors: bool = True):
    """(U, S, Vh) of A's batch. CPU: scaled to unit size, preconditioned (_svd_preconditioner), then Jacobi.
    vectors=False (singular values only, for an A that needs no graph): U and Vh are None on the CPU."""
    if A.dtype.is_complex:
        return _svd_complex(A, full, op, vectors)
    a = _host(A, op)
    nb, m, n = a.shape
    k = min(m, n)
    tall = m >= n
    big = max(m, n)
    r = big if full else k
    if type(a) is np.ndarray:
        finite = np.isfinite(a).all(axis=(1, 2))
        if not finite.all():  # LAPACK's gesdd refuses them on the CPU; so does torch
            raise LinAlgError(f"linalg.svd: {_batch_prefix(A, int(np.argmin(finite)))}The algorithm failed to "
                              "converge because the input matrix contained non-finite values.")
        at = np.ascontiguousarray(a.transpose(0, 2, 1)) if tall else a  # (k, max) rows: the tall matrix's columns
        exps = _scale_to_unit(at)
        v = _svd_preconditioner(at)
        s = np.zeros((nb, k))
        if not vectors:
            K.svd(at, v, np.zeros((nb, 0, 0)), np.zeros((nb, 0, 0)), s, False)
            return None, _wrap(np.ldexp(s, exps[:, None]), tuple(A.shape[:-2]) + (k,), A.dtype), None
        ut = np.zeros((nb, r, big))
        vt = np.zeros((nb, k, k))
        K.svd(at, v, ut, vt, s, True)
        s = np.ldexp(s, exps[:, None])
    else:
        at = Tensor._wrap(a).mT.contiguous()._data if tall else a
        ut, vt, s = _work((nb, r, big), a), _work((nb, k, k), a), _work((nb, k), a)
        info = _int_zeros((nb,), a)  # the kernel scales each matrix to unit size and flags non-finite ones
        _kernel("svd", a)(at, ut, vt, s, _work((nb, k, k), a), _work((nb, k), a), _work((nb, k), a, np.int64),
                          _work((nb, big), a), info)
        _singular_check(A, info, "linalg.svd", lambda _: "The algorithm failed to converge because the input matrix "
                        "contained non-finite values.")  # (a sync, as torch's check of its info)
    if tall:  # A = (ut^T) S vt
        u, vh = ut.transpose(0, 2, 1), vt
    else:  # A^T = ut^T S vt  =>  A = vt^T S ut
        u, vh = vt.transpose(0, 2, 1), ut
    batch = tuple(A.shape[:-2])
    U = _wrap(u, batch + u.shape[1:], A.dtype)
    S = _wrap(s, batch + (k,), A.dtype)
    Vh = _wrap(vh, batch + vh.shape[1:], A.dtype)
    if needs_graph(A):
        record("LinalgSvdBackward0", _svd_backward, (A,), (U, S, Vh), (U, S, Vh))
    return U, S, Vh


def _svd_complex(A: Tensor, full: bool, op: str, vectors: bool):
    """_svd for complex A: one-sided Jacobi (KZ.svd_jacobi) on the columns of A (of A^H when A is wide), scaled
    to unit size; U = the columns over their norms, completed to orthonormal ones (rank-deficient A, full). A CUDA
    A: the same steps in one kernel (without the CPU's preconditioning of large matrices)."""
    a = _host(A, op)
    nb, m, n = a.shape
    k = min(m, n)
    tall = m >= n
    r = max(m, n) if full else k
    s, u, v = _svd_complex_host(A, a, r, op, vectors) if type(a) is np.ndarray else _svd_complex_device(A, a, r, op)
    batch = tuple(A.shape[:-2])
    S = _wrap(s, batch + (k,), A.dtype.to_real())
    if not vectors:
        return None, S, None
    if tall:  # A = u S v^H
        uu, vh = u, _adjoint(v)
    else:  # A^H = u S v^H  =>  A = v S u^H
        uu, vh = v, _adjoint(u)
    U = _wrap(uu, batch + uu.shape[1:], A.dtype)
    Vh = _wrap(vh, batch + vh.shape[1:], A.dtype)
    if needs_graph(A):
        record("LinalgSvdBackward0", _svd_backward, (A,), (U, S, Vh), (U, S, Vh))
    return U, S, Vh


def _adjoint(x):
    """The C-contiguous conjugate transpose of each matrix of x (B, m, n), on x's device."""
    if type(x) is np.ndarray:
        return np.ascontiguousarray(np.conj(x).transpose(0, 2, 1))
    return Tensor._wrap(x).mH.contiguous()._data


def _svd_nonfinite(A: Tensor, op: str, b: int) -> LinAlgError:
    return LinAlgError(f"{op}: {_batch_prefix(A, b)}The algorithm failed to converge because the input matrix "
                       "contained non-finite values.")


def _svd_complex_host(A: Tensor, a: np.ndarray, r: int, op: str, vectors: bool):
    """(singular values (B, k) descending, u (B, max, r), v (B, k, k)) of the complex128 batch a (B, m, n): the
    SVD of a (of a^H when wide) as u diag(s) v^H; u and v None when not vectors."""
    nb, m, n = a.shape
    k = min(m, n)
    big = max(m, n)
    finite = np.isfinite(a).all(axis=(1, 2))
    if not finite.all():
        raise _svd_nonfinite(A, op, int(np.argmin(finite)))
    x = a if m >= n else _adjoint(a)  # (B, big, k)
    mag = np.abs(x).max(axis=(1, 2)) if x.size else np.zeros(nb)
    exps = np.where(mag > 0, np.frexp(mag)[1], 0)
    x *= np.ldexp(1.0, -exps)[:, None, None]
    v, s = np.empty((nb, k, k), np.complex128), np.empty((nb, k))
    start = k >= SVD_PRECONDITION_MIN and x.size > 0
    if start:  # as the real path: start from the Gram matrix's eigenvectors (largest first), x <- x V0
        g = np.empty((nb, k, k), np.complex128)
        KZ.gram(x, g)
        v[...] = _eigh_complex(g, "L")[1][:, :, ::-1]  # (B, k, k) columns: eigenvectors
        rotated = np.empty_like(x)
        KZ.batched_matmul(x, v, rotated)
        x = rotated
    if x.size:
        KZ.svd_jacobi(x, v, s, start)
    order = np.argsort(-s, axis=1, kind="stable")
    s = np.take_along_axis(s, order, 1)
    if not vectors:
        return np.ldexp(s, exps[:, None]), None, None
    x = np.take_along_axis(x, order[:, None, :], 2)
    v = np.ascontiguousarray(np.take_along_axis(v, order[:, None, :], 2))
    u = np.zeros((nb, big, r), np.complex128)
    with np.errstate(all="ignore"):
        u[:, :, :k] = np.where(s[:, None, :] > 0, x / s[:, None, :], 0)
    KZ.complete_columns(u, np.count_nonzero(s > 0, axis=1))
    return np.ldexp(s, exps[:, None]), u, v


def _svd_complex_device(A: Tensor, a, r: int, op: str):
    """_svd_complex_host for a complex128 device array a: one kernel (it scales each matrix to unit size and
    flags non-finite ones; reading its info is a sync, as torch's check of its own)."""
    nb, m, n = a.shape
    k = min(m, n)
    x = a if m >= n else _adjoint(a)
    u, v, s = _work((nb, max(m, n), r), a, a.dtype), _work((nb, k, k), a, a.dtype), _work((nb, k), a)
    info = _int_zeros((nb,), a)
    _kernel("svd", a)(x, u, v, s, _work((nb, k, k), a, a.dtype), _work((nb, k), a), _work((nb, k), a, np.int64), info)
    bad = np.flatnonzero(_to_host(info))
    if bad.size:
        raise _svd_nonfinite(A, op, int(bad[0]))
    return s, u, v


def _scale_to_unit(at: np.ndarray) -> np.ndarray:
    """Scale each matrix of at (B, k, m) in place by a power of two (exact) that brings its largest magnitude
    into [0.5, 1), so that the Jacobi sweeps' squared norms neither overflow (entries ~1e200) nor underflow
    (~1e-200) as they would unscaled; returns the exponents to scale the singular values back by."""
    big = np.abs(at).max(axis=(1, 2)) if at.size else np.zeros(at.shape[0])
    exps = np.where(np.isfinite(big) & (big > 0), np.frexp(big)[1], 0)
    np.ldexp(at, -exps[:, None, None], out=at)
    return exps


SVD_PRECONDITION_MIN = 32  # smaller matrices converge in a few cheap sweeps from the identity


def _svd_preconditioner(at: np.ndarray) -> np.ndarray:
    """The rotation the Jacobi sweeps start from, applied to at (B, k, m) in place: V0^T, the eigenvectors of
    the Gram matrix at at^T (largest first), which leaves the rows nearly orthogonal, so one or two sweeps finish
    the job where ~9 are needed from the identity. The sweeps still run to Jacobi's own convergence test, so the
    result is as accurate as without (the Gram matrix only guides; its squared condition number never reaches
    the singular values). at is finite and already scaled to unit size (_scale_to_unit). The identity for small
    matrices."""
    nb, k, m = at.shape
    v = np.zeros((nb, k, k))
    v[:, range(k), range(k)] = 1.0
    if k < SVD_PRECONDITION_MIN:
        return v
    for b in range(nb):
        x = at[b]
        gram = np.empty((k, k))
        matmul_into(x, x.T, gram)
        vec, w = np.empty((1, k, k)), np.empty((1, k))
        K.eigh(gram[None], vec, w)
        v0t = np.ascontiguousarray(vec[0][:, ::-1].T)  # rows: eigenvectors, largest eigenvalue first
        rotated = np.empty((k, m))
        matmul_into(v0t, x, rotated)
        at[b] = rotated
        v[b] = v0t
    return v


def _svd_backward(c, gU, gS, gVh):
    """torch's svd_backward (real case) on the first k = min(m, n) singular vectors."""
    from .linalg import matmul
    from .rearrange import diag_embed

    U, S, Vh = c.saved_tensors
    m, n = U.shape[-2], Vh.shape[-1]
    k = S.shape[-1]
    U, Vh, gU, gVh = U[..., :, :k], Vh[..., :k, :], gU[..., :, :k], gVh[..., :k, :]
    UhgU = matmul(U.mH, gU)
    VhgV = matmul(Vh, gVh.mH)
    if UhgU.dtype.is_complex:  # torch: Im(diag(U^H gU)) = -Im(diag(V^H gV)), else the loss sees the phases
        _phase_check(_diag(UhgU).imag + _diag(VhgV).imag, "svd_backward: The singular vectors in the complex case are "
                     "specified up to multiplication by e^{i phi}. The specified loss function depends on this phase "
                     "term, making it ill-defined.")
    UhgU = UhgU - UhgU.mH
    VhgV = VhgV - VhgV.mH
    S2 = S * S
    eye = _eye_like(k, S)
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + eye
    gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E * (1 - eye) + diag_embed(gS)
    if gA.dtype.is_complex:  # torch: the gauge term i Im(diag(U^H gU)) / S (UhgU is skew: diag 2i Im)
        gA = gA + diag_embed(_diag(UhgU) / (2 * S))
    if m > k:
        gA = matmul(U, gA)
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - matmul(U, matmul(U.mH, gUSinv))
        gA = matmul(gA, Vh)
    elif n > k:
        gA = matmul(gA, Vh)
        gVhSinv = gVh / S.unsqueeze(-1)
        gA = gA + gVhSinv - matmul(matmul(gVhSinv, Vh.mH), Vh)
        gA = matmul(U, gA)
    else:
        gA = matmul(U, matmul(gA, Vh))
    return (gA,)


def svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """torch.linalg.svdvals: the singular values, descending."""
    _check_matrix(A, "linalg.svdvals", square=False)
    return _finish(_svd(A, False, "linalg.svdvals", vectors=needs_graph(A))[1], out, "linalg.svdvals")


def torch_svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """torch.svd (deprecated): (U, S, V) with V rather than Vh; compute_uv False gives zero U and V."""
    _no_out(out, "svd")
    _check_matrix(input, "linalg.svd", square=False)
    U, S, Vh = _svd(input, not some, "linalg.svd")
    if not compute_uv:
        from .creation import zeros_like

        return torch_svd_result(zeros_like(U), S, zeros_like(Vh.mT))
    return torch_svd_result(U, S, Vh.mH)  # A = U diag(S) V^H


def torch_qr(input: Tensor, some: bool = True, *, out=None):
    """torch.qr (deprecated): linalg.qr with mode 'reduced' (some) or 'complete'."""
    _no_out(out, "qr")
    Q, R = qr(input, "reduced" if some else "complete")
    return torch_qr_result(Q, R)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: linalg.pinv with rtol = rcond."""
    from ..linalg import pinv

    return pinv(input, rtol=rcond)


def matrix_exp(A: Tensor) -> Tensor:
    """torch.matrix_exp: linalg.matrix_exp."""
    from ..linalg import matrix_exp as expm

    return expm(A)


def _no_out(out, op: str) -> None:
    """Ops with several outputs take no out= here yet (rather than ignoring it)."""
    if out is not None:
        raise NotImplementedError(f"{op}: out= is not supported by ntorch for this op yet")


def _finish(res: Tensor, out, op: str) -> Tensor:
    from .linalg import _finish as finish

    return finish(res, out, op)


FUNCTIONS = {
    "det": det, "logdet": logdet, "slogdet": torch_slogdet, "inverse": inverse, "cholesky": cholesky,
    "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse, "triangular_solve": triangular_solve,
    "svd": torch_svd, "qr": torch_qr, "pinverse": pinverse, "matrix_exp": matrix_exp,
}

