"""ntorch.save / ntorch.load: tensors and containers of them (state_dicts) to a file and back.

ntorch.save writes torch's own zip format (what torch.save has written since 1.6), so `torch.load` reads ntorch
checkpoints and ntorch.load reads torch's (torch_format.py):

* ``archive/data.pkl``: the object, pickled (protocol 2) with every tensor written as torch writes it, a call of
  ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, OrderedDict())`` (an
  ``nn.Parameter``: ``torch._utils._rebuild_parameter(tensor, requires_grad, OrderedDict())``) whose storage is
  the persistent id ``('storage', torch.<Type>Storage, key, location, numel)``; ntorch dtypes, devices and Size
  are written as ``torch.float32``, ``torch.device(...)``, ``torch.Size(...)``. Nothing of torch is imported:
  those names are written as pickle GLOBAL opcodes and mapped back to ntorch's on load.
* ``archive/data/<key>``: each storage's raw little-endian bytes, aligned to 64 bytes in the file as torch's;
  ``archive/version``, ``byteorder``, ``.format_version``, ``.storage_alignment``, ``.data/serialization_id``.

Tensors that share memory (a tensor and its views) point at one storage, so they share memory again after
loading, as in torch; a view with another dtype of the same memory is saved as its own copy. Loading is safe by
default: ``weights_only=True`` unpickles with an allow-list of classes (containers, numbers, strings,
dtypes/devices/Size and torch's tensor-rebuild functions) and refuses any other global with torch's "Weights only
load failed" UnpicklingError; tensor data never goes through pickle. Files written by ntorch before it wrote
torch's format (``storages.json`` plus one ``.npy`` per storage) still load.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import json
import os
import pickle
import secrets
import struct
import zipfile
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from . import dtypes
from .devices import device as _device
from .tensor import Size, Tensor

__all__ = ["save", "load"]

DEFAULT_PROTOCOL = 2
_TAG = "ntorch.tensor"  # the persistent ids of ntorch's earlier format (still read)
_ALIGNMENT = 64

FileLike = str | os.PathLike | IO[bytes]


# -- save ---------------------------------------------------------------------------------------------------------
class _Global:
    """A name of torch's namespace (torch.float32, torch._utils._rebuild_tensor_v2, ...), pickled as the GLOBAL
    opcode that torch.load resolves: ntorch writes torch's names without importing torch."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce wants a callable; this one is never called
        raise TypeError(f"{self.module}.{self.name} is a pickling placeholder")


_GLOBALS: dict[tuple[str, str], _Global] = {}


def _torch_name(module: str, name: str) -> _Global:
    """One placeholder per name, so that the pickle memo writes each GLOBAL once."""
    key = (module, name)
    g = _GLOBALS.get(key)
    if g is None:
        g = _GLOBALS[key] = _Global(module, name)
    return g


_STORAGE_NAMES = {
    dtypes.float32: "FloatStorage", dtypes.float64: "DoubleStorage", dtypes.float16: "HalfStorage",
    dtypes.bfloat16: "BFloat16Storage", dtypes.int64: "LongStorage", dtypes.int32: "IntStorage",
    dtypes.int16: "ShortStorage", dtypes.int8: "CharStorage", dtypes.uint8: "ByteStorage",
    dtypes.bool: "BoolStorage", dtypes.complex64: "ComplexFloatStorage", dtypes.complex128: "ComplexDoubleStorage",
}


class _StorageRef:
    """A tensor's storage inside the pickle: persistent_id turns it into torch's storage tuple."""

    __slots__ = ("key", "dtype", "location", "numel")

    def __init__(self, key: str, dtype: dtypes.dtype, location: str, numel: int) -> None:
        self.key, self.dtype, self.location, self.numel = key, dtype, location, numel


