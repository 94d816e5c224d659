"""CUDA gather / scatter / index kernels against reference loops and NumPy indexing written here: each entry
point, the canonical (CPU-argument) form, strided operands, repeated indices, bounds flags, dtypes."""

import numpy as np
import pytest
from cuda_util import broadcast, dev, empty, host, stepped, transposed
from ntorch.kernels.cuda import arrays
from ntorch.kernels.cuda import indexing as I

DATA = [np.float32, np.float64, np.int32, np.int64, np.float16, np.int8, np.bool_]
ATOMIC = [np.float32, np.float64, np.int32, np.int64]


def _values(dt, shape, rng):
    if dt is np.bool_:
        return rng.random(shape) > 0.5
    if np.dtype(dt).kind in "iu":
        return rng.integers(-50, 50, shape).astype(dt)
    return rng.standard_normal(shape).astype(dt)


def _ref_gather(x, d, idx):
    out = np.empty(idx.shape, x.dtype)
    for p in np.ndindex(*idx.shape):
        q = list(p)
        q[d] = idx[p]
        out[p] = x[tuple(q)]
    return out


@pytest.mark.parametrize("dt", DATA, ids=lambda d: np.dtype(d).name)
def test_gather_every_dim(dt):
    rng = np.random.default_rng(0)
    x = _values(dt, (3, 4, 5), rng)
    for d in range(3):
        ishape = [2, 3, 4]
        ishape[d] = 6  # longer than x along dim d: indices repeat
        idx = rng.integers(0, x.shape[d], ishape)
        out = empty(tuple(ishape), dt)
        flag = I.new_flag()
        I.gather(dev(x), d, dev(idx), out, flag)
        np.testing.assert_array_equal(host(out), _ref_gather(x, d, idx), err_msg=f"dim {d}")
        assert I.read_flag(flag) is None


def test_gather_strided_operands_and_int32_index():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    idx = rng.integers(0, 4, (6, 4)).astype(np.int32)  # transposed below to (4, 6)
    want = _ref_gather(x, 0, idx.T)
    for name, xd in (("transposed", transposed(x)), ("stepped", stepped(x))):
        out = dev(np.zeros((4, 13), np.float32))
        outv = arrays.view(out, (4, 6), (13, 2), offset=1)
        I.gather(xd, 0, transposed(idx.T), outv)
        np.testing.assert_array_equal(host(out)[:, 1::2], want, err_msg=name)
        assert (host(out)[:, 0::2] == 0).all()


def test_gather_flags_out_of_range_without_reading():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    idx = np.array([[0, 2, 3], [-1, 1, 0]])
    out = dev(np.full((2, 3), 77.0, np.float32))
    flag = I.new_flag()
    I.gather(dev(x), 1, dev(idx), out, flag)
    assert I.read_flag(flag) == 2  # C-order position of the first bad index
    got = host(out)
    assert got[0, 2] == 77.0 and got[1, 0] == 77.0  # not written
    np.testing.assert_array_equal(got[0, :2], [0, 2])


def test_gather_size_zero_and_zero_d():
    out = empty((0, 3), np.float32)
    I.gather(dev(np.ones((2, 3), np.float32)), 0, dev(np.zeros((0, 3), np.int64)), out)
    out0 = empty((), np.float64)
    I.gather(dev(np.array(5.0)), 0, dev(np.array(0)), out0)
    assert host(out0)[()] == 5.0


def _ref_scatter_reduce(x, d, idx, src, op):
    x = x.copy()
    for p in np.ndindex(*idx.shape):
        q = list(p)
        q[d] = idx[p]
        q = tuple(q)
        if op == "sum":
            x[q] += src[p]
        elif op == "amax":
            x[q] = src[p] if (src[p] > x[q] or src[p] != src[p]) else x[q]
        else:
            x[q] = src[p] if (src[p] < x[q] or src[p] != src[p]) else x[q]
    return x


@pytest.mark.parametrize("op", ["sum", "amax", "amin"])
@pytest.mark.parametrize("dt", ATOMIC, ids=lambda d: np.dtype(d).name)
def test_scatter_reduce_repeated_indices(dt, op):
    rng = np.random.default_rng(2)
    x = _values(dt, (3, 4), rng)
    src = _values(dt, (3, 5), rng)
    for d in (0, 1):
        idx = rng.integers(0, x.shape[d], (3, 5) if d == 1 else (3, 4))
        s = src[:, :idx.shape[1]]
        xd = dev(x)
        I.scatter_reduce(xd, d, dev(idx), dev(np.ascontiguousarray(s)), op)
        want = _ref_scatter_reduce(x, d, idx, s, op)
        if np.dtype(dt).kind == "f":
            np.testing.assert_allclose(host(xd), want, rtol=1e-6, err_msg=f"dim {d}")
        else:
            np.testing.assert_array_equal(host(xd), want, err_msg=f"dim {d}")


