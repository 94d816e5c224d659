"""nanmean, aminmax, isin, cdist and ntorch.linalg's norms against NumPy references."""

import numpy as np
import pytest

import ntorch as nt
import ntorch.linalg as LA
from ntorch.autograd import gradcheck

NAN, INF = np.nan, np.inf


def test_nanmean_matches_numpy():
    x = np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [2.0, 4.0, 6.0]], np.float32)
    t = nt.tensor(x)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        np.testing.assert_allclose(nt.nanmean(t, 1).numpy(), np.nanmean(x, 1), equal_nan=True)
    np.testing.assert_allclose(nt.nanmean(t).numpy(), np.nanmean(x))
    got = t.nanmean(0, keepdim=True, dtype=nt.float64)
    assert got.dtype is nt.float64 and tuple(got.shape) == (1, 3)
    np.testing.assert_allclose(got.numpy()[0], np.nanmean(x.astype(np.float64), 0))
    with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating point"):
        nt.nanmean(nt.tensor([1, 2]))


def test_nanmean_gradient_skips_nan():
    x = nt.tensor([1.0, 2.0, NAN, 4.0], dtype=nt.float64, requires_grad=True)
    nt.nanmean(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 1 / 3, 0.0, 1 / 3])
    y = nt.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a: nt.nanmean(a, 1), (y,))


def test_aminmax():
    x = np.array([[1, 5, -2], [3, 2, 9]], np.int64)
    res = nt.aminmax(nt.tensor(x))
    assert res.min.item() == -2 and res.max.item() == 9
    lo, hi = nt.tensor(x).aminmax(dim=1, keepdim=True)
    np.testing.assert_array_equal(lo.numpy(), x.min(1, keepdims=True))
    np.testing.assert_array_equal(hi.numpy(), x.max(1, keepdims=True))
    f = nt.aminmax(nt.tensor([1.0, NAN, 3.0]))
    assert np.isnan(f.min.item()) and np.isnan(f.max.item())
    assert tuple(nt.aminmax(nt.ones(2, 3), keepdim=True).min.shape) == (1, 1)
    assert tuple(nt.aminmax(nt.ones(2, 0), dim=0).max.shape) == (0,)
    with pytest.raises(RuntimeError, match="cannot compute aminmax over an empty dimension"):
        nt.aminmax(nt.ones(0))
    with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
        nt.aminmax(nt.ones(2, 0), dim=1)


@pytest.mark.parametrize("invert", [False, True])
def test_isin(invert):
    rng = np.random.default_rng(1)
    el = rng.integers(-4, 5, (3, 5))
    test = rng.integers(-2, 3, (7,)).astype(np.float32)
    got = nt.isin(nt.tensor(el), nt.tensor(test), invert=invert)
    np.testing.assert_array_equal(got.numpy(), np.isin(el, test, invert=invert))
    f = np.array([1.0, NAN, 2.5, -0.0])
    got = nt.tensor(f).isin(nt.tensor([NAN, 0.0, 1.0]), invert=invert)
    np.testing.assert_array_equal(got.numpy(), np.isin(f, [NAN, 0.0, 1.0], invert=invert))  # NaN is never in
    np.testing.assert_array_equal(nt.isin(nt.tensor([1, 2]), 2).numpy(), [False, True])
    assert nt.isin(2, nt.tensor([1, 2])).item() is True
    assert not nt.isin(nt.tensor([1, 2]), nt.tensor([], dtype=nt.int64)).any().item()
    with pytest.raises(RuntimeError, match="Unsupported input type encountered for isin\\(\\): Bool"):
        nt.isin(nt.tensor([True]), nt.tensor([True]))


def _cdist_ref(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(a.dtype)
    if p == INF:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.0, INF])
def test_cdist(p):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((1, 5, 3))
    np.testing.assert_allclose(nt.cdist(nt.tensor(a), nt.tensor(b), p).numpy(), _cdist_ref(a, b, p), rtol=1e-10)
    if p not in (0.0, INF):
        assert gradcheck(lambda x, y: nt.cdist(x, y, p), (nt.tensor(a[0], requires_grad=True),
                                                          nt.tensor(b[0], requires_grad=True)))


def test_cdist_errors_and_zero_distance_gradient():
    x = nt.tensor([[0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    nt.cdist(x, nt.tensor([[0.0, 0.0]])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [2 ** -0.5, 2 ** -0.5]], rtol=1e-6)
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns. X1: 4 X2: 3"):
        nt.cdist(nt.ones(3, 4), nt.ones(2, 3))
    with pytest.raises(RuntimeError, match="at least 2D tensors, X1 got: 1D"):
        nt.cdist(nt.ones(4), nt.ones(2, 4))
    with pytest.raises(RuntimeError, match="non-negative p"):
        nt.cdist(nt.ones(3, 4), nt.ones(2, 4), -1.0)
    with pytest.raises(RuntimeError, match="floating-point dtypes, X1 got: Long"):
        nt.cdist(nt.ones(3, 4, dtype=nt.int64), nt.ones(2, 4, dtype=nt.int64))


def test_linalg_norms():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((2, 3, 4))
    t = nt.tensor(a)
    np.testing.assert_allclose(LA.norm(t).numpy(), np.linalg.norm(a))
    np.testing.assert_allclose(LA.norm(t, dim=1).numpy(), np.linalg.norm(a, axis=1))
    np.testing.assert_allclose(LA.vector_norm(t, 1).numpy(), np.abs(a).sum())
    np.testing.assert_allclose(LA.vector_norm(t, INF, dim=0).numpy(), np.abs(a).max(0))
    for ord in ("fro", INF, -INF, 1, -1):
        np.testing.assert_allclose(LA.matrix_norm(t, ord).numpy(), np.linalg.norm(a, ord), err_msg=str(ord))
        np.testing.assert_allclose(LA.norm(nt.tensor(b), ord, dim=(2, 1)).numpy(),
                                   np.linalg.norm(b, ord, axis=(2, 1)), err_msg=str(ord))
    assert tuple(LA.matrix_norm(nt.tensor(b), 1, keepdim=True).shape) == (2, 1, 1)
    assert tuple(LA.norm(t, keepdim=True).shape) == (1, 1)
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must be 1D or 2D"):
        LA.norm(nt.tensor(b), 2)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        LA.matrix_norm(nt.ones(3))
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        LA.matrix_norm(t, 3)
    np.testing.assert_allclose(LA.matrix_norm(t, "nuc").numpy(), np.linalg.norm(a, "nuc"), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        LA.vector_norm(nt.ones(2, dtype=nt.int64))
    assert gradcheck(lambda x: LA.matrix_norm(x, 1), (nt.tensor(a, requires_grad=True),))
