"""Loss functions: cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy(_with_logits).

Validation (shapes, dtypes, weights, reduction) happens here with PyTorch's errors; the kernels in
kernels/cpu/loss.py compute per-element losses and float64 totals, and check class targets and BCE value
ranges as they read them (reported back here as PyTorch's errors). float16 is computed in float32.
Reductions give 0-d tensors of the loss dtype; a mean over nothing is nan, as in PyTorch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dispatch, dtypes
from ..kernels.cpu import loss as K
from ..ops._util import broadcast_shapes, check_tensor, result_dtype
from ..ops.softmax import softmax_array
from ..tensor import Tensor

_F = (dtypes.float16, dtypes.float32, dtypes.float64)
for _name, _kernel in (("cross_entropy", K.cross_entropy_rows), ("nll_loss", K.nll_3d),
                       ("cross_entropy.probs", K.prob_cross_entropy_3d), ("mse_loss", K.mse_l1),
                       ("l1_loss", K.mse_l1), ("binary_cross_entropy", K.bce),
                       ("binary_cross_entropy_with_logits", K.bce_logits)):
    dispatch.register(_name, "cpu", _F, lambda dt, k=_kernel: k)


# ---------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------
def _reduction(size_average, reduce, reduction: str, stacklevel: int = 3) -> str:
    """torch's legacy size_average/reduce arguments mapped to a reduction string (with its warning)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", UserWarning, stacklevel=stacklevel)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _compute(arr: np.ndarray, dt: np.dtype | None = None) -> np.ndarray:
    """arr as a C-contiguous array of the compute dtype (dt, or arr's), float16 widened to float32."""
    dt = np.dtype(dt or arr.dtype)
    return np.ascontiguousarray(arr, dtype=np.float32 if dt == np.float16 else dt)


def _scalar(value: float, dt: np.dtype) -> Tensor:
    return Tensor._wrap(np.array(value, dtype=dt))


def _per_element(arr: np.ndarray, dt: np.dtype, shape) -> Tensor:
    return Tensor._wrap(arr.astype(dt, copy=False).reshape(shape))


def _mean(total: float, count: float) -> float:
    return total / count if count else math.nan


def _float_input(input: Tensor, kernel_name: str) -> None:
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{dtypes.torch_name(input.dtype)}\'')


# (C, dtype) -> ones: the weight of unweighted losses, kept so small calls stay cheap. Kernels only read it (it
# stays writeable: a read-only array is another Numba type, another compilation).
_ONES: dict = {}


def _class_weight(weight: Tensor | None, n_classes: int, dt: dtypes.dtype, prefix: str = "") -> np.ndarray:
    """The (C,) weight array in the compute dtype (ones when None), checked as torch checks it."""
    if weight is None:
        key = (n_classes, np.float32 if dt is dtypes.float16 else dt.np)
        ones = _ONES.get(key)
        if ones is None:
            ones = np.ones(n_classes, key[1])
            if n_classes <= 1 << 16:
                _ONES[key] = ones
        return ones
    check_tensor(weight, "cross_entropy", "weight")
    if weight.numel() != n_classes:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if weight.dtype is not dt:
        raise RuntimeError(f"expected scalar type {dtypes.torch_name(dt)} but found "
                           f"{dtypes.torch_name(weight.dtype)}")
    return _compute(weight._data.reshape(-1))


# ---------------------------------------------------------------------------------------------------------
# Class-index losses
# ---------------------------------------------------------------------------------------------------------
def _check_class_target(input: Tensor, target: Tensor) -> tuple:
    """torch's nll_loss_nd checks; returns (N, C, D, per-element output shape)."""
    x, t = input._data.shape, target._data.shape
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim != 1 and (target.ndim == 0 or x[0] != t[0]):
        raise ValueError(f"Expected input batch_size ({x[0]}) to match target batch_size "
                         f"({t[0] if target.ndim else 0}).")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim == 1:
            if target.ndim == 1 and t[0] != 1:
                raise RuntimeError(f"size mismatch (got input: {list(x)} , target: {list(t)}")
            return 1, x[0], 1, ()
        return x[0], x[1], 1, (x[0],)
    if input.ndim == 4:
        if target.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {target.ndim}")
        if tuple(t) != (x[0], *x[2:]):
            raise RuntimeError(f"size mismatch (got input: {list(x)} , target: {list(t)}")
    elif tuple(t[1:]) != tuple(x[2:]):
        raise RuntimeError(f"Expected target size {[x[0], *x[2:]]}, got {list(t)}")
    return x[0], x[1], math.prod(x[2:]), (x[0], *x[2:])


