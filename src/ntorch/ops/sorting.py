"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode, unique, searchsorted, histc.

Every op sorts or selects along one dim: the input becomes a C-contiguous (rows, n) array with that dim last,
each dtype's codec maps it to unsigned keys whose order is torch's order (NaN largest, -0.0 == 0.0), and the
kernels in kernels/cpu/sort.py sort or select the keys row by row. Sorts are stable (also with stable=False,
where PyTorch's CPU std::sort orders equal values its own way past 16 values: replaying it would cost its
O(n log n) comparisons, ten times the radix sort). Where ATen's selection algorithms decide among equal values
(topk, kthvalue, mode, median() of everything) the kernels replay their steps (libstdc++ nth_element /
partial_sort / sort, ATen's quickselect), only for rows where equal values make a choice.

CUDA tensors take the same layout to kernels/cuda/sort.py: 64-bit keys made on the device (float bits keyed
as above), sorted with their positions as (key, position) pairs, so every result, indices included, is the
CPU's stable order; topk, kthvalue, median and mode sort whole rows and then pick (no selection kernel yet),
unique sorts, flags run starts, scans them and reads the number of runs back (PyTorch syncs there too).

Autograd: the value-selecting ops (sort, topk, kthvalue, median/nanmedian/mode along a dim) send the gradient
to the returned indices (PyTorch's value_selecting_reduction_backward); median()/nanmedian() over all elements
share it evenly among the elements equal to the result (evenly_distribute_backward). argsort, unique,
searchsorted, bucketize, histc and bincount record nothing (integer outputs, or not differentiable in PyTorch).
"""

from __future__ import annotations

import builtins
import functools
import math
from collections import namedtuple

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import sort as K
from ..tensor import Tensor, _index_arg, _wrap_dim
from ._util import call_out, check_tensor, is_scalar, refuse_complex, takes_out
from .joins import check_out_grad
from .reduction import _ReturnType


def _result_type(name: str):
    cls = type(name, (_ReturnType, namedtuple(name, ["values", "indices"])), {"__slots__": ()})
    return cls


sort_result = _result_type("sort")
topk_result = _result_type("topk")
kthvalue_result = _result_type("kthvalue")
median_result = _result_type("median")
nanmedian_result = _result_type("nanmedian")
mode_result = _result_type("mode")


# ------------------------------------------------------------------------------------------------------------
# codecs: values <-> order-preserving unsigned keys, one per dtype (registered with the dispatcher)
# ------------------------------------------------------------------------------------------------------------
class _FloatCodec:
    """float32 / float64 keys from the IEEE bits; float16 and bfloat16 go through float32."""

    def __init__(self, np_dt, width: int):
        self.np_dt, self.width = np_dt, width
        self.ubits = np.uint32 if width == 32 else np.uint64
        self._keys = K.float_keys_32 if width == 32 else K.float_keys_64
        self._values = K.float_values_32 if width == 32 else K.float_values_64

    def keys(self, x2: np.ndarray, descending: bool) -> tuple[np.ndarray, int]:
        """(keys, the offset values() needs back: unused for floats)."""
        x2 = np.ascontiguousarray(x2, self.np_dt)
        out = np.empty(x2.shape, self.ubits)
        if x2.size:
            self._keys(x2.view(self.ubits).reshape(-1), out.reshape(-1), descending)
        return out, 0

    def values(self, skeys: np.ndarray, lo: int, perm: np.ndarray, x2: np.ndarray, descending: bool,
               dt) -> np.ndarray:
        src = np.ascontiguousarray(x2, self.np_dt)
        out = np.empty(skeys.shape, self.np_dt)
        if out.size:
            self._values(skeys, perm, src.view(self.ubits), descending, out.view(self.ubits))
        return out.astype(dt.np, copy=False)

    def nan_key(self, descending: bool) -> int:
        return K.nan_key(self.width, descending)

    def small(self, x2: np.ndarray) -> bool:
        """Whether x2 takes the fused kernels below: non-empty, small, C-contiguous, of the codec's own dtype.
        (Every float dtype has "sort.rows" and "topk.rows" kernels, which these fuse with keys() and values().)"""
        return x2.dtype == self.np_dt and 0 < x2.size <= K.SMALL_ROWS and x2.flags.c_contiguous

    def sort_small(self, x2: np.ndarray, descending: bool) -> tuple[np.ndarray, np.ndarray]:
        """(sorted values, positions) of the rows of a small x2 (see small()): keys(), the sort and values()
        in one kernel call."""
        vals = np.empty(x2.shape, self.np_dt)
        perm = np.empty(x2.shape, np.int64)
        K.sort_float_small(x2, descending, vals, perm)
        return vals, perm

    def topk_small(self, x2: np.ndarray, k: int, largest: bool, sort_k: bool) -> tuple[np.ndarray, np.ndarray]:
        """(values, positions) of topk of the rows of a small x2 (see small(); k >= 1) in one kernel call."""
        shape = (x2.shape[0], k)
        vals = np.empty(shape, self.np_dt)
        perm = np.empty(shape, np.int64)
        K.topk_float_small(x2, k, largest, sort_k, vals, perm)
        return vals, perm

    def __repr__(self) -> str:
        return f"<float keys, {self.width}-bit>"


class _IntCodec:
    """Integers (and bool) widened to int64, keyed as x - lo: lo is the dtype's minimum (32-bit keys) or, for
    int64, the smallest value when the values span less than 2**32 (32-bit keys, the faster packed sort)."""

    def __init__(self, lo: int, width: int):
        self.lo, self.width = lo, width

    def keys(self, x2: np.ndarray, descending: bool) -> tuple[np.ndarray, int]:
        wide = np.ascontiguousarray(x2, np.int64)
        lo, ukeys = self.lo, np.uint32 if self.width == 32 else np.uint64
        if self.width == 64 and wide.size:
            mn, mx = K.int_min_max(wide.reshape(-1))
            if int(mx) - int(mn) < (1 << 32):
                lo, ukeys = int(mn), np.uint32
        out = np.empty(x2.shape, ukeys)
        if out.size:
            K.int_keys(wide.reshape(-1), np.int64(lo), descending, out.reshape(-1))
        return out, lo

    def values(self, skeys: np.ndarray, lo: int, perm: np.ndarray, x2: np.ndarray, descending: bool,
               dt) -> np.ndarray:
        out = np.empty(skeys.shape, np.int64)
        if out.size:
            K.int_values(skeys.reshape(-1), np.int64(lo), descending, out.reshape(-1))
        return out.astype(dt.np, copy=False)

    def nan_key(self, descending: bool) -> None:
        return None

    def __repr__(self) -> str:
        return f"<integer keys x - {self.lo}, {self.width}-bit>"


_CODECS = {
    dtypes.float16: _FloatCodec(np.float32, 32), dtypes.float32: _FloatCodec(np.float32, 32),
    dtypes.float64: _FloatCodec(np.float64, 64), dtypes.bfloat16: _FloatCodec(np.float32, 32),
    dtypes.bool: _IntCodec(0, 32), dtypes.uint8: _IntCodec(0, 32), dtypes.int8: _IntCodec(-(1 << 7), 32),
    dtypes.int16: _IntCodec(-(1 << 15), 32), dtypes.int32: _IntCodec(-(1 << 31), 32),
    dtypes.int64: _IntCodec(-(1 << 63), 64),
}
ALL = dtypes.REAL_DTYPES  # (complex: only the ops with complex forms, registered apart)
NO_BOOL = dtypes.NUMERIC_DTYPES
# op -> (dtypes, kernel): every kernel an op here calls is found through the dispatcher. "sort.codec" is the
# dtype's key codec; the "<op>.rows" kernels work on keys, so their dtype list is the op's dtype support.
KERNELS = {
    "sort.codec": (ALL, None), "sort.rows": (ALL, K.sort_rows), "topk.rows": (NO_BOOL, K.topk_rows),
    "kthvalue.rows": (NO_BOOL, K.kth), "median.rows": (NO_BOOL, K.median),
    "median.all": (NO_BOOL, K.median_flat), "mode.rows": (ALL, K.mode),
    "unique.runs": (ALL, K.run_starts), "unique.row_runs": (ALL, K.row_run_starts),
    "searchsorted": (NO_BOOL, K.searchsorted_rows), "histc": (dtypes.FLOAT_DTYPES, K.histc_into),
    "histc.range": (dtypes.FLOAT_DTYPES, K.float_min_max), "bincount": (dtypes.INTEGER_DTYPES, K.bincount_into),
    "bincount.weights": (dtypes.INTEGER_DTYPES, K.bincount_weights_into),
    "bincount.range": (dtypes.INTEGER_DTYPES, K.int_min_max),
    "scatter_add_along": (dtypes.FLOAT_DTYPES, K.scatter_add_along),
}
for _op, (_dts, _kernel) in KERNELS.items():
    dispatch.register(_op, "cpu", _dts, (lambda dt: _CODECS[dt]) if _kernel is None else (lambda dt, k=_kernel: k))
# CUDA: op -> (dtypes, function of kernels/cuda/sort.py). The "<op>.rows" entries carry each op's dtype support
# (its error for other dtypes); the "sort.*" helpers work on keys, positions or run flags of any input dtype.
CUDA_KERNELS = {
    "sort.rows": (ALL, "sort_pairs"), "topk.rows": (NO_BOOL, "sort_pairs"), "kthvalue.rows": (NO_BOOL, "sort_pairs"),
    "median.rows": (NO_BOOL, "median_into"), "mode.rows": (ALL, "mode_into"),
    "unique.runs": (ALL, "run_flags_into"), "unique.row_runs": (ALL, "row_run_flags_into"),
    "searchsorted": (NO_BOOL, "searchsorted_into"), "histc": (dtypes.FLOAT_DTYPES, "histc_into"),
    "bincount": (dtypes.INTEGER_DTYPES, "bincount_into"),
    "sort.keys": (ALL, "keys_into"), "sort.take": (ALL, "take_into"), "sort.nan_key": (ALL, "nan_key"),
    "sort.scan": (ALL, "inclusive_scan"), "sort.runs": (ALL, "runs_into"), "sort.counts": (ALL, "counts_into"),
    "sort.column_keys": (ALL, "column_keys_into"),
}
for _op, (_dts, _name) in CUDA_KERNELS.items():
    dispatch.register(_op, "cuda", _dts, dispatch.cuda_kernel("sort", _name), lazy=True)


def _kernel(op: str, dt: dtypes.dtype, device: str = "cpu"):
    """The kernel of op for dt on device, or torch's NotImplementedError naming the op and the dtype."""
    try:
        return dispatch.lookup(op, device, dt)
    except NotImplementedError:
        name = op.split(".")[0]
        raise NotImplementedError(f'"{name}_{device}" not implemented for \'{dtypes.torch_name(dt)}\'') from None


def _cu(name: str):
    """A CUDA helper of kernels/cuda/sort.py that works on keys, positions or flags (any input dtype)."""
    return dispatch.lookup("sort." + name, "cuda", dtypes.int64)


def _device(t: Tensor) -> str:
    return _arrays.device_type(t._data)


_FLOAT_CODECS = {dtypes.float32.np: _CODECS[dtypes.float32], dtypes.float64.np: _CODECS[dtypes.float64]}
_CODEC_BY_NP: dict = {}  # dtype.np -> the dispatcher's "sort.codec" (memo: a dtype hashes in Python)


def _codec(dt: dtypes.dtype):
    codec = _CODEC_BY_NP.get(dt.np)
    if codec is None:
        codec = _CODEC_BY_NP[dt.np] = dispatch.lookup("sort.codec", "cpu", dt)
    return codec


# ------------------------------------------------------------------------------------------------------------
# layout: the dim to sort along becomes the last axis of a C-contiguous (rows, n) array
# ------------------------------------------------------------------------------------------------------------
def _check_dim(dim, op: str) -> int:
    return _index_arg(dim, op)


def _rows(x: Tensor, dim: int, op: str):
    """(x as (rows, n), the normalised dim, the moved shape (dim last)) for an op along `dim`."""
    arr = x._data
    n = arr.ndim
    if type(dim) is int and -n <= dim < n:  # the common case, without the general checks
        d = dim + n if dim < 0 else dim
    else:
        d = _wrap_dim(_check_dim(dim, op), n, op)
    if n == 0:
        return _arrays.reshape(arr, (1, 1)), 0, (1,)
    if d == n - 1:  # already last (the common case): no transpose
        moved = arr
    else:
        moved = arr.transpose(tuple(range(d)) + tuple(range(d + 1, n)) + (d,))
    shape = moved.shape
    return _arrays.reshape(moved, (math.prod(shape[:-1]), shape[-1])), d, shape


def _unrows(res2: np.ndarray, d: int, moved_shape, ndim: int, keepdim: bool = True) -> np.ndarray:
    """Inverse of _rows for a (rows, m) result: back to the input's dim order (m replaces the dim's size)."""
    if ndim == 0:
        return res2.reshape(())
    res = res2.reshape(tuple(moved_shape[:-1]) + (res2.shape[-1],))
    if d != len(moved_shape) - 1:
        res = _arrays.ascontiguous(_arrays.moveaxis(res, -1, d))  # contiguous, as torch's results
    if not keepdim:
        res = res.reshape(res.shape[:d] + res.shape[d + 1:])
    return res


def _sorted_rows(codec, x2: np.ndarray, descending: bool, dt: dtypes.dtype):
    """(sorted keys, their source positions, the key offset) of each row."""
    keys, lo = codec.keys(x2, descending)
    perm = np.empty(keys.shape, np.int64)
    if keys.size:
        _kernel("sort.rows", dt)(keys, perm)
    return keys, perm, lo


def _check_nonempty_dim(x: Tensor, d: int, op: str) -> None:
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


_KTHVALUE_OUT = ("output values must be of same type as input", "output indices must be of scalar type Long")


def _write_outs(out, res: tuple, op: str):
    """out= for sort/topk/kthvalue: torch's exact dtypes (values as the input, int64 indices)."""
    if out is None:
        return res
    from ._util import EXACT, fill_out

    return fill_out(res, out, op, _KTHVALUE_OUT if op == "kthvalue" else EXACT)


# ------------------------------------------------------------------------------------------------------------
# CUDA: keys, sorted positions and gathers on device arrays (kernels/cuda/sort.py)
# ------------------------------------------------------------------------------------------------------------
_BITS = {dtypes.float16: (16, np.int16), dtypes.float32: (32, np.int32), dtypes.float64: (64, np.int64)}


def _cuda_bits(arr, dt: dtypes.dtype):
    """(arr as the CUDA kernels read it, the float width): float bits as signed integers of their width (keys
    come from the bits, and gathers move bits, so no kernel touches float16 arithmetic), other dtypes as is."""
    if dt is dtypes.bfloat16:  # gathers move its bits; its keys come from float32 (_cuda_keys)
        return arr.view(np.int16), 16
    width, np_int = _BITS.get(dt, (0, None))
    return (arr.view(np_int) if width else arr), width


def _cuda_keys(x2, dt: dtypes.dtype, descending: bool, pad: bool):
    """(keys, positions): int64 (rows, w) device arrays for x2's rows (rows, n), w = n, or n rounded up to a power
    of two (pad: what the sort needs; the padding sorts last)."""
    rows, n = x2.shape
    w = 1 << max(0, (n - 1).bit_length()) if pad else n
    keys = _arrays.empty((rows, w), np.int64, x2)
    pos = _arrays.empty((rows, w), np.int64, x2)
    if dt is dtypes.bfloat16:  # (widening is exact and keeps the order; NaNs get float32's NaN key)
        x2, dt = _arrays.astype(x2, np.float32), dtypes.float32
    bits, width = _cuda_bits(x2, dt)
    if keys.size:
        _cu("keys")(bits.device_array(), width, bool(descending), keys.device_array(), pos.device_array())
    return keys, pos


def _cuda_sorted(x2, dt: dtypes.dtype, descending: bool, op: str = "sort"):
    """(sorted keys, their source positions) of x2's rows, both (rows, w) with w >= n (see _cuda_keys)."""
    keys, pos = _cuda_keys(x2, dt, descending, pad=True)
    if keys.size:
        _kernel(op + ".rows", dt, "cuda")(keys.device_array(), pos.device_array())
    return keys, pos


def _cuda_cols(a, lo: int, hi: int):
    """Columns [lo, hi) of a (rows, w) device array, C-contiguous."""
    return _arrays.ascontiguous(a[:, lo:hi])


def _cuda_take(x2, pos, dt: dtypes.dtype):
    """x2[r, pos[r, i]] as a new C-contiguous array of x2's dtype: x2 (rows, n) any strides, pos (rows, m)."""
    bits = _cuda_bits(x2, dt)[0]
    out = _arrays.empty(pos.shape, bits.dtype, x2)
    if out.size:
        _cu("take")(bits.device_array(), pos.device_array(), out.device_array())
    return out.view(x2.dtype) if out.dtype != x2.dtype else out


def _cuda_nan_key(dt: dtypes.dtype):
    """The ascending key of NaN for a float dtype on CUDA (None for the others)."""
    width = 32 if dt is dtypes.bfloat16 else _BITS.get(dt, (0,))[0]  # (bfloat16 keys are float32's)
    return _cu("nan_key")(width) if width else None


def _cuda_scalar(value, np_dt, like):
    """A 0-d device array holding value, on like's device."""
    return _arrays.to_device(np.array(value, np_dt), like.device)


def _cuda_runs(flags, perm, use_perm: bool, n: int):
    """(starts, counts, inverse) of the runs that flags (n,) marks: one scan, and one read of the number of
    runs (a sync, as PyTorch's unique)."""
    ids = _arrays.empty((n,), np.int64, flags)
    m = _cu("scan")(flags.device_array(), ids.device_array()) if n else 0
    starts = _arrays.empty((m,), np.int64, flags)
    inverse = _arrays.empty((n,), np.int64, flags)
    counts = _arrays.empty((m,), np.int64, flags)
    if n:
        _cu("runs")(flags.device_array(), ids.device_array(), (perm if use_perm else ids).device_array(), use_perm,
                    starts.device_array(), inverse.device_array())
        _cu("counts")(starts.device_array(), n, counts.device_array())
    return starts, counts, inverse


# ------------------------------------------------------------------------------------------------------------
# autograd: gradients placed at selected indices along a dim (also used by cummax / cummin in ops/scan.py)
# ------------------------------------------------------------------------------------------------------------
def _outer_inner(shape: tuple, d: int) -> tuple[int, int, int]:
    """(outer, size, inner) of shape around dim d; a 0-d shape is (1, 1, 1)."""
    if not shape:
        return 1, 1, 1
    return math.prod(shape[:d]), shape[d], math.prod(shape[d + 1:])


def _along(t: Tensor, d: int, shape: tuple, np_dt=None) -> np.ndarray:
    """t (shaped as `shape` with any size at d, or with d squeezed out) as a C-contiguous (outer, m, inner)."""
    outer, _, inner = _outer_inner(shape, d)
    m = t.shape[d] if shape and t.ndim == len(shape) else 1
    return np.ascontiguousarray(t._data, np_dt).reshape(outer, m, inner)


def scatter_add_zeros(src: Tensor, index: Tensor, d: int, shape: tuple) -> Tensor:
    """zeros(shape).scatter_add(d, index, src), where index and src have shape's sizes but at d (or lack dim d,
    as a keepdim=False reduction). Recorded, its backward a gather, so that double backward works.

    A private scatter_add (ops/indexing.py records no graph yet): indices here come from the forward op and
    are in range; the kernel still skips (and reports) any that is not. On CUDA: ops.indexing's scatter_add
    (which records its own node) on the (outer, m, inner) views."""
    if _arrays.is_cuda(src._data):
        from .indexing import scatter_add

        outer, n, inner = _outer_inner(shape, d)
        m = src.shape[d] if shape and src.ndim == len(shape) else 1
        zeros = Tensor._wrap(_arrays.empty((outer, n, inner), src.dtype.np, src._data))
        _arrays.copy_into(zeros._data, 0)
        return scatter_add(zeros, 1, index.reshape(outer, m, inner), src.reshape(outer, m, inner)).reshape(shape)
    cdt = dtypes.compute_np(src.dtype.np)
    s3, i3 = _along(src, d, shape, cdt), _along(index, d, shape, np.int64)
    outer, n, inner = _outer_inner(shape, d)
    out = np.zeros((outer, n, inner), cdt)
    if s3.size and not dispatch.lookup("scatter_add_along", "cpu", src.dtype)(s3, i3, out):
        raise RuntimeError(f"scatter_add(): index out of bounds for dimension {d} with size {n}")
    res = Tensor._wrap(out.reshape(shape).astype(src.dtype.np, copy=False))
    if needs_graph(src):
        node = record("ScatterAddBackward0", _scatter_add_backward, (src,), (res,), saved=(index,))
        node.dim, node.src_shape = d, tuple(src.shape)
    return res


def _scatter_add_backward(c, g):
    (index,) = c.saved_tensors
    return gather_along(g, index, c.dim, c.src_shape)


def gather_along(x: Tensor, index: Tensor, d: int, out_shape: tuple) -> Tensor:
    """x.gather(d, index) for an index shaped as out_shape (x's sizes but at d, or without dim d). Recorded,
    its backward a scatter_add_zeros. On CUDA: ops.indexing's gather (which records its own node)."""
    shape = tuple(x.shape)
    if _arrays.is_cuda(x._data):
        from .indexing import gather

        outer, n, inner = _outer_inner(shape, d)
        m = index.shape[d] if shape and index.ndim == len(shape) else 1
        return gather(x.reshape(outer, n, inner), 1, index.reshape(outer, m, inner)).reshape(out_shape)
    res = np.take_along_axis(_along(x, d, shape), _along(index, d, shape, np.int64), 1)
    out = Tensor._wrap(res.reshape(out_shape))
    if needs_graph(x):
        node = record("GatherBackward0", _gather_backward, (x,), (out,), saved=(index,))
        node.dim, node.shape = d, shape
    return out


def _gather_backward(c, g):
    (index,) = c.saved_tensors
    return scatter_add_zeros(g, index, c.dim, c.shape)


def _track_select(name: str, input: Tensor, res, d: int) -> None:
    """Record a value-selecting op: its backward sends each value's gradient to its index."""
    if needs_graph(input):
        node = record(name, _select_backward, (input,), tuple(res), saved=(res.indices,))
        node.dim, node.shape = d, tuple(input.shape)
        node._materialize_grads = False  # only the values carry a gradient: no zeros made for the indices


def _select_backward(c, g, g_indices=None):
    (indices,) = c.saved_tensors
    return scatter_add_zeros(g, indices, c.dim, c.shape)


# ------------------------------------------------------------------------------------------------------------
# sort, argsort, msort, topk
# ------------------------------------------------------------------------------------------------------------
def _last_dim_small(input, dim):
    """(float codec, input as (rows, n)) when sort/topk along dim of input can take the fused kernel directly: a
    small, non-empty, C-contiguous float32/float64 CPU tensor of 1+ dims sorted along its last dim (what _rows
    and codec.small() would accept, without their generality); else None."""
    if not isinstance(input, Tensor) or type(dim) is not int:
        return None
    arr = input._data
    if type(arr) is not np.ndarray:
        return None
    nd = arr.ndim
    codec = _FLOAT_CODECS.get(arr.dtype)
    if codec is None or not nd or (dim != -1 and dim != nd - 1) or not codec.small(arr):
        return None
    if nd == 2:
        return codec, arr
    n = arr.shape[-1]
    return codec, arr.reshape(arr.size // n, n)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *, out=None):
    """Always stable (the radix sort costs the same either way): equal keys keep their index order."""
    fast = _last_dim_small(input, dim) if out is None else None
    if fast is not None:  # the general path's steps for this case, without its generality
        vals, perm = fast[0].sort_small(fast[1], bool(descending))
        shape = input._data.shape
        res = sort_result(Tensor._wrap(vals.reshape(shape)), Tensor._wrap(perm.reshape(shape)))
        if input._requires_grad:
            _track_select("SortBackward0", input, res, len(shape) - 1)
        return res
    check_tensor(input, "sort")
    refuse_complex(input, "sort")
    check_out_grad(out, "sort", input)
    codec = _codec(input.dtype)
    x2, d, moved = _rows(input, dim, "sort")
    if _arrays.is_cuda(x2):
        perm = _cuda_cols(_cuda_sorted(x2, input.dtype, bool(descending))[1], 0, x2.shape[1])
        vals = _cuda_take(x2, perm, input.dtype)
    elif type(codec) is _FloatCodec and codec.small(x2):
        vals, perm = codec.sort_small(x2, bool(descending))
    else:
        keys, perm, lo = _sorted_rows(codec, x2, bool(descending), input.dtype)
        vals = codec.values(keys, lo, perm, x2, bool(descending), input.dtype)
    res = sort_result(Tensor._wrap(_unrows(vals, d, moved, input.ndim)),
                      Tensor._wrap(_unrows(perm, d, moved, input.ndim)))
    _track_select("SortBackward0", input, res, d)
    return _write_outs(out, res, "sort")


@takes_out("argsort")
def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    check_tensor(input, "argsort")
    refuse_complex(input, "sort")
    codec = _codec(input.dtype)
    x2, d, moved = _rows(input, dim, "argsort")
    if _arrays.is_cuda(x2):
        perm = _cuda_cols(_cuda_sorted(x2, input.dtype, bool(descending))[1], 0, x2.shape[1])
    else:
        perm = _sorted_rows(codec, x2, bool(descending), input.dtype)[1]
    return Tensor._wrap(_unrows(perm, d, moved, input.ndim))


@takes_out("msort")
def msort(input: Tensor) -> Tensor:
    check_tensor(input, "msort")
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, out=None):
    """Radix selection; where equal values make a choice (or sorted=False leaves the k unsorted), ATen's own
    steps (std::nth_element / partial_sort / sort), so the indices are the CPU's."""
    fast = _last_dim_small(input, dim) if out is None and type(k) is int else None
    if fast is not None and 0 < k <= fast[1].shape[1]:  # the general path's steps for this case
        vals, perm = fast[0].topk_small(fast[1], k, bool(largest), bool(sorted))
        if input._data.ndim != 2:
            shape = input._data.shape[:-1] + (k,)
            vals, perm = vals.reshape(shape), perm.reshape(shape)
        # (fresh C-order arrays: _wrap's checks pass; the namedtuple's own __new__ is a Python call)
        res = tuple.__new__(topk_result, (Tensor._wrap_result(vals, None), Tensor._wrap_result(perm, None)))
        if input._requires_grad:
            _track_select("TopkBackward0", input, res, input._data.ndim - 1)
        return res
    check_tensor(input, "topk")
    refuse_complex(input, "topk")
    check_out_grad(out, "topk", input)
    if input.dtype is dtypes.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    codec = _codec(input.dtype)
    x2, d, moved = _rows(input, dim, "topk")
    n = x2.shape[1]
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if k < 0 or k > n:
        raise RuntimeError("selected index k out of range")
    k = int(k)
    if input.ndim == 0:  # torch gives the element back even for k == 0
        zero = np.zeros((), np.int64)
        res = topk_result(Tensor._wrap(_arrays.copy(input._data)),
                          Tensor._wrap(_cuda_scalar(0, np.int64, x2) if _arrays.is_cuda(x2) else zero))
        _track_select("TopkBackward0", input, res, d)
        return _write_outs(out, res, "topk")
    if _arrays.is_cuda(x2):  # the whole row sorted, then the first k
        perm = _cuda_cols(_cuda_sorted(x2, input.dtype, bool(largest), "topk")[1], 0, k)
        vals = _cuda_take(x2, perm, input.dtype)
    elif k and type(codec) is _FloatCodec and codec.small(x2):
        vals, perm = codec.topk_small(x2, k, bool(largest), bool(sorted))
    else:
        perm, out_keys, lo = _select(codec, x2, k, bool(largest), input.dtype, bool(sorted))
        vals = codec.values(out_keys, lo, perm, x2, bool(largest), input.dtype)  # x2's elements at perm
    res = topk_result(Tensor._wrap(_unrows(vals, d, moved, input.ndim)),
                      Tensor._wrap(_unrows(perm, d, moved, input.ndim)))
    _track_select("TopkBackward0", input, res, d)
    return _write_outs(out, res, "topk")


def _select(codec, x2: np.ndarray, k: int, largest: bool, dt: dtypes.dtype, sort_k: bool = True):
    """(positions of the k smallest (largest) of each row in torch's order, their keys, the key offset)."""
    keys, lo = codec.keys(x2, largest)
    out_keys = np.empty((keys.shape[0], k), keys.dtype)
    perm = np.empty((keys.shape[0], k), np.int64)
    _kernel("topk.rows", dt)(keys, k, out_keys, perm, sort_k)
    return perm, out_keys, lo


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *, out=None):
    check_tensor(input, "kthvalue")
    refuse_complex(input, "kthvalue")
    check_out_grad(out, "kthvalue", input)
    codec = _codec(input.dtype)
    x2, d, moved = _rows(input, dim, "kthvalue")
    _check_nonempty_dim(input, d, "kthvalue")
    n = x2.shape[1]
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"kthvalue(): argument 'k' must be int, not {type(k).__name__}")
    if k < 1 or k > n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input.ndim == 0:  # torch copies a 0-d input before its dtype check (so bool works there)
        vals = _arrays.copy(x2)
        perm = np.zeros((1, 1), np.int64)
        perm = _arrays.to_device(perm, x2.device) if _arrays.is_cuda(x2) else perm
    elif _arrays.is_cuda(x2):  # the whole row sorted, then column k - 1
        _kernel("kthvalue.rows", input.dtype, "cuda")
        perm = _cuda_cols(_cuda_sorted(x2, input.dtype, False, "kthvalue")[1], int(k) - 1, int(k))
        vals = _cuda_take(x2, perm, input.dtype)
    else:
        kth = _kernel("kthvalue.rows", input.dtype)
        perm = np.empty((x2.shape[0], 1), np.int64)
        kth(codec.keys(x2, False)[0], int(k), perm.reshape(-1))
        vals = np.take_along_axis(x2, perm, 1)
    res = kthvalue_result(Tensor._wrap(_unrows(vals, d, moved, input.ndim, keepdim)),
                          Tensor._wrap(_unrows(perm, d, moved, input.ndim, keepdim)))
    _track_select("KthvalueBackward0", input, res, d)
    return _write_outs(out, res, "kthvalue")


