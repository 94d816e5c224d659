"""Throughput of the CUDA kernel layer (kernels/cuda) against PyTorch (and CuPy when installed) on the same GPU:
add of 1e8 float32, sum of 1e8 float32, matmul 4096 float32 (PyTorch with TF32 off) and float16.

Run on a GPU machine: python bench/cuda_kernels_bench.py. Not part of the test suite; prints a table of
times and ratios (reference time / ours: above 1 means faster than the reference).
"""

from __future__ import annotations

import time

import numpy as np
from ntorch.kernels.cuda import launch  # first: NumPy 2.5 shim before numba.cuda
from ntorch.kernels.cuda.elementwise import cuda_kernel_for
from ntorch.kernels.cuda.matmul import matmul_into
from ntorch.kernels.cuda.reduce import sum_into

cuda = launch.cuda


def best_time(fn, sync, repeat: int = 5, number: int = 10) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def main() -> None:
    try:
        import torch
    except ImportError:
        torch = None
    try:
        import cupy
    except ImportError:
        cupy = None
    rows = []
    sync = cuda.synchronize
    n = 100_000_000
    x = cuda.to_device(np.random.default_rng(0).random(n, dtype=np.float32))
    y = cuda.to_device(np.random.default_rng(1).random(n, dtype=np.float32))
    out = cuda.device_array(n, np.float32)
    add = cuda_kernel_for("add", "x + y", "float32", 2)
    ours = best_time(lambda: add(out, x, y), sync)
    refs = {}
    if torch is not None and torch.cuda.is_available():
        tx, ty = torch.as_tensor(x, device="cuda"), torch.as_tensor(y, device="cuda")
        to = torch.empty_like(tx)
        refs["torch"] = best_time(lambda: torch.add(tx, ty, out=to), torch.cuda.synchronize)
    if cupy is not None:
        cx, cy = cupy.asarray(x), cupy.asarray(y)
        co = cupy.empty_like(cx)
        refs["cupy"] = best_time(lambda: cupy.add(cx, cy, out=co), sync)
    rows.append(("add 1e8 float32", ours, refs))

    s_out = cuda.device_array((1, 1), np.float32)
    x3 = x.reshape(1, n, 1)
    ours = best_time(lambda: sum_into(x3, s_out), sync)
    refs = {}
    if torch is not None and torch.cuda.is_available():
        refs["torch"] = best_time(lambda: tx.sum(), torch.cuda.synchronize)
    if cupy is not None:
        refs["cupy"] = best_time(lambda: cx.sum(), sync)
    rows.append(("sum 1e8 float32", ours, refs))

    m = 4096
    for dt, tdt in ((np.float32, "float32"), (np.float16, "float16")):
        rng = np.random.default_rng(2)
        a = cuda.to_device(rng.standard_normal((m, m)).astype(dt))
        b = cuda.to_device(rng.standard_normal((m, m)).astype(dt))
        c = cuda.device_array((m, m), dt)
        ours = best_time(lambda a=a, b=b, c=c: matmul_into(a, b, c), sync, repeat=3, number=3)
        refs = {}
        if torch is not None and torch.cuda.is_available():
            torch.backends.cuda.matmul.allow_tf32 = False
            ta, tb = torch.as_tensor(a, device="cuda"), torch.as_tensor(b, device="cuda")
            refs["torch"] = best_time(lambda ta=ta, tb=tb: ta @ tb, torch.cuda.synchronize, repeat=3, number=3)
        rows.append((f"matmul {m} {tdt}", ours, refs))

    print(f"device: {cuda.get_current_device().name}")
    print("| case | ours | reference | ratio (reference / ours) |")
    print("| --- | --- | --- | --- |")
    for label, ours, refs in rows:
        if not refs:
            print(f"| {label} | {ours * 1e3:.3f} ms | - | - |")
        for name, t in refs.items():
            print(f"| {label} | {ours * 1e3:.3f} ms | {name} {t * 1e3:.3f} ms | {t / ours:.2f}x |")


if __name__ == "__main__":
    main()
