"""Namespace gaps against torch 2.13: F functions, nn modules (lazy ones too), Tensor methods, special functions and
linalg additions, against NumPy formulas, reference loops and independent numerical methods."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn as nn
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck

rng = np.random.default_rng(0)


def t64(a, grad=False):
    return nt.tensor(np.asarray(a, np.float64), requires_grad=grad)


# -- F: in-place forms, gumbel softmax -----------------------------------------------------------------------------
def test_inplace_activations():
    a = rng.standard_normal(7)
    for fn, ref in ((lambda x: F.relu_(x), np.maximum(a, 0)),
                    (lambda x: F.leaky_relu_(x, 0.2), np.where(a > 0, a, 0.2 * a)),
                    (lambda x: F.hardtanh_(x, -0.5, 0.5), np.clip(a, -0.5, 0.5))):
        x = t64(a)
        assert fn(x) is x
        np.testing.assert_allclose(x.numpy(), ref)


def test_gumbel_softmax_soft_and_hard():
    logits = t64(rng.standard_normal((4, 5)), grad=True)
    nt.manual_seed(3)
    soft = F.gumbel_softmax(logits, tau=0.7)
    np.testing.assert_allclose(soft.sum(1).detach().numpy(), np.ones(4))
    nt.manual_seed(3)
    hard = F.gumbel_softmax(logits, tau=0.7, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(1) == 1).all()
    assert (h.argmax(1) == soft.detach().numpy().argmax(1)).all()
    w = t64(rng.standard_normal((4, 5)))
    g_hard = nt.autograd.grad((hard * w).sum(), logits)[0]
    g_soft = nt.autograd.grad((soft * w).sum(), logits)[0]
    np.testing.assert_allclose(g_hard.numpy(), g_soft.numpy(), rtol=1e-12)  # straight through
    with pytest.warns(UserWarning, match="deprecated"):
        F.gumbel_softmax(logits, eps=1e-3)


# -- F: pooling ------------------------------------------------------------------------------------------------
def _windows_ref(x, k, s, fn):
    """fn over each (non-overlapping or strided) window of the trailing len(k) dims, as a loop."""
    nd = len(k)
    out_sz = [(x.shape[-nd + d] - k[d]) // s[d] + 1 for d in range(nd)]
    out = np.zeros(x.shape[:-nd] + tuple(out_sz))
    for idx in np.ndindex(*out_sz):
        sl = tuple(slice(i * s[d], i * s[d] + k[d]) for d, i in enumerate(idx))
        win = x[(...,) + sl].reshape(x.shape[:-nd] + (-1,))
        out[(...,) + idx] = fn(win)
    return out


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_lp_pool(nd):
    shape = (2, 3) + (5, 4, 4)[:nd]
    x = rng.uniform(0.1, 2, shape)
    k, s = (2,) * nd, (1,) * nd
    for p in (2.0, 3.0):
        out = getattr(F, f"lp_pool{nd}d")(t64(x), p, 2, 1)
        ref = _windows_ref(x, k, s, lambda w, p=p: (w ** p).sum(-1) ** (1 / p))
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    out = getattr(F, f"lp_pool{nd}d")(t64(-x), math.inf, 2)
    np.testing.assert_allclose(out.numpy(), _windows_ref(x, k, k, lambda w: w.max(-1)))
    assert gradcheck(lambda t: getattr(F, f"lp_pool{nd}d")(t, 2.0, 2), (t64(x[:1, :1], grad=True),))


def test_lp_pool_module_and_repr():
    m = nn.LPPool2d(2, 3)
    assert repr(m) == "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    x = rng.uniform(0.1, 1, (1, 1, 3, 3))
    np.testing.assert_allclose(m(t64(x)).numpy().ravel(), [np.sqrt((x ** 2).sum())])


def test_max_unpool1d_3d_invert_max_pool():
    x = t64(rng.standard_normal((2, 3, 6)))
    out, idx = F.max_pool1d_with_indices(x, 2)
    up = F.max_unpool1d(out, idx, 2)
    ref = np.zeros((2, 3, 6))
    np.put_along_axis(ref, idx.numpy(), out.numpy(), axis=-1)
    np.testing.assert_allclose(up.numpy(), ref)
    x3 = t64(rng.standard_normal((1, 2, 4, 4, 2)))
    out, idx = F.max_pool3d_with_indices(x3, 2)
    up = nn.MaxUnpool3d(2)(out, idx)
    ref = np.zeros((1, 2, 32))
    np.put_along_axis(ref, idx.numpy().reshape(1, 2, -1), out.numpy().reshape(1, 2, -1), axis=-1)
    np.testing.assert_allclose(up.numpy(), ref.reshape(1, 2, 4, 4, 2))
    assert gradcheck(lambda t: F.max_unpool3d(t, idx, 2), (out.detach().requires_grad_(),))
    assert repr(nn.MaxUnpool1d(2)) == "MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: 100 \(output volumes are of size 4x4x2\)"):
        F.max_unpool3d(out, nt.full(tuple(out.shape), 100), 2, output_size=(4, 4, 2))
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool3d(out, idx, 2, output_size=(9, 4, 2))


def test_with_indices_aliases():
    x = t64(rng.standard_normal((1, 2, 4, 4)))
    for alias, base, args in (("max_pool2d_with_indices", "max_pool2d", (2,)),
                              ("adaptive_max_pool2d_with_indices", "adaptive_max_pool2d", (2,))):
        out, idx = getattr(F, alias)(x, *args)
        ref_out, ref_idx = getattr(F, base)(x, *args, return_indices=True)
        np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
        np.testing.assert_array_equal(out.numpy(), ref_out.numpy())


def _intervals_ref(sample, in_size, out_size, k, dt):
    """ATen's generate_intervals, a scalar loop in the input's precision."""
    seq = [0] * out_size
    if out_size > 1:
        alpha = dt(in_size - k) / dt(out_size - 1)
        for i in range(out_size - 1):
            seq[i] = int(dt(dt(i) + sample) * alpha) - int(dt(sample * alpha))
    seq[-1] = in_size - k
    return seq


def _fractional_ref(x, k, osz, samples):
    """Fractional max pooling as ATen's loops: per plane, windows starting at the generated intervals."""
    n, c = x.shape[:2]
    nd = len(k)
    dt = x.dtype.type
    out = np.zeros((n, c) + tuple(osz))
    ind = np.zeros((n, c) + tuple(osz), np.int64)
    order = (1, 0) if nd == 2 else (0, 1, 2)  # 2-d samples are (w, h)
    for b in range(n):
        for ch in range(c):
            starts = [_intervals_ref(samples[b, ch, order[d]], x.shape[2 + d], osz[d], k[d], dt) for d in range(nd)]
            for o in np.ndindex(*osz):
                best, arg = -np.inf, -1
                for w in np.ndindex(*k):
                    pos = tuple(starts[d][o[d]] + w[d] for d in range(nd))
                    v = x[(b, ch) + pos]
                    if arg < 0 or v > best or np.isnan(v):
                        best, arg = v, int(np.ravel_multi_index(pos, x.shape[2:]))
                out[(b, ch) + o], ind[(b, ch) + o] = best, arg
    return out, ind


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_fractional_max_pool2d_matches_reference(dt):
    x = rng.standard_normal((2, 3, 7, 8)).astype(dt)
    for k, osz in ((2, (3, 4)), ((3, 2), (4, 5)), (2, (6, 7))):
        samples = rng.random((2, 3, 2)).astype(dt)
        out, ind = F.fractional_max_pool2d(nt.tensor(x), k, output_size=osz, return_indices=True,
                                           _random_samples=nt.tensor(samples))
        kk = k if isinstance(k, tuple) else (k, k)
        ref, ref_ind = _fractional_ref(x, kk, osz, samples)
        np.testing.assert_array_equal(ind.numpy(), ref_ind)
        np.testing.assert_allclose(out.numpy(), ref)


