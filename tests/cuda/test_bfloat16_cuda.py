"""bfloat16 on CUDA against the CPU's bfloat16 (itself tested against torch in tests/test_bfloat16.py).

CUDA bfloat16 tensors store 16-bit words and run the float32 kernels through dispatch's adapter (compute in
float32, round once per op), as the CPU does: elementwise results are equal bit for bit; reductions and products
(another accumulation order) agree within bfloat16 rounding. An autouse guard fails any test in which a kernel is
launched with an ml_dtypes bfloat16 array: the simulator would run it, a GPU could not type it.
"""

from __future__ import annotations

import numpy as np
import pytest
from cuda_util import SIMULATOR

import ntorch as nt
from ntorch import dispatch
from ntorch.ops.elementwise import OPS, apply

BF = nt.bfloat16
_BF_NP = np.dtype(BF.np)


@pytest.fixture(autouse=True)
def _no_kernel_sees_bfloat16(monkeypatch):
    """Kernels only ever get float32 or 16-bit integer views of bfloat16 memory."""
    if not SIMULATOR:
        yield
        return
    from numba.cuda.simulator.kernel import FakeCUDAKernel

    call = FakeCUDAKernel.__call__

    def guarded(self, *args):
        if not self._device:
            for a in args:
                for x in a if isinstance(a, (list, tuple)) else (a,):
                    if getattr(x, "dtype", None) == _BF_NP:
                        raise AssertionError(f"kernel {self.fn.__name__} launched with a bfloat16 array")
        return call(self, *args)

    monkeypatch.setattr(FakeCUDAKernel, "__call__", guarded)
    yield


def _f32(t) -> np.ndarray:
    """Values as float32 NumPy (bfloat16 widens exactly)."""
    t = t.cpu() if t.device.type == "cuda" else t
    return (t.float() if t.dtype is BF else t).numpy()


def same(cuda_t, cpu_t) -> None:
    """Bit-for-bit equal values (NaNs where NaNs), same dtype and shape, cuda_t on the GPU."""
    assert cuda_t.device.type == "cuda", cuda_t.device
    assert cuda_t.dtype is cpu_t.dtype and tuple(cuda_t.shape) == tuple(cpu_t.shape), (cuda_t, cpu_t)
    np.testing.assert_array_equal(_f32(cuda_t), _f32(cpu_t))


def close(cuda_t, cpu_t, ulps: float = 2) -> None:
    """Within a few bfloat16 roundings (8 significant bits) of the CPU's result."""
    assert cuda_t.device.type == "cuda"
    assert cuda_t.dtype is cpu_t.dtype and tuple(cuda_t.shape) == tuple(cpu_t.shape)
    want = _f32(cpu_t).astype(np.float64)
    np.testing.assert_allclose(_f32(cuda_t).astype(np.float64), want, rtol=ulps * 2.0 ** -8,
                               atol=ulps * 2.0 ** -8 * max(1.0, float(np.abs(want).max(initial=0))))


def bf(values) -> nt.Tensor:
    return nt.tensor(values, dtype=BF)


# --- storage, creation, transfers ---

def test_transfers_keep_the_bits_nan_and_signed_zero_included():
    bits = np.array([0x0000, 0x8000, 0x3FC0, 0xC010, 0x7F80, 0xFF80, 0x7FC0, 0xFFC1, 0x7F81, 0x0001, 0x7F7F],
                    np.uint16)
    x = nt.from_numpy(bits.view(np.int16)).view(BF)
    c = x.cuda()
    assert c.dtype is BF and c.device.type == "cuda" and c.is_cuda
    np.testing.assert_array_equal(c.cpu().view(nt.int16).numpy().view(np.uint16), bits)
    np.testing.assert_array_equal(c.clone().cpu().view(nt.int16).numpy().view(np.uint16), bits)  # a kernel copy
    np.testing.assert_array_equal(c[::2].contiguous().cpu().view(nt.int16).numpy().view(np.uint16), bits[::2])


