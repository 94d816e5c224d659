"""Advanced indexing, gather/scatter and the index ops against NumPy (and plain reference loops where NumPy has
no equivalent), with PyTorch's placement rules, dtypes and error messages.

torch applies integer indices as selections before the index tensors, so it differs from NumPy when an int is
separated from an index array by a slice; those cases carry their own reference. Basic (view) indexing is
tested in test_views.py.
"""

import math
import re

import numpy as np
import pytest
from conftest import ALL_DTYPES, layouts, random_array

import ntorch as nt

A = np.arange(120, dtype=np.float32).reshape(4, 5, 6)
I = np.array([0, 3, -1, 2])  # noqa: E741
J = np.array([[1], [-4]])
M0 = np.array([True, False, True, True])
M1 = np.array([True, False, True, False, False])
M01 = np.random.default_rng(1).random((4, 5)) > 0.5
MASK = np.random.default_rng(2).random((4, 5, 6)) > 0.5


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _t(a):
    return nt.from_numpy(np.array(a))  # a copy: in-place ops must not change the references


def _to_nt(index):
    """A NumPy index with its arrays as ntorch tensors (lists and scalars stay as they are)."""
    if isinstance(index, tuple):
        return tuple(_to_nt(i) for i in index)
    return _t(index) if isinstance(index, np.ndarray) else index


def _wide(dt):
    """The dtype the scatter kernels accumulate in (float16 in float32, integers and bool in int64)."""
    return {nt.float16: np.float32, nt.float32: np.float32, nt.float64: np.float64}.get(dt, np.int64)


def _same(t, expected):
    expected = np.asarray(expected)
    assert isinstance(t, nt.Tensor) and tuple(t.shape) == expected.shape, (tuple(t.shape), expected.shape)
    assert t.dtype.np == expected.dtype, (t.dtype, expected.dtype)
    np.testing.assert_array_equal(t.numpy(), expected)


# ----------------------------------------------------------------------------------------------------------------
# getitem / setitem
# ----------------------------------------------------------------------------------------------------------------
# indices where torch's rules and NumPy's agree: the NumPy result is the reference
AGREE = [
    I, (I,), (slice(None), I), (Ellipsis, I[:2]), (I, J), (slice(None), I, J), (I[:, None], J.T, slice(None, None, 2)),
    (I, slice(None), I[:, None]), (I, None, J), (None, I, J), (slice(None), None, I, None), (I, 1, I), (0, I, J),
    M0, (M0, I[:3]), (slice(None), M1), (slice(None), M1, I[:2]), M01, MASK, (M01, I[:1]),
    (True,), (False,), (slice(None), True, I), (I, Ellipsis, True), [0, 1], [True, False, True, False],
    ([[0, 1], [2, 3]],), (np.array([], np.int64),), (np.array([1, 2], np.int32),), (I, [1, 4, 0, 2]),
    (np.array(2), I), (Ellipsis, [5, 0, 5]), ([-4, 3], Ellipsis, [0]), (M01, 1),
    (slice(1, 3), M1, slice(None, None, 2)),
]


@pytest.mark.parametrize("index", AGREE, ids=repr)
def test_getitem_and_setitem_match_numpy(index):
    t = _t(A)
    got = t[_to_nt(index)]
    expected = A[index]
    _same(got, expected)
    assert got.numel() == 0 or got.data_ptr() != t.data_ptr()  # advanced indexing copies
    # setitem with a tensor of the indexed shape, with a broadcast row and with a scalar
    value = np.random.default_rng(0).standard_normal(expected.shape).astype(np.float32)
    for v in (value, value[..., :1] if value.ndim else value, np.float32(-3.5)):
        e = A.copy()
        e[index] = v
        s = _t(A)
        s[_to_nt(index)] = _t(v) if isinstance(v, np.ndarray) else float(v)
        np.testing.assert_array_equal(s.numpy(), e)


def test_getitem_ints_apply_before_index_tensors():
    """torch selects with the ints first; NumPy would broadcast them with the arrays."""
    t = _t(A)
    _same(t[0, :, I], A[0][:, I])
    _same(t[I, :, 0], A[:, :, 0][I, :])
    _same(t[1, [0, 2], 1:3], A[1][[0, 2], 1:3])
    _same(t[:, 0, [1, 2]], A[:, 0][:, [1, 2]])
    _same(t[nt.tensor(1), :, [0, 1]], A[1][:, [0, 1]])
    s = _t(A)
    s[0, :, [1, 3]] = nt.tensor([7.0, 8.0])
    e = A.copy()
    e[0][:, [1, 3]] = [7.0, 8.0]
    np.testing.assert_array_equal(s.numpy(), e)


def test_list_heuristic_and_lists():
    t = _t(A)
    _same(t[[slice(None), 0]], A[:, 0])  # a list holding a slice is a tuple of indices
    _same(t[[[0, 1], [1, 0]]], A[[0, 1], [1, 0]])  # ... and so is one holding lists
    _same(t[[0, None]], A[0][None])
    _same(t[[1.0, 2.7]], A[[1, 2]])  # a list of floats becomes a long tensor, as in torch
    _same(t[[True, 0]], A[[1, 0]])  # mixed bools and ints: integers
    _same(t[[]], A[np.array([], np.int64)])
    _same(t[range(1, 3), 0], A[1:3, 0])
    _same(t[nt.tensor([1, 0, 1, 0], dtype=nt.uint8)], A[np.array([True, False, True, False])])  # uint8 is a mask


def test_getitem_layouts_and_dtypes(rng):
    for dt in ALL_DTYPES:
        a = random_array(rng, (5, 4), dt)
        for _name, t, ref in layouts(a):
            _same(t[nt.tensor([4, 0, -1, 0])], ref[[4, 0, -1, 0]])
            _same(t[:, nt.tensor([[3], [1]])], ref[:, [[3], [1]]])
            _same(t[nt.tensor([1, 2]), nt.tensor([3, 0])], ref[[1, 2], [3, 0]])
            mask = ref > ref.min() if dt is not nt.bool else ref
            _same(t[_t(mask)], ref[mask])
    # 0-d tensors, size-0 tensors and long rows (the kernel's blocked path, negative indices)
    s = nt.tensor(5.0)
    _same(s[True], np.array([5.0], np.float32))
    _same(s[False], np.zeros(0, np.float32))
    _same(s[nt.tensor(True)], np.array([5.0], np.float32))
    _same(_t(np.zeros((0, 3)))[nt.tensor([], dtype=nt.int64)], np.zeros((0, 3)))
    _same(_t(np.zeros((2, 0)))[nt.tensor([1, 0, 1])], np.zeros((3, 0)))
    big = rng.standard_normal((2, 3001)).astype(np.float32)
    idx = rng.integers(-3001, 3001, (2, 3001))
    _same(_t(big)[nt.tensor([[0], [1]]), _t(idx)], big[[[0], [1]], idx])
    big1 = rng.standard_normal(9000).astype(np.float32)
    idx1 = rng.integers(-9000, 9000, 9000)
    _same(_t(big1)[_t(idx1)], big1[idx1])
    _same(_t(big1)[_t(big1 > 0)], big1[big1 > 0])


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_setitem_dtypes_duplicates_and_scalars(dt, rng):
    a = random_array(rng, (4, 3), dt)
    v = random_array(rng, (5, 3), dt)
    t = _t(a)
    t[nt.tensor([0, 2, 0, -1, 2])] = _t(v)  # repeated rows: the last write wins
    e = a.copy()
    for k, i in enumerate([0, 2, 0, -1, 2]):
        e[i] = v[k]
    np.testing.assert_array_equal(t.numpy(), e)
    t[_t(a != a[0, 0])] = 1  # a scalar is cast to the tensor's dtype
    e[a != a[0, 0]] = 1
    np.testing.assert_array_equal(t.numpy(), e)
    t[nt.tensor([1]), nt.tensor([2])] = 2.7 if dt.is_floating_point else 2
    e[1, 2] = np.asarray(2.7).astype(dt.np) if dt is not nt.bool else True
    np.testing.assert_array_equal(t.numpy(), e)


