"""F.ctc_loss: torch's ctc_loss in front of the kernel pair kernels/cpu/ctc.py and kernels/cuda/ctc.py.

The arguments are validated on the host with torch's messages (ctc_loss_allocate_outputs), the targets flattened
with one offset per sample (both layouts), and the kernel computes the per-sample negative log likelihoods (and the
log alphas the backward reads). That op is recorded as CtcLossBackward0; zero_infinity and the reductions are then
ntorch ops, as in torch's ctc_loss_impl ('mean' divides each loss by its target length, at least 1, and averages).

The backward is torch's _ctc_loss_backward: the beta recursion, then grad = (exp(log_probs) - posterior) * grad_out
per sample (the gradient for the logits of a log_softmax feeding ctc_loss), zero past each input length and for an
infinite loss under zero_infinity. Like torch, it has no derivative of its own.
"""

from __future__ import annotations

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import ctc as K
from ..ops._util import check_tensor
from ..tensor import Tensor
from .conv import torch_scalar_name

_DTYPES = (dtypes.float32, dtypes.float64)
dispatch.register("ctc_loss", "cpu", _DTYPES, lambda dt: K.forward)
dispatch.register("ctc_loss_backward", "cpu", _DTYPES, lambda dt: K.backward)
dispatch.register("ctc_loss", "cuda", _DTYPES, dispatch.cuda_kernel("ctc", "forward_into"), lazy=True)
dispatch.register("ctc_loss_backward", "cuda", _DTYPES, dispatch.cuda_kernel("ctc", "backward_into"), lazy=True)

_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(value, n: int, name: str) -> np.ndarray:
    """input_lengths / target_lengths (a tensor or a sequence of ints) as an int64 host array of size n."""
    arr = value.cpu().numpy() if isinstance(value, Tensor) else np.asarray(value)
    arr = arr.reshape(-1).astype(np.int64)
    if arr.size != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr


def _flat_targets(targets: Tensor, tg_len: np.ndarray, n: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """The targets as one flat int64 host array and each sample's offset into it (torch's tg_batch_offsets),
    validated: padded (N, S) or concatenated (sum of target_lengths,), labels in [0, C)."""
    if targets.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional tensor for argument #2 "
                           f"'targets'{_WHERE}")
    if np.any(tg_len < 0):
        raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {tg_len.min()}{_WHERE}")
    tg = targets.cpu().numpy()
    s_max = int(tg_len.max(initial=0))
    if targets.ndim == 1:
        total = int(tg_len.sum())
        if tg.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size {tg.shape[0]} for "
                               f"argument #2 'targets'{_WHERE}")
        flat = tg.astype(np.int64)
        offsets = np.cumsum(tg_len) - tg_len
        used = flat
    else:
        if tg.shape[0] != n:
            raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size {tg.shape[0]} for "
                               f"argument #2 'targets'{_WHERE}")
        if tg.shape[1] < s_max:
            raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, but got size "
                               f"{tg.shape[1]} for argument #2 'targets'{_WHERE}")
        flat = np.ascontiguousarray(tg, dtype=np.int64).reshape(-1)
        offsets = np.arange(n, dtype=np.int64) * tg.shape[1]
        used = flat.reshape(n, -1)[np.arange(tg.shape[1]) < tg_len[:, None]]
    if used.size and (used.min() < 0 or used.max() >= c):
        bad = used[(used < 0) | (used >= c)][0]
        raise IndexError(f"ctc_loss: target label {bad} is out of range for log_probs with {c} classes")
    return flat, offsets


