"""Losses against float64 NumPy references written from PyTorch's definitions: cross_entropy (class indices
and probabilities, weight, ignore_index, label_smoothing, K-dim), nll_loss, mse_loss, l1_loss,
binary_cross_entropy(_with_logits); every float dtype, non-contiguous inputs, empty batches and errors."""

import re
import warnings

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, layouts, random_array
from ntorch.kernels.cpu import loss as K

import ntorch as nt
import ntorch.nn.functional as F

TOL = {nt.float16: 3e-3, nt.float32: 2e-5, nt.float64: 1e-12}
REDUCTIONS = ["none", "mean", "sum"]


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def check(got, expected, dt):
    assert got.dtype is dt
    expected = np.asarray(expected, np.float64)
    assert tuple(got.shape) == expected.shape
    tol = TOL[dt]
    np.testing.assert_allclose(got.numpy().astype(np.float64), expected, rtol=tol, atol=tol, equal_nan=True)


def log_softmax(x, axis):
    x = np.asarray(x, np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def reduce(loss, reduction, denom):
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.float64(total) / denom


def ref_nll(logp, t, w=None, ignore_index=-100, reduction="mean"):
    """logp (N, C, ...) or (C,); t (N, ...) or () / (1,)."""
    logp = np.asarray(logp, np.float64)
    if logp.ndim == 1:
        logp, t = logp[None], np.reshape(t, (1,))
        out = ref_nll(logp, t, w, ignore_index, reduction)
        return out.reshape(()) if reduction == "none" else out
    c = logp.shape[1]
    w = np.ones(c) if w is None else np.asarray(w, np.float64)
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    picked = np.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
    wt = np.where(keep, w[safe], 0.0)
    return reduce(-wt * picked, reduction, wt.sum())


def ref_ce(x, t, w=None, ignore_index=-100, reduction="mean", ls=0.0):
    """torch's cross_entropy with class indices, label smoothing as in torch's LossNLL.cpp."""
    x = np.asarray(x, np.float64)
    axis = 0 if x.ndim == 1 else 1
    logp = log_softmax(x, axis)
    nll = ref_nll(logp, t, w, ignore_index, reduction)
    if ls <= 0:
        return nll
    c = x.shape[axis]
    wv = np.ones(c) if w is None else np.asarray(w, np.float64)
    shape = [1] * x.ndim
    shape[axis] = c
    smooth = -(logp * wv.reshape(shape)).sum(axis=axis)
    t = np.asarray(t).reshape(()) if x.ndim == 1 else np.asarray(t)
    keep = t != ignore_index
    smooth = np.where(keep, smooth, 0.0)
    safe = np.where(keep, t, 0)
    denom = np.where(keep, wv[safe], 0.0).sum()
    return (1 - ls) * nll + ls / c * reduce(smooth, reduction, denom)


def ref_ce_probs(x, p, w=None, reduction="mean", ls=0.0):
    x = np.asarray(x, np.float64)
    axis = 0 if x.ndim == 1 else 1
    c = x.shape[axis]
    p = np.asarray(p, np.float64)
    if ls > 0:
        p = p * (1 - ls) + ls / c
    shape = [1] * x.ndim
    shape[axis] = c
    wv = np.ones(c) if w is None else np.asarray(w, np.float64)
    loss = -(log_softmax(x, axis) * p * wv.reshape(shape)).sum(axis=axis)
    return reduce(loss, reduction, x.size / c if x.size else 0)


def _t(a):
    return nt.from_numpy(np.array(a))


def _targets(rng, n_shape, c, ignore=True):
    t = rng.integers(0, c, n_shape)
    if ignore and t.size > 1:
        t.reshape(-1)[1] = -100
    return t


# ---------------------------------------------------------------------------------------------------------
# cross_entropy / nll_loss with class indices
# ---------------------------------------------------------------------------------------------------------
CLASS_SHAPES = [((6, 5), (6,)), ((5,), ()), ((5,), (1,)), ((3, 4, 2), (3, 2)), ((2, 3, 2, 3), (2, 2, 3)),
                ((2, 3, 1, 2, 2), (2, 1, 2, 2)), ((1, 1), (1,))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,tshape", CLASS_SHAPES)
def test_cross_entropy_indices(rng, shape, tshape, reduction):
    c = shape[1] if len(shape) > 1 else shape[0]
    x = random_array(rng, shape, nt.float32) * 3
    t = _targets(rng, tshape, c)
    w = rng.uniform(0.5, 2.0, c).astype(np.float32)
    for weight in (None, w):
        for ls in (0.0, 0.25):
            got = F.cross_entropy(_t(x), _t(t), weight=None if weight is None else _t(weight), reduction=reduction,
                                  label_smoothing=ls)
            check(got, ref_ce(x, t, weight, -100, reduction, ls), nt.float32)
        got = F.nll_loss(_t(x), _t(t), weight=None if weight is None else _t(weight), reduction=reduction)
        check(got, ref_nll(x, t, weight, -100, reduction), nt.float32)


@pytest.mark.parametrize("dt", FLOAT_DTYPES)
def test_cross_entropy_dtypes(rng, dt):
    for shape, tshape in (((7, 4), (7,)), ((3, 4, 5), (3, 5))):
        x = random_array(rng, shape, dt)
        t = _targets(rng, tshape, 4)
        w = rng.uniform(0.5, 2.0, 4).astype(dt.np)
        for reduction in REDUCTIONS:
            got = F.cross_entropy(_t(x), _t(t), weight=_t(w), reduction=reduction, label_smoothing=0.1)
            check(got, ref_ce(x, t, w, -100, reduction, 0.1), dt)
            check(F.nll_loss(_t(x), _t(t), reduction=reduction), ref_nll(x, t, None, -100, reduction), dt)


def test_cross_entropy_layouts(rng):
    x = random_array(rng, (1, 6), nt.float32)
    t = np.array([4])
    for _name, tx, arr in layouts(x):
        check(F.cross_entropy(tx, _t(t)), ref_ce(arr, t), nt.float32)
    x = random_array(rng, (5, 4), nt.float64)
    t = rng.integers(0, 4, 5)
    xt = _t(x.T.copy()).t()
    check(F.cross_entropy(xt, _t(t), label_smoothing=0.2), ref_ce(x, t, ls=0.2), nt.float64)
    check(F.nll_loss(xt, _t(t)), ref_nll(x, t), nt.float64)
    stepped = _t(np.repeat(x, 2, axis=1))[:, ::2]
    check(F.cross_entropy(stepped, _t(t), reduction="none"), ref_ce(x, t, reduction="none"), nt.float64)
    t_stepped = _t(np.repeat(t, 2))[::2]
    check(F.cross_entropy(_t(x), t_stepped), ref_ce(x, t), nt.float64)
    x3 = random_array(rng, (2, 3, 4), nt.float32)
    t3 = rng.integers(0, 3, (2, 4))
    check(F.cross_entropy(_t(x3.transpose(0, 2, 1).copy()).transpose(1, 2), _t(t3)), ref_ce(x3, t3), nt.float32)


def test_ignore_index(rng):
    x = random_array(rng, (6, 5), nt.float32)
    t = np.array([0, 3, 3, 4, 1, 3])
    w = rng.uniform(0.5, 2.0, 5).astype(np.float32)
    for ignore in (3, 7, -1):
        tt = np.where(t == 3, ignore, t)
        for reduction in REDUCTIONS:
            for ls in (0.0, 0.3):
                got = F.cross_entropy(_t(x), _t(tt), weight=_t(w), ignore_index=ignore, reduction=reduction,
                                      label_smoothing=ls)
                check(got, ref_ce(x, tt, w, ignore, reduction, ls), nt.float32)
            check(F.nll_loss(_t(x), _t(tt), ignore_index=ignore, reduction=reduction),
                  ref_nll(x, tt, None, ignore, reduction), nt.float32)
    everything = np.full(6, -100)
    assert np.isnan(F.cross_entropy(_t(x), _t(everything)).item())
    assert F.cross_entropy(_t(x), _t(everything), reduction="sum").item() == 0.0


def test_uint8_targets(rng):
    x = random_array(rng, (4, 3), nt.float32)
    t = np.array([0, 2, 1, 2], np.uint8)
    check(F.cross_entropy(_t(x), _t(t)), ref_ce(x, t.astype(np.int64)), nt.float32)
    check(F.nll_loss(_t(x), _t(t)), ref_nll(x, t.astype(np.int64)), nt.float32)


def test_fused_rows_long_and_parallel(rng, monkeypatch):
    """Rows longer than the logsumexp block; then the parallel kernel (forced) with a bad target."""
    x = random_array(rng, (3, 2500), nt.float32)
    t = np.array([5, 2400, 0])
    check(F.cross_entropy(_t(x), _t(t), label_smoothing=0.1), ref_ce(x, t, ls=0.1), nt.float32)
    monkeypatch.setattr(K, "PAR_MIN", 0)
    x = random_array(rng, (37, 9), nt.float32)
    t = _targets(rng, (37,), 9)
    check(F.cross_entropy(_t(x), _t(t), reduction="sum"), ref_ce(x, t, reduction="sum"), nt.float32)
    t[30] = 9
    _raises(IndexError, "Target 9 is out of bounds.", F.cross_entropy, _t(x), _t(t))


def test_empty_batch():
    x = nt.zeros(0, 5)
    t = nt.zeros(0, dtype=nt.int64)
    assert np.isnan(F.cross_entropy(x, t).item())
    assert np.isnan(F.cross_entropy(x, t, label_smoothing=0.1).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0
    assert tuple(F.cross_entropy(x, t, reduction="none").shape) == (0,)
    assert np.isnan(F.nll_loss(x, t).item())
    assert np.isnan(F.cross_entropy(x, nt.zeros(0, 5)).item())
    assert F.cross_entropy(x, nt.zeros(0, 5), reduction="sum").item() == 0.0
    out = F.cross_entropy(nt.zeros(0, 5, 2), nt.zeros(0, 2, dtype=nt.int64), reduction="none")
    assert tuple(out.shape) == (0, 2)


def test_extreme_logits_are_stable():
    x = np.array([[1e4, 0.0, -1e4], [-1e30, 1e30, 0.0], [-np.inf, 0.0, 1.0]], np.float32)
    t = np.array([1, 1, 2])
    check(F.cross_entropy(_t(x), _t(t), reduction="none"), ref_ce(x, t, reduction="none"), nt.float32)
    assert F.cross_entropy(_t(x[2:]), _t(np.array([0]))).item() == np.inf


# ---------------------------------------------------------------------------------------------------------
# cross_entropy with class probabilities
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (5,), (3, 4, 2), (2, 3, 2, 2)])
def test_cross_entropy_probabilities(rng, shape, reduction):
    c = shape[1] if len(shape) > 1 else shape[0]
    x = random_array(rng, shape, nt.float32)
    p = rng.random(shape).astype(np.float32)
    w = rng.uniform(0.5, 2.0, c).astype(np.float32)
    for weight in (None, w):
        for ls in (0.0, 0.2):
            got = F.cross_entropy(_t(x), _t(p), weight=None if weight is None else _t(weight), reduction=reduction,
                                  label_smoothing=ls)
            check(got, ref_ce_probs(x, p, weight, reduction, ls), nt.float32)


def test_probabilities_dtypes(rng):
    for xdt, pdt, res in ((nt.float32, nt.float64, nt.float64), (nt.float64, nt.float32, nt.float64),
                          (nt.float16, nt.float32, nt.float32), (nt.float16, nt.float16, nt.float16)):
        x = random_array(rng, (4, 3), xdt)
        p = rng.random((4, 3)).astype(pdt.np)
        check(F.cross_entropy(_t(x), _t(p)), ref_ce_probs(x, p), res)
    x = random_array(rng, (4, 3), nt.float32)
    pt = _t(rng.random((3, 4)).astype(np.float32)).t()
    check(F.cross_entropy(_t(x), pt), ref_ce_probs(x, pt.numpy()), nt.float32)


# ---------------------------------------------------------------------------------------------------------
# class-loss errors
# ---------------------------------------------------------------------------------------------------------
def test_class_loss_errors():
    x = nt.zeros(3, 5)
    for fn in (F.cross_entropy, F.nll_loss):
        _raises(IndexError, "Target 5 is out of bounds.", fn, x, nt.tensor([1, 0, 5]))
        _raises(IndexError, "Target -1 is out of bounds.", fn, x, nt.tensor([1, 0, -1]))
        _raises(IndexError, "Target -5 is out of bounds.", fn, nt.zeros(3, 5, 2), nt.tensor([[1, 0], [-5, 1], [0, 0]]))
        _raises(RuntimeError, "expected target dtype to be Long or Byte, but got Int", fn, x,
                nt.tensor([1, 0, 2], dtype=nt.int32))
        _raises(RuntimeError, "expected target dtype to be Long or Byte, but got Float", fn, x, nt.tensor([1.0, 0, 2]))
        _raises(ValueError, "Expected input batch_size (3) to match target batch_size (2).", fn, x, nt.tensor([1, 0]))
        _raises(ValueError, "Expected input batch_size (3) to match target batch_size (0).", fn, x, nt.tensor(1))
        _raises(RuntimeError, "Expected target size [3, 2], got [3, 3]", fn, nt.zeros(3, 5, 2),
                nt.zeros(3, 3, dtype=nt.int64))
        _raises(RuntimeError, "only batches of spatial targets supported (3D tensors) but got targets of dimension: 2",
                fn, nt.zeros(2, 3, 4, 5), nt.zeros(2, 20, dtype=nt.int64))
        _raises(RuntimeError, "size mismatch (got input: [2, 3, 4, 5] , target: [2, 4, 6]", fn, nt.zeros(2, 3, 4, 5),
                nt.zeros(2, 4, 6, dtype=nt.int64))
        _raises(RuntimeError, "weight tensor should be defined either for all 5 classes or no classes but got weight "
                "tensor of shape: [4]", fn, x, nt.tensor([1, 0, 2]), weight=nt.ones(4))
        _raises(RuntimeError, "expected scalar type Float but found Double", fn, x, nt.tensor([1, 0, 2]),
                weight=nt.ones(5, dtype=nt.float64))
        _raises(ValueError, "foo is not a valid value for reduction", fn, x, nt.tensor([1, 0, 2]), reduction="foo")
        _raises(IndexError, "Target 0 is out of bounds.", fn, nt.zeros(3, 0), nt.tensor([0, 0, 0]))
    _raises(ValueError, "Expected 1 or more dimensions (got 0)", F.nll_loss, nt.tensor(1.0), nt.tensor(0))
    _raises(RuntimeError, "0D or 1D target tensor expected, multi-target not supported", F.nll_loss, x,
            nt.zeros(3, 4, dtype=nt.int64))
    _raises(NotImplementedError, "\"nll_loss_out_frame\" not implemented for 'Long'", F.nll_loss,
            nt.zeros(3, 5, dtype=nt.int64), nt.tensor([1, 0, 2]))
    _raises(NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'", F.cross_entropy,
            nt.zeros(3, 5, dtype=nt.int64), nt.tensor([1, 0, 2]))
    _raises(RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5", F.cross_entropy, x,
            nt.tensor([1, 0, 2]), label_smoothing=1.5)
    _raises(RuntimeError, "Expected floating point type for target with class probabilities, got Long",
            F.cross_entropy, x, nt.zeros(3, 5, dtype=nt.int64))
    _raises(RuntimeError, "ignore_index is not supported for floating point target", F.cross_entropy, x,
            nt.zeros(3, 5), ignore_index=1)
    _raises(RuntimeError, "cross_entropy: weight tensor should be defined either for all 5 classes or no classes but "
            "got weight tensor of shape: [4]", F.cross_entropy, x, nt.zeros(3, 5), weight=nt.ones(4))
    _raises(IndexError, "Dimension specified as 1 but tensor has no dimensions", F.cross_entropy, nt.tensor(1.0),
            nt.tensor(0.5))
    with pytest.raises(TypeError):
        F.cross_entropy(np.zeros((3, 5)), nt.tensor([1, 0, 2]))


def test_legacy_reduction_arguments(rng):
    x = random_array(rng, (4, 3), nt.float32)
    t = np.array([0, 2, 1, 2])
    with pytest.warns(UserWarning, match=re.escape("please use reduction='sum' instead")) as record:
        got = F.nll_loss(_t(x), _t(t), size_average=False)
    assert record[0].filename == __file__
    check(got, ref_nll(x, t, reduction="sum"), nt.float32)
    with pytest.warns(UserWarning, match=re.escape("please use reduction='none' instead")):
        got = F.cross_entropy(_t(x), _t(t), reduce=False)
    check(got, ref_ce(x, t, reduction="none"), nt.float32)
    with pytest.warns(UserWarning, match=re.escape("please use reduction='mean' instead")) as record:
        got = F.mse_loss(_t(x), _t(x * 2), size_average=True, reduce=True)
    assert record[0].filename == __file__
    check(got, np.mean(x.astype(np.float64) ** 2), nt.float32)


# ---------------------------------------------------------------------------------------------------------
# mse_loss / l1_loss
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("dt", FLOAT_DTYPES)
def test_mse_l1(rng, op, dt):
    f = (lambda d: d * d) if op == "mse_loss" else np.abs
    for shape in ((), (1,), (7,), (3, 4)):
        a, b = random_array(rng, shape, dt), random_array(rng, shape, dt)
        w = rng.uniform(0, 2, shape).astype(dt.np)
        d = a.astype(np.float64) - b.astype(np.float64)
        for reduction in REDUCTIONS:
            check(getattr(F, op)(_t(a), _t(b), reduction=reduction), reduce(f(d), reduction, d.size), dt)
            wl = f(d) * w
            check(getattr(F, op)(_t(a), _t(b), reduction=reduction, weight=_t(w)), reduce(wl, reduction, w.sum()), dt)


@pytest.mark.parametrize("op", ["mse_loss", "l1_loss"])
def test_mse_l1_broadcast_and_layouts(rng, op):
    f = (lambda d: d * d) if op == "mse_loss" else np.abs
    a = random_array(rng, (3, 1), nt.float32)
    b = random_array(rng, (4,), nt.float64)
    with pytest.warns(UserWarning, match="different to the input size") as record:
        got = getattr(F, op)(_t(a), _t(b), reduction="none")
    assert record[0].filename == __file__  # the warning points at the caller, as torch's does
    check(got, f(a.astype(np.float64) - b), nt.float64)
    x = random_array(rng, (1, 5, 4), nt.float32)
    y = random_array(rng, (1, 5, 4), nt.float32)
    for _name, tx, arr in layouts(x):
        check(getattr(F, op)(tx, _t(y)), np.mean(f(arr.astype(np.float64) - y)), nt.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(F, op)(_t(y), _t(y))  # equal sizes: no warning


def test_mse_l1_empty_integers_and_errors():
    for op in (F.mse_loss, F.l1_loss):
        assert np.isnan(op(nt.zeros(0), nt.zeros(0)).item())
        assert op(nt.zeros(0), nt.zeros(0), reduction="sum").item() == 0.0
        _raises(ValueError, "x is not a valid value for reduction", op, nt.zeros(3), nt.zeros(3), reduction="x")
        _raises(ValueError, "Weights and input must have the same size.", op, nt.zeros(3), nt.zeros(3),
                weight=nt.ones(2))
        with pytest.raises(RuntimeError), pytest.warns(UserWarning, match="different to the input size"):
            op(nt.zeros(3), nt.zeros(4))
    _raises(NotImplementedError, "\"mse_cpu\" not implemented for 'Long'", F.mse_loss, nt.arange(3), nt.arange(3))
    a, b = nt.tensor([1, 5, -2]), nt.tensor([3, 1, 1])
    got = F.l1_loss(a, b, reduction="none")
    assert got.dtype is nt.int64 and got.tolist() == [2, 4, 3]
    assert F.l1_loss(a, b, reduction="sum").item() == 9
    with pytest.raises(RuntimeError, match="mean"):
        F.l1_loss(a, b)


# ---------------------------------------------------------------------------------------------------------
# binary_cross_entropy / binary_cross_entropy_with_logits
# ---------------------------------------------------------------------------------------------------------
def ref_bce(x, t, w=None):
    x, t = np.asarray(x, np.float64), np.asarray(t, np.float64)
    with np.errstate(divide="ignore"):
        loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))
    return loss if w is None else loss * w


