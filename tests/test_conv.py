"""conv1d / conv2d / conv_transpose2d / unfold / fold against direct NumPy references in float64.

The references never unfold: conv2d sums, for each kernel offset (i, j), the strided slice of the padded
input times that weight tap; conv_transpose2d scatters each input pixel times each tap; unfold reads
sliding windows (np.lib.stride_tricks); fold adds each column back at its window positions.
"""

import itertools
import re

import numpy as np
import pytest
from conftest import random_array

import ntorch as nt
import ntorch.nn.functional as F

TOL = {nt.float16: 2e-2, nt.float32: 1e-4, nt.float64: 1e-10, nt.int64: 0}


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def ref_conv2d(x, w, b, stride, padding, dilation, groups, pad_after=None):
    """Direct convolution: out[n, o, y, x] = sum over c, i, j of xp[n, c, y*s + i*d, x*s + j*d] * w[o, c, i, j]."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    ah, aw = (ph, pw) if pad_after is None else pad_after
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ah), (pw, aw)))
    n, c, hp, wp = xp.shape
    cout, cg, kh, kw = w.shape
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, cout, oh, ow))
    og = cout // groups
    for g in range(groups):
        xg = xp[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, i, j])
    if b is not None:
        out += b.astype(np.float64)[None, :, None, None]
    return out


def ref_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter: out[n, o, y*s - p + i*d, x*s - p + j*d] += x[n, c, y, x] * w[c, o, i, j]."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(_pair, (stride, padding, output_padding, dilation))
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    buf = np.zeros((n, og * groups, oh + 2 * ph + sh + dh * kh, ow + 2 * pw + sw + dw * kw))
    cg = cin // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                contrib = np.einsum("nchw,co->nohw", x[:, g * cg:(g + 1) * cg], w[g * cg:(g + 1) * cg, :, i, j])
                buf[:, g * og:(g + 1) * og, i * dh:i * dh + (h - 1) * sh + 1:sh,
                    j * dw:j * dw + (wd - 1) * sw + 1:sw] += contrib
    out = buf[:, :, ph:ph + oh, pw:pw + ow]
    if b is not None:
        out = out + b.astype(np.float64)[None, :, None, None]
    return out


def ref_unfold(x, k, d, p, s):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair, (k, d, p, s))
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]  # (n, c, oh, ow, kh, kw)
    n, c, oh, ow = win.shape[:4]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


def ref_fold(cols, out_hw, k, d, p, s):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair, (k, d, p, s))
    h, w = out_hw
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    blocks = cols.astype(np.float64).reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw] += blocks[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w]


def _check(got, ref, dt, msg=""):
    assert got.dtype is dt, msg
    assert tuple(got.shape) == ref.shape, msg
    tol = TOL[dt]
    np.testing.assert_allclose(got.numpy().astype(np.float64), ref, rtol=tol, atol=tol, err_msg=msg)


# (input shape, cout, kernel, stride, padding, dilation, groups)
CONV2D_CASES = [
    ((2, 3, 7, 6), 4, 3, 1, 1, 1, 1),
    ((2, 4, 9, 8), 6, (3, 2), (2, 1), (1, 0), (1, 2), 2),
    ((1, 6, 5, 5), 6, 3, 1, 2, 2, 6),  # depthwise
    ((1, 4, 5, 5), 8, 3, 2, 1, 1, 4),  # depthwise with multiplier 2
    ((3, 8, 5, 4), 5, 1, 1, 0, 1, 1),  # 1x1
    ((2, 3, 5, 5), 4, 3, (2, 3), 0, 1, 1),
    ((2, 2, 1, 9), 3, (1, 4), 3, (0, 2), 1, 1),
    ((1, 2, 4, 4), 3, 4, 1, 0, 1, 1),  # kernel as large as the input
    ((0, 3, 5, 5), 2, 3, 1, 0, 1, 1),  # empty batch
]


@pytest.mark.parametrize("case", CONV2D_CASES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv2d_against_direct_loops(rng, case, with_bias):
    shape, cout, k, s, p, d, g = case
    kh, kw = _pair(k)
    x = random_array(rng, shape, nt.float64)
    w = random_array(rng, (cout, shape[1] // g, kh, kw), nt.float64)
    b = random_array(rng, (cout,), nt.float64) if with_bias else None
    ref = ref_conv2d(x, w, b, s, p, d, g)
    for dt in (nt.float32, nt.float64):
        tb = None if b is None else nt.tensor(b, dtype=dt)
        got = F.conv2d(nt.tensor(x, dtype=dt), nt.tensor(w, dtype=dt), tb, s, p, d, g)
        _check(got, ref, dt, f"{case} {dt}")


def test_conv2d_float16_and_int64(rng):
    x = random_array(rng, (2, 4, 6, 5), nt.float16, -2, 2)
    w = random_array(rng, (6, 2, 3, 3), nt.float16, -2, 2)
    b = random_array(rng, (6,), nt.float16)
    got = F.conv2d(nt.from_numpy(x), nt.from_numpy(w), nt.from_numpy(b), 1, 1, 1, 2)
    _check(got, ref_conv2d(x, w, b, 1, 1, 1, 2), nt.float16)
    xi = random_array(rng, (2, 3, 6, 5), nt.int64)
    wi = random_array(rng, (4, 3, 2, 3), nt.int64)
    bi = random_array(rng, (4,), nt.int64)
    got = F.conv2d(nt.from_numpy(xi), nt.from_numpy(wi), nt.from_numpy(bi), (1, 2), 1)
    _check(got, ref_conv2d(xi, wi, bi, (1, 2), 1, 1, 1), nt.int64)


def test_conv2d_non_contiguous_inputs(rng):
    x = random_array(rng, (2, 4, 7, 6), nt.float32)
    w = random_array(rng, (3, 4, 3, 3), nt.float32)
    ref = ref_conv2d(x, w, None, 1, 1, 1, 1)
    channels_last = nt.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    stepped = nt.from_numpy(np.repeat(x, 2, axis=-1))[..., ::2]
    w_t = nt.from_numpy(np.ascontiguousarray(w.transpose(1, 0, 2, 3))).transpose(0, 1)
    for name, tx in (("channels_last", channels_last), ("stepped", stepped)):
        assert not tx.is_contiguous()
        _check(F.conv2d(tx, nt.from_numpy(w), padding=1), ref, nt.float32, name)
        _check(F.conv2d(tx, w_t, padding=1), ref, nt.float32, name + " weight transposed")
    expanded = nt.from_numpy(x[:1].copy()).expand(3, 4, 7, 6)
    _check(F.conv2d(expanded, nt.from_numpy(w), stride=2), ref_conv2d(np.repeat(x[:1], 3, 0), w, None, 2, 0, 1, 1),
           nt.float32, "expanded")


def test_conv2d_unbatched_and_padding_strings(rng):
    x = random_array(rng, (3, 6, 7), nt.float64)
    w = random_array(rng, (2, 3, 3, 3), nt.float64)
    got = F.conv2d(nt.from_numpy(x), nt.from_numpy(w), padding="same")
    assert tuple(got.shape) == (2, 6, 7)
    _check(got, ref_conv2d(x[None], w, None, 1, 1, 1, 1)[0], nt.float64)
    _check(F.conv2d(nt.from_numpy(x), nt.from_numpy(w), padding="valid"),
           ref_conv2d(x[None], w, None, 1, 0, 1, 1)[0], nt.float64)
    # an even dilated kernel: torch pads one more row / column at the bottom / right
    w4 = random_array(rng, (2, 3, 4, 2), nt.float64)
    got = F.conv2d(nt.from_numpy(x[None]), nt.from_numpy(w4), padding="same", dilation=(1, 3))
    assert tuple(got.shape) == (1, 2, 6, 7)
    _check(got, ref_conv2d(x[None], w4, None, 1, (1, 1), (1, 3), 1, pad_after=(2, 2)), nt.float64)


CONV1D_CASES = [((2, 4, 9), 6, 3, 2, 1, 2, 2), ((1, 3, 5), 2, 5, 1, 0, 1, 1), ((3, 7), 4, 2, 1, 1, 1, 1)]


@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d(rng, case):
    shape, cout, k, s, p, d, g = case
    x = random_array(rng, shape, nt.float32)
    w = random_array(rng, (cout, shape[-2] // g, k), nt.float32)
    b = random_array(rng, (cout,), nt.float32)
    xb = x if x.ndim == 3 else x[None]
    ref = ref_conv2d(xb[:, :, None], w[:, :, None], b, (1, s), (0, p), (1, d), g)[:, :, 0]
    got = F.conv1d(nt.from_numpy(x), nt.from_numpy(w), nt.from_numpy(b), s, p, d, g)
    _check(got, ref if x.ndim == 3 else ref[0], nt.float32)
    same = F.conv1d(nt.from_numpy(x), nt.from_numpy(w), None, 1, "same", d, g)
    assert same.shape[-1] == x.shape[-1]


# (input shape, cout, kernel, stride, padding, output_padding, groups, dilation)
CONVT_CASES = [
    ((2, 4, 5, 5), 3, 3, 1, 0, 0, 1, 1),
    ((2, 4, 5, 6), 6, (3, 2), 2, 1, 1, 2, 1),
    ((1, 6, 4, 4), 3, 3, 3, (1, 2), (2, 0), 3, (2, 1)),
    ((1, 2, 1, 1), 2, 2, 1, 0, 0, 1, 1),
]


@pytest.mark.parametrize("case", CONVT_CASES)
def test_conv_transpose2d(rng, case):
    shape, cout, k, s, p, op, g, d = case
    kh, kw = _pair(k)
    x = random_array(rng, shape, nt.float64)
    w = random_array(rng, (shape[1], cout // g, kh, kw), nt.float64)
    b = random_array(rng, (cout,), nt.float64)
    ref = ref_conv_transpose2d(x, w, b, s, p, op, g, d)
    for dt in (nt.float32, nt.float64):
        got = F.conv_transpose2d(nt.tensor(x, dtype=dt), nt.tensor(w, dtype=dt), nt.tensor(b, dtype=dt), s, p, op, g, d)
        _check(got, ref, dt, f"{case} {dt}")
    unbatched = F.conv_transpose2d(nt.from_numpy(x[0]), nt.from_numpy(w), None, s, p, op, g, d)
    _check(unbatched, ref_conv_transpose2d(x[:1], w, None, s, p, op, g, d)[0], nt.float64)
    empty = F.conv_transpose2d(nt.zeros((0,) + shape[1:], dtype=nt.float64), nt.from_numpy(w), None, s, p, op, g, d)
    assert tuple(empty.shape) == (0,) + ref.shape[1:]


def test_conv_transpose2d_is_the_adjoint_of_conv2d(rng):
    """<conv2d(x), y> == <x, conv_transpose2d(y)> for the same weight and geometry."""
    x = random_array(rng, (2, 4, 7, 8), nt.float64)
    w = random_array(rng, (6, 2, 3, 2), nt.float64)
    cx = F.conv2d(nt.from_numpy(x), nt.from_numpy(w), None, 2, 1, (1, 2), 2)
    y = random_array(rng, tuple(cx.shape), nt.float64)
    ty = F.conv_transpose2d(nt.from_numpy(y), nt.from_numpy(w), None, 2, 1, (0, 1), 2, (1, 2))
    assert tuple(ty.shape) == x.shape
    np.testing.assert_allclose((cx.numpy() * y).sum(), (x * ty.numpy()).sum(), rtol=1e-10)


@pytest.mark.parametrize("args", [(2, 1, 0, 1), ((2, 3), 2, 1, (2, 1)), (3, (1, 2), (2, 1), 2)])
def test_unfold_fold(rng, args):
    k, d, p, s = args
    for dt in (nt.float32, nt.float64, nt.float16):
        x = random_array(rng, (2, 3, 7, 6), dt)
        cols = F.unfold(nt.from_numpy(x), k, d, p, s)
        ref = ref_unfold(x, k, d, p, s)
        assert cols.dtype is dt
        np.testing.assert_array_equal(cols.numpy(), ref.astype(x.dtype))
        back = F.fold(cols, (7, 6), k, d, p, s)
        np.testing.assert_allclose(back.numpy().astype(np.float64), ref_fold(ref, (7, 6), k, d, p, s),
                                   rtol=TOL[dt], atol=TOL[dt])
    # fold(unfold(x)) multiplies each pixel by the number of windows covering it
    ones = nt.ones(1, 1, 7, 6)
    counts = F.fold(F.unfold(ones, k, d, p, s), (7, 6), k, d, p, s)
    x = random_array(rng, (1, 1, 7, 6), nt.float64)
    np.testing.assert_allclose(F.fold(F.unfold(nt.from_numpy(x), k, d, p, s), (7, 6), k, d, p, s).numpy(),
                               x * counts.numpy())


def test_unfold_fold_layouts_unbatched_bool(rng):
    x = random_array(rng, (2, 3, 5, 6), nt.float32)
    stepped = nt.from_numpy(np.repeat(x, 2, axis=-1))[..., ::2]
    np.testing.assert_array_equal(F.unfold(stepped, 2).numpy(), ref_unfold(x, 2, 1, 0, 1))
    np.testing.assert_array_equal(F.unfold(nt.from_numpy(x[0]), 3, padding=1).numpy(), ref_unfold(x[:1], 3, 1, 1, 1)[0])
    cols = random_array(rng, (12, 20), nt.float64)
    np.testing.assert_allclose(F.fold(nt.from_numpy(cols), (5, 6), 2).numpy(),
                               ref_fold(cols[None], (5, 6), 2, 1, 0, 1)[0])
    b = random_array(rng, (1, 2, 4, 4), nt.bool)
    ub = F.unfold(nt.from_numpy(b), 2)
    assert ub.dtype is nt.bool
    np.testing.assert_array_equal(ub.numpy(), ref_unfold(b, 2, 1, 0, 1))
    fb = F.fold(ub, (4, 4), 2)
    np.testing.assert_array_equal(fb.numpy(), ref_fold(ref_unfold(b, 2, 1, 0, 1), (4, 4), 2, 1, 0, 1) != 0)
    assert tuple(F.unfold(nt.zeros(0, 3, 5, 5), 2).shape) == (0, 12, 16)
    assert tuple(F.fold(nt.zeros(0, 12, 16), (5, 5), 2).shape) == (0, 3, 5, 5)


def test_conv_errors():
    x = nt.zeros(32, 4, 32, 32)
    _raises(RuntimeError, "Given groups=1, weight of size [64, 3, 3, 3], expected input[32, 4, 32, 32] to have 3 "
            "channels, but got 4 channels instead", F.conv2d, x, nt.zeros(64, 3, 3, 3))
    _raises(RuntimeError, "Given groups=1, weight of size [4, 3, 3, 3], expected input[1, 2, 3, 5] to have 3 channels, "
            "but got 2 channels instead", F.conv2d, nt.zeros(2, 3, 5), nt.zeros(4, 3, 3, 3))
    _raises(RuntimeError, "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size "
            "[[5, 3, 3, 3]] instead", F.conv2d, nt.zeros(2, 6, 5, 5), nt.zeros(5, 3, 3, 3), groups=2)
    _raises(RuntimeError, "Given groups=4, weight of size [4, 3, 3, 3], expected input[2, 6, 5, 5] to have 12 "
            "channels, but got 6 channels instead", F.conv2d, nt.zeros(2, 6, 5, 5), nt.zeros(4, 3, 3, 3), groups=4)
    _raises(RuntimeError, "Given groups=1, expected weight to be at least 1 at dimension 0, but got weight of size "
            "[0, 3, 3, 3] instead", F.conv2d, nt.zeros(2, 3, 5, 5), nt.zeros(0, 3, 3, 3))
    _raises(RuntimeError, "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't "
            "be greater than actual input size", F.conv2d, nt.zeros(2, 3, 2, 2), nt.zeros(4, 3, 3, 3))
    _raises(RuntimeError, "Calculated padded input size per channel: (5). Kernel size: (7). Kernel size can't be "
            "greater than actual input size", F.conv1d, nt.zeros(2, 3, 5), nt.zeros(4, 3, 7))
    _raises(RuntimeError, "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't "
            "be greater than actual input size", F.conv2d, nt.zeros(1, 1, 4, 4), nt.zeros(1, 1, 3, 3), dilation=2)
    _raises(RuntimeError, "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
            "[2, 2, 3, 5, 5]", F.conv2d, nt.zeros(2, 2, 3, 5, 5), nt.zeros(4, 3, 3, 3))
    _raises(RuntimeError, "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
            "[2, 3, 5, 5]", F.conv1d, nt.zeros(2, 3, 5, 5), nt.zeros(4, 3, 3))
    w = nt.zeros(4, 3, 3, 3)
    x = nt.zeros(2, 3, 5, 5)
    _raises(RuntimeError, "non-positive stride is not supported", F.conv2d, x, w, stride=0)
    _raises(RuntimeError, "non-positive stride is not supported", F.conv2d, x, w, stride=(1, -1))
    _raises(RuntimeError, "negative padding is not supported", F.conv2d, x, w, padding=-1)
    _raises(RuntimeError, "non-positive dilation is not supported", F.conv2d, x, w, dilation=0)
    _raises(RuntimeError, "non-positive groups is not supported", F.conv2d, x, w, groups=0)
    _raises(RuntimeError, "padding='same' is not supported for strided convolutions", F.conv2d, x, w, stride=2,
            padding="same")
    _raises(RuntimeError, "Invalid padding string: 'foo'", F.conv2d, x, w, padding="foo")
    _raises(RuntimeError, "expected stride to be a single integer value or a list of 2 values to match the convolution "
            "dimensions, but got stride=[1, 2, 3]", F.conv2d, x, w, stride=(1, 2, 3))
    _raises(RuntimeError, "expected padding to be a single integer value or a list of 2 values to match the "
            "convolution dimensions, but got padding=[1, 1, 1]", F.conv2d, x, w, padding=(1, 1, 1))
    _raises(RuntimeError, "Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 elements, but "
            "got bias of size [3] instead", F.conv2d, x, w, nt.zeros(3))
    _raises(RuntimeError, "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same",
            F.conv2d, x, w.double())
    _raises(RuntimeError, "Input type (float) and bias type (double) should be the same", F.conv2d, x, w,
            nt.zeros(4, dtype=nt.float64))
    _raises(NotImplementedError, "\"slow_conv2d_cpu\" not implemented for 'Bool'", F.conv2d, x.bool(), w.bool())
    with pytest.raises(TypeError):
        F.conv2d(x, w, padding=(1.5, 1))
    with pytest.raises(TypeError):
        F.conv2d(x, 3)


def test_conv_transpose_and_fold_errors():
    x = nt.zeros(2, 3, 5, 5)
    _raises(RuntimeError, "output padding must be smaller than either stride or dilation, but got "
            "output_padding_height: 2 output_padding_width: 2 stride_height: 1 stride_width: 1 dilation_height: 1 "
            "dilation_width: 1", F.conv_transpose2d, x, nt.zeros(3, 4, 3, 3), output_padding=2)
    _raises(RuntimeError, "Given transposed=1, weight of size [4, 4, 3, 3], expected input[2, 3, 5, 5] to have 4 "
            "channels, but got 3 channels instead", F.conv_transpose2d, x, nt.zeros(4, 4, 3, 3))
    _raises(RuntimeError, "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size "
            "[[4, 4, 3, 3]] instead", F.conv_transpose2d, nt.zeros(2, 4, 5, 5), nt.zeros(4, 4, 3, 3), groups=3)
    _raises(RuntimeError, "Given input size per channel: (1 x 1). Calculated output size per channel: (-1 x -1). "
            "Output size is too small", F.conv_transpose2d, nt.zeros(2, 4, 1, 1), nt.zeros(4, 4, 3, 3), padding=2)
    _raises(RuntimeError, "negative output_padding is not supported", F.conv_transpose2d, nt.zeros(2, 4, 5, 5),
            nt.zeros(4, 4, 3, 3), output_padding=-1)
    _raises(RuntimeError, "Given transposed=1, weight of size [3, 4, 3, 3], expected bias to be 1-dimensional with 4 "
            "elements, but got bias of size [3] instead", F.conv_transpose2d, x, nt.zeros(3, 4, 3, 3), nt.zeros(3))
    _raises(RuntimeError, "Given input with spatial size (5, 5), kernel_size=(6, 6), dilation=(1, 1), padding=(0, 0), "
            "calculated shape of the array of sliding blocks as (0, 0), but its components must be at least one.",
            F.unfold, x, 6)
    _raises(RuntimeError, "stride should be greater than zero, but got stride_height: 0 stride_width: 0", F.unfold, x,
            2, stride=0)
    _raises(RuntimeError, "padding should be non-negative, but got pad_height: -1 pad_width: -1", F.unfold, x, 2,
            padding=-1)
    _raises(RuntimeError, "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0",
            F.unfold, x, 0)
    _raises(RuntimeError, "It is expected kernel_size equals to 2, but got size 3", F.unfold, x, (2, 2, 2))
    _raises(RuntimeError, "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
            "dimensions for input, but got: [2, 0, 5, 5]", F.unfold, nt.zeros(2, 0, 5, 5), 2)
    _raises(NotImplementedError, "\"im2col_out_cpu\" not implemented for 'Long'", F.unfold,
            nt.zeros(2, 3, 5, 5, dtype=nt.int64), 2)
    cols = nt.zeros(2, 12, 16)
    _raises(RuntimeError, "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            "input.size(1)=13 and kernel_size=(2, 2).", F.fold, nt.zeros(2, 13, 16), (5, 5), 2)
    _raises(RuntimeError, "Given output_size=(5, 5), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, "
            "1), expected size of input's dimension 2 to match the calculated number of sliding blocks 4 * 4 = 16, but "
            "got input.size(2)=15.", F.fold, nt.zeros(2, 12, 15), (5, 5), 2)
    _raises(RuntimeError, "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
            "dimensions for input, but got: [2, 12, 16, 1]", F.fold, cols.unsqueeze(-1), (5, 5), 2)
    _raises(NotImplementedError, "\"col2im_out_cpu\" not implemented for 'Long'", F.fold, cols.long(), (5, 5), 2)


def test_conv2d_large_enough_for_the_parallel_paths(rng):
    """Big enough for the threaded im2col and GEMM when Numba has more than one thread."""
    x = random_array(rng, (4, 8, 32, 32), nt.float32)
    w = random_array(rng, (16, 8, 3, 3), nt.float32)
    b = random_array(rng, (16,), nt.float32)
    got = F.conv2d(nt.from_numpy(x), nt.from_numpy(w), nt.from_numpy(b), padding=1)
    _check(got, ref_conv2d(x, w, b, 1, 1, 1, 1), nt.float32)


@pytest.mark.parametrize("case", [((2, 4, 9, 7), 6, 3, 1, 1, 1, 1), ((1, 4, 11, 8), 6, (3, 2), 2, (2, 1), (2, 1), 2),
                                  ((1, 2, 6, 6), 3, 2, 1, 3, 1, 1)])
@pytest.mark.parametrize("dt", [nt.float64, nt.int64])
def test_conv2d_row_chunks_of_large_images(rng, monkeypatch, case, dt):
    """Images whose columns exceed the chunk size are unfolded a few output rows at a time (floats: the fused
    kernels' FUSED_CHUNK_BYTES; integers: the unfold + GEMM path's CHUNK_BYTES)."""
    from ntorch.nn import conv

    monkeypatch.setattr(conv, "CHUNK_BYTES", 1)  # one output row per chunk
    monkeypatch.setattr(conv, "FUSED_CHUNK_BYTES", 1)
    monkeypatch.setattr(conv, "FUSED_MIN_COLS", 1)
    shape, cout, k, s, p, d, g = case
    kh, kw = _pair(k)
    x = random_array(rng, shape, dt)
    w = random_array(rng, (cout, shape[1] // g, kh, kw), dt)
    b = random_array(rng, (cout,), dt)
    got = F.conv2d(nt.from_numpy(x), nt.from_numpy(w), nt.from_numpy(b), s, p, d, g)
    _check(got, ref_conv2d(x, w, b, s, p, d, g), dt)


# ---------------------------------------------------------------------------------------------
# conv3d / conv_transpose3d and the fused kernels' chunking and threading, against tap-by-tap references
# ---------------------------------------------------------------------------------------------


def ref_conv_nd(x, w, b, stride, padding, dilation, groups, g_out=None):
    """Direct n-d convolution, tap by tap over strided slices of the padded input (float64). With g_out (the
    gradient of the output), returns (input gradient, weight gradient) instead: the same slices, scattered."""
    nd = x.ndim - 2
    s, p, d = ((v,) * nd if isinstance(v, int) else tuple(v) for v in (stride, padding, dilation))
    x, w = x.astype(np.float64), w.astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((v, v) for v in p))
    cout, cg = w.shape[:2]
    k = w.shape[2:]
    o = tuple((xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd))
    og = cout // groups
    out = np.zeros((x.shape[0], cout) + o)
    gxp, gw = np.zeros_like(xp), np.zeros_like(w)
    for g in range(groups):
        ci, co = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for taps in itertools.product(*(range(v) for v in k)):
            sl = (slice(None), ci) + tuple(slice(t * d[i], t * d[i] + (o[i] - 1) * s[i] + 1, s[i])
                                           for i, t in enumerate(taps))
            wt = w[(co, slice(None)) + taps]
            if g_out is None:
                out[:, co] += np.einsum("nc...,oc->no...", xp[sl], wt)
            else:
                gxp[sl] += np.einsum("no...,oc->nc...", g_out[:, co], wt)
                n = x.shape[0]
                gw[(co, slice(None)) + taps] = np.einsum("nol,ncl->oc", g_out[:, co].reshape(n, og, -1),
                                                         xp[sl].reshape(n, cg, -1))
    if g_out is not None:
        return gxp[(slice(None), slice(None)) + tuple(slice(v, v + x.shape[2 + i]) for i, v in enumerate(p))], gw
    if b is not None:
        out += b.astype(np.float64).reshape((1, cout) + (1,) * nd)
    return out


def ref_conv_transpose_nd(x, w, stride, padding, output_padding, dilation, groups):
    """The transposed convolution as the input gradient of ref_conv_nd (same weight array) at the output size."""
    nd = x.ndim - 2
    s, p, op, d = ((v,) * nd if isinstance(v, int) else tuple(v) for v in (stride, padding, output_padding, dilation))
    k = w.shape[2:]
    size = tuple((x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(nd))
    ghost = np.zeros((x.shape[0], w.shape[1] * groups) + size)
    return ref_conv_nd(ghost, w, None, s, p, d, groups, g_out=x.astype(np.float64))[0]


# (input shape, cout, kernel, stride, padding, dilation, groups)
CONV3D_CASES = [
    ((2, 3, 5, 6, 7), 4, 3, 1, 1, 1, 1),
    ((1, 4, 6, 5, 7), 6, (2, 3, 1), (2, 1, 3), (1, 0, 1), (2, 1, 1), 2),
    ((2, 4, 4, 4, 4), 4, 3, 1, 1, 1, 4),  # depthwise
    ((3, 5, 3, 4, 3), 2, 1, 1, 0, 1, 1),  # 1x1x1
    ((1, 2, 4, 3, 5), 3, (4, 3, 5), 1, 0, 1, 1),  # kernel as large as the input
    ((0, 2, 3, 3, 3), 2, 2, 1, 0, 1, 1),  # empty batch
]


@pytest.mark.parametrize("case", CONV3D_CASES)
def test_conv3d_against_direct_loops(rng, case):
    shape, cout, k, s, p, d, g = case
    k = (k,) * 3 if isinstance(k, int) else k
    x = random_array(rng, shape, nt.float64)
    w = random_array(rng, (cout, shape[1] // g) + k, nt.float64)
    b = random_array(rng, (cout,), nt.float64)
    ref = ref_conv_nd(x, w, b, s, p, d, g)
    for dt in (nt.float32, nt.float64):
        got = F.conv3d(nt.tensor(x, dtype=dt), nt.tensor(w, dtype=dt), nt.tensor(b, dtype=dt), s, p, d, g)
        _check(got, ref, dt, f"{case} {dt}")


def test_conv3d_unbatched_same_and_non_contiguous(rng):
    x = random_array(rng, (5, 7, 4, 3), nt.float64).transpose(3, 0, 1, 2)  # (3, 5, 7, 4), not contiguous
    w = random_array(rng, (2, 3, 2, 3, 2), nt.float64)
    got = F.conv3d(nt.from_numpy(x), nt.from_numpy(w), padding="same")
    # 'same' with even kernels: one more padding plane/column after than before
    xp = np.pad(x, ((0, 0), (0, 1), (1, 1), (0, 1)))
    _check(got, ref_conv_nd(xp[None], w, None, 1, 0, 1, 1)[0], nt.float64)
    xt = nt.from_numpy(random_array(rng, (2, 3, 6, 5, 8), nt.float32))[:, :, ::2, :, 1:7]
    got = F.conv3d(xt, nt.from_numpy(w.astype(np.float32)), stride=(1, 2, 1))
    _check(got, ref_conv_nd(xt.numpy(), w, None, (1, 2, 1), 0, 1, 1), nt.float32)


@pytest.mark.parametrize("case", [((2, 4, 3, 4, 5), 3, (2, 3, 2), (2, 1, 2), (0, 1, 1), (1, 0, 1), (1, 2, 1), 2),
                                  ((1, 2, 3, 3, 3), 2, 3, 2, 1, 1, 1, 1)])
def test_conv_transpose3d(rng, case):
    shape, coutg, k, s, p, op, d, g = case
    k = (k,) * 3 if isinstance(k, int) else k
    x = random_array(rng, shape, nt.float64)
    w = random_array(rng, (shape[1], coutg) + k, nt.float64)
    b = random_array(rng, (coutg * g,), nt.float64)
    ref = ref_conv_transpose_nd(x, w, s, p, op, d, g) + b.reshape(1, -1, 1, 1, 1)
    for dt in (nt.float32, nt.float64):
        got = F.conv_transpose3d(nt.tensor(x, dtype=dt), nt.tensor(w, dtype=dt), nt.tensor(b, dtype=dt), s, p, op,
                                 g, d)
        _check(got, ref, dt, f"{case} {dt}")


FUSED_CASES = [  # input shape, weight shape, stride, padding, dilation, groups
    ((1, 3, 9, 11), (4, 3, 3, 3), 1, 1, 1, 1),
    ((3, 4, 10, 7), (6, 2, 3, 2), (2, 1), (1, 0), (1, 2), 2),
    ((1, 4, 12, 9), (4, 4, 5, 3), 1, 2, (2, 1), 1),  # chunks two apart overlap: no parity split
    ((1, 2, 7, 5, 6), (3, 2, 3, 2, 3), (1, 2, 1), 1, 1, 1),
    ((2, 2, 5, 4, 5), (2, 1, 2, 3, 2), 2, (0, 1, 1), (2, 1, 1), 2),
]


@pytest.mark.parametrize("case", FUSED_CASES)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("tiny_chunks", [False, True])
def test_fused_forward_and_gradients_in_chunks_and_threads(rng, monkeypatch, case, threads, tiny_chunks):
    """conv2d / conv3d forward, input and weight gradients through the fused kernels: whole images or one grid
    row per chunk (the transposed conv of a single image then runs chunks of one parity at a time), 1 or 2
    threads (the work queue); float64 against the reference, float32 within float32's tolerance."""
    from ntorch.nn import conv

    if tiny_chunks:
        monkeypatch.setattr(conv, "FUSED_CHUNK_BYTES", 1)
        monkeypatch.setattr(conv, "FUSED_MIN_COLS", 1)
    xs, ws, s, p, d, g = case
    x, w = random_array(rng, xs, nt.float64), random_array(rng, ws, nt.float64)
    b = random_array(rng, (ws[0],), nt.float64)
    ref = ref_conv_nd(x, w, b, s, p, d, g)
    gout = random_array(rng, ref.shape, nt.float64)
    gx_ref, gw_ref = ref_conv_nd(x, w, None, s, p, d, g, g_out=gout)
    conv_fn = F.conv2d if len(xs) == 4 else F.conv3d
    old = nt.get_num_threads()
    nt.set_num_threads(threads)
    try:
        for dt in (nt.float32, nt.float64):
            tx, tw, tb = (nt.tensor(a, dtype=dt, requires_grad=True) for a in (x, w, b))
            y = conv_fn(tx, tw, tb, s, p, d, g)
            y.backward(nt.tensor(gout, dtype=dt))
            _check(y.detach(), ref, dt, f"{case} {dt} forward")
            _check(tx.grad, gx_ref, dt, f"{case} {dt} input grad")
            _check(tw.grad, gw_ref, dt, f"{case} {dt} weight grad")
            _check(tb.grad, gout.sum(tuple(i for i in range(gout.ndim) if i != 1)), dt, f"{case} {dt} bias grad")
    finally:
        nt.set_num_threads(old)


