"""Backward of softmax, log_softmax, the losses, layer_norm, normalize and linear: gradcheck / gradgradcheck
in float64 on tiny shapes, the fused float32 kernels against the float64 op compositions on medium shapes,
PyTorch's formulas at the edges (l1 at 0, BCE's clamp) and grad_fn names."""

import warnings

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def leaf(arr, grad=True):
    t = ntorch.from_numpy(np.array(arr, order="C"))
    return t.requires_grad_() if grad else t


def inp(*shape, low=-2.0, high=2.0, transposed=False):
    """A float64 leaf requiring grad; transposed=True gives a non-contiguous leaf with the same shape."""
    arr = RNG.uniform(low, high, shape)
    if transposed:
        return ntorch.from_numpy(np.ascontiguousarray(arr.T)).permute(*reversed(range(len(shape)))).requires_grad_()
    return leaf(arr)


def const(arr):
    return ntorch.from_numpy(np.array(arr, order="C"))


def grad_of(fn, *inputs, create_graph=False):
    """Gradients of fn(*inputs) w.r.t. the inputs for fixed random output gradients, as float64 arrays."""
    out = fn(*inputs)
    g = const(np.asarray(np.random.default_rng(1).standard_normal(out.shape), dtype=out.dtype.np))
    gs = ntorch.autograd.grad(out, list(inputs), g, create_graph=create_graph)
    return [g.detach().numpy().astype(np.float64) for g in gs]


# ---------------------------------------------------------------------------------------------------------
# softmax / log_softmax
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [ntorch.softmax, ntorch.log_softmax])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_gradcheck(fn, dim):
    x = inp(2, 3, 4, transposed=dim == 1)
    assert gradcheck(lambda x: fn(x, dim), (x,))


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_gradgradcheck(fn, dim):
    assert gradgradcheck(lambda x: fn(x, dim), (inp(3, 4),))


@pytest.mark.parametrize("fn", [ntorch.softmax, ntorch.log_softmax])
def test_softmax_0d_and_empty(fn):
    x = leaf(np.array(0.7))
    assert gradcheck(lambda x: fn(x, 0), (x,))
    e = leaf(np.zeros((0, 3)))
    fn(e, 1).sum().backward()
    assert e.grad.shape == (0, 3)


@pytest.mark.parametrize("fn", [ntorch.softmax, ntorch.log_softmax])
def test_softmax_dtype_argument(fn):
    x = leaf(RNG.standard_normal((3, 5)).astype(np.float32))
    y = fn(x, 1, dtype=ntorch.float64)
    assert y.dtype is ntorch.float64 and y.grad_fn.next_functions[0][0].name() == "ToCopyBackward0"
    x64 = leaf(x.detach().numpy().astype(np.float64))
    (g,) = grad_of(lambda x: fn(x, 1, dtype=ntorch.float64), x)
    (ref,) = grad_of(lambda x: fn(x, 1), x64)
    assert x.grad is None and np.allclose(g, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,dim", [((64, 1000), 1), ((8, 100, 20), 1), ((50, 40), 0)])
def test_softmax_fused_matches_composed(log, shape, dim):
    """The fused float32 kernel (backward without create_graph) against the float64 op composition."""
    fn = ntorch.log_softmax if log else ntorch.softmax
    arr = RNG.standard_normal(shape) * 3
    (fused,) = grad_of(lambda x: fn(x, dim), leaf(arr.astype(np.float32)))
    (composed,) = grad_of(lambda x: fn(x, dim), leaf(arr), create_graph=True)
    assert np.allclose(fused, composed, rtol=1e-4, atol=1e-5 * np.abs(composed).max())


def test_softmax_float16_backward():
    arr = RNG.standard_normal((4, 7))
    x = leaf(arr.astype(np.float16))
    (g,) = grad_of(lambda x: ntorch.softmax(x, 1), x)
    (ref,) = grad_of(lambda x: ntorch.softmax(x, 1), leaf(arr.astype(np.float16).astype(np.float64)))
    assert np.allclose(g, ref, atol=5e-3)


# ---------------------------------------------------------------------------------------------------------
# cross_entropy / nll_loss
# ---------------------------------------------------------------------------------------------------------
TARGET = np.array([0, 3, 1, -100, 2])
CLASS_WEIGHT = RNG.uniform(0.5, 2.0, 4)
CLASS_CASES = {  # name -> keyword arguments
    "plain": {}, "weight": {"weight": CLASS_WEIGHT}, "ignore": {"ignore_index": 3},
    "weight_ignore": {"weight": CLASS_WEIGHT, "ignore_index": 1},
}


def _target(case):
    """TARGET with its ignored entry set to the case's ignore_index."""
    return const(np.where(TARGET == -100, CLASS_CASES[case].get("ignore_index", -100), TARGET))


def _kwargs(case, ls=0.0):
    kw = dict(CLASS_CASES[case])
    if "weight" in kw:
        kw["weight"] = const(kw["weight"])
    kw.setdefault("ignore_index", -100)
    if ls:
        kw["label_smoothing"] = ls
    return kw


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", sorted(CLASS_CASES))
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_class_gradcheck(reduction, case, ls):
    t = _target(case)
    kw = _kwargs(case, ls)
    assert gradcheck(lambda x: F.cross_entropy(x, t, reduction=reduction, **kw), (inp(5, 4, transposed=True),))


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_cross_entropy_class_gradgradcheck(reduction, ls):
    t = _target("weight_ignore")
    kw = _kwargs("weight_ignore", ls)
    assert gradgradcheck(lambda x: F.cross_entropy(x, t, reduction=reduction, **kw), (inp(5, 4),))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_kdim_gradcheck(reduction):
    x = inp(2, 3, 2, 2)
    t = const(np.array([[[0, 2], [1, -100]], [[1, 1], [0, 2]]]))
    kw = {"weight": const(CLASS_WEIGHT[:3]), "label_smoothing": 0.1}
    assert gradcheck(lambda x: F.cross_entropy(x, t, reduction=reduction, **kw), (x,))
    if reduction == "mean":
        assert gradgradcheck(lambda x: F.cross_entropy(x, t, reduction=reduction, **kw), (x,))


def test_cross_entropy_unbatched():
    t = const(np.array(2))
    assert gradcheck(lambda x: F.cross_entropy(x, t, label_smoothing=0.25), (inp(4),))
    assert gradgradcheck(lambda x: F.cross_entropy(x, t), (inp(4),))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2), (4,)])
