"""The composite torch.nn.functional ops (activations, the composed losses, distances, pixel_shuffle, embedding,
batch / instance / group / rms / local response norm, scaled_dot_product_attention) against NumPy references
written from PyTorch's definitions: float32 and float64, reductions, size-0 batches, PyTorch's errors, and
gradcheck in float64 for every differentiable one."""

import math
import re
import warnings

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck

TOL = {nt.float32: 2e-5, nt.float64: 1e-12}
DTYPES = [nt.float32, nt.float64]
REDUCTIONS = ["none", "mean", "sum"]


def arr(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def T(a, dt=nt.float64, grad=False):
    t = nt.tensor(np.asarray(a), dtype=dt)
    return t.requires_grad_() if grad else t


def check(got, expected, dt=nt.float64, tol=None):
    assert got.dtype is dt
    expected = np.asarray(expected, np.float64)
    assert tuple(got.shape) == expected.shape, (tuple(got.shape), expected.shape)
    tol = TOL[dt] if tol is None else tol
    np.testing.assert_allclose(got.detach().numpy().astype(np.float64), expected, rtol=tol, atol=tol,
                               equal_nan=True)


def raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else (loss.mean() if loss.size else np.nan)


def np_softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def np_logsigmoid(x):
    return -np_softplus(-x)


# ---------------------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------------------
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
ACTIVATIONS = {
    "elu": (lambda x: F.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(np.minimum(x, 0)))),
    "celu": (lambda x: F.celu(x, 2.0), lambda x: np.where(x > 0, x, 2.0 * np.expm1(np.minimum(x, 0) / 2))),
    "selu": (F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0)))),
    "mish": (F.mish, lambda x: x * np.tanh(np_softplus(x))),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "hardshrink": (lambda x: F.hardshrink(x, 0.8), lambda x: np.where(np.abs(x) > 0.8, x, 0)),
    "softshrink": (lambda x: F.softshrink(x, 0.8),
                   lambda x: np.where(x > 0.8, x - 0.8, np.where(x < -0.8, x + 0.8, 0))),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x)),
    "logsigmoid": (F.logsigmoid, np_logsigmoid),
    "threshold": (lambda x: F.threshold(x, 0.5, -2.0), lambda x: np.where(x > 0.5, x, -2.0)),
    "rrelu": (F.rrelu, lambda x: np.where(x >= 0, x, x * (1 / 8 + 1 / 3) / 2)),
    "softmin": (lambda x: F.softmin(x, 1), lambda x: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
    "glu": (lambda x: F.glu(x, 1), lambda x: x[:, :2] / (1 + np.exp(-x[:, 2:]))),
    "prelu": (lambda x: F.prelu(x, T([0.1, -0.2, 0.3, 0.4], x.dtype)),
              lambda x: np.where(x > 0, x, x * np.array([0.1, -0.2, 0.3, 0.4])[:, None])),
}


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(3, 4, 5), (0, 4, 2)])
def test_activation_values(name, dt, shape):
    fn, ref = ACTIVATIONS[name]
    a = arr(shape, 1).astype(dt.np)
    a.reshape(-1)[:2] = [40.0, -40.0][: a.size]  # far tails: no overflow, no nan
    check(fn(T(a, dt)), ref(a.astype(np.float64)), dt)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradcheck(name):
    fn = ACTIVATIONS[name][0]
    a = arr((2, 4, 3), 2)
    a[np.abs(np.abs(a) - 0.8) < 1e-3] += 0.01  # away from the kinks
    a[np.abs(np.abs(a) - 3.0) < 1e-3] += 0.01
    a[np.abs(a - 0.5) < 1e-3] += 0.01
    assert gradcheck(fn, (T(a, grad=True),))


def test_activation_tail_gradients_are_finite():
    x = T([60.0, -60.0, 800.0, -800.0], grad=True)
    for fn in (F.elu, F.celu, F.selu, F.mish, F.logsigmoid):
        x.grad = None
        fn(x).sum().backward()
        assert np.isfinite(x.grad.numpy()).all(), fn


def test_prelu_single_weight_and_weight_grad():
    a, w = arr((2, 3), 3), np.array([0.25])
    check(F.prelu(T(a), T(w)), np.where(a > 0, a, 0.25 * a))
    assert gradcheck(lambda x, w: F.prelu(x, w), (T(a, grad=True), T([0.3, -0.1, 0.5], grad=True)))


@pytest.mark.parametrize("name", ["elu", "celu", "selu", "mish", "hardswish", "hardsigmoid", "threshold", "rrelu"])
def test_activation_inplace(name):
    """inplace=True writes the out-of-place result (checked against NumPy above) into the input."""
    args = (0.5, -2.0) if name == "threshold" else ()
    a = arr((3, 4), 4)
    expected = getattr(F, name)(T(a), *args).numpy()
    t = T(a)
    out = getattr(F, name)(t, *args, inplace=True)
    assert out is t
    check(t, expected)


