"""torch.accelerator: the device-generic front of the current accelerator, which for ntorch is CUDA.

Why: torch's own tutorials now pick their device with
`torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"`; that line, and code
written against this module, runs unchanged. Every function forwards to ntorch.cuda (Numba's CUDA simulator counts
as a device, as it does there). Without a device, is_available() is False, current_accelerator() is None (as on a
CPU-only torch build) and the rest raise ntorch.cuda's "no device" error, except the memory statistics, which read
0 as torch's do before anything was allocated.
"""

from __future__ import annotations

from types import SimpleNamespace

from . import cuda
from .devices import device as _device

__all__ = [
    "is_available", "current_accelerator", "device_count", "current_device_index", "current_device_idx",
    "set_device_index", "set_device_idx", "device_index", "synchronize", "current_stream", "set_stream",
    "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
    "memory_stats", "reset_peak_memory_stats", "get_memory_info", "memory",
]


def is_available() -> bool:
    """Whether an accelerator (a CUDA device, or the simulator) can be used."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> _device | None:
    """device('cuda') when a CUDA device can be used, else None."""
    return _device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()


def current_device_index() -> int:
    return cuda.current_device()


def set_device_index(device, /) -> None:
    cuda.set_device(device)


current_device_idx = current_device_index
set_device_idx = set_device_index


class device_index:
    """`with ntorch.accelerator.device_index(i):` makes device i current inside the block (None: no change)."""

    def __init__(self, device, /) -> None:
        self._inner = cuda.device(device)

    def __enter__(self) -> None:
        self._inner.__enter__()

    def __exit__(self, *exc) -> None:
        self._inner.__exit__(*exc)


def synchronize(device=None, /) -> None:
    """Wait for all work queued on the device."""
    cuda.synchronize(device)


def current_stream(device=None, /) -> cuda.Stream:
    return cuda.current_stream(device)


def set_stream(stream: cuda.Stream) -> None:
    cuda.set_stream(stream)


def empty_cache() -> None:
    cuda.empty_cache()


def memory_allocated(device_index=None, /) -> int:
    return cuda.memory_allocated(device_index)


def max_memory_allocated(device_index=None, /) -> int:
    return cuda.max_memory_allocated(device_index)


def memory_reserved(device_index=None, /) -> int:
    return cuda.memory_reserved(device_index)


def max_memory_reserved(device_index=None, /) -> int:
    return cuda.max_memory_reserved(device_index)


def memory_stats(device_index=None, /) -> dict:
    return cuda.memory_stats(device_index)


def reset_peak_memory_stats(device_index=None, /) -> None:
    cuda.reset_peak_memory_stats(device_index)


def get_memory_info(device_index=None, /) -> tuple[int, int]:
    """(free, total) bytes of the device."""
    return cuda.mem_get_info(device_index)


# torch.accelerator.memory holds the same memory functions
memory = SimpleNamespace(
    empty_cache=empty_cache, memory_allocated=memory_allocated, max_memory_allocated=max_memory_allocated,
    memory_reserved=memory_reserved, max_memory_reserved=max_memory_reserved, memory_stats=memory_stats,
    reset_peak_memory_stats=reset_peak_memory_stats, get_memory_info=get_memory_info,
)
