"""torch.nn.init: fill a tensor in place (under no_grad) from ntorch's random generator, with torch's fan rules."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .. import random as _random
from ..autograd import no_grad
from ..tensor import Tensor

_skip_depth = 0


@contextmanager
def _skipping() -> Iterator[None]:
    """While active every filler here leaves its tensor as it is (nn.utils.skip_init builds modules so)."""
    global _skip_depth
    _skip_depth += 1
    try:
        yield
    finally:
        _skip_depth -= 1


_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (torch's table)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int | float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = size(1) * receptive field, fan_out = size(0) * receptive field (dims 2.. are the field)."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.size(1) * receptive, tensor.size(0) * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid = ["fan_in", "fan_out"]
    if mode not in valid:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill_from(tensor: Tensor, values: Tensor) -> Tensor:
    with no_grad():
        tensor.copy_(values)
    return tensor


def _rand(tensor: Tensor, generator, normal: bool) -> Tensor:
    draw = _random.randn if normal else _random.rand
    return draw(*tensor.shape, generator=generator, dtype=tensor.dtype, device=tensor.device)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Values drawn from U(a, b) (each part of a complex tensor, as torch's)."""
    if _skip_depth:
        return tensor
    with no_grad():
        if not tensor.is_cuda:  # torch's tensor.uniform_(a, b): the same stream on the CPU
            return tensor.uniform_(a, b, generator=generator)
        low = complex(a, a) if tensor.is_complex() else a
        return _fill_from(tensor, _rand(tensor, generator, False).mul_(b - a).add_(low))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Values drawn from N(mean, std**2) (a complex tensor: each part N(mean, std**2 / 2), as torch's)."""
    if _skip_depth:
        return tensor
    with no_grad():
        if not tensor.is_cuda:  # torch's tensor.normal_(mean, std)
            return tensor.normal_(mean, std, generator=generator)
        shift = complex(mean, mean) if tensor.is_complex() else mean
        return _fill_from(tensor, _rand(tensor, generator, True).mul_(std).add_(shift))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """N(mean, std**2) truncated to [a, b] by torch 2.13's rejection sampling: redraw normals outside [a, b] when
    the interval holds more than 30% of the mass, else uniform proposals on [a, b] accepted with the normal's
    density relative to its peak (the same draws, in the same order, as torch)."""
    if _skip_depth:
        return tensor
    from ..ops.creation import empty_like
    from ..ops.creation import tensor as new_tensor
    from ..ops.pointwise import where

    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may "
                      "be incorrect.", stacklevel=2)
    with no_grad():
        if norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std) > 0.3:
            lo = new_tensor(a, dtype=tensor.dtype).item()  # the bounds in the tensor's dtype
            hi = new_tensor(b, dtype=tensor.dtype).item()
            result = tensor.normal_(mean, std, generator=generator)
            while True:
                mask = (result < lo) | (result > hi)
                if not mask.any():
                    break
                result = where(mask, empty_like(result).normal_(mean, std, generator=generator), result)
            if result is not tensor:
                tensor.copy_(result)
            return tensor
        log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2
        candidates, accept_buf = empty_like(tensor), empty_like(tensor)
        tensor.uniform_(a, b, generator=generator)
        candidates.copy_(tensor)
        candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)
        pending = accept_buf.uniform_(generator=generator).log_().gt(candidates)
        if pending.any():
            result = tensor
            while True:
                candidates.uniform_(a, b, generator=generator)
                result = where(pending, candidates, result)
                candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)
                pending = where(pending, accept_buf.uniform_(generator=generator).log_().gt(candidates), pending)
                if not pending.any():
                    break
            tensor.copy_(result)
        return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    if _skip_depth:
        return tensor
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    if _skip_depth:
        return tensor
    with no_grad():
        tensor.zero_()
    return tensor


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (2-d tensors only)."""
    if _skip_depth:
        return tensor
    from ..ops.creation import eye

    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill_from(tensor, eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta (a convolution that keeps its input channels), per group."""
    if _skip_depth:
        return tensor
    dims = tensor.ndimension()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.size()
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    with no_grad():
        tensor.zero_()
        centre = tuple(s // 2 for s in sizes[2:])
        for g in range(groups):
            for d in range(min_dim):
                tensor[(g * out_per_group + d, d, *centre)] = 1
    return tensor


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al.)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """N(0, std**2) with std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR of a Gaussian draw, the sign of R's diagonal folded into Q (Saxe et
    al.); dims past the first are flattened, times gain."""
    from ..linalg import qr
    from ..ops.creation import empty

    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0 or _skip_depth:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    with no_grad():
        flattened = normal_(empty((rows, cols), dtype=tensor.dtype, device=tensor.device), 0, 1, generator)
        if rows < cols:
            flattened = flattened.t()
        q, r = qr(flattened)
        q = q * r.diagonal().sign()
        if rows < cols:
            q = q.t()
        tensor.view_as(q).copy_(q)
        tensor.mul_(gain)
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """N(0, std**2) values with ceil(sparsity * rows) zeros in every column, at random rows (2-d only)."""
    from ..ops.creation import tensor as as_index
    from ..random import randperm

    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if _skip_depth:
        return tensor
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with no_grad():
        normal_(tensor, 0, std, generator)
        for col_idx in range(cols):
            zero_rows = randperm(rows, generator=generator)[:num_zeros].tolist()
            if zero_rows:
                tensor[as_index(zero_rows, device=tensor.device), col_idx] = 0
    return tensor


class _Deprecated:
    """torch's old non-underscore names: call the in-place initializer after a FutureWarning."""

    def __init__(self, meth: Callable[..., Tensor]) -> None:
        self.meth = meth
        self.__name__ = meth.__name__[:-1]
        self.__doc__ = f"Deprecated: use nn.init.{meth.__name__}."

    def __call__(self, *args, **kwargs) -> Tensor:
        warnings.warn(f"`nn.init.{self.__name__}` is now deprecated in favor of `nn.init.{self.meth.__name__}`.",
                      FutureWarning, stacklevel=2)
        return self.meth(*args, **kwargs)


uniform = _Deprecated(uniform_)
normal = _Deprecated(normal_)
constant = _Deprecated(constant_)
eye = _Deprecated(eye_)
dirac = _Deprecated(dirac_)
xavier_uniform = _Deprecated(xavier_uniform_)
xavier_normal = _Deprecated(xavier_normal_)
kaiming_uniform = _Deprecated(kaiming_uniform_)
kaiming_normal = _Deprecated(kaiming_normal_)
orthogonal = _Deprecated(orthogonal_)
sparse = _Deprecated(sparse_)
