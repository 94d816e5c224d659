"""nn layers: each module's forward equals its F function (or NumPy) with its own parameters, parameter shapes
and default init, backward reaching every parameter, BatchNorm running statistics against NumPy, and a small
end-to-end training run."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn as nn
import ntorch.nn.functional as F


def t(a, dtype=np.float32):
    return nt.tensor(np.asarray(a, dtype))


def rand(*shape, seed=0):
    return t(np.random.default_rng(seed).standard_normal(shape))


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a.detach().numpy() if isinstance(a, nt.Tensor) else a, np.float64),
                               np.asarray(b.detach().numpy() if isinstance(b, nt.Tensor) else b, np.float64),
                               rtol=tol, atol=tol)


def test_linear_forward_shapes_init():
    nt.manual_seed(0)
    lin = nn.Linear(50, 40)
    assert lin.weight.shape == (40, 50) and lin.bias.shape == (40,)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) and the bias rule both give 1/sqrt(fan_in)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.var() - bound**2 / 3) < 0.1 * bound**2 / 3 and abs(w.mean()) < 0.05 * bound
    assert np.abs(b).max() <= bound
    x = rand(3, 50)
    y = lin(x)
    close(y, x.numpy() @ w.T + b)
    y.sum().backward()
    close(lin.weight.grad, np.ones((3, 40)).T @ x.numpy())
    close(lin.bias.grad, np.full(40, 3.0))
    assert nn.Linear(2, 3, bias=False).bias is None
    assert nn.Linear(2, 3, dtype=nt.float64).weight.dtype is nt.float64
    nt.manual_seed(1)
    a = nn.Linear(4, 4).weight.detach().numpy().copy()
    nt.manual_seed(1)
    np.testing.assert_array_equal(nn.Linear(4, 4).weight.detach().numpy(), a)  # reproducible from the seed


def test_identity():
    x = rand(2, 2)
    assert nn.Identity(3, foo=1)(x) is x


@pytest.mark.parametrize("kwargs", [{}, {"stride": 2, "padding": 1}, {"padding": "same", "dilation": 2},
                                    {"groups": 2, "bias": False}, {"padding": 1, "padding_mode": "reflect"},
                                    {"padding": (1, 2), "padding_mode": "circular"},
                                    {"padding": "same", "padding_mode": "replicate"}])
def test_conv2d(kwargs):
    conv = nn.Conv2d(4, 6, 3, **kwargs)
    assert conv.weight.shape == (6, 4 // conv.groups, 3, 3)
    fan_in = 4 // conv.groups * 9
    assert np.abs(conv.weight.detach().numpy()).max() <= 1 / math.sqrt(fan_in)
    x = rand(2, 4, 7, 7, seed=1)
    y = conv(x)
    mode = kwargs.get("padding_mode", "zeros")
    if mode == "zeros":
        want = F.conv2d(x, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups)
    else:
        pads = conv._reversed_padding_repeated_twice
        want = F.conv2d(F.pad(x, pads, mode=mode), conv.weight, conv.bias, conv.stride, 0, conv.dilation,
                        conv.groups)
    close(y, want)
    if kwargs.get("padding") == "same":
        assert y.shape[-2:] == x.shape[-2:]
    y.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in conv.parameters())


def test_conv_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="wrap")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


def test_conv1d_and_transpose():
    c1 = nn.Conv1d(3, 5, 2, stride=2)
    assert c1.weight.shape == (5, 3, 2)
    x = rand(2, 3, 8)
    close(c1(x), F.conv1d(x, c1.weight, c1.bias, 2))
    ct = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
    assert ct.weight.shape == (4, 3, 3, 3)
    x = rand(1, 4, 5, 5)
    close(ct(x), F.conv_transpose2d(x, ct.weight, ct.bias, 2, groups=2))
    y = ct(x, output_size=[12, 12])  # 11 without output_padding, 12 with 1
    assert y.shape == (1, 6, 12, 12)
    close(y, F.conv_transpose2d(x, ct.weight, ct.bias, 2, 0, 1, groups=2))
    with pytest.raises(ValueError, match="requested an output size of"):
        ct(x, output_size=[14, 14])


X4 = rand(2, 4, 6, 6, seed=3)
X3 = rand(2, 4, 6, seed=4)
MODULE_CASES = [
    (nn.MaxPool2d(2), X4, lambda x: F.max_pool2d(x, 2)),
    (nn.MaxPool2d(3, 2, 1, ceil_mode=True), X4, lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    (nn.MaxPool1d(2), X3, lambda x: F.max_pool1d(x, 2)),
    (nn.AvgPool2d(2, 1), X4, lambda x: F.avg_pool2d(x, 2, 1)),
    (nn.AvgPool1d(3, padding=1), X3, lambda x: F.avg_pool1d(x, 3, padding=1)),
    (nn.AdaptiveAvgPool2d((2, 3)), X4, lambda x: F.adaptive_avg_pool2d(x, (2, 3))),
    (nn.AdaptiveAvgPool1d(2), X3, lambda x: F.adaptive_avg_pool1d(x, 2)),
    (nn.AdaptiveMaxPool2d(3), X4, lambda x: F.adaptive_max_pool2d(x, 3)),
    (nn.AdaptiveMaxPool1d(4), X3, lambda x: F.adaptive_max_pool1d(x, 4)),
    (nn.LayerNorm(6), X4, lambda x: F.layer_norm(x, (6,))),
    (nn.GroupNorm(2, 4), X4, lambda x: F.group_norm(x, 2)),
    (nn.RMSNorm([6, 6]), X4, lambda x: F.rms_norm(x, (6, 6))),
    (nn.InstanceNorm2d(4), X4, lambda x: F.instance_norm(x)),
    (nn.InstanceNorm1d(4, affine=True), X3, lambda x: F.instance_norm(x)),
    (nn.LocalResponseNorm(3), X4, lambda x: F.local_response_norm(x, 3)),
    (nn.Flatten(), X4, lambda x: x.reshape(2, -1)),
    (nn.Flatten(0, 1), X4, lambda x: x.reshape(8, 6, 6)),
    (nn.Unflatten(1, (2, 2)), X4, lambda x: x.reshape(2, 2, 2, 6, 6)),
    (nn.Upsample(scale_factor=2), X4, lambda x: F.interpolate(x, scale_factor=2.0)),
    (nn.Upsample(size=(3, 5), mode="bilinear"), X4, lambda x: F.interpolate(x, (3, 5), mode="bilinear")),
    (nn.PixelShuffle(2), X4, lambda x: F.pixel_shuffle(x, 2)),
    (nn.PixelUnshuffle(2), X4, lambda x: F.pixel_unshuffle(x, 2)),
    (nn.ZeroPad2d((1, 0, 2, 1)), X4, lambda x: F.pad(x, (1, 0, 2, 1))),
    (nn.ConstantPad1d(2, 3.5), X3, lambda x: F.pad(x, (2, 2), value=3.5)),
    (nn.ConstantPad2d(1, -1.0), X4, lambda x: F.pad(x, (1, 1, 1, 1), value=-1.0)),
    (nn.ReflectionPad1d((1, 2)), X3, lambda x: F.pad(x, (1, 2), mode="reflect")),
    (nn.ReflectionPad2d(2), X4, lambda x: F.pad(x, (2, 2, 2, 2), mode="reflect")),
    (nn.ReplicationPad1d(3), X3, lambda x: F.pad(x, (3, 3), mode="replicate")),
    (nn.ReplicationPad2d((0, 1, 2, 3)), X4, lambda x: F.pad(x, (0, 1, 2, 3), mode="replicate")),
    (nn.CircularPad1d(2), X3, lambda x: F.pad(x, (2, 2), mode="circular")),
    (nn.CircularPad2d(1), X4, lambda x: F.pad(x, (1, 1, 1, 1), mode="circular")),
    (nn.ReLU(), X4, F.relu), (nn.ReLU6(), X4 * 4, F.relu6), (nn.LeakyReLU(0.2), X4, lambda x: F.leaky_relu(x, 0.2)),
    (nn.ELU(0.5), X4, lambda x: F.elu(x, 0.5)), (nn.CELU(2.0), X4, lambda x: F.celu(x, 2.0)), (nn.SELU(), X4, F.selu),
    (nn.GELU(), X4, F.gelu), (nn.GELU("tanh"), X4, lambda x: F.gelu(x, approximate="tanh")),
    (nn.SiLU(), X4, F.silu), (nn.Mish(), X4, F.mish), (nn.Sigmoid(), X4, nt.sigmoid), (nn.Tanh(), X4, nt.tanh),
    (nn.Softplus(2.0, 1.0), X4, lambda x: F.softplus(x, 2.0, 1.0)), (nn.Softsign(), X4, F.softsign),
    (nn.Softmax(1), X4, lambda x: F.softmax(x, 1)), (nn.Softmin(-1), X4, lambda x: F.softmin(x, -1)),
    (nn.LogSoftmax(2), X4, lambda x: F.log_softmax(x, 2)), (nn.Hardtanh(-0.5, 0.5), X4, lambda x: x.clamp(-0.5, 0.5)),
    (nn.Hardswish(), X4, F.hardswish), (nn.Hardsigmoid(), X4, F.hardsigmoid),
    (nn.Hardshrink(0.3), X4, lambda x: F.hardshrink(x, 0.3)), (nn.Softshrink(), X4, F.softshrink),
    (nn.Tanhshrink(), X4, F.tanhshrink), (nn.LogSigmoid(), X4, F.logsigmoid),
    (nn.Threshold(0.1, 20.0), X4, lambda x: F.threshold(x, 0.1, 20.0)), (nn.GLU(1), X4, lambda x: F.glu(x, 1)),
    (nn.RReLU().eval(), X4, lambda x: F.rrelu(x, training=False)),
    (nn.Dropout(0.5).eval(), X4, lambda x: x), (nn.Dropout2d(0.5).eval(), X4, lambda x: x),
    (nn.Dropout1d(0.3).eval(), X3, lambda x: x),
]


@pytest.mark.parametrize("case", range(len(MODULE_CASES)))
def test_module_equals_functional(case):
    module, x, fn = MODULE_CASES[case]
    close(module(x), fn(x))


def test_hardtanh_and_inplace():
    x = rand(3, 3)
    y = x.clone()
    out = nn.ReLU(inplace=True)(y)
    assert out.data_ptr() == y.data_ptr()
    close(y, np.maximum(x.numpy(), 0))
    with pytest.raises(AssertionError, match=r"max_val \(0.0\) must be greater than min_val \(1.0\)"):
        nn.Hardtanh(1.0, 0.0)
    with pytest.warns(FutureWarning, match="min_value"):
        m = nn.Hardtanh(min_value=-0.5)
    assert repr(m) == "Hardtanh(min_val=-0.5, max_val=1.0)"


def test_module_sweep_fixes():
    """Mismatches tools/module_sweep.py found against torch 2.13 (expected text and types from its spec)."""
    with pytest.raises(ValueError, match=r"in1_features must be > 0, but got \(in1_features=0\)"):
        nn.Bilinear(0, 2, 3)
    for m in (nn.AdaptiveAvgPool2d((3, None)), nn.AdaptiveMaxPool2d((2, 2))):
        with pytest.raises(ValueError, match="Input dimension should be at least 3"):
            m(rand(3))
    with pytest.raises(ValueError, match="Input dimension should be at least 4"):
        nn.AdaptiveAvgPool3d((1, 1, 1))(rand(2, 3))
    assert repr(nn.LinearCrossEntropyLoss(4, 5, out_features=(2,), bias=True, reduction="sum", ignore_index=1,
                                          label_smoothing=0.1)) == (
        "LinearCrossEntropyLoss(\n  in_features=4, num_classes=5, out_features=(2,), bias=True, reduction=sum, "
        "ignore_index=1, label_smoothing=0.1, options=None\n"
        "  (linear): Linear(in_features=4, out_features=10, bias=True)\n)")


def test_prelu_and_affine_norms_backward():
    for module, x in ((nn.PReLU(4, init=0.1), X4), (nn.LayerNorm([6, 6]), X4), (nn.GroupNorm(2, 4), X4),
                      (nn.InstanceNorm2d(4, affine=True), X4), (nn.RMSNorm(6), X4), (nn.BatchNorm2d(4), X4)):
        out = module(x)
        (out * rand(*out.shape, seed=9)).sum().backward()
        for name, p in module.named_parameters():
            assert p.grad is not None and p.grad.shape == p.shape, (module, name)
            assert float(p.grad.abs().sum()) > 0, (module, name)
    p = nn.PReLU(4, init=0.1)
    assert p.weight.shape == (4,) and np.all(p.weight.detach().numpy() == np.float32(0.1))
    close(p(X4), np.where(X4.numpy() > 0, X4.numpy(), 0.1 * X4.numpy()))


def _bn_reference(xs, momentum, eps=1e-5):
    """Running mean / unbiased variance after each batch (momentum None: cumulative average)."""
    mean, var = np.zeros(xs[0].shape[1]), np.ones(xs[0].shape[1])
    for n, x in enumerate(xs, 1):
        axes = (0, *range(2, x.ndim))
        m = x.mean(axes)
        v = x.var(axes, ddof=1)
        f = 1.0 / n if momentum is None else momentum
        mean, var = (1 - f) * mean + f * m, (1 - f) * var + f * v
    return mean, var


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (8, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                        (nn.BatchNorm2d, (4, 3, 2, 2))])
def test_batchnorm_running_stats(momentum, cls, shape):
    bn = cls(3, momentum=momentum)
    with nt.no_grad():
        bn.weight.copy_(t([1.0, 2.0, 0.5]))
        bn.bias.copy_(t([0.0, -1.0, 1.0]))
    xs = [np.random.default_rng(s).normal(s, 1 + s, shape).astype(np.float32) for s in range(3)]
    axes = (0, *range(2, len(shape)))
    cshape = (1, 3) + (1,) * (len(shape) - 2)
    for x in xs:
        y = bn(t(x))
        want = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
        close(y, want * bn.weight.detach().numpy().reshape(cshape) + bn.bias.detach().numpy().reshape(cshape), 1e-4)
    mean, var = _bn_reference([x.astype(np.float64) for x in xs], momentum)
    close(bn.running_mean, mean, 1e-4)
    close(bn.running_var, var, 1e-4)
    assert int(bn.num_batches_tracked) == 3
    bn.eval()
    x = t(xs[0])
    want = (xs[0] - mean.reshape(cshape)) / np.sqrt(var.reshape(cshape) + 1e-5)
    close(bn(x), want * bn.weight.detach().numpy().reshape(cshape) + bn.bias.detach().numpy().reshape(cshape), 1e-4)
    close(bn.running_mean, mean, 1e-4)  # eval does not update
    assert int(bn.num_batches_tracked) == 3


def test_batchnorm_options_and_errors():
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bn.weight is None and bn.running_mean is None and list(bn.state_dict()) == []
    x = rand(4, 3)
    close(bn.eval()(x), (x.numpy() - x.numpy().mean(0)) / np.sqrt(x.numpy().var(0) + 1e-5), 1e-4)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(X4)
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(X3)
    assert list(nn.BatchNorm2d(2).state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                                    "num_batches_tracked"]
    # a state dict from before num_batches_tracked (no version metadata) still loads
    sd = nn.BatchNorm2d(2).state_dict()
    del sd["num_batches_tracked"]
    del sd._metadata
    assert nn.BatchNorm2d(2).load_state_dict(sd).missing_keys == []
    bn = nn.BatchNorm1d(3)
    bn(rand(4, 3))
    bn.reset_running_stats()
    assert int(bn.num_batches_tracked) == 0 and float(bn.running_var.sum()) == 3.0


def test_instance_norm_unbatched_and_group_norm_errors():
    inn = nn.InstanceNorm1d(4)
    x = rand(4, 6)
    close(inn(x), F.instance_norm(x[None])[0])
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)


def test_embedding():
    nt.manual_seed(0)
    emb = nn.Embedding(10, 3, padding_idx=-1)
    assert emb.padding_idx == 9 and emb.weight.shape == (10, 3)
    w = emb.weight.detach().numpy()
    assert np.all(w[9] == 0) and w[:9].std() > 0.5  # N(0, 1) init
    idx = nt.tensor([[1, 9], [3, 1]])
    out = emb(idx)
    close(out, w[idx.numpy()])
    out.sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g[1], [2, 2, 2])
    np.testing.assert_array_equal(g[9], [0, 0, 0])  # the padding row gets no gradient
    np.testing.assert_array_equal(g[0], [0, 0, 0])
    table = t(np.arange(6).reshape(3, 2))
    pre = nn.Embedding.from_pretrained(table)
    assert not pre.weight.requires_grad and pre.weight.data_ptr() == table.data_ptr()
    close(pre(nt.tensor([2, 0])), [[4, 5], [0, 1]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


def test_embedding_bag_from_pretrained():
    table = t(np.arange(8.0).reshape(4, 2))
    bag = nn.EmbeddingBag.from_pretrained(table, mode="max", padding_idx=1)
    assert not bag.weight.requires_grad and bag.weight.data_ptr() == table.data_ptr()
    assert repr(bag) == "EmbeddingBag(4, 2, mode='max', padding_idx=1)"
    close(bag(nt.tensor([[0, 1], [2, 3]])), [[0, 1], [6, 7]])  # row 1 is padding: left out of bag 0
    assert nn.EmbeddingBag.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.EmbeddingBag.from_pretrained(t(np.zeros(3)))


def test_dropout_train_mode():
    nt.manual_seed(0)
    d = nn.Dropout(0.5)
    x = nt.ones(1000)
    y = d(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_max_pool_indices_and_unpool():
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    x = rand(1, 2, 4, 4)
    out, idx = pool(x)
    close(unpool(out, idx), F.max_unpool2d(out, idx, 2))
    assert unpool(out, idx, output_size=(5, 5)).shape == (1, 2, 5, 5)


PRED = rand(4, 5, seed=11)
TGT = rand(4, 5, seed=12)
CLS = nt.tensor([0, 4, 2, 2])
PROB = nt.sigmoid(PRED)
BIN = (TGT > 0).to(nt.float32)
W5 = t([1.0, 2.0, 0.5, 1.0, 3.0])
LOSS_CASES = [
    (nn.MSELoss(), (PRED, TGT), lambda: F.mse_loss(PRED, TGT)),
    (nn.MSELoss(reduction="sum"), (PRED, TGT), lambda: F.mse_loss(PRED, TGT, reduction="sum")),
    (nn.L1Loss(reduction="none"), (PRED, TGT), lambda: F.l1_loss(PRED, TGT, reduction="none")),
    (nn.CrossEntropyLoss(weight=W5, ignore_index=2, label_smoothing=0.1), (PRED, CLS),
     lambda: F.cross_entropy(PRED, CLS, W5, ignore_index=2, label_smoothing=0.1)),
    (nn.NLLLoss(weight=W5), (F.log_softmax(PRED, 1), CLS), lambda: F.nll_loss(F.log_softmax(PRED, 1), CLS, W5)),
    (nn.BCELoss(weight=W5), (PROB, BIN), lambda: F.binary_cross_entropy(PROB, BIN, W5)),
    (nn.BCEWithLogitsLoss(pos_weight=W5), (PRED, BIN),
     lambda: F.binary_cross_entropy_with_logits(PRED, BIN, pos_weight=W5)),
    (nn.SmoothL1Loss(beta=0.5), (PRED, TGT), lambda: F.smooth_l1_loss(PRED, TGT, beta=0.5)),
    (nn.HuberLoss(delta=0.3), (PRED, TGT), lambda: F.huber_loss(PRED, TGT, delta=0.3)),
    (nn.KLDivLoss(reduction="batchmean", log_target=True), (F.log_softmax(PRED, 1), F.log_softmax(TGT, 1)),
     lambda: F.kl_div(F.log_softmax(PRED, 1), F.log_softmax(TGT, 1), reduction="batchmean", log_target=True)),
    (nn.SoftMarginLoss(), (PRED, BIN * 2 - 1), lambda: F.soft_margin_loss(PRED, BIN * 2 - 1)),
    (nn.MultiLabelSoftMarginLoss(), (PRED, BIN), lambda: F.multilabel_soft_margin_loss(PRED, BIN)),
    (nn.MultiMarginLoss(p=2, margin=0.5), (PRED, CLS), lambda: F.multi_margin_loss(PRED, CLS, 2, 0.5)),
    (nn.PoissonNLLLoss(), (PRED, TGT.abs()), lambda: F.poisson_nll_loss(PRED, TGT.abs())),
    (nn.GaussianNLLLoss(), (PRED, TGT, PROB), lambda: F.gaussian_nll_loss(PRED, TGT, PROB)),
    (nn.MarginRankingLoss(0.2), (PRED[0], PRED[1], BIN[0] * 2 - 1),
     lambda: F.margin_ranking_loss(PRED[0], PRED[1], BIN[0] * 2 - 1, 0.2)),
    (nn.HingeEmbeddingLoss(), (PRED, BIN * 2 - 1), lambda: F.hinge_embedding_loss(PRED, BIN * 2 - 1)),
    (nn.CosineEmbeddingLoss(), (PRED, TGT, BIN[:, 0] * 2 - 1),
     lambda: F.cosine_embedding_loss(PRED, TGT, BIN[:, 0] * 2 - 1)),
    (nn.TripletMarginLoss(), (PRED, TGT, PROB), lambda: F.triplet_margin_loss(PRED, TGT, PROB)),
    (nn.CosineSimilarity(), (PRED, TGT), lambda: F.cosine_similarity(PRED, TGT)),
    (nn.PairwiseDistance(p=1.0), (PRED, TGT), lambda: F.pairwise_distance(PRED, TGT, 1.0)),
]


@pytest.mark.parametrize("case", range(len(LOSS_CASES)))
def test_loss_modules(case):
    module, args, fn = LOSS_CASES[case]
    close(module(*args), fn())


def test_loss_buffers_and_legacy_reduction():
    ce = nn.CrossEntropyLoss(weight=W5)
    assert list(ce.state_dict()) == ["weight"] and ce.weight is W5
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use "
                                         "reduction='sum' instead."):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    ce(PRED, CLS)
    mse = nn.MSELoss()
    close(mse(PRED, TGT), ((PRED.numpy() - TGT.numpy()) ** 2).mean())


def test_mlp_training_end_to_end():
    """A 2-layer MLP on two separable blobs reaches a low loss with plain SGD under no_grad."""
    nt.manual_seed(0)
    rng = np.random.default_rng(0)
    xa = rng.normal((2, 2), 0.5, (64, 2))
    xb = rng.normal((-2, -2), 0.5, (64, 2))
    x = t(np.concatenate([xa, xb]))
    y = nt.tensor(np.r_[np.zeros(64, np.int64), np.ones(64, np.int64)])
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(60):
        loss = loss_fn(model(x), y)
        first = first if first is not None else float(loss)
        model.zero_grad()
        loss.backward()
        with nt.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    final = float(loss_fn(model(x), y))
    assert final < 0.05 < first
    assert (model(x).argmax(1).numpy() == y.numpy()).all()


def test_batchnorm3d_and_instancenorm3d_match_the_functional_forms():
    x = nt.randn(2, 3, 2, 3, 4, dtype=nt.float64)
    bn = nt.nn.BatchNorm3d(3).double()
    want = nt.nn.functional.batch_norm(x, nt.zeros(3, dtype=nt.float64),
                                           nt.ones(3, dtype=nt.float64), bn.weight, bn.bias, training=True)
    np.testing.assert_allclose(bn(x).detach().numpy(), want.detach().numpy())
    assert int(bn.num_batches_tracked) == 1
    with pytest.raises(ValueError, match=r"expected 5D input \(got 3D input\)"):
        bn(nt.randn(2, 3, 4, dtype=nt.float64))
    inorm = nt.nn.InstanceNorm3d(3)
    np.testing.assert_allclose(inorm(x).numpy(), nt.nn.functional.instance_norm(x).numpy())
    np.testing.assert_allclose(inorm(x[0]).numpy(), nt.nn.functional.instance_norm(x[:1])[0].numpy())


@pytest.mark.parametrize("module", [nn.BatchNorm1d(3), nn.GroupNorm(1, 3), nn.InstanceNorm1d(3, affine=True)])
def test_norm_layers_reject_mixed_dtypes(module):
    """As torch's CPU kernels: a float32 input into float64 parameters (and the reverse) is an error."""
    x = rand(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"mixed dtype \(CPU\): expect parameter to have scalar type of Float"):
        module.double()(x.float())
    with pytest.raises(RuntimeError, match=r"mixed dtype \(CPU\): all inputs must share same datatype\."):
        module.float()(x.double())
    module.float()(x.half())  # float16 input, float32 parameters: allowed
    module.eval()
    if isinstance(module, nn.BatchNorm1d):
        with pytest.raises(RuntimeError, match="expect parameter to have scalar type of Float"):
            module.double()(x.float())


