"""Complex tensors' own ops: the real/imag views, view_as_real/view_as_complex, complex(), polar(), conj, angle, sgn.

The views reinterpret the storage's bytes (a complex element is its real part followed by its imaginary part), so
they share memory with the tensor, as torch's. conj copies: torch's lazy conjugate bit is not modelled (is_conj()
is always False and resolve_conj() returns its input).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd.graph import needs_graph, record, renamed
from ..tensor import Tensor
from ._util import check_tensor
from .elementwise import apply


def _track(name: str, backward, input: Tensor, out: Tensor) -> Tensor:
    """Record a view's node when input requires grad (torch's convention: see elementwise.COMPLEX_DERIVATIVES)."""
    if needs_graph(input):
        record(name, backward, (input,), (out,))
    return out


def _real_backward(c, g: Tensor) -> Tensor:
    return g.to(g.dtype.to_complex())  # d/d(real part): the gradient itself, imaginary part 0


def _imag_backward(c, g: Tensor) -> Tensor:
    return apply("make_complex", g * 0.0, g, compute=g.dtype.to_complex())  # i g


def _reinterpret(t: Tensor, np_dtype, shape: tuple, strides: tuple, offset: int) -> Tensor:
    """A view of t's storage as np_dtype elements: shape, element strides and element offset in that dtype."""
    np_dtype = np.dtype(np_dtype)
    arr = t._data
    byte_strides = tuple(s * np_dtype.itemsize for s in strides)
    if type(arr) is not np.ndarray:  # a CUDA array: the same allocation, offsets in bytes
        base = arr.offset - t.storage_offset() * arr.itemsize
        return t._view_of(arr._view(base + offset * np_dtype.itemsize, tuple(shape), byte_strides, np_dtype))
    flat = t._storage().flat
    view = np.ndarray(tuple(shape), dtype=np_dtype, buffer=flat, offset=offset * np_dtype.itemsize,
                      strides=byte_strides) if flat.size else np.empty(tuple(shape), np_dtype)
    if not arr.flags.writeable:
        view.flags.writeable = False
    return t._view_of(view)


def _part(t: Tensor, which: int) -> Tensor:
    """The real (0) or imaginary (1) part of complex t as a float view."""
    return _reinterpret(t, t.dtype.to_real().np, tuple(t.shape), tuple(2 * s for s in t.stride()),
                        2 * t.storage_offset() + which)


def real(input: Tensor) -> Tensor:
    """torch.real: a view of the real parts; a real tensor is returned itself."""
    check_tensor(input, "real")
    if not input.is_complex():
        return input
    return _track("RealBackward0", _real_backward, input, _part(input, 0))


def imag(input: Tensor) -> Tensor:
    """torch.imag: a view of the imaginary parts (a real tensor has none: torch's error)."""
    check_tensor(input, "imag")
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _track("ImagBackward0", _imag_backward, input, _part(input, 1))


def _set_part(getter):
    def setter(self: Tensor, value) -> None:
        getter(self).copy_(value)

    return setter


def view_as_real(input: Tensor) -> Tensor:
    """A float view with a last dim of 2 (real, imaginary); the other strides double."""
    check_tensor(input, "view_as_real")
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    out = _reinterpret(input, input.dtype.to_real().np, (*input.shape, 2), (*(2 * s for s in input.stride()), 1),
                       2 * input.storage_offset())
    return _track("ViewAsRealBackward0", lambda c, g: view_as_complex(g.contiguous()), input, out)


