"""Rearranging ops against NumPy (or small reference loops): flip/fliplr/flipud, roll, rot90, repeat, tile,
repeat_interleave, tril/triu (and in place), diag, diagonal (a view), diag_embed, trace, kron, meshgrid,
broadcast_tensors, block_diag, cartesian_prod; torch's output layouts and errors.
"""

import itertools
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


# -- flip ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_flip_every_dtype(rng, dt):
    for shape in [(), (1,), (7,), (3, 4), (2, 3, 5), (0, 3)]:
        a = random_array(rng, shape, dt)
        t = nt.from_numpy(a)
        for dims in [(), (0,), (-1,), (0, 1), (2, 0, 1)]:
            if any(d >= max(len(shape), 1) or d < -max(len(shape), 1) for d in dims):
                continue
            got = nt.flip(t, dims)
            _eq(got, np.flip(a, tuple(d % max(len(shape), 1) for d in dims)) if shape else a)
            assert got.data_ptr() != t.data_ptr() or a.size == 0  # a copy


@pytest.mark.parametrize("dt", [nt.bool, nt.int16, nt.float32, nt.int64])  # one dtype per element width
def test_flip_large_layouts(rng, dt):
    """Large enough for the copy4 kernel (reversed rows, reversed outer dims, strided views)."""
    a = random_array(rng, (70, 90), dt)
    for name, t, ref in layouts(a):
        for dims in [(1,), (0,), (0, 1)]:
            got = nt.flip(t, dims)
            _eq(got, np.flip(ref, dims))
            if name == "transposed":  # torch keeps the input's memory layout
                assert got.stride() == (1, 70)
            else:
                assert got.is_contiguous()
    b = random_array(rng, (4, 30, 50), dt)
    t = nt.from_numpy(b).permute(2, 0, 1)[:, 1:, ::2]
    for dims in [(0,), (1, 2), (0, 1, 2)]:
        _eq(nt.flip(t, dims), np.flip(b.transpose(2, 0, 1)[:, 1:, ::2], dims))


def test_flip_methods_and_errors(rng):
    a = random_array(rng, (3, 4), nt.float32)
    t = nt.from_numpy(a)
    _eq(t.flip(0), np.flip(a, 0))
    _eq(t.flip(0, 1), np.flip(a))
    _eq(t.flip([1]), np.flip(a, 1))
    _eq(nt.fliplr(t), np.fliplr(a))
    _eq(nt.flipud(t), np.flipud(a))
    _eq(t.fliplr(), np.fliplr(a))
    _eq(nt.flipud(nt.from_numpy(a[0])), np.flipud(a[0]))
    _raises(RuntimeError, "dim 0 appears multiple times in the list of dims", nt.flip, t, (0, -2))
    _raises(TypeError, "flip(): argument 'dims' (position 2) must be tuple of ints, not int", nt.flip, t, 0)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nt.flip, t, (2,))
    _raises(RuntimeError, "Input must be >= 2-d.", nt.fliplr, nt.ones(3))
    _raises(RuntimeError, "Input must be >= 1-d.", nt.flipud, nt.tensor(1.0))


# -- roll / rot90 ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_roll_every_dtype(rng, dt):
    a = random_array(rng, (3, 5), dt)
    t = nt.from_numpy(a)
    for shifts, dims in [(1, None), (-7, None), (2, 0), (-1, -1), ((1, 2), (0, 1)), ((1, -5), (0, 0)), (13, 1),
                         (0, 0), (5, 1)]:
        _eq(nt.roll(t, shifts, dims), np.roll(a, shifts, dims))
    _eq(t.roll(1, 1), np.roll(a, 1, 1))