def _class_target(target: Tensor, n: int, d: int) -> np.ndarray:
    if target.dtype not in (dtypes.int64, dtypes.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {dtypes.torch_name(target.dtype)}")
    return np.ascontiguousarray(target._data, dtype=np.int64).reshape(n, d)


def _raise_bad_target(t: np.ndarray, bad: int) -> None:
    if bad >= 0:
        raise IndexError(f"Target {int(t.reshape(-1)[bad])} is out of bounds.")


def _finish_class(loss, sm, totals, reduction: str, smoothing: float, n_classes: int, dt, shape) -> Tensor:
    """Combine the NLL and label-smoothing terms as torch does and reduce them."""
    _, tl, ts, tw = totals
    keep, add = 1.0 - smoothing, smoothing / n_classes if n_classes else 0.0
    if reduction == "none":
        out = loss if smoothing == 0.0 else keep * loss + add * sm
        return _per_element(out, dt.np, shape)
    if reduction == "sum":
        return _scalar(keep * tl + add * ts if smoothing else tl, dt.np)
    return _scalar(keep * _mean(tl, tw) + add * _mean(ts, tw) if smoothing else _mean(tl, tw), dt.np)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-weight[t] * input[n, t, ...] over class targets t, ignoring ignore_index; a weighted mean divides by
    the sum of the weights of the targets that count."""
    check_tensor(input, "nll_loss")
    check_tensor(target, "nll_loss", "target")
    reduction = _reduction(size_average, reduce, reduction)
    n, c, d, shape = _check_class_target(input, target)
    w = _class_weight(weight, c, input.dtype)
    t = _class_target(target, n, d)
    _float_input(input, "nll_loss_out_frame")
    logp = _compute(input._data).reshape(n, c, d)
    loss = np.empty((n, d), logp.dtype)
    totals = dispatch.lookup("nll_loss", "cpu", input.dtype)(logp, t, w, int(ignore_index), False, loss, loss)
    _raise_bad_target(t, totals[0])
    return _finish_class(loss, None, totals, reduction, 0.0, c, input.dtype, shape)


def _cross_entropy_indices(input, target, weight, ignore_index, reduction, smoothing) -> Tensor:
    n, c, d, shape = _check_class_target(input, target)
    w = _class_weight(weight, c, input.dtype)
    t = _class_target(target, n, d)
    smooth = smoothing > 0.0
    if d == 1:  # (N, C) or (C,): the fused rows kernel, no (N, C) temporary
        x = _compute(input._data).reshape(n, c)
        loss, sm, lse = np.empty(n, x.dtype), np.empty(n, x.dtype), np.empty(n, x.dtype)
        kernel = dispatch.lookup("cross_entropy", "cpu", input.dtype)
        totals = kernel(x, t.reshape(n), w, int(ignore_index), smooth, loss, sm, lse)
    else:
        logp = softmax_array(_compute(input._data), 1, True, "log_softmax").reshape(n, c, d)
        loss, sm = np.empty((n, d), logp.dtype), np.empty((n, d), logp.dtype)
        totals = dispatch.lookup("nll_loss", "cpu", input.dtype)(logp, t, w, int(ignore_index), smooth, loss, sm)
    _raise_bad_target(t, totals[0])
    return _finish_class(loss, sm, totals, reduction, smoothing if smooth else 0.0, c, input.dtype, shape)


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, smoothing) -> Tensor:
    if not target.dtype.is_floating_point:
        raise RuntimeError("Expected floating point type for target with class probabilities, got "
                           f"{dtypes.torch_name(target.dtype)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    dt = result_dtype(input, target)
    shape = input.shape
    c = shape[1] if input.ndim > 1 else shape[0]
    n = shape[0] if input.ndim > 1 else 1
    d = math.prod(shape[2:])
    w = _class_weight(weight, c, input.dtype, "cross_entropy: ")
    logp = softmax_array(_compute(input._data, dt.np), 1 if input.ndim > 1 else 0, True, "log_softmax")
    logp = logp.reshape(n, c, d)
    tgt = _compute(target._data, logp.dtype).reshape(n, c, d)
    w = w.astype(logp.dtype, copy=False)
    loss = np.empty((n, d), logp.dtype)
    kernel = dispatch.lookup("cross_entropy.probs", "cpu", dt)
    total = kernel(logp, tgt, w, max(float(smoothing), 0.0), loss)
    if reduction == "none":
        return _per_element(loss, dt.np, (n, *shape[2:]) if input.ndim > 1 else ())
    if reduction == "sum":
        return _scalar(total, dt.np)
    return _scalar(_mean(total, n * d), dt.np)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim (1, or 0 for 1-D input) and NLL, fused for (N, C) class targets.
    Targets of the input's shape are class probabilities."""
    check_tensor(input, "cross_entropy")
    check_tensor(target, "cross_entropy", "target")
    reduction = _reduction(size_average, reduce, reduction)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    same = tuple(input.shape) == tuple(target.shape)
    if input.ndim == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions" if same else
                         "Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if not input.dtype.is_floating_point:
        last = input.ndim <= 2
        _float_input(input, "log_softmax_lastdim_kernel_impl" if last else "log_softmax_kernel_impl")
    if same:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing)
    return _cross_entropy_indices(input, target, weight, ignore_index, reduction, float(label_smoothing))


