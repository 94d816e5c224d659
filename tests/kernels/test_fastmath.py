"""Tests for ntorch.kernels.cpu.fastmath: ulp error against float64 references over dense sweeps of each
function's domain plus random bit patterns, exact special values, and that the functions inline and
vectorize inside a caller's loop."""

import math
import re
import subprocess
import sys

import numba
import numpy as np
import pytest
from ntorch.kernels.cpu import fastmath as fm

f32 = np.float32
NAN, INF = float("nan"), float("inf")

# Loops driving the scalar functions, as a caller in the library would.  Not cache=True: Numba's cache
# is keyed on this file only and would keep loops compiled against an older fastmath.py.


@numba.njit(error_model="numpy")
def apply(f, x, out):
    for i in range(x.size):
        out[i] = f(x[i])


@numba.njit(error_model="numpy")
def apply_softplus(x, beta, threshold, out):
    for i in range(x.size):
        out[i] = fm.softplus_f32(x[i], beta, threshold)


# float64 references; erf/erfc through libm in float64


@numba.njit
def _ref_erf(x):
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = math.erf(x[i])
    return out


@numba.njit
def _ref_erfc(x):
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = math.erfc(x[i])
    return out


@numba.njit
def _ref_gelu_erf(x):
    # x*Phi(x) with Phi through erfc: keeps relative accuracy for negative x, where 1 + erf(x/sqrt2) cancels
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = 0.5 * x[i] * math.erfc(-x[i] / math.sqrt(2.0))
    return out


def _sigmoid64(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _gelu_tanh64(x):
    v = 2.0 * math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)  # 0.5*(1 + tanh(v/2)) = sigmoid(v)
    return x * _sigmoid64(v)


