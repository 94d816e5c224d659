"""Tests of ntorch.kernels.cpu.fft against numpy.fft (computed in complex128).

complex64 computes in float32, so its error is judged relative to the largest output magnitude (as torch's own
tests do for float32 FFTs); complex128 is held to ~1e-12 of it. Compilation dominates, so tests loop over sizes.
"""

import numpy as np
import pytest
from ntorch.kernels.cpu import fft as F

C64, C128 = np.complex64, np.complex128
TOL = {np.dtype(C64): 2e-6, np.dtype(C128): 1e-12}
SIZES = list(range(1, 65)) + [97, 121, 128, 360, 997, 2 * 997, 4099] + [1 << k for k in range(7, 17)]


def _complex(rng, shape, dt):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)


def _close(got, ref, dt):
    assert got.shape == ref.shape
    scale = max(np.abs(ref).max(), 1.0) if ref.size else 1.0
    tol = TOL[np.dtype(dt)] * max(1.0, np.log2(max(ref.shape[-1], 2)) / 4)
    assert np.abs(got - ref).max(initial=0.0) <= tol * scale


@pytest.mark.parametrize("dt", [C64, C128])
def test_c2c_matches_numpy(dt):
    rng = np.random.default_rng(1)
    for n in SIZES:
        for rows in (1, 3):
            x = _complex(rng, (rows, n), dt)
            x0 = x.copy()
            fwd = F.c2c(x)
            assert fwd.dtype == dt
            _close(fwd, np.fft.fft(x.astype(C128)), dt)
            _close(F.c2c(x, inverse=True), np.fft.ifft(x.astype(C128)) * n, dt)
            np.testing.assert_array_equal(x, x0)  # input untouched


@pytest.mark.parametrize("dt", [C64, C128])
def test_c2c_batches_and_parallel_paths(dt, monkeypatch):
    """Batches over threads (from PAR_MIN elements) and single rows split per stage (from STAGE_PAR_MIN, lowered
    here so that moderate sizes take that path; it needs more than one Numba thread)."""
    monkeypatch.setattr(F, "STAGE_PAR_MIN", 1 << 10)
    rng = np.random.default_rng(2)
    for rows, n in [(0, 8), (0, 97), (7, 4096), (33, 1000), (9, 997), (1, 1 << 16), (1, 3 ** 8), (1, 15015),
                    (1, 2048), (1, 4099)]:
        x = _complex(rng, (rows, n), dt)
        _close(F.c2c(x), np.fft.fft(x.astype(C128), axis=-1), dt)
    rt = np.float32 if dt == C64 else np.float64
    for rows, n in [(1, 8192), (1, 2 * 4099), (40, 2048)]:
        x = rng.standard_normal((rows, n)).astype(rt)
        spec = F.r2c(x)
        _close(spec, np.fft.rfft(x.astype(np.float64)), dt)
        _close(F.c2r(spec, n), np.fft.irfft(spec.astype(C128), n) * n, dt)


def test_c2c_out_readonly_and_strided_input():
    rng = np.random.default_rng(3)
    x = _complex(rng, (4, 30), C128)
    x.flags.writeable = False
    out = np.empty((4, 30), C128)
    assert F.c2c(x, out=out) is out
    _close(out, np.fft.fft(x), C128)
    y = _complex(rng, (30, 4), C128).T  # not C-contiguous
    _close(F.c2c(y), np.fft.fft(y), C128)


@pytest.mark.parametrize("rt", [np.float32, np.float64])
def test_r2c_c2r_match_numpy(rt):
    rng = np.random.default_rng(4)
    ct = C64 if rt == np.float32 else C128
    for n in list(range(1, 41)) + [97, 998, 4099, 4096, 2 * 997]:
        for rows in (0, 1, 5):
            x = rng.standard_normal((rows, n)).astype(rt)
            got = F.r2c(x)
            assert got.dtype == ct and got.shape == (rows, n // 2 + 1)
            _close(got, np.fft.rfft(x.astype(np.float64)), ct)
            spec = _complex(rng, (rows, n // 2 + 1), ct)  # imaginary DC/Nyquist parts must be ignored
            back = F.c2r(spec, n)
            assert back.dtype == rt and back.shape == (rows, n)
            _close(back, np.fft.irfft(spec.astype(C128), n) * n, ct)


def test_errors():
    with pytest.raises(TypeError):
        F.c2c(np.zeros((2, 4), np.float64))
    with pytest.raises(TypeError):
        F.r2c(np.zeros((2, 4), np.complex64))
    with pytest.raises(ValueError):
        F.c2r(np.zeros((2, 4), np.complex64), 8)


@pytest.mark.parametrize("rt", [np.float32, np.float64])
def test_r2c_frames_matches_framed_rfft(rt):
    """stft's fused frames: even n with a direct plan (fused), odd n and Bluestein halves (framed then r2c)."""
    rng = np.random.default_rng(5)
    ct = C64 if rt == np.float32 else C128
    for n, hop, length, rows in [(8, 2, 40, 3), (16, 4, 100, 1), (9, 3, 50, 2), (512, 128, 4000, 2),
                                 (2 * 97, 50, 1000, 2), (2, 1, 5, 1), (64, 16, 4096, 9), (8, 3, 8, 0)]:
        x = rng.standard_normal((rows, length)).astype(rt)
        w = rng.random(n).astype(rt)
        n_frames = 1 + (length - n) // hop
        got = F.r2c_frames(x, hop, w, n_frames)
        frames = np.stack([x[:, t * hop:t * hop + n] * w for t in range(n_frames)], 1)
        assert got.dtype == ct and got.shape == (rows, n_frames, n // 2 + 1)
        _close(got.reshape(-1, n // 2 + 1), np.fft.rfft(frames.astype(np.float64), axis=-1).reshape(-1, n // 2 + 1),
               ct)
    with pytest.raises(ValueError):
        F.r2c_frames(np.zeros((1, 10), np.float32), 4, np.ones(8, np.float32), 2)
