"""ntorch.fft: torch.fft's transforms on the Numba FFT kernels of kernels/cpu/fft.py (CPU tensors).

Every transform is a chain of a few real-linear primitives (_Lin): zero-pad/trim to the signal size, a c2c
transform over some dims, a real-to-complex (r2c) or complex-to-real (c2r) transform over the last signal dim, and
real <-> complex casts. Each primitive knows its adjoint, which is its backward (torch's conjugate-Wirtinger
convention: the gradient of a real loss L w.r.t. a complex z is dL/dRe z + i dL/dIm z), and the adjoint of the
adjoint is the primitive again, so double backward works. The chains follow torch's (aten SpectralOps.cpp): rfft is
r2c, ifft of a real input is r2c conjugated, irfft/hfft are c2r (hfft of the conjugate), ihfft is r2c conjugated,
and the n-dim forms put the r2c/c2r on the last dim of `dim` and c2c on the others, each primitive scaled by its
own dims' sizes ("backward": 1/n on the inverse, "ortho": 1/sqrt(n), "forward": 1/n on the forward).

Results are fresh arrays. A c2c along an outer dim runs by blocks of columns and returns C-contiguous results; an
r2c / c2r along a dim other than the last (or a c2c whose length needs Bluestein) returns the layout the kernels
left (that dim innermost in memory, as a permuted view), as torch's can be. CUDA tensors run the same primitives on
kernels/cuda/fft.py's c2c kernels (_run_cuda). Difference from torch: float16/bfloat16 CUDA input raises
NotImplementedError (torch's cuFFT gives complex32; ntorch has none).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np

from . import dtypes
from .autograd.graph import needs_graph, record
from .kernels.cpu import fft as K
from .ops._util import _any_requires_grad, write_out
from .tensor import Tensor, _wrap_dim

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


# ---------------------------------------------------------------------------------------------
# NumPy-level helpers: the kernels transform rows of a C-contiguous (batch, n) array.

def _along(a: np.ndarray, d: int, fn) -> np.ndarray:
    """fn applied to the rows of `a` along axis d (fn: (batch, n) -> (batch, m)), the result's axis d of size m."""
    if d == a.ndim - 1:  # the common case: no axis moves
        res = fn(a.reshape(-1, a.shape[-1]))
        return res.reshape(a.shape[:-1] + (res.shape[-1],))
    moved = np.moveaxis(a, d, -1)
    rows = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])
    res = fn(rows)
    return np.moveaxis(res.reshape(moved.shape[:-1] + (res.shape[-1],)), -1, d)


def _r2c_two_sided(rows: np.ndarray) -> np.ndarray:
    """All n bins of real rows: the one-sided transform, the other bins its mirrored conjugates (torch fills them
    the same way: exact Hermitian symmetry, real bins 0 and n/2, half a complex transform's work)."""
    n = rows.shape[-1]
    half = K.r2c(rows)
    h1 = n // 2 + 1
    out = np.empty((rows.shape[0], n), half.dtype)
    out[:, :h1] = half
    if n > h1:
        np.conjugate(half[:, n - h1:0:-1], out=out[:, h1:])
    return out


def _c2c_along(a: np.ndarray, d: int, inverse: bool) -> np.ndarray:
    """c2c along axis d. An outer axis with at least SMALL_S elements per step goes by blocks of columns
    (K.c2c_cols: no transposes, a C-contiguous result); the last axis, or a transform that needs Bluestein, by rows
    (_along)."""
    inner = math.prod(a.shape[d + 1:])
    if d < a.ndim - 1 and inner >= K.SMALL_S and a.size:
        res = K.c2c_cols(np.ascontiguousarray(a).reshape(-1, a.shape[d], inner), inverse)
        if res is not None:
            return res.reshape(a.shape)
    return _along(a, d, functools.partial(K.c2c, inverse=inverse))


def _scaled(a: np.ndarray, scale: float) -> np.ndarray:
    """a *= scale in place (a is always a fresh result here), in a's precision."""
    if scale != 1.0:
        np.multiply(a, a.real.dtype.type(scale), out=a)
    return a