def ref_bce_logits(x, t, w=None, pw=None):
    x, t = np.asarray(x, np.float64), np.asarray(t, np.float64)
    log_sig = -np.logaddexp(0.0, -x)
    lw = 1.0 if pw is None else (np.asarray(pw, np.float64) - 1) * t + 1
    loss = (1 - t) * x - lw * log_sig
    return loss if w is None else loss * w


@pytest.mark.parametrize("dt", FLOAT_DTYPES)
def test_binary_cross_entropy(rng, dt):
    for shape in ((), (5,), (3, 4)):
        x = rng.uniform(0, 1, shape).astype(dt.np)
        t = rng.uniform(0, 1, shape).astype(dt.np)
        w = rng.uniform(0, 2, shape[-1:]).astype(dt.np)
        for reduction in REDUCTIONS:
            check(F.binary_cross_entropy(_t(x), _t(t), reduction=reduction), reduce(ref_bce(x, t), reduction, x.size),
                  dt)
            check(F.binary_cross_entropy(_t(x), _t(t), weight=_t(w), reduction=reduction),
                  reduce(ref_bce(x, t, w), reduction, x.size), dt)


def test_binary_cross_entropy_edges():
    x = np.array([0.0, 1.0, 0.5, 1.0, 0.0], np.float32)
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0], np.float32)
    got = F.binary_cross_entropy(_t(x), _t(t), reduction="none")
    check(got, ref_bce(x, t), nt.float32)
    assert got.numpy()[0] == 100.0  # log(0) clamped at -100
    xt = _t(np.array([[0.2, 0.9], [0.4, 0.6]], np.float32).T.copy()).t()
    tt = _t(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32))
    check(F.binary_cross_entropy(xt, tt), np.mean(ref_bce(xt.numpy(), tt.numpy())), nt.float32)
    check(F.binary_cross_entropy(_t(np.zeros((2, 0), np.float32)), _t(np.zeros((2, 0), np.float32))), np.nan,
          nt.float32)