def test_creation():
    for make in (lambda d: nt.zeros(2, 3, dtype=BF, device=d), lambda d: nt.ones(4, dtype=BF, device=d),
                 lambda d: nt.full((2, 2), 1.1, dtype=BF, device=d), lambda d: nt.arange(0, 3, 0.3, dtype=BF, device=d),
                 lambda d: nt.tensor([[1.01, 2.02], [3.3, -7e38]], dtype=BF, device=d),
                 lambda d: nt.tensor(2.5, dtype=BF, device=d), lambda d: nt.zeros(0, 3, dtype=BF, device=d),
                 lambda d: nt.linspace(-1, 1, 7, dtype=BF, device=d), lambda d: nt.eye(3, dtype=BF, device=d)):
        same(make("cuda"), make("cpu"))
    assert nt.empty(3, dtype=BF, device="cuda").dtype is BF
    for t in (nt.rand(50, dtype=BF, device="cuda"), nt.randn(50, dtype=BF, device="cuda")):
        assert t.dtype is BF and t.device.type == "cuda" and bool(nt.isfinite(t).all())
    u = _f32(nt.rand(200, dtype=BF, device="cuda"))  # 8 random bits, as the CPU's: never rounds up to 1
    assert u.max() < 1 and u.min() >= 0 and np.all(u * 256 == np.floor(u * 256))
    r = nt.randint(0, 5, (30,), dtype=BF, device="cuda")
    assert r.dtype is BF and set(r.tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0}


def test_fill_rounds_the_number_as_the_cpu():
    v = 1 + 2.0 ** -8 + 2.0 ** -30  # just above a tie: rounding through float32 first would give 1.0
    for make in (lambda d: nt.full((3,), v, dtype=BF, device=d), lambda d: nt.zeros(2, 2, dtype=BF, device=d).fill_(v),
                 lambda d: nt.zeros(3, dtype=BF, device=d)[::2].fill_(-v)):
        same(make("cuda"), make("cpu"))


def test_scalars_printing_tolist_item():
    x = bf([1.5, -2.25, 3.1, float("nan")])
    c = x.cuda()
    assert c.tolist()[:3] == x.tolist()[:3] and np.isnan(c.tolist()[3])
    assert c[2].item() == x[2].item() == 3.09375
    assert repr(c) == ("tensor([ 1.5000, -2.2500,  3.0938,     nan], device='cuda:0',\n"
                       "       dtype=ntorch.bfloat16)")  # torch's layout for this tensor
    assert str(c[:2].cpu()) == str(x[:2])
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        c.numpy()


_CAST_DTYPES = [nt.bool, nt.uint8, nt.int8, nt.int16, nt.int32, nt.int64, nt.float16, nt.float32, nt.float64,
                nt.complex64, nt.complex128]


@pytest.mark.filterwarnings("ignore:Casting complex values to real")
@pytest.mark.parametrize("other", _CAST_DTYPES, ids=lambda d: d.name)
def test_casts_both_ways(other):
    x = bf([0.0, -0.0, 1.5, -2.75, 255.0, -129.5, 3.1e4, 1e-3])  # (out-of-range casts to integers: undefined)
    if other in (nt.uint8, nt.int8):
        x = bf([0.0, 1.5, 2.75, 127.0, 7.9] if other is nt.uint8 else [0.0, -1.5, 2.75, -128.0, 127.0])
    same(x.cuda().to(other), x.to(other))
    y = x.to(other)
    same(y.cuda().to(BF), y.to(BF))
    # non-contiguous sources
    same(x.cuda()[1::2].to(other), x[1::2].to(other))
    z = x.to(other).reshape(-1, 1).expand(-1, 2)
    same(z.cuda().to(BF), z.to(BF))


def test_float32_to_bfloat16_rounds_to_nearest_even():
    vals = np.array([1.0, 1.00390625, 1.01171875, 1.0 + 2.0 ** -9 + 2.0 ** -20, -1.00390625, 3.4e38, 3.4e38 * 1.0001,
                     float("inf"), float("nan"), 1e-40, -0.0], np.float32)
    x = nt.from_numpy(vals)
    same(x.cuda().bfloat16(), x.bfloat16())
    same(x.cuda().to(BF), x.to(BF))
    # and NumPy's (ml_dtypes) rounding as the independent oracle
    got = x.cuda().to(BF).cpu().float().numpy()
    np.testing.assert_array_equal(got, vals.astype(BF.np).astype(np.float32))


