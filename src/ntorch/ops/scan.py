"""Scans along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp, diff.

Each scan reads the input as a C-contiguous (outer, n, inner) array in its compute dtype (float32 for float16,
int64 for integers and bool) and the kernel (kernels/cpu/scan.py) writes a fresh output of the same shape.
On CUDA the input is an (outer, n, inner) view (a copy only when no view exists; bool as uint8) that
kernels/cuda/scan.py reads in its own dtype, writing the output dtype directly with the CPU's accumulation and
rounding.

Autograd (PyTorch's formulas, written with ntorch ops so that create_graph works): cumsum's gradient is the
reverse cumsum of g; cumprod's is reverse_cumsum(g * out) / x without zeros (PyTorch's case analysis with
zeros; complex: with conj(x) and conj(out)); cummax / cummin send g to the returned indices; logcumsumexp
uses PyTorch's stable split of g into its positive and negative parts; diff is composed of recorded ops (split,
sub, cat for prepend / append).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode, inplace
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import scan as K
from ..tensor import Tensor, _index_arg, _wrap_dim
from ._util import check_tensor, takes_out
from .joins import check_out_grad
from .reduction import _ReturnType, check_out_matches_dtype


class cummax_result(_ReturnType, namedtuple("cummax", ["values", "indices"])):
    __slots__ = ()


class cummin_result(_ReturnType, namedtuple("cummin", ["values", "indices"])):
    __slots__ = ()


cummax_result.__name__ = "cummax"
cummin_result.__name__ = "cummin"

ALL = dtypes.REAL_DTYPES  # (complex: only the ops with complex forms, registered apart)
for _op, _kernel, _dts in (("cumsum", K.cumsum_into, ALL), ("cumsum.parallel", K.cumsum_into_p, ALL),
                           ("cumprod", K.cumprod_into, ALL),
                           ("cummax", K.cumext_into, ALL), ("cummin", K.cumext_into, ALL),
                           ("logcumsumexp", K.logcumsumexp_into, dtypes.FLOAT_DTYPES),
                           ("cumprod.backward", K.cumprod_backward_into, dtypes.FLOAT_DTYPES)):
    dispatch.register(_op, "cpu", _dts, lambda dt, k=_kernel: k)
for _op, _kernel in (("cumsum", K.cumsum_into), ("cumsum.parallel", K.cumsum_into_p), ("cumprod", K.cumprod_into)):
    dispatch.register(_op, "cpu", dtypes.COMPLEX_DTYPES, lambda dt, k=_kernel: k)  # (generic: complex128 totals)
dispatch.register("logcumsumexp", "cpu", dtypes.COMPLEX_DTYPES, lambda dt: K.logcumsumexp_complex_into)
for _op, _kernel, _dts in (("cumsum", "cumsum_into", ALL), ("cumprod", "cumprod_into", ALL),
                           ("cummax", "cummax_into", ALL), ("cummin", "cummin_into", ALL),
                           ("logcumsumexp", "logcumsumexp_into", dtypes.FLOAT_DTYPES),
                           ("cumprod.backward", "cumprod_backward_into", dtypes.FLOAT_DTYPES)):
    dispatch.register(_op, "cuda", _dts, dispatch.cuda_kernel("scan", _kernel), lazy=True)
for _op, _kernel in (("cumsum", "cumsum_into"), ("cumprod", "cumprod_into"),  # (complex128 totals, as the CPU's)
                     ("logcumsumexp", "logcumsumexp_complex_into")):
    dispatch.register(_op, "cuda", dtypes.COMPLEX_DTYPES, dispatch.cuda_kernel("scan", _kernel), lazy=True)


def _compute_np(dt: dtypes.dtype):
    """The dtype a kernel computes in: float32 for float16/bfloat16, int64 for integers and bool."""
    if dt in dtypes.HALF_DTYPES:
        return np.float32
    return dt.np if dt.category >= dtypes.FLOAT else np.int64


def _as_3d(x: Tensor, dim, op: str, cdt) -> tuple[np.ndarray, int]:
    arr = x._data
    d = _wrap_dim(_index_arg(dim, op), arr.ndim, op)
    shape = arr.shape if arr.ndim else (1,)
    x3 = np.ascontiguousarray(arr, cdt).reshape(math.prod(shape[:d]), shape[d], math.prod(shape[d + 1:]))
    return x3, d


def _three(arr, dim, op: str) -> tuple[tuple, int]:
    """((outer, n, inner), normalised dim) of a scan of arr along dim (a 0-d array scans as (1,))."""
    d = _wrap_dim(_index_arg(dim, op), arr.ndim, op)
    shape = arr.shape if arr.ndim else (1,)
    return (math.prod(shape[:d]), shape[d], math.prod(shape[d + 1:])), d


def _kernel_view(arr, three: tuple):
    """The kernel argument of a CUDA array as an (outer, n, inner) view (bool as uint8)."""
    a = _arrays.reshape(arr, three)
    return (a.view(np.uint8) if a.dtype == np.bool_ else a).device_array()


def _cuda_scan(op: str, arr, dim, out_np, with_indices: bool = False):
    """Scan a CUDA array along dim into a fresh array of dtype out_np (and int64 indices for cummax/cummin)."""
    three, _ = _three(arr, dim, op)
    out = _arrays.empty(arr.shape, out_np, arr)
    idx = _arrays.empty(arr.shape, np.int64, arr) if with_indices else None
    if out.size:
        args = [_kernel_view(arr, three), _kernel_view(out, three)]
        if with_indices:
            args.append(_kernel_view(idx, three))
        dispatch.lookup(op, "cuda", dtypes.from_numpy_dtype(arr.dtype))(*args)
    return (out, idx) if with_indices else out


def _sum_prod(op: str, input: Tensor, dim, dtype) -> np.ndarray:
    check_tensor(input, op)
    if dtype is not None:
        out_dt = dtypes.as_dtype(dtype)
        x = input if out_dt is input.dtype else input.to(out_dt)
    else:
        out_dt = input.dtype if input.dtype.category >= dtypes.FLOAT else dtypes.int64
        x = input
    if _arrays.is_cuda(x._data):
        return _cuda_scan(op, x._data, dim, out_dt.np)
    kernel = dispatch.lookup(op, "cpu", x.dtype)
    cdt = _compute_np(x.dtype)
    x3, _ = _as_3d(x, dim, op, cdt)
    out = np.empty(x3.shape, cdt)
    acc0 = {"f": np.float64, "c": np.complex128}.get(np.dtype(cdt).kind, np.int64)(0 if op == "cumsum" else 1)
    if out.size:
        if op == "cumsum" and K.cumsum_parallel(x3):
            kernel = dispatch.lookup("cumsum.parallel", "cpu", x.dtype)
        kernel(x3, out, acc0)
    return out.reshape(input._data.shape).astype(out_dt.np, copy=False)


# NumPy dtype -> accumulator start of cumsum / cumprod, for the dtypes _scan_small takes (computed in themselves)
_SMALL_ACC = {np.dtype(np.float32): (np.float64(0), np.float64(1)),
              np.dtype(np.float64): (np.float64(0), np.float64(1)), np.dtype(np.int64): (np.int64(0), np.int64(1))}
_SMALL_KERNELS: dict = {}  # (op, NumPy dtype) -> the dispatcher's CPU kernel (memo: a dtype hashes in Python)


def _scan_small(op: str, input: Tensor, dim) -> Tensor | None:
    """_sum_prod for a non-empty, C-contiguous, float32/float64/int64 CPU input below the kernels' parallel
    threshold and an int dim, without dtype=: the same kernel call without the general steps; None otherwise."""
    arr = input._data
    if type(arr) is not np.ndarray or type(dim) is not int:
        return None
    acc = _SMALL_ACC.get(arr.dtype)
    n = arr.ndim
    if acc is None or not -n <= dim < n or not 0 < arr.size < K.PAR_MIN or not arr.flags.c_contiguous:
        return None
    kernel = _SMALL_KERNELS.get((op, arr.dtype))
    if kernel is None:
        kernel = _SMALL_KERNELS[(op, arr.dtype)] = dispatch.lookup(op, "cpu", dtypes.from_numpy_dtype(arr.dtype))
    d = dim + n if dim < 0 else dim
    shape = arr.shape
    outer = math.prod(shape[:d])
    x3 = arr.reshape(outer, shape[d], arr.size // (outer * shape[d]))
    out = np.empty(shape, arr.dtype)
    kernel(x3, out.reshape(x3.shape), acc[0] if op == "cumsum" else acc[1])
    return Tensor._wrap(out)


def _maybe_out(res: np.ndarray, out: Tensor | None, op: str) -> Tensor:
    if out is None:
        return Tensor._wrap(res)
    from ._util import write_out

    return write_out(out, res, op)


def _track(name: str, backward, input: Tensor, outputs: tuple, saved: tuple, dim) -> None:
    """Record a scan's node; its backward reads c.dim (normalised) and c.in_dtype."""
    if needs_graph(input):
        node = record(name, backward, (input,), outputs, saved)
        node.dim, node.in_dtype = _wrap_dim(int(dim), input.ndim, name), input.dtype


