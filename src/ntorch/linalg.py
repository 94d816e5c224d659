"""ntorch.linalg: torch.linalg's norms (composites of ntorch reductions, so they run on either device and are
differentiable), plus the products under their linalg names. Orders that need an SVD (matrix 2, -2, 'nuc') raise
NotImplementedError: ntorch has no SVD yet."""

from __future__ import annotations

import math

from .ops.linalg import matmul  # noqa: F401  (torch.linalg.matmul is torch.matmul)
from .ops.reduction import amax, amin, sum
from .ops.reduction import norm as _norm
from .ops.shape import flatten
from .tensor import Tensor

__all__ = ["vector_norm", "matrix_norm", "norm", "matmul"]


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The ord-norm of x over dim (every element when dim is None), as torch.linalg.vector_norm."""
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return _norm(x, float(ord), dim, keepdim, dtype)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro', inf/-inf (max/min absolute row sum), 1/-1 (columns)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return _norm(A, 2.0, (d0, d1), keepdim, dtype)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values; ntorch has no SVD yet")
    if ord not in (math.inf, -math.inf, 1, -1):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    x = A.to(dtype) if dtype is not None else A
    if not x.dtype.is_floating_point:
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype}")
    summed, other = (d1, d0) if abs(ord) == math.inf else (d0, d1)  # inf: sum along rows; 1: along columns
    sums = sum(x.abs(), summed, keepdim=True)
    res = (amax if ord > 0 else amin)(sums, other, keepdim=True)
    return res if keepdim else res.squeeze(max(d0, d1)).squeeze(min(d0, d1))


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """torch.linalg.norm: a vector norm for one dim (or a 1-D input), a matrix norm for two (or a 2-D input);
    ord None with dim None: the 2-norm of every element."""
    if isinstance(dim, int):
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
