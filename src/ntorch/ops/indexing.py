"""Indexing: basic indexing as views; advanced indexing, gather/scatter and the index ops as copies or writes.

Every gather-like op becomes one call of kernels/cpu/indexing.gather_nd and every scatter-like op one call of
scatter_nd / scatter_reduce_nd: the op describes its operands as flat buffers with element strides over an
iteration shape (see the kernel module). Indices are validated before anything is written: gathers check them
inside the kernel before reading (into a fresh output), scatters check their min/max first. From K.PAR_MIN
elements on several Numba threads, gathers, scatter reductions (where tasks write disjoint elements), the index
check and the copy of out-of-place ops run in the parallel (".parallel") kernels.

CUDA tensors take the same plans (their flat buffers are 1-d device views) to kernels/cuda/indexing.py's
kernels of the same arguments, through the branches in _buffer, _gather, _scatter and _first_bad: gathers
flag their first bad position on the device, scatters check first (one check kernel and a sync); reductions
use atomics in _compute_np's dtypes ('prod': a compare-and-swap loop). Index tensors must live on self's
device, except for getitem/setitem, which copy host indices (lists, CPU tensors, CPU masks) to the device as
PyTorch does. Boolean masks on CUDA (x[mask], mask setitem, masked_select, masked_scatter, nonzero) count and
compact on the device (kernels/cuda/scan.py): an inclusive cumsum of the flat mask, its last value read back
(a sync, as in PyTorch), then one compaction kernel; masks among other indices become nonzero() columns.

Autograd: a basic-index view records one node named after torch's last view op (SelectBackward0,
SliceBackward0, ...); the other ops record their torch node, with backward formulas written with these same ops
(gather <-> scatter_add, index_select <-> index_add, getitem <-> index_put, ...) so that create_graph works.
In-place forms under autograd run out of place on inplace.snapshot(self) and inplace.commit the result.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode, inplace
from ..autograd.graph import needs_graph, record
from ..cuda.array import CudaArray
from ..kernels.cpu import indexing as K
from ..tensor import Tensor, _wrap_dim
from ._util import check_scalar_fits, check_tensor, fill_value, infer_size, is_scalar, takes_out
from .elementwise import apply
from .shape import _slice_backward

# Data movement runs on unsigned views of the data (one compile per item size), reductions on int64, float32
# or float64 copies (_compute_np): every dtype reaches the same few compiled kernels.
KERNELS = {
    "index": K.gather_nd, "index_select": K.gather_nd, "gather": K.gather_nd, "take": K.gather_nd,
    "index_put": K.scatter_nd, "scatter": K.scatter_nd, "index_copy": K.scatter_nd, "index_fill": K.scatter_nd,
    "put": K.scatter_nd, "masked_select": K.compact, "masked_scatter": K.expand_masked,
    "scatter_reduce": K.scatter_reduce_nd, "index_add": K.scatter_reduce_nd,
    "index_put.accumulate": K.scatter_reduce_nd, "put.accumulate": K.scatter_reduce_nd,
}
# Parallel variants (compiled on first use), for PAR_MIN elements or more on several threads; a scatter reduction
# only where its tasks write disjoint elements (see _parallel_split).
PARALLEL_KERNELS = {
    "index": K.gather_nd_par, "index_select": K.gather_nd_par, "gather": K.gather_nd_par, "take": K.gather_nd_par,
    "scatter_reduce": K.scatter_reduce_nd_par, "index_add": K.scatter_reduce_nd_par, "indexing.copy": K.copy_par,
}
for _name, _kernel in KERNELS.items():
    dispatch.register(_name, "cpu", dtypes.ALL_DTYPES, lambda dt, k=_kernel: k)
for _name, _kernel in PARALLEL_KERNELS.items():
    dispatch.register(_name + ".parallel", "cpu", dtypes.ALL_DTYPES, lambda dt, k=_kernel: k)

# CUDA: the same plans run in kernels/cuda/indexing.py's canonical-form kernels (same arguments; the gather
# reports the first bad position of S in a device flag). Reductions need atomics: they run in _compute_np's
# dtypes, which all have them; 'prod' has no CUDA kernel. "index_check": first_bad (a sync).
CUDA_KERNELS = {
    "index": "gather_nd", "index_select": "gather_nd", "gather": "gather_nd", "take": "gather_nd",
    "index_put": "scatter_nd", "scatter": "scatter_nd", "index_copy": "scatter_nd", "index_fill": "scatter_nd",
    "put": "scatter_nd", "scatter_reduce": "scatter_reduce_nd", "index_add": "scatter_reduce_nd",
    "index_put.accumulate": "scatter_reduce_nd", "put.accumulate": "scatter_reduce_nd",
}


for _name, _kernel in CUDA_KERNELS.items():
    dispatch.register(_name, "cuda", dtypes.ALL_DTYPES, dispatch.cuda_kernel("indexing", _kernel), lazy=True)
dispatch.register("index_check", "cuda", (dtypes.int32, dtypes.int64), dispatch.cuda_kernel("indexing", "first_bad"),
                  lazy=True)
# Boolean masks on CUDA (kernels/cuda/scan.py): the mask's running count, then compaction on bit views.
for _name, _kernel in (("masked_select", "compact_into"), ("masked_scatter", "expand_into"),
                       ("nonzero", "coords_into"), ("mask_positions", "positions_into")):
    dispatch.register(_name, "cuda", dtypes.ALL_DTYPES, dispatch.cuda_kernel("scan", _kernel), lazy=True)

_BITS = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64, 16: np.complex128}  # (complex128: moved as is)
_ARRAY = (np.ndarray, CudaArray)  # an index array of _analyze, on either device
_REDUCE_CODES = {"sum": K.ADD, "prod": K.MUL, "mean": K.ADD, "amax": K.AMAX, "amin": K.AMIN}


def _normalize_index(arr: np.ndarray, index) -> tuple:
    """Validate a basic index against arr's shape, raising torch's errors; return a NumPy index.

    The result always ends in (or contains) an Ellipsis, so that NumPy returns a view even when every
    dim is indexed by an int (a 0-d array rather than a NumPy scalar, which would be a copy)."""
    if not isinstance(index, tuple):
        index = (index,)
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    if arr.ndim == 0 and consumed and all(isinstance(i, int | np.integer) and not isinstance(i, bool | np.bool_)
                                          for i in index if i is not None and i is not Ellipsis):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                         "C++ to convert a 0-dim tensor to a number")
    if consumed > arr.ndim:
        raise IndexError(f"too many indices for tensor of dimension {arr.ndim}")
    out, dim, seen_ellipsis = [], 0, False
    for pos, i in enumerate(index):
        if i is None:
            out.append(None)
        elif i is Ellipsis:
            # torch expands the first Ellipsis; any later one stands for no dims
            if not seen_ellipsis:
                out.append(Ellipsis)
                dim += arr.ndim - consumed
                seen_ellipsis = True
        elif isinstance(i, bool | np.bool_):
            raise IndexError("boolean scalar indices are not supported by ntorch basic indexing yet")
        elif isinstance(i, int | np.integer) or (isinstance(i, Tensor) and i.numel() == 1 and i.ndim == 0
                                                  and not i.is_floating_point()):
            i = int(i)
            size = arr.shape[dim]
            if i < -size or i >= size:
                # torch names the position of the index in the index tuple, not the tensor dim
                raise IndexError(f"index {i} is out of bounds for dimension {pos} with size {size}")
            out.append(i)
            dim += 1
        elif isinstance(i, slice):
            for part in (i.start, i.stop, i.step):
                if part is not None and not isinstance(part, int | np.integer | Tensor):
                    raise TypeError("slice indices must be integers or None or have an __index__ method")
            if i.step is not None and int(i.step) == 0:
                raise ValueError("slice step cannot be zero")
            if i.step is not None and int(i.step) < 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(*(None if p is None else int(p) for p in (i.start, i.stop, i.step))))
            dim += 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(i).__name__})")
    if not seen_ellipsis:
        out.append(Ellipsis)
    return tuple(out)




def _as_tuple(index) -> tuple:
    """torch's (NumPy's legacy) rule: a short list holding a tensor, sequence, slice, None or Ellipsis is a
    tuple of indices; any other list is one index tensor."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32 and any(
            isinstance(e, Tensor | list | tuple | slice | np.ndarray) or e is None or e is Ellipsis for e in index):
        return tuple(index)
    return (index,)


def _is_advanced(i) -> bool:
    if isinstance(i, Tensor):
        return i.ndim > 0 or i.dtype in (dtypes.bool, dtypes.uint8) or i.is_floating_point()
    return isinstance(i, list | tuple | range | np.ndarray | bool | np.bool_)


def _simple_index(shape: tuple, index) -> tuple | None:
    """The common basic index (an int, a slice with a positive or no step, or a tuple of them, one per leading
    dim) as a NumPy index that returns a view, or None to take the general path (which also raises the errors)."""
    parts = index if type(index) is tuple else (index,)
    if len(parts) > len(shape):
        return None
    for d, i in enumerate(parts):
        t = type(i)
        if t is int:
            if not -shape[d] <= i < shape[d]:
                return None
        elif t is slice:
            for p in (i.start, i.stop, i.step):
                if p is not None and type(p) is not int:
                    return None
            if i.step is not None and i.step <= 0:
                return None
        else:
            return None
    return parts + (Ellipsis,)


def _new_dim_strides(arr, np_index: tuple, view):
    """view (= arr[np_index]) with each None's size-1 dim given torch's stride instead of NumPy's 0: torch
    unsqueezes as it meets the None, so the new dim's stride is size * stride of the source dim it stands before
    (one element past the last dim)."""
    if None not in np_index:
        return view
    consumed = sum(1 for i in np_index if i is not None and i is not Ellipsis)
    strides, k, d, seen_ellipsis = list(view.strides), 0, 0, False
    for i in np_index:
        if i is None:
            strides[d] = arr.shape[k] * arr.strides[k] if k < arr.ndim else arr.dtype.itemsize
            d += 1
        elif i is Ellipsis:
            if not seen_ellipsis:
                span = arr.ndim - consumed
                k, d, seen_ellipsis = k + span, d + span, True
        elif isinstance(i, slice):
            k, d = k + 1, d + 1
        else:
            k += 1
    return _arrays.as_strided(view, view.shape, tuple(strides))


def getitem(self: Tensor, index) -> Tensor:
    """Basic indexing returns a view; integer-tensor, list and mask indexing return a copy."""
    arr = self._data
    grad = self._requires_grad and grad_mode.STATE.enabled  # (needs_graph(self))
    if type(index) is Tensor and type(arr) is np.ndarray and arr.ndim:
        i = index._data
        if type(i) is np.ndarray and i.dtype == _INT64_NP and i.ndim:  # x[index tensor]: _advanced_getitem's first case
            res = Tensor._wrap(_take_rows(arr, i))
            if grad:
                node = record("IndexBackward0", _index_backward, (self,), (res,))
                node.shape, node.index = arr.shape, (index,)
            return res
    if (type(arr) is np.ndarray or type(arr) is CudaArray) and not grad:  # (CudaArray: the same views)
        np_index = _simple_index(arr.shape, index)
        if np_index is not None:
            return self._view_of(arr[np_index])
    idx = _as_tuple(index)
    if not any(_is_advanced(i) for i in idx):
        np_index = _normalize_index(self._data, idx)
        res = self._view_of(_new_dim_strides(self._data, np_index, self._data[np_index]))
        if needs_graph(self):
            node = record(_view_node_name(self._data.shape, idx, isinstance(index, slice)), _slice_backward,
                          (self,), (res,))
            node.shape, node.index = self._data.shape, np_index
        return res
    res = Tensor._wrap(_advanced_getitem(self, idx))
    if needs_graph(self):
        node = record("IndexBackward0", _index_backward, (self,), (res,))
        node.shape, node.index = self._data.shape, idx
    return res


