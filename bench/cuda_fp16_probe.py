"""Why does float16 fail on a GPU machine? Compiles and runs a tiny float16 kernel (a cast, then arithmetic) and
prints the full error, with what numba-cuda finds of NVRTC / nvJitLink (its float16 operators are C++ shims it
compiles with NVRTC). Run on a GPU machine: python bench/cuda_fp16_probe.py
"""

from __future__ import annotations

import os
import traceback

import numpy as np

if not hasattr(np, "row_stack"):
    np.row_stack = np.vstack


def main() -> None:
    from numba import cuda

    print("CUDA_HOME", os.environ.get("CUDA_HOME"), "| nvjitlink:", end=" ")
    try:
        from numba.cuda.cudadrv.driver import _have_nvjitlink

        print(_have_nvjitlink())
    except Exception as e:  # noqa: BLE001  (probe: report and go on)
        print("?", e)
    try:
        from numba.cuda.cudadrv import nvrtc

        print("nvrtc version:", nvrtc.NVRTC().get_version())
    except Exception as e:  # noqa: BLE001
        print("nvrtc:", type(e).__name__, e)

    @cuda.jit
    def cast(x, out):
        i = cuda.grid(1)
        if i < x.size:
            out[i] = np.float32(x[i])

    @cuda.jit
    def arith(x, out):
        i = cuda.grid(1)
        if i < x.size:
            out[i] = x[i] * x[i] + x[i]

    x = cuda.to_device(np.arange(4, dtype=np.float16))
    for name, kernel, out in (("cast", cast, cuda.device_array(4, np.float32)),
                              ("arith", arith, cuda.device_array(4, np.float16))):
        try:
            kernel[1, 32](x, out)
            print(name, "ok:", out.copy_to_host())
        except Exception:  # noqa: BLE001
            print(name, "FAILED:")
            traceback.print_exc()


def casts() -> None:
    """Every cast to and from float16 through ntorch's copy kernel, one line per failing pair."""
    from ntorch.kernels.cuda.copy import copy_cast

    import ntorch

    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    bad = 0
    for other in names:
        for src, dst in (("float16", other), (other, "float16")):
            x = ntorch.tensor(np.arange(5).astype(src), device="cuda")
            out = ntorch.empty(5, dtype=getattr(ntorch, dst), device="cuda")
            try:
                copy_cast(out._data.device_array(), x._data.device_array())
                got = out.cpu().numpy()
                want = np.arange(5).astype(src).astype(dst)
                if not np.array_equal(got, want):
                    print(f"cast {src} -> {dst}: wrong values {got} vs {want}")
                    bad += 1
            except Exception as e:  # noqa: BLE001
                print(f"cast {src} -> {dst}: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
                bad += 1
    print(f"float16 casts: {bad} failing pairs")


if __name__ == "__main__":
    main()
    casts()
