"""Tests of ntorch.kernels.cpu.reduce against NumPy.

Inputs are 3-D views (outer, r, inner) reduced over axis 1, in many memory layouts (contiguous,
transposed, stepped, negative strides, stride 0, read-only). Compilation dominates the run time, so each
test loops over shapes and layouts itself instead of being parametrized over them.
"""

import numba
import numpy as np
import pytest
from ntorch.kernels.cpu import reduce as R

F32, F64 = np.float32, np.float64
FLOATS = [F32, F64]
INTS = [np.int32, np.int64, np.uint8, np.bool_]
ALL = FLOATS + INTS

SHAPES = [
    (1, 1, 1),
    (1, 7, 1),
    (3, 0, 2),
    (0, 5, 3),
    (2, 5, 0),
    (1, 1, 5),
    (4, 9, 1),
    (3, 17, 5),
    (2, 301, 3),
    (5, 2, 2),
    (1, 2500, 1),
    (2, 9, 1500),
]


def _values(rng, shape, dt, low=-5, high=5):
    if dt == np.bool_:
        return rng.random(shape) > 0.4
    if np.issubdtype(dt, np.floating):
        return rng.uniform(low, high, shape).astype(dt)
    if dt == np.uint8:
        low = max(low, 0)
    return rng.integers(low, high, shape, endpoint=True).astype(dt)


def _views(a):
    """The array a in many layouts (the stride-0 views hold other values: compare with NumPy on the view)."""
    o, r, i = a.shape
    yield "contiguous", a.copy()
    yield "rows-contiguous (transposed)", np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1)
    yield "outer/r swapped", np.ascontiguousarray(a.transpose(1, 0, 2)).transpose(1, 0, 2)
    big = np.zeros((o, 2 * r, 2 * i), a.dtype)
    big[:, ::2, ::2] = a
    yield "stepped", big[:, ::2, ::2]
    big = np.zeros((o, 3 * r, i), a.dtype)
    big[:, ::3, :] = a
    yield "row-stepped", big[:, ::3, :]
    yield "negative strides", np.ascontiguousarray(a[::-1, ::-1, ::-1])[::-1, ::-1, ::-1]
    ro = a.copy()
    ro.flags.writeable = False
    yield "read-only", ro
    if r > 0:
        yield "stride 0 along r", np.broadcast_to(a[:, :1, :], a.shape)
    if i > 0:
        yield "stride 0 along inner", np.broadcast_to(a[:, :, :1], a.shape)


def _cases(rng, dtypes, shapes=SHAPES, **kw):
    for dt in dtypes:
        for shape in shapes:
            for name, x in _views(_values(rng, shape, dt, **kw)):
                yield f"{np.dtype(dt).name} {shape} {name}", x


def _sum_dtype(dt):
    return dt if np.issubdtype(dt, np.floating) else np.int64


def _close(got, ref, scale, rtol, what):
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    assert got.shape == ref.shape, what
    same_nan = np.isnan(got) == np.isnan(ref)
    assert same_nan.all(), what
    with np.errstate(invalid="ignore"):  # inf - inf
        ok = np.isnan(ref) | (got == ref) | (np.abs(got - ref) <= rtol * np.maximum(scale, 1e-300))
    assert ok.all(), f"{what}: got {got[~ok][:4]} expected {ref[~ok][:4]}"


def _rtol(dt):
    return 2e-6 if dt == F32 else 1e-12


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ---------------------------------------------------------------------------------------------------------
# sum, prod, max, min, argmax/argmin, max/min with indices, count/any/all over shapes, layouts, dtypes
# ---------------------------------------------------------------------------------------------------------
def test_sum(rng):
    for what, x in _cases(rng, ALL):
        o, r, i = x.shape
        dt = x.dtype.type
        out = np.full((o, i), 7, _sum_dtype(dt))
        R.sum_into(x, out)
        if np.issubdtype(dt, np.floating):
            ref = x.astype(F64).sum(1)
            _close(out, ref, np.abs(x.astype(F64)).sum(1), _rtol(dt), what)
        else:
            np.testing.assert_array_equal(out, x.sum(1, dtype=np.int64), what)


