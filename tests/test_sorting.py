"""Sorting and selection against NumPy and plain reference loops: PyTorch's order (NaN largest, -0.0 == 0.0,
ties in index order for stable sorts), every dtype, non-contiguous inputs, empty and 0-d tensors, and errors.
"""

import math
import re

import numpy as np
import pytest
from conftest import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, layouts, random_array

import ntorch as nt

NUMERIC = [*INT_DTYPES, *FLOAT_DTYPES]
SHAPES = [(), (1,), (7,), (3, 40), (2, 3, 5), (0, 4)]


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _values(rng, shape, dt, low=-3, high=4):
    """Small-range values (many ties); floats also get NaN, -0.0, 0.0 and inf."""
    a = random_array(rng, shape, dt, low, high)
    if dt.is_floating_point and a.size >= 6:
        flat = a.reshape(-1)
        flat[1], flat[2], flat[3], flat[5] = np.nan, -0.0, 0.0, np.inf
    return a


def _order(row: np.ndarray, descending: bool) -> list[int]:
    """torch's stable order of a 1-D row: NaN largest, ties by index."""
    v = row.astype(np.float64)
    if descending:
        return sorted(range(v.size), key=lambda i: (not math.isnan(v[i]), -v[i] if not math.isnan(v[i]) else 0))
    return sorted(range(v.size), key=lambda i: (math.isnan(v[i]), v[i] if not math.isnan(v[i]) else 0))