def test_prelu_and_rms_norm_dtypes():
    with pytest.raises(RuntimeError, match="prelu: Type promoting not supported. Got Float and Double"):
        nn.PReLU().double()(rand(2, 3).float())
    x = rand(2, 3)
    out = nn.RMSNorm(3).double()(x.float())  # computed, then cast back to the input's dtype
    assert out.dtype == nt.float32
    xf = x.numpy().astype(np.float32).astype(np.float64)
    close(out, xf / np.sqrt((xf ** 2).mean(-1, keepdims=True) + np.finfo(np.float32).eps))


def test_half_3d_average_pooling_is_refused_on_cpu():
    """torch's CPU avg_pool3d has no Half kernel, so AvgPool3d, LPPool3d and a 4-D LocalResponseNorm refuse
    float16 there (a 3-D LocalResponseNorm pools in 2-d and works)."""
    x = rand(1, 2, 2, 2, 2).half()
    for module in (nn.AvgPool3d(2), nn.LPPool3d(2, 2), nn.LocalResponseNorm(2)):
        with pytest.raises(NotImplementedError, match="\"avg_pool3d_out_frame\" not implemented for 'Half'"):
            module(x)
    assert nn.LocalResponseNorm(2)(rand(1, 2, 3).half()).dtype == nt.float16