def _resize(a: np.ndarray, dims: tuple, sizes: tuple) -> np.ndarray:
    """a trimmed or zero-padded at the end of each dim in dims to sizes."""
    index = [slice(None)] * a.ndim
    pad = [(0, 0)] * a.ndim
    for d, s in zip(dims, sizes):
        if s < a.shape[d]:
            index[d] = slice(0, s)
        else:
            pad[d] = (0, s - a.shape[d])
    a = a[tuple(index)]
    return np.pad(a, pad) if any(p[1] for p in pad) else a


@dataclass(frozen=True)
class _Lin:
    """One real-linear primitive (see the module docstring). kind: resize, c2c, r2c, r2c_adj, c2r, c2r_adj, to_complex,
    real_part, as_real / as_complex (complex <-> trailing (re, im) pairs). dims: the dims it transforms (r2c/c2r
    kinds: one dim). conj: r2c conjugates its output, c2r its input.
    n: the real signal length of r2c_adj/c2r/c2r_adj; sizes/old: resize's target and source sizes."""

    kind: str
    dims: tuple = ()
    forward: bool = True
    scale: float = 1.0
    conj: bool = False
    onesided: bool = True
    n: int = 0
    sizes: tuple = ()
    old: tuple = ()

    @property
    def name(self) -> str:
        return _NAMES[self.kind]

    def adjoint(self) -> _Lin:
        if self.kind == "resize":
            return replace(self, sizes=self.old, old=self.sizes)
        if self.kind == "c2c":
            return replace(self, forward=not self.forward)
        return replace(self, kind=_ADJOINT[self.kind])

    def run(self, a: np.ndarray) -> np.ndarray:
        k = self.kind
        if type(a) is not np.ndarray:
            return _run_cuda(self, a)
        if k == "resize":
            return np.ascontiguousarray(_resize(a, self.dims, self.sizes))
        if k == "to_complex":
            return a.astype(K._COMPLEX_OF[a.dtype])
        if k == "real_part":
            return np.ascontiguousarray(a.real)
        if k == "as_real":
            return np.stack([a.real, a.imag], -1)
        if k == "as_complex":
            out = np.empty(a.shape[:-1], K._COMPLEX_OF[a.dtype])
            out.real, out.imag = a[..., 0], a[..., 1]
            return out
        if k == "c2c":  # the innermost dim first: its rows are contiguous in the input
            for d in sorted(self.dims, reverse=True):
                a = _c2c_along(a, d, not self.forward)
            return _scaled(a, self.scale)
        d = self.dims[0]
        if k == "r2c":
            if self.onesided:
                a = _along(a, d, K.r2c)
            else:
                a = _along(a, d, _r2c_two_sided)
            a = _scaled(a, self.scale)
            return np.conj(a, out=a) if self.conj else a
        if k == "r2c_adj":  # Re(F^H pad(conj? g))
            g = np.conj(a) if self.conj else a
            if self.onesided:
                g = _resize(g, (d,), (self.n,))
            return _scaled(np.ascontiguousarray(_along(g, d, lambda r: K.c2c(r, inverse=True).real)), self.scale)
        if k == "c2r":
            x = np.conj(a) if self.conj else a
            return _scaled(_along(x, d, lambda r: K.c2r(r, self.n)), self.scale)
        # c2r_adj: r2c with the bins that stand for two (their mirrors) doubled
        g = _scaled(_along(a, d, K.r2c), self.scale)
        twice = self.n - (self.n // 2 + 1)
        if twice > 0:
            index = [slice(None)] * g.ndim
            index[d] = slice(1, 1 + twice)
            g[tuple(index)] *= 2
        return np.conj(g, out=g) if self.conj else g


# ---------------------------------------------------------------------------------------------
# CUDA: the same primitives on device arrays. The transform itself is kernels/cuda/fft.py's c2c of C-contiguous
# rows; r2c is a c2c of the complexified rows trimmed to the one-sided bins (two-sided: the mirrored conjugates
# filled in, as the CPU's), c2r an inverse c2c of the Hermitian extension keeping the real part (the imaginary
# parts of bins 0 and n/2 drop out, as pocketfft's). The rest are ntorch's own CUDA ops on unrecorded tensors.

def _c2c_cuda(t: Tensor, d: int, inverse: bool) -> Tensor:
    """c2c of a complex CUDA tensor along dim d: its rows made C-contiguous (dim d last), the result permuted back
    (dim d innermost in memory, as on the CPU)."""
    from .kernels.cuda import fft as KC

    moved = t.movedim(d, -1).contiguous()
    n = moved.shape[-1]
    rows = math.prod(moved.shape[:-1])
    out = _arrays_empty(moved.shape, moved._data)
    if out.size:
        KC.c2c(moved._data.reshape(rows, n).device_array(), inverse, out=out.reshape(rows, n).device_array())
    return Tensor._wrap(out).movedim(-1, d)


def _arrays_empty(shape, like):
    from . import _arrays

    return _arrays.empty(tuple(shape), like.dtype, like)


def _hermitian_full(half: Tensor, d: int, n: int) -> Tensor:
    """The n bins along d of a Hermitian signal given by its first n // 2 + 1 (more are ignored)."""
    from .ops.joins import cat

    h1 = n // 2 + 1
    half = half.narrow(d, 0, h1)
    if n <= h1:
        return half.contiguous()
    return cat([half, half.narrow(d, 1, n - h1).flip(d).conj_physical()], d)


def _r2c_cuda(t: Tensor, d: int, onesided: bool) -> Tensor:
    n = t.shape[d]
    full = _c2c_cuda(t.to(dtypes.as_dtype(K._COMPLEX_OF[t._data.dtype])), d, False)
    half = full.narrow(d, 0, n // 2 + 1)
    return half.contiguous() if onesided else _hermitian_full(half, d, n)


def _resize_cuda(t: Tensor, dims: tuple, sizes: tuple) -> Tensor:
    for d, s in zip(dims, sizes):
        if s < t.shape[d]:
            t = t.narrow(d, 0, s)
    if all(t.shape[d] == s for d, s in zip(dims, sizes)):
        return t.contiguous()
    shape = list(t.shape)
    for d, s in zip(dims, sizes):
        shape[d] = s
    res = t.new_zeros(shape)
    res[tuple(slice(0, m) for m in t.shape)] = t
    return res


def _run_cuda(op: _Lin, a) -> object:
    """_Lin.run on a CUDA array (no graph: the caller records op itself)."""
    k, t = op.kind, Tensor._wrap(a)
    if k == "resize":
        return _resize_cuda(t, op.dims, op.sizes)._data
    if k == "to_complex":
        return t.to(dtypes.as_dtype(K._COMPLEX_OF[a.dtype]))._data
    if k == "real_part":
        return t.real.contiguous()._data
    if k == "as_real":
        from .ops.joins import stack

        return stack([t.real, t.imag], -1)._data
    if k == "as_complex":
        from .ops.complex import complex as make_complex

        return make_complex(t[..., 0], t[..., 1])._data
    if k == "c2c":
        for d in sorted(op.dims, reverse=True):
            t = _c2c_cuda(t, d, not op.forward)
    else:
        d = op.dims[0]
        if k == "r2c":
            t = _r2c_cuda(t, d, op.onesided)
            t = t.conj_physical() if op.conj else t
        elif k == "r2c_adj":  # Re(F^H pad(conj? g))
            g = t.conj_physical() if op.conj else t
            if op.onesided:
                g = _resize_cuda(g, (d,), (op.n,))
            t = _c2c_cuda(g, d, True).real
        elif k == "c2r":
            x = t.conj_physical() if op.conj else t
            t = _c2c_cuda(_hermitian_full(x, d, op.n), d, True).real
        else:  # c2r_adj: r2c with the bins that stand for two (their mirrors) doubled
            t = _r2c_cuda(t, d, True)
            twice = op.n - (op.n // 2 + 1)
            if twice > 0:
                t = t.clone()
                t.narrow(d, 1, twice).mul_(2)
            t = t.conj_physical() if op.conj else t
    if op.scale != 1.0:
        t = t * op.scale
    return t._data if k == "c2c" else t.contiguous()._data


_ADJOINT = {"r2c": "r2c_adj", "r2c_adj": "r2c", "c2r": "c2r_adj", "c2r_adj": "c2r", "to_complex": "real_part",
            "real_part": "to_complex", "as_real": "as_complex", "as_complex": "as_real"}
_NAMES = {"resize": "FftResizeBackward0", "c2c": "FftC2CBackward0", "r2c": "FftR2CBackward0",
          "r2c_adj": "FftR2CBackwardBackward0", "c2r": "FftC2RBackward0", "c2r_adj": "FftC2RBackwardBackward0",
          "to_complex": "ToComplexBackward0", "real_part": "RealBackward0", "as_real": "ViewAsRealBackward0",
          "as_complex": "ViewAsComplexBackward0"}


def _backward(op: _Lin, node, grad: Tensor):
    return (_apply(op.adjoint(), grad),)


def _apply(op: _Lin, x: Tensor) -> Tensor:
    res = Tensor._wrap(op.run(x._data))
    if needs_graph(x):
        record(op.name, functools.partial(_backward, op), (x,), (res,))
    return res


# ---------------------------------------------------------------------------------------------
# Argument handling as torch's (aten/src/ATen/native/SpectralOps.cpp)

def _input(input, op: str, real: bool = False) -> Tensor:
    """input checked and promoted: integers and bools to the default float dtype; half refused as torch CPU does."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    dt = input.dtype
    if input.device.type == "cuda" and dt in dtypes.HALF_DTYPES:
        raise NotImplementedError(f"ntorch.fft.{op}: {dtypes.torch_name(dt)} CUDA input is not supported (ntorch has "
                                  "no complex32): convert it to float32")
    if dt.is_complex:
        if real:
            raise RuntimeError(f"{op} expects a real input tensor, but got {dtypes.torch_name(dt)}")
        return input
    if dt in dtypes.HALF_DTYPES:
        raise RuntimeError(f"Unsupported dtype {dtypes.torch_name(dt)}")
    if not dt.is_floating_point:
        return input.to(dtypes.get_default_dtype())
    return input


def _norm_scale(norm, n: int, forward: bool, op: str) -> float:
    if norm is not None and not isinstance(norm, str):
        raise TypeError(f"fft_{op}(): argument 'norm' must be str, not {type(norm).__name__}")
    if norm is None or norm == "backward":
        return 1.0 if forward else 1.0 / n
    if norm == "forward":
        return 1.0 / n if forward else 1.0
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _check_n(n, op: str, arg: str = "n") -> None:
    if not isinstance(n, int | np.integer) or isinstance(n, bool):
        raise TypeError(f"fft_{op}(): argument '{arg}' must be int, not {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _dim1(x: Tensor, dim) -> int:
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, x.ndim)


def _dims_and_shape(x: Tensor, s, dim, op: str) -> tuple[tuple, list]:
    """torch's canonicalize_fft_shape_and_dim_args: the transformed dims (in the given order) and their sizes,
    s = None/-1 meaning the input's size."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
        dims = tuple(_wrap_dim(int(d), x.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is None:
        if dim is None:
            dims = tuple(range(x.ndim))
        return dims, [x.shape[d] for d in dims]
    s = (s,) if isinstance(s, int | np.integer) else tuple(s)
    if dim is not None and len(s) != len(dims):
        raise RuntimeError("When given, dim and shape arguments must have the same length")
    if len(s) > x.ndim:
        raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {x.ndim} dimensions.")
    if dim is None:
        dims = tuple(range(x.ndim - len(s), x.ndim))
    sizes = []
    for d, n in zip(dims, s):
        if n == -1:
            n = x.shape[d]
        _check_n(n, op, "s")
        sizes.append(int(n))
    return dims, sizes


def _resized(x: Tensor, dims, sizes) -> Tensor:
    dims, sizes = tuple(dims), tuple(int(v) for v in sizes)
    old = tuple(x.shape[d] for d in dims)
    if old == sizes:
        return x
    return _apply(_Lin("resize", dims, sizes=sizes, old=old), x)


def _from_real_pairs(x: Tensor) -> Tensor:
    """A float32/float64 (..., 2) tensor of (real, imag) pairs as complex64/complex128: a differentiable copy, so
    any strides are accepted (view_as_complex needs a unit last stride and even others)."""
    return _apply(_Lin("as_complex"), x)


def _as_complex(x: Tensor) -> Tensor:
    return x if x.dtype.is_complex else _apply(_Lin("to_complex"), x)


def _c2c(x: Tensor, dims, forward: bool, norm, op: str) -> Tensor:
    if not dims:
        return x
    n = math.prod(x.shape[d] for d in dims)
    return _apply(_Lin("c2c", tuple(dims), forward, _norm_scale(norm, n, forward, op)), x)


def _finish(res: Tensor, out, op: str, complex_out: bool, args) -> Tensor:
    if out is None:
        return res
    if _any_requires_grad(args):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")
    if not isinstance(out, Tensor):
        raise TypeError(f"fft_{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if complex_out and not out.dtype.is_complex:
        raise RuntimeError(f"{op} expects a complex output tensor, but got {dtypes.torch_name(out.dtype)}")
    if not complex_out and not out.dtype.is_floating_point:
        raise RuntimeError(f"{op} expects a floating point output tensor, but got {dtypes.torch_name(out.dtype)}")
    return write_out(out, res._data, op)


# ---------------------------------------------------------------------------------------------
# Transforms

def _fft_any(input, s, dim, norm, forward: bool, op: str, out, one_dim: bool) -> Tensor:
    x = _input(input, op)
    _norm_scale(norm, 1, forward, op)
    if one_dim:
        d = _dim1(x, dim)
        n = x.shape[d] if s is None else s
        _check_n(n, op)
        dims, sizes = (d,), [n]
    else:
        dims, sizes = _dims_and_shape(x, s, dim, op)
    x = _resized(x, dims, sizes)
    if not dims:  # nothing to transform: a complex copy, as torch's
        res = _as_complex(x) if not x.dtype.is_complex else x.clone()
    elif x.dtype.is_complex:
        res = _c2c(x, dims, forward, norm, op)
    else:  # real input: r2c (both sides) over the last dim, c2c over the others
        last = dims[-1]
        y = _apply(_Lin("r2c", (last,), True, _norm_scale(norm, x.shape[last], forward, op), conj=not forward,
                        onesided=False, n=x.shape[last]), x)
        res = _c2c(y, dims[:-1], forward, norm, op)
    return _finish(res, out, op, True, (input,))


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out=None) -> Tensor:
    """The 1-D discrete Fourier transform along dim, input zero-padded or trimmed to n."""
    return _fft_any(input, n, dim, norm, True, "fft", out, True)


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out=None) -> Tensor:
    """The 1-D inverse discrete Fourier transform along dim."""
    return _fft_any(input, n, dim, norm, False, "ifft", out, True)


def fftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    """The N-D discrete Fourier transform over dim (all dims, or the last len(s))."""
    return _fft_any(input, s, dim, norm, True, "fftn", out, False)


def ifftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    return _fft_any(input, s, dim, norm, False, "ifftn", out, False)


def fft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    return _fft_any(input, s, dim, norm, True, "fft2", out, False)


def ifft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    return _fft_any(input, s, dim, norm, False, "ifft2", out, False)


def _rfft_any(input, s, dim, norm, inverse_hermitian: bool, op: str, out, one_dim: bool) -> Tensor:
    """rfft (r2c forward) or ihfft (r2c conjugated, inverse scaling) over the last dim, then c2c over the rest."""
    x = _input(input, op, real=True)
    forward = not inverse_hermitian
    _norm_scale(norm, 1, forward, op)
    if one_dim:
        d = _dim1(x, dim)
        n = x.shape[d] if s is None else s
        _check_n(n, op)
        dims, sizes = (d,), [n]
    else:
        dims, sizes = _dims_and_shape(x, s, dim, op)
        if not dims:
            raise RuntimeError(f"{op} must transform at least one axis")
    x = _resized(x, dims, sizes)
    last = dims[-1]
    y = _apply(_Lin("r2c", (last,), True, _norm_scale(norm, x.shape[last], forward, op), conj=inverse_hermitian,
                    onesided=True, n=x.shape[last]), x)
    res = _c2c(y, dims[:-1], forward, norm, op)
    return _finish(res, out, op, True, (input,))


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out=None) -> Tensor:
    """The one-sided (n // 2 + 1 bins) FFT of a real input."""
    return _rfft_any(input, n, dim, norm, False, "rfft", out, True)


def rfftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    return _rfft_any(input, s, dim, norm, False, "rfftn", out, False)


def rfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    return _rfft_any(input, s, dim, norm, False, "rfft2", out, False)


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out=None) -> Tensor:
    """The inverse of hfft: the one-sided inverse FFT of a real input."""
    return _rfft_any(input, n, dim, norm, True, "ihfft", out, True)


def ihfftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    return _rfft_any(input, s, dim, norm, True, "ihfftn", out, False)


def ihfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    return _rfft_any(input, s, dim, norm, True, "ihfft2", out, False)


def _irfft_any(input, s, dim, norm, hermitian: bool, op: str, out, one_dim: bool) -> Tensor:
    """irfft (c2c inverse over the other dims, then c2r) or hfft (c2c forward, then c2r of the conjugate); the last
    dim's output size defaults to 2 * (bins - 1)."""
    x = _input(input, op)
    forward = hermitian
    _norm_scale(norm, 1, forward, op)
    if one_dim:
        d = _dim1(x, dim)
        n = 2 * (x.shape[d] - 1) if s is None else s
        _check_n(n, op)
        dims, sizes = (d,), [n]
    else:
        dims, sizes = _dims_and_shape(x, s, dim, op)
        if not dims:
            raise RuntimeError(f"{op} must transform at least one axis")
        if s is None or list(s)[-1] == -1:
            sizes[-1] = 2 * (x.shape[dims[-1]] - 1)
            _check_n(sizes[-1], op, "s")
    last_n = sizes[-1]
    x = _as_complex(_resized(x, dims, sizes[:-1] + [last_n // 2 + 1]))
    y = _c2c(x, dims[:-1], forward, norm, op)
    res = _apply(_Lin("c2r", (dims[-1],), True, _norm_scale(norm, last_n, forward, op), conj=hermitian, n=last_n), y)
    return _finish(res, out, op, False, (input,))


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out=None) -> Tensor:
    """The inverse of rfft: a real signal of n (default 2 * (bins - 1)) samples from one-sided bins."""
    return _irfft_any(input, n, dim, norm, False, "irfft", out, True)


def irfftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    return _irfft_any(input, s, dim, norm, False, "irfftn", out, False)


def irfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    return _irfft_any(input, s, dim, norm, False, "irfft2", out, False)


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out=None) -> Tensor:
    """The FFT of a Hermitian-symmetric signal given by its first half: a real spectrum of n samples."""
    return _irfft_any(input, n, dim, norm, True, "hfft", out, True)


def hfftn(input: Tensor, s=None, dim=None, norm: str | None = None, *, out=None) -> Tensor:
    return _irfft_any(input, s, dim, norm, True, "hfftn", out, False)


def hfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None, *, out=None) -> Tensor:
    return _irfft_any(input, s, dim, norm, True, "hfft2", out, False)


# ---------------------------------------------------------------------------------------------
# Frequencies and shifts

def _freq(values: np.ndarray, n: int, d: float, op: str, dtype, device, requires_grad: bool) -> Tensor:
    from .ops.creation import from_numpy

    dt = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{op} requires a floating point or complex dtype")
    arr = values.astype(dt.np) * dt.np.type(1.0 / (n * d)) if n else values.astype(dt.np)
    t = from_numpy(np.ascontiguousarray(arr))
    if device is not None:
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
            out=None) -> Tensor:
    """The sample frequencies of an n-point FFT: [0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d n)."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    v = np.arange(n, dtype=np.float64)
    v[(n + 1) // 2:] -= n
    res = _freq(v, n, d, "fftfreq", dtype, device, requires_grad)
    return res if out is None else write_out(out, res._data, "fftfreq")


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
             out=None) -> Tensor:
    """The sample frequencies of rfft's n // 2 + 1 bins: [0, 1, ..., n // 2] / (d n)."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    res = _freq(np.arange(n // 2 + 1, dtype=np.float64), n, d, "rfftfreq", dtype, device, requires_grad)
    return res if out is None else write_out(out, res._data, "rfftfreq")


def _shift(input: Tensor, dim, inverse: bool) -> Tensor:
    from .ops.rearrange import roll

    if dim is None:
        dims = list(range(input.ndim))
    else:
        dims = [dim] if isinstance(dim, int | np.integer) else list(dim)
    if not dims:
        return input.clone()
    sizes = [input.shape[_wrap_dim(d, input.ndim)] for d in dims]
    shifts = [(s + 1) // 2 if inverse else s // 2 for s in sizes]
    return roll(input, shifts, dims)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Roll the zero frequency to the centre: each dim by size // 2."""
    return _shift(input, dim, False)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of fftshift: each dim rolled by (size + 1) // 2."""
    return _shift(input, dim, True)