def test_inplace_underscore_variants():
    a = arr((5,), 5)
    t = T(a)
    assert F.elu_(t) is t
    check(t, np.where(a > 0, a, np.expm1(np.minimum(a, 0))))
    t = T(a)
    F.threshold_(t, 0.0, 9.0)
    check(t, np.where(a > 0, a, 9.0))


def test_rrelu_training_draws_slopes_in_range():
    a = -np.abs(arr((400,), 6)) - 0.1
    nt.manual_seed(0)
    out = F.rrelu(T(a), 0.1, 0.3, training=True).numpy()
    slopes = out / a
    assert (slopes >= 0.1 - 1e-12).all() and (slopes <= 0.3 + 1e-12).all()
    assert slopes.std() > 0.03  # one draw per element, not one for all
    nt.manual_seed(0)
    np.testing.assert_array_equal(F.rrelu(T(a), 0.1, 0.3, training=True).numpy(), out)
    pos = np.abs(a)
    check(F.rrelu(T(pos), training=True), pos)


def test_softmin_implicit_dim_warns():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = F.softmin(T(arr((2, 3))))
    assert any("Implicit dimension choice for softmin" in str(m.message) for m in w)
    check(out.sum(1), np.ones(2))
    assert F.softmin(T(arr((2, 3)), nt.float32), 1, dtype=nt.float64).dtype is nt.float64


def test_activation_errors():
    raises(RuntimeError, "ZeroDivisionError: alpha cannot be 0 for CELU", F.celu, T([1.0]), 0.0)
    raises(NotImplementedError, "\"elu_cpu\" not implemented for 'Long'", F.elu, nt.tensor([1, 2]))
    raises(NotImplementedError, "\"mish_cpu\" not implemented for 'Long'", F.mish, nt.tensor([1, 2]))
    raises(RuntimeError, "lambda must be in range [0, 3.40282e+38] for input dtype Float, but found -1",
           F.softshrink, T([1.0], nt.float32), -1)
    raises(RuntimeError, "Halving dimension must be even, but dimension 0 is size 3", F.glu, T([1.0, 2, 3]))
    raises(RuntimeError, "glu does not support scalars because halving size must be even", F.glu, T(1.0))
    raises(RuntimeError, "Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and "
           "channel size = 3.", F.prelu, T(arr((2, 3))), T([0.1, 0.2]))
    raises(RuntimeError, "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2", F.prelu,
           T(arr((2, 3))), T(arr((1, 3))))
    raises(RuntimeError, "Lower bound should be less than or equal to the upper bound", F.rrelu, T([1.0]), 0.5, 0.1)


def test_integer_activations_that_torch_allows():
    check(F.threshold(nt.tensor([0, 1, 2]), 1, 5), [5, 5, 2], nt.int64, 0)
    check(F.softsign(nt.tensor([0, 1, 2])), [0, 0.5, 2 / 3], nt.float32)


# ---------------------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------------------
def _x(shape=(3, 4), seed=0):
    return arr(shape, seed)


def _pos(shape=(3, 4), seed=1):
    return arr(shape, seed, 0.1, 3.0)


def _sign(shape=(3, 4), seed=2):
    return np.where(arr(shape, seed) > 0, 1.0, -1.0)


def np_cos_embedding(a, b, y, margin):
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    return np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(cos - margin, 0), 0)


def np_multi_margin(x, y, p, margin, w):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                out[i] += max(0.0, margin - x[i, y[i]] + x[i, j]) ** p * (w[y[i]] if w is not None else 1.0)
    return out / c


def np_pairwise(a, b, p, eps):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1 / p)


def np_stirling(t):
    safe = np.where(t > 1, t, 1.0)
    return np.where(t > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0)


