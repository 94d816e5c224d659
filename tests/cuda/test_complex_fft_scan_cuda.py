"""ntorch.fft and complex cumsum/cumprod on CUDA tensors against the CPU's results (the CPU paths are tested against
NumPy and finite differences): values, dtypes, n/s/dim/norm arguments, odd sizes, size 1, non-contiguous inputs,
out=, and gradients against the CPU's. Tiny shapes: the simulator runs every GPU thread in Python."""

import numpy as np
import pytest

import ntorch as nt
import ntorch.fft as FFT

_RNG = np.random.default_rng(11)
DTYPES = [nt.complex64, nt.complex128, nt.float32, nt.float64]


def _tol(dt):
    single = dt in (nt.complex64, nt.float32)
    return {"rtol": 1e-4, "atol": 2e-5} if single else {"rtol": 1e-10, "atol": 1e-12}


def rand(shape, dt) -> np.ndarray:
    a = _RNG.standard_normal(shape)
    if dt.is_complex:
        a = a + 1j * _RNG.standard_normal(shape)
    return a.astype(dt.np)


def same(cpu: nt.Tensor, gpu: nt.Tensor, dt) -> None:
    assert gpu.device.type == "cuda"
    assert gpu.dtype is cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), **_tol(dt))


# (function, kwargs, takes complex input, takes real input)
CASES = [
    (FFT.fft, {}, True, True), (FFT.fft, {"n": 7, "norm": "ortho"}, True, True),
    (FFT.fft, {"n": 3, "dim": 0, "norm": "forward"}, True, True), (FFT.ifft, {"n": 6}, True, True),
    (FFT.fft2, {}, True, True), (FFT.ifft2, {"s": (3, 5), "norm": "ortho"}, True, True),
    (FFT.fftn, {"dim": (0, 2)}, True, True), (FFT.ifftn, {"s": (2, 4)}, True, True),
    (FFT.rfft, {}, False, True), (FFT.rfft, {"n": 6, "dim": 1, "norm": "forward"}, False, True),
    (FFT.rfft2, {}, False, True), (FFT.rfftn, {"s": (4, 3), "norm": "ortho"}, False, True),
    (FFT.ihfft, {}, False, True), (FFT.ihfft2, {"s": (2, 5)}, False, True),
    (FFT.irfft, {}, True, True), (FFT.irfft, {"n": 7, "dim": 0, "norm": "ortho"}, True, True),
    (FFT.irfft2, {}, True, True), (FFT.irfftn, {"s": (3, 4)}, True, True),
    (FFT.hfft, {}, True, True), (FFT.hfft, {"n": 5, "norm": "forward"}, True, True),
    (FFT.hfft2, {"s": (2, 6)}, True, True),
]


def _ids(case):
    f, kw, _, _ = case
    return f.__name__ + "".join(f"-{k}{v}" for k, v in kw.items()).replace(" ", "")


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_transform_matches_cpu(case, dt):
    fn, kw, takes_complex, takes_real = case
    if not (takes_complex if dt.is_complex else takes_real):
        x = nt.tensor(rand((2, 3), dt)).cuda()
        with pytest.raises(RuntimeError, match="expects a real input tensor, but got ComplexFloat|ComplexDouble"):
            fn(x, **kw)
        return
    a = rand((2, 5, 3), dt)  # odd sizes, a last dim of 3 (radix 3), a middle one of 5
    cpu = fn(nt.tensor(a), **kw)
    same(cpu, fn(nt.tensor(a).cuda(), **kw), dt)


