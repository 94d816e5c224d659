"""Joins and splits against NumPy: cat/stack/h-v-d-column_stack, split/tensor_split/chunk/h-v-dsplit, and the
view ops unbind/movedim/swapaxes/broadcast_to; dtype promotion, the legacy empty-tensor skip, out=, errors.

Large inputs take the copy4 kernel path (non-unit-stride source rows), small ones NumPy's assignment.
"""

import re

import numpy as np
import pytest
from conftest import ALL_DTYPES, layouts, random_array

import ntorch as nt


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _eq(got, expected):
    expected = np.asarray(expected)
    assert tuple(got.shape) == expected.shape
    assert got.numpy().dtype == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected)


# -- cat -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_cat_every_dtype(rng, dt):
    arrs = [random_array(rng, (2, n, 3), dt) for n in (1, 4, 0, 2)]
    for dim in (1, -2):
        _eq(nt.cat([nt.from_numpy(a) for a in arrs], dim), np.concatenate(arrs, 1))
    a = random_array(rng, (3, 5), dt)
    _eq(nt.cat([nt.from_numpy(a)] * 3, -1), np.concatenate([a] * 3, -1))
    _eq(nt.cat([nt.from_numpy(a)], 0), a)


@pytest.mark.parametrize("dt", [nt.bool, nt.int16, nt.float32, nt.float64])
@pytest.mark.parametrize("shape", [(5, 3), (80, 70)])  # small: NumPy copies; large: the copy4 kernel
def test_cat_layouts(rng, dt, shape):
    arr = random_array(rng, shape, dt)
    srcs = list(layouts(arr))
    for dim in (0, 1):
        got = nt.cat([t for _, t, _ in srcs], dim)
        _eq(got, np.concatenate([a for _, _, a in srcs], dim))
        assert got.is_contiguous()


def test_cat_strided_3d_views(rng):
    a = rng.standard_normal((6, 50, 40)).astype(np.float32)
    t = nt.from_numpy(a)
    views = [t[:, 1::2], t.permute(1, 0, 2), t[::2, :, ::3], t.permute(2, 0, 1)]
    refs = [a[:, 1::2], a.transpose(1, 0, 2), a[::2, :, ::3], a.transpose(2, 0, 1)]
    for dim in (0, 1, 2):
        for v, r in zip(views, refs):
            _eq(nt.cat([v, v], dim), np.concatenate([r, r], dim))
    five = a.reshape(2, 3, 5, 10, 40)[:, :, ::2, :, ::2]  # more than 4 dims after collapsing: NumPy's path
    _eq(nt.cat([t.reshape(2, 3, 5, 10, 40)[:, :, ::2, :, ::2]] * 2, 3), np.concatenate([five] * 2, 3))


@pytest.mark.parametrize("dt", [nt.uint8, nt.float16, nt.int32, nt.float64])
def test_cat_inner_dim_groups(rng, dt):
    """Contiguous inputs along an inner dim are copied row by row, four per kernel call; others between them."""
    arrs = [random_array(rng, (3, w, 2), dt) for w in (1, 3, 0, 2, 5, 1, 4)]
    ts = [nt.from_numpy(a) for a in arrs]
    ts[4] = nt.from_numpy(np.ascontiguousarray(arrs[4].transpose(0, 2, 1))).transpose(1, 2)  # not contiguous
    _eq(nt.cat(ts, 1), np.concatenate(arrs, 1))
    mixed = nt.cat(ts[:2] + [ts[1].to(nt.float32)], 1)  # promoted: NumPy's casting copies
    want = nt.promote_types(dt, nt.float32).np
    _eq(mixed, np.concatenate([arrs[0].astype(want), arrs[1].astype(want), arrs[1].astype(np.float32).astype(want)],
                              1))


def test_cat_promotes_like_torch(rng):
    ints = random_array(rng, (2, 3), nt.int32)
    bools = random_array(rng, (2, 3), nt.bool)
    halfs = random_array(rng, (2, 3), nt.float16)
    got = nt.cat([nt.from_numpy(ints), nt.from_numpy(bools), nt.from_numpy(halfs)])
    assert got.dtype is nt.float16
    _eq(got, np.concatenate([ints.astype(np.float16), bools.astype(np.float16), halfs]))
    u8, i8 = random_array(rng, (2,), nt.uint8), random_array(rng, (3,), nt.int8)
    got = nt.cat([nt.from_numpy(u8), nt.from_numpy(i8)])
    assert got.dtype is nt.int16
    _eq(got, np.concatenate([u8.astype(np.int16), i8.astype(np.int16)]))


