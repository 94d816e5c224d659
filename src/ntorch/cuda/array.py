"""CudaArray: the device counterpart of the NumPy array a CPU tensor holds.

A CudaArray is (Block, byte offset, shape, byte strides, dtype): metadata only, so views (transpose,
slicing, reshape, broadcast, as_strided) cost no device work and share memory as NumPy views do. Kernels get
a numba-cuda device array for the same bytes from `device_array()`; under the simulator that is a
FakeCUDAArray over a NumPy view of the simulated memory, so writes through any view reach every other.

Strides are in bytes and never negative (PyTorch has no negative strides). Data reaches the host only
through explicit calls (`copy_to_host`), never implicitly: `np.asarray(cuda_array)` raises as PyTorch does.
"""

from __future__ import annotations

import functools
import math
import operator

import ml_dtypes
import numpy as np

from . import checks, current_device, is_simulator, numba_cuda, require_device
from .allocator import Block, _allocators, alloc, get_allocator

SUPPORTED_DTYPES = frozenset(np.dtype(t) for t in (
    np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, ml_dtypes.bfloat16, np.float32, np.float64,
    np.complex64, np.complex128))

NUMPY_CONVERSION_ERROR = (
    "can't convert cuda:{} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.")


def check_dtype(dtype, what: str) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in SUPPORTED_DTYPES:
        raise TypeError(f"{what}: unsupported dtype {dt}; ntorch supports bool, uint8, int8, int16, int32, int64, "
                        "float16, bfloat16, float32, float64, complex64, complex128")
    return dt


def c_strides(shape: tuple, itemsize: int) -> tuple:
    """Byte strides of a C-contiguous array."""
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def extent(shape, strides, itemsize: int) -> int:
    """Bytes from the first element to the end of the last one, for non-negative strides (0 when empty)."""
    if 0 in shape:
        return 0
    last = itemsize
    for n, s in zip(shape, strides):
        last += (n - 1) * s
    return last


_prod = math.prod  # a C function: the host path calls it on every array it makes

def _is_contiguous(shape, strides, itemsize: int) -> bool:
    """NumPy's rule, dims given innermost first: size-1 dims are ignored, empty arrays are contiguous."""
    if 0 in shape:
        return True
    expected = itemsize
    for n, s in zip(shape, strides):
        if n != 1:
            if s != expected:
                return False
            expected *= n
    return True


def _shape_tuple(shape, what: str) -> tuple:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(map(operator.index, shape))
    except TypeError:
        raise TypeError(f"{what}: shape must be a tuple of ints, got {shape!r}") from None
    if shape and min(shape) < 0:
        raise ValueError(f"{what}: negative dimensions are not allowed (shape {shape})")
    return shape


def _axis(axis, ndim: int) -> int:
    a = operator.index(axis)
    if not -ndim <= a < ndim:
        raise np.exceptions.AxisError(a, ndim)
    return a % ndim if ndim else 0


class Flags:
    """The two contiguity flags of ndarray.flags (also readable as flags['C_CONTIGUOUS'])."""

    __slots__ = ("c_contiguous", "f_contiguous")

    def __init__(self, c: bool, f: bool):
        self.c_contiguous = c
        self.f_contiguous = f

    def __getitem__(self, key: str) -> bool:
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous}[key]

    def __repr__(self) -> str:
        return f"  C_CONTIGUOUS : {self.c_contiguous}\n  F_CONTIGUOUS : {self.f_contiguous}"


