"""Sorting and selection ops on CUDA tensors against the same ops on CPU tensors (the oracle: the CPU path is
tested against NumPy and reference loops in tests/test_sorting.py), plus NumPy's stable sort where it applies:
values, indices, dtype, shape and device of every result for every dtype, ties, NaN, +-0 and +-inf, 0-d,
size-0, size-1 and odd shapes, rows longer than a shared-memory tile (the multi-pass merge), non-contiguous
inputs, every dim, the CPU's errors, and gradients (CUDA against CPU).

Shapes stay at a few dozen elements: the simulator runs every GPU thread as a Python thread (and sorts in tiles
of 16, so 17 elements already take the multi-pass path).
"""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt

F16, F32, F64, I8, I16, I32, I64, U8, BOOL = (nt.float16, nt.float32, nt.float64, nt.int8, nt.int16, nt.int32,
                                              nt.int64, nt.uint8, nt.bool)
ALL = [F32, F64, F16, I64, I32, I16, I8, U8, BOOL]
NUMERIC = [F32, F64, F16, I64, I32, U8]


# -- helpers ------------------------------------------------------------------------------------------------

def values(shape, dt, seed=0) -> np.ndarray:
    """Host values with many ties; floats also get NaN, +-0.0 and +-inf where there is room."""
    rng = np.random.default_rng(seed)
    if dt is BOOL:
        return rng.random(shape) > 0.5
    if not dt.is_floating_point:
        low = 0 if dt is U8 else -4
        return rng.integers(low, low + 8, shape).astype(dt.np)
    a = rng.integers(-4, 4, shape).astype(dt.np) / 2
    flat = a.reshape(-1)
    for i, v in zip(range(0, flat.size, 5), (np.nan, -0.0, np.inf, -np.inf, 0.0, np.nan)):
        flat[i] = v
    return a


def pair(arr: np.ndarray, layout: str = "contiguous"):
    """(CPU tensor, CUDA tensor) with arr's values; the CUDA one in the given memory layout."""
    arr = np.ascontiguousarray(arr)
    if layout == "expanded":  # stride 0 along dim 0: every slice equals the first
        arr = np.ascontiguousarray(np.broadcast_to(arr[:1], arr.shape))
    cpu = nt.from_numpy(arr.copy())
    if layout == "contiguous":
        dev = to_cuda(cpu)
    elif layout == "transposed":
        dev = nt.from_numpy(np.ascontiguousarray(np.swapaxes(arr, -1, -2))).cuda().transpose(-1, -2)
    elif layout == "stepped":
        big = np.zeros((*arr.shape[:-1], 2 * arr.shape[-1] + 1), arr.dtype)
        big[..., 1::2] = arr
        dev = nt.from_numpy(big).cuda()[..., 1::2]
    else:
        dev = nt.from_numpy(np.ascontiguousarray(arr[:1])).cuda().expand(*arr.shape)
    assert dev.is_cuda and tuple(dev.shape) == arr.shape
    assert layout == "contiguous" or not dev.is_contiguous()
    return cpu, dev


def to_cuda(t: nt.Tensor) -> nt.Tensor:
    return t.reshape(-1).cuda().reshape(tuple(t.shape))


def check(got, want, msg="") -> None:
    """A CUDA result (tensor, or tuple of tensors) equal to the CPU's: device, dtype, shape, exact values."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), msg
        for i, (g, w) in enumerate(zip(got, want)):
            check(g, w, f"{msg}[{i}]")
        return
    assert isinstance(got, nt.Tensor) and got.is_cuda, f"{msg}: result not on CUDA"
    assert got.dtype is want.dtype, f"{msg}: dtype {got.dtype} != {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape), f"{msg}: shape {tuple(got.shape)} != {tuple(want.shape)}"
    np.testing.assert_array_equal(got.cpu().numpy(), want.numpy(), err_msg=msg)


def both(fn, cpu, dev, msg=""):
    check(fn(dev), fn(cpu), msg)


def raises_same(fn, cpu, dev):
    """fn fails on CUDA with the CPU's exception type and message (device names aside)."""
    with pytest.raises(Exception) as want:
        fn(cpu)
    with pytest.raises(type(want.value)) as got:
        fn(dev)
    assert str(got.value).replace("_cuda", "_cpu") == str(want.value)


