"""Facts about numba-cuda on a real GPU, to plan the CUDA back end (issue 5): versions, compile and
disk-cache times, launch overhead, and first-cut kernel throughput against PyTorch on the same GPU.

Run on a GPU machine: python bench/cuda_probe.py [--child]. Not part of the test suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

# numba-cuda 0.30 registers an overload for np.row_stack, which NumPy 2.5 removed
if not hasattr(np, "row_stack"):
    np.row_stack = np.vstack


def _timeit(fn, sync, n=20):
    fn()
    sync()
    best = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        sync()
        best.append((time.perf_counter() - t0) / n)
    return min(best)


def kernels():
    from numba import cuda, float32

    @cuda.jit(cache=True)
    def add_kernel(a, b, out):
        i = cuda.grid(1)
        stride = cuda.gridsize(1)
        while i < out.size:
            out[i] = a[i] + b[i]
            i += stride

    @cuda.jit(cache=True)
    def sum_kernel(x, out):
        # grid-stride partial sums, a shared-memory tree per block, one atomic per block
        shared = cuda.shared.array(256, float32)
        tid = cuda.threadIdx.x
        i = cuda.grid(1)
        stride = cuda.gridsize(1)
        acc = float32(0)
        while i < x.size:
            acc += x[i]
            i += stride
        shared[tid] = acc
        cuda.syncthreads()
        s = 128
        while s > 0:
            if tid < s:
                shared[tid] += shared[tid + s]
            cuda.syncthreads()
            s //= 2
        if tid == 0:
            cuda.atomic.add(out, 0, shared[0])

    return add_kernel, sum_kernel


def child() -> None:
    """Time to first launch in a fresh process (the disk cache is warm after the parent's run)."""
    t0 = time.perf_counter()
    from numba import cuda

    add_kernel, _ = kernels()
    a = cuda.to_device(np.ones(1024, np.float32))
    out = cuda.device_array_like(a)
    add_kernel[4, 256](a, a, out)
    cuda.synchronize()
    print(f"child: import + first launch with warm disk cache: {time.perf_counter() - t0:.3f} s")


def main() -> None:
    if "--child" in sys.argv:
        child()
        return
    t0 = time.perf_counter()
    import numba
    from numba import cuda

    print(f"import numba.cuda: {time.perf_counter() - t0:.3f} s")
    import importlib.metadata as md

    for pkg in ("numba", "numba-cuda", "numpy", "torch", "cupy-cuda13x"):
        try:
            print(pkg, md.version(pkg))
        except md.PackageNotFoundError:
            print(pkg, "absent")
    dev = cuda.get_current_device()
    print("device:", dev.name, "cc", dev.compute_capability, "SMs", dev.MULTIPROCESSOR_COUNT)
    import torch

    add_kernel, sum_kernel = kernels()
    n = 10**8
    a = cuda.to_device(np.random.default_rng(0).standard_normal(n).astype(np.float32))
    b = cuda.to_device(np.random.default_rng(1).standard_normal(n).astype(np.float32))
    out = cuda.device_array_like(a)
    sms = dev.MULTIPROCESSOR_COUNT
    t0 = time.perf_counter()
    add_kernel[sms * 8, 256](a, b, out)
    cuda.synchronize()
    print(f"add kernel first launch (compile or cache load): {time.perf_counter() - t0:.3f} s")
    ta, tb = torch.as_tensor(a, device="cuda"), torch.as_tensor(b, device="cuda")
    assert torch.equal(torch.as_tensor(out, device="cuda"), ta + tb)
    for blocks in (sms * 4, sms * 16, (n + 255) // 256):
        t = _timeit(lambda blocks=blocks: add_kernel[blocks, 256](a, b, out), cuda.synchronize)
        print(f"add 1e8 numba blocks={blocks}: {t * 1e3:.3f} ms, {12 * n / t / 1e9:.0f} GB/s")
    tout = torch.empty_like(ta)
    t = _timeit(lambda: torch.add(ta, tb, out=tout), torch.cuda.synchronize)
    print(f"add 1e8 torch (out=): {t * 1e3:.3f} ms, {12 * n / t / 1e9:.0f} GB/s")
    t = _timeit(lambda: ta + tb, torch.cuda.synchronize)
    print(f"add 1e8 torch (fresh output): {t * 1e3:.3f} ms")
    t = _timeit(lambda: cuda.device_array(n, np.float32), cuda.synchronize)
    print(f"cuda.device_array(1e8 float32): {t * 1e6:.1f} us per allocation (no pool)")

    s = cuda.device_array(1, np.float32)

    def run_sum():
        s.copy_to_device(np.zeros(1, np.float32))
        sum_kernel[sms * 8, 256](a, s)

    run_sum()
    cuda.synchronize()
    ref = float(ta.double().sum())
    print(f"sum check: numba {float(s.copy_to_host()[0]):.3f} torch(double) {ref:.3f}")
    t = _timeit(lambda: sum_kernel[sms * 8, 256](a, s), cuda.synchronize)
    print(f"sum 1e8 numba (one atomic per block): {t * 1e3:.3f} ms, {4 * n / t / 1e9:.0f} GB/s")
    t = _timeit(lambda: ta.sum(), torch.cuda.synchronize)
    print(f"sum 1e8 torch: {t * 1e3:.3f} ms, {4 * n / t / 1e9:.0f} GB/s")

    small = cuda.to_device(np.ones(9, np.float32))
    small_out = cuda.device_array_like(small)
    t = _timeit(lambda: add_kernel[1, 32](small, small, small_out), cuda.synchronize, n=2000)
    print(f"tiny launch, device arrays: {t * 1e6:.1f} us per launch (incl. sync at end)")
    ts = torch.ones(3, 3, device="cuda")
    t = _timeit(lambda: ts + ts, torch.cuda.synchronize, n=2000)
    print(f"tiny torch add: {t * 1e6:.1f} us per op")
    tso = torch.empty_like(ts)
    t = _timeit(lambda: add_kernel[1, 32](ts.view(-1), ts.view(-1), tso.view(-1)), cuda.synchronize, n=2000)
    print(f"tiny launch on torch tensors (__cuda_array_interface__ each call): {t * 1e6:.1f} us per launch")
    t = _timeit(lambda: cuda.as_cuda_array(ts), cuda.synchronize, n=2000)
    print(f"cuda.as_cuda_array(torch tensor): {t * 1e6:.1f} us")
    disp = add_kernel.specialize(small, small, small_out) if hasattr(add_kernel, "specialize") else None
    if disp is not None:
        t = _timeit(lambda: disp[1, 32](small, small, small_out), cuda.synchronize, n=2000)
        print(f"tiny launch, specialized dispatcher: {t * 1e6:.1f} us per launch")
    print("numba config CUDA_DEFAULT_PTX_CC:", getattr(numba.config, "CUDA_DEFAULT_PTX_CC", None))
    env = dict(os.environ)
    print(subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, env=env).stdout.strip())


if __name__ == "__main__":
    main()
