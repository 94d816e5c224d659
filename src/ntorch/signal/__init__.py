"""ntorch.signal, as torch.signal: the window functions of ntorch.signal.windows."""

from . import windows  # noqa: F401

__all__ = ["windows"]