def test_setitem_through_views_and_value_broadcast():
    base = _t(np.zeros((6, 4), np.float32))
    view = base.t()[1:3]  # a non-contiguous view: writes reach the base
    version = base._version
    view[:, nt.tensor([5, 0])] = nt.tensor([[1.0], [2.0]])
    e = np.zeros((6, 4), np.float32)
    e.T[1:3][:, [5, 0]] = [[1.0], [2.0]]
    np.testing.assert_array_equal(base.numpy(), e)
    assert base._version > version
    base[nt.tensor([0, 1])] = nt.tensor([[[9.0, 9.0, 9.0, 9.0]]])  # leading size-1 dims of the value are dropped
    e[[0, 1]] = 9.0
    np.testing.assert_array_equal(base.numpy(), e)
    m = nt.zeros(3, 4)
    m[nt.tensor([True, False, True])] = nt.tensor([1.0, 2.0, 3.0, 4.0])
    assert m.tolist() == [[1.0, 2.0, 3.0, 4.0], [0.0] * 4, [1.0, 2.0, 3.0, 4.0]]
    m[nt.tensor([True, False, True])] = nt.tensor(5.0, dtype=nt.float64)  # 0-d value through a mask: cast
    assert m[0].tolist() == [5.0] * 4


def test_index_put():
    t = nt.zeros(5)
    idx = nt.tensor([0, 0, 3, -1, 0])
    vals = nt.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    out = nt.index_put(t, (idx,), vals, accumulate=True)
    e = np.zeros(5, np.float32)
    np.add.at(e, [0, 0, 3, -1, 0], [1.0, 2.0, 3.0, 4.0, 5.0])
    _same(out, e)
    assert t.tolist() == [0.0] * 5  # out of place
    assert t.index_put_((idx,), vals) is t
    assert t.tolist() == [5.0, 0.0, 0.0, 3.0, 4.0]  # last write wins
    for dt in ALL_DTYPES:
        a = np.zeros((3, 2), dt.np)
        s = _t(a)
        s.index_put_([nt.tensor([1, 1, 2]), nt.tensor([0, 0, 1])], _t(np.ones(3, dt.np)), accumulate=True)
        e = np.zeros((3, 2), np.int64)
        np.add.at(e, ([1, 1, 2], [0, 0, 1]), 1)
        np.testing.assert_array_equal(s.numpy(), e.astype(dt.np))  # bool: logical or
    s = _t(np.arange(12, dtype=np.int8).reshape(3, 4))
    s.index_put_((nt.tensor([True, False, True]),), nt.tensor([100, 100, 100, 100], dtype=nt.int8), accumulate=True)
    np.testing.assert_array_equal(s.numpy()[0], (np.arange(4) + 100).astype(np.int8))  # int8 wraps
    s = _t(np.zeros((2, 3), np.float16)).t()
    s.index_put_((nt.tensor([2, 2]), nt.tensor([1, 1])), nt.tensor([0.5, 0.25], dtype=nt.float16), accumulate=True)
    assert s.tolist() == [[0.0, 0.0], [0.0, 0.0], [0.0, 0.75]]


def test_getitem_setitem_errors():
    t = _t(A)
    _raises(IndexError, "index 5 is out of bounds for dimension 0 with size 4", t.__getitem__, nt.tensor([0, 5]))
    _raises(IndexError, "index -5 is out of bounds for dimension 0 with size 4", t.__getitem__, [0, -5])
    _raises(IndexError, "index 6 is out of bounds for dimension 0 with size 6", t.__getitem__, (Ellipsis, [6]))
    _raises(IndexError, "index 7 is out of bounds for dimension 1 with size 6", t.__getitem__, ([0], slice(None), [7]))
    _raises(IndexError, "index 9 is out of bounds for dimension 2 with size 6", t.__getitem__, ([0], [0], [9]))
    # an int beside index tensors: torch names its position in the index tuple
    _raises(IndexError, "index 9 is out of bounds for dimension 3 with size 6", t.__getitem__,
            ([0], False, Ellipsis, 9))
    _raises(IndexError, "index 7 is out of bounds for dimension 1 with size 5", t.__getitem__, (_t(M0), 7))
    _raises(IndexError, "index -7 is out of bounds for dimension 3 with size 6", t.__getitem__, ([0], None, 1, -7))
    _raises(IndexError, "tensors used as indices must be long, int, byte or bool tensors", t.__getitem__,
            nt.tensor([0.0]))
    _raises(IndexError, "tensors used as indices must be long, int, byte or bool tensors", t.__getitem__,
            nt.tensor([1], dtype=nt.int16))
    _raises(IndexError, "The shape of the mask [3] at index 0 does not match the shape of the indexed tensor "
            "[4, 5, 6] at index 0", t.__getitem__, nt.tensor([True, False, True]))
    _raises(IndexError, "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor "
            "[4, 5, 6] at index 1", t.__getitem__, (slice(None), nt.tensor([True, False])))
    _raises(IndexError, "The shape of the mask [4, 6] at index 1 does not match the shape of the indexed tensor "
            "[4, 5, 6] at index 1", t.__getitem__, nt.ones(4, 6, dtype=nt.bool))
    _raises(IndexError, "too many indices for tensor of dimension 3", t.__getitem__, nt.ones(4, 5, 6, 1, dtype=nt.bool))
    _raises(IndexError, "too many indices for tensor of dimension 3", t.__getitem__, ([0], [0], [0], [0]))
    _raises(IndexError, "too many indices for tensor of dimension 0", nt.tensor(5.0).__getitem__, [0])
    _raises(IndexError, "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]",
            t.__getitem__, ([0, 1], [0, 1, 2]))
    s = _t(A)
    for index, value in [(nt.tensor([0, 4]), 1.0), ((slice(None), [-6]), 1.0), (nt.tensor([0.0]), 1.0)]:
        with pytest.raises(IndexError):
            s[index] = value
    np.testing.assert_array_equal(s.numpy(), A)  # nothing was written
    _raises(RuntimeError, "shape mismatch: value tensor of shape [2] cannot be broadcast to indexing result of shape "
            "[2, 5, 6]", s.__setitem__, [0, 1], nt.ones(2))
    _raises(RuntimeError, "Index put requires the source and destination dtypes match, got Float for the destination "
            "and Double for the source.", s.__setitem__, [0], nt.ones(6, dtype=nt.float64))
    _raises(TypeError, "can't assign a list to a torch.FloatTensor", s.__setitem__, [0], [1.0])
    _raises(IndexError, "index 3 is out of bounds for dimension 0 with size 3", nt.zeros(3, 2).index_put_,
            (nt.tensor([3]),), nt.tensor(1.0), accumulate=True)
    _raises(IndexError, "too many indices for tensor of dimension 2 (got 3)", nt.zeros(3, 2).index_put_,
            (nt.tensor([0]),) * 3, nt.tensor(1.0))
    _raises(TypeError, "expected Tensor as element 0 in argument 0, but got NoneType", nt.zeros(3, 2).index_put_,
            (None, nt.tensor([0])), nt.tensor(1.0))


