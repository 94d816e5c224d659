"""In-place ops under autograd.

An in-place op on a tensor that takes part in autograd is computed out of place on a snapshot of the
tensor (a copy carrying its history), then written back; the tensor takes over the result's history.
When the tensor is a view, its base's history is rebased with a CopySlices node, as in PyTorch: the
gradient of the base flows to the base's old history outside the view's region, and through the
in-place op inside it. Regions of complex tensors are counted in real parts (an index into view_as_real of the base),
so a real view of a complex base (`.real`, `.imag`, `view_as_real`, slices of them) is rebased like any other view.
"""

from __future__ import annotations

import numpy as np

from .. import _arrays
from ..tensor import Tensor
from . import grad_mode
from .graph import Node, attach


def involved(self: Tensor, *others) -> bool:
    """True when an in-place op on self with these operands must be recorded."""
    if not grad_mode.STATE.enabled:
        return False
    return self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others) or (
        self._base is not None and self._base.requires_grad)


def check_inplace(self: Tensor) -> None:
    """PyTorch's errors for in-place ops on leaves that require grad and on views of such leaves."""
    if not grad_mode.STATE.enabled:
        return
    base = self._base
    if self.requires_grad and self._grad_fn is None:
        if base is not None and base.requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if base is not None and base.requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    node = self._multi_output_view
    if node is not None and self._grad_fn is node:
        raise RuntimeError(f"Output {self._output_nr} of {node.name()} is a view and is being modified inplace. This "
                           "view is the output of a function that returns multiple views. Such functions do not allow "
                           "the output views to be modified inplace. You should replace the inplace operation by an "
                           "out-of-place one.")


def mark_multi_output_views(views) -> None:
    """The views a multi-output view op (split, chunk, unbind) returned: PyTorch forbids in-place changes to them
    while they carry that op's history (its backward could not rebase one piece's history alone)."""
    for v in views:
        v._multi_output_view = v._grad_fn


def snapshot(self: Tensor) -> Tensor:
    """A copy of self's current values that carries self's history: the operand an in-place op reads."""
    old = Tensor._wrap(_arrays.copy(self._data))
    if self.requires_grad:
        old._requires_grad = True
        old._grad_fn, old._output_nr = self._grad_fn, self._output_nr
    return old


def commit(self: Tensor, result: Tensor) -> Tensor:
    """Write an in-place op's out-of-place result into self and give self (or its base) the new history."""
    self._bump_version()  # before the write: an inference tensor outside the mode raises with its data intact
    _arrays.copy_into(self._data, result._data)
    self._flat = None if self._flat is not None and not self._data.flags.c_contiguous else self._flat
    if not result.requires_grad:
        return self
    base = self._base
    if base is not None:
        _rebase_view(base, self, result)
    else:
        self._requires_grad = True
        self._grad_fn = result._grad_fn
        self._output_nr = result._output_nr
    return self


class CopySlices(Node):
    """The base's node after an in-place op on one of its views."""

    def __init__(self, old_base: Tensor, result: Tensor, region: np.ndarray, base: Tensor) -> None:
        super().__init__("CopySlices", None, (old_base, result))
        self.region = region  # flat C-order indices into base (its real parts, if complex) of each view element
        self.view_complex = result.is_complex()
        attach(self, (base,))

    def apply(self, g):
        """Recorded ops (put/take, and view_as_real/view_as_complex for complex tensors), so create_graph
        differentiates through in-place updates too."""
        from ..ops.indexing import put, take

        region = _index_tensor(self.region, g)
        parts = _as_parts(g)
        base_grad = put(parts, region, parts.new_zeros(self.region.shape))
        view_grad = take(parts, region).reshape(self.region.shape)
        return _like(base_grad, g.is_complex()), _like(view_grad, self.view_complex)


