"""Launch configurations from the device's properties, and the numba-cuda import every CUDA kernel module
goes through first.

Kernels loop grid-stride (`i += cuda.gridsize(1)`), so any grid gives correct results: on a real GPU the grid
fills every SM a few times over; under the CUDA simulator (each GPU thread is a Python thread) it is capped to
very few small blocks so simulated runs stay fast.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

# numba-cuda 0.30 registers an overload for np.row_stack at import, which NumPy 2.5 removed: alias it first.
if not hasattr(np, "row_stack"):
    np.row_stack = np.vstack

import numba  # noqa: E402
from numba import cuda  # noqa: E402

__all__ = ["SIMULATOR", "Device", "device", "grid_1d", "cuda"]


def _simulating() -> bool:
    flags = (getattr(getattr(cuda, "config", None), "ENABLE_CUDASIM", 0), getattr(numba.config, "ENABLE_CUDASIM", 0),
             os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"))
    return any(bool(int(f)) for f in flags)


SIMULATOR: bool = _simulating()

# Blocks per SM that the grid-stride elementwise kernels aim for (16 x 256 threads measured best on an H200).
BLOCKS_PER_SM = 16
_SIM_BLOCKS = 2  # grid cap under the simulator
_SIM_THREADS = 32  # block size under the simulator (one warp)


@dataclass(frozen=True)
class Device:
    """The properties launch configurations are computed from."""

    sm_count: int
    max_threads: int  # per block
    warp_size: int


@functools.cache
def device() -> Device:
    """Properties of the current device (fixed small values under the simulator)."""
    if SIMULATOR:
        return Device(sm_count=1, max_threads=_SIM_THREADS, warp_size=32)
    dev = cuda.get_current_device()
    return Device(sm_count=int(dev.MULTIPROCESSOR_COUNT), max_threads=int(dev.MAX_THREADS_PER_BLOCK),
                  warp_size=int(dev.WARP_SIZE))


def block_size(want: int = 256) -> int:
    """Threads per block: `want` (a power of two) capped by the device's limit."""
    limit = device().max_threads
    b = min(want, limit)
    return 1 << (b.bit_length() - 1)


def grid_1d(n: int, block: int | None = None, per_sm: int = BLOCKS_PER_SM) -> tuple[int, int]:
    """(blocks, threads) for a grid-stride loop over n items: enough blocks to fill the device, never more
    than the items need; at least one block so that a launch is always valid."""
    threads = block_size() if block is None else block
    dev = device()
    needed = -(-max(n, 1) // threads)
    cap = _SIM_BLOCKS if SIMULATOR else dev.sm_count * per_sm
    return max(1, min(needed, cap)), threads


def grid_tasks(ntasks: int, per_sm: int = 8) -> int:
    """Blocks for a grid-stride loop over `ntasks` block-sized tasks (reduction rows, tiles)."""
    cap = _SIM_BLOCKS if SIMULATOR else device().sm_count * per_sm
    return max(1, min(ntasks, cap))