@pytest.mark.parametrize("dt", DTYPES)
def test_non_contiguous_size_one_and_bluestein(dt):
    a = rand((4, 6, 3), dt)
    x, xg = nt.tensor(a), nt.tensor(a).cuda()
    for call in (lambda t: FFT.fft(t.transpose(0, 2), dim=1),  # a permuted input
                 lambda t: FFT.fft(t[::2, 1::2], dim=0),  # strided, transform over an outer dim
                 lambda t: FFT.fftn(t[:, :1, :1], dim=(1, 2)),  # size-1 dims
                 lambda t: FFT.fft(t[:1, 0, 0]), lambda t: FFT.ifft(t[0, 0, :1], n=1),  # length 1
                 lambda t: FFT.fft(t.reshape(-1)[:67], norm="ortho"),  # 67: prime beyond the radices, Bluestein
                 lambda t: FFT.ifft(t.reshape(-1), n=37, norm="forward")):
        same(call(x), call(xg), dt)
    for call in (lambda t: FFT.irfft(t[:, :1, :1].to(dt.to_complex() if not dt.is_complex else dt), n=1, dim=1),
                 lambda t: FFT.irfft(t.transpose(1, 2), dim=1),
                 lambda t: FFT.hfft(t[::3, ::2].to(dt.to_complex() if not dt.is_complex else dt), dim=0)):
        res = call(x)
        assert not res.dtype.is_complex
        same(res, call(xg), dt)
    if not dt.is_complex:
        for call in (lambda t: FFT.rfft(t[:, :1, 0]), lambda t: FFT.rfft(t.transpose(0, 1), dim=1),
                     lambda t: FFT.rfft(t.reshape(-1)[:67])):
            same(call(x), call(xg), dt)


def test_integer_input_promotes_and_empty_batch():
    a = np.arange(10).reshape(2, 5)
    same(FFT.fft(nt.tensor(a)), FFT.fft(nt.tensor(a).cuda()), nt.complex64)
    same(FFT.rfft(nt.tensor(a)), FFT.rfft(nt.tensor(a).cuda()), nt.complex64)
    e = FFT.fft(nt.zeros(0, 4, dtype=nt.complex64, device="cuda"))
    assert e.is_cuda and tuple(e.shape) == (0, 4) and e.dtype is nt.complex64
    e = FFT.irfft(nt.zeros(0, 4, dtype=nt.complex128, device="cuda"))
    assert e.is_cuda and tuple(e.shape) == (0, 6) and e.dtype is nt.float64


def test_out_and_errors():
    a = rand((3, 4), nt.complex64)
    out = nt.empty(0, dtype=nt.complex64, device="cuda")
    res = FFT.fft(nt.tensor(a).cuda(), out=out)
    assert res is out
    same(FFT.fft(nt.tensor(a)), out, nt.complex64)
    with pytest.raises(RuntimeError, match="fft: Expected out tensor to have device cuda:0, but got cpu"):
        FFT.fft(nt.tensor(a).cuda(), out=nt.empty(0, dtype=nt.complex64))
    rout = nt.empty(0, dtype=nt.float32, device="cuda")
    FFT.irfft(nt.tensor(a).cuda(), out=rout)
    same(FFT.irfft(nt.tensor(a)), rout, nt.float32)
    with pytest.raises(NotImplementedError, match="ntorch.fft.fft: Half CUDA input is not supported"):
        FFT.fft(nt.ones(4, dtype=nt.float16, device="cuda"))
    with pytest.raises(RuntimeError, match='Invalid normalization mode: "bogus"'):
        FFT.fft(nt.tensor(a).cuda(), norm="bogus")
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        FFT.fft(nt.tensor(a).cuda(), n=0)


GRAD_CASES = [
    ("fft", lambda t: FFT.fft(t, n=5, norm="ortho")), ("ifft", lambda t: FFT.ifft(t, dim=0)),
    ("fft2", lambda t: FFT.fft2(t, s=(2, 3))), ("rfft", lambda t: FFT.rfft(t, n=5)),
    ("ihfft", lambda t: FFT.ihfft(t, norm="forward")), ("irfft", lambda t: FFT.irfft(t, n=5)),
    ("hfft", lambda t: FFT.hfft(t, dim=0)), ("irfftn", lambda t: FFT.irfftn(t, norm="ortho")),
]


