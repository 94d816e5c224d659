"""Backward formulas of sorting / selection ops and scans: gradcheck (float64 central differences) on tiny inputs
with distinct values (no ties) and non-contiguous layouts, gradgradcheck where create_graph must work, ties
(the gradient goes to the returned indices only), cumprod with zeros against a reference loop, PyTorch's node
names, and the ops that stay non-differentiable."""

import math

import numpy as np
import pytest

import ntorch
from ntorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def distinct(*shape, transposed=False, dtype=np.float64, low=-2.0):
    """A leaf requiring grad whose values are pairwise at least 0.25 apart (no ties, even after +-eps)."""
    n = math.prod(shape)
    arr = (low + 0.3 * RNG.permutation(n) + RNG.uniform(-0.02, 0.02, n)).reshape(shape).astype(dtype)
    if transposed:
        t = ntorch.from_numpy(np.ascontiguousarray(arr.T)).permute(*reversed(range(len(shape))))
        return t.detach().requires_grad_()
    return ntorch.from_numpy(arr).requires_grad_()


def stepped(*shape):
    """A non-contiguous leaf with distinct values: every other element of a larger buffer along the last dim."""
    big = distinct(*shape[:-1], 2 * shape[-1]).detach()
    return big[..., ::2].detach().requires_grad_()


def leaf(arr, dtype=np.float64):
    return ntorch.from_numpy(np.asarray(arr, dtype)).requires_grad_()


def nonzero(*shape, transposed=False):
    """Values away from zero (cumprod without zeros, divided by in its backward)."""
    arr = RNG.uniform(0.5, 1.5, shape) * RNG.choice([-1.0, 1.0], shape)
    if transposed:
        return ntorch.from_numpy(np.ascontiguousarray(arr.T)).permute(*reversed(range(len(shape)))).detach() \
            .requires_grad_()
    return ntorch.from_numpy(arr).requires_grad_()


# -- gradcheck of the value-selecting ops ---------------------------------------------------------------------
SELECT = {
    "sort": lambda t: t.sort().values,
    "sort_dim0_desc": lambda t: ntorch.sort(t, 0, descending=True).values,
    "sort_mid_stable": lambda t: t.sort(dim=-2, stable=True).values,
    "msort": lambda t: ntorch.msort(t),
    "topk": lambda t: t.topk(2).values,
    "topk_smallest_dim0": lambda t: ntorch.topk(t, 2, dim=0, largest=False).values,
    "topk_unsorted": lambda t: t.topk(3, -1, sorted=False).values,
    "kthvalue": lambda t: t.kthvalue(2).values,
    "kthvalue_keepdim_dim0": lambda t: ntorch.kthvalue(t, 1, 0, keepdim=True).values,
    "median": lambda t: t.median(),
    "median_dim": lambda t: t.median(-1).values,
    "median_keepdim": lambda t: ntorch.median(t, 0, keepdim=True).values,
    "nanmedian": lambda t: t.nanmedian(),
    "nanmedian_dim": lambda t: ntorch.nanmedian(t, 1).values,
    "mode": lambda t: t.mode().values,
    "mode_keepdim_dim0": lambda t: ntorch.mode(t, 0, keepdim=True).values,
    "cummax": lambda t: t.cummax(-1).values,
    "cummin_dim0": lambda t: ntorch.cummin(t, 0).values,
}


@pytest.mark.parametrize("name", sorted(SELECT))
def test_select_gradcheck(name):
    fn = SELECT[name]
    assert gradcheck(fn, (distinct(3, 4),))
    assert gradcheck(fn, (distinct(3, 4, transposed=True),))


@pytest.mark.parametrize("name", ["sort_mid_stable", "topk_smallest_dim0", "kthvalue", "median_dim", "cummax"])
def test_select_gradcheck_3d_stepped(name):
    assert gradcheck(SELECT[name], (stepped(2, 3, 3),))


