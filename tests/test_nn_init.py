"""nn.init (fan rules, gains, distributions checked statistically with a fixed seed, reproducibility) and
nn.utils (clip_grad_norm_ / clip_grad_value_ against NumPy, parameters_to_vector and back)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn as nn
from ntorch.nn import init


def test_fans_and_gain():
    assert init._calculate_fan_in_and_fan_out(nt.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(nt.empty(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(nt.empty(3))
    assert init.calculate_gain("conv2d") == 1 and init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0) and init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(nt.empty(3, 3), mode="fan_avg")


def _uniform_ok(a, lo, hi):
    assert a.min() >= lo and a.max() <= hi
    span = hi - lo
    assert a.min() < lo + 0.02 * span and a.max() > hi - 0.02 * span
    assert abs(a.mean() - (lo + hi) / 2) < 0.02 * span and abs(a.var() - span**2 / 12) < 0.05 * span**2 / 12


def _normal_ok(a, mean, std):
    assert abs(a.mean() - mean) < 0.03 * std and abs(a.std() - std) < 0.03 * std


def test_distributions():
    nt.manual_seed(0)
    w = nt.empty(200, 100)
    assert init.uniform_(w, -2, 3) is w
    _uniform_ok(w.numpy(), -2, 3)
    _normal_ok(init.normal_(w, 1.0, 0.5).numpy(), 1.0, 0.5)
    bound = math.sqrt(6 / 300)
    _uniform_ok(init.xavier_uniform_(w).numpy(), -bound, bound)
    _normal_ok(init.xavier_normal_(w, gain=2.0).numpy(), 0.0, 2 * math.sqrt(2 / 300))
    bound = math.sqrt(2.0) * math.sqrt(3 / 100)
    _uniform_ok(init.kaiming_uniform_(w, nonlinearity="relu").numpy(), -bound, bound)
    _normal_ok(init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu").numpy(), 0.0, math.sqrt(2 / 200))
    a = init.trunc_normal_(w, 0.5, 1.0, -1.0, 1.5).numpy()
    assert a.min() >= -1.0 and a.max() <= 1.5 and a.min() < -0.95 and a.max() > 1.45
    # the mean of N(0.5, 1) truncated to [-1, 1.5]: mu + (phi(alpha) - phi(beta)) / Z
    alpha, beta = -1.5, 1.0
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    assert abs(a.mean() - (0.5 + (phi(alpha) - phi(beta)) / (cdf(beta) - cdf(alpha)))) < 0.02


def test_constant_eye_dirac_and_grad_mode():
    w = nn.Parameter(nt.empty(3, 4))
    init.constant_(w, 2.5)  # a leaf that requires grad can be filled: init runs under no_grad
    assert np.all(w.detach().numpy() == 2.5) and w.is_leaf and w.grad_fn is None
    init.zeros_(w)
    assert not w.detach().numpy().any()
    init.ones_(w)
    assert np.all(w.detach().numpy() == 1)
    np.testing.assert_array_equal(init.eye_(w).detach().numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(nt.empty(2, 2, 2))
    d = init.dirac_(nt.empty(4, 2, 3, 3), groups=2).numpy()
    want = np.zeros((4, 2, 3, 3), np.float32)
    for g in range(2):
        for i in range(2):
            want[g * 2 + i, i, 1, 1] = 1
    np.testing.assert_array_equal(d, want)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(nt.empty(0, 3))


def test_reproducible_and_generator():
    nt.manual_seed(7)
    a = init.normal_(nt.empty(5, 5)).numpy().copy()
    nt.manual_seed(7)
    np.testing.assert_array_equal(init.normal_(nt.empty(5, 5)).numpy(), a)
    g1, g2 = nt.Generator().manual_seed(3), nt.Generator().manual_seed(3)
    np.testing.assert_array_equal(init.uniform_(nt.empty(4), generator=g1).numpy(),
                                  init.uniform_(nt.empty(4), generator=g2).numpy())
    assert init.uniform_(nt.empty(3, dtype=nt.float64)).dtype is nt.float64


def _model_with_grads():
    nt.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    (m(nt.randn(5, 3)) ** 2).sum().backward()
    return m, [p.grad.numpy().copy() for p in m.parameters()]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm(norm_type):
    m, grads = _model_with_grads()
    flat = np.concatenate([g.ravel() for g in grads]).astype(np.float64)
    total = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    got = nn.utils.clip_grad_norm_(m.parameters(), 0.5, norm_type)
    np.testing.assert_allclose(float(got), total, rtol=1e-5)
    coef = min(1.0, 0.5 / (total + 1e-6))
    for p, g in zip(m.parameters(), grads):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-5, atol=1e-7)
    # a large max_norm leaves the gradients alone
    m, grads = _model_with_grads()
    nn.utils.clip_grad_norm_(m.parameters(), 1e9, norm_type)
    for p, g in zip(m.parameters(), grads):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-6)


def test_clip_grad_nonfinite_value_and_vectors():
    p = nn.Parameter(nt.ones(2))
    p.grad = nt.tensor([math.inf, 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert float(nn.utils.clip_grad_norm_([], 1.0)) == 0.0
    m, grads = _model_with_grads()
    nn.utils.clip_grad_value_(m.parameters(), 0.1)
    for q, g in zip(m.parameters(), grads):
        np.testing.assert_allclose(q.grad.numpy(), np.clip(g, -0.1, 0.1))
    vec = nn.utils.parameters_to_vector(m.parameters())
    want = np.concatenate([q.detach().numpy().ravel() for q in m.parameters()])
    np.testing.assert_array_equal(vec.detach().numpy(), want)
    assert vec.requires_grad
    new = nt.arange(float(vec.numel()))
    nn.utils.vector_to_parameters(new, m.parameters())
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(m.parameters()).detach().numpy(), new.numpy())
    assert m[0].weight.shape == (4, 3) and float(m[0].bias[0]) == 12.0
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], m.parameters())
