"""DLPack both ways, with ctypes: export NumPy (kDLCPU) and CudaArray (kDLCUDA) memory as capsules, and
import any object with __dlpack__ as a NumPy or CudaArray view that shares its memory.

The capsule protocol: a producer returns a PyCapsule named "dltensor" (or "dltensor_versioned", DLPack 1.x)
holding a DLManagedTensor. A consumer renames it "used_dltensor" and later calls the tensor's deleter; a
capsule collected without being consumed calls the deleter from its destructor.
"""

from __future__ import annotations

import ctypes
import weakref
from ctypes import POINTER, c_char_p, c_int, c_int32, c_int64, c_uint8, c_uint16, c_uint32, c_uint64, c_void_p

import numpy as np

from ..dtypes import bfloat16 as _bfloat16
from . import current_device, is_simulator, numba_cuda, require_device
from .array import CudaArray, c_strides, check_dtype, wrap_device_pointer

kDLCPU, kDLCUDA, kDLCUDAHost, kDLCUDAManaged = 1, 2, 3, 13
kDLInt, kDLUInt, kDLFloat, kDLBfloat, kDLComplex, kDLBool = 0, 1, 2, 4, 5, 6
READ_ONLY = 1  # DLPACK_FLAG_BITMASK_READ_ONLY
DLPACK_VERSION = (1, 0)

# (code, bits) <-> dtype, for the dtypes ntorch has
_CODES = {
    np.dtype(np.bool_): (kDLBool, 8), np.dtype(np.uint8): (kDLUInt, 8), np.dtype(np.int8): (kDLInt, 8),
    np.dtype(np.int16): (kDLInt, 16), np.dtype(np.int32): (kDLInt, 32), np.dtype(np.int64): (kDLInt, 64),
    np.dtype(np.float16): (kDLFloat, 16), np.dtype(np.float32): (kDLFloat, 32), np.dtype(np.float64): (kDLFloat, 64),
    np.dtype(np.complex64): (kDLComplex, 64), np.dtype(np.complex128): (kDLComplex, 128),
    np.dtype(_bfloat16.np): (kDLBfloat, 16),
}
_DTYPES = {v: k for k, v in _CODES.items()}


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", c_int32), ("device_id", c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", c_uint8), ("bits", c_uint8), ("lanes", c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", c_void_p), ("device", DLDevice), ("ndim", c_int32), ("dtype", DLDataType),
                ("shape", POINTER(c_int64)), ("strides", POINTER(c_int64)), ("byte_offset", c_uint64)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", c_uint32), ("minor", c_uint32)]


Deleter = ctypes.CFUNCTYPE(None, c_void_p)  # void (*)(DLManagedTensor*), the pointer taken as void*


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", c_void_p), ("deleter", Deleter)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", DLPackVersion), ("manager_ctx", c_void_p), ("deleter", Deleter), ("flags", c_uint64),
                ("dl_tensor", DLTensor)]


# Names must outlive the capsules that point at them: module constants do.
_NAME, _USED = b"dltensor", b"used_dltensor"
_NAME_V, _USED_V = b"dltensor_versioned", b"used_dltensor_versioned"

_api = ctypes.pythonapi
_capsule_new = ctypes.PYFUNCTYPE(ctypes.py_object, c_void_p, c_char_p, c_void_p)(("PyCapsule_New", _api))
_is_valid = ctypes.PYFUNCTYPE(c_int, ctypes.py_object, c_char_p)(("PyCapsule_IsValid", _api))
_get_pointer = ctypes.PYFUNCTYPE(c_void_p, ctypes.py_object, c_char_p)(("PyCapsule_GetPointer", _api))
_set_name = ctypes.PYFUNCTYPE(c_int, ctypes.py_object, c_char_p)(("PyCapsule_SetName", _api))
# the destructor gets a capsule whose refcount is already 0: pass it around as a plain address
_is_valid_raw = ctypes.PYFUNCTYPE(c_int, c_void_p, c_char_p)(("PyCapsule_IsValid", _api))
_get_pointer_raw = ctypes.PYFUNCTYPE(c_void_p, c_void_p, c_char_p)(("PyCapsule_GetPointer", _api))

# Exported tensors: address of the managed struct -> (struct, shape, strides, the source array kept alive)
_exports: dict[int, tuple] = {}


@Deleter
def _export_deleter(managed: int) -> None:
    _exports.pop(managed, None)


@ctypes.CFUNCTYPE(None, c_void_p)
def _capsule_destructor(capsule: int) -> None:
    for name in (_NAME, _NAME_V):  # still named so: nobody consumed it, so the tensor is ours to delete
        if _is_valid_raw(capsule, name):
            _exports.pop(_get_pointer_raw(capsule, name), None)


