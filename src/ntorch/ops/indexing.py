"""Basic indexing (int, slice, None, Ellipsis) as views; setitem; nonzero."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def _normalize_index(arr: np.ndarray, index) -> tuple:
    """Validate a basic index against arr's shape, raising torch's errors; return a NumPy index.

    The result always ends in (or contains) an Ellipsis, so that NumPy returns a view even when every
    dim is indexed by an int (a 0-d array rather than a NumPy scalar, which would be a copy)."""
    if not isinstance(index, tuple):
        index = (index,)
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    if arr.ndim == 0 and consumed and all(isinstance(i, int | np.integer) and not isinstance(i, bool | np.bool_)
                                          for i in index if i is not None and i is not Ellipsis):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                         "C++ to convert a 0-dim tensor to a number")
    if consumed > arr.ndim:
        raise IndexError(f"too many indices for tensor of dimension {arr.ndim}")
    out, dim, seen_ellipsis = [], 0, False
    for pos, i in enumerate(index):
        if i is None:
            out.append(None)
        elif i is Ellipsis:
            # torch expands the first Ellipsis; any later one stands for no dims
            if not seen_ellipsis:
                out.append(Ellipsis)
                dim += arr.ndim - consumed
                seen_ellipsis = True
        elif isinstance(i, bool | np.bool_):
            raise IndexError("boolean scalar indices are not supported by ntorch basic indexing yet")
        elif isinstance(i, int | np.integer) or (isinstance(i, Tensor) and i.numel() == 1 and i.ndim == 0
                                                  and not i.is_floating_point()):
            i = int(i)
            size = arr.shape[dim]
            if i < -size or i >= size:
                # torch names the position of the index in the index tuple, not the tensor dim
                raise IndexError(f"index {i} is out of bounds for dimension {pos} with size {size}")
            out.append(i)
            dim += 1
        elif isinstance(i, slice):
            for part in (i.start, i.stop, i.step):
                if part is not None and not isinstance(part, int | np.integer | Tensor):
                    raise TypeError("slice indices must be integers or None or have an __index__ method")
            if i.step is not None and int(i.step) == 0:
                raise ValueError("slice step cannot be zero")
            if i.step is not None and int(i.step) < 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(*(None if p is None else int(p) for p in (i.start, i.stop, i.step))))
            dim += 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(i).__name__})")
    if not seen_ellipsis:
        out.append(Ellipsis)
    return tuple(out)


def getitem(self: Tensor, index) -> Tensor:
    return self._view_of(self._data[_normalize_index(self._data, index)])


def setitem(self: Tensor, index, value) -> None:
    """self[index] = value: value broadcasts to the indexed view as torch's copy_ does (leading size-1
    dims of a tensor value are dropped first) and is cast to self's dtype."""
    target = self._data[_normalize_index(self._data, index)]
    if isinstance(value, Tensor):
        from .shape import expand

        src = value
        lead = 0
        while lead < src.ndim - target.ndim and src.shape[lead] == 1:
            lead += 1
        if lead:
            src = src.reshape(tuple(src.shape[lead:]))
        src = expand(src, target.shape)._data
    elif isinstance(value, bool | int | float | np.generic):
        src = value
    else:
        from .shape import _legacy_type

        kind = type(value)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"can't assign a {name} to a {_legacy_type(self)}")
    if target.dtype == np.bool_ and isinstance(src, np.ndarray) and src.dtype != np.bool_:
        src = src != 0
    with np.errstate(invalid="ignore", over="ignore"):
        target[...] = src
    self._bump_version()


def nonzero(input: Tensor, *, as_tuple: bool = False):
    idx = np.nonzero(input._data) if input.ndim else np.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in idx)
    return Tensor._wrap(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))


# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
FUNCTIONS: dict = {"nonzero": nonzero}
METHODS: dict = {"nonzero": nonzero, "__getitem__": getitem, "__setitem__": setitem}
