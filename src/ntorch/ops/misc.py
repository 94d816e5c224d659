"""Small torch.* utilities: threads, predicates, as_strided/empty_strided, asarray/frombuffer/scalar_tensor,
fill, the function forms of in-place ops and the *_copy variants of views."""

from __future__ import annotations

import builtins

import numpy as np

from .. import _arrays, dtypes, layouts
from ..autograd import grad_mode
from ..devices import as_device
from ..tensor import Tensor
from . import conversion, creation, shape
from ._util import check_tensor, is_scalar, takes_out


def set_num_threads(int: int) -> None:  # noqa: A002 - torch's parameter name
    """The number of threads of ntorch's parallel (Numba) kernels; NumPy/BLAS threads are not touched.
    Numba caps it at NUMBA_NUM_THREADS (the machine's cores unless set)."""
    import numba

    if isinstance(int, bool) or not isinstance(int, builtins.int | np.integer) or int <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    numba.set_num_threads(min(builtins.int(int), numba.config.NUMBA_NUM_THREADS))


def get_num_threads() -> int:
    import numba

    return numba.get_num_threads()


def is_complex(input: Tensor) -> bool:
    check_tensor(input, "is_complex")
    return input.is_complex()


def is_signed(input: Tensor) -> bool:
    check_tensor(input, "is_signed")
    return input.dtype.is_signed


def is_nonzero(input: Tensor) -> bool:
    """The truth of a one-element tensor (torch refuses empty and multi-element tensors)."""
    check_tensor(input, "is_nonzero")
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return tuple(input.shape) == tuple(other.shape)


def is_inference_mode_enabled() -> bool:
    return grad_mode.is_inference_mode_enabled()


def is_inference(input: Tensor) -> bool:
    """Whether input was made inside inference_mode (or is a view of such a tensor)."""
    check_tensor(input, "is_inference")
    return input.is_inference()


def fill(input: Tensor, value) -> Tensor:
    """torch.fill: a new tensor like input, every element `value` (differentiable w.r.t. a tensor value)."""
    check_tensor(input, "fill")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                           "dimensions.")
    if isinstance(value, Tensor):
        return value.to(input.dtype).expand(tuple(input.shape)).clone()
    return conversion.fill_(creation.empty_like(input), value)


# -- as_strided / empty_strided ------------------------------------------------------------------------------

def _check_strided(size, stride, offset: int, itemsize: int, storage_elems: int) -> tuple[tuple, tuple]:
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    needed = 0 if 0 in size else (offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))) * itemsize
    if needed > storage_elems * itemsize:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {itemsize} requiring a storage size of {needed} are out of bounds for storage "
                           f"of size {storage_elems * itemsize}")
    return size, stride