class _Pickler(pickle._Pickler):
    """The Python pickler (its dispatch table can be extended), writing tensors, dtypes, devices and Size as
    torch.save does and collecting the storages to write beside the pickle."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol: int) -> None:
        super().__init__(file, protocol)
        self.storages: dict[str, tuple[Any, int]] = {}  # key -> (storage flat array, numel)
        self._keys: dict[int, tuple[str, dtypes.dtype]] = {}  # id(storage) -> (key, dtype)
        self._alive: list = []  # keeps ids unique while pickling

    def _save_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def _save_dtype(self, obj: dtypes.dtype) -> None:
        self.save(_torch_name("torch", obj.name))

    dispatch[_Global] = _save_global
    dispatch[dtypes.dtype] = _save_dtype

    def persistent_id(self, obj):
        if type(obj) is not _StorageRef:
            return None
        return ("storage", _torch_name("torch", _STORAGE_NAMES[obj.dtype]), obj.key, obj.location, obj.numel)

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is Size:
            return _torch_name("torch", "Size"), (tuple(obj),)
        if type(obj) is _device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return _torch_name("torch", "device"), args
        return NotImplemented

    def _reduce_tensor(self, obj: Tensor):
        hooks = collections.OrderedDict()
        if type(obj).__name__ == "Parameter":
            data = obj.detach()
            self._alive.append(data)
            return _torch_name("torch._utils", "_rebuild_parameter"), (data, obj.requires_grad, hooks)
        if obj.dtype not in _STORAGE_NAMES:
            raise RuntimeError(f"ntorch.save: tensors of dtype {obj.dtype} cannot be saved")
        storage = obj._storage()
        known = self._keys.get(id(storage))
        if known is not None and known[1] is not obj.dtype:  # a dtype view of shared memory: its own copy
            obj = obj.clone()
            storage = obj._storage()
            known = None
        if known is None:
            key = str(len(self.storages))
            self._keys[id(storage)] = (key, obj.dtype)
            self._alive.append(storage)
            self.storages[key] = (storage.flat, storage.flat.size)
        else:
            key = known[0]
        ref = _StorageRef(key, obj.dtype, _location(obj), self.storages[key][1])
        offset = obj.storage_offset() if obj.numel() else 0
        args = (ref, offset, tuple(obj.shape), tuple(obj.stride()), obj.requires_grad, hooks)
        return _torch_name("torch._utils", "_rebuild_tensor_v2"), args


def _storage_bytes(flat) -> bytes:
    """A storage's elements as raw little-endian bytes (one device-to-host copy on CUDA)."""
    if not isinstance(flat, np.ndarray):
        from .ops.shape import as_strided_view

        flat = as_strided_view(Tensor._wrap(flat), (flat.size,), (1,))._host()
    return np.ascontiguousarray(flat).tobytes()


def _location(t: Tensor) -> str:
    d = t.device
    return "cpu" if d.type == "cpu" else f"{d.type}:{d.index or 0}"


def _write_aligned(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """An uncompressed record whose data starts at a multiple of 64 bytes in the file (torch's layout, which
    torch.load(mmap=True) needs): the local header's extra field is padded with torch's 'FB' block."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.start_dir + 30 + len(name.encode()) + 4  # local header, file name, the extra block's header
    pad = -start % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, data)


def save(obj: object, f: FileLike, pickle_module: Any = pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Save `obj` (any nesting of containers, numbers, strings and tensors) to a path or a binary file object,
    in torch's format."""
    buf = io.BytesIO()
    pickler = _Pickler(buf, pickle_protocol)
    pickler.dump(obj)
    opened = isinstance(f, str | os.PathLike)
    handle = open(f, "wb") if opened else f
    try:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as zf:
            _write_aligned(zf, "archive/data.pkl", buf.getvalue())
            _write_aligned(zf, "archive/.format_version", b"1")
            _write_aligned(zf, "archive/.storage_alignment", str(_ALIGNMENT).encode())
            _write_aligned(zf, "archive/byteorder", b"little")
            for key, (flat, _numel) in pickler.storages.items():
                _write_aligned(zf, f"archive/data/{key}", _storage_bytes(flat))
            _write_aligned(zf, "archive/version", b"3\n")
            _write_aligned(zf, "archive/.data/serialization_id", str(secrets.randbits(128)).zfill(40).encode())
    finally:
        if opened:
            handle.close()


# -- load ---------------------------------------------------------------------------------------------------------
_SAFE_GLOBALS: set[tuple[str, str]] = {
    ("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"),
    ("builtins", "slice"), ("builtins", "range"), ("builtins", "bytearray"), ("ntorch.devices", "device"),
    ("ntorch.tensor", "Size"), ("_codecs", "encode"),
}


def _dtype_globals() -> set[tuple[str, str]]:
    return {("ntorch.dtypes", name) for name, value in vars(dtypes).items() if isinstance(value, dtypes.dtype)}


def _weights_only_error(module: str, name: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options, do those steps "
        "only if you trust the source of the checkpoint.\n\t(1) Re-running `ntorch.load` with `weights_only` set to "
        "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if you got the file "
        f"from a trusted source.\n\tWeightsUnpickler error: Unsupported global: GLOBAL {module}.{name} was not an "
        "allowed global by default.")


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, make_tensor: Callable, weights_only: bool) -> None:
        super().__init__(file)
        self._make_tensor = make_tensor
        self._weights_only = weights_only
        self._allowed = _SAFE_GLOBALS | _dtype_globals() if weights_only else None

    def find_class(self, module: str, name: str):
        # protocol 2 writes Python 2 names (__builtin__.set): map them back before checking the allow-list
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if self._weights_only and (module, name) not in self._allowed:
            raise _weights_only_error(module, name)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("ntorch.tensor", "Size"):
            return Size
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 8 and pid[0] == _TAG):
            raise pickle.UnpicklingError(f"Unsupported persistent id: {pid!r}")
        return self._make_tensor(*pid[1:])


