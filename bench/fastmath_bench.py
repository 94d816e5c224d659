"""Benchmark ntorch.kernels.cpu.fastmath (vectorizable float32 exp/log/tanh/erf/...) against NumPy and
PyTorch.

Usage: python bench/fastmath_bench.py [--n 1000000] [--threads 1] [--rounds 21] [--only exp tanh ...]
       [--no-torch] [--asm]

Each function is applied to a contiguous float32 array of --n values (drawn from the function's
interesting range) by a serial Numba loop writing into a preallocated output.  NumPy ufuncs are called
with out= (functions NumPy lacks are composed from ufuncs writing into preallocated buffers: "np*"), and
PyTorch with out= where it has it ("torch out=") and as the usual allocating call ("torch").  All are
timed interleaved in one process, round after round; each round times a batch of calls lasting a few
milliseconds, and the median per-call time over the rounds is reported with ratio = their time / ours
(> 1: ours is faster).  Numba loops here are serial; NumPy ufuncs are single-threaded; PyTorch's intra-op
threads are set from --threads (default 1).  The machine this was written on is shared and noisy: compare
ratios from the same run, not absolute times across runs.

--asm prints, per kernel, how many packed (vector) float32 instructions the compiled loop contains and
whether it calls out to anything (a libm call in the loop would mean the function did not inline and
vectorize).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import re
import statistics
import sys
import time


def _args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=21)
    p.add_argument("--target-ms", type=float, default=4.0, help="time per batch of calls")
    p.add_argument("--only", nargs="+", default=None, help="function names without the _f32 suffix")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--asm", action="store_true", help="report vector instructions in each compiled loop")
    return p.parse_args()


ARGS = _args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numba  # noqa: E402
import numpy as np  # noqa: E402
from timing import calls_for  # noqa: E402  (bench/timing.py, beside this script)


def _load_fastmath():
    try:
        from ntorch.kernels.cpu import fastmath
    except ImportError:  # not installed in this environment: load the file directly
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernels", "cpu", "fastmath.py")
        spec = importlib.util.spec_from_file_location("ntorch_fastmath_kernel", path)
        fastmath = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = fastmath
        spec.loader.exec_module(fastmath)
    return fastmath


fm = _load_fastmath()
torch = F = None
if not ARGS.no_torch:
    try:
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(ARGS.threads)
    except ImportError:
        torch = None

# Not cache=True: Numba's cache is keyed on this file only and would keep serving loops compiled against an
# older fastmath.py after it changes.
_jit = numba.njit(error_model="numpy")
_BETA = np.float32(1.0)
_THRESHOLD = np.float32(20.0)


# One serial loop per function.
@_jit
def k_exp(x, out):
    for i in range(x.size):
        out[i] = fm.exp_f32(x[i])


@_jit
def k_exp2(x, out):
    for i in range(x.size):
        out[i] = fm.exp2_f32(x[i])


@_jit
def k_expm1(x, out):
    for i in range(x.size):
        out[i] = fm.expm1_f32(x[i])


@_jit
def k_log(x, out):
    for i in range(x.size):
        out[i] = fm.log_f32(x[i])


@_jit
def k_log2(x, out):
    for i in range(x.size):
        out[i] = fm.log2_f32(x[i])


@_jit
def k_log10(x, out):
    for i in range(x.size):
        out[i] = fm.log10_f32(x[i])


@_jit
def k_log1p(x, out):
    for i in range(x.size):
        out[i] = fm.log1p_f32(x[i])


@_jit
def k_tanh(x, out):
    for i in range(x.size):
        out[i] = fm.tanh_f32(x[i])


@_jit
def k_sigmoid(x, out):
    for i in range(x.size):
        out[i] = fm.sigmoid_f32(x[i])


@_jit
def k_silu(x, out):
    for i in range(x.size):
        out[i] = fm.silu_f32(x[i])


@_jit
def k_softplus(x, out):
    for i in range(x.size):
        out[i] = fm.softplus_f32(x[i], _BETA, _THRESHOLD)


@_jit
def k_erf(x, out):
    for i in range(x.size):
        out[i] = fm.erf_f32(x[i])


@_jit
def k_erfc(x, out):
    for i in range(x.size):
        out[i] = fm.erfc_f32(x[i])


@_jit
def k_gelu_tanh(x, out):
    for i in range(x.size):
        out[i] = fm.gelu_tanh_f32(x[i])


@_jit
def k_gelu_erf(x, out):
    for i in range(x.size):
        out[i] = fm.gelu_erf_f32(x[i])


# NumPy compositions for functions NumPy lacks (preallocated buffers, no temporaries)
def np_sigmoid(x, o, tmp):
    np.negative(x, out=o)
    np.exp(o, out=o)
    o += np.float32(1)
    np.reciprocal(o, out=o)


def np_silu(x, o, tmp):
    np_sigmoid(x, o, tmp)
    o *= x


def np_gelu_tanh(x, o, tmp):
    c = np.float32(math.sqrt(2.0 / math.pi))
    np.multiply(x, x, out=tmp)
    tmp *= np.float32(0.044715)
    tmp += np.float32(1)
    tmp *= x
    tmp *= c
    np.tanh(tmp, out=tmp)
    tmp += np.float32(1)
    np.multiply(x, np.float32(0.5), out=o)
    o *= tmp


# name: (kernel, input range, numpy callable(x, out, tmp) or None, label, torch out= fn or None, torch fn)
def _cases():
    t = torch
    cases = {
        "exp": (k_exp, (-10, 10), lambda x, o, _: np.exp(x, out=o), "np", "exp", None),
        "exp2": (k_exp2, (-10, 10), lambda x, o, _: np.exp2(x, out=o), "np", "exp2", None),
        "expm1": (k_expm1, (-5, 5), lambda x, o, _: np.expm1(x, out=o), "np", "expm1", None),
        "log": (k_log, (0.01, 100), lambda x, o, _: np.log(x, out=o), "np", "log", None),
        "log2": (k_log2, (0.01, 100), lambda x, o, _: np.log2(x, out=o), "np", "log2", None),
        "log10": (k_log10, (0.01, 100), lambda x, o, _: np.log10(x, out=o), "np", "log10", None),
        "log1p": (k_log1p, (-0.5, 10), lambda x, o, _: np.log1p(x, out=o), "np", "log1p", None),
        "tanh": (k_tanh, (-5, 5), lambda x, o, _: np.tanh(x, out=o), "np", "tanh", None),
        "sigmoid": (k_sigmoid, (-10, 10), np_sigmoid, "np*", "sigmoid", None),
        "silu": (k_silu, (-10, 10), np_silu, "np*", None, lambda x: F.silu(x)),
        "softplus": (
            k_softplus,
            (-10, 10),
            lambda x, o, _: np.logaddexp(x, np.float32(0), out=o),
            "np*",
            None,
            lambda x: F.softplus(x),
        ),
        "erf": (k_erf, (-4, 4), None, "", "erf", None),
        "erfc": (k_erfc, (-4, 4), None, "", "erfc", None),
        "gelu_tanh": (k_gelu_tanh, (-5, 5), np_gelu_tanh, "np*", None, lambda x: F.gelu(x, approximate="tanh")),
        "gelu_erf": (k_gelu_erf, (-5, 5), None, "", None, lambda x: F.gelu(x)),
    }
    out = {}
    for name, (kern, rng_, npf, nplabel, tname, tfn) in cases.items():
        tout = getattr(t, tname) if (t is not None and tname) else None
        if t is not None and tfn is None and tout is not None:
            tfn = tout
        out[name] = (kern, rng_, npf, nplabel, tout, tfn if t is not None else None)
    return out


def _bench(cases, rounds, target_s):
    """cases: {name: fn}; returns {name: median seconds per call}, timed interleaved."""
    counts = {name: calls_for(fn, target_s) for name, fn in cases.items()}
    samples = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            n = counts[name]
            t = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t) / n)
    return {name: statistics.median(v) for name, v in samples.items()}


def _asm_report(kern):
    asm = kern.inspect_asm(kern.signatures[0])
    body = asm.split(".Lfunc_end")[0]
    packed = len(re.findall(r"\bv\w+ps\s+[^\n]*%[yz]mm", body))
    width = "zmm" if "%zmm" in body else ("ymm" if "%ymm" in body else "xmm/scalar")
    calls = re.findall(r"call\w*\s+(\S+)", body)
    libm = [c for c in calls if re.search(r"exp|log|tanh|erf|pow", c)]
    return f"{packed} packed-float ops ({width}), libm calls: {libm or 'none'}"


def _fmt(s):
    return f"{s * 1e6:8.1f} us"


def main():
    rng = np.random.default_rng(0)
    versions = f"numba {numba.__version__}, numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    print(f"n {ARGS.n}, float32, threads {ARGS.threads} (Numba loops serial), {versions}", flush=True)
    cases = _cases()
    names = ARGS.only or list(cases)
    for name in names:
        kern, (lo, hi), npf, nplabel, tout, tfn = cases[name]
        x = rng.uniform(lo, hi, ARGS.n).astype(np.float32)
        out = np.empty_like(x)
        out_np, tmp = np.empty_like(x), np.empty_like(x)
        kern(x, out)  # compile / load from cache
        fns = {"ours": lambda k=kern, x=x, o=out: k(x, o)}
        if npf is not None:
            fns["numpy"] = lambda f=npf, x=x, o=out_np, t=tmp: f(x, o, t)
        if torch is not None:
            tx = torch.from_numpy(x)
            if tout is not None:
                to = torch.from_numpy(np.empty_like(x))
                fns["torch out="] = lambda f=tout, tx=tx, to=to: f(tx, out=to)
            if tfn is not None:
                fns["torch"] = lambda f=tfn, tx=tx: f(tx)
        res = _bench(fns, ARGS.rounds, ARGS.target_ms / 1e3)
        ours = res["ours"]
        parts = [f"{name:>9}", f"ours {_fmt(ours)}"]
        for other, label in (("numpy", nplabel or "numpy"), ("torch out=", "torch out="), ("torch", "torch")):
            if other in res:
                parts.append(f"{label} {_fmt(res[other])} x{res[other] / ours:5.2f}")
        print(" | ".join(parts), flush=True)
        if ARGS.asm:
            print(f"{'':>9}   {_asm_report(kern)}", flush=True)


if __name__ == "__main__":
    main()