def test_fractional_max_pool3d_unbatched_ratio_and_grad():
    x = rng.standard_normal((2, 6, 5, 6))
    samples = rng.random((1, 2, 3))
    out, ind = F.fractional_max_pool3d_with_indices(t64(x), 2, output_ratio=0.5, _random_samples=t64(samples))
    ref, ref_ind = _fractional_ref(x[None], (2, 2, 2), (3, 2, 3), samples)
    np.testing.assert_array_equal(ind.numpy(), ref_ind[0])
    np.testing.assert_allclose(out.numpy(), ref[0])
    xt = t64(x[:1, :4, :4, :4], grad=True)
    s = t64(rng.random((1, 1, 3)))
    assert gradcheck(lambda t: F.fractional_max_pool3d(t, 2, output_size=2, _random_samples=s), (xt,))
    m = nn.FractionalMaxPool2d(2, output_ratio=0.5)
    assert tuple(m(t64(rng.standard_normal((1, 2, 6, 8)))).shape) == (1, 2, 3, 4)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(RuntimeError, match="pool height 3 too large relative to input height 5"):
        F.fractional_max_pool2d(t64(np.zeros((1, 2, 5, 5))), 3, output_size=4)
    with pytest.raises(RuntimeError, match="Expect _random_samples.size\\(1\\) equals to input channel size."):
        F.fractional_max_pool2d(t64(np.zeros((1, 2, 5, 5))), 2, output_size=3, _random_samples=t64(np.zeros((1, 3, 2))))


# -- F: losses -------------------------------------------------------------------------------------------------
def _multilabel_ref(x, y):
    out = []
    for row, tgt in zip(x, y):
        js = []
        for v in tgt:
            if v < 0:
                break
            js.append(v)
        total = sum(max(0.0, 1 - (row[j] - row[i])) for j in js for i in range(len(row)) if i not in js)
        out.append(total / len(row))
    return np.array(out)


