"""stft / istft against NumPy's FFT of framed, windowed signals (references written here), the istft(stft(x))
round trip, float64 gradcheck through both, and torch's argument errors (messages as torch 2.13 prints them)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ntorch as nt
from ntorch.autograd import gradcheck

rng = np.random.default_rng(0)
NP_PAD = {"reflect": "reflect", "constant": "constant", "replicate": "edge", "circular": "wrap"}


def ref_stft(x, n_fft, hop=None, win_length=None, window=None, center=True, pad_mode="reflect", normalized=False,
             onesided=True, align_to_window=False):
    """(batch?, n_bins, n_frames, 2) from np.fft of each framed, windowed slice."""
    hop = n_fft // 4 if hop is None else hop
    win_length = n_fft if win_length is None else win_length
    x2 = np.atleast_2d(x)
    if center:
        x2 = np.pad(x2, ((0, 0), (n_fft // 2, n_fft // 2)), mode=NP_PAD[pad_mode])
    w = np.ones(win_length) if window is None else window
    left = (n_fft - win_length) // 2
    wf = np.zeros(n_fft)
    wf[left:left + win_length] = w
    if align_to_window:
        x2 = np.pad(x2, ((0, 0), (left, n_fft - win_length - left)))
    n_frames = 1 + (x2.shape[1] - n_fft) // hop
    frames = np.stack([x2[:, t * hop:t * hop + n_fft] * wf for t in range(n_frames)], 1)
    spec = np.fft.rfft(frames, axis=-1) if onesided else np.fft.fft(frames, axis=-1)
    if normalized:
        spec = spec / np.sqrt(n_fft)
    out = np.stack([spec.real, spec.imag], -1).transpose(0, 2, 1, 3)
    return out[0] if x.ndim == 1 else out


def ref_istft(spec, n_fft, hop=None, win_length=None, window=None, center=True, normalized=False, length=None):
    """torch's least-squares inverse: irfft each frame, window, overlap-add, divide by the summed squared window."""
    hop = n_fft // 4 if hop is None else hop
    win_length = n_fft if win_length is None else win_length
    s = spec[None] if spec.ndim == 3 else spec
    c = s[..., 0] + 1j * s[..., 1]
    c = c[:, :n_fft // 2 + 1]
    frames = np.fft.irfft(c, n=n_fft, axis=1, norm="ortho" if normalized else "backward")  # (b, n_fft, T)
    w = np.ones(win_length) if window is None else window
    left = (n_fft - win_length) // 2
    wf = np.zeros(n_fft)
    wf[left:left + win_length] = w
    n_frames = c.shape[2]
    total = n_fft + hop * (n_frames - 1)
    y = np.zeros((c.shape[0], total))
    env = np.zeros(total)
    for t in range(n_frames):
        y[:, t * hop:t * hop + n_fft] += frames[:, :, t] * wf
        env[t * hop:t * hop + n_fft] += wf ** 2
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    y = y[:, start:end] / env[start:end]
    if end > total:
        y = np.pad(y, ((0, 0), (0, end - total)))
    return y[0] if spec.ndim == 3 else y


def T(a, grad: bool = False, dtype=nt.float64):
    return nt.tensor(np.asarray(a), dtype=dtype, requires_grad=grad)


STFT_CASES = [
    ((50,), 16, {}),
    ((3, 50), 16, {"hop_length": 3, "win_length": 10}),
    ((2, 41), 15, {"hop_length": 4, "win_length": 10, "onesided": False, "normalized": True}),
    ((50,), 16, {"center": False, "win_length": 9, "hop_length": 5, "align_to_window": True}),
    ((50,), 16, {"center": False, "win_length": 9, "hop_length": 5, "align_to_window": False}),
    ((30,), 8, {"pad_mode": "constant"}),
    ((30,), 8, {"pad_mode": "replicate", "hop_length": 1}),
    ((2, 30), 7, {"pad_mode": "circular", "normalized": True}),
    ((64,), 64, {"center": False}),
]


@pytest.mark.parametrize("shape, n_fft, kw", STFT_CASES)
@pytest.mark.parametrize("windowed", [False, True])
def test_stft_matches_numpy_fft(shape, n_fft, kw, windowed):
    x = rng.standard_normal(shape)
    win_length = kw.get("win_length", n_fft)
    w = rng.random(win_length) + 0.5 if windowed else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = nt.stft(T(x), n_fft, window=None if w is None else T(w), return_complex=False, **kw)
    ref_kw = {"hop": kw.get("hop_length"), "win_length": kw.get("win_length"), "center": kw.get("center", True),
              "pad_mode": kw.get("pad_mode", "reflect"), "normalized": kw.get("normalized", False),
              "onesided": kw.get("onesided", True), "align_to_window": bool(kw.get("align_to_window"))}
    ref = ref_stft(x, n_fft, window=w, **ref_kw)
    assert out.dtype == nt.float64 and tuple(out.shape) == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)


