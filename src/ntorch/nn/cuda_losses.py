"""cross_entropy and nll_loss with class-index targets on CUDA tensors.

The CPU path (losses.py) gets its totals back from the kernels; the CUDA kernels (kernels/cuda/loss.py) write
per-element terms instead (loss, the smoothing term, each target's weight), which one more kernel reduces for
'sum' and 'mean' (loss_total), so nothing but the bad-target flag is read back to the host. The (N, C) case is one
fused kernel (log-softmax and NLL per row); other shapes take log_softmax then the NLL kernel. Both backwards are
one elementwise kernel.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..cuda import checks
from ..ops.softmax import softmax_array
from ..tensor import Tensor

_KERNELS = ("cross_entropy_rows", "cross_entropy_rows_backward", "cross_entropy_backward_3d", "nll_3d",
            "nll_backward_3d", "loss_total")


for _name in _KERNELS:
    dispatch.register(_name, "cuda", dtypes.FLOAT_DTYPES, dispatch.cuda_kernel("loss", _name), lazy=True)


def _compute_dtype(dt: dtypes.dtype) -> np.dtype:
    return np.dtype(np.float32 if dt is dtypes.float16 else dt.np)


_COMPUTE_NP = {d.np: _compute_dtype(d) for d in dtypes.FLOAT_DTYPES}  # _compute_dtype by NumPy dtype (no call)


def _weight(weight: Tensor | None, c: int, like, acc: np.dtype):
    """The (C,) weight on the input's device in the compute dtype (ones when None)."""
    if weight is None:
        return _ones(c, acc, like.device)
    if not weight.is_cuda or weight._data.device != like.device:
        raise _arrays.mixed_devices(f"cuda:{like.device}", str(weight.device))
    return _arrays.astype(_arrays.ascontiguous(weight._data).reshape(c), acc)


@functools.lru_cache(maxsize=64)
def _ones(c: int, acc: np.dtype, device: int):
    """The default class weights, made once per (C, dtype, device): a training loop's loss then launches no fill.
    Kernels only read it."""
    w = _arrays.empty((c,), acc, device)
    _arrays.copy_into(w, 1)
    return w


def _target_error(target, position: int, op: str, deferred: bool) -> IndexError:
    value = int(target.reshape(-1)[position:position + 1].copy_to_host()[0])
    where = f" (found on the device by {op}, reported at the next synchronisation)" if deferred else ""
    return IndexError(f"Target {value} is out of bounds.{where}")


def _bad_target_flag(target, device: int, op: str):
    """The kernel's flag for the first bad target, and whether to read it now (eager checks) or at the next
    synchronisation (ntorch.cuda.checks: no wait in a training step)."""
    if checks.mode() == "eager":
        from ..kernels.cuda.indexing import new_flag

        return new_flag(), True
    flag = checks.flag(device, lambda position: _target_error(target, position, op, True))
    return flag.device_array(), False


def _check_flag(flag, target, op: str) -> None:
    from ..kernels.cuda.indexing import read_flag

    bad = read_flag(flag)  # a sync
    if bad is not None:
        raise _target_error(target, bad, op, False)