def test_cat_legacy_empty_skip(rng):
    a = random_array(rng, (2, 3), nt.int32)
    got = nt.cat([nt.from_numpy(a), nt.zeros(0, dtype=nt.float64)], 1)  # skipped, but it still promotes
    _eq(got, a.astype(np.float64))
    got = nt.cat([nt.zeros(0), nt.from_numpy(a), nt.zeros(0)], 0)
    _eq(got, a.astype(np.float32))
    assert nt.cat([nt.zeros(0), nt.zeros(0, dtype=nt.float64)]).shape == (0,)
    assert nt.cat([nt.zeros(0)], dim=5).shape == (0,)  # dim unchecked when everything is skipped
    _eq(nt.cat([nt.zeros((0, 3)), nt.from_numpy(a)]), a.astype(np.float32))  # (0, 3) is not skipped


def test_cat_out(rng):
    a, b = random_array(rng, (2, 3), nt.int32), random_array(rng, (2, 2), nt.int32)
    ta, tb = nt.from_numpy(a), nt.from_numpy(b)
    out = nt.empty(2, 5, dtype=nt.int32)
    res = nt.cat([ta, tb], 1, out=out)
    assert res is out
    _eq(out, np.concatenate([a, b], 1))
    out = nt.empty(0, dtype=nt.float64)  # resized, and the values cast
    nt.cat([ta, tb], 1, out=out)
    _eq(out, np.concatenate([a, b], 1).astype(np.float64))
    base = nt.zeros(2, 10, dtype=nt.int64)  # a strided out= keeps being a view
    nt.cat([ta, tb], 1, out=base[:, ::2])
    _eq(base[:, ::2], np.concatenate([a, b], 1).astype(np.int64))
    assert (base[:, 1::2].numpy() == 0).all()
    with pytest.warns(UserWarning):
        out = nt.empty(7)
        nt.cat([ta], out=out)
    assert out.shape == (2, 3)
    _raises(TypeError, "torch.cat(): input types can't be cast to the desired output type Int", nt.cat,
            [nt.ones(2)], out=nt.empty(2, dtype=nt.int32))
    t = nt.ones(2, 3)
    _raises(RuntimeError, "unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing the operation.",
            nt.cat, [t], out=t)


def test_cat_aliases(rng):
    a = random_array(rng, (2, 3), nt.float32)
    t = nt.from_numpy(a)
    _eq(nt.concat([t, t], dim=1), np.concatenate([a, a], 1))
    _eq(nt.concatenate([t, t], axis=1), np.concatenate([a, a], 1))
    _eq(nt.cat((t, t)), np.concatenate([a, a]))


def test_cat_errors():
    a = nt.ones(2, 3)
    _raises(RuntimeError, "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for "
            "tensor number 1 in the list.", nt.cat, [a, nt.ones(2, 4)])
    _raises(RuntimeError, "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for "
            "tensor number 2 in the list.", nt.cat, [a, a, nt.ones(3, 4)], 1)
    _raises(RuntimeError, "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for "
            "tensor number 2 in the list.", nt.cat, [nt.ones(0), a, nt.ones(2, 4)])
    _raises(ValueError, "torch.cat(): expected a non-empty list of Tensors", nt.cat, [])
    _raises(RuntimeError, "zero-dimensional tensor (at position 0) cannot be concatenated", nt.cat,
            [nt.tensor(1.0)])
    _raises(RuntimeError, "zero-dimensional tensor (at position 1) cannot be concatenated", nt.cat,
            [a, nt.tensor(1.0)])
    _raises(RuntimeError, "Tensors must have same number of dimensions: got 2 and 1", nt.cat, [a, nt.ones(2)])
    _raises(RuntimeError, "Tensors must have same number of dimensions: got 2 and 3", nt.cat, [a, nt.ones(2, 3, 4)])
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nt.cat, [a, a], 2)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got -3)", nt.cat, [a], -3)
    _raises(TypeError, "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor", nt.cat, a)
    _raises(TypeError, "expected Tensor as element 1 in argument 0, but got int", nt.cat, [a, 1])
    _raises(TypeError, "cat(): argument 'dim' must be int, not float", nt.cat, [a], 1.0)


