"""Scans on CUDA tensors (cumsum, cumprod, cummax, cummin, logcumsumexp, the in-place forms, out=, dtype=) against
the same ops on CPU tensors (the oracle: tests/test_scan.py checks the CPU against NumPy and reference loops),
plus a reference loop for cummax's tie and NaN rule: values, dtype, shape and device, every dim, non-contiguous
inputs, 0-d / size-0 / size-1 shapes, both kernels (`lines` and `tiles`, one chunk and several), the CPU's
errors, and gradients (CUDA against CPU).

Shapes stay at a few dozen elements (the simulator runs every GPU thread as a Python thread); the tiles tests
lower the module's thresholds so that short lines take the block-scan path.
"""

from __future__ import annotations

import numpy as np
import pytest
from cuda_util import check, pair, to_cuda

import ntorch as nt

F16, F32, F64, I32, I64, I8, U8, BOOL = (nt.float16, nt.float32, nt.float64, nt.int32, nt.int64, nt.int8,
                                        nt.uint8, nt.bool)
FLOATS = [F32, F64, F16]
ALL = [F32, F64, F16, I64, I32, I8, U8, BOOL]
TOL = {F16: 2e-3, F32: 2e-6, F64: 1e-12}
OPS = ["cumsum", "cumprod", "logcumsumexp"]


def rand(shape, dt, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dt is BOOL:
        return rng.random(shape) > 0.5
    if dt.is_floating_point:
        return rng.uniform(-2, 2, shape).astype(dt.np)
    lo = 0 if dt is U8 else -3
    return rng.integers(lo, 4, shape).astype(dt.np)


def ref_cumext(a: np.ndarray, axis: int, is_max: bool):
    """cummax/cummin by a loop: a NaN takes over (each new NaN too), ties go to the later index."""
    a = np.moveaxis(a, axis, -1)
    vals, idx = np.empty_like(a), np.zeros(a.shape, np.int64)
    for pos in np.ndindex(a.shape[:-1]):
        best, bi = None, 0
        for k, v in enumerate(a[pos]):
            if best is None or v != v or (best == best and (v >= best if is_max else v <= best)):
                best, bi = v, k
            vals[pos + (k,)], idx[pos + (k,)] = best, bi
    return np.moveaxis(vals, -1, axis), np.moveaxis(idx, -1, axis)


@pytest.fixture
def tiles(monkeypatch):
    """Force the block-scan kernel: every line longer than 1 takes `tiles`; returns a setter for CHUNK."""
    from ntorch.kernels.cuda import scan as S

    monkeypatch.setattr(S, "SERIAL_N", 1)
    monkeypatch.setattr(S, "SERIAL_LINES", 1 << 30)

    def chunk(n):
        monkeypatch.setattr(S, "CHUNK", n)

    return chunk


# -- forward -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("op", "dt"), [(op, dt) for op in OPS for dt in ALL
                                         if op != "logcumsumexp" or dt.is_floating_point])  # (its error: below)
def test_scans_match_cpu(op, dt):
    a = rand((3, 4, 5), dt, seed=1)
    if op == "cumprod" and dt.is_floating_point:
        a = (a / 2 + np.sign(a) * 0.75).astype(dt.np)  # magnitudes near 1: no overflow in float16
    for layout in ("contiguous", "transposed", "stepped", "expanded"):
        cpu, dev = pair(a, layout)
        for d in (0, 1, 2, -1):
            check(getattr(dev, op)(d), getattr(cpu, op)(d), TOL.get(dt), f"{op} {dt} {layout} dim {d}")


@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize("dt", ALL)
def test_cumext_match_cpu_and_reference(op, dt):
    a = rand((3, 6, 4), dt, seed=2)
    if dt.is_floating_point:
        a = np.round(a).astype(dt.np)  # ties
        a[0, 2, 1] = a[1, 4, 3] = a[2, 0, 0] = np.nan
        a[0, 4, 1] = np.nan  # a second NaN takes over
        a[1, :, 0] = -np.inf
        a[2, :, 2] = np.inf
    for layout in ("contiguous", "transposed", "stepped"):
        cpu, dev = pair(a, layout)
        for d in (0, 1, 2):
            got, want = getattr(dev, op)(d), getattr(cpu, op)(d)
            check(got.values, want.values, msg=f"{op} {dt} {layout} values dim {d}")
            check(got.indices, want.indices, msg=f"{op} {dt} {layout} indices dim {d}")
            if layout == "contiguous":
                rv, ri = ref_cumext(a, d, op == "cummax")
                np.testing.assert_array_equal(got.values.cpu().numpy(), rv)
                np.testing.assert_array_equal(got.indices.cpu().numpy(), ri)