def _reverse_cumsum(t: Tensor, d: int) -> Tensor:
    return t.flip(d).cumsum(d).flip(d)


def _cumsum_backward(c, g):
    g = g.to(c.in_dtype)  # dtype= casts back, as torch
    if g.ndim == 0 or g.shape[c.dim] <= 1:
        return g
    return _reverse_cumsum(g, c.dim)


def _cumprod_backward(c, g):
    """PyTorch's cumprod_backward: without zeros sum_{k>=i} g_k out_k / x_i; with zeros an O(n) kernel, or
    (when the backward itself is recorded) an O(n^2) composition that is differentiable again."""
    x, out = c.saved_tensors
    g, out, d = g.to(c.in_dtype), out.to(c.in_dtype), c.dim
    if x.ndim == 0 or x.shape[d] <= 1:
        return g
    if x.is_complex():  # torch's formulas with conj(x) and conj(out) (conjugate Wirtinger), composed of ops
        xc = x.conj()
        if not _has_zero(x):
            return _reverse_cumsum(out.conj() * g, d) / xc
        return _cumprod_backward_composite(xc, g, d)
    if not _has_zero(x):
        return _reverse_cumsum(out * g, d) / x
    if grad_mode.STATE.enabled:
        return _cumprod_backward_composite(x, g, d)
    if _arrays.is_cuda(x._data):  # float16 through float32 copies, rounded twice as on the CPU
        work = [t.to(dtypes.float32) if t.dtype in dtypes.HALF_DTYPES else t for t in (x, out, g)]
        three, _ = _three(x._data, d, "cumprod")
        gx = _arrays.empty(x.shape, work[0].dtype.np, x._data)
        dispatch.lookup("cumprod.backward", "cuda", work[0].dtype)(*(_kernel_view(t._data, three) for t in work),
                                                                   _kernel_view(gx, three))
        return Tensor._wrap(_arrays.astype(gx, x.dtype.np))
    cdt = _compute_np(x.dtype)
    x3, _ = _as_3d(x, d, "cumprod", cdt)
    gx = np.empty(x3.shape, cdt)
    dispatch.lookup("cumprod.backward", "cpu", x.dtype)(x3, _as_3d(out, d, "cumprod", cdt)[0], _as_3d(
        g, d, "cumprod", cdt)[0], gx)
    return Tensor._wrap(gx.reshape(x.shape).astype(x.dtype.np, copy=False))