def _to_kernel(like, *arrays) -> list:
    """Host index arrays as kernel arguments on like's device."""
    if not _arrays.is_cuda(like):
        return list(arrays)
    return [_arrays.kernel_arg(_arrays.to_device(a, like.device)) for a in arrays]


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """F.ctc_loss: log_probs (T, N, C) or (T, C); targets (N, S) padded or 1-D concatenated; lengths as tensors
    or sequences of ints."""
    from ..ops.creation import tensor
    from ..ops.pointwise import where

    check_tensor(log_probs, "ctc_loss", "log_probs")
    check_tensor(targets, "ctc_loss", "targets")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    dt = log_probs.dtype
    if dt not in _DTYPES:
        where_ = "cuda" if log_probs.device.type == "cuda" else "cpu"
        raise NotImplementedError(f"\"ctc_loss_{where_}\" not implemented for '{torch_scalar_name(dt)}'")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    if lp.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor for argument #1 "
                           f"'log_probs'{_WHERE}")
    if lp.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    in_len = _lengths(input_lengths, n, "input_lengths")
    tg_len = _lengths(target_lengths, n, "target_lengths")
    flat, offsets = _flat_targets(targets, tg_len, n, c)
    if np.any(in_len < 0):
        raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {in_len.min()}{_WHERE}")
    if np.any(in_len > t_max):
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {in_len.max()}"
                           f"{_WHERE}")
    loss = _ctc(lp, flat, offsets, in_len, tg_len, int(blank), bool(zero_infinity))
    if zero_infinity:
        loss = where(loss == float("inf"), 0.0, loss)
    if reduction == "mean":
        divisor = tensor(np.maximum(tg_len, 1), dtype=dt, device=lp.device)
        return (loss / divisor).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss[0]


def _ctc(lp: Tensor, flat, offsets, in_len, tg_len, blank: int, zero_infinity: bool) -> Tensor:
    """The per-sample negative log likelihoods (torch's _ctc_loss), recorded for autograd."""
    x = lp._data
    t_max, n, _ = x.shape
    length = 2 * int(tg_len.max(initial=0)) + 1
    nll = _arrays.empty((n,), x.dtype, x)
    log_alpha = _arrays.empty((n, t_max, length), x.dtype, x)
    index = _to_kernel(x, flat, offsets, in_len, tg_len)
    kernel = dispatch.lookup("ctc_loss", _arrays.device_type(x), lp.dtype)
    one, neg_inf = x.dtype.type(1), x.dtype.type(-np.inf)
    kernel(_arrays.kernel_arg(x), *index, blank, one, neg_inf, _arrays.kernel_arg(log_alpha), _arrays.kernel_arg(nll))
    res = Tensor._wrap(nll)
    if needs_graph(lp):
        node = record("CtcLossBackward0", _ctc_backward, (lp,), (res,), (lp,))
        node.ctc = (index, blank, nll, log_alpha, zero_infinity)
    return res


def _ctc_backward(c, g: Tensor):
    (lp,) = c.saved_tensors
    index, blank, nll, log_alpha, zero_infinity = c.ctc
    x = lp._data
    gout = _arrays.ascontiguous(_arrays.astype(g._data, x.dtype))
    grad = _arrays.empty(x.shape, x.dtype, x)
    if _arrays.is_cuda(x):
        beta = _arrays.empty(log_alpha.shape, x.dtype, x)
    else:
        beta = np.empty((x.shape[1], 2, log_alpha.shape[2]), x.dtype)
    args = [_arrays.kernel_arg(a) for a in (gout, x)] + index + [blank, x.dtype.type(1), x.dtype.type(-np.inf)] + [
        _arrays.kernel_arg(a) for a in (nll, log_alpha)] + [zero_infinity] + [
        _arrays.kernel_arg(a) for a in (beta, grad)]
    dispatch.lookup("ctc_loss_backward", _arrays.device_type(x), lp.dtype)(*args)
    res = Tensor._wrap(grad)
    if grad_mode.STATE.enabled and needs_graph(g, lp):  # create_graph: torch has no derivative here either
        from ..ops.indexing import _not_implemented_backward

        node = record("NotImplemented", _not_implemented_backward, (g, lp), (res,))
        node.op = "_ctc_loss_backward"
    return res


FUNCTIONAL: dict = {"ctc_loss": ctc_loss}