def test_select_on_0d_and_1d():
    s = distinct(1).detach().reshape(()).requires_grad_()
    for fn in (lambda t: t.sort().values, lambda t: t.topk(1).values, lambda t: t.kthvalue(1).values,
               lambda t: t.median(), lambda t: t.median(0).values, lambda t: t.mode().values,
               lambda t: t.cummax(0).values):
        assert gradcheck(fn, (s,))
    v = distinct(5)
    assert gradcheck(lambda t: t.topk(3, largest=False).values, (v,))
    assert gradcheck(lambda t: t.kthvalue(4, 0).values, (v,))


def test_select_second_order():
    x = distinct(2, 4)
    assert gradgradcheck(lambda t: t.sort(1, descending=True).values, (x,))
    assert gradgradcheck(lambda t: t.topk(2, 0).values, (distinct(3, 2, transposed=True),))
    assert gradgradcheck(lambda t: t.cummax(1).values * t, (x,))
    assert gradgradcheck(lambda t: t.median(), (x,))
    assert gradgradcheck(lambda t: t.kthvalue(2, 1, keepdim=True).values, (x,))


# -- ties: the gradient goes to the returned indices ----------------------------------------------------------
TIED = np.array([[2.0, 1.0, 2.0, 1.0, 2.0], [0.5, 0.5, 0.5, 0.5, 0.5], [3.0, -1.0, 3.0, 7.0, -1.0]])


@pytest.mark.parametrize("op", ["sort", "sort_desc", "topk", "kthvalue", "median", "nanmedian", "mode",
                                "cummax", "cummin"])
def test_ties_grad_goes_to_returned_indices(op):
    x = leaf(TIED)
    calls = {
        "sort": lambda: x.sort(1), "sort_desc": lambda: x.sort(1, descending=True), "topk": lambda: x.topk(3, 1),
        "kthvalue": lambda: x.kthvalue(3, 1, keepdim=True), "median": lambda: x.median(1, keepdim=True),
        "nanmedian": lambda: x.nanmedian(1, keepdim=True), "mode": lambda: x.mode(1, keepdim=True),
        "cummax": lambda: x.cummax(1), "cummin": lambda: x.cummin(1),
    }
    values, indices = calls[op]()
    g = RNG.uniform(1.0, 2.0, values.shape)
    values.backward(ntorch.from_numpy(g))
    expected = np.zeros(TIED.shape)
    rows = np.broadcast_to(np.arange(3)[:, None], indices.shape)
    np.add.at(expected, (rows, indices.numpy()), g)  # add: cummax repeats indices
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-15)


def test_ties_without_keepdim_and_along_dim0():
    x = leaf(TIED.T)
    values, indices = x.median(0)
    values.backward(ntorch.ones_like(values))
    expected = np.zeros(TIED.T.shape)
    expected[indices.numpy(), np.arange(3)] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_median_over_all_elements_shares_the_gradient_among_ties():
    """PyTorch's evenly_distribute_backward for median() / nanmedian() without dim."""
    x = leaf([[3.0, 1.0, 3.0], [4.0, 3.0, 0.0]])
    x.median().backward(ntorch.tensor(6.0, dtype=ntorch.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0, 2.0], [0.0, 2.0, 0.0]])
    y = leaf([[np.nan, 1.0, 2.0], [1.0, 5.0, 1.0]])
    y.nanmedian().backward()
    np.testing.assert_allclose(y.grad.numpy(), [[0.0, 1 / 3, 0.0], [1 / 3, 0.0, 1 / 3]])
    z = leaf([np.nan, 1.0, np.nan])
    assert z.median().grad_fn.name() == "MedianBackward0"
    z.median().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.5, 0.0, 0.5])


def test_nan_rows_send_the_gradient_to_the_returned_nan():
    x = leaf([[1.0, np.nan, 0.0, np.nan]])
    for call in (lambda: x.median(1), lambda: x.sort(1), lambda: x.cummax(1), lambda: x.topk(2, 1)):
        x.grad = None
        values, indices = call()
        values.sum().backward()
        expected = np.zeros(4)
        np.add.at(expected, indices.numpy()[0], 1.0)
        np.testing.assert_array_equal(x.grad.numpy()[0], expected)


