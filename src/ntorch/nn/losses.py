"""Loss functions: cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy(_with_logits).

Validation (shapes, dtypes, weights, reduction) happens here with PyTorch's errors; the kernels in
kernels/cpu/loss.py compute per-element losses and float64 totals, and check class targets and BCE value
ranges as they read them (reported back here as PyTorch's errors). float16 is computed in float32.
Reductions give 0-d tensors of the loss dtype; a mean over nothing is nan, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import amp, dispatch, dtypes
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..cuda.array import CudaArray
from ..kernels.cpu import loss as K
from ..kernels.cpu.elementwise import to_half
from ..ops import linalg
from ..ops._util import broadcast_shapes, check_tensor, result_dtype, warn
from ..ops.softmax import softmax_array
from ..tensor import Tensor
from . import cuda_losses

_F = dtypes.FLOAT_DTYPES
for _name, _kernel in (("cross_entropy", K.cross_entropy_rows), ("nll_loss", K.nll_3d),
                       ("cross_entropy.probs", K.prob_cross_entropy_3d), ("mse_loss", K.mse_l1),
                       ("l1_loss", K.mse_l1), ("binary_cross_entropy", K.bce),
                       ("binary_cross_entropy_with_logits", K.bce_logits)):
    dispatch.register(_name, "cpu", _F, lambda dt, k=_kernel: k)
dispatch.register("cross_entropy_backward", "cpu", _F, lambda dt: K.cross_entropy_rows_backward)


# ---------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------
def _reduction(size_average, reduce, reduction: str, stacklevel: int = 3) -> str:
    """torch's legacy size_average/reduce arguments mapped to a reduction string (with its warning)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _compute(arr: np.ndarray, dt: np.dtype | None = None) -> np.ndarray:
    """arr as a C-contiguous array of the compute dtype (dt, or arr's), float16/bfloat16 widened to float32."""
    if dt is None and type(arr) is np.ndarray and arr.ndim and arr.dtype in _NATIVE_NP and arr.flags.c_contiguous:
        return arr  # (already what ascontiguousarray would return)
    dt = np.dtype(dt or arr.dtype)
    return np.ascontiguousarray(arr, dtype=dtypes.compute_np(dt))


_NATIVE_NP = (np.dtype(np.float32), np.dtype(np.float64))  # compute dtypes of their own


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
        key = (n_classes, dtypes.compute_np(dt.np))
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
    xn, tn = len(x), len(t)  # (the ndims, without the property calls)
    if xn < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {xn})")
    if xn != 1 and (tn == 0 or x[0] != t[0]):
        raise ValueError(f"Expected input batch_size ({x[0]}) to match target batch_size "
                         f"({t[0] if tn else 0}).")
    if xn <= 2:
        if tn > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if xn == 1:
            if tn == 1 and t[0] != 1:
                raise RuntimeError(f"size mismatch (got input: {list(x)} , target: {list(t)}")
            return 1, x[0], 1, ()
        return x[0], x[1], 1, (x[0],)
    if xn == 4:
        if tn != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {tn}")
        if tuple(t) != (x[0], *x[2:]):
            raise RuntimeError(f"size mismatch (got input: {list(x)} , target: {list(t)}")
    elif tuple(t[1:]) != tuple(x[2:]):
        raise RuntimeError(f"Expected target size {[x[0], *x[2:]]}, got {list(t)}")
    return x[0], x[1], math.prod(x[2:]), (x[0], *x[2:])


def _class_target(target: Tensor, n: int, d: int) -> np.ndarray:
    if target._data.dtype not in _CLASS_TARGET_NP:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {dtypes.torch_name(target.dtype)}")
    return np.ascontiguousarray(target._data, dtype=np.int64).reshape(n, d)


_CLASS_TARGET_NP = (np.dtype(np.int64), np.dtype(np.uint8))


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


# Backward of the class losses. Per element, loss = -sum_c q_c * logp_c with q the (weighted, smoothed) target
# distribution: q_c = keep * w[t] * [c == t] + add * w[c] (zero for ignored targets), keep = 1 - smoothing,
# add = smoothing / C. So d loss / d logp = -q, and through log_softmax d loss / d x = softmax(x) * sum(q) - q.
def _record_class(backward, input: Tensor, res: Tensor, t: np.ndarray, w: np.ndarray, ignore_index: int,
                  reduction: str, weight_total: float, smoothing: float):
    if smoothing:
        name = "AddBackward0"
    else:
        name = "NllLossBackward0" if input.ndim <= 2 else "NllLoss2DBackward0"
    node = record(name, backward, (input,), (res,), (input,))
    node.target, node.weight, node.ignore_index, node.reduction = t, w, int(ignore_index), reduction
    node.weight_total, node.smoothing = weight_total, smoothing
    return node


def _class_dim(x: Tensor) -> int:
    return 1 if x.ndim > 1 else 0


def _loss_grad(c, g: Tensor, x: Tensor, norm: float) -> Tensor:
    """The loss gradient g as a factor broadcasting against x's per-class terms: g / norm for 'mean', g for
    'sum', and for 'none' g with a size-1 class dim. A zero divisor (every target ignored) leaves g as is: the
    per-class terms are all zero then, so the gradient is zero, as in torch."""
    if c.reduction == "mean":
        return g / norm if norm else g
    if c.reduction == "sum" or x.ndim <= 1:
        return g
    return g.unsqueeze(1)


