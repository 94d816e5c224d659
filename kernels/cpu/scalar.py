"""Scalar helpers that elementwise expressions call (PyTorch's semantics for each), for both targets.

Each is inlined into the generated loops, so keep them branch-light: LLVM turns simple selects into
vector code. The CUDA kernels call these same functions (numba-cuda compiles an `@njit` function for the
device when a kernel calls it), so they use only `math.*`, arithmetic and the stubs below: numba-cuda
lowers no `np.floor`/`np.trunc`/`np.fmod`/`np.exp2`; Numba's CPU `math.floor`/`math.trunc` return integers and
it has no `math.fmod`; `fma` (one rounding, as torch's CPU add with alpha, addcmul and lerp) is llvm.fma here and
cuda.fma there.
kernels/cuda/scalar.py gives the stubs their GPU lowering.
"""

import math
from fractions import Fraction

import numpy as np
from numba import njit, types
from numba.core.extending import intrinsic, overload

# cache: the CUDA simulator calls these from Python (simulated kernels), which would compile them in every process
_INLINE = dict(inline="always", error_model="numpy", cache=True)


def ffloor(x):
    """floor keeping x's float type (np.floor on the CPU, libdevice floor on the GPU)."""
    return np.floor(x)


def ftrunc(x):
    """trunc keeping x's float type."""
    return np.trunc(x)


def ffmod(x, y):
    """fmod (Numba's CPU target has no math.fmod)."""
    return np.fmod(x, y)


def fexp2(x):
    """2 ** x in x's float type."""
    return np.exp2(x)


def fma(a, b, c):
    """a * b + c rounded once, in the type of the (same-typed) float arguments. Compiled: llvm.fma (CPU) or
    cuda.fma; called from Python (the CUDA simulator), computed exactly with fractions."""
    t = type(c) if isinstance(c, np.floating) else np.float64
    fa, fb, fc = float(a), float(b), float(c)
    with np.errstate(all="ignore"):
        plain = t(t(fa * fb) + t(fc))
    if not (math.isfinite(fa) and math.isfinite(fb) and math.isfinite(fc)):
        return plain  # inf/nan propagate as in the fused operation
    exact = Fraction(fa) * Fraction(fb) + Fraction(fc)
    if exact == 0:
        return plain if fa * fb == 0 else t(0.0)  # signed zeros follow the plain sum; a cancellation gives +0
    return _round_fraction(exact, t)


def _round_fraction(v: Fraction, t):
    """v rounded to nearest-even in float type t (float() of a Fraction rounds correctly to float64, but rounding
    that again to float32 could round twice)."""
    try:
        f = t(float(v))
    except OverflowError:
        return t(math.copysign(math.inf, v))
    if not np.isfinite(f):
        return f
    down, up = np.nextafter(f, t(-np.inf)), np.nextafter(f, t(np.inf))
    cands = [c for c in (down, f, up) if np.isfinite(c)]
    return min(cands, key=lambda c: (abs(Fraction(float(c)) - v), int(np.asarray(c).view(f"u{c.itemsize}")) & 1))


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c rounded once (llvm.fma; vectorizes), float32 or float64."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, sig, args):
        return builder.fma(args[0], args[1], args[2])

    return a(a, b, c), codegen


def one_like(x):
    """1 in x's float type (a literal 1 would widen float32 arithmetic to float64 in Numba)."""
    return type(x)(1)


@overload(fma, target="cpu")
def _fma_cpu(a, b, c):
    return lambda a, b, c: _fma(a, b, c)


@overload(one_like, inline="always")
def _one_like(x):
    one = np.dtype(str(x)).type(1) if isinstance(x, types.Float) else 1
    return lambda x: one


@overload(ffloor, target="cpu")
def _ffloor_cpu(x):
    return lambda x: np.floor(x)


@overload(ftrunc, target="cpu")
def _ftrunc_cpu(x):
    return lambda x: np.trunc(x)


@overload(ffmod, target="cpu")
def _ffmod_cpu(x, y):
    return lambda x, y: np.fmod(x, y)


@overload(fexp2, target="cpu")
def _fexp2_cpu(x):
    return lambda x: np.exp2(x)


@njit(**_INLINE)
def sign(x):
    return (x > 0) - (x < 0) if x == x else x


@njit(**_INLINE)
def fsign(x):
    """Float sign: -1, 0 or 1; torch.sign gives 0 for NaN and +0.0 for -0.0 (NumPy keeps NaN)."""
    return np.float64(1.0) * (x > 0) - (x < 0)


@njit(**_INLINE)
def remainder_float(a, b):
    """Python-style modulus (sign of the divisor), as torch.remainder."""
    r = ffmod(a, b)
    if r != 0 and (r < 0) != (b < 0):
        r += b
    return r


