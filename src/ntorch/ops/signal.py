"""torch.stft / torch.istft.

On CPU tensors they run on ntorch.fft's FFT kernels (O(n_fft log n_fft) per frame, any n_fft): stft frames the
(padded) signal with a strided view, windows it and takes rfft (fft for two-sided output) along the frame;
return_complex=True gives torch's complex (..., n_bins, n_frames) tensor, return_complex=False the legacy real form
with a trailing (real, imaginary) dim of 2 (with torch's deprecation warning). istft takes either form (torch
requires the complex one: accepting the real (..., 2) form is a deliberate difference) and inverts with irfft and a
least-squares overlap-add. Everything is differentiable (signal, window, spectrum).

CUDA tensors with a real signal and a real window take a DFT done as matmuls with cos/sin matrices built on the host
in float64 and cached (from n_fft = 256, an n_fft with a factor n1 >= 4 takes the four-step split n1 * n2,
O(n_fft (n1 + n2)) per frame; others take one matmul, O(n_fft^2)); its interleaved (re, im) output is the real
(..., 2) form, or viewed as complex for return_complex=True. A complex signal or window (two-sided spectrum) and
istft's complex output take ntorch.fft's CUDA kernels on the framed, windowed signal as on the CPU.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .. import dtypes
from ..autograd.graph import needs_graph
from ..tensor import Tensor
from . import creation

_TYPE_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
               "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _F():
    from ..nn import functional

    return functional


# CPU tensors use the FFT (tests turn this off to exercise the matmul DFT on the CPU)
_FFT_ON_CPU = True


def _fft():
    from .. import fft

    return fft


def _view_as_real(t: Tensor) -> Tensor:
    from .complex import view_as_real

    return view_as_real(t)


def _view_as_complex(t: Tensor) -> Tensor:
    from .complex import view_as_complex

    return view_as_complex(t)


def _pad(t: Tensor, pads, mode: str = "constant") -> Tensor:
    """F.pad, also for complex tensors (their real and imaginary parts padded alike)."""
    if not t.dtype.is_complex:
        return _F().pad(t, pads, mode)
    from .complex import complex as make_complex

    return make_complex(_F().pad(t.real, pads, mode), _F().pad(t.imag, pads, mode))


def _use_fft(t: Tensor) -> bool:
    return _FFT_ON_CPU and t.device.type == "cpu"


def _legacy_type(t: Tensor) -> str:
    """torch's legacy type name: torch.DoubleTensor, torch.cuda.FloatTensor."""
    cuda = "cuda." if t.device.type == "cuda" else ""
    return f"torch.{cuda}{_TYPE_NAMES[t.dtype.name]}Tensor"


def _sizes(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _opt(v) -> str:
    """torch's printing of an optional int/bool in these messages (bools as 0/1)."""
    return "None" if v is None else str(int(v))


def _window_repr(window: Tensor | None) -> str:
    return "None" if window is None else f"{_legacy_type(window)}{{{_sizes(window.shape)}}}"


@functools.lru_cache(maxsize=16)
def _dft_matrix(n_fft: int, n_bins: int, scale: float, np_dtype: str) -> np.ndarray:
    """(n_fft, 2 * n_bins): x @ M interleaves (Re, Im) of sum_n x[n] exp(-2 pi i k n / N) * scale per bin k.
    The phase k*n is reduced mod N in integers first, so large N keeps full precision."""
    kn = (np.arange(n_fft)[:, None] * np.arange(n_bins)[None, :]) % n_fft
    ang = 2 * np.pi * kn / n_fft
    m = np.empty((n_fft, n_bins, 2))
    m[..., 0] = np.cos(ang) * scale
    m[..., 1] = -np.sin(ang) * scale
    out = m.reshape(n_fft, 2 * n_bins).astype(np_dtype)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=16)
