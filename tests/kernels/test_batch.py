"""kernels/cpu/batch.over_batch: every item in exactly one range, ranges spread over the pool's threads when the
batch is worth it, one call in the caller's thread otherwise; a kernel's error reaches the caller."""

import threading
import time

import numba
import numpy as np
import pytest
from ntorch.kernels.cpu import batch


def _recorder():
    calls = []

    def kernel(out, lo, hi):
        calls.append((lo, hi, threading.get_ident()))
        out[lo:hi] += 1

    return kernel, calls


@pytest.mark.parametrize("count", [1, 2, 3, 7, 64, 1001])
def test_ranges_cover_every_item_once(count, monkeypatch):
    monkeypatch.setattr(batch, "PARALLEL_MIN_WORK", 0)
    kernel, calls = _recorder()
    out = np.zeros(count, np.int64)
    batch.over_batch(kernel, count, 16, out)
    np.testing.assert_array_equal(out, np.ones(count))
    assert len(calls) == min(count, numba.get_num_threads())
    assert sorted(c[:2] for c in calls)[0][0] == 0 and all(lo < hi for lo, hi, _ in calls)


def test_threads_only_for_enough_work():
    kernel, calls = _recorder()
    batch.over_batch(kernel, 4, 9, np.zeros(4))  # 4 * 9^1.5 = 108: the caller's thread alone
    assert calls == [(0, 4, threading.get_ident())]
    calls.clear()
    batch.over_batch(kernel, 64, 64 * 64, np.zeros(64))
    if numba.get_num_threads() > 1:
        assert len({c[2] for c in calls}) == min(64, numba.get_num_threads())
    batch.over_batch(kernel, 0, 0, np.zeros(0))  # an empty batch: one empty range


def test_a_kernel_error_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(batch, "PARALLEL_MIN_WORK", 0)

    def kernel(lo, hi):
        if hi == 8:  # the last range: in the pool when there are threads
            raise ValueError("bad item")

    with pytest.raises(ValueError, match="bad item"):
        batch.over_batch(kernel, 8, 1)


@pytest.mark.parametrize("total,threads", [(0, 2), (1, 2), (5, 1), (37, 2), (100, 4)])
def test_run_dynamic_takes_every_item_once(total, threads):
    seen = []
    lock = threading.Lock()

    def task(item):
        with lock:
            seen.append((item, threading.get_ident()))

    batch.run_dynamic(task, total, threads)
    assert sorted(i for i, _ in seen) == list(range(total))
    assert len({t for _, t in seen}) <= threads


def test_run_dynamic_passes_a_task_error_on():
    def task(item):
        if item == 3:
            raise ValueError("item 3")

    with pytest.raises(ValueError, match="item 3"):
        batch.run_dynamic(task, 8, 2)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_pool():
    import os

    batch.run_dynamic(lambda item: None, 4, 2)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # child: the parent's pool threads are gone; this must not hang
        try:
            seen = []
            batch.run_dynamic(seen.append, 6, 2)
            os._exit(0 if sorted(seen) == list(range(6)) else 1)
        except BaseException:
            os._exit(2)
    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:  # a child waiting on threads that were never forked
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("run_dynamic hung in a forked child")
    assert os.waitstatus_to_exitcode(done[1]) == 0