def test_copy_into_existing_and_setitem():
    x = nt.zeros(3, 4, dtype=BF, device="cuda")
    x[1] = bf([1.1, 2.2, 3.3, 4.4]).cuda()
    x[:, 2] = 7.7
    x[0, ::3].copy_(nt.tensor([0.1, 0.2], device="cuda"))
    c = nt.zeros(3, 4, dtype=BF)
    c[1] = bf([1.1, 2.2, 3.3, 4.4])
    c[:, 2] = 7.7
    c[0, ::3].copy_(nt.tensor([0.1, 0.2]))
    same(x, c)


# --- elementwise: every op whose CPU dtypes include bfloat16 ---

_POSITIVE = {"log", "log2", "log10", "log1p", "sqrt", "rsqrt", "asin", "acos", "acosh", "atanh", "logit", "lgamma",
             "digamma", "trigamma", "gammainc", "gammaincc", "erfinv", "pow", "xlogy", "bessel_y0", "bessel_y1",
             "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1"}
_PARAMS = {"softplus": (1.0, 20.0), "round_decimals": (1,), "nan_to_num": (0.0, 100.0, -100.0),
           "isclose": (1e-2, 1e-3, False), "add_alpha": (1.5,), "sub_alpha": (1.5,), "addcmul": (1.5,),
           "addcdiv": (0.5,), "logit": (0.05,)}
_OPS = [op for op in OPS if BF in op.dtypes]


def _inputs(op, shape, rng):
    out = []
    for k in range(op.arity):
        if op.name == "where" and k == 0:
            out.append(nt.from_numpy(rng.random(shape) > 0.5))
            continue
        lo, hi = (0.05, 0.95) if op.name in _POSITIVE else (-2.5, 2.5)
        if op.name == "acosh":
            lo, hi = 1.0, 3.0
        v = rng.uniform(lo, hi, shape)
        if k == 1 and op.name in ("div", "div_floor", "div_trunc", "remainder", "fmod", "addcdiv"):
            v = np.where(np.abs(v) < 0.25, 0.5, v)
        if k == 1 and "polynomial" in op.name:
            v = rng.integers(0, 5, shape).astype(np.float64)
        out.append(nt.from_numpy(v.astype(np.float32)).to(BF))
    return out


@pytest.mark.parametrize("op", _OPS, ids=[op.name for op in _OPS])
def test_elementwise_matches_the_cpu_bit_for_bit(op):
    rng = np.random.default_rng(sum(map(ord, op.name)))
    xs = _inputs(op, (2, 3), rng)
    params = _PARAMS.get(op.name, ())
    want = apply(op.name, *xs, params=params)
    same(apply(op.name, *[x.cuda() for x in xs], params=params), want)
    if op.arity >= 2 and op.name != "where":  # a transposed operand and a Python scalar
        t = [x.T.contiguous().T if k == 0 else x for k, x in enumerate(xs)]
        same(apply(op.name, *[x.cuda() for x in t], params=params), apply(op.name, *t, params=params))
        s = [0.75 if k == op.arity - 1 else x for k, x in enumerate(xs)]
        same(apply(op.name, *[x.cuda() if isinstance(x, nt.Tensor) else x for x in s], params=params),
             apply(op.name, *s, params=params))


def test_special_values_and_layouts():
    x = bf([[float("nan"), float("inf"), -float("inf"), 0.0, -0.0], [1.5, -2.5, 3.0, 1e38, -1e-38]])
    y = bf([[1.0, float("nan"), 2.0, -0.0, float("inf")], [float("nan"), -3.0, 3.0, 1e38, 2.0]])
    for f in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: nt.maximum(a, b), lambda a, b: nt.fmin(a, b),
              lambda a, b: a == b, lambda a, b: a < 1.1, lambda a, b: a / b, lambda a, b: nt.exp(a),
              lambda a, b: nt.sigmoid(b), lambda a, b: nt.where(a > b, a, b), lambda a, b: a.T + b.T,
              lambda a, b: a[:, ::2] * b[:, ::2], lambda a, b: a[:, 1::2] - b[:, ::2][:, :2],
              lambda a, b: a[:1].expand(3, 5) - b[1], lambda a, b: -a[0, 1],
              lambda a, b: a.clamp(-1, 1), lambda a, b: a + 0.1, lambda a, b: a + nt.tensor(0.1),
              lambda a, b: a * nt.tensor(3.0, dtype=BF), lambda a, b: a[:0] + b[:0]):
        same(f(x.cuda(), y.cuda()), f(x, y))


