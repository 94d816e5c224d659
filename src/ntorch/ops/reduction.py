"""Reductions: every one becomes a (outer, r, inner) view reduced over axis 1 by a kernel.

Float sums accumulate pairwise-accurately in the kernel (float32 lanes, float64 block totals);
integer and bool sums accumulate in int64 as torch does.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode
from ..autograd.graph import Node, attach, needs_graph
from ..cuda.array import CudaArray
from ..dtypes import _FROM_NP
from ..kernels.cpu import complex as KC
from ..kernels.cpu import reduce as K
from ..tensor import Tensor, _index_arg
from ._util import EXACT, call_out, check_tensor, normalize_dims, refuse_complex, takes_out
from .elementwise import TENSOR_TYPES


class _ReturnType:
    """torch.return_types.max / min: a (values, indices) named tuple printed as torch prints it."""

    def __repr__(self) -> str:
        return f"ntorch.return_types.{type(self).__name__}(\nvalues={self.values!r},\nindices={self.indices!r})"


class max_result(_ReturnType, namedtuple("max", ["values", "indices"])):
    __slots__ = ()


class min_result(_ReturnType, namedtuple("min", ["values", "indices"])):
    __slots__ = ()


max_result.__name__ = "max"
min_result.__name__ = "min"
values_indices = max_result


class aminmax_result(namedtuple("aminmax", ["min", "max"])):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"ntorch.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"


class var_mean_result(namedtuple("var_mean", ["var", "mean"])):
    """(var, mean); printed as the plain tuple torch returns."""

    __slots__ = ()
    __repr__ = tuple.__repr__

ALL = dtypes.REAL_DTYPES  # (complex: only the ops with complex forms, registered apart)
FLOATS = dtypes.FLOAT_DTYPES

# op name -> (kernel, input dtypes); registered with the dispatcher like every other op.
KERNELS = {
    "sum": (K.sum_into, ALL), "prod": (K.prod_into, ALL), "amax": (K.max_into, ALL), "amin": (K.min_into, ALL),
    "argmax": (K.argmax_into, ALL), "argmin": (K.argmin_into, ALL),
    "max.dim": (K.max_with_indices_into, ALL), "min.dim": (K.min_with_indices_into, ALL),
    "var": (K.var_into, FLOATS), "var_mean": (K.var_mean_into, FLOATS), "logsumexp": (K.logsumexp_into, FLOATS),
    "norm": (K.norm_into, FLOATS), "any": (K.any_into, ALL), "all": (K.all_into, ALL),
    "count_nonzero": (K.count_nonzero_into, ALL),
}
for _name, (_kernel, _dts) in KERNELS.items():
    dispatch.register(_name, "cpu", _dts, lambda dt, k=_kernel: k)
    # the CUDA kernels have the CPU ones' names and contracts (kernels/cuda/reduce.py)
    dispatch.register(_name, "cuda", _dts, dispatch.cuda_kernel("reduce", _kernel.__name__), lazy=True)
for _name, _kernel in (("sum", KC.sum_into), ("prod", KC.prod_into)):  # complex: accumulated in complex128
    dispatch.register(_name, "cpu", dtypes.COMPLEX_DTYPES, lambda dt, k=_kernel: k)
    # on CUDA in the complex dtype itself (kernels/cuda/reduce.py)
    dispatch.register(_name, "cuda", dtypes.COMPLEX_DTYPES, dispatch.cuda_kernel("reduce", _kernel.__name__),
                      lazy=True)
dispatch.register("sum.small", "cpu", (dtypes.float32, dtypes.float64), lambda dt: K.sum_small_into)
dispatch.register("sum.small_dim", "cpu", (dtypes.float32, dtypes.float64), lambda dt: K.sum_small_dim_into)


def _plan(x: Tensor, dim, keepdim: bool, op: str):
    """(3-d view of x, reduced dims, output shape) for reducing `dim` of x."""
    arr = x._data
    n = arr.ndim
    if type(arr) is not np.ndarray and not (arr.flags.c_contiguous and (dim is None or (type(dim) is int
                                                                                     and -n <= dim < n))):
        return _plan_generic(arr, dim, keepdim, op)  # a device array reshapes without copying only when contiguous
    if dim is None and arr.flags.c_contiguous:  # the common whole-tensor reduction
        return arr.reshape(1, arr.size, 1), tuple(range(n)), (1,) * n if keepdim else ()
    if type(dim) is int and -n <= dim < n:  # one dim: the common case along a dim, without the general checks
        d = dim + n if dim < 0 else dim
        shape = arr.shape
        x3 = arr.reshape(math.prod(shape[:d]), shape[d], math.prod(shape[d + 1:]))
        return x3, (d,), shape[:d] + ((1,) if keepdim else ()) + shape[d + 1:]
    from .shape import _check_unique_dims

    _check_unique_dims(dim, n, op)
    dims = normalize_dims(None if _all_dims(dim) else dim, n, op)
    shape = arr.shape
    if dims and dims == tuple(range(dims[0], dims[-1] + 1)):
        outer = math.prod(shape[:dims[0]])
        r = math.prod(shape[dims[0]:dims[-1] + 1])
        inner = math.prod(shape[dims[-1] + 1:])
        x3 = arr.reshape(outer, r, inner)
    else:
        kept = [d for d in range(n) if d not in dims]
        perm = arr.transpose(kept + list(dims))
        outer = math.prod(shape[d] for d in kept)
        r = math.prod(shape[d] for d in dims)
        x3 = perm.reshape(outer, r, 1)
    if keepdim:
        out_shape = tuple(1 if d in dims else s for d, s in enumerate(shape))
    else:
        out_shape = tuple(s for d, s in enumerate(shape) if d not in dims)
    return x3, dims, out_shape


def _plan_generic(arr, dim, keepdim: bool, op: str):
    """_plan for any device's array: only array methods and _arrays helpers (a view needing a copy gets one)."""
    from .shape import _check_unique_dims

    n = arr.ndim
    _check_unique_dims(dim, n, op)
    dims = normalize_dims(None if _all_dims(dim) else dim, n, op)
    if n == 0:
        dims = ()  # a 0-d tensor accepts dim 0 / -1 and reduces its one element
    shape = arr.shape
    kept = [d for d in range(n) if d not in dims]
    outer = math.prod(shape[d] for d in kept)
    r = math.prod(shape[d] for d in dims)
    if dims and dims == tuple(range(dims[0], dims[-1] + 1)):
        x3 = _arrays.reshape(arr, (math.prod(shape[:dims[0]]), r, math.prod(shape[dims[-1] + 1:])))
    else:
        x3 = _arrays.reshape(arr.transpose(tuple(kept + list(dims))), (outer, r, 1))
    if keepdim:
        out_shape = tuple(1 if d in dims else s for d, s in enumerate(shape))
    else:
        out_shape = tuple(s for d, s in enumerate(shape) if d not in dims)
    return x3, dims, out_shape


