"""Vectorizable float32 elementary functions for Numba kernels.

Numba lowers ``math.exp``/``math.log``/``math.tanh``/``math.erf`` on float32 to scalar libm calls, which
block loop vectorization (4-5x slower than NumPy here; there is no SVML).  The functions in this module
are written as range reduction + polynomial in plain arithmetic, bit manipulation and selects only, so
that LLVM inlines them into the caller's loop and vectorizes it (AVX2/AVX-512 on x86).

Usage, from another njit kernel::

    from .fastmath import exp_f32

    @numba.njit(error_model="numpy")
    def exp_kernel(x, out):           # contiguous float32 arrays
        for i in range(x.size):
            out[i] = exp_f32(x[i])

Conventions
-----------
* Every public function takes and returns float32 (``softplus_f32`` also takes ``beta``/``threshold``,
  converted to float32).  Other argument types do not compile (the bit tricks are float32-only): use
  ``np.float32(v)`` for literals and float64 data.
* Accuracy (max over all 2**32 inputs, in ulps of the float32 result, against float64/libm references):
  at most 1 ulp for exp, exp2, expm1, log, log2, log10, log1p, tanh, erf; at most 2-4 ulp for sigmoid,
  silu, softplus, erfc, gelu_tanh, gelu_erf (the per-function bounds are asserted in
  ``tests/kernels/test_fastmath.py``).  This includes denormal inputs and outputs (exp/sigmoid/silu/erfc
  return denormals rather than flushing to zero) and relative accuracy in the tails (expm1/log1p near 0,
  erfc up to its underflow near 10, sigmoid/silu/gelu for large negative x).  NaN in gives NaN out;
  infinities, overflow and signed zeros as in C99 / NumPy; silu/gelu at -inf give -0.0 (the limit;
  PyTorch gives nan).
* The functions are compiled with ``error_model="numpy"`` and ``fastmath={"contract"}`` only (FMA
  contraction; no ``nnan``/``ninf``, so NaN/inf handling stays correct even when the *caller* is compiled
  with ``fastmath=True``).  They are deliberately not ``inline="always"``: Numba-IR inlining would
  re-lower them with the caller's flags and error model.  Instead each function marks itself
  ``alwaysinline`` for LLVM (``_always_inline``), so it is inlined into the caller's loop with its own
  flags, whatever its size, and the loop vectorizes.
* Where a product must be exact (``x*x`` split into hi + lo, Cody-Waite reductions) an explicit
  ``llvm.fma`` intrinsic is used, so results do not depend on what LLVM chooses to contract.
* Importing this module compiles nothing; each function is compiled (or loaded from Numba's on-disk
  cache) on first use.
* Caching caveat for callers: a caller compiled with ``cache=True`` has these functions inlined into its
  cached machine code, and Numba only invalidates that cache when the *caller's* file changes.  After
  editing this module, clear the callers' caches (their ``__pycache__/*.nbi|*.nbc``).
"""

import math

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

__all__ = [
    "exp_f32",
    "exp2_f32",
    "expm1_f32",
    "log_f32",
    "log2_f32",
    "log10_f32",
    "log1p_f32",
    "tanh_f32",
    "sigmoid_f32",
    "silu_f32",
    "softplus_f32",
    "erf_f32",
    "erfc_f32",
    "gelu_tanh_f32",
    "gelu_erf_f32",
]

_jit = numba.njit(cache=True, error_model="numpy", fastmath={"contract"})

# ---------------------------------------------------------------------------------------------------
# LLVM-level helpers: bit casts and a guaranteed fused multiply-add.


@intrinsic
def _as_i32(typingctx, x):
    """Reinterpret the bits of a float32 as int32."""
    if x != types.float32:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(types.int32))

    return types.int32(types.float32), codegen


@intrinsic
def _as_f32(typingctx, i):
    """Reinterpret the low 32 bits of an integer as float32."""
    if not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        i32 = context.get_value_type(types.int32)
        v = args[0]
        if v.type.width != 32:
            v = builder.trunc(v, i32)
        return builder.bitcast(v, context.get_value_type(types.float32))

    return types.float32(i), codegen


