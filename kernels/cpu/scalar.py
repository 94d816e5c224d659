"""Scalar helpers that elementwise expressions call (PyTorch's semantics for each).

Each is inlined into the generated loops, so keep them branch-light: LLVM turns simple selects into
vector code.
"""

import math

import numpy as np
from numba import njit

_INLINE = dict(inline="always", error_model="numpy")


@njit(**_INLINE)
def sign(x):
    return (x > 0) - (x < 0) if x == x else x


@njit(**_INLINE)
def fsign(x):
    """Float sign: -1, 0 or 1 (keeps -0.0 and nan as torch.sign does)."""
    return np.float64(1.0) * (x > 0) - (x < 0) if x == x else x


@njit(**_INLINE)
def remainder_float(a, b):
    """Python-style modulus (sign of the divisor), as torch.remainder."""
    r = np.fmod(a, b)
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
    mod = np.fmod(a, b)
    div = (a - mod) / b
    if mod != 0 and (b < 0) != (mod < 0):
        div -= 1
    if div != 0:
        floordiv = np.floor(div)
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
    """Integer power by squaring (the front end rejects negative exponents as torch does)."""
    result = a - a + 1
    base = a
    while e > 0:
        if e & 1:
            result *= base
        base *= base
        e >>= 1
    return result


@njit(**_INLINE)
def round_half_even(x):
    r = np.floor(x + 0.5)
    if r - x == 0.5 and np.fmod(r, 2.0) != 0:
        r -= 1.0
    return r if x == x else x


@njit(**_INLINE)
def round_decimals(x, decimals):
    scale = 10.0 ** decimals
    return round_half_even(x * scale) / scale


@njit(**_INLINE)
def maximum_nan(a, b):
    """max that propagates NaN from either side, as torch.maximum."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a > b else b


@njit(**_INLINE)
def minimum_nan(a, b):
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b


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
    """torch.clamp: min(max(x, lo), hi), NaN in x or a bound propagates."""
    return minimum_nan(maximum_nan(x, lo), hi)


@njit(**_INLINE)
def nan_to_num(x, nan, posinf, neginf):
    if x != x:
        return nan
    if x == np.inf:
        return posinf
    if x == -np.inf:
        return neginf
    return x


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
    """torch.lerp's formula, exact at both ends."""
    d = b - a
    return a + w * d if abs(w) < 0.5 else b - d * (1 - w)


@njit(**_INLINE)
def frac(x):
    return x - np.trunc(x)
