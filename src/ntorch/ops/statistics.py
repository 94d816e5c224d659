"""Statistics built from existing ops (so they run on CPU and CUDA and differentiate where torch does):
quantile/nanquantile, cov/corrcoef, histogram, trapezoid/cumulative_trapezoid, gradient, dist, renorm."""

from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

from .. import dtypes
from ..tensor import Tensor, _wrap_dim
from . import creation
from ._util import check_tensor, takes_out

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input: Tensor, q, dim, keepdim: bool, interpolation: str, ignore_nan: bool, name: str) -> Tensor:
    check_tensor(input, name)
    if input.dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        qt = creation.tensor([float(q)], dtype=input.dtype, device=input.device)
    else:
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if q.numel() and not bool(((q >= 0) & (q <= 1)).all()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        scalar_q = q.ndim == 0
        qt = q.reshape(-1)
    if dim is None:
        x, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(dim, max(input.ndim, 1), name)
        x = input.reshape(1) if input.ndim == 0 else input
    s = x.movedim(d, -1).sort(dim=-1).values  # NaN sorts last
    n = s.shape[-1]
    batch = tuple(s.shape[:-1])
    if ignore_nan:
        count = (~s.isnan()).sum(-1, keepdim=True).to(input.dtype)
        ranks = (qt * (count - 1)).clamp(min=0)
    else:
        ranks = (qt * (n - 1)).expand(batch + (qt.shape[0],))
        ranks = ranks.masked_fill(s[..., -1:].isnan().expand(ranks.shape), n - 1)
    if interpolation == "nearest":
        ranks = ranks.round()
    lo = ranks.floor().long()
    hi = ranks.ceil().long().clamp(max=n - 1)
    if interpolation in ("lower", "nearest"):
        out = s.gather(-1, lo)
    elif interpolation == "higher":
        out = s.gather(-1, hi)
    else:
        v_lo, v_hi = s.gather(-1, lo), s.gather(-1, hi)
        w = 0.5 if interpolation == "midpoint" else ranks - lo.to(input.dtype)
        out = v_lo + (v_hi - v_lo) * w
    out = out.movedim(-1, 0)  # q's dim first, as torch
    if keepdim:
        kept = [1] * input.ndim if dim is None else list(input.shape)
        if dim is not None and input.ndim:
            kept[d] = 1
        out = out.reshape((qt.shape[0], *kept))
    elif dim is None:
        out = out.reshape(qt.shape[0])
    if scalar_q:
        out = out.squeeze(0)
    return out


@takes_out("quantile", "quantile() out tensor must be same dtype as the input tensor")
def quantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles along dim (of all elements when dim is None); NaN wherever a slice holds NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@takes_out("nanquantile", "quantile() out tensor must be same dtype as the input tensor")
def nanquantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile over the non-NaN values of each slice (NaN for an all-NaN slice)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance of the variables in input's rows (observations in columns), as torch.cov."""
    check_tensor(input, "cov")
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    if input.dtype is dtypes.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    # integers stay integers, as in torch: their (weighted) sums are int64 (wrapping), the mean a true division,
    # and x - mean promotes to the default float dtype
    integral = not x.is_floating_point()
    n = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.ndim > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{fweights.ndim} dimensions")
        if fweights.is_floating_point() or fweights.dtype is dtypes.bool:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                               f"{dtypes.torch_name(fweights.dtype)} dtype")
        if fweights.numel() != n:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {fweights.numel()} != {n}")
        if bool((fweights < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        if aweights.ndim > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{aweights.ndim} dimensions")
        if not aweights.is_floating_point():
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{dtypes.torch_name(aweights.dtype)} dtype")
        if aweights.numel() != n:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {aweights.numel()} != {n}")
        if bool((aweights < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n
        avg = x.sum(1) / w_sum if integral else x.mean(1)
        norm = w_sum - correction
    else:
        w = w if integral else w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
    if (float(norm) if isinstance(norm, Tensor) else norm) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm = 0.0
    xm = x - avg.unsqueeze(1)
    xw = (xm if w is None else xm * w).t()
    c = xm.mm(xw.conj() if xw.is_complex() else xw)  # (complex: x x^H, as torch)
    return (c / norm).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of input's rows, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    n = c.shape[0]
    diag = c.reshape(-1)[:: n + 1]  # the diagonal (a strided slice, which CUDA tensors support too)
    std = (diag.real if diag.is_complex() else diag).sqrt()
    c = c / std.unsqueeze(1) / std.unsqueeze(0)
    if c.is_complex():  # torch clips both parts
        from .complex import complex as _complex

        return _complex(c.real.clamp(-1, 1), c.imag.clamp(-1, 1))
    return c.clamp(-1, 1)


# torch.return_types.histogram / histogramdd
histogram_result = namedtuple("histogram", ["hist", "bin_edges"])
histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])


def _bin_edges(x: Tensor, bins, lo_hi, dim: int, op: str) -> Tensor:
    """The edges of one histogram dimension: the given 1-d tensor, or `bins` equal bins over lo_hi (default x's
    min..max; an empty or one-valued span widens to +-0.5)."""
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 1:
            raise RuntimeError(f"{op}(): bins tensor should have one dimension and at least 1 element")
        return bins.to(x.dtype)
    if bins <= 0:
        raise RuntimeError(f"histogramdd(): bins must be > 0, but got {bins} for dimension {dim}")
    if lo_hi is not None:
        lo, hi = float(lo_hi[0]), float(lo_hi[1])
    elif x.numel():
        lo, hi = float(x.min()), float(x.max())
    else:
        lo, hi = 0.0, 0.0
    if lo > hi:
        raise RuntimeError(f"histogramdd(): min should not exceed max, but got min {lo} max {hi} for dimension {dim}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return creation.linspace(lo, hi, bins + 1, dtype=x.dtype, device=x.device)


def _bin_index(x: Tensor, edges: Tensor) -> tuple[Tensor, Tensor]:
    """(bin of each x, whether x falls outside every bin); the last bin includes its right edge."""
    from .sorting import searchsorted

    nb = edges.shape[0] - 1
    idx = searchsorted(edges, x, right=True) - 1
    idx = idx.masked_fill(x == edges[-1], nb - 1)
    return idx, (idx < 0) | (idx >= nb) | x.isnan()


def _histogram_dd(points: Tensor, bins: list, ranges: list, weight: Tensor | None, density: bool, op: str):
    """The histogram of (N, D) points over D dimensions: counts (or summed weights) of shape (bins...)."""
    edges = [_bin_edges(points[:, d], b, r, d, op) for d, (b, r) in enumerate(zip(bins, ranges))]
    sizes = [e.shape[0] - 1 for e in edges]
    flat = creation.zeros(points.shape[0], dtype=dtypes.int64, device=points.device)
    outside = creation.zeros(points.shape[0], dtype=dtypes.bool, device=points.device)
    for d, e in enumerate(edges):
        idx, out = _bin_index(points[:, d], e)
        flat = flat * sizes[d] + idx
        outside = outside | out
    total = math.prod(sizes)
    flat = flat.masked_fill(outside, total)  # a spare bin, dropped below
    vals = creation.ones_like(points[:, 0]) if weight is None else weight.reshape(-1).to(points.dtype)
    hist = creation.zeros(total + 1, dtype=points.dtype, device=points.device).index_add(0, flat, vals)[:total]
    hist = hist.reshape(sizes)
    if density:
        volume = creation.ones(sizes, dtype=points.dtype, device=points.device)
        for d, e in enumerate(edges):
            shape = [1] * len(sizes)
            shape[d] = sizes[d]
            volume = volume * (e[1:] - e[:-1]).reshape(shape)
        hist = hist / (volume * hist.sum())
    return hist, edges


@takes_out("histogram", (
    "torch.histogram: input tensor and hist tensor should have the same dtype, but got input {want} and hist {got}",
    "torch.histogram: input tensor and bin_edges tensor should have the same dtype, but got input {want} and "
    "bin_edges {got} for dimension 0"))
def histogram(input: Tensor, bins=100, *, range=None, weight: Tensor | None = None,  # noqa: A002
              density: bool = False) -> tuple[Tensor, Tensor]:
    """(hist, bin_edges) as np.histogram: `bins` equal bins over range (default input's min..max), or the
    given edges; the last bin includes its right edge."""
    check_tensor(input, "histogram")
    if input.dtype not in (dtypes.float32, dtypes.float64) and (input.numel() or not input.is_floating_point()):
        # torch's histogramdd kernel: float and double only (an empty float16 input never reaches it)
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    hist, edges = _histogram_dd(input.reshape(-1, 1), [bins], [range], weight, density, "histogram")
    return histogram_result(hist, edges[0])


def histogramdd(input: Tensor, bins=10, *, range=None, weight: Tensor | None = None,  # noqa: A002
                density: bool = False) -> tuple[Tensor, tuple[Tensor, ...]]:
    """(hist, bin_edges) of the points in input's last dimension (D of them): bins is an int, D ints or D edge
    tensors; range holds D (min, max) pairs, flattened."""
    check_tensor(input, "histogramdd")
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    if input.dtype not in (dtypes.float32, dtypes.float64):
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    d = input.shape[-1]
    bins = [bins] * d if isinstance(bins, int) else list(bins)
    if len(bins) != d:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
    if range is not None and len(range) != 2 * d:
        raise RuntimeError(f"torch.histogramdd: for a {d}-dimensional histogram range should have {2 * d} elements, "
                           f"but got {len(range)}")
    ranges = [None] * d if range is None else [range[2 * i:2 * i + 2] for i in builtins.range(d)]
    hist, edges = _histogram_dd(input.reshape(-1, d), bins, ranges, weight, density, "histogramdd")
    return histogramdd_result(hist, tuple(edges))


def _dx_along(y: Tensor, x: Tensor, dim: int) -> Tensor:
    """The spacings of sample points x along y's dim (x 1-D, or broadcastable to y: fewer dims are leading 1s)."""
    if 1 < x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    if x.ndim == 1:
        dx = x[1:] - x[:-1]
        shape = [1] * y.ndim
        shape[dim] = dx.shape[0]
        return dx.reshape(shape)
    return x.diff(dim=dim)


def _pairs(y: Tensor, dim: int) -> Tensor:
    n = y.shape[dim]
    return y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)


def _no_bool(op: str, y: Tensor, x) -> None:
    """torch's trapezoid rules refuse bool samples (and bool sample points)."""
    if isinstance(x, Tensor):
        if x.dtype is dtypes.bool or y.dtype is dtypes.bool:
            raise RuntimeError(f"{op}: received a bool input for `x` or `y`, but bool is not supported")
    elif y.dtype is dtypes.bool:
        raise RuntimeError(f"{op}: received a bool input for `y`, but bool is not supported")


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along dim, with sample points x or a constant spacing dx (default 1)."""
    check_tensor(y, "trapezoid")
    _no_bool("trapezoid", y, x)
    d = _wrap_dim(dim, y.ndim, "trapezoid")
    if isinstance(x, Tensor):
        if dx is not None:
            raise TypeError("trapezoid() received an invalid combination of arguments: x and dx")
        if y.shape[d] == 0:  # torch's zeros_like_except: y's dtype (a sum would widen integers)
            return y.sum(d).to(y.dtype)
        return (_dx_along(y, x, d) * _pairs(y, d)).sum(d) / 2
    spacing = 1 if dx is None else dx if x is None else x
    if y.shape[d] == 0:
        return y.sum(d).to(y.dtype)
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * spacing


def trapz(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """Alias of trapezoid (torch.trapz(y, x, dim=) or torch.trapz(y, dx=, dim=))."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral along dim (one element shorter than y there)."""
    check_tensor(y, "cumulative_trapezoid")
    _no_bool("cumulative_trapezoid", y, x)
    d = _wrap_dim(dim, y.ndim, "cumulative_trapezoid")
    if y.shape[d] == 0:  # torch's empty (spacing / 2) * (left + right): integers give the default float dtype
        return y.narrow(d, 0, 0) * 0.5
    if isinstance(x, Tensor):
        return (_dx_along(y, x, d) * _pairs(y, d) / 2).cumsum(d)
    spacing = 1 if dx is None else dx if x is None else x
    return (_pairs(y, d) * (spacing / 2)).cumsum(d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple[Tensor, ...]:
    """Central differences inside, one-sided (first or second order) at the edges, along each dim; spacing is
    a scalar, one scalar per dim, or one 1-D coordinate tensor per dim, as np.gradient."""
    check_tensor(input, "gradient")
    if edge_order not in (1, 2):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order}")
    dims = list(range(input.ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    dims = [_wrap_dim(d, input.ndim, "gradient") for d in dims]
    if isinstance(spacing, tuple | list):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    x = input if input.dtype.category >= dtypes.FLOAT else input.to(dtypes.get_default_dtype())
    return tuple(_gradient_1d(x, d, h, edge_order) for d, h in zip(dims, spacings))


def _gradient_1d(f: Tensor, d: int, h, edge_order: int) -> Tensor:
    from .joins import cat

    n = f.shape[d]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    if isinstance(h, Tensor):  # coordinates: np.gradient's non-uniform formulas
        coords = h.to(f.dtype)
        shape = [1] * f.ndim
        shape[d] = n - 1
        dxs = (coords[1:] - coords[:-1]).reshape(shape)
        hl, hr = dxs.narrow(d, 0, n - 2), dxs.narrow(d, 1, n - 2)
        fm, f0, fp = f.narrow(d, 0, n - 2), f.narrow(d, 1, n - 2), f.narrow(d, 2, n - 2)
        mid = (hl * hl * fp - hr * hr * fm + (hr * hr - hl * hl) * f0) / (hl * hr * (hl + hr))
        h0, h1 = dxs.narrow(d, 0, 1), dxs.narrow(d, n - 2, 1)
        if edge_order == 1:
            first = (f.narrow(d, 1, 1) - f.narrow(d, 0, 1)) / h0
            last = (f.narrow(d, n - 1, 1) - f.narrow(d, n - 2, 1)) / h1
        else:
            a, b = h0, dxs.narrow(d, 1, 1)
            first = (-(2 * a + b) / (a * (a + b)) * f.narrow(d, 0, 1) + (a + b) / (a * b) * f.narrow(d, 1, 1)
                     - a / (b * (a + b)) * f.narrow(d, 2, 1))
            a, b = dxs.narrow(d, n - 3, 1), h1
            last = (b / (a * (a + b)) * f.narrow(d, n - 3, 1) - (a + b) / (a * b) * f.narrow(d, n - 2, 1)
                    + (2 * b + a) / (b * (a + b)) * f.narrow(d, n - 1, 1))
        return cat([first, mid, last], d)
    mid = (f.narrow(d, 2, n - 2) - f.narrow(d, 0, n - 2)) / (2 * h)
    if edge_order == 1:
        first = (f.narrow(d, 1, 1) - f.narrow(d, 0, 1)) / h
        last = (f.narrow(d, n - 1, 1) - f.narrow(d, n - 2, 1)) / h
    else:
        first = (-1.5 * f.narrow(d, 0, 1) + 2 * f.narrow(d, 1, 1) - 0.5 * f.narrow(d, 2, 1)) / h
        last = (0.5 * f.narrow(d, n - 3, 1) - 2 * f.narrow(d, n - 2, 1) + 1.5 * f.narrow(d, n - 1, 1)) / h
    return cat([first, mid, last], d)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcast), over all elements; two tensors, a floating result type."""
    check_tensor(input, "dist")
    check_tensor(other, "dist", "other")
    diff = (input - other).reshape(-1)
    if diff.is_complex():  # the norm of the moduli (a real result, as torch)
        diff = diff.abs()
    if not diff.dtype.is_floating_point:
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{dtypes.torch_name(diff.dtype)} instead.")
    if p == 0:
        return (diff != 0).sum().to(diff.dtype)
    if math.isinf(p):
        a = diff.abs()
        return a.max() if p > 0 else a.min()
    return diff.abs().pow(p).sum().pow(1.0 / p) if p != 2 else (diff * diff).sum().sqrt()


@takes_out("renorm")
def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along dim scaled down to p-norm maxnorm where its norm exceeds it (as torch: by
    maxnorm / (norm + 1e-7))."""
    check_tensor(input, "renorm")
    if not input.dtype.is_floating_point:  # torch computes the norms with linalg.vector_norm
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{dtypes.torch_name(input.dtype)}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _wrap_dim(dim, input.ndim, "renorm")
    others = [i for i in range(input.ndim) if i != d]
    a = input.abs()
    if not others:
        norm = a
    elif math.isinf(p):
        norm = a.amax(others, keepdim=True)
    else:
        norm = a.pow(p).sum(others, keepdim=True).pow(1.0 / p)
    # torch scales where norm > maxnorm only: a NaN norm leaves its slice as it is
    factor = (maxnorm / (norm + 1e-7)).masked_fill(~(norm > maxnorm), 1.0)
    return input * factor


FUNCTIONS = {
    "quantile": quantile, "nanquantile": nanquantile, "cov": cov, "corrcoef": corrcoef, "histogram": histogram,
    "trapezoid": trapezoid, "trapz": trapz, "cumulative_trapezoid": cumulative_trapezoid, "gradient": gradient,
    "dist": dist, "renorm": renorm, "histogramdd": histogramdd,
}
METHODS = {"quantile": quantile, "nanquantile": nanquantile, "cov": cov, "corrcoef": corrcoef,
           "histogram": histogram, "dist": dist, "renorm": renorm}
