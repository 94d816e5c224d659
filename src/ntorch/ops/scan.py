"""Scans along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp, diff.

Each scan reads the input as a C-contiguous (outer, n, inner) array in its compute dtype (float32 for float16,
int64 for integers and bool) and the kernel (kernels/cpu/scan.py) writes a fresh output of the same shape.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import dispatch, dtypes
from ..kernels.cpu import scan as K
from ..tensor import Tensor, _wrap_dim
from ._util import check_tensor
from .reduction import _ReturnType


class cummax_result(_ReturnType, namedtuple("cummax", ["values", "indices"])):
    __slots__ = ()


class cummin_result(_ReturnType, namedtuple("cummin", ["values", "indices"])):
    __slots__ = ()


cummax_result.__name__ = "cummax"
cummin_result.__name__ = "cummin"

ALL = dtypes.ALL_DTYPES
for _op, _kernel, _dts in (("cumsum", K.cumsum_into, ALL), ("cumsum.parallel", K.cumsum_into_p, ALL),
                           ("cumprod", K.cumprod_into, ALL),
                           ("cummax", K.cumext_into, ALL), ("cummin", K.cumext_into, ALL),
                           ("logcumsumexp", K.logcumsumexp_into, dtypes.FLOAT_DTYPES)):
    dispatch.register(_op, "cpu", _dts, lambda dt, k=_kernel: k)


def _compute_np(dt: dtypes.dtype):
    """The dtype a kernel computes in: float32 for float16, int64 for integers and bool."""
    if dt is dtypes.float16:
        return np.float32
    return dt.np if dt.is_floating_point else np.int64


def _as_3d(x: Tensor, dim, op: str, cdt) -> tuple[np.ndarray, int]:
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    arr = x._data
    d = _wrap_dim(int(dim), arr.ndim, op)
    shape = arr.shape if arr.ndim else (1,)
    x3 = np.ascontiguousarray(arr, cdt).reshape(math.prod(shape[:d]), shape[d], math.prod(shape[d + 1:]))
    return x3, d


def _sum_prod(op: str, input: Tensor, dim, dtype) -> np.ndarray:
    check_tensor(input, op)
    if dtype is not None:
        out_dt = dtypes.as_dtype(dtype)
        x = input if out_dt is input.dtype else input.to(out_dt)
    else:
        out_dt = input.dtype if input.dtype.is_floating_point else dtypes.int64
        x = input
    kernel = dispatch.lookup(op, "cpu", x.dtype)
    cdt = _compute_np(x.dtype)
    x3, _ = _as_3d(x, dim, op, cdt)
    out = np.empty(x3.shape, cdt)
    acc0 = (np.float64 if np.dtype(cdt).kind == "f" else np.int64)(0 if op == "cumsum" else 1)
    if out.size:
        if op == "cumsum" and K.cumsum_parallel(x3):
            kernel = dispatch.lookup("cumsum.parallel", "cpu", x.dtype)
        kernel(x3, out, acc0)
    return out.reshape(input._data.shape).astype(out_dt.np, copy=False)


def _maybe_out(res: np.ndarray, out: Tensor | None, op: str) -> Tensor:
    if out is None:
        return Tensor._wrap(res)
    from ._util import write_out

    return write_out(out, res, op)


def cumsum(input: Tensor, dim: int, *, dtype=None, out: Tensor | None = None) -> Tensor:
    """Integers and bool sum into int64; float32 accumulates in float64 (correctly rounded running sums)."""
    return _maybe_out(_sum_prod("cumsum", input, dim, dtype), out, "cumsum")


def cumprod(input: Tensor, dim: int, *, dtype=None, out: Tensor | None = None) -> Tensor:
    return _maybe_out(_sum_prod("cumprod", input, dim, dtype), out, "cumprod")


def _inplace(op: str):
    def method(self: Tensor, dim: int, *, dtype=None) -> Tensor:
        res = _sum_prod(op, self, dim, dtype)
        self._data[...] = res.astype(self._data.dtype, copy=False)
        self._bump_version()
        return self

    method.__name__ = op + "_"
    return method


def _cum_extreme(op: str, input: Tensor, dim):
    check_tensor(input, op)
    kernel = dispatch.lookup(op, "cpu", input.dtype)
    cdt = _compute_np(input.dtype)
    x3, _ = _as_3d(input, dim, op, cdt)
    vals = np.empty(x3.shape, cdt)
    idx = np.empty(x3.shape, np.int64)
    if vals.size:
        kernel(x3, vals, idx, op == "cummax")
    shape = input._data.shape
    result = cummax_result if op == "cummax" else cummin_result
    return result(Tensor._wrap(vals.reshape(shape).astype(input.dtype.np, copy=False)),
                  Tensor._wrap(idx.reshape(shape)))


def cummax(input: Tensor, dim: int):
    """Ties go to the later index; a NaN stays the running max (each new NaN taking over), as torch."""
    return _cum_extreme("cummax", input, dim)


def cummin(input: Tensor, dim: int):
    return _cum_extreme("cummin", input, dim)


def logcumsumexp(input: Tensor, dim: int, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "logcumsumexp")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    kernel = dispatch.lookup("logcumsumexp", "cpu", input.dtype)
    cdt = _compute_np(input.dtype)
    x3, _ = _as_3d(input, dim, "logcumsumexp", cdt)
    res = np.empty(x3.shape, cdt)
    if res.size:
        kernel(x3, res)
    return _maybe_out(res.reshape(input._data.shape).astype(input.dtype.np, copy=False), out, "logcumsumexp")


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
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, input, append) if t is not None]
        dt = parts[0].dtype
        for t in parts[1:]:
            dt = dtypes.promote_types(dt, t.dtype)
        for t in parts:
            if t.shape[:d] + t.shape[d + 1:] != input.shape[:d] + input.shape[d + 1:]:
                raise RuntimeError(f"diff: prepend/append of shape {list(t.shape)} does not match the input's shape "
                                   f"{list(input.shape)} outside dim {d}")
        x = Tensor._wrap(np.concatenate([t._data.astype(dt.np, copy=False) for t in parts], axis=d))
    step = PF["logical_xor"] if x.dtype is dtypes.bool else sub
    lead = (slice(None),) * d
    for _ in range(n):
        a = x._data
        x = step(x._view_of(a[lead + (slice(1, None),)]), x._view_of(a[lead + (slice(None, -1),)]))
    return x if n else Tensor._wrap(x._data.copy())


FUNCTIONS: dict = {
    "cumsum": cumsum, "cumprod": cumprod, "cummax": cummax, "cummin": cummin, "logcumsumexp": logcumsumexp,
    "diff": diff,
}
METHODS: dict = {
    "cumsum": cumsum, "cumprod": cumprod, "cumsum_": _inplace("cumsum"), "cumprod_": _inplace("cumprod"),
    "cummax": cummax, "cummin": cummin, "logcumsumexp": logcumsumexp, "diff": diff,
}
