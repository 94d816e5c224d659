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

from ..cpu.scalar import _DIGAMMA_A, _I0_A, _I0_B, _I1_A, _I1_B, _PSI_10
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
    """Float sign: -1, 0 or 1; 0 for NaN (torch.sign)."""
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
    """max that propagates NaN from either side, as torch.maximum (a on a tie: maximum(-0.0, 0.0) is -0.0)."""
    if a != a:
        return a
    if b != b:
        return b
    return b if b > a else a


@_dev
def minimum_nan(a, b):
    if a != a:
        return a
    if b != b:
        return b
    return b if b < a else a


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
    """torch.clamp: min(max(x, lo), hi) with std::max / std::min's ties (x itself when equal, so clamp(-0.0, 0.0)
    is -0.0); NaN in x or a bound propagates."""
    if lo != lo:
        return lo
    if hi != hi:
        return hi
    r = lo if x < lo else x
    return hi if r > hi else r


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


@_dev
def nextafter_f16(x, y):
    """np.nextafter in float16 for float16 values held in float32 (float16 kernels compute in float32)."""
    if x != x or y != y:
        return x + y
    if x == y:
        return y
    if x == 0:
        return math.copysign(5.960464477539063e-08, y)  # the smallest float16 subnormal
    if M.isinf(x):
        return math.copysign(65504.0, x)
    m, e = math.frexp(x)  # |x| = |m| 2**e with 0.5 <= |m| < 1
    ulp = 2.0 ** (max(e - 1, -14) - 10)
    if (y > x) != (x > 0) and abs(m) == 0.5 and e - 1 > -14:  # toward zero from a power of two
        ulp *= 0.5
    return x + ulp if y > x else x - ulp


@_dev
def xlogy(x, y):
    """x * log(y), 0 where x == 0 unless y is NaN (torch.xlogy)."""
    if y != y:
        return y
    if x == 0:
        return x - x
    return x * M.log(y)


