"""Distances between rows: pairwise_distance, cosine_similarity, pdist, composed of ntorch ops."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..ops import pointwise, reduction
from ..ops._util import broadcast_shapes, check_tensor, result_dtype
from ..tensor import Tensor, _wrap_dim


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim of the broadcast pair."""
    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2")
    dim = max(x1.ndim, x2.ndim) - 1
    if dim < 0:
        return reduction.norm(x1 - x2 + eps, p)
    return reduction.norm(x1 - x2 + eps, p, dim, keepdim=keepdim)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """||x||_2 over dim (kept), clamped at eps with the gradient of the unclamped norm, as torch's no-grad
    clamp_min_ leaves it."""
    norm = reduction.norm(x, 2, dim, keepdim=True)
    return norm + (pointwise.clamp_min(norm, eps) - norm).detach()


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) over dim, after broadcasting x1 and x2."""
    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2")
    dt = result_dtype(x1, x2)
    if not dt.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{dtypes.torch_name(dt)}")
    shape = tuple(broadcast_shapes(x1.shape, x2.shape))
    a = x1.to(dt).expand(*shape)
    b = x2.to(dt).expand(*shape)
    d = _wrap_dim(int(dim), len(shape), "cosine_similarity")
    return ((a / _clamped_norm(a, d, eps)) * (b / _clamped_norm(b, d, eps))).sum(d)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """||x_i - x_j||_p for every row pair i < j of a 2-D input, in row-major pair order."""
    from ..ops.creation import tensor

    check_tensor(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if isinstance(p, Tensor) and p.ndim == 0:  # torch's float arguments take 0-d tensors
        p = p.item()
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], 1)
    ii = tensor(i.astype(np.int64), device=input.device)
    jj = tensor(j.astype(np.int64), device=input.device)
    diff = input.index_select(0, ii) - input.index_select(0, jj)
    return reduction.norm(diff, p, 1)


# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {"pairwise_distance": pairwise_distance, "cosine_similarity": cosine_similarity, "pdist": pdist}
