"""Dropout: zero elements (or whole channels) with probability p and scale the rest by 1 / (1 - p) in training.

Composed of ops (a random mask, a multiply), so it runs on every device and autograd records it; the mask comes
from the default generator of the input's device.
"""

from __future__ import annotations

import math

from ..ops.creation import empty, empty_like, zeros_like
from ..random import rand
from ..tensor import Tensor


def _check_p(p: float) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def _apply_mask(input: Tensor, keep: Tensor, p: float, inplace: bool) -> Tensor:
    if not input.is_cuda and input.is_floating_point():  # torch's noise.div_(1 - p), then input * noise
        scaled = keep.to(input.dtype).div_(1.0 - p)
    else:
        scaled = keep.to(input.dtype) * (1.0 / (1.0 - p))
    return input.mul_(scaled) if inplace else input * scaled


def _keep(input: Tensor, shape: tuple, p: float) -> Tensor:
    """The keep mask: on the CPU torch's noise.bernoulli_(1 - p) on empty_like(input) (or on the (N, C, 1, ...)
    feature noise), so a seed gives torch's mask; on CUDA a uniform draw >= p."""
    if input.is_cuda or not input.is_floating_point():
        return rand(shape, dtype=input.dtype if input.is_floating_point() else None, device=input.device) >= p
    noise = empty_like(input) if shape == tuple(input.shape) else empty(shape, dtype=input.dtype)
    return noise.bernoulli_(1.0 - p)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    p = _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * zeros_like(input)
    return _apply_mask(input, _keep(input, tuple(input.shape), p), p, inplace)


def _channel_dropout(name: str, batched_ndim: int):
    """dropout1d/2d/3d: one draw per (sample, channel), over (N, C, *spatial) or unbatched (C, *spatial) input."""

    def channel_dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
        p = _check_p(p)
        if input.ndim not in (batched_ndim - 1, batched_ndim):
            raise RuntimeError(f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but received input "
                               f"with {input.ndim} dimensions")
        if not training or p == 0.0:
            return input
        lead = input.ndim - (batched_ndim - 2)  # the (N, C) or (C,) dims that get their own draw
        mask_shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
        keep = _keep(input, mask_shape, p)
        return _apply_mask(input, keep, p, inplace) if p < 1.0 else (input.mul_(0.0) if inplace else input * 0.0)

    channel_dropout.__name__ = name
    return channel_dropout


_SELU_ALPHA = 1.7580993408473766  # -selu's negative saturation (scale * alpha), torch's constant


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool) -> Tensor:
    """torch's alpha dropout: dropped elements become -alpha', then an affine map a*x + b keeps SELU's zero
    mean and unit variance; feature=True draws once per (N, C) and broadcasts over the other dims."""
    p = _check_p(p)
    if p == 0.0 or not training or input.numel() == 0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * zeros_like(input)
    if feature:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    else:
        shape = tuple(input.shape)
    keep = _keep(input, shape, p).to(input.dtype)
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    b = (keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    noise = keep * a
    if inplace:
        return input.mul_(noise).add_(b)
    return input * noise + b


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """F.alpha_dropout (for SELU networks); note torch's default training=False."""
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """F.feature_alpha_dropout: alpha dropout of whole channels."""
    return _alpha_dropout(input, p, training, inplace, True)


# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {"alpha_dropout": alpha_dropout, "feature_alpha_dropout": feature_alpha_dropout,
                    "dropout": dropout, "dropout1d": _channel_dropout("dropout1d", 3),
                    "dropout2d": _channel_dropout("dropout2d", 4), "dropout3d": _channel_dropout("dropout3d", 5)}
