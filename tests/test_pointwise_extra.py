"""The pointwise ops added for PyTorch conformance (asinh ... erfinv, gcd, shifts) against NumPy / math references
written here, over every supported dtype, broadcasting, 0-d and size-0 shapes, special values, errors and
gradients (float64 gradcheck)."""

import math

import numpy as np
import pytest
from conftest import (
    ALL_DTYPES,
    CONTIGUOUS_BROADCAST,
    FLOAT_DTYPES,
    INT_DTYPES,
    LAYOUT_DTYPES,
    dtype_layouts,
    random_array,
)

import ntorch as nt
from ntorch import dispatch
from ntorch.autograd import gradcheck

SHAPES = [(), (0,), (1,), (7,), (3, 5), (2, 3, 4)]
TOL = {nt.float16: 2e-3, nt.float32: 2e-6, nt.float64: 1e-12}
LN2 = math.log(2.0)


def _vec(fn):
    return np.vectorize(fn, otypes=[np.float64])


def _lgamma(x):
    return math.inf if x == math.floor(x) and x <= 0 else math.lgamma(x)


def _digamma(x):
    """Central difference of math.lgamma: independent of the Cephes series under test (error ~1e-10)."""
    if x == math.floor(x) and x <= 0:
        return -math.inf if x == 0 else math.nan
    h = 1e-5 * max(1.0, abs(x))
    return (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)


def _erfinv(y):
    """Bisection on math.erf."""
    if abs(y) > 1 or y != y:
        return math.nan
    if abs(y) == 1:
        return math.copysign(math.inf, y)
    lo, hi = -7.0, 7.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if math.erf(mid) < y:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _logit(x, eps=None):
    if eps is not None:
        x = np.where(x < eps, eps, np.where(x > 1 - eps, 1 - eps, x))
    return np.log(x / (1 - x))


# name -> (reference on float64 values, (low, high) of the random inputs, relative tolerance factor)
UNARY_REF = {
    "asinh": (np.arcsinh, (-3, 3), 1), "acosh": (np.arccosh, (1, 5), 1), "atanh": (np.arctanh, (-0.95, 0.95), 1),
    "deg2rad": (np.deg2rad, (-400, 400), 1), "rad2deg": (np.rad2deg, (-7, 7), 1), "sinc": (np.sinc, (-3, 3), 4),
    "logit": (_logit, (0.01, 0.99), 2), "lgamma": (_vec(_lgamma), (0.1, 6), 4),
    "digamma": (_vec(_digamma), (0.2, 6), 1), "i0": (np.i0, (-9, 9), 4),
    "erfinv": (_vec(_erfinv), (-0.999, 0.999), 8), "signbit": (np.signbit, (-3, 3), 1),
}
# integer and bool inputs of the float ops: whole numbers inside (or at the edge of) each domain
INT_RANGE = {"acosh": (1, 5), "atanh": (-1, 2), "logit": (0, 2), "lgamma": (1, 6), "digamma": (1, 6),
             "erfinv": (-1, 2)}