@intrinsic
def _i2f(typingctx, i):
    """Signed integer (truncated to 32 bits) -> float32; keeps the conversion 32 bits wide."""
    if not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        i32 = context.get_value_type(types.int32)
        v = args[0]
        if v.type.width != 32:
            v = builder.trunc(v, i32)
        return builder.sitofp(v, context.get_value_type(types.float32))

    return types.float32(i), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a*b + c with a single rounding (llvm.fma.f32)."""
    if not (a == types.float32 and b == types.float32 and c == types.float32):
        return None

    def codegen(context, builder, sig, args):
        return builder.fma(args[0], args[1], args[2])

    return types.float32(types.float32, types.float32, types.float32), codegen


@intrinsic
def _always_inline(typingctx):
    """Mark the function being compiled ``alwaysinline`` for LLVM.  Numba compiles each of these functions
    separately and relies on LLVM's cost model to inline it into the caller; the larger ones (erfc,
    softplus, gelu) exceed the default threshold and would stay out-of-line calls, which keeps the
    caller's loop scalar.  Inlining at the LLVM level (unlike Numba's ``inline="always"``) keeps this
    module's own fastmath flags and error model."""

    def codegen(context, builder, sig, args):
        builder.function.attributes.add("alwaysinline")
        return context.get_dummy_value()

    return types.none(), codegen


def _i32_operands(context, builder, sig, args):
    """Cast integer arguments to i32 (Numba widens int32 arithmetic to int64, which keeps LLVM from using
    32-bit vector lanes; these intrinsics keep the integer side of the bit tricks 32 bits wide)."""
    i32 = context.get_value_type(types.int32)
    out = []
    for ty, v in zip(sig.args, args):
        if v.type.width > 32:
            v = builder.trunc(v, i32)
        elif v.type.width < 32:
            v = builder.sext(v, i32) if ty.signed else builder.zext(v, i32)
        out.append(v)
    return out


@intrinsic
def _iadd(typingctx, a, b):
    """32-bit wrapping a + b."""
    if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        x, y = _i32_operands(context, builder, sig, args)
        return builder.add(x, y)

    return types.int32(a, b), codegen


@intrinsic
def _isub(typingctx, a, b):
    """32-bit wrapping a - b."""
    if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        x, y = _i32_operands(context, builder, sig, args)
        return builder.sub(x, y)

    return types.int32(a, b), codegen


@intrinsic
def _iand(typingctx, a, b):
    """32-bit a & b."""
    if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        x, y = _i32_operands(context, builder, sig, args)
        return builder.and_(x, y)

    return types.int32(a, b), codegen


@intrinsic
def _ior(typingctx, a, b):
    """32-bit a | b."""
    if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        x, y = _i32_operands(context, builder, sig, args)
        return builder.or_(x, y)

    return types.int32(a, b), codegen


@intrinsic
def _isra(typingctx, a, b):
    """32-bit arithmetic shift right a >> b (0 <= b < 32)."""
    if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        x, y = _i32_operands(context, builder, sig, args)
        return builder.ashr(x, y)

    return types.int32(a, b), codegen


@intrinsic
def _ishl(typingctx, a, b):
    """32-bit wrapping shift left a << b (0 <= b < 32)."""
    if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        x, y = _i32_operands(context, builder, sig, args)
        return builder.shl(x, y)

    return types.int32(a, b), codegen


# ---------------------------------------------------------------------------------------------------
# Constants.  Everything is a np.float32 / np.int32 global so that Numba freezes it as a 32-bit
# constant (a Python float literal would silently promote the arithmetic to float64).

_f = np.float32
_ZERO = _f(0.0)
_NZERO = _f(-0.0)
_ONE = _f(1.0)
_TWO = _f(2.0)
_HALF = _f(0.5)
_NHALF = _f(-0.5)
_INF = _f(np.inf)
_NINF = _f(-np.inf)
_NAN = _f(np.nan)
_FLT_MIN = _f(1.17549435e-38)  # smallest normal
_TWO23 = _f(8388608.0)

_SIGN_MASK = np.int32(-2147483648)  # 0x80000000
_I1 = np.int32(1)
_I23 = np.int32(23)
_I126 = np.int32(126)
_I127 = np.int32(127)
_I150 = np.int32(150)

