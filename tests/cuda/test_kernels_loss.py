"""CUDA class-index losses (fused cross-entropy rows, NLL) and their backward against reference loops written
here in float64: per-element outputs, the smoothing term, the weight column, bad-target flags."""

import numpy as np
import pytest
from cuda_util import dev, empty, host, transposed
from ntorch.kernels.cuda import arrays
from ntorch.kernels.cuda import indexing as I
from ntorch.kernels.cuda import loss as L
from ntorch.kernels.cuda import softmax as S

FLOATS = [np.float16, np.float32, np.float64]


def _acc(dt):
    return np.float64 if dt == np.float64 else np.float32


def _tol(dt):
    return {np.float16: 1e-3, np.float32: 1e-5, np.float64: 1e-12}[dt]


def _logsoftmax(x):
    x = x.astype(np.float64)
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True))


def _ref_ce(x, t, w, ignore):
    """Per row: (loss, smoothing term, lse, weight of the target), by loops."""
    n, c = x.shape
    out = np.zeros((4, n))
    lp = _logsoftmax(x)
    for r in range(n):
        if t[r] == ignore:
            continue
        out[0, r] = -w[t[r]] * lp[r, t[r]]
        out[1, r] = -sum(w[k] * lp[r, k] for k in range(c))
        xr = x[r].astype(np.float64)
        out[2, r] = np.log(np.exp(xr - xr.max()).sum()) + xr.max()
        out[3, r] = w[t[r]]
    return out


def _ce(x, t, w, ignore, smooth, xd=None):
    n = x.shape[0]
    acc = _acc(x.dtype.type)
    outs = [empty((n,), acc) for _ in range(4)]
    flag = I.new_flag()
    L.cross_entropy_rows(dev(x) if xd is None else xd, dev(t), dev(w.astype(acc)), ignore, smooth, outs[0], outs[1],
                         outs[2], outs[3], flag)
    return np.array([host(o) for o in outs]), I.read_flag(flag)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(4, 5), (1, 1), (3, 37)], ids=["small", "one-class", "odd"])
def test_cross_entropy_rows(shape, dt):
    rng = np.random.default_rng(0)
    n, c = shape
    x = (rng.standard_normal(shape) * 3).astype(dt)
    t = rng.integers(0, c, n)
    t[0] = -100
    w = rng.random(c) + 0.5
    got, bad = _ce(x, t, w, -100, True)
    want = _ref_ce(x, t, w.astype(_acc(dt)), -100)
    assert bad is None
    np.testing.assert_allclose(got, want, rtol=_tol(dt) * 10, atol=_tol(dt))


@pytest.mark.parametrize("config", ["warp-rows", "block-rows"])
def test_cross_entropy_row_configurations(config, monkeypatch):
    monkeypatch.setattr(S, "SHORT_N", 1 << 20 if config == "warp-rows" else 0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 45)).astype(np.float32)
    t = rng.integers(0, 45, 7)
    t[3] = 7  # also the ignore_index: ignored
    w = np.ones(45)
    got, bad = _ce(x, t, w, 7, True)
    assert bad is None
    np.testing.assert_allclose(got, _ref_ce(x, t, w, 7), rtol=1e-5, atol=1e-5)


def test_cross_entropy_without_smoothing_leaves_sm_alone_and_layouts():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6)).astype(np.float64)
    t = rng.integers(0, 6, 5)
    w = np.ones(6)
    outs = [empty((5,), np.float64) for _ in range(3)]
    flag = I.new_flag()
    L.cross_entropy_rows(transposed(x), dev(t.astype(np.int32)), dev(w), -100, False, outs[0], None, outs[1], outs[2],
                         flag)
    want = _ref_ce(x, t, w, -100)
    for k, o in zip((0, 2, 3), outs):
        np.testing.assert_allclose(host(o), want[k], rtol=1e-12)
    assert I.read_flag(flag) is None


def test_cross_entropy_extreme_logits():
    x = np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4 + 1, -1e4 + 2]], np.float32)
    t = np.array([2, 0])
    got, _ = _ce(x, t, np.ones(3), -100, False)
    np.testing.assert_allclose(got[0], [2000.0, 2.40760596], rtol=1e-6)


def test_bad_targets_are_flagged_not_read():
    x = np.zeros((5, 3), np.float32)
    t = np.array([0, 1, 3, -1, 2])
    got, bad = _ce(x, t, np.ones(3), -100, True)
    assert bad == 2
    assert (got[:, 2:4] == 0).all()
    np.testing.assert_allclose(got[0, [0, 1, 4]], np.log(3.0), rtol=1e-6)