def _map(location: str, map_location) -> str:
    """The device a storage saved on `location` loads to (map_location None, str/device or dict)."""
    if map_location is None:
        return location
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
        return str(target)
    return str(_device(map_location) if isinstance(map_location, str) else map_location)


def place_storage(t: Tensor, location: str, map_location) -> Tensor:
    """A storage read on the CPU, moved to where map_location sends its saved location (a callable may return
    another tensor, or None for t as it is)."""
    if callable(map_location) and not isinstance(map_location, dict | str | _device):
        res = map_location(t, location)
        return t if res is None else res
    target = _map(location, map_location)
    return t if target == "cpu" else t.to(target)


def load(f: FileLike, map_location: str | _device | dict | Callable | None = None, pickle_module: Any = None, *,
         weights_only: bool | None = True, mmap: bool | None = None, **pickle_load_args) -> Any:
    """Load an object saved by ntorch.save or by torch.save (torch's zip format, see torch_format.py); CUDA
    tensors come back on their device unless map_location moves them (a device/str, a {saved: target} dict, or a
    callable (cpu_storage_tensor, location) -> tensor)."""
    if weights_only is None:
        weights_only = True
    opened = isinstance(f, str | os.PathLike)
    handle = open(f, "rb") if opened else f
    try:
        if not zipfile.is_zipfile(handle):
            raise RuntimeError("Invalid file: expected a zip archive written by ntorch.save "
                               "(PytorchStreamReader failed reading zip archive: failed finding central directory)")
        with zipfile.ZipFile(handle, "r") as zf:
            from .torch_format import is_torch_archive, load_torch_archive

            if is_torch_archive(zf):  # written by torch.save
                return load_torch_archive(zf, map_location, weights_only)
            manifest = json.loads(zf.read("storages.json"))
            roots: dict[str, Tensor] = {}
            tensors: dict[int, Tensor] = {}

            def root(key: str) -> Tensor:
                t = roots.get(key)
                if t is None:
                    info = manifest[key]
                    arr = np.load(io.BytesIO(zf.read(f"storages/{key}.npy")), allow_pickle=False)
                    dt = getattr(dtypes, info["dtype"])
                    if dt is dtypes.bfloat16 and arr.dtype == np.uint16:
                        arr = arr.view(dt.np)
                    if arr.dtype != dt.np or arr.ndim != 1:
                        raise RuntimeError(f"corrupt storage {key}: expected 1-d {info['dtype']} data")
                    t = place_storage(Tensor._wrap(arr), info["location"], map_location)
                    roots[key] = t
                return t

            def make_tensor(key: str, tid: int, shape, strides, offset: int, requires_grad: bool,
                            is_parameter: bool = False) -> Tensor:
                from .ops.shape import as_strided_view

                if tid in tensors:  # the same tensor object, met again
                    return tensors[tid]
                base = root(key)
                shared = manifest[key]["refs"] > 1
                view = as_strided_view(base, tuple(shape), tuple(strides), offset)
                if not shared:  # sole owner: a plain tensor, no view relation to keep
                    view = Tensor._wrap(view._data)
                if is_parameter:
                    from .nn.parameter import Parameter

                    view = Parameter(view, requires_grad)
                elif requires_grad:
                    view.requires_grad_(True)
                tensors[tid] = view
                return view

            with zf.open("data.pkl") as data:
                return _Unpickler(io.BytesIO(data.read()), make_tensor, weights_only).load()
    finally:
        if opened:
            handle.close()
