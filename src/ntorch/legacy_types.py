"""torch's legacy tensor types (torch.FloatTensor ... torch.BoolTensor and torch.cuda.*): classes that build
tensors with torch's legacy constructor rules and that a tensor is an instance of when its dtype and device
type match (as Tensor.type() names them), plus the deprecated set_default_tensor_type."""

from __future__ import annotations

import warnings

import numpy as np

from . import dtypes
from .tensor import Size, Tensor

__all__ = ["set_default_tensor_type", "CPU_TYPES", "CUDA_TYPES"]

# C++ names torch's TensorOptions message uses for each dtype
_CPP_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
              "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}

_SIGNATURES = (" * (*, torch.device device = None)\n * (torch.Storage storage)\n * (Tensor other)\n"
               " * (tuple of ints size, *, torch.device device = None)\n"
               " * (object data, *, torch.device device = None)\n")


def _options(dt: dtypes.dtype, device_type: str) -> str:
    return (f"TensorOptions(dtype={_CPP_NAMES[dt.name]}, device={device_type}, layout=Strided, requires_grad=false "
            "(default), pinned_memory=false (default), memory_format=(nullopt))")


def _bad_combination(args, kwargs) -> TypeError:
    got = ", ".join([type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(f"new() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     + _SIGNATURES)


class _LegacyTensorType(type):
    """The metaclass: calling a class runs the legacy constructor; isinstance compares dtype and device type."""

    dtype: dtypes.dtype
    is_cuda: bool

    def __instancecheck__(cls, obj) -> bool:
        return (isinstance(obj, Tensor) and obj.dtype is cls.dtype
                and obj.device.type == ("cuda" if cls.is_cuda else "cpu"))

    def __call__(cls, *args, device=None, **kwargs) -> Tensor:
        from . import storage as _storage
        from .devices import device as _device
        from .ops import creation

        kind = "cuda" if cls.is_cuda else "cpu"
        if kwargs:
            raise _bad_combination(args, {"device": device, **kwargs} if device is not None else kwargs)
        if device is not None and _device(device).type != kind:
            raise RuntimeError(f"legacy constructor expects device type: {kind} but device type: "
                               f"{_device(device).type} was passed")
        if cls.is_cuda:
            from . import cuda

            if not cuda.is_available():
                raise TypeError(f"type {cls.__module__}.{cls.__name__} not available. {cuda.NO_DEVICE_MESSAGE}")
        dev = device if device is not None else kind
        if not args:
            return creation.empty(0, dtype=cls.dtype, device=dev)
        first = args[0]
        if len(args) == 1 and isinstance(first, Tensor):
            if first.dtype is not cls.dtype or first.device.type != kind:
                raise TypeError(f"expected {_options(cls.dtype, kind)} (got "
                                f"{_options(first.dtype, first.device.type)})")
            return first.view(first.shape)  # torch's alias: shares memory, gradients flow through
        if len(args) == 1 and isinstance(first, _storage.TypedStorage):
            return cls(first._flat)
        if len(args) == 1 and isinstance(first, Size):
            return creation.empty(*first, dtype=cls.dtype, device=dev)
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return creation.empty(*args, dtype=cls.dtype, device=dev)
        if len(args) > 1:
            if isinstance(first, (int, np.integer)):
                bad = next(a for a in args[1:] if not isinstance(a, (int, np.integer)) or isinstance(a, bool))
                raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {args.index(bad) + 1} "
                                f"with error \"type must be tuple of ints,but got {type(bad).__name__}\"")
            raise _bad_combination(args, {})
        if isinstance(first, str):
            raise TypeError(f"new(): invalid data type '{type(first).__name__}'")
        if not isinstance(first, (list, tuple, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
        return creation.tensor(first, dtype=cls.dtype, device=dev)

    def __repr__(cls) -> str:
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def _make(name: str, dt: dtypes.dtype, cuda: bool) -> _LegacyTensorType:
    module = "ntorch.cuda" if cuda else "ntorch"
    doc = f"{module}.{name}: the legacy type of {dt} {'CUDA' if cuda else 'CPU'} tensors."
    return _LegacyTensorType(name, (), {"dtype": dt, "is_cuda": cuda, "is_sparse": False, "__module__": module,
                                        "__doc__": doc})


_DTYPES = (dtypes.float32, dtypes.float64, dtypes.float16, dtypes.int64, dtypes.int32, dtypes.int16, dtypes.int8,
           dtypes.uint8, dtypes.bool)
CPU_TYPES = {f"{dtypes.torch_name(d)}Tensor": _make(f"{dtypes.torch_name(d)}Tensor", d, False) for d in _DTYPES}
CUDA_TYPES = {f"{dtypes.torch_name(d)}Tensor": _make(f"{dtypes.torch_name(d)}Tensor", d, True) for d in _DTYPES}


def from_name(name: str) -> _LegacyTensorType | None:
    """The class of a type string ('ntorch.FloatTensor', 'torch.cuda.DoubleTensor', 'FloatTensor'), or None."""
    head, _, last = name.rpartition(".")
    table = CUDA_TYPES if head.endswith("cuda") else CPU_TYPES
    return table.get(last)


def set_default_tensor_type(t) -> None:
    """Deprecated (torch 2.1): sets the default dtype (and the default device, for a CUDA type) from a legacy
    type or its name; only floating-point types are accepted."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if isinstance(t, str):
        cls = from_name(t)
        if cls is None:
            raise ModuleNotFoundError(f"No module named '{t.rpartition('.')[0] or t}'")
        t = cls
    if not isinstance(t, _LegacyTensorType):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    from .devices import set_default_device

    if t.is_cuda:
        from . import cuda

        if not cuda.is_available():
            raise TypeError(f"type ntorch.cuda.{t.__name__} not available. {cuda.NO_DEVICE_MESSAGE}")
    dtypes.set_default_dtype(t.dtype)
    set_default_device("cuda" if t.is_cuda else "cpu")
