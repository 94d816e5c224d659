"""nn.RNN / LSTM / GRU and their cells against a NumPy step loop written here with the module's own weights,
plus parameter names/shapes/init, errors and float64 gradchecks (including the fused CPU step kernels)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn as nn
from ntorch.autograd import gradcheck, gradgradcheck


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_cell(mode, x, h, c, p):
    """One step of torch's documented equations, from a dict of NumPy weights."""
    bi = p.get("bias_ih", 0.0)
    bh = p.get("bias_hh", 0.0)
    gi = x @ p["weight_ih"].T + bi
    gh = h @ p["weight_hh"].T + bh
    if mode == "RNN_TANH":
        return np.tanh(gi + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0.0), None
    if mode == "GRU":
        n = h.shape[-1]
        r = _sig(gi[:, :n] + gh[:, :n])
        z = _sig(gi[:, n:2 * n] + gh[:, n:2 * n])
        cand = np.tanh(gi[:, 2 * n:] + r * gh[:, 2 * n:])
        return (1 - z) * cand + z * h, None
    n = c.shape[-1]
    g = gi + gh
    i, f, gg, o = _sig(g[:, :n]), _sig(g[:, n:2 * n]), np.tanh(g[:, 2 * n:3 * n]), _sig(g[:, 3 * n:])
    c = f * c + i * gg
    h = o * np.tanh(c)
    if "weight_hr" in p:
        h = h @ p["weight_hr"].T
    return h, c


def _np_rnn(module, x, h0, c0):
    """The stacked (bi)directional recurrence over time-major x (T, B, I), as torch defines it."""
    mode = module.mode
    dirs = 2 if module.bidirectional else 1
    layer_in = x
    hn, cn = [], []
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            suffix = "_reverse" if d else ""
            p = {}
            for base in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"):
                w = getattr(module, f"{base}_l{layer}{suffix}", None)
                if w is not None:
                    p[base] = w.detach().numpy().astype(np.float64)
            h = h0[k]
            c = c0[k] if c0 is not None else None
            ys = [None] * x.shape[0]
            for t in (reversed(range(x.shape[0])) if d else range(x.shape[0])):
                h, c = _np_cell(mode, layer_in[t], h, c, p)
                ys[t] = h
            outs.append(np.stack(ys))
            hn.append(h)
            cn.append(c)
        layer_in = np.concatenate(outs, -1)
    return layer_in, np.stack(hn), (np.stack(cn) if c0 is not None else None)


CONFIGS = [
    dict(num_layers=1),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=2, batch_first=True),
    dict(num_layers=1, bias=False, bidirectional=True, batch_first=True),
]


def _make(cls, config, **extra):
    nt.manual_seed(0)
    kw = dict(config)
    kw.update(extra)
    return cls(3, 5, dtype=nt.float64, **kw)


