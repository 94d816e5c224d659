"""nn.MultiheadAttention against a NumPy softmax(Q K^T / sqrt(d)) V written here (masks, kdim/vdim, batch_first,
bias_kv, zero_attn), and the Transformer layers against compositions of their own submodules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn as nn
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck
from ntorch.nn.modules.attention import multi_head_attention_forward


def _np(t):
    return None if t is None else t.detach().numpy().astype(np.float64)


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_mha(m, q, k, v, attn_mask=None, key_padding_mask=None):
    """Sequence-first (L, N, E) inputs; bool masks are True where NOT attended. Returns (out, per-head weights)."""
    E, H = m.embed_dim, m.num_heads
    d = E // H
    if m.in_proj_weight is not None:
        wq, wk, wv = np.split(_np(m.in_proj_weight), 3)
    else:
        wq, wk, wv = _np(m.q_proj_weight), _np(m.k_proj_weight), _np(m.v_proj_weight)
    bq, bk, bv = np.split(_np(m.in_proj_bias), 3) if m.in_proj_bias is not None else (0.0, 0.0, 0.0)
    Q, K, V = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv  # (L, N, E)
    L, N = q.shape[:2]
    S = k.shape[0]
    add = np.zeros((N, 1, L, S))
    if attn_mask is not None:
        am = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask
        add = add + am
    if m.bias_k is not None:
        K = np.concatenate([K, np.broadcast_to(_np(m.bias_k), (1, N, E))])
        V = np.concatenate([V, np.broadcast_to(_np(m.bias_v), (1, N, E))])
        add = np.concatenate([add, np.zeros(add.shape[:-1] + (1,))], -1)
    if m.add_zero_attn:
        K = np.concatenate([K, np.zeros((1, N, E))])
        V = np.concatenate([V, np.zeros((1, N, E))])
        add = np.concatenate([add, np.zeros(add.shape[:-1] + (1,))], -1)
    S2 = K.shape[0]
    if key_padding_mask is not None:
        kpm = np.where(key_padding_mask, -np.inf, 0.0)
        kpm = np.concatenate([kpm, np.zeros((N, S2 - S))], -1)
        add = add + kpm[:, None, None, :]
    heads = lambda X, n: X.reshape(n, N, H, d).transpose(1, 2, 0, 3)  # noqa: E731  (N, H, n, d)
    Qh, Kh, Vh = heads(Q, L), heads(K, S2), heads(V, S2)
    w = _softmax(Qh @ Kh.transpose(0, 1, 3, 2) / math.sqrt(d) + add)
    o = (w @ Vh).transpose(2, 0, 1, 3).reshape(L, N, E)
    out = o @ _np(m.out_proj.weight).T + (_np(m.out_proj.bias) if m.out_proj.bias is not None else 0.0)
    return out, w


RNG = np.random.default_rng(0)


def _inputs(m, L=4, S=5, N=2):
    q = RNG.standard_normal((L, N, m.embed_dim))
    k = RNG.standard_normal((S, N, m.kdim))
    v = RNG.standard_normal((S, N, m.vdim))
    am = RNG.random((L, S)) < 0.3
    am[:, 0] = False  # every query keeps one key
    kpm = RNG.random((N, S)) < 0.3
    kpm[:, 1] = False
    return q, k, v, am, kpm


@pytest.mark.parametrize("kw", [{}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True}, {"add_zero_attn": True},
                                {"bias": False}, {"batch_first": True}])
@pytest.mark.parametrize("masks", ["none", "bool_attn", "float_attn", "padding", "both"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_against_numpy(kw, masks, need_weights):
    nt.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dtype=nt.float64, **kw)
    q, k, v, am, kpm = _inputs(m)
    fam = RNG.standard_normal(am.shape)
    attn_mask = {"bool_attn": am, "float_attn": fam, "both": am}.get(masks)
    key_padding_mask = kpm if masks in ("padding", "both") else None
    want, want_w = _np_mha(m, q, k, v, attn_mask, key_padding_mask)
    bf = kw.get("batch_first", False)
    t = (lambda a: nt.tensor(a.transpose(1, 0, 2).copy())) if bf else nt.tensor
    out, w = m(t(q), t(k), t(v), attn_mask=None if attn_mask is None else nt.tensor(attn_mask),
               key_padding_mask=None if key_padding_mask is None else nt.tensor(key_padding_mask),
               need_weights=need_weights)
    got = _np(out).transpose(1, 0, 2) if bf else _np(out)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    if need_weights:
        np.testing.assert_allclose(_np(w), want_w.mean(1), rtol=1e-10, atol=1e-12)
    else:
        assert w is None


def test_mha_per_head_weights_unbatched_and_self_attention():
    nt.manual_seed(1)
    m = nn.MultiheadAttention(6, 3, dtype=nt.float64)
    x = RNG.standard_normal((4, 1, 6))
    want, want_w = _np_mha(m, x, x, x)
    xt = nt.tensor(x[:, 0])
    out, w = m(xt, xt, xt, average_attn_weights=False)
    assert tuple(out.shape) == (4, 6) and tuple(w.shape) == (3, 4, 4)
    np.testing.assert_allclose(_np(out), want[:, 0], rtol=1e-10)
    np.testing.assert_allclose(_np(w), want_w[0], rtol=1e-10)


def test_mha_causal():
    nt.manual_seed(2)
    m = nn.MultiheadAttention(8, 2, dtype=nt.float64)
    x = RNG.standard_normal((4, 2, 8))
    causal = np.triu(np.ones((4, 4), bool), 1)
    want, _ = _np_mha(m, x, x, x, causal)
    xt = nt.tensor(x)
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=nt.float64)
    np.testing.assert_array_equal(_np(mask), np.where(causal, -np.inf, 0.0))
    out, _ = m(xt, xt, xt, attn_mask=mask, is_causal=True, need_weights=False)
    np.testing.assert_allclose(_np(out), want, rtol=1e-10)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(xt, xt, xt, is_causal=True)


def test_mha_parameters_and_init():
    m = nn.MultiheadAttention(8, 2)
    assert [n for n, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                    "out_proj.bias"]
    assert tuple(m.in_proj_weight.shape) == (24, 8) and m.head_dim == 4
    np.testing.assert_array_equal(_np(m.in_proj_bias), 0.0)
    np.testing.assert_array_equal(_np(m.out_proj.bias), 0.0)
    bound = math.sqrt(6.0 / (8 + 24))  # xavier_uniform_ on (3E, E)
    assert np.abs(_np(m.in_proj_weight)).max() <= bound
    s = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    assert [n for n, _ in s.named_parameters()] == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                                    "in_proj_bias", "bias_k", "bias_v", "out_proj.weight",
                                                    "out_proj.bias"]
    assert s.in_proj_weight is None and tuple(s.k_proj_weight.shape) == (8, 3)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 1)


def test_mha_errors():
    m = nn.MultiheadAttention(8, 2)
    x = nt.randn(4, 2, 8)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*, but should be \(4, 4\)"):
        m(x, x, x, attn_mask=nt.zeros(3, 4))
    with pytest.raises(AssertionError, match="For batched \\(3-D\\) `query`, expected `key` and `value` to be 3-D"):
        m(x, x[0], x)
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask are supported"):
        m(x, x, x, attn_mask=nt.zeros(4, 4, dtype=nt.int64))
    with pytest.raises(AssertionError, match="Expected key_padded_mask.shape\\[1\\] to be 4, but got 3"):
        m(x, x, x, key_padding_mask=nt.zeros(2, 3, dtype=nt.bool))


def test_mha_dropout_only_in_training():
    nt.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.5, dtype=nt.float64)
    x = nt.randn(4, 2, 8, dtype=nt.float64)
    a, _ = m(x, x, x)
    b, _ = m(x, x, x)
    assert not np.allclose(_np(a), _np(b))
    m.eval()
    np.testing.assert_allclose(_np(m(x, x, x)[0]), _np_mha(m, _np(x), _np(x), _np(x))[0], rtol=1e-10)


def test_mha_gradcheck():
    nt.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dtype=nt.float64)
    q = nt.randn(3, 2, 4, dtype=nt.float64, requires_grad=True)
    k = nt.randn(2, 2, 4, dtype=nt.float64, requires_grad=True)
    w = m.in_proj_weight.detach().clone().requires_grad_()
    mask = nt.tensor([[False, True], [False, False], [True, False]])

    def f(q, k, w):
        return multi_head_attention_forward(q, k, k, 4, 2, w, m.in_proj_bias, None, None, False, 0.0,
                                            m.out_proj.weight, m.out_proj.bias, attn_mask=mask)

    assert gradcheck(f, (q, k, w))


def _layer_ref_encoder(layer, x, mask=None, kpm=None):
    """The encoder layer rebuilt from its own submodules (dropout 0)."""
    def sa(y):
        return layer.self_attn(y, y, y, attn_mask=mask, key_padding_mask=kpm, need_weights=False)[0]

    def ff(y):
        return layer.linear2(layer.activation(layer.linear1(y)))

    if layer.norm_first:
        x = x + sa(layer.norm1(x))
        return x + ff(layer.norm2(x))
    x = layer.norm1(x + sa(x))
    return layer.norm2(x + ff(x))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", F.silu])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_composition(norm_first, activation, batch_first):
    nt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                       norm_first=norm_first, batch_first=batch_first, dtype=nt.float64)
    x = nt.randn(2, 4, 8, dtype=nt.float64)
    kpm = nt.tensor([[False, False, True, True], [False, False, False, False]])
    if not batch_first:
        kpm = None
    got = layer(x, src_key_padding_mask=kpm)
    np.testing.assert_allclose(_np(got), _np(_layer_ref_encoder(layer, x, kpm=kpm)), rtol=1e-10)
    if isinstance(activation, str):
        act = F.relu if activation == "relu" else F.gelu
        y = layer.linear1(x)
        np.testing.assert_allclose(_np(layer.activation(y)), _np(act(y)))


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_composition(norm_first):
    nt.manual_seed(0)
    layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=norm_first,
                                       dtype=nt.float64)
    tgt, mem = nt.randn(3, 2, 8, dtype=nt.float64), nt.randn(5, 2, 8, dtype=nt.float64)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=nt.float64)
    got = layer(tgt, mem, tgt_mask=mask)

    def sa(y):
        return layer.self_attn(y, y, y, attn_mask=mask, need_weights=False)[0]

    def ca(y):
        return layer.multihead_attn(y, mem, mem, need_weights=False)[0]

    def ff(y):
        return layer.linear2(F.relu(layer.linear1(y)))

    x = tgt
    if norm_first:
        x = x + sa(layer.norm1(x))
        x = x + ca(layer.norm2(x))
        x = x + ff(layer.norm3(x))
    else:
        x = layer.norm1(x + sa(x))
        x = layer.norm2(x + ca(x))
        x = layer.norm3(x + ff(x))
    np.testing.assert_allclose(_np(got), _np(x), rtol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_composition(norm_first):
    nt.manual_seed(0)
    model = nn.Transformer(8, 2, 2, 1, dim_feedforward=16, dropout=0.0, norm_first=norm_first, dtype=nt.float64)
    src, tgt = nt.randn(5, 2, 8, dtype=nt.float64), nt.randn(3, 2, 8, dtype=nt.float64)
    mask = model.generate_square_subsequent_mask(3, dtype=nt.float64)
    got = model(src, tgt, tgt_mask=mask)
    mem = src
    for layer in model.encoder.layers:
        mem = layer(mem)
    mem = model.encoder.norm(mem)
    out = tgt
    for layer in model.decoder.layers:
        out = layer(out, mem, tgt_mask=mask)
    np.testing.assert_allclose(_np(got), _np(model.decoder.norm(out)), rtol=1e-10)
    assert len(model.encoder.layers) == 2 and len(model.decoder.layers) == 1
    assert model.encoder.layers[0] is not model.encoder.layers[1]  # deep copies
    # xavier_uniform_ on every matrix, so the layers' Linear init is replaced
    w = _np(model.encoder.layers[0].linear1.weight)
    assert np.abs(w).max() <= math.sqrt(6.0 / (8 + 16))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(src, tgt[:, :1])
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(src[..., :4], tgt[..., :4])


def test_encoder_stack_norm_and_backward():
    nt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    x = nt.randn(2, 5, 8)
    y = enc(x, mask=nn.Transformer.generate_square_subsequent_mask(5))
    assert tuple(y.shape) == (2, 5, 8)
    y.sum().backward()
    assert all(p.grad is not None for p in enc.parameters())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_encoder_causal_mask_and_padding_compose():
    """A causal float mask (detected as causal) plus a bool padding mask give what the layers give one by one."""
    nt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, dtype=nt.float64)
    enc = nn.TransformerEncoder(layer, 2)
    x = nt.randn(2, 4, 8, dtype=nt.float64)
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=nt.float64)
    kpm = nt.tensor([[False, False, False, True], [False, False, False, False]])
    with pytest.warns(UserWarning, match="Support for mismatched src_key_padding_mask and mask is deprecated"):
        got = enc(x, mask=mask, src_key_padding_mask=kpm)
    kpm_float = nt.zeros(2, 4, dtype=nt.float64).masked_fill(kpm, -math.inf)
    want = x
    for mod in enc.layers:
        want = _layer_ref_encoder(mod, want, mask=mask, kpm=kpm_float)
    np.testing.assert_allclose(_np(got), _np(want), rtol=1e-10)
    causal_only = enc(x, mask=mask)
    ref = x
    for mod in enc.layers:
        ref = _layer_ref_encoder(mod, ref, mask=mask)
    np.testing.assert_allclose(_np(causal_only), _np(ref), rtol=1e-10)
