"""Views, shape ops, basic indexing and the Python protocol, against NumPy, with PyTorch's semantics.

Every view must share memory with its base (writes through either are visible in the other) and bump the
version counter the base shares; errors are torch's (type and message).
"""

import re

import numpy as np
import pytest
from conftest import ALL_DTYPES, layouts, random_array
from hypothesis import given, settings
from hypothesis import strategies as st

import ntorch as nt


def _arange(*shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def _t(arr):
    return nt.from_numpy(np.ascontiguousarray(arr))


def _same(t, expected):
    assert tuple(t.shape) == expected.shape
    np.testing.assert_array_equal(t.numpy(), expected)


def _shares(view, base):
    """view and base share memory: a write through view shows in base and the other way round."""
    assert np.shares_memory(view.numpy(), base.numpy())


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


# ----------------------------------------------------------------------------------------------------------
# view / reshape
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,new", [((2, 3), (3, 2)), ((2, 3), (-1,)), ((2, 3), (6, -1)), ((2, 3, 4), (4, -1, 3)),
                                       ((6,), (1, 2, 1, 3)), ((), (1,)), ((1,), ()), ((0, 3), (3, 0)),
                                       ((0, 3), (-1, 3)), ((2, 0, 3), (0, 6))])
def test_view_matches_numpy_and_shares_memory(shape, new):
    a = _arange(*shape)
    t = _t(a)
    v = t.view(new)
    _same(v, a.reshape(new))
    if new:
        assert t.view(*new).shape == v.shape  # varargs work as well as a tuple
    if a.size:
        v.numpy().reshape(-1)[0] = -7
        assert t.numpy().reshape(-1)[0] == -7
        _shares(v, t)


def test_view_errors():
    t = _t(_arange(2, 3))
    _raises(RuntimeError, "shape '[-1, 4]' is invalid for input of size 6", t.view, -1, 4)
    _raises(RuntimeError, "shape '[4, 2]' is invalid for input of size 6", t.view, 4, 2)
    _raises(RuntimeError, "only one dimension can be inferred", t.view, -1, -1)
    _raises(RuntimeError, "invalid shape dimension -2 at index 0 of shape [-2, 3]", t.view, -2, 3)
    _raises(RuntimeError, "shape '[0, -1]' is invalid for input of size 6", t.view, 0, -1)
    _raises(RuntimeError, "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified "
            "dimension size -1 can be any value and is ambiguous", nt.zeros(0, 3).view, -1, 0)
    # torch's view fails exactly where no strides can describe the new shape
    msg = ("view size is not compatible with input tensor's size and stride (at least one dimension spans across "
           "two contiguous subspaces). Use .reshape(...) instead.")
    _raises(RuntimeError, msg, t.t().view, -1)
    _raises(RuntimeError, msg, t.t().view, 6)
    _raises(RuntimeError, msg, _t(_arange(2, 3, 4)).permute(1, 0, 2).view, 3, 8)
    _raises(RuntimeError, msg, _t(_arange(4, 4))[:, :2].view, 8)
    assert _t(_arange(4, 4))[:, ::2].view(8).stride() == (2,)


def test_view_of_non_contiguous_where_torch_allows_it():
    base = _t(_arange(2, 3, 4))
    p = base.permute(1, 0, 2)  # (3, 2, 4) strides (4, 12, 1)
    v = p.view(3, 2, 2, 2)  # splitting a dim is always possible
    assert v.stride() == (4, 12, 2, 1)
    _same(v, base.numpy().transpose(1, 0, 2).reshape(3, 2, 2, 2))
    _shares(v, base)
    s = base[:, 1:, ::2]  # (2, 2, 2) strides (12, 4, 2): dims 1, 2 merge into stride 2
    assert s.view(2, 4).stride() == (12, 2)
    _raises(RuntimeError, "view size is not compatible with input tensor's size and stride (at least one dimension "
            "spans across two contiguous subspaces). Use .reshape(...) instead.", s.view, 4, 2)  # dims 0, 1 don't merge
    col = base[:, :, :1]  # size-1 dims never block a view
    assert col.view(2, 3).stride() == (12, 4)
    e = nt.zeros(1, 3).expand(4, 3)  # stride 0 stays stride 0
    assert e.view(4, 1, 3).stride() == (0, 3, 1)


def test_reshape_views_when_possible_and_copies_otherwise():
    base = _t(_arange(2, 3, 4))
    r = base.reshape(6, 4)
    assert r.data_ptr() == base.data_ptr()
    _shares(r, base)
    s = base[:, 1:, ::2]
    r2 = s.reshape(2, 4)  # a view: stride (12, 2)
    assert r2.stride() == (12, 2)
    _shares(r2, base)
    r3 = s.reshape(4, 2)  # needs a copy
    _same(r3, base.numpy()[:, 1:, ::2].reshape(4, 2))
    assert not np.shares_memory(r3.numpy(), base.numpy())
    assert r3.is_contiguous()
    t = base.transpose(0, 2)
    r4 = t.reshape(-1)
    _same(r4, base.numpy().transpose(2, 1, 0).reshape(-1))
    assert not np.shares_memory(r4.numpy(), base.numpy())
    base[0, 0, 0] = 100.0
    assert r4[0].item() == 0.0  # the copy does not see later writes
    assert r.reshape((4, 6)).shape == (4, 6) and r.reshape([24]).shape == (24,)
    _raises(RuntimeError, "shape '[5, -1]' is invalid for input of size 24", base.reshape, 5, -1)
    with pytest.raises(TypeError):
        base.reshape(2.0, 12)