def _ref_sort(a: np.ndarray, dim: int, descending: bool):
    """(values, indices) of a stable sort along dim, by the reference order."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    moved = np.moveaxis(a, dim, -1)
    idx = np.empty(moved.shape, np.int64)
    for pos in np.ndindex(*moved.shape[:-1]):
        idx[pos] = _order(moved[pos], descending)
    vals = np.take_along_axis(moved, idx, -1)
    return np.moveaxis(vals, -1, dim), np.moveaxis(idx, -1, dim)


def _same(got, expected):
    got = got.numpy()
    assert got.shape == np.shape(expected)
    np.testing.assert_array_equal(got, expected)


def _points_at(values, indices, a, dim):
    """indices select values from a along dim."""
    if a.ndim == 0:
        np.testing.assert_array_equal(values.numpy(), a)
        return
    np.testing.assert_array_equal(np.take_along_axis(a, indices.numpy(), dim), values.numpy())


# ------------------------------------------------------------------------------------------------------------
# sort / argsort / msort
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_sort_every_dtype(rng, dt):
    for shape in SHAPES:
        a = _values(rng, shape, dt)
        for dim in (0, -1):
            for descending in (False, True):
                res = nt.sort(nt.from_numpy(a.copy()), dim, descending)
                vals, idx = _ref_sort(a, dim, descending)
                assert res.values.dtype is dt and res.indices.dtype is nt.int64
                _same(res.values, vals)
                _same(res.indices, idx)
                _same(nt.argsort(nt.from_numpy(a.copy()), dim, descending, stable=True), idx)


def test_sort_keeps_negative_zero_and_ties_stable():
    a = np.array([0.0, -0.0, 1.0, -0.0, 0.0, np.nan, -np.inf], np.float32)
    res = nt.sort(nt.from_numpy(a), stable=True)
    _same(res.indices, [6, 0, 1, 3, 4, 2, 5])
    assert list(np.signbit(res.values.numpy()[1:5])) == [False, True, True, False]
    res = nt.sort(nt.from_numpy(a), descending=True)
    _same(res.indices, [5, 2, 0, 1, 3, 4, 6])


@pytest.mark.parametrize("dt", [nt.float32, nt.int64], ids=str)
def test_sort_layouts(rng, dt):
    arr = _values(rng, (1, 6, 9), dt)
    for _, t, a in layouts(arr):
        for dim in (1, -1):
            res = t.sort(dim, descending=True)
            vals, idx = _ref_sort(a, dim, True)
            _same(res.values, vals)
            _same(res.indices, idx)


@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int64, nt.int16], ids=str)
def test_sort_long_rows_radix(rng, dt):
    """Rows long enough for the radix passes; two rows of 70000 take the parallel path where there are threads."""
    for shape in [(5000,), (2, 70000)]:
        a = random_array(rng, shape, dt, -1000, 1000)
        if dt is nt.int64:  # a range over 2**32: 64-bit keys
            a[..., ::2] *= 2**50
        if dt.is_floating_point:
            a.reshape(-1)[::97] = np.nan
        t = nt.from_numpy(a)
        res = t.sort()
        idx = np.argsort(a, axis=-1, kind="stable")  # NumPy also puts NaN last, ties in index order
        _same(res.indices, idx)
        _same(res.values, np.take_along_axis(a, idx, -1))
        desc = t.sort(descending=True)
        _points_at(desc.values, desc.indices, a, -1)
        assert np.all(np.diff(desc.values.numpy()[..., a.shape[-1] // 97 + 1:].astype(np.float64), axis=-1) <= 0)


def test_msort_and_methods(rng):
    a = _values(rng, (4, 3), nt.float32)
    _same(nt.msort(nt.from_numpy(a)), _ref_sort(a, 0, False)[0])
    _same(nt.from_numpy(a).msort(), _ref_sort(a, 0, False)[0])
    _same(nt.from_numpy(a).argsort(0), _ref_sort(a, 0, False)[1])


def test_return_type_repr():
    res = nt.sort(nt.tensor([2.0, 1.0]))
    assert repr(res).startswith("ntorch.return_types.sort(\nvalues=")
    values, indices = res
    assert values is res.values and indices is res[1]


# ------------------------------------------------------------------------------------------------------------
# topk / kthvalue
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", NUMERIC, ids=str)
def test_topk_every_dtype(rng, dt):
    for shape in [(), (7,), (3, 40), (2, 3, 5)]:
        a = _values(rng, shape, dt)
        for dim in (0, -1):
            n = a.shape[dim] if a.ndim else 1
            for k in sorted({1, n // 2, n}):
                for largest in (True, False):
                    res = nt.topk(nt.from_numpy(a.copy()), k, dim, largest)
                    vals, _ = _ref_sort(a, dim, largest)
                    expected = np.take(vals, range(k), axis=dim) if a.ndim else vals
                    _same(res.values, expected)
                    _points_at(res.values, res.indices, a, dim)


def test_topk_radix_select(rng):
    """Long rows take the selection path: values exact, indices pointing at them, with heavy ties and NaN."""
    for a in [rng.standard_normal((2, 70000)).astype(np.float32), rng.integers(0, 4, (3, 5000)),
              np.where(rng.random(10000) < 0.01, np.nan, rng.standard_normal(10000)),
              rng.integers(-50, 50, (4, 700)).astype(np.float32)]:
        t = nt.from_numpy(a)
        ref_sorted = np.sort(a, axis=-1)  # NaN last
        for k in (1, 10, 20, 100, 600):
            kth = t.kthvalue(k)
            _same(kth.values, ref_sorted[..., k - 1])
            np.testing.assert_array_equal(np.take_along_axis(a, kth.indices.numpy()[..., None], -1)[..., 0],
                                          ref_sorted[..., k - 1])
            for largest in (True, False):
                res = t.topk(k, largest=largest)
                order = np.argsort(a, axis=-1, kind="stable")
                if largest:  # NaN first, then descending
                    order = np.argsort(-np.where(np.isnan(a), np.inf, a), axis=-1, kind="stable")
                expected = np.take_along_axis(a, order[..., :k], -1)
                _same(res.values, expected)
                _points_at(res.values, res.indices, a, -1)
        for op in ("median", "nanmedian"):
            res = getattr(t, op)(-1)
            refs = [_ref_median(row, op == "nanmedian") for row in a.reshape(-1, a.shape[-1])]
            _same(res.values, np.array([r[0] for r in refs], a.dtype).reshape(a.shape[:-1]))
            _same(res.indices, np.array([r[1] for r in refs]).reshape(a.shape[:-1]))


def test_topk_empty_and_zero_k():
    res = nt.topk(nt.zeros(0), 0)
    assert tuple(res.values.shape) == (0,) and res.indices.dtype is nt.int64
    res = nt.topk(nt.zeros(0, 3), 2)
    assert tuple(res.values.shape) == (0, 2)
    assert tuple(nt.topk(nt.zeros(3, 5), 0).indices.shape) == (3, 0)


@pytest.mark.parametrize("dt", NUMERIC, ids=str)
def test_kthvalue_every_dtype(rng, dt):
    a = _values(rng, (4, 9), dt)
    for dim in (0, 1, -1):
        n = a.shape[dim]
        for k in (1, (n + 1) // 2, n):
            for keepdim in (False, True):
                res = nt.kthvalue(nt.from_numpy(a), k, dim, keepdim)
                vals, _ = _ref_sort(a, dim, False)
                expected = np.take(vals, [k - 1], axis=dim)
                if not keepdim:
                    expected = expected.squeeze(dim)
                _same(res.values, expected)
                idx = res.indices.numpy() if keepdim else np.expand_dims(res.indices.numpy(), dim)
                np.testing.assert_array_equal(np.take_along_axis(a, idx, dim), np.take(vals, [k - 1], axis=dim))


# ------------------------------------------------------------------------------------------------------------
# median / nanmedian / mode
# ------------------------------------------------------------------------------------------------------------
def _ref_median(row: np.ndarray, ignore_nan: bool):
    """(value, index) of torch's lower median of a row (the first NaN for median when there is one)."""
    order = np.argsort(row, kind="stable")  # NumPy's order is torch's: NaN last, ties by index
    isnan = np.isnan(row) if row.dtype.kind == "f" else np.zeros(row.shape, bool)
    nnan = int(isnan.sum())
    if nnan and not ignore_nan:
        first = int(np.flatnonzero(isnan)[0])
        return row[first], first
    m = row.size - nnan
    pos = (row.size - 1) // 2 if m == 0 else (m - 1) // 2
    return row[order[pos]], int(order[pos])