def test_stft_float32_and_method_and_dtype_promotion():
    x = rng.standard_normal(100).astype(np.float32)
    w = np.hanning(20).astype(np.float32)
    out = T(x, dtype=nt.float32).stft(20, 5, window=T(w, dtype=nt.float32), return_complex=False)
    assert out.dtype == nt.float32
    np.testing.assert_allclose(out.numpy(), ref_stft(x.astype(np.float64), 20, 5, window=w), atol=2e-5)
    # the window multiplies the frames: a float64 window promotes a float32 signal, as torch
    assert nt.stft(T(x, dtype=nt.float32), 20, window=T(w), return_complex=False).dtype == nt.float64


def test_stft_large_n_fft_keeps_precision():
    """The DFT matrix reduces k*n mod N before the angle, so a long transform stays within float64 rounding."""
    x = rng.standard_normal(3000)
    out = nt.stft(T(x), 2048, 512, window=T(np.hanning(2048)), return_complex=False)
    ref = ref_stft(x, 2048, 512, window=np.hanning(2048))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-9)


@pytest.mark.parametrize("shape, n_fft, hop, win_length, kw", [
    ((60,), 16, 4, None, {}),
    ((3, 60), 16, 3, 10, {}),
    ((2, 45), 15, 5, 15, {"normalized": True}),
    ((2, 45), 12, 3, 12, {"onesided": False}),
    ((40,), 8, 2, None, {"center": False}),
])
def test_istft_round_trip(shape, n_fft, hop, win_length, kw):
    x = rng.standard_normal(shape)
    w = np.hanning((win_length or n_fft) + 2)[1:-1]  # no zeros: the envelope stays positive at the ends too
    onesided = kw.pop("onesided", True)
    spec = nt.stft(T(x), n_fft, hop, win_length, T(w), return_complex=False, onesided=onesided, **kw)
    center = kw.get("center", True)
    back = nt.istft(spec, n_fft, hop, win_length, T(w), length=shape[-1] if center else None, **kw)
    expect = x if center else x[..., :back.shape[-1]]
    np.testing.assert_allclose(back.numpy(), expect, atol=1e-10)


@pytest.mark.parametrize("length", [None, 30, 70])
def test_istft_of_an_arbitrary_spectrum_matches_numpy(length):
    """A spectrum that is no STFT of any signal: istft is then the least-squares estimate, torch's formula."""
    spec = rng.standard_normal((2, 9, 11, 2))
    w = rng.random(16) + 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # length 70 > the signal: padded with zeros, with torch's warning
        out = nt.istft(T(spec), 16, 4, window=T(w), length=length)
    ref = ref_istft(spec, 16, 4, window=w, length=length)
    assert tuple(out.shape) == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)


def test_istft_pads_with_a_warning():
    x = rng.standard_normal(40)
    spec = nt.stft(T(x), 8, window=T(np.ones(8)), return_complex=False)
    with pytest.warns(UserWarning, match="Result is being padded with zeros"):
        out = nt.istft(spec, 8, window=T(np.ones(8)), length=60).numpy()
    # 21 frames span 48 samples; less the 4 of centring that leaves 44 (the signal, then its reflection), then 0s
    assert out.shape == (60,) and np.all(out[44:] == 0)
    np.testing.assert_allclose(out[:40], x, atol=1e-12)


