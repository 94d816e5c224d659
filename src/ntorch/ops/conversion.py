"""dtype conversions and copies: to, type casts, copy_, fill_, zero_."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..devices import as_device
from ..tensor import Tensor
from ._util import is_scalar


def _cast(arr: np.ndarray, dt: dtypes.dtype) -> np.ndarray:
    """torch's casts: float->int truncates toward zero; float->bool is `!= 0`."""
    if dt is dtypes.bool:
        return arr != 0
    return arr.astype(dt.np)


def to(self: Tensor, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False,
       memory_format=None) -> Tensor:
    for a in args:
        if isinstance(a, dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str | device):
            try:
                as_device(a)
            except RuntimeError:
                if isinstance(a, str) and a in dtypes._BY_NAME:
                    dtype = a
                    continue
                raise
        elif a is not None:
            dtype = a
    if device is not None:
        as_device(device)
    dt = self.dtype if dtype is None else dtypes.as_dtype(dtype)
    if dt is self.dtype and not copy:
        return self
    return Tensor._wrap(_cast(self._data, dt))


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return to(self, other.dtype)


def _caster(dt: dtypes.dtype):
    def cast(self: Tensor, memory_format=None) -> Tensor:
        return to(self, dt)

    cast.__name__ = dt.name
    return cast


CASTS = {
    "float": dtypes.float32, "double": dtypes.float64, "half": dtypes.float16, "long": dtypes.int64,
    "int": dtypes.int32, "short": dtypes.int16, "char": dtypes.int8, "byte": dtypes.uint8, "bool": dtypes.bool,
}
CAST_METHODS = {name: _caster(dt) for name, dt in CASTS.items()}


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy src into self with broadcasting and casting (any dtype to any dtype, as torch)."""
    arr = src._data if isinstance(src, Tensor) else np.asarray(src)
    try:
        np.broadcast_shapes(arr.shape, self._data.shape)
        if np.broadcast_shapes(arr.shape, self._data.shape) != self._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({list(self._data.shape)}) must match the size of tensor b "
                           f"({list(arr.shape)}): copy_ cannot broadcast the source to the destination") from None
    if self._data.dtype == np.bool_ and arr.dtype != np.bool_:
        arr = arr != 0
    self._data[...] = arr
    self._bump_version()
    return self


def fill_(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        value = value.item()
    if not is_scalar(value):
        raise TypeError(f"fill_(): argument 'value' must be Number, not {type(value).__name__}")
    self._data.fill(value)
    self._bump_version()
    return self


def zero_(self: Tensor) -> Tensor:
    return fill_(self, 0)
