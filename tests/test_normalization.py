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


# --- nn modules (wt_nnh)
# batch_norm's fused CPU kernels against a float64 NumPy reference; gradients against float64 finite differences
# (gradcheck), the create_graph backward against gradgradcheck.
def _bn_ref(x, w, b, mean, var, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if w is not None:
        y = y * w.reshape(shape)
    return y + b.reshape(shape) if b is not None else y


def _batch_stats(x):
    axes = (0, *range(2, x.ndim))
    return x.mean(axis=axes), x.var(axis=axes), x.var(axis=axes, ddof=1)


@pytest.mark.parametrize("dt", [nt.float16, nt.float32, nt.float64])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_fused_train_and_eval(rng, dt, shape, affine):
    import ntorch.nn as nn

    cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[len(shape)]
    bn = cls(3, affine=affine, dtype=dt)
    w = b = None
    if affine:
        w, b = rng.uniform(0.5, 1.5, 3), rng.uniform(-1, 1, 3)
        bn.weight.data.copy_(nt.tensor(w, dtype=dt))
        bn.bias.data.copy_(nt.tensor(b, dtype=dt))
        w, b = bn.weight.detach().numpy().astype(np.float64), bn.bias.detach().numpy().astype(np.float64)
    a = random_array(rng, shape, dt, -3, 4)
    x = a.astype(np.float64)
    y = bn(nt.from_numpy(a))
    mean, var, unbiased = _batch_stats(x)
    check(y, _bn_ref(x, w, b, mean, var), dt)
    tol = TOL[dt]
    np.testing.assert_allclose(bn.running_mean.numpy().astype(np.float64), 0.1 * mean, rtol=tol, atol=tol)
    np.testing.assert_allclose(bn.running_var.numpy().astype(np.float64), 0.9 + 0.1 * unbiased, rtol=tol, atol=tol)
    assert int(bn.num_batches_tracked) == 1 and bn.running_mean.dtype is dt
    bn.eval()
    rm, rv = bn.running_mean.numpy().astype(np.float64), bn.running_var.numpy().astype(np.float64)
    check(bn(nt.from_numpy(a)), _bn_ref(x, w, b, rm, rv), dt)
    assert int(bn.num_batches_tracked) == 1
    np.testing.assert_array_equal(bn.running_mean.numpy().astype(np.float64), rm)


def test_batch_norm_fused_momentum_none_and_untracked(rng):
    import ntorch.nn as nn

    bn = nn.BatchNorm2d(3, momentum=None, dtype=nt.float64)
    xs = [rng.normal(i, 1 + i, (2, 3, 3, 4)) for i in range(3)]
    for x in xs:
        bn(nt.from_numpy(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([_batch_stats(x)[0] for x in xs], 0), rtol=1e-12)
    # cumulative average starting from the initial running_var of ones: (1 * 0 + sum of unbiased vars) / 3 ...
    # torch's factor 1/k at batch k replaces the initial value at k = 1
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([_batch_stats(x)[2] for x in xs], 0), rtol=1e-12)
    assert int(bn.num_batches_tracked) == 3
    free = nn.BatchNorm2d(3, track_running_stats=False, dtype=nt.float64).eval()
    assert free.running_mean is None and free.num_batches_tracked is None
    x = xs[0]
    mean, var, _ = _batch_stats(x)
    np.testing.assert_allclose(free(nt.from_numpy(x)).detach().numpy(), _bn_ref(x, np.ones(3), np.zeros(3), mean, var),
                               rtol=1e-10, atol=1e-12)  # eval without running stats normalises by the batch's


def test_batch_norm_fused_layouts_and_mixed_half(rng):
    a = rng.normal(0, 2, (2, 3, 4, 5)).astype(np.float32)
    mean, var, _ = _batch_stats(a.astype(np.float64))
    expected = _bn_ref(a.astype(np.float64), None, None, mean, var)
    for _name, t, _ in layouts(a):
        got = F.batch_norm(t, None, None, training=True)
        check(got, expected, nt.float32)
    cl = nt.from_numpy(a).to(memory_format=nt.channels_last)
    got = F.batch_norm(cl, None, None, training=True)
    assert got.is_contiguous(memory_format=nt.channels_last) and not got.is_contiguous()  # torch keeps the layout
    check(got, expected, nt.float32)
    # float16 input with float32 parameters and running stats: the output keeps the input's dtype (torch's CPU)
    h = a.astype(np.float16)
    rm, rv = nt.zeros(3), nt.ones(3)
    w, b = nt.full((3,), 2.0), nt.full((3,), 0.5)
    got = F.batch_norm(nt.from_numpy(h), rm, rv, w, b, training=True)
    hm, hv, hu = _batch_stats(h.astype(np.float64))
    check(got, _bn_ref(h.astype(np.float64), np.full(3, 2.0), np.full(3, 0.5), hm, hv), nt.float16)
    assert rm.dtype is nt.float32
    np.testing.assert_allclose(rm.numpy(), 0.1 * hm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * hu, rtol=1e-5, atol=1e-6)


def test_batch_norm_fused_edges():
    import ntorch.nn as nn

    bn = nn.BatchNorm1d(3)
    _raises(ValueError, "Expected more than 1 value per channel when training, got input size ntorch.Size([1, 3])",
            bn, nt.ones(1, 3))
    bn(nt.ones(1, 3, 2))  # one sample with two positions: fine
    bn = nn.BatchNorm2d(3)
    bn.running_mean.fill_(0.5)
    y = bn(nt.ones(0, 3, 2, 2))
    assert tuple(y.shape) == (0, 3, 2, 2) and y.dtype is nt.float32
    # torch's native_batch_norm skips an empty batch: the running stats keep their values
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0.5] * 3)
    np.testing.assert_array_equal(bn.running_var.numpy(), [1.0] * 3)
    assert int(bn.num_batches_tracked) == 1
    version = bn.running_mean._version
    bn(nt.randn(2, 3, 2, 2))
    assert bn.running_mean._version > version  # the in-place update is visible to autograd's version checks


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_fused_gradcheck(rng, training, affine):
    from ntorch.autograd import gradcheck, gradgradcheck

    x = nt.tensor(rng.normal(0, 1, (3, 2, 4)), requires_grad=True)
    params = (nt.tensor(rng.uniform(0.5, 1.5, 2), requires_grad=True),
              nt.tensor(rng.uniform(-1, 1, 2), requires_grad=True)) if affine else ()
    rm, rv = nt.tensor(rng.normal(0, 1, 2)), nt.tensor(rng.uniform(0.5, 2, 2))

    def fn(x, *wb):
        # fresh running stats each call: the training update must not change what eval reads
        return F.batch_norm(x, rm.clone(), rv.clone(), *wb, training=training)

    y = fn(x, *params)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    assert gradcheck(fn, (x, *params))
    assert gradgradcheck(fn, (x, *params))