def _legacy_lrn_grad(x, g, size, alpha, beta, k):
    """NumPy port of torch.nn.modules._functions.CrossMapLRN2d (forward scale and its hand-written backward loop)."""
    n, c = x.shape[:2]
    sq = x * x
    pre_pad = int((size - 1) / 2 + 1)
    scale = np.zeros_like(x)
    scale[:, 0] = sq[:, :min(pre_pad, c)].sum(1)
    for ch in range(1, c):
        scale[:, ch] = scale[:, ch - 1]
        if ch < c - pre_pad + 1:
            scale[:, ch] += sq[:, ch + pre_pad - 1]
        if ch > pre_pad:
            scale[:, ch] -= sq[:, ch - pre_pad]
    scale = scale * (alpha / size) + k
    out = x * scale ** -beta
    gin = scale ** -beta * g
    inv_pre = int(size - (size - 1) / 2)
    for b in range(n):
        padded = np.zeros((c + size - 1,) + x.shape[2:])
        padded[inv_pre:inv_pre + c] = g[b] * out[b] / scale[b]
        acc = padded[:size - 1].sum(0)
        for ch in range(c):
            acc = acc + padded[ch + size - 1]
            gin[b, ch] -= 2 * alpha * beta / size * x[b, ch] * acc
            acc = acc - padded[ch]
    return gin


