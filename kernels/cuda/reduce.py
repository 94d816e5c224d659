"""CUDA reduction kernels, with the contract of kernels/cpu/reduce.py: a 3-d view ``x`` of shape
``(outer, r, inner)`` (any strides, 0 included; never negative) reduced over axis 1 into ``out`` of shape
``(outer, inner)``. Entry points: ``sum_into prod_into max_into min_into argmax_into argmin_into
max_with_indices_into min_with_indices_into var_into var_mean_into logsumexp_into norm_into any_into all_into
count_nonzero_into`` (mean is sum, then a scale by the front end).

Each reduction is a small table entry (accumulator dtypes, identity, step, combine, write) from which a module
is generated per (reduction, dtypes) and cached on disk. It holds three kernels:

* ``cols``: one thread per output, a serial loop over r (short rows, or enough outputs to fill the GPU);
* ``rows``: one block per (output, chunk of r): threads stride over the chunk, then a tree in shared memory;
  ``rows_flat`` is the same kernel over a 1-d x when the rows lie back to back (inner == 1, contiguous), so
  that each load is one add instead of three strided products. Hot loops index with unsigned integers:
  Numba adds a negative-index wraparound test to every signed index (sm_90 SASS of the flat sum: 16 -> 5
  instructions per element);
* ``finish``: when a row is cut into several chunks (few, long rows), a second kernel combines the chunks'
  partial states the same way (no atomics, so results do not depend on timing).

The block tree uses shared memory only: the simulator has no warp shuffles, and one path keeps every run
tested. Accumulation: float16/float32 in float32, float64 in float64, complex (sum, mean, prod) in its own dtype,
integers and bool in int64 (sum, prod)
or their value (max, min); NaN propagates through max/min, arg-reductions return the first NaN or else the
first extreme index. Variance is two-pass (mean, then squared deviations); logsumexp keeps a running
(max, sum of exp) pair.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from ..cpu import codegen
from . import arrays, copy
from .launch import SIMULATOR, block_size, configure, grid_tasks
from .scalar import helpers_digest

__all__ = [
    "sum_into", "prod_into", "max_into", "min_into", "argmax_into", "argmin_into", "max_with_indices_into",
    "min_with_indices_into", "var_into", "var_mean_into", "logsumexp_into", "norm_into", "any_into", "all_into",
    "count_nonzero_into",
]

# Tunables, read at call time (tests lower them to force every kernel).
COLS_MAX_R = 16  # rows this short always take the one-thread-per-output kernel
COLS_MIN_OUTPUTS = 32 if SIMULATOR else 1 << 16  # this many outputs fill the GPU with one thread each
MIN_CHUNK = 64 if SIMULATOR else 1 << 13  # fewest elements of r per chunk when a row is split across blocks
BLOCK_WANT = 256  # threads per block of rows/finish (capped by the device)


@dataclass(frozen=True)
class _Red:
    acc: str  # accumulator dtype rule: "sum", "same", "float", "count"
    init: str  # (a, b) identity
    step: str  # body of _step(a, b, v, k, m, p) -> (a, b); v is the loaded element, k its index, m = aux
    comb: str  # body of _comb(a, b, a2, b2) -> (a, b)
    write: str  # body of _write(out0, out1, o, j, a, b, r, p)
    idx: bool = False  # b is an int64 index (else b has a's dtype)
    aux: bool = False  # reads aux[o, j] (the mean, for variance)


_SUM = "    return a + {v}, b"
_MAX = "    return ({v} if ({v} > a or {v} != {v}) else a), b"
_MIN = "    return ({v} if ({v} < a or {v} != {v}) else a), b"
_ARG = "    return (v, k) if {better}(v, k, a, b) else (a, b)"
_ARGC = "    return (a2, b2) if {better}(a2, b2, a, b) else (a, b)"
_OUT = "    out0[o, j] = a"
_NONZERO = "A(1) if v != 0 else A(0)"
_LSE_STEP = """\
    if v != v or a != a:
        return (v if v != v else a), b
    if v == -np.inf:
        return a, b
    if v > a:
        return v, b * M.exp(a - v) + A(1)
    if v == a:
        return a, b + A(1)
    return a, b + M.exp(v - a)"""
_LSE_COMB = """\
    if a2 != a2 or a != a:
        return (a2 if a2 != a2 else a), b
    if a2 == -np.inf:
        return a, b
    if a == -np.inf:
        return a2, b2
    if a2 > a:
        return a2, b * M.exp(a - a2) + b2
    if a2 == a:
        return a, b + b2
    return a, b + b2 * M.exp(a2 - a)"""

REDUCTIONS: dict[str, _Red] = {
    "sum": _Red("sum", "A(0), A(0)", _SUM.format(v="v"), _SUM.format(v="a2"), _OUT),
    "mean": _Red("sum", "A(0), A(0)", _SUM.format(v="v"), _SUM.format(v="a2"), "    out0[o, j] = a / A(r)"),
    "prod": _Red("sum", "A(1), A(0)", "    return a * v, b", "    return a * a2, b", _OUT),
    "amax": _Red("same", "LOWEST, A(0)", _MAX.format(v="v"), _MAX.format(v="a2"), _OUT),
    "amin": _Red("same", "HIGHEST, A(0)", _MIN.format(v="v"), _MIN.format(v="a2"), _OUT),
    "argmax": _Red("same", "LOWEST, -1", _ARG.format(better="_gt"), _ARGC.format(better="_gt"),
                   "    out0[o, j] = b", idx=True),
    "argmin": _Red("same", "HIGHEST, -1", _ARG.format(better="_lt"), _ARGC.format(better="_lt"),
                   "    out0[o, j] = b", idx=True),
    "max.dim": _Red("same", "LOWEST, -1", _ARG.format(better="_gt"), _ARGC.format(better="_gt"),
                    "    out0[o, j] = a\n    out1[o, j] = b", idx=True),
    "min.dim": _Red("same", "HIGHEST, -1", _ARG.format(better="_lt"), _ARGC.format(better="_lt"),
                    "    out0[o, j] = a\n    out1[o, j] = b", idx=True),
    "sqdev": _Red("float", "A(0), A(0)", "    d = v - m\n    return a + d * d, b", _SUM.format(v="a2"),
                  "    out0[o, j] = a / A(p)", aux=True),
    "logsumexp": _Red("float", "A(-np.inf), A(0)", _LSE_STEP, _LSE_COMB,
                      "    out0[o, j] = (a + M.log(b)) if M.isfinite(a) else a"),
    "norm2": _Red("float", "A(0), A(0)", "    return a + v * v, b", _SUM.format(v="a2"), "    out0[o, j] = M.sqrt(a)"),
    "norm1": _Red("float", "A(0), A(0)", "    return a + abs(v), b", _SUM.format(v="a2"), _OUT),
    "norminf": _Red("float", "A(0), A(0)", "    w = abs(v)\n" + _MAX.format(v="w"), _MAX.format(v="a2"), _OUT),
    "normninf": _Red("float", "A(np.inf), A(0)", "    w = abs(v)\n" + _MIN.format(v="w"), _MIN.format(v="a2"),
                     _OUT),
    "norm0": _Red("float", "A(0), A(0)", f"    return a + ({_NONZERO}), b", _SUM.format(v="a2"), _OUT),
    "normp": _Red("float", "A(0), A(0)", "    return a + M.pow(abs(v), A(p)), b", _SUM.format(v="a2"),
                  "    out0[o, j] = M.pow(a, A(1) / A(p))"),
    "count": _Red("count", "A(0), A(0)", f"    return a + ({_NONZERO}), b", _SUM.format(v="a2"), _OUT),
    "any": _Red("count", "A(0), A(0)", f"    return a + ({_NONZERO}), b", _SUM.format(v="a2"),
                "    out0[o, j] = a > 0"),
    "all": _Red("count", "A(0), A(0)", "    return a + (A(1) if v == 0 else A(0)), b", _SUM.format(v="a2"),
                "    out0[o, j] = a == 0"),
}

# The rows kernel, generated twice: `rows` indexes a 3-d (outer, r, inner) x; `rows_flat` a 1-d contiguous x
# holding (outer, r) rows back to back (inner == 1): one add per load instead of three strided products.
_ROWS = """\
@cuda.jit(cache=True)
def KNAME(x, aux, out0, out1, pa, pb, nchunk, csz, p):
    sa = cuda.shared.array(BLOCK, A)
    sb = cuda.shared.array(BLOCK, B)