@_dev
def logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow; equal infinities give themselves (torch.logaddexp)."""
    if M.isinf(a) and a == b:
        return a
    m = a if a > b else b
    return m + M.log1p(M.exp(-abs(a - b)))


@_dev
def logaddexp2(a, b):
    if M.isinf(a) and a == b:
        return a
    m = a if a > b else b
    return m + M.log1p(M.pow(_F32_TWO, -abs(a - b))) * 1.4426950408889634


@_dev
def logit(x, lo, one, clamp):
    """log(z / (1 - z)) with z = x clamped to [eps, 1 - eps] when eps was given (torch.logit's select order)."""
    if clamp:
        hi = one - lo
        x = lo if x < lo else (hi if x > hi else x)
    return M.log(x / (one - x))


@_dev
def gcd(a, b):
    """Non-negative gcd as torch computes it (abs, then Euclid)."""
    a = abs(a)
    b = abs(b)
    while a != 0:
        c = a
        a = b % a
        b = c
    return b


@_dev
def lcm(a, b):
    g = gcd(a, b)
    return g - g if g == 0 else abs(a // g * b)


@_dev
def lshift(a, b, bits):
    """torch's lshift: a shift by a negative count or by the width or more gives 0."""
    if b < 0 or b >= bits:
        return a - a
    return a << b


@_dev
def rshift(a, b, max_shift):
    """torch's rshift: a negative count or one past max_shift (width - 1 when signed) shifts by max_shift."""
    if b < 0 or b >= max_shift:
        return (a >> (max_shift - 1)) >> 1
    return a >> b


@_dev
def digamma(x):
    """torch's calc_digamma (Cephes) in float64: reflection for x < 0, recurrence up to 10, asymptotic series."""
    x = np.float64(x)
    if x == 0:
        return M.copysign(np.float64(np.inf), -x)
    result = np.float64(0.0)
    if x < 0:
        if x == M.trunc(x):
            return np.float64(np.nan)
        result = -np.pi / M.tan(np.pi * (x - M.trunc(x)))
        x = 1.0 - x
    while x < 10:
        result -= 1.0 / x
        x += 1.0
    if x == 10:
        return result + _PSI_10
    y = np.float64(0.0)
    if x < 1.0e17:
        z = 1.0 / (x * x)
        p = np.float64(0.0)
        for i in range(_DIGAMMA_A.shape[0]):
            p = p * z + _DIGAMMA_A[i]
        y = z * p
    return result + M.log(x) - 0.5 / x - y


@_dev
def trigamma(x):
    """torch's calc_trigamma (polygamma(1, x)) in float64."""
    x = np.float64(x)
    sign = 1.0
    result = np.float64(0.0)
    if x < 0.5:
        sign = -1.0
        s = M.sin(np.pi * x)
        result -= np.pi * np.pi / (s * s)
        x = 1.0 - x
    for _ in range(6):
        result += 1.0 / (x * x)
        x += 1.0
    ixx = 1.0 / (x * x)
    result += (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6.0 - ixx * (1.0 / 30.0 - ixx * (1.0 / 42.0)))) / x
    return sign * result


@_dev
def chbevl(x, coef):
    """Clenshaw's sum of a Chebyshev series (Cephes chbevl)."""
    b0 = coef[0]
    b1 = np.float64(0.0)
    b2 = np.float64(0.0)
    for i in range(1, coef.shape[0]):
        b2 = b1
        b1 = b0
        b0 = x * b1 - b2 + coef[i]
    return 0.5 * (b0 - b2)


@_dev
def i0(x):
    """Modified Bessel function I0 (Cephes, as torch.i0), in float64."""
    x = abs(np.float64(x))
    if x <= 8.0:
        return M.exp(x) * chbevl(x / 2.0 - 2.0, _I0_A)
    return M.exp(x) * chbevl(32.0 / x - 2.0, _I0_B) / M.sqrt(x)


@_dev
def i1(x):
    """Modified Bessel function I1 (Cephes), in float64: i0's derivative."""
    x = np.float64(x)
    ax = abs(x)
    if ax <= 8.0:
        out = M.exp(ax) * ax * chbevl(ax / 2.0 - 2.0, _I1_A)
    else:
        out = M.exp(ax) * chbevl(32.0 / ax - 2.0, _I1_B) / M.sqrt(ax)
    return -out if x < 0 else out


@_dev
def erfinv(y):
    """torch's calc_erfinv in float64: a rational first guess, then two Newton steps on erf."""
    y = np.float64(y)
    ya = abs(y)
    if ya > 1.0:
        return np.float64(np.nan)
    if ya == 1.0:
        return M.copysign(np.float64(np.inf), y)
    if ya <= 0.7:
        z = y * y
        num = ((-0.140543331 * z + 0.914624893) * z - 1.645349621) * z + 0.886226899
        dem = (((0.012229801 * z - 0.329097515) * z + 1.442710462) * z - 2.118377725) * z + 1.0
        x = y * num / dem
    else:
        z = M.sqrt(-M.log((1.0 - ya) / 2.0))
        num = ((1.641345311 * z + 3.429567803) * z - 1.624906493) * z - 1.970840454
        dem = (1.637067800 * z + 3.543889200) * z + 1.0
        x = M.copysign(num, y) / dem
    x = x - (M.erf(x) - y) / (1.1283791670955126 * M.exp(-x * x))
    x = x - (M.erf(x) - y) / (1.1283791670955126 * M.exp(-x * x))
    return x


# ---------------------------------------------------------------------------------------------------------
# torch.special's Bessel, Airy, incomplete-gamma and orthogonal-polynomial functions, in float64 (the helpers
# below use only M.* and arithmetic, so the GPU versions are the same text with math -> M).
_EULER = 0.5772156649015329
_TWO_OVER_PI = 0.6366197723675814
_PI = 3.141592653589793
_INF = float("inf")
_NAN = float("nan")


@_dev
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
    log_term = M.log(x / 2.0) + _EULER
    if want == 2:
        return _TWO_OVER_PI * (log_term * j0 - 2.0 * s0 / norm)
    return _TWO_OVER_PI * (log_term * j1 - j0 / x + s1 / norm)


@_dev
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
    chi = x - (0.5 * order + 0.25) * _PI
    amp = M.sqrt(_TWO_OVER_PI / x)
    if want_y:
        return amp * (p * M.sin(chi) + q * M.cos(chi))
    return amp * (p * M.cos(chi) - q * M.sin(chi))


@_dev
def bessel_j0(x):
    x = abs(np.float64(x))
    if x != x or x == _INF:
        return _NAN
    if x == 0.0:
        return 1.0
    if x > 25.0:
        return bessel_jy_asymptotic(x, 0, False)
    return bessel_jy_small(x, 0)


@_dev
def bessel_j1(x):
    ax = abs(np.float64(x))
    if ax != ax or ax == _INF:
        return _NAN
    if ax == 0.0:
        return x * 1.0
    out = bessel_jy_asymptotic(ax, 1, False) if ax > 25.0 else bessel_jy_small(ax, 1)
    return -out if x < 0 else out


@_dev
def bessel_y0(x):
    x = np.float64(x)
    if x != x or x < 0 or x == _INF:
        return _NAN
    if x == 0.0:
        return -_INF
    if x > 25.0:
        return bessel_jy_asymptotic(x, 0, True)
    if x < 1e-8:
        return _TWO_OVER_PI * (M.log(x / 2.0) + _EULER)
    return bessel_jy_small(x, 2)


@_dev
def bessel_y1(x):
    x = np.float64(x)
    if x != x or x < 0 or x == _INF:
        return _NAN
    if x == 0.0:
        return -_INF
    if x > 25.0:
        return bessel_jy_asymptotic(x, 1, True)
    if x < 1e-8:
        return -_TWO_OVER_PI / x
    return bessel_jy_small(x, 3)


@_dev
def bessel_k_scaled_integral(x, nu):
    """exp(x) K_nu(x) = integral over t >= 0 of exp(-x (cosh t - 1)) cosh(nu t), by the trapezoidal rule (which
    converges geometrically for this entire, fast-decaying integrand); x >= 1."""
    h = min(0.25, M.sqrt(0.5 / x))
    total = 0.5
    for i in range(1, 4000):
        t = i * h
        s = M.sinh(0.5 * t)  # cosh t - 1 = 2 sinh(t/2)^2, without cancellation
        term = M.exp(-2.0 * x * s * s) * M.cosh(nu * t)
        total += term
        if term < 1e-18 * total:
            break
    return total * h


@_dev
def bessel_k_small(x, order):
    """K0 or K1 for 0 < x < 1 by their series (A&S 9.6.13 and 9.6.11)."""
    y = 0.25 * x * x
    log_term = M.log(0.5 * x)
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


@_dev
def bessel_k(x, order, scaled):
    """K0 / K1 (order 0 / 1), times exp(x) when scaled, as torch.special.(scaled_)modified_bessel_k0/k1."""
    x = np.float64(x)
    if x != x or x < 0:
        return _NAN
    if x == 0.0:
        return _INF
    if x == _INF:
        return 0.0
    if x < 1.0:
        out = bessel_k_small(x, order)
        return out * M.exp(x) if scaled else out
    if scaled:
        return bessel_k_scaled_integral(x, order * 1.0)
    if x > 750.0:
        return 0.0
    return bessel_k_scaled_integral(x, order * 1.0) * M.exp(-x)


@_dev
def i0e(x):
    """exp(-|x|) I0(x) (Cephes' Chebyshev series without the exponential, as torch.special.i0e)."""
    x = abs(np.float64(x))
    if x <= 8.0:
        return chbevl(x / 2.0 - 2.0, _I0_A)
    return chbevl(32.0 / x - 2.0, _I0_B) / M.sqrt(x)


@_dev
def i1e(x):
    """exp(-|x|) I1(x), as torch.special.i1e."""
    x = np.float64(x)
    ax = abs(x)
    if ax <= 8.0:
        out = ax * chbevl(ax / 2.0 - 2.0, _I1_A)
    else:
        out = chbevl(32.0 / ax - 2.0, _I1_B) / M.sqrt(ax)
    return -out if x < 0 else out


@_dev
def spherical_bessel_j0(x):
    """sin(x) / x, by its Taylor series near 0 (torch's cut-off 0.5), 0 at +-inf."""
    x = np.float64(x)
    if x == _INF or x == -_INF:
        return 0.0
    if abs(x) < 0.5:
        y = x * x
        return 1.0 + y * (-1.0 / 6.0 + y * (1.0 / 120.0 + y * (-1.0 / 5040.0 + y * (1.0 / 362880.0 + y * (
            -1.0 / 39916800.0 + y * (1.0 / 6227020800.0))))))
    return M.sin(x) / x


@_dev
def airy_ai(x):
    """Ai(x): the Maclaurin series for -6.5 <= x <= 1, (1/pi) sqrt(x/3) K_1/3(2/3 x^1.5) above (the integral of
    bessel_k_scaled_integral), the oscillating asymptotic expansion below -6.5; 0 beyond 103.892, as torch."""
    x = np.float64(x)
    if x != x or x == _INF or x == -_INF:
        return _NAN
    if x > 103.892:
        return 0.0
    if x > 1.0:
        zeta = 2.0 / 3.0 * x * M.sqrt(x)
        return M.sqrt(x / 3.0) / _PI * bessel_k_scaled_integral(zeta, 1.0 / 3.0) * M.exp(-zeta)
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
    zeta = 2.0 / 3.0 * ax * M.sqrt(ax)
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
    angle = zeta + 0.25 * _PI
    return (M.sin(angle) * p - M.cos(angle) * q) / (M.sqrt(_PI) * M.sqrt(M.sqrt(ax)))


@_dev
def igamma_series(a, x):
    """P(a, x) by its power series (x < a + 1)."""
    term = 1.0 / a
    total = term
    for n in range(1, 10000):
        term *= x / (a + n)
        total += term
        if abs(term) < abs(total) * 1e-17:
            break
    return total * M.exp(-x + a * M.log(x) - M.lgamma(a))


@_dev
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
    return M.exp(-x + a * M.log(x) - M.lgamma(a)) * h


@_dev
def igamma(a, x, upper):
    """The regularised lower (upper=False) or upper incomplete gamma function, torch's edge cases."""
    a = np.float64(a)
    x = np.float64(x)
    if a != a or x != x or a < 0 or x < 0:
        return _NAN
    if a == 0.0:
        if x > 0:
            return 0.0 if upper else 1.0
        return _NAN
    if x == 0.0:
        return 1.0 if upper else 0.0
    if a == _INF:
        if x == _INF:
            return _NAN
        return 1.0 if upper else 0.0
    if x == _INF:
        return 0.0 if upper else 1.0
    if x < a + 1.0:
        p = igamma_series(a, x)
        return 1.0 - p if upper else p
    q = igamma_fraction(a, x)
    return q if upper else 1.0 - q


@_dev
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
        return M.cos(n * M.acos(x))
    if n == 0:
        return 1.0
    p = 1.0
    q = x
    for _ in range(1, n):
        r = (x + x) * q - p
        p = q
        q = r
    return q


@_dev
def chebyshev_u(x, n):
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if abs(x) == 1.0:
        return n + 1.0 if x > 0 or n % 2 == 0 else -(n + 1.0)
    if n > 8 and abs(x) < 1.0:
        t = M.acos(x)
        if M.sin(t) != 0.0:
            return M.sin((n + 1) * t) / M.sin(t)
        return (n + 1) * M.cos((n + 1) * t) * x
    if n == 0:
        return 1.0
    p = 1.0
    q = x + x
    for _ in range(1, n):
        r = (x + x) * q - p
        p = q
        q = r
    return q


@_dev
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
        t = M.acos(x)
        if M.sin(t / 2.0) != 1.0:
            return M.cos((n + 0.5) * t) / M.cos(t / 2.0)
        return n + n + 1.0 if n % 2 == 0 else -(n + n + 1.0)
    if n == 0:
        return 1.0
    p = 1.0
    q = x + x - 1.0
    for _ in range(1, n):
        r = (x + x) * q - p
        p = q
        q = r
    return q


@_dev
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
        t = M.acos(x)
        if M.cos(t / 2.0) != 1.0:
            return M.sin((n + 0.5) * t) / M.sin(t / 2.0)
        if x > 0:
            return n + n + 1.0
        return 1.0 if n % 2 == 0 else -1.0
    if n == 0:
        return 1.0
    p = 1.0
    q = x + x + 1.0
    for _ in range(1, n):
        r = (x + x) * q - p
        p = q
        q = r
    return q


@_dev
def hermite_h(x, n):
    """The physicists' Hermite polynomial H_n(x)."""
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if n == 0:
        return 1.0
    p = 1.0
    q = x + x
    for k in range(1, n):
        r = (x + x) * q - 2.0 * k * p
        p = q
        q = r
    return q


@_dev
def hermite_he(x, n):
    """The probabilists' Hermite polynomial He_n(x)."""
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if n == 0:
        return 1.0
    p = 1.0
    q = x
    for k in range(1, n):
        r = x * q - k * p
        p = q
        q = r
    return q


@_dev
def laguerre_l(x, n):
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if x == 0.0 or n == 0:
        return 1.0
    p = 1.0
    q = 1.0 - x
    for k in range(1, n):
        r = ((k + k + 1.0 - x) * q - k * p) / (k + 1.0)
        p = q
        q = r
    return q


@_dev
def legendre_p(x, n):
    x = np.float64(x)
    n = int(n)
    if n < 0:
        return 0.0
    if abs(x) == 1.0:
        return 1.0 if x > 0 or n % 2 == 0 else -1.0
    if n == 0:
        return 1.0
    p = 1.0
    q = x
    for k in range(1, n):
        r = ((k + k + 1.0) * x * q - k * p) / (k + 1.0)
        p = q
        q = r
    return q


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