# (op, input NumPy dtype, output NumPy dtypes, extra args) -> kernels.cpu.reduce.contig_entry's tuple, or None
_FAST: dict = {}


def _fast_entry(key: tuple):
    op, np_dtype, out_nps, extra = key
    dt = _FROM_NP.get(np_dtype)
    if dt is None or (op, "cpu", dt) not in dispatch._REGISTRY:
        return None
    return _direct(K.contig_entry(dispatch.lookup(op, "cpu", dt), np_dtype, out_nps, *extra), np_dtype, out_nps)


def direct_entry(kernel, sample: tuple):
    """The compiled overload of a Numba dispatcher that `kernel(*sample)` selects (compiled or loaded here), to be
    called only with arguments of the sample's Numba types: it skips the dispatcher's per-call type resolution,
    a good part of a small op's time. The dispatcher itself where no single overload is found."""
    try:
        kernel(*sample)
        compiled = kernel.overloads.get(tuple(kernel.typeof_pyval(a) for a in sample))
    except Exception:  # (not a Numba dispatcher)
        return kernel
    entry = getattr(compiled, "entry_point", None)
    return entry if callable(entry) else kernel


def _direct(e, in_np: np.dtype, out_nps: tuple):
    """The contiguous entry e with its kernel (e[1], a Numba dispatcher) swapped for the compiled overload that
    its calls select: e[0] always passes the same argument types (a C-contiguous, aligned, writeable flat input,
    fresh flat outputs, Python ints, e's own constants; the callers check the input's flags), so the dispatcher's
    per-call type resolution (a quarter of a small reduction's time) can be done once, here, on a sample call.
    e unchanged where the sample does not find one overload."""
    if e is None:
        return None
    calls: list = []
    spy = (e[0], lambda *args: calls.append(args), *e[2:])
    try:
        e[0](spy, np.zeros(2, in_np if e[5] is None else e[5]), 1, 2, 1, *(np.empty(1, d) for d in out_nps),
             *((None,) if len(out_nps) == 1 else ()))
    except Exception:  # (an entry whose e[0] does not call e[1] this way: keep the dispatcher)
        return e
    if len(calls) != 1:
        return e
    return (e[0], direct_entry(e[1], calls[0]), *e[2:])


def _run_small(op: str, x: Tensor, arr: np.ndarray, dim, keepdim: bool, out_nps: tuple, extra: tuple):
    """_run for a small, non-empty, C-contiguous, writeable CPU input reduced over everything (dim None) or one
    int dim: the kernel's contiguous entry, without the general plan; None where it does not apply."""
    key = (op, arr.dtype, out_nps, extra)
    e = _FAST.get(key, False)
    if e is False:
        e = _FAST[key] = _fast_entry(key)
    if e is None:
        return None
    n = arr.ndim
    size = arr.size
    if dim is None:
        outer = inner = 1
        r = size
        out_shape = (1,) * n if keepdim else ()
    elif -n <= dim < n:
        d = dim + n if dim < 0 else dim
        shape = arr.shape
        r = shape[d]
        inner = math.prod(shape[d + 1:])
        outer = size // (r * inner)
        out_shape = shape[:d] + (1,) + shape[d + 1:] if keepdim else shape[:d] + shape[d + 1:]
    else:
        return None
    flat = x._flat
    if flat is None:  # (cached as the elementwise fast paths cache it)
        flat = x._flat = arr.ravel()
    if e[5] is not None:
        flat = flat.view(e[5])
    o0 = np.empty(out_shape, out_nps[0])  # (made in their shape: a flat view is cheaper than a reshape)
    f0 = o0.ravel()
    if len(out_nps) == 1:
        e[0](e, flat, outer, r, inner, f0, None)
        return Tensor._wrap_result(o0, f0)
    o1 = np.empty(out_shape, out_nps[1])
    f1 = o1.ravel()
    e[0](e, flat, outer, r, inner, f0, f1)
    return [Tensor._wrap_result(o0, f0), Tensor._wrap_result(o1, f1)]


def _run(op: str, x: Tensor, dim, keepdim: bool, out_dt: dtypes.dtype, *extra, nout: int = 1,
         out_dtypes=None):
    arr = x._data
    if type(arr) is not np.ndarray:
        return _run_cuda(op, x, dim, keepdim, out_dt, *extra, nout=nout, out_dtypes=out_dtypes)
    if 0 < arr.size <= K.SMALL_MAX and (dim is None or type(dim) is int):
        f = arr.flags
        if f.c_contiguous and f.writeable and f.aligned:  # (the types _direct's entries were resolved for)
            if nout == 1:
                out_nps = (out_dt.np,)
            elif out_dtypes:
                out_nps = (out_dtypes[0].np, out_dtypes[1].np)
            else:
                out_nps = (out_dt.np, out_dt.np)
            res = _run_small(op, x, arr, dim, keepdim, out_nps, extra)
            if res is not None:
                return res
    kernel = dispatch.lookup(op, "cpu", x.dtype)
    x3, dims, out_shape = _plan(x, dim, keepdim, op)
    out_2d = (x3.shape[0], x3.shape[2])
    if nout == 1 and out_dt not in dtypes.HALF_DTYPES:  # the common case, without the generality below
        out = np.empty(out_2d, out_dt.np)
        if out.size:
            kernel(x3, out, *extra)
        return Tensor._wrap(out.reshape(out_shape))
    want = [(out_dtypes[i] if out_dtypes else out_dt).np for i in range(nout)]
    # the kernels have no float16/bfloat16 arithmetic: they write float32 results, rounded to the dtype here
    outs = [np.empty(out_2d, dtypes.compute_np(w)) for w in want]
    if outs[0].size:
        kernel(x3, *outs, *extra)
    results = [Tensor._wrap(o.astype(w, copy=False).reshape(out_shape)) for o, w in zip(outs, want)]
    return results[0] if nout == 1 else results


