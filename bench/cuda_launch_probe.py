"""How cheaply can Python launch a numba-cuda kernel? Measures the dispatcher, the compiled kernel's own
launch(), and a driver launch with argument buffers packed once, against PyTorch's per-op cost on the same
GPU. Planning data for the CUDA back end (issue 5); run on a GPU machine: python bench/cuda_launch_probe.py
"""

from __future__ import annotations

import time

import numpy as np

if not hasattr(np, "row_stack"):  # numba-cuda 0.30 registers an overload for it; NumPy 2.5 removed it
    np.row_stack = np.vstack


def per_call(fn, sync, n=5000):
    fn()
    sync()
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        sync()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def main() -> None:
    import warnings

    from numba import cuda
    from numba.core.errors import NumbaPerformanceWarning

    warnings.simplefilter("ignore", NumbaPerformanceWarning)

    @cuda.jit
    def add(a, b, out):
        i = cuda.grid(1)
        if i < out.size:
            out[i] = a[i] + b[i]

    a = cuda.to_device(np.ones(9, np.float32))
    b = cuda.to_device(np.ones(9, np.float32))
    out = cuda.device_array(9, np.float32)
    sync = cuda.synchronize
    print(f"dispatcher add[1, 32](a, b, out): {per_call(lambda: add[1, 32](a, b, out), sync):.1f} us")
    configured = add[1, 32]
    print(f"pre-configured launcher:          {per_call(lambda: configured(a, b, out), sync):.1f} us")
    kernel = next(iter(add.overloads.values()))
    stream = cuda.default_stream()
    try:
        print(f"compiled kernel.launch():         "
              f"{per_call(lambda: kernel.launch([a, b, out], (1, 1, 1), (32, 1, 1), stream), sync):.1f} us")
    except Exception as e:  # noqa: BLE001  (probe: report and go on)
        print("kernel.launch failed:", type(e).__name__, e)
    try:  # numba-cuda 0.30 launches through cuda.core: launch(stream, config, kernel, *args)
        from numba.cuda import dispatcher as D

        args, retr = [], []
        for t, v in zip(kernel.argument_types, (a, b, out)):
            kernel._prepare_args(t, v, stream, retr, args)
        try:
            config = D.LaunchConfig(grid=(1, 1, 1), block=(32, 1, 1), shmem_size=0, is_cooperative=False)
        except TypeError:
            config = D.LaunchConfig(grid=(1, 1, 1), block=(32, 1, 1), shmem_size=0)
        cukernel = kernel._codelibrary.get_cufunc().kernel

        def raw():
            D.launch(stream, config, cukernel, *args)

        print(f"cuda.core launch, args packed once: {per_call(raw, sync):.1f} us")
        t0 = time.perf_counter()
        for _ in range(2000):
            a2, r2 = [], []
            for t, v in zip(kernel.argument_types, (a, b, out)):
                kernel._prepare_args(t, v, stream, r2, a2)
        print(f"  _prepare_args for 3 arrays alone: {(time.perf_counter() - t0) / 2000 * 1e6:.1f} us")
        print("  params per 1-d array argument:", len(args) // 3)
        t0 = time.perf_counter()
        for _ in range(2000):
            D.LaunchConfig(grid=(1, 1, 1), block=(32, 1, 1), shmem_size=0)
        print(f"  LaunchConfig construction: {(time.perf_counter() - t0) / 2000 * 1e6:.1f} us")
    except Exception as e:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        print("raw launch failed:", type(e).__name__, e)
    try:
        import cupy

        ck = cupy.RawKernel(r'''extern "C" __global__ void add(const float* a, const float* b, float* o, int n)
        { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) o[i] = a[i] + b[i]; }''', "add")
        x = cupy.ones(9, cupy.float32)
        y = cupy.empty_like(x)
        print(f"cupy RawKernel launch:            "
              f"{per_call(lambda: ck((1,), (32,), (x, x, y, np.int32(9))), cupy.cuda.Device().synchronize):.1f} us")
    except Exception as e:  # noqa: BLE001
        print("cupy failed:", type(e).__name__, e)
    import torch

    t = torch.ones(3, 3, device="cuda")
    to = torch.empty_like(t)
    print(f"torch.add(t, t, out=):            "
          f"{per_call(lambda: torch.add(t, t, out=to), torch.cuda.synchronize):.1f} us")
    print(f"torch t + t:                      {per_call(lambda: t + t, torch.cuda.synchronize):.1f} us")


if __name__ == "__main__":
    main()
