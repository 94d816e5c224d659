"""quantile/nanquantile, cov/corrcoef, histogram, trapezoid, gradient, dist, renorm against NumPy."""

import numpy as np
import pytest

import ntorch
from ntorch.autograd import gradcheck

rng = np.random.default_rng(0)


def f64(a, requires_grad=False):
    return ntorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_methods(method):
    a = rng.random((3, 7))
    q = [0.0, 0.1, 0.5, 0.77, 1.0]
    got = ntorch.quantile(f64(a), f64(q), dim=1, interpolation=method).numpy()
    np.testing.assert_allclose(got, np.quantile(a, q, axis=1, method=method))
    got = ntorch.quantile(f64(a), 0.3, interpolation=method).item()
    np.testing.assert_allclose(got, np.quantile(a, 0.3, method=method))
    b = a.copy()
    b[0, 2] = b[2, 0] = b[2, 1] = np.nan
    got = ntorch.nanquantile(f64(b), f64(q), dim=1, interpolation=method).numpy()
    np.testing.assert_allclose(got, np.nanquantile(b, q, axis=1, method=method))
    assert np.isnan(ntorch.quantile(f64(b), 0.5, dim=1).numpy()[[0, 2]]).all()


def test_quantile_shapes_errors_grad():
    x = f64(rng.random((2, 3)))
    assert ntorch.quantile(x, f64([0.2, 0.5]), dim=1, keepdim=True).shape == (2, 2, 1)
    assert ntorch.quantile(x, 0.5, keepdim=True).shape == (1, 1)
    with pytest.raises(RuntimeError, match="float or double"):
        ntorch.quantile(ntorch.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match=r"in the range \[0, 1\]"):
        ntorch.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match="same dtype"):
        ntorch.quantile(x, ntorch.tensor([0.5]))
    with pytest.raises(RuntimeError, match="interpolation must be one of"):
        ntorch.quantile(x, 0.5, interpolation="x")
    with pytest.raises(RuntimeError, match="non-empty"):
        ntorch.quantile(f64([]), 0.5)
    assert gradcheck(lambda t: ntorch.quantile(t, f64([0.3, 0.6]), dim=1), (f64(rng.random((2, 5)), True),))


def test_cov_corrcoef():
    a = rng.random((3, 6))
    np.testing.assert_allclose(ntorch.cov(f64(a)).numpy(), np.cov(a))
    np.testing.assert_allclose(ntorch.cov(f64(a), correction=0).numpy(), np.cov(a, ddof=0))
    fw, aw = np.array([1, 2, 1, 3, 1, 1]), rng.random(6)
    np.testing.assert_allclose(ntorch.cov(f64(a), fweights=ntorch.tensor(fw), aweights=f64(aw)).numpy(),
                               np.cov(a, fweights=fw, aweights=aw))
    np.testing.assert_allclose(ntorch.cov(f64(a[0])).item(), np.cov(a[0]))
    np.testing.assert_allclose(ntorch.corrcoef(f64(a)).numpy(), np.corrcoef(a))
    assert ntorch.cov(ntorch.tensor([[1, 2, 4], [3, 1, 0]])).is_floating_point()
    with pytest.raises(RuntimeError, match="integral dtype"):
        ntorch.cov(f64(a), fweights=f64(fw))
    with pytest.raises(RuntimeError, match="cannot be negative"):
        ntorch.cov(f64(a), fweights=ntorch.tensor(-fw))
    with pytest.raises(RuntimeError, match="two or fewer dimensions"):
        ntorch.cov(f64(rng.random((2, 2, 2))))
    assert gradcheck(lambda t: ntorch.cov(t), (f64(a, True),))


def test_histogram():
    a = rng.random(50)
    h, e = ntorch.histogram(f64(a), 7)
    rh, re_ = np.histogram(a, 7)
    np.testing.assert_array_equal(h.numpy(), rh)
    np.testing.assert_allclose(e.numpy(), re_)
    edges, w = np.array([0.0, 0.2, 0.5, 0.9]), rng.random(50)
    h, _ = ntorch.histogram(f64(a), f64(edges), weight=f64(w), density=True)
    np.testing.assert_allclose(h.numpy(), np.histogram(a, edges, weights=w, density=True)[0])
    h, e = ntorch.histogram(f64(a), 4, range=(0.25, 0.75))
    np.testing.assert_array_equal(h.numpy(), np.histogram(a, 4, range=(0.25, 0.75))[0])
    with pytest.raises(NotImplementedError, match="Long"):
        ntorch.histogram(ntorch.tensor([1, 2]), 3)