def _run_cuda(op: str, x: Tensor, dim, keepdim: bool, out_dt: dtypes.dtype, *extra, nout: int = 1,
              out_dtypes=None):
    """_run on a CUDA tensor: the same (outer, r, inner) plan and kernel contract, device arrays in and out."""
    arr = x._data
    kernel = _CUDA_KERNELS.get((op, arr.dtype))
    if kernel is None:
        kernel = _CUDA_KERNELS[(op, arr.dtype)] = dispatch.lookup(op, "cuda", _FROM_NP[arr.dtype])
    x3, dims, out_shape = _plan(x, dim, keepdim, op)
    out_2d = (x3.shape[0], x3.shape[2])
    if nout == 1:  # the common case, without the generality below (same arrays, same launches)
        want = out_dt.np
        o = _arrays.empty(out_2d, _HALF_TO_F32.get(want, want), arr)
        if o.size:
            kernel(x3.device_array(), o.device_array(), *extra)
        if o.dtype != want:
            o = _arrays.astype(o, want)
        return Tensor._wrap(o.reshape(out_shape))
    want = [(out_dtypes[i] if out_dtypes else out_dt).np for i in range(nout)]
    outs = [_arrays.empty(out_2d, dtypes.compute_np(w), arr) for w in want]
    if outs[0].size:
        kernel(x3.device_array(), *(o.device_array() for o in outs), *extra)
    results = [Tensor._wrap(_arrays.astype(o, w).reshape(out_shape)) for o, w in zip(outs, want)]
    return results[0] if nout == 1 else results


_CUDA_KERNELS: dict = {}  # (op, NumPy dtype) -> the dispatcher's CUDA kernel (memo: an ntorch dtype hashes in Python)
_HALF_TO_F32 = {d: np.dtype(np.float32) for d in dtypes.HALF_NP}  # dtypes.compute_np as a table


def _sum_dtype(x: Tensor, dtype) -> dtypes.dtype:
    if dtype is not None:
        return dtypes.as_dtype(dtype)
    return x.dtype if x.dtype.category >= dtypes.FLOAT else dtypes.int64


def _cast_result(res: Tensor, dtype) -> Tensor:
    """sum/prod with dtype=: accumulated in int64 (or the float type), the result has the asked dtype."""
    if dtype is None or dtypes.as_dtype(dtype) is res.dtype:
        return res
    return res.to(dtypes.as_dtype(dtype))


def _cast_input(x: Tensor, dtype) -> Tensor:
    if dtype is not None and dtypes.as_dtype(dtype) is not x.dtype:
        return x.to(dtypes.as_dtype(dtype))
    return x


def _all_dims(dim) -> bool:
    return dim is None or (isinstance(dim, list | tuple) and len(dim) == 0)


class ReductionBackward(Node):
    """A reduction's node; its backward reads dims, keepdim, shape and in_dtype (slots: one node per call)."""

    __slots__ = ("dims", "keepdim", "shape", "in_dtype")


_ALL_DIMS = [tuple(range(n)) for n in range(65)]


def _track(name: str, backward, input: Tensor, outputs: tuple, saved: tuple, dim, keepdim: bool, **attrs) -> None:
    """Record a reduction's node when input requires grad; the backward reads c.dims, c.keepdim, c.shape."""
    if not needs_graph(input):
        return
    node = attach(ReductionBackward(name, backward, (input,)), outputs, saved)
    arr = input._data
    n = arr.ndim
    if type(dim) is int and -n <= dim < n:
        node.dims = (dim + n if dim < 0 else dim,)
    else:
        node.dims = _ALL_DIMS[n] if _all_dims(dim) else normalize_dims(dim, n, name)
    node.keepdim, node.shape, node.in_dtype = keepdim, arr.shape, _FROM_NP[arr.dtype]
    if attrs:
        node.__dict__.update(attrs)


def _unreduce(c, g: Tensor) -> Tensor:
    """A reduced gradient (or output) reshaped to broadcast against the input: size-1 reduced dims."""
    if not c.keepdim:
        g = g.reshape(tuple(1 if d in c.dims else n for d, n in enumerate(c.shape)))
    return g


def _expand_back(c, g: Tensor) -> Tensor:
    return _unreduce(c, g).expand(*c.shape)


def _sum_backward(c, g):
    if not grad_mode.STATE.enabled and math.prod(c.shape) <= _MATERIALIZE_MAX and type(g._data) is np.ndarray:
        # small and not differentiated again: a contiguous gradient keeps the next ops on their fast path
        grad = np.empty(c.shape, c.in_dtype.np)
        if g._data.ndim == 0:  # a whole-tensor sum: one value everywhere
            grad.fill(g._data[()])
        else:
            grad[...] = g._data.reshape(tuple(1 if d in c.dims else n for d, n in enumerate(c.shape)))
        return Tensor._wrap(grad)
    return _expand_back(c, g).to(c.in_dtype)


_MATERIALIZE_MAX = 1 << 16


def _mean_backward(c, g):
    count = math.prod(c.shape[d] for d in c.dims) if c.shape else 1
    return (_expand_back(c, g) / count).to(c.in_dtype)  # dtype= casts back, as torch


def _prod_backward(c, g):
    x, out = c.saved_tensors
    if not bool((x == 0).any()):
        return _unreduce(c, g) * _unreduce(c, out) / x
    # with zeros: the product of the other elements, computed directly (not twice differentiable); on the host,
    # for a CUDA tensor too (an explicit round trip in this rare case)
    others = _prod_of_others(_arrays.to_host(x._data).astype(np.float64), c.dims)
    others = Tensor._wrap(others.astype(x.dtype.np))
    return _unreduce(c, g) * (others.to(x.device) if x.is_cuda else others)


