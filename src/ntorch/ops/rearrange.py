"""Rearranging copies: flip, roll, rot90, repeat, tile, repeat_interleave, tril/triu, the diag family,
trace, kron, meshgrid, broadcast_tensors, block_diag, cartesian_prod.

Pure data movement is NumPy slicing or the `copy4` kernel (through joins.copy_into); tril/triu zero their
triangle with the `tri_zero` kernel; trace is the sum op over the diagonal view; kron is the mul op over
broadcast views.

Autograd: each op records one node named as PyTorch names it, whose backward is written with ntorch ops
(flip of g, roll by -shifts, sums over the repeated copies, tril of g, ...), so that create_graph works.
Composite ops (kron, meshgrid, cartesian_prod) are built from recorded ops.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode, inplace
from ..autograd.graph import needs_graph, record
from ..cuda.array import CudaArray
from ..cuda.array import as_strided as _cuda_as_strided
from ..kernels.cpu import copy as K
from ..tensor import Tensor, _wrap_dim
from ._util import check_tensor, takes_out, write_out
from .joins import _COPY_MIN as _SMALL
from .joins import _UINT, _int_arg, check_out_grad, copy_tensor_into, stack
from .shape import _check_unique_dims, _reshape_backward, _track, expand, narrow, preserved_strides, reshape

for _op in ("tril", "triu"):
    dispatch.register(_op, "cpu", dtypes.ALL_DTYPES, lambda dt: K.tri_zero)


dispatch.register("flip", "cuda", dtypes.ALL_DTYPES, dispatch.cuda_kernel("join", "flip_into"), lazy=True)
dispatch.register("roll", "cuda", dtypes.ALL_DTYPES, dispatch.cuda_kernel("join", "roll_into"), lazy=True)


def _ints(value, op: str, name: str) -> tuple[int, ...]:
    """An int or a sequence of ints (or 1-element int tensors) as a tuple."""
    if isinstance(value, tuple | list):
        return tuple(_int_arg(v, op, name) for v in value)
    return (_int_arg(value, op, name),)


def _empty_with_layout(x: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """An uninitialised array laid out as torch's preserve_format copy of x, and its flat buffer."""
    shape, numel = x._data.shape, x._data.size
    if x._data.flags.c_contiguous:
        arr = np.empty(shape, x._data.dtype)
        return arr, arr.reshape(-1)
    strides = preserved_strides(x)
    flat = np.empty(numel, x._data.dtype)
    item = flat.itemsize
    arr = np.lib.stride_tricks.as_strided(flat, shape, tuple(s * item for s in strides)) if numel else \
        flat.reshape(shape)
    return arr, flat


# -- flips and rotations -----------------------------------------------------------------------------------
def flip(input: Tensor, dims) -> Tensor:
    """A copy with the order reversed along dims, in input's memory layout (torch.preserve_format)."""
    if type(input) is Tensor and (type(dims) is tuple or type(dims) is list) and len(dims) == 1 \
            and type(dims[0]) is int:  # one dim of a small C-contiguous CPU tensor: NumPy's reversed view, copied
        arr, d = input._data, dims[0]
        n = arr.ndim
        if type(arr) is np.ndarray and -n <= d < n and arr.size < _SMALL and arr.flags.c_contiguous:
            d = d + n if d < 0 else d
            res = Tensor._wrap(arr[(_ALL,) * d + (_REVERSED,)].copy())
            return _track("FlipBackward0", lambda c, g: flip(g, c.dims), input, res, dims=(d,))
    check_tensor(input, "flip")
    if not isinstance(dims, tuple | list):
        raise TypeError(f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}")
    dims = _ints(dims, "flip", "dims")
    if len(dims) == 1:  # (nothing to sort or find twice)
        wrapped = (_wrap_dim(dims[0], input._data.ndim, "flip"),)
    else:
        _check_unique_dims(dims, input._data.ndim)
        wrapped = tuple(sorted({_wrap_dim(d, input._data.ndim, "flip") for d in dims}))
    return _track("FlipBackward0", lambda c, g: flip(g, c.dims), input, _flip(input, wrapped), dims=wrapped)


def _cuda_remap(op: str, arr, *args) -> Tensor:
    """flip / roll of a CUDA array: one gather kernel into a C-contiguous result."""
    out = _arrays.empty(arr.shape, arr.dtype, arr)
    if arr.size:
        dispatch.lookup(op, "cuda", dtypes.from_numpy_dtype(arr.dtype))(out.device_array(), arr.device_array(), *args)
    return Tensor._wrap(out)


