"""complex64/complex128 tensors on CUDA: storage and copies, elementwise ops, sum/mean/prod, products and autograd,
each compared with CPU ntorch (itself tested against NumPy and torch's semantics) on tiny shapes, non-contiguous
inputs, 0-d and size-0 included; ops without complex CUDA kernels raise NotImplementedError naming op and dtype."""

import warnings

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F

CDTYPES = [nt.complex64, nt.complex128]
_RNG = np.random.default_rng(5)


def _tol(dt):
    return {"rtol": 2e-5, "atol": 2e-6} if dt in (nt.complex64, nt.float32) else {"rtol": 1e-12, "atol": 1e-13}


def crand(shape, dt, scale: float = 1.0) -> np.ndarray:
    return ((_RNG.standard_normal(shape) + 1j * _RNG.standard_normal(shape)) * scale).astype(dt.np)


def same(cpu: nt.Tensor, gpu: nt.Tensor, dt) -> None:
    """gpu (a CUDA tensor) has cpu's dtype, shape and values."""
    assert gpu.device.type == "cuda"
    assert gpu.dtype is cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), equal_nan=True, **_tol(dt))


# --- storage, copies, views ---

@pytest.mark.parametrize("dt", CDTYPES)
def test_transfers_factories_and_copies(dt):
    a = crand((3, 4), dt)
    x = nt.tensor(a).cuda()
    assert x.dtype is dt and x.is_cuda and x.is_complex()
    np.testing.assert_array_equal(x.cpu().numpy(), a)
    np.testing.assert_array_equal(x.t().contiguous().cpu().numpy(), a.T)  # strided copy
    np.testing.assert_array_equal(x[:, ::2].clone().cpu().numpy(), a[:, ::2])
    np.testing.assert_array_equal(nt.zeros(2, 0, dtype=dt, device="cuda").cpu().numpy(), np.zeros((2, 0), dt.np))
    np.testing.assert_array_equal(nt.ones(2, dtype=dt, device="cuda").cpu().numpy(), np.ones(2, dt.np))
    full = nt.full((2, 2), 1 - 2j, dtype=dt, device="cuda")
    np.testing.assert_array_equal(full.cpu().numpy(), np.full((2, 2), 1 - 2j, dt.np))
    y = nt.zeros(4, 3, dtype=dt, device="cuda")
    y.copy_(x.t())
    np.testing.assert_array_equal(y.cpu().numpy(), a.T)
    y[1] = 5j
    assert y[1, 2].item() == 5j
    zero_d = nt.tensor(2 - 1j, dtype=dt).cuda()
    assert zero_d.shape == () and zero_d.item() == 2 - 1j
    assert nt.tensor(a).to("cuda").to(nt.complex128).cpu().dtype is nt.complex128
    joined = nt.cat([x, x[:1]]), nt.stack([x, x.t().t()], 1)
    np.testing.assert_array_equal(joined[0].cpu().numpy(), np.concatenate([a, a[:1]]))
    np.testing.assert_array_equal(joined[1].cpu().numpy(), np.stack([a, a], 1))
    assert "device='cuda:0'" in repr(x) and "j" in repr(x)


@pytest.mark.parametrize("dt", CDTYPES)
def test_casts_between_complex_and_real(dt):
    a = crand((2, 3), dt)
    a[0, 0] = 0
    a[0, 1] = 2j  # nonzero with a zero real part: True as bool
    x = nt.tensor(a).cuda()
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        r = x.to(nt.float64)
    np.testing.assert_array_equal(r.cpu().numpy(), a.real.astype(np.float64))
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        i = x.t().to(nt.int32)
    np.testing.assert_array_equal(i.cpu().numpy(), a.real.T.astype(np.int32))
    np.testing.assert_array_equal(x.to(nt.bool).cpu().numpy(), a != 0)
    for src in (nt.arange(6, dtype=nt.float16), nt.arange(6, dtype=nt.int64), nt.arange(6) % 2 == 0):
        got = src.cuda().to(dt)
        assert got.dtype is dt
        np.testing.assert_array_equal(got.cpu().numpy(), src.to(dt).numpy())


