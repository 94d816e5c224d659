"""ntorch.quasirandom: SobolEngine, torch.quasirandom's (scrambled) Sobol low-discrepancy sequence generator.

Point i of the unscrambled sequence is the XOR of the direction numbers v_j over the set bits j of the Gray code
i ^ (i >> 1), scaled by 2 ** -30: the same points, in the same order, as torch's generator. The kernel
(kernels/cpu/distributions.py: sobol_points) starts anywhere from that formula and steps by one XOR a point.

Differences from torch: the direction-number table ships the first 1111 dimensions of torch's (Joe and Kuo's D(6)
table, up to 21201 in torch), so `dimension` is at most 1111; scrambling (a random linear matrix scramble plus a
random digital shift, as torch's) draws its bits from ntorch's generator, so a seeded scrambled sequence is
reproducible in ntorch but not the same as torch's.
"""

from __future__ import annotations

import numpy as np

import ntorch
from ntorch import Tensor

from . import _sobol_directions

__all__ = ["SobolEngine"]

_STATE: dict = {}  # "v": the (MAXDIM, MAXBIT) table of direction numbers, built on first use


def _direction_numbers(dimension: int) -> np.ndarray:
    """The (dimension, 30) int64 direction numbers v[d, j] = m_j << (29 - j) (torch's sobolstate)."""
    if "v" not in _STATE:
        maxbit = SobolEngine.MAXBIT
        m = np.ones((_sobol_directions.MAXDIM, maxbit), np.int64)  # dimension 0: all 1 (van der Corput)
        for d, line in enumerate(_sobol_directions.TABLE.strip().splitlines(), start=1):
            poly, *init = (int(x) for x in line.split())
            s = poly.bit_length() - 1
            m[d, :s] = init
            for j in range(s, maxbit):  # m_j = 2^s m_{j-s} ^ m_{j-s} ^ XOR_k a_k 2^k m_{j-k}
                new = m[d, j - s] ^ (m[d, j - s] << s)
                for k in range(1, s):
                    if (poly >> (s - k)) & 1:
                        new ^= m[d, j - k] << k
                m[d, j] = new
        _STATE["v"] = m << (maxbit - 1 - np.arange(maxbit))
    return _STATE["v"][:dimension].copy()


def _scramble(v: np.ndarray, ltm: np.ndarray) -> np.ndarray:
    """v[d, j] times the lower triangular bit matrix ltm[d] (unit diagonal) over GF(2), bit 0 the most
    significant (Matousek's linear matrix scramble: the sequence stays a (t, s)-sequence)."""
    maxbit = v.shape[1]
    shifts = maxbit - 1 - np.arange(maxbit)
    bits = (v[:, :, None] >> shifts) & 1  # (d, j, p): bit p (from the top) of v[d, j]
    ltm = ltm.copy()
    ltm[:, np.arange(maxbit), np.arange(maxbit)] = 1
    out_bits = np.einsum("dqp,djp->djq", ltm, bits) & 1
    return (out_bits << shifts).sum(-1)


class SobolEngine:
    """A generator of (scrambled) Sobol sequences in [0, 1) ** dimension, drawn in order: draw(n) returns the next
    n points as an (n, dimension) tensor of the default (or given) dtype."""

    MAXBIT = 30
    MAXDIM = _sobol_directions.MAXDIM

    def __init__(self, dimension: int, scramble: bool = False, seed: int | None = None) -> None:
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError(f"Supported range of dimensionality for SobolEngine is [1, {self.MAXDIM}]")
        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension
        v = _direction_numbers(dimension)
        if not scramble:
            shift = np.zeros(dimension, np.int64)
        else:
            v, shift = self._scrambled(v)
        self.sobolstate = ntorch.from_numpy(v)
        self.shift = ntorch.from_numpy(shift)
        self.quasi = self.shift.clone()
        self._first_point = (self.quasi / 2**self.MAXBIT).reshape(1, -1)
        self.num_generated = 0

    def _scrambled(self, v: np.ndarray) -> tuple:
        """(scrambled direction numbers, random shift), from a generator seeded with self.seed (else random)."""
        g = ntorch.Generator()
        if self.seed is not None:
            g.manual_seed(self.seed)
        else:
            g.seed()
        shift_bits = ntorch.randint(2, (self.dimension, self.MAXBIT), generator=g).numpy()
        shift = shift_bits @ (np.int64(1) << np.arange(self.MAXBIT, dtype=np.int64))
        ltm = np.tril(ntorch.randint(2, (self.dimension, self.MAXBIT, self.MAXBIT), generator=g).numpy())
        return _scramble(v, ltm), shift.astype(np.int64)

    def _points(self, start: int, n: int) -> tuple:
        """(points start .. start + n - 1 as float64 in [0, 1), the last one's integers)."""
        from .kernels.cpu import distributions as K  # on first use: keeps `import ntorch` light

        out = np.empty((n, self.dimension), np.float64)
        quasi = np.empty(self.dimension, np.int64)
        K.sobol_points(self.sobolstate.numpy(), self.shift.numpy(), start, 1.0 / 2**self.MAXBIT, out, quasi)
        return out, quasi

    def draw(self, n: int = 1, out: Tensor | None = None, dtype=None) -> Tensor:
        """The next n points of the sequence, shape (n, dimension) (empty for n = 0, where torch's first draw
        raises for its internal n - 1)."""
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}, {self.dimension}]")
        if dtype is None:
            dtype = ntorch.get_default_dtype()
        start = self.num_generated
        if n > 0:
            points, quasi = self._points(start, n)
            result = ntorch.from_numpy(points).to(dtype)
            if start == 0:  # torch's first point is the shift divided in the default dtype
                result[0] = self._first_point.to(dtype)[0]
            self.quasi = ntorch.from_numpy(quasi)
        else:
            result = ntorch.empty((0, self.dimension), dtype=dtype)
        self.num_generated += n
        if out is not None:
            out.resize_as_(result).copy_(result)
            return out
        return result

    def draw_base2(self, m: int, out: Tensor | None = None, dtype=None) -> Tensor:
        """The next 2 ** m points; the total drawn must stay a power of 2 (the balance property)."""
        n = 2**m
        total_n = self.num_generated + n
        if not (total_n & (total_n - 1) == 0):
            raise ValueError("The balance properties of Sobol' points require n to be a power of 2. "
                             f"{self.num_generated} points have been previously generated, then: "
                             f"n={self.num_generated}+2**{m}={total_n}. If you still want to do this, please use "
                             "'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self) -> SobolEngine:
        """Back to the first point."""
        self.quasi.copy_(self.shift)
        self.num_generated = 0
        return self

    def fast_forward(self, n: int) -> SobolEngine:
        """Skip n points (as drawing them and discarding the result)."""
        if n > 0:
            self.quasi = ntorch.from_numpy(self._points(self.num_generated + n - 1, 1)[1])
        self.num_generated += n
        return self

    def __repr__(self) -> str:
        fmt = [f"dimension={self.dimension}"]
        if self.scramble:
            fmt += ["scramble=True"]
        if self.seed is not None:
            fmt += [f"seed={self.seed}"]
        return self.__class__.__name__ + "(" + ", ".join(fmt) + ")"
