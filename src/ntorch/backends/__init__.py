"""torch.backends: the flags scripts set for cuDNN, cuBLAS, oneDNN and friends, and the availability queries.

ntorch calls none of these libraries (its kernels are Numba's), so the flags are recorded and read back, and
change nothing else; the one wired flag is cuda.matmul.allow_tf32, which is float32 matmul precision as in torch
(True <-> ntorch.get_float32_matmul_precision() != 'highest'). The availability queries answer for ntorch: no
cuDNN, no oneDNN, no MPS.
"""

from __future__ import annotations

from contextlib import contextmanager

from . import _flags

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum", "disable_global_flags",
           "flags_frozen"]


def disable_global_flags() -> None:
    """From now on flags can only be changed inside their module's flags() context manager."""
    _flags._state["frozen"] = True


def flags_frozen() -> bool:
    return _flags._state["frozen"]


@contextmanager
def _allow_mutation():
    old = _flags._state["frozen"]
    _flags._state["frozen"] = False
    try:
        yield
    finally:
        _flags._state["frozen"] = old


from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum  # noqa: E402
