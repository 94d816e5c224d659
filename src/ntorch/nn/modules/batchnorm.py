"""torch.nn.modules.batchnorm's names (code imports _BatchNorm / _NormBase from there for isinstance checks);
the classes live in normalization.py and lazy.py."""

from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    SyncBatchNorm,
    _BatchNorm,  # noqa: F401  (torch's private bases, imported by user code)
    _NormBase,  # noqa: F401
)

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
           "SyncBatchNorm"]
