"""Transforms of mt19937 words into torch's CPU samples, bit for bit.

The words come from NumPy's MT19937 with legacy seeding (the same engine and seeding as torch's CPU generator);
these kernels apply torch 2.13's CPU transforms to them (uniform_real, normal_fill, the serial Box-Muller of
normal_distribution<double>, exponential, randperm). Transcendentals are libm's (as torch's scalar code), and
the float32 normal_fill is torch's AVX2 path: avx_mathfun's Cephes log / sincos with the FMAs GCC contracts.
The fill loops are written for LLVM's vectorizer (unsigned indices, branch-free lanes, runs of words between
twists); their results do not depend on the vector width. Inputs are validated by the front end (shapes and sizes
agree; arrays C-contiguous).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic

from .fastmath import _always_inline, _as_f32, _as_i32, _i2f, _iadd, _iand, _ior, _isra, _isub
from .scalar import fma

_OPTS = dict(cache=True, nogil=True, boundscheck=False)
_F = np.float32
_TWO_PI_F = np.float32(2.0 * math.pi)


_N, _M = 624, 397


@numba.njit(**_OPTS)
def _mix(key, i, j, k):
    """key[i] = key[k] ^ twist(key[i], key[j])."""
    y = (key[i] & np.uint32(0x80000000)) | (key[j] & np.uint32(0x7FFFFFFF))
    key[i] = key[k] ^ (y >> np.uint32(1)) ^ ((np.uint32(0) - (y & np.uint32(1))) & np.uint32(0x9908B0DF))


@numba.njit(**_OPTS)
def _twist(key):
    """mt19937's next_state over the 624-word state (uint32), in the reference's three runs (no modulo)."""
    for i in range(_N - _M):
        _mix(key, i, i + 1, i + _M)
    for i in range(_N - _M, _N - 1):
        _mix(key, i, i + 1, i + _M - _N)
    _mix(key, _N - 1, 0, _M - 1)


@numba.njit(**_OPTS)
def _temper(y):
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    return y ^ (y >> np.uint32(18))


_U0, _U1, _U32, _UN = np.uint64(0), np.uint64(1), np.uint64(32), np.uint64(_N)


@numba.njit(**_OPTS)
def _next_word(key, p):
    """(random(), the new position) from the state key at position p (uint64): twists first when its 624 words
    are used up (p == 624, as NumPy's MT19937 and torch's left_ == 1)."""
    if p >= _UN:
        _twist(key)
        p = _U0
    return np.uint64(_temper(key[p])), p + _U1


@numba.njit(**_OPTS)
def _run(key, p, want, wide):
    """(p, k) before a run of draws read straight from key[p:] (uint64s): p after a twist when the words are used
    up, and k <= want draws of random() (wide: of random64(), two words each) left in the state; k == 0 when a
    wide draw straddles a twist (p == 623: draw it with _next_word). The fill loops index with these unsigned
    values, so that they have no wraparound checks and LLVM vectorizes them."""
    if p >= _UN:
        _twist(key)
        p = _U0
    left = _UN - p
    return p, min(want, left >> _U1 if wide else left)


@numba.njit(**_OPTS)
def mt_words(key, pos, out, wide):
    """out[i] = the next mt19937 output (random()), or with wide=True random64() = (first << 32) | second, from
    the state key (uint32[624]) at position pos[0]; pos[0] is advanced."""
    p, i, n = np.uint64(pos[0]), _U0, np.uint64(out.size)
    while i < n:
        p, k = _run(key, p, n - i, wide)
        if wide:
            for t in range(k):
                out[i + t] = (np.uint64(_temper(key[p + t + t])) << _U32) | _temper(key[p + t + t + _U1])
            p += k + k
        else:
            for t in range(k):
                out[i + t] = _temper(key[p + t])
            p += k
        i += k
        if k == _U0:
            hi, p = _next_word(key, p)
            lo, p = _next_word(key, p)
            out[i] = (hi << _U32) | lo
            i += _U1
    pos[0] = p


@numba.njit(**_OPTS)
def from_to(words, out, rng, base):
    """random_(from, to)'s (word % range) + from in uint64 arithmetic, as int64 (rng == 0: no modulo, the full
    64-bit range)."""
    for i in range(out.size):
        w = words[i] % rng if rng else words[i]
        out[i] = np.int64(w + base)


@numba.njit(**_OPTS)
def uniform_mt(key, pos, out, wide, mask, scale, lo, span):
    """out[i] = fma((w & mask) * scale, span, lo), w the next random64() when wide (float64) else random():
    torch's uniform_real (GCC contracts it to an FMA), drawn straight from the engine (no word buffer) as
    mt_words. float32, float16 and bfloat16 are computed in float32 (their opmath type)."""
    t_ = out.dtype.type
    p, i, n = np.uint64(pos[0]), _U0, np.uint64(out.size)
    while i < n:
        p, k = _run(key, p, n - i, wide)
        if wide:
            for t in range(k):
                w = (np.uint64(_temper(key[p + t + t])) << _U32) | _temper(key[p + t + t + _U1])
                out[i + t] = fma(t_(w & mask) * scale, span, lo)
            p += k + k
        else:
            for t in range(k):
                out[i + t] = fma(t_(np.uint64(_temper(key[p + t])) & mask) * scale, span, lo)
            p += k
        i += k
        if k == _U0:
            hi, p = _next_word(key, p)
            w, p = _next_word(key, p)
            out[i] = fma(t_(((hi << _U32) | w) & mask) * scale, span, lo)
            i += _U1
    pos[0] = p


@intrinsic
def _sqrt(typingctx, x):
    """llvm.sqrt, correctly rounded as _mm256_sqrt_ps (math.sqrt is a libm call, which keeps a loop scalar)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, sig, args):
        return builder.call(builder.module.declare_intrinsic("llvm.sqrt", [args[0].type]), args)

    return x(x), codegen


