"""ntorch.utils: torch.utils's data loading (ntorch.utils.data)."""

from . import data

__all__ = ["data"]
