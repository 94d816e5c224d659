"""The namespace-gap additions (F functions, nn modules, Tensor methods, special functions, linalg) on CUDA tensors
against the same calls on CPU tensors, values and input gradients (tiny shapes for the simulator)."""

from __future__ import annotations

import numpy as np
import pytest
from cuda_util import RUN

import ntorch as nt
import ntorch.nn as nn
import ntorch.nn.functional as F

pytestmark = pytest.mark.skipif(not RUN, reason="needs a GPU or NUMBA_ENABLE_CUDASIM=1")

rng = np.random.default_rng(0)
X3 = rng.standard_normal((1, 2, 4))
X4 = rng.standard_normal((1, 2, 4, 4))
X5 = rng.standard_normal((1, 1, 2, 4, 2))
POS4 = rng.uniform(0.2, 1.5, (1, 2, 4, 4))
SAMPLES2 = rng.random((1, 2, 2))
SAMPLES3 = rng.random((1, 1, 3))
TGT = np.array([[2, 0, -1, 1], [3, -1, 0, 0]])
LAB = np.array([0, 3, 5, 6])


def _t(a, d, grad=False):
    return nt.tensor(np.asarray(a, np.float64), device=d, requires_grad=grad)


def _unpool1d(t, d):
    out, idx = F.max_pool1d_with_indices(t, 2)
    return F.max_unpool1d(out, idx, 2)


def _unpool3d(t, d):
    out, idx = F.max_pool3d_with_indices(t, 2)
    return nn.MaxUnpool3d(2)(out, idx)


def _alsm(t, d):
    nt.manual_seed(0)
    m = nn.AdaptiveLogSoftmaxWithLoss(4, 8, [2, 5], div_value=2.0).double().to(d)
    out, loss = m(t, nt.tensor(LAB, device=d))
    return out.sum() + loss + m.log_prob(t).sum()


