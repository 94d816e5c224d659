"""Autograd of convolution, pooling and interpolation: gradcheck (float64 central differences) on tiny
shapes for each op and its main arguments, gradgradcheck where the backward is itself differentiable,
float32 gradients against float64 ones on a medium shape, and the graph's structure (grad_fn names,
indices that are not differentiable, the saved indices surviving a user's write)."""

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck, gradgradcheck


def leaf(rng, *shape, dtype=ntorch.float64):
    return ntorch.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ---------------------------------------------------------------------------------------------
# Convolutions, unfold, fold
# ---------------------------------------------------------------------------------------------

CONV2D = [  # input shape, weight shape, bias, keyword arguments
    ((1, 2, 4, 5), (3, 2, 2, 3), True, {}),
    ((2, 4, 5, 4), (4, 2, 3, 2), True, dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
    ((1, 2, 5, 5), (2, 1, 3, 3), False, dict(stride=2, padding=(0, 1), groups=2)),
    ((1, 2, 4, 5), (3, 2, 2, 3), True, dict(padding="same", dilation=(1, 2))),  # even kernel: asymmetric padding
    ((1, 2, 4, 4), (2, 2, 3, 1), False, dict(padding="valid")),
    ((2, 4, 4), (2, 1, 2, 2), True, dict(padding=1, groups=2)),  # unbatched
    ((1, 3, 3, 3), (2, 3, 1, 1), True, {}),  # 1x1
]


@pytest.mark.parametrize("xs, ws, bias, kw", CONV2D)
def test_conv2d_gradcheck(rng, xs, ws, bias, kw):
    args = (leaf(rng, *xs), leaf(rng, *ws)) + ((leaf(rng, ws[0]),) if bias else ())
    assert gradcheck(lambda *a: F.conv2d(*a, **kw), args)


@pytest.mark.parametrize("xs, ws, kw", [
    ((2, 2, 7), (3, 2, 3), dict(stride=2, padding=1)),
    ((4, 6), (2, 2, 2), dict(padding="same", dilation=2, groups=2)),
])
def test_conv1d_gradcheck(rng, xs, ws, kw):
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, **kw), (leaf(rng, *xs), leaf(rng, *ws), leaf(rng, ws[0])))


CONV_T = [
    ((1, 2, 3, 2), (2, 3, 2, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 2, 3), (4, 1, 3, 2), True, dict(stride=(1, 2), groups=2, dilation=(2, 1))),
    ((1, 2, 2, 2), (2, 1, 2, 2), False, dict(stride=1, output_padding=2, dilation=3)),  # output_padding >= stride
    ((2, 3, 2), (2, 2, 2, 2), True, {}),  # unbatched
]


@pytest.mark.parametrize("xs, ws, bias, kw", CONV_T)
def test_conv_transpose2d_gradcheck(rng, xs, ws, bias, kw):
    groups = kw.get("groups", 1)
    args = (leaf(rng, *xs), leaf(rng, *ws)) + ((leaf(rng, ws[1] * groups),) if bias else ())
    assert gradcheck(lambda *a: F.conv_transpose2d(*a, **kw), args)


PATHS = [  # conv function, input shape, weight shape, keyword arguments: the shifted-GEMM and direct kernels
    (F.conv2d, (1, 3, 4, 5), (2, 3, 2, 3), dict(padding=(1, 2), dilation=(2, 1))),  # shifted (channels forced)
    (F.conv3d, (1, 2, 3, 3, 4), (2, 2, 2, 1, 2), dict(padding=(1, 0, 1))),  # shifted 3-d
    (F.conv1d, (2, 2, 6), (2, 2, 3), dict(padding=3)),  # shifted 1-d, padding > k - 1
    (F.conv2d, (1, 3, 5, 6), (3, 1, 3, 3), dict(stride=2, padding=1, groups=3)),  # depthwise, stride 2
    (F.conv2d, (2, 2, 5, 6), (4, 1, 2, 3), dict(stride=(3, 1), dilation=(1, 2), groups=2)),  # multiplier 2
    (F.conv3d, (1, 2, 3, 4, 3), (2, 1, 2, 2, 2), dict(stride=(1, 2, 2), padding=1, groups=2)),  # depthwise 3-d
    (F.conv1d, (1, 2, 9), (2, 1, 3), dict(stride=3, padding=2, dilation=2, groups=2)),  # depthwise 1-d
]


