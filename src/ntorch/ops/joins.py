"""Joins and splits: cat/stack/hstack/vstack/dstack/column_stack, split/tensor_split/chunk/h-v-dsplit.

Joins write each input into its slice of one preallocated output. Same-dtype copies that NumPy does slowly
(strided rows, reversed rows) go through the `copy4` kernel on same-width unsigned views; plain contiguous
blocks and dtype-converting copies are NumPy slice assignments. Splits return views.

Autograd: cat and stack record one node over all their inputs (each grad cast back to its input's dtype);
split/split_with_sizes/chunk record one node over all their pieces, whose backward cats the pieces' grads;
tensor_split and the h/v/dsplit family record one slice node per piece, as PyTorch does.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..autograd.inplace import mark_multi_output_views
from ..kernels.cpu import copy as K
from ..tensor import Tensor, _wrap_dim
from ._util import check_tensor, resize_out
from .elementwise import placement
from .shape import _reshape_backward, _slice_backward, _track, narrow, select

_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64, 16: np.complex128}  # (complex128: moved as is)
_COPY_MIN = 4096  # below this many elements NumPy's assignment is cheaper than planning a kernel call
_PAR_BYTES = 1 << 20  # from this size on, copies run on all threads

for _op in ("cat", "flip", "copy"):
    dispatch.register(_op, "cpu", dtypes.ALL_DTYPES, lambda dt: K.copy4)
dispatch.register("cat.rows", "cpu", dtypes.ALL_DTYPES, lambda dt: K.cat_rows4)


dispatch.register("cat", "cuda", dtypes.ALL_DTYPES, dispatch.cuda_kernel("join", "cat_into"), lazy=True)


# -- the strided copy shared by joins, flip, roll, ... ---------------------------------------------------
def _addr(arr: np.ndarray) -> int:
    return arr.__array_interface__["data"][0]


def _collapse(shape, sstr, dstr):
    """Drop size-1 dims and merge dims that are adjacent in both source and destination."""
    dims = [(n, s, d) for n, s, d in zip(shape, sstr, dstr) if n != 1]
    merged: list[tuple[int, int, int]] = []
    for n, s, d in dims:
        if merged:
            pn, ps, pd = merged[-1]
            if ps == s * n and pd == d * n:
                merged[-1] = (pn * n, s, d)
                continue
        merged.append((n, s, d))
    return merged


def parallel_copy(nbytes: int) -> bool:
    """Whether a copy of nbytes is worth splitting across threads (NumPy's copies run on one)."""
    return nbytes >= _PAR_BYTES and numba.get_num_threads() > 1


def copy_into(dst: np.ndarray, dst_flat: np.ndarray, src: np.ndarray, src_flat: np.ndarray,
              op: str = "copy") -> None:
    """dst[...] = src, where dst and src are views into the flat buffers dst_flat and src_flat (src may be
    broadcast to dst's shape with zero strides).

    Same-dtype copies of enough elements whose source rows are not unit-stride (reversed, stepped,
    transposed), and large copies of any layout when there are threads to share them, run the copy4 kernels on
    unsigned views of the element width; NumPy copies the rest.
    """
    item = src.itemsize
    if src.dtype != dst.dtype or dst.size < _COPY_MIN:
        dst[...] = src
        return
    parallel = parallel_copy(dst.nbytes)
    if not parallel and ((src.flags.c_contiguous and dst.flags.c_contiguous and src.shape == dst.shape) or
                         (src.strides[-1] == item and dst.strides[-1] == item and src.shape[-1] > 1)):
        dst[...] = src
        return
    if src.shape != dst.shape:
        src = np.broadcast_to(src, dst.shape)
    order = sorted(range(dst.ndim), key=lambda d: -abs(dst.strides[d]))  # dst's inner dim last
    shape = [src.shape[d] for d in order]
    sstr = [src.strides[d] // item for d in order]
    dstr = [dst.strides[d] // item for d in order]
    dims = _collapse(shape, sstr, dstr)
    # NumPy copies unit-stride rows well on one thread
    if len(dims) > 4 or not dims or dims[-1][2] != 1 or (dims[-1][1] == 1 and not parallel):
        dst[...] = src
        return
    dims = [(1, 0, 0)] * (4 - len(dims)) + dims
    u = _UINT[item]
    kernel = K.copy4_par if parallel else dispatch.lookup(op, "cpu", dtypes.from_numpy_dtype(src.dtype))
    kernel(src_flat.view(u), (_addr(src) - _addr(src_flat)) // item, np.array([d[0] for d in dims], np.int64),
           np.array([d[1] for d in dims], np.int64), dst_flat.view(u), (_addr(dst) - _addr(dst_flat)) // item,
           np.array([d[2] for d in dims], np.int64))


def copy_tensor_into(dst: np.ndarray, dst_flat: np.ndarray, src: Tensor, src_view: np.ndarray | None = None,
                     op: str = "copy") -> None:
    """copy_into with the source given as a tensor (and optionally a view of its memory)."""
    copy_into(dst, dst_flat, src._data if src_view is None else src_view, src._storage().flat, op)


# -- argument helpers --------------------------------------------------------------------------------------
def _tensor_list(tensors, op: str, name: str = "tensors") -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, tuple | list):
        raise TypeError(f"{op}(): argument '{name}' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


def _int_arg(value, op: str, name: str) -> int:
    if type(value) is int:
        return value
    if isinstance(value, Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return int(value)


def _overlaps(a: Tensor, b: Tensor) -> bool:
    return a._data.size > 0 and b._data.size > 0 and np.may_share_memory(a._data, b._data)


# -- joins -------------------------------------------------------------------------------------------------
def check_out_grad(out: Tensor | None, op: str, *tensors) -> None:
    """PyTorch's error for an out= call whose inputs take part in autograd."""
    if out is not None and grad_mode.STATE.enabled and any(isinstance(t, Tensor) and t.requires_grad
                                                           for t in tensors):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")


def cat(tensors, dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """torch.cat: every input but 1-D empty ones (legacy skip) must match except along dim."""
    res = None
    if out is None:
        if type(dim) is int and (type(tensors) is list or type(tensors) is tuple) and tensors:
            res = _cat_fast(tensors, dim)
            if res is not None:
                for t in tensors:  # (needs_graph, inlined: every input is a tensor here)
                    if t._requires_grad:
                        break
                else:
                    return res
    elif isinstance(tensors, list | tuple):
        check_out_grad(out, "cat", *tensors)
    if res is None:
        res = _cat(tensors, dim, out)
    if out is None and grad_mode.STATE.enabled and needs_graph(*tensors):
        node = record("CatBackward0", _cat_backward, tuple(tensors), (res,))
        nd = res._data.ndim
        legacy = [t._data.shape == (0,) and nd != 1 for t in tensors]  # skipped by the forward
        all_empty = all(t._data.shape == (0,) for t in tensors)  # dim was never checked
        node.dim = 0 if all_empty else _wrap_dim(_int_arg(dim, "cat", "dim"), nd, "cat")
        node.pieces = [(None if skip else t._data.shape[node.dim], t.dtype) for t, skip in zip(tensors, legacy)]
    return res


def _cat_backward(c, g: Tensor) -> tuple:
    """Each input's slice of g along dim, in its dtype; legacy-skipped empty inputs get empty grads."""
    grads, start = [], 0
    for need, (size, dt) in zip(c.needs_input_grad, c.pieces):
        if size is None:
            grads.append(g.new_zeros((0,), dtype=dt) if need else None)
            continue
        piece = narrow(g, c.dim, start, size) if need else None
        grads.append(piece if piece is None or piece.dtype is dt else piece.to(dt))
        start += size
    return tuple(grads)


def _cat(tensors, dim: int, out: Tensor | None) -> Tensor:
    if out is None and type(dim) is int and isinstance(tensors, list | tuple) and tensors:
        fast = _cat_fast(tensors, dim)
        if fast is not None:
            return fast
    tensors = _tensor_list(tensors, "cat")
    dim = _int_arg(dim, "cat", "dim")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = dtypes.promote_types(dt, t.dtype)
    kept = [(i, t) for i, t in enumerate(tensors) if t._data.shape != (0,)]
    if not kept:
        result = np.empty((0,), dt.np)
        return _finish(result, out, "cat") if out is not None else Tensor._wrap(result)
    ref = kept[0][1]._data.shape
    d = _wrap_dim(dim, len(ref), "cat")
    total = 0
    for i, t in kept:
        shape = t._data.shape
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(shape)}")
        for k, (a, b) in enumerate(zip(ref, shape)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                                   f"got size {b} for tensor number {i} in the list.")
        total += shape[d]
    out_shape = ref[:d] + (total,) + ref[d + 1:]
    like = placement("cat", [t for _, t in kept])
    if like is not None:  # CUDA: one strided copy (with cast) per input into its slice of the result
        result = _arrays.empty(out_shape, dt.np, like)
        dispatch.lookup("cat", "cuda", dt)(result.device_array(), [t._data.device_array() for _, t in kept], d)
        return _finish(result, out, "cat") if out is not None else Tensor._wrap(result)
    if out is not None:
        check_tensor(out, "cat", "out")
        if not dtypes.can_cast(dt, out.dtype):
            raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                            f"{dtypes.torch_name(out.dtype)}")
        if any(_overlaps(out, t) for t in tensors):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to "
                               "tensor refer to a single memory location. Please clone() the tensor before "
                               "performing the operation.")
        resize_out(out, out_shape, "cat")
        out._bump_version()
        result = out._data
        flat = out._storage().flat
    elif math.prod(ref[:d]) == 1 and all(t._data.dtype == dt.np for _, t in kept) and \
            not parallel_copy(math.prod(out_shape) * dt.itemsize):
        # whole blocks one after the other: NumPy's concatenate is a run of memcpys (on one thread)
        return Tensor._wrap(_c_order(np.concatenate([t._data for _, t in kept], d)))
    else:
        result = np.empty(out_shape, dt.np)
        flat = result.reshape(-1)
    if result.size:
        _fill_cat(result, flat, [t for _, t in kept], d)
    if out is not None:
        return out
    return Tensor._wrap(result)


def _cat_fast(tensors, dim: int) -> Tensor | None:
    """Small inputs of one dtype and rank: np.concatenate. None (take the checked path) for anything else."""
    first = tensors[0]
    if not isinstance(first, Tensor) or type(first._data) is not np.ndarray:
        return None
    dt, nd = first._data.dtype, first._data.ndim
    numel = 0
    arrays = []
    for t in tensors:
        if type(t) is not Tensor and not isinstance(t, Tensor):
            return None
        a = t._data
        if type(a) is not np.ndarray or (a.dtype is not dt and a.dtype != dt) or a.ndim != nd:
            return None
        numel += a.size
        arrays.append(a)
    if nd == 0 or numel > _COPY_MIN or not -nd <= dim < nd:
        return None
    try:
        res = _CONCATENATE(arrays, dim)
    except ValueError:  # mismatched shapes: the checked path raises torch's error
        return None
    return Tensor._wrap_result(res if res.flags.c_contiguous else np.ascontiguousarray(res), None)


# np.concatenate without its __array_function__ dispatch (a fifth of its time on small inputs; the arrays here are
# always plain ndarrays)
_CONCATENATE = getattr(np.concatenate, "_implementation", np.concatenate)


def _stack_fast(tensors, dim: int) -> Tensor | None:
    """stack(dim=0) of small CPU tensors of one shape and dtype: one C-order array of them (NumPy's array()).
    None (take the checked path) for anything else."""
    first = tensors[0]
    if type(first) is not Tensor or (dim != 0 and dim != -1 - first._data.ndim):
        return None
    a = first._data
    if type(a) is not np.ndarray or a.size * len(tensors) > _COPY_MIN:
        return None
    ref, dt = a.shape, a.dtype
    arrays = []
    for t in tensors:
        if type(t) is not Tensor:
            return None
        a = t._data
        if type(a) is not np.ndarray or a.shape != ref or a.dtype != dt:
            return None
        arrays.append(a)
    return Tensor._wrap(np.array(arrays, dt))


def _c_order(a: np.ndarray) -> np.ndarray:
    """NumPy's concatenate / stack follow their inputs' layout (transposed in, transposed out); torch's cat and
    stack return C-contiguous tensors."""
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _finish(result: np.ndarray, out: Tensor, op: str) -> Tensor:
    check_tensor(out, op, "out")
    resize_out(out, result.shape, op)
    out._bump_version()
    _arrays.copy_into(out._data, result)
    return out


def _fill_cat(result: np.ndarray, flat: np.ndarray, tensors: list[Tensor], d: int) -> None:
    outer = math.prod(result.shape[:d])
    if outer > 1 and result.flags.c_contiguous:  # an inner dim: contiguous inputs go row by row (cat_rows4)
        inner = math.prod(result.shape[d + 1:])
        u = _UINT[result.itemsize]
        out2 = result.reshape(outer, -1).view(u)
        rows, col, rest = [], 0, []
        for t in tensors:
            width = t._data.shape[d] * inner
            if t._data.dtype == result.dtype and t._data.flags.c_contiguous:
                rows.append((t._data.reshape(outer, width).view(u), col))
            else:
                rest.append((t, col // inner))
            col += width
        kernel = K.cat_rows4_par if parallel_copy(result.nbytes) else \
            dispatch.lookup("cat.rows", "cpu", dtypes.from_numpy_dtype(result.dtype))
        _cat_rows(rows, out2, kernel)
        tensors_at = rest
    else:
        tensors_at, offset = [], 0
        for t in tensors:
            tensors_at.append((t, offset))
            offset += t._data.shape[d]
    lead = (slice(None),) * d
    for t, offset in tensors_at:
        n = t._data.shape[d]
        if n and t._data.size:
            copy_tensor_into(result[lead + (slice(offset, offset + n),)], flat, t, op="cat")


def _cat_rows(rows: list[tuple[np.ndarray, int]], out2: np.ndarray, kernel) -> None:
    """Copy (2-d input, first output column) pairs with cat_rows4: runs of up to four adjacent inputs per call."""
    empty = np.empty((out2.shape[0], 0), out2.dtype)
    group: list[np.ndarray] = []
    start = end = 0
    for arr, col in rows + [(None, -1)]:
        if group and (arr is None or len(group) == 4 or col != end):
            kernel(*(group + [empty] * (4 - len(group))), out2, start)
            group = []
        if arr is not None:
            if not group:
                start = col
            group.append(arr)
            end = col + arr.shape[1]


concat = cat


def concatenate(tensors, axis: int = 0, out: Tensor | None = None, *, dim: int | None = None) -> Tensor:
    """torch.concatenate: cat under NumPy's name; torch takes the dim as axis or dim."""
    return cat(tensors, axis if dim is None else dim, out=out)


def stack(tensors, dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    if out is None and type(dim) is int and type(tensors) is list and tensors:
        res = _stack_fast(tensors, dim)
        if res is not None:
            if grad_mode.STATE.enabled and needs_graph(*tensors):
                node = record("StackBackward0", _stack_backward, tuple(tensors), (res,))
                node.dim, node.dtypes = 0, [t.dtype for t in tensors]
            return res
    if type(tensors) is not list or not all(type(t) is Tensor for t in tensors):  # (else checked: a list of them)
        tensors = _tensor_list(tensors, "stack")
    dim = _int_arg(dim, "stack", "dim")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    dt = tensors[0]._data.dtype
    same = out is None  # (and every input a host array of one dtype)
    for i, t in enumerate(tensors):
        a = t._data
        if a.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                               f"{list(a.shape)} at entry {i}")
        if same and (type(a) is not np.ndarray or a.dtype != dt):
            same = False
    d = _wrap_dim(dim, len(ref) + 1, "stack")
    if out is not None:
        check_out_grad(out, "stack", *tensors)
    res = None
    if same:
        # one dtype on the CPU: no promotion; each input copied into its slot of a C-order result (NumPy's stack
        # costs more in Python on small inputs)
        n = len(tensors) * tensors[0]._data.size
        if n <= _COPY_MIN or (d == 0 and not parallel_copy(n * tensors[0]._data.itemsize)):
            if d == 0:  # (a new C-order array of the inputs, one after the other)
                arr = np.array([t._data for t in tensors], dt)
            else:
                arr = np.empty(ref[:d] + (len(tensors),) + ref[d:], dt)
                lead = (slice(None),) * d
                for i, t in enumerate(tensors):
                    arr[lead + (i,)] = t._data
            res = Tensor._wrap(arr)
    if res is None:
        views = [t._view_of(_arrays.expand_dims(t._data, d)) for t in tensors]  # untracked: stack records the node
        res = cat(views, d, out=out)
    if out is None and grad_mode.STATE.enabled and needs_graph(*tensors):
        node = record("StackBackward0", _stack_backward, tuple(tensors), (res,))
        node.dim, node.dtypes = d, [t.dtype for t in tensors]
    return res


stack.cuda_complete = cat.cuda_complete = True  # (their CUDA paths are whole: no cuda_pending wrapper)


def _stack_backward(c, g: Tensor) -> tuple:
    grads = []
    for i, (need, dt) in enumerate(zip(c.needs_input_grad, c.dtypes)):
        piece = select(g, c.dim, i) if need else None
        grads.append(piece if piece is None or piece.dtype is dt else piece.to(dt))
    return tuple(grads)


def _atleast(tensors, n: int, op: str):
    """atleast_1d/2d/3d: one tensor in, one out; several (or a sequence) in, a tuple out."""
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], tuple | list):
        tensors = tuple(tensors[0])
    res = []
    for t in tensors:
        check_tensor(t, op)
        arr = t._data
        if arr.ndim < n:
            name = "ViewBackward0" if arr.ndim == 0 else "UnsqueezeBackward0"
            if n == 3 and arr.ndim == 2:
                arr = arr.reshape(arr.shape + (1,))
            elif n == 3 and arr.ndim == 1:
                arr = arr.reshape((1,) + arr.shape + (1,))
            else:
                arr = arr.reshape((1,) * (n - arr.ndim) + arr.shape)
            t = _track(name, _reshape_backward, t, t._view_of(arr))
        res.append(t)
    return res[0] if single else tuple(res)


def atleast_1d(*tensors):
    return _atleast(tensors, 1, "atleast_1d")


def atleast_2d(*tensors):
    return _atleast(tensors, 2, "atleast_2d")


def atleast_3d(*tensors):
    return _atleast(tensors, 3, "atleast_3d")


def _nonempty(tensors, op: str) -> list[Tensor]:
    tensors = _tensor_list(tensors, op)
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out: Tensor | None = None) -> Tensor:
    ts = [atleast_1d(t) for t in _nonempty(tensors, "hstack")]
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out: Tensor | None = None) -> Tensor:
    return cat([atleast_2d(t) for t in _nonempty(tensors, "vstack")], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out: Tensor | None = None) -> Tensor:
    return cat([atleast_3d(t) for t in _nonempty(tensors, "dstack")], 2, out=out)