def test_multilabel_margin_loss():
    x = rng.standard_normal((4, 5))
    y = np.array([[3, 0, -1, 1, 1], [1, 2, 3, 4, 0], [4, 4, -1, -1, -1], [-1, 2, 3, 0, 0]])
    ref = _multilabel_ref(x, y)
    np.testing.assert_allclose(F.multilabel_margin_loss(t64(x), nt.tensor(y), reduction="none").numpy(), ref)
    np.testing.assert_allclose(nn.MultiLabelMarginLoss()(t64(x), nt.tensor(y)).item(), ref.mean())
    np.testing.assert_allclose(F.multilabel_margin_loss(t64(x[0]), nt.tensor(y[0]), reduction="sum").item(), ref[0])
    assert gradcheck(lambda t: F.multilabel_margin_loss(t, nt.tensor(y)), (t64(x, grad=True),))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(t64(x), nt.tensor(np.full((4, 5), 5)))
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multilabel_margin_loss(t64(x), nt.tensor(y[:2]))


def test_triplet_margin_with_distance_loss():
    a, p, n = (rng.standard_normal((5, 3)) for _ in range(3))
    d = lambda u, v: np.sqrt(((u - v + 1e-6) ** 2).sum(-1))  # noqa: E731 - pairwise_distance's eps
    ref = np.maximum(1.0 + d(a, p) - np.minimum(d(a, n), d(p, n)), 0)
    out = F.triplet_margin_with_distance_loss(t64(a), t64(p), t64(n), swap=True, reduction="none")
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)
    cos = lambda u, v: 1 - F.cosine_similarity(u, v)  # noqa: E731
    m = nn.TripletMarginWithDistanceLoss(distance_function=cos, margin=0.5)
    cosn = lambda u, v: 1 - (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)  # noqa: E731
    np.testing.assert_allclose(m(t64(a), t64(p), t64(n)).item(), np.maximum(0.5 + cosn(a, p) - cosn(a, n), 0).mean())
    assert repr(nn.TripletMarginWithDistanceLoss()) == \
        "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(t64(a), t64(p), t64(n), margin=0)


# -- nn modules ------------------------------------------------------------------------------------------------
def test_module_reprs():
    cases = {
        nn.Dropout3d(): "Dropout3d(p=0.5, inplace=False)",
        nn.Fold(4, 2): "Fold(output_size=4, kernel_size=2, dilation=1, padding=0, stride=1)",
        nn.Unfold(2): "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)",
        nn.ConstantPad3d(1, 2.0): "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=2.0)",
        nn.ZeroPad3d(1): "ZeroPad3d((1, 1, 1, 1, 1, 1))",
        nn.ReplicationPad3d((1, 2, 3, 4, 5, 6)): "ReplicationPad3d((1, 2, 3, 4, 5, 6))",
        nn.FractionalMaxPool3d(2, output_size=3): "FractionalMaxPool3d()",
        nn.UpsamplingNearest2d(scale_factor=2): "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')",
        nn.UpsamplingBilinear2d(size=3): "UpsamplingBilinear2d(size=3, mode='bilinear')",
        nn.CrossMapLRN2d(3): "CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)",
        nn.LazyLinear(3): "LazyLinear(in_features=0, out_features=3, bias=True)",
        nn.LazyConv2d(4, 3): "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1))",
        nn.LazyBatchNorm1d(): "LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                              "track_running_stats=True)",
    }
    for m, text in cases.items():
        assert repr(m) == text


def test_pad3d_modules_match_numpy():
    x = rng.standard_normal((1, 2, 3, 4, 3))
    pads = (1, 2, 0, 1, 2, 1)  # (w_lo, w_hi, h_lo, h_hi, d_lo, d_hi)
    width = ((0, 0), (0, 0), (2, 1), (0, 1), (1, 2))
    for module, mode in ((nn.ReflectionPad3d(pads), "reflect"), (nn.ReplicationPad3d(pads), "edge"),
                         (nn.CircularPad3d(pads), "wrap"), (nn.ConstantPad3d(pads, 1.5), "constant")):
        ref = np.pad(x, width, mode, **({"constant_values": 1.5} if mode == "constant" else {}))
        np.testing.assert_allclose(module(t64(x)).numpy(), ref)
    with pytest.raises(ValueError, match="expected 4D or 5D input"):
        nn.CircularPad3d(1)(t64(np.zeros((2, 2, 2))))


def test_softmax2d_fold_unfold_dropout3d_upsampling():
    x = rng.standard_normal((2, 3, 2, 2))
    e = np.exp(x)
    np.testing.assert_allclose(nn.Softmax2d()(t64(x)).numpy(), e / e.sum(1, keepdims=True))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(t64(x[0, 0]))
    cols = nn.Unfold(2)(t64(x))
    np.testing.assert_allclose(cols.numpy(), F.unfold(t64(x), 2).numpy())
    np.testing.assert_allclose(nn.Fold(2, 2)(cols).numpy(), x)
    d = nn.Dropout3d(0.5)
    y = d(t64(np.ones((4, 6, 2, 2, 2)))).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and (y.reshape(4, 6, -1).std(-1) == 0).all()  # whole channels
    d.eval()
    assert (d(t64(np.ones((1, 2, 1, 1, 1)))).numpy() == 1).all()
    up = nn.UpsamplingBilinear2d(scale_factor=2)(t64(np.array([[[[0.0, 3.0]]]])))
    np.testing.assert_allclose(up.numpy()[0, 0, 0], [0, 1, 2, 3])  # align_corners=True


