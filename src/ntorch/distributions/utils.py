"""Helpers of torch.distributions.utils: broadcasting parameters, probs <-> logits, lazy properties."""

from __future__ import annotations

import numbers
from functools import update_wrapper

import ntorch
import ntorch.nn.functional as F
from ntorch import Size, Tensor

euler_constant = 0.57721566490153286060  # the Euler-Mascheroni constant

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """Tensors broadcast together; numbers become tensors of the first tensor's dtype and device (the default
    dtype when all are numbers)."""
    if not all(isinstance(v, Tensor | numbers.Number) for v in values):
        raise ValueError("Input arguments must all be instances of Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        options = dict(dtype=ntorch.get_default_dtype())
        for value in values:
            if isinstance(value, Tensor):
                options = dict(dtype=value.dtype, device=value.device)
                break
        values = [v if isinstance(v, Tensor) else ntorch.tensor(v, **options) for v in values]
    return tuple(ntorch.broadcast_tensors(*values))


def _standard_normal(shape, dtype, device) -> Tensor:
    return ntorch.empty(tuple(shape), dtype=dtype, device=device).normal_()


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value with its `dim` rightmost dims summed out."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid of log-odds (binary), else softmax over the last dim."""
    if is_binary:
        return ntorch.sigmoid(logits)
    return F.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] of their dtype."""
    eps = ntorch.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log-odds (binary) or log-probabilities of clamped probs."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ntorch.log(ps_clamped) - ntorch.log1p(-ps_clamped)
    return ntorch.log(ps_clamped)


class lazy_property:
    """A non-data descriptor computed on first access (with grad enabled) and then stored on the instance."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ntorch.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What a class attribute lookup of a lazy_property returns: both a lazy_property and a property."""

    def __init__(self, wrapped) -> None:
        property.__init__(self, wrapped)


def _tril_mask(n: int, diag: int, device) -> Tensor:
    arange = ntorch.arange(n, device=device)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The lower triangle (from diagonal `diag`) of a (batched) square matrix, in row order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The inverse of tril_matrix_to_vec: a (batched) D x D lower triangular matrix from its row-order entries."""
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > ntorch.finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat


def _finish_expand(self, new, batch_shape, event_shape=None):
    """The tail of every expand(): new's shapes set without validation, self's validate_args carried over."""
    from .distribution import Distribution

    event_shape = self._event_shape if event_shape is None else event_shape
    Distribution.__init__(new, batch_shape, event_shape, validate_args=False)
    new._validate_args = self._validate_args
    return new


def _expand_params(self, cls, names, batch_shape, _instance):
    """The expand() of a distribution whose parameters all have batch_shape: each parameter expanded."""
    new = self._get_checked_instance(cls, _instance)
    batch_shape = Size(batch_shape)
    for name in names:
        setattr(new, name, getattr(self, name).expand(batch_shape))
    return _finish_expand(self, new, batch_shape)


def _arange_support(self, n: int, dtype) -> Tensor:
    """enumerate_support's values 0..n-1 shaped (n,) + (1,) * batch dims, to be expanded over the batch."""
    values = ntorch.arange(n, dtype=dtype, device=self._param.device)
    return values.view((-1,) + (1,) * len(self._batch_shape))


class _BinaryProbsLogits:
    """probs / logits of a distribution given one of them as log-odds (Bernoulli-like): each computed lazily
    from the other; _param is the one given."""

    def _set_probs_or_logits(self, probs, logits, *others) -> tuple:
        """Sets the given one of probs / logits (and _param), broadcast with `others`; returns those broadcast."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        *rest, param = broadcast_all(*others, given)
        setattr(self, name, param)
        self._param = param
        return tuple(rest)

    def _expand_probs_logits(self, new, shape) -> None:
        """new.probs / new.logits (whichever self has computed) expanded to shape; new._param is the given one."""
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(shape)
            new._param = new.logits

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.size()