CASES = {  # name -> (input, fn(tensor, device) -> tensor to compare and backpropagate)
    "lp_pool1d": (POS4[0], lambda t, d: F.lp_pool1d(t, 2.0, 2)),
    "lp_pool2d": (POS4, lambda t, d: nn.LPPool2d(3, 2)(t)),
    "lp_pool3d": (POS4[None], lambda t, d: nn.LPPool3d(2, (1, 2, 2))(t)),
    "max_unpool1d": (X3, _unpool1d),
    "max_unpool3d": (X5, _unpool3d),
    "adaptive_max_pool2d_with_indices": (X4, lambda t, d: F.adaptive_max_pool2d_with_indices(t, 2)[0]),
    "fractional_max_pool2d": (X4, lambda t, d: nn.FractionalMaxPool2d(2, output_size=3, _random_samples=_t(
        SAMPLES2, d))(t)),
    "fractional_max_pool3d": (X5, lambda t, d: F.fractional_max_pool3d_with_indices(
        t, (1, 2, 1), output_size=(1, 2, 1), _random_samples=_t(SAMPLES3, d))[0]),
    "multilabel_margin_loss": (X4[0, :, 0], lambda t, d: nn.MultiLabelMarginLoss()(t, nt.tensor(TGT, device=d))),
    "triplet_margin_with_distance_loss": (X4[0], lambda t, d: nn.TripletMarginWithDistanceLoss(swap=True)(
        t[0], t[1], t[0].flip(0))),
    "softmax2d": (X4, lambda t, d: nn.Softmax2d()(t)),
    "fold_unfold": (X4, lambda t, d: nn.Fold(4, 2)(nn.Unfold(2)(t))),
    "pad3d": (X5, lambda t, d: nn.ReflectionPad3d(1)(t) .sum() + nn.ReplicationPad3d(1)(t).sum()
              + nn.CircularPad3d(1)(t).sum() + nn.ConstantPad3d(1, 2.0)(t).sum() + nn.ZeroPad3d(1)(t).sum()),
    "upsampling": (X4, lambda t, d: nn.UpsamplingBilinear2d(scale_factor=2)(t).sum()
                   + nn.UpsamplingNearest2d(size=5)(t).sum()),
    "cross_map_lrn2d": (X4, lambda t, d: nn.CrossMapLRN2d(3, 0.1)(t)),
    "nll_loss2d": (X4, lambda t, d: nn.NLLLoss()(t.log_softmax(1), nt.tensor(np.zeros((1, 4, 4), np.int64),
                                                                              device=d))),
    "adaptive_log_softmax": (X4[0, 0], _alsm),
    "gammainc": (POS4[0, 0], lambda t, d: nt.special.gammainc(_t(POS4[0, 1], d), t)
                 + nt.special.gammaincc(_t(POS4[0, 0], d), t)),
    "i1e_i0e": (X4[0, 0], lambda t, d: nt.special.i1e(t) + nt.special.i0e(t)),
    "householder_product": (X4[0, 0], lambda t, d: nt.linalg.householder_product(t, t[0, :2])),
    "vander_diagonal": (X4[0, 0, 0], lambda t, d: nt.linalg.vander(t).sum() + nt.linalg.diagonal(
        nt.linalg.vander(t), offset=1).sum()),
    "relu_leaky_hardtanh_": (X4[0, 0], lambda t, d: F.hardtanh_(F.leaky_relu_(F.relu_(t * 1.0) - 0.5, 0.1), -.3, .3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_matches_cpu(name):
    arr, fn = CASES[name]
    outs, grads = [], []
    for dev in ("cpu", "cuda"):
        nt.manual_seed(1)
        t = _t(arr, dev, grad=True)
        out = fn(t, dev)
        out.sum().backward()
        assert out.device.type == dev
        outs.append(out.detach().cpu().numpy())
        grads.append(t.grad.cpu().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10, atol=1e-12)


SPECIAL_X = np.array([-7.0, -0.4, 0.0, 0.6, 1.0, 3.5, 26.0])
UNARY = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
         "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
         "spherical_bessel_j0", "airy_ai", "i1", "i1e"]
POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
         "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
def test_special_unary_cuda(dt):
    for name in UNARY:
        fn = getattr(nt.special, name)
        cpu = fn(nt.tensor(SPECIAL_X, dtype=dt)).numpy()
        gpu = fn(nt.tensor(SPECIAL_X, dtype=dt, device="cuda"))
        assert gpu.dtype is dt and gpu.device.type == "cuda"
        np.testing.assert_allclose(gpu.cpu().numpy(), cpu, rtol=1e-5 if dt is nt.float32 else 1e-12, atol=1e-30,
                                   err_msg=name)


def test_special_polynomials_cuda():
    x = np.array([-1.0, -0.3, 0.0, 0.45, 1.0, 1.3])
    n = np.array([0, 1, 3, 7, 9, 12])
    for name in POLYS:
        fn = getattr(nt.special, name)
        cpu = fn(nt.tensor(x), nt.tensor(n)).numpy()
        gpu = fn(nt.tensor(x, device="cuda"), nt.tensor(n, device="cuda")).cpu().numpy()
        np.testing.assert_allclose(gpu, cpu, rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(fn(nt.tensor(x, device="cuda"), 4).cpu().numpy(), fn(nt.tensor(x), 4).numpy(),
                                   rtol=1e-12, atol=1e-14, err_msg=name)


def test_lazy_modules_cuda():
    for lazy, x, final in ((nn.LazyLinear(3), nt.randn(2, 4), nn.Linear),
                           (nn.LazyConv1d(2, 3), nt.randn(1, 3, 5), nn.Conv1d),
                           (nn.LazyConvTranspose2d(2, 2), nt.randn(1, 3, 2, 2), nn.ConvTranspose2d),
                           (nn.LazyBatchNorm1d(), nt.randn(4, 3), nn.BatchNorm1d),
                           (nn.LazyInstanceNorm2d(), nt.randn(2, 3, 2, 2), nn.InstanceNorm2d)):
        lazy.to("cuda")
        out = lazy(x.to("cuda"))
        assert type(lazy) is final and out.device.type == "cuda"
        assert all(p.device.type == "cuda" for p in lazy.parameters())
        assert all(b.device.type == "cuda" for b in lazy.buffers())


def test_tensor_methods_cuda():
    x = nt.tensor([[0.0, 1.0, 2.0], [3.0, 0.0, 5.0]], device="cuda")
    assert not x.is_meta and not x.is_sparse and not x.is_mps
    np.testing.assert_array_equal(x.nonzero_static(size=5).cpu().numpy(),
                                  [[0, 1], [0, 2], [1, 0], [1, 2], [-1, -1]])
    assert x.new(2).device.type == "cuda" and x.new([1, 2]).device.type == "cuda"
    np.testing.assert_allclose(x.igamma(x + 1).cpu().numpy(), x.cpu().igamma(x.cpu() + 1).numpy(), rtol=1e-6)
    assert [tuple(p.shape) for p in x.unsafe_split(2, 1)] == [(2, 2), (2, 1)]
    with pytest.raises(TypeError, match="only implemented on CPU tensors"):
        x.apply_(lambda v: v)
    w = nt.zeros(3, device="cuda", requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.cpu().numpy()))
    (w * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], [2, 2, 2])


def test_gumbel_softmax_cuda():
    """The noise streams differ by device: check the straight-through gradient on the device itself."""
    logits = _t(X4[0, 0], "cuda", grad=True)
    w = _t(X4[0, 1], "cuda")
    nt.manual_seed(3)
    soft = F.gumbel_softmax(logits, tau=0.5)
    nt.manual_seed(3)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    h = hard.detach().cpu().numpy()
    assert hard.device.type == "cuda" and (h.sum(1) == 1).all() and set(np.unique(h)) == {0.0, 1.0}
    np.testing.assert_array_equal(h.argmax(1), soft.detach().cpu().numpy().argmax(1))
    g_hard = nt.autograd.grad((hard * w).sum(), logits)[0].cpu().numpy()
    g_soft = nt.autograd.grad((soft * w).sum(), logits)[0].cpu().numpy()
    np.testing.assert_allclose(g_hard, g_soft, rtol=1e-12)
