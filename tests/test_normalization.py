"""layer_norm, normalize and one_hot against NumPy references, with PyTorch's dtypes and errors."""

import re

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, INT_DTYPES, layouts, random_array
from ntorch.kernels.cpu import norm as K

import ntorch as nt
import ntorch.nn.functional as F
from ntorch.nn.normalization import layer_norm_forward

TOL = {nt.float16: 4e-3, nt.float32: 2e-5, nt.float64: 1e-11}


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def check(got, expected, dt):
    assert got.dtype is dt
    expected = np.asarray(expected, np.float64)
    assert tuple(got.shape) == expected.shape
    tol = TOL[dt]
    np.testing.assert_allclose(got.numpy().astype(np.float64), expected, rtol=tol, atol=tol, equal_nan=True)


def _t(a):
    return nt.from_numpy(np.array(a))


def ref_layer_norm(x, k, w=None, b=None, eps=1e-5):
    x = np.asarray(x, np.float64)
    axes = tuple(range(x.ndim - k, x.ndim))
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    y = (x - m) / np.sqrt(v + eps)
    if w is not None:
        y = y * np.asarray(w, np.float64)
    if b is not None:
        y = y + np.asarray(b, np.float64)
    return y


# ---------------------------------------------------------------------------------------------------------
# layer_norm
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,k", [((5,), 1), ((3, 7), 1), ((2, 3, 4), 2), ((2, 3, 4), 3), ((4, 1), 1)])
def test_layer_norm(rng, dt, shape, k):
    x = random_array(rng, shape, dt)
    ns = shape[len(shape) - k:]
    w, b = random_array(rng, ns, dt), random_array(rng, ns, dt)
    for weight, bias in ((None, None), (w, b), (w, None), (None, b)):
        got = F.layer_norm(_t(x), ns, None if weight is None else _t(weight), None if bias is None else _t(bias))
        check(got, ref_layer_norm(x, k, weight, bias), dt)
    check(F.layer_norm(_t(x), list(ns), eps=0.5), ref_layer_norm(x, k, eps=0.5), dt)
    check(F.layer_norm(_t(x), nt.Size(ns)), ref_layer_norm(x, k), dt)


def test_layer_norm_layouts_and_mixed_half(rng):
    x = random_array(rng, (1, 6, 5), nt.float32)
    w = random_array(rng, (5,), nt.float32)
    for _name, t, arr in layouts(x):
        check(F.layer_norm(t, (5,), _t(w)), ref_layer_norm(arr, 1, w), nt.float32)
    wt = _t(np.repeat(w, 2))[::2]  # a stepped weight
    check(F.layer_norm(_t(x), (5,), wt, wt), ref_layer_norm(x, 1, w, w), nt.float32)
    h = random_array(rng, (3, 5), nt.float16)
    check(F.layer_norm(_t(h), (5,), _t(w), _t(w)), ref_layer_norm(h, 1, w, w), nt.float16)


def test_layer_norm_accuracy_and_stats(rng):
    """Rows far from zero (the one-pass variance would cancel), long rows, constant rows, inf/nan."""
    x = (rng.standard_normal((4, 3000)) * 1e-2 + 1e3).astype(np.float32)
    x[0, 0] = 2e3  # the shift (first element) far from the mean
    np.testing.assert_allclose(F.layer_norm(_t(x), (3000,)).numpy(), ref_layer_norm(x, 1), atol=5e-3)
    out, mean, rstd = layer_norm_forward(_t(x), (3000,))
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(1), rtol=1e-6)
    np.testing.assert_allclose(rstd, 1 / np.sqrt(x.astype(np.float64).var(1) + 1e-5), rtol=1e-3)
    c = np.full((2, 4), 3.0)
    assert (F.layer_norm(_t(c), (4,)).numpy() == 0).all()
    bad = np.array([[1.0, np.inf, 2.0], [1.0, np.nan, 2.0], [1.0, 2.0, 3.0]])
    got = F.layer_norm(_t(bad), (3,)).numpy()
    assert np.isnan(got[:2]).all() and np.isfinite(got[2]).all()


def test_layer_norm_parallel(rng, monkeypatch):
    monkeypatch.setattr(K, "PAR_MIN", 0)
    x = random_array(rng, (13, 9), nt.float32)
    w = random_array(rng, (9,), nt.float32)
    check(F.layer_norm(_t(x), (9,), _t(w), _t(w)), ref_layer_norm(x, 1, w, w), nt.float32)