def _target_distribution(c, x: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """q (x's shape) and sum_c q (x's shape with a size-1 class dim) as arrays of x's dtype."""
    t, w = c.target, c.weight
    n, d = t.shape
    cn = x.shape[_class_dim(x)] if x.ndim else 1
    valid = t != c.ignore_index
    tt = np.where(valid, t, 0)
    keep = 1.0 - c.smoothing
    wt = np.where(valid, w[tt].astype(np.float64) * keep, 0.0)
    q = np.zeros((n, cn, d))
    np.put_along_axis(q, tt[:, None, :], wt[:, None, :], axis=1)
    big_q = wt
    if c.smoothing:
        add = c.smoothing / cn
        q += add * w.astype(np.float64)[None, :, None] * valid[:, None, :]
        big_q = wt + add * float(w.sum()) * valid
    keep_shape = tuple(1 if i == _class_dim(x) else s for i, s in enumerate(x.shape))
    return q.astype(x.dtype.np).reshape(x.shape), big_q.astype(x.dtype.np).reshape(keep_shape)


def _nll_backward(c, g: Tensor):
    (x,) = c.saved_tensors
    q, _ = _target_distribution(c, x)
    grad = Tensor._wrap(-q) * _loss_grad(c, g, x, c.weight_total)
    # torch scatters into zeros: +0.0 off the targets (-q * g would give -0.0 where g > 0)
    return grad.masked_fill(Tensor._wrap(q == 0), 0.0)


def _cross_entropy_backward(c, g: Tensor):
    (x,) = c.saved_tensors
    if c.lse is not None and not grad_mode.STATE.enabled:  # (N, C) or (C,): the fused kernel
        cn = x.shape[-1]
        xc = _compute(x._data).reshape(-1, cn)
        n = xc.shape[0]
        if c.reduction == "none":
            gs = _compute(g._data, xc.dtype).reshape(n)
        else:
            scale = float(g._data)
            if c.reduction == "mean" and c.weight_total:
                scale /= c.weight_total
            gs = np.full(n, scale, xc.dtype)
        out = np.empty(x.shape, xc.dtype)  # base-less: becomes .grad without a copy
        dispatch.lookup("cross_entropy_backward", "cpu", x.dtype)(
            xc, c.target.reshape(n), c.weight, c.ignore_index, c.lse, 1.0 - c.smoothing, c.smoothing / cn, gs,
            out.reshape(n, cn))
        return Tensor._wrap(out.astype(x.dtype.np, copy=False))
    from ..ops.softmax import softmax

    q, big_q = _target_distribution(c, x)
    p = softmax(x, _class_dim(x))
    return (p * Tensor._wrap(big_q) - Tensor._wrap(q)) * _loss_grad(c, g, x, c.weight_total)


def _prob_cross_entropy_backward(c, g: Tensor):
    from ..ops.softmax import log_softmax

    x, t = c.saved_tensors
    cd = _class_dim(x)
    xd = x if x.dtype is c.dt else x.to(c.dt)
    td = t if t.dtype is c.dt else t.to(c.dt)
    logp = log_softmax(xd, cd)
    wv = Tensor._wrap(c.weight.astype(c.dt.np).reshape((-1,) + (1,) * (x.ndim - cd - 1)))
    keep, add = 1.0 - c.smoothing, c.smoothing / (x.shape[cd] or 1)
    gs = _loss_grad(c, g, x, c.count)
    gx = gt = None
    if c.needs_input_grad[0]:
        q = (td * keep + add) * wv if c.smoothing else td * wv
        gx = ((logp.exp() * q.sum(cd, keepdim=True) - q) * gs).to(x.dtype)
    if c.needs_input_grad[1]:
        gt = (logp * wv * gs * (-keep)).to(t.dtype)
    return gx, gt


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-weight[t] * input[n, t, ...] over class targets t, ignoring ignore_index; a weighted mean divides by
    the sum of the weights of the targets that count."""
    if amp.STATE.active:  # autocast: torch's float32 op list
        input, target, weight = amp.float32(input, target, weight)
    check_tensor(input, "nll_loss")
    check_tensor(target, "nll_loss", "target")
    reduction = _reduction(size_average, reduce, reduction)
    n, c, d, shape = _check_class_target(input, target)
    if input.is_cuda:
        _float_input(input, "nll_loss_out_frame")
        return cuda_losses.class_loss("nll_loss", input, target, weight, ignore_index, reduction, 0.0, n, c, d, shape)
    w = _class_weight(weight, c, input.dtype)
    t = _class_target(target, n, d)
    _float_input(input, "nll_loss_out_frame")
    logp = _compute(input._data).reshape(n, c, d)
    loss = np.empty((n, d), logp.dtype)
    totals = dispatch.lookup("nll_loss", "cpu", input.dtype)(logp, t, w, int(ignore_index), False, loss, loss)
    _raise_bad_target(t, totals[0])
    res = _finish_class(loss, None, totals, reduction, 0.0, c, input.dtype, shape)
    if needs_graph(input):
        _record_class(_nll_backward, input, res, t, w, ignore_index, reduction, totals[3], 0.0)
    return res


def _cross_entropy_indices(input, target, weight, ignore_index, reduction, smoothing) -> Tensor:
    n, c, d, shape = _check_class_target(input, target)
    if input.is_cuda:
        return cuda_losses.class_loss("cross_entropy", input, target, weight, ignore_index, reduction,
                                      smoothing if smoothing > 0.0 else 0.0, n, c, d, shape)
    dt = input.dtype
    w = _class_weight(weight, c, dt)
    t = _class_target(target, n, d)
    smooth = smoothing > 0.0
    if d == 1:  # (N, C) or (C,): the fused rows kernel, no (N, C) temporary
        x = _compute(input._data).reshape(n, c)
        loss, sm, lse = np.empty(n, x.dtype), np.empty(n, x.dtype), np.empty(n, x.dtype)
        kernel = dispatch.lookup("cross_entropy", "cpu", dt)
        totals = kernel(x, t.reshape(n), w, int(ignore_index), smooth, loss, sm, lse)
    else:
        logp = softmax_array(_compute(input._data), 1, True, "log_softmax").reshape(n, c, d)
        loss, sm = np.empty((n, d), logp.dtype), np.empty((n, d), logp.dtype)
        totals = dispatch.lookup("nll_loss", "cpu", input.dtype)(logp, t, w, int(ignore_index), smooth, loss, sm)
    _raise_bad_target(t, totals[0])
    res = _finish_class(loss, sm, totals, reduction, smoothing if smooth else 0.0, c, dt, shape)
    if needs_graph(input):
        node = _record_class(_cross_entropy_backward, input, res, t, w, ignore_index, reduction, totals[3],
                             smoothing if smooth else 0.0)
        node.lse = lse if d == 1 else None
    return res


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
        res = _per_element(loss, dt.np, (n, *shape[2:]) if input.ndim > 1 else ())
    else:
        res = _scalar(total if reduction == "sum" else _mean(total, n * d), dt.np)
    if needs_graph(input, target):
        node = record("DivBackward1" if reduction == "mean" else "NegBackward0", _prob_cross_entropy_backward,
                      (input, target), (res,), (input, target))
        node.weight, node.dt, node.reduction, node.count = w, dt, reduction, n * d
        node.smoothing = max(float(smoothing), 0.0)
    return res


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim (1, or 0 for 1-D input) and NLL, fused for (N, C) class targets.
    Targets of the input's shape are class probabilities."""
    if amp.STATE.active:  # autocast: torch's float32 op list
        input, target, weight = amp.float32(input, target, weight)
    check_tensor(input, "cross_entropy")
    check_tensor(target, "cross_entropy", "target")
    reduction = _reduction(size_average, reduce, reduction)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    same = input._data.shape == target._data.shape
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions" if same else
                         "Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if input._data.dtype.kind != "f" and not input.dtype.is_floating_point:  # (kind "f": NumPy's floats)
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
        warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). This "
             "will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.")


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
    if (weight is not None or op == "l1_loss") and needs_graph(input, target, weight) or input.is_cuda:
        return _composed_pointwise(op, input, target, weight, reduction)  # (CUDA: composed of device ops)
    a, b = _flat(input._data, shape, dt.np), _flat(target._data, shape, dt.np)
    w = _flat(weight._data, shape, dt.np) if weight is not None else a[:0]
    out = np.empty(a.size if reduction == "none" else 0, a.dtype)
    kernel = dispatch.lookup(op, "cpu", dt)
    total, wtotal = kernel(a, b, w, weight is not None, out, op == "mse_loss", reduction != "none")
    res = _reduce_pointwise(out, total, wtotal if weight is not None else a.size, reduction, dt, shape)
    if needs_graph(input, target):
        node = record("MseLossBackward0", _mse_backward, (input, target), (res,), (input, target))
        node.reduction, node.count = reduction, a.size
    return res


