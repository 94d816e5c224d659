"""The distributions added after the first set (ContinuousBernoulli, FisherSnedecor, GeneralizedPareto,
InverseGamma, Kumaraswamy, LogisticNormal, VonMises, Wishart, LKJCholesky, OneHotCategoricalStraightThrough,
CumulativeDistributionTransform) and the KL pairs torch registers, against independent oracles: closed-form
densities written here with math/numpy, numeric integration of exp(log_prob) on fine grids (normalisation, mean,
variance, entropy, cdf, KL), Monte Carlo integrals, sample moments at fixed seeds within 6 standard errors,
reparameterised gradients against float64 finite differences, and torch's shapes and validation errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from test_distributions import F64, T, _check_moments, _fd_rsample, _np  # the shared oracles
from test_distributions import _grid_integral as _grid

import ntorch as nt
import ntorch.distributions as D
from ntorch.distributions import transforms


def _cb_log_pdf(lam, x):
    """The continuous Bernoulli log density: log C(lam) + x log lam + (1 - x) log(1 - lam)."""
    c = 2.0 if abs(lam - 0.5) < 1e-12 else 2 * math.atanh(1 - 2 * lam) / (1 - 2 * lam)
    return math.log(c) + x * math.log(lam) + (1 - x) * math.log1p(-lam)


def _f_log_pdf(d1, d2, x):
    return (0.5 * d1 * math.log(d1 / d2) + (0.5 * d1 - 1) * math.log(x) - 0.5 * (d1 + d2) * math.log1p(d1 * x / d2)
            - (math.lgamma(d1 / 2) + math.lgamma(d2 / 2) - math.lgamma((d1 + d2) / 2)))


def _gp_log_pdf(loc, scale, xi, x):
    z = (x - loc) / scale
    if xi == 0:
        return -math.log(scale) - z
    return -math.log(scale) - (1 / xi + 1) * math.log1p(xi * z)


def _invgamma_log_pdf(a, b, x):
    return a * math.log(b) - math.lgamma(a) - (a + 1) * math.log(x) - b / x


def _kumaraswamy_log_pdf(a, b, x):
    return math.log(a * b) + (a - 1) * math.log(x) + (b - 1) * math.log1p(-(x**a))


def _von_mises_log_pdf(loc, k, x):
    return k * math.cos(x - loc) - math.log(2 * math.pi * float(np.i0(k)))


# (distribution, lo, hi, log-density oracle): scalar float64 parameters
CONTINUOUS = {
    "cb_low": (lambda: D.ContinuousBernoulli(T(0.2)), 0.0, 1.0, lambda x: _cb_log_pdf(0.2, x)),
    "cb_high": (lambda: D.ContinuousBernoulli(T(0.85)), 0.0, 1.0, lambda x: _cb_log_pdf(0.85, x)),
    "cb_taylor": (lambda: D.ContinuousBernoulli(T(0.4999)), 0.0, 1.0, lambda x: _cb_log_pdf(0.4999, x)),
    "cb_logits": (lambda: D.ContinuousBernoulli(logits=T(-1.3)), 0.0, 1.0,
                  lambda x: _cb_log_pdf(1 / (1 + math.exp(1.3)), x)),
    "fisher": (lambda: D.FisherSnedecor(T(5.0), T(14.0)), 1e-12, 3000.0, lambda x: _f_log_pdf(5.0, 14.0, x)),
    "gp_pos": (lambda: D.GeneralizedPareto(T(0.5), T(1.5), T(0.2)), 0.5, 5000.0,
               lambda x: _gp_log_pdf(0.5, 1.5, 0.2, x)),
    "gp_zero": (lambda: D.GeneralizedPareto(T(-1.0), T(0.7), T(0.0)), -1.0, 40.0,
                lambda x: _gp_log_pdf(-1.0, 0.7, 0.0, x)),
    "gp_neg": (lambda: D.GeneralizedPareto(T(0.0), T(2.0), T(-0.25)), 0.0, 8.0 - 1e-9,
               lambda x: _gp_log_pdf(0.0, 2.0, -0.25, x)),
    "inverse_gamma": (lambda: D.InverseGamma(T(6.0), T(2.5)), 1e-6, 3000.0,
                      lambda x: _invgamma_log_pdf(6.0, 2.5, x)),
    "kumaraswamy": (lambda: D.Kumaraswamy(T(2.5), T(3.5)), 1e-12, 1.0 - 1e-12,
                    lambda x: _kumaraswamy_log_pdf(2.5, 3.5, x)),
    "von_mises": (lambda: D.VonMises(T(0.4), T(2.3)), -math.pi + 0.4, math.pi + 0.4,
                  lambda x: _von_mises_log_pdf(0.4, 2.3, x)),
}


@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_log_prob_closed_forms(name):
    make, lo, hi, oracle = CONTINUOUS[name]
    d = make()
    xs = np.linspace(lo, min(hi, lo + 20), 9)[1:-1]
    got = _np(d.log_prob(nt.tensor(xs)))
    want = np.array([oracle(x) for x in xs])
    rtol = 1e-6 if name == "von_mises" else 1e-10  # torch's polynomial log I0 is good to about 1e-7
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_density_integrates_to_mean_variance_entropy(name):
    make, lo, hi, _ = CONTINUOUS[name]
    d = make()
    total = _grid(d, lo, hi, lambda x, p, lp: p)
    tol = 1e-6 if name == "von_mises" else 1e-5
    assert abs(total - 1) < tol
    if name == "von_mises":  # circular: E[cos(x - loc)] = 1 - variance (the circular variance)
        c = _grid(d, lo, hi, lambda x, p, lp: np.cos(x - 0.4) * p)
        assert abs(float(d.variance) - (1 - c)) < 1e-6
        assert float(d.mean) == 0.4 and float(d.mode) == 0.4
        return
    mean = _grid(d, lo, hi, lambda x, p, lp: x * p)
    var = _grid(d, lo, hi, lambda x, p, lp: (x - mean) ** 2 * p)
    assert abs(float(d.mean) - mean) < 1e-5 * max(1, abs(mean)), (float(d.mean), mean)
    assert abs(float(d.variance) - var) < 1e-4 * max(1, var), (float(d.variance), var)
    try:
        ent = float(d.entropy())
    except NotImplementedError:  # torch has no entropy for FisherSnedecor
        assert name == "fisher"
    else:
        want = _grid(d, lo, hi, lambda x, p, lp: -p * lp)
        assert abs(ent - want) < 1e-5 * max(1, abs(want)), (ent, want)


@pytest.mark.parametrize("name", ["cb_low", "cb_high", "cb_taylor", "gp_pos", "gp_zero", "gp_neg"])
def test_cdf_is_integral_of_density_and_icdf_inverts(name):
    make, lo, hi, _ = CONTINUOUS[name]
    d = make()
    for q in (0.1, 0.45, 0.8):
        x = lo + q * (min(hi, lo + 6) - lo)
        want = _grid(d, lo, x, lambda x, p, lp: p, n=200_001)
        # inside (0.499, 0.501) torch's cdf is the uniform one, off by O(probs - 1/2)
        assert abs(float(d.cdf(T(x))) - want) < (1e-4 if name == "cb_taylor" else 1e-8)
        assert abs(float(d.icdf(d.cdf(T(x)))) - x) < 1e-8 * max(1, abs(x))


def test_generalized_pareto_survival_support_and_tails():
    d = D.GeneralizedPareto(T([0.0, 0.0]), T([1.0, 2.0]), T([0.5, -0.5]))
    x = T([1.5, 1.5])
    sf = np.array([(1 + 0.5 * 1.5) ** -2, (1 - 0.5 * 0.75) ** 2])
    np.testing.assert_allclose(_np(d.log_survival_function(x)), np.log(sf), rtol=1e-12)
    np.testing.assert_allclose(_np(d.log_cdf(x)), np.log1p(-sf), rtol=1e-12)
    np.testing.assert_allclose(_np(d.support.upper_bound), [math.inf, 4.0])
    # mean only below concentration 1, variance below 1/2
    e = D.GeneralizedPareto(T([0.0, 0.0, 0.0]), T([1.0, 1.0, 1.0]), T([0.3, 0.7, 1.2]))
    np.testing.assert_allclose(_np(e.mean), [1 / 0.7, 1 / 0.3, math.nan])
    np.testing.assert_allclose(_np(e.variance), [1 / (0.49 * 0.4), math.nan, math.nan])
    assert e.entropy().shape == (3,)
    with pytest.raises(ValueError, match=r"within the support \(Interval\(lower_bound=0.0, upper_bound=4.0\)\)"):
        D.GeneralizedPareto(T(0.0), T(2.0), T(-0.5)).log_prob(T(5.0))


def test_continuous_bernoulli_regions_and_validation():
    # the Taylor branch near 1/2 joins the closed forms: both sides of the cut agree to the expansion's order
    lo, hi = D.ContinuousBernoulli(T(0.4989)), D.ContinuousBernoulli(T(0.4991))
    for attr in ("mean", "variance"):
        assert abs(float(getattr(lo, attr)) - float(getattr(hi, attr))) < 1e-4
    assert abs(float(D.ContinuousBernoulli(T(0.5)).mean) - 0.5) < 1e-15
    d = D.ContinuousBernoulli(T([0.0, 1.0]))  # probs clamped inside (0, 1) as torch does
    assert bool(((d.probs > 0) & (d.probs < 1)).all())
    with pytest.raises(ValueError, match="^The parameter probs has invalid values$"):
        D.ContinuousBernoulli(T(1.5), validate_args=True)
    with pytest.raises(ValueError, match=r"Expected value argument .* within the support \(Interval"):
        D.ContinuousBernoulli(T(0.3)).log_prob(T(1.5))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.ContinuousBernoulli()
    np.testing.assert_allclose(_np(D.ContinuousBernoulli(T(0.3), validate_args=False).cdf(T([-1.0, 2.0]))), [0.0, 1.0])


def test_exponential_family_entropy_matches_the_closed_form():
    # ContinuousBernoulli and Wishart entropy by the Bregman divergence of their log normalisers (the base
    # class) against their closed forms
    for d in (D.ContinuousBernoulli(T([0.2, 0.7])),
              D.Wishart(T([4.0, 6.5]), covariance_matrix=T([[2.0, 0.3], [0.3, 1.0]]))):
        np.testing.assert_allclose(_np(D.ExponentialFamily.entropy(d)), _np(d.entropy()), rtol=1e-9)


MOMENT_CASES = {
    "cb": lambda: D.ContinuousBernoulli(T([0.2, 0.4995, 0.9])),
    "fisher": lambda: D.FisherSnedecor(T([3.0, 8.0]), T([20.0, 30.0])),
    "gp": lambda: D.GeneralizedPareto(T([0.0, 1.0, 0.0]), T([1.0, 0.5, 2.0]), T([0.1, 0.0, -0.3])),
    "inverse_gamma": lambda: D.InverseGamma(T([9.0, 12.0]), T([2.0, 5.0])),
    "kumaraswamy": lambda: D.Kumaraswamy(T([0.5, 2.0]), T([3.0, 0.7])),
    "logistic_normal": lambda: D.LogisticNormal(T([0.3, -0.5]), T([0.4, 0.8])),
}


@pytest.mark.parametrize("name", list(MOMENT_CASES))
def test_sample_moments(name):
    nt.manual_seed(1234)
    d = MOMENT_CASES[name]()
    n = 40_000
    s = d.sample((n,))
    assert tuple(s.shape) == (n,) + tuple(d.batch_shape) + tuple(d.event_shape)
    assert bool(d.support.check(s).all())
    if name == "logistic_normal":  # no closed-form moments: the additive log ratios are the base normals
        x = _np(s)
        k = x.shape[-1]
        y = np.log(x[..., :-1]) - np.log1p(-np.cumsum(x[..., :-1], -1)) + np.log(k - 1 - np.arange(k - 1))
        _check_moments(y, _np(d.loc), _np(d.scale) ** 2)
        return
    _check_moments(_np(s), _np(d.mean), _np(d.variance))
    _check_moments(_np(d.rsample((n,))), _np(d.mean), _np(d.variance))


def test_von_mises_sampler():
    nt.manual_seed(3)
    loc, k = np.array([0.4, -2.9, 3.0, 0.0]), np.array([2.3, 0.5, 40.0, 1e-6])
    d = D.VonMises(nt.tensor(loc, dtype=nt.float32), nt.tensor(k, dtype=nt.float32))
    n = 40_000
    s = d.sample((n,))
    assert s.dtype is nt.float32 and tuple(s.shape) == (n, 4)
    x = _np(s)
    assert np.all((x >= -math.pi) & (x <= math.pi))
    # circular moments: E[cos(x - loc)] = I1(k) / I0(k), E[sin(x - loc)] = 0
    c, sn = np.cos(x - loc), np.sin(x - loc)
    r = 1 - _np(D.VonMises(T(loc.tolist()), T(k.tolist())).variance)
    assert np.all(np.abs(c.mean(0) - r) <= 6 * c.std(0) / math.sqrt(n) + 1e-6)
    assert np.all(np.abs(sn.mean(0)) <= 6 * sn.std(0) / math.sqrt(n) + 1e-6)
    assert not d.has_rsample
    e = D.VonMises(T(0.0), T(1.0)).expand((3,))
    assert e.sample((2,)).shape == (2, 3) and e.batch_shape == (3,)


RSAMPLE_CASES = {
    "cb": (lambda p: D.ContinuousBernoulli(p), [[0.2, 0.8]]),
    "cb_logits": (lambda p: D.ContinuousBernoulli(logits=p), [[-1.2, 0.9]]),
    "gp": (lambda a, b, c: D.GeneralizedPareto(a, b, c), [[0.3, -1.0], [1.2, 0.4], [0.2, -0.3]]),
    "kumaraswamy": (lambda a, b: D.Kumaraswamy(a, b), [[0.7, 2.0], [1.5, 0.8]]),
    "logistic_normal": (lambda a, b: D.LogisticNormal(a, b), [[0.3, -1.0], [0.5, 0.4]]),
    # A (the Bartlett factor) does not depend on the scale: the draw L A A^T L^T is pathwise in L
    "wishart_tril": (lambda L: D.Wishart(T(4.0), scale_tril=L, validate_args=False),
                     [[[1.0, 0.0], [0.4, 0.7]]]),
}


@pytest.mark.parametrize("name", list(RSAMPLE_CASES))
def test_rsample_gradients_match_finite_differences(name):
    make, params = RSAMPLE_CASES[name]
    got, want = _fd_rsample(make, params)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


def test_log_prob_gradients_match_finite_differences():
    cases = [(lambda p: D.ContinuousBernoulli(p), [[0.3, 0.7]], T([0.2, 0.9])),
             (lambda a, b: D.FisherSnedecor(a, b), [2.5, 7.0], T(1.3)),
             (lambda a, b: D.InverseGamma(a, b), [2.5, 1.5], T(0.8)),
             (lambda a, b: D.VonMises(a, b), [0.3, 1.7], T(1.1)),
             (lambda a, b, c: D.GeneralizedPareto(a, b, c), [0.3, 1.7, 0.4], T(1.1)),
             (lambda c: D.LKJCholesky(3, c), [1.7], T([[1.0, 0, 0], [0.6, 0.8, 0], [0.0, 0.6, 0.8]])),
             (lambda df, L: D.Wishart(df, scale_tril=L, validate_args=False), [4.5, [[1.0, 0.0], [0.4, 0.7]]],
              T([[2.0, 0.3], [0.3, 1.0]]))]
    eps = 1e-6
    for make, params, value in cases:
        leaves = [nt.tensor(p, dtype=F64, requires_grad=True) for p in params]
        make(*leaves).log_prob(value).sum().backward()
        for i, p in enumerate(params):
            p = np.array(p, dtype=np.float64)
            for j in np.ndindex(p.shape):
                vals = []
                for sign in (1, -1):
                    q = p.copy()
                    q[j] += sign * eps
                    args = [nt.tensor(q if k == i else params[k], dtype=F64) for k in range(len(params))]
                    vals.append(float(make(*args).log_prob(value).sum()))
                fd = (vals[0] - vals[1]) / (2 * eps)
                assert abs(_np(leaves[i].grad)[j] - fd) < 1e-6 * max(1, abs(fd)), (make, i, j)


def test_logistic_normal_density_integrates_to_one_on_the_simplex():
    d = D.LogisticNormal(T([0.3, -0.5]), T([0.6, 0.9]))
    assert d.batch_shape == () and d.event_shape == (3,)
    n = 1500
    h = 1.0 / n
    u = (np.arange(n) + 0.5) * h  # midpoints of a grid on the triangle x1 + x2 < 1
    x1, x2 = np.meshgrid(u, u, indexing="ij")
    inside = x1 + x2 < 1 - 1e-12
    pts = np.stack([x1[inside], x2[inside], 1 - x1[inside] - x2[inside]], -1)
    total = np.exp(_np(d.log_prob(nt.tensor(pts)))).sum() * h * h
    assert abs(total - 1) < 2e-3
    assert D.LogisticNormal(T(0.0), T(1.0)).event_shape == (2,)
    with pytest.raises(ValueError, match=r"Expected parameter scale .* of distribution Normal"):
        D.LogisticNormal(T([0.0, 1.0]), T([1.0, 0.0]))


def _wishart_log_pdf(df, S, X):
    p = S.shape[0]
    lmvg = p * (p - 1) / 4 * math.log(math.pi) + sum(math.lgamma(df / 2 - j / 2) for j in range(p))
    return ((df - p - 1) / 2 * np.linalg.slogdet(X)[1] - np.trace(np.linalg.solve(S, X)) / 2
            - df * p / 2 * math.log(2) - df / 2 * np.linalg.slogdet(S)[1] - lmvg)


def test_wishart_log_prob_moments_and_entropy():
    L = np.array([[1.5, 0.0, 0.0], [0.4, 0.9, 0.0], [-0.3, 0.2, 0.6]])
    S = L @ L.T
    X = np.array([[3.0, 0.2, 0.1], [0.2, 2.0, 0.3], [0.1, 0.3, 1.0]])
    for kw in ({"covariance_matrix": nt.tensor(S)}, {"scale_tril": nt.tensor(L)},
               {"precision_matrix": nt.tensor(np.linalg.inv(S))}):
        d = D.Wishart(T([4.0, 7.5]), **kw)
        assert d.batch_shape == (2,) and d.event_shape == (3, 3)
        np.testing.assert_allclose(_np(d.log_prob(nt.tensor(X))),
                                   [_wishart_log_pdf(4.0, S, X), _wishart_log_pdf(7.5, S, X)], rtol=1e-10)
        np.testing.assert_allclose(_np(d.covariance_matrix[0]), S, rtol=1e-10)
        np.testing.assert_allclose(_np(d.precision_matrix[1]), np.linalg.inv(S), rtol=1e-8)
    np.testing.assert_allclose(_np(d.mean), np.stack([4.0 * S, 7.5 * S]), rtol=1e-10)
    np.testing.assert_allclose(_np(d.mode[1]), 3.5 * S, rtol=1e-10)
    assert np.isnan(_np(d.mode[0])).all()
    nt.manual_seed(5)
    n = 40_000
    s = d.rsample((n,))
    assert tuple(s.shape) == (n, 2, 3, 3) and bool(d.support.check(s).all())
    x = _np(s)
    _check_moments(x.reshape(n, -1), _np(d.mean).reshape(-1), _np(d.variance).reshape(-1))
    # entropy = -E[log p] by Monte Carlo over the draws
    lp = _np(d.log_prob(s))
    assert np.all(np.abs(-lp.mean(0) - _np(d.entropy())) <= 6 * lp.std(0) / math.sqrt(n))


def test_wishart_shapes_expand_and_errors():
    d = D.Wishart(T([3.0, 4.0]), covariance_matrix=nt.eye(2, dtype=F64))
    e = d.expand((5, 2))
    assert e.batch_shape == (5, 2) and e.sample((3,)).shape == (3, 5, 2, 2, 2)
    np.testing.assert_allclose(_np(e.log_prob(nt.eye(2, dtype=F64))),
                               np.broadcast_to(_np(d.log_prob(nt.eye(2, dtype=F64))), (5, 2)))
    assert D.Wishart(3.0, covariance_matrix=nt.eye(2, dtype=F64)).df.dtype is F64
    with pytest.raises(ValueError, match=r"^Value of df=1.0 expected to be greater than ndim - 1 = 2.$"):
        D.Wishart(T(1.0), covariance_matrix=nt.eye(3, dtype=F64))
    with pytest.raises(AssertionError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        D.Wishart(T(4.0), covariance_matrix=nt.eye(2), scale_tril=nt.eye(2))
    with pytest.raises(ValueError, match="scale_tril must be at least two-dimensional"):
        D.Wishart(T(4.0), covariance_matrix=nt.ones(2))
    with pytest.raises(ValueError, match=r"Expected parameter covariance_matrix \(Tensor of shape \(2, 2\)\) of "
                                         r"distribution Wishart.* PositiveDefinite\(\)"):
        D.Wishart(T(4.0), covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match=r"within the support \(PositiveDefinite\(\)\)"):
        D.Wishart(T(4.0), covariance_matrix=nt.eye(2, dtype=F64)).log_prob(T([[1.0, 2.0], [2.0, 1.0]]))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        D.Wishart(T(1.5), covariance_matrix=nt.eye(2, dtype=F64))
    assert any("Low df values detected" in str(x.message) for x in w)
    with warnings.catch_warnings():  # a well-conditioned draw does not warn (torch 2.13 always does)
        warnings.simplefilter("error")
        D.Wishart(T(5.0), covariance_matrix=nt.eye(2, dtype=F64)).rsample((4,))


def test_lkj_cholesky_normalisation_log_prob_and_samples():
    # dim 2: the free entry r = L[1, 0] has density (1 - r^2) ** (eta - 1) / (2 ** (2 eta - 1) B(eta, eta))
    eta = 2.3
    d = D.LKJCholesky(2, T(eta))
    r = np.linspace(-0.9, 0.9, 7)
    Ls = np.zeros((7, 2, 2))
    Ls[:, 0, 0], Ls[:, 1, 0], Ls[:, 1, 1] = 1, r, np.sqrt(1 - r**2)
    log_b = 2 * math.lgamma(eta) - math.lgamma(2 * eta)
    want = (eta - 1) * np.log1p(-(r**2)) - (2 * eta - 1) * math.log(2) - log_b
    np.testing.assert_allclose(_np(d.log_prob(nt.tensor(Ls))), want, rtol=1e-10)
    # dim 3: the free entries (L10, L20, L21) with L10 in (-1, 1) and (L20, L21) in the unit disc; E_q[p / q] = 1
    rng = np.random.default_rng(0)
    m = 400_000
    l10 = rng.uniform(-1, 1, m)
    rad, ang = np.sqrt(rng.uniform(0, 1, m)), rng.uniform(0, 2 * math.pi, m)
    l20, l21 = rad * np.cos(ang), rad * np.sin(ang)
    L = np.zeros((m, 3, 3))
    L[:, 0, 0], L[:, 1, 0], L[:, 1, 1] = 1, l10, np.sqrt(1 - l10**2)
    L[:, 2, 0], L[:, 2, 1], L[:, 2, 2] = l20, l21, np.sqrt(np.clip(1 - l20**2 - l21**2, 1e-300, None))
    w = np.exp(_np(D.LKJCholesky(3, T(1.7), validate_args=False).log_prob(nt.tensor(L)))) * (2 * math.pi)
    assert abs(w.mean() - 1) < 6 * w.std() / math.sqrt(m)
    # samples: C = L L^T has unit diagonal, each r_ij has (r + 1) / 2 ~ Beta(a, a), a = eta - 1 + dim / 2
    nt.manual_seed(9)
    k = D.LKJCholesky(3, T([0.8, 3.0]))
    s = k.sample((20_000,))
    assert tuple(s.shape) == (20_000, 2, 3, 3) and bool(k.support.check(s).all())
    C = _np(s @ s.mT)
    np.testing.assert_allclose(np.diagonal(C, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    for b, e in enumerate((0.8, 3.0)):
        offd = C[:, b, [1, 2, 2], [0, 0, 1]]
        _check_moments(offd, np.zeros(3), np.full(3, 1 / (2 * e + 2)))
    assert k.expand((4, 2)).sample().shape == (4, 2, 3, 3)
    with pytest.raises(ValueError, match=r"^Expected dim to be an integer greater than or equal to 2. Found dim=1.$"):
        D.LKJCholesky(1)
    with pytest.raises(ValueError, match=r"within the support \(CorrCholesky\(\)\)"):
        D.LKJCholesky(2).log_prob(T([[1.0, 0.0], [0.5, 0.5]]))


def test_validate_args_errors():
    with pytest.raises(ValueError, match=r"Expected parameter concentration1 \(Tensor of shape \(\)\) of "
                                         r"distribution Kumaraswamy\(concentration1: -1.0, concentration0: 1.0\)"):
        D.Kumaraswamy(T(-1.0), T(1.0))
    with pytest.raises(ValueError, match=r"Expected parameter concentration .* of distribution Gamma"):
        D.FisherSnedecor(T([1.0, -1.0]), T(1.0))
    with pytest.raises(ValueError, match=r"Expected parameter concentration .* of distribution Gamma"):
        D.InverseGamma(T(-1.0), T(1.0))
    with pytest.raises(ValueError, match=r"Expected parameter concentration .* of distribution VonMises"):
        D.VonMises(T(0.0), T(-1.0))
    with pytest.raises(ValueError, match=r"Expected parameter scale .* of distribution GeneralizedPareto"):
        D.GeneralizedPareto(T(0.0), T(-1.0), T(0.1))
    with pytest.raises(ValueError, match=r"Expected parameter concentration .* of distribution Dirichlet"):  # torch's
        D.LKJCholesky(3, T(-1.0))
    with pytest.raises(ValueError, match=r"within the support \(GreaterThan\(lower_bound=0.0\)\) of the "
                                         r"distribution InverseGamma"):
        D.InverseGamma(T(2.0), T(1.0)).log_prob(T(-1.0))
    with pytest.raises(ValueError, match=r"within the support \(Interval\(lower_bound=0.0, upper_bound=1.0\)\)"):
        D.Kumaraswamy(T(2.0), T(1.0)).log_prob(T(1.5))


EXPAND_CASES = {
    "cb": lambda: D.ContinuousBernoulli(T([0.3])),
    "cb_logits": lambda: D.ContinuousBernoulli(logits=T([0.3])),
    "fisher": lambda: D.FisherSnedecor(T([3.0]), T([5.0])),
    "gp": lambda: D.GeneralizedPareto(T([0.0]), T([1.0]), T([0.2])),
    "inverse_gamma": lambda: D.InverseGamma(T([3.0]), T([5.0])),
    "kumaraswamy": lambda: D.Kumaraswamy(T([3.0]), T([5.0])),
    "von_mises": lambda: D.VonMises(T([0.3]), T([5.0])),
    "logistic_normal": lambda: D.LogisticNormal(T([[0.3, 0.1]]), T([[1.0, 2.0]])),
}


@pytest.mark.parametrize("name", list(EXPAND_CASES))
def test_expand_keeps_type_parameters_and_log_prob(name):
    d = EXPAND_CASES[name]()
    e = d.expand((4, 1))
    assert type(e) is type(d) and e.batch_shape == (4, 1) and e.event_shape == d.event_shape
    nt.manual_seed(0)
    x = d.sample()
    np.testing.assert_allclose(_np(e.log_prob(x)), np.broadcast_to(_np(d.log_prob(x)), (4, 1)), rtol=1e-12)
    assert e.sample((2,)).shape == (2, 4, 1) + tuple(d.event_shape)


def test_one_hot_categorical_straight_through():
    probs = nt.tensor([0.2, 0.5, 0.3], dtype=F64, requires_grad=True)
    d = D.OneHotCategoricalStraightThrough(probs)
    assert d.has_rsample and isinstance(d, D.OneHotCategorical)
    nt.manual_seed(2)
    s = d.rsample((6,))
    assert tuple(s.shape) == (6, 3)
    np.testing.assert_allclose(_np(s).sum(-1), 1.0)
    assert set(np.unique(_np(s))) <= {0.0, 1.0}
    w = nt.tensor([1.0, -2.0, 0.5], dtype=F64)
    (s * w).sum().backward()
    # the gradient of sum(c * probs / sum(probs)) at sum(probs) = 1, c = 6 w: c - <c, probs>
    c = 6 * np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(_np(probs.grad), c - c @ np.array([0.2, 0.5, 0.3]), rtol=1e-12)


def test_cumulative_distribution_transform():
    base = D.Normal(T(0.3), T(1.4))
    t = transforms.CumulativeDistributionTransform(base)
    x = T([-1.0, 0.2, 2.5])
    y = t(x)
    np.testing.assert_allclose(_np(y), [0.5 * (1 + math.erf((v - 0.3) / (1.4 * math.sqrt(2)))) for v in _np(x)],
                               rtol=1e-12)
    np.testing.assert_allclose(_np(t.inv(y)), _np(x), rtol=1e-10)
    np.testing.assert_allclose(_np(t.log_abs_det_jacobian(x, y)), _np(base.log_prob(x)), rtol=1e-12)
    assert t.domain is base.support and t.sign == 1 and t.bijective
    assert t.with_cache(1)._cache_size == 1 and t.with_cache(0) is t
    u = D.TransformedDistribution(base, [t])  # the probability integral transform: Uniform(0, 1)
    np.testing.assert_allclose(_np(u.log_prob(T([0.1, 0.5, 0.9]))), 0.0, atol=1e-12)


def _kl_grid(p, q, lo, hi, n=400_001, log_scale=False):
    """KL(p || q) by the trapezoid rule on [lo, hi], in log x for heavy tails."""
    t = np.linspace(math.log(lo), math.log(hi), n) if log_scale else np.linspace(lo, hi, n)
    x = np.exp(t) if log_scale else t
    lp, lq = _np(p.log_prob(nt.tensor(x))), _np(q.log_prob(nt.tensor(x)))
    pp = np.exp(lp)
    with np.errstate(invalid="ignore"):
        f = np.where(pp > 0, pp * (lp - lq), 0.0)
    return float(np.trapezoid(f * x if log_scale else f, t))


# (p, q, lo, hi): finite KL(p || q) by integration over p's support
KL_CASES = {
    "cb_cb": (lambda: D.ContinuousBernoulli(T(0.2)), lambda: D.ContinuousBernoulli(T(0.7)), 0.0, 1.0),
    "beta_cb": (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.ContinuousBernoulli(T(0.3)), 0.0, 1.0),
    "uniform_cb": (lambda: D.Uniform(T(0.2), T(0.9)), lambda: D.ContinuousBernoulli(T(0.3)), 0.2, 0.9 - 1e-12),
    "uniform01_cb": (lambda: D.Uniform(T(0.0), T(1.0)), lambda: D.ContinuousBernoulli(T(0.8)), 0.0, 1.0 - 1e-12),
    "cb_uniform": (lambda: D.ContinuousBernoulli(T(0.3)), lambda: D.Uniform(T(-1.0), T(2.0)), 0.0, 1.0),
    "cb01_uniform": (lambda: D.ContinuousBernoulli(T(0.3)), lambda: D.Uniform(T(0.0), T(1.0 + 1e-9)), 0.0, 1.0),
    "cb_exponential": (lambda: D.ContinuousBernoulli(T(0.6)), lambda: D.Exponential(T(2.0)), 0.0, 1.0),
    "cb_normal": (lambda: D.ContinuousBernoulli(T(0.6)), lambda: D.Normal(T(0.2), T(0.7)), 0.0, 1.0),
    "beta_exponential": (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.Exponential(T(2.0)), 0.0, 1.0),
    "beta_gamma": (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.Gamma(T(2.0), T(1.5)), 0.0, 1.0),
    "beta_normal": (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.Normal(T(0.2), T(0.7)), 0.0, 1.0),
    "beta_uniform": (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.Uniform(T(-0.5), T(1.5)), 0.0, 1.0),
    "exponential_gamma": (lambda: D.Exponential(T(1.5)), lambda: D.Gamma(T(2.0), T(0.8)), 1e-12, 60.0),
    "exponential_gumbel": (lambda: D.Exponential(T(1.5)), lambda: D.Gumbel(T(0.5), T(2.0)), 0.0, 60.0),
    "exponential_normal": (lambda: D.Exponential(T(1.5)), lambda: D.Normal(T(0.5), T(2.0)), 0.0, 60.0),
    "gamma_exponential": (lambda: D.Gamma(T(2.5), T(1.5)), lambda: D.Exponential(T(0.7)), 0.0, 60.0),
    "gamma_gumbel": (lambda: D.Gamma(T(2.5), T(1.5)), lambda: D.Gumbel(T(0.5), T(2.0)), 0.0, 60.0),
    "gamma_normal": (lambda: D.Gamma(T(2.5), T(1.5)), lambda: D.Normal(T(0.5), T(2.0)), 0.0, 60.0),
    "gumbel_normal": (lambda: D.Gumbel(T(0.5), T(1.2)), lambda: D.Normal(T(0.2), T(2.0)), -10.0, 60.0),
    "laplace_normal": (lambda: D.Laplace(T(0.5), T(1.2)), lambda: D.Normal(T(0.2), T(2.0)), -60.0, 60.0),
    "normal_gumbel": (lambda: D.Normal(T(0.5), T(1.2)), lambda: D.Gumbel(T(0.2), T(2.0)), -20.0, 20.0),
    "pareto_pareto": (lambda: D.Pareto(T(2.0), T(3.0)), lambda: D.Pareto(T(1.5), T(2.0)), 2.0, 20000.0),
    "pareto_exponential": (lambda: D.Pareto(T(2.0), T(3.0)), lambda: D.Exponential(T(0.5)), 2.0, 20000.0),
    "pareto_gamma": (lambda: D.Pareto(T(2.0), T(3.0)), lambda: D.Gamma(T(2.0), T(0.5)), 2.0, 20000.0),
    "pareto_normal": (lambda: D.Pareto(T(2.0), T(4.0)), lambda: D.Normal(T(1.0), T(3.0)), 2.0, 20000.0),
    "uniform_beta": (lambda: D.Uniform(T(0.2), T(0.7)), lambda: D.Beta(T(2.0), T(3.0)), 0.2, 0.7 - 1e-12),
    "uniform_exponential": (lambda: D.Uniform(T(0.2), T(3.0)), lambda: D.Exponential(T(1.5)), 0.2, 3.0 - 1e-12),
    "uniform_gamma": (lambda: D.Uniform(T(0.2), T(3.0)), lambda: D.Gamma(T(2.0), T(1.5)), 0.2, 3.0 - 1e-12),
    "uniform_gumbel": (lambda: D.Uniform(T(0.2), T(3.0)), lambda: D.Gumbel(T(0.5), T(1.5)), 0.2, 3.0 - 1e-12),
    "uniform_pareto": (lambda: D.Uniform(T(1.2), T(3.0)), lambda: D.Pareto(T(1.0), T(1.5)), 1.2, 3.0 - 1e-12),
}


@pytest.mark.parametrize("name", list(KL_CASES))
def test_kl_against_numeric_integration(name):
    mp, mq, lo, hi = KL_CASES[name]
    p, q = mp(), mq()
    got = float(D.kl_divergence(p, q))
    # in log x for the heavy Pareto tails and the log singularity of Gamma(2) at 0
    want = _kl_grid(p, q, lo, hi, log_scale=name.startswith("pareto") or name == "exponential_gamma")
    assert abs(got - want) < 1e-5 * max(1, abs(want)), (got, want)


def test_kl_infinite_and_discrete_pairs():
    inf_pairs = [(D.Normal(T(0.0), T(1.0)), D.Exponential(T(1.0))), (D.Gamma(T(2.0), T(1.0)), D.Beta(T(2.0), T(1.0))),
                 (D.Laplace(T(0.0), T(1.0)), D.Uniform(T(-1.0), T(1.0))),
                 (D.Gumbel(T(0.0), T(1.0)), D.ContinuousBernoulli(T(0.3))),
                 (D.Exponential(T(1.0)), D.Pareto(T(1.0), T(2.0))), (D.Beta(T(2.0), T(2.0)), D.Pareto(T(1.0), T(2.0))),
                 (D.Poisson(T(1.0)), D.Bernoulli(T(0.3))), (D.Poisson(T(1.0)), D.Binomial(3, T(0.3))),
                 (D.Pareto(T(1.0), T(2.0)), D.Uniform(T(0.0), T(5.0))),
                 (D.Uniform(T(-0.1), T(0.5)), D.ContinuousBernoulli(T(0.3))),
                 (D.ContinuousBernoulli(T(0.3)), D.Uniform(T(0.1), T(2.0))),
                 (D.Uniform(T(-0.1), T(0.5)), D.Exponential(T(1.0))),
                 (D.Pareto(T(1.0), T(0.8)), D.Normal(T(0.0), T(1.0))),
                 (D.Pareto(T(1.0), T(1.5)), D.Pareto(T(2.0), T(1.5)))]
    for p, q in inf_pairs:
        assert float(D.kl_divergence(p, q)) == math.inf, (type(p).__name__, type(q).__name__)
    # Bernoulli || Poisson: the sum over {0, 1} (p puts no mass elsewhere)
    pb, rate = 0.3, 0.8
    want = sum(pk * (math.log(pk) - (k * math.log(rate) - rate - math.lgamma(k + 1))) for k, pk in ((0, 1 - pb),
                                                                                                  (1, pb)))
    assert abs(float(D.kl_divergence(D.Bernoulli(T(pb)), D.Poisson(T(rate)))) - want) < 1e-12


def _mvn_kl(m0, S0, m1, S1):
    k = len(m0)
    S1i = np.linalg.inv(S1)
    d = m1 - m0
    return 0.5 * (np.trace(S1i @ S0) + d @ S1i @ d - k + np.linalg.slogdet(S1)[1] - np.linalg.slogdet(S0)[1])


def test_kl_low_rank_multivariate_normals():
    W1 = np.array([[1.0, 0.5], [0.2, -0.3], [0.4, 0.1]])
    W2 = np.array([[0.3], [-0.6], [0.2]])
    m1, m2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.0, 2.5])
    d1, d2 = np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 0.5])
    S1, S2 = W1 @ W1.T + np.diag(d1), W2 @ W2.T + np.diag(d2)
    p = D.LowRankMultivariateNormal(nt.tensor(m1), nt.tensor(W1), nt.tensor(d1))
    q = D.LowRankMultivariateNormal(nt.tensor(m2), nt.tensor(W2), nt.tensor(d2))
    fp = D.MultivariateNormal(nt.tensor(m1), covariance_matrix=nt.tensor(S1))
    fq = D.MultivariateNormal(nt.tensor(m2), covariance_matrix=nt.tensor(S2))
    for a, b, want in ((p, q, _mvn_kl(m1, S1, m2, S2)), (fp, q, _mvn_kl(m1, S1, m2, S2)),
                       (p, fq, _mvn_kl(m1, S1, m2, S2)), (q, p, _mvn_kl(m2, S2, m1, S1))):
        assert abs(float(D.kl_divergence(a, b)) - want) < 1e-10
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(p, D.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0], [0.0]]), T([1.0, 1.0])))