def test_roll_layouts_and_edges(rng):
    a = random_array(rng, (60, 80), nt.float32)
    for _, t, ref in layouts(a):
        for shifts, dims in [(7, None), ((5, -3), (0, 1)), (11, 1)]:
            got = nt.roll(t, shifts, dims)
            _eq(got, np.roll(ref, shifts, dims))
            assert got.is_contiguous()
    _eq(nt.roll(nt.tensor(2.5), 1), np.float32(2.5))
    _eq(nt.roll(nt.zeros(0, 3), 1, 0), np.zeros((0, 3), np.float32))
    _eq(nt.roll(nt.from_numpy(a), (3,), ()), np.roll(a, 3))
    _raises(RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1", nt.roll, nt.ones(2, 3), (1, 2),
            (0,))
    _raises(RuntimeError, "shifts and dimensions must align. shifts: 2, dims:0", nt.roll, nt.ones(2, 3), (1, 2))
    _raises(RuntimeError, "`shifts` required", nt.roll, nt.ones(2, 3), (), ())
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nt.roll,
            nt.ones(2, 3), 1, 2)
    _raises(IndexError, "Dimension specified as 0 but tensor has no dimensions", nt.roll, nt.tensor(1.0), 1, 0)


@pytest.mark.parametrize("k", [-5, -1, 0, 1, 2, 3, 4, 6])
def test_rot90(rng, k):
    a = random_array(rng, (3, 4, 2), nt.int32)
    t = nt.from_numpy(a)
    for dims in [(0, 1), (1, 0), (2, 0), (-1, -2)]:
        got = nt.rot90(t, k, dims)
        _eq(got, np.rot90(a, k, dims))
    got = nt.rot90(t, k)
    if k % 4 in (1, 3):  # torch returns a transposed view of a flipped copy
        assert not got.is_contiguous()
    else:
        assert got.is_contiguous()
    _eq(t.rot90(k, [1, 0]), np.rot90(a, k, (1, 0)))


def test_rot90_errors():
    _raises(RuntimeError, "expected total rotation dims == 2, but got dims = 1", nt.rot90, nt.ones(2, 3), 1, (0,))
    _raises(RuntimeError, "expected total dims >= 2, but got total dims = 1", nt.rot90, nt.ones(3), 1, (0, 0))
    _raises(RuntimeError, "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0", nt.rot90,
            nt.ones(2, 3), 1, (0, 0))
    _raises(RuntimeError, "expected rotation dims to be different, but got dim0 = 0 and dim1 = -2", nt.rot90,
            nt.ones(2, 3), 1, (0, -2))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 3)", nt.rot90,
            nt.ones(2, 3), 1, (0, 3))


# -- repeat / tile / repeat_interleave -------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_repeat_tile_every_dtype(rng, dt):
    a = random_array(rng, (2, 3), dt)
    t = nt.from_numpy(a)
    for sizes in [(1, 1), (2, 3), (2, 1, 3), (3, 0), (1, 2, 1, 1)]:
        _eq(t.repeat(*sizes), np.tile(a, sizes))
        _eq(t.repeat(sizes), np.tile(a, sizes))
        _eq(nt.tile(t, sizes), np.tile(a, sizes))
    for dims in [(2,), (), (3, 1), (2, 2, 2)]:
        _eq(nt.tile(t, dims), np.tile(a, dims))
        _eq(t.tile(*dims) if dims else t.tile(dims), np.tile(a, dims))
    s = random_array(rng, (), dt)
    _eq(nt.from_numpy(s).repeat(3), np.tile(s, 3))
    _eq(nt.tile(nt.from_numpy(s), ()), s)


def test_repeat_layouts_and_errors(rng):
    a = random_array(rng, (4, 5), nt.float64)
    for _, t, ref in layouts(a):
        _eq(t.repeat(2, 1, 3), np.tile(ref, (2, 1, 3)))
    t = nt.ones(2, 3)
    _raises(RuntimeError, "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor", t.repeat, 2)
    _raises(TypeError, 'repeat() missing 1 required positional arguments: "repeats"', t.repeat)
    _raises(RuntimeError, "Trying to create tensor with negative dimension -3: [4, -3]", t.repeat, 2, -1)
    _raises(RuntimeError, "Trying to create tensor with negative dimension -3: [2, -3]", nt.tile, t, (-1,))


