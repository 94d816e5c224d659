"""Tensor methods torch has that need no op of their own: a view (unfold), in-place forms of shape ops and of
out-of-place ops, predicates and real-tensor identities (conj, real, ...), and in-place aliases."""

from __future__ import annotations

import math
import warnings

from .. import _arrays, dtypes, layouts
from ..autograd import grad_mode
from ..autograd.graph import renamed
from ..storage import typed_storage as _typed_storage
from ..tensor import Tensor, _contiguous_strides, _wrap_dim
from . import misc, shape, tensor_legacy
from ._util import check_tensor, write_out


# -- a view ----------------------------------------------------------------------------------------------------
def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of `size` elements along `dimension`, `step` apart, as a new last dim (a view)."""
    check_tensor(self, "unfold")
    shp, strides = list(self.shape) or [1], list(self.stride()) or [1]
    d = _wrap_dim(dimension, max(self.ndim, 1), "unfold")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0 or size > shp[d]:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {shp[d]} but size is {size}")
    windows = (shp[d] - size) // step + 1
    out_shape = shp[:d] + [windows] + shp[d + 1:] + [size]
    out_strides = strides[:d] + [strides[d] * step] + strides[d + 1:] + [strides[d]]
    if self.ndim == 0:
        out_shape, out_strides = out_shape[1:], out_strides[1:]
    return renamed(misc.as_strided(self, out_shape, out_strides, self.storage_offset()), "UnfoldBackward0")


# -- in place, through a view or an out-of-place result ---------------------------------------------------------
def _meta_inplace(name: str, view_op):
    """torch's squeeze_/t_/transpose_...: self takes the view's shape and strides (and, under autograd, its node)."""

    def method(self: Tensor, *args, **kwargs) -> Tensor:
        if grad_mode.STATE.enabled and self.requires_grad and self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        self._bump_version()  # (torch counts a metadata change as a write; an inference tensor raises here)
        v = view_op(self, *args, **kwargs)
        self._data, self._flat = v._data, None
        if v.requires_grad and v.grad_fn is not None:
            self._grad_fn, self._output_nr = v._grad_fn, v._output_nr
        return self

    method.__name__ = name
    return method


def _copy_inplace(name: str, op):
    """In-place form of an out-of-place op: the result written back into self (copy_ records autograd)."""

    def method(self: Tensor, *args, **kwargs) -> Tensor:
        res = op(self, *args, **kwargs)
        if res.dtype is not self.dtype and not dtypes.can_cast(res.dtype, self.dtype):
            raise RuntimeError(f"result type {dtypes.torch_name(res.dtype)} can't be cast to the desired output type "
                               f"{dtypes.torch_name(self.dtype)}")
        return self.copy_(res)

    method.__name__ = name
    return method


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (all dims of equal length, or a 2-d tensor); with `wrap`, a tall matrix's diagonal
    starts again after one skipped row, as torch's and NumPy's."""
    check_tensor(self, "fill_diagonal_")
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    step = sum(self.stride())
    rows, cols = self.shape[0], self.shape[1]
    starts = range(0, rows, cols + 1) if self.ndim == 2 and wrap else range(1)
    for r in starts:
        block = self[r:] if r else self
        n = min(min(block.shape), cols)
        misc.as_strided(block, (n,), (step,), block.storage_offset()).fill_(fill_value)
    return self


def sum_to_size(self: Tensor, *size) -> Tensor:
    """The sum of self down to `size`, which self's shape must broadcast from (the reverse of expand)."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else tuple(size)
    lead = self.ndim - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, self.shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(self.shape)}}}.")
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and self.shape[lead + i] != 1)
    out = self.sum(dims, keepdim=True) if dims else self
    return out.reshape(size) if lead else out


def resize_(self: Tensor, *size, memory_format=None) -> Tensor:
    """New shape in place; elements keep their flat order, new ones are uninitialised (zeros here). A
    channels-last memory_format then lays the same memory out with that format's strides (as torch)."""
    from .creation import zeros

    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else tuple(size)
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    layouts.check_memory_format("resize_", memory_format)
    if memory_format is layouts.preserve_format:
        raise RuntimeError("Unsupported memory format for resize_: preserve")
    strides = layouts.format_strides(size, memory_format)
    numel = math.prod(size)
    if numel <= self.numel() and self.is_contiguous():
        self._data, self._flat = self.reshape(-1)[:numel].reshape(size)._data, None
    else:
        fresh = zeros(size, dtype=self.dtype, device=self.device)
        keep = min(numel, self.numel())
        if keep:
            fresh.view(-1)[:keep] = self.reshape(-1)[:keep]
        self._data, self._flat, self._store, self._base = fresh._data, None, None, None
    if strides is not None:
        flat = self._data.reshape(-1) if numel else self._data
        item = self._data.itemsize
        self._data = _arrays.as_strided(flat, size, tuple(s * item for s in strides))
    return self