def test_nll_loss2d_and_cross_map_lrn():
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        m = nn.NLLLoss2d()
    logp = rng.standard_normal((2, 3, 2, 2))
    tgt = rng.integers(0, 3, (2, 2, 2))
    ref = -np.take_along_axis(logp, tgt[:, None], 1).mean()
    np.testing.assert_allclose(m(t64(logp), nt.tensor(tgt)).item(), ref)
    x = rng.standard_normal((2, 5, 2, 3))
    size, alpha, beta, k = 3, 1e-2, 0.75, 1.0
    pre = int((size - 1) / 2 + 1)
    sq = x ** 2
    scale = np.zeros_like(x)
    scale[:, 0] = sq[:, :min(pre, 5)].sum(1)
    for c in range(1, 5):  # torch's running window (its channel 0 is never dropped)
        scale[:, c] = scale[:, c - 1]
        if c < 5 - pre + 1:
            scale[:, c] += sq[:, c + pre - 1]
        if c > pre:
            scale[:, c] -= sq[:, c - pre]
    ref = x * (scale * alpha / size + k) ** -beta
    np.testing.assert_allclose(nn.CrossMapLRN2d(size, alpha, beta, k)(t64(x)).numpy(), ref, rtol=1e-12)


def test_adaptive_log_softmax_with_loss():
    nt.manual_seed(0)
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 8], div_value=2.0).double()
    x = rng.standard_normal((6, 8))
    y = np.array([0, 3, 4, 7, 8, 9])
    out, loss = m(t64(x), nt.tensor(y))
    full = m.log_prob(t64(x)).detach().numpy()
    # reference: head softmax over 4 shortlist + 2 cluster logits; a cluster's classes add its own log-softmax
    W = lambda lin: lin.weight.detach().numpy()  # noqa: E731
    lsm = lambda z: z - np.log(np.exp(z).sum(1, keepdims=True))  # noqa: E731
    head = lsm(x @ W(m.head).T)
    ref = np.concatenate([head[:, :4]] + [lsm(x @ W(m.tail[i][0]).T @ W(m.tail[i][1]).T) + head[:, 4 + i:5 + i]
                                          for i in range(2)], 1)
    np.testing.assert_allclose(full, ref, rtol=1e-12)
    np.testing.assert_allclose(np.exp(full).sum(1), np.ones(6))
    np.testing.assert_allclose(out.detach().numpy(), ref[np.arange(6), y], rtol=1e-12)
    np.testing.assert_allclose(loss.item(), -ref[np.arange(6), y].mean(), rtol=1e-12)
    np.testing.assert_array_equal(m.predict(t64(x)).numpy(), ref.argmax(1))
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        m(t64(x), nt.tensor([0, 1, 2, 3, 4, 10]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 4])


# -- lazy modules ----------------------------------------------------------------------------------------------
def test_uninitialized_parameter():
    p = nn.UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        _ = p.shape
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3)
    b = nn.UninitializedBuffer(dtype=nt.float64)
    b.materialize((4,))
    assert type(b) is nt.Tensor and b.dtype is nt.float64 and not b.requires_grad


