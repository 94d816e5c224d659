"""Kernels of ntorch.distributions: the standard gamma sampler and its reparameterised gradient, and the von
Mises rejection sampler.

The sampler draws from a NumPy Generator passed in (Numba advances that generator's own stream, so a seed of the
ntorch Generator gives the same draws on every run). Inputs are validated by the front end (alpha > 0, finite).
"""

from __future__ import annotations

import math

from numba import njit, prange

from .scalar import igamma_fraction, igamma_series

_OPTS = dict(cache=True, error_model="numpy")


@njit(**_OPTS)
def _gamma_one(rng, alpha):
    """One Gamma(alpha, 1) draw by Marsaglia and Tsang's squeeze-and-reject method (alpha >= 1); for alpha < 1 a
    Gamma(alpha + 1) draw times U ** (1 / alpha), which is Gamma(alpha)."""
    boost = 1.0
    if alpha < 1.0:
        u = rng.random()
        boost = math.exp(math.log(1.0 - u) / alpha) if u < 1.0 else 0.0  # 1 - u is in (0, 1]
        alpha += 1.0
    d = alpha - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        z = rng.standard_normal()
        t = 1.0 + c * z
        if t <= 0.0:
            continue
        v = t * t * t
        u = rng.random()
        zz = z * z
        if u < 1.0 - 0.0331 * zz * zz:
            return boost * d * v
        if u > 0.0 and math.log(u) < 0.5 * zz + d * (1.0 - v + math.log(v)):
            return boost * d * v


@njit(**_OPTS)
def standard_gamma(rng, alpha, out, tiny):
    """out[i] = a Gamma(alpha[i], 1) draw, at least `tiny` (the smallest normal number of out's dtype, as torch
    clamps); NaN where alpha is not positive. alpha and out are flat float64 arrays."""
    for i in range(alpha.size):
        a = alpha[i]
        if not a > 0.0:  # NaN or out of the domain: no draw (the rejection loop would never end)
            out[i] = math.nan
        elif a == math.inf:
            out[i] = math.inf
        else:
            x = _gamma_one(rng, a)
            out[i] = x if x > tiny else tiny


@njit(**_OPTS)
def _gamma_cdf(a, x, upper):
    """P(a, x) (upper=False) or Q(a, x) from the side of the split that is accurate on its own."""
    if upper:
        return igamma_fraction(a, x)
    return igamma_series(a, x)


@njit(cache=True, error_model="numpy", parallel=True)
def standard_gamma_grad(alpha, x, out):
    """out[i] = d x / d alpha for x ~ Gamma(alpha, 1) held at its quantile: -(dP(alpha, x) / d alpha) / pdf(x).

    dP/dalpha is a central difference of the regularised incomplete gamma function in alpha (P below alpha + 1,
    -Q above, each accurate to about 1e-15 relative), with the step 1e-4 * min(alpha, sqrt(alpha)), the scale on
    which P varies in alpha: about 1e-8 relative error. NaN (an underflowed P) gives 0, as torch. Elements are
    independent, so the loop is parallel (the sampler's is not: one random stream)."""
    for i in prange(alpha.size):
        a = alpha[i]
        xi = x[i]
        h = 1e-4 * min(a, math.sqrt(a))
        upper = xi >= a + 1.0
        dcdf = (_gamma_cdf(a + h, xi, upper) - _gamma_cdf(a - h, xi, upper)) / (2.0 * h)
        if upper:
            dcdf = -dcdf
        pdf = math.exp((a - 1.0) * math.log(xi) - xi - math.lgamma(a))
        g = -dcdf / pdf
        out[i] = g if g == g and abs(g) != math.inf else 0.0



@njit(**_OPTS)
def von_mises(rng, loc, concentration, proposal_r, out):
    """out[i] = a VonMises(loc[i], concentration[i]) draw in [-pi, pi) by Best and Fisher's rejection method (the
    wrapped Cauchy envelope of radius proposal_r[i]), as torch's _rejection_sample. Flat float64 arrays."""
    for i in range(out.size):
        kappa = concentration[i]
        r = proposal_r[i]
        if not (kappa > 0.0 and r == r):  # NaN or out of the domain: no draw (the loop would never end)
            out[i] = math.nan
            continue
        while True:
            u1 = rng.random()
            u2 = rng.random()
            u3 = rng.random()
            z = math.cos(math.pi * u1)
            f = (1.0 + r * z) / (r + z)
            c = kappa * (r - f)
            if c * (2.0 - c) - u2 > 0.0 or (u2 > 0.0 and math.log(c / u2) + 1.0 - c >= 0.0):
                x = math.acos(max(-1.0, min(1.0, f)))
                if u3 < 0.5:
                    x = -x
                elif u3 == 0.5:
                    x = 0.0
                break
        y = x + math.pi + loc[i]
        out[i] = y - 2.0 * math.pi * math.floor(y / (2.0 * math.pi)) - math.pi


@njit(**_OPTS)
def sobol_points(v, shift, start, scale, out, quasi):
    """out[i] = scale * the Sobol point start + i: shift ^ XOR of the direction numbers v[:, j] over the set bits
    j of the Gray code of its index, stepped from one point to the next by one XOR (bit = trailing ones of the
    previous index); quasi holds the last point's integers. v: (d, maxbit) int64; out: (n, d) float64."""
    d, maxbit = v.shape
    gray = start ^ (start >> 1)
    for c in range(d):
        q = shift[c]
        for j in range(maxbit):
            if (gray >> j) & 1:
                q ^= v[c, j]
        quasi[c] = q
    for i in range(out.shape[0]):
        if i > 0:
            k = start + i - 1
            bit = 0
            while (k >> bit) & 1:
                bit += 1
            for c in range(d):
                quasi[c] ^= v[c, bit]
        for c in range(d):
            out[i, c] = quasi[c] * scale