def resize_as_(self: Tensor, the_template: Tensor, *, memory_format=None) -> Tensor:
    return resize_(self, tuple(the_template.shape), memory_format=memory_format)


# how torch's set_ error names element types (C++ typeid names)
_TYPEID_NAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
                "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
                "float64": "double"}


def set_(self: Tensor, source: Tensor | None = None, storage_offset: int | None = None, size=None,
         stride=None) -> Tensor:
    """self becomes a view of source's memory (as given, or as_strided by size/stride/storage_offset); with no
    source, an empty 1-d tensor. ntorch's storages are not settable sources: pass a tensor."""
    from ..autograd.inplace import check_inplace
    from .creation import empty

    check_inplace(self)
    self._check_writable()
    if source is None:
        target = empty(0, dtype=self.dtype, device=self.device)
    else:
        if not isinstance(source, Tensor):
            raise TypeError(f"set_(): source must be a Tensor in ntorch, not {type(source).__name__}")
        if source.dtype is not self.dtype:
            raise RuntimeError(f"Could not set tensor of type {_TYPEID_NAME[source.dtype.np.name]} to a tensor "
                               f"of type {_TYPEID_NAME[self.dtype.np.name]}")
        if source.device != self.device:
            raise RuntimeError(f"Attempted to set the storage of a tensor on device \"{self.device}\" to a storage "
                               f"on different device \"{source.device}\".  This is no longer allowed; the "
                               "devices must match.")
        target = source.detach()
        if size is not None:
            size = tuple(size)
            stride = tuple(stride) if stride is not None else _contiguous_strides(size)
            target = misc.as_strided(target, size, stride, storage_offset or 0)
    # not an autograd view (torch: a.set_(b)._base is None); the storage, and so the version counter, is shared
    self._data, self._flat, self._store, self._base = target._data, None, target._storage(), None
    return self


def _is_pinned(self: Tensor, device=None) -> bool:
    """No pinned host memory here; torch's deprecated device argument warns as torch's does."""
    if device is not None:
        warnings.warn("The argument 'device' of Tensor.is_pinned() is deprecated. Please do not pass this argument.",
                      DeprecationWarning, stacklevel=2)
    return False


def is_set_to(self: Tensor, tensor: Tensor) -> bool:
    """The same memory seen the same way: start, shape, strides, dtype and device."""
    other = tensor
    return (self.device == other.device and self.dtype is other.dtype and self.data_ptr() == other.data_ptr()
            and tuple(self.shape) == tuple(other.shape) and self.stride() == other.stride())


def module_load(self: Tensor, other: Tensor, assign: bool = False) -> Tensor:
    """How load_state_dict turns a saved value into the new parameter (torch's default)."""
    return other.detach() if assign else self.copy_(other).detach()


