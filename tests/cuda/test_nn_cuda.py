"""Convolution, pooling, padding and interpolation on CUDA tensors against the same ops on CPU tensors (the CPU
path is tested against NumPy and reference loops elsewhere, so it is the oracle here; a few cases also check a
NumPy loop directly): forward values, dtypes and shapes, the backward of every op (the gradient of sum(y * w) for
a fixed random w), non-contiguous inputs, size-0 batches, and the error cases.

Shapes stay tiny: the simulator runs every GPU thread as a Python thread.
"""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F

F16, F32, F64 = nt.float16, nt.float32, nt.float64
TOL = {F16: 3e-3, F32: 2e-5, F64: 1e-12}


def rand(shape, dt=F32, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dt.is_floating_point:
        return rng.uniform(-2, 2, shape).astype(dt.np)
    return rng.integers(-5, 6, shape).astype(dt.np)


def on_cuda(a: np.ndarray, layout: str = "contiguous") -> nt.Tensor:
    """A CUDA tensor with a's values, in a memory layout made by CUDA view ops."""
    if layout == "contiguous":
        return nt.from_numpy(np.array(a, order="C")).cuda()
    if layout == "transposed":  # last two dims stored swapped
        return nt.from_numpy(np.ascontiguousarray(np.swapaxes(a, -1, -2))).cuda().transpose(-1, -2)
    if layout == "stepped":  # every other element of a longer last dim
        big = np.zeros((*a.shape[:-1], 2 * a.shape[-1] + 1), a.dtype)
        big[..., 1::2] = a
        return nt.from_numpy(big).cuda()[..., 1::2]
    if layout == "expanded":  # stride 0 along dim 0: every entry along it equal to a[0]
        return nt.from_numpy(np.ascontiguousarray(a[:1])).cuda().expand(*a.shape)
    raise ValueError(layout)


def check(got: nt.Tensor, want: nt.Tensor, tol: float | None = None, msg: str = "") -> None:
    assert got.is_cuda, msg
    assert got.dtype is want.dtype, (msg, got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape), (msg, tuple(got.shape), tuple(want.shape))
    g, w = got.cpu().numpy(), want.numpy()
    if tol is None:
        tol = TOL.get(want.dtype, 0)
    if tol == 0:
        np.testing.assert_array_equal(g, w, err_msg=msg)
    else:
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=tol, atol=tol, err_msg=msg)


def compare(fn, arrays, layouts=None, grad=True, tol=None, msg=""):
    """fn on CPU tensors of `arrays` and on CUDA tensors of the same values (layouts per array): every output
    compared, then (grad) the input gradients of sum(out * w) for a random w."""
    layouts = layouts or ["contiguous"] * len(arrays)
    float_in = [a.dtype.kind == "f" for a in arrays]
    if any(lay == "expanded" for lay in layouts):
        arrays = [np.ascontiguousarray(np.broadcast_to(a[:1], a.shape)) if lay == "expanded" else a
                  for a, lay in zip(arrays, layouts)]
    cpu = [nt.from_numpy(np.array(a)) for a in arrays]
    dev = [on_cuda(a, lay) for a, lay in zip(arrays, layouts)]
    if grad:
        for c, d, f in zip(cpu, dev, float_in):
            if f:
                c.requires_grad_(True)
                d.requires_grad_(True)
    want, got = fn(*cpu), fn(*dev)
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    for k, (g, w) in enumerate(zip(got, want)):
        check(g.detach(), w.detach(), tol, f"{msg} output {k}")
    if not grad:
        return got, want
    wts = nt.from_numpy(rand(tuple(want[0].shape), want[0].dtype, seed=7))
    (want[0] * wts).sum().backward()
    (got[0] * wts.cuda()).sum().backward()
    gtol = None if tol is None else 4 * tol
    for k, (c, d) in enumerate(zip(cpu, dev)):
        if c.requires_grad:
            assert d.grad is not None, f"{msg} grad {k}"
            check(d.grad, c.grad, gtol if c.grad.dtype is not F16 else 2e-2, f"{msg} grad {k}")
    return got, want