# The stride-1 shifted-GEMM kernels and the direct (few channels per group) kernels, forward and both gradients.
PATH_CASES = [  # input shape, weight shape, stride, padding, dilation, groups
    ((2, 3, 6, 7), (5, 3, 3, 3), 1, 1, 1, 1),  # shifted, 2-d
    ((1, 4, 5, 9), (6, 2, 2, 3), 1, (0, 2), (2, 1), 2),  # shifted, grouped, dilated, padding > d*(k - 1) in width
    ((2, 3, 11), (4, 3, 4), 1, 3, 1, 1),  # shifted, 1-d, padding == k - 1
    ((1, 2, 4, 5, 6), (3, 2, 3, 2, 3), 1, (1, 0, 2), (1, 2, 1), 1),  # shifted, 3-d
    ((2, 1, 1, 1), (3, 1, 1, 1), 1, 0, 1, 1),  # size-1 everything
    ((2, 3, 5, 6), (4, 3, 2, 2), 1, 0, 1, 1),  # shifted, no padding: straight on the input
    ((2, 4, 9, 8), (4, 1, 3, 3), 2, 1, 1, 4),  # depthwise, stride 2
    ((1, 3, 10, 7), (6, 1, 3, 2), (3, 2), (1, 0), (1, 2), 3),  # depthwise, multiplier 2, stride 3 / 2, dilation
    ((2, 4, 7, 6), (4, 2, 3, 3), (1, 2), 2, 1, 2),  # direct, 2 in x 2 out per group
    ((1, 2, 5, 6, 7), (2, 1, 3, 3, 3), 2, 1, (1, 2, 1), 2),  # depthwise 3-d, stride 2
    ((2, 3, 13), (3, 1, 5), 3, 2, 2, 3),  # depthwise 1-d
    ((1, 2, 1, 5), (2, 1, 1, 3), 1, 0, 1, 2),  # depthwise, height 1
    ((2, 3, 6, 5), (3, 1, 2, 2), 1, (1, 0), 1, 3),  # depthwise 2x2: 4 taps, a lone first term before the triples
    ((1, 4, 5, 7), (4, 2, 1, 1), 1, 0, 1, 2),  # direct 1x1, 2 channels per group: 2 terms, a pair
]


