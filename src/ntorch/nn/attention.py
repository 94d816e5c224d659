"""torch.nn.attention: SDPBackend and the sdpa_kernel context manager.

ntorch has one scaled_dot_product_attention implementation, so choosing a backend changes nothing in what it
computes: sdpa_kernel checks its argument as torch does and switches ntorch.backends.cuda's *_sdp_enabled flags
for the block (restoring them after), so code that reads the flags sees what it would under torch.
(MultiheadAttention lives in ntorch.nn.modules.attention, as in torch.)
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterable

from ..backends import cuda as _cuda

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The scaled-dot-product-attention backends torch can pick from (values as torch's)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    __str__ = enum.Enum.__str__  # "SDPBackend.MATH", as torch prints it


_FLAG_OF = {SDPBackend.CUDNN_ATTENTION: "cudnn", SDPBackend.FLASH_ATTENTION: "flash",
            SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.MATH: "math"}


def _current() -> list[SDPBackend]:
    return [backend for backend, flag in _FLAG_OF.items() if _cuda._sdp[flag]]


def _enable_only(backends: Iterable) -> None:
    chosen = set(backends)
    for backend, flag in _FLAG_OF.items():
        _cuda._sdp[flag] = backend in chosen


@contextlib.contextmanager
def sdpa_kernel(backends: list[SDPBackend] | SDPBackend, set_priority: bool = False):
    """Enables exactly the given backends' flags for the block (the order is kept as a priority in torch; ntorch
    has a single kernel, so only the flags are observable)."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
                             f"{type(backends).__name__}")
    if isinstance(backends, SDPBackend):
        backends = [backends]
    previous = _current()
    try:
        _enable_only(backends)
        yield {}
    finally:
        _enable_only(previous)