W4 = arr((4,), 7, 0.2, 2.0)
# name -> (ntorch call on float tensors, the NumPy per-element loss, the input arrays, which inputs get gradients)
LOSSES = {
    "smooth_l1_loss": (lambda x, t, **k: F.smooth_l1_loss(x, t, beta=0.7, **k),
                       lambda x, t: np.where(np.abs(x - t) < 0.7, 0.5 * (x - t) ** 2 / 0.7, np.abs(x - t) - 0.35),
                       (_x(), _x(seed=1)), (0, 1)),
    "smooth_l1_loss_beta0": (lambda x, t, **k: F.smooth_l1_loss(x, t, beta=0.0, **k), lambda x, t: np.abs(x - t),
                             (_x(), _x(seed=1)), (0,)),
    "huber_loss": (lambda x, t, **k: F.huber_loss(x, t, delta=0.7, **k),
                   lambda x, t: np.where(np.abs(x - t) < 0.7, 0.5 * (x - t) ** 2, 0.7 * (np.abs(x - t) - 0.35)),
                   (_x(), _x(seed=1)), (0, 1)),
    "huber_loss_weight": (lambda x, t, w, **k: F.huber_loss(x, t, weight=w, **k),
                          lambda x, t, w: w * np.where(np.abs(x - t) < 1, 0.5 * (x - t) ** 2, np.abs(x - t) - 0.5),
                          (_x(), _x(seed=1), _pos()), (0, 1, 2)),
    "kl_div": (lambda x, t, **k: F.kl_div(x, t, **k), lambda x, t: np.where(t > 0, t * np.log(np.where(
        t > 0, t, 1)), 0) - t * x, (_x(), _pos() * (_x(seed=3) > -1)), (0,)),  # not differentiable at t = 0
    "kl_div_positive": (lambda x, t, **k: F.kl_div(x, t, **k), lambda x, t: t * np.log(t) - t * x, (_x(), _pos()),
                        (0, 1)),
    "kl_div_log_target": (lambda x, t, **k: F.kl_div(x, t, log_target=True, **k),
                          lambda x, t: np.exp(t) * (t - x), (_x(), _x(seed=1)), (0, 1)),
    "soft_margin_loss": (F.soft_margin_loss, lambda x, y: np.log1p(np.exp(-y * x)), (_x(), _sign()), (0, 1)),
    "margin_ranking_loss": (lambda a, b, y, **k: F.margin_ranking_loss(a, b, y, margin=0.3, **k),
                            lambda a, b, y: np.maximum(-y * (a - b) + 0.3, 0), (_x(), _x(seed=1), _sign()),
                            (0, 1)),
    "hinge_embedding_loss": (lambda x, y, **k: F.hinge_embedding_loss(x, y, margin=0.5, **k),
                             lambda x, y: np.where(y == 1, x, np.maximum(0.5 - x, 0)), (_x(), _sign()), (0,)),
    "cosine_embedding_loss": (lambda a, b, y, **k: F.cosine_embedding_loss(a, b, y, margin=0.1, **k),
                              lambda a, b, y: np_cos_embedding(a, b, y, 0.1),
                              (_x(), _x(seed=1), _sign((3,))), (0, 1)),
    "poisson_nll_loss": (F.poisson_nll_loss, lambda x, t: np.exp(x) - t * x, (_x(), _pos() * 2), (0, 1)),
    "poisson_nll_loss_full": (lambda x, t, **k: F.poisson_nll_loss(x, t, log_input=False, full=True, **k),
                              lambda x, t: x - t * np.log(x + 1e-8) + np_stirling(t), (_pos(), _pos(seed=4) * 2),
                              (0,)),
    "gaussian_nll_loss": (lambda x, t, v, **k: F.gaussian_nll_loss(x, t, v, **k),
                          lambda x, t, v: 0.5 * (np.log(v) + (x - t) ** 2 / v), (_x(), _x(seed=1), _pos()),
                          (0, 1, 2)),
    "gaussian_nll_loss_short_var": (lambda x, t, v, **k: F.gaussian_nll_loss(x, t, v, full=True, **k),
                                    lambda x, t, v: 0.5 * (np.log(v[:, None]) + (x - t) ** 2 / v[:, None]
                                                           + np.log(2 * np.pi)),
                                    (_x(), _x(seed=1), _pos((3,))), (0, 2)),
    "multilabel_soft_margin_loss": (
        lambda x, y, w, **k: F.multilabel_soft_margin_loss(x, y, w, **k),
        lambda x, y, w: -(w * (y * np_logsigmoid(x) + (1 - y) * np_logsigmoid(-x))).mean(-1),
        (_x(), (_sign() > 0) * 1.0, W4), (0, 2)),
    "triplet_margin_loss": (lambda a, p, n, **k: F.triplet_margin_loss(a, p, n, margin=0.5, p=1.5, **k),
                            lambda a, p, n: np.maximum(np_pairwise(a, p, 1.5, 1e-6) - np_pairwise(a, n, 1.5, 1e-6)
                                                       + 0.5, 0), (_x(), _x(seed=1), _x(seed=2)), (0, 1, 2)),
    "triplet_margin_loss_swap": (lambda a, p, n, **k: F.triplet_margin_loss(a, p, n, swap=True, **k),
                                 lambda a, p, n: np.maximum(np_pairwise(a, p, 2, 1e-6) - np.minimum(
                                     np_pairwise(a, n, 2, 1e-6), np_pairwise(p, n, 2, 1e-6)) + 1, 0),
                                 (_x(), _x(seed=1), _x(seed=2)), (0, 1, 2)),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_values(name, dt, reduction):
    fn, ref, arrays, _ = LOSSES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = fn(*(T(a, dt) for a in arrays), reduction=reduction)
    check(got, reduce(ref(*arrays), reduction), dt)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradcheck(name):
    fn, _, arrays, grads = LOSSES[name]
    ins = tuple(T(a, grad=i in grads) for i, a in enumerate(arrays))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for reduction in ("none", "mean"):
            assert gradcheck(lambda *xs, r=reduction: fn(*xs, reduction=r), ins)


@pytest.mark.parametrize("name", ["smooth_l1_loss", "huber_loss", "soft_margin_loss", "poisson_nll_loss",
                                  "hinge_embedding_loss", "kl_div_log_target"])
def test_loss_empty_batch(name):
    fn = LOSSES[name][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(fn(T(np.zeros((0, 4))), T(np.zeros((0, 4)))).item())
        check(fn(T(np.zeros((0, 4))), T(np.zeros((0, 4))), reduction="sum"), 0.0)
        assert tuple(fn(T(np.zeros((0, 4))), T(np.zeros((0, 4))), reduction="none").shape) == (0, 4)


def test_kl_div_batchmean_and_mean_warning():
    x, t = _x(), _pos()
    check(F.kl_div(T(x), T(t), reduction="batchmean"), (t * np.log(t) - t * x).sum() / 3)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        F.kl_div(T(x), T(t))
    check(F.kl_div(T(1.0), T(2.0), reduction="batchmean"), 2 * np.log(2) - 2)


def test_broadcast_target_warns():
    with pytest.warns(UserWarning, match="Using a target size"):
        got = F.smooth_l1_loss(T(_x((4,))), T(_x((3, 4), 1)), reduction="none")
    assert tuple(got.shape) == (3, 4)


def test_gaussian_nll_scalar_var_and_clamp():
    x, t = _x(), _x(seed=1)
    check(F.gaussian_nll_loss(T(x), T(t), 0.5, reduction="sum"), (0.5 * (np.log(0.5) + (x - t) ** 2 / 0.5)).sum())
    v = T(np.full((3, 4), 1e-9), grad=True)
    loss = F.gaussian_nll_loss(T(x), T(t), v, eps=1e-3, reduction="sum")
    check(loss, (0.5 * (np.log(1e-3) + (x - t) ** 2 / 1e-3)).sum(), tol=1e-9)
    loss.backward()
    check(v.grad, 0.5 * (1 / 1e-3 - (x - t) ** 2 / 1e-6), tol=1e-6)  # the clamped value's gradient flows to var
    check(F.gaussian_nll_loss(T(x), T(t), T(_pos((3, 1))), reduction="none"),
          0.5 * (np.log(_pos((3, 1))) + (x - t) ** 2 / _pos((3, 1))))


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(p, weighted, reduction):
    x, y = _x(), np.array([0, 3, 1])
    w = W4 if weighted else None
    got = F.multi_margin_loss(T(x), nt.tensor(y), p=p, margin=0.7, weight=T(w) if weighted else None,
                              reduction=reduction)
    check(got, reduce(np_multi_margin(x, y, p, 0.7, w), reduction))
    f = lambda x, w: F.multi_margin_loss(x, nt.tensor(y), p=p, margin=0.7, weight=w, reduction=reduction)  # noqa
    assert gradcheck(f, (T(x, grad=True), T(W4, grad=weighted)) if weighted else (T(x, grad=True), None))
    check(F.multi_margin_loss(T(x[0]), nt.tensor(2), reduction="none"), np_multi_margin(x[:1], [2], 1, 1.0, None)[0])


def test_loss_errors():
    x = T(_x())
    raises(RuntimeError, "smooth_l1_loss does not support negative values for beta.", F.smooth_l1_loss, x, x,
           beta=-1)
    raises(RuntimeError, "huber_loss does not support non-positive values for delta.", F.huber_loss, x, x, delta=0)
    raises(ValueError, "bad is not a valid value for reduction", F.soft_margin_loss, x, x, reduction="bad")
    raises(RuntimeError, "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
           f"input1: {x.shape}, input2: {x.shape}, target: {x[0].shape} ", F.margin_ranking_loss, x, x, x[0])
    raises(RuntimeError, "1D target tensor expects 2D input tensors, but found inputs with sizes [1, 3, 4] and "
           "[1, 3, 4].", F.cosine_embedding_loss, x[None], x[None], T([1.0, 1, 1]))
    raises(RuntimeError, "0D target tensor expects 1D input tensors, but found inputs with sizes [3, 4] and "
           "[3, 4].", F.cosine_embedding_loss, x, x, T(1.0))
    raises(ValueError, "var has negative entry/entries", F.gaussian_nll_loss, x, x, -x.abs())
    raises(ValueError, "var has negative entry/entries", F.gaussian_nll_loss, x, x, -1.0)
    raises(ValueError, "var is of incorrect size", F.gaussian_nll_loss, x, x, T(np.ones(4)))
    raises(ValueError, "var is of incorrect size", F.gaussian_nll_loss, x, x, T(np.ones((2, 2))))
    raises(RuntimeError, "The anchor, positive, and negative tensors are expected to have the same number of "
           "dimensions, but got: anchor 2D, positive 2D, and negative 1D inputs", F.triplet_margin_loss, x, x, x[0])
    y = nt.tensor([0, 1, 2])
    raises(ValueError, "only p == 1 and p == 2 supported", F.multi_margin_loss, x, y, p=3)
    raises(RuntimeError, "target out of range", F.multi_margin_loss, x, nt.tensor([0, 1, 4]))
    raises(RuntimeError, "multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
           "samples (batch size). Expected target size [3], but got [1]. Input has shape [3, 4].",
           F.multi_margin_loss, x, nt.tensor([0]))
    raises(RuntimeError, "inconsistent weight size, expected 4 but got [2]", F.multi_margin_loss, x, y,
           weight=T([1.0, 1]))
    raises(RuntimeError, "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [2, 3, 4]",
           F.multi_margin_loss, T(np.zeros((2, 3, 4))), nt.tensor([0, 1]))
    raises(RuntimeError, "expected scalar type Long but found Float", F.multi_margin_loss, x,
           nt.tensor([0.0, 1, 2]))
    raises(RuntimeError, "output with shape [4] doesn't match the broadcast shape [3, 4]", F.soft_margin_loss, x[0], x)


# ---------------------------------------------------------------------------------------------------------
# Distances, pixel_shuffle, embedding
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
def test_distances(dt):
    a, b = _x((5, 3)), _x((5, 3), 1)
    check(F.pairwise_distance(T(a, dt), T(b, dt)), np_pairwise(a, b, 2, 1e-6), dt)
    check(F.pairwise_distance(T(a, dt), T(b[0], dt), p=1.0, keepdim=True), np_pairwise(a, b[:1], 1, 1e-6)[:, None],
          dt)
    na, nb = np.maximum(np.linalg.norm(a, axis=1), 1e-8), np.linalg.norm(b[:1], axis=1)
    check(F.cosine_similarity(T(a, dt), T(b[:1], dt)), (a * b[:1]).sum(1) / (na * nb), dt)
    check(F.cosine_similarity(T(a, dt), T(np.zeros((5, 3)), dt), dim=-1), np.zeros(5), dt)
    i, j = np.triu_indices(5, 1)
    check(F.pdist(T(a, dt)), np.linalg.norm(a[i] - a[j], axis=1), dt)
    check(F.pdist(T(a, dt), 1.0), np.abs(a[i] - a[j]).sum(1), dt)
    check(F.pdist(T(np.zeros((1, 3)), dt)), np.zeros(0), dt)


def test_distance_gradcheck_and_errors():
    a, b = T(_x((4, 3)), grad=True), T(_x((4, 3), 1), grad=True)
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, p=3.0), (a, b))
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b), (a, b))
    assert gradcheck(F.pdist, (a,))
    raises(RuntimeError, "pdist only supports 2D tensors, got: 1D", F.pdist, T([1.0, 2.0]))
    raises(RuntimeError, "expected common dtype to be floating point, yet common dtype is Long",
           F.cosine_similarity, nt.tensor([[1, 2]]), nt.tensor([[1, 2]]))