@pytest.mark.parametrize("dt", NUMERIC, ids=str)
@pytest.mark.parametrize("op", ["median", "nanmedian"])
def test_median(rng, dt, op):
    a = _values(rng, (5, 8), dt)
    if dt.is_floating_point:
        a[2, :] = np.nan  # an all-NaN column for nanmedian
    fn = getattr(nt, op)
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            res = fn(nt.from_numpy(a), dim, keepdim)
            moved = np.moveaxis(a, dim, -1)
            refs = [_ref_median(moved[i], op == "nanmedian") for i in range(moved.shape[0])]
            vals = np.array([r[0] for r in refs], a.dtype)
            idx = np.array([r[1] for r in refs], np.int64)
            if keepdim:
                vals, idx = np.expand_dims(vals, dim), np.expand_dims(idx, dim)
            _same(res.values, vals)
            _same(res.indices, idx)
    whole = fn(nt.from_numpy(a))
    assert whole.ndim == 0
    _same(whole, _ref_median(a.reshape(-1), op == "nanmedian")[0])


def test_median_0d_and_empty():
    _same(nt.median(nt.tensor(3.0)), 3.0)
    res = nt.tensor(3.0).median(0)
    _same(res.values, 3.0)
    _same(res.indices, 0)
    assert math.isnan(nt.median(nt.zeros(0)).item())
    res = nt.median(nt.zeros(0, 3), 1)
    assert tuple(res.values.shape) == (0,)


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_mode(rng, dt):
    a = random_array(rng, (4, 11), dt, -2, 3)
    for dim in (0, -1):
        for keepdim in (False, True):
            res = nt.mode(nt.from_numpy(a), dim, keepdim)
            moved = np.moveaxis(a, dim, -1)
            expected = []
            for row in moved:
                counts = {v: int(np.sum(row == v)) for v in row.tolist()}
                best = max(counts.values())
                expected.append(min(v for v, c in counts.items() if c == best))
            vals = np.array(expected, a.dtype)
            idx = res.indices.numpy() if keepdim else np.expand_dims(res.indices.numpy(), dim)
            _same(res.values, np.expand_dims(vals, dim) if keepdim else vals)
            np.testing.assert_array_equal(np.take_along_axis(a, idx, dim), np.expand_dims(vals, dim))


