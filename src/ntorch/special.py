"""ntorch.special (torch.special): aliases of existing ops plus a few compositions of them."""

from __future__ import annotations

import math

from .autograd.grad_mode import no_grad as _no_grad
from .ops import mathx, pointwise
from .ops import softmax as _softmax
from .ops.pointwise import FUNCTIONS as _P
from .tensor import Tensor

_SQRT2 = math.sqrt(2.0)


def _float(input: Tensor) -> Tensor:
    from . import dtypes

    if input.is_complex():  # (a cast would drop the imaginary parts)
        raise NotImplementedError(f"special functions of {dtypes.torch_name(input.dtype)} tensors are not "
                                  "implemented in ntorch")
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


def _op(name: str, differentiable: bool = False):
    """The elementwise op `name` as a torch.special function; torch records no graph for most of these."""
    from .ops.elementwise import apply

    def unary(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if differentiable:
            return apply(name, input, out=out)
        with _no_grad():
            return apply(name, input, out=out)

    unary.__name__ = unary.__qualname__ = name
    return unary


def _poly(name: str):
    """An orthogonal polynomial P_n(x): x and n tensors or numbers (one a tensor), n truncated to an integer."""
    from .ops.elementwise import apply

    def poly(input, n, *, out: Tensor | None = None) -> Tensor:
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            raise TypeError(f"{name}(): expected a Tensor for input or n")
        with _no_grad():
            return apply(name, input, n, out=out)

    poly.__name__ = poly.__qualname__ = name
    return poly


def _incomplete_gamma(name: str):
    from . import dtypes
    from .ops.elementwise import apply

    def fn(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
        for arg, pos, what in ((input, 1, "input"), (other, 2, "other")):
            if not isinstance(arg, Tensor):
                raise TypeError(f"special_{name}(): argument '{what}' (position {pos}) must be Tensor, not "
                                f"{type(arg).__name__}")
        if not input.is_floating_point() and not other.is_floating_point():
            dt = dtypes.promote_types(input.dtype, other.dtype)
            raise NotImplementedError(f"\"igamma{'c' if name == 'gammaincc' else ''}_{input.device.type}\" not "
                                      f"implemented for '{dtypes.torch_name(dt)}'")
        return apply(name, input, other, out=out)

    fn.__name__ = fn.__qualname__ = name
    return fn


i0e = _op("i0e", differentiable=True)
i1 = _op("i1", differentiable=True)
i1e = _op("i1e", differentiable=True)
modified_bessel_i0 = _op("i0")
modified_bessel_i1 = _op("i1")
bessel_j0, bessel_j1, bessel_y0, bessel_y1 = (_op(n) for n in ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"))
modified_bessel_k0, modified_bessel_k1 = _op("modified_bessel_k0"), _op("modified_bessel_k1")
scaled_modified_bessel_k0 = _op("scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _op("scaled_modified_bessel_k1")
spherical_bessel_j0 = _op("spherical_bessel_j0")
airy_ai = _op("airy_ai")
gammainc = _incomplete_gamma("gammainc")
gammaincc = _incomplete_gamma("gammaincc")
chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v, chebyshev_polynomial_w = (
    _poly(f"chebyshev_polynomial_{k}") for k in "tuvw")
shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u, shifted_chebyshev_polynomial_v, \
    shifted_chebyshev_polynomial_w = (_poly(f"shifted_chebyshev_polynomial_{k}") for k in "tuvw")
hermite_polynomial_h, hermite_polynomial_he = _poly("hermite_polynomial_h"), _poly("hermite_polynomial_he")
laguerre_polynomial_l, legendre_polynomial_p = _poly("laguerre_polynomial_l"), _poly("legendre_polynomial_p")


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "math", "mathx", "pointwise",
                                                                    "Tensor")]