SHAPE
    tid = cuda.threadIdx.x
    task = cuda.blockIdx.x
    while task < outer * inner * nchunk:
        q = task // nchunk
        c = task - q * nchunk
        o = q // inner
        j = q - o * inner
        m = AUXLOAD
        rb = o * r  # the row's first element in a flat x
        a, b = _init()
        a1, b1 = _init()
        a2, b2 = _init()
        a3, b3 = _init()
        k = c * csz + tid
        hi = min(r, (c + 1) * csz)
        while k + 3 * BLOCK < hi:  # four independent loads in flight per thread
            a, b = _step(a, b, L(@X(k)@), k, m, p)
            a1, b1 = _step(a1, b1, L(@X(k + BLOCK)@), k + BLOCK, m, p)
            a2, b2 = _step(a2, b2, L(@X(k + 2 * BLOCK)@), k + 2 * BLOCK, m, p)
            a3, b3 = _step(a3, b3, L(@X(k + 3 * BLOCK)@), k + 3 * BLOCK, m, p)
            k += 4 * BLOCK
        while k < hi:
            a, b = _step(a, b, L(@X(k)@), k, m, p)
            k += BLOCK
        a, b = _comb(a, b, a1, b1)
        a2, b2 = _comb(a2, b2, a3, b3)
        a, b = _comb(a, b, a2, b2)
        _block_tree(sa, sb, tid, a, b)
        if tid == 0:
            if nchunk == 1:
                _write(out0, out1, o, j, sa[0], sb[0], r, p)
            else:
                pa[q, c] = sa[0]
                pb[q, c] = sb[0]
        cuda.syncthreads()
        task += cuda.gridDim.x