# ----------------------------------------------------------------------------------------------------------------
# index_select / gather / take / take_along_dim
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_gather_family_dtypes(dt, rng):
    a = random_array(rng, (3, 4, 5), dt)
    t = _t(a)
    idx = np.array([2, 0, 3, 2])
    _same(nt.index_select(t, 1, _t(idx)), np.take(a, idx, axis=1))
    _same(t.index_select(-1, nt.tensor([4, 4], dtype=nt.int32)), a[:, :, [4, 4]])
    g = rng.integers(0, 5, (3, 4, 2))
    _same(nt.gather(t, 2, _t(g)), np.take_along_axis(a, g, 2))
    _same(t.take(_t(np.array([[0, 59], [-1, 7]]))), a.reshape(-1)[[[0, 59], [-1, 7]]])
    gi = rng.integers(-3, 3, (3, 1, 5))  # take_along_dim takes negative indices
    _same(nt.take_along_dim(t, _t(gi), dim=0), np.take_along_axis(a, gi % 3, 0))


def test_gather_family_layouts_and_shapes(rng):
    a = rng.standard_normal((4, 6)).astype(np.float32)
    for _name, t, ref in layouts(a):
        idx = rng.integers(0, 6, (4, 6))
        _same(nt.gather(t, 1, _t(idx)), np.take_along_axis(ref, idx, 1))
        _same(nt.gather(t, 0, _t(idx[:2, :3] % 4)), np.take_along_axis(ref[:, :3], idx[:2, :3] % 4, 0))  # smaller
        _same(t.index_select(0, nt.tensor([3, 1, 3])), ref[[3, 1, 3]])
        _same(nt.take(t, nt.tensor([23, -24, 5])), ref.reshape(-1)[[23, -24, 5]])
        _same(nt.take_along_dim(t, nt.tensor([[5, -1]]), dim=1), np.take_along_axis(ref, np.array([[5, 5]] * 4), 1))
        _same(nt.take_along_dim(t, nt.tensor([5, 0, 23])), ref.reshape(-1)[[5, 0, 23]])
    # index expanded with stride 0, long rows, 0-d and empty
    idx = nt.tensor([[1, 0, 2]]).expand(4, 3)
    _same(nt.gather(_t(a), 1, idx), np.take_along_axis(a, np.array([[1, 0, 2]] * 4), 1))
    long = rng.standard_normal((2, 2500)).astype(np.float32)
    li = rng.integers(0, 2500, (2, 2500))
    _same(nt.gather(_t(long), 1, _t(li)), np.take_along_axis(long, li, 1))
    li[1, 2000] = -1  # the kernel checks the long row block by block
    _raises(RuntimeError, "index -1 is out of bounds for dimension 1 with size 2500", nt.gather, _t(long), 1, _t(li))
    li = rng.integers(-2500, 2500, (2, 2500))
    _same(nt.take_along_dim(_t(long), _t(li), 1), np.take_along_axis(long, li % 2500, 1))
    _same(nt.gather(nt.tensor(5.0), 0, nt.tensor(0)), np.array(5.0, np.float32))
    _same(nt.gather(nt.tensor([5.0, 6.0]), 0, nt.tensor(1)), np.array(6.0, np.float32))
    _same(nt.gather(_t(a), 1, nt.zeros(0, 2, dtype=nt.int64)), np.zeros((0, 2), np.float32))
    _same(nt.index_select(nt.tensor(5.0), 0, nt.tensor([0])), np.array(5.0, np.float32))
    _same(nt.index_select(_t(a), 0, nt.tensor(2)), a[[2]])
    _same(nt.index_select(_t(a), 1, nt.tensor([], dtype=nt.int64)), a[:, :0])
    _same(nt.take(nt.tensor(3.0), nt.tensor([0, 0])), np.array([3.0, 3.0], np.float32))
    out = nt.empty(0)
    assert nt.gather(_t(a), 1, nt.tensor([[0], [1], [2], [3]]), out=out) is out and out.shape == (4, 1)


def test_gather_family_errors():
    a = nt.zeros(3, 4)
    _raises(RuntimeError, "index 5 is out of bounds for dimension 1 with size 4", nt.gather, a, 1, nt.tensor([[0, 5]]))
    _raises(RuntimeError, "index -1 is out of bounds for dimension 1 with size 4", nt.gather, a, 1, nt.tensor([[-1]]))
    _raises(RuntimeError, "index 3 is out of bounds for dimension 0 with size 3", nt.gather, a, 0, nt.tensor([[3]]))
    _raises(RuntimeError, "gather(): Expected dtype int32/int64 for index", nt.gather, a, 1, nt.tensor([[0.0]]))
    _raises(RuntimeError, "Index tensor must have the same number of dimensions as input tensor", nt.gather, a, 1,
            nt.tensor([0]))
    _raises(RuntimeError, "Size does not match at dimension 0 expected index [4, 2] to be no larger than self [3, 4] "
            "apart from dimension 1", nt.gather, a, 1, nt.zeros(4, 2, dtype=nt.int64))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nt.gather, a, 2,
            nt.zeros(1, 1, dtype=nt.int64))
    _raises(IndexError, "index out of range in self", nt.index_select, a, 0, nt.tensor([3]))
    # torch 2.13's CPU index_select along dim 1 of a 2+-d input runs Caffe2's kernel: its RuntimeError
    _raises(RuntimeError, "INDICES element is out of DATA bounds, id=-1 axis_dim=4", nt.index_select, a, 1,
            nt.tensor([-1]))
    _raises(RuntimeError, "INDICES element is out of DATA bounds, id=9 axis_dim=3", nt.index_select,
            nt.ones(2, 3, 4, 5), 1, nt.tensor([0, 2, 9, -7]))
    _raises(RuntimeError, "INDICES element is out of DATA bounds, id=5 axis_dim=3", nt.index_select,
            nt.ones(0, 3), -1, nt.tensor([1, 5]))
    _raises(IndexError, "index out of range in self", nt.index_select, nt.ones(2, 3, 4), 2, nt.tensor([0, 7]))
    _raises(IndexError, "index out of range in self", nt.index_select, nt.zeros(100, 100), 0, nt.tensor([-1]))
    _raises(IndexError, "index_select(): Index is supposed to be a vector", nt.index_select, a, 0, nt.tensor([[0]]))
    _raises(RuntimeError, "index_select(): Expected dtype int32 or int64 for index", nt.index_select, a, 0,
            nt.tensor([1], dtype=nt.int16))
    _raises(RuntimeError, "index_select(): Index to scalar can have only 1 value, got 2 value(s)", nt.index_select,
            nt.tensor(5.0), 0, nt.tensor([0, 0]))
    _raises(IndexError, "out of range: tried to access index 12 on a tensor of 12 elements.", nt.take, a,
            nt.tensor([12]))
    _raises(IndexError, "out of range: tried to access index -13 on a tensor of 12 elements.", nt.take, a,
            nt.tensor([-13]))
    _raises(RuntimeError, "take(): Expected a long tensor for index, but got Int", nt.take, a,
            nt.tensor([1], dtype=nt.int32))
    _raises(IndexError, "take(): tried to take from an empty tensor", nt.take, nt.zeros(0), nt.tensor([0]))
    _raises(RuntimeError, "torch.take_along_dim(): dtype of indices should be Long but got Float", nt.take_along_dim,
            a, nt.tensor([[1.0]]), dim=1)
    _raises(RuntimeError, "torch.take_along_dim(): input and indices should have the same number of dimensions, but "
            "got 2 dimensions for input, and 1 dimensions for indices", nt.take_along_dim, a, nt.tensor([1]), dim=1)
    _raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0",
            nt.take_along_dim, a, nt.tensor([[1], [1]]), dim=1)
    # along a dim, torch 2.13 reads indices modulo the dim's size (checked against torch: 100 -> 0, -6 -> 2, 7 -> 3);
    # flattened (dim None) it raises gather's error
    big = nt.tensor([[100, -100, 7, -6, 4]])
    src = nt.arange(12.0).reshape(3, 4)
    _same(nt.take_along_dim(src, big, dim=1),
          np.take_along_axis(src.numpy(), np.mod(big.numpy(), 4).repeat(3, 0), 1))
    _raises(RuntimeError, "index 13 is out of bounds for dimension 0 with size 12", nt.take_along_dim, a,
            nt.tensor([13]))


