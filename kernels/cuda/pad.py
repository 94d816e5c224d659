"""CUDA padding in the reflect / replicate / circular modes as a gather through per-dim index maps (the contract
of kernels/cpu/copy.py pad_gather), and its transpose for the backward.

The front end sees the input as (B, D, H, W) (unpadded dims of size 1, any non-negative strides) and builds, for
each of the last three dims, the map from output position to the input position it reads. Forward: one thread
per output element. Backward: one thread per output-gradient element adding into the input position it was read
from with an atomic add (float32 / float64: several outputs read one input near the borders).
"""

from __future__ import annotations

from .launch import configure, cuda, grid_1d

__all__ = ["pad_gather_into", "pad_accumulate_into"]


@cuda.jit(device=True)
def _unravel4(i, n1, n2, n3):
    k = i % n3
    t = i // n3
    j = t % n2
    t //= n2
    return t // n1, t % n1, j, k


@cuda.jit(cache=True)
def _gather(src, dst, m1, m2, m3):
    nb, n1, n2, n3 = dst.shape
    total = nb * n1 * n2 * n3
    i = cuda.grid(1)
    while i < total:
        b, a, j, k = _unravel4(i, n1, n2, n3)
        dst[b, a, j, k] = src[b, m1[a], m2[j], m3[k]]
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _accumulate(g, out, m1, m2, m3):
    nb, n1, n2, n3 = g.shape
    total = nb * n1 * n2 * n3
    i = cuda.grid(1)
    while i < total:
        b, a, j, k = _unravel4(i, n1, n2, n3)
        cuda.atomic.add(out, (b, m1[a], m2[j], m3[k]), g[b, a, j, k])
        i += cuda.gridsize(1)


def pad_gather_into(src, dst, m1, m2, m3) -> None:
    """dst[b, i, j, k] = src[b, m1[i], m2[j], m3[k]] (4-d, any strides; int64 maps)."""
    if dst.size:
        configure(_gather, *grid_1d(dst.size))(src, dst, m1, m2, m3)


def pad_accumulate_into(g, out, m1, m2, m3) -> None:
    """out[b, m1[i], m2[j], m3[k]] += g[b, i, j, k] with atomics (out float32 / float64, zeroed by the caller)."""
    if g.size:
        configure(_accumulate, *grid_1d(g.size))(g, out, m1, m2, m3)