_REVERSED, _ALL = slice(None, None, -1), slice(None)


def _flip(input: Tensor, wrapped) -> Tensor:
    arr = input._data
    if _arrays.is_cuda(arr):
        return _cuda_remap("flip", arr, tuple(wrapped))
    if arr.size < _SMALL and arr.flags.c_contiguous:  # small and contiguous: NumPy's copy, contiguous too
        return Tensor._wrap(arr[tuple(_REVERSED if d in wrapped else _ALL for d in range(arr.ndim))].copy())
    out, flat = _empty_with_layout(input)
    if arr.size:
        view = arr[tuple(slice(None, None, -1) if d in wrapped else slice(None) for d in range(arr.ndim))]
        copy_tensor_into(out, flat, input, view, "flip")
    return Tensor._wrap(out)


def fliplr(input: Tensor) -> Tensor:
    check_tensor(input, "fliplr")
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    check_tensor(input, "flipud")
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Elements shifted along dims (wrapping around); with dims None, along the flattened tensor."""
    res = _roll(input, shifts, dims)
    if needs_graph(input):
        shifts = _ints(shifts, "roll", "shifts")
        dims = None if dims is None or (isinstance(dims, tuple | list) and len(dims) == 0) else _ints(dims, "roll",
                                                                                                       "dims")
        _track("RollBackward0", lambda c, g: roll(g, tuple(-s for s in c.shifts), c.dims), input, res,
               shifts=shifts, dims=dims)
    return res


def _roll(input: Tensor, shifts, dims=None) -> Tensor:
    check_tensor(input, "roll")
    shifts = _ints(shifts, "roll", "shifts")
    if not shifts:
        raise RuntimeError("`shifts` required")
    if dims is None or (isinstance(dims, tuple | list) and len(dims) == 0):
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        flat = Tensor._wrap(_arrays.ascontiguous(input._data).reshape(-1))
        return Tensor._wrap(_roll(flat, shifts, (0,))._data.reshape(input._data.shape))
    dims = _ints(dims, "roll", "dims")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    arr = input._data
    if arr.ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    total = [0] * arr.ndim
    for s, d in zip(shifts, dims):
        total[_wrap_dim(d, arr.ndim, "roll")] += s
    if _arrays.is_cuda(arr):
        return _cuda_remap("roll", arr, tuple(total), tuple(range(arr.ndim)))
    out = np.empty(arr.shape, arr.dtype)
    if arr.size == 0:
        return Tensor._wrap(out)
    # each rolled dim splits into two blocks: out[s:] = in[:n-s] and out[:s] = in[n-s:]
    parts = []
    for n, s in zip(arr.shape, total):
        s %= n
        parts.append([(slice(None), slice(None))] if s == 0 else
                     [(slice(s, None), slice(0, n - s)), (slice(0, s), slice(n - s, None))])
    flat = out.reshape(-1)
    for combo in np.ndindex(*[len(p) for p in parts]):
        dst = tuple(parts[d][c][0] for d, c in enumerate(combo))
        src = tuple(parts[d][c][1] for d, c in enumerate(combo))
        copy_tensor_into(out[dst], flat, input, arr[src], "copy")
    return Tensor._wrap(out)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    check_tensor(input, "rot90")
    dims = _ints(dims, "rot90", "dims")
    n = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == n:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    d0, d1 = _wrap_dim(dims[0], n, "rot90"), _wrap_dim(dims[1], n, "rot90")
    k = _int_arg(k, "rot90", "k") % 4
    if k == 1:
        res = _flip(input, (d1,))
        res = res._view_of(np.swapaxes(res._data, d0, d1))
    elif k == 2:
        res = _flip(input, (d0, d1))
    elif k == 3:
        res = _flip(input, (d0,))
        res = res._view_of(np.swapaxes(res._data, d0, d1))
    else:
        res = Tensor._wrap(np.array(input._data, order="C", copy=True))
    return _track("Rot90Backward0", lambda c, g: rot90(g, -c.k, c.dims), input, res, k=k, dims=(d0, d1))


# -- repeats -----------------------------------------------------------------------------------------------
def repeat(self: Tensor, *sizes, repeats=None) -> Tensor:
    """self tiled sizes[i] times along each dim (leading sizes add dims): NumPy's broadcast copy; torch's keyword
    form is repeat(repeats=...)."""
    check_tensor(self, "repeat")
    if repeats is not None:
        if sizes:
            raise TypeError("repeat() received an invalid combination of arguments: repeats given twice")
        sizes = (repeats,)
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = tuple(sizes[0])
    if not sizes:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    return _repeat(self, _ints(sizes, "repeat", "repeats"))


def _repeat(self: Tensor, sizes: tuple[int, ...]) -> Tensor:
    arr = self._data
    if len(sizes) < arr.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    shape = (1,) * (len(sizes) - arr.ndim) + arr.shape
    out_shape = tuple(r * n for r, n in zip(sizes, shape))
    for r in sizes:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(out_shape)}: "
                               f"{list(out_shape)}")
    out = _arrays.empty(out_shape, arr.dtype, arr)
    inter = tuple(v for pair in zip(sizes, shape) for v in pair)  # (r0, n0, r1, n1, ...)
    if out.size:
        _arrays.copy_into(out.reshape(inter), _arrays.reshape(arr, tuple(v for n in shape for v in (1, n))))
    return _track("RepeatBackward0", _repeat_backward, self, Tensor._wrap(out), inter=inter)


def _repeat_backward(c, g: Tensor) -> Tensor:
    """Sum of the copies: g seen as (r0, n0, r1, n1, ...) summed over the r axes."""
    return g.reshape(c.inter).sum(tuple(range(0, len(c.inter), 2))).reshape(c.shape)


def tile(input: Tensor, dims) -> Tensor:
    check_tensor(input, "tile")
    dims = _ints(dims, "tile", "dims")
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return _repeat(input, dims)


def _tile_method(self: Tensor, *dims) -> Tensor:
    return tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims)


def _repeats_array(repeats: Tensor) -> np.ndarray:
    if repeats.dtype not in (dtypes.int32, dtypes.int64):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{dtypes.torch_name(repeats.dtype)}'")
    r = _arrays.to_host(repeats._data)  # (on CUDA a sync, as torch's: the output size depends on the values)
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return r


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None
                      ) -> Tensor:
    """Each element repeated along dim (flattened when dim is None); repeats an int or a tensor."""
    check_tensor(input, "repeat_interleave")
    if repeats is None:  # the one-argument form: input holds the repeats of arange(len(input))
        if input._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        r = _repeats_array(input)
        total = int(r.sum())
        if output_size is not None and output_size != total:
            raise RuntimeError("allocated size does not match required size")
        return Tensor._wrap(_like(np.repeat(np.arange(r.size, dtype=r.dtype), r), input._data))
    arr = input._data
    if dim is None:
        arr = arr.reshape(-1)
        d = 0
    else:
        d = _wrap_dim(_int_arg(dim, "repeat_interleave", "dim"), arr.ndim, "repeat_interleave")
        if arr.ndim == 0:
            arr = arr.reshape(1)
    n = arr.shape[d]
    if isinstance(repeats, Tensor):
        if repeats._data.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        r = _repeats_array(repeats)
        if r.size == 1:
            r = r.reshape(())
        elif r.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{r.size} and input.size({d}) = {n}")
        total = int(r.sum()) if r.ndim else int(r) * n
        if output_size is not None and output_size != total:
            raise RuntimeError("allocated size does not match required size")
        if type(arr) is CudaArray:
            from .indexing import index_select

            index = Tensor._wrap(_like(np.repeat(np.arange(n, dtype=np.int64), r), arr))
            res = Tensor._wrap(index_select(Tensor._wrap(arr), d, index)._data)
        else:
            res = Tensor._wrap(np.repeat(arr, r, axis=d))
        if needs_graph(input):
            r_full = np.broadcast_to(r, (n,)).astype(np.int64)
            node = record("IndexSelectBackward0", _segment_backward, (input,), (res,))
            node.shape, node.dim, node.flat = tuple(input._data.shape), d, dim is None
            node.index = Tensor._wrap(_like(np.repeat(np.arange(n, dtype=np.int64), r_full), arr))
            node.repeats, node.n = Tensor._wrap(_like(r_full, arr)), n
        return res
    r = _int_arg(repeats, "repeat_interleave", "repeats")
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != r * n:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {r * n} but got {output_size}")
    shape = arr.shape
    short_runs = type(arr) is np.ndarray and math.prod(shape[d + 1:]) < 16
    if short_runs:  # NumPy's repeat: 2-3x faster than a broadcast copy when each element's copies are short runs
        out = np.repeat(arr, r, axis=d)
    else:
        out = _arrays.empty(shape[:d] + (n * r,) + shape[d + 1:], arr.dtype, arr)
    if out.size and not short_runs:
        runs = out.reshape(shape[:d] + (n, r) + shape[d + 1:])  # each element's r copies are adjacent along dim
        if type(arr) is np.ndarray and dim is not None:  # the copy4 kernels, on all threads for large outputs
            copy_tensor_into(runs, out.reshape(-1), input, np.expand_dims(arr, d + 1))
        else:
            _arrays.copy_into(runs, _arrays.expand_dims(arr, d + 1))
    res = Tensor._wrap(out)
    # torch builds this from unsqueeze/expand/clone/view: its node is the final view's
    return _track("ViewBackward0", _interleave_backward, input, res, dim=d, r=r, inner_shape=arr.shape)


def _like(a: np.ndarray, like):
    """Host values a on like's device (a copy to the device for a CUDA array)."""
    return _arrays.to_device(a, like.device) if type(like) is CudaArray else a


