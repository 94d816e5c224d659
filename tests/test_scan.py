"""Scans against NumPy and reference loops: PyTorch's result dtypes (integers sum into int64), NaN and tie rules of
cummax/cummin, a stable logcumsumexp, diff with prepend/append, every dtype, non-contiguous inputs, and errors.
"""

import re

import numpy as np
import pytest
from conftest import ALL_DTYPES, FLOAT_DTYPES, layouts, random_array

import ntorch as nt

SHAPES = [(), (1,), (7,), (3, 5), (2, 3, 4), (0, 3)]
TOL = {nt.float16: 2e-3, nt.float32: 1e-5, nt.float64: 1e-12}


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _axis(a, dim):
    return 0 if a.ndim == 0 else dim


def _close(got, expected, dt):
    got_np = got.numpy()
    assert got_np.shape == np.shape(expected)
    if dt.is_floating_point:
        tol = TOL[dt]
        with np.errstate(over="ignore"):
            ref = np.asarray(expected).astype(dt.np).astype(np.float64)
        np.testing.assert_allclose(got_np.astype(np.float64), ref, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got_np, expected)


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_cumsum_cumprod_every_dtype(rng, dt, op):
    ref_fn = np.cumsum if op == "cumsum" else np.cumprod
    for shape in SHAPES:
        a = random_array(rng, shape, dt, -2, 3)
        for dim in (0, -1):
            got = getattr(nt, op)(nt.from_numpy(a.copy()), dim)
            out_dt = dt if dt.is_floating_point else nt.int64
            assert got.dtype is out_dt
            acc = np.float64 if dt.is_floating_point else np.int64
            ref = ref_fn(a.astype(acc), axis=_axis(a, dim)).reshape(a.shape)
            _close(got, ref, out_dt)


@pytest.mark.parametrize("dt", [nt.float32, nt.int32], ids=str)
def test_cumsum_layouts_and_dtype_arg(rng, dt):
    arr = random_array(rng, (1, 6, 9), dt)
    for _, t, a in layouts(arr):
        for dim in (0, 1, 2, -1):
            _close(t.cumsum(dim), np.cumsum(a.astype(np.float64 if dt.is_floating_point else np.int64), dim),
                   dt if dt.is_floating_point else nt.int64)
            got = nt.cumsum(t, dim, dtype=nt.float64)
            assert got.dtype is nt.float64
            _close(got, np.cumsum(a.astype(np.float64), dim), nt.float64)
    got = nt.cumsum(nt.tensor([100, 100, 100], dtype=nt.int64), 0, dtype=nt.int8)
    _close(got, np.array([100, 200, 300], np.int64).astype(np.int8), nt.int8)


def test_cumsum_long_rows_accurate(rng):
    """Long rows (the chunked path) and long columns; float32 results close to a float64 running sum."""
    # (4, 70000) along either dim also takes the multi-threaded kernel where numba has threads
    for shape, dim in [((100003,), 0), ((3, 9000), 1), ((5000, 7), 0), ((4, 70000), 1), ((4, 70000), 0)]:
        a = rng.standard_normal(shape).astype(np.float32) + 0.5
        ref = np.cumsum(a.astype(np.float64), axis=dim)
        got = nt.cumsum(nt.from_numpy(a), dim).numpy().astype(np.float64)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-4)
        if a.size < 50000:
            i = nt.cumsum(nt.from_numpy((a > 0.5).astype(np.int64)), dim)
            np.testing.assert_array_equal(i.numpy(), np.cumsum(a > 0.5, axis=dim))


def test_cumsum_cumprod_inplace(rng):
    a = random_array(rng, (3, 4), nt.int8, -3, 4)
    t = nt.from_numpy(a.copy())
    assert t.cumsum_(1) is t
    assert t.dtype is nt.int8
    np.testing.assert_array_equal(t.numpy(), np.cumsum(a.astype(np.int64), 1).astype(np.int8))
    f = nt.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    view = f[:, 1]
    view.cumprod_(0)
    np.testing.assert_array_equal(f.numpy(), [[1.0, 2.0], [3.0, 8.0]])


def _ref_cumext(a, dim, is_max):
    """Reference loop: a new NaN always takes over; ties go to the later index."""
    moved = np.moveaxis(a, dim, -1) if a.ndim else a.reshape(1)
    vals = moved.copy()
    idx = np.zeros(moved.shape, np.int64)
    for pos in np.ndindex(*moved.shape[:-1]):
        best, bi = None, 0
        for i, v in enumerate(moved[pos]):
            isnan = isinstance(v, np.floating) and np.isnan(v)
            best_nan = best is not None and isinstance(best, np.floating) and np.isnan(best)
            if best is None or isnan or (not best_nan and (v >= best if is_max else v <= best)):
                best, bi = v, i
            vals[pos + (i,)] = best
            idx[pos + (i,)] = bi
    if a.ndim == 0:
        return vals.reshape(()), idx.reshape(())
    return np.moveaxis(vals, -1, dim), np.moveaxis(idx, -1, dim)


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_cummax_cummin(rng, dt):
    for shape in SHAPES:
        a = random_array(rng, shape, dt, -2, 3)
        if dt.is_floating_point and a.size >= 4:
            a.reshape(-1)[1] = np.nan
            a.reshape(-1)[3] = np.nan
        for dim in (0, -1):
            for op in ("cummax", "cummin"):
                res = getattr(nt.from_numpy(a.copy()), op)(dim)
                vals, idx = _ref_cumext(a, _axis(a, dim), op == "cummax")
                assert res.values.dtype is dt and res.indices.dtype is nt.int64
                np.testing.assert_array_equal(res.values.numpy(), vals)
                np.testing.assert_array_equal(res.indices.numpy(), idx)