def _idft_matrix(n_fft: int, scale: float, np_dtype: str) -> np.ndarray:
    """(2 * (N//2 + 1), N): the real inverse (c2r) of a one-sided spectrum in the interleaved (Re, Im) layout.
    Bins 1..ceil(N/2)-1 count twice (their conjugate mirrors); the imaginary parts of bin 0 and of the Nyquist
    bin get sin(0) = sin(pi n) = 0 weights, so they are ignored as by an FFT's c2r."""
    n_bins = n_fft // 2 + 1
    kn = (np.arange(n_bins)[:, None] * np.arange(n_fft)[None, :]) % n_fft
    ang = 2 * np.pi * kn / n_fft
    weight = np.full((n_bins, 1), 2.0)
    weight[0] = 1.0
    if n_fft % 2 == 0:
        weight[-1] = 1.0
    m = np.empty((n_bins, 2, n_fft))
    m[:, 0] = np.cos(ang) * weight * scale
    m[:, 1] = -np.sin(ang) * weight * scale
    out = m.reshape(2 * n_bins, n_fft).astype(np_dtype)
    out.flags.writeable = False
    return out


# n_fft from which a DFT with a good factorisation n1 * n2 runs as two smaller matmuls (the four-step FFT)
_FOUR_STEP_MIN = 256