def _positions(size: tuple, stride: tuple, offset: int) -> np.ndarray:
    """The storage index of every element of a strided layout, in row-major order (int64)."""
    pos = np.full(size, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shape_d = [1] * len(size)
        shape_d[d] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(shape_d)
    return pos


def _as_strided_backward(c, g: Tensor) -> Tensor:
    """Scatter-add g into a zero storage image, then read it back at the input's own element positions."""
    dev = g.device
    out_pos = creation.tensor(_positions(c.size, c.stride, c.offset).reshape(-1), device=dev)
    in_pos = creation.tensor(_positions(c.shape, c.in_stride, c.in_offset).reshape(-1), device=dev)
    image = creation.zeros(c.storage_elems, dtype=g.dtype, device=dev)
    image = image.index_add(0, out_pos, g.reshape(-1))
    return image.index_select(0, in_pos).reshape(c.shape)


def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view of input's storage with any sizes and (element) strides, checked against the storage's bounds."""
    check_tensor(input, "as_strided")
    # in input's elements: a .real view of complex storage counts two per complex element
    storage_elems = input._storage().flat.nbytes // input.element_size()
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    size, stride = _check_strided(size, stride, offset, input.element_size(), storage_elems)
    out = shape.as_strided_view(input, size, stride, offset - input.storage_offset())
    return shape._track("AsStridedBackward0", _as_strided_backward, input, out, size=size, stride=stride,
                        offset=offset, in_stride=input.stride(), in_offset=input.storage_offset(),
                        storage_elems=storage_elems)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
                  requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("empty_strided", layout, pin_memory)
    size, stride = _check_strided(size, stride, 0, 1, 1 << 62)
    dt = creation._dt(dtype)
    d = as_device(device)
    if d.type == "cuda":
        like = creation.empty(0, dtype=dt, device=d)._data
        return creation._finish(_arrays.empty_strided(size, stride, dt.np, like), requires_grad)
    return creation._finish(shape.empty_strided_array(size, stride, dt.np), requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, device=None, requires_grad: bool = False,
                   **ignored) -> Tensor:
    """An empty tensor of logical shape `size` whose memory is laid out in the order of `physical_layout`
    (outermost first): permuting it by physical_layout gives a contiguous tensor."""
    size, layout = tuple(int(n) for n in size), tuple(int(d) for d in physical_layout)
    if len(size) != len(layout):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(layout)}")
    for i, d in enumerate(layout):
        if not 0 <= d < len(size):
            raise RuntimeError(f"Dimension out of range (expected to be between 0 and {len(size) - 1}, but got {d} "
                               f"at index {i}).  NB: negative dims not currently supported; file an issue if you "
                               "want it.")
    if len(set(layout)) != len(layout):
        raise RuntimeError("Duplicate dim not allowed")
    stride, strides = 1, [0] * len(size)
    for d in reversed(layout):
        strides[d] = stride
        stride *= max(size[d], 1)
    return empty_strided(size, strides, dtype=dtype, device=device, requires_grad=requires_grad)


# -- creation from Python objects ------------------------------------------------------------------------------

def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor of the default float dtype (not the scalar's own type, unlike tensor())."""
    layouts.check_factory_args("scalar_tensor", layout, pin_memory)
    if isinstance(s, Tensor) and s.ndim == 0:  # a 0-d tensor is a Number to torch's parser
        s = s.item()
    if not is_scalar(s):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    return creation.tensor(s, dtype=creation._dt(dtype), device=device, requires_grad=requires_grad)


def asarray(obj, *, dtype=None, device=None, copy: bool | None = None, requires_grad: bool = False) -> Tensor:
    """torch.asarray: shares memory with a tensor or NumPy array when dtype and device allow (copy=None),
    always copies with copy=True, and refuses to copy with copy=False."""
    if isinstance(obj, Tensor | np.ndarray):
        src = obj if isinstance(obj, Tensor) else creation.from_numpy(obj)
        out = src.to(device=src.device if device is None else as_device(device),
                     dtype=src.dtype if dtype is None else dtypes.as_dtype(dtype))
        if copy is False and out is not src:
            raise ValueError("can't alias tensor from a different dtype or device (copy=False)")
        if copy and out is src:
            out = src.clone()
        if requires_grad:
            out.requires_grad_(True)
        return out
    if copy is False and not is_scalar(obj):
        raise ValueError("can't alias a Python sequence (copy=False)")
    return creation.tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-d tensor sharing the memory of an object with the buffer protocol (bytes, bytearray, array...)."""
    dt = dtypes.as_dtype(dtype)
    length = memoryview(buffer).nbytes
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % dt.itemsize:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({dt.itemsize})")
        count = (length - offset) // dt.itemsize
    elif offset + count * dt.itemsize > length:
        raise ValueError(f"requested buffer length ({count} * {dt.itemsize} bytes) after offset ({offset} bytes) "
                         f"must not be greater than actual buffer length ({length} bytes)")
    arr = np.frombuffer(buffer, dtype=dt.np, count=count, offset=offset)
    return creation._finish(arr, requires_grad)


# -- function forms of in-place Tensor methods -------------------------------------------------------------------

# torch.<name>(input, *args) is input.<name>(*args) for these torch names
INPLACE_NAMES = (
    "abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ as_strided_ asin_ asinh_ atan_ "
    "atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ conj_physical_ cos_ cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ "
    "exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ "
    "negative_ rad2deg_ reciprocal_ relu_ resize_as_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ "
    "tanh_ trunc_ xlogy_ zero_"
).split()


def _method_form(name: str):
    def fn(input: Tensor, *args, **kwargs) -> Tensor:
        check_tensor(input, name)
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}: input.{name}(...), in place."
    return fn


# Tensor methods torch has that ntorch lacked, composed of existing in-place kernels
def _nan_to_num_(self: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    from .elementwise import apply_inplace
    from .pointwise import nan_to_num_params

    return apply_inplace("nan_to_num", self, params=nan_to_num_params(self.dtype, nan, posinf, neginf))


def _round_(self: Tensor, *, decimals: int = 0) -> Tensor:
    from .elementwise import apply_inplace

    if decimals == 0:
        return apply_inplace("round", self)
    return apply_inplace("round_decimals", self, params=(decimals,))


def _square_(self: Tensor) -> Tensor:
    return self.pow_(2)


def _alias_method(target: str):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        return getattr(self, target)(*args, **kwargs)

    return method


METHODS = {
    "nan_to_num_": _nan_to_num_, "round_": _round_, "square_": _square_, "as_strided": as_strided,
    "clamp_min_": lambda self, min: self.clamp_(min=min), "clamp_max_": lambda self, max: self.clamp_(max=max),
    **{a: _alias_method(t) for a, t in (("arccos_", "acos_"), ("arcsin_", "asin_"), ("arctan_", "atan_"),
                                         ("fix_", "trunc_"), ("negative_", "neg_"))},
}


# -- *_copy variants: the view op's result, copied (no shared memory) ------------------------------------------

def _copy_of(name: str, view_name: str):
    def fn(input: Tensor, *args, **kwargs):
        check_tensor(input, name)
        res = getattr(input, view_name)(*args, **kwargs)
        if isinstance(res, tuple | list):
            return [_own(r) for r in res]
        return _own(res)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}: input.{view_name}(...) as a new contiguous tensor."
    return fn


def _own(view: Tensor) -> Tensor:
    """A contiguous tensor with the values of a view, never sharing its memory."""
    out = view.contiguous()
    return out.clone() if out is view else out


COPY_VIEWS = {
    "view_copy": "view", "permute_copy": "permute", "t_copy": "t", "transpose_copy": "transpose",
    "expand_copy": "expand", "select_copy": "select", "squeeze_copy": "squeeze", "unsqueeze_copy": "unsqueeze",
    "diagonal_copy": "diagonal", "narrow_copy": "narrow", "detach_copy": "detach",
    "unbind_copy": "unbind", "split_copy": "split", "split_with_sizes_copy": "split_with_sizes",
    "as_strided_copy": "as_strided",
}


@takes_out("slice_copy")
def _slice_copy(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
                step: int = 1) -> Tensor:
    index = [slice(None)] * input.ndim
    index[dim] = slice(start, end, step)
    return _own(input[tuple(index)])


FUNCTIONS = {
    "set_num_threads": set_num_threads, "get_num_threads": get_num_threads, "is_complex": is_complex,
    "is_signed": is_signed, "is_nonzero": is_nonzero, "is_same_size": is_same_size,
    "is_inference_mode_enabled": is_inference_mode_enabled, "is_inference": is_inference, "fill": fill,
    "as_strided": as_strided, "empty_strided": empty_strided,
    "empty_permuted": empty_permuted, "scalar_tensor": scalar_tensor, "asarray": asarray,
    "frombuffer": frombuffer, "slice_copy": _slice_copy,
    **{n: _method_form(n) for n in INPLACE_NAMES},
    **{n: _copy_of(n, v) for n, v in COPY_VIEWS.items()},
}
FUNCTIONS["alias_copy"] = takes_out("alias_copy")(lambda input: _own(shape.view(input, tuple(input.shape))))