"""

_SOURCE = """\
# Generated by ntorch.kernels.cuda.reduce: do not edit. Helpers: {digest} simulator: {sim}
import math
import numpy as np
from numba import cuda
from ntorch.kernels.cuda.scalar import *  # noqa

A = np.{acc}
B = np.{bdt}
L = np.{load}
U = np.uint64  # unsigned indices: no negative-index wraparound in the hot loops
BLOCK = {block}
LOWEST = {lowest}
HIGHEST = {highest}


@cuda.jit(device=True)
def _gt(v, k, a, b):
    # (v, k) beats (a, b) for argmax: the first NaN, else the larger value, else the smaller index; an empty
    # state (index -1: a thread that saw no element) never beats a real one
    if k < 0:
        return False
    if b < 0:
        return True
    if v != v:
        return a == a or k < b
    if a != a:
        return False
    return v > a or (v == a and k < b)


@cuda.jit(device=True)
def _lt(v, k, a, b):
    if k < 0:
        return False
    if b < 0:
        return True
    if v != v:
        return a == a or k < b
    if a != a:
        return False
    return v < a or (v == a and k < b)


@cuda.jit(device=True)
def _init():
    return {init}


@cuda.jit(device=True)
def _step(a, b, v, k, m, p):
{step}


@cuda.jit(device=True)
def _comb(a, b, a2, b2):
{comb}


@cuda.jit(device=True)
def _write(out0, out1, o, j, a, b, r, p):
{write}


