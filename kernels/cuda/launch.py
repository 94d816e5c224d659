"""Launch configurations from the device's properties, and the numba-cuda import every CUDA kernel module
goes through first.

Kernels loop grid-stride (`i += cuda.gridsize(1)`), so any grid gives correct results: on a real GPU the grid
fills every SM a few times over; under the CUDA simulator (each GPU thread is a Python thread) it is capped to
very few small blocks so simulated runs stay fast.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np

# numba-cuda 0.30 registers an overload for np.row_stack at import, which NumPy 2.5 removed: alias it first.
if not hasattr(np, "row_stack"):
    np.row_stack = np.vstack

import numba  # noqa: E402
from numba import cuda  # noqa: E402
from numba.cuda.core.errors import NumbaPerformanceWarning as _NumbaPerformanceWarning  # noqa: E402

__all__ = ["SIMULATOR", "Device", "DeviceView", "device", "grid_1d", "configure", "cuda"]


def _simulating() -> bool:
    flags = (getattr(getattr(cuda, "config", None), "ENABLE_CUDASIM", 0), getattr(numba.config, "ENABLE_CUDASIM", 0),
             os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"))
    return any(bool(int(f)) for f in flags)


SIMULATOR: bool = _simulating()

# Blocks per SM that the grid-stride elementwise kernels aim for (16 x 256 threads measured best on an H200).
BLOCKS_PER_SM = 16
_SIM_BLOCKS = 2  # grid cap under the simulator
_SIM_THREADS = 32  # block size under the simulator (one warp)


@dataclass(frozen=True)
class Device:
    """The properties launch configurations are computed from."""

    sm_count: int
    max_threads: int  # per block
    warp_size: int


@functools.cache
def device() -> Device:
    """Properties of the current device (fixed small values under the simulator)."""
    if SIMULATOR:
        return Device(sm_count=1, max_threads=_SIM_THREADS, warp_size=32)
    dev = cuda.get_current_device()
    return Device(sm_count=int(dev.MULTIPROCESSOR_COUNT), max_threads=int(dev.MAX_THREADS_PER_BLOCK),
                  warp_size=int(dev.WARP_SIZE))


@functools.cache
def block_size(want: int = 256) -> int:
    """Threads per block: `want` (a power of two) capped by the device's limit (cached: kernels ask per launch)."""
    limit = device().max_threads
    b = min(want, limit)
    return 1 << (b.bit_length() - 1)


