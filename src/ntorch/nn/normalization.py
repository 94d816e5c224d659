"""layer_norm, normalize, one_hot."""

from __future__ import annotations

import math

import numba
import numpy as np

from .. import amp, dispatch, dtypes, layouts
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import batchnorm as BK
from ..kernels.cpu import groupnorm as GK
from ..kernels.cpu import norm as K
from ..kernels.cpu.elementwise import to_half
from ..ops._util import check_tensor
from ..tensor import Tensor, _wrap_dim

dispatch.register("layer_norm", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.layer_norm_into)
dispatch.register("layer_norm_backward", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.layer_norm_backward_into)
dispatch.register("normalize", "cpu", (dtypes.float32, dtypes.float64), lambda dt: K.l2_normalize_into)
dispatch.register("one_hot", "cpu", (dtypes.int64,), lambda dt: K.one_hot_into)
dispatch.register("one_hot.check", "cpu", (dtypes.int64,), lambda dt: K.index_range)


def _check_mixed(x: Tensor, *params: Tensor | None) -> None:
    """torch's CPU norms: parameters share the input's dtype, except float32 ones with a 16-bit float input."""
    for p in params:
        if p is not None and p.dtype is not x.dtype \
                and not (x.dtype in dtypes.HALF_DTYPES and p.dtype is dtypes.float32):
            if x.dtype is dtypes.float64:
                raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")


def _layer_norm_param(p: Tensor | None, name: str, shape: tuple, x: Tensor) -> Tensor | None:
    if p is None:
        return None
    check_tensor(p, "layer_norm", name)
    if p._data.shape != shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                           f"{list(p.shape)} and normalized_shape = {list(shape)}")
    if p.dtype is not x.dtype and not (x.dtype in dtypes.HALF_DTYPES and p.dtype is dtypes.float32):
        if x.dtype is dtypes.float32:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    return p


_KERNELS: dict = {}  # NumPy dtype -> the dispatcher's "layer_norm" kernel (memo: a dtype hashes in Python)
_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))  # computed in themselves (float16/bfloat16: in float32)
_EMPTY = {d: np.empty(0, d) for d in _NATIVE}