def _prod_of_others(x: np.ndarray, dims: tuple) -> np.ndarray:
    moved = np.moveaxis(x, dims, tuple(range(x.ndim - len(dims), x.ndim)))
    flat = moved.reshape(moved.shape[:moved.ndim - len(dims)] + (-1,))
    left = np.cumprod(np.concatenate([np.ones(flat.shape[:-1] + (1,)), flat[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([np.ones(flat.shape[:-1] + (1,)), flat[..., :0:-1]], -1), -1)[..., ::-1]
    return np.moveaxis((left * right).reshape(moved.shape), tuple(range(x.ndim - len(dims), x.ndim)), dims)


def _amax_backward(c, g):
    """Ties share the gradient evenly, as in PyTorch."""
    x, out = c.saved_tensors
    mask = (x == _unreduce(c, out)).to(g.dtype)
    return _unreduce(c, g) * mask / mask.sum(c.dims, keepdim=True)


def _max_dim_backward(c, g, g_indices=None):
    (indices,) = c.saved_tensors
    if not c.keepdim:
        g, indices = g.unsqueeze(c.dims[0]), indices.unsqueeze(c.dims[0])
    return g.new_zeros(c.shape).scatter(c.dims[0], indices, g)


def _var_backward(c, g):
    (x,) = c.saved_tensors
    n = math.prod(c.shape[d] for d in c.dims) if c.shape else 1
    return _unreduce(c, g) * (x - x.mean(c.dims, keepdim=True)) * (2.0 / (n - c.correction))


def _std_backward(c, g):
    x, out = c.saved_tensors
    n = math.prod(c.shape[d] for d in c.dims) if c.shape else 1
    return _unreduce(c, g) * (x - x.mean(c.dims, keepdim=True)) / (_unreduce(c, out) * (n - c.correction))


def _var_mean_backward(c, g_var, g_mean):
    return _var_backward(c, g_var) + _mean_backward(c, g_mean)


def _std_mean_backward(c, g_std, g_mean):
    x, out, _ = c.saved_tensors
    n = math.prod(c.shape[d] for d in c.dims) if c.shape else 1
    g = _unreduce(c, g_std) * (x - x.mean(c.dims, keepdim=True)) / (_unreduce(c, out) * (n - c.correction))
    return g + _mean_backward(c, g_mean)


def _logsumexp_backward(c, g):
    x, out = c.saved_tensors
    return _unreduce(c, g) * (x - _unreduce(c, out)).exp()


def _norm_backward(c, g):
    x, out = c.saved_tensors
    p, g, out = c.p, _unreduce(c, g), _unreduce(c, out)
    if p == 0:
        return x * 0.0
    if p == 1:
        return g * x.sign()
    if p == 2:
        return (g * x / out).masked_fill(out == 0, 0.0)
    if math.isinf(p):
        mask = (x.abs() == out).to(g.dtype)
        return g * x.sign() * mask / mask.sum(c.dims, keepdim=True)
    return (g * x * x.abs() ** (p - 2) / out ** (p - 1)).masked_fill(out == 0, 0.0)


SMALL_SUM = 4096  # whole-tensor float sums up to this many elements take sum_small_into


def _sum_small(x: Tensor, dim, keepdim: bool) -> Tensor | None:
    """The sum of a small contiguous float32/float64 tensor over everything or one dim, or None when that path does
    not apply: one short kernel instead of the general one, whose set-up dominates at this size."""
    arr = x._data
    if type(arr) is not np.ndarray or arr.size > SMALL_SUM or arr.dtype.kind != "f" or arr.dtype.itemsize < 4:
        return None
    f = arr.flags
    if not f.c_contiguous:
        return None
    direct = f.aligned and f.writeable  # (the argument types _small_kernel's direct entry was resolved for)
    if dim is None and not keepdim:
        res = np.empty((), arr.dtype)
        res1 = res.ravel()
        flat = x._flat
        if flat is None:  # (cached as the elementwise fast paths cache it)
            flat = x._flat = arr.ravel()
        _small_kernel("sum.small", arr.dtype, direct)(flat, res1)
        return Tensor._wrap_result(res, res1)
    n = arr.ndim
    if type(dim) is not int or not -n <= dim < n:
        return None
    d = dim + n if dim < 0 else dim
    shape = arr.shape
    outer = math.prod(shape[:d])
    inner = math.prod(shape[d + 1:])
    res = np.empty((outer, inner), arr.dtype)
    _small_kernel("sum.small_dim", arr.dtype, direct)(arr.reshape(outer, shape[d], inner), res)
    return Tensor._wrap(res.reshape(shape[:d] + (1,) + shape[d + 1:] if keepdim else shape[:d] + shape[d + 1:]))


# (op, NumPy dtype, direct) -> the kernel (memo: a dtype hashes in Python); direct: the compiled overload that a
# C-contiguous, aligned, writeable input and a fresh output select, called without the dispatcher's type resolution
_SMALL_SUMS: dict = {}


def _small_kernel(op: str, np_dtype, direct: bool = False):
    k = _SMALL_SUMS.get((op, np_dtype, direct))
    if k is None:
        k = dispatch.lookup(op, "cpu", _FROM_NP[np_dtype])
        if direct:
            k = direct_entry(k, (np.zeros(2, np_dtype), np.empty(1, np_dtype)) if op == "sum.small" else
                             (np.zeros((1, 2, 1), np_dtype), np.empty((1, 1), np_dtype)))
        _SMALL_SUMS[(op, np_dtype, direct)] = k
    return k


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out: Tensor | None = None) -> Tensor:
    if dtype is None and out is None and type(input) in TENSOR_TYPES:  # (the checks below pass: no call for them)
        res = _sum_small(input, dim, keepdim)
        if res is not None:
            if input._requires_grad:  # (_track's own check, without building its arguments)
                _track("SumBackward1" if dim is not None else "SumBackward0", _sum_backward, input, (res,), (), dim,
                       keepdim)
            return res
    check_tensor(input, "sum")
    check_out_matches_dtype(out, dtype)
    if dtype is None and out is None:
        res = _sum_small(input, dim, keepdim)
        if res is None and type(input._data) is CudaArray:  # CUDA: _run directly (no casts, no out)
            dt = _FROM_NP[input._data.dtype]
            res = _run_cuda("sum", input, dim, keepdim, dt if dt.category >= dtypes.FLOAT else dtypes.int64)
        if res is not None:
            if input._requires_grad:  # (_track's own check, without building its arguments)
                _track("SumBackward1" if dim is not None else "SumBackward0", _sum_backward, input, (res,), (), dim,
                       keepdim)
            return res
    x = _cast_input(input, dtype)
    res = _cast_result(_run("sum", x, dim, keepdim, _sum_dtype(x, None)), dtype)
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("SumBackward1" if dim is not None else "SumBackward0", _sum_backward, input, (res,), (), dim, keepdim)
    return _maybe_out(res, out, "sum")


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out: Tensor | None = None) -> Tensor:
    if isinstance(input, Tensor) and input.is_complex():
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if input.is_floating_point():
        from .pointwise import FUNCTIONS, nan_to_num, where

        if input.dtype is dtypes.float16 and dtype is not None and dtypes.as_dtype(dtype).category == dtypes.INT:
            # torch's CPU nansum of float16 into an integer dtype reads +-inf as +-65504 (float16's extremes)
            input = nan_to_num(input)
        input = where(FUNCTIONS["isnan"](input), 0.0, input)
    _check_nansum_out(out, dtype)
    return _maybe_out(sum(input, dim, keepdim, dtype=dtype), out, "nansum")


def _check_nansum_out(out: Tensor | None, dtype) -> None:
    if out is not None and dtype is not None and out.dtype is not dtypes.as_dtype(dtype):
        raise RuntimeError(f"nansum: provided dtype must match dtype of result. Got {dtypes.torch_name(out.dtype)} "
                           f"and {dtypes.torch_name(dtypes.as_dtype(dtype))}.")


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out: Tensor | None = None) -> Tensor:
    """The mean of the non-NaN elements (NaN where there are none), as torch: nansum / count of non-NaN."""
    check_tensor(input, "nanmean")
    if input.is_complex():
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if not input.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{dtypes.torch_name(input.dtype)}")
    if dtype is not None and not dtypes.as_dtype(dtype).is_floating_point:
        raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be either a floating point "
                           f"or complex dtype. Got: {dtypes.torch_name(dtypes.as_dtype(dtype))}")
    from .pointwise import FUNCTIONS

    _check_nansum_out(out, dtype)
    kept = FUNCTIONS["logical_not"](FUNCTIONS["isnan"](input))
    total = nansum(input, dim, keepdim, dtype=dtype)
    return _maybe_out(total / sum(kept, dim, keepdim).to(total.dtype), out, "nanmean")


