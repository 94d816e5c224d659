"""torch.version for ntorch: the package version, the CUDA version numba-cuda can compile for (None without a
usable CUDA toolkit, as torch's CPU build reports), the git commit when ntorch runs from a checkout."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu"]  # noqa: F822  (lazy)

__version__ = "0.1.0"
debug = False
hip: str | None = None
rocm: str | None = None
xpu: str | None = None

_lazy: dict[str, Any] = {}


def _cuda_version() -> str | None:
    """'major.minor' of the CUDA runtime numba-cuda loads; None without one (or on the simulator, whose version
    is (-1, -1)). numba.cuda is imported only when this is first asked for."""
    try:
        from numba import cuda as numba_cuda

        major, minor = numba_cuda.runtime.get_version()
    except Exception:  # no toolkit libraries, no numba-cuda: no CUDA
        return None
    return None if major < 0 else f"{major}.{minor}"


def _git_version() -> str:
    """The commit of the checkout ntorch is imported from, else 'Unknown' (torch's word when it has none)."""
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "Unknown"
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else "Unknown"


_COMPUTE = {"cuda": _cuda_version, "git_version": _git_version}


def __getattr__(name: str) -> Any:
    """`cuda` and `git_version` are found on first access (they cost an import or a subprocess)."""
    if name in _COMPUTE:
        if name not in _lazy:
            _lazy[name] = _COMPUTE[name]()
        return _lazy[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