@pytest.mark.parametrize("shape", [(), (0,), (1,), (4, 0), (0, 3), (1, 1), (7,)])
def test_small_shapes(shape):
    a = rand(shape, F32, seed=3)
    cpu, dev = nt.from_numpy(a.copy()), to_cuda(nt.from_numpy(a.copy()))
    dims = range(-len(shape), len(shape)) if shape else (0, -1)
    for d in dims:
        for op in OPS:
            check(getattr(dev, op)(d), getattr(cpu, op)(d), TOL[F32], f"{op} {shape} dim {d}")
        for op in ("cummax", "cummin"):
            got, want = getattr(dev, op)(d), getattr(cpu, op)(d)
            check(got.values, want.values, msg=f"{op} {shape}")
            check(got.indices, want.indices, msg=f"{op} {shape}")


def test_exact_sums_and_integer_wrap():
    """Integer scans are exact and wrap as int64 does; float32 sums round the float64 running sum once."""
    big = np.array([2**62, 2**62, 2**62, -5], np.int64)
    cpu, dev = nt.from_numpy(big.copy()), to_cuda(nt.from_numpy(big.copy()))
    check(dev.cumsum(0), cpu.cumsum(0))
    check(dev.cumprod(0), cpu.cumprod(0))
    f = np.array([1e8, 1.0, 1.0, 1.0, -1e8, 0.5], np.float32)
    cpu, dev = nt.from_numpy(f.copy()), to_cuda(nt.from_numpy(f.copy()))
    check(dev.cumsum(0), cpu.cumsum(0))
    np.testing.assert_array_equal(dev.cumsum(0).cpu().numpy(), np.cumsum(f.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize(("op", "dt"), [(op, dt) for op in OPS + ["cummax", "cummin"] for dt in (F32, I64, F16, BOOL)
                                         if op != "logcumsumexp" or dt.is_floating_point])
@pytest.mark.parametrize("chunk", [None, 37])
def test_tiles_kernel(tiles, op, dt, chunk):
    """The block scan on lines longer than a tile (64 elements under the simulator): one chunk per line along
    the last dim, or chunks of 37 elements (a carry between them, tiles cut short) along a middle dim."""
    tiles(chunk)
    a = rand((2, 100), dt, seed=4)
    if op == "cumprod" and dt.is_floating_point:
        a = np.where(np.abs(a) < 0.5, 1.0, np.sign(a)).astype(dt.np)
    if op in ("cummax", "cummin") and dt.is_floating_point:
        a = np.round(a).astype(dt.np)
        a[0, 50] = a[0, 80] = np.nan
        a[1, :70] = -np.inf if op == "cummax" else np.inf
    layout, d = ("contiguous", 1) if chunk is None else ("transposed", 0)
    src = a if d == 1 else np.ascontiguousarray(a.T)
    cpu, dev = pair(src, layout)
    got, want = getattr(dev, op)(d), getattr(cpu, op)(d)
    if op in ("cummax", "cummin"):
        check(got.values, want.values, msg=f"{op} {dt} {layout}")
        check(got.indices, want.indices, msg=f"{op} {dt} {layout}")
    else:
        check(got, want, TOL.get(dt), f"{op} {dt} {layout} chunk {chunk}")


def test_plan_chooses_by_shape(monkeypatch):
    from ntorch.kernels.cuda import scan as S

    monkeypatch.setattr(S, "CHUNK", None)
    assert S.plan(4, S.SERIAL_N, 1)[0] == "lines"  # short lines
    assert S.plan(S.SERIAL_LINES, 10 * S.SERIAL_N, 1)[0] == "lines"  # many lines
    kernel, nchunk, csz = S.plan(1, 100_000, 1)  # one long line: the block scan, in chunks that cover it
    assert kernel == "tiles" and nchunk >= 1 and (nchunk - 1) * csz < 100_000 <= nchunk * csz
    monkeypatch.setattr(S, "CHUNK", 1000)
    assert S.plan(2, 100_000, 3) == ("tiles", 100, 1000)


# -- dtype=, out=, in-place ----------------------------------------------------------------------------------

def test_dtype_out_and_inplace():
    a = rand((3, 5), I32, seed=5)
    cpu, dev = pair(a)
    check(dev.cumsum(1), cpu.cumsum(1))  # int32 -> int64
    check(dev.cumsum(1, dtype=F64), cpu.cumsum(1, dtype=F64))
    check(dev.cumprod(0, dtype=F32), cpu.cumprod(0, dtype=F32))
    check(nt.cumsum(pair(rand((4,), BOOL))[1], 0), nt.cumsum(pair(rand((4,), BOOL))[0], 0))
    out_c, out_d = nt.empty(0, dtype=I64), nt.empty(0, dtype=I64).cuda()
    nt.cumsum(cpu, 0, out=out_c)
    res = nt.cumsum(dev, 0, out=out_d)
    assert res is out_d
    check(out_d, out_c)
    f = rand((3, 5), F32, seed=6)
    cf, df = pair(f)
    o_c, o_d = nt.empty((3, 5)), nt.empty((3, 5)).cuda()
    nt.logcumsumexp(cf, 1, out=o_c)
    nt.logcumsumexp(df, 1, out=o_d)
    check(o_d, o_c, TOL[F32])
    for op in ("cumsum_", "cumprod_"):
        x_c, x_d = pair(f)
        x_d = x_d.clone()
        view_d = x_d[:, 1:]  # in place through a non-contiguous view writes the base
        view_c = x_c[:, 1:]
        assert getattr(view_d, op)(1) is view_d
        getattr(view_c, op)(1)
        check(x_d, x_c, TOL[F32], op)
    i_c, i_d = pair(a)
    i_d = i_d.clone()
    i_d.cumsum_(0)
    i_c.cumsum_(0)
    check(i_d, i_c)  # int32 in place stays int32


def test_errors_match_cpu():
    cpu, dev = pair(rand((2, 3), F32))
    for t in (cpu, dev):
        with pytest.raises(IndexError, match="Dimension out of range"):
            t.cumsum(2)
        with pytest.raises(TypeError, match="argument 'dim' must be int"):
            t.cummax(1.0)
    ic, idev = pair(rand((3,), I64))
    for t in (ic, idev):
        with pytest.raises(NotImplementedError, match="logcumsumexp_out_cpu"):
            t.logcumsumexp(0)
    with pytest.raises(RuntimeError, match="Expected out tensor to have device"):
        nt.cumsum(dev, 0, out=nt.empty((2, 3)))
    g = dev.clone().requires_grad_()
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        nt.cumsum(g, 0, out=nt.empty((2, 3)).cuda())


# -- backward ------------------------------------------------------------------------------------------------

def _grads(f, a: np.ndarray, layout="contiguous", create_graph=False):
    """(CPU grad, CUDA grad) of sum(f(x) * w) for a fixed weight w."""
    cpu, dev = pair(a, layout)
    w = np.random.default_rng(9).uniform(-1, 1, a.shape).astype(a.dtype)
    out = []
    for x, wt in ((cpu, nt.from_numpy(w.copy())), (dev, to_cuda(nt.from_numpy(w.copy())))):
        x = x.detach().requires_grad_()
        (f(x) * wt).sum().backward(create_graph=create_graph)
        out.append(x.grad)
    return out


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cumprod_zeros", "cummax", "cummin", "logcumsumexp"])
def test_backward_matches_cpu(name, dt):
    a = rand((3, 4, 5), dt, seed=7)
    if name.startswith("cumprod"):
        a = (a / 2 + np.sign(a) * 0.75).astype(dt.np)
    if name == "cumprod_zeros":
        a[0, 1, :] = 0
        a[1, 2, 3] = a[1, 3, 3] = 0
        a[2, :, 0] = 0
    if name in ("cummax", "cummin"):
        a = np.round(a).astype(dt.np)  # ties: the gradient goes to the later index
    fns = {
        "cumsum": lambda x, d: x.cumsum(d), "cumprod": lambda x, d: x.cumprod(d),
        "cumprod_zeros": lambda x, d: x.cumprod(d), "cummax": lambda x, d: x.cummax(d).values,
        "cummin": lambda x, d: nt.cummin(x, d)[0], "logcumsumexp": lambda x, d: x.logcumsumexp(d),
    }
    tol = {F16: 1e-2, F32: 1e-5, F64: 1e-12}[dt]
    for layout, d in (("contiguous", 1), ("transposed", 2), ("stepped", 0)):
        gc, gd = _grads(lambda x, d=d: fns[name](x, d), a, layout)
        check(gd, gc, tol, f"{name} {dt} {layout} dim {d}")


def test_backward_0d_and_dtype_and_double():
    for name in ("cumsum", "cumprod", "cummax", "logcumsumexp"):
        f = {"cumsum": lambda x: x.cumsum(0), "cumprod": lambda x: x.cumprod(0),
             "cummax": lambda x: x.cummax(0).values, "logcumsumexp": lambda x: x.logcumsumexp(0)}[name]
        gc, gd = _grads(f, np.array(1.5, np.float32))
        check(gd, gc, 1e-6, f"0-d {name}")
    gc, gd = _grads(lambda x: x.cumsum(1, dtype=F64), rand((2, 3), F32))
    check(gd, gc, 1e-6, "cumsum dtype=")
    a = rand((2, 4), F64, seed=8)
    grads = []
    for x in pair(a):
        x = x.detach().requires_grad_()
        (g,) = nt.autograd.grad((x.cumprod(1) ** 2).sum(), x, create_graph=True)
        g.sum().backward()
        grads.append(x.grad)
    check(grads[1], grads[0], 1e-10, "cumprod double backward")
    a[0, 1] = 0  # with a zero, create_graph takes the composite formula (its own backward needs prod's on CUDA)
    firsts = []
    for x in pair(a):
        x = x.detach().requires_grad_()
        (g,) = nt.autograd.grad((x.cumprod(1) ** 2).sum(), x, create_graph=True)
        assert g.requires_grad
        firsts.append(g.detach())
    check(firsts[1], firsts[0], 1e-10, "cumprod create_graph with zeros")