# ------------------------------------------------------------------------------------------------------------
# median, nanmedian, mode
# ------------------------------------------------------------------------------------------------------------
def _median(op: str, input: Tensor, dim, keepdim: bool, ignore_nan: bool):
    check_tensor(input, op)
    refuse_complex(input, "median" if dim is None else "median.dim")
    codec = _codec(input.dtype)
    cuda = _arrays.is_cuda(input._data)
    take = functools.partial(_cuda_take, dt=input.dtype) if cuda else functools.partial(np.take_along_axis, axis=1)
    if dim is None:
        flat = _arrays.reshape(input._data, (1, input._data.size))
        if flat.size == 0:  # torch's NaN cast to the dtype: True, int32/int64 minimum, 0 for narrower ints
            fill = np.array(np.nan if input.dtype.is_floating_point else
                            True if input.dtype is dtypes.bool else
                            np.iinfo(input.dtype.np).min if input.dtype.itemsize >= 4 else 0, input.dtype.np)
            return Tensor._wrap(_cuda_scalar(fill, fill.dtype, flat) if cuda else fill)
        if cuda:
            _kernel("median.rows", input.dtype, "cuda")
            res = Tensor._wrap(take(flat, _cuda_median_rows(flat, ignore_nan)).reshape(()))
        else:
            select = _kernel("median.all", input.dtype)
            order = _clone_order(input._data)
            pos = select(codec.keys(order.reshape(1, -1), False)[0].reshape(-1), codec.nan_key(False), ignore_nan)
            res = Tensor._wrap(order[pos].copy())
        if needs_graph(input):
            record("MedianBackward0" if op == "median" else "NanmedianBackward0", _median_all_backward, (input,),
                   (res,), saved=(input, res))
        return res
    x2, d, moved = _rows(input, dim, op)
    _check_nonempty_dim(input, d, op)
    if cuda:
        select = _kernel("median.rows", input.dtype, "cuda")
    elif input.dtype is dtypes.bool:
        raise NotImplementedError("\"median_out\" not implemented for 'Bool'")
    else:
        select = _kernel("median.rows", input.dtype)
    rows_of = _cuda_median_rows if cuda else functools.partial(_median_rows, select, codec)
    if x2.size:
        pos_idx = rows_of(x2, ignore_nan)
    else:
        pos_idx = _arrays.empty((x2.shape[0], 1), np.int64, x2 if cuda else None)
    vals = take(x2, pos_idx)
    result = median_result if op == "median" else nanmedian_result
    res = result(Tensor._wrap(_unrows(vals, d, moved, input.ndim, keepdim)),
                 Tensor._wrap(_unrows(pos_idx, d, moved, input.ndim, keepdim)))
    _track_select("MedianBackward1" if op == "median" else "NanmedianBackward1", input, res, d)
    return res


