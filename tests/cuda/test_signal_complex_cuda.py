"""stft / istft with complex results or complex inputs on CUDA tensors against the same calls on CPU tensors (the CPU
path is tested against NumPy's FFT in tests/test_signal.py): values, dtypes, shapes and the gradients of the signal,
the window and the spectrum; torch's errors with its messages on CUDA as on the CPU. Tiny shapes for the simulator."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cuda_util import RUN

import ntorch as nt

pytestmark = pytest.mark.skipif(not RUN, reason="needs a GPU or NUMBA_ENABLE_CUDASIM=1")

rng = np.random.default_rng(0)
TOL = {nt.float32: 2e-5, nt.complex64: 2e-5, nt.float64: 1e-10, nt.complex128: 1e-10}
REAL_OF = {nt.complex64: nt.float32, nt.complex128: nt.float64, nt.float32: nt.float32, nt.float64: nt.float64}


def _rand(shape, dt):
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if dt.is_complex else a


def _run(fn, arrays, dts, device, grad, cotangent):
    """fn of leaves on device; returns (output, leaf grads) as NumPy after backward of sum(Re(conj(g) * out))."""
    leaves = [nt.tensor(a, dtype=dt, device=device, requires_grad=grad) for a, dt in zip(arrays, dts, strict=True)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*leaves)
    assert out.device.type == device
    if grad:
        out.backward(nt.tensor(cotangent(out), dtype=out.dtype, device=device))
    return out, [leaf.grad.cpu().numpy() for leaf in leaves] if grad else []


def _check(fn, arrays, dts, grad=True):
    """CUDA equals the CPU: output dtype, shape, values and (float64/complex128 only) the leaves' gradients."""
    cot = {}

    def cotangent(out):
        key = (tuple(out.shape), out.dtype)
        if key not in cot:
            cot[key] = _rand(tuple(out.shape), out.dtype)
        return cot[key]

    ref, ref_g = _run(fn, arrays, dts, "cpu", grad, cotangent)
    got, got_g = _run(fn, arrays, dts, "cuda", grad, cotangent)
    assert got.dtype == ref.dtype and got.shape == ref.shape and got.stride() == ref.stride()
    tol = TOL[ref.dtype]
    np.testing.assert_allclose(got.detach().cpu().numpy(), ref.detach().numpy(), atol=tol, rtol=tol)
    for a, b in zip(got_g, ref_g, strict=True):
        np.testing.assert_allclose(a, b, atol=tol, rtol=tol)
    return got


STFT_KW = [
    {},
    {"onesided": False},
    {"normalized": True, "pad_mode": "constant"},
    {"hop_length": 3, "win_length": 6, "pad_mode": "circular"},
    {"center": False, "win_length": 5, "hop_length": 2, "align_to_window": True},
]


@pytest.mark.parametrize("kw", STFT_KW)
@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
def test_stft_real_signal_return_complex(dt, kw):
    """A real signal and window: the matmul DFT's (re, im) pairs viewed as complex; onesided by default."""
    x, w = _rand((2, 17), dt), rng.random(kw.get("win_length", 8)) + 0.5
    out = _check(lambda a, b: nt.stft(a, 8, window=b, return_complex=True, **kw), [x, w], [dt, dt],
                 grad=dt is nt.float64)
    assert out.dtype == (nt.complex64 if dt is nt.float32 else nt.complex128)
    assert out.shape[1] == (8 if kw.get("onesided") is False else 5)


@pytest.mark.parametrize("four_step", [False, True])
def test_stft_real_signal_return_complex_layout_and_four_step(monkeypatch, four_step):
    """The four-step DFT (forced at n_fft = 16) views its pairs as complex too; 1-d input gives a 2-d spectrum."""
    from ntorch.ops import signal

    if four_step:
        monkeypatch.setattr(signal, "_FOUR_STEP_MIN", 1)
    x, w = rng.standard_normal(20), rng.random(16) + 0.5
    for onesided in (True, False):
        out = _check(lambda a, b, o=onesided: nt.stft(a, 16, 4, window=b, onesided=o, return_complex=True), [x, w],
                     [nt.float64, nt.float64])
        assert out.ndim == 2
    real = nt.stft(nt.tensor(x, device="cuda"), 16, 4, window=nt.tensor(w, device="cuda"), return_complex=False)
    cplx = nt.stft(nt.tensor(x, device="cuda"), 16, 4, window=nt.tensor(w, device="cuda"), return_complex=True)
    np.testing.assert_array_equal(nt.view_as_real(cplx).cpu().numpy(), real.cpu().numpy())


@pytest.mark.parametrize("kw", [{}, {"onesided": False, "normalized": True},
                                {"hop_length": 3, "win_length": 6, "center": False}, {"return_complex": False}])
@pytest.mark.parametrize("x_dt, w_dt", [(nt.complex64, nt.float32), (nt.complex128, nt.float64),
                                        (nt.complex128, nt.complex128), (nt.float64, nt.complex128),
                                        (nt.float32, nt.complex64)])
def test_stft_complex_signal_or_window(x_dt, w_dt, kw):
    """A complex signal or window: torch's two-sided spectrum (return_complex defaults to True), or its real
    (..., 2) form with return_complex=False, through ntorch.fft on CUDA."""
    x, w = _rand((2, 14), x_dt), _rand(kw.get("win_length", 8), w_dt)
    out = _check(lambda a, b: nt.stft(a, 8, window=b, **kw), [x, w], [x_dt, w_dt],
                 grad=REAL_OF[x_dt] is nt.float64 and REAL_OF[w_dt] is nt.float64)
    assert out.shape[1] == 8  # two-sided
    assert out.dtype.is_complex == (kw.get("return_complex") is not False)