def test_scatter_add_strided_destination_and_broadcast_source():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 5)).astype(np.float64)
    idx = rng.integers(0, 4, (6, 5))
    src = broadcast(np.array([[1.5]]), (6, 5))  # one value for every element (stride 0)
    xd = transposed(x)
    I.scatter_add(xd, 0, dev(idx), src)
    want = _ref_scatter_reduce(x, 0, idx, np.full((6, 5), 1.5), "sum")
    np.testing.assert_allclose(host(xd), want, rtol=1e-12)


def test_scatter_reduce_nan_propagates():
    x = np.zeros((1, 3), np.float32)
    idx = np.array([[0, 0, 1, 1]])
    src = np.array([[np.nan, 5.0, 2.0, np.nan]], np.float32)
    for op in ("amax", "amin"):
        xd = dev(x)
        I.scatter_reduce(xd, 1, dev(idx), dev(src), op)
        got = host(xd)
        assert np.isnan(got[0, :2]).all() and got[0, 2] == 0, op


@pytest.mark.parametrize("dt", DATA, ids=lambda d: np.dtype(d).name)
def test_scatter_copy(dt):
    rng = np.random.default_rng(4)
    x = _values(dt, (4, 6), rng)
    src = _values(dt, (3, 6), rng)
    idx = np.stack([rng.permutation(4)[:3] for _ in range(6)], axis=1)  # distinct along dim 0: one writer each
    xd = dev(x)
    I.scatter(xd, 0, dev(idx), dev(src))
    want = x.copy()
    for i in range(3):
        for j in range(6):
            want[idx[i, j], j] = src[i, j]
    np.testing.assert_array_equal(host(xd), want)


def test_scatter_repeated_index_writes_one_of_the_values():
    xd = dev(np.zeros((1, 2), np.float32))
    I.scatter(xd, 1, dev(np.array([[1, 1, 1]])), dev(np.array([[4.0, 5.0, 6.0]], np.float32)))
    got = host(xd)
    assert got[0, 0] == 0 and got[0, 1] in (4.0, 5.0, 6.0)


def test_reductions_refuse_non_atomic_dtypes():
    x = dev(np.zeros((2, 2), np.float16))
    with pytest.raises(TypeError, match="atomics"):
        I.scatter_add(x, 0, dev(np.zeros((2, 2), np.int64)), dev(np.zeros((2, 2), np.float16)))
    y = dev(np.zeros((2, 2), np.float32))
    with pytest.raises(NotImplementedError, match="CUDA has sum"):
        I.scatter_reduce(y, 0, dev(np.zeros((2, 2), np.int64)), dev(np.zeros((2, 2), np.float32)), "mean")
    with pytest.raises(TypeError, match="dtype"):
        I.scatter(y, 0, dev(np.zeros((2, 2), np.int64)), dev(np.zeros((2, 2), np.float64)))


@pytest.mark.parametrize("dt", DATA, ids=lambda d: np.dtype(d).name)
def test_index_select(dt):
    rng = np.random.default_rng(5)
    x = _values(dt, (2, 5, 3), rng)
    idx = np.array([4, 0, 4, 2])
    out = empty((2, 4, 3), dt)
    I.index_select(dev(x), dev(idx), out)
    np.testing.assert_array_equal(host(out), x[:, idx, :])


def test_index_select_layouts_and_flag():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    idx = np.array([3, 1, 1])
    for name, xd in (("transposed", transposed(x)), ("stepped", stepped(x))):
        out = empty((3, 3, 5), np.float32)
        I.index_select(xd, stepped(idx), out)
        np.testing.assert_array_equal(host(out), x[:, idx, :], err_msg=name)
    flag = I.new_flag()
    I.index_select(dev(x), dev(np.array([0, -1, 4])), empty((3, 3, 5), np.float32), flag)
    assert I.read_flag(flag) == 5  # (0, 1, 0): torch's index_select takes no negative index


def test_embedding():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((10, 4)).astype(np.float32)
    idx = np.array([9, 0, 3, 3, 7])
    out = empty((5, 4), np.float32)
    I.embedding(transposed(np.ascontiguousarray(w)), dev(idx), out)
    np.testing.assert_array_equal(host(out), w[idx])


@pytest.mark.parametrize("dt", ATOMIC, ids=lambda d: np.dtype(d).name)
def test_index_add_repeated(dt):
    rng = np.random.default_rng(8)
    x = _values(dt, (2, 4, 3), rng)
    src = _values(dt, (2, 5, 3), rng)
    idx = np.array([1, 3, 1, 1, 0])
    xd = dev(x)
    I.index_add(xd, dev(idx), dev(src))
    want = x.copy()
    for i, k in enumerate(idx):
        want[:, k, :] += src[:, i, :]
    if np.dtype(dt).kind == "f":
        np.testing.assert_allclose(host(xd), want, rtol=1e-6)
    else:
        np.testing.assert_array_equal(host(xd), want)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "stepped", "empty"])