def test_prod(rng):
    for what, x in _cases(rng, FLOATS, low=0.5, high=1.5):
        out = np.empty((x.shape[0], x.shape[2]), x.dtype)
        R.prod_into(x, out)
        with np.errstate(over="ignore"):
            ref = x.astype(F64).prod(1).astype(x.dtype)  # may overflow to inf in float32
        _close(out, ref, np.abs(ref), 1e-5 if x.dtype == F32 else 1e-12, what)
    for what, x in _cases(rng, INTS, low=-2, high=2):
        out = np.empty((x.shape[0], x.shape[2]), np.int64)
        R.prod_into(x, out)
        np.testing.assert_array_equal(out, x.prod(1, dtype=np.int64), what)  # int64 wraps the same way


def test_max_min(rng):
    for what, x in _cases(rng, ALL):
        o, r, i = x.shape
        if r == 0:
            if o * i:
                with pytest.raises(ValueError):
                    R.max_into(x, np.empty((o, i), x.dtype))
            continue
        for fn, ref in ((R.max_into, np.max), (R.min_into, np.min)):
            out = np.empty((o, i), x.dtype)
            fn(x, out)
            np.testing.assert_array_equal(out, ref(x, axis=1), what)


def test_argmax_argmin_and_with_indices(rng):
    for what, x in _cases(rng, ALL, low=-3, high=3):  # few distinct values: many ties
        o, r, i = x.shape
        if r == 0:
            continue
        for fn, ref_i in ((R.argmax_into, np.argmax), (R.argmin_into, np.argmin)):
            idx = np.full((o, i), -1, np.int64)
            fn(x, idx)
            np.testing.assert_array_equal(idx, ref_i(x, axis=1), what)
        for fn, ref_i, ref_v in ((R.max_with_indices_into, np.argmax, np.max),
                                 (R.min_with_indices_into, np.argmin, np.min)):
            vals = np.empty((o, i), x.dtype)
            idx = np.full((o, i), -1, np.int64)
            fn(x, vals, idx)
            np.testing.assert_array_equal(idx, ref_i(x, axis=1), what)
            np.testing.assert_array_equal(vals, ref_v(x, axis=1), what)


def test_count_any_all(rng):
    for what, x in _cases(rng, ALL, low=-1, high=1):  # about one third zeros
        o, r, i = x.shape
        cnt = np.full((o, i), -1, np.int64)
        R.count_nonzero_into(x, cnt)
        np.testing.assert_array_equal(cnt, np.count_nonzero(x, axis=1), what)
        b = np.empty((o, i), np.bool_)
        R.any_into(x, b)
        np.testing.assert_array_equal(b, np.any(x, axis=1), what)
        R.all_into(x, b)
        np.testing.assert_array_equal(b, np.all(x, axis=1), what)


# ---------------------------------------------------------------------------------------------------------
# var / var_mean, logsumexp, norm (floats)
# ---------------------------------------------------------------------------------------------------------
def _var_ref(x, correction):
    x = x.astype(F64)
    r = x.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.mean(1) if r else np.full((x.shape[0], x.shape[2]), np.nan)
        ss = ((x - mean[:, None, :]) ** 2).sum(1)
        return ss / max(0.0, r - correction), mean


