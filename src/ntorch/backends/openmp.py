"""torch.backends.openmp."""

from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    """Whether Numba's OpenMP threading layer (the one ntorch selects) can be loaded."""
    try:
        from numba.np.ufunc import omppool  # noqa: F401
    except ImportError:
        return False
    return True