@cuda.jit(device=True)
def _block_tree(sa, sb, tid, a, b):
    # combine every thread's (a, b) into sa[0], sb[0]; every thread of the block calls this
    sa[tid] = a
    sb[tid] = b
    cuda.syncthreads()
    s = BLOCK // 2
    while s > 0:
        if tid < s:
            a2, b2 = _comb(sa[tid], sb[tid], sa[tid + s], sb[tid + s])
            sa[tid] = a2
            sb[tid] = b2
        cuda.syncthreads()
        s //= 2


@cuda.jit(cache=True)
def cols(x, aux, out0, out1, p):
    outer = x.shape[0]
    r = x.shape[1]
    inner = x.shape[2]
    q = cuda.grid(1)
    step = cuda.gridsize(1)
    while q < outer * inner:
        o = q // inner
        j = q - o * inner
        m = {auxload}
        a, b = _init()
        for k in range(r):
            a, b = _step(a, b, L(x[o, k, j]), k, m, p)
        _write(out0, out1, o, j, a, b, r, p)
        q += step


{rows_kernels}@cuda.jit(cache=True)
def finish(pa, pb, out0, out1, inner, r, p):
    sa = cuda.shared.array(BLOCK, A)
    sb = cuda.shared.array(BLOCK, B)
    nout = pa.shape[0]
    nchunk = pa.shape[1]
    tid = cuda.threadIdx.x
    q = cuda.blockIdx.x
    while q < nout:
        a, b = _init()
        c = tid
        while c < nchunk:
            a, b = _comb(a, b, pa[q, c], pb[q, c])
            c += BLOCK
        _block_tree(sa, sb, tid, a, b)
        if tid == 0:
            o = q // inner
            _write(out0, out1, o, q - o * inner, sa[0], sb[0], r, p)
        cuda.syncthreads()
        q += cuda.gridDim.x
