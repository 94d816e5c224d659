"""Reverse-mode automatic differentiation: the graph (graph.py), the engine (engine.py), grad modes
(grad_mode.py) and custom Functions (function.py)."""

from . import anomaly_mode, forward_ad, functional, profiler  # noqa: F401  (torch.autograd.profiler)
from .engine import backward, grad
from .function import Function, FunctionCtx
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Node
from .variable import Variable

__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "Node", "Variable", "backward", "forward_ad",
    "detect_anomaly", "enable_grad", "functional",
    "grad", "gradcheck", "gradgradcheck", "inference_mode", "is_anomaly_enabled", "is_grad_enabled", "no_grad",
    "set_detect_anomaly", "set_grad_enabled", "is_multithreading_enabled", "set_multithreading_enabled",
]


def is_multithreading_enabled() -> bool:
    """torch runs backward on per-device threads when enabled; ntorch's engine runs on the calling thread, so the
    flag only records the request."""
    return _MULTITHREADING[0]


class set_multithreading_enabled:
    """Sets the flag (and, used as a context manager, restores it on exit)."""

    def __init__(self, mode: bool) -> None:
        self._prev = _MULTITHREADING[0]
        _MULTITHREADING[0] = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _MULTITHREADING[0] = self._prev


_MULTITHREADING = [True]