ALIASES = {"arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "sgn": "sign"}


def _check(got, expected, dt, msg, factor=1.0):
    got_np = got.numpy()
    if got.dtype.is_floating_point:
        tol = TOL[got.dtype] * factor
        if dt is nt.float64 and msg.startswith("digamma"):
            tol = 1e-8  # the finite-difference reference is good to about 1e-10
        np.testing.assert_allclose(got_np.astype(np.float64), np.asarray(expected, np.float64), rtol=tol, atol=tol,
                                   equal_nan=True, err_msg=msg)
    else:
        np.testing.assert_array_equal(got_np, np.asarray(expected).astype(got_np.dtype), err_msg=msg)


def _inputs64(arr, out_dt):
    """The values the kernel sees, in float64 (float16 inputs compute through float32 but from the same values)."""
    return arr.astype(np.float64) if out_dt.is_floating_point or arr.dtype.kind == "f" else arr


@pytest.mark.parametrize("name", sorted(UNARY_REF))
def test_unary(name, rng):
    ref, (low, high), factor = UNARY_REF[name]
    fn = getattr(nt, name)
    for dt in ALL_DTYPES:
        for shape in SHAPES:
            if dt.is_floating_point:
                arr = random_array(rng, shape, dt, low, high)
            else:
                arr = random_array(rng, shape, dt, *INT_RANGE.get(name, (math.floor(low), math.ceil(high))))
            for _layout, t, a in dtype_layouts(arr, dt):
                got = fn(t)
                want_dt = nt.bool if name == "signbit" else (dt if dt.is_floating_point else nt.float32)
                assert got.dtype is want_dt and got.shape == a.shape, (name, dt)
                with np.errstate(all="ignore"):
                    exp = ref(_inputs64(a, got.dtype))
                _check(got, exp, dt, f"{name} {dt} {shape}", factor)


def test_unary_outside_domain_and_special_values():
    nan, inf = math.nan, math.inf
    x = nt.tensor([0.0, -0.0, 1.5, -2.0, inf, -inf, nan, -2.5, 1e-30], dtype=nt.float64)
    v = x.numpy()
    with np.errstate(all="ignore"):
        for fn, ref in ((nt.asinh, np.arcsinh), (nt.acosh, np.arccosh), (nt.atanh, np.arctanh)):
            np.testing.assert_allclose(fn(x).numpy(), ref(v), rtol=1e-15, atol=0, equal_nan=True)
            assert np.array_equal(np.signbit(fn(x).numpy()), np.signbit(ref(v)))
    assert nt.signbit(x).tolist() == [False, True, False, True, False, True, False, True, False]
    assert nt.signbit(nt.tensor([0, -1, 3])).tolist() == [False, True, False]
    assert nt.signbit(nt.tensor([True, False])).tolist() == [False, False]
    sinc = nt.sinc(x).tolist()
    assert sinc[:2] == [1.0, 1.0] and all(math.isnan(s) for s in sinc[4:7])
    # lgamma: +inf at 0, -0, the negative integers and both infinities
    lg = nt.lgamma(x).tolist()
    assert lg[0] == lg[1] == lg[3] == lg[4] == lg[5] == inf and math.isnan(lg[6])
    assert lg[7] == pytest.approx(math.lgamma(-2.5), rel=1e-14)
    # digamma: -inf at +0, +inf at -0, NaN at negative integers and -inf, reflection for negative non-integers
    dg = nt.digamma(x).tolist()
    assert dg[0] == -inf and dg[1] == inf and math.isnan(dg[3]) and dg[4] == inf and math.isnan(dg[5])
    assert dg[7] == pytest.approx(_digamma(-2.5), rel=1e-8)
    assert nt.digamma(nt.tensor([1.0], dtype=nt.float64)).item() == pytest.approx(-0.5772156649015329, rel=1e-15)
    assert nt.digamma(nt.tensor([0, 1, -3])).tolist()[0] == -inf
    # i0 is even and overflows only in float32
    assert nt.i0(nt.tensor([-3.0, 3.0])).tolist()[0] == nt.i0(nt.tensor([3.0])).item()
    assert nt.i0(nt.tensor([100.0])).item() == inf
    assert nt.i0(nt.tensor([100.0], dtype=nt.float64)).item() == pytest.approx(float(np.i0(100.0)), rel=1e-13)
    # erfinv: NaN outside [-1, 1], +-inf at +-1, keeps -0.0
    e = nt.erfinv(nt.tensor([-1.0, 1.0, 1.5, -1.01, nan, -0.0], dtype=nt.float64)).tolist()
    assert e[:2] == [-inf, inf] and all(math.isnan(t) for t in e[2:5]) and math.copysign(1, e[5]) == -1
    # logit: 0 and 1 give -inf and inf, outside [0, 1] NaN; eps clamps with torch's select order
    assert nt.logit(nt.tensor([0.0, 1.0, 1.5, -0.5])).tolist()[:2] == [-inf, inf]
    assert all(math.isnan(t) for t in nt.logit(nt.tensor([1.5, -0.5, nan])).tolist())
    got = nt.logit(nt.tensor([0.0, 1.0, 0.5, inf, nan], dtype=nt.float64), eps=0.1).numpy()
    np.testing.assert_allclose(got, [math.log(1 / 9), math.log(9), 0.0, math.log(9), nan], rtol=1e-14)
    got = nt.logit(nt.tensor([0.0, 1.0, 0.5], dtype=nt.float64), 0.6).numpy()  # eps > 0.5: x < eps wins
    np.testing.assert_allclose(got, [math.log(1.5), math.log(0.4 / 0.6), math.log(1.5)], rtol=1e-14)


def test_sign_and_sgn_follow_torch_on_nan_and_negative_zero():
    x = nt.tensor([math.nan, -0.0, 2.0, -math.inf])
    for fn in (nt.sign, nt.sgn):
        got = fn(x).tolist()
        assert got == [0.0, 0.0, 1.0, -1.0] and math.copysign(1, got[1]) == 1
    assert nt.sgn(nt.tensor([True, False])).tolist() == [True, False]
    assert nt.sgn(nt.tensor([-3, 0, 4])).tolist() == [-1, 0, 1]


def test_aliases_positive_and_methods(rng):
    x = nt.from_numpy(rng.uniform(1.1, 3, (3, 4)).astype(np.float32))
    for alias, name in ALIASES.items():
        y = x * 0.25 if alias == "arctanh" else x
        assert nt.equal(getattr(nt, alias)(y), getattr(nt, name)(y))
        assert nt.equal(getattr(y, alias)(), getattr(nt, name)(y))
        z = y.clone()
        assert getattr(z, alias + "_")() is z and nt.equal(z, getattr(nt, name)(y))
    i = nt.tensor([1, -2])
    assert nt.positive(i) is i and (+i) is i and i.positive() is i
    with pytest.raises(RuntimeError, match="The `\\+` operator, on a bool tensor is not supported"):
        nt.positive(nt.tensor([True]))
    with pytest.raises(RuntimeError, match="on a bool tensor"):
        _ = +nt.tensor([True])
    for name in ("asinh", "deg2rad", "rad2deg", "sinc", "lgamma", "digamma", "i0", "erfinv"):
        y = x * 0.2 if name == "erfinv" else x
        z = y.clone()
        assert getattr(z, name + "_")() is z
        np.testing.assert_array_equal(z.numpy(), getattr(nt, name)(y).numpy())
        out = nt.empty(3, 4)
        assert getattr(nt, name)(y, out=out) is out and nt.equal(out, getattr(y, name)())
    z = (x * 0.2).clone()
    z.logit_(0.3)
    np.testing.assert_allclose(z.numpy(), _logit((x * 0.2).numpy().astype(np.float64), 0.3), rtol=1e-6,
                               atol=1e-6)
    assert not hasattr(nt.Tensor, "signbit_")
    with pytest.raises(RuntimeError, match="can't be cast"):
        nt.tensor([1, 2]).lgamma_()


def _xlogy(x, y):
    with np.errstate(all="ignore"):
        return np.where(np.isnan(y), np.nan, np.where(x == 0, 0.0, x * np.log(y)))


BINARY_REF = {
    "copysign": np.copysign, "logaddexp": np.logaddexp, "logaddexp2": np.logaddexp2, "xlogy": _xlogy,
    "ldexp": lambda x, y: x * 2.0 ** y, "heaviside": lambda x, y: np.heaviside(x, y),
}
FLOAT_ONLY = {"logaddexp", "logaddexp2", "nextafter"}
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 5), (3, 1)), ((), (3,)), ((0, 3), (3,)),
             ((5,), ())]


