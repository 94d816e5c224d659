"""The host (Python) side of ntorch's CUDA path, measured without a GPU.

Why: on a GPU a tiny op's cost is almost all host work (the front end, the kernel wrapper, the allocator, argument
packing), and the 784-256-10 training step is bound by it (bench/RESULTS.md: ~35 us of host time per launch). This
script fakes the device in-process so that work can be timed and profiled on any machine: allocations return fake
pointers from the caching allocator's driver hook, a launch packs its arguments exactly as the fast launch path
does and then stops before the driver, host copies return int64 flags that read as "nothing bad".
What it cannot see: the driver's launch itself (~6 us on an H200 through cuda.core) and GPU time. Kernels are never
compiled, so it runs in seconds.

    python bench/cuda_host_probe.py            # per-op host cost and the MLP step by phase
    python bench/cuda_host_probe.py --profile "a @ b"   # cProfile of one expression (names: a, b, x, y, model)
    python bench/cuda_host_probe.py --launches > now.txt  # every launch of the ops and two MLP steps: diff two
                                                          # versions' lists to check a host change kept them
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import sys
import time
import timeit

os.environ.pop("NUMBA_ENABLE_CUDASIM", None)

import numba  # noqa: E402
import numpy as np  # noqa: E402

COUNTS = {"launches": 0, "host_reads": 0}


def install_fake_device() -> None:
    """Patch ntorch's CUDA back end so that it runs its host path against a fake device."""
    from ntorch.kernels.cuda import arrays as kernel_arrays
    from ntorch.kernels.cuda import indexing as kernel_indexing
    from ntorch.kernels.cuda import launch

    import ntorch.cuda as nc
    from ntorch.cuda import allocator
    from ntorch.cuda import array as device_arrays

    nc._state.update(available=True, count=1)
    pointers = itertools.count(1 << 40, 1 << 21)
    allocator.NumbaDriver.alloc = staticmethod(lambda nbytes, device: (None, next(pointers), None, None))
    allocator.NumbaDriver.flush = staticmethod(lambda: None)
    allocator.NumbaDriver.mem_info = staticmethod(lambda: (1 << 36, 1 << 37))
    launch.device.cache_clear()
    launch.device = functools.cache(lambda: launch.Device(sm_count=132, max_threads=1024, warp_size=32))
    for cached in (launch.block_size, launch.grid_1d, launch.grid_tasks):  # computed from the device's properties
        cached.cache_clear()

    def scalar_packer(value):
        """The fast path's own packer for the type numba-cuda gives this value."""
        packer = launch._packer_for(numba.typeof(value), value)
        if packer is None:
            raise TypeError(f"fake launch: cannot pack {type(value).__name__}")
        return packer

    def fake_launch(self, *args):
        """_Launch.__call__ after the first call of a signature: pack, then stop where the driver would start."""
        key = []
        for a in args:
            key.append(a.key if type(a) is launch.DeviceView else type(a))
        key = tuple(key)
        entry = self.signatures.get(key)
        if entry is None:
            kinds = [launch.VIEW if type(a) is launch.DeviceView else scalar_packer(a) for a in args]
            entry = self.signatures[key] = (None, kinds)
        launch.pack(entry[1], args)
        COUNTS["launches"] += 1

    launch._Launch.__call__ = fake_launch

    def host_copy(self):
        COUNTS["host_reads"] += 1
        fill = kernel_indexing._NONE if self.dtype == np.int64 else 0
        return np.full(self.shape, fill, self.dtype)

    def read_bytes(block, lo, hi):
        COUNTS["host_reads"] += 1
        words = np.full(-(-(hi - lo) // 8), kernel_indexing._NONE, np.int64)  # flags read as "nothing bad"
        return words.view(np.uint8)[:hi - lo].copy()

    launch.DeviceView.copy_to_host = host_copy
    device_arrays._read_bytes = read_bytes
    device_arrays._write_bytes = lambda block, lo, data: None

    @functools.lru_cache(maxsize=512)
    def small_int64(values):
        return launch.DeviceView(next(pointers), (len(values),), (8,), np.dtype(np.int64), None)

    kernel_arrays._i64 = small_int64
    nc.synchronize = lambda *a, **k: None


def record_launches() -> list:
    """Make every fake launch also append (kernel, grid, block, packed parameters with the fake pointers as "PTR")
    to the returned list."""
    from ntorch.kernels.cuda import launch

    records, fake = [], launch._Launch.__call__

    def recording(self, *args):
        if all(type(a) in (launch.DeviceView, int, float, bool) for a in args):
            kinds = [launch.VIEW if type(a) is launch.DeviceView else launch.AS_IS for a in args]
            params = ["PTR" if type(v) is int and v >= 1 << 40 else repr(v) for v in launch.pack(kinds, args)]
        else:
            params = [type(a).__name__ for a in args]
        name = getattr(getattr(self.dispatcher, "py_func", None), "__name__", repr(self.dispatcher))
        records.append((name, self.grid, self.block, tuple(params)))
        return fake(self, *args)

    launch._Launch.__call__ = recording
    return records


def _repeat(fn, times: int) -> None:
    for _ in range(times):
        fn()


def per_call_us(fn, number: int = 2000, repeat: int = 5) -> float:
    """CPU time of this process per call (not wall time: on a shared machine other processes' load moves wall
    time by 2x between runs, this process's CPU time by a few percent)."""
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat, timer=time.process_time)) / number * 1e6