@takes_out("aminmax")
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False) -> aminmax_result:
    """(amin, amax) in one call; like torch, an empty reduction is an error even without dim."""
    check_tensor(input, "aminmax")
    refuse_complex(input, "aminmax")
    if dim is None and input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if dim is not None:
        d = normalize_dims(dim, input.ndim, "aminmax")[0]
        if input.ndim and input.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    if dim is None:
        lo, hi = amin(input), amax(input)
        if keepdim:
            shape = (1,) * input.ndim
            lo, hi = lo.reshape(shape), hi.reshape(shape)
        return aminmax_result(lo, hi)
    return aminmax_result(amin(input, dim, keepdim), amax(input, dim, keepdim))


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out: Tensor | None = None) -> Tensor:
    if dim is None and dtype is None and out is None:
        res = _whole("prod", input)
        if res is not None:
            if input._requires_grad:
                _track("ProdBackward0", _prod_backward, input, (res,), (input, res), None, False)
            return res
    check_tensor(input, "prod")
    check_out_matches_dtype(out, dtype)
    if dim is not None:
        dim = _index_arg(dim, "prod")
    x = _cast_input(input, dtype)
    if x.is_complex() and needs_graph(input):
        raise NotImplementedError("prod: the derivative for complex tensors is not implemented in ntorch")
    res = _cast_result(_run("prod", x, dim, keepdim, _sum_dtype(x, None)), dtype)
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("ProdBackward0", _prod_backward, input, (res,), (input, res), dim, keepdim)
    return _maybe_out(res, out, "prod")


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "mean")
    check_out_matches_dtype(out, dtype)
    if dtype is not None and dtypes.as_dtype(dtype).category < dtypes.FLOAT:
        raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating point "
                           f"or complex dtype. Got: {dtypes.torch_name(dtypes.as_dtype(dtype))}")
    half = dtypes.as_dtype(dtype) if dtype is not None and dtypes.as_dtype(dtype) in dtypes.HALF_DTYPES else None
    # torch's CPU mean to float16/bfloat16 casts the input to float32 (not to the half type: int32 extremes stay
    # finite), sums, divides, then rounds once
    x = _cast_input(input, dtypes.float32 if half and input.dtype is not half else dtype)
    if x.dtype.category < dtypes.FLOAT:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {dtypes.torch_name(x.dtype)}")
    acc = dtypes.float32 if x.dtype in dtypes.HALF_DTYPES else x.dtype
    s = _sum_small(x, dim, keepdim)
    if s is None:
        s = _run("sum", x, dim, keepdim, acc)
    n_out = s._data.size
    count = x.numel() // n_out if n_out else 1  # elements per reduced slice; 0 gives 0/0 = nan
    _in_place(s, "div", count)
    res_dt = half or x.dtype
    res = s if s.dtype is res_dt else s.to(res_dt)
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("MeanBackward1" if dim is not None else "MeanBackward0", _mean_backward, input, (res,), (), dim, keepdim)
    return _maybe_out(res, out, "mean")


def _in_place(t: Tensor, op: str, *args) -> None:
    """Finish a fresh reduction result in place (mean's division, std's square root), on either device."""
    if type(t._data) is np.ndarray:
        if op == "div" and args[0]:  # dividing by a positive count raises no floating-point flag
            np.divide(t._data, args[0], out=t._data)
            return
        with np.errstate(all="ignore"):
            getattr(np, {"div": "divide"}.get(op, op))(t._data, *args, out=t._data)
    else:
        from .elementwise import apply_inplace

        with grad_mode.no_grad():
            apply_inplace(op, t, *args)


_CPP_NAME = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
             "int64": "long int", "int32": "int",
             "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _check_out_dtype(out: Tensor | None, op: str, want: dtypes.dtype) -> None:
    """torch's out= rules where the out dtype must be the result's (amax/amin, argmax/argmin, all/any); sum, mean,
    var and friends cast into any out dtype instead."""
    if out is None or out.dtype is want:
        return
    if op in ("argmax", "argmin"):
        raise RuntimeError(f"Expected out tensor to have dtype long int, but got {_CPP_NAME[out.dtype.name]} instead")
    if op in ("all", "any"):
        if out.dtype is not dtypes.bool:  # (a uint8 input may also write a bool out)
            raise RuntimeError(f"{op} only supports bool tensor for result, got: {dtypes.torch_name(out.dtype)}")
        return
    raise RuntimeError(f"Expected the dtype for input and out to match, but got {dtypes.torch_name(want)} for "
                       f"input's dtype and {dtypes.torch_name(out.dtype)} for out's dtype.")


def check_out_matches_dtype(out: Tensor | None, dtype) -> None:
    """torch: with dtype= given, an out= of another dtype is an error (without dtype= the result is cast)."""
    if out is not None and dtype is not None and out.dtype is not dtypes.as_dtype(dtype):
        raise RuntimeError(f"Expected out tensor to have dtype {_CPP_NAME[dtypes.as_dtype(dtype).name]}, but got "
                           f"{_CPP_NAME[out.dtype.name]} instead")


def _maybe_out(res: Tensor, out: Tensor | None, op: str) -> Tensor:
    if out is None:
        return res
    from ._util import write_out

    return write_out(out, res._data, op)


def _check_nonempty(x: Tensor, dim, op: str) -> None:
    if x.numel() != 0:
        return
    if dim is None:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    for d in normalize_dims(dim, x.ndim, op):
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _slices(x: np.ndarray, dim) -> np.ndarray:
    """x with the reduced dims flattened into the last axis, in TensorIterator's order (the reduced dims by
    decreasing stride; the kept dims in order, as the result's shape without keepdim)."""
    n = x.ndim
    if n == 0:
        return x.reshape(1)
    red = list(range(n)) if _all_dims(dim) else list(normalize_dims(dim, n, "reduce"))
    red.sort(key=lambda a: -x.strides[a])
    keep = [a for a in range(n) if a not in red]
    return x.transpose(keep + red).reshape(tuple(x.shape[a] for a in keep) + (-1,))