def _composed_pointwise(op: str, input: Tensor, target: Tensor, weight: Tensor | None, reduction: str) -> Tensor:
    """l1_loss, and the weighted mse / l1 losses, composed of recorded ops as torch composes them."""
    from ..ops import reduction as red

    diff = input - target
    loss = diff.abs() if op == "l1_loss" else diff * diff
    if weight is not None:
        loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return red.sum(loss)
    return red.sum(loss) / red.sum(weight) if weight is not None else red.mean(loss)


def _pointwise_grad(c, g: Tensor) -> Tensor:
    return g / c.count if c.reduction == "mean" else g


def _mse_backward(c, g: Tensor):
    from ..ops.elementwise import sum_to

    x, t = c.saved_tensors
    d = (x - t) * (_pointwise_grad(c, g) * 2.0)
    gx = sum_to(d, tuple(x.shape), x.dtype) if c.needs_input_grad[0] else None
    gt = sum_to(-d, tuple(t.shape), t.dtype) if c.needs_input_grad[1] else None
    return gx, gt


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
    if amp.STATE.active:  # autocast: torch's float32 op list
        input, target = amp.float32(input, target)
    return _mse_l1("mse_loss", input, target, size_average, reduce, reduction, weight)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|input - target| (broadcast, with torch's warning); weighted mean divides by sum(weight)."""
    if amp.STATE.active:  # autocast: torch's float32 op list
        input, target = amp.float32(input, target)
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
    if input.is_cuda:
        return _bce_cuda(input, target, weight, reduction)
    x, t = _flat(input._data, shape, dt.np), _flat(target._data, shape, dt.np)
    w = _bce_weight(weight, shape, dt, x[:0])
    out = np.empty(x.size if reduction == "none" else 0, x.dtype)
    status, total = dispatch.lookup("binary_cross_entropy", "cpu", dt)(x, t, w, weight is not None, out,
                                                                      reduction != "none")
    if status:
        raise RuntimeError(f"all elements of {'input' if status == 1 else 'target'} should be between 0 and 1")
    res = _reduce_pointwise(out, total, x.size, reduction, dt, shape)
    if needs_graph(input, target, weight):
        _not_differentiable("binary_cross_entropy", weight=weight)
        node = record("BinaryCrossEntropyBackward0", _bce_backward, (input, target, weight), (res,),
                      (input, target, weight))
        node.reduction, node.count = reduction, x.size
    return res


def _reduce_composed(loss: Tensor, reduction: str) -> Tensor:
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def _bce_cuda(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str) -> Tensor:
    """binary_cross_entropy on CUDA, composed of device ops (the logs clamped at -100 as torch does); the range
    check reads one flag back to the host (PyTorch asserts on the device)."""
    from ..ops import pointwise

    _not_differentiable("binary_cross_entropy", weight=weight)
    if bool(((input < 0) | (input > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * pointwise.clamp_min(input.log(), -100.0)
             + (1.0 - target) * pointwise.clamp_min((1.0 - input).log(), -100.0))
    return _reduce_composed(loss if weight is None else loss * weight, reduction)


def _bce_logits_cuda(input: Tensor, target: Tensor, weight, pos_weight, reduction: str) -> Tensor:
    """binary_cross_entropy_with_logits on CUDA, composed of device ops: (1 - t) x + lw (log1p(exp(-|x|)) +
    max(-x, 0)) with lw = 1 + (pos_weight - 1) t, stable for any |x|."""
    from ..ops import pointwise

    _not_differentiable("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    log_sig_neg = (-input.abs()).exp().log1p() + pointwise.clamp_min(-input, 0.0)  # -log_sigmoid(x)
    lw = 1.0 if pos_weight is None else (pos_weight - 1.0) * target + 1.0
    loss = (1.0 - target) * input + lw * log_sig_neg
    return _reduce_composed(loss if weight is None else loss * weight, reduction)


def _not_differentiable(op: str, **tensors) -> None:
    for name, t in tensors.items():
        if t is not None and t.requires_grad:
            raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{name}'. This "
                               "input cannot have requires_grad True.")


_BCE_EPS = 1e-12  # torch's EPSILON in binary_cross_entropy_backward


def _bce_backward(c, g: Tensor):
    """d/dx = (x - t) / max(x (1 - x), 1e-12), d/dt = max(log(1 - x), -100) - max(log(x), -100): torch's
    formulas (the clamps match the forward's clamped logs)."""
    from ..ops import pointwise

    x, t, w = c.saved_tensors
    gs = _pointwise_grad(c, g)
    if w is not None:
        gs = gs * w
    gx = gt = None
    if c.needs_input_grad[0]:
        gx = (x - t) / pointwise.clamp_min((1.0 - x) * x, _BCE_EPS) * gs
    if c.needs_input_grad[1]:
        gt = (pointwise.clamp_min((1.0 - x).log(), -100.0) - pointwise.clamp_min(x.log(), -100.0)) * gs
    return gx, gt, None


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """(1 - t) * x - (1 + (pos_weight - 1) * t) * log_sigmoid(x), times weight: stable for any |x|."""
    if amp.STATE.active:  # autocast: torch's float32 op list
        input, target, weight = amp.float32(input, target, weight)
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
    if input.is_cuda:
        return _bce_logits_cuda(input, target, weight, pos_weight, reduction)
    x, t = _flat(input._data, shape, dt.np), _flat(target._data, shape, dt.np)
    w = _bce_weight(weight, shape, dt, x[:0])
    pw = _bce_weight(pos_weight, shape, dt, x[:0])
    out = np.empty(x.size if reduction == "none" else 0, x.dtype)
    total = dispatch.lookup("binary_cross_entropy_with_logits", "cpu", dt)(
        x, t, w, weight is not None, pw, pos_weight is not None, out, reduction != "none")
    res = _reduce_pointwise(out, total, x.size, reduction, dt, shape)
    if needs_graph(input, target, weight, pos_weight):
        _not_differentiable("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
        node = record("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_backward,
                      (input, target, weight, pos_weight), (res,), (input, target, weight, pos_weight))
        node.reduction, node.count, node.dt = reduction, x.size, dt
    return res


def _bce_logits_backward(c, g: Tensor):
    """With lw = (pos_weight - 1) * t + 1: d/dx = lw * sigmoid(x) - pos_weight * t, d/dt = -x - (pos_weight -
    1) * log_sigmoid(x) (-x without pos_weight); both times weight."""
    from ..ops import pointwise

    x, t, w, pw = c.saved_tensors
    xd = x if x.dtype is c.dt else x.to(c.dt)
    gs = _pointwise_grad(c, g)
    if w is not None:
        gs = gs * w
    gx = gt = None
    if c.needs_input_grad[0]:
        sig = xd.sigmoid()
        d = sig - t if pw is None else ((pw - 1.0) * t + 1.0) * sig - pw * t
        gx = (d * gs).to(x.dtype)
    if c.needs_input_grad[1]:
        d = -xd
        if pw is not None:
            log_sig = pointwise.clamp_max(xd, 0.0) - (-xd.abs()).exp().log1p()
            d = d - (pw - 1.0) * log_sig
        gt = (d * gs).to(t.dtype)
    return gx, gt, None, None


# ---------------------------------------------------------------------------------------------------------
# Losses composed of ntorch ops (autograd and CUDA come with the ops), with torch's checks and formulas
# ---------------------------------------------------------------------------------------------------------
def _pair(op: str, input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> str:
    check_tensor(input, op)
    check_tensor(target, op, "target")
    return _reduction(size_average, reduce, reduction, stacklevel=4)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d**2 / beta where d = |x - t| < beta, else d - 0.5 beta (l1_loss for beta = 0)."""
    if amp.STATE.active:  # autocast: torch's float32 op list
        input, target = amp.float32(input, target)
    reduction = _pair("smooth_l1_loss", input, target, size_average, reduce, reduction)
    _size_warning(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    from ..ops import pointwise

    d = (input - target).abs()
    return _reduce_composed(pointwise.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d**2 where d = |x - t| < delta, else delta (d - 0.5 delta); times weight, whose mean divides by
    the element count as torch's does."""
    reduction = _pair("huber_loss", input, target, reduction=reduction)
    _size_warning(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    from ..ops import pointwise

    d = (input - target).abs()
    loss = pointwise.where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduce_composed(loss if weight is None else loss * weight, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """target * (log(target) - input) (0 where target is 0), or exp(t) * (t - input) with log_target;
    'batchmean' divides the sum by the batch size."""
    if amp.STATE.active:  # autocast: torch's float32 op list
        input, target = amp.float32(input, target)
    check_tensor(input, "kl_div")
    check_tensor(target, "kl_div", "target")
    if input.dtype.category < dtypes.FLOAT or target.dtype.category < dtypes.FLOAT:
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if input.is_complex() or target.is_complex():
        raise RuntimeError("kl_div: Complex inputs not supported.")
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, "mean")
    elif reduction == "mean":
        warn("reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' "
             "divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed "
             "to behave the same as 'batchmean' in the next major release.")
    from ..ops import pointwise

    if log_target:
        loss = target.exp() * (target - input)
    else:
        xlogy = pointwise.where(target == 0, 0.0, target * pointwise.where(target == 0, 1.0, target).log())
        loss = xlogy - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce_composed(loss, _reduction(None, None, reduction))


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input))."""
    reduction = _pair("soft_margin_loss", input, target, size_average, reduce, reduction)
    _same_as_input(input, target)
    return _reduce_composed((-target * input).exp().log1p(), reduction)


def _same_as_input(input: Tensor, other: Tensor) -> None:
    """torch writes these losses into an input-shaped output: other may broadcast only up to input's shape."""
    full = tuple(broadcast_shapes(input.shape, other.shape))
    if full != tuple(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape {list(full)}")


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    from ..ops import pointwise

    reduction = _pair("margin_ranking_loss", input1, input2, size_average, reduce, reduction)
    check_tensor(target, "margin_ranking_loss", "target")
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce_composed(pointwise.clamp_min(-target * (input1 - input2) + margin, 0.0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where target is 1, max(0, margin - x) where target is -1 (torch's sum of both masks)."""
    from ..ops import pointwise

    reduction = _pair("hinge_embedding_loss", input, target, size_average, reduce, reduction)
    margin_part = pointwise.where(target != 1, pointwise.clamp_min(margin - input, 0.0), 0.0)
    return _reduce_composed(margin_part + pointwise.where(target != -1, input, 0.0), reduction)


_COS_EPS = 1e-12  # torch's EPSILON in cosine_embedding_loss


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    from ..ops import pointwise

    reduction = _pair("cosine_embedding_loss", input1, input2, size_average, reduce, reduction)
    check_tensor(target, "cosine_embedding_loss", "target")
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.ndim == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if target.ndim == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    dim = input1.ndim - 1
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + _COS_EPS
    mag2 = (input2 * input2).sum(dim) + _COS_EPS
    cos = prod / (mag1 * mag2).sqrt()
    pos = pointwise.where(target == 1, 1.0 - cos, 0.0)
    neg = pointwise.where(target == -1, pointwise.clamp_min(cos - margin, 0.0), 0.0)
    return _reduce_composed(pos + neg, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """exp(x) - t x (log_input), else x - t log(x + eps); full adds Stirling's t log t - t + log(2 pi t) / 2
    where t > 1."""
    from ..ops import pointwise

    reduction = _pair("poisson_nll_loss", input, target, size_average, reduce, reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        safe = pointwise.where(target > 1, target, 1.0)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        loss = loss + pointwise.where(target > 1, stirling, 0.0)
    return _reduce_composed(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """(log(max(var, eps)) + (x - t)**2 / max(var, eps)) / 2 (+ log(2 pi) / 2 with full); the clamp passes
    var's gradient through unchanged, as torch's no-grad clamp_ does. var may be one dim short of input or
    differ from it in one broadcast dim."""
    from ..ops import pointwise
    from ..ops.creation import ones_like

    check_tensor(input, "gaussian_nll_loss")
    check_tensor(target, "gaussian_nll_loss", "target")
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ones_like(input) * float(var)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (pointwise.clamp_min(var, eps) - var).detach()
    diff = input - target
    loss = (var.log() + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce_composed(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log_sigmoid(x) + (1 - t) log_sigmoid(-x)), times weight, averaged over the class (last) dim."""
    from .activations import logsigmoid

    reduction = _pair("multilabel_soft_margin_loss", input, target, size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce_composed(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with pairwise p-norm distances; swap uses min(d(a, n), d(p, n))."""
    from ..ops import pointwise
    from .distance import pairwise_distance

    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(t, "triplet_margin_loss", name)
    reduction = _reduction(size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = pointwise.FUNCTIONS["minimum"](d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce_composed(pointwise.clamp_min(d_pos - d_neg + margin, 0.0), reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """sum over i != y of max(0, margin - x[y] + x[i])**p * weight[y], divided by the class count."""
    from ..ops import pointwise
    from ..ops.creation import arange

    reduction = _pair("multi_margin_loss", input, target, size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if not (input.ndim <= 1 and input.numel() > 0 or input.ndim == 2 and input.shape[1] > 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    n = input.shape[0] if input.ndim == 2 else 1
    c = input.shape[-1] if input.ndim else 1
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {list(target.shape)}. Input "
                           f"has shape {list(input.shape)}.")
    if target.dtype is not dtypes.int64:
        raise RuntimeError(f"expected scalar type Long but found {dtypes.torch_name(target.dtype)}")
    if weight is not None:
        check_tensor(weight, "multi_margin_loss", "weight")
        if weight.ndim > 1 or weight.numel() != c:
            raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if input.dtype in dtypes.HALF_DTYPES and not input.is_cuda:  # torch's CPU kernel has no Half/BFloat16
        raise NotImplementedError("\"multi_margin_loss_cpu_kernel\" not implemented for "
                                  f"'{dtypes.torch_name(input.dtype)}'")
    t = target.reshape(n, 1)
    if n and bool(((t < 0) | (t >= c)).any()):
        raise RuntimeError("target out of range")
    x = input.reshape(n, c)
    z = pointwise.clamp_min(x - x.gather(1, t) + margin, 0.0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.gather(0, target.reshape(n)).reshape(n, 1)
    z = pointwise.where(arange(c, device=input.device).reshape(1, c) == t, 0.0, z)
    loss = z.sum(1) / c
    if reduction == "none":
        return loss.reshape(input.shape[:-1]) if input.ndim <= 1 else loss
    return _reduce_composed(loss, reduction)


# ---------------------------------------------------------------------------------------------------------
# linear: not a loss; it lives here until an nn linear module exists (it should move there)
# ---------------------------------------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias over any leading batch dims. With a 2-D weight this is one matmul and one graph
    node (AddmmBackward0 / MmBackward0, as in torch) whose backward is made of recorded ops (mm, sum), so it
    differentiates again; other cases compose matmul and add."""
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, weight, bias = amp.lower_precision(input, weight, bias)
    elif isinstance(input, Tensor) and isinstance(weight, Tensor) and (bias is None or isinstance(bias, Tensor)):
        res = _linear_small_cpu(input, weight, bias)
        if res is None and type(input._data) is CudaArray:
            res = _linear_cuda(input, weight, bias)
        if res is not None:
            return res
    check_tensor(input, "linear")
    check_tensor(weight, "linear", "weight")
    if bias is not None:
        check_tensor(bias, "linear", "bias")
    if input.ndim == 1 and weight.ndim == 2 and (bias is None or bias.ndim <= 1):  # torch's view -> addmm -> view
        return linear(input.reshape(1, -1), weight, bias).reshape(-1)
    if weight.ndim != 2 or input.ndim < 2:
        out = linalg.matmul(input, weight.t() if weight.ndim == 2 else weight)
        return out if bias is None else out + bias
    if input.ndim > 2:
        lead = tuple(input.shape[:-1])
        return linear(input.reshape(-1, input.shape[-1]), weight, bias).reshape(*lead, weight.shape[0])
    x, w = input._data, weight._data
    if x.shape[1] != w.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x{x.shape[1]} and "
                           f"{w.shape[1]}x{w.shape[0]})")
    if type(x) is np.ndarray and type(w) is np.ndarray and x.dtype == w.dtype and (bias is None or (
            type(bias._data) is np.ndarray and bias._data.dtype == x.dtype and bias._data.shape == (w.shape[0],))):
        out = linalg.host_mm(x, w.T)  # the common host case: _mm_arrays' product without its dispatch
        if out is not None:
            if bias is not None:
                np.add(out, bias._data, out=out)
            return _record_linear(input, weight, bias, Tensor._wrap(out))
    dt = linalg._same_dtype("mm", input, weight)
    fused = _fused_bias(x, w, bias, dt)  # CUDA: the bias add is the matmul kernel's epilogue (one launch)
    if _half_bias(x, w, bias, dt):  # torch rounds the float32 product plus bias once; the add below would round twice
        acc = linalg._mm_arrays("mm", x, w.T, dt, round_out=False)
        res = Tensor._wrap(to_half(acc + bias._data.astype(np.float32), dt.np))
        fused = True
    elif _small_weight(x, w):
        res = Tensor._wrap(_mm_small_weight(x, w))
    else:
        res = Tensor._wrap(linalg._mm_arrays("mm", x, w.T, dt, bias._data if fused else None))
    if bias is not None and not fused:
        b = bias._data
        if b.dtype != res._data.dtype or (b.shape != (w.shape[0],) and tuple(
                broadcast_shapes(b.shape, res._data.shape)) != res._data.shape):
            return linalg.matmul(input, weight.t()) + bias  # promotion or a bias that broadcasts the result
        if type(b) is np.ndarray:
            np.add(res._data, b, out=res._data)
        else:
            from ..ops.elementwise import apply_inplace

            with grad_mode.no_grad():
                apply_inplace("add", res, bias)
    return _record_linear(input, weight, bias, res)


linear.cuda_complete = True  # (its CUDA path is whole: no cuda_pending wrapper)


def _record_linear(input: Tensor, weight: Tensor, bias: Tensor | None, res: Tensor) -> Tensor:
    """res, with linear's node when an input requires grad."""
    if needs_graph(input, weight, bias):
        node = _record_linear_node(input, weight, bias, res)
        node.bias_shape = tuple(bias._data.shape) if bias is not None else None
    return res


def _record_linear_node(input: Tensor, weight: Tensor, bias: Tensor | None, res: Tensor):
    """linear's one node, with the edges in torch's order: addmm(bias, input, weight.t()) or mm(input, weight.t())
    (torch's third edge goes through a TBackward0 node to the weight; here the node differentiates the weight
    directly)."""
    if bias is None:
        return record("MmBackward0", _linear_backward, (input, weight), (res,), (input, weight))
    return record("AddmmBackward0", _linear_backward, (bias, input, weight), (res,), (input, weight))


def _linear_small_cpu(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor | None:
    """The common small CPU layer (2-D float32 / float64 input, small contiguous weight, (N,) bias, one dtype) with
    its checks reduced to what this case needs: half of a 8x64 @ 64x64 layer's time went to the general path's
    branches. None when it does not apply."""
    x, w = input._data, weight._data
    if type(x) is not np.ndarray or x.ndim < 2 or not _small_weight(x, w) or x.shape[-1] != w.shape[1]:
        return None
    if bias is not None:
        b = bias._data
        if type(b) is not np.ndarray or b.dtype != x.dtype or b.shape != (w.shape[0],):
            return None
    lead = x.shape[:-1] if x.ndim > 2 else None
    out = _mm_small_weight(x.reshape(-1, x.shape[-1]) if lead else x, w)
    if bias is not None:
        np.add(out, b, out=out)
    res = Tensor._wrap(out.reshape(*lead, w.shape[0])) if lead else Tensor._wrap_result(out, None)
    if grad_mode.STATE.enabled and (input._requires_grad or weight._requires_grad or (
            bias is not None and bias._requires_grad)):  # (needs_graph, inlined)
        # (N-D input: one node for torch's view -> addmm -> view, named after the product)
        node = _record_linear_node(input, weight, bias, res)
        node.bias_shape = b.shape if bias is not None else None
        if lead:
            node.lead = lead
    return res


def _linear_cuda(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor | None:
    """The common CUDA layer (2-D float operands of one dtype on one device, K > 0, no bias or a contiguous (N,)
    one of that dtype): the general path's own product (_cuda_product, bias as the epilogue) and node, without its
    branches. None when it does not apply."""
    x, w = input._data, weight._data
    if type(w) is not CudaArray or x.ndim != 2 or w.ndim != 2 or x.dtype != w.dtype or x.dtype.kind != "f" \
            or x.shape[1] != w.shape[1] or x.shape[1] == 0 or x.device != w.device:
        return None
    b = None
    if bias is not None:
        b = bias._data
        if type(b) is not CudaArray or b.device != x.device or b.dtype != x.dtype or b.shape != (w.shape[0],) \
                or not b.flags.c_contiguous:
            return None
    res = Tensor._wrap(linalg._cuda_product("mm", x, w.T, (x.shape[0], w.shape[0]), dtypes._FROM_NP[x.dtype], b))
    return _record_linear(input, weight, bias, res)


_SMALL_WEIGHT = 8192  # weights of at most this many elements: transposed once per call (see _mm_small_weight)


def _small_weight(x, w) -> bool:
    """A CPU float32 / float64 product with a small C-contiguous weight of x's dtype."""
    return (type(x) is np.ndarray and type(w) is np.ndarray and w.size <= _SMALL_WEIGHT and x.dtype == w.dtype
            and x.dtype.kind == "f" and x.dtype.itemsize >= 4 and w.flags.c_contiguous)


def _mm_small_weight(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x @ w.T with w.T made contiguous first: the mm kernel then runs its direct micro-kernel on both operands
    as they are, where the column-major w.T costs a packing pass and a Python-level driver (8x64 @ 64x64:
    ~3.5 us against ~6.5 us; a large weight's transpose costs more than the packing saves)."""
    kernel = _MM_KERNELS.get(x.dtype)
    if kernel is None:
        kernel = _MM_KERNELS[x.dtype] = dispatch.lookup("mm", "cpu", dtypes.from_numpy_dtype(x.dtype))
    out = np.empty((x.shape[0], w.shape[0]), x.dtype)
    kernel(x, np.ascontiguousarray(w.T), out)
    return out


_MM_KERNELS: dict = {}  # NumPy dtype -> the dispatcher's CPU mm kernel (float32, float64)


def _half_bias(x, w, bias: Tensor | None, dt) -> bool:
    """Whether a CPU float16/bfloat16 linear adds its (N,) bias of the same dtype to the float32 product."""
    return (bias is not None and dt in dtypes.HALF_DTYPES and type(x) is np.ndarray
            and type(bias._data) is np.ndarray and bias._data.dtype == x.dtype and bias._data.shape == (w.shape[0],))


def _fused_bias(x, w, bias: Tensor | None, dt) -> bool:
    """Whether linear's CUDA matmul adds the bias itself: a float product with K > 0 and a contiguous (N,) bias of
    its dtype on the same device."""
    if bias is None or type(x) is np.ndarray or not dt.is_floating_point or x.shape[1] == 0:
        return False
    b = bias._data
    return (type(b) is type(x) is type(w) and b.device == x.device == w.device and b.dtype == x.dtype
            and b.shape == (w.shape[0],) and b.flags.c_contiguous)


def _linear_backward(c, g: Tensor):
    from ..ops.elementwise import sum_to

    x, w = c.saved_tensors
    if c.bias_shape is None:
        (need_x, need_w), need_b = c.needs_input_grad, False
    else:
        need_b, need_x, need_w = c.needs_input_grad
    lead = c.__dict__.get("lead")
    if lead:  # an N-D input's product ran on its (M, K) rows
        x, g = x.reshape(-1, x.shape[-1]), g.reshape(-1, g.shape[-1])
    gx = linalg.mm(g, linalg._cj(w)) if need_x else None  # (complex: the adjoint, conjugated)
    if lead and gx is not None:
        gx = gx.reshape(*lead, gx.shape[-1])
    gw = linalg.mm(g.t(), linalg._cj(x)) if need_w else None
    if c.bias_shape is None:
        return gx, gw
    gb = None
    if need_b:
        gb = g.sum(0) if c.bias_shape == (g.shape[1],) else sum_to(g, c.bias_shape, g.dtype)
    return gb, gx, gw


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = input1 @ weight[o] @ input2 + bias[o]: one matmul of input1 against the weight laid out as
    (in1, out*in2), then a product with input2 summed over in2 (recorded ops)."""
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        check_tensor(t, "bilinear", name)
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D, but got {weight.ndim}-D")
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected "
                           f"{in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected "
                           f"{in2}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0] if bias.ndim else 0}"
                           f" but expected {out}")
    lead = tuple(input1.shape[:-1])
    t = input1.reshape(-1, in1).matmul(weight.permute(1, 0, 2).reshape(in1, out * in2))
    y = (t.reshape(-1, out, in2) * input2.reshape(-1, 1, in2)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out)


# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None, reduction: str = "mean",
                         ignore_index: int | None = None, label_smoothing: float = 0.0, options=None) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target): torch 2.13's reference path, with the
    weight's middle dims (C, d1..dK, in_features) giving a K-dimensional loss. `options` (torch's chunking, a
    memory saving) is accepted and does not change the result."""
    check_tensor(input, "linear_cross_entropy")
    check_tensor(linear_weight, "linear_cross_entropy", "linear_weight")
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.ndim}")
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {in_features} and {linear_weight.shape[-1]}, respectively")
    num_classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, "
                           f"got {tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
                           f"requires batched input, (N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batches, num_classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if out_features:
        rows = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape(rows, in_features)
        linear_bias = None if linear_bias is None else linear_bias.reshape(rows)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         label_smoothing=label_smoothing)


FUNCTIONAL: dict = {
    "linear": linear, "bilinear": bilinear,
    "cross_entropy": cross_entropy, "linear_cross_entropy": linear_cross_entropy,
    "nll_loss": nll_loss, "mse_loss": mse_loss, "l1_loss": l1_loss,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "smooth_l1_loss": smooth_l1_loss, "huber_loss": huber_loss, "kl_div": kl_div, "soft_margin_loss": soft_margin_loss,
    "margin_ranking_loss": margin_ranking_loss, "hinge_embedding_loss": hinge_embedding_loss,
    "cosine_embedding_loss": cosine_embedding_loss, "poisson_nll_loss": poisson_nll_loss,
    "gaussian_nll_loss": gaussian_nll_loss, "multilabel_soft_margin_loss": multilabel_soft_margin_loss,
    "triplet_margin_loss": triplet_margin_loss, "multi_margin_loss": multi_margin_loss,
}
