"""torch.nn.functional: activations built on the elementwise op table."""

from __future__ import annotations

from ..ops import pointwise, softmax
from ..ops.elementwise import apply as _apply
from ..ops.elementwise import apply_inplace as _apply_inplace
from ..tensor import Tensor as _Tensor

gelu = pointwise.gelu
softplus = pointwise.softplus
relu = pointwise.relu


def silu(input: _Tensor, inplace: bool = False) -> _Tensor:
    return _apply_inplace("silu", input) if inplace else _apply("silu", input)


def sigmoid(input: _Tensor) -> _Tensor:
    return _apply("sigmoid", input)


def tanh(input: _Tensor) -> _Tensor:
    return _apply("tanh", input)


def relu6(input: _Tensor, inplace: bool = False) -> _Tensor:
    return pointwise.clamp(input, 0, 6) if not inplace else input.clamp_(0, 6)


def leaky_relu(input: _Tensor, negative_slope: float = 0.01, inplace: bool = False) -> _Tensor:
    res = pointwise.where(input > 0, input, input * negative_slope)
    return input.copy_(res) if inplace else res


def hardtanh(input: _Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> _Tensor:
    return input.clamp_(min_val, max_val) if inplace else pointwise.clamp(input, min_val, max_val)


def _bind_tables() -> None:
    """Each nn op module lists its functions in a FUNCTIONAL table; torch.softmax & co. are F names too."""
    from .._methods import guard_tables
    from . import conv, dropout, losses, normalization, padding, pooling, sampling

    for module in (conv, dropout, losses, normalization, padding, pooling, sampling):
        guard_tables(module.FUNCTIONAL)
        globals().update(module.FUNCTIONAL)
    globals().update({k: v for k, v in softmax.FUNCTIONS.items() if k in ("softmax", "log_softmax")})


_bind_tables()
