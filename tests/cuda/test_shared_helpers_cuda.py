"""Every scalar helper kernels/cpu/scalar.py shares with the CUDA kernels gives the same values in a CUDA
elementwise kernel (compiled for the device, or run under the simulator) as in a CPU elementwise kernel, on
special inputs (signed zeros, infinities, NaN, the helpers' branch points)."""

import itertools

import numpy as np
import pytest
from cuda_util import GPU, dev, empty, host
from ntorch.kernels.cpu.elementwise import ElementwiseKernel
from ntorch.kernels.cuda.elementwise import CudaElementwiseKernel
from ntorch.kernels.cuda.scalar import SHARED

_SPECIAL = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -2.5, 2.5, 3.0, 7.9, 8.1, 10.0, 24.9, 25.1, 30.0, 1e-9, -1e-9,
            1e10, -7.0, 103.0, 110.0, np.inf, -np.inf, np.nan]
_DEGREES = [-1.0, 0.0, 1.0, 2.0, 5.0, 7.0, 9.0, 12.0]
_INTS = [0, 1, -1, 2, -2, 3, -7, 12, 63, 64, -64, 2**40]

# helper -> (expression, params, operand values per operand, dtypes); `h` stands for the helper's name
_F = ("float32", "float64")
_CASES = {
    **{h: ("h(x)", (), [_SPECIAL], _F) for h in (
        "ffloor", "ftrunc", "fexp2", "fsign", "round_half_even", "frac", "digamma", "trigamma", "i0", "i1", "erfinv",
        "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "i0e", "i1e", "spherical_bessel_j0", "airy_ai")},
    **{h: ("h(x, y)", (), [_SPECIAL, _SPECIAL], _F) for h in (
        "ffmod", "remainder_float", "floor_divide_float", "maximum_nan", "minimum_nan", "fmax", "fmin", "xlogy",
        "logaddexp",
        "logaddexp2")},
    "nextafter_f16": ("h(x, y)", (), [_SPECIAL, _SPECIAL], ("float32",)),
    "nextafter_bf16": ("h(x, y)", (), [_SPECIAL, _SPECIAL], ("float32",)),
    "clamp_nan": ("h(x, y, z)", (), [_SPECIAL, [-1.0, 0.0, np.nan], [0.0, 2.0, np.nan]], _F),
    "lerp": ("h(x, y, z)", (), [_SPECIAL, [-1.0, 2.5, np.inf], [0.0, 0.3, 0.7, 1.0]], _F),
    "fma": ("h(x, y, z)", (), [_SPECIAL, [1.0 + 2.0 ** -23, -3.0, np.inf], [-1.0, -0.0, 0.5, np.nan]], _F),
    "one_like": ("h(x) - x", (), [_SPECIAL], _F),
    "erf_rational_f32": ("h(x)", (), [_SPECIAL + [2.0 ** -13, 3.9, -0.7]], ("float32",)),
    "gelu_f32": ("h(x)", (), [_SPECIAL + [-5.0, -0.7]], ("float32",)),
    "round_decimals": ("h(x, p0)", (2,), [_SPECIAL], _F),
    "nan_to_num": ("h(x, T(p0), T(p1), T(p2))", (0.0, 100.0, -100.0), [_SPECIAL], _F),
    "isclose": ("h(x, y, p0, p1, p2)", (1e-5, 1e-8, True), [_SPECIAL, _SPECIAL], _F),
    "logit": ("h(x, T(p0), T(1), p0 >= 0)", (0.05,), [_SPECIAL], _F),
    "bessel_k": ("h(x, 0, False) + h(x, 1, True) * T(3)", (), [_SPECIAL], _F),
    "igamma": ("h(x, y, False) + h(x, y, True) * T(3)", (), [_SPECIAL, _SPECIAL], _F),
    **{h: ("h(x, y)", (), [_SPECIAL[:16] + [-0.99, 0.99, np.nan], _DEGREES], _F) for h in (
        "chebyshev_t", "chebyshev_u", "chebyshev_v", "chebyshev_w", "hermite_h", "hermite_he", "laguerre_l",
        "legendre_p")},
    **{h: ("h(x, y)", (), [_INTS, [v for v in _INTS if v]], ("int64",)) for h in (
        "remainder_int", "trunc_divide_int", "gcd", "lcm")},
    "sign": ("h(x)", (), [_INTS], ("int64",)),
    "pow_int": ("h(x, y)", (), [_INTS[:8], [0, 1, 2, 3, 5, -1, -2]], ("int64",)),
    "lshift": ("h(x, y, 64)", (), [_INTS, _INTS], ("int64",)),
    "rshift": ("h(x, y, 63)", (), [_INTS, _INTS], ("int64",)),
}
# called only through the helpers above
_INTERNAL = {"chbevl", "three_term", "bessel_jy_small", "bessel_jy_asymptotic", "bessel_k_scaled_integral",
             "bessel_k_small", "igamma_series", "igamma_fraction"}
# complex-only helpers, tested through complex ops on CUDA (test_complex_cuda.py): cdiv through division and
# reciprocal, cpow (and the C99 product cmul_c99 it uses at a zero base) through pow
_COMPLEX_ONLY = {"cdiv", "cpow", "cmul_c99"}

_PARAMS = [(h, dt) for h, (_, _, _, dts) in _CASES.items() for dt in dts]


def test_every_shared_helper_is_covered():
    assert set(SHARED) == set(_CASES) | _INTERNAL | _COMPLEX_ONLY


def _operands(values: list, dt: str) -> list:
    """Every combination of the operands' values, one element each."""
    grid = list(itertools.product(*values))
    return [np.array([g[k] for g in grid], dt) for k in range(len(values))]


@pytest.mark.parametrize("helper,dt", _PARAMS, ids=[f"{h}-{dt}" for h, dt in _PARAMS])
def test_shared_helper_matches_the_cpu(helper, dt):
    template, params, values, _ = _CASES[helper]
    expr = template.replace("h(", helper + "(")
    operands = _operands(values, dt)
    cpu = ElementwiseKernel(f"shared_{helper}", expr, dt, len(operands), len(params))
    want = np.empty(operands[0].shape, "bool" if helper == "isclose" else dt)
    with np.errstate(all="ignore"):
        cpu(want, *operands, params=params)
    got = empty(want.shape, want.dtype)
    CudaElementwiseKernel(f"shared_{helper}", expr, dt, len(operands), len(params))(
        got, *[dev(a) for a in operands], params=params)
    got = host(got)
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
    elif not GPU:  # the simulator runs the scalar CPU code, the CPU kernel its vector loop: an ulp or two
        tol = dict(rtol=3e-7, atol=0) if dt == "float32" else dict(rtol=1e-14, atol=0)
        np.testing.assert_allclose(got, want, equal_nan=True, **tol)
    else:  # libdevice against the CPU's libm: a few ulps, amplified by the series and recurrences
        tol = dict(rtol=1e-4, atol=1e-6) if dt == "float32" else dict(rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(got, want, equal_nan=True, **tol)