# ------------------------------------------------------------------------------------------------------------
# unique / unique_consecutive
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_unique_every_dtype(rng, dt):
    for shape in [(), (1,), (9,), (3, 7), (0,)]:
        a = random_array(rng, shape, dt, -3, 4)
        t = nt.from_numpy(a.copy())
        vals, inv, counts = nt.unique(t, return_inverse=True, return_counts=True)
        ev, ei, ec = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        _same(vals, ev)
        _same(inv, ei.reshape(a.shape))
        _same(counts, ec)
        _same(t.unique(), ev)
        v2, i2 = nt.unique(t, sorted=False, return_inverse=True)
        np.testing.assert_array_equal(v2.numpy()[i2.numpy()], a)


def test_unique_nan_and_signed_zero():
    a = np.array([np.nan, 1.0, np.nan, 0.0, -0.0, 1.0], np.float64)
    vals, counts = nt.unique(nt.from_numpy(a), return_counts=True)
    _same(vals, [0.0, 1.0, np.nan, np.nan])  # NaN never equals NaN; -0.0 == 0.0
    _same(counts, [2, 2, 1, 1])


def test_unique_large_ints(rng):
    a = rng.integers(-(2**40), 2**40, 20000)
    a[::3] = a[1::3][: a[::3].size]
    vals, inv, counts = nt.unique(nt.from_numpy(a), return_inverse=True, return_counts=True)
    ev, ei, ec = np.unique(a, return_inverse=True, return_counts=True)
    _same(vals, ev)
    _same(inv, ei)
    _same(counts, ec)


@pytest.mark.parametrize("dt", [nt.bool, nt.int32, nt.float32], ids=str)
def test_unique_dim(rng, dt):
    a = random_array(rng, (6, 3, 2), dt, 0, 2)
    a[4] = a[1]
    for dim in (0, 1, -1):
        vals, inv, counts = nt.unique(nt.from_numpy(a), dim=dim, return_inverse=True, return_counts=True)
        ev, ei, ec = np.unique(a, axis=dim, return_inverse=True, return_counts=True)
        _same(vals, ev)
        _same(inv, ei.reshape(-1))
        _same(counts, ec)


def _ref_consecutive(flat):
    starts = [i for i in range(len(flat)) if i == 0 or not flat[i] == flat[i - 1]]
    counts = np.diff(starts + [len(flat)])
    return flat[starts], np.repeat(np.arange(len(starts)), counts), counts


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_unique_consecutive(rng, dt):
    a = random_array(rng, (3, 8), dt, 0, 2)
    vals, inv, counts = nt.unique_consecutive(nt.from_numpy(a), return_inverse=True, return_counts=True)
    ev, ei, ec = _ref_consecutive(a.reshape(-1))
    _same(vals, ev)
    _same(inv, ei.reshape(a.shape))
    _same(counts, ec)
    b = np.array([[1, 2], [1, 2], [3, 4], [1, 2]])
    vals, counts = nt.from_numpy(b).unique_consecutive(dim=0, return_counts=True)
    _same(vals, b[[0, 2, 3]])
    _same(counts, [2, 1, 1])
    nan = nt.tensor([float("nan"), float("nan"), 1.0])
    assert nt.unique_consecutive(nan).shape == (3,)


# ------------------------------------------------------------------------------------------------------------
# searchsorted / bucketize / histc / bincount
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seq_dt,val_dt", [(nt.float32, nt.float32), (nt.int64, nt.float64), (nt.int32, nt.int64),
                                           (nt.float64, nt.int16), (nt.uint8, nt.uint8), (nt.float16, nt.float32)],
                         ids=str)