# -- stack family ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_stack_every_dtype(rng, dt):
    arrs = [random_array(rng, (2, 3), dt) for _ in range(3)]
    ts = [nt.from_numpy(a) for a in arrs]
    for dim in (0, 1, 2, -1, -3):
        _eq(nt.stack(ts, dim), np.stack(arrs, dim))
    scalars = [random_array(rng, (), dt) for _ in range(2)]
    _eq(nt.stack([nt.from_numpy(s) for s in scalars]), np.stack(scalars))


def test_stack_layouts_promotion_and_out(rng):
    arr = random_array(rng, (40, 120), nt.float32)
    srcs = list(layouts(arr))
    _eq(nt.stack([t for _, t, _ in srcs], 1), np.stack([a for _, _, a in srcs], 1))
    ints = random_array(rng, (2, 3), nt.int64)
    got = nt.stack([nt.from_numpy(arr[:2, :3]), nt.from_numpy(ints)], 2)
    _eq(got, np.stack([arr[:2, :3], ints.astype(np.float32)], 2))
    out = nt.empty(0)
    nt.stack([nt.from_numpy(arr[:2, :3])] * 2, out=out)
    _eq(out, np.stack([arr[:2, :3]] * 2))
    _raises(RuntimeError, "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at "
            "entry 1", nt.stack, [nt.ones(2, 3), nt.ones(2, 4)])
    _raises(RuntimeError, "stack expects a non-empty TensorList", nt.stack, [])
    _raises(IndexError, "Dimension out of range (expected to be in range of [-3, 2], but got 3)", nt.stack,
            [nt.ones(2, 3)], 3)


@pytest.mark.parametrize("shapes", [[(), ()], [(3,), (2,)], [(2, 3), (2, 1)], [(2, 3, 1), (2, 1, 1)]])
def test_hstack(rng, shapes):
    arrs = [random_array(rng, s, nt.int16) for s in shapes]
    _eq(nt.hstack([nt.from_numpy(a) for a in arrs]), np.hstack(arrs))


@pytest.mark.parametrize("shapes", [[(), ()], [(3,), (3,)], [(2, 3), (1, 3)], [(2, 3, 1), (1, 3, 1)]])
def test_vstack_dstack(rng, shapes):
    arrs = [random_array(rng, s, nt.float64) for s in shapes]
    ts = [nt.from_numpy(a) for a in arrs]
    _eq(nt.vstack(ts), np.vstack(arrs))
    _eq(nt.row_stack(ts), np.vstack(arrs))
    if len(set(shapes)) == 1:
        _eq(nt.dstack(ts), np.dstack(arrs))


def test_dstack_3d_and_column_stack(rng):
    arrs = [random_array(rng, (2, 3, k), nt.uint8) for k in (1, 2)]
    _eq(nt.dstack([nt.from_numpy(a) for a in arrs]), np.dstack(arrs))
    cols = [random_array(rng, s, nt.float32) for s in [(), (1,), (1, 2)]]
    _eq(nt.column_stack([nt.from_numpy(a) for a in cols]), np.column_stack(cols))
    cols = [random_array(rng, s, nt.int32) for s in [(4,), (4, 3), (4,)]]
    _eq(nt.column_stack([nt.from_numpy(a) for a in cols]), np.column_stack(cols))
    for fn in (nt.hstack, nt.vstack, nt.dstack, nt.column_stack):
        name = fn.__name__
        _raises(RuntimeError, f"{name} expects a non-empty TensorList", fn, [])


def test_atleast_nd(rng):
    for n, fn, ref in [(1, nt.atleast_1d, np.atleast_1d), (2, nt.atleast_2d, np.atleast_2d),
                       (3, nt.atleast_3d, np.atleast_3d)]:
        for shape in [(), (3,), (2, 3), (2, 3, 4)]:
            a = random_array(rng, shape, nt.float32)
            t = nt.from_numpy(a)
            got = fn(t)
            _eq(got, ref(a))
            got.numpy()[...] = 0  # a view
            assert (a == 0).all() or a.size == 0
        pair = fn(nt.ones(2), nt.ones(()))
        assert isinstance(pair, tuple) and [p.ndim for p in pair] == [max(n, 1)] * 2
        assert len(fn([nt.ones(2)])) == 1


# -- splits --------------------------------------------------------------------------------------------------
def _eq_pieces(got, expected):
    assert isinstance(got, tuple)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        _eq(g, e)


