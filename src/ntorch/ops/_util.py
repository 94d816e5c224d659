"""Helpers shared by op definitions: argument checks, broadcasting, output handling."""

from __future__ import annotations

import numbers
import os
import sys
import warnings

import numpy as np

from .. import _arrays, dtypes
from ..tensor import Size, Tensor, _wrap_dim

SCALAR_TYPES = (bool, int, float, complex, np.bool_, np.integer, np.floating, np.complexfloating)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """warnings.warn attributed to the first caller outside ntorch, whatever ntorch frames (wrappers included)
    sit between, as PyTorch's warnings point at the user's line."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


# torch's refusals of complex input to the ops that need an ordering, keyed by op (".dim": the overload with a dim),
# as torch 2.13 words them on the CPU; {DEV}/{dev} is the tensor's device type, {dt} torch's dtype name
_COMPLEX_REFUSALS = {
    "sort": (RuntimeError, " Sort does not support complex dtypes on {DEV}"),
    "topk": (RuntimeError, " topk does not support complex dtypes on {DEV}"),
    "max": (NotImplementedError, "\"max_all\" not implemented for '{dt}'"),
    "min": (NotImplementedError, "\"min_all\" not implemented for '{dt}'"),
    "max.dim": (RuntimeError, "max(): does not support complex input"),
    "min.dim": (RuntimeError, "min(): does not support complex input"),
    "argmax": (RuntimeError, "argmax(): does not support complex input"),
    "argmin": (RuntimeError, "argmin(): does not support complex input"),
    "amax": (NotImplementedError, "\"max_values_{dev}\" not implemented for '{dt}'"),
    "amin": (NotImplementedError, "\"min_values_{dev}\" not implemented for '{dt}'"),
    "aminmax": (NotImplementedError, "\"aminmax_{dev}\" not implemented for '{dt}'"),
    "kthvalue": (NotImplementedError, "\"kthvalue_{dev}\" not implemented for '{dt}'"),
    "median": (NotImplementedError, "\"median_{dev}\" not implemented for '{dt}'"),
    "median.dim": (NotImplementedError, "\"median_out\" not implemented for '{dt}'"),
}


def refuse_complex(input: Tensor, op: str) -> None:
    """Raise torch's error for complex input to an op that orders values (_COMPLEX_REFUSALS)."""
    if input.dtype.is_complex:
        exc, message = _COMPLEX_REFUSALS[op]
        dev = input.device.type
        raise exc(message.format(DEV=dev.upper(), dev=dev, dt=dtypes.torch_name(input.dtype)))


def number_arg(value, op: str, arg: str):
    """A Scalar argument (alpha, value) as torch's argument parser takes it: a 0-d tensor that needs no grad stands
    for its Python value; any other tensor is a TypeError."""
    if isinstance(value, Tensor):
        if value.ndim != 0 or value.requires_grad:
            raise TypeError(f"{op}(): argument '{arg}' must be Number, not Tensor")
        return value.item()
    return value


def is_scalar(x) -> bool:
    return isinstance(x, SCALAR_TYPES) or isinstance(x, numbers.Number)


_C_TYPE = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
           "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double"}


def check_scalar_fits(value, dt: dtypes.dtype) -> None:
    """torch's checked conversion of a Scalar argument to dt (c10::checked_convert): a number outside dt's range
    raises, as do NaN and infinities for an integer type; an unsigned type also takes -max..-1 from an integer.
    A Python int outside int64 fails torch's argument parsing first (ValueError)."""
    if type(value) is float and -65504.0 <= value <= 65504.0 and dt.is_floating_point:
        return  # (fits every floating dtype)
    if type(value) is int and not -(1 << 63) <= value < (1 << 63):
        raise ValueError("Overflow when unpacking long long")
    if isinstance(value, bool | np.bool_) or dt is dtypes.bool or not is_scalar(value) or dt.is_complex:
        return
    if isinstance(value, complex | np.complexfloating):
        raise RuntimeError(f"value cannot be converted to type {_C_TYPE[dt.name]} without overflow")
    if dt.is_floating_point:
        v = float(value)
        fits = v != v or abs(v) == float("inf") or abs(v) <= float(dtypes.np_finfo(dt.np).max)
    else:
        info = np.iinfo(dt.np)
        if isinstance(value, float | np.floating):
            v = float(value)
            fits = v == v and (0 if info.min == 0 else int(info.min)) <= v <= int(info.max)
        else:
            fits = (-int(info.max) if info.min == 0 else int(info.min)) <= int(value) <= int(info.max)
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPE[dt.name]} without overflow")


