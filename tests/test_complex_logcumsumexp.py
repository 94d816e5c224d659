"""Complex logcumsumexp on the CPU. Oracles: NumPy's log(cumsum(exp(x))) in complex128 for moderate values, and
torch 2.13's own outputs recorded in tests/data/logcumsumexp_complex_torch2_13.npz for the special values (every
pair of +-inf / nan / huge / zero parts, long runs with -inf entries, 0-d inputs); gradients against the analytic
conj(exp(x)) * reverse_cumsum(g * conj(exp(-out))) and float64 finite differences (gradcheck)."""

import itertools
import os

import numpy as np
import pytest

import ntorch
from ntorch.autograd import gradcheck

_RNG = np.random.default_rng(5)
INF, NAN = np.inf, np.nan
CDT = [np.complex64, np.complex128]
_NAME = {np.complex64: "c64", np.complex128: "c128"}
TORCH = np.load(os.path.join(os.path.dirname(__file__), "data", "logcumsumexp_complex_torch2_13.npz"))


def _tol(npdt):
    return {"rtol": 2e-6, "atol": 1e-6} if npdt == np.complex64 else {"rtol": 1e-12, "atol": 1e-12}


def rand(shape, npdt):
    return (_RNG.standard_normal(shape) * 3 + 1j * _RNG.standard_normal(shape) * 3).astype(npdt)


def reference(a: np.ndarray, dim: int) -> np.ndarray:
    """log(cumsum(exp(a))) in complex128 (moderate values: no overflow), in a's dtype."""
    with np.errstate(all="ignore"):
        return np.log(np.cumsum(np.exp(a.astype(np.complex128)), axis=dim)).astype(a.dtype)


def same(got, want, npdt) -> None:
    """Real and imaginary parts apart (a nan in one part only is told apart); dtypes and shapes equal. Imaginary
    parts compared modulo 2 pi (a log's branch)."""
    got = got.numpy() if isinstance(got, ntorch.Tensor) else got
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got.real, want.real, equal_nan=True, **_tol(npdt))
    np.testing.assert_allclose(got.imag, want.imag, equal_nan=True, **_tol(npdt))


@pytest.mark.parametrize("npdt", CDT)
def test_values_along_each_dim(npdt):
    a = rand((3, 4, 5), npdt)
    for dim in (0, 1, 2, -1):
        got = ntorch.logcumsumexp(ntorch.tensor(a), dim).numpy()
        want = reference(a, dim)
        same(np.exp(got.astype(np.complex128)).astype(npdt), np.exp(want.astype(np.complex128)).astype(npdt), npdt)
        np.testing.assert_allclose(got.real, want.real, **_tol(npdt))


@pytest.mark.parametrize("npdt", CDT)
def test_special_values_pairwise_as_torch(npdt):
    """Every pair of special values: -inf real parts (the angle kept or dropped as torch), +inf, nan, huge."""
    parts = [0.0, 1.0, -1.0, 700.0, -700.0, 1e30, INF, -INF, NAN]
    vals = [complex(r, i) for r in parts for i in (0.0, 1.5, -3.0, 1e3, INF, -INF, NAN)]
    pairs = np.array(list(itertools.product(vals, vals)), npdt)  # (m, 2): each row scanned along dim 1
    same(ntorch.logcumsumexp(ntorch.tensor(pairs), 1), TORCH[f"pairs_{_NAME[npdt]}"], npdt)


@pytest.mark.parametrize("npdt", CDT)
def test_long_runs_and_large_magnitudes_as_torch(npdt):
    a = TORCH[f"runs_in_{_NAME[npdt]}"]
    same(ntorch.logcumsumexp(ntorch.tensor(a), 1), TORCH[f"runs_{_NAME[npdt]}"], npdt)


@pytest.mark.parametrize("npdt", CDT)
def test_zero_dim_empty_and_non_contiguous(npdt):
    for k, z in enumerate((complex(-INF, 1.0), complex(NAN, 1.0), 1.5 - 2j)):  # torch copies a 0-d input
        for dim in (0, -1):
            same(ntorch.logcumsumexp(ntorch.tensor(np.array(z, npdt)), dim), TORCH[f"zerod{k}_{_NAME[npdt]}"], npdt)
    for a in (np.zeros((0, 3), npdt), np.zeros((2, 0), npdt)):
        for dim in (0, 1):
            assert ntorch.logcumsumexp(ntorch.tensor(a), dim).shape == a.shape
    a = rand((4, 6), npdt)
    x = ntorch.tensor(a)
    np.testing.assert_allclose(x.t()[::2].logcumsumexp(1).numpy().real, reference(a.T[::2], 1).real, **_tol(npdt))
    np.testing.assert_allclose(x[:, ::3].logcumsumexp(0).numpy().real, reference(a[:, ::3], 0).real, **_tol(npdt))


def test_out_and_dtype_errors():
    a = rand((2, 3), np.complex64)
    out = ntorch.empty(0, dtype=ntorch.complex64)
    assert ntorch.logcumsumexp(ntorch.tensor(a), 1, out=out) is out
    np.testing.assert_allclose(out.numpy().real, reference(a, 1).real, **_tol(np.complex64))
    with pytest.raises(RuntimeError):
        ntorch.logcumsumexp(ntorch.tensor(a), 1, out=ntorch.empty(0, dtype=ntorch.float32))
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Long'"):
        ntorch.logcumsumexp(ntorch.tensor([1, 2]), 0)


@pytest.mark.parametrize("npdt", CDT)
def test_gradient_matches_the_analytic_formula(npdt):
    """torch's convention for a holomorphic op: grad_x = conj(d out / d x)^T g, here
    conj(exp(x)) * reverse_cumsum(g * conj(exp(-out)))."""
    a, g = rand((3, 4), npdt), rand((3, 4), npdt)
    for dim in (0, 1):
        x = ntorch.tensor(a, requires_grad=True)
        x.logcumsumexp(dim).backward(ntorch.tensor(g))
        a2, g2 = a.astype(np.complex128), g.astype(np.complex128)
        out = np.log(np.cumsum(np.exp(a2), axis=dim))
        rev = np.flip(np.cumsum(np.flip(g2 * np.conj(np.exp(-out)), dim), axis=dim), dim)
        want = (np.conj(np.exp(a2)) * rev).astype(npdt)
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-4 if npdt == np.complex64 else 1e-10, atol=1e-5)


def test_gradcheck_finite_differences():
    a = rand((3, 4), np.complex128)
    for dim in (0, 1):
        assert gradcheck(lambda t, d=dim: t.logcumsumexp(d), (ntorch.tensor(a, requires_grad=True),))
    assert gradcheck(lambda t: t.logcumsumexp(0), (ntorch.tensor(np.array(0.3 + 1j), requires_grad=True),))
