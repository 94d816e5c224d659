"""Tensor methods torch keeps for compatibility or for back ends ntorch does not have: the is_<backend>
predicates (all False), legacy constructors and resizes, unsafe split forms, element-by-element Python callbacks
(apply_, map_, map2_: CPU only, as torch), nonzero_static, igamma/igammac and the post-accumulate-grad hook.
tensor_methods.py merges these tables into its own."""

from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from ..tensor import Tensor

# -- predicates of back ends and layouts ntorch has not ---------------------------------------------------------
_FALSE_PROPERTIES = ("is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn", "is_mps", "is_xpu",
                     "is_nested", "is_ipu", "is_xla", "is_vulkan", "is_mtia", "is_maia")


# -- unsafe split forms: the pieces may be modified in place (no multi-output view check) -----------------------
def _unsafe(method: str):
    def fn(self: Tensor, *args, **kwargs) -> tuple:
        pieces = getattr(self, method)(*args, **kwargs)
        for p in pieces:
            p.__dict__.pop("_multi_output_view", None)
        return tuple(pieces)

    fn.__name__ = "unsafe_" + method
    fn.__doc__ = f"{method}, whose pieces may be modified in place (torch's unsafe_{method})."
    return fn


# -- legacy constructors and resizes ------------------------------------------------------------------------------
def new(self: Tensor, *args, device=None) -> Tensor:
    """The legacy constructor: new() is empty, new(2, 3) or new(Size) uninitialised of that shape, new(data) a
    tensor of self's dtype, new(tensor) that tensor (it must have self's dtype)."""
    from ..ops import creation

    device = self.device if device is None else device
    if not args:
        return creation.empty(0, dtype=self.dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other.dtype is not self.dtype:
            raise TypeError(f"expected {self.type()} (got {other.type()})")
        return other.detach()
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return creation.empty(tuple(int(a) for a in args), dtype=self.dtype, device=device)
    if len(args) == 1 and type(args[0]).__name__ == "Size":
        return creation.empty(tuple(args[0]), dtype=self.dtype, device=device)
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
        return creation.tensor(args[0], dtype=self.dtype, device=device)
    if len(args) == 1:
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    raise TypeError(f"new() received an invalid combination of arguments - got "
                    f"({', '.join(type(a).__name__ for a in args)})")


def _sizes(size) -> tuple:
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def _resize(self: Tensor, sizes: tuple) -> Tensor:
    numel = int(np.prod(sizes, dtype=np.int64))
    if numel != self.numel():
        fmt = "x".join(str(s) for s in sizes)
        have = "x".join(str(s) for s in self.shape)
        raise RuntimeError(f"requested resize to {fmt} ({numel} elements in total), but the given tensor has a size "
                           f"of {have} ({self.numel()} elements). autograd's resize can only change the shape of a "
                           "given tensor, while preserving the number of elements. ")
    return self.reshape(sizes)


def resize(self: Tensor, *sizes) -> Tensor:
    """Deprecated out-of-place resize: a reshape that must keep the element count."""
    warnings.warn("non-inplace resize is deprecated", stacklevel=2)
    return _resize(self, _sizes(sizes))


def resize_as(self: Tensor, tensor: Tensor) -> Tensor:
    warnings.warn("non-inplace resize_as is deprecated", stacklevel=2)
    return _resize(self, tuple(tensor.shape))


# -- Python callbacks per element (CPU only) -------------------------------------------------------------------
def _check_callback(self: Tensor, name: str) -> None:
    if self.is_cuda:
        raise TypeError(f"{name} is only implemented on CPU tensors")
    from ..autograd import grad_mode

    if self.requires_grad and grad_mode.STATE.enabled:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")


def _callback_into(self: Tensor, fn, *others: Tensor) -> Tensor:
    """self[i] = fn(self[i], others[i]...) over every element (others broadcast to self's shape)."""
    def host(t: Tensor) -> np.ndarray:  # .numpy(), which refuses bfloat16 (and CUDA tensors, as torch)
        return t._data if t.dtype is dtypes.bfloat16 and not t.is_cuda else t.numpy()

    arrays = [host(self)] + [np.broadcast_to(host(o), tuple(self.shape)) for o in others]
    cast = self.dtype.np.type
    out = np.empty(self.shape, self.dtype.np)
    for index in np.ndindex(*self.shape):
        out[index] = cast(fn(*(a[index].item() for a in arrays)))
    self.copy_(Tensor._wrap(out))
    return self


def apply_(self: Tensor, callable) -> Tensor:
    _check_callback(self, "apply_")
    return _callback_into(self, callable)


def _check_same_type(name: str, self: Tensor, other: Tensor, arg: str) -> None:
    if other.dtype is not self.dtype:
        raise TypeError(f"{name}: expected {self.type()} for '{arg}' (got {other.type()})")


def map_(self: Tensor, other: Tensor, callable) -> Tensor:
    _check_callback(self, "map_")
    _check_same_type("map_", self, other, "other")
    return _callback_into(self, callable, other)


def map2_(self: Tensor, x: Tensor, y: Tensor, callable) -> Tensor:
    _check_callback(self, "map2_")
    _check_same_type("map2_", self, x, "x")
    _check_same_type("map2_", self, y, "y")
    return _callback_into(self, callable, x, y)


# -- the rest -------------------------------------------------------------------------------------------------
def nonzero_static(self: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero()'s (count, ndim) indices cut or padded with fill_value to exactly `size` rows."""
    if not isinstance(size, (int, np.integer)) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = self.nonzero()
    count = found.shape[0]
    if count >= size:
        return found[:size]
    pad = found.new_full((size - count, found.shape[1]), fill_value)
    from .joins import FUNCTIONS as _J

    return _J["cat"]([found, pad], 0)


def register_post_accumulate_grad_hook(self: Tensor, hook):
    """hook(tensor) runs after a backward pass has accumulated this leaf's gradient into .grad."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    from ..autograd.graph import _Handle

    hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", [])
    hooks.append(hook)
    return _Handle(hooks, hook)


def _special(name: str):
    def fn(self: Tensor, other) -> Tensor:
        from .. import special

        return getattr(special, name)(self, other)

    return fn


def _special_(name: str):
    def fn(self: Tensor, other) -> Tensor:
        from .. import special

        res = getattr(special, name)(self, other)
        if res.dtype is not self.dtype:
            raise RuntimeError(f"result type {dtypes.torch_name(res.dtype)} can't be cast to the desired output type "
                               f"{dtypes.torch_name(self.dtype)}")
        return self.copy_(res)

    return fn


def _lu(self: Tensor, pivot: bool = True, get_infos: bool = False):
    from .. import lu

    return lu(self, pivot, get_infos)


def _lu_solve(self: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803 - torch's names
    from .. import lu_solve

    return lu_solve(self, LU_data, LU_pivots)


def _as_strided_(self: Tensor, size, stride, storage_offset=None) -> Tensor:
    """self becomes the as_strided view of its own storage."""
    from . import misc

    self._bump_version()  # (a metadata change counts as a write, as in torch)
    v = misc.as_strided(self, size, stride, storage_offset)
    self._data, self._flat = v._data, None
    return self


METHODS = {
    "unsafe_chunk": _unsafe("chunk"),
    "unsafe_split": _unsafe("split"),
    "unsafe_split_with_sizes": _unsafe("split_with_sizes"),
    "new": new,
    "resize": resize,
    "resize_as": resize_as,
    "apply_": apply_,
    "map_": map_,
    "map2_": map2_,
    "nonzero_static": nonzero_static,
    "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook,
    "igamma": _special("gammainc"),
    "igammac": _special("gammaincc"),
    "igamma_": _special_("gammainc"),
    "igammac_": _special_("gammaincc"),
    "lu": _lu,
    "lu_solve": _lu_solve,
    "as_strided_": _as_strided_,
    "conj_physical_": lambda self: self,
}
PROPERTIES = {name: (lambda self: False) for name in _FALSE_PROPERTIES}