@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_split_every_dtype_and_views(rng, dt):
    a = random_array(rng, (7, 4), dt)
    t = nt.from_numpy(a)
    pieces = nt.split(t, 3)
    _eq_pieces(pieces, [a[0:3], a[3:6], a[6:7]])
    assert all(p.data_ptr() == t[i * 3:].data_ptr() for i, p in enumerate(pieces))
    _eq_pieces(t.split([1, 3], 1), [a[:, :1], a[:, 1:]])
    _eq_pieces(t.split_with_sizes([2, 0, 5]), [a[:2], a[2:2], a[2:]])


def test_split_edge_cases(rng):
    a = random_array(rng, (2, 5), nt.float32)
    t = nt.from_numpy(a)
    _eq_pieces(nt.split(t, 10, 1), [a])
    _eq_pieces(nt.split(t, 2, -1), [a[:, :2], a[:, 2:4], a[:, 4:]])
    _eq_pieces(nt.split(t, nt.tensor(2), 1), [a[:, :2], a[:, 2:4], a[:, 4:]])
    _eq_pieces(nt.split(nt.zeros(0), 0), [np.zeros(0, np.float32)])
    _eq_pieces(nt.split(nt.zeros(0, 2), 2), [np.zeros((0, 2), np.float32)])
    transposed = t.t()
    pieces = nt.split(transposed, 2)
    _eq_pieces(pieces, [a.T[:2], a.T[2:4], a.T[4:]])
    pieces[1].numpy()[...] = 0  # views write through
    assert (a[:, 2:4] == 0).all()
    _raises(RuntimeError, "split_size can only be 0 if dimension size is 0, but got dimension size of 2", nt.split,
            t, 0)
    _raises(RuntimeError, "split expects split_size be non-negative, but got split_size=-1", nt.split, t, -1)
    _raises(RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at "
            "dimension 1), but got split_sizes=[1, 1]", nt.split, t, [1, 1], 1)
    _raises(RuntimeError, "split_with_sizes expects split_sizes have only non-negative entries, but got "
            "split_sizes=[1, -1, 5]", nt.split, t, [1, -1, 5], 1)
    _raises(RuntimeError, "split expects at least a 1-dimensional tensor", nt.split, nt.tensor(1.0), 1)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nt.split, t, 1, 2)


@pytest.mark.parametrize("arg", [1, 2, 3, 7, 9, [1], [2, 5], [-2, 1, 7, -10, 3], (0, 0), []])
def test_tensor_split_matches_array_split(rng, arg):
    a = random_array(rng, (7, 3), nt.int64)
    t = nt.from_numpy(a)
    _eq_pieces(nt.tensor_split(t, arg), np.array_split(a, arg))
    _eq_pieces(t.t().tensor_split(arg, 1), np.array_split(a.T, arg, 1))
    tensor_arg = nt.tensor(arg, dtype=nt.int64)
    _eq_pieces(nt.tensor_split(t, tensor_arg), np.array_split(a, arg))


def test_tensor_split_errors():
    t = nt.ones(2, 3)
    _raises(RuntimeError, "number of sections must be larger than 0, got 0", nt.tensor_split, t, 0, 1)
    _raises(RuntimeError, "number of sections must be larger than 0, got -1", nt.tensor_split, t, -1)
    _raises(RuntimeError, "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
            "one-dimensional tensor, but got a tensor with 2 dims", nt.tensor_split, t, nt.tensor([[2]]), 1)
    _raises(RuntimeError, "tensor_split expected tensor_indices_or_sections to have dtype of long, but got Float",
            nt.tensor_split, t, nt.tensor([2.0]), 1)
    _raises(RuntimeError, "tensor_split expected tensor_indices_or_sections to have dtype of long, but got Int",
            nt.tensor_split, t, nt.tensor([2], dtype=nt.int32), 1)
    _raises(RuntimeError, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
            nt.tensor_split, nt.tensor(1.0), 1)