def test_binary_cross_entropy_errors():
    _raises(RuntimeError, "all elements of input should be between 0 and 1", F.binary_cross_entropy,
            nt.tensor([1.5]), nt.tensor([1.0]))
    _raises(RuntimeError, "all elements of input should be between 0 and 1", F.binary_cross_entropy,
            nt.tensor([float("nan")]), nt.tensor([1.0]))
    _raises(RuntimeError, "all elements of target should be between 0 and 1", F.binary_cross_entropy,
            nt.tensor([0.5]), nt.tensor([-0.5]))
    _raises(ValueError, "Using a target size (ntorch.Size([1])) that is different to the input size "
            "(ntorch.Size([2])) is deprecated. Please ensure they have the same size.", F.binary_cross_entropy,
            nt.tensor([0.5, 0.2]), nt.tensor([1.0]))
    _raises(RuntimeError, "Found dtype Double but expected Float", F.binary_cross_entropy, nt.tensor([0.5]),
            nt.tensor([1.0], dtype=nt.float64))
    _raises(NotImplementedError, "\"binary_cross_entropy\" not implemented for 'Long'", F.binary_cross_entropy,
            nt.tensor([1]), nt.tensor([1]))
    _raises(RuntimeError, "output with shape [1, 2] doesn't match the broadcast shape [2, 2]",
            F.binary_cross_entropy, nt.tensor([[0.5, 0.2]]), nt.tensor([[1.0, 0.0]]), weight=nt.ones(2, 1))
    with pytest.raises(RuntimeError, match="broadcast"):
        F.binary_cross_entropy(nt.tensor([[0.5, 0.2]]), nt.tensor([[1.0, 0.0]]), weight=nt.ones(3))


