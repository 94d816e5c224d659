"""Device-side input checks whose result is read at the next synchronisation instead of at once.

Some errors can only be seen by a kernel: a class target out of range in cross_entropy, say. The kernel skips the
bad element (nothing is read or written through it) and records its position in a flag with an atomic min. Reading
that flag back right away costs a device-to-host copy, which waits for all queued work: the host then stops feeding
the GPU once per loss, per training step. PyTorch does not wait either: its kernels assert on the device and the
error surfaces at a later synchronisation.

So on a GPU a flag comes from a pool (one device buffer of SLOTS int64 flags per device, reset with one fill launch
per SLOTS checks) and is registered with a function that builds the error. Every synchronising call reads the
flags registered since the last read (one small copy, only when there are any) and raises the first recorded
error: `ntorch.cuda.synchronize()`, and every device-to-host copy (`.item()`, `.cpu()`, `.tolist()`, printing).
The error names the op that found it; the op's result, already returned, holds unspecified values where the bad
input was.

`set_mode("eager")` (or NTORCH_CUDA_CHECKS=eager) reads each flag at once and raises from the op itself, like
CUDA_LAUNCH_BLOCKING=1 does for PyTorch; it is the default under the CUDA simulator, where waiting costs nothing
and tests can expect the error where the op is called.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from . import is_simulator

SLOTS = 256
_NONE = np.iinfo(np.int64).max  # a flag holding no bad position (kernels/cuda/indexing.py's convention)
_mode: list[str] = []  # [] until first asked: the environment's choice, or the default for the device kind
_pools: dict[int, _Pool] = {}


def mode() -> str:
    """'deferred' (errors at the next synchronisation) or 'eager' (each op waits for its own check)."""
    if not _mode:
        chosen = os.environ.get("NTORCH_CUDA_CHECKS", "").strip().lower()
        if chosen not in ("eager", "deferred"):
            chosen = "eager" if is_simulator() else "deferred"
        _mode.append(chosen)
    return _mode[0]


def set_mode(new_mode: str) -> str:
    """Choose 'eager' or 'deferred' checks; returns the previous mode. Pending checks are read first."""
    if new_mode not in ("eager", "deferred"):
        raise ValueError(f"ntorch.cuda.checks.set_mode: expected 'eager' or 'deferred', got {new_mode!r}")
    old = mode()
    check_pending()
    _mode[0] = new_mode
    return old


class _Pool:
    """SLOTS flags on one device: [0, checked) already read, [checked, used) handed out and not yet read."""

    def __init__(self, device: int):
        from . import array as device_arrays

        self.flags = device_arrays.empty((SLOTS,), np.int64, device)
        self.used = SLOTS  # forces a reset (fill) before the first hand-out
        self.checked = SLOTS
        self.pending: list[tuple[int, Callable[[int], Exception]]] = []

    def take(self, error: Callable[[int], Exception]):
        if self.used == SLOTS:
            self.read()  # every slot handed out must be read before the buffer is refilled
            from .. import _arrays

            _arrays.copy_into(self.flags, _NONE)
            self.used = self.checked = 0
        slot = self.used
        self.used += 1
        self.pending.append((slot, error))
        return self.flags[slot:slot + 1]

    def read(self) -> None:
        """Read the flags handed out since the last read; raise the first error one of them recorded."""
        if not self.pending:
            return
        pending, lo = self.pending, self.checked
        self.pending, self.checked = [], self.used  # before the copy: raising (or the copy itself) re-enters
        values = self.flags[lo:self.used].copy_to_host()
        for slot, error in pending:
            position = int(values[slot - lo])
            if position != _NONE:
                raise error(position)


def flag(device: int, error: Callable[[int], Exception]):
    """A (1,) int64 device flag for one launch's first bad position (a CudaArray), whose error is raised by the next
    synchronisation: `error(position)` builds it then (it may read the device). Deferred mode only."""
    pool = _pools.get(device)
    if pool is None:
        pool = _pools[device] = _Pool(device)
    return pool.take(error)


def check_pending() -> None:
    """Raise the first error recorded by the device checks not read yet (a synchronisation when there are any)."""
    for pool in list(_pools.values()):
        pool.read()