def _has_zero(x: Tensor) -> bool:
    """Does x hold a zero? (on CUDA a device reduction read back: a sync, as PyTorch's check)"""
    if _arrays.is_cuda(x._data):
        from .reduction import count_nonzero

        return count_nonzero(x).item() < x.numel()
    return bool((x._data == 0).any())


def _cumprod_backward_composite(x: Tensor, g: Tensor, d: int) -> Tensor:
    """grad_x[k] = sum_{i>=k} g[i] * prod_{j<=i, j!=k} x[j], one k at a time (PyTorch's double-backward path)."""
    from .joins import cat, stack

    n = x.shape[d]
    ones = x.new_ones(x.shape[:d] + (1,) + x.shape[d + 1:])
    parts = []
    for k in range(n):
        if k == 0:
            omitted = cat([ones, x.narrow(d, 1, n - 1).cumprod(d)], d)
        else:
            before = x.narrow(d, 0, k).prod(d, keepdim=True)
            omitted = before if k == n - 1 else cat([before, before * x.narrow(d, k + 1, n - k - 1).cumprod(d)], d)
        parts.append((g.narrow(d, k, n - k) * omitted).sum(d))
    return stack(parts, d)


def _check_result_dtype(op: str, input: Tensor, dtype, out: Tensor | None) -> None:
    """torch: dtype= and out= must agree, and the kernel has no bool form (0-d and empty inputs never reach it)."""
    check_out_matches_dtype(out, dtype)
    target = dtypes.as_dtype(dtype) if dtype is not None else None if out is None else out.dtype
    if target is dtypes.bool and input.ndim and input.numel():
        raise NotImplementedError(f"\"{op}_out_{input.device.type}\" not implemented for 'Bool'")


