"""Helpers shared by op definitions: argument checks, broadcasting, output handling."""

from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from ..tensor import Tensor, _wrap_dim

SCALAR_TYPES = (bool, int, float, np.bool_, np.integer, np.floating)


def is_scalar(x) -> bool:
    return isinstance(x, SCALAR_TYPES) or (isinstance(x, numbers.Number) and not isinstance(x, complex))


def check_tensor(x, op: str, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def broadcast_shapes(*shapes) -> tuple:
    """torch.broadcast_shapes with torch's error message naming both sizes and the dimension."""
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for s in shapes:
        offset = ndim - len(s)
        for i, n in enumerate(s):
            d = offset + i
            r = result[d]
            if n != r:
                if r == 1:
                    result[d] = n
                elif n != 1:
                    raise RuntimeError(
                        f"The size of tensor a ({r}) must match the size of tensor b ({n}) "
                        f"at non-singleton dimension {i}"
                    )
    return tuple(result)


def broadcast_pair_error(op: str, a: tuple, b: tuple) -> None:
    ndim = max(len(a), len(b))
    pa = (1,) * (ndim - len(a)) + tuple(a)
    pb = (1,) * (ndim - len(b)) + tuple(b)
    for d in range(ndim):
        if pa[d] != pb[d] and pa[d] != 1 and pb[d] != 1:
            raise RuntimeError(
                f"{op}: The size of tensor a ({pa[d]}) must match the size of tensor b ({pb[d]}) "
                f"at non-singleton dimension {d}"
            )


def normalize_dims(dim, ndim: int, op: str) -> tuple[int, ...]:
    """dim as None (all), an int or a sequence of ints -> sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int | np.integer) and not isinstance(dim, bool):
        return (_wrap_dim(int(dim), ndim, op),)
    dims = tuple(_wrap_dim(int(d), ndim, op) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def result_dtype(*args) -> dtypes.dtype:
    """torch.result_type over tensors and Python scalars."""
    dim, zero, scal = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            (dim if a._data.ndim else zero).append(a.dtype)
        elif a is not None:
            scal.append(dtypes.scalar_dtype(a))
    return dtypes.result_type_of(dim, zero, scal)


def write_out(out: Tensor, result: np.ndarray, op: str) -> Tensor:
    """Copy a computed result into a user's out= tensor, resizing an empty one as torch does."""
    check_tensor(out, op, "out")
    src = dtypes.from_numpy_dtype(result.dtype)
    if not dtypes.can_cast(src, out.dtype):
        raise RuntimeError(f"{op}: result type {src.name} can't be cast to the desired output type {out.dtype.name}")
    if out._data.shape != result.shape:
        if out._data.size != 0 and out._data.shape != result.shape:
            raise RuntimeError(
                f"{op}: out= tensor has shape {list(out._data.shape)} but the result has shape {list(result.shape)}"
            )
        fresh = np.empty(result.shape, out._data.dtype)
        out._data = fresh
        out._store = None
        out._base = None
    out._data[...] = result
    out._bump_version()
    return out