def fill_value(value, dt: dtypes.dtype):
    """A checked fill value as dt holds it: bool for bool, and a negative int wrapped for an unsigned type (torch
    fills uint8 with 255 for -1; NumPy would refuse it)."""
    if dt is dtypes.bool:
        return bool(value)
    if dt.category == dtypes.INT and isinstance(value, int | np.integer) and not isinstance(value, bool) and value < 0:
        return int(np.array(int(value)).astype(dt.np))
    return value


def check_tensor(x, op: str, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def infer_size(a, b) -> tuple:
    """Broadcast two shapes with torch's infer_size message."""
    n = max(len(a), len(b))
    res = [0] * n
    for i in range(n - 1, -1, -1):
        off = n - 1 - i
        sa = a[len(a) - 1 - off] if off < len(a) else 1
        sb = b[len(b) - 1 - off] if off < len(b) else 1
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at non-singleton "
                               f"dimension {i}")
        res[i] = sb if sa == 1 else sa
    return tuple(res)


def _shape_arg(s) -> tuple:
    """One argument of broadcast_shapes: an int or a tuple / list of ints (a tensor is torch's RuntimeError)."""
    if isinstance(s, int | np.integer):
        return (int(s),)
    if s is None:  # torch reads None as an empty shape
        return ()
    if not isinstance(s, tuple | list):
        raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {s}")
    for i, d in enumerate(s):
        if not isinstance(d, int | np.integer):
            raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is '{type(d).__name__}')")
    return tuple(int(d) for d in s)


def broadcast_shapes(*shapes) -> Size:
    """torch.broadcast_shapes: shapes (or ints) -> the broadcast Size, with torch's error message."""
    shapes = [_shape_arg(s) for s in shapes]
    for s in shapes:
        if any(d < 0 for d in s):
            raise ValueError(f"Trying to create tensor with negative dimension {min(s)}: {list(s)}")
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for index, s in enumerate(shapes):
        for i in range(1, len(s) + 1):
            n, r = s[-i], result[-i]
            if n == r or n == 1:
                continue
            if r != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {-i}! Mismatching "
                                   f"argument at index {index} had {tuple(s)}; but expected shape should be "
                                   f"broadcastable to {result}")
            result[-i] = n
    return Size(result)


def _dim_list_item(d, op: str, pos: int | None = None) -> int:
    """One dim of a dim list as torch's int-list arguments take it: an int, or an integer / bool tensor of one
    element (any number of dims); floats and other tensors are torch's TypeError."""
    if isinstance(d, int | np.integer) and not isinstance(d, bool):
        return int(d)
    if isinstance(d, Tensor) and d.numel() == 1 and d.dtype.category in (dtypes.INT, dtypes.BOOL):
        return int(d.item())
    if pos is None or isinstance(d, Tensor):
        raise TypeError(f"{op}(): argument 'dim' must be tuple of ints, not {type(d).__name__}")
    raise TypeError(f"{op}(): argument 'dim' must be tuple of ints, but found element of type {type(d).__name__} "
                    f"at pos {pos}")


def normalize_dims(dim, ndim: int, op: str) -> tuple[int, ...]:
    """dim as None (all), an int or a sequence of ints -> sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int | np.integer) and not isinstance(dim, bool):
        return (_wrap_dim(int(dim), ndim, op),)
    if isinstance(dim, Tensor):
        return (_wrap_dim(_dim_list_item(dim, op), ndim, op),)
    dims = tuple(_wrap_dim(_dim_list_item(d, op, i), ndim, op) for i, d in enumerate(dim))
    if len(set(dims)) != len(dims):
        dup = next(d for d in dims if dims.count(d) > 1)
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
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


_RESULT_TYPE_FORMS = ("tensor", "other"), ("scalar", "tensor"), ("scalar1", "scalar2")


def result_type(tensor=None, other=None, *, scalar=None, scalar1=None, scalar2=None) -> dtypes.dtype:
    """torch.result_type of two operands, under torch's keyword names: (tensor, other), (scalar, tensor) or
    (scalar1, scalar2)."""
    given = {k: v for k, v in (("tensor", tensor), ("other", other), ("scalar", scalar), ("scalar1", scalar1),
                               ("scalar2", scalar2)) if v is not None}
    form = next((f for f in _RESULT_TYPE_FORMS if set(f) == set(given)), None)
    if form is None:
        got = ", ".join(f"{k}={type(v).__name__}" for k, v in given.items())
        raise TypeError(f"result_type() received an invalid combination of arguments - got ({got}), but expected "
                        "one of: (Tensor tensor, Tensor other), (Number scalar, Tensor tensor), (Tensor tensor, "
                        "Number other), (Number scalar1, Number scalar2)")
    return result_dtype(*(given[k] for k in form))


def resize_out(out: Tensor, shape: tuple, op: str, warn_nonempty: bool = True) -> None:
    """Give out= the result's shape as torch does: an empty out is resized silently, a non-empty one with
    torch's deprecation warning (factories resize without it: warn_nonempty=False)."""
    shape = tuple(shape)
    if out._data.shape == shape:
        return
    if out._data.size and warn_nonempty:
        warn(f"{op}: An output with one or more elements was resized since it had shape "
             f"{list(out._data.shape)}, which does not match the required output shape {list(shape)}. "
             "This behavior is deprecated, and in a future PyTorch release outputs will not be resized "
             "unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to "
             "zero elements with t.resize_(0).")
    out._data = _arrays.empty(shape, out._data.dtype, out._data if _arrays.is_cuda(out._data) else None)
    out._flat = None
    out._store = None
    out._base = None


