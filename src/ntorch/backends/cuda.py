"""torch.backends.cuda: cuBLAS matmul flags, the scaled-dot-product-attention backend switches and the linalg
library preference. ntorch's CUDA kernels are Numba's and call neither cuBLAS nor cuSOLVER, so these are
recorded only; matmul.allow_tf32 is float32 matmul precision, as in torch (True <-> not 'highest')."""

from __future__ import annotations

import contextlib
import enum
import importlib.util
import warnings
from typing import Any

from ..ops import torch_extras
from ._flags import check_bool

__all__ = ["is_built", "matmul", "cuBLASModule", "preferred_linalg_library", "preferred_blas_library",
           "enable_flash_sdp", "flash_sdp_enabled", "enable_mem_efficient_sdp", "mem_efficient_sdp_enabled",
           "enable_math_sdp", "math_sdp_enabled", "enable_cudnn_sdp", "cudnn_sdp_enabled",
           "allow_fp16_bf16_reduction_math_sdp", "fp16_bf16_reduction_math_sdp_allowed",
           "is_flash_attention_available", "sdp_kernel"]


def is_built() -> bool:
    """Whether ntorch's CUDA back end (numba-cuda) is installed: with a GPU and driver, CUDA tensors work."""
    return importlib.util.find_spec("numba.cuda") is not None


def _reduction_setting(value: Any, attr_name: str) -> tuple[bool, bool]:
    """torch's parse of allow_{fp16,bf16}_reduced_precision_reduction: a bool, or (allow, allow_splitk)."""
    def ensure_bool(obj: Any, which: str) -> bool:
        if isinstance(obj, bool):
            return obj
        raise TypeError(f"{attr_name} expects a bool for {which}, but got {type(obj)!r}")

    if isinstance(value, bool):
        return value, True
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"{attr_name} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{attr_name} expects at most two boolean arguments")
        allow = ensure_bool(value[0], "allow_reduced_precision")
        return allow, (True if len(value) == 1 else ensure_bool(value[1], "allow_splitk"))
    raise TypeError(f"{attr_name} expects a bool or a tuple/list of bools, but got {type(value)!r}")


_matmul = {"fp16": (True, True), "bf16": (True, True), "fp16_accumulation": False, "fp32_precision": "none"}


class cuBLASModule:  # noqa: N801  (torch's name)
    """torch.backends.cuda.matmul: attribute reads and writes of the cuBLAS flags; other names are refused."""

    def __getattr__(self, name: str) -> Any:
        if name == "allow_tf32":
            return torch_extras.get_float32_matmul_precision() != "highest"
        if name in ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
            return _matmul[name[6:10]][0]
        if name in ("allow_fp16_reduced_precision_reduction_split_k",
                    "allow_bf16_reduced_precision_reduction_split_k"):
            return _matmul[name[6:10]][1]
        if name == "allow_fp16_accumulation":
            return _matmul["fp16_accumulation"]
        if name == "fp32_precision":  # torch's newer spelling of allow_tf32: 'tf32' | 'ieee' | 'none'
            if torch_extras.get_float32_matmul_precision() != "highest":
                return "tf32"
            return "ieee" if _matmul["fp32_precision"] == "ieee" else "none"
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "allow_tf32":
            check_bool(value, "set_allow_tf32_cublas")
            torch_extras.set_float32_matmul_precision("high" if value else "highest")
        elif name in ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
            _matmul[name[6:10]] = _reduction_setting(value, name)
        elif name == "allow_fp16_accumulation":
            check_bool(value, "set_allow_fp16_accumulation_cublas")
            _matmul["fp16_accumulation"] = value
        elif name == "fp32_precision":
            if value not in ("ieee", "tf32", "none"):
                raise RuntimeError(f"Unknown precision: {value}")
            _matmul["fp32_precision"] = value
            torch_extras.set_float32_matmul_precision("high" if value == "tf32" else "highest")
        else:
            raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()