# exp: n = round(x*log2(e)) via the 1.5*2^23 shifter, r = x - n*ln2 (Cody-Waite, hi part has 9 bits so
# n*hi is exact for |n| < 2^15), exp(x) = 2^n * exp(r), |r| <= ln2/2.
_LOG2E = _f(1.4426950408889634)
_SHIFT = _f(12582912.0)  # 1.5 * 2^23
_SHIFT_BITS = np.int32(0x4B400000)
_NLN2_HI = _f(-0.693359375)
_NLN2_LO = _f(2.12194440e-4)  # -(ln2 - 0.693359375)
_EXP_HI = _f(89.0)  # exp(89) > FLT_MAX: overflows to inf
_EXP_LO = _f(-105.0)  # exp(-105) < FLT_TRUE_MIN/2: underflows to 0
_SILU_LO = _f(-112.0)  # x*exp(x) < FLT_TRUE_MIN/2 below about -108.7
# exp(r) = 1 + r*(1 + r*P(r)), P minimax for relative error on [-ln2/2, ln2/2]
_E0 = _f(0.49999997)
_E1 = _f(0.16666539)
_E2 = _f(0.041667223)
_E3 = _f(0.008367181)
_E4 = _f(0.0013882396)
# expm1(r) = r + r^2*Q(r), one degree more for relative accuracy near 0
_M0 = _f(0.5)
_M1 = _f(0.16666666)
_M2 = _f(0.041666348)
_M3 = _f(0.0083333915)
_M4 = _f(0.0013941652)
_M5 = _f(0.00019845959)
_EXPM1_LO = _f(-30.0)  # expm1(x) rounds to -1 below about -17.3
# exp2(r) = 1 + r*P(r) on [-1/2, 1/2]
_X2_0 = _f(0.6931472)
_X2_1 = _f(0.24022648)
_X2_2 = _f(0.055503324)
_X2_3 = _f(0.009618437)
_X2_4 = _f(0.0013398874)
_X2_5 = _f(0.00015353362)
_EXP2_HI = _f(129.0)
_EXP2_LO = _f(-151.0)

# log: x = 2^k * m, m in [sqrt(1/2), sqrt(2)), f = m - 1,
# log(1+f) = f - f^2/2 + f^3*P(f), P minimax for relative error.
_LOG_OFF = np.int32(0x3F800000 - 0x3F3504F3)
_LOG_SQRTH_BITS = np.int32(0x3F3504F3)
_MANT_MASK = np.int32(0x007FFFFF)
_L0 = _f(0.3333333)
_L1 = _f(-0.25000826)
_L2 = _f(0.20001236)
_L3 = _f(-0.16623144)
_L4 = _f(0.14201368)
_L5 = _f(-0.13162003)
_L6 = _f(0.12765428)
_L7 = _f(-0.07634387)
_LN2_HI = _f(0.693359375)
_LN2_LO = _f(-2.12194440e-4)
_LOG2E_HI = _f(1.4426950408889634)
_LOG2E_LO = _f(1.4426950408889634 - float(np.float32(1.4426950408889634)))
_LOG10E_HI = _f(0.4342944819032518)
_LOG10E_LO = _f(0.4342944819032518 - float(np.float32(0.4342944819032518)))
_LOG10_2_HI = _f(0.30102539)  # 0x3e9a2000: 12 significant bits, k*hi exact
_LOG10_2_LO = _f(math.log10(2.0) - float(np.float32(0.30102539)))

# tanh clamp: tanh(x) rounds to +-1 for |x| > 9.01
_TANH_HI = _f(9.5)
# tanh, |x| < 0.55: tanh(x) = x + x^3*P(x^2)
_TANH_SPLIT = _f(0.55)
_T0 = _f(-0.33333316)
_T1 = _f(0.13332586)
_T2 = _f(-0.05385231)
_T3 = _f(0.02107168)
_T4 = _f(-0.0062742396)

# erf, |x| < 0.875: erf(x) = x + x*P(x^2)
_ERF_SPLIT = _f(0.875)
_ES0 = _f(0.12837915)
_ES1 = _f(-0.3761255)
_ES2 = _f(0.11282455)
_ES3 = _f(-0.026791466)
_ES4 = _f(0.0050321864)
_ES5 = _f(-0.0006203279)
# erf, 0.875 <= |x| <= 3.95: erf(x) = 1 - exp(P(|x|)) (P ~ log(erfc)); erf rounds to 1 above 3.92
_ERF_HI = _f(3.95)
_EL0 = _f(-0.00014421226)
_EL1 = _f(-1.1278894)
_EL2 = _f(-0.6368207)
_EL3 = _f(-0.10425019)
_EL4 = _f(0.022381026)
_EL5 = _f(-0.0030819948)
_EL6 = _f(0.00019990125)
# erfc, x >= 0: t = 1/(1 + x/2), erfc(x) = t*exp(-x^2 + (t - 1)*Q(t - 1/2))  (the form of Numerical
# Recipes' erfcc, refitted as a minimax for relative error on t in [0.12, 1], i.e. x in [0, 14.7])
_ERFC_HI = _f(10.1)  # erfc(10.1) < FLT_TRUE_MIN/2
_C0 = _f(1.3435881)
_C1 = _f(-0.0033961702)
_C2 = _f(-0.3855301)
_C3 = _f(-0.020783132)
_C4 = _f(0.27391744)
_C5 = _f(-0.015037955)
_C6 = _f(-0.24769339)
_C7 = _f(0.07439996)
_C8 = _f(0.17781164)
_C9 = _f(-0.10469089)