def _softplus64(x, beta=1.0, threshold=20.0):
    z = x * beta
    return np.where(z > threshold, x, (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta)


# name: (reference, dense sweep range or None for the positive floats, max ulp asserted)
CASES = {
    "exp_f32": (np.exp, (-104.0, 89.0), 1),
    "exp2_f32": (np.exp2, (-150.0, 128.0), 1),
    "expm1_f32": (np.expm1, (-20.0, 89.0), 1),
    "log_f32": (np.log, None, 1),
    "log2_f32": (np.log2, None, 1),
    "log10_f32": (np.log10, None, 1),
    "log1p_f32": (np.log1p, (-1.0, 10.0), 1),
    "tanh_f32": (np.tanh, (-10.0, 10.0), 2),
    "sigmoid_f32": (_sigmoid64, (-105.0, 30.0), 3),
    "silu_f32": (lambda x: x * _sigmoid64(x), (-110.0, 30.0), 3),
    "erf_f32": (_ref_erf, (-4.0, 4.0), 2),
    "erfc_f32": (_ref_erfc, (-4.0, 10.1), 3),
    "gelu_tanh_f32": (_gelu_tanh64, (-12.0, 10.0), 3),
    "gelu_erf_f32": (_ref_gelu_erf, (-15.0, 10.0), 4),
}
N = 3_000_000


def _inputs(rng, domain, n=N):
    """Random bit patterns (all of float32) + a dense linear sweep of the domain + values spread
    logarithmically from denormals up to about 3 in magnitude (accuracy near zero)."""
    parts = [rng.integers(-(2**31), 2**31, n // 4, dtype=np.int64).astype(np.int32).view(f32)]
    if domain is None:  # positive floats: random bit patterns and a dense sweep of one binade pair
        parts.append(rng.integers(0, 0x7F800000, n // 2, dtype=np.int64).astype(np.int32).view(f32))
        parts.append(np.linspace(0.5, 2.0, n // 4, dtype=f32))
    else:
        parts.append(np.linspace(domain[0], domain[1], n // 2).astype(f32))
        mag = 10.0 ** rng.uniform(-45, 0.5, n // 4)
        parts.append((rng.choice([-1.0, 1.0], n // 4) * mag).astype(f32))
    x = np.concatenate(parts)
    return x[~np.isnan(x)]


def _ordered(a):
    """float32 -> integers in the same order, adjacent floats differing by 1 (-0.0 and +0.0 both 0)."""
    i = a.view(np.int32).astype(np.int64)
    return np.where(i < 0, -(i & 0x7FFFFFFF), i)


def ulp_errors(out, ref):
    """|out - ref| in float32 ulps, counting the float32 values between out and ref rounded to
    float32.  Non-finite references must be matched exactly (returned separately)."""
    with np.errstate(over="ignore", invalid="ignore"):
        ref32 = ref.astype(f32)
    finite = np.isfinite(ref32)
    d = np.abs(_ordered(out[finite]) - _ordered(ref32[finite]))
    nonfinite_ok = (out[~finite] == ref32[~finite]) | (np.isnan(out[~finite]) & np.isnan(ref32[~finite]))
    return d, nonfinite_ok


def _run(name, x):
    out = np.empty_like(x)
    apply(getattr(fm, name), x, out)
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_ulp_error(name):
    ref_fn, domain, bound = CASES[name]
    rng = np.random.default_rng(list(CASES).index(name))
    x = _inputs(rng, domain)
    out = _run(name, x)
    with np.errstate(all="ignore"):
        ref = np.asarray(ref_fn(x.astype(np.float64)), dtype=np.float64)
    d, nonfinite_ok = ulp_errors(out, ref)
    with np.errstate(over="ignore"):
        finite = np.isfinite(ref.astype(f32))
    worst = int(np.argmax(d))
    assert d.max() <= bound, f"{name}: {d.max()} ulp at x={x[finite][worst]!r}: got {out[finite][worst]!r}"
    assert nonfinite_ok.all(), f"{name}: non-finite results differ at x={x[~finite][~nonfinite_ok][:5]}"


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 20.0), (0.5, 5.0)])
def test_softplus(beta, threshold):
    rng = np.random.default_rng(1)
    x = _inputs(rng, (-120.0 / beta, 40.0 / beta), 600_000)
    out = np.empty_like(x)
    apply_softplus(x, f32(beta), f32(threshold), out)
    with np.errstate(all="ignore"):
        ref = _softplus64(x.astype(np.float64), beta, threshold)
        # PyTorch's rule compares the float32 product x*beta with the threshold
        ref = np.where(x * f32(beta) > f32(threshold), x.astype(np.float64), ref)
    d, nonfinite_ok = ulp_errors(out, ref)
    assert d.max() <= 2 and nonfinite_ok.all()


class A(float):
    """An expected value computed in float64: the result may be either float32 neighbour of it."""


# special values: (function, inputs, expected); plain numbers must match exactly, sign of zero included
SPECIAL = [
    (
        "exp_f32",
        [NAN, INF, -INF, 0.0, -0.0, 89.0, 88.72284, 88.72283, -103.0, -104.0, -110.0],
        [NAN, INF, 0.0, 1.0, 1.0, INF, INF, A(math.exp(f32(88.72283))), A(math.exp(-103.0)), A(math.exp(-104.0)), 0.0],
    ),
    (
        "exp2_f32",
        [NAN, INF, -INF, 0.0, 1.0, 10.0, -10.0, 127.0, 128.0, -126.0, -149.0, -150.0, -149.5, 127.99999],
        [
            NAN,
            INF,
            0.0,
            1.0,
            2.0,
            1024.0,
            2.0**-10,
            2.0**127,
            INF,
            2.0**-126,
            2.0**-149,
            0.0,
            2.0**-149,
            A(2.0 ** float(f32(127.99999))),
        ],
    ),
    (
        "expm1_f32",
        [NAN, INF, -INF, 0.0, -0.0, 1e-30, -1e-30, 1e-45, -50.0, 89.0, 88.7],
        [NAN, INF, -1.0, 0.0, -0.0, f32(1e-30), f32(-1e-30), f32(1e-45), -1.0, INF, A(math.expm1(f32(88.7)))],
    ),
    (
        "log_f32",
        [NAN, INF, -INF, 0.0, -0.0, -1.0, -1e-45, 1.0, 1e-45, 3.4028235e38],
        [NAN, INF, NAN, -INF, -INF, NAN, NAN, 0.0, A(math.log(f32(1e-45))), A(math.log(f32(3.4028235e38)))],
    ),
    (
        "log2_f32",
        [NAN, INF, -INF, 0.0, -0.0, -1.0, 1.0, 2.0, 0.5, 2.0**-149, 2.0**-130, 2.0**127],
        [NAN, INF, NAN, -INF, -INF, NAN, 0.0, 1.0, -1.0, -149.0, -130.0, 127.0],
    ),
    (
        "log10_f32",
        [NAN, INF, -INF, 0.0, -0.0, -1.0, 1.0, 10.0, 1e-45],
        [NAN, INF, NAN, -INF, -INF, NAN, 0.0, A(1.0), A(math.log10(f32(1e-45)))],
    ),
    (
        "log1p_f32",
        [NAN, INF, -INF, 0.0, -0.0, -1.0, -2.0, 1e-30, -1e-30, 1e-45, 3.4028235e38],
        [NAN, INF, NAN, 0.0, -0.0, -INF, NAN, f32(1e-30), f32(-1e-30), f32(1e-45), A(math.log(f32(3.4028235e38)))],
    ),
    (
        "tanh_f32",
        [NAN, INF, -INF, 0.0, -0.0, 1e-45, -1e-30, 20.0, -20.0, 3e38],
        [NAN, 1.0, -1.0, 0.0, -0.0, f32(1e-45), f32(-1e-30), 1.0, -1.0, 1.0],
    ),
    (
        "sigmoid_f32",
        [NAN, INF, -INF, 0.0, -0.0, 20.0, -100.0, -110.0, 3e38, -3e38],
        [NAN, 1.0, 0.0, 0.5, 0.5, A(1.0 / (1.0 + math.exp(-20.0))), A(math.exp(-100.0)), 0.0, 1.0, 0.0],
    ),
    ("silu_f32", [NAN, INF, -INF, 0.0, -0.0, -3e38, 3e38, -120.0], [NAN, INF, -0.0, 0.0, -0.0, -0.0, f32(3e38), -0.0]),
    (
        "erf_f32",
        [NAN, INF, -INF, 0.0, -0.0, 1e-45, -1e-30, 4.0, -4.0, 3e38],
        [NAN, 1.0, -1.0, 0.0, -0.0, f32(1e-45), A(math.erf(f32(-1e-30))), 1.0, -1.0, 1.0],
    ),
    (
        "erfc_f32",
        [NAN, INF, -INF, 0.0, -0.0, 10.0, 10.1, 30.0, -30.0, 3e38],
        [NAN, 0.0, 2.0, 1.0, 1.0, A(math.erfc(10.0)), 0.0, 0.0, 2.0, 0.0],
    ),
    (
        "gelu_tanh_f32",
        [NAN, INF, -INF, 0.0, -0.0, -30.0, 3e38, -3e38],
        [NAN, INF, -0.0, 0.0, -0.0, -0.0, f32(3e38), -0.0],
    ),
    (
        "gelu_erf_f32",
        [NAN, INF, -INF, 0.0, -0.0, -30.0, 30.0, 3e38, -3e38],
        [NAN, INF, -0.0, 0.0, -0.0, -0.0, 30.0, f32(3e38), -0.0],
    ),
]


@pytest.mark.parametrize("name,xs,expected", SPECIAL, ids=[s[0] for s in SPECIAL])
def test_special_values(name, xs, expected):
    x = np.array(xs, dtype=f32)
    out = _run(name, x)
    for xi, o, e in zip(x, out, expected):
        if isinstance(e, A):
            lo, hi = np.nextafter(f32(e), f32(-INF)), np.nextafter(f32(e), f32(INF))
            assert lo <= o <= hi, f"{name}({xi!r}) = {o!r}, expected about {float(e)!r}"
        elif math.isnan(e):
            assert np.isnan(o), f"{name}({xi!r}) = {o!r}, expected nan"
        else:
            assert o == f32(e) and np.signbit(o) == np.signbit(f32(e)), f"{name}({xi!r}) = {o!r}, expected {e!r}"


def test_softplus_special_values():
    x = np.array([NAN, INF, -INF, 0.0, -0.0, 25.0, 19.0, -200.0], dtype=f32)
    out = np.empty_like(x)
    apply_softplus(x, f32(1.0), f32(20.0), out)
    assert np.isnan(out[0]) and out[1] == INF and out[2] == 0.0
    assert out[3] == out[4] == f32(math.log(2.0))
    assert out[5] == f32(25.0)  # above the threshold: x itself
    assert out[6] == f32(19.0 + math.log1p(math.exp(-19.0)))
    assert out[7] == 0.0


def test_exact_results():
    k = np.arange(-149, 128, dtype=f32)
    np.testing.assert_array_equal(_run("exp2_f32", k), np.exp2(k.astype(np.float64)).astype(f32))
    np.testing.assert_array_equal(_run("log2_f32", np.exp2(k.astype(np.float64)).astype(f32)), k)
    assert _run("exp_f32", np.array([0.0], f32))[0] == 1.0
    assert _run("log_f32", np.array([1.0], f32))[0] == 0.0


def test_odd_functions_symmetric():
    x = np.linspace(-12, 12, 200_001).astype(f32)
    for name in ("tanh_f32", "erf_f32"):
        out = _run(name, x)
        np.testing.assert_array_equal(out, -out[::-1], err_msg=name)
    # erfc(-x) = 2 - erfc(x), sigmoid(-x) = 1 - sigmoid(x): consistent to rounding
    np.testing.assert_allclose(_run("erfc_f32", -x), 2.0 - _run("erfc_f32", x).astype(np.float64), rtol=0, atol=2.5e-7)
    s = _run("sigmoid_f32", x).astype(np.float64) + _run("sigmoid_f32", -x)
    np.testing.assert_allclose(s, 1.0, rtol=0, atol=2.5e-7)


@numba.njit(error_model="numpy", fastmath=True)
def _apply_fast_caller(x, out):
    for i in range(x.size):
        out[i] = fm.exp_f32(x[i]) + fm.log_f32(x[i]) + fm.erfc_f32(x[i])


def test_nan_inf_survive_fastmath_caller():
    """The functions keep their own flags when inlined into a caller compiled with fastmath=True."""
    x = np.array([NAN, INF, -INF, -1.0], dtype=f32)
    out = np.empty_like(x)
    _apply_fast_caller(x, out)
    assert np.isnan(out[0]) and out[1] == INF and np.isnan(out[2]) and np.isnan(out[3])


@pytest.mark.parametrize("name", ["exp_f32", "log1p_f32", "erfc_f32", "gelu_erf_f32", "gelu_tanh_f32"])
def test_inlined_and_vectorized(name):
    """The caller's loop must contain vector float arithmetic and no call to the scalar function."""
    x = np.ones(64, f32)
    out = np.empty_like(x)
    f = getattr(fm, name)
    apply(f, x, out)
    sig = [s for s in apply.signatures if s[0] == numba.typeof(f)][0]
    llvm = apply.inspect_llvm(sig)
    assert re.search(r"<\d+ x float>", llvm), "loop not vectorized"
    calls = [line for line in llvm.splitlines() if " call " in line]
    assert not any("8fastmath" in line for line in calls), "not inlined"  # mangled ntorch...fastmath.*


def test_softplus_inlined_and_vectorized():
    x = np.ones(64, f32)
    out = np.empty_like(x)
    apply_softplus(x, f32(1), f32(20), out)
    llvm = apply_softplus.inspect_llvm(apply_softplus.signatures[0])
    assert re.search(r"<\d+ x float>", llvm)
    assert not any("8fastmath" in line for line in llvm.splitlines() if " call " in line)


def test_import_compiles_nothing():
    code = (
        "import numba\n"
        "from ntorch.kernels.cpu import fastmath as fm\n"
        "ds = [v for v in vars(fm).values() if isinstance(v, numba.core.dispatcher.Dispatcher)]\n"
        "assert len(ds) > 15 and not any(d.signatures for d in ds), [d for d in ds if d.signatures]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