def test_var_mean(rng):
    for what, x in _cases(rng, FLOATS):
        o, r, i = x.shape
        for corr in (0, 1, r):
            v = np.empty((o, i), x.dtype)
            m = np.empty((o, i), x.dtype)
            R.var_mean_into(x, v, m, corr)
            rv, rm = _var_ref(x, corr)
            scale = np.where(np.isfinite(rv), np.abs(rv), 0) + np.abs(rm) ** 2 * 1e-6
            if r - corr <= 0:  # IEEE: 0/0 = nan (r == 0 or all values equal), positive/0 = inf
                assert (np.isnan(v) | (v == np.inf)).all(), what
                spread = x.max(1) > x.min(1) if r else np.zeros((o, i), bool)
                assert (v[spread] == np.inf).all(), what
            else:
                _close(v, rv, scale, _rtol(x.dtype.type) * 2, f"{what} correction {corr}")
            _close(m, rm, np.abs(x.astype(F64)).mean(1) if r else 1.0, _rtol(x.dtype.type), what)
            v2 = np.empty((o, i), x.dtype)
            R.var_into(x, v2, corr)
            np.testing.assert_array_equal(v2, v, what)


def test_var_is_robust_to_a_large_mean():
    x = (1e4 + np.arange(1000, dtype=F64) % 7).astype(F32).reshape(1, -1, 1)
    v = np.empty((1, 1), F32)
    R.var_into(x, v, 1.0)
    ref = np.var(x.astype(F64), ddof=1)
    assert abs(v[0, 0] - ref) <= 1e-6 * ref