def test_searchsorted(rng, seq_dt, val_dt):
    seq = np.sort(random_array(rng, (3, 9), seq_dt, 0, 8), axis=-1)
    vals = random_array(rng, (3, 5), val_dt, 0, 9)
    for right in (False, True):
        side = "right" if right else "left"
        got = nt.searchsorted(nt.from_numpy(seq), nt.from_numpy(vals), right=right)
        ref = np.stack([np.searchsorted(seq[i].astype(np.float64), vals[i].astype(np.float64), side) for i in range(3)])
        _same(got, ref)
        got = nt.searchsorted(nt.from_numpy(seq[0]), nt.from_numpy(vals), side=side, out_int32=True)
        assert got.dtype is nt.int32
        _same(got, np.searchsorted(seq[0].astype(np.float64), vals.astype(np.float64), side))
        _same(nt.searchsorted(nt.from_numpy(seq[1]), 3, right=right), np.searchsorted(seq[1], 3, side))
        _same(nt.bucketize(nt.from_numpy(vals), nt.from_numpy(seq[2]), right=right),
              np.searchsorted(seq[2].astype(np.float64), vals.astype(np.float64), side))


def test_searchsorted_sorter_nan_and_layouts(rng):
    seq = rng.standard_normal(10).astype(np.float32)
    sorter = np.argsort(seq, kind="stable")
    vals = rng.standard_normal(6).astype(np.float32)
    got = nt.searchsorted(nt.from_numpy(seq), nt.from_numpy(vals), sorter=nt.from_numpy(sorter))
    _same(got, np.searchsorted(seq, vals, sorter=sorter))
    s = nt.tensor([1.0, 2.0, 2.0, 3.0, float("nan")])
    # torch's comparisons: a NaN value goes past everything, a NaN in the sequence is never below a value
    _same(nt.searchsorted(s, nt.tensor([2.0, float("nan"), 0.0, 5.0])), [1, 5, 0, 5])
    arr = np.sort(rng.standard_normal((1, 4, 6)), axis=-1)
    for _, t, a in layouts(arr):
        got = nt.searchsorted(t, nt.from_numpy(np.zeros((1, 4, 2))))
        _same(got, np.stack([np.searchsorted(a[0, i], np.zeros(2)) for i in range(4)])[None])
    _same(nt.searchsorted(nt.zeros(0), nt.tensor([1.0])), [0])
    _same(nt.bucketize(2.5, nt.tensor([1.0, 2.0, 3.0])), 2)


@pytest.mark.parametrize("dt", FLOAT_DTYPES, ids=str)
def test_histc(rng, dt):
    a = random_array(rng, (500,), dt, -3, 3)
    got = nt.histc(nt.from_numpy(a), bins=7)
    lo, hi = float(a.min()), float(a.max())
    assert got.dtype is dt
    ref, _ = np.histogram(a.astype(np.float64), bins=7, range=(lo, hi))
    np.testing.assert_allclose(got.numpy().astype(np.float64), ref, atol=1)  # an edge value may round either way
    assert got.numpy().sum() == a.size
    got = nt.from_numpy(a).histc(4, -1, 1)
    ref, _ = np.histogram(a.astype(np.float64), bins=4, range=(-1, 1))
    np.testing.assert_allclose(got.numpy().astype(np.float64), ref, atol=1)
    with_nan = np.array([1.0, 2.0, np.nan, 5.0], dt.np)
    _same(nt.histc(nt.from_numpy(with_nan), 2, 0, 4), np.array([1, 1], dt.np))
    _same(nt.histc(nt.tensor([1.0, 1.0]), 4), [0, 0, 2, 0])
    _same(nt.histc(nt.zeros(0), 3), [0, 0, 0])


@pytest.mark.parametrize("dt", INT_DTYPES, ids=str)
def test_bincount(rng, dt):
    a = random_array(rng, (40,), dt, 0, 9)
    _same(nt.bincount(nt.from_numpy(a)), np.bincount(a))
    _same(nt.from_numpy(a).bincount(minlength=15), np.bincount(a, minlength=15))
    w = rng.standard_normal(40).astype(np.float32)
    got = nt.bincount(nt.from_numpy(a), nt.from_numpy(w))
    assert got.dtype is nt.float32
    np.testing.assert_allclose(got.numpy(), np.bincount(a, w), rtol=1e-5, atol=1e-6)
    got = nt.bincount(nt.from_numpy(a), nt.from_numpy(np.arange(40)))
    assert got.dtype is nt.float64
    _same(got, np.bincount(a, np.arange(40)))
    _same(nt.bincount(nt.zeros(0, dtype=dt)), np.zeros(0, np.int64))


