"""A caching allocator for device memory: freed blocks are kept by size class and reused.

A training loop allocates the same sizes every step; asking the driver each time (cuMemAlloc/cuMemFree
synchronise the device) would dominate small ops. So:

- Sizes are rounded to classes. Requests up to 1 MiB round up to a multiple of 512 B (PyTorch's small-block
  granularity: at most 511 B wasted per block). Larger requests round up to a multiple of 2 MiB: the
  driver maps device memory in 2 MiB pages, so finer classes would not save real memory, and the waste is at
  most 2 MiB however big the block (power-of-two classes would waste up to half of a large tensor).
- A freed block goes to the free list of its class; `alloc` of the same class reuses it. Only a miss calls
  the driver (`context.memalloc`; under the simulator `cuda.device_array(n, uint8)`). Blocks are not split.
- Nobody frees explicitly: a `Block` is the handle shared by every array viewing the allocation, and a weak
  reference to it puts the memory back when the last user is collected: its callback is the deque's own `append`
  (a C call: no Python frame per freed block; thread-safe, takes no lock, so it may run inside a garbage
  collection triggered while the lock is held), which queues the dead reference; the allocator moves the queued
  entries to its free lists under its lock before reading any state.
- On an out-of-memory error from the driver: collect garbage (reference cycles may hold dead arrays), empty
  the cache once and retry; if it fails again raise OutOfMemoryError with PyTorch-like text.
- Stream semantics: one stream (the legacy default stream). A block freed while a kernel that uses it is
  still queued is safe to reuse, because the next user's work is queued behind it on the same stream.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections import deque
from dataclasses import dataclass

import numpy as np

from . import OutOfMemoryError, current_device, device_index, is_simulator, numba_cuda

SMALL_LIMIT = 1 << 20  # requests up to this many bytes are "small"
SMALL_GRANULE = 512
LARGE_GRANULE = 2 << 20


def round_size(nbytes: int) -> int:
    """The size class (bytes actually reserved) of a request of `nbytes`."""
    granule = SMALL_GRANULE if nbytes <= SMALL_LIMIT else LARGE_GRANULE
    return -(-nbytes // granule) * granule


def format_size(nbytes: float) -> str:
    """Bytes as PyTorch prints them in memory errors: '512 bytes', '3.00 KiB', '2.00 GiB'."""
    if nbytes < 1024:
        return f"{int(nbytes)} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        nbytes /= 1024
        if nbytes < 1024 or unit == "GiB":
            break
    return f"{nbytes:.2f} {unit}"


class Block:
    """One device allocation, shared by every array that views it.

    `size`: bytes usable (the size class; for foreign memory, the span wrapped). `ptr`: device address
    (None under the simulator). `host`: under the simulator, the uint8 host buffer standing in for device
    memory (None on a GPU). `mem`: the driver's object that owns the memory (kept referenced). `context`:
    the Numba context (GPU only). `keepalive`: the foreign producer of wrapped memory, if any.
    """

    __slots__ = ("size", "device", "ptr", "host", "mem", "context", "keepalive", "__weakref__")

    def __init__(self, size: int, device: int, mem, ptr=None, host=None, context=None, keepalive=None):
        self.size = size
        self.device = device
        self.mem = mem
        self.ptr = ptr
        self.host = host
        self.context = context
        self.keepalive = keepalive

    def __repr__(self) -> str:
        where = "simulator" if self.host is not None else f"0x{self.ptr or 0:x}"
        return f"Block({self.size} bytes, cuda:{self.device}, {where})"


@dataclass(frozen=True)
class MemoryStats:
    """A snapshot of one allocator's counters (bytes, except the call counts)."""

    allocated: int
    reserved: int
    peak_allocated: int
    peak_reserved: int
    driver_allocs: int  # misses: calls to the driver's allocation
    cache_hits: int


def _is_oom(exc: BaseException) -> bool:
    """True for the driver's CUDA_ERROR_OUT_OF_MEMORY (and MemoryError from the simulator's host buffers)."""
    if isinstance(exc, MemoryError):
        return True
    code = getattr(exc, "code", None)
    return getattr(code, "name", str(code)) == "CUDA_ERROR_OUT_OF_MEMORY"


class NumbaDriver:
    """What the allocator needs from numba-cuda: allocate on a miss, really free, report capacity."""

    @staticmethod
    def alloc(nbytes: int, device: int):
        """Ask the driver (or the simulator) for `nbytes`; returns (mem, ptr, host, context)."""
        cuda = numba_cuda()
        if is_simulator():
            mem = cuda.device_array(nbytes, np.uint8)
            return mem, None, mem._ary, None
        ctx = cuda.current_context()
        if ctx.device.id != device:
            ctx = cuda.current_context(device)
        mem = ctx.memalloc(nbytes)
        return mem, mem.device_pointer_value, None, ctx

    @staticmethod
    def flush() -> None:
        """Numba defers frees of dropped memory; make them happen now."""
        if not is_simulator():
            numba_cuda().current_context().deallocations.clear()

    @staticmethod
    def mem_info() -> tuple[int, int] | None:
        """(free, total) device bytes, or None when unknown (the simulator)."""
        if is_simulator():
            return None
        free, total = numba_cuda().current_context().get_memory_info()
        return free, total