def _lse_ref(x):
    x = x.astype(F64)
    if x.shape[1] == 0:
        return np.full((x.shape[0], x.shape[2]), -np.inf)
    m = x.max(1)
    fin = np.isfinite(m)
    ms = np.where(fin, m, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        res = ms + np.log(np.exp(x - ms[:, None, :]).sum(1))
    return np.where(fin, res, m)


def test_logsumexp(rng):
    for what, x in _cases(rng, FLOATS, low=-30, high=30):
        out = np.empty((x.shape[0], x.shape[2]), x.dtype)
        R.logsumexp_into(x, out)
        ref = _lse_ref(x)
        _close(out, ref, np.abs(ref) + 1, 4e-7 if x.dtype == F32 else 1e-13, what)


def _norm_ref(x, p):
    a = np.abs(x.astype(F64))
    if x.shape[1] == 0:
        return np.full((x.shape[0], x.shape[2]), np.inf if p < 0 else 0.0)
    if p == np.inf:
        return a.max(1)
    if p == -np.inf:
        return a.min(1)
    if p == 0:
        return (a != 0).sum(1).astype(F64)
    return (a**p).sum(1) ** (1.0 / p)


def test_norm(rng):
    for what, x in _cases(rng, FLOATS, shapes=SHAPES[:10]):
        out = np.empty((x.shape[0], x.shape[2]), x.dtype)
        # every order in float32; the common ones in float64 (each order is a separate kernel to compile)
        for p in (2.0, 1.0, np.inf, -np.inf, 0.0, 3.0, 0.5) if x.dtype == F32 else (2.0, np.inf):
            R.norm_into(x, out, p)
            ref = _norm_ref(x, p)
            _close(out, ref, np.abs(ref), 1e-6 if x.dtype == F32 else 1e-12, f"{what} p={p}")


def test_int_input_to_float_reductions(rng):
    x = rng.integers(-5, 6, (3, 11, 4)).astype(np.int32)
    out = np.empty((3, 4), F64)
    R.var_into(x, out, 1)
    np.testing.assert_allclose(out, x.astype(F64).var(1, ddof=1), rtol=1e-12)
    R.norm_into(x, out, 2.0)
    np.testing.assert_allclose(out, np.sqrt((x.astype(F64) ** 2).sum(1)), rtol=1e-12)
    R.logsumexp_into(x, out)
    np.testing.assert_allclose(out, _lse_ref(x), rtol=1e-12)


def test_float16_and_bool_outputs():
    h = np.array([[1.5, -2.0, 3.25]], np.float16).reshape(1, 3, 1)
    out = np.empty((1, 1), F32)
    R.sum_into(h, out)
    assert out[0, 0] == 2.75
    b = np.array([[False, True], [False, False]]).reshape(2, 2, 1)
    ob = np.empty((2, 1), np.bool_)
    R.max_into(b, ob)
    np.testing.assert_array_equal(ob[:, 0], [True, False])
    vals, idx = np.empty((2, 1), np.bool_), np.empty((2, 1), np.int64)
    R.min_with_indices_into(b, vals, idx)
    np.testing.assert_array_equal(vals[:, 0], [False, False])
    np.testing.assert_array_equal(idx[:, 0], [0, 0])


def test_other_integer_widths_and_byte_order(rng):
    """int8/int16/uint16/uint32 are widened to int64, uint64 is native, big-endian input is converted."""
    x = np.array([[1, 2**63 + 5, 2**64 - 1, 3]], np.uint64).reshape(1, 4, 1)  # unsigned comparisons
    m = np.empty((1, 1), np.uint64)
    R.max_into(x, m)
    assert m[0, 0] == 2**64 - 1
    for dt in (np.int8, np.int16, np.uint16, np.uint32):
        info = np.iinfo(dt)
        x = rng.integers(info.min, info.max, (3, 33, 4), dtype=dt, endpoint=True)
        x = np.ascontiguousarray(x.transpose(0, 2, 1)).transpose(0, 2, 1)
        s = np.empty((3, 4), np.int64)
        R.sum_into(x, s)
        np.testing.assert_array_equal(s, x.sum(1, dtype=np.int64), str(dt))
        m = np.empty((3, 4), dt)
        R.max_into(x, m)
        np.testing.assert_array_equal(m, x.max(1), str(dt))
        vals, idx = np.empty((3, 4), dt), np.empty((3, 4), np.int64)
        R.min_with_indices_into(x, vals, idx)
        np.testing.assert_array_equal(vals, x.min(1), str(dt))
        np.testing.assert_array_equal(idx, x.argmin(1), str(dt))
    x = rng.uniform(-1, 1, (2, 50, 3)).astype(">f4")
    out = np.empty((2, 3), np.float32)
    R.sum_into(x, out)
    np.testing.assert_allclose(out, x.astype(F64).sum(1), rtol=1e-6)
    idx = np.empty((2, 3), np.int64)
    R.argmax_into(x, idx)
    np.testing.assert_array_equal(idx, x.argmax(1))


# ---------------------------------------------------------------------------------------------------------
# NaN / inf placement, ties
# ---------------------------------------------------------------------------------------------------------
NAN_POSITIONS = [[0], [18], [36], [3, 20, 30], [1500], [0, 2999]]


def _with_specials(rng, dt, r, positions, value, layout):
    base = rng.uniform(-1, 1, (3, r, 4)).astype(dt)
    base[1, positions, :] = value  # row 1 holds the specials, rows 0 and 2 do not
    base[2, positions[:1], 1] = value
    if layout == "rows":
        return np.ascontiguousarray(base.transpose(0, 2, 1)).transpose(0, 2, 1)  # s1 == 1
    return base  # tiles mode (s2 == 1)


def test_nan_placement(rng):
    for dt in FLOATS:
        for pos in NAN_POSITIONS:
            r = 37 if max(pos) < 37 else 3000
            for layout in ("rows", "tiles"):
                x = _with_specials(rng, dt, r, pos, np.nan, layout)
                what = f"{np.dtype(dt).name} r={r} nan at {pos} {layout}"
                o = np.empty((3, 4), dt)
                idx = np.empty((3, 4), np.int64)
                for fn, ref in ((R.max_into, np.max), (R.min_into, np.min), (R.sum_into, np.sum),
                                (R.logsumexp_into, _lse_ref)):
                    fn(x, o)
                    np.testing.assert_array_equal(np.isnan(o), np.isnan(ref(x, axis=1) if ref is not _lse_ref
                                                                        else ref(x)), what)
                for fn, ref in ((R.argmax_into, np.argmax), (R.argmin_into, np.argmin)):
                    fn(x, idx)  # NumPy, like PyTorch, returns the first NaN for both
                    np.testing.assert_array_equal(idx, ref(x, axis=1), what)
                    assert (idx[1] == pos[0]).all()
                R.var_into(x, o, 1.0)
                np.testing.assert_array_equal(np.isnan(o), np.isnan(np.var(x, axis=1)), what)
                R.norm_into(x, o, 2.0)
                assert np.isnan(o[1]).all()
                R.norm_into(x, o, np.inf)
                assert np.isnan(o[1]).all() and not np.isnan(o[0]).any()
                b = np.empty((3, 4), np.bool_)
                R.all_into(np.where(np.isnan(x), np.nan, 1.0).astype(dt), b)  # NaN is nonzero
                assert b.all()


def test_inf_placement(rng):
    for dt in FLOATS:
        for layout in ("rows", "tiles"):
            x = _with_specials(rng, dt, 37, [5, 9], np.inf, layout)
            o = np.empty((3, 4), dt)
            R.max_into(x, o)
            assert (o[1] == np.inf).all()
            R.logsumexp_into(x, o)
            assert (o[1] == np.inf).all() and np.isfinite(o[0]).all()
            R.sum_into(x, o)
            assert (o[1] == np.inf).all()
            x[1, 20, :] = -np.inf
            R.sum_into(x, o)
            assert np.isnan(o[1]).all()
            x = np.full((2, 37, 3), -np.inf, dt)
            R.logsumexp_into(x, o[:2, :3].copy())
            out = np.empty((2, 3), dt)
            R.logsumexp_into(x, out)
            assert (out == -np.inf).all()
            R.argmax_into(x, np.empty((2, 3), np.int64))
            x[:, 7, :] = np.inf
            x[:, 30, :] = np.inf
            idx = np.empty((2, 3), np.int64)
            R.argmax_into(x, idx)
            assert (idx == 7).all()
            R.argmin_into(x, idx)
            assert (idx == 0).all()


def test_ties_first_index(rng):
    for dt in ALL:
        for r in (40, 2500):
            for layout in ("rows", "tiles"):
                x = np.zeros((2, r, 3), dt)
                for p in (5, r // 2, r - 1):
                    x[:, p, :] = 1
                if layout == "rows":
                    x = np.ascontiguousarray(x.transpose(0, 2, 1)).transpose(0, 2, 1)
                idx = np.empty((2, 3), np.int64)
                R.argmax_into(x, idx)
                assert (idx == 5).all(), (dt, r, layout)
                R.argmin_into(x, idx)
                assert (idx == 0).all(), (dt, r, layout)


# ---------------------------------------------------------------------------------------------------------
# Accuracy and the parallel path
# ---------------------------------------------------------------------------------------------------------
def test_float32_sum_accuracy_1e7():
    x = np.random.default_rng(7).random(10**7, dtype=F32)
    exact = x.astype(F64).sum()  # float64 pairwise: error far below 1e-9 here
    out = np.empty((1, 1), F32)
    R.sum_into(x.reshape(1, -1, 1), out)
    assert abs(float(out[0, 0]) - exact) / exact <= 1e-6
    # tiles mode (sum over axis 0) and rows mode on a 2-D matrix
    m = x[: 5000 * 2000].reshape(5000, 2000)
    o0 = np.empty((1, 2000), F32)
    R.sum_into(m.reshape(1, 5000, 2000), o0)
    ref0 = m.astype(F64).sum(0)
    assert (np.abs(o0[0] - ref0) / ref0).max() <= 1e-6
    o1 = np.empty((5000, 1), F32)
    R.sum_into(m.reshape(5000, 2000, 1), o1)
    ref1 = m.astype(F64).sum(1)
    assert (np.abs(o1[:, 0] - ref1) / ref1).max() <= 1e-6


def _check_all_ops(x, what):
    """The parallel kernels of sum, max, argmax, argmin (with values), var_mean, logsumexp, count_nonzero.
    (min and the norms come from the same templates as max and sum; leaving them out saves compile time.)"""
    o, r, i = x.shape
    x64 = x.astype(F64)
    out = np.empty((o, i), x.dtype)
    idx = np.empty((o, i), np.int64)
    R.sum_into(x, out)
    _close(out, x64.sum(1), np.abs(x64).sum(1), 2e-6, what + " sum")
    R.max_into(x, out)
    np.testing.assert_array_equal(out, x.max(1), what)
    R.argmax_into(x, idx)
    np.testing.assert_array_equal(idx, x.argmax(1), what)
    vals = np.empty((o, i), x.dtype)
    R.min_with_indices_into(x, vals, idx)
    np.testing.assert_array_equal(idx, x.argmin(1), what)
    np.testing.assert_array_equal(vals, x.min(1), what)
    m = np.empty((o, i), x.dtype)
    R.var_mean_into(x, out, m, 1)
    rv, rm = _var_ref(x, 1)
    _close(out, rv, rv, 1e-5, what + " var")
    R.logsumexp_into(x, out)
    ref = _lse_ref(x)
    _close(out, ref, np.abs(ref), 1e-6, what + " logsumexp")
    cnt = np.empty((o, i), np.int64)
    R.count_nonzero_into(x, cnt)
    np.testing.assert_array_equal(cnt, np.count_nonzero(x, axis=1), what)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two threads")
def test_parallel_large(rng):
    """Inputs above PAR_MIN: whole array, many rows, axis-0 tiles, few long rows."""
    assert numba.get_num_threads() >= 2
    for shape in ((1, 1_200_001, 1), (1200, 1001, 1), (1, 1200, 1001), (3, 400_001, 1), (2, 40_000, 17)):
        x = rng.uniform(-2, 2, shape).astype(F32)
        x.reshape(-1)[123_457] = 3.5  # a unique maximum
        assert x.size >= R.PAR_MIN
        _check_all_ops(x, f"parallel {shape}")


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two threads")
def test_parallel_chunking_small(rng, monkeypatch):
    """Force the parallel kernels with tiny chunks onto small odd shapes (chunk boundaries, combining)."""
    monkeypatch.setattr(R, "PAR_MIN", 0)
    monkeypatch.setattr(R, "PAR_MIN_HEAVY", 0)
    monkeypatch.setattr(R, "CHUNK_MIN", 3)
    for shape in ((1, 1, 1), (1, 7, 1), (2, 29, 1), (1, 31, 3), (3, 5, 2), (1, 2500, 1), (1, 33, 1500)):
        x = rng.integers(-3, 4, shape).astype(F32)  # ties across chunks
        _check_all_ops(x, f"forced parallel {shape}")
        if shape[1] > 3:
            x[:, shape[1] // 2 :: 5, :] = np.nan  # NaN only in later chunks
            idx = np.empty((shape[0], shape[2]), np.int64)
            R.argmax_into(x, idx)
            np.testing.assert_array_equal(idx, np.argmax(x, axis=1))
            R.argmin_into(x, idx)
            np.testing.assert_array_equal(idx, np.argmin(x, axis=1))
            out = np.empty((shape[0], shape[2]), F32)
            R.max_into(x, out)
            assert np.isnan(out).all()


def test_one_thread_uses_serial_kernels(rng):
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        x = rng.uniform(-1, 1, (1, 1_200_001, 1)).astype(F32)  # above PAR_MIN
        out = np.empty((1, 1), F32)
        R.sum_into(x, out)
        assert abs(out[0, 0] - x.astype(F64).sum()) <= 1e-6 * np.abs(x).sum()
        R.max_into(x, out)
        assert out[0, 0] == x.max()
    finally:
        numba.set_num_threads(old)


def test_output_must_be_c_contiguous():
    x = np.ones((2, 3, 4), F32)
    with pytest.raises(ValueError):
        R.sum_into(x, np.empty((4, 2), F32).T)
