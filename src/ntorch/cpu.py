"""torch.cpu: the device-agnostic helpers (`getattr(torch, device.type).synchronize()` and friends) for the CPU,
where they have nothing to do. torch.cpu.amp is left out (ntorch has no autocast)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from types import MappingProxyType
from typing import Any

__all__ = ["is_available", "is_initialized", "synchronize", "current_device", "current_stream", "stream",
           "set_device", "device_count", "Stream", "StreamContext", "Event", "get_capabilities"]


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return True


def synchronize(device: Any = None) -> None:
    """CPU kernels run synchronously: nothing to wait for."""


def device_count() -> int:
    """Always 1: torch counts the CPU as one device, not its cores."""
    return 1


def current_device() -> str:
    return "cpu"


def set_device(device: Any) -> None:
    """There is one CPU device: nothing to set."""


class Stream:
    """A CPU stream, for device-agnostic code only: its methods do nothing."""

    def __init__(self, priority: int = -1) -> None:
        pass

    def wait_stream(self, stream: Any) -> None:
        pass

    def record_event(self) -> None:
        pass

    def wait_event(self, event: Any) -> None:
        pass


class Event:
    """A CPU event: always complete."""

    def query(self) -> bool:
        return True

    def record(self, stream: Any = None) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def wait(self, stream: Any = None) -> None:
        pass


_default_stream = Stream()
_current = {"stream": _default_stream}


def current_stream(device: Any = None) -> Stream:
    return _current["stream"]


class StreamContext(AbstractContextManager):
    """Makes `stream` the current CPU stream for the block (None leaves the current one)."""

    def __init__(self, stream: Stream | None) -> None:
        self.stream = stream
        self.prev_stream = _default_stream

    def __enter__(self) -> None:
        if self.stream is None:
            return
        self.prev_stream = _current["stream"]
        _current["stream"] = self.stream

    def __exit__(self, *exc: Any) -> None:
        if self.stream is None:
            return
        _current["stream"] = self.prev_stream


def stream(stream: Stream | None) -> AbstractContextManager:
    return StreamContext(stream)


def get_capabilities() -> Mapping[str, Any]:
    """This CPU's instruction-set features as LLVM (hence Numba) sees them, under torch's key names where they
    differ (avx512_f, amx_tile, fma3, ...), plus architecture and the logical core count."""
    import platform

    from llvmlite import binding

    renamed = {"fma": "fma3", "sse4.1": "sse4_1", "sse4.2": "sse4_2"}
    caps: dict[str, Any] = {}
    for feature, on in binding.get_host_cpu_features().items():
        name = renamed.get(feature, feature).replace("-", "_").replace(".", "_")
        if name.startswith("avx512") and not name.startswith("avx512_"):
            name = "avx512_" + name[6:]
        caps[name] = bool(on)
    caps["architecture"] = platform.machine()
    caps["num_logical_cores"] = os.cpu_count()
    return MappingProxyType(caps)
