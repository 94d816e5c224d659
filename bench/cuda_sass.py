"""Static look at ntorch's CUDA kernels without a GPU: compile them for sm_90 (H100/H200), then report registers
per thread (occupancy) and the instructions of each hot loop (the SASS between a backward branch and its target
that loads from global memory), per kernel.

Why: a session without a GPU can still see whether a kernel change cuts instructions per element or keeps
several loads in flight, before a GPU session times it. It compiles only; it measures nothing.

Needs libNVVM and libdevice (a CUDA toolkit: CUDA_HOME), plus NVRTC and cuobjdump, e.g.
    python -m pip install --target /tmp/cudatools "nvidia-cuda-nvrtc==13.0.*" nvidia-cuda-cuobjdump
    LD_LIBRARY_PATH=/tmp/cudatools/nvidia/cu13/lib CUDA_HOME=/usr/local/cuda-13.0 \
        python bench/cuda_sass.py --tools /tmp/cudatools/nvidia/cu13/bin [--keep DIR] [--helpers]
`--helpers` instead compiles the contiguous kernel of every elementwise op whose expression calls a shared scalar
helper (kernels/cpu/scalar.py, compiled for the device), per float32 / float64 / int64, and lists registers.
`--complex` compiles every complex64/complex128 kernel (the elementwise ops' contiguous and strided kernels, with
real and Python-complex operands, sum/mean/prod, the complex copies, the scans (cumsum, cumprod, logcumsumexp:
`--match logcumsumexp`), the complex linear algebra of kernels/cuda/linalg_complex.py: `--match linalg`) and lists
registers (PTX + ptxas only).
`--linalg-extra` compiles the one-thread-per-matrix kernels of kernels/cuda/linalg_extra.py (eig, geqrf, LDL^T: the
CPU's per-matrix code as device functions) per float64 / complex128 and lists registers (PTX + ptxas only).
cuobjdump needs nvdisasm on PATH (`pip install --target /tmp/cudatools2 nvidia-cuda-nvdisasm`, 13.2 works).
Kernels compile here without the launch bounds ntorch's launcher gives some of them (max threads per block), so
registers can differ from the device's build (the small-tile gemm: 80 here, 95 with its bounds).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import types as pytypes

import numpy as np

np.row_stack = np.vstack  # numba-cuda 0.30 under NumPy >= 2.5 (see bench/RESULTS.md)

import numba  # noqa: E402
from numba import cuda, types  # noqa: E402
from numba.cuda import dispatcher as _dispatcher  # noqa: E402

# typing a call to a device function asks the current device for its compute capability: answer for sm_90
_dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=(9, 0))

from ntorch.kernels.cpu import codegen  # noqa: E402
from ntorch.kernels.cuda import elementwise, reduce, softmax  # noqa: E402

F32_1C = types.Array(types.float32, 1, "C")
F32_2C = types.Array(types.float32, 2, "C")
F32_3C = types.Array(types.float32, 3, "C")
I64_2C = types.Array(types.int64, 2, "C")


def _softmax_module():
    src = softmax._SOURCE.format(sim=False, acc="float32", w=256, r=1, wr=256, helpers=softmax.ROW_HELPERS)
    return codegen.load_source("sass_softmax_float32", src)


def _sum_module():
    red = reduce.REDUCTIONS["sum"]
    lowest, highest = reduce._extremes(np.dtype(np.float32))
    src = reduce._SOURCE.format(
        sim=False, acc="float32", bdt="float32", load="float32", block=256, lowest=lowest, highest=highest,
        init=red.init, step=red.step, comb=red.comb, write=red.write, auxload="A(0)",
        rows_kernels=reduce._rows_kernels("A(0)"))
    return codegen.load_source("sass_sum_float32", src)


def _add_module():
    return codegen.load_source("sass_add_float32", elementwise._source("x + y", "float32", 2, 0))


def cases():
    """(name, python function, signature) of the kernels the issue-5 benchmarks run."""
    sm, red, add = _softmax_module(), _sum_module(), _add_module()
    reduce_sig = (F32_2C, F32_2C, I64_2C, F32_2C, F32_2C, types.int64, types.int64, types.float64)
    return [
        ("softmax rows (8192, 4096)", sm.rows.py_func, (F32_3C, F32_3C, types.boolean)),
        ("softmax rows backward", sm.rows_bwd.py_func, (F32_3C, F32_3C, F32_3C, types.boolean)),
        ("sum rows (3-d view)", red.rows.py_func, (F32_3C, *reduce_sig)),
        ("sum rows_flat (contiguous)", red.rows_flat.py_func, (F32_1C, *reduce_sig)),
        ("add contiguous", add.contig_aa.py_func, (F32_1C, F32_1C, F32_1C)),
    ]


def helper_cases():
    """(name, python function, signature) of the contiguous kernel of each op that calls a shared helper."""
    from ntorch.kernels.cpu import scalar

    from ntorch import dtypes
    from ntorch.ops.elementwise import OPS, _expr_for

    helpers = [n for n, f in vars(scalar).items() if hasattr(f, "py_func")]
    called = re.compile(r"\b(" + "|".join(helpers) + r")\(")
    param_types = {"isclose": (types.float64, types.float64, types.boolean), "round_decimals": (types.int64,)}
    out = []
    for op in OPS:
        for dt in (dtypes.float32, dtypes.float64, dtypes.int64):
            if dt not in op.dtypes or not called.search(expr := _expr_for(op, dt)):
                continue
            compute = dt.np.name
            kernel = elementwise.cuda_kernel_for(op.name, expr, compute, op.arity, op.nparams)
            arr = types.Array(numba.from_dtype(dt.np), 1, "C")
            res = {"bool": types.boolean, "float": types.float64 if dt is dtypes.int64 else arr.dtype}.get(
                op.result, arr.dtype)
            params = param_types.get(op.name, (types.float64,) * op.nparams)
            sig = (types.Array(res, 1, "C"), *[arr] * op.arity, *params)
            out.append((f"{op.name} {compute}", getattr(kernel.module, "contig_" + "a" * op.arity).py_func, sig))
    return out


def complex_cases():
    """(name, python function, signature) of the complex kernels: what the simulator cannot vouch for (cmath, complex
    shared memory), compiled for the device."""
    from ntorch.kernels.cuda import copy, indexing
    from ntorch.kernels.cuda import fft as cufft
    from ntorch.kernels.cuda import scan as cuscan

    from ntorch import dtypes
    from ntorch.ops.elementwise import OPS, _cuda_kernel

    i64 = types.Array(types.int64, 1, "C")
    params = {"isclose": (types.float64, types.float64, types.boolean), "nan_to_num": (types.float64,) * 3}
    out = []
    for dt in dtypes.COMPLEX_DTYPES:
        c = numba.from_dtype(dt.np)
        arr, real = types.Array(c, 1, "C"), types.Array(numba.from_dtype(dt.to_real().np), 1, "C")
        for op in OPS:
            if dt not in op.dtypes:
                continue
            mod = _cuda_kernel(op, dt).module
            res = {"bool": types.boolean, "real": real.dtype}.get(op.result, c)
            p = params.get(op.name, (types.complex128,) * op.nparams)
            o, n = types.Array(res, 1, "C"), op.arity
            out.append((f"{op.name} {dt.name}", mod.__dict__["contig_" + "a" * n].py_func, (o, *[arr] * n, *p)))
            out.append((f"{op.name} {dt.name} strided", mod.__dict__["strided_" + "a" * n].py_func,
                        (o, i64, *[arr] * n, *[i64] * n, *p)))
            if n == 2:
                out.append((f"{op.name} {dt.name} real operand", mod.contig_aa.py_func, (o, arr, real, *p)))
                out.append((f"{op.name} {dt.name} complex scalar", mod.contig_as.py_func, (o, arr, types.complex128,
                                                                                           *p)))
                for st in (types.float64, types.int64):  # Python float / int operands (the fast path's too)
                    out.append((f"{op.name} {dt.name} {st} scalar", mod.contig_as.py_func, (o, arr, st, *p)))
        for name in ("sum", "mean", "prod"):
            mod = reduce._module(name, dt.np, dt.np, 256)
            a2, i2 = types.Array(c, 2, "C"), types.Array(types.int64, 2, "C")
            rest = (a2, a2, i2, a2, a2, types.int64, types.int64, types.float64)
            out += [(f"{name} {dt.name} cols", mod.cols.py_func, (types.Array(c, 3, "A"), a2, a2, i2, types.float64)),
                    (f"{name} {dt.name} rows", mod.rows.py_func, (types.Array(c, 3, "A"), *rest)),
                    (f"{name} {dt.name} rows_flat", mod.rows_flat.py_func, (arr, *rest)),
                    (f"{name} {dt.name} finish", mod.finish.py_func, (a2, a2, a2, i2, types.int64, types.int64,
                                                                      types.float64))]
        for target in (types.float32, types.int64, types.boolean):
            out.append((f"copy {dt.name} -> {target}", copy._copy_complex_strided.py_func,
                        (types.Array(target, 1, "C"), arr, i64, i64, i64, types.int64, types.boolean)))
        out += [(f"copy float64 -> {dt.name}", copy._copy_strided.py_func,
                 (arr, types.Array(types.float64, 1, "C"), i64, i64, i64, types.int64)),
                (f"copy {dt.name}", copy._copy_contig.py_func, (arr, arr)),
                (f"fill {dt.name}", copy._fill_strided.py_func, (arr, i64, i64, types.int64, c))]
        # ntorch.fft on CUDA: the Stockham stage and Bluestein's chirp kernels (rows of (batch, n) arrays)
        a2c, a2a, i = types.Array(c, 2, "C"), types.Array(c, 2, "A"), types.int64
        out += [(f"fft stage {dt.name}", cufft._stage.py_func, (a2a, a2c, arr, arr, i, i, i, i)),
                (f"fft chirp_in {dt.name}", cufft._chirp_in.py_func, (a2a, a2c, arr, i, i, i)),
                (f"fft pointwise {dt.name}", cufft._pointwise.py_func, (a2c, arr, i, i)),
                (f"fft chirp_out {dt.name}", cufft._chirp_out.py_func, (a2c, a2a, arr, i, i))]
        # complex cumsum / cumprod: complex128 totals stored in dt, both scan kernels and the chunk carries
        a3, i3 = types.Array(c, 3, "A"), types.Array(types.int64, 3, "A")
        acc = types.Array(types.complex128, 2, "C")
        i2c = types.Array(types.int64, 2, "C")
        for name in ("sum", "prod"):
            mod = cuscan._module(name, np.dtype(np.complex128), dt.np, 256, 8)
            out += [(f"cum{name} {dt.name} lines", mod.lines.py_func, (a3, a3, i3)),
                    (f"cum{name} {dt.name} tiles", mod.tiles.py_func,
                     (a3, a3, i3, acc, i2c, acc, i2c, i, i, types.boolean, types.boolean)),
                    (f"cum{name} {dt.name} carries", mod.carries.py_func, (acc, i2c, acc, i2c))]
        # complex logcumsumexp: one thread per line, the CPU's _clogaddexp step, complex128 totals stored in dt
        out.append((f"logcumsumexp {dt.name} lines", cuscan._logcumsumexp_complex.py_func, (a3, a3)))
    # indexing moves complex64 as int64 bits, complex128 as itself (ops/indexing.py's _CUDA_BITS)
    c16 = types.Array(types.complex128, 1, "C")
    out += [("gather complex128", indexing._gather.py_func, (c16, c16, i64, i64, i64, i64, i64, *[types.int64] * 6,
                                                              i64)),
            ("scatter complex128", indexing._scatter_copy.py_func, (c16, i64, c16, i64, i64, i64, i64,
                                                                    *[types.int64] * 6))]
    return out + linalg_complex_cases()


def linalg_complex_cases():
    """kernels/cuda/linalg_complex.py: the CPU's complex per-matrix factorizations compiled for the device."""
    from ntorch.kernels.cuda import linalg_complex as culz

    mod = codegen.load_source("sass_linalg_complex", culz._SOURCE.format(sim=False))
    c2, c3 = types.Array(types.complex128, 2, "C"), types.Array(types.complex128, 3, "C")
    f2, f3 = types.Array(types.float64, 2, "C"), types.Array(types.float64, 3, "C")
    i1, i2 = types.Array(types.int32, 1, "C"), types.Array(types.int32, 2, "C")
    b = types.boolean
    sigs = {"lu_factor": (c3, i2, i1), "lu_solve": (c3, i2, c3), "tri_solve": (c3, c3, b, b), "cholesky": (c3, i1),
            "qr": (c3, c3, c2, c2, c2), "hermitian_tridiagonal": (c3, f3, c3, f2, f2, c2, c2, b),
            "svd": (c3, c3, c3, f2, c3, f2, types.Array(types.int64, 2, "C"), i1)}
    return [(f"linalg {name} complex128", getattr(mod, name).py_func, sig) for name, sig in sigs.items()]


