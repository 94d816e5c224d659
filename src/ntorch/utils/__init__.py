"""ntorch.utils: data loading (ntorch.utils.data) and activation checkpointing (ntorch.utils.checkpoint)."""

from . import checkpoint, data, hooks

__all__ = ["checkpoint", "data", "hooks"]
