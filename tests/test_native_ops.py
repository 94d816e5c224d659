"""ATen-level torch.* entry points (convolution, native_*_norm, native_dropout, native_norm, grid_sampler*,
affine_grid_generator, rnn_tanh/rnn_relu/lstm/gru) against NumPy references written here, their tuple shapes and
dtypes as torch 2.13 returns them, float64 gradcheck, and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck

rng = np.random.default_rng(0)


def T(a, grad: bool = False):
    return nt.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ------------------------------------------------------------------ convolution


def ref_conv2d(x, w, b, stride, padding, dilation):
    n, c, H, W = x.shape
    co, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    oh = (H + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (W + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, co, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride[0]:i * stride[0] + dilation[0] * (kh - 1) + 1:dilation[0],
                       j * stride[1]:j * stride[1] + dilation[1] * (kw - 1) + 1:dilation[1]]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out + (0 if b is None else b[None, :, None, None])


def ref_conv_transpose2d(x, w, stride, padding, output_padding):
    """Scatter each input pixel times the kernel, then crop the padding (groups=1, dilation=1)."""
    n, ci, H, W = x.shape
    _, co, kh, kw = w.shape
    full = np.zeros((n, co, (H - 1) * stride[0] + kh + output_padding[0], (W - 1) * stride[1] + kw + output_padding[1]))
    for i in range(H):
        for j in range(W):
            full[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw] += \
                np.einsum("nc,cohw->nohw", x[:, :, i, j], w)
    return full[:, :, padding[0]:full.shape[2] - padding[0], padding[1]:full.shape[3] - padding[1]]


def test_convolution_forward_matches_numpy():
    x, w, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    out = nt.convolution(T(x), T(w), T(b), [2, 1], [1, 0], [1, 2], False, [0, 0], 1)
    np.testing.assert_allclose(out.numpy(), ref_conv2d(x, w, b, (2, 1), (1, 0), (1, 2)), atol=1e-12)


def test_convolution_transposed_matches_numpy():
    x, w = rng.standard_normal((2, 3, 4, 3)), rng.standard_normal((3, 2, 3, 2))
    out = nt.convolution(T(x), T(w), None, [2, 2], [1, 0], [1, 1], True, [1, 1], 1)
    np.testing.assert_allclose(out.numpy(), ref_conv_transpose2d(x, w, (2, 2), (1, 0), (1, 1)), atol=1e-12)


@pytest.mark.parametrize("rank", [1, 3])
def test_convolution_1d_3d_as_2d_and_transposed(rank):
    """1-d and 3-d dispatch: a unit extra axis makes them the 2-d case above."""
    x = rng.standard_normal((2, 3, 5) + (1,) * (rank - 1))
    w = rng.standard_normal((4, 3, 2) + (1,) * (rank - 1))
    out = nt.convolution(T(x), T(w), None, [1] * rank, [1] + [0] * (rank - 1), [1] * rank, False, [0] * rank, 1)
    ref = ref_conv2d(x.reshape(2, 3, 5, 1), w.reshape(4, 3, 2, 1), None, (1, 1), (1, 0), (1, 1))
    np.testing.assert_allclose(out.numpy().reshape(ref.shape), ref, atol=1e-12)
    wt = rng.standard_normal((3, 2, 2) + (1,) * (rank - 1))
    out = nt.convolution(T(x), T(wt), None, [2] * rank, [0] * rank, [1] * rank, True, [0] * rank, 1)
    ref = ref_conv_transpose2d(x.reshape(2, 3, 5, 1), wt.reshape(3, 2, 2, 1), (2, 1), (0, 0), (0, 0))
    np.testing.assert_allclose(out.numpy().reshape(ref.shape), ref, atol=1e-12)


def test_convolution_gradcheck_and_errors():
    args = (T(rng.standard_normal((1, 2, 4, 4)), True), T(rng.standard_normal((2, 2, 2, 2)), True),
            T(rng.standard_normal(2), True))
    assert gradcheck(lambda x, w, b: nt.convolution(x, w, b, [1, 1], [1, 1], [1, 1], False, [0, 0], 1), args)
    assert gradcheck(lambda x, w, b: nt.convolution(x, w, b, [2, 2], [0, 0], [1, 1], True, [1, 1], 1), args)
    with pytest.raises(RuntimeError, match=r"Expected 3-dimensional input for 3-dimensional weight \[3, 4, 2\], but "
                                           r"got 2-dimensional input of size \[4, 5\] instead"):
        nt.convolution(nt.randn(4, 5), nt.randn(3, 4, 2), None, [1], [0], [1], False, [0], 1)


# ------------------------------------------------------------------ normalisation


def test_native_layer_norm_values_and_shapes():
    x, w, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    out, mean, rstd = nt.native_layer_norm(T(x), [4, 5], T(w), T(b), 1e-5)
    m = x.mean((2, 3), keepdims=True)
    r = 1 / np.sqrt(x.var((2, 3), keepdims=True) + 1e-5)
    assert tuple(mean.shape) == tuple(rstd.shape) == (2, 3, 1, 1)
    np.testing.assert_allclose(mean.numpy(), m, atol=1e-12)
    np.testing.assert_allclose(rstd.numpy(), r, atol=1e-10)
    np.testing.assert_allclose(out.numpy(), (x - m) * r * w + b, atol=1e-10)
    x32 = nt.tensor(x.astype(np.float32))
    assert all(t.dtype == nt.float32 for t in nt.native_layer_norm(x32, [5], None, None, 1e-5))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\]"):
        nt.native_layer_norm(T(x), [4], None, None, 1e-5)


def test_native_layer_norm_grad_flows_through_output_only():
    x = T(rng.standard_normal((3, 4)), True)
    out, mean, rstd = nt.native_layer_norm(x, [4], None, None, 1e-5)
    assert out.grad_fn is not None and mean.grad_fn is None and not rstd.requires_grad
    assert gradcheck(lambda a, w: nt.native_layer_norm(a, [4], w, None, 1e-5)[0],
                     (x, T(rng.standard_normal(4), True)))


def test_native_batch_norm_training_eval_and_running_stats():
    x = rng.standard_normal((4, 3, 5))
    rm, rv = nt.zeros(3, dtype=nt.float64), nt.ones(3, dtype=nt.float64)
    out, mean, invstd = nt.native_batch_norm(T(x), None, None, rm, rv, True, 0.1, 1e-5)
    m, v = x.mean((0, 2)), x.var((0, 2))
    np.testing.assert_allclose(mean.numpy(), m, atol=1e-12)
    np.testing.assert_allclose(invstd.numpy(), 1 / np.sqrt(v + 1e-5), atol=1e-10)
    np.testing.assert_allclose(out.numpy(), (x - m[:, None]) / np.sqrt(v[:, None] + 1e-5), atol=1e-10)
    np.testing.assert_allclose(rm.numpy(), 0.1 * m, atol=1e-12)  # running stats take the unbiased variance
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * x.var((0, 2), ddof=1), atol=1e-12)
    out, mean, invstd = nt.native_batch_norm(T(x), None, None, rm, rv, False, 0.1, 1e-5)
    assert tuple(mean.shape) == tuple(invstd.shape) == (0,)
    np.testing.assert_allclose(out.numpy(), (x - rm.numpy()[:, None]) / np.sqrt(rv.numpy()[:, None] + 1e-5),
                               atol=1e-10)
    # torch crashes here (no running stats in evaluation mode); ntorch raises
    with pytest.raises(RuntimeError, match="running_mean and running_var must be defined in evaluation mode"):
        nt.native_batch_norm(T(x), None, None, None, None, False, 0.1, 1e-5)


def test_native_group_norm_values_shapes_errors():
    x, g, b = rng.standard_normal((2, 6, 4, 5)), rng.standard_normal(6), rng.standard_normal(6)
    out, mean, rstd = nt.native_group_norm(T(x), T(g), T(b), 2, 6, 20, 3, 1e-5)
    xg = x.reshape(2, 3, -1)
    m, r = xg.mean(2), 1 / np.sqrt(xg.var(2) + 1e-5)
    assert tuple(mean.shape) == tuple(rstd.shape) == (2, 3)
    np.testing.assert_allclose(mean.numpy(), m, atol=1e-12)
    np.testing.assert_allclose(rstd.numpy(), r, atol=1e-10)
    ref = ((xg - m[..., None]) * r[..., None]).reshape(x.shape) * g[:, None, None] + b[:, None, None]
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)
    with pytest.raises(RuntimeError, match=r"Expected X.numel\(\) == N \* C \* HxW to be true, but got false"):
        nt.native_group_norm(T(x), None, None, 2, 6, 21, 3, 1e-5)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups"):
        nt.native_group_norm(T(x), None, None, 2, 6, 20, 4, 1e-5)
    assert gradcheck(lambda a: nt.native_group_norm(a, None, None, 1, 4, 2, 2, 1e-5)[0],
                     (T(rng.standard_normal((1, 4, 2)), True),))


def test_native_dropout():
    x = T(rng.standard_normal((50, 40)), True)
    out, mask = nt.native_dropout(x, 0.3, True)
    assert mask.dtype == nt.bool and tuple(mask.shape) == (50, 40) and mask.grad_fn is None
    keep = mask.numpy()
    assert 0.6 < keep.mean() < 0.8
    np.testing.assert_allclose(out.detach().numpy(), x.detach().numpy() * keep / 0.7, atol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), keep / 0.7, atol=1e-12)
    out, mask = nt.native_dropout(x, 0.3, False)
    assert mask.numpy().all() and np.array_equal(out.detach().numpy(), x.detach().numpy())
    out, mask = nt.native_dropout(x, 1.0, True)
    assert not mask.numpy().any() and not out.detach().numpy().any()
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=-0.5"):
        nt.native_dropout(x, 1.5, True)


def test_native_norm():
    x = rng.standard_normal((3, 4, 5))
    np.testing.assert_allclose(nt.native_norm(T(x)).numpy(), np.sqrt((x ** 2).sum()), atol=1e-12)
    out = nt.native_norm(T(x), 3, (1,), True, None)
    assert tuple(out.shape) == (3, 1, 5)
    np.testing.assert_allclose(out.numpy(), (np.abs(x) ** 3).sum(1, keepdims=True) ** (1 / 3), atol=1e-12)
    np.testing.assert_allclose(nt.native_norm(T(x), float("inf")).numpy(), np.abs(x).max(), atol=0)
    assert nt.native_norm(nt.tensor(x.astype(np.float32)), 1, (0, 2), False, nt.float64).dtype == nt.float64


# ------------------------------------------------------------------ sampling


def test_grid_sampler_codes_match_grid_sample():
    x, g = T(rng.standard_normal((2, 3, 4, 5))), T(rng.random((2, 3, 3, 2)) * 2.4 - 1.2)
    for mode, mname in enumerate(("bilinear", "nearest", "bicubic")):
        for pad, pname in enumerate(("zeros", "border", "reflection")):
            for align in (False, True):
                want = F.grid_sample(x, g, mname, pname, align).numpy()
                np.testing.assert_array_equal(nt.grid_sampler(x, g, mode, pad, align).numpy(), want)
                np.testing.assert_array_equal(nt.grid_sampler_2d(x, g, mode, pad, align).numpy(), want)
    x5, g5 = T(rng.standard_normal((1, 2, 3, 4, 4))), T(rng.random((1, 2, 3, 3, 3)) * 2 - 1)
    np.testing.assert_array_equal(nt.grid_sampler_3d(x5, g5, 0, 1, False).numpy(),
                                  F.grid_sample(x5, g5, "bilinear", "border", False).numpy())


def test_grid_sampler_bilinear_value_and_errors():
    """Bilinear at the grid point (0, 0), align_corners=True: the mean of a 2x2 image's pixels."""
    img = np.arange(4.0).reshape(1, 1, 2, 2)
    assert nt.grid_sampler(T(img), T(np.zeros((1, 1, 1, 2))), 0, 0, True).item() == 1.5
    x4, g4 = nt.randn(1, 2, 4, 4), nt.rand(1, 3, 3, 2)
    x5, g5 = nt.randn(1, 2, 3, 4, 4), nt.rand(1, 2, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"grid_sampler\(\): expected 4D input and grid with same number of "
                                           r"dimensions, but got input with sizes \[1, 2, 3, 4, 4\]"):
        nt.grid_sampler_2d(x5, g5, 0, 0, False)
    with pytest.raises(RuntimeError, match=r"expected 5D input and grid"):
        nt.grid_sampler_3d(x4, g4, 0, 0, False)
    with pytest.raises(RuntimeError, match=r"bicubic interpolation only supports 4D input"):
        nt.grid_sampler_3d(x5, g5, 2, 0, False)
    with pytest.raises(RuntimeError, match="interpolation_mode"):
        nt.grid_sampler(x4, g4, 5, 0, False)
    with pytest.raises(RuntimeError, match="padding_mode"):
        nt.grid_sampler(x4, g4, 0, 7, False)


