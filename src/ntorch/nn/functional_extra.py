"""F names torch has beyond the core layers, composed of existing ntorch ops (so CPU and CUDA both work):
in-place activation forms, gumbel_softmax, power-average (LP) pooling, max_unpool1d/3d, the `_with_indices`
pooling aliases, multilabel_margin_loss, triplet_margin_with_distance_loss and fractional max pooling."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from .. import dtypes
from ..ops import pointwise
from ..ops.creation import tensor as _tensor
from ..tensor import Tensor
from .losses import _reduction
from .modules.utils import _ntuple, _pair, _single

_triple = _ntuple(3, "_triple")


def _f(name: str):
    """The F function `name` at call time (F binds its tables after this module is imported)."""
    from . import functional

    return getattr(functional, name)


# -- in-place activations ------------------------------------------------------------------------------------
def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _f("leaky_relu")(input, negative_slope, True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return _f("hardtanh")(input, min_val, max_val, True)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    return _f("channel_shuffle")(input, groups)


# -- gumbel softmax ------------------------------------------------------------------------------------------
def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """Softmax of (logits + Gumbel noise) / tau; hard=True returns one-hot samples whose gradient is the soft
    sample's (the straight-through estimator)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    from .. import zeros_like

    gumbels = -zeros_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# -- LP pooling ----------------------------------------------------------------------------------------------
def _lp_pool(nd: int, input: Tensor, norm_type, kernel_size, stride, ceil_mode: bool) -> Tensor:
    """(sum over each window of x**p) ** (1/p), as torch: an average pool times the window size."""
    suffix = f"{nd}d"
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        pooled = _f("max_pool" + suffix)((input.abs() if norm_type > 0 else -input.abs()), kernel_size, stride, 0, 1,
                                         ceil_mode)
        return pooled if norm_type > 0 else -pooled
    avg = _f("avg_pool" + suffix)
    if stride is not None:
        out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    size = math.prod(_ntuple(nd, "")(kernel_size))
    return (out.sign() * out.abs().relu()).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


