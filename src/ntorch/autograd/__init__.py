"""Reverse-mode automatic differentiation: the graph (graph.py), the engine (engine.py), grad modes
(grad_mode.py) and custom Functions (function.py)."""

from . import functional, profiler  # noqa: F401  (torch.autograd.profiler)
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

__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "Node", "backward", "detect_anomaly", "enable_grad", "functional",
    "grad", "gradcheck", "gradgradcheck", "inference_mode", "is_anomaly_enabled", "is_grad_enabled", "no_grad",
    "set_detect_anomaly", "set_grad_enabled",
]
