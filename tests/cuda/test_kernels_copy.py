"""CUDA strided copy with cast, and fill, against NumPy's astype / assignment."""

import numpy as np
import pytest
from cuda_util import broadcast, dev, empty, host, stepped, transposed
from ntorch.kernels.cuda import arrays
from ntorch.kernels.cuda.copy import copy_cast, fill

DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64]


def _values(dt, shape, rng):
    if dt is np.bool_:
        return rng.random(shape) > 0.5
    if np.dtype(dt).kind == "u":
        return rng.integers(0, 100, shape).astype(dt)
    if np.dtype(dt).kind == "i":
        return rng.integers(-100, 100, shape).astype(dt)
    return (rng.standard_normal(shape) * 20).astype(dt)


@pytest.mark.parametrize("src_dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_cast_every_pair(src_dt):
    rng = np.random.default_rng(0)
    src = _values(src_dt, (9,), rng)
    for dst_dt in DTYPES:
        if np.dtype(src_dt).kind == "f" and np.dtype(dst_dt).kind == "u":
            src_use = np.abs(src)  # negative float -> unsigned is undefined in C and NumPy alike
        else:
            src_use = src
        out = empty((9,), dst_dt)
        copy_cast(out, dev(src_use))
        np.testing.assert_array_equal(host(out), src_use.astype(dst_dt), err_msg=f"{src.dtype} -> {np.dtype(dst_dt)}")


def test_float_to_bool_counts_nan_as_true():
    src = np.array([0.0, -0.0, np.nan, 0.5, -np.inf], np.float32)
    out = empty((5,), np.bool_)
    copy_cast(out, dev(src))
    np.testing.assert_array_equal(host(out), [False, False, True, True, True])


def test_strided_both_sides():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 6)).astype(np.float32)
    # transposed source into a contiguous destination (.contiguous())
    out = empty((4, 6), np.float64)
    copy_cast(out, transposed(a))
    np.testing.assert_array_equal(host(out), a.astype(np.float64))
    # contiguous source into a stepped view of a larger destination (setitem on a view)
    big = dev(np.zeros((4, 13), np.float32))
    view = arrays.view(big, (4, 6), (13, 2), offset=1)
    copy_cast(view, dev(a))
    want = np.zeros((4, 13), np.float32)
    want[:, 1::2] = a
    np.testing.assert_array_equal(host(big), want)
    # stepped source into a transposed destination
    d = dev(np.zeros((6, 4), np.int32))
    dt = arrays.view(d, (4, 6), (1, 4))
    copy_cast(dt, stepped(a))
    np.testing.assert_array_equal(host(d), a.astype(np.int32).T)


def test_broadcast_source():
    row = np.arange(5, dtype=np.int64)
    out = empty((3, 5), np.int16)
    copy_cast(out, broadcast(row, (3, 5)))
    np.testing.assert_array_equal(host(out), np.broadcast_to(row, (3, 5)).astype(np.int16))
    out = empty((2, 3), np.float32)
    copy_cast(out, broadcast(np.array([7.5]), (2, 3)))
    assert (host(out) == 7.5).all()


def test_zero_one_and_larger_sizes(big):
    for shape in [(0,), (3, 0), (), (1,), (1, 1), (37,)] + ([(1000, 1001)] if big else []):
        a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
        out = empty(shape, np.float64)
        copy_cast(out, dev(a))
        np.testing.assert_array_equal(host(out), a)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="shapes differ"):
        copy_cast(empty((3,), np.float32), dev(np.ones(4, np.float32)))


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_fill(dt):
    d = dev(np.zeros((3, 7), dt))
    fill(d, 1)
    np.testing.assert_array_equal(host(d), np.ones((3, 7), dt))
    # a strided view: only its elements change
    view = arrays.view(d, (3, 3), (7, 2), offset=1)
    value = True if dt is np.bool_ else 5
    fill(view, value)
    want = np.ones((3, 7), dt)
    want[:, 1:7:2] = value
    np.testing.assert_array_equal(host(d), want)


def test_fill_values_convert_like_numpy():
    d = empty((4,), np.float16)
    fill(d, 1 / 3)
    assert (host(d) == np.float16(1 / 3)).all()
    d = empty((4,), np.int8)
    fill(d, -7)
    assert (host(d) == -7).all()
    fill(empty((0,), np.float32), 1.0)
