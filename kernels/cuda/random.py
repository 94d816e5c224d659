"""Counter-based random numbers on the GPU: Philox4x32-10 (Salmon et al., Random123).

Element i of a call takes word `i % G` of Philox(counter = (g_lo, g_hi, offset_lo, offset_hi), key = (seed_lo,
seed_hi)) with g = i // G (G = 4 words per element group for 32-bit outputs, 2 for 64-bit ones, which use two
words per value). So each value depends only on (seed, offset, element index), not on the launch
configuration; two calls with different offsets never share a counter, so a caller advances `offset` by one
per call.

`uniform_(out, seed, offset, low, high)`: [low, high) from 24 random bits (float16/float32) or 53 (float64);
`normal_(out, seed, offset, mean, std)`: Box-Muller on pairs of uniforms; `randint_(out, seed, offset, low,
high)`: low + (64 random bits mod (high - low)). `out` may have any strides.
"""

from __future__ import annotations

import numpy as np

from . import arrays, copy
from .launch import configure, cuda, grid_1d
from .scalar import M

__all__ = ["uniform_", "normal_", "randint_", "philox4x32_10_into"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S8 = np.uint64(8)
_S11 = np.uint64(11)
_U1 = np.uint64(1)
_TWO_M24 = 5.9604644775390625e-08  # 2**-24
_TWO_M53 = 1.1102230246251565e-16  # 2**-53
_TWO_PI = 6.283185307179586


@cuda.jit(device=True)
def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of a counter and key given as uint64 values below 2**32; returns four such words."""
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        n0 = (p1 >> _S32) ^ c1 ^ k0
        n2 = (p0 >> _S32) ^ c3 ^ k1
        c1 = p1 & _MASK
        c3 = p0 & _MASK
        c0 = n0
        c2 = n2
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


@cuda.jit(device=True)
def _u24(w):
    """A uniform float in [0, 1) from the top 24 bits of a 32-bit word."""
    return np.float64(w >> _S8) * _TWO_M24


@cuda.jit(device=True)
def _ubits(w, shift, scale):
    """A uniform float in [0, 1) from the top 32 - shift bits of a word (11 for float16, 24 for float32: values
    that round to 1.0 in the output dtype cannot occur)."""
    return np.float64(w >> shift) * scale


@cuda.jit(device=True)
def _u53(hi, lo):
    """A uniform float64 in [0, 1) from 53 bits of two words."""
    return np.float64(((hi << _S32) | lo) >> _S11) * _TWO_M53


@cuda.jit(device=True)
def _put(out, i, n, v):
    if i < n:
        out[i] = v


@cuda.jit(device=True)
def _box_muller(u1, u2):
    """Two independent normals from u1 in (0, 1] and u2 in [0, 1)."""
    rad = M.sqrt(-2.0 * M.log(u1))
    theta = _TWO_PI * u2
    return rad * M.cos(theta), rad * M.sin(theta)


@cuda.jit(cache=True)
def _uniform32(out, s0, s1, o0, o1, low, span, shift, scale):
    n = out.shape[0]
    g = cuda.grid(1)
    step = cuda.gridsize(1)
    while g < (n + 3) // 4:
        gu = np.uint64(g)
        r0, r1, r2, r3 = philox(gu & _MASK, gu >> _S32, o0, o1, s0, s1)
        i = g * 4
        _put(out, i, n, low + span * _ubits(r0, shift, scale))
        _put(out, i + 1, n, low + span * _ubits(r1, shift, scale))
        _put(out, i + 2, n, low + span * _ubits(r2, shift, scale))
        _put(out, i + 3, n, low + span * _ubits(r3, shift, scale))
        g += step


@cuda.jit(cache=True)
def _uniform64(out, s0, s1, o0, o1, low, span):
    n = out.shape[0]
    g = cuda.grid(1)
    step = cuda.gridsize(1)
    while g < (n + 1) // 2:
        gu = np.uint64(g)
        r0, r1, r2, r3 = philox(gu & _MASK, gu >> _S32, o0, o1, s0, s1)
        i = g * 2
        _put(out, i, n, low + span * _u53(r0, r1))
        _put(out, i + 1, n, low + span * _u53(r2, r3))
        g += step


@cuda.jit(cache=True)
def _normal32(out, s0, s1, o0, o1, mean, std):
    n = out.shape[0]
    g = cuda.grid(1)
    step = cuda.gridsize(1)
    while g < (n + 3) // 4:
        gu = np.uint64(g)
        r0, r1, r2, r3 = philox(gu & _MASK, gu >> _S32, o0, o1, s0, s1)
        z0, z1 = _box_muller(np.float32(_u24(r0) + _TWO_M24), np.float32(_u24(r1)))
        z2, z3 = _box_muller(np.float32(_u24(r2) + _TWO_M24), np.float32(_u24(r3)))
        i = g * 4
        _put(out, i, n, mean + std * z0)
        _put(out, i + 1, n, mean + std * z1)
        _put(out, i + 2, n, mean + std * z2)
        _put(out, i + 3, n, mean + std * z3)
        g += step


@cuda.jit(cache=True)
def _normal64(out, s0, s1, o0, o1, mean, std):
    n = out.shape[0]
    g = cuda.grid(1)
    step = cuda.gridsize(1)
    while g < (n + 1) // 2:
        gu = np.uint64(g)
        r0, r1, r2, r3 = philox(gu & _MASK, gu >> _S32, o0, o1, s0, s1)
        z0, z1 = _box_muller(_u53(r0, r1) + _TWO_M53, _u53(r2, r3))
        i = g * 2
        _put(out, i, n, mean + std * z0)
        _put(out, i + 1, n, mean + std * z1)
        g += step


@cuda.jit(cache=True)
def _randint(out, s0, s1, o0, o1, low, span):
    n = out.shape[0]
    g = cuda.grid(1)
    step = cuda.gridsize(1)
    while g < (n + 1) // 2:
        gu = np.uint64(g)
        r0, r1, r2, r3 = philox(gu & _MASK, gu >> _S32, o0, o1, s0, s1)
        i = g * 2
        _put(out, i, n, low + np.int64(((r0 << _S32) | r1) % span))
        _put(out, i + 1, n, low + np.int64(((r2 << _S32) | r3) % span))
        g += step


@cuda.jit(cache=True)
def _philox_rows(out, ctr, key):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < out.shape[0]:
        r0, r1, r2, r3 = philox(np.uint64(ctr[i, 0]), np.uint64(ctr[i, 1]), np.uint64(ctr[i, 2]),
                                np.uint64(ctr[i, 3]), np.uint64(key[i, 0]), np.uint64(key[i, 1]))
        out[i, 0] = r0
        out[i, 1] = r1
        out[i, 2] = r2
        out[i, 3] = r3
        i += step


def _words(v: int, name: str) -> tuple:
    v = int(v)
    if not 0 <= v < 1 << 64:
        raise ValueError(f"{name} must be in [0, 2**64), got {v}")
    return np.uint64(v & 0xFFFFFFFF), np.uint64(v >> 32)


def _generate(kernel, group: int, out, seed: int, offset: int, *params) -> None:
    n = out.size
    if n == 0:
        return
    s0, s1 = _words(seed, "seed")
    o0, o1 = _words(offset, "offset")
    contiguous = out.is_c_contiguous() and 0 not in arrays.elem_strides(out)[-1:]
    target = arrays.flat(out) if contiguous else arrays.empty((n,), out.dtype)
    grid, block = grid_1d(-(-n // group))
    configure(kernel, grid, block)(target, s0, s1, o0, o1, *params)
    if not contiguous:
        copy.copy_cast(out, arrays.view(target, tuple(out.shape), _c_strides(tuple(out.shape))))


def _c_strides(shape: tuple) -> tuple:
    st, acc = [], 1
    for d in reversed(shape):
        st.append(acc)
        acc *= d
    return tuple(reversed(st))


def _float_out(out, name: str) -> bool:
    if out.dtype.kind != "f":
        raise TypeError(f"{name} expects a floating point output, got {out.dtype}")
    return out.dtype == np.float64


def uniform_(out, seed: int, offset: int, low: float = 0.0, high: float = 1.0, bits: int | None = None):
    """Fill out with uniform values in [low, high); `bits` random bits per value (float32 only: bfloat16's 8 when
    a float32 output is rounded to bfloat16 afterwards, so that no value rounds up to `high`)."""
    if _float_out(out, "uniform_"):
        _generate(_uniform64, 2, out, seed, offset, float(low), float(high) - float(low))
    else:
        bits = bits or (11 if out.dtype == np.float16 else 24)
        _generate(_uniform32, 4, out, seed, offset, float(low), float(high) - float(low), np.uint64(32 - bits),
                  2.0 ** -bits)
    return out


def normal_(out, seed: int, offset: int, mean: float = 0.0, std: float = 1.0):
    """Fill out with normal values (Box-Muller)."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if _float_out(out, "normal_"):
        _generate(_normal64, 2, out, seed, offset, float(mean), float(std))
    else:
        _generate(_normal32, 4, out, seed, offset, np.float32(mean), np.float32(std))
    return out


def randint_(out, seed: int, offset: int, low: int, high: int):
    """Fill out with integers in [low, high) (64 random bits reduced modulo the range)."""
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    _generate(_randint, 2, out, seed, offset, np.int64(low), np.uint64(int(high) - int(low)))
    return out


def philox4x32_10_into(out, counters, keys):
    """out[i] = Philox4x32-10(counters[i], keys[i]): (n, 4) and (n, 2) uint32 device arrays (known-answer tests)."""
    n = out.shape[0]
    if n:
        grid, block = grid_1d(n)
        configure(_philox_rows, grid, block)(out, counters, keys)
    return out
