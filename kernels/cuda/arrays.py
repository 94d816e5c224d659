"""Device-array plumbing shared by the CUDA kernel modules: element strides, strided views (including the
1-d "span" view a strided kernel indexes with its own offsets), small cached int64 device arrays for shapes
and strides, and scratch arrays.

On a GPU the kernels take `DeviceView`s: a pointer, shape, byte strides, dtype and an owner that keeps the memory
alive. numba-cuda's DeviceNDArray costs about 5 us to build and 6 more to type at each launch; a DeviceView costs
well under one, and the launcher (launch.configure) packs it for the driver directly. Under the simulator the
kernels take its FakeCUDAArray (a wrapped NumPy array). Strides are never negative here.
"""

from __future__ import annotations

import functools
import operator
from itertools import repeat

import numpy as np

from ..cpu.elementwise import collapse
from .launch import SIMULATOR, DeviceView, cuda

if SIMULATOR:
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

# Scratch memory for kernels (reduction partials, flags): the front end installs its caching allocator here
# (`allocate(nbytes) -> (device pointer, owner)`), so kernels never call the driver's allocator per launch.
allocate = None


def is_device_array(a) -> bool:
    """A kernel's array argument (a DeviceView, a numba-cuda DeviceNDArray, the simulator's FakeCUDAArray);
    scalars are not."""
    return type(a) is DeviceView or getattr(a, "__cuda_ndarray__", False) is True


def elem_strides(a) -> tuple[int, ...]:
    """Strides in elements (numba-cuda reports bytes)."""
    return tuple(map(operator.floordiv, a.strides, repeat(a.dtype.itemsize)))  # (map: no Python frame per item)


def view(a, shape: tuple, strides: tuple, offset: int = 0):
    """A view of a's memory from its first element plus `offset` elements, with element strides; the caller
    guarantees it stays inside a's memory."""
    isz = a.dtype.itemsize
    shape = tuple(map(int, shape))
    byte_strides = tuple(map(isz.__mul__, map(int, strides)))
    if SIMULATOR:
        base = a._ary
        if offset:  # a one-element view at the offset (reshape could copy a non-contiguous array)
            base = np.lib.stride_tricks.as_strided(base, (offset + 1,), (isz,))[offset:]
        return FakeCUDAArray(np.lib.stride_tricks.as_strided(base, shape, byte_strides), stream=a.stream)
    if type(a) is not DeviceView:
        a = device_view(a)
    # the common 1-d contiguous view (flat, span) knows its layout without the analysis
    layout = "C" if len(shape) == 1 and byte_strides[0] == isz else None
    return DeviceView(a.ptr + offset * isz, shape, byte_strides, a.dtype, a.owner, layout)


def bits(a, dtype=None):
    """The same memory as `dtype` (same itemsize; default: signed integers of a's width, for compare-and-swap loops
    on floats)."""
    dt = np.dtype(dtype or {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize])
    if SIMULATOR:
        return FakeCUDAArray(a._ary.view(dt), stream=a.stream)
    a = device_view(a)
    return DeviceView(a.ptr, a.shape, a.strides, dt, a.owner)


def device_view(a) -> DeviceView:
    """GPU only: a DeviceView of a numba-cuda device array (or a DeviceView itself)."""
    if type(a) is DeviceView:
        return a
    return DeviceView(a.device_ctypes_pointer.value or 0, tuple(a.shape), tuple(a.strides), a.dtype, a)


def span(a, strides: tuple | None = None):
    """1-d contiguous view from a's first element covering every element a reaches (a strided kernel indexes
    it as span[sum(index * stride)])."""
    st = elem_strides(a) if strides is None else strides
    n = 1
    for d, s in zip(a.shape, st):
        if d > 0:
            n += (d - 1) * s
    if type(a) is DeviceView:  # (inline: every strided kernel argument comes here)
        return DeviceView(a.ptr, (int(n),), (a.dtype.itemsize,), a.dtype, a.owner, "C")
    return view(a, (n,), (1,))


@functools.cache
def c_strides(shape: tuple, itemsize: int) -> tuple:
    """Byte strides of a C-contiguous array (what numba-cuda reports for one)."""
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def flat(a):
    """1-d view of a C-contiguous array (0-d included)."""
    if type(a) is DeviceView:
        return DeviceView(a.ptr, (a.size,), (a.dtype.itemsize,), a.dtype, a.owner, "C")
    return view(a, (a.size,), (1,))


@functools.lru_cache(maxsize=512)
def _i64(values: tuple):
    arr = cuda.to_device(np.array(values, dtype=np.int64))
    return arr if SIMULATOR else device_view(arr)


@functools.lru_cache(maxsize=1024)
def collapsed(shape: tuple, *strides: tuple) -> tuple:
    """collapse(shape, [strides, ...]) as tuples of ints, cached: a training loop's strided launches repeat a few
    layouts. Takes and gives element strides; the int64 device arrays of its values are `_i64(values)`."""
    new_shape, new_strides = collapse(shape, list(strides))
    return tuple(map(int, new_shape)), tuple([tuple(map(int, st)) for st in new_strides])


def i64(values) -> object:
    """A small int64 device array holding `values` (shapes, strides), cached so repeated launches with the
    same layout do not copy to the device again."""
    return _i64(tuple(map(int, values)))


def empty(shape, dtype):
    """A scratch C-contiguous device array (from the front end's caching allocator when it installed one)."""
    dtype = np.dtype(dtype)
    if SIMULATOR or allocate is None:
        arr = cuda.device_array(shape, dtype=dtype)
        return arr if SIMULATOR else device_view(arr)
    shape = tuple(int(n) for n in shape)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    ptr, owner = allocate(nbytes)
    return DeviceView(ptr or 0, shape, c_strides(shape, dtype.itemsize), dtype, owner)
