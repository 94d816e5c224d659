"""dtype conversions and copies: to, type casts, copy_, fill_, zero_."""

from __future__ import annotations

import numpy as np

from .. import _arrays, devices, dtypes, layouts
from ..autograd import grad_mode, inplace
from ..autograd.graph import needs_graph, record, renamed
from ..tensor import Tensor
from ._util import check_scalar_fits, fill_value, infer_size, is_scalar
from .elementwise import apply

_GRAD = grad_mode.STATE


def _real_part(arr):
    """A complex array cast to a real dtype keeps its real part, with torch's warning (NumPy's own warning is a
    ComplexWarning, not torch's UserWarning)."""
    from ._util import warn

    warn("Casting complex values to real discards the imaginary part")
    return arr.real


def _cast(arr, dt: dtypes.dtype):
    """torch's casts: float->int truncates toward zero; float->bool is `!= 0` (the CUDA copy kernel does both);
    complex->real keeps the real part and warns."""
    if arr.dtype.kind == "c" and dt.category < dtypes.COMPLEX and dt is not dtypes.bool:
        arr = _real_part(arr)
        if arr.dtype == dt.np:
            return _arrays.copy(arr)
    if _arrays.is_cuda(arr):
        return _arrays.copy(arr) if arr.dtype == dt.np else _arrays.astype(arr, dt.np)
    if arr.ndim > 1 and not arr.flags.c_contiguous:
        # torch's preserve_format: a dense layout keeps its strides, an expanded or stepped one is packed
        # (NumPy's order="K" would keep the 0 strides' odd order); same rule as clone
        from .shape import _dense_strides, _non_overlapping_and_dense, empty_strided_array

        strides = tuple(s // arr.itemsize for s in arr.strides)
        if not _non_overlapping_and_dense(arr.shape, strides):
            out = empty_strided_array(arr.shape, _dense_strides(arr.shape, strides), dt.np)
            with np.errstate(invalid="ignore", over="ignore"):
                out[...] = arr != 0 if dt is dtypes.bool else arr
            return out
    if dt is dtypes.bool:
        return arr != 0
    if arr.dtype.kind in "fc" and (dt.np.kind in "iu" or dt.np.itemsize < arr.dtype.itemsize):
        with np.errstate(invalid="ignore", over="ignore"):  # NaN / out-of-range values cast silently, as torch's
            return arr.astype(dt.np)
    return arr.astype(dt.np)


def _same_device(a: devices.device, b: devices.device) -> bool:
    if a.type != b.type:
        return False
    return a.type == "cpu" or devices.cuda_index(a) == devices.cuda_index(b)


def move(arr, target: devices.device):
    """arr copied to the target device (an explicit transfer: the only place host and device data meet)."""
    if target.type == "cpu":
        return np.array(_arrays.to_host(arr))
    return _arrays.to_device(_arrays.to_host(arr), devices.cuda_index(target))


def to(self: Tensor, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False,
       memory_format=None) -> Tensor:
    if memory_format is not None and memory_format is not layouts.preserve_format:
        from .shape import contiguous  # channels_last / contiguous_format: convert, then lay out

        return contiguous(to(self, *args, dtype=dtype, device=device, non_blocking=non_blocking, copy=copy),
                          memory_format)
    for a in args:
        if isinstance(a, dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, devices.device) or (isinstance(a, int) and not isinstance(a, bool)):
            device = a
        elif isinstance(a, str):
            if a in dtypes._BY_NAME:
                dtype = a
            else:
                device = a
        elif a is not None:
            dtype = a
    here = self.device
    target = here if device is None else devices.as_device(device)
    dt = self.dtype if dtype is None else dtypes.as_dtype(dtype)
    moving = not _same_device(here, target)
    if dt is self.dtype and not moving and not copy:
        return self
    arr = move(self._data, target) if moving else self._data
    if dt is not self.dtype:
        arr = _cast(arr, dt)
    elif not moving:
        arr = _arrays.copy(arr)
    res = Tensor._wrap(arr)
    if needs_graph(self):
        node = record("ToCopyBackward0", _to_backward, (self,), (res,))
        node.in_dtype, node.in_device = self.dtype, here
    return res


def _to_backward(c, g: Tensor) -> Tensor:
    if g.is_complex() and not c.in_dtype.is_complex:  # a real tensor cast to complex: the real part, silently
        from .complex import real

        g = real(g)
    return g.to(c.in_device, c.in_dtype)


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return to(self, other.dtype)


def _caster(dt: dtypes.dtype):
    def cast(self: Tensor, memory_format=None) -> Tensor:
        if dtypes._FROM_NP.get(self._data.dtype) is dt:  # already dt: self, as to() gives
            return self
        return to(self, dt)

    cast.__name__ = dt.name
    return cast


CASTS = {
    "float": dtypes.float32, "double": dtypes.float64, "half": dtypes.float16, "bfloat16": dtypes.bfloat16,
    "long": dtypes.int64,
    "int": dtypes.int32, "short": dtypes.int16, "char": dtypes.int8, "byte": dtypes.uint8, "bool": dtypes.bool,
    "cfloat": dtypes.complex64, "cdouble": dtypes.complex128, "chalf": dtypes.complex32,
}
CAST_METHODS = {name: _caster(dt) for name, dt in CASTS.items()}


def copy_(self: Tensor, other, non_blocking: bool = False) -> Tensor:
    """Copy src into self with broadcasting and casting (any dtype to any dtype, as torch); torch's keyword name
    for src is other."""
    src = other
    dst = self._data
    if type(src) is Tensor and type(dst) is np.ndarray and type(src._data) is np.ndarray \
            and src._data.shape == dst.shape and src._data.dtype == dst.dtype and not inplace.involved(self, src):
        self._bump_version()
        dst[...] = src._data  # the common case: nothing to move, broadcast, convert or record
        return self
    if isinstance(src, Tensor) and not _same_device(src.device, self.device):
        if needs_graph(src):  # a differentiable transfer: the gradient flows back to src's device
            src = to(src, self.device)
        else:
            src = Tensor._wrap(move(src._data, self.device))
    arr = src._data if isinstance(src, Tensor) else np.asarray(src)
    if _arrays.is_cuda(self._data) and not _arrays.is_cuda(arr):  # a host value or scalar written to a device
        arr = _arrays.to_device(np.asarray(arr), self._data.device)
    try:
        np.broadcast_shapes(arr.shape, self._data.shape)
        if np.broadcast_shapes(arr.shape, self._data.shape) != self._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({list(self._data.shape)}) must match the size of tensor b "
                           f"({list(arr.shape)}): copy_ cannot broadcast the source to the destination") from None
    if self._data.dtype == np.bool_ and arr.dtype != np.bool_ and not _arrays.is_cuda(arr):
        arr = arr != 0
    elif arr.dtype.kind == "c" and self._data.dtype.kind != "c":
        arr = _real_part(arr)
    if inplace.involved(self, src):
        return _inplace_overwrite(self, arr, src if isinstance(src, Tensor) else None)
    if _arrays.may_share_memory(self._data, arr) and _arrays.is_cuda(arr):
        arr = _arrays.copy(arr)  # the CUDA copy kernel reads and writes in any order
    self._bump_version()
    _arrays.copy_into(self._data, arr)
    return self