def _clone_order(arr: np.ndarray) -> np.ndarray:
    """arr's elements (1-D) in the order torch's clone() stores them, which is the order median() partitions:
    memory order when arr is dense and non-overlapping (a transpose, say), C order otherwise."""
    if arr.ndim > 1:
        t = arr.transpose(sorted(range(arr.ndim), key=lambda a: -arr.strides[a]))
        if t.flags.c_contiguous:
            return t.reshape(-1)
    return arr.reshape(-1)


def _median_all_backward(c, g):
    """PyTorch's evenly_distribute_backward: the gradient shared by every element equal to the median (every
    NaN when the result is NaN)."""
    x, value = c.saved_tensors
    mask = x.isnan() if bool(value.isnan().item()) else x == value
    return mask.to(g.dtype) * (g / mask.sum())


def _median_rows(select, codec, x2: np.ndarray, ignore_nan: bool) -> np.ndarray:
    """Source index of each row's median, as a (rows, 1) array."""
    idx = np.empty((x2.shape[0], 1), np.int64)
    select(codec.keys(x2, False)[0], codec.nan_key(False), ignore_nan, idx.reshape(-1))
    return idx


def _cuda_median_rows(x2, ignore_nan: bool):
    """_median_rows on CUDA: each row sorted, then the median's sorted position found from the NaN count."""
    dt = dtypes.from_numpy_dtype(x2.dtype)
    keys, pos = _cuda_sorted(x2, dt, False)
    idx = _arrays.empty((x2.shape[0], 1), np.int64, x2)
    _kernel("median.rows", dt, "cuda")(keys.device_array(), pos.device_array(), x2.shape[1], _cuda_nan_key(dt),
                                       bool(ignore_nan), idx.device_array())
    return idx