def class_loss(op: str, input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, reduction: str,
               smoothing: float, n: int, c: int, d: int, shape: tuple) -> Tensor:
    """cross_entropy (op "cross_entropy", input logits) or nll_loss (op "nll_loss", input log-probabilities) of a
    CUDA input (N, C, D-flattened) with class targets; checks done by the caller."""
    if not target.is_cuda or target._data.device != input._data.device:
        raise _arrays.mixed_devices(str(input.device), str(target.device))
    if target.dtype not in (dtypes.int64, dtypes.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {dtypes.torch_name(target.dtype)}")
    x, dt = input._data, input.dtype
    acc = _COMPUTE_NP[x.dtype]
    w = _weight(weight, c, x, acc)
    t = _arrays.ascontiguous(target._data).reshape(n, d)
    smooth = smoothing > 0.0
    # the per-element terms, flat (N * D,): the rows kernel and loss_total take them so; nll_3d takes (N, D) views
    loss, sm, wrow = _arrays.empty((n * d,), acc, x), _arrays.empty((n * d,), acc, x), _arrays.empty((n * d,), acc, x)
    flag, eager = _bad_target_flag(t, x.device, op)
    lse = None
    if op == "cross_entropy" and d == 1:
        lse = _arrays.empty((n,), acc, x)
        _arrays.cuda_kernel("cross_entropy_rows", dt.np)(
            _arrays.reshape(x, (n, c)).device_array(), t.reshape(n).device_array(), w.device_array(),
            int(ignore_index), smooth, loss.device_array(), sm.device_array(), lse.device_array(),
            wrow.device_array(), flag)
    else:
        logp = softmax_array(x, 1 if input.ndim > 1 else 0, True, "log_softmax") if op == "cross_entropy" else x
        _arrays.cuda_kernel("nll_3d", dt.np)(
            _arrays.reshape(logp, (n, c, d)).device_array(), t.device_array(), w.device_array(), int(ignore_index),
            smooth, loss.reshape(n, d).device_array(), sm.reshape(n, d).device_array(),
            wrow.reshape(n, d).device_array(), flag)
    if eager:
        _check_flag(flag, t, op)
    keep, add = 1.0 - smoothing, smoothing / c if c else 0.0
    weight_total = None
    with grad_mode.no_grad():
        if reduction == "none":
            per = Tensor._wrap(loss)
            if smooth:
                per = per * keep + Tensor._wrap(sm) * add
            res = per.reshape(shape)
        else:  # 'sum' or 'mean': one kernel reduces the terms (and the weights, the mean's divisor)
            total, wsum = _arrays.empty((1,), acc, x), _arrays.empty((1,), acc, x)
            # (through dispatch.lookup each time, not the memo: tests spy on this kernel by patching the lookup)
            dispatch.lookup("loss_total", "cuda", dtypes._FROM_NP[acc])(
                loss.device_array(), sm.device_array(), wrow.device_array(), keep, add, smooth, reduction == "mean",
                total.device_array(), wsum.device_array())
            res = Tensor._wrap(total.reshape(()))
            if reduction == "mean":
                weight_total = Tensor._wrap(wsum.reshape(()))
        if res._data.dtype != dt.np:  # (.to(dt) returns res itself otherwise)
            res = res.to(dt)
    if needs_graph(input):
        name = "AddBackward0" if smooth else "NllLossBackward0" if input.ndim <= 2 else "NllLoss2DBackward0"
        node = record(name, _class_loss_backward, (input,), (res,), (input,))
        node.op, node.target, node.weight, node.ignore_index = op, t, w, int(ignore_index)
        node.reduction, node.keep, node.add, node.lse, node.weight_total = reduction, keep, add, lse, weight_total
        node.three = (n, c, d)
    return res


def _class_loss_backward(node, g: Tensor):
    (x,) = node.saved_tensors
    n, c, d = node.three
    xa = x._data
    acc = _COMPUTE_NP[xa.dtype]
    gs = g if g._data.dtype == acc else g.to(dtypes.from_numpy_dtype(acc))  # (.to returns g itself then)
    # the weighted mean's divisor is applied by the kernel (no separate division launch)
    wdiv = node.weight_total._data.reshape(1).device_array() if node.reduction == "mean" else None
    # each element's loss gradient: g itself for 'none', else one value seen through a stride-0 view
    if node.reduction == "none":
        gs_arr = _arrays.ascontiguous(gs._data).reshape(n, d)
    else:
        gs_arr = _arrays.broadcast_to(gs._data.reshape(1, 1), (n, d))
    out = _arrays.empty((n, c, d), acc, xa)
    if node.lse is not None:  # the fused (N, C) cross-entropy (D = 1): softmax(x) * Q - q in one pass
        # cross_entropy_rows_backward's own launch, given its (N, C, 1) views directly (no 2-d views between)
        _arrays.cuda_kernel("cross_entropy_backward_3d", xa.dtype)(
            _arrays.reshape(xa, (n, c, 1)).device_array(), node.lse.reshape(n, 1).device_array(),
            node.target.device_array(), node.weight.device_array(), node.ignore_index, node.keep, node.add,
            gs_arr.device_array(), out.device_array(), wdiv)
        return Tensor._wrap(_arrays.astype(out, xa.dtype).reshape(xa.shape))
    _arrays.cuda_kernel("nll_backward_3d", xa.dtype)(
        node.target.device_array(), node.weight.device_array(), node.ignore_index, node.keep, node.add,
        gs_arr.device_array(), out.device_array(), wdiv)
    grad_logp = _arrays.astype(out, xa.dtype).reshape(xa.shape)
    if node.op == "nll_loss":
        return Tensor._wrap(grad_logp)
    from ..ops.softmax import softmax_backward_array

    dim = 1 if x.ndim > 1 else 0
    logp = softmax_array(x._data, dim, True, "log_softmax")
    return Tensor._wrap(softmax_backward_array(logp, grad_logp, dim, True))
