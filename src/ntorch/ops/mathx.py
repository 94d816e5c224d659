"""Math functions composed of existing ops: frexp, isposinf/isneginf/isreal, polygamma, Hurwitz zeta,
mvlgamma, vander, unravel_index, combinations, tril/triu_indices, diagflat."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .. import dtypes, layouts
from ..tensor import Tensor
from . import creation
from ._util import check_tensor, takes_out


@takes_out("frexp", ("torch.frexp() expects mantissa to have dtype {want} but got {got}",
                 "torch.frexp() expects exponent to have int dtype but got {got}"))
def frexp(input: Tensor):
    """(mantissa, exponent), input = mantissa * 2**exponent, 0.5 <= |mantissa| < 1 (0, inf, NaN: exponent 0)."""
    check_tensor(input, "frexp")
    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    finite = input.isfinite() & (input != 0)
    a = input.abs().masked_fill(~finite, 1.0)
    e = a.log2().floor() + 1
    m = a * (-e).exp2()
    e = e + (m >= 1).to(e.dtype) - (m < 0.5).to(e.dtype)  # log2's rounding can miss by one
    mant = input * (-e).exp2()
    exp = e.masked_fill(~finite, 0).to(dtypes.int32)
    return FrexpResult(mant.masked_fill(~finite, 0) + input.masked_fill(finite, 0), exp)


class FrexpResult(tuple):
    """torch.return_types.frexp: (mantissa, exponent)."""

    def __new__(cls, mantissa: Tensor, exponent: Tensor):
        return super().__new__(cls, (mantissa, exponent))

    @property
    def mantissa(self) -> Tensor:
        return self[0]

    @property
    def exponent(self) -> Tensor:
        return self[1]


@takes_out("isposinf", "isposinf does not support non-boolean outputs.")
def isposinf(input: Tensor) -> Tensor:
    check_tensor(input, "isposinf")
    if input.is_complex():
        raise RuntimeError("isposinf does not support complex inputs.")
    return input.isinf() & (input > 0) if input.is_floating_point() else creation.zeros_like(input, dtype=dtypes.bool)


@takes_out("isneginf", "isneginf does not support non-boolean outputs.")
def isneginf(input: Tensor) -> Tensor:
    check_tensor(input, "isneginf")
    if input.is_complex():
        raise RuntimeError("isneginf does not support complex inputs.")
    return input.isinf() & (input < 0) if input.is_floating_point() else creation.zeros_like(input, dtype=dtypes.bool)


def isreal(input: Tensor) -> Tensor:
    """True everywhere: ntorch has no complex dtypes."""
    check_tensor(input, "isreal")
    return creation.ones_like(input, dtype=dtypes.bool)


# Euler-Maclaurin: B_2k / (2k)!
_BERNOULLI = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000,
              1 / 74724249600)
_ZETA_TERMS = 9


def zeta(input, other) -> Tensor:
    """Hurwitz zeta sum_k (q + k)^-x for x > 1, q > 0, by 9 direct terms and an Euler-Maclaurin tail
    (double-precision accurate there); differentiable in q."""
    x, q = input, other
    for t in (x, q):
        if isinstance(t, Tensor) and t.is_complex():
            raise NotImplementedError(f"\"zeta\" not implemented for '{dtypes.torch_name(t.dtype)}'")
    if not isinstance(q, Tensor):
        q = creation.full(tuple(x.shape), float(q), dtype=x.dtype, device=x.device)
    if not q.is_floating_point():
        q = q.to(dtypes.get_default_dtype())
    if isinstance(x, Tensor) and not x.is_floating_point():
        x = x.to(q.dtype)
    total = q * 0
    for k in range(_ZETA_TERMS):
        total = total + (q + k).pow(-x)
    a = q + _ZETA_TERMS
    total = total + a.pow(1 - x) / (x - 1) + 0.5 * a.pow(-x)
    fac = x * 1.0
    term = a.pow(-x - 1)
    for j, b in enumerate(_BERNOULLI):
        total = total + b * fac * term
        fac = fac * (x + 2 * j + 1) * (x + 2 * j + 2)
        term = term / (a * a)
    return total


@takes_out("polygamma", None)
def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma: (-1)^(n+1) n! zeta(n+1, x) for n >= 1 (accurate for x > 0)."""
    check_tensor(input, "polygamma")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if input.is_complex():
        raise NotImplementedError(f"\"polygamma\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    x = input if input.is_floating_point() else input.to(dtypes.get_default_dtype())
    if n == 0:
        return x.digamma()
    return zeta(float(n + 1), x) * ((-1) ** (n + 1) * math.factorial(n))


@takes_out("mvlgamma", None)
def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma: sum_j lgamma(x - j/2) + p(p-1)/4 log(pi)."""
    check_tensor(input, "mvlgamma")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if input.is_complex():
        raise NotImplementedError(f"\"mvlgamma\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    x = input if input.is_floating_point() else input.to(dtypes.get_default_dtype())
    out = x.lgamma()
    for j in range(1, p):
        out = out + (x - j / 2).lgamma()
    return out + p * (p - 1) / 4 * math.log(math.pi)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """Columns x^(N-1) ... x^0 (or increasing), by a cumulative product."""
    from .joins import cat

    check_tensor(x, "vander")
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = x.dtype if x.dtype is not dtypes.bool else dtypes.int64
    dt = dtypes.promote_types(dt, dtypes.int64)
    if n == 0:
        return creation.empty((x.shape[0], 0), dtype=dt, device=x.device)
    xs = x.to(dt).unsqueeze(1)
    cols = cat([creation.ones_like(xs), xs.expand(x.shape[0], n - 1)], 1).cumprod(1)
    return cols if increasing else cols.flip(1)


def unravel_index(indices: Tensor, shape) -> tuple[Tensor, ...]:
    """The coordinates of flat indices in an array of `shape` (C order); negative indices count from the end."""
    if not isinstance(indices, Tensor):
        indices = creation.tensor(indices)
    if indices.is_floating_point() or indices.dtype is dtypes.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    total = math.prod(shape)
    idx = indices.long()
    if total:
        idx = idx.remainder(total)
    out = []
    for s in reversed(shape):
        out.append(idx.remainder(s) if s else idx * 0)
        idx = idx.div(s, rounding_mode="floor") if s else idx
    return tuple(reversed(out))


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of a 1-D tensor's elements (an index_select, so differentiable)."""
    check_tensor(input, "combinations")
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return creation.empty(0, dtype=input.dtype, device=input.device)
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    combos = np.array(list(gen(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    if combos.shape[0] == 0:
        return creation.empty((0, r) if r > 1 else 0, dtype=input.dtype, device=input.device)
    idx = creation.tensor(combos.reshape(-1), device=input.device)
    out = input.index_select(0, idx).reshape(combos.shape)
    return out.reshape(-1) if r == 1 else out


def _tri_indices(np_fn, row: int, col: int, offset: int, dtype, device) -> Tensor:
    dt = creation._dt(dtype, dtypes.int64)
    if dt not in (dtypes.int32, dtypes.int64):
        raise RuntimeError(f"\"{np_fn.__name__}\" not implemented for '{dtypes.torch_name(dt)}'")
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else f"col must be non-negative, got{col}")
    r, c = np_fn(row, offset, col)
    return creation._finish(np.stack([r, c]).astype(dt.np).reshape(2, -1), False, device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None,
                 pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("tril_indices", layout, pin_memory)
    return _tri_indices(np.tril_indices, row, col, offset, dtype, device).requires_grad_(requires_grad)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None,
                 pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("triu_indices", layout, pin_memory)
    return _tri_indices(np.triu_indices, row, col, offset, dtype, device).requires_grad_(requires_grad)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    check_tensor(input, "diagflat")
    return input.reshape(-1).diag(offset)


FUNCTIONS = {
    "frexp": frexp, "isposinf": isposinf, "isneginf": isneginf, "isreal": isreal, "polygamma": polygamma,
    "mvlgamma": mvlgamma, "vander": vander, "unravel_index": unravel_index, "combinations": combinations,
    "tril_indices": tril_indices, "triu_indices": triu_indices, "diagflat": diagflat,
}
METHODS = {"frexp": frexp, "isposinf": isposinf, "isneginf": isneginf, "isreal": isreal, "diagflat": diagflat,
           "mvlgamma": mvlgamma, "polygamma": lambda self, n: polygamma(n, self)}
