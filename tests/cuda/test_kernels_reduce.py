"""CUDA reductions over (outer, r, inner) views against NumPy, in each of the three kernels (one thread per
output; one block per output; rows cut into chunks plus a second pass) and several memory layouts."""

import numpy as np
import pytest
from cuda_util import broadcast, dev, empty, host, stepped, transposed
from ntorch.kernels.cuda import reduce as R

INTS = [np.bool_, np.uint8, np.int8, np.int32, np.int64]
FLOATS = [np.float16, np.float32, np.float64]


def _float_acc(dt):
    return np.float64 if dt == np.float64 else np.float32


def _np_var(x, ddof):
    return x.astype(np.float64).var(1, ddof=ddof)


def _lse(x):
    x = x.astype(np.float64)
    m = x.max(1, keepdims=True)
    with np.errstate(all="ignore"):
        return (np.log(np.exp(x - m).sum(1)) + m[:, 0])


# name -> (call(x_dev, out...), NumPy reference, output dtype(s) for input dtype, dtypes)
ENTRIES = {
    "sum": (R.sum_into, lambda x: x.sum(1, dtype=np.float64 if x.dtype.kind == "f" else np.int64),
            lambda dt: _float_acc(dt) if np.dtype(dt).kind == "f" else np.int64, INTS + FLOATS),
    "prod": (R.prod_into, lambda x: x.astype(np.float64 if x.dtype.kind == "f" else np.int64).prod(1),
             lambda dt: _float_acc(dt) if np.dtype(dt).kind == "f" else np.int64, INTS + FLOATS),
    "max": (R.max_into, lambda x: x.max(1), lambda dt: dt, INTS + FLOATS),
    "min": (R.min_into, lambda x: x.min(1), lambda dt: dt, INTS + FLOATS),
    "argmax": (R.argmax_into, lambda x: x.argmax(1), lambda dt: np.int64, INTS + FLOATS),
    "argmin": (R.argmin_into, lambda x: x.argmin(1), lambda dt: np.int64, INTS + FLOATS),
    "var": (R.var_into, lambda x: _np_var(x, 1), _float_acc, FLOATS),
    "var0": (lambda x, o: R.var_into(x, o, correction=0), lambda x: _np_var(x, 0), _float_acc, FLOATS),
    "logsumexp": (R.logsumexp_into, _lse, _float_acc, FLOATS),
    "norm2": (R.norm_into, lambda x: np.sqrt((x.astype(np.float64) ** 2).sum(1)), _float_acc, FLOATS),
    "norm1": (lambda x, o: R.norm_into(x, o, 1), lambda x: np.abs(x.astype(np.float64)).sum(1), _float_acc, FLOATS),
    "norm3": (lambda x, o: R.norm_into(x, o, 3), lambda x: (np.abs(x.astype(np.float64)) ** 3).sum(1) ** (1 / 3),
              _float_acc, FLOATS),
    "norminf": (lambda x, o: R.norm_into(x, o, np.inf), lambda x: np.abs(x).max(1), _float_acc, FLOATS),
    "normninf": (lambda x, o: R.norm_into(x, o, -np.inf), lambda x: np.abs(x).min(1), _float_acc, FLOATS),
    "norm0": (lambda x, o: R.norm_into(x, o, 0), lambda x: (x != 0).sum(1), _float_acc, FLOATS),
    "count_nonzero": (R.count_nonzero_into, lambda x: (x != 0).sum(1), lambda dt: np.int64, INTS + FLOATS),
    "any": (R.any_into, lambda x: (x != 0).any(1), lambda dt: np.bool_, INTS + FLOATS),
    "all": (R.all_into, lambda x: (x != 0).all(1), lambda dt: np.bool_, INTS + FLOATS),
}


def _data(dt, shape, rng):
    if dt is np.bool_:
        return rng.random(shape) > 0.3
    if np.dtype(dt).kind in "iu":
        lo = 0 if np.dtype(dt).kind == "u" else -3
        return rng.integers(lo, 4, shape).astype(dt)  # small values: repeated extremes test first-index ties
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 0.15] = 0.0
    return x.astype(dt)


def _check(name, got, want, dt):
    if np.asarray(want).dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=name)
    else:
        tol = 3e-3 if dt == np.float16 else 1e-5 if dt == np.float32 else 1e-12
        np.testing.assert_allclose(got.astype(np.float64), np.asarray(want, np.float64), rtol=tol, atol=tol,
                                   equal_nan=True, err_msg=name)