class CachingAllocator:
    """The pool of one device. `driver` talks to the device (a NumbaDriver; tests pass a fake)."""

    def __init__(self, device: int = 0, driver=NumbaDriver):
        self.device = device
        self._driver = driver
        self._lock = threading.Lock()
        self._free: dict[int, list] = {}  # size class -> [(mem, ptr, host, context), ...]
        # dead blocks' weak references, appended by their callbacks and drained under the lock; _live maps a live
        # block's reference (by id) to (reference, size class, payload)
        self._released: deque = deque()
        self._live: dict[int, tuple] = {}
        self._allocated = 0
        self._cached = 0
        self._peak_allocated = 0
        self._peak_reserved = 0
        self._driver_allocs = 0
        self._hits = 0

    def alloc(self, nbytes: int) -> Block:
        """A block of at least `nbytes` bytes; it returns to this pool when the Block is collected."""
        if nbytes < 0:
            raise ValueError(f"cannot allocate a negative number of bytes ({nbytes})")
        size = -(-nbytes // SMALL_GRANULE) * SMALL_GRANULE if nbytes <= SMALL_LIMIT else round_size(nbytes)
        if size == 0:  # no memory, no driver call: a null block
            return Block(0, self.device, None, ptr=0 if not is_simulator() else None,
                         host=np.empty(0, np.uint8) if is_simulator() else None)
        with self._lock:
            released = self._released
            while released:  # self._drain() inline: nearly every op frees something
                _, rsize, rpayload = self._live.pop(id(released.popleft()))
                self._free.setdefault(rsize, []).append(rpayload)
                self._allocated -= rsize
                self._cached += rsize
            rpayload = None  # no reference left here: an out-of-memory retry must be able to free it
            free = self._free.get(size)
            if free:
                payload = free.pop()
                self._cached -= size
                self._hits += 1
            else:
                payload = self._alloc_from_driver(size)
                self._driver_allocs += 1
            self._allocated += size
            self._peak_allocated = max(self._peak_allocated, self._allocated)
            self._peak_reserved = max(self._peak_reserved, self._allocated + self._cached)
            mem, ptr, host, ctx = payload
            block = Block(size, self.device, mem, ptr=ptr, host=host, context=ctx)
            ref = weakref.ref(block, released.append)
            self._live[id(ref)] = (ref, size, payload)
        return block

    def _alloc_from_driver(self, size: int):
        try:
            return self._driver.alloc(size, self.device)
        except Exception as exc:
            if not _is_oom(exc):
                raise
        gc.collect()  # dead arrays in reference cycles still hold blocks
        self._drain()
        self._release_cache()
        try:
            return self._driver.alloc(size, self.device)
        except Exception as exc:
            if not _is_oom(exc):
                raise
            raise OutOfMemoryError(self._oom_message(size)) from exc

    def _oom_message(self, size: int) -> str:
        capacity = ""
        try:
            info = self._driver.mem_info()
        except Exception:  # the message must not fail
            info = None
        if info is not None:
            capacity = (f" GPU {self.device} has a total capacity of {format_size(info[1])} of which "
                        f"{format_size(info[0])} is free.")
        return (f"CUDA out of memory. Tried to allocate {format_size(size)}.{capacity} Of the allocated memory "
                f"{format_size(self._allocated)} is allocated by ntorch, and {format_size(self._cached)} is "
                f"reserved by ntorch but unallocated.")

    def _drain(self) -> None:
        """Move blocks released by finalizers to the free lists (caller holds the lock)."""
        released = self._released
        while released:
            _, size, payload = self._live.pop(id(released.popleft()))
            self._free.setdefault(size, []).append(payload)
            self._allocated -= size
            self._cached += size

    def _release_cache(self) -> None:
        """Drop every cached block so the driver can free it (caller holds the lock)."""
        self._free.clear()
        self._cached = 0
        self._driver.flush()

    def empty_cache(self) -> None:
        with self._lock:
            self._drain()
            self._release_cache()

    def reset_peak(self) -> None:
        with self._lock:
            self._drain()
            self._peak_allocated = self._allocated
            self._peak_reserved = self._allocated + self._cached

    def stats(self) -> MemoryStats:
        with self._lock:
            self._drain()
            return MemoryStats(self._allocated, self._allocated + self._cached, self._peak_allocated,
                               self._peak_reserved, self._driver_allocs, self._hits)


_allocators: dict[int, CachingAllocator] = {}
_registry_lock = threading.Lock()


def get_allocator(device: int | None = None) -> CachingAllocator:
    """The allocator of `device` (default: the current one), created on first use."""
    idx = current_device() if device is None else device_index(device)
    alloc = _allocators.get(idx)
    if alloc is None:
        with _registry_lock:
            alloc = _allocators.setdefault(idx, CachingAllocator(idx))
    return alloc


def existing_allocator(device: int | None = None) -> CachingAllocator | None:
    """The allocator of `device` if one was ever used, without initialising CUDA otherwise."""
    if not _allocators:
        return None
    return _allocators.get(current_device() if device is None else device)


def all_allocators() -> list[CachingAllocator]:
    return list(_allocators.values())


def alloc(nbytes: int, device: int | None = None) -> Block:
    """A block of at least `nbytes` on `device` (default: the current device) from its caching allocator."""
    pool = _allocators.get(device) if type(device) is int else None  # every op's output: skip the checks
    return (pool or get_allocator(device)).alloc(nbytes)