def view_as_complex(input: Tensor) -> Tensor:
    """A complex view of a float tensor whose last dim is (real, imaginary): size 2, stride 1, every other stride
    and the storage offset even (torch's checks, in its order)."""
    check_tensor(input, "view_as_complex")
    dt = input.dtype
    if dt not in dtypes.FLOAT_DTYPES or dt is dtypes.bfloat16:
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, but got a tensor "
                           f"of scalar type: {dtypes.torch_name(dt)}")
    if dt is dtypes.float16:
        raise dtypes.unsupported_complex32()
    if input.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    out = _reinterpret(input, dt.to_complex().np, tuple(input.shape[:-1]), tuple(s // 2 for s in strides[:-1]),
                       input.storage_offset() // 2)
    return _track("ViewAsComplexBackward0", lambda c, g: view_as_real(g), input, out)


def _float_pair(op: str, a: Tensor, b: Tensor, second: str) -> dtypes.dtype:
    """torch's checks of complex()/polar()'s operands: both float, of one dtype."""
    check_tensor(a, op)
    check_tensor(b, op, second)
    if not (a.dtype.is_floating_point and b.dtype.is_floating_point) or dtypes.bfloat16 in (a.dtype, b.dtype):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{dtypes.torch_name(a.dtype)} and {dtypes.torch_name(b.dtype)}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"Expected object of scalar type {dtypes.torch_name(a.dtype)} but got scalar type "
                           f"{dtypes.torch_name(b.dtype)} for second argument")
    if a.dtype is dtypes.float16:
        raise dtypes.unsupported_complex32()
    return a.dtype.to_complex()


def complex(real: Tensor, imag: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A001 - torch's name
    """torch.complex: real + imag * 1j, broadcast, of the complex dtype with the inputs' float parts."""
    dt = _float_pair("complex", real, imag, "imag")
    return apply("make_complex", real, imag, compute=dt, out=out)


def polar(abs: Tensor, angle: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002 - torch's name
    """torch.polar: abs * (cos(angle) + sin(angle) * 1j)."""
    dt = _float_pair("polar", abs, angle, "angle")
    return apply("polar", abs, angle, compute=dt, out=out)


def conj(input: Tensor) -> Tensor:
    """torch.conj: the conjugate (a copy for a complex tensor: ntorch has no lazy conjugate bit); a real tensor is
    returned itself."""
    check_tensor(input, "conj")
    if not input.is_complex():
        return input
    return apply("conj", input)


def conj_physical(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "conj_physical")
    if not input.is_complex():
        return input if out is None else out.copy_(input)
    return apply("conj", input, out=out)


def conj_physical_(self: Tensor) -> Tensor:
    if self.is_complex():
        from .elementwise import apply_inplace

        apply_inplace("conj", self)
    else:
        self._bump_version()  # torch counts it as a write on a real tensor too (nothing changes)
    return self


def angle(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.angle: the argument atan2(imag, real) of a complex tensor (real dtype); of a real one, 0 or pi."""
    check_tensor(input, "angle")
    if not input.is_complex():
        from .tensor_methods import angle as real_angle

        return real_angle(input, out=out)
    return apply("angle", input, out=out)


def sgn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.sgn: z / |z| (0 at 0) for complex tensors, sign for real ones."""
    check_tensor(input, "sgn")
    if not input.is_complex():
        return renamed(apply("sign", input, out=out), "SgnBackward0")
    return apply("sgn", input, out=out)


def sgn_(self: Tensor) -> Tensor:
    from .elementwise import apply_inplace

    return apply_inplace("sgn" if self.is_complex() else "sign", self)


def isreal(input: Tensor) -> Tensor:
    """True where the imaginary part is 0 (everywhere for a real tensor)."""
    check_tensor(input, "isreal")
    if not input.is_complex():
        from .creation import ones_like

        return ones_like(input, dtype=dtypes.bool)
    return apply("isreal", input)


FUNCTIONS = {"real": real, "imag": imag, "view_as_real": view_as_real, "view_as_complex": view_as_complex,
             "complex": complex, "polar": polar, "conj": conj, "conj_physical": conj_physical, "angle": angle,
             "sgn": sgn, "isreal": isreal}
METHODS = {"conj": conj, "conj_physical": conj_physical, "conj_physical_": conj_physical_, "angle": angle,
           "sgn": sgn, "sgn_": sgn_, "isreal": isreal}
PROPERTIES = {"real": (real, _set_part(real)), "imag": (imag, _set_part(imag))}