@pytest.mark.parametrize("dt", FLOAT_DTYPES)
def test_binary_cross_entropy_with_logits(rng, dt):
    for shape in ((), (5,), (3, 4)):
        x = random_array(rng, shape, dt, -20, 20)
        t = rng.uniform(0, 1, shape).astype(dt.np)
        w = rng.uniform(0, 2, shape[-1:]).astype(dt.np)
        pw = rng.uniform(0.5, 3, shape[-1:]).astype(dt.np)
        for reduction in REDUCTIONS:
            check(F.binary_cross_entropy_with_logits(_t(x), _t(t), reduction=reduction),
                  reduce(ref_bce_logits(x, t), reduction, x.size), dt)
            got = F.binary_cross_entropy_with_logits(_t(x), _t(t), weight=_t(w), pos_weight=_t(pw), reduction=reduction)
            check(got, reduce(ref_bce_logits(x, t, w, pw), reduction, x.size), dt)


def test_binary_cross_entropy_with_logits_stability_and_dtypes():
    x = np.array([100.0, -100.0, 1e4, -1e4, 0.0], np.float32)
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.5], np.float32)
    got = F.binary_cross_entropy_with_logits(_t(x), _t(t), reduction="none")
    check(got, ref_bce_logits(x, t), nt.float32)
    inf = F.binary_cross_entropy_with_logits(_t(np.array([np.inf, -np.inf], np.float32)),
                                             _t(np.array([0.0, 1.0], np.float32)), reduction="none").numpy()
    assert inf[0] == np.inf and np.isnan(inf[1])  # (1 - t) * x with t = 1, x = -inf is nan, as torch
    x64 = np.array([0.5, -2.0])
    t32 = np.array([1.0, 0.0], np.float32)
    check(F.binary_cross_entropy_with_logits(_t(x64.astype(np.float32)), _t(t32.astype(np.float64))),
          np.mean(ref_bce_logits(x64.astype(np.float32), t32)), nt.float64)
    check(F.binary_cross_entropy_with_logits(_t(x64.astype(np.float16)), _t(t32)),
          np.mean(ref_bce_logits(x64.astype(np.float16), t32)), nt.float32)


