"""softmax and log_softmax over any dim as fused, numerically stable kernels.

The input becomes a C-contiguous (outer, n, inner) array normalised over axis 1 (a view when the input is
contiguous, else one copy); float16 is computed in float32 and rounded once. The output is contiguous.
Backward: a fused kernel from the saved output, or the same formula in recorded ops under create_graph.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _arrays, amp, dispatch, dtypes
from .._arrays import cuda_kernel
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..cuda.array import CudaArray
from ..cuda.array import empty_checked as _cuda_empty
from ..kernels.cpu import softmax as K
from ..kernels.cpu.elementwise import to_half
from ..tensor import Tensor, _index_arg, _wrap_dim
from ._util import EXACT, call_out, check_tensor, warn

for _op in ("softmax", "log_softmax"):
    dispatch.register(_op, "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.softmax_into)
    dispatch.register(_op + ".rows", "cpu", (dtypes.float32, dtypes.float64), lambda dt: K.softmax_rows_into)
    dispatch.register(_op + "_backward", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.softmax_backward_into)
    dispatch.register(_op, "cuda", dtypes.FLOAT_DTYPES, dispatch.cuda_kernel("softmax", "softmax_into"), lazy=True)
    dispatch.register(_op + "_backward", "cuda", dtypes.FLOAT_DTYPES,
                      dispatch.cuda_kernel("softmax", "softmax_backward_into"), lazy=True)


def _implicit_dim(name: str, ndim: int, stacklevel: int) -> int:
    """torch.nn.functional's legacy dim for dim=None (deprecated there too)."""
    warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
         "argument.")
    return 0 if ndim in (0, 1, 3) else 1


def softmax_array(arr: np.ndarray, dim: int, log: bool, op: str) -> np.ndarray:
    """(log-)softmax of a float array over a normalised dim, as a fresh C-contiguous array of arr's dtype."""
    shape = arr.shape
    n = shape[dim] if arr.ndim else 1
    outer = math.prod(shape[:dim])
    inner = arr.size // (outer * n) if arr.size else 0
    if type(arr) is CudaArray:  # any strides; float16 loads and stores float16, computing in float32
        out = _cuda_empty(shape, arr.dtype, arr.device)
        if arr.size:
            cuda_kernel(op, arr.dtype)(_arrays.reshape(arr, (outer, n, inner)).device_array(),
                                        out.reshape((outer, n, inner)).device_array(), log)
        return out
    kernel = dispatch.lookup(op, "cpu", dtypes.from_numpy_dtype(arr.dtype))
    if arr.size == 0:
        return np.empty(shape, arr.dtype)
    compute = dtypes.compute_np(arr.dtype)
    x3 = np.ascontiguousarray(arr, dtype=compute).reshape(outer, n, inner)
    out = np.empty(x3.shape, compute)
    kernel(x3, out, log)
    out = out.reshape(shape)
    if arr.dtype in dtypes.HALF_NP:
        with np.errstate(over="ignore"):  # log_softmax beyond float16's range is -inf, as in torch
            return to_half(out, arr.dtype)
    return out