@pytest.mark.parametrize("dt", CDTYPES)
def test_real_imag_and_view_as_real_are_views(dt):
    a = crand((2, 3), dt)
    x = nt.tensor(a).cuda()
    xt = x.t()
    np.testing.assert_array_equal(xt.real.cpu().numpy(), a.T.real)
    np.testing.assert_array_equal(nt.imag(xt).cpu().numpy(), a.T.imag)
    assert x.real.dtype is dt.to_real() and x.imag.stride() == (6, 2)
    x.imag.fill_(7.0)  # writes through the view
    np.testing.assert_array_equal(x.cpu().numpy().imag, np.full((2, 3), 7.0))
    pairs = nt.view_as_real(x)
    assert pairs.shape == (2, 3, 2) and pairs.stride() == (6, 2, 1)
    pairs[0, 0, 0] = -1.0
    assert x[0, 0].item() == -1 + 7j
    back = nt.view_as_complex(pairs)
    assert back.dtype is dt and back.is_cuda
    np.testing.assert_array_equal(back.cpu().numpy(), x.cpu().numpy())


@pytest.mark.parametrize("dt", CDTYPES)
def test_random_complex_on_cuda(dt):
    z = nt.randn(4000, dtype=dt, device="cuda")
    assert z.dtype is dt and z.is_cuda
    parts = nt.view_as_real(z).cpu().numpy()
    assert abs(parts.var(0) - 0.5).max() < 0.06 and abs(parts.mean(0)).max() < 0.06  # each part N(0, 1/2)
    u = nt.rand(500, dtype=dt, device="cuda").cpu().numpy()
    assert (u.real >= 0).all() and (u.real < 1).all() and (u.imag >= 0).all() and (u.imag < 1).all()


MOVES = [
    lambda x, i: x[i], lambda x, i: x[:, i], lambda x, i: x[x.abs() > 1], lambda x, i: x.masked_fill(x.abs() > 1, 2j),
    lambda x, i: x.gather(1, i.expand(3, 2)), lambda x, i: x.index_add(0, i, x[:2]), lambda x, i: x.take(i),
    lambda x, i: x.flip(0), lambda x, i: x.roll(1, 1), lambda x, i: F.pad(x, (1, 2)), lambda x, i: x.tril(),
    lambda x, i: x.diagonal(), lambda x, i: x.repeat(2, 1), lambda x, i: x.t().reshape(-1)[::3],
    lambda x, i: x.clone().index_put_((i,), x[1:], accumulate=True),  # accumulated part by part
    lambda x, i: x.clone().index_put_((i[:1].expand(3),), x, accumulate=True),  # one row, summed three times
]


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("case", range(len(MOVES)))
def test_indexing_and_data_movement_match_cpu(case, dt):
    x, i = nt.tensor(crand((3, 4), dt)), nt.tensor([2, 0])
    f = MOVES[case]
    same(f(x, i), f(x.cuda(), i.cuda()), dt)


# --- elementwise ---

UNARY = ["neg", "conj", "abs", "angle", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "reciprocal", "isnan",
         "isfinite", "isinf", "sgn", "square", "rsqrt", "exp2", "expm1", "log2", "log10", "log1p", "tan", "sinh",
         "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sinc", "isreal", "silu", "real"]


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_cpu(name, dt):
    a = crand((3, 4), dt)
    a[0, 0] = 0
    a[1, 1] = 1e-4 - 2e-4j  # near 0: expm1/log1p keep their relative accuracy
    a[2, 2] = complex(np.nan, 1) if name not in ("real",) else a[2, 2]
    f = getattr(nt, name)
    x = nt.tensor(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = f(x.t())
        got = f(x.cuda().t())  # a transposed (non-contiguous) input
        same(want, got, dt)
        same(f(x[0, 1]), f(x.cuda()[0, 1]), dt)  # 0-d
        same(f(x[:0]), f(x.cuda()[:0]), dt)  # size 0


@pytest.mark.parametrize("dt", CDTYPES)
def test_expm1_log1p_are_accurate_near_zero(dt):
    z = np.array([1e-6 + 2e-6j, -3e-7j, 1e-5], dt.np)
    x = nt.tensor(z).cuda()
    np.testing.assert_allclose(nt.expm1(x).cpu().numpy(), np.expm1(z.astype(np.complex128)), rtol=1e-5)
    np.testing.assert_allclose(nt.log1p(x).cpu().numpy(), np.log1p(z.astype(np.complex128)), rtol=1e-5)


BINARY = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y, "div": lambda x, y: x / y,
    "pow": lambda x, y: x ** y, "eq": lambda x, y: x == y, "ne": lambda x, y: x != y,
    "add_alpha": lambda x, y: nt.add(x, y, alpha=2 - 1j), "where": lambda x, y: nt.where(x.abs() > 1, x, y),
    "isclose": lambda x, y: nt.isclose(x, x + y * 1e-9), "lerp": lambda x, y: nt.lerp(x, y, 0.3),
    "polar": lambda x, y: nt.polar(x.abs(), y.real), "complex": lambda x, y: nt.complex(x.real, y.imag),
    "broadcast": lambda x, y: x * y[:1] - y[:, :1],
}


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_cpu(name, dt):
    a, b = crand((3, 4), dt), crand((3, 4), dt)
    a[0, 0] = b[0, 0]
    f = BINARY[name]
    x, y = nt.tensor(a), nt.tensor(b)
    same(f(x, y), f(x.cuda(), y.cuda()), dt)
    same(f(x.t(), y.t()), f(x.cuda().t(), y.cuda().t()), dt)