@pytest.mark.parametrize("name", sorted(BINARY_REF))
def test_binary(name, rng):
    fn, ref = getattr(nt, name), BINARY_REF[name]
    for dt in ALL_DTYPES:
        if name in FLOAT_ONLY and not dt.is_floating_point:
            continue
        for sa, sb in BROADCAST if dt in LAYOUT_DTYPES else CONTIGUOUS_BROADCAST:
            a, b = random_array(rng, sa, dt, -4, 4), random_array(rng, sb, dt, -4, 4)
            if name == "xlogy" and dt is not nt.bool:
                b = np.asarray(np.abs(b) + (np.array(1, dt.np) if not dt.is_floating_point else 0))
            if name == "heaviside":  # zeros in x pick `values`
                a = np.where(rng.random(sa) < 0.3, np.zeros_like(a), a)
            got = fn(nt.from_numpy(a), nt.from_numpy(b))
            float_result = name in ("copysign", "xlogy", "ldexp") or dt.is_floating_point
            want = dt if name == "heaviside" else (dt if dt.is_floating_point else nt.float32)
            assert got.dtype is want and float_result == got.dtype.is_floating_point, (name, dt)
            a64 = a.astype(np.float64) if got.dtype.is_floating_point else a
            b64 = b.astype(np.float64) if got.dtype.is_floating_point else b
            with np.errstate(all="ignore"):
                exp = np.asarray(ref(a64, b64))
            _check(got, exp, dt, f"{name} {dt} {sa} {sb}", 2)
            if a.ndim == 2 and dt in LAYOUT_DTYPES:  # a non-contiguous left operand
                at = nt.from_numpy(np.ascontiguousarray(a.T)).t()
                _check(fn(at, nt.from_numpy(b)), exp, dt, f"{name} {dt} transposed", 2)