def _split(n: int) -> tuple[int, int] | None:
    """n = n1 * n2 with n1 the largest divisor <= sqrt(n), or None when that is too small to pay off (primes)."""
    n1 = max(d for d in range(1, int(np.sqrt(n)) + 1) if n % d == 0)
    return (n1, n // n1) if n1 >= 4 else None


def _angles(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """2 pi a b / n with a b reduced mod n in integers first (full precision for large n)."""
    return 2 * np.pi * ((a[:, None] * b[None, :]) % n) / n


@functools.lru_cache(maxsize=16)
def _step1_matrix(n1: int, n2: int, sign: int, complex_in: bool, np_dtype: str) -> np.ndarray:
    """(n2, n1 or 2 n1, 2 n1): for each n2, the size-n1 DFT with the twiddle folded in, exp(sign 2 pi i (n1' n2_len
    + n2) k1 / n), columns interleaved (re, im) per k1; complex input rows are (re block, im block)."""
    n = n1 * n2
    idx = (np.arange(n1)[None, :] * n2 + np.arange(n2)[:, None])  # (n2, n1): the input index n1' * n2 + n2
    ang = 2 * np.pi * ((idx[:, :, None] * np.arange(n1)[None, None, :]) % n) / n  # (n2, n1', k1)
    c, sn = np.cos(ang), sign * np.sin(ang)
    if not complex_in:
        return np.stack([c, sn], -1).reshape(n2, n1, 2 * n1).astype(np_dtype)
    m = np.empty((n2, 2, n1, n1, 2))
    m[:, 0, :, :, 0], m[:, 1, :, :, 0], m[:, 0, :, :, 1], m[:, 1, :, :, 1] = c, -sn, sn, c
    return m.reshape(n2, 2 * n1, 2 * n1).astype(np_dtype)


@functools.lru_cache(maxsize=16)
def _step2_matrix(n2: int, k2_count: int, sign: int, scale: float, np_dtype: str) -> np.ndarray:
    """(2 k2_count, n2): the size-n2 DFT exp(sign 2 pi i n2 k2 / n2) * scale, cos rows then sin rows."""
    ang = _angles(np.arange(k2_count), np.arange(n2), n2)
    return np.concatenate([np.cos(ang), sign * np.sin(ang)]).__mul__(scale).astype(np_dtype)


def _four_step(re: Tensor, im: Tensor | None, n: int, split: tuple[int, int], sign: int, n_out: int,
               scale: float, real_out: bool = False) -> tuple[Tensor, Tensor | None]:
    """The DFT along the last axis of (b, t, n) rows, real (im None) or planar complex, n = n1 * n2 (index
    n1' n2 + n2' in, k1 + n1 k2 out): a batched size-n1 DFT (twiddles folded in) for each n2', then one GEMM for
    the size-n2 DFT. O(n (n1 + n2)) per row instead of O(n^2); each step is one recorded matmul.
    Returns (re, im), each (k2_count, b, t, n1), covering the first n_out bins at least (im None if real_out)."""
    n1, n2 = split
    b, t = re.shape[0], re.shape[1]
    dt = re.dtype.np.name

    def columns(v: Tensor) -> Tensor:  # (b, t, n) -> (n2, b * t, n1)
        return v.unflatten(2, (n1, n2)).permute(3, 0, 1, 2).reshape(n2, b * t, n1)

    z = columns(re) if im is None else _cat([columns(re), columns(im)], 2)
    z = z @ _on(_step1_matrix(n1, n2, sign, im is not None, dt), re)  # (n2, b t, 2 n1): [n2, m, k1, re/im]
    k2_count = min(n2, -(-n_out // n1))
    p = _on(_step2_matrix(n2, k2_count, sign, scale, dt), re) @ z.reshape(n2, b * t * 2 * n1)
    p = p.reshape(2, k2_count, b, t, n1, 2)  # [cos/sin rows, k2, b, t, k1, re/im of z]
    return p[0, ..., 0] - p[1, ..., 1], (None if real_out else p[0, ..., 1] + p[1, ..., 0])


def _cat(tensors, dim: int) -> Tensor:
    from .joins import cat

    return cat(tensors, dim)


def _stack(tensors, dim: int) -> Tensor:
    from .joins import stack

    return stack(tensors, dim)


def _on(arr: np.ndarray, like: Tensor) -> Tensor:
    """A cached host matrix as a constant tensor on like's device."""
    t = Tensor._wrap(arr)  # (not from_numpy, which refuses bfloat16 arrays as torch's does)
    return t.to(like.device) if like.device.type != "cpu" else t


def _pad_window(window: Tensor | None, win_length: int, n_fft: int, like: Tensor) -> Tensor | None:
    """The window centred in n_fft samples (zeros either side), or None for a plain rectangular n_fft window."""
    if window is None and win_length == n_fft:
        return None
    if window is None:
        window = creation.ones(win_length, dtype=like.dtype, device=like.device)
    if win_length == n_fft:
        return window
    left = (n_fft - win_length) // 2
    return _pad(window, (left, n_fft - win_length - left))


def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
         onesided: bool | None = None, return_complex: bool | None = None,
         align_to_window: bool | None = None) -> Tensor:
    """torch.stft: complex (n_fft // 2 + 1 or n_fft, n_frames), or with return_complex=False the real form with a
    trailing (re, im) dim of 2; batched for 2-d input."""
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if center:
        signal_dim = input.ndim
        pad = n_fft // 2
        padded = _pad(input.reshape([1] * (3 - signal_dim) + list(input.shape)), [pad, pad], pad_mode)
        input = padded.reshape(padded.shape[len(padded.shape) - signal_dim:] if signal_dim else ())
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length

    def fail(what: str):
        raise RuntimeError(
            f"stft({_legacy_type(input)}{_sizes(input.shape)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
            f"window={_window_repr(window)}, normalized={int(normalized)}, onesided={_opt(onesided)}, "
            f"return_complex={_opt(return_complex)}, align_to_window={_opt(align_to_window)}) : {what}")

    if window is not None and window.device != input.device:
        raise RuntimeError(f"stft input and window must be on the same device but got self on {input.device} and "
                           f"window on {window.device}")
    complex_in = input.dtype.is_complex or (window is not None and window.dtype.is_complex)
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will "
                               "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                      "complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you can "
                      "still call torch.view_as_real on the complex output to recover the old return format.",
                      UserWarning, stacklevel=2)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        fail("expected a tensor of floating point or complex values")
    if input.ndim not in (1, 2):
        fail("expected a 1D or 2D tensor")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    length = x.shape[1]
    if n_fft <= 0 or n_fft > length:
        fail(f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        fail(f"expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        fail(f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        fail(f"expected a 1D window tensor of size equal to win_length={win}, but got window with size "
             f"{_sizes(window.shape)}")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which is known to cause "
                      "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
                      "recommended to reduce spectral leakage.To suppress this warning and use a rectangular "
                      "window, explicitly set `window=torch.ones(n_fft, device=<device>)`.", UserWarning,
                      stacklevel=2)
    if input.dtype in dtypes.HALF_DTYPES and input.device.type == "cpu":
        raise RuntimeError(f"MKL FFT doesn't support tensors of type: {dtypes.torch_name(input.dtype)}")
    if input.dtype in dtypes.HALF_DTYPES and return_complex and not complex_in:
        raise NotImplementedError(f"stft: {dtypes.torch_name(input.dtype)} CUDA input with return_complex=True is "
                                  "not supported (ntorch has no complex32): convert it to float32, or pass "
                                  "return_complex=False for the real (..., 2) form")
    if align_to_window and win < n_fft:
        left = (n_fft - win) // 2  # frames start where the window's nonzero part starts
        x = _pad(x, (left, n_fft - win - left))
    if complex_in and onesided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    w = _pad_window(window, win, n_fft, x)
    if _use_fft(x) and not complex_in and (onesided is None or onesided) and not needs_graph(x, w) \
            and (w is None or w.dtype is x.dtype):
        out = _framed_rfft(x, w, n_fft, hop, normalized).transpose(1, 2)  # no frames materialised
        if not return_complex:
            out = _view_as_real(out)
        return out.squeeze(0) if input.ndim == 1 else out
    if x.dtype.is_complex:  # framed part by part: unfold's backward (index_add) is real-only
        from .complex import complex as make_complex

        frames = make_complex(x.real.contiguous().unfold(1, n_fft, hop), x.imag.contiguous().unfold(1, n_fft, hop))
    else:
        frames = x.unfold(1, n_fft, hop)  # (batch, n_frames, n_fft), a view
    if w is not None:
        frames = frames * w
    if _use_fft(frames) or complex_in:  # a complex signal or window: ntorch.fft's two-sided fft on any device
        one = not complex_in if onesided is None else onesided
        spectrum = (_fft().rfft if one else _fft().fft)(
            frames, dim=-1, norm="ortho" if normalized else "backward")  # (batch, n_frames, n_bins)
        out = spectrum.transpose(1, 2)
        if not return_complex:
            out = _view_as_real(out)
        return out.squeeze(0) if input.ndim == 1 else out
    n_bins = n_fft // 2 + 1 if onesided is None or onesided else n_fft
    scale = 1 / np.sqrt(n_fft) if normalized else 1.0
    split = _split(n_fft) if n_fft >= _FOUR_STEP_MIN else None
    if split is not None:
        b = frames.shape[0]
        re, im = (v.permute(1, 0, 3, 2) for v in _four_step(frames, None, n_fft, split, -1, n_bins, scale))
        out = _stack([re, im], -1)  # (batch, k2, k1, n_frames, 2)
        out = out.reshape(b, -1, *out.shape[3:])[:, :n_bins]
        if return_complex:  # (one copy, in torch's layout: bins of a frame adjacent)
            out = _view_as_complex(out.transpose(1, 2).contiguous()).transpose(1, 2)
    else:
        m = _on(_dft_matrix(n_fft, n_bins, scale, frames.dtype.np.name), frames)
        out = (frames @ m).unflatten(-1, (n_bins, 2))  # (batch, n_frames, n_bins, 2), contiguous
        out = (_view_as_complex(out) if return_complex else out).transpose(1, 2)  # torch's layout, no copy
    return out.squeeze(0) if input.ndim == 1 else out


def _framed_rfft(x: Tensor, w: Tensor | None, n_fft: int, hop: int, normalized: bool) -> Tensor:
    """(batch, n_frames, n_fft // 2 + 1): the rfft of each windowed frame of x (batch, length), straight from the
    signal (kernels/cpu/fft.py r2c_frames: no frames tensor, no window product); for calls that record no graph."""
    from ..kernels.cpu import fft as K

    n_frames = 1 + (x.shape[1] - n_fft) // hop
    wa = np.ones(n_fft, x.dtype.np) if w is None else w._data
    spec = K.r2c_frames(x._data, hop, wa, n_frames)
    if normalized:
        spec *= spec.real.dtype.type(1 / np.sqrt(n_fft))
    return Tensor._wrap(spec)


def _overlap_add(frames: Tensor, hop: int) -> Tensor:
    """(b, n_frames, n_fft) -> (b, n_fft + hop (n_frames - 1)), overlapping samples summed. When hop divides n_fft,
    the frames are r = n_fft / hop blocks of hop samples and block j of frame t lands on block t + j: r shifted
    adds; otherwise F.fold (col2im). Complex frames: their real and imaginary parts, each (pad and fold are real)."""
    if frames.dtype.is_complex:
        from .complex import complex as make_complex

        return make_complex(_overlap_add(frames.real, hop), _overlap_add(frames.imag, hop))
    b, n_frames, n_fft = frames.shape
    total = n_fft + hop * (n_frames - 1)
    if n_fft % hop:
        return _F().fold(frames.transpose(1, 2), (1, total), (1, n_fft), stride=(1, hop)).reshape(b, total)
    r = n_fft // hop
    blocks = frames.reshape(b, n_frames, r, hop)
    out = None
    for j in range(r):
        part = _F().pad(blocks[:, :, j], (0, 0, j, r - 1 - j))  # (b, n_frames + r - 1, hop)
        out = part if out is None else out + part
    return out.reshape(b, total)


def _complex_name(t: Tensor) -> str:
    """The toString of the complex tensor that the real (..., 2) form t stands for, e.g. CPUComplexDoubleType."""
    dev = "CUDA" if t.device.type == "cuda" else "CPU"
    return f"{dev}Complex{_TYPE_NAMES.get(t.dtype.name, t.dtype.name)}Type"


def istft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
          window: Tensor | None = None, center: bool = True, normalized: bool = False, onesided: bool | None = None,
          length: int | None = None, return_complex: bool = False) -> Tensor:
    """torch.istft of a complex (..., n_bins, n_frames) spectrum, or of the real (..., n_bins, n_frames, 2) form
    stft(return_complex=False) gives (torch refuses that one): the least-squares overlap-add inverse, (length,) or
    (batch, length)."""
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    spectrum = input if input.dtype.is_complex else None
    if spectrum is not None:
        input = _view_as_real(input)  # torch checks the view_as_real form too
    shown = tuple(input.shape[:-1]) if input.ndim and input.shape[-1] == 2 else tuple(input.shape)

    def fail(what: str, sep: str = " : "):
        raise RuntimeError(
            f"istft({_complex_name(input)}{_sizes(shown)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
            f"window={_window_repr(window)}, center={int(center)}, normalized={int(normalized)}, "
            f"onesided={_opt(onesided)}, length={_opt(length)}, return_complex={int(return_complex)}){sep}{what}")

    if not input.dtype.is_floating_point or input.dtype in dtypes.HALF_DTYPES:  # (no 16-bit FFT, as torch's CPU)
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    if input.numel() == 0:
        fail("input tensor cannot be empty.")
    if input.ndim not in (3, 4):
        fail(f"expected a tensor with 3 or 4 dimensions, but got {input.ndim}")
    if input.shape[-1] != 2:
        fail(f"expected the last dimension to be 2 (corresponding to real and imaginary parts), but got "
             f"{input.shape[-1]}")
    n_frames, fft_size = input.shape[-2], input.shape[-3]
    one = fft_size != n_fft if onesided is None else onesided
    if one and n_fft // 2 + 1 != fft_size:
        fail(f"expected the frequency dimension (3rd to the last) of the input tensor to match n_fft / 2 + 1 when "
             f"onesided=True, but got {fft_size}")
    if not one and n_fft != fft_size:
        fail(f"expected the frequency dimension (3rd to the last) of the input tensor to match n_fft when "
             f"onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        fail("expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        fail("expected 0 < win_length <= n_fft")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        fail("Invalid window shape. window has to be 1D and length of `win_length`")
    if return_complex and one:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if not return_complex and window is not None and window.dtype.is_complex:
        raise RuntimeError("Complex windows are incompatible with return_complex=False")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied.Please provide the same "
                      "window used by stft to make the inversion lossless.To suppress this warning and use a "
                      "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`.",
                      UserWarning, stacklevel=2)
        window = creation.ones(win, dtype=input.dtype, device=input.device)
    w = _pad_window(window, win, n_fft, input)
    spec = input.unsqueeze(0) if input.ndim == 3 else input  # (batch, fft_size, n_frames, 2)
    n_bins = n_fft // 2 + 1
    if not one and not return_complex:
        spec = spec.narrow(1, 0, n_bins)  # c2r reads the first half only, as torch's
    batch = spec.shape[0]
    scale = 1 / np.sqrt(n_fft) if normalized else 1.0 / n_fft
    split = _split(n_fft) if n_fft >= _FOUR_STEP_MIN else None
    if _use_fft(spec) or return_complex:  # (a complex output: ntorch.fft's ifft on any device)
        if spectrum is None:  # the real (..., 2) form
            spectrum = _fft()._from_real_pairs(spec)
        else:
            spectrum = spectrum.unsqueeze(0) if spectrum.ndim == 2 else spectrum
            spectrum = spectrum.narrow(1, 0, n_bins) if not one and not return_complex else spectrum
        # spectrum: (batch, n_bins, n_frames) complex; a complex output inverts the two-sided spectrum
        inverse = _fft().ifft if return_complex else _fft().irfft
        frames = inverse(spectrum, n_fft, dim=1, norm="ortho" if normalized else "backward").transpose(1, 2)
    elif split is not None:  # the Hermitian extension to n_fft bins; the real part of its inverse DFT is c2r's
        sr, si = spec[..., 0], spec[..., 1]  # (batch, n_bins, n_frames)
        full_r = _cat([sr, sr[:, 1:n_fft - n_bins + 1].flip(1)], 1)
        full_i = _cat([si, -si[:, 1:n_fft - n_bins + 1].flip(1)], 1)
        re, _ = _four_step(full_r.transpose(1, 2), full_i.transpose(1, 2), n_fft, split, 1, n_fft, scale, True)
        frames = re.permute(1, 2, 0, 3).reshape(batch, n_frames, n_fft)
    else:
        cols = spec.transpose(1, 2).reshape(batch, n_frames, 2 * n_bins)
        frames = cols @ _on(_idft_matrix(n_fft, scale, cols.dtype.np.name), cols)  # (batch, n_frames, n_fft)
    total = n_fft + hop * (n_frames - 1)
    envelope = _overlap_add((w * w).expand(1, n_frames, n_fft), hop)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    envelope = envelope[:, start:end]
    if bool((envelope.abs().min() < 1e-11).item()):
        fail("window overlap add min: 1\n[ CPUBoolType{} ]", sep=" ")
    if end > total:
        warnings.warn("The length of signal is shorter than the length parameter. Result is being padded with "
                      "zeros in the tail. Please check your center and hop_length settings.", UserWarning,
                      stacklevel=2)
    y = _overlap_add(frames * w, hop)[:, start:end] / envelope
    if input.ndim == 3:
        y = y.squeeze(0)
    return _pad(y, (0, end - total)) if end > total else y


FUNCTIONS = {"stft": stft, "istft": istft}
METHODS = {"stft": stft, "istft": istft}