def _ref_grad(x, lse_in_x, t, w, ignore, keep, add, gs):
    """(softmax * Q - q) * gs over (N, C, D) by loops; x holds logits (lse_in_x) or log-probabilities."""
    n, c, d = x.shape
    out = np.zeros(x.shape)
    for i in range(n):
        for j in range(d):
            if t[i, j] == ignore:
                continue
            col = x[i, :, j].astype(np.float64)
            p = np.exp(col - (np.log(np.exp(col - col.max()).sum()) + col.max() if lse_in_x else 0.0))
            q = add * w.astype(np.float64)
            q[t[i, j]] += keep * w[t[i, j]]
            out[i, :, j] = (p * q.sum() - q) * gs[i, j]
    return out


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
def test_cross_entropy_rows_backward(dt, smoothing):
    rng = np.random.default_rng(3)
    n, c = 4, 7
    x = rng.standard_normal((n, c)).astype(dt)
    t = rng.integers(0, c, n)
    t[1] = -100
    acc = _acc(dt)
    w = (rng.random(c) + 0.5).astype(acc)
    lse = _ref_ce(x, np.zeros(n, np.int64), w, -100)[2].astype(acc)
    gs = rng.standard_normal(n).astype(acc)
    out = empty((n, c), acc)
    keep, add = 1 - smoothing, smoothing / c
    L.cross_entropy_rows_backward(dev(x), dev(t), dev(w), -100, dev(lse), keep, add, dev(gs), out)
    want = _ref_grad(x[..., None], True, t[:, None], w, -100, keep, add, gs[:, None])[..., 0]
    np.testing.assert_allclose(host(out), want, rtol=_tol(dt) * 10, atol=_tol(dt) * 10)


def test_cross_entropy_backward_3d_from_log_probabilities_with_broadcast_gs():
    rng = np.random.default_rng(4)
    n, c, d = 2, 4, 3
    logp = _logsoftmax(rng.standard_normal((n, c, d))).astype(np.float32)
    t = rng.integers(0, c, (n, d))
    w = np.ones(c, np.float32)
    zero = arrays.view(dev(np.zeros(1, np.float32)), (n, d), (0, 0))  # lse 0: x holds log-probabilities
    gs = arrays.view(dev(np.array([0.25], np.float32)), (n, d), (0, 0))  # one scale for every element
    out = empty((n, c, d), np.float32)
    L.cross_entropy_backward_3d(dev(logp), zero, dev(t), dev(w), -100, 0.9, 0.1 / c, gs, out)
    want = _ref_grad(logp, False, t, w, -100, 0.9, 0.1 / c, np.full((n, d), 0.25))
    np.testing.assert_allclose(host(out), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
def test_nll_3d(dt):
    rng = np.random.default_rng(5)
    n, c, d = 3, 4, 2
    logp = _logsoftmax(rng.standard_normal((n, c, d))).astype(dt)
    t = rng.integers(0, c, (n, d))
    t[1, 0] = -1  # the ignore_index here
    acc = _acc(dt)
    w = (rng.random(c) + 0.5).astype(acc)
    loss, sm, wrow = empty((n, d), acc), empty((n, d), acc), empty((n, d), acc)
    flag = I.new_flag()
    L.nll_3d(dev(logp), dev(t), dev(w), -1, True, loss, sm, wrow, flag)
    want = np.zeros((3, n, d))
    for i in range(n):
        for j in range(d):
            if t[i, j] != -1:
                want[:, i, j] = (-w[t[i, j]] * logp[i, t[i, j], j], -(w * logp[i, :, j]).sum(), w[t[i, j]])
    got = np.array([host(loss), host(sm), host(wrow)])
    np.testing.assert_allclose(got, want, rtol=_tol(dt) * 10, atol=_tol(dt))
    assert I.read_flag(flag) is None


def test_nll_flags_first_bad_position():
    logp = np.zeros((2, 3, 2), np.float32)
    t = np.array([[0, 1], [5, -7]])
    loss, wrow = empty((2, 2), np.float32), empty((2, 2), np.float32)
    flag = I.new_flag()
    L.nll_3d(dev(logp), dev(t), dev(np.ones(3, np.float32)), -100, False, loss, None, wrow, flag)
    assert I.read_flag(flag) == 2
    np.testing.assert_array_equal(host(wrow), [[1, 1], [0, 0]])


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_nll_backward(dt):
    rng = np.random.default_rng(6)
    n, c, d = 3, 5, 2
    t = rng.integers(0, c, (n, d))
    t[2, 1] = -100
    w = (rng.random(c) + 0.5).astype(dt)
    gs = rng.standard_normal((n, d)).astype(dt)
    out = empty((n, c, d), dt)
    keep, add = 0.8, 0.2 / c
    L.nll_backward_3d(dev(t), dev(w), -100, keep, add, dev(gs), out)
    want = np.zeros((n, c, d))
    for i in range(n):
        for j in range(d):
            if t[i, j] != -100:
                q = add * w.astype(np.float64)
                q[t[i, j]] += keep * w[t[i, j]]
                want[i, :, j] = -q * gs[i, j]
    np.testing.assert_allclose(host(out), want, rtol=_tol(dt) * 10, atol=_tol(dt))


def test_empty_and_bad_shapes():
    flag = I.new_flag()
    z = empty((0,), np.float32)
    L.cross_entropy_rows(dev(np.zeros((0, 3), np.float32)), dev(np.zeros(0, np.int64)), dev(np.ones(3, np.float32)),
                         -100, True, z, z, z, z, flag)
    assert I.read_flag(flag) is None
    with pytest.raises(ValueError, match="target of shape"):
        L.cross_entropy_rows(dev(np.zeros((2, 3), np.float32)), dev(np.zeros(3, np.int64)),
                             dev(np.ones(3, np.float32)), -100, False, z, None, z, z, flag)
    with pytest.raises(TypeError, match="integer"):
        L.nll_3d(dev(np.zeros((2, 3, 1), np.float32)), dev(np.zeros((2, 1), np.float32)),
                 dev(np.ones(3, np.float32)), -100, False, empty((2, 1), np.float32), None,
                 empty((2, 1), np.float32), flag)