@pytest.mark.parametrize("case", PATH_CASES)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("small_items", [False, True])
def test_shifted_and_direct_paths(rng, monkeypatch, case, threads, small_items):
    """conv1d/2d/3d forward, input gradient (the transposed conv) and weight gradient through the stride-1 shifted
    GEMM and the direct kernels, with 1 or 2 threads and (small_items) one output row per work item; float64 against
    the tap-by-tap reference, float32 within its tolerance; the input is a non-contiguous view."""
    from ntorch.nn import conv

    monkeypatch.setattr(conv, "SHIFT_MIN_CHANNELS", 1)  # the shifted GEMM even for these few channels
    monkeypatch.setattr(conv, "SHIFT_MIN_OUT_CHANNELS", 1)
    if small_items:
        monkeypatch.setattr(conv, "SHIFT_COLS", 1)
    xs, ws, s, p, d, g = case
    rev = tuple(range(len(xs)))[::-1]
    x = random_array(rng, xs[::-1], nt.float64).transpose(rev)
    w = random_array(rng, ws, nt.float64)
    b = random_array(rng, (ws[0],), nt.float64)
    ref = ref_conv_nd(x, w, b, s, p, d, g)
    gout = random_array(rng, ref.shape, nt.float64)
    gx_ref, gw_ref = ref_conv_nd(x, w, None, s, p, d, g, g_out=gout)
    conv_fn = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[len(xs)]
    old = nt.get_num_threads()
    nt.set_num_threads(threads)
    try:
        for dt in (nt.float32, nt.float64):
            tx = nt.tensor(x.transpose(rev), dtype=dt).permute(rev).detach().requires_grad_()  # not contiguous
            assert tx.is_contiguous() == (sum(v > 1 for v in xs) <= 1)
            tw, tb = (nt.tensor(a, dtype=dt, requires_grad=True) for a in (w, b))
            y = conv_fn(tx, tw, tb, s, p, d, g)
            y.backward(nt.tensor(gout, dtype=dt))
            _check(y.detach(), ref, dt, f"{case} {dt} forward")
            _check(tx.grad, gx_ref, dt, f"{case} {dt} input grad")
            _check(tw.grad, gw_ref, dt, f"{case} {dt} weight grad")
    finally:
        nt.set_num_threads(old)