def test_comparison_with_a_number_casts_it_first_as_the_cpu():
    x = bf([0.1, 0.2, 1.1])
    for f in (lambda a: a == 0.1, lambda a: a < 0.2, lambda a: a >= 1.1, lambda a: a != 0.1):
        same(f(x.cuda()), f(x))


def test_promotion():
    x = bf([1.1, 2.2])
    for other in (nt.tensor([0.3, 0.4], dtype=nt.float16), nt.tensor([0.3, 0.4]), nt.tensor([1, 2]),
                  nt.tensor([0.3, 0.4], dtype=nt.float64), nt.tensor([True, False])):
        same(x.cuda() + other.cuda(), x + other)
        same(other.cuda() * x.cuda(), other * x)
    assert (x.cuda() + nt.tensor([1.0], dtype=nt.float16).cuda()).dtype is nt.float32


def test_inplace_and_aliasing_views():
    x = bf([[1.1, 2.2, 3.3], [4.4, 5.5, 6.6]])
    for f in (lambda a: a.add_(1.3), lambda a: a[0].mul_(a[1]), lambda a: a[:, 1:].sub_(a[:, :2]),
              lambda a: a.T.div_(3.0), lambda a: a[1].copy_(a[0])):
        c, h = x.cuda().clone(), x.clone()
        f(c)
        f(h)
        same(c, h)


def test_nextafter_steps_in_bfloat16():
    x, y = bf([1.0, 1.0, 0.0, -2.0]), bf([2.0, 0.0, 1.0, -3.0])
    same(nt.nextafter(x.cuda(), y.cuda()), nt.nextafter(x, y))


# --- reductions, products, softmax, indexing ---

@pytest.fixture
def m():
    rng = np.random.default_rng(5)
    return nt.from_numpy(rng.standard_normal((3, 5)).astype(np.float32)).to(BF)


def test_reductions(m):
    c = m.cuda()
    for f in (lambda a: a.sum(), lambda a: a.sum(1), lambda a: a.mean(0), lambda a: a.prod(1),
              lambda a: a.var(1), lambda a: a.std(0), lambda a: a.T.sum(0), lambda a: a[:, ::2].mean(),
              lambda a: a.norm(), lambda a: a.logsumexp(1), lambda a: a.sum(0, keepdim=True)):
        close(f(c), f(m))
    for f in (lambda a: a.max(), lambda a: a.min(1).values, lambda a: a.amax(0), lambda a: a.argmax(1),
              lambda a: a.argmin(), lambda a: a.max(0).indices, lambda a: (a > 0).any(1), lambda a: a.sum(1)[:0],
              lambda a: a[:0].sum(0), lambda a: a.cumsum(1)[:, :1]):
        same(f(c), f(m))
    assert m.cuda().sum(dtype=nt.float32).dtype is nt.float32


def test_matmul_bmm_linear(m):
    w = m[:, :4].contiguous()
    same_shape = [(lambda a, b: a @ b.T), (lambda a, b: a.T @ b), (lambda a, b: nt.mm(a[:2], b[:2].T)),
                  (lambda a, b: nt.bmm(a.reshape(3, 5, 1), b.reshape(3, 1, 5))),
                  (lambda a, b: nt.nn.functional.linear(a, b[:2], b[2, :2])),
                  (lambda a, b: a[0] @ b[1]), (lambda a, b: a @ b[0])]
    for f in same_shape:
        close(f(m.cuda(), m.cuda()), f(m, m))
    close(w.cuda().T @ m.cuda()[:, :4], w.T @ m[:, :4])