def test_layer_norm_empty():
    assert tuple(F.layer_norm(nt.zeros(0, 3), (3,)).shape) == (0, 3)
    assert tuple(F.layer_norm(nt.zeros(2, 0), (0,)).shape) == (2, 0)


def test_layer_norm_errors():
    x = nt.zeros(2, 3)
    _raises(RuntimeError, "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]",
            F.layer_norm, x, [4])
    _raises(RuntimeError, "Given normalized_shape=[2, 2], expected input with shape [*, 2, 2], but got input of "
            "size[2, 3]", F.layer_norm, x, (2, 2))
    _raises(RuntimeError, "Given normalized_shape=[1, 2, 3], expected input with shape [*, 1, 2, 3], but got input "
            "of size[2, 3]", F.layer_norm, x, (1, 2, 3))
    _raises(RuntimeError, "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
            "element, but got normalized_shape = []", F.layer_norm, x, [])
    _raises(TypeError, "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int",
            F.layer_norm, x, 3)
    _raises(RuntimeError, "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
            "normalized_shape = [3]", F.layer_norm, x, [3], weight=nt.ones(4))
    _raises(RuntimeError, "Expected bias to be of same shape as normalized_shape, but got bias of shape [1, 3] and "
            "normalized_shape = [3]", F.layer_norm, x, [3], bias=nt.ones(1, 3))
    _raises(RuntimeError, "mixed dtype (CPU): expect parameter to have scalar type of Float", F.layer_norm, x, [3],
            weight=nt.ones(3, dtype=nt.float64))
    _raises(RuntimeError, "mixed dtype (CPU): all inputs must share same datatype.", F.layer_norm,
            nt.zeros(2, 3, dtype=nt.float64), [3], weight=nt.ones(3))
    _raises(NotImplementedError, "\"LayerNormKernelImpl\" not implemented for 'Long'", F.layer_norm,
            nt.zeros(2, 3, dtype=nt.int64), [3])
    with pytest.raises(TypeError):
        F.layer_norm(np.zeros((2, 3)), [3])