def test_lazy_linear_and_conv_become_their_class():
    m = nn.LazyLinear(3).double()
    assert m.has_uninitialized_params() and m.weight.dtype is nt.float64
    sd = m.state_dict()
    assert isinstance(sd["weight"], nn.UninitializedParameter)
    x = t64(rng.standard_normal((2, 5)))
    y = m(x)
    assert type(m) is nn.Linear and tuple(m.weight.shape) == (3, 5) and m.in_features == 5
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ m.weight.detach().numpy().T + m.bias.detach().numpy())
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    c = nn.LazyConv2d(4, 3, groups=1)
    assert tuple(c(nt.randn(3, 5, 5)).shape) == (4, 3, 3)
    assert type(c) is nn.Conv2d and tuple(c.weight.shape) == (4, 3, 3, 3)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(nt.randn(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to LazyConv2d"):
        nn.LazyConv2d(4, 3)(nt.randn(5, 5))
    ct = nn.LazyConvTranspose1d(2, 3)
    ct(nt.randn(1, 4, 5))
    assert type(ct) is nn.ConvTranspose1d and tuple(ct.weight.shape) == (4, 2, 3)


def test_lazy_norms_and_state_dict_loading():
    b = nn.LazyBatchNorm2d()
    assert isinstance(b.running_mean, nn.UninitializedBuffer)
    x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    b(nt.tensor(x))
    assert type(b) is nn.BatchNorm2d and b.num_features == 3 and int(b.num_batches_tracked) == 1
    np.testing.assert_allclose(b.running_mean.numpy(), 0.1 * x.mean((0, 2, 3)), rtol=1e-5, atol=1e-7)
    i = nn.LazyInstanceNorm1d(affine=False, track_running_stats=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        i(nt.randn(2, 3, 4))
    assert type(i) is nn.InstanceNorm1d
    src = nn.Linear(4, 3)
    lazy = nn.LazyLinear(3)
    lazy.load_state_dict(src.state_dict())
    assert tuple(lazy.weight.shape) == (3, 4) and not lazy.has_uninitialized_params()
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), src.weight.detach().numpy())


# -- Tensor --------------------------------------------------------------------------------------------------------
def test_tensor_predicates_and_legacy_methods():
    x = nt.arange(6.0).reshape(2, 3)
    for name in ("is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn", "is_mps", "is_xpu",
                 "is_nested", "is_ipu", "is_xla", "is_vulkan", "is_mtia", "is_maia"):
        assert getattr(x, name) is False
    np.testing.assert_array_equal(x.nonzero_static(size=7).numpy(),
                                  np.concatenate([np.argwhere(x.numpy()), np.full((2, 2), -1)]))
    np.testing.assert_array_equal(x.nonzero_static(size=2, fill_value=5).numpy(), np.argwhere(x.numpy())[:2])
    with pytest.raises(RuntimeError, match="'size' must be an non-negative integer"):
        x.nonzero_static(size=-1)
    assert tuple(x.new().shape) == (0,) and tuple(x.new(2, 3).shape) == (2, 3) and x.new(2, 3).dtype is nt.float32
    np.testing.assert_array_equal(x.new((2, 3)).numpy(), [2.0, 3.0])
    with pytest.raises(TypeError, match="data must be a sequence"):
        x.new(2.5)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        np.testing.assert_array_equal(x.resize(3, 2).numpy(), x.numpy().reshape(3, 2))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="requested resize to 3x3"):
        x.resize(3, 3)
    a, b = nt.arange(6.0, requires_grad=True).clone().unsafe_chunk(2)
    a.add_(1)  # allowed on unsafe pieces
    np.testing.assert_array_equal(a.detach().numpy(), [1, 2, 3])
    assert [tuple(p.shape) for p in nt.arange(6.0).unsafe_split_with_sizes([2, 4])] == [(2,), (4,)]
    s = nt.arange(6.0)
    s.as_strided_((2, 2), (1, 2), 1)
    np.testing.assert_array_equal(s.numpy(), [[1, 3], [2, 4]])


def test_apply_map_callbacks():
    y = nt.arange(4.0)
    assert y.apply_(lambda v: v * 2) is y
    np.testing.assert_array_equal(y.numpy(), [0, 2, 4, 6])
    y.map_(nt.ones(1), lambda a, b: a + b)
    np.testing.assert_array_equal(y.numpy(), [1, 3, 5, 7])
    y.map2_(nt.ones(4), nt.full((4,), 2.0), lambda a, b, c: a * c - b)
    np.testing.assert_array_equal(y.numpy(), [1, 5, 9, 13])
    with pytest.raises(TypeError, match="map_: expected"):
        y.map_(nt.ones(4, dtype=nt.int64), lambda a, b: a)
    with pytest.raises(RuntimeError, match="Can't call apply_\\(\\) on Variable that requires grad"):
        nt.zeros(2, requires_grad=True).apply_(lambda v: v)


def test_post_accumulate_grad_hook():
    w = nt.zeros(3, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy().copy()))
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(np.array(seen), [[2, 2, 2], [5, 5, 5]])  # after each accumulation
    handle.remove()
    (w * 2).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        nt.zeros(2).register_post_accumulate_grad_hook(lambda p: None)
    v = nt.zeros(2, requires_grad=True)
    v.register_post_accumulate_grad_hook(lambda p: 5)
    with pytest.raises(TypeError, match="hook returned 'int'"):
        (v * 2).sum().backward()


def test_igamma_methods_and_lu():
    a, x = t64([0.5, 1.0, 3.0]), t64([0.7, 2.0, 1.5])
    ref_p = [math.erf(math.sqrt(0.7)), 1 - math.exp(-2.0), 1 - math.exp(-1.5) * (1 + 1.5 + 1.5 ** 2 / 2)]
    np.testing.assert_allclose(a.igamma(x).numpy(), ref_p, rtol=1e-13)
    np.testing.assert_allclose(a.igammac(x).numpy(), 1 - np.array(ref_p), rtol=1e-12)
    b = a.clone()
    b.igamma_(x)
    np.testing.assert_allclose(b.numpy(), ref_p, rtol=1e-13)
    m = t64(rng.standard_normal((3, 3)) + 3 * np.eye(3))
    lu, piv = m.lu()
    rhs = t64(rng.standard_normal((3, 1)))
    np.testing.assert_allclose(rhs.lu_solve(lu, piv).numpy(), np.linalg.solve(m.numpy(), rhs.numpy()), rtol=1e-10)


# -- special -------------------------------------------------------------------------------------------------------
def _trap(f, lo, hi, n=20001):
    """The trapezoidal rule: spectrally accurate for periodic integrands and for even ones decaying from 0."""
    t = np.linspace(lo, hi, n)
    y = f(t)
    return (y.sum(-1) - 0.5 * (y[..., 0] + y[..., -1])) * (t[1] - t[0])


def _simpson(f, lo, hi, n=200001):
    t = np.linspace(lo, hi, n)
    y = f(t)
    return (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum()) * (t[1] - t[0]) / 3