def column_stack(tensors, *, out: Tensor | None = None) -> Tensor:
    ts = _nonempty(tensors, "column_stack")
    ts = [_track("ViewBackward0", _reshape_backward, t, t._view_of(t._data.reshape(t._data.size, 1)))
          if t._data.ndim <= 1 else t for t in ts]
    return hstack(ts, out=out)


# -- splits (views) ----------------------------------------------------------------------------------------
def _narrow(t: Tensor, d: int, start: int, stop: int) -> Tensor:
    return t._view_of(t._data[start:stop] if d == 0 else t._data[(slice(None),) * d + (slice(start, stop),)])


def split_with_sizes(tensor: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    check_tensor(tensor, "split_with_sizes")
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(_int_arg(dim, "split", "dim"), tensor._data.ndim, "split")
    sizes = [_int_arg(s, "split_with_sizes", "split_sizes") for s in split_sizes]
    n = tensor._data.shape[d]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    if sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                           f"dimension {d}), but got split_sizes={sizes}")
    res, start = [], 0
    for s in sizes:
        res.append(_narrow(tensor, d, start, start + s))
        start += s
    return _record_split("SplitWithSizesBackward0", tensor, tuple(res), d)


def _record_split(name: str, input: Tensor, pieces: tuple[Tensor, ...], d: int) -> tuple[Tensor, ...]:
    """One node for all the pieces (views) of a split: its backward cats their grads (zeros for unused ones)."""
    if needs_graph(input):
        record(name, _split_backward, (input,), pieces).dim = d
        mark_multi_output_views(pieces)
    return pieces


