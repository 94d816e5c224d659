"""The remaining torch.nn.functional activations, composed of ntorch ops (so autograd and CUDA come for free).

Branches that would overflow in the unused side of a `where` (exp of a large x) are clamped first: a where
passes a zero gradient to the unused side, and 0 * inf would still be nan.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import no_grad
from ..autograd.graph import needs_graph, record
from ..ops import pointwise
from ..ops._util import check_scalar_fits, check_tensor
from ..ops.softmax import _implicit_dim, softmax
from ..random import rand
from ..tensor import Tensor, _wrap_dim

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _src(input: Tensor, inplace: bool) -> Tensor:
    """What an activation computes from: a copy when it overwrites a tensor autograd tracks, so the backward
    reads values the in-place write did not change (torch's native in-place ops need no copy)."""
    return input.clone() if inplace and input.requires_grad else input


def _out(input: Tensor, res: Tensor, inplace: bool) -> Tensor:
    return input.copy_(res) if inplace else res


def _float(input: Tensor, kernel: str) -> None:
    check_tensor(input, kernel)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.torch_name(input.dtype)}'")


def _neg_expm1(input: Tensor, scale: float = 1.0) -> Tensor:
    """exp(min(x, 0) * scale) - 1: the negative branch of the ELU family, finite for any x."""
    return (pointwise.clamp_max(input, 0.0) * scale).expm1()


def _elu_backward(c, g):
    """torch's elu_backward: g * scale for x > 0 (and nan), g * alpha * scale * input_scale * exp(x * input_scale)
    for x <= 0; the exp reads min(x, 0) only where x < 0, so the second derivative is torch's
    elu_double_backward (zero at 0, nan and x > 0) and a large x cannot make 0 * inf."""
    (x,) = c.saved_tensors
    neg, pos, ins = c.coefs
    xs = pointwise.where(x < 0, x, 0.0)
    return (pointwise.where(x <= 0, g * ((xs * ins).exp() * (neg * ins)), g * pos),)


