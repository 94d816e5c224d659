"""A faster schedule for numba-cuda's CUDA simulator, with the same semantics.

The simulator runs every GPU thread of a block as a Python thread and busy-polls them all from the launching
thread to release `syncthreads` barriers: most of a simulated launch was that polling (is_alive calls contesting
the GIL with the threads doing the work). Here:
- a kernel that never meets another thread of its block (no barrier, no warp intrinsic, in its own code or in
  any function it calls by a global name) runs its threads one after another in the launching thread: one valid
  schedule of the simulator's threads, without thread start-ups;
- the others keep one Python thread per GPU thread, but barriers are a condition variable (the last thread to
  arrive, or to exit, releases the others) and the launching thread sleeps until the block is done.
Test infrastructure only (installed by tests/cuda/conftest.py under the simulator; NTORCH_SIM_THREADS=1 keeps
numba-cuda's own schedule); ntorch itself never patches numba-cuda.
"""

from __future__ import annotations

import threading
import types

import numpy as np

# Names whose use means a thread waits for, or reads from, other threads of its block or warp.
_COOPERATIVE = frozenset({
    "syncthreads", "syncthreads_count", "syncthreads_and", "syncthreads_or", "syncwarp", "shfl_sync",
    "shfl_up_sync", "shfl_down_sync", "shfl_xor_sync", "all_sync", "any_sync", "eq_sync", "ballot_sync",
    "match_any_sync", "match_all_sync", "activemask", "lanemask_lt", "this_grid", "sync",
})


class _SequentialThread:
    """What the simulator's kernel API reads from `threading.current_thread()` for one simulated thread."""

    def __init__(self, kernelmod, manager, grid_point, block_point):
        self.blockIdx = kernelmod.Dim3(*grid_point)
        self.threadIdx = kernelmod.Dim3(*block_point)
        bx, by, _ = manager._block_dim
        self.thread_id = self.threadIdx.x + bx * (self.threadIdx.y + by * self.threadIdx.z)
        self.exception = None
        self.abort = False

    def syncthreads(self):  # unreachable: kernels that synchronise take the threaded run
        raise RuntimeError("sim_sequential: a sequentially run kernel reached a barrier")


class _ThreadingView(types.SimpleNamespace):
    """The `threading` the simulator's kernel API sees: current_thread() is the simulated thread being run."""

    current = None

    def __getattr__(self, name):
        return getattr(threading, name)

    def current_thread(self):
        return self.current if self.current is not None else threading.current_thread()


def _cooperative(fn, seen: set) -> bool:
    """Whether fn (a kernel's Python function) or anything it calls by a global name may synchronise."""
    code = getattr(fn, "__code__", None)
    if code is None or id(fn) in seen:
        return False
    seen.add(id(fn))
    scope = getattr(fn, "__globals__", {})
    codes = [code]
    while codes:
        c = codes.pop()
        if _COOPERATIVE.intersection(c.co_names):
            return True
        codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        modules = [v for v in map(scope.get, c.co_names) if isinstance(v, types.ModuleType)]
        for name in c.co_names:  # globals, and attributes of the modules it names (mod.fn(...))
            for callee in [scope.get(name)] + [getattr(m, name, None) for m in modules]:
                callee = getattr(callee, "fn", callee)  # a simulated device function wraps its Python function
                if isinstance(callee, types.FunctionType) and _cooperative(callee, seen):
                    return True
    return False


class _Barrier:
    """One block's syncthreads barrier: released when every thread still running has arrived."""

    def __init__(self, n: int):
        self.cond = threading.Condition()
        self.live = n
        self.waiting = 0
        self.generation = 0
        self.failed = None  # the first thread that raised

    def release_if_complete(self) -> None:  # (holding cond)
        if self.live and self.waiting == self.live:
            self.waiting = 0
            self.generation += 1
            self.cond.notify_all()


def _syncthreads(self) -> None:
    barrier = self._barrier
    with barrier.cond:
        if barrier.failed is not None:
            raise RuntimeError("abort flag set on syncthreads call")
        generation = barrier.generation
        barrier.waiting += 1
        barrier.release_if_complete()
        while generation == barrier.generation and barrier.failed is None:
            barrier.cond.wait()
        if barrier.failed is not None:
            raise RuntimeError("abort flag set on syncthreads clear")


def _threaded_run(kernelmod, thread_run):
    def run(self, grid_point, *args):
        barrier = _Barrier(int(np.prod(self._block_dim)))

        def target():
            self._f(*args)

        threads = []
        for block_point in np.ndindex(*self._block_dim):
            t = kernelmod.BlockThread(target, self, grid_point, block_point, self._debug)
            t._barrier = barrier
            threads.append(t)
        for t in threads:
            t.start()
        with barrier.cond:
            while barrier.live:
                barrier.cond.wait()
        if barrier.failed is not None:
            exc, tb = barrier.failed.exception
            raise exc.with_traceback(tb)

    def block_thread_run(self) -> None:
        barrier = self._barrier
        try:
            thread_run(self)  # the simulator's: records an exception (with the thread's ids) in self.exception
        finally:
            with barrier.cond:
                barrier.live -= 1
                if self.exception is not None and barrier.failed is None:
                    barrier.failed = self
                barrier.release_if_complete()
                barrier.cond.notify_all()

    return run, block_thread_run


def install() -> None:
    """Patch the simulator's BlockManager.run (kernel API's threading view too); idempotent."""
    from numba.cuda.simulator import kernel as kernelmod
    from numba.cuda.simulator import kernelapi

    if getattr(kernelmod.BlockManager, "_sequential_installed", False):
        return
    view = _ThreadingView()
    kernelapi.threading = view
    threaded_run, block_thread_run = _threaded_run(kernelmod, kernelmod.BlockThread.run)
    kernelmod.BlockThread.run = block_thread_run
    kernelmod.BlockThread.syncthreads = _syncthreads
    verdicts: dict = {}

    def run(self, grid_point, *args):
        fn = self._f
        if fn not in verdicts:
            verdicts[fn] = _cooperative(fn, set())
        if verdicts[fn]:
            return threaded_run(self, grid_point, *args)
        try:
            for block_point in np.ndindex(*self._block_dim):
                view.current = _SequentialThread(kernelmod, self, grid_point, block_point)
                fn(*args)
        finally:
            view.current = None

    kernelmod.BlockManager.run = run
    kernelmod.BlockManager._sequential_installed = True