def _inplace_overwrite(self: Tensor, values, src: Tensor | None) -> Tensor:
    """copy_ / fill_ under autograd: self's old values get no gradient, src gets it summed to its shape."""
    inplace.check_inplace(self)
    old = inplace.snapshot(self)
    res = Tensor._wrap(_arrays.empty(self._data.shape, self._data.dtype, self._data))
    _arrays.copy_into(res._data, values)
    node = record("CopyBackwards" if src is not None else "FillBackward0", _copy_backward, (old, src), (res,))
    node.src_meta = (tuple(src.shape), src.dtype) if src is not None else None
    return inplace.commit(self, res)


def _copy_backward(c, g: Tensor):
    from .elementwise import sum_to

    g_src = sum_to(g, *c.src_meta) if c.src_meta is not None and c.needs_input_grad[1] else None
    return g * 0.0 if c.needs_input_grad[0] else None, g_src


def fill_(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        value = value.item()  # (a tensor's value is cast, unchecked, as torch's copy)
    elif not is_scalar(value):
        raise TypeError(f"fill_(): argument 'value' must be Number, not {type(value).__name__}")
    else:
        check_scalar_fits(value, self.dtype)  # torch's checked Scalar conversion
        value = fill_value(value, self.dtype)
    if inplace.involved(self):
        return _inplace_overwrite(self, value, None)
    self._bump_version()
    _arrays.copy_into(self._data, value)
    return self


def zero_(self: Tensor) -> Tensor:
    arr = self._data
    if type(arr) is np.ndarray and not (_GRAD.enabled and (self._requires_grad or (
            self._base is not None and self._base._requires_grad))):  # (inplace.involved(self), inlined)
        self._bump_version()
        arr.fill(0)  # (fill_'s CPU path, without its argument checks)
        return self
    return fill_(self, 0)


def _new(factory):
    def method(self: Tensor, *size, dtype=None, layout=None, device=None, pin_memory: bool = False,
               requires_grad: bool = False) -> Tensor:
        return factory(*size, dtype=dtype or self.dtype, layout=layout, device=self.device if device is None
                       else device, pin_memory=pin_memory, requires_grad=requires_grad)

    return method


def new_full(self: Tensor, size, fill_value, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
             requires_grad: bool = False) -> Tensor:
    from .creation import full

    return full(size, fill_value, dtype=dtype or self.dtype, layout=layout, device=self.device if device is None
                else device, pin_memory=pin_memory, requires_grad=requires_grad)


def new_tensor(self: Tensor, data, *, dtype=None, device=None, pin_memory: bool = False,
               requires_grad: bool = False) -> Tensor:
    from .creation import tensor

    return tensor(data, dtype=dtype or self.dtype, device=self.device if device is None else device,
                  requires_grad=requires_grad)


def type_(self: Tensor, dtype=None, non_blocking: bool = False):
    """Tensor.type(): the type string ('ntorch.FloatTensor') without an argument, else a cast."""
    from .. import legacy_types

    if dtype is None:
        cuda = "cuda." if self.device.type == "cuda" else ""
        return f"ntorch.{cuda}{dtypes.torch_name(self.dtype)}Tensor"
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        named = legacy_types.from_name(dtype)
        if named is None:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = named
    if isinstance(dtype, legacy_types._LegacyTensorType):  # ntorch.DoubleTensor, ntorch.cuda.FloatTensor
        return to(self, dtype.dtype, device="cuda" if dtype.is_cuda else "cpu")
    return to(self, dtype)


def masked_fill(self: Tensor, mask: Tensor, value) -> Tensor:
    """Where mask is True, value (cast to self's dtype); self and the bool mask broadcast together, as torch's
    out-of-place form (masked_fill_ needs a mask that broadcasts to self)."""
    return _masked_fill(self, mask, value, inplace=False)


def _masked_fill(self: Tensor, mask: Tensor, value, inplace: bool) -> Tensor:
    if not isinstance(mask, Tensor) or mask.dtype is not dtypes.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}")
    node_name = "MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0"  # (torch's overloads)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        if not value.requires_grad:  # a differentiable value stays a tensor, so its gradient flows
            value = value.item()
    check_scalar_fits(value, self.dtype)
    if mask._data.shape != self._data.shape:
        if inplace:
            shape = infer_size(self._data.shape, mask._data.shape)
            if shape != self._data.shape:
                raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                                   f"{list(shape)}")
        else:
            infer_size(mask._data.shape, self._data.shape)
    res = apply("where", mask, value, self, compute=self.dtype)
    return renamed(res, node_name)


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    if inplace.involved(self):
        inplace.check_inplace(self)
        return inplace.commit(self, _masked_fill(inplace.snapshot(self), mask, value, inplace=True))
    res = _masked_fill(self, mask, value, inplace=True)
    self._bump_version()
    _arrays.copy_into(self._data, res._data)
    return self
