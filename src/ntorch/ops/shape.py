"""Views and shape ops. Views share storage with their input; errors match torch's."""

from __future__ import annotations

import numpy as np

from .. import _arrays, dtypes, layouts
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..tensor import Size, Tensor, _contiguous_strides, _wrap_dim
from ._util import _dim_list_item, normalize_dims

_GRAD = grad_mode.STATE


def _sizes(args, op: str) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], tuple | list):
        args = args[0]
    for a in args:  # the common case, plain ints, without the conversions below
        if type(a) is not int:
            break
    else:
        return tuple(args)
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, int | np.integer) or isinstance(a, bool):
            raise TypeError(f"{op}(): argument 'shape' must be tuple of ints, but found element of type "
                            f"{type(a).__name__}")
        out.append(int(a))
    return tuple(out)


_LEGACY_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def _legacy_type(t: Tensor) -> str:
    """torch's legacy tensor type name (torch.FloatTensor, ...) used in some of its error messages."""
    return f"torch.{_LEGACY_NAMES[t.dtype.name]}Tensor"


def _infer_size(shape: tuple, numel: int, op: str) -> tuple[int, ...]:
    """Resolve one -1 in `shape`; torch's error when the sizes cannot match."""
    infer = [i for i, s in enumerate(shape) if s == -1]
    if len(infer) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if infer:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_strides(old_shape, old_strides, new_shape):
    """torch's computeStride: strides for viewing without a copy, or None if impossible."""
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0:
        if tuple(old_shape) == tuple(new_shape):
            return list(old_strides)
        strides, acc = [0] * len(new_shape), 1
        for i in range(len(new_shape) - 1, -1, -1):
            strides[i] = acc
            acc *= max(new_shape[i], 1)
        return strides
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1] if old_strides else 1
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return new_strides


def _check_unique_dims(dim, ndim: int, op: str = "") -> None:
    """torch's error for a dim listed twice (checked before normalize_dims, whose message differs)."""
    if isinstance(dim, tuple | list):
        seen = set()
        for i, d in enumerate(dim):
            w = _wrap_dim(_dim_list_item(d, op, i), ndim, op)
            if w in seen:
                raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
            seen.add(w)


def _track(name: str, backward, input: Tensor, out: Tensor, **attrs) -> Tensor:
    """Record a shape op's node (when input requires grad); its backward reads c.shape and the attrs."""
    if _GRAD.enabled and input._requires_grad:  # (needs_graph(input), inlined: every view op comes here)
        node = record(name, backward, (input,), (out,))
        node.shape = tuple(input._data.shape)
        node.__dict__.update(attrs)
    return out


def _reshape_backward(c, g: Tensor) -> Tensor:
    return g.reshape(c.shape)


def _expand_backward(c, g: Tensor) -> Tensor:
    from .elementwise import sum_to

    return sum_to(g, c.shape, g.dtype)


def _slice_backward(c, g: Tensor) -> Tensor:
    """The gradient of a basic-index view: g placed into zeros of the input's shape."""
    grad = g.new_zeros(c.shape)
    grad[c.index] = g
    return grad


def _unbind_backward(c, *grads) -> Tensor:
    from .joins import stack

    return stack(grads, c.dim)


def as_strided_view(t: Tensor, shape, strides, offset_delta: int = 0) -> Tensor:
    """A view of t's memory with element strides, starting offset_delta elements after t's start."""
    arr = t._data
    item = arr.itemsize
    if type(arr) is not np.ndarray:  # a CUDA array: a checked view of its allocation
        from ..cuda.array import as_strided

        byte_strides = tuple(s * item for s in strides)
        return t._view_of(as_strided(arr, tuple(shape), byte_strides, arr.offset + offset_delta * item))
    if offset_delta == 0 and arr.size and (arr.flags.c_contiguous or arr.flags.f_contiguous):
        # from arr's first element, over arr's own (dense) buffer: no storage offset to find
        try:
            return t._view_of(np.ndarray(tuple(shape), arr.dtype, arr, 0, tuple(s * item for s in strides)))
        except (TypeError, ValueError):  # the view reaches outside arr's elements
            pass
    flat = t._storage().flat
    base_off = t.storage_offset() + offset_delta
    view = np.ndarray(tuple(shape), arr.dtype, flat, base_off * item,
                      tuple(s * item for s in strides)) if flat.size else np.empty(tuple(shape), arr.dtype)
    if not arr.flags.writeable:
        view.flags.writeable = False
    return t._view_of(view)