def _advanced_getitem(self: Tensor, idx: tuple) -> np.ndarray:
    x = self._data
    if len(idx) == 1 and isinstance(idx[0], Tensor) and x.ndim and type(x) is np.ndarray:
        i = idx[0]._data
        if i.dtype == np.int64 and i.ndim and type(i) is np.ndarray:
            return _take_rows(x, i)  # x[index tensor]: the common case, kept lean
        if i.dtype in (np.bool_, np.uint8) and i.shape == x.shape and type(i) is np.ndarray:
            return _compact(x, i, self.dtype)  # x[mask] with a full mask: one compaction pass
    if len(idx) == 1 and isinstance(idx[0], Tensor) and x.ndim and type(x) is CudaArray:
        i = idx[0]._data
        if type(i) is CudaArray and i.dtype in (np.bool_, np.uint8) and i.shape == x.shape:
            return _compact(x, i, self.dtype)  # the same on the device: a count, a sync, one compaction
    view, dims, arrays = _analyze(x, idx)
    shape = _broadcast_indices(arrays)
    plan = _advanced_plan(view, dims, arrays, shape, check=False)
    out, bad = _gather("index", self.dtype, plan)
    if bad is not None:  # only a single index is checked inside the kernel
        raise IndexError(f"index {bad} is out of bounds for dimension 0 with size {view.shape[dims[0]]}")
    return out


def _view_node_name(shape: tuple, idx: tuple, bare_slice: bool) -> str:
    """torch's grad_fn name for a basic-index view: that of the last view op it applies (left to right; full
    slices are skipped unless the index is one bare slice; nothing applied: an alias)."""
    if bare_slice:
        return "SliceBackward0"
    name, dim = "AliasBackward0", 0
    consumed = sum(1 for i in idx if i is not None and i is not Ellipsis)
    seen_ellipsis = False
    for i in idx:
        if i is None:
            name = "UnsqueezeBackward0"
        elif i is Ellipsis:
            dim += 0 if seen_ellipsis else len(shape) - consumed
            seen_ellipsis = True
        elif isinstance(i, slice):
            start, stop, step = slice(*(None if p is None else int(p) for p in (i.start, i.stop, i.step))).indices(
                shape[dim])
            if (start, max(stop, start), step) != (0, shape[dim], 1):
                name = "SliceBackward0"
            dim += 1
        else:
            name = "SelectBackward0"
            dim += 1
    return name


def _index_backward(c, g: Tensor) -> Tensor:
    """x[idx] -> zeros of x's shape with g added at idx (repeated indices add up)."""
    return _index_put_op(g.new_zeros(c.shape), c.index, g, accumulate=True, copy=False)


def setitem(self: Tensor, index, value) -> None:
    """self[index] = value: value broadcasts to the indexed shape (leading size-1 dims of a tensor value are
    dropped first) and, for basic indexing and scalars, is cast to self's dtype. Repeated indices: the last
    write wins."""
    idx = _as_tuple(index)
    advanced = any(_is_advanced(i) for i in idx)
    self._check_writable()
    if inplace.involved(self, value):
        _setitem_autograd(self, idx, value, advanced)
        return
    if advanced:
        only_mask = _only_mask(idx)
        _index_put(self, idx, _value_array(self, value, cast_tensor=only_mask), accumulate=False)
        return
    target = self._data[_normalize_index(self._data, idx)]
    if isinstance(value, Tensor):
        from .shape import expand

        src = value
        lead = 0
        while lead < src.ndim - target.ndim and src.shape[lead] == 1:
            lead += 1
        if lead:
            src = src.reshape(tuple(src.shape[lead:]))
        src = expand(src, target.shape)._data
    elif isinstance(value, bool | int | float | np.generic):
        if self.dtype not in dtypes.HALF_DTYPES:  # torch checks the conversion, except into a 16-bit float (inf)
            check_scalar_fits(value, self.dtype)
        src = fill_value(value, self.dtype)
    elif isinstance(value, complex):
        check_scalar_fits(value, self.dtype)  # (a complex number only goes into a complex tensor)
        src = value
    else:
        _bad_value(self, value)
    if isinstance(src, np.ndarray) and src.dtype.kind == "c" and target.dtype.kind != "c" and target.dtype != np.bool_:
        from .conversion import _real_part

        src = _real_part(src)
    if type(target) is CudaArray:
        if isinstance(src, np.ndarray):  # a CPU tensor value: copied to the device, as PyTorch does
            src = _to_device(src, target.device)
        _arrays.copy_into(target, src)  # (casts to bool as != 0)
        self._bump_version()
        return
    if target.dtype == np.bool_ and isinstance(src, np.ndarray) and src.dtype != np.bool_:
        src = src != 0
    with np.errstate(invalid="ignore", over="ignore"):
        target[...] = src
    self._bump_version()


def _only_mask(idx: tuple) -> bool:
    return len(idx) == 1 and isinstance(idx[0], Tensor | bool) and (
        isinstance(idx[0], bool) or idx[0].dtype in (dtypes.bool, dtypes.uint8))


def _bad_value(self: Tensor, value):
    from .shape import _legacy_type

    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    raise TypeError(f"can't assign a {name} to a {_legacy_type(self)}")


def _setitem_autograd(self: Tensor, idx: tuple, value, advanced: bool) -> None:
    """setitem under autograd. Basic index: an in-place copy into the view (its base gets a CopySlices node);
    advanced index: index_put_ (IndexPutBackward0) computed on a snapshot of self and committed."""
    if not isinstance(value, Tensor | bool | int | float | complex | np.generic):
        _bad_value(self, value)
    if advanced:
        if isinstance(value, Tensor) and value.dtype is not self.dtype and _only_mask(idx):
            value = value.to(self.dtype)
        _value_array(self, value, cast_tensor=False)  # torch's dtype error before the leaf check
        inplace.check_inplace(self)
        inplace.commit(self, _index_put_op(inplace.snapshot(self), idx, value, accumulate=False, copy=False))
        return
    target = self._view_of(self._data[_normalize_index(self._data, idx)])
    if isinstance(value, Tensor):
        lead = 0
        while lead < value.ndim - target.ndim and value.shape[lead] == 1:
            lead += 1
        if lead:
            value = value.reshape(tuple(value.shape[lead:]))
        target.copy_(value)
    else:
        target.fill_(value)
    base = self._base
    if base is not None and base.requires_grad and target._base is base:
        # self is itself a view of the rebased base: it now reads its history from there, as torch does
        inplace.ViewOfBase(base, self, inplace.region_of(base._data, self._data))


def _index_put_op(input: Tensor, idx: tuple, values, accumulate: bool, copy: bool = True) -> Tensor:
    """input[idx] (+)= values out of place (copy=False: input is a fresh tensor that may be written), recorded
    as IndexPutBackward0 for any index tuple (basic parts, index tensors, masks)."""
    res = Tensor._wrap(_arrays.copy(input._data)) if copy else input
    _index_put(res, idx, _value_array(res, values, cast_tensor=False), accumulate)
    if needs_graph(input, values):
        vt = values if isinstance(values, Tensor) else None
        node = record("IndexPutBackward0", _index_put_backward, (input, vt), (res,))
        node.index, node.accumulate = idx, accumulate
        node.values_meta = None if vt is None else (tuple(vt.shape), vt.dtype)
    return res


def _index_put_backward(c, g: Tensor):
    gs = gv = None
    if c.needs_input_grad[0]:
        gs = g if c.accumulate else _index_put_op(g, c.index, 0.0, accumulate=False)
    if c.needs_input_grad[1]:
        from .elementwise import sum_to

        shape, dt = c.values_meta
        gi = getitem(g, c.index)
        lead = 0  # the value's leading size-1 dims beyond the indexed shape were dropped in the forward
        while lead < len(shape) - gi.ndim and shape[lead] == 1:
            lead += 1
        gv = sum_to(gi, shape[lead:], dt)
        gv = gv.reshape(shape) if lead else gv
    return gs, gv


# ---------------------------------------------------------------------------------------------------------------
# operands: flat buffers with element strides
# ---------------------------------------------------------------------------------------------------------------
class _Plan:
    """One gather/scatter: iteration shape S; the data operand (flat buffer, base offset, strides over S); the
    index operand (int64) likewise; data offset += wrap(index) * mul; raw: the index holds final offsets."""

    __slots__ = ("shape", "S", "buf", "base", "st", "ibuf", "ibase", "ist", "mul", "size", "raw", "low")

    def __init__(self, S, buf, base, st, ibuf, ibase, ist, mul, size, raw=False, negative=True):
        self.shape = tuple(S)
        self.low = -size if negative else 0  # the smallest valid index (torch's gather and scatter take no negatives)
        if len(S) < 2:  # the kernels iterate over at least two dims
            pad = 2 - len(S)
            S, st, ist = (1,) * pad + tuple(S), [0] * pad + list(st), [0] * pad + list(ist)
        self.S, self.buf, self.base, self.st = tuple(S), buf, base, st
        self.ibuf, self.ibase, self.ist, self.mul, self.size, self.raw = ibuf, ibase, ist, mul, size, raw


