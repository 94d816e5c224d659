"""CUDA cat, flip and roll against NumPy's concatenate, flip and roll."""

import numpy as np
import pytest
from cuda_util import dev, empty, host, stepped, transposed
from ntorch.kernels.cuda import arrays
from ntorch.kernels.cuda import join as J

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.int8, np.bool_]


def _values(dt, shape, rng):
    if dt is np.bool_:
        return rng.random(shape) > 0.5
    if np.dtype(dt).kind in "iu":
        return rng.integers(-50, 50, shape).astype(dt)
    return rng.standard_normal(shape).astype(dt)


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_cat_every_dim(dt):
    rng = np.random.default_rng(0)
    for d in range(3):
        parts = []
        for n in (2, 1, 0, 3):
            shape = [2, 3, 4]
            shape[d] = n
            parts.append(_values(dt, tuple(shape), rng))
        want = np.concatenate(parts, d)
        out = empty(want.shape, dt)
        J.cat_into(out, [dev(p) for p in parts], d)
        np.testing.assert_array_equal(host(out), want, err_msg=f"dim {d}")


def test_cat_strided_inputs_strided_output_and_casts():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.integers(-5, 5, (3, 2)).astype(np.int32)
    c = rng.standard_normal((3, 5)).astype(np.float64)
    big = dev(np.zeros((3, 23), np.float64))
    out = arrays.view(big, (3, 11), (23, 2), offset=1)  # every other element of a larger array
    J.cat_into(out, [transposed(a), stepped(b), dev(c)], -1)
    want = np.concatenate([a.astype(np.float64), b.astype(np.float64), c], 1)
    got = host(big)
    np.testing.assert_array_equal(got[:, 1::2], want)
    assert (got[:, 0::2] == 0).all()


def test_cat_checks_shapes():
    out = empty((2, 5), np.float32)
    with pytest.raises(ValueError, match="add up"):
        J.cat_into(out, [dev(np.zeros((2, 2), np.float32))], 1)
    with pytest.raises(ValueError, match="does not fit"):
        J.cat_into(out, [dev(np.zeros((3, 5), np.float32))], 1)
    with pytest.raises(IndexError, match="dim"):
        J.cat_into(out, [dev(np.zeros((2, 5), np.float32))], 2)


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_flip(dt):
    rng = np.random.default_rng(2)
    x = _values(dt, (3, 4, 5), rng)
    for dims in ([0], [2], [0, -1], [0, 1, 2], []):
        out = empty(x.shape, dt)
        J.flip_into(out, dev(x), dims)
        np.testing.assert_array_equal(host(out), np.flip(x, dims) if dims else x, err_msg=str(dims))


def test_flip_layouts_and_edges():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    for name, xd in (("transposed", transposed(x)), ("stepped", stepped(x))):
        out = empty((4, 3), np.float32)
        J.flip_into(out, xd, [1])
        np.testing.assert_array_equal(host(out), x[:, ::-1], err_msg=name)
    one = empty((1,), np.float32)
    J.flip_into(one, dev(np.array([7.0], np.float32)), [0])
    assert host(one)[0] == 7.0
    J.flip_into(empty((0, 3), np.float32), dev(np.zeros((0, 3), np.float32)), [0])
    with pytest.raises(RuntimeError, match="multiple times"):
        J.flip_into(empty((4, 3), np.float32), dev(x), [0, -2])


@pytest.mark.parametrize("shifts,dims", [([1], [0]), ([-2], [1]), ([7, 3], [0, 1]), ([0], [1]), ([13], [-1])])
def test_roll(shifts, dims):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 100, (3, 5)).astype(np.int64)
    for name, xd in (("contiguous", dev(x)), ("transposed", transposed(x))):
        out = empty(x.shape, np.int64)
        J.roll_into(out, xd, shifts, dims)
        np.testing.assert_array_equal(host(out), np.roll(x, shifts, dims), err_msg=name)


def test_roll_flattened_and_errors():
    x = np.arange(7, dtype=np.float64)
    out = empty((7,), np.float64)
    J.roll_into(out, dev(x), [3], [0])
    np.testing.assert_array_equal(host(out), np.roll(x, 3))
    with pytest.raises(RuntimeError, match="align"):
        J.roll_into(out, dev(x), [1, 2], [0])
    with pytest.raises(TypeError, match="dtype"):
        J.roll_into(empty((7,), np.float32), dev(x), [1], [0])
