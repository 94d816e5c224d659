"""The composite nn.functional ops on CUDA tensors against the same ops on CPU tensors (the CPU path is tested
against NumPy in tests/test_functional_extra.py, so it is the oracle here): forward values, dtypes and shapes,
the input gradients of sum(out * w) for a fixed random w, and in-place running-stat updates.

Shapes stay tiny: the simulator runs every GPU thread as a Python thread.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F

TOL = {nt.float32: 2e-5, nt.float64: 1e-12}


def rand(shape, seed=0, low=-2.0, high=2.0, dt=np.float64) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dt)


def check(got: nt.Tensor, want: nt.Tensor, msg: str = "", tol: float | None = None) -> None:
    assert got.is_cuda, msg
    assert got.dtype is want.dtype, (msg, got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape), (msg, tuple(got.shape), tuple(want.shape))
    tol = TOL[want.dtype] if tol is None else tol
    np.testing.assert_allclose(got.detach().cpu().numpy().astype(np.float64),
                               want.detach().numpy().astype(np.float64), rtol=tol, atol=tol, err_msg=msg)


def compare(fn, arrays, grads=None, msg=""):
    """fn on CPU tensors and on CUDA tensors of the same values; then the gradients of sum(out * w) of the
    float inputs listed in grads (all float inputs when None)."""
    grads = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"] if grads is None else grads
    cpu = [nt.from_numpy(np.array(a)) for a in arrays]
    dev = [nt.from_numpy(np.array(a)).cuda() for a in arrays]
    for i in grads:
        cpu[i].requires_grad_(True)
        dev[i].requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, got = fn(*cpu), fn(*dev)
    check(got, want, msg)
    if not grads:
        return
    w = nt.from_numpy(rand(tuple(want.shape), 7, dt=want.dtype.np))
    (want * w).sum().backward()
    (got * w.cuda()).sum().backward()
    for i in grads:
        check(dev[i].grad, cpu[i].grad, f"{msg} grad {i}", 4 * TOL[cpu[i].grad.dtype])


ACTIVATIONS = {
    "elu": F.elu, "celu": lambda x: F.celu(x, 0.5), "selu": F.selu, "mish": F.mish, "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid, "hardshrink": F.hardshrink, "softshrink": F.softshrink, "softsign": F.softsign,
    "tanhshrink": F.tanhshrink, "logsigmoid": F.logsigmoid, "softmin": lambda x: F.softmin(x, 1),
    "glu": lambda x: F.glu(x, 1), "threshold": lambda x: F.threshold(x, 0.3, -1.0), "rrelu": F.rrelu,
}


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations(name, dt):
    compare(ACTIVATIONS[name], [rand((2, 4), dt=dt)], msg=name)


def test_prelu_and_rrelu_training():
    compare(F.prelu, [rand((2, 3, 2)), rand((3,), 1)], msg="prelu")
    x = nt.from_numpy(-np.abs(rand((50,))) - 0.1).cuda()
    slopes = (F.rrelu(x, 0.1, 0.3, training=True) / x).cpu().numpy()
    assert slopes.min() >= 0.1 - 1e-12 and slopes.max() <= 0.3 + 1e-12 and slopes.std() > 0.01


def _sign(shape, seed):
    return np.where(rand(shape, seed) > 0, 1.0, -1.0)


LOSSES = {
    "smooth_l1_loss": (F.smooth_l1_loss, [rand((2, 3)), rand((2, 3), 1)], None),
    "huber_loss": (lambda x, t, w: F.huber_loss(x, t, weight=w, delta=0.5), [rand((2, 3)), rand((2, 3), 1),
                                                                               rand((2, 3), 2, 0.1)], None),
    "kl_div": (lambda x, t: F.kl_div(x, t, reduction="batchmean"), [rand((2, 3)), rand((2, 3), 1, 0.1)], None),
    "kl_div_log": (lambda x, t: F.kl_div(x, t, log_target=True, reduction="sum"), [rand((2, 3)), rand((2, 3), 1)],
                   None),
    "soft_margin_loss": (F.soft_margin_loss, [rand((2, 3)), _sign((2, 3), 1)], None),
    "margin_ranking_loss": (F.margin_ranking_loss, [rand((3,)), rand((3,), 1), _sign((3,), 2)], [0, 1]),
    "hinge_embedding_loss": (F.hinge_embedding_loss, [rand((2, 3)), _sign((2, 3), 1)], [0]),
    "cosine_embedding_loss": (F.cosine_embedding_loss, [rand((2, 3)), rand((2, 3), 1), _sign((2,), 2)], [0, 1]),
    "poisson_nll_loss": (lambda x, t: F.poisson_nll_loss(x, t, full=True), [rand((2, 3)), rand((2, 3), 1, 0, 3)],
                         None),
    "gaussian_nll_loss": (F.gaussian_nll_loss, [rand((2, 3)), rand((2, 3), 1), rand((2,), 2, 0.1)], None),
    "multilabel_soft_margin_loss": (F.multilabel_soft_margin_loss, [rand((2, 3)), (rand((2, 3), 1) > 0) * 1.0],
                                    [0]),
    "triplet_margin_loss": (lambda a, p, n: F.triplet_margin_loss(a, p, n, swap=True),
                            [rand((2, 3)), rand((2, 3), 1), rand((2, 3), 2)], None),
    "multi_margin_loss": (lambda x, y, w: F.multi_margin_loss(x, y, p=2, weight=w),
                          [rand((2, 3)), np.array([2, 0]), rand((3,), 1, 0.1)], [0, 2]),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses(name):
    fn, arrays, grads = LOSSES[name]
    compare(fn, arrays, grads, msg=name)


def test_distances_and_shuffles():
    compare(F.pairwise_distance, [rand((3, 2)), rand((3, 2), 1)], msg="pairwise_distance")
    compare(F.cosine_similarity, [rand((3, 2)), rand((1, 2), 1)], msg="cosine_similarity")
    compare(F.pdist, [rand((3, 2))], msg="pdist")
    compare(lambda x: F.pixel_shuffle(x, 2), [rand((1, 4, 2, 1))], msg="pixel_shuffle")
    compare(lambda x: F.pixel_unshuffle(x, 2), [rand((1, 1, 2, 4))], msg="pixel_unshuffle")
    compare(lambda w: F.embedding(nt.tensor([[0, 2], [2, 1]], device=w.device), w, padding_idx=2),
            [rand((3, 2))], msg="embedding")


def test_norms():
    x, w, b = rand((2, 4, 2)), rand((4,), 1), rand((4,), 2)
    compare(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b], msg="batch_norm")
    compare(lambda x: F.instance_norm(x), [x], msg="instance_norm")
    compare(lambda x, w, b: F.group_norm(x, 2, w, b), [x, w, b], msg="group_norm")
    compare(lambda x, w: F.rms_norm(x, (2,), w), [x, rand((2,), 3)], msg="rms_norm")
    compare(lambda x: F.local_response_norm(x, 3), [x], msg="local_response_norm")


def test_batch_norm_running_stats_update_on_device():
    x = rand((3, 2, 2))
    stats = {}
    for device in ("cpu", "cuda"):
        rm = nt.zeros(2, dtype=nt.float64, device=device)
        rv = nt.ones(2, dtype=nt.float64, device=device)
        out = F.batch_norm(nt.from_numpy(x.copy()).to(device), rm, rv, training=True, momentum=0.2)
        stats[device] = (out, rm, rv)
    for got, want in zip(stats["cuda"], stats["cpu"]):
        check(got, want)
    np.testing.assert_allclose(stats["cpu"][1].numpy(), 0.2 * x.mean((0, 2)))


def test_sdpa():
    q, k, v = rand((1, 2, 3)), rand((1, 3, 3), 1), rand((1, 3, 2), 2)
    compare(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [q, k, v], msg="causal")
    compare(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), [q, k, v, rand((2, 3), 3)],
            msg="float mask")
    mask = np.array([[True, False, True], [False, True, True]])
    compare(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=nt.tensor(mask, device=q.device)),
            [q, k, v], msg="bool mask")