def _split_backward(c, *grads) -> Tensor:
    return cat(grads, c.dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of split_size along dim (the last may be smaller), or pieces of the listed sizes."""
    check_tensor(tensor, "split")
    if isinstance(split_size_or_sections, tuple | list):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    size = _int_arg(split_size_or_sections, "split", "split_size")
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(_int_arg(dim, "split", "dim"), tensor._data.ndim, "split")
    n = tensor._data.shape[d]
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    if n == 0:
        return _record_split("SplitBackward0", tensor, (_narrow(tensor, d, 0, 0),), d)
    pieces = tuple(_narrow(tensor, d, s, min(s + size, n)) for s in range(0, n, size))
    return _record_split("SplitBackward0", tensor, pieces, d)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    check_tensor(input, "chunk")
    chunks = _int_arg(chunks, "chunk", "chunks")
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(_int_arg(dim, "chunk", "dim"), input._data.ndim, "chunk")
    n = input._data.shape[d]
    size = -(-n // chunks)
    if size == 0:  # an empty dim: torch returns `chunks` empty pieces
        return split_with_sizes(input, [0] * chunks, d)
    return split(input, size, d)


def tensor_split(input: Tensor, indices_or_sections=None, dim: int = 0, *, sections=None, indices=None,
                 tensor_indices_or_sections: Tensor | None = None) -> tuple[Tensor, ...]:
    """n nearly equal pieces (the first n % size one longer), or pieces between indices (Python slicing);
    torch's keyword for a tensor of either is tensor_indices_or_sections."""
    check_tensor(input, "tensor_split")
    arg = next((a for a in (indices_or_sections, sections, indices, tensor_indices_or_sections) if a is not None),
               None)
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = _wrap_dim(_int_arg(dim, "tensor_split", "dim"), input._data.ndim, "tensor_split")
    if isinstance(arg, Tensor):
        if arg.dtype is not dtypes.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{dtypes.torch_name(arg.dtype)}")
        if arg._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {arg._data.ndim} dims")
        arg = int(arg.item()) if arg._data.ndim == 0 else [int(v) for v in arg._data]
    n = input._data.shape[d]
    if isinstance(arg, tuple | list):
        bounds = [_int_arg(i, "tensor_split", "indices") for i in arg]
        res, start = [], 0
        for b in bounds + [None]:
            res.append(_slice(input, d, slice(start, b)))
            start = b
        return tuple(res)
    k = _int_arg(arg, "tensor_split", "sections")
    if k <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {k}")
    base, extra = divmod(n, k)
    res, start = [], 0
    for i in range(k):
        size = base + (1 if i < extra else 0)
        res.append(_slice(input, d, slice(start, start + size)))
        start += size
    return tuple(res)


def _slice(t: Tensor, d: int, sl: slice) -> Tensor:
    """A view of t sliced along d, recorded as its own SliceBackward0 node (tensor_split's pieces)."""
    index = (slice(None),) * d + (sl,)
    return _track("SliceBackward0", _slice_backward, t, t._view_of(t._data[index]), index=index)


def _split_along(input: Tensor, arg, dim: int, need: int, op: str) -> tuple[Tensor, ...]:
    check_tensor(input, op)
    if input._data.ndim < need:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {need} dimension, but got a tensor with "
                           f"{input._data.ndim} dimensions!")
    if isinstance(arg, int | np.integer) and not isinstance(arg, bool):
        n = input._data.shape[dim]
        if arg == 0 or n % arg:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {n} is not divisible by the split_size {arg}!")
    return tensor_split(input, arg, dim)