# -- sort, argsort, msort -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", ALL, ids=str)
def test_sort_every_dtype(dt):
    x = values((3, 7), dt)
    cpu, dev = pair(x)
    both(lambda t: tuple(t.sort()), cpu, dev, "sort")
    both(lambda t: tuple(nt.sort(t, 0, descending=True, stable=True)), cpu, dev, "sort desc dim 0")
    both(lambda t: t.argsort(descending=True), cpu, dev, "argsort desc")
    both(nt.msort, cpu, dev, "msort")
    # NumPy's stable sort (NaN last, -0.0 == 0.0 in input order) is the same order
    v, i = dev.sort()
    np.testing.assert_array_equal(i.cpu().numpy(), np.argsort(x, axis=-1, kind="stable"))
    np.testing.assert_array_equal(v.cpu().numpy(), np.sort(x, axis=-1, kind="stable"))


@pytest.mark.parametrize("shape", [(1, 17), (2, 33)], ids=str)
def test_sort_rows_longer_than_a_tile(shape):
    cpu, dev = pair(values(shape, F32, seed=1))
    both(lambda t: tuple(t.sort()), cpu, dev, "ascending")
    cpu, dev = pair(values(shape, I64, seed=1))
    both(lambda t: tuple(t.sort(descending=True)), cpu, dev, "descending")


@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 0), (0, 4), (1, 1), (5, 1)], ids=str)
def test_sort_small_and_empty(shape):
    cpu, dev = pair(values(shape, F32))
    for d in range(-max(len(shape), 1), max(len(shape), 1)):
        both(lambda t, d=d: tuple(t.sort(d)), cpu, dev, f"dim {d}")
        both(lambda t, d=d: t.argsort(d, descending=True), cpu, dev, f"argsort dim {d}")


@pytest.mark.parametrize("layout", ["transposed", "stepped", "expanded"])
def test_sort_layouts_every_dim(layout):
    cpu, dev = pair(values((2, 3, 4), F32, seed=2), layout)
    for d in range(-3, 3):
        both(lambda t, d=d: tuple(t.sort(d, descending=d % 2 == 0)), cpu, dev, f"{layout} dim {d}")


def test_sort_out_and_errors():
    cpu, dev = pair(values((3, 4), F64))
    vo, io = nt.empty(0, dtype=F64).cuda(), nt.empty(0, dtype=I64).cuda()
    res = nt.sort(dev, 0, out=(vo, io))
    assert res.values is vo and res.indices is io
    check((vo, io), tuple(nt.sort(cpu, 0)))
    raises_same(lambda t: t.sort(2), cpu, dev)
    raises_same(lambda t: t.sort(dim=1.0), cpu, dev)


def test_sort_long_rows_kernel_level(monkeypatch):
    """The tile / global-merge split with a tile of 4 elements: every merge stage crosses blocks."""
    from cuda_util import dev as to_dev
    from ntorch.kernels.cuda import arrays
    from ntorch.kernels.cuda import sort as S

    monkeypatch.setattr(S, "TILE", 4)
    monkeypatch.setattr(S, "THREADS", 2)
    x = np.random.default_rng(3).integers(-5, 5, (3, 27)).astype(np.int64)
    w = S.padded_width(27)
    keys, idx = arrays.empty((3, w), np.int64), arrays.empty((3, w), np.int64)
    S.keys_into(to_dev(x), 0, False, keys, idx)
    S.sort_pairs(keys, idx)
    np.testing.assert_array_equal(idx.copy_to_host()[:, :27], np.argsort(x, axis=1, kind="stable"))
    np.testing.assert_array_equal(keys.copy_to_host()[:, :27], np.sort(x, axis=1))  # int keys are the values


def test_inclusive_scan_levels():
    """The scan's tiles, tile totals and totals of totals (300 elements in tiles of 16: three levels)."""
    from cuda_util import dev as to_dev
    from ntorch.kernels.cuda import arrays
    from ntorch.kernels.cuda import sort as S

    a = np.random.default_rng(4).integers(0, 3, 300).astype(np.int64)
    out = arrays.empty((300,), np.int64)
    assert S.inclusive_scan(to_dev(a), out) == a.sum()
    np.testing.assert_array_equal(out.copy_to_host(), np.cumsum(a))


# -- topk, kthvalue -------------------------------------------------------------------------------------------