def test_affine_grid_generator():
    theta = rng.standard_normal((2, 2, 3))
    out = nt.affine_grid_generator(T(theta), [2, 3, 4, 5], False)
    xs = (np.arange(5) * 2 + 1) / 5 - 1  # align_corners=False: pixel centres
    ys = (np.arange(4) * 2 + 1) / 4 - 1
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], 1.0), -1)  # (4, 5, 3)
    np.testing.assert_allclose(out.numpy(), np.einsum("hwk,njk->nhwj", base, theta), atol=1e-12)
    assert gradcheck(lambda t: nt.affine_grid_generator(t, [1, 1, 2, 3], True), (T(theta[:1], True),))


# ------------------------------------------------------------------ recurrent layers


def ref_rnn(mode, x, h0, c0, params, has_biases, num_layers, bidirectional, batch_first):
    """Step-by-step NumPy recurrence in torch's gate order; returns (out, h_n[, c_n])."""
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    if batch_first:
        x = x.transpose(1, 0, 2)
    dirs = 2 if bidirectional else 1
    per = 4 if has_biases else 2
    hn, cn, layer_in = [], [], x
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            p = params[k * per:(k + 1) * per]
            w_ih, w_hh = p[0], p[1]
            b_ih, b_hh = (p[2], p[3]) if has_biases else (0, 0)
            h, c = h0[k], (c0[k] if c0 is not None else None)
            ys = [None] * len(layer_in)
            for t in (range(len(layer_in) - 1, -1, -1) if d else range(len(layer_in))):
                gi, gh = layer_in[t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
                if mode == "lstm":
                    i, f, g, o = np.split(gi + gh, 4, -1)
                    c = sig(f) * c + sig(i) * np.tanh(g)
                    h = sig(o) * np.tanh(c)
                elif mode == "gru":
                    ir, iz, inn = np.split(gi, 3, -1)
                    hr, hz, hn_ = np.split(gh, 3, -1)
                    r, z = sig(ir + hr), sig(iz + hz)
                    h = (1 - z) * np.tanh(inn + r * hn_) + z * h
                else:
                    pre = gi + gh
                    h = np.tanh(pre) if mode == "rnn_tanh" else np.maximum(pre, 0)
                ys[t] = h
            outs.append(np.stack(ys))
            hn.append(h)
            cn.append(c)
        layer_in = np.concatenate(outs, -1)
    out = layer_in.transpose(1, 0, 2) if batch_first else layer_in
    return (out, np.stack(hn), np.stack(cn)) if mode == "lstm" else (out, np.stack(hn))


@pytest.mark.parametrize("mode", ["rnn_tanh", "rnn_relu", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional, batch_first, has_biases", [(False, False, True), (True, True, True),
                                                                    (True, False, False)])
def test_rnn_functionals_match_numpy(mode, bidirectional, batch_first, has_biases):
    gates = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}[mode]
    layers, hidden, inp, dirs = 2, 4, 3, 2 if bidirectional else 1
    params = []
    for layer in range(layers):
        for _ in range(dirs):
            params += [rng.standard_normal((gates * hidden, inp if layer == 0 else hidden * dirs)) * 0.5,
                       rng.standard_normal((gates * hidden, hidden)) * 0.5]
            if has_biases:
                params += [rng.standard_normal(gates * hidden) * 0.5, rng.standard_normal(gates * hidden) * 0.5]
    x = rng.standard_normal((2, 5, inp) if batch_first else (5, 2, inp))
    h0 = rng.standard_normal((layers * dirs, 2, hidden))
    c0 = rng.standard_normal((layers * dirs, 2, hidden)) if mode == "lstm" else None
    hx = (T(h0), T(c0)) if mode == "lstm" else T(h0)
    got = getattr(nt, mode)(T(x), hx, [T(p) for p in params], has_biases, layers, 0.0, False, bidirectional,
                            batch_first)
    ref = ref_rnn(mode, x, h0, c0, params, has_biases, layers, bidirectional, batch_first)
    assert len(got) == len(ref)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g.numpy(), r, atol=1e-12)