def _buffer(arr: np.ndarray):
    """(flat C-contiguous 1-D buffer over arr's memory, offset of arr's first element in it, element strides)."""
    item = arr.itemsize
    strides = [s // item for s in arr.strides]
    if type(arr) is CudaArray:  # strides are never negative there: the buffer starts at the first element
        n = 1 + sum((k - 1) * s for k, s in zip(arr.shape, strides)) if arr.size else 0
        return _arrays.as_strided(arr, (n,), (item,)), 0, strides
    if arr.flags.c_contiguous:
        return arr.reshape(-1), 0, strides
    if arr.size == 0:
        return np.empty(0, arr.dtype), 0, strides
    lo = sum((n - 1) * s for n, s in zip(arr.shape, strides) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(arr.shape, strides) if s > 0)
    first = arr[tuple(slice(None, None, -1) if s < 0 else slice(None) for s in strides)]
    return np.lib.stride_tricks.as_strided(first, shape=(hi - lo + 1,), strides=(item,)), -lo, strides


def _broadcast(arr: np.ndarray, shape) -> np.ndarray:
    """np.broadcast_to that stays writeable (a read-only array would cost the kernels another compile)."""
    shape = tuple(shape)
    if arr.shape == shape:
        return arr
    if type(arr) is CudaArray:
        return _arrays.broadcast_to(arr, shape)
    lead = len(shape) - arr.ndim
    strides = [0] * lead + [0 if n != s else st for n, s, st in zip(arr.shape, shape[lead:], arr.strides)]
    return np.lib.stride_tricks.as_strided(arr, shape, strides)


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(_BITS[a.itemsize])


_CUDA_BITS = {1: np.uint8, 2: np.int16, 4: np.int32, 8: np.int64, 16: np.complex128}  # ntorch dtypes only


def _cuda_bits(a: CudaArray):
    """The kernel argument of a CUDA array viewed as same-size integers (data movement compiles once per size)."""
    return a.view(_CUDA_BITS[a.itemsize]).device_array()


def _compute_np(dt: np.dtype) -> np.dtype:
    """The dtype a reduction kernel runs in: float16/bfloat16 in float32, bool and integers in int64 (exact,
    wrapping)."""
    if dt in dtypes.HALF_NP:
        return np.dtype(np.float32)
    if dt.kind == "c":  # (the linear ones split a complex tensor into its parts before this)
        raise NotImplementedError("scatter reductions other than sum/mean of complex tensors are not implemented in "
                                  "ntorch yet")
    return dt if dt.kind == "f" else np.dtype(np.int64)


def _write_back(target: np.ndarray, work: np.ndarray) -> None:
    if work is not target and type(target) is CudaArray:
        _arrays.copy_into(target, work)  # (the cast to bool is != 0 there too)
    elif work is not target:
        target[...] = (work != 0) if target.dtype == np.bool_ else work.astype(target.dtype)


def _threads_for(work: int) -> int:
    """Threads for a kernel moving `work` elements: 1 (the serial kernel) below K.PAR_MIN."""
    return K.num_threads() if work >= K.PAR_MIN else 1


def _gather(op: str, dt: dtypes.dtype, plan: _Plan):
    """(fresh array of shape plan.shape with the gathered values, first bad index value or None)."""
    if type(plan.buf) is CudaArray:
        return _cuda_gather(op, dt, plan)
    out = np.empty(plan.shape, dt.np)
    if out.size == 0:
        return out, None
    if not plan.raw and plan.size == 0:
        return out, int(plan.ibuf[plan.ibase])
    meta = np.array((plan.S, plan.st, plan.ist), np.int64)
    args = (_bits(plan.buf), plan.base, plan.ibuf, plan.ibase, plan.mul, plan.low, 0 if plan.raw else plan.size,
            _bits(out.reshape(-1)), meta)
    threads = _threads_for(out.size)
    if threads > 1:
        flag, v = dispatch.lookup(op + ".parallel", "cpu", dt)(*args, threads)
    else:
        flag, v = dispatch.lookup(op, "cpu", dt)(*args)
    return out, (int(v) if flag else None)


def _cuda_gather(op: str, dt: dtypes.dtype, plan: _Plan):
    """_gather on the device: the kernel records the first bad position of S in a flag (read back: a sync); the
    index value there is then read from the device."""
    from ..kernels.cuda.indexing import new_flag, read_flag

    out = _arrays.empty(plan.shape, dt.np, plan.buf)
    if out.size == 0:
        return out, None
    if not plan.raw and plan.size == 0:  # every index is out of range
        return out, _read_index(plan.ibuf, plan.ibase)
    flag = new_flag()
    meta = np.array((plan.S, plan.st, plan.ist), np.int64)
    dispatch.lookup(op, "cuda", dt)(plan.buf.device_array(), plan.base, plan.ibuf.device_array(), plan.ibase,
                                    plan.mul, plan.low, 0 if plan.raw else plan.size,
                                    out.reshape(-1).device_array(), meta, flag)
    pos = read_flag(flag)
    if pos is None:
        return out, None
    offset = plan.ibase
    for n, s in zip(reversed(plan.S), reversed(plan.ist)):
        offset += (pos % n) * s
        pos //= n
    return out, _read_index(plan.ibuf, offset)


def _read_index(buf, offset: int) -> int:
    """One index value of a flat buffer (from the device: a sync)."""
    return int(buf[offset:offset + 1].copy_to_host()[0]) if type(buf) is CudaArray else int(buf[offset])


def _non_overlapping(a: np.ndarray) -> bool:
    """Does every element of a have its own memory (no stride-0 or interleaved dims)? A sufficient test."""
    end = 1
    for s, n in sorted((abs(s) // a.itemsize, n) for n, s in zip(a.shape, a.strides) if n > 1):
        if s < end:
            return False
        end = s * n
    return True


def _parallel_split(plan: _Plan, dim: int | None, dst: np.ndarray, src: np.ndarray):
    """(threads, by_rows) for a scatter reduction over plan into dst (scattered dim `dim` of plan.shape; None:
    serial only): tasks split the rows when dim is the last dim, else the columns, so that they write disjoint
    elements of dst; threads 1 when that is not worth it or not safe."""
    if dim is None or not plan.shape:
        return 1, False
    n = plan.S[-1]
    by_rows = dim == len(plan.shape) - 1
    parts = math.prod(plan.S[:-1]) if by_rows else n
    threads = _threads_for(math.prod(plan.S)) if parts > 1 else 1
    if threads > 1 and (not _non_overlapping(dst) or np.may_share_memory(dst, src)):
        threads = 1
    return threads, by_rows


def _scatter(op: str, dt: dtypes.dtype, plan: _Plan, src: np.ndarray, code: int | None = None,
             dim: int | None = None, dst: np.ndarray | None = None) -> None:
    """Write src (broadcast to plan.S) through plan: copied (code None, on bit views) or combined with the
    reduction `code` (plan.buf and src in the compute dtype). Indices must have been checked. A reduction that
    scatters along dim `dim` of dst (the array plan.buf holds) may run in parallel."""
    if math.prod(plan.S) == 0:
        return
    if type(plan.buf) is CudaArray:
        _cuda_scatter(op, dt, plan, src, code)
        return
    sbuf, sbase, sst = _buffer(_broadcast(src, plan.S))
    kernel = dispatch.lookup(op, "cpu", dt)
    wrap = 0 if plan.raw or plan.low == 0 else plan.size  # no negative index got past the check: nothing to wrap
    args = (plan.base, plan.ibuf, plan.ibase, plan.mul, wrap)
    meta = np.array((plan.S, plan.st, plan.ist, sst), np.int64)
    if code is None:
        kernel(_bits(plan.buf), *args, _bits(sbuf), sbase, meta)
        return
    threads, by_rows = _parallel_split(plan, dim, dst, src) if dst is not None else (1, False)
    if threads > 1:
        dispatch.lookup(op + ".parallel", "cpu", dt)(plan.buf, *args, sbuf, sbase, meta, code, threads, by_rows)
    else:
        kernel(plan.buf, *args, sbuf, sbase, meta, code)


def _cuda_scatter(op: str, dt: dtypes.dtype, plan: _Plan, src, code: int | None) -> None:
    """_scatter on the device (the same kernel arguments); a host scalar src becomes a 0-d device array."""
    if type(src) is not CudaArray:
        value = src
        src = _arrays.empty((), plan.buf.dtype, plan.buf)
        _arrays.copy_into(src, value)
    sbuf, sbase, sst = _buffer(_broadcast(src, plan.S))
    wrap = 0 if plan.raw or plan.low == 0 else plan.size
    meta = np.array((plan.S, plan.st, plan.ist, sst), np.int64)
    args = (plan.buf.device_array(), plan.base, plan.ibuf.device_array(), plan.ibase, plan.mul, wrap,
            sbuf.device_array(), sbase, meta)
    dispatch.lookup(op, "cuda", dt)(*args, *(() if code is None else (code,)))


def _first_bad(a: np.ndarray, size: int, negative: bool = True):
    """The first value of int64 array a outside [-size, size) ([0, size) unless negative), or None; one
    read-only min/max pass (on the device: a check kernel and a sync)."""
    if a.size == 0:
        return None
    low = -size if negative else 0
    if type(a) is CudaArray:
        return dispatch.lookup("index_check", "cuda", dtypes._FROM_NP[a.dtype])(a.device_array(), low, size)
    flat = a.reshape(-1) if a.flags.c_contiguous else np.ascontiguousarray(a).reshape(-1)
    threads = _threads_for(flat.size)
    lo, hi = K.minmax_par(flat, threads) if threads > 1 else K.minmax(flat)
    if lo >= low and hi < size:
        return None
    return int(flat[(flat < low) | (flat >= size)][0])


def _index_array(i, op: str = "index") -> np.ndarray:
    """An index tensor/list/bool as a NumPy array: bool (a mask; uint8 counts as one) or int64."""
    if isinstance(i, Tensor):
        a = i._data
        if type(a) is CudaArray:
            if a.dtype in (np.int64, np.int32):
                return _arrays.astype(a, np.int64)
            if a.dtype in (np.bool_, np.uint8):
                return _arrays.astype(a, np.bool_)  # (uint8: != 0)
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    elif isinstance(i, np.ndarray):
        a = i
    elif isinstance(i, bool | np.bool_):
        a = np.array(bool(i))
    else:
        a = np.asarray(i)
        if a.dtype.kind in "fiu" or a.size == 0:
            a = a.astype(np.int64)  # torch makes a long tensor of a list (floats truncate)
    if a.dtype == np.bool_:
        return a
    if a.dtype == np.uint8:
        return a != 0
    if a.dtype in (np.int64, np.int32):
        return a.astype(np.int64, copy=False)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _analyze(x: np.ndarray, idx: tuple):
    """torch's advanced indexing, step one: apply the basic parts (ints, slices, None, Ellipsis) as a view and
    return (view, [view dim of each index array], [int64 index arrays]); masks become nonzero() arrays."""
    items, consumed = [], 0
    for i in idx:
        if i is None or i is Ellipsis:
            items.append(i)
        elif _is_advanced(i):
            a = _index_array(i)
            consumed += a.ndim if a.dtype == np.bool_ else 1
            items.append(a)
        else:
            consumed += 1
            items.append(i)
    if consumed > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    basic, dims, arrays, masks, vd, seen_ellipsis = [], [], [], [], 0, False
    xd = 0  # the dim of x the next item indexes
    for pos, i in enumerate(items):
        if isinstance(i, int | np.integer) and not isinstance(i, bool | np.bool_):
            if not -x.shape[xd] <= i < x.shape[xd]:  # torch names the item's position in the index tuple
                raise IndexError(f"index {i} is out of bounds for dimension {pos} with size {x.shape[xd]}")
        if isinstance(i, _ARRAY):
            xd += i.ndim if i.dtype == np.bool_ else 1
        elif i is Ellipsis:
            xd += 0 if seen_ellipsis else x.ndim - consumed
        elif i is not None:
            xd += 1
        if i is None:
            basic.append(None)
            vd += 1
        elif i is Ellipsis:
            if not seen_ellipsis:
                basic.extend([slice(None)] * (x.ndim - consumed))
                vd += x.ndim - consumed
                seen_ellipsis = True
        elif isinstance(i, _ARRAY) and i.dtype == np.bool_:
            if i.ndim == 0:  # True / False: a new dim indexed by [0] / []
                basic.append(None)
                dims.append(vd)
                arrays.append(np.zeros(int(i.copy_to_host() if type(i) is CudaArray else i), np.int64))
                vd += 1
            else:
                masks.append((len(arrays), vd, i))
                basic.extend([slice(None)] * i.ndim)
                dims.extend(range(vd, vd + i.ndim))
                arrays.extend([None] * i.ndim)
                vd += i.ndim
        elif isinstance(i, _ARRAY):
            basic.append(slice(None))
            dims.append(vd)
            arrays.append(i)
            vd += 1
        else:
            basic.append(i)
            vd += isinstance(i, slice)
    view = x[_normalize_index(x, tuple(basic))]
    for k, d, m in masks:
        if m.shape != view.shape[d:d + m.ndim]:
            j = next(j for j in range(m.ndim) if d + j >= view.ndim or m.shape[j] != view.shape[d + j])
            raise IndexError(f"The shape of the mask {list(m.shape)} at index {j} does not match the shape of the "
                             f"indexed tensor {list(view.shape)} at index {d + j}")
        if type(m) is CudaArray:
            coords = _cuda_nonzero(m)
            arrays[k:k + m.ndim] = [coords[:, j] for j in range(m.ndim)]
        else:
            arrays[k:k + m.ndim] = np.nonzero(m)
    if type(x) is CudaArray:  # host indices (lists, CPU tensors and masks) go to the device, as in PyTorch
        arrays = [a if type(a) is CudaArray else _to_device(a, x.device) for a in arrays]
    elif any(type(a) is CudaArray for a in arrays):
        raise RuntimeError("indices should be either on cpu or on the same device as the indexed tensor (cpu)")
    return view, dims, arrays


def _broadcast_indices(arrays) -> tuple:
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(str(list(a.shape)) for a in arrays)
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}") \
            from None


def _indexed_shape(shape, dims, bshape) -> tuple[int, list[int], tuple]:
    """(position of the index dims in the result, the other dims, the result shape): adjacent index dims stay in
    place, separated ones go first (NumPy's rule, which torch follows)."""
    pos = dims[0] if dims[-1] - dims[0] == len(dims) - 1 else 0
    rest = [d for d in range(len(shape)) if d not in dims]
    return pos, rest, tuple(shape[d] for d in rest[:pos]) + tuple(bshape) + tuple(shape[d] for d in rest[pos:])


def _advanced_plan(view: np.ndarray, dims, arrays, bshape, check: bool) -> _Plan:
    """The plan of view[arrays at dims]; check: validate every index first (always done for several)."""
    if (check or len(arrays) > 1) and math.prod(bshape):  # (torch checks nothing when nothing is indexed)
        for j, (d, a) in enumerate(zip(dims, arrays)):
            bad = _first_bad(a, view.shape[d])
            if bad is not None:
                raise IndexError(f"index {bad} is out of bounds for dimension {j} with size {view.shape[d]}")
    buf, base, st = _buffer(view)
    pos, rest, S = _indexed_shape(view.shape, dims, bshape)
    st_S = [st[d] for d in rest[:pos]] + [0] * len(bshape) + [st[d] for d in rest[pos:]]
    if len(arrays) == 1:
        index, mul, size, raw = _broadcast(arrays[0], bshape), st[dims[0]], view.shape[dims[0]], False
    elif type(view) is CudaArray:  # several index arrays: one array of element offsets, made with device ops
        from .pointwise import where

        index = Tensor._wrap(_arrays.empty(bshape, np.int64, view))
        _arrays.copy_into(index._data, 0)
        for d, a in zip(dims, arrays):
            t = Tensor._wrap(a)
            index = index + where(t < 0, t + view.shape[d], t) * st[d]
        index, mul, size, raw = index._data, 1, 0, True
    else:  # several index arrays: one array of element offsets
        index = np.zeros(bshape, np.int64)
        for d, a in zip(dims, arrays):
            index += np.where(a < 0, a + view.shape[d], a) * st[d]
        mul, size, raw = 1, 0, True
    ibuf, ibase, ist = _buffer(index)
    ist_S = [0] * pos + ist + [0] * (len(S) - pos - len(bshape))
    return _Plan(S, buf, base, st_S, ibuf, ibase, ist_S, mul, size, raw)


def _drop_leading_ones(a: np.ndarray, ndim: int) -> np.ndarray:
    lead = 0
    while lead < a.ndim - ndim and a.shape[lead] == 1:
        lead += 1
    return a.reshape(a.shape[lead:]) if lead else a


def _broadcastable(src, dst) -> bool:
    return len(src) <= len(dst) and all(s in (1, d) for s, d in zip(reversed(src), reversed(dst)))


def _value_array(self: Tensor, value, cast_tensor: bool) -> np.ndarray:
    """A setitem / index_put value as an array of self's dtype. torch casts scalars (and tensors assigned through
    basic indexing or one mask); a tensor of another dtype through index tensors is an error."""
    if isinstance(value, Tensor):
        if value.dtype is self.dtype:
            return value._data
        if not cast_tensor:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{dtypes.torch_name(self.dtype)} for the destination and "
                               f"{dtypes.torch_name(value.dtype)} for the source.")
        return _cast(value._data, self._data.dtype)
    if isinstance(value, bool | int | float | np.generic):
        return _cast(np.array(value), self._data.dtype)
    from .shape import _legacy_type

    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    raise TypeError(f"can't assign a {name} to a {_legacy_type(self)}")


def _cast(a: np.ndarray, dt: np.dtype) -> np.ndarray:
    if type(a) is CudaArray:
        return _arrays.astype(a, dt)  # (to bool: != 0)
    if dt == np.bool_:
        return a != 0
    with np.errstate(invalid="ignore", over="ignore"):
        return a.astype(dt)


def _index_put(self: Tensor, idx: tuple, src: np.ndarray, accumulate: bool) -> None:
    if accumulate and self._data.dtype.kind == "c":  # a sum of complex values: the real and imaginary parts apart
        from .complex import _part

        if type(src) is CudaArray:
            values = _arrays.astype(src, self._data.dtype)
            parts = _arrays.ascontiguous(values.real), _arrays.ascontiguous(values.imag)
        else:
            values = np.asarray(src, self._data.dtype)
            parts = np.ascontiguousarray(values.real), np.ascontiguousarray(values.imag)
        _index_put(_part(self, 0), idx, parts[0], True)
        _index_put(_part(self, 1), idx, parts[1], True)
        self._bump_version()
        return
    _check_value_device(self._data, src)
    view, dims, arrays = _analyze(self._data, idx)
    if not dims and type(view) is CudaArray:
        src = _drop_leading_ones(src, view.ndim)
        if accumulate:
            src = (Tensor._wrap(view) + (Tensor._wrap(src) if type(src) is CudaArray else src.item()))._data
        _arrays.copy_into(view, src)
        self._bump_version()
        return
    if not dims:  # only basic parts (e.g. 0-d integer tensors): a view
        src = _drop_leading_ones(src, view.ndim)
        if accumulate:
            view[...] = _cast(view + src, view.dtype)
        else:
            view[...] = src
        self._bump_version()
        return
    bshape = _broadcast_indices(arrays)
    S = _indexed_shape(view.shape, dims, bshape)[2]
    src = _drop_leading_ones(src, len(S))
    if not _broadcastable(src.shape, S):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(src.shape)} cannot be broadcast to "
                           f"indexing result of shape {list(S)}")
    for j, (d, a) in enumerate(zip(dims, arrays) if math.prod(bshape) else ()):  # before any write
        bad = _first_bad(a, view.shape[d])
        if bad is not None:
            raise IndexError(f"index {bad} is out of bounds for dimension {j} with size {view.shape[d]}")
    if accumulate:
        work = _arrays.astype(view, _compute_np(view.dtype))
        _scatter("index_put.accumulate", self.dtype, _advanced_plan(work, dims, arrays, bshape, False),
                 _astype_copy(src, work.dtype), K.ADD)
        _write_back(view, work)
    else:
        _scatter("index_put", self.dtype, _advanced_plan(view, dims, arrays, bshape, False), src)
    self._bump_version()


