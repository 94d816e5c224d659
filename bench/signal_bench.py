"""ntorch vs NumPy vs PyTorch (CPU) stft / istft, float32, forward only.

    .venv/bin/python bench/signal_bench.py [--threads N] [--rounds 7] [--clock cpu]

ntorch's stft is its rfft of the framed, windowed signal (return_complex=True); NumPy's reference frames the padded
signal with a strided view, windows it and calls np.fft.rfft; PyTorch calls torch.stft (pocketfft/MKL). Prints
one Markdown row per case: median times and the ratios other / ntorch (> 1: ntorch faster). `--clock cpu` times
with the process's CPU time (steady on a shared machine when each library runs on one thread).
"""

from __future__ import annotations

import argparse
import warnings

from threads import pin_threads_from_argv
from timing import fmt, median_time, use_clock

pin_threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ntorch  # noqa: E402

# (label, batch, signal length, n_fft, hop)
CASES = [
    ("stft 1x16000 n_fft=400 hop=160", 1, 16000, 400, 160),
    ("stft 8x16000 n_fft=512 hop=128", 8, 16000, 512, 128),
    ("stft 4x48000 n_fft=2048 hop=512", 4, 48000, 2048, 512),
    ("stft 16x4096 n_fft=64 hop=16", 16, 4096, 64, 16),
]


def _np_stft(x: np.ndarray, n_fft: int, hop: int, w: np.ndarray) -> np.ndarray:
    xp = np.pad(x, ((0, 0), (n_fft // 2, n_fft // 2)), mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(xp, n_fft, axis=1)[:, ::hop]
    return np.fft.rfft(frames * w, axis=-1)


def _np_istft(spec: np.ndarray, n_fft: int, hop: int, w: np.ndarray, length: int) -> np.ndarray:
    frames = np.fft.irfft(spec, n=n_fft, axis=-1) * w  # (b, T, n_fft)
    total = n_fft + hop * (frames.shape[1] - 1)
    y = np.zeros((frames.shape[0], total), frames.dtype)
    env = np.zeros(total, frames.dtype)
    for t in range(frames.shape[1]):
        y[:, t * hop:t * hop + n_fft] += frames[:, t]
        env[t * hop:t * hop + n_fft] += w * w
    s = n_fft // 2
    return y[:, s:s + length] / env[s:s + length]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = ap.parse_args()
    use_clock(args.clock)
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    print("| case (float32) | ntorch | vs NumPy | vs PyTorch |\n| --- | --- | --- | --- |")
    rng = np.random.default_rng(0)
    for case in CASES:
        _run_case(*case, args.rounds, rng)


def _run_case(label: str, b: int, n: int, n_fft: int, hop: int, rounds: int, rng) -> None:
    x = rng.standard_normal((b, n), dtype=np.float32)
    w = np.hanning(n_fft + 2)[1:-1].astype(np.float32)
    nx, nw, tx, tw = ntorch.tensor(x), ntorch.tensor(w), torch.tensor(x), torch.tensor(w)
    t_nt = median_time(lambda: ntorch.stft(nx, n_fft, hop, window=nw, return_complex=True), rounds)
    t_np = median_time(lambda: _np_stft(x, n_fft, hop, w), rounds)
    t_th = median_time(lambda: torch.stft(tx, n_fft, hop, window=tw, return_complex=True), rounds)
    print(f"| {label} | {fmt(t_nt)} | {t_np / t_nt:.2f}x | {t_th / t_nt:.2f}x |")
    spec_nt = ntorch.stft(nx, n_fft, hop, window=nw, return_complex=True)
    spec_th = torch.stft(tx, n_fft, hop, window=tw, return_complex=True)
    spec_np = spec_th.transpose(1, 2).numpy()
    t_nt = median_time(lambda: ntorch.istft(spec_nt, n_fft, hop, window=nw, length=n), rounds)
    t_np = median_time(lambda: _np_istft(spec_np, n_fft, hop, w, n), rounds)
    t_th = median_time(lambda: torch.istft(spec_th, n_fft, hop, window=tw, length=n), rounds)
    print(f"| i{label} | {fmt(t_nt)} | {t_np / t_nt:.2f}x | {t_th / t_nt:.2f}x |")

if __name__ == "__main__":
    main()