def view(self: Tensor, *shape, size=None, dtype=None) -> Tensor:
    """Tensor.view(*shape) or view(dtype); torch's keyword forms are view(size=...) and view(dtype=...)."""
    if size is None and dtype is None and not (_GRAD.enabled and self._requires_grad):
        arr = self._data
        if len(shape) == 1 and shape[0] == -1 and type(shape[0]) is int and type(arr) is np.ndarray \
                and arr.ndim and arr.flags.c_contiguous:
            return self._view_of(arr.ravel())  # view(-1): a C-contiguous ravel is a view, at half reshape's cost
        dims = _contiguous_dims(arr, shape)
        if dims is not None:
            return self._view_of(arr.reshape(dims))
    if size is not None or dtype is not None:
        if shape or (size is not None and dtype is not None):
            raise TypeError("view() received an invalid combination of arguments: give a shape or a dtype")
        shape = (size,) if dtype is None else (dtype,)
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype | str):
        return view_dtype(self, shape[0])
    shape = _infer_size(_sizes(shape, "view"), self._data.size, "view")
    if shape == self._data.shape:
        res = self._view_of(self._data.view())
    elif self._data.flags.c_contiguous:
        res = self._view_of(self._data.reshape(shape))
    else:
        strides = _view_strides(self._data.shape, self.stride(), shape)
        if strides is None:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        res = as_strided_view(self, shape, strides)
    return _track("ViewBackward0", _reshape_backward, self, res)


