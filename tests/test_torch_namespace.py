"""finfo/iinfo, threads, printoptions, predicates, in-place function forms, as_strided/empty_strided, asarray,
frombuffer, scalar_tensor, fill, *_copy, nn aliases with ATen signatures, windows, math helpers."""

import itertools
import math

import numpy as np
import pytest

import ntorch
from ntorch.autograd import gradcheck


def f64(a, requires_grad=False):
    return ntorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def test_finfo_iinfo():
    for dt, npdt in ((ntorch.float16, np.float16), (ntorch.float32, np.float32), (ntorch.float64, np.float64)):
        fi, ref = ntorch.finfo(dt), np.finfo(npdt)
        assert (fi.bits, fi.eps, fi.max, fi.min, fi.tiny) == (ref.bits, float(ref.eps), float(ref.max),
                                                              float(ref.min), float(ref.smallest_normal))
        assert fi.smallest_normal == fi.tiny and fi.resolution == 10.0 ** -ref.precision and fi.dtype == dt.name
    assert ntorch.finfo().dtype == "float32"
    assert repr(ntorch.finfo(ntorch.float32)).startswith("finfo(resolution=1e-06, min=-3.40282e+38")
    ii = ntorch.iinfo(ntorch.int32)
    assert (ii.bits, ii.min, ii.max, ii.dtype) == (32, -2**31, 2**31 - 1, "int32")
    assert repr(ntorch.iinfo(ntorch.uint8)) == "iinfo(min=0, max=255, dtype=uint8)"
    with pytest.raises(TypeError, match="requires a floating point"):
        ntorch.finfo(ntorch.int32)
    with pytest.raises(TypeError, match="requires an integer"):
        ntorch.iinfo(ntorch.float32)
    with pytest.raises(TypeError, match="bool is not supported"):
        ntorch.iinfo(ntorch.bool)


def test_threads():
    import numba

    before = ntorch.get_num_threads()
    try:
        ntorch.set_num_threads(1)
        assert ntorch.get_num_threads() == numba.get_num_threads() == 1
    finally:
        ntorch.set_num_threads(before)
    with pytest.raises(RuntimeError, match="positive integer"):
        ntorch.set_num_threads(0)