def test_softmax_layer_norm_cross_entropy(m):
    F = nt.nn.functional
    c = m.cuda()
    close(F.softmax(c, 1), F.softmax(m, 1))
    close(F.log_softmax(c, 0), F.log_softmax(m, 0))
    close(F.layer_norm(c, (5,)), F.layer_norm(m, (5,)), ulps=4)
    target = nt.tensor([0, 4, 2])
    close(F.cross_entropy(c, target.cuda()), F.cross_entropy(m, target))
    close(F.mse_loss(c, c * 0.5), F.mse_loss(m, m * 0.5))


def test_indexing_masks_joins(m):
    c = m.cuda()
    idx = nt.tensor([2, 0, 2])
    for f in (lambda a, i: a[i], lambda a, i: a[:, i], lambda a, i: a[a > 0], lambda a, i: a.masked_fill(a < 0, 9.5),
              lambda a, i: nt.cat([a, a[:1]]), lambda a, i: nt.stack([a, a], 1), lambda a, i: a.flip(1),
              lambda a, i: a.roll(2, 1), lambda a, i: a.gather(1, i.reshape(3, 1)),
              lambda a, i: nt.where(a > 0, a, 0.5), lambda a, i: a.index_select(0, i), lambda a, i: a.t().reshape(-1),
              lambda a, i: a.unsqueeze(0).expand(2, 3, 5),
              lambda a, i: a.nonzero(), lambda a, i: a.sort(1).values, lambda a, i: a.topk(2, 1).values,
              lambda a, i: a.tril(), lambda a, i: nt.cat([a[:0], a[:1]])):
        same(f(c, idx.cuda()), f(m, idx))
    x, y = c.clone(), m.clone()
    x[idx.cuda()] = 0.3
    y[idx] = 0.3
    same(x, y)
    x.index_add_(0, idx.cuda(), c)  # accumulates: same rounding order (index order)
    y.index_add_(0, idx, m)
    close(x, y)


_NN = {
    "conv2d": lambda x, w: F.conv2d(x, w, padding=1), "max_pool2d": lambda x, w: F.max_pool2d(x, 2),
    "avg_pool2d": lambda x, w: F.avg_pool2d(x, 2),
    "batch_norm": lambda x, w: F.batch_norm(x, None, None, training=True),
    "group_norm": lambda x, w: F.group_norm(x, 3), "embedding": lambda x, w: F.embedding(
        nt.tensor([1, 0, 2]).to(x.device), w.reshape(4, -1)),
    "sdpa": lambda x, w: F.scaled_dot_product_attention(x[:1, :2, :4], x[:1, :2, 1:], x[1:, 1:, 1:]),
    "cumsum": lambda x, w: x.cumsum(3), "interpolate": lambda x, w: F.interpolate(x, scale_factor=2, mode="bilinear"),
    "pad": lambda x, w: F.pad(x, (1, 1, 2, 0), mode="reflect"), "median": lambda x, w: x.median(3).values,
    "unique": lambda x, w: x.round().unique(), "einsum": lambda x, w: nt.einsum("bchw,ochw->bo", x[:, :, :3, :3], w),
    "addmm": lambda x, w: nt.addmm(w[:, 0, 0, :1], w.reshape(4, -1)[:, :5], x.reshape(10, -1)[:5, :3]),
    "bce_logits": lambda x, w: F.binary_cross_entropy_with_logits(x, (x > 0).to(BF)),
}
F = nt.nn.functional


@pytest.mark.parametrize("name", list(_NN))
def test_nn_ops(name):
    rng = np.random.default_rng(0)
    x = nt.from_numpy(rng.standard_normal((2, 3, 5, 5)).astype(np.float32)).to(BF)
    w = nt.from_numpy(rng.standard_normal((4, 3, 3, 3)).astype(np.float32)).to(BF)
    close(_NN[name](x.cuda(), w.cuda()), _NN[name](x, w))


# --- autograd, amp, the runtime's answers ---

