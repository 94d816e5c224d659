"""Neural-network building blocks (functional API so far)."""

from . import functional

__all__ = ["functional"]
