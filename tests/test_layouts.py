"""Layouts and memory formats (ntorch.strided, channels_last, ...) and torch's factory keywords layout=,
pin_memory=, out=. Strides are torch 2.13's (quoted in comments); values are checked against NumPy."""

import pickle

import numpy as np
import pytest

import ntorch


def test_layout_and_format_objects():
    assert ntorch.ones(2).layout is ntorch.strided
    assert repr(ntorch.channels_last) == "ntorch.channels_last" and repr(ntorch.strided) == "ntorch.strided"
    assert isinstance(ntorch.channels_last, ntorch.memory_format) and isinstance(ntorch.sparse_coo, ntorch.layout)
    assert pickle.loads(pickle.dumps(ntorch.channels_last)) is ntorch.channels_last


@pytest.mark.parametrize("shape,fmt,strides", [
    ((2, 3, 4, 5), "channels_last", (60, 1, 15, 3)),
    ((2, 3, 1, 1), "channels_last", (3, 1, 3, 3)),
    ((2, 3, 4, 5, 6), "channels_last_3d", (360, 1, 90, 18, 3)),
])
def test_empty_clone_contiguous_in_channels_last(shape, fmt, strides):
    fmt = getattr(ntorch, fmt)
    assert ntorch.empty(*shape, memory_format=fmt).stride() == strides
    x = ntorch.randn(*shape)
    already = x.is_contiguous(memory_format=fmt)  # (2, 3, 1, 1): size-1 dims take any stride
    for y in (x.contiguous(memory_format=fmt), x.to(memory_format=fmt)):
        assert (y is x) if already else y.stride() == strides
        assert y.is_contiguous(memory_format=fmt)
        np.testing.assert_array_equal(y.numpy(), x.numpy())
    y = x.clone(memory_format=fmt)
    assert y.stride() == strides
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    for like in (ntorch.empty_like, ntorch.zeros_like, ntorch.ones_like, ntorch.rand_like, ntorch.randn_like):
        assert like(x, memory_format=fmt).stride() == strides
    assert ntorch.full_like(x, 2.0, memory_format=fmt).stride() == strides
    cl = x.clone(memory_format=fmt)
    assert ntorch.empty_like(cl).stride() == strides  # preserve_format keeps the layout
    assert cl.clone().stride() == strides
    assert cl.clone(memory_format=ntorch.contiguous_format).is_contiguous()
    assert cl.contiguous(memory_format=fmt) is cl


def test_channels_last_rules_and_errors():
    x = ntorch.randn(2, 3, 4, 5)
    assert not x.is_contiguous(memory_format=ntorch.channels_last)
    assert not x.contiguous(memory_format=ntorch.channels_last).is_contiguous()
    assert not x.is_contiguous(memory_format=ntorch.channels_last_3d)
    assert not ntorch.randn(3, 4).is_contiguous(memory_format=ntorch.channels_last)
    one_channel = ntorch.empty(2, 1, 4, 5)  # C == 1: already channels-last contiguous, returned as is
    assert one_channel.contiguous(memory_format=ntorch.channels_last) is one_channel
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        ntorch.randn(3, 4).contiguous(memory_format=ntorch.channels_last)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        ntorch.empty(2, 3, memory_format=ntorch.channels_last)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d format"):
        x.clone(memory_format=ntorch.channels_last_3d)
    assert x.contiguous(memory_format=ntorch.preserve_format) is x
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported by the contiguous operator"):
        x.permute(0, 2, 1, 3).contiguous(memory_format=ntorch.preserve_format)


def test_channels_last_backward_and_module_to():
    x = ntorch.randn(2, 3, 4, 5, dtype=ntorch.float64, requires_grad=True)
    y = x.contiguous(memory_format=ntorch.channels_last)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    conv = ntorch.nn.Conv2d(3, 4, 3).to(memory_format=ntorch.channels_last)
    assert conv.weight.is_contiguous(memory_format=ntorch.channels_last) and conv.bias.is_contiguous()
    assert isinstance(conv.weight, ntorch.nn.Parameter)
    ref = ntorch.nn.functional.conv2d(x.detach(), conv.weight.detach().double().contiguous(), None)
    out = conv.double()(x.detach().contiguous(memory_format=ntorch.channels_last)) - conv.bias.detach()[:, None, None]
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)


def test_factory_layout_and_pin_memory_keywords():
    assert ntorch.zeros(2, 3, layout=ntorch.strided).shape == (2, 3)
    assert ntorch.ones(2, pin_memory=False, layout=None).tolist() == [1.0, 1.0]
    assert ntorch.arange(3, layout=ntorch.strided).tolist() == [0, 1, 2]
    assert ntorch.hann_window(4, layout=ntorch.strided).shape == (4,)
    assert ntorch.tensor([1, 2], pin_memory=False).tolist() == [1, 2]
    assert ntorch.ones(2).new_zeros(3, layout=ntorch.strided).shape == (3,)
    with pytest.raises(RuntimeError, match="layout=ntorch.sparse_coo is not supported"):
        ntorch.zeros(2, layout=ntorch.sparse_coo)
    with pytest.raises(TypeError, match="argument 'layout' must be ntorch.layout"):
        ntorch.zeros(2, layout="strided")
    assert ntorch.tril_indices(3, 3, requires_grad=False).tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]


