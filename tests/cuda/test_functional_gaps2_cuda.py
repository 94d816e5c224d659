"""The f_gaps2 functions (3-d conv/pool, sampling, bilinear, embedding_bag, ctc_loss) on CUDA tensors against the
same calls on CPU tensors, values and input gradients (tiny shapes for the simulator)."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F

rng = np.random.default_rng(0)
X5 = rng.standard_normal((1, 2, 3, 3, 2))
X4 = rng.standard_normal((1, 2, 3, 3))
IDX = np.array([0, 2, 1, 2])
GRID = rng.random((1, 2, 2, 2)) * 2.4 - 1.2

CASES = {
    "conv3d": (X5, lambda t, d: F.conv3d(t, nt.tensor(np.ones((1, 2, 2, 2, 1)), device=d), padding=(1, 0, 0))),
    "conv_transpose3d": (X5, lambda t, d: F.conv_transpose3d(t, nt.tensor(np.ones((2, 1, 2, 1, 2)), device=d),
                                                             stride=2)),
    "max_pool3d": (X5, lambda t, d: F.max_pool3d(t, 2, 1, 1)),
    "avg_pool3d": (X5, lambda t, d: F.avg_pool3d(t, 2, 1, 1, ceil_mode=True)),
    "adaptive_max_pool3d": (X5, lambda t, d: F.adaptive_max_pool3d(t, (2, 2, 1))),
    "trilinear": (X5, lambda t, d: F.interpolate(t, scale_factor=1.5, mode="trilinear")),
    "bicubic": (X4, lambda t, d: F.interpolate(t, size=(4, 5), mode="bicubic", align_corners=True)),
    "grid_sample": (X4, lambda t, d: F.grid_sample(t, nt.tensor(GRID, device=d),
                                                   padding_mode="reflection", align_corners=False)),
    "bilinear": (X4[0, 0], lambda t, d: F.bilinear(t, t, nt.tensor(np.ones((2, 3, 3)), device=d))),
    "embedding_bag": (X4[0, 0], lambda t, d: F.embedding_bag(nt.tensor(IDX, device=d), t,
                                                             nt.tensor([0, 1], device=d), mode="max")),
    "ctc_loss": (rng.standard_normal((4, 1, 3)), lambda t, d: F.ctc_loss(t.log_softmax(2), nt.tensor([[1, 2]],
                                                                         device=d), (4,), (2,))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_matches_cpu(name):
    arr, fn = CASES[name]
    outs, grads = [], []
    for dev in ("cpu", "cuda"):
        t = nt.tensor(arr, device=dev, requires_grad=True)
        out = fn(t, dev)
        out.sum().backward()
        assert out.device.type == dev
        outs.append(out.detach().cpu().numpy())
        grads.append(t.grad.cpu().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10, atol=1e-12)