def test_pixel_shuffle_roundtrip():
    a = arr((2, 8, 3, 2), 3)
    r = 2
    ref = a.reshape(2, 2, r, r, 3, 2).transpose(0, 1, 4, 2, 5, 3).reshape(2, 2, 6, 4)
    check(F.pixel_shuffle(T(a), 2), ref)
    check(F.pixel_unshuffle(T(ref), 2), a)
    check(F.pixel_shuffle(T(np.zeros((0, 4, 1, 1))), 2), np.zeros((0, 1, 2, 2)))
    assert gradcheck(lambda x: F.pixel_shuffle(x, 2), (T(a, grad=True),))
    assert gradcheck(lambda x: F.pixel_unshuffle(x, 2), (T(ref, grad=True),))
    raises(RuntimeError, "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 "
           "dimension(s)", F.pixel_shuffle, T(np.zeros((2, 2))), 2)
    raises(RuntimeError, "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
           "upscale_factor, but input.size(-3)=5 is not divisible by 4", F.pixel_shuffle, T(np.zeros((5, 2, 2))), 2)
    raises(RuntimeError, "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=3 "
           "is not divisible by 2", F.pixel_unshuffle, T(np.zeros((1, 3, 4))), 2)
    raises(RuntimeError, "pixel_shuffle expects a positive upscale_factor, but got 0", F.pixel_shuffle,
           T(np.zeros((4, 2, 2))), 0)