def softmax_backward_array(y: np.ndarray, g: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """The input gradient of (log-)softmax over a normalised dim from its output y and output gradient g (same
    shape and dtype) by the fused kernel: y * (g - sum(g * y)), or g - exp(y) * sum(g) for log_softmax."""
    shape, dt = y.shape, y.dtype
    if type(y) is CudaArray:
        out = _arrays.empty(shape, dt, y)
        if y.size:
            n = shape[dim] if y.ndim else 1
            outer = math.prod(shape[:dim])
            three = (outer, n, y.size // (outer * n))
            cuda_kernel("log_softmax_backward" if log else "softmax_backward", dt)(
                _arrays.reshape(y, three).device_array(), _arrays.reshape(g, three).device_array(),
                out.reshape(three).device_array(), log)
        return out
    if y.size == 0:
        return np.zeros(shape, dt)
    kernel = dispatch.lookup("log_softmax_backward" if log else "softmax_backward", "cpu",
                             dtypes.from_numpy_dtype(dt))
    n = shape[dim] if y.ndim else 1
    outer = math.prod(shape[:dim])
    three = (outer, n, y.size // (outer * n))
    compute = dtypes.compute_np(dt)
    y3 = np.ascontiguousarray(y, dtype=compute).reshape(three)
    g3 = np.ascontiguousarray(g, dtype=compute).reshape(three)
    out = np.empty(shape, compute)  # the final shape: a base-less array becomes .grad without a copy
    kernel(y3, g3, out.reshape(three), log)
    return out.astype(dt, copy=False)


def _softmax_backward(c, g: Tensor):
    (y,) = c.saved_tensors
    if grad_mode.STATE.enabled:  # create_graph: composed of recorded ops, so that it differentiates again
        if c.log:
            return g - y.exp() * g.sum(c.dim, keepdim=True)
        return y * (g - (g * y).sum(c.dim, keepdim=True))
    return Tensor._wrap(softmax_backward_array(y._data, g._data, c.dim, c.log))


_FAST: dict = {}  # (op, NumPy dtype) -> the dispatcher's CPU kernel, for float32/float64 (a dtype hashes in Python)


def _fast_kernel(op: str, np_dtype):
    key = (op, np_dtype)
    kernel = _FAST.get(key)
    if kernel is None and np_dtype in _NATIVE_FLOATS:
        kernel = _FAST[key] = dispatch.lookup(op, "cpu", dtypes.from_numpy_dtype(np_dtype))
    return kernel


def _softmax_small(op: str, arr: np.ndarray, d: int):
    """(log-)softmax of a non-empty C-contiguous float32/float64 array over dim d as softmax_array computes it,
    or None for other dtypes: below the kernels' parallel threshold, rows (d last) go straight to the rows
    kernel, which is what softmax_into runs for them."""
    shape = arr.shape
    log = op == "log_softmax"
    if d == len(shape) - 1 and arr.size < K.PAR_MIN:
        rows = _FAST.get((_ROWS[log], arr.dtype)) or _fast_kernel(_ROWS[log], arr.dtype)
        if rows is None:
            return None
        out = np.empty(shape, arr.dtype)
        if len(shape) == 2:
            rows(arr, out, log)
        else:
            m = shape[-1]
            rows(arr.reshape(arr.size // m, m), out.reshape(arr.size // m, m), log)
        return out
    kernel = _FAST.get((op, arr.dtype)) or _fast_kernel(op, arr.dtype)
    if kernel is None:
        return None
    outer = math.prod(shape[:d])
    m = shape[d]
    out = np.empty(shape, arr.dtype)
    x3 = arr.reshape(outer, m, arr.size // (outer * m))
    kernel(x3, out.reshape(x3.shape), log)
    return out


_ROWS = ("softmax.rows", "log_softmax.rows")  # indexed by log
_NATIVE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

def _softmax(op: str, input: Tensor, dim, _stacklevel, dtype) -> Tensor:
    if amp.STATE.active and dtype is None:  # autocast: torch's CUDA float32 op list (not the CPU's)
        (input,) = amp.float32(input, cpu=False)
    check_tensor(input, op)
    if isinstance(_stacklevel, dtypes.dtype):  # torch.softmax(x, dim, dtype) / x.softmax(dim, dtype)
        dtype = _stacklevel
        _stacklevel = 3
    arr = input._data
    n = arr.ndim
    if dtype is None and type(dim) is int and -n <= dim < n and type(arr) is np.ndarray and arr.size \
            and arr.flags.c_contiguous:  # the common case: softmax_array's steps without its generality
        d = dim + n if dim < 0 else dim
        out = _softmax_small(op, arr, d)
        if out is not None:
            return _track(op, input, Tensor._wrap(out), d)
    if dtype is None and type(dim) is int and -n <= dim < n and type(arr) is CudaArray and arr.dtype.kind == "f":
        d = dim + n if dim < 0 else dim  # CUDA: every check below passes; straight to softmax_array
        return _track(op, input, Tensor._wrap(softmax_array(arr, d, op == "log_softmax", op)), d)
    if dim is None:
        dim = _implicit_dim(op, input.ndim, _stacklevel + 1)
    d = _wrap_dim(_index_arg(dim, op), input.ndim, op)
    arr = input._data
    if dtype is not None:
        if not isinstance(dtype, dtypes.dtype):
            raise TypeError(f"{op}(): argument 'dtype' must be ntorch.dtype, not {type(dtype).__name__}")
        if dtype is not input.dtype and needs_graph(input):  # a recorded cast (ToCopyBackward0) first
            return _softmax(op, input.to(dtype), d, _stacklevel, None)
        arr = _arrays.astype(arr, dtype.np)
    if not dtypes.is_float_np(arr.dtype) and arr.size == 0:  # torch's kernel, which checks the dtype, never runs
        return Tensor._wrap(_arrays.empty(arr.shape, arr.dtype, arr))
    if not dtypes.is_float_np(arr.dtype):
        last = input.ndim == 0 or d == input.ndim - 1
        name = f"{op}_lastdim_kernel_impl" if last else f"{op}_kernel_impl"
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{dtypes.torch_name(dtypes.from_numpy_dtype(arr.dtype))}'")
    return _track(op, input, Tensor._wrap(softmax_array(arr, d, op == "log_softmax", op)), d)


def _track(op: str, input: Tensor, res: Tensor, d: int) -> Tensor:
    """res, with its node recorded when input requires grad."""
    if needs_graph(input):
        node = record("LogSoftmaxBackward0" if op == "log_softmax" else "SoftmaxBackward0", _softmax_backward,
                      (input,), (res,), (res,))
        node.dim, node.log = d, op == "log_softmax"
    return res


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None, *, out: Tensor | None = None) -> Tensor:
    """exp(x - max) / sum(exp(x - max)) over dim; dtype= casts the input first, as torch does. (out= handled here
    rather than by takes_out: its wrapper's call is a fifth of a small softmax's time.)"""
    if out is None:
        if dtype is None and type(dim) is int and type(input) is Tensor and type(_stacklevel) is int \
                and not amp.STATE.active:  # the common call: _softmax's first case, without its other checks
            arr = input._data
            n = arr.ndim
            if -n <= dim < n and type(arr) is np.ndarray and arr.size and arr.flags.c_contiguous:
                d = dim + n if dim < 0 else dim
                res = _softmax_small("softmax", arr, d)
                if res is not None:
                    res = Tensor._wrap_result(res, None)
                    return _track("softmax", input, res, d) if input._requires_grad else res
        return _softmax("softmax", input, dim, _stacklevel, dtype)
    return call_out("softmax", out, EXACT, _softmax, "softmax", input, dim, _stacklevel, dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None, *,
                out: Tensor | None = None) -> Tensor:
    """x - max - log(sum(exp(x - max))) over dim."""
    if out is None:
        return _softmax("log_softmax", input, dim, _stacklevel, dtype)
    return call_out("log_softmax", out, EXACT, _softmax, "log_softmax", input, dim, _stacklevel, dtype)


# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
# whole CUDA paths: _methods.guard_tables leaves them unwrapped
softmax.cuda_complete = True
log_softmax.cuda_complete = True

FUNCTIONS: dict = {"softmax": softmax, "log_softmax": log_softmax}
METHODS: dict = {"softmax": softmax, "log_softmax": log_softmax}