def test_rnn_unbatched_lstm_projection_gradcheck_and_errors():
    x, h0 = rng.standard_normal((5, 3)), rng.standard_normal((1, 4))
    params = [rng.standard_normal((4, 3)), rng.standard_normal((4, 4))]
    out, hn = nt.rnn_tanh(T(x), T(h0), [T(p) for p in params], False, 1, 0.0, False, False, False)
    ref_out, ref_hn = ref_rnn("rnn_tanh", x[:, None], h0[:, None], None, params, False, 1, False, False)
    assert tuple(out.shape) == (5, 4) and tuple(hn.shape) == (1, 4)
    np.testing.assert_allclose(out.numpy(), ref_out[:, 0], atol=1e-12)
    # LSTM with projections (h0 narrower than c0): h_t = (o * tanh(c_t)) W_hr^T
    w_ih, w_hh, w_hr = rng.standard_normal((16, 3)), rng.standard_normal((16, 2)), rng.standard_normal((2, 4))
    xs = rng.standard_normal((3, 1, 3))
    out, hn, cn = nt.lstm(T(xs), (T(np.zeros((1, 1, 2))), T(np.zeros((1, 1, 4)))), [T(w_ih), T(w_hh), T(w_hr)],
                          False, 1, 0.0, False, False, False)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h, c = np.zeros((1, 2)), np.zeros((1, 4))
    for t in range(3):
        i, f, g, o = np.split(xs[t] @ w_ih.T + h @ w_hh.T, 4, -1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = (sig(o) * np.tanh(c)) @ w_hr.T
    np.testing.assert_allclose(hn.numpy()[0], h, atol=1e-12)
    np.testing.assert_allclose(cn.numpy()[0], c, atol=1e-12)
    ps = [T(rng.standard_normal((6, 2)) * 0.5, True), T(rng.standard_normal((6, 2)) * 0.5, True)]
    assert gradcheck(lambda a, h, w1, w2: nt.gru(a, h, [w1, w2], False, 1, 0.0, False, False, False)[0],
                     (T(rng.standard_normal((3, 1, 2)), True), T(rng.standard_normal((1, 1, 2)), True), *ps))
    with pytest.raises(RuntimeError, match="got an incorrect number of RNN parameters"):
        nt.rnn_tanh(T(x[:, None]), T(h0[:, None]), [T(p) for p in params] + [T(np.zeros(4))], True, 1, 0.0, False,
                    False, False)


# ------------------------------------------------------------------ embedding_bag, segment_reduce

W = rng.standard_normal((10, 3))
IDX, OFF = [1, 2, 4, 5, 4, 3, 2, 9], [0, 4, 4, 6]  # bags [1 2 4 5] [] [4 3] [2 9]
BAG_OF = [0, 0, 0, 0, 2, 2, 3, 3]


def _bags(pad=None):
    ends = OFF[1:] + [len(IDX)]
    return [[i for i in IDX[a:b] if i != pad] for a, b in zip(OFF, ends, strict=True)]


@pytest.mark.parametrize("pad", [None, 2, -1])
def test_embedding_bag_outputs_and_extras(pad):
    row = None if pad is None else pad % 10
    bags = _bags(row)
    sizes = [len(b) for b in bags]
    for mode in (0, 1, 2):
        out, offset2bag, bag_size, max_indices = nt.embedding_bag(T(W), nt.tensor(IDX), nt.tensor(OFF), False, mode,
                                                                   False, None, False, pad)
        red = (np.sum, np.mean, np.max)[mode]
        ref = np.stack([red(W[b], 0) if b else np.zeros(3) for b in bags])
        np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
        assert all(t.dtype == nt.int64 for t in (offset2bag, bag_size, max_indices))
        assert offset2bag.tolist() == BAG_OF  # float64 weights: never torch's float32 fast path
        if mode == 0:
            assert bag_size.tolist() == max_indices.tolist() == [0, 0, 0, 0]
        elif mode == 1:
            assert bag_size.tolist() == max_indices.tolist() == sizes
        else:
            assert bag_size.tolist() == sizes
            want = [[b[int(np.argmax(W[b, d]))] for d in range(3)] if b else [0, 0, 0] for b in bags]
            assert max_indices.tolist() == want


def test_embedding_bag_float32_sum_fast_path_and_grad():
    out = nt.embedding_bag(nt.tensor(W.astype(np.float32)), nt.tensor(IDX), nt.tensor(OFF))
    assert tuple(out[1].shape) == (0,) and out[2].tolist() == [0, 0, 0, 0]
    ps = rng.random(8)
    got = nt.embedding_bag(T(W), nt.tensor(IDX), nt.tensor(OFF), False, 0, False, T(ps))[0]
    ref = np.stack([(W[IDX[a:b]] * ps[a:b, None]).sum(0) for a, b in zip(OFF, OFF[1:] + [8], strict=True)])
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-12)
    assert gradcheck(lambda w: nt.embedding_bag(w, nt.tensor(IDX), nt.tensor(OFF), False, 1)[0], (T(W, True),))
    with pytest.raises(RuntimeError, match="`mode` must be sum, mean, or max."):
        nt.embedding_bag(T(W), nt.tensor(IDX), nt.tensor(OFF), False, 3)


