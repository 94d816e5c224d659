"""What the GPU does differently from kernels/cpu/scalar.py, whose helpers the CUDA kernels call as they are.

numba-cuda compiles the CPU `@njit` helpers for the device when a kernel calls them (they use only `math.*`,
arithmetic and four stubs), so they are re-exported here for the generated kernels' `import *`. Left here:
- the GPU lowering of the stubs `ffloor`, `ftrunc`, `ffmod`, `fexp2` (numba-cuda lowers no `np.floor`,
  `np.trunc`, `np.fmod`, `np.exp2`; its `math.floor`/`math.trunc` keep the float type, while Numba's CPU ones
  return integers, and the CPU has no `math.fmod`) and `fma` (cuda.fma; under the simulator the stub's exact
  Python body);
- `M`, the math module the op table's rewritten expressions call (`np.sqrt(x)` -> `M.sqrt(x)`): `math` on a GPU;
  under the simulator (plain Python) a table of NumPy functions, which keep float32/float16 scalars in their
  dtype and give inf/nan where Python's `math` would raise;
- the `_f32` names of kernels/cpu/fastmath.py, which on the CPU are vectorization tricks (LLVM intrinsics, bit
  casts) and here map to libdevice;
- `CM`, the complex math the complex kernels call (`cmath` on a GPU, the NumPy table under the simulator), and
  the complex functions `cmath` lacks (`cexp2`, `cexpm1`, `clog2`, `clog1p`).
"""

from __future__ import annotations

import cmath
import functools
import hashlib
import math
import os

import numpy as np

from ..cpu import scalar as _cpu
from .launch import SIMULATOR, cuda

# the shared helpers: kernels/cpu/scalar.py's @njit functions and stubs, re-exported for the kernels' import *
SHARED = tuple(n for n, f in vars(_cpu).items()
               if hasattr(f, "py_func") or n in ("ffloor", "ftrunc", "ffmod", "fexp2", "fma", "one_like"))
globals().update({n: getattr(_cpu, n) for n in SHARED})

if SIMULATOR:
    class _SimMath:
        """NumPy stand-ins for math.* under the simulator, warnings silenced (GPU math does not warn)."""

    def _quiet(fn):
        def call(*args):
            with np.errstate(all="ignore"):
                return fn(*args)
        return staticmethod(call)

    _NP = {"sqrt": np.sqrt, "exp": np.exp, "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10,
           "log1p": np.log1p, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
           "atan": np.arctan, "atan2": np.arctan2, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
           "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "fmod": np.fmod, "hypot": np.hypot,
           "isinf": np.isinf, "isfinite": np.isfinite, "isnan": np.isnan, "copysign": np.copysign, "pow": np.power,
           "erf": math.erf, "erfc": math.erfc, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
           "nextafter": np.nextafter}
    for _name, _fn in _NP.items():
        setattr(_SimMath, _name, _quiet(_fn))
    def _lgamma(x):
        """math.lgamma, with torch's inf at the poles where Python raises."""
        try:
            r = math.lgamma(float(x))
        except (ValueError, OverflowError):
            r = math.inf
        return np.asarray(r, getattr(x, "dtype", np.float64))[()]

    _SimMath.lgamma = staticmethod(_lgamma)
    M = CM = _SimMath

    def _wrapped_int(fn):
        """A helper as the simulator calls it: Numba hands back a Python int, which NumPy refuses to store in a
        narrower output when out of its range (int8 lshift); the GPU's store truncates, as this cast does."""
        def call(*args):
            r = fn(*args)
            if type(r) is int and isinstance(args[0], np.integer):
                return np.array(r).astype(type(args[0]))[()]
            return r
        return call

    globals().update({n: _wrapped_int(getattr(_cpu, n)) for n in SHARED})
else:
    from numba import types
    from numba.cuda.extending import overload

    M = math
    CM = cmath

    @overload(_cpu.ffloor)
    def _ffloor_cuda(x):
        return lambda x: math.floor(x)

    @overload(_cpu.ftrunc)
    def _ftrunc_cuda(x):
        return lambda x: math.trunc(x)

    @overload(_cpu.ffmod)
    def _ffmod_cuda(x, y):
        return lambda x, y: math.fmod(x, y)

    @overload(_cpu.fma)
    def _fma_cuda(a, b, c):
        return lambda a, b, c: cuda.fma(a, b, c)

    @overload(_cpu.fexp2)
    def _fexp2_cuda(x):
        if x == types.float32:
            return lambda x: math.pow(np.float32(2.0), x)
        return lambda x: math.pow(2.0, x)

