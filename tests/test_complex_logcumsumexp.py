"""Complex logcumsumexp on the CPU against torch 2.13 CPU: values (special values included: +-inf and nan
parts, large magnitudes, zeros), dims, 0-d, size 0, non-contiguous input, out=, and gradients (torch's and
float64 finite differences through gradcheck)."""

import itertools

import numpy as np
import pytest
import torch

import ntorch
from ntorch.autograd import gradcheck

_RNG = np.random.default_rng(5)
INF, NAN = np.inf, np.nan
CDT = [(np.complex64, torch.complex64), (np.complex128, torch.complex128)]


def _tol(npdt):
    return {"rtol": 2e-6, "atol": 1e-6} if npdt == np.complex64 else {"rtol": 1e-13, "atol": 1e-13}


def rand(shape, npdt):
    return (_RNG.standard_normal(shape) * 3 + 1j * _RNG.standard_normal(shape) * 3).astype(npdt)


def same(n: ntorch.Tensor, t: torch.Tensor, npdt) -> None:
    """Real and imaginary parts apart, so a nan in one part only is told apart; dtypes and shapes equal."""
    got, want = n.numpy(), t.resolve_conj().numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    for part in (np.real, np.imag):
        np.testing.assert_allclose(part(got), part(want), equal_nan=True, **_tol(npdt))


@pytest.mark.parametrize("npdt,tdt", CDT)
def test_values_along_each_dim(npdt, tdt):
    a = rand((3, 4, 5), npdt)
    for dim in (0, 1, 2, -1):
        same(ntorch.logcumsumexp(ntorch.tensor(a), dim), torch.logcumsumexp(torch.from_numpy(a), dim), npdt)


@pytest.mark.parametrize("npdt,tdt", CDT)
def test_special_values_pairwise(npdt, tdt):
    """Every pair of special values: -inf real parts (the angle kept or dropped as torch), +inf, nan, huge."""
    parts = [0.0, 1.0, -1.0, 700.0, -700.0, 1e30, INF, -INF, NAN]
    vals = [complex(r, i) for r in parts for i in (0.0, 1.5, -3.0, 1e3, INF, -INF, NAN)]
    pairs = np.array(list(itertools.product(vals, vals)), npdt)  # (m, 2): each row scanned along dim 1
    same(ntorch.logcumsumexp(ntorch.tensor(pairs), 1), torch.logcumsumexp(torch.from_numpy(pairs), 1), npdt)


@pytest.mark.parametrize("npdt,tdt", CDT)
def test_long_runs_and_large_magnitudes(npdt, tdt):
    a = rand((2, 40), npdt) * np.array(1e3, npdt)
    a[0, 5:9] = complex(-INF, 2.0)
    a[1, 0] = 0
    same(ntorch.logcumsumexp(ntorch.tensor(a), 1), torch.logcumsumexp(torch.from_numpy(a), 1), npdt)


@pytest.mark.parametrize("npdt,tdt", CDT)
def test_zero_dim_empty_and_non_contiguous(npdt, tdt):
    for a in (np.array(1.5 - 2j, npdt), np.array(complex(-INF, 1.0), npdt), np.zeros((0, 3), npdt),
              np.zeros((2, 0), npdt)):
        for dim in range(-max(a.ndim, 1), max(a.ndim, 1)):
            same(ntorch.logcumsumexp(ntorch.tensor(a), dim), torch.logcumsumexp(torch.from_numpy(a), dim), npdt)
    a = rand((4, 6), npdt)
    x, t = ntorch.tensor(a), torch.from_numpy(a)
    same(x.t()[::2].logcumsumexp(1), t.t()[::2].logcumsumexp(1), npdt)
    same(x[:, ::3].logcumsumexp(0), t[:, ::3].logcumsumexp(0), npdt)


def test_out_and_dtype_errors():
    a = rand((2, 3), np.complex64)
    out = ntorch.empty(0, dtype=ntorch.complex64)
    assert ntorch.logcumsumexp(ntorch.tensor(a), 1, out=out) is out
    same(out, torch.logcumsumexp(torch.from_numpy(a), 1), np.complex64)
    with pytest.raises(RuntimeError):
        torch.logcumsumexp(torch.from_numpy(a), 1, out=torch.empty(0, dtype=torch.float32))
    with pytest.raises(RuntimeError):
        ntorch.logcumsumexp(ntorch.tensor(a), 1, out=ntorch.empty(0, dtype=ntorch.float32))
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Long'"):
        ntorch.logcumsumexp(ntorch.tensor([1, 2]), 0)


@pytest.mark.parametrize("npdt,tdt", CDT)
def test_gradient_matches_torch(npdt, tdt):
    a = rand((3, 4), npdt)
    w = rand((3, 4), npdt)
    for dim in (0, 1):
        x = ntorch.tensor(a, requires_grad=True)
        (x.logcumsumexp(dim) * ntorch.tensor(w)).abs().sum().backward()
        xt = torch.tensor(a, requires_grad=True)
        (xt.logcumsumexp(dim) * torch.from_numpy(w)).abs().sum().backward()
        same(x.grad, xt.grad, npdt)
    g = rand((3, 4), npdt)  # a complex upstream gradient straight in
    x = ntorch.tensor(a, requires_grad=True)
    x.logcumsumexp(1).backward(ntorch.tensor(g))
    xt = torch.tensor(a, requires_grad=True)
    xt.logcumsumexp(1).backward(torch.from_numpy(g))
    same(x.grad, xt.grad, npdt)


def test_gradcheck_finite_differences():
    a = rand((3, 4), np.complex128)
    for dim in (0, 1):
        assert gradcheck(lambda t, d=dim: t.logcumsumexp(d), (ntorch.tensor(a, requires_grad=True),))
    assert gradcheck(lambda t: t.logcumsumexp(0), (ntorch.tensor(np.array(0.3 + 1j), requires_grad=True),))