def dlpack_device(arr) -> tuple[int, int]:
    """(device type, device id) of a NumPy array or a CudaArray, as __dlpack_device__ returns it."""
    if isinstance(arr, CudaArray):
        return kDLCUDA, arr.device
    return kDLCPU, 0


def to_dlpack_capsule(arr, versioned: bool = False):
    """A DLPack capsule sharing the memory of a NumPy array (kDLCPU) or a CudaArray (kDLCUDA)."""
    if isinstance(arr, CudaArray):
        if arr.block.host is not None:
            raise BufferError("DLPack export of CUDA memory is unavailable under the CUDA simulator "
                              "(NUMBA_ENABLE_CUDASIM=1): simulated device memory has no device pointer")
        data, device, readonly = arr.data_ptr, DLDevice(kDLCUDA, arr.device), False
    elif isinstance(arr, np.ndarray):
        data, device, readonly = arr.ctypes.data, DLDevice(kDLCPU, 0), not arr.flags.writeable
    else:
        raise TypeError(f"to_dlpack_capsule: expected a NumPy array or a CudaArray, got {type(arr).__name__}")
    dt = arr.dtype
    if dt not in _CODES:
        raise BufferError(f"DLPack export: unsupported dtype {dt}")
    if readonly and not versioned:
        raise BufferError("Cannot export readonly array since signalling readonly is unsupported by DLPack "
                          "(supported by newer DLPack version).")
    if any(s % dt.itemsize for s in arr.strides):
        raise BufferError("DLPack only supports strides which are a multiple of itemsize.")
    ndim = arr.ndim
    shape = (c_int64 * max(ndim, 1))(*arr.shape)
    strides = (c_int64 * max(ndim, 1))(*(s // dt.itemsize for s in arr.strides))
    code, bits = _CODES[dt]
    tensor = DLTensor(data, device, ndim, DLDataType(code, bits, 1), shape, strides, 0)
    if versioned:
        managed = DLManagedTensorVersioned(DLPackVersion(*DLPACK_VERSION), None, _export_deleter,
                                           READ_ONLY if readonly else 0, tensor)
    else:
        managed = DLManagedTensor(tensor, None, _export_deleter)
    addr = ctypes.addressof(managed)
    _exports[addr] = (managed, shape, strides, arr)
    return _capsule_new(addr, _NAME_V if versioned else _NAME, ctypes.cast(_capsule_destructor, c_void_p))


def dlpack(arr, stream=None, max_version=None, dl_device=None, copy=None):
    """The body of a __dlpack__ method for an object holding `arr` (NumPy array or CudaArray)."""
    if dl_device is not None and tuple(dl_device) != dlpack_device(arr):
        raise BufferError(f"__dlpack__: cannot export to device {tuple(dl_device)} without a copy")
    if copy:
        if isinstance(arr, CudaArray):
            raise BufferError("__dlpack__: copy=True is not supported for CUDA arrays")
        arr = arr.copy()
    if isinstance(arr, CudaArray) and stream not in (None, 1, -1):
        numba_cuda().synchronize()  # the consumer's stream may not wait on the legacy default stream
    versioned = max_version is not None and tuple(max_version)[0] >= DLPACK_VERSION[0]
    return to_dlpack_capsule(arr, versioned=versioned)


def _call_deleter(deleter: int, managed: int) -> None:
    # PYFUNCTYPE keeps the GIL held: producers' deleters may touch Python objects
    ctypes.PYFUNCTYPE(None, c_void_p)(deleter)(managed)


def _take(capsule) -> tuple[DLTensor, int, int, bool]:
    """Consume a capsule: (tensor, address of the managed struct, address of its deleter, read-only)."""
    if type(capsule).__name__ != "PyCapsule":
        raise TypeError(f"from_dlpack: __dlpack__ returned {type(capsule).__name__}, not a PyCapsule")
    if _is_valid(capsule, _NAME_V):
        addr = _get_pointer(capsule, _NAME_V)
        managed = DLManagedTensorVersioned.from_address(addr)
        if managed.version.major != DLPACK_VERSION[0]:
            raise BufferError(f"from_dlpack: unsupported DLPack version {managed.version.major}."
                              f"{managed.version.minor}")
        _set_name(capsule, _USED_V)
        readonly = bool(managed.flags & READ_ONLY)
    elif _is_valid(capsule, _NAME):
        addr = _get_pointer(capsule, _NAME)
        managed = DLManagedTensor.from_address(addr)
        _set_name(capsule, _USED)
        readonly = False
    else:
        raise ValueError("from_dlpack: expected a DLPack capsule named 'dltensor' that was not consumed yet")
    deleter = ctypes.cast(managed.deleter, c_void_p).value or 0
    return managed.dl_tensor, addr, deleter, readonly


class _Imported:
    """Owner of a consumed DLManagedTensor: calls the producer's deleter when collected."""

    __slots__ = ("__weakref__",)


def _owner(deleter: int, managed: int):
    owner = _Imported()
    if deleter:
        weakref.finalize(owner, _call_deleter, deleter, managed)
    return owner


def from_dlpack(obj):
    """A view of a DLPack producer's memory: a NumPy array (CPU) or a CudaArray (CUDA).

    Accepts objects with __dlpack__/__dlpack_device__ (NumPy, PyTorch, CuPy, ntorch) or a raw capsule. The
    producer stays alive until the returned view and all views of it are gone.
    """
    if type(obj).__name__ == "PyCapsule":
        capsule = obj
    else:
        if not hasattr(obj, "__dlpack__"):
            raise TypeError(f"from_dlpack: {type(obj).__name__} does not support the DLPack protocol "
                            "(no __dlpack__ method)")
        dev_type = obj.__dlpack_device__()[0] if hasattr(obj, "__dlpack_device__") else kDLCPU
        kwargs = {}
        if dev_type in (kDLCUDA, kDLCUDAManaged):
            _require_gpu()
            kwargs["stream"] = 1  # we consume on the legacy default stream
        try:
            capsule = obj.__dlpack__(max_version=DLPACK_VERSION, **kwargs)
        except TypeError:  # a producer from before DLPack 1.0
            capsule = obj.__dlpack__(**kwargs)
    tensor, managed, deleter, readonly = _take(capsule)
    owner = _owner(deleter, managed)  # from here on, the deleter runs whatever happens
    dt = tensor.dtype
    dtype = _DTYPES.get((dt.code, dt.bits)) if dt.lanes == 1 else None
    if dtype is None:
        raise TypeError(f"from_dlpack: unsupported DLPack dtype (code={dt.code}, bits={dt.bits}, lanes={dt.lanes}); "
                        "ntorch supports bool, uint8, int8, int16, int32, int64, float16, float32, float64")
    ndim = tensor.ndim
    shape = tuple(tensor.shape[i] for i in range(ndim))
    item = dtype.itemsize
    if tensor.strides:
        strides = tuple(tensor.strides[i] * item for i in range(ndim))
    else:
        strides = c_strides(shape, item)
    data = (tensor.data or 0) + tensor.byte_offset
    kind, dev_id = tensor.device.device_type, tensor.device.device_id
    if kind in (kDLCPU, kDLCUDAHost):
        return _numpy_view(data, shape, strides, dtype, readonly, owner)
    if kind in (kDLCUDA, kDLCUDAManaged):
        _require_gpu()
        if dev_id != current_device():
            raise BufferError(f"from_dlpack: the tensor is on cuda:{dev_id} but the current device is "
                              f"cuda:{current_device()}; call ntorch.cuda.set_device({dev_id}) first")
        if any(s < 0 for n, s in zip(shape, strides) if n > 1):
            raise BufferError("from_dlpack: negative strides are not supported for CUDA tensors")
        strides = tuple(max(s, 0) for s in strides)
        return wrap_device_pointer(data, shape, strides, check_dtype(dtype, "from_dlpack"), keepalive=owner)
    raise BufferError(f"from_dlpack: unsupported device type {kind} (ntorch reads CPU and CUDA memory)")


def _require_gpu() -> None:
    require_device()
    if is_simulator():
        raise BufferError("from_dlpack: CUDA memory cannot be imported under the CUDA simulator "
                          "(NUMBA_ENABLE_CUDASIM=1): there are no device pointers")


def _numpy_view(data: int, shape, strides, dtype, readonly: bool, owner) -> np.ndarray:
    """A NumPy array over host memory at `data`; its buffer holds `owner` (and so the producer) alive."""
    if 0 in shape:
        out = np.empty(shape, dtype)
    else:
        lo = sum((n - 1) * s for n, s in zip(shape, strides) if s < 0)
        hi = dtype.itemsize + sum((n - 1) * s for n, s in zip(shape, strides) if s > 0)
        buf = (ctypes.c_char * (hi - lo)).from_address(data + lo)
        buf._ntorch_owner = owner
        out = np.ndarray(shape, dtype, buffer=buf, offset=-lo, strides=strides)
    if readonly:
        out.flags.writeable = False
    return out