_MEDIAN_OUT = ("Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but type "
               "torch.{Got}Tensor does not equal torch.{Want}Tensor (while checking arguments for median)",
               "Expected tensor for argument #1 'indices' to have scalar type Long; but got torch.{Got}Tensor "
               "instead (while checking arguments for median)")


def _median_out(op: str, input: Tensor, dim, keepdim: bool, ignore_nan: bool, out):
    """torch's median/nanmedian take out= only with a dim (a (values, indices) tuple)."""
    if out is None:
        return _median(op, input, dim, keepdim, ignore_nan)
    if dim is None:
        raise TypeError(f'{op}() missing 1 required positional arguments: "dim"')
    return call_out(op, out, _MEDIAN_OUT, _median, op, input, dim, keepdim, ignore_nan)


def median(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """The lower median; NaN (the first one's index) when a row has NaN."""
    return _median_out("median", input, dim, keepdim, False, out)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """The lower median of the non-NaN values (NaN when all are NaN)."""
    return _median_out("nanmedian", input, dim, keepdim, True, out)


@takes_out("mode", ("expected scalar type '{Want}' but got '{Got}' for values output",
                "expected scalar type '{Want}' but got '{Got}' for indices output"))
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value and an index of it, as torch's CPU kernel picks them (the first longest run of
    equal values after its std::sort; which index, and where NaNs fall, follow that sort's steps)."""
    check_tensor(input, "mode")
    positions = _kernel("mode.rows", input.dtype, _device(input))
    x2, d, moved = _rows(input, dim, "mode")
    _check_nonempty_dim(input, d, "mode")
    if _arrays.is_cuda(x2):
        idx = _arrays.empty((x2.shape[0], 1), np.int64, x2)
        if x2.size:
            keys, perm = _cuda_sorted(x2, input.dtype, False)
            positions(keys.device_array(), perm.device_array(), x2.shape[1], idx.device_array())
        vals = _cuda_take(x2, idx, input.dtype)
    else:
        idx = np.empty((x2.shape[0], 1), np.int64)
        positions(x2, idx.reshape(-1))
        vals = np.take_along_axis(x2, idx, 1)
    res = mode_result(Tensor._wrap(_unrows(vals, d, moved, input.ndim, keepdim)),
                      Tensor._wrap(_unrows(idx, d, moved, input.ndim, keepdim)))
    _track_select("ModeBackward0", input, res, d)
    return res


# ------------------------------------------------------------------------------------------------------------
# unique, unique_consecutive
# ------------------------------------------------------------------------------------------------------------
def _pack(values: Tensor, inverse, counts, return_inverse: bool, return_counts: bool):
    res = [values]
    if return_inverse:
        res.append(inverse)
    if return_counts:
        res.append(counts)
    return res[0] if len(res) == 1 else tuple(res)


def _runs_flat(codec, skeys: np.ndarray, dt: dtypes.dtype) -> np.ndarray:
    """Start positions of the runs of equal keys in a 1-D key array (NaN never equals NaN, as torch)."""
    nk = codec.nan_key(False)
    starts = np.empty(skeys.size, np.int64)
    runs = _kernel("unique.runs", dt)
    m = runs(skeys, skeys.dtype.type(nk or 0), nk is not None, starts) if skeys.size else 0
    return starts[:m]


def _counts_from_starts(starts: np.ndarray, n: int) -> np.ndarray:
    return np.diff(np.append(starts, n))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim=None):
    """Always sorted (sorted=False is allowed to return sorted values)."""
    check_tensor(input, "unique")
    codec = _codec(input.dtype)
    if dim is not None:
        return _unique_dim(codec, input, dim, return_inverse, return_counts, consecutive=False)
    if _arrays.is_cuda(input._data):
        return _cuda_unique(input, return_inverse, return_counts, consecutive=False)
    flat = input._data.reshape(1, -1)
    keys, perm, _ = _sorted_rows(codec, flat, False, input.dtype)
    starts = _runs_flat(codec, keys[0], input.dtype)
    values = flat[0, perm[0, starts]]
    _std_sort_zero(codec, flat[0], values)
    inverse = np.empty(flat.size, np.int64)
    counts = _counts_from_starts(starts, flat.size)
    if return_inverse and flat.size:
        inverse[perm[0]] = np.repeat(np.arange(starts.size, dtype=np.int64), counts)
    return _pack(Tensor._wrap(values), Tensor._wrap(inverse.reshape(input.shape)), Tensor._wrap(counts),
                 return_inverse, return_counts)