def test_binary_cross_entropy_with_logits_errors():
    _raises(ValueError, "Target size (ntorch.Size([1])) must be the same as input size (ntorch.Size([2]))",
            F.binary_cross_entropy_with_logits, nt.tensor([0.5, 0.2]), nt.tensor([1.0]))
    _raises(NotImplementedError, "\"log_sigmoid_cpu\" not implemented for 'Long'", F.binary_cross_entropy_with_logits,
            nt.tensor([1, 0]), nt.tensor([1.0, 0.0]))
    _raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
            F.binary_cross_entropy_with_logits, nt.tensor([0.5, 0.2]), nt.tensor([1, 0]))
    _raises(RuntimeError, "output with shape [2] doesn't match the broadcast shape [2, 2]",
            F.binary_cross_entropy_with_logits, nt.tensor([0.5, 0.2]), nt.tensor([1.0, 0.0]),
            pos_weight=nt.ones(2, 1))


# ---------------------------------------------------------------------------------------------------------
# linear_cross_entropy / LinearCrossEntropyLoss (torch 2.13's reference path)
# ---------------------------------------------------------------------------------------------------------
def _ref_linear_ce(x, lw, b, t, **kw):
    """logits = x @ W.T + b with W's middle dims (C, d1..dK, in) moved after the batch dim, then ref_ce."""
    x, lw = np.asarray(x, np.float64), np.asarray(lw, np.float64)
    logits = np.einsum("...i,ci->...c", x, lw.reshape(-1, lw.shape[-1]))
    if b is not None:
        logits = logits + np.asarray(b, np.float64).reshape(-1)
    logits = logits.reshape(x.shape[:-1] + lw.shape[:-1])
    return ref_ce(logits, t, **kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("xshape,wshape,tshape", [((6, 4), (5, 4), (6,)), ((4,), (5, 4), ()),
                                                  ((3, 4), (5, 2, 4), (3, 2))])
def test_linear_cross_entropy(rng, xshape, wshape, tshape, reduction):
    x, w = rng.standard_normal(xshape), rng.standard_normal(wshape)
    b = rng.standard_normal(wshape[:-1])
    t = rng.integers(0, wshape[0], tshape)
    cw = rng.uniform(0.5, 2.0, wshape[0])
    got = F.linear_cross_entropy(_t(x), _t(w), _t(t), linear_bias=_t(b), weight=_t(cw), reduction=reduction,
                                 label_smoothing=0.1)
    check(got, _ref_linear_ce(x, w, b, t, w=cw, reduction=reduction, ls=0.1), nt.float64)
    got = F.linear_cross_entropy(_t(x), _t(w), _t(t), reduction=reduction, ignore_index=1)
    check(got, _ref_linear_ce(x, w, None, t, ignore_index=1, reduction=reduction), nt.float64)


def test_linear_cross_entropy_gradients(rng):
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    t = rng.integers(0, 4, 5)
    xt, wt, bt = (nt.tensor(a, requires_grad=True) for a in (x, w, b))
    F.linear_cross_entropy(xt, wt, _t(t), linear_bias=bt).backward()
    eps = 1e-6
    for got, base, name in ((xt.grad, x, "x"), (wt.grad, w, "lw"), (bt.grad, b, "b")):
        expected = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            args = {"x": x, "lw": w, "b": b}
            hi, lo = base.copy(), base.copy()
            hi[i] += eps
            lo[i] -= eps
            f = [_ref_linear_ce(**{**args, name: v}, t=t) for v in (hi, lo)]
            expected[i] = (f[0] - f[1]) / (2 * eps)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_linear_cross_entropy_probabilities_and_errors(rng):
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    p = rng.dirichlet(np.ones(5), 3)
    logits = x @ w.T
    check(F.linear_cross_entropy(_t(x), _t(w), _t(p)), ref_ce_probs(logits, p), nt.float64)
    _raises(RuntimeError, "ignore_index cannot be specified when target contains probabilities",
            F.linear_cross_entropy, _t(x), _t(w), _t(p), ignore_index=0)
    _raises(RuntimeError, "expected input with dimensionality 1 or 2, got 3", F.linear_cross_entropy,
            _t(x[None]), _t(w), _t(p))
    _raises(RuntimeError, "expected linear_weight with dimensionality at least 2, got 1", F.linear_cross_entropy,
            _t(x), _t(w[0]), _t(p))
    _raises(RuntimeError, "expected equal input and linear_weight last dimensions (in_features), got 4 and 3, "
            "respectively", F.linear_cross_entropy, _t(x), _t(w[:, :3]), _t(p))
    _raises(RuntimeError, "expected linear_bias shape (5,), got (4,)", F.linear_cross_entropy, _t(x), _t(w),
            _t(p), linear_bias=_t(np.zeros(4)))
    _raises(RuntimeError, "K-dimensional loss defined by linear_weight shape (5, 2, 4) requires batched input, "
            "(N, 4), got unbatched input with shape (4,)", F.linear_cross_entropy, _t(x[0]),
            _t(np.zeros((5, 2, 4))), _t(np.zeros(2, np.int64)))


def test_linear_cross_entropy_loss_module(rng):
    loss = nt.nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True, dtype=nt.float64, label_smoothing=0.2,
                                        options=nt.nn.LinearCrossEntropyOptions(batch_chunk_size=2))
    assert tuple(loss.linear.weight.shape) == (6, 4) and tuple(loss.linear.bias.shape) == (6,)
    x, t = rng.standard_normal((5, 4)), rng.integers(0, 3, (5, 2))
    w, b = loss.linear.weight.detach().numpy(), loss.linear.bias.detach().numpy()
    check(loss(_t(x), _t(t)), _ref_linear_ce(x, w.reshape(3, 2, 4), b, t, ls=0.2), nt.float64)
    with pytest.raises(RuntimeError, match=r"expected weight shape to be \(3,\), got \(2,\)"):
        nt.nn.LinearCrossEntropyLoss(4, 3, weight=nt.ones(2))
    with pytest.raises(ValueError, match="invalid acc_policy: 'fast'"):
        nt.nn.LinearCrossEntropyOptions(acc_policy="fast")
    with pytest.raises(ValueError, match="batch_chunk_size must be positive int or None, got 0"):
        nt.nn.LinearCrossEntropyOptions(batch_chunk_size=0)
