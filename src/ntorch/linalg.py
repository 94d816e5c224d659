"""ntorch.linalg: torch.linalg's norms (composites of ntorch reductions, so they run on either device and are
differentiable), the products under their linalg names, and the factorizations of ntorch.ops.decomp, decomp_extra
and eig (CPU kernels, and one-thread-per-matrix CUDA kernels: ntorch.kernels.cuda.linalg, linalg_complex and
linalg_extra)."""

from __future__ import annotations

import math

from . import dtypes
from .ops.decomp import (  # noqa: F401
    LinAlgError,
    _finish,
    _return_type,
    cholesky_ex,
    det,
    eigh,
    eigvalsh,
    inv,
    inv_ex,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    qr,
    slogdet,
    solve,
    solve_ex,
    solve_triangular,
    svd,
    svdvals,
)
from .ops.decomp import linalg_cholesky as cholesky
from .ops.decomp_extra import ldl_factor, ldl_factor_ex, ldl_solve  # noqa: F401
from .ops.eig import eig, eigvals  # noqa: F401
from .ops.linalg import linalg_cross as cross
from .ops.linalg import (  # noqa: F401
    matmul,  # noqa: F401  (torch.linalg.matmul is torch.matmul)
    matrix_power,
    multi_dot,
    vecdot,
)
from .ops.reduction import amax, amin, sum
from .ops.reduction import norm as _norm
from .ops.shape import flatten
from .tensor import Tensor

__all__ = ["vector_norm", "matrix_norm", "norm", "matmul", "cross", "vecdot", "multi_dot", "matrix_power", "det",
           "slogdet", "inv", "inv_ex", "solve", "solve_ex", "lu_factor", "lu_factor_ex", "lu", "lu_solve",
           "solve_triangular", "cholesky", "cholesky_ex", "LinAlgError", "qr", "eigh", "eigvalsh", "svd",
           "svdvals", "cond", "matrix_rank", "pinv", "lstsq", "matrix_exp", "tensorinv", "tensorsolve",
           "diagonal", "vander", "householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve",
           "eig", "eigvals"]


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The ord-norm of x over dim (every element when dim is None), as torch.linalg.vector_norm."""
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return _norm(x, float(ord), dim, keepdim, dtype=dtype)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro', inf/-inf (max/min absolute row sum), 1/-1 (columns)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return _norm(A, 2.0, (d0, d1), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        x = A.to(dtype) if dtype is not None else A
        s = svdvals(x.movedim((d0, d1), (-2, -1)))
        res = sum(s, -1) if ord == "nuc" else (amax if ord == 2 else amin)(s, -1)
        return res.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1)) if keepdim else res
    if ord not in (math.inf, -math.inf, 1, -1):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    x = A.to(dtype) if dtype is not None else A
    if x.dtype.category < dtypes.FLOAT:
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype}")
    summed, other = (d1, d0) if abs(ord) == math.inf else (d0, d1)  # inf: sum along rows; 1: along columns
    sums = sum(x.abs(), summed, keepdim=True)
    res = (amax if ord > 0 else amin)(sums, other, keepdim=True)
    return res if keepdim else res.squeeze(max(d0, d1)).squeeze(min(d0, d1))


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """torch.linalg.norm: a vector norm for one dim (or a 1-D input), a matrix norm for two (or a 2-D input);
    ord None with dim None: the 2-norm of every element."""
    if isinstance(dim, int | Tensor):
        dim = (dim,)
    if ord is None:
        if dim is None:
            return vector_norm(flatten(A) if A.ndim else A, 2, None, keepdim, dtype=dtype) if not keepdim else \
                vector_norm(A, 2, tuple(range(A.ndim)) or None, True, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype) if len(dim) == 1 else \
            matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                               f"{A.ndim}D.")
        dim = (0,) if A.ndim == 1 else (0, 1)
    if len(dim) == 1:
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, tuple(dim), keepdim, dtype=dtype)


def cond(A: Tensor, p=None, *, out=None) -> Tensor:
    """torch.linalg.cond: sigma_max / sigma_min for p None, 2 or -2 (its inverse); else norm(A) norm(A^-1)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor A must have at least 2 dimensions.")
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return _finish(big / small if p != -2 else small / big, out, "linalg.cond")
    return _finish(matrix_norm(A, p) * matrix_norm(inv(A), p), out, "linalg.cond")


