"""Recurrent/attention modules and the random samplers on CUDA: an LSTM, a GRU and a TransformerEncoderLayer moved
with .cuda() compute the CPU copy's outputs and gradients (the CUDA path composes ntorch ops where the CPU uses
fused step kernels); bernoulli / multinomial / in-place samplers draw on the device within their support; and
index_reduce matches the CPU. Tiny shapes: the simulator runs every GPU thread as a Python thread."""

from __future__ import annotations

import copy

import numpy as np

import ntorch as nt
import ntorch.nn as nn


def _close(got, want, tol=1e-4):
    assert got.is_cuda and not want.is_cuda
    np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(), rtol=tol, atol=tol)


def _compare(model, inputs, loss):
    dev = copy.deepcopy(model).cuda()
    out_cpu, out_dev = model(*inputs), dev(*[x.cuda() for x in inputs])
    loss(out_cpu).backward()
    loss(out_dev).backward()
    for (name, p), q in zip(model.named_parameters(), dev.parameters()):
        assert q.grad is not None and q.grad.is_cuda, name
        _close(q.grad, p.grad)
    return out_cpu, out_dev


def test_lstm_and_gru_on_cuda():
    nt.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = nt.randn(2, 2, 3)
    (o, (h, c)), (od, (hd, cd)) = _compare(lstm, (x,), lambda r: r[0].sum() + r[1][1].sum())
    _close(od, o)
    _close(hd, h)
    _close(cd, c)
    gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
    (o, h), (od, hd) = _compare(gru, (x,), lambda r: (r[0] * r[0]).sum())
    _close(od, o)
    _close(hd, h)


def test_transformer_encoder_layer_on_cuda():
    nt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, batch_first=True)
    x = nt.randn(2, 3, 4)
    out, out_dev = _compare(layer, (x,), lambda r: (r * r).sum())
    _close(out_dev, out)
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    mask = nt.tensor([[False, True, True], [False, False, True], [False, False, False]])
    d = copy.deepcopy(mha).cuda()
    o, w = mha(x, x, x, attn_mask=mask)
    od, wd = d(x.cuda(), x.cuda(), x.cuda(), attn_mask=mask.cuda())
    _close(od, o)
    _close(wd, w)


def test_samplers_on_cuda_in_range():
    nt.manual_seed(0)
    p = nt.tensor([0.0, 1.0, 0.5, 0.5], device="cuda")
    b = nt.bernoulli(p)
    assert b.is_cuda and b.dtype is nt.float32
    a = b.cpu().numpy()
    assert a[0] == 0.0 and a[1] == 1.0 and set(a[2:]) <= {0.0, 1.0}
    t = nt.zeros(16, device="cuda").bernoulli_(0.5)
    assert t.is_cuda and set(t.cpu().numpy()) <= {0.0, 1.0}
    w = nt.tensor([[1.0, 0.0, 2.0, 1.0], [0.0, 0.0, 1.0, 0.0]], device="cuda")
    m = nt.multinomial(w, 5, replacement=True)
    assert m.is_cuda and m.dtype is nt.int64 and tuple(m.shape) == (2, 5)
    mm = m.cpu().numpy()
    assert set(mm[0]) <= {0, 2, 3} and (mm[1] == 2).all()
    perm = nt.multinomial(nt.ones(4, device="cuda"), 4).cpu().numpy()
    assert sorted(perm) == [0, 1, 2, 3]
    u = nt.empty(32, device="cuda").uniform_(2.0, 3.0).cpu().numpy()
    assert (u >= 2).all() and (u < 3).all()
    e = nt.empty(32, device="cuda").exponential_().cpu().numpy()
    assert (e >= 0).all()
    r = nt.empty(32, dtype=nt.int64, device="cuda").random_(-2, 3).cpu().numpy()
    assert r.min() >= -2 and r.max() <= 2
    pois = nt.poisson(nt.full((16,), 3.0, device="cuda"))  # drawn on the host, keyed by the CUDA generator
    assert pois.is_cuda and (pois.cpu().numpy() >= 0).all()


def test_index_reduce_on_cuda():
    x = nt.randn(3, 2)
    s = nt.randn(4, 2)
    i = nt.tensor([0, 2, 0, 2])
    for reduce in ("prod", "mean", "amax", "amin"):
        want = x.index_reduce(0, i, s, reduce)
        _close(x.cuda().index_reduce(0, i.cuda(), s.cuda(), reduce), want, 1e-5)


def test_cuda_rng_state_round_trip_fork_rng_and_checkpoint_replay():
    from ntorch.utils.checkpoint import checkpoint

    nt.cuda.manual_seed(5)
    state = nt.cuda.get_rng_state()
    a = nt.rand(8, device="cuda")
    nt.cuda.set_rng_state(state)
    np.testing.assert_array_equal(nt.rand(8, device="cuda").cpu().numpy(), a.cpu().numpy())
    assert len(nt.cuda.get_rng_state_all()) == nt.cuda.device_count()
    with nt.random.fork_rng(devices=[0]):
        b = nt.rand(8, device="cuda")
    np.testing.assert_array_equal(nt.rand(8, device="cuda").cpu().numpy(), b.cpu().numpy())
    # dropout inside a checkpoint on the device sees the same mask when recomputed
    x = nt.randn(4, 6, device="cuda", requires_grad=True)
    nt.cuda.manual_seed(9)
    plain = nn.functional.dropout(x, 0.5) * x
    plain.sum().backward()
    g_plain, x.grad = x.grad.cpu().numpy(), None
    nt.cuda.manual_seed(9)
    ck = checkpoint(lambda t: nn.functional.dropout(t, 0.5) * t, x, use_reentrant=False)
    ck.sum().backward()
    np.testing.assert_array_equal(ck.detach().cpu().numpy(), plain.detach().cpu().numpy())
    np.testing.assert_array_equal(x.grad.cpu().numpy(), g_plain)