DATA = rng.standard_normal((6, 3))
EMPTY = {"sum": 0.0, "prod": 1.0, "mean": np.nan, "max": -np.inf, "min": np.inf, "amax": -np.inf, "amin": np.inf}
NP_RED = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "max": np.max, "min": np.min, "amax": np.max,
          "amin": np.min}


def ref_segments(data, reduce, bounds, initial=None):
    rows = []
    for a, b in bounds:
        seg = data[a:b]
        if initial is None:
            rows.append(NP_RED[reduce](seg, 0) if len(seg) else np.full(data.shape[1:], EMPTY[reduce]))
        elif reduce == "mean":
            rows.append((initial + seg.sum(0)) / len(seg) if len(seg) else np.full(data.shape[1:], initial))
        else:
            rows.append(NP_RED[reduce](np.concatenate([seg, np.full((1,) + data.shape[1:], initial)]), 0))
    return np.stack(rows)


@pytest.mark.parametrize("reduce", sorted(NP_RED))
@pytest.mark.parametrize("initial", [None, 0.5])
def test_segment_reduce_lengths_matches_numpy(reduce, initial):
    out = nt.segment_reduce(T(DATA), reduce, lengths=nt.tensor([2, 0, 4]), initial=initial)
    np.testing.assert_allclose(out.numpy(), ref_segments(DATA, reduce, [(0, 2), (2, 2), (2, 6)], initial),
                               atol=1e-12)