# -- convolutions ----------------------------------------------------------------------------------------------

CONV2D = [  # (x shape, w shape, bias, kwargs)
    ((2, 4, 5, 6), (6, 4, 3, 2), True, {}),
    ((2, 4, 5, 6), (6, 2, 3, 2), True, dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    ((1, 3, 5, 5), (3, 1, 2, 3), False, dict(padding="same", dilation=2, groups=3)),
    ((2, 2, 4, 5), (3, 2, 2, 2), True, dict(padding="valid", stride=2)),
    ((3, 5, 4), (2, 3, 3, 1), True, dict(padding=1)),  # unbatched
]


@pytest.mark.parametrize("case", range(len(CONV2D)))
def test_conv2d(case):
    xs, ws, bias, kw = CONV2D[case]
    arrays = [rand(xs), rand(ws, seed=1)] + ([rand((ws[0],), seed=2)] if bias else [])
    compare(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, **kw), arrays, msg=f"conv2d {case}")


def test_conv2d_against_numpy_loop():
    x, w, b = rand((1, 2, 4, 5)), rand((3, 2, 2, 3), seed=1), rand((3,), seed=2)
    got = F.conv2d(on_cuda(x), on_cuda(w), on_cuda(b), stride=(1, 2), padding=(1, 1)).cpu().numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = (4 + 2 - 2) + 1, (5 + 2 - 3) // 2 + 1
    want = np.zeros((1, 3, oh, ow))
    for o in range(3):
        for i in range(oh):
            for j in range(ow):
                want[0, o, i, j] = (xp[0, :, i:i + 2, 2 * j:2 * j + 3] * w[o]).sum() + b[o]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", ["transposed", "stepped"])
def test_conv2d_non_contiguous(layout):
    compare(lambda x, w: F.conv2d(x, w, padding=1), [rand((1, 2, 4, 5)), rand((2, 2, 3, 3), seed=1)],
            [layout, layout], msg=layout)


@pytest.mark.parametrize("dt", [F64, F16])
def test_conv2d_dtypes(dt):
    tol = 1e-2 if dt is F16 else None
    compare(lambda x, w, b: F.conv2d(x, w, b, padding=1), [rand((1, 2, 3, 4), dt), rand((3, 2, 2, 2), dt, 1),
                                                          rand((3,), dt, 2)], tol=tol, msg=str(dt))


def test_conv2d_integer_and_empty_batch():
    compare(lambda x, w: F.conv2d(x, w, stride=2), [rand((1, 2, 5, 5), nt.int32), rand((2, 2, 3, 3), nt.int32, 1)],
            grad=False)
    compare(lambda x, w, b: F.conv2d(x, w, b), [rand((0, 2, 4, 4)), rand((3, 2, 2, 2), seed=1), rand((3,), seed=2)])


def test_conv1d():
    compare(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=2, dilation=2, groups=2),
            [rand((2, 4, 9)), rand((4, 2, 3), seed=1), rand((4,), seed=2)], msg="conv1d")
    compare(lambda x, w: F.conv1d(x, w, padding="same"), [rand((2, 7)), rand((3, 2, 4), seed=1)], ["expanded",
                                                                                                "contiguous"])


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1),
                                dict(stride=(1, 2), dilation=2), dict(output_padding=1, dilation=2)])
def test_conv_transpose2d(kw):
    compare(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
            [rand((2, 4, 3, 3)), rand((4, 3, 2, 3), seed=1), rand((3 * kw.get("groups", 1),), seed=2)], msg=str(kw))


def test_conv2d_in_image_blocks(monkeypatch):
    """Images in several blocks (one image per im2col + GEMM step): forward, input and weight gradients."""
    from ntorch.nn import conv

    monkeypatch.setattr(conv, "CUDA_COLS_BYTES", 1)
    compare(lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2),
            [rand((3, 2, 3, 4)), rand((4, 1, 2, 2), seed=1), rand((4,), seed=2)])
    compare(lambda x, w: F.conv_transpose2d(x, w, stride=2), [rand((3, 2, 2, 3)), rand((2, 3, 2, 2), seed=1)])


