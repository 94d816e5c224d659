"""Complex logcumsumexp on CUDA tensors against the ntorch CPU result (itself tested against NumPy and torch 2.13's
recorded outputs in tests/test_complex_logcumsumexp.py): dims, 0-d, size 0 and 1, non-contiguous inputs, out=, the
special values (nan, +-inf real parts, equal infinities) of the CPU test's tables, and gradients. Both devices run
the same per-element step (kernels/cpu/scan.py's _clogaddexp): under the simulator the results are the CPU's to the
bit; a GPU may round its fused multiply-adds and libdevice functions apart, so there a few ulp are allowed.
Tiny shapes: the simulator runs every GPU thread in Python."""

import itertools
import os

import numpy as np
import pytest
from cuda_util import SIMULATOR

import ntorch as nt

_RNG = np.random.default_rng(23)
INF, NAN = np.inf, np.nan
CDT = [np.complex64, np.complex128]
_NAME = {np.complex64: "c64", np.complex128: "c128"}
TORCH = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "data", "logcumsumexp_complex_torch2_13.npz"))


def rand(shape, npdt) -> np.ndarray:
    return (_RNG.standard_normal(shape) * 3 + 1j * _RNG.standard_normal(shape) * 3).astype(npdt)


def same(gpu: nt.Tensor, cpu: nt.Tensor, ulps: float | None = None) -> None:
    """Device, dtype, shape; real and imaginary parts apart (nan and inf where the CPU has them), exactly under the
    simulator, to a few ulp on a GPU (to `ulps` on either when given)."""
    assert gpu.device.type == "cuda" and cpu.device.type == "cpu"
    assert gpu.dtype is cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    g, c = gpu.cpu().numpy(), cpu.numpy()
    tol = (0.0 if SIMULATOR else 4.0) if ulps is None else ulps
    tol *= float(np.finfo(c.dtype).eps)
    for part in ("real", "imag"):
        np.testing.assert_allclose(getattr(g, part), getattr(c, part), rtol=tol, atol=tol, equal_nan=True,
                                   err_msg=part)


def both(a: np.ndarray) -> tuple[nt.Tensor, nt.Tensor]:
    x = nt.tensor(a)
    return x, x.cuda()


@pytest.mark.parametrize("npdt", CDT)
def test_values_along_each_dim(npdt):
    x, xg = both(rand((2, 3, 4), npdt))
    for dim in (0, 1, 2, -1, -3):
        same(xg.logcumsumexp(dim), x.logcumsumexp(dim))
        same(nt.logcumsumexp(xg, dim), nt.logcumsumexp(x, dim))


@pytest.mark.parametrize("npdt", CDT)
def test_zero_dim_size_zero_and_size_one(npdt):
    for k in range(3):  # torch copies a 0-d input (its -inf + bj keeps b; nan + bj stays)
        x, xg = both(TORCH[f"zerod{k}_{_NAME[npdt]}"].astype(npdt))
        for dim in (0, -1):
            got = xg.logcumsumexp(dim)
            same(got, x.logcumsumexp(dim))
            np.testing.assert_array_equal(got.cpu().numpy(), TORCH[f"zerod{k}_{_NAME[npdt]}"])
    for shape in ((0, 3), (2, 0), (0,)):
        x, xg = both(np.zeros(shape, npdt))
        for dim in range(-len(shape), len(shape)):
            same(xg.logcumsumexp(dim), x.logcumsumexp(dim))
    for shape, dim in (((1,), 0), ((3, 1), 1), ((1, 3), 0), ((1, 1, 1), -2)):
        x, xg = both(rand(shape, npdt))
        same(xg.logcumsumexp(dim), x.logcumsumexp(dim))


@pytest.mark.parametrize("npdt", CDT)
def test_non_contiguous_inputs(npdt):
    x, xg = both(rand((4, 5), npdt))
    views = [(lambda t: t.t(), 0), (lambda t: t.t(), 1), (lambda t: t[::2, 1::2], 0), (lambda t: t[:, ::3], 1),
             (lambda t: t.t()[::2], -1), (lambda t: t[1:2].expand(3, 5), 0), (lambda t: t[:, :1].expand(4, 3), 1),
             (lambda t: t.unsqueeze(1).expand(4, 2, 5), 1)]
    for view, dim in views:
        same(view(xg).logcumsumexp(dim), view(x).logcumsumexp(dim))