def cumsum(input: Tensor, dim: int, *, dtype=None, out: Tensor | None = None) -> Tensor:
    """Integers and bool sum into int64; float32 accumulates in float64 (correctly rounded running sums)."""
    if dtype is None and out is None and isinstance(input, Tensor):
        res = _scan_small("cumsum", input, dim)
        if res is not None:
            if input._requires_grad:
                _track("CumsumBackward0", _cumsum_backward, input, (res,), (), dim)
            return res
    check_out_grad(out, "cumsum", input)
    _check_result_dtype("cumsum", input, dtype, out)
    res = _maybe_out(_sum_prod("cumsum", input, dim, dtype), out, "cumsum")
    if out is None:
        _track("CumsumBackward0", _cumsum_backward, input, (res,), (), dim)
    return res


def cumprod(input: Tensor, dim: int, *, dtype=None, out: Tensor | None = None) -> Tensor:
    check_out_grad(out, "cumprod", input)
    _check_result_dtype("cumprod", input, dtype, out)
    res = _scan_small("cumprod", input, dim) if dtype is None and out is None else None
    res = res if res is not None else _maybe_out(_sum_prod("cumprod", input, dim, dtype), out, "cumprod")
    if out is None:
        _track("CumprodBackward0", _cumprod_backward, input, (res,), (input, res), dim)
    return res


def _inplace(op: str):
    def method(self: Tensor, dim: int, *, dtype=None) -> Tensor:
        if dtype is not None and dtypes.as_dtype(dtype) is not self.dtype:
            from ..nn.functional import _cpp_name

            raise RuntimeError(f"Bad in-place call: input tensor dtype {_cpp_name(self.dtype)} and output tensor dtype "
                               f"{_cpp_name(dtypes.as_dtype(dtype))} should match")
        if self.dtype is dtypes.bool:  # torch's in-place scan writes through its out= kernel, which has no bool
            raise NotImplementedError(f"\"{op}_out_{self.device.type}\" not implemented for 'Bool'")
        if inplace.involved(self):
            inplace.check_inplace(self)
            res = FUNCTIONS[op](inplace.snapshot(self), dim, dtype=dtype)
            return inplace.commit(self, res if res.dtype is self.dtype else res.to(self.dtype))
        res = _sum_prod(op, self, dim, dtype)
        if _arrays.is_cuda(self._data):
            _arrays.copy_into(self._data, res)
        else:
            self._data[...] = res.astype(self._data.dtype, copy=False)
        self._bump_version()
        return self

    method.__name__ = op + "_"
    return method