def test_embedding():
    w = arr((5, 3), 4)
    idx = np.array([[0, 2, 4], [2, 2, 1]])
    check(F.embedding(nt.tensor(idx), T(w)), w[idx])
    wt = T(w, grad=True)
    F.embedding(nt.tensor(idx), wt, padding_idx=2).sum().backward()
    expected = np.zeros((5, 3))
    np.add.at(expected, idx.reshape(-1), 1.0)
    expected[2] = 0
    check(wt.grad, expected)
    wt.grad = None
    F.embedding(nt.tensor(idx), wt, scale_grad_by_freq=True).sum().backward()
    check(wt.grad, (np.bincount(idx.reshape(-1), minlength=5) > 0)[:, None] * np.ones((5, 3)))
    assert gradcheck(lambda w: F.embedding(nt.tensor(idx), w), (T(w, grad=True),))
    big = T(w * 10)
    out = F.embedding(nt.tensor([0, 1]), big, max_norm=1.0)
    norms = np.linalg.norm(out.numpy(), axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)
    check(big[3], w[3] * 10)  # rows not looked up stay as they were
    raises(IndexError, "index out of range in self", F.embedding, nt.tensor([5]), T(w))
    raises(AssertionError, "Padding_idx must be within num_embeddings", F.embedding, nt.tensor([1]), T(w),
           padding_idx=5)
    raises(RuntimeError, "'weight' must be 2-D", F.embedding, nt.tensor([1]), T(w[0]))