def test_binary_special_values_and_promotion():
    nan, inf = math.nan, math.inf
    x = nt.tensor([0.0, -0.0, 1.5, -2.0, inf, -inf, nan])
    assert nt.copysign(nt.tensor([1, 2]), -1).dtype is nt.float32
    assert nt.copysign(nt.tensor([1, 2]), nt.tensor(-1.0, dtype=nt.float64)).dtype is nt.float64
    assert nt.copysign(nt.tensor([True]), nt.tensor([True])).tolist() == [1.0]
    assert [math.copysign(1, v) for v in nt.copysign(x[:2], -1.0).tolist()] == [-1, -1]
    assert nt.heaviside(x, nt.tensor(0.5)).tolist() == [0.5, 0.5, 1.0, 0.0, 1.0, 0.0, 0.0]  # NaN counts as 0
    assert nt.heaviside(nt.tensor([True, False]), nt.tensor(True)).tolist() == [True, True]
    big = nt.tensor([inf, -inf, inf, nan, 1.0])
    other = nt.tensor([inf, -inf, -inf, 1.0, nan])
    for name in ("logaddexp", "logaddexp2"):
        got = getattr(nt, name)(big, other).tolist()
        assert got[:3] == [inf, -inf, inf] and math.isnan(got[3]) and math.isnan(got[4])
    got = nt.xlogy(nt.tensor([0.0, 0.0, 0.0, 1.0, nan]), nt.tensor([0.0, nan, inf, 0.0, 1.0])).tolist()
    assert got[0] == 0.0 and math.isnan(got[1]) and got[2] == 0.0 and got[3] == -inf and math.isnan(got[4])
    assert nt.xlogy(2, nt.tensor([1.0, 0.0])).tolist() == [0.0, -inf]
    assert nt.xlogy(nt.tensor([0, 3]), 1.0).tolist() == [0.0, 0.0]
    assert nt.xlogy(nt.tensor([0, 3]), nt.tensor([2, 2])).dtype is nt.float32
    for dt in FLOAT_DTYPES:
        a = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 1.0, 1.0, 6e-8, 2 ** -14, 1e-30, 65504], dt.np)
        b = np.array([1.0, -1.0, 0.0, -3.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, -1.0, np.inf], dt.np)
        with np.errstate(all="ignore"):  # float16's 65504 -> inf overflows in the float32 -> float16 store
            got = nt.nextafter(nt.from_numpy(a), nt.from_numpy(b))
            np.testing.assert_array_equal(got.numpy(), np.nextafter(a, b), err_msg=str(dt))
        assert got.dtype is dt
    ld = nt.ldexp(nt.tensor([1.0, 3.0, 1.0]), nt.tensor([200, -2, 3]))
    assert ld.tolist() == [inf, 0.75, 8.0]
    assert nt.ldexp(nt.tensor([1, 2]), nt.tensor([1, 2])).tolist() == [2.0, 8.0]
    assert nt.ldexp(nt.tensor([1.0], dtype=nt.float16), nt.tensor([3])).dtype is nt.float16
    assert nt.ldexp(nt.tensor([1.0], dtype=nt.float64), nt.tensor([1.5])).item() == pytest.approx(2 ** 1.5)


