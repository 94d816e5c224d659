"""Reductions: every one becomes a (outer, r, inner) view reduced over axis 1 by a kernel.

Float sums accumulate pairwise-accurately in the kernel (float32 lanes, float64 block totals);
integer and bool sums accumulate in int64 as torch does.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import dispatch, dtypes
from ..kernels.cpu import reduce as K
from ..tensor import Tensor
from ._util import check_tensor, normalize_dims

values_indices = namedtuple("values_indices", ["values", "indices"])
var_mean_result = namedtuple("var_mean", ["var", "mean"])

ALL = dtypes.ALL_DTYPES
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


def _plan(x: Tensor, dim, keepdim: bool, op: str):
    """(3-d view of x, reduced dims, output shape) for reducing `dim` of x."""
    arr = x._data
    n = arr.ndim
    dims = normalize_dims(None if (dim is None or dim == ()) or (isinstance(dim, list | tuple) and len(dim) == 0)
                          else dim, n, op)
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


def _run(op: str, x: Tensor, dim, keepdim: bool, out_dt: dtypes.dtype, *extra, nout: int = 1,
         out_dtypes=None):
    kernel = dispatch.lookup(op, "cpu", x.dtype)
    x3, dims, out_shape = _plan(x, dim, keepdim, op)
    outs = [np.empty((x3.shape[0], x3.shape[2]), (out_dtypes[i] if out_dtypes else out_dt).np)
            for i in range(nout)]
    if outs[0].size:
        kernel(x3, *outs, *extra)
    results = [Tensor._wrap(o.reshape(out_shape)) for o in outs]
    return results[0] if nout == 1 else results


def _sum_dtype(x: Tensor, dtype) -> dtypes.dtype:
    if dtype is not None:
        return dtypes.as_dtype(dtype)
    return x.dtype if x.dtype.is_floating_point else dtypes.int64


def _cast_input(x: Tensor, dtype) -> Tensor:
    if dtype is not None and dtypes.as_dtype(dtype) is not x.dtype:
        return x.to(dtypes.as_dtype(dtype))
    return x


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "sum")
    x = _cast_input(input, dtype)
    res = _run("sum", x, dim, keepdim, _sum_dtype(x, None))
    return _maybe_out(res, out, "sum")


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if input.is_floating_point():
        from .pointwise import FUNCTIONS, where

        input = where(FUNCTIONS["isnan"](input), 0.0, input)
    return sum(input, dim, keepdim, dtype=dtype)


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    check_tensor(input, "prod")
    x = _cast_input(input, dtype)
    return _run("prod", x, dim, keepdim, _sum_dtype(x, None))


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "mean")
    x = _cast_input(input, dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_torch_name(x.dtype)}")
    s = _run("sum", x, dim, keepdim, x.dtype)
    _, dims, _ = _plan(x, dim, keepdim, "mean")
    count = math.prod(x.shape[d] for d in dims)
    with np.errstate(all="ignore"):
        s._data[...] = s._data / np.array(count, dtype=s._data.dtype) if count else np.nan
    return _maybe_out(s, out, "mean")


def _torch_name(dt: dtypes.dtype) -> str:
    from .elementwise import _torch_name as name

    return name(dt)


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


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    check_tensor(input, "amax")
    dim = None if dim == () else dim
    _check_nonempty(input, dim, "amax")
    return _run("amax", input, dim, keepdim, input.dtype)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    check_tensor(input, "amin")
    dim = None if dim == () else dim
    _check_nonempty(input, dim, "amin")
    return _run("amin", input, dim, keepdim, input.dtype)


def _max_min(op: str, input: Tensor, dim=None, keepdim: bool = False):
    check_tensor(input, op)
    if isinstance(dim, Tensor):
        from .pointwise import FUNCTIONS

        return FUNCTIONS["maximum" if op == "max" else "minimum"](input, dim)
    if dim is None:
        _check_nonempty(input, None, op)
        return _run("amax" if op == "max" else "amin", input, None, False, input.dtype)
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    _check_nonempty(input, dim, op)
    vals, idx = _run(f"{op}.dim", input, dim, keepdim, input.dtype, nout=2,
                     out_dtypes=(input.dtype, dtypes.int64))
    return values_indices(vals, idx)


def max(input: Tensor, dim=None, keepdim: bool = False):
    return _max_min("max", input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    return _max_min("min", input, dim, keepdim)


def _arg(op: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    check_tensor(input, op)
    _check_nonempty(input, dim, op)
    if dim is None:
        res = _run(op, input.reshape(-1), 0, False, dtypes.int64)
        return res.reshape([1] * input.ndim) if keepdim else res
    return _run(op, input, dim, keepdim, dtypes.int64)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg("argmin", input, dim, keepdim)


def _correction(op: str, unbiased, correction) -> float:
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}: cannot specify both unbiased and correction")
    if correction is not None:
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


def _float_only(op: str, x: Tensor) -> None:
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}: input dtype should be either floating point or complex. Got "
                           f"{_torch_name(x.dtype)} instead.")


def _var_args(dim, unbiased, correction, op):
    # torch.var(x, True) passes unbiased positionally
    if isinstance(dim, bool):
        return None, dim, correction
    return dim, unbiased, correction


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    dim, unbiased, correction = _var_args(dim, unbiased, correction, "var")
    _float_only("var", input)
    return _run("var", input, dim, keepdim, input.dtype, _correction("var", unbiased, correction))


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    v = var(input, dim, unbiased, keepdim, correction=correction)
    np.sqrt(v._data, out=v._data)
    return v


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    dim, unbiased, correction = _var_args(dim, unbiased, correction, "var_mean")
    _float_only("var_mean", input)
    v, m = _run("var_mean", input, dim, keepdim, input.dtype, _correction("var_mean", unbiased, correction),
                nout=2)
    return var_mean_result(v, m)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    v, m = var_mean(input, dim, unbiased, keepdim, correction=correction)
    np.sqrt(v._data, out=v._data)
    return var_mean_result(v, m)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    check_tensor(input, "logsumexp")
    x = input if input.is_floating_point() else input.to(dtypes.get_default_dtype())
    return _run("logsumexp", x, dim, keepdim, x.dtype)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    check_tensor(input, "norm")
    x = _cast_input(input, dtype)
    _float_only("norm", x)
    if p == "fro" or p is None:
        p = 2.0
    elif p == "nuc":
        raise NotImplementedError("norm: the nuclear norm needs an SVD, which ntorch does not have yet")
    p = float(p)
    if x.numel() == 0 and p < 0:
        raise RuntimeError("norm: cannot compute the -inf or negative norm of an empty tensor")
    return _run("norm", x, dim, keepdim, x.dtype, p)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _run("any", check_tensor(input, "any"), dim, keepdim, dtypes.bool)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _run("all", check_tensor(input, "all"), dim, keepdim, dtypes.bool)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    return _run("count_nonzero", check_tensor(input, "count_nonzero"), dim, False, dtypes.int64)


FUNCTIONS = {
    "sum": sum, "nansum": nansum, "prod": prod, "mean": mean, "amax": amax, "amin": amin, "max": max, "min": min,
    "argmax": argmax, "argmin": argmin, "var": var, "std": std, "var_mean": var_mean, "std_mean": std_mean,
    "logsumexp": logsumexp, "norm": norm, "any": any, "all": all, "count_nonzero": count_nonzero,
}