# ----------------------------------------------------------------------------------------------------------------
# scatter family
# ----------------------------------------------------------------------------------------------------------------
def _scatter_ref(a, dim, idx, src, fn):
    """Reference loop: for every position p of idx, fn(out, target position, src[p])."""
    out = a.copy()
    for p in np.ndindex(*idx.shape):
        q = list(p)
        q[dim] = idx[p] % a.shape[dim]
        fn(out, tuple(q), src[p] if src.ndim else src)
    return out


def _put(o, q, v):
    o[q] = v


def _add(o, q, v):
    o[q] = o[q] + v


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_scatter_and_scatter_add_dtypes(dt, rng):
    a = random_array(rng, (3, 5), dt)
    src = random_array(rng, (3, 5), dt)
    idx = rng.integers(0, 5, (2, 4))  # smaller than self and src; repeated positions
    _same(nt.scatter(_t(a), 1, _t(idx), _t(src)), _scatter_ref(a, 1, idx, src, _put))
    _same(_t(a).scatter(1, _t(idx), 2), _scatter_ref(a, 1, idx, np.asarray(2).astype(dt.np), _put))
    exp = _scatter_ref(a.astype(_wide(dt)), 1, idx, src, _add)
    _same(nt.scatter_add(_t(a), 1, _t(idx), _t(src)), exp.astype(dt.np) if dt is not nt.bool else exp != 0)
    t = _t(a)
    assert t.scatter_add_(0, _t(idx % 3), _t(src)) is t
    exp = _scatter_ref(a.astype(_wide(dt)), 0, idx % 3, src, _add)
    np.testing.assert_array_equal(t.numpy(), exp.astype(dt.np) if dt is not nt.bool else exp != 0)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int64, nt.int8, nt.float16, nt.uint8])
def test_scatter_reduce(reduce, include_self, dt, rng):
    a = rng.integers(1, 4, (3, 6)).astype(dt.np)  # small integers: exact in every dtype
    src = rng.integers(1, 4, (3, 6)).astype(dt.np)
    if dt in (nt.int64, nt.int8, nt.float32):
        src[0, 0] = -src[0, 0] if dt is not nt.uint8 else 0
    idx = rng.integers(0, 6, (3, 4))
    sums, counts, prods = a.astype(np.float64), np.ones(a.shape), a.astype(np.float64)
    maxs, mins = a.astype(np.float64), a.astype(np.float64)
    seen = np.zeros(a.shape, bool)
    for p in np.ndindex(*idx.shape):
        q = (p[0], idx[p])
        v = float(src[p])
        if not include_self and not seen[q]:
            sums[q], counts[q], prods[q], maxs[q], mins[q] = 0.0, 0.0, 1.0, v, v
        seen[q] = True
        sums[q] += v
        counts[q] += 1
        prods[q] *= v
        maxs[q], mins[q] = max(maxs[q], v), min(mins[q], v)
    if reduce == "mean":
        counts = np.maximum(counts, 1)
        exp = sums / counts if dt.is_floating_point else np.floor_divide(sums, counts)
    else:
        exp = {"sum": sums, "prod": prods, "amax": maxs, "amin": mins}[reduce]
    with np.errstate(over="ignore"):
        exp = exp.astype(np.int64).astype(dt.np) if not dt.is_floating_point else exp.astype(dt.np)
    got = nt.scatter_reduce(_t(a), 1, _t(idx), _t(src), reduce, include_self=include_self)
    _same(got, exp)
    t = _t(a).t()  # in place through a transposed view
    t.scatter_reduce_(0, _t(idx.T.copy()), _t(src.T.copy()), reduce, include_self=include_self)
    np.testing.assert_array_equal(t.numpy().T, exp)


def test_scatter_reduce_nan_and_legacy_reduce():
    r = nt.tensor([[7.0, 1.0]]).scatter_reduce(1, nt.tensor([[0, 0]]), nt.tensor([[float("nan"), 3.0]]), "amax")
    assert np.isnan(r[0, 0].item()) and r[0, 1].item() == 1.0
    r = nt.tensor([[float("nan"), 1.0]]).scatter_reduce(1, nt.tensor([[0, 0]]), nt.tensor([[2.0, 3.0]]), "amin")
    assert np.isnan(r[0, 0].item())
    z = nt.zeros(2, 3)
    assert z.scatter(1, nt.tensor([[1, 1]]), nt.ones(1, 2), reduce="add").tolist() == [[0, 2, 0], [0, 0, 0]]
    assert (z + 2).scatter(1, nt.tensor([[1, 1]]), nt.full((1, 2), 3.0), reduce="multiply").tolist() == \
        [[2, 18, 2], [2, 2, 2]]
    assert z.scatter(1, nt.tensor([[1, 1]]), 2.0, reduce="add").tolist() == [[0, 4, 0], [0, 0, 0]]
    assert nt.zeros(3).scatter_(0, nt.tensor([1]), value=5.0).tolist() == [0, 5, 0]
    assert nt.tensor(1.0).scatter_add(0, nt.tensor(0), nt.tensor(5.0)).item() == 6.0
    _same(nt.zeros(2, 3).scatter(1, nt.tensor([[0]], dtype=nt.int32), nt.ones(1, 1)),
          np.array([[1, 0, 0], [0, 0, 0]], np.float32))
    _same(nt.zeros(2, 3).scatter(1, nt.zeros(2, 0, dtype=nt.int64), nt.ones(2, 0)), np.zeros((2, 3), np.float32))