def _int_refs(name):
    def gcd(a, b):
        return math.gcd(a, b)

    def lcm(a, b):
        g = math.gcd(a, b)
        return 0 if g == 0 else abs(a // g * b)

    return {"gcd": gcd, "lcm": lcm}[name]


def _wrap(v, dt):
    bits = np.dtype(dt.np).itemsize * 8
    v &= (1 << bits) - 1
    return v - (1 << bits) if dt is not nt.uint8 and v >= 1 << (bits - 1) else v


def _lshift(a, b, dt):
    bits = np.dtype(dt.np).itemsize * 8
    return 0 if b < 0 or b >= bits else _wrap(a << b, dt)


def _rshift(a, b, dt):
    max_shift = np.dtype(dt.np).itemsize * 8 - (dt is not nt.uint8)
    return a >> (max_shift if b < 0 or b >= max_shift else b)


@pytest.mark.parametrize("name", ["gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"])
def test_integer_ops(name, rng):
    fn = getattr(nt, name)
    for dt in INT_DTYPES:
        for sa, sb in BROADCAST if dt in LAYOUT_DTYPES else CONTIGUOUS_BROADCAST:
            lo = 0 if dt is nt.uint8 else -20
            a = random_array(rng, sa, dt, lo, 20)
            b = random_array(rng, sb, dt, lo if "shift" not in name else (0 if dt is nt.uint8 else -2), 20)
            got = fn(nt.from_numpy(a), nt.from_numpy(b))
            assert got.dtype is dt and got.shape == np.broadcast_shapes(sa, sb)
            ab, bb = np.broadcast_arrays(a, b)
            if name in ("gcd", "lcm"):
                ref = _int_refs(name)
                exp = [_wrap(ref(int(p), int(q)), dt) for p, q in zip(ab.ravel(), bb.ravel())]
            else:
                ref = _lshift if name == "bitwise_left_shift" else _rshift
                exp = [ref(int(p), int(q), dt) for p, q in zip(ab.ravel(), bb.ravel())]
            np.testing.assert_array_equal(got.numpy().ravel(), np.array(exp, dtype=np.int64).astype(dt.np),
                                          err_msg=f"{name} {dt} {sa} {sb}")


def test_integer_ops_signs_limits_and_operators():
    i, j = nt.tensor([0, 1, -3, 5, -12, 0]), nt.tensor([0, -4, 6, 0, -18, 7])
    assert nt.gcd(i, j).tolist() == [0, 1, 3, 5, 6, 7]
    assert nt.lcm(i, j).tolist() == [0, 4, 6, 0, 36, 0]
    assert i.gcd(j).tolist() == [0, 1, 3, 5, 6, 7]
    k = i.clone()
    assert k.lcm_(j) is k and k.tolist() == [0, 4, 6, 0, 36, 0]
    assert nt.gcd(i.int(), j).dtype is nt.int64
    assert nt.lcm(nt.tensor([100000], dtype=nt.int32), nt.tensor([99999], dtype=nt.int32)).tolist() == [1409965408]
    shifts = nt.tensor([64, 63, 65, -1, 1, 70])
    assert nt.bitwise_left_shift(i, shifts).tolist() == [0, -2 ** 63, 0, 0, -24, 0]
    assert nt.bitwise_right_shift(i, shifts).tolist() == [0, 0, -1, 0, -6, 0]
    assert (i << 1).tolist() == [0, 2, -6, 10, -24, 0] and (i >> 1).tolist() == [0, 0, -2, 2, -6, 0]
    assert (1 << i.abs()).tolist() == [1, 2, 8, 32, 4096, 1] and (256 >> i.abs()).tolist() == [256, 128, 32, 8, 0, 256]
    u = nt.tensor([0, 3, 200], dtype=nt.uint8)
    assert (u << 2).dtype is nt.uint8 and (u << 2).tolist() == [0, 12, 32]
    assert nt.bitwise_left_shift(nt.tensor(3), u).tolist() == [3, 24, 0]  # a 0-d tensor does not promote
    b = nt.tensor([True, False])
    assert (b << 1).dtype is nt.int64 and (b << 1).tolist() == [2, 0]
    x = nt.tensor([5, 6])
    x <<= 1
    assert x.tolist() == [10, 12]
    x >>= 2
    assert x.tolist() == [2, 3]
    assert x.bitwise_left_shift_(3) is x and x.tolist() == [16, 24]


def test_errors_match_torch():
    b, i, f = nt.tensor([True, False]), nt.tensor([1, 2]), nt.tensor([1.0, 2.0])
    cases = [
        (lambda: nt.floor_divide(b, b), "\"div_floor_cpu\" not implemented for 'Bool'"),
        (lambda: b // b, "\"div_floor_cpu\" not implemented for 'Bool'"),
        (lambda: nt.div(b, b, rounding_mode="trunc"), "\"div_trunc_cpu\" not implemented for 'Bool'"),
        (lambda: nt.fmod(b, b), "\"fmod_cpu\" not implemented for 'Bool'"),
        (lambda: nt.fmod(b, True), "\"fmod_cpu\" not implemented for 'Bool'"),
        (lambda: nt.remainder(b, b), "\"remainder_cpu\" not implemented for 'Bool'"),
        (lambda: b % b, "\"remainder_cpu\" not implemented for 'Bool'"),
        (lambda: b.clone().remainder_(b), "\"remainder_cpu\" not implemented for 'Bool'"),
        (lambda: nt.logaddexp(i, i), "\"logaddexp_cpu\" not implemented for 'Long'"),
        (lambda: nt.logaddexp2(b, b), "\"logaddexp2_cpu\" not implemented for 'Bool'"),
        (lambda: nt.nextafter(i, i), "\"nextafter_cpu\" not implemented for 'Long'"),
        (lambda: nt.gcd(f, f), "\"gcd_cpu\" not implemented for 'Float'"),
        (lambda: nt.lcm(b, b), "\"lcm_cpu\" not implemented for 'Bool'"),
        (lambda: nt.bitwise_left_shift(b, b), "\"lshift_cpu\" not implemented for 'Bool'"),
        (lambda: b >> b, "\"rshift_cpu\" not implemented for 'Bool'"),
        (lambda: i << 1.5, "\"lshift_cpu\" not implemented for 'Float'"),
        (lambda: 2.5 << i, "\"lshift_cpu\" not implemented for 'Float'"),
    ]
    for call, message in cases:
        with pytest.raises(NotImplementedError, match=message.replace("(", "\\(")):
            call()
    with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with different dtypes"):
        nt.heaviside(i, nt.tensor(0.5))
    with pytest.raises(TypeError, match="argument 'values' \\(position 2\\) must be Tensor, not float"):
        nt.heaviside(f, 0.5)
    with pytest.raises(TypeError, match="argument 'other' \\(position 2\\) must be Tensor, not int"):
        nt.gcd(i, 4)
    # what still works on bool: a number divisor promotes, fmax/fmin are or/and
    assert nt.floor_divide(b, 1).tolist() == [1, 0] and nt.remainder(b, 1).tolist() == [0, 0]
    assert nt.fmod(b, 2.0).tolist() == [1.0, 0.0]
    assert nt.fmax(b, nt.tensor([False, False])).tolist() == [True, False]
    assert nt.fmin(b, nt.tensor([True, True])).tolist() == [True, False]
    assert nt.fmax(b, nt.tensor([False, False])).dtype is nt.bool


def test_numpy_scalars_act_as_python_numbers():
    f = nt.ones(2, 3)
    for s in (np.float16(1.5), np.float32(1.5), np.float64(1.5)):
        got = nt.add(s, f)
        assert got.dtype is nt.float32 and got.tolist() == [[2.5] * 3] * 2
    assert nt.add(nt.tensor(1.5, dtype=nt.float16), f).dtype is nt.float32
    assert nt.add(nt.ones(2, dtype=nt.float16), np.float64(1.0)).dtype is nt.float16
    assert nt.add(nt.tensor([1, 2], dtype=nt.int32), np.int64(1)).dtype is nt.int32
    g = nt.ones(3)
    g.add_(np.float16(0.5))
    assert g.tolist() == [1.5, 1.5, 1.5]


# -- gradients --------------------------------------------------------------------------------------------

RNG = np.random.default_rng(1)


def leaf(low, high, shape=(3, 4)):
    return nt.from_numpy(RNG.uniform(low, high, shape)).requires_grad_()


UNARY_GRAD = {
    "asinh": (-2, 2), "acosh": (1.2, 3), "atanh": (-0.8, 0.8), "arcsinh": (-2, 2), "deg2rad": (-9, 9),
    "rad2deg": (-2, 2), "sinc": (-2, 2), "logit": (0.1, 0.9), "lgamma": (0.3, 4), "digamma": (0.3, 4), "i0": (-3, 9),
    "erfinv": (-0.9, 0.9), "sgn": (-2, 2),
}


@pytest.mark.parametrize("name", sorted(UNARY_GRAD))
def test_unary_gradients(name):
    assert gradcheck(getattr(nt, name), (leaf(*UNARY_GRAD[name]),))


def test_special_gradient_edges():
    assert gradcheck(lambda t: nt.logit(t, eps=0.2), (leaf(0.25, 0.75),))
    assert gradcheck(nt.lgamma, (leaf(-2.9, -2.1),))  # the reflection branch of digamma
    assert gradcheck(nt.digamma, (leaf(-0.9, -0.1),))  # the reflection branch of trigamma
    x = nt.tensor([0.0, 0.05], dtype=nt.float64, requires_grad=True)
    nt.sinc(x).sum().backward()
    assert x.grad.tolist()[0] == 0.0
    x = nt.tensor([0.0, 0.5, 1.5, -0.1], dtype=nt.float64, requires_grad=True)
    nt.logit(x, eps=0.1).sum().backward()
    g = x.grad.tolist()
    assert g[0] == 0.0 and g[2] == 0.0 and g[1] == pytest.approx(4.0)
    x = nt.tensor([1.5, 0.5], dtype=nt.float64, requires_grad=True)
    nt.logit(x).sum().backward()
    assert math.isnan(x.grad.tolist()[0]) and x.grad.tolist()[1] == pytest.approx(4.0)
    # the second derivative of digamma (polygamma of order 2) is not implemented: it says so
    x = leaf(0.5, 2, (3,))
    (g,) = nt.autograd.grad(nt.digamma(x).sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="polygamma"):
        g.sum().backward()
    # i0'' goes through i1's derivative
    x = leaf(-3, 3, (3,))
    (g,) = nt.autograd.grad(nt.i0(x).sum(), x, create_graph=True)
    (h,) = nt.autograd.grad(g.sum(), x)
    xv = x.detach().numpy()
    np.testing.assert_allclose(h.numpy(), np.i0(xv) - (g.detach().numpy() / xv), rtol=1e-10)


BINARY_GRAD = {
    "copysign": (nt.copysign, (-2, 2), (-2, 2)), "logaddexp": (nt.logaddexp, (-3, 3), (-3, 3)),
    "logaddexp2": (nt.logaddexp2, (-3, 3), (-3, 3)), "xlogy": (nt.xlogy, (-2, 2), (0.5, 3)),
    "ldexp": (nt.ldexp, (-2, 2), (-2, 2)),
}


@pytest.mark.parametrize("name", sorted(BINARY_GRAD))
def test_binary_gradients_with_broadcasting(name):
    fn, ra, rb = BINARY_GRAD[name]
    assert gradcheck(fn, (leaf(*ra, (3, 1)), leaf(*rb, (4,))))
    # torch's ldexp/logaddexp/logaddexp2 take no Python number (TypeError): a 0-d tensor there
    other = 1.5 if name in ("copysign", "xlogy") else nt.tensor(1.5, dtype=nt.float64)
    assert gradcheck(lambda a: fn(a, other), (leaf(*ra),))


@pytest.mark.parametrize("name", ["atan2", "hypot", "maximum", "minimum", "fmax", "fmin", "logical_and", "logical_or",
                                  "logical_xor", "ldexp", "logaddexp", "logaddexp2", "nextafter", "isclose", "equal"])
def test_tensor_only_binary_functions_refuse_python_numbers(name):
    """torch's signature for these is (Tensor, Tensor): a Python number raises TypeError, in either position."""
    x = nt.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=f"^{name}\\(\\): argument 'other' must be Tensor, not float$"):
        getattr(nt, name)(x, 2.5)
    with pytest.raises(TypeError, match=f"^{name}\\(\\): argument 'input' must be Tensor, not int$"):
        getattr(nt, name)(2, x)


def test_bool_add_with_alpha_adds_other_when_alpha_is_nonzero():
    """torch computes a bool `a + alpha * b` as a or (b and alpha): alpha=2 counts as True, 0 as False."""
    a, b = nt.tensor([True, False, False]), nt.tensor([False, True, False])
    assert nt.add(a, b, alpha=2).tolist() == [True, True, False]
    assert nt.add(a, b, alpha=0).tolist() == [True, False, False]


def test_gradient_values_of_zero_and_not_implemented_backwards():
    a, b = leaf(-2, 2, (3,)), leaf(-2, 2, (3,))
    nt.copysign(a, b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), 0.0)
    np.testing.assert_array_equal(a.grad.numpy(), np.sign(a.detach().numpy()) * np.sign(b.detach().numpy()))
    a, b = leaf(-2, 2, (3,)), leaf(-2, 2, (3,))
    nt.nextafter(a, b).sum().backward()
    assert a.grad.tolist() == [1.0] * 3 and b.grad.tolist() == [0.0] * 3
    a = nt.tensor([0.0, 2.0], dtype=nt.float64, requires_grad=True)
    nt.xlogy(a, nt.tensor([0.0, 3.0], dtype=nt.float64)).sum().backward()
    assert a.grad.tolist() == [0.0, pytest.approx(math.log(3.0))]
    h = nt.heaviside(leaf(-1, 1, (3,)), nt.tensor(0.5, dtype=nt.float64))
    assert h.requires_grad and h.grad_fn is not None
    with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):  # torch's words
        h.sum().backward()