@intrinsic
def _copy8(typingctx, dst, i, src, k):
    """dst[i:i + 8] = src[k:k + 8] (float32 arrays, unchecked) as one 32-byte llvm.memcpy, which becomes one vector
    load and store (a loop of scalar moves costs as much as the normal transform)."""
    if not (isinstance(dst, types.Array) and isinstance(src, types.Array) and dst.dtype == src.dtype == types.float32
            and dst.layout == src.layout == "C"):
        return None

    def codegen(context, builder, sig, args):
        d = context.make_array(sig.args[0])(context, builder, args[0])
        s = context.make_array(sig.args[2])(context, builder, args[2])
        cgutils.raw_memcpy(builder, builder.gep(d.data, [args[1]]), builder.gep(s.data, [args[3]]),
                           context.get_constant(types.intp, 8), 4, align=4)
        return context.get_dummy_value()

    return types.none(dst, i, src, k), codegen


_LN_SQRTH = _F(0.707106781186547524)
_EXP_BITS = np.int32(0xFF)
_MANT_BITS = np.int32(0x007FFFFF)
_HALF_BITS = np.int32(0x3F000000)  # 0.5's exponent


@numba.njit(**_OPTS)
def _log_cephes(x):
    """avx_mathfun's log256_ps for x in [2**-24, 1] (normal, positive), one lane, branch-free so that the lane
    loop vectorizes: the mantissa in [0.5, 1) and exponent from the bits, FMAs where GCC contracts."""
    _always_inline()
    bits = _as_i32(x)
    e = _i2f(_isub(_iand(_isra(bits, 23), _EXP_BITS), 126))
    m = _as_f32(_ior(_iand(bits, _MANT_BITS), _HALF_BITS))
    small = m < _LN_SQRTH
    e = e - _F(1) if small else e
    m = (m - _F(1)) + m if small else m - _F(1)
    z = m * m
    y = _F(7.0376836292e-2)
    y = fma(y, m, _F(-1.1514610310e-1))
    y = fma(y, m, _F(1.1676998740e-1))
    y = fma(y, m, _F(-1.2420140846e-1))
    y = fma(y, m, _F(1.4249322787e-1))
    y = fma(y, m, _F(-1.6668057665e-1))
    y = fma(y, m, _F(2.0000714765e-1))
    y = fma(y, m, _F(-2.4999993993e-1))
    y = fma(y, m, _F(3.3333331174e-1))
    y = y * m
    y = fma(y, z, e * _F(-2.12194440e-4))
    y = fma(-z, _F(0.5), y)
    m = m + y
    return fma(e, _F(0.693359375), m)


@numba.njit(**_OPTS)
def _sincos_cephes(x):
    """avx_mathfun's sincos256_ps for x >= 0, one lane, branch-free: (sin, cos)."""
    _always_inline()
    j = _iand(_iadd(np.int32(x * _F(1.27323954473516)), 1), -2)
    y = _i2f(j)
    x = fma(y, _F(-0.78515625), x)
    x = fma(y, _F(-2.4187564849853515625e-4), x)
    x = fma(y, _F(-3.77489497744594108e-8), x)
    z = x * x
    yc = _F(2.443315711809948e-005)
    yc = fma(yc, z, _F(-1.388731625493765e-003))
    yc = fma(yc, z, _F(4.166664568298827e-002))
    yc = yc * z
    yc = fma(yc, z, -(z * _F(0.5))) + _F(1)
    ys = _F(-1.9515295891e-4)
    ys = fma(ys, z, _F(8.3321608736e-3))
    ys = fma(ys, z, _F(-1.6666654611e-1))
    ys = fma(ys * z, x, x)
    poly = _iand(j, 2) == 0
    s = ys if poly else yc
    c = yc if poly else ys
    s = -s if _iand(j, 4) != 0 else s
    c = -c if _iand(_isub(j, 2), 4) == 0 else c
    return s, c


