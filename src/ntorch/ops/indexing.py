"""Basic indexing (int, slice, None, Ellipsis) as views; setitem; nonzero."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def _normalize_index(arr: np.ndarray, index) -> tuple:
    """Validate a basic index against arr's shape, raising torch's errors; return a NumPy index."""
    if not isinstance(index, tuple):
        index = (index,)
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    if sum(1 for i in index if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > arr.ndim:
        raise IndexError(f"too many indices for tensor of dimension {arr.ndim}")
    out, dim = [], 0
    for i in index:
        if i is None:
            out.append(None)
        elif i is Ellipsis:
            out.append(Ellipsis)
            dim += arr.ndim - consumed
        elif isinstance(i, bool | np.bool_):
            raise IndexError("boolean scalar indices are not supported by ntorch basic indexing yet")
        elif isinstance(i, int | np.integer) or (isinstance(i, Tensor) and i.numel() == 1 and i.ndim == 0
                                                  and not i.is_floating_point()):
            i = int(i)
            size = arr.shape[dim]
            if i < -size or i >= size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            out.append(i)
            dim += 1
        elif isinstance(i, slice):
            for part in (i.start, i.stop, i.step):
                if part is not None and not isinstance(part, int | np.integer | Tensor):
                    raise TypeError("slice indices must be integers or None or have an __index__ method")
            if i.step is not None and int(i.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(*(None if p is None else int(p) for p in (i.start, i.stop, i.step))))
            dim += 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(i).__name__})")
    return tuple(out)


def getitem(self: Tensor, index) -> Tensor:
    return self._view_of(self._data[_normalize_index(self._data, index)])


def setitem(self: Tensor, index, value) -> None:
    target = self._data[_normalize_index(self._data, index)]
    src = value._data if isinstance(value, Tensor) else value
    if isinstance(value, Tensor):
        try:
            np.broadcast_shapes(src.shape, np.shape(target))
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(src.shape)} cannot be broadcast to "
                               f"indexing result of shape {list(np.shape(target))}") from None
    if isinstance(target, np.ndarray):
        target[...] = src
    else:
        self._data[_normalize_index(self._data, index)] = src
    self._bump_version()


def nonzero(input: Tensor, *, as_tuple: bool = False):
    idx = np.nonzero(input._data) if input.ndim else np.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in idx)
    return Tensor._wrap(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))
