"""Leaf .grad layout follows torch's gradient layout contract (accumulate_grad.h): a dense leaf's grad has the
leaf's strides (stolen when the incoming gradient already has them and nothing else holds it, else copied into
the leaf's layout); a non-dense leaf's grad is C-contiguous. Values are checked against NumPy."""

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F


def _leaf(arr: np.ndarray, memory_format=None) -> ntorch.Tensor:
    t = ntorch.tensor(arr)
    if memory_format is not None:
        t = t.contiguous(memory_format=memory_format)
    return t.requires_grad_()


def _cl_strides(n, c, h, w):
    return (c * h * w, 1, w * c, c)


def test_contiguous_leaf_grad_contiguous_even_for_channels_last_gradient():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4, 5))
    x = _leaf(a)
    g = ntorch.tensor(rng.standard_normal((2, 3, 4, 5))).contiguous(memory_format=ntorch.channels_last)
    (x * 2.0).backward(g)  # mul's gradient is laid out like g (channels-last); x is contiguous
    assert x.grad.stride() == (60, 20, 5, 1)
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * g.numpy())


def test_channels_last_leaf_grad_channels_last():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3, 4, 5))
    x = _leaf(a, ntorch.channels_last)
    g = rng.standard_normal((2, 3, 4, 5))
    (x * 3.0).backward(ntorch.tensor(g))  # a contiguous incoming gradient is copied into x's layout
    assert x.grad.stride() == _cl_strides(2, 3, 4, 5)
    np.testing.assert_allclose(x.grad.numpy(), 3.0 * g)
    # a second backward accumulates in place and keeps the layout
    (x * 3.0).backward(ntorch.tensor(g))
    assert x.grad.stride() == _cl_strides(2, 3, 4, 5)
    np.testing.assert_allclose(x.grad.numpy(), 6.0 * g)


def test_channels_last_max_pool_grad_stolen_and_correct():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3, 6, 6))
    x = _leaf(a, ntorch.channels_last)
    y = F.max_pool2d(x, 2, 2)
    g = rng.standard_normal(tuple(y.shape))
    y.backward(ntorch.tensor(g))
    assert x.grad.stride() == _cl_strides(2, 3, 6, 6)
    blocks = a.reshape(2, 3, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 3, 3, 4)
    hit = blocks == blocks.max(-1, keepdims=True)
    want = (hit * g[..., None]).reshape(2, 3, 3, 3, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 6, 6)
    np.testing.assert_allclose(x.grad.numpy(), want)


def test_transposed_leaf_grad_keeps_leaf_strides():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 3))
    x = ntorch.tensor(a).t().requires_grad_()  # a leaf with strides (1, 3): dense, not C-contiguous
    assert x.is_leaf and x.stride() == (1, 3)
    (x * 1.5).sum().backward()
    assert x.grad.stride() == (1, 3)
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 1.5))


def test_expanded_gradient_copied_to_leaf_layout():
    x = _leaf(np.arange(6.0).reshape(2, 3))
    x.sum().backward()  # sum's backward expands a scalar: 0-strided, must not become .grad as is
    assert x.grad.stride() == (3, 1)
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    x.grad.add_(1.0)  # writable, its own memory
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_non_dense_leaf_grad_contiguous():
    base = ntorch.zeros(3)
    x = base.expand(2, 3).requires_grad_()  # a 0-strided leaf: not dense, so its grad is C-contiguous
    assert x.stride() == (0, 1)
    (x * 2.0).sum().backward()
    assert x.grad.stride() == (3, 1)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


@pytest.mark.parametrize("memory_format", [None, ntorch.channels_last])
def test_user_gradient_not_stolen(memory_format):
    """A gradient the user can still reach is copied: changing it later leaves .grad alone."""
    rng = np.random.default_rng(4)
    x = _leaf(rng.standard_normal((2, 3, 4, 5)), memory_format)
    g = ntorch.tensor(rng.standard_normal((2, 3, 4, 5)))
    if memory_format is not None:
        g = g.contiguous(memory_format=memory_format)
    want = g.numpy().copy()
    x.backward(g)  # the root is the leaf: its gradient is the user's tensor itself
    assert x.grad.stride() == x.stride()
    assert not np.shares_memory(x.grad._data, g._data)
    g.mul_(0.0)
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_hooked_gradient_not_stolen():
    rng = np.random.default_rng(5)
    x = _leaf(rng.standard_normal((2, 3, 4, 5)), ntorch.channels_last)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 2.0).backward(ntorch.ones(2, 3, 4, 5))
    assert x.grad.stride() == x.stride()
    assert not np.shares_memory(x.grad._data, seen[0]._data)


def test_two_leaves_do_not_share_a_gradient():
    rng = np.random.default_rng(6)
    a = _leaf(rng.standard_normal((2, 3, 4, 4)), ntorch.channels_last)
    b = _leaf(rng.standard_normal((2, 3, 4, 4)), ntorch.channels_last)
    (a + b).backward(ntorch.ones(2, 3, 4, 4).contiguous(memory_format=ntorch.channels_last))
    assert a.grad.stride() == b.grad.stride() == _cl_strides(2, 3, 4, 4)
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.numpy(), np.ones((2, 3, 4, 4)))


@pytest.mark.filterwarnings("ignore:Using backward.. with create_graph")
def test_create_graph_grad_in_leaf_layout():
    x = _leaf(np.arange(24.0).reshape(1, 2, 3, 4), ntorch.channels_last)
    (x * x).sum().backward(create_graph=True)
    assert x.grad.stride() == x.stride()
    assert x.grad.grad_fn.name() == "CopyBackwards"
    np.testing.assert_allclose(x.grad.detach().numpy(), 2.0 * np.arange(24.0).reshape(1, 2, 3, 4))


def test_retained_grad_of_non_leaf_contiguous():
    x = _leaf(np.arange(24.0).reshape(1, 2, 3, 4))
    y = x.contiguous(memory_format=ntorch.channels_last)  # a channels-last non-leaf
    y.retain_grad()
    (y * 2.0).sum().backward()
    assert y.grad.stride() == (24, 12, 4, 1)  # torch's retain_grad hook clones with MemoryFormat::Contiguous
    np.testing.assert_array_equal(y.grad.numpy(), np.full((1, 2, 3, 4), 2.0))