def test_histogramdd_against_numpy():
    pts = rng.random((60, 3))
    h, edges = ntorch.histogramdd(f64(pts), bins=[2, 3, 4])
    rh, redges = np.histogramdd(pts, bins=[2, 3, 4])
    np.testing.assert_array_equal(h.numpy(), rh)
    assert isinstance(edges, tuple) and len(edges) == 3
    for e, re_ in zip(edges, redges):
        np.testing.assert_allclose(e.numpy(), re_)
    w = rng.random(60)
    rng_ = [0.1, 0.9, 0.0, 1.0, 0.2, 0.6]
    h = ntorch.histogramdd(f64(pts), bins=3, range=rng_, weight=f64(w), density=True).hist
    ref = np.histogramdd(pts, bins=3, range=[rng_[0:2], rng_[2:4], rng_[4:6]], weights=w, density=True)[0]
    np.testing.assert_allclose(h.numpy(), ref)
    given = [np.array([0.0, 0.3, 1.0]), np.array([0.0, 1.0]), np.array([0.2, 0.4, 0.6, 0.8])]
    h, edges = ntorch.histogramdd(f64(pts.reshape(3, 20, 3)), bins=[f64(e) for e in given])
    np.testing.assert_array_equal(h.numpy(), np.histogramdd(pts, bins=given)[0])
    hist, bin_edges = ntorch.histogram(f64(pts[:, 0]), 5)  # torch.return_types.histogram
    assert ntorch.histogram(f64(pts[:, 0]), 5).bin_edges.shape == (6,)
    for call, exc, message in [
            (lambda: ntorch.histogramdd(f64(pts[:, 0]), bins=2), RuntimeError,
             "torch.histogramdd: input tensor should have at least 2 dimensions"),
            (lambda: ntorch.histogramdd(f64(pts), bins=[2, 2]), RuntimeError,
             "histogramdd: The size of bins must be equal to the innermost dimension of the input."),
            (lambda: ntorch.histogramdd(f64(pts), bins=2, range=[0.0, 1.0]), RuntimeError,
             "torch.histogramdd: for a 3-dimensional histogram range should have 6 elements, but got 2"),
            (lambda: ntorch.histogramdd(ntorch.ones(3, 2, dtype=ntorch.int64), bins=2), NotImplementedError,
             "\"histogramdd\" not implemented for 'Long'")]:
        with pytest.raises(exc) as info:
            call()
        assert str(info.value) == message


def test_trapezoid_gradient():
    y, x = rng.random((3, 6)), np.sort(rng.random(6))
    np.testing.assert_allclose(ntorch.trapezoid(f64(y)).numpy(), np.trapezoid(y))
    np.testing.assert_allclose(ntorch.trapezoid(f64(y), dx=0.3, dim=0).numpy(), np.trapezoid(y, dx=0.3, axis=0))
    np.testing.assert_allclose(ntorch.trapezoid(f64(y), f64(x)).numpy(), np.trapezoid(y, x))
    np.testing.assert_allclose(ntorch.trapz(f64(y), f64(x)).numpy(), np.trapezoid(y, x))
    cum = np.cumsum((y[:, 1:] + y[:, :-1]) / 2 * np.diff(x), axis=1)
    np.testing.assert_allclose(ntorch.cumulative_trapezoid(f64(y), f64(x)).numpy(), cum)
    for got, ref in zip(ntorch.gradient(f64(y)), np.gradient(y)):
        np.testing.assert_allclose(got.numpy(), ref)
    for got, ref in zip(ntorch.gradient(f64(y), spacing=(2.0, f64(x)), edge_order=2),
                        np.gradient(y, 2.0, x, edge_order=2)):
        np.testing.assert_allclose(got.numpy(), ref)
    (g,) = ntorch.gradient(f64(y), dim=1, spacing=0.5)
    np.testing.assert_allclose(g.numpy(), np.gradient(y, 0.5, axis=1))


def test_dist_renorm():
    a, b = rng.random((2, 3)), rng.random((2, 3))
    for p in (0, 1, 2, 3.5, np.inf, -np.inf):
        ref = np.linalg.norm((a - b).ravel(), ord=p) if p != 0 else np.count_nonzero(a - b)
        np.testing.assert_allclose(ntorch.dist(f64(a), f64(b), p).item(), ref)
    m = rng.random((3, 4)) * 3
    out = ntorch.renorm(f64(m), 2, 0, 1.5).numpy()
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    np.testing.assert_allclose(out, np.where(norms > 1.5, m * 1.5 / (norms + 1e-7), m))
    assert gradcheck(lambda t: ntorch.renorm(t, 2, 1, 1.0), (f64(m, True),))


def test_dist_wants_two_tensors_of_a_floating_type():
    """torch.dist is the vector norm of input - other: integer differences raise as norm does, numbers are refused."""
    assert ntorch.dist(ntorch.tensor([1.0, 2.0]), ntorch.tensor([4, 6])).item() == 5.0
    with pytest.raises(RuntimeError, match="^norm\\(\\): input dtype should be either floating point or complex. "
                                           "Got Long instead.$"):
        ntorch.dist(ntorch.tensor([1, 2]), ntorch.tensor([1, 2]))
    with pytest.raises(TypeError, match="^dist\\(\\): argument 'other' must be Tensor, not int$"):
        ntorch.dist(ntorch.tensor([1.0]), 2)