@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_repeat_interleave_every_dtype(rng, dt):
    a = random_array(rng, (2, 3), dt)
    t = nt.from_numpy(a)
    _eq(nt.repeat_interleave(t, 2), np.repeat(a, 2))
    _eq(nt.repeat_interleave(t, 3, 1), np.repeat(a, 3, 1))
    _eq(nt.repeat_interleave(t, 0, -2), np.repeat(a, 0, 0))
    _eq(nt.repeat_interleave(t, nt.tensor([1, 2]), 0), np.repeat(a, [1, 2], 0))
    _eq(nt.repeat_interleave(t, nt.tensor([0, 2, 1], dtype=nt.int32), 1), np.repeat(a, [0, 2, 1], 1))
    _eq(nt.repeat_interleave(t, nt.tensor([2]), 0), np.repeat(a, 2, 0))
    _eq(nt.repeat_interleave(t, nt.tensor(2), 1), np.repeat(a, 2, 1))
    _eq(t.repeat_interleave(nt.tensor([1, 2, 3, 0, 1, 1])), np.repeat(a, [1, 2, 3, 0, 1, 1]))


def test_repeat_interleave_forms_and_errors(rng):
    a = random_array(rng, (40, 60), nt.float32)
    for _, t, ref in layouts(a):
        _eq(nt.repeat_interleave(t, 2, 1), np.repeat(ref, 2, 1))
    _eq(nt.repeat_interleave(nt.tensor([1, 0, 3])), np.repeat(np.arange(3), [1, 0, 3]))
    _eq(nt.repeat_interleave(nt.tensor([2, 1], dtype=nt.int32)), np.array([0, 0, 1], np.int32))
    _eq(nt.repeat_interleave(nt.tensor([2, 1]), output_size=3), np.array([0, 0, 1]))
    _eq(nt.repeat_interleave(nt.tensor(1.5), 2), np.array([1.5, 1.5], np.float32))
    t = nt.ones(2, 3)
    _eq(nt.repeat_interleave(t, nt.tensor([1, 2]), 0, output_size=3), np.ones((3, 3), np.float32))
    _eq(nt.repeat_interleave(t, 2, 0, output_size=4), np.ones((4, 3), np.float32))
    _raises(RuntimeError, "Repeats must be non-negative", nt.repeat_interleave, t, -1, 1)
    _raises(RuntimeError, "repeats must have the same size as input along dim, but got repeats.size(0) = 2 and "
            "input.size(1) = 3", nt.repeat_interleave, t, nt.tensor([1, 2]), 1)
    _raises(RuntimeError, "repeats can not be negative", nt.repeat_interleave, t, nt.tensor([1, -2]), 0)
    _raises(NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Float'", nt.repeat_interleave, t,
            nt.tensor([1.0, 2.0]), 0)
    _raises(NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Short'", nt.repeat_interleave,
            nt.tensor([1, 2], dtype=nt.int16))
    _raises(RuntimeError, "repeats must be 0-dim or 1-dim tensor", nt.repeat_interleave, t, nt.tensor([[2]]), 0)
    _raises(RuntimeError, "allocated size does not match required size", nt.repeat_interleave, t,
            nt.tensor([1, 2]), 0, output_size=4)
    _raises(RuntimeError, "repeat_interleave: Invalid output_size, expected 4 but got 5", nt.repeat_interleave, t,
            2, 0, output_size=5)
    _raises(RuntimeError, "repeat_interleave only accept 1D vector as repeat", nt.repeat_interleave, nt.tensor(3))
    _raises(RuntimeError, "repeats can not be negative", nt.repeat_interleave, nt.tensor([-1]))


# -- tril / triu -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_tril_triu_every_dtype(rng, dt):
    for shape in [(3, 4), (4, 3), (2, 3, 5), (0, 3), (1, 1)]:
        a = random_array(rng, shape, dt)
        t = nt.from_numpy(a)
        for k in (-5, -1, 0, 1, 2, 7):
            _eq(nt.tril(t, k), np.tril(a, k))
            _eq(t.triu(k), np.triu(a, k))
            b = a.copy()
            tb = nt.from_numpy(b)
            assert tb.tril_(k) is tb
            _eq(tb, np.tril(a, k))
            b = a.copy()
            nt.from_numpy(b).triu_(diagonal=k)
            np.testing.assert_array_equal(b, np.triu(a, k))


