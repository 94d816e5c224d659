"""torch.nn.grad: the gradients of a convolution w.r.t. its input or its weight, given grad_output.

Each is one backward pass through the convolution (with a zero input or weight of the requested size standing in
for the other operand): the same kernels as conv's own backward."""

from __future__ import annotations

from ..autograd import enable_grad
from ..autograd.engine import grad as _grad
from ..tensor import Tensor

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]


def _conv(nd: int):
    from . import functional as F

    return {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]


def _input_grad(nd: int, input_size, weight: Tensor, grad_output: Tensor, stride, padding, dilation,
                groups) -> Tensor:
    from ..ops.creation import zeros

    with enable_grad():
        x = zeros(tuple(input_size), dtype=grad_output.dtype, device=grad_output.device, requires_grad=True)
        out = _conv(nd)(x, weight.detach(), None, stride, padding, dilation, groups)
        (g,) = _grad([out], [x], [grad_output])
    return g


def _weight_grad(nd: int, input: Tensor, weight_size, grad_output: Tensor, stride, padding, dilation,
                 groups) -> Tensor:
    from ..ops.creation import zeros

    with enable_grad():
        w = zeros(tuple(weight_size), dtype=grad_output.dtype, device=grad_output.device, requires_grad=True)
        out = _conv(nd)(input.detach(), w, None, stride, padding, dilation, groups)
        (g,) = _grad([out], [w], [grad_output])
    return g


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _input_grad(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _weight_grad(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _input_grad(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _weight_grad(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _input_grad(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _weight_grad(3, input, weight_size, grad_output, stride, padding, dilation, groups)
