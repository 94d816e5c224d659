"""torch.backends.mkldnn (oneDNN): ntorch does not call oneDNN, so is_available() is False; the flags are kept
for scripts that set them."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any

from . import _allow_mutation, _flags

__all__ = ["is_available", "is_acl_available", "set_flags", "flags"]

_values: dict[str, Any] = {"enabled": True, "deterministic": False, "allow_tf32": False}


def is_available() -> bool:
    return False


def is_acl_available() -> bool:
    return False


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none") -> tuple:
    module = sys.modules[__name__]
    orig = (module.enabled, module.deterministic, module.allow_tf32, "none")
    for name, value in (("enabled", _enabled), ("deterministic", _deterministic), ("allow_tf32", _allow_tf32)):
        if value is not None:
            setattr(module, name, value)
    return orig


@contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    with _allow_mutation():
        orig = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*orig)


enabled: bool
deterministic: bool
allow_tf32: bool
_flags.install(__name__, {
    "enabled": _flags.bool_flag(_values, "enabled", "set_enabled_mkldnn"),
    "deterministic": _flags.bool_flag(_values, "deterministic", "set_deterministic_mkldnn"),
    "allow_tf32": _flags.bool_flag(_values, "allow_tf32", "set_allow_tf32_mkldnn"),
})