def test_view_as_reshape_as():
    a = _t(_arange(2, 6))
    other = nt.zeros(3, 4)
    assert a.view_as(other).shape == (3, 4)
    assert a.t().reshape_as(other).shape == (3, 4)


# ----------------------------------------------------------------------------------------------------------
# transpose, permute, T, mT, movedim
# ----------------------------------------------------------------------------------------------------------
def test_transpose_t_permute_T_mT():
    a = _arange(2, 3, 4)
    t = _t(a)
    _same(t.transpose(0, 2), a.swapaxes(0, 2))
    _same(t.transpose(-1, 0), a.swapaxes(-1, 0))
    _same(nt.transpose(t, 1, 1), a)
    _same(t.swapaxes(0, 1), a.swapaxes(0, 1))
    _same(t.swapdims(0, 1), a.swapaxes(0, 1))
    assert t.transpose(0, 2).stride() == (1, 4, 12)
    _same(t.permute(2, 0, 1), a.transpose(2, 0, 1))
    _same(t.permute((1, 2, 0)), a.transpose(1, 2, 0))
    _same(t.permute(-1, -3, -2), a.transpose(2, 0, 1))
    _same(t.T, a.transpose(2, 1, 0))
    _same(t.mT, a.swapaxes(-1, -2))
    _same(nt.movedim(t, 0, -1), np.moveaxis(a, 0, -1))
    _same(t.movedim((0, 1), (2, 0)), np.moveaxis(a, (0, 1), (2, 0)))
    m = _t(_arange(2, 3))
    _same(m.t(), m.numpy().T)
    _same(nt.t(m), m.numpy().T)
    v = _t(_arange(3))
    _same(v.t(), v.numpy())
    _same(v.T, v.numpy())
    s = nt.tensor(5.0)
    assert s.t().shape == () and s.T.shape == () and s.transpose(0, -1).shape == ()
    for view in (t.transpose(0, 1), t.permute(2, 1, 0), t.T, t.mT):
        _shares(view, t)
    _shares(m.t(), m)


def test_transpose_permute_errors():
    t = nt.zeros(2, 3)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", t.transpose, 0, 2)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", t.permute, 0, 2)
    _raises(RuntimeError, "permute(): duplicate dims are not allowed.", t.permute, 0, 0)
    with pytest.raises(RuntimeError, match="number of dimensions in the tensor input does not match the length of "
                                           "the desired ordering of dimensions"):
        t.permute(0)
    _raises(RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D", nt.zeros(2, 3, 4).t)
    _raises(RuntimeError, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.",
            lambda: nt.zeros(3).mT)


# ----------------------------------------------------------------------------------------------------------
# unsqueeze / squeeze
# ----------------------------------------------------------------------------------------------------------
def test_unsqueeze_squeeze():
    a = _arange(2, 1, 3, 1)
    t = _t(a)
    assert t.squeeze().shape == (2, 3)
    assert t.squeeze(1).shape == (2, 3, 1)
    assert t.squeeze(0).shape == (2, 1, 3, 1)  # a dim that is not 1 is left alone
    assert t.squeeze(-1).shape == (2, 1, 3)
    assert t.squeeze((1, 3)).shape == (2, 3)
    assert t.squeeze((1, -1, 0)).shape == (2, 3)
    assert nt.squeeze(t, [3]).shape == (2, 1, 3)
    _raises(RuntimeError, "dim 1 appears multiple times in the list of dims", t.squeeze, (1, 1))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-4, 3], but got 4)", t.squeeze, 4)
    u = _t(_arange(2, 3))
    assert u.unsqueeze(0).shape == (1, 2, 3)
    assert u.unsqueeze(2).shape == (2, 3, 1)
    assert u.unsqueeze(-1).shape == (2, 3, 1)
    assert u.unsqueeze(-3).shape == (1, 2, 3)
    assert nt.unsqueeze(u, 1).shape == (2, 1, 3)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-3, 2], but got 3)", u.unsqueeze, 3)
    s = nt.tensor(5.0)
    assert s.squeeze().shape == () and s.squeeze(0).shape == () and s.squeeze(-1).shape == ()
    assert s.unsqueeze(0).shape == (1,) and s.unsqueeze(-1).shape == (1,)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)", s.unsqueeze, 1)
    for v in (t.squeeze(), t.squeeze(1), u.unsqueeze(1)):
        v.numpy().reshape(-1)[-1] = 42
    assert t.numpy().reshape(-1)[-1] == 42 and u.numpy().reshape(-1)[-1] == 42


