"""Batches of independent items (matrices, rows of an FFT) split across threads from Python.

Why not a `prange` loop: Numba's parallel lowering of a loop around a large per-matrix function compiles about four
times slower than a serial loop (the eigh batch: 43 s against 10 s), once per signature, and the batches split here
are large, so a thread pool's handoff (tens of microseconds) costs nothing that matters. The kernels are
`nogil`, so the pool's threads run them in parallel.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import os
from collections.abc import Callable

import numba

# batches of less work than this (items x order^3) run in the calling thread: the handoff would cost more
PARALLEL_MIN_WORK = 1 << 15

_pool: concurrent.futures.ThreadPoolExecutor | None = None


def over_batch(kernel: Callable, count: int, item_elements: int, *args) -> None:
    """run_split for a batch of matrices, in parallel when the batch's work (items x order^3, the order estimated
    from item_elements, the elements of one item's matrix) is worth it."""
    run_split(kernel, count, count * item_elements ** 1.5 >= PARALLEL_MIN_WORK, *args)


def run_split(kernel: Callable, count: int, parallel: bool, *args) -> None:
    """kernel(*args, lo, hi) over [0, count): in one call, or (parallel) in contiguous ranges, one per thread
    (numba.get_num_threads()), the first in the calling thread."""
    threads = min(numba.get_num_threads(), count) if parallel else 1
    if threads < 2:
        kernel(*args, 0, count)
        return
    bounds = [count * i // threads for i in range(threads + 1)]
    futures = [_get_pool().submit(kernel, *args, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    kernel(*args, bounds[0], bounds[1])
    for f in futures:
        f.result()


def run_dynamic(task: Callable[[int], None], total: int, threads: int) -> None:
    """task(item) for every item in [0, total) on `threads` threads (the calling thread one of them), each taking
    the next item from a shared counter: a thread slowed down by other processes on its core takes fewer items
    instead of holding up the others. task must release the GIL for its work (a nogil kernel call)."""
    counter = itertools.count()  # next() is atomic under the GIL

    def worker():
        while (item := next(counter)) < total:
            task(item)

    futures = [_get_pool().submit(worker) for _ in range(threads - 1)]
    worker()
    for f in futures:
        f.result()


def _get_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The shared pool. Its tasks never wait on other tasks of the pool, so callers in several threads cannot
    deadlock it."""
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(numba.config.NUMBA_NUM_THREADS,
                                                      thread_name_prefix="ntorch-batch")
    return _pool


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: start a new pool there instead of waiting on them."""
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)