def test_mlp_forward_backward():
    rng = np.random.default_rng(7)
    layers = [nt.from_numpy(rng.standard_normal(s).astype(np.float32) * 0.5).to(BF) for s in [(4, 3), (4,), (2, 4)]]
    x = nt.from_numpy(rng.standard_normal((5, 3)).astype(np.float32)).to(BF)
    target = nt.tensor([0, 1, 1, 0, 1])

    def run(device):
        ps = [p.to(device).requires_grad_() for p in layers]
        h = nt.relu(nt.nn.functional.linear(x.to(device), ps[0], ps[1]))
        loss = nt.nn.functional.cross_entropy(h @ ps[2].T, target.to(device))
        loss.backward()
        return loss, [p.grad for p in ps]

    loss_c, grads_c = run("cuda")
    loss_h, grads_h = run("cpu")
    close(loss_c, loss_h)
    for gc, gh in zip(grads_c, grads_h):
        assert gc.dtype is BF and gc.device.type == "cuda"
        close(gc, gh, ulps=4)


@pytest.mark.parametrize("make", [lambda ps: nt.optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: nt.optim.Adam(ps, lr=0.01), lambda ps: nt.optim.AdamW(ps, lr=0.01)],
                         ids=["sgd", "adam", "adamw"])
def test_optimizer_steps(make):
    rng = np.random.default_rng(3)
    w0 = nt.from_numpy(rng.standard_normal((3, 4)).astype(np.float32)).to(BF)
    g = nt.from_numpy(rng.standard_normal((3, 4)).astype(np.float32)).to(BF)

    def run(device):
        w = w0.to(device).requires_grad_()
        opt = make([w])
        for _ in range(2):
            w.grad = g.to(device)
            opt.step()
        return w.detach()

    close(run("cuda"), run("cpu"))


def test_is_bf16_supported_and_autocast():
    assert nt.cuda.is_bf16_supported() is True
    a = nt.ones(2, 2, device="cuda")
    with nt.autocast("cuda", dtype=BF):
        r = a @ a
        assert r.dtype is BF and r.device.type == "cuda"
        same(r, nt.full((2, 2), 2.0, dtype=BF))
    with nt.autocast("cuda"):
        assert (a @ a).dtype is nt.float16


def test_dispatch_gives_every_float32_cuda_op_a_bfloat16_entry():
    for op in ("add", "mm", "sum", "softmax", "cat", "index_select" if ("index_select", "cuda", nt.float32) in
               dispatch._REGISTRY else "flip"):
        assert BF in dispatch.supported_dtypes(op, "cuda")
        assert "float32_adapter" in repr(dispatch.lookup(op, "cuda", BF))


def test_dlpack_and_cuda_array_interface():
    c = bf([1.5, 2.5]).cuda()
    if SIMULATOR:
        with pytest.raises(AttributeError, match="simulator"):
            c.__cuda_array_interface__  # noqa: B018
        return
    assert c.__cuda_array_interface__["typestr"] == "<V2"  # torch's (and ml_dtypes') typestr for bfloat16
    same(nt.from_dlpack(c), c.cpu())
    same(nt.as_tensor(_CAI(c.__cuda_array_interface__), device="cuda"), c.cpu())


class _CAI:
    def __init__(self, desc):
        self.__cuda_array_interface__ = desc


def test_conversion_kernels_against_ml_dtypes():
    from cuda_util import dev, empty, host
    from ntorch.kernels.cuda import bf16

    rng = np.random.default_rng(11)
    words = rng.integers(0, 1 << 32, 600, dtype=np.uint64).astype(np.uint32)
    words[:6] = [0x3F808000, 0x3F818000, 0x7F7FFFFF, 0x80000001, 0x7F800001, 0xFFC00000]  # ties, overflow, NaNs
    f = words.view(np.float32)
    out = empty((f.size,), np.int16)
    bf16.narrow(out, dev(f))
    got = host(out).view(np.uint16)
    want = f.astype(BF.np).view(np.uint16)
    finite = ~np.isnan(f)
    np.testing.assert_array_equal(got[finite], want[finite])
    nan = got[~finite]  # NaN stays NaN with its sign
    assert np.all((nan & 0x7F80) == 0x7F80) and np.all(nan & 0x7F) and np.array_equal(nan >> 15, words[~finite] >> 31)
    back = empty((f.size,), np.float32)
    bf16.widen(back, dev(got.view(np.int16)))
    np.testing.assert_array_equal(host(back).view(np.uint32), got.astype(np.uint32) << 16)