class _LinalgBackend(enum.IntEnum):
    Default = 0
    Cusolver = 1
    Magma = 2

    __str__ = enum.Enum.__str__  # "_LinalgBackend.Default", as torch prints it


class _BlasBackend(enum.IntEnum):
    Default = 0
    Cublas = 1
    Cublaslt = 2
    Ck = 3

    __str__ = enum.Enum.__str__


_LINALG = {"default": _LinalgBackend.Default, "cusolver": _LinalgBackend.Cusolver, "magma": _LinalgBackend.Magma}
_BLAS = {"default": _BlasBackend.Default, "cublas": _BlasBackend.Cublas, "hipblas": _BlasBackend.Cublas,
         "cublaslt": _BlasBackend.Cublaslt, "hipblaslt": _BlasBackend.Cublaslt, "ck": _BlasBackend.Ck}
_preferred: dict[str, Any] = {"linalg": _LinalgBackend.Default, "blas": _BlasBackend.Cublas}


def _prefer(kind: str, table: dict, enum_type: type, backend: Any) -> Any:
    if backend is None:
        pass
    elif isinstance(backend, str):
        if backend not in table:
            raise RuntimeError(f"Unknown input value. Choose from: {', '.join(table)}.")
        _preferred[kind] = table[backend]
    elif isinstance(backend, enum_type):
        _preferred[kind] = backend
    else:
        raise RuntimeError("Unknown input value type.")
    return _preferred[kind]


def preferred_linalg_library(backend: str | _LinalgBackend | None = None) -> _LinalgBackend:
    """Records the preference and returns it (ntorch's CUDA linalg is its own Numba kernels either way)."""
    return _prefer("linalg", _LINALG, _LinalgBackend, backend)


def preferred_blas_library(backend: str | _BlasBackend | None = None) -> _BlasBackend:
    """Records the preference and returns it (ntorch's CUDA matmul is its own Numba kernel either way)."""
    return _prefer("blas", _BLAS, _BlasBackend, backend)


# scaled_dot_product_attention backends, all enabled as in torch; ntorch.nn.attention.sdpa_kernel sets these
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True, "fp16_bf16_reduction_math": False}


def _set_sdp(name: str, enabled: Any) -> None:
    check_bool(enabled, f"set_sdp_use_{name}")
    _sdp[name] = enabled


def enable_flash_sdp(enabled: bool) -> None:
    _set_sdp("flash", enabled)


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _set_sdp("mem_efficient", enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def enable_math_sdp(enabled: bool) -> None:
    _set_sdp("math", enabled)


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _set_sdp("cudnn", enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]


def allow_fp16_bf16_reduction_math_sdp(enabled: bool) -> None:
    check_bool(enabled, "set_math_sdp_allow_fp16_bf16_reduction")
    _sdp["fp16_bf16_reduction_math"] = enabled


def fp16_bf16_reduction_math_sdp_allowed() -> bool:
    return _sdp["fp16_bf16_reduction_math"]


def is_flash_attention_available() -> bool:
    """False: ntorch has no FlashAttention kernel (its attention is one Numba implementation)."""
    return False


@contextlib.contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True, enable_mem_efficient: bool = True,
               enable_cudnn: bool = True):
    """Deprecated in torch for ntorch.nn.attention.sdpa_kernel, which it calls."""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
                  "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with updated "
                  "signature.", FutureWarning, stacklevel=3)
    from ..nn.attention import SDPBackend, sdpa_kernel

    chosen = [backend for flag, backend in ((enable_flash, SDPBackend.FLASH_ATTENTION),
                                            (enable_mem_efficient, SDPBackend.EFFICIENT_ATTENTION),
                                            (enable_math, SDPBackend.MATH),
                                            (enable_cudnn, SDPBackend.CUDNN_ATTENTION)) if flag]
    with sdpa_kernel(chosen) as context:
        yield context