@pytest.mark.parametrize("n,chunks", [(6, 4), (5, 4), (7, 3), (7, 10), (0, 3), (1, 1), (4, 4)])
def test_chunk(rng, n, chunks):
    a = random_array(rng, (2, n), nt.float16)
    t = nt.from_numpy(a)
    if n == 0:
        expected = [a] * chunks  # an empty dim gives `chunks` empty pieces
    else:
        size = -(-n // chunks)
        expected = [a[:, i:i + size] for i in range(0, n, size)]
    _eq_pieces(nt.chunk(t, chunks, 1), expected)
    _eq_pieces(t.chunk(chunks, -1), expected)


def test_chunk_errors():
    _raises(RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0", nt.chunk, nt.ones(2, 3), 0, 1)
    _raises(RuntimeError, "chunk expects at least a 1-dimensional tensor", nt.chunk, nt.tensor(1.0), 4)


def test_hsplit_vsplit_dsplit(rng):
    a = random_array(rng, (4, 6, 2), nt.int8)
    t = nt.from_numpy(a)
    for arg in (2, 3, [1, 4], (2,)):
        _eq_pieces(nt.hsplit(t, arg), np.hsplit(a, arg))
        _eq_pieces(t.vsplit(arg if not isinstance(arg, int) else 2), np.vsplit(a, arg if not isinstance(arg, int)
                                                                               else 2))
    _eq_pieces(nt.dsplit(t, 2), np.dsplit(a, 2))
    _eq_pieces(nt.hsplit(nt.from_numpy(a[0, :, 0]), 3), np.hsplit(a[0, :, 0], 3))
    _raises(RuntimeError, "torch.hsplit attempted to split along dimension 1, but the size of the dimension 6 is "
            "not divisible by the split_size 4!", nt.hsplit, t, 4)
    _raises(RuntimeError, "torch.hsplit attempted to split along dimension 0, but the size of the dimension 6 is "
            "not divisible by the split_size 0!", nt.hsplit, nt.ones(6), 0)
    _raises(RuntimeError, "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
            "dimensions!", nt.hsplit, nt.tensor(1.0), 2)
    _raises(RuntimeError, "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 "
            "dimensions!", nt.vsplit, nt.ones(3), 3)
    _raises(RuntimeError, "torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with 2 "
            "dimensions!", nt.dsplit, nt.ones(2, 3), 3)


# -- existing view ops (ops/shape.py), checked against NumPy ---------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_unbind(rng, dt):
    a = random_array(rng, (2, 3, 4), dt)
    t = nt.from_numpy(a)
    for dim in (0, 1, 2, -1):
        pieces = nt.unbind(t, dim)
        _eq_pieces(pieces, [np.take(a, i, axis=dim) for i in range(a.shape[dim])])
        _eq_pieces(t.unbind(dim), [np.take(a, i, axis=dim) for i in range(a.shape[dim])])
    pieces = nt.unbind(t, 1)
    pieces[1].numpy()[...] = a[0, 0, 0]  # views
    assert (a[:, 1] == a[0, 0, 0]).all()
    assert nt.unbind(nt.zeros(2, 0), 1) == ()
    _raises(IndexError, "Dimension out of range (expected to be in range of [-3, 2], but got 3)", nt.unbind, t, 3)


def test_movedim_swapaxes(rng):
    a = random_array(rng, (2, 3, 4, 5), nt.float32)
    for _, t, ref in layouts(a):
        for src, dst in [(0, -1), (-1, 0), ((0, 1), (2, 0)), ((3, 1, 0), (0, 1, 2)), ((), ())]:
            _eq(nt.movedim(t, src, dst), np.moveaxis(ref, src, dst))
            _eq(t.moveaxis(src, dst), np.moveaxis(ref, src, dst))
        for d0, d1 in [(0, 3), (-1, 1), (2, 2)]:
            _eq(nt.swapaxes(t, d0, d1), np.swapaxes(ref, d0, d1))
            _eq(t.swapdims(d0, d1), np.swapaxes(ref, d0, d1))
    t = nt.from_numpy(a)
    moved = nt.movedim(t, 0, 3)
    assert moved.data_ptr() == t.data_ptr() and not moved.is_contiguous()
    _raises(IndexError, "Dimension out of range (expected to be in range of [-4, 3], but got 4)", nt.movedim, t, 4, 0)
    _raises(RuntimeError, "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the "
            "same number of dims as destination ([2] dims)", nt.movedim, t, (0, 1), (2,))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-4, 3], but got 4)", nt.swapaxes, t, 0, 4)