@pytest.mark.parametrize("fn, xs, ws, kw", PATHS)
def test_shifted_and_direct_gradcheck(rng, monkeypatch, fn, xs, ws, kw):
    """Float64 central differences through the stride-1 shifted GEMM (forced for few channels) and the direct
    kernels (few channels per group), the conv_transpose and weight-gradient kernels of the backward included."""
    from ntorch.nn import conv

    monkeypatch.setattr(conv, "SHIFT_MIN_CHANNELS", 1)
    monkeypatch.setattr(conv, "SHIFT_MIN_OUT_CHANNELS", 1)
    args = (leaf(rng, *xs), leaf(rng, *ws), leaf(rng, ws[0]))
    assert gradcheck(lambda *a: fn(*a, **kw), args)


def test_depthwise_gradgradcheck(rng):
    x, w = leaf(rng, 1, 2, 4, 5), leaf(rng, 2, 1, 2, 3)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2), (x, w))


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, groups=2), dict(padding="same")])
def test_conv2d_gradgradcheck(rng, kw):
    x, w, b = leaf(rng, 1, 2, 4, 3), leaf(rng, 2, 1 if kw.get("groups") else 2, 2, 2), leaf(rng, 2)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_conv1d_gradgradcheck(rng):
    assert gradgradcheck(lambda x, w: F.conv1d(x, w, padding=1), (leaf(rng, 1, 2, 4), leaf(rng, 2, 2, 2)))


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1), dict(output_padding=2, dilation=3)])
def test_conv_transpose2d_gradgradcheck(rng, kw):
    x, w, b = leaf(rng, 1, 2, 2, 2), leaf(rng, 2, 1, 2, 2), leaf(rng, 1)
    assert gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), (x, w, b))


CONV3D = [  # input shape, weight shape, bias, keyword arguments (the fused 3-d kernels on CPU)
    ((1, 2, 3, 4, 3), (3, 2, 2, 3, 2), True, dict(stride=(1, 2, 1), padding=1)),
    ((2, 4, 4, 3, 3), (4, 2, 3, 2, 1), False, dict(stride=(2, 1, 1), dilation=(1, 2, 1), groups=2)),
    ((2, 3, 4, 3), (2, 2, 2, 2, 3), True, dict(padding="same")),  # unbatched, even kernels
]


@pytest.mark.parametrize("xs, ws, bias, kw", CONV3D)
def test_conv3d_gradcheck(rng, xs, ws, bias, kw):
    args = (leaf(rng, *xs), leaf(rng, *ws)) + ((leaf(rng, ws[0]),) if bias else ())
    assert gradcheck(lambda *a: F.conv3d(*a, **kw), args)


@pytest.mark.parametrize("xs, ws, kw", [
    ((1, 2, 2, 3, 2), (2, 3, 2, 2, 3), dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 2, 2, 3), (4, 1, 2, 3, 2), dict(stride=(1, 2, 1), groups=2, dilation=(2, 1, 1))),
])
def test_conv_transpose3d_gradcheck(rng, xs, ws, kw):
    groups = kw.get("groups", 1)
    args = (leaf(rng, *xs), leaf(rng, *ws), leaf(rng, ws[1] * groups))
    assert gradcheck(lambda *a: F.conv_transpose3d(*a, **kw), args)


def test_conv3d_and_conv_transpose3d_gradgradcheck(rng):
    x, w, b = leaf(rng, 1, 2, 3, 3, 2), leaf(rng, 2, 2, 2, 2, 2), leaf(rng, 2)
    assert gradgradcheck(lambda x, w, b: F.conv3d(x, w, b, stride=(2, 1, 1), padding=1), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv_transpose3d(x, w, stride=2, output_padding=1), (x, w))


