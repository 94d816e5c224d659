"""Tensor creation: tensor, zeros, ones, full, arange, linspace, eye, *_like, from_numpy."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _arrays, dtypes, layouts
from ..devices import as_device, cuda_index
from ..tensor import Tensor
from ._util import check_scalar_fits, fill_value, is_scalar

_SEQ_TYPES = (tuple, list)


def _shape_arg(size, op: str) -> tuple[int, ...]:
    """Sizes given as varargs or one sequence; torch's TypeErrors for non-ints, RuntimeError for negatives."""
    dims = size[0] if len(size) == 1 and type(size[0]) in _SEQ_TYPES else size
    for s in dims:  # the common case, plain non-negative ints, without the checks' isinstance calls
        if type(s) is not int or s < 0:
            break
    else:
        return tuple(dims)
    if len(size) == 1 and not isinstance(size[0], int | np.integer):
        one = size[0]
        if (isinstance(one, Tensor) and one.numel() == 1 and not one.is_floating_point() and not one.is_complex()
                and one.dtype is not dtypes.bool):
            size = (one.item(),)  # torch reads a one-element integer tensor as one size
        elif not isinstance(one, tuple | list):
            raise TypeError(f"{op}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(size[0]).__name__}")
        else:
            size = one
    shape = []
    for pos, s in enumerate(size, 1):
        if isinstance(s, Tensor) and s.ndim == 0 and not s.is_floating_point():
            s = s.item()
        if isinstance(s, bool | np.bool_) and pos > 1:  # torch takes a bool as a size, except the first
            s = int(s)
        if isinstance(s, bool | np.bool_) or not isinstance(s, int | np.integer):
            if len(size) == 1:
                raise TypeError(f"{op}(): argument 'size' (position 1) must be tuple of ints, not {type(s).__name__}")
            raise TypeError(f"{op}(): argument 'size' failed to unpack the object at pos {pos} with error \"type "
                            f"must be tuple of ints,but got {type(s).__name__}\"")
        shape.append(int(s))
    for s in shape:
        if s < 0:
            if op == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {shape}")
    return tuple(shape)


def _dt(dtype, default: dtypes.dtype | None = None) -> dtypes.dtype:
    if dtype is None:
        return default or dtypes.get_default_dtype()
    return dtypes.as_dtype(dtype)


_PLACED = object()  # _finish's default: the array is already where the tensor goes