def angle(self: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The argument of a real number: 0 for x >= 0, pi for x < 0, NaN kept (a float result for integers)."""
    from .pointwise import where

    x = self if self.dtype.is_floating_point else self.to(dtypes.get_default_dtype())
    res = where(x.isnan(), x, x.lt(0).to(x.dtype) * math.pi)  # (NaN stays NaN; x keeps the graph)
    return res if out is None else write_out(out, res._data, "angle")


def _imag(self: Tensor):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def dim_order(self: Tensor) -> tuple:
    """Dims from outermost to innermost in memory (stride descending, ties by dim)."""
    return tuple(sorted(range(self.ndim), key=lambda d: (-self.stride()[d], d)))


def float_power_(self: Tensor, exponent) -> Tensor:
    if self.dtype is not dtypes.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {dtypes.torch_name(self.dtype)} but the "
                           "operation's result requires dtype Double")
    return self.pow_(exponent)


def _inplace_alias(name: str):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        return getattr(self, name)(*args, **kwargs)

    method.__name__ = name
    return method


def _bound_method(fn):
    return lambda self, *args, **kwargs: fn(self, *args, **kwargs)


def _nn(name: str):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        from ..nn import functional as F

        return getattr(F, name)(self, *args, **kwargs)

    method.__name__ = name
    return method


METHODS = {
    "unfold": unfold,
    "squeeze_": _meta_inplace("squeeze_", shape.squeeze),
    "unsqueeze_": _meta_inplace("unsqueeze_", shape.unsqueeze),
    "t_": _meta_inplace("t_", shape.t),
    "transpose_": _meta_inplace("transpose_", shape.transpose),
    "swapaxes_": _meta_inplace("swapaxes_", shape.transpose),
    "swapdims_": _meta_inplace("swapdims_", shape.transpose),
    "fill_diagonal_": fill_diagonal_,
    "sum_to_size": sum_to_size,
    "resize_": resize_,
    "resize_as_": resize_as_,
    "storage": lambda self: _typed_storage(self),
    "set_": set_,
    "is_set_to": is_set_to,
    "module_load": module_load,
    "const_data_ptr": lambda self: self.data_ptr(),
    "dense_dim": lambda self: self.ndim,
    "sparse_dim": lambda self: 0,
    "to_dense": lambda self, dtype=None, *, masked_grad=None: self if dtype is None else self.to(dtype),
    "record_stream": lambda self, s: None,  # one stream per device: nothing to record
    "angle": angle,
    "dim_order": dim_order,
    "float_power_": float_power_,
    "narrow_copy": lambda self, dim, start, length: self.narrow(dim, start, length).clone(),
    "new_empty_strided": lambda self, size, stride, *, dtype=None, layout=None, device=None, pin_memory=False,
    requires_grad=False: misc.empty_strided(size, stride, dtype=dtype or self.dtype, layout=layout,
                                            device=device or self.device, pin_memory=pin_memory,
                                            requires_grad=requires_grad),
    "is_signed": lambda self: self.dtype not in (dtypes.bool, dtypes.uint8),
    "is_nonzero": lambda self: misc.FUNCTIONS["is_nonzero"](self),
    "is_same_size": lambda self, other: tuple(self.shape) == tuple(other.shape),
    "is_conj": lambda self: False,
    "is_neg": lambda self: False,
    "is_shared": lambda self: False,
    "is_pinned": _is_pinned,
    "conj": lambda self: self,
    "resolve_conj": lambda self: self,
    "resolve_neg": lambda self: self,
    "conj_physical": lambda self: self,  # torch returns a real tensor itself
    "adjoint": lambda self: _adjoint(self),
    "share_memory_": lambda self: self,
    "pin_memory": lambda self, device=None: self,
    "prelu": _nn("prelu"),
    "hardshrink": _nn("hardshrink"),
    "arctan2": lambda self, other: self.atan2(other),
    "arctan2_": _inplace_alias("atan2_"),
    "absolute_": _inplace_alias("abs_"),
    "divide_": _inplace_alias("div_"),
    "true_divide_": _inplace_alias("div_"),
    "multiply_": _inplace_alias("mul_"),
    "subtract_": _inplace_alias("sub_"),
    "greater_": _inplace_alias("gt_"),
    "greater_equal_": _inplace_alias("ge_"),
    "less_": _inplace_alias("lt_"),
    "less_equal_": _inplace_alias("le_"),
    "not_equal_": _inplace_alias("ne_"),
    "floor_divide_": lambda self, other: self.__ifloordiv__(other),
    "hypot_": _copy_inplace("hypot_", lambda self, other: self.hypot(other)),
    "addmm_": _copy_inplace("addmm_", lambda self, *a, **k: self.addmm(*a, **k)),
    "addmv_": _copy_inplace("addmv_", lambda self, *a, **k: self.addmv(*a, **k)),
    "addbmm_": _copy_inplace("addbmm_", lambda self, *a, **k: self.addbmm(*a, **k)),
    "baddbmm_": _copy_inplace("baddbmm_", lambda self, *a, **k: self.baddbmm(*a, **k)),
    "addr_": _copy_inplace("addr_", lambda self, *a, **k: self.addr(*a, **k)),
    "renorm_": _copy_inplace("renorm_", lambda self, *a, **k: self.renorm(*a, **k)),
    "polygamma_": _copy_inplace("polygamma_", lambda self, n: self.polygamma(n)),
    "mvlgamma_": _copy_inplace("mvlgamma_", lambda self, p: self.mvlgamma(p)),
}

PROPERTIES = {
    "is_cpu": lambda self: not self.is_cuda,
    "real": lambda self: self,
    "imag": _imag,
    "output_nr": lambda self: self._output_nr,
}
# legacy and compatibility methods (tensor_legacy.py)
METHODS.update(tensor_legacy.METHODS)
PROPERTIES.update(tensor_legacy.PROPERTIES)



def _adjoint(self: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (a view for real tensors; a copy for complex ones, since
    ntorch's conj() copies)."""
    if self.ndim == 0:  # torch 2.13 still takes a 0-d tensor, with its deprecation warning
        warnings.warn("adjoint() is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return self.conj() if self.dtype.is_complex else self[...]
    if self.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{self.ndim}-D tensor.")
    t = shape.transpose(self, -2, -1)
    return t.conj() if t.dtype.is_complex else t

def _function(name: str, method):
    """torch.<name>(input) for a method above: the same, with torch's TypeError for a non-tensor input."""
    def fn(input, *args, **kwargs):
        check_tensor(input, name)
        return method(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    return fn


# torch.<name> functions that are these methods (real dtypes: conj and friends are the identity)
FUNCTIONS: dict = {name: _function(name, METHODS[name]) for name in (
    "angle", "conj", "resolve_conj", "resolve_neg", "conj_physical", "is_conj", "is_neg", "adjoint", "arctan2")}
FUNCTIONS["real"] = _function("real", PROPERTIES["real"])
FUNCTIONS["imag"] = _function("imag", PROPERTIES["imag"])