def test_segment_reduce_offsets_leading_dims_unsafe_grad():
    out = nt.segment_reduce(T(DATA), "max", offsets=nt.tensor([1, 2, 2, 5]))  # offsets are [start, end) pairs
    np.testing.assert_allclose(out.numpy(), ref_segments(DATA, "max", [(1, 2), (2, 2), (2, 5)]), atol=0)
    out = nt.segment_reduce(T(DATA), "sum", lengths=nt.tensor([2, 0, 3]), unsafe=True)
    np.testing.assert_allclose(out.numpy(), ref_segments(DATA, "sum", [(0, 2), (2, 2), (2, 5)]), atol=1e-12)
    d2 = rng.standard_normal((2, 6))
    out = nt.segment_reduce(T(d2), "mean", lengths=nt.tensor([[2, 0, 4], [1, 1, 4]]), axis=1)
    ref = np.stack([ref_segments(d2[0][:, None], "mean", [(0, 2), (2, 2), (2, 6)])[:, 0],
                    ref_segments(d2[1][:, None], "mean", [(0, 1), (1, 2), (2, 6)])[:, 0]])
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    x = T([1.0, 3.0, 3.0, 2.0, 0.0, 0.0], True)
    nt.segment_reduce(x, "max", lengths=nt.tensor([3, 3])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5, 1.0, 0.0, 0.0]  # tied maxima share the gradient, as torch
    assert gradcheck(lambda d: nt.segment_reduce(d, "prod", lengths=nt.tensor([2, 0, 4])), (T(DATA, True),))


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"reduce": "foo", "lengths": [2, 0, 4]}, RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin, got foo"),
    ({"reduce": "sum"}, RuntimeError, r"segment_reduce\(\): Either lengths or offsets must be defined."),
    ({"reduce": "sum", "lengths": [2, 0, 3]}, RuntimeError, r"Expected all rows of lengths along axis to sum to "
     r"data.size\(lengths.dim\(\)-1\) when !unsafe."),
    ({"reduce": "sum", "lengths": [2, -1, 5]}, RuntimeError, "lengths contains negative value!"),
    ({"reduce": "sum", "offsets": [0, 2, 1, 6]}, RuntimeError, "Expected segment_length >= 0 to be true"),
    ({"reduce": "sum", "lengths": [2, 0, 4], "axis": 1}, RuntimeError,
     "Expected axis to be the last dimension of lengths but got 1."),
])
def test_segment_reduce_errors(kwargs, exc, msg):
    for key in ("lengths", "offsets"):
        if key in kwargs:
            kwargs[key] = nt.tensor(kwargs[key])
    with pytest.raises(exc, match=msg):
        nt.segment_reduce(T(DATA), **kwargs)
    with pytest.raises(NotImplementedError, match="\"_segment_reduce_cpu\" not implemented for 'Long'"):
        nt.segment_reduce(nt.arange(6), "sum", lengths=nt.tensor([6]))


