"""ntorch.cuda: devices, memory statistics and errors (the subset of torch.cuda that ntorch needs).

Importing this package is cheap: numba.cuda (and with it a CUDA context) is imported only when a function
needs a device. Under NUMBA_ENABLE_CUDASIM=1 Numba's CUDA simulator counts as one device.

Streams: every kernel runs on the legacy default stream, so device work is ordered as the program issues it and
host copies synchronise implicitly. Interop exports name that stream (1) to consumers. torch's Stream / Event
API (ntorch.cuda.streams) works on top of that: events time and order work, streams can be waited on.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

__all__ = [
    "OutOfMemoryError", "CudaDeviceProperties", "is_available", "device_count", "current_device", "set_device",
    "synchronize", "get_device_name", "get_device_properties", "memory_allocated", "max_memory_allocated",
    "memory_reserved", "max_memory_reserved", "empty_cache", "reset_peak_memory_stats", "manual_seed",
    "manual_seed_all", "seed", "seed_all", "initial_seed", "get_rng_state", "set_rng_state", "get_rng_state_all",
    "set_rng_state_all", "get_device_capability", "is_initialized", "init", "device", "device_of",
    "is_bf16_supported", "mem_get_info", "memory_stats", "Stream", "Event", "StreamContext", "stream",
    "current_stream", "default_stream", "set_stream",
]


class OutOfMemoryError(RuntimeError):
    """The device has no memory left for an allocation, even after the caching allocator emptied its cache."""


NO_DEVICE_MESSAGE = (
    "Found no NVIDIA driver on your system: ntorch's CUDA back end needs an NVIDIA GPU and driver "
    "(or NUMBA_ENABLE_CUDASIM=1 to run on Numba's CUDA simulator)."
)

_state = {"cuda": None, "available": None, "count": None}
_props: dict[int, CudaDeviceProperties] = {}
_local = threading.local()  # the current device is per thread, as in PyTorch and Numba


def numba_cuda():
    """The numba.cuda module, imported on first use (the import costs about half a second)."""
    mod = _state["cuda"]
    if mod is None:
        from numba import cuda as mod

        _state["cuda"] = mod
    return mod


def is_simulator() -> bool:
    """True when numba.cuda runs on the simulator (NUMBA_ENABLE_CUDASIM=1 when it was imported)."""
    if _state["cuda"] is None:
        return os.environ.get("NUMBA_ENABLE_CUDASIM", "0").strip() not in ("", "0")
    from numba.cuda.core import config

    return bool(config.ENABLE_CUDASIM)


def is_available() -> bool:
    """Whether a CUDA device (or the simulator) can be used."""
    ok = _state["available"]
    if ok is None:
        try:
            ok = bool(numba_cuda().is_available())
        except Exception:  # no driver, broken install: simply not available
            ok = False
        _state["available"] = ok
    return ok


def device_count() -> int:
    """Number of usable CUDA devices (1 under the simulator, 0 without a driver)."""
    n = _state["count"]
    if n is None:
        n = len(numba_cuda().gpus) if is_available() else 0
        _state["count"] = n
    return n


def require_device() -> None:
    """Raise PyTorch's error when there is no device to run on."""
    if _state["available"] is not True and not is_available():  # (known available: no call)
        raise RuntimeError(NO_DEVICE_MESSAGE)


def device_index(device=None) -> int:
    """A device argument (None, int, 'cuda', 'cuda:1', ntorch.device) as a checked index."""
    require_device()
    if device is None:
        return current_device()
    if isinstance(device, str):
        from ..devices import device as _device_cls

        device = _device_cls(device)
    if hasattr(device, "type") and hasattr(device, "index"):
        if device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        device = device.index
        if device is None:
            return current_device()
    if isinstance(device, bool) or not isinstance(device, int):
        raise TypeError(f"expected a cuda device (int, str or ntorch.device), got {type(device).__name__}")
    if not 0 <= device < device_count():
        raise RuntimeError(f"CUDA error: invalid device ordinal (device {device}, {device_count()} available)")
    return device


def current_device() -> int:
    """Index of the current device of this thread."""
    if _state["available"] is not True:
        require_device()
    return getattr(_local, "index", 0)