def test_take(layout):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4)).astype(np.float64)
    idx = np.array([[0, 11, -1], [-12, 5, 5]])
    if layout == "empty":
        out = empty((2, 3), np.float64)
        flag = I.new_flag()
        I.take(dev(np.zeros((0, 4))), dev(idx), out, flag)
        assert I.read_flag(flag) == 0
        return
    xd = {"contiguous": dev(x), "transposed": transposed(x), "stepped": stepped(x)}[layout]
    out = empty((2, 3), np.float64)
    flag = I.new_flag()
    I.take(xd, dev(idx), out, flag)
    np.testing.assert_array_equal(host(out), np.take(x, idx))
    assert I.read_flag(flag) is None
    I.take(xd, dev(np.array([3, 12, -13])), empty((3,), np.float64), flag)
    assert I.read_flag(flag) == 1


def test_first_bad_and_check():
    idx = np.array([[0, 3, 1], [4, -1, 9]])
    assert I.first_bad(dev(idx), 0, 4) == 4
    assert I.first_bad(dev(idx), -4, 10) is None
    mem = np.array([[0, 3, 5], [4, 1, 1]])  # the view below holds mem.T: C order 0, 4, 3, 1, 5, 1
    assert I.first_bad(transposed(np.ascontiguousarray(mem.T)), 0, 4) == 4  # not 5, the first in memory
    assert I.first_bad(dev(np.zeros((0,), np.int64)), 0, 1) is None
    assert I.first_bad(dev(np.array(7)), 0, 5) == 7
    with pytest.raises(TypeError, match="integer"):
        I.first_bad(dev(np.zeros(2, np.float32)), 0, 1)


def test_canonical_form_matches_cpu_kernels():
    """gather_nd / scatter_nd / scatter_reduce_nd with the CPU kernels' arguments give the CPU results."""
    from ntorch.kernels.cpu import indexing as K

    rng = np.random.default_rng(10)
    src = rng.standard_normal(30).astype(np.float32)
    idx = rng.integers(-5, 5, 12)
    meta = np.array([(3, 4), (6, 1), (4, 1)], np.int64)  # S (3, 4); src offset 6*i + j; idx offset 4*i + j
    want = np.empty(12, np.float32)
    assert K.gather_nd(src, 2, idx, 0, 1, -5, 5, want, meta) == (0, 0)
    out = empty((12,), np.float32)
    I.gather_nd(dev(src), 2, dev(idx), 0, 1, -5, 5, out, meta)
    np.testing.assert_array_equal(host(out), want)

    vals = rng.standard_normal(12).astype(np.float32)
    meta4 = np.array([(3, 4), (10, 0), (4, 1), (4, 1)], np.int64)  # dst row i at 10*i, index adds idx*2
    for op in (K.ADD, K.AMAX, K.AMIN):
        dst = rng.standard_normal(30).astype(np.float32)
        d = dev(dst)
        K.scatter_reduce_nd(dst, 0, idx, 0, 2, 5, vals, 0, meta4, op)
        I.scatter_reduce_nd(d, 0, dev(idx), 0, 2, 5, dev(vals), 0, meta4, op)
        np.testing.assert_allclose(host(d), dst, rtol=1e-6, err_msg=str(op))
    perm = np.stack([rng.permutation(5)[:4] for _ in range(3)]).reshape(-1)  # distinct within each row
    dst = np.zeros(30, np.float32)
    d = dev(dst)
    K.scatter_nd(dst.view(np.uint32), 0, perm, 0, 2, 5, vals.view(np.uint32), 0, meta4)
    I.scatter_nd(d, 0, dev(perm), 0, 2, 5, dev(vals), 0, meta4)
    np.testing.assert_array_equal(host(d), dst)


def test_bad_arguments():
    x = dev(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="number of dims"):
        I.gather(x, 0, dev(np.zeros(2, np.int64)), empty((2,), np.float32))
    with pytest.raises(IndexError, match="dim"):
        I.gather(x, 2, dev(np.zeros((2, 3), np.int64)), empty((2, 3), np.float32))
    with pytest.raises(TypeError, match="integer"):
        I.gather(x, 0, dev(np.zeros((2, 3), np.float32)), empty((2, 3), np.float32))
    with pytest.raises(ValueError, match="larger"):
        I.gather(x, 0, dev(np.zeros((2, 4), np.int64)), empty((2, 4), np.float32))
    with pytest.raises(ValueError, match="out of shape"):
        I.index_select(dev(np.zeros((1, 3, 2))), dev(np.zeros(2, np.int64)), empty((1, 3, 2), np.float64))


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int32, np.int64], ids=lambda d: np.dtype(d).name)
def test_scatter_prod_with_repeated_positions(dt):
    """Every position receives several factors (the compare-and-swap loop retries under contention)."""
    rng = np.random.default_rng(9)
    x = rng.integers(1, 4, (3, 5)).astype(dt)
    src = rng.integers(-2, 3, (6, 5)).astype(dt)
    idx = rng.integers(0, 3, (6, 5))
    xd = dev(x)
    I.scatter_reduce(xd, 0, dev(idx), dev(src), "prod")
    want = x.copy()
    for i in range(6):
        for j in range(5):
            want[idx[i, j], j] *= src[i, j]
    np.testing.assert_array_equal(host(xd), want)