def selects(got, want, cpu, dim, msg=""):
    """A CUDA (values, indices) selection with the CPU's values, whose indices pick those values from the input.
    Equal values may come from other indices: the CPU follows ATen's CPU tie order (std::nth_element, its
    quickselect), CUDA keeps index order, as the two torch backends differ too."""
    check(got[0], want[0], msg)
    assert got[1].is_cuda and got[1].dtype is nt.int64 and tuple(got[1].shape) == tuple(want[1].shape), msg
    a = cpu.numpy()
    if a.ndim:
        idx = got[1].cpu().numpy()
        picked = np.take_along_axis(a, idx if idx.ndim == a.ndim else np.expand_dims(idx, dim), dim)
        np.testing.assert_array_equal(picked.reshape(want[0].shape), want[0].numpy(), err_msg=msg)


@pytest.mark.parametrize("dt", NUMERIC, ids=str)
def test_topk_kthvalue(dt):
    cpu, dev = pair(values((4, 6), dt, seed=5))
    for k in (0, 3, 6):
        selects(tuple(dev.topk(k)), tuple(cpu.topk(k)), cpu, -1, f"topk {k}")
        # CUDA sorts the k results even when sorted=False (the CPU keeps std::nth_element's order then)
        selects(tuple(nt.topk(dev, min(k, 4), dim=0, largest=False, sorted=False)),
                tuple(nt.topk(cpu, min(k, 4), dim=0, largest=False)), cpu, 0, f"smallest {k}")
    for k in (1, 4):
        selects(tuple(dev.kthvalue(k)), tuple(cpu.kthvalue(k)), cpu, -1, f"kthvalue {k}")
        selects(tuple(nt.kthvalue(dev, k, 0, keepdim=True)), tuple(nt.kthvalue(cpu, k, 0, keepdim=True)), cpu, 0,
                f"kthvalue {k} dim 0")


def test_topk_kthvalue_shapes_layouts_errors():
    cpu, dev = pair(values((3, 4), F32), "transposed")
    selects(tuple(dev.topk(2, 0)), tuple(cpu.topk(2, 0)), cpu, 0, "transposed")
    cpu, dev = pair(values((2, 19), F32, seed=6), "stepped")
    selects(tuple(dev.topk(5)), tuple(cpu.topk(5)), cpu, -1, "long stepped rows")
    selects(tuple(dev.kthvalue(10)), tuple(cpu.kthvalue(10)), cpu, -1, "long stepped rows")
    cpu, dev = pair(np.array(2.5, np.float32))
    both(lambda t: tuple(t.topk(0)), cpu, dev, "0-d k=0")
    both(lambda t: tuple(t.kthvalue(1)), cpu, dev, "0-d kthvalue")
    cpu, dev = pair(values((0, 3), F32))
    both(lambda t: tuple(t.topk(2)), cpu, dev, "no rows")
    raises_same(lambda t: t.topk(5), *pair(values((2, 4), F32)))
    raises_same(lambda t: t.kthvalue(0), *pair(values((2, 4), F32)))
    raises_same(lambda t: t.kthvalue(1, 0), *pair(values((0, 4), F32)))
    raises_same(lambda t: t.topk(1), *pair(values((2, 4), BOOL)))
    raises_same(lambda t: t.kthvalue(1), *pair(values((2, 4), BOOL)))


# -- median, nanmedian, mode -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", [F32, F16, I64], ids=str)
def test_median_nanmedian(dt):
    x = values((4, 5), dt, seed=7)
    if dt.is_floating_point:
        x[1, :] = np.nan  # an all-NaN row
        x[2, 3] = np.nan
    cpu, dev = pair(x)
    for op in (nt.median, nt.nanmedian):
        both(op, cpu, dev, f"{op.__name__} all")
        both(lambda t, op=op: op(t[3]), cpu, dev, f"{op.__name__} of a NaN-free row")
        both(lambda t, op=op: tuple(op(t, 1)), cpu, dev, f"{op.__name__} dim 1")
        both(lambda t, op=op: tuple(op(t, 0, keepdim=True)), cpu, dev, f"{op.__name__} dim 0 keepdim")
    both(nt.median, *pair(values((0, 3), dt)), "empty")
    raises_same(lambda t: t.median(1), *pair(values((2, 0), dt)))


def test_median_layouts_and_long_rows():
    cpu, dev = pair(values((3, 18), F32, seed=8), "stepped")
    both(lambda t: tuple(t.median(1)), cpu, dev, "stepped long rows")
    both(nt.nanmedian, cpu, dev, "all")
    cpu, dev = pair(values((3, 4), F64, seed=9), "expanded")
    both(lambda t: tuple(t.nanmedian(0)), cpu, dev, "expanded")
    raises_same(lambda t: t.median(), *pair(values((2, 2), BOOL)))


