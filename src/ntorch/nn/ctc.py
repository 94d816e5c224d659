"""F.ctc_loss: the CTC forward (alpha) recursion in log space, batched over the samples, one step per time
frame, built from recorded ops: autograd runs the alpha-beta backward, and CUDA tensors work as they are.

The extended label sequence of a target l (length S) is blank, l1, blank, l2, ..., blank (2S + 1 entries);
alpha_t[s] = lse(alpha_{t-1}[s], alpha_{t-1}[s-1], alpha_{t-1}[s-2] when l'_s != blank and l'_s != l'_{s-2})
+ log_probs[t, l'_s]; samples whose input is shorter keep their last alpha.

torch's gradient for log_probs is exp(log_probs) - posterior (the gradient for the logits of a log_softmax,
which it assumes feeds ctc_loss); a zero-valued term with gradient exp(log_probs) reproduces it.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..ops._util import check_tensor
from ..tensor import Tensor

_NEG = -float("inf")


def _lse(terms: list[Tensor]) -> Tensor:
    """log(sum(exp(terms))) elementwise, -inf (with zero gradients, not NaN) where every term is -inf."""
    from ..ops.pointwise import where

    m = terms[0].detach()
    for t in terms[1:]:
        m = m.maximum(t.detach())
    m = where(m == _NEG, 0.0, m)
    total = (terms[0] - m).exp()
    for t in terms[1:]:
        total = total + (t - m).exp()
    empty = total == 0
    return where(empty, _NEG, m + where(empty, 1.0, total).log())


def _lengths(value, n: int, name: str, dev) -> np.ndarray:
    arr = value.cpu().numpy() if isinstance(value, Tensor) else np.asarray(value)
    arr = np.asarray(arr).reshape(-1).astype(np.int64)
    if arr.size != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """F.ctc_loss: log_probs (T, N, C) or (T, C); targets (N, S) padded or 1-D concatenated; lengths as tensors
    or sequences of ints. 'mean' divides each loss by its target length (at least 1), then averages."""
    from ..ops.creation import tensor
    from ..ops.pointwise import where
    from .padding import pad

    check_tensor(log_probs, "ctc_loss", "log_probs")
    check_tensor(targets, "ctc_loss", "targets")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2-D or 3-D, but got {log_probs.ndim}-D")
    if not log_probs.dtype.is_floating_point:
        raise RuntimeError(f"ctc_loss: expected log_probs to be a floating point tensor, but got {log_probs.dtype}")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    if not batched and targets.ndim == 1:
        targets = targets.unsqueeze(0)
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    in_len = _lengths(input_lengths, n, "input_lengths", lp.device)
    tg_len = _lengths(target_lengths, n, "target_lengths", lp.device)
    tg = targets.cpu().numpy().astype(np.int64)
    if targets.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"ctc_loss: expected targets to be an integer tensor, but got {targets.dtype}")
    if np.any(in_len < 0) or np.any(in_len > t_max):
        bad = in_len[(in_len < 0) | (in_len > t_max)][0]
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {bad} (while checking "
                           "arguments for ctc_loss_cpu)")
    if np.any(tg_len < 0):
        raise RuntimeError("ctc_loss: target_lengths must be non-negative")
    s_max = int(tg_len.max()) if n else 0
    labels = np.full((n, max(s_max, 1)), blank, np.int64)
    if tg.ndim == 2 and tg.shape[0] == n:
        if tg.shape[1] < s_max:
            raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, but got size "
                               f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for ctc_loss_cpu)")
        for i in range(n):
            labels[i, :tg_len[i]] = tg[i, :tg_len[i]]
    elif tg.ndim == 1:
        if tg.size < tg_len.sum():
            raise RuntimeError(f"Expected tensor to have size at least {int(tg_len.sum())} at dimension 0, but got "
                               f"size {tg.size} for argument #2 'targets' (while checking arguments for ctc_loss_cpu)")
        starts = np.cumsum(tg_len) - tg_len
        for i in range(n):
            labels[i, :tg_len[i]] = tg[starts[i]:starts[i] + tg_len[i]]
    else:
        raise RuntimeError("ctc_loss: targets must be 1-D (concatenated) or 2-D (batch, max target length)")
    used = np.concatenate([labels[i, :tg_len[i]] for i in range(n)]) if n else labels[:0, 0]
    if used.size and (used.min() < 0 or used.max() >= c):
        raise IndexError("ctc_loss: target index out of range")
    length = 2 * max(s_max, 0) + 1
    ext = np.full((n, length), blank, np.int64)
    ext[:, 1::2] = labels[:, :s_max] if s_max else ext[:, 1::2]
    skip = np.zeros((n, length), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    dev, dt = lp.device, lp.dtype
    skip_add = tensor(np.where(skip, 0.0, _NEG), dtype=dt, device=dev)
    lp_ext = lp.gather(2, tensor(np.broadcast_to(ext, (t_max, n, length)).copy(), device=dev))  # (T, N, L)
    start = np.full((n, length), _NEG)
    start[:, 0] = 0.0
    if length > 1:
        start[:, 1] = 0.0
    alpha = tensor(start, dtype=dt, device=dev) + lp_ext[0] if t_max else tensor(start, dtype=dt, device=dev)
    for t in range(1, t_max):
        prev1 = pad(alpha, (1, 0), value=_NEG)[:, :length]
        prev2 = pad(alpha, (2, 0), value=_NEG)[:, :length] + skip_add
        new = _lse([alpha, prev1, prev2]) + lp_ext[t]
        alpha = where(tensor((t < in_len)[:, None], device=dev), new, alpha)
    last = np.stack([2 * tg_len, np.maximum(2 * tg_len - 1, 0)], 1)
    ends = alpha.gather(1, tensor(last, device=dev))
    second = where(tensor((tg_len > 0)[:, None], device=dev), ends[:, 1:], _NEG)
    loss = -_lse([ends[:, :1], second]).reshape(n)
    if in_len.min(initial=1) == 0:  # no frames: the loss is 0 for an empty target, inf otherwise
        loss = where(tensor(in_len == 0, device=dev), tensor(np.where(tg_len == 0, 0.0, np.inf), dtype=dt,
                                                                 device=dev), loss)
    finite = loss.detach().isfinite()
    if lp.requires_grad:  # torch's exp(log_probs) gradient term (value zero), over each sample's valid frames
        frames = tensor((np.arange(t_max)[:, None] < in_len[None, :])[:, :, None], device=dev)
        extra = (where(frames, lp.detach().exp(), 0.0) * (lp - lp.detach())).sum((0, 2))
        loss = loss + where(finite, extra, 0.0) if zero_infinity else loss + extra
    if zero_infinity:
        loss = where(finite, loss, 0.0)
    if reduction == "none":
        return loss if batched else loss[0]
    if reduction == "sum":
        return loss.sum()
    return (loss / tensor(np.maximum(tg_len, 1), dtype=dt, device=dev)).mean()


FUNCTIONAL: dict = {"ctc_loss": ctc_loss}