@pytest.mark.parametrize("size,c", [(3, 4), (2, 5), (4, 3), (5, 7)])
def test_cross_map_lrn2d_has_torchs_legacy_backward(size, c, rng):
    """torch's CrossMapLRN2d backward is its own loop (not the forward's exact derivative): match it."""
    x = rng.standard_normal((2, c, 3, 2))
    g = rng.standard_normal(x.shape)
    t = nt.tensor(x, requires_grad=True)
    y = nn.CrossMapLRN2d(size, 0.1, 0.75, 2.0)(t)
    assert y.grad_fn.name() == "CrossMapLRN2dBackward"
    y.backward(nt.tensor(g))
    np.testing.assert_allclose(t.grad.numpy(), _legacy_lrn_grad(x, g, size, 0.1, 0.75, 2.0), rtol=1e-12, atol=1e-14)


def test_cross_map_lrn2d_size_1_backward_is_torchs_error():
    y = nn.CrossMapLRN2d(1)(nt.ones(1, 3, 2, 2, requires_grad=True))
    with pytest.raises(RuntimeError, match=r"start \(1\) \+ length \(3\) exceeds dimension size \(3\)\."):
        y.sum().backward()


# --- nn modules (wt_nnh)
# embedding's CPU path (one range check, one take, one EmbeddingBackward0 node) against NumPy: values, the
# weight gradient as a scatter-add of the output gradient (np.add.at), and torch's options and errors.
@pytest.mark.parametrize("idt", [nt.int64, nt.int32])
@pytest.mark.parametrize("wdt", [nt.float16, nt.float32, nt.float64])
def test_embedding_lookup_and_grad(idt, wdt):
    rng = np.random.default_rng(1)
    w = rng.normal(0, 1, (7, 4)).astype(wdt.np)
    idx = rng.integers(0, 7, (3, 5))
    weight = nt.tensor(w, requires_grad=True)
    out = F.embedding(nt.tensor(idx, dtype=idt), weight)
    assert out.dtype is wdt and tuple(out.shape) == (3, 5, 4) and out.grad_fn.name() == "EmbeddingBackward0"
    np.testing.assert_array_equal(out.detach().numpy(), w[idx])
    g = rng.normal(0, 1, (3, 5, 4)).astype(wdt.np)
    out.backward(nt.tensor(g))
    expected = np.zeros((7, 4))
    np.add.at(expected, idx.reshape(-1), g.reshape(-1, 4).astype(np.float64))
    assert weight.grad.dtype is wdt
    tol = 1e-2 if wdt is nt.float16 else 1e-6
    np.testing.assert_allclose(weight.grad.numpy().astype(np.float64), expected, rtol=tol, atol=tol)