# -- max unpooling -------------------------------------------------------------------------------------------
def _unpool_output_size(input: Tensor, kernel_size, stride, padding, output_size) -> list:
    """torch's F._unpool_output_size: the default size, or output_size checked to be within a stride of it."""
    n = len(kernel_size)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        ret = default
    else:
        output_size = list(output_size)
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(n):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
        ret = output_size
    for d in range(n):
        if ret[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return [int(v) for v in ret]


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """max_unpool2d over (.., L, 1), as torch does it."""
    k = _single(kernel_size)
    s = _single(stride) if stride is not None else k
    p = _single(padding)
    osz = _unpool_output_size(input, k, s, p, output_size)
    return _f("max_unpool2d")(input.unsqueeze(-1), indices.unsqueeze(-1), (k[0], 1), (s[0], 1), (p[0], 0),
                              (osz[0], 1)).squeeze(-1)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Each value scattered to its flat index in a zeroed (D, H, W) volume (the backward gathers there)."""
    k = _triple(kernel_size)
    s = _triple(stride) if stride is not None else k
    p = _triple(padding)
    osz = _unpool_output_size(input, k, s, p, output_size)
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with "
                           f"{input.ndim} dimensions.")
    if indices.dtype is not dtypes.int64:
        raise RuntimeError("elements in indices should be type int64")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    size = osz[0] * osz[1] * osz[2]
    if indices.numel() and bool(((indices < 0) | (indices >= size)).any()):
        flat = indices.reshape(-1)
        bad = int(flat[((flat < 0) | (flat >= size)).nonzero()[0, 0]])
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{osz[0]}x{osz[1]}x{osz[2]})")
    lead = tuple(input.shape[:-3])
    planes = input.reshape(*lead, -1)
    out = planes.new_zeros((*lead, size)).scatter(-1, indices.reshape(*lead, -1), planes)
    return out.reshape(*lead, *osz)


# -- _with_indices aliases -----------------------------------------------------------------------------------
def _with_indices(name: str, pool: str, arity: int):
    """F.<pool>_with_indices: the pool with return_indices=True whatever return_indices says (as torch's aten op)."""

    def fn(input: Tensor, *args, return_indices: bool = False, **kwargs):
        if len(args) > arity:  # a positional return_indices sits after the pool's own arguments
            args = args[:arity]
        return _f(pool)(input, *args, return_indices=True, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{pool} returning (output, indices)."
    return fn


# -- losses --------------------------------------------------------------------------------------------------
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Per sample: sum over target classes j (target's entries up to the first -1) and non-target classes i of
    max(0, 1 - (x[j] - x[i])), divided by the number of classes."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.dtype is not dtypes.int64:
        raise RuntimeError(f"expected scalar type Long but found {dtypes.torch_name(target.dtype)}")
    if input.ndim > 2 or (input.ndim == 1 and input.shape[0] == 0) or (input.ndim == 2 and input.shape[1] == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    c = input.shape[-1] if input.ndim else 1
    x = input.reshape(-1, c)
    t = target.reshape(-1, c)
    if input.dtype in dtypes.HALF_DTYPES and not input.is_cuda:  # torch's CPU kernel has no Half/BFloat16
        raise NotImplementedError("\"multilabel_margin_loss_forward_out_frame\" not implemented for "
                                  f"'{dtypes.torch_name(input.dtype)}'")
    if t.numel() and bool(((t < -1) | (t >= c)).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    valid = (t < 0).cumsum(1) == 0  # the targets before the first -1
    tc = t.clamp(min=0)
    is_target = x.new_zeros(x.shape).scatter_add(1, tc, valid.to(x.dtype)) > 0
    xy = x.gather(1, tc)
    margins = (1 - xy.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)
    mask = valid.unsqueeze(2) & is_target.logical_not().unsqueeze(1)
    loss = margins.masked_fill(mask.logical_not(), 0.0).sum((1, 2)) / c
    if reduction == "none":
        return loss.reshape(input.shape[:-1]) if input.ndim else loss.reshape(())
    return loss.sum() if reduction == "sum" else loss.mean()


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable | None = None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with any distance function (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not a_dim == p_dim == n_dim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    if distance_function is None:
        distance_function = _f("pairwise_distance")
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = pointwise.FUNCTIONS["minimum"](dist_neg, distance_function(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp(min=0)
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if reduction == "mean" else loss


# -- fractional max pooling ----------------------------------------------------------------------------------
def _intervals(samples: np.ndarray, in_size: int, out_size: int, pool: int) -> np.ndarray:
    """ATen's generate_intervals for every plane at once: window starts from one uniform sample per plane,
    computed in the input's dtype as torch does (its rounding decides the starts)."""
    dt = samples.dtype.type
    seq = np.empty(samples.shape + (out_size,), np.int64)
    if out_size > 1:
        alpha = dt(in_size - pool) / dt(out_size - 1)
        i = np.arange(out_size - 1, dtype=samples.dtype)
        seq[..., :-1] = ((i + samples[..., None]) * alpha).astype(np.int64) - \
            (samples[..., None] * alpha).astype(np.int64)[..., :1]
    if out_size > 0:
        seq[..., -1] = in_size - pool
    return seq


_SIZE_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _fractional_max_pool(nd: int, input: Tensor, kernel_size, output_size, output_ratio, _random_samples):
    op = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    expand = _pair if nd == 2 else _triple
    if output_size is None:
        if nd == 2 and isinstance(output_ratio, (tuple, list)) and len(output_ratio) > 2:
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a single Int or tuple of "
                             "Ints.")
        ratio = expand(output_ratio)
        output_size = [int(input.shape[-nd + d] * ratio[d]) for d in range(nd)]
    if input.ndim < nd + 1:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.ndim, 1)}, "
                         f"{max(input.ndim, 1) - 1}], but got {-nd - 1})")
    batched = input.ndim == nd + 2
    n = input.shape[0] if batched else 1
    c = input.shape[-nd - 1]
    if _random_samples is None:
        from .. import rand

        _random_samples = rand(n, c, nd, dtype=input.dtype, device=input.device)
    ints = "Ints" if nd == 2 else "three Ints"
    ks = expand(kernel_size)
    if len(ks) != nd:
        raise RuntimeError(f"{op}: kernel_size must either be a single Int or tuple of {ints}")
    osz = expand(output_size)
    if len(osz) != nd:
        raise RuntimeError(f"{op}: output_size must either be a single Int or tuple of {ints}")
    if input.ndim != nd + 1 and input.ndim != nd + 2:
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}")
    if _random_samples.dtype is not input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if _random_samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {_random_samples.ndim}")
    if _random_samples.shape[0] < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if _random_samples.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if _random_samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {_random_samples.shape[2]}.")
    in_sz = tuple(input.shape[-nd:])
    for name, k, o, i in zip(_SIZE_NAMES[nd], ks, osz, in_sz):
        if o + k - 1 > i - (nd == 3):  # ATen's 3-d check is strict
            suffix = "_out" if nd == 3 else ""
            raise RuntimeError(f"{op}{suffix}(): pool {name} {k} too large relative to input {name} {i}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"{op}_out_frame\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    # window starts per plane and dim: 2-d samples are (w, h), 3-d ones (t, h, w), as ATen reads them
    samples = _random_samples.detach().cpu()
    samples = (samples.float() if samples.dtype is dtypes.bfloat16 else samples).numpy()[:n]  # (no NumPy bfloat16)
    order = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [_intervals(samples[..., order[d]], in_sz[d], osz[d], ks[d]) for d in range(nd)]
    # flat input positions of every window element: (n, c, *osz, prod(ks))
    strides = [math.prod(in_sz[d + 1:]) for d in range(nd)]
    idx = np.zeros((n, c) + tuple(osz) + tuple(ks), np.int64)
    for d in range(nd):
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + d] = osz[d]
        pos = starts[d].reshape(shape)
        off = np.arange(ks[d]).reshape([1] * (2 + nd + d) + [ks[d]] + [1] * (nd - d - 1))
        idx = idx + (pos + off) * strides[d]
    idx = idx.reshape(n, c, -1)
    x = input if batched else input.unsqueeze(0)
    flat = x.reshape(n, c, -1)
    windows = _tensor(idx, device=input.device)
    vals = flat.detach().gather(2, windows).reshape(n, c, math.prod(osz), math.prod(ks))
    nan = vals.isnan()
    # the first maximum, or the last NaN (ATen's `val > max || isnan(val)` scan)
    arg = vals.masked_fill(nan, -math.inf).argmax(3, keepdim=True)
    if bool(nan.any()):
        last_nan = (nan.to(dtypes.int64) * _tensor(np.arange(1, vals.shape[3] + 1), device=input.device)).argmax(
            3, keepdim=True)
        arg = pointwise.where(nan.any(3, keepdim=True), last_nan, arg)
    indices = windows.reshape(n, c, math.prod(osz), math.prod(ks)).gather(3, arg).reshape(n, c, *osz)
    out = flat.gather(2, indices.reshape(n, c, -1)).reshape(n, c, *osz)
    if not batched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return out, indices


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """Max over pseudo-random windows (Graham's fractional max pooling); (output, indices) with return_indices."""
    out = _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    out = _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]


FUNCTIONAL: dict = {
    "relu_": relu_,
    "leaky_relu_": leaky_relu_,
    "hardtanh_": hardtanh_,
    "native_channel_shuffle": native_channel_shuffle,
    "gumbel_softmax": gumbel_softmax,
    "lp_pool1d": lp_pool1d,
    "lp_pool2d": lp_pool2d,
    "lp_pool3d": lp_pool3d,
    "max_unpool1d": max_unpool1d,
    "max_unpool3d": max_unpool3d,
    "max_pool1d_with_indices": _with_indices("max_pool1d_with_indices", "max_pool1d", 5),
    "max_pool2d_with_indices": _with_indices("max_pool2d_with_indices", "max_pool2d", 5),
    "max_pool3d_with_indices": _with_indices("max_pool3d_with_indices", "max_pool3d", 5),
    "adaptive_max_pool1d_with_indices": _with_indices("adaptive_max_pool1d_with_indices", "adaptive_max_pool1d", 1),
    "adaptive_max_pool2d_with_indices": _with_indices("adaptive_max_pool2d_with_indices", "adaptive_max_pool2d", 1),
    "adaptive_max_pool3d_with_indices": _with_indices("adaptive_max_pool3d_with_indices", "adaptive_max_pool3d", 1),
    "multilabel_margin_loss": multilabel_margin_loss,
    "triplet_margin_with_distance_loss": triplet_margin_with_distance_loss,
    "fractional_max_pool2d": fractional_max_pool2d,
    "fractional_max_pool3d": fractional_max_pool3d,
    "fractional_max_pool2d_with_indices": fractional_max_pool2d_with_indices,
    "fractional_max_pool3d_with_indices": fractional_max_pool3d_with_indices,
}