_RSQRT2_HI = _f(0.7071067811865476)
_RSQRT2_LO = _f(0.7071067811865476 - float(np.float32(0.7071067811865476)))

# gelu (tanh form): v = 2*sqrt(2/pi)*(x + 0.044715*x^3), computed in float64
_GT_A = np.float64(2.0 * math.sqrt(2.0 / math.pi))
_GT_B = np.float64(2.0 * math.sqrt(2.0 / math.pi) * 0.044715)
_LN2_64 = np.float64(math.log(2.0))
_EXP_LO_64 = np.float64(-112.0)
_GELU_LO = _f(-20.0)
_GELU_ERF_HI = _f(15.0)  # gelu(-15) underflows to -0.0, gelu(x) = x above about 5.9


# ---------------------------------------------------------------------------------------------------
# Cores (internal; arguments already range-reduced / clamped)


@_jit
def _pow2i(n):
    """2.0**n as float32 for int32 n in [-126, 127]."""
    _always_inline()
    return _as_f32(_ishl(_iadd(n, _I127), _I23))


@_jit
def _exp_poly(r):
    """exp(r) for |r| <= ln2/2 (plus rounding slack)."""
    _always_inline()
    p = _fma(_fma(_fma(_fma(_E4, r, _E3), r, _E2), r, _E1), r, _E0)
    return _fma(r, _fma(r, p, _ONE), _ONE)


@_jit
def _exp_core(x):
    """exp(x) for x in [-170, 89] (or NaN) as (a, b) with exp(x) = a*b rounded once: a is normal, b a
    power of two; multiplying a by something first and b last keeps denormal results single-rounded."""
    _always_inline()
    t = _fma(x, _LOG2E, _SHIFT)
    nf = t - _SHIFT
    n = _isub(_as_i32(t), _SHIFT_BITS)
    r = _fma(nf, _NLN2_HI, x)
    r = _fma(nf, _NLN2_LO, r)
    p = _exp_poly(r)
    n1 = _isra(n, _I1)
    s1 = _pow2i(n1)
    s2 = _pow2i(_isub(n, n1))
    return p * s1, s2


@_jit
def _expm1_core(x):
    """expm1(x) for x in [-30, 89] or NaN; exact zero sign not preserved."""
    _always_inline()
    t = _fma(x, _LOG2E, _SHIFT)
    nf = t - _SHIFT
    n = _isub(_as_i32(t), _SHIFT_BITS)
    r = _fma(nf, _NLN2_HI, x)
    r = _fma(nf, _NLN2_LO, r)
    q = _fma(_fma(_fma(_fma(_fma(_M5, r, _M4), r, _M3), r, _M2), r, _M1), r, _M0)
    u = _fma(r * r, q, r)  # expm1(r)
    # expm1(x) = 2^n*u + (2^n - 1); 2^128 is not a float: use 2^127 and double at the end
    big = n > _I127
    nk = _isub(n, _I1) if big else n
    s = _pow2i(nk)
    res = _fma(s, u, s - _ONE)
    return res * _TWO if big else res


@_jit
def _log1p_poly(f):
    """g with log(1+f) = f + g, for f in [sqrt(1/2)-1, sqrt(2)-1]."""
    _always_inline()
    z = f * f
    p = _fma(_fma(_fma(_fma(_fma(_fma(_fma(_L7, f, _L6), f, _L5), f, _L4), f, _L3), f, _L2), f, _L1), f, _L0)
    return _fma(f * z, p, _NHALF * z)