@functools.lru_cache(maxsize=4096)  # (a hit costs no Python call: launches ask per call, with a few sizes)
def grid_1d(n: int, block: int | None = None, per_sm: int = BLOCKS_PER_SM) -> tuple[int, int]:
    """(blocks, threads) for a grid-stride loop over n items: enough blocks to fill the device, never more
    than the items need; at least one block so that a launch is always valid."""
    threads = block_size() if block is None else block
    dev = device()
    needed = -(-max(n, 1) // threads)
    cap = _SIM_BLOCKS if SIMULATOR else dev.sm_count * per_sm
    return max(1, min(needed, cap)), threads


@functools.lru_cache(maxsize=4096)
def grid_tasks(ntasks: int, per_sm: int = 8) -> int:
    """Blocks for a grid-stride loop over `ntasks` block-sized tasks (reduction rows, tiles)."""
    cap = _SIM_BLOCKS if SIMULATOR else device().sm_count * per_sm
    return max(1, min(ntasks, cap))


# --- kernel arguments ----------------------------------------------------------------------------------------
if not SIMULATOR:
    import ctypes

    from numba.cuda import dispatcher as _dispatcher_module
    from numba.cuda import types as _types
    from numba.cuda.cudadrv.devicearray import DeviceNDArray
    from numba.cuda.cudadrv.driver import MemoryPointer, _to_core_stream, binding
    from numba.cuda.np import numpy_support


class DeviceView:
    """GPU only: a strided view of device memory as a kernel argument: pointer, shape, byte strides, dtype, and an
    owner that keeps the memory alive.

    numba-cuda's DeviceNDArray costs about 5 us to build and as much again to type at each launch; a DeviceView
    costs well under one, and `configure`'s launcher packs it for the driver directly. The first launch of each
    signature (compiling, or loading from the disk cache) goes through numba-cuda with `to_numba()`.
    """

    __slots__ = ("ptr", "shape", "strides", "dtype", "size", "ndim", "owner", "key")

    def __init__(self, ptr: int, shape: tuple, strides: tuple, dtype, owner, layout: str | None = None):
        self.ptr = ptr
        self.shape = shape
        self.strides = strides  # bytes, as numba-cuda's arrays
        self.dtype = dtype
        self.size = math.prod(shape)
        self.ndim = len(shape)
        self.owner = owner
        # (dtype, ndim, layout letter): what the compiled kernel depends on; a plain tuple hashes in C, where
        # numba's types hash in Python (a third of the launch's cost when they were the signature key). A plain
        # attribute, not a property: every launch reads it for every argument. Callers that know the layout
        # (contiguous views) pass it and skip the analysis.
        if layout is None:
            layout = _layout(shape, strides, dtype.itemsize)
        self.key = (dtype, self.ndim, layout)

    @property
    def _numba_type_(self):
        """The numba type numba-cuda gives a DeviceNDArray of this layout (the compiled kernel depends on it)."""
        return _array_type(*self.key)

    @property
    def __cuda_array_interface__(self) -> dict:
        """So that numba-cuda kernels (and CuPy, PyTorch) also take a DeviceView directly."""
        return {"shape": self.shape, "strides": self.strides, "typestr": self.dtype.str,
                "data": (self.ptr, False), "version": 3}

    def is_c_contiguous(self) -> bool:
        return _contiguity(self.shape, self.strides, self.dtype.itemsize)[0]

    def extent(self) -> int:
        """Bytes from the first element to the end of the last one."""
        if self.size == 0:
            return 0
        return self.dtype.itemsize + sum((n - 1) * s for n, s in zip(self.shape, self.strides))

    def to_numba(self):
        """A DeviceNDArray over the same memory (for numba-cuda's own launch path and copies)."""
        if self.size == 0:
            return DeviceNDArray(self.shape, self.strides, self.dtype)
        mem = MemoryPointer(cuda.current_context(), binding.CUdeviceptr(self.ptr), self.extent(), owner=self.owner)
        return DeviceNDArray(self.shape, self.strides, self.dtype, gpu_data=mem)

    def copy_to_host(self) -> np.ndarray:
        return self.to_numba().copy_to_host()


def _contiguity(shape: tuple, strides: tuple, itemsize: int) -> tuple[bool, bool]:
    """(C, F) contiguity by numba-cuda's rule (dummyarray.Array._compute_layout): empty and 0-d arrays are both,
    any zero stride (broadcast) makes neither, size-1 dimensions do not count."""
    if not shape or 0 in shape:
        return True, True
    if 0 in strides:
        return False, False
    c = f = True
    sd = itemsize
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1:
            if s != sd:
                c = False
                break
            sd *= n
    sd = itemsize
    for n, s in zip(shape, strides):
        if n != 1:
            if s != sd:
                f = False
                break
            sd *= n
    return c, f


@functools.lru_cache(maxsize=4096)  # (a training loop's views repeat a few layouts: a hit costs no Python call)
def _layout(shape: tuple, strides: tuple, itemsize: int) -> str:
    """numba-cuda's layout letter for a device array (DeviceNDArray._numba_type_): broadcast arrays are 'A'."""
    if len(shape) == 1:  # most kernel arguments (flat and span views): the same rule, without the loops
        n, s = shape[0], strides[0]
        return "C" if n == 0 or (s != 0 and (n == 1 or s == itemsize)) else "A"
    c, f = _contiguity(shape, strides, itemsize)
    broadcast = 0 in strides and 0 not in shape
    if c and not broadcast:
        return "C"
    if f and not broadcast:
        return "F"
    return "A"


@functools.cache
def _array_type(dtype, ndim: int, layout: str):
    return _types.Array(numpy_support.from_dtype(dtype), ndim, layout)


# --- launching -------------------------------------------------------------------------------------------------
# numba-cuda's `kernel[grid, block](*args)` costs 23-41 us per call on an H200 (typing every argument, wrapping
# each array, building a LaunchConfig); PyTorch's whole op costs 7-8. `configure` keeps the dispatcher for the
# first call of each argument signature (it compiles, or loads from the disk cache) and then launches the compiled
# kernel through cuda.core directly, packing arguments the way numba-cuda's `_prepare_args` does. A signature
# with anything it does not know how to pack (host arrays, records, tuples) keeps going through the dispatcher.
# NTORCH_CUDA_LAUNCH=dispatcher turns the fast path off (a debugging aid).
FAST_LAUNCH: bool = not SIMULATOR and os.environ.get("NTORCH_CUDA_LAUNCH", "fast") != "dispatcher"

_SLOW = object()  # entry marker: this signature always launches through the dispatcher
_SIGNATURES: dict = {}  # dispatcher -> {argument key: (cuda.core kernel, packers) | _SLOW}
_LAUNCHES: dict = {}  # (dispatcher, grid, block) -> _Launch
_STREAM: list = []  # the default stream, made on first use (it needs a context)


def configure(dispatcher, grid, block):
    """The launcher for `dispatcher[grid, block](*args)`: the fast path on a GPU, the dispatcher itself under the
    simulator, numba-cuda's own launch path with NTORCH_CUDA_LAUNCH=dispatcher."""
    if SIMULATOR:
        return dispatcher[grid, block]
    if not FAST_LAUNCH:
        return _NumbaLaunch(dispatcher, grid, block)
    key = (dispatcher, grid, block)
    launch = _LAUNCHES.get(key)
    if launch is None:
        launch = _LAUNCHES[key] = _Launch(dispatcher, grid, block)
    return launch


class _Launch:
    """`dispatcher[grid, block]` with the fast path (see the comment above `FAST_LAUNCH`)."""

    __slots__ = ("dispatcher", "grid", "block", "signatures", "config")

    def __init__(self, dispatcher, grid, block):
        self.dispatcher = dispatcher
        self.grid = _dims(grid)
        self.block = _dims(block)
        self.signatures = _SIGNATURES.get(dispatcher)
        if self.signatures is None:
            self.signatures = _SIGNATURES[dispatcher] = {}
            _tolerate_uncacheable(dispatcher)
        self.config = _config(self.grid, self.block)

    def __call__(self, *args) -> None:
        # a DeviceView's key is its numba type; anything else (a numba DeviceNDArray from a test, say) is keyed by
        # its class alone, which has no packer, so such signatures keep numba-cuda's own launch path
        # (a loop, not a comprehension: in Python 3.11 a comprehension is one more call per launch)
        key = []
        for a in args:
            key.append(a.key if type(a) is DeviceView else type(a))
        key = tuple(key)
        entry = self.signatures.get(key)
        if entry is None or entry is _SLOW:
            numba_args = [a.to_numba() if type(a) is DeviceView else a for a in args]
            with _quiet():
                self.dispatcher[self.grid, self.block](*numba_args)
            if entry is None:
                self.signatures[key] = _signature(self.dispatcher, args, numba_args)
            return
        _dispatcher_module.launch(_STREAM[0], self.config, entry[0], *pack(entry[1], args))


class _NumbaLaunch:
    """numba-cuda's own launch path (NTORCH_CUDA_LAUNCH=dispatcher), with DeviceViews made DeviceNDArrays."""

    __slots__ = ("configured",)

    def __init__(self, dispatcher, grid, block):
        _tolerate_uncacheable(dispatcher)
        with _quiet():
            self.configured = dispatcher[grid, block]

    def __call__(self, *args) -> None:
        self.configured(*[a.to_numba() if type(a) is DeviceView else a for a in args])


@contextlib.contextmanager
def _quiet():
    """numba-cuda warns of low occupancy for grids under 128 blocks: ntorch sizes its grids to the work, and a
    tiny tensor's op needs one block."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _NumbaPerformanceWarning)
        yield


def _dims(d) -> tuple[int, int, int]:
    d = tuple(int(v) for v in d) if isinstance(d, (tuple, list)) else (int(d),)
    return d + (1,) * (3 - len(d))


@functools.cache
def _config(grid: tuple, block: tuple):
    kw = {"grid": grid, "block": block, "shmem_size": 0}
    if getattr(_dispatcher_module, "CUDA_CORE_GE_1_0", True):
        return _dispatcher_module.LaunchConfig(**kw, is_cooperative=False)
    return _dispatcher_module.LaunchConfig(**kw, cooperative_launch=False)


# How each argument of a signature is packed: a DeviceView into numba-cuda's array parameters
# (dispatcher._Kernel._prepare_args: meminfo, parent, nitems, itemsize, data pointer, shape..., strides in bytes...);
# an int64 or float64 scalar as it is; anything else by a packer function (value, params) -> None.
VIEW = "view"
AS_IS = "as is"


def pack(kinds: list, args: tuple) -> list:
    """The driver's flat parameter list for args, whose kinds _signature found (inline: it runs every launch)."""
    params: list = []
    for kind, a in zip(kinds, args):
        if kind is VIEW:
            params += (0, 0, a.size, a.dtype.itemsize, a.ptr)
            params += a.shape
            params += a.strides
        elif kind is AS_IS:
            params.append(a)
        else:
            kind(a, params)
    return params


def _packer_for(ty, value):
    """How to pack one argument of numba type `ty` (VIEW, AS_IS or a function), or None where only the dispatcher
    knows.

    cuda.core's launch (ParamHolder) takes a Python int as an 8-byte integer and a Python float as a double after
    two type checks (a NumPy int64 or float64 scalar as its own type); a ctypes scalar costs its construction plus
    some twenty failed isinstance checks there (about a microsecond per argument, and a matmul launch has nineteen).
    So int64 and float64 values go as they are: a signature is keyed by the values' Python types, and numba types
    int, np.int64, float and np.float64 values as int64 / float64 exactly when they are those types."""
    if isinstance(ty, _types.Array):
        return VIEW if type(value) is DeviceView else None
    if isinstance(value, np.ndarray):
        return None
    if ty == _types.int64 and type(value) in (int, np.int64):
        return AS_IS
    if ty == _types.float64 and type(value) in (float, np.float64):
        return AS_IS
    if isinstance(ty, _types.Integer):
        ctype = getattr(ctypes, f"c_{ty}")
        return lambda v, params: params.append(ctype(v))
    if ty == _types.float32:
        return lambda v, params: params.append(ctypes.c_float(v))
    if ty == _types.float16:
        return lambda v, params: params.append(ctypes.c_uint16(np.float16(v).view(np.uint16)))
    if ty == _types.boolean:
        return AS_IS  # cuda.core passes a bool as an 8-byte integer: the kernel reads its first (low) byte
    return None


def _signature(dispatcher, args, numba_args):
    """The compiled kernel and argument packers for args' types, or _SLOW. A DeviceView whose own type differs
    from the type numba-cuda gave its DeviceNDArray would launch the wrong code: that signature stays slow."""
    if getattr(dispatcher, "extensions", None) or getattr(dispatcher, "specialized", False):
        return _SLOW
    types = tuple(dispatcher.typeof_pyval(a) for a in numba_args)
    if any(type(a) is DeviceView and a._numba_type_ != t for a, t in zip(args, types)):
        return _SLOW
    kernel = dispatcher.overloads.get(types)
    if kernel is None or getattr(kernel, "debug", False) or getattr(kernel, "cooperative", False):
        return _SLOW
    packers = [_packer_for(t, a) for t, a in zip(kernel.argument_types, args)]
    if any(p is None for p in packers) or len(packers) != len(args):
        return _SLOW
    if not _STREAM:
        _STREAM.append(_to_core_stream(0))
    return kernel._codelibrary.get_cufunc().kernel, packers


# --- the disk cache ------------------------------------------------------------------------------------------
class _TolerantCache:
    """A kernel's disk cache that skips what numba-cuda 0.30 cannot pickle instead of failing the compile.

    Kernels that touch float16 values link numba-cuda's float16 C++ shims, and it refuses to pickle a code library
    with linked files ("Cannot pickle CUDACodeLibrary with linking files"). Without this, the exception escapes
    after compiling, the kernel is never registered, and every float16 launch fails. Such kernels are compiled
    once per process instead (a known cost: the first float16 op of a process compiles its kernels).
    """

    def __init__(self, cache):
        self._cache = cache

    def __getattr__(self, name):
        return getattr(self._cache, name)

    def save_overload(self, sig, data) -> None:
        try:
            self._cache.save_overload(sig, data)
        except RuntimeError as exc:
            if "linking files" not in str(exc):
                raise


def _tolerate_uncacheable(dispatcher) -> None:
    cache = getattr(dispatcher, "_cache", None)
    if cache is not None and not isinstance(cache, _TolerantCache) and hasattr(cache, "save_overload"):
        dispatcher._cache = _TolerantCache(cache)
