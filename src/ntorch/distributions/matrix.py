"""Distributions over matrices of torch.distributions: Wishart (positive definite matrices) and LKJCholesky
(Cholesky factors of correlation matrices)."""

from __future__ import annotations

import math
import numbers
import warnings

import ntorch
from ntorch import Size, Tensor

from . import constraints
from .distribution import Distribution, ExponentialFamily
from .gamma import Beta, Chi2
from .multivariate_normal import _scale_tril_of, _ScaleTrilParameterised
from .utils import _finish_expand, broadcast_all

__all__ = ["Wishart", "LKJCholesky"]

_LOG_2 = math.log(2)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """The multivariate digamma: sum_i digamma(x - i / 2), i < p."""
    if not bool(x.gt((p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    half = ntorch.arange(p, dtype=x.dtype, device=x.device) / 2
    return ntorch.digamma(x.unsqueeze(-1) - half.expand(tuple(x.shape) + (-1,))).sum(-1)


class Wishart(_ScaleTrilParameterised, ExponentialFamily):
    """The Wishart distribution of p x p positive definite matrices with df > p - 1 degrees of freedom and scale
    matrix given as covariance_matrix, precision_matrix or scale_tril; samples by the Bartlett decomposition.

    Singular draws (possible for p - 1 < df < p) are redrawn up to max_try_correction times with a warning; torch
    2.13 warns "Singular sample detected." and redraws on every call (its check is inverted), ntorch only when a
    draw is singular."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict:
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None) -> None:
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                                 "specified.")
        param = next(p for p in (covariance_matrix, precision_matrix, scale_tril) if p is not None)
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = Size(param.shape[:-2])
            self.df = ntorch.tensor(df, dtype=param.dtype, device=param.device)
        else:
            batch_shape = Size(ntorch.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(tuple(batch_shape))
        event_shape = Size(param.shape[-2:])
        if bool(self.df.le(event_shape[-1] - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {event_shape[-1] - 1}.")
        name = ("scale_tril" if scale_tril is not None else
                "covariance_matrix" if covariance_matrix is not None else "precision_matrix")
        setattr(self, name, param.expand(tuple(batch_shape) + (-1, -1)))
        if bool(self.df.lt(event_shape[-1]).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < "
                          "ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._unbroadcasted_scale_tril = _scale_tril_of(covariance_matrix, precision_matrix, scale_tril)
        self._dist_chi2 = self._chi2()

    def _chi2(self) -> Chi2:
        """The Bartlett diagonal's squares: Chi2(df - i), i < p."""
        L = self._unbroadcasted_scale_tril
        offsets = ntorch.arange(self._event_shape[-1], dtype=L.dtype, device=L.device)
        return Chi2(df=self.df.unsqueeze(-1) - offsets.expand(tuple(self._batch_shape) + (-1,)))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = Size(batch_shape)
        cov_shape = tuple(batch_shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(tuple(batch_shape))
        self._expand_matrices(new, cov_shape)
        _finish_expand(self, new, batch_shape)
        new._dist_chi2 = new._chi2()
        return new

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @property
    def mean(self) -> Tensor:
        return self.df.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = ntorch.where(factor <= 0, ntorch.full_like(factor, math.nan), factor)
        return factor.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        V = self.covariance_matrix
        diag_V = V.diagonal(dim1=-2, dim2=-1)
        outer = diag_V.unsqueeze(-1) * diag_V.unsqueeze(-2)
        return self.df.view(tuple(self._batch_shape) + (1, 1)) * (V.pow(2) + outer)

    def _bartlett_sampling(self, sample_shape=()) -> Tensor:
        """L A A^T L^T with A lower triangular: sqrt(Chi2(df - i)) on the diagonal, N(0, 1) below."""
        p = self._event_shape[-1]
        diag = self._dist_chi2.rsample(sample_shape).sqrt()
        noise = diag.clamp(min=ntorch.finfo(diag.dtype).eps).diag_embed(dim1=-2, dim2=-1)
        i, j = ntorch.tril_indices(p, p, offset=-1)
        normals = ntorch.randn(tuple(sample_shape) + tuple(self._batch_shape) + (p * (p - 1) // 2,),
                               dtype=noise.dtype, device=noise.device)
        lower = ntorch.zeros_like(noise)
        lower[..., i, j] = normals
        chol = self._unbroadcasted_scale_tril @ (noise + lower)
        return chol @ chol.mT

    def _singular(self, sample: Tensor) -> Tensor:
        """Per sample (over the batch): whether any member is not positive definite."""
        bad = ~self.support.check(sample)
        return bad.reshape(tuple(bad.shape[:bad.dim() - len(self._batch_shape)]) + (-1,)).any(-1)

    def rsample(self, sample_shape=(), max_try_correction=None) -> Tensor:
        max_try_correction = 10 if max_try_correction is None else max_try_correction
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        singular = self._singular(sample)
        if bool(singular.any()):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                redraw = self._bartlett_sampling(sample_shape)
                mask = singular.reshape(tuple(singular.shape) + (1,) * (sample.dim() - singular.dim()))
                sample = ntorch.where(mask, redraw, sample)
                singular = singular & self._singular(redraw)
                if not bool(singular.any()):
                    break
        return sample

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        return (-nu * (p * _LOG_2 / 2 + L.diagonal(dim1=-2, dim2=-1).log().sum(-1))
                - ntorch.mvlgamma(nu / 2, p=p)
                + (nu - p - 1) / 2 * ntorch.linalg.slogdet(value).logabsdet
                - ntorch.cholesky_solve(value, L).diagonal(dim1=-2, dim2=-1).sum(dim=-1) / 2)

    def entropy(self):
        nu = self.df
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        return ((p + 1) * (p * _LOG_2 / 2 + L.diagonal(dim1=-2, dim2=-1).log().sum(-1))
                + ntorch.mvlgamma(nu / 2, p=p) - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p) + nu * p / 2)

    @property
    def _natural_params(self) -> tuple:
        p = self._event_shape[-1]
        return (-self.precision_matrix / 2, (self.df - p - 1) / 2)

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-ntorch.linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p)
                + ntorch.mvlgamma(y + (p + 1) / 2, p=p))


class LKJCholesky(Distribution):
    """The LKJ distribution of dim x dim correlation matrices (density proportional to det(C) ** (concentration -
    1)), as the distribution of their lower Cholesky factors; sampled by the onion method.

    log_prob is torch's; sample draws row i's squared off-diagonal norm from Beta(i / 2, ...) as the onion method
    has it, where torch 2.13 uses Beta(i - 1/2, ...) (the same for dim 2, biased towards larger correlations in the
    rows past the second for dim >= 3)."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args=None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = ntorch.arange(self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = ntorch.cat([offset.new_zeros((1,)), offset])
        # row i (i >= 1) is sqrt(y_i) u_i with u_i uniform on the sphere in i dims and y_i ~ Beta(i / 2,
        # concentration + (dim - 1 - i) / 2); torch 2.13 takes offset + 0.5 = i - 1/2 for the first parameter, which
        # is right only for i = 1: its rows past the second do not follow its own log_prob
        self._beta = Beta(0.5 * (offset + 1), marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(Size(self.concentration.size()), Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(tuple(batch_shape))
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        return _finish_expand(self, new, batch_shape)

    def sample(self, sample_shape=()) -> Tensor:
        # the onion method: row i is sqrt(y_i) times a uniform direction of the unit sphere in i dims, y_i ~ Beta,
        # completed to unit norm by the diagonal (Ghosh and Henderson 2003; Lewandowski et al. 2009)
        with ntorch.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u_normal = ntorch.randn(tuple(self._extended_shape(sample_shape)), dtype=y.dtype,
                                    device=y.device).tril(-1)
            u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
            u_hypersphere[..., 0, :] = 0.0  # the first row is 0 / 0 above
            w = ntorch.sqrt(y) * u_hypersphere
            tiny = ntorch.finfo(w.dtype).tiny
            diag = ntorch.clamp(1 - ntorch.sum(w**2, dim=-1), min=tiny).sqrt()
            return w + ntorch.diag_embed(diag)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = ntorch.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = ntorch.sum(order * diag_elems.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = ntorch.lgamma(alpha) * dm1
        numerator = ntorch.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        return unnormalized_log_pdf - (pi_constant + numerator - denominator)