def _std_sort_zero(codec, flat: np.ndarray, values: np.ndarray) -> None:
    """torch's CPU unique sorts with std::sort, which past 16 elements orders equal values its own way: of the run
    of 0.0 and -0.0 it keeps the zero that sort puts first (replayed here only when both zeros occur; the other
    runs are equal bit for bit)."""
    if flat.size <= 16 or values.dtype.kind != "f":
        return
    zeros = flat == 0
    signs = np.signbit(flat[zeros])
    if signs.all() or not signs.any():
        return
    qk = codec.keys(flat.reshape(1, -1), False)[0][0]
    qi = np.arange(flat.size, dtype=np.int64)
    K._std_sort(qk, qi, 0, flat.size)
    values[values == 0] = flat[qi[np.argmax(zeros[qi])]]


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    check_tensor(input, "unique_consecutive")
    codec = _codec(input.dtype)
    if dim is not None:
        return _unique_dim(codec, input, dim, return_inverse, return_counts, consecutive=True)
    if _arrays.is_cuda(input._data):
        return _cuda_unique(input, return_inverse, return_counts, consecutive=True)
    flat = input._data.reshape(-1)
    keys = codec.keys(flat.reshape(1, -1), False)[0][0]
    starts = _runs_flat(codec, keys, input.dtype)
    inverse = np.repeat(np.arange(starts.size, dtype=np.int64), _counts_from_starts(starts, flat.size))
    return _pack(Tensor._wrap(flat[starts]), Tensor._wrap(inverse.reshape(input.shape)),
                 Tensor._wrap(_counts_from_starts(starts, flat.size)), return_inverse, return_counts)