def test_batch_norm_fused_grads_match_numpy(rng):
    """The training backward's closed form against float64 central differences of the NumPy reference."""
    x = rng.normal(0, 1, (2, 3, 5))
    w, b = rng.uniform(0.5, 1.5, 3), rng.uniform(-1, 1, 3)
    g = rng.normal(0, 1, x.shape)

    def loss(x, w, b):
        mean, var, _ = _batch_stats(x)
        return (_bn_ref(x, w, b, mean, var) * g).sum()

    def numeric(f, a):
        out = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            d = np.zeros_like(a)
            d[i] = 1e-6
            out[i] = (f(a + d) - f(a - d)) / 2e-6
        return out

    xt, wt, bt = (nt.tensor(v, requires_grad=True) for v in (x, w, b))
    F.batch_norm(xt, None, None, wt, bt, training=True).backward(nt.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), numeric(lambda a: loss(a, w, b), x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(wt.grad.numpy(), numeric(lambda a: loss(x, a, b), w), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(bt.grad.numpy(), numeric(lambda a: loss(x, w, a), b), rtol=1e-6, atol=1e-7)
    h = nt.tensor(x.astype(np.float16), requires_grad=True)
    F.batch_norm(h, None, None, nt.tensor(w, dtype=nt.float32), None, training=True).sum().backward()
    assert h.grad.dtype is nt.float16


def test_batch_norm_parallel_kernels_match_serial(rng, monkeypatch):
    """The channel-parallel (prange) kernels give the serial ones' results, and batch_norm picks them from
    PAR_MIN elements on when Numba has several threads."""
    from ntorch.kernels.cpu import batchnorm as BK

    x = rng.normal(1, 2, (3, 5, 7))
    g = rng.normal(0, 1, x.shape)
    w, b = rng.uniform(0.5, 1.5, 5), rng.uniform(-1, 1, 5)
    res = {}
    for suffix in ("", "_p"):
        mean, var = np.empty(5), np.empty(5)
        getattr(BK, "batch_norm_stats" + suffix)(x, mean, var)
        rstd = 1 / np.sqrt(var + 1e-5)
        out = np.empty_like(x)
        getattr(BK, "batch_norm_apply" + suffix)(x, mean, rstd, w, b, True, True, out)
        gx, dw, db = np.empty_like(x), np.zeros(5), np.zeros(5)
        getattr(BK, "batch_norm_backward" + suffix)(x, g, mean, rstd, w, True, True, gx, True, dw, db)
        res[suffix] = (mean, var, out, gx, dw, db)
    np.testing.assert_allclose(res[""][0], x.mean((0, 2)), rtol=1e-12)
    np.testing.assert_allclose(res[""][1], x.var((0, 2)), rtol=1e-12)
    for a, c in zip(res[""], res["_p"]):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)
    monkeypatch.setattr(K, "PAR_MIN", 0)
    monkeypatch.setattr("numba.get_num_threads", lambda: 2)
    from ntorch.nn.normalization import _bn_kernel

    assert _bn_kernel("batch_norm_apply", 1) is BK.batch_norm_apply_p
    mean, var, _ = _batch_stats(x)
    check(F.batch_norm(nt.tensor(x), None, None, nt.tensor(w), nt.tensor(b), training=True),
          _bn_ref(x, w, b, mean, var), nt.float64)


@pytest.mark.parametrize("shape", [(6, 4100, 1), (3, 70, 127), (2, 3, 128), (3, 2, 300)])
@pytest.mark.parametrize("suffix", ["", "_p"])
def test_batch_norm_kernels_both_layouts(rng, shape, suffix):
    """The row-wise loops (spatial size below FLAT_S, channels cut into blocks of columns) and the per-channel
    loops against float64 NumPy: statistics, normalise + affine, training and eval input gradients."""
    from ntorch.kernels.cpu import batchnorm as BK

    assert (shape[2] < BK.FLAT_S) == (shape[2] <= 127)
    x = rng.normal(3, 2, shape).astype(np.float32)
    g = rng.normal(0, 1, shape).astype(np.float32)
    c = shape[1]
    w, b = rng.uniform(0.5, 1.5, c).astype(np.float32), rng.uniform(-1, 1, c).astype(np.float32)
    mean, var = np.empty(c), np.empty(c)
    getattr(BK, "batch_norm_stats" + suffix)(x, mean, var)
    xd, gd, wd = x.astype(np.float64), g.astype(np.float64), w.astype(np.float64)
    np.testing.assert_allclose(mean, xd.mean((0, 2)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, xd.var((0, 2)), rtol=1e-10)
    rstd = 1 / np.sqrt(var + 1e-5)
    xhat = (xd - mean[:, None]) * rstd[:, None]
    out = np.empty_like(x)
    getattr(BK, "batch_norm_apply" + suffix)(x, mean, rstd, w, b, True, True, out)
    np.testing.assert_allclose(out, xhat * wd[:, None] + b[:, None], rtol=1e-5, atol=1e-5)
    for training in (True, False):
        gx, dw, db = np.empty_like(x), np.zeros(c), np.zeros(c)
        getattr(BK, "batch_norm_backward" + suffix)(x, g, mean, rstd, w, True, training, gx, True, dw, db)
        np.testing.assert_allclose(db, gd.sum((0, 2)), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(dw, (gd * xhat).sum((0, 2)), rtol=1e-9, atol=1e-9)
        k = (rstd * wd)[:, None]
        ref = k * (gd - gd.mean((0, 2))[:, None] - xhat * (gd * xhat).mean((0, 2))[:, None]) if training else k * gd
        np.testing.assert_allclose(gx, ref, rtol=1e-4, atol=1e-5)
    dw2, db2 = np.zeros(c), np.zeros(c)  # no input gradient wanted: gx is an empty placeholder
    getattr(BK, "batch_norm_backward" + suffix)(x, g, mean, rstd, w, True, True, np.empty((0, 0, 0), np.float32),
                                                False, dw2, db2)
    np.testing.assert_allclose(dw2, dw, rtol=1e-12)


# ---------------------------------------------------------------------------------------------------------
# group_norm's fused CPU kernels (wt_gn) against a float64 NumPy reference; gradients against float64 central
# differences and gradcheck, the create_graph backward against gradgradcheck
# ---------------------------------------------------------------------------------------------------------
def _gn_ref(x, groups, w=None, b=None, eps=1e-5):
    x = np.asarray(x, np.float64)
    xg = x.reshape(x.shape[0], groups, -1)
    y = ((xg - xg.mean(2, keepdims=True)) / np.sqrt(xg.var(2, keepdims=True) + eps)).reshape(x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * np.asarray(w, np.float64).reshape(shape)
    return y + np.asarray(b, np.float64).reshape(shape) if b is not None else y


@pytest.mark.parametrize("dt", [nt.float16, nt.float32, nt.float64])
@pytest.mark.parametrize("shape,groups", [((4, 6), 3), ((2, 6, 5), 1), ((2, 6, 5), 6), ((3, 4, 3, 5), 2),
                                          ((2, 6, 2, 3, 2), 3), ((1, 8, 7, 9), 4)])
def test_group_norm_fused_values(rng, dt, shape, groups):
    x = random_array(rng, shape, dt, -3, 4)
    c = shape[1]
    w, b = random_array(rng, (c,), dt, 0.5, 1.5), random_array(rng, (c,), dt, -1, 1)
    for weight, bias in ((None, None), (w, b), (w, None), (None, b)):
        got = F.group_norm(_t(x), groups, None if weight is None else _t(weight), None if bias is None else _t(bias))
        check(got, _gn_ref(x, groups, weight, bias), dt)
    check(F.group_norm(_t(x), groups, eps=0.5), _gn_ref(x, groups, eps=0.5), dt)


def test_group_norm_fused_accuracy_large_mean(rng):
    """float64 statistics (two passes about the mean) for float32 input far from zero."""
    x = (rng.normal(0, 1, (2, 4, 1000)) + 1e4).astype(np.float32)
    check(F.group_norm(_t(x), 2), _gn_ref(x, 2), nt.float32)
    y = rng.normal(0, 1, (2, 4, 1000)).astype(np.float32)
    y[:, 0, 0] = 3e4  # an outlier first value: the float32 one-pass sums are taken about it
    check(F.group_norm(_t(y), 2), _gn_ref(y, 2), nt.float32)
    xd = rng.normal(0, 1, (2, 4, 50)) + 1e6
    np.testing.assert_allclose(F.group_norm(_t(xd), 2).numpy(), _gn_ref(xd, 2), rtol=1e-9, atol=1e-9)


def test_group_norm_fused_layouts_and_mixed_half(rng):
    a = rng.normal(1, 2, (2, 4, 3, 5)).astype(np.float32)
    w, b = rng.uniform(0.5, 1.5, 4).astype(np.float32), rng.uniform(-1, 1, 4).astype(np.float32)
    expected = _gn_ref(a, 2, w, b)
    for _name, t, _ in layouts(a):
        got = F.group_norm(t, 2, _t(w), _t(b))
        assert got.is_contiguous()  # torch: a non-channels-last input gives a contiguous output
        check(got, expected, nt.float32)
    cl = nt.from_numpy(a).to(memory_format=nt.channels_last)
    got = F.group_norm(cl, 2, _t(w), _t(b))
    assert got.is_contiguous(memory_format=nt.channels_last) and not got.is_contiguous()  # torch keeps the layout
    check(got, expected, nt.float32)
    # float16 input with float32 parameters: the output keeps the input's dtype (torch's CPU kernel)
    h = a.astype(np.float16)
    got = F.group_norm(nt.from_numpy(h), 2, _t(w), _t(b))
    check(got, _gn_ref(h, 2, w, b), nt.float16)
    x = nt.tensor(h, requires_grad=True)
    wt = nt.tensor(w, requires_grad=True)
    F.group_norm(x, 2, wt, None).sum().backward()
    assert x.grad.dtype is nt.float16 and wt.grad.dtype is nt.float32


def test_group_norm_fused_empty_and_node():
    x = nt.ones(0, 4, 3, requires_grad=True)
    w = nt.ones(4, requires_grad=True)
    y = F.group_norm(x, 2, w)
    assert tuple(y.shape) == (0, 4, 3) and y.dtype is nt.float32
    assert y.grad_fn.name() == "NativeGroupNormBackward0"
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 4, 3)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(4))
    z = F.group_norm(nt.ones(2, 4, 0), 4)
    assert tuple(z.shape) == (2, 4, 0)
    assert F.group_norm(nt.randn(2, 4, 3), 2).grad_fn is None


@pytest.mark.parametrize("shape,groups", [((3, 4, 5), 2), ((2, 6), 3), ((2, 4, 2, 3), 1), ((2, 4, 3), 4)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_fused_gradcheck(rng, shape, groups, affine):
    from ntorch.autograd import gradcheck, gradgradcheck

    c = shape[1]
    x = nt.tensor(rng.normal(0, 1, shape), requires_grad=True)
    params = (nt.tensor(rng.uniform(0.5, 1.5, c), requires_grad=True),
              nt.tensor(rng.uniform(-1, 1, c), requires_grad=True)) if affine else ()

    def fn(x, *wb):
        return F.group_norm(x, groups, *wb)

    assert fn(x, *params).grad_fn.name() == "NativeGroupNormBackward0"
    assert gradcheck(fn, (x, *params))
    assert gradgradcheck(fn, (x, *params))


def test_group_norm_fused_grads_match_numpy(rng):
    """The fused backward against float64 central differences of the NumPy reference, each of input / weight /
    bias alone and together; a non-contiguous input."""
    x = rng.normal(0.5, 2, (2, 6, 5))
    w, b = rng.uniform(0.5, 1.5, 6), rng.uniform(-1, 1, 6)
    g = rng.normal(0, 1, x.shape)

    def loss(x, w, b):
        return (_gn_ref(x, 3, w, b) * g).sum()

    def numeric(f, a):
        out = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            d = np.zeros_like(a)
            d[i] = 1e-6
            out[i] = (f(a + d) - f(a - d)) / 2e-6
        return out

    refs = (numeric(lambda a: loss(a, w, b), x), numeric(lambda a: loss(x, a, b), w),
            numeric(lambda a: loss(x, w, a), b))
    for wanted in ((True, True, True), (True, False, False), (False, True, False), (False, False, True)):
        xt = nt.tensor(np.ascontiguousarray(x.swapaxes(1, 2)), requires_grad=wanted[0]).transpose(1, 2)
        wt, bt = (nt.tensor(v, requires_grad=r) for v, r in ((w, wanted[1]), (b, wanted[2])))
        y = F.group_norm(xt, 3, wt, bt)
        leaves = [t for t, r in zip((xt, wt, bt), wanted) if r]
        grads = nt.autograd.grad(y, leaves, nt.tensor(g))
        for got, ref in zip(grads, [r for r, want in zip(refs, wanted) if want]):
            np.testing.assert_allclose(got.numpy(), ref, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
def test_group_norm_fused_backward_values(rng, dt):
    """Analytic gradients (float64 NumPy) for float32 / float64, including a large mean."""
    x = random_array(rng, (3, 8, 4, 5), dt, -2, 3) + dt.np.type(1000)
    w, b = random_array(rng, (8,), dt, 0.5, 1.5), random_array(rng, (8,), dt, -1, 1)
    g = random_array(rng, x.shape, dt)
    xt, wt, bt = (nt.tensor(v, requires_grad=True) for v in (x, w, b))
    F.group_norm(xt, 4, wt, bt).backward(nt.tensor(g))
    xd, wd, gd = (v.astype(np.float64) for v in (x, w, g))
    xg = xd.reshape(3, 4, -1)
    mu, rstd = xg.mean(2, keepdims=True), 1 / np.sqrt(xg.var(2, keepdims=True) + 1e-5)
    xhat = ((xg - mu) * rstd).reshape(x.shape)
    gy = (gd * wd[:, None, None]).reshape(3, 4, -1)
    xh = xhat.reshape(3, 4, -1)
    gx = (rstd * (gy - gy.mean(2, keepdims=True) - xh * (gy * xh).mean(2, keepdims=True))).reshape(x.shape)
    tol = 1e-4 if dt is nt.float32 else 1e-10
    np.testing.assert_allclose(xt.grad.numpy(), gx, rtol=tol, atol=tol)
    np.testing.assert_allclose(wt.grad.numpy(), (gd * xhat).sum((0, 2, 3)), rtol=tol, atol=tol)
    np.testing.assert_allclose(bt.grad.numpy(), gd.sum((0, 2, 3)), rtol=tol, atol=tol)
    assert xt.grad.dtype is dt and wt.grad.dtype is dt


def test_group_norm_parallel_kernels_match_serial(rng, monkeypatch):
    from ntorch.kernels.cpu import groupnorm as GK

    x = rng.normal(1, 2, (3, 6, 7))
    g = rng.normal(0, 1, x.shape)
    w, b = rng.uniform(0.5, 1.5, 6), rng.uniform(-1, 1, 6)
    x2, g2 = x.reshape(9, 14), g.reshape(9, 14)
    res = {}
    for suffix in ("", "_p"):
        out, mean, rstd = np.empty_like(x2), np.empty(9), np.empty(9)
        getattr(GK, "group_norm_forward" + suffix)(x2, 7, 2, 3, w, b, True, True, 1e-5, out, mean, rstd)
        dx, dsn, dbn = np.empty_like(x2), np.zeros((3, 6)), np.zeros((3, 6))
        getattr(GK, "group_norm_backward" + suffix)(x2, g2, 7, 2, 3, w, True, mean, rstd, dx, True, dsn, dbn)
        res[suffix] = (out, mean, rstd, dx, dsn, dbn)
    np.testing.assert_allclose(res[""][0].reshape(x.shape), _gn_ref(x, 3, w, b), rtol=1e-12, atol=1e-12)
    for a, c in zip(res[""], res["_p"]):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)
    monkeypatch.setattr(K, "PAR_MIN", 0)
    monkeypatch.setattr("numba.get_num_threads", lambda: 2)
    from ntorch.nn.normalization import _gn_kernel

    assert _gn_kernel("group_norm_forward", 1) is GK.group_norm_forward_p
    check(F.group_norm(nt.tensor(x), 3, nt.tensor(w), nt.tensor(b)), _gn_ref(x, 3, w, b), nt.float64)


def test_group_norm_complex_and_errors():
    _raises(NotImplementedError, "\"GroupNormKernelImpl\" not implemented for 'ComplexFloat'", F.group_norm,
            nt.ones(2, 4, 3, dtype=nt.complex64), 2)
    _raises(RuntimeError, "Expected number of channels in input to be divisible by num_groups, but got input of "
            "shape [2, 4, 3] and num_groups=3", F.group_norm, nt.ones(2, 4, 3), 3)
    _raises(RuntimeError, "mixed dtype (CPU): all inputs must share same datatype.", F.group_norm,
            nt.ones(2, 4, 3, dtype=nt.float64), 2, nt.ones(4))
    for dt, name in ((nt.int64, "Long"), (nt.bool, "Bool")):
        for n in (2, 0):
            _raises(NotImplementedError, f"\"GroupNormKernelImpl\" not implemented for '{name}'", F.group_norm,
                    nt.ones(n, 4, 3, dtype=dt), 2)
