"""More distributions of torch.distributions: ContinuousBernoulli, FisherSnedecor, GeneralizedPareto, VonMises,
and, built on TransformedDistribution, InverseGamma, Kumaraswamy and LogisticNormal."""

from __future__ import annotations

import math

import numpy as np

import ntorch
import ntorch.nn.functional as F
from ntorch import Size, Tensor

from ..ops.creation import _finish
from ..random import _host_rng
from . import constraints
from .continuous import Normal, Uniform
from .distribution import Distribution, ExponentialFamily
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution, _from_base
from .transforms import AffineTransform, PowerTransform, StickBreakingTransform
from .utils import (
    _BinaryProbsLogits,
    _expand_params,
    _finish_expand,
    broadcast_all,
    clamp_probs,
    euler_constant,
    lazy_property,
    logits_to_probs,
)

__all__ = ["ContinuousBernoulli", "FisherSnedecor", "GeneralizedPareto", "InverseGamma", "Kumaraswamy",
           "LogisticNormal", "VonMises"]


class ContinuousBernoulli(_BinaryProbsLogits, ExponentialFamily):
    """The continuous Bernoulli on [0, 1]: density proportional to probs ** x (1 - probs) ** (1 - x). Near
    probs = 1/2 (inside `lims`) the normaliser, mean, variance and cdf use Taylor expansions, as torch."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims: tuple = (0.499, 0.501), validate_args=None) -> None:
        self._set_probs_or_logits(probs, logits)
        if probs is not None:
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(self.probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(Size(self._param.size()), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        new._lims = self._lims
        batch_shape = Size(batch_shape)
        self._expand_probs_logits(new, batch_shape)
        return _finish_expand(self, new, batch_shape)

    @lazy_property
    def probs(self) -> Tensor:
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _outside_unstable_region(self) -> Tensor:
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return ntorch.where(self._outside_unstable_region(), self.probs, self._lims[0] * ntorch.ones_like(self.probs))

    def _cont_bern_log_norm(self) -> Tensor:
        """The log normalising constant as a function of probs."""
        cut = self._cut_probs()
        below = ntorch.where(cut <= 0.5, cut, ntorch.zeros_like(cut))
        above = ntorch.where(cut >= 0.5, cut, ntorch.ones_like(cut))
        log_norm = ntorch.log(ntorch.abs(ntorch.log1p(-cut) - ntorch.log(cut))) - ntorch.where(
            cut <= 0.5, ntorch.log1p(-2.0 * below), ntorch.log(2.0 * above - 1.0))
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return ntorch.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / (ntorch.log1p(-cut) - ntorch.log(cut))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return ntorch.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self) -> Tensor:
        return ntorch.sqrt(self.variance)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        var = cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2) + 1.0 / (ntorch.log1p(-cut) - ntorch.log(cut)).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return ntorch.where(self._outside_unstable_region(), var, taylor)

    def sample(self, sample_shape=()) -> Tensor:
        with ntorch.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        return self.icdf(ntorch.rand(shape, dtype=self.probs.dtype, device=self.probs.device))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none") + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = ntorch.where(self._outside_unstable_region(), cdfs, value)
        return ntorch.where(value <= 0.0, ntorch.zeros_like(value),
                            ntorch.where(value >= 1.0, ntorch.ones_like(value), unbounded))

    def icdf(self, value):
        cut = self._cut_probs()
        inverted = ((ntorch.log1p(-cut + value * (2.0 * cut - 1.0)) - ntorch.log1p(-cut))
                    / (ntorch.log(cut) - ntorch.log1p(-cut)))
        return ntorch.where(self._outside_unstable_region(), inverted, value)

    def entropy(self):
        log_probs0 = ntorch.log1p(-self.probs)
        log_probs1 = ntorch.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self) -> tuple:
        return (self.logits,)

    def _log_normalizer(self, x):
        """The log normalising constant as a function of the natural parameter (logits)."""
        outside = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = ntorch.where(outside, x, (self._lims[0] - 0.5) * ntorch.ones_like(x))
        log_norm = ntorch.log(ntorch.abs(ntorch.expm1(cut))) - ntorch.log(ntorch.abs(cut))
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return ntorch.where(outside, log_norm, taylor)


class FisherSnedecor(Distribution):
    """The F distribution: (X1 / df1) / (X2 / df2) for independent X1 ~ Chi2(df1), X2 ~ Chi2(df2)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(Size(self.df1.size()), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _expand_params(self, FisherSnedecor, ("df1", "df2"), batch_shape, _instance)
        new._gamma1 = self._gamma1.expand(new.batch_shape)
        new._gamma2 = self._gamma2.expand(new.batch_shape)
        return new

    @property
    def mean(self) -> Tensor:
        df2 = self.df2.clone()
        df2[df2 <= 2] = math.nan
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Tensor:
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        mode[self.df1 <= 2] = math.nan
        return mode

    @property
    def variance(self) -> Tensor:
        df2 = self.df2.clone()
        df2[df2 <= 4] = math.nan
        return 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        # X1 ~ Gamma(df1 / 2, df1) = Chi2(df1) / df1, likewise X2: Y = X1 / X2 ~ F(df1, df2)
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        x2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = ntorch.finfo(x2.dtype).tiny
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1 = self.df1 * 0.5
        ct2 = self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * ntorch.log(value)
        t3 = (ct1 + ct2) * ntorch.log1p(ct3 * value)
        return t1 + t2 - t3


class GeneralizedPareto(Distribution):
    """The generalised Pareto distribution: loc + scale * ((1 - U) ** -concentration - 1) / concentration
    (loc - scale * log(1 - U) at concentration 0); bounded above by loc - scale / concentration when
    concentration < 0."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(Size(self.loc.size()), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, GeneralizedPareto, ("loc", "scale", "concentration"), batch_shape, _instance)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        return self.icdf(ntorch.rand(shape, dtype=self.loc.dtype, device=self.loc.device))

    def _z(self, x):
        return (x - self.loc) / self.scale

    def _safe_concentration(self) -> tuple:
        """(where concentration is ~0, concentration with those entries set to 1): the two branches of each
        formula are computed without dividing by zero."""
        eq_zero = ntorch.isclose(self.concentration, ntorch.zeros_like(self.concentration))
        return eq_zero, ntorch.where(eq_zero, ntorch.ones_like(self.concentration), self.concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._safe_concentration()
        y = 1 / safe + ntorch.ones_like(z)
        where_nonzero = ntorch.where(y == 0, y, y * ntorch.log1p(safe * z))
        return -self.scale.log() - ntorch.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._safe_concentration()
        return ntorch.where(eq_zero, -z, -ntorch.log1p(safe * z) / safe)

    def log_cdf(self, value):
        return ntorch.log1p(-ntorch.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return ntorch.exp(self.log_cdf(value))

    def icdf(self, value):
        eq_zero, safe = self._safe_concentration()
        logu = ntorch.log1p(-value)
        where_nonzero = self.loc + self.scale / safe * ntorch.expm1(-safe * logu)
        return ntorch.where(eq_zero, self.loc - self.scale * logu, where_nonzero)

    @property
    def mean(self) -> Tensor:
        valid = self.concentration < 1
        safe = ntorch.where(valid, self.concentration, ntorch.full_like(self.concentration, 0.5))
        return ntorch.where(valid, self.loc + self.scale / (1 - safe), ntorch.full_like(self.loc, math.nan))

    @property
    def variance(self) -> Tensor:
        valid = self.concentration < 0.5
        safe = ntorch.where(valid, self.concentration, ntorch.full_like(self.concentration, 0.25))
        result = self.scale**2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return ntorch.where(valid, result, ntorch.full_like(result, math.nan))

    def entropy(self):
        return ntorch.broadcast_to(ntorch.log(self.scale) + self.concentration + 1, tuple(self._batch_shape))

    @property
    def mode(self) -> Tensor:
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = ntorch.where(self.concentration < 0, self.loc - self.scale / self.concentration,
                             ntorch.full_like(self.loc, math.inf))
        return constraints.interval(self.loc, upper)


class InverseGamma(TransformedDistribution):
    """1 / X for X ~ Gamma(concentration, rate)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None) -> None:
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base_dist.rate.new_ones(())
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    concentration = _from_base("concentration")
    rate = _from_base("rate")

    @property
    def mean(self) -> Tensor:
        result = self.rate / (self.concentration - 1)
        return ntorch.where(self.concentration > 1, result, ntorch.full_like(result, math.inf))

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        result = self.rate.square() / ((self.concentration - 1).square() * (self.concentration - 2))
        return ntorch.where(self.concentration > 2, result, ntorch.full_like(result, math.inf))

    def entropy(self):
        c = self.concentration
        return c + self.rate.log() + c.lgamma() - (1 + c) * c.digamma()