@pytest.mark.parametrize("dt", [F32, F16, I64, I8, BOOL], ids=str)
def test_mode(dt):
    # the CPU follows ATen's CPU mode (std::sort with plain <: NaN unordered, its own tie order); CUDA keeps
    # torch's order with NaN last and ties by index, so compare on NaN-free rows, indices picking the values
    x = values((3, 6), dt, seed=10)
    if dt.is_floating_point:
        x[np.isnan(x)] = 2
    cpu, dev = pair(x)
    for d in (-1, 0):
        selects(tuple(dev.mode(d)), tuple(cpu.mode(d)), cpu, d, f"dim {d}")
        selects(tuple(nt.mode(dev, d, keepdim=True)), tuple(nt.mode(cpu, d, keepdim=True)), cpu, d,
                f"dim {d} keepdim")
    both(lambda t: tuple(t.mode()), *pair(np.array(3, dt.np)), "0-d")
    raises_same(lambda t: t.mode(0), *pair(values((0, 2), dt)))


# -- unique, unique_consecutive --------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", [F32, F64, F16, I64, U8, BOOL], ids=str)
def test_unique_all_elements(dt):
    cpu, dev = pair(values((3, 7), dt, seed=11), "transposed")
    both(lambda t: nt.unique(t), cpu, dev, "unique")
    both(lambda t: nt.unique(t, return_inverse=True, return_counts=True), cpu, dev, "unique inverse counts")
    both(lambda t: nt.unique_consecutive(t, return_inverse=True, return_counts=True), cpu, dev, "consecutive")
    both(lambda t: t.unique(sorted=False, return_counts=True), cpu, dev, "method")
    # NumPy: the values and counts (NaN never equals NaN: each NaN is its own value)
    got, counts = nt.unique(dev, return_counts=True)
    x = values((3, 7), dt, seed=11)
    want = np.sort(x, axis=None)
    keep = np.ones(want.size, bool)
    keep[1:] = (want[1:] != want[:-1]) | np.isnan(want[1:].astype(np.float64))
    np.testing.assert_array_equal(got.cpu().numpy(), want[keep])
    np.testing.assert_array_equal(counts.cpu().numpy(), np.diff(np.append(np.flatnonzero(keep), want.size)))


@pytest.mark.parametrize("shape", [(), (0,), (1,), (40,)], ids=str)
def test_unique_shapes(shape):
    cpu, dev = pair(values(shape, F32, seed=12))
    both(lambda t: nt.unique(t, return_inverse=True, return_counts=True), cpu, dev, "unique")
    both(lambda t: nt.unique_consecutive(t, return_inverse=True, return_counts=True), cpu, dev, "consecutive")


@pytest.mark.parametrize("dt", [F32, BOOL], ids=str)
def test_unique_dim(dt):
    rng = np.random.default_rng(13)
    x = rng.integers(0, 2, (5, 2, 2)).astype(dt.np)
    x[3] = x[0]
    for layout, d in (("contiguous", 0), ("contiguous", -1), ("transposed", 1)):
        cpu, dev = pair(x, layout)
        both(lambda t, d=d: nt.unique(t, dim=d, return_inverse=True, return_counts=True), cpu, dev,
             f"{layout} unique dim {d}")
        both(lambda t, d=d: nt.unique_consecutive(t, dim=d, return_inverse=True, return_counts=True), cpu, dev,
             f"{layout} consecutive dim {d}")
    both(lambda t: nt.unique(t, dim=0, return_counts=True), *pair(np.array(1, dt.np)), "0-d")
    both(lambda t: nt.unique(t, dim=0, return_inverse=True), *pair(np.zeros((0, 3), dt.np)), "0 rows")
    raises_same(lambda t: nt.unique(t, dim=0), *pair(np.zeros((2, 0), dt.np)))
    raises_same(lambda t: nt.unique(t, dim=3), *pair(x))


# -- searchsorted, bucketize ---------------------------------------------------------------------------------