@_jit
def _log_reduce(x):
    """For finite x > 0: (k, f) with x = 2^k * (1 + f), f in [sqrt(1/2)-1, sqrt(2)-1), k as float32."""
    _always_inline()
    small = x < _FLT_MIN
    xs = x * _TWO23 if small else x
    ix = _iadd(_as_i32(xs), _LOG_OFF)
    k = _isub(_isra(ix, _I23), _I150 if small else _I127)
    m = _as_f32(_iadd(_iand(ix, _MANT_MASK), _LOG_SQRTH_BITS))
    return _i2f(k), m - _ONE


@_jit
def _log_special(x, res):
    _always_inline()
    res = _NINF if x == _ZERO else res
    res = _NAN if x < _ZERO else res
    return res if x < _INF else x  # +inf -> inf, nan -> nan


@_jit
def _copysign(mag, x):
    """mag with the sign bit of x (mag must be non-negative or NaN)."""
    _always_inline()
    return _as_f32(_ior(_as_i32(mag), _iand(_as_i32(x), _SIGN_MASK)))


# ---------------------------------------------------------------------------------------------------
# Public scalar functions


@_jit
def exp_f32(x):
    """e**x."""
    _always_inline()
    xc = _EXP_HI if x > _EXP_HI else x
    xc = _EXP_LO if xc < _EXP_LO else xc
    a, b = _exp_core(xc)
    return a * b


@_jit
def exp2_f32(x):
    """2**x (exact for integer x)."""
    _always_inline()
    xc = _EXP2_HI if x > _EXP2_HI else x
    xc = _EXP2_LO if xc < _EXP2_LO else xc
    t = xc + _SHIFT
    nf = t - _SHIFT
    n = _isub(_as_i32(t), _SHIFT_BITS)
    r = xc - nf
    p = _fma(_fma(_fma(_fma(_fma(_X2_5, r, _X2_4), r, _X2_3), r, _X2_2), r, _X2_1), r, _X2_0)
    p = _fma(r, p, _ONE)
    n1 = _isra(n, _I1)
    s1 = _pow2i(n1)
    s2 = _pow2i(_isub(n, n1))
    return p * s1 * s2


@_jit
def expm1_f32(x):
    """e**x - 1, accurate near 0."""
    _always_inline()
    xc = _EXP_HI if x > _EXP_HI else x
    xc = _EXPM1_LO if xc < _EXPM1_LO else xc
    res = _expm1_core(xc)
    return x if x == _ZERO else res


@_jit
def log_f32(x):
    """Natural logarithm."""
    _always_inline()
    k, f = _log_reduce(x)
    g = _log1p_poly(f)
    res = _fma(k, _LN2_HI, f + _fma(k, _LN2_LO, g))
    return _log_special(x, res)


@_jit
def log2_f32(x):
    """Base-2 logarithm (exact for powers of two)."""
    _always_inline()
    k, f = _log_reduce(x)
    g = _log1p_poly(f)
    v = _fma(f, _LOG2E_HI, _fma(g, _LOG2E_HI, (f + g) * _LOG2E_LO))
    return _log_special(x, k + v)


@_jit
def log10_f32(x):
    """Base-10 logarithm."""
    _always_inline()
    k, f = _log_reduce(x)
    g = _log1p_poly(f)
    v = _fma(f, _LOG10E_HI, _fma(g, _LOG10E_HI, _fma(f + g, _LOG10E_LO, k * _LOG10_2_LO)))
    return _log_special(x, _fma(k, _LOG10_2_HI, v))


@_jit
def log1p_f32(x):
    """log(1 + x), accurate near 0."""
    _always_inline()
    u = x + _ONE
    # rounding error of u = 1 + x, exact in both cases
    c = (_ONE - (u - x)) if x >= _ONE else (x - (u - _ONE))
    ix = _iadd(_as_i32(u), _LOG_OFF)
    ki = _isub(_isra(ix, _I23), _I127)
    m = _as_f32(_iadd(_iand(ix, _MANT_MASK), _LOG_SQRTH_BITS))
    kc = _I126 if ki > _I126 else ki
    scale = _pow2i(_isub(0, kc))  # 2^-k
    f = _fma(c, scale, m - _ONE)  # (1 + x) / 2^k - 1, rounded once
    g = _log1p_poly(f)
    k = _i2f(ki)
    res = _fma(k, _LN2_HI, f + _fma(k, _LN2_LO, g))
    res = _NINF if x == -_ONE else res
    res = _NAN if x < -_ONE else res
    res = res if x < _INF else x  # +inf -> inf, nan -> nan
    return x if x == _ZERO else res  # keeps -0.0