@pytest.mark.parametrize("dt", FLOAT_DTYPES, ids=str)
def test_logcumsumexp(rng, dt):
    for shape in SHAPES:
        a = random_array(rng, shape, dt, -5, 5)
        for dim in (0, -1):
            got = nt.logcumsumexp(nt.from_numpy(a.copy()), dim)
            assert got.dtype is dt
            ref = np.logaddexp.accumulate(a.astype(np.float64).reshape(a.shape or (1,)), axis=_axis(a, dim))
            _close(got, ref.reshape(a.shape), dt)
    big = np.array([1000.0, 1000.0, -1000.0], dt.np) if dt is not nt.float16 else np.array([60.0, 60.0, -60.0],
                                                                                             np.float16)
    _close(nt.logcumsumexp(nt.from_numpy(big), 0), np.logaddexp.accumulate(big.astype(np.float64)), dt)
    special = np.array([-np.inf, -np.inf, 1.0, np.inf, np.nan, 2.0], dt.np)
    got = nt.logcumsumexp(nt.from_numpy(special), 0).numpy()
    np.testing.assert_array_equal(got[[0, 1, 3, 4, 5]], np.array([-np.inf, -np.inf, np.inf, np.nan, np.nan], dt.np))
    np.testing.assert_allclose(got[2], 1.0)


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_diff(rng, dt):
    a = random_array(rng, (4, 6), dt)
    for dim in (0, 1, -1):
        for n in (0, 1, 2, 7):
            got = nt.diff(nt.from_numpy(a), n, dim)
            if dt is nt.bool:
                ref = a.copy()
                for _ in range(n):
                    ref = np.logical_xor(np.take(ref, range(1, ref.shape[dim]), dim),
                                         np.take(ref, range(ref.shape[dim] - 1), dim))
            else:
                ref = np.diff(a, n, axis=dim)
            assert got.dtype is dt
            _close(got, ref, dt)
    pre = random_array(rng, (4, 1), dt)
    app = random_array(rng, (4, 2), dt)
    got = nt.from_numpy(a).diff(dim=1, prepend=nt.from_numpy(pre), append=nt.from_numpy(app))
    if dt is not nt.bool:
        _close(got, np.diff(a, axis=1, prepend=pre, append=app), dt)


def test_diff_layouts(rng):
    arr = random_array(rng, (1, 5, 6), nt.float32)
    for _, t, a in layouts(arr):
        _close(nt.diff(t, 1, 1), np.diff(a, 1, 1), nt.float32)


def test_errors():
    x = nt.tensor([1.0, 2.0])
    _raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)", nt.cumsum, x, 1)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got -2)", nt.cummax, x, -2)
    _raises(NotImplementedError, "\"logcumsumexp_out_cpu\" not implemented for 'Long'", nt.logcumsumexp,
            nt.tensor([1, 2]), 0)
    _raises(RuntimeError, "diff expects input to be at least one-dimensional", nt.diff, nt.tensor(1.0))
    _raises(RuntimeError, "order must be non-negative but got -1", nt.diff, x, -1)
    _raises(RuntimeError, "diff expects prepend or append to be the same dimension as input", nt.diff,
            nt.zeros(1, 2), prepend=nt.zeros(1))
    _raises(TypeError, "diff(): argument 'prepend' must be Tensor, not float", nt.diff, x, prepend=1.5)
    _raises(TypeError, "cumsum(): argument 'dim' must be int, not NoneType", nt.cumsum, x, None)


@pytest.mark.parametrize("op", ["cumsum_", "cumprod_"])
def test_in_place_scans_refuse_bool(op):
    """torch's in-place cumsum_/cumprod_ run the out= kernel, which has no bool version (cumsum of bool is int64)."""
    x = nt.tensor([True, False, True])
    with pytest.raises(NotImplementedError, match=f"^\"{op}out_cpu\" not implemented for 'Bool'$"):
        getattr(x, op)(0)
    assert x.tolist() == [True, False, True]
    y = nt.tensor([1, 2, 3], dtype=nt.int8)
    assert getattr(y, op)(0).tolist() == ([1, 3, 6] if op == "cumsum_" else [1, 2, 6])


def test_logcumsumexp_checks_the_dim_before_the_dtype():
    """torch 2.13: a bad dim is an IndexError even for an integer input (whose dtype error comes after)."""
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        nt.logcumsumexp(nt.tensor(True), 1)
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Long'"):
        nt.logcumsumexp(nt.tensor([3]), 0)
