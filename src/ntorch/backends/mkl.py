"""torch.backends.mkl: ntorch does not call MKL."""

from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    return False
