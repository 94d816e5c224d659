"""select/slice/diagonal/as_strided_scatter: values against NumPy assignment, gradients, errors."""

import numpy as np
import pytest

import ntorch
from ntorch.autograd import gradcheck


def f64(a, requires_grad=False):
    return ntorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def test_values():
    a, rng = np.zeros((3, 4)), np.random.default_rng(1)
    s = rng.random(4)
    ref = a.copy()
    ref[1] = s
    np.testing.assert_array_equal(ntorch.select_scatter(f64(a), f64(s), 0, 1).numpy(), ref)
    s2 = rng.random((3, 2))
    ref = a.copy()
    ref[:, 0:4:2] = s2
    np.testing.assert_array_equal(ntorch.slice_scatter(f64(a), f64(s2), 1, 0, None, 2).numpy(), ref)
    d = rng.random(3)
    ref = a.copy()
    ref[np.arange(3), np.arange(1, 4)] = d
    np.testing.assert_array_equal(ntorch.diagonal_scatter(f64(a), f64(d), 1).numpy(), ref)
    ref = np.zeros(6)
    ref[1:6:2] = [7, 8, 9]
    np.testing.assert_array_equal(ntorch.as_strided_scatter(f64(np.zeros(6)), f64([7, 8, 9]), (3,), (2,), 1).numpy(),
                                  ref)
    x = f64(a)
    ntorch.select_scatter(x, f64(s), 0, 1)
    assert (x.numpy() == 0).all()  # input untouched
    with pytest.raises(RuntimeError, match="src to have a size equal to the slice"):
        ntorch.select_scatter(f64(a), f64(np.ones(3)), 0, 1)


def test_gradients():
    rng = np.random.default_rng(2)
    x = f64(rng.random((3, 4)), True)
    assert gradcheck(lambda t, s: ntorch.select_scatter(t, s, 1, 2), (x, f64(rng.random(3), True)))
    assert gradcheck(lambda t, s: ntorch.slice_scatter(t, s, 0, 1, 3), (x, f64(rng.random((2, 4)), True)))
    assert gradcheck(lambda t, s: ntorch.diagonal_scatter(t, s, -1), (x, f64(rng.random(2), True)))
    assert gradcheck(lambda t, s: ntorch.as_strided_scatter(t, s, (2,), (3,)), (f64(rng.random(6), True),
                                                                                  f64(rng.random(2), True)))