def linalg_extra_cases():
    """(name, python function, signature) of kernels/cuda/linalg_extra.py's kernels, as the front ends launch them."""
    from ntorch.kernels.cuda import linalg_extra

    mod = linalg_extra._module()
    f, z, b = types.float64, types.complex128, types.boolean

    def arr(dt, nd):
        return types.Array(dt, nd, "C")

    i32_1, i32_2, i64_2 = arr(types.int32, 1), arr(types.int32, 2), arr(types.int64, 2)
    out = [("eig_real", mod.eig_real.py_func, (arr(f, 3), arr(z, 2), arr(z, 3), arr(f, 3), arr(f, 3), arr(f, 2),
                                               arr(f, 2), arr(f, 4), arr(f, 3), i32_1, b)),
           ("eig_complex", mod.eig_complex.py_func, (arr(z, 3), arr(z, 2), arr(z, 3), arr(z, 3), arr(f, 3), arr(z, 3),
                                                     i32_1, b))]
    for dt in (f, z):
        out += [(f"geqrf {dt}", mod.geqrf.py_func, (arr(dt, 3), arr(dt, 2), arr(dt, 2))),
                (f"ldl_factor {dt}", mod.ldl_factor.py_func, (arr(dt, 3), i32_2, i32_1, b, arr(dt, 2), arr(dt, 2))),
                (f"ldl_solve {dt}", mod.ldl_solve.py_func, (arr(dt, 3), i64_2, arr(dt, 3), b))]
    return out