# -- scans ----------------------------------------------------------------------------------------------------
SCANS = {
    "cumsum": (lambda t: t.cumsum(1), distinct),
    "cumsum_dim0": (lambda t: ntorch.cumsum(t, 0), distinct),
    "cumsum_neg_dim": (lambda t: t.cumsum(-2), distinct),
    "cumprod": (lambda t: t.cumprod(1), nonzero),
    "cumprod_dim0": (lambda t: ntorch.cumprod(t, dim=0), nonzero),
    "logcumsumexp": (lambda t: t.logcumsumexp(1), distinct),
    "logcumsumexp_dim0": (lambda t: ntorch.logcumsumexp(t, 0), distinct),
    "diff": (lambda t: t.diff(), distinct),
    "diff_n2_dim0": (lambda t: ntorch.diff(t, n=2, dim=0), distinct),
    "diff_n0": (lambda t: t.diff(n=0), distinct),
    "diff_n_past_size": (lambda t: t.diff(n=5), distinct),
}


@pytest.mark.parametrize("name", sorted(SCANS))
def test_scan_gradcheck(name):
    fn, make = SCANS[name]
    assert gradcheck(fn, (make(3, 4),))
    assert gradcheck(fn, (make(3, 4, transposed=True),))


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp"])
def test_scan_on_0d_and_size_1(name):
    fn = {"cumsum": lambda t: t.cumsum(0), "cumprod": lambda t: t.cumprod(0),
          "logcumsumexp": lambda t: t.logcumsumexp(0)}[name]
    assert gradcheck(fn, (nonzero(1).detach().reshape(()).requires_grad_(),))
    assert gradcheck(fn, (nonzero(1, 3),))


def test_scan_second_order():
    assert gradgradcheck(lambda t: t.cumsum(1), (distinct(2, 3),))
    assert gradgradcheck(lambda t: t.cumsum(0) * t, (distinct(3, 2, transposed=True),))
    assert gradgradcheck(lambda t: t.cumprod(1), (nonzero(2, 4),))
    assert gradgradcheck(lambda t: t.cumprod(0), (nonzero(3, 2, transposed=True),))
    assert gradgradcheck(lambda t: t.logcumsumexp(1), (distinct(2, 4),))
    assert gradgradcheck(lambda t: ntorch.cummin(t, 1).values ** 2, (distinct(2, 3),))


def test_scans_with_dtype_cast_the_gradient_back():
    x = distinct(2, 3)
    y = x.cumsum(1, dtype=ntorch.float32)
    assert y.dtype is ntorch.float32 and y.grad_fn.name() == "CumsumBackward0"
    g = RNG.uniform(-1, 1, (2, 3)).astype(np.float32)
    y.backward(ntorch.from_numpy(g))
    assert x.grad.dtype is ntorch.float64
    np.testing.assert_allclose(x.grad.numpy(), np.cumsum(g[:, ::-1], 1)[:, ::-1], rtol=1e-6)
    x.grad = None
    x.cumprod(0, dtype=ntorch.float32).sum().backward()
    assert x.grad.dtype is ntorch.float64
    assert gradcheck(lambda t: t.cumprod(1, dtype=ntorch.float64), (nonzero(2, 3),))


def test_float32_and_float16_gradients():
    for dt, rtol in ((np.float32, 1e-5), (np.float16, 2e-3)):
        arr = RNG.uniform(0.5, 1.5, (2, 5))
        g = RNG.uniform(-1, 1, (2, 5))
        for op in ("cumsum", "cumprod", "logcumsumexp", "sort", "cummax"):
            x, x64 = leaf(arr, dt), leaf(arr)
            y, y64 = (getattr(t, op)(1) for t in (x, x64))
            y, y64 = (r.values if op in ("sort", "cummax") else r for r in (y, y64))
            y.backward(ntorch.from_numpy(g.astype(dt)))
            y64.backward(ntorch.from_numpy(g))
            assert x.grad.dtype == x.dtype
            np.testing.assert_allclose(x.grad.numpy().astype(np.float64), x64.grad.numpy(), rtol=rtol, atol=rtol)