def _welford_inf_means(m: Tensor, input: Tensor, dim) -> None:
    """var_mean/std_mean's mean as torch's Welford update gives it: an infinity stays only when it is the
    slice's one infinite element and comes last (mean + (inf - mean) / n); before other values, or with a
    second infinity, (x - inf) or (inf - inf) turns it into NaN. In place, only when some mean is infinite."""
    r = m._data
    if type(r) is not np.ndarray or not r.size or not np.isinf(r).any():
        return
    sl = _slices(input._data, dim)
    keep_inf = (np.isinf(sl).sum(-1) == 1) & np.isinf(sl[..., -1])
    r[np.isinf(r) & ~keep_inf.reshape(r.shape)] = np.nan


def _first_zero_signs(res: Tensor, input: Tensor, dim) -> None:
    """amax/amin results that are zero take the sign of the first zero of their slice, as torch's CPU
    reduction keeps the first of equal values (the kernel's min/max leaves the sign of a zero open). "First"
    is in TensorIterator's order: the reduced dims by decreasing stride. Reductions over every dim are left as
    they are (torch's vectorized full reduction follows another order, not reproduced here). In place; one
    pass over the input, only when some result is zero."""
    r = res._data
    x = input._data
    if type(r) is not np.ndarray or not dtypes.is_float_np(r.dtype) or not r.size or _all_dims(dim):
        return
    zero = r == 0
    if not zero.any():
        return
    n = x.ndim
    if n == 0 or len(normalize_dims(dim, n, "amax")) >= n:
        return
    moved = _slices(x, dim)
    first = np.argmax(moved == 0, axis=-1)[..., None]
    neg = np.signbit(np.take_along_axis(moved, first, -1)[..., 0]).reshape(r.shape)
    r[zero] = np.where(neg, -0.0, 0.0).astype(r.dtype)[zero]


def amax(input: Tensor, dim=(), keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "amax")
    refuse_complex(input, "amax")
    _check_out_dtype(out, "amax", input.dtype)
    dim = None if _all_dims(dim) else dim
    _check_nonempty(input, dim, "amax")
    res = _run("amax", input, dim, keepdim, input.dtype)
    _first_zero_signs(res, input, dim)
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("AmaxBackward0", _amax_backward, input, (res,), (input, res), dim, keepdim)
    return _maybe_out(res, out, "amax")


def amin(input: Tensor, dim=(), keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "amin")
    refuse_complex(input, "amin")
    _check_out_dtype(out, "amin", input.dtype)
    dim = None if _all_dims(dim) else dim
    _check_nonempty(input, dim, "amin")
    res = _run("amin", input, dim, keepdim, input.dtype)
    _first_zero_signs(res, input, dim)
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("AminBackward0", _amax_backward, input, (res,), (input, res), dim, keepdim)
    return _maybe_out(res, out, "amin")


def _max_min(op: str, input: Tensor, dim=None, keepdim: bool = False):
    result = max_result if op == "max" else min_result
    check_tensor(input, op)
    if isinstance(dim, Tensor):
        from .pointwise import FUNCTIONS

        return FUNCTIONS["maximum" if op == "max" else "minimum"](input, dim)
    if dim is None:
        _check_nonempty(input, None, op)
        res = _run("amax" if op == "max" else "amin", input, None, False, input.dtype)
        if input._requires_grad:  # (_track's own check, without building its arguments)
            _track(f"{op.capitalize()}Backward1", _amax_backward, input, (res,), (input, res), None, False)
        return res
    dim = _index_arg(dim, op)
    _check_nonempty(input, dim, op)
    vals, idx = _run("max.dim" if op == "max" else "min.dim", input, dim, keepdim, input.dtype, nout=2,
                     out_dtypes=(input.dtype, dtypes.int64))
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track(f"{op.capitalize()}Backward0", _max_dim_backward, input, (vals, idx), (idx,), dim, keepdim)
    return result(vals, idx)


def _max_min_out(op: str, input: Tensor, dim, keepdim: bool, other, out):
    """torch.max/min's overloads: (input, other) is maximum/minimum; out= is a tensor for the full reduction
    (any castable dtype) and a (values, indices) tuple of the exact dtypes for a dim."""
    if other is not None:
        if dim is not None:
            raise TypeError(f"{op}() received an invalid combination of arguments: both dim and other given")
        dim = other
    if isinstance(dim, Tensor):
        from .pointwise import FUNCTIONS

        return FUNCTIONS["maximum" if op == "max" else "minimum"](input, dim, out=out)
    check_tensor(input, op)
    refuse_complex(input, op if dim is None else op + ".dim")
    if out is None:
        return _max_min(op, input, dim, keepdim)
    return call_out(op, out, None if dim is None else EXACT, _max_min, op, input, dim, keepdim)


def _whole(op: str, x) -> Tensor | None:
    """op ("amax", "amin", "argmax", "argmin", "prod") over every element of x, as _run's fast path computes it, for a
    small, non-empty, C-contiguous, writeable CPU tensor of a dtype with a contiguous entry; None otherwise (the
    caller's general path then runs, with its checks). The one-call path of x.max() / x.argmax()."""
    if type(x) not in TENSOR_TYPES:
        return None
    arr = x._data
    if type(arr) is not np.ndarray:
        return None
    size = arr.size
    if not 0 < size <= _SMALL_MAX:
        return None
    f = arr.flags
    if not (f.c_contiguous and f.writeable and f.aligned):
        return None
    w = _WHOLE.get((op, arr.dtype))
    if w is None:
        key = (op, arr.dtype)
        out_np = _ARG_NP if op in ("argmax", "argmin") else arr.dtype  # (prod: the dtypes with entries keep theirs)
        fkey = (op, arr.dtype, (out_np,), ())
        e = _FAST.get(fkey, False)
        if e is False:
            e = _FAST[fkey] = _fast_entry(fkey)
        w = _WHOLE[key] = (e, out_np)
    e, out_np = w
    if e is None:
        return None
    flat = x._flat
    if flat is None:
        flat = x._flat = arr.ravel()
    if e[5] is not None:
        flat = flat.view(e[5])
    o = np.empty((), out_np)
    o1 = o.ravel()  # (the kernel's 1-element output: a view of the 0-d result)
    e[0](e, flat, 1, size, 1, o1, None)
    return Tensor._wrap_result(o, o1)