def _cum_extreme(op: str, input: Tensor, dim):
    check_tensor(input, op)
    shape = input._data.shape
    result = cummax_result if op == "cummax" else cummin_result
    if _arrays.is_cuda(input._data):
        vals, idx = _cuda_scan(op, input._data, dim, input.dtype.np, with_indices=True)
        res = result(Tensor._wrap(vals), Tensor._wrap(idx))
    else:
        kernel = dispatch.lookup(op, "cpu", input.dtype)
        cdt = _compute_np(input.dtype)
        x3, _ = _as_3d(input, dim, op, cdt)
        vals = np.empty(x3.shape, cdt)
        idx = np.empty(x3.shape, np.int64)
        if vals.size:
            kernel(x3, vals, idx, op == "cummax")
        res = result(Tensor._wrap(vals.reshape(shape).astype(input.dtype.np, copy=False)),
                     Tensor._wrap(idx.reshape(shape)))
    if needs_graph(input):
        node = record(f"{op.capitalize()}Backward0", _cum_extreme_backward, (input,), tuple(res), (res.indices,))
        node.dim, node.shape = _wrap_dim(int(dim), input.ndim, op), tuple(shape)
        node._materialize_grads = False  # only the values carry a gradient: no zeros made for the indices
    return res


def _cum_extreme_backward(c, g, g_indices=None):
    """zeros.scatter_add(dim, indices, g): each running extreme's gradient goes to where it was reached."""
    from .sorting import scatter_add_zeros

    (indices,) = c.saved_tensors
    if _arrays.is_cuda(g._data):  # the same scatter_add, recorded by the indexing op (gather as its backward)
        from .indexing import scatter_add

        if not c.shape:
            return g.clone()
        return scatter_add(g.new_zeros(c.shape), c.dim, indices, g)
    return scatter_add_zeros(g, indices, c.dim, c.shape)


@takes_out("cummax", "expected scalar_type {Want} but found {Got}")
def cummax(input: Tensor, dim: int):
    """Ties go to the later index; a NaN stays the running max (each new NaN taking over), as torch."""
    return _cum_extreme("cummax", input, dim)


@takes_out("cummin", "expected scalar_type {Want} but found {Got}")
def cummin(input: Tensor, dim: int):
    return _cum_extreme("cummin", input, dim)


def logcumsumexp(input: Tensor, dim: int, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "logcumsumexp")
    check_out_grad(out, "logcumsumexp", input)
    if not isinstance(dim, bool) and isinstance(dim, int | np.integer):  # the dim is checked before the dtype
        _wrap_dim(int(dim), input.ndim, "logcumsumexp")
    if not (input.dtype.is_floating_point or input.is_complex()):
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    if _arrays.is_cuda(input._data):
        if input.ndim == 0 and input.is_complex():
            _three(input._data, dim, "logcumsumexp")  # (the dim's checks)
            res = _arrays.copy(input._data)  # torch copies a complex 0-d input, as on the CPU
        else:
            res = _cuda_scan("logcumsumexp", input._data, dim, input.dtype.np)
    else:
        kernel = dispatch.lookup("logcumsumexp", "cpu", input.dtype)
        cdt = _compute_np(input.dtype)
        x3, _ = _as_3d(input, dim, "logcumsumexp", cdt)
        res = np.empty(x3.shape, cdt)
        if res.size and input.ndim == 0 and input.is_complex():
            res = x3.copy()  # torch copies a complex 0-d input (its -inf + bj keeps b; nan + bj stays)
        elif res.size:
            kernel(x3, res)
        res = res.reshape(input._data.shape).astype(input.dtype.np, copy=False)
    result = _maybe_out(res, out, "logcumsumexp")
    if out is None:
        _track("LogcumsumexpBackward0", _logcumsumexp_backward, input, (result,), (input, result), dim)
    return result