# The public names this file adds to ntorch, classified as tests/test_autograd_coverage.py does.
DIFFERENTIABLE = ["asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "positive", "sgn",
                  "copysign", "heaviside", "logaddexp", "logaddexp2", "xlogy", "nextafter", "ldexp", "sinc", "logit",
                  "lgamma", "digamma", "i0", "erfinv"]
NOT_DIFFERENTIABLE = ["signbit", "gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"]


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_differentiable_new_ops_record_a_node(name):
    op = getattr(nt, name)
    a = leaf(0.6, 0.9, (2, 3))
    out = op(a, nt.ones(2, 3, dtype=nt.float64)) if name in BINARY_REF or name in ("nextafter",) else op(a + 0.5)
    assert out.requires_grad and out.grad_fn is not None


@pytest.mark.parametrize("name", NOT_DIFFERENTIABLE)
def test_integer_and_bool_ops_record_nothing(name):
    a = nt.tensor([3, -4, 6])
    out = getattr(nt, name)(a) if name == "signbit" else getattr(nt, name)(a, nt.tensor([1, 2, 3]))
    assert not out.dtype.is_floating_point and out.grad_fn is None


def test_every_new_op_is_supported_on_its_dtypes():
    for name in ("lgamma", "digamma", "i0", "erfinv", "logit", "copysign", "xlogy", "ldexp"):
        assert set(dispatch.supported_dtypes(name)) == {*FLOAT_DTYPES, nt.bfloat16}
    for name in ("asinh", "sinc"):  # (torch has complex forms of these)
        assert set(dispatch.supported_dtypes(name)) == {*FLOAT_DTYPES, nt.bfloat16, nt.complex64, nt.complex128}
    for name in ("gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"):
        assert set(dispatch.supported_dtypes(name)) == set(INT_DTYPES)
    for name in ("signbit", "heaviside", "fmax", "fmin"):
        assert set(dispatch.supported_dtypes(name)) == {*ALL_DTYPES, nt.bfloat16}