def test_scatter_errors():
    s = nt.zeros(3, 4)
    ones = nt.ones(1, 1)
    _raises(RuntimeError, "index 4 is out of bounds for dimension 1 with size 4", s.scatter, 1, nt.tensor([[4]]), ones)
    _raises(RuntimeError, "index -1 is out of bounds for dimension 1 with size 4", s.scatter_add_, 1,
            nt.tensor([[-1]]), ones)  # torch's scatter takes no negative indices
    _raises(RuntimeError, "index 3 is out of bounds for dimension 0 with size 3", s.scatter_reduce, 0,
            nt.tensor([[3]]), ones, "sum")
    assert s.tolist() == [[0.0] * 4] * 3
    _raises(RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype", s.scatter, 1, nt.tensor([[0]]),
            nt.ones(1, 1, dtype=nt.float64))
    _raises(RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype", s.scatter_add, 1,
            nt.tensor([[0]]), nt.ones(1, 1, dtype=nt.float64))
    _raises(RuntimeError, "scatter(): Expected dtype int32/int64 for index", s.scatter, 1, nt.tensor([[0.0]]), ones)
    _raises(RuntimeError, "Expected index [4, 1] to be no larger than self [3, 4] apart from dimension 1 and to be no "
            "larger size than src [4, 1]", s.scatter, 1, nt.zeros(4, 1, dtype=nt.int64), nt.ones(4, 1))
    _raises(RuntimeError, "Expected index [2, 3] to be no larger than self [3, 4] apart from dimension 1 and to be no "
            "larger size than src [2, 2]", s.scatter, 1, nt.zeros(2, 3, dtype=nt.int64), nt.ones(2, 2))
    _raises(RuntimeError, "Index tensor must have the same number of dimensions as self tensor", s.scatter, 1,
            nt.zeros(2, dtype=nt.int64), nt.ones(2))
    _raises(RuntimeError, "reduce argument must be either add or multiply.", s.scatter, 1, nt.tensor([[1]]), ones,
            reduce="mean")
    _raises(RuntimeError, "reduce argument must be either sum, prod, mean, amax or amin, got foo", s.scatter_reduce,
            1, nt.tensor([[1]]), ones, "foo")
    with pytest.raises(NotImplementedError):
        nt.zeros(3, dtype=nt.bool).scatter_reduce(0, nt.tensor([0]), nt.ones(1, dtype=nt.bool), "mean")


# ----------------------------------------------------------------------------------------------------------------
# index_add / index_copy / index_fill
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_index_add_copy_fill_dtypes(dt, rng):
    a = random_array(rng, (4, 3), dt)
    src = random_array(rng, (4, 5), dt)
    idx = np.array([2, 0, 1, 2, 0])
    wide = a.astype(_wide(dt))
    alpha = 2 if dt is not nt.bool else 1
    add = wide.copy()
    np.add.at(add, (slice(None), idx), src.astype(wide.dtype) * alpha)
    _same(nt.index_add(_t(a), 1, _t(idx), _t(src), alpha=alpha), add.astype(dt.np) if dt is not nt.bool else add != 0)
    cp = a.copy()
    for k, i in enumerate(idx):
        cp[:, i] = src[:, k]  # the last copy wins
    _same(_t(a).index_copy(1, _t(idx), _t(src)), cp)
    fill = a.copy()
    fill[:, [0, -1]] = np.asarray(1).astype(dt.np)
    _same(_t(a).index_fill(1, nt.tensor([0, -1]), 1), fill)  # index_fill takes negative indices


def test_index_ops_layouts_and_inplace(rng):
    a = rng.standard_normal((5, 4)).astype(np.float32)
    src = rng.standard_normal((3, 4)).astype(np.float32)
    for name, t, ref in layouts(a):
        if name == "expanded":
            continue
        e = ref.astype(np.float64)
        np.add.at(e, [1, 1, 4], src.astype(np.float64) * 0.5)
        assert t.index_add_(0, nt.tensor([1, 1, 4]), _t(src), alpha=0.5) is t
        np.testing.assert_allclose(t.numpy(), e, rtol=1e-6)
        t.index_fill_(1, nt.tensor([0, -1]), nt.tensor(-2.0))
        e[:, [0, -1]] = -2.0
        np.testing.assert_allclose(t.numpy(), e, rtol=1e-6)
        t.index_copy_(0, nt.tensor([4, 0, 2]), _t(src))
        e[[4, 0, 2]] = src
        np.testing.assert_allclose(t.numpy(), e, rtol=1e-6)
    _same(nt.tensor(5.0).index_fill(0, nt.tensor([0]), 2.0), np.array(2.0, np.float32))
    _same(nt.zeros(3, 4).index_add(0, nt.tensor(1), nt.ones(1, 4)), np.array([[0] * 4, [1] * 4, [0] * 4], np.float32))
    _same(nt.tensor([100], dtype=nt.int8).index_add(0, nt.tensor([0]), nt.tensor([3], dtype=nt.int8), alpha=100),
          np.array([-112], np.int8))
    _same(nt.zeros(2, 3, dtype=nt.int64).index_add(0, nt.tensor([0, 0]), nt.ones(2, 3, dtype=nt.int64), alpha=2.5),
          np.array([[4, 4, 4], [0, 0, 0]]))


def test_index_ops_errors():
    a = nt.zeros(3, 4)
    _raises(RuntimeError, "index 3 is out of bounds for dimension 0 with size 3", a.index_add, 0, nt.tensor([3]),
            nt.ones(1, 4))
    _raises(RuntimeError, "index -1 is out of bounds for dimension 1 with size 4", a.index_add, 1, nt.tensor([-1]),
            nt.ones(3, 1))
    _raises(IndexError, "index_copy_(): index -1 is out of bounds for dimension 0 with size 3", a.index_copy, 0,
            nt.tensor([-1]), nt.ones(1, 4))
    _raises(RuntimeError, "index_add_(): Number of indices (1) should be equal to source.size(dim): (2), for dim: 0",
            a.index_add, 0, nt.tensor([0]), nt.ones(2, 4))
    _raises(RuntimeError, "source tensor shape must match self tensor shape, excluding the specified dimension. Got "
            "self.shape = [3, 4] source.shape = [1, 3]", a.index_add, 0, nt.tensor([0]), nt.ones(1, 3))
    _raises(RuntimeError, "index_add_(): self (Float) and source (Double) must have the same scalar type", a.index_add,
            0, nt.tensor([0]), nt.ones(1, 4, dtype=nt.float64))
    _raises(RuntimeError, "index_add_(): Expected dtype int32/int64 for index but got: Float", a.index_add, 0,
            nt.tensor([0.0]), nt.ones(1, 4))
    _raises(IndexError, "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long and size: "
            "[1, 1]", a.index_add, 0, nt.tensor([[0]]), nt.ones(1, 4))
    _raises(IndexError, "index_copy_(): index 3 is out of bounds for dimension 0 with size 3", a.index_copy, 0,
            nt.tensor([3]), nt.ones(1, 4))
    _raises(RuntimeError, "index_copy_(): self and source expected to have the same dtype, but got (self) Float and "
            "(source) Double", a.index_copy, 0, nt.tensor([0]), nt.ones(1, 4, dtype=nt.float64))
    _raises(IndexError, "index_copy_(): Number of indices (1) should be equal to source.size(dim) (2)", a.index_copy,
            0, nt.tensor([0]), nt.ones(2, 4))
    _raises(RuntimeError, "index_copy_(): Expected a long tensor for index, but got Int", a.index_copy, 0,
            nt.tensor([0], dtype=nt.int32), nt.ones(1, 4))
    _raises(RuntimeError, "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
            "shape: 4 at dimension 0 and source slice shape: 3 at dimension 0.", a.index_copy, 0, nt.tensor([0]),
            nt.ones(1, 3))
    _raises(IndexError, "index 3 is out of bounds for dimension 0 with size 3", a.index_fill, 0, nt.tensor([3]), 1.0)
    _raises(IndexError, "index_fill_(): Expected dtype int64 for index.", a.index_fill, 1,
            nt.tensor([1], dtype=nt.int32), 2.0)
    _raises(RuntimeError, "Index has to be a vector/scalar", a.index_fill, 1, nt.tensor([[1]]), 2.0)
    _raises(RuntimeError, "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
            "dimension(s).", a.index_fill, 1, nt.tensor([1]), nt.tensor([2.0]))
    assert a.tolist() == [[0.0] * 4] * 3


