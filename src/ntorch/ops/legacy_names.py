"""Small torch names ntorch lacked: anomaly-mode and autocast state accessors (deprecated spellings of
torch.autograd / torch.amp state), the legacy tensor types' setter, to_dlpack, slice_inverse, hash_tensor and
the Tensor methods as_subclass and storage_type."""

from __future__ import annotations

import warnings

import numpy as np

from .. import amp
from .. import legacy_types as _legacy
from .. import storage as _storage
from ..autograd import grad_mode
from ..tensor import Tensor

__all__ = ["FUNCTIONS", "METHODS"]


# -- anomaly mode ------------------------------------------------------------------------------------------------
def is_anomaly_enabled() -> bool:
    return grad_mode.STATE.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return grad_mode.STATE.anomaly_check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """torch.set_anomaly_enabled: autograd.set_detect_anomaly without the context manager."""
    for name, v in (("enabled", enabled), ("check_nan", check_nan)):
        if not isinstance(v, bool):
            pos = " (position 1)" if name == "enabled" else ""
            raise TypeError(f"set_anomaly_enabled(): argument '{name}'{pos} must be bool, not {type(v).__name__}")
    grad_mode.STATE.anomaly, grad_mode.STATE.anomaly_check_nan = enabled, check_nan


# -- autocast state: torch's deprecated per-device spellings, over ntorch.amp's state -------------------------------
def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def _check_bool(v) -> None:
    if not isinstance(v, bool):
        raise TypeError(f"enabled must be a bool (got {type(v).__name__})")


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return amp.get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return amp.get_autocast_dtype("cuda")


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    amp.set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    amp.set_autocast_dtype("cuda", dtype)


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return amp.is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    _check_bool(enabled)
    amp.set_autocast_enabled("cpu", enabled)


def is_autocast_cache_enabled() -> bool:
    return amp.STATE.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    _check_bool(enabled)
    amp.STATE.cache_enabled = enabled


def clear_autocast_cache() -> None:
    """ntorch's autocast casts each argument when an op runs and keeps no cache of casts: nothing to clear."""


def autocast_increment_nesting() -> int:
    amp.STATE.nesting += 1
    return amp.STATE.nesting


def autocast_decrement_nesting() -> int:
    amp.STATE.nesting -= 1
    return amp.STATE.nesting


# -- interop and views --------------------------------------------------------------------------------------------
def to_dlpack(tensor: Tensor):
    """torch.to_dlpack: a (legacy, unversioned) DLPack capsule sharing the tensor's memory."""
    from ..cuda.dlpack import to_dlpack_capsule

    if not isinstance(tensor, Tensor):
        raise TypeError(f"_to_dlpack(): argument 'data' (position 1) must be Tensor, not {type(tensor).__name__}")
    return to_dlpack_capsule(tensor._data)


def slice_inverse(input: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """The inverse of `input = src[..., start:end:step]` along dim: a view of input's storage with src's sizes,
    strides and offset (as torch, dim/start/end/step only describe the slice)."""
    return input.as_strided(tuple(src.shape), src.stride(), src.storage_offset())


_HASH_VIEW = {True: np.float64, False: np.int64}


def hash_tensor(input: Tensor, dim=None, *, keepdim: bool = False, mode: int = 0) -> Tensor:
    """The xor of the elements' 64-bit patterns (floats upcast to float64, integers to int64) over dim. torch
    returns uint64, which ntorch lacks: the result is int64 holding the same 64 bits."""
    if mode != 0:
        raise RuntimeError(f"hash_tensor: Expected mode to be 0 (xor_reduction), but got {mode}")
    if dim is None and input.numel() == 0:
        raise RuntimeError("hash_tensor: Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    host = input.detach().cpu().numpy()
    wide = host.astype(_HASH_VIEW[input.dtype.is_floating_point]).view(np.int64)
    if dim is None:
        axes = tuple(range(host.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = tuple(sorted({d % max(host.ndim, 1) for d in dims}))
    bits = np.bitwise_xor.reduce(wide, axis=axes, keepdims=keepdim) if axes else wide.copy()
    from .creation import tensor

    return tensor(np.asarray(bits, dtype=np.int64), device=input.device)


def as_subclass(self: Tensor, cls: type) -> Tensor:
    """A `cls` instance sharing self's memory and staying in self's autograd graph (a view, as torch's alias)."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not possible. "
                        "Make sure your class inherits from Tensor.")
    out = self.view(self.shape)
    out.__class__ = cls
    return out


FUNCTIONS = {
    "is_anomaly_enabled": is_anomaly_enabled, "is_anomaly_check_nan_enabled": is_anomaly_check_nan_enabled,
    "set_anomaly_enabled": set_anomaly_enabled,
    "get_autocast_cpu_dtype": get_autocast_cpu_dtype, "get_autocast_gpu_dtype": get_autocast_gpu_dtype,
    "set_autocast_cpu_dtype": set_autocast_cpu_dtype, "set_autocast_gpu_dtype": set_autocast_gpu_dtype,
    "is_autocast_cpu_enabled": is_autocast_cpu_enabled, "set_autocast_cpu_enabled": set_autocast_cpu_enabled,
    "is_autocast_cache_enabled": is_autocast_cache_enabled, "set_autocast_cache_enabled": set_autocast_cache_enabled,
    "clear_autocast_cache": clear_autocast_cache, "autocast_increment_nesting": autocast_increment_nesting,
    "autocast_decrement_nesting": autocast_decrement_nesting,
    "set_default_tensor_type": _legacy.set_default_tensor_type,
    "to_dlpack": to_dlpack, "slice_inverse": slice_inverse, "hash_tensor": hash_tensor,
}

METHODS = {
    "as_subclass": as_subclass,
    "storage_type": _storage.storage_type,
    "slice_inverse": slice_inverse,
    "hash_tensor": hash_tensor,
}
