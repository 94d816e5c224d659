"""Pooling against NumPy sliding-window references (np.lib.stride_tricks) and plain loops for adaptive windows.

Max pooling: first largest value wins, a NaN wins over everything (the last NaN of the window), indices are flat
positions in the input plane. Average pooling: divisor from the window clipped to the padded input
(count_include_pad) or to the input, or divisor_override.
"""

import math
import re

import numpy as np
import pytest
from conftest import random_array

import ntorch as nt
import ntorch.nn.functional as F

MAX_DTYPES = [nt.uint8, nt.int8, nt.int16, nt.int32, nt.int64, nt.float16, nt.float32, nt.float64]


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _out_len(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows(a, k, s, p, d, ceil_mode, fill, past_fill=None):
    """(..., H, W) -> (..., OH, OW, kh*kw) windows of `a` padded with `fill`, and past the padding (the ceil-mode
    edge windows) with `past_fill` (default: `fill`)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (k, s, p, d))
    h, w = a.shape[-2:]
    oh, ow = _out_len(h, kh, sh, ph, dh, ceil_mode), _out_len(w, kw, sw, pw, dw, ceil_mode)
    extra_h = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - (h + 2 * ph))
    extra_w = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - (w + 2 * pw))
    lead = [(0, 0)] * (a.ndim - 2)
    ap = np.pad(a, lead + [(ph, ph), (pw, pw)], constant_values=fill)
    ap = np.pad(ap, lead + [(0, extra_h), (0, extra_w)], constant_values=fill if past_fill is None else past_fill)
    win = np.lib.stride_tricks.sliding_window_view(ap, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(-2, -1))
    win = win[..., :oh * sh:sh, :ow * sw:sw, ::dh, ::dw][..., :oh, :ow, :, :]
    return win.reshape(win.shape[:-2] + (kh * kw,))


def ref_max_pool(a, k, s, p, d, ceil_mode):
    """Values and flat indices: first maximum, or the last NaN of the window."""
    low = -np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).min
    vals = _windows(a, k, s, p, d, ceil_mode, low)
    flat = np.arange(a.shape[-2] * a.shape[-1]).reshape(a.shape[-2:])
    idx = _windows(np.broadcast_to(flat, a.shape), k, s, p, d, ceil_mode, -1)
    # the first cell inside the input holding the window's largest value (a window of -inf keeps its first cell)
    best = np.where(idx >= 0, vals, low).max(-1, keepdims=True)
    arg = np.argmax((idx >= 0) & (vals == best), axis=-1)
    if a.dtype.kind == "f":
        nan = np.isnan(vals)
        last_nan = vals.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
        arg = np.where(nan.any(-1), last_nan, arg)
    return np.take_along_axis(vals, arg[..., None], -1)[..., 0], np.take_along_axis(idx, arg[..., None], -1)[..., 0]


def ref_avg_pool(a, k, s, p, ceil_mode, count_include_pad, divisor_override):
    sums = _windows(a.astype(np.float64), k, s, p, 1, ceil_mode, 0).sum(-1)
    ones = np.ones(a.shape[-2:])
    inside = _windows(ones, k, s, p, 1, ceil_mode, 0).sum(-1)
    in_pad = _windows(ones, k, s, p, 1, ceil_mode, 1, past_fill=0).sum(-1)  # window cells inside the padded input
    if divisor_override:
        div = divisor_override
    else:
        div = in_pad if count_include_pad else inside
    return sums, div


def _check_float(got, ref, dt, msg=""):
    tol = {nt.float16: 2e-3, nt.float32: 1e-5, nt.float64: 1e-12}[dt]
    np.testing.assert_allclose(got.numpy().astype(np.float64), ref, rtol=tol, atol=tol, equal_nan=True, err_msg=msg)


# kernel, stride, padding, dilation, ceil_mode
MAX_ARGS = [(2, None, 0, 1, False), (2, 2, 0, 1, True), (3, 2, 1, 1, False),
            ((3, 2), (2, 1), (1, 1), (2, 1), True), (3, 2, 1, 1, True),
            (2, 1, 0, 2, False), ((1, 3), 1, (0, 1), 1, False), (4, 3, 2, 1, True)]


@pytest.mark.parametrize("args", MAX_ARGS)
def test_max_pool2d_values_and_indices(rng, args):
    k, s, p, d, ceil_mode = args
    x = random_array(rng, (2, 3, 7, 8), nt.float32)
    x[0, 0, 1, 1] = np.nan
    x[1, 2, 3, 4:6] = np.nan
    x[0, 1, :2, :2] = 1.0  # ties: the first maximum wins
    ref_v, ref_i = ref_max_pool(x, k, s if s is not None else k, p, d, ceil_mode)
    v, i = F.max_pool2d(nt.from_numpy(x), k, s, p, d, ceil_mode, return_indices=True)
    assert i.dtype is nt.int64
    np.testing.assert_array_equal(v.numpy(), ref_v)
    np.testing.assert_array_equal(i.numpy(), ref_i)
    np.testing.assert_array_equal(F.max_pool2d(nt.from_numpy(x), k, s, p, d, ceil_mode).numpy(), ref_v)
    v3 = F.max_pool2d(nt.from_numpy(x[0]), k, s, p, d, ceil_mode)  # unbatched
    np.testing.assert_array_equal(v3.numpy(), ref_v[0])


@pytest.mark.parametrize("dt", MAX_DTYPES)
def test_max_pool2d_every_dtype(rng, dt):
    x = random_array(rng, (2, 2, 5, 6), dt, -50, 50)
    ref_v, ref_i = ref_max_pool(x, 3, 2, 1, 1, True)
    v, i = F.max_pool2d(nt.from_numpy(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    assert v.dtype is dt
    np.testing.assert_array_equal(v.numpy(), ref_v)
    np.testing.assert_array_equal(i.numpy(), ref_i)
    np.testing.assert_array_equal(F.max_pool2d(nt.from_numpy(x), 2).numpy(), ref_max_pool(x, 2, 2, 0, 1, False)[0])


def test_max_pool_layouts_and_special_values(rng):
    x = random_array(rng, (2, 4, 6, 6), nt.float64)
    ref = ref_max_pool(x, 2, 2, 0, 1, False)[0]
    channels_last = nt.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    stepped = nt.from_numpy(np.repeat(x, 2, axis=-1))[..., ::2]
    expanded = nt.from_numpy(x[:1].copy()).expand(2, 4, 6, 6)
    for t, r in ((channels_last, ref), (stepped, ref), (expanded, np.repeat(ref[:1], 2, 0))):
        np.testing.assert_array_equal(F.max_pool2d(t, 2).numpy(), r)
    v, i = F.max_pool2d(nt.full((1, 1, 2, 2), -math.inf), 2, return_indices=True)
    assert v.item() == -math.inf and i.item() == 0
    assert tuple(F.max_pool2d(nt.zeros(0, 3, 4, 4), 2).shape) == (0, 3, 2, 2)
    # 1x1 input planes with padding: the windows see one value each
    np.testing.assert_array_equal(F.max_pool2d(nt.ones(1, 2, 1, 1), 3, 1, 1).numpy(), np.ones((1, 2, 1, 1)))


def test_max_pool1d(rng):
    x = random_array(rng, (2, 3, 9), nt.float32)
    x[1, 1, 4] = np.nan
    for k, s, p, d, ceil_mode in [(2, None, 0, 1, False), (3, 2, 1, 2, True), (4, 3, 2, 1, True)]:
        ref_v, ref_i = ref_max_pool(x[:, :, None, :], (1, k), (1, s or k), (0, p), (1, d), ceil_mode)
        v, i = F.max_pool1d(nt.from_numpy(x), k, s, p, d, ceil_mode, True)
        np.testing.assert_array_equal(v.numpy(), ref_v[:, :, 0])
        np.testing.assert_array_equal(i.numpy(), ref_i[:, :, 0])
        np.testing.assert_array_equal(F.max_pool1d(nt.from_numpy(x[0]), k, s, p, d, ceil_mode).numpy(),
                                      ref_v[0, :, 0])


# kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
AVG_ARGS = [(2, None, 0, False, True, None), (3, 2, 1, False, True, None), ((3, 2), (2, 1), (1, 1), True, True, None),
            (3, 2, 1, True, False, None), (3, 2, 1, False, False, 5), (2, 2, 0, False, True, 3),
            (3, 2, 1, True, True, None), (2, 2, 0, True, True, None), (3, 2, 1, False, True, -3)]


@pytest.mark.parametrize("args", AVG_ARGS)
def test_avg_pool2d(rng, args):
    k, s, p, ceil_mode, cip, div = args
    x = random_array(rng, (2, 3, 7, 8), nt.float64)
    sums, divisor = ref_avg_pool(x, k, s or k, p, ceil_mode, cip, div)
    for dt in (nt.float32, nt.float64, nt.float16):
        got = F.avg_pool2d(nt.tensor(x, dtype=dt), k, s, p, ceil_mode, cip, div)
        assert got.dtype is dt
        _check_float(got, sums / divisor, dt, f"{args} {dt}")
    xi = random_array(rng, (2, 3, 7, 8), nt.int64, -100, 100)
    isums, idiv = ref_avg_pool(xi, k, s or k, p, ceil_mode, cip, div)
    got = F.avg_pool2d(nt.from_numpy(xi), k, s, p, ceil_mode, cip, div)
    assert got.dtype is nt.int64
    np.testing.assert_array_equal(got.numpy(), np.trunc(isums / idiv).astype(np.int64))  # C++ division truncates


def test_avg_pool_layouts_1d_and_nan(rng):
    x = random_array(rng, (2, 4, 6, 6), nt.float32)
    ref = ref_avg_pool(x, 2, 2, 0, False, True, None)
    stepped = nt.from_numpy(np.repeat(x, 2, axis=-1))[..., ::2]
    _check_float(F.avg_pool2d(stepped, 2), ref[0] / ref[1], nt.float32)
    x1 = random_array(rng, (2, 3, 9), nt.float32)
    for k, s, p, ceil_mode, cip in [(2, None, 0, False, True), (3, 2, 1, True, False), (4, 3, 2, True, True)]:
        sums, div = ref_avg_pool(x1[:, :, None, :], (1, k), (1, s or k), (0, p), ceil_mode, cip, None)
        _check_float(F.avg_pool1d(nt.from_numpy(x1), k, s, p, ceil_mode, cip), (sums / div)[:, :, 0], nt.float32)
    x[0, 0, 0, 0] = np.nan
    assert math.isnan(F.avg_pool2d(nt.from_numpy(x), 2)[0, 0, 0, 0].item())


def _adaptive_ref(x, osz, reduce):
    h, w = x.shape[-2:]
    oh, ow = osz
    out = np.empty(x.shape[:-2] + (oh, ow))
    for oy in range(oh):
        ys, ye = (oy * h) // oh, -(-((oy + 1) * h) // oh)
        for ox in range(ow):
            xs, xe = (ox * w) // ow, -(-((ox + 1) * w) // ow)
            out[..., oy, ox] = reduce(x[..., ys:ye, xs:xe].astype(np.float64).reshape(x.shape[:-2] + (-1,)))
    return out


@pytest.mark.parametrize("osz", [1, 3, (2, 5), (None, 3), 8, (7, 9), (0, 2)])
def test_adaptive_pool2d(rng, osz):
    x = random_array(rng, (2, 3, 7, 8), nt.float32)
    x[1, 1, 2, 3] = np.nan
    full = tuple(osz) if isinstance(osz, tuple) else (osz, osz)
    full = tuple(x.shape[2 + i] if v is None else v for i, v in enumerate(full))
    avg = F.adaptive_avg_pool2d(nt.from_numpy(x), osz)
    _check_float(avg, _adaptive_ref(x, full, lambda a: a.mean(-1)), nt.float32)
    v, i = F.adaptive_max_pool2d(nt.from_numpy(x), osz, return_indices=True)
    ref_v = _adaptive_ref(x, full, lambda a: np.where(np.isnan(a).any(-1), np.nan, a.max(-1) if a.size else 0))
    _check_float(v, ref_v, nt.float32)
    # the index points at the value (or at a NaN)
    if i.numel():
        picked = np.take_along_axis(x.reshape(2, 3, -1), i.numpy().reshape(2, 3, -1), -1).reshape(v.shape)
        np.testing.assert_array_equal(picked, v.numpy())
    for dt in (nt.float64, nt.float16):
        _check_float(F.adaptive_avg_pool2d(nt.tensor(x, dtype=dt), osz), _adaptive_ref(x.astype(dt.np), full,
                     lambda a: a.mean(-1)), dt)


def test_adaptive_pool1d_and_layouts(rng):
    x = random_array(rng, (2, 3, 10), nt.float64)
    for o in (1, 3, 4, 10, 13):
        _check_float(F.adaptive_avg_pool1d(nt.from_numpy(x), o),
                     _adaptive_ref(x[:, :, None, :], (1, o), lambda a: a.mean(-1))[:, :, 0], nt.float64)
        v, i = F.adaptive_max_pool1d(nt.from_numpy(x), o, return_indices=True)
        _check_float(v, _adaptive_ref(x[:, :, None, :], (1, o), lambda a: a.max(-1))[:, :, 0], nt.float64)
        np.testing.assert_array_equal(np.take_along_axis(x, i.numpy(), -1), v.numpy())
    x4 = random_array(rng, (2, 4, 6, 6), nt.float32)
    channels_last = nt.from_numpy(np.ascontiguousarray(x4.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    _check_float(F.adaptive_avg_pool2d(channels_last, 1), x4.astype(np.float64).mean((2, 3), keepdims=True), nt.float32)
    _check_float(F.adaptive_avg_pool2d(nt.from_numpy(x4[0]), (2, 3)),
                 _adaptive_ref(x4[0], (2, 3), lambda a: a.mean(-1)), nt.float32)


def test_max_unpool2d(rng):
    x = random_array(rng, (2, 3, 6, 8), nt.float32)
    v, i = F.max_pool2d(nt.from_numpy(x), 2, return_indices=True)
    up = F.max_unpool2d(v, i, 2)
    expected = np.zeros((2, 3, 48), np.float32)
    np.put_along_axis(expected, i.numpy().reshape(2, 3, -1), v.numpy().reshape(2, 3, -1), -1)
    np.testing.assert_array_equal(up.numpy(), expected.reshape(2, 3, 6, 8))
    up7 = F.max_unpool2d(v, i, 2, output_size=(7, 8))
    assert tuple(up7.shape) == (2, 3, 7, 8)
    _raises(RuntimeError, "Found an invalid max index: 48 (output volumes are of size 6x8)", F.max_unpool2d,
            v, nt.full(tuple(i.shape), 48, dtype=nt.int64), 2)


def test_pool_errors():
    x = nt.zeros(2, 3, 5, 5)
    _raises(RuntimeError, "Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is too small",
            F.max_pool2d, nt.zeros(2, 64, 1, 1), 2)
    _raises(RuntimeError, "Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is too small",
            F.avg_pool2d, nt.zeros(2, 64, 1, 1), 2)
    _raises(RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
            "dilation=1", F.max_pool2d, x, 3, padding=2)
    _raises(RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
            "dilation=1", F.avg_pool2d, x, 3, padding=2)
    _raises(RuntimeError, "stride should not be zero", F.max_pool2d, x, 3, stride=0)
    _raises(RuntimeError, "stride should not be zero", F.max_pool2d, x, 0)
    _raises(RuntimeError, "dilation should be greater than zero, but got dilationH: 0 dilationW: 0", F.max_pool2d, x,
            2, dilation=0)
    _raises(RuntimeError, "pad must be non-negative, but got pad: -1", F.max_pool2d, x, 2, padding=-1)
    _raises(RuntimeError, "non-empty 3D or 4D (batch mode) tensor expected for input", F.max_pool2d, nt.zeros(5, 5), 2)
    _raises(RuntimeError, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
            "[1, 1, 1, 6, 6]", F.avg_pool2d, nt.zeros(1, 1, 1, 6, 6), 2)
    _raises(RuntimeError, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
            "[2, 0, 5, 5]", F.max_pool2d, nt.zeros(2, 0, 5, 5), 2)
    _raises(RuntimeError, "max_pool2d: kernel_size must either be a single int, or a tuple of two ints", F.max_pool2d,
            x, (2, 2, 2))
    _raises(NotImplementedError, "\"max_pool2d\" not implemented for 'Bool'", F.max_pool2d, x.bool(), 2)
    _raises(RuntimeError, "max_pool1d() Invalid computed output size: 0", F.max_pool1d, nt.zeros(2, 3, 1), 2)
    _raises(RuntimeError, "divisor must be not zero", F.avg_pool2d, x, 2, divisor_override=0)
    _raises(NotImplementedError, "\"avg_pool2d\" not implemented for 'Byte'", F.avg_pool2d, x.to(nt.uint8), 2)
    _raises(RuntimeError, "Given input size: (3x1x1). Calculated output size: (3x1x0). Output size is too small",
            F.avg_pool1d, nt.zeros(2, 3, 1), 2)
    _raises(RuntimeError, "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while "
            "checking arguments for avg_pool1d)", F.avg_pool1d, x, 2)
    _raises(RuntimeError, "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
            "received {-1, -1}", F.adaptive_avg_pool2d, x, -1)
    _raises(RuntimeError, "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but "
            "input has sizes [2, 3, 0, 5] with dimension 2 being empty", F.adaptive_avg_pool2d, nt.zeros(2, 3, 0, 5), 2)
    _raises(RuntimeError, "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [5, 5]", F.adaptive_avg_pool2d,
            nt.zeros(5, 5), 2)
    _raises(NotImplementedError, "\"adaptive_max_pool2d\" not implemented for 'Long'", F.adaptive_max_pool2d,
            x.long(), 2)
    assert tuple(F.adaptive_avg_pool2d(nt.zeros(0, 3, 4, 5), 2).shape) == (0, 3, 2, 2)


def test_max_pool2d_large_enough_for_the_parallel_path(rng):
    x = random_array(rng, (4, 16, 48, 48), nt.float32)
    ref_v, ref_i = ref_max_pool(x, 3, 1, 1, 1, False)
    v, i = F.max_pool2d(nt.from_numpy(x), 3, 1, 1, return_indices=True)
    np.testing.assert_array_equal(v.numpy(), ref_v)
    np.testing.assert_array_equal(i.numpy(), ref_i)
    np.testing.assert_array_equal(F.max_pool2d(nt.from_numpy(x), 2).numpy(), ref_max_pool(x, 2, 2, 0, 1, False)[0])


@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
def test_global_average_threaded(rng, dt, monkeypatch):
    """adaptive_avg_pool2d(x, 1) on the threaded plane loop (large inputs; forced here), with a NaN and odd sizes."""
    from ntorch.nn import pooling

    x = random_array(rng, (3, 5, 7, 9), dt)
    x[2, 4, 6, 8] = np.nan
    want = x.astype(np.float64).mean((2, 3), keepdims=True)
    for work in (1, 1 << 40):  # threaded, then serial
        monkeypatch.setattr(pooling, "PARALLEL_WORK", work)
        _check_float(F.adaptive_avg_pool2d(nt.from_numpy(x), 1), want, dt)


# ---------------------------------------------------------------------------------------------
# Stop 19: the row-by-row max pool with indices, the channels-last kernel, the global / tiling adaptive paths and
# their backward kernels, on ties, NaNs, -inf, signed zeros, odd sizes and strided inputs.
# ---------------------------------------------------------------------------------------------


def _special(rng, shape, dt, mode):
    """Inputs that exercise torch's choice of maximum: small integers (ties: the first in scan order wins), NaNs
    (the last NaN of the window wins), -inf everywhere with a few NaNs, and signed zeros (the first zero wins,
    with its sign)."""
    if mode == "ties":
        return rng.integers(-2, 3, shape).astype(dt)
    a = rng.standard_normal(shape).astype(dt)
    if mode == "nan":
        a[rng.random(shape) < 0.08] = np.nan
    elif mode == "neginf":
        a[:] = -np.inf
        a[rng.random(shape) < 0.05] = np.nan
    elif mode == "zeros":
        a = np.where(rng.random(shape) < 0.5, -0.0, 0.0).astype(dt)
    return a


def _same(got, want):
    """Equal values (NaN equal NaN) with the same signs of zero."""
    got = got.numpy() if hasattr(got, "numpy") else got
    np.testing.assert_array_equal(got, want)
    if got.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def _channels_last(a):
    return nt.from_numpy(np.ascontiguousarray(a.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)


def _scatter_ref(g, idx, in_shape):
    """The max-pool gradient: g added at the flat in-plane indices (np.add.at sums repeated indices)."""
    planes = int(np.prod(in_shape[:-2]))
    out = np.zeros((planes, in_shape[-2] * in_shape[-1]), np.float64)
    for p_, (gp, ip) in enumerate(zip(g.reshape(planes, -1), idx.reshape(planes, -1))):
        np.add.at(out[p_], ip, gp)
    return out.reshape(in_shape)


@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
@pytest.mark.parametrize("mode", ["ties", "nan", "neginf", "zeros"])
@pytest.mark.parametrize("args", [(3, 2, 1, 1, False), (2, 2, 0, 1, False), (3, 2, 1, 2, True),
                                  ((3, 2), (1, 2), (1, 0), (1, 2), True), (2, 1, 1, 1, True), (4, 3, 2, 1, True)])
def test_max_pool2d_indices_special_values_and_layouts(rng, dt, mode, args):
    """Values, indices and gradient against the window reference: contiguous, strided and channels-last input
    (the channels-last result, indices and gradient stay channels-last, as torch's)."""
    k, s, p, d, ceil_mode = args
    x = _special(rng, (2, 5, 9, 11), dt.np, mode)
    ref_v, ref_i = ref_max_pool(x, k, s, p, d, ceil_mode)
    g = random_array(rng, ref_v.shape, dt)
    stepped = nt.from_numpy(np.repeat(x, 2, axis=-1))[..., ::2]
    for t in (nt.from_numpy(x), stepped, _channels_last(x)):
        v, i = F.max_pool2d(t, k, s, p, d, ceil_mode, return_indices=True)
        _same(v, ref_v)
        np.testing.assert_array_equal(i.numpy(), ref_i)
        _same(F.max_pool2d(t, k, s, p, d, ceil_mode), ref_v)
        leaf = t.detach().requires_grad_()
        F.max_pool2d(leaf, k, s, p, d, ceil_mode).backward(nt.from_numpy(g))
        _check_float(leaf.grad, _scatter_ref(g, ref_i, x.shape), dt)
        if t.stride(1) == 1:  # channels-last in, channels-last out
            assert v.stride(1) == 1 and i.stride(1) == 1 and leaf.grad.stride(1) == 1


@pytest.mark.parametrize("mode", ["ties", "nan", "neginf", "zeros"])
def test_max_pool1d_and_3d_indices_special_values(rng, mode):
    x = _special(rng, (2, 3, 17), np.float32, mode)
    for k, s, p, d, ceil_mode in [(3, 2, 1, 1, False), (2, 2, 0, 1, True), (3, 1, 1, 2, True)]:
        ref_v, ref_i = ref_max_pool(x[:, :, None, :], (1, k), (1, s), (0, p), (1, d), ceil_mode)
        v, i = F.max_pool1d(nt.from_numpy(x), k, s, p, d, ceil_mode, True)
        _same(v, ref_v[:, :, 0])
        np.testing.assert_array_equal(i.numpy(), ref_i[:, :, 0])
    x3 = _special(rng, (2, 2, 5, 6, 7), np.float64, mode)
    v, i = F.max_pool3d(nt.from_numpy(x3), 3, 2, 1, return_indices=True)
    # the reference: every window of the volume scanned in raster order (first maximum, last NaN)
    dd, hh, ww = x3.shape[2:]
    want_v = np.empty((2, 2, 3, 3, 4))
    want_i = np.empty((2, 2, 3, 3, 4), np.int64)
    for n, c, od, oy, ox in np.ndindex(*want_v.shape):
        best, arg = -np.inf, None
        for z in range(2 * od - 1, 2 * od + 2):
            for y in range(2 * oy - 1, 2 * oy + 2):
                for xx in range(2 * ox - 1, 2 * ox + 2):
                    if 0 <= z < dd and 0 <= y < hh and 0 <= xx < ww:
                        e = x3[n, c, z, y, xx]
                        if arg is None:
                            arg = (z * hh + y) * ww + xx
                        if e > best or e != e:
                            best, arg = e, (z * hh + y) * ww + xx
        want_v[n, c, od, oy, ox], want_i[n, c, od, oy, ox] = x3.reshape(2, 2, -1)[n, c, arg], arg
    _same(v, want_v)
    np.testing.assert_array_equal(i.numpy(), want_i)


@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
@pytest.mark.parametrize("mode", ["ties", "nan", "neginf", "zeros"])
@pytest.mark.parametrize("size_osz", [((14, 14), 1), ((14, 14), 7), ((5, 37), 1), ((1, 1), 1), ((4, 8), (2, 4)),
                                      ((7, 8), (3, 5))])
def test_adaptive_max_pool2d_special_values(rng, dt, mode, size_osz):
    """The global (1, 1) argmax and the plane-tiling windows (a max pool with kernel = stride) choose as a window
    scan: the first maximum, the last NaN; the gradient goes to that index."""
    size, osz = size_osz
    x = _special(rng, (2, 3) + size, dt.np, mode)
    full = (osz, osz) if isinstance(osz, int) else osz
    if size[0] % full[0] == 0 and size[1] % full[1] == 0:
        kernel = (size[0] // full[0], size[1] // full[1])
        ref_v, ref_i = ref_max_pool(x, kernel, kernel, 0, 1, False)
    else:  # uneven windows: the value is the reference's, the index points at it
        ref_v, ref_i = _adaptive_ref(x, full, lambda a: np.where(np.isnan(a).any(-1), np.nan, a.max(-1))), None
    xt = nt.from_numpy(x).requires_grad_()
    v, i = F.adaptive_max_pool2d(xt, osz, return_indices=True)
    if ref_i is None:
        np.testing.assert_array_equal(v.numpy(), ref_v.astype(dt.np))
        ref_i = i.numpy()
        np.testing.assert_array_equal(np.take_along_axis(x.reshape(2, 3, -1), ref_i.reshape(2, 3, -1), -1),
                                      v.numpy().reshape(2, 3, -1))
    else:
        _same(v, ref_v)
        np.testing.assert_array_equal(i.numpy(), ref_i)
    g = random_array(rng, ref_v.shape, dt)
    v.backward(nt.from_numpy(g))
    _check_float(xt.grad, _scatter_ref(g, ref_i, x.shape), dt)


@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.float16])
@pytest.mark.parametrize("size_osz", [((14, 14), 1), ((14, 14), 7), ((6, 9), (2, 3)), ((7, 8), (3, 5)),
                                      ((5, 5), 5), ((1, 1), 1)])
def test_adaptive_avg_pool2d_backward(rng, dt, size_osz):
    """The adjoint: each output's gradient divided by its window's size added over the window (the global fill
    and the tiling-window kernel write g / count itself, rounded once)."""
    size, osz = size_osz
    x = nt.tensor(random_array(rng, (2, 3) + size, nt.float64), dtype=dt, requires_grad=True)
    full = (osz, osz) if isinstance(osz, int) else osz
    g = random_array(rng, (2, 3) + full, dt)
    F.adaptive_avg_pool2d(x, osz).backward(nt.from_numpy(g))
    want = np.zeros((2, 3) + size)
    h, w = size
    for oy in range(full[0]):
        ys, ye = (oy * h) // full[0], -(-((oy + 1) * h) // full[0])
        for ox in range(full[1]):
            xs, xe = (ox * w) // full[1], -(-((ox + 1) * w) // full[1])
            want[..., ys:ye, xs:xe] += g[..., oy, ox, None, None].astype(np.float64) / ((ye - ys) * (xe - xs))
    assert x.grad.dtype is dt
    if h % full[0] == 0 and w % full[1] == 0 and dt is not nt.float16:  # one division per value: exact
        np.testing.assert_array_equal(x.grad.numpy(), want.astype(dt.np))
    _check_float(x.grad, want, dt)