# ----------------------------------------------------------------------------------------------------------------
# put / masked_select / masked_scatter / masked_fill / nonzero / argwhere
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_put_and_masked_dtypes(dt, rng):
    a = random_array(rng, (3, 4), dt)
    v = random_array(rng, (5,), dt)
    idx = np.array([0, 11, -1, 0, 5])
    e = a.copy().reshape(-1)
    e[idx] = v  # the last write wins
    _same(nt.put(_t(a), _t(idx), _t(v)), e.reshape(3, 4))
    wide = a.astype(_wide(dt)).reshape(-1)
    np.add.at(wide, idx, v)
    _same(_t(a).put(_t(idx), _t(v), accumulate=True), (wide.astype(dt.np) if dt is not nt.bool else wide != 0)
          .reshape(3, 4))
    mask = rng.random((3, 4)) > 0.5
    _same(nt.masked_select(_t(a), _t(mask)), a[mask])
    src = random_array(rng, (12,), dt)
    e = a.copy()
    e[mask] = src[:mask.sum()]
    _same(_t(a).masked_scatter(_t(mask), _t(src)), e)
    _same(nt.argwhere(_t(a)), np.argwhere(a))
    for got, exp in zip(nt.nonzero(_t(a), as_tuple=True), np.nonzero(a)):
        _same(got, exp.astype(np.int64))


def test_put_masked_layouts_and_broadcast(rng):
    a = rng.standard_normal((4, 6)).astype(np.float32)
    for name, t, ref in layouts(a):
        mask = np.tile(rng.random((1, 6)) > 0.5, (4, 1))
        _same(nt.masked_select(t, _t(mask[:1])), ref[mask])  # the mask broadcasts
        _same(nt.masked_select(t, _t(mask[0])), ref[mask])
        _same(t[_t(mask)], ref[mask])
        if name == "expanded":
            continue
        s = t
        e = ref.copy()
        s.put_(nt.tensor([23, 1, 1]), nt.tensor([1.0, 2.0, 3.0]), accumulate=True)
        e.reshape(-1)[23] += 1.0
        e.reshape(-1)[1] += 5.0
        np.testing.assert_allclose(s.numpy(), e, rtol=1e-6)
        s.masked_scatter_(_t(mask[:1]), nt.arange(24.0))
        e[mask] = np.arange(mask.sum(), dtype=np.float32)
        np.testing.assert_allclose(s.numpy(), e, rtol=1e-6)
        s.masked_fill_(_t(mask[0]), -1.0)
        e[mask] = -1.0
        np.testing.assert_array_equal(s.numpy(), e)
    _same(nt.masked_select(nt.arange(4.0), nt.ones(2, 4, dtype=nt.bool)), np.tile(np.arange(4.0, dtype=np.float32), 2))
    _same(nt.masked_select(nt.tensor(4.0), nt.tensor(True)), np.array([4.0], np.float32))
    _same(nt.zeros(4).masked_scatter(nt.ones(2, 4, dtype=nt.bool), nt.arange(8.0)),
          np.arange(8.0, dtype=np.float32).reshape(2, 4))
    _same(nt.zeros(4).masked_scatter(nt.tensor([True, False, True, False]), nt.arange(8.0).reshape(2, 4)),
          np.array([0.0, 0.0, 1.0, 0.0], np.float32))
    _same(nt.zeros(2, 4).masked_fill(nt.tensor([True, False, True, False]), 1.0), np.tile([1.0, 0, 1, 0], (2, 1))
          .astype(np.float32))


def test_nonzero_shapes():
    _same(nt.nonzero(nt.tensor(5)), np.zeros((1, 0), np.int64))
    _same(nt.nonzero(nt.tensor(0)), np.zeros((0, 0), np.int64))
    _same(nt.argwhere(nt.tensor(5.0)), np.zeros((1, 0), np.int64))
    (only,) = nt.nonzero(nt.tensor(5), as_tuple=True)
    _same(only, np.array([0]))
    _same(nt.nonzero(nt.zeros(0, 3)), np.zeros((0, 2), np.int64))
    assert [x.shape for x in nt.nonzero(nt.zeros(0, 3), as_tuple=True)] == [(0,), (0,)]
    _same(nt.zeros(3, 2).t().nonzero(), np.zeros((0, 2), np.int64))
    b = np.array([[0, 1], [1, 1]])
    _same(_t(b).t().nonzero(), np.argwhere(b.T))
    _same(nt.where(_t(b))[1], np.nonzero(b)[1])


def test_put_masked_errors():
    t = nt.arange(6.0).reshape(2, 3)
    _raises(IndexError, "out of range: tried to access index 6 on a tensor of 6 elements.", t.put, nt.tensor([6]),
            nt.tensor([9.0]))
    _raises(IndexError, "out of range: tried to access index -7 on a tensor of 6 elements.", t.put_, nt.tensor([-7]),
            nt.tensor([9.0]), accumulate=True)
    _raises(IndexError, "put_(): Expected source and index to have the same number of elements, but got "
            "source.numel() = 1, index.numel() = 2", t.put, nt.tensor([0, 0]), nt.tensor([9.0]))
    _raises(RuntimeError, "put_(): self and source expected to have the same dtype, but got self.dtype = Float and "
            "source.dtype = Double", t.put, nt.tensor([0]), nt.tensor([9.0], dtype=nt.float64))
    _raises(RuntimeError, "put_(): Expected a long tensor for index, but got Float", t.put, nt.tensor([0.0]),
            nt.tensor([9.0]))
    _raises(IndexError, "put_(): Tried to put elements into an empty tensor", nt.zeros(0).put, nt.tensor([0]),
            nt.tensor([1.0]))
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    _raises(RuntimeError, "masked_select: expected BoolTensor for mask", nt.masked_select, t,
            nt.ones(2, 3, dtype=nt.uint8))
    _raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
            nt.masked_select, t, nt.ones(4, dtype=nt.bool))
    m = nt.tensor([True, False, True])
    _raises(RuntimeError, "Number of elements of source < number of ones in mask", t.masked_scatter, m,
            nt.tensor([1.0]))
    _raises(RuntimeError, "masked_scatter: expected self and source to have same dtypes but gotFloat and Double",
            t.masked_scatter, m, nt.ones(4, dtype=nt.float64))
    _raises(RuntimeError, "masked_scatter_ only supports boolean masks, but got mask with dtype Byte",
            t.masked_scatter, nt.ones(3, dtype=nt.uint8), nt.ones(4))
    with pytest.raises(RuntimeError):
        nt.zeros(4).masked_scatter_(nt.ones(2, 4, dtype=nt.bool), nt.arange(8.0))