def _cuda_unique(input: Tensor, return_inverse: bool, return_counts: bool, consecutive: bool):
    """unique / unique_consecutive of all elements on CUDA: keys (sorted with their positions for unique), run
    flags, a scan, one read of the number of runs."""
    dt = input.dtype
    n = input._data.size
    flat = _arrays.reshape(input._data, (1, n))
    if consecutive:
        keys, perm = _cuda_keys(flat, dt, False, pad=False)
    else:
        keys, perm = _cuda_sorted(flat, dt, False)
    flags = _arrays.empty((n,), np.int64, flat)
    if n:
        _kernel("unique.runs", dt, "cuda")(keys[0, :n].device_array(), _cuda_nan_key(dt), flags.device_array())
    perm1 = perm[0, :n]
    starts, counts, inverse = _cuda_runs(flags, perm1, not consecutive, n)
    src = starts if consecutive else _cuda_take(perm1.reshape(1, n), starts.reshape(1, -1), dtypes.int64)
    values = _cuda_take(flat, src.reshape(1, starts.size), dt).reshape(starts.size)
    return _pack(Tensor._wrap(values), Tensor._wrap(inverse.reshape(input.shape)), Tensor._wrap(counts),
                 return_inverse, return_counts)


def _unique_dim(codec, input: Tensor, dim, return_inverse: bool, return_counts: bool, consecutive: bool):
    op = "unique_consecutive" if consecutive else "unique"
    dim = _check_dim(dim, op)
    arr = input._data
    if arr.ndim == 0:  # torch's unique_dim does not treat a 0-d tensor as 1-d
        raise IndexError(f"Dimension specified as {int(dim)} but tensor has no dimensions")
    d = _wrap_dim(int(dim), arr.ndim, op)
    width = math.prod(s for i, s in enumerate(arr.shape) if i != d)
    if width == 0 and arr.shape[d] > 0:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    if _arrays.is_cuda(arr):
        return _cuda_unique_dim(input, arr, d, width, return_inverse, return_counts, consecutive)
    moved = np.moveaxis(arr, d, 0)
    m = moved.shape[0]
    slices = moved.reshape(m, width)
    keys = codec.keys(slices, False)[0]  # (m, w): rows compared lexicographically
    order = np.arange(m, dtype=np.int64)
    if not consecutive:
        for c in range(keys.shape[1] - 1, -1, -1):  # LSD over columns: stable sorts, last column first
            col = np.ascontiguousarray(keys[order, c]).reshape(1, -1)
            p = np.empty(col.shape, np.int64)
            _kernel("sort.rows", input.dtype)(col, p)
            order = order[p[0]]
    skeys = np.ascontiguousarray(keys[order])
    starts = np.empty(m, np.int64)
    nrun = _kernel("unique.row_runs", input.dtype)(skeys, starts) if m else 0
    starts = starts[:nrun]
    counts = _counts_from_starts(starts, m)
    run_id = np.repeat(np.arange(nrun, dtype=np.int64), counts)
    inverse = np.empty(m, np.int64)
    inverse[order] = run_id
    vals = np.moveaxis(moved[order[starts]], 0, d)
    return _pack(Tensor._wrap(np.ascontiguousarray(vals)), Tensor._wrap(inverse), Tensor._wrap(counts),
                 return_inverse, return_counts)