# ---------------------------------------------------------------------------------------------------------
# Normalisation layers
# ---------------------------------------------------------------------------------------------------------
def np_norm(x, axes, eps):
    m = x.mean(axes, keepdims=True)
    v = x.var(axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


@pytest.mark.parametrize("dt", DTYPES)
def test_batch_norm_training_and_eval(dt):
    x, w, b = arr((4, 3, 5), 5), arr((3,), 6), arr((3,), 7)
    rm, rv = T(np.zeros(3), dt), T(np.ones(3), dt)
    got = F.batch_norm(T(x, dt), rm, rv, T(w, dt), T(b, dt), training=True, momentum=0.3)
    check(got, np_norm(x, (0, 2), 1e-5) * w[:, None] + b[:, None], dt, 1e-4 if dt is nt.float32 else None)
    check(rm, 0.3 * x.mean((0, 2)), dt)
    check(rv, 0.7 + 0.3 * x.var((0, 2), ddof=1), dt)
    got = F.batch_norm(T(x, dt), rm, rv, T(w, dt), T(b, dt))
    ref_m, ref_v = 0.3 * x.mean((0, 2)), 0.7 + 0.3 * x.var((0, 2), ddof=1)
    check(got, (x - ref_m[:, None]) / np.sqrt(ref_v[:, None] + 1e-5) * w[:, None] + b[:, None], dt)
    check(F.batch_norm(T(x[..., 0], dt), None, None, training=True), np_norm(x[..., 0], (0,), 1e-5), dt,
          1e-4 if dt is nt.float32 else None)


def test_norm_gradcheck():
    x, w, b = T(arr((3, 4, 2), 8), grad=True), T(arr((4,), 9), grad=True), T(arr((4,), 10), grad=True)
    rm, rv = T(np.zeros(4)), T(np.ones(4))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b), (x, w, b))
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    assert gradcheck(lambda x, w: F.rms_norm(x, (4, 2), w), (x, T(arr((4, 2), 11), grad=True)))
    assert gradcheck(lambda x: F.local_response_norm(x, 3, alpha=0.1, k=2.0), (x,))


