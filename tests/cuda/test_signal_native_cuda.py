"""stft / istft (direct and four-step DFT) and the ATen-level native ops on CUDA tensors against the same calls on
CPU tensors: values and input gradients (tiny shapes for the simulator)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cuda_util import RUN

import ntorch as nt

pytestmark = pytest.mark.skipif(not RUN, reason="needs a GPU or NUMBA_ENABLE_CUDASIM=1")

rng = np.random.default_rng(0)


def _t(a, d, grad=False):
    return nt.tensor(np.asarray(a, np.float64), device=d, requires_grad=grad)


def _both(fn, *arrays):
    """fn on CPU and on CUDA leaves; returns ((cpu out, cpu grads), (cuda out, cuda grads)) after sum().backward()."""
    res = []
    for d in ("cpu", "cuda"):
        leaves = [_t(a, d, True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*leaves)
        out = out[0] if isinstance(out, tuple) else out
        assert out.device.type == d
        out.sum().backward()
        res.append((out.detach().cpu().numpy(), [leaf.grad.cpu().numpy() for leaf in leaves]))
    return res


def _close(pair):
    (a, ga), (b, gb) = pair
    np.testing.assert_allclose(b, a, atol=1e-10)
    for x, y in zip(ga, gb, strict=True):
        np.testing.assert_allclose(y, x, atol=1e-10)


@pytest.mark.parametrize("four_step", [False, True])
def test_stft_istft_cuda(monkeypatch, four_step):
    from ntorch.ops import signal

    if four_step:
        monkeypatch.setattr(signal, "_FOUR_STEP_MIN", 1)
    x, w = rng.standard_normal((2, 40)), rng.random(16) + 0.5
    _close(_both(lambda a, b: nt.stft(a, 16, 4, window=b, return_complex=False), x, w))
    spec = rng.standard_normal((9, 11, 2))
    _close(_both(lambda s, b: nt.istft(s, 16, 4, window=b), spec, w))


def test_native_ops_cuda():
    x, w = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 3, 2, 2))
    _close(_both(lambda a, b: nt.convolution(a, b, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1), x, w))
    _close(_both(lambda a: nt.native_layer_norm(a, [4, 4], None, None, 1e-5), x))
    _close(_both(lambda a: nt.native_group_norm(a, None, None, 2, 3, 16, 3, 1e-5), x))
    g = rng.random((2, 3, 3, 2)) * 2 - 1
    _close(_both(lambda a, b: nt.grid_sampler_2d(a, b, 0, 1, False), x, g))
    ps = [rng.standard_normal((6, 3)) * 0.5, rng.standard_normal((6, 2)) * 0.5]
    _close(_both(lambda a, h, p1, p2: nt.gru(a, h, [p1, p2], False, 1, 0.0, False, False, False),
                 rng.standard_normal((3, 1, 3)), rng.standard_normal((1, 1, 2)), *ps))
    _close(_both(lambda a: nt.segment_reduce(a, "max", lengths=nt.tensor([2, 0, 2], device=a.device)),
                 rng.standard_normal((4, 2))))
