"""Reading files written by torch.save (torch's zip format, the default since torch 1.6) without torch.

The archive holds ``<prefix>/data.pkl``, a pickle whose tensors are calls of ``torch._utils._rebuild_tensor_v2``
(storage, storage_offset, size, stride, requires_grad, backward_hooks) over persistent ids
``('storage', torch.<Type>Storage, key, location, numel)``, and ``<prefix>/data/<key>``, each storage's raw
little-endian bytes. ntorch.load reads it by unpickling with torch's names mapped to ntorch's (storages to NumPy
arrays, _rebuild_tensor_v2 to a strided view, _rebuild_parameter to nn.Parameter, torch.Size/device/dtypes to
ntorch's), so pretrained state_dicts load as they are. With weights_only (the default) any other global is refused
as torch refuses it. Tensors that shared a storage share memory again. BFloat16Storage loads as bfloat16 tensors;
complex32, quantized and sparse storages raise: ntorch has no such tensors.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import pickle
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes
from .devices import device as _device
from .tensor import Size, Tensor

_STORAGE_DTYPES = {
    "FloatStorage": dtypes.float32, "DoubleStorage": dtypes.float64, "HalfStorage": dtypes.float16,
    "LongStorage": dtypes.int64, "IntStorage": dtypes.int32, "ShortStorage": dtypes.int16,
    "CharStorage": dtypes.int8, "ByteStorage": dtypes.uint8, "BoolStorage": dtypes.bool,
    "ComplexFloatStorage": dtypes.complex64, "ComplexDoubleStorage": dtypes.complex128,
    "BFloat16Storage": dtypes.bfloat16,
}
_DTYPE_NAMES = {"float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int",
                "int16", "short", "int8", "uint8", "bool", "bfloat16", "complex64", "cfloat", "complex128",
                "cdouble"}
_SAFE = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
         ("builtins", "range"), ("builtins", "complex"), ("builtins", "bytearray"), ("_codecs", "encode"),
         ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor_v3"),
         ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"),
         ("torch", "Size"), ("torch", "device"), ("torch._tensor", "_rebuild_from_type_v2"),
         ("torch.nn.parameter", "Parameter")}


def is_torch_archive(zf: zipfile.ZipFile) -> bool:
    names = zf.namelist()
    return "storages.json" not in names and any(n.endswith("/data.pkl") for n in names)


class _StorageType:
    """What a `torch.<Type>Storage` global unpickles to: its element dtype."""

    def __init__(self, name: str) -> None:
        if name not in _STORAGE_DTYPES:
            raise RuntimeError(f"ntorch.load: the file holds a torch.{name}, and ntorch has no tensors of that type "
                               "(complex32, quantized or sparse)")
        self.dtype = _STORAGE_DTYPES[name]


def _rebuild_tensor(storage: Tensor, storage_offset: int, size, stride, requires_grad: bool = False,
                    backward_hooks=None, metadata=None) -> Tensor:
    """A tensor over a storage (the 1-d tensor persistent_load made of it), as torch's _rebuild_tensor_v2."""
    from .ops.shape import as_strided_view

    t = as_strided_view(storage, tuple(size), tuple(stride), storage_offset)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    return _rebuild_tensor(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata)


def _rebuild_parameter(data: Tensor, requires_grad: bool, backward_hooks=None, state=None):
    from .nn.parameter import Parameter

    return Parameter(data, requires_grad)


def _rebuild_from_type(func, new_type, args, state):
    return func(*args)  # a Tensor subclass comes back as a plain tensor


class _TorchUnpickler(pickle.Unpickler):
    def __init__(self, file, read_storage: Callable, weights_only: bool) -> None:
        super().__init__(file)
        self._read_storage = read_storage
        self._weights_only = weights_only

    def find_class(self, module: str, name: str):
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if module == "torch" and name.endswith("Storage"):
            return _StorageType(name)
        if module == "torch" and name in _DTYPE_NAMES:
            return getattr(dtypes, name) if hasattr(dtypes, name) else dtypes.as_dtype(name)
        mapped = {("collections", "OrderedDict"): collections.OrderedDict,
                  ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
                  ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
                  ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
                  ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
                  ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type,
                  ("torch", "Size"): Size, ("torch", "device"): _device}.get((module, name))
        if mapped is not None:
            return mapped
        if self._weights_only and (module, name) not in _SAFE:
            from .serialization import _weights_only_error

            raise _weights_only_error(module, name)
        if module.startswith("torch"):
            raise pickle.UnpicklingError(f"ntorch.load: the file refers to {module}.{name}, which ntorch cannot "
                                         "rebuild without torch")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"Unsupported persistent id: {pid!r}")
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, _StorageType):  # torch.UntypedStorage: bytes, typed by the tensor
            raise pickle.UnpicklingError(f"ntorch.load: unsupported storage type {storage_type!r}")
        return self._read_storage(key, storage_type.dtype, str(location), int(numel))


def load_torch_archive(zf: zipfile.ZipFile, map_location, weights_only: bool) -> Any:
    """The object a torch.save archive holds, with ntorch tensors (see the module docstring)."""
    from .serialization import place_storage

    pkl = next(n for n in zf.namelist() if n.endswith("/data.pkl"))
    prefix = pkl[: -len("data.pkl")]
    if f"{prefix}byteorder" in zf.namelist() and zf.read(f"{prefix}byteorder").strip() != b"little":
        raise RuntimeError("ntorch.load: big-endian torch archives are not supported")
    storages: dict[str, Tensor] = {}

    def read_storage(key: str, dt: dtypes.dtype, location: str, numel: int) -> Tensor:
        """The storage `key` as a 1-d tensor on the device map_location gives its saved location (read once)."""
        t = storages.get(key)
        if t is None:
            raw = zf.read(f"{prefix}data/{key}")
            t = place_storage(Tensor._wrap(np.frombuffer(raw, dtype=dt.np, count=numel).copy()), location,
                              map_location)
            storages[key] = t
        return t

    with zf.open(pkl) as data:
        return _TorchUnpickler(io.BytesIO(data.read()), read_storage, weights_only).load()
