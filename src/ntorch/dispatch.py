"""The dispatcher: (op, device type, dtype) -> kernel. The only way an op reaches a kernel."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from .dtypes import CPU_ONLY_DTYPES, bfloat16, dtype, float32

_REGISTRY: dict[tuple[str, str, dtype], Any] = {}


class _Lazy:
    """A kernel made on first lookup: CUDA kernel modules import numba.cuda (half a second), which `import ntorch`
    must not pay on a machine that never uses the GPU."""

    __slots__ = ("make", "dt")

    def __init__(self, make: Callable[[dtype], Any], dt: dtype) -> None:
        self.make, self.dt = make, dt


def register(op: str, device: str, dtypes: Iterable[dtype], kernel_for: Callable[[dtype], Any],
             lazy: bool = False) -> None:
    """Register `kernel_for(dt)` as the kernel of `op` on `device` for each dtype in `dtypes` (called on first
    lookup when `lazy`). CUDA's bfloat16 entry is the op's float32 kernel behind an adapter (numba-cuda cannot type
    ml_dtypes' bfloat16 arrays: see kernels/cuda/bf16.py); it is made on first lookup."""
    dtypes = tuple(dtypes)
    for dt in dtypes:
        if device != "cpu" and dt in CPU_ONLY_DTYPES:
            continue
        if device == "cuda" and dt is bfloat16 and float32 in dtypes:
            _REGISTRY[(op, device, dt)] = _Lazy(_bf16_via_float32(kernel_for), dt)
            continue
        _REGISTRY[(op, device, dt)] = _Lazy(kernel_for, dt) if lazy else kernel_for(dt)


def _bf16_via_float32(kernel_for: Callable[[dtype], Any]) -> Callable[[dtype], Any]:
    """A kernel_for giving the float32 kernel wrapped to take bfloat16 device arrays (computes in float32,
    rounds each bfloat16 argument once afterwards, as torch's opmath)."""

    def make(dt: dtype):
        from .kernels.cuda.bf16 import float32_adapter

        return float32_adapter(kernel_for(float32))

    return make


def cuda_kernel(module: str, name: str) -> Callable[[dtype], Any]:
    """A kernel_for (with register(..., lazy=True)) that takes `name` from ntorch.kernels.cuda.<module> on first
    lookup, so the CUDA kernel modules (and numba.cuda) load only when a CUDA op runs."""

    def make(dt: dtype):
        return getattr(importlib.import_module(f"ntorch.kernels.cuda.{module}"), name)

    return make


def lookup(op: str, device: str, dt: dtype):
    """The kernel for (op, device, dtype), or NotImplementedError naming what is supported."""
    try:
        kernel = _REGISTRY[(op, device, dt)]
        if type(kernel) is _Lazy:
            kernel = _REGISTRY[(op, device, dt)] = kernel.make(kernel.dt)
        return kernel
    except KeyError:
        supported = sorted(d.name for (o, dev, d) in _REGISTRY if o == op and dev == device)
        if not supported:
            devices = sorted({dev for (o, dev, _) in _REGISTRY if o == op})
            raise NotImplementedError(
                f"{op}: no kernel for device '{device}' (devices with kernels: {', '.join(devices) or 'none'})"
            ) from None
        if dt.is_complex:  # torch's wording (ntorch has complex kernels for fewer ops than torch)
            from .dtypes import torch_name

            raise NotImplementedError(f"\"{op}_{device}\" not implemented for '{torch_name(dt)}'") from None
        raise NotImplementedError(
            f"{op}: not implemented for dtype {dt.name} on device '{device}'; "
            f"supported dtypes: {', '.join(supported)}"
        ) from None


def supported_dtypes(op: str, device: str = "cpu") -> list[dtype]:
    return [d for (o, dev, d) in _REGISTRY if o == op and dev == device]


def entries(op: str | None = None) -> list[tuple[str, str, str, Any]]:
    """Every registered (op, device, dtype name, kernel), optionally for one op: the dispatch table."""
    return sorted(
        ((o, dev, d.name, k) for (o, dev, d), k in _REGISTRY.items() if op is None or o == op),
        key=lambda e: e[:3],
    )
