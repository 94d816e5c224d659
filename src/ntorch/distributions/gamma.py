"""Gamma-family distributions: Gamma, Chi2, Beta, Dirichlet, and their sampler _standard_gamma.

Reparameterised gradients: a Gamma(alpha) draw x is differentiated at its quantile, dx/dalpha =
-(dP(alpha, x)/dalpha) / pdf(x) (kernels/cpu/distributions.py). Dirichlet (and Beta) draws are normalised gamma
draws differentiated through that gradient, an unbiased reparameterisation; torch uses the implicit gradient of
the Beta marginals instead, so per-sample gradients differ while their expectation is the same.
"""

from __future__ import annotations

import numpy as np

import ntorch
from ntorch import Size, Tensor

from .. import dtypes
from ..ops.creation import _finish
from ..random import _host_rng
from . import constraints
from .distribution import ExponentialFamily
from .utils import _expand_params, _finish_expand, broadcast_all

__all__ = ["Gamma", "Chi2", "Beta", "Dirichlet"]


def _standard_gamma(concentration: Tensor, generator=None) -> Tensor:
    """Gamma(concentration, 1) draws (concentration's dtype and device), differentiable in concentration.

    CPU draws come from the generator's stream; on CUDA they are drawn on the host from a stream keyed by the CUDA
    generator and copied over, as ntorch.poisson does."""
    if not concentration.dtype.is_floating_point:
        raise NotImplementedError(f"\"standard_gamma\" not implemented for '{dtypes.torch_name(concentration.dtype)}'")
    from ..kernels.cpu import distributions as K  # on first use: keeps `import ntorch` light

    alpha = np.ascontiguousarray(concentration.detach()._host(), dtype=np.float64)
    out = np.empty(alpha.shape, np.float64)
    tiny = float(np.finfo(concentration.dtype.np).tiny)
    K.standard_gamma(_host_rng(generator, concentration.device), alpha.reshape(-1), out.reshape(-1), tiny)
    result = _finish(out.astype(concentration.dtype.np), False, concentration.device)
    from ..autograd.graph import needs_graph, record

    if needs_graph(concentration):
        def backward(node, g):
            grad = np.empty(alpha.shape, np.float64)
            K.standard_gamma_grad(alpha.reshape(-1), out.reshape(-1).clip(tiny), grad.reshape(-1))
            return g * _finish(grad.astype(concentration.dtype.np), False, concentration.device)

        record("StandardGammaBackward0", backward, (concentration,), (result,))
    return result


class Gamma(ExponentialFamily):
    """The gamma distribution with shape `concentration` and `rate` (1 / scale)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(Size(self.concentration.size()), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand_params(self, Gamma, ("concentration", "rate"), batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=ntorch.finfo(value.dtype).tiny)

    def log_prob(self, value):
        value = ntorch.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (ntorch.xlogy(self.concentration, self.rate) + ntorch.xlogy(self.concentration - 1, value)
                - self.rate * value - ntorch.lgamma(self.concentration))

    def entropy(self):
        c = self.concentration
        return c - ntorch.log(self.rate) + ntorch.lgamma(c) + (1.0 - c) * ntorch.digamma(c)

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return ntorch.lgamma(x + 1) + (x + 1) * ntorch.log(-y.reciprocal())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ntorch.special.gammainc(self.concentration, self.rate * value)


class Chi2(Gamma):
    """The chi-squared distribution with df degrees of freedom: Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None) -> None:
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self) -> Tensor:
        return self.concentration * 2


def _sample_dirichlet(concentration: Tensor) -> Tensor:
    """Normalised gamma draws along the last dim, kept inside (0, 1) as torch does."""
    gammas = _standard_gamma(concentration)
    x = gammas / gammas.sum(-1, keepdim=True)
    finfo = ntorch.finfo(x.dtype)
    return x.clamp(min=finfo.tiny, max=1 - finfo.eps)


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution over the simplex, with the last dim of `concentration` as its event."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(Size(concentration.shape[:-1]), Size(concentration.shape[-1:]), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(tuple(batch_shape) + tuple(self.event_shape))
        return _finish_expand(self, new, batch_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        return _sample_dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return ntorch.xlogy(c - 1.0, value).sum(-1) + ntorch.lgamma(c.sum(-1)) - ntorch.lgamma(c).sum(-1)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self) -> Tensor:
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, True)
        mask = (self.concentration < 1).all(-1)
        if bool(mask.any()):  # all below 1: a vertex; torch takes the argmax of the clamped (all zero) c - 1,
            k = concentrationm1.shape[-1]  # so the first vertex, whichever concentration is largest
            vertex = ntorch.nn.functional.one_hot(concentrationm1.argmax(-1), k).to(mode.dtype)
            mode = ntorch.where(mask.unsqueeze(-1), vertex, mode)
        return mode

    @property
    def variance(self) -> Tensor:
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (ntorch.lgamma(self.concentration).sum(-1) - ntorch.lgamma(a0) - (k - a0) * ntorch.digamma(a0)
                - ((self.concentration - 1.0) * ntorch.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - ntorch.lgamma(x.sum(-1))


class Beta(ExponentialFamily):
    """The beta distribution on [0, 1]: the first coordinate of Dirichlet([concentration1, concentration0])."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        c1, c0 = broadcast_all(concentration1, concentration0)
        self._dirichlet = Dirichlet(ntorch.stack([c1, c0], -1), validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = Size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        return _finish_expand(self, new, batch_shape)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(ntorch.stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def concentration1(self) -> Tensor:
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        return self._dirichlet.concentration[..., 1]

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration1, self.concentration0)

    def _log_normalizer(self, x, y):
        return ntorch.lgamma(x) + ntorch.lgamma(y) - ntorch.lgamma(x + y)
