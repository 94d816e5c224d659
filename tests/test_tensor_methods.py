"""Tensor methods without an op of their own (src/ntorch/ops/tensor_methods.py) against NumPy and torch's rules."""

import numpy as np
import pytest

import ntorch as nt
from ntorch.autograd import gradcheck


def windows(a: np.ndarray, dim: int, size: int, step: int) -> np.ndarray:
    """Reference unfold: every window along dim as a new last axis."""
    moved = np.moveaxis(a, dim, -1)
    starts = range(0, a.shape[dim] - size + 1, step)
    out = np.stack([moved[..., s:s + size] for s in starts], axis=-2)  # (..., windows, size)
    return np.moveaxis(out, -2, dim)


@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 3, 2), (-1, 1, 3), (2, 5, 1), (1, 0, 1)])
def test_unfold_is_a_view_with_numpys_windows(dim, size, step):
    a = np.arange(3 * 4 * 5, dtype=np.float64).reshape(3, 4, 5)
    t = nt.from_numpy(a.copy())
    u = t.unfold(dim, size, step)
    np.testing.assert_array_equal(u.numpy(), windows(a, dim % 3, size, step))
    if u.numel():
        t.view(-1)[0] = -1.0  # the view sees writes to its base
        assert u.reshape(-1)[0].item() == -1.0
    x = nt.from_numpy(np.random.default_rng(0).standard_normal((5, 4, 3))).requires_grad_()
    assert gradcheck(lambda x: x.transpose(0, 2).unfold(dim, size, step) * 1.5, (x,))  # overlapping windows