def test_conv3d_grad_fn_is_one_recorded_op(rng):
    """conv3d on CPU is one ConvolutionBackward0 node (not the composition of stack/pad/conv2d)."""
    y = F.conv3d(leaf(rng, 1, 2, 3, 3, 3), leaf(rng, 2, 2, 2, 2, 2), leaf(rng, 2))
    assert y.grad_fn.name() == "ConvolutionBackward0"


@pytest.mark.parametrize("shape, kw", [
    ((2, 2, 4, 5), dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))),
    ((2, 3, 3), dict(kernel_size=2)),
])
def test_unfold_gradcheck(rng, shape, kw):
    assert gradcheck(lambda x: F.unfold(x, **kw), (leaf(rng, *shape),))


@pytest.mark.parametrize("shape, kw", [
    ((2, 8, 9), dict(output_size=(4, 5), kernel_size=2, padding=1, stride=2)),
    ((4, 6), dict(output_size=(3, 4), kernel_size=(1, 2), dilation=(1, 2))),
])
def test_fold_gradcheck(rng, shape, kw):
    assert gradcheck(lambda x: F.fold(x, **kw), (leaf(rng, *shape),))


def test_unfold_fold_gradgradcheck(rng):
    # a nonlinearity after the linear op, so the second derivative is not zero
    assert gradgradcheck(lambda x: F.unfold(x, 2, padding=1) ** 2, (leaf(rng, 1, 2, 3, 3),))
    assert gradgradcheck(lambda x: F.fold(x, (3, 3), 2, padding=1) ** 2, (leaf(rng, 1, 4, 16),))


def test_conv_float32_matches_float64(rng):
    xa, wa, ba = rng.standard_normal((4, 6, 19, 17)), rng.standard_normal((8, 3, 3, 3)), rng.standard_normal(8)
    ga = rng.standard_normal((4, 8, 10, 9))
    grads = {}
    for dt in (ntorch.float32, ntorch.float64):
        x, w, b = (ntorch.tensor(a, dtype=dt, requires_grad=True) for a in (xa, wa, ba))
        y = F.conv2d(x, w, b, stride=2, padding=1, groups=2)
        y.backward(ntorch.tensor(ga, dtype=dt))
        assert x.grad.dtype is dt and w.grad.dtype is dt
        grads[dt] = [t.grad.numpy().astype(np.float64) for t in (x, w, b)]
    for g32, g64 in zip(grads[ntorch.float32], grads[ntorch.float64]):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4 * np.abs(g64).max())


def test_conv_grad_large_image_in_row_chunks(rng):
    """Images whose unfolded columns exceed the chunk size take the row-chunk path of the weight gradient;
    it must agree with a small-image formula: the weight gradient is sum over n of g[n] @ unfold(x)[n].T."""
    x = ntorch.tensor(rng.standard_normal((1, 3, 260, 270)), dtype=ntorch.float32, requires_grad=True)
    w = ntorch.tensor(rng.standard_normal((2, 3, 3, 3)), dtype=ntorch.float32, requires_grad=True)
    g = rng.standard_normal((1, 2, 130, 135)).astype(np.float32)
    F.conv2d(x, w, stride=2, padding=1).backward(ntorch.tensor(g))
    cols = F.unfold(x.detach(), 3, padding=1, stride=2).numpy().astype(np.float64)
    expect = (g.reshape(2, -1).astype(np.float64) @ cols[0].T).reshape(2, 3, 3, 3)
    np.testing.assert_allclose(w.grad.numpy(), expect, rtol=1e-4, atol=1e-3)