@pytest.mark.parametrize("dt", [nt.complex128, nt.float64, nt.complex64])
@pytest.mark.parametrize("name, fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_match_cpu(name, fn, dt):
    if name in ("rfft", "ihfft") and dt.is_complex:
        return  # real-input transforms (their complex refusal is tested above)
    a = rand((3, 4), dt)
    w = rand((6, 6), nt.complex128)

    def run(device):
        x = nt.tensor(a, device=device, requires_grad=True)
        y = fn(x)
        weight = nt.tensor(w[:y.shape[0], :y.shape[1]], device=device)
        weight = (weight if y.dtype.is_complex else weight.real).to(y.dtype)
        (y * weight).abs().sum().backward()
        return x.grad

    gc, gg = run("cpu"), run("cuda")
    same(gc, gg, dt)


def test_double_backward_matches_cpu():
    a = rand((2, 5), nt.complex128)

    def run(device):
        x = nt.tensor(a, device=device, requires_grad=True)
        y = FFT.irfft(FFT.fft(x, norm="ortho"), n=6)
        (g,) = nt.autograd.grad((y * y).sum(), x, create_graph=True)
        (gg,) = nt.autograd.grad(g.abs().sum(), x)
        return g.detach(), gg

    for c, g in zip(run("cpu"), run("cuda")):
        same(c, g, nt.complex128)


# --- complex cumsum / cumprod ---

CDTYPES = [nt.complex64, nt.complex128]


@pytest.fixture
def tiles(monkeypatch):
    """Force the block-scan kernel (several chunks: the carries pass too)."""
    from ntorch.kernels.cuda import scan as S

    monkeypatch.setattr(S, "SERIAL_N", 1)
    monkeypatch.setattr(S, "SERIAL_LINES", 1 << 30)
    monkeypatch.setattr(S, "CHUNK", 3)


@pytest.mark.parametrize("kernel", ["lines", "tiles"])
@pytest.mark.parametrize("dt", CDTYPES)
def test_cumsum_cumprod_match_cpu(dt, kernel, request):
    if kernel == "tiles":
        request.getfixturevalue("tiles")
    a = rand((3, 7, 2), dt)
    x, xg = nt.tensor(a), nt.tensor(a).cuda()
    for op in ("cumsum", "cumprod"):
        for view, dim in ((lambda t: t, 1), (lambda t: t, -1), (lambda t: t, 0),
                          (lambda t: t.transpose(0, 1), 0), (lambda t: t[:, ::2, :1], 1)):
            same(getattr(view(x), op)(dim), getattr(view(xg), op)(dim), dt)
    for t in (xg[0, 0, :1], xg[0, 0, 0], nt.zeros(0, 3, dtype=dt, device="cuda")):
        same(t.cpu().cumsum(0), t.cumsum(0), dt)
        same(t.cpu().cumprod(0), t.cumprod(0), dt)


def test_cumsum_dtype_out_and_inplace():
    a = rand((2, 5), nt.complex64)
    xg = nt.tensor(a).cuda()
    same(nt.tensor(a).cumsum(1, dtype=nt.complex128), xg.cumsum(1, dtype=nt.complex128), nt.complex128)
    same(nt.tensor(a.real.copy()).cumsum(1, dtype=nt.complex64), xg.real.cumsum(1, dtype=nt.complex64),
         nt.complex64)
    out = nt.empty(0, dtype=nt.complex64, device="cuda")
    assert nt.cumprod(xg, 0, out=out) is out
    same(nt.tensor(a).cumprod(0), out, nt.complex64)
    y = xg.clone()
    y.cumsum_(1)
    same(nt.tensor(a).cumsum(1), y, nt.complex64)


@pytest.mark.parametrize("dt", CDTYPES)
def test_scan_gradients_match_cpu(dt):
    a = rand((3, 4), dt)
    z = a.copy()
    z[1, 2] = 0  # cumprod with a zero: torch's composite path
    w = rand((3, 4), nt.complex128).astype(dt.np)
    for data, op, dim in ((a, "cumsum", 1), (a, "cumsum", 0), (a, "cumprod", 1), (z, "cumprod", 1),
                          (a, "cumprod", 0)):
        grads = []
        for device in ("cpu", "cuda"):
            x = nt.tensor(data, device=device, requires_grad=True)
            (getattr(x, op)(dim) * nt.tensor(w, device=device)).abs().sum().backward()
            grads.append(x.grad)
        same(grads[0], grads[1], dt)


def test_cummax_refusal_names_the_op_as_torch():
    """torch refuses these for complex on every device."""
    x = nt.tensor([[1 + 2j, 3j], [2, 1 - 1j]], dtype=nt.complex64).cuda()
    with pytest.raises(NotImplementedError, match="\"cummax_cuda\" not implemented for 'ComplexFloat'"):
        x.cummax(0)
