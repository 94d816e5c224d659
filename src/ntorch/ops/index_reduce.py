"""torch.index_reduce / Tensor.index_reduce_: reduce source's slices into self's slices picked by a 1-D index.

It is scatter_reduce with the index broadcast along every other dim, so values, include_self and the backward
(prod with zeros, amax/amin ties shared evenly, mean counts) are scatter_reduce's, as in torch."""

from __future__ import annotations

from .. import dtypes
from ..tensor import Tensor, _wrap_dim
from . import indexing
from ._util import check_tensor, takes_out

_REDUCES = ("prod", "mean", "amax", "amin")


def _prepare(self: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str) -> tuple[int, Tensor]:
    """torch's index_reduce checks, then the scatter index: index laid along dim, expanded to source's shape."""
    check_tensor(self, "index_reduce")
    check_tensor(index, "index_reduce", "index")
    check_tensor(source, "index_reduce", "source")
    if reduce not in _REDUCES:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d = _wrap_dim(dim, self.ndim)
    if index.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
                         f"{dtypes.torch_name(index.dtype)} and size: {list(index.shape)}")
    if index.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{dtypes.torch_name(index.dtype)}")
    n_src = source.shape[d] if source.ndim else 1
    if index.numel() != n_src:
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({n_src}), for dim: {d}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_reduce_(): self ({dtypes.torch_name(self.dtype)}) and source "
                           f"({dtypes.torch_name(source.dtype)}) must have the same scalar type")
    same = self.ndim == source.ndim and all(a == b for i, (a, b) in enumerate(zip(self.shape, source.shape))
                                            if i != d)
    if not same:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(self.shape)} source.shape = {list(source.shape)}")
    size = self.shape[d] if self.ndim else 1
    flat = index.reshape(-1).to(dtypes.int64)
    if flat.numel() and (bool((flat < 0).any()) or bool((flat >= size).any())):
        raise IndexError("index out of range in self")
    if source.ndim == 0:
        return d, flat.reshape(())
    view = [1] * source.ndim
    view[d] = flat.numel()
    return d, flat.reshape(view).expand(*source.shape).contiguous()


@takes_out("index_reduce")
def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """A copy of input with source's slices reduced (prod, mean, amax, amin) into the slices index names."""
    d, idx = _prepare(input, dim, index, source, reduce)
    return indexing.scatter_reduce(input, d, idx, source, reduce, include_self=include_self)


def index_reduce_(self: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                  include_self: bool = True) -> Tensor:
    d, idx = _prepare(self, dim, index, source, reduce)
    return indexing.scatter_reduce_(self, d, idx, source, reduce, include_self=include_self)


FUNCTIONS = {"index_reduce": index_reduce}
METHODS = {"index_reduce": index_reduce, "index_reduce_": index_reduce_}