# ------------------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------------------
def test_errors():
    x = nt.tensor([1.0, 2.0])
    _raises(RuntimeError, "selected index k out of range", nt.topk, x, 3)
    _raises(RuntimeError, "selected index k out of range", nt.topk, x, -1)
    _raises(RuntimeError, "topk does not support bool dtypes on CPU", nt.topk, nt.tensor([True]), 1)
    _raises(RuntimeError, "kthvalue(): selected number k out of range for dimension 0", nt.kthvalue, x, 3)
    _raises(RuntimeError, "kthvalue(): selected number k out of range for dimension 0", nt.kthvalue, x, 0)
    _raises(IndexError, "kthvalue(): Expected reduction dim 0 to have non-zero size.", nt.kthvalue, nt.zeros(0), 1)
    _raises(IndexError, "median(): Expected reduction dim 0 to have non-zero size.", nt.median, nt.zeros(0, 3), 0)
    _raises(IndexError, "mode(): Expected reduction dim 1 to have non-zero size.", nt.mode, nt.zeros(3, 0), 1)
    _raises(NotImplementedError, "\"median_out\" not implemented for 'Bool'", nt.median, nt.tensor([True]), 0)
    _raises(NotImplementedError, "\"kthvalue_cpu\" not implemented for 'Bool'", nt.kthvalue, nt.tensor([True]), 1)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)", nt.sort, x, 1)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got -3)", nt.topk,
            nt.zeros(2, 2), 1, -3)
    _raises(RuntimeError, "bincount only supports 1-d non-negative integral inputs.", nt.bincount,
            nt.tensor([[1, 2]]))
    _raises(RuntimeError, "bincount only supports 1-d non-negative integral inputs.", nt.bincount,
            nt.tensor([-1, 2]))
    _raises(NotImplementedError, "\"bincount_cpu\" not implemented for 'Float'", nt.bincount, x)
    _raises(RuntimeError, "weights should be 1-d and have the same length as input", nt.bincount,
            nt.tensor([1, 2]), nt.tensor([1.0]))
    _raises(RuntimeError, "minlength should be >= 0", nt.bincount, nt.tensor([1]), None, -1)
    _raises(NotImplementedError, "\"histogram_cpu\" not implemented for 'Long'", nt.histc, nt.tensor([1, 2]))
    _raises(RuntimeError, "torch.histc: max must be larger than min", nt.histc, x, 4, 3, 1)
    _raises(RuntimeError, "torch.histogram(): bins must be > 0, but got 0 for dimension 0", nt.histc, x, 0)
    _raises(RuntimeError, "torch.histc: range of [nan, nan] is not finite", nt.histc, nt.tensor([1.0, math.nan]))
    seq = nt.tensor([[1.0, 2, 3], [1, 2, 3]])
    _raises(RuntimeError, "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor "
            "[2, 3] and input value tensor [3, 1]", nt.searchsorted, seq, nt.zeros(3, 1))
    _raises(RuntimeError, "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            "dimension is 1, but we got boundaries tensor dim(2) and input value's dim(0) numel(1)",
            nt.searchsorted, seq, 2.0)
    _raises(RuntimeError, "torch.searchsorted(): side can only be 'left' or 'right' but got lft",
            nt.searchsorted, x, 1.0, side="lft")
    _raises(RuntimeError, "torch.searchsorted(): side and right can't be set to opposites, got side of left "
            "while right was True", nt.searchsorted, x, 1.0, side="left", right=True)
    _raises(RuntimeError, "torch.searchsorted(): sorter index out of range", nt.searchsorted, x, x,
            sorter=nt.tensor([0, 2]))
    _raises(RuntimeError, "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype Float",
            nt.searchsorted, x, x, sorter=x)
    _raises(RuntimeError, "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
            "dimension", nt.searchsorted, nt.tensor(1.0), x)
    _raises(RuntimeError, "boundaries tensor must be 1 dimension, but got dim(2)", nt.bucketize, x, seq)
    _raises(RuntimeError, "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied",
            nt.unique, nt.zeros(2, 0), dim=0)
    _raises(TypeError, "sort(): argument 'dim' must be int, not float", nt.sort, x, 0.5)


