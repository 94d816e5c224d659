"""The host fast paths of common small ops (view/reshape/flatten/unsqueeze/clone, basic indexing, in-place unary
ops, small means) must give exactly what the general paths give: values (NumPy oracle), torch's strides, torch's
errors, and autograd nodes when an input requires grad."""

import numpy as np
import pytest

import ntorch


def _c_strides(shape):
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return tuple(reversed(out))


@pytest.mark.parametrize("shape", [(3, 5), (1, 4), (2, 1, 3), (7,), ()])
def test_unsqueeze_strides_follow_torch(shape):
    x = ntorch.rand(*shape)
    for d in range(-len(shape) - 1, len(shape) + 1):
        y = x.unsqueeze(d)
        dd = d + len(shape) + 1 if d < 0 else d
        want_shape = shape[:dd] + (1,) + shape[dd:]
        assert tuple(y.shape) == want_shape
        # torch: the new dim's stride is size * stride of the dim after it (1 when it is last)
        strides = x.stride()
        new = strides[dd] * shape[dd] if dd < len(shape) else 1
        assert y.stride() == strides[:dd] + (new,) + strides[dd:]
        np.testing.assert_array_equal(y.numpy(), np.expand_dims(x.numpy(), dd))
        assert y.data_ptr() == x.data_ptr()


def test_unsqueeze_of_a_transposed_tensor():
    x = ntorch.rand(3, 4).t()
    y = x.unsqueeze(1)
    assert y.stride() == (1, 12, 4)  # torch: the new dim's stride is size(1) * stride(1) of the input = 3 * 4
    assert x.unsqueeze(0).stride() == (4, 1, 4) and x.unsqueeze(2).stride() == (1, 4, 1)
    np.testing.assert_array_equal(y.numpy(), x.numpy()[:, None, :])


@pytest.mark.parametrize("args,want", [((-1,), (12,)), ((3, -1), (3, 4)), ((-1, 6), (2, 6)), (((2, 6),), (2, 6)),
                                       ((ntorch.Size([4, 3]),), (4, 3)), ((2, 2, 3), (2, 2, 3))])
def test_view_and_reshape_shapes(args, want):
    x = ntorch.arange(12.0)
    for fn in (x.view, x.reshape):
        y = fn(*args)
        expect = want
        assert tuple(y.shape) == expect
        assert y.stride() == _c_strides(expect)
        np.testing.assert_array_equal(y.numpy(), np.arange(12.0, dtype=np.float32).reshape(expect))
        assert y.data_ptr() == x.data_ptr()


@pytest.mark.parametrize("args,error", [((5,), RuntimeError), ((-1, -1), RuntimeError), ((0, -1), RuntimeError),
                                        ((True, 12), TypeError), ((2.0, 6), TypeError), ((-2, 6), RuntimeError)])
def test_view_and_reshape_errors_as_before(args, error):
    x = ntorch.arange(12.0)
    for fn in (x.view, x.reshape):
        with pytest.raises(error):
            fn(*args)


def test_reshape_of_an_empty_tensor():
    x = ntorch.zeros(0, 3)
    assert tuple(x.reshape(-1).shape) == (0,)
    assert tuple(x.view(-1, 3).shape) == (0, 3)
    with pytest.raises(RuntimeError, match="ambiguous"):
        x.reshape(0, -1)


def test_view_records_when_input_requires_grad():
    x = ntorch.arange(6.0).requires_grad_()
    y = x.view(2, 3)
    assert y.grad_fn is not None and y.grad_fn.name() == "ViewBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(6))
    z = x.reshape(3, 2)
    assert z.grad_fn.name() == "ViewBackward0"
    assert x.unsqueeze(0).grad_fn.name() == "UnsqueezeBackward0"
    assert x.view(2, 3).flatten().grad_fn is not None


def test_flatten_contiguous_and_not():
    x = ntorch.rand(2, 3, 4)
    assert x.flatten().data_ptr() == x.data_ptr()
    np.testing.assert_array_equal(x.flatten().numpy(), x.numpy().reshape(-1))
    t = x.transpose(0, 2)
    np.testing.assert_array_equal(t.flatten().numpy(), t.numpy().reshape(-1))
    assert tuple(ntorch.tensor(3.0).flatten().shape) == (1,)