def _tolerance(S: Tensor, A: Tensor, atol, rtol) -> Tensor:
    """max(atol, rtol * sigma_max) per matrix; rtol defaults to eps * max(m, n) when atol is not given too."""
    from .ops.elementwise import apply

    if rtol is None:  # torch: eps * max(m, n) unless atol is given (and positive)
        given = atol is not None and (isinstance(atol, Tensor) or atol > 0)
        rtol = 0.0 if given else _eps(A) * max(A.shape[-2], A.shape[-1])
    smax = amax(S, -1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
    tol = apply("mul", smax, rtol)
    if atol is not None:
        tol = apply("maximum", tol, atol if isinstance(atol, Tensor) else apply("mul", smax, 0.0) + atol)
    return tol


def _eps(A: Tensor) -> float:
    import numpy as np

    return float(np.finfo(A.dtype.np).eps)


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """torch.linalg.matrix_rank: the number of singular values (|eigenvalues| when hermitian) above tolerance."""
    from .ops.elementwise import apply

    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor A must have at least 2 dimensions.")
    S = eigvalsh(A).abs() if hermitian else svdvals(A)
    return _finish(sum(apply("gt", S, _tolerance(S, A, atol, rtol)), -1), out, "linalg.matrix_rank")


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """torch.linalg.pinv from the SVD (eigh when hermitian): V diag(1/s for s above tolerance) U^H.
    A composite, so its gradient comes from svd's."""
    from .ops.elementwise import apply
    from .ops.pointwise import where

    if A.ndim < 2:
        raise RuntimeError("linalg.pinv: The input tensor A must have at least 2 dimensions.")
    if hermitian:
        L, V = eigh(A)
        keep = apply("gt", L.abs(), _tolerance(L.abs(), A, atol, rtol))
        Linv = where(keep, 1.0 / where(keep, L, 1.0), 0.0)
        return _finish(matmul(V * Linv.unsqueeze(-2), V.mH), out, "linalg.pinv")
    U, S, Vh = svd(A, full_matrices=False)
    keep = apply("gt", S, _tolerance(S, A, atol, rtol))
    Sinv = where(keep, 1.0 / where(keep, S, 1.0), 0.0)
    return _finish(matmul(Vh.mH * Sinv.unsqueeze(-2), U.mH), out, "linalg.pinv")


lstsq_result = _return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """torch.linalg.lstsq: the minimum-norm least-squares solution (through pinv, so rank-deficient A gives
    what gelsy / gelsd give), with residuals, rank and singular values per torch's driver rules for the CPU."""

    from .ops.creation import tensor

    if driver is None:
        driver = "gels" if A.is_cuda else "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A.is_cuda and driver != "gels":
        raise RuntimeError("torch.linalg.lstsq: `driver` other than `gels` is not supported on CUDA")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.dtype is not A.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {A.dtype} and other's dtype {B.dtype}")
    vector = B.ndim == A.ndim - 1
    B2 = B.unsqueeze(-1) if vector else B
    if B2.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2). Got {A.shape[-2]} and "
                           f"{B2.shape[-2]}")
    m, n = A.shape[-2], A.shape[-1]
    rtol = _eps(A) * max(m, n) if rcond is None or rcond < 0 else rcond
    X = matmul(pinv(A, rtol=rtol), B2)
    empty = tensor([], dtype=A.dtype.to_real(), device=A.device)  # residuals, singular values: real
    rank = tensor([], dtype=_int64(), device=A.device)
    sv = empty
    if driver != "gels":
        rank = matrix_rank(A, rtol=rtol)
    if driver in ("gelsd", "gelss"):
        sv = svdvals(A)
    residuals = empty
    full = driver == "gels" or bool((rank == n).all().item())
    if m > n and driver != "gelsy" and full:
        r = matmul(A, X) - B2
        r2 = (r * r.conj()).real if r.dtype.is_complex else r * r
        residuals = sum(r2, -2)  # (..., k); a vector B keeps k = 1, as torch
    return lstsq_result(X.squeeze(-1) if vector else X, residuals, rank, sv)


def _int64():
    from . import dtypes

    return dtypes.int64