def ptx_registers(pyfunc, sig, workdir: str, tag: str) -> str:
    """Registers per thread of the kernel compiled for sm_90 (PTX, then ptxas)."""
    ptx, _ = cuda.compile_ptx(pyfunc, sig, cc=(9, 0))
    path = os.path.join(workdir, tag + ".ptx")
    with open(path, "w") as f:
        f.write(ptx)
    info = subprocess.run(["ptxas", "-arch=sm_90", "-O3", "-v", path, "-o", path + ".cubin"],
                          capture_output=True, text=True, check=True).stderr
    regs = re.search(r"Used (\d+) registers", info)
    return regs.group(1) if regs else "?"


_LINE = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")


def hot_loops(sass: str) -> list[tuple[int, int]]:
    """(instructions, global loads) of each innermost loop (a backward branch) that loads from global memory."""
    code = [(int(a, 16), text) for a, text in _LINE.findall(sass)]
    spans = []
    for addr, text in code:
        m = re.search(r"BRA (0x[0-9a-f]+)", text)
        if m and int(m.group(1), 16) < addr:
            spans.append((int(m.group(1), 16), addr))
    loops = []
    for lo, hi in spans:
        if any(lo <= lo2 and hi2 <= hi and (lo2, hi2) != (lo, hi) for lo2, hi2 in spans):
            continue  # an outer loop (the grid-stride or task loop)
        body = [t for a, t in code if lo <= a <= hi]
        loads = sum(1 for t in body if re.search(r"\bLDG|\bLD\.", t))
        if loads:
            loops.append((len(body), loads))
    return loops