# ---------------------------------------------------------------------------------------------------------
# Pointwise losses
# ---------------------------------------------------------------------------------------------------------
def _size_warning(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", UserWarning, stacklevel=4)


def _flat(arr: np.ndarray, shape, dt) -> np.ndarray:
    """arr broadcast to shape as a flat contiguous array of the compute dtype (a copy only when needed)."""
    if arr.shape != shape:
        arr = np.broadcast_to(arr, shape)
    return _compute(arr, dt).reshape(-1)


def _reduce_pointwise(out, total, count, reduction, dt, shape) -> Tensor:
    if reduction == "none":
        return _per_element(out, dt.np, shape)
    return _scalar(total if reduction == "sum" else _mean(total, count), dt.np)


def _mse_l1(op: str, input, target, size_average, reduce, reduction, weight) -> Tensor:
    check_tensor(input, op)
    check_tensor(target, op, "target")
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction, stacklevel=4)
    shape = input._data.shape
    if target._data.shape != shape:
        shape = tuple(broadcast_shapes(shape, target._data.shape))
    if weight is not None:
        check_tensor(weight, op, "weight")
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
    dt = result_dtype(input, target) if weight is None else result_dtype(input, target, weight)
    if not dt.is_floating_point:
        if op == "mse_loss" or weight is not None:
            raise NotImplementedError(f'"{op[:-5]}_cpu" not implemented for \'{dtypes.torch_name(dt)}\'')
        return _l1_integer(input, target, reduction)
    a, b = _flat(input._data, shape, dt.np), _flat(target._data, shape, dt.np)
    w = _flat(weight._data, shape, dt.np) if weight is not None else a[:0]
    out = np.empty(a.size if reduction == "none" else 0, a.dtype)
    kernel = dispatch.lookup(op, "cpu", dt)
    total, wtotal = kernel(a, b, w, weight is not None, out, op == "mse_loss", reduction != "none")
    return _reduce_pointwise(out, total, wtotal if weight is not None else a.size, reduction, dt, shape)


def _l1_integer(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """torch computes |a - b| of integers without a kernel of its own; 'mean' raises as torch.mean does."""
    from ..ops import pointwise
    from ..ops import reduction as red

    diff = pointwise.FUNCTIONS["abs"](pointwise.sub(input, target))
    if reduction == "none":
        return diff
    return red.sum(diff) if reduction == "sum" else red.mean(diff)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """(input - target)**2 (broadcast, with torch's warning); weighted mean divides by sum(weight)."""
    return _mse_l1("mse_loss", input, target, size_average, reduce, reduction, weight)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|input - target| (broadcast, with torch's warning); weighted mean divides by sum(weight)."""
    return _mse_l1("l1_loss", input, target, size_average, reduce, reduction, weight)


def _bce_weight(weight: Tensor | None, shape, dt: dtypes.dtype, empty: np.ndarray) -> np.ndarray:
    if weight is None:
        return empty
    check_tensor(weight, "binary_cross_entropy", "weight")
    full = tuple(broadcast_shapes(weight.shape, shape))
    if full != tuple(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")
    return _flat(weight._data, shape, dt.np)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-w * (t * log(x) + (1 - t) * log(1 - x)) with the logs clamped at -100, as torch does."""
    check_tensor(input, "binary_cross_entropy")
    check_tensor(target, "binary_cross_entropy", "target")
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    dt = input.dtype
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{dtypes.torch_name(dt)}'")
    if target.dtype is not dt:
        raise RuntimeError(f"Found dtype {dtypes.torch_name(target.dtype)} but expected {dtypes.torch_name(dt)}")
    shape = tuple(input.shape)
    x, t = _flat(input._data, shape, dt.np), _flat(target._data, shape, dt.np)
    w = _bce_weight(weight, shape, dt, x[:0])
    out = np.empty(x.size if reduction == "none" else 0, x.dtype)
    status, total = dispatch.lookup("binary_cross_entropy", "cpu", dt)(x, t, w, weight is not None, out,
                                                                      reduction != "none")
    if status:
        raise RuntimeError(f"all elements of {'input' if status == 1 else 'target'} should be between 0 and 1")
    return _reduce_pointwise(out, total, x.size, reduction, dt, shape)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """(1 - t) * x - (1 + (pos_weight - 1) * t) * log_sigmoid(x), times weight: stable for any |x|."""
    check_tensor(input, "binary_cross_entropy_with_logits")
    check_tensor(target, "binary_cross_entropy_with_logits", "target")
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    dt = result_dtype(input, target)
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {dtypes.torch_name(dt)} can't be cast to the desired output type "
                           f"{dtypes.torch_name(target.dtype)}")
    shape = tuple(input.shape)
    x, t = _flat(input._data, shape, dt.np), _flat(target._data, shape, dt.np)
    w = _bce_weight(weight, shape, dt, x[:0])
    pw = _bce_weight(pos_weight, shape, dt, x[:0])
    out = np.empty(x.size if reduction == "none" else 0, x.dtype)
    total = dispatch.lookup("binary_cross_entropy_with_logits", "cpu", dt)(
        x, t, w, weight is not None, pw, pos_weight is not None, out, reduction != "none")
    return _reduce_pointwise(out, total, x.size, reduction, dt, shape)


# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {
    "cross_entropy": cross_entropy, "nll_loss": nll_loss, "mse_loss": mse_loss, "l1_loss": l1_loss,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
}