def test_unfold_fold():
    compare(lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [rand((2, 2, 4, 5))])
    compare(lambda x: F.fold(x, (4, 5), (2, 2), padding=(0, 1), stride=(1, 2)), [rand((2, 8, 9))])
    compare(lambda x: F.unfold(x, 2), [rand((2, 3, 3)) > 0], grad=False)  # bool, unbatched
    compare(lambda x: F.fold(x, (3, 3), 2), [rand((4, 4)) > 0], grad=False)


def test_conv_errors():
    x, w = on_cuda(rand((1, 2, 4, 4))), on_cuda(rand((3, 2, 2, 2)))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.conv2d(x, w.cpu())
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.conv2d(x, w, nt.zeros(3))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.conv_transpose2d(on_cuda(rand((1, 3, 4, 4))), w.cpu())
    for fn in (lambda a, b: F.conv2d(a, b[:, :1]), lambda a, b: F.conv2d(a, b, stride=0),
               lambda a, b: F.conv2d(a, b, padding="same", stride=2), lambda a, b: F.conv2d(a, b.double())):
        with pytest.raises(RuntimeError) as want:
            fn(x.cpu(), w.cpu())
        with pytest.raises(RuntimeError) as got:
            fn(x, w)
        assert str(got.value) == str(want.value)
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        F.conv2d(x > 0, w > 0)


# -- pooling ---------------------------------------------------------------------------------------------------

def _with_ties_and_nans(shape, seed=0) -> np.ndarray:
    """Values with repeated maxima, -inf and NaN (the tie and NaN rules of max pooling)."""
    a = np.round(rand(shape, seed=seed))
    flat = a.reshape(-1)
    flat[3] = np.nan
    flat[7] = np.nan
    flat[10] = -np.inf
    return a


POOLS = [
    ("max2d", lambda x: F.max_pool2d(x, 3, 2, 1, 1, True, True)),
    ("max2d_dil", lambda x: F.max_pool2d(x, (2, 3), (1, 2), (1, 1), (2, 1), False, True)),
    ("max1d", lambda x: F.max_pool1d(x[0], 2, 1, 1, 2, False, True)),
    ("avg2d", lambda x: F.avg_pool2d(x, 3, 2, 1, True, False, None)),
    ("avg2d_div", lambda x: F.avg_pool2d(x, (2, 3), 1, (1, 0), False, True, 5)),
    ("avg1d", lambda x: F.avg_pool1d(x[0], 3, 2, 1, True, True)),
    ("adaptive_avg2d", lambda x: F.adaptive_avg_pool2d(x, (3, 4))),
    ("adaptive_avg2d_global", lambda x: F.adaptive_avg_pool2d(x, 1)),
    ("adaptive_max2d", lambda x: F.adaptive_max_pool2d(x, (4, None), True)),
    ("adaptive_avg1d", lambda x: F.adaptive_avg_pool1d(x[0], 4)),
    ("adaptive_max1d", lambda x: F.adaptive_max_pool1d(x[1], 5, True)),
]


@pytest.mark.parametrize("name", [p[0] for p in POOLS])
def test_pooling(name):
    fn = dict(POOLS)[name]
    x = rand((2, 3, 5, 6)) if "avg" in name else _with_ties_and_nans((2, 3, 5, 6))
    compare(fn, [x], msg=name)


@pytest.mark.parametrize("layout", ["transposed", "stepped", "expanded"])
def test_pooling_non_contiguous(layout):
    x = _with_ties_and_nans((2, 2, 4, 5))
    compare(lambda t: F.max_pool2d(t, 2, 1, return_indices=True), [x], [layout], msg=layout)
    compare(lambda t: F.avg_pool2d(t, 2, 1, 1), [rand((2, 2, 4, 5))], [layout], msg=layout)


