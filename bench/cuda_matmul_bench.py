"""CUDA matmul kernels (kernels/cuda/matmul.py) against PyTorch on one GPU: the tiled kernel, the generic kernel it
replaces and torch.matmul with TF32 off, float32 and float16, square sizes, the four layouts of A and B ("nn",
"nt", "tn", "tt": first letter A, second B; "t" = stored transposed, as `a @ b.t()` and `a.t() @ b` pass them).

Run on a GPU machine with ntorch importable (PYTHONPATH), numba-cuda and torch:
    python3 bench/cuda_matmul_bench.py [--sizes 1024 2048 4096] [--dtypes float32 float16] [--layouts nn tt]
        [--no-generic] [--min-blocks 2]
Not part of the test suite. The kernels compile first in parallel worker processes (into Numba's disk cache);
each product is checked against torch once, then timed (best of a few batches, synchronised wall clock).
Prints TFLOP/s and the ratios tiled/torch and tiled/generic (above 1: the tiled kernel is faster).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import time

import numpy as np


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    p.add_argument("--dtypes", nargs="+", default=["float32", "float16"])
    p.add_argument("--layouts", nargs="+", default=["nn", "nt", "tn", "tt"])
    p.add_argument("--no-generic", action="store_true", help="skip the old generic kernel")
    p.add_argument("--min-blocks", type=int, default=None, help="the tiled kernel's launch bounds (MIN_BLOCKS)")
    p.add_argument("--target-s", type=float, default=0.05, help="time per timed batch of calls")
    return p.parse_args(argv)


def _matmul_module(min_blocks):
    from ntorch.kernels.cuda import launch  # noqa: F401, I001  (first: the NumPy shim before numba.cuda)
    from ntorch.kernels.cuda import matmul  # noqa: I001

    if min_blocks is not None:
        matmul.MIN_BLOCKS = min_blocks
    return matmul


def _warm(job: tuple) -> float:
    """Worker process: compile one kernel variant into the disk cache (a tiny product is enough)."""
    dtype, kernel, small, min_blocks = job
    t0 = time.perf_counter()
    mm = _matmul_module(min_blocks)
    from ntorch.kernels.cuda import arrays
    from ntorch.kernels.cuda.launch import cuda

    mm.SMS_SMALL = 10**9 if small else 0
    a = arrays.device_view(cuda.to_device(np.ones((3, 2), dtype)))
    b = arrays.device_view(cuda.to_device(np.ones((2, 5), dtype)))
    out = arrays.device_view(cuda.device_array((3, 5), dtype))
    mm.matmul_into(a, b, out, kernel)
    cuda.synchronize()
    return time.perf_counter() - t0


def _operands(torch, n: int, dtype: str, layout: str, seed: int):
    """(torch A, torch B) with A's and B's storage as the layout says, values scaled to keep sums O(1)."""
    g = torch.Generator(device="cuda").manual_seed(seed)
    dt = getattr(torch, dtype)
    scale = n ** -0.25
    a = (torch.randn(n, n, device="cuda", generator=g) * scale).to(dt)
    b = (torch.randn(n, n, device="cuda", generator=g) * scale).to(dt)
    # "t": a transposed view of a contiguous buffer
    return (a if layout[0] == "n" else a.t().contiguous().t()), (b if layout[1] == "n" else b.t().contiguous().t())


def _view(cuda, arrays, t):
    """A DeviceView over a torch tensor's memory, with its strides."""
    d = cuda.as_cuda_array(t.t() if not t.is_contiguous() else t)
    d = arrays.device_view(d)
    if not t.is_contiguous():
        return arrays.view(d, tuple(t.shape), tuple(t.stride()))
    return d


def _best(fn, sync, target_s: float, rounds: int = 3) -> float:
    """Seconds per call: best over `rounds` batches, each sized to last about target_s (at least one call)."""
    fn()
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    one = max(time.perf_counter() - t0, 1e-6)
    number = max(1, int(target_s / one))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def _case(torch, cuda, arrays, mm, kernels, n, dtype, layout, sync, target_s) -> dict:
    """FLOP/s of each kernel and of torch for one product, after checking each kernel's result."""
    ta, tb = _operands(torch, n, dtype, layout, seed=n)
    tout = torch.empty(n, n, device="cuda", dtype=ta.dtype)
    da, db = _view(cuda, arrays, ta), _view(cuda, arrays, tb)
    dout = arrays.device_view(cuda.as_cuda_array(tout))
    plan = mm._plan(*(arrays.view(x, (1, n, n), (0, *arrays.elem_strides(x))) for x in (da, db, dout)))
    assert plan == f"tiled_{layout}", plan
    want = torch.matmul(ta.float(), tb.float())
    flops = 2.0 * n ** 3
    rates = {}
    for k in kernels:
        tout.zero_()
        mm.matmul_into(da, db, dout, k)
        sync()
        err = ((tout.float() - want).abs().max() / want.abs().max()).item()
        assert err < (1e-2 if dtype == "float16" else 1e-4), f"{k} {dtype} {n} {layout}: relative error {err}"
        rates[k] = flops / _best(lambda k=k: mm.matmul_into(da, db, dout, k), sync, target_s)
    tt = torch.empty_like(tout)
    rates["torch"] = flops / _best(lambda: torch.matmul(ta, tb, out=tt), sync, target_s)
    return rates


def main(argv=None) -> None:
    args = _args(argv)
    start = time.perf_counter()
    kernels = ["tiled"] + ([] if args.no_generic else ["generic"])
    jobs = [(dt, "tiled", small, args.min_blocks) for dt in args.dtypes for small in (False, True)]
    jobs += [(dt, "generic", False, args.min_blocks) for dt in args.dtypes if "generic" in kernels]
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(len(jobs), mp_context=ctx) as pool:
        compile_s = max(pool.map(_warm, jobs))
    print(f"compiled {len(jobs)} kernel variants in parallel: {time.perf_counter() - start:.1f} s "
          f"(slowest {compile_s:.1f} s)")

    import torch

    mm = _matmul_module(args.min_blocks)
    from ntorch.kernels.cuda import arrays
    from ntorch.kernels.cuda.launch import cuda

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

    def sync():
        cuda.synchronize()
        torch.cuda.synchronize()

    print(f"GPU: {torch.cuda.get_device_name()}; torch {torch.__version__}, allow_tf32="
          f"{torch.backends.cuda.matmul.allow_tf32}; tiled MIN_BLOCKS={mm.MIN_BLOCKS}")
    head = f"{'dtype':8} {'n':>5} {'lay':3} {'tiled':>7} " + (f"{'generic':>7} " if "generic" in kernels else "")
    print(head + f"{'torch':>7}  {'tiled/torch':>11} " + ("tiled/generic" if "generic" in kernels else ""))
    print(" " * 18 + "TFLOP/s")
    for dtype in args.dtypes:
        for n in args.sizes:
            for layout in args.layouts:
                rates = _case(torch, cuda, arrays, mm, kernels, n, dtype, layout, sync, args.target_s)
                row = f"{dtype:8} {n:5d} {layout:3} " + " ".join(f"{rates[k] / 1e12:7.2f}" for k in kernels)
                row += f" {rates['torch'] / 1e12:7.2f}  {rates['tiled'] / rates['torch']:11.2f}"
                if "generic" in kernels:
                    row += f" {rates['tiled'] / rates['generic']:13.1f}"
                print(row, flush=True)
    print(f"total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