def _sections_arg(op: str, indices_or_sections, sections, indices):
    """torch's keyword names for the split points: sections (an int) or indices (a list)."""
    given = [a for a in (indices_or_sections, sections, indices) if a is not None]
    if len(given) != 1:
        raise TypeError(f"{op}() received an invalid combination of arguments: give one of sections or indices")
    return given[0]


def hsplit(input: Tensor, indices_or_sections=None, *, sections=None, indices=None) -> tuple[Tensor, ...]:
    arg = _sections_arg("hsplit", indices_or_sections, sections, indices)
    return _split_along(input, arg, 0 if input.ndim == 1 else 1, 1, "hsplit")


def vsplit(input: Tensor, indices_or_sections=None, *, sections=None, indices=None) -> tuple[Tensor, ...]:
    return _split_along(input, _sections_arg("vsplit", indices_or_sections, sections, indices), 0, 2, "vsplit")


def dsplit(input: Tensor, indices_or_sections=None, *, sections=None, indices=None) -> tuple[Tensor, ...]:
    return _split_along(input, _sections_arg("dsplit", indices_or_sections, sections, indices), 2, 3, "dsplit")


def _split_method(self: Tensor, split_size, dim: int = 0):
    return split(self, split_size, dim)


# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
FUNCTIONS: dict = {
    "cat": cat, "concat": cat, "concatenate": concatenate, "stack": stack, "hstack": hstack, "vstack": vstack,
    "row_stack": vstack, "dstack": dstack, "column_stack": column_stack, "atleast_1d": atleast_1d,
    "atleast_2d": atleast_2d, "atleast_3d": atleast_3d, "split": split, "split_with_sizes": split_with_sizes,
    "tensor_split": tensor_split, "chunk": chunk, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
}
METHODS: dict = {
    "split": _split_method, "split_with_sizes": split_with_sizes, "tensor_split": tensor_split, "chunk": chunk,
    "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
}
