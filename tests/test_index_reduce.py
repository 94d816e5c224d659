"""index_reduce / index_reduce_ against NumPy loops written here; errors as torch words them; float64 gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
from ntorch.autograd import gradcheck

_NP = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}


def _np_index_reduce(x, dim, index, src, reduce, include_self):
    """For each target slice: reduce the source slices that index sends there (plus self's when include_self)."""
    out = np.moveaxis(x.copy(), dim, 0)
    s = np.moveaxis(src, dim, 0)
    for t in range(out.shape[0]):
        picked = [s[j] for j in range(len(index)) if index[j] == t]
        if not picked:
            continue
        values = ([out[t]] if include_self else []) + picked
        red = _NP[reduce](np.stack(values), axis=0)
        out[t] = np.floor(red) if reduce == "mean" and x.dtype.kind == "i" else red
    return np.moveaxis(out, 0, dim)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_against_numpy(reduce, include_self, dim):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 3))
    n = 6
    src_shape = list(x.shape)
    src_shape[dim] = n
    src = rng.standard_normal(src_shape)
    index = rng.integers(0, x.shape[dim], n)
    got = nt.index_reduce(nt.tensor(x), dim, nt.tensor(index), nt.tensor(src), reduce, include_self=include_self)
    np.testing.assert_allclose(got.numpy(), _np_index_reduce(x, dim % 3, index, src, reduce, include_self),
                               rtol=1e-12)
    t = nt.tensor(x)
    res = t.index_reduce_(dim, nt.tensor(index, dtype=nt.int32), nt.tensor(src), reduce, include_self=include_self)
    assert res is t
    np.testing.assert_allclose(t.numpy(), got.numpy())


def test_integer_mean_and_zero_dim():
    x = np.array([1, 1, 1], np.int64)
    got = nt.ones(3, dtype=nt.int64).index_reduce(0, nt.tensor([0, 2, 0, 2]), nt.full((4,), 3, dtype=nt.int64), "mean")
    np.testing.assert_array_equal(got.numpy(), _np_index_reduce(x, 0, [0, 2, 0, 2], np.full(4, 3), "mean", True))
    assert float(nt.tensor(1.0).index_reduce(0, nt.tensor([0]), nt.tensor(2.0), "amax")) == 2.0


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_gradcheck(reduce, include_self):
    rng = np.random.default_rng(1)
    x = nt.tensor(rng.standard_normal((4, 3)), requires_grad=True)  # distinct values: amax/amin differentiable
    s = nt.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    idx = nt.tensor([0, 2, 0, 3, 0])
    assert gradcheck(lambda a, b: nt.index_reduce(a, 0, idx, b, reduce, include_self=include_self), (x, s))


def test_prod_gradient_with_zeros():
    """d prod / d x_i is the product of the other factors, also when x_i (or another factor) is zero."""
    x = nt.tensor([[0.0, 2.0], [3.0, 1.0]], requires_grad=True)
    s = nt.tensor([[5.0, 0.0], [7.0, 4.0]], requires_grad=True)
    nt.index_reduce(x, 0, nt.tensor([0, 0]), s, "prod").sum().backward()
    # column 0 of target 0: factors 0, 5, 7; column 1: 2, 0, 4
    np.testing.assert_allclose(x.grad.numpy(), [[35.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(s.grad.numpy(), [[0.0, 8.0], [0.0, 0.0]])


def test_amax_ties_share_gradient():
    x = nt.tensor([1.0, 0.0], requires_grad=True)
    s = nt.tensor([1.0, 1.0, 0.5], requires_grad=True)
    nt.index_reduce(x, 0, nt.tensor([0, 0, 1]), s, "amax").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 0.0])
    np.testing.assert_allclose(s.grad.numpy(), [1 / 3, 1 / 3, 1.0])


@pytest.mark.parametrize("call,exc,msg", [
    (lambda x, s, i: x.index_reduce(0, i, s, "sum"), RuntimeError,
     "index_reduce\\(\\): Expected reduce to be one of prod, mean, amax or amin but got sum."),
    (lambda x, s, i: x.index_reduce(0, i.float(), s, "prod"), RuntimeError,
     "Expected dtype int32/int64 for index but got: Float"),
    (lambda x, s, i: x.index_reduce(0, nt.tensor([[0, 1]]), s, "prod"), IndexError,
     "Index is supposed to be a vector, but got dim: 2"),
    (lambda x, s, i: x.index_reduce(0, nt.tensor([0, 1]), s, "prod"), RuntimeError,
     "Number of indices \\(2\\) should be equal to source.size\\(dim\\): \\(4\\), for dim: 0"),
    (lambda x, s, i: x.index_reduce(0, nt.tensor([0, 1, 5, 0]), s, "prod"), IndexError,
     "index out of range in self"),
    (lambda x, s, i: x.index_reduce(0, nt.tensor([0, -1, 1, 0]), s, "prod"), IndexError,
     "index out of range in self"),
    (lambda x, s, i: x.index_reduce(0, i, s.double(), "prod"), RuntimeError,
     "self \\(Float\\) and source \\(Double\\) must have the same scalar type"),
    (lambda x, s, i: x.index_reduce(2, i, s, "prod"), IndexError, "Dimension out of range"),
    (lambda x, s, i: x.index_reduce(0, i, nt.ones(4, 3), "prod"), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension"),
])
def test_errors(call, exc, msg):
    x = nt.ones(3, 2)
    s = nt.ones(4, 2)
    i = nt.tensor([0, 2, 0, 2])
    with pytest.raises(exc, match=msg):
        call(x, s, i)