def test_broadcast_to(rng):
    a = random_array(rng, (3, 1), nt.int32)
    t = nt.from_numpy(a)
    for shape in [(3, 4), (2, 3, 4), (3, 1), (0, 3, 2)]:
        got = nt.broadcast_to(t, shape)
        _eq(got, np.broadcast_to(a, shape))
        assert got.data_ptr() == t.data_ptr() or got.numel() == 0
    _eq(nt.broadcast_to(t, (-1, 5)), np.broadcast_to(a, (3, 5)))
    _eq(t.broadcast_to((2, 3, 2)), np.broadcast_to(a, (2, 3, 2)))
    _eq(nt.broadcast_to(nt.tensor(1.5), (2, 2)), np.full((2, 2), 1.5, np.float32))
    _raises(RuntimeError, "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
            "dimension 0.  Target sizes: [4, 1].  Tensor sizes: [3, 1]", nt.broadcast_to, t, (4, 1))
    _raises(RuntimeError, "expand(torch.IntTensor{[3, 1]}, size=[3]): the number of sizes provided (1) must be "
            "greater or equal to the number of dimensions in the tensor (2)", nt.broadcast_to, t, (3,))


# -- the parallel copies of large outputs --------------------------------------------------------------------
@pytest.fixture
def parallel_copies(monkeypatch):
    """Small inputs take the threaded copy kernels (copy4_par, cat_rows4_par, pad_gather_par) that outputs of
    _PAR_BYTES and more take, where Numba has more than one thread."""
    from ntorch.ops import joins

    monkeypatch.setattr(joins, "_PAR_BYTES", 1)


@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int16, nt.bool])
def test_parallel_cat_stack(rng, dt, parallel_copies):
    """Whole blocks (dim 0: chunked along long rows), inner-dim rows, reversed and transposed inputs."""
    arrays = [random_array(rng, (37, 33, 5), dt) for _ in range(3)] + [random_array(rng, (11, 33, 5), dt)]
    ts = [nt.from_numpy(a) for a in arrays]
    _eq(nt.cat(ts, 0), np.concatenate(arrays, 0))
    big = [random_array(rng, (3, 20001), dt) for _ in range(2)]  # rows longer than one parallel chunk
    _eq(nt.cat([nt.from_numpy(a) for a in big], 0), np.concatenate(big, 0))
    _eq(nt.cat([nt.from_numpy(a) for a in big], 1), np.concatenate(big, 1))
    same = arrays[:3]
    for d in (0, 1, 2, 3):
        _eq(nt.stack([nt.from_numpy(a) for a in same], d), np.stack(same, d))
    _eq(nt.cat([t.flip(1) for t in ts[:3]], 1), np.concatenate([a[:, ::-1] for a in same], 1))
    _eq(nt.cat([t.transpose(0, 2) for t in ts], 2), np.concatenate([a.transpose(2, 1, 0) for a in arrays], 2))


@pytest.mark.parametrize("dt", [nt.float32, nt.int64, nt.uint8])
def test_parallel_flip_roll_repeat_interleave(rng, dt, parallel_copies):
    a = random_array(rng, (9, 20003), dt)
    t = nt.from_numpy(a)
    for dims in ((0,), (1,), (0, 1)):
        _eq(t.flip(dims), np.flip(a, dims))
    _eq(t.t().flip(0), np.flip(a.T, 0))
    _eq(nt.roll(t, (3, -7), (0, 1)), np.roll(a, (3, -7), (0, 1)))
    b = random_array(rng, (6, 7, 5), dt)
    tb = nt.from_numpy(b)
    for d in (0, 1, 2):
        _eq(nt.repeat_interleave(tb, 3, d), np.repeat(b, 3, d))
    _eq(nt.repeat_interleave(tb.transpose(0, 2), 2, 1), np.repeat(b.transpose(2, 1, 0), 2, 1))
    _eq(nt.repeat_interleave(tb, 2), np.repeat(b, 2))


@pytest.mark.parametrize("n", [5, 700], ids=["small", "large"])
def test_joins_of_transposed_inputs_are_contiguous(n):
    """torch's cat / stack return C-contiguous tensors whatever their inputs' layout (NumPy's follow the inputs)."""
    a = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    x = nt.from_numpy(a)
    for fn, ref in ((lambda ts: nt.cat(ts), lambda arrs: np.concatenate(arrs)),
                    (lambda ts: nt.cat(ts, 1), lambda arrs: np.concatenate(arrs, 1)),
                    (lambda ts: nt.stack(ts), lambda arrs: np.stack(arrs)),
                    (lambda ts: nt.hstack(ts), lambda arrs: np.hstack(arrs)),
                    (lambda ts: nt.vstack(ts), lambda arrs: np.vstack(arrs))):
        got = fn([x.t(), x.t()])
        assert got.is_contiguous()
        np.testing.assert_array_equal(got.numpy(), ref([a.T, a.T]))
