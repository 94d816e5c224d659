"""Array operations the front end needs on either device: a NumPy array on the CPU, a CudaArray on CUDA.

Op code calls these where it would call NumPy on a tensor's data, so one op definition serves both devices.
Device work (copies, casts, fills) goes through the dispatcher to the CUDA kernels; nothing here copies between
host and device except `to_host` / `to_device`, which the callers use explicitly.
"""

from __future__ import annotations

import numpy as np

from . import dispatch, dtypes
from .cuda.array import SUPPORTED_DTYPES as _CUDA_DTYPES
from .cuda.array import CudaArray
from .cuda.array import as_strided as _cuda_as_strided
from .cuda.array import broadcast_to as _cuda_broadcast_to
from .cuda.array import check_dtype as _check_cuda_dtype
from .cuda.array import empty_checked as _cuda_empty_checked
from .cuda.array import from_host as _cuda_from_host

dispatch.register("copy", "cuda", dtypes.ALL_DTYPES, dispatch.cuda_kernel("copy", "copy_cast"), lazy=True)
dispatch.register("fill", "cuda", dtypes.ALL_DTYPES, dispatch.cuda_kernel("copy", "fill"), lazy=True)


def mixed_devices(a: str, b: str) -> RuntimeError:
    """PyTorch's error for an op whose tensors sit on two devices (named as str(device))."""
    return RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, {a} and {b}!")


def device_name(arr) -> str:
    return f"cuda:{arr.device}" if type(arr) is CudaArray else "cpu"


def is_cuda(arr) -> bool:
    return type(arr) is CudaArray


def device_type(arr) -> str:
    return "cuda" if type(arr) is CudaArray else "cpu"


def kernel_arg(arr):
    """What a kernel takes for this array: the NumPy array itself, or a numba-cuda device array view."""
    return arr.device_array() if type(arr) is CudaArray else arr


def _cuda_dtype(np_dtype) -> np.dtype:
    dt = np.dtype(np_dtype)
    return dt if dt in _CUDA_DTYPES else _check_cuda_dtype(dt, "empty")


def empty(shape, np_dtype, like) -> np.ndarray | CudaArray:
    """A new C-contiguous array on `like`'s device (like: an array, or a device index for CUDA, None for CPU)."""
    if type(like) is CudaArray:  # (every CUDA op's output: a supported NumPy dtype needs no call to check)
        return _cuda_empty_checked(tuple(shape), np_dtype if np_dtype in _CUDA_DTYPES else _cuda_dtype(np_dtype),
                                   like.device)
    if type(like) is int:
        return _cuda_empty_checked(tuple(shape), _cuda_dtype(np_dtype), like)
    return np.empty(shape, np_dtype)


def empty_strided(shape, strides, np_dtype, like):
    """An uninitialised CUDA array (on like's device: a CudaArray or a device index) with the given element strides
    over a fresh dense buffer; the CPU's twin is ops.shape.empty_strided_array."""
    shape, np_dtype = tuple(shape), np.dtype(np_dtype)
    numel = 1
    for n in shape:
        numel *= n
    flat = empty((numel,), np_dtype, like)
    if numel == 0:
        return empty(shape, np_dtype, like)
    return _cuda_as_strided(flat, shape, tuple(s * np_dtype.itemsize for s in strides))


def broadcast_to(arr, shape):
    return _cuda_broadcast_to(arr, tuple(shape)) if type(arr) is CudaArray else np.broadcast_to(arr, shape)


def as_strided(arr, shape, strides):
    """A view with byte strides starting at arr's first element."""
    if type(arr) is CudaArray:
        return _cuda_as_strided(arr, tuple(shape), tuple(strides))
    if arr.size and (arr.flags.c_contiguous or arr.flags.f_contiguous):  # over arr's dense buffer: much cheaper
        try:
            return np.ndarray(shape, arr.dtype, arr, 0, strides)  # (positional: keywords cost more)
        except (TypeError, ValueError):  # the view reaches outside arr's own elements
            pass
    return np.lib.stride_tricks.as_strided(arr, tuple(shape), tuple(strides))


def expand_dims(arr, axis: int):
    """arr with a new size-1 dim at `axis`, whose stride is torch's: size * stride of the dim after it (one
    element when it is last)."""
    if type(arr) is np.ndarray and arr.flags.c_contiguous:  # a contiguous reshape gives the same strides
        return arr.reshape(arr.shape[:axis] + (1,) + arr.shape[axis:])
    shape, strides = list(arr.shape), list(arr.strides)
    shape.insert(axis, 1)
    strides.insert(axis, strides[axis] * shape[axis + 1] if axis < len(strides) else arr.itemsize)
    if type(arr) is not CudaArray:
        return np.lib.stride_tricks.as_strided(arr, tuple(shape), tuple(strides), writeable=arr.flags.writeable)
    return _cuda_as_strided(arr, tuple(shape), tuple(strides))


