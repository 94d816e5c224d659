"""torch.backends.opt_einsum: whether the opt_einsum package is installed. ntorch's einsum does not consult it
(it contracts operands left to right, as torch does without opt_einsum)."""

from __future__ import annotations

import importlib.util
from contextlib import contextmanager
from typing import Any

from . import _allow_mutation

__all__ = ["is_available", "get_opt_einsum", "set_flags", "flags"]

_AVAILABLE = importlib.util.find_spec("opt_einsum") is not None
enabled: bool = _AVAILABLE  # plain attributes, as in torch (whose checks run only through set_flags/flags)
strategy: str | None = "auto" if _AVAILABLE else None


def is_available() -> bool:
    return _AVAILABLE


def get_opt_einsum() -> Any:
    """The opt_einsum package if it is installed, else None."""
    if not _AVAILABLE:
        return None
    import opt_einsum

    return opt_einsum


def _set_enabled(value: Any) -> None:
    if not _AVAILABLE and value:
        raise ValueError(f"opt_einsum is not available, so setting `enabled` to {value} will not reap the benefits "
                         "of calculating an optimal path for einsum. torch.einsum will fall back to contracting from "
                         "left to right. To enable this optimal path calculation, please install opt-einsum.")
    global enabled
    enabled = value


def _set_strategy(value: Any) -> None:
    if not _AVAILABLE:
        raise ValueError(f"opt_einsum is not available, so setting `strategy` to {value} will not be meaningful. "
                         "torch.einsum will bypass path calculation and simply contract from left to right. "
                         "Please install opt_einsum or unset `strategy`.")
    if not enabled:
        raise ValueError(f"opt_einsum is not enabled, so setting a `strategy` to {value} will not be meaningful. "
                         "torch.einsum will bypass path calculation and simply contract from left to right. "
                         "Please set `enabled` to `True` as well or unset `strategy`.")
    if value not in ("auto", "greedy", "optimal"):
        raise ValueError(f"`strategy` must be one of the following: [auto, greedy, optimal] but is {value}")
    global strategy
    strategy = value


def set_flags(_enabled=None, _strategy=None) -> tuple:
    orig = (enabled, strategy if _AVAILABLE else None)
    if _enabled is not None:
        _set_enabled(_enabled)
    if _strategy is not None:
        _set_strategy(_strategy)
    return orig


@contextmanager
def flags(enabled=None, strategy=None):
    with _allow_mutation():
        orig = set_flags(enabled, strategy)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*orig)