def _cuda_unique_dim(input: Tensor, arr, d: int, width: int, return_inverse: bool, return_counts: bool,
                     consecutive: bool):
    """_unique_dim on CUDA: the slices along d as rows of keys, ordered (unique) by stable sorts of one key
    column at a time, last column first; run flags between neighbouring rows, a scan, one read of the count."""
    dt = input.dtype
    moved = _arrays.moveaxis(arr, d, 0)
    m = moved.shape[0]
    slices = _arrays.reshape(moved, (m, width))
    keys = _cuda_keys(slices, dt, False, pad=False)[0]  # (m, width): rows compared lexicographically
    order = _arrays.to_device(np.arange(m, dtype=np.int64).reshape(1, m), arr.device)
    if not consecutive and m:
        w = 1 << max(0, (m - 1).bit_length())
        for c in range(width - 1, -1, -1):
            ck = _arrays.empty((1, w), np.int64, arr)
            ci = _arrays.empty((1, w), np.int64, arr)
            _cu("column_keys")(keys.device_array(), order.reshape(m).device_array(), c, ck.device_array(),
                               ci.device_array())
            _kernel("sort.rows", dt, "cuda")(ck.device_array(), ci.device_array())
            order = _cuda_take(order, _cuda_cols(ci, 0, m), dtypes.int64)
    order1 = order.reshape(m)
    flags = _arrays.empty((m,), np.int64, arr)
    if m:
        _kernel("unique.row_runs", dt, "cuda")(keys.device_array(), order1.device_array(), flags.device_array())
    starts, counts, inverse = _cuda_runs(flags, order1, True, m)
    nrun = starts.size
    picked = _cuda_take(order, starts.reshape(1, nrun), dtypes.int64)  # (1, nrun): the first slice of each run
    vals = _cuda_take(slices.T, _arrays.broadcast_to(picked, (width, nrun)), dt)  # (width, nrun)
    vals = _arrays.ascontiguous(vals.T).reshape((nrun,) + tuple(moved.shape[1:]))
    vals = _arrays.ascontiguous(_arrays.moveaxis(vals, 0, d))
    return _pack(Tensor._wrap(vals), Tensor._wrap(inverse), Tensor._wrap(counts), return_inverse, return_counts)


# ------------------------------------------------------------------------------------------------------------
# searchsorted, bucketize
# ------------------------------------------------------------------------------------------------------------
def _search_dtype(a: dtypes.dtype, b: dtypes.dtype):
    """Compare in int64 when both are integers, else in float64 (exact for float32 and small ints)."""
    return np.int64 if not a.is_floating_point and not b.is_floating_point else np.float64


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False, side=None,
                 sorter: Tensor | None = None, out=None) -> Tensor:
    op = "torch.searchsorted()"
    check_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}: side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(f"{op}: side and right can't be set to opposites, got side of left while right "
                               "was True")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    if scalar and not is_scalar(input):
        raise TypeError(f"searchsorted(): argument 'input' must be Tensor or Number, not {type(input).__name__}")
    vals = np.asarray(input) if scalar else input._data
    vdt = dtypes.scalar_dtype(input) if scalar else input.dtype
    if sorter is not None and isinstance(sorter, Tensor) and _device(sorter) != _device(sorted_sequence):
        raise RuntimeError(f"{op}: sorter and boundary tensors should have same device type, but got sorter tensor "
                           f"device type {_arrays.device_name(sorter._data)} and input value tensor device type "
                           f"{_arrays.device_name(seq)}")
    if not scalar and _device(input) != _device(sorted_sequence):
        raise RuntimeError(f"{op}: boundaries and input value tensors should have same device type, but got "
                           f"boundaries tensor device type {_arrays.device_name(seq)} and input value tensor "
                           f"device type {_arrays.device_name(vals)}")
    cuda = _arrays.is_cuda(seq)
    if cuda and scalar:
        vals = _cuda_scalar(vals, vals.dtype, seq)
    if seq.ndim == 0:
        raise RuntimeError(f"{op}: boundaries tensor should have positive dimension, but got 0 dimension")
    if scalar and seq.ndim != 1:
        raise RuntimeError(f"{op}: input value can be a scalar only when boundaries tensor dimension is 1, but we "
                           f"got boundaries tensor dim({seq.ndim}) and input value's dim(0) numel(1)")
    if seq.ndim != 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(f"{op}: boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                           f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
                           f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
    if sorted_sequence.dtype.is_complex or vdt.is_complex:  # torch has no complex kernel (no order on complex)
        cdt = sorted_sequence.dtype if sorted_sequence.dtype.is_complex else vdt
        raise NotImplementedError(f"\"searchsorted_out_cpu\" not implemented for '{dtypes.torch_name(cdt)}'")
    if sorted_sequence.dtype is dtypes.bool and vdt is dtypes.bool:  # torch compares in the promoted dtype
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    kdt = vdt if sorted_sequence.dtype is dtypes.bool else sorted_sequence.dtype
    kernel = _kernel("searchsorted", kdt, _device(sorted_sequence))
    sort_idx = np.zeros((1, 1), np.int64)
    if sorter is not None:
        check_tensor(sorter, "searchsorted", "sorter")
        if sorter.dtype is not dtypes.int64:
            raise RuntimeError(f"{op}: sorter must be a tensor of long dtype but got dtype "
                               f"{dtypes.torch_name(sorter.dtype)}")
        if sorter.shape != sorted_sequence.shape:
            raise RuntimeError(f"{op}: boundary and sorter must have the same size, but got boundary tensor "
                               f"{list(seq.shape)}and got sorter tensor {list(sorter.shape)}")
        if cuda:
            if sorter._data.size and dispatch.lookup("index_check", "cuda", dtypes.int64)(
                    sorter._data.device_array(), 0, seq.shape[-1]) is not None:
                raise RuntimeError(f"{op}: sorter index out of range")
        else:
            sort_idx = sorter._data.reshape(-1, seq.shape[-1])
            if sort_idx.size and (sort_idx.min() < 0 or sort_idx.max() >= seq.shape[-1]):
                raise RuntimeError(f"{op}: sorter index out of range")
            sort_idx = np.ascontiguousarray(sort_idx)
    cdt = _search_dtype(sorted_sequence.dtype, vdt)
    if cuda:
        return _cuda_searchsorted(kernel, seq, vals, sorter, cdt, bool(right), out_int32, out)
    m = seq.shape[-1]
    rows = int(np.prod(seq.shape[:-1]))
    seq2 = np.ascontiguousarray(seq, cdt).reshape(rows, m)
    vals2 = np.ascontiguousarray(vals, cdt).reshape(rows, -1)
    res = np.zeros(vals2.shape, np.int64)
    if res.size and m:
        kernel(seq2, vals2, sort_idx, sorter is not None, bool(right), res)
    res = res.reshape(vals.shape)
    if out_int32:
        res = res.astype(np.int32)
    result = Tensor._wrap(res)
    if out is not None:
        from ._util import write_out

        return write_out(out, res, "searchsorted")
    return result


def _cuda_searchsorted(kernel, seq, vals, sorter, cdt, right: bool, out_int32: bool, out):
    m = seq.shape[-1]
    rows = math.prod(seq.shape[:-1])
    nv = vals.size if seq.ndim == 1 else vals.shape[-1]
    seq2 = _arrays.reshape(_arrays.astype(seq, cdt), (rows, m))
    vals2 = _arrays.reshape(_arrays.astype(vals, cdt), (rows, nv))
    sort_idx = _arrays.reshape(sorter._data, (rows, m)) if sorter is not None else _cuda_scalar(0, np.int64, seq)
    res = _arrays.empty((rows, nv), np.int64, seq)
    if res.size and m:
        kernel(seq2.device_array(), vals2.device_array(), _arrays.broadcast_to(sort_idx, (rows, max(m, 1)))
               .device_array(), sorter is not None, right, res.device_array())
    elif res.size:
        _arrays.copy_into(res, 0)
    res = res.reshape(vals.shape)
    if out_int32:
        res = _arrays.astype(res, np.int32)
    if out is not None:
        from ._util import write_out

        return write_out(out, res, "searchsorted")
    return Tensor._wrap(res)


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False, out=None) -> Tensor:
    check_tensor(boundaries, "bucketize", "boundaries")
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# ------------------------------------------------------------------------------------------------------------
# histc, bincount
# ------------------------------------------------------------------------------------------------------------
def histc(input: Tensor, bins: int = 100, min=0, max=0, *, out=None) -> Tensor:
    check_tensor(input, "histc")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    kernel = _kernel("histc", input.dtype, _device(input))
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    cuda = _arrays.is_cuda(input._data)
    if cuda:
        x = _arrays.reshape(_arrays.astype(input._data, np.float64), (input._data.size,))
    else:
        x = np.ascontiguousarray(input._data, np.float64).reshape(-1)  # binned in float64 for every float dtype
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and x.size:
        if cuda:  # two reads (syncs), as PyTorch's
            t = Tensor._wrap(x)
            lo, hi = float(t.min().item()), float(t.max().item())
        else:
            lo, hi = (float(v) for v in _kernel("histc.range", input.dtype)(x))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if cuda:
        counts = _arrays.empty((int(bins),), np.int64, x)
        _arrays.copy_into(counts, 0)
        kernel(x.device_array(), int(bins), lo, hi, counts.device_array())
        res = _arrays.astype(counts, input.dtype.np)
        if out is not None:
            from ._util import write_out

            return write_out(out, res, "histc")
        return Tensor._wrap(res)
    counts = np.zeros(int(bins), np.float64)
    if x.size:
        kernel(x, int(bins), lo, hi, counts)
    res = counts.astype(input.dtype.np, copy=False)
    if out is not None:
        from ._util import write_out

        return write_out(out, res, "histc")
    return Tensor._wrap(res)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    check_tensor(input, "bincount")
    if input.dtype.is_floating_point or input.dtype is dtypes.bool:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    kernel = _kernel("bincount", input.dtype, _device(input))
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None:
        check_tensor(weights, "bincount", "weights")
        if weights.ndim != 1 or weights.shape[0] != input._data.size:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        if _device(weights) != _device(input):
            raise _arrays.mixed_devices(_arrays.device_name(input._data), _arrays.device_name(weights._data))
    if _arrays.is_cuda(input._data):
        return _cuda_bincount(kernel, input, weights, int(minlength))
    x = np.ascontiguousarray(input._data, np.int64)
    lo, hi = _kernel("bincount.range", input.dtype)(x) if x.size else (0, -1)
    if lo < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = builtins.max(int(hi) + 1, int(minlength))
    if weights is None:
        out = np.zeros(size, np.int64)
        if x.size:
            kernel(x, out)
        return Tensor._wrap(out)
    out_dt = np.float32 if weights.dtype is dtypes.float32 else np.float64
    out = np.zeros(size, np.float64)
    if x.size:
        _kernel("bincount.weights", input.dtype)(x, np.ascontiguousarray(weights._data, np.float64), out)
    return Tensor._wrap(out.astype(out_dt, copy=False))