@pytest.mark.parametrize("npdt", CDT)
def test_special_values_pairwise(npdt):
    """The CPU test's table: every pair of 0, +-1, +-700, 1e30, +-inf, nan real parts with 0, 1.5, -3, 1e3, +-inf, nan
    imaginary parts, each pair a row scanned along dim 1; the CUDA result is also torch 2.13's recorded one."""
    parts = [0.0, 1.0, -1.0, 700.0, -700.0, 1e30, INF, -INF, NAN]
    vals = [complex(r, i) for r in parts for i in (0.0, 1.5, -3.0, 1e3, INF, -INF, NAN)]
    pairs = np.array(list(itertools.product(vals, vals)), npdt)
    x, xg = both(pairs)
    got = xg.logcumsumexp(1)
    same(got, x.logcumsumexp(1))
    want = TORCH[f"pairs_{_NAME[npdt]}"]
    tol = {"rtol": 2e-6, "atol": 1e-6} if npdt == np.complex64 else {"rtol": 1e-12, "atol": 1e-12}
    for part in ("real", "imag"):
        np.testing.assert_allclose(getattr(got.cpu().numpy(), part), getattr(want, part), equal_nan=True, **tol)
    same(xg.t().logcumsumexp(0), x.t().logcumsumexp(0))  # the same lines, read across the inner axis


@pytest.mark.parametrize("npdt", CDT)
def test_long_runs_and_equal_infinities(npdt):
    """torch's recorded runs (-inf entries, large magnitudes) and columns of equal infinite real parts."""
    x, xg = both(TORCH[f"runs_in_{_NAME[npdt]}"])
    same(xg.logcumsumexp(1), x.logcumsumexp(1))
    same(xg.t().logcumsumexp(0), x.t().logcumsumexp(0))
    a = np.array([[complex(-INF, 1.0), complex(-INF, -2.0), 1 + 1j, complex(-INF, 0.5)],
                  [complex(INF, 0.5), complex(INF, -0.5), 2 - 1j, complex(INF, 3.0)],
                  [complex(INF, 0.0), complex(-INF, 0.0), complex(NAN, 1.0), 1 + 1j],
                  [1e30 + 1j, -1e30 + 0j, complex(1.0, NAN), complex(1.0, INF)]], npdt)
    x, xg = both(a)
    for dim in (0, 1):
        same(xg.logcumsumexp(dim), x.logcumsumexp(dim))


def test_out_and_dtype_kept():
    a = rand((2, 3), np.complex64)
    x, xg = both(a)
    out = nt.empty(0, dtype=nt.complex64, device="cuda")
    assert nt.logcumsumexp(xg, 1, out=out) is out
    same(out, x.logcumsumexp(1))
    with pytest.raises(RuntimeError):
        nt.logcumsumexp(xg, 1, out=nt.empty(0, dtype=nt.float32, device="cuda"))


@pytest.mark.parametrize("npdt", CDT)
def test_gradient_matches_cpu(npdt):
    """The backward is composed of ops (log, exp, flip, logcumsumexp) whose complex CUDA kernels round apart from the
    CPU's by an ulp or so: a few ulp of the gradient's size."""
    a, w = rand((3, 4), npdt), rand((3, 4), npdt)
    for dim in (0, 1):
        grads = []
        for device in ("cpu", "cuda"):
            x = nt.tensor(a, device=device, requires_grad=True)
            (x.logcumsumexp(dim) * nt.tensor(w, device=device)).abs().sum().backward()
            grads.append(x.grad)
        same(grads[1], grads[0], ulps=16)
    grads = []
    for device in ("cpu", "cuda"):  # a 0-d input: the gradient passes through as torch's
        x = nt.tensor(np.array(0.3 + 1j, npdt), device=device, requires_grad=True)
        x.logcumsumexp(0).backward(nt.tensor(np.array(2 - 1j, npdt), device=device))
        grads.append(x.grad)
    same(grads[1], grads[0], ulps=16)


def test_kernel_checks_its_arguments():
    """The kernel entry refuses what would read or write out of bounds, before any launch."""
    from cuda_util import dev, empty
    from ntorch.kernels.cuda import scan as cuscan

    x = dev(rand((2, 3, 1), np.complex128))
    with pytest.raises(ValueError, match="expected a 3-d"):
        cuscan.logcumsumexp_complex_into(dev(rand((2, 3), np.complex128)), empty((2, 3), np.complex128))
    with pytest.raises(ValueError, match="output of shape"):
        cuscan.logcumsumexp_complex_into(x, empty((2, 2, 1), np.complex128))
    with pytest.raises(TypeError, match="expected a complex input"):
        cuscan.logcumsumexp_complex_into(dev(np.ones((2, 3, 1))), empty((2, 3, 1), np.float64))
    out = empty((2, 3, 1), np.complex128)
    cuscan.logcumsumexp_complex_into(x, out)
    want = nt.tensor(x.copy_to_host()).logcumsumexp(1).numpy()
    np.testing.assert_allclose(out.copy_to_host(), want, rtol=0 if SIMULATOR else 1e-15)