def moveaxis(arr, src, dst):
    if type(arr) is not CudaArray:
        return np.moveaxis(arr, src, dst)
    n = arr.ndim
    src = [s % n for s in (src if isinstance(src, tuple | list) else (src,))]
    dst = [d % n for d in (dst if isinstance(dst, tuple | list) else (dst,))]
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return arr.transpose(tuple(order))


def copy_into(dst, src) -> None:
    """dst[...] = src: src an array of dst's device (broadcast to dst's shape, cast to its dtype) or a scalar. A
    value past a 16-bit float's range becomes inf silently, as torch's copy."""
    if type(dst) is not CudaArray:
        if dst.dtype.itemsize == 2 and dst.dtype.kind in "fV":
            with np.errstate(over="ignore"):
                dst[...] = src
        else:
            dst[...] = src
        return
    if type(src) is CudaArray:
        if src.shape != dst.shape:
            src = _cuda_broadcast_to(src, dst.shape)
        if src.dtype == _BF16_NP:  # bfloat16 kernels are float32 ones behind an adapter: bits, or a float32 source
            if dst.dtype == _BF16_NP:
                dst, src = dst.view(np.int16), src.view(np.int16)
            else:
                cuda_kernel("copy", src.dtype)(dst.device_array(), src.device_array())
                return
        kernel = _CUDA_KERNELS.get(("copy", dst.dtype)) or cuda_kernel("copy", dst.dtype)  # (a hit: no call)
        kernel(dst.device_array(), src.device_array())
    elif isinstance(src, np.ndarray) and src.ndim:
        raise RuntimeError(f"copy_into: a host array of shape {src.shape} cannot be written into a CUDA array "
                           "implicitly")
    else:
        if dst.dtype == _BF16_NP:  # rounded on the host as the CPU's fill (the kernel fills float32, then rounds)
            src = np.asarray(src).astype(_BF16_NP)[()]
        cuda_kernel("fill", dst.dtype)(dst.device_array(), src)


_BF16_NP = dtypes.bfloat16.np
_CUDA_KERNELS: dict = {}  # (op, NumPy dtype) -> the dispatcher's CUDA kernel (memo: an ntorch dtype hashes in Python)


def cuda_kernel(op: str, np_dtype):
    """The dispatcher's CUDA kernel for (op, NumPy dtype), memoised."""
    k = _CUDA_KERNELS.get((op, np_dtype))
    if k is None:
        k = _CUDA_KERNELS[(op, np_dtype)] = dispatch.lookup(op, "cuda", dtypes._FROM_NP[np_dtype])
    return k


def ascontiguous(arr):
    """arr itself when C-contiguous, else a C-contiguous copy on the same device."""
    if type(arr) is not CudaArray:
        return np.asarray(arr, order="C")
    if arr.flags.c_contiguous:
        return arr
    out = _cuda_empty_checked(arr.shape, arr.dtype, arr.device)  # (arr's shape and dtype are valid ones)
    copy_into(out, arr)
    return out


def astype(arr, np_dtype):
    """A copy converted to np_dtype (arr itself when it already has that dtype)."""
    np_dtype = np.dtype(np_dtype)
    if type(arr) is not CudaArray:
        return arr.astype(np_dtype, copy=False)
    if arr.dtype == np_dtype:
        return arr
    out = _cuda_empty_checked(arr.shape, _cuda_dtype(np_dtype), arr.device)
    copy_into(out, arr)
    return out


def copy(arr):
    """A C-contiguous copy on the same device."""
    if type(arr) is not CudaArray:
        return np.array(arr, order="C")
    out = _cuda_empty_checked(arr.shape, arr.dtype, arr.device)
    copy_into(out, arr)
    return out


def reshape(arr, shape):
    """arr.reshape(shape), copying when no view exists (as NumPy's reshape does)."""
    if type(arr) is not CudaArray:
        return arr.reshape(shape)
    try:
        return arr.reshape(shape)
    except ValueError:
        return ascontiguous(arr).reshape(shape)


def to_host(arr) -> np.ndarray:
    return arr.copy_to_host() if type(arr) is CudaArray else arr


def to_device(arr: np.ndarray, index: int) -> CudaArray:
    return _cuda_from_host(np.asarray(arr, order="C"), index)  # (ascontiguousarray makes 0-d arrays 1-d)


def may_share_memory(a, b) -> bool:
    """Whether two arrays of one device may overlap (CUDA: same storage block and overlapping byte spans)."""
    if type(a) is not CudaArray or type(b) is not CudaArray:
        if type(a) is CudaArray or type(b) is CudaArray:
            return False
        return np.may_share_memory(a, b)
    if a.block is not b.block:
        return False
    (alo, ahi), (blo, bhi) = a.span(), b.span()
    return alo < bhi and blo < ahi