def test_max_pool_tie_rule_against_numpy():
    x = np.array([[[1.0, 3.0, 3.0, 0.0], [3.0, np.nan, 2.0, np.nan], [-np.inf, -np.inf, 1.0, 1.0]]], np.float32)
    out, ind = F.max_pool2d(on_cuda(x), (2, 2), stride=1, return_indices=True)
    want_ind = np.empty((1, 2, 3), np.int64)
    for i in range(2):
        for j in range(3):
            best, arg = -np.inf, i * 4 + j
            for y in range(i, i + 2):
                for xx in range(j, j + 2):
                    v = x[0, y, xx]
                    if v > best or np.isnan(v):
                        best, arg = v, y * 4 + xx
            want_ind[0, i, j] = arg
    np.testing.assert_array_equal(ind.cpu().numpy(), want_ind)
    np.testing.assert_array_equal(out.cpu().numpy(), np.take(x.reshape(-1), want_ind))


@pytest.mark.parametrize("dt", [F16, F64, nt.int32, nt.int64, nt.uint8])
def test_pooling_dtypes(dt):
    x = rand((1, 2, 4, 5), dt)
    if dt is nt.uint8:
        x = rand((1, 2, 4, 5), nt.int32).astype(np.uint8)
    tol = 2e-3 if dt is F16 else None
    grad = dt.is_floating_point
    compare(lambda t: F.max_pool2d(t, 2, 1, 1, return_indices=True), [x], grad=grad, tol=tol, msg=str(dt))
    if dt.is_floating_point or dt is nt.int64:
        compare(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), [x], grad=grad,
                tol=tol, msg=str(dt))
    if dt.is_floating_point:
        compare(lambda t: F.adaptive_max_pool2d(t, 3), [x], tol=tol)
        compare(lambda t: F.adaptive_avg_pool2d(t, (2, 3)), [x], tol=tol)


def test_pooling_empty_batch():
    compare(lambda t: F.max_pool2d(t, 2), [rand((0, 2, 4, 4))])
    compare(lambda t: F.avg_pool2d(t, 2), [rand((0, 2, 4, 4))])


def test_max_unpool2d():
    x = rand((2, 2, 4, 6))
    val, ind = F.max_pool2d(nt.from_numpy(x), 2, return_indices=True)
    compare(lambda v, i: F.max_unpool2d(v, i, 2), [val.numpy(), ind.numpy()])
    compare(lambda v, i: F.max_unpool2d(v, i, 2, output_size=(5, 7)), [val.numpy(), ind.numpy()])
    with pytest.raises(RuntimeError, match="Found an invalid max index: 100"):
        F.max_unpool2d(val.cuda(), (ind * 0 + 100).cuda(), 2)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.max_unpool2d(val.cuda(), ind, 2)


def test_pooling_errors():
    x = rand((1, 2, 4, 4))
    for fn in (lambda t: F.max_pool2d(t, 3, padding=2), lambda t: F.avg_pool2d(t, 5),
               lambda t: F.adaptive_avg_pool2d(t, -1), lambda t: F.max_pool2d(t > 0, 2)):
        with pytest.raises(Exception) as want:
            fn(nt.from_numpy(x))
        with pytest.raises(want.type) as got:
            fn(on_cuda(x))
        assert str(got.value) == str(want.value)


def test_double_backward_avg_pool():
    x = rand((1, 1, 4, 4))
    res = []
    for t in (nt.from_numpy(x), on_cuda(x)):
        t.requires_grad_(True)
        y = F.avg_pool2d(t, 2, 1)
        (g,) = nt.autograd.grad((y * y).sum(), t, create_graph=True)
        (gg,) = nt.autograd.grad((g * g).sum(), t)
        res.append(gg)
    check(res[1], res[0])


# -- padding ---------------------------------------------------------------------------------------------------

PADS = [("constant", (1, 2, -1, 1), 1.5), ("constant", (1, 1, 1, 1, 1, 1, 0, 1), 0), ("reflect", (2, 1, 1, 3), None),
        ("replicate", (3, 1, 0, 2), None), ("circular", (2, -1, 1, 3), None), ("replicate", (1, 1, 2, 0, 1, 1), None)]


@pytest.mark.parametrize("case", range(len(PADS)))
def test_pad(case):
    mode, pads, value = PADS[case]
    compare(lambda t: F.pad(t, pads, mode, value), [rand((2, 3, 4, 5))], msg=str(PADS[case]))