def test_tril_triu_layouts_inplace_views_and_out(rng):
    a = random_array(rng, (3, 4, 5, 6), nt.float32)
    for _, t, ref in layouts(a):
        _eq(nt.triu(t, 1), np.triu(ref, 1))
        got = nt.tril(t.transpose(0, 2), -1)
        _eq(got, np.tril(ref.transpose(2, 1, 0, 3), -1))
        assert got.is_contiguous()
    for perm in [(0, 1, 2, 3), (1, 0, 3, 2), (2, 0, 1, 3), (3, 2, 1, 0)]:  # batch dims that merge and that do not
        b = a.copy()
        view = nt.from_numpy(b).permute(*perm)
        v0 = view._version
        view.tril_(1)
        assert view._version > v0
        _eq(view, np.tril(a.transpose(perm), 1))
    row = nt.tensor([[1.0, 2.0, 3.0]]).expand(3, 3)  # expanded rows: torch zeroes through the shared memory
    row.tril_()
    _eq(row, np.array([[1, 0, 0]] * 3, np.float32))
    out = nt.empty(0)
    nt.tril(nt.from_numpy(a[0, 0]), out=out)
    _eq(out, np.tril(a[0, 0]))
    _raises(RuntimeError, "tril: input tensor must have at least 2 dimensions", nt.tril, nt.ones(3))
    _raises(RuntimeError, "triu: input tensor must have at least 2 dimensions", nt.ones(3).triu_)


# -- diagonals -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_diag_every_dtype(rng, dt):
    v = random_array(rng, (4,), dt)
    m = random_array(rng, (3, 5), dt)
    for k in (-6, -2, 0, 1, 4, 6):
        _eq(nt.diag(nt.from_numpy(v), k), np.diag(v, k))
        _eq(nt.diag(nt.from_numpy(m), k), np.diag(m, k).copy())
        _eq(nt.from_numpy(m).diag(k), np.diag(m, k).copy())
        _eq(nt.diagonal(nt.from_numpy(m), k), np.diagonal(m, k))


def test_diag_layouts_and_errors(rng):
    m = random_array(rng, (4, 6), nt.int64)
    for _, t, ref in layouts(m):
        _eq(nt.diag(t, 1), np.diag(ref, 1))
        _eq(nt.diag(t[0]), np.diag(ref[0]))
    out = nt.empty(0, dtype=nt.int64)
    nt.diag(nt.from_numpy(m), -1, out=out)
    _eq(out, np.diag(m, -1))
    _raises(RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D", nt.diag, nt.ones(2, 3, 4))
    _raises(RuntimeError, "diag(): Supports 1D or 2D tensors. Got 0D", nt.diag, nt.tensor(1.0))


def test_diagonal_is_a_view(rng):
    a = random_array(rng, (3, 4, 5), nt.float64)
    t = nt.from_numpy(a)
    for offset, d1, d2 in [(0, 0, 1), (1, 2, 0), (-1, 2, 0), (2, -1, -2), (10, 0, 2), (-3, 1, 2)]:
        got = nt.diagonal(t, offset, d1, d2)
        _eq(got, np.diagonal(a, offset, d1, d2))
        _eq(t.diagonal(offset=offset, dim1=d1, dim2=d2), np.diagonal(a, offset, d1, d2))
    view = t.diagonal(1, 1, 2)
    assert view.stride() == (20, 6) and view.storage_offset() == 1
    view.numpy()[...] = -1  # writes reach the original
    assert (np.diagonal(a, 1, 1, 2) == -1).all()
    for _, tt, ref in layouts(random_array(rng, (5, 6), nt.float32)):
        _eq(nt.diagonal(tt, -1), np.diagonal(ref, -1))
    _raises(RuntimeError, "diagonal dimensions cannot be identical 0, 0", nt.diagonal, t, 0, 0, 0)
    _raises(RuntimeError, "diagonal dimensions cannot be identical 0, -3", nt.diagonal, t, 0, 0, -3)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)", nt.diagonal,
            nt.ones(3))


