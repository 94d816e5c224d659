"""ntorch.save / ntorch.load: tensors and containers of them (state_dicts) to a file and back.

File format (a zip archive, entries stored uncompressed):

* ``version``: the format version, ``b"1"``.
* ``data.pkl``: the object, pickled (protocol 2, as torch) with every tensor replaced by a persistent id
  ``("ntorch.tensor", storage_key, tensor_id, shape, strides, storage_offset, requires_grad, is_parameter)``;
  strides and offset count elements of the storage; tensor_id keeps one tensor met twice one object; an
  ``nn.Parameter`` loads back as a Parameter.
* ``storages.json``: ``{storage_key: {"dtype": "float32", "location": "cpu" | "cuda:0", "numel": n, "refs": k}}``.
* ``storages/<storage_key>.npy``: the storage's elements, a 1-d ``.npy`` array (NumPy's documented format, read back
  with ``allow_pickle=False``).

Tensors that share memory (a tensor and its views) point at one storage record, so they share memory again after
loading, as in torch. Loading is safe by default: ``weights_only=True`` unpickles with an allow-list of classes
(containers, numbers, strings, ntorch dtypes/devices/Size) and refuses any other global with torch's
"Weights only load failed" UnpicklingError; tensor data never goes through pickle.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import json
import os
import pickle
import zipfile
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from . import dtypes
from .devices import device as _device
from .tensor import Size, Tensor

__all__ = ["save", "load"]

FORMAT_VERSION = b"1"
DEFAULT_PROTOCOL = 2
_TAG = "ntorch.tensor"

FileLike = str | os.PathLike | IO[bytes]


# -- save ---------------------------------------------------------------------------------------------------------
class _Pickler(pickle.Pickler):
    """Pickles the object with tensors as persistent ids, collecting their storages."""

    def __init__(self, file, protocol: int) -> None:
        super().__init__(file, protocol)
        self.storages: dict[str, dict[str, Any]] = {}  # key -> {"storage", "tensor", "dtype", "refs", "numel"}
        self._keys: dict[int, str] = {}
        self._tensor_ids: dict[int, int] = {}
        self._alive: list = []  # keeps ids unique while pickling

    def persistent_id(self, obj):
        if not isinstance(obj, Tensor):
            return None
        tid = self._tensor_ids.get(id(obj))
        if tid is None:
            tid = self._tensor_ids[id(obj)] = len(self._tensor_ids)
            self._alive.append(obj)
            new = True
        else:
            new = False
        storage = obj._storage()
        key = self._keys.get(id(storage))
        entry = self.storages.get(key) if key is not None else None
        if entry is not None and entry["dtype"] is not obj.dtype:  # a dtype view of shared memory: its own copy
            key = entry = None
            obj = obj.clone()
            storage = obj._storage()
        if key is None:
            key = str(len(self.storages))
            self._keys[id(storage)] = key
            entry = self.storages[key] = {"storage": storage, "tensor": obj, "dtype": obj.dtype, "refs": 0,
                                          "numel": 0}
        entry["refs"] += new
        shape = tuple(obj.shape)
        strides = obj.stride()
        offset = obj.storage_offset() if obj.numel() else 0
        reach = offset + 1 + sum((n - 1) * s for n, s in zip(shape, strides)) if obj.numel() else 0
        entry["numel"] = max(entry["numel"], reach)
        return (_TAG, key, tid, shape, tuple(strides), offset, obj.requires_grad, type(obj).__name__ == "Parameter")


def _storage_host(entry: dict) -> np.ndarray:
    """The saved elements of a storage as a contiguous 1-d host array (one device-to-host copy on CUDA)."""
    flat = entry["storage"].flat
    n = entry["numel"]
    if isinstance(flat, np.ndarray):
        return np.ascontiguousarray(flat[:n])
    from .ops.shape import as_strided_view

    return as_strided_view(Tensor._wrap(flat), (n,), (1,))._host().copy()


def _location(t: Tensor) -> str:
    d = t.device
    return "cpu" if d.type == "cpu" else f"{d.type}:{d.index or 0}"


def save(obj: object, f: FileLike, pickle_module: Any = pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Save `obj` (any nesting of containers, numbers, strings and tensors) to a path or a binary file object."""
    buf = io.BytesIO()
    pickler = _Pickler(buf, pickle_protocol)
    pickler.dump(obj)
    manifest = {key: {"dtype": e["dtype"].name, "location": _location(e["tensor"]),
                      "numel": e["numel"], "refs": e["refs"]} for key, e in pickler.storages.items()}
    opened = isinstance(f, str | os.PathLike)
    handle = open(f, "wb") if opened else f
    try:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("version", FORMAT_VERSION)
            zf.writestr("data.pkl", buf.getvalue())
            zf.writestr("storages.json", json.dumps(manifest))
            for key, entry in pickler.storages.items():
                blob = io.BytesIO()
                host = _storage_host(entry)
                if host.dtype == dtypes.bfloat16.np:  # .npy has no bfloat16: its bits, retyped on load
                    host = host.view(np.uint16)
                np.save(blob, host, allow_pickle=False)
                zf.writestr(f"storages/{key}.npy", blob.getvalue())
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