@pytest.mark.parametrize("dt", CDTYPES)
def test_division_by_zero_gives_torchs_inf_and_nan(dt):
    num = nt.tensor([1 + 1j, 0j, 1, complex(np.inf, 0)], dtype=dt)
    den = nt.zeros(4, dtype=dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = (num / den).numpy()
        got = (num.cuda() / den.cuda()).cpu().numpy()
        np.testing.assert_array_equal(got, want)  # same infs and nans in the same parts
        np.testing.assert_array_equal(nt.reciprocal(den.cuda()).cpu().numpy(), nt.reciprocal(den).numpy())
    assert np.isinf(got[0].real) and np.isnan(got[1].real)


PROMOTIONS = [
    lambda c, r, i: c * r,  # complex64 * float64 -> complex128 (torch's category rule: complex128)
    lambda c, r, i: r + c,
    lambda c, r, i: c - i,  # complex with an int tensor
    lambda c, r, i: r * 1j,  # a real tensor times a Python complex
    lambda c, r, i: i + (2 - 3j),  # int tensor + Python complex: the default complex dtype
    lambda c, r, i: c / 2,
    lambda c, r, i: 3 - c,
    lambda c, r, i: c ** 2,
    lambda c, r, i: 2.0 ** c,
    lambda c, r, i: c == r,
    lambda c, r, i: r.to(nt.float32) * (1 + 1j),  # float32 tensor * Python complex -> complex64
    lambda c, r, i: c * nt.tensor(2.5 + 1j),  # a 0-d CPU tensor joins as a scalar
    lambda c, r, i: c.clone().mul_(2.0).add_(1j),
    lambda c, r, i: nt.where(r > 0, c, 0.5j),
]


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("case", range(len(PROMOTIONS)))
def test_type_promotion_matches_cpu(case, dt):
    c, r, i = nt.tensor(crand((2, 3), dt)), nt.tensor(_RNG.standard_normal((2, 3))), nt.arange(6).reshape(2, 3)
    f = PROMOTIONS[case]
    same(f(c, r, i), f(c.cuda(), r.cuda(), i.cuda()), dt)


def test_inplace_complex_into_real_is_refused_as_on_cpu():
    r = nt.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="ComplexFloat can't be cast to the desired output type Float"):
        r.add_(1j)


# --- reductions and products ---

@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("shape, dim", [((3, 4), None), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), (0, 2)), ((0, 3), 0),
                                        ((), None), ((2, 150), 1), ((150,), None)])
def test_sum_mean_prod_match_cpu(shape, dim, dt):
    x = nt.tensor(crand(shape, dt, 0.9))
    kw = {} if dim is None else {"dim": dim}
    for name in ("sum", "mean", "prod"):
        if name == "prod" and isinstance(dim, tuple):
            continue
        f = getattr(nt, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # mean of nothing
            want = f(x.transpose(0, -1) if x.ndim else x, **kw)
            got = f(x.cuda().transpose(0, -1) if x.ndim else x.cuda(), **kw)
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), equal_nan=True, rtol=2e-4 if dt is nt.complex64
                                   else 1e-12)
        assert got.dtype is want.dtype and tuple(got.shape) == tuple(want.shape)
    assert nt.sum(x.cuda(), dtype=nt.complex128).dtype is nt.complex128