def test_searchsorted_bucketize():
    seq = np.array([-1.0, 0.0, 0.0, 2.5, np.inf], np.float32)
    vals = np.array([[-2.0, 0.0, 1.0], [2.5, np.nan, 9.0]], np.float32)
    (sc, sd), (vc, vd) = pair(seq), pair(vals, "transposed")
    for right in (False, True):
        check(nt.searchsorted(sd, vd, right=right), nt.searchsorted(sc, vc, right=right), f"right={right}")
        check(nt.bucketize(vd, sd, right=right, out_int32=True), nt.bucketize(vc, sc, right=right, out_int32=True))
    check(nt.searchsorted(sd, 0.5, side="right"), nt.searchsorted(sc, 0.5, side="right"), "scalar")
    ic, idv = pair(np.array([0, 3, 3, 7], np.int64))
    check(nt.searchsorted(idv, 3), nt.searchsorted(ic, 3), "int scalar")
    check(nt.searchsorted(idv, vd), nt.searchsorted(ic, vc), "int sequence, float values")
    # N-d sequences with a sorter (the sequence unsorted, the sorter sorts it), and empty rows
    rng = np.random.default_rng(14)
    s2 = rng.permutation(12).reshape(2, 6).astype(np.float64)
    order = np.argsort(s2, axis=1)
    (s2c, s2d), (oc, od) = pair(s2), pair(order)
    (v2c, v2d) = pair(rng.uniform(-1, 12, (2, 4)))
    check(nt.searchsorted(s2d, v2d, sorter=od), nt.searchsorted(s2c, v2c, sorter=oc), "sorter")
    out = nt.empty(0, dtype=I64).cuda()
    assert nt.searchsorted(s2d, v2d, sorter=od, out=out) is out
    check(out, nt.searchsorted(s2c, v2c, sorter=oc), "out")
    zc, zd = pair(np.zeros((2, 0)))
    check(nt.searchsorted(zd, v2d), nt.searchsorted(zc, v2c), "empty rows")


def test_searchsorted_errors():
    (sc, sd), (vc, vd) = pair(np.arange(4.0)), pair(np.ones((2, 2)))
    for fn in (lambda s, v: nt.searchsorted(s, v, side="middle"),
               lambda s, v: nt.searchsorted(s, v, right=True, side="left"),
               lambda s, v: nt.searchsorted(s.reshape(2, 2), v.reshape(4)),
               lambda s, v: nt.searchsorted(s, v, sorter=nt.tensor([0, 1, 2, 3], dtype=I32).to(s.device)),
               lambda s, v: nt.searchsorted(s, v, sorter=nt.tensor([0, 1, 2, 4]).to(s.device)),
               lambda s, v: nt.bucketize(v, s.reshape(2, 2)),
               lambda s, v: nt.searchsorted(s > 1, v > 1)):  # two bools (one is promoted to the other)
        with pytest.raises(Exception) as want:
            fn(sc, vc)
        with pytest.raises(type(want.value), match=None) as got:
            fn(sd, vd)
        assert str(got.value).replace("_cuda", "_cpu") == str(want.value)
    with pytest.raises(RuntimeError, match="boundaries and input value tensors should have same device type"):
        nt.searchsorted(sd, vc)
    with pytest.raises(RuntimeError, match="sorter and boundary tensors should have same device type"):
        nt.searchsorted(sd, vd, sorter=nt.tensor([0, 1, 2, 3]))


# -- histc, bincount -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", [F32, F64, F16], ids=str)
def test_histc(dt):
    x = np.random.default_rng(15).uniform(-2, 3, (4, 5)).astype(dt.np)
    cpu, dev = pair(x, "transposed")
    both(lambda t: nt.histc(t, 7), cpu, dev, "own range")
    both(lambda t: t.histc(4, min=-1, max=1), cpu, dev, "given range")
    both(lambda t: nt.histc(t, 3, min=2, max=2), *pair(np.full(3, 2.0, dt.np)), "one value")
    both(lambda t: nt.histc(t, 3), *pair(np.zeros(0, dt.np)), "empty")
    counts = nt.histc(dev, 5, min=-2, max=3).cpu().numpy()
    np.testing.assert_array_equal(counts, np.histogram(x.astype(np.float64), 5, (-2, 3))[0].astype(dt.np))
    raises_same(lambda t: nt.histc(t, 0), cpu, dev)
    raises_same(lambda t: nt.histc(t, 3, min=2, max=1), cpu, dev)
    raises_same(lambda t: nt.histc(t), *pair(np.array([1.0, np.nan], dt.np)))
    raises_same(lambda t: nt.histc(t), *pair(np.array([1, 2], np.int64)))