def layer_norm_forward(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
                       eps: float = 1e-5) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """layer_norm plus each normalised row's mean and 1/sqrt(var + eps) (float64 arrays), for a backward."""
    check_tensor(input, "layer_norm")
    if type(normalized_shape) is tuple and len(normalized_shape) == 1 and type(normalized_shape[0]) is int:
        shape = normalized_shape  # the common (n,): no conversion
    else:
        if isinstance(normalized_shape, int | np.integer) or not isinstance(normalized_shape, list | tuple):
            raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                            f"{type(normalized_shape).__name__}")
        shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    arr = input._data
    k = len(shape)
    if arr.ndim < k or tuple(arr.shape[arr.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}")
    weight = _layer_norm_param(weight, "weight", shape, input)
    bias = _layer_norm_param(bias, "bias", shape, input)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"LayerNormKernelImpl\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    if type(arr) is not np.ndarray:  # CUDA: composed of device ops (autograd records them); no fused backward
        res = _standardize(input, tuple(range(input.ndim - k, input.ndim)), eps)[0]
        if weight is not None:
            res = res * weight
        return (res + bias if bias is not None else res), None, None
    kernel = _KERNELS.get(arr.dtype)
    if kernel is None:
        kernel = _KERNELS[arr.dtype] = dispatch.lookup("layer_norm", "cpu", input.dtype)
    n = math.prod(shape)
    m = arr.size // n if n else 0
    compute = arr.dtype if arr.dtype in _NATIVE else dtypes.compute_np(arr.dtype)
    x = np.ascontiguousarray(arr, dtype=compute).reshape(m, n)
    empty = _EMPTY[compute]  # (a shared 0-size array: the kernel never reads it)
    w = np.ascontiguousarray(weight._data, dtype=compute).reshape(n) if weight is not None else empty
    b = np.ascontiguousarray(bias._data, dtype=compute).reshape(n) if bias is not None else empty
    out = np.empty((m, n), compute)
    mean, rstd = np.empty(m), np.empty(m)
    if out.size:
        kernel(x, w, b, weight is not None, bias is not None, eps, out, mean, rstd)
    res = Tensor._wrap((out if compute is arr.dtype else to_half(out, arr.dtype)).reshape(arr.shape))
    if needs_graph(input, weight, bias):
        node = record("NativeLayerNormBackward0", _layer_norm_backward, (input, weight, bias), (res,),
                      (input, weight))
        node.mean, node.rstd, node.shape, node.eps = mean, rstd, shape, eps
        node.w_dtype = weight.dtype if weight is not None else None
        node.b_dtype = bias.dtype if bias is not None else None
    return res, mean, rstd


def _layer_norm_backward(c, g: Tensor):
    """The fused kernel (input grad from the forward's mean / rstd, weight / bias grads as row sums) unless the
    backward itself is recorded."""
    x, w = c.saved_tensors
    need_x, need_w, need_b = c.needs_input_grad
    if grad_mode.STATE.enabled:  # create_graph: composed of recorded ops, statistics recomputed from x
        return _layer_norm_backward_composed(c, x, w, g)
    m, n = c.mean.size, math.prod(c.shape)
    compute = dtypes.compute_np(x.dtype.np)
    x2 = np.ascontiguousarray(x._data, dtype=compute).reshape(m, n)
    g2 = np.ascontiguousarray(g._data, dtype=compute).reshape(m, n)
    w1 = np.ascontiguousarray(w._data, dtype=compute).reshape(n) if w is not None else np.ones(n, compute)
    dx = np.empty(x.shape, compute) if need_x else x2[:0]  # base-less: becomes .grad without a copy
    dw, db = np.zeros(n), np.zeros(n)
    if m * n:
        dispatch.lookup("layer_norm_backward", "cpu", x.dtype)(x2, g2, w1, c.mean, c.rstd,
                                                                dx.reshape(m, n) if need_x else dx, need_x, dw, db,
                                                                need_w or need_b)
    gx = Tensor._wrap(dx.astype(x.dtype.np, copy=False)) if need_x else None
    gw = Tensor._wrap(dw.astype(c.w_dtype.np).reshape(c.shape)) if need_w else None
    gb = Tensor._wrap(db.astype(c.b_dtype.np).reshape(c.shape)) if need_b else None
    return gx, gw, gb


def _layer_norm_backward_composed(c, x: Tensor, w: Tensor | None, g: Tensor):
    need_x, need_w, need_b = c.needs_input_grad
    dims = tuple(range(x.ndim - len(c.shape), x.ndim))
    lead = tuple(range(x.ndim - len(c.shape)))
    xhat, _, _, rstd = _standardize(x, dims, c.eps)
    gx = gw = gb = None
    if need_x:
        gx = _standardize_grad(x, g * w if w is not None else g, xhat, rstd, dims)
    if need_w:
        gw = (g * xhat).sum(lead).to(c.w_dtype) if lead else (g * xhat).to(c.w_dtype)
    if need_b:
        gb = g.sum(lead).to(c.b_dtype) if lead else g.to(c.b_dtype)
    return gx, gw, gb


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing normalized_shape dims (biased var)."""
    if amp.STATE.active:  # autocast: torch's CUDA float32 op list (not the CPU's)
        input, weight, bias = amp.float32(input, weight, bias, cpu=False)
    return layer_norm_forward(input, normalized_shape, weight, bias, eps)[0]


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p over dim, eps). The common case (p=2, one dim, float32/float64) is one fused
    kernel; the rest, and any call that autograd records, is composed as torch composes it (float16 then rounds
    eps to float16 as torch does)."""
    from ..ops import pointwise, reduction, shape

    check_tensor(input, "normalize")
    if (p == 2 and out is None and isinstance(dim, int | np.integer) and not isinstance(dim, bool)
            and input.dtype in (dtypes.float32, dtypes.float64) and not needs_graph(input) and not input.is_cuda):
        d = _wrap_dim(int(dim), input.ndim, "normalize")
        arr = input._data
        if arr.size == 0:
            return Tensor._wrap(np.empty(arr.shape, arr.dtype))
        n = arr.shape[d] if arr.ndim else 1
        outer = math.prod(arr.shape[:d])
        x3 = np.ascontiguousarray(arr).reshape(outer, n, arr.size // (outer * n))
        res = np.empty(x3.shape, arr.dtype)
        dispatch.lookup("normalize", "cpu", input.dtype)(x3, res, eps)
        return Tensor._wrap(res.reshape(arr.shape))
    denom = pointwise.clamp_min(reduction.norm(input, p, dim, keepdim=True), eps)
    return pointwise.div(input, shape.expand_as(denom, input), out=out)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (..., num_classes) with a 1 at each index; num_classes=-1 infers max + 1."""
    check_tensor(tensor, "one_hot", "tensor")
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    num_classes = int(num_classes)
    if tensor.is_cuda:  # a comparison against arange on the device; the range checks read two values back
        if tensor.numel() == 0 and num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        if tensor.numel():
            if int(tensor.min()) < 0:
                raise RuntimeError("Class values must be non-negative.")
            hi = int(tensor.max())
            if num_classes == -1:
                num_classes = hi + 1
            elif hi >= num_classes:
                raise RuntimeError("Class values must be smaller than num_classes.")
        from ..ops.creation import arange

        return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).to(dtypes.int64)
    idx = np.ascontiguousarray(tensor._data).reshape(-1)
    if idx.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        lo, hi = dispatch.lookup("one_hot.check", "cpu", dtypes.int64)(idx)
        if lo < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros((idx.size, num_classes), np.int64)
    if out.size:
        dispatch.lookup("one_hot", "cpu", dtypes.int64)(idx, out)
    return Tensor._wrap(out.reshape(*tensor.shape, num_classes))


# ---------------------------------------------------------------------------------------------------------
# batch_norm, instance_norm, group_norm, rms_norm, local_response_norm: composed of ntorch ops
# ---------------------------------------------------------------------------------------------------------
def _channel_param(p: Tensor | None, name: str, channels: int) -> None:
    if p is not None:
        check_tensor(p, "batch_norm", name)
        if p.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {p.numel()}")


def _per_channel(p: Tensor, ndim: int) -> Tensor:
    """A (C,) tensor shaped (C, 1, ...) to broadcast over an (N, C, *spatial) input."""
    return p.reshape(-1, *([1] * (ndim - 2)))


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    if weight is not None:
        y = y * _per_channel(weight, y.ndim)
    return y + _per_channel(bias, y.ndim) if bias is not None else y


def _update_running(running: Tensor | None, stat: Tensor, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * stat, in place and unrecorded, as torch updates it."""
    if running is not None:
        with grad_mode.no_grad():
            running.mul_(1.0 - momentum).add_(stat.detach().reshape(running.shape).to(running.dtype) * momentum)


def _standardize(x: Tensor, dims: tuple, eps: float) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(x - mean) * rstd over dims, rstd = 1 / sqrt(biased var + eps), with the mean, biased var and rstd (kept
    dims): the composed forward of layer / batch / instance / group norm and their composed backwards."""
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    rstd = (var + eps).rsqrt()
    return centered * rstd, mean, var, rstd


def _standardize_grad(x: Tensor, gy: Tensor, xhat: Tensor, rstd: Tensor, dims: tuple) -> Tensor:
    """The input gradient of xhat = _standardize(x, dims)[0] for the gradient gy of xhat (recorded ops, so they
    differentiate again), in x's dtype."""
    gx = rstd * (gy - gy.mean(dims, keepdim=True) - xhat * (gy * xhat).mean(dims, keepdim=True))
    return gx if gx.dtype is x.dtype else gx.to(x.dtype)


def _unbiased(var: Tensor, n: int) -> Tensor:
    return var * (n / (n - 1)) if n > 1 else var * math.nan


def _no_complex(input: Tensor, kernel: str) -> None:
    """torch's normalization kernels are real-only: its error for a complex input."""
    if input.is_complex():
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.torch_name(input.dtype)}'")


def _bn_fused_ok(input: Tensor, *params: Tensor | None) -> bool:
    """Whether batch_norm takes the fused CPU kernels: a floating-point NumPy input and NumPy parameters."""
    return (type(input._data) is np.ndarray and input.dtype.is_floating_point
            and all(p is None or type(p._data) is np.ndarray for p in params))


def _bn_kernel(name: str, size: int):
    """batch_norm's kernel `name`, the channel-parallel one for a large input when Numba has several threads."""
    return getattr(BK, name + "_p" if size >= K.PAR_MIN and numba.get_num_threads() > 1 else name)


def _update_running_np(running: Tensor | None, stat: np.ndarray, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * stat in the buffer's dtype, in place and unrecorded."""
    if running is not None:
        r = running._data
        r *= 1.0 - momentum
        r += stat.astype(r.dtype).reshape(r.shape) * momentum
        running._bump_version()


def _fused_result(input: Tensor, weight: Tensor | None, bias: Tensor | None, out: np.ndarray, keep_layout: bool,
                  node_name: str, backward, **saved) -> Tensor:
    """A fused batch / group norm kernel's output (computed in float32 for a 16-bit input: rounded back; copied
    into the input's strides when keep_layout) and its Native*Backward0 node keeping saved and the parameters'
    dtypes, as torch records it."""
    arr = input._data
    if out.dtype != arr.dtype:
        out = to_half(out, arr.dtype)
    if keep_layout:
        res = np.empty_like(arr)
        res[...] = out
        out = res
    res = Tensor._wrap(out)
    if needs_graph(input, weight, bias):
        node = record(node_name, backward, (input, weight, bias), (res,), (input, weight))
        for name, value in saved.items():
            setattr(node, name, value)
        node.w_dtype = weight.dtype if weight is not None else None
        node.b_dtype = bias.dtype if bias is not None else None
    return res


def _batch_norm_cpu(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None,
                    bias: Tensor | None, training: bool, momentum: float, eps: float) -> Tensor:
    """batch_norm as fused kernels (statistics, normalise + affine) and one NativeBatchNormBackward0 node, as
    torch records it; an empty input leaves the running stats alone (torch's native_batch_norm skips them)."""
    if input.numel() == 0:
        return _affine(input * 1, weight, bias)
    arr = input._data
    n, c = arr.shape[0], arr.shape[1]
    s = arr.size // (n * c)
    compute = dtypes.compute_np(arr.dtype)
    x = np.ascontiguousarray(arr, dtype=compute).reshape(n, c, s)
    if training:
        mean, var = np.empty(c), np.empty(c)
        _bn_kernel("batch_norm_stats", x.size)(x, mean, var)
        _update_running_np(running_mean, mean, momentum)
        _update_running_np(running_var, var * ((n * s) / (n * s - 1)), momentum)
    else:
        mean = running_mean._data.astype(np.float64).reshape(c)
        var = running_var._data.astype(np.float64).reshape(c)
    rstd = 1.0 / np.sqrt(var + eps)
    empty = np.empty(0, compute)
    w = weight._data.astype(compute, copy=False).reshape(c) if weight is not None else empty
    b = bias._data.astype(compute, copy=False).reshape(c) if bias is not None else empty
    out = np.empty(x.shape, compute)
    _bn_kernel("batch_norm_apply", x.size)(x, mean, rstd, w, b, weight is not None, bias is not None, out)
    # keep the input's layout (channels_last in, channels_last out, as torch)
    return _fused_result(input, weight, bias, out.reshape(arr.shape), not arr.flags.c_contiguous,
                         "NativeBatchNormBackward0", _batch_norm_backward, mean=mean, rstd=rstd, training=training,
                         eps=eps)


def _batch_norm_backward(c, g: Tensor):
    """The fused backward kernel unless the backward itself is recorded (create_graph)."""
    x, w = c.saved_tensors
    need_x, need_w, need_b = c.needs_input_grad
    if grad_mode.STATE.enabled:
        return _batch_norm_backward_composed(c, x, w, g)
    n, ch = x.shape[0], x.shape[1]
    s = x.numel() // (n * ch)
    compute = dtypes.compute_np(x.dtype.np)
    x3 = np.ascontiguousarray(x._data, dtype=compute).reshape(n, ch, s)
    g3 = np.ascontiguousarray(g._data, dtype=compute).reshape(n, ch, s)
    w1 = w._data.astype(compute, copy=False).reshape(ch) if w is not None else np.empty(0, compute)
    gx = np.empty(x3.shape, compute) if need_x else np.empty((0, 0, 0), compute)
    dw, db = np.zeros(ch), np.zeros(ch)
    _bn_kernel("batch_norm_backward", x3.size)(x3, g3, c.mean, c.rstd, w1, w is not None, c.training, gx, need_x,
                                               dw, db)
    gx = Tensor._wrap(gx.reshape(x.shape).astype(x.dtype.np, copy=False)) if need_x else None
    gw = Tensor._wrap(dw.astype(c.w_dtype.np)) if need_w else None
    gb = Tensor._wrap(db.astype(c.b_dtype.np)) if need_b else None
    return gx, gw, gb


def _batch_norm_backward_composed(c, x: Tensor, w: Tensor | None, g: Tensor):
    """The same gradients from recorded ops (they differentiate again); training recomputes the statistics
    from x, eval uses the running statistics the forward read."""
    from ..ops.creation import tensor

    need_x, need_w, need_b = c.needs_input_grad
    dims = (0, *range(2, x.ndim))
    if c.training:
        xhat, _, _, rstd = _standardize(x, dims, c.eps)
    else:
        rstd = _per_channel(tensor(c.rstd, dtype=x.dtype), x.ndim)
        xhat = (x - _per_channel(tensor(c.mean, dtype=x.dtype), x.ndim)) * rstd
    gx = gw = gb = None
    if need_x:
        gy = g * _per_channel(w, x.ndim) if w is not None else g
        if c.training:
            gx = _standardize_grad(x, gy, xhat, rstd, dims)
        else:
            gx = gy * rstd
            gx = gx if gx.dtype is x.dtype else gx.to(x.dtype)
    if need_w:
        gw = (g * xhat).sum(dims).to(c.w_dtype)
    if need_b:
        gb = g.sum(dims).to(c.b_dtype)
    return gx, gw, gb


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) by the batch statistics (training: running stats are updated in place
    with the unbiased variance) or by the running stats (eval), then scale and shift."""
    check_tensor(input, "batch_norm")
    _no_complex(input, "batch_norm")
    if input.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(input.ndim, 1)}, "
                         f"{max(input.ndim, 1) - 1}], but got 1)")
    c = input.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _channel_param(p, name, c)
    dims = (0, *range(2, input.ndim))
    if training:
        count = input.numel() // c if c else 0
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        _check_mixed(input, running_mean, running_var, weight, bias)
        if _bn_fused_ok(input, running_mean, running_var, weight, bias):
            return _batch_norm_cpu(input, running_mean, running_var, weight, bias, True, momentum, eps)
        y, mean, var, _ = _standardize(input, dims, eps)
        _update_running(running_mean, mean, momentum)
        _update_running(running_var, _unbiased(var, count), momentum)
        return _affine(y, weight, bias)
    if running_mean is None or running_var is None:
        raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be defined in "
                           "evaluation mode")
    _check_mixed(input, running_mean, running_var, weight, bias)
    if _bn_fused_ok(input, running_mean, running_var, weight, bias):
        return _batch_norm_cpu(input, running_mean, running_var, weight, bias, False, momentum, eps)
    rm, rv = _per_channel(running_mean, input.ndim), _per_channel(running_var, input.ndim)
    return _affine((input - rm) * (rv + eps).rsqrt(), weight, bias)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims; running stats (when given) get the batch mean
    of the instance statistics. Without use_input_stats the running stats normalise, as in batch_norm eval."""
    check_tensor(input, "instance_norm")
    _no_complex(input, "batch_norm")
    if use_input_stats:
        spatial = math.prod(input.shape[2:]) if input.ndim > 2 else 1
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    n, c = input.shape[0], input.shape[1]
    for name, p in (("running_mean", running_mean), ("running_var", running_var)):
        if p is not None and p.numel() != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {n * p.numel()}")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    for name, p in (("weight", weight), ("bias", bias)):
        _channel_param(p, name, c)
    _check_mixed(input, weight, bias)
    y, mean, var, _ = _standardize(input, tuple(range(2, input.ndim)), eps)
    count = math.prod(input.shape[2:])
    if running_mean is not None:
        _update_running(running_mean, mean.reshape(n, c).mean(0), momentum)
    if running_var is not None:
        _update_running(running_var, _unbiased(var, count).reshape(n, c).mean(0), momentum)
    return _affine(y, weight, bias)


def _gn_kernel(name: str, size: int):
    """group_norm's kernel `name`, the block-parallel one for a large input when Numba has several threads."""
    return getattr(GK, name + "_p" if size >= K.PAR_MIN and numba.get_num_threads() > 1 else name)


def _group_norm_cpu(input: Tensor, groups: int, weight: Tensor | None, bias: Tensor | None, eps: float) -> Tensor:
    """group_norm as one fused kernel over (sample, group) blocks and one NativeGroupNormBackward0 node, as torch
    records it. A non-contiguous input is copied contiguous (torch does); a channels_last one gets a
    channels_last output (torch's suggest_memory_format on the CPU). 16-bit floats compute in float32 and come
    back in the input's dtype whatever the parameters' dtype."""
    arr = input._data
    n, c = arr.shape[0], arr.shape[1]
    hw = math.prod(arr.shape[2:])
    cpg = c // groups
    compute = dtypes.compute_np(arr.dtype)
    x2 = np.ascontiguousarray(arr, dtype=compute).reshape(n * groups, cpg * hw)
    empty = np.empty(0, compute)
    w = weight._data.astype(compute, copy=False) if weight is not None else empty
    b = bias._data.astype(compute, copy=False) if bias is not None else empty
    out = np.empty(x2.shape, compute)
    mean, rstd = np.empty(n * groups), np.empty(n * groups)
    if x2.size:
        _gn_kernel("group_norm_forward", x2.size)(x2, hw, cpg, groups, w, b, weight is not None, bias is not None,
                                                  eps, out, mean, rstd)
    channels_last = not arr.flags.c_contiguous and arr.ndim in (4, 5) and input.is_contiguous(
        memory_format=layouts.channels_last if arr.ndim == 4 else layouts.channels_last_3d)
    return _fused_result(input, weight, bias, out.reshape(arr.shape), channels_last, "NativeGroupNormBackward0",
                         _group_norm_backward, mean=mean, rstd=rstd, groups=groups, eps=eps)


def _group_norm_backward(c, g: Tensor):
    """The fused backward kernel unless the backward itself is recorded (create_graph)."""
    x, w = c.saved_tensors
    need_x, need_w, need_b = c.needs_input_grad
    if grad_mode.STATE.enabled:
        return _group_norm_backward_composed(c, x, w, g)
    n, ch = x.shape[0], x.shape[1]
    groups = c.groups
    cpg = ch // groups
    hw = math.prod(x.shape[2:])
    compute = dtypes.compute_np(x.dtype.np)
    x2 = np.ascontiguousarray(x._data, dtype=compute).reshape(n * groups, cpg * hw)
    g2 = np.ascontiguousarray(g._data, dtype=compute).reshape(x2.shape)
    w1 = w._data.astype(compute, copy=False) if w is not None else np.empty(0, compute)
    dx = np.empty(x2.shape, compute) if need_x else np.empty((0, 0), compute)
    dsn, dbn = np.zeros((n, ch)), np.zeros((n, ch))
    if x2.size:
        _gn_kernel("group_norm_backward", x2.size)(x2, g2, hw, cpg, groups, w1, w is not None, c.mean, c.rstd, dx,
                                                   need_x, dsn, dbn)
    gx = Tensor._wrap(dx.reshape(x.shape).astype(x.dtype.np, copy=False)) if need_x else None
    gw = Tensor._wrap(dsn.sum(0).astype(c.w_dtype.np)) if need_w else None
    gb = Tensor._wrap(dbn.sum(0).astype(c.b_dtype.np)) if need_b else None
    return gx, gw, gb


def _group_norm_backward_composed(c, x: Tensor, w: Tensor | None, g: Tensor):
    """The same gradients from recorded ops (they differentiate again), the statistics recomputed from x."""
    need_x, need_w, need_b = c.needs_input_grad
    n = x.shape[0]
    xg = x.reshape(n, c.groups, -1)
    xhat, _, _, rstd = _standardize(xg, (2,), c.eps)
    dims = (0, *range(2, x.ndim))
    gx = gw = gb = None
    if need_x:
        gy = (g * _per_channel(w, x.ndim) if w is not None else g).reshape(xg.shape)
        gx = _standardize_grad(x, gy, xhat, rstd, (2,)).reshape(x.shape)
    if need_w:
        gw = (g * xhat.reshape(x.shape)).sum(dims).to(c.w_dtype)
    if need_b:
        gb = g.sum(dims).to(c.b_dtype)
    return gx, gw, gb


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each of num_groups channel groups of every sample (biased var), then per-channel affine."""
    if amp.STATE.active:  # autocast: torch's CUDA float32 op list (not the CPU's)
        input, weight, bias = amp.float32(input, weight, bias, cpu=False)
    check_tensor(input, "group_norm")
    _no_complex(input, "GroupNormKernelImpl")
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.ndim != 1 or p.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(p.shape)} and input of shape {list(input.shape)}")
    _check_mixed(input, weight, bias)
    if not input.dtype.is_floating_point:  # torch's kernel is float-only, even for an empty input
        raise NotImplementedError(f"\"GroupNormKernelImpl\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    if _bn_fused_ok(input, weight, bias):
        return _group_norm_cpu(input, num_groups, weight, bias, eps)
    return _group_norm_composed(input, num_groups, weight, bias, eps)


def _group_norm_composed(input: Tensor, num_groups: int, weight: Tensor | None, bias: Tensor | None,
                         eps: float) -> Tensor:
    """group_norm of ntorch ops (CUDA; autograd records each one)."""
    if input.numel() == 0:
        return _affine(input * 1, weight, bias)
    grouped = input.reshape(input.shape[0], num_groups, -1)
    y = _standardize(grouped, (2,), eps)[0].reshape(*input.shape)
    return _affine(y, weight, bias)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x**2) + eps) over the trailing normalized_shape dims, times weight; eps defaults to the
    dtype's machine epsilon."""
    check_tensor(input, "rms_norm")
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}")
    if weight is not None:
        check_tensor(weight, "rms_norm", "weight")
        if tuple(weight.shape) != shape:
            raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                               f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"rms_norm\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    # torch computes float16/bfloat16 in float32 (its opmath type), eps defaulting to that type's machine epsilon
    x = input.to(dtypes.float32) if input.dtype in dtypes.HALF_DTYPES else input
    if eps is None:
        eps = float(dtypes.np_finfo(x.dtype.np).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = x * ((x * x).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        y = y * weight
    return y if y.dtype is input.dtype else y.to(input.dtype)  # torch: type_as(input), whatever the weight


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x**2 over a window of `size` channels (zero-padded, size // 2 before the channel
    and (size - 1) // 2 after it)) ** beta."""
    from ..ops.creation import zeros
    from ..ops.joins import cat

    check_tensor(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {input.ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    if input.ndim > 3 and input.dtype in dtypes.HALF_DTYPES and not input.is_cuda:  # torch pools it with avg_pool3d
        raise NotImplementedError(f"\"avg_pool3d_out_frame\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    c = input.shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    pad_shape = lambda m: (input.shape[0], m, *input.shape[2:])  # noqa: E731
    parts = [zeros(pad_shape(before), dtype=input.dtype, device=input.device), sq,
             zeros(pad_shape(after), dtype=input.dtype, device=input.device)]
    padded = cat(parts, 1)
    window = padded.narrow(1, 0, c)
    for j in range(1, size):
        window = window + padded.narrow(1, j, c)
    return input / (window * (alpha / size) + k) ** beta


# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {"layer_norm": layer_norm, "normalize": normalize, "one_hot": one_hot, "batch_norm": batch_norm,
                    "instance_norm": instance_norm, "group_norm": group_norm, "rms_norm": rms_norm,
                    "local_response_norm": local_response_norm}
