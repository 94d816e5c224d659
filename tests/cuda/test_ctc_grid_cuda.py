"""ctc_loss and grid_sample on CUDA tensors (kernels/cuda/ctc.py, kernels/cuda/grid_sample.py) against the same
calls on CPU tensors: values and gradients (tiny shapes for the simulator)."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F

rng = np.random.default_rng(0)


def _both(fn, *arrays):
    """fn(*tensors) and the tensors' gradients for a random output gradient, on the CPU and on CUDA."""
    res = []
    go = None
    for dev in ("cpu", "cuda"):
        ts = [nt.tensor(a, device=dev, requires_grad=True) for a in arrays]
        out = fn(*ts)
        if go is None:
            go = rng.standard_normal(out.shape)
        out.backward(nt.tensor(go, dtype=out.dtype, device=dev))
        assert out.device.type == dev
        res.append([out.detach().cpu().numpy()] + [t.grad.cpu().numpy() for t in ts])
    return res


@pytest.mark.parametrize("mode,dims,padding", [("bilinear", 2, "zeros"), ("nearest", 2, "border"),
                                               ("bicubic", 2, "reflection"), ("bilinear", 3, "reflection")])
def test_grid_sample_cuda_matches_cpu(mode, dims, padding):
    x = rng.standard_normal((1, 2, 3, 4) if dims == 2 else (1, 1, 2, 3, 2))
    grid = rng.random((1, 2, 2, 2) if dims == 2 else (1, 1, 2, 2, 3)) * 2.6 - 1.3
    cpu, cuda = _both(lambda a, g: F.grid_sample(a, g, mode=mode, padding_mode=padding, align_corners=False), x, grid)
    for got, want in zip(cuda, cpu):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_grid_sample_cuda_float32():
    x = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    grid = (rng.random((1, 2, 2, 2)) * 2 - 1).astype(np.float32)
    cpu, cuda = _both(lambda a, g: F.grid_sample(a, g, align_corners=True), x, grid)
    for got, want in zip(cuda, cpu):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_cuda_matches_cpu(zero_infinity):
    lp = np.log(rng.dirichlet(np.ones(4), (5, 3)))  # (T, N, C) log-probabilities
    labels = np.array([[1, 1, 2], [3, 2, 0], [2, 0, 0]])
    il, tl = (5, 1, 0), (3, 2, 0)  # sample 0 needs its 5 frames (repeat); sample 1 is impossible (inf)
    cpu, cuda = _both(lambda a: F.ctc_loss(a, nt.tensor(labels, device=a.device), il, tl, reduction="none",
                                           zero_infinity=zero_infinity), lp)
    np.testing.assert_allclose(cuda[0], cpu[0], rtol=1e-12)
    np.testing.assert_allclose(cuda[1], cpu[1], rtol=1e-12, atol=1e-12)
    assert np.isnan(cpu[1]).any() != zero_infinity


def test_ctc_cuda_float32_mean():
    lp = np.log(rng.dirichlet(np.ones(3), (4, 2))).astype(np.float32)
    cpu, cuda = _both(lambda a: F.ctc_loss(a, nt.tensor([1, 2, 2], device=a.device), (4, 3), (2, 1)).reshape(1), lp)
    for got, want in zip(cuda, cpu):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