@pytest.mark.parametrize("mode", ["rnn_tanh", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_rnn_packed_overload_matches_each_sequence_alone(mode, bidirectional):
    """(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional): each sequence of the
    packed batch gives what the NumPy recurrence gives for it alone (reverse directions start at its own end)."""
    gates = {"rnn_tanh": 1, "gru": 3, "lstm": 4}[mode]
    lens, inp, hidden, layers, dirs = [4, 3, 1], 2, 3, 2, 2 if bidirectional else 1
    params = []
    for layer in range(layers):
        for _ in range(dirs):
            params += [rng.standard_normal((gates * hidden, inp if layer == 0 else hidden * dirs)) * 0.5,
                       rng.standard_normal((gates * hidden, hidden)) * 0.5, rng.standard_normal(gates * hidden) * 0.5,
                       rng.standard_normal(gates * hidden) * 0.5]
    seqs = [rng.standard_normal((n, inp)) for n in lens]
    batch_sizes = [sum(n > t for n in lens) for t in range(lens[0])]
    data = np.concatenate([np.stack([seqs[b][t] for b in range(batch_sizes[t])]) for t in range(lens[0])])
    h0 = rng.standard_normal((layers * dirs, 3, hidden))
    c0 = rng.standard_normal((layers * dirs, 3, hidden)) if mode == "lstm" else None
    hx = (T(h0), T(c0)) if mode == "lstm" else T(h0)
    got = getattr(nt, mode)(T(data), nt.tensor(batch_sizes), hx, [T(p) for p in params], True, layers, 0.0, False,
                            bidirectional)
    refs = [ref_rnn(mode, seqs[b][:, None], h0[:, b:b + 1], None if c0 is None else c0[:, b:b + 1], params, True,
                    layers, bidirectional, False) for b in range(3)]
    want = np.concatenate([np.stack([refs[b][0][t, 0] for b in range(batch_sizes[t])]) for t in range(lens[0])])
    np.testing.assert_allclose(got[0].numpy(), want, atol=1e-12)
    for k in range(1, len(got)):
        np.testing.assert_allclose(got[k].numpy(), np.concatenate([r[k] for r in refs], 1), atol=1e-12)