def _diag_embed_ref(a, offset, d1, d2):
    n = a.ndim + 1
    d1, d2 = d1 % n, d2 % n
    size = a.shape[-1] + abs(offset)
    rest = list(a.shape[:-1])
    shape = [size if d in (d1, d2) else rest.pop(0) for d in range(n)]
    out = np.zeros(shape, a.dtype)
    for idx in np.ndindex(*a.shape):
        i = idx[-1]
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        full, it = [], iter(idx[:-1])
        for d in range(n):
            full.append(r if d == d1 else c if d == d2 else next(it))
        out[tuple(full)] = a[idx]
    return out


@pytest.mark.parametrize("dt", [nt.bool, nt.uint8, nt.float16, nt.float32, nt.int64])
def test_diag_embed(rng, dt):
    a = random_array(rng, (2, 3), dt)
    t = nt.from_numpy(a)
    for offset, d1, d2 in [(0, -2, -1), (1, 0, 2), (-1, 2, 0), (2, 1, 0), (0, 0, 1)]:
        _eq(nt.diag_embed(t, offset, d1, d2), _diag_embed_ref(a, offset, d1, d2))
    _eq(t.t().diag_embed(), _diag_embed_ref(a.T, 0, -2, -1))
    _eq(nt.diag_embed(nt.from_numpy(a[0]), -2), np.diag(a[0], -2))
    _raises(RuntimeError, "diagonal dimensions cannot be identical 0, 0", nt.diag_embed, t, 1, 0, 0)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got -2)", nt.diag_embed,
            nt.tensor(1.0))


@pytest.mark.parametrize("dt", ALL_DTYPES[1:])
def test_trace_every_dtype(rng, dt):
    for shape in [(3, 5), (5, 3), (0, 3), (1, 1)]:
        a = random_array(rng, shape, dt)
        got = nt.trace(nt.from_numpy(a))
        want_dt = np.int64 if not dt.is_floating_point else dt.np
        assert got.shape == () and got.numpy().dtype == want_dt
        ref = np.trace(a.astype(np.float64 if dt.is_floating_point else np.int64))
        np.testing.assert_allclose(got.numpy().astype(np.float64), ref, rtol=2e-3)
    t = nt.from_numpy(random_array(rng, (6, 4), dt))
    assert t.trace().item() == nt.trace(t.t()).item()


def test_trace_errors():
    _raises(RuntimeError, "trace: expected a matrix, but got tensor with dim 1", nt.trace, nt.ones(3))
    _raises(NotImplementedError, "\"trace\" not implemented for 'Bool'", nt.trace, nt.ones(2, 2, dtype=nt.bool))


# -- kron, grids, broadcasting, blocks -------------------------------------------------------------------------
@pytest.mark.parametrize("dt", [nt.bool, nt.int32, nt.float32])
def test_kron(rng, dt):
    for sa, sb in [((2, 3), (3, 2)), ((2,), (3,)), ((2, 3), (4,)), ((), (2, 2)), ((2, 1, 3), (1, 2, 2))]:
        a, b = random_array(rng, sa, dt), random_array(rng, sb, dt)
        got = nt.kron(nt.from_numpy(a), nt.from_numpy(b))
        ref = np.kron(a, b) if dt is not nt.bool else np.kron(a.astype(np.int8), b.astype(np.int8)).astype(bool)
        _eq(got, ref)
    a = random_array(rng, (2, 3), dt)
    _eq(nt.from_numpy(a).t().kron(nt.from_numpy(a)), np.kron(a.T, a) if dt is not nt.bool else
        np.kron(a.T.astype(np.int8), a.astype(np.int8)).astype(bool))


def test_kron_promotes_and_errors(rng):
    a, b = random_array(rng, (2, 2), nt.float32), random_array(rng, (2, 3), nt.int32)
    got = nt.kron(nt.from_numpy(a), nt.from_numpy(b))
    assert got.dtype is nt.float32
    np.testing.assert_allclose(got.numpy(), np.kron(a, b.astype(np.float32)))
    _raises(TypeError, "kron(): argument 'other' (position 2) must be Tensor, not int", nt.kron, nt.ones(2), 3)