def test_factory_out_takes_outs_dtype_and_resizes():
    out = ntorch.empty(2, dtype=ntorch.int64)
    assert ntorch.zeros(3, out=out) is out and out.tolist() == [0, 0, 0] and out.dtype is ntorch.int64
    with pytest.raises(RuntimeError, match=r"dtype Float does not match dtype of out parameter \(Long\)"):
        ntorch.zeros(3, dtype=ntorch.float32, out=ntorch.empty(3, dtype=ntorch.int64))
    np.testing.assert_array_equal(ntorch.arange(5, out=ntorch.empty(0)).numpy(), np.arange(5, dtype=np.float32))
    np.testing.assert_array_equal(ntorch.ones(2, 2, out=ntorch.empty(5)).numpy(), np.ones((2, 2), np.float32))
    np.testing.assert_allclose(ntorch.linspace(0, 1, 5, out=ntorch.empty(0, dtype=ntorch.float64)).numpy(),
                               np.linspace(0, 1, 5))
    np.testing.assert_array_equal(ntorch.eye(3, out=ntorch.empty(0, dtype=ntorch.bool)).numpy(), np.eye(3, dtype=bool))
    assert ntorch.full((2,), 3.5, out=ntorch.empty(0, dtype=ntorch.int32)).tolist() == [3, 3]  # cast as torch
    np.testing.assert_allclose(ntorch.logspace(0, 2, 3, out=ntorch.empty(0)).numpy(), [1, 10, 100])
    assert ntorch.zeros(2, out=ntorch.empty(0), requires_grad=True).requires_grad
    r = ntorch.rand(1000, out=ntorch.empty(0, dtype=ntorch.float64))
    assert r.dtype is ntorch.float64 and 0 <= float(r.min()) and float(r.max()) < 1
    p = ntorch.randperm(6, out=ntorch.empty(0, dtype=ntorch.int64))
    assert sorted(p.tolist()) == list(range(6))
    i = ntorch.randint(0, 5, (50,), out=ntorch.empty(0))
    assert i.dtype is ntorch.float32 and set(i.tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    n = ntorch.normal(0.0, 1.0, (4,), out=ntorch.empty(0))
    assert n.shape == (4,)
    with pytest.warns(UserWarning, match="deprecated"):
        np.testing.assert_array_equal(ntorch.range(0, 2, out=ntorch.empty(0, dtype=ntorch.float64)).numpy(),
                                      [0.0, 1.0, 2.0])


def test_like_factories_take_torchs_keywords():
    x = ntorch.randn(2, 3)
    y = ntorch.randn_like(x, requires_grad=True)
    assert y.requires_grad and y.shape == (2, 3)
    g = ntorch.Generator().manual_seed(4)
    a = ntorch.randint_like(x, 10, generator=g)
    b = ntorch.randint_like(x, 10, generator=ntorch.Generator().manual_seed(4))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_convert_conv_weight_memory_format_keeps_parameters_and_values():
    m = ntorch.nn.Sequential(ntorch.nn.Conv2d(3, 4, 3), ntorch.nn.ReLU(),
                             ntorch.nn.Sequential(ntorch.nn.ConvTranspose2d(4, 2, 3)))
    before = [p.detach().numpy().copy() for p in m.parameters()]
    w = m[0].weight
    assert ntorch.nn.utils.convert_conv2d_weight_memory_format(m, ntorch.channels_last) is m
    assert m[0].weight is w and w.requires_grad  # the same Parameter, new memory
    assert m[0].weight.is_contiguous(memory_format=ntorch.channels_last)
    assert m[2][0].weight.is_contiguous(memory_format=ntorch.channels_last)
    for p, b in zip(m.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)
    c3 = ntorch.nn.utils.convert_conv3d_weight_memory_format(ntorch.nn.Conv3d(2, 3, 2), ntorch.channels_last_3d)
    assert c3.weight.is_contiguous(memory_format=ntorch.channels_last_3d)


def test_resize_with_a_memory_format_restrides_the_same_memory():
    z = ntorch.arange(24.0).resize_(2, 3, 2, 2, memory_format=ntorch.channels_last)
    assert z.stride() == (12, 1, 6, 3) and z.is_contiguous(memory_format=ntorch.channels_last)
    # element (n, c, h, w) sits at flat position n*12 + h*6 + w*3 + c of the original arange
    assert float(z[1, 2, 1, 0]) == 12 + 6 + 2
    r = ntorch.ones(3).resize_as_(ntorch.ones(2, 2, 2, 2), memory_format=ntorch.channels_last)
    assert r.shape == (2, 2, 2, 2) and r.stride() == (8, 1, 4, 2)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        ntorch.ones(3).resize_(3, memory_format=ntorch.channels_last)


def test_bernoulli_and_multinomial_out():
    o = ntorch.empty(0, dtype=ntorch.float64)
    r = ntorch.bernoulli(ntorch.full((50,), 0.5), out=o)
    assert r is o and o.dtype is ntorch.float64 and set(o.tolist()) <= {0.0, 1.0}
    m = ntorch.empty(0, dtype=ntorch.int64)
    assert ntorch.multinomial(ntorch.ones(4), 2, out=m) is m and m.shape == (2,) and len(set(m.tolist())) == 2
    with pytest.raises(RuntimeError, match="multinomial expects Long tensor out, got: Int"):
        ntorch.multinomial(ntorch.ones(4), 2, out=ntorch.empty(0, dtype=ntorch.int32))