def _device_of(arr):
    return Tensor._wrap(arr).device


def write_out(out: Tensor, result: np.ndarray, op: str) -> Tensor:
    """Copy a computed result into a user's out= tensor, resizing it as torch does."""
    check_tensor(out, op, "out")
    src = dtypes.from_numpy_dtype(result.dtype)
    if not dtypes.can_cast(src, out.dtype):
        raise RuntimeError(f"result type {dtypes.torch_name(src)} can't be cast to the desired output type "
                           f"{dtypes.torch_name(out.dtype)}")
    resize_out(out, result.shape, op)
    if out.device != _device_of(result):
        raise RuntimeError(f"{op}: Expected out tensor to have device {_device_of(result)}, but got {out.device} "
                           "instead")
    out._bump_version()
    _arrays.copy_into(out._data, result)
    return out


CPP_NAMES = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
             "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>"}
EXACT = "Expected out tensor to have dtype {want}, but got {got} instead"


def _any_requires_grad(values) -> bool:
    from ..autograd.graph import needs_graph

    for v in values:
        if isinstance(v, list | tuple):
            if _any_requires_grad(v):
                return True
        elif needs_graph(v):
            return True
    return False


def _check_out_dtype(out: Tensor, res: Tensor, op: str, exact: str | None) -> None:
    """torch's dtype rule for one out tensor: `exact` (a message with {want}/{got} C++ names or {Want}/{Got}
    torch names) when out must have the result's dtype, else write_out's castability rule."""
    if exact is not None and out.dtype is not res.dtype:
        raise RuntimeError(exact.format(want=CPP_NAMES[res.dtype.name], got=CPP_NAMES[out.dtype.name],
                                        Want=dtypes.torch_name(res.dtype), Got=dtypes.torch_name(out.dtype), op=op))


def fill_out(res, out, op: str, exact: str | tuple | None = EXACT):
    """Write a computed result (a tensor, or a named tuple of them) into out= as torch does and return out (for
    tuple results, the same named tuple type holding the out tensors)."""
    if isinstance(res, tuple):
        if not isinstance(out, list | tuple):
            raise TypeError(f"{op}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
        if len(out) != len(res):
            raise TypeError(f"expected tuple of {len(res)} elements but got {len(out)}")
        for o in out:
            check_tensor(o, op, "out")
        for i, (o, r) in enumerate(zip(out, res)):
            _check_out_dtype(o, r, op, exact[i] if isinstance(exact, tuple) else exact)
        for o, r in zip(out, res):
            write_out(o, r._data, op)
        return tuple(out) if type(res) is tuple else type(res)(*out)  # torch's named tuple of the outs
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    _check_out_dtype(out, res, op, exact)
    return write_out(out, res._data, op)


def call_out(op: str, out, exact: str | tuple | None, fn, *args, **kwargs):
    """fn(*args, **kwargs) written into out= (fill_out), after torch's error for out= under autograd."""
    if _any_requires_grad(args) or _any_requires_grad(kwargs.values()):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    return fill_out(fn(*args, **kwargs), out, op, exact)


def takes_out(op: str, exact: str | tuple | None = EXACT):
    """Decorator giving a function torch's keyword-only out=: the call runs as usual, then its result is written
    into out (see fill_out); torch's autograd error when an argument requires grad in grad mode. `exact=None`
    lets out take any dtype the result casts to (TensorIterator ops), else out must have the result's dtype
    (a tuple: one message per output)."""
    import functools
    import inspect

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, out=None, **kwargs):
            if out is None:
                return fn(*args, **kwargs)
            return call_out(op, out, exact, fn, *args, **kwargs)

        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        at = len(params) - (params and params[-1].kind is inspect.Parameter.VAR_KEYWORD)
        params.insert(at, inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
        wrapper.__signature__ = sig.replace(parameters=params)
        return wrapper

    return decorate