def _interleave_backward(c, g: Tensor) -> Tensor:
    """Each element's r copies are adjacent along dim: sum them."""
    d, shape = c.dim, c.inner_shape
    return g.reshape(shape[:d] + (shape[d], c.r) + shape[d + 1:]).sum(d + 1).reshape(c.shape)


def _segment_backward(c, g: Tensor) -> Tensor:
    """Sum of g over each element's run of copies along dim (index_add into zeros)."""
    return _segment_sum(g, c.dim, c.index, c.repeats, c.n).reshape(c.shape)


def _segment_sum(g: Tensor, d: int, index: Tensor, repeats: Tensor, n: int) -> Tensor:
    from .indexing import index_add

    shape = g._data.shape[:d] + (n,) + g._data.shape[d + 1:]
    with grad_mode.no_grad():
        res = index_add(g.new_zeros(shape), d, index, g.detach())
    if needs_graph(g):  # its own backward is the forward again: copies of gg along dim
        node = record("IndexAddBackward0", lambda c, gg: repeat_interleave(gg, c.repeats, c.dim), (g,), (res,))
        node.repeats, node.dim = repeats, d
    return res


# -- triangles ---------------------------------------------------------------------------------------------
def _tri_into(t: Tensor, diagonal: int, lower: bool, op: str) -> None:
    """Zero the other triangle of every matrix of t, in place, with the tri_zero kernel."""
    arr = t._data
    if arr.size == 0:
        return
    m, n = arr.shape[-2:]
    item = arr.itemsize
    sm, sn = arr.strides[-2] // item, arr.strides[-1] // item
    flat = t._storage().flat
    buf = flat.view(_UINT[item])
    kernel = dispatch.lookup(op, "cpu", t.dtype)
    start = (arr.__array_interface__["data"][0] - flat.__array_interface__["data"][0]) // item
    batch = [(b, s // item) for b, s in zip(arr.shape[:-2], arr.strides[:-2]) if b != 1]
    merged: list[tuple[int, int]] = []
    for b, s in batch:
        if merged and merged[-1][1] == s * b:
            merged[-1] = (merged[-1][0] * b, s)
        else:
            merged.append((b, s))
    if len(merged) <= 1:  # one call for the whole batch
        nb, sb = merged[0] if merged else (1, 0)
        kernel(buf, start, nb, m, n, sb, sm, sn, diagonal, lower)
        return
    for idx in np.ndindex(*[b for b, _ in merged]):  # batch dims that do not merge: one call per matrix
        base = start + sum(i * s for i, (_, s) in zip(idx, merged))
        kernel(buf, base, 1, m, n, 0, sm, sn, diagonal, lower)


def _tri(input: Tensor, diagonal: int, lower: bool, out: Tensor | None) -> Tensor:
    op = "tril" if lower else "triu"
    check_tensor(input, op)
    diagonal = _int_arg(diagonal, op, "diagonal")
    if input._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    check_out_grad(out, op, input)
    if type(input._data) is CudaArray:
        arr = _tri_cuda(input, diagonal, lower)
        return write_out(out, arr, op) if out is not None else _track(
            "TrilBackward0" if lower else "TriuBackward0", _tri_backward, input, Tensor._wrap(arr), k=diagonal,
            lower=lower)
    arr = np.array(input._data, order="C", copy=True)
    res = Tensor._wrap(arr)
    if arr.size:
        m, n = arr.shape[-2:]
        flat = arr.reshape(-1)
        kernel = dispatch.lookup(op, "cpu", input.dtype)
        kernel(flat.view(_UINT[arr.itemsize]), 0, flat.size // (m * n), m, n, m * n, n, 1, diagonal, lower)
    if out is not None:
        return write_out(out, arr, op)
    return _track("TrilBackward0" if lower else "TriuBackward0", _tri_backward, input, res, k=diagonal, lower=lower)


def _tri_cuda(input: Tensor, diagonal: int, lower: bool):
    """The triangle on the GPU: a masked fill with the (m, n) mask col - row <= diagonal (>= for triu)."""
    from .conversion import masked_fill
    from .creation import arange

    m, n = input._data.shape[-2:]
    dev = input.device
    step = arange(n, device=dev) - arange(m, device=dev).reshape(m, 1)
    outside = step > diagonal if lower else step < diagonal
    with grad_mode.no_grad():
        return masked_fill(input.detach(), outside, 0)._data


def _tri_backward(c, g: Tensor) -> Tensor:
    return tril(g, c.k) if c.lower else triu(g, c.k)


def _tri_inplace(self: Tensor, diagonal: int, lower: bool) -> Tensor:
    op = "tril" if lower else "triu"
    check_tensor(self, op)
    diagonal = _int_arg(diagonal, op, "diagonal")
    if self._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    if type(self._data) is not CudaArray and not self._data.flags.writeable:
        raise RuntimeError(f"{op}_: the tensor is read-only")
    if inplace.involved(self):  # out of place on a snapshot carrying self's history, then written back
        inplace.check_inplace(self)
        return inplace.commit(self, _tri(inplace.snapshot(self), diagonal, lower, None))
    self._bump_version()
    if type(self._data) is CudaArray:
        _arrays.copy_into(self._data, _tri_cuda(self, diagonal, lower))
    else:
        _tri_into(self, diagonal, lower, op)
    return self


def tril(input: Tensor, diagonal: int = 0, *, out: Tensor | None = None) -> Tensor:
    return _tri(input, diagonal, True, out)


def triu(input: Tensor, diagonal: int = 0, *, out: Tensor | None = None) -> Tensor:
    return _tri(input, diagonal, False, out)


def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    return _tri_inplace(self, diagonal, True)


def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    return _tri_inplace(self, diagonal, False)


# -- diagonals ---------------------------------------------------------------------------------------------
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of dims (dim1, dim2), appended as the last dim."""
    check_tensor(input, "diagonal")
    offset = _int_arg(offset, "diagonal", "offset")
    n = input._data.ndim
    d1, d2 = _wrap_dim(dim1, n, "diagonal"), _wrap_dim(dim2, n, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    view = _diagonal_array(input._data, offset, d1, d2)
    return _track("DiagonalBackward0", _diagonal_backward, input, input._view_of(view), offset=offset, d1=d1, d2=d2)


def _diagonal_array(arr, offset: int, d1: int, d2: int):
    """The diagonal view of arr on its device: the other dims, then the diagonal (NumPy's layout, which is torch's);
    writeable when arr is."""
    if type(arr) is not CudaArray:
        view = np.diagonal(arr, offset, d1, d2)  # NumPy makes it read-only
        if arr.flags.writeable:
            view.flags.writeable = True
        return view
    s1, s2 = arr.strides[d1], arr.strides[d2]
    length = max(0, min(arr.shape[d1] - max(0, -offset), arr.shape[d2] - max(0, offset)))
    start = (offset * s2 if offset >= 0 else -offset * s1) if length else 0
    rest = [d for d in range(arr.ndim) if d not in (d1, d2)]
    return _cuda_as_strided(arr, tuple(arr.shape[d] for d in rest) + (length,),
                            tuple(arr.strides[d] for d in rest) + (s1 + s2,), arr.offset + start)


def _zeros(shape, np_dtype, like):
    out = _arrays.empty(shape, np_dtype, like)
    _arrays.copy_into(out, 0)
    return out


def _diagonal_backward(c, g: Tensor) -> Tensor:
    return diagonal_scatter_zeros(g, c.shape, c.offset, c.d1, c.d2)


def diagonal_scatter_zeros(g: Tensor, shape, offset: int, d1: int, d2: int) -> Tensor:
    """Zeros of `shape` with g on the diagonal (offset, d1, d2): the transpose of diagonal(), recorded so that
    its own backward (diagonal of the incoming grad) makes create_graph work."""
    out = _zeros(shape, g._data.dtype, g._data)
    _arrays.copy_into(_diagonal_array(out, offset, d1, d2), g._data)
    res = Tensor._wrap(out)
    if needs_graph(g):
        node = record("DiagonalBackwardBackward0", lambda c, gg: diagonal(gg, c.offset, c.d1, c.d2), (g,), (res,))
        node.offset, node.d1, node.d2 = offset, d1, d2
    return res


_diagonal = diagonal  # diag's argument `diagonal` shadows the function


def diag(input: Tensor, diagonal: int = 0, *, out: Tensor | None = None) -> Tensor:
    """1-D -> a square matrix with input on a diagonal; 2-D -> a copy of a diagonal."""
    check_tensor(input, "diag")
    k = _int_arg(diagonal, "diag", "diagonal")
    arr = input._data
    if arr.ndim == 1:
        size = arr.shape[0] + abs(k)
        res = _zeros((size, size), arr.dtype, arr)
        _arrays.copy_into(_diagonal_array(res, k, 0, 1), arr)
    elif arr.ndim == 2:
        res = _arrays.copy(_diagonal_array(arr, k, 0, 1))
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {arr.ndim}D")
    if out is not None:
        return write_out(out, res, "diag")
    if arr.ndim == 1:
        return _track("DiagEmbedBackward0", lambda c, g: _diagonal(g, c.k), input, Tensor._wrap(res), k=k)
    # torch 2.x names this node after its functionalized diagonal copy
    return _track("DiagonalBackward0_copy", _diagonal_backward, input, Tensor._wrap(res), offset=k, d1=0, d2=1)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """input's last dim placed on the diagonal of new dims (dim1, dim2) of a zero tensor."""
    check_tensor(input, "diag_embed")
    offset = _int_arg(offset, "diag_embed", "offset")
    arr = input._data
    n = arr.ndim + 1
    d1, d2 = _wrap_dim(dim1, n, "diag_embed"), _wrap_dim(dim2, n, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    size = arr.shape[-1] + abs(offset)
    rest = list(arr.shape[:-1])
    shape = []
    for d in range(n):
        shape.append(size if d in (d1, d2) else rest.pop(0))
    res = _zeros(shape, arr.dtype, arr)
    _arrays.copy_into(_diagonal_array(res, offset, d1, d2), arr)
    return _track("DiagEmbedBackward0", lambda c, g: diagonal(g, c.offset, c.d1, c.d2), input, Tensor._wrap(res),
                  offset=offset, d1=d1, d2=d2)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal, with sum's dtype rule (integers and bool accumulate in int64)."""
    check_tensor(input, "trace")
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input.dtype is dtypes.bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    from .reduction import sum as _sum

    res = _sum(diagonal(input.detach()))
    return _track("TraceBackward0", _trace_backward, input, res)


def _trace_backward(c, g: Tensor) -> Tensor:
    return diagonal_scatter_zeros(g.expand(min(c.shape)), c.shape, 0, 0, 1)


@takes_out("kron", None)
def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: the mul op over broadcast views (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...)."""
    check_tensor(input, "kron")
    if not isinstance(other, Tensor):
        raise TypeError(f"kron(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    from .pointwise import FUNCTIONS as _P

    n = max(input._data.ndim, other._data.ndim)
    a = (1,) * (n - input._data.ndim) + input._data.shape
    b = (1,) * (n - other._data.ndim) + other._data.shape
    av = reshape(input, tuple(v for s in a for v in (s, 1)))
    bv = reshape(other, tuple(v for s in b for v in (1, s)))
    prod = _P["mul"](av, bv)  # recorded (with the reshapes) when an input requires grad
    res = Tensor._wrap(prod._data.reshape(tuple(x * y for x, y in zip(a, b))))
    return _track("UnsafeViewBackward0", _reshape_backward, prod, res)


# -- grids and broadcasting --------------------------------------------------------------------------------
def _tensor_args(tensors, op: str) -> list[Tensor]:
    if len(tensors) == 1 and isinstance(tensors[0], tuple | list):
        tensors = tuple(tensors[0])
    for t in tensors:
        check_tensor(t, op, "tensors")
    return list(tensors)


def meshgrid(*tensors, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Expanded views; indexing 'ij' (the default here, torch's current behaviour) or 'xy'."""
    ts = _tensor_args(tensors, "meshgrid")
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in ts:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of "
                               f"shape {list(t._data.shape)}")
    if any(t.dtype is not ts[0].dtype for t in ts):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    sizes = [t._data.size for t in ts]
    pos = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
        pos[0], pos[1] = 1, 0
    res = []
    for t, p in zip(ts, pos):
        view_shape = [1] * len(ts)
        view_shape[p] = t._data.size
        res.append(expand(reshape(t, view_shape), sizes))
    return tuple(res)


def broadcast_tensors(*tensors) -> tuple[Tensor, ...]:
    ts = _tensor_args(tensors, "broadcast_tensors")
    shape: list[int] = []
    for t in ts:
        s = list(t._data.shape)
        n = max(len(shape), len(s))
        a, b = [1] * (n - len(shape)) + shape, [1] * (n - len(s)) + s
        for i in range(n):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                                   f"non-singleton dimension {i}")
        shape = [y if x == 1 else x for x, y in zip(a, b)]
    return tuple(t if list(t._data.shape) == shape else expand(t, shape) for t in ts)


def block_diag(*tensors) -> Tensor:
    ts = _tensor_args(tensors, "block_diag")
    mats = []
    for i, t in enumerate(ts):
        arr = t._data
        if arr.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{arr.ndim} dimensions")
        mats.append(arr.reshape(1, -1) if arr.ndim < 2 else arr)
    dt = dtypes.float32 if not ts else ts[0].dtype
    for t in ts[1:]:
        dt = dtypes.promote_types(dt, t.dtype)
    rows, cols = sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)
    out = _zeros((rows if ts else 1, cols), dt.np, mats[0] if mats else None)
    r = c = 0
    blocks = []
    for m in mats:
        if m.size:
            _arrays.copy_into(out[r:r + m.shape[0], c:c + m.shape[1]], m)
        blocks.append((r, c, m.shape[0], m.shape[1]))
        r, c = r + m.shape[0], c + m.shape[1]
    res = Tensor._wrap(out)
    if needs_graph(*ts):
        node = record("BlockDiagBackward0", _block_diag_backward, tuple(ts), (res,))
        node.blocks, node.metas = blocks, [(tuple(t._data.shape), t.dtype) for t in ts]
    return res


def _block_diag_backward(c, g: Tensor) -> tuple:
    grads = []
    for need, (r, col, m, n), (shape, dt) in zip(c.needs_input_grad, c.blocks, c.metas):
        if not need:
            grads.append(None)
            continue
        piece = narrow(narrow(g, 0, r, m), 1, col, n).reshape(shape)
        grads.append(piece if piece.dtype is dt else piece.to(dt))
    return tuple(grads)


def cartesian_prod(*tensors) -> Tensor:
    ts = _tensor_args(tensors, "cartesian_prod")
    for t in ts:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def _repeat_interleave_method(self: Tensor, repeats, dim: int | None = None, *,
                              output_size: int | None = None) -> Tensor:
    return repeat_interleave(self, repeats, dim, output_size=output_size)


def _flip_method(self: Tensor, *dims) -> Tensor:
    return flip(self, dims[0] if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims)


flip.cuda_complete = _flip_method.cuda_complete = True  # (its CUDA path is whole: no cuda_pending wrapper)

# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
FUNCTIONS: dict = {
    "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll, "rot90": rot90, "tile": tile,
    "repeat_interleave": repeat_interleave, "tril": tril, "triu": triu, "diag": diag, "diagonal": diagonal,
    "diag_embed": diag_embed, "trace": trace, "kron": kron, "meshgrid": meshgrid,
    "broadcast_tensors": broadcast_tensors, "block_diag": block_diag, "cartesian_prod": cartesian_prod,
}
METHODS: dict = {
    "flip": _flip_method,
    "fliplr": fliplr, "flipud": flipud, "roll": roll, "rot90": rot90, "repeat": repeat, "tile": _tile_method,
    "repeat_interleave": _repeat_interleave_method, "tril": tril, "triu": triu, "tril_": tril_, "triu_": triu_,
    "diag": diag, "diagonal": diagonal, "diag_embed": diag_embed, "trace": trace, "kron": kron,
}