def test_unfold_errors():
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 7 but size is 8"):
        nt.arange(7.0).unfold(0, 8, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        nt.arange(7.0).unfold(0, 3, 0)
    np.testing.assert_array_equal(nt.tensor(5.0).unfold(0, 1, 1).numpy(), [5.0])


def test_in_place_shape_methods():
    a = nt.arange(6.0).reshape(2, 3)
    assert a.t_() is a and tuple(a.shape) == (3, 2)
    np.testing.assert_array_equal(a.numpy(), np.arange(6.0).reshape(2, 3).T)
    b = nt.ones(1, 3, 1)
    assert tuple(b.squeeze_().shape) == (3,) and tuple(b.unsqueeze_(0).shape) == (1, 3)
    assert tuple(b.transpose_(0, 1).shape) == (3, 1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        nt.ones(3, requires_grad=True).unsqueeze_(0)
    x = nt.ones(3, dtype=nt.float64, requires_grad=True)
    y = x * 2
    y.unsqueeze_(0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((5, 2), True), ((5, 2), False), ((2, 5), True),
                                        ((7, 3), True), ((2, 2, 2), False)])
def test_fill_diagonal_matches_numpy(shape, wrap):
    a = np.zeros(shape)
    np.fill_diagonal(a, 5.0, wrap=wrap)
    t = nt.zeros(*shape, dtype=nt.float64)
    assert t.fill_diagonal_(5.0, wrap=wrap) is t
    np.testing.assert_array_equal(t.numpy(), a)
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        nt.zeros(2, 3, 2).fill_diagonal_(1)


def test_sum_to_size_resize_and_small_methods():
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    t = nt.from_numpy(a)
    np.testing.assert_allclose(t.sum_to_size(3, 1).numpy(), a.sum(0).sum(-1, keepdims=True))
    np.testing.assert_allclose(t.sum_to_size(1, 1, 4).numpy(), a.sum((0, 1), keepdims=True))
    with pytest.raises(RuntimeError, match=r"size \{\[2\]\} is not expandable to size \{\[2, 3, 4\]\}"):
        t.sum_to_size(2)
    r = nt.arange(6.0)
    np.testing.assert_array_equal(r.resize_(2, 2).numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(nt.arange(6.0).resize_(3, 3)[:2].numpy(), [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        nt.ones(2, requires_grad=True).resize_(3)
    want = np.angle([1.0, -1.0, 0.0]).astype(np.float32)
    np.testing.assert_array_equal(nt.tensor([1.0, -1.0, 0.0]).angle().numpy(), want)
    np.testing.assert_array_equal(nt.tensor([float("inf"), -float("inf")]).angle().numpy(), [0.0, np.float32(np.pi)])
    assert np.isnan(nt.tensor([float("nan")]).angle().item())
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        _ = nt.ones(2).imag
    assert nt.ones(2).real.tolist() == [1.0, 1.0] and nt.ones(2).is_cpu and nt.ones(2, 3).t().dim_order() == (1, 0)
    assert tuple(nt.ones(2, 3).mH.shape) == (3, 2) and not nt.ones(2, dtype=nt.uint8).is_signed()
    with pytest.raises(RuntimeError, match="float_power_ has dtype Float"):
        nt.ones(2).float_power_(2)
    d = nt.ones(2, dtype=nt.float64)
    assert d.float_power_(3) is d
    x = nt.ones(2, 2)
    assert x.addmm_(nt.ones(2, 2), nt.ones(2, 2), alpha=2) is x
    np.testing.assert_array_equal(x.numpy(), np.full((2, 2), 5.0))
    y = nt.full((2,), 8.0)
    assert y.divide_(2) is y and y.greater_(3).tolist() == [1.0, 1.0] and y.multiply_(3).tolist() == [3.0, 3.0]


def test_real_number_functions_in_the_namespace():
    """torch.angle / conj / real / ... exist as functions too; for real dtypes conj and friends return input."""
    x = nt.tensor([1.0, -2.0, float("nan"), 0.0])
    np.testing.assert_array_equal(nt.angle(x).numpy(), np.angle(x.numpy()).astype(np.float32))
    assert nt.angle(nt.tensor([3, -1])).dtype is nt.float32
    out = nt.empty(0)
    assert nt.angle(nt.tensor([3, -1]), out=out) is out and out.tolist() == [0.0, np.float32(np.pi)]
    for name in ("conj", "resolve_conj", "resolve_neg", "conj_physical", "real"):
        assert getattr(nt, name)(x) is x
    assert nt.is_conj(x) is False and nt.is_neg(x) is False
    assert nt.adjoint(nt.ones(2, 3)).shape == (3, 2)
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        nt.imag(x)
    with pytest.raises(TypeError, match=r"^conj\(\): argument 'input' must be Tensor, not int$"):
        nt.conj(3)


def test_set_shares_memory_and_version():
    a, b = nt.zeros(3), nt.arange(6.0)
    assert a.set_(b, 1, (2, 2), (2, 1)) is a
    assert a.storage_offset() == 1 and a.stride() == (2, 1) and a._base is None
    np.testing.assert_array_equal(a.numpy(), [[1, 2], [3, 4]])
    b.add_(1)  # the memory, and the version counter, are b's
    np.testing.assert_array_equal(a.numpy(), [[2, 3], [4, 5]])
    assert a._version == b._version == 1
    c = nt.zeros(4).set_(b)
    assert c.is_set_to(b) and not c.is_set_to(b.view(2, 3)) and not c.is_set_to(b[1:])
    assert tuple(a.set_().shape) == (0,) and a.dtype is nt.float32
    with pytest.raises(RuntimeError, match="^Could not set tensor of type double to a tensor of type float$"):
        nt.zeros(2).set_(nt.zeros(2, dtype=nt.float64))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        nt.ones(2, requires_grad=True).set_(b)


def test_dense_tensor_protocol_methods():
    t = nt.ones(2, 3)
    assert t.dense_dim() == 2 and t.sparse_dim() == 0 and t.to_dense() is t
    assert t.to_dense(nt.float64).dtype is nt.float64 and t.const_data_ptr() == t.data_ptr()
    assert t.record_stream(None) is None
    loaded = t.module_load(nt.full((2, 3), 5.0))
    assert loaded is not t and loaded.data_ptr() == t.data_ptr()
    np.testing.assert_array_equal(t.numpy(), 5)
    src = nt.zeros(2, 3)
    assert t.module_load(src, assign=True).data_ptr() == src.data_ptr()


def test_storage_is_the_whole_typed_buffer():
    import warnings

    base = nt.arange(6.0)
    x = base.reshape(2, 3)[1:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = x.storage()
    assert any("TypedStorage is deprecated" in str(w.message) for w in caught)
    assert s.size() == len(s) == 6 and s.dtype is nt.float32 and s.element_size() == 4 and s.nbytes() == 24
    assert s.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and s[4] == 4.0
    assert s.data_ptr() == x.data_ptr() - 3 * 4  # the storage starts at the base's first element
    s[0] = 10.0
    assert base[0].item() == 10.0  # writes reach the tensor's memory
    assert x.untyped_storage().size() == 24 and x.untyped_storage().data_ptr() == s.data_ptr()