def _elu_node(name: str, input: Tensor, alpha: float, scale: float, input_scale: float, inplace: bool) -> Tensor:
    """scale * (x for x > 0, alpha * (exp(x * input_scale) - 1) otherwise), as one node of torch's name whose
    gradient is torch's (elu, celu and selu are this op in torch)."""
    _float(input, "elu_cpu")
    x = _src(input, inplace)
    with no_grad():
        res = pointwise.where(x > 0, x, _neg_expm1(x, input_scale) * alpha)
        if scale != 1.0:
            res = res * scale
    if needs_graph(x):
        record(name, _elu_backward, (x,), (res,), (x,)).coefs = (alpha * scale, scale, input_scale)
    return _out(input, res, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _elu_node("EluBackward0", input, alpha, 1.0, 1.0, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x / alpha) - 1) otherwise."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu_node("CeluBackward0", input, alpha, 1.0, 1.0 / alpha, inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return _elu_node("EluBackward0", input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    _float(input, "mish_cpu")
    x = _src(input, inplace)
    return _out(input, x * pointwise.softplus(x).tanh(), inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """clamp(x + 3, 0, 6) / 6; the gradient passes strictly inside (-3, 3), as torch's, and is its 1.0f / 6.0f
    (float32's sixth, also for float64)."""
    _float(input, "hardsigmoid_cpu")
    x = _src(input, inplace)
    res = pointwise.clamp(x + 3.0, 0.0, 6.0) / 6.0
    if x.requires_grad:  # (x - x.detach()) is 0 with gradient 1: the value stays res, the gradient is the sixth
        inside = res.detach() + (x - x.detach()) * float(np.float32(1.0) / np.float32(6.0))
        res = pointwise.where((x > -3.0) & (x < 3.0), inside, res.detach())
    return _out(input, res, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * clamp(x + 3, 0, 6) / 6, by pieces so the gradient follows torch's: 0 up to -3 (included),
    x / 3 + 1/2 below 3, 1 from 3 on. x * 0 keeps torch's -0.0 (and nan for -inf) on the left."""
    _float(input, "hardswish_cpu")
    x = _src(input, inplace)
    res = pointwise.where(x <= -3.0, x * 0.0, pointwise.where(x < 3.0, x * (x + 3.0) / 6.0, x))
    return _out(input, res, inplace)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """0 where -lambd <= x <= lambd, else x (NaN stays NaN)."""
    _float(input, "hardshrink_cpu")
    return pointwise.where((input >= -lambd) & (input <= lambd), 0.0, input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    _float(input, "softshrink_cpu")
    if lambd < 0:
        top = float(dtypes.np_finfo(input.dtype.np).max)
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{dtypes.torch_name(input.dtype)}, but found {lambd:g}")
    # x * 0 in the middle, as torch: NaN stays NaN and -0.0 keeps its sign; its gradient there is torch's +0.0
    # (g * 0 would be -0.0 for a negative g), and NaN passes the gradient through as torch's backward does
    middle = pointwise.where(input != input, input, (input * 0.0).detach())
    return pointwise.where(input > lambd, input - lambd, pointwise.where(input < -lambd, input + lambd, middle))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    check_tensor(input, "softsign")
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    check_tensor(input, "tanhshrink")
    return input - input.tanh()


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), stable for any x."""
    _float(input, "log_sigmoid_cpu")
    x = input.contiguous()  # torch's log_sigmoid_forward allocates a contiguous output whatever the input layout
    with no_grad():
        res = pointwise.clamp_max(x, 0.0) - (-x.abs()).exp().log1p()
    if needs_graph(input):
        record("LogSigmoidBackward0", _logsigmoid_backward, (input,), (res,), (input,))
    return res


def _logsigmoid_backward(c, g):
    """torch's log_sigmoid_backward: g * sigmoid(-x) (0.5 g at 0; its derivative is torch's double backward)."""
    (x,) = c.saved_tensors
    return (g * (-x).sigmoid(),)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x)."""
    check_tensor(input, "softmin")
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel + 1)
    return softmax(-input, dim, dtype=dtype)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) for the two halves a, b of input along dim."""
    check_tensor(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(int(dim), input.ndim, "glu")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"glu_{input.device.type}\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    return input.narrow(d, 0, n // 2) * input.narrow(d, n // 2, n // 2).sigmoid()


def _int_scalar(v, dt) -> int:
    """A Python scalar converted to an integer dtype as torch converts a Scalar argument: floats truncate, a
    value outside the type's range raises, and -max..-1 wrap for an unsigned type."""
    check_scalar_fits(v, dt)
    return int(np.array(int(v)).astype(dt.np))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x (NaN stays NaN); integer inputs keep their dtype, with threshold and
    value converted to it as torch does."""
    check_tensor(input, "threshold")
    if input.dtype is dtypes.bool:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    if not input.dtype.is_floating_point:
        threshold, value = _int_scalar(threshold, input.dtype), _int_scalar(value, input.dtype)
    x = _src(input, inplace)
    return _out(input, pointwise.where(x <= threshold, value, x), inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x otherwise; weight has one entry or one per channel (dim 1, dim 0 for 1-D)."""
    check_tensor(input, "prelu")
    check_tensor(weight, "prelu", "weight")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {dtypes.torch_name(input.dtype)} and "
                           f"{dtypes.torch_name(weight.dtype)}")
    if weight.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
                           f"{weight.ndim}")
    n = weight.numel()
    if n != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if channels != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {channels}.")
        if input.ndim >= 2:
            weight = weight.reshape(n, *([1] * (input.ndim - 2)))
    elif weight.ndim == 1 and input.ndim == 0:
        weight = weight.reshape(())
    return pointwise.where(input > 0, input, weight * input)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """leaky_relu with slope (lower + upper) / 2 in eval; in training each negative element gets its own slope
    drawn uniformly from [lower, upper] by the input device's default generator."""
    _float(input, "leaky_relu_cpu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    # torch's rrelu_with_noise allocates its output contiguous (a transposed or channels-last input too)
    x = _src(input, inplace).contiguous()
    if training and not x.is_cuda:  # torch's CPU loop: one uniform double on [lower, upper) per element <= 0
        from ..random import _cpu_gen, _uniform_values

        neg = (x.detach()._host() <= 0).reshape(-1)
        slope = np.ones(neg.size, np.float64)
        op = np.float64 if x.dtype is dtypes.float64 else np.float32  # the bounds in the opmath type
        slope[neg] = _uniform_values(_cpu_gen(None), int(neg.sum()), dtypes.float64, op(lower), op(upper))
        slope = Tensor._wrap(slope.astype(op).reshape(tuple(x.shape)))
        res = pointwise.where(x >= 0, x, (x * slope).to(x.dtype))
    elif training:
        slope = rand(tuple(input.shape), dtype=input.dtype, device=input.device) * (upper - lower) + lower
        res = pointwise.where(x >= 0, x, x * slope)
    else:
        res = pointwise.where(x >= 0, x, x * ((lower + upper) / 2))
    return _out(input, res, inplace)


def _inplace_variant(fn):
    def variant(input: Tensor, *args, **kwargs) -> Tensor:
        return fn(input, *args, inplace=True, **kwargs)

    variant.__name__ = fn.__name__ + "_"
    return variant


# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {
    "elu": elu, "celu": celu, "selu": selu, "mish": mish, "hardswish": hardswish, "hardsigmoid": hardsigmoid,
    "hardshrink": hardshrink, "softshrink": softshrink, "softsign": softsign, "tanhshrink": tanhshrink,
    "logsigmoid": logsigmoid, "softmin": softmin, "glu": glu, "threshold": threshold, "prelu": prelu,
    "rrelu": rrelu,
    "elu_": _inplace_variant(elu), "celu_": _inplace_variant(celu), "selu_": _inplace_variant(selu),
    "threshold_": _inplace_variant(threshold), "rrelu_": _inplace_variant(rrelu),
}