def test_embedding_layouts_and_empty():
    w = np.arange(12.0).reshape(6, 2)
    idx = np.array([[0, 5, 2], [1, 1, 4]])
    tt = nt.tensor(np.ascontiguousarray(idx.T)).t()  # non-contiguous indices
    np.testing.assert_array_equal(F.embedding(tt, nt.tensor(w)).numpy(), w[idx])
    wt = nt.tensor(np.ascontiguousarray(w.T)).t()  # non-contiguous weight
    np.testing.assert_array_equal(F.embedding(nt.tensor(idx), wt).numpy(), w[idx])
    weight = nt.tensor(w, requires_grad=True)
    out = F.embedding(nt.zeros(0, 3, dtype=nt.int64), weight)
    assert tuple(out.shape) == (0, 3, 2)
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy(), np.zeros((6, 2)))
    assert tuple(F.embedding(nt.tensor(3), nt.tensor(w)).shape) == (2,)  # a 0-d index gives one row


def test_embedding_errors():
    w = nt.randn(5, 3)
    for bad in ([0, 5], [-1, 2], [[1], [7]]):
        with pytest.raises(IndexError, match="^index out of range in self$"):
            F.embedding(nt.tensor(bad), w)
    with pytest.raises(IndexError, match="^index out of range in self$"):
        F.embedding(nt.tensor([4, 9], dtype=nt.int32), w)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int; but got torch.FloatTensor instead"):
        F.embedding(nt.tensor([1.0]), w)