# ----------------------------------------------------------------------------------------------------------
# expand / expand_as / broadcast_to
# ----------------------------------------------------------------------------------------------------------
def test_expand_has_stride_zero_and_shares_memory():
    base = _t(_arange(3, 1))
    e = base.expand(3, 4)
    assert e.shape == (3, 4) and e.stride() == (1, 0)
    _same(e, np.broadcast_to(base.numpy(), (3, 4)))
    e2 = base.expand(2, 3, 4)
    assert e2.stride() == (0, 1, 0)
    assert base.expand(-1, 4).shape == (3, 4)
    assert base.expand((2, -1, 4)).shape == (2, 3, 4)
    assert base.expand([2, 3, 4]).shape == (2, 3, 4)
    assert base.expand(3, 0).shape == (3, 0)
    assert base.expand(0, 3, 1).shape == (0, 3, 1)
    assert base.expand_as(nt.zeros(2, 3, 6)).shape == (2, 3, 6)
    b = nt.broadcast_to(base, (5, 3, 2))
    assert b.stride() == (0, 1, 0)
    assert base.broadcast_to((3, 2)).shape == (3, 2)
    assert not e.is_contiguous()
    base[1, 0] = 50.0
    assert e[1].tolist() == [50.0] * 4 and e2[1, 1, 3].item() == 50.0
    _shares(e, base)


def test_expand_errors():
    t = nt.zeros(3, 1)
    _raises(RuntimeError, "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
            "dimension 0.  Target sizes: [4, 4].  Tensor sizes: [3, 1]", t.expand, 4, 4)
    _raises(RuntimeError, "expand(torch.FloatTensor{[3, 1]}, size=[4]): the number of sizes provided (1) must be "
            "greater or equal to the number of dimensions in the tensor (2)", t.expand, 4)
    _raises(RuntimeError, "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0",
            t.expand, -1, 3, 4)
    _raises(RuntimeError, "The expanded size of the tensor (5) must match the existing size (3) at non-singleton "
            "dimension 1.  Target sizes: [2, 5].  Tensor sizes: [3]", nt.broadcast_to, nt.zeros(3), (2, 5))
    _raises(RuntimeError, "expand(torch.LongTensor{[2]}, size=[]): the number of sizes provided (0) must be greater "
            "or equal to the number of dimensions in the tensor (1)", nt.zeros(2, dtype=nt.int64).expand, ())


# ----------------------------------------------------------------------------------------------------------
# flatten / unflatten / narrow / unbind / select
# ----------------------------------------------------------------------------------------------------------
def test_flatten_unflatten():
    a = _arange(2, 3, 4)
    t = _t(a)
    _same(t.flatten(), a.reshape(-1))
    _same(nt.flatten(t, 1), a.reshape(2, 12))
    _same(t.flatten(0, 1), a.reshape(6, 4))
    _same(t.flatten(-2, -1), a.reshape(2, 12))
    _same(t.flatten(1, 1), a)
    assert nt.tensor(3.0).flatten().shape == (1,)
    assert nt.zeros(2, 0, 3).flatten(1).shape == (2, 0)
    assert t.flatten().data_ptr() == t.data_ptr()
    tt = t.transpose(0, 2).flatten()  # not viewable: a copy
    _same(tt, a.transpose(2, 1, 0).reshape(-1))
    _raises(RuntimeError, "flatten() has invalid args: start_dim cannot come after end_dim", t.flatten, 2, 1)
    m = _t(_arange(2, 12))
    _same(m.unflatten(1, (3, 4)), a)
    _same(m.unflatten(1, (3, -1)), a)
    _same(nt.unflatten(m, -1, [2, 2, 3]), a.reshape(2, 2, 2, 3))
    _shares(m.unflatten(1, (3, 4)), m)
    _raises(RuntimeError, "unflatten: Provided sizes [5, 3] don't multiply up to the size of dim 1 (12) in the input "
            "tensor", m.unflatten, 1, (5, 3))
    _raises(RuntimeError, "unflatten: Provided sizes [5, -1] don't multiply up to the size of dim 1 (12) in the "
            "input tensor", m.unflatten, 1, (5, -1))
    _raises(RuntimeError, "unflatten: sizes must be non-empty", m.unflatten, 1, ())


def test_narrow_unbind_select():
    a = _arange(10)
    t = _t(a)
    _same(t.narrow(0, 2, 3), a[2:5])
    _same(nt.narrow(t, 0, -3, 2), a[7:9])
    _same(t.narrow(0, 10, 0), a[10:])
    _shares(t.narrow(0, 2, 3), t)
    _raises(RuntimeError, "start (8) + length (3) exceeds dimension size (10).", t.narrow, 0, 8, 3)
    _raises(RuntimeError, "narrow(): length must be non-negative.", t.narrow, 0, 2, -1)
    _raises(IndexError, "start out of range (expected to be in range of [-10, 10], but got 11)", t.narrow, 0, 11, 0)
    _raises(IndexError, "start out of range (expected to be in range of [-10, 10], but got -11)", t.narrow, 0, -11, 2)
    m = _t(_arange(2, 3))
    cols = m.unbind(1)
    assert isinstance(cols, tuple) and len(cols) == 3
    for i, c in enumerate(cols):
        _same(c, m.numpy()[:, i])
    rows = nt.unbind(m)
    assert [r.tolist() for r in rows] == m.tolist()
    cols[2][0] = -1.0  # unbind returns views
    assert m[0, 2].item() == -1.0
    _same(m.select(1, -1), m.numpy()[:, -1])
    _same(m.select(0, 1), m.numpy()[1])
    x = m.select(0, 1).select(0, 2)  # a 0-d view
    assert x.shape == () and x.storage_offset() == 5
    x.fill_(9.0)
    assert m[1, 2].item() == 9.0
    _raises(IndexError, "select(): index 3 out of range for tensor of size [2, 3] at dimension 1", m.select, 1, 3)
    _raises(IndexError, "select(): index -3 out of range for tensor of size [2, 3] at dimension 0", m.select, 0, -3)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", m.select, 2, 0)
    _raises(IndexError, "select() cannot be applied to a 0-dim tensor.", nt.tensor(1.0).select, 0, 0)