@pytest.mark.parametrize("dt", [I64, I32, U8], ids=str)
def test_bincount(dt):
    x = np.array([1, 4, 4, 0, 7, 4], dt.np)
    cpu, dev = pair(x, "stepped")
    both(nt.bincount, cpu, dev, "counts")
    both(lambda t: t.bincount(minlength=10), cpu, dev, "minlength")
    np.testing.assert_array_equal(nt.bincount(dev).cpu().numpy(), np.bincount(x))
    for wdt in (F32, F64, I64):
        wc, wd = pair((np.arange(6) / 2).astype(wdt.np))
        both(lambda t, wc=wc, wd=wd: nt.bincount(t, weights=wd if t.is_cuda else wc), cpu, dev, f"weights {wdt}")
    both(nt.bincount, *pair(np.zeros(0, dt.np)), "empty")
    raises_same(lambda t: nt.bincount(t, minlength=-1), cpu, dev)
    raises_same(lambda t: nt.bincount(t.reshape(2, 3)), cpu, dev)
    raises_same(lambda t: nt.bincount(t, weights=nt.ones(2).to(t.device)), cpu, dev)
    if dt is not U8:
        raises_same(nt.bincount, *pair(np.array([1, -1], dt.np)))


# -- autograd --------------------------------------------------------------------------------------------------

GRADS = {
    "sort": lambda t: t.sort().values,
    "sort_dim0_desc": lambda t: nt.sort(t, 0, descending=True).values,
    "msort": nt.msort,
    "topk": lambda t: t.topk(2).values,
    "topk_smallest_dim0": lambda t: nt.topk(t, 2, dim=0, largest=False).values,
    "kthvalue": lambda t: t.kthvalue(2).values,
    "kthvalue_keepdim_dim0": lambda t: nt.kthvalue(t, 1, 0, keepdim=True).values,
    "median": lambda t: t.median(),
    "median_dim": lambda t: t.median(-1).values,
    "nanmedian": lambda t: t.nanmedian(),
    "nanmedian_dim0": lambda t: nt.nanmedian(t, 0, keepdim=True).values,
    "mode": lambda t: t.mode(0).values,
}


@pytest.mark.parametrize("name", list(GRADS))
def test_backward_matches_cpu(name):
    fn = GRADS[name]
    rng = np.random.default_rng(16)
    x = (rng.integers(0, 3, (3, 4)) / 2).astype(np.float64)  # ties: the gradient goes to the returned index
    if name.startswith(("topk", "kthvalue")):  # their CPU tie order is ATen's CPU one, CUDA's is index order
        x = rng.permutation(12).reshape(3, 4) / 2
    if name.startswith("nanmedian"):
        x[1, 2] = np.nan
    for dt in (F64, F32):
        xc = nt.from_numpy(x.astype(dt.np)).requires_grad_()
        xd = pair(x.astype(dt.np), "transposed")[1].detach().requires_grad_()
        yc, yd = fn(xc), fn(xd)
        w = rng.uniform(-1, 1, tuple(yc.shape)).astype(dt.np)
        (yc * nt.from_numpy(w)).sum().backward()
        (yd * to_cuda(nt.from_numpy(w))).sum().backward()
        assert xd.grad.is_cuda and xd.grad.dtype is dt
        np.testing.assert_allclose(xd.grad.cpu().numpy(), xc.grad.numpy(), rtol=1e-6, atol=1e-6, err_msg=name)


def test_double_backward():
    """create_graph through sort: the first gradient is a scatter_add, whose own backward is a gather."""
    x = np.array([[3.0, 1.0, 2.0], [0.5, 2.5, 1.5]])
    res = []
    for t in (nt.from_numpy(x).requires_grad_(), to_cuda(nt.from_numpy(x)).requires_grad_()):
        w = to_cuda(nt.from_numpy(np.arange(6.0).reshape(2, 3))) if t.is_cuda else nt.from_numpy(
            np.arange(6.0).reshape(2, 3))
        v = w.detach().requires_grad_()
        (g,) = nt.autograd.grad((t.sort(1).values * v).sum(), t, create_graph=True)
        (g * g).sum().backward()
        res.append((g.detach().cpu().numpy(), v.grad.cpu().numpy()))
    np.testing.assert_array_equal(res[1][0], res[0][0])
    np.testing.assert_array_equal(res[1][1], res[0][1])