def test_conv_grad_fn_and_needs_input_grad(rng):
    x, w = leaf(rng, 1, 2, 4, 4), leaf(rng, 3, 2, 3, 3)
    b = ntorch.tensor(rng.standard_normal(3))  # no grad
    y = F.conv2d(x, w, b, padding=1)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert y.grad_fn.next_functions[2] == (None, 0)
    y.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape and b.grad is None
    with ntorch.no_grad():
        assert F.conv2d(x, w).grad_fn is None


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------


def distinct(rng, *shape, dtype=ntorch.float64):
    """Values spaced far apart (a permutation), so that finite differences never flip a maximum."""
    vals = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    return ntorch.tensor(vals, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("shape, kw", [
    ((1, 2, 5, 6), dict(kernel_size=2)),
    ((1, 2, 5, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 5, 6), dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), dilation=(2, 1))),
])
def test_max_pool2d_gradcheck(rng, shape, kw):
    assert gradcheck(lambda x: F.max_pool2d(x, **kw), (distinct(rng, *shape),))


def test_max_pool1d_gradcheck(rng):
    assert gradcheck(lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True), (distinct(rng, 2, 2, 7),))
    assert gradcheck(lambda x: F.max_pool1d(x, 2, dilation=2, return_indices=True), (distinct(rng, 2, 7),))


def test_max_pool_gradient_goes_to_the_argmax_index(rng):
    """Ties: the gradient goes to the index the forward returned (the first maximum), summed where windows
    overlap; the saved indices survive a user's write into the returned ones."""
    x = ntorch.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    y, ind = F.max_pool2d(x, 2, stride=1, return_indices=True)
    assert y.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert ind.grad_fn is None and not ind.requires_grad
    expect = np.zeros(9)
    np.add.at(expect, ind.numpy().reshape(-1), [1.0, 2.0, 3.0, 4.0])
    ind.fill_(8)
    y.backward(ntorch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(x.grad.numpy().reshape(-1), expect)


@pytest.mark.parametrize("shape, kw", [
    ((1, 2, 5, 6), dict(kernel_size=2)),
    ((1, 2, 5, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 5, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((2, 4, 5), dict(kernel_size=(2, 3), stride=1, padding=(1, 1), divisor_override=5)),
])
def test_avg_pool2d_gradcheck(rng, shape, kw):
    assert gradcheck(lambda x: F.avg_pool2d(x, **kw), (leaf(rng, *shape),))


def test_avg_pool1d_gradcheck(rng):
    assert gradcheck(lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                     (leaf(rng, 2, 2, 7),))


def test_avg_pool2d_gradgradcheck(rng):
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False) ** 2, (leaf(rng, 1, 1, 4, 5),))


@pytest.mark.parametrize("fn, shape, out", [
    (F.adaptive_avg_pool2d, (1, 2, 5, 7), (3, 4)),
    (F.adaptive_avg_pool2d, (2, 3, 4), 1),
    (F.adaptive_avg_pool1d, (2, 2, 7), 3),
])
def test_adaptive_avg_pool_gradcheck(rng, fn, shape, out):
    assert gradcheck(lambda x: fn(x, out), (leaf(rng, *shape),))


@pytest.mark.parametrize("fn, shape, out", [
    (F.adaptive_max_pool2d, (1, 2, 5, 7), (3, 4)),
    (F.adaptive_max_pool1d, (2, 2, 7), 3),
])
def test_adaptive_max_pool_gradcheck(rng, fn, shape, out):
    assert gradcheck(lambda x: fn(x, out), (distinct(rng, *shape),))
    assert gradcheck(lambda x: fn(x, out, return_indices=True), (distinct(rng, *shape),))


def test_max_unpool2d_gradcheck(rng):
    _, ind = F.max_pool2d(distinct(rng, 1, 2, 4, 6), 2, return_indices=True)
    assert gradcheck(lambda x: F.max_unpool2d(x, ind, 2), (leaf(rng, 1, 2, 2, 3),))


def test_max_pool_gradgradcheck(rng):
    assert gradgradcheck(lambda x: F.max_pool2d(x, 2, 1) ** 2, (distinct(rng, 1, 1, 3, 3),))


def test_pool_float32_matches_float64(rng):
    xa = rng.permutation(4 * 3 * 20 * 18).reshape(4, 3, 20, 18) / 7.0
    for fn in (lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
               lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear")):
        grads = []
        for dt in (ntorch.float32, ntorch.float64):
            x = ntorch.tensor(xa, dtype=dt, requires_grad=True)
            y = fn(x)
            y.backward(ntorch.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)), dtype=dt))
            grads.append(x.grad.numpy().astype(np.float64))
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-5)