def _logcumsumexp_backward(c, g):
    """PyTorch's logcumsumexp_backward: grad_x = exp(x) * reverse_cumsum(g * exp(-out)), computed as
    exp(x + reverse_logcumsumexp(log|g| - out)) for the positive and the negative parts of g apart."""
    from .pointwise import where

    x, out = c.saved_tensors
    if g.ndim == 0 or g.numel() == 0:
        return g
    d = c.dim
    if g.is_complex():  # torch: no positive / negative split; conj(exp(rev_lcse(log(conj g) - out) + x))
        return ((g.conj().log() - out).flip(d).logcumsumexp(d).flip(d) + x).exp().conj()
    lowest = float(dtypes.np_finfo(g.dtype.np).min)
    log_abs = g.abs().log()
    log_pos = where(g > 0, log_abs, lowest)
    log_neg = where(g < 0, log_abs, lowest)

    def part(log_g: Tensor) -> Tensor:
        return ((log_g - out).flip(d).logcumsumexp(d).flip(d) + x).exp()

    return part(log_pos) - part(log_neg)


@takes_out("diff", None)
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """n-th forward difference (logical xor for bool), built from the elementwise sub / logical_xor ops."""
    from .pointwise import FUNCTIONS as PF
    from .pointwise import sub

    check_tensor(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.ndim, "diff")
    parts = []
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is not None:
            check_tensor(extra, "diff", name)
            if extra.ndim != input.ndim:
                raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    x = input
    parts = [t for t in (prepend, input, append) if t is not None]
    if len(parts) > 1:
        dt = parts[0].dtype
        for t in parts[1:]:
            dt = dtypes.promote_types(dt, t.dtype)
        for t in parts:
            if t.shape[:d] + t.shape[d + 1:] != input.shape[:d] + input.shape[d + 1:]:
                raise RuntimeError(f"diff: prepend/append of shape {list(t.shape)} does not match the input's shape "
                                   f"{list(input.shape)} outside dim {d}")
        if needs_graph(*parts):
            return _diff_recorded(parts, n, d, dt)
        x = Tensor._wrap(np.concatenate([t._data.astype(dt.np, copy=False) for t in parts], axis=d))
    elif needs_graph(input):
        return _diff_recorded(parts, n, d, input.dtype)
    step = PF["logical_xor"] if x.dtype is dtypes.bool else sub
    lead = (slice(None),) * d
    for _ in range(n):
        a = x._data
        x = step(x._view_of(a[lead + (slice(1, None),)]), x._view_of(a[lead + (slice(None, -1),)]))
    return x if n else Tensor._wrap(x._data.copy())


def _diff_recorded(parts: list[Tensor], n: int, d: int, dt: dtypes.dtype) -> Tensor:
    """diff under autograd, from recorded ops as torch composes it (x[1:] - x[:-1], with split for the slices):
    its backward is the adjoint of the difference, and is differentiable again."""
    from .joins import cat, split_with_sizes

    x = cat([t if t.dtype is dt else t.to(dt) for t in parts], d) if len(parts) > 1 else parts[0]
    for _ in range(n):
        m = x.shape[d]
        if m <= 1:
            x = split_with_sizes(x, [0, m], d)[0]
            continue
        x = split_with_sizes(x, [1, m - 1], d)[1] - split_with_sizes(x, [m - 1, 1], d)[0]
    return x if n else x.clone()


# whole CUDA paths: _methods.guard_tables leaves them unwrapped
cumsum.cuda_complete = True
cumprod.cuda_complete = True

FUNCTIONS: dict = {
    "cumsum": cumsum, "cumprod": cumprod, "cummax": cummax, "cummin": cummin, "logcumsumexp": logcumsumexp,
    "diff": diff,
}
METHODS: dict = {
    "cumsum": cumsum, "cumprod": cumprod, "cumsum_": _inplace("cumsum"), "cumprod_": _inplace("cumprod"),
    "cummax": cummax, "cummin": cummin, "logcumsumexp": logcumsumexp, "diff": diff,
}