@pytest.mark.parametrize("fn", [nt.unique, nt.unique_consecutive])
def test_unique_with_dim_of_a_0d_tensor_raises(fn):
    with pytest.raises(IndexError, match="^Dimension specified as 0 but tensor has no dimensions$"):
        fn(nt.tensor(3), dim=0)
    assert fn(nt.tensor(3)).tolist() == [3]


def test_topk_kthvalue_ties_as_torch_cpu():
    """Among equal values torch's CPU topk/kthvalue pick what std::nth_element / std::sort and ATen's
    quickselect leave in place, not the first index; values and indices hard-coded from torch 2.13 (CPU)."""
    x = nt.tensor([1.0, 0, 1, 1, 0, -0.0, 1, 2, 1, 1, 0, 1, -0.0, 1, 1, 2, 1])
    assert nt.topk(x, 3).indices.tolist() == [7, 15, 13]
    assert nt.topk(x, 5, largest=False).indices.tolist() == [5, 10, 12, 4, 1]
    assert nt.topk(x, 6, sorted=False).indices.tolist() == [13, 7, 15, 9, 11, 8]
    assert [int(x.kthvalue(k).indices) for k in range(1, 18)] == [4, 5, 12, 10, 1, 11, 8, 13, 14, 0, 2, 3, 9, 6,
                                                                     16, 15, 7]
    assert math.copysign(1, x.kthvalue(2).values.item()) == -1  # the -0.0 at index 5
    assert [math.copysign(1, v) for v in nt.topk(x, 2, largest=False).values.tolist()] == [-1, 1]
    nan = math.nan
    y = nt.tensor([3, 1, 3, nan, 3, 1, nan, 1, 3, 1, 1])
    assert nt.topk(y, 4).indices.tolist() == [6, 3, 0, 4]
    assert nt.topk(y, 4, largest=False).indices.tolist() == [9, 7, 5, 10]
    assert [int(y.kthvalue(k).indices) for k in range(1, 12)] == [5, 1, 9, 7, 10, 2, 0, 4, 8, 6, 3]
    z = nt.tensor([[2, 2, 1, 2], [5, 5, 5, 5]])
    assert nt.kthvalue(z, 2, 1).indices.tolist() == [1, 0]
    assert nt.topk(z, 2, 1).indices.tolist() == [[1, 3], [2, 3]]


def test_topk_kthvalue_ties_long_rows(rng):
    """Long rows with ties (the selection fast path, then ATen's steps): each index points at its value, and
    the indices are torch's (hard-coded checks of a fixed input: 64 * k <= n takes std::partial_sort)."""
    a = np.arange(300) % 3  # 0, 1, 2 repeating: the largest 2s sit at 2, 5, 8, ...
    t = nt.from_numpy(a)
    res = t.topk(4)
    assert res.values.tolist() == [2, 2, 2, 2]
    assert len(set(res.indices.tolist())) == 4 and all(i % 3 == 2 for i in res.indices.tolist())
    assert res.indices.tolist() == [8, 5, 11, 2]  # torch 2.13 CPU
    assert int(t.kthvalue(150).indices) == 1  # torch 2.13 CPU


def test_kthvalue_0d_and_dtype_check_order():
    """torch copies a 0-d input before its dtype check (bool works); empty dims and k are checked first."""
    res = nt.kthvalue(nt.tensor(True), 1)
    assert res.values.item() is True and res.indices.item() == 0
    _raises(NotImplementedError, "\"kthvalue_cpu\" not implemented for 'Bool'", nt.kthvalue,
            nt.tensor([True]), 1)
    _raises(IndexError, "kthvalue(): Expected reduction dim 0 to have non-zero size.", nt.kthvalue,
            nt.zeros(0, 3, dtype=nt.bool), 2, 0)
    _raises(RuntimeError, "kthvalue(): selected number k out of range for dimension 0", nt.kthvalue,
            nt.zeros(3, 0, dtype=nt.bool), 4, 0)