def test_set_printoptions():
    try:
        ntorch.set_printoptions(precision=2)
        assert repr(ntorch.tensor([1.23456])) == "tensor([1.23])"
        ntorch.set_printoptions(sci_mode=True)
        assert repr(ntorch.tensor([1.5])) == "tensor([1.50e+00])"  # precision persists, as in torch
        ntorch.set_printoptions(threshold=5)
        assert repr(ntorch.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
        ntorch.set_printoptions(profile="short", threshold=5)
        assert repr(ntorch.arange(10)) == "tensor([0, 1,  ..., 8, 9])"
        ntorch.set_printoptions(profile="default", linewidth=20)
        assert repr(ntorch.arange(8)).count("\n") >= 1
    finally:
        ntorch.set_printoptions(profile="default")
    assert repr(ntorch.tensor([1.23456])) == "tensor([1.2346])"


def test_predicates():
    assert not ntorch.is_complex(ntorch.ones(1))
    assert ntorch.is_signed(ntorch.ones(1)) and not ntorch.is_signed(ntorch.ones(1, dtype=ntorch.uint8))
    assert ntorch.is_nonzero(ntorch.tensor([1.5])) and not ntorch.is_nonzero(ntorch.tensor(0))
    with pytest.raises(RuntimeError, match="more than one value"):
        ntorch.is_nonzero(ntorch.ones(2))
    with pytest.raises(RuntimeError, match="no values"):
        ntorch.is_nonzero(ntorch.ones(0))
    assert ntorch.is_same_size(ntorch.ones(2, 3), ntorch.zeros(2, 3)) and not ntorch.is_same_size(
        ntorch.ones(2), ntorch.ones(3))
    assert not ntorch.is_inference_mode_enabled()
    with ntorch.inference_mode():
        assert ntorch.is_inference_mode_enabled()
    assert not ntorch.is_inference(ntorch.ones(1))


@pytest.mark.parametrize("name", ["abs_", "exp_", "sigmoid_", "relu_", "sqrt_", "neg_", "negative_", "arcsin_",
                                  "fix_", "square_", "zero_", "round_"])
def test_inplace_function_forms(name):
    a = np.array([0.2, 0.3, 0.9]) if name == "sqrt_" else np.array([-0.7, 0.3, 0.9])
    t = f64(a)
    out = getattr(ntorch, name)(t)
    ref = {"abs_": np.abs, "exp_": np.exp, "sigmoid_": lambda v: 1 / (1 + np.exp(-v)),
           "relu_": lambda v: np.maximum(v, 0), "sqrt_": np.sqrt, "neg_": np.negative, "negative_": np.negative,
           "arcsin_": np.arcsin, "fix_": np.trunc, "square_": np.square, "zero_": np.zeros_like,
           "round_": np.round}[name](a)
    assert out is t
    np.testing.assert_allclose(t.numpy(), ref, equal_nan=True)


def test_inplace_function_forms_with_args():
    t = f64([-2.0, 0.5, 3.0])
    ntorch.clamp_(t, -1, 1)
    np.testing.assert_array_equal(t.numpy(), [-1, 0.5, 1])
    ntorch.clamp_min_(t, 0)
    np.testing.assert_array_equal(t.numpy(), [0, 0.5, 1])
    ntorch.fill_(t, 7)
    np.testing.assert_array_equal(t.numpy(), [7, 7, 7])
    u = f64([np.nan, np.inf, 1.0])
    ntorch.nan_to_num_(u, 0.0, 5.0)
    np.testing.assert_array_equal(u.numpy(), [0, 5, 1])


def test_fill_and_scalar_tensor():
    out = ntorch.fill(ntorch.ones(2, dtype=ntorch.int32), 3.7)
    assert out.dtype is ntorch.int32 and out.tolist() == [3, 3]
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        ntorch.fill(ntorch.ones(2), ntorch.ones(2))
    v = f64(2.0, requires_grad=True)
    ntorch.fill(ntorch.ones(3, dtype=ntorch.float64), v).sum().backward()
    assert v.grad.item() == 3.0
    s = ntorch.scalar_tensor(3)
    assert s.dtype is ntorch.float32 and s.ndim == 0 and s.item() == 3.0
    assert ntorch.scalar_tensor(True, dtype=ntorch.int64).item() == 1


def test_as_strided_values_bounds_and_grad():
    base = np.arange(6.0)
    x = f64(base)
    out = ntorch.as_strided(x, (2, 2), (1, 2), 1)
    np.testing.assert_array_equal(out.numpy(), np.lib.stride_tricks.as_strided(base[1:], (2, 2), (8, 16)))
    out[0, 0] = 10.0
    assert x[1].item() == 10.0  # a view
    np.testing.assert_array_equal(x[2:].as_strided((2,), (1,)).numpy(), [2, 3])
    np.testing.assert_array_equal(x[2:].as_strided((2,), (1,), 0).numpy(), [0, 10])
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 48"):
        ntorch.as_strided(x, (2, 3), (3, 1), 1)
    with pytest.raises(RuntimeError, match="Negative strides"):
        ntorch.as_strided(x, (2, 2), (-1, 1))
    with pytest.raises(RuntimeError, match="invalid storage offset -1"):
        ntorch.as_strided(x, (2,), (1,), -1)
    with pytest.raises(RuntimeError, match="mismatch in length"):
        ntorch.as_strided(x, (2, 3), (1,))
    # overlapping windows: the gradient counts every use of an element
    assert gradcheck(lambda t: ntorch.as_strided(t, (3, 3), (1, 1)), (f64(np.random.rand(6), True),))
    assert gradcheck(lambda t: ntorch.as_strided(t.t(), (2, 2), (2, 1), 1), (f64(np.random.rand(3, 2), True),))


def test_empty_strided_asarray_frombuffer():
    e = ntorch.empty_strided((2, 3), (1, 2), dtype=ntorch.float64)
    assert e.shape == (2, 3) and e.stride() == (1, 2)
    a = np.arange(4.0)
    t = ntorch.asarray(a)
    a[0] = 9
    assert t[0].item() == 9  # shares memory
    assert ntorch.asarray(a, copy=True).data_ptr() != t.data_ptr()
    assert ntorch.asarray(t) is t and ntorch.asarray(t, dtype=ntorch.float32).dtype is ntorch.float32
    with pytest.raises(ValueError):
        ntorch.asarray(t, dtype=ntorch.float32, copy=False)
    assert ntorch.asarray([1, 2]).dtype is ntorch.int64
    buf = bytearray(np.arange(4, dtype=np.float32).tobytes())
    fb = ntorch.frombuffer(buf, dtype=ntorch.float32)
    assert fb.tolist() == [0, 1, 2, 3]
    assert ntorch.frombuffer(buf, dtype=ntorch.float32, count=2, offset=4).tolist() == [1, 2]
    with pytest.raises(ValueError, match="must not be greater than actual buffer length"):
        ntorch.frombuffer(buf, dtype=ntorch.float32, count=5)
    with pytest.raises(ValueError, match="multiple of element size"):
        ntorch.frombuffer(buf, dtype=ntorch.float32, offset=3)
    with pytest.raises(ValueError, match="must not be 0"):
        ntorch.frombuffer(bytearray(), dtype=ntorch.float32)


def test_copy_variants():
    a = np.random.rand(2, 3)
    x = f64(a)
    cases = {"view_copy": ((3, 2), a.reshape(3, 2)), "permute_copy": ((1, 0), a.T), "t_copy": ((), a.T),
             "transpose_copy": ((0, 1), a.T), "select_copy": ((1, 2), a[:, 2]),
             "unsqueeze_copy": ((0,), a[None]), "diagonal_copy": ((), np.diagonal(a)),
             "narrow_copy": ((1, 1, 2), a[:, 1:3]), "expand_copy": (((2, 2, 3),), np.broadcast_to(a, (2, 2, 3)))}
    for name, (args, ref) in cases.items():
        out = getattr(ntorch, name)(x, *args)
        np.testing.assert_array_equal(out.numpy(), ref)
        assert out.is_contiguous()
        assert out.data_ptr() != x.data_ptr() or out.numel() == 0
    np.testing.assert_array_equal(ntorch.slice_copy(x, 1, 0, 3, 2).numpy(), a[:, 0:3:2])
    parts = ntorch.split_copy(x, 1, 1)
    assert len(parts) == 3 and all(p.is_contiguous() for p in parts)
    g = f64(a, True)
    ntorch.permute_copy(g, (1, 0)).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), np.ones((2, 3)))