def set_device(device) -> None:
    """Make `device` current for this thread (Numba's context follows)."""
    idx = device_index(device)
    if not is_simulator():
        numba_cuda().select_device(idx)
    _local.index = idx


def synchronize(device=None) -> None:
    """Wait for all work queued on the device to finish, then raise what its deferred input checks found
    (ntorch.cuda.checks)."""
    idx = device_index(device)
    cuda = numba_cuda()
    if is_simulator() or idx == current_device():
        cuda.synchronize()
    else:
        with cuda.gpus[idx]:
            cuda.synchronize()
    from . import checks

    checks.check_pending()


@dataclass(frozen=True)
class CudaDeviceProperties:
    """torch.cuda.get_device_properties(): static facts that launch configurations are chosen from."""

    name: str
    major: int
    minor: int
    total_memory: int
    multi_processor_count: int
    warp_size: int = 32
    max_threads_per_block: int = 1024
    max_threads_per_multi_processor: int = 2048
    max_shared_memory_per_block: int = 48 * 1024

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1 << 20)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def _simulator_properties() -> CudaDeviceProperties:
    major, minor = numba_cuda().gpus[0].compute_capability
    try:  # the simulator's "device memory" is host memory
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        total = 0
    return CudaDeviceProperties("Numba CUDA simulator", major, minor, total, multi_processor_count=1)


def _gpu_properties(idx: int) -> CudaDeviceProperties:
    from numba.cuda.cudadrv.driver import binding, driver

    dev = driver.get_device(idx)  # reads attributes without creating a context
    name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
    major, minor = dev.compute_capability
    try:
        total = int(driver.cuDeviceTotalMem(binding.CUdevice(dev.id)))
    except Exception:  # older bindings: ask the device's context instead
        with numba_cuda().gpus[idx]:
            total = int(numba_cuda().current_context().get_memory_info().total)
    return CudaDeviceProperties(
        name, major, minor, total, int(dev.MULTIPROCESSOR_COUNT),
        warp_size=int(dev.WARP_SIZE), max_threads_per_block=int(dev.MAX_THREADS_PER_BLOCK),
        max_threads_per_multi_processor=int(dev.MAX_THREADS_PER_MULTIPROCESSOR),
        max_shared_memory_per_block=int(dev.MAX_SHARED_MEMORY_PER_BLOCK),
    )


def get_device_properties(device=None) -> CudaDeviceProperties:
    """Name, compute capability, memory and multiprocessor count of a device (cached: they never change)."""
    idx = device_index(device)
    props = _props.get(idx)
    if props is None:
        props = _props[idx] = _simulator_properties() if is_simulator() else _gpu_properties(idx)
    return props


def get_device_name(device=None) -> str:
    """The device's marketing name, e.g. 'NVIDIA H100 80GB HBM3'."""
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple[int, int]:
    """(major, minor) compute capability, e.g. (9, 0) for an H100."""
    props = get_device_properties(device)
    return props.major, props.minor


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """torch's answer: False without CUDA; else True (ntorch's bfloat16 CUDA tensors store 16-bit words and compute
    through float32 kernels on any device), except that including_emulation=False asks for compute capability 8+."""
    if not is_available():
        return False
    return bool(including_emulation) or get_device_capability()[0] >= 8


def is_initialized() -> bool:
    """Whether CUDA was set up in this process: init() was called or device memory was allocated."""
    from .allocator import all_allocators

    return bool(_state.get("initialized")) or bool(all_allocators())


def init() -> None:
    """Set up CUDA now (a context on the current device) instead of at the first device tensor."""
    require_device()
    if not is_simulator():
        numba_cuda().current_context()
    _state["initialized"] = True


class device:
    """`with ntorch.cuda.device(d):` makes d the current device inside the block (None or -1: no change)."""

    def __init__(self, device) -> None:
        self.idx = -1 if device is None or (isinstance(device, int) and device == -1) else device_index(device)
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx != -1:
            self.prev_idx = current_device()
            if self.prev_idx != self.idx:
                set_device(self.idx)

    def __exit__(self, *exc) -> None:
        if self.idx != -1 and self.prev_idx != self.idx:
            set_device(self.prev_idx)