def test_stft_complex_one_dim_and_no_window():
    x = _rand(12, nt.complex128)
    out = _check(lambda a: nt.stft(a, 4, 2), [x], [nt.complex128])
    assert out.shape == (4, 7)


@pytest.mark.parametrize("kw", [{}, {"normalized": True}, {"hop_length": 1, "win_length": 3}])
@pytest.mark.parametrize("dt", [nt.complex64, nt.complex128])
def test_istft_return_complex(dt, kw):
    """A two-sided complex spectrum back to a complex signal (ifft, overlap-add of the real and imaginary parts)."""
    spec, w = _rand((2, 4, 5), dt), rng.random(kw.get("win_length", 4)) + 0.5
    out = _check(lambda s, b: nt.istft(s, 4, window=b, return_complex=True, **{"hop_length": 2, **kw}),
                 [spec, w],
                 [dt, REAL_OF[dt]], grad=dt is nt.complex128)
    assert out.dtype is dt


def test_istft_return_complex_complex_window_and_real_form():
    """A complex window (allowed with return_complex=True, as torch) and the real (..., 2) spectrum form."""
    spec, w = _rand((4, 5), nt.complex128), _rand(4, nt.complex128)
    _check(lambda s, b: nt.istft(s, 4, 2, window=b, onesided=False, return_complex=True), [spec, w],
           [nt.complex128, nt.complex128])
    pairs = rng.standard_normal((4, 5, 2))
    _check(lambda s, b: nt.istft(s, 4, 2, window=b, onesided=False, return_complex=True, length=7), [pairs, w],
           [nt.float64, nt.complex128])


@pytest.mark.parametrize("kw", [{}, {"onesided": False}, {"length": 9, "center": False}])
def test_istft_of_a_complex_spectrum_to_a_real_signal(kw):
    """A complex spectrum with return_complex=False (the default): the real inverse, gradient to the spectrum."""
    n_bins = 4 if kw.get("onesided") is False else 3
    spec, w = _rand((2, n_bins, 5), nt.complex128), rng.random(4) + 0.5
    out = _check(lambda s, b: nt.istft(s, 4, 2, window=b, **kw), [spec, w], [nt.complex128, nt.float64])
    assert out.dtype is nt.float64


def test_stft_istft_complex_round_trip():
    x = nt.tensor(_rand((2, 12), nt.complex128), device="cuda")
    w = nt.tensor(rng.random(4) + 0.5, device="cuda")
    spec = nt.stft(x, 4, 1, window=w)
    back = nt.istft(spec, 4, 1, window=w, return_complex=True, length=12)
    assert back.device.type == "cuda"
    np.testing.assert_allclose(back.cpu().numpy(), x.cpu().numpy(), atol=1e-12)


def _error(call, device):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            call(device)
    return type(info.value), str(info.value)


ERRORS = [
    (lambda d: nt.stft(nt.ones(12, dtype=nt.complex64, device=d), 4, onesided=True),
     "Cannot have onesided output if window or input is complex"),
    (lambda d: nt.stft(nt.ones(12, device=d), 4, window=nt.ones(4, dtype=nt.complex64, device=d), onesided=True,
                       return_complex=True), "Cannot have onesided output if window or input is complex"),
    (lambda d: nt.stft(nt.ones(12, device=d), 4, window=nt.ones(4, device=d)), "requires the return_complex"),
    (lambda d: nt.stft(nt.ones(12, dtype=nt.complex64, device=d), 13, center=False), "expected 0 < n_fft < 12"),
    (lambda d: nt.istft(nt.ones(4, 5, dtype=nt.complex64, device=d), 4, 2, onesided=True, return_complex=True,
                        window=nt.ones(4, device=d)), "match n_fft / 2 + 1 when onesided=True, but got 4"),
    (lambda d: nt.istft(nt.ones(3, 5, dtype=nt.complex64, device=d), 4, 2, return_complex=True,
                        window=nt.ones(4, device=d)), "Cannot have onesided output if window or input is complex"),
    (lambda d: nt.istft(nt.ones(3, 5, dtype=nt.complex64, device=d), 4, 2,
                        window=nt.ones(4, dtype=nt.complex64, device=d)),
     "Complex windows are incompatible with return_complex=False"),
]


@pytest.mark.parametrize("call, msg", ERRORS)
def test_errors_as_on_the_cpu(call, msg):
    cpu_type, cpu_msg = _error(call, "cpu")
    cuda_type, cuda_msg = _error(call, "cuda")
    assert cpu_type is cuda_type is RuntimeError
    assert msg in cpu_msg
    for cpu, cuda in (("torch.Complex", "torch.cuda.Complex"), ("torch.Float", "torch.cuda.Float"),
                      ("CPUComplex", "CUDAComplex")):
        cpu_msg = cpu_msg.replace(cpu, cuda)
    assert cuda_msg == cpu_msg


@pytest.mark.parametrize("dt", [nt.float16, nt.bfloat16])
def test_16_bit_cuda_stft_return_complex_raises(dt):
    """ntorch has no complex32 (torch's cuFFT result here): a clear refusal; the real (..., 2) form still works."""
    x, w = nt.ones(12, dtype=dt, device="cuda"), nt.ones(4, dtype=dt, device="cuda")
    with pytest.raises(NotImplementedError, match="no complex32"):
        nt.stft(x, 4, window=w, return_complex=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = nt.stft(x, 4, window=w, return_complex=False)
    assert real.dtype is dt and real.shape == (3, 13, 2)