class ViewOfBase(Node):
    """A view's node after its base was rebased: the view's gradient lands in its region of the base."""

    def __init__(self, base: Tensor, view: Tensor, region: np.ndarray) -> None:
        super().__init__("AsStridedBackward0", None, (base,))
        self.base_complex = base.is_complex()
        self.region, self.base_shape = region, tuple(base.shape) + ((2,) if self.base_complex else ())
        attach(self, (view,))

    def apply(self, g):
        from ..ops.indexing import put

        region = _index_tensor(self.region, g)
        parts = _as_parts(g)
        out = put(parts.new_zeros(self.base_shape), region, parts.reshape(self.region.shape), accumulate=True)
        return (_like(out, self.base_complex),)


def _as_parts(t: Tensor) -> Tensor:
    """A complex gradient as view_as_real of it (regions count real parts); a real one as it is."""
    from ..ops.complex import view_as_real

    return view_as_real(t) if t.is_complex() else t


def _like(parts: Tensor, complex_: bool) -> Tensor:
    """Undo _as_parts: (..., 2) real parts back to a complex tensor when the gradient's tensor is complex."""
    from ..ops.complex import view_as_complex

    return view_as_complex(parts.contiguous()) if complex_ else parts


def _rebase_view(base: Tensor, view: Tensor, result: Tensor) -> None:
    region = region_of(base._data, view._data)
    old_base = Tensor._wrap(base._data)  # stands for the base's history before the op (data is not read)
    if base.requires_grad:
        old_base._requires_grad, old_base._grad_fn, old_base._output_nr = True, base._grad_fn, base._output_nr
    CopySlices(old_base, result, region, base)
    ViewOfBase(base, view, region)
    view._grad_fn_version = view._store.version


def refresh_view(view: Tensor) -> Node:
    """A view whose storage was modified in place after its graph node was made (e.g. through its base or
    another view) takes its gradient from the base's current history, as PyTorch regenerates it."""
    base = view._base
    if base.requires_grad:
        ViewOfBase(base, view, region_of(base._data, view._data))
    view._grad_fn_version = view._store.version
    return view._grad_fn


def _index_tensor(region: np.ndarray, like: Tensor) -> Tensor:
    """The region as an int64 index tensor on like's device."""
    t = Tensor._wrap(region.astype(np.int64, copy=False))
    return t if not like.is_cuda else t.to(like.device)


def region_of(base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """The flat C-order index into base of each element of view (a view of the same memory); a complex array counts
    as its (..., 2) real parts, so the region of `.real` of a complex base indexes view_as_real of the base."""
    base_off = _part_offsets(base).reshape(-1)
    view_parts = _part_offsets(view)
    view_off = view_parts.reshape(-1)
    order = np.argsort(base_off, kind="stable")
    pos = np.searchsorted(base_off[order], view_off)
    if view_off.size and (pos.max(initial=0) >= base_off.size or
                          not np.array_equal(base_off[order][np.minimum(pos, base_off.size - 1)], view_off)):
        raise RuntimeError("in-place operation on a view whose elements are not elements of its base")
    return order[pos].reshape(view_parts.shape)


def _part_offsets(a: np.ndarray) -> np.ndarray:
    """_byte_offsets, with a trailing (real, imag) axis for a complex array (complex arrays are CPU-only)."""
    off = _byte_offsets(a)
    if a.dtype.kind == "c":
        off = off[..., None] + np.array([0, a.itemsize // 2], dtype=np.int64)
    return off


def _byte_offsets(a: np.ndarray) -> np.ndarray:
    """Each element's byte address (a NumPy array) or byte offset in its allocation (a CUDA array): comparable
    between views of one storage either way."""
    start = a.offset if _arrays.is_cuda(a) else a.__array_interface__["data"][0]
    off = np.full(a.shape, start, dtype=np.int64)
    for d, (n, s) in enumerate(zip(a.shape, a.strides)):
        shape = [1] * a.ndim
        shape[d] = n
        off = off + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return off