@pytest.mark.parametrize("case", [((2, 4, 5, 6), 3, 3, 1, 2, 0, 2, 1),  # stride 1, padding > d*(k - 1): cropped
                                  ((1, 3, 4, 5), 2, (2, 3), 1, (0, 1), 0, 1, (2, 1)),
                                  ((1, 4, 3, 4), 1, 3, 2, 1, 1, 4, 1)])  # depthwise, stride 2, output_padding
def test_conv_transpose_stride1_and_depthwise(rng, monkeypatch, case):
    """conv_transpose2d through the shifted and direct kernels against the scatter reference."""
    from ntorch.nn import conv

    monkeypatch.setattr(conv, "SHIFT_MIN_CHANNELS", 1)
    monkeypatch.setattr(conv, "SHIFT_MIN_OUT_CHANNELS", 1)
    shape, coutg, k, s, p, op, g, d = case
    k = (k, k) if isinstance(k, int) else k
    x = random_array(rng, shape, nt.float64)
    w = random_array(rng, (shape[1], coutg) + k, nt.float64)
    b = random_array(rng, (coutg * g,), nt.float64)
    ref = ref_conv_transpose2d(x, w, b, s, p, op, g, d)
    for dt in (nt.float32, nt.float64):
        got = F.conv_transpose2d(nt.tensor(x, dtype=dt), nt.tensor(w, dtype=dt), nt.tensor(b, dtype=dt), s, p, op,
                                 g, d)
        _check(got, ref, dt, f"{case} {dt}")


def test_nn_grad_conv_input_and_weight_match_a_direct_sum():
    """ntorch.nn.grad.conv1d_input / conv1d_weight: the adjoints of a 1-d convolution, by direct sums."""
    import ntorch as _nt

    rng = np.random.default_rng(7)
    x, w, go = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3)), rng.standard_normal((2, 4, 7))
    want_x = np.zeros_like(x)
    want_w = np.zeros_like(w)
    for t in range(7):
        want_x[:, :, t:t + 3] += np.einsum("bo,oik->bik", go[:, :, t], w)
        want_w += np.einsum("bo,bik->oik", go[:, :, t], x[:, :, t:t + 3])
    gx = _nt.nn.grad.conv1d_input(x.shape, _nt.tensor(w), _nt.tensor(go))
    gw = _nt.nn.grad.conv1d_weight(_nt.tensor(x), w.shape, _nt.tensor(go))
    np.testing.assert_allclose(gx.numpy(), want_x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw.numpy(), want_w, rtol=1e-12, atol=1e-12)
    assert _nt.nn.grad.conv2d_weight(_nt.ones(1, 1, 4, 4), (1, 1, 3, 3), _nt.ones(1, 1, 2, 2)).shape == (1, 1, 3, 3)
