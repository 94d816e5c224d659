"""nanmean, aminmax, isin, cdist and ntorch.linalg's norms on CUDA: the same results (and gradients) as the CPU."""

import numpy as np

import ntorch as nt
import ntorch.linalg as LA


def _both(a):
    return nt.tensor(a), nt.tensor(a, device="cuda")


def _same(got, want, tol=1e-6):
    assert got.device.type == "cuda" and tuple(got.shape) == tuple(want.shape) and got.dtype is want.dtype
    np.testing.assert_allclose(got.cpu().numpy().astype(np.float64), want.numpy().astype(np.float64), rtol=tol,
                               atol=tol, equal_nan=True)


def test_nanmean_and_aminmax():
    x = np.array([[1.0, np.nan, 3.0], [2.0, -4.0, np.nan]], np.float32)
    c, g = _both(x)
    _same(nt.nanmean(g, 1), nt.nanmean(c, 1))
    _same(g.nanmean(), c.nanmean())
    for dim in (None, 0, 1):
        kw = {} if dim is None else {"dim": dim}
        for got, want in zip(nt.aminmax(g, **kw), nt.aminmax(c, **kw)):
            _same(got, want)


def test_isin():
    rng = np.random.default_rng(1)
    el, test = rng.integers(-3, 4, (3, 4)), rng.integers(-2, 3, (5,))
    (ce, ge), (ct, gt) = _both(el), _both(test)
    for invert in (False, True):
        got = nt.isin(ge, gt, invert=invert)
        assert got.device.type == "cuda"
        np.testing.assert_array_equal(got.cpu().numpy(), nt.isin(ce, ct, invert=invert).numpy())


def test_cdist_and_norms_with_gradients():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    for p in (1.0, 2.0, np.inf):
        (ca, ga), (cb, gb) = _both(a), _both(b)
        for t in (ca, ga, cb, gb):
            t.requires_grad_()
        want, got = nt.cdist(ca, cb, p), nt.cdist(ga, gb, p)
        _same(got, want)
        want.sum().backward()
        got.sum().backward()
        _same(ga.grad, ca.grad)
        _same(gb.grad, cb.grad)
    c, g = _both(a)
    for ord in ("fro", np.inf, -1):
        _same(LA.matrix_norm(g, ord), LA.matrix_norm(c, ord))
    _same(LA.norm(g, dim=1), LA.norm(c, dim=1))
