"""torch.backends.cudnn: ntorch has no cuDNN (its CUDA kernels are Numba's), so is_available() is False and
version() None, as on a torch build without cuDNN; the flags are kept for scripts that set them."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any

from . import _allow_mutation, _flags

__all__ = ["is_available", "version", "is_acceptable", "set_flags", "flags"]

_values: dict[str, Any] = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True,
                           "fp32_precision": "none", "depthwise_kernel": "auto"}
_FP32 = ("ieee", "tf32", "none")


def is_available() -> bool:
    return False


def version() -> int | None:
    return None


def is_acceptable(tensor: Any) -> bool:
    """Whether cuDNN would take this tensor: never, there is no cuDNN."""
    return False


def _set_fp32_precision(value: Any) -> None:
    if value not in _FP32:
        raise RuntimeError(f"Unknown precision: {value}")
    _values["fp32_precision"] = value


def _set_depthwise_kernel(value: Any) -> None:
    _values["depthwise_kernel"] = value


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None,
              _fp32_precision="none", _depthwise_kernel=None) -> tuple:
    """Sets the given flags (None leaves one as it is) and returns the previous ones, as torch's does."""
    module = sys.modules[__name__]
    orig = (module.enabled, module.benchmark, None, module.deterministic, module.allow_tf32,
            module.fp32_precision, module.depthwise_kernel)
    for name, value in (("enabled", _enabled), ("benchmark", _benchmark), ("deterministic", _deterministic),
                        ("allow_tf32", _allow_tf32), ("fp32_precision", _fp32_precision),
                        ("depthwise_kernel", _depthwise_kernel)):
        if value is not None:
            setattr(module, name, value)
    return orig


@contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
          fp32_precision="none", depthwise_kernel="auto"):
    """Sets the flags for the block (torch's defaults: enabled=False) and restores them after."""
    with _allow_mutation():
        orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32, fp32_precision,
                         depthwise_kernel)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*orig)


benchmark_limit = None  # torch has it only where cuDNN is available
enabled: bool
benchmark: bool
deterministic: bool
allow_tf32: bool
fp32_precision: str
depthwise_kernel: str
_flags.install(__name__, {
    "enabled": _flags.bool_flag(_values, "enabled", "set_enabled_cudnn"),
    "benchmark": _flags.bool_flag(_values, "benchmark", "set_benchmark_cudnn"),
    "deterministic": _flags.bool_flag(_values, "deterministic", "set_deterministic_cudnn"),
    "allow_tf32": _flags.bool_flag(_values, "allow_tf32", "set_allow_tf32_cudnn"),
    "fp32_precision": _flags.Prop(lambda: _values["fp32_precision"], _set_fp32_precision),
    "depthwise_kernel": _flags.Prop(lambda: _values["depthwise_kernel"], _set_depthwise_kernel),
})