_dev = cuda.jit(device=True)

_F32_HALF = np.float32(0.5)
_F32_ONE = np.float32(1.0)
_F32_TWO = np.float32(2.0)
_F32_ZERO = np.float32(0.0)


# ---------------------------------------------------------------------------------------------------------
# The `_f32` names of kernels/cpu/fastmath.py: float32 in, float32 out, through libdevice.


@_dev
def exp_f32(x):
    return M.exp(x)


@_dev
def exp2_f32(x):
    return M.pow(_F32_TWO, x)


@_dev
def expm1_f32(x):
    return M.expm1(x)


@_dev
def log_f32(x):
    return M.log(x)


@_dev
def log2_f32(x):
    return M.log2(x)


@_dev
def log10_f32(x):
    return M.log10(x)


@_dev
def log1p_f32(x):
    return M.log1p(x)


@_dev
def tanh_f32(x):
    return M.tanh(x)


@_dev
def sigmoid_f32(x):
    """1 / (1 + exp(-x)) without overflow."""
    e = M.exp(-abs(x))
    num = _F32_ONE if x >= _F32_ZERO else e
    return num / (_F32_ONE + e)


@_dev
def silu_f32(x):
    return x * sigmoid_f32(x)


@_dev
def softplus_f32(x, beta, threshold):
    """PyTorch softplus: x if x*beta > threshold else log1p(exp(beta*x)) / beta, as max(z, 0) + log1p(exp(-|z|))."""
    z = x * beta
    if z > threshold:
        return x
    zp = z if z > _F32_ZERO else _F32_ZERO
    return (zp + M.log1p(M.exp(-abs(z)))) / beta


@_dev
def erf_f32(x):
    return M.erf(x)


@_dev
def erfc_f32(x):
    return M.erfc(x)


@_dev
def gelu_tanh_f32(x):
    inner = np.float32(0.7978845608028654) * (x + np.float32(0.044715) * x * x * x)
    return _F32_HALF * x * (_F32_ONE + M.tanh(inner))


@_dev
def gelu_erf_f32(x):
    return _F32_HALF * x * M.erfc(-x * np.float32(0.7071067811865476))


# ---------------------------------------------------------------------------------------------------------
# Complex functions cmath has no name for. Real parts in float64 (a complex64 result is rounded once, when the
# kernel stores it); ln2 comes in the kernel's compute type, so the prefix rewrite `np.exp2(` -> `cexp2(T(ln2), `
# needs no parsing of the argument.


@_dev
def cexp2(ln2, x):
    return CM.exp(x * ln2)


@_dev
def clog2(ln2, x):
    """log(x) / ln 2 part by part (a complex division would turn log(0) = -inf + 0j into -inf + nanj)."""
    z = CM.log(x)
    return complex(z.real / ln2.real, z.imag / ln2.real)


@_dev
def cexpm1(x):
    """exp(x) - 1 without cancellation near 0: expm1(a) cos(b) - 2 sin(b/2)^2 + i e^a sin(b)."""
    a = np.float64(x.real)
    b = np.float64(x.imag)
    h = M.sin(b * 0.5)
    return complex(M.expm1(a) * M.cos(b) - 2.0 * h * h, M.exp(a) * M.sin(b))


@_dev
def clog1p(x):
    """log(1 + x) without cancellation near 0: log|1 + x| as log1p(2a + a^2 + b^2) / 2."""
    a = np.float64(x.real)
    b = np.float64(x.imag)
    if abs(a) < 0.5 and abs(b) < 0.5:
        return complex(0.5 * M.log1p(a * (2.0 + a) + b * b), M.atan2(b, 1.0 + a))
    return CM.log(complex(1.0 + a, b))


@functools.cache
def helpers_digest() -> str:
    """Hash of the helpers generated kernels inline (this file and the CPU scalar.py whose functions it shares):
    it goes into every generated module that star-imports this one, because a cached kernel does not notice
    when a device function it inlined changes."""
    h = hashlib.sha1()
    here = os.path.dirname(__file__)
    for path in (os.path.join(here, "scalar.py"), os.path.join(here, os.pardir, "cpu", "scalar.py")):
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]