@pytest.mark.parametrize("indexing", ["ij", "xy", None])
def test_meshgrid(rng, indexing):
    vecs = [random_array(rng, (n,), nt.int16) for n in (2, 3, 4)]
    ts = [nt.from_numpy(v) for v in vecs]
    for k in (1, 2, 3):
        got = nt.meshgrid(*ts[:k], indexing=indexing) if indexing else nt.meshgrid(*ts[:k])
        ref = np.meshgrid(*vecs[:k], indexing=indexing or "ij")
        assert isinstance(got, tuple) and len(got) == k
        for g, r in zip(got, ref):
            _eq(g, r)
        assert all(g.data_ptr() == t.data_ptr() for g, t in zip(got, ts))  # expanded views
    got = nt.meshgrid([ts[0], nt.tensor(7, dtype=nt.int16)], indexing=indexing)
    assert [tuple(g.shape) for g in got] == ([(2, 1)] * 2 if indexing != "xy" else [(1, 2)] * 2)


def test_meshgrid_errors():
    _raises(RuntimeError, "meshgrid expects all tensors to have the same dtype", nt.meshgrid, nt.ones(2),
            nt.ones(3, dtype=nt.int32))
    _raises(RuntimeError, "meshgrid expects a non-empty TensorList", nt.meshgrid)
    _raises(RuntimeError, 'torch.meshgrid: indexing must be one of "xy" or "ij", but received: xz', nt.meshgrid,
            nt.ones(2), indexing="xz")
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor in the tensor list"):
        nt.meshgrid(nt.ones(2), nt.ones(3, 2))


def test_broadcast_tensors(rng):
    arrs = [random_array(rng, s, nt.float32) for s in [(2, 1), (1, 3), (5, 1, 1), ()]]
    got = nt.broadcast_tensors(*[nt.from_numpy(a) for a in arrs])
    for g, r in zip(got, np.broadcast_arrays(*arrs)):
        _eq(g, r)
    got = nt.broadcast_tensors([nt.from_numpy(a) for a in arrs[:2]])
    assert [tuple(g.shape) for g in got] == [(2, 3), (2, 3)]
    assert nt.broadcast_tensors() == ()
    _raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
            nt.broadcast_tensors, nt.ones(2, 1), nt.ones(3, 3))


def _block_diag_ref(*arrs):
    mats = [a.reshape(1, -1) if a.ndim < 2 else a for a in arrs]
    dt = np.result_type(*arrs)
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)), dt)
    r = c = 0
    for m in mats:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def test_block_diag(rng):
    arrs = [random_array(rng, (2, 3), nt.float64), random_array(rng, (3,), nt.float64),
            random_array(rng, (), nt.float64), random_array(rng, (0, 2), nt.float64)]
    _eq(nt.block_diag(*[nt.from_numpy(a) for a in arrs]), _block_diag_ref(*arrs))
    ints = [random_array(rng, (2, 2), nt.int32), random_array(rng, (1, 3), nt.uint8)]
    _eq(nt.block_diag(*[nt.from_numpy(a) for a in ints]), _block_diag_ref(*ints))
    assert nt.block_diag().shape == (1, 0)
    _raises(RuntimeError, "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 1 has 3 dimensions",
            nt.block_diag, nt.ones(2), nt.ones(2, 2, 2))


def test_cartesian_prod(rng):
    vecs = [random_array(rng, (n,), nt.int64) for n in (2, 3, 1)]
    ts = [nt.from_numpy(v) for v in vecs]
    for k in (2, 3):
        _eq(nt.cartesian_prod(*ts[:k]), np.array(list(itertools.product(*vecs[:k])), np.int64))
    _eq(nt.cartesian_prod(ts[1]), vecs[1])
    _raises(RuntimeError, "Expect a 1D vector, but got shape [2, 2]", nt.cartesian_prod, nt.ones(2, 2))
    _raises(RuntimeError, "meshgrid expects all tensors to have the same dtype", nt.cartesian_prod, nt.ones(2),
            nt.ones(3, dtype=nt.int32))