def _run(name, xd, x):
    call, ref, out_dt, _ = ENTRIES[name]
    out = empty((x.shape[0], x.shape[2]), out_dt(x.dtype.type))
    call(xd, out)
    _check(name, host(out), ref(x), x.dtype)


_CASES = [(name, dt) for name, entry in ENTRIES.items() for dt in entry[3]]


@pytest.mark.parametrize("name,dt", _CASES, ids=[f"{n}-{np.dtype(d).name}" for n, d in _CASES])
def test_one_thread_per_output(name, dt):
    rng = np.random.default_rng(0)
    x = _data(dt, (3, 7, 2), rng)
    _run(name, dev(x), x)


_BLOCK_CASES = [(name, dt) for name in ENTRIES for dt in (np.float32, np.int32, np.float16) if dt in ENTRIES[name][3]]


@pytest.mark.parametrize("shape", [(1, 45, 2), (3, 45, 1)], ids=["strided-rows", "flat-rows"])
@pytest.mark.parametrize("chunked", [False, True], ids=["block-per-row", "chunked"])
@pytest.mark.parametrize("name,dt", _BLOCK_CASES, ids=[f"{n}-{np.dtype(d).name}" for n, d in _BLOCK_CASES])
def test_block_tree_and_chunks(name, dt, chunked, shape, monkeypatch):
    monkeypatch.setattr(R, "MIN_CHUNK", 16 if chunked else 1 << 20)
    rng = np.random.default_rng(1)
    x = _data(dt, shape, rng)
    _run(name, dev(x), x)


def test_rows_back_to_back_take_the_flat_kernel(monkeypatch):
    """Contiguous rows (inner == 1, row stride r) are indexed flat; rows with a gap between them are not."""
    picked = []
    real = R.configure

    def spy(kernel, grid, block):
        picked.append(kernel)
        return real(kernel, grid, block)

    monkeypatch.setattr(R, "configure", spy)
    rng = np.random.default_rng(3)
    base = rng.standard_normal((3, 50, 1)).astype(np.float32)
    mod = R._module("sum", np.dtype(np.float32), np.dtype(np.float32), R.block_size(R.BLOCK_WANT))
    for x, xd, kernel in ((base, dev(base), mod.rows_flat), (base[:, :45], dev(base)[:, :45], mod.rows)):
        picked.clear()
        out = empty((3, 1), np.float32)
        R.sum_into(xd, out)
        np.testing.assert_allclose(host(out)[:, 0], x.astype(np.float64).sum(1)[:, 0], rtol=1e-5)
        assert picked[0] is kernel


@pytest.mark.parametrize("layout", ["transposed", "stepped", "broadcast"])
@pytest.mark.parametrize("r", [5, 40])
def test_layouts(layout, r):
    rng = np.random.default_rng(2)
    if layout == "broadcast":
        row = rng.standard_normal((1, r, 1)).astype(np.float32)
        x = np.broadcast_to(row, (2, r, 3))
        xd = broadcast(row, (2, r, 3))
    else:
        x = rng.standard_normal((2, r, 3)).astype(np.float32)
        xd = transposed(x) if layout == "transposed" else stepped(x)
    for name in ("sum", "argmax", "max", "var"):
        _run(name, xd, x)


def test_long_rows_accumulate_accurately(big, monkeypatch):
    n = (1 << 22) + 5 if big else 3000
    monkeypatch.setattr(R, "MIN_CHUNK", 1 << 13 if big else 512)
    rng = np.random.default_rng(3)
    x = (rng.random((1, n, 1)) + 1.0).astype(np.float32)
    out = empty((1, 1), np.float32)
    R.sum_into(dev(x), out)
    np.testing.assert_allclose(host(out)[0, 0], x.astype(np.float64).sum(), rtol=1e-6)


def test_many_outputs(big):
    """One thread per output, serial over r: a float32 sum of 300 terms carries float32 rounding (as torch's
    does), so the sum is compared at a tolerance scaled by sqrt(r) times the partial sums' size."""
    shape = (64, 300, 1025) if big else (5, 3, 9)
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(np.float32)
    out = empty((shape[0], shape[2]), np.float32)
    R.sum_into(dev(x), out)
    bound = 4 * np.finfo(np.float32).eps * np.sqrt(shape[1]) * np.abs(x).sum(1)
    assert (np.abs(host(out) - x.astype(np.float64).sum(1)) <= bound).all()
    for name in ("argmin", "logsumexp"):
        _run(name, dev(x), x)