@_jit
def tanh_f32(x):
    """Hyperbolic tangent: odd polynomial for |x| < 0.55, else expm1(2|x|) / (expm1(2|x|) + 2)."""
    _always_inline()
    a = abs(x)
    a = _TANH_HI if a > _TANH_HI else a  # nan stays nan
    t = _expm1_core(a + a)
    large = t / (t + _TWO)
    s = a * a
    p = _fma(_fma(_fma(_fma(_T4, s, _T3), s, _T2), s, _T1), s, _T0)
    small = _fma(a * s, p, a)
    return _copysign(small if a < _TANH_SPLIT else large, x)


@_jit
def sigmoid_f32(x):
    """Logistic function 1 / (1 + exp(-x)), without overflow and with denormal results for x < -87."""
    _always_inline()
    a = -abs(x)
    a = _EXP_LO if a < _EXP_LO else a
    p, s = _exp_core(a)
    e = p * s  # exp(-|x|) in (0, 1]
    num = _ONE if x >= _ZERO else e
    return num / (_ONE + e)


@_jit
def silu_f32(x):
    """x * sigmoid(x) (a.k.a. swish).  silu(-inf) = -0.0 (the limit)."""
    _always_inline()
    xc = _SILU_LO if x < _SILU_LO else x  # result underflows to -0.0 there anyway; nan stays nan
    a = -abs(xc)
    a = _SILU_LO if a < _SILU_LO else a
    p, s = _exp_core(a)
    e = p * s
    num = x if x >= _ZERO else (xc * p) * s  # single rounding when the result is denormal
    return num / (_ONE + e)


@_jit
def softplus_f32(x, beta, threshold):
    """PyTorch softplus: x if x*beta > threshold else log1p(exp(beta*x)) / beta.

    log1p(exp(z)) is evaluated as max(z, 0) + log1p(exp(-|z|)), so it neither overflows nor loses
    accuracy for large |z|."""
    _always_inline()
    b = np.float32(beta)
    th = np.float32(threshold)
    z = x * b
    a = -abs(z)
    a = _EXP_LO if a < _EXP_LO else a
    p, s = _exp_core(a)
    e = p * s
    lp = log1p_f32(e)
    zp = z if z > _ZERO else _ZERO
    res = (zp + lp) / b
    return x if z > th else res


@_jit
def erf_f32(x):
    """Error function."""
    _always_inline()
    a = abs(x)
    # small |x|
    s = x * x
    ps = _fma(_fma(_fma(_fma(_fma(_ES5, s, _ES4), s, _ES3), s, _ES2), s, _ES1), s, _ES0)
    small = _fma(x, ps, x)
    # large |x|: 1 - exp(P(a))
    al = _ERF_HI if a > _ERF_HI else a
    pl = _fma(_fma(_fma(_fma(_fma(_fma(_EL6, al, _EL5), al, _EL4), al, _EL3), al, _EL2), al, _EL1), al, _EL0)
    pl = _EXP_LO if pl < _EXP_LO else pl
    ea, eb = _exp_core(pl)
    large = _copysign(_ONE - ea * eb, x)
    return small if a < _ERF_SPLIT else large