def test_instance_group_rms_lrn_values():
    x = arr((2, 6, 5), 12)
    w, b = arr((6,), 13), arr((6,), 14)
    rm, rv = T(np.zeros(6)), T(np.ones(6))
    check(F.instance_norm(T(x), rm, rv, T(w), T(b), momentum=0.5), np_norm(x, (2,), 1e-5) * w[:, None] + b[:, None])
    check(rm, 0.5 * x.mean(2).mean(0))
    check(rv, 0.5 + 0.5 * x.var(2, ddof=1).mean(0))
    check(F.instance_norm(T(x), rm, rv, use_input_stats=False),
          (x - rm.numpy()[:, None]) / np.sqrt(rv.numpy()[:, None] + 1e-5))
    g = np_norm(x.reshape(2, 3, 10), (2,), 1e-5).reshape(2, 6, 5)
    check(F.group_norm(T(x), 3, T(w), T(b)), g * w[:, None] + b[:, None])
    check(F.group_norm(T(np.zeros((0, 6, 5))), 3), np.zeros((0, 6, 5)))
    check(F.rms_norm(T(x), [5]), x / np.sqrt((x * x).mean(-1, keepdims=True) + np.finfo(np.float64).eps))
    x32 = x.astype(np.float32)
    check(F.rms_norm(T(x32, nt.float32), (6, 5), T(w[:, None] * np.ones(5), nt.float32)),
          x / np.sqrt((x * x).mean((1, 2), keepdims=True) + np.finfo(np.float32).eps) * w[:, None], nt.float32)
    for size in (1, 2, 3, 4):
        sq = np.pad(x * x, ((0, 0), (size // 2, (size - 1) // 2), (0, 0)))
        div = sum(sq[:, j:j + 6] for j in range(size)) / size
        check(F.local_response_norm(T(x), size, alpha=0.1, beta=0.6, k=1.5), x / (1.5 + 0.1 * div) ** 0.6)


def test_norm_errors():
    x = T(arr((2, 3, 4)))
    raises(ValueError, f"Expected more than 1 value per channel when training, got input size {x[:1, :, :1].shape}",
           F.batch_norm, x[:1, :, :1], None, None, training=True)
    raises(RuntimeError, "running_mean must be defined in evaluation mode", F.batch_norm, x, None, None)
    raises(RuntimeError, "running_mean should contain 3 elements not 2", F.batch_norm, x, T(np.zeros(2)),
           T(np.ones(2)))
    raises(RuntimeError, "weight should contain 3 elements not 2", F.batch_norm, x, None, None, T(np.ones(2)),
           training=True)
    raises(RuntimeError, "Expected number of channels in input to be divisible by num_groups, but got input of "
           "shape [2, 3, 4] and num_groups=2", F.group_norm, x, 2)
    raises(RuntimeError, "Expected at least 2 dimensions for input tensor but received 1", F.group_norm, x[0, 0], 1)
    raises(ValueError, f"Expected more than 1 spatial element when training, got input size {x[:, :, :1].shape}",
           F.instance_norm, x[:, :, :1])
    raises(RuntimeError, "Given normalized_shape=[3], expected input with shape [*3], but got input of size[2, 3, 4]",
           F.rms_norm, x, (3,))
    raises(RuntimeError, "Expected weight to be of same shape as normalized_shape, but got weight of shape [3] and "
           "normalized_shape = [4]", F.rms_norm, x, (4,), T(np.ones(3)))
    raises(ValueError, "Expected 3D or higher dimensionality                          input (got 2 dimensions)",
           F.local_response_norm, x[0], 2)


# ---------------------------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ---------------------------------------------------------------------------------------------------------
def np_sdpa(q, k, v, mask=None, causal=False, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True) @ v


@pytest.mark.parametrize("dt", DTYPES)
def test_sdpa_values(dt):
    q, k, v = arr((2, 3, 4), 15), arr((2, 5, 4), 16), arr((2, 5, 6), 17)
    tq, tk, tv = T(q, dt), T(k, dt), T(v, dt)
    check(F.scaled_dot_product_attention(tq, tk, tv), np_sdpa(q, k, v), dt)
    check(F.scaled_dot_product_attention(tq, tk, tv, is_causal=True, scale=0.3), np_sdpa(q, k, v, causal=True,
                                                                                          scale=0.3), dt)
    m = arr((3, 5), 18) > -1
    check(F.scaled_dot_product_attention(tq, tk, tv, attn_mask=nt.tensor(m)), np_sdpa(q, k, v, m), dt)
    fm = arr((2, 3, 5), 19)
    check(F.scaled_dot_product_attention(tq, tk, tv, attn_mask=T(fm, dt)), np_sdpa(q, k, v, fm), dt)
    kq = arr((4, 3, 4), 20)
    check(F.scaled_dot_product_attention(T(kq, dt), tk, tv, enable_gqa=True),
          np_sdpa(kq, np.repeat(k, 2, 0), np.repeat(v, 2, 0)), dt)


def test_sdpa_gradcheck_and_errors():
    q, k, v = T(arr((2, 3, 4), 15), grad=True), T(arr((2, 5, 4), 16), grad=True), T(arr((2, 5, 6), 17), grad=True)
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))
    m = T(arr((3, 5), 18), grad=True)
    assert gradcheck(lambda q, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), (q, m))
    raises(RuntimeError, "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True",
           F.scaled_dot_product_attention, q, k, v, attn_mask=nt.tensor(np.ones((3, 5), bool)), is_causal=True)
    raises(RuntimeError, "Expected query, key, and value to have the same dtype, but got query.dtype: float "
           "key.dtype: double and value.dtype: double instead.", F.scaled_dot_product_attention, q.float(), k, v)
    raises(RuntimeError, "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
           "attn_mask.dtype: long int and  query.dtype: double instead.", F.scaled_dot_product_attention, q, k, v,
           attn_mask=nt.tensor(np.ones((3, 5), np.int64)))


@pytest.mark.parametrize("name", ["elu", "selu", "mish", "hardswish", "threshold", "rrelu"])
def test_inplace_activation_backward_on_non_leaf(name):
    """The in-place write must not corrupt what the backward reads: d/dx of sum(f_(x * 1)) equals f's gradient."""
    args = (0.5, -2.0) if name == "threshold" else ()
    a = arr((6,), 21)
    ref = T(a, grad=True)
    getattr(F, name)(ref, *args).sum().backward()
    x = T(a, grad=True)
    y = x * 1.0
    out = getattr(F, name)(y, *args, inplace=True)
    assert out is y
    out.sum().backward()
    check(x.grad, ref.grad.numpy())


# conformance sweep findings (tools/conformance_sweep.py): values, dtypes, errors and gradients as torch's kernels
def _grad(fn, values):
    x = nt.tensor(values, dtype=nt.float64, requires_grad=True)
    (g,) = nt.autograd.grad(fn(x).sum(), x)
    return g.tolist()


def test_hard_activation_gradients_at_the_kinks():
    """torch's *_backward kernels: hardtanh / relu6 / hardsigmoid pass the gradient strictly inside their range;
    hardswish's is 0 up to -3 (included), x / 3 + 1/2 below 3, 1 from 3 on."""
    xs = [-3.0, 3.0, -1.0, 1.0, 6.0, 0.0, 0.5]
    assert _grad(F.hardtanh, xs) == [0, 0, 0, 0, 0, 1, 1]
    assert _grad(F.relu6, xs) == [0, 1, 0, 1, 0, 0, 1]
    sixth = float(np.float32(1) / np.float32(6))  # torch's hardsigmoid_backward uses 1.0f / 6.0f for every dtype
    np.testing.assert_allclose(_grad(F.hardsigmoid, xs), [0, 0, sixth, sixth, 0, sixth, sixth], rtol=1e-15)
    np.testing.assert_allclose(_grad(F.hardswish, xs), [0, 1, 1 / 6, 5 / 6, 1, 0.5, 0.5 / 3 + 0.5], rtol=1e-15)
    assert _grad(lambda x: F.threshold(x, 0.5, -2.0), xs) == [0, 1, 0, 1, 1, 0, 0]