def test_float16_gradients(rng):
    x = ntorch.tensor(rng.standard_normal((1, 2, 4, 4)), dtype=ntorch.float16, requires_grad=True)
    y = F.avg_pool2d(F.max_pool2d(x, 2, 1), 2, 1) + F.interpolate(x, size=(2, 2), mode="bilinear")
    y.sum().backward()
    assert x.grad.dtype is ntorch.float16 and x.grad.shape == x.shape


# ---------------------------------------------------------------------------------------------
# interpolate
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, align", [("nearest", None), ("nearest-exact", None), ("bilinear", False),
                                         ("bilinear", True)])
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(3, 5)), dict(scale_factor=(1.5, 0.7))])
def test_interpolate2d_gradcheck(rng, mode, align, kw):
    assert gradcheck(lambda x: F.interpolate(x, mode=mode, align_corners=align, **kw), (leaf(rng, 1, 2, 3, 4),))


@pytest.mark.parametrize("mode, align", [("nearest", None), ("nearest-exact", None), ("linear", False),
                                         ("linear", True)])
def test_interpolate1d_gradcheck(rng, mode, align):
    assert gradcheck(lambda x: F.interpolate(x, size=7, mode=mode, align_corners=align), (leaf(rng, 2, 2, 4),))


def test_interpolate_gradgradcheck(rng):
    assert gradgradcheck(lambda x: F.interpolate(x, size=(3, 5), mode="bilinear") ** 2, (leaf(rng, 1, 1, 2, 3),))


def test_grad_fn_names(rng):
    x = leaf(rng, 1, 1, 4, 4)
    names = {
        "Im2ColBackward0": F.unfold(x, 2),
        "AvgPool2DBackward0": F.avg_pool2d(x, 2),
        "AdaptiveAvgPool2DBackward0": F.adaptive_avg_pool2d(x, 2),
        "AdaptiveMaxPool2DBackward0": F.adaptive_max_pool2d(x, 2),
        "UpsampleBilinear2DBackward0": F.interpolate(x, scale_factor=2, mode="bilinear"),
        "UpsampleNearest2DBackward0": F.interpolate(x, scale_factor=2),
    }
    for name, y in names.items():
        assert y.grad_fn.name() == name


@pytest.mark.parametrize("fn", [
    lambda x, w: F.conv2d(x, w, padding=1),
    lambda x, w: F.conv_transpose2d(x, w.transpose(0, 1).contiguous()),
    lambda x, w: F.max_pool2d(x, 2),
    lambda x, w: F.adaptive_max_pool2d(x, 0),
    lambda x, w: F.adaptive_avg_pool2d(x, (0, 2)),
    lambda x, w: F.interpolate(x, scale_factor=2, mode="bilinear"),
])
@pytest.mark.parametrize("batch", [0, 1])
def test_empty_gradients(fn, batch):
    """Size-0 batches and size-0 outputs: zero gradients of the right shapes."""
    x = ntorch.ones((batch, 2, 4, 4), dtype=ntorch.float64, requires_grad=True)
    w = ntorch.ones((3, 2, 2, 2), dtype=ntorch.float64, requires_grad=True)
    y = fn(x, w)
    y.sum().backward()
    assert x.grad.shape == x.shape
    if y.numel() == 0:
        assert not x.grad.numpy().any()
    if w.grad is not None:
        assert w.grad.shape == w.shape