def _to_device(a: np.ndarray, device: int) -> CudaArray:
    """A device copy of host array a (reshaped: _arrays.to_device returns a 0-d array as 1-d)."""
    return _arrays.to_device(a, device).reshape(a.shape)


def _astype_copy(a, dt: np.dtype):
    """a converted to dt, always a new array (so that a scatter never reads what it writes)."""
    if type(a) is CudaArray:
        return _arrays.copy(a) if a.dtype == dt else _arrays.astype(a, dt)
    return a.astype(dt)


def _check_value_device(x, value) -> None:
    """PyTorch's error for a value array on another device than x (a 0-d CPU value joins a CUDA op as a
    scalar)."""
    if type(x) is CudaArray:
        if type(value) is CudaArray and value.device != x.device:
            raise _arrays.mixed_devices(f"cuda:{x.device}", f"cuda:{value.device}")
        if isinstance(value, np.ndarray) and value.ndim:
            raise _arrays.mixed_devices(f"cuda:{x.device}", "cpu")
    elif type(value) is CudaArray:
        raise _arrays.mixed_devices(f"cuda:{value.device}", "cpu")


def _check_devices(*tensors) -> None:
    """PyTorch's error unless every tensor among the arguments (others are skipped) is on one device."""
    first = None
    for t in tensors:
        if isinstance(t, Tensor):
            arr = t._data
            dev = f"cuda:{arr.device}" if type(arr) is CudaArray else "cpu"
            if first is None:
                first = dev
            elif dev != first:
                raise _arrays.mixed_devices(first, dev)


def _mask_positions(mask):
    """(flat uint8 mask, inclusive int64 cumsum of it, count) of a CUDA bool/uint8 mask (any strides); the
    count is read back from the device (a sync)."""
    n = mask.size
    m = _arrays.reshape(_arrays.astype(mask, np.bool_), (n,)).view(np.uint8)
    pos = _arrays.empty((n,), np.int64, mask)
    if n == 0:
        return m, pos, 0
    dispatch.lookup("mask_positions", "cuda", dtypes.uint8)(m.device_array(), pos.device_array())
    return m, pos, int(pos[n - 1:n].copy_to_host()[0])


def _cuda_nonzero(mask) -> CudaArray:
    """The (count, ndim) int64 C-order coordinates of mask's non-zero elements, on the device."""
    m, pos, count = _mask_positions(mask)
    out = _arrays.empty((count, mask.ndim), np.int64, mask)
    if count and mask.ndim:
        dispatch.lookup("nonzero", "cuda", dtypes.int64)(m.device_array(), pos.device_array(), mask.shape,
                                                         out.device_array())
    return out


def _compact(x: np.ndarray, mask: np.ndarray, dt: dtypes.dtype) -> np.ndarray:
    """x[mask] for a mask of x's shape, as a flat array."""
    if type(x) is CudaArray:
        m, pos, count = _mask_positions(mask)
        out = _arrays.empty((count,), x.dtype, x)
        if count:
            xf = _arrays.reshape(x, (x.size,))
            dispatch.lookup("masked_select", "cuda", dt)(_cuda_bits(xf), m.device_array(), pos.device_array(),
                                                         _cuda_bits(out))
        return out
    m = mask if mask.dtype == np.bool_ else mask != 0
    xf = np.ascontiguousarray(x).reshape(-1)
    mf = np.ascontiguousarray(m).reshape(-1)
    count = int(np.count_nonzero(mf))
    out = np.empty(count + 1, x.dtype)
    if count:
        dispatch.lookup("masked_select", "cpu", dt)(_bits(xf), mf.view(np.uint8), _bits(out))
    return out[:count]


_SMALL = 4096  # outputs up to this many elements: NumPy's take has less call overhead than a kernel
_RUN = 128  # NumPy's take copies contiguous runs of this many elements (or more) at least as fast as a kernel