@pytest.mark.parametrize("cls,extra", [(nn.RNN, {}), (nn.RNN, {"nonlinearity": "relu"}), (nn.GRU, {}),
                                       (nn.LSTM, {}), (nn.LSTM, {"proj_size": 2})])
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("with_h0", [False, True])
def test_against_numpy_loop(cls, extra, config, with_h0):
    m = _make(cls, config, **extra)
    rng = np.random.default_rng(1)
    T, B = 4, 2
    x = rng.standard_normal((T, B, 3))
    dirs = 2 if m.bidirectional else 1
    h_size = m.proj_size or m.hidden_size
    lstm = m.mode == "LSTM"
    h0 = rng.standard_normal((m.num_layers * dirs, B, h_size)) if with_h0 else np.zeros((m.num_layers * dirs, B,
                                                                                           h_size))
    c0 = (rng.standard_normal((m.num_layers * dirs, B, 5)) if with_h0 else np.zeros((m.num_layers * dirs, B, 5))) \
        if lstm else None
    want_out, want_h, want_c = _np_rnn(m, x, h0, c0)
    xin = x.transpose(1, 0, 2) if m.batch_first else x
    if with_h0:
        hx = (nt.tensor(h0), nt.tensor(c0)) if lstm else nt.tensor(h0)
        out, hn = m(nt.tensor(xin), hx)
    else:
        out, hn = m(nt.tensor(xin))
    got_out = out.detach().numpy()
    if m.batch_first:
        got_out = got_out.transpose(1, 0, 2)
    np.testing.assert_allclose(got_out, want_out, rtol=1e-10, atol=1e-12)
    assert tuple(out.shape) == tuple(xin.shape[:2]) + (dirs * h_size,)
    if lstm:
        np.testing.assert_allclose(hn[0].detach().numpy(), want_h, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(hn[1].detach().numpy(), want_c, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_allclose(hn.detach().numpy(), want_h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_matches_batch_of_one(cls, batch_first):
    m = _make(cls, dict(num_layers=2, bidirectional=True, batch_first=batch_first))
    x = nt.randn(4, 3, dtype=nt.float64)
    out, hn = m(x)
    out1, hn1 = m(x.unsqueeze(0 if batch_first else 1))
    assert tuple(out.shape) == (4, 10)
    np.testing.assert_allclose(out.detach().numpy(), out1.detach().numpy().squeeze(0 if batch_first else 1))
    if cls is nn.LSTM:
        assert tuple(hn[0].shape) == (4, 5) and tuple(hn[1].shape) == (4, 5)
        h0 = (nt.randn(4, 5, dtype=nt.float64), nt.randn(4, 5, dtype=nt.float64))
        out2, _ = m(x, h0)
        out3, _ = m(x.unsqueeze(0 if batch_first else 1), (h0[0].unsqueeze(1), h0[1].unsqueeze(1)))
    else:
        assert tuple(hn.shape) == (4, 5)
        h0 = nt.randn(4, 5, dtype=nt.float64)
        out2, _ = m(x, h0)
        out3, _ = m(x.unsqueeze(0 if batch_first else 1), h0.unsqueeze(1))
    np.testing.assert_allclose(out2.detach().numpy(), out3.detach().numpy().squeeze(0 if batch_first else 1))


def test_parameter_names_shapes_and_init():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    names = [n for n, _ in m.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert names[5:10] == [n + "_reverse" for n in names[:5]]
    assert names[10] == "weight_ih_l1"
    shapes = [tuple(p.shape) for p in m.parameters()]
    assert shapes[:5] == [(20, 3), (20, 2), (20,), (20,), (2, 5)]
    assert shapes[10] == (20, 4)  # layer 1 input: 2 directions * proj_size
    g = nn.GRU(4, 6, bias=False)
    assert [tuple(p.shape) for p in g.parameters()] == [(18, 4), (18, 6)]
    big = nn.RNN(10, 400)
    w = big.weight_hh_l0.detach().numpy()
    bound = 1 / math.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.mean()) < 0.01 * bound * 10 and abs(w.var() - bound ** 2 / 3) < 0.05 * bound ** 2
    m.flatten_parameters()  # a no-op
    assert len(m.all_weights) == 4 and m.all_weights[1][0] is m.weight_ih_l0_reverse
    assert repr(nn.GRU(3, 4, 2, bias=False, batch_first=True, dropout=0.5)) == \
        "GRU(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


@pytest.mark.parametrize("cls,mode", [(nn.RNNCell, "RNN_TANH"), (nn.GRUCell, "GRU"), (nn.LSTMCell, "LSTM")])
def test_cells_against_numpy(cls, mode):
    nt.manual_seed(3)
    m = cls(3, 4, dtype=nt.float64)
    rng = np.random.default_rng(0)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    p = {n: t.detach().numpy() for n, t in m.named_parameters()}
    want_h, want_c = _np_cell(mode, x, h, c, p)
    if mode == "LSTM":
        got_h, got_c = m(nt.tensor(x), (nt.tensor(h), nt.tensor(c)))
        np.testing.assert_allclose(got_c.detach().numpy(), want_c, rtol=1e-12)
        uh, uc = m(nt.tensor(x[0]), (nt.tensor(h[0]), nt.tensor(c[0])))
        np.testing.assert_allclose(uh.detach().numpy(), want_h[0], rtol=1e-12)
        zero_h, _ = m(nt.tensor(x))
        np.testing.assert_allclose(zero_h.detach().numpy(), _np_cell(mode, x, 0 * h, 0 * c, p)[0], rtol=1e-12)
    else:
        got_h = m(nt.tensor(x), nt.tensor(h))
        assert tuple(m(nt.tensor(x[0])).shape) == (4,)
    np.testing.assert_allclose(got_h.detach().numpy(), want_h, rtol=1e-12)


def test_rnn_cell_relu():
    m = nn.RNNCell(3, 4, nonlinearity="relu", dtype=nt.float64)
    x, h = np.random.default_rng(0).standard_normal((2, 3)), np.zeros((2, 4))
    p = {n: t.detach().numpy() for n, t in m.named_parameters()}
    np.testing.assert_allclose(m(nt.tensor(x)).detach().numpy(), _np_cell("RNN_RELU", x, h, None, p)[0])


@pytest.mark.parametrize("cls,extra", [(nn.RNN, {}), (nn.GRU, {}), (nn.LSTM, {}), (nn.LSTM, {"proj_size": 2})])
def test_gradcheck(cls, extra):
    nt.manual_seed(0)
    m = cls(2, 3, num_layers=2, bidirectional=True, dtype=nt.float64, **extra)
    x = nt.randn(3, 2, 2, dtype=nt.float64, requires_grad=True)
    names = [n for n, _ in m.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in m.parameters()]

    def f(x, *ps):  # the module run with the gradchecked weights in place of its parameters
        for name, p in zip(names, ps):
            m._parameters[name] = p
        out, hn = m(x)
        return out, hn[0] if isinstance(hn, tuple) else hn

    assert gradcheck(f, (x, *params))


@pytest.mark.parametrize("cls", [nn.GRU, nn.LSTM])
def test_gradcheck_state_and_double_backward(cls):
    nt.manual_seed(1)
    m = cls(2, 3, bidirectional=True, dtype=nt.float64)
    x = nt.randn(3, 2, 2, dtype=nt.float64, requires_grad=True)
    h0 = nt.randn(2, 2, 3, dtype=nt.float64, requires_grad=True)
    if cls is nn.LSTM:
        c0 = nt.randn(2, 2, 3, dtype=nt.float64, requires_grad=True)
        assert gradcheck(lambda x, h, c: m(x, (h, c))[1][1], (x, h0, c0))
        assert gradgradcheck(lambda x, h, c: m(x, (h, c))[0], (x, h0, c0))
    else:
        assert gradcheck(lambda x, h: m(x, h)[0], (x, h0))
        assert gradgradcheck(lambda x, h: m(x, h)[0], (x, h0))


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_float32_fused_matches_numpy_and_float64(cls):
    """float32 takes the vectorised kernels (rational tanh): values and grads agree with float64 to float32
    precision; inputs span the saturated range."""
    nt.manual_seed(0)
    m = cls(3, 8)
    x = 4 * np.random.default_rng(0).standard_normal((5, 4, 3)).astype(np.float32)
    xt = nt.tensor(x, requires_grad=True)
    out, _ = m(xt)
    lstm = cls is nn.LSTM
    want, _, _ = _np_rnn(m, x.astype(np.float64), np.zeros((1, 4, 8)), np.zeros((1, 4, 8)) if lstm else None)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-5, atol=1e-6)
    assert out.dtype is nt.float32
    m64 = cls(3, 8, dtype=nt.float64)
    m64.load_state_dict({k: v.to(nt.float64) for k, v in m.state_dict().items()})
    x64 = nt.tensor(x.astype(np.float64), requires_grad=True)
    (out * out).sum().backward()
    (m64(x64)[0] ** 2).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), x64.grad.numpy(), rtol=1e-4, atol=1e-5)
    for p, q in zip(m.parameters(), m64.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_dropout_between_layers():
    nt.manual_seed(0)
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=nt.float64)
    x = nt.randn(5, 2, 3, dtype=nt.float64)
    a, _ = m(x)
    b, _ = m(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # training: random masks
    m.eval()
    c, _ = m(x)
    d, _ = m(x)
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())
    m.dropout = 0.0
    m.train()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), c.detach().numpy())
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last recurrent layer"):
        nn.LSTM(3, 4, dropout=0.2)


