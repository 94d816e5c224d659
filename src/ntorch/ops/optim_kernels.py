"""Fused optimizer steps: one kernel per parameter updates the parameter and its state in place (kernels/cpu/optim.py,
kernels/cuda/optim.py), instead of torch's single-tensor rule op by op.

The callers (ntorch.optim) check first that the tensors qualify (`fusable`): C-contiguous, one floating dtype, one
device. Here the step's scalars, computed in Python float64 as torch does, are converted to the compute dtype
(float64 for float64 parameters, else float32) and each tensor the step writes has its version bumped, as an
in-place op would. On the CPU a float16/bfloat16 step runs on float32 copies written back once (Numba has no CPU float16
arithmetic); on CUDA the kernel loads and stores float16 itself.
"""

from __future__ import annotations

import numpy as np

from .. import dispatch, dtypes
from ..cuda.array import CudaArray
from ..kernels.cpu import optim as K
from ..tensor import Tensor

FUSED_DTYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.bfloat16)

for _name, _kernel in (("sgd", K.sgd), ("adam", K.adam), ("rmsprop", K.rmsprop), ("adagrad", K.adagrad)):
    dispatch.register("optim." + _name, "cpu", FUSED_DTYPES, lambda dt, k=_kernel: k)
    dispatch.register("optim." + _name, "cuda", FUSED_DTYPES, dispatch.cuda_kernel("optim", _name), lazy=True)

_FLOAT_KINDS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64), dtypes.bfloat16.np)


def fusable(p: Tensor, *others: Tensor | None) -> bool:
    """True when p and the other tensors (its gradient, its state; None skipped) can take a fused step: all
    C-contiguous, of p's floating dtype (float16/32/64, bfloat16) and on p's device."""
    arr = p._data
    dt = arr.dtype
    if dt not in _FLOAT_KINDS or not arr.flags.c_contiguous:
        return False
    kind = type(arr)
    cuda = kind is CudaArray
    for t in others:
        if t is None:
            continue
        a = t._data
        if type(a) is not kind or a.dtype != dt or not a.flags.c_contiguous or (cuda and a.device != arr.device):
            return False
    return True


_CUDA_KERNELS: dict = {}  # (op, NumPy dtype) -> the dispatcher's CUDA kernel (memo: an ntorch dtype hashes in Python)


def _step(op: str, p: Tensor, g: Tensor, states: tuple, scalars: tuple, flags: tuple) -> None:
    """Run fused kernel `op` on p, its gradient g and its state tensors (None where the options use none: the kernel
    gets p's array in that slot and leaves it alone), then bump the versions of p and the states."""
    arr = p._data
    if type(arr) is CudaArray:  # (no comprehensions, the kernel memoised: this runs per parameter per step)
        views = [arr.flat_device_array(), g._data.flat_device_array()]
        for s in states:
            views.append((arr if s is None else s._data).flat_device_array())
        kernel = _CUDA_KERNELS.get((op, arr.dtype))
        if kernel is None:
            kernel = _CUDA_KERNELS[(op, arr.dtype)] = dispatch.lookup(op, "cuda", dtypes._FROM_NP[arr.dtype])
        kernel(*views, *scalars, *flags)
        p._bump_version()
        for s in states:
            if s is not None:
                s._bump_version()
        return
    data = [arr, g._data] + [arr if s is None else s._data for s in states]
    if arr.dtype in dtypes.HALF_NP:
        work = [a.reshape(-1).astype(np.float32) for a in data[:2]]
        work += [work[0] if s is None else s._data.reshape(-1).astype(np.float32) for s in states]
        dispatch.lookup(op, "cpu", p.dtype)(*work, *[np.float32(s) for s in scalars], *flags)
        for t, w in zip((p, *states), work[:1] + work[2:]):
            if t is not None:
                np.copyto(t._data.reshape(-1), w, casting="unsafe")
    else:
        ct = arr.dtype.type
        dispatch.lookup(op, "cpu", p.dtype)(*[a.reshape(-1) for a in data], *[ct(s) for s in scalars], *flags)
    p._bump_version()
    for s in states:
        if s is not None:
            s._bump_version()


def _lerp_weight(w: float, double: bool) -> tuple[float, float, bool]:
    """(weight, 1 - weight computed in the compute dtype as torch's lerp does, |weight| < 0.5)."""
    if double:
        return w, 1.0 - w, abs(w) < 0.5
    w32 = np.float32(w)
    return float(w32), float(np.float32(1) - w32), abs(w32) < 0.5


def sgd_(p: Tensor, g: Tensor, buf: Tensor | None, *, lr: float, momentum: float, dampening: float,
         weight_decay: float, nesterov: bool, maximize: bool, first: bool) -> None:
    """torch's _single_tensor_sgd for one parameter; buf (the momentum buffer, momentum != 0 only) is filled with
    the gradient when `first` (torch's clone of the first gradient)."""
    if momentum != 0 and buf is None:
        raise ValueError("sgd_: momentum needs buf")
    _step("optim.sgd", p, g, (buf if momentum != 0 else None,), (weight_decay, momentum, 1 - dampening, -lr),
          (maximize, weight_decay != 0, momentum != 0, nesterov, first))


def adam_(p: Tensor, g: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, max_exp_avg_sq: Tensor | None, *, step: float,
          lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, amsgrad: bool, maximize: bool,
          decoupled: bool) -> None:
    """torch's _single_tensor_adam (capturable=False) for one parameter at step `step` (already counted)."""
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    w1, w1c, lo1 = _lerp_weight(1 - beta1, p._data.dtype == np.float64)
    if amsgrad and max_exp_avg_sq is None:
        raise ValueError("adam_: amsgrad needs max_exp_avg_sq")
    _step("optim.adam", p, g, (exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else None),
          (weight_decay, 1 - lr * weight_decay, w1, w1c, beta2, 1 - beta2, bias_correction2_sqrt, eps, -step_size),
          (lo1, maximize, weight_decay != 0, decoupled, amsgrad))


def rmsprop_(p: Tensor, g: Tensor, square_avg: Tensor, grad_avg: Tensor | None, buf: Tensor | None, *, lr: float,
             alpha: float, eps: float, weight_decay: float, momentum: float, centered: bool, maximize: bool) -> None:
    """torch's _single_tensor_rmsprop for one parameter (grad_avg when centered, buf when momentum > 0)."""
    if (centered and grad_avg is None) or (momentum > 0 and buf is None):
        raise ValueError("rmsprop_: centered needs grad_avg and momentum > 0 needs buf")
    w, wc, lo = _lerp_weight(1 - alpha, p._data.dtype == np.float64)
    _step("optim.rmsprop", p, g, (square_avg, grad_avg if centered else None, buf if momentum > 0 else None),
          (weight_decay, alpha, 1 - alpha, w, wc, eps, -lr, momentum),
          (lo, maximize, weight_decay != 0, centered, momentum > 0))


def adagrad_(p: Tensor, g: Tensor, state_sum: Tensor, *, step: float, lr: float, lr_decay: float, eps: float,
             weight_decay: float, maximize: bool) -> None:
    """torch's _single_tensor_adagrad (dense) for one parameter at step `step` (already counted)."""
    clr = lr / (1 + (step - 1) * lr_decay)
    _step("optim.adagrad", p, g, (state_sum,), (weight_decay, eps, -clr), (maximize, weight_decay != 0))
