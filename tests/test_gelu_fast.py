"""gelu (erf form) on float32 uses a one-pass rational erf (kernels/cpu/scalar.py erf_rational_f32): its error
against math.erf over a sample of every binade, special values, and gelu against a float64 oracle."""

import math

import numpy as np
import pytest
from ntorch.kernels.cpu.elementwise import ElementwiseKernel

import ntorch as nt
import ntorch.nn.functional as F

MAX_ULP = 6  # the erf's error bound in float32 ulps of the correctly rounded result


def _erf_kernel(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    ElementwiseKernel("erf_rational_test", "erf_rational_f32(x)", "float32", 1)(out, x)
    return out


def _ulps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    r32 = ref.astype(np.float32)
    return np.abs(got.astype(np.float64) - ref) / np.spacing(np.abs(r32)).astype(np.float64)


def test_erf_within_max_ulp():
    # every 4099th float32 from the smallest denormal to 5 (erf is 1 beyond 3.92), both signs
    bits = np.arange(1, np.float32(5.0).view(np.int32), 4099, dtype=np.int32)
    x = bits.view(np.float32)
    x = np.concatenate([x, -x, np.float32([3.9, 3.92, 3.95, 4.0, 4.5, 0.5, 2.0 ** -12, 2.0 ** -13])])
    ref = np.array([math.erf(float(v)) for v in x])
    ulps = _ulps(_erf_kernel(x), ref)
    assert ulps.max() <= MAX_ULP, (x[ulps.argmax()], ulps.max())
    assert ulps.max() > 2  # (the bound is near the truth, not slack)


def test_erf_special_values():
    x = np.float32([np.inf, -np.inf, np.nan, 0.0, -0.0, 10.0, -10.0])
    got = _erf_kernel(x)
    np.testing.assert_array_equal(got[[0, 1, 5, 6]], [1, -1, 1, -1])
    assert np.isnan(got[2])
    assert got[3] == 0 and not np.signbit(got[3]) and np.signbit(got[4])


@pytest.mark.parametrize("dt", [nt.float32, nt.float16, nt.float64])
def test_gelu_against_float64(dt, rng):
    x = np.concatenate([rng.standard_normal(20000) * 3, np.linspace(-12, 12, 2001)]).astype(dt.np)
    x64 = x.astype(np.float64)
    want = 0.5 * x64 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x64]))
    got = F.gelu(nt.from_numpy(x)).numpy().astype(np.float64)
    # torch's gelu tolerances (float32: rtol 1.3e-6, atol 1e-5); float16 rounds the float32 result once
    tol = {nt.float32: (1.3e-6, 1e-5), nt.float16: (1e-3, 1e-5), nt.float64: (1e-14, 1e-15)}[dt]
    np.testing.assert_allclose(got, want.astype(dt.np).astype(np.float64), rtol=tol[0], atol=tol[1])


def test_gelu_special_values():
    x = nt.tensor([np.inf, -np.inf, np.nan, 0.0, -0.0, -20.0, 20.0], dtype=nt.float32)
    got = F.gelu(x).numpy()
    assert got[0] == np.inf and np.isnan(got[1]) and np.isnan(got[2])  # torch: gelu(-inf) is nan (inf * 0)
    assert got[3] == 0 and np.signbit(got[4]) and got[5] == 0 and got[6] == 20