def _numpy_take_ok(x: np.ndarray, d: int, n_index: int) -> bool:
    """Is np.take(x, index, axis=d) (pure data movement) as fast as the gather kernel here?"""
    run = math.prod(x.shape[d + 1:])
    out_size = n_index * run * (x.size // (run * x.shape[d]) if x.size else 0)
    # (np.take is serial: from K.PAR_MIN elements on several threads the parallel kernel copies rows faster)
    return out_size <= _SMALL or (run >= _RUN and x.flags.c_contiguous and _threads_for(out_size) == 1)


_INT64_NP = np.dtype(np.int64)


def _take_rows(x: np.ndarray, i: np.ndarray) -> np.ndarray:
    """x[i] for an int64 index tensor i: rows of x along dim 0."""
    n = x.shape[0]
    if _numpy_take_ok(x, 0, i.size):
        try:
            return x.take(i, 0)  # (np.take's own work, without its Python-level wrapper)
        except IndexError:
            raise IndexError(f"index {_first_bad(i, n)} is out of bounds for dimension 0 with size {n}") from None
    buf, base, st = _buffer(x)
    ibuf, ibase, ist = _buffer(i)
    plan = _Plan(i.shape + x.shape[1:], buf, base, [0] * i.ndim + st[1:], ibuf, ibase, ist + [0] * (x.ndim - 1),
                 st[0], n)
    out, bad = _gather("index", dtypes._FROM_NP[x.dtype], plan)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension 0 with size {n}")
    return out


# ---------------------------------------------------------------------------------------------------------------
# index_put, index_select, gather, take
# ---------------------------------------------------------------------------------------------------------------
def index_put_(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """self[indices] = values (accumulate: +=, repeated indices add up)."""
    _check_index_put(self, indices, values, "index_put_")
    if inplace.involved(self, values):
        _value_array(self, values, cast_tensor=False)
        inplace.check_inplace(self)
        return inplace.commit(self, _index_put_op(inplace.snapshot(self), tuple(indices), values, bool(accumulate),
                                                  copy=False))
    _index_put(self, tuple(indices), _value_array(self, values, cast_tensor=False), accumulate=bool(accumulate))
    return self


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    _check_index_put(input, indices, values, "index_put")
    return _index_put_op(input, tuple(indices), values, bool(accumulate))


def _check_index_put(self: Tensor, indices, values, op: str) -> None:
    check_tensor(self, op, "self")
    if not isinstance(indices, tuple | list):
        raise TypeError(f"index_put_(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    for k, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got {type(i).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    if not indices:
        raise RuntimeError("index_put_(): expected at least one index tensor")
    consumed = sum(i.ndim if i.dtype in (dtypes.bool, dtypes.uint8) else 1 for i in indices)
    if consumed > self.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self.ndim} (got {consumed})")


def _check_index_dtype(index, op: str, allowed, message: str, error=RuntimeError) -> np.ndarray:
    """index as an int64 array, or `error(message)` (message may use {dtype}: torch's name of index's dtype)."""
    check_tensor(index, op, "index")
    if index.dtype not in allowed:
        raise error(message.format(dtype=dtypes.torch_name(index.dtype)))
    return _arrays.astype(index._data, np.int64)


_INT32_64 = (dtypes.int32, dtypes.int64)
_INT64 = (dtypes.int64,)


def _index_select(input: Tensor, dim: int, index: Tensor, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "index_select")
    idx = _check_index_dtype(index, "index_select", _INT32_64, "index_select(): Expected dtype int32 or int64 for "
                             "index")
    _check_devices(input, index)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    x = input._data
    d = _wrap_dim(dim, x.ndim, "index_select")
    if x.ndim == 0:
        if idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        x = x.reshape(1)
    idx = idx.reshape(-1)
    if type(x) is np.ndarray and x.ndim > 1 and d == 1:  # torch's CPU takes its dim-1 kernel (Caffe2's message)
        bad = _first_bad(idx, x.shape[1], negative=False)
        if bad is not None:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={x.shape[1]}")
    if type(x) is np.ndarray and _numpy_take_ok(x, d, idx.size):
        if _first_bad(idx, x.shape[d], negative=False) is not None:
            raise IndexError("index out of range in self")
        res = np.take(x, idx, axis=d)
        return _finish(res.reshape(input.shape) if input.ndim == 0 else res, out, "index_select")
    buf, base, st = _buffer(x)
    ibuf, ibase, ist = _buffer(idx)
    S = list(x.shape)
    S[d] = idx.size
    plan = _Plan(S, buf, base, [0 if k == d else s for k, s in enumerate(st)], ibuf, ibase,
                 [ist[0] if k == d else 0 for k in range(x.ndim)], st[d], x.shape[d], negative=False)
    res, bad = _gather("index_select", input.dtype, plan)
    if bad is not None:
        raise IndexError("index out of range in self")
    res = res.reshape(input.shape) if input.ndim == 0 else res
    return _finish(res, out, "index_select")


def _finish(res: np.ndarray, out: Tensor | None, op: str) -> Tensor:
    if out is None:
        return Tensor._wrap(res)
    from ._util import write_out

    return write_out(out, res, op)


def _dim_plan(x: np.ndarray, d: int, idx: np.ndarray, S, idx_dims, negative: bool = False) -> _Plan:
    """Plan of x[..., idx[...] at dim d, ...] over S; idx's dims sit at idx_dims of S."""
    buf, base, st = _buffer(x)
    ibuf, ibase, ist = _buffer(idx)
    ist_S = [0] * len(S)
    for k, s in zip(idx_dims, ist):
        ist_S[k] = s
    return _Plan(S, buf, base, [0 if k == d else s for k, s in enumerate(st[:len(S)])], ibuf, ibase, ist_S, st[d],
                 x.shape[d], negative=negative)




def _gather_along(input: Tensor, dim: int, index: Tensor, out: Tensor | None, negative: bool) -> Tensor:
    check_tensor(input, "gather")
    idx = _check_index_dtype(index, "gather", _INT32_64, "gather(): Expected dtype int32/int64 for index")
    _check_devices(input, index)
    x = input._data
    d = _wrap_dim(dim, x.ndim, "gather")
    if max(idx.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    x1, i1 = x.reshape(x.shape or (1,)), idx.reshape(idx.shape or (1,))
    for k in range(x1.ndim):
        if k != d and i1.shape[k] > x1.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no larger "
                               f"than self {list(x.shape)} apart from dimension {d}")
    if type(x) is np.ndarray and x.ndim >= 2 and x.size and 0 < idx.size < K.PAR_MIN and x.flags.c_contiguous \
            and idx.flags.c_contiguous:
        res, bad = _gather_small(x, d, idx, negative, dim)
    else:
        res, bad = _gather("gather", input.dtype, _dim_plan(x1, d, i1, i1.shape, range(i1.ndim), negative))
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {x1.shape[d]}")
    return _finish(res.reshape(idx.shape), out, "gather")


# (x's and idx's shapes and dtypes, the dim as given, negative) -> (meta, mul, low, size, kernel, bits) of a gather
# that passed every check: a key found again for C-contiguous host arrays (a size-1 dim's stride, which NumPy
# leaves free, only ever meets index 0) is a valid gather of 2 dims or more, not empty, on the serial kernel
_GATHER_SMALL: dict = {}


def _gather_small(x: np.ndarray, d: int, idx: np.ndarray, negative: bool, dim: int):
    """_gather of a checked serial gather along d (given as `dim`), with the plan's constant part cached."""
    key = (x.shape, idx.shape, x.dtype, idx.dtype, dim, negative)  # (both C-contiguous: the shapes fix the plan)
    entry = _GATHER_SMALL.get(key)
    if entry is None:
        plan = _dim_plan(x, d, idx, idx.shape, range(idx.ndim), negative)
        if len(_GATHER_SMALL) > 4096:
            _GATHER_SMALL.clear()
        entry = _GATHER_SMALL[key] = _gather_small_entry(x, idx, plan)
    return _run_gather_small(x, idx, *entry[:4])  # (the dispatcher: x may be read-only here)


def _gather_small_entry(x: np.ndarray, idx: np.ndarray, plan) -> tuple:
    """(meta, mul, low, size, kernel, bits dtype) of a checked serial gather: kernel is gather_nd's compiled
    overload for the fast path's argument types (flat C-contiguous, aligned, writeable arrays of the key's dtypes,
    ints), found once on a sample call of the real sizes (zero indices: in bounds), so that its calls skip the
    dispatcher's per-call type resolution (see reduction.direct_entry); the fast path checks both arrays' flags."""

    from .reduction import direct_entry

    meta = np.array((plan.S, plan.st, plan.ist), np.int64)
    bits = _BITS[x.itemsize]
    sample = (np.zeros(x.size, bits), 0, np.zeros(idx.size, idx.dtype), 0, plan.mul, plan.low, plan.size,
              np.empty(idx.size, bits), meta)
    return meta, plan.mul, plan.low, plan.size, direct_entry(K.gather_nd, sample), bits


def _run_gather_small(x: np.ndarray, idx: np.ndarray, meta, mul: int, low: int, size: int):
    out = np.empty(idx.shape, x.dtype)
    flag, v = K.gather_nd(_bits(x.reshape(-1)), 0, idx.reshape(-1), 0, mul, low, size, _bits(out.reshape(-1)), meta)
    return out, (int(v) if flag else None)


def _take(input: Tensor, index: Tensor, out: Tensor | None = None) -> Tensor:
    """input.flatten()[index], shaped like index."""
    check_tensor(input, "take")
    idx = _check_index_dtype(index, "take", _INT64, "take(): Expected a long tensor for index, but got {dtype}")
    _check_devices(input, index)
    flat = _arrays.reshape(input._data, -1)  # (a copy on CUDA when no view exists)
    if flat.size == 0 and idx.size:
        raise IndexError("take(): tried to take from an empty tensor")
    buf, base, st = _buffer(flat)  # flat may be a strided view
    ibuf, ibase, ist = _buffer(idx)
    res, bad = _gather("take", input.dtype, _Plan(idx.shape, buf, base, [0] * idx.ndim, ibuf, ibase, ist, st[0],
                                                  flat.size))
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {flat.size} elements.")
    return _finish(res.reshape(idx.shape), out, "take")


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None, *, out: Tensor | None = None) -> Tensor:
    """gather along dim after broadcasting input and indices in the other dims; dim None: over the flattened input.
    With a dim, torch reads every index modulo the dim's size (5 of 4 is 1, -6 is 2); without, it raises
    gather's out-of-bounds error."""
    check_tensor(input, "take_along_dim")
    _check_index_dtype(indices, "take_along_dim", _INT64,
                       "torch.take_along_dim(): dtype of indices should be Long but got {dtype}")
    _check_devices(input, indices)
    if needs_graph(input):
        _check_out_grad(out, "take_along_dim", input)
        return _take_along_dim_recorded(input, indices, dim)
    if dim is None:
        flat = Tensor._wrap(_arrays.reshape(input._data, -1))
        flat_index = Tensor._wrap(_arrays.reshape(indices._data, -1))
        return _gather_along(flat, 0, flat_index, out, negative=True)  # (read only: a view or a copy will do)
    x, idx = input._data, indices._data
    if x.ndim != idx.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, but "
                           f"got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    d = _wrap_dim(dim, x.ndim, "take_along_dim")
    sizes = list(x.shape)
    if x.ndim:
        sizes[d] = idx.shape[d]
    shape = infer_size(sizes, idx.shape)
    xsizes = list(shape)
    if x.ndim:
        xsizes[d] = x.shape[d]
    idx = _modulo_indices(idx, x.shape[d] if x.ndim else 1)
    return _gather_along(Tensor._wrap(_broadcast(x, xsizes)), d, Tensor._wrap(_broadcast(idx, shape)), out,
                         negative=True)


def _modulo_indices(idx, n: int):
    """idx read modulo n (Python's sign rule), as torch's take_along_dim reads indices along its dim; an array
    already in [-n, n) is returned as it is (gather takes negative indices there)."""
    if n == 0 or idx.size == 0:
        return idx
    if type(idx) is CudaArray:
        return (Tensor._wrap(idx) % n)._data
    return idx if _first_bad(idx, n) is None else np.mod(idx, n)


# ---------------------------------------------------------------------------------------------------------------
# scatter family
# ---------------------------------------------------------------------------------------------------------------
def _identity(reduce: str, dt: np.dtype):
    if reduce in ("sum", "mean"):
        return np.zeros((), dt)
    if reduce == "prod":
        return np.ones((), dt)
    big = np.inf if dt.kind == "f" else np.iinfo(dt).max
    return np.array(-big if reduce == "amax" else big, dt) if dt.kind == "f" else \
        np.array(np.iinfo(dt).min if reduce == "amax" else big, dt)


def _scatter_impl(self: Tensor, op: str, dim: int, index: Tensor, src, reduce: str | None,
                  include_self: bool = True) -> Tensor:
    """The in-place scatter family: self[p with p[dim] = index[p]] (reduce)= src[p] over index's shape."""
    check_tensor(self, op, "self")
    if reduce in ("sum", "mean") and self.is_complex() and (not isinstance(src, Tensor) or src.dtype is self.dtype):
        from .complex import _part  # linear reductions of complex values: the real and imaginary parts apart

        for which in (0, 1):
            part = _part(src, which) if isinstance(src, Tensor) else (complex(src).real, complex(src).imag)[which]
            _scatter_impl(_part(self, which), op, dim, index, part, reduce, include_self)
        self._bump_version()
        return self
    idx = _check_index_dtype(index, op, _INT32_64, "scatter(): Expected dtype int32/int64 for index")
    _check_devices(self, index, src)
    x = self._data
    d = _wrap_dim(dim, x.ndim, op)
    if max(idx.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    x1, i1 = x.reshape(x.shape or (1,)), idx.reshape(idx.shape or (1,))
    if isinstance(src, Tensor):
        if src.dtype is not self.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        s = src._data
        if max(s.ndim, 1) != x1.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        s = s.reshape(s.shape or (1,))
    elif is_scalar(src):
        s = None
    else:
        raise TypeError(f"{op}(): argument 'src' must be Tensor or a number, not {type(src).__name__}")
    for k in range(x1.ndim):
        if (k != d and i1.shape[k] > x1.shape[k]) or (s is not None and i1.shape[k] > s.shape[k]):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} apart from "
                               f"dimension {d}" + (f" and to be no larger size than src {list(src.shape)}"
                                                   if s is not None else ""))
    bad = _first_bad(i1, x1.shape[d], negative=False)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {x1.shape[d]}")
    if s is not None:
        s = s[tuple(slice(0, n) for n in i1.shape)]
    else:
        s = _cast(np.array(src), x.dtype)
    dims = range(i1.ndim)
    if reduce is None:
        _scatter("scatter", self.dtype, _dim_plan(x1, d, i1, i1.shape, dims), s)
    else:
        cd = _compute_np(x.dtype)
        work = _arrays.astype(x1, cd)
        plan = _dim_plan(work, d, i1, i1.shape, dims)
        if not include_self:
            _scatter("scatter", self.dtype, plan, _identity(reduce, cd))
        _scatter("scatter_reduce", self.dtype, plan, _arrays.astype(s, cd), _REDUCE_CODES[reduce], d, work)
        if reduce == "mean" and type(work) is CudaArray:
            _cuda_mean(self.dtype, work, d, i1, include_self)
        elif reduce == "mean":
            counts = np.zeros(work.shape, cd)
            _scatter("scatter_reduce", self.dtype, _dim_plan(counts, d, i1, i1.shape, dims), np.ones((), cd), K.ADD,
                     d, counts)
            counts += include_self
            np.maximum(counts, 1, out=counts)
            if cd.kind == "f":
                np.divide(work, counts, out=work)
            else:  # torch sums in the dtype (wrapping), then floors the division
                work[...] = work.astype(x.dtype).astype(cd)
                np.floor_divide(work, counts, out=work)
        _write_back(x1, work)
    self._bump_version()
    return self