_WHOLE: dict = {}  # (op, NumPy dtype) -> (the _FAST entry, output NumPy dtype)
_SMALL_MAX = K.SMALL_MAX


def _along(op: str, x, dim: int, keepdim: bool):
    """op ("argmax", "argmin": int64 indices; "max.dim", "min.dim": [values, indices]) along one int dim of a
    small, non-empty, C-contiguous, writeable CPU tensor, as _run's fast path computes it; None otherwise (the
    caller's general path then runs, with its checks: a dim out of range, a bool input, ...)."""
    if type(x) not in TENSOR_TYPES:
        return None
    arr = x._data
    if type(arr) is not np.ndarray or not 0 < arr.size <= K.SMALL_MAX:
        return None
    f = arr.flags
    if not (f.c_contiguous and f.writeable and f.aligned):
        return None
    return _run_small(op, x, arr, dim, keepdim, (arr.dtype, _ARG_NP) if op[-4:] == ".dim" else _ARG_OUT, ())
_ARG_NP = np.dtype(np.int64)
_ARG_OUT = (_ARG_NP,)


# max / min: (whole-tensor reduction, its node, the dim form's node, the dim form's result type)
_EXTREMES = {"max": ("amax", "MaxBackward1", "MaxBackward0", max_result),
             "min": ("amin", "MinBackward1", "MinBackward0", min_result)}


def _extreme(op: str, input: Tensor, dim, keepdim: bool, other, out):
    """max / min: the small-input fast paths (everything, or one int dim), else the general _max_min_out."""
    if other is None and out is None:
        whole, node_all, node_dim, result = _EXTREMES[op]
        if dim is None:
            res = _whole(whole, input)
            if res is not None:
                if input._requires_grad:
                    _track(node_all, _amax_backward, input, (res,), (input, res), None, False)
                return res
        elif type(dim) is int:
            r = _along(op + ".dim", input, dim, keepdim)
            if r is not None:
                vals, idx = r
                if input._requires_grad:
                    _track(node_dim, _max_dim_backward, input, (vals, idx), (idx,), dim, keepdim)
                return result(vals, idx)
    return _max_min_out(op, input, dim, keepdim, other, out)


def max(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None, out=None):
    if dim is None and other is None and out is None:  # (_extreme's first case, without its call)
        res = _whole("amax", input)
        if res is not None:
            if input._requires_grad:
                _track("MaxBackward1", _amax_backward, input, (res,), (input, res), None, False)
            return res
    return _extreme("max", input, dim, keepdim, other, out)


def min(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None, out=None):
    return _extreme("min", input, dim, keepdim, other, out)


def _arg(op: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    check_tensor(input, op)
    refuse_complex(input, op)
    if dim is not None:
        dim = _index_arg(dim, op)
    if input.dtype is dtypes.bool:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None and input.numel() == 0:
        raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    _check_nonempty(input, dim, op)
    return _run(op, input, dim, keepdim, dtypes.int64)  # dim None: the flattened input's index (C order)


def _arg_extreme(op: str, input: Tensor, dim, keepdim: bool, out: Tensor | None) -> Tensor:
    """argmax / argmin: the small-input fast paths (everything, or one int dim), else the general _arg."""
    if dim is None and not keepdim and out is None:  # (bool inputs have no contiguous entry: an error below)
        res = _whole(op, input)
        if res is not None:
            return res
    elif type(dim) is int and out is None:
        res = _along(op, input, dim, keepdim)
        if res is not None:
            return res
    _check_out_dtype(out, op, dtypes.int64)
    return _maybe_out(_arg(op, input, dim, keepdim), out, op)


def argmax(input: Tensor, dim=None, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    if type(dim) is int and out is None:  # (_arg_extreme's dim case, without its call)
        res = _along("argmax", input, dim, keepdim)
        if res is not None:
            return res
    return _arg_extreme("argmax", input, dim, keepdim, out)


def argmin(input: Tensor, dim=None, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    return _arg_extreme("argmin", input, dim, keepdim, out)


def _correction(op: str, unbiased, correction) -> float:
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments - got both unbiased={unbiased} and "
                        f"correction={correction}")
    if correction is not None:
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


def _float_only(op: str, x: Tensor) -> None:
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}: input dtype should be either floating point or complex. Got "
                           f"{dtypes.torch_name(x.dtype)} instead.")


def _var_float_only(x: Tensor) -> None:
    check_tensor(x, "var")
    if not x.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")


def _var_args(dim, unbiased, correction, op):
    # torch.var(x, True) passes unbiased positionally
    if isinstance(dim, bool):
        return None, dim, correction
    return dim, unbiased, correction


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None,
        out: Tensor | None = None) -> Tensor:
    dim, unbiased, correction = _var_args(dim, unbiased, correction, "var")
    if isinstance(input, Tensor) and input.is_complex():
        return _maybe_out(_complex_var(input, dim, keepdim, _correction("var", unbiased, correction)), out, "var")
    _var_float_only(input)
    corr = _correction("var", unbiased, correction)
    res = _run("var", input, dim, keepdim, input.dtype, corr)
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("VarBackward0", _var_backward, input, (res,), (input,), dim, keepdim, correction=corr)
    return _maybe_out(res, out, "var")


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None,
        out: Tensor | None = None) -> Tensor:
    dim, unbiased, correction = _var_args(dim, unbiased, correction, "std")
    if isinstance(input, Tensor) and input.is_complex():
        res = _complex_var(input, dim, keepdim, _correction("std", unbiased, correction)).sqrt()
        return _maybe_out(res, out, "std")
    _var_float_only(input)
    corr = _correction("std", unbiased, correction)
    res = _run("var", input, dim, keepdim, input.dtype, corr)
    _in_place(res, "sqrt")
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("StdBackward0", _std_backward, input, (res,), (input, res), dim, keepdim, correction=corr)
    return _maybe_out(res, out, "std")