# ----------------------------------------------------------------------------------------------------------
# contiguous / clone
# ----------------------------------------------------------------------------------------------------------
def test_contiguous_and_clone():
    base = _t(_arange(3, 4))
    assert base.contiguous() is base
    t = base.t()
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (3, 1) and c.data_ptr() != base.data_ptr()
    _same(c, base.numpy().T)
    e = nt.zeros(2, 3).expand(3, 2, 3).contiguous()
    assert e.stride() == (6, 3, 1)
    # clone keeps the memory layout (torch.preserve_format) and never shares memory
    cl = t.clone()
    assert cl.stride() == (1, 4) and not cl.is_contiguous()
    _same(cl, t.numpy())
    assert not np.shares_memory(cl.numpy(), base.numpy())
    assert base[:, ::2].clone().stride() == (2, 1)  # not dense: contiguous
    assert base.t()[::2].clone().stride() == (1, 2)  # not dense: dense in the same dim order
    assert nt.zeros(3, 1).expand(3, 4).clone().stride() == (4, 1)
    p = nt.zeros(2, 3, 4).permute(2, 0, 1)
    assert p.clone().stride() == (1, 12, 4)
    cl2 = base.clone()
    cl2[0, 0] = 100.0
    assert base[0, 0].item() == 0.0
    assert cl2._version == 1 and base._version == 0


# ----------------------------------------------------------------------------------------------------------
# basic indexing and setitem
# ----------------------------------------------------------------------------------------------------------
INDICES = [
    1, -1, (1, -1), (1, -1, 2), slice(None), slice(1, None), slice(None, None, 2), slice(1, 3, 2), slice(-2, None),
    (slice(None), 1), (Ellipsis, 1), (1, Ellipsis), (None,), (None, 1), (Ellipsis, None), (1, None, slice(None, 2)),
    (slice(None, None, 3), Ellipsis, slice(1, None, 2)), slice(5, 10), slice(-10, 1), (0, slice(3, 1)),
    (Ellipsis,), (), (None, Ellipsis, None, 1), (np.int64(1), slice(None, None, 2)),
]


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_getitem_matches_numpy_and_is_a_view(index):
    a = _arange(2, 3, 4)
    t = _t(a)
    got = t[index]
    expected = a[index]
    _same(got, np.asarray(expected))
    assert isinstance(got, nt.Tensor)
    if got.numel():
        _shares(got, t)
        got.fill_(-5.0)  # writes through the view reach the base
        assert (t.numpy()[index] == -5.0).all()


def test_getitem_int_index_is_a_0d_view():
    t = _t(_arange(2, 3))
    x = t[1, 2]
    assert x.shape == () and x.storage_offset() == 5 and x.data_ptr() == t.data_ptr() + 5 * 4
    t[1, 2] = 7.0
    assert x.item() == 7.0
    x.add_(1)
    assert t[1, 2].item() == 8.0
    assert t[nt.tensor(1)].shape == (3,)
    s = nt.tensor(5.0)
    assert s[None].shape == (1,) and s[...].shape == () and s[()].shape == ()
    # torch expands only the first Ellipsis; later ones stand for no dims
    t3 = _t(_arange(2, 3, 4))
    assert t3[..., 0, ...].shape == (2, 3)
    assert t3[0, ..., ...].shape == (3, 4)


def test_getitem_errors():
    t = nt.zeros(2, 3, 4)
    _raises(IndexError, "index 2 is out of bounds for dimension 0 with size 2", t.__getitem__, 2)
    _raises(IndexError, "index -4 is out of bounds for dimension 1 with size 3", t.__getitem__, (slice(None), -4))
    # torch names the position in the index tuple, not the tensor dim
    _raises(IndexError, "index 4 is out of bounds for dimension 1 with size 4", t.__getitem__, (Ellipsis, 4))
    _raises(IndexError, "index 5 is out of bounds for dimension 2 with size 3", t.__getitem__, (0, None, 5))
    _raises(IndexError, "index 2 is out of bounds for dimension 1 with size 2", t.__getitem__, (None, 2))
    _raises(IndexError, "index 5 is out of bounds for dimension 2 with size 4", t.__getitem__, (Ellipsis, 0, 5))
    _raises(IndexError, "too many indices for tensor of dimension 3", t.__getitem__, (0, 0, 0, 0))
    _raises(ValueError, "step must be greater than zero", t.__getitem__, slice(None, None, -1))
    _raises(ValueError, "slice step cannot be zero", t.__getitem__, slice(None, None, 0))
    _raises(IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
            "indices (got float)", t.__getitem__, 1.0)
    _raises(TypeError, "slice indices must be integers or None or have an __index__ method", t.__getitem__,
            slice(0, 1.5))
    _raises(IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
            "to convert a 0-dim tensor to a number", nt.tensor(5.0).__getitem__, 0)