_CHUNK = 256  # blocks of 16 per pass of normal_fill_f32 (two 8 KiB lane buffers)


@numba.njit(**_OPTS)
def normal_fill_f32(data, mean, std):
    """torch's normal_fill_16_AVX2 over every whole block of 16 uniforms in data (float32), in place. A block's
    8 lanes pair data[j] (u1) with data[j + 8] (u2); a pass over up to _CHUNK blocks copies the u1 and u2 halves
    into two contiguous buffers, transforms them in one flat loop (which LLVM vectorizes; the lanes are
    independent, so any vector width gives torch's bits) and copies them back. Indices are unsigned (no
    wraparound checks)."""
    nb = data.size // 16
    a = np.empty(min(nb, _CHUNK) * 8, np.float32)
    c = np.empty_like(a)
    eight = np.uint64(8)
    for b0 in range(0, nb, _CHUNK):
        m = np.uint64(min(_CHUNK, nb - b0))
        base = np.uint64(b0) * np.uint64(16)
        for b in range(m):
            _copy8(a, b * eight, data, base + b * np.uint64(16))
            _copy8(c, b * eight, data, base + b * np.uint64(16) + eight)
        for k in range(m * eight):
            radius = _sqrt(_F(-2) * _log_cephes(_F(1) - a[k]))
            sn, cs = _sincos_cephes(_TWO_PI_F * c[k])
            a[k] = fma(radius * cs, std, mean)
            c[k] = fma(radius * sn, std, mean)
        for b in range(m):
            _copy8(data, base + b * np.uint64(16), a, b * eight)
            _copy8(data, base + b * np.uint64(16) + eight, c, b * eight)


@numba.njit(**_OPTS)
def normal_fill_f64(data, mean, std):
    """torch's scalar normal_fill_16<double> over every whole block of 16 uniforms in data, in place."""
    two_pi = 2.0 * math.pi
    for i in range(0, data.size - 15, 16):
        for j in range(i, i + 8):
            radius = math.sqrt(-2.0 * math.log(1.0 - data[j]))
            theta = two_pi * data[j + 8]
            data[j] = fma(radius * math.cos(theta), std, mean)
            data[j + 8] = fma(radius * math.sin(theta), std, mean)


@numba.njit(**_OPTS)
def box_muller(u, out):
    """normal_distribution<double>'s pairs: u[2k] = u1, u[2k + 1] = u2 -> out[2k] = r cos, out[2k + 1] = r sin
    (torch returns the cos value and caches the sin value for the next draw)."""
    two_pi = 2.0 * math.pi
    for k in range(out.size // 2):
        r = math.sqrt(-2.0 * math.log1p(-u[2 * k + 1]))
        theta = two_pi * u[2 * k]
        out[2 * k] = r * math.cos(theta)
        out[2 * k + 1] = r * math.sin(theta)


@numba.njit(**_OPTS)
def affine(x, out, std, mean):
    """out[i] = fma(x[i], std, mean): transformation::normal, contracted."""
    for i in range(out.size):
        out[i] = fma(x[i], std, mean)


@numba.njit(**_OPTS)
def exponential(u, out, lambd):
    """transformation::exponential on the CPU: -1 / lambda * log1p(-u)."""
    scale = -1.0 / lambd
    for i in range(out.size):
        out[i] = scale * math.log1p(-u[i])


@numba.njit(**_OPTS)
def geometric(u, out, p):
    """transformation::geometric: ceil(log(u) / log1p(-p))."""
    d = math.log1p(-p)
    for i in range(out.size):
        out[i] = math.ceil(math.log(u[i]) / d)


@numba.njit(**_OPTS)
def cauchy(u, out, median, sigma):
    """transformation::cauchy: median + sigma * tan(pi * (u - 0.5)) (contracted)."""
    for i in range(out.size):
        out[i] = fma(sigma, math.tan(math.pi * (u[i] - 0.5)), median)


@numba.njit(**_OPTS)
def log_normal(z, out, mean, std):
    """transformation::log_normal of normal_distribution(mean, std): exp(fma(z, std, mean))."""
    for i in range(out.size):
        out[i] = math.exp(fma(z[i], std, mean))


@numba.njit(**_OPTS)
def randperm_small(words, out):
    """torch's randperm for n < 2**32 / 20: out = arange(n), then swap out[i] with out[i + words[i] % (n - i)]."""
    n = out.size
    for i in range(n):
        out[i] = i
    for i in range(n - 1):
        z = np.int64(words[i] % np.uint64(n - i))
        t = out[i]
        out[i] = out[i + z]
        out[i + z] = t


@numba.njit(**_OPTS)
def randperm_large(words64, out):
    """torch's inside-out Fisher-Yates for large n, one random64() per element."""
    for i in range(out.size):
        z = np.int64(words64[i] % np.uint64(i + 1))
        out[i] = out[z]
        out[z] = i