class CudaArray:
    """A strided view of device memory. Build one with empty(), from_host(), or the view methods."""

    # plain attributes, not properties: an op reads them dozens of times, and a property is a Python call each
    __slots__ = ("block", "offset", "shape", "strides", "dtype", "device", "ndim", "size", "itemsize", "_dev",
                 "_flat_dev", "_flags", "__weakref__")

    def __init__(self, block: Block, offset: int, shape: tuple, strides: tuple, dtype: np.dtype):
        # trusted: callers have checked that the view stays inside the block
        self.block = block
        self.offset = offset
        self.shape = shape
        self.strides = strides
        self.dtype = dtype
        self.device = block.device
        self.ndim = len(shape)
        self.size = _prod(shape)
        self.itemsize = dtype.itemsize
        self._dev = self._flat_dev = self._flags = None

    # --- metadata (NumPy's names; block: the storage; offset: bytes to element [0, ...]; strides in bytes) ---
    nbytes = property(lambda self: self.size * self.itemsize)

    @property
    def flags(self) -> Flags:
        f = self._flags
        if f is None:
            f = self._flags = _layout_flags(self.shape, self.strides, self.itemsize)
        return f

    @property
    def data_ptr(self) -> int:
        """Address of the first element (of the simulator's host buffer under the simulator; 0 when empty)."""
        b = self.block
        if b.host is not None:
            return b.host.ctypes.data + self.offset if b.size else 0
        return b.ptr + self.offset if b.ptr else 0

    def span(self) -> tuple[int, int]:
        """The block's bytes [lo, hi) that this view reaches ((offset, offset) when empty)."""
        return self.offset, self.offset + extent(self.shape, self.strides, self.itemsize)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"CudaArray(shape={self.shape}, dtype={self.dtype}, device='cuda:{self.device}')"

    def __bool__(self):
        raise TypeError("the truth value of a CudaArray needs its data on the host: use copy_to_host() first")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(NUMPY_CONVERSION_ERROR.format(self.device))

    # --- views ---
    def _view(self, offset: int, shape: tuple, strides: tuple, dtype: np.dtype | None = None) -> CudaArray:
        return CudaArray(self.block, offset, shape, strides, self.dtype if dtype is None else dtype)

    @property
    def real(self) -> CudaArray:
        """ndarray.real: a view of a complex array's real parts (the same byte strides); a real array itself."""
        if self.dtype.kind != "c":
            return self
        return self._view(self.offset, self.shape, self.strides, np.dtype(self.dtype.char.lower()))

    @property
    def imag(self) -> CudaArray:
        """ndarray.imag for a complex array: a view of the imaginary parts (half an element further)."""
        if self.dtype.kind != "c":
            raise TypeError("CudaArray.imag: the array is not complex")
        return self._view(self.offset + self.itemsize // 2, self.shape, self.strides,
                          np.dtype(self.dtype.char.lower()))

    @property
    def T(self) -> CudaArray:
        return CudaArray(self.block, self.offset, self.shape[::-1], self.strides[::-1], self.dtype)

    def transpose(self, *axes) -> CudaArray:
        """A permuted view: no axes reverses them (ndarray.transpose)."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        if not axes:
            return self.T
        nd = len(self.shape)
        if len(axes) != nd:
            raise ValueError("axes don't match array")
        perm = [_axis(a, nd) for a in axes]
        if len(set(perm)) != nd:
            raise ValueError("repeated axis in transpose")
        return self._view(self.offset, tuple(self.shape[p] for p in perm), tuple(self.strides[p] for p in perm))

    def swapaxes(self, axis1: int, axis2: int) -> CudaArray:
        nd = len(self.shape)
        perm = list(range(nd))
        a, b = _axis(axis1, nd), _axis(axis2, nd)
        perm[a], perm[b] = b, a
        return self.transpose(perm)

    def squeeze(self, axis=None) -> CudaArray:
        """Drop size-1 dims: all of them, or the given ones (which must have size 1, as in NumPy)."""
        nd = len(self.shape)
        if axis is None:
            drop = {i for i, n in enumerate(self.shape) if n == 1}
        else:
            drop = {_axis(a, nd) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
            if any(self.shape[i] != 1 for i in drop):
                raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
        keep = [i for i in range(nd) if i not in drop]
        return self._view(self.offset, tuple(self.shape[i] for i in keep), tuple(self.strides[i] for i in keep))

    def view(self, dtype=None) -> CudaArray:
        """An alias (dtype None) or a reinterpretation of the same bytes as a dtype of the same itemsize."""
        if dtype is None:
            return self._view(self.offset, self.shape, self.strides)
        dt = check_dtype(dtype, "view")
        if dt.itemsize != self.dtype.itemsize:
            raise ValueError(f"view: cannot reinterpret {self.dtype} ({self.dtype.itemsize} bytes) as {dt} "
                             f"({dt.itemsize} bytes): only dtypes of the same itemsize are supported")
        return self._view(self.offset, self.shape, self.strides, dt)

    def reshape(self, *shape) -> CudaArray:
        """A view with a new shape; ValueError when the strides make that impossible (the caller copies)."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        shape = tuple(map(operator.index, shape))
        size = self.size
        if shape and min(shape) < 0:
            if shape.count(-1) > 1:
                raise ValueError("only one dimension can be inferred")
            if min(shape) < -1:
                raise ValueError(f"invalid shape dimension {min(shape)}")
            known = -_prod(shape)
            if known == 0 or size % known:
                raise ValueError(f"shape '{list(shape)}' is invalid for input of size {size}")
            at = shape.index(-1)
            shape = shape[:at] + (size // known,) + shape[at + 1:]
        if _prod(shape) != size:
            raise ValueError(f"shape '{list(shape)}' is invalid for input of size {size}")
        f = self._flags
        if f is not None and f.c_contiguous:  # the common case: no stride analysis
            out = CudaArray(self.block, self.offset, shape, _c_strides_cached(shape, self.itemsize), self.dtype)
            out._flags = _c_layout_flags(shape)
            return out
        strides = _view_strides(self.shape, self.strides, shape, self.itemsize)
        if strides is None:
            raise ValueError("view size is not compatible with input tensor's size and stride (at least one "
                             "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return CudaArray(self.block, self.offset, shape, strides, self.dtype)

    def __getitem__(self, index) -> CudaArray:
        """Basic indexing as views: ints, slices with positive steps, None and Ellipsis."""
        if not isinstance(index, tuple):
            index = (index,)
        nd = len(self.shape)
        ellipses = used = 0  # (by identity: an array in the index must not be compared with ==)
        for i in index:
            if i is Ellipsis:
                ellipses += 1
            elif i is not None:
                used += 1
        if ellipses > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        if used > nd:
            raise IndexError(f"too many indices for tensor of dimension {nd}")
        if ellipses:
            at = 0
            while index[at] is not Ellipsis:
                at += 1
            index = index[:at] + (slice(None),) * (nd - used) + index[at + 1:]
        else:
            index = index + (slice(None),) * (nd - used)
        offset, shape, strides, d = self.offset, [], [], 0
        for it in index:
            if it is None:
                shape.append(1)
                strides.append(0)
                continue
            n, s = self.shape[d], self.strides[d]
            if isinstance(it, slice):
                start, stop, step = it.indices(n)
                if step <= 0:
                    raise ValueError("step must be greater than zero")
                length = max(0, -(-(stop - start) // step))
                if length:
                    offset += start * s
                shape.append(length)
                strides.append(s * step)
            else:
                if isinstance(it, (bool, np.bool_)):
                    raise IndexError("CudaArray indexing: boolean indices are not basic indices")
                try:
                    i = operator.index(it)
                except TypeError:
                    raise IndexError("CudaArray supports basic indexing only (ints, slices with positive steps, "
                                     f"None, Ellipsis); got {type(it).__name__}") from None
                if not -n <= i < n:
                    raise IndexError(f"index {i} is out of bounds for dimension {d} with size {n}")
                offset += (i % n) * s
            d += 1
        return CudaArray(self.block, offset, tuple(shape), tuple(strides), self.dtype)

    # --- kernels' view ---
    def device_array(self):
        """A numba-cuda device array over the same bytes, for kernels (made once, then cached).

        It keeps the Block alive, so the memory cannot return to the pool while a kernel argument uses it.
        """
        dev = self._dev
        if dev is None:
            if self.block.host is not None:
                dev = self._dev = _sim_device_array(self)
            else:  # (inline: every kernel argument comes here) numba-cuda's layout letter when the flags know it
                f = self._flags
                layout = None
                if f is not None and 0 not in self.strides:
                    layout = "C" if f.c_contiguous else "F" if f.f_contiguous else "A"
                dev = self._dev = _kernel_views().DeviceView(self.block.ptr + self.offset, self.shape, self.strides,
                                                             self.dtype, self.block, layout)
        return dev

    def flat_device_array(self):
        """The kernel argument of a C-contiguous array as one dimension (made once, then cached): what the
        contiguous elementwise loops take."""
        dev = self._flat_dev
        if dev is None:
            f = self._flags
            if f is not None and f.c_contiguous and self.block.host is None:  # straight from the metadata
                dev = self._flat_dev = _kernel_views().DeviceView(
                    self.block.ptr + self.offset, (self.size,), (self.itemsize,), self.dtype, self.block, "C")
            else:
                dev = self._flat_dev = _kernel_views().flat(self.device_array())
        return dev

    # --- explicit transfers ---
    def copy_to_host(self) -> np.ndarray:
        """A new C-contiguous NumPy array with this view's values (copies the covering span, then strides it)."""
        if 0 in self.shape:
            return np.empty(self.shape, self.dtype)
        lo, hi = self.span()
        raw = _read_bytes(self.block, lo, hi)
        checks.check_pending()  # the copy waited for the device: raise what its deferred checks found
        view = np.ndarray(self.shape, self.dtype, buffer=raw, offset=self.offset - lo, strides=self.strides)
        return view if self.flags.c_contiguous else np.ascontiguousarray(view)

    def copy_from_host(self, src) -> None:
        """Write host values into this view (broadcast and cast to its shape and dtype, as Tensor.copy_)."""
        if isinstance(src, CudaArray):
            raise TypeError("copy_from_host: the source is a CudaArray; copy device to device with a kernel")
        src = np.asarray(src)
        if src.dtype != self.dtype:
            src = src.astype(self.dtype)
        src = np.broadcast_to(src, self.shape)
        if 0 in self.shape:
            return
        if any(s == 0 and n > 1 for n, s in zip(self.shape, self.strides)):
            raise ValueError("unsupported operation: more than one element of the written-to tensor refers to a "
                             "single memory location. Please clone() the tensor before performing the operation.")
        lo, hi = self.span()
        if self.flags.c_contiguous:
            _write_bytes(self.block, lo, np.ascontiguousarray(src).reshape(-1).view(np.uint8))
            return
        raw = _read_bytes(self.block, lo, hi)  # read-modify-write the covering span: gaps keep their bytes
        np.ndarray(self.shape, self.dtype, buffer=raw, offset=self.offset - lo, strides=self.strides)[...] = src
        _write_bytes(self.block, lo, raw)

    # --- interop ---
    @property
    def __cuda_array_interface__(self) -> dict:
        """Version 3 of Numba's CUDA Array Interface (zero-copy export to CuPy, PyTorch, Numba)."""
        if self.block.host is not None:
            raise AttributeError("__cuda_array_interface__ is unavailable under the CUDA simulator "
                                 "(NUMBA_ENABLE_CUDASIM=1): simulated device memory has no device pointer")
        return {
            "shape": self.shape,
            "strides": None if self.flags.c_contiguous else self.strides,
            "data": (self.data_ptr, False),
            "typestr": self.dtype.str,
            "stream": 1,  # our work is queued on the legacy default stream
            "version": 3,
        }

    @classmethod
    def from_cuda_array_interface(cls, obj, sync: bool = True) -> CudaArray:
        """Wrap the device memory of any object with __cuda_array_interface__ without copying; keeps obj alive."""
        desc = getattr(obj, "__cuda_array_interface__", None)
        if not isinstance(desc, dict):
            raise TypeError(f"from_cuda_array_interface: {type(obj).__name__} has no __cuda_array_interface__")
        ptr, shape, strides, dtype, stream = parse_cuda_array_interface(desc)
        require_device()
        if is_simulator():
            raise RuntimeError("from_cuda_array_interface: foreign device pointers cannot be used under the CUDA "
                               "simulator (NUMBA_ENABLE_CUDASIM=1); pass simulator arrays to from_device_array()")
        if stream is not None and sync:
            numba_cuda().external_stream(stream).synchronize()
        return wrap_device_pointer(ptr, shape, strides, dtype, keepalive=obj)

    @classmethod
    def from_device_array(cls, arr) -> CudaArray:
        """Wrap a numba-cuda device array (or, under the simulator, a FakeCUDAArray) without copying."""
        if is_simulator():
            ary = getattr(arr, "_ary", None)
            if not isinstance(ary, np.ndarray):
                raise TypeError(f"from_device_array: expected a simulator device array, got {type(arr).__name__}")
            return _wrap_simulator_memory(ary, keepalive=arr)
        return cls.from_cuda_array_interface(arr)


def _view_strides(old_shape, old_strides, new_shape, itemsize: int):
    """Strides that let `new_shape` view the same elements, or None (PyTorch's computeStride, in bytes)."""
    if _prod(old_shape) <= 1:
        return c_strides(new_shape, itemsize)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_stride = old_strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_strides[d - 1] != tensor_numel * chunk_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_stride = old_strides[d - 1]
                tensor_numel = view_numel = 1
    return tuple(new_strides) if view_d == -1 else None


# --- construction ---

def empty(shape, dtype, device: int | None = None) -> CudaArray:
    """An uninitialised C-contiguous array from the caching allocator."""
    shape = _shape_tuple(shape, "empty")
    dt = check_dtype(dtype, "empty")
    return empty_checked(shape, dt, device)


def empty_checked(shape: tuple, dt: np.dtype, device: int | None = None) -> CudaArray:
    """empty() for a shape (a tuple of non-negative ints) and dtype the caller has already checked (every op's
    output goes through here)."""
    pool = _allocators.get(device) if type(device) is int else None  # allocator.alloc, inline
    block = (pool or get_allocator(device)).alloc(_prod(shape) * dt.itemsize)
    out = CudaArray(block, 0, shape, _c_strides_cached(shape, dt.itemsize), dt)
    out._flags = _c_layout_flags(shape)
    return out


_c_strides_cached = functools.lru_cache(maxsize=1024)(c_strides)


@functools.lru_cache(maxsize=4096)
def _layout_flags(shape: tuple, strides: tuple, itemsize: int) -> Flags:
    """The flags of any layout (shared and cached: a training loop's views repeat a few layouts; Flags are never
    modified)."""
    return Flags(_is_contiguous(shape[::-1], strides[::-1], itemsize), _is_contiguous(shape, strides, itemsize))


@functools.lru_cache(maxsize=1024)
def _c_layout_flags(shape: tuple) -> Flags:
    """The flags of an array of this shape with C strides (shared: Flags are never modified)."""
    return Flags(True, 0 in shape or sum(1 for n in shape if n != 1) <= 1)


def from_host(arr, device: int | None = None) -> CudaArray:
    """A new C-contiguous device copy of a NumPy array."""
    arr = np.asarray(arr)
    out = empty(arr.shape, check_dtype(arr.dtype, "from_host"), device)
    out.copy_from_host(arr)
    return out


def as_strided(arr: CudaArray, shape, strides, offset: int | None = None) -> CudaArray:
    """A view of arr's block with any shape and byte strides; `offset` is bytes from the block's start
    (default: arr's own). Checked against the block's bounds, since kernels do no bounds checks."""
    shape = _shape_tuple(shape, "as_strided")
    strides = tuple(operator.index(s) for s in strides)
    if len(strides) != len(shape):
        raise ValueError(f"as_strided: mismatch in length of strides and shape ({len(strides)} vs {len(shape)})")
    if any(s < 0 for s in strides):
        raise ValueError(f"as_strided: negative strides are not supported (got {strides})")
    offset = arr.offset if offset is None else operator.index(offset)
    out = CudaArray(arr.block, offset, shape, strides, arr.dtype)
    lo, hi = out.span()
    if 0 not in shape and (lo < 0 or hi > arr.block.size):
        raise ValueError(f"as_strided: sizes {list(shape)}, strides {list(strides)}, offset {offset} and itemsize "
                         f"{arr.itemsize} require bytes [{lo}, {hi}), out of bounds for storage of {arr.block.size} "
                         "bytes")
    return out


def broadcast_to(arr: CudaArray, shape) -> CudaArray:
    """A read-only-in-spirit view with stride 0 along broadcast dims (NumPy's rules)."""
    shape = _shape_tuple(shape, "broadcast_to")
    extra = len(shape) - len(arr.shape)
    if extra < 0:
        raise ValueError(f"cannot broadcast an array of shape {arr.shape} to the smaller shape {shape}")
    strides = [0] * extra
    for d, (n_old, s) in enumerate(zip(arr.shape, arr.strides)):
        n_new = shape[extra + d]
        if n_old == n_new:
            strides.append(s)
        elif n_old == 1:
            strides.append(0)
        else:
            raise ValueError(f"cannot broadcast an array of shape {arr.shape} to shape {shape}: the expanded size "
                             f"({n_new}) must match the existing size ({n_old}) at non-singleton dimension "
                             f"{extra + d}")
    return CudaArray(arr.block, arr.offset, shape, tuple(strides), arr.dtype)


def parse_cuda_array_interface(desc: dict):
    """Validate a __cuda_array_interface__ dict: (ptr, shape, byte strides, dtype, stream)."""
    for key in ("shape", "typestr", "data", "version"):
        if key not in desc:
            raise ValueError(f"malformed __cuda_array_interface__: missing '{key}'")
    if desc.get("mask") is not None:
        raise ValueError("__cuda_array_interface__: masked arrays are not supported")
    ptr, readonly = desc["data"]
    if readonly:
        raise ValueError("__cuda_array_interface__: the producer marks its memory read-only; ntorch arrays are "
                         "writable, so wrapping it could write to it. Make a writable copy first.")
    typestr = desc["typestr"]  # "<V2": bfloat16, as torch's and ml_dtypes' own typestr (a 2-byte void otherwise)
    dtype = check_dtype(ml_dtypes.bfloat16 if typestr == "<V2" else np.dtype(typestr), "__cuda_array_interface__")
    shape = _shape_tuple(desc["shape"], "__cuda_array_interface__")
    strides = desc.get("strides")
    strides = c_strides(shape, dtype.itemsize) if strides is None else tuple(operator.index(s) for s in strides)
    if len(strides) != len(shape):
        raise ValueError("__cuda_array_interface__: strides and shape have different lengths")
    if any(s < 0 for n, s in zip(shape, strides) if n > 1):
        raise ValueError("At least one stride in the given array is negative, and arrays with negative strides "
                         "are not currently supported. (You can make a copy first.)")
    if any(s % dtype.itemsize for s in strides):
        raise ValueError(f"__cuda_array_interface__: strides {strides} are not multiples of the item size "
                         f"{dtype.itemsize}")
    strides = tuple(max(s, 0) for s in strides)
    if ptr is None or (ptr == 0 and 0 not in shape):
        raise ValueError("__cuda_array_interface__: null data pointer for a non-empty array")
    return int(ptr), shape, strides, dtype, desc.get("stream")


def wrap_device_pointer(ptr: int, shape: tuple, strides: tuple, dtype: np.dtype, keepalive) -> CudaArray:
    """A CudaArray over foreign device memory at `ptr` on the current device; `keepalive` lives as long."""
    require_device()
    ctx = numba_cuda().current_context()
    block = Block(extent(shape, strides, dtype.itemsize), current_device(), None, ptr=ptr, context=ctx,
                  keepalive=keepalive)
    return CudaArray(block, 0, shape, strides, dtype)


def _wrap_simulator_memory(ary: np.ndarray, keepalive) -> CudaArray:
    dtype = check_dtype(ary.dtype, "from_device_array")
    if any(s < 0 for n, s in zip(ary.shape, ary.strides) if n > 1):
        raise ValueError("from_device_array: negative strides are not supported (make a copy first)")
    strides = tuple(max(s, 0) for s in ary.strides)
    if ary.size == 0:
        host = np.empty(0, np.uint8)
    else:
        span = extent(ary.shape, strides, dtype.itemsize)
        first = np.lib.stride_tricks.as_strided(ary, shape=(1,), strides=(dtype.itemsize,)).view(np.uint8)
        host = np.lib.stride_tricks.as_strided(first, shape=(span,), strides=(1,))
    block = Block(host.size, 0, None, host=host, keepalive=keepalive)
    return CudaArray(block, 0, tuple(ary.shape), strides, dtype)


# --- bytes between host and device, and the kernels' views ---

def _host_view(a: CudaArray) -> np.ndarray:
    """Simulator only: the NumPy view of the simulated device bytes that `a` describes."""
    if 0 in a.shape:
        return np.empty(a.shape, a.dtype)
    return np.ndarray(a.shape, a.dtype, buffer=a.block.host, offset=a.offset, strides=a.strides)


def _sim_device_array(a: CudaArray):
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

    fake = FakeCUDAArray(_host_view(a))
    fake.owner = a.block  # keeps the memory out of the pool while the kernel argument lives (as DeviceView.owner)
    return fake


def _device_bytes(block: Block, lo: int, hi: int):
    """GPU only: a uint8 DeviceNDArray over bytes [lo, hi) of the block, keeping the block alive."""
    from numba.cuda.cudadrv.devicearray import DeviceNDArray
    from numba.cuda.cudadrv.driver import MemoryPointer, binding

    mem = MemoryPointer(block.context, binding.CUdeviceptr(block.ptr + lo), hi - lo, owner=block)
    return DeviceNDArray((hi - lo,), (1,), np.uint8, gpu_data=mem)


@functools.cache
def _kernel_views():
    """The kernels' array module, with the caching allocator installed as their scratch allocator."""
    from ..kernels.cuda import arrays

    def scratch(nbytes: int):
        block = alloc(nbytes)
        return block.ptr, block

    arrays.allocate = scratch
    return arrays


def _read_bytes(block: Block, lo: int, hi: int) -> np.ndarray:
    """A fresh host copy of the block's bytes [lo, hi)."""
    if block.host is not None:
        return block.host[lo:hi].copy()
    out = np.empty(hi - lo, np.uint8)
    _device_bytes(block, lo, hi).copy_to_host(out)
    return out


def _write_bytes(block: Block, lo: int, data: np.ndarray) -> None:
    """Copy contiguous host bytes into the block at byte `lo`."""
    if block.host is not None:
        block.host[lo:lo + data.size] = data
        return
    _device_bytes(block, lo, lo + data.size).copy_to_device(data)