def matrix_exp(A: Tensor) -> Tensor:
    """torch.linalg.matrix_exp: Pade(13) with scaling and squaring (Higham 2005), one scaling for the whole
    batch (its largest 1-norm); a composite of matmul and solve, so differentiable."""
    import numpy as np

    from .ops.creation import eye

    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 dimensions."
                           if A.ndim < 2 else f"linalg.matrix_exp: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got "
                           f"{dtypes.torch_name(A.dtype)}")
    if A.dtype is dtypes.float16:  # torch computes float16 too; ntorch's solve refuses half: go through float32
        return matrix_exp(A.float()).half()
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    norm1 = float(amax(sum(A.detach().abs(), -2)).item())
    theta13 = 5.371920351148152
    s = max(0, int(np.ceil(np.log2(norm1 / theta13)))) if norm1 > theta13 else 0
    X = A / (2.0 ** s) if s else A
    b = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
         10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
    ident = eye(n, dtype=A.dtype, device=A.device)
    X2 = matmul(X, X)
    X4 = matmul(X2, X2)
    X6 = matmul(X4, X2)
    U = matmul(X, matmul(X6, b[13] * X6 + b[11] * X4 + b[9] * X2) + b[7] * X6 + b[5] * X4 + b[3] * X2 + b[1] * ident)
    V = matmul(X6, b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 + b[0] * ident
    R = solve(V - U, V + U)
    for _ in range(s):
        R = matmul(R, R)
    return R


def tensorinv(A: Tensor, ind: int = 2, *, out=None) -> Tensor:
    """torch.linalg.tensorinv: the inverse of A seen as a (prod(shape[:ind]), prod(shape[ind:])) matrix, shaped
    shape[ind:] + shape[:ind]."""
    import math as _math

    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = _math.prod(A.shape[:ind]), _math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return _finish(inv(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind]), out, "linalg.tensorinv")


def tensorsolve(A: Tensor, B: Tensor, dims=None, *, out=None) -> Tensor:
    """torch.linalg.tensorsolve: X with tensordot(A, X, X.ndim) = B; `dims` of A move to the end first."""
    import math as _math

    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.movedim(tuple(dims), tuple(range(A.ndim - len(dims), A.ndim)))
    rows, cols = _math.prod(A.shape[B.ndim:]), _math.prod(A.shape[:B.ndim])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {rows} != {cols}")
    return _finish(solve(A.reshape(cols, rows), B.reshape(cols)).reshape(*A.shape[B.ndim:]), out,
                   "linalg.tensorsolve")


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """torch.diagonal over the last two dims by default."""
    return A.diagonal(offset, dim1, dim2)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803 - torch's name
    """(*, n) -> (*, n, N): the powers x^0 .. x^(N-1) of each element, by a running product as torch."""
    from . import dtypes
    from .ops import joins

    if x.dtype is dtypes.bool:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    n = (x.shape[-1] if x.ndim else 1) if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    col = x.unsqueeze(-1)
    ones = col.new_ones(col.shape)
    return joins.FUNCTIONS["cat"]([ones, col.expand(*col.shape[:-1], n - 1)], -1).cumprod(-1)


def householder_product(A: Tensor, tau: Tensor, *, out=None) -> Tensor:
    """The first n columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^H with v_i the i-th column of A below
    its diagonal and 1 on it (LAPACK's orgqr: Q from geqrf's compact form)."""
    from .ops import creation

    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if tau.ndim < 1 or n < tau.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1 or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    if tau.dtype is not A.dtype:
        from . import dtypes

        raise RuntimeError(f"{op}: tau dtype {dtypes.torch_name(tau.dtype)} does not match input dtype "
                           f"{dtypes.torch_name(A.dtype)}")
    if not (A.is_floating_point() or A.is_complex()):
        from . import dtypes

        raise NotImplementedError(f"\"orgqr_{A.device.type}\" not implemented for '{dtypes.torch_name(A.dtype)}'")
    rows = creation.arange(m, device=A.device)
    q = creation.eye(m, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], m, m)
    for i in range(tau.shape[-1]):
        v = A[..., :, i].masked_fill(rows < i, 0.0).masked_fill(rows == i, 1.0)  # (*, m)
        qv = q.matmul(v.unsqueeze(-1))  # (*, m, 1)
        vh = v.unsqueeze(-2).conj() if v.dtype.is_complex else v.unsqueeze(-2)  # H_i = I - tau v v^H
        q = q - (qv * tau[..., i, None, None]).matmul(vh)
    out_q = q[..., :, :n]
    return out_q if out is None else out.copy_(out_q)