def view_dtype(self: Tensor, dt) -> Tensor:
    """The same bytes read as dt. For a different element size the last dim (stride 1) grows or shrinks by the
    size ratio, the other strides and the storage offset scale with it, as torch (with torch's checks)."""
    dt = dtypes.as_dtype(dt)
    old = self.element_size()
    if dt.itemsize == old:
        return self._view_of(self._data.view(dt.np))
    what = f"to view {dtypes.torch_name(self.dtype)} as {dtypes.torch_name(dt)} (different element sizes)"
    if self.ndim == 0:
        raise RuntimeError(f"self.dim() cannot be 0 {what}")
    shape, strides, offset = list(self.shape), list(self.stride()), self.storage_offset()
    if old > dt.itemsize:
        ratio = old // dt.itemsize
        if strides[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        shape[-1] *= ratio
        strides = [s * ratio for s in strides[:-1]] + [1]
        offset *= ratio
    else:
        ratio = dt.itemsize // old
        if shape[-1] % ratio:  # torch's order of checks
            raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {what}, but got {shape[-1]}")
        if offset % ratio:
            raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} {what}, but got {offset}")
        if strides[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        for i, st in enumerate(strides[:-1]):
            if st % ratio:
                raise RuntimeError(f"self.stride({i}) must be divisible by {ratio} {what}, but got {st}")
        shape[-1] //= ratio
        strides = [st // ratio for st in strides[:-1]] + [1]
        offset //= ratio
    arr, byte_strides = self._data, tuple(st * dt.itemsize for st in strides)
    if type(arr) is not np.ndarray:  # a CUDA array: the same bytes, so the same byte offset
        return self._view_of(arr._view(arr.offset, tuple(shape), byte_strides, np.dtype(dt.np)))
    flat = self._storage().flat
    view = np.ndarray(tuple(shape), dtype=dt.np, buffer=flat, offset=offset * dt.itemsize,
                      strides=byte_strides) if flat.size else np.empty(tuple(shape), dt.np)
    if not arr.flags.writeable:
        view.flags.writeable = False
    return self._view_of(view)


def _contiguous_dims(arr, shape: tuple) -> tuple | None:
    """The common view/reshape request, resolved without the general checks: ints (one may be -1) that fit a
    C-contiguous CPU array; None when the general path must decide (and raise torch's errors)."""
    if type(arr) is not np.ndarray or not arr.flags.c_contiguous:
        return None
    dims = shape[0] if len(shape) == 1 and type(shape[0]) in (tuple, Size) else shape
    n, infer = 1, False
    for s in dims:
        if type(s) is not int or s < -1 or (s == -1 and infer):
            return None
        if s == -1:
            infer = True
        else:
            n *= s
    if not infer:
        return dims if n == arr.size else None
    if n == 0 or arr.size % n:
        return None
    return tuple(arr.size // n if s == -1 else s for s in dims)


def reshape(self: Tensor, *shape) -> Tensor:
    if not (_GRAD.enabled and self._requires_grad):
        dims = _contiguous_dims(self._data, shape)
        if dims is not None:
            return self._view_of(self._data.reshape(dims))
    shape = _infer_size(_sizes(shape, "reshape"), self._data.size, "reshape")
    if self._data.flags.c_contiguous:
        res = self._view_of(self._data.reshape(shape))
    else:
        strides = _view_strides(self._data.shape, self.stride(), shape)
        if strides is not None:
            res = as_strided_view(self, shape, strides)
        else:
            res = Tensor._wrap(_arrays.ascontiguous(self._data).reshape(shape))
    return _track("ViewBackward0" if res._base is not None else "UnsafeViewBackward0", _reshape_backward, self, res)


def transpose(self: Tensor, dim0: int, dim1: int) -> Tensor:
    n = self._data.ndim
    d0, d1 = _wrap_dim(dim0, n, "transpose"), _wrap_dim(dim1, n, "transpose")
    if n == 0:
        return _track("TransposeBackward0", lambda c, g: g, self, self._view_of(self._data.view()))
    res = self._view_of(self._data.swapaxes(d0, d1))
    return _track("TransposeBackward0", lambda c, g: g.transpose(c.d0, c.d1), self, res, d0=d0, d1=d1)


swapdims = transpose


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """torch.swapaxes: transpose under NumPy's argument names (torch takes axis0/axis1 here, not dim0/dim1)."""
    return transpose(input, axis0, axis1)


def t(self: Tensor) -> Tensor:
    if self._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
    return _track("TBackward0", lambda c, g: g.t(), self, self._view_of(self._data.T))


def permute(self: Tensor, *dims) -> Tensor:
    dims = _sizes(dims, "permute")
    n = self._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
                           f"to len(dims) = {len(dims)}")
    wrapped = [_wrap_dim(d, n, "permute") for d in dims]
    if len(set(wrapped)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    res = self._view_of(self._data.transpose(wrapped))
    return _track("PermuteBackward0", lambda c, g: g.permute(*np.argsort(c.dims).tolist()), self, res, dims=wrapped)


def movedim(self: Tensor, source, destination) -> Tensor:
    src = (source,) if isinstance(source, int | Tensor) else tuple(source)
    dst = (destination,) if isinstance(destination, int | Tensor) else tuple(destination)
    n = self._data.ndim
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    src = [_wrap_dim(d, n, "movedim") for d in src]
    dst = [_wrap_dim(d, n, "movedim") for d in dst]
    for name, dims, given in (("source", src, source), ("destination", dst, destination)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    if n == 0:
        return _track("MovedimBackward0", lambda c, g: g, self, self._view_of(self._data.view()))
    res = self._view_of(_arrays.moveaxis(self._data, src, dst))
    return _track("MovedimBackward0", lambda c, g: g.movedim(c.dst, c.src), self, res, src=src, dst=dst)


moveaxis = movedim


def unsqueeze(self: Tensor, dim: int) -> Tensor:
    d = _wrap_dim(dim, self._data.ndim + 1, "unsqueeze")
    return _track("UnsqueezeBackward0", _reshape_backward, self, self._view_of(_arrays.expand_dims(self._data, d)))


def squeeze(self: Tensor, dim=None) -> Tensor:
    arr = self._data
    if dim is None:
        res = self._view_of(arr.reshape(tuple(s for s in arr.shape if s != 1)) if arr.ndim else arr.view())
        return _track("SqueezeBackward0", _reshape_backward, self, res)
    _check_unique_dims(dim, arr.ndim)
    dims = normalize_dims(dim, arr.ndim, "squeeze")
    if arr.ndim == 0:
        return _track("SqueezeBackward1", _reshape_backward, self, self._view_of(arr.view()))
    res = self._view_of(arr.squeeze(axis=tuple(i for i in dims if arr.shape[i] == 1)))
    return _track("SqueezeBackward1", _reshape_backward, self, res)


def expand(self: Tensor, *sizes, size=None, implicit: bool = False) -> Tensor:
    """Tensor.expand; torch's keyword form is expand(size=...) (implicit is a tracing flag without effect)."""
    if size is not None:
        if sizes:
            raise TypeError("expand() received an invalid combination of arguments: sizes given twice")
        sizes = (size,)
    sizes = _sizes(sizes, "expand")
    arr = self._data
    if len(sizes) < arr.ndim:
        raise RuntimeError(f"expand({_legacy_type(self)}{{{list(arr.shape)}}}, size={list(sizes)}): the number of "
                           f"sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({arr.ndim})")
    lead = len(sizes) - arr.ndim
    if sizes[lead:] == arr.shape and (lead == 1 and sizes[0] >= 0 or lead == 0) and type(arr) is np.ndarray \
            and arr.size and arr.flags.c_contiguous:  # a new leading dim (a batch) over a dense array: a view of it
        view = np.ndarray(sizes, arr.dtype, arr, 0, (0,) * lead + arr.strides)  # (_arrays.as_strided's own case)
        return _track("ExpandBackward0", _expand_backward, self, self._view_of(view))
    shape, strides = [], []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            shape.append(s)
            strides.append(0)
            continue
        cur, st = arr.shape[i - lead], arr.strides[i - lead]
        if s == -1:
            s = cur
        if cur == s:
            shape.append(s)
            strides.append(st)
        elif cur == 1:
            shape.append(s)
            strides.append(0)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(arr.shape)}")
    view = _arrays.as_strided(arr, tuple(shape), tuple(strides))
    return _track("ExpandBackward0", _expand_backward, self, self._view_of(view))


def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return expand(self, tuple(other.shape))


def broadcast_to(input: Tensor, size) -> Tensor:
    if not isinstance(size, list | tuple | Size):
        raise TypeError(f"broadcast_to(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return expand(input, tuple(size))


def flatten(self: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    arr = self._data
    if start_dim == 0 and end_dim == -1 and type(arr) is np.ndarray and arr.flags.c_contiguous and arr.ndim \
            and not (_GRAD.enabled and self._requires_grad):  # the whole tensor of a contiguous CPU tensor: a view
        return self._view_of(arr.reshape(-1))
    n = self._data.ndim
    if n == 0:  # (dims 0 and -1 only, as torch)
        _wrap_dim(start_dim, 0, "flatten")
        _wrap_dim(end_dim, 0, "flatten")
        return reshape(self, 1)
    s = _wrap_dim(start_dim, n, "flatten")
    e = _wrap_dim(end_dim, n, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = self._data.shape
    return reshape(self, shape[:s] + (-1 if 0 not in shape[s:e + 1] else 0,) + shape[e + 1:])


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor: a view of a contiguous tensor, else a contiguous copy (torch.ravel is
    contiguous().view(-1), so unlike flatten it never returns a strided view)."""
    return flatten(contiguous(input))


def unflatten(self: Tensor, dim: int, sizes) -> Tensor:
    n = self._data.ndim
    d = _wrap_dim(dim, n, "unflatten")
    sizes = tuple(sizes)
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    cur = self._data.shape[d]
    resolved = sizes
    if -1 in sizes:
        try:
            resolved = _infer_size(sizes, cur, "unflatten")
        except RuntimeError:
            resolved = None
    prod = 1
    for s in resolved or (0,):
        prod *= s
    if resolved is None or prod != cur:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({cur}) in the input tensor")
    return view(self, self._data.shape[:d] + tuple(resolved) + self._data.shape[d + 1:])


def narrow(self: Tensor, dim: int, start: int, length: int) -> Tensor:
    if self._data.ndim == 0:  # torch checks this before the dim
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, self._data.ndim, "narrow")
    size = self._data.shape[d]
    if isinstance(start, Tensor):
        start = start.item()
    if start < -size or start > size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    idx = [slice(None)] * self._data.ndim
    idx[d] = slice(start, start + length)
    return _track("SliceBackward0", _slice_backward, self, self._view_of(self._data[tuple(idx)]), index=tuple(idx))


def unbind(self: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    if self._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, self._data.ndim, "unbind")
    outs = tuple(self._view_of(_index_dim(self._data, d, i)) for i in range(self._data.shape[d]))
    if needs_graph(self):
        record("UnbindBackward0", _unbind_backward, (self,), outs).dim = d
        from ..autograd.inplace import mark_multi_output_views

        mark_multi_output_views(outs)
    return outs


def _index_dim(arr: np.ndarray, d: int, i: int) -> np.ndarray:
    idx = [slice(None)] * arr.ndim
    idx[d] = i
    return arr[(*idx, Ellipsis)]  # the Ellipsis makes NumPy return a 0-d view rather than a scalar copy


def select(self: Tensor, dim: int, index: int) -> Tensor:
    if self._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, self._data.ndim, "select")
    size = self._data.shape[d]
    if index < -size or index >= size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(self._data.shape)} at "
                         f"dimension {d}")
    res = self._view_of(_index_dim(self._data, d, index))
    idx = (slice(None),) * d + (index,)
    return _track("SelectBackward0", _slice_backward, self, res, index=idx)


def contiguous(self: Tensor, memory_format=None) -> Tensor:
    if self._flat is not None and memory_format is None:  # (a cached flat view: C-contiguous on the CPU)
        return self
    if memory_format is None and type(self._data) is _arrays.CudaArray:  # (its flag is torch's rule, no checks)
        if self._data.flags.c_contiguous:
            return self
        return _track("CloneBackward0", lambda c, g: g, self, Tensor._wrap(_arrays.ascontiguous(self._data)))
    if memory_format is None or memory_format is layouts.contiguous_format:
        if self.is_contiguous():
            return self
        return _track("CloneBackward0", lambda c, g: g, self, Tensor._wrap(_arrays.ascontiguous(self._data)))
    layouts.check_memory_format("contiguous", memory_format)
    if memory_format is layouts.preserve_format:
        if self.is_contiguous():
            return self
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    strides = layouts.format_strides(tuple(self._data.shape), memory_format)  # raises for a wrong rank
    if self.is_contiguous(memory_format):
        return self
    return _copy_with_strides(self, strides)


def _copy_with_strides(self: Tensor, strides: tuple) -> Tensor:
    """A copy of self laid out with the given element strides (a clone in autograd's eyes)."""
    if type(self._data) is not np.ndarray:
        out = _arrays.empty_strided(self._data.shape, strides, self._data.dtype, self._data)
        _arrays.copy_into(out, self._data)
    else:
        out = empty_strided_array(self._data.shape, strides, self._data.dtype)
        out[...] = self._data
    return _track("CloneBackward0", lambda c, g: g, self, Tensor._wrap(out))


def _non_overlapping_and_dense(shape, strides) -> bool:
    """torch's is_non_overlapping_and_dense: some permutation of the dims is C-contiguous."""
    if len(shape) == 1:
        return shape[0] < 2 or strides[0] == 1
    perm = sorted(range(len(shape)), key=lambda d: (shape[d] < 2, strides[d] if shape[d] >= 2 else 0))
    required = 1
    for d in perm:
        if shape[d] < 2:
            return True
        if strides[d] != required:
            return False
        required *= shape[d]
    return True


def iteration_perm(shape, strides) -> list[int]:
    """torch's TensorIterator dimension order for one tensor (fastest-moving first): strides ascending, equal strides
    broken by size, 0 strides ambiguous (left in place). Serial samplers fill a strided tensor in this order, and
    infer_dense_strides keeps it."""
    perm = list(range(len(shape) - 1, -1, -1))

    def should_swap(d0, d1):
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, len(shape)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def _dense_strides(shape, strides) -> tuple[int, ...]:
    """torch's infer_dense_strides: dense strides that keep the order of `strides` (0 strides are ambiguous)."""
    n = len(shape)
    perm = iteration_perm(shape, strides)
    out, acc = [0] * n, 1
    for d in perm:
        out[d] = acc
        if shape[d] > 1:
            acc *= shape[d]
    return tuple(out)


def preserved_strides(t: Tensor) -> tuple[int, ...]:
    """The strides torch gives a copy of t with memory_format=torch.preserve_format (clone, *_like)."""
    shape, strides = t._data.shape, t.stride()
    contiguous = _contiguous_strides(shape)
    if t._data.size == 0 or strides == contiguous:
        return contiguous
    if _non_overlapping_and_dense(shape, strides):  # kept exactly, size-1 dims' strides included (torch)
        return tuple(strides)
    return _dense_strides(shape, strides)


def empty_strided_array(shape, strides, np_dtype) -> np.ndarray:
    """An uninitialised array with the given element strides over a fresh dense buffer."""
    shape = tuple(shape)
    numel = 1
    for n in shape:
        numel *= n
    item = np.dtype(np_dtype).itemsize
    if numel == 0 or strides == _contiguous_strides(shape):
        return np.empty(shape, np_dtype)
    flat = np.empty(numel, np_dtype)
    return np.lib.stride_tricks.as_strided(flat, shape, tuple(s * item for s in strides))


def clone(self: Tensor, *, memory_format=None) -> Tensor:
    """A copy; by default (torch.preserve_format) it keeps self's memory layout, dense and non-overlapping."""
    arr = self._data
    if memory_format is None and type(arr) is np.ndarray and arr.flags.c_contiguous and 1 not in arr.shape:
        # the common case (a size-1 dim's stride is free in NumPy's contiguity but kept by torch's clone)
        return _track("CloneBackward0", lambda c, g: g, self, Tensor._wrap(arr.copy()))
    return _copy_with_strides(self, like_strides(self, memory_format, "clone"))


def like_strides(t: Tensor, memory_format, op: str) -> tuple:
    """The strides of a new tensor made like t (clone, *_like) in memory_format (None: preserve_format)."""
    if memory_format is None or memory_format is layouts.preserve_format:
        return preserved_strides(t)
    layouts.check_memory_format(op, memory_format)
    if memory_format is layouts.contiguous_format:
        return _contiguous_strides(t._data.shape)
    return layouts.format_strides(tuple(t._data.shape), memory_format)