"""


def _acc_dtype(rule: str, dt: np.dtype) -> np.dtype:
    f64, f32, i64 = np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.int64)
    if rule == "count":
        return i64
    if dt.kind == "c":  # sum, mean, prod: complex64 accumulates in complex64, as floats in their own width
        return dt
    if rule == "float" or dt.kind == "f":
        return f64 if dt == f64 else f32
    if rule == "same" and dt == np.dtype(np.uint64):
        return dt
    return i64


def _extremes(acc: np.dtype) -> tuple[str, str]:
    if acc.kind in "fc":
        return "A(-np.inf)", "A(np.inf)"
    info = np.iinfo(acc)
    return f"A({info.min})", f"A({info.max})"


@functools.cache
def _module(name: str, acc: np.dtype, load: np.dtype, block: int):
    red = REDUCTIONS[name]
    lowest, highest = _extremes(acc)
    src = _SOURCE.format(
        sim=SIMULATOR, digest=helpers_digest(), acc=acc.name, bdt="int64" if red.idx else acc.name,
        load=load.name, block=block,
        lowest=lowest, highest=highest, init=red.init, step=red.step, comb=red.comb, write=red.write,
        auxload="aux[o, j]" if red.aux else "A(0)", rows_kernels=_rows_kernels("aux[o, j]" if red.aux else "A(0)"),
    )
    return codegen.load_source(f"cured_{name.replace('.', '_')}_{acc.name}_{load.name}", src)


_SHAPE_3D = "    outer = x.shape[0]\n    r = x.shape[1]\n    inner = x.shape[2]"
_SHAPE_FLAT = "    outer = out0.shape[0]\n    r = x.shape[0] // outer\n    inner = 1"


def _rows_kernels(auxload: str) -> str:
    """The source of `rows` and `rows_flat` (see _ROWS)."""
    out = []
    variants = (("rows", _SHAPE_3D, r"x[U(o), U(\1), U(j)]"), ("rows_flat", _SHAPE_FLAT, r"x[U(rb + \1)]"))
    for kname, shape, load in variants:
        text = _ROWS.replace("KNAME", kname).replace("SHAPE", shape).replace("AUXLOAD", auxload)
        out.append(re.sub(r"@X\(([^@]*)\)@", load, text))
    return "\n".join(out)


@functools.cache
def _dummy(dtype: np.dtype):
    """A 1x1 stand-in for the unused array arguments (second output, aux, partial buffers)."""
    return arrays.empty((1, 1), dtype)


def _check(x, outs: tuple, name: str) -> None:
    if len(x.shape) != 3:
        raise ValueError(f"{name}: expected a 3-d (outer, r, inner) input, got shape {tuple(x.shape)}")
    want = (x.shape[0], x.shape[2])
    for out in outs:
        if out is not None and tuple(out.shape) != want:
            raise ValueError(f"{name}: output of shape {tuple(out.shape)}, expected {want}")
    if x.dtype.kind not in ("biufc" if name in ("sum", "prod") else "biuf"):
        raise TypeError(f"{name}: unsupported dtype {x.dtype}")


@functools.cache
def _setup(name: str, dt: np.dtype) -> tuple:
    """(accumulator dtype, kernel module, block-partials dtype) of reduction `name` on dt (cached: per launch)."""
    red = REDUCTIONS[name]
    dt = np.dtype(dt)
    acc = _acc_dtype(red.acc, dt)
    load = (np.dtype(np.float32) if dt == np.float16 else dt) if red.acc == "count" else acc
    return acc, _module(name, acc, load, block_size(BLOCK_WANT)), np.dtype(np.int64) if red.idx else acc


def _run(name: str, x, out0, out1=None, aux=None, p: float = 0.0) -> None:
    """Launch reduction `name` of x (r > 0) into out0 (and out1), choosing the kernel by shape."""
    outer, r, inner = x.shape
    nout = outer * inner
    if nout == 0:
        return
    acc, mod, bdt = _setup(name, x.dtype)
    block = block_size(BLOCK_WANT)
    o1 = _dummy(np.dtype(np.int64)) if out1 is None else out1
    ax = _dummy(acc) if aux is None else aux
    p = float(p)
    if r <= COLS_MAX_R or nout >= COLS_MIN_OUTPUTS:
        threads = block_size(128)
        blocks = grid_tasks(-(-nout // threads), per_sm=16)
        configure(mod.cols, blocks, threads)(x, ax, out0, o1, p)
        return
    rows, xr = mod.rows, x
    if inner == 1:
        s0, s1, _ = arrays.elem_strides(x)
        if s1 == 1 and (outer == 1 or s0 == r):  # rows back to back: index them flat
            rows, xr = mod.rows_flat, arrays.view(x, (outer * r,), (1,))
    target = grid_tasks(1 << 30)  # blocks that fill the device
    nchunk = 1
    if nout < target:
        nchunk = max(1, min(-(-r // MIN_CHUNK), -(-target // nout)))
    csz = -(-r // nchunk)
    nchunk = -(-r // csz)
    if nchunk == 1:
        configure(rows, grid_tasks(nout), block)(xr, ax, out0, o1, _dummy(acc), _dummy(bdt), 1, csz, p)
        return
    pa, pb = arrays.empty((nout, nchunk), acc), arrays.empty((nout, nchunk), bdt)
    configure(rows, grid_tasks(nout * nchunk), block)(xr, ax, out0, o1, pa, pb, nchunk, csz, p)
    configure(mod.finish, grid_tasks(nout), block)(pa, pb, out0, o1, inner, r, p)


def _simple(name: str, x, out, empty_value, p: float = 0.0):
    _check(x, (out,), name)
    if x.shape[1] == 0:
        copy.fill(out, empty_value)
        return out
    _run(name, x, out, p=p)
    return out


def _no_identity(name: str, x) -> None:
    if x.shape[1] == 0 and x.shape[0] * x.shape[2] > 0:
        raise ValueError(f"{name} of an empty reduction has no identity")


def sum_into(x, out):
    """out[o, j] = sum_k x[o, k, j]. Floats accumulate in float32 (float64 for float64), ints and bool in int64."""
    return _simple("sum", x, out, 0)


def prod_into(x, out):
    """out[o, j] = prod_k x[o, k, j]; ints in int64 (wrapping)."""
    return _simple("prod", x, out, 1)


def max_into(x, out):
    """out[o, j] = max_k x[o, k, j]; NaN propagates."""
    _check(x, (out,), "max")
    _no_identity("max", x)
    _run("amax", x, out)
    return out


def min_into(x, out):
    """out[o, j] = min_k x[o, k, j]; NaN propagates."""
    _check(x, (out,), "min")
    _no_identity("min", x)
    _run("amin", x, out)
    return out


def _arg(name: str, kernel: str, x, out_vals, out_idx):
    _check(x, (out_vals, out_idx), name)
    _no_identity(name, x)
    if out_vals is None:
        _run(kernel, x, out_idx)
    else:
        _run(kernel, x, out_vals, out_idx)


def argmax_into(x, out_idx):
    """out_idx[o, j] = first k of the max of x[o, :, j] (of the first NaN if any). out_idx: int64."""
    _arg("argmax", "argmax", x, None, out_idx)
    return out_idx


def argmin_into(x, out_idx):
    """out_idx[o, j] = first k of the min of x[o, :, j] (of the first NaN if any). out_idx: int64."""
    _arg("argmin", "argmin", x, None, out_idx)
    return out_idx


def max_with_indices_into(x, out_vals, out_idx):
    """Values and indices of the max in one pass (torch.max(x, dim))."""
    _arg("max", "max.dim", x, out_vals, out_idx)
    return out_vals, out_idx


def min_with_indices_into(x, out_vals, out_idx):
    """Values and indices of the min in one pass (torch.min(x, dim))."""
    _arg("min", "min.dim", x, out_vals, out_idx)
    return out_vals, out_idx


def var_mean_into(x, out_var, out_mean, correction=1.0):
    """Variance (sum of squared deviations / max(0, r - correction)) and mean, two-pass; out_mean may be None."""
    _check(x, (out_var, out_mean), "var")
    outer, r, inner = x.shape
    if outer * inner == 0:
        return out_var, out_mean
    if r == 0:
        copy.fill(out_var, np.nan)
        if out_mean is not None:
            copy.fill(out_mean, np.nan)
        return out_var, out_mean
    acc = _acc_dtype("float", np.dtype(x.dtype))
    mean = out_mean if out_mean is not None and out_mean.dtype == acc else arrays.empty((outer, inner), acc)
    _run("mean", x, mean)
    _run("sqdev", x, out_var, aux=mean, p=max(0.0, r - float(correction)))
    if out_mean is not None and mean is not out_mean:
        copy.copy_cast(out_mean, mean)
    return out_var, out_mean


def var_into(x, out, correction=1.0):
    """Variance over axis 1 with divisor max(0, r - correction) (0/0 -> nan, s/0 -> inf)."""
    var_mean_into(x, out, None, correction)
    return out


def logsumexp_into(x, out):
    """out = log(sum(exp(x))) over axis 1, max-shifted; all -inf -> -inf, inf -> inf, NaN propagates."""
    return _simple("logsumexp", x, out, -np.inf)


_NORMS = {2.0: "norm2", 1.0: "norm1", np.inf: "norminf", -np.inf: "normninf", 0.0: "norm0"}


def norm_into(x, out, p=2.0):
    """Vector p-norm over axis 1: 2, 1, inf (max |x|), -inf (min |x|), 0 (count of nonzeros) or any other p:
    (sum |x|^p)^(1/p)."""
    p = float(p)
    return _simple(_NORMS.get(p, "normp"), x, out, np.inf if p < 0 else 0.0, p=p)


def count_nonzero_into(x, out):
    """out[o, j] = number of nonzero x[o, :, j] (NaN counts as nonzero). out: int64."""
    return _simple("count", x, out, 0)


def any_into(x, out):
    """out[o, j] = any x[o, :, j] != 0. out: bool."""
    return _simple("any", x, out, False)


def all_into(x, out):
    """out[o, j] = all x[o, :, j] != 0. out: bool."""
    return _simple("all", x, out, True)