def test_relu_and_round_keep_negative_zero():
    """torch: relu(-0.0) is -0.0 (only x < 0 is replaced) and round keeps the sign: round(-0.25) is -0.0."""
    for dt in (nt.float16, nt.float32, nt.float64):
        x = nt.tensor([-0.0, 0.0, -0.25, -1.5, 0.5, 2.5, math.nan], dtype=dt)
        r = nt.relu(x).numpy()
        np.testing.assert_array_equal(r, [0, 0, 0, 0, 0.5, 2.5, math.nan])
        assert list(np.signbit(r[:4])) == [True, False, False, False]
        assert list(np.signbit(x.clone().relu_().numpy()[:2])) == [True, False]
        o = nt.round(x).numpy()
        np.testing.assert_array_equal(o, [0, 0, 0, -2, 0, 2, math.nan])
        assert list(np.signbit(o[:6])) == [True, False, True, True, False, False]


def test_lerp_and_float_power_dtype_rules():
    with pytest.raises(NotImplementedError, match="^\"lerp_kernel_scalar\" not implemented for 'Long'$"):
        nt.lerp(nt.tensor([1, 2]), nt.tensor([3, 4]), 0.5)
    with pytest.raises(NotImplementedError, match="^\"lerp_kernel_tensor\" not implemented for 'Bool'$"):
        nt.lerp(nt.tensor([True]), nt.tensor([False]), nt.tensor([0.5]))
    out = nt.empty(0, dtype=nt.float64)
    assert nt.float_power(nt.tensor([2, 3]), 2, out=out) is out and out.tolist() == [4.0, 9.0]
    with pytest.raises(RuntimeError, match="^the output given to float_power has dtype Float but the operation's "
                                           "result requires dtype Double$"):
        nt.float_power(nt.ones(2), 2, out=nt.empty(2))