def test_backward_fills_grads():
    m = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    out, (h, c) = m(nt.randn(2, 5, 3))
    (out.sum() + c.sum()).backward()
    assert all(p.grad is not None and tuple(p.grad.shape) == tuple(p.shape) for p in m.parameters())


@pytest.mark.parametrize("make,call,exc,msg", [
    (lambda: nn.LSTM(3, 0), None, ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.GRU(3, 2.0), None, TypeError, "hidden_size should be of type int, got: float"),
    (lambda: nn.LSTM(3, 4, proj_size=4), None, ValueError, "proj_size has to be smaller than hidden_size"),
    (lambda: nn.GRU(3, 4, proj_size=1), None, ValueError, "proj_size argument is only supported for LSTM"),
    (lambda: nn.LSTM(3, 4, dropout=1.5), None, ValueError, "dropout should be a number in range"),
    (lambda: nn.RNN(3, 4, nonlinearity="sig"), None, ValueError, "Unknown nonlinearity 'sig'"),
    (lambda: nn.RNN(3, 4, num_layers=0), None, ValueError, "num_layers must be greater than zero"),
    (lambda: nn.LSTM(3, 4), lambda m: m(nt.zeros(1, 2, 3, 3)), ValueError,
     "LSTM: Expected input to be 2D or 3D, got 4D instead"),
    (lambda: nn.RNN(3, 4), lambda m: m(nt.zeros(3)), ValueError, "RNN: Expected input to be 2D or 3D, got 1D tensor"),
    (lambda: nn.LSTM(3, 4), lambda m: m(nt.zeros(2, 2, 5)), RuntimeError,
     r"input.size\(-1\) must be equal to input_size. Expected 3, got 5"),
    (lambda: nn.GRU(3, 4), lambda m: m(nt.zeros(2, 2, 3), nt.zeros(1, 3, 4)), RuntimeError,
     r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"),
    (lambda: nn.GRU(3, 4), lambda m: m(nt.zeros(2, 2, 3), nt.zeros(2, 4)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    (lambda: nn.LSTM(3, 4), lambda m: m(nt.zeros(2, 2, 3), (nt.zeros(1, 2, 4), nt.zeros(1, 2, 3))), RuntimeError,
     r"Expected hidden\[1\] size \(1, 2, 4\), got \[1, 2, 3\]"),
    (lambda: nn.LSTM(3, 4), lambda m: m(nt.zeros(2, 3), (nt.zeros(1, 2, 4), nt.zeros(1, 4))), RuntimeError,
     r"For unbatched 2-D input, hx and cx should also be 2-D but got \(3-D, 2-D\) tensors"),
    (lambda: nn.LSTM(3, 4), lambda m: m(nt.zeros(2, 2, 3, dtype=nt.float64)), ValueError,
     r"RNN input dtype \(ntorch.float64\) does not match weight dtype"),
    (lambda: nn.LSTM(3, 4), lambda m: m(nt.zeros(0, 2, 3)), RuntimeError,
     "Expected sequence length to be larger than 0 in RNN"),
    (lambda: nn.LSTMCell(3, 4), lambda m: m(nt.zeros(2, 2, 3)), ValueError,
     "LSTMCell: Expected input to be 1D or 2D, got 3D instead"),
    (lambda: nn.GRUCell(3, 4), lambda m: m(nt.zeros(2, 3), nt.zeros(3, 4)), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda: nn.RNNCell(3, 4), lambda m: m(nt.zeros(2, 5)), RuntimeError,
     "input has inconsistent input_size: got 5 expected 3"),
    (lambda: nn.LSTMCell(3, 4), lambda m: m(nt.zeros(2, 3), nt.zeros(3, 4)), TypeError,
     r"lstm_cell\(\): argument 'hx' \(position 2\) must be tuple of Tensors, not Tensor"),
])
def test_errors(make, call, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if call is None:
            with pytest.raises(exc, match=msg):
                make()
        else:
            m = make()
            with pytest.raises(exc, match=msg):
                call(m)


def test_pad_sequence():
    from ntorch.nn.utils.rnn import pad_sequence

    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    got = pad_sequence([nt.tensor(s) for s in seqs], padding_value=-1.0).numpy()
    want = np.full((4, 3, 2), -1.0)
    for b, s in enumerate(seqs):
        want[:len(s), b] = s
    np.testing.assert_array_equal(got, want)
    left = pad_sequence([nt.tensor(s) for s in seqs], batch_first=True, padding_side="left").numpy()
    for b, s in enumerate(seqs):
        np.testing.assert_array_equal(left[b, 4 - len(s):], s)
        assert (left[b, :4 - len(s)] == 0).all()


def test_pack_and_unpack_round_trip():
    from ntorch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence

    rng = np.random.default_rng(1)
    lens = [2, 5, 3]
    seqs = [nt.tensor(rng.standard_normal((n, 3)), requires_grad=True) for n in lens]
    packed = pack_sequence(seqs, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 2, 0] and packed.unsorted_indices.tolist() == [2, 0, 1]
    # time step by time step over the sequences sorted by length: 5, 3, 2
    want = np.concatenate([np.stack([seqs[b].detach().numpy()[t] for b in (1, 2, 0) if lens[b] > t])
                           for t in range(5)])
    np.testing.assert_array_equal(packed.data.detach().numpy(), want)
    padded, lengths = pad_packed_sequence(packed, batch_first=True, total_length=6)
    assert lengths.tolist() == lens and tuple(padded.shape) == (3, 6, 3)
    want_padded = np.zeros((3, 6, 3))
    for b, s in enumerate(seqs):
        want_padded[b, :lens[b]] = s.detach().numpy()
    np.testing.assert_array_equal(padded.detach().numpy(), want_padded)
    padded.sum().backward()
    assert all(np.array_equal(s.grad.numpy(), np.ones((n, 3))) for s, n in zip(seqs, lens))
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order"):
        pack_padded_sequence(pad_sequence(seqs), lens)
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence"):
        pad_packed_sequence(packed, total_length=3)


@pytest.mark.parametrize("cls,kw", [(nn.LSTM, dict(num_layers=2, bidirectional=True)), (nn.GRU, {}),
                                    (nn.RNN, dict(bidirectional=True))])
def test_packed_input_equals_each_sequence_alone(cls, kw):
    """Packing must give each sequence exactly the output and final state it has when run by itself."""
    from ntorch.nn.utils.rnn import pack_sequence, pad_packed_sequence

    nt.manual_seed(0)
    m = cls(3, 4, dtype=nt.float64, **kw)
    rng = np.random.default_rng(2)
    lens = [2, 5, 3]
    seqs = [nt.tensor(rng.standard_normal((n, 3))) for n in lens]
    out, hn = m(pack_sequence(seqs, enforce_sorted=False))
    padded, _ = pad_packed_sequence(out)
    hn = hn[0] if isinstance(hn, tuple) else hn
    for b, s in enumerate(seqs):
        alone, h_alone = m(s)  # unbatched
        h_alone = h_alone[0] if isinstance(h_alone, tuple) else h_alone
        np.testing.assert_allclose(padded.detach().numpy()[:lens[b], b], alone.detach().numpy(), rtol=1e-12)
        assert (padded.detach().numpy()[lens[b]:, b] == 0).all()
        np.testing.assert_allclose(hn.detach().numpy()[:, b], h_alone.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_packed_input_batch_first(cls):
    """A batch_first module takes a PackedSequence like any other (packed data has no batch_first): the zero
    state has the batch size, not the longest length (that mix-up ran the fused step out of bounds)."""
    from ntorch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    nt.manual_seed(0)
    m = cls(3, 4, batch_first=True, dtype=nt.float64)
    rng = np.random.default_rng(3)
    lens = [4, 2, 1]
    x = nt.tensor(rng.standard_normal((3, 4, 3)))
    out, hn = m(pack_padded_sequence(x, lens, batch_first=True))
    padded, got_lens = pad_packed_sequence(out, batch_first=True)
    assert tuple(padded.shape) == (3, 4, 4) and got_lens.tolist() == lens
    hn = hn[0] if isinstance(hn, tuple) else hn
    assert tuple(hn.shape) == (1, 3, 4)
    for b, n in enumerate(lens):
        alone, h_alone = m(x[b:b + 1, :n])
        h_alone = h_alone[0] if isinstance(h_alone, tuple) else h_alone
        np.testing.assert_allclose(padded.detach().numpy()[b, :n], alone.detach().numpy()[0], rtol=1e-12)
        np.testing.assert_allclose(hn.detach().numpy()[:, b], h_alone.detach().numpy()[:, 0], rtol=1e-12)
    h_bad = nt.zeros(1, 4, 4, dtype=nt.float64)
    with pytest.raises(RuntimeError, match=r"Expected hidden(\[0\])? size \(1, 3, 4\), got \[1, 4, 4\]"):
        m(pack_padded_sequence(x, lens, batch_first=True), (h_bad, h_bad) if cls is nn.LSTM else h_bad)


@pytest.mark.parametrize("cls", [nn.LSTMCell, nn.GRUCell])
def test_cell_gradcheck_and_double_backward(cls):
    """The per-step fused cell nodes (cells, LSTM projections, packed input) and their create_graph path."""
    nt.manual_seed(2)
    m = cls(2, 3, dtype=nt.float64)
    x = nt.randn(2, 2, dtype=nt.float64, requires_grad=True)
    h = nt.randn(2, 3, dtype=nt.float64, requires_grad=True)
    if cls is nn.LSTMCell:
        c = nt.randn(2, 3, dtype=nt.float64, requires_grad=True)
        assert gradcheck(lambda x, h, c: m(x, (h, c)), (x, h, c))
        assert gradgradcheck(lambda x, h, c: m(x, (h, c)), (x, h, c))
    else:
        assert gradcheck(lambda x, h: m(x, h), (x, h))
        assert gradgradcheck(lambda x, h: m(x, h), (x, h))
    names = [n for n, _ in m.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in m.parameters()]

    def f(*ps):  # the weight and bias gradients of the fused step node
        for name, p in zip(names, ps):
            m._parameters[name] = p
        out = m(x.detach(), (h.detach(), c.detach()) if cls is nn.LSTMCell else h.detach())
        return out[1] if isinstance(out, tuple) else out

    assert gradcheck(f, tuple(params))


@pytest.mark.parametrize("fn,mode,gates", [("lstm_cell", "LSTM", 4), ("gru_cell", "GRU", 3),
                                           ("rnn_tanh_cell", "RNN_TANH", 1), ("rnn_relu_cell", "RNN_RELU", 1)])
@pytest.mark.parametrize("bias", [True, False])
def test_aten_cell_functions(fn, mode, gates, bias):
    """torch.lstm_cell(input, hx, w_ih, w_hh, b_ih, b_hh) & co.: one step from explicit weights."""
    rng = np.random.default_rng(1)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    p = {"weight_ih": rng.standard_normal((4 * gates, 3)), "weight_hh": rng.standard_normal((4 * gates, 4))}
    if bias:
        p.update(bias_ih=rng.standard_normal(4 * gates), bias_hh=rng.standard_normal(4 * gates))
    want_h, want_c = _np_cell(mode, x, h, c, p)
    hx = [nt.tensor(h), nt.tensor(c)] if mode == "LSTM" else nt.tensor(h)
    args = [nt.tensor(p[k]) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if k in p]
    got = getattr(nt, fn)(nt.tensor(x), hx, *args)
    if mode == "LSTM":
        np.testing.assert_allclose(got[1].numpy(), want_c, rtol=1e-12)
        got = got[0]
    np.testing.assert_allclose(got.numpy(), want_h, rtol=1e-12, atol=1e-14)
    with pytest.raises(RuntimeError, match="^input has inconsistent input_size: got 2 expected 3$"):
        getattr(nt, fn)(nt.tensor(x[:, :2]), hx, *args)
    bad = [nt.tensor(h[:1]), nt.tensor(c)] if mode == "LSTM" else nt.tensor(h[:1])
    with pytest.raises(RuntimeError, match="^Input batch size 2 doesn't match hidden0 batch size 1$"):
        getattr(nt, fn)(nt.tensor(x), bad, *args)