def python_calls(fn) -> int:
    """Python-level function calls one call of fn makes: a load-independent measure of host work (this machine's
    timings move with its load; the call count does not)."""
    calls = [0]

    def tracer(frame, event, arg):
        if event == "call":
            calls[0] += 1

    sys.setprofile(tracer)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls[0] - 1  # fn itself


def counted(fn) -> tuple[int, int]:
    before = dict(COUNTS)
    fn()
    return COUNTS["launches"] - before["launches"], COUNTS["host_reads"] - before["host_reads"]


def namespace() -> dict:
    import ntorch
    import ntorch.nn as nn
    import ntorch.nn.functional as F

    ntorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to("cuda")
    opt = ntorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ns = dict(ntorch=ntorch, F=F, model=model, opt=opt,
              a=ntorch.randn(3, 3, device="cuda"), b=ntorch.randn(3, 3, device="cuda"),
              x=ntorch.randn(512, 784, device="cuda"), y=ntorch.randint(0, 10, (512,), device="cuda"))

    def forward():
        return model(ns["x"])

    def loss():
        return F.cross_entropy(model(ns["x"]), ns["y"])

    def backward():
        opt.zero_grad()
        loss().backward()

    def step():
        backward()
        opt.step()

    ns.update(forward=forward, loss=loss, backward=backward, step=step)
    return ns


OPS = ["a + b", "a * 2.0", "a.sum()", "a.sum(1)", "a @ b", "ntorch.relu(a)", "a.t().contiguous()",
       "ntorch.softmax(a, 1)", "a[1]", "ntorch.empty(3, 3, device='cuda')"]
PHASES = ["forward", "loss", "backward", "step"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", metavar="EXPR", help="cProfile this expression instead")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--launches", action="store_true", help="print every launch of OPS and two MLP steps")
    args = parser.parse_args()
    install_fake_device()
    ns = namespace()
    if args.launches:
        records = record_launches()
        for expr in OPS:
            eval(expr, ns)
        for _ in range(2):
            ns["step"]()
        print("\n".join(map(str, records)))
        return
    if args.profile:
        import cProfile
        import pstats

        fn = eval(f"lambda: {args.profile}", ns)
        for _ in range(5):
            fn()
        prof = cProfile.Profile()
        prof.runcall(_repeat, fn, 1000)  # results dropped as made: the allocator's cache is reused
        pstats.Stats(prof).sort_stats(args.sort).print_stats(40)
        return
    head = f"{'host us':>8s} {'py calls':>9s} {'launches':>9s} {'host reads':>11s}"
    print(f"{'op (3x3 float32)':38s} {head}")
    for expr in OPS:
        fn = eval(f"lambda: {expr}", ns)
        launches, reads = counted(fn)
        print(f"{expr:38s} {per_call_us(fn):8.1f} {python_calls(fn):9d} {launches:9d} {reads:11d}")
    print(f"\n{'MLP 784-256-10, batch 512 (cumulative)':38s} {head}")
    for name in PHASES:
        fn = ns[name]
        for _ in range(3):
            fn()
        launches, reads = counted(fn)
        print(f"{name:38s} {per_call_us(fn, number=200):8.1f} {python_calls(fn):9d} {launches:9d} {reads:11d}")


if __name__ == "__main__":
    sys.exit(main())