def _kumaraswamy_moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[X ** n] = b B(1 + n / a, b)."""
    arg1 = 1 + n / a
    return b * ntorch.exp(ntorch.lgamma(arg1) + ntorch.lgamma(b) - ntorch.lgamma(arg1 + b))


class Kumaraswamy(TransformedDistribution):
    """The Kumaraswamy distribution on (0, 1): (1 - U ** (1 / concentration0)) ** (1 / concentration1), density
    a b x ** (a - 1) (1 - x ** a) ** (b - 1) with a = concentration1, b = concentration0."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(ntorch.full_like(self.concentration0, 0), ntorch.full_like(self.concentration0, 1),
                            validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()), AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(Size(batch_shape))
        new.concentration0 = self.concentration0.expand(Size(batch_shape))
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        log_mode[(b < 1) | (a < 1)] = math.nan
        return log_mode.exp()

    @property
    def variance(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        H0 = ntorch.digamma(self.concentration0 + 1) + euler_constant
        return t0 + t1 * H0 - ntorch.log(self.concentration1) - ntorch.log(self.concentration0)


class LogisticNormal(TransformedDistribution):
    """StickBreakingTransform of Normal(loc, scale) over the last dim: a K-simplex from K - 1 normals (a scalar
    loc/scale is one normal, a 2-simplex)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand([1])
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    loc = _from_base("loc", depth=2)
    scale = _from_base("scale", depth=2)


# Abramowitz and Stegun 9.8.1-9.8.4: log I0 / log I1 by polynomials in (x / 3.75) ** 2 below 3.75, in 3.75 / x
# above (torch's approximation, relative error below 1e-7)
_I0_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813]
_I0_LARGE = [0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537, -0.01647633,
             0.00392377]
_I1_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411]
_I1_LARGE = [0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312, 0.01787654,
             -0.00420059]
_BESSEL_COEFS = {0: (_I0_SMALL, _I0_LARGE), 1: (_I1_SMALL, _I1_LARGE)}


def _eval_poly(y: Tensor, coef: list) -> Tensor:
    result = coef[-1]
    for c in reversed(coef[:-1]):
        result = c + y * result
    return result


def _log_modified_bessel_fn(x: Tensor, order: int = 0) -> Tensor:
    """log of the modified Bessel function I_order(x), order 0 or 1, for x > 0."""
    coef_small, coef_large = _BESSEL_COEFS[order]
    y = (x / 3.75).pow(2)
    small = _eval_poly(y, coef_small)
    if order == 1:
        small = x.abs() * small
    small = small.log()
    large = x - 0.5 * x.log() + _eval_poly(3.75 / x, coef_large).log()
    return ntorch.where(x < 3.75, small, large)


class VonMises(Distribution):
    """The von Mises (circular normal) distribution on angles: density exp(concentration cos(x - loc)) /
    (2 pi I0(concentration)). Samples lie in [-pi, pi); log_prob accepts any real angle."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(Size(self.loc.shape), Size(), validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * ntorch.cos(value - self.loc)
        return log_prob - math.log(2 * math.pi) - _log_modified_bessel_fn(self.concentration, order=0)

    @lazy_property
    def _proposal_r(self) -> Tensor:
        """The radius of the wrapped Cauchy envelope (float64, as torch samples in double)."""
        kappa = self.concentration.detach().to(ntorch.float64)
        tau = 1 + (1 + 4 * kappa**2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        return ntorch.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho**2) / (2 * rho))

    def sample(self, sample_shape=()) -> Tensor:
        from ..kernels.cpu import distributions as K  # on first use: keeps `import ntorch` light

        shape = tuple(self._extended_shape(sample_shape))

        def host(t: Tensor) -> np.ndarray:
            return np.ascontiguousarray(np.broadcast_to(t.detach()._host().astype(np.float64), shape)).reshape(-1)

        out = np.empty(shape, np.float64)
        K.von_mises(_host_rng(None, self.loc.device), host(self.loc), host(self.concentration),
                    host(self._proposal_r), out.reshape(-1))
        return _finish(out.astype(self.loc.dtype.np), False, self.loc.device)

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, VonMises, ("loc", "concentration"), batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @lazy_property
    def variance(self) -> Tensor:
        """The circular variance 1 - I1(kappa) / I0(kappa)."""
        return 1 - (_log_modified_bessel_fn(self.concentration, order=1)
                    - _log_modified_bessel_fn(self.concentration, order=0)).exp()