def _finish(arr: np.ndarray, requires_grad: bool = False, device=_PLACED) -> Tensor:
    """The tensor of an array made by a creation function, moved to `device` (the user's argument: None means
    the default device) when that is a GPU."""
    if device is not _PLACED:
        d = as_device(device)
        if d.type == "cuda" and not _arrays.is_cuda(arr):
            arr = _arrays.to_device(arr, cuda_index(d))
    t = Tensor._wrap(arr)
    if requires_grad:
        if t.dtype.category < dtypes.FLOAT:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def into_out(op: str, out: Tensor, dtype, make, requires_grad: bool = False) -> Tensor:
    """A factory's out=: `make(dtype)` computed in out's dtype (the given dtype must match it, as torch) on out's
    device, then written into out, which is resized to the result's shape without a warning (as torch's
    factories do) and returned."""
    from ._util import check_tensor, resize_out

    check_tensor(out, op, "out")
    dt = out.dtype if dtype is None else dtypes.as_dtype(dtype)
    if dt is not out.dtype:
        raise RuntimeError(f"dtype {dtypes.torch_name(dt)} does not match dtype of out parameter "
                           f"({dtypes.torch_name(out.dtype)})")
    res = make(dt, out.device)
    resize_out(out, res._data.shape, op, warn_nonempty=False)
    out._bump_version()
    _arrays.copy_into(out._data, res._data)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _infer_dtype(data) -> dtypes.dtype:
    """torch.tensor's inference: promote over every leaf; an empty sequence counts as the default float."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, np.ndarray | np.generic):
        return dtypes.user_numpy_dtype(data.dtype)
    if isinstance(data, list | tuple):
        if len(data) == 0:
            return dtypes.get_default_dtype()
        out = None
        for v in data:
            d = _infer_dtype(v)
            out = d if out is None else dtypes.promote_types(out, d)
        return out
    if isinstance(data, bool):
        return dtypes.bool
    if isinstance(data, numbers.Integral):
        return dtypes.int64
    if isinstance(data, numbers.Real):
        return dtypes.get_default_dtype()
    if isinstance(data, numbers.Complex):
        return dtypes.scalar_dtype(complex(data))
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _sizes_of(data) -> tuple[int, ...]:
    """torch's compute_sizes: follow the first element of each nested sequence (a tensor inside a list is a scalar
    there, so torch.tensor([ones(1), ones(1)]) has shape (2,))."""
    sizes = []
    while True:
        if isinstance(data, Tensor):
            return tuple(sizes) + (() if sizes else tuple(data.shape))
        if isinstance(data, np.ndarray):
            return tuple(sizes) + data.shape
        if not isinstance(data, list | tuple):
            return tuple(sizes)
        sizes.append(len(data))
        if not data:
            return tuple(sizes)
        data = data[0]


def _leaves(data, sizes: tuple, dim: int, out: list) -> None:
    """Check `data` against `sizes` as torch's recursive_store does; collect the scalar leaves."""
    if dim == len(sizes):
        if isinstance(data, list | tuple):
            raise TypeError(f"must be real number, not {type(data).__name__}")
        if isinstance(data, Tensor) and data.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        out.append(data)
        return
    if isinstance(data, Tensor | np.ndarray):
        shape = tuple(data.shape)
        if shape != tuple(sizes[dim:]):
            got = shape[0] if shape else 0
            raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {got})")
        return
    if not isinstance(data, list | tuple):
        raise TypeError("not a sequence")
    if len(data) != sizes[dim]:
        raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(data)})")
    for v in data:
        _leaves(v, sizes, dim + 1, out)


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_EXACT = 1 << 53  # ints below this in magnitude are exact as floats


_SCALAR_CPP = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t"}


def _check_overflow(leaves: list, dt: dtypes.dtype, scalar_op: bool = False) -> None:
    """torch converts each Python/NumPy scalar with an overflow check: ints outside int64 always fail;
    for integer dtypes, floats outside the dtype's range (or NaN) fail, and ints too (uint8 accepts
    -255..255, wrapping negative values). A complex value only goes into a complex dtype."""
    if len(leaves) == 1 and type(leaves[0]) is float and dt.category >= dtypes.FLOAT:
        return  # (the common fill value: nothing to check)
    if not dt.is_complex:
        for v in leaves:
            if isinstance(v, complex | np.complexfloating):
                raise TypeError(f"must be real number, not {type(v).__name__}")
    for v in leaves:
        if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
            if dt.category >= dtypes.FLOAT:
                continue
            if not _INT64_MIN <= int(v) <= _INT64_MAX:
                raise ValueError("Overflow when unpacking long long")
    if dt.category >= dtypes.FLOAT or dt is dtypes.bool:
        return
    info = np.iinfo(dt.np)
    for v in leaves:
        if isinstance(v, bool | np.bool_ | Tensor | np.ndarray):
            continue
        if isinstance(v, int | np.integer):
            v = int(v)
            bad = (v > info.max or -v > info.max) if info.min == 0 else not info.min <= v <= info.max
        else:
            v = float(v)
            bad = not (info.min <= v <= info.max)
        if bad:
            # tensor() names the dtype; full() and the like name the C++ type of the fill value
            name = _SCALAR_CPP[dt.name] if scalar_op else dt.name
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def _to_array(data, dt: dtypes.dtype, sizes: tuple) -> np.ndarray:
    if isinstance(data, Tensor):
        return data._data.astype(dt.np, copy=True)
    if 0 in sizes:
        return np.empty(sizes, dt.np)

    def unwrap(x, dim):
        if isinstance(x, Tensor):  # a scalar at the leaves (one element, checked), rows elsewhere
            return x._data.reshape(-1)[0] if dim == len(sizes) else x._data
        if isinstance(x, list | tuple):
            return [unwrap(v, dim + 1) for v in x]
        return x

    data = unwrap(data, 0)
    with np.errstate(invalid="ignore", over="ignore"):
        if dt.is_floating_point:
            return np.array(data, dtype=np.float64).astype(dt.np)
        if dt.is_complex:
            return np.array(data, dtype=np.complex128).astype(dt.np)
        arr = np.array(data)
        if dt is dtypes.bool:
            return arr != 0 if arr.dtype != np.bool_ else arr
        if arr.dtype.kind == "f":
            arr = np.trunc(arr)
        return arr.astype(dt.np)


