"""select_scatter, slice_scatter, diagonal_scatter, as_strided_scatter: a copy of input with src written into
one of its views (composed of clone and an in-place copy, so autograd and CUDA come from those ops)."""

from __future__ import annotations

from ..tensor import Tensor
from ._util import check_tensor, takes_out


def _scatter_into(input: Tensor, src: Tensor, view_of, name: str) -> Tensor:
    check_tensor(input, name)
    out = input.clone()
    view = view_of(out)
    if tuple(view.shape) != tuple(src.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(view.shape)}")
    view.copy_(src)
    return out


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    return _scatter_into(input, src, lambda t: t.select(dim, index), "select_scatter")


@takes_out("slice_scatter")
def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
                  step: int = 1) -> Tensor:
    def view(t: Tensor) -> Tensor:
        index = [slice(None)] * t.ndim
        index[dim] = slice(start, end, step)
        return t[tuple(index)]

    return _scatter_into(input, src, view, "slice_scatter")


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return _scatter_into(input, src, lambda t: _diagonal_view(t, offset, dim1, dim2), "diagonal_scatter")


def _diagonal_view(t: Tensor, offset: int, dim1: int, dim2: int) -> Tensor:
    """t.diagonal(offset, dim1, dim2) as an as_strided view (which also works on CUDA tensors)."""
    from ..tensor import _wrap_dim
    from .misc import as_strided

    d1, d2 = _wrap_dim(dim1, t.ndim, "diagonal"), _wrap_dim(dim2, t.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    sizes, strides = list(t.shape), list(t.stride())
    n1, n2 = (sizes[d1], sizes[d2] - offset) if offset >= 0 else (sizes[d1] + offset, sizes[d2])
    length = max(0, min(n1, n2))
    start = t.storage_offset() + (offset * strides[d2] if offset >= 0 else -offset * strides[d1])
    if length == 0:
        start = t.storage_offset()
    keep = [i for i in range(t.ndim) if i not in (d1, d2)]
    return as_strided(t, [sizes[i] for i in keep] + [length], [strides[i] for i in keep] + [strides[d1] + strides[d2]],
                      start)


def as_strided_scatter(input: Tensor, src: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    from .misc import as_strided

    return _scatter_into(input, src, lambda t: as_strided(t, size, stride, storage_offset), "as_strided_scatter")


FUNCTIONS = {"select_scatter": select_scatter, "slice_scatter": slice_scatter, "diagonal_scatter": diagonal_scatter,
             "as_strided_scatter": as_strided_scatter}
METHODS = dict(FUNCTIONS)