@pytest.mark.parametrize("dt", CDTYPES)
def test_products_match_cpu(dt):
    a, b, v = nt.tensor(crand((3, 4), dt)), nt.tensor(crand((4, 5), dt)), nt.tensor(crand((4,), dt))
    p, q = nt.tensor(crand((2, 3, 4), dt)), nt.tensor(crand((2, 4, 2), dt))
    w, bias = nt.tensor(crand((5, 4), dt)), nt.tensor(crand((5,), dt))
    cases = [lambda a, b, *_: a @ b, lambda a, b, *_: b.t() @ a.t(), lambda a, b, v, *_: a @ v,
             lambda *t: nt.bmm(t[3], t[4]), lambda *t: t[3] @ t[4], lambda *t: F.linear(t[0], t[5], t[6]),
             lambda *t: t[2] @ t[2], lambda *t: nt.mm(t[0][:, :0], t[1][:0]), lambda *t: t[0].mH @ t[0]]
    args = (a, b, v, p, q, w, bias)
    for f in cases:
        same(f(*args), f(*(t.cuda() for t in args)), dt)


# --- autograd ---

LOSSES = {
    "arith": lambda a, b, w: ((a * b + a / (b + 2) - a.conj() * 1j).abs() ** 2).sum(),
    "transcendental": lambda a, b, w: (a.exp() + b.sin() + (a * 0.3).tanh() + (b + 3).log() + (a + 4).sqrt()
                                       + b.sigmoid() + a.cos() + (b + 2).reciprocal()).abs().mean(),
    "products": lambda a, b, w: nt.view_as_real((a @ w).pow(2) + F.linear(a, w.t())).sum() + (a @ w).angle().sum(),
    "parts": lambda a, b, w: (a.real * b.imag).sum() + nt.real(a.t() * w).sum() + (b.sgn() * a).imag.sum(),
    "reductions": lambda a, b, w: (a.sum(0) * b.mean(1, keepdim=True)).abs().sum() + (w ** 2.5).prod().abs(),
}


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_backward_matches_cpu(name, dt):
    data = crand((3, 4), dt), crand((3, 4), dt), crand((4, 3), dt)

    def run(device):
        ts = [nt.tensor(d, device=device, requires_grad=True) for d in data]
        loss = LOSSES[name](*ts)
        loss.backward()
        return loss, [t.grad for t in ts]

    if name == "reductions":  # prod of complex has no backward in ntorch (CPU and CUDA alike)
        with pytest.raises(NotImplementedError, match="prod: the derivative for complex"):
            run("cuda")
        return
    loss_cpu, grads_cpu = run("cpu")
    loss_gpu, grads_gpu = run("cuda")
    np.testing.assert_allclose(loss_gpu.item(), loss_cpu.item(), rtol=1e-4 if dt is nt.complex64 else 1e-10)
    for gc, gg in zip(grads_cpu, grads_gpu):
        if gc is None:
            assert gg is None
            continue
        assert gg.is_cuda and gg.dtype is dt
        np.testing.assert_allclose(gg.cpu().numpy(), gc.numpy(), rtol=1e-4 if dt is nt.complex64 else 1e-10,
                                   atol=1e-5 if dt is nt.complex64 else 1e-12)


def test_backward_is_the_conjugate_wirtinger_gradient():
    """|z|^2 summed has gradient 2z in torch's convention (an independent check of the CUDA path)."""
    z = crand((5,), nt.complex128)
    x = nt.tensor(z, device="cuda", requires_grad=True)
    (x * x.conj()).real.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * z, rtol=1e-12)


# --- what is not covered errors cleanly ---

@pytest.mark.parametrize("call, exc, match", [
    (lambda x: nt.sort(x), RuntimeError, "Sort does not support complex dtypes on CUDA"),
    (lambda x: x.amax(), NotImplementedError, "\"max_values_cuda\" not implemented for 'ComplexFloat'"),
    (lambda x: x.argmax(1), RuntimeError, r"argmax\(\): does not support complex input"),
    (lambda x: nt.softmax(x, 0), NotImplementedError, "not implemented for 'ComplexFloat'"),
])
def test_uncovered_ops_raise_as_torch(call, exc, match):
    x = nt.tensor([[1 + 2j, 3j], [2, 1 - 1j]], dtype=nt.complex64).cuda()
    with pytest.raises(exc, match=match):
        call(x)