def test_setitem_broadcasting_and_casting():
    t = nt.zeros(2, 3)
    t[0] = 5
    t[:, 1] = nt.tensor([7.0, 8.0])
    t[1, 2] = nt.tensor([[4.0]])  # leading size-1 dims of the value are dropped
    assert t.tolist() == [[5.0, 7.0, 5.0], [0.0, 8.0, 4.0]]
    t[:] = nt.tensor([1.0, 2.0, 3.0])  # broadcast over rows
    assert t.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
    t[..., ::2] = nt.tensor([[10.0], [20.0]])
    assert t.tolist() == [[10.0, 2.0, 10.0], [20.0, 2.0, 20.0]]
    t[0, 0] = nt.tensor(3.0)
    t[1] = nt.tensor([6.0, 7.0, 8.0])
    assert t.tolist() == [[3.0, 2.0, 10.0], [6.0, 7.0, 8.0]]
    i = nt.zeros(2, 3, dtype=nt.int64)
    i[0] = 2.7  # float to int truncates toward zero
    i[1] = nt.tensor([1.9, -2.9, 3.5])
    assert i.tolist() == [[2, 2, 2], [1, -2, 3]] and i.dtype is nt.int64
    b = nt.zeros(3, dtype=nt.bool)
    b[0] = 5
    b[1:] = nt.tensor([0.0, 0.5])
    assert b.tolist() == [True, False, True]
    tt = nt.zeros(3, 2).t()  # through a non-contiguous view
    tt[1] = nt.tensor([1.0, 2.0, 3.0])
    assert tt.tolist() == [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]


def test_setitem_errors():
    t = nt.zeros(2, 3)
    _raises(RuntimeError, "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
            "dimension 1.  Target sizes: [2, 3].  Tensor sizes: [2]", t.__setitem__, slice(None), nt.tensor([1.0, 2.0]))
    _raises(RuntimeError, "expand(torch.FloatTensor{[2]}, size=[]): the number of sizes provided (0) must be greater "
            "or equal to the number of dimensions in the tensor (1)", t.__setitem__, (0, 1), nt.tensor([4.0, 5.0]))
    _raises(IndexError, "index 2 is out of bounds for dimension 0 with size 2", t.__setitem__, 2, 1.0)
    _raises(TypeError, "can't assign a list to a torch.FloatTensor", t.__setitem__, 0, [1.0, 2.0, 3.0])
    _raises(TypeError, "can't assign a numpy.ndarray to a torch.FloatTensor", t.__setitem__, 0, np.ones(3))
    assert t.tolist() == [[0.0] * 3] * 2


# ----------------------------------------------------------------------------------------------------------
# memory sharing, strides, offsets, contiguity, versions
# ----------------------------------------------------------------------------------------------------------
def test_writes_through_views_are_visible_both_ways():
    base = nt.zeros(2, 3)
    views = [base.t(), base.view(3, 2), base.reshape(6), base[1], base[:, 1:], base.unsqueeze(0), base.flatten(),
             base.narrow(1, 1, 2), base.expand(4, 2, 3), base.T, base.data, base.permute(1, 0)]
    base[1, 2] = 4.0
    assert base.t()[2, 1].item() == 4.0
    assert base.view(3, 2)[2, 1].item() == 4.0
    assert base.reshape(6)[5].item() == 4.0
    assert base.expand(4, 2, 3)[3, 1, 2].item() == 4.0
    for k, v in enumerate(views):
        assert np.shares_memory(v.numpy(), base.numpy()), k
    views[0][0, 1] = 9.0  # base[1, 0] through the transpose
    views[3][1] = 8.0  # base[1, 1] through a row view
    views[4][0, 0] = 7.0  # base[0, 1]
    assert base.tolist() == [[0.0, 7.0, 0.0], [9.0, 8.0, 4.0]]
    n = base.numpy()  # numpy() shares memory
    n[0, 0] = -1.0
    assert base[0, 0].item() == -1.0 and views[1][0, 0].item() == -1.0
    a = np.asarray(base)
    assert np.shares_memory(a, n)


def test_version_counter_is_shared_by_views():
    x = nt.zeros(2, 3)
    v0 = x._version
    x[0, 1] = 1.0
    y = x[1]
    y[0] = 3.0
    z = x.view(3, 2)
    z.add_(1)
    x.t().mul_(2)
    assert x._version == y._version == z._version == v0 + 4
    x.zero_()
    x.fill_(2.0)
    x.copy_(nt.ones(2, 3))
    assert y._version == v0 + 7
    c = x.clone()
    assert c._version == 0
    x.add(1)  # out of place: no bump
    assert x._version == v0 + 7