def _cuda_mean(dt: dtypes.dtype, work, d: int, i1, include_self: bool) -> None:
    """work (the scattered sums, on the device) /= the number of values each element got (integers floor)."""
    counts = _arrays.empty(work.shape, work.dtype, work)
    _arrays.copy_into(counts, int(include_self))
    _scatter("scatter_reduce", dt, _dim_plan(counts, d, i1, i1.shape, range(i1.ndim)), np.ones((), work.dtype),
             K.ADD)
    # (apply directly: pointwise's integer zero-division check reads a CUDA tensor on the host; counts are >= 1)
    n = Tensor._wrap(counts).clamp(min=1)
    mean = apply("div" if work.dtype.kind == "f" else "div_floor", Tensor._wrap(work), n)
    _arrays.copy_into(work, mean._data)


def _copy(t: Tensor, op: str) -> Tensor:
    """A fresh copy of t for an out-of-place op (NumPy's copy is serial: a large one runs in parallel)."""
    x = check_tensor(t, op)._data
    if type(x) is CudaArray:
        return Tensor._wrap(_arrays.copy(x))
    if x.flags.c_contiguous and _threads_for(x.size) > 1:
        res = np.empty_like(x)
        dispatch.lookup("indexing.copy.parallel", "cpu", t.dtype)(_bits(res.reshape(-1)), _bits(x.reshape(-1)))
        return Tensor._wrap(res)
    return Tensor._wrap(x.copy())


# ---------------------------------------------------------------------------------------------------------------
# index_add / index_copy / index_fill: a 1-d index along dim
# ---------------------------------------------------------------------------------------------------------------
def _along_dim_plan(x1: np.ndarray, d: int, idx: np.ndarray, S, negative: bool = False) -> _Plan:
    return _dim_plan(x1, d, idx, S, (d,), negative)


def _index_add_raw(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """self[..., index[i], ...] += alpha * source[..., i, ...]; repeated indices add up."""
    check_tensor(self, "index_add_", "self")
    check_tensor(source, "index_add_", "source")
    if self.is_complex() and source.dtype is self.dtype:  # the real and imaginary parts apart
        from .complex import _part

        src = source if alpha == 1 else Tensor._wrap(source._data * alpha)
        for which in (0, 1):
            _index_add_raw(_part(self, which), dim, index, _part(src, which))
        return self
    idx = _check_index_dtype(index, "index_add_", _INT32_64,
                             "index_add_(): Expected dtype int32/int64 for index but got: {dtype}")
    _check_devices(self, index, source)
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{dtypes.torch_name(index.dtype)} and size: {list(idx.shape)}")
    x, s = self._data, source._data
    d = _wrap_dim(dim, x.ndim, "index_add_")
    if s.ndim > d and idx.size != s.shape[d]:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({s.shape[d]}), for dim: {d}")
    if s.ndim != x.ndim or any(a != b for k, (a, b) in enumerate(zip(x.shape, s.shape)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(x.shape)} source.shape = {list(s.shape)}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_add_(): self ({dtypes.torch_name(self.dtype)}) and source "
                           f"({dtypes.torch_name(source.dtype)}) must have the same scalar type")
    x1, s1, i1 = x.reshape(x.shape or (1,)), s.reshape(s.shape or (1,)), idx.reshape(-1)
    if s.ndim == 0 and i1.size != 1:
        raise RuntimeError(f"index_add_(): Number of indices ({i1.size}) should be equal to source.size(dim): (1), "
                           f"for dim: {d}")
    bad = _first_bad(i1, x1.shape[d], negative=False)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {x1.shape[d]}")
    cd = _compute_np(x.dtype)
    work = _arrays.astype(x1, cd)
    src = _arrays.astype(s1, cd)
    if alpha != 1:
        a = float(alpha) if cd.kind == "f" else int(alpha)
        src = (Tensor._wrap(src) * a)._data if type(src) is CudaArray else src * a
        src = _arrays.astype(src, cd)
    _scatter("index_add", self.dtype, _along_dim_plan(work, d, i1, s1.shape), src, K.ADD, d, work)
    _write_back(x1, work)
    self._bump_version()
    return self


def _index_copy_raw(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """self[..., index[i], ...] = source[..., i, ...]; with repeated indices the last copy wins."""
    check_tensor(self, "index_copy_", "self")
    check_tensor(source, "index_copy_", "source")
    idx = _check_index_dtype(index, "index_copy_", _INT64, "index_copy_(): Expected a long tensor for index, but got "
                             "{dtype}")
    _check_devices(self, index, source)
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    x, s = self._data, source._data
    d = _wrap_dim(dim, x.ndim, "index_copy_")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{dtypes.torch_name(self.dtype)} and (source) {dtypes.torch_name(source.dtype)}")
    x1, s1, i1 = x.reshape(x.shape or (1,)), s.reshape(s.shape or (1,)), idx.reshape(-1)
    if s1.ndim > d and i1.size != s1.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({i1.size}) should be equal to source.size(dim) "
                         f"({s1.shape[d]})")
    if s1.ndim != x1.ndim or any(a != b for k, (a, b) in enumerate(zip(x1.shape, s1.shape)) if k != d):
        dst_slice = " ".join(str(n) for k, n in enumerate(x1.shape) if k != d)
        src_slice = " ".join(str(n) for k, n in enumerate(s1.shape) if k != d)
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                           f"shape: {dst_slice} at dimension {d} and source slice shape: {src_slice} at dimension 0.")
    bad = _first_bad(i1, x1.shape[d], negative=False)
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {d} with size {x1.shape[d]}")
    _scatter("index_copy", self.dtype, _along_dim_plan(x1, d, i1, s1.shape), s1)
    self._bump_version()
    return self


def _index_fill_raw(self: Tensor, dim: int, index: Tensor, value) -> Tensor:
    check_tensor(self, "index_fill_", "self")
    idx = _check_index_dtype(index, "index_fill_", _INT64, "index_fill_(): Expected dtype int64 for index.",
                             IndexError)
    _check_devices(self, index)
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        value = value.item()
    x = self._data
    d = _wrap_dim(dim, x.ndim, "index_fill_")
    x1, i1 = x.reshape(x.shape or (1,)), idx.reshape(-1)
    bad = _first_bad(i1, x1.shape[d])
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {x1.shape[d]}")
    S = list(x1.shape)
    S[d] = i1.size
    _scatter("index_fill", self.dtype, _along_dim_plan(x1, d, i1, S, negative=True), _value_array(self, value, True))
    self._bump_version()
    return self


# ---------------------------------------------------------------------------------------------------------------
# put, masked_select, masked_scatter, nonzero
# ---------------------------------------------------------------------------------------------------------------
def _flat_plan(x: np.ndarray, idx: np.ndarray) -> _Plan:
    """Plan of x.flatten()[idx] = ... for any layout of x (offsets computed when x is not contiguous)."""
    n = x.size
    if x.flags.c_contiguous:
        ibuf, ibase, ist = _buffer(idx)
        return _Plan((idx.size,), x.reshape(-1), 0, [0], ibuf, ibase, ist, 1, n)
    buf, base, st = _buffer(x)
    pos = np.unravel_index(np.where(idx < 0, idx + n, idx), x.shape)
    offsets = np.zeros(idx.size, np.int64)
    for p, s in zip(pos, st):
        offsets += p * s
    return _Plan((idx.size,), buf, base, [0], offsets, 0, [1], 1, 0, raw=True)


def _put_raw(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """self.flatten()[index] = source.flatten() (accumulate: +=)."""
    check_tensor(self, "put_", "self")
    check_tensor(source, "put_", "source")
    if accumulate and self.is_complex() and source.dtype is self.dtype:  # the real and imaginary parts apart
        from .complex import _part

        for which in (0, 1):
            _put_raw(_part(self, which), index, _part(source, which), True)
        self._bump_version()
        return self
    idx = _check_index_dtype(index, "put_", _INT64, "put_(): Expected a long tensor for index, but got {dtype}")
    _check_devices(self, index, source)
    if source.dtype is not self.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{dtypes.torch_name(self.dtype)} and source.dtype = {dtypes.torch_name(source.dtype)}")
    if source.numel() != idx.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source.numel()}, index.numel() = {idx.size}")
    x = self._data
    if x.size == 0 and idx.size:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    idx = _arrays.reshape(idx, -1)
    bad = _first_bad(idx, x.size)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {x.size} elements.")
    src = _arrays.reshape(source._data, -1)
    # (on CUDA a non-contiguous self is written through a C-order copy: the flat plan needs C order there)
    t = x if type(x) is np.ndarray or x.flags.c_contiguous else _arrays.copy(x)
    if accumulate:
        cd = _compute_np(t.dtype)
        work = _arrays.astype(t, cd)
        _scatter("put.accumulate", self.dtype, _flat_plan(work, idx), _arrays.astype(src, cd), K.ADD)
        _write_back(t, work)
    else:
        _scatter("put", self.dtype, _flat_plan(t, idx), src)
    _write_back(x, t)
    self._bump_version()
    return self


