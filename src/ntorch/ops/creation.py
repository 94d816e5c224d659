"""Tensor creation: tensor, zeros, ones, full, arange, linspace, eye, *_like, from_numpy."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes
from ..devices import as_device
from ..tensor import Tensor
from ._util import is_scalar


def _shape_arg(size, op: str) -> tuple[int, ...]:
    if len(size) == 1 and not isinstance(size[0], int | np.integer):
        size = size[0]
    try:
        shape = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, but found {size!r}") from None
    for s, orig in zip(shape, size):
        if isinstance(orig, float) or isinstance(orig, bool):
            raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, but found element of type "
                            f"{type(orig).__name__}")
        if s < 0:
            raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


def _dt(dtype, default: dtypes.dtype | None = None) -> dtypes.dtype:
    if dtype is None:
        return default or dtypes.get_default_dtype()
    return dtypes.as_dtype(dtype)


def _finish(arr: np.ndarray, requires_grad: bool = False) -> Tensor:
    t = Tensor._wrap(arr)
    if requires_grad:
        if not t.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def _infer_dtype(data) -> dtypes.dtype:
    """torch.tensor's inference: bool < int64 < default float over every leaf of nested lists."""
    kinds = set()

    def walk(x):
        if isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, np.ndarray):
            kinds.add(dtypes.from_numpy_dtype(x.dtype))
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v)
        elif isinstance(x, bool | np.bool_):
            kinds.add(dtypes.bool)
        elif isinstance(x, numbers.Integral):
            kinds.add(dtypes.int64)
        elif isinstance(x, numbers.Real):
            kinds.add(dtypes.get_default_dtype())
        elif isinstance(x, np.generic):
            kinds.add(dtypes.from_numpy_dtype(x.dtype))
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")

    walk(data)
    if not kinds:
        return dtypes.get_default_dtype()
    out = None
    for k in kinds:
        out = k if out is None else dtypes.promote_types(out, k)
    return out


def _check_ragged(data, depth: int = 0) -> tuple:
    if isinstance(data, Tensor):
        return tuple(data.shape)
    if isinstance(data, np.ndarray):
        return data.shape
    if not isinstance(data, list | tuple):
        return ()
    shapes = [_check_ragged(v, depth + 1) for v in data]
    if shapes and any(s != shapes[0] for s in shapes):
        for s in shapes:
            if len(s) != len(shapes[0]) or s != shapes[0]:
                raise ValueError(f"expected sequence of length {shapes[0][0] if shapes[0] else 0} at dim "
                                 f"{depth + 1} (got {s[0] if s else 0})")
    return (len(data),) + (shapes[0] if shapes else ())


def _to_array(data, dt: dtypes.dtype) -> np.ndarray:
    if isinstance(data, Tensor):
        return data._data.astype(dt.np, copy=True)
    if isinstance(data, list | tuple) and any(isinstance(v, Tensor) for v in data):
        data = [v._data if isinstance(v, Tensor) else v for v in data]
    if dt.is_floating_point:
        arr = np.array(data, dtype=np.float64)
        return arr.astype(dt.np)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        arr = np.trunc(arr)
    return arr.astype(dt.np)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """torch.tensor: always copies; infers dtype from the data like torch."""
    as_device(device)
    if isinstance(data, str) or data is None:
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, np.ndarray):
        dt = _dt(dtype, dtypes.from_numpy_dtype(data.dtype))
        return _finish(np.array(data, dtype=dt.np, copy=True), requires_grad)
    _check_ragged(data)
    dt = _dt(dtype, _infer_dtype(data))
    return _finish(_to_array(data, dt), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Share memory with a Tensor or ndarray when the dtype allows, as torch.as_tensor."""
    as_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or dtypes.as_dtype(dtype) is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray):
        t = from_numpy(data)
        return t if dtype is None or dtypes.as_dtype(dtype) is t.dtype else t.to(dtype)
    return tensor(data, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with `arr` (torch rejects negative strides; so do we)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    dtypes.from_numpy_dtype(arr.dtype)
    if any(s < 0 for s in arr.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making "
                         "a copy of your array  with array.copy().) ")
    if any(s % arr.itemsize for s in arr.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    return Tensor._wrap(arr)


def _filled(size, value, dtype, op: str, requires_grad: bool, device) -> Tensor:
    as_device(device)
    shape = _shape_arg(size, op)
    dt = _dt(dtype)
    arr = np.empty(shape, dt.np)
    arr.fill(value)
    return _finish(arr, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    as_device(device)
    return _finish(np.zeros(_shape_arg(size, "zeros"), _dt(dtype).np), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled(size, 1, dtype, "ones", requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    as_device(device)
    return _finish(np.empty(_shape_arg(size, "empty"), _dt(dtype).np), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    if not is_scalar(fill_value):
        if isinstance(fill_value, Tensor) and fill_value.numel() == 1:
            fill_value = fill_value.item()
        else:
            raise TypeError(f"full(): argument 'fill_value' must be Number, not {type(fill_value).__name__}")
    return _filled((size,), fill_value, dtype, "full", requires_grad, device)


def _like(input: Tensor, dtype):
    return input.dtype if dtype is None else dtypes.as_dtype(dtype)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    return zeros(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    return ones(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    return empty(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    return full(input.shape, fill_value, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """torch.arange: int64 when all of start/end/step are ints, else the default float dtype."""
    as_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("arange: upper bound and larger bound inconsistent with step sign")
    for v in vals:
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    all_int = all(isinstance(v, int | np.integer) for v in vals)
    dt = _dt(dtype, dtypes.int64 if all_int else None)
    n = max(0, math.ceil((end - start) / step))
    if all_int:
        arr = start + step * np.arange(n, dtype=np.int64)
    else:
        arr = start + step * np.arange(n, dtype=np.float64)
    return _finish(arr.astype(dt.np), requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    as_device(device)
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    dt = _dt(dtype)
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps == 1:
        arr = np.array([start], dtype=np.float64)
    else:
        # torch fills the first half forward from start and the second half backward from end
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
        idx = np.arange(steps, dtype=np.float64)
        half = steps // 2
        arr = np.where(idx < half, start + step * idx, end - step * (steps - 1 - idx))
    if not dt.is_floating_point:
        arr = np.trunc(arr)
    return _finish(arr.astype(dt.np), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    lin = linspace(start, end, steps, dtype=dtypes.float64)
    dt = _dt(dtype)
    return _finish(np.power(base, lin._data).astype(dt.np), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    as_device(device)
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    return _finish(np.eye(n, n if m is None else m, dtype=_dt(dtype).np), requires_grad)
