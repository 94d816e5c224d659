"""ntorch.distributions against independent oracles: closed forms written here with math/numpy, numeric
integration of exp(log_prob) on fine grids (normalisation, mean, variance, entropy, cdf, KL), sums over the
support for discrete ones, sample moments at fixed seeds within 6 standard errors, reparameterised gradients
against float64 finite differences, and torch's shapes and validation errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ntorch as nt
import ntorch.distributions as D
from ntorch.distributions import constraints, transforms

F64 = nt.float64


def T(*values):
    return nt.tensor(values if len(values) != 1 else values[0], dtype=F64)


def _np(t):
    return t.detach().numpy().astype(np.float64)


def _grid_integral(d, lo, hi, fn, n=400_001):
    """Integral over [lo, hi] of fn(x, pdf, log_pdf) with the trapezoid rule on n points (a scalar distribution)."""
    x = np.linspace(lo, hi, n)
    lp = _np(d.log_prob(nt.tensor(x)))
    p = np.exp(lp)
    with np.errstate(invalid="ignore"):
        vals = fn(x, p, np.where(p > 0, lp, 0.0))
    return float(np.trapezoid(vals, x))


# (distribution, lo, hi): scalar float64 parameters with smooth densities vanishing (or integrable) at the ends
CONTINUOUS = {
    "normal": (lambda: D.Normal(T(0.3), T(1.7)), -20.0, 20.0),
    "uniform": (lambda: D.Uniform(T(-1.0), T(2.5)), -1.0, 2.5 - 1e-12),
    "exponential": (lambda: D.Exponential(T(1.3)), 0.0, 40.0),
    "laplace": (lambda: D.Laplace(T(0.5), T(0.8)), -30.0, 30.0),
    "gumbel": (lambda: D.Gumbel(T(0.5), T(1.5)), -10.0, 60.0),
    "lognormal": (lambda: D.LogNormal(T(0.2), T(0.5)), 1e-9, 40.0),
    "halfnormal": (lambda: D.HalfNormal(T(1.4)), 0.0, 15.0),
    "studentt": (lambda: D.StudentT(T(7.0), T(0.5), T(2.0)), -3000.0, 3000.0),
    "gamma": (lambda: D.Gamma(T(2.5), T(1.5)), 0.0, 40.0),
    "chi2": (lambda: D.Chi2(T(5.0)), 0.0, 100.0),
    "beta": (lambda: D.Beta(T(2.5), T(3.5)), 0.0, 1.0),
    "pareto": (lambda: D.Pareto(T(1.5), T(5.0)), 1.5, 300.0),
    "weibull": (lambda: D.Weibull(T(1.5), T(2.0)), 1e-12, 20.0),
    "mixture": (lambda: D.MixtureSameFamily(D.Categorical(T([0.3, 0.7])), D.Normal(T([-1.0, 2.0]), T([0.5, 1.5]))),
                -20.0, 25.0),
}


@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_continuous_density_integrates_to_mean_variance_entropy(name):
    make, lo, hi = CONTINUOUS[name]
    d = make()
    total = _grid_integral(d, lo, hi, lambda x, p, lp: p)
    mean = _grid_integral(d, lo, hi, lambda x, p, lp: x * p)
    var = _grid_integral(d, lo, hi, lambda x, p, lp: (x - mean) ** 2 * p)
    ent = _grid_integral(d, lo, hi, lambda x, p, lp: -p * lp)
    tol = 2e-3 if name == "studentt" else 1e-5  # the t tails beyond the grid hold about 1e-3 of the variance
    assert abs(total - 1) < 1e-5
    assert abs(float(d.mean) - mean) < 1e-5 * max(1, abs(mean))
    assert abs(float(d.variance) - var) < tol * max(1, var)
    assert abs(float(d.stddev) - math.sqrt(var)) < tol * max(1, math.sqrt(var))
    if name != "mixture":  # no entropy for mixtures in torch
        assert abs(float(d.entropy()) - ent) < 1e-5 * max(1, abs(ent))


@pytest.mark.parametrize("name", ["normal", "uniform", "exponential", "laplace", "gumbel", "lognormal", "halfnormal",
                                  "gamma", "chi2"])
def test_cdf_is_integral_of_density_and_icdf_inverts(name):
    make, lo, hi = CONTINUOUS[name]
    d = make()
    qs = np.quantile(np.linspace(lo, hi, 1000), [0.02, 0.1, 0.3])
    mean = float(d.mean)
    points = [q for q in qs if q > lo] + [mean]
    for x in points:
        want = _grid_integral(d, lo, x, lambda x, p, lp: p, n=200_001)
        assert abs(float(d.cdf(T(x))) - want) < 1e-6, (x, float(d.cdf(T(x))), want)
    if name not in ("gamma", "chi2"):  # no icdf in torch
        u = T([0.05, 0.3, 0.5, 0.9])
        np.testing.assert_allclose(_np(d.cdf(d.icdf(u))), _np(u), atol=1e-10)


def test_log_prob_closed_forms():
    x = T([-1.5, 0.0, 0.7, 2.0])
    xs = _np(x)
    np.testing.assert_allclose(_np(D.Normal(0.5, 2.0).log_prob(x)),
                               -((xs - 0.5) ** 2) / 8 - math.log(2.0) - 0.5 * math.log(2 * math.pi))
    np.testing.assert_allclose(_np(D.Cauchy(T(0.5), T(2.0)).log_prob(x)),
                               -np.log(math.pi * 2.0 * (1 + ((xs - 0.5) / 2) ** 2)))
    np.testing.assert_allclose(_np(D.Cauchy(T(0.5), T(2.0)).cdf(x)), np.arctan((xs - 0.5) / 2) / math.pi + 0.5)
    df = 3.0
    want = [math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
            - (df + 1) / 2 * math.log1p(v * v / df) for v in xs]
    np.testing.assert_allclose(_np(D.StudentT(T(df)).log_prob(x)), want)
    a, b = 2.0, 3.0
    pos = T([0.1, 1.0, 4.0])
    want = [a * math.log(b) + (a - 1) * math.log(v) - b * v - math.lgamma(a) for v in _np(pos)]
    np.testing.assert_allclose(_np(D.Gamma(T(a), T(b)).log_prob(pos)), want)
    u = T([0.1, 0.5, 0.8])
    want = [(a - 1) * math.log(v) + (b - 1) * math.log(1 - v) + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
            for v in _np(u)]
    np.testing.assert_allclose(_np(D.Beta(T(a), T(b)).log_prob(u)), want)
    # Cauchy's mean and variance are undefined: nan and inf as torch
    c = D.Cauchy(T([0.0, 1.0]), T([1.0, 1.0]))
    assert np.isnan(_np(c.mean)).all() and np.isinf(_np(c.variance)).all()


def test_dirichlet_and_multivariate_normal_log_prob():
    alpha = np.array([1.5, 2.0, 0.7])
    v = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    want = [math.lgamma(alpha.sum()) - sum(math.lgamma(a) for a in alpha) + float(((alpha - 1) * np.log(r)).sum())
            for r in v]
    np.testing.assert_allclose(_np(D.Dirichlet(T(alpha.tolist())).log_prob(nt.tensor(v))), want)
    cov = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.5]])
    loc = np.array([0.1, -0.3, 0.2])
    pts = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.5]])
    inv = np.linalg.inv(cov)
    want = [-0.5 * (3 * math.log(2 * math.pi) + math.log(np.linalg.det(cov)) + (p - loc) @ inv @ (p - loc))
            for p in pts]
    chol = np.linalg.cholesky(cov)
    for kw in (dict(covariance_matrix=nt.tensor(cov)), dict(precision_matrix=nt.tensor(inv)),
               dict(scale_tril=nt.tensor(chol))):
        d = D.MultivariateNormal(nt.tensor(loc), **kw)
        np.testing.assert_allclose(_np(d.log_prob(nt.tensor(pts))), want, rtol=1e-10)
        np.testing.assert_allclose(_np(d.covariance_matrix), cov, atol=1e-12)
        np.testing.assert_allclose(_np(d.precision_matrix), inv, atol=1e-10)
        np.testing.assert_allclose(_np(d.scale_tril), chol, atol=1e-12)
        np.testing.assert_allclose(_np(d.variance), np.diag(cov), atol=1e-12)
        assert abs(float(d.entropy()) - 0.5 * (3 * (1 + math.log(2 * math.pi)) + math.log(np.linalg.det(cov)))) < 1e-12
    # batched: loc (2, 3) against one covariance
    d = D.MultivariateNormal(nt.tensor(np.stack([loc, loc])), covariance_matrix=nt.tensor(cov))
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    np.testing.assert_allclose(_np(d.log_prob(nt.tensor(pts))), want, rtol=1e-10)


# (distribution, support values covering all but a negligible mass)
DISCRETE = {
    "bernoulli": (lambda: D.Bernoulli(T(0.3)), np.arange(2.0)),
    "bernoulli_logits": (lambda: D.Bernoulli(logits=T(-0.4)), np.arange(2.0)),
    "poisson": (lambda: D.Poisson(T(3.5)), np.arange(80.0)),
    "binomial": (lambda: D.Binomial(12, T(0.35)), np.arange(13.0)),
    "binomial_logits": (lambda: D.Binomial(T(7.0), logits=T(0.8)), np.arange(8.0)),
    "geometric": (lambda: D.Geometric(T(0.3)), np.arange(400.0)),
    "categorical": (lambda: D.Categorical(T([0.1, 0.2, 0.3, 0.4]) * 3), np.arange(4.0)),
    "negative_binomial": (lambda: D.NegativeBinomial(T(2.5), T(0.4)), np.arange(400.0)),
}


@pytest.mark.parametrize("name", list(DISCRETE))
def test_discrete_pmf_sums_to_mean_variance_entropy(name):
    make, support = DISCRETE[name]
    d = make()
    value = nt.tensor(support).long() if name == "categorical" else nt.tensor(support)
    lp = _np(d.log_prob(value))
    p = np.exp(lp)
    assert abs(p.sum() - 1) < 1e-12
    if name != "categorical":
        mean = (support * p).sum()
        assert abs(float(d.mean) - mean) < 1e-10
        assert abs(float(d.variance) - ((support - mean) ** 2 * p).sum()) < 1e-9
    if name not in ("poisson", "negative_binomial"):  # no entropy in torch
        assert abs(float(d.entropy()) - float(-(p * lp).sum())) < 1e-10
    if d.has_enumerate_support:
        np.testing.assert_array_equal(_np(d.enumerate_support()), support)


def test_discrete_log_prob_closed_forms():
    n, q = 12, 0.35
    ks = np.arange(13.0)
    want = [math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(q)
            + (n - k) * math.log(1 - q) for k in ks]
    np.testing.assert_allclose(_np(D.Binomial(n, T(q)).log_prob(nt.tensor(ks))), want, rtol=1e-12)
    want = [k * math.log(3.5) - 3.5 - math.lgamma(k + 1) for k in ks]
    np.testing.assert_allclose(_np(D.Poisson(T(3.5)).log_prob(nt.tensor(ks))), want, rtol=1e-12)
    want = [k * math.log(0.7) + math.log(0.3) for k in ks]
    np.testing.assert_allclose(_np(D.Geometric(T(0.3)).log_prob(nt.tensor(ks))), want, rtol=1e-12)
    probs = np.array([0.2, 0.3, 0.5])
    counts = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 5.0]])
    want = [math.lgamma(6) - sum(math.lgamma(c + 1) for c in row) + float((row * np.log(probs)).sum())
            for row in counts]
    m = D.Multinomial(5, T(probs.tolist()))
    np.testing.assert_allclose(_np(m.log_prob(nt.tensor(counts))), want, rtol=1e-12)
    # entropy: a sum over every count vector of 5 draws among 3 categories
    total = 0.0
    for a in range(6):
        for b in range(6 - a):
            c = 5 - a - b
            lp = math.lgamma(6) - math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(c + 1) + float(
                np.dot([a, b, c], np.log(probs)))
            total -= math.exp(lp) * lp
    assert abs(float(m.entropy()) - total) < 1e-10
    oh = D.OneHotCategorical(T(probs.tolist()))
    np.testing.assert_allclose(_np(oh.log_prob(nt.eye(3, dtype=F64))), np.log(probs))
    np.testing.assert_array_equal(_np(oh.enumerate_support()), np.eye(3))
    np.testing.assert_array_equal(_np(oh.mode), [0, 0, 1])


def _check_moments(samples, mean, var, k=6.0):
    """Sample mean and variance within k standard errors (the variance's from the sample fourth moment)."""
    x = samples.reshape(samples.shape[0], -1)
    n = x.shape[0]
    m = x.mean(0)
    v = x.var(0)
    se_m = np.sqrt(v / n)
    se_v = np.sqrt(((x - m) ** 2).var(0) / n)
    assert np.all(np.abs(m - mean.ravel()) <= k * se_m + 1e-12), (m, mean)
    assert np.all(np.abs(v - var.ravel()) <= k * se_v + 1e-12), (v, var)


MOMENT_CASES = {
    "normal": lambda: D.Normal(T([0.0, 2.0]), T([1.0, 0.5])),
    "uniform": lambda: D.Uniform(T([0.0, -2.0]), T([1.0, 3.0])),
    "exponential": lambda: D.Exponential(T([0.5, 3.0])),
    "laplace": lambda: D.Laplace(T([0.0, 1.0]), T([1.0, 0.3])),
    "gumbel": lambda: D.Gumbel(T([0.0, 1.0]), T([1.0, 0.3])),
    "lognormal": lambda: D.LogNormal(T([0.0, 0.5]), T([0.3, 0.2])),
    "halfnormal": lambda: D.HalfNormal(T([1.0, 2.0])),
    "studentt": lambda: D.StudentT(T([9.0, 12.0]), T([0.0, 1.0]), T([1.0, 2.0])),
    "gamma": lambda: D.Gamma(T([0.3, 1.0, 4.5, 50.0]), T([1.0, 2.0, 0.5, 3.0])),
    "chi2": lambda: D.Chi2(T([1.0, 6.0])),
    "beta": lambda: D.Beta(T([0.5, 2.0, 5.0]), T([0.5, 3.0, 1.0])),
    "dirichlet": lambda: D.Dirichlet(T([[0.3, 1.0, 2.0], [4.0, 5.0, 6.0]])),
    "bernoulli": lambda: D.Bernoulli(T([0.1, 0.5, 0.9])),
    "poisson": lambda: D.Poisson(T([0.5, 10.0])),
    "binomial": lambda: D.Binomial(T([5.0, 20.0]), T([0.3, 0.9])),
    "geometric": lambda: D.Geometric(T([0.2, 0.7])),
    "multinomial": lambda: D.Multinomial(6, T([0.2, 0.3, 0.5])),
    "onehot": lambda: D.OneHotCategorical(T([0.2, 0.3, 0.5])),
    "mvn": lambda: D.MultivariateNormal(T([1.0, -1.0]), covariance_matrix=T([[2.0, 0.6], [0.6, 0.5]])),
    "pareto": lambda: D.Pareto(T([1.5, 0.5]), T([9.0, 12.0])),
    "weibull": lambda: D.Weibull(T([1.5, 0.5]), T([0.8, 3.0])),
    "negative_binomial": lambda: D.NegativeBinomial(T([2.5, 10.0]), T([0.4, 0.1])),
    "mixture": lambda: D.MixtureSameFamily(D.Categorical(T([[0.3, 0.7], [0.5, 0.5]])),
                                           D.Normal(T([[-1.0, 2.0], [0.0, 3.0]]), T([[0.5, 1.5], [1.0, 0.2]]))),
    "mixture_mvn": lambda: D.MixtureSameFamily(D.Categorical(T([0.3, 0.7])), D.MultivariateNormal(
        T([[-1.0, 2.0], [0.0, 3.0]]), scale_tril=T([[1.0, 0.0], [0.3, 0.5]]))),
}


@pytest.mark.parametrize("name", list(MOMENT_CASES))
def test_sample_moments(name):
    nt.manual_seed(1234)
    d = MOMENT_CASES[name]()
    n = 40_000
    s = d.sample((n,))
    assert tuple(s.shape) == (n,) + tuple(d.batch_shape) + tuple(d.event_shape)
    assert bool(d.support.check(s).all())
    _check_moments(_np(s), _np(d.mean), _np(d.variance))
    if d.has_rsample:
        _check_moments(_np(d.rsample((n,))), _np(d.mean), _np(d.variance))


def test_categorical_sample_frequencies():
    nt.manual_seed(5)
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    s = _np(D.Categorical(T(probs.tolist())).sample((50_000,)))
    freq = np.bincount(s.astype(int), minlength=4) / s.size
    assert np.all(np.abs(freq - probs) <= 6 * np.sqrt(probs * (1 - probs) / s.size))
    c = D.Categorical(logits=T([[0.0, 1.0], [2.0, -1.0]]))
    assert c.sample((7, 3)).shape == (7, 3, 2) and c.sample().dtype is nt.int64


def test_multivariate_normal_sample_covariance():
    nt.manual_seed(7)
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    s = _np(D.MultivariateNormal(T([0.0, 0.0]), covariance_matrix=nt.tensor(cov)).sample((50_000,)))
    prod = s[:, 0] * s[:, 1]
    assert abs(prod.mean() - cov[0, 1]) < 6 * prod.std() / math.sqrt(len(s))


def _fd_rsample(make, params, sample_shape=(3,), seed=11, eps=1e-6):
    """d sum(rsample) / d params by autograd and by central differences at the same seed."""
    leaves = [nt.tensor(p, dtype=F64, requires_grad=True) for p in params]
    nt.manual_seed(seed)
    make(*leaves).rsample(sample_shape).sum().backward()
    got = [_np(p.grad) for p in leaves]
    want = []
    for i, p in enumerate(params):
        p = np.array(p, dtype=np.float64)
        g = np.zeros_like(p)
        for j in np.ndindex(p.shape):
            vals = []
            for sign in (1, -1):
                q = p.copy()
                q[j] += sign * eps
                args = [nt.tensor(q if k == i else params[k], dtype=F64) for k in range(len(params))]
                nt.manual_seed(seed)
                vals.append(float(make(*args).rsample(sample_shape).sum()))
            g[j] = (vals[0] - vals[1]) / (2 * eps)
        want.append(g)
    return got, want


RSAMPLE_CASES = {
    "normal": (lambda a, b: D.Normal(a, b), [[0.3, -1.0], [1.2, 0.4]]),
    "uniform": (lambda a, b: D.Uniform(a, b), [[0.3, -1.0], [1.2, 0.4]]),
    "exponential": (lambda a: D.Exponential(a), [[0.5, 2.0]]),
    "laplace": (lambda a, b: D.Laplace(a, b), [[0.3, -1.0], [1.2, 0.4]]),
    "cauchy": (lambda a, b: D.Cauchy(a, b), [[0.3, -1.0], [1.2, 0.4]]),
    "gumbel": (lambda a, b: D.Gumbel(a, b), [[0.3, -1.0], [1.2, 0.4]]),
    "lognormal": (lambda a, b: D.LogNormal(a, b), [[0.3, -1.0], [0.2, 0.4]]),
    "halfnormal": (lambda a: D.HalfNormal(a), [[1.2, 0.4]]),
    "mvn_tril": (lambda m, L: D.MultivariateNormal(m, scale_tril=L, validate_args=False),  # FD moves the upper
                 [[0.3, -1.0], [[1.0, 0.0], [0.4, 0.7]]]),
    "mvn_cov": (lambda m, c: D.MultivariateNormal(m, covariance_matrix=c), [[0.3, -1.0], [[1.0, 0.3], [0.3, 0.7]]]),
    "relaxed_bernoulli": (lambda t, p: D.RelaxedBernoulli(t, p), [0.7, [0.3, 0.8]]),
    "relaxed_onehot": (lambda t, p: D.RelaxedOneHotCategorical(t, logits=p), [0.7, [0.3, -0.8, 0.1]]),
    "transformed_tanh": (lambda a, b: D.TransformedDistribution(D.Normal(a, b), [transforms.TanhTransform()]),
                         [[0.3, -1.0], [1.2, 0.4]]),
}


@pytest.mark.parametrize("name", list(RSAMPLE_CASES))
def test_rsample_gradients_match_finite_differences(name):
    make, params = RSAMPLE_CASES[name]
    got, want = _fd_rsample(make, params)
    if name == "mvn_cov":  # cholesky reads the lower triangle; its gradient is symmetrised, as torch's
        want[1] = (want[1] + want[1].T) / 2
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


def _gamma_cdf(a: float, x: float) -> float:
    """P(a, x) by its power series sum_n x^(a+n) e^-x / Gamma(a+n+1), in log space (fine for x below ~50)."""
    total = 0.0
    for n in range(400):
        total += math.exp((a + n) * math.log(x) - x - math.lgamma(a + n + 1))
    return total


@pytest.mark.parametrize("a,x", [(0.05, 1e-6), (0.4, 0.3), (1.0, 2.0), (2.5, 0.5), (2.5, 9.0), (7.0, 6.0),
                                 (30.0, 22.0), (30.0, 41.0)])
def test_standard_gamma_gradient_is_the_implicit_gradient(a, x):
    """dx/dalpha at fixed quantile: -(dP/dalpha) / pdf, with dP/dalpha by central differences of our own series."""
    from ntorch.kernels.cpu import distributions as K

    h = 1e-5 * a
    dp = (_gamma_cdf(a + h, x) - _gamma_cdf(a - h, x)) / (2 * h)
    pdf = math.exp((a - 1) * math.log(x) - x - math.lgamma(a))
    out = np.empty(1)
    K.standard_gamma_grad(np.array([a]), np.array([x]), out)
    assert abs(out[0] - (-dp / pdf)) <= 1e-5 * abs(dp / pdf)


def test_standard_gamma_sampler_moments_dtypes_and_edges():
    from ntorch.distributions.gamma import _standard_gamma

    nt.manual_seed(3)
    alpha = np.array([0.01, 0.2, 1.0, 3.3, 200.0])
    n = 40_000
    s = _np(_standard_gamma(nt.tensor(np.tile(alpha, (n, 1)))))
    _check_moments(s, alpha, alpha)
    assert (s > 0).all()
    f32 = _standard_gamma(nt.full((1000,), 0.01, dtype=nt.float32))
    assert f32.dtype is nt.float32 and bool((f32 >= nt.finfo(nt.float32).tiny).all())
    bad = _np(_standard_gamma(T([0.0, -1.0, math.nan])))
    assert np.isnan(bad).all()
    nt.manual_seed(9)
    first = _np(_standard_gamma(T([2.0, 3.0])))
    nt.manual_seed(9)
    np.testing.assert_array_equal(first, _np(_standard_gamma(T([2.0, 3.0]))))
    with pytest.raises(NotImplementedError, match="standard_gamma"):
        _standard_gamma(nt.tensor([1, 2]))


@pytest.mark.parametrize("make,dmean", [
    # d E[X] / d concentration: 1 / rate for Gamma, beta / (alpha + beta)^2 for Beta's alpha
    (lambda c: D.Gamma(c, T(2.0)), lambda c: np.full_like(c, 0.5)),
    (lambda c: D.Beta(c, T(3.0)), lambda c: 3.0 / (c + 3.0) ** 2),
    (lambda c: D.Dirichlet(nt.stack([c, nt.full_like(c, 1.5)], -1)).rsample().select(-1, 0),
     lambda c: 1.5 / (c + 1.5) ** 2),
])
def test_gamma_family_rsample_gradient_is_unbiased(make, dmean):
    """The mean of per-sample gradients d x / d c (one leaf per sample) is d E[x] / d c, within 6 standard errors."""
    nt.manual_seed(21)
    c0 = np.array([0.4, 3.0])
    n = 20_000
    c = nt.tensor(np.tile(c0, (n, 1)), requires_grad=True)
    made = make(c)
    x = made if isinstance(made, nt.Tensor) else made.rsample()
    (g,) = nt.autograd.grad(x.sum(), c)
    g = _np(g)
    assert np.all(np.abs(g.mean(0) - dmean(c0)) <= 6 * g.std(0) / math.sqrt(n)), (g.mean(0), dmean(c0))


def test_gamma_rsample_gradient_matches_quantile_finite_difference():
    """Through the inverse CDF: for x = Q(u; alpha), dx/dalpha = (Q(u; alpha+h) - Q(u; alpha-h)) / 2h."""
    nt.manual_seed(2)
    a = nt.tensor([0.7, 2.0, 9.0], dtype=F64, requires_grad=True)
    x = D.Gamma(a, T(1.0)).rsample()
    (g,) = nt.autograd.grad(x.sum(), a)
    for ai, xi, gi in zip(_np(a), _np(x), _np(g)):
        u = _gamma_cdf(ai, xi)

        def quantile(alpha, u=u, xi=xi):
            lo, hi = 1e-300, xi * 10 + 50
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if _gamma_cdf(alpha, mid) < u else (lo, mid)
            return 0.5 * (lo + hi)

        h = 1e-5 * ai
        assert abs(gi - (quantile(ai + h) - quantile(ai - h)) / (2 * h)) < 1e-5 * max(1, abs(gi))


def test_shapes_sample_expand_and_batch_broadcasting():
    d = D.Normal(T([[0.0], [1.0]]), T([1.0, 2.0, 3.0]))
    assert d.batch_shape == (2, 3) and d.event_shape == ()
    assert d.sample().shape == (2, 3) and d.rsample((4, 5)).shape == (4, 5, 2, 3)
    assert d.log_prob(T(0.5)).shape == (2, 3)
    e = d.expand((6, 2, 3))
    assert e.batch_shape == (6, 2, 3) and e.sample().shape == (6, 2, 3) and type(e) is D.Normal
    ind = D.Independent(d, 1)
    assert ind.batch_shape == (2,) and ind.event_shape == (3,) and ind.log_prob(d.sample()).shape == (2,)
    np.testing.assert_allclose(_np(ind.log_prob(T(0.5).expand(2, 3))), _np(d.log_prob(T(0.5))).sum(-1))
    assert ind.expand((4, 2)).batch_shape == (4, 2)
    dd = D.Dirichlet(nt.ones(2, 4, dtype=F64))
    assert dd.batch_shape == (2,) and dd.event_shape == (4,) and dd.sample((3,)).shape == (3, 2, 4)
    assert dd.expand((5, 2)).sample().shape == (5, 2, 4)
    mvn = D.MultivariateNormal(nt.zeros(4, 1, 3, dtype=F64), scale_tril=nt.eye(3, dtype=F64).expand(2, 3, 3))
    assert mvn.batch_shape == (4, 2) and mvn.event_shape == (3,) and mvn.rsample((5,)).shape == (5, 4, 2, 3)
    assert mvn.log_prob(nt.zeros(3, dtype=F64)).shape == (4, 2)
    assert D.Normal(0.0, 1.0).batch_shape == () and D.Normal(0.0, 1.0).sample().dtype is nt.get_default_dtype()
    assert D.Categorical(T([0.5, 0.5])).enumerate_support().shape == (2,)
    assert D.Bernoulli(T([0.2, 0.4, 0.6])).enumerate_support().shape == (2, 3)
    assert D.Bernoulli(T([0.2, 0.4, 0.6])).enumerate_support(expand=False).shape == (2, 1)
    assert D.Multinomial(4, T([[0.5, 0.5], [0.1, 0.9]])).sample((3,)).sum(-1).eq(4).all()


def test_validate_args_errors():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(2,\)\) of distribution "
                                         r"Normal.* to satisfy the constraint GreaterThan\(lower_bound=0.0\)"):
        D.Normal(T([0.0, 0.0]), T([1.0, -1.0]))
    D.Normal(T(0.0), T(-1.0), validate_args=False)  # not checked
    with pytest.raises(ValueError, match=r"Expected value argument .* to be within the support \(GreaterThanEq"):
        D.Exponential(T(1.0)).log_prob(T(-1.0))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        D.Normal(T(0.0), T(1.0)).log_prob(0.5)
    with pytest.raises(ValueError, match="Value is not broadcastable with batch_shape"):
        D.Normal(T([0.0, 1.0]), T([1.0, 1.0])).log_prob(T([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        D.Dirichlet(T([1.0, 1.0, 1.0])).log_prob(T([0.5, 0.5]))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Bernoulli(probs=T(0.5), logits=T(0.0))
    with pytest.raises(ValueError, match="Uniform is not defined when low>= high"):
        D.Uniform(T(1.0), T(1.0))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        D.MultivariateNormal(T([0.0]), covariance_matrix=T([[1.0]]), scale_tril=T([[1.0]]))
    with pytest.raises(ValueError, match="covariance_matrix.*PositiveDefinite"):
        D.MultivariateNormal(T([0.0, 0.0]), covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="probs.*Simplex"):
        D.Categorical(T([[0.5, 0.5], [-0.1, 1.1]]))
    with pytest.raises(ValueError, match="`concentration` parameter must be at least one-dimensional."):
        D.Dirichlet(T(1.0))
    with pytest.raises(ValueError, match="to be positive but found invalid values"):
        D.Geometric(T([0.0, 0.5]))
    with pytest.raises(ValueError, match="within the support \\(IntegerInterval\\(lower_bound=0, upper_bound=2\\)"):
        D.Categorical(T([0.2, 0.3, 0.5])).log_prob(nt.tensor(3))
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count is not supported"):
        D.Multinomial(T(2.0), T([0.5, 0.5]))
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        D.Distribution(validate_args=False).mode  # noqa: B018
    assert D.Distribution._validate_args is True


def _kl_grid(p, q, lo, hi, n=400_001):
    x = nt.tensor(np.linspace(lo, hi, n))
    lp, lq = _np(p.log_prob(x)), _np(q.log_prob(x))
    w = np.exp(lp)
    with np.errstate(invalid="ignore"):  # -inf - -inf at an end of the support, where w is 0
        return float(np.trapezoid(np.where(w > 0, w * (lp - lq), 0.0), np.linspace(lo, hi, n)))


KL_CONTINUOUS = {
    "normal": (lambda: D.Normal(T(0.3), T(1.2)), lambda: D.Normal(T(-0.5), T(2.0)), -20, 20),
    "laplace": (lambda: D.Laplace(T(0.3), T(1.2)), lambda: D.Laplace(T(-0.5), T(2.0)), -40, 40),
    "cauchy": (lambda: D.Cauchy(T(0.3), T(1.2)), lambda: D.Cauchy(T(-0.5), T(2.0)), None, None),
    "gumbel": (lambda: D.Gumbel(T(0.3), T(1.2)), lambda: D.Gumbel(T(-0.5), T(2.0)), -6, 60),
    "exponential": (lambda: D.Exponential(T(0.7)), lambda: D.Exponential(T(2.0)), 0, 60),
    "gamma": (lambda: D.Gamma(T(2.5), T(1.3)), lambda: D.Gamma(T(1.5), T(0.6)), 0, 50),
    "beta": (lambda: D.Beta(T(2.5), T(1.3)), lambda: D.Beta(T(1.5), T(3.0)), 0, 1),
    "halfnormal": (lambda: D.HalfNormal(T(1.2)), lambda: D.HalfNormal(T(0.5)), 0, 15),
    "lognormal": (lambda: D.LogNormal(T(0.1), T(0.4)), lambda: D.LogNormal(T(-0.2), T(0.6)), 1e-9, 30),
    "uniform": (lambda: D.Uniform(T(0.0), T(1.0)), lambda: D.Uniform(T(-1.0), T(2.0)), 0, 1 - 1e-12),
    "uniform_normal": (lambda: D.Uniform(T(0.0), T(1.5)), lambda: D.Normal(T(0.5), T(2.0)), 0, 1.5 - 1e-12),
    "normal_laplace": (lambda: D.Normal(T(0.3), T(1.2)), lambda: D.Laplace(T(-0.5), T(2.0)), -20, 20),
}


@pytest.mark.parametrize("name", list(KL_CONTINUOUS))
def test_kl_continuous_against_numeric_integration(name):
    mp, mq, lo, hi = KL_CONTINUOUS[name]
    p, q = mp(), mq()
    got = float(D.kl_divergence(p, q))
    if lo is None:  # Cauchy's tails: integrate in the quantile variable u, x = tan(pi (u - 1/2))
        u = np.linspace(1e-9, 1 - 1e-9, 2_000_001)
        x = nt.tensor(0.3 + 1.2 * np.tan(math.pi * (u - 0.5)))
        want = float(np.trapezoid(_np(p.log_prob(x)) - _np(q.log_prob(x)), u))
    else:
        want = _kl_grid(p, q, lo, hi)
    assert abs(got - want) < 1e-5 * max(1, abs(want)), (got, want)


def test_kl_discrete_multivariate_and_dispatch():
    def kl_sum(p, q, support):
        lp, lq = _np(p.log_prob(support)), _np(q.log_prob(support))
        return float((np.exp(lp) * (lp - lq)).sum())

    ks = nt.tensor(np.arange(200.0))
    for p, q, s in [(D.Bernoulli(T(0.3)), D.Bernoulli(T(0.6)), ks[:2]), (D.Poisson(T(3.0)), D.Poisson(T(5.0)), ks),
                    (D.Binomial(9, T(0.3)), D.Binomial(9, T(0.7)), ks[:10]),
                    (D.Geometric(T(0.3)), D.Geometric(T(0.6)), ks),
                    (D.Categorical(T([0.2, 0.3, 0.5])), D.Categorical(T([0.4, 0.4, 0.2])), ks[:3].long())]:
        assert abs(float(D.kl_divergence(p, q)) - kl_sum(p, q, s)) < 1e-10
    assert float(D.kl_divergence(D.Bernoulli(T(0.3)), D.Bernoulli(T(1.0)))) == math.inf
    assert float(D.kl_divergence(D.Binomial(9, T(0.3)), D.Binomial(8, T(0.3)))) == math.inf
    assert float(D.kl_divergence(D.Uniform(T(-1.0), T(1.0)), D.Uniform(T(0.0), T(2.0)))) == math.inf
    # Multivariate normal: the closed form with numpy
    c1 = np.array([[2.0, 0.3], [0.3, 1.0]])
    c2 = np.array([[1.0, -0.2], [-0.2, 0.5]])
    m1, m2 = np.array([0.1, 0.2]), np.array([-0.3, 0.5])
    inv2 = np.linalg.inv(c2)
    want = 0.5 * (np.trace(inv2 @ c1) + (m2 - m1) @ inv2 @ (m2 - m1) - 2 + math.log(np.linalg.det(c2) /
                                                                                    np.linalg.det(c1)))
    p = D.MultivariateNormal(nt.tensor(m1), covariance_matrix=nt.tensor(c1))
    q = D.MultivariateNormal(nt.tensor(m2), precision_matrix=nt.tensor(inv2))
    assert abs(float(D.kl_divergence(p, q)) - want) < 1e-12
    # Dirichlet: Monte Carlo E_p[log p - log q] within 6 standard errors
    nt.manual_seed(4)
    p, q = D.Dirichlet(T([2.0, 3.0, 1.5])), D.Dirichlet(T([1.0, 1.0, 4.0]))
    s = p.sample((40_000,))
    diff = _np(p.log_prob(s)) - _np(q.log_prob(s))
    assert abs(float(D.kl_divergence(p, q)) - diff.mean()) < 6 * diff.std() / math.sqrt(diff.size)
    # Independent sums; OneHotCategorical is Categorical's; the same exponential family by Bregman divergence
    pi = D.Independent(D.Normal(T([0.0, 1.0]), T([1.0, 2.0])), 1)
    qi = D.Independent(D.Normal(T([1.0, 0.0]), T([2.0, 1.0])), 1)
    np.testing.assert_allclose(float(D.kl_divergence(pi, qi)),
                               _np(D.kl_divergence(pi.base_dist, qi.base_dist)).sum())
    from ntorch.distributions.kl import _kl_expfamily_expfamily

    for p, q in [(D.Normal(T(0.3), T(1.2)), D.Normal(T(-0.5), T(2.0))), (D.Gamma(T(2.5), T(1.3)),
                                                                        D.Gamma(T(1.5), T(0.6)))]:
        assert abs(float(_kl_expfamily_expfamily(p, q)) - float(D.kl_divergence(p, q))) < 1e-10
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Poisson and q "
                                                  "type Cauchy"):
        D.kl_divergence(D.Poisson(T(1.0)), D.Cauchy(T(0.0), T(1.0)))
    with pytest.raises(NotImplementedError, match="The cross KL-divergence between different exponential families"):
        D.kl_divergence(D.Poisson(T(1.0)), D.Normal(T(0.0), T(1.0)))

    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, MyNormal)
    def _kl_mine(p, q):
        return nt.tensor(42.0)

    assert float(D.kl_divergence(MyNormal(T(0.0), T(1.0)), MyNormal(T(0.0), T(1.0)))) == 42.0
    assert float(D.kl_divergence(MyNormal(T(0.0), T(1.0)), D.Normal(T(0.0), T(1.0)))) == 0.0


def test_exponential_family_entropy_by_bregman_divergence():
    for d in [D.Normal(T(0.3), T(1.2)), D.Gamma(T(2.5), T(1.3)), D.Beta(T(2.5), T(1.3)), D.Exponential(T(0.7)),
              D.Bernoulli(T(0.3)), D.Dirichlet(T([2.0, 3.0, 1.5]))]:
        if type(d) in (D.Beta, D.Dirichlet):  # no _mean_carrier_measure in torch either
            continue
        assert abs(float(D.ExponentialFamily.entropy(d)) - float(d.entropy())) < 1e-10


@pytest.mark.parametrize("t,x", [
    (transforms.ExpTransform(), [-1.0, 0.5, 2.0]),
    (transforms.SigmoidTransform(), [-3.0, 0.5, 2.0]),
    (transforms.TanhTransform(), [-3.0, 0.5, 2.0]),
    (transforms.SoftplusTransform(), [-3.0, 0.5, 2.0]),
    (transforms.AffineTransform(1.5, -2.0), [-3.0, 0.5, 2.0]),
    (transforms.PowerTransform(T(2.5)), [0.3, 0.5, 2.0]),
    (transforms.ExpTransform().inv, [0.3, 0.5, 2.0]),
    (transforms.ComposeTransform([transforms.ExpTransform(), transforms.AffineTransform(1.0, 3.0)]),
     [-1.0, 0.5, 2.0]),
])
def test_elementwise_transforms_jacobian_and_inverse(t, x):
    x = T(x)
    y = t(x)
    np.testing.assert_allclose(_np(t.inv(y)), _np(x), rtol=1e-10)
    h = 1e-6
    dy = (_np(t(x + h)) - _np(t(x - h))) / (2 * h)
    np.testing.assert_allclose(_np(t.log_abs_det_jacobian(x, y)), np.log(np.abs(dy)), atol=1e-7)
    assert bool(t.codomain.check(y).all())


def test_stick_breaking_softmax_and_cholesky_transforms():
    x = T([0.3, -1.2, 0.8])
    sb = transforms.StickBreakingTransform()
    y = sb(x)
    assert y.shape == (4,) and abs(float(y.sum()) - 1) < 1e-12 and bool(constraints.simplex.check(y))
    np.testing.assert_allclose(_np(sb.inv(y)), _np(x), rtol=1e-10)
    # log |det J| of x -> y[:-1] by a finite-difference Jacobian
    h = 1e-6
    jac = np.stack([(_np(sb(x + h * e)) - _np(sb(x - h * e)))[:-1] / (2 * h) for e in nt.eye(3, dtype=F64)], 1)
    assert abs(float(sb.log_abs_det_jacobian(x, y)) - math.log(abs(np.linalg.det(jac)))) < 1e-7
    assert sb.forward_shape((5, 3)) == (5, 4) and sb.inverse_shape((5, 4)) == (5, 3)
    sm = transforms.SoftmaxTransform()(x)
    np.testing.assert_allclose(_np(sm), np.exp(_np(x)) / np.exp(_np(x)).sum())
    m = T([[0.5, 9.0], [-0.3, -1.0]])
    L = transforms.LowerCholeskyTransform()(m)
    assert bool(constraints.lower_cholesky.check(L)) and float(L[0, 1]) == 0.0
    pd = transforms.PositiveDefiniteTransform()(m)
    assert bool(constraints.positive_definite.check(pd))
    np.testing.assert_allclose(_np(transforms.PositiveDefiniteTransform().inv(pd)), _np(m.tril()), rtol=1e-10)


@pytest.mark.parametrize("c", [constraints.real, constraints.positive, constraints.nonnegative,
                               constraints.greater_than(1.5), constraints.less_than(-2.0), constraints.unit_interval,
                               constraints.interval(-1.0, 3.0), constraints.simplex, constraints.real_vector,
                               constraints.independent(constraints.positive, 1)])
def test_biject_to_and_transform_to_land_in_the_constraint(c):
    x = T([[-3.0, 0.1, 2.5], [0.7, -0.2, 1.0]])
    for registry in (D.biject_to, D.transform_to):
        t = registry(c)
        y = t(x)
        assert bool(c.check(y).all())
        if registry is D.biject_to or c is not constraints.simplex:
            np.testing.assert_allclose(_np(t.inv(y)), _np(x) if c is not constraints.simplex else _np(x),
                                       rtol=1e-8, atol=1e-10)
    with pytest.raises(NotImplementedError, match="Cannot transform _LowerCholesky constraints"):
        D.biject_to(constraints.lower_cholesky)


def test_constraints_check_and_repr():
    v = T([-1.0, 0.0, 0.5, 1.0, math.nan])
    np.testing.assert_array_equal(_np(constraints.real.check(v)), [1, 1, 1, 1, 0])
    np.testing.assert_array_equal(_np(constraints.positive.check(v)), [0, 0, 1, 1, 0])
    np.testing.assert_array_equal(_np(constraints.unit_interval.check(v)), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(_np(constraints.half_open_interval(0.0, 1.0).check(v)), [0, 1, 1, 0, 0])
    np.testing.assert_array_equal(_np(constraints.nonnegative_integer.check(v)), [0, 1, 0, 1, 0])
    np.testing.assert_array_equal(_np(constraints.boolean.check(v)), [0, 1, 0, 1, 0])
    assert repr(constraints.positive) == "GreaterThan(lower_bound=0.0)"
    assert repr(constraints.real_vector) == "IndependentConstraint(Real(), 1)"
    assert repr(constraints.interval(0, 2)) == "Interval(lower_bound=0, upper_bound=2)"
    assert constraints.is_dependent(D.Uniform.support) and not constraints.is_dependent(constraints.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        constraints.dependent.check(v)
    with pytest.raises(NotImplementedError, match=".event_dim cannot be determined statically"):
        constraints.dependent.event_dim  # noqa: B018
    assert constraints.one_hot.check(T([[0.0, 1.0], [1.0, 1.0]])).tolist() == [True, False]
    assert constraints.lower_cholesky.check(T([[1.0, 0.0], [2.0, 3.0]])).item()
    assert not constraints.lower_cholesky.check(T([[1.0, 0.1], [2.0, 3.0]])).item()


def test_utils():
    from ntorch.distributions.utils import (
        broadcast_all,
        clamp_probs,
        logits_to_probs,
        probs_to_logits,
        tril_matrix_to_vec,
        vec_to_tril_matrix,
    )

    a, b = broadcast_all(T([1.0, 2.0]), 3.0)
    assert b.dtype is F64 and b.tolist() == [3.0, 3.0]
    (c,) = broadcast_all(1)
    assert c.dtype is nt.get_default_dtype() and c.shape == ()
    with pytest.raises(ValueError, match="Input arguments must all be instances of Number"):
        broadcast_all("x")
    p = T([0.2, 0.8])
    np.testing.assert_allclose(_np(logits_to_probs(probs_to_logits(p, True), True)), _np(p))
    np.testing.assert_allclose(_np(logits_to_probs(probs_to_logits(p))), _np(p))
    assert float(clamp_probs(T(0.0))) == np.finfo(np.float64).eps
    m = T([[1.0, 0.0, 0.0], [2.0, 3.0, 0.0], [4.0, 5.0, 6.0]])
    v = tril_matrix_to_vec(m)
    assert v.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    np.testing.assert_array_equal(_np(vec_to_tril_matrix(v)), _np(m))


def test_lazy_parameters_and_probs_logits_round_trip():
    b = D.Bernoulli(logits=T([0.0, 2.0]))
    assert "probs" not in b.__dict__
    np.testing.assert_allclose(_np(b.probs), 1 / (1 + np.exp(-np.array([0.0, 2.0]))))
    c = D.Categorical(logits=T([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(_np(c.probs), np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum())
    assert abs(float(c.logits.exp().sum()) - 1) < 1e-12  # normalised logits
    assert int(c.mode) == 2 and np.isnan(_np(c.mean))


def test_log_prob_gradients_match_finite_differences():
    """Gradients of log_prob in the parameters (used by score-function estimators and MLE)."""
    cases = [
        (lambda a, b: D.Gamma(a, b).log_prob(T([0.5, 2.0])), [[1.5, 3.0], [2.0, 0.7]]),
        (lambda a, b: D.Beta(a, b).log_prob(T([0.3, 0.8])), [[1.5, 3.0], [2.0, 0.7]]),
        (lambda a, b: D.StudentT(a, b).log_prob(T([0.3, -2.0])), [[1.5, 3.0], [2.0, 0.7]]),
        (lambda p: D.Binomial(7, p).log_prob(T([2.0, 5.0])), [[0.3, 0.6]]),
        (lambda lg: D.Categorical(logits=lg).log_prob(nt.tensor([0, 2])), [[0.3, -0.6, 1.0]]),
    ]
    for fn, params in cases:
        leaves = [T(p).requires_grad_() for p in params]
        fn(*leaves).sum().backward()
        for i, p in enumerate(params):
            p = np.array(p)
            for j in np.ndindex(p.shape):
                vals = []
                for s in (1, -1):
                    q = [np.array(pp, dtype=np.float64) for pp in params]
                    q[i][j] += s * 1e-6
                    vals.append(float(fn(*[nt.tensor(qq) for qq in q]).sum()))
                assert abs(float(leaves[i].grad[j]) - (vals[0] - vals[1]) / 2e-6) < 1e-6


def test_modes():
    np.testing.assert_allclose(_np(D.Dirichlet(T([2.0, 3.0, 1.0])).mode), [1 / 3, 2 / 3, 0.0])
    # all concentrations below 1: torch's first vertex (the argmax of the clamped c - 1, all zero)
    np.testing.assert_array_equal(_np(D.Dirichlet(T([[0.3, 0.5, 0.2], [2.0, 0.5, 3.0]])).mode),
                                  [[1.0, 0.0, 0.0], [1 / 3, 0.0, 2 / 3]])
    np.testing.assert_array_equal(_np(D.Bernoulli(T([0.2, 0.5, 0.7])).mode), [0.0, np.nan, 1.0])
    np.testing.assert_array_equal(_np(D.Binomial(10, T([0.2, 0.5])).mode), [2.0, 5.0])
    np.testing.assert_array_equal(_np(D.Gamma(T([0.5, 3.0]), T(2.0)).mode), [0.0, 1.0])
    np.testing.assert_allclose(_np(D.LogNormal(T(0.5), T(0.5)).mode), math.exp(0.25))
    np.testing.assert_array_equal(_np(D.StudentT(T([0.5, 1.5, 3.0])).mean), [np.nan, 0.0, 0.0])
    np.testing.assert_array_equal(_np(D.StudentT(T([0.5, 1.5, 3.0])).variance), [np.nan, np.inf, 3.0])


def test_sample_has_no_graph_and_rsample_does():
    loc = T([0.0, 1.0]).requires_grad_()
    d = D.Normal(loc, T([1.0, 1.0]))
    assert not d.sample().requires_grad and d.rsample().requires_grad
    assert not D.Gamma(loc.exp(), T(1.0)).sample().requires_grad
    assert not D.Bernoulli(T(0.5)).has_rsample and D.Gamma(T(1.0), T(1.0)).has_rsample
    assert D.HalfNormal(T(1.0)).has_rsample and D.Independent(d, 1).has_rsample


@pytest.mark.parametrize("name", list(MOMENT_CASES))
def test_expand_keeps_type_parameters_and_log_prob(name):
    nt.manual_seed(8)
    d = MOMENT_CASES[name]()
    e = d.expand((3,) + tuple(d.batch_shape))
    assert type(e) is type(d) and e.batch_shape == (3,) + tuple(d.batch_shape) and e.event_shape == d.event_shape
    s = d.sample()
    np.testing.assert_allclose(_np(e.log_prob(s)), np.broadcast_to(_np(d.log_prob(s)), e.batch_shape))
    np.testing.assert_allclose(_np(e.mean), np.broadcast_to(_np(d.mean), e.batch_shape + d.event_shape))
    assert e.sample((2,)).shape == (2,) + tuple(e.batch_shape) + tuple(d.event_shape)
    assert e._validate_args == d._validate_args


def test_set_default_validate_args():
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(T(0.0), T(-1.0))  # not checked
        with pytest.raises(ValueError):
            D.Distribution.set_default_validate_args("yes")
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(T(0.0), T(-1.0))


def test_half_cauchy_and_mixture_closed_forms():
    x = T([0.0, 0.7, 3.0])
    d = D.HalfCauchy(T(2.0))
    np.testing.assert_allclose(_np(d.log_prob(x)), np.log(2 / (math.pi * 2.0 * (1 + (_np(x) / 2) ** 2))))
    np.testing.assert_allclose(_np(d.cdf(x)), 2 / math.pi * np.arctan(_np(x) / 2))
    assert abs(float(d.entropy()) - math.log(2 * math.pi * 2.0)) < 1e-12
    assert float(d.mean) == math.inf and bool(d.sample((100,)).ge(0).all())
    w, mu, sd = np.array([0.3, 0.7]), np.array([-1.0, 2.0]), np.array([0.5, 1.5])
    m = D.MixtureSameFamily(D.Categorical(T(w.tolist())), D.Normal(T(mu.tolist()), T(sd.tolist())))
    xs = np.array([-2.0, 0.0, 1.5])
    want = np.log((w * np.exp(-((xs[:, None] - mu) ** 2) / (2 * sd**2)) / (sd * math.sqrt(2 * math.pi))).sum(1))
    np.testing.assert_allclose(_np(m.log_prob(nt.tensor(xs))), want)
    cdf = (w * 0.5 * (1 + np.vectorize(math.erf)((xs[:, None] - mu) / (sd * math.sqrt(2))))).sum(1)
    np.testing.assert_allclose(_np(m.cdf(nt.tensor(xs))), cdf)
    assert m.expand((3,)).sample((2,)).shape == (2, 3)
    with pytest.raises(ValueError, match="does not equal `component_distribution.batch_shape\\[-1\\]`"):
        D.MixtureSameFamily(D.Categorical(T([0.3, 0.7])), D.Normal(T([0.0, 1.0, 2.0]), T(1.0)))
    with pytest.raises(ValueError, match="needs to be an  instance of torch.distributions.Categorical"):
        D.MixtureSameFamily(D.Normal(T(0.0), T(1.0)), D.Normal(T([0.0, 1.0]), T(1.0)))


def test_corr_cholesky_cat_and_stack_transforms():
    x = T([0.3, -1.2, 0.8])
    t = D.biject_to(constraints.corr_cholesky)
    L = t(x)
    assert L.shape == (3, 3) and bool(constraints.corr_cholesky.check(L))
    np.testing.assert_allclose(np.linalg.norm(_np(L), axis=-1), 1.0)
    np.testing.assert_allclose(_np(t.inv(L)), _np(x), rtol=1e-10)
    # log |det J| of x -> the strictly lower entries of L, by a finite-difference Jacobian
    h, rows, cols = 1e-6, [1, 2, 2], [0, 0, 1]
    jac = np.stack([(_np(t(x + h * e)) - _np(t(x - h * e)))[rows, cols] / (2 * h) for e in nt.eye(3, dtype=F64)], 1)
    assert abs(float(t.log_abs_det_jacobian(x, L)) - math.log(abs(np.linalg.det(jac)))) < 1e-7
    assert t.forward_shape((5, 3)) == (5, 3, 3) and t.inverse_shape((5, 3, 3)) == (5, 3)
    c = constraints.cat([constraints.positive, constraints.unit_interval], 0, [2, 1])
    ct = D.biject_to(c)
    y = ct(T([-1.0, 0.5, 2.0]))
    np.testing.assert_allclose(_np(y), [math.exp(-1.0), math.exp(0.5), 1 / (1 + math.exp(-2.0))])
    assert bool(c.check(y).all())
    np.testing.assert_allclose(_np(ct.log_abs_det_jacobian(T([-1.0, 0.5, 2.0]), y)),
                               [-1.0, 0.5, math.log(y[2].item() * (1 - y[2].item()))], rtol=1e-10)
    s = constraints.stack([constraints.positive, constraints.real], 1)
    st = D.transform_to(s)
    z = st(T([[-1.0, -1.0], [0.5, 0.5]]))
    np.testing.assert_allclose(_np(z), [[math.exp(-1.0), -1.0], [math.exp(0.5), 0.5]])
    np.testing.assert_allclose(_np(st.inv(z)), [[-1.0, -1.0], [0.5, 0.5]])
    assert bool(s.check(z).all())


def test_low_rank_multivariate_normal_matches_the_dense_one():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((2, 4, 2))
    diag = rng.uniform(0.5, 2.0, (2, 4))
    loc = rng.standard_normal(4)
    cov = W @ W.transpose(0, 2, 1) + np.stack([np.diag(r) for r in diag])
    d = D.LowRankMultivariateNormal(nt.tensor(loc), nt.tensor(W), nt.tensor(diag))
    assert d.batch_shape == (2,) and d.event_shape == (4,)
    x = rng.standard_normal((3, 2, 4))
    want = [[-0.5 * (4 * math.log(2 * math.pi) + math.log(np.linalg.det(cov[b]))
                     + (x[i, b] - loc) @ np.linalg.inv(cov[b]) @ (x[i, b] - loc)) for b in range(2)] for i in range(3)]
    np.testing.assert_allclose(_np(d.log_prob(nt.tensor(x))), want, rtol=1e-10)
    np.testing.assert_allclose(_np(d.covariance_matrix), cov, atol=1e-12)
    np.testing.assert_allclose(_np(d.precision_matrix), np.linalg.inv(cov), atol=1e-10)
    np.testing.assert_allclose(_np(d.scale_tril), np.linalg.cholesky(cov), atol=1e-10)
    np.testing.assert_allclose(_np(d.variance), np.diagonal(cov, axis1=-2, axis2=-1), atol=1e-12)
    np.testing.assert_allclose(_np(d.entropy()), [0.5 * (4 * (1 + math.log(2 * math.pi)) + math.log(np.linalg.det(c)))
                                                  for c in cov], rtol=1e-12)
    nt.manual_seed(6)
    s = _np(d.rsample((40_000,)))
    _check_moments(s, np.broadcast_to(loc, (2, 4)), np.diagonal(cov, axis1=-2, axis2=-1))
    assert d.expand((5, 2)).sample().shape == (5, 2, 4)
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices with shape 4 x m"):
        D.LowRankMultivariateNormal(nt.tensor(loc), nt.tensor(W[..., :3, :]), nt.tensor(diag))