@njit(**_INLINE)
def remainder_int(a, b):
    return a - (a // b) * b


@njit(**_INLINE)
def floor_divide_float(a, b):
    """torch's div_floor for floats: floor(a / b) computed through fmod to avoid rounding errors."""
    if b == 0:
        return a / b
    mod = ffmod(a, b)
    div = (a - mod) / b
    if mod != 0 and (b < 0) != (mod < 0):
        div -= 1
    if div != 0:
        floordiv = ffloor(div)
        if div - floordiv > 0.5:
            floordiv += 1.0
        return floordiv
    return math.copysign(0.0, a / b)


@njit(**_INLINE)
def trunc_divide_int(a, b):
    q = a // b
    if q < 0 and q * b != a:
        q += 1
    return q


@njit(**_INLINE)
def pow_int(a, e):
    """Integer power by squaring. A negative exponent (from a tensor: torch rejects only a negative Python int)
    gives torch's integer result: 1 ** e = 1, (-1) ** e = +-1, anything else 0."""
    result = a - a + 1
    if e < 0:
        if a == 1:
            return result
        if a == -1:
            return a if e & 1 else result
        return a - a
    base = a
    while e > 0:
        if e & 1:
            result *= base
        base *= base
        e >>= 1
    return result


@njit(**_INLINE)
def round_half_even(x):
    r = ffloor(x + 0.5)
    if r - x == 0.5 and ffmod(r, 2.0) != 0:
        r -= 1.0
    return r if x == x else x


@njit(**_INLINE)
def round_decimals(x, decimals):
    scale = 10.0 ** decimals
    return round_half_even(x * scale) / scale


@njit(**_INLINE)
def maximum_nan(a, b):
    """max that propagates NaN from either side, as torch.maximum (a on a tie: maximum(-0.0, 0.0) is -0.0)."""
    if a != a:
        return a
    if b != b:
        return b
    return b if b > a else a


@njit(**_INLINE)
def minimum_nan(a, b):
    if a != a:
        return a
    if b != b:
        return b
    return b if b < a else a


@njit(**_INLINE)
def fmax(a, b):
    """max that ignores NaN unless both are NaN, as torch.fmax."""
    if a != a:
        return b
    if b != b:
        return a
    return a if a > b else b


@njit(**_INLINE)
def fmin(a, b):
    if a != a:
        return b
    if b != b:
        return a
    return a if a < b else b


@njit(**_INLINE)
def clamp_nan(x, lo, hi):
    """torch.clamp: min(max(x, lo), hi) with std::max / std::min's ties (x itself when equal, so clamp(-0.0, 0.0)
    is -0.0); NaN in x or a bound propagates."""
    if lo != lo:
        return lo
    if hi != hi:
        return hi
    r = lo if x < lo else x
    return hi if r > hi else r


@njit(**_INLINE)
def nan_to_num(x, nan, posinf, neginf):
    if x != x:
        return nan
    if x == math.inf:
        return posinf
    if x == -math.inf:
        return neginf
    return x


@njit(**_INLINE)
def cmul_c99(a, b, c, d):
    """(a + bi) * (c + di) by C99 Annex G (GCC's __muldc3): where the plain formula gives nan + nan*i from an
    infinite factor, the infinity is kept (glibc's cpow multiplies this way)."""
    ac, bd, ad, bc = a * c, b * d, a * d, b * c
    x, y = ac - bd, ad + bc
    if math.isnan(x) and math.isnan(y):
        recalc = False
        if math.isinf(a) or math.isinf(b):
            a = math.copysign(1.0 if math.isinf(a) else 0.0, a)
            b = math.copysign(1.0 if math.isinf(b) else 0.0, b)
            c = math.copysign(0.0, c) if math.isnan(c) else c
            d = math.copysign(0.0, d) if math.isnan(d) else d
            recalc = True
        if math.isinf(c) or math.isinf(d):
            c = math.copysign(1.0 if math.isinf(c) else 0.0, c)
            d = math.copysign(1.0 if math.isinf(d) else 0.0, d)
            a = math.copysign(0.0, a) if math.isnan(a) else a
            b = math.copysign(0.0, b) if math.isnan(b) else b
            recalc = True
        if not recalc and (math.isinf(ac) or math.isinf(bd) or math.isinf(ad) or math.isinf(bc)):
            a = math.copysign(0.0, a) if math.isnan(a) else a
            b = math.copysign(0.0, b) if math.isnan(b) else b
            c = math.copysign(0.0, c) if math.isnan(c) else c
            d = math.copysign(0.0, d) if math.isnan(d) else d
            recalc = True
        if recalc:
            x = math.inf * (a * c - b * d)
            y = math.inf * (a * d + b * c)
    return x, y


@njit(**_INLINE)
def cpow(x, y):
    """torch's complex pow (std::pow, glibc's cpow: cexp(y * clog(x))). Only a zero base needs care: clog(0) is
    -inf, so 0 ** 0j is nan+nanj, 0 ** (1+1j) is 0 and 0 ** 2j is nan, where Numba's power gives 1, nan and nan.
    Other bases use Numba's power (torch's up to rounding)."""
    if x.real != 0 or x.imag != 0:
        return x ** y
    wr, wi = cmul_c99(float(y.real), float(y.imag), -math.inf, math.atan2(float(x.imag), float(x.real)))
    if wr == -math.inf:  # cexp: exp(-inf) is 0, signed by the angle (0 * nan keeps nan's sign, as glibc)
        if math.isinf(wi) or math.isnan(wi):
            return complex(0.0, math.copysign(0.0, wi))
        return complex(0.0 * math.cos(wi), 0.0 * math.sin(wi))
    if wr == math.inf:
        if wi == 0:
            return complex(math.inf, wi)
        if math.isinf(wi) or math.isnan(wi):
            return complex(math.inf, math.nan)
        return complex(math.inf * math.cos(wi), math.inf * math.sin(wi))
    if math.isnan(wr):
        return complex(math.nan, wi) if wi == 0 else complex(math.nan, math.nan)
    return complex(math.exp(wr) * math.cos(wi), math.exp(wr) * math.sin(wi))


@njit(**_INLINE)
def cdiv(x, y):
    """x / y for complex operands by NumPy's scaled formula, which torch's c10::complex uses too: dividing by zero
    gives complex inf or nan (1 / 0j is inf+nanj), where Numba's complex division raises ZeroDivisionError."""
    a, b, c, d = x.real, x.imag, y.real, y.imag
    abs_c, abs_d = abs(c), abs(d)
    if abs_c >= abs_d:
        if abs_c == 0 and abs_d == 0:
            return complex(a / abs_c, b / abs_d)
        rat = d / c
        scl = one_like(c) / (c + d * rat)
        return complex((a + b * rat) * scl, (b - a * rat) * scl)
    rat = c / d
    scl = one_like(d) / (d + c * rat)
    return complex((a * rat + b) * scl, (b * rat - a) * scl)


@njit(**_INLINE)
def isclose(a, b, rtol, atol, equal_nan):
    if a == b:
        return True
    if a != a or b != b:
        return equal_nan and a != a and b != b
    if math.isinf(a) or math.isinf(b):
        return False
    return abs(a - b) <= atol + rtol * abs(b)


@njit(**_INLINE)
def lerp(a, b, w):
    """torch.lerp's formula, exact at both ends, with its fused multiply-adds (its vectorized CPU and its CUDA
    kernels round once: fmadd(w, d, a) and fnmadd(d, 1 - w, b))."""
    d = b - a
    return fma(w, d, a) if abs(w) < 0.5 else fma(-d, one_like(w) - w, b)


# erf for float32 gelu: Eigen's rational minimax fit on [-4, 4] (generic_fast_erf_float; XLA's erf), erf(x) =
# x*P(x^2)/Q(x^2), Horner steps as fmas: no exp and no branch, so one vector pass (the 1-ulp erf_f32 computes two
# polynomials and an exp and selects). At most 6 ulp from math.erf (asserted in tests/test_gelu_fast.py); torch's
# own vectorized erf (Abramowitz-Stegun 7.1.26) is within 1e-7 absolute, so worse near 0.
# numerator x*P(x^2), denominator Q(x^2), highest power first (separate constants: plain float32 globals on the GPU)
_EP0, _EP1, _EP2, _EP3, _EP4, _EP5, _EP6 = (np.float32(v) for v in (
    -2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
    -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02))
_EQ0, _EQ1, _EQ2, _EQ3, _EQ4 = (np.float32(v) for v in (
    -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
    -1.42647390514189e-02))
_F32_4 = np.float32(4.0)
_F32_TINY = np.float32(2.0 ** -12)
_F32_2_SQRTPI = np.float32(2.0 / math.sqrt(math.pi))
_F32_SQRT1_2 = np.float32(math.sqrt(0.5))
_F32_HALF = np.float32(0.5)
_F32_ONE = np.float32(1.0)


@njit(**_INLINE)
def erf_rational_f32(x):
    """erf(x) for float32 x, to 6 ulp; erf(+-inf) = +-1, NaN stays NaN, -0.0 stays -0.0."""
    c = _F32_4 if x > _F32_4 else x
    c = -_F32_4 if c < -_F32_4 else c  # erf rounds to +-1 beyond 3.92
    s = c * c
    p = fma(s, _EP0, _EP1)
    p = fma(s, p, _EP2)
    p = fma(s, p, _EP3)
    p = fma(s, p, _EP4)
    p = fma(s, p, _EP5)
    p = fma(s, p, _EP6)
    q = fma(s, _EQ0, _EQ1)
    q = fma(s, q, _EQ2)
    q = fma(s, q, _EQ3)
    q = fma(s, q, _EQ4)
    r = (c * p) / q
    return x * _F32_2_SQRTPI if abs(x) < _F32_TINY else r  # c*p would lose bits as a denormal


@njit(**_INLINE)
def gelu_f32(x):
    """torch's gelu (erf form) 0.5*x*(1 + erf(x/sqrt(2))) for float32, erf from erf_rational_f32."""
    return _F32_HALF * x * (_F32_ONE + erf_rational_f32(x * _F32_SQRT1_2))


@njit(**_INLINE)
def frac(x):
    return x - ftrunc(x)


# ---------------------------------------------------------------------------------------------------------
# The pointwise ops added for conformance (torch's formulas; the special functions compute in float64).


@njit(**_INLINE)
def nextafter_f16(x, y):
    """np.nextafter in float16 for float16 values held in float32 (float16 kernels compute in float32)."""
    if x != x or y != y:
        return x + y
    if x == y:
        return y
    if x == 0:
        return math.copysign(5.960464477539063e-08, y)  # the smallest float16 subnormal
    if math.isinf(x):
        return math.copysign(65504.0, x)
    m, e = math.frexp(x)  # |x| = |m| 2**e with 0.5 <= |m| < 1
    ulp = 2.0 ** (max(e - 1, -14) - 10)
    if (y > x) != (x > 0) and abs(m) == 0.5 and e - 1 > -14:  # toward zero from a power of two
        ulp *= 0.5
    return x + ulp if y > x else x - ulp


@njit(**_INLINE)
def nextafter_bf16(x, y):
    """np.nextafter in bfloat16 for bfloat16 values held in float32 (8 significant bits, float32's exponents)."""
    if x != x or y != y:
        return x + y
    if x == y:
        return y
    if x == 0:
        return math.copysign(9.183549615799121e-41, y)  # the smallest bfloat16 subnormal, 2**-133
    if math.isinf(x):
        return math.copysign(3.3895313892515355e+38, x)
    m, e = math.frexp(x)
    ulp = 2.0 ** (max(e - 1, -126) - 7)
    if (y > x) != (x > 0) and abs(m) == 0.5 and e - 1 > -126:  # toward zero from a power of two
        ulp *= 0.5
    return x + ulp if y > x else x - ulp


@njit(**_INLINE)
def xlogy(x, y):
    """x * log(y), 0 where x == 0 unless y is NaN (torch.xlogy)."""
    if y != y:
        return y
    if x == 0:
        return x - x
    return x * math.log(y)


@njit(**_INLINE)
def logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow; equal infinities give themselves (torch.logaddexp)."""
    if math.isinf(a) and a == b:
        return a
    m = a if a > b else b
    return m + math.log1p(math.exp(-abs(a - b)))


@njit(**_INLINE)
def logaddexp2(a, b):
    if math.isinf(a) and a == b:
        return a
    m = a if a > b else b
    return m + math.log1p(fexp2(-abs(a - b))) * 1.4426950408889634


@njit(**_INLINE)
def logit(x, lo, one, clamp):
    """log(z / (1 - z)) with z = x clamped to [eps, 1 - eps] when eps was given (torch.logit's select order)."""
    if clamp:
        hi = one - lo
        x = lo if x < lo else (hi if x > hi else x)
    return math.log(x / (one - x))


@njit(**_INLINE)
def gcd(a, b):
    """Non-negative gcd as torch computes it (abs, then Euclid)."""
    a = abs(a)
    b = abs(b)
    while a != 0:
        c = a
        a = b % a
        b = c
    return b


@njit(**_INLINE)
def lcm(a, b):
    g = gcd(a, b)
    return g - g if g == 0 else abs(a // g * b)


@njit(**_INLINE)
def lshift(a, b, bits):
    """torch's lshift: a shift by a negative count or by the width or more gives 0."""
    if b < 0 or b >= bits:
        return a - a
    return a << b


@njit(**_INLINE)
def rshift(a, b, max_shift):
    """torch's rshift: a negative count or one past max_shift (width - 1 when signed) shifts by max_shift."""
    if b < 0 or b >= max_shift:
        return (a >> (max_shift - 1)) >> 1
    return a >> b


_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = np.array([8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
                       -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
                       8.33333333333333333333e-2])


@njit(**_INLINE)
def digamma(x):
    """torch's calc_digamma (Cephes): reflection for x < 0, recurrence up to 10, asymptotic series."""
    x = np.float64(x)
    if x == 0:
        return math.copysign(math.inf, -x)
    result = 0.0
    if x < 0:
        if x == ftrunc(x):
            return math.nan
        result = -math.pi / math.tan(math.pi * (x - ftrunc(x)))
        x = 1.0 - x
    while x < 10:
        result -= 1.0 / x
        x += 1.0
    if x == 10:
        return result + _PSI_10
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        p = 0.0
        for c in _DIGAMMA_A:
            p = p * z + c
        y = z * p
    return result + math.log(x) - 0.5 / x - y


@njit(**_INLINE)
def trigamma(x):
    """torch's calc_trigamma (polygamma(1, x)): reflection below 0.5, six recurrence steps, series."""
    x = np.float64(x)
    sign = 1.0
    result = 0.0
    if x < 0.5:
        sign = -1.0
        s = math.sin(math.pi * x)
        result -= math.pi * math.pi / (s * s)
        x = 1.0 - x
    for _ in range(6):
        result += 1.0 / (x * x)
        x += 1.0
    ixx = 1.0 / (x * x)
    result += (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6.0 - ixx * (1.0 / 30.0 - ixx * (1.0 / 42.0)))) / x
    return sign * result


# Cephes Chebyshev coefficients (as torch's ATen/native/Math.h): exp(-x) I0(x) on [0, 8] and
# exp(-x) sqrt(x) I0(x) on [8, inf); the same for I1 (the I1 ones over x on [0, 8]).
_I0_A = np.array([
    -4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16, 1.71539128555513303061e-15,
    -1.16853328779934516808e-14, 7.67618549860493561688e-14, -4.85644678311192946090e-13, 2.95505266312963983461e-12,
    -1.72682629144155570723e-11, 9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
    -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7, 1.11738753912010371815e-6,
    -4.41673835845875056359e-6, 1.64484480707288970893e-5, -5.75419501008210370398e-5, 1.88502885095841655729e-4,
    -5.76375574538582365885e-4, 1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
    -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2, 1.71620901522208775349e-1,
    -3.04682672343198398683e-1, 6.76795274409476084995e-1])
_I0_B = np.array([
    -7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17, 3.46122286769746109310e-17,
    -2.82762398051658348494e-16, -3.42548561967721913462e-16, 1.77256013305652638360e-15, 3.81168066935262242075e-15,
    -9.55484669882830764870e-15, -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
    7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11, -3.14991652796324136454e-11,
    1.18891471078464383424e-11, 4.94060238822496958910e-10, 3.39623202570838634515e-9, 2.26666899049817806459e-8,
    2.04891858946906374183e-7, 2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
    8.04490411014108831608e-1])
_I1_A = np.array([
    2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16, -1.10559694773538630805e-15,
    7.60068429473540693410e-15, -5.04218550472791168711e-14, 3.22379336594557470981e-13, -1.98397439776494371520e-12,
    1.17361862988909016308e-11, -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
    9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7, -8.56872026469545474066e-7,
    3.47025130813767847674e-6, -1.32731636560394358279e-5, 4.78156510755005422638e-5, -1.61760815825896745588e-4,
    5.12285956168575772895e-4, -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
    2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1, -1.76416518357834055153e-1,
    2.52587186443633654823e-1])
_I1_B = np.array([
    7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17, -3.20952592199342395980e-17,
    2.96262899764595013876e-16, 3.30820231092092828324e-16, -1.88035477551078244854e-15, -3.81440307243700780478e-15,
    1.04202769841288027642e-14, 4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
    -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11, 3.25260358301548823856e-11,
    -1.89749581235054123450e-11, -5.58974346219658380687e-10, -3.83538038596423702205e-9, -2.63146884688951950684e-8,
    -2.51223623787020892529e-7, -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
    7.78576235018280120474e-1])


@njit(**_INLINE)
def chbevl(x, coef):
    """Clenshaw's sum of a Chebyshev series (Cephes chbevl)."""
    b0 = coef[0]
    b1 = 0.0
    b2 = 0.0
    for i in range(1, coef.shape[0]):
        b2 = b1
        b1 = b0
        b0 = x * b1 - b2 + coef[i]
    return 0.5 * (b0 - b2)


@njit(**_INLINE)
def i0(x):
    """Modified Bessel function I0 (Cephes, as torch.i0), in float64."""
    x = abs(np.float64(x))
    if x <= 8.0:
        return math.exp(x) * chbevl(x / 2.0 - 2.0, _I0_A)
    return math.exp(x) * chbevl(32.0 / x - 2.0, _I0_B) / math.sqrt(x)


@njit(**_INLINE)
def i1(x):
    """Modified Bessel function I1 (Cephes, as torch.special.i1), in float64: i0's derivative."""
    x = np.float64(x)
    ax = abs(x)
    if ax <= 8.0:
        out = math.exp(ax) * ax * chbevl(ax / 2.0 - 2.0, _I1_A)
    else:
        out = math.exp(ax) * chbevl(32.0 / ax - 2.0, _I1_B) / math.sqrt(ax)
    return -out if x < 0 else out


@njit(**_INLINE)
def erfinv(y):
    """torch's calc_erfinv in float64: a rational first guess, then two Newton steps on erf."""
    y = np.float64(y)
    ya = abs(y)
    if ya > 1.0:
        return math.nan
    if ya == 1.0:
        return math.copysign(math.inf, y)
    if ya <= 0.7:
        z = y * y
        num = ((-0.140543331 * z + 0.914624893) * z - 1.645349621) * z + 0.886226899
        dem = (((0.012229801 * z - 0.329097515) * z + 1.442710462) * z - 2.118377725) * z + 1.0
        x = y * num / dem
    else:
        z = math.sqrt(-math.log((1.0 - ya) / 2.0))
        num = ((1.641345311 * z + 3.429567803) * z - 1.624906493) * z - 1.970840454
        dem = (1.637067800 * z + 3.543889200) * z + 1.0
        x = math.copysign(num, y) / dem
    x = x - (math.erf(x) - y) / (1.1283791670955126 * math.exp(-x * x))
    x = x - (math.erf(x) - y) / (1.1283791670955126 * math.exp(-x * x))
    return x


# ---------------------------------------------------------------------------------------------------------
# torch.special's Bessel, Airy, incomplete-gamma and orthogonal-polynomial functions, in float64.
_EULER = 0.5772156649015329
_TWO_OVER_PI = 0.6366197723675814


@njit(**_INLINE)
def bessel_jy_small(x, want):
    """J0, J1, Y0 or Y1 (want = 0..3) for 0 < x <= 25: J_n by Miller's backward recurrence normalised by
    J0 + 2 sum J_2k = 1; Y0 and Y1 from the Neumann series over the same J_n (A&S 9.1.88 and its derivative)."""
    n_top = 2 * ((int(x) + 44) // 2)
    j_next = 0.0
    j_cur = 1e-30
    norm = 0.0
    s0 = 0.0  # sum (-1)^k J_2k / k
    s1 = 0.0  # sum (-1)^k (J_2k-1 - J_2k+1) / k
    j0 = 0.0
    j1 = 0.0
    for n in range(n_top, 0, -1):
        # j_cur = J_n (unnormalised), j_next = J_{n+1}
        j_prev = 2.0 * n / x * j_cur - j_next  # J_{n-1}
        if n % 2 == 0:
            k = n // 2
            sgn = 1.0 if k % 2 == 0 else -1.0
            norm += 2.0 * j_cur
            s0 += sgn * j_cur / k
            s1 += sgn * (j_prev - j_next) / k
        if n == 1:
            j1 = j_cur
            j0 = j_prev
        j_next = j_cur
        j_cur = j_prev
        if abs(j_cur) > 1e250:  # rescale everything carried so far
            j_cur *= 1e-250
            j_next *= 1e-250
            norm *= 1e-250
            s0 *= 1e-250
            s1 *= 1e-250
    norm += j0
    j0 /= norm
    j1 /= norm
    if want == 0:
        return j0
    if want == 1:
        return j1
    log_term = math.log(x / 2.0) + _EULER
    if want == 2:
        return _TWO_OVER_PI * (log_term * j0 - 2.0 * s0 / norm)
    return _TWO_OVER_PI * (log_term * j1 - j0 / x + s1 / norm)


@njit(**_INLINE)
def bessel_jy_asymptotic(x, order, want_y):
    """Hankel's expansion of J_order / Y_order for x > 25 (terms stop below 1e-17 or when they grow)."""
    mu = 4.0 * order * order
    p = 1.0
    q = 0.0
    term = 1.0
    z = 8.0 * x
    for k in range(1, 60):
        term = term * (mu - (2 * k - 1) * (2 * k - 1)) / (k * z)
        if abs(term) < 1e-17:
            break
        if k % 2 == 1:
            q += term if (k // 2) % 2 == 0 else -term
        else:
            p += -term if (k // 2) % 2 == 1 else term
    chi = x - (0.5 * order + 0.25) * math.pi
    amp = math.sqrt(_TWO_OVER_PI / x)
    if want_y:
        return amp * (p * math.sin(chi) + q * math.cos(chi))
    return amp * (p * math.cos(chi) - q * math.sin(chi))


@njit(**_INLINE)
def bessel_j0(x):
    x = abs(np.float64(x))
    if x != x or x == math.inf:
        return math.nan
    if x == 0.0:
        return 1.0
    if x > 25.0:
        return bessel_jy_asymptotic(x, 0, False)
    return bessel_jy_small(x, 0)


@njit(**_INLINE)
def bessel_j1(x):
    ax = abs(np.float64(x))
    if ax != ax or ax == math.inf:
        return math.nan
    if ax == 0.0:
        return x * 1.0
    out = bessel_jy_asymptotic(ax, 1, False) if ax > 25.0 else bessel_jy_small(ax, 1)
    return -out if x < 0 else out


@njit(**_INLINE)
def bessel_y0(x):
    x = np.float64(x)
    if x != x or x < 0 or x == math.inf:
        return math.nan
    if x == 0.0:
        return -math.inf
    if x > 25.0:
        return bessel_jy_asymptotic(x, 0, True)
    if x < 1e-8:
        return _TWO_OVER_PI * (math.log(x / 2.0) + _EULER)
    return bessel_jy_small(x, 2)


@njit(**_INLINE)
def bessel_y1(x):
    x = np.float64(x)
    if x != x or x < 0 or x == math.inf:
        return math.nan
    if x == 0.0:
        return -math.inf
    if x > 25.0:
        return bessel_jy_asymptotic(x, 1, True)
    if x < 1e-8:
        return -_TWO_OVER_PI / x
    return bessel_jy_small(x, 3)


@njit(**_INLINE)
def bessel_k_scaled_integral(x, nu):
    """exp(x) K_nu(x) = integral over t >= 0 of exp(-x (cosh t - 1)) cosh(nu t), by the trapezoidal rule (which
    converges geometrically for this entire, fast-decaying integrand); x >= 1."""
    h = min(0.25, math.sqrt(0.5 / x))
    total = 0.5
    for i in range(1, 4000):
        t = i * h
        s = math.sinh(0.5 * t)  # cosh t - 1 = 2 sinh(t/2)^2, without cancellation
        term = math.exp(-2.0 * x * s * s) * math.cosh(nu * t)
        total += term
        if term < 1e-18 * total:
            break
    return total * h


@njit(**_INLINE)
def bessel_k_small(x, order):
    """K0 or K1 for 0 < x < 1 by their series (A&S 9.6.13 and 9.6.11)."""
    y = 0.25 * x * x
    log_term = math.log(0.5 * x)
    if order == 0:
        term = 1.0
        harmonic = 0.0
        i0 = 1.0
        rest = 0.0
        for k in range(1, 30):
            term *= y / (k * k)
            harmonic += 1.0 / k
            i0 += term
            rest += term * harmonic
        return -(log_term + _EULER) * i0 + rest
    term = 1.0  # (x^2/4)^k / (k! (k+1)!)
    psi_k1 = -_EULER  # digamma(k + 1)
    i1_half = 1.0
    rest = psi_k1 + (psi_k1 + 1.0)
    for k in range(1, 30):
        term *= y / (k * (k + 1))
        psi_k1 += 1.0 / k
        i1_half += term
        rest += term * (psi_k1 + psi_k1 + 1.0 / (k + 1))
    return 1.0 / x + log_term * (0.5 * x * i1_half) - 0.25 * x * rest


@njit(**_INLINE)
def bessel_k(x, order, scaled):
    """K0 / K1 (order 0 / 1), times exp(x) when scaled, as torch.special.(scaled_)modified_bessel_k0/k1."""
    x = np.float64(x)
    if x != x or x < 0:
        return math.nan
    if x == 0.0:
        return math.inf
    if x == math.inf:
        return 0.0
    if x < 1.0:
        out = bessel_k_small(x, order)
        return out * math.exp(x) if scaled else out
    if scaled:
        return bessel_k_scaled_integral(x, order * 1.0)
    if x > 750.0:
        return 0.0
    return bessel_k_scaled_integral(x, order * 1.0) * math.exp(-x)


@njit(**_INLINE)
def i0e(x):
    """exp(-|x|) I0(x) (Cephes' Chebyshev series without the exponential, as torch.special.i0e)."""
    x = abs(np.float64(x))
    if x <= 8.0:
        return chbevl(x / 2.0 - 2.0, _I0_A)
    return chbevl(32.0 / x - 2.0, _I0_B) / math.sqrt(x)


@njit(**_INLINE)
def i1e(x):
    """exp(-|x|) I1(x), as torch.special.i1e."""
    x = np.float64(x)
    ax = abs(x)
    if ax <= 8.0:
        out = ax * chbevl(ax / 2.0 - 2.0, _I1_A)
    else:
        out = chbevl(32.0 / ax - 2.0, _I1_B) / math.sqrt(ax)
    return -out if x < 0 else out


@njit(**_INLINE)
def spherical_bessel_j0(x):
    """sin(x) / x, by its Taylor series near 0 (torch's cut-off 0.5), 0 at +-inf."""
    x = np.float64(x)
    if x == math.inf or x == -math.inf:
        return 0.0
    if abs(x) < 0.5:
        y = x * x
        return 1.0 + y * (-1.0 / 6.0 + y * (1.0 / 120.0 + y * (-1.0 / 5040.0 + y * (1.0 / 362880.0 + y * (
            -1.0 / 39916800.0 + y * (1.0 / 6227020800.0))))))
    return math.sin(x) / x


@njit(**_INLINE)
def airy_ai(x):
    """Ai(x): the Maclaurin series for -6.5 <= x <= 1, (1/pi) sqrt(x/3) K_1/3(2/3 x^1.5) above (the integral of
    bessel_k_scaled_integral), the oscillating asymptotic expansion below -6.5; 0 beyond 103.892, as torch."""
    x = np.float64(x)
    if x != x or x == math.inf or x == -math.inf:
        return math.nan
    if x > 103.892:
        return 0.0
    if x > 1.0:
        zeta = 2.0 / 3.0 * x * math.sqrt(x)
        return math.sqrt(x / 3.0) / math.pi * bessel_k_scaled_integral(zeta, 1.0 / 3.0) * math.exp(-zeta)
    if x >= -6.5:
        c1 = 0.3550280538878172  # Ai(0)
        c2 = 0.2588194037928068  # -Ai'(0)
        x3 = x * x * x
        f = 1.0
        g = x
        tf = 1.0
        tg = x
        for k in range(1, 80):
            tf *= x3 / ((3 * k - 1) * (3 * k))
            tg *= x3 / ((3 * k) * (3 * k + 1))
            f += tf
            g += tg
            if abs(tf) < 1e-18 * abs(f) and abs(tg) < 1e-18 * (abs(g) + 1e-300):
                break
        return c1 * f - c2 * g
    ax = -x
    zeta = 2.0 / 3.0 * ax * math.sqrt(ax)
    u = 1.0
    p = 1.0
    q = 0.0
    for k in range(1, 40):
        u = u * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216.0 * k) / zeta
        if abs(u) < 1e-17:
            break
        if k % 2 == 1:
            q += u if (k // 2) % 2 == 0 else -u
        else:
            p += -u if (k // 2) % 2 == 1 else u
    angle = zeta + 0.25 * math.pi
    return (math.sin(angle) * p - math.cos(angle) * q) / (math.sqrt(math.pi) * math.sqrt(math.sqrt(ax)))


@njit(**_INLINE)
def igamma_series(a, x):
    """P(a, x) by its power series (x < a + 1)."""
    term = 1.0 / a
    total = term
    for n in range(1, 10000):
        term *= x / (a + n)
        total += term
        if abs(term) < abs(total) * 1e-17:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


@njit(**_INLINE)
def igamma_fraction(a, x):
    """Q(a, x) by Legendre's continued fraction, evaluated with Lentz's method (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


@njit(**_INLINE)
def igamma(a, x, upper):
    """The regularised lower (upper=False) or upper incomplete gamma function, torch's edge cases."""
    a = np.float64(a)
    x = np.float64(x)
    if a != a or x != x or a < 0 or x < 0:
        return math.nan
    if a == 0.0:
        if x > 0:
            return 0.0 if upper else 1.0
        return math.nan
    if x == 0.0:
        return 1.0 if upper else 0.0
    if a == math.inf:
        if x == math.inf:
            return math.nan
        return 1.0 if upper else 0.0
    if x == math.inf:
        return 0.0 if upper else 1.0
    if x < a + 1.0:
        p = igamma_series(a, x)
        return 1.0 - p if upper else p
    q = igamma_fraction(a, x)
    return q if upper else 1.0 - q


@njit(**_INLINE)
def three_term(x, n, q, kind):
    """p_n(x) of an orthogonal polynomial family from p_0 = 1 and p_1 = q by its three-term recurrence (torch's
    loops). kind, a constant at every call (the branches fold away): 0 Chebyshev: p_k+1 = 2x p_k - p_k-1;
    1 Hermite H: 2x p_k - 2k p_k-1; 2 Hermite He: x p_k - k p_k-1; 3 Laguerre: ((2k + 1 - x) p_k - k p_k-1) / (k + 1);
    4 Legendre: ((2k + 1) x p_k - k p_k-1) / (k + 1)."""
    if n == 0:
        return 1.0
    p = 1.0
    for k in range(1, n):
        if kind == 0:
            r = (x + x) * q - p
        elif kind == 1:
            r = (x + x) * q - 2.0 * k * p
        elif kind == 2:
            r = x * q - k * p
        elif kind == 3:
            r = ((k + k + 1.0 - x) * q - k * p) / (k + 1.0)
        else:
            r = ((k + k + 1.0) * x * q - k * p) / (k + 1.0)
        p = q
        q = r
    return q


@njit(**_INLINE)
def chebyshev_t(x, n):
    """T_n(x), torch's chebyshev_polynomial_t_forward: cos(n acos x) for n > 6 inside (-1, 1), else the
    three-term recurrence."""
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if abs(x) == 1.0:
        return 1.0 if x > 0 or n % 2 == 0 else -1.0
    if n > 6 and abs(x) < 1.0:
        return math.cos(n * math.acos(x))
    return three_term(x, n, x, 0)


@njit(**_INLINE)
def chebyshev_u(x, n):
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if abs(x) == 1.0:
        return n + 1.0 if x > 0 or n % 2 == 0 else -(n + 1.0)
    if n > 8 and abs(x) < 1.0:
        t = math.acos(x)
        if math.sin(t) != 0.0:
            return math.sin((n + 1) * t) / math.sin(t)
        return (n + 1) * math.cos((n + 1) * t) * x
    return three_term(x, n, x + x, 0)


@njit(**_INLINE)
def chebyshev_v(x, n):
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if abs(x) == 1.0:
        if x > 0:
            return 1.0
        return n + n + 1.0 if n % 2 == 0 else -(n + n + 1.0)
    if n > 8 and abs(x) < 1.0:
        t = math.acos(x)
        if math.sin(t / 2.0) != 1.0:
            return math.cos((n + 0.5) * t) / math.cos(t / 2.0)
        return n + n + 1.0 if n % 2 == 0 else -(n + n + 1.0)
    return three_term(x, n, x + x - 1.0, 0)


@njit(**_INLINE)
def chebyshev_w(x, n):
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if abs(x) == 1.0:
        if x > 0:
            return n + n + 1.0
        return 1.0 if n % 2 == 0 else -1.0
    if n > 8 and abs(x) < 1.0:
        t = math.acos(x)
        if math.cos(t / 2.0) != 1.0:
            return math.sin((n + 0.5) * t) / math.sin(t / 2.0)
        if x > 0:
            return n + n + 1.0
        return 1.0 if n % 2 == 0 else -1.0
    return three_term(x, n, x + x + 1.0, 0)


@njit(**_INLINE)
def hermite_h(x, n):
    """The physicists' Hermite polynomial H_n(x)."""
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    return three_term(x, n, x + x, 1)


@njit(**_INLINE)
def hermite_he(x, n):
    """The probabilists' Hermite polynomial He_n(x)."""
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    return three_term(x, n, x, 2)


@njit(**_INLINE)
def laguerre_l(x, n):
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if x == 0.0:
        return 1.0
    return three_term(x, n, 1.0 - x, 3)


@njit(**_INLINE)
def legendre_p(x, n):
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if abs(x) == 1.0:
        return 1.0 if x > 0 or n % 2 == 0 else -1.0
    return three_term(x, n, x, 4)