def test_median_all_and_mode_as_torch_cpu():
    """median() partitions torch's clone() of the input with std::nth_element (the signed zero it returns
    depends on that); mode sorts (value, index) pairs with std::sort and plain < (NaN unordered) and takes the
    first longest run's last pair. Values hard-coded from torch 2.13 (CPU)."""
    nan = math.nan
    x = nt.tensor([[0.5, -0.0, 2, 0.0, 1, -0.0, 0.0, 3, -0.0, 0.0, 4, 0.0, -0.0]])
    assert x[:, ::2].median().item() == 0.5
    assert math.copysign(1, x.t().median().item()) == -1
    assert math.copysign(1, nt.nanmedian(nt.tensor([nan, 1.0, -0.0, 0.0, nan, 0.0])).item()) == 1
    m = nt.tensor([[1.0, nan, 1.0, 2.0, nan, 2.0, -0.0, 0.0, 2.0, 3.0], [1] * 10, [5, 5, 4, 4, nan, nan, nan, 4, 5, 5]])
    r = nt.mode(m, 1)
    assert r.values.tolist() == [2.0, 1.0, 4.0] and r.indices.tolist() == [8, 9, 3]
    w = nt.tensor([3, 1, 3, 1, 2, 2, 3, 1, 2, 1, 3, 2, 1, 3, 2, 1, 2, 3, 1, 2])  # 20 > 16: introsort's steps
    r = nt.mode(w)
    assert (r.values.item(), r.indices.item()) == (1, 9)


def test_median_empty_fill_and_check_order():
    """median() of an empty tensor is NaN cast to the dtype (True; the int32/int64 minimum; 0 for narrower
    ints, which keep the low bits of int32's minimum); along a dim the dim checks come before the dtype's."""
    for dt, fill in [(nt.bool, True), (nt.uint8, 0), (nt.int8, 0), (nt.int16, 0), (nt.int32, -(1 << 31)),
                     (nt.int64, -(1 << 63))]:
        assert nt.median(nt.zeros(0, 3, dtype=dt)).item() == fill
        assert nt.nanmedian(nt.zeros(0, 3, dtype=dt)).item() == fill
    assert math.isnan(nt.median(nt.zeros(0, 3)).item())
    b = nt.tensor([True, False])
    _raises(NotImplementedError, "\"median_cpu\" not implemented for 'Bool'", nt.median, b)
    _raises(NotImplementedError, "\"median_out\" not implemented for 'Bool'", nt.median, b, 0)
    _raises(NotImplementedError, "\"median_out\" not implemented for 'Bool'", nt.nanmedian, nt.tensor(True), 0)
    _raises(IndexError, "median(): Expected reduction dim 0 to have non-zero size.", nt.median,
            nt.zeros(0, 3, dtype=nt.bool), 0)
    with pytest.raises(IndexError):
        nt.median(nt.tensor([True]), 1)
    with pytest.raises(TypeError):
        nt.median(nt.tensor([True]), (0,))


def test_searchsorted_bool_only_when_both_are_bool():
    """torch compares in the promoted dtype: a bool side next to numbers is promoted, two bools are an error."""
    seq = nt.tensor([False, True])
    assert nt.searchsorted(seq, nt.tensor([0, 1, 2])).tolist() == [0, 1, 2]
    assert nt.searchsorted(seq, 0.5).item() == 1 and nt.searchsorted(seq, 2).item() == 2
    assert nt.searchsorted(nt.tensor([1, 2]), nt.tensor([True])).tolist() == [0]
    for v in (True, nt.tensor([True])):
        _raises(NotImplementedError, "\"searchsorted_out_cpu\" not implemented for 'Bool'", nt.searchsorted, seq, v)