def test_stride_offset_data_ptr():
    x = nt.zeros(2, 3, 4)
    assert x.stride() == (12, 4, 1) and x.stride(1) == 4 and x.stride(-1) == 1
    assert x.storage_offset() == 0
    s = x[:, 1:3:2]
    assert s.stride() == (12, 8, 1) and s.storage_offset() == 4
    assert x[1].storage_offset() == 12 and x[1, 2].storage_offset() == 20 and x[1, 2, 3].storage_offset() == 23
    assert x[:, :, 1:].storage_offset() == 1
    assert x[1].data_ptr() - x.data_ptr() == 12 * 4
    assert x.transpose(0, 2).stride() == (1, 4, 12)
    assert nt.zeros(2, 0, 3).stride() == (3, 3, 1)  # torch counts size-0 dims as 1
    d = nt.zeros(3, dtype=nt.float64)
    assert d[1:].data_ptr() - d.data_ptr() == 8 and d.element_size() == 8
    _raises(IndexError, "Dimension out of range (expected to be in range of [-3, 2], but got 3)", x.stride, 3)


def test_is_contiguous_torch_rule():
    x = nt.zeros(4, 1, 3)
    assert x.is_contiguous()
    assert not x[:, :, :1].is_contiguous()  # (4, 1, 1) strides (3, 3, 1): dim 0 would need stride 1
    assert x[:1, :, :2].is_contiguous() and not x[:1, :, ::2].is_contiguous()
    assert not x[:, :, ::2].is_contiguous()
    assert not x.expand(4, 5, 3).is_contiguous()
    assert x[:1].expand(1, 1, 3).is_contiguous()
    assert nt.zeros(1, 3).t().is_contiguous() and nt.zeros(3, 1).t().is_contiguous()  # size-1 dims: any stride
    assert nt.zeros(2, 1, 3).permute(1, 0, 2).is_contiguous()
    assert nt.zeros(0, 3).t().is_contiguous()  # empty tensors are contiguous
    assert nt.zeros(2, 0, 3)[:, :, 1:].is_contiguous()
    assert nt.tensor(1.0).is_contiguous()
    assert nt.zeros(2, 3).t().is_contiguous() is False


# ----------------------------------------------------------------------------------------------------------
# item / tolist / numpy / __array__ / len / iteration / scalars
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_item_tolist_numpy(dt, rng):
    arr = random_array(rng, (2, 3), dt)
    t = nt.from_numpy(arr)
    assert t.tolist() == arr.tolist()
    py = type(arr.reshape(-1)[0].item())
    assert type(t[1, 2].item()) is py and t[1, 2].item() == arr[1, 2].item()
    assert type(t.tolist()[0][0]) is py
    n = t.numpy()
    assert n.dtype == dt.np and np.shares_memory(n, arr)
    a = np.asarray(t)
    assert a.dtype == dt.np and np.shares_memory(a, arr)
    a64 = np.asarray(t, dtype=np.float64)
    np.testing.assert_array_equal(a64, arr.astype(np.float64))
    for layout, lt, la in layouts(arr):
        assert lt.tolist() == la.tolist(), layout
        np.testing.assert_array_equal(lt.numpy(), la)