def test_clone_keeps_torch_strides():
    x = ntorch.rand(4, 5)
    c = x.clone()
    assert c.stride() == (5, 1) and c.data_ptr() != x.data_ptr()
    np.testing.assert_array_equal(c.numpy(), x.numpy())
    odd = ntorch.empty(3, 1).t()  # strides (1, 1): contiguous to NumPy, kept by torch's clone
    assert odd.clone().stride() == (1, 1)
    t = x.t()
    assert t.clone().stride() == (1, 5)  # preserve_format keeps the transposed layout
    w = ntorch.rand(3, requires_grad=True)
    assert w.clone().grad_fn.name() == "CloneBackward0"


@pytest.mark.parametrize("index", [1, -1, 0, slice(1, None), slice(None, 2), slice(None, None, 2),
                                   (1, 2), (slice(1, 3), 0), (-2, slice(None, None, 3)), (slice(0, 0),)])
def test_basic_index_matches_numpy(index):
    a = np.arange(20, dtype=np.float32).reshape(4, 5)
    x = ntorch.tensor(a)
    got = x[index]
    want = a[index]
    np.testing.assert_array_equal(got.numpy(), want)
    assert got.stride() == tuple(s // 4 for s in np.asarray(a[index]).strides)
    if got.numel():
        assert got._base is x  # a view


def test_basic_index_errors():
    x = ntorch.rand(4, 5)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 4"):
        x[4]
    with pytest.raises(IndexError, match="index -6 is out of bounds for dimension 1 with size 5"):
        x[0, -6]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        ntorch.tensor(1.0)[0]


def test_index_records_when_input_requires_grad():
    x = ntorch.rand(4, 5, requires_grad=True)
    y = x[1]
    assert y.grad_fn.name() == "SelectBackward0"
    y.sum().backward()
    want = np.zeros((4, 5), np.float32)
    want[1] = 1
    np.testing.assert_array_equal(x.grad.numpy(), want)


@pytest.mark.parametrize("name,ref", [("relu_", lambda a: np.maximum(a, 0)), ("exp_", np.exp),
                                      ("neg_", np.negative), ("abs_", np.abs)])
def test_inplace_unary(name, ref):
    a = np.linspace(-2, 2, 11, dtype=np.float32)
    x = ntorch.tensor(a)
    v = x._version
    out = getattr(x, name)()
    assert out is x and x._version == v + 1
    np.testing.assert_allclose(x.numpy(), ref(a), rtol=1e-6)


def test_inplace_unary_dtype_rule_still_applies():
    x = ntorch.arange(4)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.sigmoid_()
    y = ntorch.rand(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        y.relu_()


@pytest.mark.parametrize("shape,dim,keepdim", [((3, 3), None, False), ((5, 7), 0, False), ((5, 7), 1, True),
                                               ((2, 3, 4), -1, False), ((0, 3), 1, False), ((4,), None, True)])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_small_mean(shape, dim, keepdim, dt):
    a = np.random.default_rng(0).standard_normal(shape).astype(dt)
    got = ntorch.tensor(a).mean(dim, keepdim=keepdim)
    want = a.astype(np.float64).mean(axis=dim, keepdims=keepdim) if a.size else np.full(
        np.mean(a, axis=dim, keepdims=keepdim).shape, np.nan)
    assert got.dtype is ntorch.tensor(a).dtype
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


def test_mul_saves_an_operand_only_for_the_others_gradient():
    """As torch's MulBackward: x * 2.0 saves no tensor, x * y saves y only when just x requires grad (a long chain of
    scaled tensors keeps nothing alive but its nodes); the gradients are unchanged."""
    packed = []
    x = ntorch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = ntorch.tensor([0.5, 4.0, -1.0])
    with ntorch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
        a = x * 2.0
        n_scalar = len(packed)
        b = x * y
        n_one = len(packed) - n_scalar
        c = x * x
        n_both = len(packed) - n_scalar - n_one
    assert (n_scalar, n_one, n_both) == (0, 1, 2)
    (a.sum() + b.sum() + c.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 + y.numpy() + 2 * x.detach().numpy())


@pytest.mark.parametrize("data,dtype,values", [
    ([1.5, -2.0, 0.1], ntorch.float32, np.array([1.5, -2.0, 0.1], np.float64).astype(np.float32)),
    ([1, -2, 3], ntorch.int64, np.array([1, -2, 3], np.int64)),
    ([1e300, -1e300], ntorch.float32, np.array([np.inf, -np.inf], np.float32)),
    ([2**63 - 1, -2**63], ntorch.int64, np.array([2**63 - 1, -2**63], np.int64)),
    ([1, 2.5], ntorch.float32, np.array([1.0, 2.5], np.float32)),  # mixed: the general path
    ([True, 1], ntorch.int64, np.array([1, 1], np.int64)),
])
def test_tensor_of_a_flat_list(data, dtype, values):
    t = ntorch.tensor(data)
    assert t.dtype is dtype
    np.testing.assert_array_equal(t.numpy(), values)


def test_tensor_of_a_flat_list_follows_the_default_dtype_and_errors():
    ntorch.set_default_dtype(ntorch.float64)
    try:
        assert ntorch.tensor([0.1, 0.2]).dtype is ntorch.float64
        assert ntorch.tensor([0.1]).item() == 0.1
    finally:
        ntorch.set_default_dtype(ntorch.float32)
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        ntorch.tensor([1, 2**63])
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ntorch.tensor([1, 2], requires_grad=True)
    assert ntorch.tensor([1.0, 2.0], requires_grad=True).requires_grad


# --- nn modules (wt_nnh)
# linear's small-layer CPU path (2-D and N-D inputs, one node) and MultiheadAttention's batch-first self-attention
# path, against NumPy references; gradients against float64 finite differences (gradcheck / gradgradcheck).
def _np_linear(x, w, b):
    y = x.astype(np.float64) @ w.astype(np.float64).T
    return y + b if b is not None else y


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("xshape", [(8, 6), (2, 3, 6), (2, 1, 3, 6), (0, 6), (3, 0, 6)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_small_cpu_values_and_grads(dt, xshape, with_bias):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=xshape).astype(dt), rng.normal(size=(5, 6)).astype(dt), rng.normal(size=5).astype(dt)
    xt, wt = ntorch.tensor(x, requires_grad=True), ntorch.tensor(w, requires_grad=True)
    bt = ntorch.tensor(b, requires_grad=True) if with_bias else None
    y = ntorch.nn.functional.linear(xt, wt, bt)
    assert y.dtype is xt.dtype and tuple(y.shape) == xshape[:-1] + (5,)
    assert y.grad_fn.name() == ("AddmmBackward0" if with_bias else "MmBackward0")
    tol = 1e-5 if dt is np.float32 else 1e-12
    np.testing.assert_allclose(y.detach().numpy(), _np_linear(x, w, b if with_bias else None), rtol=tol, atol=tol)
    g = rng.normal(size=y.shape).astype(dt)
    y.backward(ntorch.tensor(g))
    g2, x2 = g.reshape(-1, 5).astype(np.float64), x.reshape(-1, 6).astype(np.float64)
    np.testing.assert_allclose(xt.grad.numpy(), (g2 @ w).reshape(xshape), rtol=tol, atol=tol)
    np.testing.assert_allclose(wt.grad.numpy(), g2.T @ x2, rtol=tol, atol=tol)
    if with_bias:
        np.testing.assert_allclose(bt.grad.numpy(), g2.sum(0), rtol=tol, atol=tol)


def test_linear_small_cpu_layouts_and_fallbacks():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3, 6))
    w = rng.normal(size=(5, 6))
    b = rng.normal(size=5)
    want = _np_linear(x, w, b)
    F = ntorch.nn.functional
    xt = ntorch.tensor(np.ascontiguousarray(x.transpose(1, 0, 2))).transpose(0, 1)  # non-contiguous input
    np.testing.assert_allclose(F.linear(xt, ntorch.tensor(w), ntorch.tensor(b)).numpy(), want, rtol=1e-12)
    wt = ntorch.tensor(np.ascontiguousarray(w.T)).t()  # non-contiguous weight: the general path
    np.testing.assert_allclose(F.linear(ntorch.tensor(x), wt, ntorch.tensor(b)).numpy(), want, rtol=1e-12)
    y = F.linear(ntorch.tensor(x), ntorch.tensor(w), ntorch.tensor(b, dtype=ntorch.float32))  # mixed bias dtype
    assert y.dtype is ntorch.float64
    np.testing.assert_allclose(y.numpy(), _np_linear(x, w, b.astype(np.float32)), rtol=1e-7)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(12x6 and 5x5\)"):
        F.linear(ntorch.tensor(x), ntorch.tensor(w[:, :5]))


def test_linear_small_cpu_gradcheck():
    from ntorch.autograd import gradcheck, gradgradcheck

    rng = np.random.default_rng(2)
    args = tuple(ntorch.tensor(rng.normal(size=s), requires_grad=True) for s in ((2, 3, 4), (3, 4), (3,)))
    assert gradcheck(ntorch.nn.functional.linear, args)
    assert gradgradcheck(ntorch.nn.functional.linear, args)


def _np_self_attention(x, w_in, b_in, w_out, b_out, heads):
    b, length, e = x.shape
    hd = e // heads
    q, k, v = np.split(x @ w_in.T + b_in, 3, axis=-1)
    split = lambda t: t.reshape(b, length, heads, hd).transpose(0, 2, 1, 3)  # noqa: E731
    q, k, v = split(q), split(k), split(v)
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
    wts = np.exp(s - s.max(-1, keepdims=True))
    wts /= wts.sum(-1, keepdims=True)
    out = (wts @ v).transpose(0, 2, 1, 3).reshape(b, length, e)
    return out @ w_out.T + b_out, wts


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_batch_first_self_attention(need_weights, average):
    rng = np.random.default_rng(3)
    ntorch.manual_seed(0)
    m = ntorch.nn.MultiheadAttention(8, 2, batch_first=True, dtype=ntorch.float64)
    with ntorch.no_grad():
        m.in_proj_bias.copy_(ntorch.tensor(rng.normal(size=24)))
        m.out_proj.bias.copy_(ntorch.tensor(rng.normal(size=8)))
    x = rng.normal(size=(3, 5, 8))
    out, wts = m(*(ntorch.tensor(x),) * 3, need_weights=need_weights, average_attn_weights=average)
    want, want_w = _np_self_attention(x, m.in_proj_weight.detach().numpy(), m.in_proj_bias.detach().numpy(),
                                      m.out_proj.weight.detach().numpy(), m.out_proj.bias.detach().numpy(), 2)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    if not need_weights:
        assert wts is None
    else:
        np.testing.assert_allclose(wts.detach().numpy(), want_w.mean(1) if average else want_w, rtol=1e-10,
                                   atol=1e-12)
    # the general (sequence-first reference) path gives the same: key is a different tensor object there
    xt = ntorch.tensor(x)
    ref, ref_w = m(xt, xt.clone(), xt, need_weights=need_weights, average_attn_weights=average)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_mha_batch_first_self_attention_gradcheck():
    from ntorch.autograd import gradcheck

    ntorch.manual_seed(0)
    m = ntorch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=ntorch.float64)
    x = ntorch.tensor(np.random.default_rng(4).normal(size=(2, 3, 4)), requires_grad=True)

    assert gradcheck(lambda x: m(x, x, x), (x,))
    # the parameters' gradients match the general path's (key a different tensor object there)
    grads = []
    for key in (x, x.clone()):
        m.zero_grad()
        out, wts = m(x, key, x)
        (out.sum() + (wts * wts).sum()).backward()
        grads.append([p.grad.numpy().copy() for p in m.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    # dropout in training mode takes the general path (it needs the reference's dropout on the weights)
    m2 = ntorch.nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    y = ntorch.randn(2, 3, 4)
    m2(y, y, y)