def test_activations_keep_nan_and_signed_zeros():
    nan, inf = math.nan, math.inf
    x = nt.tensor([nan, -0.2, 0.2, -0.0, 3.0, -3.0])
    np.testing.assert_array_equal(F.hardshrink(x).numpy(), [nan, 0, 0, 0, 3, -3])
    s = F.softshrink(x).numpy()  # x * 0 in the middle: -0.2 and -0.0 give -0.0
    np.testing.assert_array_equal(s, [nan, 0, 0, 0, 2.5, -2.5])
    assert np.signbit(s[[1, 3]]).all() and not np.signbit(s[2])
    np.testing.assert_array_equal(F.threshold(nt.tensor([nan, 0.5, 1.0]), 0.5, -2.0).numpy(), [nan, -2, 1])
    h = F.hardswish(nt.tensor([nan, -4.0, -3.0, 3.0, -inf, inf, 1.0])).numpy()
    np.testing.assert_allclose(h, [nan, 0, 0, 3, nan, inf, 2 / 3], rtol=1e-7)
    assert np.signbit(h[1:3]).all()  # x * relu6(x + 3) / 6 is -0.0 left of -3


def test_integer_hardtanh_relu6_threshold_keep_the_dtype():
    """torch converts the limits to the input's integer type (floats truncate) instead of promoting."""
    r = F.hardtanh(nt.tensor([-3, 0, 1, 5], dtype=nt.int8), -0.5, 2.7)
    assert r.dtype is nt.int8 and r.tolist() == [0, 0, 1, 2]
    r = F.relu6(nt.tensor([-3, 0, 1, 7]))
    assert r.dtype is nt.int64 and r.tolist() == [0, 0, 1, 6]
    r = F.threshold(nt.tensor([-3, 0, 1, 7]), 0.5, -2.5)
    assert r.dtype is nt.int64 and r.tolist() == [-2, -2, 1, 7]
    assert F.threshold(nt.tensor([0, 1, 7], dtype=nt.uint8), -1, 2).tolist() == [2, 2, 2]  # -1 wraps to 255
    assert F.hardtanh(nt.tensor([0, 1, 5], dtype=nt.uint8), -0.5, 2).tolist() == [0, 1, 2]  # -0.5 truncates to 0


@pytest.mark.parametrize("fn, exc, message", [
    (lambda: F.hardtanh(nt.tensor([True])), RuntimeError, "Bool inputs not supported for hardtanh"),
    (lambda: F.relu6(nt.tensor([True])), RuntimeError, "Bool inputs not supported for hardtanh"),
    (lambda: F.hardtanh(nt.tensor([1], dtype=nt.uint8)), RuntimeError,
     "cannot do hardtanh on an unsigned type with negative limits"),
    (lambda: F.hardtanh(nt.ones(2), 2.0, 1.0), ValueError, "min_val cannot be greater than max_val"),
    (lambda: F.threshold(nt.tensor([1], dtype=nt.int8), 200, 1), RuntimeError,
     "value cannot be converted to type int8_t without overflow"),
    (lambda: F.threshold(nt.tensor([1], dtype=nt.uint8), 0.5, -2.5), RuntimeError,
     "value cannot be converted to type uint8_t without overflow"),
    (lambda: F.threshold(nt.tensor([True]), 0.5, 1.0), NotImplementedError,
     "\"threshold_cpu\" not implemented for 'Bool'"),
    (lambda: F.leaky_relu(nt.tensor([1, 2])), NotImplementedError, "\"leaky_relu_cpu\" not implemented for 'Long'"),
    (lambda: F.gelu(nt.tensor([1, 2])), NotImplementedError, "\"GeluKernelImpl\" not implemented for 'Long'"),
    (lambda: F.silu(nt.tensor([True])), NotImplementedError, "\"silu_cpu\" not implemented for 'Bool'"),
    (lambda: F.softplus(nt.tensor([1], dtype=nt.int8)), NotImplementedError,
     "\"softplus_cpu\" not implemented for 'Char'"),
])
def test_activation_dtype_errors(fn, exc, message):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn()


def test_margin_losses_refuse_float16_on_the_cpu():
    """torch's CPU kernels of multi_margin_loss and multilabel_margin_loss have no Half (its CUDA ones do)."""
    x = nt.zeros(3, 4, dtype=nt.float16)
    with pytest.raises(NotImplementedError, match="\"multi_margin_loss_cpu_kernel\" not implemented for 'Half'"):
        F.multi_margin_loss(x, nt.tensor([0, 1, 2]))
    with pytest.raises(NotImplementedError,
                       match="\"multilabel_margin_loss_forward_out_frame\" not implemented for 'Half'"):
        F.multilabel_margin_loss(x, nt.tensor([[0, 1, -1, 0]] * 3))