def test_bool_in_place_add_with_alpha():
    a = nt.tensor([True, False, False])
    a.add_(nt.tensor([False, True, False]), alpha=2)
    assert a.tolist() == [True, True, False]


def test_max_min_clamp_keep_the_first_operand_on_a_tie():
    """torch's maximum / minimum / clamp return x itself on a tie (std::max's rule): the sign of a zero survives."""
    a = nt.tensor([-0.0, 0.0, -0.0])
    b = nt.tensor([0.0, -0.0, -0.0])
    for fn in (nt.maximum, nt.minimum):
        np.testing.assert_array_equal(np.signbit(fn(a, b).numpy()), np.signbit(a.numpy()))
    for res in (nt.clamp(a, min=0.0), nt.clamp(a, max=0.0), nt.clamp(a, 0.0, 0.0), nt.nn.functional.relu6(a),
                nt.nn.functional.hardtanh(a)):
        np.testing.assert_array_equal(np.signbit(res.numpy()), np.signbit(a.numpy()))
    nan = float("nan")
    assert np.isnan(nt.clamp(nt.tensor([1.0]), min=nan).item())
    assert np.isnan(nt.clamp(nt.tensor([1.0]), 0.0, nan).item())
    np.testing.assert_array_equal(nt.clamp(nt.tensor([3.0, -3.0, 0.7]), 1.0, 0.5).numpy(), [0.5, 0.5, 0.5])