def test_empty_rows_give_identities():
    x = dev(np.zeros((2, 0, 3), np.float32))
    cases = [(R.sum_into, np.float32, 0), (R.prod_into, np.float32, 1), (R.logsumexp_into, np.float32, -np.inf),
             (R.var_into, np.float32, np.nan), (R.norm_into, np.float32, 0.0), (R.count_nonzero_into, np.int64, 0),
             (R.any_into, np.bool_, False), (R.all_into, np.bool_, True)]
    for call, dt, value in cases:
        out = empty((2, 3), dt)
        call(x, out)
        np.testing.assert_array_equal(host(out), np.full((2, 3), value, dt), err_msg=call.__name__)
    out = empty((2, 3), np.float32)
    R.norm_into(x, out, -1.0)
    assert np.isinf(host(out)).all()
    for call in (R.max_into, R.argmax_into, R.argmin_into):
        with pytest.raises(ValueError, match="empty reduction has no identity"):
            call(x, empty((2, 3), np.int64))
    R.sum_into(dev(np.zeros((0, 4, 3), np.float32)), empty((0, 3), np.float32))  # no outputs: nothing to do


@pytest.mark.parametrize("r", [6, 20, 40])  # 20: a block tree where some threads saw no element
def test_nan_and_inf_follow_torch(r):
    x = np.zeros((4, r, 1), np.float32)
    x[0, 3] = np.nan
    x[0, 1] = 5.0
    x[1, 2] = np.inf
    x[1, 4] = np.inf
    x[2, :] = -np.inf
    x[3, 1] = x[3, 4] = np.nan
    vals, idx = empty((4, 1), np.float32), empty((4, 1), np.int64)
    R.max_with_indices_into(dev(x), vals, idx)
    np.testing.assert_array_equal(host(idx)[:, 0], [3, 2, 0, 1])  # first NaN, else the first extreme
    np.testing.assert_array_equal(host(vals)[:, 0], [np.nan, np.inf, -np.inf, np.nan])
    R.min_with_indices_into(dev(x), vals, idx)
    np.testing.assert_array_equal(host(idx)[:, 0], [3, 0, 0, 1])
    lse = empty((4, 1), np.float32)
    R.logsumexp_into(dev(x), lse)
    np.testing.assert_array_equal(host(lse)[:, 0], [np.nan, np.inf, -np.inf, np.nan])


def test_var_mean_and_float16_outputs():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 30, 3)).astype(np.float16)
    var, mean = empty((2, 3), np.float16), empty((2, 3), np.float16)
    R.var_mean_into(dev(x), var, mean, correction=2)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(host(mean), x64.mean(1), rtol=3e-3, atol=3e-3)
    np.testing.assert_allclose(host(var), x64.var(1, ddof=2), rtol=3e-3, atol=3e-3)
    one = empty((1, 1), np.float32)
    R.var_into(dev(np.ones((1, 1, 1), np.float32)), one)  # 0 / 0 with the default correction
    assert np.isnan(host(one)[0, 0])


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="3-d"):
        R.sum_into(dev(np.ones((2, 3), np.float32)), empty((2,), np.float32))
    with pytest.raises(ValueError, match="expected"):
        R.sum_into(dev(np.ones((2, 3, 4), np.float32)), empty((2, 3), np.float32))


@pytest.mark.parametrize("chunked", [False, True], ids=["block-per-row", "chunked"])
def test_long_rows_unrolled_loop(chunked, monkeypatch, big):
    """Rows long enough for the four-states-per-thread loop, with ties and NaN at every position class."""
    monkeypatch.setattr(R, "MIN_CHUNK", 64 if chunked else 1 << 30)
    r = 100_003 if big else 301
    rng = np.random.default_rng(7)
    x = rng.integers(-3, 4, (3, r, 1)).astype(np.float32)  # many ties: the first index must win
    x[1, r // 2] = np.nan
    x[1, r - 1] = np.nan
    for name in ("sum", "argmax", "argmin", "max", "logsumexp", "var"):
        _run(name, dev(x), x)