def test_cross_entropy_probabilities(reduction, shape):
    """Probability targets are differentiated too, as in PyTorch."""
    x, t = inp(*shape), inp(*shape, low=0.0, high=1.0)
    kw = {"weight": const(RNG.uniform(0.5, 2.0, shape[1] if len(shape) > 1 else shape[0])), "label_smoothing": 0.1}
    fn = lambda x, t: F.cross_entropy(x, t, reduction=reduction, **kw)  # noqa: E731
    assert gradcheck(fn, (x, t))
    if shape == (3, 4):
        assert gradgradcheck(fn, (x, t))
        assert gradgradcheck(lambda x, t: F.cross_entropy(x, t, reduction=reduction), (x, t))


@pytest.mark.parametrize("ls", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_fused_matches_composed(ls, reduction):
    """The fused (N, C) kernel in float32 against the float64 composition (create_graph=True)."""
    arr = RNG.standard_normal((64, 1000)) * 3
    t = RNG.integers(0, 1000, 64)
    t[5] = -100
    w = RNG.uniform(0.5, 2.0, 1000)

    def fn(x):
        return F.cross_entropy(x, const(t), weight=const(w.astype(x.dtype.np)), reduction=reduction,
                               label_smoothing=ls)

    (fused,) = grad_of(fn, leaf(arr.astype(np.float32)))
    (composed,) = grad_of(fn, leaf(arr), create_graph=True)
    assert np.allclose(fused, composed, rtol=1e-4, atol=1e-5 * np.abs(composed).max())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", sorted(CLASS_CASES))
def test_nll_loss_gradcheck(reduction, case):
    t = _target(case)
    assert gradcheck(lambda x: F.nll_loss(x, t, reduction=reduction, **_kwargs(case)), (inp(5, 4),))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_kdim_and_unbatched(reduction):
    t = const(np.array([[0, 2, 1], [-100, 1, 2]]))
    kw = {"weight": const(CLASS_WEIGHT[:3])}
    assert gradcheck(lambda x: F.nll_loss(x, t, reduction=reduction, **kw), (inp(2, 3, 3, transposed=True),))
    assert gradcheck(lambda x: F.nll_loss(x, const(np.array(1)), reduction=reduction), (inp(3),))
    assert gradgradcheck(lambda x: F.nll_loss(x, t, reduction=reduction, **kw), (inp(2, 3, 3),))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("shape", [(3, 4), (3, 4, 2)])
def test_all_targets_ignored_gives_zero_gradient(fn, shape):
    x = inp(*shape)
    loss = fn(x, const(np.full((3,) + shape[2:], -100)))
    loss.backward()
    assert np.isnan(loss.item()) and np.array_equal(x.grad.numpy(), np.zeros(shape))


def test_class_losses_do_not_differentiate_targets():
    x = inp(5, 4)
    loss = F.cross_entropy(x, const(TARGET))
    assert len(loss.grad_fn.next_functions) == 1
    loss.backward()
    assert x.grad.shape == (5, 4)


# ---------------------------------------------------------------------------------------------------------
# Pointwise losses
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_l1_gradcheck(fn, reduction):
    x, t = inp(3, 4, transposed=True), inp(3, 4)
    assert gradcheck(lambda x, t: fn(x, t, reduction=reduction), (x, t))
    w = inp(3, 4, low=0.5, high=2.0)
    assert gradcheck(lambda x, t, w: fn(x, t, reduction=reduction, weight=w), (x, t, w))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the broadcast target warning
        assert gradcheck(lambda x, t: fn(x, t, reduction=reduction), (x, inp(4)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_gradgradcheck(reduction):
    assert gradgradcheck(lambda x, t: F.mse_loss(x, t, reduction=reduction), (inp(3, 4), inp(3, 4)))


def test_l1_gradient_is_zero_at_zero():
    x = leaf(np.array([0.0, 1.0, -2.0, 3.0]))
    F.l1_loss(x, const(np.array([0.0, 1.0, 0.0, 0.0])), reduction="sum").backward()
    assert np.array_equal(x.grad.numpy(), [0.0, 0.0, -1.0, 1.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_gradcheck(reduction):
    x, t = inp(3, 4, low=0.05, high=0.95), inp(3, 4, low=0.0, high=1.0)
    w = const(RNG.uniform(0.5, 2.0, (3, 4)))
    assert gradcheck(lambda x, t: F.binary_cross_entropy(x, t, reduction=reduction), (x, t))
    assert gradcheck(lambda x, t: F.binary_cross_entropy(x, t, weight=w, reduction=reduction), (x, t))


def test_bce_clamped_gradient():
    """torch's grad * (x - t) / max(x (1 - x), 1e-12) and the clamped logs for the target."""
    xa, ta = np.array([0.0, 1e-14, 1.0, 0.5, 1.0 - 1e-7]), np.array([0.0, 1.0, 1.0, 0.25, 0.0])
    x, t = leaf(xa), leaf(ta)
    F.binary_cross_entropy(x, t, reduction="sum").backward()
    ref = (xa - ta) / np.maximum(xa * (1 - xa), 1e-12)
    assert np.allclose(x.grad.numpy(), ref, rtol=1e-12)
    with np.errstate(divide="ignore"):
        ref_t = np.maximum(np.log1p(-xa), -100) - np.maximum(np.log(xa), -100)
    assert np.allclose(t.grad.numpy(), ref_t, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_gradcheck(reduction):
    x, t = inp(3, 4, low=-4, high=4, transposed=True), inp(3, 4, low=0.0, high=1.0)
    w, pw = const(RNG.uniform(0.5, 2.0, (3, 4))), const(RNG.uniform(0.5, 3.0, 4))
    fn = lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction=reduction)  # noqa
    assert gradcheck(fn, (x, t))
    assert gradcheck(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction), (x, t))


@pytest.mark.parametrize("fn,arg", [(F.binary_cross_entropy, "weight"),
                                    (F.binary_cross_entropy_with_logits, "weight"),
                                    (F.binary_cross_entropy_with_logits, "pos_weight")])
def test_bce_weights_are_not_differentiable(fn, arg):
    x, t = inp(2, 3, low=0.1, high=0.9), const(RNG.uniform(0, 1, (2, 3)))
    with pytest.raises(RuntimeError, match=f"not differentiable with respect to argument '{arg}'"):
        fn(x, t, **{arg: inp(2, 3, low=0.5, high=1.0)})


# ---------------------------------------------------------------------------------------------------------
# layer_norm, normalize, linear
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("affine", ["none", "weight", "both"])
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_layer_norm_gradcheck(affine, shape):
    x = inp(2, *shape, transposed=True)
    w = inp(*shape) if affine != "none" else None
    b = inp(*shape) if affine == "both" else None
    params = tuple(p for p in (w, b) if p is not None)

    def fn(x, *p):
        return F.layer_norm(x, shape, *p, eps=1e-5)

    assert gradcheck(fn, (x, *params))
    if affine == "both":
        assert gradgradcheck(fn, (x, *params))


def test_layer_norm_fused_matches_composed():
    arr, w, b = RNG.standard_normal((64, 1000)) * 2 + 5, RNG.standard_normal(1000), RNG.standard_normal(1000)
    f32 = [leaf(a.astype(np.float32)) for a in (arr, w, b)]
    f64 = [leaf(a) for a in (arr, w, b)]

    def fn(x, w, b):
        return F.layer_norm(x, (1000,), w, b)

    for fused, composed in zip(grad_of(fn, *f32), grad_of(fn, *f64, create_graph=True)):
        assert np.allclose(fused, composed, rtol=1e-4, atol=1e-4 * np.abs(composed).max())


def test_layer_norm_float16_with_float32_params():
    x = leaf(RNG.standard_normal((3, 6)).astype(np.float16))
    w = leaf(RNG.standard_normal(6).astype(np.float32))
    F.layer_norm(x, (6,), w).sum().backward()
    assert x.grad.dtype is ntorch.float16 and w.grad.dtype is ntorch.float32


@pytest.mark.parametrize("p,dim", [(2, 1), (3, 0)])
def test_normalize_gradcheck(p, dim):
    assert gradcheck(lambda x: F.normalize(x, p=p, dim=dim), (inp(3, 4, transposed=True),))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 4, 3)])
def test_linear(bias, shape):
    xa, wa, ba = RNG.standard_normal(shape), RNG.standard_normal((5, 3)), RNG.standard_normal(5)
    out = F.linear(const(xa), const(wa), const(ba) if bias else None)
    assert np.allclose(out.numpy(), xa @ wa.T + (ba if bias else 0))
    args = (leaf(xa), leaf(wa)) + ((leaf(ba),) if bias else ())
    assert gradcheck(F.linear, args)


# ---------------------------------------------------------------------------------------------------------
# grad_fn names (PyTorch's)
# ---------------------------------------------------------------------------------------------------------
def _names():
    x, xp, t = inp(3, 4), inp(3, 4, low=0.1, high=0.9), const(np.array([0, 1, 2]))
    x3 = inp(2, 3, 2)
    return [
        (ntorch.softmax(x, 1), "SoftmaxBackward0"), (ntorch.log_softmax(x, 0), "LogSoftmaxBackward0"),
        (F.cross_entropy(x, t), "NllLossBackward0"), (F.cross_entropy(x, t, label_smoothing=0.1), "AddBackward0"),
        (F.cross_entropy(x, xp), "DivBackward1"), (F.cross_entropy(x, xp, reduction="sum"), "NegBackward0"),
        (F.nll_loss(x, t), "NllLossBackward0"), (F.nll_loss(x3, const(np.zeros((2, 2), np.int64))),
                                                  "NllLoss2DBackward0"),
        (F.mse_loss(x, xp), "MseLossBackward0"), (F.l1_loss(x, xp), "MeanBackward0"),
        (F.l1_loss(x, xp, reduction="none"), "AbsBackward0"), (F.mse_loss(x, xp, weight=xp), "DivBackward0"),
        (F.binary_cross_entropy(xp, xp.detach()), "BinaryCrossEntropyBackward0"),
        (F.binary_cross_entropy_with_logits(x, xp), "BinaryCrossEntropyWithLogitsBackward0"),
        (F.layer_norm(x, (4,)), "NativeLayerNormBackward0"), (F.normalize(x), "DivBackward0"),
    ]


def test_grad_fn_names():
    for out, name in _names():
        assert out.grad_fn.name() == name


def test_no_graph_without_requires_grad_or_under_no_grad():
    x, t = const(RNG.standard_normal((3, 4))), const(np.array([0, 1, 2]))
    assert F.cross_entropy(x, t).grad_fn is None and ntorch.softmax(x, 1).grad_fn is None
    with ntorch.no_grad():
        y = inp(3, 4)
        assert F.cross_entropy(y, t).grad_fn is None and F.layer_norm(y, (4,)).grad_fn is None