# ---------------------------------------------------------------------------------------------------------------
# parallel kernels: forced on small inputs with odd task counts (they run correctly on any number of threads),
# and chosen by size on large ones
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(params=[3, 8])
def tasks(request, monkeypatch):
    from ntorch.ops import indexing

    monkeypatch.setattr(indexing, "_threads_for", lambda work: request.param)
    return request.param


def test_parallel_gathers(tasks, rng):
    a = rng.standard_normal((37, 150)).astype(np.float32)
    for _name, t, ref in layouts(a):
        idx = rng.integers(0, 150, (37, 61))
        _same(nt.gather(t, 1, _t(idx)), np.take_along_axis(ref, idx, 1))
        idx0 = rng.integers(0, 37, (5, 150))  # fewer rows than tasks: column ranges
        _same(nt.gather(t, 0, _t(idx0)), np.take_along_axis(ref, idx0, 0))
        rows = rng.integers(-37, 37, 40)
        _same(t[_t(rows)], ref[rows])
        _same(nt.index_select(t, 0, _t(rows % 37)), ref[rows % 37])  # long rows: the kernel, not np.take
        _same(nt.index_select(t, 1, _t(rows + 37)), ref[:, rows + 37])
        flat = rng.integers(-a.size, a.size, 999)
        _same(nt.take(t, _t(flat)), ref.reshape(-1)[flat])
        _same(t[_t(rows[:7]), _t(rows[7:14] * 4)], ref[rows[:7], rows[7:14] * 4])  # several index arrays: offsets
        ti = rng.integers(-150, 150, (37, 1))
        _same(nt.take_along_dim(t, _t(ti), 1), np.take_along_axis(ref, ti % 150, 1))
    idx = nt.tensor([[1, 0, 2]]).expand(37, 3)  # an index with stride 0
    _same(nt.gather(_t(a), 1, idx), np.take_along_axis(a, np.array([[1, 0, 2]] * 37), 1))
    long = rng.standard_normal((3, 4000)).astype(np.float32)  # long rows, checked block by block
    li = rng.integers(0, 4000, (3, 4000))
    _same(nt.gather(_t(long), 1, _t(li)), np.take_along_axis(long, li, 1))


def test_parallel_kernels_3d(tasks, rng):
    """Tasks that start inside the last-but-one dim, with the outer counter stepping across blocks."""
    a = rng.standard_normal((5, 7, 40)).astype(np.float32)
    for _name, t, ref in layouts(a):
        for d, shape in ((0, (4, 6, 40)), (1, (4, 6, 40)), (2, (5, 7, 33))):
            idx = rng.integers(0, a.shape[d], shape)
            sub = ref[tuple(slice(None) if k == d else slice(0, shape[k]) for k in range(3))]
            _same(nt.gather(t, d, _t(idx)), np.take_along_axis(sub, idx, d))
        _same(t[:, _t(np.array([6, 0, -1]))], ref[:, [6, 0, -1]])
    i2 = rng.integers(0, 40, (5, 7, 90))
    s2 = rng.standard_normal((5, 7, 180)).astype(np.float32)
    e = np.zeros(a.shape, np.float64)
    for p in np.ndindex(i2.shape):
        e[p[0], p[1], i2[p]] += s2[..., ::2][p]
    ti2 = _t(np.ascontiguousarray(i2.transpose(1, 0, 2))).transpose(0, 1)  # non-contiguous index and src
    np.testing.assert_allclose(nt.zeros(5, 7, 40).scatter_add(2, ti2, _t(s2)[..., ::2]).numpy(), e, rtol=1e-5,
                               atol=1e-6)
    rows = rng.integers(0, 7, 30)
    src = rng.standard_normal((5, 30, 40)).astype(np.float32)
    e = a.astype(np.float64)
    np.add.at(e, (slice(None), rows), src)
    np.testing.assert_allclose(_t(a).index_add(1, _t(rows), _t(src)).numpy(), e, rtol=1e-5, atol=1e-5)


def test_parallel_gathers_report_the_first_bad_index(tasks, rng):
    v = _t(rng.standard_normal(5000).astype(np.float32))
    i = rng.integers(0, 5000, 5000)
    i[[3000, 4900]] = [5003, -5001]  # the first bad index in order is reported, whichever task meets it
    _raises(IndexError, "index 5003 is out of bounds for dimension 0 with size 5000", v.__getitem__, _t(i))
    g = rng.integers(0, 50, (40, 50))
    g[[20, 35], [3, 1]] = [-1, 50]
    _raises(RuntimeError, "index -1 is out of bounds for dimension 1 with size 50", nt.gather, nt.zeros(40, 50), 1,
            _t(g))
    _raises(IndexError, "index out of range in self", nt.index_select, nt.zeros(40, 200), 0, nt.tensor([0] * 30 + [40]))
    _raises(RuntimeError, "index 9 is out of bounds for dimension 1 with size 9", nt.zeros(40, 9).scatter_add_, 1,
            nt.full((40, 9), 9, dtype=nt.int64), nt.ones(40, 9))


def _reduce_ref(z, d, idx, src, op):
    """A reference loop for z.scatter_(d, idx, src, reduce=op) on 2-d arrays (repeated indices in order)."""
    out = z.copy()
    for p in np.ndindex(idx.shape):
        q = list(p)
        q[d] = idx[p]
        out[tuple(q)] = op(out[tuple(q)], src[p])
    return out


def test_parallel_scatter_reductions(tasks, rng):
    dt = nt.float32  # (one dtype: each parallel kernel compiles in about 2.5 s)
    z = random_array(rng, (20, 9), dt)
    src = random_array(rng, (20, 30), dt)
    idx = rng.integers(0, 9, (20, 30))  # many repeated indices in each row
    add = _reduce_ref(z, 1, idx, src, np.add)
    for name, t, _ref in layouts(z):
        if name != "expanded":
            _same(t.scatter_add_(1, _t(idx), _t(src)), add)  # rows split
    idx0 = rng.integers(0, 20, (50, 9))
    src0 = random_array(rng, (50, 9), dt)
    _same(_t(z).scatter_add(0, _t(idx0), _t(src0)), _reduce_ref(z, 0, idx0, src0, np.add))  # columns split
    _same(_t(z).scatter_reduce(1, _t(idx), _t(src), "amax"), _reduce_ref(z, 1, idx, src, np.maximum))
    touched = np.zeros(z.shape, bool)
    touched[idx0, np.arange(9)] = True
    start = np.where(touched, np.inf, z).astype(z.dtype)
    _same(_t(z).scatter_reduce(0, _t(idx0), _t(src0), "amin", include_self=False),
          _reduce_ref(start, 0, idx0, src0, np.minimum))
    s = _t(z).scatter_reduce(1, _t(idx), _t(src), "mean")
    counts = _reduce_ref(np.ones(z.shape), 1, idx, np.ones(idx.shape), np.add)
    np.testing.assert_allclose(s.numpy(), add / counts, rtol=1e-5)
    rows = rng.integers(0, 20, 45)
    big = random_array(rng, (45, 9), dt)
    e = z.copy()
    np.add.at(e, rows, big)
    _same(_t(z).index_add(0, _t(rows), _t(big)), e)  # columns split
    cols = rng.integers(0, 9, 30)
    e = z.copy()
    np.add.at(e, (slice(None), cols), src)
    _same(_t(z).index_add(1, _t(cols), _t(src)), e)  # rows split


