"""add/sub with alpha, addcmul and lerp on floats round once, as torch's CPU kernels (fused multiply-add):
bit-exact against an exact rational oracle, hand-derived cases where rounding twice differs, and the ops that
keep their plain formulas (integers, addcdiv)."""

from fractions import Fraction

import numpy as np
import pytest
from conftest import random_array

import ntorch as nt


def _round(v: Fraction, t):
    """v rounded to nearest-even in float type t (via the float64 neighbours: no double rounding)."""
    f = t(float(v))
    cands = [np.nextafter(f, t(-np.inf)), f, np.nextafter(f, t(np.inf))]
    return min(cands, key=lambda c: (abs(Fraction(float(c)) - v), int(np.asarray(c).view(f"u{c.itemsize}")) & 1))


def _fma(a, b, c, t):
    return _round(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)), t)


def _oracle(fn, t, *arrays):
    return np.array([fn(*vals) for vals in zip(*(a.ravel() for a in arrays))], t).reshape(arrays[0].shape)


def _lerp(a, b, w, t):
    d = t(b - a)
    return _fma(w, d, a, t) if abs(w) < 0.5 else _fma(-d, t(t(1) - w), b, t)


@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
def test_bit_exact_against_one_rounding(dt, rng):
    t = dt.np.type
    x, y, z = (random_array(rng, (7, 60), dt, -4, 4) for _ in range(3))
    w = random_array(rng, (7, 60), dt, -0.3, 1.3)
    tx, ty, tz, tw = map(nt.from_numpy, (x, y, z, w))
    a = t(0.3)
    cases = [
        (nt.add(tx, ty, alpha=0.3), _oracle(lambda p, q: _fma(a, q, p, t), t, x, y), x + a * y),
        (nt.sub(tx, ty, alpha=0.3), _oracle(lambda p, q: _fma(-a, q, p, t), t, x, y), x - a * y),
        (nt.addcmul(tx, ty, tz, value=0.3), _oracle(lambda p, q, r: _fma(t(a * q), r, p, t), t, x, y, z),
         x + a * y * z),
        (nt.addcmul(tx, ty, tz), _oracle(lambda p, q, r: _fma(q, r, p, t), t, x, y, z), x + y * z),
        (nt.lerp(tx, ty, tw), _oracle(lambda p, q, r: _lerp(p, q, r, t), t, x, y, w), None),
        (nt.lerp(tx, ty, 0.3), _oracle(lambda p, q: _lerp(p, q, t(0.3), t), t, x, y), x + a * (y - x)),
        (nt.lerp(tx, ty, 0.7), _oracle(lambda p, q: _lerp(p, q, t(0.7), t), t, x, y), y - (y - x) * (1 - t(0.7))),
        # a transposed operand (the tiled loop) and a broadcast row (the general strided loop)
        (nt.add(tx.t().contiguous().t(), ty, alpha=0.3), _oracle(lambda p, q: _fma(a, q, p, t), t, x, y), None),
        (nt.add(tx, ty[0], alpha=0.3), _oracle(lambda p, q: _fma(a, q, p, t), t, x, np.broadcast_to(y[0], x.shape)),
         None),
    ]
    for k, (got, want, twice) in enumerate(cases):
        np.testing.assert_array_equal(got.numpy(), want, err_msg=f"case {k}")
        if twice is not None:  # rounding twice differs somewhere: the comparison above can tell them apart
            assert (twice.astype(dt.np) != want).any(), k
    # in place and out= go through the same expressions
    x2 = tx.clone()
    x2.add_(ty, alpha=0.3)
    np.testing.assert_array_equal(x2.numpy(), cases[0][1])
    out = nt.empty(x.shape, dtype=dt)
    nt.lerp(tx, ty, tw, out=out)
    np.testing.assert_array_equal(out.numpy(), cases[4][1])


@pytest.mark.parametrize("dt, eps", [(nt.float32, 2.0 ** -23), (nt.float64, 2.0 ** -52)])
def test_hand_derived_single_rounding(dt, eps):
    """(1 + eps)(1 + 2 eps) - 1 = 3 eps + 2 eps^2 exactly representable; rounding the product first gives 3 eps."""
    t = dt.np.type
    one, y = nt.tensor([1.0], dtype=dt), nt.tensor([1 + eps], dtype=dt)
    alpha = 1 + 2 * eps
    exact = t(3 * eps + 2 * eps * eps)
    assert exact != t(3 * eps)
    assert nt.add(-one, y, alpha=alpha).item() == exact
    assert nt.sub(one, y, alpha=alpha).item() == -exact
    assert nt.addcmul(-one, y, nt.tensor([alpha], dtype=dt)).item() == exact
    # lerp(start, end, w) = start + w*(end - start) for w < 0.5: start = -1/4, end = 3/4 - 1/4... d = 1 + eps
    start, end = nt.tensor([-0.25], dtype=dt), nt.tensor([0.75 + eps], dtype=dt)
    w = t(0.25 * (1 + 2 * eps))
    want = t(w * t(1 + eps) - 0.25)  # rounds twice ...
    exact_l = _fma(w, t(1 + eps), t(-0.25), t)
    assert exact_l != want
    assert nt.lerp(start, end, float(w)).item() == exact_l


def test_plain_formulas_stay():
    # integers: no fma (exact anyway); addcdiv: torch rounds the quotient (x + (v * t1) / t2)
    a = nt.tensor([3, -7], dtype=nt.int32)
    np.testing.assert_array_equal(nt.add(a, a, alpha=3).numpy(), [12, -28])
    np.testing.assert_array_equal(nt.addcmul(a, a, a, value=2).numpy(), [21, 91])
    x = np.array([1.0, -2.5], np.float32)
    y = np.array([1 + 2.0 ** -23, 3.0], np.float32)
    got = nt.addcdiv(nt.from_numpy(x), nt.from_numpy(y), nt.from_numpy(np.float32([3.0, 7.0])), value=0.5)
    np.testing.assert_array_equal(got.numpy(), x + (np.float32(0.5) * y) / np.float32([3.0, 7.0]))


def test_float16_rounds_the_float32_result():
    x = np.array([0.1, -2.0, 3.5, 1000.0], np.float16)
    y = np.array([1.1, 0.3, -7.25, 0.001], np.float16)
    got = nt.add(nt.from_numpy(x), nt.from_numpy(y), alpha=0.3).numpy()
    want = np.array([_fma(np.float32(0.3), np.float32(q), np.float32(p), np.float32) for p, q in zip(x, y)])
    np.testing.assert_array_equal(got, want.astype(np.float16))


def test_python_fma_stub_is_exact():
    """The stub's Python body (what the CUDA simulator runs) rounds once, signed zeros and non-finite included."""
    from ntorch.kernels.cpu.scalar import fma
    f = np.float32
    e = 2.0 ** -23
    assert fma(f(1 + e), f(1 + 2 * e), f(-1)) == f(3 * e + 2 * e * e)
    assert fma(f(0.0), f(1.0), f(-0.0)) == 0 and np.signbit(fma(f(-0.0), f(1.0), f(-0.0)))
    assert not np.signbit(fma(f(2.0), f(3.0), f(-6.0)))
    assert np.isnan(fma(f(np.inf), f(0.0), f(1.0)))
    assert fma(f(np.inf), f(2.0), f(1.0)) == np.inf
    assert fma(1.0 + 2.0 ** -52, 1.0 + 2.0 ** -51, -1.0) == 3 * 2.0 ** -52 + 2.0 ** -103
    assert type(fma(f(1), f(2), f(3))) is np.float32
