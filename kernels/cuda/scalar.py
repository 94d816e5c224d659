"""CUDA device versions of the scalar helpers that elementwise expressions call (kernels/cpu/scalar.py and the
`_f32` names of kernels/cpu/fastmath.py), with PyTorch's semantics.

Why not call the CPU `@njit` helpers: numba-cuda can call `@njit` functions from kernels, but those helpers use
NumPy ufuncs (`np.fmod`, `np.floor`, `np.isinf`, ...) that numba-cuda does not lower, and fastmath.py's
`_f32` functions are CPU vectorization tricks (LLVM intrinsics, bit casts). Here they map to CUDA's libdevice
through `math.*`, called as `M.*`: `M` is the math module on a GPU; under the simulator (plain Python) it is
a table of NumPy functions, which keep float32/float16 scalars in their dtype and give inf/nan where Python's
`math` would raise.
"""

from __future__ import annotations

import math

import numpy as np

from .launch import SIMULATOR, cuda

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
           "erf": math.erf, "erfc": math.erfc}
    for _name, _fn in _NP.items():
        setattr(_SimMath, _name, _quiet(_fn))
    M = _SimMath
else:
    M = math

_dev = cuda.jit(device=True)

_F32_HALF = np.float32(0.5)
_F32_ONE = np.float32(1.0)
_F32_TWO = np.float32(2.0)
_F32_ZERO = np.float32(0.0)


# ---------------------------------------------------------------------------------------------------------
# kernels/cpu/scalar.py, for the GPU


@_dev
def sign(x):
    return 1 if x > 0 else (-1 if x < 0 else 0)


@_dev
def fsign(x):
    """Float sign: -1, 0 or 1; NaN stays NaN."""
    if x != x:
        return x
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


@_dev
def remainder_float(a, b):
    """Python-style modulus (sign of the divisor), as torch.remainder."""
    r = M.fmod(a, b)
    if r != 0 and (r < 0) != (b < 0):
        r += b
    return r


@_dev
def remainder_int(a, b):
    return a - (a // b) * b


@_dev
def floor_divide_float(a, b):
    """torch's div_floor for floats: floor(a / b) computed through fmod to avoid rounding errors."""
    if b == 0:
        return a / b
    mod = M.fmod(a, b)
    div = (a - mod) / b
    if mod != 0 and (b < 0) != (mod < 0):
        div -= 1
    if div != 0:
        floordiv = M.floor(div)
        if div - floordiv > 0.5:
            floordiv += 1
        return floordiv
    return M.copysign(div - div, a / b)  # a signed zero of div's type


@_dev
def trunc_divide_int(a, b):
    q = a // b
    if q < 0 and q * b != a:
        q += 1
    return q


@_dev
def pow_int(a, e):
    """Integer power by squaring (the front end rejects negative exponents as torch does)."""
    result = a - a + 1
    base = a
    while e > 0:
        if e & 1:
            result *= base
        base *= base
        e >>= 1
    return result


@_dev
def round_half_even(x):
    r = M.floor(x + 0.5)
    if r - x == 0.5 and M.fmod(r, 2.0) != 0:
        r -= 1.0
    return r if x == x else x


@_dev
def round_decimals(x, decimals):
    scale = 10.0 ** decimals
    return round_half_even(x * scale) / scale


@_dev
def maximum_nan(a, b):
    """max that propagates NaN from either side, as torch.maximum."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a > b else b


@_dev
def minimum_nan(a, b):
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b


@_dev
def fmax(a, b):
    """max that ignores NaN unless both are NaN, as torch.fmax."""
    if a != a:
        return b
    if b != b:
        return a
    return a if a > b else b


@_dev
def fmin(a, b):
    if a != a:
        return b
    if b != b:
        return a
    return a if a < b else b


@_dev
def clamp_nan(x, lo, hi):
    """torch.clamp: min(max(x, lo), hi), NaN in x or a bound propagates."""
    return minimum_nan(maximum_nan(x, lo), hi)


@_dev
def nan_to_num(x, nan, posinf, neginf):
    if x != x:
        return nan
    if x == np.inf:
        return posinf
    if x == -np.inf:
        return neginf
    return x


@_dev
def isclose(a, b, rtol, atol, equal_nan):
    if a == b:
        return True
    if a != a or b != b:
        return equal_nan and a != a and b != b
    if M.isinf(a) or M.isinf(b):
        return False
    return abs(a - b) <= atol + rtol * abs(b)


@_dev
def lerp(a, b, w):
    """torch.lerp's formula, exact at both ends."""
    d = b - a
    return a + w * d if abs(w) < 0.5 else b - d * (1 - w)


@_dev
def frac(x):
    return x - M.trunc(x)


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