def test_embedding_padding_freq_and_max_norm():
    rng = np.random.default_rng(2)
    w = rng.normal(0, 2, (6, 3))
    idx = np.array([[1, 2, 1], [4, 1, 2]])
    g = rng.normal(0, 1, (2, 3, 3))
    g[0, 1] = np.inf  # the padding row's incoming gradient is skipped, not multiplied by zero
    weight = nt.tensor(w, requires_grad=True)
    F.embedding(nt.tensor(idx), weight, padding_idx=2, scale_grad_by_freq=True).backward(nt.tensor(g))
    counts = np.bincount(idx.reshape(-1), minlength=6)
    expected = np.zeros((6, 3))
    for i, row in zip(idx.reshape(-1), g.reshape(-1, 3)):
        if i != 2:
            expected[i] += row / counts[i]
    np.testing.assert_allclose(weight.grad.numpy(), expected, rtol=1e-12)
    # max_norm: the looked-up rows over the norm are scaled to it in place (torch's embedding_renorm_)
    w2 = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    weight = nt.tensor(w2.copy())
    out = F.embedding(nt.tensor([0, 1, 0]), weight, max_norm=1.0)
    renormed = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    renormed[0] *= 1.0 / (5.0 + 1e-7)
    np.testing.assert_allclose(weight.numpy(), renormed, rtol=1e-12)  # row 2 was not looked up: unchanged
    np.testing.assert_allclose(out.numpy(), renormed[[0, 1, 0]], rtol=1e-12)


def test_embedding_gradcheck():
    from ntorch.autograd import gradcheck, gradgradcheck

    w = nt.tensor(np.random.default_rng(3).normal(0, 1, (5, 2)), requires_grad=True)
    idx = nt.tensor([[0, 3], [3, 4]])
    fn = lambda w: F.embedding(idx, w) ** 2  # noqa: E731  (padding_idx / freq scaling are not true gradients)
    assert gradcheck(fn, (w,))
    assert gradgradcheck(fn, (w,))