@pytest.mark.parametrize("layout", ["transposed", "stepped", "expanded"])
def test_pad_non_contiguous(layout):
    compare(lambda t: F.pad(t, (2, 1, 1, 2), "reflect"), [rand((2, 3, 4, 5))], [layout], msg=layout)
    compare(lambda t: F.pad(t, (1, 2), "circular"), [rand((3, 4, 5))], [layout], msg=layout)


def test_pad_dtypes_and_errors():
    compare(lambda t: F.pad(t, (1, 2, 2, 0), "replicate"), [rand((1, 2, 3, 4), nt.int64)], grad=False)
    compare(lambda t: F.pad(t, (1, 2), "constant", 3), [rand((2, 3), nt.int32)], grad=False)
    compare(lambda t: F.pad(t, (1, 1), "reflect"), [rand((2, 3, 4), F16)], tol=1e-3)
    compare(lambda t: F.pad(t, (1, 1, 1, 1)), [rand((2, 2, 3), F64) > 0], grad=False)
    compare(lambda t: F.pad(t, (1, 1), "reflect"), [rand((0, 3, 4))])
    for fn in (lambda t: F.pad(t, (4, 1), "reflect"), lambda t: F.pad(t, (1,)), lambda t: F.pad(t, (6, 0), "circular"),
               lambda t: F.pad(t > 0, (1, 1), "replicate")):
        with pytest.raises(Exception) as want:
            fn(nt.from_numpy(rand((2, 3, 4))))
        with pytest.raises(want.type) as got:
            fn(on_cuda(rand((2, 3, 4))))
        assert str(got.value) == str(want.value)


# -- interpolate -----------------------------------------------------------------------------------------------

INTERP = [dict(size=(5, 7), mode="nearest"), dict(scale_factor=1.7, mode="nearest-exact"),
          dict(size=(5, 3), mode="bilinear", align_corners=True), dict(scale_factor=(2.5, 0.6), mode="bilinear"),
          dict(scale_factor=0.7, mode="bilinear", recompute_scale_factor=True), dict(size=9, mode="linear", d1=True),
          dict(scale_factor=2, mode="nearest", d1=True), dict(size=2, mode="linear", align_corners=True, d1=True)]


@pytest.mark.parametrize("case", range(len(INTERP)))
def test_interpolate(case):
    kw = dict(INTERP[case])
    shape = (2, 3, 4) if kw.pop("d1", False) else (2, 2, 3, 4)
    compare(lambda t: F.interpolate(t, **kw), [rand(shape)], msg=str(INTERP[case]))


def test_interpolate_layouts_dtypes_errors():
    compare(lambda t: F.interpolate(t, size=(4, 6), mode="bilinear"), [rand((1, 2, 3, 4))], ["transposed"])
    compare(lambda t: F.interpolate(t, scale_factor=2), [rand((2, 2, 3, 3))], ["expanded"])
    compare(lambda t: F.interpolate(t, size=(5, 5), mode="bilinear"), [rand((1, 2, 3, 4), F64)])
    compare(lambda t: F.interpolate(t, size=(5, 5), mode="bilinear"), [rand((1, 2, 3, 4), F16)], tol=2e-3)
    compare(lambda t: F.interpolate(t, size=(3, 7)), [rand((1, 2, 3, 4), nt.int32).astype(np.uint8)], grad=False)
    compare(lambda t: F.interpolate(t, size=(5, 6), mode="bicubic"), [rand((1, 2, 3, 4), F64)], ["transposed"])
    for fn in (lambda t: F.interpolate(t, size=(3, 3), mode="trilinear"), lambda t: F.interpolate(t.long(), size=2),
               lambda t: F.interpolate(t, size=(0, 2)), lambda t: F.interpolate(t, size=2, mode="linear")):
        with pytest.raises(Exception) as want:
            fn(nt.from_numpy(rand((1, 2, 3, 4))))
        with pytest.raises(want.type) as got:
            fn(on_cuda(rand((1, 2, 3, 4))))
        assert str(got.value) == str(want.value)
