"""bfloat16 on CUDA: storage is raw 16-bit words, compute is float32 (torch's opmath type).

numba-cuda cannot type ml_dtypes' bfloat16 arrays, so no kernel ever sees one. `float32_adapter(kernel)` runs a
float32 kernel on bfloat16 device arrays: each run of overlapping bfloat16 arguments is widened (exactly) into one
float32 temporary, every argument becomes a view of it with the same element offsets and strides (so aliasing
views stay aliased), the kernel runs, and each temporary is rounded back once (round to nearest even; NaN stays
NaN). Rounding a value that was widened from bfloat16 gives its bits back, so the write-back of inputs is a no-op.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from . import arrays
from .launch import SIMULATOR, configure, cuda, grid_1d

__all__ = ["widen", "narrow", "float32_adapter", "BF16"]

BF16 = np.dtype(ml_dtypes.bfloat16)  # the dtype the front end stores (kernels never compute with it)


@cuda.jit(cache=True)
def _widen(dst, src):
    """dst (float32 bits as uint32) = src (bfloat16 bits as uint16) << 16: exact."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < dst.shape[0]:
        dst[i] = np.uint32(src[i]) << np.uint32(16)
        i += step


@cuda.jit(cache=True)
def _narrow(dst, src):
    """dst (bfloat16 bits) = src (float32 bits) rounded to nearest even; a NaN keeps its sign and top payload
    bits (quiet bit set if they are all zero, so it stays a NaN)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < dst.shape[0]:
        b = src[i]
        top = b >> np.uint32(16)
        if (b & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000):
            if (top & np.uint32(0x7F)) == np.uint32(0):
                top = top | np.uint32(0x40)
            dst[i] = np.uint16(top)
        else:
            dst[i] = np.uint16((b + np.uint32(0x7FFF) + (top & np.uint32(1))) >> np.uint32(16))
        i += step


def widen(dst, src) -> None:
    """dst (1-d contiguous float32) = src (1-d contiguous bfloat16 or its uint16/int16 bits)."""
    n = dst.shape[0]
    if n:
        configure(_widen, *grid_1d(n))(arrays.bits(dst, np.uint32), arrays.bits(src, np.uint16))


def narrow(dst, src) -> None:
    """dst (1-d contiguous bfloat16, or its 16-bit words) = src (1-d contiguous float32) rounded once."""
    n = dst.shape[0]
    if n:
        configure(_narrow, *grid_1d(n))(arrays.bits(dst, np.uint16), arrays.bits(src, np.uint32))


def _address(a) -> int:
    """The device (or, under the simulator, host) address of a's first element."""
    if SIMULATOR:
        return a._ary.__array_interface__["data"][0]
    return arrays.device_view(a).ptr


def _is_bf16(a) -> bool:
    return arrays.is_device_array(a) and a.dtype == BF16


class _Temporaries:
    """The float32 stand-ins of a call's bfloat16 device arrays: one per run of overlapping memory."""

    def __init__(self, found: list):
        spans = sorted(((_address(a), _address(a) + 2 * arrays.span(a).shape[0], a) for a in found if a.size),
                       key=lambda s: s[0])
        self.groups: list = []  # [lo, hi, lowest array]
        for lo, hi, a in spans:
            if self.groups and lo < self.groups[-1][1]:
                self.groups[-1][1] = max(self.groups[-1][1], hi)
            else:
                self.groups.append([lo, hi, a])
        self.temps = []
        for lo, hi, a in self.groups:
            n = (hi - lo) // 2
            temp = arrays.empty((n,), np.float32)
            widen(temp, arrays.view(arrays.bits(a, np.uint16), (n,), (1,)))
            self.temps.append(temp)
        self.mapped: dict = {}

    def stand_in(self, a):
        """a's float32 view (the same object for the same array)."""
        got = self.mapped.get(id(a))
        if got is not None:
            return got[1]
        if a.size == 0:
            out = arrays.empty(tuple(a.shape), np.float32)
        else:
            at = _address(a)
            for (lo, hi, _), temp in zip(self.groups, self.temps):
                if lo <= at < hi:
                    out = arrays.view(temp, tuple(a.shape), arrays.elem_strides(a), (at - lo) // 2)
                    break
        self.mapped[id(a)] = (a, out)
        return out

    def write_back(self) -> None:
        for (lo, hi, a), temp in zip(self.groups, self.temps):
            n = (hi - lo) // 2
            narrow(arrays.view(arrays.bits(a, np.uint16), (n,), (1,)), temp)


def _collect(value, found: list) -> None:
    if _is_bf16(value):
        found.append(value)
    elif type(value) in (list, tuple):
        for v in value:
            _collect(v, found)


def _substitute(value, temps: _Temporaries):
    if _is_bf16(value):
        return temps.stand_in(value)
    if type(value) in (list, tuple):
        return type(value)(_substitute(v, temps) for v in value)
    if isinstance(value, np.generic) and value.dtype == BF16:
        return np.float32(value)
    return value


class _Adapted:
    """A float32 kernel (or one of its entry points) that takes bfloat16 device arrays."""

    __slots__ = ("kernel",)

    def __init__(self, kernel):
        self.kernel = kernel

    def __call__(self, *args, **kwargs):
        found: list = []
        _collect(args, found)
        _collect(tuple(kwargs.values()), found)
        if not found:
            return self.kernel(*args, **kwargs)
        temps = _Temporaries(found)
        args = _substitute(args, temps)
        kwargs = {k: _substitute(v, temps) for k, v in kwargs.items()}
        result = self.kernel(*args, **kwargs)
        temps.write_back()
        return result

    def __getattr__(self, name: str):
        value = getattr(self.kernel, name)
        return _Adapted(value) if callable(value) else value

    def __repr__(self) -> str:
        return f"float32_adapter({self.kernel!r})"


def float32_adapter(kernel):
    """`kernel` (a float32 CUDA kernel entry, or an object whose methods are entries) for bfloat16 arrays."""
    return _Adapted(kernel)