# ---------------------------------------------------------------------------------------------------------
# normalize
# ---------------------------------------------------------------------------------------------------------
def ref_normalize(x, p, dim, eps=1e-12):
    """eps is rounded to x's dtype as torch's clamp_min does (1e-12 is 0 in float16: 0/0 = nan, as torch)."""
    eps = float(np.asarray(eps, np.asarray(x).dtype))
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    if p == np.inf:
        n = a.max(axis=dim, keepdims=True)
    elif p == 0:
        n = (a != 0).sum(axis=dim, keepdims=True).astype(np.float64)
    else:
        n = (a ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    with np.errstate(invalid="ignore"):
        return x / np.maximum(n, eps)


@pytest.mark.parametrize("dt", FLOAT_DTYPES)
def test_normalize(rng, dt):
    x = random_array(rng, (3, 4, 2), dt)
    x[0, :, 0] = 0  # a zero vector stays zero (eps)
    # every p on float32; the other dtypes with p=2 (each p is its own norm kernel to compile)
    for p in (2.0, 1, 3, np.inf, 0) if dt is nt.float32 else (2.0,):
        for dim in (0, 1, -1):
            check(F.normalize(_t(x), p, dim), ref_normalize(x, p, dim), dt)
    check(F.normalize(_t(x)), ref_normalize(x, 2, 1), dt)
    check(F.normalize(_t(x), dim=(0, 2)), ref_normalize(x, 2, (0, 2)), dt)
    check(F.normalize(_t(x), eps=10.0), ref_normalize(x, 2, 1, 10.0), dt)


def test_normalize_edges(rng):
    x = random_array(rng, (1, 5), nt.float32)
    for _name, t, arr in layouts(x):
        check(F.normalize(t, dim=1), ref_normalize(arr, 2, 1), nt.float32)
    check(F.normalize(nt.tensor([3.0, 4.0]), dim=0), [0.6, 0.8], nt.float32)
    assert F.normalize(nt.tensor(3.0), dim=0).item() == 1.0
    assert tuple(F.normalize(nt.zeros(0, 3)).shape) == (0, 3)
    out = nt.zeros(1, 5)
    res = F.normalize(_t(x), out=out)
    assert res is out
    check(out, ref_normalize(x, 2, 1), nt.float32)
    nan = F.normalize(nt.tensor([[np.nan, 1.0], [3.0, 4.0]]), dim=1).numpy()
    assert np.isnan(nan[0]).all() and np.allclose(nan[1], [0.6, 0.8])  # NaN propagates, as torch's clamp_min
    wide = random_array(rng, (2, 3, K._TILE + 5), nt.float32)  # wider than the fused kernel's column tile
    check(F.normalize(_t(wide)), ref_normalize(wide, 2, 1), nt.float32)
    with pytest.raises(IndexError):
        F.normalize(nt.tensor([3.0, 4.0]))  # dim=1 of a 1-d tensor
    with pytest.raises(RuntimeError, match="floating point"):
        F.normalize(nt.tensor([[1, 2]]))


# ---------------------------------------------------------------------------------------------------------
# one_hot
# ---------------------------------------------------------------------------------------------------------
def ref_one_hot(idx, c):
    idx = np.asarray(idx)
    return (idx[..., None] == np.arange(c)).astype(np.int64)


def test_one_hot(rng):
    for shape in ((), (1,), (7,), (3, 4)):
        idx = rng.integers(0, 5, shape)
        got = F.one_hot(_t(idx))
        c = int(idx.max()) + 1
        assert got.dtype is nt.int64
        np.testing.assert_array_equal(got.numpy(), ref_one_hot(idx, c))
        np.testing.assert_array_equal(F.one_hot(_t(idx), 6).numpy(), ref_one_hot(idx, 6))
        np.testing.assert_array_equal(F.one_hot(_t(idx), num_classes=-1).numpy(), ref_one_hot(idx, c))
    idx = rng.integers(0, 4, (1, 6))
    for name, t, arr in layouts(idx):
        np.testing.assert_array_equal(F.one_hot(t, 4).numpy(), ref_one_hot(arr, 4), err_msg=name)
    assert tuple(F.one_hot(nt.zeros(0, dtype=nt.int64), 3).shape) == (0, 3)
    assert tuple(F.one_hot(nt.zeros(2, 0, dtype=nt.int64), 3).shape) == (2, 0, 3)


@pytest.mark.parametrize("dt", [nt.bool, *[d for d in INT_DTYPES if d is not nt.int64], *FLOAT_DTYPES])
def test_one_hot_dtype_error(dt):
    _raises(RuntimeError, "one_hot is only applicable to index tensor of type LongTensor.", F.one_hot,
            nt.zeros(3, dtype=dt))


def test_one_hot_errors():
    _raises(RuntimeError, "Class values must be smaller than num_classes.", F.one_hot, nt.tensor([0, 2, 1]), 2)
    _raises(RuntimeError, "Class values must be smaller than num_classes.", F.one_hot, nt.tensor([0, 2, 1]), 0)
    _raises(RuntimeError, "Class values must be smaller than num_classes.", F.one_hot, nt.tensor([0, 2, 1]), -2)
    _raises(RuntimeError, "Class values must be non-negative.", F.one_hot, nt.tensor([0, -2, 1]))
    _raises(RuntimeError, "Class values must be non-negative.", F.one_hot, nt.tensor([0, -2, 1]), 4)
    _raises(RuntimeError, "Can not infer total number of classes from empty tensor.", F.one_hot,
            nt.zeros(0, dtype=nt.int64))
    _raises(RuntimeError, "Can not infer total number of classes from empty tensor.", F.one_hot,
            nt.zeros(0, 2, dtype=nt.int64), 0)


def test_sync_batch_norm_is_batch_norm_without_a_process_group():
    import ntorch.nn as nn

    nt.manual_seed(0)
    bn = nn.BatchNorm1d(3)
    bn.weight.data.uniform_(0.5, 1.5)
    model = nn.Sequential(bn, nn.ReLU())
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(sync[0], nn.SyncBatchNorm) and sync[0].weight is bn.weight
    x = nt.randn(8, 3, 5)
    np.testing.assert_allclose(sync(x).detach().numpy(),
                               nn.functional.relu(nn.functional.batch_norm(
                                   x, None, None, bn.weight, bn.bias, True)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert int(sync[0].num_batches_tracked) == 1 and sync[0].running_mean is bn.running_mean
    with pytest.raises(ValueError, match="expected at least 2D input \\(got 1D input\\)"):
        nn.SyncBatchNorm(3)(nt.ones(3))
    assert repr(nn.SyncBatchNorm(3)) == ("SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                                         "track_running_stats=True)")