def _jn(n, x):
    """Bessel's integral (the trapezoidal rule is spectrally accurate on this periodic integrand)."""
    return np.array([_trap(lambda t, xi=xi: np.cos(n * t - xi * np.sin(t)), 0, np.pi, 4001) / np.pi for xi in x])


def _yn(n, x):
    """Y_n by its two integrals (x > 0)."""
    first = np.array([_simpson(lambda t, xi=xi: np.sin(xi * np.sin(t) - n * t), 0, np.pi) / np.pi for xi in x])
    second = np.array([_simpson(lambda t, xi=xi: (np.exp(n * t) + (-1) ** n * np.exp(-n * t))
                                * np.exp(-xi * np.sinh(t)), 0, 12) / np.pi for xi in x])
    return first - second


def _kn(n, x):
    return np.array([_trap(lambda t, xi=xi: np.exp(-xi * np.cosh(t)) * np.cosh(n * t), 0, 25, 400001) for xi in x])


X_BESSEL = np.array([0.3, 1.0, 2.5, 7.3, 13.0, 24.9, 25.1, 40.0])


@pytest.mark.parametrize("n", [0, 1])
def test_bessel_j_y(n):
    x = X_BESSEL
    for sign in (1, -1):
        ref = _jn(n, sign * x)
        np.testing.assert_allclose(getattr(nt.special, f"bessel_j{n}")(t64(sign * x)).numpy(), ref, atol=1e-13)
    np.testing.assert_allclose(getattr(nt.special, f"bessel_y{n}")(t64(x)).numpy(), _yn(n, x), atol=1e-9)
    out = getattr(nt.special, f"bessel_y{n}")(t64([0.0, -1.0]))
    assert out.numpy()[0] == -np.inf and np.isnan(out.numpy()[1])
    f32 = getattr(nt.special, f"bessel_j{n}")(nt.tensor(x.astype(np.float32)))
    assert f32.dtype is nt.float32
    np.testing.assert_allclose(f32.numpy(), _jn(n, x.astype(np.float32).astype(np.float64)), atol=1e-6)


def test_modified_bessel():
    x = np.array([1e-3, 0.4, 0.99, 1.0, 2.0, 7.5, 30.0])
    k0, k1 = _kn(0, x), _kn(1, x)
    S = nt.special
    np.testing.assert_allclose(S.modified_bessel_k0(t64(x)).numpy(), k0, rtol=1e-9)
    np.testing.assert_allclose(S.modified_bessel_k1(t64(x)).numpy(), k1, rtol=1e-9)
    np.testing.assert_allclose(S.scaled_modified_bessel_k0(t64(x)).numpy(), k0 * np.exp(x), rtol=1e-9)
    np.testing.assert_allclose(S.scaled_modified_bessel_k1(t64(x)).numpy(), k1 * np.exp(x), rtol=1e-9)
    big = S.scaled_modified_bessel_k0(t64([1e6])).item()
    np.testing.assert_allclose(big, math.sqrt(math.pi / 2e6) * (1 - 1 / 8e6 + 9 / (2 * 64e12)), rtol=1e-13)
    xs = np.array([-9.0, -0.5, 0.0, 0.3, 4.0, 20.0])
    np.testing.assert_allclose(S.modified_bessel_i0(t64(xs)).numpy(), np.i0(xs), rtol=1e-13)
    i1 = np.array([sum((v / 2) ** (2 * k + 1) / (math.factorial(k) * math.factorial(k + 1)) for k in range(60))
                   for v in xs])
    np.testing.assert_allclose(S.modified_bessel_i1(t64(xs)).numpy(), i1, rtol=1e-13)
    np.testing.assert_allclose(S.i1e(t64(xs)).numpy(), i1 * np.exp(-np.abs(xs)), rtol=1e-13)
    np.testing.assert_allclose(S.i0e(t64(xs)).numpy(), np.i0(xs) * np.exp(-np.abs(xs)), rtol=1e-13)
    assert S.i0e(t64([1000.0])).item() > 0  # no overflow
    xg = t64([-3.0, -0.2, 0.7, 9.0], grad=True)
    assert gradcheck(S.i1e, (xg,)) and gradcheck(S.i0e, (xg,))
    assert not S.modified_bessel_k0(xg).requires_grad  # torch records no graph