def _flat_numbers(data: list) -> np.ndarray | None:
    """The common torch.tensor([1.5, 2.0]) / tensor([1, 2]): a flat list of Python floats (the default dtype) or of
    Python ints that fit int64, converted as the general path does; None for anything else."""
    first = type(data[0])
    if first is not float and first is not int:
        return None
    for v in data:
        if type(v) is not first:
            return None
    if first is int:
        try:
            return np.array(data, np.int64)
        except OverflowError:  # the general path raises torch's error
            return None
    with np.errstate(over="ignore"):  # beyond float32's range is inf, as torch
        return np.array(data, np.float64).astype(dtypes.get_default_dtype().np)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """torch.tensor: always copies; infers dtype from the data like torch."""
    as_device(device)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, np.ndarray):
        dt = _dt(dtype, dtypes.user_numpy_dtype(data.dtype))
        return _finish(np.array(data, dtype=dt.np, copy=True), requires_grad, device)
    if dtype is None and type(data) is list and data:
        arr = _flat_numbers(data)
        if arr is not None:
            return _finish(arr, requires_grad, device)
    dt = _dt(dtype, _infer_dtype(data))
    sizes = _sizes_of(data)
    leaves: list = []
    if 0 not in sizes:
        _leaves(data, sizes, 0, leaves)
    _check_overflow(leaves, dt)
    return _finish(_to_array(data, dt, sizes), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Share memory with a Tensor or ndarray when the dtype allows, as torch.as_tensor."""
    if isinstance(data, Tensor):
        t = data
    elif isinstance(data, np.ndarray):
        t = from_numpy(data)
    elif hasattr(data, "__cuda_array_interface__"):  # CuPy, PyTorch, Numba device arrays: shared, not copied
        from ..cuda.array import CudaArray

        t = Tensor._wrap(CudaArray.from_cuda_array_interface(data))
    else:
        return tensor(data, dtype=dtype, device=device)
    return t.to(device=device, dtype=dtype)


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with any object that has __dlpack__ (or a DLPack capsule), CPU or CUDA."""
    from ..cuda.dlpack import from_dlpack as _from_dlpack

    return Tensor._wrap(_from_dlpack(ext_tensor))


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with `arr` (torch rejects negative strides; so do we)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    dtypes.user_numpy_dtype(arr.dtype)
    if any(s < 0 for s in arr.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making "
                         "a copy of your array  with array.copy().) ")
    if any(s % arr.itemsize for s in arr.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    return Tensor._wrap(arr)


def _filled(size, value, dtype, op: str, requires_grad: bool, device) -> Tensor:
    d = as_device(device)
    shape = _shape_arg(size, op)
    dt = _dt(dtype)
    if not (type(value) is int and 0 <= value <= 1):  # (0 and 1 fit every dtype)
        _check_overflow([value], dt, scalar_op=True)
        check_scalar_fits(value, dt)  # torch's fill: the checked Scalar conversion (1e6 into float16 raises)
        value = fill_value(value, dt)
    if d.type == "cuda":  # filled on the device, no host array
        arr = _arrays.empty(shape, dt.np, cuda_index(d))
        _arrays.copy_into(arr, value)
        return _finish(arr, requires_grad)
    return _finish(_filled_array(shape, dt.np, value), requires_grad)


def _filled_array(shape: tuple, np_dtype, value) -> np.ndarray:
    """A new C-contiguous array of `value` (checked and converted by the caller); the cast of a value beyond a
    16-bit float's range gives infinity silently, as torch's fill."""
    if type(value) is int and value == 0:  # (not -0.0)
        return np.zeros(shape, np_dtype)
    arr = np.empty(shape, np_dtype)
    if type(value) in _SMALL_TYPES and -65504 <= value <= 65504:  # fits every float dtype: no cast warning
        arr.fill(value)
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            arr.fill(value)
    return arr


_SMALL_TYPES = (int, float, bool)


def zeros(*size, out: Tensor | None = None, dtype=None, layout=None, device=None, pin_memory: bool = False,
          requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("zeros", layout, pin_memory)
    if out is not None:
        return into_out("zeros", out, dtype, lambda dt, d: zeros(*size, dtype=dt, device=d), requires_grad)
    if as_device(device).type == "cuda":
        return _filled(size, 0, dtype, "zeros", requires_grad, device)
    return _finish(np.zeros(_shape_arg(size, "zeros"), _dt(dtype).np), requires_grad)


def ones(*size, out: Tensor | None = None, dtype=None, layout=None, device=None, pin_memory: bool = False,
         requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("ones", layout, pin_memory)
    if out is not None:
        return into_out("ones", out, dtype, lambda dt, d: ones(*size, dtype=dt, device=d), requires_grad)
    return _filled(size, 1, dtype, "ones", requires_grad, device)


def empty(*size, out: Tensor | None = None, dtype=None, layout=None, device=None, pin_memory: bool = False,
          requires_grad: bool = False, memory_format=None) -> Tensor:
    layouts.check_factory_args("empty", layout, pin_memory)
    if out is not None:
        return into_out("empty", out, dtype, lambda dt, d: empty(*size, dtype=dt, device=d), requires_grad)
    d = as_device(device)
    shape, dt = _shape_arg(size, "empty"), _dt(dtype)
    layouts.check_memory_format("empty", memory_format)
    strides = None if memory_format is layouts.preserve_format else layouts.format_strides(shape, memory_format)
    if strides is not None:  # channels_last[_3d]
        from .misc import empty_strided

        return empty_strided(shape, strides, dtype=dt, device=d, requires_grad=requires_grad)
    if d.type == "cuda":
        return _finish(_arrays.empty(shape, dt.np, cuda_index(d)), requires_grad)
    return _finish(np.empty(shape, dt.np), requires_grad)


def full(size, fill_value, *, out: Tensor | None = None, dtype=None, layout=None, device=None,
         pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("full", layout, pin_memory)
    if out is not None:
        return into_out("full", out, dtype, lambda dt, d: full(size, fill_value, dtype=dt, device=d), requires_grad)
    if not isinstance(size, tuple | list):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if isinstance(fill_value, Tensor) and fill_value.numel() == 1:
        fill_value = fill_value.item()
    if not is_scalar(fill_value):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    if dtype is None:
        dtype = dtypes.get_default_dtype() if type(fill_value) is float else dtypes.scalar_dtype(fill_value)
    return _filled((size,), fill_value, dtype, "full", requires_grad, device)


def _like(input: Tensor, dtype, fill, requires_grad: bool, device, memory_format=None, op: str = "empty_like",
          layout=None, pin_memory: bool = False) -> Tensor:
    """A tensor shaped like input and laid out as memory_format says (torch.preserve_format: like input),
    filled with `fill` unless None."""
    layouts.check_factory_args(op, layout, pin_memory)
    src = input._data
    if memory_format is None and device is None and type(src) is np.ndarray and src.flags.c_contiguous \
            and 1 not in src.shape:  # the common case: a C-contiguous host result (size-1 dims keep odd strides)
        dt = input.dtype if dtype is None else dtypes.as_dtype(dtype)
        if fill is None:
            return _finish(np.empty(src.shape, dt.np), requires_grad)
        if type(fill) is int and 0 <= fill <= 1:  # (fits every dtype)
            return _finish(_filled_array(src.shape, dt.np, fill), requires_grad)
    if memory_format is None and device is None and type(src) is _arrays.CudaArray and 1 not in src.shape \
            and src.flags.c_contiguous and (fill is None or (type(fill) is int and 0 <= fill <= 1)):
        # the same case on the device (the root gradient of every backward): the same array, filled by the same
        # kernel, as the general route below makes
        arr = _arrays.empty(src.shape, (dtypes._FROM_NP[src.dtype] if dtype is None else dtypes.as_dtype(dtype)).np,
                            src)
        if fill is not None:
            _arrays.copy_into(arr, fill)
        return _finish(arr, requires_grad)
    from .shape import empty_strided_array, like_strides

    strides = like_strides(input, memory_format, op)

    d = input.device if device is None else as_device(device)
    dt = input.dtype if dtype is None else dtypes.as_dtype(dtype)
    if fill is not None:
        if isinstance(fill, Tensor) and fill.numel() == 1:
            fill = fill.item()
        if not is_scalar(fill):
            raise TypeError(f"full_like(): argument 'fill_value' (position 2) must be Number, not "
                            f"{type(fill).__name__}")
        _check_overflow([fill], dt, scalar_op=True)
        check_scalar_fits(fill, dt)
        fill = fill_value(fill, dt)
    if d.type == "cuda":  # the same layout rule on the device, filled by the fill kernel
        arr = _arrays.empty_strided(input._data.shape, strides, dt.np, cuda_index(d))
        if fill is not None:
            _arrays.copy_into(arr, fill)
        return _finish(arr, requires_grad)
    arr = empty_strided_array(input._data.shape, strides, dt.np)
    if fill is not None:
        with np.errstate(invalid="ignore", over="ignore"):
            arr[...] = fill
    return _finish(arr, requires_grad)


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    return _like(input, dtype, 0, requires_grad, device, memory_format, "zeros_like", layout, pin_memory)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    return _like(input, dtype, 1, requires_grad, device, memory_format, "ones_like", layout, pin_memory)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    return _like(input, dtype, None, requires_grad, device, memory_format, "empty_like", layout, pin_memory)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    return _like(input, dtype, fill_value, requires_grad, device, memory_format, "full_like", layout, pin_memory)


def _real(v, op: str, name: str):
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise RuntimeError(f"{op}(): argument '{name}' must be a scalar, got a tensor of {v.numel()} elements")
        v = v.item()
    if not is_scalar(v):
        raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(v).__name__}")
    return v


def arange(start, end=None, step=1, *, out: Tensor | None = None, dtype=None, layout=None, device=None,
           pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """torch.arange: int64 when all of start/end/step are ints, else the default float dtype.

    As torch: the length is ceil((end - start) / step) computed in double; the values are start + i * step
    computed in double (float32 for float16/bfloat16 results); for integer results start/end/step are truncated
    to integers first (and for int64 the length is computed from the truncated values)."""
    layouts.check_factory_args("arange", layout, pin_memory)
    if out is not None:
        return into_out("arange", out, dtype, lambda dt, d: arange(start, end, step, dtype=dt, device=d),
                        requires_grad)
    as_device(device)
    if end is None:
        start, end = 0, start
    if type(start) is int and type(end) is int and type(step) is int:
        all_int = True
    else:
        start, end, step = (_real(v, "arange", n) for v, n in ((start, "start"), (end, "end"), (step, "step")))
        all_int = all(isinstance(v, int | np.integer) for v in (start, end, step))
    dt = _dt(dtype, dtypes.int64 if all_int else None)
    if dt is dtypes.int64 and type(start) is int and type(end) is int and type(step) is int \
            and -_EXACT < start < _EXACT and -_EXACT < end < _EXACT and 0 < abs(step) < _EXACT:
        # the common int64 range: exact as floats, so the checks below reduce to these
        if (step > 0 and start > end) or (step < 0 and start < end):
            raise RuntimeError("upper bound and lower bound inconsistent with step sign")
        n = -((start - end) // step)  # ceil((end - start) / step)
        return _finish(np.arange(start, start + n * step, step, dtype=np.int64), requires_grad, device)
    _no_bool_kernel(dt, "arange", device)
    if dt.is_complex:  # torch has no complex arange kernel
        raise NotImplementedError(f"\"arange_{as_device(device).type}\" not implemented for '{dtypes.torch_name(dt)}'")
    fs, fe, fst = float(start), float(end), float(step)
    if fst == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(fs) and math.isfinite(fe)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (fst > 0 and fs > fe) or (fst < 0 and fs < fe):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt.is_floating_point:
        n = max(0, math.ceil((fe - fs) / fst))
        acc = np.float32 if dt in dtypes.HALF_DTYPES else np.float64
        arr = acc(start) + acc(step) * np.arange(n, dtype=acc)
        return _finish(arr.astype(dt.np), requires_grad, device)
    xs, xe, xst = int(start), int(end), int(step)  # int() truncates toward zero, as C++'s casts
    if xst == 0:
        raise ValueError("step must be nonzero")
    if dt is dtypes.int64:
        num = xe - xs + xst - (1 if xst > 0 else -1)
        n = abs(num) // abs(xst) * (1 if (num >= 0) == (xst > 0) else -1)
    else:
        n = math.ceil((fe - fs) / fst)
    n = max(n, 0)
    stop = xs + n * xst
    if _INT64_MIN <= stop <= _INT64_MAX and _INT64_MIN <= xs <= _INT64_MAX:
        arr = np.arange(xs, stop, xst, dtype=np.int64) if n else np.empty(0, np.int64)
    else:
        arr = xs + xst * np.arange(n, dtype=np.int64)
    return _finish(arr if dt is dtypes.int64 else arr.astype(dt.np), requires_grad, device)


def _no_bool_kernel(dt: dtypes.dtype, op: str, device) -> None:
    """torch's arange/linspace/logspace kernels have no bool form (linspace/logspace of 0 or 1 steps skip them)."""
    if dt is dtypes.bool:
        raise NotImplementedError(f"\"{op}_{as_device(device).type}\" not implemented for 'Bool'")


def _check_steps(steps, op: str) -> int:
    if isinstance(steps, Tensor) and steps.numel() == 1 and not steps.is_floating_point():
        steps = steps.item()
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise TypeError(f"{op}(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _as_int_scalar(v, dt: dtypes.dtype) -> int:
    """v converted to the integer dtype as torch converts a Scalar (checked; floats truncate; -max..-1 wrap for
    an unsigned type): linspace/logspace step from the converted ends."""
    check_scalar_fits(v, dt)
    return int(np.array(int(v)).astype(dt.np))


def _lin_values(start, end, steps: int, dt: dtypes.dtype) -> np.ndarray:
    """torch's linspace kernel: start + step * i for the first half, end - step * (steps - 1 - i) for the
    second, with step in the result dtype for floats (double, and start/end truncated, for integers).

    torch's build contracts `start + step * i` into a fused multiply-add; computing it in a wider type
    (float64 for float32, long double for float64) and rounding once reproduces that almost always."""
    if dt in dtypes.HALF_DTYPES:  # torch computes them in their own type (ml_dtypes' ufuncs round bfloat16 as it)
        ct = wide = dt.np
    elif dt.is_floating_point:
        ct = dt.np
        wide = np.dtype(np.float64) if dt is dtypes.float32 else np.dtype(np.longdouble)
    else:
        ct, wide = np.dtype(np.float64), np.dtype(np.longdouble)
        start, end = _as_int_scalar(start, dt), _as_int_scalar(end, dt)
    s, e = ct.type(start), ct.type(end)
    if steps == 1:
        return np.array([s], dtype=ct)
    idx = np.arange(steps, dtype=np.int64)
    half = steps // 2
    with np.errstate(all="ignore"):
        step = (e - s) / ct.type(steps - 1)
        fwd = wide.type(s) + wide.type(step) * idx[:half].astype(wide)
        bwd = wide.type(e) - wide.type(step) * (steps - 1 - idx[half:]).astype(wide)
        return np.concatenate([fwd, bwd]).astype(ct)


def linspace(start, end, steps: int, *, out: Tensor | None = None, dtype=None, layout=None, device=None,
             pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("linspace", layout, pin_memory)
    if out is not None:
        return into_out("linspace", out, dtype, lambda dt, d: linspace(start, end, steps, dtype=dt, device=d),
                        requires_grad)
    as_device(device)
    steps = _check_steps(steps, "linspace")
    start, end = _real(start, "linspace", "start"), _real(end, "linspace", "end")
    dt = _dt(dtype)
    if steps > 1:
        _no_bool_kernel(dt, "linspace", device)
    if dt.is_complex or isinstance(start, complex) or isinstance(end, complex):
        if not dt.is_complex:
            if dtype is not None:
                raise TypeError(f"linspace(): complex start and end need a complex dtype, got {dt}")
            dt = dtypes.scalar_dtype(1j)
        start, end = complex(start), complex(end)  # the real and imaginary parts spaced apart, as torch's step
        part = dt.to_real()
        arr = _lin_values(start.real, end.real, steps, part) + 1j * _lin_values(start.imag, end.imag, steps, part)
        return _finish(arr.astype(dt.np), requires_grad, device)
    arr = _lin_values(start, end, steps, dt)
    with np.errstate(invalid="ignore", over="ignore"):
        return _finish((np.trunc(arr) if not dt.is_floating_point else arr).astype(dt.np), requires_grad, device)


def logspace(start, end, steps: int, base: float = 10.0, *, out: Tensor | None = None, dtype=None, layout=None,
             device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps), with the exponents and the power in the result dtype (double
    for integer results, then truncated)."""
    layouts.check_factory_args("logspace", layout, pin_memory)
    if out is not None:
        return into_out("logspace", out, dtype,
                        lambda dt, d: logspace(start, end, steps, base, dtype=dt, device=d), requires_grad)
    as_device(device)
    steps = _check_steps(steps, "logspace")
    start, end = _real(start, "logspace", "start"), _real(end, "logspace", "end")
    dt = _dt(dtype)
    if steps > 1:
        _no_bool_kernel(dt, "logspace", device)
    exps = _lin_values(start, end, steps, dt)
    with np.errstate(all="ignore"):
        if dt.is_floating_point:
            arr = np.power(np.float64(base), exps.astype(np.float64)).astype(dt.np)
        else:
            arr = np.trunc(np.power(float(base), exps)).astype(dt.np)
    return _finish(arr, requires_grad, device)


def eye(n: int, m: int | None = None, *, out: Tensor | None = None, dtype=None, layout=None, device=None,
        pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("eye", layout, pin_memory)
    if out is not None:
        return into_out("eye", out, dtype, lambda dt, d: eye(n, m, dtype=dt, device=d), requires_grad)
    as_device(device)
    if isinstance(n, Tensor) and n.ndim == 0 and n.dtype.category == dtypes.INT:  # torch's int arguments take these
        n = int(n.item())
    if isinstance(m, Tensor) and m.ndim == 0 and m.dtype.category == dtypes.INT:
        m = int(m.item())
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | np.integer)):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, n if m is None else m, dtype=_dt(dtype).np), requires_grad, device)