def test_parallel_split_safety(tasks):
    from ntorch.ops.indexing import _non_overlapping
    from ntorch.ops.shape import as_strided_view

    a = np.zeros((4, 6))
    assert _non_overlapping(a) and _non_overlapping(a.T) and _non_overlapping(a[:, ::2]) and _non_overlapping(a[::-1])
    assert not _non_overlapping(np.broadcast_to(a[:1], (4, 6)))
    assert not _non_overlapping(np.lib.stride_tricks.as_strided(a, (4, 4), (8, 8)))  # rows that overlap
    t = nt.zeros(12)
    x = as_strided_view(t, (3, 4), (2, 1))  # rows 0 and 1 share element 2: the serial kernel, in order
    x.scatter_add_(1, nt.tensor([[2] * 4, [0] * 4, [1, 2, 3, 3]]), nt.ones(3, 4))
    assert t.numpy().tolist() == [0, 0, 8, 0, 0, 1, 1, 2, 0, 0, 0, 0]


def test_parallel_paths_on_large_inputs(rng):
    """Above K.PAR_MIN elements the parallel kernels run when Numba has several threads."""
    x = rng.standard_normal((520, 520)).astype(np.float32)
    idx = rng.integers(0, 520, (520, 520))
    tx, ti = _t(x), _t(idx)
    _same(nt.gather(tx, 1, ti), np.take_along_axis(x, idx, 1))
    _same(tx.reshape(-1)[_t(idx.reshape(-1) - 260)], x.reshape(-1)[idx.reshape(-1) - 260])
    _same(nt.index_select(tx, 0, _t(idx[0])), x[idx[0]])
    flat = (idx + 520 * np.arange(520)[:, None]).reshape(-1)
    ref = np.bincount(flat, x.reshape(-1).astype(np.float64), x.size).reshape(x.shape)
    np.testing.assert_allclose(nt.zeros(520, 520).scatter_add(1, ti, tx).numpy(), ref, rtol=1e-4, atol=1e-4)
    bad = idx.copy()
    bad[400, 7] = 520
    _raises(RuntimeError, "index 520 is out of bounds for dimension 1 with size 520", nt.zeros(520, 520).scatter_add,
            1, _t(bad), tx)


def test_nonzero_as_tuple_gives_contiguous_tensors():
    """torch returns each coordinate tensor with stride 1 (NumPy's nonzero gives strided columns)."""
    rows, cols = nt.nonzero(nt.tensor([[1, 0], [2, 3]]), as_tuple=True)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [0, 0, 1]
    assert rows.stride() == (1,) and cols.stride() == (1,) and rows.is_contiguous()


@pytest.mark.parametrize("dtype, value, ok", [
    (nt.uint8, -1.5, False), (nt.uint8, -255, True), (nt.uint8, -256, False), (nt.int8, 300, False),
    (nt.int8, 2.7, True), (nt.int16, math.nan, False), (nt.int32, math.inf, False), (nt.float16, 1e6, False),
    (nt.float16, math.inf, True), (nt.float32, 1e300, False), (nt.bool, 2.7, True),
])
def test_masked_fill_value_must_fit_the_dtype(dtype, value, ok):
    """torch converts the fill value with an overflow check (integers wrap from -max..-1 into an unsigned type,
    floats truncate; NaN and infinities only fit floating types)."""
    c_name = {nt.uint8: "uint8_t", nt.int8: "int8_t", nt.int16: "int16_t", nt.int32: "int",
              nt.float16: "c10::Half", nt.float32: "float"}
    x, mask = nt.tensor([1, 2], dtype=dtype), nt.tensor([True, False])
    if not ok:
        with pytest.raises(RuntimeError, match=f"^value cannot be converted to type {re.escape(c_name[dtype])} "
                                               "without overflow$"):
            x.masked_fill(mask, value)
        return
    expected = np.array([value, 2]).astype(dtype.np) if dtype is not nt.bool else np.array([True, True])
    if dtype is nt.uint8:
        expected = np.array([value % 256, 2], np.uint8)
    np.testing.assert_array_equal(x.masked_fill(mask, value).numpy(), expected)


@pytest.mark.parametrize("index, strides", [
    ((slice(None), None), (60, 60, 20, 5, 1)),            # x[:, None]
    ((None, Ellipsis, None), (120, 60, 20, 5, 1, 1)),     # x[None, ..., None]
    ((None,), (120, 60, 20, 5, 1)),                       # x[None]
    ((Ellipsis, None, 0), (60, 20, 5, 5)),                # x[..., None, 0]
    ((None, None, 1), (120, 120, 20, 5, 1)),              # x[None, None, 1]
    ((None, slice(None, None, 2)), (120, 120, 20, 5, 1)),  # the stride comes from the dim before slicing
])
def test_none_indices_give_the_new_dims_torchs_strides(index, strides):
    """torch unsqueezes as it meets each None: the new dim's stride is size * stride of the source dim it stands
    before (1 past the last dim); NumPy gives 0. Values to the (2, 3, 4, 5) float32 x of arange, strides in
    elements as torch's .stride() (checked against torch 2.13)."""
    x = nt.arange(120.0).reshape(2, 3, 4, 5)
    got = x[index]
    assert got.stride() == strides
    np.testing.assert_array_equal(got.numpy(), np.arange(120.0).reshape(2, 3, 4, 5)[index])


def test_masked_fill_broadcasts_input_and_mask_out_of_place_only():
    """torch: masked_fill expands self and mask together (its result may be larger than self); masked_fill_ needs
    a mask that broadcasts to self."""
    x = nt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = nt.tensor([[True, False, False], [False, False, True]])
    y = x.masked_fill(m, -1.0)
    np.testing.assert_array_equal(y.detach().numpy(), np.where(m.numpy(), -1.0, np.broadcast_to([1.0, 2.0, 3.0],
                                                                                                (2, 3))))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 1.0])  # summed over the broadcast rows
    assert nt.masked_fill(nt.tensor([1]), nt.tensor([[True], [False]]), 0).tolist() == [[0], [1]]
    _raises(RuntimeError, "output with shape [1] doesn't match the broadcast shape [2, 1]",
            nt.tensor([1.0]).masked_fill_, nt.tensor([[True], [False]]), 0.0)
    _raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
            "dimension 0", nt.ones(3).masked_fill, nt.ones(2, dtype=nt.bool), 0.0)
    _raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
            "dimension 0", nt.ones(3).masked_fill_, nt.ones(2, dtype=nt.bool), 0.0)
