"""ntorch.special (torch.special): aliases of existing ops plus a few compositions of them."""

from __future__ import annotations

import math

from .ops import mathx, pointwise
from .ops import softmax as _softmax
from .ops.pointwise import FUNCTIONS as _P
from .tensor import Tensor

_SQRT2 = math.sqrt(2.0)


def _float(input: Tensor) -> Tensor:
    from . import dtypes

    return input if input.is_floating_point() else input.to(dtypes.get_default_dtype())


expit = _P["sigmoid"]
logit = pointwise.logit
sinc = _P["sinc"]
round = pointwise.round  # noqa: A001 - torch's name
exp2, expm1, log1p = _P["exp2"], _P["expm1"], _P["log1p"]
erf, erfc, erfinv = _P["erf"], _P["erfc"], _P["erfinv"]
gammaln, digamma, psi, i0 = _P["lgamma"], _P["digamma"], _P["digamma"], _P["i0"]
xlogy = _P["xlogy"]
polygamma = mathx.polygamma
multigammaln = mathx.mvlgamma
zeta = mathx.zeta


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _softmax.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _softmax.log_softmax(input, dim, dtype=dtype)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    return input.logsumexp(dim, keepdim)


def entr(input: Tensor) -> Tensor:
    """-x log x elementwise: 0 at 0, -inf for x < 0 (NaN stays NaN)."""
    x = _float(input)
    out = -pointwise.FUNCTIONS["xlogy"](x, x)
    return out.masked_fill(x < 0, -math.inf)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF."""
    return 0.5 * erfc(_float(input) * (-1 / _SQRT2))


def ndtri(input: Tensor) -> Tensor:
    """The inverse of ndtr."""
    return erfinv(2 * _float(input) - 1) * _SQRT2


def log_ndtr(input: Tensor) -> Tensor:
    return ndtr(input).log()


def erfcx(input: Tensor) -> Tensor:
    """exp(x^2) erfc(x) (composed: overflows to inf/NaN for x above about 26 in float64)."""
    x = _float(input)
    return (x * x).exp() * erfc(x)


def xlog1py(input, other) -> Tensor:
    """x * log1p(y), 0 where x == 0 (unless y is NaN)."""
    x = input if isinstance(input, Tensor) else other.new_tensor(input)
    y = other if isinstance(other, Tensor) else x.new_tensor(other)
    out = x * log1p(y)
    return out.masked_fill((x == 0) & ~y.isnan(), 0.0)


def i0e(input: Tensor) -> Tensor:
    x = _float(input)
    return i0(x) * (-x.abs()).exp()


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "math", "mathx", "pointwise",
                                                                    "Tensor")]