def test_spherical_j0_and_airy():
    x = np.array([-20.0, -0.3, 1e-9, 0.49, 0.51, 3.0, np.inf])
    ref = np.where(np.isinf(x), 0.0, np.sinc(np.where(np.isinf(x), 0.0, x) / np.pi))
    np.testing.assert_allclose(nt.special.spherical_bessel_j0(t64(x)).numpy(), ref, rtol=1e-14, atol=1e-17)
    ai0 = 1 / (3 ** (2 / 3) * math.gamma(2 / 3))
    np.testing.assert_allclose(nt.special.airy_ai(t64([0.0])).item(), ai0, rtol=1e-15)
    # x > 0: Ai(x) = sqrt(x / 3) / pi * K_(1/3)(2/3 x^1.5), the integral on a fine grid
    xp = np.array([0.5, 1.5, 4.0, 10.0])
    zeta = 2 / 3 * xp ** 1.5
    k13 = np.array([_trap(lambda t, z=z: np.exp(-z * np.cosh(t)) * np.cosh(t / 3), 0, 20, 400001) for z in zeta])
    np.testing.assert_allclose(nt.special.airy_ai(t64(xp)).numpy(), np.sqrt(xp / 3) / np.pi * k13, rtol=1e-9)
    # x < 0: Ai(-x) = sqrt(x) / 3 (J_(1/3)(zeta) + J_(-1/3)(zeta)), the power series of J_nu
    xn = np.array([0.5, 2.0, 5.0, 6.4, 6.6, 8.0])  # the series reference loses digits beyond
    zeta = 2 / 3 * xn ** 1.5

    def jnu(nu, z):
        return sum((-1) ** k * (z / 2) ** (2 * k + nu) / (math.factorial(k) * math.gamma(k + nu + 1))
                   for k in range(80))

    ref = np.sqrt(xn) / 3 * np.array([jnu(1 / 3, z) + jnu(-1 / 3, z) for z in zeta])
    np.testing.assert_allclose(nt.special.airy_ai(t64(-xn)).numpy(), ref, atol=1e-9)
    assert nt.special.airy_ai(t64([200.0])).item() == 0.0


def test_gammainc_gammaincc():
    x = np.array([0.01, 0.5, 2.0, 7.0, 30.0, 80.0])
    S = nt.special
    for a in (1, 2, 5, 40):  # P(n, x) = 1 - e^-x sum_{k<n} x^k / k!
        ref = 1 - np.exp(-x) * np.array([sum(v ** k / math.factorial(k) for k in range(a)) for v in x])
        q = np.exp(-x) * np.array([sum(v ** k / math.factorial(k) for k in range(a)) for v in x])
        np.testing.assert_allclose(S.gammainc(t64(np.full(6, a)), t64(x)).numpy(), ref, rtol=1e-11, atol=1e-15)
        np.testing.assert_allclose(S.gammaincc(t64(np.full(6, a)), t64(x)).numpy(), q, rtol=1e-11, atol=1e-300)
    erf = np.array([math.erf(math.sqrt(v)) for v in x])
    np.testing.assert_allclose(S.gammainc(t64(np.full(6, 0.5)), t64(x)).numpy(), erf, rtol=1e-13)
    edge = S.gammainc(t64([0.0, 0.0, 1.0, -1.0, np.inf, np.inf, 2.0]), t64([0.0, 1.0, 0.0, 1.0, 1.0, np.inf, np.inf]))
    np.testing.assert_array_equal(np.isnan(edge.numpy()), [True, False, False, True, False, True, False])
    np.testing.assert_array_equal(np.nan_to_num(edge.numpy()), [0, 1, 0, 0, 0, 0, 1])
    xg = t64([0.3, 2.5, 7.0], grad=True)
    assert gradcheck(lambda t: S.gammainc(t64([0.5, 2.0, 10.0]), t), (xg,))
    assert gradcheck(lambda t: S.gammaincc(t64([0.5, 2.0, 10.0]), t), (xg,))
    with pytest.raises(NotImplementedError, match="the derivative for 'igamma: input' is not implemented"):
        S.gammainc(t64([1.0], grad=True), t64([1.0])).sum().backward()
    with pytest.raises(NotImplementedError, match="\"igamma_cpu\" not implemented for 'Long'"):
        S.gammainc(nt.tensor([1]), nt.tensor([1]))


def _theta_forms(x, n):
    th = np.arccos(x)
    return {"t": np.cos(n * th), "u": np.sin((n + 1) * th) / np.sin(th),
            "v": np.cos((n + 0.5) * th) / np.cos(th / 2), "w": np.sin((n + 0.5) * th) / np.sin(th / 2)}


@pytest.mark.parametrize("n", [0, 1, 2, 5, 7, 9, 12])
def test_orthogonal_polynomials(n):
    S = nt.special
    x = np.linspace(-0.95, 0.95, 9)
    e = np.eye(n + 1)[n]
    cases = {
        S.hermite_polynomial_h: np.polynomial.hermite.hermval(x, e),
        S.hermite_polynomial_he: np.polynomial.hermite_e.hermeval(x, e),
        S.laguerre_polynomial_l: np.polynomial.laguerre.lagval(x, e),
        S.legendre_polynomial_p: np.polynomial.legendre.legval(x, e),
    }
    for k, ref in _theta_forms(x, n).items():
        cases[getattr(S, f"chebyshev_polynomial_{k}")] = ref
        cases[getattr(S, f"shifted_chebyshev_polynomial_{k}")] = _theta_forms(2 * ((x + 1) / 2) - 1, n)[k]
    for fn, ref in cases.items():
        arg = t64((x + 1) / 2) if "shifted" in fn.__name__ else t64(x)
        np.testing.assert_allclose(fn(arg, n).numpy(), ref, rtol=1e-9, atol=1e-11, err_msg=fn.__name__)
        np.testing.assert_allclose(fn(arg, nt.tensor([n] * 9)).numpy(), ref, rtol=1e-9, atol=1e-11)
    assert (S.legendre_polynomial_p(t64([-1.0, 1.0]), n).numpy() == [(-1) ** n, 1]).all()
    assert (S.chebyshev_polynomial_t(t64([0.3]), -1).numpy() == 0).all()
    assert S.chebyshev_polynomial_t(nt.tensor([1, 2]), nt.tensor([2, 3])).dtype is nt.float32