def _complex_var(input: Tensor, dim, keepdim: bool, corr) -> Tensor:
    """The variance of complex values, E|z - mean|^2 (real): the variances of the two parts added, as torch."""
    from .complex import imag, real

    return var(real(input), dim, keepdim=keepdim, correction=corr) + var(imag(input), dim, keepdim=keepdim,
                                                                         correction=corr)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    dim, unbiased, correction = _var_args(dim, unbiased, correction, "var_mean")
    if isinstance(input, Tensor) and input.is_complex():
        v = _complex_var(input, dim, keepdim, _correction("var_mean", unbiased, correction))
        return var_mean_result(v, mean(input, dim, keepdim))
    _var_float_only(input)
    corr = _correction("var_mean", unbiased, correction)
    v, m = _run("var_mean", input, dim, keepdim, input.dtype, corr, nout=2)
    _welford_inf_means(m, input, dim)
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("VarMeanBackward0", _var_mean_backward, input, (v, m), (input,), dim, keepdim, correction=corr)
    return var_mean_result(v, m)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    dim, unbiased, correction = _var_args(dim, unbiased, correction, "std_mean")
    if isinstance(input, Tensor) and input.is_complex():
        v = _complex_var(input, dim, keepdim, _correction("std_mean", unbiased, correction))
        return var_mean_result(v.sqrt(), mean(input, dim, keepdim))
    _var_float_only(input)
    corr = _correction("std_mean", unbiased, correction)
    v, m = _run("var_mean", input, dim, keepdim, input.dtype, corr, nout=2)
    _welford_inf_means(m, input, dim)
    _in_place(v, "sqrt")
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("StdMeanBackward0", _std_mean_backward, input, (v, m), (input, v, m), dim, keepdim, correction=corr)
    return var_mean_result(v, m)


def logsumexp(input: Tensor, dim, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "logsumexp")
    if isinstance(dim, list | tuple) and len(dim) == 0 and not keepdim and input.ndim and input.numel():
        # torch reduces everything into a kept-dims result, then fails to copy it into the 0-d output
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape [{', '.join(['1'] * input.ndim)}]")
    if input.is_complex():  # log(sum(exp(z - m))) + m, m the largest real part (constant: its derivative cancels)
        from .complex import real

        with grad_mode.no_grad():
            m = amax(real(input), dim, keepdim=True)
            m = m.masked_fill(~m.isfinite(), 0.0)
        res = (input - m).exp().sum(dim, keepdim=True).log() + m
        return _maybe_out(res if keepdim else res.squeeze(normalize_dims(dim, input.ndim, "logsumexp")), out,
                          "logsumexp")
    x = input if input.is_floating_point() else input.to(dtypes.get_default_dtype())
    if x.dtype in dtypes.HALF_DTYPES and type(x._data) is np.ndarray and x.numel():
        res = _logsumexp_composed(x, dim, keepdim)
    else:
        res = _run("logsumexp", x, dim, keepdim, x.dtype)
    if input._requires_grad:  # (_track's own check, without building its arguments)
        _track("LogsumexpBackward0", _logsumexp_backward, input, (res,), (input, res), dim, keepdim)
    return _maybe_out(res, out, "logsumexp")


def _logsumexp_composed(x: Tensor, dim, keepdim: bool) -> Tensor:
    """logsumexp of a CPU float16/bfloat16 tensor as torch composes it, each op rounding to the dtype: the max
    (infinities replaced by 0), exp(x - max) summed, log, plus the max."""
    from .elementwise import apply

    with grad_mode.no_grad():
        m = amax(x, dim, keepdim=True)
        m = m.masked_fill(m.abs() == math.inf, 0)
        total = apply("exp", apply("sub", x, m)).sum(dim, keepdim)
        return apply("add", apply("log", total), m.reshape(tuple(total.shape)))


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, out: Tensor | None = None, dtype=None) -> Tensor:
    check_tensor(input, "norm")
    if input.dtype.category < dtypes.FLOAT:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{dtypes.torch_name(input.dtype)}")
    x = _cast_input(input, dtype)
    if x.is_complex():  # the norm of the moduli (a real result, as torch)
        x = x.abs()
    if p == "fro" or p is None:
        p = 2.0
    elif p == "nuc":
        raise NotImplementedError("norm: the nuclear norm needs an SVD, which ntorch does not have yet")
    p = float(p)
    if (p < 0 or p == math.inf) and x.numel() == 0:
        ptxt = f"{p:g}"
        if _all_dims(dim):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ptxt} norm on an empty tensor because the "
                               "operation does not have an identity")
        for d in normalize_dims(dim, x.ndim, "norm"):
            if x.ndim and x.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ptxt} norm on the dimension {d}because "
                                   "this dimension is empty and the operation does not have an identity")
    res = _run("norm", x, dim, keepdim, x.dtype, p)
    if x._requires_grad:  # (_track's own check, without building its arguments)
        _track("LinalgVectorNormBackward0", _norm_backward, x, (res,), (x, res), dim, keepdim, p=p)
    return _maybe_out(res, out, "norm")


def _logical_dtype(x: Tensor) -> dtypes.dtype:
    # torch keeps uint8 for all/any of uint8 input (a legacy rule); every other dtype gives bool
    return dtypes.uint8 if x.dtype is dtypes.uint8 else dtypes.bool


def _no_reduction(input: Tensor, dim) -> Tensor | None:
    """torch's all/any over an empty dim list reduce nothing: the elementwise `!= 0`."""
    if isinstance(dim, tuple | list) and len(dim) == 0:
        return (input != 0).to(_logical_dtype(input)).contiguous()  # contiguous whatever input's strides, as torch
    return None


def any(input: Tensor, dim=None, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "any")
    _check_out_dtype(out, "any", _logical_dtype(input))
    input = _nonzero_of_complex(input)
    res = _no_reduction(input, dim)
    res = res if res is not None else _run("any", input, dim, keepdim, _logical_dtype(input))
    if out is not None and res.dtype is not out.dtype:  # a uint8 input's result written to a bool out
        res = res.to(out.dtype)
    return _maybe_out(res, out, "any")


def all(input: Tensor, dim=None, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "all")
    _check_out_dtype(out, "all", _logical_dtype(input))
    input = _nonzero_of_complex(input)
    res = _no_reduction(input, dim)
    res = res if res is not None else _run("all", input, dim, keepdim, _logical_dtype(input))
    if out is not None and res.dtype is not out.dtype:  # a uint8 input's result written to a bool out
        res = res.to(out.dtype)
    return _maybe_out(res, out, "all")


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    return _run("count_nonzero", _nonzero_of_complex(check_tensor(input, "count_nonzero")), dim, False, dtypes.int64)


def _nonzero_of_complex(input: Tensor) -> Tensor:
    """A complex input of any/all/count_nonzero as its bool `!= 0` (the bool kernels then apply)."""
    if not input.is_complex():
        return input
    from .elementwise import apply

    return apply("ne", input, 0)


FUNCTIONS = {
    "sum": sum, "nansum": nansum, "nanmean": nanmean, "aminmax": aminmax, "prod": prod, "mean": mean, "amax": amax,
    "amin": amin, "max": max, "min": min,
    "argmax": argmax, "argmin": argmin, "var": var, "std": std, "var_mean": var_mean, "std_mean": std_mean,
    "logsumexp": logsumexp, "norm": norm, "any": any, "all": all, "count_nonzero": count_nonzero,
}