def test_logcumsumexp_backward_is_stable_for_large_magnitudes():
    arr = np.array([[800.0, -700.0, 805.0, 790.0], [-1000.0, -1001.0, -999.0, -1000.5]])
    g = np.array([[1.0, -2.0, 0.5, 0.0], [3.0, 0.0, -1.0, 2.0]])
    x = leaf(arr)
    out = x.logcumsumexp(1)
    out.backward(ntorch.from_numpy(g))
    o = out.detach().numpy()
    # d out_i / d x_j = exp(x_j - out_i) for j <= i
    expected = np.array([[sum(g[r, i] * np.exp(arr[r, j] - o[r, i]) for i in range(j, 4)) for j in range(4)]
                         for r in range(2)])
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12, atol=1e-300)


# -- cumprod with zeros ---------------------------------------------------------------------------------------
def _cumprod_grad_reference(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """sum_{k>=j} g_k prod_{i<=k, i!=j} x_i along the last axis, by the definition."""
    res = np.zeros_like(x)
    for r in np.ndindex(x.shape[:-1]):
        n = x.shape[-1]
        for j in range(n):
            res[r + (j,)] = sum(g[r + (k,)] * np.prod([x[r + (i,)] for i in range(k + 1) if i != j])
                                for k in range(j, n))
    return res


ZEROS = np.array([[1.5, 0.0, 2.0, 0.0, 3.0], [0.0, 2.0, -1.0, 0.5, 1.2], [1.1, 2.0, -1.5, 0.7, 0.0],
                  [0.0, 0.0, 2.0, 3.0, 1.0], [1.3, -0.8, 0.0, 2.0, -1.5]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cumprod_with_zeros_matches_reference(dtype):
    g = RNG.uniform(-1, 1, ZEROS.shape)
    x = leaf(ZEROS, dtype)
    x.cumprod(1).backward(ntorch.from_numpy(g.astype(dtype)))
    tol = 1e-12 if dtype is np.float64 else 1e-5
    np.testing.assert_allclose(x.grad.numpy(), _cumprod_grad_reference(ZEROS, g), rtol=tol, atol=tol)
    xt = ntorch.from_numpy(np.ascontiguousarray(ZEROS.T, dtype)).requires_grad_()  # along dim 0
    xt.cumprod(0).backward(ntorch.from_numpy(np.ascontiguousarray(g.T.astype(dtype))))
    np.testing.assert_allclose(xt.grad.numpy(), _cumprod_grad_reference(ZEROS, g).T, rtol=tol, atol=tol)


def test_cumprod_with_zeros_gradcheck_and_second_order():
    x = leaf(ZEROS[:3])
    assert gradcheck(lambda t: t.cumprod(1), (x,))
    assert gradgradcheck(lambda t: t.cumprod(1), (leaf(ZEROS[:2, :4]),))  # the recorded O(n^2) formula


# -- diff -----------------------------------------------------------------------------------------------------
def test_diff_with_prepend_and_append():
    x, p, a = distinct(2, 3), distinct(2, 1), distinct(2, 2, transposed=True)
    assert gradcheck(lambda t, u, v: ntorch.diff(t, n=2, dim=1, prepend=u, append=v), (x, p, a))
    assert gradcheck(lambda t, v: t.diff(dim=0, append=v), (x, distinct(1, 3)))
    assert gradgradcheck(lambda t, u, v: (t.diff(prepend=u, append=v) ** 2), (x, p, a))
    assert gradgradcheck(lambda t: t.diff(n=2) * t.sum(), (stepped(2, 4),))
    y = x.diff(prepend=ntorch.zeros(2, 1, dtype=ntorch.float32))  # constant prepend of another dtype
    assert y.dtype is ntorch.float64
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])


def test_diff_adjoint():
    """<diff(x), g> == <x, diff^T(g)>: the gradient of a first difference is g[i-1] - g[i]."""
    x = distinct(6)
    g = RNG.uniform(-1, 1, 5)
    x.diff().backward(ntorch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), np.concatenate([[0.0], g]) - np.concatenate([g, [0.0]]))


