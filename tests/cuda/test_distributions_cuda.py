"""ntorch.distributions on CUDA tensors: samples, log_prob, entropy and KL stay on the device and agree with the
same distribution's values on the CPU (tested against independent oracles in tests/test_distributions.py); the
reparameterised gradients (Normal, and Gamma's, whose draws come from the host) land on the device."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
import ntorch.distributions as D

F64 = nt.float64


def both(values):
    cpu = nt.tensor(values, dtype=F64)
    return cpu, cpu.to("cuda")


CASES = {
    "normal": lambda a, b: D.Normal(a, b),
    "laplace": lambda a, b: D.Laplace(a, b),
    "gumbel": lambda a, b: D.Gumbel(a, b),
    "gamma": lambda a, b: D.Gamma(b, b),
    "beta": lambda a, b: D.Beta(b, b + 1),
    "studentt": lambda a, b: D.StudentT(b + 2, a, b),
    "exponential": lambda a, b: D.Exponential(b),
    "bernoulli": lambda a, b: D.Bernoulli(b / 3),
    "poisson": lambda a, b: D.Poisson(b),
    "categorical": lambda a, b: D.Categorical(nt.stack([b, b + 1], -1)),
    "mvn": lambda a, b: D.MultivariateNormal(a, scale_tril=nt.eye(2, dtype=F64, device=a.device) * b[0]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sample_log_prob_entropy_on_device(name):
    a_cpu, a = both([0.3, -0.5])
    b_cpu, b = both([1.2, 2.0])
    d, d_cpu = CASES[name](a, b), CASES[name](a_cpu, b_cpu)
    nt.manual_seed(0)
    s = d.sample((4,))
    assert s.is_cuda and tuple(s.shape) == (4,) + tuple(d.batch_shape) + tuple(d.event_shape)
    lp = d.log_prob(s)
    assert lp.is_cuda
    np.testing.assert_allclose(lp.cpu().numpy(), d_cpu.log_prob(s.cpu()).numpy(), rtol=1e-10, atol=1e-12)
    if name != "poisson":
        np.testing.assert_allclose(d.entropy().cpu().numpy(), d_cpu.entropy().numpy(), rtol=1e-10)
    if name != "studentt":  # no KL for StudentT in torch
        np.testing.assert_allclose(D.kl_divergence(d, d).cpu().numpy(), 0.0, atol=1e-10)


def test_rsample_gradients_on_device():
    loc = nt.tensor([0.3, -0.5], dtype=F64, device="cuda", requires_grad=True)
    conc = nt.tensor([0.7, 3.0], dtype=F64, device="cuda", requires_grad=True)
    nt.manual_seed(1)
    (D.Normal(loc, 2.0).rsample((3,)).sum() + D.Gamma(conc, 1.0).rsample((3,)).sum()).backward()
    assert loc.grad.is_cuda and conc.grad.is_cuda
    np.testing.assert_allclose(loc.grad.cpu().numpy(), [3.0, 3.0])
    assert (conc.grad.cpu().numpy() > 0).all()  # a Gamma draw grows with its concentration at a fixed quantile