# -- linalg --------------------------------------------------------------------------------------------------------
def test_linalg_diagonal_vander():
    a = nt.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(nt.linalg.diagonal(a, offset=1).numpy(),
                                  np.diagonal(a.numpy(), 1, -2, -1))
    x = np.array([[1.0, 2.0, -3.0], [0.5, 0.0, 4.0]])
    np.testing.assert_allclose(nt.linalg.vander(t64(x)).numpy(), np.stack([np.vander(r, increasing=True) for r in x]))
    np.testing.assert_array_equal(nt.linalg.vander(nt.tensor([1, 2, 3]), N=4).numpy(),
                                  np.vander([1, 2, 3], 4, increasing=True))
    with pytest.raises(RuntimeError, match="N must be greater than 1."):
        nt.linalg.vander(t64([1.0, 2.0]), N=1)
    assert gradcheck(lambda t: nt.linalg.vander(t, N=4), (t64(x, grad=True),))


def test_householder_product():
    A = rng.standard_normal((2, 5, 3))
    tau = rng.random((2, 2))
    ref = []
    for b in range(2):
        q = np.eye(5)
        for i in range(2):
            v = A[b, :, i].copy()
            v[:i], v[i] = 0, 1
            q = q @ (np.eye(5) - tau[b, i] * np.outer(v, v))
        ref.append(q[:, :3])
    np.testing.assert_allclose(nt.linalg.householder_product(t64(A), t64(tau)).numpy(), np.array(ref), rtol=1e-12)
    assert gradcheck(nt.linalg.householder_product, (t64(A[0], grad=True), t64(tau[0], grad=True)))
    with pytest.raises(RuntimeError, match="input.shape\\[-2\\] must be greater than or equal to input.shape\\[-1\\]"):
        nt.linalg.householder_product(t64(np.zeros((2, 3))), t64([1.0]))


def test_inplace_function_forms_of_methods():
    """torch.addmv_/as_strided_/conj_physical_/resize_as_ and the in-place dropout aliases write into input."""
    rng = np.random.default_rng(3)
    x, m, v = rng.standard_normal(3), rng.standard_normal((3, 2)), rng.standard_normal(2)
    xt = nt.tensor(x)
    assert nt.addmv_(xt, nt.tensor(m), nt.tensor(v), beta=2, alpha=3) is xt
    np.testing.assert_allclose(xt.numpy(), 2 * x + 3 * m @ v)
    y = nt.arange(6.0)
    assert nt.as_strided_(y, (2, 2), (1, 2)) is y
    np.testing.assert_array_equal(y.numpy(), [[0, 2], [1, 3]])
    z = nt.arange(4.0)
    assert nt.resize_as_(z, nt.zeros(2, 2)) is z and tuple(z.shape) == (2, 2)
    c = nt.ones(2)
    assert nt.conj_physical_(c) is c
    t = nt.ones(2, 3, 4)
    assert nt.feature_dropout_(t, 1.0, True) is t
    np.testing.assert_array_equal(t.numpy(), 0)
    t = nt.ones(4, 8, 5)
    nt.feature_dropout_(t, 0.5, True)
    channels = t.numpy()
    assert np.all(channels == channels[:, :, :1]) and set(np.unique(channels)) <= {0.0, 2.0}
    a = nt.ones(5)
    assert nt.alpha_dropout_(a, 0.0, True) is a and nt.feature_alpha_dropout_(a, 0.0, False) is a
    np.testing.assert_array_equal(a.numpy(), 1)


@pytest.mark.parametrize("size,layout,strides", [((2, 3, 4), (0, 2, 1), (12, 1, 3)), ((2, 3), (1, 0), (1, 2)),
                                                 ((), (), ()), ((3, 1, 2), (2, 0, 1), (1, 1, 3))])
def test_empty_permuted(size, layout, strides):
    t = nt.empty_permuted(size, layout, dtype=nt.int32)
    assert tuple(t.shape) == size and t.stride() == strides and t.dtype is nt.int32
    assert t.permute(*layout).is_contiguous()


@pytest.mark.parametrize("size,layout,message", [
    ((2, 3), (0, 0), "Duplicate dim not allowed"),
    ((2, 3), (0,), "Number of dimensions in size does not match the length of the physical_layout; i.e. len(size) "
                   "= 2 is not equal to len(physical_layout) = 1"),
    ((2, 3), (0, 2), "Dimension out of range (expected to be between 0 and 1, but got 2 at index 1)")])
def test_empty_permuted_errors(size, layout, message):
    with pytest.raises(RuntimeError, match=re.escape(message)):
        nt.empty_permuted(size, layout)