# -- names, non-differentiable ops, errors, in-place --------------------------------------------------------
NAMES = {
    "SortBackward0": lambda t: t.sort().values, "TopkBackward0": lambda t: t.topk(1).values,
    "KthvalueBackward0": lambda t: t.kthvalue(1).values, "MedianBackward0": lambda t: t.median(),
    "MedianBackward1": lambda t: t.median(0).values, "NanmedianBackward0": lambda t: t.nanmedian(),
    "NanmedianBackward1": lambda t: t.nanmedian(1).values, "ModeBackward0": lambda t: t.mode().values,
    "CumsumBackward0": lambda t: t.cumsum(0), "CumprodBackward0": lambda t: t.cumprod(1),
    "CummaxBackward0": lambda t: t.cummax(0).values, "CumminBackward0": lambda t: t.cummin(1).values,
    "LogcumsumexpBackward0": lambda t: t.logcumsumexp(1), "SubBackward0": lambda t: t.diff(),
}


def test_grad_fn_names():
    x = distinct(2, 3)
    for name, fn in NAMES.items():
        y = fn(x)
        assert y.grad_fn is not None and y.grad_fn.name() == name, name
    assert ntorch.msort(x).grad_fn.name() == "SortBackward0"
    values, indices = x.sort()
    assert not indices.requires_grad and indices.grad_fn is None
    with ntorch.no_grad():
        assert x.sort().values.grad_fn is None and x.cumsum(0).grad_fn is None and x.diff().grad_fn is None


def test_non_differentiable_ops_record_nothing():
    x = distinct(2, 3)
    w = distinct(4)
    outs = [x.argsort(), ntorch.unique(x), ntorch.unique(x, return_inverse=True)[0], ntorch.unique_consecutive(x),
            ntorch.searchsorted(x.detach().sort().values, x), ntorch.bucketize(x, w.detach().sort().values),
            ntorch.histc(x, bins=4), ntorch.bincount(ntorch.tensor([0, 1, 1, 3]), w)]
    for out in outs:
        assert not out.requires_grad and out.grad_fn is None


def test_out_argument_under_autograd_raises():
    x = distinct(2, 3)
    for call in (lambda: ntorch.cumsum(x, 0, out=ntorch.empty(2, 3, dtype=ntorch.float64)),
                 lambda: ntorch.logcumsumexp(x, 0, out=ntorch.empty(2, 3, dtype=ntorch.float64)),
                 lambda: ntorch.sort(x, out=(ntorch.empty(0, dtype=ntorch.float64),
                                             ntorch.empty(0, dtype=ntorch.int64)))):
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            call()


def test_modified_indices_are_caught():
    x = distinct(2, 3)
    values, indices = x.sort(1)
    indices.mul_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        values.sum().backward()


def test_inplace_scans():
    x = nonzero(2, 4)
    y = x * 1.0
    y.cumsum_(1)
    assert y.grad_fn.name() == "CumsumBackward0"
    z = x * 1.0
    z.cumprod_(0)
    assert z.grad_fn.name() == "CumprodBackward0"
    (y.sum() + z.sum()).backward()
    x2 = x.detach().requires_grad_()
    (x2.cumsum(1).sum() + x2.cumprod(0).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-14)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.cumsum_(0)


def test_empty_inputs():
    e = ntorch.zeros(0, 3, dtype=ntorch.float64).requires_grad_()
    for fn in (lambda t: t.sort(0).values, lambda t: t.topk(0, 0).values, lambda t: t.cumsum(0),
               lambda t: t.cumprod(0), lambda t: t.logcumsumexp(0), lambda t: t.cummax(0).values,
               lambda t: t.diff(dim=0), lambda t: t.median(1).values, lambda t: t.kthvalue(1, 1).values):
        e.grad = None
        fn(e).sum().backward()
        assert e.grad.shape == (0, 3) and e.grad.dtype is ntorch.float64