def compile_one(pyfunc, sig, workdir: str, tools: str, tag: str) -> tuple[str, str]:
    ptx, _ = cuda.compile_ptx(pyfunc, sig, cc=(9, 0))
    ptx_path, cubin = os.path.join(workdir, tag + ".ptx"), os.path.join(workdir, tag + ".cubin")
    with open(ptx_path, "w") as f:
        f.write(ptx)
    info = subprocess.run(["ptxas", "-arch=sm_90", "-O3", "-v", ptx_path, "-o", cubin],
                          capture_output=True, text=True, check=True).stderr
    sass = subprocess.run([os.path.join(tools, "cuobjdump"), "-sass", cubin],
                          capture_output=True, text=True, check=True).stdout
    with open(os.path.join(workdir, tag + ".sass"), "w") as f:
        f.write(sass)
    regs = re.search(r"Used (\d+) registers", info)
    return (regs.group(1) if regs else "?"), sass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", required=True, help="folder holding cuobjdump")
    ap.add_argument("--keep", help="write the PTX, cubin and SASS here")
    ap.add_argument("--helpers", action="store_true", help="the ops that call shared scalar helpers")
    ap.add_argument("--complex", action="store_true", help="the complex kernels: compile and list registers")
    ap.add_argument("--linalg-extra", action="store_true", help="the eig / geqrf / LDL kernels: compile, registers")
    ap.add_argument("--match", default="", help="--complex: only the kernels whose name contains this")
    args = ap.parse_args()
    workdir = args.keep or tempfile.mkdtemp(prefix="ntorch-sass-")
    os.makedirs(workdir, exist_ok=True)
    if args.complex or args.linalg_extra:
        print(f"| {'complex' if args.complex else 'linalg_extra'} kernel (sm_90) | registers |\n| --- | --- |")
        for i, (name, fn, sig) in enumerate(complex_cases() if args.complex else linalg_extra_cases()):
            if args.match not in name:
                continue
            print(f"| {name} | {ptx_registers(fn, sig, workdir, f'c{i}')} |", flush=True)
        return
    print("| kernel (float32, sm_90) | registers | hot loops: instructions / global loads |")
    print("| --- | --- | --- |")
    for i, (name, fn, sig) in enumerate(helper_cases() if args.helpers else cases()):
        regs, sass = compile_one(fn, sig, workdir, args.tools, f"k{i}")
        loops = ", ".join(f"{n} / {loads}" for n, loads in hot_loops(sass))
        print(f"| {name} | {regs} | {loops} |")


if __name__ == "__main__":
    main()