def _cuda_bincount(kernel, input: Tensor, weights: Tensor | None, minlength: int) -> Tensor:
    """bincount on CUDA: the range read back (a sync, as PyTorch's), then atomic adds."""
    x = _arrays.astype(input._data, np.int64)  # 1-d, any stride
    lo, hi = 0, -1
    if x.size:
        t = Tensor._wrap(x)
        lo, hi = int(t.min().item()), int(t.max().item())
    if lo < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = builtins.max(hi + 1, minlength)
    acc = np.int64 if weights is None else np.float64
    out = _arrays.empty((size,), acc, x)
    _arrays.copy_into(out, 0)
    w = None if weights is None else _arrays.astype(weights._data, np.float64)
    if x.size:
        kernel(x.device_array(), None if w is None else w.device_array(), out.device_array())
    if weights is not None:
        out = _arrays.astype(out, np.float32 if weights.dtype is dtypes.float32 else np.float64)
    return Tensor._wrap(out)


@takes_out("isin")
def isin(elements=None, test_elements=None, *, assume_unique: bool = False, invert: bool = False, element=None,
         test_element=None) -> Tensor:
    """Which elements occur in test_elements (after promotion to a common dtype; NaN occurs nowhere): a binary
    search in the sorted test elements, so it runs on either device. element/test_element are torch's keyword
    names for a scalar operand."""
    elements = element if element is not None else elements
    test_elements = test_element if test_element is not None else test_elements
    if elements is None or test_elements is None:
        raise TypeError("isin() missing required argument: 'elements' and 'test_elements' (or the scalar "
                        "'element' / 'test_element')")
    from .creation import tensor as _tensor
    from .creation import zeros as _zeros

    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
                        f"{type(test_elements).__name__}): at least one of them must be a Tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    el = elements if isinstance(elements, Tensor) else _tensor(elements, device=like.device)
    te = test_elements if isinstance(test_elements, Tensor) else _tensor(test_elements, device=like.device)
    if dtypes.bool in (el.dtype, te.dtype):
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    common = dtypes.promote_types(el.dtype, te.dtype)
    el, flat = el.to(common), te.to(common).reshape(-1)
    if common.is_floating_point:
        flat = flat[flat == flat]  # NaN matches nothing, and would mislead the binary search
    if flat.numel() == 0:
        found = _zeros(tuple(el.shape), dtype=dtypes.bool, device=el.device)
        return ~found if invert else found
    ordered = sort(flat)[0]
    pos = searchsorted(ordered, el).clamp(max=flat.numel() - 1)
    found = ordered[pos] == el
    return ~found if invert else found


# whole CUDA paths: _methods.guard_tables leaves them unwrapped
sort.cuda_complete = True
topk.cuda_complete = True

FUNCTIONS: dict = {
    "isin": isin,
    "sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue, "median": median,
    "nanmedian": nanmedian, "mode": mode, "unique": unique, "unique_consecutive": unique_consecutive,
    "searchsorted": searchsorted, "bucketize": bucketize, "histc": histc, "bincount": bincount,
}
METHODS: dict = {
    "isin": isin,
    "sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue, "median": median,
    "nanmedian": nanmedian, "mode": mode, "unique": unique, "unique_consecutive": unique_consecutive,
    "histc": histc, "bincount": bincount,
}