def _masked_select(input: Tensor, mask: Tensor, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "masked_select")
    check_tensor(mask, "masked_select", "mask")
    if mask.dtype is not dtypes.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    _check_devices(input, mask)
    shape = infer_size(input.shape, mask.shape)
    return _finish(_compact(_broadcast(input._data, shape), _broadcast(mask._data, shape), input.dtype), out,
                   "masked_select")


def _masked_scatter_raw(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """self[mask] = the first mask.sum() elements of source, in order."""
    check_tensor(self, "masked_scatter_", "self")
    check_tensor(mask, "masked_scatter_", "mask")
    check_tensor(source, "masked_scatter_", "source")
    if mask.dtype is not dtypes.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{dtypes.torch_name(mask.dtype)}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{dtypes.torch_name(self.dtype)} and {dtypes.torch_name(source.dtype)}")
    x = self._data
    _check_masked_scatter_shape(self, mask)
    if type(x) is CudaArray or type(mask._data) is CudaArray or type(source._data) is CudaArray:
        return _cuda_masked_scatter(self, mask, source)
    m = np.ascontiguousarray(_broadcast(mask._data, x.shape)).reshape(-1)
    count = int(np.count_nonzero(m))
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if count:
        src = source._data.reshape(-1)[:count]
        src = np.ascontiguousarray(src)
        work = x.reshape(-1) if x.flags.c_contiguous else x.copy().reshape(-1)
        dispatch.lookup("masked_scatter", "cpu", self.dtype)(_bits(work), m.view(np.uint8), _bits(src))
        if not x.flags.c_contiguous:
            x[...] = work.reshape(x.shape)
    self._bump_version()
    return self


def _cuda_masked_scatter(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """_masked_scatter_raw on the device: the mask's count (a sync) is checked before anything is written."""
    _check_devices(self, mask, source)
    x = self._data
    m, pos, count = _mask_positions(_broadcast(mask._data, x.shape))
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if count:
        src = _arrays.reshape(source._data, (source.numel(),))
        work = x if x.flags.c_contiguous else _arrays.copy(x)
        dispatch.lookup("masked_scatter", "cuda", self.dtype)(_cuda_bits(work.reshape((x.size,))), m.device_array(),
                                                              pos.device_array(), _cuda_bits(src))
        if work is not x:
            _arrays.copy_into(x, work)
    self._bump_version()
    return self


# ---------------------------------------------------------------------------------------------------------------
# public gather/scatter ops with their backward formulas (written with these same ops, so they record too)
# ---------------------------------------------------------------------------------------------------------------
def _check_out_grad(out: Tensor | None, op: str, *tensors) -> None:
    """torch's error for an out= call whose inputs take part in autograd."""
    if out is not None and needs_graph(*tensors):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")


def _inplace(self: Tensor, others: tuple, out_of_place, *args, **kwargs):
    """An in-place op under autograd: computed out of place on a snapshot of self, then committed."""
    if inplace.involved(self, *others):
        inplace.check_inplace(self)
        return inplace.commit(self, out_of_place(inplace.snapshot(self), *args, **kwargs))
    self._check_writable()
    return None


def _fit(g: Tensor, shape: tuple) -> Tensor:
    """A gradient over index's shape brought to a source's shape: reshaped (0-d cases) or zero-padded where the
    source is larger than the index (those elements were not read)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    if g.numel() == math.prod(shape) and (g.ndim == 0 or len(shape) == 0):
        return g.reshape(shape)
    g = g.reshape(g.shape or (1,)) if len(shape) else g
    padded = g.new_zeros(shape)
    padded[tuple(slice(0, n) for n in g.shape)] = g
    return padded


def _index_part(src: Tensor, index: Tensor) -> Tensor:
    """The part of a scatter's src that index reads (src may be larger in every dim)."""
    s = src.reshape(src.shape or (1,)) if src.ndim != index.ndim else src
    if tuple(s.shape) != tuple(index.shape):
        s = s[tuple(slice(0, n) for n in index.shape)]
    return s.reshape(index.shape)


def index_select(input: Tensor, dim: int, index: Tensor, *, out: Tensor | None = None) -> Tensor:
    _check_out_grad(out, "index_select", input)
    res = _index_select(input, dim, index, out)
    if needs_graph(input):
        node = record("IndexSelectBackward0", _index_select_backward, (input,), (res,))
        node.shape, node.dim, node.index = tuple(input.shape), _wrap_dim(dim, input.ndim, "index_select"), index
    return res


def _index_select_backward(c, g: Tensor) -> Tensor:
    return index_add(g.new_zeros(c.shape), c.dim, c.index, g.reshape(c.shape) if not c.shape else g)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """out[p] = input[p with p[dim] = index[p]]; index may be smaller than input in the other dims and may not
    be negative (as in torch)."""
    res = None
    if out is None and type(input) is Tensor and type(index) is Tensor and type(dim) is int:
        x, i = input._data, index._data
        if type(x) is np.ndarray and type(i) is np.ndarray:
            fx, fi = x.flags, i.flags
            entry = _GATHER_SMALL.get((x.shape, i.shape, x.dtype, i.dtype, dim, False)) \
                if fx.c_contiguous and fi.c_contiguous else None
            if entry is not None:  # (checked when the entry was made): _run_gather_small, inlined
                meta, mul, low, size, kernel, bits = entry
                if not (fx.writeable and fx.aligned and fi.writeable and fi.aligned):
                    kernel = K.gather_nd  # (other Numba array types than the direct overload's)
                arr = np.empty(i.shape, x.dtype)
                flat = arr.ravel()  # (_bits, inlined; the arrays are C-contiguous: ravel is a view)
                xf = input._flat
                if xf is None:  # (cached as the elementwise fast paths cache it)
                    xf = input._flat = x.ravel()
                flag, bad = kernel(xf.view(bits), 0, i.ravel(), 0, mul, low, size, flat.view(bits), meta)
                if flag:
                    d = _wrap_dim(dim, x.ndim, "gather")
                    raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {x.shape[d]}")
                res = Tensor._wrap_result(arr, flat)
    if res is None:
        _check_out_grad(out, "gather", input)
        res = _gather_along(input, dim, index, out, negative=False)
    if grad_mode.STATE.enabled and input._requires_grad:  # (needs_graph(input))
        node = record("GatherBackward0", _gather_backward, (input,), (res,))
        node.shape, node.dim, node.index = tuple(input.shape), _wrap_dim(dim, input.ndim, "gather"), index
    return res


gather.cuda_complete = True  # (its CUDA path is whole: no cuda_pending wrapper)


def _gather_backward(c, g: Tensor) -> Tensor:
    return scatter_add(g.new_zeros(c.shape), c.dim, c.index, g)


def _take_along_dim_recorded(input: Tensor, indices: Tensor, dim: int | None) -> Tensor:
    """take_along_dim under autograd: torch's composition (broadcast, then gather on non-negative indices)."""
    from .shape import expand

    if dim is None:
        flat = input.reshape(-1)
        idx = _arrays.reshape(indices._data, -1)
        return gather(flat, 0, _wrap_negative(idx, flat.shape[0]))
    x, idx = input._data, indices._data
    if x.ndim != idx.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, but "
                           f"got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    d = _wrap_dim(dim, x.ndim, "take_along_dim")
    sizes = list(x.shape)
    if x.ndim:
        sizes[d] = idx.shape[d]
    shape = infer_size(sizes, idx.shape)
    xsizes = list(shape)
    if x.ndim:
        xsizes[d] = x.shape[d]
    n = x.shape[d] if x.ndim else 1
    idx = _broadcast(_modulo_indices(idx, n), shape)
    return gather(expand(input, tuple(xsizes)), d, _wrap_negative(idx, n))


def _wrap_negative(idx, n: int) -> Tensor:
    """idx with n added to its negative values (on CUDA with device ops)."""
    if type(idx) is CudaArray:
        from .pointwise import where

        t = Tensor._wrap(idx)
        return where(t < 0, t + n, t)
    return Tensor._wrap(np.where(idx < 0, idx + n, idx))


def take(input: Tensor, index: Tensor, *, out: Tensor | None = None) -> Tensor:
    """input.flatten()[index], shaped like index."""
    _check_out_grad(out, "take", input)
    res = _take(input, index, out)
    if needs_graph(input):
        node = record("TakeBackward0", _take_backward, (input,), (res,))
        node.shape, node.index = tuple(input.shape), index
    return res


def _take_backward(c, g: Tensor) -> Tensor:
    return put(g.new_zeros(c.shape), c.index, g, accumulate=True)


def masked_select(input: Tensor, mask: Tensor, *, out: Tensor | None = None) -> Tensor:
    _check_out_grad(out, "masked_select", input)
    res = _masked_select(input, mask, out)
    if needs_graph(input):
        node = record("MaskedSelectBackward0", _masked_select_backward, (input,), (res,))
        node.shape, node.mask = tuple(input.shape), mask
        node.bshape = infer_size(input.shape, mask.shape)
    return res


def _masked_select_backward(c, g: Tensor) -> Tensor:
    from .elementwise import sum_to

    return sum_to(masked_scatter(g.new_zeros(c.bshape), c.mask, g), c.shape, g.dtype)


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """self[mask] = the first mask.sum() elements of source, in order."""
    if isinstance(mask, Tensor) and inplace.involved(self, source):
        _check_masked_scatter_shape(self, mask)  # the out-of-place form would broadcast self to the mask
    res = _inplace(self, (source,), masked_scatter, mask, source)
    return _masked_scatter_raw(self, mask, source) if res is None else res


def _check_masked_scatter_shape(self: Tensor, mask: Tensor) -> None:
    if infer_size(self.shape, mask.shape) != tuple(self.shape):
        raise RuntimeError(f"masked_scatter_: mask of shape {list(mask.shape)} does not broadcast to self's shape "
                           f"{list(self.shape)}")


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    check_tensor(input, "masked_scatter")
    check_tensor(mask, "masked_scatter", "mask")
    shape = infer_size(input.shape, mask.shape)
    res = _masked_scatter_raw(Tensor._wrap(_arrays.copy(_broadcast(input._data, shape))), mask, source)
    if needs_graph(input, source):
        node = record("MaskedScatterBackward0", _masked_scatter_backward, (input, source), (res,))
        node.shape, node.mask, node.source_shape = tuple(input.shape), mask, tuple(source.shape)
    return res


def _masked_scatter_backward(c, g: Tensor):
    from .conversion import masked_fill
    from .elementwise import sum_to

    gi = gs = None
    if c.needs_input_grad[0]:
        gi = sum_to(masked_fill(g, c.mask, 0.0), c.shape, g.dtype)
    if c.needs_input_grad[1]:
        from .joins import cat

        picked = masked_select(g, c.mask)
        rest = math.prod(c.source_shape) - picked.shape[0]
        gs = (cat([picked, picked.new_zeros(rest)]) if rest else picked).reshape(c.source_shape)
    return gi, gs


# -- scatter family: self / src gradients as in torch's derivatives.yaml --------------------------------------
_SCATTER_REDUCE_ARG = {None: None, "add": "sum", "multiply": "prod"}


def _check_scatter_reduce_arg(reduce) -> None:
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")


def scatter_(self: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None) -> Tensor:
    if src is None:
        src = value
    _check_scatter_reduce_arg(reduce)
    res = _inplace(self, (src,), scatter, dim, index, src, reduce=reduce)
    return _scatter_impl(self, "scatter_", dim, index, src, _SCATTER_REDUCE_ARG[reduce]) if res is None else res


@takes_out("scatter")
def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None) -> Tensor:
    if src is None:
        src = value
    _check_scatter_reduce_arg(reduce)
    res = _scatter_impl(_copy(input, "scatter"), "scatter_", dim, index, src, _SCATTER_REDUCE_ARG[reduce])
    st = src if isinstance(src, Tensor) else None
    if needs_graph(input, st):
        if reduce is not None:  # torch has no derivative for scatter's legacy reduce argument either
            node = record("ScatterBackward0", _not_implemented_backward, (input, st), (res,))
            node.op = "scatter"
        else:
            node = record("ScatterBackward0" if st is not None else "ScatterBackward1", _scatter_backward,
                          (input, st), (res,))
        node.dim, node.index = _wrap_dim(dim, input.ndim, "scatter"), index
        node.src_shape = None if st is None else tuple(st.shape)
    return res


def _not_implemented_backward(c, g: Tensor):
    raise RuntimeError(f"derivative for aten::{c.op} is not implemented")


def _scatter_backward(c, g: Tensor):
    gs = scatter(g, c.dim, c.index, 0.0) if c.needs_input_grad[0] else None
    gsrc = _fit(gather(g, c.dim, c.index), c.src_shape) if c.src_shape is not None and c.needs_input_grad[1] \
        else None
    return gs, gsrc


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    check_tensor(src, "scatter_add_", "src")
    res = _inplace(self, (src,), scatter_add, dim, index, src)
    return _scatter_impl(self, "scatter_add_", dim, index, src, "sum") if res is None else res


@takes_out("scatter_add")
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    check_tensor(src, "scatter_add_", "src")
    res = _scatter_impl(_copy(input, "scatter_add"), "scatter_add_", dim, index, src, "sum")
    if needs_graph(input, src):
        node = record("ScatterAddBackward0", _scatter_add_backward, (input, src), (res,))
        node.dim, node.index, node.src_shape = _wrap_dim(dim, input.ndim, "scatter_add"), index, tuple(src.shape)
    return res


def _scatter_add_backward(c, g: Tensor):
    return g, _fit(gather(g, c.dim, c.index), c.src_shape) if c.needs_input_grad[1] else None


def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """reduce: sum, prod, mean (integer mean floors, as torch), amax, amin (NaN propagates); include_self=False
    leaves self's values out at the scattered positions."""
    res = _inplace(self, (src,), scatter_reduce, dim, index, src, reduce, include_self=include_self)
    return _scatter_reduce_raw(self, dim, index, src, reduce, include_self) if res is None else res


def _scatter_reduce_raw(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, include_self) -> Tensor:
    check_tensor(src, "scatter_reduce_", "src")
    if reduce not in _REDUCE_CODES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if reduce == "mean" and self.dtype is dtypes.bool:
        raise NotImplementedError("\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'")
    return _scatter_impl(self, "scatter_reduce_", dim, index, src, reduce, bool(include_self))


@takes_out("scatter_reduce")
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    res = _scatter_reduce_raw(_copy(input, "scatter_reduce"), dim, index, src, reduce, include_self)
    if needs_graph(input, src):
        node = record("ScatterReduceBackward0", _scatter_reduce_backward, (input, src), (res,),
                      saved=(input, src, res) if reduce in ("amax", "amin", "prod") else ())
        node.dim, node.index, node.src_shape = _wrap_dim(dim, input.ndim, "scatter_reduce"), index, tuple(src.shape)
        node.reduce, node.include_self = reduce, bool(include_self)
    return res


def _scatter_reduce_backward(c, g: Tensor):
    """torch's scatter_reduce_backward (FunctionsManual.cpp): sum and mean directly; amax/amin share the
    gradient evenly among the elements equal to the result; prod divides the result by each factor, with
    single zeros handled by recomputing the product without them."""
    from .pointwise import where

    dim, index = c.dim, c.index
    if c.reduce == "sum":
        grad_self, grad_src = g, gather(g, dim, index)
    elif c.reduce == "mean":
        n = g.new_ones(g.shape) if c.include_self else g.new_zeros(g.shape)
        n = scatter_add(n, dim, index, g.new_ones(index.shape))
        n = n.masked_fill(n == 0, 1.0)
        grad_self = g / n
        grad_src = gather(grad_self, dim, index)
    elif c.reduce in ("amax", "amin"):
        self_, src, result = c.saved_tensors
        src = _index_part(src, index)
        value = gather(result, dim, index)
        self_is = (self_ == result).to(g.dtype)
        src_is = (src == value).to(g.dtype)
        spread = g / scatter_add(self_is, dim, index, src_is)
        grad_self = self_is * spread
        grad_src = src_is * gather(spread, dim, index)
    else:  # prod
        self_, src, result = c.saved_tensors
        src = _index_part(src, index)
        masked_self = self_.masked_fill(self_ == 0, 1.0)
        grad_self = g * scatter_reduce(masked_self, dim, index, src, "prod", include_self=c.include_self) / masked_self
        src_zero = src == 0
        zeros_per_target = gather(scatter_add(g.new_zeros(self_.shape), dim, index, src_zero.to(g.dtype)), dim, index)
        single_zero = src_zero & (zeros_per_target == 1)
        without_zero = scatter_reduce(self_, dim, index, src.masked_fill(single_zero, 1.0), "prod",
                                      include_self=c.include_self)
        grad_src = where(single_zero, gather(g * without_zero, dim, index),
                         gather(g * result, dim, index) / src.masked_fill(src_zero, 1.0))
    if not c.include_self:
        grad_self = scatter(grad_self, dim, index, 0.0)
    return (grad_self if c.needs_input_grad[0] else None,
            _fit(grad_src, c.src_shape) if c.needs_input_grad[1] else None)


# -- index_add / index_copy / index_fill / put ------------------------------------------------------------------
def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """self[..., index[i], ...] += alpha * source[..., i, ...]; repeated indices add up."""
    res = _inplace(self, (source,), index_add, dim, index, source, alpha=alpha)
    return _index_add_raw(self, dim, index, source, alpha=alpha) if res is None else res


@takes_out("index_add")
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    res = _index_add_raw(_copy(input, "index_add"), dim, index, source, alpha=alpha)
    if needs_graph(input, source):
        node = record("IndexAddBackward0", _index_add_backward, (input, source), (res,))
        node.dim, node.index, node.alpha = _wrap_dim(dim, input.ndim, "index_add"), index, alpha
        node.source_shape = tuple(source.shape)
    return res


def _index_add_backward(c, g: Tensor):
    gs = None
    if c.needs_input_grad[1]:
        gs = index_select(g, c.dim, c.index).reshape(c.source_shape)
        alpha = c.alpha.conjugate() if isinstance(c.alpha, complex) else c.alpha  # (complex: grad * conj(alpha))
        gs = gs * alpha if alpha != 1 else gs
    return g, gs


def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """self[..., index[i], ...] = source[..., i, ...]; with repeated indices the last copy wins."""
    res = _inplace(self, (source,), index_copy, dim, index, source)
    return _index_copy_raw(self, dim, index, source) if res is None else res


@takes_out("index_copy")
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    res = _index_copy_raw(_copy(input, "index_copy"), dim, index, source)
    if needs_graph(input, source):
        node = record("IndexCopyBackward0", _index_copy_backward, (input, source), (res,))
        node.dim, node.index, node.source_shape = _wrap_dim(dim, input.ndim, "index_copy"), index, tuple(source.shape)
    return res


def _index_copy_backward(c, g: Tensor):
    gi = index_fill(g, c.dim, c.index, 0.0) if c.needs_input_grad[0] else None
    gs = index_select(g, c.dim, c.index).reshape(c.source_shape) if c.needs_input_grad[1] else None
    return gi, gs


def index_fill_(self: Tensor, dim: int, index: Tensor, value) -> Tensor:
    res = _inplace(self, (value,), index_fill, dim, index, value)
    return _index_fill_raw(self, dim, index, value) if res is None else res


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    res = _index_fill_raw(_copy(input, "index_fill"), dim, index, value)
    vt = value if isinstance(value, Tensor) else None
    if needs_graph(input, vt):
        node = record("IndexFillBackward0" if vt is None else "IndexFillBackward1", _index_fill_backward, (input, vt),
                      (res,))
        node.dim, node.index = _wrap_dim(dim, input.ndim, "index_fill"), index
        node.value_dtype = None if vt is None else vt.dtype
    return res


def _index_fill_backward(c, g: Tensor):
    gi = index_fill(g, c.dim, c.index, 0.0) if c.needs_input_grad[0] else None
    gv = None
    if c.value_dtype is not None and c.needs_input_grad[1]:
        n = g.shape[c.dim] if g.ndim else 1
        i = c.index._data.reshape(-1).astype(np.int64)
        filled = Tensor._wrap(np.unique(np.where(i < 0, i + n, i)))  # each filled position counts once
        gv = index_select(g, c.dim, filled).sum().to(c.value_dtype)
    return gi, gv


def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """self.flatten()[index] = source.flatten() (accumulate: +=)."""
    res = _inplace(self, (source,), put, index, source, accumulate)
    return _put_raw(self, index, source, accumulate) if res is None else res


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    res = _put_raw(_copy(input, "put"), index, source, accumulate)
    if needs_graph(input, source):
        node = record("PutBackward0", _put_backward, (input, source), (res,))
        node.index, node.accumulate, node.source_shape = index, bool(accumulate), tuple(source.shape)
    return res


def _put_backward(c, g: Tensor):
    gi = None
    if c.needs_input_grad[0]:
        gi = g if c.accumulate else put(g, c.index, g.new_zeros(c.source_shape))
    gs = take(g, c.index).reshape(c.source_shape) if c.needs_input_grad[1] else None
    return gi, gs


def nonzero(input: Tensor, *, out: Tensor | None = None, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-d tensor per dim (as_tuple; a 0-d
    input counts as 1-d there, as in torch)."""
    x = check_tensor(input, "nonzero")._data
    if out is not None and out.dtype is not dtypes.int64:  # torch's message has no space before the dtype
        raise RuntimeError("nonzero: Expected out tensor to have scalar type Long but got scalar type"
                           f"{dtypes.torch_name(out.dtype)}")
    if type(x) is CudaArray:
        if as_tuple:  # a 0-d input counts as 1-d; the columns of the coordinates, as torch's unbind(1)
            coords = _cuda_nonzero(x.reshape(x.shape or (1,)))
            return tuple(Tensor._wrap(coords[:, j]) for j in range(coords.shape[1]))
        return _finish(_cuda_nonzero(x), out, "nonzero")
    if as_tuple:
        # one (ndim, n) buffer, so each returned tensor is contiguous (NumPy's nonzero gives strided columns)
        coords = np.ascontiguousarray(np.argwhere(x.reshape(x.shape or (1,))).T, dtype=np.int64)
        return tuple(Tensor._wrap(c) for c in coords)
    return _finish(np.argwhere(x).astype(np.int64, copy=False), out, "nonzero")


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
_BOTH = {
    "nonzero": nonzero, "argwhere": argwhere, "index_select": index_select, "gather": gather, "take": take,
    "take_along_dim": take_along_dim, "masked_select": masked_select, "masked_scatter": masked_scatter,
    "scatter": scatter, "scatter_add": scatter_add, "scatter_reduce": scatter_reduce, "index_add": index_add,
    "index_copy": index_copy, "index_fill": index_fill, "index_put": index_put, "index_put_": index_put_,
    "put": put,
}
FUNCTIONS: dict = dict(_BOTH)
METHODS: dict = _BOTH | {
    "__getitem__": getitem, "__setitem__": setitem, "scatter_": scatter_, "scatter_add_": scatter_add_,
    "scatter_reduce_": scatter_reduce_, "index_add_": index_add_, "index_copy_": index_copy_,
    "index_fill_": index_fill_, "masked_scatter_": masked_scatter_, "put_": put_,
}