def test_python_protocol():
    t = nt.tensor([[1, 2], [3, 4]])
    assert len(t) == 2 and len(nt.zeros(0)) == 0 and len(nt.zeros(4, 2)) == 4
    rows = list(t)
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    rows[0][1] = 20  # iteration yields views
    assert t[0, 1].item() == 20
    assert nt.tensor(2).tolist() == 2 and nt.tensor(2.5).item() == 2.5 and nt.tensor([[True]]).item() is True
    assert nt.tensor([7]).item() == 7
    assert float(nt.tensor([3.5])) == 3.5 and int(nt.tensor([3.7])) == 3 and bool(nt.tensor([0])) is False
    assert [10, 20, 30][nt.tensor(1)] == 20  # __index__
    _raises(TypeError, "len() of a 0-d tensor", len, nt.tensor(2))
    _raises(TypeError, "iteration over a 0-d tensor", iter, nt.tensor(2))
    _raises(RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar", nt.tensor([1, 2]).item)
    _raises(RuntimeError, "a Tensor with 0 elements cannot be converted to Scalar", nt.tensor([]).item)
    _raises(ValueError, "only one element tensors can be converted to Python scalars", float, nt.tensor([1, 2]))
    _raises(ValueError, "only one element tensors can be converted to Python scalars", int, nt.tensor([1, 2]))
    _raises(RuntimeError, "Boolean value of Tensor with more than one value is ambiguous", bool, nt.tensor([1, 2]))
    _raises(RuntimeError, "Boolean value of Tensor with no values is ambiguous", bool, nt.tensor([]))
    assert f"{nt.tensor(2.5):.2f}" == "2.50"


# ----------------------------------------------------------------------------------------------------------
# repr (compared with what torch 2.x prints for the same tensors)
# ----------------------------------------------------------------------------------------------------------
REPRS = [
    (lambda: nt.tensor([[1.0, 4.0, 9.0], [16.0, 25.0, 36.0]]),
     "tensor([[ 1.,  4.,  9.],\n        [16., 25., 36.]])"),
    (lambda: nt.tensor([1.5, -2.25, 100.125]), "tensor([  1.5000,  -2.2500, 100.1250])"),
    (lambda: nt.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: nt.tensor([1e9, 1.0]), "tensor([1.0000e+09, 1.0000e+00])"),
    (lambda: nt.tensor([float("nan"), float("inf"), -float("inf"), 1.0]), "tensor([nan, inf, -inf, 1.])"),
    (lambda: nt.tensor([float("nan"), 1.5]), "tensor([   nan, 1.5000])"),
    (lambda: nt.zeros(3), "tensor([0., 0., 0.])"),
    (lambda: nt.tensor(3.5), "tensor(3.5000)"),
    (lambda: nt.tensor(3.0), "tensor(3.)"),
    (lambda: nt.tensor(-7), "tensor(-7)"),
    (lambda: nt.tensor(True), "tensor(True)"),
    (lambda: nt.tensor([True, False, True]), "tensor([ True, False,  True])"),
    (lambda: nt.tensor([True, True]), "tensor([True, True])"),
    (lambda: nt.tensor([[1, -200], [3, 4]]), "tensor([[   1, -200],\n        [   3,    4]])"),
    (lambda: nt.tensor([1, 2], dtype=nt.int32), "tensor([1, 2], dtype=ntorch.int32)"),
    (lambda: nt.tensor([1.5, 2], dtype=nt.float16), "tensor([1.5000, 2.0000], dtype=ntorch.float16)"),
    (lambda: nt.tensor([1.5, 2], dtype=nt.float64), "tensor([1.5000, 2.0000], dtype=ntorch.float64)"),
    (lambda: nt.zeros(0), "tensor([])"),
    (lambda: nt.zeros(2, 0), "tensor([], size=(2, 0))"),
    (lambda: nt.zeros(0, dtype=nt.int64), "tensor([], dtype=ntorch.int64)"),
    (lambda: nt.zeros(0, 3, dtype=nt.float64), "tensor([], size=(0, 3), dtype=ntorch.float64)"),
    (lambda: nt.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (lambda: nt.ones(2, 2, requires_grad=True), "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"),
    (lambda: nt.arange(6.0).reshape(2, 3).t(), "tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])"),
    (lambda: nt.tensor([-0.0, 0.0]), "tensor([-0., 0.])"),
    (lambda: nt.arange(12.0).reshape(2, 2, 3) / 8,
     "tensor([[[0.0000, 0.1250, 0.2500],\n         [0.3750, 0.5000, 0.6250]],\n\n"
     "        [[0.7500, 0.8750, 1.0000],\n         [1.1250, 1.2500, 1.3750]]])"),
    (lambda: nt.arange(40, dtype=nt.int32) - 20,
     "tensor([-20, -19, -18, -17, -16, -15, -14, -13, -12, -11, -10,  -9,  -8,  -7,\n"
     "         -6,  -5,  -4,  -3,  -2,  -1,   0,   1,   2,   3,   4,   5,   6,   7,\n"
     "          8,   9,  10,  11,  12,  13,  14,  15,  16,  17,  18,  19],\n       dtype=ntorch.int32)"),
    (lambda: nt.arange(1000.0, 3000.0).reshape(40, 50),
     "tensor([[1000., 1001., 1002.,  ..., 1047., 1048., 1049.],\n"
     "        [1050., 1051., 1052.,  ..., 1097., 1098., 1099.],\n"
     "        [1100., 1101., 1102.,  ..., 1147., 1148., 1149.],\n"
     "        ...,\n"
     "        [2850., 2851., 2852.,  ..., 2897., 2898., 2899.],\n"
     "        [2900., 2901., 2902.,  ..., 2947., 2948., 2949.],\n"
     "        [2950., 2951., 2952.,  ..., 2997., 2998., 2999.]])"),
    (lambda: nt.arange(2000.0).reshape(40, 50),  # max/min > 1000: scientific, wrapped at 80 columns
     "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
     "         4.9000e+01],\n"
     "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n"
     "         9.9000e+01],\n"
     "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n"
     "         1.4900e+02],\n"
     "        ...,\n"
     "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
     "         1.8990e+03],\n"
     "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n"
     "         1.9490e+03],\n"
     "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
     "         1.9990e+03]])"),
]


@pytest.mark.parametrize("make,expected", REPRS, ids=[e for _, e in REPRS])
def test_repr_matches_torch(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


# ----------------------------------------------------------------------------------------------------------
# Property tests: random shapes and permutations against NumPy
# ----------------------------------------------------------------------------------------------------------
shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_permute_transpose_property(data):
    shape = data.draw(shapes)
    a = _arange(*shape) if shape else np.array(1.0, dtype=np.float32)
    t = nt.from_numpy(a.copy())
    perm = data.draw(st.permutations(range(len(shape))))
    p = t.permute(perm)
    _same(p, a.transpose(perm))
    if p.numel():  # (NumPy keeps no strides for empty arrays: ntorch reports contiguous ones for them)
        assert p.stride() == tuple(t.stride()[i] for i in perm)
    if shape:
        d0 = data.draw(st.integers(-len(shape), len(shape) - 1))
        d1 = data.draw(st.integers(-len(shape), len(shape) - 1))
        _same(t.transpose(d0, d1), np.swapaxes(a, d0, d1))
    _same(p.contiguous(), np.array(a.transpose(perm), order="C"))
    assert p.contiguous().is_contiguous()


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_reshape_view_property(data):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple))
    a = _arange(*shape)
    t = nt.from_numpy(a.copy())
    perm = data.draw(st.permutations(range(len(shape))))
    src = t.permute(*perm)
    ref = a.transpose(perm)
    # a random factorisation of numel, with one dim maybe inferred
    n = ref.size
    new = []
    while n > 1:
        f = data.draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
        new.append(f)
        n //= f
    if data.draw(st.booleans()):
        new.append(1)
    if new and data.draw(st.booleans()):
        new[data.draw(st.integers(0, len(new) - 1))] = -1
    expected = ref.reshape(new)
    r = src.reshape(new)
    _same(r, expected)
    # view succeeds exactly when NumPy can reshape without copying (then it shares memory)
    try:
        no_copy = ref.view()
        no_copy.shape = expected.shape  # raises AttributeError/ValueError when a copy would be needed
    except (AttributeError, ValueError):
        no_copy = None
    if no_copy is None:
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            src.view(new)
        assert not np.shares_memory(r.numpy(), a) or r.numel() <= 1
    else:
        v = src.view(new)
        _same(v, expected)
        if v.numel():
            assert np.shares_memory(v.numpy(), t.numpy())
            assert v.stride() == tuple(s // 4 for s in no_copy.strides) or 1 in v.shape


bshape = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)


@settings(max_examples=50, deadline=None)
@given(shapes_=st.lists(bshape, min_size=1, max_size=4))
def test_broadcast_shapes_property(shapes_):
    try:
        expected = np.broadcast_shapes(*shapes_)
    except ValueError:
        with pytest.raises(RuntimeError):
            nt.broadcast_shapes(*shapes_)
        return
    assert tuple(nt.broadcast_shapes(*shapes_)) == expected
    # and expand realises it as a stride-0 view
    t = nt.zeros(shapes_[0])
    e = t.expand(expected)
    assert tuple(e.shape) == expected


def test_new_factories_type_and_masked_fill():
    x = nt.arange(6, dtype=nt.float64).reshape(2, 3)
    z = x.new_zeros(2, 2)
    assert z.dtype is nt.float64 and z.tolist() == [[0, 0], [0, 0]]
    assert x.new_ones((3,)).tolist() == [1, 1, 1] and x.new_full((2,), 7).tolist() == [7, 7]
    assert x.new_empty(4).shape == (4,) and x.new_tensor([1, 2]).dtype is nt.float64
    assert x.type() == "ntorch.DoubleTensor" and x.type(nt.int32).dtype is nt.int32
    assert x.type("torch.LongTensor").dtype is nt.int64
    mask = nt.tensor([True, False, True])
    filled = x.masked_fill(mask, -1.0)
    np.testing.assert_array_equal(filled.numpy(), np.where([True, False, True], -1.0, x.numpy()))
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    v = x._version
    x.masked_fill_(x > 3, 0)
    assert x.tolist() == [[0, 1, 2], [3, 0, 0]] and x._version == v + 1
    with pytest.raises(RuntimeError, match="boolean"):
        x.masked_fill(nt.ones(3), 1.0)
    with pytest.raises(RuntimeError):
        x.masked_fill(nt.ones(4, dtype=nt.bool), 1.0)
    assert nt.numel(x) == 6 and nt.is_tensor(x) and not nt.is_tensor(1) and nt.is_floating_point(x)
    assert nt.equal(nt.clone(x), x) and nt.select(x, 0, 1).tolist() == [3, 0, 0]


# conformance sweep: torch's layout rules for copies
def test_ravel_of_a_strided_tensor_is_a_contiguous_copy():
    """torch.ravel is contiguous().view(-1): never a strided view (flatten may be one)."""
    base = nt.arange(30.0).reshape(3, 10)
    x = base[:, ::2]
    r = x.ravel()
    assert r.is_contiguous() and r.stride() == (1,)
    np.testing.assert_array_equal(r.numpy(), np.arange(30.0).reshape(3, 10)[:, ::2].ravel())
    r[0] = -1.0
    assert base[0, 0].item() == 0.0  # a copy
    c = nt.arange(6.0)
    c.ravel()[0] = 7.0  # a contiguous tensor's ravel is still a view
    assert c[0].item() == 7.0


@pytest.mark.parametrize("cast", [lambda t: t.double(), lambda t: t.to(nt.int8), lambda t: t.bool(),
                                  lambda t: t.half(), lambda t: t.type_as(nt.ones(1))])
def test_casts_of_expanded_or_stepped_tensors_are_dense(cast):
    """torch's preserve_format: a dense layout keeps its strides (a transpose stays transposed), an expanded or
    stepped one gets dense strides in the same dim order."""
    e = nt.tensor([1, 0, 3]).reshape(1, 3).expand(2, 3)
    assert cast(e).stride() == (3, 1)
    np.testing.assert_array_equal(cast(e).numpy(), cast(nt.tensor([[1, 0, 3], [1, 0, 3]])).numpy())
    s = nt.arange(20).reshape(4, 5)[::2].t()  # (5, 2), strides (1, 10): not dense
    assert cast(s).stride() == (1, 5)
    np.testing.assert_array_equal(cast(s).numpy(), cast(s.contiguous()).numpy())
    t = nt.arange(6).reshape(2, 3).t()
    assert cast(t).stride() == (1, 3)