def test_stft_istft_gradcheck():
    x = T(rng.standard_normal(20), grad=True)
    w = T(rng.random(8) + 0.5, grad=True)
    assert gradcheck(lambda a, b: nt.stft(a, 8, 3, window=b, return_complex=False), (x, w))
    assert gradcheck(lambda a, b: nt.stft(a, 8, 2, 6, b[:6], center=False, normalized=True, onesided=False,
                                          return_complex=False), (x, w))
    spec = T(rng.standard_normal((5, 9, 2)), grad=True)
    assert gradcheck(lambda s, b: nt.istft(s, 8, 2, window=b), (spec, w))


def test_missing_window_warns():
    with pytest.warns(UserWarning, match="A window was not provided"):
        nt.stft(T(rng.standard_normal(20)), 8, return_complex=False)


SIG = "n_fft=8, hop_length=2, win_length=8, window=None, normalized=0, onesided=None, return_complex=0, " \
      "align_to_window=None) : "


@pytest.mark.parametrize("call, exc, msg", [
    (lambda x: nt.stft(x, 8), RuntimeError, "stft requires the return_complex parameter be given for real inputs"),
    (lambda x: nt.stft(x, 30, return_complex=False, center=False), RuntimeError,
     "stft(torch.DoubleTensor[20], n_fft=30, hop_length=7, win_length=30, window=None, normalized=0, onesided=None,"
     " return_complex=0, align_to_window=None) : expected 0 < n_fft < 20, but got n_fft=30"),
    (lambda x: nt.stft(x, 8, hop_length=0, return_complex=False), RuntimeError, "expected hop_length > 0, but got "
     "hop_length=0"),
    (lambda x: nt.stft(x, 8, win_length=9, return_complex=False), RuntimeError,
     "expected 0 < win_length <= n_fft, but got win_length=9"),
    (lambda x: nt.stft(x, 8, window=nt.ones(5), return_complex=False), RuntimeError,
     "window=torch.FloatTensor{[5]}, normalized=0, onesided=None, return_complex=0, align_to_window=None) : "
     "expected a 1D window tensor of size equal to win_length=8, but got window with size [5]"),
    (lambda x: nt.stft(nt.arange(20), 8, return_complex=False), RuntimeError,
     "stft(torch.LongTensor[28], " + SIG + "expected a tensor of floating point or complex values"),
    (lambda x: nt.stft(x.reshape(1, 2, 10), 4, return_complex=False), RuntimeError, "expected a 1D or 2D tensor"),
    (lambda x: nt.stft(x, 8, return_complex=False, align_to_window=True), RuntimeError,
     "stft align_to_window should only be set when center = false"),
    (lambda x: nt.stft(x.half(), 8, return_complex=False), RuntimeError, "MKL FFT doesn't support tensors of type: "
     "Half"),
    (lambda x: nt.stft(x, 8, return_complex=False, pad_mode="foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
])
def test_stft_errors(call, exc, msg):
    x = T(rng.standard_normal(20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as info:
            call(x)
    assert msg in str(info.value)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda s: nt.istft(s[:0], 8), RuntimeError, "istft(CPUComplexDoubleType[0, 11], n_fft=8, hop_length=2, "
     "win_length=8, window=None, center=1, normalized=0, onesided=None, length=None, return_complex=0) : input "
     "tensor cannot be empty."),
    (lambda s: nt.istft(s[0], 8), RuntimeError, "expected a tensor with 3 or 4 dimensions, but got 2"),
    (lambda s: nt.istft(s[None, None], 8), RuntimeError, "expected a tensor with 3 or 4 dimensions, but got 5"),
    (lambda s: nt.istft(s[..., :1], 8), RuntimeError,
     "expected the last dimension to be 2 (corresponding to real and imaginary parts), but got 1"),
    (lambda s: nt.istft(s, 10), RuntimeError, "expected the frequency dimension (3rd to the last) of the input "
     "tensor to match n_fft / 2 + 1 when onesided=True, but got 5"),
    (lambda s: nt.istft(s, 8, onesided=False), RuntimeError, "to match n_fft when onesided=False, but got 5"),
    (lambda s: nt.istft(s, 8, hop_length=9), RuntimeError, "expected 0 < hop_length <= win_length"),
    (lambda s: nt.istft(s, 8, win_length=9), RuntimeError, "expected 0 < win_length <= n_fft"),
    (lambda s: nt.istft(s, 8, window=nt.ones(5)), RuntimeError,
     "Invalid window shape. window has to be 1D and length of `win_length`"),
    (lambda s: nt.istft(s, 8), RuntimeError, None),  # no error: checked below
    (lambda s: nt.istft(s, 8, window=nt.hann_window(8, dtype=nt.float64), center=False), RuntimeError,
     "center=0, normalized=0, onesided=None, length=None, return_complex=0) window overlap add min: 1"),
    (lambda s: nt.istft(s, 8, return_complex=True), RuntimeError,
     "Cannot have onesided output if window or input is complex"),
    (lambda s: nt.istft(nt.zeros(5, 11, 2, dtype=nt.int64), 8), RuntimeError,
     "istft requires a complex-valued input tensor"),
])
def test_istft_errors(call, exc, msg):
    spec = T(rng.standard_normal((5, 11, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if msg is None:
            assert tuple(call(spec).shape) == (20,)
            return
        with pytest.raises(exc) as info:
            call(spec)
    assert msg in str(info.value)


@pytest.fixture
def four_step(monkeypatch):
    """Route every factorable n_fft through the four-step DFT (normally from 256, and CUDA only), so tiny CPU cases
    test it."""
    from ntorch.ops import signal

    monkeypatch.setattr(signal, "_FOUR_STEP_MIN", 1)
    monkeypatch.setattr(signal, "_FFT_ON_CPU", False)
    return signal


@pytest.mark.parametrize("n_fft, kw", [(16, {}), (25, {"onesided": False, "normalized": True}),
                                       (24, {"hop_length": 5, "win_length": 20}), (20, {"center": False})])
def test_four_step_dft_matches_numpy(four_step, n_fft, kw):
    assert four_step._split(n_fft) is not None
    x = rng.standard_normal((2, 70))
    w = rng.random(kw.get("win_length", n_fft)) + 0.5
    out = nt.stft(T(x), n_fft, window=T(w), return_complex=False, **kw)
    ref = ref_stft(x, n_fft, kw.get("hop_length"), kw.get("win_length"), w, kw.get("center", True),
                   normalized=kw.get("normalized", False), onesided=kw.get("onesided", True))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)
    spec = rng.standard_normal(tuple(out.shape))
    got = nt.istft(T(spec), n_fft, kw.get("hop_length"), kw.get("win_length"), T(w), kw.get("center", True),
                   kw.get("normalized", False), kw.get("onesided"))
    ref = ref_istft(spec, n_fft, kw.get("hop_length"), kw.get("win_length"), w, kw.get("center", True),
                    kw.get("normalized", False))
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-10)


def test_four_step_gradcheck(four_step):
    x = T(rng.standard_normal(24), grad=True)
    w = T(rng.random(16) + 0.5, grad=True)
    assert gradcheck(lambda a, b: nt.stft(a, 16, 4, window=b, return_complex=False), (x, w))
    spec = T(rng.standard_normal((9, 5, 2)), grad=True)
    assert gradcheck(lambda s, b: nt.istft(s, 16, 4, window=b), (spec, w))


@pytest.mark.parametrize("n_fft", [256, 300, 1000])
def test_four_step_at_real_sizes(n_fft, monkeypatch):
    """The default threshold: these n_fft take the four-step path (257, prime, stays direct)."""
    from ntorch.ops import signal

    monkeypatch.setattr(signal, "_FFT_ON_CPU", False)
    x = rng.standard_normal(2 * n_fft)
    w = np.hanning(n_fft + 2)[1:-1]
    out = nt.stft(T(x), n_fft, n_fft // 4, window=T(w), return_complex=False)
    np.testing.assert_allclose(out.numpy(), ref_stft(x, n_fft, n_fft // 4, window=w), atol=1e-9)
    back = nt.istft(out, n_fft, n_fft // 4, window=T(w), length=x.size)
    np.testing.assert_allclose(back.numpy(), x, atol=1e-10)


@pytest.mark.parametrize("n_fft, kw", [(16, {}), (25, {"onesided": False, "normalized": True}),
                                       (24, {"hop_length": 5, "win_length": 20}), (257, {"center": False})])
def test_stft_return_complex_and_complex_istft(n_fft, kw):
    """return_complex=True: torch's complex spectrum (the real form's pairs); istft takes it back."""
    x = rng.standard_normal((2, 600))
    w = rng.random(kw.get("win_length", n_fft)) + 0.5
    out = nt.stft(T(x), n_fft, window=T(w), return_complex=True, **kw)
    ref = ref_stft(x, n_fft, kw.get("hop_length"), kw.get("win_length"), w, kw.get("center", True),
                   normalized=kw.get("normalized", False), onesided=kw.get("onesided", True))
    assert out.dtype == nt.complex128 and tuple(out.shape) == ref.shape[:-1]
    np.testing.assert_allclose(out.numpy(), ref[..., 0] + 1j * ref[..., 1], atol=1e-10)
    with pytest.warns(UserWarning, match="stft with return_complex=False is deprecated"):
        pairs = nt.stft(T(x), n_fft, window=T(w), return_complex=False, **kw)
    np.testing.assert_allclose(pairs.numpy(), ref, atol=1e-10)
    back = nt.istft(out, n_fft, kw.get("hop_length"), kw.get("win_length"), T(w), kw.get("center", True),
                    kw.get("normalized", False), kw.get("onesided"))
    np.testing.assert_allclose(back.numpy(), nt.istft(pairs, n_fft, kw.get("hop_length"), kw.get("win_length"),
                                                      T(w), kw.get("center", True), kw.get("normalized", False),
                                                      kw.get("onesided")).numpy(), atol=1e-12)
    if kw.get("center", True):
        np.testing.assert_allclose(back.numpy()[:, :500], x[:, :500], atol=1e-9)
    f32 = nt.stft(T(x, dtype=nt.float32), n_fft, window=T(w, dtype=nt.float32), return_complex=True, **kw)
    assert f32.dtype == nt.complex64


def test_stft_complex_gradients():
    """Gradients through the complex spectrum: L = sum(Re(conj(g) * stft(x, w))) by float64 finite differences."""
    x = rng.standard_normal(30)
    w = rng.random(8) + 0.5
    spec = nt.stft(T(x), 8, 3, window=T(w), return_complex=True)
    g = rng.standard_normal(tuple(spec.shape)) + 1j * rng.standard_normal(tuple(spec.shape))

    def loss(a, b):
        return float(np.sum(np.real(np.conj(g) * nt.stft(T(a), 8, 3, window=T(b), return_complex=True).numpy())))

    xt, wt = T(x, grad=True), T(w, grad=True)
    nt.stft(xt, 8, 3, window=wt, return_complex=True).backward(nt.tensor(g))
    for arr, got in ((x, xt.grad), (w, wt.grad)):
        fd = np.zeros_like(arr)
        for i in range(arr.size):
            p, m = arr.copy(), arr.copy()
            p[i] += 1e-6
            m[i] -= 1e-6
            fd[i] = (loss(p, w) - loss(m, w) if arr is x else loss(x, p) - loss(x, m)) / 2e-6
        np.testing.assert_allclose(got.numpy(), fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kw", [{}, {"center": False, "normalized": True}, {"hop_length": 3, "win_length": 6}])
def test_complex_signal_stft_and_complex_istft(kw):
    """Complex input: two-sided spectrum by default (onesided=True refused as torch); istft(return_complex=True)
    inverts a two-sided spectrum to a complex signal."""
    x = rng.standard_normal((2, 40)) + 1j * rng.standard_normal((2, 40))
    w = rng.random(kw.get("win_length", 8)) + 0.5
    hop, center = kw.get("hop_length", 2), kw.get("center", True)
    spec = nt.stft(nt.tensor(x), 8, hop, kw.get("win_length"), T(w), center, normalized=kw.get("normalized", False))
    assert spec.dtype == nt.complex128
    xp = np.pad(x, ((0, 0), (4, 4)), mode="reflect") if center else x
    wf = np.zeros(8)
    left = (8 - w.size) // 2
    wf[left:left + w.size] = w
    n_frames = 1 + (xp.shape[1] - 8) // hop
    frames = np.stack([xp[:, t * hop:t * hop + 8] * wf for t in range(n_frames)], 1)
    ref = np.fft.fft(frames, axis=-1, norm="ortho" if kw.get("normalized") else None).transpose(0, 2, 1)
    np.testing.assert_allclose(spec.numpy(), ref, atol=1e-10)
    back = nt.istft(spec, 8, hop, kw.get("win_length"), T(w), center, kw.get("normalized", False),
                    return_complex=True)
    assert back.dtype == nt.complex128
    if center:
        np.testing.assert_allclose(back.numpy()[:, :36], x[:, :36], atol=1e-10)
    real_back = nt.istft(nt.view_as_real(spec), 8, hop, kw.get("win_length"), T(w), center,
                         kw.get("normalized", False), onesided=False, return_complex=True)
    np.testing.assert_allclose(real_back.numpy(), back.numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="Cannot have onesided output if window or input is complex"):
        nt.stft(nt.tensor(x), 8, window=T(w[:8] if w.size == 8 else np.ones(8)), onesided=True)


@pytest.mark.parametrize("center", [False, True])
def test_complex_stft_istft_gradients(center):
    """L = sum(Re(conj(g) * istft(stft(x, w), w))) for a complex signal x: gradients w.r.t. Re x, Im x and the
    window by float64 finite differences (torch's convention: x.grad = dL/dRe x + i dL/dIm x)."""
    x = rng.standard_normal(24) + 1j * rng.standard_normal(24)
    w = rng.random(8) + 0.5

    def run(a, b):
        spec = nt.stft(a, 8, 2, window=b, center=center, return_complex=True)
        return nt.istft(spec, 8, 2, window=b, center=center, onesided=False, return_complex=True)

    xt, wt = nt.tensor(x).requires_grad_(), T(w, grad=True)
    y = run(xt, wt)
    g = rng.standard_normal(tuple(y.shape)) + 1j * rng.standard_normal(tuple(y.shape))
    y.backward(nt.tensor(g))

    def loss(a, b):
        return float(np.sum(np.real(np.conj(g) * run(nt.tensor(a), T(b)).numpy())))

    fd_x = np.zeros_like(x)
    for i in range(x.size):
        for unit in (1.0, 1j):
            p, m = x.copy(), x.copy()
            p[i] += 1e-6 * unit
            m[i] -= 1e-6 * unit
            fd_x[i] += unit * (loss(p, w) - loss(m, w)) / 2e-6
    fd_w = np.zeros_like(w)
    for i in range(w.size):
        p, m = w.copy(), w.copy()
        p[i] += 1e-6
        m[i] -= 1e-6
        fd_w[i] = (loss(x, p) - loss(x, m)) / 2e-6
    np.testing.assert_allclose(xt.grad.numpy(), fd_x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(wt.grad.numpy(), fd_w, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n_fft, kw", [(16, {}), (15, {"normalized": True}), (64, {"hop_length": 7, "win_length": 50}),
                                       (32, {"center": False})])
def test_stft_fused_and_recorded_paths_agree(n_fft, kw):
    """Without autograd stft windows and transforms frames in one kernel; with it, through recorded ops."""
    x = rng.standard_normal((2, 300))
    w = rng.random(kw.get("win_length", n_fft)) + 0.5
    fused = nt.stft(T(x), n_fft, window=T(w), return_complex=True, **kw)
    recorded = nt.stft(T(x, grad=True), n_fft, window=T(w), return_complex=True, **kw)
    assert recorded.grad_fn is not None and fused.grad_fn is None
    np.testing.assert_allclose(fused.numpy(), recorded.detach().numpy(), atol=1e-12)
    np.testing.assert_array_equal(fused.stride(), recorded.stride())


@pytest.mark.parametrize("dt", [nt.float16, nt.bfloat16])
def test_istft_of_a_16_bit_real_form_raises_torchs_error(dt):
    """ntorch has no 16-bit FFT (neither has torch's CPU): torch's message for a non-complex spectrum, no crash."""
    with pytest.raises(RuntimeError, match="istft requires a complex-valued input tensor"):
        nt.istft(nt.zeros(9, 5, 2, dtype=dt), 16, window=nt.ones(16))


def _np_frames(x, n_fft, hop, wf, center):
    xp = np.pad(x, ((0, 0), (n_fft // 2, n_fft // 2)), mode="reflect") if center else x
    n_frames = 1 + (xp.shape[1] - n_fft) // hop
    return np.stack([xp[:, t * hop:t * hop + n_fft] * wf for t in range(n_frames)], 1)


@pytest.mark.parametrize("win_length, center", [(8, True), (5, True), (8, False)])
@pytest.mark.parametrize("complex_signal", [False, True])
def test_complex_window_stft_and_istft(complex_signal, win_length, center):
    """A complex window (centred in n_fft by zero padding when shorter): stft's two-sided spectrum; istft with
    return_complex=True divides by the complex overlap-added w * w, as torch's; return_complex=False refuses it."""
    x = rng.standard_normal((2, 30)) + (1j * rng.standard_normal((2, 30)) if complex_signal else 0)
    w = rng.random(win_length) + 0.5 + 1j * rng.random(win_length)
    wf = np.zeros(8, complex)
    left = (8 - win_length) // 2
    wf[left:left + win_length] = w
    spec = nt.stft(nt.tensor(x), 8, 2, win_length, nt.tensor(w), center)
    ref = np.fft.fft(_np_frames(x, 8, 2, wf, center), axis=-1).transpose(0, 2, 1)
    np.testing.assert_allclose(spec.numpy(), ref, atol=1e-10)
    s = rng.standard_normal(ref.shape) + 1j * rng.standard_normal(ref.shape)
    got = nt.istft(nt.tensor(s), 8, 2, win_length, nt.tensor(w), center, return_complex=True)
    frames = np.fft.ifft(s, axis=1).transpose(0, 2, 1) * wf  # (b, n_frames, n_fft)
    total = 8 + 2 * (s.shape[2] - 1)
    y, env = np.zeros((2, total), complex), np.zeros(total, complex)
    for t in range(s.shape[2]):
        y[:, 2 * t:2 * t + 8] += frames[:, t]
        env[2 * t:2 * t + 8] += wf * wf
    start, end = (4, total - 4) if center else (0, total)
    np.testing.assert_allclose(got.numpy(), y[:, start:end] / env[start:end], atol=1e-10)
    with pytest.raises(RuntimeError, match="Complex windows are incompatible with return_complex=False"):
        nt.istft(nt.tensor(s), 8, 2, win_length, nt.tensor(w), center)


def _complex_fd(loss, arr):
    """dL/dRe + i dL/dIm of a real loss at a complex array, by float64 central differences."""
    fd = np.zeros_like(arr)
    for i in range(arr.size):
        for unit in (1.0, 1j):
            p, m = arr.copy(), arr.copy()
            p.flat[i] += 1e-6 * unit
            m.flat[i] -= 1e-6 * unit
            fd.flat[i] += unit * (loss(p) - loss(m)) / 2e-6
    return fd


def test_complex_window_gradients():
    """L = sum(Re(conj(g) * istft(stft(x, w), w))) with a complex window shorter than n_fft: the signal's and the
    window's gradients by finite differences."""
    x = rng.standard_normal(16) + 1j * rng.standard_normal(16)
    w = rng.random(6) + 0.5 + 1j * rng.random(6)

    def run(a, b):
        return nt.istft(nt.stft(a, 8, 2, 6, b), 8, 2, 6, b, return_complex=True)

    xt, wt = nt.tensor(x).requires_grad_(), nt.tensor(w).requires_grad_()
    y = run(xt, wt)
    g = rng.standard_normal(tuple(y.shape)) + 1j * rng.standard_normal(tuple(y.shape))
    y.backward(nt.tensor(g))

    def loss(a, b):
        return float(np.sum(np.real(np.conj(g) * run(nt.tensor(a), nt.tensor(b)).numpy())))

    np.testing.assert_allclose(xt.grad.numpy(), _complex_fd(lambda a: loss(a, w), x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(wt.grad.numpy(), _complex_fd(lambda b: loss(x, b), w), rtol=1e-6, atol=1e-6)