def test_nn_aliases_aten_signatures():
    import ntorch.nn.functional as F

    x = f64(np.random.rand(2, 3, 5))
    w = f64(np.random.rand(4, 3, 2))
    np.testing.assert_allclose(ntorch.conv1d(x, w, None, 1, 1).numpy(), F.conv1d(x, w, None, 1, 1).numpy())
    # conv_transpose1d against its definition: scatter each input sample times the kernel
    xi, wt = np.random.rand(1, 2, 3), np.random.rand(2, 1, 2)
    ref = np.zeros((1, 1, 4))
    for c in range(2):
        for i in range(3):
            ref[0, 0, i:i + 2] += xi[0, c, i] * wt[c, 0]
    np.testing.assert_allclose(ntorch.conv_transpose1d(f64(xi), f64(wt)).numpy(), ref)
    # kl_div's reduction is ATen's enum: 0 none, 1 mean, 2 sum
    inp, tgt = f64(np.log([0.2, 0.3, 0.5])), f64([0.1, 0.6, 0.3])
    pointwise = tgt.numpy() * (np.log(tgt.numpy()) - inp.numpy())
    np.testing.assert_allclose(ntorch.kl_div(inp, tgt, 0).numpy(), pointwise)
    np.testing.assert_allclose(ntorch.kl_div(inp, tgt, 2).item(), pointwise.sum())
    np.testing.assert_allclose(ntorch.kl_div(inp, tgt).item(), pointwise.mean())
    # batch_norm: weight, bias before the running stats; all nine arguments
    xb = f64(np.random.rand(4, 3))
    out = ntorch.batch_norm(xb, None, None, None, None, True, 0.1, 1e-5, False)
    a = xb.numpy()
    np.testing.assert_allclose(out.numpy(), (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5), rtol=1e-10)
    # embedding: weight first
    table = f64(np.random.rand(5, 2))
    np.testing.assert_array_equal(ntorch.embedding(table, ntorch.tensor([4, 0])).numpy(), table.numpy()[[4, 0]])
    vals, idx = ntorch.adaptive_max_pool1d(f64(np.arange(6.0).reshape(1, 1, 6)), 2)
    assert vals.tolist() == [[[2.0, 5.0]]] and idx.tolist() == [[[2, 5]]]
    np.testing.assert_allclose(ntorch.dropout(xb, 0.5, False).numpy(), a)
    y = f64([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(ntorch.threshold(y, 1.0, -5.0).numpy(), [-5, -5, 2])
    np.testing.assert_allclose(ntorch.hardshrink(y, 0.6).numpy(), [-1, 0, 2])
    np.testing.assert_allclose(ntorch.layer_norm(xb, (3,)).numpy(),
                               (a - a.mean(1, keepdims=True)) / np.sqrt(a.var(1, keepdims=True) + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(ntorch.pdist(xb).numpy(),
                               [np.linalg.norm(a[i] - a[j]) for i, j in itertools.combinations(range(4), 2)])
    with pytest.raises(ValueError):
        ntorch.kl_div(inp, tgt, 5)


@pytest.mark.parametrize("name,np_fn,periodic", [("hann_window", np.hanning, True),
                                                 ("hamming_window", np.hamming, False),
                                                 ("blackman_window", np.blackman, True),
                                                 ("bartlett_window", np.bartlett, False)])
def test_windows(name, np_fn, periodic):
    for n in (0, 1, 2, 7, 8):
        w = getattr(ntorch, name)(n, periodic, dtype=ntorch.float64)
        ref = np_fn(n + 1)[:n] if periodic and n > 1 else np_fn(n) if n > 1 else np.ones(n)
        np.testing.assert_allclose(w.numpy(), ref, atol=1e-12)
    assert getattr(ntorch, name)(5).dtype is ntorch.float32


def test_kaiser_window_and_errors():
    np.testing.assert_allclose(ntorch.kaiser_window(5, dtype=ntorch.float64).numpy(), np.kaiser(6, 12.0)[:5])
    np.testing.assert_allclose(ntorch.kaiser_window(6, False, 5.0, dtype=ntorch.float64).numpy(), np.kaiser(6, 5.0))
    with pytest.raises(RuntimeError, match="non-negative window_length"):
        ntorch.hann_window(-1)
    with pytest.raises(RuntimeError, match="floating point"):
        ntorch.hann_window(4, dtype=ntorch.int64)


def test_frexp_isposinf_isreal():
    a = np.array([0.0, 1.0, -3.0, 0.1, 1e-300, 7.5e10, np.inf, -np.inf, np.nan])
    m, e = ntorch.frexp(f64(a))
    rm, re_ = np.frexp(a)
    np.testing.assert_array_equal(m.numpy(), rm)
    assert e.dtype is ntorch.int32
    np.testing.assert_array_equal(e.numpy()[:6], re_[:6])
    np.testing.assert_array_equal(e.numpy()[6:], [0, 0, 0])
    with pytest.raises(RuntimeError, match="floating-point"):
        ntorch.frexp(ntorch.tensor([1, 2]))
    np.testing.assert_array_equal(ntorch.isposinf(f64(a)).numpy(), np.isposinf(a))
    np.testing.assert_array_equal(ntorch.isneginf(f64(a)).numpy(), np.isneginf(a))
    assert ntorch.isreal(f64(a)).all()


def test_polygamma_mvlgamma_against_series():
    xs = np.array([0.3, 1.0, 2.5, 7.0])

    def trigamma_series(x, n):  # (-1)^(n+1) n! sum_k 1/(x+k)^(n+1), summed far with an integral tail
        k = np.arange(200000)
        tail = 1 / (n * (x + 200000) ** n)
        return (-1) ** (n + 1) * math.factorial(n) * (np.sum(1 / (x + k) ** (n + 1)) + tail)

    for n in (1, 2, 3):
        out = ntorch.polygamma(n, f64(xs)).numpy()
        np.testing.assert_allclose(out, [trigamma_series(v, n) for v in xs], rtol=1e-9)
    np.testing.assert_allclose(ntorch.polygamma(0, f64(xs)).numpy(), ntorch.digamma(f64(xs)).numpy())
    assert gradcheck(lambda t: ntorch.polygamma(1, t), (f64(xs, True),))
    out = ntorch.mvlgamma(f64(xs + 2), 3).numpy()
    ref = [sum(math.lgamma(v - j / 2) for j in range(3)) + 3 * 2 / 4 * math.log(math.pi) for v in xs + 2]
    np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_vander_unravel_combinations_tri_indices_diagflat():
    x = ntorch.tensor([1, 2, 3])
    np.testing.assert_array_equal(ntorch.vander(x, 4).numpy(), np.vander([1, 2, 3], 4))
    np.testing.assert_array_equal(ntorch.vander(x, increasing=True).numpy(), np.vander([1, 2, 3], increasing=True))
    xf = f64(np.random.rand(3), True)
    assert gradcheck(lambda t: ntorch.vander(t, 3), (xf,))
    flat = ntorch.tensor([5, 1, 0, 3])
    for got, ref in zip(ntorch.unravel_index(flat, (2, 3)), np.unravel_index([5, 1, 0, 3], (2, 3))):
        np.testing.assert_array_equal(got.numpy(), ref)
    with pytest.raises(TypeError, match="integer dtype"):
        ntorch.unravel_index(ntorch.tensor(1.0), (2, 3))
    v = ntorch.tensor([4, 5, 6, 7])
    for r, rep in ((2, False), (3, False), (2, True)):
        gen = itertools.combinations_with_replacement if rep else itertools.combinations
        ref = [[[4, 5, 6, 7][i] for i in c] for c in gen(range(4), r)]
        assert ntorch.combinations(v, r, rep).tolist() == ref
    for fn, np_fn in ((ntorch.tril_indices, np.tril_indices), (ntorch.triu_indices, np.triu_indices)):
        for row, col, off in ((3, 3, 0), (3, 2, 1), (4, 5, -1)):
            np.testing.assert_array_equal(fn(row, col, off).numpy(), np.stack(np_fn(row, off, col)))
    a = np.random.rand(2, 2)
    np.testing.assert_array_equal(ntorch.diagflat(f64(a), 1).numpy(), np.diagflat(a, 1))


def test_size_stays_a_size():
    s = ntorch.Size([2, 3])
    for v in (s + (4,), (1,) + s, s[1:], s * 2):
        assert type(v) is ntorch.Size
    assert s[0] == 2 and type(s[0]) is int and s + (4,) == (2, 3, 4) and (1,) + s == (1, 2, 3)