class device_of(device):
    """`with ntorch.cuda.device_of(t):` makes t's device current (a CPU tensor: no change)."""

    def __init__(self, obj) -> None:
        super().__init__(obj.get_device() if getattr(obj, "is_cuda", False) else -1)


# Memory statistics. As in PyTorch, they read 0 (and touch no driver) until something was allocated.

def _stats(device):
    from .allocator import existing_allocator

    alloc = existing_allocator(None if device is None else device_index(device))
    return None if alloc is None else alloc.stats()


def memory_allocated(device=None) -> int:
    """Bytes held by live arrays (each rounded up to its allocator size class)."""
    s = _stats(device)
    return 0 if s is None else s.allocated


def max_memory_allocated(device=None) -> int:
    """Peak of memory_allocated() since the start or the last reset_peak_memory_stats()."""
    s = _stats(device)
    return 0 if s is None else s.peak_allocated


def memory_reserved(device=None) -> int:
    """Bytes obtained from the driver: live blocks plus the allocator's cache."""
    s = _stats(device)
    return 0 if s is None else s.reserved


def max_memory_reserved(device=None) -> int:
    """Peak of memory_reserved() since the start or the last reset_peak_memory_stats()."""
    s = _stats(device)
    return 0 if s is None else s.peak_reserved


def mem_get_info(device=None) -> tuple[int, int]:
    """(free, total) bytes of the device, as the driver reports them (the simulator: host memory)."""
    from .allocator import NumbaDriver

    idx = device_index(device)
    if is_simulator():
        total = get_device_properties(idx).total_memory
        return max(total - memory_reserved(idx), 0), total
    with numba_cuda().gpus[idx]:
        return NumbaDriver.mem_info()


def memory_stats(device=None) -> dict:
    """The caching allocator's counters under torch's key names (empty until something was allocated)."""
    s = _stats(device)
    if s is None:
        return {}
    return {
        "allocated_bytes.all.current": s.allocated, "allocated_bytes.all.peak": s.peak_allocated,
        "reserved_bytes.all.current": s.reserved, "reserved_bytes.all.peak": s.peak_reserved,
        "num_device_alloc": s.driver_allocs,
    }


def empty_cache() -> None:
    """Give every cached (unused) block back to the driver; live arrays are untouched."""
    from .allocator import all_allocators

    for alloc in all_allocators():
        alloc.empty_cache()


def reset_peak_memory_stats(device=None) -> None:
    """Start the max_memory_* peaks again from the current values."""
    from .allocator import existing_allocator

    alloc = existing_allocator(None if device is None else device_index(device))
    if alloc is not None:
        alloc.reset_peak()


def manual_seed(seed: int) -> None:
    """Seed the current CUDA device's default generator (ntorch.manual_seed seeds every device)."""
    from ..random import cuda_generator

    cuda_generator(current_device()).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    from ..random import cuda_generator

    for index in range(device_count()):
        cuda_generator(index).manual_seed(seed)


def seed() -> None:
    """Seed the current device's generator from fresh entropy."""
    from ..random import cuda_generator

    cuda_generator(current_device()).seed()


def seed_all() -> None:
    from ..random import cuda_generator

    entropy = cuda_generator(current_device()).seed()
    for index in range(device_count()):
        cuda_generator(index).manual_seed(entropy)


def initial_seed() -> int:
    from ..random import cuda_generator

    return cuda_generator(current_device()).initial_seed()


def get_rng_state(device="cuda"):
    """The generator state of one device as a uint8 CPU tensor ((seed, offset) of its Philox stream)."""
    from ..random import cuda_generator

    return cuda_generator(device_index(device)).get_state()


def set_rng_state(new_state, device="cuda") -> None:
    from ..random import cuda_generator

    cuda_generator(device_index(device)).set_state(new_state)


def get_rng_state_all() -> list:
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states) -> None:
    for index, state in enumerate(new_states):
        set_rng_state(state, index)



from .streams import (  # noqa: E402  (streams.py imports the device helpers above)
    Event,
    Stream,
    StreamContext,
    current_stream,
    default_stream,
    set_stream,
    stream,
)


def __getattr__(name: str):
    """`ntorch.cuda.amp` without importing it first, as torch.cuda.amp (loaded on first use: it imports ntorch.amp)."""
    if name == "amp":
        import importlib

        return importlib.import_module(".amp", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
