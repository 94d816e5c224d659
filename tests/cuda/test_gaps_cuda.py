"""The torch.* namespace gaps on CUDA tensors against the same calls on CPU tensors (tiny shapes)."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt

rng = np.random.default_rng(0)
A = rng.random((3, 4))

CASES = {
    "as_strided": lambda t: nt.as_strided(t.reshape(-1), (2, 3), (1, 2), 1),
    "fill": lambda t: nt.fill(t, 2.5),
    "view_copy": lambda t: nt.view_copy(t, (4, 3)),
    "permute_copy": lambda t: nt.permute_copy(t, (1, 0)),
    "quantile": lambda t: nt.quantile(t, nt.tensor([0.2, 0.7], dtype=nt.float64, device=t.device), dim=1),
    "nanquantile": lambda t: nt.nanquantile(t, 0.4, dim=0, interpolation="midpoint"),
    "cov": lambda t: nt.cov(t),
    "corrcoef": lambda t: nt.corrcoef(t),
    "histogram": lambda t: nt.histogram(t, 5)[0],
    "trapezoid": lambda t: nt.trapezoid(t),
    "cumulative_trapezoid": lambda t: nt.cumulative_trapezoid(t, dx=0.5),
    "gradient": lambda t: nt.gradient(t)[1],
    "dist": lambda t: nt.dist(t, t * 0.5, 3),
    "renorm": lambda t: nt.renorm(t, 2, 0, 1.0),
    "polygamma": lambda t: nt.polygamma(2, t + 0.5),
    "mvlgamma": lambda t: nt.mvlgamma(t + 2, 2),
    "frexp": lambda t: nt.frexp(t)[0],
    "vander": lambda t: nt.vander(t[0], 3),
    "combinations": lambda t: nt.combinations(t[0], 2),
    "select_scatter": lambda t: nt.select_scatter(t, t[0] * 2, 0, 1),
    "diagonal_scatter": lambda t: nt.diagonal_scatter(t, t[0, :3], 1),
    "special.ndtr": lambda t: nt.special.ndtr(t),
    "special.entr": lambda t: nt.special.entr(t),
    "special.zeta": lambda t: nt.special.zeta(t + 2, 1.5),
    "hann_window": lambda t: nt.hann_window(5, dtype=nt.float64, device=t.device),
    "exp_": lambda t: nt.exp_(t.clone()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_matches_cpu(name):
    cpu = CASES[name](nt.tensor(A))
    gpu = CASES[name](nt.tensor(A, device="cuda"))
    assert gpu.is_cuda and gpu.dtype is cpu.dtype and gpu.shape == cpu.shape
    np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=1e-12, atol=1e-12)