@_jit
def _erfc_pos(a, al, x2h, x2l):
    """erfc(a + al) for a in [0, 13] (or NaN), |al| <= ulp(a), given (a + al)^2 = x2h + x2l (to about
    2^-48 relative).  Returns (u, v) with
    erfc(a) = u*v rounded once, v a power of two (multiply u by something first to keep a denormal
    result single-rounded).

    erfc(a) = t*exp(-a^2 + P(t)), t = 1/(1 + a/2).  The exponent is assembled directly in the reduced
    argument r = -a^2 + P(t) + log(t_exact/t) - n*ln2 so that all roundings happen at the scale of
    |r| <= ln2/2 rather than at the scale of |P| or a^2."""
    _always_inline()
    d = _fma(a, _HALF, _ONE)
    dl = _fma(a, _HALF, _ONE - d) + _HALF * al  # (1 + (a + al)/2) - d
    t = _ONE / d
    rho = _fma(-t, d, _ONE) - t * dl  # 1/(1 + a/2) = t*(1 + rho) to first order
    tm1 = t - _ONE
    s = t - _HALF
    q = _fma(_fma(_fma(_fma(_fma(_C9, s, _C8), s, _C7), s, _C6), s, _C5), s, _C4)
    q = _fma(_fma(_fma(_fma(q, s, _C3), s, _C2), s, _C1), s, _C0)
    hi = -x2h
    y = _fma(tm1, q, hi)  # the exponent, rounded: only used to pick n
    tt = _fma(y, _LOG2E, _SHIFT)
    nf = tt - _SHIFT
    n = _isub(_as_i32(tt), _SHIFT_BITS)
    r = _fma(nf, _NLN2_HI, hi)
    r = _fma(tm1, q, r)
    r = r + (rho - x2l)
    r = _fma(nf, _NLN2_LO, r)
    # t*exp(r) = t + (t*r)*(1 + r*E(r)), one rounding at the end
    e = _fma(_fma(_fma(_fma(_E4, r, _E3), r, _E2), r, _E1), r, _E0)
    u = _fma(t * r, _fma(r, e, _ONE), t)
    n1 = _isra(n, _I1)
    s1 = _pow2i(n1)
    s2 = _pow2i(_isub(n, n1))
    return u * s1, s2


@_jit
def erfc_f32(x):
    """Complementary error function 1 - erf(x), with relative accuracy in the right tail."""
    _always_inline()
    a = abs(x)
    a = _ERFC_HI if a > _ERFC_HI else a
    h = a * a
    lo = _fma(a, a, -h)
    u, v = _erfc_pos(a, _ZERO, h, lo)
    r = u * v
    return _TWO - r if x < _ZERO else r


@_jit
def gelu_tanh_f32(x):
    """0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))) = x * sigmoid(2*sqrt(2/pi)*(x + 0.044715*x^3)).

    The sigmoid argument is formed and range-reduced in float64 so that the result keeps relative
    accuracy for large negative x (where it is about x*exp(v) and v is up to ~100)."""
    _always_inline()
    xc = _GELU_LO if x < _GELU_LO else x  # gelu(-20) underflows to -0.0; nan stays nan
    xd = np.float64(xc)
    v = xd * (_GT_A + _GT_B * (xd * xd))
    w = -abs(v)
    w = _EXP_LO_64 if w < _EXP_LO_64 else w  # nan stays nan
    w32 = np.float32(w)
    t = _fma(w32, _LOG2E, _SHIFT)
    nf = t - _SHIFT
    n = _isub(_as_i32(t), _SHIFT_BITS)
    r = np.float32(w - np.float64(nf) * _LN2_64)
    p = _exp_poly(r)
    n1 = _isra(n, _I1)
    pa = p * _pow2i(n1)
    pb = _pow2i(_isub(n, n1))
    e = pa * pb  # exp(-|v|)
    num = x if x >= _ZERO else (xc * pa) * pb
    return num / (_ONE + e)


@_jit
def gelu_erf_f32(x):
    """0.5*x*(1 + erf(x/sqrt(2))) = x*Phi(x), evaluated as 0.5*x*erfc(-x/sqrt(2)) (relative accuracy for
    negative x).  gelu(-inf) = -0.0 (the limit), gelu(inf) = inf."""
    _always_inline()
    a = abs(x)
    a = _GELU_ERF_HI if a > _GELU_ERF_HI else a
    h = a * a
    lo = _fma(a, a, -h)
    # z = a/sqrt(2) = zh + zl to about 2^-48: erfc(z) has relative condition number 2z^2 (up to ~200 here),
    # so a rounded z would cost that many half-ulps; z^2 = (h + lo)/2 is exact.
    zh = a * _RSQRT2_HI
    zl = _fma(a, _RSQRT2_HI, -zh) + a * _RSQRT2_LO
    u, v = _erfc_pos(zh, zl, _HALF * h, _HALF * lo)
    xc = -_GELU_ERF_HI if x < -_GELU_ERF_HI else x  # keeps nan and the sign of zero
    neg = ((_HALF * xc) * u) * v  # 0.5*x*erfc(|x|/sqrt2) for x <= 0, one rounding if denormal
    pos = _fma(_NHALF * x, u * v, x)  # x*(1 - 0.5*erfc(x/sqrt2)) for x > 0
    res = pos if x > _ZERO else neg  # zeros and nan take the x*erfc branch: keeps -0.0, propagates nan
    return x if x == _INF else res
